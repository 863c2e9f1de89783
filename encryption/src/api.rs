//! The narrow seam to KMS: exactly the operations this module uses, implemented for the SDK
//! client and mocked with mockall in unit tests.

use async_trait::async_trait;
use aws_sdk_kms::types::Tag;
use baseline_core::aws::{or_none, sdk_err, ApiError, ServiceErrorKind};
use baseline_core::AwsContext;
use futures::StreamExt;
use std::collections::BTreeMap;

/// Key tag reads in flight while the stack's key is searched by its tag.
const TAG_READS: usize = 8;

/// What DescribeKey tells about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDescription {
    /// Key id (uuid).
    pub key_id: String,
    /// Key ARN.
    pub arn: String,
    /// Description.
    pub description: String,
    /// KMS key state, e.g. `Enabled`, `Disabled`, `PendingDeletion`.
    pub state: String,
    /// `CUSTOMER` or `AWS`.
    pub manager: String,
    /// Creation time, seconds since the epoch (to pick the newest of several).
    pub created: i64,
}

/// KMS operations used by the module.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait KmsApi: Send + Sync {
    /// The key id the alias points at, if the alias exists.
    async fn alias_target(&self, alias: &str) -> Result<Option<String>, ApiError>;
    /// Customer keys carrying `tag_key = tag_value`.
    async fn keys_with_tag(&self, tag_key: &str, tag_value: &str) -> Result<Vec<String>, ApiError>;
    /// DescribeKey; `None` when the key does not exist.
    async fn describe_key(&self, key_id: &str) -> Result<Option<KeyDescription>, ApiError>;
    /// Whether automatic rotation is on.
    async fn rotation_enabled(&self, key_id: &str) -> Result<bool, ApiError>;
    /// The `default` key policy, as JSON text.
    async fn key_policy(&self, key_id: &str) -> Result<String, ApiError>;
    /// The key's tags.
    async fn tags(&self, key_id: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// CreateKey (symmetric, encrypt/decrypt) with policy and tags; returns the new key.
    async fn create_key(
        &self,
        description: &str,
        policy: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<KeyDescription, ApiError>;
    /// EnableKeyRotation.
    async fn enable_rotation(&self, key_id: &str) -> Result<(), ApiError>;
    /// PutKeyPolicy (`default`).
    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), ApiError>;
    /// UpdateKeyDescription.
    async fn update_description(&self, key_id: &str, description: &str) -> Result<(), ApiError>;
    /// TagResource.
    async fn tag(&self, key_id: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError>;
    /// UntagResource.
    async fn untag(&self, key_id: &str, keys: &[String]) -> Result<(), ApiError>;
    /// CancelKeyDeletion.
    async fn cancel_deletion(&self, key_id: &str) -> Result<(), ApiError>;
    /// EnableKey.
    async fn enable_key(&self, key_id: &str) -> Result<(), ApiError>;
    /// CreateAlias.
    async fn create_alias(&self, alias: &str, key_id: &str) -> Result<(), ApiError>;
    /// UpdateAlias.
    async fn update_alias(&self, alias: &str, key_id: &str) -> Result<(), ApiError>;
    /// DeleteAlias.
    async fn delete_alias(&self, alias: &str) -> Result<(), ApiError>;
    /// ScheduleKeyDeletion with a window in days.
    async fn schedule_deletion(&self, key_id: &str, window_days: i32) -> Result<(), ApiError>;
}

/// [`KmsApi`] over the SDK client.
#[derive(Debug, Clone)]
pub struct SdkKmsApi {
    client: aws_sdk_kms::Client,
}

impl SdkKmsApi {
    /// A client from the context (records its calls in the context's call log).
    pub fn new(ctx: &AwsContext) -> Self {
        let conf = aws_sdk_kms::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        Self {
            client: aws_sdk_kms::Client::from_conf(conf),
        }
    }

    /// Wraps an existing client (tests inject interceptors this way).
    pub fn from_client(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }
}

fn kms_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .expect("tag key and value are set")
        })
        .collect()
}

fn describe(meta: &aws_sdk_kms::types::KeyMetadata) -> KeyDescription {
    KeyDescription {
        key_id: meta.key_id().to_owned(),
        arn: meta.arn().unwrap_or_default().to_owned(),
        description: meta.description().unwrap_or_default().to_owned(),
        state: meta
            .key_state()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        manager: meta
            .key_manager()
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        created: meta.creation_date().map(|d| d.secs()).unwrap_or_default(),
    }
}

#[async_trait]
impl KmsApi for SdkKmsApi {
    async fn alias_target(&self, alias: &str) -> Result<Option<String>, ApiError> {
        let mut pages = self.client.list_aliases().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_err("kms", "ListAliases", alias))?;
            if let Some(found) = page
                .aliases()
                .iter()
                .find(|a| a.alias_name() == Some(alias))
            {
                return Ok(found.target_key_id().map(str::to_owned));
            }
        }
        Ok(None)
    }

    async fn keys_with_tag(&self, tag_key: &str, tag_value: &str) -> Result<Vec<String>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self.client.list_keys().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_err("kms", "ListKeys", "account"))?;
            // A page's keys are read TAG_READS at a time (a page holds up to 100). AWS-managed
            // keys refuse ListResourceTags (AccessDenied) and a key may be deleted between the
            // listing and the read (NotFound): never ours, skipped. Any other error (throttled,
            // a lost answer) fails the read: skipping it could hide our key and plan a second.
            let ids: Vec<&str> = page.keys().iter().filter_map(|k| k.key_id()).collect();
            let reads: Vec<_> = ids.iter().map(|id| self.tags(id)).collect();
            let tags: Vec<_> = futures::stream::iter(reads)
                .buffered(TAG_READS)
                .collect()
                .await;
            for (id, tags) in ids.into_iter().zip(tags) {
                let tags = match tags {
                    Ok(tags) => tags,
                    Err(e) if e.is_not_found() || e.kind == ServiceErrorKind::AccessDenied => {
                        continue
                    }
                    Err(e) => return Err(e),
                };
                if tags.get(tag_key).map(String::as_str) == Some(tag_value) {
                    found.push(id.to_owned());
                }
            }
        }
        Ok(found)
    }

    async fn describe_key(&self, key_id: &str) -> Result<Option<KeyDescription>, ApiError> {
        match self.client.describe_key().key_id(key_id).send().await {
            Ok(out) => Ok(out.key_metadata().map(describe)),
            // Not found: the resource does not exist.
            Err(e) => or_none(Err(ApiError::from_sdk("kms", "DescribeKey", key_id, e))),
        }
    }

    async fn rotation_enabled(&self, key_id: &str) -> Result<bool, ApiError> {
        let out = self
            .client
            .get_key_rotation_status()
            .key_id(key_id)
            .send()
            .await
            .map_err(sdk_err("kms", "GetKeyRotationStatus", key_id))?;
        Ok(out.key_rotation_enabled())
    }

    async fn key_policy(&self, key_id: &str) -> Result<String, ApiError> {
        let out = self
            .client
            .get_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .send()
            .await
            .map_err(sdk_err("kms", "GetKeyPolicy", key_id))?;
        Ok(out.policy().unwrap_or_default().to_owned())
    }

    async fn tags(&self, key_id: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let mut tags = BTreeMap::new();
        let mut pages = self
            .client
            .list_resource_tags()
            .key_id(key_id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_err("kms", "ListResourceTags", key_id))?;
            for t in page.tags() {
                tags.insert(t.tag_key().to_owned(), t.tag_value().to_owned());
            }
        }
        Ok(tags)
    }

    async fn create_key(
        &self,
        description: &str,
        policy: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<KeyDescription, ApiError> {
        let out = self
            .client
            .create_key()
            .description(description)
            .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
            .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
            .policy(policy)
            .set_tags(Some(kms_tags(tags)))
            // CreateKey has no client token: a retry after a lost answer makes a second key.
            // The caller retries through baseline_core::write::create_unless_found instead.
            .customize()
            .config_override(
                aws_sdk_kms::config::Builder::default()
                    .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(sdk_err("kms", "CreateKey", description))?;
        out.key_metadata().map(describe).ok_or_else(|| {
            ApiError::synthetic(
                "kms",
                "CreateKey",
                description,
                baseline_core::aws::ServiceErrorKind::Other,
                "no key metadata in the response",
            )
        })
    }

    async fn enable_rotation(&self, key_id: &str) -> Result<(), ApiError> {
        self.client
            .enable_key_rotation()
            .key_id(key_id)
            .send()
            .await
            .map_err(sdk_err("kms", "EnableKeyRotation", key_id))?;
        Ok(())
    }

    async fn put_key_policy(&self, key_id: &str, policy: &str) -> Result<(), ApiError> {
        self.client
            .put_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .policy(policy)
            .send()
            .await
            .map_err(sdk_err("kms", "PutKeyPolicy", key_id))?;
        Ok(())
    }

    async fn update_description(&self, key_id: &str, description: &str) -> Result<(), ApiError> {
        self.client
            .update_key_description()
            .key_id(key_id)
            .description(description)
            .send()
            .await
            .map_err(sdk_err("kms", "UpdateKeyDescription", key_id))?;
        Ok(())
    }

    async fn tag(&self, key_id: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        self.client
            .tag_resource()
            .key_id(key_id)
            .set_tags(Some(kms_tags(tags)))
            .send()
            .await
            .map_err(sdk_err("kms", "TagResource", key_id))?;
        Ok(())
    }

    async fn untag(&self, key_id: &str, keys: &[String]) -> Result<(), ApiError> {
        self.client
            .untag_resource()
            .key_id(key_id)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(sdk_err("kms", "UntagResource", key_id))?;
        Ok(())
    }

    async fn cancel_deletion(&self, key_id: &str) -> Result<(), ApiError> {
        self.client
            .cancel_key_deletion()
            .key_id(key_id)
            .send()
            .await
            .map_err(sdk_err("kms", "CancelKeyDeletion", key_id))?;
        Ok(())
    }

    async fn enable_key(&self, key_id: &str) -> Result<(), ApiError> {
        self.client
            .enable_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(sdk_err("kms", "EnableKey", key_id))?;
        Ok(())
    }

    async fn create_alias(&self, alias: &str, key_id: &str) -> Result<(), ApiError> {
        self.client
            .create_alias()
            .alias_name(alias)
            .target_key_id(key_id)
            .send()
            .await
            .map_err(sdk_err("kms", "CreateAlias", alias))?;
        Ok(())
    }

    async fn update_alias(&self, alias: &str, key_id: &str) -> Result<(), ApiError> {
        self.client
            .update_alias()
            .alias_name(alias)
            .target_key_id(key_id)
            .send()
            .await
            .map_err(sdk_err("kms", "UpdateAlias", alias))?;
        Ok(())
    }

    async fn delete_alias(&self, alias: &str) -> Result<(), ApiError> {
        self.client
            .delete_alias()
            .alias_name(alias)
            .send()
            .await
            .map_err(sdk_err("kms", "DeleteAlias", alias))?;
        Ok(())
    }

    async fn schedule_deletion(&self, key_id: &str, window_days: i32) -> Result<(), ApiError> {
        self.client
            .schedule_key_deletion()
            .key_id(key_id)
            .pending_window_in_days(window_days)
            .send()
            .await
            .map_err(sdk_err("kms", "ScheduleKeyDeletion", key_id))?;
        Ok(())
    }
}

//! The narrow seam to SNS: exactly the operations this module uses, implemented for the SDK
//! client and mocked with mockall in unit tests.

use async_trait::async_trait;
use aws_sdk_sns::types::Tag;
use baseline_core::aws::{or_none, sdk_err, ApiError, ServiceErrorKind};
use baseline_core::AwsContext;
use std::collections::BTreeMap;

/// The `SubscriptionArn` SNS lists for a subscription whose endpoint has not confirmed yet.
pub const PENDING_CONFIRMATION: &str = "PendingConfirmation";

/// One subscription as ListSubscriptionsByTopic lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionInfo {
    /// Subscription ARN, or [`PENDING_CONFIRMATION`] (also `Deleted` while SNS removes one).
    pub arn: String,
    /// Protocol (`email`, `sms`, `https`, ...).
    pub protocol: String,
    /// Endpoint (address, number, URL or ARN).
    pub endpoint: String,
}

/// SNS operations used by the module.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SnsApi: Send + Sync {
    /// GetTopicAttributes; `None` when the topic does not exist.
    async fn topic_attributes(
        &self,
        topic_arn: &str,
    ) -> Result<Option<BTreeMap<String, String>>, ApiError>;
    /// ListTagsForResource.
    async fn topic_tags(&self, topic_arn: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// ListSubscriptionsByTopic (every page).
    async fn subscriptions(&self, topic_arn: &str) -> Result<Vec<SubscriptionInfo>, ApiError>;
    /// CreateTopic with attributes and tags; returns the topic ARN (the existing one when a
    /// topic of that name exists with the same attributes).
    async fn create_topic(
        &self,
        name: &str,
        attributes: &BTreeMap<String, String>,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError>;
    /// SetTopicAttributes (one attribute).
    async fn set_topic_attribute(
        &self,
        topic_arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError>;
    /// TagResource.
    async fn tag_topic(
        &self,
        topic_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// UntagResource.
    async fn untag_topic(&self, topic_arn: &str, keys: &[String]) -> Result<(), ApiError>;
    /// Subscribe with `ReturnSubscriptionArn=true`; returns the subscription ARN (also for a
    /// subscription still pending confirmation).
    async fn subscribe(
        &self,
        topic_arn: &str,
        protocol: &str,
        endpoint: &str,
    ) -> Result<String, ApiError>;
    /// Unsubscribe.
    async fn unsubscribe(&self, subscription_arn: &str) -> Result<(), ApiError>;
    /// DeleteTopic.
    async fn delete_topic(&self, topic_arn: &str) -> Result<(), ApiError>;
}

/// [`SnsApi`] over the SDK client.
#[derive(Debug, Clone)]
pub struct SdkSnsApi {
    client: aws_sdk_sns::Client,
}

impl SdkSnsApi {
    /// A client from the context (records its calls in the context's call log).
    pub fn new(ctx: &AwsContext) -> Self {
        let conf = aws_sdk_sns::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        Self {
            client: aws_sdk_sns::Client::from_conf(conf),
        }
    }

    /// Wraps an existing client (tests inject interceptors this way).
    pub fn from_client(client: aws_sdk_sns::Client) -> Self {
        Self { client }
    }
}

fn sns_tags(
    op: &'static str,
    target: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Vec<Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder().key(k).value(v).build().map_err(|e| {
                ApiError::synthetic(
                    "sns",
                    op,
                    target,
                    ServiceErrorKind::Validation,
                    &format!("tag {k}: {e}"),
                )
            })
        })
        .collect()
}

#[async_trait]
impl SnsApi for SdkSnsApi {
    async fn topic_attributes(
        &self,
        topic_arn: &str,
    ) -> Result<Option<BTreeMap<String, String>>, ApiError> {
        match self
            .client
            .get_topic_attributes()
            .topic_arn(topic_arn)
            .send()
            .await
        {
            Ok(out) => Ok(Some(
                out.attributes()
                    .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
            )),
            // Not found: the resource does not exist.
            Err(e) => or_none(Err(ApiError::from_sdk(
                "sns",
                "GetTopicAttributes",
                topic_arn,
                e,
            ))),
        }
    }

    async fn topic_tags(&self, topic_arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let out = self
            .client
            .list_tags_for_resource()
            .resource_arn(topic_arn)
            .send()
            .await
            .map_err(sdk_err("sns", "ListTagsForResource", topic_arn))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }

    async fn subscriptions(&self, topic_arn: &str) -> Result<Vec<SubscriptionInfo>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_err("sns", "ListSubscriptionsByTopic", topic_arn))?;
            for s in page.subscriptions() {
                found.push(SubscriptionInfo {
                    arn: s.subscription_arn().unwrap_or_default().to_owned(),
                    protocol: s.protocol().unwrap_or_default().to_owned(),
                    endpoint: s.endpoint().unwrap_or_default().to_owned(),
                });
            }
        }
        Ok(found)
    }

    async fn create_topic(
        &self,
        name: &str,
        attributes: &BTreeMap<String, String>,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        let out = self
            .client
            .create_topic()
            .name(name)
            .set_attributes(Some(
                attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ))
            .set_tags(Some(sns_tags("CreateTopic", name, tags)?))
            .send()
            .await
            .map_err(sdk_err("sns", "CreateTopic", name))?;
        out.topic_arn().map(str::to_owned).ok_or_else(|| {
            ApiError::synthetic(
                "sns",
                "CreateTopic",
                name,
                ServiceErrorKind::Other,
                "no topic ARN in the response",
            )
        })
    }

    async fn set_topic_attribute(
        &self,
        topic_arn: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ApiError> {
        self.client
            .set_topic_attributes()
            .topic_arn(topic_arn)
            .attribute_name(name)
            .attribute_value(value)
            .send()
            .await
            .map_err(sdk_err("sns", "SetTopicAttributes", topic_arn))?;
        Ok(())
    }

    async fn tag_topic(
        &self,
        topic_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        self.client
            .tag_resource()
            .resource_arn(topic_arn)
            .set_tags(Some(sns_tags("TagResource", topic_arn, tags)?))
            .send()
            .await
            .map_err(sdk_err("sns", "TagResource", topic_arn))?;
        Ok(())
    }

    async fn untag_topic(&self, topic_arn: &str, keys: &[String]) -> Result<(), ApiError> {
        self.client
            .untag_resource()
            .resource_arn(topic_arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(sdk_err("sns", "UntagResource", topic_arn))?;
        Ok(())
    }

    async fn subscribe(
        &self,
        topic_arn: &str,
        protocol: &str,
        endpoint: &str,
    ) -> Result<String, ApiError> {
        let out = self
            .client
            .subscribe()
            .topic_arn(topic_arn)
            .protocol(protocol)
            .endpoint(endpoint)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(sdk_err("sns", "Subscribe", topic_arn))?;
        Ok(out
            .subscription_arn()
            .unwrap_or(PENDING_CONFIRMATION)
            .to_owned())
    }

    async fn unsubscribe(&self, subscription_arn: &str) -> Result<(), ApiError> {
        self.client
            .unsubscribe()
            .subscription_arn(subscription_arn)
            .send()
            .await
            .map_err(sdk_err("sns", "Unsubscribe", subscription_arn))?;
        Ok(())
    }

    async fn delete_topic(&self, topic_arn: &str) -> Result<(), ApiError> {
        self.client
            .delete_topic()
            .topic_arn(topic_arn)
            .send()
            .await
            .map_err(sdk_err("sns", "DeleteTopic", topic_arn))?;
        Ok(())
    }
}

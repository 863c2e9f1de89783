//! The IAM half of [`super::SdkGuardrailsApi`]: the model-access managed policy, its versions,
//! tags and attachments.

use super::sdk::build_err;
use super::{PolicyInfo, PolicyVersionInfo};
use aws_sdk_iam::types::{Policy, Tag};
use aws_sdk_iam::Client;
use aws_smithy_types::error::operation::BuildError;
use baseline_core::aws::{or_none, sdk_err};
use baseline_core::aws::{ApiError, ServiceErrorKind};
use std::collections::BTreeMap;

fn tags_of(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, BuildError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn policy_info(p: &Policy) -> PolicyInfo {
    PolicyInfo {
        arn: p.arn().unwrap_or_default().to_owned(),
        default_version_id: p.default_version_id().unwrap_or_default().to_owned(),
        path: p.path().unwrap_or("/").to_owned(),
    }
}

pub(super) async fn get_policy(c: &Client, arn: &str) -> Result<Option<PolicyInfo>, ApiError> {
    let out = c
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(sdk_err("iam", "GetPolicy", arn));
    Ok(or_none(out)?.and_then(|o| o.policy().map(policy_info)))
}

pub(super) async fn policy_document(
    c: &Client,
    arn: &str,
    version_id: &str,
) -> Result<String, ApiError> {
    let out = c
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version_id)
        .send()
        .await
        .map_err(sdk_err("iam", "GetPolicyVersion", arn))?;
    Ok(out
        .policy_version()
        .and_then(|v| v.document())
        .unwrap_or_default()
        .to_owned())
}

pub(super) async fn policy_versions(
    c: &Client,
    arn: &str,
) -> Result<Vec<PolicyVersionInfo>, ApiError> {
    let pages = c
        .list_policy_versions()
        .policy_arn(arn)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("iam", "ListPolicyVersions", arn))?;
    Ok(pages
        .iter()
        .flat_map(|page| page.versions())
        .map(|v| PolicyVersionInfo {
            version_id: v.version_id().unwrap_or_default().to_owned(),
            is_default: v.is_default_version(),
            created: v.create_date().map(|d| d.secs()).unwrap_or_default(),
        })
        .collect())
}

pub(super) async fn policy_tags(
    c: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let pages = c
        .list_policy_tags()
        .policy_arn(arn)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("iam", "ListPolicyTags", arn))?;
    Ok(pages
        .iter()
        .flat_map(|page| page.tags())
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

pub(super) async fn policy_attachments(c: &Client, arn: &str) -> Result<Vec<String>, ApiError> {
    let pages = c
        .list_entities_for_policy()
        .policy_arn(arn)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("iam", "ListEntitiesForPolicy", arn))?;
    let mut found = Vec::new();
    for page in &pages {
        found.extend(
            page.policy_roles()
                .iter()
                .filter_map(|r| r.role_name())
                .map(|n| format!("role/{n}")),
        );
        found.extend(
            page.policy_users()
                .iter()
                .filter_map(|u| u.user_name())
                .map(|n| format!("user/{n}")),
        );
        found.extend(
            page.policy_groups()
                .iter()
                .filter_map(|g| g.group_name())
                .map(|n| format!("group/{n}")),
        );
    }
    Ok(found)
}

pub(super) async fn create_policy(
    c: &Client,
    name: &str,
    path: &str,
    description: &str,
    document: &str,
    tags: &BTreeMap<String, String>,
) -> Result<PolicyInfo, ApiError> {
    let tags = tags_of(tags).map_err(build_err("iam", "CreatePolicy", name))?;
    let out = c
        .create_policy()
        .policy_name(name)
        .path(path)
        .description(description)
        .policy_document(document)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(sdk_err("iam", "CreatePolicy", name))?;
    out.policy().map(policy_info).ok_or_else(|| {
        ApiError::synthetic(
            "iam",
            "CreatePolicy",
            name,
            ServiceErrorKind::Other,
            "no policy in the response",
        )
    })
}

pub(super) async fn create_policy_version(
    c: &Client,
    arn: &str,
    document: &str,
) -> Result<String, ApiError> {
    let out = c
        .create_policy_version()
        .policy_arn(arn)
        .policy_document(document)
        .set_as_default(true)
        // No client token: a retry after a lost answer would add a version (or meet IAM's
        // five-version limit). The caller retries through create_unless_found instead.
        .customize()
        .config_override(
            aws_sdk_iam::config::Builder::default()
                .retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled()),
        )
        .send()
        .await
        .map_err(sdk_err("iam", "CreatePolicyVersion", arn))?;
    Ok(out
        .policy_version()
        .and_then(|v| v.version_id())
        .unwrap_or_default()
        .to_owned())
}

pub(super) async fn delete_policy_version(
    c: &Client,
    arn: &str,
    version_id: &str,
) -> Result<(), ApiError> {
    c.delete_policy_version()
        .policy_arn(arn)
        .version_id(version_id)
        .send()
        .await
        .map_err(sdk_err("iam", "DeletePolicyVersion", arn))
        .map(drop)
}

pub(super) async fn tag_policy(
    c: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let tags = tags_of(tags).map_err(build_err("iam", "TagPolicy", arn))?;
    c.tag_policy()
        .policy_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(sdk_err("iam", "TagPolicy", arn))
        .map(drop)
}

pub(super) async fn untag_policy(c: &Client, arn: &str, keys: &[String]) -> Result<(), ApiError> {
    c.untag_policy()
        .policy_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await
        .map_err(sdk_err("iam", "UntagPolicy", arn))
        .map(drop)
}

pub(super) async fn delete_policy(c: &Client, arn: &str) -> Result<(), ApiError> {
    c.delete_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(sdk_err("iam", "DeletePolicy", arn))
        .map(drop)
}

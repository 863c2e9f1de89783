//! The CloudWatch Logs operations of [`super::LoggingApi`] over the SDK client.

use super::call::LOGS;
use super::LogGroupInfo;
use aws_sdk_cloudwatchlogs::Client;
use baseline_core::aws::ApiError;
use std::collections::BTreeMap;

pub(super) async fn describe_log_group(
    logs: &Client,
    name: &str,
) -> Result<Option<LogGroupInfo>, ApiError> {
    // Pages by prefix until the exact name turns up: later pages are not read.
    let mut pages = logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| LOGS.error("DescribeLogGroups", name, e))?;
        if let Some(g) = page
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
        {
            let arn = g
                .log_group_arn()
                .map(str::to_owned)
                .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_owned()))
                .unwrap_or_default();
            return Ok(Some(LogGroupInfo {
                name: name.to_owned(),
                arn,
                kms_key_id: g.kms_key_id().map(str::to_owned),
                retention_in_days: g.retention_in_days(),
            }));
        }
    }
    Ok(None)
}

pub(super) async fn log_group_tags(
    logs: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let req = logs.list_tags_for_resource().resource_arn(arn).send();
    let out = LOGS.call("ListTagsForResource", arn, req).await?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

pub(super) async fn create_log_group(
    logs: &Client,
    name: &str,
    kms_key_arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let req = logs
        .create_log_group()
        .log_group_name(name)
        .kms_key_id(kms_key_arn)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send();
    LOGS.write("CreateLogGroup", name, req).await
}

pub(super) async fn associate_kms_key(
    logs: &Client,
    name: &str,
    kms_key_arn: &str,
) -> Result<(), ApiError> {
    let req = logs
        .associate_kms_key()
        .log_group_name(name)
        .kms_key_id(kms_key_arn)
        .send();
    LOGS.write("AssociateKmsKey", name, req).await
}

pub(super) async fn put_retention(logs: &Client, name: &str, days: i32) -> Result<(), ApiError> {
    let req = logs
        .put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send();
    LOGS.write("PutRetentionPolicy", name, req).await
}

pub(super) async fn tag_log_group(
    logs: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let req = logs
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send();
    LOGS.write("TagResource", arn, req).await
}

pub(super) async fn untag_log_group(
    logs: &Client,
    arn: &str,
    keys: &[String],
) -> Result<(), ApiError> {
    let req = logs
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send();
    LOGS.write("UntagResource", arn, req).await
}

pub(super) async fn delete_log_group(logs: &Client, name: &str) -> Result<(), ApiError> {
    let req = logs.delete_log_group().log_group_name(name).send();
    LOGS.write("DeleteLogGroup", name, req).await
}

//! Bedrock's model invocation logging configuration: what it should say (pure), whether the one
//! that exists is this stack's, and apply.
//!
//! The configuration is **account-and-region-wide** (Put replaces it whole, Delete turns logging
//! off for every caller in the region). This module therefore treats an existing configuration as
//! its own only when it points at this stack's log group or bucket: it deletes only such a
//! configuration, and the plan says so when apply would replace somebody else's.

use crate::api::{CloudWatchDestination, InvocationLoggingConfig, LoggingApi, S3Destination};
use crate::LoggingError;
use baseline_core::aws::ServiceErrorKind;
use baseline_core::config::Config;
use baseline_core::resource::{Planned, Step};
use baseline_core::write::WriteResult;
use baseline_core::{Action, Change, Progress, ProgressEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// The names the configuration points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destinations<'a> {
    /// Log group name, when CloudWatch delivery is on.
    pub(crate) log_group: Option<&'a str>,
    /// Role ARN Bedrock assumes for CloudWatch delivery.
    pub(crate) role_arn: &'a str,
    /// Bucket name, when S3 delivery is on.
    pub(crate) bucket: Option<&'a str>,
}

/// `s3_log_prefix` as Bedrock's `keyPrefix`: without the trailing slash, because Bedrock writes
/// `<keyPrefix>/AWSLogs/<account>/BedrockModelInvocationLogs/...` itself.
pub(crate) fn key_prefix(s3_log_prefix: &str) -> String {
    s3_log_prefix.trim_end_matches('/').to_owned()
}

/// The desired configuration; `None` when invocation logging is off or has no destination.
pub(crate) fn desired(config: &Config, to: &Destinations<'_>) -> Option<InvocationLoggingConfig> {
    if !config.enable_model_invocation_logging || (to.log_group.is_none() && to.bucket.is_none()) {
        return None;
    }
    let prefix = key_prefix(&config.s3_log_prefix);
    let s3 = to.bucket.map(|b| S3Destination {
        bucket_name: b.to_owned(),
        key_prefix: Some(prefix.clone()),
    });
    let cloudwatch = to.log_group.map(|g| CloudWatchDestination {
        log_group_name: g.to_owned(),
        role_arn: to.role_arn.to_owned(),
        large_data_delivery_s3: to.bucket.map(|b| S3Destination {
            bucket_name: b.to_owned(),
            key_prefix: Some(format!("{}large-data", config.s3_log_prefix)),
        }),
    });
    Some(InvocationLoggingConfig {
        cloudwatch,
        s3,
        text_data_delivery: config.text_data_delivery_enabled,
        image_data_delivery: config.image_data_delivery_enabled,
        embedding_data_delivery: config.embedding_data_delivery_enabled,
        // No config keys for these: logging video or audio bodies is opt-in, and off here.
        video_data_delivery: false,
        audio_data_delivery: false,
    })
}

/// True when `existing` points at this stack's log group or bucket.
pub(crate) fn is_ours(existing: &InvocationLoggingConfig, log_group: &str, bucket: &str) -> bool {
    existing
        .cloudwatch
        .as_ref()
        .is_some_and(|c| c.log_group_name == log_group)
        || existing
            .s3
            .as_ref()
            .is_some_and(|s| s.bucket_name == bucket)
}

/// The configuration as the plan shows it.
pub(crate) fn view(c: &InvocationLoggingConfig) -> Value {
    json!(c)
}

/// A one-line description of a configuration's destinations, for notes.
pub(crate) fn describe(c: &InvocationLoggingConfig) -> String {
    let mut parts = Vec::new();
    if let Some(cw) = &c.cloudwatch {
        parts.push(format!("log group {}", cw.log_group_name));
    }
    if let Some(s3) = &c.s3 {
        parts.push(format!("bucket {}", s3.bucket_name));
    }
    parts.join(" and ")
}

/// Puts the configuration. Bedrock checks on Put that it can assume the role and write to the
/// destinations; right after the role was created IAM may not have propagated it yet, so a
/// validation error is retried on `retry` delays (empty: no retry).
pub(crate) async fn put(
    api: &dyn LoggingApi,
    config: &InvocationLoggingConfig,
    retry: &[Duration],
    address: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let start = std::time::Instant::now();
    let mut delays = retry.iter();
    loop {
        match api.put_invocation_logging(config).await {
            Err(e) if e.kind == ServiceErrorKind::Validation => match delays.next() {
                Some(delay) => {
                    progress.event(ProgressEvent::Waiting {
                        address: address.to_owned(),
                        status: "waiting for the new role to propagate".into(),
                        elapsed: start.elapsed(),
                    });
                    tokio::time::sleep(*delay).await;
                }
                None => return Err(e.into()),
            },
            other => return Ok(other?),
        }
    }
}

/// The resource type of the configuration in plans.
const TYPE: &str = "bedrock_invocation_logging";

/// The note on a configuration that is someone else's.
fn not_ours_note(have: &InvocationLoggingConfig) -> String {
    format!(
        "the region's configuration (to {}) is not this stack's: left alone",
        describe(have)
    )
}

/// One write on the region's invocation logging configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum InvocationOp {
    /// PutModelInvocationLoggingConfiguration (retried while a role made by this apply
    /// propagates).
    Put,
    /// DeleteModelInvocationLoggingConfiguration (this stack's only).
    Delete,
}

/// The plan of the configuration: `ours` says whether the one that exists is this stack's.
pub(crate) fn plan(
    address: &str,
    want: Option<&InvocationLoggingConfig>,
    have: Option<&InvocationLoggingConfig>,
    ours: bool,
) -> Option<Planned<InvocationOp>> {
    Some(match (want, have) {
        (Some(want), None) => Planned::new(
            Change::create(address, TYPE, &view(want))
                .with_note("account-and-region-wide setting: one per region"),
            vec![InvocationOp::Put],
        ),
        (Some(want), Some(have)) => {
            let change = Change::compare(address, TYPE, &view(have), &view(want), &[]);
            if !change.is_change() {
                return Some(Planned::noop(change));
            }
            let change = if ours {
                change
            } else {
                change.with_note(format!(
                    "account-and-region-wide setting: replaces the region's current configuration (to {})",
                    describe(have)
                ))
            };
            Planned::new(change, vec![InvocationOp::Put])
        }
        (None, Some(have)) if ours => Planned::new(
            Change::delete(address, TYPE, &view(have)),
            vec![InvocationOp::Delete],
        ),
        (None, Some(have)) => {
            Planned::noop(Change::noop(address, TYPE).with_note(not_ours_note(have)))
        }
        (None, None) => return None,
    })
}

/// Runs the planned put or delete; true when the configuration is this stack's afterwards.
/// `retry` are the delays while a role created by this apply propagates.
pub(crate) async fn converge(
    api: &dyn LoggingApi,
    (want, planned): (
        Option<&InvocationLoggingConfig>,
        Option<&Planned<InvocationOp>>,
    ),
    retry: &[Duration],
    address: &str,
    progress: &dyn Progress,
) -> Result<bool, LoggingError> {
    let ops = planned.map_or(&[][..], |p| p.ops.as_slice());
    match (ops, want, planned) {
        ([InvocationOp::Put], Some(want), Some(planned)) => {
            let step = Step::start(progress, address, planned.change.action);
            put(api, want, retry, address, progress).await?;
            step.exists("account");
            step.done();
            Ok(true)
        }
        ([InvocationOp::Delete], _, _) => {
            destroy(api, address, progress).await?;
            Ok(false)
        }
        _ => Ok(want.is_some()),
    }
}

/// What destroy does to the region's configuration: deletes it only when it is this stack's.
pub(crate) fn destroy_change(address: &str, have: &InvocationLoggingConfig, ours: bool) -> Change {
    if ours {
        Change::delete(address, TYPE, &view(have))
            .with_note("turns Bedrock model invocation logging off for the whole region")
    } else {
        Change::noop(address, TYPE).with_note(not_ours_note(have))
    }
}

/// Turns invocation logging off for the region (already off is fine).
pub(crate) async fn destroy(
    api: &dyn LoggingApi,
    address: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let step = Step::start(progress, address, Action::Delete);
    api.delete_invocation_logging().await.or_gone()?;
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

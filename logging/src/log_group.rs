//! The invocation log group: its desired view (name, KMS key, retention, tags) and apply.
//!
//! CloudWatch Logs takes the key only at creation (`kmsKeyId`); a drifted key is put back with
//! AssociateKmsKey, the one in-place way to change it.

use crate::api::LoggingApi;
use crate::module::{ObservedLogGroup, KNOWN_AFTER_APPLY};
use crate::LoggingError;
use baseline_core::aws::ServiceErrorKind;
use baseline_core::{Progress, ProgressEvent};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Desired log group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogGroupSpec {
    /// `/aws/bedrock/<prefix>/invocations` (always set, so destroy finds it).
    pub(crate) name: String,
    /// `arn:<p>:logs:<region>:<account>:log-group:<name>` (no trailing `:*`).
    pub(crate) arn: String,
    /// `enable_cloudwatch_logging`.
    pub(crate) enabled: bool,
    /// `log_retention_days`.
    pub(crate) retention_in_days: i32,
    /// Tags, stack tags included.
    pub(crate) tags: BTreeMap<String, String>,
}

/// What the plan shows for the log group as specified.
pub(crate) fn desired_view(spec: &LogGroupSpec, kms_key_arn: Option<&str>) -> Value {
    json!({
        "name": spec.name,
        "kms_key_id": kms_key_arn.unwrap_or(KNOWN_AFTER_APPLY),
        "retention_in_days": spec.retention_in_days,
        "tags": spec.tags,
    })
}

/// The same view of the log group as it is.
pub(crate) fn observed_view(g: &ObservedLogGroup) -> Value {
    json!({
        "name": g.info.name,
        "kms_key_id": g.info.kms_key_id,
        "retention_in_days": g.info.retention_in_days,
        "tags": g.tags,
    })
}

/// Creates or converges the log group.
pub(crate) async fn apply(
    api: &dyn LoggingApi,
    spec: &LogGroupSpec,
    observed: Option<&ObservedLogGroup>,
    kms_key_arn: &str,
    address: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let name = spec.name.as_str();
    let Some(found) = observed else {
        match api.create_log_group(name, kms_key_arn, &spec.tags).await {
            Ok(()) => {
                progress.event(ProgressEvent::Exists {
                    address: address.into(),
                    id: spec.arn.clone(),
                });
            }
            // Created after observe (an interrupted apply, a race): its state is unknown, so
            // write every setting.
            Err(e) if e.kind == ServiceErrorKind::AlreadyExists => {
                progress.event(ProgressEvent::Exists {
                    address: address.into(),
                    id: spec.arn.clone(),
                });
                api.associate_kms_key(name, kms_key_arn).await?;
                api.tag_log_group(&spec.arn, &spec.tags).await?;
            }
            Err(e) => return Err(e.into()),
        }
        api.put_retention(name, spec.retention_in_days).await?;
        return Ok(());
    };
    if found.info.kms_key_id.as_deref() != Some(kms_key_arn) {
        api.associate_kms_key(name, kms_key_arn).await?;
    }
    if found.info.retention_in_days != Some(spec.retention_in_days) {
        api.put_retention(name, spec.retention_in_days).await?;
    }
    if found.tags != spec.tags {
        let arn = if found.info.arn.is_empty() {
            spec.arn.as_str()
        } else {
            found.info.arn.as_str()
        };
        let stale: Vec<String> = found
            .tags
            .keys()
            .filter(|k| !spec.tags.contains_key(*k))
            .cloned()
            .collect();
        if !stale.is_empty() {
            api.untag_log_group(arn, &stale).await?;
        }
        let missing: BTreeMap<String, String> = spec
            .tags
            .iter()
            .filter(|(k, v)| found.tags.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !missing.is_empty() {
            api.tag_log_group(arn, &missing).await?;
        }
    }
    Ok(())
}

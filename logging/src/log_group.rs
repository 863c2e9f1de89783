//! A log group of the stack (the invocation log group, the flow-log group): its desired view
//! (name, KMS key, retention, tags), observe, plan, apply and destroy.
//!
//! CloudWatch Logs takes the key only at creation (`kmsKeyId`); a drifted key is put back with
//! AssociateKmsKey, the one in-place way to change it. Both groups hold audit data: destroy
//! keeps them unless `--delete-audit-data`.

use crate::api::{LogGroupInfo, LoggingApi};
use crate::{check_owner, LoggingError, KEPT_AUDIT_DATA, KNOWN_AFTER_APPLY};
use baseline_core::aws::ServiceErrorKind;
use baseline_core::resource::{Step, TagDelta};
use baseline_core::write::WriteResult;
use baseline_core::{Action, Change, Progress, ProgressEvent};
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

/// What exists of a log group.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedLogGroup {
    /// DescribeLogGroups.
    pub info: LogGroupInfo,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// The log group and its tags; `None` when it does not exist.
pub(crate) async fn observe(
    api: &dyn LoggingApi,
    group: &LogGroupSpec,
    stack: &str,
) -> Result<Option<ObservedLogGroup>, LoggingError> {
    let Some(info) = api.describe_log_group(&group.name).await? else {
        return Ok(None);
    };
    let arn = if info.arn.is_empty() {
        group.arn.clone()
    } else {
        info.arn.clone()
    };
    let mut tags = match api.log_group_tags(&arn).await {
        Err(e) if e.is_not_found() => return Ok(None),
        other => other?,
    };
    tags.retain(|k, _| !k.starts_with("aws:"));
    check_owner("log group", &info.name, &tags, stack)?;
    Ok(Some(ObservedLogGroup { info, tags }))
}

/// The log group's change; `off_note` says why one that exists is no longer managed.
pub(crate) fn changes(
    address: &str,
    g: &LogGroupSpec,
    observed: Option<&ObservedLogGroup>,
    key: Option<&str>,
    off_note: &str,
) -> Vec<Change> {
    match (observed, g.enabled) {
        (None, true) => vec![Change::create(address, "log_group", &desired_view(g, key))],
        (Some(found), true) => vec![Change::compare(
            address,
            "log_group",
            &observed_view(found),
            &desired_view(g, key),
            &[],
        )],
        (Some(_), false) => vec![Change::noop(address, "log_group").with_note(off_note)],
        (None, false) => Vec::new(),
    }
}

/// What destroy does to a log group that exists: kept (audit data) unless `delete`.
pub(crate) fn destroy_change(address: &str, found: &ObservedLogGroup, delete: bool) -> Change {
    if delete {
        Change::delete(address, "log_group", &observed_view(found))
    } else {
        Change::noop(address, "log_group").with_note(KEPT_AUDIT_DATA)
    }
}

/// Deletes a log group (already gone is fine).
pub(crate) async fn destroy(
    api: &dyn LoggingApi,
    name: &str,
    address: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let step = Step::start(progress, address, Action::Delete);
    api.delete_log_group(name).await.or_gone()?;
    step.done();
    Ok(())
}

/// Applies the planned action of an enabled log group, with its progress events.
pub(crate) async fn converge(
    api: &dyn LoggingApi,
    spec: &LogGroupSpec,
    observed: Option<&ObservedLogGroup>,
    (kms_key_arn, address, action): (&str, &str, Action),
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    if !spec.enabled || action == Action::NoOp {
        return Ok(());
    }
    let step = Step::start(progress, address, action);
    apply(api, spec, observed, kms_key_arn, address, progress).await?;
    step.done();
    Ok(())
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
        // Observe dropped the `aws:` tags, so the delta removes exactly the stale ones.
        let delta = TagDelta::between(&found.tags, &spec.tags);
        if !delta.remove.is_empty() {
            api.untag_log_group(arn, &delta.remove).await?;
        }
        if !delta.set.is_empty() {
            api.tag_log_group(arn, &delta.set).await?;
        }
    }
    Ok(())
}

//! A log group of the stack (the invocation log group, the flow-log group): its desired view
//! (name, KMS key, retention, tags), observe, plan (typed [`LogGroupOp`]s), their execution
//! and destroy.
//!
//! CloudWatch Logs takes the key only at creation (`kmsKeyId`); a drifted key is put back with
//! AssociateKmsKey, the one in-place way to change it. Both groups hold audit data: destroy
//! keeps them unless `--delete-audit-data`.

use crate::api::{LogGroupInfo, LoggingApi};
use crate::{check_owner, LoggingError, KEPT_AUDIT_DATA, KNOWN_AFTER_APPLY};
use baseline_core::resource::{without_reserved_tags, Planned, Step, TagDelta};
use baseline_core::write::WriteResult;
use baseline_core::{Action, Change, Progress};
use serde::{Deserialize, Serialize};
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
    let tags = match api.log_group_tags(&arn).await {
        Err(e) if e.is_not_found() => return Ok(None),
        other => other?,
    };
    let tags = without_reserved_tags(tags);
    check_owner("log group", &info.name, &tags, stack)?;
    Ok(Some(ObservedLogGroup { info, tags }))
}

/// One write on a log group, decided by [`plan`] and run by [`converge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum LogGroupOp {
    /// CreateLogGroup with the key and the tags (AlreadyExists: made after observe, so the key
    /// and tags are written too), then PutRetentionPolicy.
    Create,
    /// AssociateKmsKey: CloudWatch Logs takes the key only at creation, this is the one
    /// in-place way to change it.
    AssociateKey,
    /// PutRetentionPolicy.
    PutRetention,
    /// UntagResource then TagResource.
    Tag(TagDelta),
}

/// The log group's plan; `off_note` says why one that exists is no longer managed (`None`:
/// neither wanted nor there).
pub(crate) fn plan(
    address: &str,
    g: &LogGroupSpec,
    observed: Option<&ObservedLogGroup>,
    key: Option<&str>,
    off_note: &str,
) -> Option<Planned<LogGroupOp>> {
    match (observed, g.enabled) {
        (None, true) => Some(Planned::new(
            Change::create(address, "log_group", &desired_view(g, key)),
            vec![LogGroupOp::Create],
        )),
        (Some(found), true) => {
            let change = Change::compare(
                address,
                "log_group",
                &observed_view(found),
                &desired_view(g, key),
                &[],
            );
            let key_differs =
                found.info.kms_key_id.as_deref() != Some(key.unwrap_or(KNOWN_AFTER_APPLY));
            let retention_differs = found.info.retention_in_days != Some(g.retention_in_days);
            // Observe dropped the `aws:` tags, so the delta removes exactly the stale ones.
            let tags = TagDelta::between(&found.tags, &g.tags);
            let ops = key_differs
                .then_some(LogGroupOp::AssociateKey)
                .into_iter()
                .chain(retention_differs.then_some(LogGroupOp::PutRetention))
                .chain((!tags.is_empty()).then_some(LogGroupOp::Tag(tags)))
                .collect();
            Some(Planned::new(change, ops))
        }
        (Some(_), false) => Some(Planned::noop(
            Change::noop(address, "log_group").with_note(off_note),
        )),
        (None, false) => None,
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

/// Runs the planned ops of an enabled log group, with its progress events.
pub(crate) async fn converge(
    api: &dyn LoggingApi,
    spec: &LogGroupSpec,
    observed: Option<&ObservedLogGroup>,
    (kms_key_arn, address, planned): (&str, &str, Option<&Planned<LogGroupOp>>),
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let Some(planned) = planned.filter(|p| spec.enabled && p.is_change()) else {
        return Ok(());
    };
    let step = Step::start(progress, address, planned.change.action);
    let name = spec.name.as_str();
    let arn = match observed {
        Some(found) if !found.info.arn.is_empty() => found.info.arn.as_str(),
        _ => spec.arn.as_str(),
    };
    for op in &planned.ops {
        match op {
            LogGroupOp::Create => {
                match api.create_log_group(name, kms_key_arn, &spec.tags).await {
                    Ok(()) => step.exists(spec.arn.clone()),
                    // Created after observe (an interrupted apply, a race): its state is
                    // unknown, so write every setting.
                    Err(e) if e.is_already_exists() => {
                        step.exists(spec.arn.clone());
                        api.associate_kms_key(name, kms_key_arn).await?;
                        api.tag_log_group(&spec.arn, &spec.tags).await?;
                    }
                    Err(e) => return Err(e.into()),
                }
                api.put_retention(name, spec.retention_in_days).await?;
            }
            LogGroupOp::AssociateKey => api.associate_kms_key(name, kms_key_arn).await?,
            LogGroupOp::PutRetention => api.put_retention(name, spec.retention_in_days).await?,
            LogGroupOp::Tag(delta) => {
                if !delta.remove.is_empty() {
                    api.untag_log_group(arn, &delta.remove).await?;
                }
                if !delta.set.is_empty() {
                    api.tag_log_group(arn, &delta.set).await?;
                }
            }
        }
    }
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

//! The `cloudwatch_anomaly_detector` resource: the single-metric models the anomaly-band alarms
//! evaluate against. Detectors are account-level (no name, no tags, one per metric and
//! statistic), so two stacks in one account share them: the stack keeps the ones it would
//! create or its alarms use, and deletes one only when no alarm outside the stack still uses it.

use crate::alarm::Owned;
use crate::alarms::{DetectorDef, DetectorSpec, MetricAlarmDef};
use crate::api::MonitoringApi;
use crate::module::MonitoringSpec;
use crate::MonitoringError;
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::write::WriteResult;
use baseline_core::{Action, Change, Progress, ProgressEvent};
use serde_json::json;
use std::collections::BTreeSet;

/// Resource type in plans.
pub(crate) const KIND: &str = "cloudwatch_anomaly_detector";

/// Shown beside every planned detector deletion.
const SHARED_NOTE: &str = "kept if alarms outside the stack still use it";

fn address(key: &str) -> String {
    format!("monitoring.anomaly_detector[\"{key}\"]")
}

/// Detectors the stack's existing anomaly alarms evaluate against.
fn claimed(alarms: &Owned<MetricAlarmDef>) -> BTreeSet<DetectorDef> {
    alarms
        .values()
        .filter_map(|a| a.def.anomaly_detector())
        .collect()
}

/// Of the account's detectors (`listed`, DescribeAnomalyDetectors), the ones the stack's
/// alarms use or the module may create.
pub(crate) fn owned(
    listed: Vec<DetectorDef>,
    alarms: &Owned<MetricAlarmDef>,
    universe: &[DetectorSpec],
) -> Vec<DetectorDef> {
    let claimed = claimed(alarms);
    listed
        .into_iter()
        .filter(|d| claimed.contains(d) || universe.iter().any(|o| &o.def == d))
        .collect()
}

/// The existing detectors `keep` selects, told whether the stack's own alarms use each.
fn select(
    existing: &[DetectorDef],
    alarms: &Owned<MetricAlarmDef>,
    keep: impl Fn(&DetectorDef, bool) -> bool,
) -> Vec<DetectorDef> {
    let claimed = claimed(alarms);
    existing
        .iter()
        .filter(|d| keep(d, claimed.contains(*d)))
        .cloned()
        .collect()
}

/// Existing detectors that are no longer wanted and that the stack's own alarms used.
pub(crate) fn stale(
    spec: &MonitoringSpec,
    existing: &[DetectorDef],
    alarms: &Owned<MetricAlarmDef>,
) -> Vec<DetectorDef> {
    let wanted: BTreeSet<&DetectorDef> = spec.detectors.iter().map(|d| &d.def).collect();
    select(existing, alarms, |d, claimed| {
        claimed && !wanted.contains(d)
    })
}

/// Detectors destroy removes: those the stack's alarms use, and the ones it would create.
pub(crate) fn for_destroy(
    spec: &MonitoringSpec,
    existing: &[DetectorDef],
    alarms: &Owned<MetricAlarmDef>,
) -> Vec<DetectorDef> {
    select(existing, alarms, |d, claimed| {
        claimed || spec.detectors.iter().any(|s| &s.def == d)
    })
}

fn key(spec: &MonitoringSpec, def: &DetectorDef) -> String {
    spec.owned_detectors
        .iter()
        .find(|d| &d.def == def)
        .map(|d| d.key.clone())
        .unwrap_or_else(|| def.metric.metric_name.clone())
}

/// The only write a wanted detector needs: PutAnomalyDetector when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum DetectorOp {
    /// PutAnomalyDetector.
    Create,
}

/// The resource kind of the anomaly detectors: created when missing, else nothing (a detector
/// has no settings, so one found is the one wanted).
pub(crate) struct AnomalyDetector;

impl ResourceKind for AnomalyDetector {
    const KIND: &'static str = KIND;
    type Desired<'a> = DetectorSpec;
    type Current = DetectorDef;
    type Op = DetectorOp;

    fn plan(address: &str, d: &DetectorSpec, found: Option<&DetectorDef>) -> Planned<DetectorOp> {
        match found {
            Some(_) => Planned::noop(Change::noop(address, KIND)),
            None => Planned::new(
                Change::create(address, KIND, &json!(d.def)),
                vec![DetectorOp::Create],
            ),
        }
    }
}

/// A wanted detector's plan against the detectors that exist (see [`AnomalyDetector`]).
pub(crate) fn plan(d: &DetectorSpec, existing: &[DetectorDef]) -> Planned<DetectorOp> {
    let found = existing.iter().find(|e| **e == d.def);
    AnomalyDetector::plan(&address(&d.key), d, found)
}

/// Deleting a detector, as plans show it.
pub(crate) fn plan_delete(spec: &MonitoringSpec, def: &DetectorDef) -> Change {
    Change::delete(address(&key(spec, def)), KIND, &json!(def)).with_note(SHARED_NOTE)
}

/// Runs the planned writes of one wanted detector.
pub(crate) async fn execute<A: MonitoringApi>(
    api: &A,
    d: &DetectorSpec,
    planned: &Planned<DetectorOp>,
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    api.put_anomaly_detector(&d.def).await?;
    step.exists(format!(
        "{}/{}:{}",
        d.def.metric.namespace, d.def.metric.metric_name, d.def.stat
    ));
    step.done();
    Ok(())
}

/// Deletes detectors unless an alarm outside this stack still evaluates against them (one
/// DescribeAlarms of the whole account tells).
pub(crate) async fn delete<A: MonitoringApi>(
    api: &A,
    spec: &MonitoringSpec,
    candidates: Vec<DetectorDef>,
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    if candidates.is_empty() {
        return Ok(());
    }
    let everyone = api.describe_alarms(None).await?;
    let in_use: BTreeSet<DetectorDef> = everyone
        .metric
        .iter()
        .filter(|a| !spec.owned_names.contains(&a.def.name))
        .filter_map(|a| a.def.anomaly_detector())
        .collect();
    for def in candidates {
        let address = address(&key(spec, &def));
        if in_use.contains(&def) {
            progress.event(ProgressEvent::Warning {
                message: format!(
                    "{address} kept: alarms outside stack {} still use it",
                    spec.stack
                ),
            });
            continue;
        }
        let step = Step::start(progress, address, Action::Delete);
        api.delete_anomaly_detector(&def).await.or_gone()?;
        step.done();
    }
    Ok(())
}

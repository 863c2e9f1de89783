//! The `Module` impl: wires the resource kinds (`alarm`, `anomaly_detector`, `dashboard`,
//! `event_rule`, `log_analysis`) in plan and apply order; the desired state is built in
//! `module/spec.rs`.
//!
//! Observe reads everything side by side: one paginated DescribeAlarms (name prefix
//! `<prefix>-`, both alarm types) and then ListTagsForResource per owned alarm (32 in flight;
//! DescribeAlarms carries no tags), one paginated DescribeAnomalyDetectors, GetDashboard,
//! one paginated ListRules for the owned rules and, for each that exists, ListTargetsByRule and
//! its tags, and the log analysis reads. Apply writes only what the plan shows: missing detectors, changed
//! metric alarms concurrently (8 in flight), then composites (after the alarms they name
//! exist), then deletions (composites before the metric alarms they reference, detectors last),
//! the dashboard, the rules and the log analysis.

mod spec;

pub use spec::MonitoringSpec;

use crate::alarm::{self, AlarmDef, ObservedAlarm};
use crate::alarms::{
    AlarmSpec, CompositeAlarmDef, DetectorDef, MetricAlarmDef, TRAINING_RULE_KEY as RULE_KEY,
    UNKNOWN,
};
use crate::anomaly_detector;
use crate::api::{MonitoringApi, SdkMonitoringApi};
use crate::dashboard;
use crate::event_rule::{self, ObservedRule, RuleDef};
use crate::log_analysis::{self, LogAnalysisObserved};
use crate::{MonitoringError, MonitoringInputs, MonitoringOutputs};
use async_trait::async_trait;
use baseline_core::{AwsContext, Change, Config, DestroyOptions, Module, Progress};
use futures::stream::{self, StreamExt};
use serde_json::Value;
use std::collections::BTreeMap;

/// Alarm (and rule) writes in flight at once: CloudWatch's PutMetricAlarm rate limit is modest
/// (the quota page, cloudwatch_limits.html, lists API rates per account and Region).
const CONCURRENCY: usize = 8;
const CONFIG_WARNING: &str = "config_warning";

/// The routing of an alarm, shown beside its change in `plan`.
fn route_note(spec: &MonitoringSpec, a: &AlarmSpec) -> String {
    let health = if a.in_health {
        ", in comprehensive-health"
    } else {
        ""
    };
    if !spec.alerting {
        format!("no action: enable_alerting = false{health}")
    } else {
        format!("notifies the {} topic{health}", a.topic.as_str())
    }
}

/// Adds the routing note to a change; a no-op stays bare (`plan` lists noted no-ops apart).
fn routed(change: Change, note: String) -> Change {
    if change.is_change() {
        change.with_note(note)
    } else {
        change
    }
}

/// What exists of the stack's monitoring.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonitoringObserved {
    /// Owned metric alarms by name.
    pub metric_alarms: BTreeMap<String, ObservedAlarm<MetricAlarmDef>>,
    /// Owned composite alarms by name.
    pub composite_alarms: BTreeMap<String, ObservedAlarm<CompositeAlarmDef>>,
    /// Existing detectors the module creates or the stack's alarms use.
    pub detectors: Vec<DetectorDef>,
    /// The dashboard body, parsed (a string when it is not JSON).
    pub dashboard: Option<Value>,
    /// Existing rules of the stack, by key.
    pub rules: BTreeMap<String, ObservedRule>,
    /// Existing metric filters and saved queries of the stack.
    pub log_analysis: LogAnalysisObserved,
}

/// The monitoring module.
pub struct MonitoringModule<A = SdkMonitoringApi> {
    api: A,
    ctx: AwsContext,
}

impl MonitoringModule<SdkMonitoringApi> {
    /// The module over the SDK clients built from `ctx`.
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            api: SdkMonitoringApi::new(ctx),
            ctx: ctx.clone(),
        }
    }
}

fn key_of<'a>(spec: &MonitoringSpec, name: &'a str) -> &'a str {
    name.strip_prefix(spec.alarm_prefix.as_str())
        .unwrap_or(name)
}

/// Existing alarms the spec no longer wants, as (name, address).
fn stale<D: AlarmDef>(
    spec: &MonitoringSpec,
    existing: &alarm::Owned<D>,
    wanted: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    existing
        .keys()
        .filter(|n| !wanted(n))
        .map(|n| (n.clone(), D::address(key_of(spec, n))))
        .collect()
}

fn stale_composites(spec: &MonitoringSpec, observed: &MonitoringObserved) -> Vec<(String, String)> {
    stale(spec, &observed.composite_alarms, |n| {
        spec.composites.iter().any(|c| c.def.name == n)
    })
}

fn stale_alarms(spec: &MonitoringSpec, observed: &MonitoringObserved) -> Vec<(String, String)> {
    stale(spec, &observed.metric_alarms, |n| {
        spec.alarms.iter().any(|a| a.def.name == n)
    })
}

/// Every existing alarm of a kind, as (name, address): what destroy deletes.
fn every<D: AlarmDef>(spec: &MonitoringSpec, existing: &alarm::Owned<D>) -> Vec<(String, String)> {
    stale(spec, existing, |_| false)
}

fn wanted_rule<'a>(spec: &'a MonitoringSpec, key: &str) -> Option<&'a RuleDef> {
    spec.rules.iter().find(|(k, _)| k == key).map(|(_, r)| r)
}

/// The first desired value still unknown at apply time, if any.
fn unknown_input(spec: &MonitoringSpec) -> Option<String> {
    let alarms = spec.alarms.iter().map(|a| {
        (
            a.def.name.as_str(),
            serde_json::to_string(&a.def).unwrap_or_default(),
        )
    });
    let composites = spec.composites.iter().map(|c| {
        (
            c.def.name.as_str(),
            serde_json::to_string(&c.def).unwrap_or_default(),
        )
    });
    let rule = spec.rules.iter().map(|(_, r)| {
        (
            r.name.as_str(),
            serde_json::to_string(r).unwrap_or_default(),
        )
    });
    alarms
        .chain(composites)
        .chain(rule)
        .find(|(_, text)| text.contains(UNKNOWN))
        .map(|(name, _)| name.to_owned())
}

fn first_error(results: Vec<Result<(), MonitoringError>>) -> Result<(), MonitoringError> {
    results
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .map(|_| ())
}

impl<A: MonitoringApi> MonitoringModule<A> {
    /// The module over any [`MonitoringApi`] (mocks, clients with test interceptors).
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        Self {
            api,
            ctx: ctx.clone(),
        }
    }

    fn alarm_arn(&self, name: &str) -> String {
        spec::alarm_arn(&self.ctx, name)
    }

    /// Plans and converges one alarm of either kind.
    async fn converge<D: AlarmDef>(
        &self,
        spec: &MonitoringSpec,
        key: &str,
        def: &D,
        found: Option<&ObservedAlarm<D>>,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        let planned = alarm::plan(key, def, &spec.tags, found);
        let arn = found.map_or_else(|| self.alarm_arn(def.name()), |o| o.arn.clone());
        alarm::execute(&self.api, def, &spec.tags, &arn, &planned, progress).await
    }

    fn outputs(&self, spec: &MonitoringSpec) -> MonitoringOutputs {
        let mut alarm_names: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for a in &spec.alarms {
            alarm_names
                .entry(a.group.as_str().to_owned())
                .or_default()
                .push(a.def.name.clone());
        }
        MonitoringOutputs {
            alarm_names,
            composite_alarm_names: spec.composites.iter().map(|c| c.def.name.clone()).collect(),
            anomaly_detectors: spec.detectors.len(),
            dashboard_name: Some(spec.dashboard_name.clone()),
            training_rule_name: spec
                .rules
                .iter()
                .find(|(k, _)| k == RULE_KEY)
                .map(|(_, r)| r.name.clone()),
            event_rule_names: spec.rules.iter().map(|(_, r)| r.name.clone()).collect(),
            metric_filter_names: spec.log_analysis.filter_names(),
            query_definition_names: spec.log_analysis.query_names(),
        }
    }
}

#[async_trait]
impl<A: MonitoringApi> Module for MonitoringModule<A> {
    type Inputs = MonitoringInputs;
    type Spec = MonitoringSpec;
    type Observed = MonitoringObserved;
    type Outputs = MonitoringOutputs;
    type Error = MonitoringError;

    fn name(&self) -> &'static str {
        "monitoring"
    }

    fn spec(
        &self,
        config: &Config,
        inputs: &MonitoringInputs,
    ) -> Result<MonitoringSpec, MonitoringError> {
        Ok(spec::build(&self.ctx, config, inputs))
    }

    async fn observe(&self, spec: &MonitoringSpec) -> Result<MonitoringObserved, MonitoringError> {
        // No read needs another's answer (the detectors are filtered by the alarms afterwards):
        // read them side by side.
        let (alarms, detectors, dashboard, rules, logs) = futures::join!(
            alarm::observe(&self.api, &spec.alarm_prefix, &spec.owned_names),
            self.api.describe_anomaly_detectors(),
            dashboard::observe(&self.api, &spec.dashboard_name),
            event_rule::observe(&self.api, &spec.owned_rules),
            log_analysis::observe(&self.api, &spec.log_analysis),
        );
        let (metric_alarms, composite_alarms) = alarms?;
        let detectors = anomaly_detector::owned(detectors?, &metric_alarms, &spec.owned_detectors);
        Ok(MonitoringObserved {
            metric_alarms,
            composite_alarms,
            detectors,
            dashboard: dashboard?,
            rules: rules?,
            log_analysis: logs?,
        })
    }

    /// Observe reads by the stack's names and prefixes and keeps what the spec owns; the log
    /// group the filters sit on and the owned detectors may come from upstream, so they must
    /// match too. Topics, the guardrail and the watched key only shape what is written.
    fn observes_alike(
        &self,
        before: &MonitoringSpec,
        now: &MonitoringSpec,
        _: &MonitoringObserved,
    ) -> bool {
        before.alarm_prefix == now.alarm_prefix
            && before.owned_names == now.owned_names
            && before.owned_detectors == now.owned_detectors
            && before.dashboard_name == now.dashboard_name
            && before.owned_rules == now.owned_rules
            && before.log_analysis.stack == now.log_analysis.stack
            && before.log_analysis.log_group == now.log_analysis.log_group
    }

    fn diff(&self, spec: &MonitoringSpec, observed: &MonitoringObserved) -> Vec<Change> {
        let mut changes: Vec<Change> = spec
            .detectors
            .iter()
            .map(|d| anomaly_detector::plan(d, &observed.detectors).shown())
            .collect();
        for a in &spec.alarms {
            let found = observed.metric_alarms.get(&a.def.name);
            let planned = alarm::plan(&a.key, &a.def, &spec.tags, found);
            changes.push(routed(planned.shown(), route_note(spec, a)));
        }
        let route = if spec.alerting {
            "notifies the critical topic"
        } else {
            "no action: enable_alerting = false"
        };
        for c in &spec.composites {
            let found = observed.composite_alarms.get(&c.def.name);
            let planned = alarm::plan(&c.key, &c.def, &spec.tags, found);
            changes.push(routed(planned.shown(), route.to_owned()));
        }
        for (name, _) in stale_composites(spec, observed) {
            let o = &observed.composite_alarms[&name];
            changes.push(alarm::plan_delete(key_of(spec, &name), o));
        }
        for (name, _) in stale_alarms(spec, observed) {
            let o = &observed.metric_alarms[&name];
            changes.push(alarm::plan_delete(key_of(spec, &name), o));
        }
        for d in anomaly_detector::stale(spec, &observed.detectors, &observed.metric_alarms) {
            changes.push(anomaly_detector::plan_delete(spec, &d));
        }
        for (key, message) in &spec.warnings {
            changes.push(
                Change::noop(
                    format!("monitoring.config_warning[\"{key}\"]"),
                    CONFIG_WARNING,
                )
                .with_note(message.clone()),
            );
        }
        let body = observed.dashboard.as_ref();
        changes.push(dashboard::plan(&spec.dashboard_name, &spec.dashboard_body, body).shown());
        for (key, _) in &spec.owned_rules {
            let have = observed.rules.get(key);
            if let Some(p) = event_rule::plan(key, wanted_rule(spec, key), have, &spec.tags) {
                changes.push(p.shown());
            }
        }
        changes.extend(log_analysis::diff(
            &spec.log_analysis,
            &observed.log_analysis,
        ));
        changes
    }

    fn planned_outputs(
        &self,
        spec: &MonitoringSpec,
        observed: &MonitoringObserved,
    ) -> Option<MonitoringOutputs> {
        let complete = spec
            .alarms
            .iter()
            .all(|a| observed.metric_alarms.contains_key(&a.def.name))
            && spec
                .composites
                .iter()
                .all(|c| observed.composite_alarms.contains_key(&c.def.name))
            && spec
                .detectors
                .iter()
                .all(|d| observed.detectors.contains(&d.def))
            && observed.dashboard.is_some()
            && spec
                .rules
                .iter()
                .all(|(k, _)| observed.rules.contains_key(k))
            && spec.log_analysis.complete(&observed.log_analysis);
        complete.then(|| self.outputs(spec))
    }

    async fn apply(
        &self,
        spec: &MonitoringSpec,
        observed: &MonitoringObserved,
        progress: &dyn Progress,
    ) -> Result<MonitoringOutputs, MonitoringError> {
        if let Some(resource) = unknown_input(spec) {
            return Err(MonitoringError::UnknownInput { resource });
        }
        // Three independent chains side by side: the alarms (and the dashboard that shows
        // them), the EventBridge rules, the log analysis. Nothing in one names anything in
        // another that CloudWatch checks at write time (rules target topics; alarms on a
        // metric filter's metric may exist before the filter).
        let alarms_and_dashboard = async {
            // Detectors first: the anomaly-band alarms evaluate against them.
            futures::future::try_join_all(spec.detectors.iter().map(|d| {
                let planned = anomaly_detector::plan(d, &observed.detectors);
                async move { anomaly_detector::execute(&self.api, d, &planned, progress).await }
            }))
            .await?;
            // Futures do nothing until polled, so building them all up front still keeps at
            // most CONCURRENCY writes in flight (and avoids a higher-ranked closure async_trait
            // rejects).
            let writes: Vec<_> = spec
                .alarms
                .iter()
                .map(|a| {
                    let found = observed.metric_alarms.get(&a.def.name);
                    self.converge(spec, &a.key, &a.def, found, progress)
                })
                .collect();
            first_error(
                stream::iter(writes)
                    .buffer_unordered(CONCURRENCY)
                    .collect()
                    .await,
            )?;
            // Composites after the metric alarms they name (CloudWatch checks the rule's alarms
            // exist), one after another (one may name another), and before any metric alarm
            // they stop naming is deleted. The dashboard shows only the metric alarms, so it
            // goes beside the composites.
            let composites = async {
                for c in &spec.composites {
                    let found = observed.composite_alarms.get(&c.def.name);
                    self.converge(spec, &c.key, &c.def, found, progress).await?;
                }
                Ok::<_, MonitoringError>(())
            };
            let dashboard = async {
                let body = observed.dashboard.as_ref();
                let planned = dashboard::plan(&spec.dashboard_name, &spec.dashboard_body, body);
                dashboard::execute(
                    &self.api,
                    &spec.dashboard_name,
                    &spec.dashboard_body,
                    &planned,
                    progress,
                )
                .await
            };
            futures::try_join!(composites, dashboard)?;
            alarm::delete::<CompositeAlarmDef, _>(
                &self.api,
                &stale_composites(spec, observed),
                progress,
            )
            .await?;
            alarm::delete::<MetricAlarmDef, _>(&self.api, &stale_alarms(spec, observed), progress)
                .await?;
            let stale = anomaly_detector::stale(spec, &observed.detectors, &observed.metric_alarms);
            anomaly_detector::delete(&self.api, spec, stale, progress).await?;
            Ok::<_, MonitoringError>(())
        };
        let rules = async {
            let writes: Vec<_> = spec
                .owned_rules
                .iter()
                .filter_map(|(key, name)| {
                    let (want, have) = (wanted_rule(spec, key), observed.rules.get(key));
                    let planned = event_rule::plan(key, want, have, &spec.tags)?;
                    Some(async move {
                        event_rule::execute(
                            &self.api, name, want, have, &spec.tags, &planned, progress,
                        )
                        .await
                    })
                })
                .collect();
            first_error(
                stream::iter(writes)
                    .buffer_unordered(CONCURRENCY)
                    .collect()
                    .await,
            )
        };
        let logs = async {
            log_analysis::apply(
                &self.api,
                &spec.log_analysis,
                &observed.log_analysis,
                progress,
            )
            .await?;
            Ok::<_, MonitoringError>(())
        };
        // The first error stops the others (as when they ran one after another); a write cut
        // off is one an interrupted apply would leave, and the next apply converges it.
        futures::try_join!(alarms_and_dashboard, rules, logs)?;
        Ok(self.outputs(spec))
    }

    fn destroy_plan(
        &self,
        spec: &MonitoringSpec,
        observed: &MonitoringObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        let composites = observed
            .composite_alarms
            .iter()
            .map(|(name, o)| alarm::plan_delete(key_of(spec, name), o));
        let alarms = observed
            .metric_alarms
            .iter()
            .map(|(name, o)| alarm::plan_delete(key_of(spec, name), o));
        let mut changes: Vec<Change> = composites.chain(alarms).collect();
        for d in anomaly_detector::for_destroy(spec, &observed.detectors, &observed.metric_alarms) {
            changes.push(anomaly_detector::plan_delete(spec, &d));
        }
        if let Some(body) = &observed.dashboard {
            changes.push(dashboard::plan_delete(&spec.dashboard_name, body));
        }
        for (key, rule) in &observed.rules {
            changes.push(event_rule::plan_delete(key, rule).shown());
        }
        changes.extend(log_analysis::destroy_plan(&observed.log_analysis));
        changes
    }

    async fn destroy(
        &self,
        spec: &MonitoringSpec,
        observed: &MonitoringObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        alarm::delete::<CompositeAlarmDef, _>(
            &self.api,
            &every(spec, &observed.composite_alarms),
            progress,
        )
        .await?;
        alarm::delete::<MetricAlarmDef, _>(
            &self.api,
            &every(spec, &observed.metric_alarms),
            progress,
        )
        .await?;
        let detectors =
            anomaly_detector::for_destroy(spec, &observed.detectors, &observed.metric_alarms);
        anomaly_detector::delete(&self.api, spec, detectors, progress).await?;
        if observed.dashboard.is_some() {
            dashboard::delete(&self.api, &spec.dashboard_name, progress).await?;
        }
        for (key, rule) in &observed.rules {
            event_rule::delete(&self.api, key, rule, progress).await?;
        }
        log_analysis::destroy(&self.api, &observed.log_analysis, progress).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

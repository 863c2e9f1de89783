//! The reconcile steps for the alarms, anomaly detectors, composite alarms, dashboard and
//! training-job rule.
//!
//! Observe reads with a handful of calls: one paginated DescribeAlarms (name prefix `<prefix>-`,
//! both alarm types), ListTagsForResource per owned alarm (8 in flight; DescribeAlarms carries no
//! tags), one paginated DescribeAnomalyDetectors, GetDashboard, DescribeRule and, when the rule
//! exists, ListTargetsByRule and its tags. Apply writes only what differs: changed metric alarms
//! concurrently (8 in flight), then composites (after the alarms they name exist), then deletions
//! (composites before the metric alarms they reference, detectors last).

use crate::alarms::{
    catalog, universe_names, AlarmSpec, CatalogContext, CompositeAlarmDef, CompositeSpec,
    DetectorDef, DetectorSpec, MetricAlarmDef, UNKNOWN,
};
use crate::api::{MonitoringApi, SdkMonitoringApi};
use crate::dashboard;
use crate::log_analysis::{self, LogAnalysisObserved, LogAnalysisSpec};
use crate::tamper::{self, TamperContext};
use crate::training::{self, RuleDef};
use crate::{MonitoringError, MonitoringInputs, MonitoringOutputs};
use async_trait::async_trait;
use baseline_core::event_rules;
use baseline_core::{
    Action, AwsContext, Change, Config, DestroyOptions, Module, Progress, ProgressEvent,
};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Metric alarm writes in flight at once (CloudWatch's PutMetricAlarm rate limit is modest).
const CONCURRENCY: usize = 8;
/// DeleteAlarms takes at most 100 names.
const DELETE_BATCH: usize = 100;

const ALARM: &str = "cloudwatch_metric_alarm";
const COMPOSITE: &str = "cloudwatch_composite_alarm";
const DETECTOR: &str = "cloudwatch_anomaly_detector";
const DASHBOARD: &str = "cloudwatch_dashboard";
const RULE: &str = "eventbridge_rule";
const DASHBOARD_ADDRESS: &str = "monitoring.dashboard";
const RULE_KEY: &str = crate::alarms::TRAINING_RULE_KEY;
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

/// The stack's resources the tamper rules watch. A resource the config manages but whose id is
/// not known yet (plan before the first apply) is a placeholder, which apply refuses.
fn tamper_context(
    c: &Config,
    inputs: &MonitoringInputs,
    guardrail_arn: Option<&str>,
) -> TamperContext {
    let known = |v: &Option<String>| Some(v.clone().unwrap_or_else(|| UNKNOWN.to_owned()));
    // Which rules exist is the config's decision, shared with the topic and key policies.
    let on = |key: &str| event_rules::is_enabled(c, key);
    let guardrail = on("tamper-guardrail");
    TamperContext {
        kms_key_arn: known(&inputs.kms_key_arn),
        kms_key_id: known(&inputs.kms_key_id),
        bucket_name: on("tamper-log-bucket")
            .then(|| known(&inputs.log_bucket_name))
            .flatten(),
        endpoint_ids: if !on("tamper-vpc-endpoints") {
            Vec::new()
        } else if inputs.endpoint_ids.is_empty() {
            vec![UNKNOWN.to_owned()]
        } else {
            inputs.endpoint_ids.values().cloned().collect()
        },
        topic_arns: if c.enable_alerting {
            let mut t: Vec<String> = inputs
                .topic_arns
                .values()
                .map(|a| a.as_str().to_owned())
                .collect();
            if t.is_empty() {
                t.push(UNKNOWN.to_owned());
            }
            t
        } else {
            Vec::new()
        },
        guardrail_id: guardrail.then(|| {
            inputs
                .guardrail_id
                .as_ref()
                .map(|g| g.as_str().to_owned())
                .unwrap_or_else(|| UNKNOWN.to_owned())
        }),
        guardrail_arn: guardrail.then(|| guardrail_arn.unwrap_or(UNKNOWN).to_owned()),
        logging: on("tamper-invocation-logging"),
        guardrail,
    }
}

/// Keys that are accepted but cannot do what their name says, with the plain reason.
fn config_warnings(c: &Config) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if c.enable_api_call_monitoring {
        // Docs: no Bedrock page lists AWS/Usage CallCount (checked: runtime, agents, guardrails,
        // knowledge-base and quota pages), so an alarm on it may never see a datapoint.
        out.push((
            "enable_api_call_monitoring".to_owned(),
            "no API-call alarm is created: no AWS page documents AWS/Usage CallCount for Bedrock, \
             and Resource=InvokeModel would miss Converse, streaming and agent calls; \
             runtime-invocations-anomaly (AWS/Bedrock Invocations, all four runtime operations) \
             watches API traffic instead"
                .to_owned(),
        ));
    }
    let default = Config::default();
    if c.enable_knowledge_base_monitoring
        && c.kb_latency_threshold_ms != default.kb_latency_threshold_ms
    {
        out.push((
            "kb_latency_threshold_ms".to_owned(),
            "ignored: AWS publishes no latency metric for knowledge bases (only Invocations, \
             ClientErrors, ServerErrors, Throttles for managed knowledge bases)"
                .to_owned(),
        ));
    }
    if c.enable_token_monitoring
        && c.enable_token_anomaly_detection
        && c.token_anomaly_threshold_value.is_none()
    {
        out.push((
            "token_anomaly_threshold_value".to_owned(),
            "not set: no static token alarm (the token anomaly bands still run); set it to the \
             tokens per alarm_period that should page"
                .to_owned(),
        ));
    }
    if c.enable_knowledge_base_monitoring {
        out.push((
            "enable_knowledge_base_monitoring".to_owned(),
            "the kb-* alarms watch AWS/Bedrock/KnowledgeBases Operation=Retrieve, which AWS \
             documents for managed knowledge bases only; other knowledge bases publish nothing there"
                .to_owned(),
        ));
    }
    out
}

fn alarm_address(key: &str) -> String {
    format!("monitoring.alarm[\"{key}\"]")
}

fn composite_address(key: &str) -> String {
    format!("monitoring.composite_alarm[\"{key}\"]")
}

fn detector_address(key: &str) -> String {
    format!("monitoring.anomaly_detector[\"{key}\"]")
}

fn rule_address(key: &str) -> String {
    format!("monitoring.event_rule[\"{key}\"]")
}

/// Desired monitoring resources.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringSpec {
    /// Stack name.
    pub stack: String,
    /// `<prefix>-`: the DescribeAlarms name prefix.
    pub alarm_prefix: String,
    /// Metric alarms, in catalog order.
    pub alarms: Vec<AlarmSpec>,
    /// Anomaly detectors of the anomaly-band alarms.
    pub detectors: Vec<DetectorSpec>,
    /// Composite alarms.
    pub composites: Vec<CompositeSpec>,
    /// Every alarm name the module may own for this stack (all switches on).
    pub owned_names: BTreeSet<String>,
    /// Every detector the module may create (all switches on).
    pub owned_detectors: Vec<DetectorSpec>,
    /// `<prefix>-bedrock`.
    pub dashboard_name: String,
    /// The dashboard body.
    pub dashboard_body: Value,
    /// Desired EventBridge rules (training-job failures, tamper and access alerts), by key.
    pub rules: Vec<(String, RuleDef)>,
    /// Every rule the module may own: key and name (all switches on).
    pub owned_rules: Vec<(String, String)>,
    /// Tags of alarms and the rule, stack tags included.
    pub tags: BTreeMap<String, String>,
    /// Config keys accepted but not acted on, with why (shown by `plan`).
    pub warnings: Vec<(String, String)>,
    /// Whether alarms have actions (`enable_alerting`).
    pub alerting: bool,
    /// Metric filters and saved queries on the invocation log group.
    pub log_analysis: LogAnalysisSpec,
}

/// An existing alarm with its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedAlarm<D> {
    /// Alarm ARN.
    pub arn: String,
    /// Definition.
    pub def: D,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// The existing rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRule {
    /// Rule ARN.
    pub arn: String,
    /// Definition (event pattern parsed, targets sorted).
    pub def: RuleDef,
    /// Tags.
    pub tags: BTreeMap<String, String>,
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

fn with_tags<T: serde::Serialize>(def: &T, tags: &BTreeMap<String, String>) -> Value {
    let mut v = serde_json::to_value(def).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("tags".into(), json!(tags));
    }
    v
}

fn dashboard_view(name: &str, body: &Value) -> Value {
    json!({"name": name, "body": body})
}

/// Detectors the stack's existing anomaly alarms evaluate against.
fn claimed(observed: &MonitoringObserved) -> BTreeSet<DetectorDef> {
    observed
        .metric_alarms
        .values()
        .filter_map(|a| a.def.anomaly_detector())
        .collect()
}

/// Existing detectors that are no longer wanted and that the stack's own alarms used.
fn stale_detectors(spec: &MonitoringSpec, observed: &MonitoringObserved) -> Vec<DetectorDef> {
    let wanted: BTreeSet<&DetectorDef> = spec.detectors.iter().map(|d| &d.def).collect();
    let claimed = claimed(observed);
    observed
        .detectors
        .iter()
        .filter(|d| !wanted.contains(d) && claimed.contains(*d))
        .cloned()
        .collect()
}

fn detector_key(spec: &MonitoringSpec, def: &DetectorDef) -> String {
    spec.owned_detectors
        .iter()
        .find(|d| &d.def == def)
        .map(|d| d.key.clone())
        .unwrap_or_else(|| def.metric.metric_name.clone())
}

fn key_of<'a>(spec: &MonitoringSpec, name: &'a str) -> &'a str {
    name.strip_prefix(spec.alarm_prefix.as_str())
        .unwrap_or(name)
}

fn stale_composites<'a>(
    spec: &MonitoringSpec,
    observed: &'a MonitoringObserved,
) -> Vec<&'a String> {
    observed
        .composite_alarms
        .keys()
        .filter(|n| !spec.composites.iter().any(|c| &c.def.name == *n))
        .collect()
}

fn stale_alarms<'a>(spec: &MonitoringSpec, observed: &'a MonitoringObserved) -> Vec<&'a String> {
    observed
        .metric_alarms
        .keys()
        .filter(|n| !spec.alarms.iter().any(|a| &a.def.name == *n))
        .collect()
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

/// Tags to add and keys to remove so `have` becomes `want`.
fn tag_delta(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let add = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    (add, remove)
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

    /// Every alarm of the stack with its tags, and the anomaly detectors they (or the spec) claim.
    async fn observe_alarms(
        &self,
        spec: &MonitoringSpec,
    ) -> Result<MonitoringObserved, MonitoringError> {
        let described = self
            .api
            .describe_alarms(Some(spec.alarm_prefix.clone()))
            .await?;
        let metric: Vec<_> = described
            .metric
            .into_iter()
            .filter(|a| spec.owned_names.contains(&a.def.name))
            .collect();
        let composite: Vec<_> = described
            .composite
            .into_iter()
            .filter(|a| spec.owned_names.contains(&a.def.name))
            .collect();
        let arns: Vec<String> = metric
            .iter()
            .map(|a| a.arn.clone())
            .chain(composite.iter().map(|a| a.arn.clone()))
            .collect();
        let reads: Vec<_> = arns
            .into_iter()
            .map(|arn| self.alarm_tags_of(arn))
            .collect();
        let mut tags: BTreeMap<String, BTreeMap<String, String>> = stream::iter(reads)
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;
        let mut observed = MonitoringObserved::default();
        for a in metric {
            let t = tags.remove(&a.arn).unwrap_or_default();
            observed.metric_alarms.insert(
                a.def.name.clone(),
                ObservedAlarm {
                    arn: a.arn,
                    def: a.def,
                    tags: t,
                },
            );
        }
        for a in composite {
            let t = tags.remove(&a.arn).unwrap_or_default();
            observed.composite_alarms.insert(
                a.def.name.clone(),
                ObservedAlarm {
                    arn: a.arn,
                    def: a.def,
                    tags: t,
                },
            );
        }
        let claimed = claimed(&observed);
        observed.detectors = self
            .api
            .describe_anomaly_detectors()
            .await?
            .into_iter()
            .filter(|d| claimed.contains(d) || spec.owned_detectors.iter().any(|o| &o.def == d))
            .collect();
        Ok(observed)
    }

    /// The stack's EventBridge rules, each read (rule, then its targets and tags) concurrently.
    async fn observe_rules(
        &self,
        spec: &MonitoringSpec,
    ) -> Result<BTreeMap<String, ObservedRule>, MonitoringError> {
        let reads: Vec<_> = spec
            .owned_rules
            .iter()
            .map(|(key, name)| self.observe_rule(key.clone(), name.clone()))
            .collect();
        let found: Vec<Result<Option<(String, ObservedRule)>, MonitoringError>> =
            stream::iter(reads)
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
        let mut rules = BTreeMap::new();
        for r in found {
            if let Some((key, rule)) = r? {
                rules.insert(key, rule);
            }
        }
        Ok(rules)
    }

    async fn observe_rule(
        &self,
        key: String,
        name: String,
    ) -> Result<Option<(String, ObservedRule)>, MonitoringError> {
        let Some(rule) = self.api.describe_rule(&name).await? else {
            return Ok(None);
        };
        let (targets, tags) =
            futures::try_join!(self.api.rule_targets(&name), self.api.rule_tags(&rule.arn))?;
        Ok(Some((
            key,
            ObservedRule {
                def: RuleDef {
                    name,
                    description: rule.description,
                    event_pattern: serde_json::from_str(&rule.event_pattern)
                        .unwrap_or(Value::String(rule.event_pattern)),
                    state: rule.state,
                    targets,
                },
                arn: rule.arn,
                tags,
            },
        )))
    }

    async fn alarm_tags_of(
        &self,
        arn: String,
    ) -> Result<(String, BTreeMap<String, String>), MonitoringError> {
        let tags = match self.api.alarm_tags(&arn).await {
            Ok(tags) => tags,
            // Deleted between the listing and this call: it shows as an alarm without tags.
            Err(e) if e.is_not_found() => BTreeMap::new(),
            Err(e) => return Err(e.into()),
        };
        Ok((arn, tags))
    }

    fn alarm_arn(&self, name: &str) -> String {
        self.ctx.arn("cloudwatch", &format!("alarm:{name}"))
    }

    async fn fix_alarm_tags(
        &self,
        arn: &str,
        have: &BTreeMap<String, String>,
        want: &BTreeMap<String, String>,
    ) -> Result<(), MonitoringError> {
        let (add, remove) = tag_delta(have, want);
        if !remove.is_empty() {
            self.api.untag_alarm(arn, &remove).await?;
        }
        if !add.is_empty() {
            self.api.tag_alarm(arn, &add).await?;
        }
        Ok(())
    }

    /// Creates or rewrites one metric alarm when it differs; a no-op otherwise.
    async fn converge_alarm(
        &self,
        spec: &MonitoringSpec,
        alarm: &AlarmSpec,
        found: Option<&ObservedAlarm<MetricAlarmDef>>,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        let address = alarm_address(&alarm.key);
        match found {
            None => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Create,
                });
                self.api.put_metric_alarm(&alarm.def, &spec.tags).await?;
                progress.event(ProgressEvent::Exists {
                    address: address.clone(),
                    id: self.alarm_arn(&alarm.def.name),
                });
                progress.event(ProgressEvent::Finished {
                    address,
                    action: Action::Create,
                });
            }
            Some(o) if o.def != alarm.def || o.tags != spec.tags => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Update,
                });
                if o.def != alarm.def {
                    // Tags in PutMetricAlarm are ignored for existing alarms: tag separately.
                    self.api
                        .put_metric_alarm(&alarm.def, &BTreeMap::new())
                        .await?;
                }
                self.fix_alarm_tags(&o.arn, &o.tags, &spec.tags).await?;
                progress.event(ProgressEvent::Finished {
                    address,
                    action: Action::Update,
                });
            }
            Some(_) => {}
        }
        Ok(())
    }

    async fn converge_composite(
        &self,
        spec: &MonitoringSpec,
        composite: &CompositeSpec,
        found: Option<&ObservedAlarm<CompositeAlarmDef>>,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        let address = composite_address(&composite.key);
        match found {
            None => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Create,
                });
                self.api
                    .put_composite_alarm(&composite.def, &spec.tags)
                    .await?;
                progress.event(ProgressEvent::Exists {
                    address: address.clone(),
                    id: self.alarm_arn(&composite.def.name),
                });
                progress.event(ProgressEvent::Finished {
                    address,
                    action: Action::Create,
                });
            }
            Some(o) if o.def != composite.def || o.tags != spec.tags => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Update,
                });
                if o.def != composite.def {
                    self.api
                        .put_composite_alarm(&composite.def, &BTreeMap::new())
                        .await?;
                }
                self.fix_alarm_tags(&o.arn, &o.tags, &spec.tags).await?;
                progress.event(ProgressEvent::Finished {
                    address,
                    action: Action::Update,
                });
            }
            Some(_) => {}
        }
        Ok(())
    }

    async fn delete_alarm_names(
        &self,
        spec: &MonitoringSpec,
        names: &[&String],
        address: fn(&str) -> String,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        for batch in names.chunks(DELETE_BATCH) {
            for name in batch {
                progress.event(ProgressEvent::Started {
                    address: address(key_of(spec, name)),
                    action: Action::Delete,
                });
            }
            let owned: Vec<String> = batch.iter().map(|n| (*n).clone()).collect();
            match self.api.delete_alarms(&owned).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
            for name in batch {
                progress.event(ProgressEvent::Gone {
                    address: address(key_of(spec, name)),
                });
            }
        }
        Ok(())
    }

    /// Deletes detectors unless an alarm outside this stack still evaluates against them
    /// (detectors are account-level and shared by metric; another stack may use the same one).
    async fn delete_detectors(
        &self,
        spec: &MonitoringSpec,
        candidates: Vec<DetectorDef>,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        if candidates.is_empty() {
            return Ok(());
        }
        let everyone = self.api.describe_alarms(None).await?;
        let in_use: BTreeSet<DetectorDef> = everyone
            .metric
            .iter()
            .filter(|a| !spec.owned_names.contains(&a.def.name))
            .filter_map(|a| a.def.anomaly_detector())
            .collect();
        for def in candidates {
            let address = detector_address(&detector_key(spec, &def));
            if in_use.contains(&def) {
                progress.event(ProgressEvent::Warning {
                    message: format!(
                        "{address} kept: alarms outside stack {} still use it",
                        spec.stack
                    ),
                });
                continue;
            }
            progress.event(ProgressEvent::Started {
                address: address.clone(),
                action: Action::Delete,
            });
            match self.api.delete_anomaly_detector(&def).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
            progress.event(ProgressEvent::Gone { address });
        }
        Ok(())
    }

    async fn converge_rule(
        &self,
        spec: &MonitoringSpec,
        key: &str,
        name: &str,
        want: Option<&RuleDef>,
        have: Option<&ObservedRule>,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        let address = rule_address(key);
        match (want, have) {
            (Some(want), None) => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Create,
                });
                let arn = self
                    .api
                    .put_rule(
                        &want.name,
                        &want.description,
                        &want.event_pattern.to_string(),
                        &spec.tags,
                    )
                    .await?;
                progress.event(ProgressEvent::Exists {
                    address: address.clone(),
                    id: arn,
                });
                if !want.targets.is_empty() {
                    self.api.put_targets(&want.name, &want.targets).await?;
                }
                progress.event(ProgressEvent::Finished {
                    address,
                    action: Action::Create,
                });
            }
            (Some(want), Some(have)) if &have.def != want || have.tags != spec.tags => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Update,
                });
                if have.def.description != want.description
                    || have.def.event_pattern != want.event_pattern
                    || have.def.state != want.state
                {
                    self.api
                        .put_rule(
                            &want.name,
                            &want.description,
                            &want.event_pattern.to_string(),
                            &BTreeMap::new(),
                        )
                        .await?;
                }
                let stale: Vec<String> = have
                    .def
                    .targets
                    .iter()
                    .filter(|t| !want.targets.iter().any(|w| w.id == t.id))
                    .map(|t| t.id.clone())
                    .collect();
                if !stale.is_empty() {
                    self.api.remove_targets(&want.name, &stale).await?;
                }
                if have
                    .def
                    .targets
                    .iter()
                    .filter(|t| !stale.contains(&t.id))
                    .ne(want.targets.iter())
                    && !want.targets.is_empty()
                {
                    self.api.put_targets(&want.name, &want.targets).await?;
                }
                let (add, remove) = tag_delta(&have.tags, &spec.tags);
                if !remove.is_empty() {
                    self.api.untag_rule(&have.arn, &remove).await?;
                }
                if !add.is_empty() {
                    self.api.tag_rule(&have.arn, &add).await?;
                }
                progress.event(ProgressEvent::Finished {
                    address,
                    action: Action::Update,
                });
            }
            (None, Some(have)) => self.delete_rule(key, name, have, progress).await?,
            _ => {}
        }
        Ok(())
    }

    async fn delete_rule(
        &self,
        key: &str,
        name: &str,
        have: &ObservedRule,
        progress: &dyn Progress,
    ) -> Result<(), MonitoringError> {
        let address = rule_address(key);
        progress.event(ProgressEvent::Started {
            address: address.clone(),
            action: Action::Delete,
        });
        // EventBridge refuses to delete a rule that still has targets.
        let ids: Vec<String> = have.def.targets.iter().map(|t| t.id.clone()).collect();
        if !ids.is_empty() {
            match self.api.remove_targets(name, &ids).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
        }
        match self.api.delete_rule(name).await {
            Err(e) if !e.is_not_found() => return Err(e.into()),
            _ => {}
        }
        progress.event(ProgressEvent::Gone { address });
        Ok(())
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
        let naming = self.ctx.naming();
        let guardrail_arn = inputs.guardrail_id.as_ref().map(|id| {
            if id.as_str().starts_with("arn:") {
                id.as_str().to_owned()
            } else {
                self.ctx.arn("bedrock", &format!("guardrail/{id}"))
            }
        });
        let guardrail_arn_for_rules = guardrail_arn.clone();
        let cx = CatalogContext {
            naming,
            inputs,
            guardrail_arn: guardrail_arn.clone(),
            all: false,
            region: self.ctx.region(),
        };
        let cat = catalog(config, &cx);
        let universe = catalog(
            config,
            &CatalogContext {
                naming,
                inputs,
                guardrail_arn,
                all: true,
                region: self.ctx.region(),
            },
        );
        let alarm_arns: Vec<String> = cat
            .alarms
            .iter()
            .map(|a| self.alarm_arn(&a.def.name))
            .collect();
        let flow_log_group = config.enable_vpc_flow_logs.then(|| {
            inputs
                .flow_log_group_name
                .clone()
                .unwrap_or_else(|| naming.log_group("vpc-flow-logs"))
        });
        let dashboard_body = dashboard::body(
            &cat.alarms,
            &alarm_arns,
            self.ctx.region(),
            config.alarm_period,
            flow_log_group.as_deref(),
        );
        let rule_name = naming.name(RULE_KEY, 64);
        let critical = config.enable_alerting.then(|| {
            inputs
                .topic_arns
                .get("critical")
                .map(|a| a.as_str().to_owned())
                .unwrap_or_else(|| UNKNOWN.to_owned())
        });
        let performance = config.enable_alerting.then(|| {
            inputs
                .topic_arns
                .get("performance")
                .map(|a| a.as_str().to_owned())
                .unwrap_or_else(|| UNKNOWN.to_owned())
        });
        let mut rules: Vec<(String, RuleDef)> = Vec::new();
        if config.enable_training_monitoring {
            rules.push((
                RULE_KEY.to_owned(),
                training::rule(rule_name.clone(), naming.stack(), critical.clone()),
            ));
        }
        let tamper_cx = tamper_context(config, inputs, guardrail_arn_for_rules.as_deref());
        for r in tamper::rules(
            &tamper_cx,
            naming.stack(),
            |k| naming.name(k, 64),
            critical.as_deref(),
            performance.as_deref(),
        ) {
            rules.push((r.key.to_owned(), r.def));
        }
        let owned_rules = std::iter::once(RULE_KEY)
            .chain(tamper::KEYS.iter().copied())
            .map(|k| (k.to_owned(), naming.name(k, 64)))
            .collect();
        Ok(MonitoringSpec {
            stack: naming.stack().to_owned(),
            alarm_prefix: format!("{}-", naming.stack()),
            owned_names: universe_names(&universe, naming),
            warnings: config_warnings(config),
            owned_detectors: universe.detectors,
            alarms: cat.alarms,
            detectors: cat.detectors,
            composites: cat.composites,
            dashboard_name: naming.name("bedrock", 255),
            dashboard_body,
            rules,
            owned_rules,
            tags: naming.tags("monitoring"),
            alerting: config.enable_alerting,
            log_analysis: LogAnalysisSpec::new(
                naming.stack(),
                &inputs
                    .log_group_name
                    .clone()
                    .unwrap_or_else(|| naming.log_group("invocations")),
                config.enable_log_analysis
                    && config.enable_model_invocation_logging
                    && config.enable_cloudwatch_logging,
            )
            .with_flow_logs(flow_log_group.as_deref()),
        })
    }

    async fn observe(&self, spec: &MonitoringSpec) -> Result<MonitoringObserved, MonitoringError> {
        // Alarms (then the detectors they claim), the dashboard and the rules depend on each
        // other's reads not at all: read them side by side.
        let (alarms, dashboard, rules, logs) = futures::join!(
            self.observe_alarms(spec),
            self.api.get_dashboard(&spec.dashboard_name),
            self.observe_rules(spec),
            log_analysis::observe(&self.api, &spec.log_analysis),
        );
        let mut observed = alarms?;
        observed.dashboard =
            dashboard?.map(|body| serde_json::from_str(&body).unwrap_or(Value::String(body)));
        observed.rules = rules?;
        observed.log_analysis = logs?;
        Ok(observed)
    }

    fn diff(&self, spec: &MonitoringSpec, observed: &MonitoringObserved) -> Vec<Change> {
        let mut changes = Vec::new();
        for d in &spec.detectors {
            let address = detector_address(&d.key);
            if observed.detectors.contains(&d.def) {
                changes.push(Change::noop(address, DETECTOR));
            } else {
                changes.push(Change::create(address, DETECTOR, &json!(d.def)));
            }
        }
        for a in &spec.alarms {
            let address = alarm_address(&a.key);
            let after = with_tags(&a.def, &spec.tags);
            let before = observed
                .metric_alarms
                .get(&a.def.name)
                .map(|o| with_tags(&o.def, &o.tags));
            changes.push(routed(
                Change::converge(address, ALARM, before.as_ref(), &after, &[]),
                route_note(spec, a),
            ));
        }
        for c in &spec.composites {
            let address = composite_address(&c.key);
            let after = with_tags(&c.def, &spec.tags);
            let before = observed
                .composite_alarms
                .get(&c.def.name)
                .map(|o| with_tags(&o.def, &o.tags));
            let route = if spec.alerting {
                "notifies the critical topic"
            } else {
                "no action: enable_alerting = false"
            };
            changes.push(routed(
                Change::converge(address, COMPOSITE, before.as_ref(), &after, &[]),
                route.to_owned(),
            ));
        }
        for name in stale_composites(spec, observed) {
            let o = &observed.composite_alarms[name];
            changes.push(Change::delete(
                composite_address(key_of(spec, name)),
                COMPOSITE,
                &with_tags(&o.def, &o.tags),
            ));
        }
        for name in stale_alarms(spec, observed) {
            let o = &observed.metric_alarms[name];
            changes.push(Change::delete(
                alarm_address(key_of(spec, name)),
                ALARM,
                &with_tags(&o.def, &o.tags),
            ));
        }
        for d in stale_detectors(spec, observed) {
            changes.push(
                Change::delete(
                    detector_address(&detector_key(spec, &d)),
                    DETECTOR,
                    &json!(d),
                )
                .with_note("kept if alarms outside the stack still use it"),
            );
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
        let after = dashboard_view(&spec.dashboard_name, &spec.dashboard_body);
        let before = observed
            .dashboard
            .as_ref()
            .map(|body| dashboard_view(&spec.dashboard_name, body));
        changes.push(Change::converge(
            DASHBOARD_ADDRESS,
            DASHBOARD,
            before.as_ref(),
            &after,
            &[],
        ));
        for (key, _) in &spec.owned_rules {
            let want = spec.rules.iter().find(|(k, _)| k == key).map(|(_, r)| r);
            let address = rule_address(key);
            match (want, observed.rules.get(key)) {
                (Some(want), None) => changes.push(Change::create(
                    address,
                    RULE,
                    &training::view(want, &spec.tags),
                )),
                (Some(want), Some(have)) => changes.push(Change::compare(
                    address,
                    RULE,
                    &training::view(&have.def, &have.tags),
                    &training::view(want, &spec.tags),
                    &[],
                )),
                (None, Some(have)) => changes.push(Change::delete(
                    address,
                    RULE,
                    &training::view(&have.def, &have.tags),
                )),
                (None, None) => {}
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
        // Detectors first: the anomaly-band alarms evaluate against them.
        for d in spec
            .detectors
            .iter()
            .filter(|d| !observed.detectors.contains(&d.def))
        {
            let address = detector_address(&d.key);
            progress.event(ProgressEvent::Started {
                address: address.clone(),
                action: Action::Create,
            });
            self.api.put_anomaly_detector(&d.def).await?;
            progress.event(ProgressEvent::Exists {
                address: address.clone(),
                id: format!(
                    "{}/{}:{}",
                    d.def.metric.namespace, d.def.metric.metric_name, d.def.stat
                ),
            });
            progress.event(ProgressEvent::Finished {
                address,
                action: Action::Create,
            });
        }
        // Futures do nothing until polled, so building them all up front still keeps at most
        // CONCURRENCY writes in flight (and avoids a higher-ranked closure async_trait rejects).
        let writes: Vec<_> = spec
            .alarms
            .iter()
            .map(|a| {
                self.converge_alarm(spec, a, observed.metric_alarms.get(&a.def.name), progress)
            })
            .collect();
        let results: Vec<Result<(), MonitoringError>> = stream::iter(writes)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        first_error(results)?;
        // Composites after the metric alarms they name (CloudWatch checks the rule's alarms exist),
        // and before any metric alarm they stop naming is deleted.
        for c in &spec.composites {
            self.converge_composite(
                spec,
                c,
                observed.composite_alarms.get(&c.def.name),
                progress,
            )
            .await?;
        }
        self.delete_alarm_names(
            spec,
            &stale_composites(spec, observed),
            composite_address,
            progress,
        )
        .await?;
        self.delete_alarm_names(spec, &stale_alarms(spec, observed), alarm_address, progress)
            .await?;
        self.delete_detectors(spec, stale_detectors(spec, observed), progress)
            .await?;
        if observed.dashboard.as_ref() != Some(&spec.dashboard_body) {
            let action = if observed.dashboard.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            progress.event(ProgressEvent::Started {
                address: DASHBOARD_ADDRESS.into(),
                action,
            });
            self.api
                .put_dashboard(&spec.dashboard_name, &spec.dashboard_body.to_string())
                .await?;
            progress.event(ProgressEvent::Exists {
                address: DASHBOARD_ADDRESS.into(),
                id: spec.dashboard_name.clone(),
            });
            progress.event(ProgressEvent::Finished {
                address: DASHBOARD_ADDRESS.into(),
                action,
            });
        }
        for (key, name) in &spec.owned_rules {
            let want = spec.rules.iter().find(|(k, _)| k == key).map(|(_, r)| r);
            self.converge_rule(spec, key, name, want, observed.rules.get(key), progress)
                .await?;
        }
        log_analysis::apply(
            &self.api,
            &spec.log_analysis,
            &observed.log_analysis,
            progress,
        )
        .await?;
        Ok(self.outputs(spec))
    }

    fn destroy_plan(
        &self,
        spec: &MonitoringSpec,
        observed: &MonitoringObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        for (name, o) in &observed.composite_alarms {
            changes.push(Change::delete(
                composite_address(key_of(spec, name)),
                COMPOSITE,
                &with_tags(&o.def, &o.tags),
            ));
        }
        for (name, o) in &observed.metric_alarms {
            changes.push(Change::delete(
                alarm_address(key_of(spec, name)),
                ALARM,
                &with_tags(&o.def, &o.tags),
            ));
        }
        for d in destroy_detectors(spec, observed) {
            changes.push(
                Change::delete(
                    detector_address(&detector_key(spec, &d)),
                    DETECTOR,
                    &json!(d),
                )
                .with_note("kept if alarms outside the stack still use it"),
            );
        }
        if let Some(body) = &observed.dashboard {
            changes.push(Change::delete(
                DASHBOARD_ADDRESS,
                DASHBOARD,
                &dashboard_view(&spec.dashboard_name, body),
            ));
        }
        for (key, rule) in &observed.rules {
            changes.push(Change::delete(
                rule_address(key),
                RULE,
                &training::view(&rule.def, &rule.tags),
            ));
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
        let composites: Vec<&String> = observed.composite_alarms.keys().collect();
        self.delete_alarm_names(spec, &composites, composite_address, progress)
            .await?;
        let alarms: Vec<&String> = observed.metric_alarms.keys().collect();
        self.delete_alarm_names(spec, &alarms, alarm_address, progress)
            .await?;
        self.delete_detectors(spec, destroy_detectors(spec, observed), progress)
            .await?;
        if observed.dashboard.is_some() {
            progress.event(ProgressEvent::Started {
                address: DASHBOARD_ADDRESS.into(),
                action: Action::Delete,
            });
            match self.api.delete_dashboard(&spec.dashboard_name).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
            progress.event(ProgressEvent::Gone {
                address: DASHBOARD_ADDRESS.into(),
            });
        }
        for (key, rule) in &observed.rules {
            self.delete_rule(key, &rule.def.name, rule, progress)
                .await?;
        }
        log_analysis::destroy(&self.api, &observed.log_analysis, progress).await?;
        Ok(())
    }
}

/// Detectors destroy removes: those the stack's alarms use, and the ones it would create.
fn destroy_detectors(spec: &MonitoringSpec, observed: &MonitoringObserved) -> Vec<DetectorDef> {
    let claimed = claimed(observed);
    observed
        .detectors
        .iter()
        .filter(|d| claimed.contains(*d) || spec.detectors.iter().any(|s| &s.def == *d))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{DescribedAlarms, MockMonitoringApi};
    use crate::training::RuleTarget;
    use baseline_core::aws::{ApiError, ServiceErrorKind};
    use baseline_core::ids::TopicArn;
    use baseline_core::progress::NoProgress;
    use baseline_core::Naming;
    use mockall::Sequence;

    fn ctx() -> AwsContext {
        AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
    }

    fn inputs() -> MonitoringInputs {
        MonitoringInputs {
            log_group_name: None,
            flow_log_group_name: None,
            topic_arns: ["critical", "performance", "cost"]
                .into_iter()
                .map(|t| {
                    (
                        t.to_owned(),
                        TopicArn(format!("arn:aws:sns:us-east-1:123456789012:demo-prod-{t}")),
                    )
                })
                .collect(),
            guardrail_id: Some("gr1".into()),
            guardrail_version: Some("1".into()),
            kms_key_arn: Some("arn:aws:kms:us-east-1:123456789012:key/k1".into()),
            kms_key_id: Some("k1".into()),
            log_bucket_name: Some("demo-prod-logs".into()),
            endpoint_ids: [
                "bedrock",
                "bedrock-runtime",
                "bedrock-agent",
                "bedrock-agent-runtime",
            ]
            .into_iter()
            .map(|s| (s.to_owned(), format!("vpce-{s}")))
            .collect(),
        }
    }

    fn spec_with(
        m: &MonitoringModule<MockMonitoringApi>,
        change: impl FnOnce(&mut Config),
    ) -> MonitoringSpec {
        let mut config = Config::default();
        change(&mut config);
        m.spec(&config, &inputs()).unwrap()
    }

    /// What exists after a successful apply of `spec`.
    fn converged(
        m: &MonitoringModule<MockMonitoringApi>,
        spec: &MonitoringSpec,
    ) -> MonitoringObserved {
        MonitoringObserved {
            log_analysis: LogAnalysisObserved {
                filters: spec.log_analysis.filters.iter().cloned().collect(),
                queries: spec
                    .log_analysis
                    .queries
                    .iter()
                    .map(|(k, q)| {
                        (
                            k.clone(),
                            crate::log_analysis::ObservedQuery {
                                id: format!("q-{k}"),
                                def: q.clone(),
                            },
                        )
                    })
                    .collect(),
            },
            metric_alarms: spec
                .alarms
                .iter()
                .map(|a| {
                    (
                        a.def.name.clone(),
                        ObservedAlarm {
                            arn: m.alarm_arn(&a.def.name),
                            def: a.def.clone(),
                            tags: spec.tags.clone(),
                        },
                    )
                })
                .collect(),
            composite_alarms: spec
                .composites
                .iter()
                .map(|c| {
                    (
                        c.def.name.clone(),
                        ObservedAlarm {
                            arn: m.alarm_arn(&c.def.name),
                            def: c.def.clone(),
                            tags: spec.tags.clone(),
                        },
                    )
                })
                .collect(),
            detectors: spec.detectors.iter().map(|d| d.def.clone()).collect(),
            dashboard: Some(spec.dashboard_body.clone()),
            rules: spec
                .rules
                .iter()
                .map(|(k, def)| {
                    (
                        k.clone(),
                        ObservedRule {
                            arn: format!("arn:aws:events:us-east-1:123456789012:rule/{}", def.name),
                            def: def.clone(),
                            tags: spec.tags.clone(),
                        },
                    )
                })
                .collect(),
        }
    }

    fn changed(changes: &[Change]) -> Vec<(&str, Action)> {
        changes
            .iter()
            .filter(|c| c.is_change())
            .map(|c| (c.address.as_str(), c.action))
            .collect()
    }

    fn denied(op: &'static str) -> ApiError {
        ApiError::synthetic(
            "cloudwatch",
            op,
            "x",
            ServiceErrorKind::AccessDenied,
            "AccessDenied: not allowed",
        )
    }

    #[test]
    fn converged_stack_plans_no_changes() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let spec = spec_with(&m, |_| {});
        let observed = converged(&m, &spec);
        assert_eq!(changed(&m.diff(&spec, &observed)), vec![]);
        let out = m
            .planned_outputs(&spec, &observed)
            .expect("everything exists");
        assert_eq!(out.alarm_names["runtime"].len(), 5);
        assert_eq!(
            out.composite_alarm_names,
            vec!["demo-prod-basic-health", "demo-prod-comprehensive-health"]
        );
        assert_eq!(out.anomaly_detectors, 3);
        assert_eq!(
            out.training_rule_name.as_deref(),
            Some("demo-prod-training-job-failed")
        );
    }

    #[test]
    fn empty_account_plans_every_resource_and_no_outputs() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let spec = spec_with(&m, |_| {});
        let (warnings, changes): (Vec<Change>, Vec<Change>) = m
            .diff(&spec, &MonitoringObserved::default())
            .into_iter()
            .partition(|c| c.resource_type == CONFIG_WARNING);
        assert!(changes.iter().all(|c| c.action == Action::Create));
        assert!(warnings.iter().all(|c| c.action == Action::NoOp));
        assert_eq!(
            changes.len(),
            spec.alarms.len()
                + spec.composites.len()
                + spec.detectors.len()
                + 1
                + spec.rules.len()
                + spec.log_analysis.filters.len()
                + spec.log_analysis.queries.len()
        );
        assert!(changes
            .iter()
            .any(|c| c.address == "monitoring.alarm[\"runtime-client-errors\"]"));
        assert!(changes
            .iter()
            .any(|c| c.address == "monitoring.anomaly_detector[\"runtime-invocations\"]"));
        assert!(changes
            .iter()
            .any(|c| c.address == "monitoring.composite_alarm[\"basic-health\"]"));
        assert!(changes
            .iter()
            .any(|c| c.address == "monitoring.event_rule[\"training-job-failed\"]"));
        assert!(m
            .planned_outputs(&spec, &MonitoringObserved::default())
            .is_none());
    }

    #[test]
    fn one_threshold_change_updates_exactly_one_alarm() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let before = spec_with(&m, |_| {});
        let after = spec_with(&m, |c| c.throttle_threshold = 40.0);
        let changes = m.diff(&after, &converged(&m, &before));
        assert_eq!(
            changed(&changes),
            vec![("monitoring.alarm[\"runtime-throttles\"]", Action::Update)]
        );
        let c = changes.iter().find(|c| c.is_change()).unwrap();
        let t = c.attributes.iter().find(|a| a.name == "threshold").unwrap();
        assert_eq!(
            (t.before.clone(), t.after.clone()),
            (Some(json!(20.0)), Some(json!(40.0)))
        );
    }

    #[test]
    fn drifted_tags_show_on_the_alarm() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let spec = spec_with(&m, |_| {});
        let mut observed = converged(&m, &spec);
        observed
            .metric_alarms
            .get_mut("demo-prod-runtime-throttles")
            .unwrap()
            .tags
            .remove("baseline:stack");
        let changes = m.diff(&spec, &observed);
        assert_eq!(
            changed(&changes),
            vec![("monitoring.alarm[\"runtime-throttles\"]", Action::Update)]
        );
    }

    #[test]
    fn disabling_a_group_deletes_its_alarms_and_rewrites_the_comprehensive_rule() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let before = spec_with(&m, |_| {});
        let after = spec_with(&m, |c| c.enable_agents_monitoring = false);
        let changes = m.diff(&after, &converged(&m, &before));
        let mut got = changed(&changes);
        got.sort_by_key(|(a, _)| *a);
        assert_eq!(
            got,
            vec![
                ("monitoring.alarm[\"agents-client-errors\"]", Action::Delete),
                (
                    "monitoring.alarm[\"agents-inline-client-errors\"]",
                    Action::Delete,
                ),
                (
                    "monitoring.alarm[\"agents-inline-p99-latency\"]",
                    Action::Delete,
                ),
                (
                    "monitoring.alarm[\"agents-inline-server-errors\"]",
                    Action::Delete,
                ),
                (
                    "monitoring.alarm[\"agents-inline-throttles\"]",
                    Action::Delete
                ),
                ("monitoring.alarm[\"agents-p99-latency\"]", Action::Delete),
                ("monitoring.alarm[\"agents-server-errors\"]", Action::Delete),
                ("monitoring.alarm[\"agents-throttles\"]", Action::Delete),
                (
                    "monitoring.composite_alarm[\"comprehensive-health\"]",
                    Action::Update
                ),
                ("monitoring.dashboard", Action::Update),
            ]
        );
    }

    #[tokio::test]
    async fn apply_on_a_converged_stack_makes_no_call() {
        // A mock without expectations panics on any call.
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let spec = spec_with(&m, |_| {});
        let out = m
            .apply(&spec, &converged(&m, &spec), &NoProgress)
            .await
            .unwrap();
        assert_eq!(out.dashboard_name.as_deref(), Some("demo-prod-bedrock"));
    }

    #[tokio::test]
    async fn a_threshold_change_rewrites_one_alarm_without_tags() {
        let mut api = MockMonitoringApi::new();
        api.expect_put_metric_alarm()
            .times(1)
            .withf(|def, tags| {
                def.name == "demo-prod-runtime-p99-latency"
                    && def.threshold == Some(2_000.0)
                    && tags.is_empty()
            })
            .returning(|_, _| Ok(()));
        let m = MonitoringModule::with_api(api, &ctx());
        let before = spec_with(&m, |_| {});
        let after = spec_with(&m, |c| c.latency_threshold_ms = 2_000.0);
        m.apply(&after, &converged(&m, &before), &NoProgress)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn composites_are_rewritten_before_the_alarms_they_stop_naming_are_deleted() {
        let mut api = MockMonitoringApi::new();
        let mut seq = Sequence::new();
        api.expect_put_composite_alarm()
            .times(1)
            .in_sequence(&mut seq)
            .withf(|def, _| {
                def.name == "demo-prod-comprehensive-health" && !def.alarm_rule.contains("agents")
            })
            .returning(|_, _| Ok(()));
        api.expect_delete_alarms()
            .times(1)
            .in_sequence(&mut seq)
            .withf(|names| {
                names.len() == 8 && names.iter().all(|n| n.starts_with("demo-prod-agents-"))
            })
            .returning(|_| Ok(()));
        api.expect_put_dashboard().times(1).returning(|_, _| Ok(()));
        let m = MonitoringModule::with_api(api, &ctx());
        let before = spec_with(&m, |_| {});
        let after = spec_with(&m, |c| c.enable_agents_monitoring = false);
        m.apply(&after, &converged(&m, &before), &NoProgress)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_stale_detector_is_deleted_only_when_no_other_stack_uses_it() {
        let m0 = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let before = spec_with(&m0, |_| {});
        let after = spec_with(&m0, |c| c.enable_token_monitoring = false);
        let observed = converged(&m0, &before);
        let detector = |key: &str| {
            before
                .detectors
                .iter()
                .find(|d| d.key == key)
                .unwrap()
                .def
                .clone()
        };
        let (input, output) = (detector("tokens-input"), detector("tokens-output"));

        let mut api = MockMonitoringApi::new();
        api.expect_put_composite_alarm().returning(|_, _| Ok(()));
        api.expect_delete_alarms().returning(|_| Ok(()));
        api.expect_put_dashboard().returning(|_, _| Ok(()));
        api.expect_describe_alarms()
            .returning(|_| Ok(DescribedAlarms::default()));
        let expected = [input.clone(), output.clone()];
        api.expect_delete_anomaly_detector()
            .times(2)
            .withf(move |d| expected.contains(d))
            .returning(|_| Ok(()));
        MonitoringModule::with_api(api, &ctx())
            .apply(&after, &observed, &NoProgress)
            .await
            .unwrap();

        // Another stack's alarm on the same band: the detector stays.
        let mut api = MockMonitoringApi::new();
        api.expect_put_composite_alarm().returning(|_, _| Ok(()));
        api.expect_delete_alarms().returning(|_| Ok(()));
        api.expect_put_dashboard().returning(|_, _| Ok(()));
        let mut foreign = before
            .alarms
            .iter()
            .find(|a| a.key == "tokens-input-anomaly")
            .unwrap()
            .def
            .clone();
        foreign.name = "other-stack-tokens-input-anomaly".into();
        api.expect_describe_alarms().returning(move |_| {
            Ok(DescribedAlarms {
                metric: vec![crate::api::ObservedMetricAlarm {
                    arn: "a".into(),
                    def: foreign.clone(),
                }],
                composite: vec![],
            })
        });
        api.expect_delete_anomaly_detector()
            .times(1)
            .withf(move |d| *d == output)
            .returning(|_| Ok(()));
        MonitoringModule::with_api(api, &ctx())
            .apply(&after, &observed, &NoProgress)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn access_denied_on_put_metric_alarm_is_reported_with_its_operation() {
        let mut api = MockMonitoringApi::new();
        api.expect_put_anomaly_detector().returning(|_| Ok(()));
        api.expect_put_metric_alarm()
            .returning(|_, _| Err(denied("PutMetricAlarm")));
        let m = MonitoringModule::with_api(api, &ctx());
        let spec = spec_with(&m, |_| {});
        let err = m
            .apply(&spec, &MonitoringObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, MonitoringError::Api(e) if e.kind == ServiceErrorKind::AccessDenied)
        );
        assert!(
            err.to_string().contains("cloudwatch:PutMetricAlarm"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn throttling_on_a_detector_stops_before_any_alarm_is_written() {
        let mut api = MockMonitoringApi::new();
        api.expect_put_anomaly_detector().times(1).returning(|_| {
            Err(ApiError::synthetic(
                "cloudwatch",
                "PutAnomalyDetector",
                "x",
                ServiceErrorKind::Throttled,
                "Throttling: rate exceeded",
            ))
        });
        api.expect_put_metric_alarm().times(0);
        let m = MonitoringModule::with_api(api, &ctx());
        let spec = spec_with(&m, |_| {});
        let err = m
            .apply(&spec, &MonitoringObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(&err, MonitoringError::Api(e) if e.kind == ServiceErrorKind::Throttled));
    }

    #[tokio::test]
    async fn alarms_deleted_between_observe_and_apply_are_not_an_error() {
        let mut api = MockMonitoringApi::new();
        api.expect_put_composite_alarm().returning(|_, _| Ok(()));
        api.expect_put_dashboard().returning(|_, _| Ok(()));
        api.expect_delete_alarms().returning(|_| {
            Err(ApiError::synthetic(
                "cloudwatch",
                "DeleteAlarms",
                "x",
                ServiceErrorKind::NotFound,
                "ResourceNotFound: gone",
            ))
        });
        let m = MonitoringModule::with_api(api, &ctx());
        let before = spec_with(&m, |_| {});
        let after = spec_with(&m, |c| c.enable_knowledge_base_monitoring = false);
        m.apply(&after, &converged(&m, &before), &NoProgress)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_alarm_deleted_before_its_tags_are_fixed_fails_with_not_found() {
        let mut api = MockMonitoringApi::new();
        api.expect_tag_alarm().returning(|arn, _| {
            Err(ApiError::synthetic(
                "cloudwatch",
                "TagResource",
                arn,
                ServiceErrorKind::NotFound,
                "ResourceNotFound: gone",
            ))
        });
        let m = MonitoringModule::with_api(api, &ctx());
        let spec = spec_with(&m, |_| {});
        let mut observed = converged(&m, &spec);
        observed
            .metric_alarms
            .get_mut("demo-prod-runtime-throttles")
            .unwrap()
            .tags
            .remove("baseline:stack");
        let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        assert!(matches!(&err, MonitoringError::Api(e) if e.is_not_found()));
    }

    #[tokio::test]
    async fn apply_refuses_values_known_only_after_apply() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let spec = m
            .spec(&Config::default(), &MonitoringInputs::default())
            .unwrap();
        let err = m
            .apply(&spec, &MonitoringObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(err, MonitoringError::UnknownInput { .. }));
    }

    #[tokio::test]
    async fn destroy_removes_composites_before_alarms_and_targets_before_the_rule() {
        let mut api = MockMonitoringApi::new();
        let mut seq = Sequence::new();
        api.expect_delete_alarms()
            .times(1)
            .in_sequence(&mut seq)
            .withf(|n| n.iter().all(|n| n.ends_with("-health")))
            .returning(|_| Ok(()));
        api.expect_delete_alarms()
            .times(1)
            .in_sequence(&mut seq)
            .withf(|n| n.len() == 37)
            .returning(|_| Ok(()));
        api.expect_describe_alarms()
            .returning(|_| Ok(DescribedAlarms::default()));
        api.expect_delete_anomaly_detector()
            .times(3)
            .returning(|_| Ok(()));
        api.expect_delete_dashboard().times(1).returning(|_| Ok(()));
        let mut rule_seq = Sequence::new();
        api.expect_remove_targets()
            .times(1)
            .in_sequence(&mut rule_seq)
            .withf(|_, ids| ids == [crate::training::TARGET_ID.to_owned()])
            .returning(|_, _| Ok(()));
        api.expect_delete_rule()
            .times(1)
            .in_sequence(&mut rule_seq)
            .withf(|n| n.ends_with("training-job-failed"))
            .returning(|_| Ok(()));
        api.expect_remove_targets()
            .times(7)
            .withf(|_, ids| ids == [crate::tamper::TOPIC_TARGET_ID.to_owned()])
            .returning(|_, _| Ok(()));
        api.expect_delete_rule()
            .times(7)
            .withf(|n| !n.ends_with("training-job-failed"))
            .returning(|_| Ok(()));
        // Every filter and saved query of the stack goes too (the log group stays: logging's).
        api.expect_delete_metric_filter()
            .times(4)
            .withf(|group, name| {
                group == "/aws/bedrock/demo-prod/invocations" && name.starts_with("demo-prod-")
            })
            .returning(|_, _| Ok(()));
        api.expect_delete_query_definition()
            .times(3)
            .withf(|id| id.starts_with("q-"))
            .returning(|_| Ok(()));
        let m = MonitoringModule::with_api(api, &ctx());
        let spec = spec_with(&m, |_| {});
        let observed = converged(&m, &spec);
        let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
        assert!(plan.iter().all(|c| c.action == Action::Delete));
        assert_eq!(plan.len(), 2 + 37 + 3 + 1 + 8 + 4 + 3);
        m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
            .await
            .unwrap();
    }

    #[test]
    fn plan_shows_each_alarms_topic_and_the_ignored_keys() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let spec = spec_with(&m, |c| c.kb_latency_threshold_ms = 2_000.0);
        let changes = m.diff(&spec, &MonitoringObserved::default());
        let note = |address: &str| {
            changes
                .iter()
                .find(|c| c.address == address)
                .and_then(|c| c.note.clone())
                .unwrap_or_else(|| panic!("{address} has no note"))
        };
        assert_eq!(
            note("monitoring.alarm[\"runtime-client-errors\"]"),
            "notifies the critical topic, in comprehensive-health"
        );
        assert_eq!(
            note("monitoring.alarm[\"tokens-input-anomaly\"]"),
            "notifies the cost topic"
        );
        assert_eq!(
            note("monitoring.alarm[\"runtime-invocations-anomaly\"]"),
            "notifies the performance topic"
        );
        assert_eq!(
            note("monitoring.alarm[\"training-job-failures\"]"),
            "notifies the performance topic, in comprehensive-health"
        );
        assert!(
            note("monitoring.config_warning[\"kb_latency_threshold_ms\"]")
                .contains("no latency metric")
        );
        assert!(
            note("monitoring.config_warning[\"enable_api_call_monitoring\"]").contains("AWS/Usage")
        );
        // Converged: no note on the unchanged alarms, so `plan` does not list them as kept.
        let observed = converged(&m, &spec);
        assert!(m
            .diff(&spec, &observed)
            .iter()
            .filter(|c| c.resource_type == ALARM)
            .all(|c| c.note.is_none()));
    }

    #[test]
    fn rule_targets_follow_the_critical_topic() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let spec = spec_with(&m, |_| {});
        let rule = &spec.rules.iter().find(|(k, _)| k == RULE_KEY).unwrap().1;
        assert_eq!(
            rule.targets,
            vec![RuleTarget {
                id: "critical-topic".into(),
                arn: "arn:aws:sns:us-east-1:123456789012:demo-prod-critical".into()
            }]
        );
        let off = spec_with(&m, |c| c.enable_training_monitoring = false);
        assert!(!off.rules.iter().any(|(k, _)| k == RULE_KEY));
        // Tamper rules: one per watched resource kind, each to its topic; none without alerting.
        let keys: Vec<&str> = spec.rules.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys[1..], *tamper::KEYS);
        let no_alerting = spec_with(&m, |c| c.enable_alerting = false);
        assert_eq!(
            no_alerting
                .rules
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            vec![RULE_KEY]
        );
    }

    /// The topic and key policies admit exactly the rules `event_rules` lists; the spec must
    /// create exactly those (with a topic target) for every switch that changes the list.
    #[test]
    fn the_publishing_rules_are_the_ones_the_policies_admit() {
        let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
        let switches: [fn(&mut Config); 6] = [
            |_| {},
            |c| c.enable_alerting = false,
            |c| c.enable_model_invocation_logging = false,
            |c| c.enable_s3_logging = false,
            |c| c.enable_guardrails = false,
            |c| c.enable_training_monitoring = false,
        ];
        for (i, set) in switches.into_iter().enumerate() {
            let mut config = Config::default();
            set(&mut config);
            let spec = spec_with(&m, set);
            let naming = Naming::new("demo-prod", BTreeMap::default());
            let created: Vec<(String, String)> = spec
                .rules
                .iter()
                .flat_map(|(_, r)| r.targets.iter().map(|t| (r.name.clone(), t.arn.clone())))
                .collect();
            let admitted: Vec<(String, String)> = event_rules::publishing_rules(&config)
                .iter()
                .map(|r| {
                    (
                        event_rules::rule_name(&naming, r.key),
                        format!("arn:aws:sns:us-east-1:123456789012:demo-prod-{}", r.topic),
                    )
                })
                .collect();
            assert_eq!(created, admitted, "switch set {i}");
        }
    }
}

//! The alarm catalog: every metric alarm, anomaly detector and composite alarm the module can
//! own, built purely from the config and the upstream inputs.
//!
//! Each entry names the AWS page its metric comes from (see the crate docs for the full table).
//! The same builder run with every switch on gives the *universe* of names the module owns, so
//! an alarm of a group switched off is found again and deleted, while alarms of other stacks
//! whose names merely share the prefix are never touched.

mod bedrock;
mod entry;
mod stack;

use crate::MonitoringInputs;
use baseline_core::{Config, Naming};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Placeholder for a value that upstream modules only know after they applied.
pub const UNKNOWN: &str = "(known after apply)";

/// Alarm names are limited to 255 characters by CloudWatch.
const ALARM_NAME_MAX: usize = 255;

/// A monitoring group: one `enable_*` switch of the original (runtime is always on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// `AWS/Bedrock` runtime errors, throttles, latency and the invocation anomaly band.
    Runtime,
    /// Token anomaly bands and static token alarms.
    Tokens,
    /// Invocation-log delivery failures.
    LogDelivery,
    /// `AWS/Bedrock/Agents`.
    Agents,
    /// `AWS/Bedrock/KnowledgeBases`.
    KnowledgeBases,
    /// `AWS/Bedrock/Guardrails`.
    Guardrails,
    /// The failed-training-job rule's matches.
    Training,
    /// `AWS/PrivateLinkEndpoints` of the stack's Bedrock interface endpoints.
    VpcEndpoints,
    /// `AWS/S3` request metrics of the invocation-log bucket.
    LogBucket,
    /// `AWS/Usage` KMS request rate against its quota.
    Kms,
    /// The stack's metric filters on the invocation log group.
    LogAnalysis,
}

impl Group {
    /// The key used in outputs (`alarm_names`).
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Runtime => "runtime",
            Group::Tokens => "tokens",
            Group::LogDelivery => "log_delivery",
            Group::Agents => "agents",
            Group::KnowledgeBases => "knowledge_bases",
            Group::Guardrails => "guardrails",
            Group::Training => "training",
            Group::VpcEndpoints => "vpc_endpoints",
            Group::LogBucket => "log_bucket",
            Group::Kms => "kms",
            Group::LogAnalysis => "log_analysis",
        }
    }
}

/// The alert topic an alarm notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Errors and failures.
    Critical,
    /// Latency, throttling, unusual traffic.
    Performance,
    /// Token usage.
    Cost,
}

impl Topic {
    /// The key of the topic in alerting's `topic_arns`.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Critical => "critical",
            Topic::Performance => "performance",
            Topic::Cost => "cost",
        }
    }
}

/// A CloudWatch metric: namespace, name and dimensions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetricRef {
    /// e.g. `AWS/Bedrock`.
    pub namespace: String,
    /// e.g. `InvocationClientErrors`.
    pub metric_name: String,
    /// Dimension name -> value (order does not matter to CloudWatch).
    pub dimensions: BTreeMap<String, String>,
}

/// One entry of an alarm's `Metrics` (metric math alarms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricQuery {
    /// Query id (`m1`, `ad1`).
    pub id: String,
    /// The metric and its statistic, for metric entries.
    pub metric: Option<MetricRef>,
    /// Period of the metric entry, seconds.
    pub period: Option<i32>,
    /// Statistic of the metric entry (`Sum`).
    pub stat: Option<String>,
    /// Expression, for expression entries.
    pub expression: Option<String>,
    /// Label.
    pub label: Option<String>,
    /// Whether the entry's data is returned.
    pub return_data: bool,
}

/// A metric alarm's full definition, as PutMetricAlarm takes it and DescribeAlarms returns it.
/// Desired and observed alarms use the same type, so the diff compares like with like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricAlarmDef {
    /// Alarm name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The metric (single-metric alarms).
    pub metric: Option<MetricRef>,
    /// Standard statistic, e.g. `Sum`.
    pub statistic: Option<String>,
    /// Percentile statistic, e.g. `p99`.
    pub extended_statistic: Option<String>,
    /// Period, seconds (single-metric alarms).
    pub period: Option<i32>,
    /// Metric math entries (anomaly-band alarms).
    pub metrics: Vec<MetricQuery>,
    /// The entry holding the band (anomaly-band alarms).
    pub threshold_metric_id: Option<String>,
    /// Static threshold.
    pub threshold: Option<f64>,
    /// e.g. `GreaterThanThreshold`.
    pub comparison_operator: String,
    /// Evaluation periods.
    pub evaluation_periods: i32,
    /// Datapoints within the evaluation periods that trigger the alarm.
    pub datapoints_to_alarm: Option<i32>,
    /// `notBreaching`, `missing`, ...
    pub treat_missing_data: String,
    /// Whether actions run.
    pub actions_enabled: bool,
    /// ALARM actions (sorted).
    pub alarm_actions: Vec<String>,
    /// OK actions (sorted).
    pub ok_actions: Vec<String>,
}

impl MetricAlarmDef {
    /// The detector an anomaly-band alarm evaluates against, if it is one.
    pub fn anomaly_detector(&self) -> Option<DetectorDef> {
        let band = self.metrics.iter().find(|q| {
            q.expression
                .as_deref()
                .is_some_and(|e| e.starts_with("ANOMALY_DETECTION_BAND("))
        })?;
        let source = band
            .expression
            .as_deref()?
            .trim_start_matches("ANOMALY_DETECTION_BAND(")
            .split(',')
            .next()?
            .trim()
            .to_owned();
        let m = self.metrics.iter().find(|q| q.id == source)?;
        Some(DetectorDef {
            metric: m.metric.clone()?,
            stat: m.stat.clone()?,
        })
    }
}

/// An anomaly detection model (single metric). Account-level in CloudWatch: it has no name and
/// no tags, and is identified by metric and statistic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DetectorDef {
    /// The metric.
    pub metric: MetricRef,
    /// Statistic the model is trained on, e.g. `Sum`.
    pub stat: String,
}

/// A composite alarm's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeAlarmDef {
    /// Alarm name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `ALARM("a") OR ALARM("b") ...`.
    pub alarm_rule: String,
    /// Whether actions run.
    pub actions_enabled: bool,
    /// ALARM actions (sorted).
    pub alarm_actions: Vec<String>,
    /// OK actions (sorted).
    pub ok_actions: Vec<String>,
    /// The maintenance-window alarm that suppresses actions.
    pub actions_suppressor: Option<String>,
    /// Seconds to wait for the suppressor to go into ALARM.
    pub actions_suppressor_wait_period: Option<i32>,
    /// Seconds actions stay suppressed after the suppressor leaves ALARM.
    pub actions_suppressor_extension_period: Option<i32>,
}

/// A desired metric alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    /// Address key, e.g. `runtime-client-errors`.
    pub key: String,
    /// Its group.
    pub group: Group,
    /// The topic it routes to.
    pub topic: Topic,
    /// Whether comprehensive-health watches it (errors, failures, delivery problems).
    pub in_health: bool,
    /// The definition.
    pub def: MetricAlarmDef,
    /// Key of its anomaly detector, for anomaly-band alarms.
    pub detector_key: Option<String>,
}

/// A desired anomaly detector.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorSpec {
    /// Address key, e.g. `runtime-invocations`.
    pub key: String,
    /// The model.
    pub def: DetectorDef,
}

/// A desired composite alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositeSpec {
    /// Address key, e.g. `basic-health`.
    pub key: String,
    /// The definition.
    pub def: CompositeAlarmDef,
}

/// What the catalog needs besides the config.
pub(crate) struct CatalogContext<'a> {
    pub(crate) naming: &'a Naming,
    pub(crate) inputs: &'a MonitoringInputs,
    /// `arn:...:guardrail/<id>` built from the id (outputs carry the id, the metric the ARN).
    pub(crate) guardrail_arn: Option<String>,
    /// Ignore every switch: the universe of what the module may own.
    pub(crate) all: bool,
    /// The stack's region (endpoint service names).
    pub(crate) region: &'a str,
}

/// The catalog: metric alarms, their detectors and the composite alarms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Catalog {
    pub(crate) alarms: Vec<AlarmSpec>,
    pub(crate) detectors: Vec<DetectorSpec>,
    pub(crate) composites: Vec<CompositeSpec>,
}

fn secs(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// `2` for 2.0, `2.5` for 2.5: the band width as CloudWatch echoes it in the expression.
pub(crate) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Keys the module created in earlier releases on metrics or dimension sets AWS does not
/// publish; kept in the universe so an existing stack deletes them on its next apply.
const RETIRED_KEYS: &[&str] = &[
    "api-calls-anomaly",
    "guardrails-input-intervened",
    "guardrails-output-intervened",
];

/// Builds the catalog. Pure.
pub(crate) fn catalog(c: &Config, cx: &CatalogContext<'_>) -> Catalog {
    let mut entries = bedrock::entries(c, cx);
    entries.extend(stack::entries(c, cx));
    let topic_actions = |topic: Topic| -> Vec<String> {
        if !c.enable_alerting {
            return Vec::new();
        }
        vec![cx
            .inputs
            .topic_arns
            .get(topic.as_str())
            .map(|a| a.as_str().to_owned())
            .unwrap_or_else(|| UNKNOWN.to_owned())]
    };
    let ok = |topic: Topic| {
        if c.enable_ok_actions {
            topic_actions(topic)
        } else {
            Vec::new()
        }
    };

    let mut detectors: Vec<DetectorSpec> = Vec::new();
    let alarms: Vec<AlarmSpec> = entries
        .into_iter()
        .map(|e| {
            let (actions, ok_actions) = (topic_actions(e.topic), ok(e.topic));
            entry::alarm(c, cx, e, actions, ok_actions, &mut detectors)
        })
        .collect();

    let composites = composites(
        c,
        cx,
        &alarms,
        &topic_actions(Topic::Critical),
        &ok(Topic::Critical),
    );
    Catalog {
        alarms,
        detectors,
        composites,
    }
}

/// Name key of the failed-training-job rule (its RuleName is the alarm's dimension).
pub(crate) const TRAINING_RULE_KEY: &str = baseline_core::event_rules::TRAINING_RULE_KEY;

/// `ALARM("a") OR ALARM("b")`, in the order given.
pub(crate) fn alarm_rule<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|n| format!("ALARM(\"{n}\")"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Keys of the alarms the basic health composite watches.
fn in_basic_health(a: &AlarmSpec) -> bool {
    matches!(
        a.key.as_str(),
        "runtime-client-errors"
            | "runtime-server-errors"
            | "runtime-p99-latency"
            | "runtime-throttles"
    ) || a.group == Group::LogDelivery
}

fn composites(
    c: &Config,
    cx: &CatalogContext<'_>,
    alarms: &[AlarmSpec],
    actions: &[String],
    ok: &[String],
) -> Vec<CompositeSpec> {
    let mut out = Vec::new();
    if !(cx.all || c.enable_composite_alarms) {
        return out;
    }
    let suppressor = c.maintenance_window_alarm_arn.clone();
    let has_suppressor = suppressor.is_some();
    let composite = |key: &str, members: Vec<&str>, what: &str| CompositeSpec {
        key: key.to_owned(),
        def: CompositeAlarmDef {
            name: cx.naming.name(key, ALARM_NAME_MAX),
            description: format!(
                "{what}. Managed by bedrock-baseline, stack {}.",
                cx.naming.stack()
            ),
            alarm_rule: alarm_rule(members),
            actions_enabled: true,
            alarm_actions: actions.to_vec(),
            ok_actions: ok.to_vec(),
            actions_suppressor: suppressor.clone(),
            actions_suppressor_wait_period: has_suppressor
                .then(|| secs(c.maintenance_suppression_wait_period)),
            actions_suppressor_extension_period: has_suppressor
                .then(|| secs(c.maintenance_suppression_extension_period)),
        },
    };
    let basic: Vec<&str> = alarms
        .iter()
        .filter(|a| in_basic_health(a))
        .map(|a| a.def.name.as_str())
        .collect();
    out.push(composite(
        "basic-health",
        basic,
        "Bedrock basic health: runtime errors, latency, throttles and log delivery",
    ));
    if cx.all || c.enable_comprehensive_health_monitoring {
        let health: Vec<&str> = alarms
            .iter()
            .filter(|a| a.in_health)
            .map(|a| a.def.name.as_str())
            .collect();
        out.push(composite(
            "comprehensive-health",
            health,
            "Bedrock comprehensive health: errors, failures and delivery problems of every enabled group (no anomaly band, token or latency alarm)",
        ));
    }
    out
}

/// Names of every alarm (metric and composite) the module may own for this stack.
pub(crate) fn universe_names(catalog: &Catalog, naming: &Naming) -> BTreeSet<String> {
    catalog
        .alarms
        .iter()
        .map(|a| a.def.name.clone())
        .chain(catalog.composites.iter().map(|c| c.def.name.clone()))
        .chain(RETIRED_KEYS.iter().map(|k| naming.name(k, ALARM_NAME_MAX)))
        .collect()
}

#[cfg(test)]
mod tests;

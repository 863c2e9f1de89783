//! The alarm catalog: every metric alarm, anomaly detector and composite alarm the module can
//! own, built purely from the config and the upstream inputs.
//!
//! Each entry names the AWS page its metric comes from (see the crate docs for the full table).
//! The same builder run with every switch on gives the *universe* of names the module owns, so
//! an alarm of a group switched off is found again and deleted, while alarms of other stacks
//! whose names merely share the prefix are never touched.

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
    /// `AWS/Usage` call counts.
    ApiCalls,
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
            Group::ApiCalls => "api_calls",
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
    /// The topic it notifies.
    pub topic: Topic,
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
}

/// The catalog: metric alarms, their detectors and the composite alarms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Catalog {
    pub(crate) alarms: Vec<AlarmSpec>,
    pub(crate) detectors: Vec<DetectorSpec>,
    pub(crate) composites: Vec<CompositeSpec>,
}

fn metric(namespace: &str, name: &str, dims: &[(&str, &str)]) -> MetricRef {
    MetricRef {
        namespace: namespace.to_owned(),
        metric_name: name.to_owned(),
        dimensions: dims
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
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

/// How an alarm reads its metric.
enum Eval {
    /// Static threshold on a standard statistic.
    Stat {
        stat: &'static str,
        comparison: &'static str,
        threshold: f64,
    },
    /// Static threshold on a percentile.
    Percentile { pct: &'static str, threshold: f64 },
    /// Anomaly band of `width` standard deviations, alarm above the upper edge.
    Band {
        stat: &'static str,
        width: f64,
        detector_key: &'static str,
    },
}

struct Entry {
    key: &'static str,
    group: Group,
    topic: Topic,
    metric: MetricRef,
    eval: Eval,
    treat_missing: &'static str,
    what: &'static str,
}

/// Builds the catalog. Pure.
pub(crate) fn catalog(c: &Config, cx: &CatalogContext<'_>) -> Catalog {
    let on = |switch: bool| cx.all || switch;
    let mut entries: Vec<Entry> = Vec::new();
    let sum = |comparison: &'static str, threshold: f64| Eval::Stat {
        stat: "Sum",
        comparison,
        threshold,
    };
    let gt = |threshold: f64| sum("GreaterThanThreshold", threshold);

    // Runtime: "Amazon Bedrock runtime metrics" (monitoring-runtime-metrics), namespace AWS/Bedrock,
    // published across all model ids (no dimension) and per ModelId.
    let bedrock = |name: &str| metric("AWS/Bedrock", name, &[]);
    entries.push(Entry {
        key: "runtime-client-errors",
        group: Group::Runtime,
        topic: Topic::Critical,
        metric: bedrock("InvocationClientErrors"),
        eval: gt(c.invocation_error_threshold),
        treat_missing: "notBreaching",
        what: "Bedrock invocations failing with client errors",
    });
    entries.push(Entry {
        key: "runtime-server-errors",
        group: Group::Runtime,
        topic: Topic::Critical,
        metric: bedrock("InvocationServerErrors"),
        eval: gt(c.server_error_threshold),
        treat_missing: "notBreaching",
        what: "Bedrock invocations failing with server errors",
    });
    entries.push(Entry {
        key: "runtime-throttles",
        group: Group::Runtime,
        topic: Topic::Performance,
        metric: bedrock("InvocationThrottles"),
        eval: gt(c.throttle_threshold),
        treat_missing: "notBreaching",
        what: "Bedrock invocations throttled",
    });
    entries.push(Entry {
        key: "runtime-p99-latency",
        group: Group::Runtime,
        topic: Topic::Performance,
        metric: bedrock("InvocationLatency"),
        eval: Eval::Percentile {
            pct: "p99",
            threshold: c.latency_threshold_ms,
        },
        treat_missing: "missing",
        what: "Bedrock invocation latency p99 (ms)",
    });
    if on(c.enable_anomaly_detection) {
        entries.push(Entry {
            key: "runtime-invocations-anomaly",
            group: Group::Runtime,
            topic: Topic::Performance,
            metric: bedrock("Invocations"),
            eval: Eval::Band {
                stat: "Sum",
                width: c.anomaly_threshold,
                detector_key: "runtime-invocations",
            },
            treat_missing: "notBreaching",
            what: "Bedrock invocations above their anomaly band",
        });
    }

    // Tokens: same page (InputTokenCount, OutputTokenCount).
    if on(c.enable_token_monitoring) {
        let topic = if c.enable_cost_alerting {
            Topic::Cost
        } else {
            Topic::Performance
        };
        entries.push(Entry {
            key: "tokens-input-anomaly",
            group: Group::Tokens,
            topic,
            metric: bedrock("InputTokenCount"),
            eval: Eval::Band {
                stat: "Sum",
                width: c.token_anomaly_threshold,
                detector_key: "tokens-input",
            },
            treat_missing: "notBreaching",
            what: "input tokens above their anomaly band",
        });
        entries.push(Entry {
            key: "tokens-output-anomaly",
            group: Group::Tokens,
            topic,
            metric: bedrock("OutputTokenCount"),
            eval: Eval::Band {
                stat: "Sum",
                width: c.token_anomaly_threshold,
                detector_key: "tokens-output",
            },
            treat_missing: "notBreaching",
            what: "output tokens above their anomaly band",
        });
        if on(c.enable_token_anomaly_detection) {
            entries.push(Entry {
                key: "tokens-input-high",
                group: Group::Tokens,
                topic,
                metric: bedrock("InputTokenCount"),
                eval: gt(c.token_anomaly_threshold_value),
                treat_missing: "notBreaching",
                what: "input tokens per period over the absolute limit",
            });
            entries.push(Entry {
                key: "tokens-output-high",
                group: Group::Tokens,
                topic,
                metric: bedrock("OutputTokenCount"),
                eval: gt(c.token_anomaly_threshold_value),
                treat_missing: "notBreaching",
                what: "output tokens per period over the absolute limit",
            });
        }
    }

    // Log delivery: same page, "model invocation logging" metrics.
    let logging = on(c.enable_model_invocation_logging);
    for (enabled, key, name, what) in [
        (
            c.enable_cloudwatch_logging,
            "logging-cloudwatch-delivery-failures",
            "ModelInvocationLogsCloudWatchDeliveryFailure",
            "invocation logs not delivered to CloudWatch Logs",
        ),
        (
            c.enable_s3_logging,
            "logging-s3-delivery-failures",
            "ModelInvocationLogsS3DeliveryFailure",
            "invocation logs not delivered to S3",
        ),
    ] {
        if logging && on(enabled) {
            entries.push(Entry {
                key,
                group: Group::LogDelivery,
                topic: Topic::Critical,
                metric: bedrock(name),
                eval: sum("GreaterThanOrEqualToThreshold", c.logging_failure_threshold),
                treat_missing: "notBreaching",
                what,
            });
        }
    }

    // Agents: "Monitor Amazon Bedrock Agents using CloudWatch Metrics" (monitoring-agents-cw-metrics),
    // namespace AWS/Bedrock/Agents, dimension Operation = InvokeAgent.
    if on(c.enable_agents_monitoring) {
        let agents =
            |name: &str| metric("AWS/Bedrock/Agents", name, &[("Operation", "InvokeAgent")]);
        entries.push(Entry {
            key: "agents-client-errors",
            group: Group::Agents,
            topic: Topic::Critical,
            metric: agents("InvocationClientErrors"),
            eval: gt(c.agents_error_threshold),
            treat_missing: "notBreaching",
            what: "InvokeAgent client errors",
        });
        entries.push(Entry {
            key: "agents-server-errors",
            group: Group::Agents,
            topic: Topic::Critical,
            metric: agents("InvocationServerErrors"),
            eval: gt(c.agents_error_threshold),
            treat_missing: "notBreaching",
            what: "InvokeAgent server errors",
        });
        entries.push(Entry {
            key: "agents-throttles",
            group: Group::Agents,
            topic: Topic::Performance,
            metric: agents("InvocationThrottles"),
            eval: gt(c.agents_throttle_threshold),
            treat_missing: "notBreaching",
            what: "InvokeAgent requests throttled",
        });
        entries.push(Entry {
            key: "agents-p99-latency",
            group: Group::Agents,
            topic: Topic::Performance,
            metric: agents("TotalTime"),
            eval: Eval::Percentile {
                pct: "p99",
                threshold: c.agents_latency_threshold_ms,
            },
            treat_missing: "missing",
            what: "InvokeAgent total time p99 (ms)",
        });
    }

    // Knowledge bases: "Observability for managed knowledge bases" (kb-managed-observability),
    // namespace AWS/Bedrock/KnowledgeBases, dimension Operation = Retrieve. No retrieval latency
    // metric is documented, so kb_latency_threshold_ms has nothing to watch (see crate docs).
    if on(c.enable_knowledge_base_monitoring) {
        let kb = |name: &str| {
            metric(
                "AWS/Bedrock/KnowledgeBases",
                name,
                &[("Operation", "Retrieve")],
            )
        };
        entries.push(Entry {
            key: "kb-client-errors",
            group: Group::KnowledgeBases,
            topic: Topic::Critical,
            metric: kb("ClientErrors"),
            eval: gt(c.kb_error_threshold),
            treat_missing: "notBreaching",
            what: "knowledge base Retrieve client errors",
        });
        entries.push(Entry {
            key: "kb-server-errors",
            group: Group::KnowledgeBases,
            topic: Topic::Critical,
            metric: kb("ServerErrors"),
            eval: gt(c.kb_error_threshold),
            treat_missing: "notBreaching",
            what: "knowledge base Retrieve server errors",
        });
        entries.push(Entry {
            key: "kb-throttles",
            group: Group::KnowledgeBases,
            topic: Topic::Performance,
            metric: kb("Throttles"),
            eval: gt(c.kb_throttle_threshold),
            treat_missing: "notBreaching",
            what: "knowledge base Retrieve requests throttled",
        });
    }

    // Guardrails: "Monitor Amazon Bedrock Guardrails using CloudWatch metrics"
    // (monitoring-guardrails-cw-metrics), InvocationsIntervened split by GuardrailContentSource.
    let guardrail_present = cx.all || cx.inputs.guardrail_id.is_some() || c.enable_guardrails;
    if on(c.enable_guardrails_monitoring) && guardrail_present {
        let arn = cx
            .guardrail_arn
            .clone()
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let version = cx
            .inputs
            .guardrail_version
            .clone()
            .unwrap_or_else(|| UNKNOWN.to_owned());
        for (key, source, what) in [
            (
                "guardrails-input-intervened",
                "Input",
                "guardrail interventions on prompts",
            ),
            (
                "guardrails-output-intervened",
                "Output",
                "guardrail interventions on model responses",
            ),
        ] {
            entries.push(Entry {
                key,
                group: Group::Guardrails,
                topic: Topic::Performance,
                metric: metric(
                    "AWS/Bedrock/Guardrails",
                    "InvocationsIntervened",
                    &[
                        ("GuardrailArn", &arn),
                        ("GuardrailVersion", &version),
                        ("GuardrailContentSource", source),
                    ],
                ),
                eval: gt(c.guardrails_blocked_threshold),
                treat_missing: "notBreaching",
                what,
            });
        }
    }

    // API calls: "Service Quotas integration and usage metrics" (AWS/Usage CallCount, documented
    // under CloudWatch's "AWS usage metrics").
    if on(c.enable_api_call_monitoring) {
        entries.push(Entry {
            key: "api-calls-anomaly",
            group: Group::ApiCalls,
            topic: Topic::Performance,
            metric: metric(
                "AWS/Usage",
                "CallCount",
                &[
                    ("Type", "API"),
                    ("Service", "Bedrock"),
                    ("Resource", "InvokeModel"),
                    ("Class", "None"),
                ],
            ),
            eval: Eval::Band {
                stat: "Sum",
                width: c.anomaly_threshold,
                detector_key: "api-calls",
            },
            treat_missing: "notBreaching",
            what: "InvokeModel API calls above their anomaly band",
        });
    }

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

    let mut alarms = Vec::new();
    let mut detectors: Vec<DetectorSpec> = Vec::new();
    for e in entries {
        let name = cx.naming.name(e.key, ALARM_NAME_MAX);
        let mut def = MetricAlarmDef {
            name,
            description: String::new(),
            metric: None,
            statistic: None,
            extended_statistic: None,
            period: None,
            metrics: Vec::new(),
            threshold_metric_id: None,
            threshold: None,
            comparison_operator: String::new(),
            evaluation_periods: secs(c.alarm_evaluation_periods),
            datapoints_to_alarm: Some(secs(c.alarm_datapoints_to_alarm)),
            treat_missing_data: e.treat_missing.to_owned(),
            actions_enabled: true,
            alarm_actions: topic_actions(e.topic),
            ok_actions: ok(e.topic),
        };
        let mut detector_key = None;
        let rule = match e.eval {
            Eval::Stat {
                stat,
                comparison,
                threshold,
            } => {
                def.metric = Some(e.metric.clone());
                def.statistic = Some(stat.to_owned());
                def.period = Some(secs(c.alarm_period));
                def.threshold = Some(threshold);
                def.comparison_operator = comparison.to_owned();
                let op = if comparison == "GreaterThanOrEqualToThreshold" {
                    ">="
                } else {
                    ">"
                };
                format!(
                    "{stat} over {} s {op} {}",
                    c.alarm_period,
                    number(threshold)
                )
            }
            Eval::Percentile { pct, threshold } => {
                def.metric = Some(e.metric.clone());
                def.extended_statistic = Some(pct.to_owned());
                def.period = Some(secs(c.alarm_period));
                def.threshold = Some(threshold);
                def.comparison_operator = "GreaterThanThreshold".to_owned();
                format!("{pct} over {} s > {}", c.alarm_period, number(threshold))
            }
            Eval::Band {
                stat,
                width,
                detector_key: dk,
            } => {
                def.metrics = vec![
                    MetricQuery {
                        id: "m1".into(),
                        metric: Some(e.metric.clone()),
                        period: Some(secs(c.anomaly_period)),
                        stat: Some(stat.to_owned()),
                        expression: None,
                        label: None,
                        return_data: true,
                    },
                    MetricQuery {
                        id: "ad1".into(),
                        metric: None,
                        period: None,
                        stat: None,
                        expression: Some(format!("ANOMALY_DETECTION_BAND(m1, {})", number(width))),
                        label: Some(format!("{} (expected)", e.metric.metric_name)),
                        return_data: true,
                    },
                ];
                def.threshold_metric_id = Some("ad1".into());
                def.comparison_operator = "GreaterThanUpperThreshold".to_owned();
                def.evaluation_periods = secs(c.anomaly_evaluation_periods);
                def.datapoints_to_alarm = Some(secs(c.anomaly_evaluation_periods));
                detector_key = Some(dk.to_owned());
                if !detectors.iter().any(|d| d.key == dk) {
                    detectors.push(DetectorSpec {
                        key: dk.to_owned(),
                        def: DetectorDef {
                            metric: e.metric.clone(),
                            stat: stat.to_owned(),
                        },
                    });
                }
                format!(
                    "{stat} over {} s above a band of {} standard deviations",
                    c.anomaly_period,
                    number(width)
                )
            }
        };
        def.description = format!(
            "{}: {}/{} {rule} ({}). Managed by bedrock-baseline, stack {}.",
            e.what,
            e.metric.namespace,
            e.metric.metric_name,
            e.topic.as_str(),
            cx.naming.stack()
        );
        alarms.push(AlarmSpec {
            key: e.key.to_owned(),
            group: e.group,
            topic: e.topic,
            def,
            detector_key,
        });
    }

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
        let every: Vec<&str> = alarms.iter().map(|a| a.def.name.as_str()).collect();
        out.push(composite(
            "comprehensive-health",
            every,
            "Bedrock comprehensive health: every enabled alarm of the stack",
        ));
    }
    out
}

/// Names of every alarm (metric and composite) the module may own for this stack.
pub(crate) fn universe_names(catalog: &Catalog) -> BTreeSet<String> {
    catalog
        .alarms
        .iter()
        .map(|a| a.def.name.clone())
        .chain(catalog.composites.iter().map(|c| c.def.name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use baseline_core::ids::TopicArn;

    fn topics() -> BTreeMap<String, TopicArn> {
        ["critical", "performance", "cost"]
            .into_iter()
            .map(|t| {
                (
                    t.to_owned(),
                    TopicArn(format!("arn:aws:sns:us-east-1:123456789012:demo-prod-{t}")),
                )
            })
            .collect()
    }

    fn build(config: &Config, inputs: &MonitoringInputs) -> Catalog {
        let naming = Naming::new("demo-prod", BTreeMap::new());
        let cx = CatalogContext {
            naming: &naming,
            inputs,
            guardrail_arn: inputs
                .guardrail_id
                .as_ref()
                .map(|id| format!("arn:aws:bedrock:us-east-1:123456789012:guardrail/{id}")),
            all: false,
        };
        catalog(config, &cx)
    }

    /// The built-in defaults, changed field by field in each test.
    fn defaults() -> Config {
        Config::default()
    }

    fn inputs() -> MonitoringInputs {
        MonitoringInputs {
            topic_arns: topics(),
            guardrail_id: Some("gr1".into()),
            guardrail_version: Some("1".into()),
        }
    }

    fn keys(c: &Catalog) -> Vec<&str> {
        c.alarms.iter().map(|a| a.key.as_str()).collect()
    }

    /// Checks which alarm keys a config change yields.
    #[track_caller]
    fn check(change: impl FnOnce(&mut Config), present: &[&str], absent: &[&str]) {
        let mut config = defaults();
        change(&mut config);
        let cat = build(&config, &inputs());
        let got = keys(&cat);
        for k in present {
            assert!(got.contains(k), "{k} missing from {got:?}");
        }
        for k in absent {
            assert!(!got.contains(k), "{k} present in {got:?}");
        }
    }

    #[test]
    fn every_switch_adds_or_removes_exactly_its_group() {
        let all = [
            "runtime-client-errors",
            "runtime-server-errors",
            "runtime-throttles",
            "runtime-p99-latency",
            "runtime-invocations-anomaly",
            "tokens-input-anomaly",
            "tokens-output-anomaly",
            "tokens-input-high",
            "tokens-output-high",
            "logging-cloudwatch-delivery-failures",
            "logging-s3-delivery-failures",
            "agents-client-errors",
            "agents-server-errors",
            "agents-throttles",
            "agents-p99-latency",
            "kb-client-errors",
            "kb-server-errors",
            "kb-throttles",
            "guardrails-input-intervened",
            "guardrails-output-intervened",
            "api-calls-anomaly",
        ];
        check(|_| {}, &all, &[]);
        check(
            |c| c.enable_anomaly_detection = false,
            &["runtime-client-errors"],
            &["runtime-invocations-anomaly"],
        );
        check(
            |c| c.enable_token_monitoring = false,
            &["runtime-client-errors"],
            &[
                "tokens-input-anomaly",
                "tokens-output-anomaly",
                "tokens-input-high",
                "tokens-output-high",
            ],
        );
        check(
            |c| c.enable_token_anomaly_detection = false,
            &["tokens-input-anomaly"],
            &["tokens-input-high", "tokens-output-high"],
        );
        check(
            |c| c.enable_s3_logging = false,
            &["logging-cloudwatch-delivery-failures"],
            &["logging-s3-delivery-failures"],
        );
        check(
            |c| c.enable_model_invocation_logging = false,
            &["runtime-client-errors"],
            &[
                "logging-cloudwatch-delivery-failures",
                "logging-s3-delivery-failures",
            ],
        );
        check(
            |c| c.enable_agents_monitoring = false,
            &["kb-throttles"],
            &[
                "agents-client-errors",
                "agents-server-errors",
                "agents-throttles",
                "agents-p99-latency",
            ],
        );
        check(
            |c| c.enable_knowledge_base_monitoring = false,
            &["agents-throttles"],
            &["kb-client-errors", "kb-server-errors", "kb-throttles"],
        );
        check(
            |c| c.enable_guardrails_monitoring = false,
            &["api-calls-anomaly"],
            &[
                "guardrails-input-intervened",
                "guardrails-output-intervened",
            ],
        );
        check(
            |c| c.enable_api_call_monitoring = false,
            &["runtime-throttles"],
            &["api-calls-anomaly"],
        );
    }

    #[test]
    fn guardrail_alarms_need_a_guardrail() {
        let mut config = defaults();
        config.enable_guardrails = false;
        let no_guardrail = MonitoringInputs {
            guardrail_id: None,
            guardrail_version: None,
            ..inputs()
        };
        assert!(!keys(&build(&config, &no_guardrail))
            .iter()
            .any(|k| k.starts_with("guardrails-")));
        // Enabled but not created yet: planned with placeholders.
        config.enable_guardrails = true;
        let cat = build(&config, &no_guardrail);
        let g = cat
            .alarms
            .iter()
            .find(|a| a.key == "guardrails-input-intervened")
            .unwrap();
        assert_eq!(
            g.def.metric.as_ref().unwrap().dimensions["GuardrailArn"],
            UNKNOWN
        );
    }

    #[test]
    fn alarms_carry_the_seed_thresholds_and_route_to_their_topic() {
        let cat = build(&Config::default(), &inputs());
        let by = |k: &str| cat.alarms.iter().find(|a| a.key == k).unwrap();
        let ce = by("runtime-client-errors");
        assert_eq!(ce.def.threshold, Some(10.0));
        assert_eq!(ce.def.statistic.as_deref(), Some("Sum"));
        assert_eq!(ce.def.period, Some(300));
        assert_eq!(ce.def.treat_missing_data, "notBreaching");
        assert_eq!(
            ce.def.alarm_actions,
            vec!["arn:aws:sns:us-east-1:123456789012:demo-prod-critical"]
        );
        assert!(
            ce.def.ok_actions.is_empty(),
            "enable_ok_actions defaults to false"
        );
        let lat = by("runtime-p99-latency");
        assert_eq!(lat.def.extended_statistic.as_deref(), Some("p99"));
        assert_eq!(lat.def.statistic, None);
        assert_eq!(lat.def.threshold, Some(10_000.0));
        assert_eq!(lat.def.treat_missing_data, "missing");
        assert!(lat.def.alarm_actions[0].ends_with("-performance"));
        let agents = by("agents-p99-latency");
        assert_eq!(
            agents.def.metric.as_ref().unwrap().dimensions["Operation"],
            "InvokeAgent"
        );
        assert_eq!(agents.def.threshold, Some(15_000.0));
        assert!(by("tokens-input-anomaly").def.alarm_actions[0].ends_with("-cost"));
        assert_eq!(
            by("logging-s3-delivery-failures").def.comparison_operator,
            "GreaterThanOrEqualToThreshold"
        );
        assert_eq!(by("guardrails-output-intervened").def.threshold, Some(50.0));
    }

    #[test]
    fn token_alarms_go_to_performance_without_cost_alerting() {
        let mut config = defaults();
        config.enable_cost_alerting = false;
        let cat = build(&config, &inputs());
        let t = cat
            .alarms
            .iter()
            .find(|a| a.key == "tokens-output-anomaly")
            .unwrap();
        assert_eq!(t.topic, Topic::Performance);
    }

    #[test]
    fn alerting_off_means_no_actions_and_unknown_topics_are_placeholders() {
        let mut config = defaults();
        config.enable_alerting = false;
        let cat = build(&config, &MonitoringInputs::default());
        assert!(cat.alarms.iter().all(|a| a.def.alarm_actions.is_empty()));
        let cat = build(&Config::default(), &MonitoringInputs::default());
        assert_eq!(cat.alarms[0].def.alarm_actions, vec![UNKNOWN]);
    }

    #[test]
    fn ok_actions_follow_the_switch() {
        let mut config = defaults();
        config.enable_ok_actions = true;
        let cat = build(&config, &inputs());
        assert_eq!(
            cat.alarms[0].def.ok_actions,
            cat.alarms[0].def.alarm_actions
        );
    }

    #[test]
    fn anomaly_alarms_use_a_band_with_threshold_metric_id_and_one_detector_each() {
        let mut config = defaults();
        config.anomaly_threshold = 2.5;
        let cat = build(&config, &inputs());
        let a = cat
            .alarms
            .iter()
            .find(|a| a.key == "runtime-invocations-anomaly")
            .unwrap();
        assert_eq!(a.def.threshold_metric_id.as_deref(), Some("ad1"));
        assert_eq!(a.def.threshold, None);
        assert_eq!(
            a.def.metrics[1].expression.as_deref(),
            Some("ANOMALY_DETECTION_BAND(m1, 2.5)")
        );
        assert_eq!(a.def.comparison_operator, "GreaterThanUpperThreshold");
        assert_eq!(
            a.def.anomaly_detector().unwrap(),
            cat.detectors
                .iter()
                .find(|d| d.key == "runtime-invocations")
                .unwrap()
                .def
        );
        let keys: Vec<_> = cat.detectors.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "runtime-invocations",
                "tokens-input",
                "tokens-output",
                "api-calls"
            ]
        );
        let api = &cat.detectors[3].def.metric;
        assert_eq!(api.namespace, "AWS/Usage");
        assert_eq!(api.dimensions["Class"], "None");
    }

    #[test]
    fn composite_rules_name_exactly_the_enabled_alarms() {
        let mut config = defaults();
        config.enable_agents_monitoring = false;
        config.enable_s3_logging = false;
        let cat = build(&config, &inputs());
        let basic = &cat.composites[0].def;
        assert_eq!(
            basic.alarm_rule,
            "ALARM(\"demo-prod-runtime-client-errors\") OR ALARM(\"demo-prod-runtime-server-errors\") OR \
             ALARM(\"demo-prod-runtime-throttles\") OR ALARM(\"demo-prod-runtime-p99-latency\") OR \
             ALARM(\"demo-prod-logging-cloudwatch-delivery-failures\")"
        );
        let comprehensive = &cat.composites[1].def;
        for a in &cat.alarms {
            assert!(comprehensive
                .alarm_rule
                .contains(&format!("ALARM(\"{}\")", a.def.name)));
        }
        assert!(!comprehensive.alarm_rule.contains("agents"));
        assert_eq!(
            comprehensive.alarm_rule.matches("ALARM(").count(),
            cat.alarms.len()
        );
        assert!(basic.alarm_actions[0].ends_with("-critical"));
        assert_eq!(basic.actions_suppressor, None);
    }

    #[test]
    fn composites_follow_their_switches_and_the_maintenance_suppressor() {
        let mut config = defaults();
        config.enable_comprehensive_health_monitoring = false;
        config.maintenance_window_alarm_arn =
            Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:maint".into());
        config.maintenance_suppression_wait_period = 120;
        let cat = build(&config, &inputs());
        assert_eq!(cat.composites.len(), 1);
        let d = &cat.composites[0].def;
        assert_eq!(
            d.actions_suppressor.as_deref(),
            Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:maint")
        );
        assert_eq!(d.actions_suppressor_wait_period, Some(120));
        assert_eq!(d.actions_suppressor_extension_period, Some(300));
        config.enable_composite_alarms = false;
        assert!(build(&config, &inputs()).composites.is_empty());
    }

    #[test]
    fn band_widths_print_like_cloudwatch() {
        assert_eq!(number(2.0), "2");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(10_000.0), "10000");
    }
}

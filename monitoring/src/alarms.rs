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
    /// Metric math: `m1` is the entry's metric, `m2` the second one, `e1` the expression the
    /// alarm compares with `>= threshold`.
    Math {
        second: MetricRef,
        expression: &'static str,
        threshold: f64,
        /// Label of the expression (what it measures).
        label: &'static str,
    },
}

struct Entry {
    key: String,
    group: Group,
    topic: Topic,
    /// Whether the comprehensive-health composite watches it: errors, failures and delivery
    /// problems only, never latency, throttles, anomaly bands, interventions or tokens.
    health: bool,
    metric: MetricRef,
    eval: Eval,
    treat_missing: &'static str,
    what: String,
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
    let on = |switch: bool| cx.all || switch;
    let mut entries: Vec<Entry> = Vec::new();
    let sum = |comparison: &'static str, threshold: f64| Eval::Stat {
        stat: "Sum",
        comparison,
        threshold,
    };
    let gt = |threshold: f64| sum("GreaterThanThreshold", threshold);

    // Runtime: metrics::RUNTIME_PAGE, namespace AWS/Bedrock, across all model ids (no
    // dimension), so Converse, ConverseStream and streaming calls are all counted.
    let bedrock = |name: &str| metric("AWS/Bedrock", name, &[]);
    entries.push(Entry {
        key: "runtime-client-errors".into(),
        group: Group::Runtime,
        topic: Topic::Critical,
        health: true,
        metric: bedrock("InvocationClientErrors"),
        eval: gt(c.invocation_error_threshold),
        treat_missing: "notBreaching",
        what: "Bedrock invocations failing with client errors".into(),
    });
    entries.push(Entry {
        key: "runtime-server-errors".into(),
        group: Group::Runtime,
        topic: Topic::Critical,
        health: true,
        metric: bedrock("InvocationServerErrors"),
        eval: gt(c.server_error_threshold),
        treat_missing: "notBreaching",
        what: "Bedrock invocations failing with server errors".into(),
    });
    entries.push(Entry {
        key: "runtime-throttles".into(),
        group: Group::Runtime,
        topic: Topic::Performance,
        health: false,
        metric: bedrock("InvocationThrottles"),
        eval: gt(c.throttle_threshold),
        treat_missing: "notBreaching",
        what: "Bedrock invocations throttled".into(),
    });
    entries.push(Entry {
        key: "runtime-p99-latency".into(),
        group: Group::Runtime,
        topic: Topic::Performance,
        health: false,
        metric: bedrock("InvocationLatency"),
        eval: Eval::Percentile {
            pct: "p99",
            threshold: c.latency_threshold_ms,
        },
        treat_missing: "missing",
        what: "Bedrock invocation latency p99 (ms)".into(),
    });
    // Traffic surges are a performance matter; token surges a cost one (below).
    if on(c.enable_anomaly_detection) {
        entries.push(Entry {
            key: "runtime-invocations-anomaly".into(),
            group: Group::Runtime,
            topic: Topic::Performance,
            health: false,
            metric: bedrock("Invocations"),
            eval: Eval::Band {
                stat: "Sum",
                width: c.anomaly_threshold,
                detector_key: "runtime-invocations",
            },
            treat_missing: "notBreaching",
            what: "Bedrock invocations above their anomaly band".into(),
        });
    }

    // Tokens: same page (InputTokenCount, OutputTokenCount).
    if on(c.enable_token_monitoring) {
        let topic = if c.enable_cost_alerting {
            Topic::Cost
        } else {
            Topic::Performance
        };
        if on(c.enable_anomaly_detection) {
            entries.push(Entry {
                key: "tokens-input-anomaly".into(),
                group: Group::Tokens,
                topic,
                health: false,
                metric: bedrock("InputTokenCount"),
                eval: Eval::Band {
                    stat: "Sum",
                    width: c.token_anomaly_threshold,
                    detector_key: "tokens-input",
                },
                treat_missing: "notBreaching",
                what: "input tokens above their anomaly band".into(),
            });
            entries.push(Entry {
                key: "tokens-output-anomaly".into(),
                group: Group::Tokens,
                topic,
                health: false,
                metric: bedrock("OutputTokenCount"),
                eval: Eval::Band {
                    stat: "Sum",
                    width: c.token_anomaly_threshold,
                    detector_key: "tokens-output",
                },
                treat_missing: "notBreaching",
                what: "output tokens above their anomaly band".into(),
            });
        }
        // Static token alarms only with an explicit threshold: any fixed default (the
        // original's 1000 per 5 minutes is one or two requests) pages for normal traffic.
        let threshold = c
            .token_anomaly_threshold_value
            .or(cx.all.then_some(f64::MAX));
        if let (true, Some(threshold)) = (on(c.enable_token_anomaly_detection), threshold) {
            entries.push(Entry {
                key: "tokens-input-high".into(),
                group: Group::Tokens,
                topic,
                health: false,
                metric: bedrock("InputTokenCount"),
                eval: gt(threshold),
                treat_missing: "notBreaching",
                what: "input tokens per period over the absolute limit".into(),
            });
            entries.push(Entry {
                key: "tokens-output-high".into(),
                group: Group::Tokens,
                topic,
                health: false,
                metric: bedrock("OutputTokenCount"),
                eval: gt(threshold),
                treat_missing: "notBreaching",
                what: "output tokens per period over the absolute limit".into(),
            });
        }
    }

    // Log delivery: same page, "CloudWatch metrics for Amazon Bedrock" (published every time a
    // delivery succeeds or fails, across all model ids). Large-data delivery is the S3 copy of
    // bodies too big for CloudWatch Logs, so it belongs to S3 logging... and to CloudWatch
    // logging with a large-data bucket; both use the stack's bucket here, so S3 logging gates it.
    let logging = on(c.enable_model_invocation_logging);
    let cloudwatch_logs = logging && on(c.enable_cloudwatch_logging);
    let s3_logs = logging && on(c.enable_s3_logging);
    for (enabled, key, name, what) in [
        (
            cloudwatch_logs,
            "logging-cloudwatch-delivery-failures",
            "ModelInvocationLogsCloudWatchDeliveryFailure",
            "invocation logs not delivered to CloudWatch Logs",
        ),
        (
            s3_logs,
            "logging-s3-delivery-failures",
            "ModelInvocationLogsS3DeliveryFailure",
            "invocation logs not delivered to S3",
        ),
        (
            s3_logs,
            "logging-large-data-delivery-failures",
            "ModelInvocationLargeDataS3DeliveryFailure",
            "large invocation payloads not delivered to S3",
        ),
    ] {
        if enabled {
            entries.push(Entry {
                key: key.into(),
                group: Group::LogDelivery,
                topic: Topic::Critical,
                health: true,
                metric: bedrock(name),
                eval: sum("GreaterThanOrEqualToThreshold", c.logging_failure_threshold),
                treat_missing: "notBreaching",
                what: what.into(),
            });
        }
    }
    // Logging switched off (DeleteModelInvocationLoggingConfiguration) or pointed elsewhere
    // publishes no failure metric at all: only "invocations but no successful delivery" sees it.
    if cloudwatch_logs || s3_logs {
        let success = if cloudwatch_logs {
            "ModelInvocationLogsCloudWatchDeliverySuccess"
        } else {
            "ModelInvocationLogsS3DeliverySuccess"
        };
        entries.push(Entry {
            key: "logging-no-delivery".into(),
            group: Group::LogDelivery,
            topic: Topic::Critical,
            health: true,
            metric: bedrock("Invocations"),
            eval: Eval::Math {
                second: bedrock(success),
                // FILL: the success metric is only published when a delivery happens, so a
                // period without one has no datapoint; CloudWatch's metric math page documents
                // FILL(m, 0) for exactly that.
                expression: "IF(m1 > 0 AND FILL(m2, 0) == 0, 1, 0)",
                threshold: 1.0,
                label: "invoked without a delivered log",
            },
            treat_missing: "notBreaching",
            what: "Bedrock invoked but no invocation log delivered (logging off or broken)".into(),
        });
    }

    // Agents: metrics::AGENTS_PAGE, namespace AWS/Bedrock/Agents, one alarm set per documented
    // Operation value (InvokeAgent, InvokeInlineAgent).
    if on(c.enable_agents_monitoring) {
        for (op, prefix) in [
            ("InvokeAgent", "agents"),
            ("InvokeInlineAgent", "agents-inline"),
        ] {
            let agents = |name: &str| metric("AWS/Bedrock/Agents", name, &[("Operation", op)]);
            for (suffix, name, topic, health, eval, missing, what) in [
                (
                    "client-errors",
                    "InvocationClientErrors",
                    Topic::Critical,
                    true,
                    gt(c.agents_error_threshold),
                    "notBreaching",
                    "client errors",
                ),
                (
                    "server-errors",
                    "InvocationServerErrors",
                    Topic::Critical,
                    true,
                    gt(c.agents_error_threshold),
                    "notBreaching",
                    "server errors",
                ),
                (
                    "throttles",
                    "InvocationThrottles",
                    Topic::Performance,
                    false,
                    gt(c.agents_throttle_threshold),
                    "notBreaching",
                    "requests throttled",
                ),
                (
                    "p99-latency",
                    "TotalTime",
                    Topic::Performance,
                    false,
                    Eval::Percentile {
                        pct: "p99",
                        threshold: c.agents_latency_threshold_ms,
                    },
                    "missing",
                    "total time p99 (ms)",
                ),
            ] {
                entries.push(Entry {
                    key: agent_key(prefix, suffix).into(),
                    group: Group::Agents,
                    topic,
                    health,
                    metric: agents(name),
                    eval,
                    treat_missing: missing,
                    what: agent_what(op, what).into(),
                });
            }
        }
    }

    // Knowledge bases: metrics::KB_PAGE (managed knowledge bases only), namespace
    // AWS/Bedrock/KnowledgeBases, Operation = Retrieve. No latency metric is documented.
    if on(c.enable_knowledge_base_monitoring) {
        let kb = |name: &str| {
            metric(
                "AWS/Bedrock/KnowledgeBases",
                name,
                &[("Operation", "Retrieve")],
            )
        };
        entries.push(Entry {
            key: "kb-client-errors".into(),
            group: Group::KnowledgeBases,
            topic: Topic::Critical,
            health: true,
            metric: kb("ClientErrors"),
            eval: gt(c.kb_error_threshold),
            treat_missing: "notBreaching",
            what: "managed knowledge base Retrieve client errors".into(),
        });
        entries.push(Entry {
            key: "kb-server-errors".into(),
            group: Group::KnowledgeBases,
            topic: Topic::Critical,
            health: true,
            metric: kb("ServerErrors"),
            eval: gt(c.kb_error_threshold),
            treat_missing: "notBreaching",
            what: "managed knowledge base Retrieve server errors".into(),
        });
        entries.push(Entry {
            key: "kb-throttles".into(),
            group: Group::KnowledgeBases,
            topic: Topic::Performance,
            health: false,
            metric: kb("Throttles"),
            eval: gt(c.kb_throttle_threshold),
            treat_missing: "notBreaching",
            what: "managed knowledge base Retrieve requests throttled".into(),
        });
    }

    // Guardrails: metrics::GUARDRAILS_PAGE. The stack's guardrail is watched on the documented
    // set {GuardrailArn, GuardrailVersion} at the version apps call: the model-access policy
    // pins the published version (guardrails::access_policy), so DRAFT is never called and not
    // watched. The policy-type split ({GuardrailPolicyType}) is documented only on its own,
    // not per guardrail, so those two alarms count every guardrail of the account and region.
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
        let intervened =
            |dims: &[(&str, &str)]| metric("AWS/Bedrock/Guardrails", "InvocationsIntervened", dims);
        entries.push(Entry {
            key: "guardrails-intervened".into(),
            group: Group::Guardrails,
            topic: Topic::Performance,
            health: false,
            metric: intervened(&[("GuardrailArn", &arn), ("GuardrailVersion", &version)]),
            eval: gt(c.guardrails_blocked_threshold),
            treat_missing: "notBreaching",
            what: "the stack's guardrail intervening (prompts and responses)".into(),
        });
        for (key, policy, what) in [
            (
                "guardrails-content-policy-intervened",
                "ContentPolicy",
                "harmful content blocked by guardrails (account-wide)",
            ),
            (
                "guardrails-sensitive-information-intervened",
                "SensitiveInformationPolicy",
                "PII and sensitive information detected by guardrails (account-wide)",
            ),
        ] {
            entries.push(Entry {
                key: key.into(),
                group: Group::Guardrails,
                topic: Topic::Performance,
                health: false,
                metric: intervened(&[("GuardrailPolicyType", policy)]),
                eval: gt(c.guardrails_blocked_threshold),
                treat_missing: "notBreaching",
                what: what.into(),
            });
        }
    }

    // VPC endpoints: metrics::PRIVATELINK_PAGE, AWS/PrivateLinkEndpoints on the documented set
    // {Endpoint Type, Service Name, VPC Endpoint Id, VPC Id}, one alarm per Bedrock interface
    // endpoint: dropped packets mean the endpoint is at capacity or unhealthy (normally zero).
    // Gateway endpoints (s3 in extra_endpoint_services) publish no metrics, per the same page.
    let endpoint_keys: Vec<&str> = if cx.all {
        BEDROCK_ENDPOINTS.to_vec()
    } else {
        let mut keys = c.bedrock_endpoints();
        // bedrock-mantle exists only where the region offers it (network skips it elsewhere and
        // then reports no id for it); before network has outputs its id is unknown.
        if c.enable_bedrock_mantle_endpoint
            && (cx.inputs.endpoint_ids.is_empty() || cx.inputs.endpoint_ids.contains_key(MANTLE))
        {
            keys.push(MANTLE);
        }
        keys
    };
    for service in endpoint_keys {
        let id = cx
            .inputs
            .endpoint_ids
            .get(service)
            .cloned()
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let service_name = format!("com.amazonaws.{}.{service}", cx.region);
        entries.push(Entry {
            key: format!("endpoint-{service}-packets-dropped"),
            group: Group::VpcEndpoints,
            topic: Topic::Performance,
            health: false,
            metric: metric(
                "AWS/PrivateLinkEndpoints",
                "PacketsDropped",
                &[
                    ("Endpoint Type", "Interface"),
                    ("Service Name", &service_name),
                    ("VPC Endpoint Id", &id),
                    ("VPC Id", &c.vpc_id),
                ],
            ),
            eval: gt(0.0),
            treat_missing: "notBreaching",
            what: format!("packets dropped by the {service} VPC endpoint"),
        });
    }

    // Log bucket access patterns: request metrics of the bucket's whole-bucket metrics
    // configuration (logging module, id `Naming::request_metrics_id`), metrics::S3_PAGE. 5xx
    // (S3 failing requests, deliveries among them) is an error and feeds comprehensive-health;
    // 4xx (denied or malformed requests, probing) is a signal, not a failure of the stack.
    if on(c.enable_s3_request_metrics && c.enable_model_invocation_logging && c.enable_s3_logging) {
        let bucket = cx
            .inputs
            .log_bucket_name
            .clone()
            .unwrap_or_else(|| UNKNOWN.to_owned());
        let filter_id = cx.naming.request_metrics_id();
        for (key, name, threshold, health, what) in [
            (
                "log-bucket-4xx-errors",
                "4xxErrors",
                c.invocation_error_threshold,
                false,
                "requests to the invocation log bucket refused (4xx)",
            ),
            (
                "log-bucket-5xx-errors",
                "5xxErrors",
                c.server_error_threshold,
                true,
                "requests to the invocation log bucket failed in S3 (5xx)",
            ),
        ] {
            entries.push(Entry {
                key: key.into(),
                group: Group::LogBucket,
                topic: Topic::Performance,
                health,
                metric: metric(
                    "AWS/S3",
                    name,
                    &[("BucketName", &bucket), ("FilterId", &filter_id)],
                ),
                eval: gt(threshold),
                treat_missing: "notBreaching",
                what: what.into(),
            });
        }
    }

    // KMS: no per-key throttle metric exists (metrics::USAGE_PAGE); the account's
    // GenerateDataKey + Decrypt rate against the shared symmetric-operations quota is what
    // throttles the stack key. SERVICE_QUOTA(m) returns the quota of a usage metric
    // ("Visualizing your service quotas and setting alarms", CloudWatch user guide); CallCount
    // Sum / PERIOD is calls per second, the unit of KMS request quotas.
    if on(c.enable_kms_usage_monitoring) {
        let usage = |op: &str| {
            metric(
                "AWS/Usage",
                "CallCount",
                &[
                    ("Class", "None"),
                    ("Resource", op),
                    ("Service", "KMS"),
                    ("Type", "API"),
                ],
            )
        };
        entries.push(Entry {
            key: "kms-request-quota".into(),
            group: Group::Kms,
            topic: Topic::Performance,
            health: false,
            metric: usage("GenerateDataKey"),
            eval: Eval::Math {
                second: usage("Decrypt"),
                expression: "100 * (FILL(m1, 0) + FILL(m2, 0)) / PERIOD(m1) / SERVICE_QUOTA(m1)",
                threshold: c.kms_request_quota_alarm_percent,
                label: "KMS symmetric requests, percent of the request quota",
            },
            treat_missing: "notBreaching",
            what:
                "KMS request rate of the account near its quota (the stack key would be throttled)"
                    .into(),
        });
    }

    // Log analysis: the stack's metric filters on the invocation log group
    // (`log_analysis`), stack-published metrics without dimensions. All to performance, none
    // in comprehensive-health: the runtime error alarms already carry errors there.
    if on(c.enable_log_analysis && c.enable_model_invocation_logging && c.enable_cloudwatch_logging)
    {
        let ns = crate::metrics::stack_namespace(cx.naming.stack());
        for (key, name, threshold, what) in [
            (
                "log-guardrail-interventions",
                "GuardrailInterventions",
                c.guardrails_blocked_threshold,
                "invocation log records of guardrail interventions",
            ),
            (
                "log-sensitive-information",
                "SensitiveInformationDetections",
                c.guardrails_blocked_threshold,
                "invocation log records where the guardrail acted on sensitive information",
            ),
            (
                "log-invocation-errors",
                "InvocationErrors",
                c.invocation_error_threshold,
                "invocation log records of failed invocations",
            ),
            (
                "log-access-denials",
                "AccessDenials",
                0.0,
                "invocation log records of invocations denied for missing permissions",
            ),
        ] {
            entries.push(Entry {
                key: key.into(),
                group: Group::LogAnalysis,
                topic: Topic::Performance,
                health: false,
                metric: metric(&ns, name, &[]),
                eval: gt(threshold),
                treat_missing: "notBreaching",
                what: what.into(),
            });
        }
    }

    // Training: model customization jobs publish no metric; the failed-job rule's matches are
    // AWS/Events TriggeredRules on its RuleName (metrics::EVENTBRIDGE_PAGE). This alarm carries
    // the training_* threshold and periods and feeds comprehensive-health. The rule already sends
    // each failed job's event to the critical topic, so the alarm's own action goes to the
    // performance topic: it says "failures crossed the threshold", not "a job failed", and a
    // second critical page per job would be noise. An alarm without any action is what Prowler's
    // cloudwatch_alarm_actions_alarm_state_configured fails (#14).
    if on(c.enable_training_monitoring) {
        entries.push(Entry {
            key: "training-job-failures".into(),
            group: Group::Training,
            topic: Topic::Performance,
            health: true,
            metric: metric(
                "AWS/Events",
                "TriggeredRules",
                &[("RuleName", &cx.naming.name(TRAINING_RULE_KEY, 64))],
            ),
            eval: Eval::Stat {
                stat: "Sum",
                comparison: "GreaterThanThreshold",
                threshold: c.training_job_failure_threshold,
            },
            treat_missing: "notBreaching",
            what: "failed Bedrock model customization jobs".into(),
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
        let name = cx.naming.name(&e.key, ALARM_NAME_MAX);
        let (period, evaluation_periods, datapoints) = if e.group == Group::Training {
            (
                c.training_alarm_period,
                c.training_alarm_evaluation_periods,
                c.training_alarm_evaluation_periods,
            )
        } else {
            (
                c.alarm_period,
                c.alarm_evaluation_periods,
                c.alarm_datapoints_to_alarm,
            )
        };
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
            evaluation_periods: secs(evaluation_periods),
            datapoints_to_alarm: Some(secs(datapoints)),
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
                def.period = Some(secs(period));
                def.threshold = Some(threshold);
                def.comparison_operator = comparison.to_owned();
                let op = if comparison == "GreaterThanOrEqualToThreshold" {
                    ">="
                } else {
                    ">"
                };
                format!("{stat} over {period} s {op} {}", number(threshold))
            }
            Eval::Percentile { pct, threshold } => {
                def.metric = Some(e.metric.clone());
                def.extended_statistic = Some(pct.to_owned());
                def.period = Some(secs(period));
                def.threshold = Some(threshold);
                def.comparison_operator = "GreaterThanThreshold".to_owned();
                format!("{pct} over {period} s > {}", number(threshold))
            }
            Eval::Math {
                second,
                expression,
                threshold,
                label,
            } => {
                let query = |id: &str, m: &MetricRef| MetricQuery {
                    id: id.into(),
                    metric: Some(m.clone()),
                    period: Some(secs(period)),
                    stat: Some("Sum".into()),
                    expression: None,
                    label: None,
                    return_data: false,
                };
                def.metrics = vec![
                    query("m1", &e.metric),
                    query("m2", &second),
                    MetricQuery {
                        id: "e1".into(),
                        metric: None,
                        period: None,
                        stat: None,
                        expression: Some(expression.to_owned()),
                        label: Some(label.into()),
                        return_data: true,
                    },
                ];
                def.threshold = Some(threshold);
                def.comparison_operator = "GreaterThanOrEqualToThreshold".to_owned();
                format!(
                    "{expression} with m2 = {}/{} over {period} s >= {}",
                    second.namespace,
                    second.metric_name,
                    number(threshold)
                )
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
            key: e.key.clone(),
            group: e.group,
            topic: e.topic,
            in_health: e.health,
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

/// The Bedrock interface endpoints the network module can create (`Config::bedrock_endpoints`).
const BEDROCK_ENDPOINTS: &[&str] = &[
    "bedrock",
    "bedrock-runtime",
    "bedrock-agent",
    "bedrock-agent-runtime",
    MANTLE,
];

/// The service key of network's `bedrock-mantle` endpoint (`baseline_network::MANTLE`; module
/// crates do not depend on each other).
const MANTLE: &str = "bedrock-mantle";

/// Name key of the failed-training-job rule (its RuleName is the alarm's dimension).
pub(crate) const TRAINING_RULE_KEY: &str = baseline_core::event_rules::TRAINING_RULE_KEY;

fn agent_key(prefix: &str, suffix: &str) -> &'static str {
    // The keys are a small fixed set; match instead of allocating per build.
    match (prefix, suffix) {
        ("agents", "client-errors") => "agents-client-errors",
        ("agents", "server-errors") => "agents-server-errors",
        ("agents", "throttles") => "agents-throttles",
        ("agents", "p99-latency") => "agents-p99-latency",
        ("agents-inline", "client-errors") => "agents-inline-client-errors",
        ("agents-inline", "server-errors") => "agents-inline-server-errors",
        ("agents-inline", "throttles") => "agents-inline-throttles",
        _ => "agents-inline-p99-latency",
    }
}

fn agent_what(op: &str, what: &str) -> &'static str {
    match (op, what) {
        ("InvokeAgent", "client errors") => "InvokeAgent client errors",
        ("InvokeAgent", "server errors") => "InvokeAgent server errors",
        ("InvokeAgent", "requests throttled") => "InvokeAgent requests throttled",
        ("InvokeAgent", _) => "InvokeAgent total time p99 (ms)",
        (_, "client errors") => "InvokeInlineAgent client errors",
        (_, "server errors") => "InvokeInlineAgent server errors",
        (_, "requests throttled") => "InvokeInlineAgent requests throttled",
        _ => "InvokeInlineAgent total time p99 (ms)",
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
            region: "us-east-1",
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
            ..MonitoringInputs::default()
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
            "logging-cloudwatch-delivery-failures",
            "logging-s3-delivery-failures",
            "logging-large-data-delivery-failures",
            "logging-no-delivery",
            "agents-client-errors",
            "agents-server-errors",
            "agents-throttles",
            "agents-p99-latency",
            "agents-inline-client-errors",
            "agents-inline-server-errors",
            "agents-inline-throttles",
            "agents-inline-p99-latency",
            "kb-client-errors",
            "kb-server-errors",
            "kb-throttles",
            "guardrails-intervened",
            "guardrails-content-policy-intervened",
            "guardrails-sensitive-information-intervened",
            "training-job-failures",
        ];
        check(
            |_| {},
            &all,
            &[
                "tokens-input-high",
                "tokens-output-high",
                "api-calls-anomaly",
                "guardrails-input-intervened",
            ],
        );
        check(
            |c| c.enable_anomaly_detection = false,
            &["runtime-client-errors"],
            &[
                "runtime-invocations-anomaly",
                "tokens-input-anomaly",
                "tokens-output-anomaly",
            ],
        );
        check(
            |c| c.enable_token_monitoring = false,
            &["runtime-client-errors"],
            &["tokens-input-anomaly", "tokens-output-anomaly"],
        );
        check(
            |c| c.token_anomaly_threshold_value = Some(250_000.0),
            &["tokens-input-high", "tokens-output-high"],
            &[],
        );
        check(
            |c| {
                c.token_anomaly_threshold_value = Some(250_000.0);
                c.enable_token_anomaly_detection = false;
            },
            &["tokens-input-anomaly"],
            &["tokens-input-high", "tokens-output-high"],
        );
        check(
            |c| c.enable_s3_logging = false,
            &[
                "logging-cloudwatch-delivery-failures",
                "logging-no-delivery",
            ],
            &[
                "logging-s3-delivery-failures",
                "logging-large-data-delivery-failures",
            ],
        );
        check(
            |c| c.enable_model_invocation_logging = false,
            &["runtime-client-errors"],
            &[
                "logging-cloudwatch-delivery-failures",
                "logging-s3-delivery-failures",
                "logging-large-data-delivery-failures",
                "logging-no-delivery",
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
                "agents-inline-client-errors",
                "agents-inline-p99-latency",
            ],
        );
        check(
            |c| c.enable_knowledge_base_monitoring = false,
            &["agents-throttles"],
            &["kb-client-errors", "kb-server-errors", "kb-throttles"],
        );
        check(
            |c| c.enable_guardrails_monitoring = false,
            &["training-job-failures"],
            &[
                "guardrails-intervened",
                "guardrails-content-policy-intervened",
                "guardrails-sensitive-information-intervened",
            ],
        );
        check(
            |c| c.enable_training_monitoring = false,
            &["runtime-throttles"],
            &["training-job-failures"],
        );
    }

    /// The catalog test: every alarm the module can produce (all switches on), every metric of
    /// its metric math, and every detector is a (namespace, metric, dimension set) AWS documents.
    #[test]
    fn every_alarm_watches_a_documented_metric_and_dimension_set() {
        let naming = Naming::new("demo-prod", BTreeMap::new());
        let inputs = inputs();
        let universe = catalog(
            &defaults(),
            &CatalogContext {
                naming: &naming,
                inputs: &inputs,
                guardrail_arn: Some("arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1".into()),
                all: true,
                region: "us-east-1",
            },
        );
        let mut checked = 0;
        for a in &universe.alarms {
            let metrics = a
                .def
                .metric
                .iter()
                .chain(a.def.metrics.iter().filter_map(|q| q.metric.as_ref()));
            for m in metrics {
                assert_eq!(
                    crate::metrics::undocumented(m),
                    None,
                    "alarm {} watches an undocumented metric",
                    a.key
                );
                checked += 1;
            }
            if let Some(stat) = &a.def.statistic {
                let doc = crate::metrics::lookup(
                    &a.def.metric.as_ref().unwrap().namespace,
                    &a.def.metric.as_ref().unwrap().metric_name,
                )
                .unwrap();
                assert_eq!(stat, doc.statistic, "{}", a.key);
            }
        }
        for d in &universe.detectors {
            assert_eq!(crate::metrics::undocumented(&d.def.metric), None);
        }
        assert!(checked >= universe.alarms.len());
    }

    #[test]
    fn each_bedrock_endpoint_has_a_dropped_packets_alarm_on_the_documented_set() {
        let mut config = defaults();
        config.vpc_id = "vpc-1".into();
        config.enable_bedrock_agent_endpoint = false;
        let mut inputs = inputs();
        inputs
            .endpoint_ids
            .insert("bedrock-runtime".into(), "vpce-rt".into());
        let cat = build(&config, &inputs);
        let endpoint: Vec<&AlarmSpec> = cat
            .alarms
            .iter()
            .filter(|a| a.group == Group::VpcEndpoints)
            .collect();
        assert_eq!(endpoint.len(), config.bedrock_endpoints().len());
        assert!(!endpoint
            .iter()
            .any(|a| a.key == "endpoint-bedrock-agent-packets-dropped"));
        let rt = endpoint
            .iter()
            .find(|a| a.key == "endpoint-bedrock-runtime-packets-dropped")
            .unwrap();
        let m = rt.def.metric.as_ref().unwrap();
        assert_eq!(m.namespace, "AWS/PrivateLinkEndpoints");
        assert_eq!(m.dimensions["VPC Endpoint Id"], "vpce-rt");
        assert_eq!(
            m.dimensions["Service Name"],
            "com.amazonaws.us-east-1.bedrock-runtime"
        );
        assert_eq!(m.dimensions["VPC Id"], "vpc-1");
        assert_eq!(rt.topic, Topic::Performance);
        assert!(!rt.in_health);
    }

    #[test]
    fn mantle_gets_a_dropped_packets_alarm_where_network_made_it() {
        let mut config = defaults();
        config.vpc_id = "vpc-1".into();
        config.enable_bedrock_mantle_endpoint = true;
        let key = "endpoint-bedrock-mantle-packets-dropped";
        // Network reports endpoints but none for mantle: the region does not offer it.
        let mut inputs = inputs();
        inputs
            .endpoint_ids
            .insert("bedrock-runtime".into(), "vpce-rt".into());
        assert!(!build(&config, &inputs).alarms.iter().any(|a| a.key == key));
        inputs
            .endpoint_ids
            .insert(MANTLE.into(), "vpce-mantle".into());
        let cat = build(&config, &inputs);
        let a = cat.alarms.iter().find(|a| a.key == key).unwrap();
        let m = a.def.metric.as_ref().unwrap();
        assert_eq!(m.dimensions["VPC Endpoint Id"], "vpce-mantle");
        assert_eq!(
            m.dimensions["Service Name"],
            "com.amazonaws.us-east-1.bedrock-mantle"
        );
        config.enable_bedrock_mantle_endpoint = false;
        assert!(!build(&config, &inputs).alarms.iter().any(|a| a.key == key));
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
            .find(|a| a.key == "guardrails-intervened")
            .unwrap();
        assert_eq!(
            g.def.metric.as_ref().unwrap().dimensions["GuardrailArn"],
            UNKNOWN
        );
    }

    #[test]
    fn guardrail_alarms_watch_the_pinned_version_and_the_policy_types() {
        let cat = build(&defaults(), &inputs());
        let dims = |k: &str| {
            cat.alarms
                .iter()
                .find(|a| a.key == k)
                .unwrap()
                .def
                .metric
                .clone()
                .unwrap()
                .dimensions
        };
        let own = dims("guardrails-intervened");
        assert_eq!(
            own.keys().collect::<Vec<_>>(),
            vec!["GuardrailArn", "GuardrailVersion"]
        );
        assert_eq!(own["GuardrailVersion"], "1");
        assert_eq!(
            dims("guardrails-sensitive-information-intervened")["GuardrailPolicyType"],
            "SensitiveInformationPolicy"
        );
        assert_eq!(
            dims("guardrails-content-policy-intervened")["GuardrailPolicyType"],
            "ContentPolicy"
        );
    }

    #[test]
    fn no_delivery_alarm_compares_invocations_with_successful_deliveries() {
        let cat = build(&defaults(), &inputs());
        let a = cat
            .alarms
            .iter()
            .find(|a| a.key == "logging-no-delivery")
            .unwrap();
        assert_eq!(a.topic, Topic::Critical);
        assert!(a.in_health);
        let q = &a.def.metrics;
        assert_eq!(q[0].metric.as_ref().unwrap().metric_name, "Invocations");
        assert_eq!(
            q[1].metric.as_ref().unwrap().metric_name,
            "ModelInvocationLogsCloudWatchDeliverySuccess"
        );
        assert!(q[2].return_data && !q[0].return_data && !q[1].return_data);
        assert_eq!(
            q[2].expression.as_deref(),
            Some("IF(m1 > 0 AND FILL(m2, 0) == 0, 1, 0)")
        );
        assert_eq!(a.def.threshold, Some(1.0));
        // Only S3 logging: the S3 success metric is the one that must appear.
        let mut config = defaults();
        config.enable_cloudwatch_logging = false;
        let cat = build(&config, &inputs());
        let a = cat
            .alarms
            .iter()
            .find(|a| a.key == "logging-no-delivery")
            .unwrap();
        assert_eq!(
            a.def.metrics[1].metric.as_ref().unwrap().metric_name,
            "ModelInvocationLogsS3DeliverySuccess"
        );
    }

    #[test]
    fn training_alarm_honours_its_threshold_and_periods_and_notifies_performance() {
        let mut config = defaults();
        config.training_job_failure_threshold = 2.0;
        config.training_alarm_period = 900;
        config.training_alarm_evaluation_periods = 4;
        let cat = build(&config, &inputs());
        let a = cat
            .alarms
            .iter()
            .find(|a| a.key == "training-job-failures")
            .unwrap();
        let m = a.def.metric.as_ref().unwrap();
        assert_eq!(
            (m.namespace.as_str(), m.metric_name.as_str()),
            ("AWS/Events", "TriggeredRules")
        );
        assert_eq!(m.dimensions["RuleName"], "demo-prod-training-job-failed");
        assert_eq!(a.def.threshold, Some(2.0));
        assert_eq!(a.def.period, Some(900));
        assert_eq!(a.def.evaluation_periods, 4);
        assert_eq!(
            a.def.alarm_actions,
            ["arn:aws:sns:us-east-1:123456789012:demo-prod-performance"]
        );
        assert!(cat.composites[1]
            .def
            .alarm_rule
            .contains("training-job-failures"));
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
        assert_eq!(by("guardrails-intervened").def.threshold, Some(50.0));
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
            vec!["runtime-invocations", "tokens-input", "tokens-output"]
        );
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
             ALARM(\"demo-prod-logging-cloudwatch-delivery-failures\") OR \
             ALARM(\"demo-prod-logging-no-delivery\")"
        );
        let comprehensive = &cat.composites[1].def;
        let members: Vec<&str> = cat
            .alarms
            .iter()
            .filter(|a| {
                comprehensive
                    .alarm_rule
                    .contains(&format!("ALARM(\"{}\")", a.def.name))
            })
            .map(|a| a.key.as_str())
            .collect();
        assert_eq!(
            members,
            vec![
                "runtime-client-errors",
                "runtime-server-errors",
                "logging-cloudwatch-delivery-failures",
                "logging-no-delivery",
                "kb-client-errors",
                "kb-server-errors",
                "training-job-failures"
            ]
        );
        assert_eq!(
            comprehensive.alarm_rule.matches("ALARM(").count(),
            members.len()
        );
        // The critical composite never pages for anomaly bands or token usage.
        for a in &cat.alarms {
            if a.detector_key.is_some() || a.group == Group::Tokens {
                assert!(!members.contains(&a.key.as_str()), "{}", a.key);
            }
        }
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

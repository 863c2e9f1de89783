//! The catalog's entries on Bedrock's own metrics: runtime, tokens, invocation-log delivery,
//! agents, knowledge bases and guardrails (each group's AWS page is named beside it).

use super::entry::{gt, metric, sum, Entry, Eval};
use super::{CatalogContext, Group, Topic, UNKNOWN};
use baseline_core::Config;

/// The entries of the Bedrock groups the config enables (every one with `cx.all`), in
/// catalog order.
pub(super) fn entries(c: &Config, cx: &CatalogContext<'_>) -> Vec<Entry> {
    let on = |switch: bool| cx.all || switch;
    let mut entries: Vec<Entry> = Vec::new();
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
    entries
}

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

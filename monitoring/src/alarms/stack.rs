//! The catalog's entries on the stack's surroundings: the VPC endpoints, the invocation-log
//! bucket, the account's KMS request rate, the stack's metric filters and the failed training
//! jobs (each group's AWS page is named beside it).

use super::entry::{gt, metric, Entry, Eval};
use super::{CatalogContext, Group, Topic, TRAINING_RULE_KEY, UNKNOWN};
use baseline_core::Config;

/// The entries of the stack groups the config enables (every one with `cx.all`), in catalog
/// order.
pub(super) fn entries(c: &Config, cx: &CatalogContext<'_>) -> Vec<Entry> {
    let on = |switch: bool| cx.all || switch;
    let mut entries: Vec<Entry> = Vec::new();
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
    entries
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
pub(super) const MANTLE: &str = "bedrock-mantle";

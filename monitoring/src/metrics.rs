//! The metrics AWS documents that this crate may watch, as data.
//!
//! CloudWatch accepts an alarm on any namespace, metric name and dimension set, published or
//! not; an alarm on a combination AWS never publishes stays OK forever. So every alarm, metric
//! math query and dashboard line of the crate must match an entry here: same namespace and
//! metric, and a dimension *set* (names, exactly) the page lists for it, with values among the
//! listed ones where the page gives a fixed list. The unit tests in `alarms` and `dashboard`
//! enforce it for every switch combination.
//!
//! Where a page lists dimensions one by one without saying which combine, each dimension is its
//! own set (that is how the guardrails page reads: `GuardrailArn` + `GuardrailVersion` are one
//! set, `GuardrailContentSource`, `GuardrailPolicyType` and `Operation` are others).

use crate::alarms::MetricRef;

/// Bedrock runtime metrics: "Monitor bedrock-runtime inference using CloudWatch metrics".
pub const RUNTIME_PAGE: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-runtime-metrics.html";
/// Agents: "Monitor Amazon Bedrock Agents using CloudWatch Metrics".
pub const AGENTS_PAGE: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-agents-cw-metrics.html";
/// Guardrails: "Monitor Amazon Bedrock Guardrails using CloudWatch metrics".
pub const GUARDRAILS_PAGE: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-guardrails-cw-metrics.html";
/// Managed knowledge bases: "Observability for managed knowledge bases".
pub const KB_PAGE: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/kb-managed-observability.html";
/// EventBridge: "Monitoring Amazon EventBridge" (AWS/Events, RuleName on the default bus).
pub const EVENTBRIDGE_PAGE: &str =
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html";

/// VPC endpoints: "CloudWatch metrics for AWS PrivateLink" (AWS/PrivateLinkEndpoints).
pub const PRIVATELINK_PAGE: &str =
    "https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-cloudwatch-metrics.html";

/// S3 request metrics: "Metrics and dimensions" (Amazon S3 user guide), request metrics of a
/// bucket's metrics configuration, dimensions BucketName and FilterId (the configuration's id).
pub const S3_PAGE: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html";
/// AWS API usage metrics: "AWS API usage metrics" (CloudWatch user guide), `AWS/Usage`
/// CallCount with Service, Type (`API`), Resource (the operation) and Class (`None`). The KMS
/// request-quota page ("Request quotas", KMS developer guide,
/// <https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html>) sends
/// readers to these usage metrics to alarm at a percentage of the quota; neither page spells
/// the Service value, which is `KMS` as the Service Quotas console shows it. KMS publishes no
/// per-key throttle metric: `AWS/KMS` has only key-material expiry and external-key-store
/// metrics ("Monitoring with Amazon CloudWatch", KMS developer guide), neither of which applies
/// to the stack's AWS_KMS-origin key.
pub const USAGE_PAGE: &str =
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AWS-API-Usage-Metrics.html";
/// Metric filters: "Creating metrics from log events using filters" (CloudWatch Logs user
/// guide). Metrics of the stack's own filters are stack-published: their namespace is the
/// stack's ([`stack_namespace`]) and their only dimension set is none.
pub const METRIC_FILTER_PAGE: &str =
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html";

/// Namespace of the metrics the stack's own metric filters publish.
pub fn stack_namespace(stack: &str) -> String {
    format!("BedrockBaseline/{stack}")
}

/// Namespace placeholder of stack-published entries in [`CATALOG`]: matches
/// `BedrockBaseline/<any stack>`.
pub const STACK_NAMESPACE: &str = "BedrockBaseline/*";

/// The metrics the stack's invocation-log metric filters publish (see `log_analysis`).
pub const STACK_METRICS: &[&str] = &[
    "GuardrailInterventions",
    "SensitiveInformationDetections",
    "InvocationErrors",
    "AccessDenials",
];

/// One dimension of a documented set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dim {
    /// Dimension name.
    pub name: &'static str,
    /// The values the page lists; empty: any value (an ARN, an id).
    pub values: &'static [&'static str],
}

const fn any(name: &'static str) -> Dim {
    Dim { name, values: &[] }
}

/// A documented metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricDoc {
    /// Namespace, e.g. `AWS/Bedrock`.
    pub namespace: &'static str,
    /// Metric name.
    pub metric: &'static str,
    /// Unit as the page gives it.
    pub unit: &'static str,
    /// The statistic that makes sense for alarms on it (`Sum` for counts; latencies are
    /// watched at a percentile, given here as `p99`).
    pub statistic: &'static str,
    /// Every dimension set the page documents; an empty set is the metric across all
    /// resources (no dimension).
    pub dimension_sets: &'static [&'static [Dim]],
    /// The page it comes from.
    pub page: &'static str,
}

/// Runtime metrics are published across all model ids (no dimension) and per `ModelId`.
const RUNTIME_SETS: &[&[Dim]] = &[&[], &[any("ModelId")]];
/// Log delivery metrics: "under the namespace AWS/Bedrock and Across all model IDs dimension".
const DELIVERY_SETS: &[&[Dim]] = &[&[]];
const AGENT_OPERATIONS: &[&str] = &["InvokeAgent", "InvokeInlineAgent"];
const AGENT_SETS: &[&[Dim]] = &[&[Dim {
    name: "Operation",
    values: AGENT_OPERATIONS,
}]];
/// The guardrail content sources and policy types the page lists.
pub const CONTENT_SOURCES: &[&str] = &["Input", "Output"];
/// Policy types of the `GuardrailPolicyType` dimension.
pub const POLICY_TYPES: &[&str] = &[
    "ContentPolicy",
    "TopicPolicy",
    "WordPolicy",
    "SensitiveInformationPolicy",
    "ContextualGroundingPolicy",
];
const GUARDRAIL_SETS: &[&[Dim]] = &[
    &[Dim {
        name: "Operation",
        values: &["ApplyGuardrail"],
    }],
    &[Dim {
        name: "GuardrailContentSource",
        values: CONTENT_SOURCES,
    }],
    &[any("GuardrailArn"), any("GuardrailVersion")],
];
const GUARDRAIL_INTERVENED_SETS: &[&[Dim]] = &[
    &[Dim {
        name: "Operation",
        values: &["ApplyGuardrail"],
    }],
    &[Dim {
        name: "GuardrailContentSource",
        values: CONTENT_SOURCES,
    }],
    &[Dim {
        name: "GuardrailPolicyType",
        values: POLICY_TYPES,
    }],
    &[any("GuardrailArn"), any("GuardrailVersion")],
];
/// The page shows `Retrieve` as the operation the metrics are published for.
const KB_SETS: &[&[Dim]] = &[&[any("Operation")]];
const RULE_SETS: &[&[Dim]] = &[&[any("RuleName")]];
/// The page lists these two sets for the endpoint metrics (per endpoint, and per endpoint and
/// subnet).
const ENDPOINT_SETS: &[&[Dim]] = &[
    &[
        any("Endpoint Type"),
        any("Service Name"),
        any("VPC Endpoint Id"),
        any("VPC Id"),
    ],
    &[
        any("Endpoint Type"),
        any("Service Name"),
        any("Subnet Id"),
        any("VPC Endpoint Id"),
        any("VPC Id"),
    ],
];

const S3_REQUEST_SETS: &[&[Dim]] = &[&[any("BucketName"), any("FilterId")]];
/// The stack's key is used by logs, SNS and Bedrock through GenerateDataKey and Decrypt, both
/// under the shared "Cryptographic operations (symmetric) request rate" quota.
const KMS_USAGE_SETS: &[&[Dim]] = &[&[
    Dim {
        name: "Class",
        values: &["None"],
    },
    Dim {
        name: "Resource",
        values: &["GenerateDataKey", "Decrypt"],
    },
    Dim {
        name: "Service",
        values: &["KMS"],
    },
    Dim {
        name: "Type",
        values: &["API"],
    },
]];
/// Metric filters publish without dimensions unless the filter defines some; these define none.
const STACK_SETS: &[&[Dim]] = &[&[]];

macro_rules! doc {
    ($ns:expr, $metric:expr, $unit:expr, $stat:expr, $sets:expr, $page:expr) => {
        MetricDoc {
            namespace: $ns,
            metric: $metric,
            unit: $unit,
            statistic: $stat,
            dimension_sets: $sets,
            page: $page,
        }
    };
}

/// Every metric the crate may watch.
#[rustfmt::skip]
pub const CATALOG: &[MetricDoc] = &[
    // AWS/Bedrock runtime (Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream).
    doc!("AWS/Bedrock", "Invocations", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "InvocationLatency", "Milliseconds", "p99", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "InvocationClientErrors", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "InvocationServerErrors", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "InvocationThrottles", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "InputTokenCount", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "OutputTokenCount", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "OutputImageCount", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "LegacyModelInvocations", "Count", "Sum", RUNTIME_SETS, RUNTIME_PAGE),
    // Model invocation logging delivery, same page ("published every time a delivery
    // succeeds or fails").
    doc!("AWS/Bedrock", "ModelInvocationLogsCloudWatchDeliverySuccess", "Count", "Sum", DELIVERY_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "ModelInvocationLogsCloudWatchDeliveryFailure", "Count", "Sum", DELIVERY_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "ModelInvocationLogsS3DeliverySuccess", "Count", "Sum", DELIVERY_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "ModelInvocationLogsS3DeliveryFailure", "Count", "Sum", DELIVERY_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "ModelInvocationLargeDataS3DeliverySuccess", "Count", "Sum", DELIVERY_SETS, RUNTIME_PAGE),
    doc!("AWS/Bedrock", "ModelInvocationLargeDataS3DeliveryFailure", "Count", "Sum", DELIVERY_SETS, RUNTIME_PAGE),
    // AWS/Bedrock/Agents, Operation = InvokeAgent | InvokeInlineAgent.
    doc!("AWS/Bedrock/Agents", "InvocationCount", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "TotalTime", "Milliseconds", "p99", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "TTFT", "Milliseconds", "p99", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "InvocationThrottles", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "InvocationServerErrors", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "InvocationClientErrors", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "ModelLatency", "Milliseconds", "p99", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "ModelInvocationCount", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "ModelInvocationThrottles", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "ModelInvocationClientErrors", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "ModelInvocationServerErrors", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "InputTokenCount", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    doc!("AWS/Bedrock/Agents", "OutputTokenCount", "Count", "Sum", AGENT_SETS, AGENTS_PAGE),
    // AWS/Bedrock/Guardrails (ApplyGuardrail and guardrails applied inside inference calls).
    doc!("AWS/Bedrock/Guardrails", "Invocations", "Count", "Sum", GUARDRAIL_SETS, GUARDRAILS_PAGE),
    doc!("AWS/Bedrock/Guardrails", "InvocationLatency", "Milliseconds", "p99", GUARDRAIL_SETS, GUARDRAILS_PAGE),
    doc!("AWS/Bedrock/Guardrails", "InvocationClientErrors", "Count", "Sum", GUARDRAIL_SETS, GUARDRAILS_PAGE),
    doc!("AWS/Bedrock/Guardrails", "InvocationServerErrors", "Count", "Sum", GUARDRAIL_SETS, GUARDRAILS_PAGE),
    doc!("AWS/Bedrock/Guardrails", "InvocationThrottles", "Count", "Sum", GUARDRAIL_SETS, GUARDRAILS_PAGE),
    doc!("AWS/Bedrock/Guardrails", "TextUnitCount", "Count", "Sum", GUARDRAIL_SETS, GUARDRAILS_PAGE),
    doc!("AWS/Bedrock/Guardrails", "InvocationsIntervened", "Count", "Sum", GUARDRAIL_INTERVENED_SETS, GUARDRAILS_PAGE),
    // AWS/Bedrock/KnowledgeBases: managed knowledge bases only (the page is about them).
    doc!("AWS/Bedrock/KnowledgeBases", "Invocations", "Count", "Sum", KB_SETS, KB_PAGE),
    doc!("AWS/Bedrock/KnowledgeBases", "ClientErrors", "Count", "Sum", KB_SETS, KB_PAGE),
    doc!("AWS/Bedrock/KnowledgeBases", "ServerErrors", "Count", "Sum", KB_SETS, KB_PAGE),
    doc!("AWS/Bedrock/KnowledgeBases", "Throttles", "Count", "Sum", KB_SETS, KB_PAGE),
    // AWS/Events on the default bus: a rule's matches, for rules that only notify (the
    // failed-training-job rule feeds the comprehensive composite through it).
    doc!("AWS/Events", "TriggeredRules", "Count", "Sum", RULE_SETS, EVENTBRIDGE_PAGE),
    doc!("AWS/Events", "FailedInvocations", "Count", "Sum", RULE_SETS, EVENTBRIDGE_PAGE),
    // AWS/PrivateLinkEndpoints, interface endpoints (reported when the endpoint had traffic).
    doc!("AWS/PrivateLinkEndpoints", "ActiveConnections", "Count", "Average", ENDPOINT_SETS, PRIVATELINK_PAGE),
    doc!("AWS/PrivateLinkEndpoints", "NewConnections", "Count", "Sum", ENDPOINT_SETS, PRIVATELINK_PAGE),
    doc!("AWS/PrivateLinkEndpoints", "BytesProcessed", "Bytes", "Sum", ENDPOINT_SETS, PRIVATELINK_PAGE),
    doc!("AWS/PrivateLinkEndpoints", "PacketsDropped", "Count", "Sum", ENDPOINT_SETS, PRIVATELINK_PAGE),
    doc!("AWS/PrivateLinkEndpoints", "RstPacketsReceived", "Count", "Sum", ENDPOINT_SETS, PRIVATELINK_PAGE),
    // AWS/S3 request metrics of the log bucket's metrics configuration (Sum: per period).
    doc!("AWS/S3", "AllRequests", "Count", "Sum", S3_REQUEST_SETS, S3_PAGE),
    doc!("AWS/S3", "4xxErrors", "Count", "Sum", S3_REQUEST_SETS, S3_PAGE),
    doc!("AWS/S3", "5xxErrors", "Count", "Sum", S3_REQUEST_SETS, S3_PAGE),
    // AWS/Usage: KMS API calls of the account (no per-key metric exists).
    doc!("AWS/Usage", "CallCount", "None", "Sum", KMS_USAGE_SETS, USAGE_PAGE),
    // Stack-published: the invocation-log metric filters (value 1 per matching record).
    doc!(STACK_NAMESPACE, "GuardrailInterventions", "Count", "Sum", STACK_SETS, METRIC_FILTER_PAGE),
    doc!(STACK_NAMESPACE, "SensitiveInformationDetections", "Count", "Sum", STACK_SETS, METRIC_FILTER_PAGE),
    doc!(STACK_NAMESPACE, "InvocationErrors", "Count", "Sum", STACK_SETS, METRIC_FILTER_PAGE),
    doc!(STACK_NAMESPACE, "AccessDenials", "Count", "Sum", STACK_SETS, METRIC_FILTER_PAGE),
];

/// The catalog entry of a namespace and metric name.
pub fn lookup(namespace: &str, metric: &str) -> Option<&'static MetricDoc> {
    let namespace = if namespace.starts_with("BedrockBaseline/") {
        STACK_NAMESPACE
    } else {
        namespace
    };
    CATALOG
        .iter()
        .find(|d| d.namespace == namespace && d.metric == metric)
}

/// Why a metric is not documented, or `None` when it is.
pub fn undocumented(m: &MetricRef) -> Option<String> {
    let Some(doc) = lookup(&m.namespace, &m.metric_name) else {
        return Some(format!(
            "{}/{}: no AWS page documents this metric",
            m.namespace, m.metric_name
        ));
    };
    let matches = |set: &[Dim]| {
        set.len() == m.dimensions.len()
            && set.iter().all(|d| {
                m.dimensions
                    .get(d.name)
                    .is_some_and(|v| d.values.is_empty() || d.values.contains(&v.as_str()))
            })
    };
    if doc.dimension_sets.iter().any(|s| matches(s)) {
        None
    } else {
        let names: Vec<&str> = m.dimensions.keys().map(String::as_str).collect();
        Some(format!(
            "{}/{} with dimensions {names:?}: not a dimension set (or value) {} lists",
            m.namespace, m.metric_name, doc.page
        ))
    }
}

#[cfg(test)]
mod tests;

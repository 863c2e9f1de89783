//! `baseline-monitoring`: CloudWatch alarms, anomaly detectors, composite health alarms, a
//! dashboard and the failed-training-job rule of a Bedrock stack.
//!
//! Inputs ([`MonitoringInputs`], read by field name from upstream outputs): the alert topic ARNs
//! (`alerting.topic_arns`: `critical`, `performance`, `cost`; empty when `enable_alerting = false`,
//! and then no alarm has actions) and the guardrail id/version (`guardrails.guardrail_id`,
//! `guardrails.guardrail_version`), and for the tamper rules the stack key, log bucket and VPC
//! endpoints (`encryption`, `logging`, `network` outputs). Outputs: [`MonitoringOutputs`].
//!
//! # Alarms and where their metrics are documented
//! Every alarm, metric-math query and dashboard line is built from an entry of
//! [`metrics::CATALOG`] (namespace, metric, the documented dimension sets, unit, statistic, AWS
//! page); unit tests fail for any that is not. Names are `<prefix>-<key>` (addresses
//! `monitoring.alarm["<key>"]`); `plan` notes each alarm's topic.
//!
//! | key | metric (statistic) | topic | comprehensive-health |
//! | --- | --- | --- | --- |
//! | `runtime-client-errors`, `runtime-server-errors` | `AWS/Bedrock` InvocationClientErrors / InvocationServerErrors (Sum), all model ids | critical | yes |
//! | `runtime-throttles`, `runtime-p99-latency` | InvocationThrottles (Sum), InvocationLatency (p99) | performance | no |
//! | `runtime-invocations-anomaly` | band on Invocations (Sum), `enable_anomaly_detection` | performance | no |
//! | `tokens-input-anomaly`, `tokens-output-anomaly` | bands on Input/OutputTokenCount | cost (performance without cost alerting) | no |
//! | `tokens-input-high`, `tokens-output-high` | Input/OutputTokenCount (Sum), only with `token_anomaly_threshold_value` set | cost | no |
//! | `logging-cloudwatch-delivery-failures`, `logging-s3-delivery-failures`, `logging-large-data-delivery-failures` | ModelInvocationLogs{CloudWatch,S3}DeliveryFailure, ModelInvocationLargeDataS3DeliveryFailure (Sum) | critical | yes |
//! | `logging-no-delivery` | `IF(m1 > 0 AND FILL(m2, 0) == 0, 1, 0)`, m1 Invocations, m2 the delivery successes | critical | yes |
//! | `agents-*`, `agents-inline-*` | `AWS/Bedrock/Agents` errors, throttles, TotalTime p99; Operation = InvokeAgent / InvokeInlineAgent | errors critical, rest performance | errors |
//! | `kb-*` | `AWS/Bedrock/KnowledgeBases` ClientErrors / ServerErrors / Throttles, Operation = Retrieve (managed knowledge bases) | errors critical | errors |
//! | `guardrails-intervened` | `AWS/Bedrock/Guardrails` InvocationsIntervened, {GuardrailArn, GuardrailVersion} at the pinned version | performance | no |
//! | `guardrails-content-policy-intervened`, `guardrails-sensitive-information-intervened` | InvocationsIntervened, {GuardrailPolicyType} (account-wide) | performance | no |
//! | `endpoint-<service>-packets-dropped` | `AWS/PrivateLinkEndpoints` PacketsDropped (Sum > 0) on {Endpoint Type, Service Name, VPC Endpoint Id, VPC Id}, per Bedrock interface endpoint (`bedrock-mantle` too where network made it) | performance | no |
//! | `training-job-failures` | `AWS/Events` TriggeredRules of the failed-job rule; training_* threshold and periods | performance (the rule itself notifies critical per job) | yes |
//! | `log-bucket-4xx-errors`, `log-bucket-5xx-errors` | `AWS/S3` 4xxErrors / 5xxErrors (Sum) on {BucketName, FilterId} of the log bucket's request-metrics configuration | performance | 5xx only |
//! | `kms-request-quota` | `100 * (m1 + m2) / PERIOD(m1) / SERVICE_QUOTA(m1)`, m1/m2 `AWS/Usage` CallCount of KMS GenerateDataKey / Decrypt (account-wide: no per-key metric exists) | performance | no |
//! | `log-guardrail-interventions`, `log-sensitive-information`, `log-invocation-errors`, `log-access-denials` | stack-published metrics of the invocation-log metric filters (`log_analysis`), `BedrockBaseline/<prefix>` | performance | no |
//!
//! Decisions, so a reader need not guess:
//! - Removed as undocumented: the `AWS/Usage` CallCount band (`enable_api_call_monitoring`
//!   now only warns) and the {GuardrailArn, GuardrailVersion, GuardrailContentSource} set.
//!   Alarms of earlier releases with those keys are still owned, so the next apply deletes them.
//! - DRAFT guardrail: not watched, since the model-access policy only admits the published
//!   version (`guardrails::access_policy`).
//! - Knowledge bases: no latency metric exists, `kb_latency_threshold_ms` warns when set.
//! - Training jobs publish no metric: the rule `<prefix>-training-job-failed` (documented
//!   sample event of "How EventBridge for Amazon Bedrock works") sends failed jobs to critical;
//!   the alarm on its TriggeredRules carries the training_* keys and feeds the composite.
//! - Log analysis (`log_analysis`): four metric filters on the invocation log group and three
//!   saved Logs Insights queries (by model, by caller, token use), created, read back,
//!   converged and deleted by destroy (the log group is logging's and stays). With
//!   `enable_vpc_flow_logs`, a fourth query `vpc-rejected-traffic` on logging's flow-log group.
//! - Tamper and access rules (`tamper` module): CloudTrail management events of the stack's
//!   logging configuration, guardrail, key, bucket, endpoints and topics to critical;
//!   AccessDenied on Bedrock calls to performance. Only with alerting on.
//! - Anomaly-band alarms use `ANOMALY_DETECTION_BAND(m1, width)` with `ThresholdMetricId = ad1`
//!   and `GreaterThanUpperThreshold`: Bedrock publishes no datapoint for idle periods, so a lower
//!   band cannot be evaluated reliably. Each band has an explicit detector (Stat `Sum`).
//! - TreatMissingData: `notBreaching` for counts, bands and metric math (only published when
//!   something happens); `missing` for p99 latencies.
//! - Standard alarms use `alarm_period`, `alarm_evaluation_periods`, `alarm_datapoints_to_alarm`;
//!   anomaly alarms `anomaly_period` and `anomaly_evaluation_periods`. `enable_ok_actions` adds
//!   the same topic as OK action.
//! - Composite alarms (`enable_composite_alarms`): `basic-health` (runtime errors, latency,
//!   throttles, log delivery) and, with `enable_comprehensive_health_monitoring`,
//!   `comprehensive-health` (errors, failures, delivery problems of every enabled group), both
//!   to critical, `maintenance_window_alarm_arn` as actions suppressor.
//! - Anomaly detectors are account-level (no name, no tags, one per metric and statistic), so two
//!   stacks in one account share them. The stack deletes a detector only when its own alarms used
//!   it and no alarm outside the stack still does.
//! - Ownership: alarms are found by the DescribeAlarms prefix `<prefix>-` and kept only when
//!   their name is one the module can produce (every switch on), so another stack whose prefix
//!   starts with this one is never touched. Tags go on alarms at creation and are converged with
//!   TagResource/UntagResource (PutMetricAlarm ignores tags on updates).

mod alarm;
mod alarms;
mod anomaly_detector;
mod api;
mod dashboard;
mod event_rule;
pub mod log_analysis;
pub mod metrics;
mod module;
mod tamper;
mod training;

pub use alarm::ObservedAlarm;
pub use alarms::{
    AlarmSpec, CompositeAlarmDef, CompositeSpec, DetectorDef, DetectorSpec, Group, MetricAlarmDef,
    MetricQuery, MetricRef, Topic, UNKNOWN,
};
#[cfg(any(test, feature = "mocks"))]
pub use api::MockMonitoringApi;
pub use api::{
    DescribedAlarms, MonitoringApi, ObservedCompositeAlarm, ObservedMetricAlarm, RuleDescription,
    SdkMonitoringApi,
};
pub use event_rule::{ObservedRule, RuleDef, RuleTarget};
pub use module::{MonitoringModule, MonitoringObserved, MonitoringSpec};

use baseline_core::ids::{GuardrailId, TopicArn};
use baseline_core::reconcile::AttributeChange;
use baseline_core::reconcile::{FromUpstream, Upstream};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What monitoring reads from upstream outputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringInputs {
    /// Alert topics by name (`critical`, `performance`, `cost`); empty without alerting.
    pub topic_arns: BTreeMap<String, TopicArn>,
    /// The stack's guardrail, when there is one.
    pub guardrail_id: Option<GuardrailId>,
    /// Its published version.
    pub guardrail_version: Option<String>,
    /// The stack key (`encryption.kms_key_arn`), watched by the tamper rules.
    #[serde(default)]
    pub kms_key_arn: Option<String>,
    /// Its id (`encryption.kms_key_id`).
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// The invocation log bucket (`logging.bucket_name`).
    #[serde(default)]
    pub log_bucket_name: Option<String>,
    /// The stack's VPC endpoint ids by service (`network.endpoint_ids`).
    #[serde(default)]
    pub endpoint_ids: BTreeMap<String, String>,
    /// The invocation log group (`logging.log_group_name`), where the metric filters go.
    #[serde(default)]
    pub log_group_name: Option<String>,
    /// The VPC flow-log group (`logging.flow_log_group_name`), where the rejected-traffic
    /// query runs.
    #[serde(default)]
    pub flow_log_group_name: Option<String>,
}

impl FromUpstream for MonitoringInputs {
    // Encryption, logging, network: the tamper rules watch the key, bucket and endpoints.
    const UPSTREAM: &'static [&'static str] =
        &["alerting", "guardrails", "encryption", "logging", "network"];
    fn from_upstream(upstream: &Upstream) -> Result<Self, serde_json::Error> {
        Ok(Self {
            topic_arns: upstream
                .field("alerting", "topic_arns")?
                .unwrap_or_default(),
            guardrail_id: upstream.field("guardrails", "guardrail_id")?,
            guardrail_version: upstream.field("guardrails", "guardrail_version")?,
            kms_key_arn: upstream.field("encryption", "kms_key_arn")?,
            kms_key_id: upstream.field("encryption", "kms_key_id")?,
            log_bucket_name: upstream.field("logging", "bucket_name")?,
            endpoint_ids: upstream
                .field("network", "endpoint_ids")?
                .unwrap_or_default(),
            log_group_name: upstream.field("logging", "log_group_name")?,
            flow_log_group_name: upstream.field("logging", "flow_log_group_name")?,
        })
    }
}

/// What monitoring gives users and the state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringOutputs {
    /// Metric alarm names by group (`runtime`, `tokens`, `log_delivery`, `agents`,
    /// `knowledge_bases`, `guardrails`, `training`).
    pub alarm_names: BTreeMap<String, Vec<String>>,
    /// Composite alarm names.
    pub composite_alarm_names: Vec<String>,
    /// Number of anomaly detectors the alarms use.
    pub anomaly_detectors: usize,
    /// The dashboard.
    pub dashboard_name: Option<String>,
    /// The failed-training-job rule, when training monitoring is on.
    pub training_rule_name: Option<String>,
    /// Every EventBridge rule of the stack (training, tamper and access alerts).
    #[serde(default)]
    pub event_rule_names: Vec<String>,
    /// Metric filters on the invocation log group (log analysis).
    #[serde(default)]
    pub metric_filter_names: Vec<String>,
    /// Saved Logs Insights queries.
    #[serde(default)]
    pub query_definition_names: Vec<String>,
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MonitoringError {
    /// A CloudWatch or EventBridge call failed.
    #[error(transparent)]
    Api(#[from] baseline_core::aws::ApiError),
    /// Apply was called before an upstream value (topic ARN, guardrail) was known.
    #[error("{resource} still depends on a value known only after apply (alert topic or guardrail); apply the upstream modules first")]
    UnknownInput {
        /// The alarm or rule that needs it.
        resource: String,
    },
}

/// Whether a plan attribute (`tags`, `tags.owner`, `event_pattern.detail`) lies under one of
/// the top-level attributes `names`: apply reads its writes off the plan's attributes this way.
pub(crate) fn touches(attribute: &AttributeChange, names: &[&str]) -> bool {
    names.contains(&attribute.name.split('.').next().unwrap_or_default())
}

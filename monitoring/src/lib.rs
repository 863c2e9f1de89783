//! `baseline-monitoring`: CloudWatch alarms, anomaly detectors, composite health alarms, a
//! dashboard and the failed-training-job rule of a Bedrock stack.
//!
//! Inputs ([`MonitoringInputs`], read by field name from upstream outputs): the alert topic ARNs
//! (`alerting.topic_arns`: `critical`, `performance`, `cost`; empty when `enable_alerting = false`,
//! and then no alarm has actions) and the guardrail id/version (`guardrails.guardrail_id`,
//! `guardrails.guardrail_version`). Outputs: [`MonitoringOutputs`].
//!
//! # Alarms and where their metrics are documented
//! Names are `<prefix>-<key>` (addresses `monitoring.alarm["<key>"]`). Thresholds are the
//! original's variables with its defaults. Errors and failures notify `critical`, latency,
//! throttles and traffic anomalies `performance`, token usage `cost` (`performance` when
//! `enable_cost_alerting = false`).
//!
//! | key | namespace / metric (statistic) | threshold | AWS page |
//! | --- | --- | --- | --- |
//! | `runtime-client-errors`, `runtime-server-errors` | `AWS/Bedrock` InvocationClientErrors / InvocationServerErrors (Sum) | `invocation_error_threshold` / `server_error_threshold` | Bedrock user guide, "Monitor bedrock-runtime inference using CloudWatch metrics" (monitoring-runtime-metrics) |
//! | `runtime-throttles` | `AWS/Bedrock` InvocationThrottles (Sum) | `throttle_threshold` | same |
//! | `runtime-p99-latency` | `AWS/Bedrock` InvocationLatency (p99, ExtendedStatistic) | `latency_threshold_ms` | same |
//! | `runtime-invocations-anomaly` | band on `AWS/Bedrock` Invocations (Sum) | `anomaly_threshold` | same |
//! | `tokens-input-anomaly`, `tokens-output-anomaly` | band on InputTokenCount / OutputTokenCount (Sum) | `token_anomaly_threshold` | same |
//! | `tokens-input-high`, `tokens-output-high` | InputTokenCount / OutputTokenCount (Sum) | `token_anomaly_threshold_value` | same |
//! | `logging-cloudwatch-delivery-failures`, `logging-s3-delivery-failures` | ModelInvocationLogsCloudWatchDeliveryFailure / ModelInvocationLogsS3DeliveryFailure (Sum, >=) | `logging_failure_threshold` | same, "model invocation logging" metrics |
//! | `agents-client-errors`, `agents-server-errors` | `AWS/Bedrock/Agents` InvocationClientErrors / InvocationServerErrors (Sum), Operation=InvokeAgent | `agents_error_threshold` | "Monitor Amazon Bedrock Agents using CloudWatch Metrics" (monitoring-agents-cw-metrics) |
//! | `agents-throttles`, `agents-p99-latency` | InvocationThrottles (Sum), TotalTime (p99) | `agents_throttle_threshold`, `agents_latency_threshold_ms` | same |
//! | `kb-client-errors`, `kb-server-errors`, `kb-throttles` | `AWS/Bedrock/KnowledgeBases` ClientErrors / ServerErrors / Throttles (Sum), Operation=Retrieve | `kb_error_threshold`, `kb_throttle_threshold` | "Observability for managed knowledge bases" (kb-managed-observability) |
//! | `guardrails-input-intervened`, `guardrails-output-intervened` | `AWS/Bedrock/Guardrails` InvocationsIntervened (Sum), GuardrailArn + GuardrailVersion + GuardrailContentSource=Input/Output | `guardrails_blocked_threshold` | "Monitor Amazon Bedrock Guardrails using CloudWatch metrics" (monitoring-guardrails-cw-metrics) |
//! | `api-calls-anomaly` | band on `AWS/Usage` CallCount (Sum), Type=API, Service=Bedrock, Resource=InvokeModel, Class=None | `anomaly_threshold` | CloudWatch user guide, "AWS usage metrics" |
//!
//! Decisions, so a reader need not guess:
//! - The original's metric names AWS does not publish (`AWS/BedrockAgent Retrieve*`,
//!   `GuardrailsBlocked*`, `APICallCount`, a training-failure metric) are replaced by the
//!   documented ones above.
//! - Knowledge bases: the documented runtime metrics are counts only; no retrieval latency metric
//!   exists, so `kb_latency_threshold_ms` is accepted and unused. The alarms watch the `Retrieve`
//!   operation (the page's example); `RetrieveAndGenerate` is not covered.
//! - Training jobs publish no CloudWatch metric: a failed model customization job is caught by the
//!   EventBridge rule `<prefix>-training-job-failed` (`source = aws.bedrock`, `detail-type = Model
//!   Customization Job State Change`, `detail.jobStatus = Failed`, as in the documented sample
//!   event of "How EventBridge for Amazon Bedrock works") with the critical topic as target.
//!   `training_alarm_period` and `training_alarm_evaluation_periods` are accepted and unused (a
//!   rule has no period); `training_job_failure_threshold` is met by the rule's first match.
//! - `enable_token_anomaly_detection` adds static alarms per direction (input, output) on token
//!   count per `alarm_period` above `token_anomaly_threshold_value`, next to the anomaly bands.
//! - Anomaly-band alarms use `ANOMALY_DETECTION_BAND(m1, width)` with `ThresholdMetricId = ad1`
//!   and `GreaterThanUpperThreshold`: Bedrock publishes no datapoint for idle periods, so a lower
//!   band cannot be evaluated reliably; surges are what cost and abuse alerts need. Each band
//!   has an explicit detector (PutAnomalyDetector, SingleMetricAnomalyDetector with Stat `Sum`).
//! - TreatMissingData: `notBreaching` for error, throttle, failure, intervention and token counts
//!   and anomaly bands (those metrics are only published when something happens); `missing` for
//!   p99 latencies (no traffic is no verdict, the alarm keeps its state).
//! - Standard alarms use `alarm_period`, `alarm_evaluation_periods`, `alarm_datapoints_to_alarm`;
//!   anomaly alarms `anomaly_period` and `anomaly_evaluation_periods` (all datapoints).
//!   `enable_ok_actions` adds the same topic as OK action.
//! - Composite alarms (`enable_composite_alarms`): `basic-health` (runtime errors, latency,
//!   throttles, log delivery) and, with `enable_comprehensive_health_monitoring`,
//!   `comprehensive-health` (every enabled metric alarm), rules `ALARM("name") OR ...` naming
//!   exactly the enabled alarms, actions to critical, `maintenance_window_alarm_arn` as actions
//!   suppressor with its wait and extension periods.
//! - Anomaly detectors are account-level (no name, no tags, one per metric and statistic), so two
//!   stacks in one account share them. The stack deletes a detector only when its own alarms used
//!   it and no alarm outside the stack still does.
//! - Ownership: alarms are found by the DescribeAlarms prefix `<prefix>-` and kept only when
//!   their name is one the module can produce (every switch on), so another stack whose prefix
//!   starts with this one is never touched. Tags go on alarms at creation and are converged with
//!   TagResource/UntagResource (PutMetricAlarm ignores tags on updates).

mod alarms;
mod api;
mod dashboard;
pub mod metrics;
mod module;
mod tamper;
mod training;

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
pub use module::{
    MonitoringModule, MonitoringObserved, MonitoringSpec, ObservedAlarm, ObservedRule,
};
pub use training::{RuleDef, RuleTarget};

use baseline_core::ids::{GuardrailId, TopicArn};
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
}

impl FromUpstream for MonitoringInputs {
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
        })
    }
}

/// What monitoring gives users and the state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringOutputs {
    /// Metric alarm names by group (`runtime`, `tokens`, `log_delivery`, `agents`,
    /// `knowledge_bases`, `guardrails`, `api_calls`).
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

//! The narrow seam to CloudWatch, EventBridge and CloudWatch Logs: exactly the operations this
//! module uses, implemented for the SDK clients and mocked with mockall in unit tests. The SDK
//! implementation sits in one file per service (`api/sdk_cloudwatch.rs`, `api/sdk_events.rs`,
//! `api/sdk_logs.rs`); the trait impl below only delegates. SDK shapes are turned into this
//! crate's definitions ([`MetricAlarmDef`], [`CompositeAlarmDef`], [`DetectorDef`]) there, so
//! the reconciler compares desired and observed values of one type.

use crate::alarms::{CompositeAlarmDef, DetectorDef, MetricAlarmDef};
use crate::event_rule::RuleTarget;
use crate::log_analysis::{MetricFilterDef, ObservedQuery, QueryDef};
use async_trait::async_trait;
use baseline_core::aws::ApiError;
use baseline_core::AwsContext;
use std::collections::BTreeMap;

mod sdk_cloudwatch;
mod sdk_events;
mod sdk_logs;

/// A metric alarm as DescribeAlarms returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedMetricAlarm {
    /// Alarm ARN.
    pub arn: String,
    /// Its definition.
    pub def: MetricAlarmDef,
}

/// A composite alarm as DescribeAlarms returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedCompositeAlarm {
    /// Alarm ARN.
    pub arn: String,
    /// Its definition.
    pub def: CompositeAlarmDef,
}

/// Both kinds of alarms of one DescribeAlarms listing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DescribedAlarms {
    /// Metric alarms.
    pub metric: Vec<ObservedMetricAlarm>,
    /// Composite alarms.
    pub composite: Vec<ObservedCompositeAlarm>,
}

/// What ListRules tells about a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDescription {
    /// Rule name.
    pub name: String,
    /// Rule ARN.
    pub arn: String,
    /// Description.
    pub description: String,
    /// Event pattern as JSON text.
    pub event_pattern: String,
    /// `ENABLED`, `DISABLED`, ...
    pub state: String,
}

/// CloudWatch and EventBridge operations used by the module.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MonitoringApi: Send + Sync {
    /// DescribeAlarms for both alarm types, all pages; `prefix` filters by name prefix.
    async fn describe_alarms(&self, prefix: Option<String>) -> Result<DescribedAlarms, ApiError>;
    /// ListTagsForResource of an alarm.
    async fn alarm_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// PutMetricAlarm; `tags` are sent only when not empty (CloudWatch ignores them on updates).
    async fn put_metric_alarm(
        &self,
        def: &MetricAlarmDef,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// PutCompositeAlarm; `tags` as for metric alarms.
    async fn put_composite_alarm(
        &self,
        def: &CompositeAlarmDef,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// TagResource on an alarm.
    async fn tag_alarm(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError>;
    /// UntagResource on an alarm.
    async fn untag_alarm(&self, arn: &str, keys: &[String]) -> Result<(), ApiError>;
    /// DeleteAlarms (at most 100 names).
    async fn delete_alarms(&self, names: &[String]) -> Result<(), ApiError>;
    /// DescribeAnomalyDetectors (single-metric ones), all pages.
    async fn describe_anomaly_detectors(&self) -> Result<Vec<DetectorDef>, ApiError>;
    /// PutAnomalyDetector (SingleMetricAnomalyDetector form).
    async fn put_anomaly_detector(&self, def: &DetectorDef) -> Result<(), ApiError>;
    /// DeleteAnomalyDetector (SingleMetricAnomalyDetector form).
    async fn delete_anomaly_detector(&self, def: &DetectorDef) -> Result<(), ApiError>;
    /// GetDashboard body; `None` when the dashboard does not exist.
    async fn get_dashboard(&self, name: &str) -> Result<Option<String>, ApiError>;
    /// PutDashboard.
    async fn put_dashboard(&self, name: &str, body: &str) -> Result<(), ApiError>;
    /// DeleteDashboards of one dashboard.
    async fn delete_dashboard(&self, name: &str) -> Result<(), ApiError>;
    /// ListRules on the default bus whose names start with `name_prefix` (all rules when it is
    /// empty), every page.
    async fn list_rules(&self, name_prefix: &str) -> Result<Vec<RuleDescription>, ApiError>;
    /// ListTargetsByRule.
    async fn rule_targets(&self, name: &str) -> Result<Vec<RuleTarget>, ApiError>;
    /// ListTagsForResource of a rule.
    async fn rule_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// PutRule (creates or updates); `tags` only on create. Returns the rule ARN.
    async fn put_rule(
        &self,
        name: &str,
        description: &str,
        event_pattern: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError>;
    /// PutTargets.
    async fn put_targets(&self, rule: &str, targets: &[RuleTarget]) -> Result<(), ApiError>;
    /// RemoveTargets.
    async fn remove_targets(&self, rule: &str, ids: &[String]) -> Result<(), ApiError>;
    /// TagResource on a rule.
    async fn tag_rule(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError>;
    /// UntagResource on a rule.
    async fn untag_rule(&self, arn: &str, keys: &[String]) -> Result<(), ApiError>;
    /// DeleteRule.
    async fn delete_rule(&self, name: &str) -> Result<(), ApiError>;
    /// DescribeMetricFilters of a log group whose names start with `prefix`, all pages; empty
    /// when the log group does not exist.
    async fn describe_metric_filters(
        &self,
        log_group: &str,
        prefix: &str,
    ) -> Result<Vec<MetricFilterDef>, ApiError>;
    /// PutMetricFilter (creates or replaces).
    async fn put_metric_filter(&self, def: &MetricFilterDef) -> Result<(), ApiError>;
    /// DeleteMetricFilter.
    async fn delete_metric_filter(&self, log_group: &str, name: &str) -> Result<(), ApiError>;
    /// DescribeQueryDefinitions whose names start with `prefix`, all pages.
    async fn describe_query_definitions(
        &self,
        prefix: &str,
    ) -> Result<Vec<ObservedQuery>, ApiError>;
    /// PutQueryDefinition: creates (`id` None) or updates; returns the definition id.
    async fn put_query_definition(
        &self,
        id: Option<String>,
        def: &QueryDef,
    ) -> Result<String, ApiError>;
    /// DeleteQueryDefinition.
    async fn delete_query_definition(&self, id: &str) -> Result<(), ApiError>;
}

/// [`MonitoringApi`] over the SDK clients.
#[derive(Debug, Clone)]
pub struct SdkMonitoringApi {
    cw: aws_sdk_cloudwatch::Client,
    events: aws_sdk_eventbridge::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

impl SdkMonitoringApi {
    /// Clients from the context (they record their calls in the context's call log).
    pub fn new(ctx: &AwsContext) -> Self {
        let cw = aws_sdk_cloudwatch::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        let events = aws_sdk_eventbridge::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        let logs = aws_sdk_cloudwatchlogs::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        Self {
            cw: aws_sdk_cloudwatch::Client::from_conf(cw),
            events: aws_sdk_eventbridge::Client::from_conf(events),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs),
        }
    }
}

/// Every item of an operation that pages by `nextToken` without an SDK paginator: `page`
/// sends one request with the token and answers its items and the next token; an absent or
/// empty token ends the listing.
async fn by_next_token<T, F, Fut>(mut page: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), ApiError>>,
{
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = page(token.take()).await?;
        out.extend(items);
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(out),
        }
    }
}

#[async_trait]
impl MonitoringApi for SdkMonitoringApi {
    async fn describe_alarms(&self, prefix: Option<String>) -> Result<DescribedAlarms, ApiError> {
        sdk_cloudwatch::describe_alarms(&self.cw, prefix).await
    }

    async fn alarm_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        sdk_cloudwatch::alarm_tags(&self.cw, arn).await
    }

    async fn put_metric_alarm(
        &self,
        def: &MetricAlarmDef,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        sdk_cloudwatch::put_metric_alarm(&self.cw, def, tags).await
    }

    async fn put_composite_alarm(
        &self,
        def: &CompositeAlarmDef,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        sdk_cloudwatch::put_composite_alarm(&self.cw, def, tags).await
    }

    async fn tag_alarm(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        sdk_cloudwatch::tag_alarm(&self.cw, arn, tags).await
    }

    async fn untag_alarm(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        sdk_cloudwatch::untag_alarm(&self.cw, arn, keys).await
    }

    async fn delete_alarms(&self, names: &[String]) -> Result<(), ApiError> {
        sdk_cloudwatch::delete_alarms(&self.cw, names).await
    }

    async fn describe_anomaly_detectors(&self) -> Result<Vec<DetectorDef>, ApiError> {
        sdk_cloudwatch::describe_anomaly_detectors(&self.cw).await
    }

    async fn put_anomaly_detector(&self, def: &DetectorDef) -> Result<(), ApiError> {
        sdk_cloudwatch::put_anomaly_detector(&self.cw, def).await
    }

    async fn delete_anomaly_detector(&self, def: &DetectorDef) -> Result<(), ApiError> {
        sdk_cloudwatch::delete_anomaly_detector(&self.cw, def).await
    }

    async fn get_dashboard(&self, name: &str) -> Result<Option<String>, ApiError> {
        sdk_cloudwatch::get_dashboard(&self.cw, name).await
    }

    async fn put_dashboard(&self, name: &str, body: &str) -> Result<(), ApiError> {
        sdk_cloudwatch::put_dashboard(&self.cw, name, body).await
    }

    async fn delete_dashboard(&self, name: &str) -> Result<(), ApiError> {
        sdk_cloudwatch::delete_dashboard(&self.cw, name).await
    }

    async fn list_rules(&self, name_prefix: &str) -> Result<Vec<RuleDescription>, ApiError> {
        sdk_events::list_rules(&self.events, name_prefix).await
    }

    async fn rule_targets(&self, name: &str) -> Result<Vec<RuleTarget>, ApiError> {
        sdk_events::rule_targets(&self.events, name).await
    }

    async fn rule_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        sdk_events::rule_tags(&self.events, arn).await
    }

    async fn put_rule(
        &self,
        name: &str,
        description: &str,
        event_pattern: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        sdk_events::put_rule(&self.events, name, description, event_pattern, tags).await
    }

    async fn put_targets(&self, rule: &str, targets: &[RuleTarget]) -> Result<(), ApiError> {
        sdk_events::put_targets(&self.events, rule, targets).await
    }

    async fn remove_targets(&self, rule: &str, ids: &[String]) -> Result<(), ApiError> {
        sdk_events::remove_targets(&self.events, rule, ids).await
    }

    async fn tag_rule(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        sdk_events::tag_rule(&self.events, arn, tags).await
    }

    async fn untag_rule(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        sdk_events::untag_rule(&self.events, arn, keys).await
    }

    async fn delete_rule(&self, name: &str) -> Result<(), ApiError> {
        sdk_events::delete_rule(&self.events, name).await
    }

    async fn describe_metric_filters(
        &self,
        log_group: &str,
        prefix: &str,
    ) -> Result<Vec<MetricFilterDef>, ApiError> {
        sdk_logs::describe_metric_filters(&self.logs, log_group, prefix).await
    }

    async fn put_metric_filter(&self, def: &MetricFilterDef) -> Result<(), ApiError> {
        sdk_logs::put_metric_filter(&self.logs, def).await
    }

    async fn delete_metric_filter(&self, log_group: &str, name: &str) -> Result<(), ApiError> {
        sdk_logs::delete_metric_filter(&self.logs, log_group, name).await
    }

    async fn describe_query_definitions(
        &self,
        prefix: &str,
    ) -> Result<Vec<ObservedQuery>, ApiError> {
        sdk_logs::describe_query_definitions(&self.logs, prefix).await
    }

    async fn put_query_definition(
        &self,
        id: Option<String>,
        def: &QueryDef,
    ) -> Result<String, ApiError> {
        sdk_logs::put_query_definition(&self.logs, id, def).await
    }

    async fn delete_query_definition(&self, id: &str) -> Result<(), ApiError> {
        sdk_logs::delete_query_definition(&self.logs, id).await
    }
}

#[cfg(test)]
mod tests;

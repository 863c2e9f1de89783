//! The narrow seam to CloudWatch and EventBridge: exactly the operations this module uses,
//! implemented for the SDK clients and mocked with mockall in unit tests. SDK shapes are turned
//! into this crate's definitions ([`MetricAlarmDef`], [`CompositeAlarmDef`], [`DetectorDef`]) here,
//! so the reconciler compares desired and observed values of one type.

use crate::alarms::{CompositeAlarmDef, DetectorDef, MetricAlarmDef, MetricQuery, MetricRef};
use crate::log_analysis::{MetricFilterDef, ObservedQuery, QueryDef};
use crate::training::RuleTarget;
use async_trait::async_trait;
use aws_sdk_cloudwatch::types as cw;
use aws_sdk_eventbridge::types as eb;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::AwsContext;
use std::collections::BTreeMap;

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

/// What DescribeRule tells about a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDescription {
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
    /// DescribeRule on the default bus; `None` when the rule does not exist.
    async fn describe_rule(&self, name: &str) -> Result<Option<RuleDescription>, ApiError>;
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

fn cw_err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_cloudwatch::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_cloudwatch::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("cloudwatch", op, target, e)
}

fn eb_err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_eventbridge::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_eventbridge::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("events", op, target, e)
}

fn logs_err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_cloudwatchlogs::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("logs", op, target, e)
}

fn dims_in(dims: &BTreeMap<String, String>) -> Vec<cw::Dimension> {
    dims.iter()
        .map(|(k, v)| cw::Dimension::builder().name(k).value(v).build())
        .collect()
}

fn dims_out(dims: &[cw::Dimension]) -> BTreeMap<String, String> {
    dims.iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn cw_tags(tags: &BTreeMap<String, String>) -> Vec<cw::Tag> {
    tags.iter()
        .map(|(k, v)| cw::Tag::builder().key(k).value(v).build())
        .collect()
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn metric_in(m: &MetricRef) -> cw::Metric {
    cw::Metric::builder()
        .namespace(&m.namespace)
        .metric_name(&m.metric_name)
        .set_dimensions(Some(dims_in(&m.dimensions)))
        .build()
}

fn query_in(q: &MetricQuery) -> cw::MetricDataQuery {
    let stat = q.metric.as_ref().map(|m| {
        cw::MetricStat::builder()
            .metric(metric_in(m))
            .set_period(q.period)
            .set_stat(q.stat.clone())
            .build()
    });
    cw::MetricDataQuery::builder()
        .id(&q.id)
        .set_metric_stat(stat)
        .set_expression(q.expression.clone())
        .set_label(q.label.clone())
        .return_data(q.return_data)
        .build()
}

fn query_out(q: &cw::MetricDataQuery) -> MetricQuery {
    let stat = q.metric_stat();
    MetricQuery {
        id: q.id().unwrap_or_default().to_owned(),
        metric: stat.and_then(|s| s.metric()).map(|m| MetricRef {
            namespace: m.namespace().unwrap_or_default().to_owned(),
            metric_name: m.metric_name().unwrap_or_default().to_owned(),
            dimensions: dims_out(m.dimensions()),
        }),
        period: stat.and_then(|s| s.period()),
        stat: stat.and_then(|s| s.stat()).map(str::to_owned),
        expression: q.expression().map(str::to_owned),
        label: q.label().map(str::to_owned),
        return_data: q.return_data().unwrap_or(true),
    }
}

fn metric_alarm_out(a: &cw::MetricAlarm) -> MetricAlarmDef {
    MetricAlarmDef {
        name: a.alarm_name().unwrap_or_default().to_owned(),
        description: a.alarm_description().unwrap_or_default().to_owned(),
        metric: a.metric_name().map(|name| MetricRef {
            namespace: a.namespace().unwrap_or_default().to_owned(),
            metric_name: name.to_owned(),
            dimensions: dims_out(a.dimensions()),
        }),
        statistic: a.statistic().map(|s| s.as_str().to_owned()),
        extended_statistic: a.extended_statistic().map(str::to_owned),
        period: a.period(),
        metrics: a.metrics().iter().map(query_out).collect(),
        threshold_metric_id: a.threshold_metric_id().map(str::to_owned),
        threshold: a.threshold(),
        comparison_operator: a
            .comparison_operator()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_default(),
        evaluation_periods: a.evaluation_periods().unwrap_or_default(),
        datapoints_to_alarm: a.datapoints_to_alarm(),
        // CloudWatch's default when the alarm was created without it.
        treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_owned(),
        actions_enabled: a.actions_enabled().unwrap_or(true),
        alarm_actions: sorted(a.alarm_actions()),
        ok_actions: sorted(a.ok_actions()),
    }
}

fn composite_out(a: &cw::CompositeAlarm) -> CompositeAlarmDef {
    CompositeAlarmDef {
        name: a.alarm_name().unwrap_or_default().to_owned(),
        description: a.alarm_description().unwrap_or_default().to_owned(),
        alarm_rule: a.alarm_rule().unwrap_or_default().to_owned(),
        actions_enabled: a.actions_enabled().unwrap_or(true),
        alarm_actions: sorted(a.alarm_actions()),
        ok_actions: sorted(a.ok_actions()),
        actions_suppressor: a
            .actions_suppressor()
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        actions_suppressor_wait_period: a
            .actions_suppressor()
            .and(a.actions_suppressor_wait_period()),
        actions_suppressor_extension_period: a
            .actions_suppressor()
            .and(a.actions_suppressor_extension_period()),
    }
}

fn detector_out(d: &cw::AnomalyDetector) -> Option<DetectorDef> {
    if let Some(s) = d.single_metric_anomaly_detector() {
        return Some(DetectorDef {
            metric: MetricRef {
                namespace: s.namespace()?.to_owned(),
                metric_name: s.metric_name()?.to_owned(),
                dimensions: dims_out(s.dimensions()),
            },
            stat: s.stat()?.to_owned(),
        });
    }
    // Older detectors only carry the legacy top-level fields.
    #[allow(deprecated)]
    Some(DetectorDef {
        metric: MetricRef {
            namespace: d.namespace()?.to_owned(),
            metric_name: d.metric_name()?.to_owned(),
            dimensions: dims_out(d.dimensions()),
        },
        stat: d.stat()?.to_owned(),
    })
}

fn single_detector(def: &DetectorDef) -> cw::SingleMetricAnomalyDetector {
    cw::SingleMetricAnomalyDetector::builder()
        .namespace(&def.metric.namespace)
        .metric_name(&def.metric.metric_name)
        .set_dimensions(Some(dims_in(&def.metric.dimensions)))
        .stat(&def.stat)
        .build()
}

fn eb_tags(tags: &BTreeMap<String, String>) -> Result<Vec<eb::Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            eb::Tag::builder().key(k).value(v).build().map_err(|e| {
                ApiError::synthetic(
                    "events",
                    "TagResource",
                    k,
                    ServiceErrorKind::Validation,
                    &e.to_string(),
                )
            })
        })
        .collect()
}

fn or_none<T>(r: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl MonitoringApi for SdkMonitoringApi {
    async fn describe_alarms(&self, prefix: Option<String>) -> Result<DescribedAlarms, ApiError> {
        let target = prefix.clone().unwrap_or_else(|| "account".into());
        let mut out = DescribedAlarms::default();
        let mut pages = self
            .cw
            .describe_alarms()
            .set_alarm_name_prefix(prefix)
            .alarm_types(cw::AlarmType::MetricAlarm)
            .alarm_types(cw::AlarmType::CompositeAlarm)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(cw_err("DescribeAlarms", &target))?;
            for a in page.metric_alarms() {
                out.metric.push(ObservedMetricAlarm {
                    arn: a.alarm_arn().unwrap_or_default().to_owned(),
                    def: metric_alarm_out(a),
                });
            }
            for a in page.composite_alarms() {
                out.composite.push(ObservedCompositeAlarm {
                    arn: a.alarm_arn().unwrap_or_default().to_owned(),
                    def: composite_out(a),
                });
            }
        }
        Ok(out)
    }

    async fn alarm_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let out = self
            .cw
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(cw_err("ListTagsForResource", arn))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                )
            })
            .collect())
    }

    async fn put_metric_alarm(
        &self,
        def: &MetricAlarmDef,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        let m = def.metric.as_ref();
        self.cw
            .put_metric_alarm()
            .alarm_name(&def.name)
            .alarm_description(&def.description)
            .set_namespace(m.map(|m| m.namespace.clone()))
            .set_metric_name(m.map(|m| m.metric_name.clone()))
            .set_dimensions(m.map(|m| dims_in(&m.dimensions)))
            .set_statistic(def.statistic.as_deref().map(cw::Statistic::from))
            .set_extended_statistic(def.extended_statistic.clone())
            .set_period(def.period)
            .set_metrics(
                (!def.metrics.is_empty()).then(|| def.metrics.iter().map(query_in).collect()),
            )
            .set_threshold_metric_id(def.threshold_metric_id.clone())
            .set_threshold(def.threshold)
            .comparison_operator(cw::ComparisonOperator::from(
                def.comparison_operator.as_str(),
            ))
            .evaluation_periods(def.evaluation_periods)
            .set_datapoints_to_alarm(def.datapoints_to_alarm)
            .treat_missing_data(&def.treat_missing_data)
            .actions_enabled(def.actions_enabled)
            .set_alarm_actions(Some(def.alarm_actions.clone()))
            .set_ok_actions(Some(def.ok_actions.clone()))
            .set_tags((!tags.is_empty()).then(|| cw_tags(tags)))
            .send()
            .await
            .map_err(cw_err("PutMetricAlarm", &def.name))?;
        Ok(())
    }

    async fn put_composite_alarm(
        &self,
        def: &CompositeAlarmDef,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        self.cw
            .put_composite_alarm()
            .alarm_name(&def.name)
            .alarm_description(&def.description)
            .alarm_rule(&def.alarm_rule)
            .actions_enabled(def.actions_enabled)
            .set_alarm_actions(Some(def.alarm_actions.clone()))
            .set_ok_actions(Some(def.ok_actions.clone()))
            .set_actions_suppressor(def.actions_suppressor.clone())
            .set_actions_suppressor_wait_period(def.actions_suppressor_wait_period)
            .set_actions_suppressor_extension_period(def.actions_suppressor_extension_period)
            .set_tags((!tags.is_empty()).then(|| cw_tags(tags)))
            .send()
            .await
            .map_err(cw_err("PutCompositeAlarm", &def.name))?;
        Ok(())
    }

    async fn tag_alarm(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        self.cw
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(cw_tags(tags)))
            .send()
            .await
            .map_err(cw_err("TagResource", arn))?;
        Ok(())
    }

    async fn untag_alarm(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        self.cw
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(cw_err("UntagResource", arn))?;
        Ok(())
    }

    async fn delete_alarms(&self, names: &[String]) -> Result<(), ApiError> {
        let target = names.join(",");
        self.cw
            .delete_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(cw_err("DeleteAlarms", &target))?;
        Ok(())
    }

    async fn describe_anomaly_detectors(&self) -> Result<Vec<DetectorDef>, ApiError> {
        let mut out = Vec::new();
        let mut pages = self
            .cw
            .describe_anomaly_detectors()
            .anomaly_detector_types(cw::AnomalyDetectorType::SingleMetric)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(cw_err("DescribeAnomalyDetectors", "account"))?;
            out.extend(page.anomaly_detectors().iter().filter_map(detector_out));
        }
        Ok(out)
    }

    async fn put_anomaly_detector(&self, def: &DetectorDef) -> Result<(), ApiError> {
        self.cw
            .put_anomaly_detector()
            .single_metric_anomaly_detector(single_detector(def))
            .send()
            .await
            .map_err(cw_err("PutAnomalyDetector", &def.metric.metric_name))?;
        Ok(())
    }

    async fn delete_anomaly_detector(&self, def: &DetectorDef) -> Result<(), ApiError> {
        self.cw
            .delete_anomaly_detector()
            .single_metric_anomaly_detector(single_detector(def))
            .send()
            .await
            .map_err(cw_err("DeleteAnomalyDetector", &def.metric.metric_name))?;
        Ok(())
    }

    async fn get_dashboard(&self, name: &str) -> Result<Option<String>, ApiError> {
        let r = self
            .cw
            .get_dashboard()
            .dashboard_name(name)
            .send()
            .await
            .map_err(cw_err("GetDashboard", name));
        Ok(or_none(r)?.map(|out| out.dashboard_body().unwrap_or_default().to_owned()))
    }

    async fn put_dashboard(&self, name: &str, body: &str) -> Result<(), ApiError> {
        self.cw
            .put_dashboard()
            .dashboard_name(name)
            .dashboard_body(body)
            .send()
            .await
            .map_err(cw_err("PutDashboard", name))?;
        Ok(())
    }

    async fn delete_dashboard(&self, name: &str) -> Result<(), ApiError> {
        self.cw
            .delete_dashboards()
            .dashboard_names(name)
            .send()
            .await
            .map_err(cw_err("DeleteDashboards", name))?;
        Ok(())
    }

    async fn describe_rule(&self, name: &str) -> Result<Option<RuleDescription>, ApiError> {
        let r = self
            .events
            .describe_rule()
            .name(name)
            .send()
            .await
            .map_err(eb_err("DescribeRule", name));
        Ok(or_none(r)?.map(|out| RuleDescription {
            arn: out.arn().unwrap_or_default().to_owned(),
            description: out.description().unwrap_or_default().to_owned(),
            event_pattern: out.event_pattern().unwrap_or_default().to_owned(),
            state: out
                .state()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        }))
    }

    async fn rule_targets(&self, name: &str) -> Result<Vec<RuleTarget>, ApiError> {
        let mut targets = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let out = self
                .events
                .list_targets_by_rule()
                .rule(name)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(eb_err("ListTargetsByRule", name))?;
            targets.extend(out.targets().iter().map(|t| RuleTarget {
                id: t.id().to_owned(),
                arn: t.arn().to_owned(),
            }));
            match out.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => break,
            }
        }
        targets.sort();
        Ok(targets)
    }

    async fn rule_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let out = self
            .events
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(eb_err("ListTagsForResource", arn))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }

    async fn put_rule(
        &self,
        name: &str,
        description: &str,
        event_pattern: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        let out = self
            .events
            .put_rule()
            .name(name)
            .description(description)
            .event_pattern(event_pattern)
            .state(eb::RuleState::Enabled)
            .set_tags((!tags.is_empty()).then(|| eb_tags(tags)).transpose()?)
            .send()
            .await
            .map_err(eb_err("PutRule", name))?;
        Ok(out.rule_arn().unwrap_or_default().to_owned())
    }

    async fn put_targets(&self, rule: &str, targets: &[RuleTarget]) -> Result<(), ApiError> {
        let targets = targets
            .iter()
            .map(|t| {
                eb::Target::builder()
                    .id(&t.id)
                    .arn(&t.arn)
                    .build()
                    .map_err(|e| {
                        ApiError::synthetic(
                            "events",
                            "PutTargets",
                            rule,
                            ServiceErrorKind::Validation,
                            &e.to_string(),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .events
            .put_targets()
            .rule(rule)
            .set_targets(Some(targets))
            .send()
            .await
            .map_err(eb_err("PutTargets", rule))?;
        // PutTargets reports per-target failures in a 200 response.
        if let Some(failed) = out.failed_entries().first() {
            return Err(ApiError::synthetic(
                "events",
                "PutTargets",
                rule,
                ServiceErrorKind::Other,
                &format!(
                    "{}: {}",
                    failed.error_code().unwrap_or("Failed"),
                    failed.error_message().unwrap_or("target not added")
                ),
            ));
        }
        Ok(())
    }

    async fn remove_targets(&self, rule: &str, ids: &[String]) -> Result<(), ApiError> {
        self.events
            .remove_targets()
            .rule(rule)
            .set_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(eb_err("RemoveTargets", rule))?;
        Ok(())
    }

    async fn tag_rule(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        self.events
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(eb_tags(tags)?))
            .send()
            .await
            .map_err(eb_err("TagResource", arn))?;
        Ok(())
    }

    async fn untag_rule(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        self.events
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(eb_err("UntagResource", arn))?;
        Ok(())
    }

    async fn delete_rule(&self, name: &str) -> Result<(), ApiError> {
        self.events
            .delete_rule()
            .name(name)
            .send()
            .await
            .map_err(eb_err("DeleteRule", name))?;
        Ok(())
    }

    async fn describe_metric_filters(
        &self,
        log_group: &str,
        prefix: &str,
    ) -> Result<Vec<MetricFilterDef>, ApiError> {
        let mut out = Vec::new();
        let mut pages = self
            .logs
            .describe_metric_filters()
            .log_group_name(log_group)
            .filter_name_prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = match page.map_err(logs_err("DescribeMetricFilters", log_group)) {
                Ok(p) => p,
                Err(e) if e.is_not_found() => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            for f in page.metric_filters() {
                let Some(t) = f.metric_transformations().first() else {
                    continue;
                };
                out.push(MetricFilterDef {
                    name: f.filter_name().unwrap_or_default().to_owned(),
                    log_group: f.log_group_name().unwrap_or(log_group).to_owned(),
                    pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                    metric_name: t.metric_name().to_owned(),
                    namespace: t.metric_namespace().to_owned(),
                    value: t.metric_value().to_owned(),
                });
            }
        }
        Ok(out)
    }

    async fn put_metric_filter(&self, def: &MetricFilterDef) -> Result<(), ApiError> {
        let t = aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
            .metric_name(&def.metric_name)
            .metric_namespace(&def.namespace)
            .metric_value(&def.value)
            .build()
            .map_err(|e| {
                ApiError::synthetic(
                    "logs",
                    "PutMetricFilter",
                    &def.name,
                    ServiceErrorKind::Validation,
                    &format!("request could not be built: {e}"),
                )
            })?;
        self.logs
            .put_metric_filter()
            .log_group_name(&def.log_group)
            .filter_name(&def.name)
            .filter_pattern(&def.pattern)
            .metric_transformations(t)
            .send()
            .await
            .map_err(logs_err("PutMetricFilter", &def.name))?;
        Ok(())
    }

    async fn delete_metric_filter(&self, log_group: &str, name: &str) -> Result<(), ApiError> {
        self.logs
            .delete_metric_filter()
            .log_group_name(log_group)
            .filter_name(name)
            .send()
            .await
            .map_err(logs_err("DeleteMetricFilter", name))?;
        Ok(())
    }

    async fn describe_query_definitions(
        &self,
        prefix: &str,
    ) -> Result<Vec<ObservedQuery>, ApiError> {
        // DescribeQueryDefinitions pages by nextToken (no SDK paginator for it).
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .logs
                .describe_query_definitions()
                .query_definition_name_prefix(prefix)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(logs_err("DescribeQueryDefinitions", prefix))?;
            for q in page.query_definitions() {
                out.push(ObservedQuery {
                    id: q.query_definition_id().unwrap_or_default().to_owned(),
                    def: QueryDef {
                        name: q.name().unwrap_or_default().to_owned(),
                        log_groups: q.log_group_names().to_vec(),
                        query: q.query_string().unwrap_or_default().to_owned(),
                    },
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn put_query_definition(
        &self,
        id: Option<String>,
        def: &QueryDef,
    ) -> Result<String, ApiError> {
        let out = self
            .logs
            .put_query_definition()
            .name(&def.name)
            .query_string(&def.query)
            .set_log_group_names(Some(def.log_groups.clone()))
            .set_query_definition_id(id)
            .send()
            .await
            .map_err(logs_err("PutQueryDefinition", &def.name))?;
        Ok(out.query_definition_id().unwrap_or_default().to_owned())
    }

    async fn delete_query_definition(&self, id: &str) -> Result<(), ApiError> {
        self.logs
            .delete_query_definition()
            .query_definition_id(id)
            .send()
            .await
            .map_err(logs_err("DeleteQueryDefinition", id))?;
        Ok(())
    }
}

//! CloudWatch (`monitoring` namespace of the SDK): alarms, their tags, anomaly detectors and the
//! dashboard, with the conversions between the SDK's shapes and this crate's definitions.

use super::{DescribedAlarms, ObservedCompositeAlarm, ObservedMetricAlarm};
use crate::alarms::{CompositeAlarmDef, DetectorDef, MetricAlarmDef, MetricQuery, MetricRef};
use aws_sdk_cloudwatch::types as cw;
use baseline_core::aws::ApiError;
use baseline_core::aws::{or_none, sdk_err};
use std::collections::BTreeMap;

const SERVICE: &str = "cloudwatch";

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

pub(super) async fn describe_alarms(
    client: &aws_sdk_cloudwatch::Client,
    prefix: Option<String>,
) -> Result<DescribedAlarms, ApiError> {
    let target = prefix.clone().unwrap_or_else(|| "account".into());
    let mut out = DescribedAlarms::default();
    let mut pages = client
        .describe_alarms()
        .set_alarm_name_prefix(prefix)
        .alarm_types(cw::AlarmType::MetricAlarm)
        .alarm_types(cw::AlarmType::CompositeAlarm)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk_err(SERVICE, "DescribeAlarms", &target))?;
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

pub(super) async fn alarm_tags(
    client: &aws_sdk_cloudwatch::Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "ListTagsForResource", arn))?;
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

pub(super) async fn put_metric_alarm(
    client: &aws_sdk_cloudwatch::Client,
    def: &MetricAlarmDef,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let m = def.metric.as_ref();
    client
        .put_metric_alarm()
        .alarm_name(&def.name)
        .alarm_description(&def.description)
        .set_namespace(m.map(|m| m.namespace.clone()))
        .set_metric_name(m.map(|m| m.metric_name.clone()))
        .set_dimensions(m.map(|m| dims_in(&m.dimensions)))
        .set_statistic(def.statistic.as_deref().map(cw::Statistic::from))
        .set_extended_statistic(def.extended_statistic.clone())
        .set_period(def.period)
        .set_metrics((!def.metrics.is_empty()).then(|| def.metrics.iter().map(query_in).collect()))
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
        .map_err(sdk_err(SERVICE, "PutMetricAlarm", &def.name))?;
    Ok(())
}

pub(super) async fn put_composite_alarm(
    client: &aws_sdk_cloudwatch::Client,
    def: &CompositeAlarmDef,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    client
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
        .map_err(sdk_err(SERVICE, "PutCompositeAlarm", &def.name))?;
    Ok(())
}

pub(super) async fn tag_alarm(
    client: &aws_sdk_cloudwatch::Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(cw_tags(tags)))
        .send()
        .await
        .map_err(sdk_err(SERVICE, "TagResource", arn))?;
    Ok(())
}

pub(super) async fn untag_alarm(
    client: &aws_sdk_cloudwatch::Client,
    arn: &str,
    keys: &[String],
) -> Result<(), ApiError> {
    client
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await
        .map_err(sdk_err(SERVICE, "UntagResource", arn))?;
    Ok(())
}

pub(super) async fn delete_alarms(
    client: &aws_sdk_cloudwatch::Client,
    names: &[String],
) -> Result<(), ApiError> {
    let target = names.join(",");
    client
        .delete_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(sdk_err(SERVICE, "DeleteAlarms", &target))?;
    Ok(())
}

pub(super) async fn describe_anomaly_detectors(
    client: &aws_sdk_cloudwatch::Client,
) -> Result<Vec<DetectorDef>, ApiError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_anomaly_detectors()
        .anomaly_detector_types(cw::AnomalyDetectorType::SingleMetric)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(sdk_err(SERVICE, "DescribeAnomalyDetectors", "account"))?;
        out.extend(page.anomaly_detectors().iter().filter_map(detector_out));
    }
    Ok(out)
}

pub(super) async fn put_anomaly_detector(
    client: &aws_sdk_cloudwatch::Client,
    def: &DetectorDef,
) -> Result<(), ApiError> {
    client
        .put_anomaly_detector()
        .single_metric_anomaly_detector(single_detector(def))
        .send()
        .await
        .map_err(sdk_err(
            SERVICE,
            "PutAnomalyDetector",
            &def.metric.metric_name,
        ))?;
    Ok(())
}

pub(super) async fn delete_anomaly_detector(
    client: &aws_sdk_cloudwatch::Client,
    def: &DetectorDef,
) -> Result<(), ApiError> {
    client
        .delete_anomaly_detector()
        .single_metric_anomaly_detector(single_detector(def))
        .send()
        .await
        .map_err(sdk_err(
            SERVICE,
            "DeleteAnomalyDetector",
            &def.metric.metric_name,
        ))?;
    Ok(())
}

pub(super) async fn get_dashboard(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> Result<Option<String>, ApiError> {
    let r = client
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "GetDashboard", name));
    Ok(or_none(r)?.map(|out| out.dashboard_body().unwrap_or_default().to_owned()))
}

pub(super) async fn put_dashboard(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
    body: &str,
) -> Result<(), ApiError> {
    client
        .put_dashboard()
        .dashboard_name(name)
        .dashboard_body(body)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "PutDashboard", name))?;
    Ok(())
}

pub(super) async fn delete_dashboard(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> Result<(), ApiError> {
    client
        .delete_dashboards()
        .dashboard_names(name)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "DeleteDashboards", name))?;
    Ok(())
}

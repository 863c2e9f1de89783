//! The Cost Explorer half of [`super::SdkCostApi`]: the anomaly monitor and subscription, and
//! their SDK shapes.

use super::sdk::{all_pages, build_failed, format_amount};
use super::{AnomalyMonitor, AnomalySubscription, Subscriber};
use aws_sdk_costexplorer::config::retry::RetryConfig;
use aws_sdk_costexplorer::types as ct;
use aws_sdk_costexplorer::Client;
use baseline_core::aws::sdk_err;
use baseline_core::aws::ApiError;
use baseline_core::write::WriteResult;
use std::collections::BTreeMap;

fn tags_of(tags: &BTreeMap<String, String>) -> Vec<ct::ResourceTag> {
    tags.iter()
        .filter_map(|(k, v)| ct::ResourceTag::builder().key(k).value(v).build().ok())
        .collect()
}

fn to_sdk_subscribers(s: &AnomalySubscription) -> Vec<ct::Subscriber> {
    s.subscribers
        .iter()
        .map(|s| {
            ct::Subscriber::builder()
                .r#type(ct::SubscriberType::from(s.kind.as_str()))
                .address(&s.address)
                .build()
        })
        .collect()
}

/// The creates have no client token: a retry after a lost answer would make a second one, so
/// they are sent once and the module retries through `baseline_core::write::create_unless_found`.
fn without_retries() -> aws_sdk_costexplorer::config::Builder {
    aws_sdk_costexplorer::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// `ANOMALY_TOTAL_IMPACT_ABSOLUTE >= threshold` (Cost Explorer API reference,
/// AnomalySubscription.ThresholdExpression; the numeric `Threshold` field is deprecated).
fn threshold_expression(threshold: f64) -> ct::Expression {
    ct::Expression::builder()
        .dimensions(
            ct::DimensionValues::builder()
                .key(ct::Dimension::AnomalyTotalImpactAbsolute)
                .values(format_amount(threshold))
                .match_options(ct::MatchOption::GreaterThanOrEqual)
                .build(),
        )
        .build()
}

fn threshold_of(e: Option<&ct::Expression>) -> Option<f64> {
    let d = e?.dimensions()?;
    if d.key() != Some(&ct::Dimension::AnomalyTotalImpactAbsolute)
        || d.match_options() != [ct::MatchOption::GreaterThanOrEqual]
    {
        return None;
    }
    match d.values() {
        [one] => one.parse().ok(),
        _ => None,
    }
}

fn from_sdk_subscription(s: &ct::AnomalySubscription) -> AnomalySubscription {
    AnomalySubscription {
        arn: s.subscription_arn().unwrap_or_default().to_owned(),
        name: s.subscription_name().to_owned(),
        monitor_arns: s.monitor_arn_list().to_vec(),
        frequency: s.frequency().as_str().to_owned(),
        threshold: threshold_of(s.threshold_expression()),
        subscribers: s
            .subscribers()
            .iter()
            .map(|x| Subscriber {
                kind: x
                    .r#type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                address: x.address().unwrap_or_default().to_owned(),
            })
            .collect(),
    }
}

pub(super) async fn anomaly_monitors(c: &Client) -> Result<Vec<AnomalyMonitor>, ApiError> {
    all_pages(|token| async move {
        let out = c
            .get_anomaly_monitors()
            .set_next_page_token(token)
            .send()
            .await
            .map_err(sdk_err("ce", "GetAnomalyMonitors", "account"))?;
        let page = out
            .anomaly_monitors()
            .iter()
            .map(|m| AnomalyMonitor {
                arn: m.monitor_arn().unwrap_or_default().to_owned(),
                name: m.monitor_name().to_owned(),
                monitor_type: m.monitor_type().as_str().to_owned(),
                dimension: m.monitor_dimension().map(|d| d.as_str().to_owned()),
            })
            .collect();
        Ok((page, out.next_page_token().map(str::to_owned)))
    })
    .await
}

pub(super) async fn create_anomaly_monitor(
    c: &Client,
    monitor: &AnomalyMonitor,
    tags: &BTreeMap<String, String>,
) -> Result<String, ApiError> {
    let m = ct::AnomalyMonitor::builder()
        .monitor_name(&monitor.name)
        .monitor_type(ct::MonitorType::from(monitor.monitor_type.as_str()))
        .set_monitor_dimension(monitor.dimension.as_deref().map(ct::MonitorDimension::from))
        .build()
        .map_err(|e| build_failed("ce", "CreateAnomalyMonitor", &monitor.name, e))?;
    let out = c
        .create_anomaly_monitor()
        .anomaly_monitor(m)
        .set_resource_tags(Some(tags_of(tags)))
        .customize()
        .config_override(without_retries())
        .send()
        .await
        .map_err(sdk_err("ce", "CreateAnomalyMonitor", &monitor.name))?;
    Ok(out.monitor_arn().to_owned())
}

pub(super) async fn delete_anomaly_monitor(c: &Client, arn: &str) -> Result<(), ApiError> {
    c.delete_anomaly_monitor()
        .monitor_arn(arn)
        .send()
        .await
        .map_err(sdk_err("ce", "DeleteAnomalyMonitor", arn))
        .map(drop)
        .or_gone()
}

pub(super) async fn anomaly_subscriptions(
    c: &Client,
) -> Result<Vec<AnomalySubscription>, ApiError> {
    all_pages(|token| async move {
        let out = c
            .get_anomaly_subscriptions()
            .set_next_page_token(token)
            .send()
            .await
            .map_err(sdk_err("ce", "GetAnomalySubscriptions", "account"))?;
        let page = out
            .anomaly_subscriptions()
            .iter()
            .map(from_sdk_subscription)
            .collect();
        Ok((page, out.next_page_token().map(str::to_owned)))
    })
    .await
}

pub(super) async fn create_anomaly_subscription(
    c: &Client,
    s: &AnomalySubscription,
    tags: &BTreeMap<String, String>,
) -> Result<String, ApiError> {
    let sub = ct::AnomalySubscription::builder()
        .subscription_name(&s.name)
        .set_monitor_arn_list(Some(s.monitor_arns.clone()))
        .set_subscribers(Some(to_sdk_subscribers(s)))
        .frequency(ct::AnomalySubscriptionFrequency::from(s.frequency.as_str()))
        .set_threshold_expression(s.threshold.map(threshold_expression))
        .build()
        .map_err(|e| build_failed("ce", "CreateAnomalySubscription", &s.name, e))?;
    let out = c
        .create_anomaly_subscription()
        .anomaly_subscription(sub)
        .set_resource_tags(Some(tags_of(tags)))
        .customize()
        .config_override(without_retries())
        .send()
        .await
        .map_err(sdk_err("ce", "CreateAnomalySubscription", &s.name))?;
    Ok(out.subscription_arn().to_owned())
}

pub(super) async fn update_anomaly_subscription(
    c: &Client,
    s: &AnomalySubscription,
) -> Result<(), ApiError> {
    c.update_anomaly_subscription()
        .subscription_arn(&s.arn)
        .subscription_name(&s.name)
        .set_monitor_arn_list(Some(s.monitor_arns.clone()))
        .set_subscribers(Some(to_sdk_subscribers(s)))
        .frequency(ct::AnomalySubscriptionFrequency::from(s.frequency.as_str()))
        .set_threshold_expression(s.threshold.map(threshold_expression))
        .send()
        .await
        .map_err(sdk_err("ce", "UpdateAnomalySubscription", &s.arn))
        .map(drop)
}

pub(super) async fn delete_anomaly_subscription(c: &Client, arn: &str) -> Result<(), ApiError> {
    c.delete_anomaly_subscription()
        .subscription_arn(arn)
        .send()
        .await
        .map_err(sdk_err("ce", "DeleteAnomalySubscription", arn))
        .map(drop)
        .or_gone()
}

#[cfg(test)]
mod tests;

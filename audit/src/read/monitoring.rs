//! CloudWatch, CloudWatch Logs, EventBridge and SNS reads of the monitoring rules (BB-15, BB-16,
//! BB-17, BB-75, BB-76).

use super::{failed, list_missing, Reader};
use crate::inventory::{
    Alarm, EventRule, LogDeliveries, LogResourcePolicy, MetricFilter, Missing, Read, Subscription,
};
use baseline_core::policy::PolicyDocument;
use std::collections::BTreeSet;

impl Reader {
    /// `cloudwatch:DescribeAlarms`, metric alarms with the metrics they (or their math) watch.
    pub(super) async fn alarms(&self) -> Read<Vec<Alarm>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.cloudwatch
                    .describe_alarms()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("cloudwatch:DescribeAlarms", e))?
            };
            for a in page.metric_alarms() {
                let mut metrics = Vec::new();
                if let (Some(ns), Some(m)) = (a.namespace(), a.metric_name()) {
                    metrics.push((ns.to_owned(), m.to_owned()));
                }
                for q in a.metrics() {
                    if let Some(m) = q.metric_stat().and_then(|s| s.metric()) {
                        if let (Some(ns), Some(name)) = (m.namespace(), m.metric_name()) {
                            metrics.push((ns.to_owned(), name.to_owned()));
                        }
                    }
                }
                out.push(Alarm {
                    name: a.alarm_name().unwrap_or_default().to_owned(),
                    arn: a.alarm_arn().unwrap_or_default().to_owned(),
                    metrics,
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `cloudwatch:ListMetrics(Namespace)`: the metric names that have data. ListMetrics shows
    /// metrics with data points in the past two weeks
    /// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html).
    pub(super) async fn listed_metrics(&self, namespace: &str) -> Read<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.cloudwatch
                    .list_metrics()
                    .namespace(namespace)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| failed("cloudwatch:ListMetrics", e))?
            };
            out.extend(
                page.metrics()
                    .iter()
                    .filter_map(|m| m.metric_name().map(str::to_owned)),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `logs:DescribeMetricFilters` (every log group).
    pub(super) async fn metric_filters(&self) -> Read<Vec<MetricFilter>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.logs
                    .describe_metric_filters()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("logs:DescribeMetricFilters", e))?
            };
            for f in page.metric_filters() {
                out.push(MetricFilter {
                    name: f.filter_name().unwrap_or_default().to_owned(),
                    log_group: f.log_group_name().unwrap_or_default().to_owned(),
                    pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                    metrics: f
                        .metric_transformations()
                        .iter()
                        .map(|t| (t.metric_namespace().to_owned(), t.metric_name().to_owned()))
                        .collect(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `events:ListRules` on the default bus.
    pub(super) async fn event_rules(&self) -> Read<Vec<EventRule>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.events
                    .list_rules()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("events:ListRules", e))?
            };
            for r in page.rules() {
                out.push(EventRule {
                    name: r.name().unwrap_or_default().to_owned(),
                    arn: r.arn().unwrap_or_default().to_owned(),
                    state: r.state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                    pattern: r.event_pattern().map(str::to_owned),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `logs:DescribeDeliverySources` + `logs:DescribeDeliveries` (vended logs such as a
    /// knowledge base's APPLICATION_LOGS,
    /// https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-bases-logging.html).
    pub(super) async fn log_deliveries(&self) -> Read<LogDeliveries> {
        let mut out = LogDeliveries::default();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.logs
                    .describe_delivery_sources()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("logs:DescribeDeliverySources", e))?
            };
            for s in page.delivery_sources() {
                out.sources.push((
                    s.name().unwrap_or_default().to_owned(),
                    s.resource_arns().to_vec(),
                ));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.logs
                    .describe_deliveries()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| failed("logs:DescribeDeliveries", e))?
            };
            for d in page.deliveries() {
                out.deliveries.push((
                    d.delivery_source_name().unwrap_or_default().to_owned(),
                    d.delivery_destination_arn().unwrap_or_default().to_owned(),
                ));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `logs:DescribeResourcePolicies`.
    pub(super) async fn log_resource_policies(&self) -> Read<Vec<LogResourcePolicy>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.logs
                    .describe_resource_policies()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("logs:DescribeResourcePolicies", e))?
            };
            for p in page.resource_policies() {
                out.push(LogResourcePolicy {
                    name: p.policy_name().unwrap_or_default().to_owned(),
                    policy: PolicyDocument::parse(p.policy_document().unwrap_or_default())
                        .map_err(|e| e.to_string()),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `sns:ListSubscriptionsByTopic`.
    pub(super) async fn subscriptions(&self, topic: &str) -> Read<Vec<Subscription>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.sns
                    .list_subscriptions_by_topic()
                    .topic_arn(topic)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| failed("sns:ListSubscriptionsByTopic", e))?
            };
            for s in page.subscriptions() {
                out.push(Subscription {
                    arn: s.subscription_arn().unwrap_or_default().to_owned(),
                    protocol: s.protocol().unwrap_or_default().to_owned(),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// `kms:GetKeyPolicy` (the only policy name is `default`,
    /// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
    pub(super) async fn key_policy(&self, key: &str) -> Read<PolicyDocument> {
        let _p = self.permit().await;
        let out = self
            .kms
            .get_key_policy()
            .key_id(key)
            .policy_name("default")
            .send()
            .await
            .map_err(|e| failed("kms:GetKeyPolicy", e))?;
        PolicyDocument::parse(out.policy().unwrap_or_default())
            .map_err(|e| Missing::Failed(format!("key policy did not parse: {e}")))
    }
}

//! CloudWatch, CloudWatch Logs and EventBridge reads of the logging and monitoring rules (BB-02,
//! BB-15, BB-16, BB-17, BB-75, BB-76).

use super::{failed, list_missing, Reader};
use crate::inventory::{
    Alarm, EventRule, LogDeliveries, LogGroup, LogResourcePolicy, LoggingConfig, MetricFilter, Read,
};
use baseline_core::policy::PolicyDocument;
use std::collections::{BTreeMap, BTreeSet};

impl Reader {
    /// `cloudwatch:DescribeAlarms`, metric alarms with the metrics they (or their math) watch.
    pub(super) async fn alarms(&self) -> Read<Vec<Alarm>> {
        self.paged(
            "cloudwatch:DescribeAlarms",
            list_missing,
            |t| self.cloudwatch.describe_alarms().set_next_token(t).send(),
            |p| {
                p.metric_alarms()
                    .iter()
                    .map(|a| {
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
                        Alarm {
                            name: a.alarm_name().unwrap_or_default().to_owned(),
                            arn: a.alarm_arn().unwrap_or_default().to_owned(),
                            metrics,
                        }
                    })
                    .collect()
            },
        )
        .await
    }

    /// `cloudwatch:ListMetrics(Namespace)`: the metric names that have data. ListMetrics shows
    /// metrics with data points in the past two weeks
    /// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html).
    pub(super) async fn listed_metrics(&self, namespace: &str) -> Read<BTreeSet<String>> {
        let names = self
            .paged(
                "cloudwatch:ListMetrics",
                failed,
                |t| {
                    self.cloudwatch
                        .list_metrics()
                        .namespace(namespace)
                        .set_next_token(t)
                        .send()
                },
                |p| {
                    p.metrics()
                        .iter()
                        .filter_map(|m| m.metric_name().map(str::to_owned))
                        .collect()
                },
            )
            .await?;
        Ok(names.into_iter().collect())
    }

    /// `logs:DescribeMetricFilters` (every log group).
    pub(super) async fn metric_filters(&self) -> Read<Vec<MetricFilter>> {
        self.paged(
            "logs:DescribeMetricFilters",
            list_missing,
            |t| self.logs.describe_metric_filters().set_next_token(t).send(),
            |p| {
                p.metric_filters()
                    .iter()
                    .map(|f| MetricFilter {
                        name: f.filter_name().unwrap_or_default().to_owned(),
                        log_group: f.log_group_name().unwrap_or_default().to_owned(),
                        pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                        metrics: f
                            .metric_transformations()
                            .iter()
                            .map(|t| (t.metric_namespace().to_owned(), t.metric_name().to_owned()))
                            .collect(),
                    })
                    .collect()
            },
        )
        .await
    }

    /// `events:ListRules` on the default bus.
    pub(super) async fn event_rules(&self) -> Read<Vec<EventRule>> {
        self.paged(
            "events:ListRules",
            list_missing,
            |t| self.events.list_rules().set_next_token(t).send(),
            |p| {
                p.rules()
                    .iter()
                    .map(|r| EventRule {
                        name: r.name().unwrap_or_default().to_owned(),
                        arn: r.arn().unwrap_or_default().to_owned(),
                        state: r.state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        pattern: r.event_pattern().map(str::to_owned),
                    })
                    .collect()
            },
        )
        .await
    }

    /// `logs:DescribeDeliverySources` + `logs:DescribeDeliveries` (vended logs such as a
    /// knowledge base's APPLICATION_LOGS,
    /// https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-bases-logging.html).
    pub(super) async fn log_deliveries(&self) -> Read<LogDeliveries> {
        let sources = self
            .paged(
                "logs:DescribeDeliverySources",
                list_missing,
                |t| {
                    self.logs
                        .describe_delivery_sources()
                        .set_next_token(t)
                        .send()
                },
                |p| {
                    p.delivery_sources()
                        .iter()
                        .map(|s| {
                            (
                                s.name().unwrap_or_default().to_owned(),
                                s.resource_arns().to_vec(),
                            )
                        })
                        .collect()
                },
            )
            .await?;
        let deliveries = self
            .paged(
                "logs:DescribeDeliveries",
                failed,
                |t| self.logs.describe_deliveries().set_next_token(t).send(),
                |p| {
                    p.deliveries()
                        .iter()
                        .map(|d| {
                            (
                                d.delivery_source_name().unwrap_or_default().to_owned(),
                                d.delivery_destination_arn().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                },
            )
            .await?;
        Ok(LogDeliveries {
            sources,
            deliveries,
        })
    }

    /// `logs:DescribeResourcePolicies`.
    pub(super) async fn log_resource_policies(&self) -> Read<Vec<LogResourcePolicy>> {
        self.paged(
            "logs:DescribeResourcePolicies",
            list_missing,
            |t| {
                self.logs
                    .describe_resource_policies()
                    .set_next_token(t)
                    .send()
            },
            |p| {
                p.resource_policies()
                    .iter()
                    .map(|p| LogResourcePolicy {
                        name: p.policy_name().unwrap_or_default().to_owned(),
                        policy: PolicyDocument::parse(p.policy_document().unwrap_or_default())
                            .map_err(|e| e.to_string()),
                    })
                    .collect()
            },
        )
        .await
    }

    /// The invocation-log group, when logging names one, by name.
    pub(super) async fn log_groups(
        &self,
        logging: &Read<Option<LoggingConfig>>,
    ) -> BTreeMap<String, Read<Option<LogGroup>>> {
        let name = logging
            .as_ref()
            .ok()
            .and_then(|l| l.as_ref())
            .and_then(|l| l.log_group.clone());
        match name {
            Some(name) => {
                let group = self.log_group(&name).await;
                BTreeMap::from([(name, group)])
            }
            None => BTreeMap::new(),
        }
    }

    /// `logs:DescribeLogGroups(logGroupNamePrefix)`, the group of exactly this name.
    async fn log_group(&self, name: &str) -> Read<Option<LogGroup>> {
        let out = self
            .call(
                "logs:DescribeLogGroups",
                self.logs
                    .describe_log_groups()
                    .log_group_name_prefix(name)
                    .send(),
            )
            .await?;
        Ok(out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
            .map(|g| LogGroup {
                name: name.to_owned(),
                arn: g.arn().map(str::to_owned),
                kms_key_id: g.kms_key_id().map(str::to_owned),
                retention_days: g.retention_in_days(),
            }))
    }
}

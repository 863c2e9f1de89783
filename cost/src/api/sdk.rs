//! `SdkCostApi`: the trait over the AWS SDK clients (request building, pagination, error
//! mapping). Kept apart from the trait so the contract reads on one page.

#[allow(clippy::wildcard_imports)]
use super::*;
use async_trait::async_trait;
use aws_sdk_budgets::types as bt;
use aws_sdk_costexplorer::types as ct;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::write::WriteResult;
use baseline_core::AwsContext;
use std::collections::{BTreeMap, BTreeSet};

/// [`CostApi`] over the SDK clients.
#[derive(Debug, Clone)]
pub struct SdkCostApi {
    budgets: aws_sdk_budgets::Client,
    ce: aws_sdk_costexplorer::Client,
}

impl SdkCostApi {
    /// Clients from the context (recording their calls in the context's call log). Both
    /// services are global and live in `us-east-1` (Budgets: "AWS Budgets API endpoint";
    /// Cost Explorer: "the Cost Explorer API endpoint is https://ce.us-east-1.amazonaws.com"),
    /// so they are signed for it whatever the stack's region.
    pub fn new(ctx: &AwsContext) -> Self {
        let region = aws_sdk_budgets::config::Region::from_static("us-east-1");
        let budgets = aws_sdk_budgets::config::Builder::from(ctx.sdk())
            .region(region.clone())
            .interceptor(ctx.call_recorder())
            .build();
        let ce = aws_sdk_costexplorer::config::Builder::from(ctx.sdk())
            .region(region)
            .interceptor(ctx.call_recorder())
            .build();
        Self {
            budgets: aws_sdk_budgets::Client::from_conf(budgets),
            ce: aws_sdk_costexplorer::Client::from_conf(ce),
        }
    }
}

impl SdkCostApi {
    /// DescribeSubscribersForNotification, every page.
    async fn subscribers(
        &self,
        account: &str,
        budget: &str,
        n: &bt::Notification,
    ) -> Result<NotificationWithSubscribers, ApiError> {
        let mut subscribers = BTreeSet::new();
        let mut token = None;
        loop {
            let subs = self
                .budgets
                .describe_subscribers_for_notification()
                .account_id(account)
                .budget_name(budget)
                .notification(n.clone())
                .set_next_token(token)
                .send()
                .await
                .map_err(budgets_err("DescribeSubscribersForNotification", budget))?;
            subscribers.extend(subs.subscribers().iter().map(|s| Subscriber {
                kind: s.subscription_type().as_str().to_owned(),
                address: s.address().to_owned(),
            }));
            token = subs
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(NotificationWithSubscribers {
            notification: from_sdk_notification(n),
            subscribers,
        })
    }
}

fn budgets_err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_budgets::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_budgets::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("budgets", op, target, e)
}

fn ce_err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_costexplorer::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_costexplorer::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("ce", op, target, e)
}

fn build_failed(
    service: &'static str,
    op: &'static str,
    target: &str,
    e: impl std::fmt::Display,
) -> ApiError {
    ApiError::synthetic(service, op, target, ServiceErrorKind::Other, &e.to_string())
}

fn to_sdk_notification(n: &Notification) -> Result<bt::Notification, ApiError> {
    bt::Notification::builder()
        .notification_type(bt::NotificationType::from(n.notification_type.as_str()))
        .comparison_operator(bt::ComparisonOperator::from(n.comparison_operator.as_str()))
        .threshold(n.threshold)
        .threshold_type(bt::ThresholdType::from(n.threshold_type.as_str()))
        .build()
        .map_err(|e| build_failed("budgets", "Notification", "notification", e))
}

fn from_sdk_notification(n: &bt::Notification) -> Notification {
    Notification {
        notification_type: n.notification_type().as_str().to_owned(),
        comparison_operator: n.comparison_operator().as_str().to_owned(),
        threshold: n.threshold(),
        threshold_type: n
            .threshold_type()
            .map(|t| t.as_str().to_owned())
            // The API reference: ThresholdType defaults to PERCENTAGE.
            .unwrap_or_else(|| "PERCENTAGE".into()),
    }
}

fn to_sdk_budget_subscriber(s: &Subscriber) -> Result<bt::Subscriber, ApiError> {
    bt::Subscriber::builder()
        .subscription_type(bt::SubscriptionType::from(s.kind.as_str()))
        .address(&s.address)
        .build()
        .map_err(|e| build_failed("budgets", "Subscriber", &s.address, e))
}

// CostFilters is deprecated in favour of FilterExpression, but it is what the pinned emulator
// reads back and it expresses everything this budget needs (SERVICE and TagKeyValue filters).
#[allow(deprecated)]
fn to_sdk_budget(b: &Budget) -> Result<bt::Budget, ApiError> {
    let limit = bt::Spend::builder()
        .amount(&b.limit_amount)
        .unit(&b.limit_unit)
        .build()
        .map_err(|e| build_failed("budgets", "Spend", &b.name, e))?;
    let auto = match &b.auto_adjust {
        None => None,
        Some(a) => Some(
            bt::AutoAdjustData::builder()
                .auto_adjust_type(bt::AutoAdjustType::from(a.kind.as_str()))
                .set_historical_options(a.historical_months.map(|m| {
                    bt::HistoricalOptions::builder()
                        .budget_adjustment_period(m)
                        .build()
                        .expect("the period is set")
                }))
                .build()
                .map_err(|e| build_failed("budgets", "AutoAdjustData", &b.name, e))?,
        ),
    };
    bt::Budget::builder()
        .budget_name(&b.name)
        .budget_type(bt::BudgetType::from(b.budget_type.as_str()))
        .time_unit(bt::TimeUnit::from(b.time_unit.as_str()))
        .budget_limit(limit)
        .set_cost_filters(Some(
            b.cost_filters
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
        .set_auto_adjust_data(auto)
        .build()
        .map_err(|e| build_failed("budgets", "Budget", &b.name, e))
}

#[allow(deprecated)]
fn from_sdk_budget(b: &bt::Budget) -> Budget {
    Budget {
        name: b.budget_name().to_owned(),
        budget_type: b.budget_type().as_str().to_owned(),
        time_unit: b.time_unit().as_str().to_owned(),
        limit_amount: b
            .budget_limit()
            .map(|l| l.amount().to_owned())
            .unwrap_or_default(),
        limit_unit: b
            .budget_limit()
            .map(|l| l.unit().to_owned())
            .unwrap_or_default(),
        cost_filters: b
            .cost_filters()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let mut v = v.clone();
                        v.sort();
                        (k.clone(), v)
                    })
                    .collect()
            })
            .unwrap_or_default(),
        auto_adjust: b.auto_adjust_data().map(|a| AutoAdjust {
            kind: a.auto_adjust_type().as_str().to_owned(),
            historical_months: a.historical_options().map(|h| h.budget_adjustment_period()),
        }),
    }
}

fn budget_tags(tags: &BTreeMap<String, String>) -> Vec<bt::ResourceTag> {
    tags.iter()
        .filter_map(|(k, v)| bt::ResourceTag::builder().key(k).value(v).build().ok())
        .collect()
}

fn ce_tags(tags: &BTreeMap<String, String>) -> Vec<ct::ResourceTag> {
    tags.iter()
        .filter_map(|(k, v)| ct::ResourceTag::builder().key(k).value(v).build().ok())
        .collect()
}

fn ce_subscriber(s: &Subscriber) -> ct::Subscriber {
    ct::Subscriber::builder()
        .r#type(ct::SubscriberType::from(s.kind.as_str()))
        .address(&s.address)
        .build()
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

/// A number as AWS's decimal strings write it: no trailing `.0` for whole numbers.
pub(crate) fn format_amount(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

#[async_trait]
impl CostApi for SdkCostApi {
    async fn describe_budget(&self, account: &str, name: &str) -> Result<Option<Budget>, ApiError> {
        match self
            .budgets
            .describe_budget()
            .account_id(account)
            .budget_name(name)
            .send()
            .await
        {
            Ok(out) => Ok(out.budget().map(from_sdk_budget)),
            Err(e) => {
                let e = ApiError::from_sdk("budgets", "DescribeBudget", name, e);
                if e.is_not_found() {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn notifications(
        &self,
        account: &str,
        budget: &str,
    ) -> Result<Vec<NotificationWithSubscribers>, ApiError> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .budgets
                .describe_notifications_for_budget()
                .account_id(account)
                .budget_name(budget)
                .set_next_token(token)
                .send()
                .await
                .map_err(budgets_err("DescribeNotificationsForBudget", budget))?;
            let page = futures::future::try_join_all(
                out.notifications()
                    .iter()
                    .map(|n| self.subscribers(account, budget, n)),
            )
            .await?;
            found.extend(page);
            token = out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(found)
    }

    async fn create_budget(
        &self,
        account: &str,
        budget: &Budget,
        notifications: &[NotificationWithSubscribers],
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        let mut with = Vec::new();
        for n in notifications {
            with.push(
                bt::NotificationWithSubscribers::builder()
                    .notification(to_sdk_notification(&n.notification)?)
                    .set_subscribers(Some(
                        n.subscribers
                            .iter()
                            .map(to_sdk_budget_subscriber)
                            .collect::<Result<_, _>>()?,
                    ))
                    .build()
                    .map_err(|e| build_failed("budgets", "CreateBudget", &budget.name, e))?,
            );
        }
        self.budgets
            .create_budget()
            .account_id(account)
            .budget(to_sdk_budget(budget)?)
            .set_notifications_with_subscribers(Some(with))
            .set_resource_tags(Some(budget_tags(tags)))
            .send()
            .await
            .map_err(budgets_err("CreateBudget", &budget.name))
            .map(drop)
            // CreateBudget makes the budget with its notifications in one call: a retry that
            // meets DuplicateRecord finds both made
            .or_exists()
    }

    async fn update_budget(&self, account: &str, budget: &Budget) -> Result<(), ApiError> {
        self.budgets
            .update_budget()
            .account_id(account)
            .new_budget(to_sdk_budget(budget)?)
            .send()
            .await
            .map_err(budgets_err("UpdateBudget", &budget.name))?;
        Ok(())
    }

    async fn delete_budget(&self, account: &str, name: &str) -> Result<(), ApiError> {
        self.budgets
            .delete_budget()
            .account_id(account)
            .budget_name(name)
            .send()
            .await
            .map_err(budgets_err("DeleteBudget", name))
            .map(drop)
            .or_gone()
    }

    async fn create_notification(
        &self,
        account: &str,
        budget: &str,
        notification: &NotificationWithSubscribers,
    ) -> Result<(), ApiError> {
        self.budgets
            .create_notification()
            .account_id(account)
            .budget_name(budget)
            .notification(to_sdk_notification(&notification.notification)?)
            .set_subscribers(Some(
                notification
                    .subscribers
                    .iter()
                    .map(to_sdk_budget_subscriber)
                    .collect::<Result<_, _>>()?,
            ))
            .send()
            .await
            .map_err(budgets_err("CreateNotification", budget))
            .map(drop)
            // a retry after a lost answer meets what its first attempt made
            .or_exists()
    }

    async fn update_notification(
        &self,
        account: &str,
        budget: &str,
        old: &Notification,
        new: &Notification,
    ) -> Result<(), ApiError> {
        self.budgets
            .update_notification()
            .account_id(account)
            .budget_name(budget)
            .old_notification(to_sdk_notification(old)?)
            .new_notification(to_sdk_notification(new)?)
            .send()
            .await
            .map_err(budgets_err("UpdateNotification", budget))?;
        Ok(())
    }

    async fn delete_notification(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
    ) -> Result<(), ApiError> {
        self.budgets
            .delete_notification()
            .account_id(account)
            .budget_name(budget)
            .notification(to_sdk_notification(notification)?)
            .send()
            .await
            .map_err(budgets_err("DeleteNotification", budget))
            .map(drop)
            .or_gone()
    }

    async fn create_subscriber(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
        subscriber: &Subscriber,
    ) -> Result<(), ApiError> {
        self.budgets
            .create_subscriber()
            .account_id(account)
            .budget_name(budget)
            .notification(to_sdk_notification(notification)?)
            .subscriber(to_sdk_budget_subscriber(subscriber)?)
            .send()
            .await
            .map_err(budgets_err("CreateSubscriber", budget))
            .map(drop)
            // a retry after a lost answer meets what its first attempt made
            .or_exists()
    }

    async fn delete_subscriber(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
        subscriber: &Subscriber,
    ) -> Result<(), ApiError> {
        self.budgets
            .delete_subscriber()
            .account_id(account)
            .budget_name(budget)
            .notification(to_sdk_notification(notification)?)
            .subscriber(to_sdk_budget_subscriber(subscriber)?)
            .send()
            .await
            .map_err(budgets_err("DeleteSubscriber", budget))
            .map(drop)
            .or_gone()
    }

    async fn anomaly_monitors(&self) -> Result<Vec<AnomalyMonitor>, ApiError> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .ce
                .get_anomaly_monitors()
                .set_next_page_token(token)
                .send()
                .await
                .map_err(ce_err("GetAnomalyMonitors", "account"))?;
            found.extend(out.anomaly_monitors().iter().map(|m| AnomalyMonitor {
                arn: m.monitor_arn().unwrap_or_default().to_owned(),
                name: m.monitor_name().to_owned(),
                monitor_type: m.monitor_type().as_str().to_owned(),
                dimension: m.monitor_dimension().map(|d| d.as_str().to_owned()),
            }));
            token = out
                .next_page_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(found)
    }

    async fn create_anomaly_monitor(
        &self,
        monitor: &AnomalyMonitor,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        let m = ct::AnomalyMonitor::builder()
            .monitor_name(&monitor.name)
            .monitor_type(ct::MonitorType::from(monitor.monitor_type.as_str()))
            .set_monitor_dimension(monitor.dimension.as_deref().map(ct::MonitorDimension::from))
            .build()
            .map_err(|e| build_failed("ce", "CreateAnomalyMonitor", &monitor.name, e))?;
        let out = self
            .ce
            .create_anomaly_monitor()
            .anomaly_monitor(m)
            .set_resource_tags(Some(ce_tags(tags)))
            // no client token: a retry after a lost answer would make a second one; the module
            // retries through baseline_core::write::create_unless_found instead
            .customize()
            .config_override(
                aws_sdk_costexplorer::config::Builder::default()
                    .retry_config(aws_sdk_costexplorer::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(ce_err("CreateAnomalyMonitor", &monitor.name))?;
        Ok(out.monitor_arn().to_owned())
    }

    async fn delete_anomaly_monitor(&self, arn: &str) -> Result<(), ApiError> {
        self.ce
            .delete_anomaly_monitor()
            .monitor_arn(arn)
            .send()
            .await
            .map_err(ce_err("DeleteAnomalyMonitor", arn))
            .map(drop)
            .or_gone()
    }

    async fn anomaly_subscriptions(&self) -> Result<Vec<AnomalySubscription>, ApiError> {
        let mut found = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .ce
                .get_anomaly_subscriptions()
                .set_next_page_token(token)
                .send()
                .await
                .map_err(ce_err("GetAnomalySubscriptions", "account"))?;
            found.extend(out.anomaly_subscriptions().iter().map(|s| {
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
            }));
            token = out
                .next_page_token()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        Ok(found)
    }

    async fn create_anomaly_subscription(
        &self,
        s: &AnomalySubscription,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        let sub = ct::AnomalySubscription::builder()
            .subscription_name(&s.name)
            .set_monitor_arn_list(Some(s.monitor_arns.clone()))
            .set_subscribers(Some(s.subscribers.iter().map(ce_subscriber).collect()))
            .frequency(ct::AnomalySubscriptionFrequency::from(s.frequency.as_str()))
            .set_threshold_expression(s.threshold.map(threshold_expression))
            .build()
            .map_err(|e| build_failed("ce", "CreateAnomalySubscription", &s.name, e))?;
        let out = self
            .ce
            .create_anomaly_subscription()
            .anomaly_subscription(sub)
            .set_resource_tags(Some(ce_tags(tags)))
            // no client token: a retry after a lost answer would make a second one; the module
            // retries through baseline_core::write::create_unless_found instead
            .customize()
            .config_override(
                aws_sdk_costexplorer::config::Builder::default()
                    .retry_config(aws_sdk_costexplorer::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(ce_err("CreateAnomalySubscription", &s.name))?;
        Ok(out.subscription_arn().to_owned())
    }

    async fn update_anomaly_subscription(&self, s: &AnomalySubscription) -> Result<(), ApiError> {
        self.ce
            .update_anomaly_subscription()
            .subscription_arn(&s.arn)
            .subscription_name(&s.name)
            .set_monitor_arn_list(Some(s.monitor_arns.clone()))
            .set_subscribers(Some(s.subscribers.iter().map(ce_subscriber).collect()))
            .frequency(ct::AnomalySubscriptionFrequency::from(s.frequency.as_str()))
            .set_threshold_expression(s.threshold.map(threshold_expression))
            .send()
            .await
            .map_err(ce_err("UpdateAnomalySubscription", &s.arn))?;
        Ok(())
    }

    async fn delete_anomaly_subscription(&self, arn: &str) -> Result<(), ApiError> {
        self.ce
            .delete_anomaly_subscription()
            .subscription_arn(arn)
            .send()
            .await
            .map_err(ce_err("DeleteAnomalySubscription", arn))
            .map(drop)
            .or_gone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_like_aws_writes_them() {
        assert_eq!(format_amount(1000.0), "1000");
        assert_eq!(format_amount(12.5), "12.5");
    }

    #[test]
    fn threshold_expression_reads_back() {
        let e = threshold_expression(150.0);
        assert_eq!(threshold_of(Some(&e)), Some(150.0));
        assert_eq!(threshold_of(None), None);
    }
}

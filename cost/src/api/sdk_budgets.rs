//! The AWS Budgets half of [`super::SdkCostApi`]: the budget, its notifications and their
//! subscribers, and their SDK shapes.

use super::sdk::{all_pages, build_failed};
use super::{AutoAdjust, Budget, Notification, NotificationWithSubscribers, Subscriber};
use aws_sdk_budgets::types as bt;
use aws_sdk_budgets::Client;
use baseline_core::aws::ApiError;
use baseline_core::aws::{or_none, sdk_err};
use baseline_core::write::WriteResult;
use std::collections::BTreeMap;

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

fn to_sdk_subscriber(s: &Subscriber) -> Result<bt::Subscriber, ApiError> {
    bt::Subscriber::builder()
        .subscription_type(bt::SubscriptionType::from(s.kind.as_str()))
        .address(&s.address)
        .build()
        .map_err(|e| build_failed("budgets", "Subscriber", &s.address, e))
}

fn to_sdk_subscribers(
    subscribers: &NotificationWithSubscribers,
) -> Result<Vec<bt::Subscriber>, ApiError> {
    subscribers
        .subscribers
        .iter()
        .map(to_sdk_subscriber)
        .collect()
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

fn tags_of(tags: &BTreeMap<String, String>) -> Vec<bt::ResourceTag> {
    tags.iter()
        .filter_map(|(k, v)| bt::ResourceTag::builder().key(k).value(v).build().ok())
        .collect()
}

pub(super) async fn describe_budget(
    c: &Client,
    account: &str,
    name: &str,
) -> Result<Option<Budget>, ApiError> {
    match c
        .describe_budget()
        .account_id(account)
        .budget_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.budget().map(from_sdk_budget)),
        // Not found: the resource does not exist.
        Err(e) => or_none(Err(ApiError::from_sdk(
            "budgets",
            "DescribeBudget",
            name,
            e,
        ))),
    }
}

/// DescribeSubscribersForNotification, every page.
async fn subscribers(
    c: &Client,
    account: &str,
    budget: &str,
    n: &bt::Notification,
) -> Result<NotificationWithSubscribers, ApiError> {
    let subscribers = all_pages(|token| async move {
        let out = c
            .describe_subscribers_for_notification()
            .account_id(account)
            .budget_name(budget)
            .notification(n.clone())
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_err(
                "budgets",
                "DescribeSubscribersForNotification",
                budget,
            ))?;
        let page = out
            .subscribers()
            .iter()
            .map(|s| Subscriber {
                kind: s.subscription_type().as_str().to_owned(),
                address: s.address().to_owned(),
            })
            .collect();
        Ok((page, out.next_token().map(str::to_owned)))
    })
    .await?;
    Ok(NotificationWithSubscribers {
        notification: from_sdk_notification(n),
        subscribers: subscribers.into_iter().collect(),
    })
}

/// Each page's notifications with their subscribers, read concurrently.
pub(super) async fn notifications(
    c: &Client,
    account: &str,
    budget: &str,
) -> Result<Vec<NotificationWithSubscribers>, ApiError> {
    all_pages(|token| async move {
        let out = c
            .describe_notifications_for_budget()
            .account_id(account)
            .budget_name(budget)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_err("budgets", "DescribeNotificationsForBudget", budget))?;
        let page = futures::future::try_join_all(
            out.notifications()
                .iter()
                .map(|n| subscribers(c, account, budget, n)),
        )
        .await?;
        Ok((page, out.next_token().map(str::to_owned)))
    })
    .await
}

pub(super) async fn create_budget(
    c: &Client,
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
                .set_subscribers(Some(to_sdk_subscribers(n)?))
                .build()
                .map_err(|e| build_failed("budgets", "CreateBudget", &budget.name, e))?,
        );
    }
    c.create_budget()
        .account_id(account)
        .budget(to_sdk_budget(budget)?)
        .set_notifications_with_subscribers(Some(with))
        .set_resource_tags(Some(tags_of(tags)))
        .send()
        .await
        .map_err(sdk_err("budgets", "CreateBudget", &budget.name))
        .map(drop)
        // CreateBudget makes the budget with its notifications in one call: a retry that
        // meets DuplicateRecord finds both made
        .or_exists()
}

pub(super) async fn update_budget(
    c: &Client,
    account: &str,
    budget: &Budget,
) -> Result<(), ApiError> {
    c.update_budget()
        .account_id(account)
        .new_budget(to_sdk_budget(budget)?)
        .send()
        .await
        .map_err(sdk_err("budgets", "UpdateBudget", &budget.name))
        .map(drop)
}

pub(super) async fn delete_budget(c: &Client, account: &str, name: &str) -> Result<(), ApiError> {
    c.delete_budget()
        .account_id(account)
        .budget_name(name)
        .send()
        .await
        .map_err(sdk_err("budgets", "DeleteBudget", name))
        .map(drop)
        .or_gone()
}

pub(super) async fn create_notification(
    c: &Client,
    account: &str,
    budget: &str,
    notification: &NotificationWithSubscribers,
) -> Result<(), ApiError> {
    c.create_notification()
        .account_id(account)
        .budget_name(budget)
        .notification(to_sdk_notification(&notification.notification)?)
        .set_subscribers(Some(to_sdk_subscribers(notification)?))
        .send()
        .await
        .map_err(sdk_err("budgets", "CreateNotification", budget))
        .map(drop)
        // a retry after a lost answer meets what its first attempt made
        .or_exists()
}

pub(super) async fn update_notification(
    c: &Client,
    account: &str,
    budget: &str,
    old: &Notification,
    new: &Notification,
) -> Result<(), ApiError> {
    c.update_notification()
        .account_id(account)
        .budget_name(budget)
        .old_notification(to_sdk_notification(old)?)
        .new_notification(to_sdk_notification(new)?)
        .send()
        .await
        .map_err(sdk_err("budgets", "UpdateNotification", budget))
        .map(drop)
}

pub(super) async fn delete_notification(
    c: &Client,
    account: &str,
    budget: &str,
    notification: &Notification,
) -> Result<(), ApiError> {
    c.delete_notification()
        .account_id(account)
        .budget_name(budget)
        .notification(to_sdk_notification(notification)?)
        .send()
        .await
        .map_err(sdk_err("budgets", "DeleteNotification", budget))
        .map(drop)
        .or_gone()
}

pub(super) async fn create_subscriber(
    c: &Client,
    account: &str,
    budget: &str,
    notification: &Notification,
    subscriber: &Subscriber,
) -> Result<(), ApiError> {
    c.create_subscriber()
        .account_id(account)
        .budget_name(budget)
        .notification(to_sdk_notification(notification)?)
        .subscriber(to_sdk_subscriber(subscriber)?)
        .send()
        .await
        .map_err(sdk_err("budgets", "CreateSubscriber", budget))
        .map(drop)
        // a retry after a lost answer meets what its first attempt made
        .or_exists()
}

pub(super) async fn delete_subscriber(
    c: &Client,
    account: &str,
    budget: &str,
    notification: &Notification,
    subscriber: &Subscriber,
) -> Result<(), ApiError> {
    c.delete_subscriber()
        .account_id(account)
        .budget_name(budget)
        .notification(to_sdk_notification(notification)?)
        .subscriber(to_sdk_subscriber(subscriber)?)
        .send()
        .await
        .map_err(sdk_err("budgets", "DeleteSubscriber", budget))
        .map(drop)
        .or_gone()
}

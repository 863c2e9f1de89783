//! The narrow seam to AWS Budgets and Cost Explorer: exactly the operations this module uses,
//! implemented for the SDK clients and mocked with mockall in unit tests. Both services are
//! global: the SDK signs for `us-east-1` whatever the stack's region, and the endpoint override
//! (the emulator) takes precedence over the global endpoint.

use async_trait::async_trait;
use baseline_core::aws::ApiError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Subscriber {
    /// `SNS` or `EMAIL` (the same values in Budgets and Cost Explorer).
    #[serde(rename = "type")]
    pub kind: String,
    /// Topic ARN or e-mail address.
    pub address: String,
}

impl Subscriber {
    /// An SNS topic subscriber.
    pub fn sns(arn: impl Into<String>) -> Self {
        Self {
            kind: "SNS".into(),
            address: arn.into(),
        }
    }

    /// An e-mail subscriber.
    pub fn email(address: impl Into<String>) -> Self {
        Self {
            kind: "EMAIL".into(),
            address: address.into(),
        }
    }
}

/// A budget notification (its identity in the Budgets API: every field is matched).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `ACTUAL` or `FORECASTED`.
    pub notification_type: String,
    /// `GREATER_THAN`.
    pub comparison_operator: String,
    /// Percent of the budget limit.
    pub threshold: f64,
    /// `PERCENTAGE`.
    pub threshold_type: String,
}

/// A notification with its subscribers, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationWithSubscribers {
    /// The notification.
    pub notification: Notification,
    /// Its subscribers.
    pub subscribers: BTreeSet<Subscriber>,
}

/// Auto-adjustment of a budget limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoAdjust {
    /// `HISTORICAL` or `FORECAST`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Months of history (`HISTORICAL` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub historical_months: Option<i32>,
}

/// A budget, the fields this module manages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budget {
    /// Budget name (unique per account).
    pub name: String,
    /// `COST`.
    pub budget_type: String,
    /// `MONTHLY`.
    pub time_unit: String,
    /// Limit amount, as Budgets stores it (a decimal string).
    pub limit_amount: String,
    /// Limit unit, `USD`.
    pub limit_unit: String,
    /// Cost filters: filter name -> values.
    pub cost_filters: BTreeMap<String, Vec<String>>,
    /// Auto-adjustment, if any.
    pub auto_adjust: Option<AutoAdjust>,
}

/// A Cost Anomaly Detection monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnomalyMonitor {
    /// Monitor ARN (empty before it exists).
    pub arn: String,
    /// Monitor name.
    pub name: String,
    /// `DIMENSIONAL`.
    pub monitor_type: String,
    /// `SERVICE`.
    pub dimension: Option<String>,
}

/// A Cost Anomaly Detection subscription.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnomalySubscription {
    /// Subscription ARN (empty before it exists).
    pub arn: String,
    /// Subscription name.
    pub name: String,
    /// Monitors it covers.
    pub monitor_arns: Vec<String>,
    /// `DAILY`, `IMMEDIATE` or `WEEKLY`.
    pub frequency: String,
    /// Total-impact threshold in USD (`ANOMALY_TOTAL_IMPACT_ABSOLUTE >=`), `None` when the
    /// subscription has another threshold expression.
    pub threshold: Option<f64>,
    /// Subscribers.
    pub subscribers: BTreeSet<Subscriber>,
}

/// Budgets and Cost Explorer operations used by the module.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CostApi: Send + Sync {
    /// DescribeBudget; `None` when it does not exist.
    async fn describe_budget(&self, account: &str, name: &str) -> Result<Option<Budget>, ApiError>;
    /// DescribeNotificationsForBudget, then DescribeSubscribersForNotification for each.
    async fn notifications(
        &self,
        account: &str,
        budget: &str,
    ) -> Result<Vec<NotificationWithSubscribers>, ApiError>;
    /// CreateBudget with its notifications and subscribers in one call.
    async fn create_budget(
        &self,
        account: &str,
        budget: &Budget,
        notifications: &[NotificationWithSubscribers],
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// UpdateBudget.
    async fn update_budget(&self, account: &str, budget: &Budget) -> Result<(), ApiError>;
    /// DeleteBudget (its notifications go with it).
    async fn delete_budget(&self, account: &str, name: &str) -> Result<(), ApiError>;
    /// CreateNotification with subscribers.
    async fn create_notification(
        &self,
        account: &str,
        budget: &str,
        notification: &NotificationWithSubscribers,
    ) -> Result<(), ApiError>;
    /// UpdateNotification (old -> new; subscribers stay).
    async fn update_notification(
        &self,
        account: &str,
        budget: &str,
        old: &Notification,
        new: &Notification,
    ) -> Result<(), ApiError>;
    /// DeleteNotification.
    async fn delete_notification(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
    ) -> Result<(), ApiError>;
    /// CreateSubscriber.
    async fn create_subscriber(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
        subscriber: &Subscriber,
    ) -> Result<(), ApiError>;
    /// DeleteSubscriber.
    async fn delete_subscriber(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
        subscriber: &Subscriber,
    ) -> Result<(), ApiError>;
    /// GetAnomalyMonitors (every page).
    async fn anomaly_monitors(&self) -> Result<Vec<AnomalyMonitor>, ApiError>;
    /// CreateAnomalyMonitor; returns the ARN.
    async fn create_anomaly_monitor(
        &self,
        monitor: &AnomalyMonitor,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError>;
    /// DeleteAnomalyMonitor.
    async fn delete_anomaly_monitor(&self, arn: &str) -> Result<(), ApiError>;
    /// GetAnomalySubscriptions (every page).
    async fn anomaly_subscriptions(&self) -> Result<Vec<AnomalySubscription>, ApiError>;
    /// CreateAnomalySubscription; returns the ARN.
    async fn create_anomaly_subscription(
        &self,
        subscription: &AnomalySubscription,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError>;
    /// UpdateAnomalySubscription (by `subscription.arn`).
    async fn update_anomaly_subscription(
        &self,
        subscription: &AnomalySubscription,
    ) -> Result<(), ApiError>;
    /// DeleteAnomalySubscription.
    async fn delete_anomaly_subscription(&self, arn: &str) -> Result<(), ApiError>;
}

mod sdk;
mod sdk_budgets;
mod sdk_ce;
pub(crate) use sdk::format_amount;
pub use sdk::SdkCostApi;

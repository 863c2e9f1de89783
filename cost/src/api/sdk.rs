//! `SdkCostApi`: the trait over the AWS SDK clients. The calls themselves (request building,
//! pagination, SDK shapes) are in `sdk_budgets.rs` and `sdk_ce.rs`; this file wires them to the
//! trait, one line a method, and holds what both share.

use super::{
    sdk_budgets as budgets, sdk_ce as ce, AnomalyMonitor, AnomalySubscription, Budget, CostApi,
    Notification, NotificationWithSubscribers, Subscriber,
};
use async_trait::async_trait;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::AwsContext;
use std::collections::BTreeMap;
use std::future::Future;

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

/// A request the SDK refused to build.
pub(super) fn build_failed(
    service: &'static str,
    op: &'static str,
    target: &str,
    e: impl std::fmt::Display,
) -> ApiError {
    ApiError::synthetic(service, op, target, ServiceErrorKind::Other, &e.to_string())
}

/// Every page of a listing the SDK has no paginator for: `page(token)` sends one request and
/// answers its items and next token. An empty token ends the listing too (the emulator sends
/// one on the last page).
pub(super) async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ApiError>>,
{
    let mut found = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = page(token).await?;
        found.extend(items);
        token = next.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(found);
        }
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
        budgets::describe_budget(&self.budgets, account, name).await
    }

    async fn notifications(
        &self,
        account: &str,
        budget: &str,
    ) -> Result<Vec<NotificationWithSubscribers>, ApiError> {
        budgets::notifications(&self.budgets, account, budget).await
    }

    async fn create_budget(
        &self,
        account: &str,
        budget: &Budget,
        notifications: &[NotificationWithSubscribers],
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        budgets::create_budget(&self.budgets, account, budget, notifications, tags).await
    }

    async fn update_budget(&self, account: &str, budget: &Budget) -> Result<(), ApiError> {
        budgets::update_budget(&self.budgets, account, budget).await
    }

    async fn delete_budget(&self, account: &str, name: &str) -> Result<(), ApiError> {
        budgets::delete_budget(&self.budgets, account, name).await
    }

    async fn create_notification(
        &self,
        account: &str,
        budget: &str,
        notification: &NotificationWithSubscribers,
    ) -> Result<(), ApiError> {
        budgets::create_notification(&self.budgets, account, budget, notification).await
    }

    async fn update_notification(
        &self,
        account: &str,
        budget: &str,
        old: &Notification,
        new: &Notification,
    ) -> Result<(), ApiError> {
        budgets::update_notification(&self.budgets, account, budget, old, new).await
    }

    async fn delete_notification(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
    ) -> Result<(), ApiError> {
        budgets::delete_notification(&self.budgets, account, budget, notification).await
    }

    async fn create_subscriber(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
        subscriber: &Subscriber,
    ) -> Result<(), ApiError> {
        budgets::create_subscriber(&self.budgets, account, budget, notification, subscriber).await
    }

    async fn delete_subscriber(
        &self,
        account: &str,
        budget: &str,
        notification: &Notification,
        subscriber: &Subscriber,
    ) -> Result<(), ApiError> {
        budgets::delete_subscriber(&self.budgets, account, budget, notification, subscriber).await
    }

    async fn anomaly_monitors(&self) -> Result<Vec<AnomalyMonitor>, ApiError> {
        ce::anomaly_monitors(&self.ce).await
    }

    async fn create_anomaly_monitor(
        &self,
        monitor: &AnomalyMonitor,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        ce::create_anomaly_monitor(&self.ce, monitor, tags).await
    }

    async fn delete_anomaly_monitor(&self, arn: &str) -> Result<(), ApiError> {
        ce::delete_anomaly_monitor(&self.ce, arn).await
    }

    async fn anomaly_subscriptions(&self) -> Result<Vec<AnomalySubscription>, ApiError> {
        ce::anomaly_subscriptions(&self.ce).await
    }

    async fn create_anomaly_subscription(
        &self,
        subscription: &AnomalySubscription,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        ce::create_anomaly_subscription(&self.ce, subscription, tags).await
    }

    async fn update_anomaly_subscription(
        &self,
        subscription: &AnomalySubscription,
    ) -> Result<(), ApiError> {
        ce::update_anomaly_subscription(&self.ce, subscription).await
    }

    async fn delete_anomaly_subscription(&self, arn: &str) -> Result<(), ApiError> {
        ce::delete_anomaly_subscription(&self.ce, arn).await
    }
}

#[cfg(test)]
mod tests;

//! `baseline-cost`: the stack's cost controls.
//!
//! Owns one monthly COST budget for Amazon Bedrock (`<prefix>-bedrock-monthly-cost`; related AI
//! services and tag filters on request; auto-adjusting on request) with warning, critical
//! (ACTUAL) and forecast (FORECASTED) notifications to the cost topic and the configured e-mail
//! addresses, and a Cost Anomaly Detection monitor (DIMENSIONAL, SERVICE) with a subscription at
//! the configured threshold and frequency. Budgets and Cost Explorer are global services: every
//! resource here is account-wide, found by its stack-prefixed name. Neither API takes client
//! tokens; a name is unique per account, so a create after a crash fails instead of duplicating.
//!
//! The token USAGE budget of the original module is refused by config validation: AWS documents
//! no Bedrock usage type to filter it on.
//!
//! Inputs: the cost topic ARN (`alerting.topic_arns.cost`; absent: e-mail only). Outputs:
//! [`CostOutputs`].

mod api;
mod budget;
mod module;

#[cfg(any(test, feature = "mocks"))]
pub use api::MockCostApi;
pub use api::{
    AnomalyMonitor, AnomalySubscription, AutoAdjust, Budget, CostApi, Notification,
    NotificationWithSubscribers, SdkCostApi, Subscriber,
};
pub use budget::{cost_filters, pair, Pairing, WantedNotification, BEDROCK_SERVICE};
pub use module::{
    AnomalySpec, BudgetSummary, CostInputs, CostModule, CostObserved, CostOutputs, CostSpec,
    CostTopic, NotificationSummary,
};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CostError {
    /// A Budgets or Cost Explorer call failed.
    #[error(transparent)]
    Api(#[from] baseline_core::aws::ApiError),
    /// Alerting is on but its cost topic ARN is not known (alerting has not run).
    #[error("the cost topic ARN is not known yet: apply the alerting module first (or run the whole stack)")]
    TopicUnknown,
}

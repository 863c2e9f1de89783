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

mod anomaly;
mod api;
mod budget;
mod module;
mod notification;

pub use anomaly::AnomalySpec;
#[cfg(any(test, feature = "mocks"))]
pub use api::MockCostApi;
pub use api::{
    AnomalyMonitor, AnomalySubscription, AutoAdjust, Budget, CostApi, Notification,
    NotificationWithSubscribers, SdkCostApi, Subscriber,
};
pub use budget::{cost_filters, BEDROCK_SERVICE};
pub use module::{
    BudgetSummary, CostInputs, CostModule, CostObserved, CostOutputs, CostSpec, CostTopic,
    NotificationSummary,
};
pub use notification::{pair, Pairing, WantedNotification};

const KNOWN_AFTER_APPLY: &str = "(known after apply)";
/// Said on every budget and anomaly resource: they are not regional.
const ACCOUNT_WIDE: &str =
    "account-wide: AWS Budgets and Cost Explorer are global services; the name carries the stack";

/// Subscribers as a plan shows them: `TYPE:address`, sorted.
fn subscriber_view(subs: impl IntoIterator<Item = Subscriber>) -> Vec<String> {
    let mut v: Vec<String> = subs
        .into_iter()
        .map(|s| format!("{}:{}", s.kind, s.address))
        .collect();
    v.sort();
    v
}

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

/// The config unit tests start from: the defaults and one address for every notification.
#[cfg(test)]
fn test_config() -> baseline_core::Config {
    baseline_core::Config {
        budget_notification_email: Some("finops@example.com".into()),
        ..baseline_core::Config::default()
    }
}

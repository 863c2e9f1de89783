//! The Bedrock cost budget: its desired shape from the config, observe (with its
//! notifications), plan (typed [`BudgetOp`]s) and their execution. A first create makes the
//! notifications with the budget in one call; after that `notification.rs` converges them.

use crate::api::{AutoAdjust, Budget, CostApi, NotificationWithSubscribers};
use crate::module::CostSpec;
use crate::{CostError, ACCOUNT_WIDE};
use baseline_core::aws::ApiError;
use baseline_core::config::BudgetAutoAdjustType;
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::{Action, Change, Config, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Address of the budget.
pub(crate) const BUDGET: &str = "cost.budget";

/// The SERVICE value of Amazon Bedrock in Budgets and Cost Explorer filters (the service name
/// as Cost Explorer's SERVICE dimension lists it).
pub const BEDROCK_SERVICE: &str = "Amazon Bedrock";

/// Services added by `include_related_ai_services`: those the original module names as related
/// AI services. The values are the SERVICE dimension names Cost Explorer uses.
pub(crate) const RELATED_AI_SERVICES: [&str; 4] = [
    "Amazon SageMaker",
    "Amazon Comprehend",
    "Amazon Textract",
    "Amazon Rekognition",
];

/// Longest budget name (Budgets API reference, Budget.BudgetName: 1 to 100 characters).
pub(crate) const BUDGET_NAME_MAX: usize = 100;

/// Cost filters: the Bedrock service (and related services on request), plus the tag filters
/// as `user:<key>$<value>` under `TagKeyValue` (the format of the Budgets API's CostFilters,
/// "AWS::Budgets::Budget BudgetData" CostFilters, and of Cost Explorer's tag values).
pub fn cost_filters(c: &Config) -> BTreeMap<String, Vec<String>> {
    let mut services = vec![BEDROCK_SERVICE.to_owned()];
    if c.include_related_ai_services {
        services.extend(RELATED_AI_SERVICES.iter().map(|s| (*s).to_owned()));
    }
    services.sort();
    let mut filters = BTreeMap::from([("Service".to_owned(), services)]);
    let mut tags: Vec<String> = c
        .budget_cost_filter_tags
        .iter()
        .flat_map(|(k, values)| values.iter().map(move |v| format!("user:{k}${v}")))
        .collect();
    tags.sort();
    tags.dedup();
    if !tags.is_empty() {
        filters.insert("TagKeyValue".to_owned(), tags);
    }
    filters
}

/// The budget itself.
pub(crate) fn budget(c: &Config, name: String) -> Budget {
    let limit: f64 = c.bedrock_monthly_budget_limit.trim().parse().unwrap_or(0.0);
    Budget {
        name,
        budget_type: "COST".into(),
        time_unit: "MONTHLY".into(),
        limit_amount: crate::api::format_amount(limit),
        limit_unit: "USD".into(),
        cost_filters: cost_filters(c),
        // Budgets API reference, AutoAdjustData: HISTORICAL takes HistoricalOptions
        // (BudgetAdjustmentPeriod, 1..=60 months); FORECAST takes none.
        auto_adjust: c.budget_auto_adjust_type.map(|t| match t {
            BudgetAutoAdjustType::Historical => AutoAdjust {
                kind: "HISTORICAL".into(),
                historical_months: i32::try_from(c.budget_historical_adjustment_period).ok(),
            },
            BudgetAutoAdjustType::Forecast => AutoAdjust {
                kind: "FORECAST".into(),
                historical_months: None,
            },
        }),
    }
}

/// The budget and, when it exists, its notifications with their subscribers.
pub(crate) async fn observe(
    api: &dyn CostApi,
    spec: &CostSpec,
) -> Result<(Option<Budget>, Vec<NotificationWithSubscribers>), ApiError> {
    // The notifications are read beside the budget, not after it (one round trip less on every
    // plan); for a budget that does not exist their answer (NotFound) is not looked at.
    let (budget, notifications) = futures::join!(
        api.describe_budget(&spec.account_id, &spec.budget_name),
        api.notifications(&spec.account_id, &spec.budget_name),
    );
    let budget = budget?;
    let notifications = match &budget {
        Some(_) => notifications?,
        None => Vec::new(),
    };
    Ok((budget, notifications))
}

fn view(b: &Budget, auto_adjusted: bool) -> Value {
    json!({
        "name": b.name,
        "budget_type": b.budget_type,
        "time_unit": b.time_unit,
        // An auto-adjusting budget's limit is AWS's to change.
        "limit": if auto_adjusted {
            "(auto-adjusted)".to_owned()
        } else {
            format!("{} {}", normalize_amount(&b.limit_amount), b.limit_unit)
        },
        "cost_filters": b.cost_filters,
        "auto_adjust": b.auto_adjust,
    })
}

fn normalize_amount(a: &str) -> String {
    a.trim()
        .parse::<f64>()
        .map(crate::api::format_amount)
        .unwrap_or_else(|_| a.to_owned())
}

/// One write on the budget, decided by [`plan`] and run by [`execute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum BudgetOp {
    /// CreateBudget with the stack tags and, in the same call, every wanted notification
    /// with its subscribers.
    Create,
    /// UpdateBudget with this limit: the wanted one, or for an auto-adjusting budget the one
    /// AWS computed (only the settings are ours).
    Update {
        /// The limit amount sent.
        limit_amount: String,
    },
    /// DeleteBudget (its notifications and subscribers go with it).
    Delete,
}

/// The resource kind of the stack's budget (its notifications are
/// [`notification`](crate::notification)'s).
pub(crate) struct CostBudget;

impl ResourceKind for CostBudget {
    const KIND: &'static str = "budget";
    type Desired<'a> = Budget;
    type Current = Budget;
    type Op = BudgetOp;

    /// Create, or the settings compared (an auto-adjusting budget's limit is AWS's).
    fn plan(address: &str, wanted: &Budget, existing: Option<&Budget>) -> Planned<BudgetOp> {
        let auto = wanted.auto_adjust.is_some();
        let change = Change::converge(
            address,
            Self::KIND,
            existing.map(|b| view(b, auto)).as_ref(),
            &view(wanted, auto),
            &[],
        )
        .with_note(ACCOUNT_WIDE);
        let ops = match (change.action, existing) {
            (Action::Create, _) => vec![BudgetOp::Create],
            (Action::Update, Some(existing)) => vec![BudgetOp::Update {
                limit_amount: if auto {
                    existing.limit_amount.clone()
                } else {
                    wanted.limit_amount.clone()
                },
            }],
            _ => Vec::new(),
        };
        Planned::new(change, ops)
    }
}

impl CostBudget {
    /// The budget's delete (a disabled budget, destroy).
    pub(crate) fn plan_delete(b: &Budget) -> Planned<BudgetOp> {
        Planned::new(
            Change::delete(BUDGET, Self::KIND, &view(b, false))
                .with_note("its notifications and subscribers go with it"),
            vec![BudgetOp::Delete],
        )
    }
}

/// Runs the budget's planned ops.
pub(crate) async fn execute(
    api: &dyn CostApi,
    spec: &CostSpec,
    planned: &Planned<BudgetOp>,
    progress: &dyn Progress,
) -> Result<(), CostError> {
    if !planned.is_change() {
        return Ok(());
    }
    let acct = spec.account_id.as_str();
    let step = Step::start(progress, BUDGET, planned.change.action);
    for op in &planned.ops {
        match (op, &spec.budget) {
            (BudgetOp::Create, Some(wanted)) => {
                let notifications: Vec<NotificationWithSubscribers> = spec
                    .notifications
                    .iter()
                    .map(|w| w.notification.clone())
                    .collect();
                api.create_budget(acct, wanted, &notifications, &spec.tags)
                    .await?;
                step.exists(wanted.name.clone());
            }
            (BudgetOp::Update { limit_amount }, Some(wanted)) => {
                let new = Budget {
                    limit_amount: limit_amount.clone(),
                    ..wanted.clone()
                };
                api.update_budget(acct, &new).await?;
            }
            (BudgetOp::Delete, _) => api.delete_budget(acct, &spec.budget_name).await?,
            // Planned only with a wanted budget.
            (BudgetOp::Create | BudgetOp::Update { .. }, None) => {}
        }
    }
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

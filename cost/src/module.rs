//! The cost module: wires the budget (`budget.rs`, its notifications in `notification.rs`) and
//! the anomaly monitor and subscription (`anomaly.rs`) into one [`Module`].
//!
//! Order: apply deletes what is no longer wanted first, then converges the budget, then the
//! anomaly monitor and subscription; destroy deletes the subscription, the monitor, then the
//! budget.

use crate::anomaly::{self, AnomalyPlan, AnomalySpec};
use crate::api::{
    AnomalyMonitor, AnomalySubscription, Budget, CostApi, NotificationWithSubscribers, SdkCostApi,
};
use crate::budget::{self, BudgetOp, CostBudget, BUDGET, BUDGET_NAME_MAX};
use crate::notification::{self, NotificationOp, WantedNotification};
use crate::{CostError, KNOWN_AFTER_APPLY};
use async_trait::async_trait;
use baseline_core::ids::TopicArn;
use baseline_core::reconcile::{FromUpstream, Upstream};
use baseline_core::resource::{Planned, ResourceKind};
use baseline_core::{AwsContext, Change, Config, DestroyOptions, Module, Progress};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Upstream values: the cost topic of the alerting module.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostInputs {
    /// `alerting.topic_arns` (`None`: alerting has not run / is not known yet).
    pub topic_arns: Option<BTreeMap<String, TopicArn>>,
}

impl FromUpstream for CostInputs {
    // Encryption too, though no output of it is read: the key policy must admit Budgets and
    // Cost Anomaly Detection before they publish to the (encrypted) cost topic.
    const UPSTREAM: &'static [&'static str] = &["alerting", "encryption"];
    fn from_upstream(upstream: &Upstream) -> Result<Self, serde_json::Error> {
        Ok(Self {
            topic_arns: upstream.field("alerting", "topic_arns")?,
        })
    }
}

/// Where SNS notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CostTopic {
    /// The cost topic's ARN.
    Known(TopicArn),
    /// Alerting is on but has not created the topic yet (plan of a first apply).
    Pending,
    /// There is no cost topic: e-mail subscribers only.
    Absent,
}

impl CostTopic {
    pub(crate) fn arn(&self) -> Option<&str> {
        match self {
            Self::Known(a) => Some(a.as_str()),
            Self::Pending => Some(KNOWN_AFTER_APPLY),
            Self::Absent => None,
        }
    }
}

/// Desired cost controls.
#[derive(Debug, Clone, PartialEq)]
pub struct CostSpec {
    /// The account the budget belongs to.
    pub account_id: String,
    /// Budget name (looked up also when the budget is disabled, to delete what is left).
    pub budget_name: String,
    /// Monitor name.
    pub monitor_name: String,
    /// Subscription name.
    pub subscription_name: String,
    /// The budget; `None` when `enable_budget_monitoring = false`.
    pub budget: Option<Budget>,
    /// Its notifications.
    pub notifications: Vec<WantedNotification>,
    /// The anomaly monitor and subscription; `None` when `enable_budget_anomaly_detection =
    /// false`.
    pub anomaly: Option<AnomalySpec>,
    /// The cost topic.
    pub topic: CostTopic,
    /// Tags, stack tags included.
    pub tags: BTreeMap<String, String>,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CostObserved {
    /// The budget, if it exists.
    pub budget: Option<Budget>,
    /// Its notifications.
    pub notifications: Vec<NotificationWithSubscribers>,
    /// The monitor with the stack's name.
    pub monitor: Option<AnomalyMonitor>,
    /// The subscription with the stack's name.
    pub subscription: Option<AnomalySubscription>,
}

/// One budget notification, as the summary output shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationSummary {
    /// `ACTUAL` or `FORECASTED`.
    pub notification_type: String,
    /// Percent of the limit.
    pub threshold: f64,
    /// Number of subscribers.
    pub subscribers: usize,
}

/// The original module's budget summary output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetSummary {
    /// Budget name.
    pub name: String,
    /// Monthly limit.
    pub limit: String,
    /// Unit of the limit.
    pub unit: String,
    /// `HISTORICAL`, `FORECAST` or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_adjust: Option<String>,
    /// Services the budget covers.
    pub services: Vec<String>,
    /// Notifications by role (`warning`, `critical`, `forecast`).
    pub notifications: BTreeMap<String, NotificationSummary>,
}

/// What downstream modules and users get.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostOutputs {
    /// Budgets of the stack (empty when budgets are off).
    pub budget_names: Vec<String>,
    /// ARN of the anomaly monitor (`None` when anomaly detection is off).
    pub anomaly_monitor_arn: Option<String>,
    /// ARN of the anomaly subscription.
    pub anomaly_subscription_arn: Option<String>,
    /// The budget summary (`None` when budgets are off).
    pub budget_summary: Option<BudgetSummary>,
}

/// The cost module.
pub struct CostModule<A = SdkCostApi> {
    api: A,
    ctx: AwsContext,
}

impl CostModule<SdkCostApi> {
    /// The module over the SDK clients built from `ctx`.
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            api: SdkCostApi::new(ctx),
            ctx: ctx.clone(),
        }
    }
}

impl<A: CostApi> CostModule<A> {
    /// The module over any [`CostApi`] (mocks, clients with test interceptors).
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        Self {
            api,
            ctx: ctx.clone(),
        }
    }
}

/// The cost module's plan, decided once by [`plan`]: what `diff` shows is what `apply` runs.
struct CostPlan {
    /// Deletes of what the config no longer wants, or of everything for destroy: the anomaly
    /// resources (subscription first), then the budget.
    leftovers: (Option<AnomalyPlan>, Option<Planned<BudgetOp>>),
    /// The wanted budget, then its notifications (budgets on).
    budget: Option<(Planned<BudgetOp>, Vec<Planned<NotificationOp>>)>,
    /// The wanted monitor and subscription (anomaly detection on).
    anomaly: Option<AnomalyPlan>,
}

/// `everything`: the destroy plan (delete all that exists, want nothing).
fn plan(spec: &CostSpec, observed: &CostObserved, everything: bool) -> CostPlan {
    let anomaly_gone = everything || spec.anomaly.is_none();
    let budget_gone = everything || spec.budget.is_none();
    let exists = observed.monitor.is_some() || observed.subscription.is_some();
    CostPlan {
        leftovers: (
            (anomaly_gone && exists).then(|| anomaly::plan_delete(observed)),
            observed
                .budget
                .as_ref()
                .filter(|_| budget_gone)
                .map(CostBudget::plan_delete),
        ),
        budget: spec
            .budget
            .as_ref()
            .filter(|_| !everything)
            .map(|wanted| CostBudget::plan(BUDGET, wanted, observed.budget.as_ref()))
            .map(|b| (b, notification::plan(spec, observed))),
        anomaly: spec
            .anomaly
            .as_ref()
            .filter(|_| !everything)
            .map(|a| anomaly::plan(a, observed)),
    }
}

impl CostPlan {
    /// In the order a plan lists them: the budget and its notifications, the anomaly
    /// resources, then the leftovers' deletes.
    fn changes(self) -> Vec<Change> {
        let (anomaly_gone, budget_gone) = self.leftovers;
        let mut changes = Vec::new();
        if let Some((budget, notifications)) = self.budget {
            changes.push(budget.shown());
            changes.extend(notifications.into_iter().map(Planned::shown));
        }
        changes.extend(self.anomaly.into_iter().flat_map(AnomalyPlan::changes));
        changes.extend(anomaly_gone.into_iter().flat_map(AnomalyPlan::changes));
        changes.extend(budget_gone.map(Planned::shown));
        changes
    }
}

fn summary(spec: &CostSpec) -> Option<BudgetSummary> {
    let b = spec.budget.as_ref()?;
    Some(BudgetSummary {
        name: b.name.clone(),
        limit: b.limit_amount.clone(),
        unit: b.limit_unit.clone(),
        auto_adjust: b.auto_adjust.as_ref().map(|a| a.kind.clone()),
        services: b.cost_filters.get("Service").cloned().unwrap_or_default(),
        notifications: spec
            .notifications
            .iter()
            .map(|w| {
                (
                    w.role.to_owned(),
                    NotificationSummary {
                        notification_type: w.notification.notification.notification_type.clone(),
                        threshold: w.notification.notification.threshold,
                        subscribers: w.notification.subscribers.len(),
                    },
                )
            })
            .collect(),
    })
}

impl<A: CostApi> CostModule<A> {
    /// Runs `plan`'s ops: leftovers' deletes first, then the budget and its notifications,
    /// then the anomaly resources; returns the monitor's and subscription's ARNs.
    async fn execute(
        &self,
        spec: &CostSpec,
        observed: &CostObserved,
        plan: &CostPlan,
        progress: &dyn Progress,
    ) -> Result<(Option<String>, Option<String>), CostError> {
        let (anomaly_gone, budget_gone) = &plan.leftovers;
        if let Some(gone) = anomaly_gone {
            anomaly::execute(&self.api, None, observed, gone, progress, &spec.tags).await?;
        }
        if let Some(gone) = budget_gone {
            budget::execute(&self.api, spec, gone, progress).await?;
        }
        if let Some((budget, notifications)) = &plan.budget {
            budget::execute(&self.api, spec, budget, progress).await?;
            notification::execute(&self.api, spec, &spec.budget_name, notifications, progress)
                .await?;
        }
        match &plan.anomaly {
            Some(a) => {
                anomaly::execute(
                    &self.api,
                    spec.anomaly.as_ref(),
                    observed,
                    a,
                    progress,
                    &spec.tags,
                )
                .await
            }
            None => Ok((None, None)),
        }
    }
}

#[async_trait]
impl<A: CostApi> Module for CostModule<A> {
    type Inputs = CostInputs;
    type Spec = CostSpec;
    type Observed = CostObserved;
    type Outputs = CostOutputs;
    type Error = CostError;

    fn name(&self) -> &'static str {
        "cost"
    }

    fn spec(&self, config: &Config, inputs: &CostInputs) -> Result<CostSpec, CostError> {
        let naming = self.ctx.naming();
        let topic = match (&inputs.topic_arns, config.enable_alerting) {
            (_, false) => CostTopic::Absent,
            (None, true) => CostTopic::Pending,
            (Some(map), true) => match map.get("cost") {
                Some(arn) => CostTopic::Known(arn.clone()),
                // Alerting ran and made no cost topic.
                None => CostTopic::Absent,
            },
        };
        let budget_name = naming.name("bedrock-monthly-cost", BUDGET_NAME_MAX);
        let monitor_name = naming.name("bedrock-cost-anomalies", 1024);
        let subscription_name = naming.name("bedrock-cost-anomalies", 1024);
        let (budget, notifications) = if config.enable_budget_monitoring {
            (
                Some(budget::budget(config, budget_name.clone())),
                notification::notifications(config, topic.arn()),
            )
        } else {
            (None, Vec::new())
        };
        let anomaly = anomaly::spec(config, &topic, &monitor_name, &subscription_name);
        Ok(CostSpec {
            account_id: self.ctx.account_id().to_owned(),
            budget_name,
            monitor_name,
            subscription_name,
            budget,
            notifications,
            anomaly,
            topic,
            tags: naming.tags("cost"),
        })
    }

    async fn observe(&self, spec: &CostSpec) -> Result<CostObserved, CostError> {
        // The budget chain and the two Cost Explorer listings are independent: read them
        // concurrently so the module adds one chain of calls to a plan, not three.
        let ((budget, notifications), monitors, subscriptions) = futures::try_join!(
            budget::observe(&self.api, spec),
            self.api.anomaly_monitors(),
            self.api.anomaly_subscriptions()
        )?;
        Ok(CostObserved {
            budget,
            notifications,
            monitor: monitors.into_iter().find(|m| m.name == spec.monitor_name),
            subscription: subscriptions
                .into_iter()
                .find(|s| s.name == spec.subscription_name),
        })
    }

    /// Observe looks up the budget, monitor and subscription by the stack's names; the
    /// upstream topic and key only shape what is written.
    fn observes_alike(&self, before: &CostSpec, now: &CostSpec, _: &CostObserved) -> bool {
        before.account_id == now.account_id
            && before.budget_name == now.budget_name
            && before.monitor_name == now.monitor_name
            && before.subscription_name == now.subscription_name
    }

    fn diff(&self, spec: &CostSpec, observed: &CostObserved) -> Vec<Change> {
        let mut changes = plan(spec, observed, false).changes();
        if spec.topic == CostTopic::Absent && (spec.budget.is_some() || spec.anomaly.is_some()) {
            changes.push(Change::noop("cost.cost_topic", "sns_topic").with_note(
                "no cost topic (alerting is off): budget and anomaly notifications go to e-mail addresses only",
            ));
        }
        changes
    }

    fn planned_outputs(&self, spec: &CostSpec, observed: &CostObserved) -> Option<CostOutputs> {
        if spec.budget.is_some() && observed.budget.is_none() {
            return None;
        }
        let (monitor, subscription) = match &spec.anomaly {
            None => (None, None),
            Some(a) => {
                let m = observed.monitor.as_ref()?;
                let s = match &a.subscription {
                    Some(_) => Some(observed.subscription.as_ref()?.arn.clone()),
                    None => None,
                };
                (Some(m.arn.clone()), s)
            }
        };
        Some(CostOutputs {
            budget_names: spec.budget.iter().map(|b| b.name.clone()).collect(),
            anomaly_monitor_arn: monitor,
            anomaly_subscription_arn: subscription,
            budget_summary: summary(spec),
        })
    }

    async fn apply(
        &self,
        spec: &CostSpec,
        observed: &CostObserved,
        progress: &dyn Progress,
    ) -> Result<CostOutputs, CostError> {
        if spec.topic == CostTopic::Pending && (spec.budget.is_some() || spec.anomaly.is_some()) {
            return Err(CostError::TopicUnknown);
        }
        let (monitor, subscription) = self
            .execute(spec, observed, &plan(spec, observed, false), progress)
            .await?;
        Ok(CostOutputs {
            budget_names: spec.budget.iter().map(|b| b.name.clone()).collect(),
            anomaly_monitor_arn: monitor,
            anomaly_subscription_arn: subscription,
            budget_summary: summary(spec),
        })
    }

    fn destroy_plan(
        &self,
        spec: &CostSpec,
        observed: &CostObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        plan(spec, observed, true).changes()
    }

    async fn destroy(
        &self,
        spec: &CostSpec,
        observed: &CostObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), CostError> {
        self.execute(spec, observed, &plan(spec, observed, true), progress)
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests;

//! The cost module: wires the budget (`budget.rs`, its notifications in `notification.rs`) and
//! the anomaly monitor and subscription (`anomaly.rs`) into one [`Module`].
//!
//! Order: apply deletes what is no longer wanted first, then converges the budget, then the
//! anomaly monitor and subscription; destroy deletes the subscription, the monitor, then the
//! budget.

use crate::anomaly::{self, AnomalySpec, MONITOR, SUBSCRIPTION};
use crate::api::{
    AnomalyMonitor, AnomalySubscription, Budget, CostApi, NotificationWithSubscribers, SdkCostApi,
};
use crate::budget::{self, BUDGET_NAME_MAX};
use crate::notification::{self, WantedNotification};
use crate::{CostError, KNOWN_AFTER_APPLY};
use async_trait::async_trait;
use baseline_core::ids::TopicArn;
use baseline_core::reconcile::{FromUpstream, Upstream};
use baseline_core::{
    Action, AwsContext, Change, Config, DestroyOptions, Module, Progress, ProgressEvent,
};
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

/// Deletes of what exists but is not wanted (disabled features; `everything`: destroy).
fn leftover_deletes(spec: &CostSpec, observed: &CostObserved, everything: bool) -> Vec<Change> {
    let mut out = Vec::new();
    if everything || spec.anomaly.is_none() {
        out.extend(anomaly::deletions(observed));
    }
    if everything || spec.budget.is_none() {
        out.extend(observed.budget.as_ref().map(budget::deletion));
    }
    out
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
    async fn delete_leftovers(
        &self,
        spec: &CostSpec,
        observed: &CostObserved,
        everything: bool,
        progress: &dyn Progress,
    ) -> Result<(), CostError> {
        for change in leftover_deletes(spec, observed, everything) {
            progress.event(ProgressEvent::Started {
                address: change.address.clone(),
                action: Action::Delete,
            });
            match change.address.as_str() {
                SUBSCRIPTION => {
                    if let Some(s) = &observed.subscription {
                        self.api.delete_anomaly_subscription(&s.arn).await?;
                    }
                }
                MONITOR => {
                    if let Some(m) = &observed.monitor {
                        self.api.delete_anomaly_monitor(&m.arn).await?;
                    }
                }
                _ => {
                    self.api
                        .delete_budget(&spec.account_id, &spec.budget_name)
                        .await?;
                }
            }
            // Gone for the state, Finished for the display.
            progress.event(ProgressEvent::Gone {
                address: change.address.clone(),
            });
            progress.event(ProgressEvent::Finished {
                address: change.address,
                action: Action::Delete,
            });
        }
        Ok(())
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
        let mut changes = budget::changes(spec, observed);
        changes.extend(anomaly::changes(spec.anomaly.as_ref(), observed));
        changes.extend(leftover_deletes(spec, observed, false));
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
        self.delete_leftovers(spec, observed, false, progress)
            .await?;
        budget::converge(&self.api, spec, observed, progress).await?;
        let (monitor, subscription) = match &spec.anomaly {
            Some(a) => {
                let (m, s) =
                    anomaly::converge(&self.api, a, observed, progress, &spec.tags).await?;
                (Some(m), s)
            }
            None => (None, None),
        };
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
        leftover_deletes(spec, observed, true)
    }

    async fn destroy(
        &self,
        spec: &CostSpec,
        observed: &CostObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), CostError> {
        self.delete_leftovers(spec, observed, true, progress).await
    }
}

#[cfg(test)]
mod tests;

//! The reconcile steps for the budget, its notifications, the anomaly monitor and the anomaly
//! subscription.

use crate::api::{
    AnomalyMonitor, AnomalySubscription, Budget, CostApi, NotificationWithSubscribers, SdkCostApi,
    Subscriber,
};
use crate::budget::{self, WantedNotification, BUDGET_NAME_MAX};
use crate::CostError;
use async_trait::async_trait;
use baseline_core::config::AnomalyFrequency;
use baseline_core::ids::TopicArn;
use baseline_core::reconcile::{FromUpstream, Upstream};
use baseline_core::write::create_unless_found;
use baseline_core::{
    Action, AwsContext, Change, Config, DestroyOptions, Module, Progress, ProgressEvent,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const BUDGET: &str = "cost.budget";
const MONITOR: &str = "cost.anomaly_monitor";
const SUBSCRIPTION: &str = "cost.anomaly_subscription";
const KNOWN_AFTER_APPLY: &str = "(known after apply)";
/// Said on every budget and anomaly resource: they are not regional.
const ACCOUNT_WIDE: &str =
    "account-wide: AWS Budgets and Cost Explorer are global services; the name carries the stack";

fn notification_address(role: &str) -> String {
    format!("cost.budget_notification[\"{role}\"]")
}

/// Upstream values: the cost topic of the alerting module.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostInputs {
    /// `alerting.topic_arns` (`None`: alerting has not run / is not known yet).
    pub topic_arns: Option<BTreeMap<String, TopicArn>>,
}

impl FromUpstream for CostInputs {
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
    fn arn(&self) -> Option<&str> {
        match self {
            Self::Known(a) => Some(a.as_str()),
            Self::Pending => Some(KNOWN_AFTER_APPLY),
            Self::Absent => None,
        }
    }
}

/// The desired anomaly monitor and subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalySpec {
    /// The monitor (no ARN yet).
    pub monitor: AnomalyMonitor,
    /// The subscription (no ARN, no monitor ARN yet); `None` when it would have no subscriber.
    pub subscription: Option<AnomalySubscription>,
    /// Why there is no subscription, for the plan.
    pub no_subscription_note: &'static str,
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

fn subscriber_view(subs: impl IntoIterator<Item = Subscriber>) -> Vec<String> {
    let mut v: Vec<String> = subs
        .into_iter()
        .map(|s| format!("{}:{}", s.kind, s.address))
        .collect();
    v.sort();
    v
}

fn budget_view(b: &Budget, auto_adjusted: bool) -> Value {
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

fn notification_view(n: &NotificationWithSubscribers) -> Value {
    json!({
        "notification_type": n.notification.notification_type,
        "comparison_operator": n.notification.comparison_operator,
        "threshold": n.notification.threshold,
        "threshold_type": n.notification.threshold_type,
        "subscribers": subscriber_view(n.subscribers.iter().cloned()),
    })
}

fn monitor_view(m: &AnomalyMonitor) -> Value {
    json!({"name": m.name, "monitor_type": m.monitor_type, "dimension": m.dimension})
}

fn subscription_view(s: &AnomalySubscription, monitor: &str) -> Value {
    json!({
        "name": s.name,
        "monitor": monitor,
        "frequency": s.frequency,
        "threshold_usd": s.threshold,
        "subscribers": subscriber_view(s.subscribers.iter().cloned()),
    })
}

/// The monitor a subscription covers, as the plan shows it: the monitor's name when it covers
/// exactly the stack's monitor.
fn observed_monitor_ref(s: &AnomalySubscription, observed: &CostObserved) -> String {
    match (&observed.monitor, s.monitor_arns.as_slice()) {
        (Some(m), [one]) if *one == m.arn => m.name.clone(),
        _ => s.monitor_arns.join(","),
    }
}

fn monitor_replaced(spec: &AnomalySpec, observed: &CostObserved) -> bool {
    observed
        .monitor
        .as_ref()
        .is_some_and(|m| monitor_view(m) != monitor_view(&spec.monitor))
}

fn subscription_change(
    spec: &AnomalySpec,
    wanted: &AnomalySubscription,
    observed: &CostObserved,
) -> Change {
    let after = subscription_view(wanted, &spec.monitor.name);
    match &observed.subscription {
        None => Change::create(SUBSCRIPTION, "ce_anomaly_subscription", &after),
        Some(s) => {
            let mut before = subscription_view(s, &observed_monitor_ref(s, observed));
            if monitor_replaced(spec, observed) {
                before["monitor"] = json!(format!("{} (replaced)", spec.monitor.name));
            }
            Change::compare(
                SUBSCRIPTION,
                "ce_anomaly_subscription",
                &before,
                &after,
                &[],
            )
        }
    }
}

fn budget_changes(spec: &CostSpec, observed: &CostObserved) -> Vec<Change> {
    let mut changes = Vec::new();
    let Some(wanted) = &spec.budget else {
        return changes;
    };
    let auto = wanted.auto_adjust.is_some();
    let change = Change::converge(
        BUDGET,
        "budget",
        observed
            .budget
            .as_ref()
            .map(|b| budget_view(b, auto))
            .as_ref(),
        &budget_view(wanted, auto),
        &[],
    );
    changes.push(change.with_note(ACCOUNT_WIDE));
    let existing = if observed.budget.is_some() {
        observed.notifications.as_slice()
    } else {
        &[]
    };
    let pairing = budget::pair(&spec.notifications, existing);
    for (w, paired) in spec.notifications.iter().zip(&pairing.pairs) {
        changes.push(Change::converge(
            notification_address(w.role),
            "budget_notification",
            paired.map(|j| notification_view(&existing[j])).as_ref(),
            &notification_view(&w.notification),
            &[],
        ));
    }
    for j in pairing.extra {
        let n = &existing[j];
        changes.push(Change::delete(
            format!(
                "cost.budget_notification[\"{}>{}\"]",
                n.notification.notification_type,
                crate::api::format_amount(n.notification.threshold)
            ),
            "budget_notification",
            &notification_view(n),
        ));
    }
    if spec.notifications.len() < 3 {
        changes.push(
            Change::noop("cost.budget_notification", "budget_notification").with_note(
                "a notification with no cost topic and no e-mail address is not created: set budget_notification_email(s)",
            ),
        );
    }
    changes
}

fn anomaly_changes(spec: &CostSpec, observed: &CostObserved) -> Vec<Change> {
    let Some(a) = &spec.anomaly else {
        return Vec::new();
    };
    let monitor = Change::converge(
        MONITOR,
        "ce_anomaly_monitor",
        observed.monitor.as_ref().map(monitor_view).as_ref(),
        &monitor_view(&a.monitor),
        &["monitor_type", "dimension"],
    )
    .with_note(ACCOUNT_WIDE);
    let subscription = match &a.subscription {
        Some(s) => subscription_change(a, s, observed),
        None => match &observed.subscription {
            Some(s) => Change::delete(
                SUBSCRIPTION,
                "ce_anomaly_subscription",
                &subscription_view(s, &observed_monitor_ref(s, observed)),
            ),
            None => Change::noop(SUBSCRIPTION, "ce_anomaly_subscription"),
        }
        .with_note(a.no_subscription_note),
    };
    vec![monitor, subscription]
}

/// Deletes of what exists but is not wanted (disabled features).
fn leftover_deletes(spec: &CostSpec, observed: &CostObserved, everything: bool) -> Vec<Change> {
    let mut out = Vec::new();
    if everything || spec.anomaly.is_none() {
        if let Some(s) = &observed.subscription {
            out.push(Change::delete(
                SUBSCRIPTION,
                "ce_anomaly_subscription",
                &subscription_view(s, &observed_monitor_ref(s, observed)),
            ));
        }
        if let Some(m) = &observed.monitor {
            out.push(Change::delete(
                MONITOR,
                "ce_anomaly_monitor",
                &monitor_view(m),
            ));
        }
    }
    if everything || spec.budget.is_none() {
        if let Some(b) = &observed.budget {
            out.push(
                Change::delete(BUDGET, "budget", &budget_view(b, false))
                    .with_note("its notifications and subscribers go with it"),
            );
        }
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
    async fn apply_budget(
        &self,
        spec: &CostSpec,
        observed: &CostObserved,
        progress: &dyn Progress,
    ) -> Result<(), CostError> {
        let Some(wanted) = &spec.budget else {
            return Ok(());
        };
        let acct = spec.account_id.as_str();
        let started = |address: &str, action| {
            progress.event(ProgressEvent::Started {
                address: address.to_owned(),
                action,
            })
        };
        let finished = |address: &str, action| {
            progress.event(ProgressEvent::Finished {
                address: address.to_owned(),
                action,
            })
        };
        let Some(existing_budget) = &observed.budget else {
            started(BUDGET, Action::Create);
            let notifications: Vec<NotificationWithSubscribers> = spec
                .notifications
                .iter()
                .map(|w| w.notification.clone())
                .collect();
            self.api
                .create_budget(acct, wanted, &notifications, &spec.tags)
                .await?;
            progress.event(ProgressEvent::Exists {
                address: BUDGET.into(),
                id: wanted.name.clone(),
            });
            finished(BUDGET, Action::Create);
            return Ok(());
        };
        let auto = wanted.auto_adjust.is_some();
        if budget_view(existing_budget, auto) != budget_view(wanted, auto) {
            started(BUDGET, Action::Update);
            let mut new = wanted.clone();
            if auto {
                // Keep the limit AWS computed; only the settings are ours.
                new.limit_amount = existing_budget.limit_amount.clone();
            }
            self.api.update_budget(acct, &new).await?;
            finished(BUDGET, Action::Update);
        }
        let existing = &observed.notifications;
        let pairing = budget::pair(&spec.notifications, existing);
        for j in &pairing.extra {
            let address = format!(
                "cost.budget_notification[\"{}>{}\"]",
                existing[*j].notification.notification_type,
                crate::api::format_amount(existing[*j].notification.threshold)
            );
            started(&address, Action::Delete);
            self.api
                .delete_notification(acct, &wanted.name, &existing[*j].notification)
                .await?;
            finished(&address, Action::Delete);
        }
        for (w, paired) in spec.notifications.iter().zip(&pairing.pairs) {
            let address = notification_address(w.role);
            let Some(j) = paired else {
                started(&address, Action::Create);
                self.api
                    .create_notification(acct, &wanted.name, &w.notification)
                    .await?;
                finished(&address, Action::Create);
                continue;
            };
            let have = &existing[*j];
            if notification_view(have) == notification_view(&w.notification) {
                continue;
            }
            started(&address, Action::Update);
            let target = &w.notification.notification;
            if have.notification != *target {
                self.api
                    .update_notification(acct, &wanted.name, &have.notification, target)
                    .await?;
            }
            for s in w.notification.subscribers.difference(&have.subscribers) {
                self.api
                    .create_subscriber(acct, &wanted.name, target, s)
                    .await?;
            }
            for s in have.subscribers.difference(&w.notification.subscribers) {
                self.api
                    .delete_subscriber(acct, &wanted.name, target, s)
                    .await?;
            }
            finished(&address, Action::Update);
        }
        Ok(())
    }

    async fn apply_anomaly(
        &self,
        spec: &AnomalySpec,
        observed: &CostObserved,
        progress: &dyn Progress,
        tags: &BTreeMap<String, String>,
    ) -> Result<(String, Option<String>), CostError> {
        let replaced = monitor_replaced(spec, observed);
        let monitor_arn = match &observed.monitor {
            Some(m) if !replaced => m.arn.clone(),
            _ => {
                let action = if replaced {
                    Action::Replace
                } else {
                    Action::Create
                };
                progress.event(ProgressEvent::Started {
                    address: MONITOR.into(),
                    action,
                });
                let arn = create_unless_found(
                    || self.api.create_anomaly_monitor(&spec.monitor, tags),
                    || async {
                        let found = self.api.anomaly_monitors().await?;
                        Ok(found
                            .into_iter()
                            .find(|m| m.name == spec.monitor.name)
                            .map(|m| m.arn))
                    },
                )
                .await?;
                progress.event(ProgressEvent::Exists {
                    address: MONITOR.into(),
                    id: arn.clone(),
                });
                arn
            }
        };
        let subscription_arn = match &spec.subscription {
            None => {
                if let Some(s) = &observed.subscription {
                    self.api.delete_anomaly_subscription(&s.arn).await?;
                    progress.event(ProgressEvent::Gone {
                        address: SUBSCRIPTION.into(),
                    });
                }
                None
            }
            Some(wanted) => {
                let mut wanted = wanted.clone();
                wanted.monitor_arns = vec![monitor_arn.clone()];
                match &observed.subscription {
                    None => {
                        progress.event(ProgressEvent::Started {
                            address: SUBSCRIPTION.into(),
                            action: Action::Create,
                        });
                        let arn = create_unless_found(
                            || self.api.create_anomaly_subscription(&wanted, tags),
                            || async {
                                let found = self.api.anomaly_subscriptions().await?;
                                Ok(found
                                    .into_iter()
                                    .find(|s| s.name == wanted.name)
                                    .map(|s| s.arn))
                            },
                        )
                        .await?;
                        progress.event(ProgressEvent::Exists {
                            address: SUBSCRIPTION.into(),
                            id: arn.clone(),
                        });
                        progress.event(ProgressEvent::Finished {
                            address: SUBSCRIPTION.into(),
                            action: Action::Create,
                        });
                        Some(arn)
                    }
                    Some(have) => {
                        wanted.arn = have.arn.clone();
                        if subscription_change(spec, &wanted, observed).is_change()
                            || have.monitor_arns != wanted.monitor_arns
                        {
                            progress.event(ProgressEvent::Started {
                                address: SUBSCRIPTION.into(),
                                action: Action::Update,
                            });
                            self.api.update_anomaly_subscription(&wanted).await?;
                            progress.event(ProgressEvent::Finished {
                                address: SUBSCRIPTION.into(),
                                action: Action::Update,
                            });
                        }
                        Some(have.arn.clone())
                    }
                }
            }
        };
        if let (true, Some(old)) = (replaced, &observed.monitor) {
            // The subscription points at the new monitor now; the old one can go.
            self.api.delete_anomaly_monitor(&old.arn).await?;
        }
        if replaced || observed.monitor.is_none() {
            progress.event(ProgressEvent::Finished {
                address: MONITOR.into(),
                action: if replaced {
                    Action::Replace
                } else {
                    Action::Create
                },
            });
        }
        Ok((monitor_arn, subscription_arn))
    }

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
                budget::notifications(config, topic.arn()),
            )
        } else {
            (None, Vec::new())
        };
        let anomaly = config.enable_budget_anomaly_detection.then(|| {
            let frequency = config.budget_anomaly_frequency;
            // Cost Explorer API reference, AnomalySubscription.Frequency: e-mail for DAILY and
            // WEEKLY, SNS for IMMEDIATE.
            let subscribers: std::collections::BTreeSet<Subscriber> = match frequency {
                AnomalyFrequency::Immediate => {
                    topic.arn().map(Subscriber::sns).into_iter().collect()
                }
                AnomalyFrequency::Daily | AnomalyFrequency::Weekly => config
                    .budget_anomaly_emails
                    .iter()
                    .chain(&config.budget_notification_email)
                    .chain(&config.budget_notification_emails)
                    .map(Subscriber::email)
                    .collect(),
            };
            AnomalySpec {
                no_subscription_note: match frequency {
                    AnomalyFrequency::Immediate => "no subscription: IMMEDIATE anomaly alerts go to SNS only, and there is no cost topic",
                    _ => "no subscription: DAILY and WEEKLY anomaly summaries go to e-mail only; set budget_anomaly_emails or budget_notification_email(s)",
                },
                // Cost Anomaly Detection user guide, "Monitor types": an AWS services monitor
                // (DIMENSIONAL, SERVICE) evaluates every service, Bedrock included, separately.
                monitor: AnomalyMonitor {
                    arn: String::new(),
                    name: monitor_name.clone(),
                    monitor_type: "DIMENSIONAL".into(),
                    dimension: Some("SERVICE".into()),
                },
                subscription: (!subscribers.is_empty()).then(|| AnomalySubscription {
                    arn: String::new(),
                    name: subscription_name.clone(),
                    monitor_arns: Vec::new(),
                    frequency: frequency.as_str().to_owned(),
                    threshold: Some(config.budget_anomaly_threshold),
                    subscribers,
                }),
            }
        });
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
        let budget = async {
            let budget = self
                .api
                .describe_budget(&spec.account_id, &spec.budget_name)
                .await?;
            let notifications = match &budget {
                Some(_) => {
                    self.api
                        .notifications(&spec.account_id, &spec.budget_name)
                        .await?
                }
                None => Vec::new(),
            };
            Ok::<_, baseline_core::aws::ApiError>((budget, notifications))
        };
        let ((budget, notifications), monitors, subscriptions) = futures::try_join!(
            budget,
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

    fn diff(&self, spec: &CostSpec, observed: &CostObserved) -> Vec<Change> {
        let mut changes = budget_changes(spec, observed);
        changes.extend(anomaly_changes(spec, observed));
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
        self.apply_budget(spec, observed, progress).await?;
        let (monitor, subscription) = match &spec.anomaly {
            Some(a) => {
                let (m, s) = self
                    .apply_anomaly(a, observed, progress, &spec.tags)
                    .await?;
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
mod tests {
    use super::*;
    use crate::api::{MockCostApi, Notification};
    use baseline_core::Naming;
    use std::collections::BTreeSet;

    const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:demo-prod-cost";

    fn ctx() -> AwsContext {
        AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
    }

    fn inputs() -> CostInputs {
        CostInputs {
            topic_arns: Some(BTreeMap::from([("cost".into(), TopicArn::from(TOPIC))])),
        }
    }

    fn config() -> Config {
        Config {
            budget_notification_email: Some("finops@example.com".into()),
            ..Config::default()
        }
    }

    fn module() -> CostModule<MockCostApi> {
        CostModule::with_api(MockCostApi::new(), &ctx())
    }

    /// What exists after a converged apply of `spec`.
    fn converged(spec: &CostSpec) -> CostObserved {
        CostObserved {
            budget: spec.budget.clone(),
            notifications: spec
                .notifications
                .iter()
                .map(|w| w.notification.clone())
                .collect(),
            monitor: spec.anomaly.as_ref().map(|a| AnomalyMonitor {
                arn: "arn:aws:ce::123456789012:anomalymonitor/m".into(),
                ..a.monitor.clone()
            }),
            subscription: spec
                .anomaly
                .as_ref()
                .and_then(|a| a.subscription.clone())
                .map(|s| AnomalySubscription {
                    arn: "arn:aws:ce::123456789012:anomalysubscription/s".into(),
                    monitor_arns: vec!["arn:aws:ce::123456789012:anomalymonitor/m".into()],
                    ..s
                }),
        }
    }

    #[test]
    fn names_carry_the_stack_and_the_plan_says_account_wide() {
        let m = module();
        let spec = m.spec(&config(), &inputs()).unwrap();
        assert_eq!(spec.budget_name, "demo-prod-bedrock-monthly-cost");
        let changes = m.diff(&spec, &CostObserved::default());
        let budget = changes.iter().find(|c| c.address == BUDGET).unwrap();
        assert_eq!(budget.action, Action::Create);
        assert!(budget.note.as_deref().unwrap().contains("account-wide"));
        let monitor = changes.iter().find(|c| c.address == MONITOR).unwrap();
        assert!(monitor.note.as_deref().unwrap().contains("account-wide"));
    }

    #[test]
    fn converged_stack_plans_no_change() {
        let m = module();
        let spec = m.spec(&config(), &inputs()).unwrap();
        let changes = m.diff(&spec, &converged(&spec));
        assert!(changes.iter().all(|c| !c.is_change()), "{changes:#?}");
    }

    #[test]
    fn enable_budget_monitoring_false_deletes_the_budget() {
        let m = module();
        let on = m.spec(&config(), &inputs()).unwrap();
        let off = m
            .spec(
                &Config {
                    enable_budget_monitoring: false,
                    ..config()
                },
                &inputs(),
            )
            .unwrap();
        let changes = m.diff(&off, &converged(&on));
        let deletes: Vec<&str> = changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| c.address.as_str())
            .collect();
        assert_eq!(deletes, vec![BUDGET]);
    }

    #[test]
    fn enable_budget_anomaly_detection_false_deletes_monitor_and_subscription() {
        let m = module();
        let on = m.spec(&config(), &inputs()).unwrap();
        let off = m
            .spec(
                &Config {
                    enable_budget_anomaly_detection: false,
                    ..config()
                },
                &inputs(),
            )
            .unwrap();
        assert!(off.anomaly.is_none());
        let deletes: Vec<String> = m
            .diff(&off, &converged(&on))
            .into_iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| c.address)
            .collect();
        assert_eq!(deletes, vec![SUBSCRIPTION, MONITOR]);
    }

    #[test]
    fn budget_anomaly_threshold_frequency_and_emails_drive_the_subscription() {
        let m = module();
        let spec = m
            .spec(
                &Config {
                    budget_anomaly_threshold: 250.0,
                    budget_anomaly_frequency: AnomalyFrequency::Weekly,
                    budget_anomaly_emails: vec!["anomaly@example.com".into()],
                    ..config()
                },
                &inputs(),
            )
            .unwrap();
        let s = spec.anomaly.unwrap().subscription.unwrap();
        assert_eq!(s.threshold, Some(250.0));
        assert_eq!(s.frequency, "WEEKLY");
        assert_eq!(
            s.subscribers,
            BTreeSet::from([
                Subscriber::email("anomaly@example.com"),
                Subscriber::email("finops@example.com")
            ])
        );
    }

    #[test]
    fn immediate_anomaly_alerts_go_to_the_cost_topic() {
        let m = module();
        let spec = m
            .spec(
                &Config {
                    budget_anomaly_frequency: AnomalyFrequency::Immediate,
                    ..config()
                },
                &inputs(),
            )
            .unwrap();
        let s = spec.anomaly.unwrap().subscription.unwrap();
        assert_eq!(s.frequency, "IMMEDIATE");
        assert_eq!(s.subscribers, BTreeSet::from([Subscriber::sns(TOPIC)]));
    }

    #[test]
    fn without_cost_topic_e_mails_only_and_a_plan_note() {
        let m = module();
        let inputs = CostInputs {
            topic_arns: Some(BTreeMap::new()),
        };
        let spec = m.spec(&config(), &inputs).unwrap();
        assert_eq!(spec.topic, CostTopic::Absent);
        assert!(spec
            .notifications
            .iter()
            .flat_map(|w| &w.notification.subscribers)
            .all(|s| s.kind == "EMAIL"));
        let changes = m.diff(&spec, &CostObserved::default());
        assert!(changes.iter().any(|c| c
            .note
            .as_deref()
            .is_some_and(|n| n.contains("no cost topic"))));
    }

    #[test]
    fn daily_without_addresses_makes_no_subscription_and_says_so() {
        let m = module();
        let spec = m.spec(&Config::default(), &inputs()).unwrap();
        assert!(spec.anomaly.as_ref().unwrap().subscription.is_none());
        let changes = m.diff(&spec, &CostObserved::default());
        let sub = changes.iter().find(|c| c.address == SUBSCRIPTION).unwrap();
        assert_eq!(sub.action, Action::NoOp);
        assert!(sub.note.as_deref().unwrap().contains("e-mail only"));
    }

    #[test]
    fn pending_topic_shows_known_after_apply_and_apply_refuses() {
        let m = module();
        let spec = m.spec(&config(), &CostInputs::default()).unwrap();
        assert_eq!(spec.topic, CostTopic::Pending);
        assert!(spec.notifications[0]
            .notification
            .subscribers
            .contains(&Subscriber::sns(KNOWN_AFTER_APPLY)));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(m.apply(
                &spec,
                &CostObserved::default(),
                &baseline_core::progress::NoProgress,
            ))
            .unwrap_err();
        assert!(matches!(err, CostError::TopicUnknown));
    }

    #[tokio::test]
    async fn a_threshold_change_updates_exactly_that_notification() {
        let old = module().spec(&config(), &inputs()).unwrap();
        let observed = converged(&old);
        let mut api = MockCostApi::new();
        api.expect_update_notification()
            .times(1)
            .withf(|_, budget, o: &Notification, n: &Notification| {
                budget == "demo-prod-bedrock-monthly-cost"
                    && o.threshold == 80.0
                    && n.threshold == 90.0
                    && n.notification_type == "ACTUAL"
            })
            .returning(|_, _, _, _| Ok(()));
        let m = CostModule::with_api(api, &ctx());
        let spec = m
            .spec(
                &Config {
                    budget_critical_threshold: 90.0,
                    ..config()
                },
                &inputs(),
            )
            .unwrap();
        let changed: Vec<String> = m
            .diff(&spec, &observed)
            .into_iter()
            .filter(|c| c.is_change())
            .map(|c| c.address)
            .collect();
        assert_eq!(changed, vec!["cost.budget_notification[\"critical\"]"]);
        m.apply(&spec, &observed, &baseline_core::progress::NoProgress)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn first_apply_creates_budget_with_notifications_monitor_and_subscription() {
        let mut api = MockCostApi::new();
        api.expect_create_budget()
            .times(1)
            .withf(
                |acct, b: &Budget, n: &[NotificationWithSubscribers], tags| {
                    acct == "123456789012"
                        && b.cost_filters["Service"] == vec!["Amazon Bedrock"]
                        && n.len() == 3
                        && n.iter()
                            .all(|x| x.subscribers.contains(&Subscriber::sns(TOPIC)))
                        && tags.contains_key("baseline:stack")
                },
            )
            .returning(|_, _, _, _| Ok(()));
        api.expect_create_anomaly_monitor()
            .times(1)
            .returning(|_, _| Ok("arn:aws:ce::123456789012:anomalymonitor/m".into()));
        api.expect_create_anomaly_subscription()
            .times(1)
            .withf(|s: &AnomalySubscription, _| {
                s.monitor_arns == vec!["arn:aws:ce::123456789012:anomalymonitor/m".to_owned()]
            })
            .returning(|_, _| Ok("arn:aws:ce::123456789012:anomalysubscription/s".into()));
        let m = CostModule::with_api(api, &ctx());
        let spec = m.spec(&config(), &inputs()).unwrap();
        let out = m
            .apply(
                &spec,
                &CostObserved::default(),
                &baseline_core::progress::NoProgress,
            )
            .await
            .unwrap();
        assert_eq!(out.budget_names, vec!["demo-prod-bedrock-monthly-cost"]);
        assert_eq!(
            out.anomaly_monitor_arn.as_deref(),
            Some("arn:aws:ce::123456789012:anomalymonitor/m")
        );
        let summary = out.budget_summary.unwrap();
        assert_eq!(summary.limit, "1000");
        assert_eq!(
            summary.notifications["forecast"].notification_type,
            "FORECASTED"
        );
    }

    #[tokio::test]
    async fn converged_apply_writes_nothing() {
        // The mock has no expectations: any call fails the test.
        let m = module();
        let spec = m.spec(&config(), &inputs()).unwrap();
        m.apply(
            &spec,
            &converged(&spec),
            &baseline_core::progress::NoProgress,
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn destroy_deletes_subscription_monitor_and_budget() {
        let mut api = MockCostApi::new();
        let mut seq = mockall::Sequence::new();
        api.expect_delete_anomaly_subscription()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        api.expect_delete_anomaly_monitor()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        api.expect_delete_budget()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok(()));
        let m = CostModule::with_api(api, &ctx());
        let spec = m.spec(&config(), &inputs()).unwrap();
        let observed = converged(&spec);
        assert_eq!(
            m.destroy_plan(&spec, &observed, DestroyOptions::default())
                .len(),
            3
        );
        m.destroy(
            &spec,
            &observed,
            DestroyOptions::default(),
            &baseline_core::progress::NoProgress,
        )
        .await
        .unwrap();
    }
}

//! Cost Anomaly Detection: the stack's monitor and its subscription, planned and applied
//! together because a replaced monitor is deleted only after the subscription points at its
//! successor. Their desired shape from the config, plan, apply and delete are here; observe is
//! the two account-wide listings, filtered by name (`module.rs`).

use crate::api::{AnomalyMonitor, AnomalySubscription, CostApi, Subscriber};
use crate::module::{CostObserved, CostTopic};
use crate::{subscriber_view, CostError, ACCOUNT_WIDE};
use baseline_core::config::AnomalyFrequency;
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::write::create_unless_found;
use baseline_core::{Action, Change, Config, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Address of the anomaly monitor.
pub(crate) const MONITOR: &str = "cost.anomaly_monitor";
/// Address of the anomaly subscription.
pub(crate) const SUBSCRIPTION: &str = "cost.anomaly_subscription";

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

/// The monitor and subscription the config asks for; `None` when
/// `enable_budget_anomaly_detection = false`.
pub(crate) fn spec(
    config: &Config,
    topic: &CostTopic,
    monitor_name: &str,
    subscription_name: &str,
) -> Option<AnomalySpec> {
    config.enable_budget_anomaly_detection.then(|| {
        let frequency = config.budget_anomaly_frequency;
        // Cost Explorer API reference, AnomalySubscription.Frequency: e-mail for DAILY and
        // WEEKLY, SNS for IMMEDIATE.
        let subscribers: BTreeSet<Subscriber> = match frequency {
            AnomalyFrequency::Immediate => topic.arn().map(Subscriber::sns).into_iter().collect(),
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
                name: monitor_name.to_owned(),
                monitor_type: "DIMENSIONAL".into(),
                dimension: Some("SERVICE".into()),
            },
            subscription: (!subscribers.is_empty()).then(|| AnomalySubscription {
                arn: String::new(),
                name: subscription_name.to_owned(),
                monitor_arns: Vec::new(),
                frequency: frequency.as_str().to_owned(),
                threshold: Some(config.budget_anomaly_threshold),
                subscribers,
            }),
        }
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

fn subscription_deletion(s: &AnomalySubscription, observed: &CostObserved) -> Change {
    Change::delete(
        SUBSCRIPTION,
        "ce_anomaly_subscription",
        &subscription_view(s, &observed_monitor_ref(s, observed)),
    )
}

/// One write on the anomaly monitor, decided by [`plan`] and run by [`execute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum MonitorOp {
    /// CreateAnomalyMonitor with the stack tags (found by name first if its answer was lost).
    Create,
    /// CreateAnomalyMonitor of the successor; DeleteAnomalyMonitor of `old_arn` only once the
    /// subscription points at the successor.
    Replace {
        /// The monitor replaced.
        old_arn: String,
    },
    /// DeleteAnomalyMonitor.
    Delete {
        /// The monitor.
        arn: String,
    },
}

/// One write on the anomaly subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum SubscriptionOp {
    /// CreateAnomalySubscription on the stack's monitor (found by name first if its answer
    /// was lost).
    Create,
    /// UpdateAnomalySubscription of `arn` to the wanted settings on the stack's monitor.
    Update {
        /// The subscription.
        arn: String,
    },
    /// DeleteAnomalySubscription.
    Delete {
        /// The subscription.
        arn: String,
    },
}

/// The monitor's and the subscription's plans, decided once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AnomalyPlan {
    /// The monitor's.
    pub monitor: Planned<MonitorOp>,
    /// The subscription's.
    pub subscription: Planned<SubscriptionOp>,
    /// A delete plan: the subscription goes first and no-ops are not shown.
    deleting: bool,
}

impl AnomalyPlan {
    /// In the order they run: monitor then subscription; for a delete the reverse.
    pub(crate) fn changes(self) -> Vec<Change> {
        if self.deleting {
            [self.subscription.shown(), self.monitor.shown()]
                .into_iter()
                .filter(Change::is_change)
                .collect()
        } else {
            vec![self.monitor.shown(), self.subscription.shown()]
        }
    }
}

/// The resource kind of the stack's anomaly monitor (its subscription is planned with it, in
/// [`plan`], because what the subscription names depends on the monitor's plan).
pub(crate) struct CostAnomalyMonitor;

impl ResourceKind for CostAnomalyMonitor {
    const KIND: &'static str = "ce_anomaly_monitor";
    type Desired<'a> = AnomalyMonitor;
    type Current = AnomalyMonitor;
    type Op = MonitorOp;

    /// The view is name, type and dimension; the name is how it is found, the other two force
    /// a replacement: a monitor is created, replaced or left alone.
    fn plan(
        address: &str,
        wanted: &AnomalyMonitor,
        existing: Option<&AnomalyMonitor>,
    ) -> Planned<MonitorOp> {
        let change = Change::converge(
            address,
            Self::KIND,
            existing.map(monitor_view).as_ref(),
            &monitor_view(wanted),
            &["monitor_type", "dimension"],
        )
        .with_note(ACCOUNT_WIDE);
        let ops = match (change.action, existing) {
            (Action::Create, _) => vec![MonitorOp::Create],
            (_, Some(old)) if change.is_change() => vec![MonitorOp::Replace {
                old_arn: old.arn.clone(),
            }],
            _ => Vec::new(),
        };
        Planned::new(change, ops)
    }
}

/// The plan of a wanted monitor and subscription.
pub(crate) fn plan(a: &AnomalySpec, observed: &CostObserved) -> AnomalyPlan {
    let monitor = CostAnomalyMonitor::plan(MONITOR, &a.monitor, observed.monitor.as_ref());
    let subscription = match (&a.subscription, &observed.subscription) {
        (Some(wanted), have) => {
            let change = subscription_change(a, wanted, observed);
            let ops = match have {
                _ if !change.is_change() => Vec::new(),
                None => vec![SubscriptionOp::Create],
                Some(have) => vec![SubscriptionOp::Update {
                    arn: have.arn.clone(),
                }],
            };
            Planned::new(change, ops)
        }
        (None, Some(have)) => Planned::new(
            subscription_deletion(have, observed).with_note(a.no_subscription_note),
            vec![SubscriptionOp::Delete {
                arn: have.arn.clone(),
            }],
        ),
        (None, None) => Planned::noop(
            Change::noop(SUBSCRIPTION, "ce_anomaly_subscription").with_note(a.no_subscription_note),
        ),
    };
    AnomalyPlan {
        monitor,
        subscription,
        deleting: false,
    }
}

/// The deletes of what exists, subscription first (anomaly detection off, destroy).
pub(crate) fn plan_delete(observed: &CostObserved) -> AnomalyPlan {
    let subscription = match &observed.subscription {
        Some(s) => Planned::new(
            subscription_deletion(s, observed),
            vec![SubscriptionOp::Delete { arn: s.arn.clone() }],
        ),
        None => Planned::noop(Change::noop(SUBSCRIPTION, "ce_anomaly_subscription")),
    };
    let monitor = match &observed.monitor {
        Some(m) => Planned::new(
            Change::delete(MONITOR, CostAnomalyMonitor::KIND, &monitor_view(m)),
            vec![MonitorOp::Delete { arn: m.arn.clone() }],
        ),
        None => Planned::noop(Change::noop(MONITOR, CostAnomalyMonitor::KIND)),
    };
    AnomalyPlan {
        monitor,
        subscription,
        deleting: true,
    }
}

/// Runs the planned ops; returns the monitor's and the subscription's ARNs (`None` for what
/// does not exist afterwards). A replaced monitor is deleted only after the subscription points
/// at its successor.
pub(crate) async fn execute(
    api: &dyn CostApi,
    spec: Option<&AnomalySpec>,
    observed: &CostObserved,
    plan: &AnomalyPlan,
    progress: &dyn Progress,
    tags: &BTreeMap<String, String>,
) -> Result<(Option<String>, Option<String>), CostError> {
    let mut monitor_arn = observed.monitor.as_ref().map(|m| m.arn.clone());
    let mut subscription_arn = observed.subscription.as_ref().map(|s| s.arn.clone());
    if plan.deleting {
        if plan.subscription.is_change() {
            delete_subscription(api, &plan.subscription, progress).await?;
            subscription_arn = None;
        }
        if let [MonitorOp::Delete { arn }] = plan.monitor.ops.as_slice() {
            let step = Step::start(progress, MONITOR, Action::Delete);
            api.delete_anomaly_monitor(arn).await?;
            step.done();
            monitor_arn = None;
        }
        return Ok((monitor_arn, subscription_arn));
    }
    let Some(spec) = spec else {
        return Ok((monitor_arn, subscription_arn));
    };
    let monitor_step = if plan.monitor.is_change() {
        let step = Step::start(progress, MONITOR, plan.monitor.change.action);
        let arn = create_unless_found(
            || api.create_anomaly_monitor(&spec.monitor, tags),
            || async {
                let found = api.anomaly_monitors().await?;
                Ok(found
                    .into_iter()
                    .find(|m| m.name == spec.monitor.name && Some(&m.arn) != monitor_arn.as_ref())
                    .map(|m| m.arn))
            },
        )
        .await?;
        step.exists(arn.clone());
        monitor_arn = Some(arn);
        Some(step)
    } else {
        None
    };
    let on_monitor = monitor_arn.clone().unwrap_or_default();
    for op in &plan.subscription.ops {
        let step = Step::start(progress, SUBSCRIPTION, plan.subscription.change.action);
        let wanted = spec.subscription.as_ref().map(|w| AnomalySubscription {
            monitor_arns: vec![on_monitor.clone()],
            ..w.clone()
        });
        match (op, wanted) {
            (SubscriptionOp::Create, Some(wanted)) => {
                let arn = create_unless_found(
                    || api.create_anomaly_subscription(&wanted, tags),
                    || async {
                        let found = api.anomaly_subscriptions().await?;
                        Ok(found
                            .into_iter()
                            .find(|s| s.name == wanted.name)
                            .map(|s| s.arn))
                    },
                )
                .await?;
                step.exists(arn.clone());
                subscription_arn = Some(arn);
            }
            (SubscriptionOp::Update { arn }, Some(wanted)) => {
                let wanted = AnomalySubscription {
                    arn: arn.clone(),
                    ..wanted
                };
                api.update_anomaly_subscription(&wanted).await?;
            }
            (SubscriptionOp::Delete { arn }, _) => {
                api.delete_anomaly_subscription(arn).await?;
                subscription_arn = None;
            }
            // Planned only with a wanted subscription.
            (SubscriptionOp::Create | SubscriptionOp::Update { .. }, None) => {}
        }
        step.done();
    }
    if let [MonitorOp::Replace { old_arn }] = plan.monitor.ops.as_slice() {
        // The subscription points at the new monitor now; the old one can go.
        api.delete_anomaly_monitor(old_arn).await?;
    }
    // The monitor's step ends only now: a replaced one is done when its predecessor is gone.
    if let Some(step) = monitor_step {
        step.done();
    }
    Ok((monitor_arn, subscription_arn))
}

async fn delete_subscription(
    api: &dyn CostApi,
    planned: &Planned<SubscriptionOp>,
    progress: &dyn Progress,
) -> Result<(), CostError> {
    let step = Step::start(progress, SUBSCRIPTION, Action::Delete);
    for op in &planned.ops {
        if let SubscriptionOp::Delete { arn } = op {
            api.delete_anomaly_subscription(arn).await?;
        }
    }
    step.done();
    Ok(())
}

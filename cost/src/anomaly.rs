//! Cost Anomaly Detection: the stack's monitor and its subscription, planned and applied
//! together because a replaced monitor is deleted only after the subscription points at its
//! successor. Their desired shape from the config, plan, apply and delete are here; observe is
//! the two account-wide listings, filtered by name (`module.rs`).

use crate::api::{AnomalyMonitor, AnomalySubscription, CostApi, Subscriber};
use crate::module::{CostObserved, CostTopic};
use crate::{subscriber_view, CostError, ACCOUNT_WIDE};
use baseline_core::config::AnomalyFrequency;
use baseline_core::resource::Step;
use baseline_core::write::create_unless_found;
use baseline_core::{Action, Change, Config, Progress, ProgressEvent};
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

/// The monitor's and the subscription's changes; nothing when anomaly detection is off.
pub(crate) fn changes(spec: Option<&AnomalySpec>, observed: &CostObserved) -> Vec<Change> {
    let Some(a) = spec else {
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
            Some(s) => subscription_deletion(s, observed),
            None => Change::noop(SUBSCRIPTION, "ce_anomaly_subscription"),
        }
        .with_note(a.no_subscription_note),
    };
    vec![monitor, subscription]
}

/// The deletes of what exists, subscription first (anomaly detection off, destroy).
pub(crate) fn deletions(observed: &CostObserved) -> Vec<Change> {
    let mut out = Vec::new();
    if let Some(s) = &observed.subscription {
        out.push(subscription_deletion(s, observed));
    }
    if let Some(m) = &observed.monitor {
        out.push(Change::delete(
            MONITOR,
            "ce_anomaly_monitor",
            &monitor_view(m),
        ));
    }
    out
}

/// Creates (or replaces) the monitor and converges the subscription onto it; returns their
/// ARNs.
pub(crate) async fn converge(
    api: &dyn CostApi,
    spec: &AnomalySpec,
    observed: &CostObserved,
    progress: &dyn Progress,
    tags: &BTreeMap<String, String>,
) -> Result<(String, Option<String>), CostError> {
    let replaced = monitor_replaced(spec, observed);
    let (monitor_arn, monitor_step) = match &observed.monitor {
        Some(m) if !replaced => (m.arn.clone(), None),
        _ => {
            let action = if replaced {
                Action::Replace
            } else {
                Action::Create
            };
            let step = Step::start(progress, MONITOR, action);
            let arn = create_unless_found(
                || api.create_anomaly_monitor(&spec.monitor, tags),
                || async {
                    let found = api.anomaly_monitors().await?;
                    Ok(found
                        .into_iter()
                        .find(|m| m.name == spec.monitor.name)
                        .map(|m| m.arn))
                },
            )
            .await?;
            step.exists(arn.clone());
            (arn, Some(step))
        }
    };
    let subscription_arn =
        converge_subscription(api, spec, observed, &monitor_arn, progress, tags).await?;
    if let (true, Some(old)) = (replaced, &observed.monitor) {
        // The subscription points at the new monitor now; the old one can go.
        api.delete_anomaly_monitor(&old.arn).await?;
    }
    // The monitor's step ends only now: a replaced one is done when its predecessor is gone.
    if let Some(step) = monitor_step {
        step.done();
    }
    Ok((monitor_arn, subscription_arn))
}

async fn converge_subscription(
    api: &dyn CostApi,
    spec: &AnomalySpec,
    observed: &CostObserved,
    monitor_arn: &str,
    progress: &dyn Progress,
    tags: &BTreeMap<String, String>,
) -> Result<Option<String>, CostError> {
    let Some(wanted) = &spec.subscription else {
        if let Some(s) = &observed.subscription {
            api.delete_anomaly_subscription(&s.arn).await?;
            progress.event(ProgressEvent::Gone {
                address: SUBSCRIPTION.into(),
            });
        }
        return Ok(None);
    };
    let mut wanted = wanted.clone();
    wanted.monitor_arns = vec![monitor_arn.to_owned()];
    let Some(have) = &observed.subscription else {
        let step = Step::start(progress, SUBSCRIPTION, Action::Create);
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
        step.done();
        return Ok(Some(arn));
    };
    wanted.arn = have.arn.clone();
    if subscription_change(spec, &wanted, observed).is_change()
        || have.monitor_arns != wanted.monitor_arns
    {
        let step = Step::start(progress, SUBSCRIPTION, Action::Update);
        api.update_anomaly_subscription(&wanted).await?;
        step.done();
    }
    Ok(Some(have.arn.clone()))
}

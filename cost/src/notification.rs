//! The budget's notifications (warning, critical, forecast) and their subscribers: the desired
//! ones from the config, their pairing with what exists, their plan (typed
//! [`NotificationOp`]s) and their execution. The budget
//! itself (and a first create, which makes the notifications with it) is `budget.rs`.

use crate::api::{CostApi, Notification, NotificationWithSubscribers, Subscriber};
use crate::module::{CostObserved, CostSpec};
use crate::{subscriber_view, CostError};
use baseline_core::resource::Planned;
use baseline_core::{Change, Config, Progress, ProgressEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// One desired notification of the budget, with the config role it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct WantedNotification {
    /// `warning`, `critical` or `forecast` (the address key).
    pub role: &'static str,
    /// The notification and its subscribers.
    pub notification: NotificationWithSubscribers,
}

/// The e-mail addresses every budget notification goes to.
fn main_addresses(c: &Config) -> Vec<String> {
    c.budget_notification_email
        .iter()
        .chain(&c.budget_notification_emails)
        .cloned()
        .collect()
}

fn subscribers(
    topic: Option<&str>,
    emails: impl IntoIterator<Item = String>,
) -> BTreeSet<Subscriber> {
    topic
        .map(Subscriber::sns)
        .into_iter()
        .chain(emails.into_iter().map(Subscriber::email))
        .collect()
}

/// The warning and critical (ACTUAL) and forecast (FORECASTED) notifications, each to the cost
/// topic (when there is one) and to its e-mail list plus the main addresses. A notification
/// with no subscriber at all is left out (Budgets requires at least one).
pub(crate) fn notifications(c: &Config, topic: Option<&str>) -> Vec<WantedNotification> {
    let main = main_addresses(c);
    [
        (
            "warning",
            "ACTUAL",
            c.budget_warning_threshold,
            &c.budget_warning_emails,
        ),
        (
            "critical",
            "ACTUAL",
            c.budget_critical_threshold,
            &c.budget_critical_emails,
        ),
        (
            "forecast",
            "FORECASTED",
            c.budget_forecast_threshold,
            &c.budget_forecast_emails,
        ),
    ]
    .into_iter()
    .filter_map(|(role, kind, threshold, emails)| {
        let subscribers = subscribers(topic, main.iter().chain(emails).cloned());
        (!subscribers.is_empty()).then(|| WantedNotification {
            role,
            notification: NotificationWithSubscribers {
                notification: Notification {
                    notification_type: kind.into(),
                    comparison_operator: "GREATER_THAN".into(),
                    threshold,
                    threshold_type: "PERCENTAGE".into(),
                },
                subscribers,
            },
        })
    })
    .collect()
}

/// How desired notifications map onto existing ones: `pairs[i]` is the index of the existing
/// notification that desired notification `i` converges (`None`: create it); `extra` are
/// existing notifications no desired one claims (delete them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    /// Per desired notification, the existing one it takes over.
    pub pairs: Vec<Option<usize>>,
    /// Existing notifications to delete.
    pub extra: Vec<usize>,
}

/// Exact matches first; then a desired notification takes over an unclaimed existing one of
/// the same type, so a changed threshold is one UpdateNotification, not a delete and a create
/// (which would also drop the subscribers' confirmation state).
pub fn pair(wanted: &[WantedNotification], existing: &[NotificationWithSubscribers]) -> Pairing {
    let mut claimed = vec![false; existing.len()];
    let mut pairs = vec![None; wanted.len()];
    for (i, w) in wanted.iter().enumerate() {
        if let Some(j) = (0..existing.len())
            .find(|j| !claimed[*j] && existing[*j].notification == w.notification.notification)
        {
            claimed[j] = true;
            pairs[i] = Some(j);
        }
    }
    for (i, w) in wanted.iter().enumerate() {
        if pairs[i].is_some() {
            continue;
        }
        if let Some(j) = (0..existing.len()).find(|j| {
            !claimed[*j]
                && existing[*j].notification.notification_type
                    == w.notification.notification.notification_type
        }) {
            claimed[j] = true;
            pairs[i] = Some(j);
        }
    }
    let extra = (0..existing.len()).filter(|j| !claimed[*j]).collect();
    Pairing { pairs, extra }
}

fn address(role: &str) -> String {
    format!("cost.budget_notification[\"{role}\"]")
}

/// An existing notification no desired one claims: named by its type and threshold.
fn extra_address(n: &NotificationWithSubscribers) -> String {
    format!(
        "cost.budget_notification[\"{}>{}\"]",
        n.notification.notification_type,
        crate::api::format_amount(n.notification.threshold)
    )
}

fn view(n: &NotificationWithSubscribers) -> Value {
    json!({
        "notification_type": n.notification.notification_type,
        "comparison_operator": n.notification.comparison_operator,
        "threshold": n.notification.threshold,
        "threshold_type": n.notification.threshold_type,
        "subscribers": subscriber_view(n.subscribers.iter().cloned()),
    })
}

/// One write on a notification, decided by [`plan`] and run by [`execute`]. Each carries what
/// it sends, so the op alone says the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum NotificationOp {
    /// Nothing to call: the budget's CreateBudget makes it with its subscribers.
    CreatedWithBudget,
    /// CreateNotification with its subscribers.
    Create {
        /// The notification.
        notification: Notification,
        /// Its subscribers.
        subscribers: BTreeSet<Subscriber>,
    },
    /// UpdateNotification: `from` is the existing notification's identity.
    Update {
        /// As it is.
        from: Notification,
        /// As wanted.
        to: Notification,
    },
    /// CreateSubscriber on the (updated) notification.
    Subscribe {
        /// The notification.
        notification: Notification,
        /// The subscriber added.
        subscriber: Subscriber,
    },
    /// DeleteSubscriber from the (updated) notification.
    Unsubscribe {
        /// The notification.
        notification: Notification,
        /// The subscriber removed.
        subscriber: Subscriber,
    },
    /// DeleteNotification of one no wanted notification claims.
    Delete {
        /// The notification.
        notification: Notification,
    },
}

/// The notifications' plans, after the budget's: each wanted one, the deletes of unclaimed
/// ones, then a note when one is left out.
pub(crate) fn plan(spec: &CostSpec, observed: &CostObserved) -> Vec<Planned<NotificationOp>> {
    let budget_exists = observed.budget.is_some();
    let existing = if budget_exists {
        observed.notifications.as_slice()
    } else {
        &[]
    };
    let pairing = pair(&spec.notifications, existing);
    let mut plans = Vec::new();
    for (w, paired) in spec.notifications.iter().zip(&pairing.pairs) {
        let have = paired.map(|j| &existing[j]);
        let change = Change::converge(
            address(w.role),
            "budget_notification",
            have.map(view).as_ref(),
            &view(&w.notification),
            &[],
        );
        let wanted = &w.notification;
        let ops = match have {
            _ if !change.is_change() => Vec::new(),
            None if budget_exists => vec![NotificationOp::Create {
                notification: wanted.notification.clone(),
                subscribers: wanted.subscribers.clone(),
            }],
            None => vec![NotificationOp::CreatedWithBudget],
            Some(have) => {
                let to = &wanted.notification;
                let update = (have.notification != *to).then(|| NotificationOp::Update {
                    from: have.notification.clone(),
                    to: to.clone(),
                });
                let subscribe = wanted.subscribers.difference(&have.subscribers).map(|s| {
                    NotificationOp::Subscribe {
                        notification: to.clone(),
                        subscriber: s.clone(),
                    }
                });
                let unsubscribe = have.subscribers.difference(&wanted.subscribers).map(|s| {
                    NotificationOp::Unsubscribe {
                        notification: to.clone(),
                        subscriber: s.clone(),
                    }
                });
                update
                    .into_iter()
                    .chain(subscribe)
                    .chain(unsubscribe)
                    .collect()
            }
        };
        plans.push(Planned::new(change, ops));
    }
    plans.extend(pairing.extra.iter().map(|j| {
        let n = &existing[*j];
        Planned::new(
            Change::delete(extra_address(n), "budget_notification", &view(n)),
            vec![NotificationOp::Delete {
                notification: n.notification.clone(),
            }],
        )
    }));
    if spec.notifications.len() < 3 {
        plans.push(Planned::noop(
            Change::noop("cost.budget_notification", "budget_notification").with_note(
                "a notification with no cost topic and no e-mail address is not created: set budget_notification_email(s)",
            ),
        ));
    }
    plans
}

/// Runs the notifications' planned ops on the budget `budget`: the deletes first (a wanted
/// notification may take the identity, type and threshold, of one being deleted), then the
/// others in the plan's order.
pub(crate) async fn execute(
    api: &dyn CostApi,
    spec: &CostSpec,
    budget: &str,
    plans: &[Planned<NotificationOp>],
    progress: &dyn Progress,
) -> Result<(), CostError> {
    let acct = spec.account_id.as_str();
    let mut ordered: Vec<&Planned<NotificationOp>> = plans.iter().collect();
    ordered.sort_by_key(|p| !matches!(p.ops.first(), Some(NotificationOp::Delete { .. })));
    for planned in ordered {
        if planned.ops == [NotificationOp::CreatedWithBudget] || !planned.is_change() {
            continue;
        }
        let (address, action) = (&planned.change.address, planned.change.action);
        // Started/Finished, also for a delete: a notification's delete is not a resource gone.
        progress.event(ProgressEvent::Started {
            address: address.clone(),
            action,
        });
        for op in &planned.ops {
            match op {
                NotificationOp::CreatedWithBudget => {}
                NotificationOp::Create {
                    notification,
                    subscribers,
                } => {
                    let n = NotificationWithSubscribers {
                        notification: notification.clone(),
                        subscribers: subscribers.clone(),
                    };
                    api.create_notification(acct, budget, &n).await?;
                }
                NotificationOp::Update { from, to } => {
                    api.update_notification(acct, budget, from, to).await?;
                }
                NotificationOp::Subscribe {
                    notification,
                    subscriber,
                } => {
                    api.create_subscriber(acct, budget, notification, subscriber)
                        .await?;
                }
                NotificationOp::Unsubscribe {
                    notification,
                    subscriber,
                } => {
                    api.delete_subscriber(acct, budget, notification, subscriber)
                        .await?;
                }
                NotificationOp::Delete { notification } => {
                    api.delete_notification(acct, budget, notification).await?;
                }
            }
        }
        progress.event(ProgressEvent::Finished {
            address: address.clone(),
            action,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;

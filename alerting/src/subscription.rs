//! Subscriptions of one topic, converged both ways. Pure: the config's subscriptions (by name)
//! are matched with what ListSubscriptionsByTopic lists, by protocol and endpoint (SNS keeps one
//! subscription per topic, protocol and endpoint), giving one [`SubscriptionStep`] each.
//!
//! SNS lists a subscription whose endpoint has not confirmed (e-mail, HTTP/S, cross-account) with
//! the ARN `PendingConfirmation`. Such a subscription is never subscribed again (that would send
//! the confirmation message again on every apply) and cannot be unsubscribed by ARN; SNS deletes
//! it by itself when it stays unconfirmed (three days for e-mail).

use crate::api::{SnsApi, SubscriptionInfo, PENDING_CONFIRMATION};
use crate::AlertingError;
use baseline_core::config::{Subscription, SubscriptionProtocol};
use baseline_core::resource::{Planned, Step};
use baseline_core::{Change, Progress};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

const RESOURCE: &str = "sns_subscription";

/// Note on a configured subscription that waits for its endpoint's confirmation.
pub(crate) const PENDING_NOTE: &str =
    "pending confirmation: the endpoint has not confirmed yet; not subscribed again (that would re-send the confirmation)";

/// Note on a pending subscription that is no longer in the config.
pub(crate) const PENDING_UNMANAGED_NOTE: &str = "pending confirmation and not in the config: SNS cannot unsubscribe a pending subscription; it expires unless confirmed (e-mail: after 3 days), apply removes it once confirmed";

/// What to do about one subscription of a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubscriptionStep {
    /// In the config and confirmed.
    Keep { name: String, arn: String },
    /// In the config and waiting for confirmation.
    Pending { name: String },
    /// In the config, missing.
    Subscribe {
        name: String,
        protocol: String,
        endpoint: String,
    },
    /// Confirmed but not in the config.
    Unsubscribe {
        arn: String,
        protocol: String,
        endpoint: String,
    },
    /// Pending and not in the config: left alone.
    PendingUnmanaged { protocol: String, endpoint: String },
}

/// True when the listed subscription is the configured one. E-mail addresses are compared
/// without case (SNS delivers to the mailbox whatever the case); other endpoints exactly.
fn same(wanted: &Subscription, listed: &SubscriptionInfo) -> bool {
    if wanted.protocol.as_str() != listed.protocol {
        return false;
    }
    match wanted.protocol {
        SubscriptionProtocol::Email | SubscriptionProtocol::EmailJson => {
            wanted.endpoint.eq_ignore_ascii_case(&listed.endpoint)
        }
        _ => wanted.endpoint == listed.endpoint,
    }
}

fn is_pending(listed: &SubscriptionInfo) -> bool {
    listed.arn == PENDING_CONFIRMATION
}

/// Matches the config with what exists: one step per configured subscription, then one per
/// listed subscription nobody configured. Subscriptions SNS is deleting (`Deleted`) are ignored.
pub(crate) fn plan(
    wanted: &BTreeMap<String, Subscription>,
    listed: &[SubscriptionInfo],
) -> Vec<SubscriptionStep> {
    let listed: Vec<&SubscriptionInfo> = listed.iter().filter(|s| s.arn != "Deleted").collect();
    let mut steps = Vec::new();
    for (name, sub) in wanted {
        let step = match listed.iter().find(|l| same(sub, l)) {
            Some(l) if is_pending(l) => SubscriptionStep::Pending { name: name.clone() },
            Some(l) => SubscriptionStep::Keep {
                name: name.clone(),
                arn: l.arn.clone(),
            },
            None => SubscriptionStep::Subscribe {
                name: name.clone(),
                protocol: sub.protocol.as_str().to_owned(),
                endpoint: sub.endpoint.clone(),
            },
        };
        steps.push(step);
    }
    for l in listed
        .iter()
        .filter(|l| !wanted.values().any(|w| same(w, l)))
    {
        steps.push(if is_pending(l) {
            SubscriptionStep::PendingUnmanaged {
                protocol: l.protocol.clone(),
                endpoint: l.endpoint.clone(),
            }
        } else {
            SubscriptionStep::Unsubscribe {
                arn: l.arn.clone(),
                protocol: l.protocol.clone(),
                endpoint: l.endpoint.clone(),
            }
        });
    }
    steps
}

/// `alerting.subscription["<topic>/<name>"]`; subscriptions not in the config are named by
/// `<protocol>:<endpoint>`.
pub(crate) fn address(topic_key: &str, name: &str) -> String {
    format!("alerting.subscription[\"{topic_key}/{name}\"]")
}

pub(crate) fn unmanaged_name(protocol: &str, endpoint: &str) -> String {
    format!("{protocol}:{endpoint}")
}

/// The plan entry of one step.
pub(crate) fn change(
    topic_key: &str,
    topic_name: &str,
    wanted: &BTreeMap<String, Subscription>,
    step: &SubscriptionStep,
) -> Change {
    let view = |protocol: &str, endpoint: &str| json!({"topic": topic_name, "protocol": protocol, "endpoint": endpoint});
    match step {
        SubscriptionStep::Keep { name, .. } => Change::noop(address(topic_key, name), RESOURCE),
        SubscriptionStep::Pending { name } => {
            Change::noop(address(topic_key, name), RESOURCE).with_note(PENDING_NOTE)
        }
        SubscriptionStep::Subscribe {
            name,
            protocol,
            endpoint,
        } => {
            let change = Change::create(
                address(topic_key, name),
                RESOURCE,
                &view(protocol, endpoint),
            );
            match wanted.get(name).map(|s| s.protocol) {
                Some(
                    SubscriptionProtocol::Email
                    | SubscriptionProtocol::EmailJson
                    | SubscriptionProtocol::Http
                    | SubscriptionProtocol::Https,
                ) => change.with_note(
                    "the endpoint must confirm the subscription before it receives alerts",
                ),
                _ => change,
            }
        }
        SubscriptionStep::Unsubscribe {
            arn,
            protocol,
            endpoint,
        } => {
            let mut before = view(protocol, endpoint);
            before["subscription_arn"] = json!(arn);
            Change::delete(
                address(topic_key, &unmanaged_name(protocol, endpoint)),
                RESOURCE,
                &before,
            )
            .with_note("not in the config (added by hand or removed from the config)")
        }
        SubscriptionStep::PendingUnmanaged { protocol, endpoint } => Change::noop(
            address(topic_key, &unmanaged_name(protocol, endpoint)),
            RESOURCE,
        )
        .with_note(PENDING_UNMANAGED_NOTE),
    }
}

/// One write on a subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SubscriptionOp {
    /// `Subscribe`.
    Subscribe {
        /// SNS protocol.
        protocol: String,
        /// Endpoint.
        endpoint: String,
    },
    /// `Unsubscribe` (a confirmed subscription).
    Unsubscribe {
        /// Subscription ARN.
        arn: String,
    },
    /// Nothing to call: a pending subscription goes with its topic.
    RemovedWithTopic,
}

/// The plan of every subscription of one topic: each change with the operation that makes it.
pub(crate) fn planned(
    topic_key: &str,
    topic_name: &str,
    wanted: &BTreeMap<String, Subscription>,
    listed: &[SubscriptionInfo],
) -> Vec<Planned<SubscriptionOp>> {
    plan(wanted, listed)
        .into_iter()
        .map(|step| {
            let change = change(topic_key, topic_name, wanted, &step);
            match step {
                SubscriptionStep::Subscribe {
                    protocol, endpoint, ..
                } => Planned::new(
                    change,
                    vec![SubscriptionOp::Subscribe { protocol, endpoint }],
                ),
                SubscriptionStep::Unsubscribe { arn, .. } => {
                    Planned::new(change, vec![SubscriptionOp::Unsubscribe { arn }])
                }
                SubscriptionStep::Keep { .. }
                | SubscriptionStep::Pending { .. }
                | SubscriptionStep::PendingUnmanaged { .. } => Planned::noop(change),
            }
        })
        .collect()
}

/// The subscriptions of a topic being deleted: confirmed ones are unsubscribed, pending ones
/// (SNS cannot unsubscribe them) go with the topic.
pub(crate) fn planned_deletion(
    topic_key: &str,
    topic_name: &str,
    listed: &[SubscriptionInfo],
) -> Vec<Planned<SubscriptionOp>> {
    listed
        .iter()
        .filter(|s| s.arn != "Deleted")
        .map(|s| {
            let view = json!({"topic": topic_name, "protocol": s.protocol, "endpoint": s.endpoint, "subscription_arn": s.arn});
            let change = Change::delete(
                address(topic_key, &unmanaged_name(&s.protocol, &s.endpoint)),
                RESOURCE,
                &view,
            );
            if is_pending(s) {
                Planned::new(
                    change.with_note("pending confirmation: removed with its topic (SNS cannot unsubscribe it by itself)"),
                    vec![SubscriptionOp::RemovedWithTopic],
                )
            } else {
                Planned::new(change, vec![SubscriptionOp::Unsubscribe { arn: s.arn.clone() }])
            }
        })
        .collect()
}

/// Runs one subscription's planned operations on the topic `topic_arn`.
pub(crate) async fn execute(
    api: &impl SnsApi,
    topic_arn: &str,
    planned: &Planned<SubscriptionOp>,
    progress: &dyn Progress,
) -> Result<(), AlertingError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    for op in &planned.ops {
        match op {
            SubscriptionOp::Subscribe { protocol, endpoint } => {
                step.exists(api.subscribe(topic_arn, protocol, endpoint).await?);
            }
            SubscriptionOp::Unsubscribe { arn } => match api.unsubscribe(arn).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            },
            SubscriptionOp::RemovedWithTopic => {}
        }
    }
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

//! The alerting module: wires the topics (`topic.rs`), their policies (`topic_policy.rs`) and
//! subscriptions (`subscription.rs`); each file plans its resource kind and executes that plan.
//!
//! Topics are found by their deterministic ARN (`<prefix>-<key>` in this account and region),
//! so a crash between any two calls is repaired by the next run: CreateTopic is only called for
//! a topic that does not exist, and every other write is made only when the observed value
//! differs. The three topics converge concurrently; within a topic the order is topic, policy,
//! subscriptions.

use crate::api::{SdkSnsApi, SnsApi};
use crate::subscription::{self, SubscriptionOp};
use crate::topic::{
    self, ObservedTopic, SnsTopic, TopicEncryption, TopicOp, TopicSpec, TOPIC_KEYS, TOPIC_NAME_MAX,
};
use crate::topic_policy::{
    self, topic_policy, with_cost_publishers, PolicyOp, SnsTopicPolicy, TopicPolicyContext,
};
use crate::AlertingError;
use async_trait::async_trait;
use baseline_core::event_rules;
use baseline_core::ids::{KmsKeyArn, TopicArn};
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::reconcile::{FromUpstream, Upstream};
use baseline_core::resource::{without_reserved_tags, Planned, ResourceKind};
use baseline_core::{AwsContext, Change, Config, DestroyOptions, Module, Progress};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Upstream values the module needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertingInputs {
    /// The stack's KMS key (encryption's `kms_key_arn`); `None` while it is still to be created.
    pub kms_key_arn: Option<KmsKeyArn>,
}

impl FromUpstream for AlertingInputs {
    const UPSTREAM: &'static [&'static str] = &["encryption"];
    fn from_upstream(upstream: &Upstream) -> Result<Self, serde_json::Error> {
        Ok(Self {
            kms_key_arn: upstream.field("encryption", "kms_key_arn")?,
        })
    }
}

/// Desired topics.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertingSpec {
    /// `enable_alerting`: when false, every topic of the stack is to be deleted.
    pub enabled: bool,
    /// The three topics, in [`TOPIC_KEYS`] order. Present also when disabled: observe looks them
    /// up by name to find what is left to delete.
    pub topics: Vec<TopicSpec>,
    /// Keys of topics not wanted although alerting is on (`cost` when
    /// `enable_cost_alerting = false`, as in the original): deleted when they exist.
    pub retired: BTreeSet<String>,
    /// Stack name, the value of the stack tag.
    pub stack: String,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlertingObserved {
    /// Existing topics of the stack, by key (`critical`, ...).
    pub topics: BTreeMap<String, ObservedTopic>,
}

/// What downstream modules (monitoring) and users get.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertingOutputs {
    /// Topic ARNs keyed `critical`, `performance`, `cost`; empty when `enable_alerting = false`.
    pub topic_arns: BTreeMap<String, TopicArn>,
}

/// The alerting module.
pub struct AlertingModule<A = SdkSnsApi> {
    api: A,
    ctx: AwsContext,
}

impl AlertingModule<SdkSnsApi> {
    /// The module over the SDK client built from `ctx`.
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            api: SdkSnsApi::new(ctx),
            ctx: ctx.clone(),
        }
    }
}

fn subscriptions_of<'a>(
    config: &'a Config,
    key: &str,
) -> &'a BTreeMap<String, baseline_core::config::Subscription> {
    match key {
        "critical" => &config.critical_alert_subscriptions,
        "performance" => &config.performance_alert_subscriptions,
        _ => &config.cost_alert_subscriptions,
    }
}

/// The plans of one topic and of what hangs off it (policy, subscriptions).
struct TopicPlan {
    topic: Planned<TopicOp>,
    policy: Planned<PolicyOp>,
    subscriptions: Vec<Planned<SubscriptionOp>>,
    deleting: bool,
}

impl TopicPlan {
    fn converge(t: &TopicSpec, o: Option<&ObservedTopic>) -> Self {
        let listed = o.map(|o| o.subscriptions.as_slice()).unwrap_or_default();
        Self {
            topic: SnsTopic::plan(&topic::address(&t.key), t, o),
            policy: SnsTopicPolicy::plan(&topic_policy::address(&t.key), t, o),
            subscriptions: subscription::planned(&t.key, &t.name, &t.subscriptions, listed),
            deleting: false,
        }
    }

    fn delete(t: &TopicSpec, o: &ObservedTopic) -> Self {
        Self {
            topic: SnsTopic::plan_delete(t, o),
            policy: SnsTopicPolicy::plan_delete(t, o),
            subscriptions: subscription::planned_deletion(&t.key, &t.name, &o.subscriptions),
            deleting: true,
        }
    }

    /// In the order they run: topic, policy, subscriptions; for a delete the reverse.
    fn changes(self) -> Vec<Change> {
        let subscriptions = self.subscriptions.into_iter().map(Planned::shown);
        if self.deleting {
            subscriptions
                .chain([self.policy.shown(), self.topic.shown()])
                .collect()
        } else {
            [self.topic.shown(), self.policy.shown()]
                .into_iter()
                .chain(subscriptions)
                .collect()
        }
    }
}

/// Every topic's plan: converge what is wanted, delete what exists and is not (alerting off, a
/// retired topic).
fn plans<'a>(
    spec: &'a AlertingSpec,
    observed: &AlertingObserved,
    destroying: bool,
) -> Vec<(&'a TopicSpec, TopicPlan)> {
    spec.topics
        .iter()
        .filter_map(|t| {
            let o = observed.topics.get(&t.key);
            if destroying || !spec.enabled || spec.retired.contains(&t.key) {
                o.map(|o| (t, TopicPlan::delete(t, o)))
            } else {
                Some((t, TopicPlan::converge(t, o)))
            }
        })
        .collect()
}

impl<A: SnsApi> AlertingModule<A> {
    /// The module over any [`SnsApi`] (mocks, clients with test interceptors).
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        Self {
            api,
            ctx: ctx.clone(),
        }
    }

    async fn observe_topic(
        &self,
        spec: &AlertingSpec,
        t: &TopicSpec,
    ) -> Result<Option<ObservedTopic>, AlertingError> {
        let Some(attributes) = self.api.topic_attributes(&t.arn).await? else {
            return Ok(None);
        };
        // Tags and subscriptions are independent reads of the found topic: one round (a foreign
        // topic's subscriptions are read for nothing, a read on an error path). The owner check
        // comes first, as when the tags were read alone.
        let (tags, subscriptions) =
            tokio::join!(self.api.topic_tags(&t.arn), self.api.subscriptions(&t.arn));
        let tags = without_reserved_tags(tags?);
        if let Some(owner) = tags.get(STACK_TAG).filter(|s| **s != spec.stack) {
            return Err(AlertingError::ForeignTopic {
                name: t.name.clone(),
                owner: owner.clone(),
                stack: spec.stack.clone(),
            });
        }
        let subscriptions = subscriptions?;
        Ok(Some(ObservedTopic {
            arn: attributes
                .get("TopicArn")
                .cloned()
                .unwrap_or_else(|| t.arn.clone()),
            kms_master_key_id: attributes
                .get("KmsMasterKeyId")
                .filter(|k| !k.is_empty())
                .cloned(),
            policy: attributes
                .get("Policy")
                .and_then(|p| PolicyDocument::parse(p).ok()),
            tags,
            subscriptions,
        }))
    }

    /// Runs one topic's plans; returns its ARN. A topic being deleted loses its confirmed
    /// subscriptions first (pending ones cannot be unsubscribed and go with the topic).
    async fn execute_topic(
        &self,
        t: &TopicSpec,
        o: Option<&ObservedTopic>,
        plan: &TopicPlan,
        progress: &dyn Progress,
    ) -> Result<String, AlertingError> {
        if plan.deleting {
            let (unsubscribe, with_topic): (Vec<_>, Vec<_>) = plan
                .subscriptions
                .iter()
                .partition(|p| !p.ops.contains(&SubscriptionOp::RemovedWithTopic));
            let arn = o.map_or_else(|| t.arn.clone(), |o| o.arn.clone());
            for s in unsubscribe {
                subscription::execute(&self.api, &arn, s, progress).await?;
            }
            topic::execute(&self.api, t, o, &plan.topic, progress).await?;
            topic_policy::execute(&self.api, &arn, t, &plan.policy, progress).await?;
            for s in with_topic {
                subscription::execute(&self.api, &arn, s, progress).await?;
            }
            return Ok(arn);
        }
        let arn = topic::execute(&self.api, t, o, &plan.topic, progress).await?;
        topic_policy::execute(&self.api, &arn, t, &plan.policy, progress).await?;
        // A topic's subscriptions are independent of each other: one round.
        futures::future::try_join_all(
            plan.subscriptions
                .iter()
                .map(|s| subscription::execute(&self.api, &arn, s, progress)),
        )
        .await?;
        Ok(arn)
    }

    async fn execute_all(
        &self,
        plans: &[(&TopicSpec, TopicPlan)],
        observed: &AlertingObserved,
        progress: &dyn Progress,
    ) -> Result<Vec<String>, AlertingError> {
        futures::future::try_join_all(
            plans
                .iter()
                .map(|(t, p)| self.execute_topic(t, observed.topics.get(&t.key), p, progress)),
        )
        .await
    }
}

#[async_trait]
impl<A: SnsApi> Module for AlertingModule<A> {
    type Inputs = AlertingInputs;
    type Spec = AlertingSpec;
    type Observed = AlertingObserved;
    type Outputs = AlertingOutputs;
    type Error = AlertingError;

    fn name(&self) -> &'static str {
        "alerting"
    }

    fn spec(
        &self,
        config: &Config,
        inputs: &AlertingInputs,
    ) -> Result<AlertingSpec, AlertingError> {
        let naming = self.ctx.naming();
        let topics = TOPIC_KEYS
            .iter()
            .map(|key| {
                let name = naming.name(key, TOPIC_NAME_MAX);
                let arn = self.ctx.arn("sns", &name);
                let policy_ctx = TopicPolicyContext {
                    partition: self.ctx.partition().to_owned(),
                    account_id: self.ctx.account_id().to_owned(),
                    region: self.ctx.region().to_owned(),
                    prefix: naming.stack().to_owned(),
                    topic_arn: arn.clone(),
                    publishers: config.sns_topic_principals.clone(),
                    event_rule_arns: event_rules::publishing_rule_arns(
                        config,
                        naming,
                        (
                            self.ctx.partition(),
                            self.ctx.region(),
                            self.ctx.account_id(),
                        ),
                        Some(key),
                    ),
                };
                let mut policy = topic_policy(&policy_ctx);
                if *key == "cost" {
                    // The cost module's budgets and anomaly subscription publish here.
                    policy = with_cost_publishers(policy, &policy_ctx);
                }
                TopicSpec {
                    key: (*key).to_owned(),
                    name,
                    arn,
                    encryption: if config.enable_sns_encryption {
                        TopicEncryption::Key(inputs.kms_key_arn.clone())
                    } else {
                        TopicEncryption::Off
                    },
                    policy,
                    tags: naming.tags("alerting"),
                    subscriptions: subscriptions_of(config, key).clone(),
                }
            })
            .collect();
        Ok(AlertingSpec {
            enabled: config.enable_alerting,
            topics,
            retired: if config.enable_cost_alerting {
                BTreeSet::new()
            } else {
                BTreeSet::from(["cost".to_owned()])
            },
            stack: naming.stack().to_owned(),
        })
    }

    async fn observe(&self, spec: &AlertingSpec) -> Result<AlertingObserved, AlertingError> {
        let found =
            futures::future::try_join_all(spec.topics.iter().map(|t| self.observe_topic(spec, t)))
                .await?;
        let topics = spec
            .topics
            .iter()
            .zip(found)
            .filter_map(|(t, o)| o.map(|o| (t.key.clone(), o)))
            .collect();
        Ok(AlertingObserved { topics })
    }

    /// Observe looks the topics up by their ARNs and checks their stack tag; the upstream key
    /// only shapes what is written.
    fn observes_alike(
        &self,
        before: &AlertingSpec,
        now: &AlertingSpec,
        _: &AlertingObserved,
    ) -> bool {
        before.stack == now.stack
            && before
                .topics
                .iter()
                .map(|t| (&t.key, &t.arn))
                .eq(now.topics.iter().map(|t| (&t.key, &t.arn)))
    }

    fn diff(&self, spec: &AlertingSpec, observed: &AlertingObserved) -> Vec<Change> {
        plans(spec, observed, false)
            .into_iter()
            .flat_map(|(_, p)| p.changes())
            .collect()
    }

    fn planned_outputs(
        &self,
        spec: &AlertingSpec,
        observed: &AlertingObserved,
    ) -> Option<AlertingOutputs> {
        if !spec.enabled {
            return Some(AlertingOutputs::default());
        }
        let topic_arns = spec
            .topics
            .iter()
            .filter(|t| !spec.retired.contains(&t.key))
            .map(|t| {
                observed
                    .topics
                    .get(&t.key)
                    .map(|o| (t.key.clone(), TopicArn(o.arn.clone())))
            })
            .collect::<Option<BTreeMap<_, _>>>()?;
        Some(AlertingOutputs { topic_arns })
    }

    async fn apply(
        &self,
        spec: &AlertingSpec,
        observed: &AlertingObserved,
        progress: &dyn Progress,
    ) -> Result<AlertingOutputs, AlertingError> {
        let plans = plans(spec, observed, false);
        // Refuse before any write rather than leave some topics converged and others not.
        if let Some((t, _)) = plans
            .iter()
            .find(|(t, p)| !p.deleting && t.encryption == TopicEncryption::Key(None))
        {
            return Err(AlertingError::MissingKmsKey {
                topic: t.name.clone(),
            });
        }
        let arns = self.execute_all(&plans, observed, progress).await?;
        let topic_arns = plans
            .iter()
            .zip(arns)
            .filter(|((_, p), _)| !p.deleting)
            .map(|((t, _), arn)| (t.key.clone(), TopicArn(arn)))
            .collect();
        Ok(AlertingOutputs { topic_arns })
    }

    fn destroy_plan(
        &self,
        spec: &AlertingSpec,
        observed: &AlertingObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        plans(spec, observed, true)
            .into_iter()
            .flat_map(|(_, p)| p.changes())
            .collect()
    }

    async fn destroy(
        &self,
        spec: &AlertingSpec,
        observed: &AlertingObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), AlertingError> {
        self.execute_all(&plans(spec, observed, true), observed, progress)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! The reconcile steps for the alert topics, their policies and subscriptions.
//!
//! Topics are found by their deterministic ARN (`<prefix>-<key>` in this account and region),
//! so a crash between any two calls is repaired by the next run: CreateTopic is only called for
//! a topic that does not exist, and every other write is made only when the observed value
//! differs. The three topics converge concurrently; within a topic the order is topic, policy,
//! subscriptions.

use crate::api::{SdkSnsApi, SnsApi, PENDING_CONFIRMATION};
use crate::subscription::{self, SubscriptionStep};
use crate::topic::{
    desired_topic_view, observed_topic_view, policy_view, topic_policy, with_cost_publishers,
    ObservedTopic, TopicEncryption, TopicPolicyContext, TopicSpec, TOPIC_KEYS, TOPIC_NAME_MAX,
};
use crate::AlertingError;
use async_trait::async_trait;
use baseline_core::event_rules;
use baseline_core::ids::{KmsKeyArn, TopicArn};
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::reconcile::{FromUpstream, Upstream};
use baseline_core::{
    Action, AwsContext, Change, Config, DestroyOptions, Module, Progress, ProgressEvent,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const TOPIC: &str = "sns_topic";
const TOPIC_POLICY: &str = "sns_topic_policy";
const SUBSCRIPTION: &str = "sns_subscription";

/// Note on every topic while `enable_sns_encryption` is off.
const UNENCRYPTED_NOTE: &str =
    "not encrypted: enable_sns_encryption = false (the default, as in the original module, is true: alerts may carry account details)";

fn topic_address(key: &str) -> String {
    format!("alerting.topic[\"{key}\"]")
}

fn policy_address(key: &str) -> String {
    format!("alerting.topic_policy[\"{key}\"]")
}

/// Upstream values the module needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertingInputs {
    /// The stack's KMS key (encryption's `kms_key_arn`); `None` while it is still to be created.
    pub kms_key_arn: Option<KmsKeyArn>,
}

impl FromUpstream for AlertingInputs {
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

fn topic_change(t: &TopicSpec, observed: Option<&ObservedTopic>) -> Change {
    let address = topic_address(&t.key);
    let before = observed.map(|o| observed_topic_view(&t.name, o));
    let change = Change::converge(address, TOPIC, before.as_ref(), &desired_topic_view(t), &[]);
    if t.encryption == TopicEncryption::Off {
        change.with_note(UNENCRYPTED_NOTE)
    } else {
        change
    }
}

/// Compared as parsed values, statements in Sid order: a policy re-ordered by hand or by AWS
/// grants the same.
fn policy_matches(t: &TopicSpec, o: &ObservedTopic) -> bool {
    let canonical = |p: &PolicyDocument| {
        let mut p = p.normalized();
        p.statement.sort_by(|a, b| a.sid.cmp(&b.sid));
        p
    };
    o.policy
        .as_ref()
        .is_some_and(|p| canonical(p) == canonical(&t.policy))
}

fn policy_change(t: &TopicSpec, observed: Option<&ObservedTopic>) -> Change {
    let address = policy_address(&t.key);
    match observed {
        None => Change::create(
            address,
            TOPIC_POLICY,
            &policy_view(&t.name, Some(&t.policy)),
        ),
        Some(o) if policy_matches(t, o) => Change::noop(address, TOPIC_POLICY),
        Some(o) => Change::compare(
            address,
            TOPIC_POLICY,
            &policy_view(&t.name, o.policy.as_ref()),
            &policy_view(&t.name, Some(&t.policy)),
            &[],
        ),
    }
}

/// The deletes of one existing topic: its subscriptions, its policy, the topic.
fn deletion_changes(t: &TopicSpec, o: &ObservedTopic) -> Vec<Change> {
    let mut changes: Vec<Change> = o
        .subscriptions
        .iter()
        .filter(|s| s.arn != "Deleted")
        .map(|s| {
            let view = json!({"topic": t.name, "protocol": s.protocol, "endpoint": s.endpoint, "subscription_arn": s.arn});
            let address = subscription::address(&t.key, &subscription::unmanaged_name(&s.protocol, &s.endpoint));
            let change = Change::delete(address, SUBSCRIPTION, &view);
            if s.arn == PENDING_CONFIRMATION {
                change.with_note("pending confirmation: removed with its topic (SNS cannot unsubscribe it by itself)")
            } else {
                change
            }
        })
        .collect();
    changes.push(Change::delete(
        policy_address(&t.key),
        TOPIC_POLICY,
        &policy_view(&t.name, o.policy.as_ref()),
    ));
    changes.push(Change::delete(
        topic_address(&t.key),
        TOPIC,
        &observed_topic_view(&t.name, o),
    ));
    changes
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
        let mut tags = self.api.topic_tags(&t.arn).await?;
        tags.retain(|k, _| !k.starts_with("aws:"));
        if let Some(owner) = tags.get(STACK_TAG).filter(|s| **s != spec.stack) {
            return Err(AlertingError::ForeignTopic {
                name: t.name.clone(),
                owner: owner.clone(),
                stack: spec.stack.clone(),
            });
        }
        let subscriptions = self.api.subscriptions(&t.arn).await?;
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

    /// Converges one topic; returns its ARN.
    async fn apply_topic(
        &self,
        t: &TopicSpec,
        observed: Option<&ObservedTopic>,
        progress: &dyn Progress,
    ) -> Result<String, AlertingError> {
        let address = topic_address(&t.key);
        let key = match &t.encryption {
            TopicEncryption::Off => None,
            TopicEncryption::Key(Some(k)) => Some(k.as_str()),
            TopicEncryption::Key(None) => {
                return Err(AlertingError::MissingKmsKey {
                    topic: t.name.clone(),
                })
            }
        };
        let arn = match observed {
            None => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Create,
                });
                let attributes: BTreeMap<String, String> = key
                    .map(|k| BTreeMap::from([("KmsMasterKeyId".to_owned(), k.to_owned())]))
                    .unwrap_or_default();
                let arn = self.api.create_topic(&t.name, &attributes, &t.tags).await?;
                progress.event(ProgressEvent::Exists {
                    address: address.clone(),
                    id: arn.clone(),
                });
                progress.event(ProgressEvent::Finished {
                    address: address.clone(),
                    action: Action::Create,
                });
                arn
            }
            Some(o) => {
                let change = topic_change(t, Some(o));
                if change.is_change() {
                    progress.event(ProgressEvent::Started {
                        address: address.clone(),
                        action: Action::Update,
                    });
                    if o.kms_master_key_id.as_deref() != key {
                        // An empty KmsMasterKeyId turns server-side encryption off.
                        self.api
                            .set_topic_attribute(&o.arn, "KmsMasterKeyId", key.unwrap_or_default())
                            .await?;
                    }
                    let stale: Vec<String> = o
                        .tags
                        .keys()
                        .filter(|k| !t.tags.contains_key(*k))
                        .cloned()
                        .collect();
                    if !stale.is_empty() {
                        self.api.untag_topic(&o.arn, &stale).await?;
                    }
                    let missing: BTreeMap<String, String> = t
                        .tags
                        .iter()
                        .filter(|(k, v)| o.tags.get(*k) != Some(v))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    if !missing.is_empty() {
                        self.api.tag_topic(&o.arn, &missing).await?;
                    }
                    progress.event(ProgressEvent::Finished {
                        address: address.clone(),
                        action: Action::Update,
                    });
                }
                o.arn.clone()
            }
        };

        if !observed.is_some_and(|o| policy_matches(t, o)) {
            let address = policy_address(&t.key);
            let action = if observed.is_some() {
                Action::Update
            } else {
                Action::Create
            };
            progress.event(ProgressEvent::Started {
                address: address.clone(),
                action,
            });
            self.api
                .set_topic_attribute(&arn, "Policy", &t.policy.to_json())
                .await?;
            progress.event(ProgressEvent::Exists {
                address: address.clone(),
                id: arn.clone(),
            });
            progress.event(ProgressEvent::Finished { address, action });
        }

        let listed = observed
            .map(|o| o.subscriptions.as_slice())
            .unwrap_or_default();
        for step in subscription::plan(&t.subscriptions, listed) {
            match step {
                SubscriptionStep::Subscribe {
                    name,
                    protocol,
                    endpoint,
                } => {
                    let address = subscription::address(&t.key, &name);
                    progress.event(ProgressEvent::Started {
                        address: address.clone(),
                        action: Action::Create,
                    });
                    let sub_arn = self.api.subscribe(&arn, &protocol, &endpoint).await?;
                    progress.event(ProgressEvent::Exists {
                        address: address.clone(),
                        id: sub_arn,
                    });
                    progress.event(ProgressEvent::Finished {
                        address,
                        action: Action::Create,
                    });
                }
                SubscriptionStep::Unsubscribe {
                    arn: sub_arn,
                    protocol,
                    endpoint,
                } => {
                    let address = subscription::address(
                        &t.key,
                        &subscription::unmanaged_name(&protocol, &endpoint),
                    );
                    self.unsubscribe(&address, &sub_arn, progress).await?;
                }
                SubscriptionStep::Keep { .. } | SubscriptionStep::Pending { .. } => {}
                SubscriptionStep::PendingUnmanaged { protocol, endpoint } => {
                    tracing::info!(topic = %t.name, %protocol, %endpoint, "pending subscription not in the config left in place");
                }
            }
        }
        Ok(arn)
    }

    async fn unsubscribe(
        &self,
        address: &str,
        sub_arn: &str,
        progress: &dyn Progress,
    ) -> Result<(), AlertingError> {
        progress.event(ProgressEvent::Started {
            address: address.to_owned(),
            action: Action::Delete,
        });
        match self.api.unsubscribe(sub_arn).await {
            Err(e) if !e.is_not_found() => return Err(e.into()),
            _ => {}
        }
        progress.event(ProgressEvent::Gone {
            address: address.to_owned(),
        });
        Ok(())
    }

    /// Deletes one existing topic: confirmed subscriptions first (pending ones cannot be
    /// unsubscribed and go with the topic), then the topic.
    async fn delete_topic(
        &self,
        t: &TopicSpec,
        o: &ObservedTopic,
        progress: &dyn Progress,
    ) -> Result<(), AlertingError> {
        for s in o
            .subscriptions
            .iter()
            .filter(|s| s.arn != PENDING_CONFIRMATION && s.arn != "Deleted")
        {
            let address = subscription::address(
                &t.key,
                &subscription::unmanaged_name(&s.protocol, &s.endpoint),
            );
            self.unsubscribe(&address, &s.arn, progress).await?;
        }
        let address = topic_address(&t.key);
        progress.event(ProgressEvent::Started {
            address: address.clone(),
            action: Action::Delete,
        });
        match self.api.delete_topic(&o.arn).await {
            Err(e) if !e.is_not_found() => return Err(e.into()),
            _ => {}
        }
        progress.event(ProgressEvent::Gone {
            address: policy_address(&t.key),
        });
        progress.event(ProgressEvent::Gone { address });
        Ok(())
    }

    async fn delete_all(
        &self,
        spec: &AlertingSpec,
        observed: &AlertingObserved,
        progress: &dyn Progress,
    ) -> Result<(), AlertingError> {
        let deletes = spec.topics.iter().filter_map(|t| {
            observed
                .topics
                .get(&t.key)
                .map(|o| self.delete_topic(t, o, progress))
        });
        futures::future::try_join_all(deletes).await?;
        Ok(())
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

    fn diff(&self, spec: &AlertingSpec, observed: &AlertingObserved) -> Vec<Change> {
        if !spec.enabled {
            return self.destroy_plan(spec, observed, DestroyOptions::default());
        }
        let mut changes = Vec::new();
        for t in &spec.topics {
            let o = observed.topics.get(&t.key);
            if spec.retired.contains(&t.key) {
                changes.extend(o.map(|o| deletion_changes(t, o)).into_iter().flatten());
                continue;
            }
            changes.push(topic_change(t, o));
            changes.push(policy_change(t, o));
            let listed = o.map(|o| o.subscriptions.as_slice()).unwrap_or_default();
            for step in subscription::plan(&t.subscriptions, listed) {
                changes.push(subscription::change(
                    &t.key,
                    &t.name,
                    &t.subscriptions,
                    &step,
                ));
            }
        }
        changes
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
        if !spec.enabled {
            self.delete_all(spec, observed, progress).await?;
            return Ok(AlertingOutputs::default());
        }
        // Refuse before any write rather than leave some topics converged and others not.
        let wanted: Vec<&TopicSpec> = spec
            .topics
            .iter()
            .filter(|t| !spec.retired.contains(&t.key))
            .collect();
        if let Some(t) = wanted
            .iter()
            .find(|t| t.encryption == TopicEncryption::Key(None))
        {
            return Err(AlertingError::MissingKmsKey {
                topic: t.name.clone(),
            });
        }
        let arns = futures::future::try_join_all(
            wanted
                .iter()
                .map(|t| self.apply_topic(t, observed.topics.get(&t.key), progress)),
        )
        .await?;
        let retired = spec
            .topics
            .iter()
            .filter(|t| spec.retired.contains(&t.key))
            .filter_map(|t| {
                observed
                    .topics
                    .get(&t.key)
                    .map(|o| self.delete_topic(t, o, progress))
            });
        futures::future::try_join_all(retired).await?;
        let topic_arns = wanted
            .iter()
            .zip(arns)
            .map(|(t, arn)| (t.key.clone(), TopicArn(arn)))
            .collect();
        Ok(AlertingOutputs { topic_arns })
    }

    fn destroy_plan(
        &self,
        spec: &AlertingSpec,
        observed: &AlertingObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        spec.topics
            .iter()
            .filter_map(|t| observed.topics.get(&t.key).map(|o| deletion_changes(t, o)))
            .flatten()
            .collect()
    }

    async fn destroy(
        &self,
        spec: &AlertingSpec,
        observed: &AlertingObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), AlertingError> {
        self.delete_all(spec, observed, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{MockSnsApi, SubscriptionInfo};
    use baseline_core::aws::{ApiError, ServiceErrorKind};
    use baseline_core::config::{Subscription, SubscriptionProtocol};
    use baseline_core::progress::{NoProgress, RecordedProgress};
    use baseline_core::Naming;

    const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";

    fn ctx() -> AwsContext {
        AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
    }

    fn config() -> Config {
        let mut c = Config {
            environment: "prod".into(),
            project: "demo".into(),
            ..Config::default()
        };
        c.critical_alert_subscriptions.insert(
            "ops-team-email".into(),
            Subscription {
                protocol: SubscriptionProtocol::Email,
                endpoint: "ops-team@company.com".into(),
            },
        );
        c
    }

    fn inputs() -> AlertingInputs {
        AlertingInputs {
            kms_key_arn: Some(KmsKeyArn(KEY_ARN.into())),
        }
    }

    fn spec_of<A: SnsApi>(
        m: &AlertingModule<A>,
        config: &Config,
        inputs: &AlertingInputs,
    ) -> AlertingSpec {
        m.spec(config, inputs).unwrap()
    }

    /// What apply would leave behind for `spec`, every e-mail confirmed.
    fn converged(spec: &AlertingSpec) -> AlertingObserved {
        let topics = spec
            .topics
            .iter()
            .map(|t| {
                let subscriptions = t
                    .subscriptions
                    .iter()
                    .map(|(n, s)| SubscriptionInfo {
                        arn: format!("{}:{n}", t.arn),
                        protocol: s.protocol.as_str().into(),
                        endpoint: s.endpoint.clone(),
                    })
                    .collect();
                let o = ObservedTopic {
                    arn: t.arn.clone(),
                    kms_master_key_id: t.wanted_key().map(str::to_owned),
                    policy: Some(t.policy.clone()),
                    tags: t.tags.clone(),
                    subscriptions,
                };
                (t.key.clone(), o)
            })
            .collect();
        AlertingObserved { topics }
    }

    fn actions(changes: &[Change]) -> Vec<(String, Action)> {
        changes
            .iter()
            .map(|c| (c.address.clone(), c.action))
            .collect()
    }

    #[test]
    fn spec_names_three_topics_from_the_prefix() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let names: Vec<_> = spec.topics.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "demo-prod-critical",
                "demo-prod-performance",
                "demo-prod-cost"
            ]
        );
        assert_eq!(
            spec.topics[0].arn,
            "arn:aws:sns:us-east-1:123456789012:demo-prod-critical"
        );
        assert_eq!(
            spec.topics[0].encryption,
            TopicEncryption::Key(Some(KmsKeyArn(KEY_ARN.into())))
        );
        assert_eq!(spec.topics[0].tags["baseline:module"], "alerting");
        assert_eq!(spec.topics[0].subscriptions.len(), 1);
        assert!(spec.topics[1].subscriptions.is_empty());
    }

    #[test]
    fn inputs_come_from_the_encryption_outputs_by_field_name() {
        let upstream = Upstream(BTreeMap::from([(
            "encryption".to_owned(),
            json!({"kms_key_arn": KEY_ARN, "kms_key_id": "k-1", "kms_alias": "alias/x"}),
        )]));
        assert_eq!(AlertingInputs::from_upstream(&upstream).unwrap(), inputs());
        assert_eq!(
            AlertingInputs::from_upstream(&Upstream::default()).unwrap(),
            AlertingInputs::default()
        );
    }

    #[test]
    fn empty_account_plans_topics_policies_and_subscriptions() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let changes = m.diff(&spec, &AlertingObserved::default());
        assert_eq!(
            actions(&changes),
            vec![
                (r#"alerting.topic["critical"]"#.into(), Action::Create),
                (
                    r#"alerting.topic_policy["critical"]"#.into(),
                    Action::Create
                ),
                (
                    r#"alerting.subscription["critical/ops-team-email"]"#.into(),
                    Action::Create
                ),
                (r#"alerting.topic["performance"]"#.into(), Action::Create),
                (
                    r#"alerting.topic_policy["performance"]"#.into(),
                    Action::Create
                ),
                (r#"alerting.topic["cost"]"#.into(), Action::Create),
                (r#"alerting.topic_policy["cost"]"#.into(), Action::Create),
            ]
        );
        assert!(m
            .planned_outputs(&spec, &AlertingObserved::default())
            .is_none());
    }

    #[test]
    fn unknown_key_is_shown_as_known_after_apply() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &AlertingInputs::default());
        let changes = m.diff(&spec, &AlertingObserved::default());
        let key = changes[0]
            .attributes
            .iter()
            .find(|a| a.name == "kms_master_key_id")
            .unwrap();
        assert_eq!(key.after, Some(json!("(known after apply)")));
    }

    #[test]
    fn converged_stack_is_all_no_ops_even_with_a_reordered_policy() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let mut observed = converged(&spec);
        for o in observed.topics.values_mut() {
            let text = o.policy.as_ref().unwrap().to_json();
            let mut reparsed = PolicyDocument::parse(&text).unwrap();
            reparsed.statement.reverse();
            reparsed
                .statement
                .iter_mut()
                .for_each(|s| s.action.iter_mut().for_each(|a| a.0.reverse()));
            o.policy = Some(reparsed);
        }
        assert!(m.diff(&spec, &observed).iter().all(|c| !c.is_change()));
        assert_eq!(
            m.planned_outputs(&spec, &observed)
                .unwrap()
                .topic_arns
                .len(),
            3
        );
    }

    #[tokio::test]
    async fn cost_alerting_off_deletes_the_cost_topic_and_keeps_the_others() {
        let mut c = config();
        c.enable_cost_alerting = false;
        let existing = converged(&spec_of(
            &AlertingModule::with_api(MockSnsApi::new(), &ctx()),
            &config(),
            &inputs(),
        ));
        let mut api = MockSnsApi::new();
        api.expect_delete_topic()
            .times(1)
            .withf(|arn| arn.ends_with("-cost"))
            .returning(|_| Ok(()));
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &c, &inputs());
        let changes: Vec<_> = m
            .diff(&spec, &existing)
            .into_iter()
            .filter(|c| c.is_change())
            .collect();
        assert!(!changes.is_empty());
        assert!(changes
            .iter()
            .all(|c| c.action == Action::Delete && c.address.contains("cost")));
        let out = m.apply(&spec, &existing, &NoProgress).await.unwrap();
        assert_eq!(
            out.topic_arns.keys().collect::<Vec<_>>(),
            vec!["critical", "performance"]
        );
    }

    #[test]
    fn a_changed_policy_statement_is_drift() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let mut observed = converged(&spec);
        let policy = observed
            .topics
            .get_mut("critical")
            .unwrap()
            .policy
            .as_mut()
            .unwrap();
        policy
            .statement
            .retain(|s| s.sid.as_deref() != Some("DenyInsecureTransport"));
        let changed: Vec<_> = m
            .diff(&spec, &observed)
            .into_iter()
            .filter(Change::is_change)
            .collect();
        assert_eq!(
            actions(&changed),
            vec![(
                r#"alerting.topic_policy["critical"]"#.into(),
                Action::Update
            )]
        );
    }

    #[test]
    fn encryption_removed_by_hand_is_drift_on_that_attribute() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let mut observed = converged(&spec);
        observed.topics.get_mut("cost").unwrap().kms_master_key_id = None;
        let changed: Vec<_> = m
            .diff(&spec, &observed)
            .into_iter()
            .filter(Change::is_change)
            .collect();
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].address, r#"alerting.topic["cost"]"#);
        assert_eq!(changed[0].attributes[0].name, "kms_master_key_id");
    }

    #[test]
    fn encryption_off_is_noted_on_every_topic() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let config = Config {
            enable_sns_encryption: false,
            ..config()
        };
        let spec = spec_of(&m, &config, &inputs());
        let changes = m.diff(&spec, &converged(&spec));
        let topics: Vec<_> = changes
            .iter()
            .filter(|c| c.resource_type == TOPIC)
            .collect();
        assert_eq!(topics.len(), 3);
        assert!(topics
            .iter()
            .all(|c| !c.is_change() && c.note.as_deref().is_some_and(|n| n.contains("default"))));
    }

    #[test]
    fn subscription_added_removed_and_pending_in_one_plan() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let mut config = config();
        config.critical_alert_subscriptions.insert(
            "pager".into(),
            Subscription {
                protocol: SubscriptionProtocol::Https,
                endpoint: "https://pager.example.com/hook".into(),
            },
        );
        let spec = spec_of(&m, &config, &inputs());
        let mut observed = converged(&spec);
        let critical = observed.topics.get_mut("critical").unwrap();
        critical.subscriptions = vec![
            SubscriptionInfo {
                arn: PENDING_CONFIRMATION.into(),
                protocol: "email".into(),
                endpoint: "ops-team@company.com".into(),
            },
            SubscriptionInfo {
                arn: "arn:s:hand".into(),
                protocol: "sms".into(),
                endpoint: "+15550001111".into(),
            },
        ];
        let subs: Vec<_> = m
            .diff(&spec, &observed)
            .into_iter()
            .filter(|c| c.resource_type == SUBSCRIPTION)
            .collect();
        assert_eq!(
            actions(&subs),
            vec![
                (
                    r#"alerting.subscription["critical/ops-team-email"]"#.into(),
                    Action::NoOp
                ),
                (
                    r#"alerting.subscription["critical/pager"]"#.into(),
                    Action::Create
                ),
                (
                    r#"alerting.subscription["critical/sms:+15550001111"]"#.into(),
                    Action::Delete
                ),
            ]
        );
        assert!(subs[0]
            .note
            .as_deref()
            .unwrap()
            .contains("pending confirmation"));
    }

    #[test]
    fn disabled_alerting_plans_deletion_of_what_exists() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let enabled = spec_of(&m, &config(), &inputs());
        let observed = converged(&enabled);
        let disabled = spec_of(
            &m,
            &Config {
                enable_alerting: false,
                ..config()
            },
            &inputs(),
        );
        let changes = m.diff(&disabled, &observed);
        assert!(
            changes.iter().all(|c| c.action == Action::Delete),
            "{changes:#?}"
        );
        assert_eq!(
            changes.iter().filter(|c| c.resource_type == TOPIC).count(),
            3
        );
        assert_eq!(
            changes
                .iter()
                .filter(|c| c.resource_type == SUBSCRIPTION)
                .count(),
            1
        );
        assert_eq!(
            m.planned_outputs(&disabled, &observed),
            Some(AlertingOutputs::default())
        );
        assert!(m.diff(&disabled, &AlertingObserved::default()).is_empty());
    }

    #[tokio::test]
    async fn create_path_makes_topic_policy_and_subscription_with_the_key() {
        let mut api = MockSnsApi::new();
        api.expect_create_topic()
            .times(3)
            .withf(|_, attrs, tags| {
                attrs.get("KmsMasterKeyId").map(String::as_str) == Some(KEY_ARN)
                    && tags.contains_key(STACK_TAG)
            })
            .returning(|name, _, _| Ok(format!("arn:aws:sns:us-east-1:123456789012:{name}")));
        api.expect_set_topic_attribute()
            .times(3)
            .withf(|_, name, value| name == "Policy" && PolicyDocument::parse(value).is_ok())
            .returning(|_, _, _| Ok(()));
        api.expect_subscribe()
            .times(1)
            .withf(|arn, p, e| {
                arn.ends_with("demo-prod-critical") && p == "email" && e == "ops-team@company.com"
            })
            .returning(|_, _, _| {
                Ok("arn:aws:sns:us-east-1:123456789012:demo-prod-critical:s-1".into())
            });
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let out = m
            .apply(&spec, &AlertingObserved::default(), &NoProgress)
            .await
            .unwrap();
        assert_eq!(
            out.topic_arns.keys().collect::<Vec<_>>(),
            vec!["cost", "critical", "performance"]
        );
    }

    #[tokio::test]
    async fn converged_stack_applies_without_any_call() {
        // A mock with no expectations fails on any call.
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let out = m
            .apply(&spec, &converged(&spec), &NoProgress)
            .await
            .unwrap();
        assert_eq!(
            out.topic_arns["critical"].as_str(),
            "arn:aws:sns:us-east-1:123456789012:demo-prod-critical"
        );
    }

    #[tokio::test]
    async fn pending_subscription_is_not_subscribed_again() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let mut observed = converged(&spec);
        observed.topics.get_mut("critical").unwrap().subscriptions[0].arn =
            PENDING_CONFIRMATION.into();
        m.apply(&spec, &observed, &NoProgress).await.unwrap();
    }

    #[tokio::test]
    async fn missing_key_fails_before_any_write() {
        let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
        let spec = spec_of(&m, &config(), &AlertingInputs::default());
        let err = m
            .apply(&spec, &AlertingObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(err, AlertingError::MissingKmsKey { .. }), "{err}");
    }

    #[tokio::test]
    async fn access_denied_on_create_is_reported_with_its_operation() {
        let mut api = MockSnsApi::new();
        api.expect_create_topic().returning(|name, _, _| {
            Err(ApiError::synthetic(
                "sns",
                "CreateTopic",
                name,
                ServiceErrorKind::AccessDenied,
                "AuthorizationError: not allowed",
            ))
        });
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let err = m
            .apply(&spec, &AlertingObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(&err, AlertingError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
        assert!(err.to_string().contains("sns:CreateTopic"), "{err}");
    }

    #[tokio::test]
    async fn throttled_policy_write_keeps_the_new_topic_recorded() {
        let mut api = MockSnsApi::new();
        api.expect_create_topic()
            .returning(|name, _, _| Ok(format!("arn:aws:sns:us-east-1:123456789012:{name}")));
        api.expect_set_topic_attribute().returning(|arn, _, _| {
            Err(ApiError::synthetic(
                "sns",
                "SetTopicAttributes",
                arn,
                ServiceErrorKind::Throttled,
                "Throttling: rate exceeded",
            ))
        });
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let progress = RecordedProgress::default();
        let err = m
            .apply(&spec, &AlertingObserved::default(), &progress)
            .await
            .unwrap_err();
        assert!(matches!(&err, AlertingError::Api(e) if e.kind == ServiceErrorKind::Throttled));
        let events = progress.0.lock().unwrap();
        assert!(
            events.iter().any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == r#"alerting.topic["critical"]"#)),
            "the new topic is reported before the failure"
        );
    }

    #[tokio::test]
    async fn topic_deleted_between_observe_and_apply_fails_with_not_found() {
        let mut api = MockSnsApi::new();
        api.expect_set_topic_attribute().returning(|arn, _, _| {
            Err(ApiError::synthetic(
                "sns",
                "SetTopicAttributes",
                arn,
                ServiceErrorKind::NotFound,
                "NotFound: Topic does not exist",
            ))
        });
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let mut observed = converged(&spec);
        observed
            .topics
            .get_mut("performance")
            .unwrap()
            .kms_master_key_id = None;
        let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        assert!(matches!(&err, AlertingError::Api(e) if e.is_not_found()));
    }

    #[tokio::test]
    async fn subscription_already_gone_is_not_an_error() {
        let mut api = MockSnsApi::new();
        api.expect_unsubscribe().times(1).returning(|arn| {
            Err(ApiError::synthetic(
                "sns",
                "Unsubscribe",
                arn,
                ServiceErrorKind::NotFound,
                "NotFound: gone",
            ))
        });
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let mut observed = converged(&spec);
        observed
            .topics
            .get_mut("cost")
            .unwrap()
            .subscriptions
            .push(SubscriptionInfo {
                arn: "arn:s:hand".into(),
                protocol: "sms".into(),
                endpoint: "+15550001111".into(),
            });
        m.apply(&spec, &observed, &NoProgress).await.unwrap();
    }

    #[tokio::test]
    async fn foreign_topic_of_the_same_name_is_refused() {
        let mut api = MockSnsApi::new();
        api.expect_topic_attributes()
            .returning(|_| Ok(Some(BTreeMap::new())));
        api.expect_topic_tags().returning(|_| {
            Ok(BTreeMap::from([(
                STACK_TAG.to_owned(),
                "someone-else".to_owned(),
            )]))
        });
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        assert!(matches!(
            m.observe(&spec).await,
            Err(AlertingError::ForeignTopic { .. })
        ));
    }

    #[tokio::test]
    async fn destroy_unsubscribes_confirmed_then_deletes_topics() {
        let mut api = MockSnsApi::new();
        api.expect_unsubscribe().times(1).returning(|_| Ok(()));
        api.expect_delete_topic().times(3).returning(|_| Ok(()));
        let m = AlertingModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config(), &inputs());
        let mut observed = converged(&spec);
        observed
            .topics
            .get_mut("performance")
            .unwrap()
            .subscriptions
            .push(SubscriptionInfo {
                arn: PENDING_CONFIRMATION.into(),
                protocol: "email".into(),
                endpoint: "p@company.com".into(),
            });
        let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
        assert_eq!(
            plan.iter().filter(|c| c.action == Action::Delete).count(),
            3 * 2 + 2
        );
        m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
            .await
            .unwrap();
    }
}

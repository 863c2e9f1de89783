//! The `sns_topic` resource: one alert topic (name, server-side encryption, tags). Its plan
//! returns the displayed change and the [`TopicOp`]s together; [`execute`] runs exactly those.
//! Topics are found by their deterministic ARN, so CreateTopic is only sent for a topic that
//! does not exist (and SNS answers a repeated CreateTopic of the same name and attributes with
//! the same topic, so a lost answer is harmless).

use crate::api::SnsApi;
use crate::AlertingError;
use baseline_core::ids::KmsKeyArn;
use baseline_core::policy::PolicyDocument;
use baseline_core::resource::{Planned, ResourceKind, Step, TagDelta};
use baseline_core::{Change, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The three topics, by key: the key is the topic-name suffix, the output key and the address key.
pub const TOPIC_KEYS: [&str; 3] = ["critical", "performance", "cost"];

/// Longest topic name SNS accepts.
pub(crate) const TOPIC_NAME_MAX: usize = 256;

/// Shown where a value is only known once upstream modules have applied.
pub(crate) const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// Note on every topic while `enable_sns_encryption` is off.
const UNENCRYPTED_NOTE: &str =
    "not encrypted: enable_sns_encryption = false (the default, as in the original module, is true: alerts may carry account details)";

/// How a topic is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicEncryption {
    /// `enable_sns_encryption = false`: SNS's default (no server-side encryption).
    Off,
    /// The stack's key; `None` while the key is still to be created (plan time only).
    Key(Option<KmsKeyArn>),
}

/// One desired topic.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    /// `critical`, `performance` or `cost`.
    pub key: String,
    /// `<prefix>-<key>`.
    pub name: String,
    /// `arn:<partition>:sns:<region>:<account>:<name>` (deterministic: topics are found by it).
    pub arn: String,
    /// Server-side encryption.
    pub encryption: TopicEncryption,
    /// The topic policy.
    pub policy: PolicyDocument,
    /// Tags, stack tags included.
    pub tags: BTreeMap<String, String>,
    /// Subscriptions by config name.
    pub subscriptions: BTreeMap<String, baseline_core::config::Subscription>,
}

/// What exists of one topic.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedTopic {
    /// Topic ARN.
    pub arn: String,
    /// `KmsMasterKeyId` attribute (absent: not encrypted).
    pub kms_master_key_id: Option<String>,
    /// The topic policy (`None` if absent or unreadable).
    pub policy: Option<PolicyDocument>,
    /// Tags, without AWS-reserved `aws:` tags.
    pub tags: BTreeMap<String, String>,
    /// Every subscription of the topic, pending ones included.
    pub subscriptions: Vec<crate::api::SubscriptionInfo>,
}

impl TopicSpec {
    /// The `KmsMasterKeyId` the topic should have (`None`: unencrypted).
    pub(crate) fn wanted_key(&self) -> Option<&str> {
        match &self.encryption {
            TopicEncryption::Off => None,
            TopicEncryption::Key(Some(k)) => Some(k.as_str()),
            TopicEncryption::Key(None) => Some(KNOWN_AFTER_APPLY),
        }
    }
}

/// The topic as the plan shows it (desired side).
pub(crate) fn desired_topic_view(t: &TopicSpec) -> Value {
    json!({"name": t.name, "kms_master_key_id": t.wanted_key(), "tags": t.tags})
}

/// The topic as the plan shows it (observed side); same shape as [`desired_topic_view`].
pub(crate) fn observed_topic_view(name: &str, t: &ObservedTopic) -> Value {
    json!({"name": name, "kms_master_key_id": t.kms_master_key_id, "tags": t.tags})
}

/// `alerting.topic["<key>"]`.
pub(crate) fn address(key: &str) -> String {
    format!("alerting.topic[\"{key}\"]")
}

/// The resource kind.
pub struct SnsTopic;

/// One write on a topic, in the order apply sends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum TopicOp {
    /// `CreateTopic` with its key and tags.
    Create,
    /// `SetTopicAttributes KmsMasterKeyId` (an empty value turns encryption off).
    SetKey,
    /// `UntagResource` then `TagResource`.
    Tag(TagDelta),
    /// `DeleteTopic` (its confirmed subscriptions are unsubscribed first).
    Delete,
}

impl ResourceKind for SnsTopic {
    const KIND: &'static str = "sns_topic";
    type Desired<'a> = TopicSpec;
    type Current = ObservedTopic;
    type Op = TopicOp;

    fn plan(address: &str, t: &TopicSpec, o: Option<&ObservedTopic>) -> Planned<TopicOp> {
        let desired = desired_topic_view(t);
        let planned = match o {
            None => Planned::new(
                Change::create(address, Self::KIND, &desired),
                vec![TopicOp::Create],
            ),
            Some(o) => {
                let change = Change::compare(
                    address,
                    Self::KIND,
                    &observed_topic_view(&t.name, o),
                    &desired,
                    &[],
                );
                let mut ops = Vec::new();
                if o.kms_master_key_id.as_deref() != t.wanted_key() {
                    ops.push(TopicOp::SetKey);
                }
                let tags = TagDelta::between(&o.tags, &t.tags);
                if !tags.is_empty() {
                    ops.push(TopicOp::Tag(tags));
                }
                Planned::new(change, ops)
            }
        };
        if t.encryption == TopicEncryption::Off {
            Planned {
                change: planned.change.with_note(UNENCRYPTED_NOTE),
                ops: planned.ops,
            }
        } else {
            planned
        }
    }
}

impl SnsTopic {
    /// Deleting an existing topic.
    pub(crate) fn plan_delete(t: &TopicSpec, o: &ObservedTopic) -> Planned<TopicOp> {
        Planned::new(
            Change::delete(
                address(&t.key),
                Self::KIND,
                &observed_topic_view(&t.name, o),
            ),
            vec![TopicOp::Delete],
        )
    }
}

/// Runs the planned operations; returns the topic's ARN. `current` is the topic as observed.
pub(crate) async fn execute(
    api: &impl SnsApi,
    t: &TopicSpec,
    current: Option<&ObservedTopic>,
    planned: &Planned<TopicOp>,
    progress: &dyn Progress,
) -> Result<String, AlertingError> {
    let mut arn = current.map_or_else(|| t.arn.clone(), |o| o.arn.clone());
    if !planned.is_change() {
        return Ok(arn);
    }
    let key = || match &t.encryption {
        TopicEncryption::Off => Ok(None),
        TopicEncryption::Key(Some(k)) => Ok(Some(k.as_str())),
        TopicEncryption::Key(None) => Err(AlertingError::MissingKmsKey {
            topic: t.name.clone(),
        }),
    };
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    for op in &planned.ops {
        match op {
            TopicOp::Create => {
                let attributes: BTreeMap<String, String> = key()?
                    .map(|k| BTreeMap::from([("KmsMasterKeyId".to_owned(), k.to_owned())]))
                    .unwrap_or_default();
                arn = api.create_topic(&t.name, &attributes, &t.tags).await?;
                step.exists(arn.clone());
            }
            TopicOp::SetKey => {
                api.set_topic_attribute(&arn, "KmsMasterKeyId", key()?.unwrap_or_default())
                    .await?;
            }
            TopicOp::Tag(delta) => {
                if !delta.remove.is_empty() {
                    api.untag_topic(&arn, &delta.remove).await?;
                }
                if !delta.set.is_empty() {
                    api.tag_topic(&arn, &delta.set).await?;
                }
            }
            TopicOp::Delete => match api.delete_topic(&arn).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            },
        }
    }
    step.done();
    Ok(arn)
}

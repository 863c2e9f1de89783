//! `baseline-alerting`: the stack's SNS alert topics.
//!
//! Owns three topics, `<prefix>-critical`, `<prefix>-performance` and `<prefix>-cost`, each
//! encrypted with the stack's KMS key (`enable_sns_encryption`, on by default), tagged, and
//! guarded by a typed topic policy: CloudWatch alarms and EventBridge rules of this stack may
//! publish (`aws:SourceAccount` + `aws:SourceArn`), the account owner keeps an explicit set of
//! SNS actions, `sns_topic_principals` may only publish, and every non-TLS request is denied
//! (the original module's `["*"]` principals are never produced). Subscriptions come from
//! `critical_alert_subscriptions`, `performance_alert_subscriptions` and
//! `cost_alert_subscriptions` and converge both ways: missing ones are subscribed, ones not in
//! the config are unsubscribed, and one still pending confirmation is shown as such and never
//! subscribed again. `enable_alerting = false` deletes the stack's topics; `enable_cost_alerting = false` deletes the
//! cost topic only (as in the original; token alarms then notify `performance`). Destroy removes the
//! subscriptions and the topics.
//!
//! Topics are found by their deterministic ARN; a topic of that name tagged for another stack is
//! refused ([`AlertingError::ForeignTopic`]).
//!
//! Inputs: [`AlertingInputs`] (encryption's `kms_key_arn`). Outputs: [`AlertingOutputs`]
//! (`topic_arns` keyed `critical`, `performance`, `cost`; empty when alerting is off).
//!
//! Addresses: `alerting.topic["critical"]`, `alerting.topic_policy["critical"]`,
//! `alerting.subscription["critical/<name>"]` (a subscription not in the config:
//! `alerting.subscription["critical/<protocol>:<endpoint>"]`).

mod api;
mod module;
mod subscription;
mod topic;
mod topic_policy;

#[cfg(any(test, feature = "mocks"))]
pub use api::MockSnsApi;
pub use api::{SdkSnsApi, SnsApi, SubscriptionInfo, PENDING_CONFIRMATION};
pub use module::{AlertingInputs, AlertingModule, AlertingObserved, AlertingOutputs, AlertingSpec};
pub use subscription::SubscriptionOp;
pub use topic::{ObservedTopic, SnsTopic, TopicEncryption, TopicOp, TopicSpec, TOPIC_KEYS};
pub use topic_policy::{
    topic_policy, with_cost_publishers, PolicyOp, SnsTopicPolicy, TopicPolicyContext,
    INSECURE_TRANSPORT_DENIED, OWNER_ACTIONS,
};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlertingError {
    /// An SNS call failed.
    #[error(transparent)]
    Api(#[from] baseline_core::aws::ApiError),
    /// `enable_sns_encryption` is on but the KMS key ARN is unknown at apply time (encryption
    /// has not been applied).
    #[error("topic {topic} must be encrypted but no KMS key ARN is known: apply the encryption module first (or set enable_sns_encryption = false)")]
    MissingKmsKey {
        /// The topic.
        topic: String,
    },
    /// A topic with the stack's name belongs to another stack.
    #[error("topic {name} is tagged for stack {owner}, not {stack}; rename the project or environment, or delete the topic")]
    ForeignTopic {
        /// Topic name.
        name: String,
        /// The stack its tag names.
        owner: String,
        /// This stack.
        stack: String,
    },
}

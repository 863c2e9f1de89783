//! The `sns_topic_policy` resource: the policy document of one alert topic, and its plan and
//! apply. The document is pure: built from the account, region, stack prefix and config.
//!
//! The topic policy grants publishing to exactly what the stack routes to the topics, each
//! service grant limited to this account's resources of this stack (confused-deputy
//! prevention), keeps the account's own administration explicit, and denies every request that
//! does not use TLS. The original module's `sns_topic_principals = ["*"]` (anyone may publish)
//! is never produced: config validation refuses `*`, and listed principals get `sns:Publish` only.

use crate::api::SnsApi;
use crate::topic::{ObservedTopic, TopicSpec};
use crate::AlertingError;
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::{Change, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What the account owner may do on its topics: SNS's default owner statement, written out
/// (never `sns:*`).
pub const OWNER_ACTIONS: [&str; 8] = [
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:AddPermission",
    "sns:RemovePermission",
    "sns:DeleteTopic",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
    "sns:Publish",
];

/// Actions refused to anyone over plain HTTP: every action SNS accepts in a topic policy (the
/// "Valid Amazon SNS policy actions" table of the SNS developer guide; SNS rejects others).
pub const INSECURE_TRANSPORT_DENIED: [&str; 11] = [
    "sns:AddPermission",
    "sns:DeleteTopic",
    "sns:GetDataProtectionPolicy",
    "sns:GetTopicAttributes",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource",
    "sns:Publish",
    "sns:PutDataProtectionPolicy",
    "sns:RemovePermission",
    "sns:SetTopicAttributes",
    "sns:Subscribe",
];

/// What the topic policy depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPolicyContext {
    /// `aws`, `aws-cn`, ...
    pub partition: String,
    /// 12-digit account id.
    pub account_id: String,
    /// Region of the stack.
    pub region: String,
    /// Stack prefix (`<project>-<environment>`): alarms and rules of the stack start with it.
    pub prefix: String,
    /// The topic's ARN (the policy's resource).
    pub topic_arn: String,
    /// `sns_topic_principals`: account ids or IAM ARNs allowed to publish (validated, no `*`).
    pub publishers: Vec<String>,
    /// ARNs of the stack's EventBridge rules that publish to this topic
    /// (`baseline_core::event_rules::publishing_rule_arns`); empty: no EventBridge grant.
    pub event_rule_arns: Vec<String>,
}

/// A 12-digit account id as the root ARN, which is how SNS stores and returns it; IAM ARNs as
/// they are. Normalising here keeps the policy comparison free of spurious drift.
fn principal_arn(partition: &str, principal: &str) -> String {
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        format!("arn:{partition}:iam::{principal}:root")
    } else {
        principal.to_owned()
    }
}

/// The policy of one alert topic.
pub fn topic_policy(c: &TopicPolicyContext) -> PolicyDocument {
    let TopicPolicyContext {
        partition: p,
        account_id: acct,
        region,
        prefix,
        topic_arn,
        publishers,
        event_rule_arns,
    } = c;
    let service_publish = |sid: &str, service: &str, source_arn: String| {
        Statement::allow(sid)
            .service_principal(service)
            .actions(["sns:Publish"])
            .resources([topic_arn.as_str()])
            .condition("StringEquals", "aws:SourceAccount", [acct.as_str()])
            .condition("ArnLike", "aws:SourceArn", [source_arn])
    };
    let mut statements = vec![
        Statement::allow("AccountOwnerAccess")
            .aws_principals([format!("arn:{p}:iam::{acct}:root")])
            .actions(OWNER_ACTIONS)
            .resources([topic_arn.as_str()]),
        service_publish(
            "CloudWatchAlarmsPublish",
            "cloudwatch.amazonaws.com",
            format!("arn:{p}:cloudwatch:{region}:{acct}:alarm:{prefix}-*"),
        ),
    ];
    if !event_rule_arns.is_empty() {
        // Exactly the rules the config enables ("Amazon SNS permissions", EventBridge user
        // guide, eb-use-resource-based: aws:SourceArn of the rule and aws:SourceAccount), not a
        // name pattern another rule of the account could match.
        statements.push(
            Statement::allow("EventBridgeRulesPublish")
                .service_principal("events.amazonaws.com")
                .actions(["sns:Publish"])
                .resources([topic_arn.as_str()])
                .condition("StringEquals", "aws:SourceAccount", [acct.as_str()])
                .condition("ArnLike", "aws:SourceArn", event_rule_arns.iter().cloned()),
        );
    }
    if !publishers.is_empty() {
        statements.push(
            Statement::allow("ListedPrincipalsPublish")
                .aws_principals(publishers.iter().map(|x| principal_arn(p, x)))
                .actions(["sns:Publish"])
                .resources([topic_arn.as_str()]),
        );
    }
    statements.push(
        Statement::deny("DenyInsecureTransport")
            .any_principal()
            .actions(INSECURE_TRANSPORT_DENIED)
            .resources([topic_arn.as_str()])
            .condition("Bool", "aws:SecureTransport", ["false"]),
    );
    // SNS wants a policy Id unique to the policy; the topic ARN is.
    PolicyDocument {
        id: Some(format!("{topic_arn}/policy")),
        ..PolicyDocument::new(statements)
    }
}

/// The cost topic's extra publishers: AWS Budgets and Cost Anomaly Detection, inserted before
/// the insecure-transport deny. Budgets: "Creating an Amazon SNS topic for budget
/// notifications" (AWS Cost Management User Guide) gives `aws:SourceAccount` and
/// `aws:SourceArn` `arn:<partition>:budgets::<account>:*` (budget ARNs have no region). Cost
/// Anomaly Detection: "Creating an Amazon SNS topic for anomaly notifications" gives
/// `aws:SourceAccount` and restricting to the account's anomaly subscriptions by
/// `aws:SourceArn`; subscription ARNs are `arn:<partition>:ce::<account>:anomalysubscription/<id>`
/// ("Controlling access for Cost Anomaly Detection").
pub fn with_cost_publishers(mut doc: PolicyDocument, c: &TopicPolicyContext) -> PolicyDocument {
    let (p, acct) = (&c.partition, c.account_id.as_str());
    let publish = |sid: &str, service: &str, source_arn: String| {
        Statement::allow(sid)
            .service_principal(service)
            .actions(["sns:Publish"])
            .resources([c.topic_arn.as_str()])
            .condition("StringEquals", "aws:SourceAccount", [acct])
            .condition("ArnLike", "aws:SourceArn", [source_arn])
    };
    let at = doc
        .statement
        .iter()
        .position(|s| s.sid.as_deref() == Some("DenyInsecureTransport"))
        .unwrap_or(doc.statement.len());
    doc.statement.splice(
        at..at,
        [
            publish(
                "BudgetsPublish",
                "budgets.amazonaws.com",
                format!("arn:{p}:budgets::{acct}:*"),
            ),
            publish(
                "CostAnomalyDetectionPublish",
                "costalerts.amazonaws.com",
                format!("arn:{p}:ce::{acct}:anomalysubscription/*"),
            ),
        ],
    );
    doc
}

/// The resource kind.
pub struct SnsTopicPolicy;

/// One write on a topic policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PolicyOp {
    /// `SetTopicAttributes Policy`.
    Put,
    /// Nothing to call: the policy is deleted with its topic.
    RemovedWithTopic,
}

/// `alerting.topic_policy["<key>"]`.
pub(crate) fn address(key: &str) -> String {
    format!("alerting.topic_policy[\"{key}\"]")
}

/// The topic policy as the plan shows it.
fn view(topic: &str, policy: Option<&PolicyDocument>) -> Value {
    json!({"topic": topic, "policy": policy.map(|p| p.normalized().to_value())})
}

/// Compared as parsed values, statements in Sid order: a policy re-ordered by hand or by AWS
/// grants the same.
fn matches(t: &TopicSpec, o: &ObservedTopic) -> bool {
    let canonical = |p: &PolicyDocument| {
        let mut p = p.normalized();
        p.statement.sort_by(|a, b| a.sid.cmp(&b.sid));
        p
    };
    o.policy
        .as_ref()
        .is_some_and(|p| canonical(p) == canonical(&t.policy))
}

impl ResourceKind for SnsTopicPolicy {
    const KIND: &'static str = "sns_topic_policy";
    type Desired<'a> = TopicSpec;
    type Current = ObservedTopic;
    type Op = PolicyOp;

    fn plan(address: &str, t: &TopicSpec, o: Option<&ObservedTopic>) -> Planned<PolicyOp> {
        match o {
            None => Planned::new(
                Change::create(address, Self::KIND, &view(&t.name, Some(&t.policy))),
                vec![PolicyOp::Put],
            ),
            Some(o) if matches(t, o) => Planned::noop(Change::noop(address, Self::KIND)),
            Some(o) => Planned::new(
                Change::compare(
                    address,
                    Self::KIND,
                    &view(&t.name, o.policy.as_ref()),
                    &view(&t.name, Some(&t.policy)),
                    &[],
                ),
                vec![PolicyOp::Put],
            ),
        }
    }
}

impl SnsTopicPolicy {
    /// The policy goes with its topic.
    pub(crate) fn plan_delete(t: &TopicSpec, o: &ObservedTopic) -> Planned<PolicyOp> {
        Planned::new(
            Change::delete(
                address(&t.key),
                Self::KIND,
                &view(&t.name, o.policy.as_ref()),
            ),
            vec![PolicyOp::RemovedWithTopic],
        )
    }
}

/// Runs the planned operations on the topic `topic_arn`.
pub(crate) async fn execute(
    api: &impl SnsApi,
    topic_arn: &str,
    t: &TopicSpec,
    planned: &Planned<PolicyOp>,
    progress: &dyn Progress,
) -> Result<(), AlertingError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    for op in &planned.ops {
        match op {
            PolicyOp::Put => {
                api.set_topic_attribute(topic_arn, "Policy", &t.policy.to_json())
                    .await?;
                step.exists(topic_arn);
            }
            PolicyOp::RemovedWithTopic => {}
        }
    }
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

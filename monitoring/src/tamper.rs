//! Tamper and access alerts: EventBridge rules on CloudTrail management events of the stack's
//! own resources, each with one alert topic as target.
//!
//! AWS services deliver their CloudTrail management events to the default bus with
//! `detail-type = "AWS API Call via CloudTrail"`, `source = aws.<service>` and
//! `detail.eventSource = <service>.amazonaws.com`; `detail.eventName` selects API calls
//! ("AWS service events delivered via AWS CloudTrail", EventBridge user guide,
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html>, and
//! the per-service pages of the EventBridge events reference, e.g.
//! <https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-bedrock.html>). Matching on
//! `detail.requestParameters.<field>` narrows a rule to the stack's resource: the field is the
//! API's request parameter as CloudTrail records it (KMS `keyId`, S3 `bucketName`, SNS
//! `topicArn`, Bedrock `guardrailIdentifier`). The docs do not list each service's recorded
//! request shape; for EC2 (`DeleteVpcEndpoints`, `ModifyVpcEndpoint`) the recorded shape is the
//! EC2 query form and not documented, so that rule matches the calls region-wide and the alert
//! names the stack's endpoints in its description.
//!
//! Which rules exist is decided by the config alone (`baseline_core::event_rules`), so the topic
//! and key policies admit `events.amazonaws.com` for exactly these rules' ARNs
//! (`aws:SourceAccount` + `aws:SourceArn`) without reading this module's outputs.

use crate::alarms::UNKNOWN;
use crate::event_rule::{RuleDef, RuleTarget};
use crate::MonitoringInputs;
use baseline_core::{event_rules, Config};
use serde_json::{json, Value};

/// Target id of the topic on a tamper rule.
pub(crate) const TOPIC_TARGET_ID: &str = "alert-topic";

const VIA_CLOUDTRAIL: &str = "AWS API Call via CloudTrail";

/// What the rules are about; `None` fields leave their rule out (the resource is not managed).
#[derive(Debug, Clone, Default)]
pub(crate) struct TamperContext {
    pub(crate) kms_key_arn: Option<String>,
    pub(crate) kms_key_id: Option<String>,
    pub(crate) bucket_name: Option<String>,
    pub(crate) endpoint_ids: Vec<String>,
    pub(crate) topic_arns: Vec<String>,
    pub(crate) guardrail_id: Option<String>,
    pub(crate) guardrail_arn: Option<String>,
    /// Whether model invocation logging is managed (its configuration calls are watched).
    pub(crate) logging: bool,
    /// Whether the guardrail is managed.
    pub(crate) guardrail: bool,
}

impl TamperContext {
    /// The stack's resources the tamper rules watch. A resource the config manages but whose id is
    /// not known yet (plan before the first apply) is a placeholder, which apply refuses.
    pub(crate) fn new(c: &Config, inputs: &MonitoringInputs, guardrail_arn: Option<&str>) -> Self {
        let known = |v: &Option<String>| Some(v.clone().unwrap_or_else(|| UNKNOWN.to_owned()));
        // Which rules exist is the config's decision, shared with the topic and key policies.
        let on = |key: &str| event_rules::is_enabled(c, key);
        let guardrail = on("tamper-guardrail");
        Self {
            kms_key_arn: known(&inputs.kms_key_arn),
            kms_key_id: known(&inputs.kms_key_id),
            bucket_name: on("tamper-log-bucket")
                .then(|| known(&inputs.log_bucket_name))
                .flatten(),
            endpoint_ids: if !on("tamper-vpc-endpoints") {
                Vec::new()
            } else if inputs.endpoint_ids.is_empty() {
                vec![UNKNOWN.to_owned()]
            } else {
                inputs.endpoint_ids.values().cloned().collect()
            },
            topic_arns: if c.enable_alerting {
                let mut t: Vec<String> = inputs
                    .topic_arns
                    .values()
                    .map(|a| a.as_str().to_owned())
                    .collect();
                if t.is_empty() {
                    t.push(UNKNOWN.to_owned());
                }
                t
            } else {
                Vec::new()
            },
            guardrail_id: guardrail.then(|| {
                inputs
                    .guardrail_id
                    .as_ref()
                    .map(|g| g.as_str().to_owned())
                    .unwrap_or_else(|| UNKNOWN.to_owned())
            }),
            guardrail_arn: guardrail.then(|| guardrail_arn.unwrap_or(UNKNOWN).to_owned()),
            logging: on("tamper-invocation-logging"),
            guardrail,
        }
    }
}

/// One desired rule: its address key and definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TamperRule {
    pub(crate) key: &'static str,
    pub(crate) def: RuleDef,
}

/// Keys of every tamper rule, in a fixed order (the ownership universe).
pub(crate) const KEYS: &[&str] = baseline_core::event_rules::TAMPER_RULE_KEYS;

fn pattern(
    source: &str,
    event_source: &str,
    names: &[&str],
    filter: Option<(&str, Vec<String>)>,
) -> Value {
    let mut detail = json!({
        "eventSource": [event_source],
        "eventName": names,
    });
    if let Some((field, values)) = filter {
        detail["requestParameters"] = json!({ field: values });
    }
    json!({
        "source": [source],
        "detail-type": [VIA_CLOUDTRAIL],
        "detail": detail,
    })
}

/// The rules. `name` turns a key into the rule's name; `critical` and `performance` are the
/// topic ARNs (`None`: alerting off, and then no tamper rule is created: it would alert nobody).
pub(crate) fn rules(
    cx: &TamperContext,
    stack: &str,
    name: impl Fn(&str) -> String,
    critical: Option<&str>,
    performance: Option<&str>,
) -> Vec<TamperRule> {
    let (Some(critical), Some(performance)) = (critical, performance) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |key: &'static str, what: &str, event_pattern: Value, topic: &str| {
        out.push(TamperRule {
            key,
            def: RuleDef {
                name: name(key),
                description: format!("{what}. Managed by bedrock-baseline, stack {stack}."),
                event_pattern,
                state: "ENABLED".into(),
                targets: vec![RuleTarget {
                    id: TOPIC_TARGET_ID.into(),
                    arn: topic.to_owned(),
                }],
            },
        });
    };
    if cx.logging {
        // Account-level setting: any call changes the stack's logging, so no resource filter.
        push(
            "tamper-invocation-logging",
            "Bedrock model invocation logging changed or deleted",
            pattern(
                "aws.bedrock",
                "bedrock.amazonaws.com",
                &[
                    "DeleteModelInvocationLoggingConfiguration",
                    "PutModelInvocationLoggingConfiguration",
                ],
                None,
            ),
            critical,
        );
    }
    if cx.guardrail {
        if let (Some(id), Some(arn)) = (&cx.guardrail_id, &cx.guardrail_arn) {
            // UpdateGuardrail / DeleteGuardrail take `guardrailIdentifier`: id or ARN.
            push(
                "tamper-guardrail",
                "the stack's guardrail updated or deleted",
                pattern(
                    "aws.bedrock",
                    "bedrock.amazonaws.com",
                    &["UpdateGuardrail", "DeleteGuardrail"],
                    Some(("guardrailIdentifier", vec![id.clone(), arn.clone()])),
                ),
                critical,
            );
        }
    }
    if let (Some(arn), Some(id)) = (&cx.kms_key_arn, &cx.kms_key_id) {
        // KMS requests name the key by `keyId` (id or ARN; an alias name is not matched).
        push(
            "tamper-kms-key",
            "the stack's KMS key policy changed, key disabled or scheduled for deletion",
            pattern(
                "aws.kms",
                "kms.amazonaws.com",
                &["PutKeyPolicy", "DisableKey", "ScheduleKeyDeletion"],
                Some(("keyId", vec![id.clone(), arn.clone()])),
            ),
            critical,
        );
    }
    if let Some(bucket) = &cx.bucket_name {
        push(
            "tamper-log-bucket",
            "the invocation log bucket's policy or access logging changed",
            pattern(
                "aws.s3",
                "s3.amazonaws.com",
                &["PutBucketPolicy", "DeleteBucketPolicy", "PutBucketLogging"],
                Some(("bucketName", vec![bucket.clone()])),
            ),
            critical,
        );
    }
    if !cx.endpoint_ids.is_empty() {
        push(
            "tamper-vpc-endpoints",
            &format!(
                "VPC endpoints deleted or modified in the region (stack endpoints: {})",
                cx.endpoint_ids.join(", ")
            ),
            pattern(
                "aws.ec2",
                "ec2.amazonaws.com",
                &["DeleteVpcEndpoints", "ModifyVpcEndpoint"],
                None,
            ),
            critical,
        );
    }
    if !cx.topic_arns.is_empty() {
        push(
            "tamper-topics",
            "attributes (policy, encryption) of the stack's alert topics changed",
            pattern(
                "aws.sns",
                "sns.amazonaws.com",
                &["SetTopicAttributes"],
                Some(("topicArn", cx.topic_arns.clone())),
            ),
            critical,
        );
    }
    // Access denied on any Bedrock call: CloudTrail records the failure with errorCode
    // (AccessDenied for REST-JSON services as recorded; AccessDeniedException in the API error).
    push(
        "bedrock-access-denied",
        "Bedrock calls refused for missing permissions",
        json!({
            "source": ["aws.bedrock"],
            "detail-type": [VIA_CLOUDTRAIL],
            "detail": {
                "eventSource": ["bedrock.amazonaws.com"],
                "errorCode": ["AccessDenied", "AccessDeniedException"],
            }
        }),
        performance,
    );
    out
}

#[cfg(test)]
mod tests;

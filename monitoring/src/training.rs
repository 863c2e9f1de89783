//! The training-job rule: model customization jobs publish no CloudWatch metric, only EventBridge
//! state-change events ("How EventBridge for Amazon Bedrock works", monitoring-eventbridge-how-it-works),
//! so a failed job is caught by a rule on `aws.bedrock` / `Model Customization Job State Change` /
//! `detail.jobStatus = Failed` with the critical topic as its target.

use crate::event_rule::{RuleDef, RuleTarget};
use serde_json::{json, Value};

/// Target id of the critical topic on the rule.
pub(crate) const TARGET_ID: &str = "critical-topic";

/// The event pattern of a failed model customization job.
pub(crate) fn failed_job_pattern() -> Value {
    json!({
        "source": ["aws.bedrock"],
        "detail-type": ["Model Customization Job State Change"],
        "detail": {"jobStatus": ["Failed"]}
    })
}

/// The rule: `critical` is the critical topic's ARN, when alerting is on.
pub(crate) fn rule(name: String, stack: &str, critical: Option<String>) -> RuleDef {
    RuleDef {
        name,
        description: format!("Failed Bedrock model customization jobs to the critical topic. Managed by bedrock-baseline, stack {stack}."),
        event_pattern: failed_job_pattern(),
        state: "ENABLED".into(),
        targets: critical.map(|arn| RuleTarget { id: TARGET_ID.into(), arn }).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests;

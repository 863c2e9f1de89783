//! The key policy: pure, built from the account, region and stack prefix.
//!
//! The account root keeps administration (AWS's default statement, which lets IAM policies grant
//! use of the key and keeps the key manageable). Every service principal is limited to this stack:
//! CloudWatch Logs by the encryption context of the stack's log groups, SNS, CloudWatch alarms,
//! the EventBridge rules the config enables (exact ARNs) and Bedrock by `aws:SourceAccount` and `aws:SourceArn` (confused-deputy
//! prevention).

use baseline_core::policy::{PolicyDocument, Statement};

/// What the key policy depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicyContext {
    /// `aws`, `aws-cn`, ...
    pub partition: String,
    /// 12-digit account id.
    pub account_id: String,
    /// Region of the stack.
    pub region: String,
    /// Stack prefix (`<project>-<environment>`).
    pub prefix: String,
    /// `/aws/bedrock/<prefix>/`.
    pub log_group_prefix: String,
    /// ARNs of the stack's EventBridge rules that publish to its (encrypted) topics
    /// (`baseline_core::event_rules::publishing_rule_arns`); empty: no EventBridge grant.
    pub event_rule_arns: Vec<String>,
}

/// Data-key actions a service needs to encrypt and decrypt with the key.
const SERVICE_USE: [&str; 2] = ["kms:GenerateDataKey", "kms:Decrypt"];

/// The key policy of the stack's key.
pub fn key_policy(c: &KeyPolicyContext) -> PolicyDocument {
    let KeyPolicyContext {
        partition: p,
        account_id: acct,
        region,
        prefix,
        log_group_prefix,
        event_rule_arns,
    } = c;
    let scoped = |sid: &str, service: &str, source_arn: String, actions: &[&str]| {
        Statement::allow(sid)
            .service_principal(service)
            .actions(actions.iter().copied())
            .resources(["*"])
            .condition("StringEquals", "aws:SourceAccount", [acct.as_str()])
            .condition("ArnLike", "aws:SourceArn", [source_arn])
    };
    let mut statements = vec![
        Statement::allow("AccountAdministration")
            .aws_principals([format!("arn:{p}:iam::{acct}:root")])
            .actions(["kms:*"])
            .resources(["*"]),
        Statement::allow("CloudWatchLogsUse")
            .service_principal(&format!("logs.{region}.amazonaws.com"))
            .actions([
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:DescribeKey",
            ])
            .resources(["*"])
            .condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                [format!(
                    "arn:{p}:logs:{region}:{acct}:log-group:{log_group_prefix}*"
                )],
            ),
        scoped(
            "SnsTopicsUse",
            "sns.amazonaws.com",
            format!("arn:{p}:sns:{region}:{acct}:{prefix}-*"),
            &SERVICE_USE,
        ),
        scoped(
            "CloudWatchAlarmsUse",
            "cloudwatch.amazonaws.com",
            format!("arn:{p}:cloudwatch:{region}:{acct}:alarm:{prefix}-*"),
            &SERVICE_USE,
        ),
        // Budgets and Cost Anomaly Detection publish to the stack's encrypted cost topic; a
        // publisher to an encrypted topic needs GenerateDataKey and Decrypt on its key (SNS
        // developer guide, "Configuring AWS KMS permissions" for AWS service event sources).
        // Source ARNs: budgets-sns-policy and ad-SNS pages of the Cost Management guide.
        scoped(
            "BudgetsUse",
            "budgets.amazonaws.com",
            format!("arn:{p}:budgets::{acct}:*"),
            &SERVICE_USE,
        ),
        scoped(
            "CostAnomalyDetectionUse",
            "costalerts.amazonaws.com",
            format!("arn:{p}:ce::{acct}:anomalysubscription/*"),
            &SERVICE_USE,
        ),
        scoped(
            "BedrockUse",
            "bedrock.amazonaws.com",
            format!("arn:{p}:bedrock:{region}:{acct}:*"),
            &["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"],
        ),
    ];
    if !event_rule_arns.is_empty() {
        // EventBridge publishing to an encrypted topic needs GenerateDataKey and Decrypt on its
        // key ("Amazon SNS permissions", EventBridge user guide, eb-use-resource-based): only
        // the rules the config enables, by exact ARN.
        statements.insert(
            4,
            Statement::allow("EventBridgeRulesUse")
                .service_principal("events.amazonaws.com")
                .actions(SERVICE_USE)
                .resources(["*"])
                .condition("StringEquals", "aws:SourceAccount", [acct.as_str()])
                .condition("ArnLike", "aws:SourceArn", event_rule_arns.iter().cloned()),
        );
    }
    PolicyDocument::new(statements)
}

#[cfg(test)]
mod tests;

//! Alarm topics (BB-73..75).

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-73",
        title: "Alarm SNS topic is KMS-encrypted",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:sns_topics_kms_encryption_at_rest_enabled", "config:SNS_ENCRYPTED_KMS", "checkov:CKV_AWS_26"],
        frameworks: ENCRYPTION,
        remediation: "Set `enable_alerting = true` (the stack's topics use its CMK) and apply; outside a \
            stack sns:SetTopicAttributes KmsMasterKeyId.",
        docs: &["https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html"],
        check: check_topic_encrypted,
    },
    Rule {
        id: "BB-74",
        title: "Alarm SNS topic policy is not public",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:sns_topics_not_publicly_accessible"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Apply the stack (its topic policy admits CloudWatch with aws:SourceAccount and \
            `sns_topic_principals`); outside a stack restrict Principal \"*\" with aws:SourceAccount or \
            aws:PrincipalOrgID.",
        docs: &["https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html"],
        check: check_topic_policy,
    },
    Rule {
        id: "BB-75",
        title: "Alarm SNS topic has no plain-HTTP subscription",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:sns_subscription_not_using_http_endpoints"],
        frameworks: &[SOC2_CC6_7, HIPAA_TRANSMISSION, ISO_NETWORK],
        remediation: "Use protocol https in `critical_alert_subscriptions` / \
            `performance_alert_subscriptions` / `cost_alert_subscriptions` and apply; outside a stack \
            sns:Unsubscribe the http endpoint and subscribe its https URL.",
        docs: &["https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html"],
        check: check_http_subscriptions,
    },
];

fn topics_in_scope<'a>(
    rule: &Rule,
    inv: &'a Inventory,
) -> Result<Vec<&'a crate::inventory::Topic>, Vec<Finding>> {
    let region = format!(
        "arn:{}:sns:{}:{}:*",
        inv.partition, inv.region, inv.account_id
    );
    let all = listed(rule, &inv.topics, &region, "sns:ListTopics")?;
    match scope_name(inv) {
        Some(stack) if stack.topic_names.is_empty() => Err(vec![rule.finding(
            region,
            Status::Fail,
            format!(
                "stack {} deploys no alarm topic (`enable_alerting = false`)",
                stack.stack
            ),
        )]),
        Some(stack) => {
            let mut out = Vec::new();
            let mut missing = Vec::new();
            for name in &stack.topic_names {
                match all.iter().find(|t| t.name() == name) {
                    Some(t) => out.push(t),
                    None => missing.push(rule.finding(
                        format!(
                            "arn:{}:sns:{}:{}:{name}",
                            inv.partition, inv.region, inv.account_id
                        ),
                        Status::Fail,
                        "the stack's topic does not exist (not applied yet?)",
                    )),
                }
            }
            if missing.is_empty() {
                Ok(out)
            } else {
                Err(missing)
            }
        }
        None if all.is_empty() => Err(vec![rule.finding(
            region,
            Status::NotApplicable,
            "no SNS topic",
        )]),
        None => Ok(all.iter().collect()),
    }
}

/// One finding per topic in scope, or the findings that replace them.
fn per_topic(rule: &Rule, inv: &Inventory, judge: impl Fn(&Topic) -> Finding) -> Vec<Finding> {
    match topics_in_scope(rule, inv) {
        Err(f) => f,
        Ok(topics) => topics.into_iter().map(judge).collect(),
    }
}

// KmsMasterKeyId topic attribute (https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html).
fn check_topic_encrypted(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_topic(rule, inv, |t| match &t.kms_key {
        None => rule.finding(
            &t.arn,
            Status::Fail,
            "no KmsMasterKeyId: not encrypted at rest",
        ),
        Some(k) => rule.finding(&t.arn, Status::Pass, format!("encrypted with {k}")),
    })
}

fn check_topic_policy(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_topic(rule, inv, |t| match &t.policy {
        Err(m) => rule.missing(&t.arn, "sns:GetTopicAttributes Policy", m),
        Ok(None) => rule.finding(&t.arn, Status::Unknown, "no Policy attribute returned"),
        Ok(Some(doc)) => rule.public_grants(&t.arn, doc),
    })
}

fn check_http_subscriptions(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_topic(rule, inv, |t| match inv.more.subscriptions.get(&t.arn) {
        None => rule.finding(&t.arn, Status::Unknown, "subscriptions not read"),
        Some(Err(m)) => rule.missing(&t.arn, "sns:ListSubscriptionsByTopic", m),
        Some(Ok(subs)) => {
            let http = subs
                .iter()
                .filter(|s| s.protocol.eq_ignore_ascii_case("http"))
                .count();
            if http == 0 {
                rule.finding(
                    &t.arn,
                    Status::Pass,
                    format!("{} subscriptions, none over plain HTTP", subs.len()),
                )
            } else {
                rule.finding(
                    &t.arn,
                    Status::Fail,
                    format!("{http} plain-HTTP subscriptions"),
                )
            }
        }
    })
}

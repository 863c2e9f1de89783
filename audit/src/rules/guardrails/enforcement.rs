//! Who must use a guardrail: BB-31 (invoke permissions carry a bedrock:GuardrailIdentifier
//! condition) and BB-32 (an account-level enforced guardrail).

use super::*;

/// Model invocation actions a guardrail condition should cover
/// (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html).
const INVOKE_ACTIONS: &[&str] = &[
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// Statements of `doc` that grant model invocation without a bedrock:GuardrailIdentifier condition.
fn unguarded_invoke(doc: &PolicyDocument) -> Vec<String> {
    doc.statement
        .iter()
        .enumerate()
        .filter(|(_, s)| s.effect == Effect::Allow)
        .filter(|(_, s)| {
            s.action.as_ref().is_some_and(|a| {
                a.0.iter()
                    .any(|p| INVOKE_ACTIONS.iter().any(|x| action_matches(p, x)))
            })
        })
        .filter(|(_, s)| {
            !s.condition.as_ref().is_some_and(|ops| {
                ops.values()
                    .flat_map(|k| k.keys())
                    .any(|k| k.eq_ignore_ascii_case("bedrock:GuardrailIdentifier"))
            })
        })
        .map(|(i, s)| s.sid.clone().unwrap_or_else(|| format!("#{}", i + 1)))
        .collect()
}

pub(super) fn check_guardrail_enforced_by_iam(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = format!("arn:{}:iam::{}:policy/*", inv.partition, inv.account_id);
    let policies = match listed(rule, &inv.more.local_policies, &region, "iam:ListPolicies") {
        Ok(p) => p,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    let in_scope: Vec<_> = match scope_name(inv) {
        Some(s) => match &s.model_access_policy {
            None => {
                return vec![rule.finding(
                    region,
                    Status::Fail,
                    format!(
                        "stack {} deploys no model-access policy (`enable_guardrails = false`)",
                        s.stack
                    ),
                )]
            }
            Some(name) => policies.iter().filter(|p| &p.name == name).collect(),
        },
        None => policies.iter().collect(),
    };
    for p in in_scope {
        match &p.document {
            Err(m) => out.push(rule.missing(&p.arn, "iam:GetPolicyVersion", m)),
            Ok(doc) => {
                let grants = INVOKE_ACTIONS.iter().any(|a| !allowing(doc, a).is_empty());
                if !grants {
                    continue;
                }
                let open = unguarded_invoke(doc);
                out.push(if open.is_empty() {
                    rule.finding(&p.arn, Status::Pass, format!("policy {}: every invoke grant names a guardrail", p.name))
                } else {
                    rule.finding(&p.arn, Status::Fail, format!("policy {}: statements {} allow invocation without bedrock:GuardrailIdentifier", p.name, open.join(", ")))
                });
            }
        }
    }
    for r in inv.roles.iter().flatten() {
        if scope_name(inv).is_some() {
            break;
        }
        let Some(detail) = inv.more.role_details.get(&r.name) else {
            continue;
        };
        match &detail.inline {
            Err(m) => out.push(rule.missing(&r.arn, "iam:GetRolePolicy", m)),
            Ok(docs) => {
                let open: Vec<String> = docs
                    .iter()
                    .flat_map(|(n, d)| {
                        unguarded_invoke(d)
                            .into_iter()
                            .map(move |s| format!("{n} {s}"))
                    })
                    .collect();
                if !open.is_empty() {
                    out.push(rule.finding(&r.arn, Status::Fail, format!("role {} inline {} allow invocation without bedrock:GuardrailIdentifier", r.name, open.join(", "))));
                }
            }
        }
    }
    let (status, reason) = match scope_name(inv) {
        Some(s) => (
            Status::Fail,
            format!(
                "the stack's model-access policy {} was not found",
                s.model_access_policy.as_deref().unwrap_or("")
            ),
        ),
        None => (
            Status::NotApplicable,
            "no customer policy grants model invocation".to_owned(),
        ),
    };
    rule.or_else(out, region, status, reason)
}

pub(super) fn check_enforced_guardrail(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    if let Some(f) = no_footprint(
        rule,
        inv,
        inv.bedrock_arn("enforced-guardrail-configuration/*"),
    ) {
        return f;
    }
    let res = inv.bedrock_arn("enforced-guardrail-configuration/*");
    match &inv.more.enforced_guardrails {
        Err(m) => vec![rule.missing(res, "bedrock:ListEnforcedGuardrailsConfiguration", m)],
        Ok(c) if c.is_empty() => vec![rule.finding(
            res,
            Status::Fail,
            "no account-enforced guardrail configuration (Organizations BEDROCK_POLICY not read)",
        )],
        Ok(c) => vec![rule.finding(
            res,
            Status::Pass,
            format!("enforced configurations: {}", c.join(", ")),
        )],
    }
}

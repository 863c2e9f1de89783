//! IAM principals, API keys and policies (BB-63..69).

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-63",
        title: "No role has the AmazonBedrockFullAccess managed policy",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_full_access_policy_attached", "aiml-assessment:BR-01"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "iam:DetachRolePolicy AmazonBedrockFullAccess and attach the stack's model-access policy \
            (`bedrock-baseline output model_access_policy_arn`) or a narrower one.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/security-iam-awsmanpol.html"],
        check: check_full_access_roles,
    },
    Rule {
        id: "BB-64",
        title: "No IAM user has bedrock:* permissions directly",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-iam-user-access"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Remove bedrock:* (or *) from the user's inline and attached policies; grant Bedrock \
            through a role with the stack's model-access policy.",
        docs: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"],
        check: check_user_bedrock_star,
    },
    Rule {
        id: "BB-65",
        title: "No active long-term Bedrock API key",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_api_key_no_long_term_credentials"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "iam:DeleteServiceSpecificCredential (or UpdateServiceSpecificCredential \
            Inactive) and use short-term Bedrock API keys or role credentials.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html"],
        check: check_api_keys_expired,
    },
    Rule {
        id: "BB-66",
        title: "Bedrock API key owners have no admin, privilege-escalation or bedrock:* grant",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_api_key_no_administrative_privileges"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Narrow the key owner's policies (no *, no bedrock:*, no iam:* escalation), or \
            delete the key.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html"],
        check: check_api_key_owners,
    },
    Rule {
        id: "BB-67",
        title: "No stale Bedrock access (roles and users unused for 60 days)",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:iam_role_access_not_stale_to_bedrock", "prowler:iam_user_access_not_stale_to_bedrock", "aiml-assessment:BR-14"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Remove Bedrock permissions not used in 60 days (IAM Access Advisor).",
        docs: &["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html"],
        check: check_stale_access,
    },
    Rule {
        id: "BB-68",
        title: "aws-marketplace:Subscribe is not granted on every resource",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:iam_policy_no_wildcard_marketplace_subscribe", "prowler:iam_inline_policy_no_wildcard_marketplace_subscribe", "aiml-assessment:BR-03"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Scope aws-marketplace:Subscribe with an aws-marketplace:ProductId condition, or \
            remove it; model access is granted once per account by an administrator.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/model-access-permissions.html"],
        check: check_marketplace,
    },
    Rule {
        id: "BB-69",
        title: "Bedrock service quotas are set for the workload (optional)",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["aiml-assessment:BR-22"],
        frameworks: HARDENING,
        remediation: "Review service-quotas:ListServiceQuotas(ServiceCode=bedrock) and request limits \
            that bound a runaway workload.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/quotas.html"],
        check: check_quotas,
    },
];

pub(super) const BEDROCK_FULL_ACCESS: &str = "arn:aws:iam::aws:policy/AmazonBedrockFullAccess";

// Service-linked roles live under /aws-service-role/ and cannot be changed by the account
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
fn check_full_access_roles(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let all = match listed(
        rule,
        &inv.roles,
        &format!("arn:{}:iam::{}:role/*", inv.partition, inv.account_id),
        "iam:ListRoles",
    ) {
        Ok(r) => r,
        Err(f) => return f,
    };
    let roles: Vec<_> = all
        .iter()
        .filter(|r| !r.path.starts_with("/aws-service-role/"))
        .collect();
    if roles.is_empty() {
        return vec![rule.finding(
            format!("arn:{}:iam::{}:role/*", inv.partition, inv.account_id),
            Status::NotApplicable,
            "no IAM role",
        )];
    }
    let full_access =
        BEDROCK_FULL_ACCESS.replacen("arn:aws:", &format!("arn:{}:", inv.partition), 1);
    roles
        .into_iter()
        .map(|r| match &r.attached {
            Err(m) => rule.missing(&r.arn, "iam:ListAttachedRolePolicies", m),
            Ok(arns) if arns.iter().any(|a| a == &full_access) => rule.finding(
                &r.arn,
                Status::Fail,
                format!("role {} has AmazonBedrockFullAccess attached", r.name),
            ),
            Ok(_) => rule.finding(
                &r.arn,
                Status::Pass,
                format!("role {} does not have AmazonBedrockFullAccess", r.name),
            ),
        })
        .collect()
}

/// True when the action pattern grants every Bedrock action (`*`, `bedrock:*`).
/// A plain statement scan until the policy evaluator of `baseline_core::policy` lands.
fn grants_bedrock_star(s: &Statement) -> bool {
    s.effect == Effect::Allow
        && s.action.as_ref().is_some_and(|a| {
            a.0.iter().any(|x| {
                let x = x.to_ascii_lowercase();
                x == "*" || x == "bedrock:*"
            })
        })
}

fn check_user_bedrock_star(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = format!("arn:{}:iam::{}:user/*", inv.partition, inv.account_id);
    let users = match listed(rule, &inv.users, &region, "iam:ListUsers") {
        Ok(u) => u,
        Err(f) => return f,
    };
    if users.is_empty() {
        return vec![rule.finding(region, Status::NotApplicable, "no IAM user")];
    }
    users
        .iter()
        .map(|u| match &u.policies {
            Err(m) => rule.missing(&u.arn, "the user's policies", m),
            Ok(policies) => {
                let granting: Vec<_> = policies
                    .iter()
                    .filter(|(_, doc)| doc.statement.iter().any(grants_bedrock_star))
                    .map(|(name, _)| name.as_str())
                    .collect();
                if granting.is_empty() {
                    rule.finding(
                        &u.arn,
                        Status::Pass,
                        format!("user {}: no policy grants bedrock:*", u.name),
                    )
                } else {
                    rule.finding(
                        &u.arn,
                        Status::Fail,
                        format!(
                            "user {}: bedrock:* granted by {}",
                            u.name,
                            granting.join(", ")
                        ),
                    )
                }
            }
        })
        .collect()
}

/// Prowler treats an expiry more than 10000 days away as "never expires".
const NEVER_EXPIRES_SECS: i64 = 10_000 * 24 * 3600;

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// (user, key) pairs, or the finding that replaces them.
fn per_api_key(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&User, &ApiKey) -> (Status, String),
) -> Vec<Finding> {
    let region = format!("arn:{}:iam::{}:user/*", inv.partition, inv.account_id);
    let users = match listed(rule, &inv.users, &region, "iam:ListUsers") {
        Ok(u) => u,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    for u in users {
        match inv.more.api_keys.get(&u.name) {
            None => out.push(rule.finding(&u.arn, Status::Unknown, "API keys not read")),
            Some(Err(m)) => out.push(rule.missing(&u.arn, "iam:ListServiceSpecificCredentials", m)),
            Some(Ok(keys)) => {
                for k in keys {
                    let (s, r) = judge(u, k);
                    out.push(rule.finding(
                        format!("{}/credential/{}", u.arn, k.id),
                        s,
                        format!("user {}: {r}", u.name),
                    ));
                }
            }
        }
    }
    rule.or_else(out, region, Status::NotApplicable, "no Bedrock API key")
}

// ExpirationDate of a Bedrock API key
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServiceSpecificCredentialMetadata.html).
fn check_api_keys_expired(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let now = now_secs();
    per_api_key(rule, inv, |_, k| {
        if k.status != "Active" {
            return (Status::Pass, format!("key {} is {}", k.id, k.status));
        }
        match k.expires {
            None => (
                Status::Fail,
                format!("active key {} without an expiration date", k.id),
            ),
            Some(t) if t <= now => (Status::Pass, format!("key {} has expired", k.id)),
            Some(t) if t - now > NEVER_EXPIRES_SECS => (
                Status::Fail,
                format!("active key {} never expires (critical)", k.id),
            ),
            Some(t) => (
                Status::Fail,
                format!(
                    "active long-term key {} expires in {} days",
                    k.id,
                    (t - now) / 86400
                ),
            ),
        }
    })
}

fn check_api_key_owners(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_api_key(rule, inv, |u, k| match &u.policies {
        Err(m) => (
            Status::Unknown,
            format!("the owner's policies: {}", m.reason()),
        ),
        Ok(docs) => {
            let mut problems = Vec::new();
            for (n, d) in docs {
                if grants_admin(d) {
                    problems.push(format!("{n} grants * on *"));
                }
                if let Some(p) = privilege_escalation(d) {
                    problems.push(format!("{n} allows {p}"));
                }
                if d.statement.iter().any(grants_bedrock_star) {
                    problems.push(format!("{n} grants bedrock:*"));
                }
            }
            if problems.is_empty() {
                (
                    Status::Pass,
                    format!("key {}: owner has no broad grant", k.id),
                )
            } else {
                (
                    Status::Fail,
                    format!("key {}: {}", k.id, problems.join(", ")),
                )
            }
        }
    })
}

fn check_stale_access(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    not_read(
        rule,
        format!("arn:{}:iam::{}:*", inv.partition, inv.account_id),
        "iam:GenerateServiceLastAccessedDetails + GetServiceLastAccessedDetails, one asynchronous job per principal",
    )
}

fn subscribes_everywhere(doc: &PolicyDocument) -> bool {
    allowing(doc, "aws-marketplace:Subscribe")
        .into_iter()
        .any(|s| on_every_resource(s) && s.condition.is_none())
}

/// A FAIL on `arn` for each of its documents that allows aws-marketplace:Subscribe on `*`;
/// `named` says which document it is.
fn subscribing(
    rule: &Rule,
    arn: &str,
    docs: &[(String, PolicyDocument)],
    named: impl Fn(&str) -> String,
) -> Vec<Finding> {
    docs.iter()
        .filter(|(_, d)| subscribes_everywhere(d))
        .map(|(n, _)| {
            rule.finding(
                arn,
                Status::Fail,
                format!("{} allows aws-marketplace:Subscribe on *", named(n)),
            )
        })
        .collect()
}

fn check_marketplace(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = format!("arn:{}:iam::{}:policy/*", inv.partition, inv.account_id);
    let policies = match listed(rule, &inv.more.local_policies, &region, "iam:ListPolicies") {
        Ok(p) => p,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    for p in policies {
        match &p.document {
            Err(m) => out.push(rule.missing(&p.arn, "iam:GetPolicyVersion", m)),
            Ok(d) if subscribes_everywhere(d) => out.push(rule.finding(
                &p.arn,
                Status::Fail,
                format!("policy {} allows aws-marketplace:Subscribe on *", p.name),
            )),
            Ok(_) => {}
        }
    }
    for r in inv.roles.iter().flatten() {
        match inv.more.role_details.get(&r.name).map(|d| &d.inline) {
            Some(Err(m)) => out.push(rule.missing(&r.arn, "iam:GetRolePolicy", m)),
            Some(Ok(docs)) => out.extend(subscribing(rule, &r.arn, docs, |n| {
                format!("role {} inline {n}", r.name)
            })),
            None => {}
        }
    }
    for u in inv.users.iter().flatten() {
        if let Ok(docs) = &u.policies {
            out.extend(subscribing(rule, &u.arn, docs, |n| {
                format!("user {} policy {n}", u.name)
            }));
        }
    }
    rule.or_else(
        out,
        region,
        Status::Pass,
        "no customer or inline policy allows aws-marketplace:Subscribe on *",
    )
}

fn check_quotas(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    not_read(
        rule,
        regional_arn(inv, "servicequotas", "bedrock/*"),
        "service-quotas:ListServiceQuotas(ServiceCode=bedrock)",
    )
}

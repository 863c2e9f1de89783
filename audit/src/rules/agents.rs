//! Agents (BB-34..40), scope W: every agent found, its DRAFT and alias-routed versions.

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-34",
        title: "Agent uses a guardrail",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_agent_guardrail_enabled", "conformity:Bedrock-002", "aiml-assessment:BR-28", "checkov:CKV_AWS_383"],
        frameworks: CONTENT_SAFETY,
        remediation: "bedrock-agent:UpdateAgent with guardrailConfiguration {guardrailIdentifier, guardrailVersion} \
            (the stack's guardrail id is in `bedrock-baseline output guardrail_id`), then PrepareAgent.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/agents-guardrail.html"],
        check: check_agent_guardrail,
    },
    Rule {
        id: "BB-35",
        title: "Agent is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["conformity:Bedrock-001", "checkov:CKV_AWS_373"],
        frameworks: ENCRYPTION,
        remediation: "bedrock-agent:UpdateAgent with customerEncryptionKeyArn of a customer-managed key \
            (e.g. the stack's `kms_key_arn`).",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-agents.html",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateAgent.html",
        ],
        check: check_agent_cmk,
    },
    Rule {
        id: "BB-37",
        title: "Agent has a dedicated execution role",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_agent_role_not_shared_across_agents"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Create one service role per agent and bedrock-agent:UpdateAgent with its agentResourceRoleArn.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/agents-permissions.html"],
        check: check_agent_role_shared,
    },
    Rule {
        id: "BB-39",
        title: "Agent idle session TTL is at most 3600 seconds",
        severity: Severity::Medium,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_agent_idle_session_ttl_not_excessive", "aiml-assessment:BR-29"],
        frameworks: &[SOC2_CC6_1, HIPAA_ACCESS, ISO_ACCESS],
        remediation: "bedrock-agent:UpdateAgent with idleSessionTTLInSeconds <= 3600.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateAgent.html"],
        check: check_agent_ttl,
    },
    Rule {
        id: "BB-36",
        title: "Agent execution role follows least privilege (no *FullAccess, no admin, a permissions boundary)",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_agent_role_least_privilege", "conformity:service-role-policy-too-permissive", "aiml-assessment:BR-08"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Detach *FullAccess and admin policies from the agent's role, scope its grants to \
            the agent's models and knowledge bases, and iam:PutRolePermissionsBoundary (the stack's \
            `permissions_boundary_arn` is one).",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/agents-permissions.html"],
        check: check_agent_role_privilege,
    },
    Rule {
        id: "BB-38",
        title: "Bedrock service roles' trust policies carry aws:SourceAccount / aws:SourceArn",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["conformity:cross-service-confused-deputy-prevention", "prowler:iam_role_cross_service_confused_deputy_prevention"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "iam:UpdateAssumeRolePolicy adding Condition StringEquals aws:SourceAccount \
            (and ArnLike aws:SourceArn) to the bedrock.amazonaws.com statement; the stack's own roles \
            already carry both.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/cross-service-confused-deputy-prevention.html"],
        check: check_confused_deputy,
    },
    Rule {
        id: "BB-40",
        title: "Agent action-group Lambda functions run with least-privilege roles",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["aiml-assessment:BR-21"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Give each action-group function a role without AdministratorAccess, *FullAccess \
            or Resource \"*\" grants (lambda:GetFunctionConfiguration names the role).",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/agents-permissions.html",
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
        ],
        check: check_action_groups,
    },
];

fn agents_or<'a>(
    rule: &Rule,
    inv: &'a Inventory,
) -> Result<&'a [crate::inventory::Agent], Vec<Finding>> {
    let all = listed(
        rule,
        &inv.agents,
        &inv.bedrock_arn("agent/*"),
        "bedrock-agent:ListAgents",
    )?;
    if all.is_empty() {
        return Err(vec![rule.finding(
            inv.bedrock_arn("agent/*"),
            Status::NotApplicable,
            "no agent in the region",
        )]);
    }
    Ok(all)
}

fn per_agent(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&crate::inventory::AgentDetail) -> (Status, String),
) -> Vec<Finding> {
    let agents = match agents_or(rule, inv) {
        Ok(a) => a,
        Err(f) => return f,
    };
    agents
        .iter()
        .map(|a| match &a.detail {
            Err(m) => rule.missing(
                inv.bedrock_arn(&format!("agent/{}", a.id)),
                "bedrock-agent:GetAgent",
                m,
            ),
            Ok(d) => {
                let (status, reason) = judge(d);
                rule.finding(&d.arn, status, format!("agent {}: {reason}", a.name))
            }
        })
        .collect()
}

// guardrailConfiguration on the agent
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_Agent.html).
fn check_agent_guardrail(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let agents = match agents_or(rule, inv) {
        Ok(a) => a,
        Err(f) => return f,
    };
    agents
        .iter()
        .map(|a| {
            let d = match &a.detail {
                Err(m) => {
                    return rule.missing(
                        inv.bedrock_arn(&format!("agent/{}", a.id)),
                        "bedrock-agent:GetAgent",
                        m,
                    )
                }
                Ok(d) => d,
            };
            // DRAFT and every version an active alias routes to (Datadog's reading).
            let mut seen = vec![("DRAFT".to_owned(), d.guardrail.clone())];
            match &a.extras.versions {
                Err(m) => {
                    return rule.missing(
                        &d.arn,
                        "bedrock-agent:ListAgentAliases/GetAgentVersion",
                        m,
                    )
                }
                Ok(vs) => seen.extend(vs.iter().map(|v| (v.version.clone(), v.guardrail.clone()))),
            }
            let without: Vec<&str> = seen
                .iter()
                .filter(|(_, g)| g.is_none())
                .map(|(v, _)| v.as_str())
                .collect();
            if without.is_empty() {
                let used: Vec<String> = seen
                    .iter()
                    .filter_map(|(v, g)| {
                        g.as_ref().map(|(id, gv)| {
                            format!("{v}: {id} version {}", gv.as_deref().unwrap_or("DRAFT"))
                        })
                    })
                    .collect();
                rule.finding(
                    &d.arn,
                    Status::Pass,
                    format!("agent {}: {}", a.name, used.join(", ")),
                )
            } else {
                rule.finding(
                    &d.arn,
                    Status::Fail,
                    format!(
                        "agent {}: no guardrailConfiguration on {}",
                        a.name,
                        without.join(", ")
                    ),
                )
            }
        })
        .collect()
}

fn check_agent_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_agent(rule, inv, |d| {
        key_setting(inv, d.customer_key_arn.as_ref(), "customerEncryptionKeyArn")
    })
}

fn check_agent_role_shared(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let agents = match agents_or(rule, inv) {
        Ok(a) => a,
        Err(f) => return f,
    };
    // Sharing is judged over the whole inventory: one unread agent makes every verdict uncertain.
    let unread = agents.iter().filter(|a| a.detail.is_err()).count();
    per_agent(rule, inv, |d| {
        let Some(role) = &d.role_arn else {
            return (Status::Unknown, "no agentResourceRoleArn".into());
        };
        let holders = agents
            .iter()
            .filter(|a| a.detail.as_ref().ok().and_then(|x| x.role_arn.as_ref()) == Some(role))
            .count();
        if holders > 1 {
            (
                Status::Fail,
                format!("role {role} is used by {holders} agents"),
            )
        } else if unread > 0 {
            (
                Status::Unknown,
                format!("{unread} other agents could not be read"),
            )
        } else {
            (
                Status::Pass,
                format!("role {role} is used by this agent only"),
            )
        }
    })
}

// idleSessionTTLInSeconds, 60..5400 s per the API; the assessment's limit is 3600
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateAgent.html).
fn check_agent_ttl(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_agent(rule, inv, |d| match d.idle_session_ttl {
        None => (Status::Unknown, "no idleSessionTTLInSeconds".into()),
        Some(t) if t > 3600 => (Status::Fail, format!("idleSessionTTLInSeconds {t} > 3600")),
        Some(t) => (Status::Pass, format!("idleSessionTTLInSeconds {t}")),
    })
}

fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

// Prowler's bedrock_agent_role_least_privilege: any attached AWS-managed `*FullAccess` or
// AdministratorAccess, an admin or privilege-escalation grant, or no permissions boundary FAILs.
fn check_agent_role_privilege(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_agent(rule, inv, |d| {
        let Some(role_arn) = &d.role_arn else {
            return (Status::Unknown, "no agentResourceRoleArn".into());
        };
        judge_role(inv, role_name(role_arn), true)
    })
}

/// Least privilege of one role: managed `*FullAccess`/AdministratorAccess, admin or privilege
/// escalation in its customer or inline policies, and (when `boundary`) a permissions boundary.
pub(super) fn judge_role(inv: &Inventory, name: &str, boundary: bool) -> (Status, String) {
    let Some(role) = inv.roles.iter().flatten().find(|r| r.name == name) else {
        return match &inv.roles {
            Err(m) => (Status::Unknown, format!("iam:ListRoles: {}", m.reason())),
            Ok(_) => (Status::Fail, format!("role {name} does not exist")),
        };
    };
    let attached = match &role.attached {
        Err(m) => {
            return (
                Status::Unknown,
                format!("iam:ListAttachedRolePolicies: {}", m.reason()),
            )
        }
        Ok(a) => a,
    };
    let mut problems: Vec<String> = attached
        .iter()
        .filter(|a| a.contains(":iam::aws:policy/"))
        .filter(|a| a.ends_with("FullAccess") || a.ends_with("/AdministratorAccess"))
        .map(|a| format!("{} attached", a.rsplit('/').next().unwrap_or(a)))
        .collect();
    let mut docs: Vec<(String, &PolicyDocument)> = Vec::new();
    let detail = inv.more.role_details.get(name);
    match detail.map(|d| &d.inline) {
        None => return (Status::Unknown, "inline policies not read".into()),
        Some(Err(m)) => return (Status::Unknown, format!("inline policies: {}", m.reason())),
        Some(Ok(inline)) => docs.extend(inline.iter().map(|(n, d)| (format!("inline {n}"), d))),
    }
    for arn in attached.iter().filter(|a| !a.contains(":iam::aws:policy/")) {
        match inv
            .more
            .local_policies
            .iter()
            .flatten()
            .find(|p| &p.arn == arn)
        {
            Some(LocalPolicy {
                document: Ok(d),
                name,
                ..
            }) => docs.push((name.clone(), d)),
            Some(LocalPolicy {
                document: Err(m), ..
            }) => return (Status::Unknown, format!("{arn}: {}", m.reason())),
            None => return (Status::Unknown, format!("{arn} was not read")),
        }
    }
    for (n, d) in &docs {
        if grants_admin(d) {
            problems.push(format!("{n} grants * on *"));
        }
        if let Some(p) = privilege_escalation(d) {
            problems.push(format!("{n} allows {p} on *"));
        }
    }
    if boundary {
        match detail.and_then(|d| d.boundary.as_ref()) {
            None => return (Status::Unknown, "permissions boundary not read".into()),
            Some(Err(m)) => return (Status::Unknown, format!("iam:GetRole: {}", m.reason())),
            Some(Ok(None)) => problems.push("no permissions boundary".into()),
            Some(Ok(Some(_))) => {}
        }
    }
    if problems.is_empty() {
        (Status::Pass, format!("role {name}: least privilege"))
    } else {
        (
            Status::Fail,
            format!("role {name}: {}", problems.join(", ")),
        )
    }
}

/// Bedrock's service principals (agents, knowledge bases, flows, jobs, logging).
const BEDROCK_PRINCIPALS: &[&str] = &["bedrock.amazonaws.com", "bedrock-agentcore.amazonaws.com"];

/// Trust statements letting a Bedrock service principal assume the role without a source
/// condition (confused-deputy prevention,
/// https://docs.aws.amazon.com/bedrock/latest/userguide/cross-service-confused-deputy-prevention.html).
fn unguarded_trust(doc: &PolicyDocument) -> Option<Vec<String>> {
    let mut bedrock = false;
    let mut open = Vec::new();
    for (i, s) in doc.statement.iter().enumerate() {
        if s.effect != Effect::Allow {
            continue;
        }
        let services: Vec<String> = match serde_json::to_value(&s.principal) {
            Ok(serde_json::Value::Object(m)) => match m.get("Service") {
                Some(serde_json::Value::String(x)) => vec![x.clone()],
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                _ => vec![],
            },
            _ => vec![],
        };
        if !services
            .iter()
            .any(|x| BEDROCK_PRINCIPALS.contains(&x.as_str()))
        {
            continue;
        }
        bedrock = true;
        if !restricted(s) {
            open.push(s.sid.clone().unwrap_or_else(|| format!("#{}", i + 1)));
        }
    }
    bedrock.then_some(open)
}

fn check_confused_deputy(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = format!("arn:{}:iam::{}:role/*", inv.partition, inv.account_id);
    let roles = match listed(rule, &inv.roles, &region, "iam:ListRoles") {
        Ok(r) => r,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    for r in roles
        .iter()
        .filter(|r| !r.path.starts_with("/aws-service-role/"))
    {
        let Some(d) = inv.more.role_details.get(&r.name) else {
            continue;
        };
        match &d.trust {
            Err(e) => out.push(rule.finding(&r.arn, Status::Unknown, format!("trust policy did not parse: {e}"))),
            Ok(None) => out.push(rule.finding(&r.arn, Status::Unknown, "ListRoles returned no trust policy")),
            Ok(Some(doc)) => match unguarded_trust(doc) {
                None => {}
                Some(open) if open.is_empty() => out.push(rule.finding(&r.arn, Status::Pass, format!("role {}: Bedrock trust conditioned on the source", r.name))),
                Some(open) => out.push(rule.finding(&r.arn, Status::Fail, format!("role {}: statements {} let a Bedrock service assume it without aws:SourceAccount/aws:SourceArn", r.name, open.join(", ")))),
            },
        }
    }
    rule.or_else(
        out,
        region,
        Status::NotApplicable,
        "no role trusts a Bedrock service principal",
    )
}

fn check_action_groups(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let agents = match agents_or(rule, inv) {
        Ok(a) => a,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    for a in agents {
        let res = a
            .detail
            .as_ref()
            .map(|d| d.arn.clone())
            .unwrap_or_else(|_| inv.bedrock_arn(&format!("agent/{}", a.id)));
        match &a.extras.action_groups {
            Err(m) => out.push(rule.missing(res, "bedrock-agent:ListAgentActionGroups", m)),
            Ok(groups) => {
                let lambdas: Vec<&str> =
                    groups.iter().filter_map(|g| g.lambda.as_deref()).collect();
                if !lambdas.is_empty() {
                    out.push(rule.finding(
                        res,
                        Status::Unknown,
                        format!(
                            "agent {}: functions {} — their roles are not read by this tool (needs lambda:GetFunctionConfiguration)",
                            a.name,
                            lambdas.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    rule.or_else(
        out,
        inv.bedrock_arn("agent/*"),
        Status::NotApplicable,
        "no action group runs a Lambda function",
    )
}

//! The rule catalog: each rule is data ([`Rule`]) plus one pure check over the [`Inventory`].
//! Ids are `BB-NN`, NN being the row of the merged property list in `AUDIT-RULES.md` §8, so a
//! reviewer can trace every rule to the scanner rules it covers.
//!
//! Shared semantics, from the issue and AUDIT-RULES.md's implementation notes:
//! - a failed read is UNKNOWN, never PASS; a service not offered in the region is NOT_APPLICABLE;
//! - "customer-managed key" means `kms:DescribeKey` says `KeyManager = CUSTOMER`, not that an ARN
//!   is set (KeyMetadata, https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html);
//! - guardrail rules judge DRAFT and every version an agent or the stack's policy pins.

use crate::inventory::*;
use crate::model::{Control, Finding, Framework, Scope, Severity, Status};
use baseline_core::policy::{Effect, PolicyDocument, Principal, Statement};

/// One audit rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id, `BB-NN`.
    pub id: &'static str,
    /// One-line title, phrased as the property that should hold.
    pub title: &'static str,
    /// Severity of a FAIL.
    pub severity: Severity,
    /// Stack (B) or workload (W).
    pub scope: Scope,
    /// Scanner rule ids this rule covers (`prowler:...`, `conformity:Bedrock-NNN`, `checkov:...`).
    pub sources: &'static [&'static str],
    /// Framework controls it supports.
    pub frameworks: &'static [Control],
    /// What to do on FAIL. For stack resources it names the config key.
    pub remediation: &'static str,
    /// The AWS pages that state the requirement (user guide or API reference), first the one
    /// that says it best.
    pub docs: &'static [&'static str],
    /// The check.
    pub check: fn(&Rule, &Inventory) -> Vec<Finding>,
}

impl Rule {
    /// Runs the check; every finding carries this rule's id.
    pub fn evaluate(&self, inventory: &Inventory) -> Vec<Finding> {
        (self.check)(self, inventory)
    }

    fn finding(
        &self,
        resource: impl Into<String>,
        status: Status,
        reason: impl Into<String>,
    ) -> Finding {
        Finding::new(self.id, resource, status, reason)
    }

    /// `out`, or, when no resource gave a finding, the one finding that says why.
    fn or_else(
        &self,
        out: Vec<Finding>,
        resource: impl Into<String>,
        status: Status,
        reason: impl Into<String>,
    ) -> Vec<Finding> {
        if out.is_empty() {
            vec![self.finding(resource, status, reason)]
        } else {
            out
        }
    }

    /// The finding of a resource policy: FAIL when it grants `Principal: *` without a
    /// restricting condition.
    fn public_grants(&self, resource: impl Into<String>, doc: &PolicyDocument) -> Finding {
        let public = public_statements(doc);
        if public.is_empty() {
            self.finding(resource, Status::Pass, "no unconditioned Principal * grant")
        } else {
            self.finding(
                resource,
                Status::Fail,
                format!(
                    "statements {} allow Principal * without a condition",
                    public.join(", ")
                ),
            )
        }
    }

    /// A finding for a read that has no value.
    fn missing(&self, resource: impl Into<String>, what: &str, missing: &Missing) -> Finding {
        match missing {
            Missing::NotOffered(r) => {
                self.finding(resource, Status::NotApplicable, format!("{what}: {r}"))
            }
            Missing::Failed(r) => self.finding(
                resource,
                Status::Unknown,
                format!("{what} could not be read: {r}"),
            ),
        }
    }
}

// Controls, from the seed README's compliance section (GDPR: PII anonymisation; SOC 2: audit
// logging; HIPAA: encryption and access controls; ISO 27001: security configuration standards).
const SOC2_CC6_1: Control = Control {
    framework: Framework::Soc2,
    id: "CC6.1",
};
const SOC2_CC6_3: Control = Control {
    framework: Framework::Soc2,
    id: "CC6.3",
};
const SOC2_CC6_6: Control = Control {
    framework: Framework::Soc2,
    id: "CC6.6",
};
const SOC2_CC6_7: Control = Control {
    framework: Framework::Soc2,
    id: "CC6.7",
};
const SOC2_CC7_2: Control = Control {
    framework: Framework::Soc2,
    id: "CC7.2",
};
const HIPAA_ACCESS: Control = Control {
    framework: Framework::Hipaa,
    id: "164.312(a)(1)",
};
const HIPAA_ENCRYPTION: Control = Control {
    framework: Framework::Hipaa,
    id: "164.312(a)(2)(iv)",
};
const HIPAA_AUDIT: Control = Control {
    framework: Framework::Hipaa,
    id: "164.312(b)",
};
const HIPAA_INTEGRITY: Control = Control {
    framework: Framework::Hipaa,
    id: "164.312(c)(1)",
};
const HIPAA_TRANSMISSION: Control = Control {
    framework: Framework::Hipaa,
    id: "164.312(e)(1)",
};
const ISO_ACCESS: Control = Control {
    framework: Framework::Iso27001,
    id: "A.5.15",
};
const ISO_PRIVILEGED: Control = Control {
    framework: Framework::Iso27001,
    id: "A.8.2",
};
const ISO_CONFIG: Control = Control {
    framework: Framework::Iso27001,
    id: "A.8.9",
};
const ISO_MASKING: Control = Control {
    framework: Framework::Iso27001,
    id: "A.8.11",
};
const ISO_LEAKAGE: Control = Control {
    framework: Framework::Iso27001,
    id: "A.8.12",
};
const ISO_LOGGING: Control = Control {
    framework: Framework::Iso27001,
    id: "A.8.15",
};
const ISO_NETWORK: Control = Control {
    framework: Framework::Iso27001,
    id: "A.8.20",
};
const ISO_CRYPTO: Control = Control {
    framework: Framework::Iso27001,
    id: "A.8.24",
};
const GDPR_SECURITY: Control = Control {
    framework: Framework::Gdpr,
    id: "Art. 32",
};
const GDPR_BY_DESIGN: Control = Control {
    framework: Framework::Gdpr,
    id: "Art. 25",
};

const LOGGING: &[Control] = &[SOC2_CC7_2, HIPAA_AUDIT, ISO_LOGGING, GDPR_SECURITY];
const ENCRYPTION: &[Control] = &[SOC2_CC6_1, HIPAA_ENCRYPTION, ISO_CRYPTO, GDPR_SECURITY];
const LOG_ENCRYPTION: &[Control] = &[
    SOC2_CC6_1,
    SOC2_CC7_2,
    HIPAA_ENCRYPTION,
    HIPAA_AUDIT,
    ISO_CRYPTO,
    ISO_LOGGING,
    GDPR_SECURITY,
];
const CONTENT_SAFETY: &[Control] = &[SOC2_CC6_6, HIPAA_INTEGRITY, ISO_CONFIG, GDPR_SECURITY];
const PII: &[Control] = &[
    SOC2_CC6_1,
    HIPAA_ACCESS,
    ISO_MASKING,
    ISO_LEAKAGE,
    GDPR_BY_DESIGN,
    GDPR_SECURITY,
];
const LEAST_PRIVILEGE: &[Control] = &[
    SOC2_CC6_3,
    HIPAA_ACCESS,
    ISO_ACCESS,
    ISO_PRIVILEGED,
    GDPR_SECURITY,
];
const NETWORK: &[Control] = &[
    SOC2_CC6_6,
    SOC2_CC6_7,
    HIPAA_TRANSMISSION,
    ISO_NETWORK,
    GDPR_SECURITY,
];
const HARDENING: &[Control] = &[SOC2_CC6_1, ISO_CONFIG];

mod access;
mod agents;
mod guardrails;
mod iam;
mod kms;
mod knowledge_bases;
mod logging;
mod models;
mod network;
mod s3;
mod sns;

/// Every rule, in id order: the areas' tables, merged once.
static CATALOG: std::sync::LazyLock<Vec<Rule>> = std::sync::LazyLock::new(|| {
    let mut all: Vec<Rule> = [
        logging::RULES,
        s3::RULES,
        guardrails::RULES,
        agents::RULES,
        knowledge_bases::RULES,
        models::RULES,
        network::RULES,
        iam::RULES,
        kms::RULES,
        sns::RULES,
        access::RULES,
    ]
    .concat();
    all.sort_by(|a, b| a.id.cmp(b.id));
    all
});

/// Every rule, in id order.
pub fn catalog() -> &'static [Rule] {
    &CATALOG
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    CATALOG.iter().find(|r| r.id == id)
}

// ---------------------------------------------------------------------------------------------
// helpers shared by the areas

/// `Ok(items)` or the one finding that says why there are none to judge.
fn listed<'a, T>(
    rule: &Rule,
    read: &'a Read<Vec<T>>,
    resource: &str,
    what: &str,
) -> Result<&'a [T], Vec<Finding>> {
    match read {
        Ok(items) => Ok(items),
        Err(m) => Err(vec![rule.missing(resource, what, m)]),
    }
}

/// Judges a resource's key setting: no key (`field` absent) is an AWS-owned key, FAIL; a key
/// is judged by [`cmk`].
fn key_setting(inv: &Inventory, key: Option<&String>, field: &str) -> (Status, String) {
    match key {
        None => (
            Status::Fail,
            format!("no {field}: encrypted with an AWS-owned key"),
        ),
        Some(k) => cmk(inv, k),
    }
}

/// Judges a key reference: PASS only when DescribeKey said `KeyManager = CUSTOMER`.
fn cmk(inv: &Inventory, key: &str) -> (Status, String) {
    match inv.keys.get(key) {
        None => (Status::Unknown, format!("key {key} was not described")),
        Some(Err(m)) => (
            Status::Unknown,
            format!("kms:DescribeKey {key} failed: {}", m.reason()),
        ),
        Some(Ok(k)) => match k.manager.as_deref() {
            Some("CUSTOMER") => (Status::Pass, format!("{key} is a customer-managed key")),
            Some(other) => (
                Status::Fail,
                format!("{key} is managed by {other}, not the customer"),
            ),
            None => (
                Status::Unknown,
                format!("kms:DescribeKey {key} returned no KeyManager"),
            ),
        },
    }
}

fn scope_name(inv: &Inventory) -> Option<&StackScope> {
    inv.stack.as_ref()
}

// agents, knowledge bases, models (scope W: every instance; N/A when none)

/// Condition keys that restrict a `Principal: *` grant to known callers. IAM global condition
/// keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
/// `AWS:SourceOwner` is SNS's default-policy key
/// (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
const RESTRICTING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:userid",
];

fn is_any_principal(p: &Option<Principal>) -> bool {
    let Some(p) = p else { return false };
    match serde_json::to_value(p) {
        Ok(serde_json::Value::String(s)) => s == "*",
        Ok(serde_json::Value::Object(m)) => m.get("AWS").is_some_and(|v| match v {
            serde_json::Value::String(s) => s == "*",
            serde_json::Value::Array(a) => a.iter().any(|x| x == "*"),
            _ => false,
        }),
        _ => false,
    }
}

fn restricted(s: &Statement) -> bool {
    s.condition.as_ref().is_some_and(|ops| {
        ops.values()
            .flat_map(|keys| keys.keys())
            .any(|k| RESTRICTING_KEYS.contains(&k.to_ascii_lowercase().as_str()))
    })
}

/// Allow statements with `Principal: *` and no restricting condition.
fn public_statements(doc: &PolicyDocument) -> Vec<String> {
    doc.statement
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.effect == Effect::Allow && is_any_principal(&s.principal) && !restricted(s)
        })
        .map(|(i, s)| s.sid.clone().unwrap_or_else(|| format!("#{}", i + 1)))
        .collect()
}

/// Whether the region shows Bedrock use (logging on, or any guardrail, agent, knowledge base,
/// custom model, prompt or flow). Adoption rules are NOT_APPLICABLE without it, the fix the AWS
/// assessment (issue #45) and Prowler (#5674) made for false failures in unused regions.
fn bedrock_footprint(inv: &Inventory) -> bool {
    inv.stack.is_some()
        || matches!(&inv.logging, Ok(Some(_)))
        || inv.guardrails.as_ref().is_ok_and(|v| !v.is_empty())
        || inv.agents.as_ref().is_ok_and(|v| !v.is_empty())
        || inv.knowledge_bases.as_ref().is_ok_and(|v| !v.is_empty())
        || inv.custom_models.as_ref().is_ok_and(|v| !v.is_empty())
        || inv.more.prompts.as_ref().is_ok_and(|v| !v.is_empty())
        || inv.more.flows.as_ref().is_ok_and(|v| !v.is_empty())
}

/// The NOT_APPLICABLE finding of an adoption rule in a region without Bedrock use; `None`
/// where Bedrock is used.
fn no_footprint(rule: &Rule, inv: &Inventory, resource: impl Into<String>) -> Option<Vec<Finding>> {
    (!bedrock_footprint(inv)).then(|| {
        vec![rule.finding(
            resource,
            Status::NotApplicable,
            "no Bedrock use in the region (no logging, guardrail, agent, knowledge base, model, prompt or flow)",
        )]
    })
}

/// The finding of a rule whose data this tool does not read: UNKNOWN, never PASS.
fn not_read(rule: &Rule, resource: impl Into<String>, api: &str) -> Vec<Finding> {
    vec![rule.finding(
        resource,
        Status::Unknown,
        format!("not read by this tool (needs {api})"),
    )]
}

/// `arn:<partition>:<service>:<region>:<account>:<rest>`.
fn regional_arn(inv: &Inventory, service: &str, rest: &str) -> String {
    format!(
        "arn:{}:{service}:{}:{}:{rest}",
        inv.partition, inv.region, inv.account_id
    )
}

/// True when an IAM action pattern (`bedrock:Invoke*`, `*`) matches `action` (case-insensitive,
/// `*` and `?` wildcards, IAM policy grammar:
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

/// Allow statements (with `Action`) that grant `action`.
fn allowing<'a>(doc: &'a PolicyDocument, action: &str) -> Vec<&'a Statement> {
    doc.statement
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .filter(|s| {
            s.action
                .as_ref()
                .is_some_and(|a| a.0.iter().any(|p| action_matches(p, action)))
        })
        .collect()
}

/// True when a statement's `Resource` is `*` (every resource).
fn on_every_resource(s: &Statement) -> bool {
    s.resource
        .as_ref()
        .is_some_and(|r| r.0.iter().any(|x| x == "*"))
}

/// Administrator access: `Action: *` on `Resource: *`.
fn grants_admin(doc: &PolicyDocument) -> bool {
    doc.statement.iter().any(|s| {
        s.effect == Effect::Allow
            && on_every_resource(s)
            && s.action
                .as_ref()
                .is_some_and(|a| a.0.iter().any(|x| x == "*" || x == "*:*"))
    })
}

/// Privilege-escalation combinations Prowler flags (a subset: passing a role to a new compute
/// resource, or rewriting one's own policies), judged on `Resource: *` grants.
fn privilege_escalation(doc: &PolicyDocument) -> Option<&'static str> {
    const COMBOS: &[(&[&str], &str)] = &[
        (&["iam:CreatePolicyVersion"], "iam:CreatePolicyVersion"),
        (&["iam:AttachRolePolicy"], "iam:AttachRolePolicy"),
        (&["iam:PutRolePolicy"], "iam:PutRolePolicy"),
        (&["iam:AttachUserPolicy"], "iam:AttachUserPolicy"),
        (&["iam:PutUserPolicy"], "iam:PutUserPolicy"),
        (
            &["iam:PassRole", "lambda:CreateFunction"],
            "iam:PassRole + lambda:CreateFunction",
        ),
        (
            &["iam:PassRole", "ec2:RunInstances"],
            "iam:PassRole + ec2:RunInstances",
        ),
    ];
    COMBOS.iter().find_map(|(actions, name)| {
        actions
            .iter()
            .all(|a| allowing(doc, a).into_iter().any(on_every_resource))
            .then_some(*name)
    })
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;

//! BB-30: guardrails, knowledge bases and prompts carry the governance tags (the stack's tag
//! keys, else the conformance pack's).

use super::*;

/// The conformance pack's required tags, when no stack says which tags its resources carry.
const GOVERNANCE_TAGS: &[&str] = &["Environment", "DataClassification", "OwnerTeam"];

pub(super) fn check_tags(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let required: Vec<String> = match scope_name(inv) {
        Some(s) => s.tag_keys.clone(),
        None => GOVERNANCE_TAGS.iter().map(|t| t.to_string()).collect(),
    };
    let judge = |res: &str, what: &str, tags: Option<&Read<Tags>>| -> Finding {
        match tags {
            None => rule.finding(res, Status::Unknown, format!("{what}: tags not read")),
            Some(Err(m)) => rule.missing(res, &format!("{what} tags"), m),
            Some(Ok(t)) => {
                let lacking: Vec<&str> = required
                    .iter()
                    .filter(|k| !t.contains_key(*k))
                    .map(String::as_str)
                    .collect();
                if lacking.is_empty() {
                    rule.finding(
                        res,
                        Status::Pass,
                        format!("{what} carries {}", required.join(", ")),
                    )
                } else {
                    rule.finding(
                        res,
                        Status::Fail,
                        format!("{what} lacks tags {}", lacking.join(", ")),
                    )
                }
            }
        }
    };
    let mut out = Vec::new();
    match guardrails_in_scope(rule, inv) {
        Ok(gs) => out.extend(
            gs.into_iter()
                .map(|g| judge(&g.arn, &format!("guardrail {}", g.name), Some(&g.tags))),
        ),
        // No guardrail to tag is BB-19's finding, not this rule's.
        Err(f) => out.extend(f.into_iter().filter(|f| f.status != Status::Fail)),
    }
    for kb in inv.knowledge_bases.iter().flatten() {
        if let Ok(d) = &kb.detail {
            out.push(judge(
                &d.arn,
                &format!("knowledge base {}", kb.name),
                inv.more.tags.get(&d.arn),
            ));
        }
    }
    for p in inv.more.prompts.iter().flatten() {
        out.push(judge(
            &p.arn,
            &format!("prompt {}", p.name),
            inv.more.tags.get(&p.arn),
        ));
    }
    rule.or_else(
        out,
        inv.bedrock_arn("*"),
        Status::NotApplicable,
        "no guardrail, knowledge base or prompt",
    )
}

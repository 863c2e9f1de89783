//! Guardrails (BB-19..33): DRAFT and every version an agent or the stack's policy uses.

use super::*;
use enforcement::{check_enforced_guardrail, check_guardrail_enforced_by_iam};
use tags::check_tags;

mod enforcement;
mod tags;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-19",
        title: "A guardrail exists",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_guardrails_configured", "aiml-assessment:BR-05", "sra:bedrock_org/bedrock-guardrails"],
        frameworks: CONTENT_SAFETY,
        remediation: "Set `enable_guardrails = true` and apply; outside a stack call bedrock:CreateGuardrail.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails.html"],
        check: check_guardrail_exists,
    },
    Rule {
        id: "BB-20",
        title: "Guardrail blocks prompt attacks at HIGH input strength",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_guardrail_prompt_attack_filter_enabled", "conformity:Bedrock-006"],
        frameworks: CONTENT_SAFETY,
        remediation: "Set `content_filters.prompt_attack.input_strength = \"HIGH\"` and apply; outside a \
            stack UpdateGuardrail with a PROMPT_ATTACK filter of inputStrength HIGH, then publish a version.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-prompt-attack.html"],
        check: check_prompt_attack,
    },
    Rule {
        id: "BB-21",
        title: "Guardrail has a sensitive-information policy",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_guardrail_sensitive_information_filter_enabled", "conformity:Bedrock-007", "aiml-assessment:BR-26"],
        frameworks: PII,
        remediation: "Keep `guardrail.pii_entities` non-empty (and `pii_entities_action`) and apply; \
            outside a stack UpdateGuardrail with sensitiveInformationPolicyConfig.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-sensitive-filters.html"],
        check: check_sensitive_present,
    },
    Rule {
        id: "BB-22",
        title: "Every PII entity and regex blocks or anonymises model output",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_guardrail_sensitive_information_filter_enforced"],
        frameworks: PII,
        remediation: "Set `pii_entities_action` (and `guardrail.pii_entity_actions`) to BLOCK or ANONYMIZE \
            and apply; outside a stack set outputAction BLOCK/ANONYMIZE and outputEnabled true.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-sensitive-filters.html"],
        check: check_sensitive_enforced,
    },
    Rule {
        id: "BB-23",
        title: "Guardrail blocks ungrounded and irrelevant responses (GROUNDING and RELEVANCE)",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_guardrail_contextual_grounding_filter_enabled", "aiml-assessment:BR-27"],
        frameworks: CONTENT_SAFETY,
        remediation: "Set `guardrail.contextual_grounding` (grounding_threshold and relevance_threshold > 0) \
            and apply; outside a stack add GROUNDING and RELEVANCE filters with action BLOCK.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-contextual-grounding-check.html"],
        check: check_grounding,
    },
    Rule {
        id: "BB-24",
        title: "Guardrail filters HATE, INSULTS, SEXUAL and VIOLENCE content",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["aiml-assessment:BR-23", "sra:bedrock_org/bedrock-guardrails"],
        frameworks: CONTENT_SAFETY,
        remediation: "Give `content_filters.<type>` input and output strengths other than NONE and apply.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-content-filters.html"],
        check: check_content_filters,
    },
    Rule {
        id: "BB-27",
        title: "Guardrail is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["conformity:Bedrock-003", "sra:bedrock_org/bedrock-guardrail-encryption"],
        frameworks: ENCRYPTION,
        remediation: "The stack's guardrail is encrypted with the stack key (`enable_guardrails = true`); \
            outside a stack UpdateGuardrail with kmsKeyId of a customer-managed key.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html"],
        check: check_guardrail_cmk,
    },
    Rule {
        id: "BB-29",
        title: "Guardrail is READY and has a published version",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["config-conformance-pack:bedrock-guardrail-version"],
        frameworks: HARDENING,
        remediation: "Apply the stack (it publishes a version when the draft changes); outside a stack \
            call bedrock:CreateGuardrailVersion.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateGuardrailVersion.html",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetGuardrail.html",
        ],
        check: check_guardrail_published,
    },
    Rule {
        id: "BB-25",
        title: "Guardrail has a denied-topic policy",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-guardrails"],
        frameworks: CONTENT_SAFETY,
        remediation: "Add `guardrail.denied_topics` entries and apply; outside a stack UpdateGuardrail \
            with topicPolicyConfig.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-denied-topics.html"],
        check: check_topics,
    },
    Rule {
        id: "BB-26",
        title: "Guardrail has a word policy",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-guardrails"],
        frameworks: CONTENT_SAFETY,
        remediation: "Set `guardrail.word_filters` or `guardrail.managed_profanity_list = true` and \
            apply; outside a stack UpdateGuardrail with wordPolicyConfig.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-word-filters.html"],
        check: check_words,
    },
    Rule {
        id: "BB-28",
        title: "Guardrail content filters use the STANDARD tier",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["aiml-assessment:BR-16"],
        frameworks: CONTENT_SAFETY,
        remediation: "UpdateGuardrail with contentPolicyConfig.tierConfig.tierName STANDARD (needs a \
            cross-Region guardrail profile); this tool does not set the tier.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-tiers.html"],
        check: check_tier,
    },
    Rule {
        id: "BB-30",
        title: "Guardrails, knowledge bases and prompts carry governance tags",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["config-conformance-pack:aiml-bedrock-guardrail-tags", "config-conformance-pack:aiml-bedrock-kb-tags", "config-conformance-pack:aiml-bedrock-prompt-tags", "cloudsploit:bedrock/customModelHasTags"],
        frameworks: HARDENING,
        remediation: "Stack resources carry `tags`; tag workload resources with bedrock:TagResource / \
            bedrock-agent:TagResource (Environment, DataClassification, OwnerTeam without a stack).",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/tagging.html"],
        check: check_tags,
    },
    Rule {
        id: "BB-31",
        title: "Invoke permissions require a guardrail (bedrock:GuardrailIdentifier condition)",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["aiml-assessment:BR-10"],
        frameworks: CONTENT_SAFETY,
        remediation: "Attach the stack's model-access policy (`enable_guardrails = true`; \
            `bedrock-baseline output model_access_policy_arn`) instead of unconditioned \
            bedrock:InvokeModel grants, or add a bedrock:GuardrailIdentifier condition.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html"],
        check: check_guardrail_enforced_by_iam,
    },
    Rule {
        id: "BB-32",
        title: "An account-level enforced guardrail is configured",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["aiml-assessment:BR-15"],
        frameworks: CONTENT_SAFETY,
        remediation: "bedrock:PutEnforcedGuardrailConfiguration with the stack's guardrail \
            (`bedrock-baseline output guardrail_arn`), or an Organizations BEDROCK_POLICY; this tool \
            does not set it.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/APIReference/API_PutEnforcedGuardrailConfiguration.html"],
        check: check_enforced_guardrail,
    },
    Rule {
        id: "BB-33",
        title: "Guardrail has an automated-reasoning policy",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["aiml-assessment:BR-24"],
        frameworks: CONTENT_SAFETY,
        remediation: "Optional: UpdateGuardrail with automatedReasoningPolicyConfig; this tool does \
            not create automated-reasoning policies.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-automated-reasoning-checks.html"],
        check: check_automated_reasoning,
    },
];

/// The guardrails scope-B guardrail rules judge, or the findings that replace them.
fn guardrails_in_scope<'a>(
    rule: &Rule,
    inv: &'a Inventory,
) -> Result<Vec<&'a Guardrail>, Vec<Finding>> {
    let region = inv.bedrock_arn("guardrail/*");
    let all = listed(rule, &inv.guardrails, &region, "bedrock:ListGuardrails")?;
    match scope_name(inv) {
        Some(stack) => match &stack.guardrail_name {
            None => Err(vec![rule.finding(
                &region,
                Status::Fail,
                format!(
                    "stack {} deploys no guardrail (`enable_guardrails = false`)",
                    stack.stack
                ),
            )]),
            Some(name) => {
                let found: Vec<_> = all.iter().filter(|g| &g.name == name).collect();
                if found.is_empty() {
                    Err(vec![rule.finding(
                        &region,
                        Status::Fail,
                        format!("the stack's guardrail {name} does not exist (not applied yet?)"),
                    )])
                } else {
                    Ok(found)
                }
            }
        },
        None if all.is_empty() => Err(vec![rule.finding(
            &region,
            Status::NotApplicable,
            "no guardrail in the region",
        )]),
        None => Ok(all.iter().collect()),
    }
}

fn version_resource(g: &Guardrail, version: &str) -> String {
    if version == "DRAFT" {
        g.arn.clone()
    } else {
        format!("{}:{version}", g.arn)
    }
}

/// Runs `judge` over every version read of every guardrail in scope.
fn per_guardrail_version(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&GuardrailDetail) -> (Status, String),
) -> Vec<Finding> {
    let guardrails = match guardrails_in_scope(rule, inv) {
        Ok(g) => g,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    for g in guardrails {
        if g.versions.is_empty() {
            out.push(rule.finding(
                &g.arn,
                Status::Unknown,
                "no version of the guardrail was read",
            ));
        }
        for v in &g.versions {
            let resource = version_resource(g, &v.version);
            match &v.detail {
                Err(m) => out.push(rule.missing(
                    resource,
                    &format!("bedrock:GetGuardrail version {}", v.version),
                    m,
                )),
                Ok(d) => {
                    let (status, reason) = judge(d);
                    out.push(rule.finding(
                        resource,
                        status,
                        format!("version {}: {reason}", v.version),
                    ));
                }
            }
        }
    }
    out
}

fn check_guardrail_exists(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = inv.bedrock_arn("guardrail/*");
    let all = match listed(rule, &inv.guardrails, &region, "bedrock:ListGuardrails") {
        Ok(a) => a,
        Err(f) => return f,
    };
    if let Some(stack) = scope_name(inv) {
        return match guardrails_in_scope(rule, inv) {
            Ok(found) => found
                .iter()
                .map(|g| {
                    rule.finding(
                        &g.arn,
                        Status::Pass,
                        format!("stack {} guardrail {} exists", stack.stack, g.name),
                    )
                })
                .collect(),
            Err(f) => f,
        };
    }
    if all.is_empty() {
        return vec![rule.finding(region, Status::Fail, "no guardrail in the region")];
    }
    all.iter()
        .map(|g| rule.finding(&g.arn, Status::Pass, format!("guardrail {} exists", g.name)))
        .collect()
}

// PROMPT_ATTACK filters act on input only; AWS rejects output strengths other than NONE
// (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-prompt-attack.html).
fn check_prompt_attack(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| {
        let Some(filters) = &d.content_filters else {
            return (Status::Fail, "no content policy".into());
        };
        match filters.iter().find(|f| f.kind == "PROMPT_ATTACK") {
            None => (Status::Fail, "no PROMPT_ATTACK filter".into()),
            Some(f) => match f.input_strength.as_deref() {
                Some("HIGH") => (Status::Pass, "PROMPT_ATTACK inputStrength HIGH".into()),
                Some(other) => (Status::Fail, format!("PROMPT_ATTACK inputStrength {other}")),
                None => (
                    Status::Unknown,
                    "PROMPT_ATTACK filter without inputStrength".into(),
                ),
            },
        }
    })
}

fn check_sensitive_present(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| match &d.sensitive_info {
        None => (Status::Fail, "no sensitiveInformationPolicy".into()),
        Some(s) if s.entries.is_empty() => (
            Status::Fail,
            "sensitiveInformationPolicy has no PII entity or regex".into(),
        ),
        Some(s) => (
            Status::Pass,
            format!("{} PII entities/regexes", s.entries.len()),
        ),
    })
}

// Guardrail PII actions: BLOCK, ANONYMIZE or NONE per direction
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GuardrailPiiEntity.html).
fn check_sensitive_enforced(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| {
        let Some(s) = &d.sensitive_info else {
            return (
                Status::NotApplicable,
                "no sensitiveInformationPolicy (see BB-21)".into(),
            );
        };
        let mut weak = Vec::new();
        let mut unknown = Vec::new();
        for e in &s.entries {
            if e.output_enabled == Some(false) {
                weak.push(format!("{} (outputEnabled false)", e.name));
                continue;
            }
            match e.output_action.as_deref().or(e.action.as_deref()) {
                Some("BLOCK") | Some("ANONYMIZE") => {}
                Some(other) => weak.push(format!("{} ({other})", e.name)),
                None => unknown.push(e.name.clone()),
            }
        }
        if !weak.is_empty() {
            (
                Status::Fail,
                format!("not blocked or anonymised on output: {}", weak.join(", ")),
            )
        } else if !unknown.is_empty() {
            (
                Status::Unknown,
                format!("no action reported for: {}", unknown.join(", ")),
            )
        } else {
            (
                Status::Pass,
                "every entry blocks or anonymises output".into(),
            )
        }
    })
}

// Contextual grounding: GROUNDING and RELEVANCE filters, threshold 0..0.99, action BLOCK|NONE
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GuardrailContextualGroundingFilter.html).
fn check_grounding(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| {
        let Some(filters) = &d.grounding_filters else {
            // A stack's guardrail has none by default, on purpose (docs/config-reference.md,
            // `guardrail.contextual_grounding`): the check acts only on requests that carry a
            // grounding source, which a shared baseline guardrail cannot know.
            return (
                Status::Fail,
                "no contextualGroundingPolicy (a stack's default: `guardrail.contextual_grounding` is unset \
                 because grounding acts only on requests that carry a grounding source; set both thresholds for RAG workloads)"
                    .into(),
            );
        };
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        for kind in ["GROUNDING", "RELEVANCE"] {
            match filters.iter().find(|f| f.kind == kind) {
                None => problems.push(format!("no {kind} filter")),
                Some(f) => {
                    match f.enabled {
                        Some(false) => problems.push(format!("{kind} disabled")),
                        None => unknown.push(format!("{kind} enabled omitted")),
                        Some(true) => {}
                    }
                    match f.action.as_deref() {
                        Some("BLOCK") => {}
                        Some(a) => problems.push(format!("{kind} action {a}")),
                        None => unknown.push(format!("{kind} action omitted")),
                    }
                    match f.threshold {
                        Some(t) if t > 0.0 => {}
                        Some(t) => problems.push(format!("{kind} threshold {t}")),
                        None => unknown.push(format!("{kind} threshold omitted")),
                    }
                }
            }
        }
        if !problems.is_empty() {
            (Status::Fail, problems.join(", "))
        } else if !unknown.is_empty() {
            (Status::Unknown, unknown.join(", "))
        } else {
            (
                Status::Pass,
                "GROUNDING and RELEVANCE block with thresholds > 0".into(),
            )
        }
    })
}

fn check_content_filters(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| {
        let Some(filters) = &d.content_filters else {
            return (Status::Fail, "no content policy".into());
        };
        let mut problems = Vec::new();
        for kind in ["HATE", "INSULTS", "SEXUAL", "VIOLENCE"] {
            match filters.iter().find(|f| f.kind == kind) {
                None => problems.push(format!("no {kind} filter")),
                Some(f) => {
                    for (dir, s) in [("input", &f.input_strength), ("output", &f.output_strength)] {
                        match s.as_deref() {
                            Some("NONE") => problems.push(format!("{kind} {dir} NONE")),
                            None => problems.push(format!("{kind} {dir} strength omitted")),
                            Some(_) => {}
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            (
                Status::Pass,
                "HATE, INSULTS, SEXUAL, VIOLENCE filtered both ways".into(),
            )
        } else {
            (Status::Fail, problems.join(", "))
        }
    })
}

fn check_guardrail_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| {
        key_setting(inv, d.kms_key_arn.as_ref(), "kmsKeyArn")
    })
}

fn check_guardrail_published(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let guardrails = match guardrails_in_scope(rule, inv) {
        Ok(g) => g,
        Err(f) => return f,
    };
    guardrails
        .into_iter()
        .map(|g| {
            let draft = g.versions.iter().find(|v| v.version == "DRAFT");
            let status = draft
                .and_then(|v| v.detail.as_ref().ok())
                .and_then(|d| d.status.clone());
            match (&g.latest_version, status.as_deref()) {
                (Err(m), _) => {
                    rule.missing(&g.arn, "bedrock:ListGuardrails(guardrailIdentifier)", m)
                }
                (_, None) => rule.finding(&g.arn, Status::Unknown, "the DRAFT status was not read"),
                (Ok(None), _) => rule.finding(&g.arn, Status::Fail, "no published version"),
                (Ok(Some(_)), Some(s)) if s != "READY" && s != "VERSIONED" => {
                    rule.finding(&g.arn, Status::Fail, format!("status {s}"))
                }
                (Ok(Some(v)), Some(s)) => rule.finding(
                    &g.arn,
                    Status::Pass,
                    format!("status {s}, latest version {v}"),
                ),
            }
        })
        .collect()
}

fn check_topics(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| match d.denied_topics {
        None => (Status::Fail, "no topicPolicy".into()),
        Some(0) => (Status::Fail, "topicPolicy has no topic".into()),
        Some(n) => (Status::Pass, format!("{n} denied topics")),
    })
}

fn check_words(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| match d.word_filters {
        None => (Status::Fail, "no wordPolicy".into()),
        Some(0) => (
            Status::Fail,
            "wordPolicy has no word or managed list".into(),
        ),
        Some(n) => (Status::Pass, format!("{n} words / managed lists")),
    })
}

// tierConfig.tierName CLASSIC | STANDARD
// (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-tiers.html); a guardrail
// without a tier is CLASSIC.
fn check_tier(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| {
        match (&d.content_filters, d.content_tier.as_deref()) {
            (None, _) => (Status::Fail, "no content policy".into()),
            (_, Some("STANDARD")) => (Status::Pass, "content filters tier STANDARD".into()),
            (_, t) => (
                Status::Fail,
                format!("content filters tier {}", t.unwrap_or("CLASSIC (default)")),
            ),
        }
    })
}

fn check_automated_reasoning(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_guardrail_version(rule, inv, |d| match d.automated_reasoning {
        Some(n) if n > 0 => (Status::Pass, format!("{n} automated-reasoning policies")),
        _ => (Status::Fail, "no automatedReasoningPolicy".into()),
    })
}

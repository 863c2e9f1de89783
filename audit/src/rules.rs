//! The rule catalog: each rule is data ([`Rule`]) plus one pure check over the [`Inventory`].
//! Ids are `BB-NN`, NN being the row of the merged property list in `AUDIT-RULES.md` §8, so a
//! reviewer can trace every rule to the scanner rules it covers.
//!
//! Shared semantics, from the issue and AUDIT-RULES.md's implementation notes:
//! - a failed read is UNKNOWN, never PASS; a service not offered in the region is NOT_APPLICABLE;
//! - "customer-managed key" means `kms:DescribeKey` says `KeyManager = CUSTOMER`, not that an ARN
//!   is set (KeyMetadata, https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html);
//! - guardrail rules judge DRAFT and every version an agent or the stack's policy pins.

use crate::inventory::{Guardrail, GuardrailDetail, Inventory, Missing, Read, StackScope};
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

/// Every rule, in id order.
pub fn catalog() -> &'static [Rule] {
    RULES
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

static RULES: &[Rule] = &[
    Rule {
        id: "BB-01",
        title: "Model invocation logging is enabled",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &[
            "prowler:bedrock_model_invocation_logging_enabled",
            "conformity:Bedrock-005",
            "aiml-assessment:BR-04",
            "cloudsploit:bedrock/modelInvocationLoggingEnabled",
        ],
        frameworks: LOGGING,
        remediation: "Set `enable_model_invocation_logging = true` (and a destination: \
            `enable_cloudwatch_logging` or `enable_s3_logging`) and apply; outside a stack call \
            bedrock:PutModelInvocationLoggingConfiguration.",
        check: check_logging_enabled,
    },
    Rule {
        id: "BB-02",
        title: "Invocation logging delivers text data",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_model_invocation_logging_text_data_enabled"],
        frameworks: LOGGING,
        remediation: "Set `text_data_delivery_enabled = true` and apply (loggingConfig.textDataDeliveryEnabled).",
        check: check_logging_text,
    },
    Rule {
        id: "BB-03",
        title: "Invocation-log CloudWatch log group is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &[
            "prowler:bedrock_model_invocation_logs_encryption_enabled",
            "sra:bedrock_org/bedrock-cloudwatch-logging",
            "checkov:CKV_AWS_158",
        ],
        frameworks: LOG_ENCRYPTION,
        remediation: "Apply the stack with `enable_cloudwatch_logging = true` (its log group uses the \
            stack's CMK); outside a stack call logs:AssociateKmsKey with a customer-managed key.",
        check: check_log_group_cmk,
    },
    Rule {
        id: "BB-19",
        title: "A guardrail exists",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_guardrails_configured", "aiml-assessment:BR-05", "sra:bedrock_org/bedrock-guardrails"],
        frameworks: CONTENT_SAFETY,
        remediation: "Set `enable_guardrails = true` and apply; outside a stack call bedrock:CreateGuardrail.",
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
        check: check_guardrail_published,
    },
    Rule {
        id: "BB-34",
        title: "Agent uses a guardrail",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_agent_guardrail_enabled", "conformity:Bedrock-002", "aiml-assessment:BR-28", "checkov:CKV_AWS_383"],
        frameworks: CONTENT_SAFETY,
        remediation: "bedrock-agent:UpdateAgent with guardrailConfiguration {guardrailIdentifier, guardrailVersion} \
            (the stack's guardrail id is in `bedrock-baseline output guardrail_id`), then PrepareAgent.",
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
        check: check_agent_ttl,
    },
    Rule {
        id: "BB-41",
        title: "Knowledge-base data source is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_knowledge_base_encrypted_with_cmk", "aiml-assessment:BR-09", "aiml-assessment:BR-20", "sra:bedrock_org/bedrock-knowledge-base-encryption"],
        frameworks: ENCRYPTION,
        remediation: "bedrock-agent:UpdateDataSource with serverSideEncryptionConfiguration.kmsKeyArn of a \
            customer-managed key.",
        check: check_data_source_cmk,
    },
    Rule {
        id: "BB-48",
        title: "Custom model is encrypted with a customer-managed KMS key",
        severity: Severity::Critical,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_custom_model_encrypted_with_cmk", "conformity:Bedrock-004", "aiml-assessment:BR-11", "aiml-assessment:BR-17", "cloudsploit:bedrock/customModelEncryptionEnabled"],
        frameworks: ENCRYPTION,
        remediation: "A model's key cannot be changed: re-run the customization job \
            (bedrock:CreateModelCustomizationJob) with customModelKmsKeyId of a customer-managed key.",
        check: check_custom_model_cmk,
    },
    Rule {
        id: "BB-61",
        title: "Bedrock VPC endpoint policy does not allow any principal without a condition",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:vpc_endpoint_connections_trust_boundaries"],
        frameworks: NETWORK,
        remediation: "Keep the stack's endpoint policies (or fix `custom_endpoint_policies.<service>`) and \
            apply; outside a stack ec2:ModifyVpcEndpoint with a policy naming principals or an \
            aws:PrincipalAccount/aws:PrincipalOrgID condition.",
        check: check_endpoint_policy,
    },
    Rule {
        id: "BB-63",
        title: "No role has the AmazonBedrockFullAccess managed policy",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_full_access_policy_attached", "aiml-assessment:BR-01"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "iam:DetachRolePolicy AmazonBedrockFullAccess and attach the stack's model-access policy \
            (`bedrock-baseline output model_access_policy_arn`) or a narrower one.",
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
        check: check_user_bedrock_star,
    },
    Rule {
        id: "BB-70",
        title: "Customer-managed KMS keys have automatic rotation enabled",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:kms_cmk_rotation_enabled", "checkov:CKV_AWS_7"],
        frameworks: ENCRYPTION,
        remediation: "Apply the stack (its key has rotation on); outside a stack kms:EnableKeyRotation.",
        check: check_key_rotation,
    },
    Rule {
        id: "BB-72",
        title: "Customer-managed KMS keys are enabled, not pending deletion, single-Region",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:kms_cmk_not_deleted_unintentionally", "prowler:kms_cmk_are_used", "prowler:kms_cmk_not_multi_region", "checkov:CKV_AWS_227"],
        frameworks: ENCRYPTION,
        remediation: "kms:CancelKeyDeletion / kms:EnableKey; replace multi-Region keys with a single-Region key.",
        check: check_key_state,
    },
    Rule {
        id: "BB-73",
        title: "Alarm SNS topic is KMS-encrypted",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:sns_topics_kms_encryption_at_rest_enabled", "config:SNS_ENCRYPTED_KMS", "checkov:CKV_AWS_26"],
        frameworks: ENCRYPTION,
        remediation: "Set `enable_alerting = true` (the stack's topics use its CMK) and apply; outside a \
            stack sns:SetTopicAttributes KmsMasterKeyId.",
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
        check: check_topic_policy,
    },
];

// ---------------------------------------------------------------------------------------------
// helpers

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

// ---------------------------------------------------------------------------------------------
// logging

fn logging_resource(inv: &Inventory) -> String {
    inv.bedrock_arn("model-invocation-logging")
}

// GetModelInvocationLoggingConfiguration returns an empty loggingConfig when logging is off
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetModelInvocationLoggingConfiguration.html).
fn check_logging_enabled(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    vec![match &inv.logging {
        Err(m) => rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m),
        Ok(None) => rule.finding(
            res,
            Status::Fail,
            "model invocation logging is not configured",
        ),
        Ok(Some(c)) if c.log_group.is_none() && c.bucket.is_none() => rule.finding(
            res,
            Status::Fail,
            "logging configuration names neither a log group nor a bucket",
        ),
        Ok(Some(c)) => rule.finding(
            res,
            Status::Pass,
            format!(
                "logging to {}",
                [
                    c.log_group.as_ref().map(|g| format!("log group {g}")),
                    c.bucket.as_ref().map(|b| format!("bucket {b}"))
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and ")
            ),
        ),
    }]
}

fn check_logging_text(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    vec![match &inv.logging {
        Err(m) => rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m),
        Ok(None) => rule.finding(
            res,
            Status::NotApplicable,
            "model invocation logging is off (see BB-01)",
        ),
        Ok(Some(c)) => match c.text_data_delivery {
            Some(true) => rule.finding(res, Status::Pass, "textDataDeliveryEnabled is true"),
            Some(false) => rule.finding(res, Status::Fail, "textDataDeliveryEnabled is false"),
            None => rule.finding(
                res,
                Status::Unknown,
                "the configuration omits textDataDeliveryEnabled",
            ),
        },
    }]
}

fn check_log_group_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    let config = match &inv.logging {
        Err(m) => {
            return vec![rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m)]
        }
        Ok(None) => {
            return vec![rule.finding(
                res,
                Status::NotApplicable,
                "model invocation logging is off (see BB-01)",
            )]
        }
        Ok(Some(c)) => c,
    };
    let Some(name) = &config.log_group else {
        return vec![rule.finding(
            res,
            Status::NotApplicable,
            "invocation logging does not deliver to CloudWatch Logs",
        )];
    };
    let group_res = format!(
        "arn:{}:logs:{}:{}:log-group:{name}",
        inv.partition, inv.region, inv.account_id
    );
    vec![match inv.log_groups.get(name) {
        None => rule.finding(group_res, Status::Unknown, "the log group was not read"),
        Some(Err(m)) => rule.missing(group_res, "logs:DescribeLogGroups", m),
        Some(Ok(None)) => rule.finding(
            group_res,
            Status::Fail,
            "the log group logging points at does not exist",
        ),
        Some(Ok(Some(g))) => match &g.kms_key_id {
            None => rule.finding(group_res, Status::Fail, "the log group has no kmsKeyId"),
            Some(key) => {
                let (status, reason) = cmk(inv, key);
                rule.finding(group_res, status, reason)
            }
        },
    }]
}

// ---------------------------------------------------------------------------------------------
// guardrails

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
    per_guardrail_version(rule, inv, |d| match &d.kms_key_arn {
        None => (
            Status::Fail,
            "no kmsKeyArn: encrypted with an AWS-owned key".into(),
        ),
        Some(k) => cmk(inv, k),
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

// ---------------------------------------------------------------------------------------------
// agents, knowledge bases, models (scope W: every instance; N/A when none)

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
    per_agent(rule, inv, |d| match &d.guardrail {
        None => (Status::Fail, "no guardrailConfiguration".into()),
        Some((id, version)) => (
            Status::Pass,
            format!(
                "guardrail {id} version {}",
                version.as_deref().unwrap_or("DRAFT")
            ),
        ),
    })
}

fn check_agent_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_agent(rule, inv, |d| match &d.customer_key_arn {
        None => (
            Status::Fail,
            "no customerEncryptionKeyArn: encrypted with an AWS-owned key".into(),
        ),
        Some(k) => cmk(inv, k),
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

// serverSideEncryptionConfiguration.kmsKeyArn on the data source
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DataSource.html).
fn check_data_source_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = inv.bedrock_arn("knowledge-base/*");
    let kbs = match listed(
        rule,
        &inv.knowledge_bases,
        &region,
        "bedrock-agent:ListKnowledgeBases",
    ) {
        Ok(k) => k,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    for kb in kbs {
        let kb_arn = inv.bedrock_arn(&format!("knowledge-base/{}", kb.id));
        match &kb.data_sources {
            Err(m) => out.push(rule.missing(&kb_arn, "bedrock-agent:ListDataSources", m)),
            Ok(sources) => {
                for ds in sources {
                    // Data sources have no ARN of their own; KB ARN + id names them uniquely.
                    let res = format!("{kb_arn}/data-source/{}", ds.id);
                    out.push(match &ds.kms_key_arn {
                        Err(m) => rule.missing(res, "bedrock-agent:GetDataSource", m),
                        Ok(None) => rule.finding(
                            res,
                            Status::Fail,
                            format!("data source {}: no kmsKeyArn", ds.name),
                        ),
                        Ok(Some(k)) => {
                            let (status, reason) = cmk(inv, k);
                            rule.finding(res, status, format!("data source {}: {reason}", ds.name))
                        }
                    });
                }
            }
        }
    }
    if out.is_empty() {
        out.push(rule.finding(
            region,
            Status::NotApplicable,
            "no knowledge-base data source in the region",
        ));
    }
    out
}

// modelKmsKeyArn is absent when the model uses an AWS-owned key
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetCustomModel.html).
fn check_custom_model_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = inv.bedrock_arn("custom-model/*");
    let models = match listed(
        rule,
        &inv.custom_models,
        &region,
        "bedrock:ListCustomModels",
    ) {
        Ok(m) => m,
        Err(f) => return f,
    };
    if models.is_empty() {
        return vec![rule.finding(
            region,
            Status::NotApplicable,
            "no custom model in the region",
        )];
    }
    models
        .iter()
        .map(|m| match &m.kms_key_arn {
            Err(e) => rule.missing(&m.arn, "bedrock:GetCustomModel", e),
            Ok(None) => rule.finding(
                &m.arn,
                Status::Fail,
                format!("model {}: no modelKmsKeyArn", m.name),
            ),
            Ok(Some(k)) => {
                let (status, reason) = cmk(inv, k);
                rule.finding(&m.arn, status, format!("model {}: {reason}", m.name))
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// network, IAM

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

// An endpoint without a policy gets the default full-access policy
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
fn check_endpoint_policy(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = format!(
        "arn:{}:ec2:{}:{}:vpc-endpoint/*",
        inv.partition, inv.region, inv.account_id
    );
    let all = match listed(rule, &inv.endpoints, &region, "ec2:DescribeVpcEndpoints") {
        Ok(e) => e,
        Err(f) => return f,
    };
    let endpoints: Vec<_> = match scope_name(inv) {
        Some(stack) => all
            .iter()
            .filter(|e| {
                e.tags
                    .get(baseline_core::naming::STACK_TAG)
                    .is_some_and(|s| s == &stack.stack)
            })
            .collect(),
        None => all.iter().collect(),
    };
    if endpoints.is_empty() {
        return vec![rule.finding(region, Status::NotApplicable, "no Bedrock VPC endpoint")];
    }
    endpoints
        .into_iter()
        .map(|e| {
            let res = format!("arn:{}:ec2:{}:{}:vpc-endpoint/{}", inv.partition, inv.region, inv.account_id, e.id);
            match &e.policy {
                Err(err) => rule.finding(res, Status::Unknown, format!("policy did not parse: {err}")),
                Ok(None) => rule.finding(res, Status::Fail, format!("{}: no policy (full access for any principal)", e.service_name)),
                Ok(Some(doc)) => {
                    let public = public_statements(doc);
                    if public.is_empty() {
                        rule.finding(res, Status::Pass, format!("{}: every Allow names principals or is conditioned", e.service_name))
                    } else {
                        rule.finding(
                            res,
                            Status::Fail,
                            format!("{}: statements {} allow Principal * without an account/org condition", e.service_name, public.join(", ")),
                        )
                    }
                }
            }
        })
        .collect()
}

const BEDROCK_FULL_ACCESS: &str = "arn:aws:iam::aws:policy/AmazonBedrockFullAccess";

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

// ---------------------------------------------------------------------------------------------
// KMS, SNS

/// The customer keys scope-B key rules judge: the stack's key, or every key a Bedrock resource or
/// the stack's topics reference.
fn keys_in_scope(inv: &Inventory) -> Vec<(&String, &Read<crate::inventory::Key>)> {
    match scope_name(inv) {
        Some(stack) => inv
            .keys
            .iter()
            .filter(|(k, _)| *k == &stack.key_alias)
            .collect(),
        None => inv
            .keys
            .iter()
            .filter(|(_, v)| !matches!(v, Ok(k) if k.manager.as_deref() == Some("AWS")))
            .collect(),
    }
}

fn per_key(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&crate::inventory::Key) -> (Status, String),
) -> Vec<Finding> {
    let keys = keys_in_scope(inv);
    let region = format!(
        "arn:{}:kms:{}:{}:key/*",
        inv.partition, inv.region, inv.account_id
    );
    if keys.is_empty() {
        return vec![match scope_name(inv) {
            Some(stack) => rule.finding(
                region,
                Status::Fail,
                format!("the stack's key {} was not found", stack.key_alias),
            ),
            None => rule.finding(
                region,
                Status::NotApplicable,
                "no customer-managed key is referenced by a Bedrock resource",
            ),
        }];
    }
    keys.into_iter()
        .map(|(name, read)| match read {
            Err(m) => rule.missing(name.clone(), "kms:DescribeKey", m),
            Ok(k) => {
                let (status, reason) = judge(k);
                rule.finding(&k.arn, status, reason)
            }
        })
        .collect()
}

// GetKeyRotationStatus applies to symmetric customer keys
// (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
fn check_key_rotation(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_key(rule, inv, |k| {
        if k.spec.as_deref().is_some_and(|s| s != "SYMMETRIC_DEFAULT") {
            return (
                Status::NotApplicable,
                format!(
                    "key spec {} has no automatic rotation",
                    k.spec.as_deref().unwrap_or("")
                ),
            );
        }
        match &k.rotation {
            Err(m) => (
                Status::Unknown,
                format!("kms:GetKeyRotationStatus failed: {}", m.reason()),
            ),
            Ok(Some(true)) => (Status::Pass, "automatic rotation enabled".into()),
            Ok(Some(false)) => (Status::Fail, "automatic rotation disabled".into()),
            Ok(None) => (Status::Unknown, "rotation status not reported".into()),
        }
    })
}

// KeyState and MultiRegion (https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html).
fn check_key_state(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_key(rule, inv, |k| match (k.state.as_deref(), k.multi_region) {
        (None, _) | (_, None) => (
            Status::Unknown,
            "KeyState or MultiRegion not reported".into(),
        ),
        (Some("Enabled"), Some(false)) => (Status::Pass, "Enabled, single-Region".into()),
        (Some("Enabled"), Some(true)) => (Status::Fail, "multi-Region key".into()),
        (Some(s), _) => (Status::Fail, format!("KeyState {s}")),
    })
}

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

// KmsMasterKeyId topic attribute (https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html).
fn check_topic_encrypted(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    match topics_in_scope(rule, inv) {
        Err(f) => f,
        Ok(topics) => topics
            .into_iter()
            .map(|t| match &t.kms_key {
                None => rule.finding(
                    &t.arn,
                    Status::Fail,
                    "no KmsMasterKeyId: not encrypted at rest",
                ),
                Some(k) => rule.finding(&t.arn, Status::Pass, format!("encrypted with {k}")),
            })
            .collect(),
    }
}

fn check_topic_policy(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    match topics_in_scope(rule, inv) {
        Err(f) => f,
        Ok(topics) => topics
            .into_iter()
            .map(|t| match &t.policy {
                Err(m) => rule.missing(&t.arn, "sns:GetTopicAttributes Policy", m),
                Ok(None) => rule.finding(&t.arn, Status::Unknown, "no Policy attribute returned"),
                Ok(Some(doc)) => {
                    let public = public_statements(doc);
                    if public.is_empty() {
                        rule.finding(&t.arn, Status::Pass, "no unconditioned Principal * grant")
                    } else {
                        rule.finding(
                            &t.arn,
                            Status::Fail,
                            format!(
                                "statements {} allow Principal * without a condition",
                                public.join(", ")
                            ),
                        )
                    }
                }
            })
            .collect(),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;

//! Custom and imported models and Bedrock jobs (BB-48..52), scope W.

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-48",
        title: "Custom model is encrypted with a customer-managed KMS key",
        severity: Severity::Critical,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_custom_model_encrypted_with_cmk", "conformity:Bedrock-004", "aiml-assessment:BR-11", "aiml-assessment:BR-17", "cloudsploit:bedrock/customModelEncryptionEnabled"],
        frameworks: ENCRYPTION,
        remediation: "A model's key cannot be changed: re-run the customization job \
            (bedrock:CreateModelCustomizationJob) with customModelKmsKeyId of a customer-managed key.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-custom-job.html"],
        check: check_custom_model_cmk,
    },
    Rule {
        id: "BB-49",
        title: "Imported model is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_imported_model_encrypted_with_cmk", "aiml-assessment:BR-30"],
        frameworks: ENCRYPTION,
        remediation: "Re-import the model (bedrock:CreateModelImportJob) with importedModelKmsKeyId \
            of a customer-managed key.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateModelImportJob.html"],
        check: check_imported_cmk,
    },
    Rule {
        id: "BB-50",
        title: "Model customization job runs in a VPC",
        severity: Severity::Medium,
        scope: Scope::Workload,
        sources: &["conformity:model-customization-job-vpc-protected", "cloudsploit:bedrock/customModelInVpc", "cloudsploit:bedrock/privateCustomModel"],
        frameworks: NETWORK,
        remediation: "Run customization jobs with vpcConfig (private subnets and security groups).",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/custom-model-job-access-security.html#vpc-model-customization"],
        check: check_job_vpc,
    },
    Rule {
        id: "BB-51",
        title: "Batch-inference job output is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_model_invocation_job_output_encrypted_with_cmk", "aiml-assessment:BR-31"],
        frameworks: ENCRYPTION,
        remediation: "Create batch jobs with outputDataConfig.s3OutputDataConfig.s3EncryptionKeyId of \
            a customer-managed key.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateModelInvocationJob.html",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ModelInvocationJobS3OutputDataConfig.html",
        ],
        check: check_batch_cmk,
    },
    Rule {
        id: "BB-52",
        title: "Evaluation-job output bucket is hardened",
        severity: Severity::Medium,
        scope: Scope::Workload,
        sources: &["sra:bedrock_org/bedrock-eval-job-bucket"],
        frameworks: ENCRYPTION,
        remediation: "On the output bucket: default encryption, a lifecycle expiration, server access \
            logging, Object Lock and versioning.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateEvaluationJob.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
        ],
        check: check_eval_buckets,
    },
    Rule {
        id: "BB-53",
        title: "Prompt is encrypted with a customer-managed KMS key",
        severity: Severity::Medium,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_prompt_encrypted_with_cmk"],
        frameworks: ENCRYPTION,
        remediation: "bedrock-agent:UpdatePrompt with customerEncryptionKeyArn of a customer-managed key.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreatePrompt.html"],
        check: check_prompt_cmk,
    },
    Rule {
        id: "BB-54",
        title: "Prompt Management is used in the region",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_prompt_management_exists", "aiml-assessment:BR-07"],
        frameworks: HARDENING,
        remediation: "Manage application prompts with bedrock-agent:CreatePrompt (versioned, \
            CMK-encrypted); adoption signal only, this tool deploys no prompts.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-management.html"],
        check: check_prompts_exist,
    },
    Rule {
        id: "BB-55",
        title: "Flow is encrypted with a customer-managed KMS key",
        severity: Severity::Medium,
        scope: Scope::Workload,
        sources: &["checkov:CKV_AWS_394"],
        frameworks: ENCRYPTION,
        remediation: "bedrock-agent:UpdateFlow with customerEncryptionKeyArn of a customer-managed key.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateFlow.html"],
        check: check_flow_cmk,
    },
    Rule {
        id: "BB-56",
        title: "Flow prompt and generating knowledge-base nodes carry a guardrail",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["prowler:bedrock_flow_guardrail_enabled", "aiml-assessment:BR-13"],
        frameworks: CONTENT_SAFETY,
        remediation: "Give each Prompt node and RetrieveAndGenerate KnowledgeBase node a \
            guardrailConfiguration (the stack's guardrail), then PrepareFlow.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use.html"],
        check: check_flow_guardrails,
    },
    Rule {
        id: "BB-57",
        title: "Flow has a description and no validation errors",
        severity: Severity::Low,
        scope: Scope::Workload,
        sources: &["checkov:CKV_AWS_393", "aiml-assessment:BR-19"],
        frameworks: HARDENING,
        remediation: "Set the flow's description and fix what bedrock-agent:ValidateFlowDefinition reports.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ValidateFlowDefinition.html"],
        check: check_flow_hygiene,
    },
];

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

/// One finding per item of a workload list, N/A when the list is empty.
fn per_item<T>(
    rule: &Rule,
    inv: &Inventory,
    read: &Read<Vec<T>>,
    kind: &str,
    list_call: &str,
    judge: impl Fn(&T) -> Option<Finding>,
) -> Vec<Finding> {
    let region = inv.bedrock_arn(&format!("{kind}/*"));
    let items = match listed(rule, read, &region, list_call) {
        Ok(i) => i,
        Err(f) => return f,
    };
    let out: Vec<Finding> = items.iter().filter_map(judge).collect();
    rule.or_else(
        out,
        region,
        Status::NotApplicable,
        format!("no {kind} in the region"),
    )
}

/// A key reference read from a resource: `Ok(None)` = AWS-owned key.
fn judge_key(inv: &Inventory, key: &Read<Option<String>>, call: &str) -> (Status, String) {
    match key {
        Err(m) => match m {
            Missing::NotOffered(r) => (Status::NotApplicable, r.clone()),
            Missing::Failed(r) => (Status::Unknown, format!("{call}: {r}")),
        },
        Ok(k) => key_setting(inv, k.as_ref(), "customer key"),
    }
}

fn check_imported_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_item(
        rule,
        inv,
        &inv.more.imported_models,
        "imported-model",
        "bedrock:ListImportedModels",
        |m| {
            let (s, r) = judge_key(inv, &m.key, "bedrock:GetImportedModel");
            Some(rule.finding(&m.arn, s, format!("model {}: {r}", m.name)))
        },
    )
}

fn check_job_vpc(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_item(
        rule,
        inv,
        &inv.more.customization_jobs,
        "model-customization-job",
        "bedrock:ListModelCustomizationJobs",
        |j| {
            Some(match &j.subnets {
                Err(m) => rule.missing(&j.arn, "bedrock:GetModelCustomizationJob", m),
                Ok(None) => rule.finding(
                    &j.arn,
                    Status::Fail,
                    format!("job {}: no vpcConfig", j.name),
                ),
                Ok(Some(s)) if s.is_empty() => rule.finding(
                    &j.arn,
                    Status::Fail,
                    format!("job {}: vpcConfig without subnets", j.name),
                ),
                Ok(Some(s)) => rule.finding(
                    &j.arn,
                    Status::Pass,
                    format!("job {}: runs in subnets {}", j.name, s.join(", ")),
                ),
            })
        },
    )
}

fn check_batch_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_item(
        rule,
        inv,
        &inv.more.invocation_jobs,
        "model-invocation-job",
        "bedrock:ListModelInvocationJobs",
        |j| {
            let (s, r) = judge_key(inv, &j.output_key, "bedrock:ListModelInvocationJobs");
            Some(rule.finding(&j.arn, s, format!("job {}: {r}", j.name)))
        },
    )
}

fn check_eval_buckets(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_item(
        rule,
        inv,
        &inv.more.evaluation_jobs,
        "evaluation-job",
        "bedrock:ListEvaluationJobs",
        |j| {
            Some(match &j.output_bucket {
                Err(m) => rule.missing(&j.arn, "bedrock:GetEvaluationJob", m),
                Ok(None) => rule.finding(
                    &j.arn,
                    Status::Unknown,
                    format!("job {}: no S3 output reported", j.name),
                ),
                Ok(Some(b)) => match inv.more.buckets.get(b) {
                    Some(Ok(bucket)) => {
                        let (s, r) = super::s3::data_bucket(inv, bucket);
                        rule.finding(&j.arn, s, format!("job {}: bucket {b}: {r}", j.name))
                    }
                    Some(Err(m)) => rule.missing(&j.arn, "S3 bucket reads", m),
                    None => {
                        rule.finding(&j.arn, Status::Unknown, format!("bucket {b} was not read"))
                    }
                },
            })
        },
    )
}

fn check_prompt_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_item(
        rule,
        inv,
        &inv.more.prompts,
        "prompt",
        "bedrock-agent:ListPrompts",
        |p| {
            let (s, r) = judge_key(inv, &p.key, "bedrock-agent:GetPrompt");
            Some(rule.finding(&p.arn, s, format!("prompt {}: {r}", p.name)))
        },
    )
}

fn check_prompts_exist(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    if let Some(f) = no_footprint(rule, inv, inv.bedrock_arn("prompt/*")) {
        return f;
    }
    let region = inv.bedrock_arn("prompt/*");
    match &inv.more.prompts {
        Err(m) => vec![rule.missing(region, "bedrock-agent:ListPrompts", m)],
        Ok(p) if p.is_empty() => {
            vec![rule.finding(region, Status::Fail, "no managed prompt in the region")]
        }
        Ok(p) => vec![rule.finding(region, Status::Pass, format!("{} managed prompts", p.len()))],
    }
}

fn per_flow(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&FlowDetail) -> (Status, String),
) -> Vec<Finding> {
    per_item(
        rule,
        inv,
        &inv.more.flows,
        "flow",
        "bedrock-agent:ListFlows",
        |f| {
            Some(match &f.detail {
                Err(m) => rule.missing(&f.arn, "bedrock-agent:GetFlow", m),
                Ok(d) => {
                    let (s, r) = judge(d);
                    rule.finding(&f.arn, s, format!("flow {}: {r}", f.name))
                }
            })
        },
    )
}

fn check_flow_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_flow(rule, inv, |d| {
        judge_key(inv, &Ok(d.key.clone()), "bedrock-agent:GetFlow")
    })
}

fn check_flow_guardrails(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_flow(rule, inv, |d| {
        let open: Vec<&str> = d
            .generating_nodes
            .iter()
            .filter(|(_, g)| !g)
            .map(|(n, _)| n.as_str())
            .collect();
        if d.generating_nodes.is_empty() {
            (Status::Pass, "no node generates text".into())
        } else if open.is_empty() {
            (Status::Pass, "every generating node has a guardrail".into())
        } else {
            (
                Status::Fail,
                format!("nodes without a guardrail: {}", open.join(", ")),
            )
        }
    })
}

fn check_flow_hygiene(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_flow(rule, inv, |d| {
        let mut problems = Vec::new();
        if d.description.is_none() {
            problems.push("no description".to_owned());
        }
        problems.extend(
            d.validation_errors
                .iter()
                .map(|e| format!("validation error: {e}")),
        );
        if problems.is_empty() {
            (Status::Pass, "described, no validation error".into())
        } else {
            (Status::Fail, problems.join(", "))
        }
    })
}

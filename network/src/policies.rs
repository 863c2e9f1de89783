//! Endpoint policies: pure, built as typed documents from the account, region, application role
//! and the model settings of the config.
//!
//! Why `"Principal": "*"`: an endpoint policy names who may use the endpoint. Naming the role as
//! an `AWS` principal would tie the policy to the role's unique id (a re-created role would be
//! locked out until the policy is rewritten, and a role that does not exist yet is rejected at
//! write time). `"*"` is therefore used ONLY together with two conditions that pin the caller:
//! `aws:PrincipalArn` (the application role `bedrock_role_name`) and `aws:PrincipalAccount`
//! (this account). No statement here grants `"*"` or `bedrock:*`.
//!
//! - `bedrock-runtime`: only `bedrock:InvokeModel` and `bedrock:InvokeModelWithResponseStream`
//!   (which also authorise Converse and ConverseStream) on the allowed model ARNs, plus
//!   `bedrock:ApplyGuardrail` on the account's guardrails; `aws:RequestedRegion` limited to
//!   `allowed_model_regions` (models) or the stack's region (guardrails).
//! - `bedrock` (management): the read, list, guardrail and invocation-logging actions in
//!   [`MANAGEMENT_ACTIONS`]; `aws:RequestedRegion` = the stack's region.
//! - `bedrock-agent` / `bedrock-agent-runtime`: [`AGENT_ACTIONS`] / [`AGENT_RUNTIME_ACTIONS`].
//! - `bedrock-mantle`: [`MANTLE_ACTIONS`] for the application role.
//! - extra services (`kms`, `logs`, ...): these endpoints carry every caller of the VPC to that
//!   service (private DNS), not just the application, so they admit principals of this account
//!   (`aws:PrincipalAccount`) for the explicit actions in [`extra_actions`].

use baseline_core::config::ConfigIssue;
use baseline_core::policy::{PolicyDocument, Statement};

/// What the endpoint policies depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyContext {
    /// `aws`, `aws-cn`, ...
    pub partition: String,
    /// 12-digit account id.
    pub account_id: String,
    /// The stack's region (where the endpoints are).
    pub region: String,
    /// `bedrock_role_name`: the application role admitted by the Bedrock endpoint policies.
    pub role_name: String,
    /// `allowed_model_regions`.
    pub allowed_model_regions: Vec<String>,
    /// `foundation_models` (model or inference-profile ARNs; empty: every foundation model of the
    /// allowed regions).
    pub foundation_models: Vec<String>,
    /// The application role's ARN as `GetRole` returns it (with its path, e.g.
    /// `role/service-role/app`); `None` until observed, then the name-built ARN is used.
    pub role_arn: Option<String>,
    /// `admin_principal_arns`: the only principals that may disable logging or guardrails
    /// through the management endpoint.
    pub admin_principal_arns: Vec<String>,
    /// Destination-region model ARNs of the inference profiles in `foundation_models` (read
    /// with `GetInferenceProfile`); added to the runtime policy's models.
    pub profile_model_arns: Vec<String>,
}

impl PolicyContext {
    /// The role's ARN from `GetRole` or, before it was read, `arn:<p>:iam::<account>:role/<name>`.
    /// A role with a path (`role/service-role/app`) matches `aws:PrincipalArn` only with its
    /// path, hence the read.
    pub fn role_arn(&self) -> String {
        self.role_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:{}:iam::{}:role/{}",
                self.partition, self.account_id, self.role_name
            )
        })
    }

    /// The model ARNs the runtime endpoint admits.
    pub fn model_arns(&self) -> Vec<String> {
        if self.foundation_models.is_empty() {
            self.allowed_model_regions
                .iter()
                .map(|r| format!("arn:{}:bedrock:{r}::foundation-model/*", self.partition))
                .collect()
        } else {
            let mut arns = self.foundation_models.clone();
            arns.extend(self.profile_model_arns.iter().cloned());
            arns.sort();
            arns.dedup();
            arns
        }
    }
}

/// Runtime actions: InvokeModel and InvokeModelWithResponseStream also authorise Converse and
/// ConverseStream.
pub(crate) const RUNTIME_INVOKE_ACTIONS: &[&str] = &[
    "bedrock:InvokeModel",
    "bedrock:InvokeModelWithResponseStream",
];

/// What the application may do through the management (`bedrock`) endpoint: read the model
/// catalogue, custom models and throughput, manage guardrails and model invocation logging, and
/// tag. Creating or deleting models, jobs or throughput is not on the list.
pub const MANAGEMENT_ACTIONS: &[&str] = &[
    // model catalogue
    "bedrock:ListFoundationModels",
    "bedrock:GetFoundationModel",
    "bedrock:ListInferenceProfiles",
    "bedrock:GetInferenceProfile",
    // custom models, customization jobs and provisioned throughput (read only)
    "bedrock:ListCustomModels",
    "bedrock:GetCustomModel",
    "bedrock:ListModelCustomizationJobs",
    "bedrock:GetModelCustomizationJob",
    "bedrock:ListProvisionedModelThroughputs",
    "bedrock:GetProvisionedModelThroughput",
    // guardrails (updating or deleting one is an admin action: see ADMIN_ACTIONS)
    "bedrock:ListGuardrails",
    "bedrock:GetGuardrail",
    "bedrock:CreateGuardrail",
    "bedrock:CreateGuardrailVersion",
    // model invocation logging (read only: changing it is an admin action)
    "bedrock:GetModelInvocationLoggingConfiguration",
    // tags
    "bedrock:ListTagsForResource",
    "bedrock:TagResource",
    "bedrock:UntagResource",
];

/// Management actions that switch off or redirect the audit trail or weaken the guardrail:
/// admitted through the management endpoint only for `admin_principal_arns`, never for the
/// application role. Action names from "Actions, resources, and condition keys for Amazon
/// Bedrock" (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html>).
pub const ADMIN_ACTIONS: &[&str] = &[
    "bedrock:PutModelInvocationLoggingConfiguration",
    "bedrock:DeleteModelInvocationLoggingConfiguration",
    "bedrock:UpdateGuardrail",
    "bedrock:DeleteGuardrail",
];

/// What the application may do through the `bedrock-agent` (build-time) endpoint: read agents
/// and knowledge bases and run knowledge-base ingestion.
pub const AGENT_ACTIONS: &[&str] = &[
    "bedrock:ListAgents",
    "bedrock:GetAgent",
    "bedrock:ListAgentAliases",
    "bedrock:GetAgentAlias",
    "bedrock:ListAgentVersions",
    "bedrock:GetAgentVersion",
    "bedrock:ListAgentActionGroups",
    "bedrock:GetAgentActionGroup",
    "bedrock:ListAgentKnowledgeBases",
    "bedrock:GetAgentKnowledgeBase",
    "bedrock:ListKnowledgeBases",
    "bedrock:GetKnowledgeBase",
    "bedrock:ListDataSources",
    "bedrock:GetDataSource",
    "bedrock:StartIngestionJob",
    "bedrock:GetIngestionJob",
    "bedrock:ListIngestionJobs",
];

/// What the application may do through the `bedrock-agent-runtime` endpoint.
pub const AGENT_RUNTIME_ACTIONS: &[&str] = &[
    "bedrock:InvokeAgent",
    "bedrock:GetAgentMemory",
    "bedrock:Retrieve",
    "bedrock:RetrieveAndGenerate",
];

/// What the application may do through the `bedrock-mantle` endpoint: the inference and project
/// read actions of "Making inference requests", bedrock-mantle endpoint
/// (<https://docs.aws.amazon.com/bedrock/latest/userguide/inference.html>).
/// `bedrock-mantle:CallWithBearerToken` (Bedrock API keys) is left out: the endpoint admits the
/// application role's SigV4 calls only.
pub const MANTLE_ACTIONS: &[&str] = &[
    "bedrock-mantle:CreateInference",
    "bedrock-mantle:GetProject",
    "bedrock-mantle:ListProjects",
    "bedrock-mantle:ListTagsForResources",
];

/// The data-plane actions admitted through an extra service's endpoint.
pub(crate) fn extra_actions(service: &str) -> &'static [&'static str] {
    match service {
        "kms" => &[
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:DescribeKey",
        ],
        "logs" => &[
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
            "logs:GetLogEvents",
            "logs:FilterLogEvents",
        ],
        "monitoring" => &[
            "cloudwatch:PutMetricData",
            "cloudwatch:GetMetricData",
            "cloudwatch:GetMetricStatistics",
            "cloudwatch:ListMetrics",
            "cloudwatch:DescribeAlarms",
        ],
        "sns" => &["sns:Publish", "sns:GetTopicAttributes", "sns:ListTopics"],
        "sts" => &["sts:AssumeRole", "sts:GetCallerIdentity", "sts:TagSession"],
        "s3" => &[
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:PutObject",
            "s3:ListBucket",
            "s3:GetBucketLocation",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        ],
        _ => &[],
    }
}

/// Sid of the management endpoint's statement for `admin_principal_arns`.
pub const ADMIN_SID: &str = "AdminsDisableLoggingAndGuardrails";

/// Principal `*` pinned to the application role of this account (see the module doc).
fn application_role_only(st: Statement, c: &PolicyContext) -> Statement {
    st.any_principal()
        .condition("ArnEquals", "aws:PrincipalArn", [c.role_arn()])
        .condition(
            "StringEquals",
            "aws:PrincipalAccount",
            [c.account_id.as_str()],
        )
}

/// The application role may call `actions` on any resource, in the stack's region only.
fn role_actions_here(sid: &str, actions: &[&str], c: &PolicyContext) -> Statement {
    application_role_only(Statement::allow(sid), c)
        .actions(actions.iter().copied())
        .resources(["*"])
        .condition("StringEquals", "aws:RequestedRegion", [c.region.as_str()])
}

/// The generated policy of the endpoint for `service` (`bedrock`, `bedrock-runtime`, ...,
/// or an extra service such as `kms`).
pub fn endpoint_policy(service: &str, c: &PolicyContext) -> PolicyDocument {
    let stack_region = [c.region.as_str()];
    match service {
        "bedrock-runtime" => PolicyDocument::new(vec![
            application_role_only(Statement::allow("InvokeAllowedModels"), c)
                .actions(RUNTIME_INVOKE_ACTIONS.iter().copied())
                .resources(c.model_arns())
                .condition(
                    "StringEquals",
                    "aws:RequestedRegion",
                    c.allowed_model_regions.iter().cloned(),
                ),
            application_role_only(Statement::allow("ApplyAccountGuardrails"), c)
                .actions(["bedrock:ApplyGuardrail"])
                .resources([format!(
                    "arn:{}:bedrock:{}:{}:guardrail/*",
                    c.partition, c.region, c.account_id
                )])
                .condition("StringEquals", "aws:RequestedRegion", stack_region),
        ]),
        "bedrock" => {
            let mut statements = vec![role_actions_here("ManageBedrock", MANAGEMENT_ACTIONS, c)];
            if !c.admin_principal_arns.is_empty() {
                statements.push(
                    Statement::allow(ADMIN_SID)
                        .any_principal()
                        .actions(ADMIN_ACTIONS.iter().copied())
                        .resources(["*"])
                        .condition(
                            "ArnEquals",
                            "aws:PrincipalArn",
                            c.admin_principal_arns.iter().cloned(),
                        )
                        .condition(
                            "StringEquals",
                            "aws:PrincipalAccount",
                            [c.account_id.as_str()],
                        )
                        .condition("StringEquals", "aws:RequestedRegion", stack_region),
                );
            }
            PolicyDocument::new(statements)
        }
        "bedrock-agent" => PolicyDocument::new(vec![role_actions_here(
            "ReadAgentsAndKnowledgeBases",
            AGENT_ACTIONS,
            c,
        )]),
        "bedrock-agent-runtime" => PolicyDocument::new(vec![role_actions_here(
            "InvokeAgents",
            AGENT_RUNTIME_ACTIONS,
            c,
        )]),
        "bedrock-mantle" => PolicyDocument::new(vec![role_actions_here(
            "MantleInference",
            MANTLE_ACTIONS,
            c,
        )]),
        other => PolicyDocument::new(vec![Statement::allow("ThisAccountOnly")
            .any_principal()
            .actions(extra_actions(other).iter().copied())
            .resources(["*"])
            .condition(
                "StringEquals",
                "aws:PrincipalAccount",
                [c.account_id.as_str()],
            )]),
    }
}

/// The policy `custom_endpoint_policies.<service>` gives: a policy document that allows no
/// `*` or `service:*` action, else the config issue that says why not.
pub(crate) fn custom_policy(service: &str, text: &str) -> Result<PolicyDocument, ConfigIssue> {
    let path = format!("custom_endpoint_policies.{service}");
    match PolicyDocument::parse(text) {
        Ok(doc) if doc.has_wildcard_allow() => Err(ConfigIssue {
            path,
            message: "allows `*` or `service:*` actions".into(),
            hint: Some("list the actions the endpoint must admit explicitly".into()),
        }),
        Ok(doc) => Ok(doc),
        Err(e) => Err(ConfigIssue {
            path,
            message: format!(
                "is not a policy document: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            ),
            hint: Some("give a JSON policy with Version and Statement".into()),
        }),
    }
}

#[cfg(test)]
mod tests;

//! Read calls outside EC2 that the endpoint policies depend on: the application role's ARN
//! (`iam:GetRole`, path included) and the destination-region models of inference profiles
//! (`bedrock:GetInferenceProfile`). Kept apart from [`crate::Ec2Api`] so EC2 mocks stay as they
//! are; the module skips these reads when built without a lookup (`with_api`).

use crate::endpoints::EndpointSpec;
use crate::policies::PolicyContext;
use async_trait::async_trait;
use baseline_core::aws::{or_none, ApiError};
use baseline_core::config::ConfigIssue;
use baseline_core::AwsContext;

/// The two reads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountLookup: Send + Sync {
    /// The role's ARN, `None` when no role has that name.
    async fn role_arn(&self, role_name: &str) -> Result<Option<String>, ApiError>;
    /// The model ARNs an inference profile routes to (one per destination region).
    async fn inference_profile_models(&self, profile_arn: &str) -> Result<Vec<String>, ApiError>;
}

/// [`AccountLookup`] over the SDK clients.
#[derive(Debug, Clone)]
pub struct SdkAccountLookup {
    iam: aws_sdk_iam::Client,
    bedrock: aws_sdk_bedrock::Client,
}

impl SdkAccountLookup {
    /// Clients from the context (their calls recorded in its call log).
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            iam: baseline_core::recorded_client!(ctx, aws_sdk_iam),
            bedrock: baseline_core::recorded_client!(ctx, aws_sdk_bedrock),
        }
    }
}

#[async_trait]
impl AccountLookup for SdkAccountLookup {
    async fn role_arn(&self, role_name: &str) -> Result<Option<String>, ApiError> {
        match self.iam.get_role().role_name(role_name).send().await {
            Ok(out) => Ok(out.role().map(|r| r.arn().to_owned())),
            // Not found: the resource does not exist.
            Err(e) => or_none(Err(ApiError::from_sdk("iam", "GetRole", role_name, e))),
        }
    }

    async fn inference_profile_models(&self, profile_arn: &str) -> Result<Vec<String>, ApiError> {
        let out = self
            .bedrock
            .get_inference_profile()
            .inference_profile_identifier(profile_arn)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("bedrock", "GetInferenceProfile", profile_arn, e))?;
        Ok(out
            .models()
            .iter()
            .filter_map(|m| m.model_arn().map(str::to_owned))
            .collect())
    }
}

/// What the generated endpoint policies read from the account.
#[derive(Debug, Default)]
pub(crate) struct PolicyInputs {
    /// The application role's ARN (`None`: not read, or no such role).
    pub(crate) role_arn: Option<String>,
    /// The destination-region models of the inference profiles, sorted, distinct.
    pub(crate) profile_model_arns: Vec<String>,
    /// The failed pre-check of a missing role: the Bedrock endpoint policies would admit nobody.
    pub(crate) role_issue: Option<ConfigIssue>,
}

/// Reads the application role's ARN and the inference profiles' models, all at once (none
/// when no generated Bedrock policy uses them). Errors in the order the reads are listed.
pub(crate) async fn policy_inputs(
    lookup: &dyn AccountLookup,
    ctx: &PolicyContext,
    endpoints: &[EndpointSpec],
) -> Result<PolicyInputs, ApiError> {
    let uses_role = endpoints
        .iter()
        .any(|e| !e.custom_policy && e.service.starts_with("bedrock"));
    if !uses_role {
        return Ok(PolicyInputs::default());
    }
    let name = &ctx.role_name;
    let profiles = ctx.foundation_models.iter().filter(|m| {
        m.contains(":inference-profile/") || m.contains(":application-inference-profile/")
    });
    let (role_arn, models) = futures::join!(
        lookup.role_arn(name),
        futures::future::join_all(profiles.map(|p| lookup.inference_profile_models(p))),
    );
    let role_arn = role_arn?;
    let mut profile_model_arns = Vec::new();
    for m in models {
        profile_model_arns.extend(m?);
    }
    profile_model_arns.sort();
    profile_model_arns.dedup();
    let role_issue = role_arn.is_none().then(|| ConfigIssue {
        path: "bedrock_role_name".into(),
        message: format!("no IAM role `{name}` in account {}", ctx.account_id),
        hint: Some(
            "create the application role first (or fix the name): the Bedrock endpoint policies admit only this role".into(),
        ),
    });
    Ok(PolicyInputs {
        role_arn,
        profile_model_arns,
        role_issue,
    })
}

//! Read calls outside EC2 that the endpoint policies depend on: the application role's ARN
//! (`iam:GetRole`, path included) and the destination-region models of inference profiles
//! (`bedrock:GetInferenceProfile`). Kept apart from [`crate::Ec2Api`] so EC2 mocks stay as they
//! are; the module skips these reads when built without a lookup (`with_api`).

use async_trait::async_trait;
use baseline_core::aws::ApiError;
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
            Err(e) => {
                let e = ApiError::from_sdk("iam", "GetRole", role_name, e);
                if e.is_not_found() {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
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

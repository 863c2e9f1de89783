//! `SdkGuardrailsApi`: the trait over the AWS SDK clients. The calls themselves (request
//! building, pagination) are in `sdk_bedrock.rs` and `sdk_iam.rs`, the guardrail definition's
//! SDK shapes in `sdk_definition.rs`; this file wires them to the trait, one line a method.

use super::{
    sdk_bedrock as bedrock, sdk_iam as iam, GuardrailState, GuardrailSummary, GuardrailsApi,
    PolicyInfo, PolicyVersionInfo,
};
use crate::guardrail::GuardrailDefinition;
use async_trait::async_trait;
use aws_smithy_types::error::operation::BuildError;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::AwsContext;
use std::collections::BTreeMap;

/// [`GuardrailsApi`] over the SDK clients.
#[derive(Debug, Clone)]
pub struct SdkGuardrailsApi {
    bedrock: aws_sdk_bedrock::Client,
    iam: aws_sdk_iam::Client,
}

impl SdkGuardrailsApi {
    /// Clients from the context (they record their calls in the context's call log).
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            bedrock: baseline_core::recorded_client!(ctx, aws_sdk_bedrock),
            iam: baseline_core::recorded_client!(ctx, aws_sdk_iam),
        }
    }

    /// Wraps existing clients (tests inject interceptors this way).
    pub fn from_clients(bedrock: aws_sdk_bedrock::Client, iam: aws_sdk_iam::Client) -> Self {
        Self { bedrock, iam }
    }
}

/// A request the SDK refused to build (a required field missing).
pub(super) fn build_err<'a>(
    service: &'static str,
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(BuildError) -> ApiError + 'a {
    move |e| {
        ApiError::synthetic(
            service,
            op,
            target,
            ServiceErrorKind::Validation,
            &format!("request not built: {e}"),
        )
    }
}

#[async_trait]
impl GuardrailsApi for SdkGuardrailsApi {
    async fn inference_profile_models(&self, profile_arn: &str) -> Result<Vec<String>, ApiError> {
        bedrock::inference_profile_models(&self.bedrock, profile_arn).await
    }

    async fn list_guardrails(&self) -> Result<Vec<GuardrailSummary>, ApiError> {
        bedrock::list_guardrails(&self.bedrock).await
    }

    async fn get_guardrail(
        &self,
        id: &str,
        version: Option<u32>,
    ) -> Result<Option<GuardrailState>, ApiError> {
        bedrock::get_guardrail(&self.bedrock, id, version).await
    }

    async fn guardrail_versions(&self, id: &str) -> Result<Vec<u32>, ApiError> {
        bedrock::guardrail_versions(&self.bedrock, id).await
    }

    async fn guardrail_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        bedrock::guardrail_tags(&self.bedrock, arn).await
    }

    async fn create_guardrail(
        &self,
        d: &GuardrailDefinition,
        tags: &BTreeMap<String, String>,
        token: &str,
    ) -> Result<GuardrailSummary, ApiError> {
        bedrock::create_guardrail(&self.bedrock, d, tags, token).await
    }

    async fn update_guardrail(&self, id: &str, d: &GuardrailDefinition) -> Result<(), ApiError> {
        bedrock::update_guardrail(&self.bedrock, id, d).await
    }

    async fn create_guardrail_version(
        &self,
        id: &str,
        description: &str,
        token: &str,
    ) -> Result<u32, ApiError> {
        bedrock::create_guardrail_version(&self.bedrock, id, description, token).await
    }

    async fn delete_guardrail(&self, id: &str) -> Result<(), ApiError> {
        bedrock::delete_guardrail(&self.bedrock, id).await
    }

    async fn tag_guardrail(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        bedrock::tag_guardrail(&self.bedrock, arn, tags).await
    }

    async fn untag_guardrail(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        bedrock::untag_guardrail(&self.bedrock, arn, keys).await
    }

    async fn get_policy(&self, arn: &str) -> Result<Option<PolicyInfo>, ApiError> {
        iam::get_policy(&self.iam, arn).await
    }

    async fn policy_document(&self, arn: &str, version_id: &str) -> Result<String, ApiError> {
        iam::policy_document(&self.iam, arn, version_id).await
    }

    async fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersionInfo>, ApiError> {
        iam::policy_versions(&self.iam, arn).await
    }

    async fn policy_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        iam::policy_tags(&self.iam, arn).await
    }

    async fn policy_attachments(&self, arn: &str) -> Result<Vec<String>, ApiError> {
        iam::policy_attachments(&self.iam, arn).await
    }

    async fn create_policy(
        &self,
        name: &str,
        path: &str,
        description: &str,
        document: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<PolicyInfo, ApiError> {
        iam::create_policy(&self.iam, name, path, description, document, tags).await
    }

    async fn create_policy_version(&self, arn: &str, document: &str) -> Result<String, ApiError> {
        iam::create_policy_version(&self.iam, arn, document).await
    }

    async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<(), ApiError> {
        iam::delete_policy_version(&self.iam, arn, version_id).await
    }

    async fn tag_policy(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        iam::tag_policy(&self.iam, arn, tags).await
    }

    async fn untag_policy(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        iam::untag_policy(&self.iam, arn, keys).await
    }

    async fn delete_policy(&self, arn: &str) -> Result<(), ApiError> {
        iam::delete_policy(&self.iam, arn).await
    }
}

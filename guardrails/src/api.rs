//! The narrow seam to Bedrock and IAM: exactly the operations this module uses, implemented for
//! the SDK clients and mocked with mockall in unit tests. Guardrails cross this seam as
//! [`GuardrailDefinition`] values, so the module never touches SDK types.

use crate::guardrail::GuardrailDefinition;
use async_trait::async_trait;
use baseline_core::aws::ApiError;
use std::collections::BTreeMap;

/// One guardrail as ListGuardrails shows it (its DRAFT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardrailSummary {
    /// Guardrail id.
    pub id: String,
    /// Guardrail ARN.
    pub arn: String,
    /// Guardrail name.
    pub name: String,
}

/// GetGuardrail of the draft or of a numbered version.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardrailState {
    /// Guardrail id.
    pub id: String,
    /// Guardrail ARN.
    pub arn: String,
    /// `DRAFT` or the version number.
    pub version: String,
    /// `CREATING`, `UPDATING`, `VERSIONING`, `READY`, `FAILED`, `DELETING`.
    pub status: String,
    /// Why, when the status is `FAILED`.
    pub status_reasons: Vec<String>,
    /// The configuration.
    pub definition: GuardrailDefinition,
}

/// A managed policy as GetPolicy shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// Policy ARN.
    pub arn: String,
    /// Default version id, e.g. `v3`.
    pub default_version_id: String,
    /// Path, e.g. `/`.
    pub path: String,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionInfo {
    /// Version id, e.g. `v3`.
    pub version_id: String,
    /// Whether it is the default version.
    pub is_default: bool,
    /// Creation time, seconds since the epoch (to find the oldest).
    pub created: i64,
}

/// Bedrock and IAM operations used by the module.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GuardrailsApi: Send + Sync {
    /// ListGuardrails (all pages): the draft of every guardrail in the region.
    async fn list_guardrails(&self) -> Result<Vec<GuardrailSummary>, ApiError>;
    /// GetInferenceProfile: the model ARNs the profile routes to (one per destination region).
    async fn inference_profile_models(&self, profile_arn: &str) -> Result<Vec<String>, ApiError>;
    /// GetGuardrail of the draft (`None`) or a numbered version; `None` when it does not exist.
    async fn get_guardrail(
        &self,
        id: &str,
        version: Option<u32>,
    ) -> Result<Option<GuardrailState>, ApiError>;
    /// The numbered versions of a guardrail (ListGuardrails with an identifier), ascending.
    async fn guardrail_versions(&self, id: &str) -> Result<Vec<u32>, ApiError>;
    /// Tags of a guardrail.
    async fn guardrail_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// CreateGuardrail with tags and a client request token.
    async fn create_guardrail(
        &self,
        definition: &GuardrailDefinition,
        tags: &BTreeMap<String, String>,
        token: &str,
    ) -> Result<GuardrailSummary, ApiError>;
    /// UpdateGuardrail (replaces the whole draft).
    async fn update_guardrail(
        &self,
        id: &str,
        definition: &GuardrailDefinition,
    ) -> Result<(), ApiError>;
    /// CreateGuardrailVersion; returns the new version number.
    async fn create_guardrail_version(
        &self,
        id: &str,
        description: &str,
        token: &str,
    ) -> Result<u32, ApiError>;
    /// DeleteGuardrail without a version: the guardrail and all its versions.
    async fn delete_guardrail(&self, id: &str) -> Result<(), ApiError>;
    /// TagResource on a guardrail.
    async fn tag_guardrail(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// UntagResource on a guardrail.
    async fn untag_guardrail(&self, arn: &str, keys: &[String]) -> Result<(), ApiError>;

    /// GetPolicy; `None` when it does not exist.
    async fn get_policy(&self, arn: &str) -> Result<Option<PolicyInfo>, ApiError>;
    /// The document of a policy version, as IAM returns it (URL-encoded JSON).
    async fn policy_document(&self, arn: &str, version_id: &str) -> Result<String, ApiError>;
    /// ListPolicyVersions.
    async fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersionInfo>, ApiError>;
    /// ListPolicyTags.
    async fn policy_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// ListEntitiesForPolicy: `role/<name>`, `user/<name>`, `group/<name>`.
    async fn policy_attachments(&self, arn: &str) -> Result<Vec<String>, ApiError>;
    /// CreatePolicy with tags.
    async fn create_policy(
        &self,
        name: &str,
        path: &str,
        description: &str,
        document: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<PolicyInfo, ApiError>;
    /// CreatePolicyVersion with SetAsDefault, sent once (no SDK retries: it has no client
    /// token); returns the version id.
    async fn create_policy_version(&self, arn: &str, document: &str) -> Result<String, ApiError>;
    /// DeletePolicyVersion.
    async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<(), ApiError>;
    /// TagPolicy.
    async fn tag_policy(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError>;
    /// UntagPolicy.
    async fn untag_policy(&self, arn: &str, keys: &[String]) -> Result<(), ApiError>;
    /// DeletePolicy (every non-default version must be gone).
    async fn delete_policy(&self, arn: &str) -> Result<(), ApiError>;
}

mod sdk;
mod sdk_bedrock;
mod sdk_definition;
mod sdk_iam;
pub use sdk::SdkGuardrailsApi;

//! `baseline-guardrails`: the stack's Bedrock guardrail, its numbered versions, and the
//! model-access managed policy that makes application roles use it.
//!
//! Owns:
//! - the guardrail `guardrail_name` (default `<prefix>-guardrail`), encrypted with the stack's
//!   CMK and tagged: the six content filters, the sensitive-information policy (PII entities with
//!   BLOCK/ANONYMIZE, custom regexes), denied topics, word filters and the managed profanity list,
//!   contextual grounding, and the blocked input/output messages. It is found again by name, or
//!   by the `baseline:stack` tag after a rename, and created with a deterministic client request
//!   token so a retry never makes a second one;
//! - its numbered versions: a new version is published whenever the newest one does not hold
//!   what the config asks for (and never otherwise);
//! - the IAM managed policy `<prefix>-bedrock-model-access`: invoke the allowed models only with
//!   this guardrail at the version in force, only through the runtime VPC endpoint when the
//!   network module ran, plus ApplyGuardrail on this guardrail. Updates add a policy version
//!   (pruning the oldest beyond IAM's five). The user attaches it to their roles; the tool never
//!   does, and refuses to delete it while it is attached.
//!
//! `enable_guardrails = false` plans the removal of all three.
//!
//! Inputs: [`GuardrailsInputs`] (`encryption.kms_key_arn`, `network.endpoint_ids["bedrock-runtime"]`).
//! Outputs: [`GuardrailsOutputs`] (guardrail id, ARN, version in force, policy ARN).

mod access_policy;
mod api;
mod guardrail;
mod module;
mod version;

pub use access_policy::{
    guardrail_identifier, model_access_policy, ModelAccess, ObservedPolicy, APPLY_SID, DECRYPT_SID,
    INVOKE_SID,
};
#[cfg(any(test, feature = "mocks"))]
pub use api::MockGuardrailsApi;
pub use api::{
    GuardrailState, GuardrailSummary, GuardrailsApi, PolicyInfo, PolicyVersionInfo,
    SdkGuardrailsApi,
};
pub use guardrail::{
    DeniedTopic, FilterStrengths, GuardrailDefinition, ObservedGuardrail, RegexFilter,
};
pub use module::{
    GuardrailsInputs, GuardrailsModule, GuardrailsObserved, GuardrailsOutputs, GuardrailsSpec,
};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardrailsError {
    /// A Bedrock or IAM call failed.
    #[error(transparent)]
    Api(#[from] baseline_core::aws::ApiError),
    /// A guardrail with the configured name exists but belongs to no stack or another one.
    #[error("guardrail {name} ({id}) is not tagged as part of stack {stack}; set guardrail_name to another name or delete it")]
    ForeignGuardrail {
        /// Its name.
        name: String,
        /// Its id.
        id: String,
        /// This stack.
        stack: String,
    },
    /// The model-access policy's name is taken by a policy of no stack or another one.
    #[error("IAM policy {arn} is not tagged as part of stack {stack}; delete or rename it")]
    ForeignPolicy {
        /// Its ARN.
        arn: String,
        /// This stack.
        stack: String,
    },
    /// Apply was called without the KMS key ARN (the encryption module's output).
    #[error(
        "the KMS key ARN (encryption.kms_key_arn) is not known: apply the encryption module first"
    )]
    MissingKmsKey,
    /// Bedrock reports the guardrail as FAILED.
    #[error("guardrail {id} version {version} is FAILED: {reasons}")]
    GuardrailFailed {
        /// Guardrail id.
        id: String,
        /// `DRAFT` or the version number.
        version: String,
        /// Bedrock's status reasons.
        reasons: String,
    },
    /// Every create (of the guardrail or a version) answered with an id GetGuardrail did not
    /// know.
    #[error("{address}: every create, {attempts} of them each with a fresh client token, answered with an id GetGuardrail does not know; run apply again, or look for it in the Bedrock console")]
    CreateReplayed {
        /// The resource's plan address.
        address: String,
        /// Creates sent.
        attempts: u32,
    },
    /// The guardrail did not become READY in time.
    #[error("guardrail {id} version {version} is still {status} after {waited_secs} s")]
    NotReady {
        /// Guardrail id.
        id: String,
        /// `DRAFT` or the version number.
        version: String,
        /// Last status seen.
        status: String,
        /// Seconds waited.
        waited_secs: u64,
    },
    /// The policy is to be deleted but roles, users or groups still use it (exit code 2).
    #[error("the model-access policy {policy_arn} cannot be deleted while it is attached")]
    PolicyAttached {
        /// The policy.
        policy_arn: String,
        /// The entities it is attached to, with a hint to detach them.
        #[source]
        source: baseline_core::reconcile::PreconditionFailed,
    },
}

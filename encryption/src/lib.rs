//! `baseline-encryption`: the stack's customer-managed KMS key.
//!
//! Owns one symmetric key with rotation on, its key policy and its alias `alias/<prefix>-bedrock`.
//! The key is found again by alias, or by the `baseline:stack` tag when a crash left it without
//! its alias, so it is never created twice. Destroy removes the alias and schedules deletion with
//! the configured window; it never deletes at once.
//!
//! Inputs: none. Outputs: [`EncryptionOutputs`] (key ARN, key id, alias).

mod api;
mod key;
mod kms_alias;
mod kms_key;
mod module;

#[cfg(any(test, feature = "mocks"))]
pub use api::MockKmsApi;
pub use api::{KeyDescription, KmsApi, SdkKmsApi};
pub use key::{key_policy, KeyPolicyContext};
pub use kms_alias::{AliasDesired, AliasOp, KmsAlias};
pub use kms_key::{KeyOp, KmsKey};
pub use module::{
    EncryptionModule, EncryptionObserved, EncryptionOutputs, EncryptionSpec, ObservedKey,
};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptionError {
    /// A KMS call failed.
    #[error(transparent)]
    Api(#[from] baseline_core::aws::ApiError),
    /// The alias exists but points at a key this stack does not own.
    #[error("alias {alias} points at key {key_id}, which is not tagged as part of stack {stack}; delete or rename the alias")]
    ForeignAlias {
        /// The alias.
        alias: String,
        /// The key it points at.
        key_id: String,
        /// This stack.
        stack: String,
    },
    /// The key is in a state apply cannot repair (e.g. pending import).
    #[error("key {key_id} is in state {state}, which apply cannot repair")]
    UnusableKey {
        /// Key id.
        key_id: String,
        /// Its KMS key state.
        state: String,
    },
}

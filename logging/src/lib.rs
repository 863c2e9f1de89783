//! `baseline-logging`: where Bedrock's model invocation logs go, and the permission to put them
//! there.
//!
//! Owns, for one stack:
//! - the S3 log bucket `<prefix>-bedrock-logs-<account>-<region>` (when `enable_s3_logging`):
//!   SSE-KMS with the stack's key and the bucket key, versioning, all four public-access blocks,
//!   ObjectOwnership BucketOwnerEnforced, the lifecycle from `s3_lifecycle`, tags, and a bucket
//!   policy that denies non-TLS and TLS < 1.2 requests and lets `bedrock.amazonaws.com` put objects
//!   under `s3_log_prefix` only for this account (`aws:SourceAccount`, `aws:SourceArn`);
//! - the log group `/aws/bedrock/<prefix>/invocations` (when `enable_cloudwatch_logging`),
//!   encrypted with the key, retention `log_retention_days`;
//! - the service role `<prefix>-bedrock-logging` that Bedrock assumes to write to that log group
//!   (when invocation logging goes to CloudWatch): trust for `bedrock.amazonaws.com` with both
//!   confused-deputy conditions, one inline policy `logging` limited to the log group's streams
//!   and the bucket prefix, `permissions_boundary_arn` when set;
//! - Bedrock's model invocation logging configuration (when `enable_model_invocation_logging`),
//!   pointing at the log group (large data to `<bucket>/<prefix>large-data`) and the bucket.
//!   **That configuration is account-and-region-wide**: one per account and region, so applying
//!   this module replaces whatever configuration the region had, and two stacks in one region
//!   overwrite each other's. Destroy deletes it only when it points at this stack's destinations.
//!
//! - optional cross-region replication of both audit buckets (`s3_replication`): the role
//!   `<prefix>-s3-replication` and the rule `baseline-cross-region` on each bucket.
//!
//! Addresses: `logging.bucket` (encryption, versioning, public-access block, ownership,
//! lifecycle and tags are its attributes), `logging.bucket_policy`, `logging.log_group`,
//! `logging.role`, `logging.role_policy`, `logging.invocation_logging`,
//! `logging.replication_role`, `logging.replication_role_policy`,
//! `logging.bucket_replication`, `logging.access_log_bucket_replication`.
//!
//! Destroy removes the invocation logging configuration and the role. The bucket and the log
//! group hold audit data and are kept unless [`baseline_core::DestroyOptions::delete_audit_data`]
//! is set; then the bucket is emptied (every version and delete marker) and deleted, and the log
//! group deleted.
//!
//! Inputs: [`LoggingInputs`] (the KMS key ARN, from `encryption.kms_key_arn`). Outputs:
//! [`LoggingOutputs`].

mod api;
mod bucket;
mod bucket_policy;
mod flow_logs;
mod invocation;
mod log_group;
mod module;
mod replication;
mod request_metrics;
mod role;

#[cfg(any(test, feature = "mocks"))]
pub use api::MockLoggingApi;
pub use api::{
    BucketEncryption, BucketReplication, CloudWatchDestination, EndpointInterfaces, FlowLogInfo,
    InvocationLoggingConfig, LifecycleRule, LifecycleTransition, LogGroupInfo, LoggingApi,
    NewFlowLog, NewRole, ObjectVersionRef, PublicAccessBlock, ReplicationRuleInfo, RoleInfo,
    S3Destination, SdkLoggingApi,
};
pub use bucket::lifecycle_rules;
pub use bucket::ObservedBucket;
pub use bucket_policy::bucket_policy;
pub use flow_logs::{flow_logs_role_policy, flow_logs_trust_policy, ObservedFlowLogs};
pub use log_group::ObservedLogGroup;
pub use module::{LoggingInputs, LoggingModule, LoggingObserved, LoggingOutputs, LoggingSpec};
pub use replication::{replication_trust_policy, ObservedReplication};
pub use role::{role_policy, trust_policy, ObservedRole};

use baseline_core::aws::ApiError;
use baseline_core::naming::STACK_TAG;
use baseline_core::reconcile::PreconditionFailed;
use std::collections::BTreeMap;

/// A policy as plans show and compare it: normalised (lists sorted) and its statements in Sid
/// order, so neither AWS's re-serialisation nor statement order shows as a change.
pub(crate) fn policy_view(doc: &baseline_core::policy::PolicyDocument) -> serde_json::Value {
    let mut doc = doc.normalized();
    doc.statement
        .sort_by_cached_key(|s| (s.sid.clone(), serde_json::to_string(s).unwrap_or_default()));
    doc.to_value()
}

/// Placeholder for values that exist only once an upstream resource is created.
pub(crate) const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// What a destroy without `--delete-audit-data` says of a kept bucket or log group.
pub(crate) const KEPT_AUDIT_DATA: &str = "kept: audit data (pass --delete-audit-data to delete)";

/// A resource found by this stack's name must not carry another stack's tag.
pub(crate) fn check_owner(
    kind: &'static str,
    name: &str,
    tags: &BTreeMap<String, String>,
    stack: &str,
) -> Result<(), LoggingError> {
    match tags.get(STACK_TAG) {
        Some(owner) if owner != stack => Err(LoggingError::ForeignResource {
            kind,
            name: name.to_owned(),
            owner: owner.clone(),
            stack: stack.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoggingError {
    /// An AWS call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A check against the live account failed before any write (exit code 2 in the CLI).
    #[error("the account is not ready for the logging module")]
    Precondition(#[source] PreconditionFailed),
    /// Apply needs the KMS key, which the encryption module provides.
    #[error("the KMS key ARN is not known: apply the encryption module first or pass --input encryption.kms_key_arn=ARN")]
    MissingKmsKey,
    /// A resource with this stack's name carries another stack's tag.
    #[error("{kind} {name} belongs to stack {owner}, not {stack}; rename or delete it")]
    ForeignResource {
        /// `s3 bucket`, `log group`, `iam role`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// The stack its `baseline:stack` tag names.
        owner: String,
        /// This stack.
        stack: String,
    },
    /// Some object versions could not be deleted while emptying the bucket.
    #[error("bucket {bucket}: {count} object versions could not be deleted (first: {first}); the bucket is left in place")]
    EmptyBucket {
        /// The bucket.
        bucket: String,
        /// How many failed.
        count: usize,
        /// The first failure.
        first: String,
    },
    /// Destroy refuses to delete a bucket whose object versions are under COMPLIANCE-mode
    /// retention: nobody, root included, can delete them before that date.
    #[error("bucket {bucket}: {count} object versions are under COMPLIANCE-mode Object Lock retention until {until}; nothing of the audit data was deleted (run destroy --delete-audit-data again after that date)")]
    ComplianceRetention {
        /// The bucket.
        bucket: String,
        /// How many versions are locked.
        count: usize,
        /// The latest retain-until date.
        until: String,
    },
}

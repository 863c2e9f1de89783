//! The narrow seam to S3, CloudWatch Logs, IAM, Bedrock and EC2: exactly the operations this
//! module uses, with plain Rust types in and out (`api/types.rs`), implemented for the SDK
//! clients ([`SdkLoggingApi`], `api/sdk.rs`, which hands each method to its service's file under
//! `api/`) and mocked with mockall in unit tests.
//!
//! "Not found" answers of reads are `Ok(None)` (or empty) here, so the reconciler only sees
//! errors it has to report; writes return every error, classified by [`ApiError::kind`].

use async_trait::async_trait;
use baseline_core::aws::ApiError;
use std::collections::BTreeMap;

mod bedrock;
mod call;
mod ec2;
mod iam;
mod logs;
mod s3;
mod s3_objects;
mod s3_rules;
mod sdk;
mod types;

pub use sdk::SdkLoggingApi;
pub use types::{
    BucketEncryption, BucketReplication, CloudWatchDestination, EndpointInterfaces, FlowLogInfo,
    InvocationLoggingConfig, LifecycleRule, LifecycleTransition, LogGroupInfo, NewFlowLog, NewRole,
    ObjectVersionRef, PublicAccessBlock, ReplicationRuleInfo, RoleInfo, S3Destination,
};
// Public in their signatures, yet not re-exported by the crate (as before the split).
pub(crate) use types::{AccessLogTarget, ObjectLockConfig, ObjectRetention};

/// The S3, CloudWatch Logs, IAM and Bedrock operations the logging module uses, implemented for
/// the SDK clients and mocked in unit tests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoggingApi: Send + Sync {
    // --- S3 ---
    /// HeadBucket: `true` if the bucket exists and is ours, `false` if it does not exist.
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, ApiError>;
    /// GetBucketEncryption (first rule); `None` without a configuration.
    async fn bucket_encryption(&self, bucket: &str) -> Result<Option<BucketEncryption>, ApiError>;
    /// GetBucketVersioning status; `None` if never enabled.
    async fn bucket_versioning(&self, bucket: &str) -> Result<Option<String>, ApiError>;
    /// GetPublicAccessBlock; `None` without one.
    async fn public_access_block(
        &self,
        bucket: &str,
    ) -> Result<Option<PublicAccessBlock>, ApiError>;
    /// GetBucketOwnershipControls (first rule); `None` without.
    async fn object_ownership(&self, bucket: &str) -> Result<Option<String>, ApiError>;
    /// GetBucketLifecycleConfiguration; empty without one.
    async fn lifecycle_rules(&self, bucket: &str) -> Result<Vec<LifecycleRule>, ApiError>;
    /// GetBucketPolicy as JSON text; `None` without one.
    async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>, ApiError>;
    /// GetBucketTagging; empty without tags.
    async fn bucket_tags(&self, bucket: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// CreateBucket with ObjectOwnership BucketOwnerEnforced (no LocationConstraint in us-east-1).
    async fn create_bucket(
        &self,
        bucket: &str,
        region: &str,
        object_lock: bool,
    ) -> Result<(), ApiError>;
    /// GetObjectLockConfiguration (`None`: Object Lock is not enabled).
    async fn object_lock(&self, bucket: &str) -> Result<Option<ObjectLockConfig>, ApiError>;
    /// PutObjectLockConfiguration: Object Lock on, with a default retention.
    async fn put_object_lock(&self, bucket: &str, mode: &str, days: i32) -> Result<(), ApiError>;
    /// GetBucketLogging (`None`: server access logging is off).
    async fn bucket_logging(&self, bucket: &str) -> Result<Option<AccessLogTarget>, ApiError>;
    /// GetBucketMetricsConfiguration `id`: whether it exists and, if so, whether it has a
    /// filter (`Some(true)`: filtered, `Some(false)`: whole bucket); `None` when absent.
    async fn bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<Option<bool>, ApiError>;
    /// PutBucketMetricsConfiguration `id` without a filter (the whole bucket).
    async fn put_bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<(), ApiError>;
    /// DeleteBucketMetricsConfiguration `id`.
    async fn delete_bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<(), ApiError>;
    /// GetBucketReplication (`None`: no replication configuration).
    async fn bucket_replication(&self, bucket: &str)
        -> Result<Option<BucketReplication>, ApiError>;
    /// PutBucketReplication: replaces the bucket's whole replication configuration.
    async fn put_bucket_replication(
        &self,
        bucket: &str,
        config: &BucketReplication,
    ) -> Result<(), ApiError>;
    /// DeleteBucketReplication.
    async fn delete_bucket_replication(&self, bucket: &str) -> Result<(), ApiError>;
    /// PutBucketLogging to `target`.
    async fn put_bucket_logging(
        &self,
        bucket: &str,
        target: &AccessLogTarget,
    ) -> Result<(), ApiError>;
    /// PutBucketEncryption with SSE-S3 (AES256).
    async fn put_bucket_encryption_s3(&self, bucket: &str) -> Result<(), ApiError>;
    /// GetBucketNotificationConfiguration: whether delivery to EventBridge is on.
    async fn bucket_eventbridge(&self, bucket: &str) -> Result<bool, ApiError>;
    /// PutBucketNotificationConfiguration with `EventBridgeConfiguration: {}` only.
    async fn enable_bucket_eventbridge(&self, bucket: &str) -> Result<(), ApiError>;
    /// One version's Object Lock retention, from HeadObject (`None`: no retention).
    async fn object_retention(
        &self,
        bucket: &str,
        version: &ObjectVersionRef,
    ) -> Result<Option<ObjectRetention>, ApiError>;
    /// PutBucketEncryption: SSE-KMS with `kms_key_arn` and the bucket key on.
    async fn put_bucket_encryption(&self, bucket: &str, kms_key_arn: &str) -> Result<(), ApiError>;
    /// PutBucketVersioning Enabled.
    async fn enable_versioning(&self, bucket: &str) -> Result<(), ApiError>;
    /// PutPublicAccessBlock, all four on.
    async fn block_public_access(&self, bucket: &str) -> Result<(), ApiError>;
    /// PutBucketOwnershipControls BucketOwnerEnforced.
    async fn enforce_bucket_owner(&self, bucket: &str) -> Result<(), ApiError>;
    /// PutBucketLifecycleConfiguration with these rules.
    async fn put_lifecycle_rules(
        &self,
        bucket: &str,
        rules: &[LifecycleRule],
    ) -> Result<(), ApiError>;
    /// DeleteBucketLifecycle.
    async fn delete_lifecycle(&self, bucket: &str) -> Result<(), ApiError>;
    /// PutBucketPolicy.
    async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<(), ApiError>;
    /// PutBucketTagging (replaces every tag).
    async fn put_bucket_tags(
        &self,
        bucket: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// ListObjectVersions, first page (up to 1000 versions and delete markers).
    async fn list_object_versions(&self, bucket: &str) -> Result<Vec<ObjectVersionRef>, ApiError>;
    /// DeleteObjects of exactly these versions; returns the keys that could not be deleted.
    async fn delete_object_versions(
        &self,
        bucket: &str,
        versions: &[ObjectVersionRef],
    ) -> Result<Vec<String>, ApiError>;
    /// DeleteBucket (must be empty).
    async fn delete_bucket(&self, bucket: &str) -> Result<(), ApiError>;

    // --- CloudWatch Logs ---
    /// The log group with exactly this name, if it exists.
    async fn describe_log_group(&self, name: &str) -> Result<Option<LogGroupInfo>, ApiError>;
    /// ListTagsForResource of a log group ARN.
    async fn log_group_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// CreateLogGroup with `kmsKeyId` and tags.
    async fn create_log_group(
        &self,
        name: &str,
        kms_key_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// AssociateKmsKey: the only way to change a log group's key in place.
    async fn associate_kms_key(&self, name: &str, kms_key_arn: &str) -> Result<(), ApiError>;
    /// PutRetentionPolicy.
    async fn put_retention(&self, name: &str, days: i32) -> Result<(), ApiError>;
    /// TagResource of a log group ARN.
    async fn tag_log_group(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// UntagResource of a log group ARN.
    async fn untag_log_group(&self, arn: &str, keys: &[String]) -> Result<(), ApiError>;
    /// DeleteLogGroup.
    async fn delete_log_group(&self, name: &str) -> Result<(), ApiError>;

    // --- IAM ---
    /// GetRole; `None` if it does not exist.
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, ApiError>;
    /// ListRoleTags.
    async fn role_tags(&self, name: &str) -> Result<BTreeMap<String, String>, ApiError>;
    /// ListRolePolicies: names of the inline policies.
    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, ApiError>;
    /// GetRolePolicy document (URL-encoded JSON); `None` if it does not exist.
    async fn role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, ApiError>;
    /// ListAttachedRolePolicies: ARNs of attached managed policies.
    async fn attached_role_policies(&self, role: &str) -> Result<Vec<String>, ApiError>;
    /// Whether a managed policy exists (GetPolicy).
    async fn policy_exists(&self, arn: &str) -> Result<bool, ApiError>;
    /// CreateRole; returns the role ARN.
    async fn create_role(&self, role: &NewRole) -> Result<String, ApiError>;
    /// UpdateAssumeRolePolicy.
    async fn update_trust_policy(&self, role: &str, policy: &str) -> Result<(), ApiError>;
    /// PutRolePermissionsBoundary.
    async fn put_role_boundary(&self, role: &str, boundary_arn: &str) -> Result<(), ApiError>;
    /// DeleteRolePermissionsBoundary.
    async fn delete_role_boundary(&self, role: &str) -> Result<(), ApiError>;
    /// PutRolePolicy (inline).
    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        policy: &str,
    ) -> Result<(), ApiError>;
    /// DeleteRolePolicy (inline).
    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), ApiError>;
    /// DetachRolePolicy (managed).
    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), ApiError>;
    /// TagRole.
    async fn tag_role(&self, role: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError>;
    /// UntagRole.
    async fn untag_role(&self, role: &str, keys: &[String]) -> Result<(), ApiError>;
    /// DeleteRole (inline and managed policies must be gone).
    async fn delete_role(&self, role: &str) -> Result<(), ApiError>;

    // --- Bedrock ---
    /// GetModelInvocationLoggingConfiguration; `None` when logging is off.
    async fn invocation_logging(&self) -> Result<Option<InvocationLoggingConfig>, ApiError>;
    /// PutModelInvocationLoggingConfiguration.
    async fn put_invocation_logging(
        &self,
        config: &InvocationLoggingConfig,
    ) -> Result<(), ApiError>;
    /// DeleteModelInvocationLoggingConfiguration.
    async fn delete_invocation_logging(&self) -> Result<(), ApiError>;

    // ----- EC2 (VPC flow logs)
    /// DescribeVpcEndpoints filtered by the `baseline:stack` tag.
    async fn stack_endpoint_interfaces(
        &self,
        stack: &str,
    ) -> Result<Vec<EndpointInterfaces>, ApiError>;
    /// DescribeFlowLogs filtered by the `baseline:stack` tag.
    async fn stack_flow_logs(&self, stack: &str) -> Result<Vec<FlowLogInfo>, ApiError>;
    /// CreateFlowLogs for one network interface; returns the flow log id (`None`: AWS answered
    /// that an identical flow log exists already).
    async fn create_flow_log(&self, request: &NewFlowLog) -> Result<Option<String>, ApiError>;
    /// DeleteFlowLogs; ids that are gone already count as deleted.
    async fn delete_flow_logs(&self, ids: &[String]) -> Result<(), ApiError>;
}

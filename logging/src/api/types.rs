//! The plain Rust types that cross the [`super::LoggingApi`] seam: what the reads return and
//! the writes take, free of SDK types.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default encryption of a bucket, as GetBucketEncryption reports its first rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEncryption {
    /// `aws:kms`, `AES256`, `aws:kms:dsse`.
    pub sse_algorithm: String,
    /// The key, as it was given (ARN, id or alias).
    pub kms_master_key_id: Option<String>,
    /// S3 Bucket Keys (fewer KMS calls).
    pub bucket_key_enabled: bool,
}

/// The four public-access-block switches of a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    /// Reject requests that set public ACLs.
    pub block_public_acls: bool,
    /// Ignore public ACLs.
    pub ignore_public_acls: bool,
    /// Reject bucket policies that grant public access.
    pub block_public_policy: bool,
    /// Restrict access to buckets with public policies.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Everything blocked.
    pub const ALL: Self = Self {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

/// A storage-class transition of a lifecycle rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleTransition {
    /// Days after creation.
    pub days: i32,
    /// `STANDARD_IA`, `GLACIER`, ...
    pub storage_class: String,
}

/// One lifecycle rule, in the form this module writes and compares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleRule {
    /// Rule id.
    pub id: String,
    /// `Enabled` or `Disabled`.
    pub status: String,
    /// Key prefix the rule applies to (`""`: the whole bucket).
    pub prefix: String,
    /// Transitions of current versions, by ascending days.
    pub transitions: Vec<LifecycleTransition>,
    /// Days before current versions expire.
    pub expiration_days: Option<i32>,
    /// Days before noncurrent versions expire.
    pub noncurrent_version_expiration_days: Option<i32>,
}

/// One object version or delete marker (to empty a versioned bucket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectVersionRef {
    /// Object key.
    pub key: String,
    /// Version id (`null` for objects written before versioning).
    pub version_id: Option<String>,
}

/// What DescribeLogGroups tells about one log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupInfo {
    /// Log group name.
    pub name: String,
    /// ARN without the trailing `:*`.
    pub arn: String,
    /// KMS key ARN the group is encrypted with.
    pub kms_key_id: Option<String>,
    /// Retention; `None` is "never expire".
    pub retention_in_days: Option<i32>,
}

/// What GetRole tells about a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    /// Role name.
    pub name: String,
    /// Role ARN.
    pub arn: String,
    /// The trust policy as IAM returns it (URL-encoded JSON).
    pub trust_policy: String,
    /// ARN of the permissions boundary, if one is attached.
    pub permissions_boundary_arn: Option<String>,
}

/// CreateRole's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRole {
    /// Role name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Trust policy JSON.
    pub trust_policy: String,
    /// Permissions boundary policy ARN.
    pub permissions_boundary_arn: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// A destination bucket and key prefix of the invocation logging configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Destination {
    /// Bucket name.
    pub bucket_name: String,
    /// Key prefix, without a trailing slash (Bedrock adds `/AWSLogs/...`).
    pub key_prefix: Option<String>,
}

/// The CloudWatch Logs destination of the invocation logging configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudWatchDestination {
    /// Log group name.
    pub log_group_name: String,
    /// Role Bedrock assumes to write to the log group.
    pub role_arn: String,
    /// Where bodies too large for CloudWatch Logs (over 100 KB, binary data) go.
    pub large_data_delivery_s3: Option<S3Destination>,
}

/// Bedrock's model invocation logging configuration (one per account and region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationLoggingConfig {
    /// CloudWatch Logs destination.
    pub cloudwatch: Option<CloudWatchDestination>,
    /// S3 destination.
    pub s3: Option<S3Destination>,
    /// Log text prompts and completions.
    pub text_data_delivery: bool,
    /// Log images.
    pub image_data_delivery: bool,
    /// Log embeddings.
    pub embedding_data_delivery: bool,
    /// Log video.
    pub video_data_delivery: bool,
    /// Log audio.
    pub audio_data_delivery: bool,
}

/// A bucket's S3 Object Lock configuration (GetObjectLockConfiguration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectLockConfig {
    /// `ObjectLockEnabled` is `Enabled`.
    pub enabled: bool,
    /// Default retention mode (`GOVERNANCE`, `COMPLIANCE`), if a default is set.
    pub mode: Option<String>,
    /// Default retention in days, if set in days.
    pub days: Option<i32>,
    /// Default retention in years, if set in years.
    pub years: Option<i32>,
}

/// A bucket's server access logging target (GetBucketLogging).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessLogTarget {
    /// Destination bucket.
    pub bucket: String,
    /// Key prefix of the log objects.
    pub prefix: String,
}

/// One object version's Object Lock retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRetention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: String,
    /// Retain-until date, RFC 3339.
    pub retain_until: String,
}

/// One rule of a bucket's replication configuration (GetBucketReplication), the parts the
/// stack sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationRuleInfo {
    /// Rule id.
    pub id: String,
    /// `Enabled` or `Disabled`.
    pub status: String,
    /// Priority (rules with a `Filter` have one).
    pub priority: Option<i32>,
    /// Key prefix of the filter (`""`: every object).
    pub prefix: String,
    /// Destination bucket ARN.
    pub destination_bucket: String,
    /// The key S3 encrypts the replicas with (`ReplicaKmsKeyID`).
    pub replica_kms_key_id: Option<String>,
    /// SSE-KMS encrypted objects are replicated (`SseKmsEncryptedObjects` Enabled).
    pub sse_kms_encrypted_objects: bool,
    /// Delete markers are replicated.
    pub delete_marker_replication: bool,
}

/// A bucket's replication configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketReplication {
    /// The role S3 assumes to replicate.
    pub role: String,
    /// Its rules.
    pub rules: Vec<ReplicationRuleInfo>,
}

/// An interface endpoint of the stack and its network interfaces (DescribeVpcEndpoints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInterfaces {
    /// `vpce-...`.
    pub endpoint_id: String,
    /// `Interface`, `Gateway`, ...
    pub endpoint_type: String,
    /// Lower-case state (`available`, `deleting`, ...).
    pub state: String,
    /// `NetworkInterfaceIds`.
    pub network_interface_ids: Vec<String>,
}

/// A flow log as DescribeFlowLogs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowLogInfo {
    /// `fl-...`.
    pub flow_log_id: String,
    /// The network interface (or VPC, subnet) it captures.
    pub resource_id: String,
    /// `ALL`, `ACCEPT`, `REJECT`.
    pub traffic_type: String,
    /// `cloud-watch-logs` or `s3`.
    pub log_destination_type: String,
    /// The log group (CloudWatch Logs destination).
    pub log_group_name: Option<String>,
    /// The delivery role.
    pub deliver_logs_permission_arn: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// One CreateFlowLogs request for one network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFlowLog {
    /// The network interface.
    pub resource_id: String,
    /// `ALL`, `ACCEPT`, `REJECT`.
    pub traffic_type: String,
    /// The log group.
    pub log_group_name: String,
    /// The delivery role.
    pub deliver_logs_permission_arn: String,
    /// Tags, stack tags included.
    pub tags: BTreeMap<String, String>,
    /// Idempotency token.
    pub client_token: String,
}

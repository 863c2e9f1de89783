//! The narrow seam to S3, CloudWatch Logs, IAM and Bedrock: exactly the operations this module
//! uses, with plain Rust types in and out, implemented for the SDK clients ([`SdkLoggingApi`]) and
//! mocked with mockall in unit tests.
//!
//! "Not found" answers of reads are `Ok(None)` (or empty) here, so the reconciler only sees
//! errors it has to report; writes return every error, classified by [`ApiError::kind`].

use async_trait::async_trait;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::AwsContext;
use std::collections::BTreeMap;

mod types;
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

/// [`LoggingApi`] over the SDK clients.
#[derive(Debug, Clone)]
pub struct SdkLoggingApi {
    s3: aws_sdk_s3::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    iam: aws_sdk_iam::Client,
    bedrock: aws_sdk_bedrock::Client,
    /// Only the flow-log calls use it; `None` for APIs built by [`Self::from_clients`] without
    /// [`Self::with_ec2`] (their flow-log calls fail).
    ec2: Option<aws_sdk_ec2::Client>,
}

impl SdkLoggingApi {
    /// Clients from the context (they record their calls in the context's call log). S3 uses
    /// path-style URLs when an endpoint override is set (the local emulator has no per-bucket
    /// DNS names).
    pub fn new(ctx: &AwsContext) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .force_path_style(ctx.endpoint_overridden())
            .build();
        let logs = aws_sdk_cloudwatchlogs::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        let iam = aws_sdk_iam::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        let bedrock = aws_sdk_bedrock::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        let ec2 = aws_sdk_ec2::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(logs),
            iam: aws_sdk_iam::Client::from_conf(iam),
            bedrock: aws_sdk_bedrock::Client::from_conf(bedrock),
            ec2: Some(aws_sdk_ec2::Client::from_conf(ec2)),
        }
    }

    /// Adds the EC2 client the flow-log calls use (to APIs built by [`Self::from_clients`]).
    #[must_use]
    pub fn with_ec2(mut self, ec2: aws_sdk_ec2::Client) -> Self {
        self.ec2 = Some(ec2);
        self
    }

    fn ec2(&self, op: &'static str) -> Result<&aws_sdk_ec2::Client, ApiError> {
        self.ec2.as_ref().ok_or_else(|| {
            ApiError::synthetic(
                "ec2",
                op,
                "",
                ServiceErrorKind::Other,
                "no EC2 client: build the API with SdkLoggingApi::new or with_ec2",
            )
        })
    }

    /// Wraps existing clients (tests inject interceptors this way).
    pub fn from_clients(
        s3: aws_sdk_s3::Client,
        logs: aws_sdk_cloudwatchlogs::Client,
        iam: aws_sdk_iam::Client,
        bedrock: aws_sdk_bedrock::Client,
    ) -> Self {
        Self {
            s3,
            logs,
            iam,
            bedrock,
            ec2: None,
        }
    }
}

/// Maps an SDK error of `service:op` on `target`. Every service crate re-exports the same
/// `SdkError` type, so one helper serves all four clients.
fn err<'a, E, R>(
    service: &'static str,
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_s3::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk(service, op, target, e)
}

/// `Ok(None)` for a not-found answer, the value otherwise.
fn none_if_missing<T>(result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn build_error(
    service: &'static str,
    op: &'static str,
    target: &str,
    e: impl std::fmt::Display,
) -> ApiError {
    ApiError::synthetic(
        service,
        op,
        target,
        ServiceErrorKind::Validation,
        &format!("request could not be built: {e}"),
    )
}

fn s3_tag_set(
    tags: &BTreeMap<String, String>,
) -> Result<Vec<aws_sdk_s3::types::Tag>, aws_smithy_types::error::operation::BuildError> {
    tags.iter()
        .map(|(k, v)| aws_sdk_s3::types::Tag::builder().key(k).value(v).build())
        .collect()
}

fn sdk_lifecycle_rule(
    rule: &LifecycleRule,
) -> Result<aws_sdk_s3::types::LifecycleRule, aws_smithy_types::error::operation::BuildError> {
    use aws_sdk_s3::types::{
        ExpirationStatus, LifecycleExpiration, LifecycleRuleFilter, NoncurrentVersionExpiration,
        Transition, TransitionStorageClass,
    };
    let mut b = aws_sdk_s3::types::LifecycleRule::builder()
        .id(&rule.id)
        .status(ExpirationStatus::from(rule.status.as_str()))
        .filter(LifecycleRuleFilter::builder().prefix(&rule.prefix).build());
    for t in &rule.transitions {
        b = b.transitions(
            Transition::builder()
                .days(t.days)
                .storage_class(TransitionStorageClass::from(t.storage_class.as_str()))
                .build(),
        );
    }
    if let Some(days) = rule.expiration_days {
        b = b.expiration(LifecycleExpiration::builder().days(days).build());
    }
    if let Some(days) = rule.noncurrent_version_expiration_days {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days)
                .build(),
        );
    }
    b.build()
}

// Rules written by other tools may still use the legacy top-level `Prefix` instead of `Filter`.
#[allow(deprecated)]
fn our_lifecycle_rule(rule: &aws_sdk_s3::types::LifecycleRule) -> LifecycleRule {
    let prefix = rule
        .filter()
        .and_then(|f| f.prefix())
        .or(rule.prefix())
        .unwrap_or_default()
        .to_owned();
    let mut transitions: Vec<LifecycleTransition> = rule
        .transitions()
        .iter()
        .map(|t| LifecycleTransition {
            days: t.days().unwrap_or_default(),
            storage_class: t
                .storage_class()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
        })
        .collect();
    transitions.sort_by_key(|t| t.days);
    LifecycleRule {
        id: rule.id().unwrap_or_default().to_owned(),
        status: rule.status().as_str().to_owned(),
        prefix,
        transitions,
        expiration_days: rule.expiration().and_then(|e| e.days()),
        noncurrent_version_expiration_days: rule
            .noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
    }
}

fn sdk_replication(
    c: &BucketReplication,
) -> Result<
    aws_sdk_s3::types::ReplicationConfiguration,
    aws_smithy_types::error::operation::BuildError,
> {
    use aws_sdk_s3::types::{
        DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination,
        EncryptionConfiguration, ReplicationConfiguration, ReplicationRule, ReplicationRuleFilter,
        ReplicationRuleStatus, SourceSelectionCriteria, SseKmsEncryptedObjects,
        SseKmsEncryptedObjectsStatus,
    };
    let mut b = ReplicationConfiguration::builder().role(&c.role);
    for r in &c.rules {
        let destination = Destination::builder()
            .bucket(&r.destination_bucket)
            .set_encryption_configuration(r.replica_kms_key_id.as_ref().map(|k| {
                EncryptionConfiguration::builder()
                    .replica_kms_key_id(k)
                    .build()
            }))
            .build()?;
        let criteria = if r.sse_kms_encrypted_objects {
            Some(
                SourceSelectionCriteria::builder()
                    .sse_kms_encrypted_objects(
                        SseKmsEncryptedObjects::builder()
                            .status(SseKmsEncryptedObjectsStatus::Enabled)
                            .build()?,
                    )
                    .build(),
            )
        } else {
            None
        };
        let delete_markers = if r.delete_marker_replication {
            DeleteMarkerReplicationStatus::Enabled
        } else {
            DeleteMarkerReplicationStatus::Disabled
        };
        b = b.rules(
            ReplicationRule::builder()
                .id(&r.id)
                .set_priority(r.priority)
                .status(ReplicationRuleStatus::from(r.status.as_str()))
                .filter(ReplicationRuleFilter::builder().prefix(&r.prefix).build())
                .delete_marker_replication(
                    DeleteMarkerReplication::builder()
                        .status(delete_markers)
                        .build(),
                )
                .set_source_selection_criteria(criteria)
                .destination(destination)
                .build()?,
        );
    }
    b.build()
}

// Rules written by other tools may use the legacy top-level `Prefix` instead of `Filter`.
#[allow(deprecated)]
fn our_replication(c: &aws_sdk_s3::types::ReplicationConfiguration) -> BucketReplication {
    use aws_sdk_s3::types::{DeleteMarkerReplicationStatus, SseKmsEncryptedObjectsStatus};
    BucketReplication {
        role: c.role().to_owned(),
        rules: c
            .rules()
            .iter()
            .map(|r| ReplicationRuleInfo {
                id: r.id().unwrap_or_default().to_owned(),
                status: r.status().as_str().to_owned(),
                priority: r.priority(),
                prefix: r
                    .filter()
                    .and_then(|f| f.prefix())
                    .or(r.prefix())
                    .unwrap_or_default()
                    .to_owned(),
                destination_bucket: r
                    .destination()
                    .map(|d| d.bucket().to_owned())
                    .unwrap_or_default(),
                replica_kms_key_id: r
                    .destination()
                    .and_then(|d| d.encryption_configuration())
                    .and_then(|e| e.replica_kms_key_id())
                    .map(str::to_owned),
                sse_kms_encrypted_objects: r
                    .source_selection_criteria()
                    .and_then(|s| s.sse_kms_encrypted_objects())
                    .is_some_and(|o| *o.status() == SseKmsEncryptedObjectsStatus::Enabled),
                delete_marker_replication: r
                    .delete_marker_replication()
                    .and_then(|d| d.status())
                    .is_some_and(|s| *s == DeleteMarkerReplicationStatus::Enabled),
            })
            .collect(),
    }
}

fn sdk_s3_destination(
    d: &S3Destination,
) -> Result<aws_sdk_bedrock::types::S3Config, aws_smithy_types::error::operation::BuildError> {
    aws_sdk_bedrock::types::S3Config::builder()
        .bucket_name(&d.bucket_name)
        .set_key_prefix(d.key_prefix.clone())
        .build()
}

fn our_s3_destination(c: &aws_sdk_bedrock::types::S3Config) -> S3Destination {
    S3Destination {
        bucket_name: c.bucket_name().to_owned(),
        key_prefix: c.key_prefix().filter(|p| !p.is_empty()).map(str::to_owned),
    }
}

#[async_trait]
impl LoggingApi for SdkLoggingApi {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, ApiError> {
        match self.s3.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let not_found = matches!(&e, aws_sdk_s3::error::SdkError::ServiceError(se) if se.err().is_not_found());
                let status = e.raw_response().map(|r| r.status().as_u16());
                if not_found || status == Some(404) {
                    return Ok(false);
                }
                let mut api = ApiError::from_sdk("s3", "HeadBucket", bucket, e);
                if status == Some(403) {
                    // HeadBucket has no error body: a 403 means the name belongs to another account
                    // (or we may not read it).
                    api.kind = ServiceErrorKind::AccessDenied;
                    api.detail =
                        "403 Forbidden: the bucket exists and is not readable by this account"
                            .into();
                }
                Err(api)
            }
        }
    }

    async fn bucket_encryption(&self, bucket: &str) -> Result<Option<BucketEncryption>, ApiError> {
        let out = none_if_missing(
            self.s3
                .get_bucket_encryption()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetBucketEncryption", bucket)),
        )?;
        Ok(out.and_then(|o| {
            let rule = o
                .server_side_encryption_configuration()?
                .rules()
                .first()?
                .clone();
            let default = rule.apply_server_side_encryption_by_default()?;
            Some(BucketEncryption {
                sse_algorithm: default.sse_algorithm().as_str().to_owned(),
                kms_master_key_id: default.kms_master_key_id().map(str::to_owned),
                bucket_key_enabled: rule.bucket_key_enabled().unwrap_or(false),
            })
        }))
    }

    async fn bucket_versioning(&self, bucket: &str) -> Result<Option<String>, ApiError> {
        let out = self
            .s3
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .map_err(err("s3", "GetBucketVersioning", bucket))?;
        Ok(out.status().map(|s| s.as_str().to_owned()))
    }

    async fn public_access_block(
        &self,
        bucket: &str,
    ) -> Result<Option<PublicAccessBlock>, ApiError> {
        let out = none_if_missing(
            self.s3
                .get_public_access_block()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetPublicAccessBlock", bucket)),
        )?;
        Ok(out.and_then(|o| {
            o.public_access_block_configuration()
                .map(|c| PublicAccessBlock {
                    block_public_acls: c.block_public_acls().unwrap_or(false),
                    ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                    block_public_policy: c.block_public_policy().unwrap_or(false),
                    restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                })
        }))
    }

    async fn object_ownership(&self, bucket: &str) -> Result<Option<String>, ApiError> {
        let out = none_if_missing(
            self.s3
                .get_bucket_ownership_controls()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetBucketOwnershipControls", bucket)),
        )?;
        Ok(out.and_then(|o| {
            o.ownership_controls()?
                .rules()
                .first()
                .map(|r| r.object_ownership().as_str().to_owned())
        }))
    }

    async fn lifecycle_rules(&self, bucket: &str) -> Result<Vec<LifecycleRule>, ApiError> {
        let out = none_if_missing(
            self.s3
                .get_bucket_lifecycle_configuration()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetBucketLifecycleConfiguration", bucket)),
        )?;
        Ok(out
            .map(|o| o.rules().iter().map(our_lifecycle_rule).collect())
            .unwrap_or_default())
    }

    async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>, ApiError> {
        let out = none_if_missing(
            self.s3
                .get_bucket_policy()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetBucketPolicy", bucket)),
        )?;
        Ok(out.and_then(|o| o.policy().map(str::to_owned)))
    }

    async fn bucket_tags(&self, bucket: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let out = none_if_missing(
            self.s3
                .get_bucket_tagging()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetBucketTagging", bucket)),
        )?;
        Ok(out
            .map(|o| {
                o.tag_set()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn create_bucket(
        &self,
        bucket: &str,
        region: &str,
        object_lock: bool,
    ) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{
            BucketLocationConstraint, CreateBucketConfiguration, ObjectOwnership,
        };
        // `x-amz-bucket-object-lock-enabled` at creation also turns versioning on
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html).
        let mut req = self
            .s3
            .create_bucket()
            .bucket(bucket)
            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
            .object_lock_enabled_for_bucket(object_lock);
        // us-east-1 is the default location and rejects an explicit LocationConstraint.
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(err("s3", "CreateBucket", bucket))?;
        Ok(())
    }

    async fn object_lock(&self, bucket: &str) -> Result<Option<ObjectLockConfig>, ApiError> {
        let out = none_if_missing(
            self.s3
                .get_object_lock_configuration()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetObjectLockConfiguration", bucket)),
        )?;
        Ok(out.and_then(|o| {
            let c = o.object_lock_configuration()?;
            let retention = c.rule().and_then(|r| r.default_retention());
            Some(ObjectLockConfig {
                enabled: c.object_lock_enabled().map(|e| e.as_str()) == Some("Enabled"),
                mode: retention
                    .and_then(|d| d.mode())
                    .map(|m| m.as_str().to_owned()),
                days: retention.and_then(|d| d.days()),
                years: retention.and_then(|d| d.years()),
            })
        }))
    }

    async fn put_object_lock(&self, bucket: &str, mode: &str, days: i32) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{
            DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
            ObjectLockRule,
        };
        let config = ObjectLockConfiguration::builder()
            .object_lock_enabled(ObjectLockEnabled::Enabled)
            .rule(
                ObjectLockRule::builder()
                    .default_retention(
                        DefaultRetention::builder()
                            .mode(ObjectLockRetentionMode::from(mode))
                            .days(days)
                            .build(),
                    )
                    .build(),
            )
            .build();
        self.s3
            .put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(config)
            .send()
            .await
            .map_err(err("s3", "PutObjectLockConfiguration", bucket))?;
        Ok(())
    }

    async fn bucket_logging(&self, bucket: &str) -> Result<Option<AccessLogTarget>, ApiError> {
        let out = self
            .s3
            .get_bucket_logging()
            .bucket(bucket)
            .send()
            .await
            .map_err(err("s3", "GetBucketLogging", bucket))?;
        Ok(out.logging_enabled().map(|l| AccessLogTarget {
            bucket: l.target_bucket().to_owned(),
            prefix: l.target_prefix().to_owned(),
        }))
    }

    async fn bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<Option<bool>, ApiError> {
        let r = self
            .s3
            .get_bucket_metrics_configuration()
            .bucket(bucket)
            .id(id)
            .send()
            .await
            .map_err(err("s3", "GetBucketMetricsConfiguration", bucket));
        match r {
            Ok(out) => Ok(Some(
                out.metrics_configuration()
                    .is_some_and(|c| c.filter().is_some()),
            )),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn put_bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<(), ApiError> {
        let op = "PutBucketMetricsConfiguration";
        let config = aws_sdk_s3::types::MetricsConfiguration::builder()
            .id(id)
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_metrics_configuration()
            .bucket(bucket)
            .id(id)
            .metrics_configuration(config)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn delete_bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<(), ApiError> {
        self.s3
            .delete_bucket_metrics_configuration()
            .bucket(bucket)
            .id(id)
            .send()
            .await
            .map_err(err("s3", "DeleteBucketMetricsConfiguration", bucket))?;
        Ok(())
    }

    async fn bucket_replication(
        &self,
        bucket: &str,
    ) -> Result<Option<BucketReplication>, ApiError> {
        // ReplicationConfigurationNotFoundError maps to not-found: no configuration.
        let out = none_if_missing(
            self.s3
                .get_bucket_replication()
                .bucket(bucket)
                .send()
                .await
                .map_err(err("s3", "GetBucketReplication", bucket)),
        )?;
        Ok(out
            .and_then(|o| o.replication_configuration)
            .map(|c| our_replication(&c)))
    }

    async fn put_bucket_replication(
        &self,
        bucket: &str,
        config: &BucketReplication,
    ) -> Result<(), ApiError> {
        let op = "PutBucketReplication";
        let sdk = sdk_replication(config).map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_replication()
            .bucket(bucket)
            .replication_configuration(sdk)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn delete_bucket_replication(&self, bucket: &str) -> Result<(), ApiError> {
        self.s3
            .delete_bucket_replication()
            .bucket(bucket)
            .send()
            .await
            .map_err(err("s3", "DeleteBucketReplication", bucket))?;
        Ok(())
    }

    async fn put_bucket_logging(
        &self,
        bucket: &str,
        target: &AccessLogTarget,
    ) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{BucketLoggingStatus, LoggingEnabled};
        let op = "PutBucketLogging";
        let enabled = LoggingEnabled::builder()
            .target_bucket(&target.bucket)
            .target_prefix(&target.prefix)
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_logging()
            .bucket(bucket)
            .bucket_logging_status(
                BucketLoggingStatus::builder()
                    .logging_enabled(enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn bucket_eventbridge(&self, bucket: &str) -> Result<bool, ApiError> {
        let out = self
            .s3
            .get_bucket_notification_configuration()
            .bucket(bucket)
            .send()
            .await
            .map_err(err("s3", "GetBucketNotificationConfiguration", bucket))?;
        Ok(out.event_bridge_configuration().is_some())
    }

    async fn enable_bucket_eventbridge(&self, bucket: &str) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{EventBridgeConfiguration, NotificationConfiguration};
        // "Enabling Amazon EventBridge": an empty EventBridgeConfiguration turns delivery of all
        // the bucket's events on; S3 needs no permission to send to EventBridge
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-event-notifications-eventbridge.html,
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html). The call
        // replaces the whole notification configuration: the stack owns its buckets' one.
        self.s3
            .put_bucket_notification_configuration()
            .bucket(bucket)
            .notification_configuration(
                NotificationConfiguration::builder()
                    .event_bridge_configuration(EventBridgeConfiguration::builder().build())
                    .build(),
            )
            .send()
            .await
            .map_err(err("s3", "PutBucketNotificationConfiguration", bucket))?;
        Ok(())
    }

    async fn put_bucket_encryption_s3(&self, bucket: &str) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let op = "PutBucketEncryption";
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::Aes256)
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        let config = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(default)
                    .build(),
            )
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(config)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn object_retention(
        &self,
        bucket: &str,
        version: &ObjectVersionRef,
    ) -> Result<Option<ObjectRetention>, ApiError> {
        // HeadObject answers with the version's Object Lock mode and retain-until date (headers
        // x-amz-object-lock-mode / -retain-until-date; needs s3:GetObjectRetention:
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). A delete marker
        // answers 404/405: it holds no data and no retention.
        let out = self
            .s3
            .head_object()
            .bucket(bucket)
            .key(&version.key)
            .set_version_id(version.version_id.clone())
            .send()
            .await;
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(404 | 405)) {
                    return Ok(None);
                }
                return Err(ApiError::from_sdk("s3", "HeadObject", bucket, e));
            }
        };
        Ok(out.object_lock_mode().and_then(|mode| {
            Some(ObjectRetention {
                mode: mode.as_str().to_owned(),
                retain_until: out
                    .object_lock_retain_until_date()?
                    .fmt(aws_smithy_types::date_time::Format::DateTime)
                    .ok()?,
            })
        }))
    }

    async fn put_bucket_encryption(&self, bucket: &str, kms_key_arn: &str) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{
            ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
            ServerSideEncryptionRule,
        };
        let op = "PutBucketEncryption";
        let default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(kms_key_arn)
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        let config = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(default)
                    .bucket_key_enabled(true)
                    .build(),
            )
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(config)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn enable_versioning(&self, bucket: &str) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
        self.s3
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(err("s3", "PutBucketVersioning", bucket))?;
        Ok(())
    }

    async fn block_public_access(&self, bucket: &str) -> Result<(), ApiError> {
        let config = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        self.s3
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(config)
            .send()
            .await
            .map_err(err("s3", "PutPublicAccessBlock", bucket))?;
        Ok(())
    }

    async fn enforce_bucket_owner(&self, bucket: &str) -> Result<(), ApiError> {
        use aws_sdk_s3::types::{ObjectOwnership, OwnershipControls, OwnershipControlsRule};
        let op = "PutBucketOwnershipControls";
        let rule = OwnershipControlsRule::builder()
            .object_ownership(ObjectOwnership::BucketOwnerEnforced)
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        let controls = OwnershipControls::builder()
            .rules(rule)
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_ownership_controls()
            .bucket(bucket)
            .ownership_controls(controls)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn put_lifecycle_rules(
        &self,
        bucket: &str,
        rules: &[LifecycleRule],
    ) -> Result<(), ApiError> {
        let op = "PutBucketLifecycleConfiguration";
        let rules = rules
            .iter()
            .map(sdk_lifecycle_rule)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        let config = aws_sdk_s3::types::BucketLifecycleConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(config)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn delete_lifecycle(&self, bucket: &str) -> Result<(), ApiError> {
        self.s3
            .delete_bucket_lifecycle()
            .bucket(bucket)
            .send()
            .await
            .map_err(err("s3", "DeleteBucketLifecycle", bucket))?;
        Ok(())
    }

    async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<(), ApiError> {
        self.s3
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy)
            .send()
            .await
            .map_err(err("s3", "PutBucketPolicy", bucket))?;
        Ok(())
    }

    async fn put_bucket_tags(
        &self,
        bucket: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        let op = "PutBucketTagging";
        let tagging = aws_sdk_s3::types::Tagging::builder()
            .set_tag_set(Some(
                s3_tag_set(tags).map_err(|e| build_error("s3", op, bucket, e))?,
            ))
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        self.s3
            .put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(())
    }

    async fn list_object_versions(&self, bucket: &str) -> Result<Vec<ObjectVersionRef>, ApiError> {
        let out = self
            .s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(1000)
            .send()
            .await
            .map_err(err("s3", "ListObjectVersions", bucket))?;
        let versions = out.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = out
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        Ok(versions
            .chain(markers)
            .filter_map(|(key, version)| {
                Some(ObjectVersionRef {
                    key: key?.to_owned(),
                    version_id: version.map(str::to_owned),
                })
            })
            .collect())
    }

    async fn delete_object_versions(
        &self,
        bucket: &str,
        versions: &[ObjectVersionRef],
    ) -> Result<Vec<String>, ApiError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        let op = "DeleteObjects";
        let objects = versions
            .iter()
            .map(|v| {
                ObjectIdentifier::builder()
                    .key(&v.key)
                    .set_version_id(v.version_id.clone())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| build_error("s3", op, bucket, e))?;
        // Only destroy with --delete-audit-data empties a bucket, so GOVERNANCE retention is
        // bypassed explicitly (needs s3:BypassGovernanceRetention; COMPLIANCE cannot be bypassed:
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
        let out = self
            .s3
            .delete_objects()
            .bucket(bucket)
            .bypass_governance_retention(true)
            .delete(delete)
            .send()
            .await
            .map_err(err("s3", op, bucket))?;
        Ok(out
            .errors()
            .iter()
            .map(|e| {
                format!(
                    "{} ({})",
                    e.key().unwrap_or_default(),
                    e.code().unwrap_or("error")
                )
            })
            .collect())
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<(), ApiError> {
        self.s3
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(err("s3", "DeleteBucket", bucket))?;
        Ok(())
    }

    async fn describe_log_group(&self, name: &str) -> Result<Option<LogGroupInfo>, ApiError> {
        let mut pages = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("logs", "DescribeLogGroups", name))?;
            if let Some(g) = page
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name))
            {
                let arn = g
                    .log_group_arn()
                    .map(str::to_owned)
                    .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_owned()))
                    .unwrap_or_default();
                return Ok(Some(LogGroupInfo {
                    name: name.to_owned(),
                    arn,
                    kms_key_id: g.kms_key_id().map(str::to_owned),
                    retention_in_days: g.retention_in_days(),
                }));
            }
        }
        Ok(None)
    }

    async fn log_group_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let out = self
            .logs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(err("logs", "ListTagsForResource", arn))?;
        Ok(out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    async fn create_log_group(
        &self,
        name: &str,
        kms_key_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        self.logs
            .create_log_group()
            .log_group_name(name)
            .kms_key_id(kms_key_arn)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(err("logs", "CreateLogGroup", name))?;
        Ok(())
    }

    async fn associate_kms_key(&self, name: &str, kms_key_arn: &str) -> Result<(), ApiError> {
        self.logs
            .associate_kms_key()
            .log_group_name(name)
            .kms_key_id(kms_key_arn)
            .send()
            .await
            .map_err(err("logs", "AssociateKmsKey", name))?;
        Ok(())
    }

    async fn put_retention(&self, name: &str, days: i32) -> Result<(), ApiError> {
        self.logs
            .put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .map_err(err("logs", "PutRetentionPolicy", name))?;
        Ok(())
    }

    async fn tag_log_group(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        self.logs
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(err("logs", "TagResource", arn))?;
        Ok(())
    }

    async fn untag_log_group(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        self.logs
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(err("logs", "UntagResource", arn))?;
        Ok(())
    }

    async fn delete_log_group(&self, name: &str) -> Result<(), ApiError> {
        self.logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map_err(err("logs", "DeleteLogGroup", name))?;
        Ok(())
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, ApiError> {
        let out = none_if_missing(
            self.iam
                .get_role()
                .role_name(name)
                .send()
                .await
                .map_err(err("iam", "GetRole", name)),
        )?;
        Ok(out.and_then(|o| {
            let role = o.role()?;
            Some(RoleInfo {
                name: role.role_name().to_owned(),
                arn: role.arn().to_owned(),
                trust_policy: role
                    .assume_role_policy_document()
                    .unwrap_or_default()
                    .to_owned(),
                permissions_boundary_arn: role
                    .permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn())
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned),
            })
        }))
    }

    async fn role_tags(&self, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let mut tags = BTreeMap::new();
        let mut pages = self
            .iam
            .list_role_tags()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("iam", "ListRoleTags", name))?;
            tags.extend(
                page.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
        }
        Ok(tags)
    }

    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, ApiError> {
        let mut names = Vec::new();
        let mut pages = self
            .iam
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("iam", "ListRolePolicies", role))?;
            names.extend(page.policy_names().iter().cloned());
        }
        Ok(names)
    }

    async fn role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, ApiError> {
        let out = none_if_missing(
            self.iam
                .get_role_policy()
                .role_name(role)
                .policy_name(policy_name)
                .send()
                .await
                .map_err(err("iam", "GetRolePolicy", role)),
        )?;
        Ok(out.map(|o| o.policy_document().to_owned()))
    }

    async fn attached_role_policies(&self, role: &str) -> Result<Vec<String>, ApiError> {
        let mut arns = Vec::new();
        let mut pages = self
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("iam", "ListAttachedRolePolicies", role))?;
            arns.extend(
                page.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
        }
        Ok(arns)
    }

    async fn policy_exists(&self, arn: &str) -> Result<bool, ApiError> {
        let out = none_if_missing(
            self.iam
                .get_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(err("iam", "GetPolicy", arn)),
        )?;
        Ok(out.is_some())
    }

    async fn create_role(&self, role: &NewRole) -> Result<String, ApiError> {
        let op = "CreateRole";
        let tags = role
            .tags
            .iter()
            .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| build_error("iam", op, &role.name, e))?;
        let out = self
            .iam
            .create_role()
            .role_name(&role.name)
            .description(&role.description)
            .assume_role_policy_document(&role.trust_policy)
            .set_permissions_boundary(role.permissions_boundary_arn.clone())
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(err("iam", op, &role.name))?;
        Ok(out.role().map(|r| r.arn().to_owned()).unwrap_or_default())
    }

    async fn update_trust_policy(&self, role: &str, policy: &str) -> Result<(), ApiError> {
        self.iam
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(policy)
            .send()
            .await
            .map_err(err("iam", "UpdateAssumeRolePolicy", role))?;
        Ok(())
    }

    async fn put_role_boundary(&self, role: &str, boundary_arn: &str) -> Result<(), ApiError> {
        self.iam
            .put_role_permissions_boundary()
            .role_name(role)
            .permissions_boundary(boundary_arn)
            .send()
            .await
            .map_err(err("iam", "PutRolePermissionsBoundary", role))?;
        Ok(())
    }

    async fn delete_role_boundary(&self, role: &str) -> Result<(), ApiError> {
        self.iam
            .delete_role_permissions_boundary()
            .role_name(role)
            .send()
            .await
            .map_err(err("iam", "DeleteRolePermissionsBoundary", role))?;
        Ok(())
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        policy: &str,
    ) -> Result<(), ApiError> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(policy)
            .send()
            .await
            .map_err(err("iam", "PutRolePolicy", role))?;
        Ok(())
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), ApiError> {
        self.iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
            .map_err(err("iam", "DeleteRolePolicy", role))?;
        Ok(())
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), ApiError> {
        self.iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(err("iam", "DetachRolePolicy", role))?;
        Ok(())
    }

    async fn tag_role(&self, role: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        let op = "TagRole";
        let tags = tags
            .iter()
            .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| build_error("iam", op, role, e))?;
        self.iam
            .tag_role()
            .role_name(role)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(err("iam", op, role))?;
        Ok(())
    }

    async fn untag_role(&self, role: &str, keys: &[String]) -> Result<(), ApiError> {
        self.iam
            .untag_role()
            .role_name(role)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(err("iam", "UntagRole", role))?;
        Ok(())
    }

    async fn delete_role(&self, role: &str) -> Result<(), ApiError> {
        self.iam
            .delete_role()
            .role_name(role)
            .send()
            .await
            .map_err(err("iam", "DeleteRole", role))?;
        Ok(())
    }

    async fn invocation_logging(&self) -> Result<Option<InvocationLoggingConfig>, ApiError> {
        let out = self
            .bedrock
            .get_model_invocation_logging_configuration()
            .send()
            .await
            .map_err(err(
                "bedrock",
                "GetModelInvocationLoggingConfiguration",
                "account",
            ))?;
        let Some(c) = out.logging_config() else {
            return Ok(None);
        };
        let cloudwatch = c.cloud_watch_config().map(|cw| CloudWatchDestination {
            log_group_name: cw.log_group_name().to_owned(),
            role_arn: cw.role_arn().to_owned(),
            large_data_delivery_s3: cw.large_data_delivery_s3_config().map(our_s3_destination),
        });
        let s3 = c.s3_config().map(our_s3_destination);
        if cloudwatch.is_none() && s3.is_none() {
            return Ok(None);
        }
        Ok(Some(InvocationLoggingConfig {
            cloudwatch,
            s3,
            text_data_delivery: c.text_data_delivery_enabled().unwrap_or(false),
            image_data_delivery: c.image_data_delivery_enabled().unwrap_or(false),
            embedding_data_delivery: c.embedding_data_delivery_enabled().unwrap_or(false),
            video_data_delivery: c.video_data_delivery_enabled().unwrap_or(false),
            audio_data_delivery: c.audio_data_delivery_enabled().unwrap_or(false),
        }))
    }

    async fn put_invocation_logging(
        &self,
        config: &InvocationLoggingConfig,
    ) -> Result<(), ApiError> {
        let op = "PutModelInvocationLoggingConfiguration";
        let cloudwatch = config
            .cloudwatch
            .as_ref()
            .map(|cw| {
                let large = cw
                    .large_data_delivery_s3
                    .as_ref()
                    .map(sdk_s3_destination)
                    .transpose()?;
                aws_sdk_bedrock::types::CloudWatchConfig::builder()
                    .log_group_name(&cw.log_group_name)
                    .role_arn(&cw.role_arn)
                    .set_large_data_delivery_s3_config(large)
                    .build()
            })
            .transpose()
            .map_err(|e| build_error("bedrock", op, "account", e))?;
        let s3 = config
            .s3
            .as_ref()
            .map(sdk_s3_destination)
            .transpose()
            .map_err(|e| build_error("bedrock", op, "account", e))?;
        let logging = aws_sdk_bedrock::types::LoggingConfig::builder()
            .set_cloud_watch_config(cloudwatch)
            .set_s3_config(s3)
            .text_data_delivery_enabled(config.text_data_delivery)
            .image_data_delivery_enabled(config.image_data_delivery)
            .embedding_data_delivery_enabled(config.embedding_data_delivery)
            .video_data_delivery_enabled(config.video_data_delivery)
            .audio_data_delivery_enabled(config.audio_data_delivery)
            .build();
        self.bedrock
            .put_model_invocation_logging_configuration()
            .logging_config(logging)
            .send()
            .await
            .map_err(err("bedrock", op, "account"))?;
        Ok(())
    }

    async fn delete_invocation_logging(&self) -> Result<(), ApiError> {
        self.bedrock
            .delete_model_invocation_logging_configuration()
            .send()
            .await
            .map_err(err(
                "bedrock",
                "DeleteModelInvocationLoggingConfiguration",
                "account",
            ))?;
        Ok(())
    }

    async fn stack_endpoint_interfaces(
        &self,
        stack: &str,
    ) -> Result<Vec<EndpointInterfaces>, ApiError> {
        let ec2 = self.ec2("DescribeVpcEndpoints")?;
        let mut found = Vec::new();
        let mut pages = ec2
            .describe_vpc_endpoints()
            .filters(ec2_filter(
                &format!("tag:{}", baseline_core::naming::STACK_TAG),
                stack,
            ))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("ec2", "DescribeVpcEndpoints", stack))?;
            found.extend(page.vpc_endpoints().iter().map(|e| {
                EndpointInterfaces {
                    endpoint_id: e.vpc_endpoint_id().unwrap_or_default().to_owned(),
                    endpoint_type: e
                        .vpc_endpoint_type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    state: e
                        .state()
                        .map(|s| s.as_str().to_ascii_lowercase())
                        .unwrap_or_default(),
                    network_interface_ids: e.network_interface_ids().to_vec(),
                }
            }));
        }
        Ok(found)
    }

    async fn stack_flow_logs(&self, stack: &str) -> Result<Vec<FlowLogInfo>, ApiError> {
        let ec2 = self.ec2("DescribeFlowLogs")?;
        let mut found = Vec::new();
        let mut pages = ec2
            .describe_flow_logs()
            .filter(ec2_filter(
                &format!("tag:{}", baseline_core::naming::STACK_TAG),
                stack,
            ))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("ec2", "DescribeFlowLogs", stack))?;
            found.extend(page.flow_logs().iter().map(|f| {
                FlowLogInfo {
                    flow_log_id: f.flow_log_id().unwrap_or_default().to_owned(),
                    resource_id: f.resource_id().unwrap_or_default().to_owned(),
                    traffic_type: f
                        .traffic_type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    log_destination_type: f
                        .log_destination_type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    log_group_name: f.log_group_name().map(str::to_owned),
                    deliver_logs_permission_arn: f.deliver_logs_permission_arn().map(str::to_owned),
                    tags: f
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                        .collect(),
                }
            }));
        }
        Ok(found)
    }

    async fn create_flow_log(&self, r: &NewFlowLog) -> Result<Option<String>, ApiError> {
        use aws_sdk_ec2::types::{
            FlowLogsResourceType, LogDestinationType, ResourceType, Tag, TagSpecification,
            TrafficType,
        };
        let ec2 = self.ec2("CreateFlowLogs")?;
        let tags = TagSpecification::builder()
            .resource_type(ResourceType::VpcFlowLog)
            .set_tags(Some(
                r.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .build();
        let out = ec2
            .create_flow_logs()
            .resource_type(FlowLogsResourceType::NetworkInterface)
            .resource_ids(&r.resource_id)
            .traffic_type(TrafficType::from(r.traffic_type.as_str()))
            .log_destination_type(LogDestinationType::CloudWatchLogs)
            .log_group_name(&r.log_group_name)
            .deliver_logs_permission_arn(&r.deliver_logs_permission_arn)
            .tag_specifications(tags)
            .client_token(&r.client_token)
            .send()
            .await
            .map_err(err("ec2", "CreateFlowLogs", &r.resource_id))?;
        // CreateFlowLogs answers 200 and lists per-resource failures.
        if let Some(item) = out.unsuccessful().first() {
            let code = item.error().and_then(|e| e.code()).unwrap_or_default();
            let message = item
                .error()
                .and_then(|e| e.message())
                .unwrap_or("no message");
            if code == "FlowLogAlreadyExists" {
                return Ok(None);
            }
            return Err(ApiError::synthetic(
                "ec2",
                "CreateFlowLogs",
                &r.resource_id,
                flow_log_error_kind(code),
                &format!("{code}: {message}"),
            ));
        }
        Ok(out.flow_log_ids().first().cloned())
    }

    async fn delete_flow_logs(&self, ids: &[String]) -> Result<(), ApiError> {
        if ids.is_empty() {
            return Ok(());
        }
        let ec2 = self.ec2("DeleteFlowLogs")?;
        let target = ids.join(",");
        let out = ec2
            .delete_flow_logs()
            .set_flow_log_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(err("ec2", "DeleteFlowLogs", &target))?;
        // Per-id failures come back in `Unsuccessful`; a flow log that is gone is done.
        for item in out.unsuccessful() {
            let code = item.error().and_then(|e| e.code()).unwrap_or_default();
            let kind = flow_log_error_kind(code);
            if kind != ServiceErrorKind::NotFound {
                let message = item
                    .error()
                    .and_then(|e| e.message())
                    .unwrap_or("no message");
                return Err(ApiError::synthetic(
                    "ec2",
                    "DeleteFlowLogs",
                    item.resource_id().unwrap_or(&target),
                    kind,
                    &format!("{code}: {message}"),
                ));
            }
        }
        Ok(())
    }
}

fn ec2_filter(name: &str, value: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name(name)
        .values(value)
        .build()
}

/// The class of a flow-log error code. `FlowLogAlreadyExists` (an identical flow log on the
/// resource, what a retried create meets) is AlreadyExists.
pub(crate) fn flow_log_error_kind(code: &str) -> ServiceErrorKind {
    if code == "FlowLogAlreadyExists" {
        ServiceErrorKind::AlreadyExists
    } else {
        baseline_core::aws::classify_code(code)
    }
}

//! [`SdkLoggingApi`]: [`LoggingApi`] over the SDK clients, each method one line that hands
//! its client to the service's file (`s3.rs`, `s3_rules.rs`, `s3_objects.rs`, `logs.rs`,
//! `iam.rs`, `bedrock.rs`, `ec2.rs`), which builds the request and reads the answer.

use super::{
    bedrock, ec2, iam, logs, s3, s3_objects, s3_rules, AccessLogTarget, BucketEncryption,
    BucketReplication, EndpointInterfaces, FlowLogInfo, InvocationLoggingConfig, LifecycleRule,
    LogGroupInfo, LoggingApi, NewFlowLog, NewRole, ObjectLockConfig, ObjectRetention,
    ObjectVersionRef, PublicAccessBlock, RoleInfo,
};
use async_trait::async_trait;
use baseline_core::aws::ApiError;
use baseline_core::AwsContext;
use std::collections::BTreeMap;

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

#[async_trait]
impl LoggingApi for SdkLoggingApi {
    async fn bucket_exists(&self, bucket: &str) -> Result<bool, ApiError> {
        s3::bucket_exists(&self.s3, bucket).await
    }

    async fn bucket_encryption(&self, bucket: &str) -> Result<Option<BucketEncryption>, ApiError> {
        s3::bucket_encryption(&self.s3, bucket).await
    }

    async fn bucket_versioning(&self, bucket: &str) -> Result<Option<String>, ApiError> {
        s3::bucket_versioning(&self.s3, bucket).await
    }

    async fn public_access_block(
        &self,
        bucket: &str,
    ) -> Result<Option<PublicAccessBlock>, ApiError> {
        s3::public_access_block(&self.s3, bucket).await
    }

    async fn object_ownership(&self, bucket: &str) -> Result<Option<String>, ApiError> {
        s3::object_ownership(&self.s3, bucket).await
    }

    async fn lifecycle_rules(&self, bucket: &str) -> Result<Vec<LifecycleRule>, ApiError> {
        s3_rules::lifecycle_rules(&self.s3, bucket).await
    }

    async fn bucket_policy(&self, bucket: &str) -> Result<Option<String>, ApiError> {
        s3::bucket_policy(&self.s3, bucket).await
    }

    async fn bucket_tags(&self, bucket: &str) -> Result<BTreeMap<String, String>, ApiError> {
        s3::bucket_tags(&self.s3, bucket).await
    }

    async fn create_bucket(
        &self,
        bucket: &str,
        region: &str,
        object_lock: bool,
    ) -> Result<(), ApiError> {
        s3::create_bucket(&self.s3, bucket, region, object_lock).await
    }

    async fn object_lock(&self, bucket: &str) -> Result<Option<ObjectLockConfig>, ApiError> {
        s3::object_lock(&self.s3, bucket).await
    }

    async fn put_object_lock(&self, bucket: &str, mode: &str, days: i32) -> Result<(), ApiError> {
        s3::put_object_lock(&self.s3, bucket, mode, days).await
    }

    async fn bucket_logging(&self, bucket: &str) -> Result<Option<AccessLogTarget>, ApiError> {
        s3::bucket_logging(&self.s3, bucket).await
    }

    async fn bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<Option<bool>, ApiError> {
        s3::bucket_metrics_configuration(&self.s3, bucket, id).await
    }

    async fn put_bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<(), ApiError> {
        s3::put_bucket_metrics_configuration(&self.s3, bucket, id).await
    }

    async fn delete_bucket_metrics_configuration(
        &self,
        bucket: &str,
        id: &str,
    ) -> Result<(), ApiError> {
        s3::delete_bucket_metrics_configuration(&self.s3, bucket, id).await
    }

    async fn bucket_replication(
        &self,
        bucket: &str,
    ) -> Result<Option<BucketReplication>, ApiError> {
        s3_rules::bucket_replication(&self.s3, bucket).await
    }

    async fn put_bucket_replication(
        &self,
        bucket: &str,
        config: &BucketReplication,
    ) -> Result<(), ApiError> {
        s3_rules::put_bucket_replication(&self.s3, bucket, config).await
    }

    async fn delete_bucket_replication(&self, bucket: &str) -> Result<(), ApiError> {
        s3_rules::delete_bucket_replication(&self.s3, bucket).await
    }

    async fn put_bucket_logging(
        &self,
        bucket: &str,
        target: &AccessLogTarget,
    ) -> Result<(), ApiError> {
        s3::put_bucket_logging(&self.s3, bucket, target).await
    }

    async fn put_bucket_encryption_s3(&self, bucket: &str) -> Result<(), ApiError> {
        s3::put_bucket_encryption(&self.s3, bucket, None).await
    }

    async fn bucket_eventbridge(&self, bucket: &str) -> Result<bool, ApiError> {
        s3::bucket_eventbridge(&self.s3, bucket).await
    }

    async fn enable_bucket_eventbridge(&self, bucket: &str) -> Result<(), ApiError> {
        s3::enable_bucket_eventbridge(&self.s3, bucket).await
    }

    async fn object_retention(
        &self,
        bucket: &str,
        version: &ObjectVersionRef,
    ) -> Result<Option<ObjectRetention>, ApiError> {
        s3_objects::object_retention(&self.s3, bucket, version).await
    }

    async fn put_bucket_encryption(&self, bucket: &str, kms_key_arn: &str) -> Result<(), ApiError> {
        s3::put_bucket_encryption(&self.s3, bucket, Some(kms_key_arn)).await
    }

    async fn enable_versioning(&self, bucket: &str) -> Result<(), ApiError> {
        s3::enable_versioning(&self.s3, bucket).await
    }

    async fn block_public_access(&self, bucket: &str) -> Result<(), ApiError> {
        s3::block_public_access(&self.s3, bucket).await
    }

    async fn enforce_bucket_owner(&self, bucket: &str) -> Result<(), ApiError> {
        s3::enforce_bucket_owner(&self.s3, bucket).await
    }

    async fn put_lifecycle_rules(
        &self,
        bucket: &str,
        rules: &[LifecycleRule],
    ) -> Result<(), ApiError> {
        s3_rules::put_lifecycle_rules(&self.s3, bucket, rules).await
    }

    async fn delete_lifecycle(&self, bucket: &str) -> Result<(), ApiError> {
        s3_rules::delete_lifecycle(&self.s3, bucket).await
    }

    async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<(), ApiError> {
        s3::put_bucket_policy(&self.s3, bucket, policy).await
    }

    async fn put_bucket_tags(
        &self,
        bucket: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        s3::put_bucket_tags(&self.s3, bucket, tags).await
    }

    async fn list_object_versions(&self, bucket: &str) -> Result<Vec<ObjectVersionRef>, ApiError> {
        s3_objects::list_object_versions(&self.s3, bucket).await
    }

    async fn delete_object_versions(
        &self,
        bucket: &str,
        versions: &[ObjectVersionRef],
    ) -> Result<Vec<String>, ApiError> {
        s3_objects::delete_object_versions(&self.s3, bucket, versions).await
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<(), ApiError> {
        s3::delete_bucket(&self.s3, bucket).await
    }

    async fn describe_log_group(&self, name: &str) -> Result<Option<LogGroupInfo>, ApiError> {
        logs::describe_log_group(&self.logs, name).await
    }

    async fn log_group_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        logs::log_group_tags(&self.logs, arn).await
    }

    async fn create_log_group(
        &self,
        name: &str,
        kms_key_arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        logs::create_log_group(&self.logs, name, kms_key_arn, tags).await
    }

    async fn associate_kms_key(&self, name: &str, kms_key_arn: &str) -> Result<(), ApiError> {
        logs::associate_kms_key(&self.logs, name, kms_key_arn).await
    }

    async fn put_retention(&self, name: &str, days: i32) -> Result<(), ApiError> {
        logs::put_retention(&self.logs, name, days).await
    }

    async fn tag_log_group(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        logs::tag_log_group(&self.logs, arn, tags).await
    }

    async fn untag_log_group(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        logs::untag_log_group(&self.logs, arn, keys).await
    }

    async fn delete_log_group(&self, name: &str) -> Result<(), ApiError> {
        logs::delete_log_group(&self.logs, name).await
    }

    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, ApiError> {
        iam::get_role(&self.iam, name).await
    }

    async fn role_tags(&self, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
        iam::role_tags(&self.iam, name).await
    }

    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, ApiError> {
        iam::role_policy_names(&self.iam, role).await
    }

    async fn role_policy(&self, role: &str, policy_name: &str) -> Result<Option<String>, ApiError> {
        iam::role_policy(&self.iam, role, policy_name).await
    }

    async fn attached_role_policies(&self, role: &str) -> Result<Vec<String>, ApiError> {
        iam::attached_role_policies(&self.iam, role).await
    }

    async fn policy_exists(&self, arn: &str) -> Result<bool, ApiError> {
        iam::policy_exists(&self.iam, arn).await
    }

    async fn create_role(&self, role: &NewRole) -> Result<String, ApiError> {
        iam::create_role(&self.iam, role).await
    }

    async fn update_trust_policy(&self, role: &str, policy: &str) -> Result<(), ApiError> {
        iam::update_trust_policy(&self.iam, role, policy).await
    }

    async fn put_role_boundary(&self, role: &str, boundary_arn: &str) -> Result<(), ApiError> {
        iam::put_role_boundary(&self.iam, role, boundary_arn).await
    }

    async fn delete_role_boundary(&self, role: &str) -> Result<(), ApiError> {
        iam::delete_role_boundary(&self.iam, role).await
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        policy: &str,
    ) -> Result<(), ApiError> {
        iam::put_role_policy(&self.iam, role, policy_name, policy).await
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), ApiError> {
        iam::delete_role_policy(&self.iam, role, policy_name).await
    }

    async fn detach_role_policy(&self, role: &str, policy_arn: &str) -> Result<(), ApiError> {
        iam::detach_role_policy(&self.iam, role, policy_arn).await
    }

    async fn tag_role(&self, role: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        iam::tag_role(&self.iam, role, tags).await
    }

    async fn untag_role(&self, role: &str, keys: &[String]) -> Result<(), ApiError> {
        iam::untag_role(&self.iam, role, keys).await
    }

    async fn delete_role(&self, role: &str) -> Result<(), ApiError> {
        iam::delete_role(&self.iam, role).await
    }

    async fn invocation_logging(&self) -> Result<Option<InvocationLoggingConfig>, ApiError> {
        bedrock::invocation_logging(&self.bedrock).await
    }

    async fn put_invocation_logging(
        &self,
        config: &InvocationLoggingConfig,
    ) -> Result<(), ApiError> {
        bedrock::put_invocation_logging(&self.bedrock, config).await
    }

    async fn delete_invocation_logging(&self) -> Result<(), ApiError> {
        bedrock::delete_invocation_logging(&self.bedrock).await
    }

    async fn stack_endpoint_interfaces(
        &self,
        stack: &str,
    ) -> Result<Vec<EndpointInterfaces>, ApiError> {
        ec2::stack_endpoint_interfaces(self.ec2.as_ref(), stack).await
    }

    async fn stack_flow_logs(&self, stack: &str) -> Result<Vec<FlowLogInfo>, ApiError> {
        ec2::stack_flow_logs(self.ec2.as_ref(), stack).await
    }

    async fn create_flow_log(&self, request: &NewFlowLog) -> Result<Option<String>, ApiError> {
        ec2::create_flow_log(self.ec2.as_ref(), request).await
    }

    async fn delete_flow_logs(&self, ids: &[String]) -> Result<(), ApiError> {
        ec2::delete_flow_logs(self.ec2.as_ref(), ids).await
    }
}

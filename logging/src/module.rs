//! The reconcile steps of the logging module: spec, observe, diff, apply and destroy over the
//! bucket, log group, role and invocation logging configuration.
//!
//! Everything is found by deterministic name (bucket, log group, role) or is a singleton
//! (invocation logging), so a re-run after any failure finds what an earlier run created.
//! Apply converges the bucket, the log group and the role concurrently (their ARNs are known
//! from their names), then the invocation logging configuration, which needs all three.

use crate::api::{
    AccessLogTarget, BucketEncryption, InvocationLoggingConfig, LifecycleRule, LogGroupInfo,
    LoggingApi, ObjectLockConfig, PublicAccessBlock, RoleInfo, SdkLoggingApi,
};
use crate::bucket::{self, BucketSpec, ObjectLockSpec};
use crate::flow_logs::{self, FlowLogsSpec, ObservedFlowLogs, FLOW_LOG_GROUP};
use crate::invocation::{self, Destinations};
use crate::log_group::{self, LogGroupSpec};
use crate::replication::{
    self, ObservedReplication, ReplicationGrant, ReplicationSource, ReplicationSpec,
};
use crate::request_metrics::{self, RequestMetricsSpec};
use crate::role::{self, RoleSpec, INLINE_POLICY};
use crate::LoggingError;
use async_trait::async_trait;
use baseline_core::config::ConfigIssue;
use baseline_core::ids::KmsKeyArn;
use baseline_core::naming::STACK_TAG;
use baseline_core::reconcile::{FromUpstream, PreconditionFailed, Upstream};
use baseline_core::{
    Action, AwsContext, Change, Config, DestroyOptions, Module, Progress, ProgressEvent,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

pub(crate) const BUCKET: &str = "logging.bucket";
pub(crate) const BUCKET_POLICY: &str = "logging.bucket_policy";
pub(crate) const ACCESS_LOG_BUCKET: &str = "logging.access_log_bucket";
pub(crate) const ACCESS_LOG_BUCKET_POLICY: &str = "logging.access_log_bucket_policy";
pub(crate) const LOG_GROUP: &str = "logging.log_group";
pub(crate) const ROLE: &str = "logging.role";
pub(crate) const ROLE_POLICY: &str = "logging.role_policy";
pub(crate) const INVOCATION_LOGGING: &str = "logging.invocation_logging";
pub(crate) const BUCKET_REPLICATION: &str = "logging.bucket_replication";
pub(crate) const ACCESS_LOG_BUCKET_REPLICATION: &str = "logging.access_log_bucket_replication";

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

const KEPT_AUDIT_DATA: &str = "kept: audit data (pass --delete-audit-data to delete)";

/// Upstream values the module needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingInputs {
    /// The stack's KMS key (`encryption.kms_key_arn`); `None` while it is still to be created.
    pub kms_key_arn: Option<KmsKeyArn>,
    /// The stack's VPC endpoints by service (`network.endpoint_ids`), whose network interfaces
    /// get flow logs; `None` while network has no outputs.
    #[serde(default)]
    pub endpoint_ids: Option<BTreeMap<String, String>>,
}

impl FromUpstream for LoggingInputs {
    fn from_upstream(upstream: &Upstream) -> Result<Self, serde_json::Error> {
        Ok(Self {
            kms_key_arn: upstream.field("encryption", "kms_key_arn")?,
            endpoint_ids: upstream.field("network", "endpoint_ids")?,
        })
    }
}

/// Desired state of every resource of the module.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggingSpec {
    pub(crate) stack: String,
    pub(crate) kms_key_arn: Option<KmsKeyArn>,
    pub(crate) bucket: BucketSpec,
    /// Receives the log bucket's server access logs (`enabled` false: not managed).
    pub(crate) access_log_bucket: BucketSpec,
    pub(crate) log_group: LogGroupSpec,
    pub(crate) role: RoleSpec,
    pub(crate) invocation_logging: Option<InvocationLoggingConfig>,
    /// The log bucket's request-metrics configuration.
    pub(crate) request_metrics: RequestMetricsSpec,
    /// VPC flow logs of the endpoint interfaces, their log group and role.
    pub(crate) flow_logs: FlowLogsSpec,
    /// Cross-region replication of both buckets and its role.
    pub(crate) replication: ReplicationSpec,
}

impl LoggingSpec {
    /// The log bucket's name.
    pub fn bucket_name(&self) -> &str {
        &self.bucket.name
    }

    /// The log group's name.
    pub fn log_group_name(&self) -> &str {
        &self.log_group.name
    }

    /// The logging role's name.
    pub fn role_name(&self) -> &str {
        &self.role.name
    }

    /// The invocation logging configuration apply puts (`None`: logging off).
    pub fn invocation_logging(&self) -> Option<&InvocationLoggingConfig> {
        self.invocation_logging.as_ref()
    }
}

/// What exists of the bucket.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservedBucket {
    /// Default encryption.
    pub encryption: Option<BucketEncryption>,
    /// Versioning status.
    pub versioning: Option<String>,
    /// Public-access block.
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object ownership setting.
    pub object_ownership: Option<String>,
    /// Lifecycle rules.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// Bucket policy text.
    pub policy: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// S3 Object Lock (`None`: not enabled).
    pub object_lock: Option<ObjectLockConfig>,
    /// Server access logging target (`None`: off).
    pub access_log: Option<AccessLogTarget>,
    /// Event delivery to EventBridge is on.
    pub eventbridge: bool,
}

/// What exists of the log group.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedLogGroup {
    /// DescribeLogGroups.
    pub info: LogGroupInfo,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// What exists of the role.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRole {
    /// GetRole.
    pub info: RoleInfo,
    /// Tags, without AWS-reserved `aws:` tags.
    pub tags: BTreeMap<String, String>,
    /// Names of every inline policy.
    pub inline_policy_names: Vec<String>,
    /// The `logging` inline policy's document, if it exists.
    pub inline_policy: Option<String>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
}

impl ObservedRole {
    /// Inline policies other than `logging` (someone else's additions).
    pub fn other_inline_policies(&self) -> Vec<String> {
        self.inline_policy_names
            .iter()
            .filter(|p| *p != INLINE_POLICY)
            .cloned()
            .collect()
    }
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoggingObserved {
    /// The log bucket, if it exists.
    pub bucket: Option<ObservedBucket>,
    /// The access-log bucket, if it exists.
    pub access_log_bucket: Option<ObservedBucket>,
    /// The log group, if it exists.
    pub log_group: Option<ObservedLogGroup>,
    /// The role, if it exists.
    pub role: Option<ObservedRole>,
    /// The region's invocation logging configuration (whoever set it).
    pub invocation_logging: Option<InvocationLoggingConfig>,
    /// The log bucket's request-metrics configuration: `Some(filtered)` when it exists.
    pub request_metrics: Option<bool>,
    /// The VPC flow logs, their log group and role.
    pub flow_logs: ObservedFlowLogs,
    /// Cross-region replication: its role and the buckets' configurations.
    pub replication: ObservedReplication,
}

/// What downstream modules and users get. A part that is turned off is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggingOutputs {
    /// Log bucket name.
    pub bucket_name: Option<String>,
    /// Log bucket ARN.
    pub bucket_arn: Option<String>,
    /// The access-log bucket's name (`s3_access_logging`); `check-access` reads its policy.
    #[serde(default)]
    pub access_log_bucket_name: Option<String>,
    /// Invocation log group name.
    pub log_group_name: Option<String>,
    /// Invocation log group ARN (without `:*`).
    pub log_group_arn: Option<String>,
    /// Logging service role name.
    pub role_name: Option<String>,
    /// Logging service role ARN.
    pub role_arn: Option<String>,
    /// True when Bedrock model invocation logging is configured by this stack.
    pub logging_enabled: bool,
    /// The VPC flow-log group (`enable_vpc_flow_logs`).
    #[serde(default)]
    pub flow_log_group_name: Option<String>,
    /// The flow-log delivery role's ARN.
    #[serde(default)]
    pub flow_logs_role_arn: Option<String>,
    /// The role S3 assumes to replicate the audit buckets (`s3_replication`).
    #[serde(default)]
    pub replication_role_arn: Option<String>,
}

/// The logging module.
pub struct LoggingModule<A = SdkLoggingApi> {
    api: A,
    ctx: AwsContext,
    /// Delays between retries of PutModelInvocationLoggingConfiguration while a new role
    /// propagates.
    propagation_retry: Vec<Duration>,
}

impl LoggingModule<SdkLoggingApi> {
    /// The module over the SDK clients built from `ctx`.
    pub fn new(ctx: &AwsContext) -> Self {
        Self::with_api(SdkLoggingApi::new(ctx), ctx)
    }
}

impl<A: LoggingApi> LoggingModule<A> {
    /// The module over any [`LoggingApi`] (mocks, clients with test interceptors).
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        // About 45 s in all: IAM usually propagates a new role within ten.
        let propagation_retry = [2, 3, 5, 5, 10, 10, 10]
            .into_iter()
            .map(Duration::from_secs)
            .collect();
        Self {
            api,
            ctx: ctx.clone(),
            propagation_retry,
        }
    }

    /// Replaces the delays between retries of the invocation logging Put while a new role
    /// propagates (tests use none).
    pub fn with_propagation_retry(mut self, delays: Vec<Duration>) -> Self {
        self.propagation_retry = delays;
        self
    }

    fn check_owner(
        &self,
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

    async fn observe_bucket(
        &self,
        b: &BucketSpec,
        stack: &str,
    ) -> Result<Option<ObservedBucket>, LoggingError> {
        let name = b.name.as_str();
        let exists = match self.api.bucket_exists(name).await {
            Ok(exists) => exists,
            Err(e) if e.kind == baseline_core::aws::ServiceErrorKind::AccessDenied && b.enabled => {
                return Err(LoggingError::Precondition(PreconditionFailed {
                    issues: vec![ConfigIssue {
                        path: "enable_s3_logging".into(),
                        message: format!("the log bucket name {name} is taken by another account, or this account may not read it ({})", e.detail),
                        hint: Some("bucket names are global: change `project` or `environment`, or grant s3:ListBucket on it".into()),
                    }],
                }));
            }
            Err(e) => return Err(e.into()),
        };
        if !exists {
            return Ok(None);
        }
        let api = &self.api;
        let (
            encryption,
            versioning,
            public_access_block,
            object_ownership,
            lifecycle_rules,
            policy,
            tags,
            object_lock,
            access_log,
            eventbridge,
        ) = futures::try_join!(
            api.bucket_encryption(name),
            api.bucket_versioning(name),
            api.public_access_block(name),
            api.object_ownership(name),
            api.lifecycle_rules(name),
            api.bucket_policy(name),
            api.bucket_tags(name),
            api.object_lock(name),
            api.bucket_logging(name),
            api.bucket_eventbridge(name),
        )?;
        self.check_owner("s3 bucket", name, &tags, stack)?;
        Ok(Some(ObservedBucket {
            encryption,
            versioning,
            public_access_block,
            object_ownership,
            lifecycle_rules,
            policy,
            tags,
            object_lock,
            access_log,
            eventbridge,
        }))
    }

    pub(crate) async fn observe_log_group(
        &self,
        group: &LogGroupSpec,
        stack: &str,
    ) -> Result<Option<ObservedLogGroup>, LoggingError> {
        let Some(info) = self.api.describe_log_group(&group.name).await? else {
            return Ok(None);
        };
        let arn = if info.arn.is_empty() {
            group.arn.clone()
        } else {
            info.arn.clone()
        };
        let mut tags = match self.api.log_group_tags(&arn).await {
            Err(e) if e.is_not_found() => return Ok(None),
            other => other?,
        };
        tags.retain(|k, _| !k.starts_with("aws:"));
        self.check_owner("log group", &info.name, &tags, stack)?;
        Ok(Some(ObservedLogGroup { info, tags }))
    }

    pub(crate) async fn observe_role(
        &self,
        role: &RoleSpec,
        stack: &str,
    ) -> Result<Option<ObservedRole>, LoggingError> {
        let name = role.name.as_str();
        let Some(info) = self.api.get_role(name).await? else {
            return Ok(None);
        };
        let api = &self.api;
        let (mut tags, inline_policy_names, inline_policy, attached_policies) = futures::try_join!(
            api.role_tags(name),
            api.role_policy_names(name),
            api.role_policy(name, INLINE_POLICY),
            api.attached_role_policies(name),
        )?;
        tags.retain(|k, _| !k.starts_with("aws:"));
        self.check_owner("iam role", name, &tags, stack)?;
        Ok(Some(ObservedRole {
            info,
            tags,
            inline_policy_names,
            inline_policy,
            attached_policies,
        }))
    }

    /// The boundary policy must exist before a role can carry it; checked only when apply would
    /// set it.
    async fn check_boundary(
        &self,
        spec: &LoggingSpec,
        role: Option<&ObservedRole>,
    ) -> Result<(), LoggingError> {
        let Some(boundary) = spec
            .role
            .permissions_boundary_arn
            .as_deref()
            .filter(|_| spec.role.enabled)
        else {
            return Ok(());
        };
        if role.is_some_and(|r| r.info.permissions_boundary_arn.as_deref() == Some(boundary)) {
            return Ok(());
        }
        if self.api.policy_exists(boundary).await? {
            return Ok(());
        }
        Err(LoggingError::Precondition(PreconditionFailed {
            issues: vec![ConfigIssue {
                path: "permissions_boundary_arn".into(),
                message: format!(
                    "the permissions boundary policy {boundary} does not exist in this account"
                ),
                hint: Some(
                    "create the managed policy first, or unset permissions_boundary_arn".into(),
                ),
            }],
        }))
    }

    fn outputs(
        &self,
        spec: &LoggingSpec,
        role_arn: Option<String>,
        logging_enabled: bool,
    ) -> LoggingOutputs {
        let b = spec.bucket.enabled;
        let g = spec.log_group.enabled;
        LoggingOutputs {
            bucket_name: b.then(|| spec.bucket.name.clone()),
            bucket_arn: b.then(|| spec.bucket.arn.clone()),
            access_log_bucket_name: (b && spec.access_log_bucket.enabled)
                .then(|| spec.access_log_bucket.name.clone()),
            log_group_name: g.then(|| spec.log_group.name.clone()),
            log_group_arn: g.then(|| spec.log_group.arn.clone()),
            role_name: spec.role.enabled.then(|| spec.role.name.clone()),
            role_arn: spec
                .role
                .enabled
                .then(|| role_arn.unwrap_or_else(|| spec.role.arn.clone())),
            logging_enabled,
            flow_log_group_name: spec
                .flow_logs
                .enabled
                .then(|| spec.flow_logs.log_group.name.clone()),
            flow_logs_role_arn: spec
                .flow_logs
                .enabled
                .then(|| spec.flow_logs.role.arn.clone()),
            replication_role_arn: spec
                .replication
                .enabled
                .then(|| spec.replication.role.arn.clone()),
        }
    }

    /// The flow logs, their log group and role. EC2 is asked only when flow logs are on or
    /// their role still exists (left from when they were on), so stacks without them make no
    /// EC2 call.
    async fn observe_flow_logs(
        &self,
        spec: &FlowLogsSpec,
    ) -> Result<ObservedFlowLogs, LoggingError> {
        let (log_group, role) = futures::try_join!(
            self.observe_log_group(&spec.log_group, &spec.stack),
            self.observe_role(&spec.role, &spec.stack),
        )?;
        if !spec.enabled && role.is_none() {
            return Ok(ObservedFlowLogs {
                log_group,
                ..ObservedFlowLogs::default()
            });
        }
        let (endpoints, found) = futures::try_join!(
            self.api.stack_endpoint_interfaces(&spec.stack),
            self.api.stack_flow_logs(&spec.stack),
        )?;
        Ok(ObservedFlowLogs {
            log_group,
            role,
            interfaces: flow_logs::interfaces(&endpoints, spec.endpoint_ids.as_ref()),
            flow_logs: found,
        })
    }

    fn invocation_is_ours(&self, spec: &LoggingSpec, existing: &InvocationLoggingConfig) -> bool {
        invocation::is_ours(existing, &spec.log_group.name, &spec.bucket.name)
    }
}

fn bucket_changes(spec: &LoggingSpec, observed: &LoggingObserved) -> Vec<Change> {
    let key = spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str);
    let mut changes = one_bucket_changes(
        (ACCESS_LOG_BUCKET, ACCESS_LOG_BUCKET_POLICY),
        &spec.access_log_bucket,
        observed.access_log_bucket.as_ref(),
        key,
        "s3_access_logging is off: the access-log bucket is no longer managed and is kept (audit data)",
    );
    changes.extend(one_bucket_changes(
        (BUCKET, BUCKET_POLICY),
        &spec.bucket,
        observed.bucket.as_ref(),
        key,
        "enable_s3_logging is off: the bucket is no longer managed and is kept (audit data)",
    ));
    changes
}

/// The plan note on Object Lock of a bucket to create, or of an existing one without it.
fn object_lock_note(lock: &ObjectLockSpec, existing: bool) -> String {
    if existing {
        // S3 now also accepts PutObjectLockConfiguration on an existing versioned bucket
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html),
        // but it is irreversible and leaves every version written before it unlocked, so this
        // tool turns it on only when it creates the bucket.
        return format!(
            "S3 Object Lock is off on this existing bucket and is turned on only at creation: recreate the bucket (destroy --delete-audit-data, then apply) or turn it on by hand ({} {} days)",
            lock.mode, lock.days
        );
    }
    let mode = if lock.mode == "COMPLIANCE" {
        "COMPLIANCE: nobody, root included, can delete or overwrite a log version before its retention ends, and destroy refuses to delete the bucket until then"
    } else {
        "GOVERNANCE: only a principal with s3:BypassGovernanceRetention can delete a version early (destroy --delete-audit-data does, explicitly)"
    };
    format!(
        "S3 Object Lock is turned on at creation (it cannot be turned on later without recreating the bucket, nor ever off): each log version is retained {} days, {mode}",
        lock.days
    )
}

fn one_bucket_changes(
    (address, policy_address): (&str, &str),
    b: &BucketSpec,
    observed: Option<&ObservedBucket>,
    key: Option<&str>,
    off_note: &str,
) -> Vec<Change> {
    match (observed, b.enabled) {
        (None, true) => {
            let create = Change::create(address, "s3_bucket", &bucket::desired_view(b, key));
            vec![
                match &b.object_lock {
                    Some(lock) => create.with_note(object_lock_note(lock, false)),
                    None => create,
                },
                Change::create(
                    policy_address,
                    "s3_bucket_policy",
                    &bucket::desired_policy_view(b),
                ),
            ]
        }
        (Some(found), true) => {
            let before = found
                .policy
                .as_ref()
                .map(|text| bucket::observed_policy_view(&b.name, Some(text)));
            let policy = Change::converge(
                policy_address,
                "s3_bucket_policy",
                before.as_ref(),
                &bucket::desired_policy_view(b),
                &[],
            );
            let settings = Change::compare(
                address,
                "s3_bucket",
                &bucket::observed_view(b, found),
                &bucket::desired_view_for(b, found, key),
                &[],
            );
            let settings = match &b.object_lock {
                Some(lock) if bucket::lock_missing_on_existing(b, found) => {
                    settings.with_note(object_lock_note(lock, true))
                }
                _ => settings,
            };
            vec![settings, policy]
        }
        (Some(_), false) => vec![Change::noop(address, "s3_bucket").with_note(off_note)],
        (None, false) => Vec::new(),
    }
}

fn log_group_changes(spec: &LoggingSpec, observed: &LoggingObserved) -> Vec<Change> {
    let g = &spec.log_group;
    let key = spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str);
    match (&observed.log_group, g.enabled) {
        (None, true) => vec![Change::create(LOG_GROUP, "log_group", &log_group::desired_view(g, key))],
        (Some(found), true) => {
            vec![Change::compare(LOG_GROUP, "log_group", &log_group::observed_view(found), &log_group::desired_view(g, key), &[])]
        }
        (Some(_), false) => vec![Change::noop(LOG_GROUP, "log_group")
            .with_note("enable_cloudwatch_logging is off: the log group is no longer managed and is kept (audit data)")],
        (None, false) => Vec::new(),
    }
}

fn role_changes(spec: &LoggingSpec, observed: &LoggingObserved) -> Vec<Change> {
    role::changes(&spec.role, observed.role.as_ref(), (ROLE, ROLE_POLICY))
}

#[async_trait]
impl<A: LoggingApi> Module for LoggingModule<A> {
    type Inputs = LoggingInputs;
    type Spec = LoggingSpec;
    type Observed = LoggingObserved;
    type Outputs = LoggingOutputs;
    type Error = LoggingError;

    fn name(&self) -> &'static str {
        "logging"
    }

    fn spec(&self, config: &Config, inputs: &LoggingInputs) -> Result<LoggingSpec, LoggingError> {
        let ctx = &self.ctx;
        let naming = ctx.naming();
        let (p, acct, region) = (ctx.partition(), ctx.account_id(), ctx.region());
        let tags = naming.tags("logging");

        let bucket_name = naming.log_bucket(acct, region);
        let bucket_arn = format!("arn:{p}:s3:::{bucket_name}");
        let prefix_arn = format!("{bucket_arn}/{}*", config.s3_log_prefix);
        let access_log_name = baseline_core::naming::fit(
            &format!("{}-access-logs-{acct}-{region}", naming.stack()),
            63,
        );
        let access_logging = config.enable_s3_logging && config.s3_access_logging;
        let access_log_bucket = BucketSpec {
            policy: bucket::access_log_bucket_policy(p, acct, &access_log_name, &bucket_name),
            arn: format!("arn:{p}:s3:::{access_log_name}"),
            name: access_log_name,
            region: region.to_owned(),
            enabled: access_logging,
            lifecycle_rules: bucket::lifecycle_rules(&config.s3_lifecycle),
            tags: tags.clone(),
            sse_kms: false,
            object_lock: None,
            access_log: None,
            eventbridge: config.s3_event_notifications,
        };
        let lock = &config.s3_object_lock;
        let bucket = BucketSpec {
            policy: bucket::bucket_policy(p, acct, region, &bucket_name, &config.s3_log_prefix),
            access_log: access_logging.then(|| AccessLogTarget {
                bucket: access_log_bucket.name.clone(),
                prefix: format!("{bucket_name}/"),
            }),
            name: bucket_name,
            arn: bucket_arn,
            region: region.to_owned(),
            enabled: config.enable_s3_logging,
            lifecycle_rules: bucket::lifecycle_rules(&config.s3_lifecycle),
            tags: tags.clone(),
            sse_kms: true,
            eventbridge: config.s3_event_notifications,
            object_lock: lock.enabled.then(|| ObjectLockSpec {
                mode: lock.mode.as_str().to_owned(),
                days: i32::try_from(lock.days).unwrap_or(i32::MAX),
            }),
        };

        let log_group_name = naming.log_group("invocations");
        let log_group = LogGroupSpec {
            arn: ctx.arn("logs", &format!("log-group:{log_group_name}")),
            name: log_group_name,
            enabled: config.enable_cloudwatch_logging,
            retention_in_days: i32::try_from(config.log_retention_days).unwrap_or(i32::MAX),
            tags: tags.clone(),
        };

        let role_name = naming.name("bedrock-logging", 64);
        let role = RoleSpec {
            arn: ctx.iam_arn(&format!("role/{role_name}")),
            // Bedrock assumes the role only to write to CloudWatch Logs; S3 delivery goes through
            // the bucket policy.
            enabled: config.enable_model_invocation_logging && log_group.enabled,
            description: format!(
                "bedrock-baseline {}: lets Amazon Bedrock deliver model invocation logs",
                naming.stack()
            ),
            trust_policy: role::trust_policy(p, acct, region),
            policy: {
                let doc = role::role_policy(
                    &log_group.arn,
                    bucket.enabled.then_some(prefix_arn.as_str()),
                );
                match (&inputs.kms_key_arn, bucket.enabled) {
                    (Some(key), true) => role::with_large_data_key(doc, key.as_str(), region),
                    _ => doc,
                }
            },
            permissions_boundary_arn: config
                .permissions_boundary_arn
                .clone()
                .filter(|b| !b.is_empty()),
            tags: tags.clone(),
            name: role_name,
        };

        let invocation_logging = invocation::desired(
            config,
            &Destinations {
                log_group: log_group.enabled.then_some(log_group.name.as_str()),
                role_arn: &role.arn,
                bucket: bucket.enabled.then_some(bucket.name.as_str()),
            },
        );
        let request_metrics = RequestMetricsSpec {
            bucket: bucket.name.clone(),
            id: naming.request_metrics_id(),
            enabled: bucket.enabled && config.enable_s3_request_metrics,
        };
        let flow_log_group = naming.log_group("vpc-flow-logs");
        let flow_log_group_arn = ctx.arn("logs", &format!("log-group:{flow_log_group}"));
        let flow_role_name = naming.name("vpc-flow-logs", 64);
        let flow_logs = FlowLogsSpec {
            enabled: config.enable_vpc_flow_logs,
            log_group: LogGroupSpec {
                name: flow_log_group,
                arn: flow_log_group_arn.clone(),
                enabled: config.enable_vpc_flow_logs,
                retention_in_days: i32::try_from(config.vpc_flow_logs_retention_days)
                    .unwrap_or(i32::MAX),
                tags: tags.clone(),
            },
            role: RoleSpec {
                arn: ctx.iam_arn(&format!("role/{flow_role_name}")),
                name: flow_role_name,
                enabled: config.enable_vpc_flow_logs,
                description: format!(
                    "bedrock-baseline {}: lets VPC Flow Logs deliver to the stack's flow-log group",
                    naming.stack()
                ),
                trust_policy: flow_logs::flow_logs_trust_policy(p, acct, region),
                policy: flow_logs::flow_logs_role_policy(&flow_log_group_arn),
                permissions_boundary_arn: config
                    .permissions_boundary_arn
                    .clone()
                    .filter(|b| !b.is_empty()),
                tags: tags.clone(),
            },
            traffic_type: config.vpc_flow_logs_traffic_type.as_str().to_owned(),
            endpoint_ids: inputs
                .endpoint_ids
                .as_ref()
                .map(|m| m.values().cloned().collect()),
            tags: tags.clone(),
            stack: naming.stack().to_owned(),
        };
        let replication =
            replication_spec(ctx, config, inputs, (&bucket, &access_log_bucket), &tags)?;
        Ok(LoggingSpec {
            replication,
            flow_logs,
            stack: naming.stack().to_owned(),
            kms_key_arn: inputs.kms_key_arn.clone(),
            request_metrics,
            bucket,
            access_log_bucket,
            log_group,
            role,
            invocation_logging,
        })
    }

    async fn observe(&self, spec: &LoggingSpec) -> Result<LoggingObserved, LoggingError> {
        let (
            bucket,
            access_log_bucket,
            log_group,
            role,
            invocation_logging,
            flow_logs,
            replication_role,
        ) = futures::try_join!(
            self.observe_bucket(&spec.bucket, &spec.stack),
            self.observe_bucket(&spec.access_log_bucket, &spec.stack),
            self.observe_log_group(&spec.log_group, &spec.stack),
            self.observe_role(&spec.role, &spec.stack),
            async {
                self.api
                    .invocation_logging()
                    .await
                    .map_err(LoggingError::from)
            },
            self.observe_flow_logs(&spec.flow_logs),
            self.observe_role(&spec.replication.role, &spec.stack),
        )?;
        self.check_boundary(spec, role.as_ref()).await?;
        let buckets_exist = [bucket.is_some(), access_log_bucket.is_some()];
        let (request_metrics, replication) = futures::try_join!(
            request_metrics::observe(&self.api, &spec.request_metrics, bucket.is_some()),
            replication::observe(
                &self.api,
                &spec.replication,
                replication_role,
                &buckets_exist,
            ),
        )?;
        Ok(LoggingObserved {
            bucket,
            access_log_bucket,
            log_group,
            role,
            invocation_logging,
            request_metrics,
            flow_logs,
            replication,
        })
    }

    fn diff(&self, spec: &LoggingSpec, observed: &LoggingObserved) -> Vec<Change> {
        let mut changes = bucket_changes(spec, observed);
        changes.extend(request_metrics::diff(
            &spec.request_metrics,
            observed.request_metrics,
        ));
        changes.extend(replication::diff(&spec.replication, &observed.replication));
        changes.extend(log_group_changes(spec, observed));
        changes.extend(role_changes(spec, observed));
        changes.extend(flow_logs::diff(
            &spec.flow_logs,
            &observed.flow_logs,
            spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str),
        ));
        match (&spec.invocation_logging, &observed.invocation_logging) {
            (Some(want), None) => changes.push(
                Change::create(
                    INVOCATION_LOGGING,
                    "bedrock_invocation_logging",
                    &invocation::view(want),
                )
                .with_note("account-and-region-wide setting: one per region"),
            ),
            (Some(want), Some(have)) => {
                let change = Change::compare(
                    INVOCATION_LOGGING,
                    "bedrock_invocation_logging",
                    &invocation::view(have),
                    &invocation::view(want),
                    &[],
                );
                changes.push(if change.is_change() && !self.invocation_is_ours(spec, have) {
                    change.with_note(format!(
                        "account-and-region-wide setting: replaces the region's current configuration (to {})",
                        invocation::describe(have)
                    ))
                } else {
                    change
                });
            }
            (None, Some(have)) if self.invocation_is_ours(spec, have) => {
                changes.push(Change::delete(
                    INVOCATION_LOGGING,
                    "bedrock_invocation_logging",
                    &invocation::view(have),
                ));
            }
            (None, Some(have)) => changes.push(
                Change::noop(INVOCATION_LOGGING, "bedrock_invocation_logging").with_note(format!(
                    "the region's configuration (to {}) is not this stack's: left alone",
                    invocation::describe(have)
                )),
            ),
            (None, None) => {}
        }
        changes
    }

    fn planned_outputs(
        &self,
        spec: &LoggingSpec,
        observed: &LoggingObserved,
    ) -> Option<LoggingOutputs> {
        let missing = (spec.bucket.enabled && observed.bucket.is_none())
            || (spec.access_log_bucket.enabled && observed.access_log_bucket.is_none())
            || (spec.log_group.enabled && observed.log_group.is_none())
            || (spec.role.enabled && observed.role.is_none())
            || (spec.flow_logs.enabled
                && (observed.flow_logs.log_group.is_none() || observed.flow_logs.role.is_none()))
            || (spec.replication.enabled && observed.replication.role.is_none());
        if missing {
            return None;
        }
        let logging_enabled = spec.invocation_logging.is_some()
            && observed
                .invocation_logging
                .as_ref()
                .is_some_and(|have| self.invocation_is_ours(spec, have));
        Some(self.outputs(
            spec,
            observed.role.as_ref().map(|r| r.info.arn.clone()),
            logging_enabled,
        ))
    }

    async fn apply(
        &self,
        spec: &LoggingSpec,
        observed: &LoggingObserved,
        progress: &dyn Progress,
    ) -> Result<LoggingOutputs, LoggingError> {
        let changes = self.diff(spec, observed);
        let action_of = |address: &str| {
            changes
                .iter()
                .find(|c| c.address == address)
                .map(|c| c.action)
                .unwrap_or(Action::NoOp)
        };
        let needs_key = (spec.bucket.enabled && action_of(BUCKET) != Action::NoOp)
            || (spec.access_log_bucket.enabled && action_of(ACCESS_LOG_BUCKET) != Action::NoOp)
            || (spec.log_group.enabled && action_of(LOG_GROUP) != Action::NoOp);
        let key = spec.kms_key_arn.as_ref().map(|k| k.as_str().to_owned());
        if needs_key && key.is_none() {
            return Err(LoggingError::MissingKmsKey);
        }
        let key = key.unwrap_or_default();
        let api: &dyn LoggingApi = &self.api;

        let bucket_task = async {
            // The access-log bucket and its policy first: S3 checks that the target of
            // PutBucketLogging exists and admits the logging service.
            converge_bucket(
                api,
                &spec.access_log_bucket,
                observed.access_log_bucket.as_ref(),
                (ACCESS_LOG_BUCKET, ACCESS_LOG_BUCKET_POLICY),
                (
                    action_of(ACCESS_LOG_BUCKET),
                    action_of(ACCESS_LOG_BUCKET_POLICY),
                ),
                &key,
                progress,
            )
            .await?;
            converge_bucket(
                api,
                &spec.bucket,
                observed.bucket.as_ref(),
                (BUCKET, BUCKET_POLICY),
                (action_of(BUCKET), action_of(BUCKET_POLICY)),
                &key,
                progress,
            )
            .await?;
            // On the bucket, once it exists.
            request_metrics::apply(
                api,
                &spec.request_metrics,
                observed.request_metrics,
                progress,
            )
            .await?;
            replication::apply(api, &spec.replication, &observed.replication, progress).await
        };
        let log_group_task = async {
            let action = action_of(LOG_GROUP);
            if !spec.log_group.enabled || action == Action::NoOp {
                return Ok(());
            }
            progress.event(ProgressEvent::Started {
                address: LOG_GROUP.into(),
                action,
            });
            log_group::apply(
                api,
                &spec.log_group,
                observed.log_group.as_ref(),
                &key,
                LOG_GROUP,
                progress,
            )
            .await?;
            progress.event(ProgressEvent::Finished {
                address: LOG_GROUP.into(),
                action,
            });
            Ok::<_, LoggingError>(())
        };
        let role_task = role::converge(
            api,
            &spec.role,
            observed.role.as_ref(),
            (ROLE, ROLE_POLICY),
            progress,
        );
        let flow_logs_task = flow_logs::apply(
            api,
            &spec.flow_logs,
            &observed.flow_logs,
            spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str),
            progress,
        );
        let ((), (), role_fresh, ()) =
            futures::try_join!(bucket_task, log_group_task, role_task, flow_logs_task)?;

        let mut logging_enabled = false;
        match (&spec.invocation_logging, &observed.invocation_logging) {
            (Some(want), have) => {
                if have.as_ref() != Some(want) {
                    let action = if have.is_some() {
                        Action::Update
                    } else {
                        Action::Create
                    };
                    progress.event(ProgressEvent::Started {
                        address: INVOCATION_LOGGING.into(),
                        action,
                    });
                    let retry: &[Duration] = if role_fresh {
                        &self.propagation_retry
                    } else {
                        &[]
                    };
                    invocation::put(api, want, retry, INVOCATION_LOGGING, progress).await?;
                    progress.event(ProgressEvent::Exists {
                        address: INVOCATION_LOGGING.into(),
                        id: "account".into(),
                    });
                    progress.event(ProgressEvent::Finished {
                        address: INVOCATION_LOGGING.into(),
                        action,
                    });
                }
                logging_enabled = true;
            }
            (None, Some(have)) if self.invocation_is_ours(spec, have) => {
                progress.event(ProgressEvent::Started {
                    address: INVOCATION_LOGGING.into(),
                    action: Action::Delete,
                });
                api.delete_invocation_logging().await?;
                progress.event(ProgressEvent::Gone {
                    address: INVOCATION_LOGGING.into(),
                });
            }
            (None, _) => {}
        }

        // A role that is no longer needed goes after the configuration stopped using it.
        if let (false, Some(found)) = (spec.role.enabled, &observed.role) {
            role::remove(api, &spec.role.name, found, (ROLE, ROLE_POLICY), progress).await?;
        }
        Ok(self.outputs(
            spec,
            observed.role.as_ref().map(|r| r.info.arn.clone()),
            logging_enabled,
        ))
    }

    fn destroy_plan(
        &self,
        spec: &LoggingSpec,
        observed: &LoggingObserved,
        options: DestroyOptions,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        if let Some(have) = &observed.invocation_logging {
            changes.push(if self.invocation_is_ours(spec, have) {
                Change::delete(
                    INVOCATION_LOGGING,
                    "bedrock_invocation_logging",
                    &invocation::view(have),
                )
                .with_note("turns Bedrock model invocation logging off for the whole region")
            } else {
                Change::noop(INVOCATION_LOGGING, "bedrock_invocation_logging").with_note(format!(
                    "the region's configuration (to {}) is not this stack's: left alone",
                    invocation::describe(have)
                ))
            });
        }
        if let Some(filtered) = observed.request_metrics {
            changes.push(request_metrics::destroy_change(
                &spec.request_metrics,
                filtered,
            ));
        }
        changes.extend(replication::destroy_plan(
            &spec.replication,
            &observed.replication,
        ));
        if let Some(found) = &observed.role {
            changes.extend(role::deletes(&spec.role, found, (ROLE, ROLE_POLICY)));
        }
        changes.extend(flow_logs::destroy_plan(
            &spec.flow_logs,
            &observed.flow_logs,
        ));
        for (address, found) in [
            (LOG_GROUP, &observed.log_group),
            (FLOW_LOG_GROUP, &observed.flow_logs.log_group),
        ] {
            if let Some(found) = found {
                changes.push(if options.delete_audit_data {
                    Change::delete(address, "log_group", &log_group::observed_view(found))
                } else {
                    Change::noop(address, "log_group").with_note(KEPT_AUDIT_DATA)
                });
            }
        }
        changes.extend(bucket_destroy_plan(
            (BUCKET, BUCKET_POLICY),
            &spec.bucket,
            observed.bucket.as_ref(),
            options,
        ));
        changes.extend(bucket_destroy_plan(
            (ACCESS_LOG_BUCKET, ACCESS_LOG_BUCKET_POLICY),
            &spec.access_log_bucket,
            observed.access_log_bucket.as_ref(),
            options,
        ));
        changes
    }

    async fn destroy(
        &self,
        spec: &LoggingSpec,
        observed: &LoggingObserved,
        options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), LoggingError> {
        let api: &dyn LoggingApi = &self.api;
        // Stop delivery first, so nothing writes to what is deleted next.
        if observed
            .invocation_logging
            .as_ref()
            .is_some_and(|h| self.invocation_is_ours(spec, h))
        {
            progress.event(ProgressEvent::Started {
                address: INVOCATION_LOGGING.into(),
                action: Action::Delete,
            });
            match api.delete_invocation_logging().await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
            progress.event(ProgressEvent::Gone {
                address: INVOCATION_LOGGING.into(),
            });
        }
        // The metrics configuration goes even when the bucket stays (audit data).
        if observed.request_metrics.is_some() {
            request_metrics::delete(api, &spec.request_metrics, progress).await?;
        }
        // Replication stops even when the buckets stay; the destination keeps its replicas.
        replication::destroy(api, &spec.replication, &observed.replication, progress).await?;
        if let Some(found) = &observed.role {
            role::remove(api, &spec.role.name, found, (ROLE, ROLE_POLICY), progress).await?;
        }
        flow_logs::destroy(api, &spec.flow_logs, &observed.flow_logs, progress).await?;
        if !options.delete_audit_data {
            return Ok(());
        }
        // COMPLIANCE retention is checked before any audit data is deleted, so a refused
        // destroy leaves all of it (and, as encryption runs after logging, its key).
        for (b, found) in [
            (&spec.bucket, &observed.bucket),
            (&spec.access_log_bucket, &observed.access_log_bucket),
        ] {
            if found
                .as_ref()
                .is_some_and(|f| f.object_lock.as_ref().is_some_and(|l| l.enabled))
            {
                bucket::refuse_compliance_locked(api, &b.name).await?;
            }
        }
        for (address, name, found) in [
            (
                LOG_GROUP,
                &spec.log_group.name,
                observed.log_group.is_some(),
            ),
            (
                FLOW_LOG_GROUP,
                &spec.flow_logs.log_group.name,
                observed.flow_logs.log_group.is_some(),
            ),
        ] {
            if !found {
                continue;
            }
            progress.event(ProgressEvent::Started {
                address: address.into(),
                action: Action::Delete,
            });
            match api.delete_log_group(name).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
            progress.event(ProgressEvent::Gone {
                address: address.into(),
            });
        }
        // The log bucket before the access-log bucket it logs to.
        for (b, found, (address, policy_address)) in [
            (&spec.bucket, &observed.bucket, (BUCKET, BUCKET_POLICY)),
            (
                &spec.access_log_bucket,
                &observed.access_log_bucket,
                (ACCESS_LOG_BUCKET, ACCESS_LOG_BUCKET_POLICY),
            ),
        ] {
            if found.is_none() {
                continue;
            }
            progress.event(ProgressEvent::Started {
                address: address.into(),
                action: Action::Delete,
            });
            bucket::empty_and_delete(api, &b.name).await?;
            progress.event(ProgressEvent::Gone {
                address: policy_address.into(),
            });
            progress.event(ProgressEvent::Gone {
                address: address.into(),
            });
        }
        Ok(())
    }
}

/// The replication role and the two buckets' configurations (`s3_replication`). The replica
/// key must be of another region than the stack (config validation says so when `region` is
/// set; here the region may come from the credential chain).
fn replication_spec(
    ctx: &AwsContext,
    config: &Config,
    inputs: &LoggingInputs,
    (bucket, access_log_bucket): (&BucketSpec, &BucketSpec),
    tags: &BTreeMap<String, String>,
) -> Result<ReplicationSpec, LoggingError> {
    let naming = ctx.naming();
    let r = &config.s3_replication;
    let enabled = r.enabled() && bucket.enabled;
    let destination = r.destination_bucket_arn.clone().unwrap_or_default();
    let replica_key = r.destination_kms_key_arn.as_deref();
    if let Some(key) = replica_key.filter(|_| enabled) {
        if key.split(':').nth(3) == Some(ctx.region()) {
            return Err(LoggingError::Precondition(PreconditionFailed {
                issues: vec![ConfigIssue {
                    path: "s3_replication.destination_kms_key_arn".into(),
                    message: format!("`{key}` is in {}, the stack's own region", ctx.region()),
                    hint: Some("cross-region replication: the key and the destination bucket are in another region".into()),
                }],
            }));
        }
    }
    let name = naming.name("s3-replication", 64);
    let arn = ctx.iam_arn(&format!("role/{name}"));
    let mut sources = vec![(bucket.name.as_str(), bucket.object_lock.is_some())];
    if access_log_bucket.enabled {
        sources.push((access_log_bucket.name.as_str(), false));
    }
    let policy = replication::replication_role_policy(&ReplicationGrant {
        partition: ctx.partition(),
        region: ctx.region(),
        sources: &sources,
        destination_bucket_arn: &destination,
        source_key_arn: inputs.kms_key_arn.as_ref().map(KmsKeyArn::as_str),
        destination_key_arn: replica_key,
    });
    let wanted = |on: bool, key: Option<&str>| {
        on.then(|| replication::desired_configuration(&arn, &destination, key))
    };
    Ok(ReplicationSpec {
        enabled,
        sources: vec![
            ReplicationSource {
                address: BUCKET_REPLICATION,
                bucket: bucket.name.clone(),
                wanted: wanted(enabled, replica_key),
            },
            ReplicationSource {
                address: ACCESS_LOG_BUCKET_REPLICATION,
                bucket: access_log_bucket.name.clone(),
                // SSE-S3: replicated without a KMS key.
                wanted: wanted(enabled && access_log_bucket.enabled, None),
            },
        ],
        role: RoleSpec {
            description: format!(
                "bedrock-baseline {}: lets Amazon S3 replicate the audit buckets to {destination}",
                naming.stack()
            ),
            trust_policy: replication::replication_trust_policy(ctx.account_id()),
            policy,
            permissions_boundary_arn: config
                .permissions_boundary_arn
                .clone()
                .filter(|b| !b.is_empty()),
            tags: tags.clone(),
            enabled,
            name,
            arn,
        },
    })
}

/// Converges one bucket's settings and policy, with its progress events.
async fn converge_bucket(
    api: &dyn LoggingApi,
    b: &BucketSpec,
    observed: Option<&ObservedBucket>,
    (address, policy_address): (&str, &str),
    (settings, policy): (Action, Action),
    key: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    if !b.enabled {
        return Ok(());
    }
    if settings != Action::NoOp {
        progress.event(ProgressEvent::Started {
            address: address.into(),
            action: settings,
        });
        bucket::apply_settings(api, b, observed, key, address, progress).await?;
        progress.event(ProgressEvent::Finished {
            address: address.into(),
            action: settings,
        });
    }
    if policy != Action::NoOp {
        progress.event(ProgressEvent::Started {
            address: policy_address.into(),
            action: policy,
        });
        api.put_bucket_policy(&b.name, &b.policy.to_json()).await?;
        progress.event(ProgressEvent::Exists {
            address: policy_address.into(),
            id: b.name.clone(),
        });
        progress.event(ProgressEvent::Finished {
            address: policy_address.into(),
            action: policy,
        });
    }
    Ok(())
}

/// What destroy does to one bucket: kept unless `--delete-audit-data`; then emptied (GOVERNANCE
/// retention bypassed explicitly) and deleted, or refused under COMPLIANCE retention.
fn bucket_destroy_plan(
    (address, policy_address): (&str, &str),
    b: &BucketSpec,
    found: Option<&ObservedBucket>,
    options: DestroyOptions,
) -> Vec<Change> {
    let Some(found) = found else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    if options.delete_audit_data {
        let lock = found.object_lock.as_ref().filter(|l| l.enabled);
        let note = match lock.and_then(|l| l.mode.as_deref()) {
            Some("COMPLIANCE") => format!(
                "COMPLIANCE-mode Object Lock ({} days after each write): destroy refuses while any version is still retained and names the date it ends",
                lock.and_then(|l| l.days).unwrap_or_default()
            ),
            Some(_) => "emptied first, bypassing GOVERNANCE-mode retention explicitly (x-amz-bypass-governance-retention; needs s3:BypassGovernanceRetention): every object version and delete marker".to_owned(),
            None => "emptied first: every object version and delete marker".to_owned(),
        };
        changes.push(
            Change::delete(address, "s3_bucket", &bucket::observed_view(b, found)).with_note(note),
        );
        if found.policy.is_some() {
            changes.push(Change::delete(
                policy_address,
                "s3_bucket_policy",
                &bucket::observed_policy_view(&b.name, found.policy.as_deref()),
            ));
        }
    } else {
        changes.push(Change::noop(address, "s3_bucket").with_note(KEPT_AUDIT_DATA));
        if found.policy.is_some() {
            changes.push(
                Change::noop(policy_address, "s3_bucket_policy").with_note("kept with the bucket"),
            );
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{MockLoggingApi, ObjectVersionRef};
    use baseline_core::aws::{ApiError, ServiceErrorKind};
    use baseline_core::progress::{NoProgress, RecordedProgress};
    use baseline_core::Naming;
    use serde_json::json;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";

    fn ctx() -> AwsContext {
        AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
    }

    fn config() -> Config {
        Config {
            environment: "prod".into(),
            permissions_boundary_arn: None,
            ..Config::default()
        }
    }

    fn module(api: MockLoggingApi) -> LoggingModule<MockLoggingApi> {
        LoggingModule::with_api(api, &ctx()).with_propagation_retry(Vec::new())
    }

    fn spec_with(m: &LoggingModule<MockLoggingApi>, config: &Config) -> LoggingSpec {
        m.spec(
            config,
            &LoggingInputs {
                kms_key_arn: Some(KmsKeyArn(KEY.into())),
                endpoint_ids: None,
            },
        )
        .unwrap()
    }

    /// Percent-encodes like IAM does.
    fn url_encode(text: &str) -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    /// Everything as specified, as AWS would return it (policies re-ordered and URL-encoded).
    fn observed_bucket(b: &BucketSpec) -> ObservedBucket {
        let mut policy = b.policy.clone();
        policy.statement.reverse();
        ObservedBucket {
            encryption: Some(if b.sse_kms {
                BucketEncryption {
                    sse_algorithm: "aws:kms".into(),
                    kms_master_key_id: Some(KEY.into()),
                    bucket_key_enabled: true,
                }
            } else {
                BucketEncryption {
                    sse_algorithm: "AES256".into(),
                    kms_master_key_id: None,
                    bucket_key_enabled: false,
                }
            }),
            versioning: Some("Enabled".into()),
            public_access_block: Some(PublicAccessBlock::ALL),
            object_ownership: Some("BucketOwnerEnforced".into()),
            lifecycle_rules: b.lifecycle_rules.clone(),
            policy: Some(policy.to_json()),
            tags: b.tags.clone(),
            object_lock: b.object_lock.as_ref().map(|l| ObjectLockConfig {
                enabled: true,
                mode: Some(l.mode.clone()),
                days: Some(l.days),
                years: None,
            }),
            access_log: b.access_log.clone(),
            eventbridge: b.eventbridge,
        }
    }

    fn converged(spec: &LoggingSpec) -> LoggingObserved {
        LoggingObserved {
            flow_logs: ObservedFlowLogs::default(),
            replication: ObservedReplication::default(),
            bucket: spec.bucket.enabled.then(|| observed_bucket(&spec.bucket)),
            access_log_bucket: spec
                .access_log_bucket
                .enabled
                .then(|| observed_bucket(&spec.access_log_bucket)),
            log_group: Some(ObservedLogGroup {
                info: LogGroupInfo {
                    name: spec.log_group.name.clone(),
                    arn: spec.log_group.arn.clone(),
                    kms_key_id: Some(KEY.into()),
                    retention_in_days: Some(spec.log_group.retention_in_days),
                },
                tags: spec.log_group.tags.clone(),
            }),
            role: Some(ObservedRole {
                info: RoleInfo {
                    name: spec.role.name.clone(),
                    arn: spec.role.arn.clone(),
                    trust_policy: url_encode(&spec.role.trust_policy.to_json()),
                    permissions_boundary_arn: spec.role.permissions_boundary_arn.clone(),
                },
                tags: spec.role.tags.clone(),
                inline_policy_names: vec![INLINE_POLICY.into()],
                inline_policy: Some(url_encode(&spec.role.policy.to_json())),
                attached_policies: Vec::new(),
            }),
            request_metrics: spec.request_metrics.enabled.then_some(false),
            invocation_logging: spec.invocation_logging.clone(),
        }
    }

    fn actions(changes: &[Change]) -> Vec<(&str, Action)> {
        changes
            .iter()
            .map(|c| (c.address.as_str(), c.action))
            .collect()
    }

    fn attrs<'a>(changes: &'a [Change], address: &str) -> Vec<&'a str> {
        changes
            .iter()
            .find(|c| c.address == address)
            .map(|c| c.attributes.iter().map(|a| a.name.as_str()).collect())
            .unwrap_or_default()
    }

    fn api_err(op: &'static str, kind: ServiceErrorKind) -> ApiError {
        ApiError::synthetic("test", op, "target", kind, "synthetic")
    }

    #[test]
    fn spec_names_every_resource_from_the_stack() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        assert_eq!(
            spec.bucket_name(),
            "demo-prod-bedrock-logs-123456789012-us-east-1"
        );
        assert_eq!(spec.log_group_name(), "/aws/bedrock/demo-prod/invocations");
        assert_eq!(spec.role_name(), "demo-prod-bedrock-logging");
        assert_eq!(
            spec.role.arn,
            "arn:aws:iam::123456789012:role/demo-prod-bedrock-logging"
        );
        assert_eq!(
            spec.log_group.arn,
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock/demo-prod/invocations"
        );
        assert_eq!(spec.bucket.tags["baseline:module"], "logging");
        let inv = spec.invocation_logging().unwrap();
        assert_eq!(inv.cloudwatch.as_ref().unwrap().role_arn, spec.role.arn);
        assert_eq!(inv.s3.as_ref().unwrap().bucket_name, spec.bucket.name);
    }

    #[tokio::test]
    async fn event_delivery_to_eventbridge_switched_off_by_hand_is_turned_on_again() {
        let mut api = MockLoggingApi::new();
        api.expect_enable_bucket_eventbridge()
            .withf(|b| b.contains("-access-logs-"))
            .times(1)
            .returning(|_| Ok(()));
        let m = module(api);
        let spec = spec_with(&m, &config());
        assert!(spec.bucket.eventbridge && spec.access_log_bucket.eventbridge);
        let mut observed = converged(&spec);
        observed.access_log_bucket.as_mut().unwrap().eventbridge = false;
        let changes = m.diff(&spec, &observed);
        let changed: Vec<_> = changes.iter().filter(|c| c.is_change()).collect();
        assert_eq!(changed.len(), 1, "{changed:#?}");
        assert_eq!(changed[0].address, ACCESS_LOG_BUCKET);
        assert!(changed[0].attributes[0]
            .name
            .starts_with("event_notifications"));
        m.apply(&spec, &observed, &NoProgress).await.unwrap();

        // Off in the config: the attribute is not managed, nothing is planned.
        let mut off = config();
        off.s3_event_notifications = false;
        let spec = spec_with(&m, &off);
        let mut observed = converged(&spec);
        observed.bucket.as_mut().unwrap().eventbridge = false;
        assert!(m.diff(&spec, &observed).iter().all(|c| !c.is_change()));
    }

    #[test]
    fn s3_off_drops_the_bucket_and_its_grants_everywhere() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(
            &m,
            &Config {
                enable_s3_logging: false,
                ..config()
            },
        );
        assert!(!spec.bucket.enabled);
        assert!(spec
            .role
            .policy
            .statement("WriteLargeDataToLogBucket")
            .is_none());
        let inv = spec.invocation_logging().unwrap();
        assert!(
            inv.s3.is_none()
                && inv
                    .cloudwatch
                    .as_ref()
                    .unwrap()
                    .large_data_delivery_s3
                    .is_none()
        );
        let changes = m.diff(&spec, &LoggingObserved::default());
        assert!(!changes
            .iter()
            .any(|c| c.address.starts_with("logging.bucket")));
        let out = m.planned_outputs(&spec, &converged(&spec)).unwrap();
        assert_eq!(out.bucket_name, None);
        assert!(out.log_group_name.is_some());
    }

    #[test]
    fn cloudwatch_off_needs_no_role() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(
            &m,
            &Config {
                enable_cloudwatch_logging: false,
                ..config()
            },
        );
        assert!(!spec.role.enabled);
        assert!(spec.invocation_logging().unwrap().cloudwatch.is_none());
    }

    #[test]
    fn empty_account_plans_every_create_and_unknown_key_shows_known_after_apply() {
        let m = module(MockLoggingApi::new());
        let spec = m.spec(&config(), &LoggingInputs::default()).unwrap();
        let changes = m.diff(&spec, &LoggingObserved::default());
        assert_eq!(
            actions(&changes),
            vec![
                (ACCESS_LOG_BUCKET, Action::Create),
                (ACCESS_LOG_BUCKET_POLICY, Action::Create),
                (BUCKET, Action::Create),
                (BUCKET_POLICY, Action::Create),
                (request_metrics::ADDRESS, Action::Create),
                (LOG_GROUP, Action::Create),
                (ROLE, Action::Create),
                (ROLE_POLICY, Action::Create),
                (INVOCATION_LOGGING, Action::Create),
            ]
        );
        let lg = changes.iter().find(|c| c.address == LOG_GROUP).unwrap();
        let key = lg
            .attributes
            .iter()
            .find(|a| a.name == "kms_key_id")
            .unwrap();
        assert_eq!(key.after, Some(json!(KNOWN_AFTER_APPLY)));
        assert!(m
            .planned_outputs(&spec, &LoggingObserved::default())
            .is_none());
    }

    #[test]
    fn converged_stack_is_all_no_ops_though_aws_reorders_and_encodes_policies() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        let changes = m.diff(&spec, &converged(&spec));
        assert!(changes.iter().all(|c| !c.is_change()), "{changes:#?}");
        let out = m.planned_outputs(&spec, &converged(&spec)).unwrap();
        assert!(out.logging_enabled);
        assert_eq!(out.role_arn.as_deref(), Some(spec.role.arn.as_str()));
    }

    #[test]
    fn deleted_public_access_block_and_changed_retention_are_updates_of_those_attributes() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        observed.bucket.as_mut().unwrap().public_access_block = None;
        observed.log_group.as_mut().unwrap().info.retention_in_days = Some(7);
        let changes = m.diff(&spec, &observed);
        let changed: Vec<_> = changes
            .iter()
            .filter(|c| c.is_change())
            .map(|c| (c.address.as_str(), c.action))
            .collect();
        assert_eq!(
            changed,
            vec![(BUCKET, Action::Update), (LOG_GROUP, Action::Update)]
        );
        assert_eq!(attrs(&changes, BUCKET), vec!["public_access_block"]);
        assert_eq!(attrs(&changes, LOG_GROUP), vec!["retention_in_days"]);
    }

    #[test]
    fn config_changes_are_in_place_updates() {
        let m = module(MockLoggingApi::new());
        let deployed = spec_with(&m, &config());
        let observed = converged(&deployed);
        let mut lifecycle = config().s3_lifecycle;
        lifecycle.expiration_days = 730;
        let changed = Config {
            log_retention_days: 365,
            s3_log_prefix: "audit/".into(),
            s3_lifecycle: lifecycle,
            ..config()
        };
        let spec = spec_with(&m, &changed);
        let changes = m.diff(&spec, &observed);
        let updated: Vec<_> = changes
            .iter()
            .filter(|c| c.is_change())
            .map(|c| (c.address.as_str(), c.action))
            .collect();
        assert_eq!(
            updated,
            vec![
                // Both buckets share the lifecycle.
                (ACCESS_LOG_BUCKET, Action::Update),
                (BUCKET, Action::Update),
                (BUCKET_POLICY, Action::Update),
                (LOG_GROUP, Action::Update),
                (ROLE_POLICY, Action::Update),
                (INVOCATION_LOGGING, Action::Update),
            ]
        );
        assert_eq!(attrs(&changes, BUCKET), vec!["lifecycle_rules"]);
        assert_eq!(attrs(&changes, LOG_GROUP), vec!["retention_in_days"]);
    }

    #[test]
    fn boundary_and_hand_added_grants_on_the_role_are_drift() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(
            &m,
            &Config {
                permissions_boundary_arn: Some("arn:aws:iam::123456789012:policy/B".into()),
                ..config()
            },
        );
        let mut observed = converged(&spec);
        let role = observed.role.as_mut().unwrap();
        role.info.permissions_boundary_arn = None;
        role.attached_policies = vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()];
        role.inline_policy_names.push("extra".into());
        let changes = m.diff(&spec, &observed);
        assert_eq!(
            attrs(&changes, ROLE),
            vec![
                "attached_managed_policies",
                "other_inline_policies",
                "permissions_boundary"
            ]
        );
    }

    #[test]
    fn a_trust_policy_without_conditions_is_drift() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        let mut loose = spec.role.trust_policy.clone();
        loose.statement[0].condition = None;
        observed.role.as_mut().unwrap().info.trust_policy = url_encode(&loose.to_json());
        let changes = m.diff(&spec, &observed);
        assert!(
            attrs(&changes, ROLE)
                .iter()
                .all(|a| a.starts_with("trust_policy")),
            "{:?}",
            attrs(&changes, ROLE)
        );
    }

    #[test]
    fn someone_elses_invocation_logging_is_replaced_with_a_note_and_never_deleted() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        let mut foreign = spec.invocation_logging.clone().unwrap();
        foreign.cloudwatch.as_mut().unwrap().log_group_name = "/other/group".into();
        foreign.s3.as_mut().unwrap().bucket_name = "other-bucket".into();
        observed.invocation_logging = Some(foreign);
        let changes = m.diff(&spec, &observed);
        let inv = changes
            .iter()
            .find(|c| c.address == INVOCATION_LOGGING)
            .unwrap();
        assert_eq!(inv.action, Action::Update);
        assert!(
            inv.note.as_deref().unwrap().contains("/other/group"),
            "{:?}",
            inv.note
        );
        let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
        let inv = plan
            .iter()
            .find(|c| c.address == INVOCATION_LOGGING)
            .unwrap();
        assert_eq!(inv.action, Action::NoOp);
    }

    #[test]
    fn destroy_keeps_audit_data_unless_asked() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        let observed = converged(&spec);
        let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
        assert_eq!(
            actions(&plan),
            vec![
                (INVOCATION_LOGGING, Action::Delete),
                (request_metrics::ADDRESS, Action::Delete),
                (ROLE, Action::Delete),
                (ROLE_POLICY, Action::Delete),
                (LOG_GROUP, Action::NoOp),
                (BUCKET, Action::NoOp),
                (BUCKET_POLICY, Action::NoOp),
                (ACCESS_LOG_BUCKET, Action::NoOp),
                (ACCESS_LOG_BUCKET_POLICY, Action::NoOp),
            ]
        );
        let kept = plan.iter().find(|c| c.address == BUCKET).unwrap();
        assert_eq!(kept.note.as_deref(), Some(KEPT_AUDIT_DATA));
        let all = m.destroy_plan(
            &spec,
            &observed,
            DestroyOptions {
                delete_audit_data: true,
            },
        );
        assert!(all.iter().all(|c| c.action == Action::Delete), "{all:#?}");
    }

    #[tokio::test]
    async fn drift_is_repaired_with_exactly_the_writes_it_needs() {
        let mut api = MockLoggingApi::new();
        api.expect_block_public_access()
            .times(1)
            .returning(|_| Ok(()));
        api.expect_put_retention()
            .times(1)
            .withf(|_, days| *days == 90)
            .returning(|_, _| Ok(()));
        let m = module(api);
        let spec = spec_with(
            &m,
            &Config {
                log_retention_days: 90,
                ..config()
            },
        );
        let mut observed = converged(&spec);
        observed.bucket.as_mut().unwrap().public_access_block = None;
        observed.log_group.as_mut().unwrap().info.retention_in_days = Some(7);
        let out = m.apply(&spec, &observed, &NoProgress).await.unwrap();
        assert!(out.logging_enabled);
    }

    #[tokio::test]
    async fn a_log_group_on_another_key_is_put_back_with_associate_kms_key() {
        let mut api = MockLoggingApi::new();
        api.expect_associate_kms_key()
            .times(1)
            .withf(|_, key| key == KEY)
            .returning(|_, _| Ok(()));
        let m = module(api);
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        observed.log_group.as_mut().unwrap().info.kms_key_id =
            Some("arn:aws:kms:us-east-1:123456789012:key/other".into());
        assert_eq!(
            attrs(&m.diff(&spec, &observed), LOG_GROUP),
            vec!["kms_key_id"]
        );
        m.apply(&spec, &observed, &NoProgress).await.unwrap();
    }

    #[tokio::test]
    async fn converged_stack_applies_with_no_call_at_all() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        m.apply(&spec, &converged(&spec), &NoProgress)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn apply_without_the_key_refuses_before_any_write() {
        let m = module(MockLoggingApi::new());
        let spec = m.spec(&config(), &LoggingInputs::default()).unwrap();
        let err = m
            .apply(&spec, &LoggingObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(err, LoggingError::MissingKmsKey));
    }

    #[tokio::test]
    async fn access_denied_on_bucket_creation_is_reported_with_its_operation() {
        let mut api = MockLoggingApi::new();
        api.expect_create_bucket().returning(|b, _, _| {
            Err(ApiError::synthetic(
                "s3",
                "CreateBucket",
                b,
                ServiceErrorKind::AccessDenied,
                "AccessDenied: no",
            ))
        });
        // The other resources go ahead concurrently; let them succeed.
        api.expect_create_log_group().returning(|_, _, _| Ok(()));
        api.expect_put_retention().returning(|_, _| Ok(()));
        api.expect_create_role()
            .returning(|r| Ok(format!("arn:aws:iam::123456789012:role/{}", r.name)));
        api.expect_put_role_policy().returning(|_, _, _| Ok(()));
        let m = module(api);
        let spec = spec_with(&m, &config());
        let err = m
            .apply(&spec, &LoggingObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(&err, LoggingError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
        assert!(err.to_string().contains("s3:CreateBucket"), "{err}");
    }

    #[tokio::test]
    async fn throttling_after_the_role_exists_keeps_it_recorded() {
        let mut api = MockLoggingApi::new();
        api.expect_create_role()
            .times(1)
            .returning(|r| Ok(format!("arn:aws:iam::123456789012:role/{}", r.name)));
        api.expect_put_role_policy()
            .returning(|_, _, _| Err(api_err("PutRolePolicy", ServiceErrorKind::Throttled)));
        let m = module(api);
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        observed.role = None;
        let progress = RecordedProgress::default();
        let err = m.apply(&spec, &observed, &progress).await.unwrap_err();
        assert!(matches!(&err, LoggingError::Api(e) if e.kind == ServiceErrorKind::Throttled));
        let events = progress.0.lock().unwrap();
        assert!(events
            .iter()
            .any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == ROLE)));
    }

    #[tokio::test]
    async fn log_group_deleted_between_observe_and_apply_fails_with_not_found() {
        let mut api = MockLoggingApi::new();
        api.expect_put_retention()
            .returning(|_, _| Err(api_err("PutRetentionPolicy", ServiceErrorKind::NotFound)));
        let m = module(api);
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        observed.log_group.as_mut().unwrap().info.retention_in_days = Some(1);
        let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        assert!(matches!(&err, LoggingError::Api(e) if e.is_not_found()));
    }

    #[tokio::test]
    async fn role_created_meanwhile_by_an_interrupted_run_is_converged_not_duplicated() {
        let mut api = MockLoggingApi::new();
        api.expect_create_role().times(1).returning(|r| {
            Err(ApiError::synthetic(
                "iam",
                "CreateRole",
                &r.name,
                ServiceErrorKind::AlreadyExists,
                "EntityAlreadyExists",
            ))
        });
        api.expect_update_trust_policy()
            .times(1)
            .returning(|_, _| Ok(()));
        api.expect_delete_role_boundary().times(1).returning(|_| {
            Err(api_err(
                "DeleteRolePermissionsBoundary",
                ServiceErrorKind::NotFound,
            ))
        });
        api.expect_tag_role().times(1).returning(|_, _| Ok(()));
        api.expect_put_role_policy()
            .times(1)
            .returning(|_, _, _| Ok(()));
        let m = module(api);
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        observed.role = None;
        m.apply(&spec, &observed, &NoProgress).await.unwrap();
    }

    #[tokio::test]
    async fn invocation_logging_waits_for_a_new_role_to_propagate() {
        let mut api = MockLoggingApi::new();
        api.expect_create_role()
            .returning(|r| Ok(format!("arn:aws:iam::123456789012:role/{}", r.name)));
        api.expect_put_role_policy().returning(|_, _, _| Ok(()));
        let mut calls = 0;
        api.expect_put_invocation_logging()
            .times(2)
            .returning(move |_| {
                calls += 1;
                if calls == 1 {
                    Err(api_err(
                        "PutModelInvocationLoggingConfiguration",
                        ServiceErrorKind::Validation,
                    ))
                } else {
                    Ok(())
                }
            });
        let m = module(api).with_propagation_retry(vec![Duration::from_millis(1)]);
        let spec = spec_with(&m, &config());
        let mut observed = converged(&spec);
        observed.role = None;
        observed.invocation_logging = None;
        assert!(
            m.apply(&spec, &observed, &NoProgress)
                .await
                .unwrap()
                .logging_enabled
        );
    }

    #[tokio::test]
    async fn destroy_with_audit_data_empties_the_bucket_in_rounds() {
        let mut api = MockLoggingApi::new();
        // The request-metrics configuration goes on every destroy (it is not audit data).
        api.expect_delete_bucket_metrics_configuration()
            .times(1)
            .returning(|_, _| Ok(()));
        api.expect_delete_invocation_logging()
            .times(1)
            .returning(|| Ok(()));
        api.expect_delete_role_policy()
            .times(1)
            .returning(|_, _| Ok(()));
        api.expect_delete_role().times(1).returning(|_| Ok(()));
        api.expect_delete_log_group().times(1).returning(|_| Ok(()));
        let mut rounds = 0;
        api.expect_list_object_versions()
            .times(3)
            .returning(move |_| {
                rounds += 1;
                Ok(if rounds < 3 {
                    vec![
                        ObjectVersionRef {
                            key: format!("k{rounds}"),
                            version_id: Some("v1".into()),
                        },
                        ObjectVersionRef {
                            key: format!("k{rounds}"),
                            version_id: Some("v2".into()),
                        },
                    ]
                } else {
                    Vec::new()
                })
            });
        api.expect_delete_object_versions()
            .times(2)
            .returning(|_, _| Ok(Vec::new()));
        api.expect_delete_bucket().times(1).returning(|_| Ok(()));
        let m = module(api);
        // One unlocked bucket: the rounds are counted on it alone.
        let mut c = config();
        c.s3_access_logging = false;
        c.s3_object_lock.enabled = false;
        let spec = spec_with(&m, &c);
        m.destroy(
            &spec,
            &converged(&spec),
            DestroyOptions {
                delete_audit_data: true,
            },
            &NoProgress,
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn destroy_by_default_touches_neither_bucket_nor_log_group() {
        let mut api = MockLoggingApi::new();
        // The request-metrics configuration goes on every destroy (it is not audit data).
        api.expect_delete_bucket_metrics_configuration()
            .times(1)
            .returning(|_, _| Ok(()));
        api.expect_delete_invocation_logging()
            .times(1)
            .returning(|| Ok(()));
        api.expect_delete_role_policy()
            .times(1)
            .returning(|_, _| Ok(()));
        // Already gone (a re-run after a partial destroy) counts as done.
        api.expect_delete_role()
            .times(1)
            .returning(|_| Err(api_err("DeleteRole", ServiceErrorKind::NotFound)));
        let m = module(api);
        let spec = spec_with(&m, &config());
        m.destroy(
            &spec,
            &converged(&spec),
            DestroyOptions::default(),
            &NoProgress,
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn missing_boundary_policy_is_a_precondition_failure() {
        let mut api = MockLoggingApi::new();
        api.expect_bucket_exists().returning(|_| Ok(false));
        api.expect_describe_log_group().returning(|_| Ok(None));
        api.expect_get_role().returning(|_| Ok(None));
        api.expect_invocation_logging().returning(|| Ok(None));
        api.expect_policy_exists().returning(|_| Ok(false));
        let m = module(api);
        let spec = spec_with(
            &m,
            &Config {
                permissions_boundary_arn: Some("arn:aws:iam::123456789012:policy/Nope".into()),
                ..config()
            },
        );
        let err = m.observe(&spec).await.unwrap_err();
        let LoggingError::Precondition(p) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(p.issues[0].path, "permissions_boundary_arn");
    }

    #[tokio::test]
    async fn a_role_of_another_stack_is_refused() {
        let mut api = MockLoggingApi::new();
        api.expect_bucket_exists().returning(|_| Ok(false));
        api.expect_describe_log_group().returning(|_| Ok(None));
        api.expect_invocation_logging().returning(|| Ok(None));
        api.expect_get_role().returning(|n| {
            Ok(Some(RoleInfo {
                name: n.into(),
                arn: format!("arn:aws:iam::123456789012:role/{n}"),
                trust_policy: "{}".into(),
                permissions_boundary_arn: None,
            }))
        });
        api.expect_role_tags().returning(|_| {
            Ok(BTreeMap::from([(
                STACK_TAG.to_owned(),
                "someone-else".to_owned(),
            )]))
        });
        api.expect_role_policy_names().returning(|_| Ok(Vec::new()));
        api.expect_role_policy().returning(|_, _| Ok(None));
        api.expect_attached_role_policies()
            .returning(|_| Ok(Vec::new()));
        let m = module(api);
        let spec = spec_with(&m, &config());
        assert!(matches!(
            m.observe(&spec).await,
            Err(LoggingError::ForeignResource {
                kind: "iam role",
                ..
            })
        ));
    }

    #[test]
    fn inputs_come_from_the_encryption_outputs_by_field_name() {
        let upstream = Upstream(BTreeMap::from([(
            "encryption".to_owned(),
            json!({"kms_key_arn": KEY, "kms_key_id": "k-1"}),
        )]));
        assert_eq!(
            LoggingInputs::from_upstream(&upstream).unwrap().kms_key_arn,
            Some(KmsKeyArn(KEY.into()))
        );
        assert_eq!(
            LoggingInputs::from_upstream(&Upstream::default()).unwrap(),
            LoggingInputs::default()
        );
    }

    #[tokio::test]
    async fn destroy_refuses_compliance_locked_audit_data_before_deleting_anything() {
        let mut api = MockLoggingApi::new();
        // The request-metrics configuration goes on every destroy (it is not audit data).
        api.expect_delete_bucket_metrics_configuration()
            .times(1)
            .returning(|_, _| Ok(()));
        api.expect_delete_invocation_logging().returning(|| Ok(()));
        api.expect_delete_role_policy().returning(|_, _| Ok(()));
        api.expect_delete_role().returning(|_| Ok(()));
        api.expect_list_object_versions().returning(|_| {
            Ok(vec![ObjectVersionRef {
                key: "invocations/a.json.gz".into(),
                version_id: Some("v1".into()),
            }])
        });
        api.expect_object_retention().returning(|_, _| {
            Ok(Some(crate::api::ObjectRetention {
                mode: "COMPLIANCE".into(),
                retain_until: "2999-01-01T00:00:00Z".into(),
            }))
        });
        // No delete_log_group, delete_object_versions or delete_bucket expectation: any
        // deletion of audit data would panic the mock.
        let m = module(api);
        let mut c = config();
        c.s3_object_lock.mode = baseline_core::config::ObjectLockMode::Compliance;
        let spec = spec_with(&m, &c);
        let all = DestroyOptions {
            delete_audit_data: true,
        };
        let plan = m.destroy_plan(&spec, &converged(&spec), all);
        let b = plan.iter().find(|c| c.address == BUCKET).unwrap();
        assert!(b.note.as_deref().unwrap().contains("COMPLIANCE"), "{b:?}");
        let err = m
            .destroy(&spec, &converged(&spec), all, &NoProgress)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, LoggingError::ComplianceRetention { until, .. } if until == "2999-01-01T00:00:00Z"),
            "{err}"
        );
    }

    #[test]
    fn new_bucket_plan_explains_object_lock_and_existing_bucket_without_it_is_left_alone() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        let create = m.diff(&spec, &LoggingObserved::default());
        let b = create.iter().find(|c| c.address == BUCKET).unwrap();
        let note = b.note.as_deref().unwrap();
        assert!(
            note.contains("turned on at creation") && note.contains("GOVERNANCE"),
            "{note}"
        );
        assert!(create
            .iter()
            .find(|c| c.address == ACCESS_LOG_BUCKET)
            .unwrap()
            .note
            .is_none());

        // An adopted bucket without Object Lock: no change planned (it is irreversible), a note.
        let mut observed = converged(&spec);
        observed.bucket.as_mut().unwrap().object_lock = None;
        let changes = m.diff(&spec, &observed);
        let b = changes.iter().find(|c| c.address == BUCKET).unwrap();
        assert_eq!(b.action, Action::NoOp);
        assert!(
            b.note.as_deref().unwrap().contains("only at creation"),
            "{b:?}"
        );

        // A different default retention on a locked bucket is an update of that attribute.
        let mut observed = converged(&spec);
        observed
            .bucket
            .as_mut()
            .unwrap()
            .object_lock
            .as_mut()
            .unwrap()
            .days = Some(30);
        assert_eq!(
            attrs(&m.diff(&spec, &observed), BUCKET),
            ["object_lock.days"]
        );
    }

    #[test]
    fn access_log_bucket_admits_only_s3_logging_for_the_log_bucket() {
        let m = module(MockLoggingApi::new());
        let spec = spec_with(&m, &config());
        let a = &spec.access_log_bucket;
        assert!(!a.sse_kms && a.object_lock.is_none() && a.access_log.is_none());
        let st = a.policy.statement("AllowS3ServerAccessLogs").unwrap();
        assert_eq!(
            st.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
            vec![spec.bucket.arn.clone()]
        );
        assert!(st
            .condition_values("StringEquals", "aws:SourceAccount")
            .is_some());
        assert!(!a.policy.has_wildcard_allow());
        assert_eq!(
            spec.bucket.access_log.as_ref().map(|t| t.bucket.as_str()),
            Some(a.name.as_str())
        );
    }
}

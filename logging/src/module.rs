//! The logging module's wiring: its spec from the config, and the order in which observe,
//! plan, apply and destroy visit the resources. Each resource kind lives in its own file
//! (`bucket`, `bucket_policy`, `log_group`, `role`, `invocation`, `request_metrics`,
//! `flow_logs`, `replication`).
//!
//! Everything is found by deterministic name (bucket, log group, role) or is a singleton
//! (invocation logging), so a re-run after any failure finds what an earlier run created.
//! Apply converges the buckets, the log group, the role and the flow logs concurrently (their
//! ARNs are known from their names), then the invocation logging configuration, which needs
//! them.

use crate::api::{InvocationLoggingConfig, LoggingApi, SdkLoggingApi};
use crate::bucket::{self, BucketSpec, ObservedBucket};
use crate::flow_logs::{self, FlowLogsSpec, ObservedFlowLogs, FLOW_LOG_GROUP};
use crate::invocation::{self, Destinations};
use crate::log_group::{self, LogGroupOp, LogGroupSpec, ObservedLogGroup};
use crate::replication::{self, ObservedReplication, ReplicationSpec};
use crate::request_metrics::{self, RequestMetricsSpec};
use crate::role::{self, ObservedRole, RoleSpec};
use crate::LoggingError;
use async_trait::async_trait;
use baseline_core::ids::KmsKeyArn;
use baseline_core::reconcile::{FromUpstream, Upstream};
use baseline_core::resource::Planned;
use baseline_core::{Action, AwsContext, Change, Config, DestroyOptions, Module, Progress};
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
    // Network: the flow logs go on its endpoints' interfaces.
    const UPSTREAM: &'static [&'static str] = &["encryption", "network"];
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

    fn invocation_is_ours(&self, spec: &LoggingSpec, existing: &InvocationLoggingConfig) -> bool {
        invocation::is_ours(existing, &spec.log_group.name, &spec.bucket.name)
    }

    /// The logging role: Bedrock assumes it only to write to CloudWatch Logs; S3 delivery goes
    /// through the bucket policy.
    fn role_spec(
        &self,
        config: &Config,
        inputs: &LoggingInputs,
        (bucket, log_group): (&BucketSpec, &LogGroupSpec),
        tags: &BTreeMap<String, String>,
    ) -> RoleSpec {
        let ctx = &self.ctx;
        let naming = ctx.naming();
        let name = naming.name("bedrock-logging", 64);
        let prefix_arn = format!("{}/{}*", bucket.arn, config.s3_log_prefix);
        let doc = role::role_policy(
            &log_group.arn,
            bucket.enabled.then_some(prefix_arn.as_str()),
        );
        RoleSpec {
            arn: ctx.iam_arn(&format!("role/{name}")),
            enabled: config.enable_model_invocation_logging && log_group.enabled,
            description: format!(
                "bedrock-baseline {}: lets Amazon Bedrock deliver model invocation logs",
                naming.stack()
            ),
            trust_policy: role::trust_policy(ctx.partition(), ctx.account_id(), ctx.region()),
            policy: match (&inputs.kms_key_arn, bucket.enabled) {
                (Some(key), true) => role::with_large_data_key(doc, key.as_str(), ctx.region()),
                _ => doc,
            },
            permissions_boundary_arn: role::boundary(config),
            tags: tags.clone(),
            name,
        }
    }

    /// The invocation log group's plan (diff shows it, apply runs it and announces its
    /// creation).
    fn log_group_plan(
        &self,
        spec: &LoggingSpec,
        observed: &LoggingObserved,
    ) -> Option<Planned<LogGroupOp>> {
        log_group::plan(
            LOG_GROUP,
            &spec.log_group,
            observed.log_group.as_ref(),
            spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str),
            "enable_cloudwatch_logging is off: the log group is no longer managed and is kept (audit data)",
        )
    }

    /// Both buckets' changes: the access-log bucket first, as apply creates it first.
    fn bucket_changes(&self, spec: &LoggingSpec, observed: &LoggingObserved) -> Vec<Change> {
        let key = spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str);
        let mut changes = bucket::changes(
            (ACCESS_LOG_BUCKET, ACCESS_LOG_BUCKET_POLICY),
            &spec.access_log_bucket,
            observed.access_log_bucket.as_ref(),
            key,
            "s3_access_logging is off: the access-log bucket is no longer managed and is kept (audit data)",
        );
        changes.extend(bucket::changes(
            (BUCKET, BUCKET_POLICY),
            &spec.bucket,
            observed.bucket.as_ref(),
            key,
            "enable_s3_logging is off: the bucket is no longer managed and is kept (audit data)",
        ));
        changes
    }
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
        let tags = naming.tags("logging");
        let (bucket, access_log_bucket) = bucket::specs(ctx, config, &tags);
        let log_group_name = naming.log_group("invocations");
        let log_group = LogGroupSpec {
            arn: ctx.arn("logs", &format!("log-group:{log_group_name}")),
            name: log_group_name,
            enabled: config.enable_cloudwatch_logging,
            retention_in_days: i32::try_from(config.log_retention_days).unwrap_or(i32::MAX),
            tags: tags.clone(),
        };
        let role = self.role_spec(config, inputs, (&bucket, &log_group), &tags);
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
        let flow_logs = flow_logs::spec(ctx, config, inputs.endpoint_ids.as_ref(), &tags);
        let replication = replication::spec(
            ctx,
            config,
            inputs.kms_key_arn.as_ref(),
            (&bucket, &access_log_bucket),
            &tags,
        )?;
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
        let api: &dyn LoggingApi = &self.api;
        let stack = spec.stack.as_str();
        // The request-metrics configuration needs only the log bucket to exist: it is read
        // with the bucket's settings, right after HeadBucket.
        let log_bucket = async {
            if !bucket::exists(api, &spec.bucket).await? {
                return Ok((None, None));
            }
            let (found, metrics) = futures::try_join!(
                bucket::read(api, &spec.bucket, stack),
                request_metrics::observe(api, &spec.request_metrics, true),
            )?;
            Ok::<_, LoggingError>((Some(found), metrics))
        };
        let (
            (bucket, request_metrics),
            access_log_bucket,
            log_group,
            role,
            invocation_logging,
            flow_logs,
            replication_role,
        ) = futures::try_join!(
            log_bucket,
            bucket::observe(api, &spec.access_log_bucket, stack),
            log_group::observe(api, &spec.log_group, stack),
            role::observe(api, &spec.role, stack),
            async { api.invocation_logging().await.map_err(LoggingError::from) },
            flow_logs::observe(api, &spec.flow_logs),
            role::observe(api, &spec.replication.role, stack),
        )?;
        let buckets_exist = [bucket.is_some(), access_log_bucket.is_some()];
        // Side by side, but the boundary pre-check's answer wins (exit 2, as when it ran first).
        let (boundary, replication) = futures::join!(
            role::check_boundary(api, &spec.role, role.as_ref()),
            replication::observe(api, &spec.replication, replication_role, &buckets_exist),
        );
        boundary?;
        let replication = replication?;
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

    /// Everything is looked up by the stack's names, except the flow logs' network interfaces:
    /// they are filtered by network's endpoint ids, and read only with flow logs on or their
    /// role left over. The upstream key only shapes what is written.
    fn observes_alike(
        &self,
        before: &LoggingSpec,
        now: &LoggingSpec,
        observed: &LoggingObserved,
    ) -> bool {
        let interfaces_unread = !before.flow_logs.enabled
            && !now.flow_logs.enabled
            && observed.flow_logs.role.is_none();
        before.stack == now.stack
            && (interfaces_unread || before.flow_logs.endpoint_ids == now.flow_logs.endpoint_ids)
    }

    fn diff(&self, spec: &LoggingSpec, observed: &LoggingObserved) -> Vec<Change> {
        let key = spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str);
        let mut changes = self.bucket_changes(spec, observed);
        changes.extend(request_metrics::diff(
            &spec.request_metrics,
            observed.request_metrics,
        ));
        changes.extend(replication::diff(&spec.replication, &observed.replication));
        changes.extend(self.log_group_plan(spec, observed).map(Planned::shown));
        changes.extend(role::changes(
            &spec.role,
            observed.role.as_ref(),
            (ROLE, ROLE_POLICY),
        ));
        changes.extend(flow_logs::diff(&spec.flow_logs, &observed.flow_logs, key));
        let have = observed.invocation_logging.as_ref();
        changes.extend(
            invocation::plan(
                INVOCATION_LOGGING,
                spec.invocation_logging.as_ref(),
                have,
                have.is_some_and(|h| self.invocation_is_ours(spec, h)),
            )
            .map(Planned::shown),
        );
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
        self.converge_all(spec, observed, progress).await
    }

    fn destroy_plan(
        &self,
        spec: &LoggingSpec,
        observed: &LoggingObserved,
        options: DestroyOptions,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        if let Some(have) = &observed.invocation_logging {
            changes.push(invocation::destroy_change(
                INVOCATION_LOGGING,
                have,
                self.invocation_is_ours(spec, have),
            ));
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
                changes.push(log_group::destroy_change(
                    address,
                    found,
                    options.delete_audit_data,
                ));
            }
        }
        changes.extend(bucket::destroy_plan(
            (BUCKET, BUCKET_POLICY),
            &spec.bucket,
            observed.bucket.as_ref(),
            options,
        ));
        changes.extend(bucket::destroy_plan(
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
        self.remove_all(spec, observed, options, progress).await
    }
}

mod apply;
#[cfg(test)]
mod tests;

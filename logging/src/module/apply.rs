//! Apply and destroy of the logging module: the order in which the resource files converge
//! and remove their resources (buckets, log group, roles and flow logs concurrently, then the
//! invocation logging configuration that needs them beside the buckets' request metrics and
//! replication; destroy the other way round). The outputs are announced once the resources
//! they name exist.

use super::*;
use crate::bucket::{BucketDesired, S3Bucket};
use crate::bucket_policy::S3BucketPolicy;
use crate::flow_logs::{FLOW_LOGS_ROLE, FLOW_LOGS_ROLE_POLICY};
use crate::role::{ObservedRole, RoleSpec};
use baseline_core::progress::AnnounceWhenExist;
use baseline_core::resource::ResourceKind;

impl<A: LoggingApi> LoggingModule<A> {
    /// Converges every resource as [`Module::diff`] plans it (the trait's `apply`).
    pub(super) async fn converge_all(
        &self,
        spec: &LoggingSpec,
        observed: &LoggingObserved,
        progress: &dyn Progress,
    ) -> Result<LoggingOutputs, LoggingError> {
        // The resources' plans, as `diff` plans them (same spec, observation and key).
        let planned_key = spec.kms_key_arn.as_ref().map(KmsKeyArn::as_str);
        let (access_log, log) = (&spec.access_log_bucket, &spec.bucket);
        let (access_log_found, log_found) = (
            observed.access_log_bucket.as_ref(),
            observed.bucket.as_ref(),
        );
        let desired = |spec| BucketDesired {
            spec,
            key: planned_key,
        };
        let access_log_plans = (
            &S3Bucket::plan(ACCESS_LOG_BUCKET, &desired(access_log), access_log_found),
            &S3BucketPolicy::plan(ACCESS_LOG_BUCKET_POLICY, access_log, access_log_found),
        );
        let log_plans = (
            &S3Bucket::plan(BUCKET, &desired(log), log_found),
            &S3BucketPolicy::plan(BUCKET_POLICY, log, log_found),
        );
        let log_group_plan = self.log_group_plan(spec, observed);
        let writes_key = (access_log.enabled && access_log_plans.0.is_change())
            || (log.enabled && log_plans.0.is_change())
            || log_group_plan
                .as_ref()
                .is_some_and(|p| spec.log_group.enabled && p.is_change());
        let key = spec.kms_key_arn.as_ref().map(|k| k.as_str().to_owned());
        if writes_key && key.is_none() {
            return Err(LoggingError::MissingKmsKey);
        }
        let key = key.unwrap_or_default();
        let api: &dyn LoggingApi = &self.api;
        // Every output is a name from the spec: they are announced once the resources they
        // name exist, so monitoring starts while the buckets' settings still converge.
        let outputs = self.outputs(
            spec,
            observed.role.as_ref().map(|r| r.info.arn.clone()),
            spec.invocation_logging.is_some(),
        );
        let flow_logs_group =
            flow_logs::log_group_plan(&spec.flow_logs, &observed.flow_logs, planned_key);
        let role_created = |role: &RoleSpec, found: Option<&ObservedRole>, addresses| {
            role::plan(role, found, addresses).map(|p| p.role.change.action)
        };
        let created = [
            (BUCKET, Some(log_plans.0.change.action)),
            (ACCESS_LOG_BUCKET, Some(access_log_plans.0.change.action)),
            (LOG_GROUP, log_group_plan.as_ref().map(|p| p.change.action)),
            (
                ROLE,
                role_created(&spec.role, observed.role.as_ref(), (ROLE, ROLE_POLICY)),
            ),
            (
                FLOW_LOG_GROUP,
                flow_logs_group.as_ref().map(|p| p.change.action),
            ),
            (
                FLOW_LOGS_ROLE,
                role_created(
                    &spec.flow_logs.role,
                    observed.flow_logs.role.as_ref(),
                    (FLOW_LOGS_ROLE, FLOW_LOGS_ROLE_POLICY),
                ),
            ),
            (
                replication::ROLE,
                role_created(
                    &spec.replication.role,
                    observed.replication.role.as_ref(),
                    (replication::ROLE, replication::ROLE_POLICY),
                ),
            ),
        ]
        .into_iter()
        .filter(|(_, action)| matches!(action, Some(Action::Create | Action::Replace)))
        .map(|(address, _)| address.to_owned());
        let progress = &AnnounceWhenExist::new(progress, &outputs, created);

        let bucket_task = async {
            // Both buckets side by side, but the log bucket's PutBucketLogging only once the
            // access-log bucket and its policy are in place: S3 checks that the target exists
            // and admits the logging service.
            let (target_ready, ready) = futures::channel::oneshot::channel();
            let access_log_bucket = async {
                bucket::converge(
                    api,
                    &spec.access_log_bucket,
                    access_log_plans,
                    (&key, None),
                    progress,
                )
                .await?;
                let _ = target_ready.send(());
                Ok::<_, LoggingError>(())
            };
            let log_bucket =
                bucket::converge(api, &spec.bucket, log_plans, (&key, Some(ready)), progress);
            // The first error stops the other, as for the module's other tasks.
            futures::try_join!(access_log_bucket, log_bucket).map(|_| ())
        };
        let log_group_task = log_group::converge(
            api,
            &spec.log_group,
            observed.log_group.as_ref(),
            (&key, LOG_GROUP, log_group_plan.as_ref()),
            progress,
        );
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

        let have = observed.invocation_logging.as_ref();
        let retry: &[Duration] = if role_fresh {
            &self.propagation_retry
        } else {
            &[]
        };
        let invocation_plan = invocation::plan(
            INVOCATION_LOGGING,
            spec.invocation_logging.as_ref(),
            have,
            have.is_some_and(|h| self.invocation_is_ours(spec, h)),
        );
        let invocation = invocation::converge(
            api,
            (spec.invocation_logging.as_ref(), invocation_plan.as_ref()),
            retry,
            INVOCATION_LOGGING,
            progress,
        );
        // On the buckets, once they are converged (replication after their versioning); one
        // after the other, as S3 refuses concurrent configuration changes to one bucket. The
        // invocation logging configuration does not need them, so it goes beside.
        let bucket_extras = async {
            request_metrics::apply(
                api,
                &spec.request_metrics,
                observed.request_metrics,
                progress,
            )
            .await?;
            replication::apply(api, &spec.replication, &observed.replication, progress).await
        };
        let (logging_enabled, ()) = futures::try_join!(invocation, bucket_extras)?;

        // A role that is no longer needed goes after the configuration stopped using it.
        if let (false, Some(found)) = (spec.role.enabled, &observed.role) {
            role::remove(api, &spec.role.name, found, (ROLE, ROLE_POLICY), progress).await?;
        }
        debug_assert_eq!(logging_enabled, outputs.logging_enabled);
        Ok(outputs)
    }

    /// Removes the stack's resources as `destroy_plan` says (the trait's `destroy`).
    pub(super) async fn remove_all(
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
            invocation::destroy(api, INVOCATION_LOGGING, progress).await?;
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
            if found {
                log_group::destroy(api, name, address, progress).await?;
            }
        }
        // The log bucket before the access-log bucket it logs to.
        for (b, found, addresses) in [
            (&spec.bucket, &observed.bucket, (BUCKET, BUCKET_POLICY)),
            (
                &spec.access_log_bucket,
                &observed.access_log_bucket,
                (ACCESS_LOG_BUCKET, ACCESS_LOG_BUCKET_POLICY),
            ),
        ] {
            if found.is_some() {
                bucket::destroy(api, b, addresses, progress).await?;
            }
        }
        Ok(())
    }
}

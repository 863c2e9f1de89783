//! Apply of a bucket's settings: a new bucket gets every one (public access blocked first,
//! each write retried while S3 does not know the new bucket yet), an existing one only those
//! whose view differs from the spec's.

use super::{desired_view_for, differs, observed_view, BucketSpec, ObservedBucket};
use crate::api::LoggingApi;
use crate::LoggingError;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::{Progress, ProgressEvent};
use std::time::Duration;

/// Retries `f` while it answers NotFound: right after CreateBucket, S3 may not yet know the
/// bucket for every sub-resource call.
async fn settle<F, Fut>(f: F) -> Result<(), ApiError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let mut delay = Duration::from_millis(250);
    for _ in 0..5 {
        match f().await {
            Err(e) if e.is_not_found() => tokio::time::sleep(delay).await,
            other => return other,
        }
        delay *= 2;
    }
    f().await
}

/// Converges the bucket's settings (not its policy). `observed` is `None` when the bucket does
/// not exist: it is created (reported as existing at once), then every setting is written.
pub(super) async fn apply_settings(
    api: &dyn LoggingApi,
    spec: &BucketSpec,
    observed: Option<&ObservedBucket>,
    kms_key_arn: &str,
    target_ready: Option<super::TargetReady>,
    address: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let name = spec.name.as_str();
    // PutBucketLogging waits until the target is ready (a sender dropped means its converge
    // failed, and the whole apply stops with that error anyway).
    let logging = |target| async move {
        if let Some(ready) = target_ready {
            let _ = ready.await;
        }
        settle(|| api.put_bucket_logging(name, target)).await
    };
    let Some(found) = observed else {
        match api
            .create_bucket(name, &spec.region, spec.object_lock.is_some())
            .await
        {
            // Created by an earlier, interrupted apply after this one observed: converge it.
            Err(e) if e.kind == ServiceErrorKind::AlreadyExists => {}
            other => other?,
        }
        progress.event(ProgressEvent::Exists {
            address: address.into(),
            id: spec.arn.clone(),
        });
        // Public access is blocked before anything else is written to the bucket. One write
        // after another: S3 may refuse concurrent configuration changes to one bucket with 409
        // OperationAborted, "a conflicting conditional operation is currently in progress
        // against this resource" (S3 API reference, Error responses: the docs do not say which
        // calls conflict, so none run side by side).
        settle(|| api.block_public_access(name)).await?;
        settle(|| api.enforce_bucket_owner(name)).await?;
        if spec.sse_kms {
            settle(|| api.put_bucket_encryption(name, kms_key_arn)).await?;
        } else {
            settle(|| api.put_bucket_encryption_s3(name)).await?;
        }
        settle(|| api.enable_versioning(name)).await?;
        if let Some(lock) = &spec.object_lock {
            settle(|| api.put_object_lock(name, &lock.mode, lock.days)).await?;
        }
        if !spec.lifecycle_rules.is_empty() {
            settle(|| api.put_lifecycle_rules(name, &spec.lifecycle_rules)).await?;
        }
        if spec.eventbridge {
            settle(|| api.enable_bucket_eventbridge(name)).await?;
        }
        settle(|| api.put_bucket_tags(name, &spec.tags)).await?;
        // Last, as it may wait for the access-log bucket.
        if let Some(target) = &spec.access_log {
            logging(target).await?;
        }
        return Ok(());
    };
    let desired = desired_view_for(spec, found, Some(kms_key_arn));
    let current = observed_view(spec, found);
    if differs(&current, &desired, "public_access_block") {
        api.block_public_access(name).await?;
    }
    // One write after another, as for a new bucket.
    if differs(&current, &desired, "object_ownership") {
        api.enforce_bucket_owner(name).await?;
    }
    if differs(&current, &desired, "encryption") {
        if spec.sse_kms {
            api.put_bucket_encryption(name, kms_key_arn).await?;
        } else {
            api.put_bucket_encryption_s3(name).await?;
        }
    }
    if differs(&current, &desired, "versioning") {
        api.enable_versioning(name).await?;
    }
    // Only a bucket that has Object Lock gets its default retention changed (see
    // `desired_view_for`).
    if let (true, Some(lock)) = (
        differs(&current, &desired, "object_lock"),
        &spec.object_lock,
    ) {
        api.put_object_lock(name, &lock.mode, lock.days).await?;
    }
    if spec.eventbridge && differs(&current, &desired, "event_notifications") {
        api.enable_bucket_eventbridge(name).await?;
    }
    if differs(&current, &desired, "lifecycle_rules") {
        if spec.lifecycle_rules.is_empty() {
            api.delete_lifecycle(name).await?;
        } else {
            api.put_lifecycle_rules(name, &spec.lifecycle_rules).await?;
        }
    }
    if differs(&current, &desired, "tags") {
        api.put_bucket_tags(name, &spec.tags).await?;
    }
    if let (true, Some(target)) = (
        differs(&current, &desired, "access_logging"),
        &spec.access_log,
    ) {
        logging(target).await?;
    }
    Ok(())
}

//! Execution of a bucket's planned settings writes ([`BucketOp`], decided by
//! `bucket::S3Bucket::plan`): a new bucket gets every one (public access blocked first, each
//! write retried while S3 does not know the new bucket yet), an existing one only those whose
//! view differs from the spec's.

use super::{BucketOp, BucketSpec};
use crate::api::LoggingApi;
use crate::LoggingError;
use baseline_core::aws::ApiError;
use baseline_core::resource::is_reserved_tag;
use baseline_core::{Progress, ProgressEvent};
use std::collections::BTreeMap;
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

/// `tags` with the AWS-reserved tags of `current` added. PutBucketTagging replaces a bucket's
/// whole tag set, and S3 answers `InvalidTag` "System Tags cannot be removed by requester" to a
/// set that leaves out one the bucket has (a CloudFormation-made bucket's `aws:cloudformation:*`,
/// say); sending them back unchanged is accepted. The S3 API reference for PutBucketTagging does
/// not say so (it names InvalidTag only as "not a valid tag"): this is the behaviour Terraform's
/// AWS provider (issue 7323) and Cloud Custodian (issue 2834) met and handle the same way.
fn with_reserved_tags_of(
    tags: &BTreeMap<String, String>,
    current: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all: BTreeMap<_, _> = current
        .into_iter()
        .filter(|(k, _)| is_reserved_tag(k))
        .collect();
    all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

/// Runs a bucket's planned settings writes (not its policy), one after another. After a
/// create, the bucket is reported as existing at once and each write is retried while S3 does
/// not know the new bucket yet.
pub(super) async fn execute(
    api: &dyn LoggingApi,
    spec: &BucketSpec,
    ops: &[BucketOp],
    kms_key_arn: &str,
    target_ready: Option<super::TargetReady>,
    address: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let name = spec.name.as_str();
    let created = ops.contains(&BucketOp::Create);
    let write = |op: BucketOp| async move {
        match op {
            BucketOp::Create => Ok(()),
            BucketOp::BlockPublicAccess => api.block_public_access(name).await,
            BucketOp::EnforceBucketOwner => api.enforce_bucket_owner(name).await,
            BucketOp::PutEncryption if spec.sse_kms => {
                api.put_bucket_encryption(name, kms_key_arn).await
            }
            BucketOp::PutEncryption => api.put_bucket_encryption_s3(name).await,
            BucketOp::EnableVersioning => api.enable_versioning(name).await,
            BucketOp::PutObjectLock => match &spec.object_lock {
                Some(lock) => api.put_object_lock(name, &lock.mode, lock.days).await,
                None => Ok(()),
            },
            BucketOp::PutLifecycle => api.put_lifecycle_rules(name, &spec.lifecycle_rules).await,
            BucketOp::DeleteLifecycle => api.delete_lifecycle(name).await,
            BucketOp::EnableEventBridge => api.enable_bucket_eventbridge(name).await,
            BucketOp::PutTags if created => api.put_bucket_tags(name, &spec.tags).await,
            BucketOp::PutTags => {
                let kept = api.bucket_tags(name).await?;
                api.put_bucket_tags(name, &with_reserved_tags_of(&spec.tags, kept))
                    .await
            }
            BucketOp::PutLogging => match &spec.access_log {
                Some(target) => api.put_bucket_logging(name, target).await,
                None => Ok(()),
            },
        }
    };
    let mut target_ready = target_ready;
    for op in ops.iter().copied() {
        if op == BucketOp::Create {
            match api
                .create_bucket(name, &spec.region, spec.object_lock.is_some())
                .await
            {
                // Created by an earlier, interrupted apply after this one observed: converge it.
                Err(e) if e.is_already_exists() => {}
                other => other?,
            }
            progress.event(ProgressEvent::Exists {
                address: address.into(),
                id: spec.arn.clone(),
            });
            continue;
        }
        if op == BucketOp::PutLogging {
            // PutBucketLogging waits until the target is ready (a sender dropped means its
            // converge failed, and the whole apply stops with that error anyway).
            if let Some(ready) = target_ready.take() {
                let _ = ready.await;
            }
        }
        // One write after another: S3 may refuse concurrent configuration changes to one
        // bucket with 409 OperationAborted, "a conflicting conditional operation is currently
        // in progress against this resource" (S3 API reference, Error responses: the docs do
        // not say which calls conflict, so none run side by side).
        if created {
            settle(|| write(op)).await?;
        } else {
            write(op).await?;
        }
    }
    Ok(())
}

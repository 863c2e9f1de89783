//! Emptying a bucket before destroy deletes it: refused up front under COMPLIANCE-mode
//! retention, otherwise every object version and delete marker deleted, round after round.

use crate::api::LoggingApi;
use crate::LoggingError;

/// Refuses (before anything is deleted) when a version of `bucket` is under COMPLIANCE-mode
/// retention that has not ended: S3 lets nobody delete it before then
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes).
/// GOVERNANCE-mode versions are deleted by [`empty_and_delete`], which bypasses governance.
pub(crate) async fn refuse_compliance_locked(
    api: &dyn LoggingApi,
    bucket: &str,
) -> Result<(), LoggingError> {
    let versions = match api.list_object_versions(bucket).await {
        Err(e) if e.is_not_found() => return Ok(()),
        other => other?,
    };
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    let mut locked = Vec::new();
    for v in &versions {
        if let Some(r) = api.object_retention(bucket, v).await? {
            // RFC 3339 UTC timestamps of one format compare as text.
            if r.mode == "COMPLIANCE" && r.retain_until > now {
                locked.push(r.retain_until);
            }
        }
    }
    match locked.iter().max() {
        Some(until) => Err(LoggingError::ComplianceRetention {
            bucket: bucket.to_owned(),
            count: locked.len(),
            until: until.clone(),
        }),
        None => Ok(()),
    }
}

/// Deletes every object version and delete marker, then the bucket. Safe to run again after a
/// failure: it lists what is left each round.
pub(super) async fn empty_and_delete(
    api: &dyn LoggingApi,
    bucket: &str,
) -> Result<(), LoggingError> {
    loop {
        let versions = match api.list_object_versions(bucket).await {
            Err(e) if e.is_not_found() => return Ok(()),
            other => other?,
        };
        if versions.is_empty() {
            break;
        }
        let failed = api.delete_object_versions(bucket, &versions).await?;
        if let Some(first) = failed.first() {
            return Err(LoggingError::EmptyBucket {
                bucket: bucket.to_owned(),
                count: failed.len(),
                first: first.clone(),
            });
        }
    }
    match api.delete_bucket(bucket).await {
        Err(e) if !e.is_not_found() => Err(e.into()),
        _ => Ok(()),
    }
}

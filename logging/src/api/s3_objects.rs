//! The S3 object-version operations of [`super::LoggingApi`] over the SDK client: what
//! emptying a versioned bucket needs (list, Object Lock retention, delete).

use super::call::S3;
use super::{ObjectRetention, ObjectVersionRef};
use aws_sdk_s3::Client;
use baseline_core::aws::ApiError;

pub(super) async fn list_object_versions(
    s3: &Client,
    bucket: &str,
) -> Result<Vec<ObjectVersionRef>, ApiError> {
    let req = s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1000)
        .send();
    let out = S3.call("ListObjectVersions", bucket, req).await?;
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

pub(super) async fn object_retention(
    s3: &Client,
    bucket: &str,
    version: &ObjectVersionRef,
) -> Result<Option<ObjectRetention>, ApiError> {
    // HeadObject answers with the version's Object Lock mode and retain-until date (headers
    // x-amz-object-lock-mode / -retain-until-date; needs s3:GetObjectRetention:
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html). A delete marker
    // answers 404/405: it holds no data and no retention.
    let out = s3
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
            return Err(S3.error("HeadObject", bucket, e));
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

pub(super) async fn delete_object_versions(
    s3: &Client,
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
        .map_err(S3.unbuilt(op, bucket))?;
    let delete = Delete::builder()
        .set_objects(Some(objects))
        .quiet(true)
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    // Only destroy with --delete-audit-data empties a bucket, so GOVERNANCE retention is
    // bypassed explicitly (needs s3:BypassGovernanceRetention; COMPLIANCE cannot be bypassed:
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
    let req = s3
        .delete_objects()
        .bucket(bucket)
        .bypass_governance_retention(true)
        .delete(delete)
        .send();
    let out = S3.call(op, bucket, req).await?;
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

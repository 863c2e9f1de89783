//! The S3 rule sets of [`super::LoggingApi`] over the SDK client: a bucket's lifecycle rules
//! and its replication configuration, read, put and deleted, and their translation between
//! the SDK types and this crate's.

use super::call::S3;
use super::{BucketReplication, LifecycleRule, LifecycleTransition, ReplicationRuleInfo};
use aws_sdk_s3::Client;
use aws_smithy_types::error::operation::BuildError;
use baseline_core::aws::ApiError;

pub(super) async fn lifecycle_rules(
    s3: &Client,
    bucket: &str,
) -> Result<Vec<LifecycleRule>, ApiError> {
    let req = s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send();
    let out = S3
        .find("GetBucketLifecycleConfiguration", bucket, req)
        .await?;
    Ok(out
        .map(|o| o.rules().iter().map(our_lifecycle_rule).collect())
        .unwrap_or_default())
}

pub(super) async fn put_lifecycle_rules(
    s3: &Client,
    bucket: &str,
    rules: &[LifecycleRule],
) -> Result<(), ApiError> {
    let op = "PutBucketLifecycleConfiguration";
    let rules = rules
        .iter()
        .map(sdk_lifecycle_rule)
        .collect::<Result<Vec<_>, _>>()
        .map_err(S3.unbuilt(op, bucket))?;
    let config = aws_sdk_s3::types::BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let req = s3
        .put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(config)
        .send();
    S3.write(op, bucket, req).await
}

pub(super) async fn delete_lifecycle(s3: &Client, bucket: &str) -> Result<(), ApiError> {
    let req = s3.delete_bucket_lifecycle().bucket(bucket).send();
    S3.write("DeleteBucketLifecycle", bucket, req).await
}

pub(super) async fn bucket_replication(
    s3: &Client,
    bucket: &str,
) -> Result<Option<BucketReplication>, ApiError> {
    // ReplicationConfigurationNotFoundError maps to not-found: no configuration.
    let req = s3.get_bucket_replication().bucket(bucket).send();
    let out = S3.find("GetBucketReplication", bucket, req).await?;
    Ok(out
        .and_then(|o| o.replication_configuration)
        .map(|c| our_replication(&c)))
}

pub(super) async fn put_bucket_replication(
    s3: &Client,
    bucket: &str,
    config: &BucketReplication,
) -> Result<(), ApiError> {
    let op = "PutBucketReplication";
    let sdk = sdk_replication(config).map_err(S3.unbuilt(op, bucket))?;
    let req = s3
        .put_bucket_replication()
        .bucket(bucket)
        .replication_configuration(sdk)
        .send();
    S3.write(op, bucket, req).await
}

pub(super) async fn delete_bucket_replication(s3: &Client, bucket: &str) -> Result<(), ApiError> {
    let req = s3.delete_bucket_replication().bucket(bucket).send();
    S3.write("DeleteBucketReplication", bucket, req).await
}

fn sdk_lifecycle_rule(
    rule: &LifecycleRule,
) -> Result<aws_sdk_s3::types::LifecycleRule, BuildError> {
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
) -> Result<aws_sdk_s3::types::ReplicationConfiguration, BuildError> {
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

//! The S3 bucket operations of [`super::LoggingApi`] over the SDK client: existence, creation
//! and deletion, and the bucket's sub-resources (encryption, versioning, public-access block,
//! ownership, policy, tags, Object Lock, access logging, EventBridge, request metrics).
//! Lifecycle and replication rules are in `s3_rules.rs`, object versions in `s3_objects.rs`.

use super::call::S3;
use super::{AccessLogTarget, BucketEncryption, ObjectLockConfig, PublicAccessBlock};
use aws_sdk_s3::Client;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use std::collections::BTreeMap;

pub(super) async fn bucket_exists(s3: &Client, bucket: &str) -> Result<bool, ApiError> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(true),
        Err(e) => {
            let not_found = matches!(&e, aws_sdk_s3::error::SdkError::ServiceError(se) if se.err().is_not_found());
            let status = e.raw_response().map(|r| r.status().as_u16());
            if not_found || status == Some(404) {
                return Ok(false);
            }
            let mut api = S3.error("HeadBucket", bucket, e);
            if status == Some(403) {
                // HeadBucket has no error body: a 403 means the name belongs to another account
                // (or we may not read it).
                api.kind = ServiceErrorKind::AccessDenied;
                api.detail =
                    "403 Forbidden: the bucket exists and is not readable by this account".into();
            }
            Err(api)
        }
    }
}

pub(super) async fn create_bucket(
    s3: &Client,
    bucket: &str,
    region: &str,
    object_lock: bool,
) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, ObjectOwnership};
    // `x-amz-bucket-object-lock-enabled` at creation also turns versioning on
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html).
    let mut req = s3
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
    S3.write("CreateBucket", bucket, req.send()).await
}

pub(super) async fn delete_bucket(s3: &Client, bucket: &str) -> Result<(), ApiError> {
    let req = s3.delete_bucket().bucket(bucket).send();
    S3.write("DeleteBucket", bucket, req).await
}

pub(super) async fn bucket_encryption(
    s3: &Client,
    bucket: &str,
) -> Result<Option<BucketEncryption>, ApiError> {
    let req = s3.get_bucket_encryption().bucket(bucket).send();
    let out = S3.find("GetBucketEncryption", bucket, req).await?;
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

/// PutBucketEncryption with one default rule: SSE-KMS with `kms_key_arn` and the bucket key
/// on, or SSE-S3 (AES256) when `kms_key_arn` is `None`.
pub(super) async fn put_bucket_encryption(
    s3: &Client,
    bucket: &str,
    kms_key_arn: Option<&str>,
) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{
        ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
        ServerSideEncryptionRule,
    };
    let op = "PutBucketEncryption";
    let algorithm = match kms_key_arn {
        Some(_) => ServerSideEncryption::AwsKms,
        None => ServerSideEncryption::Aes256,
    };
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm)
        .set_kms_master_key_id(kms_key_arn.map(str::to_owned))
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let rule = ServerSideEncryptionRule::builder().apply_server_side_encryption_by_default(default);
    let rule = match kms_key_arn {
        Some(_) => rule.bucket_key_enabled(true),
        None => rule,
    };
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(rule.build())
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let req = s3
        .put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(config)
        .send();
    S3.write(op, bucket, req).await
}

pub(super) async fn bucket_versioning(
    s3: &Client,
    bucket: &str,
) -> Result<Option<String>, ApiError> {
    let req = s3.get_bucket_versioning().bucket(bucket).send();
    let out = S3.call("GetBucketVersioning", bucket, req).await?;
    Ok(out.status().map(|s| s.as_str().to_owned()))
}

pub(super) async fn enable_versioning(s3: &Client, bucket: &str) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
    let config = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::Enabled)
        .build();
    let req = s3
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(config)
        .send();
    S3.write("PutBucketVersioning", bucket, req).await
}

pub(super) async fn public_access_block(
    s3: &Client,
    bucket: &str,
) -> Result<Option<PublicAccessBlock>, ApiError> {
    let req = s3.get_public_access_block().bucket(bucket).send();
    let out = S3.find("GetPublicAccessBlock", bucket, req).await?;
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

pub(super) async fn block_public_access(s3: &Client, bucket: &str) -> Result<(), ApiError> {
    let config = aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    let req = s3
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(config)
        .send();
    S3.write("PutPublicAccessBlock", bucket, req).await
}

pub(super) async fn object_ownership(
    s3: &Client,
    bucket: &str,
) -> Result<Option<String>, ApiError> {
    let req = s3.get_bucket_ownership_controls().bucket(bucket).send();
    let out = S3.find("GetBucketOwnershipControls", bucket, req).await?;
    Ok(out.and_then(|o| {
        o.ownership_controls()?
            .rules()
            .first()
            .map(|r| r.object_ownership().as_str().to_owned())
    }))
}

pub(super) async fn enforce_bucket_owner(s3: &Client, bucket: &str) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{ObjectOwnership, OwnershipControls, OwnershipControlsRule};
    let op = "PutBucketOwnershipControls";
    let rule = OwnershipControlsRule::builder()
        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let controls = OwnershipControls::builder()
        .rules(rule)
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let req = s3
        .put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(controls)
        .send();
    S3.write(op, bucket, req).await
}

pub(super) async fn bucket_policy(s3: &Client, bucket: &str) -> Result<Option<String>, ApiError> {
    let req = s3.get_bucket_policy().bucket(bucket).send();
    let out = S3.find("GetBucketPolicy", bucket, req).await?;
    Ok(out.and_then(|o| o.policy().map(str::to_owned)))
}

pub(super) async fn put_bucket_policy(
    s3: &Client,
    bucket: &str,
    policy: &str,
) -> Result<(), ApiError> {
    let req = s3.put_bucket_policy().bucket(bucket).policy(policy).send();
    S3.write("PutBucketPolicy", bucket, req).await
}

pub(super) async fn bucket_tags(
    s3: &Client,
    bucket: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let req = s3.get_bucket_tagging().bucket(bucket).send();
    let out = S3.find("GetBucketTagging", bucket, req).await?;
    Ok(out
        .map(|o| {
            o.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()
        })
        .unwrap_or_default())
}

pub(super) async fn put_bucket_tags(
    s3: &Client,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let op = "PutBucketTagging";
    let tag_set = tags
        .iter()
        .map(|(k, v)| aws_sdk_s3::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(S3.unbuilt(op, bucket))?;
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let req = s3
        .put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send();
    S3.write(op, bucket, req).await
}

pub(super) async fn object_lock(
    s3: &Client,
    bucket: &str,
) -> Result<Option<ObjectLockConfig>, ApiError> {
    let req = s3.get_object_lock_configuration().bucket(bucket).send();
    let out = S3.find("GetObjectLockConfiguration", bucket, req).await?;
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

pub(super) async fn put_object_lock(
    s3: &Client,
    bucket: &str,
    mode: &str,
    days: i32,
) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{
        DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockRetentionMode,
        ObjectLockRule,
    };
    let retention = DefaultRetention::builder()
        .mode(ObjectLockRetentionMode::from(mode))
        .days(days)
        .build();
    let config = ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(
            ObjectLockRule::builder()
                .default_retention(retention)
                .build(),
        )
        .build();
    let req = s3
        .put_object_lock_configuration()
        .bucket(bucket)
        .object_lock_configuration(config)
        .send();
    S3.write("PutObjectLockConfiguration", bucket, req).await
}

pub(super) async fn bucket_logging(
    s3: &Client,
    bucket: &str,
) -> Result<Option<AccessLogTarget>, ApiError> {
    let req = s3.get_bucket_logging().bucket(bucket).send();
    let out = S3.call("GetBucketLogging", bucket, req).await?;
    Ok(out.logging_enabled().map(|l| AccessLogTarget {
        bucket: l.target_bucket().to_owned(),
        prefix: l.target_prefix().to_owned(),
    }))
}

pub(super) async fn put_bucket_logging(
    s3: &Client,
    bucket: &str,
    target: &AccessLogTarget,
) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{BucketLoggingStatus, LoggingEnabled};
    let op = "PutBucketLogging";
    let enabled = LoggingEnabled::builder()
        .target_bucket(&target.bucket)
        .target_prefix(&target.prefix)
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let status = BucketLoggingStatus::builder()
        .logging_enabled(enabled)
        .build();
    let req = s3
        .put_bucket_logging()
        .bucket(bucket)
        .bucket_logging_status(status)
        .send();
    S3.write(op, bucket, req).await
}

pub(super) async fn bucket_eventbridge(s3: &Client, bucket: &str) -> Result<bool, ApiError> {
    let req = s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send();
    let out = S3
        .call("GetBucketNotificationConfiguration", bucket, req)
        .await?;
    Ok(out.event_bridge_configuration().is_some())
}

pub(super) async fn enable_bucket_eventbridge(s3: &Client, bucket: &str) -> Result<(), ApiError> {
    use aws_sdk_s3::types::{EventBridgeConfiguration, NotificationConfiguration};
    // "Enabling Amazon EventBridge": an empty EventBridgeConfiguration turns delivery of all
    // the bucket's events on; S3 needs no permission to send to EventBridge
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-event-notifications-eventbridge.html,
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html). The call
    // replaces the whole notification configuration: the stack owns its buckets' one.
    let config = NotificationConfiguration::builder()
        .event_bridge_configuration(EventBridgeConfiguration::builder().build())
        .build();
    let req = s3
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(config)
        .send();
    S3.write("PutBucketNotificationConfiguration", bucket, req)
        .await
}

pub(super) async fn bucket_metrics_configuration(
    s3: &Client,
    bucket: &str,
    id: &str,
) -> Result<Option<bool>, ApiError> {
    let req = s3
        .get_bucket_metrics_configuration()
        .bucket(bucket)
        .id(id)
        .send();
    let out = S3
        .find("GetBucketMetricsConfiguration", bucket, req)
        .await?;
    Ok(out.map(|o| {
        o.metrics_configuration()
            .is_some_and(|c| c.filter().is_some())
    }))
}

pub(super) async fn put_bucket_metrics_configuration(
    s3: &Client,
    bucket: &str,
    id: &str,
) -> Result<(), ApiError> {
    let op = "PutBucketMetricsConfiguration";
    let config = aws_sdk_s3::types::MetricsConfiguration::builder()
        .id(id)
        .build()
        .map_err(S3.unbuilt(op, bucket))?;
    let req = s3
        .put_bucket_metrics_configuration()
        .bucket(bucket)
        .id(id)
        .metrics_configuration(config)
        .send();
    S3.write(op, bucket, req).await
}

pub(super) async fn delete_bucket_metrics_configuration(
    s3: &Client,
    bucket: &str,
    id: &str,
) -> Result<(), ApiError> {
    let req = s3
        .delete_bucket_metrics_configuration()
        .bucket(bucket)
        .id(id)
        .send();
    S3.write("DeleteBucketMetricsConfiguration", bucket, req)
        .await
}

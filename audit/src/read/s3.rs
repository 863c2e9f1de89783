//! S3 reads for the bucket rules (BB-05..BB-13, BB-45, BB-52): one call per property, run side
//! by side. "Not configured" error codes are answers, not failures (S3 API reference of each
//! operation, e.g. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
//! `ServerSideEncryptionConfigurationNotFoundError`; GetBucketLifecycleConfiguration
//! `NoSuchLifecycleConfiguration`; GetObjectLockConfiguration
//! `ObjectLockConfigurationNotFoundError`; GetBucketPolicy / GetBucketPolicyStatus
//! `NoSuchBucketPolicy`; GetPublicAccessBlock `NoSuchPublicAccessBlockConfiguration`;
//! GetBucketOwnershipControls `OwnershipControlsNotFoundError`).

use super::{describe, Reader};
use crate::inventory::{Bucket, Missing, Read};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use baseline_core::policy::PolicyDocument;

/// `Ok(absent)` when the error code says "not configured", else a failure.
fn absent_or<T, E, R>(op: &str, err: SdkError<E, R>, codes: &[&str], absent: T) -> Read<T>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.code() {
        Some(c) if codes.contains(&c) => Ok(absent),
        _ => Err(Missing::Failed(describe(op, &err))),
    }
}

impl Reader {
    /// Every property the bucket rules judge, for one bucket.
    pub(super) async fn bucket(&self, name: &str) -> Bucket {
        let s3 = &self.s3;
        let encryption = async {
            let _p = self.permit().await;
            match s3.get_bucket_encryption().bucket(name).send().await {
                Ok(o) => Ok(o
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| {
                        (
                            d.sse_algorithm().as_str().to_owned(),
                            d.kms_master_key_id().map(str::to_owned),
                        )
                    })),
                Err(e) => absent_or(
                    "s3:GetBucketEncryption",
                    e,
                    &["ServerSideEncryptionConfigurationNotFoundError"],
                    None,
                ),
            }
        };
        let lifecycle = async {
            let _p = self.permit().await;
            match s3
                .get_bucket_lifecycle_configuration()
                .bucket(name)
                .send()
                .await
            {
                Ok(o) => Ok(o.rules().iter().any(|r| {
                    r.status().as_str() == "Enabled"
                        && r.expiration()
                            .is_some_and(|x| x.days().is_some_and(|d| d > 0) || x.date().is_some())
                })),
                Err(e) => absent_or(
                    "s3:GetBucketLifecycleConfiguration",
                    e,
                    &["NoSuchLifecycleConfiguration"],
                    false,
                ),
            }
        };
        let logging = async {
            let _p = self.permit().await;
            s3.get_bucket_logging()
                .bucket(name)
                .send()
                .await
                .map(|o| o.logging_enabled().map(|l| l.target_bucket().to_owned()))
                .map_err(|e| Missing::Failed(describe("s3:GetBucketLogging", &e)))
        };
        let lock = async {
            let _p = self.permit().await;
            match s3.get_object_lock_configuration().bucket(name).send().await {
                Ok(o) => Ok(o
                    .object_lock_configuration()
                    .and_then(|c| c.object_lock_enabled())
                    .is_some_and(|e| e.as_str() == "Enabled")),
                Err(e) => absent_or(
                    "s3:GetObjectLockConfiguration",
                    e,
                    &["ObjectLockConfigurationNotFoundError"],
                    false,
                ),
            }
        };
        let versioning = async {
            let _p = self.permit().await;
            s3.get_bucket_versioning()
                .bucket(name)
                .send()
                .await
                .map(|o| {
                    (
                        o.status().map(|s| s.as_str().to_owned()),
                        o.mfa_delete().map(|s| s.as_str().to_owned()),
                    )
                })
                .map_err(|e| Missing::Failed(describe("s3:GetBucketVersioning", &e)))
        };
        let policy = async {
            let _p = self.permit().await;
            match s3.get_bucket_policy().bucket(name).send().await {
                Ok(o) => match o.policy() {
                    None | Some("") => Ok(None),
                    Some(text) => PolicyDocument::parse(text)
                        .map(Some)
                        .map_err(|e| Missing::Failed(format!("bucket policy did not parse: {e}"))),
                },
                Err(e) => absent_or("s3:GetBucketPolicy", e, &["NoSuchBucketPolicy"], None),
            }
        };
        let bpa = async {
            let _p = self.permit().await;
            match s3.get_public_access_block().bucket(name).send().await {
                Ok(o) => Ok(o.public_access_block_configuration().map(|c| {
                    [
                        c.block_public_acls().unwrap_or(false),
                        c.ignore_public_acls().unwrap_or(false),
                        c.block_public_policy().unwrap_or(false),
                        c.restrict_public_buckets().unwrap_or(false),
                    ]
                })),
                Err(e) => absent_or(
                    "s3:GetPublicAccessBlock",
                    e,
                    &["NoSuchPublicAccessBlockConfiguration"],
                    None,
                ),
            }
        };
        let ownership = async {
            let _p = self.permit().await;
            match s3.get_bucket_ownership_controls().bucket(name).send().await {
                Ok(o) => Ok(o
                    .ownership_controls()
                    .and_then(|c| c.rules().first())
                    .map(|r| r.object_ownership().as_str().to_owned())),
                Err(e) => absent_or(
                    "s3:GetBucketOwnershipControls",
                    e,
                    &["OwnershipControlsNotFoundError"],
                    None,
                ),
            }
        };
        let status = async {
            let _p = self.permit().await;
            match s3.get_bucket_policy_status().bucket(name).send().await {
                Ok(o) => Ok(o.policy_status().and_then(|s| s.is_public())),
                Err(e) => absent_or("s3:GetBucketPolicyStatus", e, &["NoSuchBucketPolicy"], None),
            }
        };
        let (
            encryption,
            lifecycle_expires,
            access_log_target,
            object_lock,
            versioning,
            policy,
            public_access_block,
            ownership,
            policy_public,
        ) = tokio::join!(
            encryption, lifecycle, logging, lock, versioning, policy, bpa, ownership, status
        );
        Bucket {
            name: name.to_owned(),
            encryption,
            lifecycle_expires,
            access_log_target,
            object_lock,
            versioning,
            policy,
            public_access_block,
            ownership,
            policy_public,
        }
    }
}

//! S3 reads for the bucket rules (BB-05..BB-13, BB-45, BB-52): one call per property, run side
//! by side. "Not configured" error codes are answers, not failures (S3 API reference of each
//! operation, e.g. https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
//! `ServerSideEncryptionConfigurationNotFoundError`; GetBucketLifecycleConfiguration
//! `NoSuchLifecycleConfiguration`; GetObjectLockConfiguration
//! `ObjectLockConfigurationNotFoundError`; GetBucketPolicy / GetBucketPolicyStatus
//! `NoSuchBucketPolicy`; GetPublicAccessBlock `NoSuchPublicAccessBlockConfiguration`;
//! GetBucketOwnershipControls `OwnershipControlsNotFoundError`).

use super::{describe, Reader};
use crate::inventory::{
    Bucket, DataSourceDetail, EvaluationJob, KnowledgeBase, LoggingConfig, Missing, Read,
    StackScope,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use baseline_core::policy::PolicyDocument;
use std::collections::BTreeSet;
use std::future::Future;

/// The buckets the S3 rules judge: the invocation-log buckets, the stack's log bucket, the
/// knowledge bases' data-source buckets and the evaluation jobs' output buckets.
pub(super) fn bucket_names(
    stack: Option<&StackScope>,
    logging: &Read<Option<LoggingConfig>>,
    knowledge_bases: &Read<Vec<KnowledgeBase>>,
    evaluation_jobs: &Read<Vec<EvaluationJob>>,
) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    if let Ok(Some(c)) = logging {
        names.extend(c.bucket.clone());
        names.extend(c.large_data_bucket.clone());
    }
    names.extend(stack.and_then(|s| s.log_bucket.clone()));
    for ds in knowledge_bases
        .iter()
        .flatten()
        .flat_map(|kb| kb.data_sources.iter().flatten())
    {
        if let Ok(DataSourceDetail {
            bucket_arn: Some(arn),
            ..
        }) = &ds.detail
        {
            names.insert(arn.trim_start_matches("arn:aws:s3:::").to_owned());
        }
    }
    for j in evaluation_jobs.iter().flatten() {
        if let Ok(Some(b)) = &j.output_bucket {
            names.insert(b.clone());
        }
    }
    names
}

impl Reader {
    /// One bucket property under the bound: `value` of the answer, or the property's default
    /// (none, off) when the error code is one of `absent` (the "not configured" answers), else a
    /// failure.
    async fn property<O, T: Default, E, R>(
        &self,
        op: &str,
        absent: &[&str],
        request: impl Future<Output = Result<O, SdkError<E, R>>>,
        value: impl FnOnce(O) -> Read<T>,
    ) -> Read<T>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let _p = self.permit().await;
        match request.await {
            Ok(o) => value(o),
            Err(e) => match e.code() {
                Some(c) if absent.contains(&c) => Ok(T::default()),
                _ => Err(Missing::Failed(describe(op, &e))),
            },
        }
    }

    /// Every property the bucket rules judge, for one bucket.
    pub(super) async fn bucket(&self, name: &str) -> Bucket {
        let s3 = &self.s3;
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
            self.property(
                "s3:GetBucketEncryption",
                &["ServerSideEncryptionConfigurationNotFoundError"],
                s3.get_bucket_encryption().bucket(name).send(),
                |o| Ok(o
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| {
                        (
                            d.sse_algorithm().as_str().to_owned(),
                            d.kms_master_key_id().map(str::to_owned),
                        )
                    })),
            ),
            self.property(
                "s3:GetBucketLifecycleConfiguration",
                &["NoSuchLifecycleConfiguration"],
                s3.get_bucket_lifecycle_configuration().bucket(name).send(),
                |o| Ok(o.rules().iter().any(|r| {
                    r.status().as_str() == "Enabled"
                        && r.expiration()
                            .is_some_and(|x| x.days().is_some_and(|d| d > 0) || x.date().is_some())
                })),
            ),
            self.property(
                "s3:GetBucketLogging",
                &[],
                s3.get_bucket_logging().bucket(name).send(),
                |o| Ok(o.logging_enabled().map(|l| l.target_bucket().to_owned())),
            ),
            self.property(
                "s3:GetObjectLockConfiguration",
                &["ObjectLockConfigurationNotFoundError"],
                s3.get_object_lock_configuration().bucket(name).send(),
                |o| Ok(o
                    .object_lock_configuration()
                    .and_then(|c| c.object_lock_enabled())
                    .is_some_and(|e| e.as_str() == "Enabled")),
            ),
            self.property(
                "s3:GetBucketVersioning",
                &[],
                s3.get_bucket_versioning().bucket(name).send(),
                |o| Ok((
                    o.status().map(|s| s.as_str().to_owned()),
                    o.mfa_delete().map(|s| s.as_str().to_owned()),
                )),
            ),
            self.property(
                "s3:GetBucketPolicy",
                &["NoSuchBucketPolicy"],
                s3.get_bucket_policy().bucket(name).send(),
                |o| match o.policy() {
                    None | Some("") => Ok(None),
                    Some(text) => PolicyDocument::parse(text)
                        .map(Some)
                        .map_err(|e| Missing::Failed(format!("bucket policy did not parse: {e}"))),
                },
            ),
            self.property(
                "s3:GetPublicAccessBlock",
                &["NoSuchPublicAccessBlockConfiguration"],
                s3.get_public_access_block().bucket(name).send(),
                |o| Ok(o.public_access_block_configuration().map(|c| {
                    [
                        c.block_public_acls().unwrap_or(false),
                        c.ignore_public_acls().unwrap_or(false),
                        c.block_public_policy().unwrap_or(false),
                        c.restrict_public_buckets().unwrap_or(false),
                    ]
                })),
            ),
            self.property(
                "s3:GetBucketOwnershipControls",
                &["OwnershipControlsNotFoundError"],
                s3.get_bucket_ownership_controls().bucket(name).send(),
                |o| Ok(o
                    .ownership_controls()
                    .and_then(|c| c.rules().first())
                    .map(|r| r.object_ownership().as_str().to_owned())),
            ),
            self.property(
                "s3:GetBucketPolicyStatus",
                &["NoSuchBucketPolicy"],
                s3.get_bucket_policy_status().bucket(name).send(),
                |o| Ok(o.policy_status().and_then(|s| s.is_public())),
            ),
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

//! Extensions: the key deletion window, S3 lifecycle, Object Lock, replication, the state backend.

use super::{arn_parts, is_bucket_name, is_region, Issues};
use crate::config::{Config, StateBackend};

impl Issues {
    pub(super) fn extensions(&mut self, c: &Config) {
        if !(7..=30).contains(&c.kms_deletion_window_days) {
            self.hint(
                "kms_deletion_window_days",
                format!("{} is out of range", c.kms_deletion_window_days),
                "KMS accepts 7 to 30 days",
            );
        }

        let lc = &c.s3_lifecycle;
        let ia = lc.transition_to_ia_days;
        let glacier = lc.transition_to_glacier_days;
        if ia != 0 && ia < 30 {
            self.hint(
                "s3_lifecycle.transition_to_ia_days",
                format!("{ia} days is too early"),
                "S3 requires at least 30 days before a STANDARD_IA transition (0 disables it)",
            );
        }
        if ia != 0 && glacier != 0 && glacier < ia + 30 {
            self.hint(
                "s3_lifecycle.transition_to_glacier_days",
                format!("{glacier} days is not at least 30 days after the STANDARD_IA transition ({ia})"),
                format!("S3 keeps objects 30 days in STANDARD_IA; use {} or more", ia + 30),
            );
        }
        let last_transition = ia.max(glacier);
        if lc.expiration_days != 0 && lc.expiration_days <= last_transition {
            self.hint(
                "s3_lifecycle.expiration_days",
                format!(
                    "{} days is not after the last transition ({last_transition})",
                    lc.expiration_days
                ),
                "expire after the transitions, or set 0 to never expire",
            );
        }

        // A default retention needs a mode and a period
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html); that page
        // names no upper bound, so only a zero period is rejected here.
        let lock = &c.s3_object_lock;
        if lock.enabled && lock.days == 0 {
            self.hint(
                "s3_object_lock.days",
                "0 days is no retention",
                "give at least 1 day, or set `s3_object_lock.enabled = false`",
            );
        }

        self.replication(c);

        let st = &c.state;
        match st.backend {
            StateBackend::Local => {
                if st.path.as_os_str().is_empty() {
                    self.hint("state.path", "must not be empty", "e.g. `.baseline/state`");
                }
            }
            StateBackend::S3 => {
                match &st.bucket {
                    None => self.hint("state.bucket", "is required for the s3 backend", "name an existing bucket"),
                    Some(b) if !is_bucket_name(b) => self.hint(
                        "state.bucket",
                        format!("`{b}` is not a valid bucket name"),
                        "3 to 63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit",
                    ),
                    Some(_) => {}
                }
                match &st.key {
                    None => self.hint(
                        "state.key",
                        "is required for the s3 backend",
                        "e.g. `bedrock-baseline/production.json`",
                    ),
                    Some(k) if k.is_empty() || k.starts_with('/') => self.hint(
                        "state.key",
                        format!("`{k}` is not a valid object key"),
                        "a non-empty key without a leading `/`",
                    ),
                    Some(_) => {}
                }
            }
        }
        if let Some(region) = &st.region {
            if !is_region(region) {
                self.hint(
                    "state.region",
                    format!("`{region}` is not a region name"),
                    "e.g. `us-east-1`",
                );
            }
        }
    }

    /// Cross-region replication: a destination bucket ARN and, as the log bucket is SSE-KMS,
    /// a key of another region to encrypt the replicas with ("Replicating encrypted objects",
    /// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html>:
    /// the replica key must be in the destination bucket's region).
    pub(super) fn replication(&mut self, c: &Config) {
        let r = &c.s3_replication;
        match (&r.destination_bucket_arn, &r.destination_kms_key_arn) {
            (None, None) => {}
            (None, Some(_)) => self.hint(
                "s3_replication.destination_kms_key_arn",
                "is set without a destination bucket",
                "set `s3_replication.destination_bucket_arn` too, or remove the key",
            ),
            (Some(bucket), key) => {
                let name = arn_parts(bucket, "s3")
                    .filter(|a| a.region.is_empty() && a.account.is_empty())
                    .map(|a| a.resource);
                match name {
                    Some(n) if is_bucket_name(n) => {
                        if !c.enable_s3_logging {
                            self.hint(
                                "s3_replication.destination_bucket_arn",
                                "replicates the log bucket, but enable_s3_logging is off",
                                "turn enable_s3_logging on, or unset s3_replication",
                            );
                        }
                    }
                    _ => self.hint(
                        "s3_replication.destination_bucket_arn",
                        format!("`{bucket}` is not an S3 bucket ARN"),
                        "arn:aws:s3:::<bucket-name> (a bucket ARN has no region and no account)",
                    ),
                }
                let key_path = "s3_replication.destination_kms_key_arn";
                match key.as_deref().map(|k| (k, arn_parts(k, "kms"))) {
                    None => self.hint(
                        key_path,
                        "is required with a destination bucket",
                        "the log bucket is SSE-KMS: name a customer-managed key of the destination region that encrypts the replicas",
                    ),
                    Some((k, Some(a)))
                        if a.account_ok()
                            && is_region(a.region)
                            && (a.resource.starts_with("key/") || a.resource.starts_with("alias/")) =>
                    {
                        if c.region.as_deref() == Some(a.region) {
                            self.hint(
                                key_path,
                                format!("`{k}` is in {}, the stack's own region", a.region),
                                "cross-region replication: the key and the destination bucket are in another region",
                            );
                        }
                    }
                    Some((k, _)) => self.hint(
                        key_path,
                        format!("`{k}` is not a KMS key or alias ARN"),
                        "arn:aws:kms:<region>:<account>:key/<key-id> (or alias/<name>)",
                    ),
                }
            }
        }
    }
}

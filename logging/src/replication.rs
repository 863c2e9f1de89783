//! Optional cross-region replication of the two audit buckets (`s3_replication`): the role
//! `<prefix>-s3-replication` that S3 assumes, and one replication rule `baseline-cross-region`
//! on the log bucket and on the access-log bucket, both to the configured destination bucket.
//!
//! - The role: "Setting up permissions for live replication", step 2 (S3 user guide,
//!   <https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html>)
//!   trusts `s3.amazonaws.com` and grants `s3:GetReplicationConfiguration` and `s3:ListBucket`
//!   on the source buckets, `s3:GetObjectVersionForReplication`, `GetObjectVersionAcl`,
//!   `GetObjectVersionTagging` on their objects, and `s3:ReplicateObject`, `ReplicateDelete`,
//!   `ReplicateTags` on the destination's objects. Object Lock on the source adds
//!   `s3:GetObjectRetention` and `s3:GetObjectLegalHold` ("Using Object Lock with S3
//!   Replication", <https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication>).
//!   Against the confused deputy the trust carries `aws:SourceAccount`. The page's trust
//!   example has no condition, and the S3 docs do not say which `aws:SourceArn` S3 sends when it
//!   assumes a replication role, so a SourceArn condition (which could stop replication) is
//!   left out rather than guessed.
//! - SSE-KMS: "Replicating encrypted objects" (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html>):
//!   the rule opts in with `SourceSelectionCriteria.SseKmsEncryptedObjects` and names the
//!   replica key (`ReplicaKmsKeyID`, a key of the destination region); the role may
//!   `kms:Decrypt` with the stack key and `kms:Encrypt` with the replica key, each only through
//!   S3 of that key's region (`kms:ViaService`) and for that bucket's objects
//!   (`kms:EncryptionContext:aws:s3:arn`: the bucket ARN, which is the context with an S3
//!   Bucket Key as the log bucket has, and `<bucket>/*` for objects without one). The stack
//!   key's policy delegates to IAM (account root), so the role's grant is what counts.
//! - Delete markers are not replicated: a delete in the source must not remove the copy.
//! - The destination bucket (versioned, with Object Lock when the log bucket has it) is the
//!   user's: the stack never creates, changes or deletes it.
//! - Found again by name (role) and rule id (configuration). The configurations go before the
//!   role on removal, so a missing role means no configuration of the stack is left: a stack
//!   without replication reads only `GetRole`.

use crate::api::{BucketReplication, LoggingApi, ReplicationRuleInfo};
use crate::bucket::BucketSpec;
use crate::role::{self, ObservedRole, RoleSpec};
use crate::LoggingError;
use baseline_core::config::ConfigIssue;
use baseline_core::ids::KmsKeyArn;
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::{AwsContext, Change, Config, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Address of the replication role.
pub(crate) const ROLE: &str = "logging.replication_role";
/// Address of its inline policy.
pub(crate) const ROLE_POLICY: &str = "logging.replication_role_policy";
/// The id of the stack's one rule in each bucket's replication configuration.
pub(crate) const RULE_ID: &str = "baseline-cross-region";
/// The log bucket's replication configuration.
pub(crate) const BUCKET_REPLICATION: &str = "logging.bucket_replication";
/// The access-log bucket's replication configuration.
pub(crate) const ACCESS_LOG_BUCKET_REPLICATION: &str = "logging.access_log_bucket_replication";

/// One bucket that replicates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplicationSource {
    /// `logging.bucket_replication` or `logging.access_log_bucket_replication`.
    pub(crate) address: &'static str,
    /// The source bucket's name.
    pub(crate) bucket: String,
    /// The configuration the stack wants on it (`None`: none of the stack's).
    pub(crate) wanted: Option<BucketReplication>,
}

/// Desired replication.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplicationSpec {
    /// `s3_replication.destination_bucket_arn` is set.
    pub(crate) enabled: bool,
    /// `<prefix>-s3-replication` (always named, so a switched-off stack finds it).
    pub(crate) role: RoleSpec,
    /// The log bucket, then the access-log bucket.
    pub(crate) sources: Vec<ReplicationSource>,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservedReplication {
    /// The replication role.
    pub role: Option<ObservedRole>,
    /// Each source's configuration, in the spec's order (`None`: none, or not read).
    pub configs: Vec<Option<BucketReplication>>,
}

/// What the role policy is built from.
pub(crate) struct ReplicationGrant<'a> {
    pub(crate) partition: &'a str,
    pub(crate) region: &'a str,
    /// Source buckets (names) and whether each has Object Lock.
    pub(crate) sources: &'a [(&'a str, bool)],
    /// Destination bucket ARN.
    pub(crate) destination_bucket_arn: &'a str,
    /// The stack key (SSE-KMS log bucket), when known.
    pub(crate) source_key_arn: Option<&'a str>,
    /// The replica key, in the destination region.
    pub(crate) destination_key_arn: Option<&'a str>,
}

/// Trust: S3, for this account only.
pub fn replication_trust_policy(account_id: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow("S3AssumeForReplication")
        .service_principal("s3.amazonaws.com")
        .actions(["sts:AssumeRole"])
        .condition("StringEquals", "aws:SourceAccount", [account_id])])
}

/// The region of a KMS key ARN (`arn:p:kms:<region>:...`).
fn key_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// The role's inline policy: read the sources, replicate into the destination, and the two
/// key uses, nothing else.
pub(crate) fn replication_role_policy(g: &ReplicationGrant<'_>) -> PolicyDocument {
    let p = g.partition;
    let bucket_arn = |b: &str| format!("arn:{p}:s3:::{b}");
    let mut statements = vec![
        Statement::allow("ReadSourceReplicationConfiguration")
            .actions(["s3:GetReplicationConfiguration", "s3:ListBucket"])
            .resources(g.sources.iter().map(|(b, _)| bucket_arn(b))),
        Statement::allow("ReadSourceObjectVersions")
            .actions([
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
            ])
            .resources(
                g.sources
                    .iter()
                    .map(|(b, _)| format!("{}/*", bucket_arn(b))),
            ),
    ];
    let locked: Vec<String> = g
        .sources
        .iter()
        .filter(|(_, lock)| *lock)
        .map(|(b, _)| format!("{}/*", bucket_arn(b)))
        .collect();
    if !locked.is_empty() {
        statements.push(
            Statement::allow("ReadSourceObjectLock")
                .actions(["s3:GetObjectRetention", "s3:GetObjectLegalHold"])
                .resources(locked),
        );
    }
    let dest = g.destination_bucket_arn;
    statements.push(
        Statement::allow("ReplicateToDestination")
            .actions([
                "s3:ReplicateObject",
                "s3:ReplicateDelete",
                "s3:ReplicateTags",
            ])
            .resources([format!("{dest}/*")]),
    );
    if let Some(key) = g.source_key_arn {
        // Only the SSE-KMS log bucket (the first source) uses the stack key.
        let log_bucket = bucket_arn(g.sources.first().map_or("", |(b, _)| *b));
        statements.push(
            Statement::allow("DecryptSourceObjects")
                .actions(["kms:Decrypt"])
                .resources([key])
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    [format!("s3.{}.amazonaws.com", g.region)],
                )
                .condition(
                    "StringLike",
                    "kms:EncryptionContext:aws:s3:arn",
                    [log_bucket.clone(), format!("{log_bucket}/*")],
                ),
        );
    }
    if let Some(key) = g.destination_key_arn {
        statements.push(
            Statement::allow("EncryptReplicas")
                .actions(["kms:Encrypt"])
                .resources([key])
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    [format!(
                        "s3.{}.amazonaws.com",
                        key_region(key).unwrap_or(g.region)
                    )],
                )
                .condition(
                    "StringLike",
                    "kms:EncryptionContext:aws:s3:arn",
                    [dest.to_owned(), format!("{dest}/*")],
                ),
        );
    }
    PolicyDocument::new(statements)
}

/// The configuration the stack puts on one source bucket: one rule, every object, SSE-KMS
/// objects too when the bucket is SSE-KMS (with the replica key).
pub(crate) fn desired_configuration(
    role_arn: &str,
    destination_bucket_arn: &str,
    replica_key: Option<&str>,
) -> BucketReplication {
    BucketReplication {
        role: role_arn.to_owned(),
        rules: vec![ReplicationRuleInfo {
            id: RULE_ID.to_owned(),
            status: "Enabled".to_owned(),
            priority: Some(1),
            prefix: String::new(),
            destination_bucket: destination_bucket_arn.to_owned(),
            replica_kms_key_id: replica_key.map(str::to_owned),
            sse_kms_encrypted_objects: replica_key.is_some(),
            delete_marker_replication: false,
        }],
    }
}

/// Whether a configuration carries the stack's rule.
fn is_ours(c: &BucketReplication) -> bool {
    c.rules.iter().any(|r| r.id == RULE_ID)
}

fn view(bucket: &str, c: &BucketReplication) -> Value {
    json!({"bucket": bucket, "role": c.role, "rules": c.rules})
}

/// The resource kind: a bucket's replication configuration.
pub(crate) struct S3BucketReplication;

/// One write on a replication configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum ReplicationOp {
    /// PutBucketReplication with the wanted configuration.
    Put,
    /// DeleteBucketReplication.
    Delete,
}

impl ResourceKind for S3BucketReplication {
    const KIND: &'static str = "s3_bucket_replication_configuration";
    type Desired<'a> = ReplicationSource;
    type Current = BucketReplication;
    type Op = ReplicationOp;

    fn plan(
        address: &str,
        s: &ReplicationSource,
        current: Option<&BucketReplication>,
    ) -> Planned<ReplicationOp> {
        match (&s.wanted, current) {
            (Some(want), None) => Planned::new(
                Change::create(address, Self::KIND, &view(&s.bucket, want)).with_note(
                    "replicates objects written from now on (existing ones need S3 Batch Replication); the destination must be versioned, and have Object Lock when this bucket has it",
                ),
                vec![ReplicationOp::Put],
            ),
            (Some(want), Some(have)) => {
                let change = Change::compare(
                    address,
                    Self::KIND,
                    &view(&s.bucket, have),
                    &view(&s.bucket, want),
                    &[],
                );
                if !change.is_change() {
                    return Planned::noop(change);
                }
                let change = if is_ours(have) {
                    change
                } else {
                    change.with_note(
                        "replaces the bucket's replication configuration, which is not this stack's",
                    )
                };
                Planned::new(change, vec![ReplicationOp::Put])
            }
            (None, Some(have)) if is_ours(have) => Planned::new(
                Change::delete(address, Self::KIND, &view(&s.bucket, have)),
                vec![ReplicationOp::Delete],
            ),
            (None, Some(_)) => Planned::noop(Change::noop(address, Self::KIND).with_note(
                "the bucket's replication configuration is not this stack's: left alone",
            )),
            (None, None) => Planned::noop(Change::noop(address, Self::KIND)),
        }
    }
}

/// Reads the role and, when replication is on or its role is left over, the sources'
/// configurations (of the buckets that exist).
pub(crate) async fn observe(
    api: &dyn LoggingApi,
    spec: &ReplicationSpec,
    role: Option<ObservedRole>,
    buckets_exist: &[bool],
) -> Result<ObservedReplication, LoggingError> {
    if !spec.enabled && role.is_none() {
        return Ok(ObservedReplication {
            role,
            configs: vec![None; spec.sources.len()],
        });
    }
    let reads = spec
        .sources
        .iter()
        .zip(
            buckets_exist
                .iter()
                .copied()
                .chain(std::iter::repeat(false)),
        )
        .map(|(s, exists)| async move {
            if exists {
                api.bucket_replication(&s.bucket).await
            } else {
                Ok(None)
            }
        });
    let configs = futures::future::try_join_all(reads).await?;
    Ok(ObservedReplication { role, configs })
}

fn plans(spec: &ReplicationSpec, observed: &ObservedReplication) -> Vec<Planned<ReplicationOp>> {
    spec.sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            S3BucketReplication::plan(
                s.address,
                s,
                observed.configs.get(i).and_then(Option::as_ref),
            )
        })
        .collect()
}

/// The plan of role and configurations (nothing when neither is wanted nor exists).
pub(crate) fn diff(spec: &ReplicationSpec, observed: &ObservedReplication) -> Vec<Change> {
    let mut changes = role::changes(&spec.role, observed.role.as_ref(), (ROLE, ROLE_POLICY));
    changes.extend(
        plans(spec, observed)
            .into_iter()
            .filter(|p| p.is_change() || p.change.note.is_some() || spec.enabled)
            .map(Planned::shown),
    );
    changes
}

async fn execute(
    api: &dyn LoggingApi,
    s: &ReplicationSource,
    planned: &Planned<ReplicationOp>,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    for op in &planned.ops {
        let step = Step::start(progress, s.address, planned.change.action);
        match (op, &s.wanted) {
            (ReplicationOp::Put, Some(want)) => {
                api.put_bucket_replication(&s.bucket, want).await?;
                step.exists(format!("{}:{RULE_ID}", s.bucket));
            }
            // Planned only with a wanted configuration.
            (ReplicationOp::Put, None) => {}
            (ReplicationOp::Delete, _) => match api.delete_bucket_replication(&s.bucket).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            },
        }
        step.done();
    }
    Ok(())
}

/// Converges the role, then the configurations that name it; when switched off, the
/// configurations go first, then the role.
pub(crate) async fn apply(
    api: &dyn LoggingApi,
    spec: &ReplicationSpec,
    observed: &ObservedReplication,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    role::converge(
        api,
        &spec.role,
        observed.role.as_ref(),
        (ROLE, ROLE_POLICY),
        progress,
    )
    .await?;
    for (s, planned) in spec.sources.iter().zip(plans(spec, observed)) {
        execute(api, s, &planned, progress).await?;
    }
    if let (false, Some(found)) = (spec.enabled, &observed.role) {
        role::remove(api, &spec.role.name, found, (ROLE, ROLE_POLICY), progress).await?;
    }
    Ok(())
}

/// The destroy plan: the stack's configurations and the role (the buckets are planned with the
/// audit data).
pub(crate) fn destroy_plan(spec: &ReplicationSpec, observed: &ObservedReplication) -> Vec<Change> {
    let mut changes: Vec<Change> = destroy_plans(spec, observed)
        .into_iter()
        .filter(Planned::is_change)
        .map(Planned::shown)
        .collect();
    if let Some(found) = &observed.role {
        changes.extend(role::deletes(&spec.role, found, (ROLE, ROLE_POLICY)));
    }
    changes
}

fn destroy_plans(
    spec: &ReplicationSpec,
    observed: &ObservedReplication,
) -> Vec<Planned<ReplicationOp>> {
    spec.sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let unwanted = ReplicationSource {
                wanted: None,
                ..s.clone()
            };
            S3BucketReplication::plan(
                s.address,
                &unwanted,
                observed.configs.get(i).and_then(Option::as_ref),
            )
        })
        .collect()
}

/// Removes the stack's configurations (the buckets stay: audit data), then the role.
pub(crate) async fn destroy(
    api: &dyn LoggingApi,
    spec: &ReplicationSpec,
    observed: &ObservedReplication,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    for (s, planned) in spec.sources.iter().zip(destroy_plans(spec, observed)) {
        execute(api, s, &planned, progress).await?;
    }
    if let Some(found) = &observed.role {
        role::remove(api, &spec.role.name, found, (ROLE, ROLE_POLICY), progress).await?;
    }
    Ok(())
}

/// The replication role and the two buckets' configurations (`s3_replication`). The replica
/// key must be of another region than the stack (config validation says so when `region` is
/// set; here the region may come from the credential chain).
pub(crate) fn spec(
    ctx: &AwsContext,
    config: &Config,
    stack_key: Option<&KmsKeyArn>,
    (bucket, access_log_bucket): (&BucketSpec, &BucketSpec),
    tags: &BTreeMap<String, String>,
) -> Result<ReplicationSpec, LoggingError> {
    let naming = ctx.naming();
    let r = &config.s3_replication;
    let enabled = r.enabled() && bucket.enabled;
    let destination = r.destination_bucket_arn.clone().unwrap_or_default();
    let replica_key = r.destination_kms_key_arn.as_deref();
    if let Some(key) = replica_key.filter(|_| enabled) {
        if key.split(':').nth(3) == Some(ctx.region()) {
            return Err(LoggingError::Precondition(PreconditionFailed {
                issues: vec![ConfigIssue {
                    path: "s3_replication.destination_kms_key_arn".into(),
                    message: format!("`{key}` is in {}, the stack's own region", ctx.region()),
                    hint: Some("cross-region replication: the key and the destination bucket are in another region".into()),
                }],
            }));
        }
    }
    let name = naming.name("s3-replication", 64);
    let arn = ctx.iam_arn(&format!("role/{name}"));
    let mut sources = vec![(bucket.name.as_str(), bucket.object_lock.is_some())];
    if access_log_bucket.enabled {
        sources.push((access_log_bucket.name.as_str(), false));
    }
    let policy = replication_role_policy(&ReplicationGrant {
        partition: ctx.partition(),
        region: ctx.region(),
        sources: &sources,
        destination_bucket_arn: &destination,
        source_key_arn: stack_key.map(KmsKeyArn::as_str),
        destination_key_arn: replica_key,
    });
    let wanted =
        |on: bool, key: Option<&str>| on.then(|| desired_configuration(&arn, &destination, key));
    Ok(ReplicationSpec {
        enabled,
        sources: vec![
            ReplicationSource {
                address: BUCKET_REPLICATION,
                bucket: bucket.name.clone(),
                wanted: wanted(enabled, replica_key),
            },
            ReplicationSource {
                address: ACCESS_LOG_BUCKET_REPLICATION,
                bucket: access_log_bucket.name.clone(),
                // SSE-S3: replicated without a KMS key.
                wanted: wanted(enabled && access_log_bucket.enabled, None),
            },
        ],
        role: RoleSpec {
            description: format!(
                "bedrock-baseline {}: lets Amazon S3 replicate the audit buckets to {destination}",
                naming.stack()
            ),
            trust_policy: replication_trust_policy(ctx.account_id()),
            policy,
            permissions_boundary_arn: role::boundary(config),
            tags: tags.clone(),
            enabled,
            name,
            arn,
        },
    })
}

#[cfg(test)]
mod tests;

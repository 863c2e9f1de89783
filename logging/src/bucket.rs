//! The two stack buckets, the log bucket and the access-log bucket: their desired settings
//! (pure: lifecycle rules, Object Lock, the JSON views the plan compares), observe, plan, and
//! the apply and destroy steps over [`LoggingApi`].
//!
//! Settings that S3 keeps in separate sub-resources (encryption, versioning, public-access
//! block, ownership controls, lifecycle, tags, Object Lock, access logging, EventBridge) are
//! attributes of one address, `logging.bucket`, and apply writes only the ones that differ. The
//! policy is its own resource (`crate::bucket_policy`).

use crate::api::{
    AccessLogTarget, BucketEncryption, LifecycleRule, LifecycleTransition, LoggingApi,
    ObjectLockConfig, PublicAccessBlock,
};
use crate::bucket_policy::{self, S3BucketPolicy};
use crate::{check_owner, LoggingError, KEPT_AUDIT_DATA, KNOWN_AFTER_APPLY};
use baseline_core::aws::ServiceErrorKind;
use baseline_core::config::{Config, ConfigIssue, S3Lifecycle};
use baseline_core::policy::PolicyDocument;
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::resource::{without_reserved_tags, Planned, ResourceKind, Step};
use baseline_core::{Action, AwsContext, Change, DestroyOptions, Progress, ProgressEvent};
use empty::empty_and_delete;
pub(crate) use empty::refuse_compliance_locked;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Id of the one lifecycle rule this module writes.
pub(crate) const LIFECYCLE_RULE_ID: &str = "baseline-invocation-logs";

/// Desired log bucket.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BucketSpec {
    /// Bucket name (always set, so destroy finds a bucket left from an earlier config).
    pub(crate) name: String,
    /// `arn:<partition>:s3:::<name>`.
    pub(crate) arn: String,
    /// Region to create it in.
    pub(crate) region: String,
    /// `enable_s3_logging`.
    pub(crate) enabled: bool,
    /// The bucket policy.
    pub(crate) policy: PolicyDocument,
    /// Lifecycle rules (empty when every lifecycle step is 0).
    pub(crate) lifecycle_rules: Vec<LifecycleRule>,
    /// Tags, stack tags included.
    pub(crate) tags: BTreeMap<String, String>,
    /// SSE-KMS with the stack's key (`false`: SSE-S3, for the access-log bucket, because server
    /// access logs can be delivered only to SSE-S3 buckets:
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    pub(crate) sse_kms: bool,
    /// S3 Object Lock default retention (`None`: off). Never on the access-log bucket: "S3
    /// buckets with Object Lock can't be used as destination buckets for server access logs"
    /// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html).
    pub(crate) object_lock: Option<ObjectLockSpec>,
    /// Where the bucket's server access logs go (`None`: not logged).
    pub(crate) access_log: Option<AccessLogTarget>,
    /// `s3_event_notifications`: S3 delivers the bucket's events to EventBridge. Chosen over an
    /// SNS destination because it needs no grant to S3 on a topic or on the key (S3 needs no
    /// permission to send to EventBridge:
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html) and a rule can
    /// route the deletions to the critical topic through the grant EventBridge already has.
    pub(crate) eventbridge: bool,
}

/// Desired S3 Object Lock default retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectLockSpec {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub(crate) mode: String,
    /// Days of default retention.
    pub(crate) days: i32,
}

/// The lifecycle rules for `s3_lifecycle`: one rule over the whole bucket, each step left out
/// when its day count is 0; no rule at all when every step is 0.
pub fn lifecycle_rules(lc: &S3Lifecycle) -> Vec<LifecycleRule> {
    let days = |d: u32| (d > 0).then(|| i32::try_from(d).unwrap_or(i32::MAX));
    let mut transitions = Vec::new();
    if let Some(d) = days(lc.transition_to_ia_days) {
        transitions.push(LifecycleTransition {
            days: d,
            storage_class: "STANDARD_IA".into(),
        });
    }
    if let Some(d) = days(lc.transition_to_glacier_days) {
        transitions.push(LifecycleTransition {
            days: d,
            storage_class: "GLACIER".into(),
        });
    }
    transitions.sort_by_key(|t| t.days);
    let rule = LifecycleRule {
        id: LIFECYCLE_RULE_ID.into(),
        status: "Enabled".into(),
        prefix: String::new(),
        transitions,
        expiration_days: days(lc.expiration_days),
        noncurrent_version_expiration_days: days(lc.noncurrent_version_expiration_days),
    };
    let empty = rule.transitions.is_empty()
        && rule.expiration_days.is_none()
        && rule.noncurrent_version_expiration_days.is_none();
    if empty {
        Vec::new()
    } else {
        vec![rule]
    }
}

/// What the plan shows for the bucket as specified. `kms_key_arn` is `None` before the key
/// exists.
pub(crate) fn desired_view(spec: &BucketSpec, kms_key_arn: Option<&str>) -> Value {
    let encryption = if spec.sse_kms {
        json!({
            "sse_algorithm": "aws:kms",
            "kms_master_key_id": kms_key_arn.unwrap_or(KNOWN_AFTER_APPLY),
            "bucket_key_enabled": true,
        })
    } else {
        json!({"sse_algorithm": "AES256", "kms_master_key_id": null, "bucket_key_enabled": false})
    };
    let mut view = json!({
        "name": spec.name,
        "encryption": encryption,
        "versioning": "Enabled",
        "public_access_block": PublicAccessBlock::ALL,
        "object_ownership": "BucketOwnerEnforced",
        "lifecycle_rules": spec.lifecycle_rules,
        "tags": spec.tags,
    });
    if let Some(lock) = &spec.object_lock {
        view["object_lock"] = json!({"enabled": true, "mode": lock.mode, "days": lock.days});
    }
    if let Some(target) = &spec.access_log {
        view["access_logging"] = json!(target);
    }
    if spec.eventbridge {
        view["event_notifications"] = json!({"eventbridge": true});
    }
    view
}

/// True when Object Lock is wanted but the existing bucket does not have it: it is turned on
/// only at creation, so apply leaves it and the plan says so.
pub(crate) fn lock_missing_on_existing(spec: &BucketSpec, b: &ObservedBucket) -> bool {
    spec.object_lock.is_some() && !b.object_lock.as_ref().is_some_and(|l| l.enabled)
}

fn lock_view(l: &ObjectLockConfig) -> Value {
    json!({"enabled": l.enabled, "mode": l.mode, "days": l.days})
}

/// The same view of the bucket as it is. Attributes the spec does not manage (Object Lock when
/// off, or on an existing bucket without it; access logging when off) are left out.
pub(crate) fn observed_view(spec: &BucketSpec, b: &ObservedBucket) -> Value {
    let mut view = observed_base_view(&spec.name, b);
    if spec.object_lock.is_some() && !lock_missing_on_existing(spec, b) {
        view["object_lock"] = b.object_lock.as_ref().map(lock_view).into();
    }
    if spec.access_log.is_some() {
        view["access_logging"] = json!(b.access_log);
    }
    if spec.eventbridge {
        view["event_notifications"] = json!({"eventbridge": b.eventbridge});
    }
    view
}

/// What the plan compares for an existing bucket as specified (see [`observed_view`]).
pub(crate) fn desired_view_for(
    spec: &BucketSpec,
    b: &ObservedBucket,
    kms_key_arn: Option<&str>,
) -> Value {
    let mut view = desired_view(spec, kms_key_arn);
    if lock_missing_on_existing(spec, b) {
        if let Some(map) = view.as_object_mut() {
            map.remove("object_lock");
        }
    }
    view
}

fn observed_base_view(name: &str, b: &ObservedBucket) -> Value {
    json!({
        "name": name,
        "encryption": b.encryption.as_ref().map(|e| json!({
            "sse_algorithm": e.sse_algorithm,
            "kms_master_key_id": e.kms_master_key_id,
            "bucket_key_enabled": e.bucket_key_enabled,
        })),
        "versioning": b.versioning,
        "public_access_block": b.public_access_block,
        "object_ownership": b.object_ownership,
        "lifecycle_rules": b.lifecycle_rules,
        "tags": b.tags,
    })
}

/// What exists of a bucket.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservedBucket {
    /// Default encryption.
    pub encryption: Option<BucketEncryption>,
    /// Versioning status.
    pub versioning: Option<String>,
    /// Public-access block.
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object ownership setting.
    pub object_ownership: Option<String>,
    /// Lifecycle rules.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// Bucket policy text.
    pub policy: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// S3 Object Lock (`None`: not enabled).
    pub object_lock: Option<ObjectLockConfig>,
    /// Server access logging target (`None`: off).
    pub access_log: Option<AccessLogTarget>,
    /// Event delivery to EventBridge is on.
    pub eventbridge: bool,
}

/// The log bucket and the access-log bucket of the stack, from the config.
pub(crate) fn specs(
    ctx: &AwsContext,
    config: &Config,
    tags: &BTreeMap<String, String>,
) -> (BucketSpec, BucketSpec) {
    let naming = ctx.naming();
    let (p, acct, region) = (ctx.partition(), ctx.account_id(), ctx.region());
    let bucket_name = naming.log_bucket(acct, region);
    let access_log_name = baseline_core::naming::fit(
        &format!("{}-access-logs-{acct}-{region}", naming.stack()),
        63,
    );
    let access_logging = config.enable_s3_logging && config.s3_access_logging;
    let access_log_bucket = BucketSpec {
        policy: bucket_policy::access_log_bucket_policy(p, acct, &access_log_name, &bucket_name),
        arn: format!("arn:{p}:s3:::{access_log_name}"),
        name: access_log_name,
        region: region.to_owned(),
        enabled: access_logging,
        lifecycle_rules: lifecycle_rules(&config.s3_lifecycle),
        tags: tags.clone(),
        sse_kms: false,
        object_lock: None,
        access_log: None,
        eventbridge: config.s3_event_notifications,
    };
    let lock = &config.s3_object_lock;
    let bucket = BucketSpec {
        policy: bucket_policy::bucket_policy(p, acct, region, &bucket_name, &config.s3_log_prefix),
        access_log: access_logging.then(|| AccessLogTarget {
            bucket: access_log_bucket.name.clone(),
            prefix: format!("{bucket_name}/"),
        }),
        arn: format!("arn:{p}:s3:::{bucket_name}"),
        name: bucket_name,
        region: region.to_owned(),
        enabled: config.enable_s3_logging,
        lifecycle_rules: lifecycle_rules(&config.s3_lifecycle),
        tags: tags.clone(),
        sse_kms: true,
        eventbridge: config.s3_event_notifications,
        object_lock: lock.enabled.then(|| ObjectLockSpec {
            mode: lock.mode.as_str().to_owned(),
            days: i32::try_from(lock.days).unwrap_or(i32::MAX),
        }),
    };
    (bucket, access_log_bucket)
}

/// Reads every setting of a bucket at once; `None` when it does not exist.
pub(crate) async fn observe(
    api: &dyn LoggingApi,
    b: &BucketSpec,
    stack: &str,
) -> Result<Option<ObservedBucket>, LoggingError> {
    if !exists(api, b).await? {
        return Ok(None);
    }
    read(api, b, stack).await.map(Some)
}

/// HeadBucket. A name that another account holds (403) fails as a precondition while the
/// bucket is wanted.
pub(crate) async fn exists(api: &dyn LoggingApi, b: &BucketSpec) -> Result<bool, LoggingError> {
    let name = b.name.as_str();
    match api.bucket_exists(name).await {
        Ok(exists) => Ok(exists),
        Err(e) if e.kind == ServiceErrorKind::AccessDenied && b.enabled => {
            Err(LoggingError::Precondition(PreconditionFailed {
                issues: vec![ConfigIssue {
                    path: "enable_s3_logging".into(),
                    message: format!("the log bucket name {name} is taken by another account, or this account may not read it ({})", e.detail),
                    hint: Some("bucket names are global: change `project` or `environment`, or grant s3:ListBucket on it".into()),
                }],
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// Every setting of a bucket that exists, read at once.
pub(crate) async fn read(
    api: &dyn LoggingApi,
    b: &BucketSpec,
    stack: &str,
) -> Result<ObservedBucket, LoggingError> {
    let name = b.name.as_str();
    let (
        encryption,
        versioning,
        public_access_block,
        object_ownership,
        lifecycle_rules,
        policy,
        tags,
        object_lock,
        access_log,
        eventbridge,
    ) = futures::try_join!(
        api.bucket_encryption(name),
        api.bucket_versioning(name),
        api.public_access_block(name),
        api.object_ownership(name),
        api.lifecycle_rules(name),
        api.bucket_policy(name),
        api.bucket_tags(name),
        api.object_lock(name),
        api.bucket_logging(name),
        api.bucket_eventbridge(name),
    )?;
    check_owner("s3 bucket", name, &tags, stack)?;
    Ok(ObservedBucket {
        encryption,
        versioning,
        public_access_block,
        object_ownership,
        lifecycle_rules,
        policy,
        // AWS's own tags are not compared (they are never the stack's), and PutTags keeps them.
        tags: without_reserved_tags(tags),
        object_lock,
        access_log,
        eventbridge,
    })
}

/// The plan note on Object Lock of a bucket to create, or of an existing one without it.
fn object_lock_note(lock: &ObjectLockSpec, existing: bool) -> String {
    if existing {
        // S3 now also accepts PutObjectLockConfiguration on an existing versioned bucket
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html),
        // but it is irreversible and leaves every version written before it unlocked, so this
        // tool turns it on only when it creates the bucket.
        return format!(
            "S3 Object Lock is off on this existing bucket and is turned on only at creation: recreate the bucket (destroy --delete-audit-data, then apply) or turn it on by hand ({} {} days)",
            lock.mode, lock.days
        );
    }
    let mode = if lock.mode == "COMPLIANCE" {
        "COMPLIANCE: nobody, root included, can delete or overwrite a log version before its retention ends, and destroy refuses to delete the bucket until then"
    } else {
        "GOVERNANCE: only a principal with s3:BypassGovernanceRetention can delete a version early (destroy --delete-audit-data does, explicitly)"
    };
    format!(
        "S3 Object Lock is turned on at creation (it cannot be turned on later without recreating the bucket, nor ever off): each log version is retained {} days, {mode}",
        lock.days
    )
}

/// One write on a bucket's settings, decided by [`S3Bucket::plan`] and run in the order
/// planned by `settings::execute` (one write after another: S3 may refuse concurrent
/// configuration changes to one bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum BucketOp {
    /// CreateBucket in the stack's region, with Object Lock when the spec asks for it (an
    /// AlreadyExists answer is this stack's bucket from an interrupted apply: converged on).
    Create,
    /// PutPublicAccessBlock, all four settings on.
    BlockPublicAccess,
    /// PutBucketOwnershipControls BucketOwnerEnforced (ACLs off).
    EnforceBucketOwner,
    /// PutBucketEncryption: SSE-KMS with the stack's key and a bucket key, or SSE-S3.
    PutEncryption,
    /// PutBucketVersioning Enabled.
    EnableVersioning,
    /// PutObjectLockConfiguration with the spec's default retention.
    PutObjectLock,
    /// PutBucketLifecycleConfiguration with the spec's rules.
    PutLifecycle,
    /// DeleteBucketLifecycle (the spec has no rule left).
    DeleteLifecycle,
    /// PutBucketNotificationConfiguration with EventBridge delivery on.
    EnableEventBridge,
    /// PutBucketTagging with the spec's tags, plus the AWS-reserved tags the bucket already has
    /// (read again first, unless the bucket was just created): the call replaces the whole set,
    /// and S3 refuses one that drops a reserved tag.
    PutTags,
    /// PutBucketLogging to the access-log bucket (waits until that bucket and its policy are
    /// in place).
    PutLogging,
}

/// A stack bucket as the config wants it, with the key it is encrypted with (`None` while the
/// key is still to be created).
pub(crate) struct BucketDesired<'a> {
    /// The bucket.
    pub spec: &'a BucketSpec,
    /// The stack key's ARN.
    pub key: Option<&'a str>,
}

/// The resource kind of a stack bucket's settings (its policy is [`S3BucketPolicy`]'s):
/// create with every setting, or the writes of the attributes whose view differs.
pub(crate) struct S3Bucket;

impl ResourceKind for S3Bucket {
    const KIND: &'static str = "s3_bucket";
    type Desired<'a> = BucketDesired<'a>;
    type Current = ObservedBucket;
    type Op = BucketOp;

    fn plan(
        address: &str,
        d: &BucketDesired<'_>,
        observed: Option<&ObservedBucket>,
    ) -> Planned<BucketOp> {
        use BucketOp as Op;
        let (b, key) = (d.spec, d.key);
        let Some(found) = observed else {
            let create = Change::create(address, S3Bucket::KIND, &desired_view(b, key));
            let create = match &b.object_lock {
                Some(lock) => create.with_note(object_lock_note(lock, false)),
                None => create,
            };
            // Public access is blocked before anything else is written to the bucket.
            let ops = [Op::Create, Op::BlockPublicAccess, Op::EnforceBucketOwner]
                .into_iter()
                .chain([Op::PutEncryption, Op::EnableVersioning])
                .chain(b.object_lock.as_ref().map(|_| Op::PutObjectLock))
                .chain((!b.lifecycle_rules.is_empty()).then_some(Op::PutLifecycle))
                .chain(b.eventbridge.then_some(Op::EnableEventBridge))
                .chain([Op::PutTags])
                // Last, as it may wait for the access-log bucket.
                .chain(b.access_log.as_ref().map(|_| Op::PutLogging))
                .collect();
            return Planned::new(create, ops);
        };
        let (current, desired) = (observed_view(b, found), desired_view_for(b, found, key));
        let settings = Change::compare(address, S3Bucket::KIND, &current, &desired, &[]);
        let settings = match &b.object_lock {
            Some(lock) if lock_missing_on_existing(b, found) => {
                settings.with_note(object_lock_note(lock, true))
            }
            _ => settings,
        };
        let differs = |attr: &str| current.get(attr) != desired.get(attr);
        let lifecycle = if b.lifecycle_rules.is_empty() {
            Op::DeleteLifecycle
        } else {
            Op::PutLifecycle
        };
        // Attributes the spec does not manage are left out of both views (see `observed_view`),
        // so each differing attribute has its write.
        let ops = [
            ("public_access_block", Op::BlockPublicAccess),
            ("object_ownership", Op::EnforceBucketOwner),
            ("encryption", Op::PutEncryption),
            ("versioning", Op::EnableVersioning),
            ("object_lock", Op::PutObjectLock),
            ("event_notifications", Op::EnableEventBridge),
            ("lifecycle_rules", lifecycle),
            ("tags", Op::PutTags),
            ("access_logging", Op::PutLogging),
        ]
        .into_iter()
        .filter(|(attr, _)| differs(attr))
        .map(|(_, op)| op)
        .collect();
        Planned::new(settings, ops)
    }
}

/// The changes of one bucket and its policy: its settings first, then its policy.
pub(crate) fn changes(
    (address, policy_address): (&str, &str),
    b: &BucketSpec,
    observed: Option<&ObservedBucket>,
    key: Option<&str>,
    off_note: &str,
) -> Vec<Change> {
    if !b.enabled {
        return observed
            .map(|_| Change::noop(address, S3Bucket::KIND).with_note(off_note))
            .into_iter()
            .collect();
    }
    vec![
        S3Bucket::plan(address, &BucketDesired { spec: b, key }, observed).shown(),
        S3BucketPolicy::plan(policy_address, b, observed).shown(),
    ]
}

/// Resolves once the access-log bucket (the target of this bucket's server access logs) exists
/// with its policy: S3 checks both on PutBucketLogging, so only that write waits for it.
pub(crate) type TargetReady = futures::channel::oneshot::Receiver<()>;

/// Runs one bucket's planned settings, then its policy's, with their progress events.
pub(crate) async fn converge(
    api: &dyn LoggingApi,
    b: &BucketSpec,
    (settings, policy): (&Planned<BucketOp>, &Planned<bucket_policy::BucketPolicyOp>),
    (key, target_ready): (&str, Option<TargetReady>),
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    if !b.enabled {
        return Ok(());
    }
    if settings.is_change() {
        let address = settings.change.address.as_str();
        let step = Step::start(progress, address, settings.change.action);
        settings::execute(api, b, &settings.ops, key, target_ready, address, progress).await?;
        step.done();
    }
    bucket_policy::apply(api, b, policy, progress).await
}

/// What destroy does to one bucket: kept unless `--delete-audit-data`; then emptied (GOVERNANCE
/// retention bypassed explicitly) and deleted, or refused under COMPLIANCE retention.
pub(crate) fn destroy_plan(
    (address, policy_address): (&str, &str),
    b: &BucketSpec,
    found: Option<&ObservedBucket>,
    options: DestroyOptions,
) -> Vec<Change> {
    let Some(found) = found else {
        return Vec::new();
    };
    let bucket = if options.delete_audit_data {
        let lock = found.object_lock.as_ref().filter(|l| l.enabled);
        let note = match lock.and_then(|l| l.mode.as_deref()) {
            Some("COMPLIANCE") => format!(
                "COMPLIANCE-mode Object Lock ({} days after each write): destroy refuses while any version is still retained and names the date it ends",
                lock.and_then(|l| l.days).unwrap_or_default()
            ),
            Some(_) => "emptied first, bypassing GOVERNANCE-mode retention explicitly (x-amz-bypass-governance-retention; needs s3:BypassGovernanceRetention): every object version and delete marker".to_owned(),
            None => "emptied first: every object version and delete marker".to_owned(),
        };
        Change::delete(address, S3Bucket::KIND, &observed_view(b, found)).with_note(note)
    } else {
        Change::noop(address, S3Bucket::KIND).with_note(KEPT_AUDIT_DATA)
    };
    let policy = bucket_policy::destroy_change(policy_address, b, found, options.delete_audit_data);
    std::iter::once(bucket).chain(policy).collect()
}

/// Empties and deletes a bucket that exists, its policy with it.
pub(crate) async fn destroy(
    api: &dyn LoggingApi,
    b: &BucketSpec,
    (address, policy_address): (&str, &str),
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let step = Step::start(progress, address, Action::Delete);
    empty_and_delete(api, &b.name).await?;
    // The policy goes with the bucket.
    progress.event(ProgressEvent::Gone {
        address: policy_address.into(),
    });
    step.done();
    Ok(())
}

mod empty;
mod settings;

#[cfg(test)]
mod tests;

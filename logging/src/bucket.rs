//! The S3 log bucket: its desired settings (pure: bucket policy, lifecycle rules, the JSON views
//! the plan compares), and the apply and destroy steps over [`LoggingApi`].
//!
//! Settings that S3 keeps in separate sub-resources (encryption, versioning, public-access
//! block, ownership controls, lifecycle, tags) are attributes of one address, `logging.bucket`,
//! and apply writes only the ones that differ. The policy is its own address,
//! `logging.bucket_policy`, because it is what a reviewer reads.

use crate::api::{
    AccessLogTarget, LifecycleRule, LifecycleTransition, LoggingApi, ObjectLockConfig,
    PublicAccessBlock,
};
use crate::module::{policy_view, ObservedBucket, KNOWN_AFTER_APPLY};
use crate::LoggingError;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::config::S3Lifecycle;
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::{Progress, ProgressEvent};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

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

/// The two statements both stack buckets start with: no plain HTTP, no TLS before 1.2.
fn tls_only(bucket_arn: &str) -> [Statement; 2] {
    let resources = [bucket_arn.to_owned(), format!("{bucket_arn}/*")];
    [
        Statement::deny("DenyInsecureTransport")
            .any_principal()
            .actions(["s3:*"])
            .resources(resources.clone())
            .condition("Bool", "aws:SecureTransport", ["false"]),
        Statement::deny("DenyOutdatedTls")
            .any_principal()
            .actions(["s3:*"])
            .resources(resources)
            .condition("NumericLessThan", "s3:TlsVersion", ["1.2"]),
    ]
}

/// The policy of the access-log bucket: TLS only, and the S3 logging service may put objects
/// under `<source bucket>/` for that one source bucket of this account. The grant and its
/// `aws:SourceArn`/`aws:SourceAccount` conditions are the ones S3 documents for log delivery
/// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html,
/// "Grant permissions to the logging service principal by using a bucket policy").
pub(crate) fn access_log_bucket_policy(
    partition: &str,
    account_id: &str,
    bucket: &str,
    source_bucket: &str,
) -> PolicyDocument {
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    let [insecure, outdated] = tls_only(&bucket_arn);
    PolicyDocument::new(vec![
        insecure,
        outdated,
        Statement::allow("AllowS3ServerAccessLogs")
            .service_principal("logging.s3.amazonaws.com")
            .actions(["s3:PutObject"])
            .resources([format!("{bucket_arn}/{source_bucket}/*")])
            .condition("StringEquals", "aws:SourceAccount", [account_id])
            .condition(
                "ArnLike",
                "aws:SourceArn",
                [format!("arn:{partition}:s3:::{source_bucket}")],
            ),
    ])
}

/// The bucket policy: TLS only (1.2 or later), and Bedrock may put invocation logs under
/// `log_prefix`, for this account's Bedrock only.
pub fn bucket_policy(
    partition: &str,
    account_id: &str,
    region: &str,
    bucket: &str,
    log_prefix: &str,
) -> PolicyDocument {
    let bucket_arn = format!("arn:{partition}:s3:::{bucket}");
    let [insecure, outdated] = tls_only(&bucket_arn);
    PolicyDocument::new(vec![
        insecure,
        outdated,
        Statement::allow("AllowBedrockInvocationLogs")
            .service_principal("bedrock.amazonaws.com")
            .actions(["s3:PutObject"])
            .resources([format!("{bucket_arn}/{log_prefix}*")])
            .condition("StringEquals", "aws:SourceAccount", [account_id])
            .condition(
                "ArnLike",
                "aws:SourceArn",
                [format!("arn:{partition}:bedrock:{region}:{account_id}:*")],
            ),
    ])
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

/// The policy as the plan shows it (normalised, so order never shows as a change).
pub(crate) fn desired_policy_view(spec: &BucketSpec) -> Value {
    json!({"bucket": spec.name, "policy": policy_view(&spec.policy)})
}

/// The observed policy: parsed and normalised, or the raw text when it is not a policy.
pub(crate) fn observed_policy_view(name: &str, policy: Option<&str>) -> Value {
    let policy = policy.map(|text| match PolicyDocument::parse(text) {
        Ok(doc) => policy_view(&doc),
        Err(_) => Value::String(text.to_owned()),
    });
    json!({"bucket": name, "policy": policy})
}

/// True when `attr` differs between two views.
pub(crate) fn differs(before: &Value, after: &Value, attr: &str) -> bool {
    before.get(attr) != after.get(attr)
}

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

/// Converges the bucket's settings (not its policy). `observed` is `None` when the bucket does
/// not exist: it is created (reported as existing at once), then every setting is written.
pub(crate) async fn apply_settings(
    api: &dyn LoggingApi,
    spec: &BucketSpec,
    observed: Option<&ObservedBucket>,
    kms_key_arn: &str,
    address: &str,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let name = spec.name.as_str();
    let Some(found) = observed else {
        match api
            .create_bucket(name, &spec.region, spec.object_lock.is_some())
            .await
        {
            // Created by an earlier, interrupted apply after this one observed: converge it.
            Err(e) if e.kind == ServiceErrorKind::AlreadyExists => {}
            other => other?,
        }
        progress.event(ProgressEvent::Exists {
            address: address.into(),
            id: spec.arn.clone(),
        });
        // Public access is blocked before anything else is written to the bucket.
        settle(|| api.block_public_access(name)).await?;
        settle(|| api.enforce_bucket_owner(name)).await?;
        if spec.sse_kms {
            settle(|| api.put_bucket_encryption(name, kms_key_arn)).await?;
        } else {
            settle(|| api.put_bucket_encryption_s3(name)).await?;
        }
        settle(|| api.enable_versioning(name)).await?;
        if let Some(lock) = &spec.object_lock {
            settle(|| api.put_object_lock(name, &lock.mode, lock.days)).await?;
        }
        if !spec.lifecycle_rules.is_empty() {
            settle(|| api.put_lifecycle_rules(name, &spec.lifecycle_rules)).await?;
        }
        if let Some(target) = &spec.access_log {
            settle(|| api.put_bucket_logging(name, target)).await?;
        }
        if spec.eventbridge {
            settle(|| api.enable_bucket_eventbridge(name)).await?;
        }
        settle(|| api.put_bucket_tags(name, &spec.tags)).await?;
        return Ok(());
    };
    let desired = desired_view_for(spec, found, Some(kms_key_arn));
    let current = observed_view(spec, found);
    if differs(&current, &desired, "public_access_block") {
        api.block_public_access(name).await?;
    }
    if differs(&current, &desired, "object_ownership") {
        api.enforce_bucket_owner(name).await?;
    }
    if differs(&current, &desired, "encryption") {
        if spec.sse_kms {
            api.put_bucket_encryption(name, kms_key_arn).await?;
        } else {
            api.put_bucket_encryption_s3(name).await?;
        }
    }
    if differs(&current, &desired, "versioning") {
        api.enable_versioning(name).await?;
    }
    // Only a bucket that has Object Lock gets its default retention changed (see
    // `desired_view_for`).
    if let (true, Some(lock)) = (
        differs(&current, &desired, "object_lock"),
        &spec.object_lock,
    ) {
        api.put_object_lock(name, &lock.mode, lock.days).await?;
    }
    if let (true, Some(target)) = (
        differs(&current, &desired, "access_logging"),
        &spec.access_log,
    ) {
        api.put_bucket_logging(name, target).await?;
    }
    if spec.eventbridge && differs(&current, &desired, "event_notifications") {
        api.enable_bucket_eventbridge(name).await?;
    }
    if differs(&current, &desired, "lifecycle_rules") {
        if spec.lifecycle_rules.is_empty() {
            api.delete_lifecycle(name).await?;
        } else {
            api.put_lifecycle_rules(name, &spec.lifecycle_rules).await?;
        }
    }
    if differs(&current, &desired, "tags") {
        api.put_bucket_tags(name, &spec.tags).await?;
    }
    Ok(())
}

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
pub(crate) async fn empty_and_delete(
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

#[cfg(test)]
mod tests {
    use super::*;
    use baseline_core::policy::Effect;

    fn policy() -> PolicyDocument {
        bucket_policy(
            "aws",
            "123456789012",
            "us-east-1",
            "demo-prod-bedrock-logs-123456789012-us-east-1",
            "invocations/",
        )
    }

    #[test]
    fn policy_denies_plain_http_and_old_tls_on_bucket_and_objects() {
        let doc = policy();
        let tls = doc.statement("DenyInsecureTransport").unwrap();
        assert_eq!(tls.effect, Effect::Deny);
        assert_eq!(
            tls.condition_values("Bool", "aws:SecureTransport")
                .unwrap()
                .0,
            vec!["false"]
        );
        assert_eq!(tls.resource.as_ref().unwrap().0.len(), 2);
        let old = doc.statement("DenyOutdatedTls").unwrap();
        assert_eq!(old.effect, Effect::Deny);
        assert_eq!(
            old.condition_values("NumericLessThan", "s3:TlsVersion")
                .unwrap()
                .0,
            vec!["1.2"]
        );
    }

    #[test]
    fn bedrock_may_only_put_under_the_prefix_for_this_account() {
        let doc = policy();
        let st = doc.statement("AllowBedrockInvocationLogs").unwrap();
        assert_eq!(st.action.as_ref().unwrap().0, vec!["s3:PutObject"]);
        assert_eq!(
            st.resource.as_ref().unwrap().0,
            vec!["arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/invocations/*"]
        );
        assert_eq!(
            st.condition_values("StringEquals", "aws:SourceAccount")
                .unwrap()
                .0,
            vec!["123456789012"]
        );
        assert_eq!(
            st.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
            vec!["arn:aws:bedrock:us-east-1:123456789012:*"]
        );
        assert!(!doc.has_wildcard_allow());
    }

    #[test]
    fn policy_read_back_from_s3_is_equivalent() {
        // S3 returns the policy re-serialised: one-element lists as strings, keys reordered.
        let text = r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"AllowBedrockInvocationLogs","Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},
           "Action":"s3:PutObject","Resource":"arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/invocations/*",
           "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock:us-east-1:123456789012:*"},"StringEquals":{"aws:SourceAccount":"123456789012"}}},
          {"Sid":"DenyOutdatedTls","Effect":"Deny","Principal":"*","Action":"s3:*",
           "Resource":["arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/*","arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1"],
           "Condition":{"NumericLessThan":{"s3:TlsVersion":1.2}}},
          {"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
           "Resource":["arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1","arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/*"],
           "Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
        let mut ours = policy();
        ours.statement.sort_by(|a, b| a.sid.cmp(&b.sid));
        let mut theirs = PolicyDocument::parse(text).unwrap();
        theirs.statement.sort_by(|a, b| a.sid.cmp(&b.sid));
        assert!(ours.equivalent(&theirs));
    }

    #[test]
    fn lifecycle_follows_config_and_zero_turns_a_step_off() {
        let lc = S3Lifecycle {
            transition_to_ia_days: 30,
            transition_to_glacier_days: 0,
            expiration_days: 400,
            noncurrent_version_expiration_days: 0,
        };
        let rules = lifecycle_rules(&lc);
        assert_eq!(rules.len(), 1);
        assert_eq!(
            rules[0].transitions,
            vec![LifecycleTransition {
                days: 30,
                storage_class: "STANDARD_IA".into()
            }]
        );
        assert_eq!(rules[0].expiration_days, Some(400));
        assert_eq!(rules[0].noncurrent_version_expiration_days, None);
        let off = S3Lifecycle {
            transition_to_ia_days: 0,
            transition_to_glacier_days: 0,
            expiration_days: 0,
            noncurrent_version_expiration_days: 0,
        };
        assert!(lifecycle_rules(&off).is_empty());
    }

    #[test]
    fn default_lifecycle_has_both_transitions_and_both_expiries() {
        let rules = lifecycle_rules(&S3Lifecycle::default());
        let classes: Vec<_> = rules[0]
            .transitions
            .iter()
            .map(|t| t.storage_class.as_str())
            .collect();
        assert_eq!(classes, vec!["STANDARD_IA", "GLACIER"]);
        assert!(
            rules[0].expiration_days.is_some()
                && rules[0].noncurrent_version_expiration_days.is_some()
        );
    }
}

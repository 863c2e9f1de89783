//! The policies of the two stack buckets (`logging.bucket_policy`,
//! `logging.access_log_bucket_policy`): what they say (pure), the views the plan compares, and
//! the Put that converges them. A bucket policy is its own address because it is what a
//! reviewer reads.

use crate::api::LoggingApi;
use crate::bucket::{BucketSpec, ObservedBucket};
use crate::{policy_view, LoggingError};
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::{Change, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

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
    tls_and_service_put(
        &format!("arn:{partition}:s3:::{bucket}"),
        ("AllowS3ServerAccessLogs", "logging.s3.amazonaws.com"),
        &format!("{source_bucket}/"),
        account_id,
        &format!("arn:{partition}:s3:::{source_bucket}"),
    )
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
    tls_and_service_put(
        &format!("arn:{partition}:s3:::{bucket}"),
        ("AllowBedrockInvocationLogs", "bedrock.amazonaws.com"),
        log_prefix,
        account_id,
        &format!("arn:{partition}:bedrock:{region}:{account_id}:*"),
    )
}

/// What both stack bucket policies say: TLS only, and one service principal (`sid`, `service`)
/// may put objects under `key_prefix`, only on behalf of `account_id` and `source_arn` (both
/// confused-deputy conditions).
fn tls_and_service_put(
    bucket_arn: &str,
    (sid, service): (&str, &str),
    key_prefix: &str,
    account_id: &str,
    source_arn: &str,
) -> PolicyDocument {
    let [insecure, outdated] = tls_only(bucket_arn);
    PolicyDocument::new(vec![
        insecure,
        outdated,
        Statement::allow(sid)
            .service_principal(service)
            .actions(["s3:PutObject"])
            .resources([format!("{bucket_arn}/{key_prefix}*")])
            .condition("StringEquals", "aws:SourceAccount", [account_id])
            .condition("ArnLike", "aws:SourceArn", [source_arn]),
    ])
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

/// One write on a bucket's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum BucketPolicyOp {
    /// PutBucketPolicy.
    Put,
}

/// The resource kind of a stack bucket's policy, planned while its bucket is managed: created
/// with a new bucket, else compared.
pub(crate) struct S3BucketPolicy;

impl ResourceKind for S3BucketPolicy {
    const KIND: &'static str = "s3_bucket_policy";
    type Desired<'a> = BucketSpec;
    type Current = ObservedBucket;
    type Op = BucketPolicyOp;

    fn plan(
        address: &str,
        b: &BucketSpec,
        found: Option<&ObservedBucket>,
    ) -> Planned<BucketPolicyOp> {
        let want = desired_policy_view(b);
        let change = match found {
            None => Change::create(address, Self::KIND, &want),
            Some(found) => {
                let before = found
                    .policy
                    .as_ref()
                    .map(|text| observed_policy_view(&b.name, Some(text)));
                Change::converge(address, Self::KIND, before.as_ref(), &want, &[])
            }
        };
        let ops = if change.is_change() {
            vec![BucketPolicyOp::Put]
        } else {
            Vec::new()
        };
        Planned::new(change, ops)
    }
}

/// What destroy does to the policy of a bucket that exists: deleted with it, or kept with it.
pub(crate) fn destroy_change(
    address: &str,
    b: &BucketSpec,
    found: &ObservedBucket,
    delete: bool,
) -> Option<Change> {
    let text = found.policy.as_deref()?;
    Some(if delete {
        Change::delete(
            address,
            S3BucketPolicy::KIND,
            &observed_policy_view(&b.name, Some(text)),
        )
    } else {
        Change::noop(address, S3BucketPolicy::KIND).with_note("kept with the bucket")
    })
}

/// Puts the policy when the plan says so.
pub(crate) async fn apply(
    api: &dyn LoggingApi,
    b: &BucketSpec,
    planned: &Planned<BucketPolicyOp>,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    api.put_bucket_policy(&b.name, &b.policy.to_json()).await?;
    step.exists(&b.name);
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

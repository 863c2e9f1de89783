//! S3 buckets (BB-05..BB-12): the invocation-log bucket (the stack's, or the one logging names),
//! plus the judges BB-13 (large-payload bucket), BB-45 (knowledge-base sources) and BB-52
//! (evaluation output) reuse. Each property is one judge over a [`Bucket`].

use super::logging::logging_resource;
use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-05",
        title: "Invocation-log bucket is encrypted by default with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_model_invocation_logs_encryption_enabled", "prowler:s3_bucket_kms_encryption", "aiml-assessment:BR-12", "config:S3_DEFAULT_ENCRYPTION_KMS", "checkov:CKV_AWS_145", "sra:bedrock_org/bedrock-s3-logging"],
        frameworks: LOG_ENCRYPTION,
        remediation: "Set `enable_s3_logging = true` (the stack's log bucket uses its CMK) and apply; \
            outside a stack s3:PutBucketEncryption with SSEAlgorithm aws:kms and a customer-managed key.",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"],
        check: check_encryption,
    },
    Rule {
        id: "BB-06",
        title: "Invocation-log bucket has a lifecycle rule that expires objects",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-s3-logging", "prowler:s3_bucket_lifecycle_enabled", "config:S3_LIFECYCLE_POLICY_CHECK", "checkov:CKV2_AWS_61"],
        frameworks: LOGGING,
        remediation: "Set `s3_lifecycle.expiration_days` > 0 and apply; outside a stack \
            s3:PutBucketLifecycleConfiguration with an Expiration rule.",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html"],
        check: check_lifecycle,
    },
    Rule {
        id: "BB-07",
        title: "Invocation-log bucket has server access logging",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-s3-logging", "prowler:s3_bucket_server_access_logging_enabled", "config:S3_BUCKET_LOGGING_ENABLED", "checkov:CKV_AWS_18"],
        frameworks: LOGGING,
        remediation: "Set `s3_access_logging = true` and apply; outside a stack s3:PutBucketLogging.",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html"],
        check: check_access_logging,
    },
    Rule {
        id: "BB-08",
        title: "Invocation-log bucket has S3 Object Lock",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-s3-logging", "prowler:s3_bucket_object_lock", "config:S3_BUCKET_DEFAULT_LOCK_ENABLED", "checkov:CKV_AWS_143"],
        frameworks: &[SOC2_CC7_2, HIPAA_INTEGRITY, ISO_LOGGING],
        remediation: "Set `s3_object_lock.enabled = true` (a new bucket: Object Lock is set at creation) \
            and apply; outside a stack create the bucket with ObjectLockEnabledForBucket.",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html"],
        check: check_object_lock,
    },
    Rule {
        id: "BB-09",
        title: "Invocation-log bucket has versioning (and MFA delete)",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-s3-logging", "prowler:s3_bucket_object_versioning", "prowler:s3_bucket_no_mfa_delete", "config:S3_BUCKET_VERSIONING_ENABLED", "checkov:CKV_AWS_21"],
        frameworks: &[SOC2_CC7_2, HIPAA_INTEGRITY, ISO_LOGGING],
        remediation: "Apply the stack (its log bucket is versioned); outside a stack \
            s3:PutBucketVersioning Status Enabled. MFA delete can only be turned on by the root \
            user with its MFA device (manual step).",
        docs: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html",
        ],
        check: check_versioning,
    },
    Rule {
        id: "BB-10",
        title: "Invocation-log bucket policy denies requests without TLS",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:s3_bucket_secure_transport_policy", "config:S3_BUCKET_SSL_REQUESTS_ONLY", "checkov:CKV_AWS_379"],
        frameworks: &[SOC2_CC6_7, HIPAA_TRANSMISSION, ISO_CRYPTO, GDPR_SECURITY],
        remediation: "Apply the stack (its bucket policy denies aws:SecureTransport false); outside a \
            stack add a Deny on s3:* with Bool aws:SecureTransport \"false\".",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"],
        check: check_secure_transport,
    },
    Rule {
        id: "BB-11",
        title: "Invocation-log bucket blocks public access",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:s3_bucket_level_public_access_block", "prowler:s3_account_level_public_access_blocks", "config:S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED", "checkov:CKV2_AWS_6", "checkov:CKV_AWS_53", "checkov:CKV_AWS_54", "checkov:CKV_AWS_55", "checkov:CKV_AWS_56"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Apply the stack (its buckets block all public access); outside a stack \
            s3:PutPublicAccessBlock with all four flags true.",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"],
        check: check_public_access_block,
    },
    Rule {
        id: "BB-12",
        title: "Invocation-log bucket is not public and has ACLs disabled",
        severity: Severity::Critical,
        scope: Scope::Stack,
        sources: &["prowler:s3_bucket_public_access", "prowler:s3_bucket_policy_public_write_access", "prowler:s3_bucket_acl_prohibited", "config:S3_BUCKET_ACL_PROHIBITED", "config:S3_BUCKET_PUBLIC_READ_PROHIBITED", "config:S3_BUCKET_PUBLIC_WRITE_PROHIBITED", "checkov:CKV2_AWS_65"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "Apply the stack (BucketOwnerEnforced, no public grant); outside a stack \
            s3:PutBucketOwnershipControls BucketOwnerEnforced and remove public policy statements.",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html"],
        check: check_not_public,
    },
];

type Judge = fn(&Inventory, &Bucket) -> (Status, String);

/// The invocation-log buckets BB-05..BB-12 judge, or the one finding that replaces them.
fn log_buckets<'a>(rule: &Rule, inv: &'a Inventory) -> Result<Vec<&'a Bucket>, Vec<Finding>> {
    let res = logging_resource(inv);
    let names: Vec<String> = match scope_name(inv) {
        Some(stack) => match &stack.log_bucket {
            None => {
                return Err(vec![rule.finding(
                    res,
                    Status::Fail,
                    format!(
                        "stack {} deploys no invocation-log bucket (`enable_s3_logging = false`)",
                        stack.stack
                    ),
                )])
            }
            Some(b) => vec![b.clone()],
        },
        None => match &inv.logging {
            Err(m) => {
                return Err(vec![rule.missing(
                    res,
                    "bedrock:GetModelInvocationLoggingConfiguration",
                    m,
                )])
            }
            Ok(None) => {
                return Err(vec![rule.finding(
                    res,
                    Status::NotApplicable,
                    "invocation logging is off (see BB-01)",
                )])
            }
            Ok(Some(c)) => match &c.bucket {
                None => {
                    return Err(vec![rule.finding(
                        res,
                        Status::NotApplicable,
                        "invocation logging does not deliver to S3",
                    )])
                }
                Some(b) => vec![b.clone()],
            },
        },
    };
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for n in names {
        let bucket_res = format!("arn:{}:s3:::{n}", inv.partition);
        match inv.more.buckets.get(&n) {
            None => {
                missing.push(rule.finding(bucket_res, Status::Unknown, "the bucket was not read"))
            }
            Some(Err(m)) => missing.push(rule.missing(bucket_res, "S3 bucket reads", m)),
            Some(Ok(b)) => out.push(b),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

fn per_log_bucket(rule: &Rule, inv: &Inventory, judge: Judge) -> Vec<Finding> {
    match log_buckets(rule, inv) {
        Err(f) => f,
        Ok(buckets) => buckets
            .into_iter()
            .map(|b| {
                let (status, reason) = judge(inv, b);
                rule.finding(
                    format!("arn:{}:s3:::{}", inv.partition, b.name),
                    status,
                    reason,
                )
            })
            .collect(),
    }
}

fn unread(what: &str, m: &Missing) -> (Status, String) {
    match m {
        Missing::NotOffered(r) => (Status::NotApplicable, format!("{what}: {r}")),
        Missing::Failed(r) => (Status::Unknown, format!("{what} could not be read: {r}")),
    }
}

// Default encryption with SSE-KMS under a customer-managed key: SSE-S3 and aws/s3 fail (BR-12).
fn encryption_cmk(inv: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.encryption {
        Err(m) => unread("s3:GetBucketEncryption", m),
        Ok(None) => (Status::Fail, "no default encryption".into()),
        Ok(Some((algo, key))) if algo.starts_with("aws:kms") => match key {
            None => (
                Status::Fail,
                format!("{algo} with the AWS managed key aws/s3"),
            ),
            Some(k) => cmk(inv, k),
        },
        Ok(Some((algo, _))) => (
            Status::Fail,
            format!("default encryption {algo}, not SSE-KMS"),
        ),
    }
}

/// Any default encryption (SRA's KB and evaluation bucket checks).
fn encryption_any(_: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.encryption {
        Err(m) => unread("s3:GetBucketEncryption", m),
        Ok(None) => (Status::Fail, "no default encryption".into()),
        Ok(Some((algo, _))) => (Status::Pass, format!("default encryption {algo}")),
    }
}

fn lifecycle(_: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.lifecycle_expires {
        Err(m) => unread("s3:GetBucketLifecycleConfiguration", m),
        Ok(true) => (
            Status::Pass,
            "an enabled lifecycle rule expires objects".into(),
        ),
        Ok(false) => (
            Status::Fail,
            "no enabled lifecycle rule with Expiration".into(),
        ),
    }
}

fn access_logging(_: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.access_log_target {
        Err(m) => unread("s3:GetBucketLogging", m),
        Ok(Some(t)) => (Status::Pass, format!("server access logs to {t}")),
        Ok(None) => (Status::Fail, "server access logging is off".into()),
    }
}

fn object_lock(_: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.object_lock {
        Err(m) => unread("s3:GetObjectLockConfiguration", m),
        Ok(true) => (Status::Pass, "Object Lock enabled".into()),
        Ok(false) => (Status::Fail, "Object Lock is not enabled".into()),
    }
}

fn versioning(_: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.versioning {
        Err(m) => unread("s3:GetBucketVersioning", m),
        Ok((Some(s), _)) if s == "Enabled" => (Status::Pass, "versioning Enabled".into()),
        Ok((s, _)) => (
            Status::Fail,
            format!("versioning {}", s.as_deref().unwrap_or("never enabled")),
        ),
    }
}

// A Deny with Bool aws:SecureTransport "false" covering s3:* or *
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html).
fn secure_transport(_: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.policy {
        Err(m) => unread("s3:GetBucketPolicy", m),
        Ok(None) => (Status::Fail, "no bucket policy".into()),
        Ok(Some(doc)) => {
            let denies = doc.statement.iter().any(|s| {
                s.effect == Effect::Deny
                    && s.action.as_ref().is_some_and(|a| {
                        a.0.iter()
                            .any(|x| x == "*" || x == "s3:*" || x == "s3:PutObject")
                    })
                    && s.condition_values("Bool", "aws:SecureTransport")
                        .is_some_and(|v| v.0.iter().any(|x| x == "false"))
            });
            if denies {
                (
                    Status::Pass,
                    "policy denies aws:SecureTransport false".into(),
                )
            } else {
                (Status::Fail, "no Deny on aws:SecureTransport false".into())
            }
        }
    }
}

// IgnorePublicAcls + RestrictPublicBuckets at bucket level (Prowler); the account-level block
// (s3control:GetPublicAccessBlock) is not read, so a bucket without them is UNKNOWN, not FAIL.
fn public_access_block(_: &Inventory, b: &Bucket) -> (Status, String) {
    match &b.public_access_block {
        Err(m) => unread("s3:GetPublicAccessBlock", m),
        Ok(Some(flags)) if flags.iter().all(|f| *f) => {
            (Status::Pass, "all four public access block flags on".into())
        }
        Ok(Some([_, true, _, true])) => (
            Status::Pass,
            "IgnorePublicAcls and RestrictPublicBuckets on".into(),
        ),
        Ok(_) => (
            Status::Unknown,
            "bucket-level block incomplete; the account-level block is not read by this tool \
             (needs s3control:GetPublicAccessBlock)"
                .into(),
        ),
    }
}

fn not_public(_: &Inventory, b: &Bucket) -> (Status, String) {
    let public_statements = match &b.policy {
        Err(m) => return unread("s3:GetBucketPolicy", m),
        Ok(None) => Vec::new(),
        Ok(Some(doc)) => public_statements(doc),
    };
    if !public_statements.is_empty() {
        return (
            Status::Fail,
            format!(
                "statements {} allow Principal *",
                public_statements.join(", ")
            ),
        );
    }
    match (&b.policy_public, &b.ownership) {
        (Err(m), _) => unread("s3:GetBucketPolicyStatus", m),
        (_, Err(m)) => unread("s3:GetBucketOwnershipControls", m),
        (Ok(Some(true)), _) => (Status::Fail, "GetBucketPolicyStatus says IsPublic".into()),
        (_, Ok(Some(o))) if o == "BucketOwnerEnforced" => (
            Status::Pass,
            "not public; ACLs disabled (BucketOwnerEnforced)".into(),
        ),
        (_, Ok(o)) => (
            Status::Fail,
            format!(
                "ACLs enabled (ObjectOwnership {})",
                o.as_deref().unwrap_or("not set")
            ),
        ),
    }
}

/// Combines judges: FAIL lists every failing property, UNKNOWN when one could not be judged.
fn combined(inv: &Inventory, b: &Bucket, judges: &[(&str, Judge)]) -> (Status, String) {
    let mut fails = Vec::new();
    let mut unknown = Vec::new();
    for (name, judge) in judges {
        match judge(inv, b) {
            (Status::Fail, r) => fails.push(format!("{name}: {r}")),
            (Status::Unknown, r) => unknown.push(format!("{name}: {r}")),
            _ => {}
        }
    }
    if !fails.is_empty() {
        (Status::Fail, fails.join("; "))
    } else if !unknown.is_empty() {
        (Status::Unknown, unknown.join("; "))
    } else {
        (
            Status::Pass,
            format!(
                "{} hold",
                judges
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }
}

/// Every property of BB-05..BB-12 (a log bucket).
pub(super) fn hardening(inv: &Inventory, b: &Bucket) -> (Status, String) {
    combined(
        inv,
        b,
        &[
            ("encryption", encryption_cmk),
            ("lifecycle", lifecycle),
            ("access logging", access_logging),
            ("object lock", object_lock),
            ("versioning", versioning),
            ("TLS only", secure_transport),
            ("public access block", public_access_block),
            ("not public", not_public),
        ],
    )
}

/// SRA's data-bucket checks: retention, encryption, access logging, Object Lock, versioning.
pub(super) fn data_bucket(inv: &Inventory, b: &Bucket) -> (Status, String) {
    combined(
        inv,
        b,
        &[
            ("encryption", encryption_any),
            ("lifecycle", lifecycle),
            ("access logging", access_logging),
            ("object lock", object_lock),
            ("versioning", versioning),
        ],
    )
}

fn check_encryption(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_log_bucket(rule, inv, encryption_cmk)
}

fn check_lifecycle(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_log_bucket(rule, inv, lifecycle)
}

fn check_access_logging(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_log_bucket(rule, inv, access_logging)
}

fn check_object_lock(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_log_bucket(rule, inv, object_lock)
}

// MFA delete (Prowler s3_bucket_no_mfa_delete) can be enabled only by the root user with MFA
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/MultiFactorAuthenticationDelete.html):
// reported as its own finding, UNKNOWN "manual step" when off, so it never blocks a green run.
fn check_versioning(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let mut out = per_log_bucket(rule, inv, versioning);
    if let Ok(buckets) = log_buckets(rule, inv) {
        for b in buckets {
            let res = format!("arn:{}:s3:::{}#mfa-delete", inv.partition, b.name);
            out.push(match &b.versioning {
                Err(m) => rule.missing(res, "s3:GetBucketVersioning", m),
                Ok((_, Some(m))) if m == "Enabled" => {
                    rule.finding(res, Status::Pass, "MFA delete enabled")
                }
                Ok(_) => rule.finding(
                    res,
                    Status::Unknown,
                    "MFA delete is off: root only, manual step (PutBucketVersioning with the root MFA device)",
                ),
            });
        }
    }
    out
}

fn check_secure_transport(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_log_bucket(rule, inv, secure_transport)
}

fn check_public_access_block(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_log_bucket(rule, inv, public_access_block)
}

fn check_not_public(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_log_bucket(rule, inv, not_public)
}

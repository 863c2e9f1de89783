//! The stack's access paths, as data: who may (and who may not) do what to which resource, the
//! policies that decide it, and the AWS page that states the requirement.
//!
//! [`PATHS`] is the one list. A path is written with `{fact}` placeholders (ARNs, names) that
//! [`StackPolicies::facts`] fills from a deployed stack; a path whose facts are missing (S3
//! delivery off, no admin principals, no inference profile) does not apply to that stack.
//! [`check`] evaluates every path with [`crate::policy::eval`] over policies read back from the
//! account. Adding a path is one entry in [`PATHS`]; name in `needs` the grants (`policy/Sid`)
//! it depends on, so the mutation tests can check that removing one turns exactly its paths red.

use crate::policy::eval::{
    evaluate, Decision, NamedPolicy, Outcome, PolicySet, Request, RequestPrincipal, ResourcePolicy,
};
use crate::policy::{PolicyDocument, Statement};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whose identity policies apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Caller {
    /// An identity of [`StackPolicies::identities`] by name (`app-role`, `logging-role`): its
    /// read-back policies and boundary.
    Identity(&'static str),
    /// A principal whose own policies allow everything (another principal of the account, a
    /// principal of another account): only the stack's resource-side policies can stop it.
    Unrestricted,
    /// A service principal: no identity policies.
    Service,
}

/// Expected outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Must be allowed.
    Allow,
    /// Must be denied (explicitly or implicitly).
    Deny,
}

/// One access path.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AccessPath {
    /// Stable name.
    pub name: &'static str,
    /// Principal ARN template, or `service:<name>` for a service principal.
    pub principal: &'static str,
    /// Whose identity policies apply.
    pub caller: Caller,
    /// `service:Action`.
    pub action: &'static str,
    /// Resource ARN template.
    pub resource: &'static str,
    /// Key of the resource-side policy in [`StackPolicies::documents`] (`key` is evaluated as a
    /// KMS key policy).
    pub resource_policy: Option<&'static str>,
    /// The VPC endpoint the request travels through (`bedrock-runtime`, ...): its policy
    /// (`endpoint:<service>`) applies and `aws:SourceVpce` is set.
    pub endpoint: Option<&'static str>,
    /// Extra request context (templates). IAM callers always get `aws:PrincipalArn`,
    /// `aws:PrincipalAccount`, `aws:RequestedRegion` (the stack's) and `aws:SecureTransport`
    /// = true unless listed here.
    pub context: &'static [(&'static str, &'static [&'static str])],
    /// Expected outcome.
    pub expect: Expect,
    /// Grants (`policy/Sid`) an allowed path rests on.
    pub needs: &'static [&'static str],
    /// The AWS page that states the requirement.
    pub doc: &'static str,
}

/// Policies read back from a deployed stack, and the facts paths are written in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StackPolicies {
    /// Documents by key: `key`, `bucket`, `topic:<kind>`, `endpoint:<service>`,
    /// `logging-role:trust`, `logging-role:logging`, `model-access`, `boundary`, ...
    pub documents: BTreeMap<String, PolicyDocument>,
    /// Identities: name -> the document keys of its identity policies and its boundary.
    pub identities: BTreeMap<String, Identity>,
    /// Facts: `account`, `region`, `partition`, `prefix`, `app_role_arn`, `key_arn`, ...
    pub facts: BTreeMap<String, String>,
}

/// An identity's policies (keys into [`StackPolicies::documents`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// Inline and attached policies.
    pub policies: Vec<String>,
    /// Permissions boundary.
    pub boundary: Option<String>,
}

/// Account id the "another account" paths use (AWS's documentation example account).
pub const OTHER_ACCOUNT: &str = "444455556666";

const EVAL_LOGIC: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html";
const INVOCATION_LOGGING: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html";
const GUARDRAIL_KMS: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html";
const GUARDRAIL_PERMS: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html";
const ENDPOINT_POLICY: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html";
const LOGS_KMS: &str =
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html";
const SNS_KMS: &str = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html";
const SNS_DEPUTY: &str =
    "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html";
const EVENTS_SNS: &str = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions";
const S3_TLS: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html";
const S3_ACCESS_LOGS: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html";
const SNS_TLS: &str = "https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html";
const PROFILES: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html";
/// "Setting up permissions for live replication" (S3 user guide): the role S3 assumes, its
/// source-read and destination-replicate permissions.
const S3_REPLICATION_ROLE: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html";
/// "Replicating encrypted objects" (S3 user guide): `kms:Decrypt` with the source key and
/// `kms:Encrypt` with the replica key, each through S3 (`kms:ViaService`) for the bucket's objects.
const S3_REPLICATION_KMS: &str =
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html";
const KMS_VIA: &str =
    "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service";

const APP: &str = "{app_role_arn}";

/// Request-context keys and their values, as [`AccessPath::context`] holds them.
type Context = &'static [(&'static str, &'static [&'static str])];

/// The confused-deputy context of a service acting for `account` from `source_arn`.
macro_rules! source {
    ($account:literal, $source_arn:literal) => {
        &[
            ("aws:SourceAccount", &[$account]),
            ("aws:SourceArn", &[$source_arn]),
        ]
    };
}

const INVOKE_CTX: &[(&str, &[&str])] = &[
    (
        "bedrock:GuardrailIdentifier",
        &["{guardrail_arn}:{guardrail_version}"],
    ),
    ("aws:RequestedRegion", &["{model_region}"]),
];
// The docs name the `aws:SourceArn` pattern (`arn:aws:bedrock:<region>:<account>:*`) but not
// the exact ARN Bedrock sends while delivering logs; any ARN of the account and region.
const BEDROCK_SOURCE: Context = source!(
    "{account}",
    "arn:{partition}:bedrock:{region}:{account}:model-invocation-logging"
);
const BEDROCK_FOREIGN: Context = source!(
    "444455556666",
    "arn:{partition}:bedrock:{region}:444455556666:model-invocation-logging"
);
/// VPC flow logs ("IAM role for publishing flow logs to CloudWatch Logs", Amazon VPC user
/// guide): the service assumes the delivery role for a flow log of the account
/// (`aws:SourceArn` = the flow log's ARN).
const FLOW_LOGS_ROLE: &str =
    "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html";
const FLOW_LOGS_SOURCE: Context = source!(
    "{account}",
    "arn:{partition}:ec2:{region}:{account}:vpc-flow-log/fl-0123456789abcdef0"
);
const FLOW_LOGS_FOREIGN: Context = source!(
    "444455556666",
    "arn:{partition}:ec2:{region}:444455556666:vpc-flow-log/fl-0123456789abcdef0"
);
/// S3 server access log delivery for the stack's log bucket ("Grant permissions to the logging
/// service principal by using a bucket policy": `aws:SourceArn` = the source bucket,
/// `aws:SourceAccount` = its owner).
const ACCESS_LOG_SOURCE: Context = source!("{account}", "arn:{partition}:s3:::{bucket}");
/// Another account's bucket naming the access-log bucket as its target.
const ACCESS_LOG_FOREIGN: Context =
    source!("444455556666", "arn:{partition}:s3:::someone-elses-bucket");
/// Another bucket of this account naming the access-log bucket as its target.
const ACCESS_LOG_OTHER_BUCKET: Context = source!("{account}", "arn:{partition}:s3:::other-bucket");
const ALARM_SOURCE: Context = source!(
    "{account}",
    "arn:{partition}:cloudwatch:{region}:{account}:alarm:{alarm_name}"
);
// Budgets and Cost Anomaly Detection are global: their source ARNs have no region.
const BUDGETS_SNS: &str =
    "https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html";
const ANOMALY_SNS: &str =
    "https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html";
const BUDGET_SOURCE: Context = source!(
    "{account}",
    "arn:{partition}:budgets::{account}:budget/{prefix}-bedrock-monthly-cost"
);
// An example subscription id: the subscription ARN ends in a UUID AWS assigns.
const ANOMALY_SOURCE: Context = source!(
    "{account}",
    "arn:{partition}:ce::{account}:anomalysubscription/0a1b2c3d-0000-4000-8000-000000000000"
);
const RULE_SOURCE: Context = source!(
    "{account}",
    "arn:{partition}:events:{region}:{account}:rule/{training_rule_name}"
);

/// The request context of an EventBridge rule of the stack publishing: its account and the
/// rule's exact ARN (fact `rule:<key>`, the rule name, filled from the monitoring outputs).
macro_rules! rule_source {
    ($key:literal) => {
        &[
            ("aws:SourceAccount", &["{account}"]),
            (
                "aws:SourceArn",
                &[concat!(
                    "arn:{partition}:events:{region}:{account}:rule/{rule:",
                    $key,
                    "}"
                )],
            ),
        ]
    };
}

/// "Rule `key` may publish to topic `topic`" (allowed, by the topic's EventBridge grant).
macro_rules! rule_publishes {
    ($key:literal, $topic:literal) => {
        AccessPath {
            principal: "service:events.amazonaws.com",
            caller: Caller::Service,
            action: "sns:Publish",
            resource: concat!("{topic_", $topic, "}"),
            resource_policy: Some(concat!("topic:", $topic)),
            context: rule_source!($key),
            needs: &[concat!("topic:", $topic, "/EventBridgeRulesPublish")],
            doc: EVENTS_SNS,
            ..path(
                concat!("rule-", $key, "-publishes-to-", $topic, "-topic"),
                Expect::Allow,
            )
        }
    };
}

/// "Rule `key` may use the stack key" (allowed, to publish to the encrypted topic).
macro_rules! rule_uses_key {
    ($key:literal) => {
        AccessPath {
            principal: "service:events.amazonaws.com",
            caller: Caller::Service,
            action: "kms:GenerateDataKey",
            resource: "{key_arn}",
            resource_policy: Some("key"),
            context: rule_source!($key),
            needs: &["key/EventBridgeRulesUse"],
            doc: EVENTS_SNS,
            ..path(concat!("rule-", $key, "-uses-key"), Expect::Allow)
        }
    };
}

/// A rule that is not one of the stack's: `account` and `name` make its ARN (denied).
macro_rules! foreign_rule {
    ($name:literal, $account:literal, $rule:literal, $topic:literal, $action:literal, $resource:literal, $policy:literal) => {
        AccessPath {
            principal: "service:events.amazonaws.com",
            caller: Caller::Service,
            action: $action,
            resource: $resource,
            resource_policy: Some($policy),
            context: &[
                ("aws:SourceAccount", &[$account]),
                (
                    "aws:SourceArn",
                    &[concat!(
                        "arn:{partition}:events:{region}:",
                        $account,
                        ":rule/",
                        $rule
                    )],
                ),
                // Applies only where the stack has a rule publishing to the topic.
                ($topic, &[]),
            ],
            doc: EVENTS_SNS,
            ..path($name, Expect::Deny)
        }
    };
}

/// Shorthand for a path; fields not given are the common ones.
const fn path(name: &'static str, expect: Expect) -> AccessPath {
    AccessPath {
        name,
        principal: APP,
        caller: Caller::Identity("app-role"),
        action: "",
        resource: "",
        resource_policy: None,
        endpoint: None,
        context: &[],
        expect,
        needs: &[],
        doc: EVAL_LOGIC,
    }
}

/// Every access path of the stack.
pub const PATHS: &[AccessPath] = &[
    // --- invocation logging ---------------------------------------------------------------
    AccessPath {
        principal: "service:bedrock.amazonaws.com",
        caller: Caller::Service,
        action: "sts:AssumeRole",
        resource: "{logging_role_arn}",
        resource_policy: Some("logging-role:trust"),
        context: BEDROCK_SOURCE,
        needs: &["logging-role:trust/BedrockAssumeForInvocationLogging"],
        doc: INVOCATION_LOGGING,
        ..path("bedrock-assumes-logging-role", Expect::Allow)
    },
    AccessPath {
        principal: "{logging_role_arn}",
        caller: Caller::Identity("logging-role"),
        action: "logs:PutLogEvents",
        resource: "{log_group_arn}:log-stream:aws/bedrock/modelinvocations",
        needs: &["logging-role:logging/WriteInvocationLogStreams", "boundary/*"],
        doc: INVOCATION_LOGGING,
        ..path("logging-role-writes-log-group", Expect::Allow)
    },
    AccessPath {
        principal: "service:logs.{region}.amazonaws.com",
        caller: Caller::Service,
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: &[("kms:EncryptionContext:aws:logs:arn", &["{log_group_arn}"])],
        needs: &["key/CloudWatchLogsUse"],
        doc: LOGS_KMS,
        ..path("logs-uses-key-for-log-group", Expect::Allow)
    },
    AccessPath {
        principal: "service:bedrock.amazonaws.com",
        caller: Caller::Service,
        action: "s3:PutObject",
        resource: "arn:{partition}:s3:::{bucket}/{s3_log_prefix}AWSLogs/{account}/BedrockModelInvocationLogs/x.json.gz",
        resource_policy: Some("bucket"),
        context: BEDROCK_SOURCE,
        needs: &["bucket/AllowBedrockInvocationLogs"],
        doc: INVOCATION_LOGGING,
        ..path("bedrock-writes-log-bucket-prefix", Expect::Allow)
    },
    AccessPath {
        principal: "service:bedrock.amazonaws.com",
        caller: Caller::Service,
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: BEDROCK_SOURCE,
        needs: &["key/BedrockUse"],
        doc: INVOCATION_LOGGING,
        ..path("bedrock-encrypts-log-objects-with-key", Expect::Allow)
    },
    AccessPath {
        principal: "{logging_role_arn}",
        caller: Caller::Identity("logging-role"),
        action: "s3:PutObject",
        resource: "arn:{partition}:s3:::{bucket}/{s3_log_prefix}large-data/x.json",
        resource_policy: Some("bucket"),
        needs: &["logging-role:logging/WriteLargeDataToLogBucket", "boundary/*"],
        doc: INVOCATION_LOGGING,
        ..path("logging-role-writes-large-data", Expect::Allow)
    },
    AccessPath {
        principal: "{logging_role_arn}",
        caller: Caller::Identity("logging-role"),
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: &[("kms:ViaService", &["s3.{region}.amazonaws.com"]), ("{bucket}", &[])],
        needs: &[
            "key/AccountAdministration",
            "logging-role:logging/EncryptLargeDataWithStackKey",
            "boundary/*",
        ],
        doc: KMS_VIA,
        ..path("logging-role-encrypts-large-data", Expect::Allow)
    },
    AccessPath {
        principal: "{logging_role_arn}",
        caller: Caller::Identity("logging-role"),
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: &[("kms:ViaService", &["sqs.{region}.amazonaws.com"]), ("{bucket}", &[])],
        doc: KMS_VIA,
        ..path("logging-role-key-use-outside-s3", Expect::Deny)
    },
    AccessPath {
        principal: "service:bedrock.amazonaws.com",
        caller: Caller::Service,
        action: "s3:PutObject",
        resource: "arn:{partition}:s3:::{bucket}/{s3_log_prefix}AWSLogs/x.json.gz",
        resource_policy: Some("bucket"),
        context: BEDROCK_FOREIGN,
        doc: INVOCATION_LOGGING,
        ..path("confused-deputy-bedrock-for-another-account", Expect::Deny)
    },
    AccessPath {
        principal: "service:bedrock.amazonaws.com",
        caller: Caller::Service,
        action: "sts:AssumeRole",
        resource: "{logging_role_arn}",
        resource_policy: Some("logging-role:trust"),
        context: BEDROCK_FOREIGN,
        doc: INVOCATION_LOGGING,
        ..path("confused-deputy-bedrock-assumes-for-another-account", Expect::Deny)
    },
    AccessPath {
        principal: "service:logs.{region}.amazonaws.com",
        caller: Caller::Service,
        action: "kms:Decrypt",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: &[(
            "kms:EncryptionContext:aws:logs:arn",
            &["arn:{partition}:logs:{region}:{account}:log-group:/other/group"],
        )],
        doc: LOGS_KMS,
        ..path("logs-uses-key-for-another-log-group", Expect::Deny)
    },
    AccessPath {
        principal: "{logging_role_arn}",
        caller: Caller::Identity("logging-role"),
        action: "s3:PutObject",
        resource: "arn:{partition}:s3:::{bucket}/{s3_log_prefix}large-data/x.json",
        resource_policy: Some("bucket"),
        context: &[("aws:SecureTransport", &["false"])],
        doc: S3_TLS,
        ..path("plain-http-to-log-bucket", Expect::Deny)
    },
    // --- VPC flow logs (enable_vpc_flow_logs) ----------------------------------------------
    AccessPath {
        principal: "service:vpc-flow-logs.amazonaws.com",
        caller: Caller::Service,
        action: "sts:AssumeRole",
        resource: "{flow_logs_role_arn}",
        resource_policy: Some("flow-logs-role:trust"),
        context: FLOW_LOGS_SOURCE,
        needs: &["flow-logs-role:trust/VpcFlowLogsAssume"],
        doc: FLOW_LOGS_ROLE,
        ..path("vpc-flow-logs-assumes-delivery-role", Expect::Allow)
    },
    AccessPath {
        principal: "service:vpc-flow-logs.amazonaws.com",
        caller: Caller::Service,
        action: "sts:AssumeRole",
        resource: "{flow_logs_role_arn}",
        resource_policy: Some("flow-logs-role:trust"),
        context: FLOW_LOGS_FOREIGN,
        doc: FLOW_LOGS_ROLE,
        ..path("confused-deputy-flow-logs-for-another-account", Expect::Deny)
    },
    AccessPath {
        principal: "{flow_logs_role_arn}",
        caller: Caller::Identity("flow-logs-role"),
        action: "logs:PutLogEvents",
        resource: "{flow_log_group_arn}:log-stream:eni-0123456789abcdef0-all",
        needs: &["flow-logs-role:logging/DeliverFlowLogs", "boundary/*"],
        doc: FLOW_LOGS_ROLE,
        ..path("flow-logs-role-writes-flow-log-group", Expect::Allow)
    },
    AccessPath {
        principal: "{flow_logs_role_arn}",
        caller: Caller::Identity("flow-logs-role"),
        action: "logs:PutLogEvents",
        resource: "arn:{partition}:logs:{region}:{account}:log-group:/other/group:log-stream:x",
        doc: FLOW_LOGS_ROLE,
        ..path("flow-logs-role-writes-another-log-group", Expect::Deny)
    },
    // --- cross-region replication of the audit buckets (s3_replication) ---------------------
    AccessPath {
        principal: "service:s3.amazonaws.com",
        caller: Caller::Service,
        action: "sts:AssumeRole",
        resource: "{replication_role_arn}",
        resource_policy: Some("replication-role:trust"),
        context: &[("aws:SourceAccount", &["{account}"])],
        needs: &["replication-role:trust/S3AssumeForReplication"],
        doc: S3_REPLICATION_ROLE,
        ..path("s3-assumes-replication-role", Expect::Allow)
    },
    AccessPath {
        principal: "service:s3.amazonaws.com",
        caller: Caller::Service,
        action: "sts:AssumeRole",
        resource: "{replication_role_arn}",
        resource_policy: Some("replication-role:trust"),
        context: &[("aws:SourceAccount", &["444455556666"])],
        doc: S3_REPLICATION_ROLE,
        ..path("confused-deputy-replication-for-another-account", Expect::Deny)
    },
    AccessPath {
        principal: "{replication_role_arn}",
        caller: Caller::Identity("replication-role"),
        action: "s3:GetObjectVersionForReplication",
        resource: "arn:{partition}:s3:::{bucket}/{s3_log_prefix}x.json",
        resource_policy: Some("bucket"),
        needs: &["replication-role:logging/ReadSourceObjectVersions", "boundary/*"],
        doc: S3_REPLICATION_ROLE,
        ..path("replication-role-reads-log-object-versions", Expect::Allow)
    },
    AccessPath {
        principal: "{replication_role_arn}",
        caller: Caller::Identity("replication-role"),
        action: "s3:ReplicateObject",
        resource: "{replica_bucket_arn}/{s3_log_prefix}x.json",
        needs: &["replication-role:logging/ReplicateToDestination", "boundary/*"],
        doc: S3_REPLICATION_ROLE,
        ..path("replication-role-replicates-to-destination", Expect::Allow)
    },
    AccessPath {
        principal: "{replication_role_arn}",
        caller: Caller::Identity("replication-role"),
        action: "s3:ReplicateObject",
        resource: "arn:{partition}:s3:::another-bucket/x.json",
        doc: S3_REPLICATION_ROLE,
        ..path("replication-role-replicates-to-another-bucket", Expect::Deny)
    },
    AccessPath {
        principal: "{replication_role_arn}",
        caller: Caller::Identity("replication-role"),
        action: "kms:Decrypt",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: &[
            ("kms:ViaService", &["s3.{region}.amazonaws.com"]),
            ("kms:EncryptionContext:aws:s3:arn", &["arn:{partition}:s3:::{bucket}"]),
        ],
        needs: &[
            "key/AccountAdministration",
            "replication-role:logging/DecryptSourceObjects",
            "boundary/*",
        ],
        doc: S3_REPLICATION_KMS,
        ..path("replication-role-decrypts-log-objects-through-s3", Expect::Allow)
    },
    AccessPath {
        principal: "{replication_role_arn}",
        caller: Caller::Identity("replication-role"),
        action: "kms:Decrypt",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        doc: S3_REPLICATION_KMS,
        ..path("replication-role-decrypts-outside-s3", Expect::Deny)
    },
    AccessPath {
        principal: "{replication_role_arn}",
        caller: Caller::Identity("replication-role"),
        action: "kms:Encrypt",
        resource: "{replica_key_arn}",
        context: &[
            ("kms:ViaService", &["s3.{replica_region}.amazonaws.com"]),
            ("kms:EncryptionContext:aws:s3:arn", &["{replica_bucket_arn}"]),
        ],
        needs: &["replication-role:logging/EncryptReplicas", "boundary/*"],
        doc: S3_REPLICATION_KMS,
        ..path("replication-role-encrypts-replicas-with-replica-key", Expect::Allow)
    },
    // --- server access logs of the log bucket (s3_access_logging) ---------------------------
    AccessPath {
        principal: "service:logging.s3.amazonaws.com",
        caller: Caller::Service,
        action: "s3:PutObject",
        resource: "arn:{partition}:s3:::{access_log_bucket}/{bucket}/2026-01-01-00-00-00-0123456789ABCDEF",
        resource_policy: Some("access-log-bucket"),
        context: ACCESS_LOG_SOURCE,
        needs: &["access-log-bucket/AllowS3ServerAccessLogs"],
        doc: S3_ACCESS_LOGS,
        ..path("s3-logging-writes-access-log-bucket", Expect::Allow)
    },
    AccessPath {
        principal: "service:logging.s3.amazonaws.com",
        caller: Caller::Service,
        action: "s3:PutObject",
        resource: "arn:{partition}:s3:::{access_log_bucket}/{bucket}/2026-01-01-00-00-00-0123456789ABCDEF",
        resource_policy: Some("access-log-bucket"),
        context: ACCESS_LOG_FOREIGN,
        doc: S3_ACCESS_LOGS,
        ..path("confused-deputy-s3-logging-for-another-accounts-bucket", Expect::Deny)
    },
    AccessPath {
        principal: "service:logging.s3.amazonaws.com",
        caller: Caller::Service,
        action: "s3:PutObject",
        resource: "arn:{partition}:s3:::{access_log_bucket}/other-bucket/2026-01-01-00-00-00-0123456789ABCDEF",
        resource_policy: Some("access-log-bucket"),
        context: ACCESS_LOG_OTHER_BUCKET,
        doc: S3_ACCESS_LOGS,
        ..path("s3-logging-for-another-bucket-of-the-account", Expect::Deny)
    },
    // --- the application ------------------------------------------------------------------
    AccessPath {
        action: "bedrock:InvokeModel",
        resource: "{model_arn}",
        endpoint: Some("bedrock-runtime"),
        context: INVOKE_CTX,
        needs: &[
            "model-access/InvokeAllowedModelsWithGuardrail",
            "endpoint:bedrock-runtime/InvokeAllowedModels",
            "boundary/*",
        ],
        doc: GUARDRAIL_PERMS,
        ..path("app-invokes-allowed-model-with-guardrail", Expect::Allow)
    },
    AccessPath {
        action: "bedrock:ApplyGuardrail",
        resource: "{guardrail_arn}",
        endpoint: Some("bedrock-runtime"),
        needs: &[
            "model-access/ApplyStackGuardrail",
            "endpoint:bedrock-runtime/ApplyAccountGuardrails",
            "boundary/*",
        ],
        doc: GUARDRAIL_PERMS,
        ..path("app-applies-guardrail", Expect::Allow)
    },
    AccessPath {
        action: "kms:Decrypt",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: &[("kms:ViaService", &["bedrock.{region}.amazonaws.com"])],
        needs: &[
            "key/AccountAdministration",
            "model-access/DecryptGuardrailKey",
            "boundary/*",
        ],
        doc: GUARDRAIL_KMS,
        ..path("app-decrypts-guardrail-key-through-bedrock", Expect::Allow)
    },
    AccessPath {
        action: "kms:Decrypt",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        doc: GUARDRAIL_KMS,
        ..path("app-decrypts-with-key-directly", Expect::Deny)
    },
    AccessPath {
        action: "bedrock:InvokeModel",
        resource: "{model_arn}",
        endpoint: Some("bedrock-runtime"),
        context: &[("aws:RequestedRegion", &["{model_region}"])],
        doc: GUARDRAIL_PERMS,
        ..path("app-invokes-without-guardrail", Expect::Deny)
    },
    AccessPath {
        action: "bedrock:InvokeModel",
        resource: "{model_arn}",
        endpoint: Some("bedrock-runtime"),
        context: &[
            ("bedrock:GuardrailIdentifier", &["{guardrail_arn}:DRAFT"]),
            ("aws:RequestedRegion", &["{model_region}"]),
        ],
        doc: GUARDRAIL_PERMS,
        ..path("app-invokes-with-draft-guardrail", Expect::Deny)
    },
    AccessPath {
        action: "bedrock:InvokeModel",
        resource: "arn:{partition}:bedrock:ap-southeast-2::foundation-model/amazon.titan-text-express-v1",
        endpoint: Some("bedrock-runtime"),
        context: &[
            ("bedrock:GuardrailIdentifier", &["{guardrail_arn}:{guardrail_version}"]),
            ("aws:RequestedRegion", &["ap-southeast-2"]),
        ],
        doc: ENDPOINT_POLICY,
        ..path("app-invokes-model-of-a-region-not-allowed", Expect::Deny)
    },
    AccessPath {
        action: "bedrock:InvokeModel",
        resource: "arn:{partition}:bedrock:{model_region}::foundation-model/not.an-allowed-model-v1:0",
        endpoint: Some("bedrock-runtime"),
        context: INVOKE_CTX,
        doc: ENDPOINT_POLICY,
        ..path("app-invokes-model-not-allowed", Expect::Deny)
    },
    AccessPath {
        action: "bedrock:InvokeModel",
        resource: "{profile_arn}",
        endpoint: Some("bedrock-runtime"),
        context: &[
            ("bedrock:GuardrailIdentifier", &["{guardrail_arn}:{guardrail_version}"]),
            ("aws:RequestedRegion", &["{region}"]),
        ],
        needs: &[
            "model-access/InvokeAllowedModelsWithGuardrail",
            "endpoint:bedrock-runtime/InvokeAllowedModels",
            "boundary/*",
        ],
        doc: PROFILES,
        ..path("app-invokes-inference-profile", Expect::Allow)
    },
    AccessPath {
        action: "bedrock:InvokeModel",
        resource: "{profile_destination_model_arn}",
        endpoint: Some("bedrock-runtime"),
        context: &[
            ("bedrock:GuardrailIdentifier", &["{guardrail_arn}:{guardrail_version}"]),
            ("aws:RequestedRegion", &["{profile_destination_region}"]),
        ],
        needs: &[
            "model-access/InvokeAllowedModelsWithGuardrail",
            "endpoint:bedrock-runtime/InvokeAllowedModels",
            "boundary/*",
        ],
        doc: PROFILES,
        ..path("inference-profile-reaches-destination-region-model", Expect::Allow)
    },
    // --- management endpoint: the application may not switch off the audit trail ---------------
    AccessPath {
        caller: Caller::Unrestricted,
        action: "bedrock:DeleteModelInvocationLoggingConfiguration",
        resource: "*",
        endpoint: Some("bedrock"),
        doc: ENDPOINT_POLICY,
        ..path("app-deletes-logging-configuration", Expect::Deny)
    },
    AccessPath {
        caller: Caller::Unrestricted,
        action: "bedrock:DeleteGuardrail",
        resource: "{guardrail_arn}",
        endpoint: Some("bedrock"),
        doc: ENDPOINT_POLICY,
        ..path("app-deletes-guardrail", Expect::Deny)
    },
    AccessPath {
        caller: Caller::Unrestricted,
        action: "bedrock:GetGuardrail",
        resource: "{guardrail_arn}",
        endpoint: Some("bedrock"),
        needs: &["endpoint:bedrock/ManageBedrock"],
        doc: ENDPOINT_POLICY,
        ..path("app-reads-guardrail-through-management-endpoint", Expect::Allow)
    },
    AccessPath {
        principal: "{admin_arn}",
        caller: Caller::Unrestricted,
        action: "bedrock:DeleteModelInvocationLoggingConfiguration",
        resource: "*",
        endpoint: Some("bedrock"),
        needs: &["endpoint:bedrock/AdminsDisableLoggingAndGuardrails"],
        doc: ENDPOINT_POLICY,
        ..path("admin-deletes-logging-configuration", Expect::Allow)
    },
    // --- other principals through the endpoints -----------------------------------------------
    AccessPath {
        principal: "arn:{partition}:iam::{account}:role/someone-else",
        caller: Caller::Unrestricted,
        action: "bedrock:InvokeModel",
        resource: "{model_arn}",
        endpoint: Some("bedrock-runtime"),
        context: INVOKE_CTX,
        doc: ENDPOINT_POLICY,
        ..path("other-principal-invokes-through-runtime-endpoint", Expect::Deny)
    },
    AccessPath {
        principal: "arn:{partition}:iam::{account}:role/someone-else",
        caller: Caller::Unrestricted,
        action: "bedrock:GetGuardrail",
        resource: "{guardrail_arn}",
        endpoint: Some("bedrock"),
        doc: ENDPOINT_POLICY,
        ..path("other-principal-uses-management-endpoint", Expect::Deny)
    },
    AccessPath {
        principal: "arn:{partition}:iam::444455556666:role/intruder",
        caller: Caller::Unrestricted,
        action: "bedrock:InvokeModel",
        resource: "{model_arn}",
        endpoint: Some("bedrock-runtime"),
        context: INVOKE_CTX,
        doc: ENDPOINT_POLICY,
        ..path("other-account-invokes-through-runtime-endpoint", Expect::Deny)
    },
    // --- alerting ---------------------------------------------------------------------------
    AccessPath {
        principal: "service:cloudwatch.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_critical}",
        resource_policy: Some("topic:critical"),
        context: ALARM_SOURCE,
        needs: &["topic:critical/CloudWatchAlarmsPublish"],
        doc: SNS_DEPUTY,
        ..path("alarms-publish-to-critical-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:cloudwatch.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_performance}",
        resource_policy: Some("topic:performance"),
        context: ALARM_SOURCE,
        needs: &["topic:performance/CloudWatchAlarmsPublish"],
        doc: SNS_DEPUTY,
        ..path("alarms-publish-to-performance-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:cloudwatch.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_cost}",
        resource_policy: Some("topic:cost"),
        context: ALARM_SOURCE,
        needs: &["topic:cost/CloudWatchAlarmsPublish"],
        doc: SNS_DEPUTY,
        ..path("alarms-publish-to-cost-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:budgets.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_cost}",
        resource_policy: Some("topic:cost"),
        context: BUDGET_SOURCE,
        needs: &["topic:cost/BudgetsPublish"],
        doc: BUDGETS_SNS,
        ..path("budgets-publish-to-cost-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:budgets.amazonaws.com",
        caller: Caller::Service,
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: BUDGET_SOURCE,
        needs: &["key/BudgetsUse"],
        doc: SNS_KMS,
        ..path("budgets-use-key-of-cost-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:costalerts.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_cost}",
        resource_policy: Some("topic:cost"),
        context: ANOMALY_SOURCE,
        needs: &["topic:cost/CostAnomalyDetectionPublish"],
        doc: ANOMALY_SNS,
        ..path("anomaly-detection-publishes-to-cost-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:costalerts.amazonaws.com",
        caller: Caller::Service,
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: ANOMALY_SOURCE,
        needs: &["key/CostAnomalyDetectionUse"],
        doc: SNS_KMS,
        ..path("anomaly-detection-uses-key-of-cost-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:budgets.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_cost}",
        resource_policy: Some("topic:cost"),
        context: &[
            ("aws:SourceAccount", &["444455556666"]),
            ("aws:SourceArn", &["arn:{partition}:budgets::444455556666:budget/x"]),
        ],
        doc: BUDGETS_SNS,
        ..path("confused-deputy-budget-of-another-account", Expect::Deny)
    },
    AccessPath {
        principal: "service:cloudwatch.amazonaws.com",
        caller: Caller::Service,
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: ALARM_SOURCE,
        needs: &["key/CloudWatchAlarmsUse"],
        doc: SNS_KMS,
        ..path("alarms-use-key-of-encrypted-topics", Expect::Allow)
    },
    AccessPath {
        principal: "service:events.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_critical}",
        resource_policy: Some("topic:critical"),
        context: RULE_SOURCE,
        needs: &["topic:critical/EventBridgeRulesPublish"],
        doc: EVENTS_SNS,
        ..path("training-rule-publishes-to-critical-topic", Expect::Allow)
    },
    AccessPath {
        principal: "service:events.amazonaws.com",
        caller: Caller::Service,
        action: "kms:GenerateDataKey",
        resource: "{key_arn}",
        resource_policy: Some("key"),
        context: RULE_SOURCE,
        needs: &["key/EventBridgeRulesUse"],
        doc: EVENTS_SNS,
        ..path("training-rule-uses-key-of-critical-topic", Expect::Allow)
    },
    // --- tamper and access rules (monitoring `tamper`): exact rule ARNs ------------------
    rule_publishes!("tamper-invocation-logging", "critical"),
    rule_publishes!("tamper-guardrail", "critical"),
    rule_publishes!("tamper-kms-key", "critical"),
    rule_publishes!("tamper-log-bucket", "critical"),
    rule_publishes!("tamper-vpc-endpoints", "critical"),
    rule_publishes!("tamper-topics", "critical"),
    rule_publishes!("bedrock-access-denied", "performance"),
    rule_uses_key!("tamper-invocation-logging"),
    rule_uses_key!("tamper-guardrail"),
    rule_uses_key!("tamper-kms-key"),
    rule_uses_key!("tamper-log-bucket"),
    rule_uses_key!("tamper-vpc-endpoints"),
    rule_uses_key!("tamper-topics"),
    rule_uses_key!("bedrock-access-denied"),
    // The grants name rule ARNs, not `<prefix>-*`: a rule anyone in the account can create
    // under the stack's prefix gets nothing.
    foreign_rule!(
        "rule-of-another-name-publishes-to-critical-topic",
        "{account}",
        "{prefix}-not-a-stack-rule",
        "{rule:tamper-kms-key}",
        "sns:Publish",
        "{topic_critical}",
        "topic:critical"
    ),
    foreign_rule!(
        "rule-of-another-account-publishes-to-critical-topic",
        "444455556666",
        "{rule:tamper-kms-key}",
        "{rule:tamper-kms-key}",
        "sns:Publish",
        "{topic_critical}",
        "topic:critical"
    ),
    foreign_rule!(
        "rule-of-another-name-publishes-to-performance-topic",
        "{account}",
        "{prefix}-not-a-stack-rule",
        "{rule:bedrock-access-denied}",
        "sns:Publish",
        "{topic_performance}",
        "topic:performance"
    ),
    foreign_rule!(
        "rule-of-another-account-publishes-to-performance-topic",
        "444455556666",
        "{rule:bedrock-access-denied}",
        "{rule:bedrock-access-denied}",
        "sns:Publish",
        "{topic_performance}",
        "topic:performance"
    ),
    foreign_rule!(
        "rule-of-another-name-uses-key",
        "{account}",
        "{prefix}-not-a-stack-rule",
        "{rule:tamper-kms-key}",
        "kms:GenerateDataKey",
        "{key_arn}",
        "key"
    ),
    foreign_rule!(
        "access-denied-rule-publishes-to-critical-topic",
        "{account}",
        "{rule:bedrock-access-denied}",
        "{rule:tamper-topics}",
        "sns:Publish",
        "{topic_critical}",
        "topic:critical"
    ),
    AccessPath {
        principal: "service:cloudwatch.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_critical}",
        resource_policy: Some("topic:critical"),
        context: &[
            ("aws:SourceAccount", &["444455556666"]),
            ("aws:SourceArn", &["arn:{partition}:cloudwatch:{region}:444455556666:alarm:x"]),
        ],
        doc: SNS_DEPUTY,
        ..path("confused-deputy-alarm-of-another-account", Expect::Deny)
    },
    AccessPath {
        principal: "service:cloudwatch.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_critical}",
        resource_policy: Some("topic:critical"),
        context: &[
            ("aws:SourceAccount", &["{account}"]),
            ("aws:SourceArn", &["arn:{partition}:cloudwatch:{region}:{account}:alarm:another-stack-alarm"]),
        ],
        doc: SNS_DEPUTY,
        ..path("alarm-of-another-stack-publishes", Expect::Deny)
    },
    AccessPath {
        principal: "arn:{partition}:iam::444455556666:role/intruder",
        caller: Caller::Unrestricted,
        action: "sns:Publish",
        resource: "{topic_critical}",
        resource_policy: Some("topic:critical"),
        doc: SNS_DEPUTY,
        ..path("other-account-publishes-to-critical-topic", Expect::Deny)
    },
    AccessPath {
        principal: "service:cloudwatch.amazonaws.com",
        caller: Caller::Service,
        action: "sns:Publish",
        resource: "{topic_critical}",
        resource_policy: Some("topic:critical"),
        context: &[
            ("aws:SourceAccount", &["{account}"]),
            ("aws:SourceArn", &["arn:{partition}:cloudwatch:{region}:{account}:alarm:{alarm_name}"]),
            ("aws:SecureTransport", &["false"]),
        ],
        doc: SNS_TLS,
        ..path("plain-http-to-critical-topic", Expect::Deny)
    },
];

/// The result of one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathResult {
    /// [`AccessPath::name`].
    pub name: String,
    /// Expected.
    pub expected: Expect,
    /// What the evaluator decided.
    pub decision: Decision,
    /// True when the decision matches the expectation.
    pub ok: bool,
    /// [`AccessPath::doc`].
    pub doc: String,
    /// The request as evaluated: principal (ARN or `service:<name>`), action and resource.
    #[serde(default)]
    pub principal: String,
    /// The request's action.
    #[serde(default)]
    pub action: String,
    /// The request's resource.
    #[serde(default)]
    pub resource: String,
}

/// Fills `{fact}` placeholders; `None` when a fact is missing (the path does not apply).
pub fn render(template: &str, facts: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}')? + start;
        out.push_str(facts.get(&rest[start + 1..end])?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn doc_named(policies: &StackPolicies, key: &str) -> Option<NamedPolicy> {
    policies.documents.get(key).map(|d| NamedPolicy {
        name: key.to_owned(),
        document: d.clone(),
    })
}

/// What an unrestricted caller's own account grants it: everything.
fn unrestricted() -> NamedPolicy {
    NamedPolicy {
        name: "caller's own identity policy (assumed to allow everything)".into(),
        document: PolicyDocument::new(vec![Statement::allow("Everything")
            .actions(["*"])
            .resources(["*"])]),
    }
}

/// The request and policy set of a path, or `None` when the path does not apply.
pub fn prepare(path: &AccessPath, p: &StackPolicies) -> Option<(Request, PolicySet)> {
    let facts = &p.facts;
    let principal_text = render(path.principal, facts)?;
    let principal = match principal_text.strip_prefix("service:") {
        Some(name) => RequestPrincipal::Service { name: name.into() },
        None => RequestPrincipal::Iam {
            arn: principal_text.clone(),
        },
    };
    let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let RequestPrincipal::Iam { arn } = &principal {
        context.insert("aws:PrincipalArn".into(), vec![arn.clone()]);
        if let Some(acct) = principal.account() {
            context.insert("aws:PrincipalAccount".into(), vec![acct.to_owned()]);
        }
        context.insert(
            "aws:RequestedRegion".into(),
            vec![facts.get("region")?.clone()],
        );
    }
    context.insert("aws:SecureTransport".into(), vec!["true".into()]);
    if let Some(endpoint) = path.endpoint {
        context.insert(
            "aws:SourceVpce".into(),
            vec![facts.get(&format!("vpce:{endpoint}"))?.clone()],
        );
    }
    for (key, values) in path.context {
        // A key in braces with no values only requires that fact (the path applies when it is
        // known) without adding context.
        if key.starts_with('{') {
            render(key, facts)?;
            continue;
        }
        let values = values
            .iter()
            .map(|v| render(v, facts))
            .collect::<Option<Vec<_>>>()?;
        context.insert((*key).to_owned(), values);
    }
    let request = Request {
        principal,
        action: path.action.to_owned(),
        resource: render(path.resource, facts)?,
        context,
    };
    let mut set = PolicySet::default();
    match path.caller {
        Caller::Identity(name) => {
            let identity = p.identities.get(name)?;
            set.identity = identity
                .policies
                .iter()
                .filter_map(|k| doc_named(p, k))
                .collect();
            set.boundary = identity.boundary.as_deref().and_then(|k| doc_named(p, k));
        }
        Caller::Unrestricted => set.identity = vec![unrestricted()],
        Caller::Service => {}
    }
    if let Some(key) = path.resource_policy {
        let doc = doc_named(p, key)?;
        set.resource = Some(if key == "key" {
            ResourcePolicy::KeyPolicy(doc)
        } else {
            ResourcePolicy::Resource(doc)
        });
    }
    if let Some(endpoint) = path.endpoint {
        set.endpoint = Some(doc_named(p, &format!("endpoint:{endpoint}"))?);
    }
    Some((request, set))
}

/// Evaluates every path that applies to the stack.
pub fn check(policies: &StackPolicies) -> Vec<PathResult> {
    PATHS
        .iter()
        .filter_map(|path| {
            let (request, set) = prepare(path, policies)?;
            let decision = evaluate(&set, &request);
            let ok = match path.expect {
                Expect::Allow => decision.outcome == Outcome::Allow,
                Expect::Deny => decision.outcome != Outcome::Allow,
            };
            Some(PathResult {
                name: path.name.to_owned(),
                expected: path.expect,
                decision,
                ok,
                doc: path.doc.to_owned(),
                principal: render(path.principal, &policies.facts).unwrap_or_default(),
                action: request.action,
                resource: request.resource,
            })
        })
        .collect()
}

/// The grants the paths name in `needs`, with the paths that name each (`boundary/*` stands for
/// every Allow statement of the boundary document).
pub fn needed_grants(policies: &StackPolicies) -> BTreeMap<(String, String), Vec<&'static str>> {
    let mut out: BTreeMap<(String, String), Vec<&'static str>> = BTreeMap::new();
    for path in PATHS {
        if prepare(path, policies).is_none() {
            continue;
        }
        for need in path.needs {
            let Some((policy, sid)) = need.split_once('/') else {
                continue;
            };
            out.entry((policy.to_owned(), sid.to_owned()))
                .or_default()
                .push(path.name);
        }
    }
    out
}

/// A copy of the policies without the statement `sid` (`*`: every Allow) of document `policy`.
pub fn without_grant(policies: &StackPolicies, policy: &str, sid: &str) -> StackPolicies {
    let mut out = policies.clone();
    if let Some(doc) = out.documents.get_mut(policy) {
        doc.statement.retain(|st| {
            if sid == "*" {
                st.effect != crate::policy::Effect::Allow
            } else {
                st.sid.as_deref() != Some(sid)
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_path_cites_a_page() {
        let mut names: Vec<_> = PATHS.iter().map(|p| p.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate path names");
        for p in PATHS {
            assert!(
                p.doc.starts_with("https://docs.aws.amazon.com/"),
                "{}",
                p.name
            );
            assert!(!p.action.is_empty() && !p.resource.is_empty(), "{}", p.name);
            assert_eq!(
                p.expect == Expect::Allow,
                !p.needs.is_empty(),
                "{}: allowed paths name their grants, denied ones none",
                p.name
            );
        }
    }

    #[test]
    fn templates_need_every_fact() {
        let facts: BTreeMap<String, String> =
            [("a".to_owned(), "1".to_owned()), ("b".into(), "2".into())].into();
        assert_eq!(render("x{a}y{b}", &facts).as_deref(), Some("x1y2"));
        assert_eq!(render("{c}", &facts), None);
        assert_eq!(render("plain", &facts).as_deref(), Some("plain"));
    }

    #[test]
    fn a_path_without_its_facts_does_not_apply() {
        assert!(check(&StackPolicies::default()).is_empty());
    }
}

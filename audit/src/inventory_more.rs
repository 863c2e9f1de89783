//! The inventory beyond the first 24 rules' reads: buckets, alarms, metric filters, log
//! deliveries, workload details (knowledge bases, agents' versions, prompts, flows, jobs,
//! imported models), IAM details (trust policies, inline policies, API keys), key policies and
//! subscriptions. Each map is keyed by the identifier the resource that needs it used, and each
//! value is a [`Read`]: a failed call is a reason, never a value.

use crate::inventory::{Missing, Read};
use baseline_core::policy::PolicyDocument;
use std::collections::{BTreeMap, BTreeSet};

/// Tags as `ListTagsForResource` returns them.
pub type Tags = BTreeMap<String, String>;

/// What the later rules read. See the field docs for the calls.
#[derive(Debug, Clone)]
pub struct More {
    /// S3 facts of every bucket a rule judges (invocation-log, large-data, KB source, eval output).
    pub buckets: BTreeMap<String, Read<Bucket>>,
    /// `cloudwatch:DescribeAlarms` (metric alarms).
    pub alarms: Read<Vec<Alarm>>,
    /// `cloudwatch:ListMetrics` per namespace an alarm watches: metric names with data.
    pub listed_metrics: BTreeMap<String, Read<BTreeSet<String>>>,
    /// `logs:DescribeMetricFilters`.
    pub metric_filters: Read<Vec<MetricFilter>>,
    /// `events:ListRules` on the default bus.
    pub event_rules: Read<Vec<EventRule>>,
    /// `logs:DescribeDeliverySources` + `DescribeDeliveries`.
    pub log_deliveries: Read<LogDeliveries>,
    /// `logs:DescribeResourcePolicies`.
    pub log_resource_policies: Read<Vec<LogResourcePolicy>>,
    /// `bedrock:ListEnforcedGuardrailsConfiguration`: config ids.
    pub enforced_guardrails: Read<Vec<String>>,
    /// Trust and inline policies (and boundary, for agent roles), by role name.
    pub role_details: BTreeMap<String, RoleDetail>,
    /// `iam:ListPolicies(Scope=Local)` + default version documents.
    pub local_policies: Read<Vec<LocalPolicy>>,
    /// `iam:ListServiceSpecificCredentials(ServiceName=bedrock.amazonaws.com)`, by user name.
    pub api_keys: BTreeMap<String, Read<Vec<ApiKey>>>,
    /// `bedrock-agent:ListPrompts` + `GetPrompt`.
    pub prompts: Read<Vec<Prompt>>,
    /// `bedrock-agent:ListFlows` + `GetFlow`.
    pub flows: Read<Vec<Flow>>,
    /// `bedrock:ListImportedModels` + `GetImportedModel`.
    pub imported_models: Read<Vec<ImportedModel>>,
    /// `bedrock:ListModelCustomizationJobs` + `GetModelCustomizationJob`.
    pub customization_jobs: Read<Vec<CustomizationJob>>,
    /// `bedrock:ListModelInvocationJobs` (+ `GetModelInvocationJob`).
    pub invocation_jobs: Read<Vec<InvocationJob>>,
    /// `bedrock:ListEvaluationJobs` + `GetEvaluationJob`.
    pub evaluation_jobs: Read<Vec<EvaluationJob>>,
    /// `kms:GetKeyPolicy` (policy `default`), by the key reference of `Inventory::keys`.
    pub key_policies: BTreeMap<String, Read<PolicyDocument>>,
    /// `sns:ListSubscriptionsByTopic`, by topic ARN.
    pub subscriptions: BTreeMap<String, Read<Vec<Subscription>>>,
    /// `bedrock-agent:ListTagsForResource` of knowledge bases and prompts, by ARN.
    pub tags: BTreeMap<String, Read<Tags>>,
    /// The stack's access paths ([`baseline_core::access::check`]) evaluated on its live
    /// policies: `None` without a stack config; a read failure when a policy could not be read.
    /// Filled by the caller (`bedrock-baseline audit` reads them like `check-access`).
    pub access_paths: Option<Read<Vec<baseline_core::access::PathResult>>>,
}

impl More {
    /// Every read failed with `reason`.
    pub fn failed(reason: &str) -> Self {
        let m = || Missing::Failed(reason.to_owned());
        Self {
            buckets: BTreeMap::new(),
            alarms: Err(m()),
            listed_metrics: BTreeMap::new(),
            metric_filters: Err(m()),
            event_rules: Err(m()),
            log_deliveries: Err(m()),
            log_resource_policies: Err(m()),
            enforced_guardrails: Err(m()),
            role_details: BTreeMap::new(),
            local_policies: Err(m()),
            api_keys: BTreeMap::new(),
            prompts: Err(m()),
            flows: Err(m()),
            imported_models: Err(m()),
            customization_jobs: Err(m()),
            invocation_jobs: Err(m()),
            evaluation_jobs: Err(m()),
            key_policies: BTreeMap::new(),
            subscriptions: BTreeMap::new(),
            tags: BTreeMap::new(),
            access_paths: None,
        }
    }

    /// An empty account: every list returned nothing.
    pub fn empty() -> Self {
        Self {
            alarms: Ok(vec![]),
            metric_filters: Ok(vec![]),
            event_rules: Ok(vec![]),
            log_deliveries: Ok(LogDeliveries::default()),
            log_resource_policies: Ok(vec![]),
            enforced_guardrails: Ok(vec![]),
            local_policies: Ok(vec![]),
            prompts: Ok(vec![]),
            flows: Ok(vec![]),
            imported_models: Ok(vec![]),
            customization_jobs: Ok(vec![]),
            invocation_jobs: Ok(vec![]),
            evaluation_jobs: Ok(vec![]),
            ..Self::failed("not read")
        }
    }
}

/// What the S3 rules read of one bucket. Each field is its own call; "not configured" answers
/// (`NoSuchLifecycleConfiguration`, ...) are values (`None` / `false`), not failures.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Name.
    pub name: String,
    /// `GetBucketEncryption`: (SSEAlgorithm, KMSMasterKeyID) of the default rule; `None` = none.
    pub encryption: Read<Option<(String, Option<String>)>>,
    /// `GetBucketLifecycleConfiguration`: some enabled rule expires current objects.
    pub lifecycle_expires: Read<bool>,
    /// `GetBucketLogging`: target bucket of server access logs.
    pub access_log_target: Read<Option<String>>,
    /// `GetObjectLockConfiguration`: `ObjectLockEnabled == Enabled`.
    pub object_lock: Read<bool>,
    /// `GetBucketVersioning`: (Status, MFADelete).
    pub versioning: Read<(Option<String>, Option<String>)>,
    /// `GetBucketPolicy`; `None` = no policy.
    pub policy: Read<Option<PolicyDocument>>,
    /// `GetPublicAccessBlock` (bucket level): [BlockPublicAcls, IgnorePublicAcls,
    /// BlockPublicPolicy, RestrictPublicBuckets]; `None` = no configuration.
    pub public_access_block: Read<Option<[bool; 4]>>,
    /// `GetBucketOwnershipControls`: ObjectOwnership; `None` = no controls.
    pub ownership: Read<Option<String>>,
    /// `GetBucketPolicyStatus.IsPublic`; `None` = no policy.
    pub policy_public: Read<Option<bool>>,
}

/// A metric alarm and the metrics it watches (directly or through metric math).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alarm {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// (namespace, metric name) of every metric it watches.
    pub metrics: Vec<(String, String)>,
}

/// A CloudWatch Logs metric filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricFilter {
    /// Filter name.
    pub name: String,
    /// Log group.
    pub log_group: String,
    /// Filter pattern.
    pub pattern: String,
    /// (namespace, metric name) it publishes.
    pub metrics: Vec<(String, String)>,
}

/// An EventBridge rule on the default bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRule {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// `State` (ENABLED, DISABLED, ...).
    pub state: String,
    /// `EventPattern` text.
    pub pattern: Option<String>,
}

/// CloudWatch Logs vended-log deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogDeliveries {
    /// Delivery sources: (name, resourceArns).
    pub sources: Vec<(String, Vec<String>)>,
    /// Deliveries: (deliverySourceName, deliveryDestinationArn).
    pub deliveries: Vec<(String, String)>,
}

/// A CloudWatch Logs resource policy.
#[derive(Debug, Clone, PartialEq)]
pub struct LogResourcePolicy {
    /// Name.
    pub name: String,
    /// The document; Err when it did not parse.
    pub policy: Result<PolicyDocument, String>,
}

/// `GetKnowledgeBase` fields the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KbDetail {
    /// ARN.
    pub arn: String,
    /// `status` (ACTIVE, ...).
    pub status: Option<String>,
    /// `knowledgeBaseConfiguration.type` (VECTOR, KENDRA, SQL, ...).
    pub kind: Option<String>,
    /// `storageConfiguration.type` (OPENSEARCH_SERVERLESS, PINECONE, RDS, ...).
    pub storage: Option<String>,
    /// The vector store's `credentialsSecretArn` (Pinecone, MongoDB Atlas, Redis, RDS).
    pub credentials_secret: Option<String>,
    /// `roleArn`.
    pub role_arn: Option<String>,
}

/// `GetDataSource` (+ `ListIngestionJobs`) fields the rules read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSourceDetail {
    /// `status` (AVAILABLE, DELETING, DELETE_UNSUCCESSFUL).
    pub status: Option<String>,
    /// `dataDeletionPolicy` (RETAIN, DELETE).
    pub deletion_policy: Option<String>,
    /// `failureReasons`.
    pub failure_reasons: Vec<String>,
    /// `dataSourceConfiguration.s3Configuration.bucketArn`.
    pub bucket_arn: Option<String>,
    /// Ingestion jobs: (status, updatedAt epoch seconds).
    pub ingestion_jobs: Read<Vec<(String, i64)>>,
}

/// An agent's alias-routed versions and its action groups.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentExtras {
    /// Versions an active alias routes to (`ListAgentAliases` + `GetAgentVersion`).
    pub versions: Read<Vec<AgentVersion>>,
    /// `ListAgentActionGroups(DRAFT)` + `GetAgentActionGroup`.
    pub action_groups: Read<Vec<ActionGroup>>,
}

/// One published agent version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentVersion {
    /// Version number.
    pub version: String,
    /// `guardrailConfiguration` (identifier, version).
    pub guardrail: Option<(String, Option<String>)>,
    /// `agentResourceRoleArn`.
    pub role_arn: Option<String>,
}

/// An action group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionGroup {
    /// Name.
    pub name: String,
    /// `actionGroupExecutor.lambda` (function ARN).
    pub lambda: Option<String>,
}

/// What the IAM rules read of one role beyond `ListRoles`' summary.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDetail {
    /// `AssumeRolePolicyDocument` (URL-decoded, parsed).
    pub trust: Result<Option<PolicyDocument>, String>,
    /// Inline policies (`ListRolePolicies` + `GetRolePolicy`).
    pub inline: Read<Vec<(String, PolicyDocument)>>,
    /// `GetRole.PermissionsBoundary` (read for agent roles only).
    pub boundary: Option<Read<Option<String>>>,
}

/// A customer-managed policy.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalPolicy {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Default version document.
    pub document: Read<PolicyDocument>,
}

/// A Bedrock API key (service-specific credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `ServiceSpecificCredentialId`.
    pub id: String,
    /// `Status` (Active, Inactive, Expired).
    pub status: String,
    /// `ExpirationDate`, epoch seconds; `None` = not reported.
    pub expires: Option<i64>,
}

/// A managed prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// Id.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `GetPrompt.customerEncryptionKeyArn`.
    pub key: Read<Option<String>>,
}

/// A flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// Id.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `GetFlow`.
    pub detail: Read<FlowDetail>,
}

/// `GetFlow` fields the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlowDetail {
    /// `customerEncryptionKeyArn`.
    pub key: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `executionRoleArn`.
    pub role_arn: Option<String>,
    /// `status` (Failed, Prepared, Preparing, NotPrepared).
    pub status: Option<String>,
    /// Nodes that generate text (Prompt nodes, KnowledgeBase nodes with a model): (name, has guardrail).
    pub generating_nodes: Vec<(String, bool)>,
    /// `validations[]` of severity Error.
    pub validation_errors: Vec<String>,
}

/// An imported model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedModel {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `GetImportedModel.modelKmsKeyArn`.
    pub key: Read<Option<String>>,
}

/// A model customization job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomizationJob {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `GetModelCustomizationJob.vpcConfig.subnetIds`; `None` = no VPC.
    pub subnets: Read<Option<Vec<String>>>,
    /// `roleArn`.
    pub role_arn: Option<String>,
}

/// A batch-inference job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationJob {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `outputDataConfig.s3OutputDataConfig.s3EncryptionKeyId`.
    pub output_key: Read<Option<String>>,
    /// `roleArn`.
    pub role_arn: Option<String>,
}

/// A model evaluation job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvaluationJob {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `outputDataConfig.s3Uri` bucket.
    pub output_bucket: Read<Option<String>>,
}

/// An SNS subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// ARN (or `PendingConfirmation`).
    pub arn: String,
    /// Protocol.
    pub protocol: String,
}

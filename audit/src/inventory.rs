//! What the read layer gathered, as typed snapshots the rules check. Every read is a [`Read`]:
//! the value, or why there is none (the service is not offered in the region, or the call failed).
//! Rules never see an SDK type, so they are pure and tested over hand-built inventories.

use baseline_core::policy::PolicyDocument;
use std::collections::BTreeMap;

pub use crate::inventory_more::*;

/// Why a read has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// The service (or this API) is not offered in the region: rules on it are NOT_APPLICABLE.
    NotOffered(String),
    /// The call failed (access denied, throttled, ...): rules on it are UNKNOWN.
    Failed(String),
}

impl Missing {
    /// The human reason.
    pub fn reason(&self) -> &str {
        match self {
            Missing::NotOffered(r) | Missing::Failed(r) => r,
        }
    }
}

/// One read: a value, or why there is none.
pub type Read<T> = Result<T, Missing>;

/// Everything one audit run read from one account and region.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The audited account.
    pub account_id: String,
    /// The audited region.
    pub region: String,
    /// AWS partition (`aws`).
    pub partition: String,
    /// The stack whose resources scope-B rules look at; `None` = whatever exists.
    pub stack: Option<StackScope>,
    /// `bedrock:GetModelInvocationLoggingConfiguration`; `None` inside = logging is off.
    pub logging: Read<Option<LoggingConfig>>,
    /// `bedrock:ListGuardrails` + `GetGuardrail` per version read.
    pub guardrails: Read<Vec<Guardrail>>,
    /// `bedrock-agent:ListAgents` + `GetAgent`.
    pub agents: Read<Vec<Agent>>,
    /// `bedrock-agent:ListKnowledgeBases` + `ListDataSources` + `GetDataSource`.
    pub knowledge_bases: Read<Vec<KnowledgeBase>>,
    /// `bedrock:ListCustomModels(isOwned)` + `GetCustomModel`.
    pub custom_models: Read<Vec<CustomModel>>,
    /// `kms:DescribeKey` (+ rotation) for every key a rule needs, by the identifier the resource
    /// referenced it with (ARN, id or alias).
    pub keys: BTreeMap<String, Read<Key>>,
    /// `logs:DescribeLogGroups` for the invocation-log group (by name).
    pub log_groups: BTreeMap<String, Read<Option<LogGroup>>>,
    /// `sns:ListTopics` + `GetTopicAttributes`.
    pub topics: Read<Vec<Topic>>,
    /// `ec2:DescribeVpcEndpoints` (Bedrock services only).
    pub endpoints: Read<Vec<VpcEndpoint>>,
    /// `iam:ListRoles` + `ListAttachedRolePolicies`.
    pub roles: Read<Vec<Role>>,
    /// `iam:ListUsers` + their inline and attached policies' documents.
    pub users: Read<Vec<User>>,
    /// The rest of what the rules read, by area (see [`crate::inventory_more`]).
    pub more: More,
}

/// The names and tags by which a configured stack's resources are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackScope {
    /// `baseline:stack` tag value (`<project>-<environment>`).
    pub stack: String,
    /// The config keys the stack turns on or off, for remediation texts and N/A reasons.
    pub guardrail_name: Option<String>,
    /// `alias/<prefix>-bedrock`.
    pub key_alias: String,
    /// Names of the stack's SNS topics (empty when alerting is off).
    pub topic_names: Vec<String>,
    /// The stack's invocation-log bucket, when it deploys one (`enable_s3_logging`).
    pub log_bucket: Option<String>,
    /// The stack's invocation log group, when it deploys one (`enable_cloudwatch_logging`).
    pub log_group: Option<String>,
    /// The stack's VPC (`vpc_id`), whose endpoints the network rules judge.
    pub vpc_id: Option<String>,
    /// Tag keys every stack resource carries (`tags` plus the stack tag), for BB-30.
    pub tag_keys: Vec<String>,
    /// Name of the stack's managed model-access policy (path `/`), whose
    /// `bedrock:GuardrailIdentifier` condition pins the guardrail version applications must use;
    /// `None` when the stack deploys none.
    pub model_access_policy: Option<String>,
}

/// The account/region's invocation logging configuration (only what rules read).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoggingConfig {
    /// `cloudWatchConfig.logGroupName`.
    pub log_group: Option<String>,
    /// `s3Config.bucketName`.
    pub bucket: Option<String>,
    /// `textDataDeliveryEnabled` (None when the response omitted it).
    pub text_data_delivery: Option<bool>,
    /// `cloudWatchConfig.largeDataDeliveryS3Config.bucketName`.
    pub large_data_bucket: Option<String>,
}

/// A guardrail and the versions read from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Guardrail {
    /// Guardrail id.
    pub id: String,
    /// Guardrail ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Tags (`bedrock:ListTagsForResource`), to find the stack's guardrail.
    pub tags: Read<BTreeMap<String, String>>,
    /// Highest published version number, if any (from `ListGuardrails(guardrailIdentifier)`).
    pub latest_version: Read<Option<String>>,
    /// Versions read: `DRAFT`, plus every version an agent or the stack's policy uses.
    pub versions: Vec<GuardrailVersion>,
}

/// One version of a guardrail, as `GetGuardrail` returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardrailVersion {
    /// `DRAFT` or a number.
    pub version: String,
    /// The detail.
    pub detail: Read<GuardrailDetail>,
}

/// The guardrail fields the rules read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuardrailDetail {
    /// `status`.
    pub status: Option<String>,
    /// `kmsKeyArn`.
    pub kms_key_arn: Option<String>,
    /// `contentPolicy.filters[]`; `None` = no content policy.
    pub content_filters: Option<Vec<ContentFilter>>,
    /// `sensitiveInformationPolicy` present.
    pub sensitive_info: Option<SensitiveInfo>,
    /// `contextualGroundingPolicy.filters[]`; `None` = no grounding policy.
    pub grounding_filters: Option<Vec<GroundingFilter>>,
    /// `topicPolicy.topics[]` count; `None` = no topic policy.
    pub denied_topics: Option<usize>,
    /// `wordPolicy` words + managed lists count; `None` = no word policy.
    pub word_filters: Option<usize>,
    /// `contentPolicy.tier.tierName` (CLASSIC or STANDARD).
    pub content_tier: Option<String>,
    /// `automatedReasoningPolicy.policies[]` count; `None` = none.
    pub automated_reasoning: Option<usize>,
}

/// One content filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentFilter {
    /// `type` (PROMPT_ATTACK, HATE, ...).
    pub kind: String,
    /// `inputStrength`.
    pub input_strength: Option<String>,
    /// `outputStrength`.
    pub output_strength: Option<String>,
}

/// The sensitive-information policy's entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SensitiveInfo {
    /// PII entities and regexes, with their effective output behaviour.
    pub entries: Vec<SensitiveEntry>,
}

/// One PII entity or regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveEntry {
    /// Entity type or regex name.
    pub name: String,
    /// `action`.
    pub action: Option<String>,
    /// `outputAction`.
    pub output_action: Option<String>,
    /// `outputEnabled`.
    pub output_enabled: Option<bool>,
}

/// One contextual grounding filter.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundingFilter {
    /// GROUNDING or RELEVANCE.
    pub kind: String,
    /// `threshold`.
    pub threshold: Option<f64>,
    /// `action`.
    pub action: Option<String>,
    /// `enabled`.
    pub enabled: Option<bool>,
}

/// An agent (`ListAgents` summary + `GetAgent`).
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// Agent id.
    pub id: String,
    /// Agent name.
    pub name: String,
    /// The detail.
    pub detail: Read<AgentDetail>,
    /// Alias-routed versions and action groups.
    pub extras: AgentExtras,
}

/// The agent fields the rules read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentDetail {
    /// `agentArn`.
    pub arn: String,
    /// `agentResourceRoleArn`.
    pub role_arn: Option<String>,
    /// `customerEncryptionKeyArn`.
    pub customer_key_arn: Option<String>,
    /// `guardrailConfiguration` (identifier, version).
    pub guardrail: Option<(String, Option<String>)>,
    /// `idleSessionTTLInSeconds`.
    pub idle_session_ttl: Option<i32>,
}

/// A knowledge base and its data sources.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeBase {
    /// KB id.
    pub id: String,
    /// KB name.
    pub name: String,
    /// `ListDataSources` + `GetDataSource` each.
    pub data_sources: Read<Vec<DataSource>>,
    /// `GetKnowledgeBase`.
    pub detail: Read<KbDetail>,
}

/// A data source.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// Data source id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `GetDataSource` → `serverSideEncryptionConfiguration.kmsKeyArn` (inner None = not set).
    pub kms_key_arn: Read<Option<String>>,
    /// The rest of `GetDataSource`, and its ingestion jobs.
    pub detail: Read<DataSourceDetail>,
}

/// A custom model.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomModel {
    /// Model ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `GetCustomModel` → `modelKmsKeyArn` (inner None = AWS-owned key).
    pub kms_key_arn: Read<Option<String>>,
}

/// `kms:DescribeKey` and `GetKeyRotationStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Key ARN.
    pub arn: String,
    /// `KeyManager` (`CUSTOMER` or `AWS`).
    pub manager: Option<String>,
    /// `KeyState`.
    pub state: Option<String>,
    /// `KeySpec`.
    pub spec: Option<String>,
    /// `MultiRegion`.
    pub multi_region: Option<bool>,
    /// `GetKeyRotationStatus.KeyRotationEnabled` (read for customer keys only).
    pub rotation: Read<Option<bool>>,
}

/// A CloudWatch log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroup {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: Option<String>,
    /// `kmsKeyId`.
    pub kms_key_id: Option<String>,
    /// `retentionInDays`; `None` = never expire.
    pub retention_days: Option<i32>,
}

/// An SNS topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    /// Topic ARN.
    pub arn: String,
    /// `KmsMasterKeyId` attribute.
    pub kms_key: Option<String>,
    /// `Policy` attribute.
    pub policy: Read<Option<PolicyDocument>>,
}

impl Topic {
    /// The topic's name (last ARN segment).
    pub fn name(&self) -> &str {
        self.arn.rsplit(':').next().unwrap_or(&self.arn)
    }
}

/// A VPC endpoint (every service; [`VpcEndpoint::is_bedrock`] tells Bedrock's).
#[derive(Debug, Clone, PartialEq)]
pub struct VpcEndpoint {
    /// Endpoint id.
    pub id: String,
    /// Service name.
    pub service_name: String,
    /// VPC id.
    pub vpc_id: String,
    /// `VpcEndpointType` (Interface, Gateway, ...).
    pub kind: String,
    /// `State` (available, pending, ...).
    pub state: String,
    /// Subnets of an interface endpoint.
    pub subnet_ids: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// `PolicyDocument` (parsed); Err when it did not parse.
    pub policy: Result<Option<PolicyDocument>, String>,
}

/// An IAM role with its attached managed policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Path (`/aws-service-role/` marks service-linked roles).
    pub path: String,
    /// Attached managed policy ARNs.
    pub attached: Read<Vec<String>>,
}

/// An IAM user with the documents of its policies.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Inline and attached policies: (name or ARN, document).
    pub policies: Read<Vec<(String, PolicyDocument)>>,
}

impl VpcEndpoint {
    /// The service's last name segment (`bedrock-runtime` of `com.amazonaws.<region>.bedrock-runtime`).
    pub fn service(&self) -> &str {
        self.service_name.rsplit('.').next().unwrap_or_default()
    }

    /// An endpoint of a Bedrock service (`bedrock`, `bedrock-runtime`, `bedrock-agent`, ...).
    pub fn is_bedrock(&self) -> bool {
        self.service().starts_with("bedrock")
    }
}

impl Inventory {
    /// An empty inventory where every read failed with `reason` (a base for tests).
    pub fn failed(account_id: &str, region: &str, reason: &str) -> Self {
        let m = || Missing::Failed(reason.to_owned());
        Self {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            partition: "aws".into(),
            stack: None,
            logging: Err(m()),
            guardrails: Err(m()),
            agents: Err(m()),
            knowledge_bases: Err(m()),
            custom_models: Err(m()),
            keys: BTreeMap::new(),
            log_groups: BTreeMap::new(),
            topics: Err(m()),
            endpoints: Err(m()),
            roles: Err(m()),
            users: Err(m()),
            more: More::failed(reason),
        }
    }

    /// An inventory of an empty account: every list read returned nothing.
    pub fn empty(account_id: &str, region: &str) -> Self {
        Self {
            logging: Ok(None),
            guardrails: Ok(vec![]),
            agents: Ok(vec![]),
            knowledge_bases: Ok(vec![]),
            custom_models: Ok(vec![]),
            topics: Ok(vec![]),
            endpoints: Ok(vec![]),
            roles: Ok(vec![]),
            users: Ok(vec![]),
            more: More::empty(),
            ..Self::failed(account_id, region, "not read")
        }
    }

    /// `arn:<partition>:bedrock:<region>:<account>:<resource>`.
    pub fn bedrock_arn(&self, resource: &str) -> String {
        format!(
            "arn:{}:bedrock:{}:{}:{resource}",
            self.partition, self.region, self.account_id
        )
    }
}

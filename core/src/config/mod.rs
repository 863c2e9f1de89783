//! The configuration model: one field per variable of the original Terraform module (same key
//! names, so existing values carry over), plus the keys this tool adds.
//!
//! This module owns the *shape* of the configuration ([`Config`] and its nested types), the
//! built-in defaults ([`Config::default`]) and the small helpers modules need
//! ([`Config::prefix`], [`Config::pii_action_for`], ...). Loading the layered sources lives in
//! `load.rs` ([`load`], [`ConfigSources`]), the rules in `validate.rs` ([`validate`]). Both report
//! problems as [`ConfigIssue`]s: data with a key path and a hint, never a panic.
//!
//! Inputs: nothing (pure types). Outputs: [`Config`], consumed read-only by every module crate.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize};

mod load;
mod validate;

pub use load::{load, ConfigSources, RESERVED_ENV_VARS};
pub use validate::validate;

/// Every PII entity type the Bedrock API accepts (`GuardrailPiiEntityType`).
///
/// The original module passed the pseudo-type `ALL`, which the API rejects; here the configured
/// list ([`GuardrailSettings::pii_entities`]) is checked against this one.
pub const PII_ENTITY_TYPES: &[&str] = &[
    "ADDRESS",
    "AGE",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER",
    "CREDIT_DEBIT_CARD_CVV",
    "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_NUMBER",
    "DRIVER_ID",
    "EMAIL",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS",
    "LICENSE_PLATE",
    "MAC_ADDRESS",
    "NAME",
    "PASSWORD",
    "PHONE",
    "PIN",
    "SWIFT_CODE",
    "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER",
    "URL",
    "USERNAME",
    "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER",
    "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER",
    "VEHICLE_IDENTIFICATION_NUMBER",
];

/// The PII entity types handled when `guardrail.pii_entities` is not set.
pub const DEFAULT_PII_ENTITIES: &[&str] = &[
    "NAME",
    "EMAIL",
    "PHONE",
    "ADDRESS",
    "US_SOCIAL_SECURITY_NUMBER",
    "CREDIT_DEBIT_CARD_NUMBER",
    "CREDIT_DEBIT_CARD_CVV",
    "CREDIT_DEBIT_CARD_EXPIRY",
    "US_BANK_ACCOUNT_NUMBER",
    "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "US_PASSPORT_NUMBER",
    "DRIVER_ID",
    "PASSWORD",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "IP_ADDRESS",
];

/// CloudWatch Logs' allowed retention periods, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The Bedrock interface endpoints whose policy `custom_endpoint_policies` may replace.
pub const ENDPOINT_POLICY_NAMES: &[&str] = &[
    "bedrock",
    "bedrock-runtime",
    "bedrock-agent",
    "bedrock-agent-runtime",
    "bedrock-mantle",
];

/// A problem found while loading or validating the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigIssue {
    /// Key path of the offending value, e.g. `subnet_ids[0]` or `tags.Owner`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

impl ConfigIssue {
    /// An issue at a key path (`subnet_ids[1]`), without a hint.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// Adds how to fix it.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file given does not exist.
    #[error("config file `{}` not found", path.display())]
    FileNotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The file's extension is not one of `.toml`, `.yaml`, `.yml`, `.json`.
    #[error("config file `{}` has an unsupported format (use .toml, .yaml, .yml or .json)", path.display())]
    UnsupportedFormat {
        /// The path as given.
        path: PathBuf,
    },
    /// The file could not be read or is not well-formed TOML/YAML/JSON.
    #[error("cannot parse config file `{}`: {message}", path.display())]
    Parse {
        /// The path as given.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The configuration was read but has problems; every one is listed.
    #[error("invalid configuration ({} problem{}):\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, DisplayIssues(.0))]
    Invalid(Vec<ConfigIssue>),
}

impl ConfigError {
    /// The issues of an [`ConfigError::Invalid`] error (empty for the other variants).
    pub fn issues(&self) -> &[ConfigIssue] {
        match self {
            Self::Invalid(issues) => issues,
            _ => &[],
        }
    }
}

struct DisplayIssues<'a>(&'a [ConfigIssue]);

impl fmt::Display for DisplayIssues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  {issue}")?;
        }
        Ok(())
    }
}

/// The closest candidate to `input`, if one is close enough to suggest ("did you mean ...?").
pub(crate) fn did_you_mean<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lowered = input.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        if candidate.eq_ignore_ascii_case(input) {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(&lowered, &candidate.to_ascii_lowercase());
        if score >= 0.8 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Content filter strength (`GuardrailFilterStrength`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FilterStrength {
    /// Filter disabled.
    None,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl FilterStrength {
    /// The API spelling (`NONE`, `LOW`, `MEDIUM`, `HIGH`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
        }
    }
}

/// The six content filter types; config keys are lowercase (`prompt_attack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentFilterType {
    /// `SEXUAL`.
    Sexual,
    /// `VIOLENCE`.
    Violence,
    /// `HATE`.
    Hate,
    /// `INSULTS`.
    Insults,
    /// `MISCONDUCT`.
    Misconduct,
    /// `PROMPT_ATTACK`: its output strength must be `NONE`.
    PromptAttack,
}

impl ContentFilterType {
    /// All six, in API order.
    pub const ALL: [Self; 6] = [
        Self::Sexual,
        Self::Violence,
        Self::Hate,
        Self::Insults,
        Self::Misconduct,
        Self::PromptAttack,
    ];

    /// The config key (`prompt_attack`).
    pub fn key(self) -> &'static str {
        match self {
            Self::Sexual => "sexual",
            Self::Violence => "violence",
            Self::Hate => "hate",
            Self::Insults => "insults",
            Self::Misconduct => "misconduct",
            Self::PromptAttack => "prompt_attack",
        }
    }

    /// The API spelling (`PROMPT_ATTACK`).
    pub fn api_name(self) -> &'static str {
        match self {
            Self::Sexual => "SEXUAL",
            Self::Violence => "VIOLENCE",
            Self::Hate => "HATE",
            Self::Insults => "INSULTS",
            Self::Misconduct => "MISCONDUCT",
            Self::PromptAttack => "PROMPT_ATTACK",
        }
    }
}

/// Input and output strength of one content filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentFilter {
    /// Strength applied to prompts.
    pub input_strength: FilterStrength,
    /// Strength applied to model responses.
    pub output_strength: FilterStrength,
}

/// What a guardrail does with a sensitive-information match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PiiAction {
    /// Reject the prompt or response.
    Block,
    /// Mask the match.
    Anonymize,
}

impl PiiAction {
    /// The API spelling (`BLOCK`, `ANONYMIZE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "BLOCK",
            Self::Anonymize => "ANONYMIZE",
        }
    }
}

/// SNS subscription protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubscriptionProtocol {
    /// `email`: a plain-text e-mail address.
    Email,
    /// `email-json`: an e-mail address receiving JSON.
    EmailJson,
    /// `sms`: an E.164 phone number.
    Sms,
    /// `https`: an `https://` URL.
    Https,
    /// `http`: an `http://` URL (unencrypted; prefer https).
    Http,
    /// `sqs`: an SQS queue ARN.
    Sqs,
    /// `lambda`: a Lambda function ARN.
    Lambda,
}

impl SubscriptionProtocol {
    /// The SNS spelling (`email-json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::EmailJson => "email-json",
            Self::Sms => "sms",
            Self::Https => "https",
            Self::Http => "http",
            Self::Sqs => "sqs",
            Self::Lambda => "lambda",
        }
    }
}

/// One SNS subscription of an alert topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// Delivery protocol.
    pub protocol: SubscriptionProtocol,
    /// Address, number, URL or ARN, as the protocol requires.
    pub endpoint: String,
}

/// Cost anomaly subscription frequency: the values of `AnomalySubscriptionFrequency` in the Cost
/// Explorer API reference (`API_AnomalySubscription`). `MONTHLY` (accepted before) is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AnomalyFrequency {
    /// `DAILY`: a daily summary, e-mail subscribers only.
    Daily,
    /// `IMMEDIATE`: one notification per anomaly, SNS subscribers only.
    Immediate,
    /// `WEEKLY`: a weekly summary, e-mail subscribers only.
    Weekly,
}

impl AnomalyFrequency {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Immediate => "IMMEDIATE",
            Self::Weekly => "WEEKLY",
        }
    }
}

/// Traffic a VPC flow log captures: the `TrafficType` values of CreateFlowLogs (EC2 API
/// reference, <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FlowLogTrafficType {
    /// Accepted and rejected traffic.
    All,
    /// Accepted traffic only.
    Accept,
    /// Rejected traffic only (what security groups and network ACLs refused).
    Reject,
}

impl FlowLogTrafficType {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::Accept => "ACCEPT",
            Self::Reject => "REJECT",
        }
    }
}

/// AWS Budgets auto-adjust type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BudgetAutoAdjustType {
    /// Adjust from historical spend.
    Historical,
    /// Adjust from forecast spend.
    Forecast,
}

/// Additional (non-Bedrock) interface endpoints this tool can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointService {
    /// `com.amazonaws.<region>.kms`.
    Kms,
    /// `com.amazonaws.<region>.logs`.
    Logs,
    /// `com.amazonaws.<region>.monitoring`.
    Monitoring,
    /// `com.amazonaws.<region>.sns`.
    Sns,
    /// `com.amazonaws.<region>.sts`.
    Sts,
    /// `com.amazonaws.<region>.s3`, created as a Gateway endpoint on `route_table_ids`.
    S3,
}

impl EndpointService {
    /// The service name's last part (`kms`, `s3`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kms => "kms",
            Self::Logs => "logs",
            Self::Monitoring => "monitoring",
            Self::Sns => "sns",
            Self::Sts => "sts",
            Self::S3 => "s3",
        }
    }

    /// Whether the endpoint is a Gateway endpoint (only S3) rather than an Interface one.
    pub fn is_gateway(self) -> bool {
        matches!(self, Self::S3)
    }
}

/// Lifecycle of the invocation-log bucket (extension). A value of 0 disables that step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Lifecycle {
    /// Days before objects move to STANDARD_IA (0 = never; otherwise at least 30).
    pub transition_to_ia_days: u32,
    /// Days before objects move to GLACIER (0 = never; at least 30 after the IA transition).
    pub transition_to_glacier_days: u32,
    /// Days before current objects expire (0 = never).
    pub expiration_days: u32,
    /// Days before noncurrent versions expire (0 = never).
    pub noncurrent_version_expiration_days: u32,
}

impl Default for S3Lifecycle {
    fn default() -> Self {
        Self {
            transition_to_ia_days: 30,
            transition_to_glacier_days: 90,
            expiration_days: 365,
            noncurrent_version_expiration_days: 90,
        }
    }
}

/// S3 Object Lock retention mode of the log bucket (extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ObjectLockMode {
    /// Users with `s3:BypassGovernanceRetention` can still delete locked versions.
    Governance,
    /// Nobody, root included, can delete a locked version before its retention ends.
    Compliance,
}

impl ObjectLockMode {
    /// The API spelling (`GOVERNANCE`, `COMPLIANCE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Governance => "GOVERNANCE",
            Self::Compliance => "COMPLIANCE",
        }
    }
}

/// Tamper resistance of the invocation-log bucket (extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3ObjectLock {
    /// Turn S3 Object Lock on (irreversible for the bucket).
    pub enabled: bool,
    /// Default retention mode of new object versions.
    pub mode: ObjectLockMode,
    /// Default retention of new object versions, in days.
    pub days: u32,
}

/// Cross-region replication of the two audit buckets to a bucket in another region
/// (extension). Off while `destination_bucket_arn` is unset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Replication {
    /// The destination bucket, `arn:<partition>:s3:::<name>`: in another region, versioned,
    /// with Object Lock when the log bucket has it. The stack does not create it (it would need
    /// a key and a provider in that region); it only replicates into it.
    pub destination_bucket_arn: Option<String>,
    /// The customer-managed key of the destination region that encrypts the replicas of the
    /// SSE-KMS log objects (required with a destination).
    pub destination_kms_key_arn: Option<String>,
}

impl S3Replication {
    /// Whether replication is asked for.
    pub fn enabled(&self) -> bool {
        self.destination_bucket_arn.is_some()
    }
}

impl Default for S3ObjectLock {
    fn default() -> Self {
        Self {
            enabled: true,
            mode: ObjectLockMode::Governance,
            days: 90,
        }
    }
}

/// A custom regex sensitive-information filter of the guardrail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailRegex {
    /// Name (1..=100 characters).
    pub name: String,
    /// The regular expression (1..=500 characters).
    pub pattern: String,
    /// What to do on a match.
    pub action: PiiAction,
    /// Optional description.
    #[serde(default)]
    pub description: Option<String>,
}

/// A denied topic of the guardrail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeniedTopic {
    /// Name (1..=100 characters of letters, digits, spaces and `-_!?.`).
    pub name: String,
    /// What the topic is (1..=200 characters).
    pub definition: String,
    /// Up to five example phrases (each 1..=100 characters).
    #[serde(default)]
    pub examples: Vec<String>,
}

/// Contextual grounding check thresholds (each 0..=0.99).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextualGrounding {
    /// Minimum grounding score.
    pub grounding_threshold: f64,
    /// Minimum relevance score.
    pub relevance_threshold: f64,
}

/// Guardrail settings beyond the original's variables (extension, `[guardrail]` table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardrailSettings {
    /// PII entity types to handle (see [`PII_ENTITY_TYPES`]); replaces the original's `ALL`.
    pub pii_entities: Vec<String>,
    /// Per-type override of `pii_entities_action`.
    pub pii_entity_actions: BTreeMap<String, PiiAction>,
    /// Custom regex filters.
    pub regexes: Vec<GuardrailRegex>,
    /// Denied topics.
    pub denied_topics: Vec<DeniedTopic>,
    /// Custom blocked words or phrases.
    pub word_filters: Vec<String>,
    /// Whether to enable the AWS-managed profanity list.
    pub managed_profanity_list: bool,
    /// Contextual grounding check; `None` disables it.
    pub contextual_grounding: Option<ContextualGrounding>,
    /// Message returned when a prompt is blocked (1..=500 characters).
    pub blocked_input_message: String,
    /// Message returned when a response is blocked (1..=500 characters).
    pub blocked_outputs_message: String,
}

impl Default for GuardrailSettings {
    fn default() -> Self {
        Self {
            pii_entities: DEFAULT_PII_ENTITIES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            pii_entity_actions: BTreeMap::new(),
            regexes: Vec::new(),
            denied_topics: Vec::new(),
            word_filters: Vec::new(),
            managed_profanity_list: true,
            contextual_grounding: None,
            blocked_input_message:
                "Sorry, this request was blocked by the organization's AI usage policy.".to_owned(),
            blocked_outputs_message:
                "Sorry, the response was blocked by the organization's AI usage policy.".to_owned(),
        }
    }
}

/// Where the state document is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StateBackend {
    /// A local file at `state.path`.
    #[default]
    Local,
    /// An S3 object `s3://<bucket>/<key>`.
    S3,
}

/// State storage settings (extension, `[state]` table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSettings {
    /// Backend kind.
    pub backend: StateBackend,
    /// Local state directory/file (backend `local`).
    pub path: PathBuf,
    /// Bucket (backend `s3`, required there).
    pub bucket: Option<String>,
    /// Object key (backend `s3`, required there).
    pub key: Option<String>,
    /// Bucket region (backend `s3`; defaults to the deployment region).
    pub region: Option<String>,
}

impl Default for StateSettings {
    fn default() -> Self {
        Self {
            backend: StateBackend::Local,
            path: PathBuf::from(".baseline/state"),
            bucket: None,
            key: None,
            region: None,
        }
    }
}

/// Accepts a string, or a number/bool written without quotes (as Terraform converts them).
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        S(String),
        I(i64),
        U(u64),
        F(f64),
        B(bool),
    }
    Ok(match Lenient::deserialize(deserializer)? {
        Lenient::S(s) => s,
        Lenient::I(i) => i.to_string(),
        Lenient::U(u) => u.to_string(),
        Lenient::F(f) => f.to_string(),
        Lenient::B(b) => b.to_string(),
    })
}

/// The whole configuration. Keys are the original Terraform variables' names; see
/// `docs/config-reference.md` for every key, its default and what differs from the original.
///
/// Build one with [`load`] (layered sources, validated) or in code from [`Config::default`] and
/// check it with [`validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    // ----- core -----------------------------------------------------------------------------
    /// Environment name (required): lowercase letters, digits, hyphens; part of every name.
    pub environment: String,
    /// VPC for the endpoints (required). The original defaulted to `vpc-0123456789abcdef`, which
    /// is not a VPC id (16 hex digits; AWS uses 8 or 17), so there is no default here.
    pub vpc_id: String,
    /// Subnets for the interface endpoints (required, at least one). The original defaulted to
    /// `snet-...` ids, which AWS never issues, so there is no default here.
    pub subnet_ids: Vec<String>,
    /// User tags added to every resource (at most 48; `aws:` and `baseline:` keys are reserved).
    pub tags: BTreeMap<String, String>,

    // ----- logging --------------------------------------------------------------------------
    /// CloudWatch Logs retention in days; one of [`LOG_RETENTION_DAYS`].
    pub log_retention_days: u32,
    /// Key prefix of invocation logs in the bucket; ends with `/`.
    pub s3_log_prefix: String,
    /// Permissions boundary (IAM policy ARN) attached to every role the tool creates.
    pub permissions_boundary_arn: Option<String>,

    // ----- network --------------------------------------------------------------------------
    /// Networks allowed to reach the Bedrock management endpoint on 443. The original defaulted
    /// to `10.20.0.0/8` (host bits set, and not chosen by the user), so the default here is `[]`.
    pub management_allowed_cidrs: Vec<IpNet>,
    /// Networks allowed to reach the runtime endpoints on 443.
    pub runtime_allowed_cidrs: Vec<IpNet>,
    /// The VPC's CIDR, allowed to reach the other endpoints.
    pub vpc_cidr: IpNet,
    /// Existing application role allowed by the endpoint policies (`aws:PrincipalArn`); not
    /// created here. Required: the original's placeholder default `JQ-12345678-Bedrock` named a
    /// role no account has, so every caller through the endpoints was denied. Its ARN (with
    /// its path) is read with `GetRole` before anything is written.
    pub bedrock_role_name: String,
    /// IAM principal ARNs that may, through the Bedrock management endpoint, switch off the
    /// audit trail or the guardrail (`DeleteModelInvocationLoggingConfiguration`,
    /// `PutModelInvocationLoggingConfiguration`, `DeleteGuardrail`, `UpdateGuardrail`). The
    /// application role never may. Default `[]`.
    pub admin_principal_arns: Vec<String>,
    /// Regions whose foundation models may be invoked.
    pub allowed_model_regions: Vec<String>,
    /// Foundation-model or inference-profile ARNs the endpoint policies allow (empty: any model
    /// in `allowed_model_regions`).
    pub foundation_models: Vec<String>,

    // ----- guardrails -----------------------------------------------------------------------
    /// Whether to create the guardrail.
    pub enable_guardrails: bool,
    /// Guardrail name (default `<prefix>-guardrail`).
    pub guardrail_name: Option<String>,
    /// Default action for the PII types of `guardrail.pii_entities`. The original passed the
    /// type `ALL`, which is not a PII type; the list is expanded instead.
    pub pii_entities_action: PiiAction,
    /// Content filters by type. The original default set `prompt_attack` output to HIGH, which
    /// AWS rejects: here it is NONE. A filter left out of a file keeps its default.
    pub content_filters: BTreeMap<ContentFilterType, ContentFilter>,

    // ----- endpoints ------------------------------------------------------------------------
    /// Create the `bedrock` (management) interface endpoint.
    pub enable_bedrock_management_endpoint: bool,
    /// Create the `bedrock-runtime` interface endpoint.
    pub enable_bedrock_runtime_endpoint: bool,
    /// Create the `bedrock-agent` interface endpoint.
    pub enable_bedrock_agent_endpoint: bool,
    /// Create the `bedrock-agent-runtime` interface endpoint.
    pub enable_bedrock_agent_runtime_endpoint: bool,
    /// Create the `bedrock-mantle` interface endpoint (OpenAI-compatible and Anthropic Messages
    /// APIs) where the region offers it; skipped with a plan note where it does not (extension).
    pub enable_bedrock_mantle_endpoint: bool,

    // ----- invocation logging ---------------------------------------------------------------
    /// Configure Bedrock model invocation logging.
    pub enable_model_invocation_logging: bool,
    /// Deliver invocation logs to CloudWatch Logs.
    pub enable_cloudwatch_logging: bool,
    /// Deliver invocation logs to S3.
    pub enable_s3_logging: bool,
    /// Include text data in invocation logs.
    pub text_data_delivery_enabled: bool,
    /// Include image data in invocation logs.
    pub image_data_delivery_enabled: bool,
    /// Include embeddings in invocation logs.
    pub embedding_data_delivery_enabled: bool,

    // ----- network, continued ---------------------------------------------------------------
    /// Enable private DNS on the interface endpoints.
    pub enable_private_dns: bool,
    /// Route tables for Gateway endpoints (`rtb-...`).
    pub route_table_ids: Vec<String>,
    /// Endpoint policy JSON replacing the generated one, by endpoint name
    /// (see [`ENDPOINT_POLICY_NAMES`]).
    pub custom_endpoint_policies: BTreeMap<String, String>,

    // ----- alerting -------------------------------------------------------------------------
    /// Create the SNS alert topics.
    pub enable_alerting: bool,
    /// Create anomaly-detection alarms.
    pub enable_anomaly_detection: bool,
    /// Create cost alarms.
    pub enable_cost_alerting: bool,
    /// Create token-usage alarms.
    pub enable_token_monitoring: bool,
    /// Create composite health alarms.
    pub enable_composite_alarms: bool,
    /// Encrypt the SNS topics with the tool's KMS key.
    pub enable_sns_encryption: bool,
    /// Also notify when alarms return to OK.
    pub enable_ok_actions: bool,
    /// Subscriptions of the critical-alerts topic, by name.
    pub critical_alert_subscriptions: BTreeMap<String, Subscription>,
    /// Subscriptions of the performance-alerts topic, by name.
    pub performance_alert_subscriptions: BTreeMap<String, Subscription>,
    /// Subscriptions of the cost-alerts topic, by name.
    pub cost_alert_subscriptions: BTreeMap<String, Subscription>,
    /// Additional account principals allowed to publish to the topics. The original defaulted
    /// to `["*"]` (anyone); here the default is `[]` and `*` is rejected: AWS service principals
    /// are granted by the tool with confused-deputy conditions.
    pub sns_topic_principals: Vec<String>,

    // ----- monitoring -----------------------------------------------------------------------
    /// Evaluation periods of the standard alarms.
    pub alarm_evaluation_periods: u32,
    /// Datapoints (within the evaluation periods) that trigger the standard alarms.
    pub alarm_datapoints_to_alarm: u32,
    /// Period of the standard alarms, seconds (10, 30 or a multiple of 60).
    pub alarm_period: u32,
    /// Client-error count threshold.
    pub invocation_error_threshold: f64,
    /// Server-error count threshold.
    pub server_error_threshold: f64,
    /// Throttle count threshold.
    pub throttle_threshold: f64,
    /// Invocation latency threshold, milliseconds.
    pub latency_threshold_ms: f64,
    /// Invocation-logging delivery failure threshold.
    pub logging_failure_threshold: f64,
    /// Evaluation periods of the anomaly alarms.
    pub anomaly_evaluation_periods: u32,
    /// Period of the anomaly alarms, seconds.
    pub anomaly_period: u32,
    /// Band width (standard deviations) of the invocation anomaly alarm.
    pub anomaly_threshold: f64,
    /// Band width (standard deviations) of the token anomaly alarm.
    pub token_anomaly_threshold: f64,
    /// Alarm suppressing the composite alarms' actions during maintenance.
    pub maintenance_window_alarm_arn: Option<String>,
    /// Actions-suppressor extension period, seconds.
    pub maintenance_suppression_extension_period: u32,
    /// Actions-suppressor wait period, seconds.
    pub maintenance_suppression_wait_period: u32,
    /// Guardrail interventions threshold (`AWS/Bedrock/Guardrails` `InvocationsIntervened`).
    pub guardrails_blocked_threshold: f64,
    /// Failed training jobs tolerated (0 alerts on the first failure); implemented with an
    /// EventBridge rule, as no CloudWatch metric exists.
    pub training_job_failure_threshold: f64,
    /// Monitor Bedrock Agents.
    pub enable_agents_monitoring: bool,
    /// Monitor knowledge bases.
    pub enable_knowledge_base_monitoring: bool,
    /// Monitor guardrails.
    pub enable_guardrails_monitoring: bool,
    /// Monitor model customization (training) jobs.
    pub enable_training_monitoring: bool,
    /// Monitor API call volume (`AWS/Usage`).
    pub enable_api_call_monitoring: bool,
    /// Create the comprehensive composite health alarm.
    pub enable_comprehensive_health_monitoring: bool,
    /// Agents latency threshold, milliseconds.
    pub agents_latency_threshold_ms: f64,
    /// Knowledge-base latency threshold, milliseconds.
    pub kb_latency_threshold_ms: f64,
    /// Agents throttle threshold.
    pub agents_throttle_threshold: f64,
    /// Knowledge-base throttle threshold.
    pub kb_throttle_threshold: f64,
    /// Agents error threshold.
    pub agents_error_threshold: f64,
    /// Knowledge-base error threshold.
    pub kb_error_threshold: f64,
    /// Evaluation periods of the training alarms.
    pub training_alarm_evaluation_periods: u32,
    /// Period of the training alarms, seconds.
    pub training_alarm_period: u32,
    /// Alarm (`kms-request-quota`) on the account's KMS request rate against its quota. KMS
    /// publishes no per-key throttle metric, so this is account-wide. Default true.
    pub enable_kms_usage_monitoring: bool,
    /// Percentage of the KMS cryptographic-operations request quota at which
    /// `kms-request-quota` fires (GenerateDataKey + Decrypt calls per second, AWS/Usage
    /// CallCount, over `SERVICE_QUOTA`). Above 0, at most 100. Default 80.
    pub kms_request_quota_alarm_percent: f64,
    /// A request-metrics configuration on the invocation-log bucket (`AWS/S3` 4xxErrors,
    /// 5xxErrors per request) and alarms on its errors. Default true.
    pub enable_s3_request_metrics: bool,
    /// Metric filters on the invocation log group (guardrail interventions, PII, errors,
    /// access denials), their alarms and saved Logs Insights queries. Default true.
    pub enable_log_analysis: bool,
    /// VPC flow logs of the stack's interface-endpoint network interfaces to the encrypted log
    /// group `/aws/bedrock/<prefix>/vpc-flow-logs` (logging module). Default false.
    pub enable_vpc_flow_logs: bool,
    /// Which traffic the flow logs capture (`ALL`, `ACCEPT`, `REJECT`). Default `ALL`.
    pub vpc_flow_logs_traffic_type: FlowLogTrafficType,
    /// Retention of the flow-log group, days (a CloudWatch Logs retention period). Default 30.
    pub vpc_flow_logs_retention_days: u32,

    // ----- cost (later) ---------------------------------------------------------------------
    /// Create the monthly cost budget.
    pub enable_budget_monitoring: bool,
    /// Create the token budget. Default false (the original: true): AWS documents no Bedrock
    /// usage type a token USAGE budget could filter on, so validation refuses `true`.
    pub enable_token_budget_monitoring: bool,
    /// Monthly cost budget, USD (a positive number, as a string like the original).
    #[serde(deserialize_with = "lenient_string")]
    pub bedrock_monthly_budget_limit: String,
    /// Monthly token budget (a positive number, as a string like the original).
    #[serde(deserialize_with = "lenient_string")]
    pub token_monthly_budget_limit: String,
    /// Main budget notification address. The original defaulted to an example address; unset
    /// here so nothing is sent to a stranger.
    pub budget_notification_email: Option<String>,
    /// Budget notification addresses (original default: an example address).
    pub budget_notification_emails: Vec<String>,
    /// Warning threshold, percent of the budget.
    pub budget_warning_threshold: f64,
    /// Critical threshold, percent of the budget.
    pub budget_critical_threshold: f64,
    /// Forecast threshold, percent of the budget.
    pub budget_forecast_threshold: f64,
    /// Recipients of warning notifications.
    pub budget_warning_emails: Vec<String>,
    /// Recipients of critical notifications.
    pub budget_critical_emails: Vec<String>,
    /// Recipients of forecast notifications.
    pub budget_forecast_emails: Vec<String>,
    /// Token budget threshold, percent.
    pub token_budget_threshold: f64,
    /// Recipients of token budget notifications.
    pub token_budget_emails: Vec<String>,
    /// Include related AI services (e.g. SageMaker) in the cost budget.
    pub include_related_ai_services: bool,
    /// Cost filter tags: tag key -> values.
    pub budget_cost_filter_tags: BTreeMap<String, Vec<String>>,
    /// Create a cost anomaly monitor.
    pub enable_budget_anomaly_detection: bool,
    /// Cost anomaly threshold, USD.
    pub budget_anomaly_threshold: f64,
    /// Cost anomaly notification frequency.
    pub budget_anomaly_frequency: AnomalyFrequency,
    /// Recipients of cost anomaly notifications.
    pub budget_anomaly_emails: Vec<String>,
    /// Budget auto-adjustment (`None`: fixed budget).
    pub budget_auto_adjust_type: Option<BudgetAutoAdjustType>,
    /// Months of history for `HISTORICAL` auto-adjustment (1..=60).
    pub budget_historical_adjustment_period: u32,
    /// Create the token anomaly alarm.
    pub enable_token_anomaly_detection: bool,
    /// Absolute token-count threshold of the static token alarms; `None` (the default): no
    /// static token alarm, since any fixed default pages for normal traffic.
    pub token_anomaly_threshold_value: Option<f64>,

    // ----- extensions (not in the original) -------------------------------------------------
    /// Project name; names use the prefix `<project>-<environment>`.
    pub project: String,
    /// Deployment region; `None` uses the AWS credential chain's region.
    pub region: Option<String>,
    /// KMS key deletion window in days (7..=30).
    pub kms_deletion_window_days: u32,
    /// Lifecycle of the invocation-log bucket.
    pub s3_lifecycle: S3Lifecycle,
    /// S3 Object Lock of the invocation-log bucket.
    pub s3_object_lock: S3ObjectLock,
    /// Server access logging of the log bucket to a second access-log bucket of the stack.
    pub s3_access_logging: bool,
    /// Cross-region replication of the log bucket and the access-log bucket.
    pub s3_replication: S3Replication,
    /// S3 sends the events of the log bucket and the access-log bucket to EventBridge
    /// (extension), where rules can route them (object deletions, lock changes).
    pub s3_event_notifications: bool,
    /// Additional VPC endpoints (`s3` is a Gateway endpoint on `route_table_ids`).
    pub extra_endpoint_services: Vec<EndpointService>,
    /// Private-only operation: adds the CloudWatch Logs interface endpoint and the S3 Gateway
    /// endpoint (on `route_table_ids`, or else on the route tables of `subnet_ids`) to the
    /// endpoints, so the VPC needs no internet path for Bedrock and its audit trail.
    pub private_only: bool,
    /// How long to wait for endpoints to become available, seconds.
    pub endpoint_wait_timeout_seconds: u64,
    /// Guardrail policies beyond the content filters.
    pub guardrail: GuardrailSettings,
    /// Where state is stored.
    pub state: StateSettings,
}

/// The original module's content filter default, corrected: every filter HIGH/HIGH except
/// `prompt_attack`, whose output strength must be NONE.
pub fn default_content_filters() -> BTreeMap<ContentFilterType, ContentFilter> {
    ContentFilterType::ALL
        .into_iter()
        .map(|kind| {
            let output_strength = match kind {
                ContentFilterType::PromptAttack => FilterStrength::None,
                _ => FilterStrength::High,
            };
            (
                kind,
                ContentFilter {
                    input_strength: FilterStrength::High,
                    output_strength,
                },
            )
        })
        .collect()
}

impl Default for Config {
    /// The original module's defaults, except where they were wrong (see each field): the
    /// required keys `environment`, `vpc_id` and `subnet_ids` are empty and fail validation.
    fn default() -> Self {
        let cidr = |s: &str| s.parse::<IpNet>().expect("built-in CIDR literal is valid");
        Self {
            environment: String::new(),
            vpc_id: String::new(),
            subnet_ids: Vec::new(),
            tags: BTreeMap::new(),
            log_retention_days: 90,
            s3_log_prefix: "invocations/".to_owned(),
            permissions_boundary_arn: None,
            management_allowed_cidrs: Vec::new(),
            runtime_allowed_cidrs: vec![cidr("10.30.0.0/16"), cidr("10.40.0.0/16")],
            vpc_cidr: cidr("10.0.0.0/16"),
            bedrock_role_name: String::new(),
            admin_principal_arns: Vec::new(),
            allowed_model_regions: ["us-east-1", "us-east-2", "us-west-2"]
                .into_iter()
                .map(String::from)
                .collect(),
            foundation_models: Vec::new(),
            enable_guardrails: true,
            guardrail_name: None,
            pii_entities_action: PiiAction::Anonymize,
            content_filters: default_content_filters(),
            enable_bedrock_management_endpoint: true,
            enable_bedrock_runtime_endpoint: true,
            enable_bedrock_agent_endpoint: true,
            enable_bedrock_agent_runtime_endpoint: true,
            enable_bedrock_mantle_endpoint: true,
            enable_model_invocation_logging: true,
            enable_cloudwatch_logging: true,
            enable_s3_logging: true,
            text_data_delivery_enabled: true,
            image_data_delivery_enabled: true,
            embedding_data_delivery_enabled: true,
            enable_private_dns: true,
            route_table_ids: Vec::new(),
            custom_endpoint_policies: BTreeMap::new(),
            enable_alerting: true,
            enable_anomaly_detection: true,
            enable_cost_alerting: true,
            enable_token_monitoring: true,
            enable_composite_alarms: true,
            enable_sns_encryption: true,
            enable_ok_actions: false,
            critical_alert_subscriptions: BTreeMap::new(),
            performance_alert_subscriptions: BTreeMap::new(),
            cost_alert_subscriptions: BTreeMap::new(),
            sns_topic_principals: Vec::new(),
            alarm_evaluation_periods: 2,
            alarm_datapoints_to_alarm: 2,
            alarm_period: 300,
            invocation_error_threshold: 10.0,
            server_error_threshold: 5.0,
            throttle_threshold: 20.0,
            latency_threshold_ms: 10_000.0,
            logging_failure_threshold: 1.0,
            anomaly_evaluation_periods: 2,
            anomaly_period: 300,
            anomaly_threshold: 2.0,
            token_anomaly_threshold: 2.0,
            maintenance_window_alarm_arn: None,
            maintenance_suppression_extension_period: 300,
            maintenance_suppression_wait_period: 300,
            guardrails_blocked_threshold: 50.0,
            training_job_failure_threshold: 0.0,
            enable_agents_monitoring: true,
            enable_knowledge_base_monitoring: true,
            enable_guardrails_monitoring: true,
            enable_training_monitoring: true,
            enable_api_call_monitoring: true,
            enable_comprehensive_health_monitoring: true,
            agents_latency_threshold_ms: 15_000.0,
            kb_latency_threshold_ms: 5_000.0,
            agents_throttle_threshold: 10.0,
            kb_throttle_threshold: 10.0,
            agents_error_threshold: 5.0,
            kb_error_threshold: 5.0,
            training_alarm_evaluation_periods: 1,
            training_alarm_period: 3600,
            enable_kms_usage_monitoring: true,
            kms_request_quota_alarm_percent: 80.0,
            enable_s3_request_metrics: true,
            enable_log_analysis: true,
            enable_vpc_flow_logs: false,
            vpc_flow_logs_traffic_type: FlowLogTrafficType::All,
            vpc_flow_logs_retention_days: 30,
            enable_budget_monitoring: true,
            enable_token_budget_monitoring: false,
            bedrock_monthly_budget_limit: "1000".to_owned(),
            token_monthly_budget_limit: "1000000".to_owned(),
            budget_notification_email: None,
            budget_notification_emails: Vec::new(),
            budget_warning_threshold: 50.0,
            budget_critical_threshold: 80.0,
            budget_forecast_threshold: 100.0,
            budget_warning_emails: Vec::new(),
            budget_critical_emails: Vec::new(),
            budget_forecast_emails: Vec::new(),
            token_budget_threshold: 80.0,
            token_budget_emails: Vec::new(),
            include_related_ai_services: false,
            budget_cost_filter_tags: BTreeMap::new(),
            enable_budget_anomaly_detection: true,
            budget_anomaly_threshold: 100.0,
            budget_anomaly_frequency: AnomalyFrequency::Daily,
            budget_anomaly_emails: Vec::new(),
            budget_auto_adjust_type: None,
            budget_historical_adjustment_period: 6,
            enable_token_anomaly_detection: true,
            token_anomaly_threshold_value: None,
            project: "bedrock-baseline".to_owned(),
            region: None,
            kms_deletion_window_days: 30,
            s3_lifecycle: S3Lifecycle::default(),
            s3_object_lock: S3ObjectLock::default(),
            s3_access_logging: true,
            s3_replication: S3Replication::default(),
            s3_event_notifications: true,
            extra_endpoint_services: Vec::new(),
            private_only: false,
            endpoint_wait_timeout_seconds: 600,
            guardrail: GuardrailSettings::default(),
            state: StateSettings::default(),
        }
    }
}

impl Config {
    /// The name prefix of every resource: `<project>-<environment>`.
    pub fn prefix(&self) -> String {
        format!("{}-{}", self.project, self.environment)
    }

    /// The action for PII type `entity`: its `guardrail.pii_entity_actions` override, else
    /// `pii_entities_action`.
    pub fn pii_action_for(&self, entity: &str) -> PiiAction {
        self.guardrail
            .pii_entity_actions
            .get(entity)
            .copied()
            .unwrap_or(self.pii_entities_action)
    }

    /// The guardrail's name: `guardrail_name`, else `<prefix>-guardrail`.
    pub fn guardrail_name(&self) -> String {
        self.guardrail_name
            .clone()
            .unwrap_or_else(|| format!("{}-guardrail", self.prefix()))
    }

    /// The effective setting of a content filter: the configured one, else NONE/NONE (a filter
    /// removed from the map in code is off).
    pub fn content_filter(&self, kind: ContentFilterType) -> ContentFilter {
        self.content_filters
            .get(&kind)
            .copied()
            .unwrap_or(ContentFilter {
                input_strength: FilterStrength::None,
                output_strength: FilterStrength::None,
            })
    }

    /// The names of the Bedrock interface endpoints enabled by the `enable_bedrock_*_endpoint`
    /// switches (`bedrock`, `bedrock-runtime`, `bedrock-agent`, `bedrock-agent-runtime`).
    pub fn bedrock_endpoints(&self) -> Vec<&'static str> {
        [
            (self.enable_bedrock_management_endpoint, "bedrock"),
            (self.enable_bedrock_runtime_endpoint, "bedrock-runtime"),
            (self.enable_bedrock_agent_endpoint, "bedrock-agent"),
            (
                self.enable_bedrock_agent_runtime_endpoint,
                "bedrock-agent-runtime",
            ),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_filters_are_high_except_prompt_attack_output() {
        let c = Config::default();
        assert_eq!(c.content_filters.len(), 6);
        let pa = c.content_filter(ContentFilterType::PromptAttack);
        assert_eq!(pa.input_strength, FilterStrength::High);
        assert_eq!(pa.output_strength, FilterStrength::None);
        assert_eq!(
            c.content_filter(ContentFilterType::Hate).output_strength,
            FilterStrength::High
        );
    }

    #[test]
    fn prefix_and_pii_override() {
        let mut c = Config {
            environment: "prod".into(),
            ..Config::default()
        };
        assert_eq!(c.prefix(), "bedrock-baseline-prod");
        assert_eq!(c.guardrail_name(), "bedrock-baseline-prod-guardrail");
        c.guardrail
            .pii_entity_actions
            .insert("EMAIL".into(), PiiAction::Block);
        assert_eq!(c.pii_action_for("EMAIL"), PiiAction::Block);
        assert_eq!(c.pii_action_for("NAME"), PiiAction::Anonymize);
    }

    #[test]
    fn default_pii_entities_are_known_types() {
        for e in DEFAULT_PII_ENTITIES {
            assert!(PII_ENTITY_TYPES.contains(e), "{e}");
        }
    }

    #[test]
    fn did_you_mean_finds_close_keys() {
        assert_eq!(
            did_you_mean("log_retention_day", ["log_retention_days", "vpc_id"]),
            Some("log_retention_days")
        );
        assert_eq!(did_you_mean("high", ["NONE", "HIGH"]), Some("HIGH"));
        assert_eq!(did_you_mean("zzz", ["vpc_id"]), None);
    }

    #[test]
    fn issue_display_has_path_message_hint() {
        let e = ConfigError::Invalid(vec![
            ConfigIssue::new("vpc_id", "is required").with_hint("set it"),
            ConfigIssue::new("tags.Owner", "too long"),
        ]);
        assert_eq!(
            e.to_string(),
            "invalid configuration (2 problems):\n  vpc_id: is required (hint: set it)\n  tags.Owner: too long"
        );
    }
}

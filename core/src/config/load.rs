//! Layered loading of the configuration with figment.
//!
//! Layers, lowest to highest: built-in defaults ([`Config::default`], without the required keys)
//! < the config file (TOML, YAML or JSON by extension) < `BASELINE_*` environment variables
//! (`__` nests) < `--set key=value` flags. The merged tree is then (1) walked against the known
//! key tree: unknown keys are reported with a "did you mean" and dropped, and numbers or booleans
//! given for string keys are turned into strings (as Terraform does); (2) extracted into
//! [`Config`], every type error becoming an issue at its key path; (3) validated
//! ([`validate`](super::validate)). Problems of all three steps come back together in
//! [`ConfigError::Invalid`].
//!
//! Inputs: [`ConfigSources`] and the process environment. Output: a valid [`Config`].

use std::path::{Path, PathBuf};

use figment::error::Kind;
use figment::providers::{Env, Format, Json, Toml, Yaml};
use figment::value::{Dict, Map, Num, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::{did_you_mean, validate, Config, ConfigError, ConfigIssue};

/// Where the configuration comes from; see the module documentation for the precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSources {
    /// The config file (`.toml`, `.yaml`/`.yml` or `.json`); `None` for defaults, environment
    /// and flags only.
    pub file: Option<PathBuf>,
    /// Whether to read `BASELINE_*` environment variables.
    pub use_env: bool,
    /// `--set` flags, each `key=value`; dotted keys nest, values are TOML when they parse.
    pub sets: Vec<String>,
}

/// `BASELINE_*` variables that configure the tool itself, not the deployment; the loader skips
/// them. Every other `BASELINE_*` variable must name a config key.
pub const RESERVED_ENV_VARS: &[&str] = &["BASELINE_LOG", "BASELINE_CONFIG"];

const ENV_PREFIX: &str = "BASELINE_";

/// Keys without a built-in default: the user must set them.
const REQUIRED_KEYS: &[&str] = &["environment", "vpc_id", "subnet_ids"];

/// Load, check and validate the configuration from `sources`.
///
/// # Errors
/// [`ConfigError::FileNotFound`], [`ConfigError::UnsupportedFormat`] or [`ConfigError::Parse`]
/// when the file cannot be used; otherwise [`ConfigError::Invalid`] with every problem found.
pub fn load(sources: &ConfigSources) -> Result<Config, ConfigError> {
    let mut issues = Vec::new();

    let defaults = defaults_dict();
    let mut figment = Figment::new().merge(Layer::new("built-in defaults", defaults.clone()));
    if let Some(path) = &sources.file {
        figment = figment.merge(file_layer(path)?);
    }
    if sources.use_env {
        figment = figment.merge(env_layer());
    }
    figment = figment.merge(Layer::new(
        "--set flags",
        parse_sets(&sources.sets, &mut issues),
    ));

    let mut merged: Dict = figment.extract().map_err(|e| ConfigError::Parse {
        path: sources.file.clone().unwrap_or_default(),
        message: e.kind.to_string(),
    })?;

    // (1) unknown keys, string coercion.
    let mut path = Vec::new();
    walk_table(&mut merged, TOP, &mut path, &figment, &mut issues);

    // (2) extraction; each type error is reported and its value dropped, then we retry.
    let mut failed: Vec<String> = Vec::new();
    let config = loop {
        let extracted = Figment::from(Layer::new("merged", merged.clone())).extract::<Config>();
        match extracted {
            Ok(config) => break Some(config),
            Err(error) => {
                let segs = to_segs(&merged, &error.path);
                let issue = type_issue(&error.kind, &segs, &figment);
                // A struct missing a field we already dropped for a type error: no new issue.
                if !failed.contains(&issue.path) {
                    failed.push(issue.path.clone());
                    issues.push(issue);
                }
                // Fall back to the built-in default there, else drop the value.
                let fixed = match lookup(&defaults, &segs) {
                    Some(default) => replace_at(&mut merged, &segs, default.clone()),
                    None => remove_at(&mut merged, &segs),
                };
                if segs.is_empty() || !fixed || failed.len() > 200 {
                    break None;
                }
            }
        }
    };

    // (3) validation, minus what a type error already reported.
    if let Some(config) = &config {
        let covered = |p: &str| {
            failed.iter().any(|f| {
                p == f
                    || p.strip_prefix(f.as_str())
                        .is_some_and(|r| r.starts_with(['.', '[']))
            })
        };
        issues.extend(validate(config).into_iter().filter(|i| !covered(&i.path)));
    }

    match config {
        Some(config) if issues.is_empty() => Ok(config),
        _ => Err(ConfigError::Invalid(issues)),
    }
}

// ----- layers ---------------------------------------------------------------------------------

/// A named dictionary, so that issues can say where a value came from.
struct Layer {
    name: String,
    dict: Dict,
}

impl Layer {
    fn new(name: impl Into<String>, dict: Dict) -> Self {
        Self {
            name: name.into(),
            dict,
        }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.dict.clone()))
    }
}

/// `Config::default()` as a dictionary, without the required keys (so a missing one stays
/// missing instead of being filled with an empty placeholder).
fn defaults_dict() -> Dict {
    let mut dict = Value::serialize(Config::default())
        .ok()
        .and_then(Value::into_dict)
        .unwrap_or_default();
    for key in REQUIRED_KEYS {
        dict.remove(*key);
    }
    dict
}

fn file_layer(path: &Path) -> Result<Layer, ConfigError> {
    if !path.is_file() {
        return Err(ConfigError::FileNotFound {
            path: path.to_owned(),
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let data = match ext.as_str() {
        "toml" => Toml::file_exact(path).data(),
        "yaml" | "yml" => Yaml::file_exact(path).data(),
        "json" => Json::file_exact(path).data(),
        _ => {
            return Err(ConfigError::UnsupportedFormat {
                path: path.to_owned(),
            })
        }
    };
    let mut data = data.map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        message: e.kind.to_string(),
    })?;
    let dict = data.remove(&Profile::Default).unwrap_or_default();
    Ok(Layer::new(format!("file `{}`", path.display()), dict))
}

/// `BASELINE_*` variables, `__` nesting. Keys are lowercased, except keys of free-form maps
/// (tag keys, subscription names, PII types), which keep their case.
fn env_layer() -> Layer {
    let reserved: Vec<&str> = RESERVED_ENV_VARS
        .iter()
        .filter_map(|v| v.strip_prefix(ENV_PREFIX))
        .collect();
    // `lowercase(false)` must come last: figment's `split`/`ignore` reset it to `true`.
    let env = Env::prefixed(ENV_PREFIX)
        .ignore(&reserved)
        .split("__")
        .lowercase(false);
    let mut dict = env
        .data()
        .ok()
        .and_then(|mut d| d.remove(&Profile::Default))
        .unwrap_or_default();
    normalize_case(&mut dict, TOP);
    Layer::new("environment variable", dict)
}

fn normalize_case(dict: &mut Dict, shape: Shape) {
    let entries = std::mem::take(dict);
    for (key, mut value) in entries {
        let (key, inner) = match shape {
            Shape::Table(fields) => {
                let key = key.to_ascii_lowercase();
                let inner = fields.iter().find(|(k, _)| *k == key).map(|(_, s)| *s);
                (key, inner)
            }
            Shape::Keyed(_, inner) => (key.to_ascii_lowercase(), Some(*inner)),
            Shape::Map(inner) => (key, Some(*inner)),
            _ => (key, None),
        };
        if let (Value::Dict(_, d), Some(inner)) = (&mut value, inner) {
            normalize_case(d, inner);
        }
        insert_merged(dict, key, value);
    }
}

fn insert_merged(dict: &mut Dict, key: String, value: Value) {
    match (dict.get_mut(&key), value) {
        (Some(Value::Dict(_, existing)), Value::Dict(_, new)) => {
            for (k, v) in new {
                insert_merged(existing, k, v);
            }
        }
        (_, value) => {
            dict.insert(key, value);
        }
    }
}

/// Parse `--set key=value` flags into one dictionary; malformed flags become issues.
fn parse_sets(sets: &[String], issues: &mut Vec<ConfigIssue>) -> Dict {
    let mut dict = Dict::new();
    for set in sets {
        let Some((key, raw)) = set.split_once('=') else {
            issues.push(
                ConfigIssue::new("--set", format!("`{set}` is not `key=value`"))
                    .with_hint("e.g. `--set log_retention_days=30` or `--set tags.Team=ml`"),
            );
            continue;
        };
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) || key.contains(['[', ']']) {
            issues.push(
                ConfigIssue::new("--set", format!("`{key}` is not a key path"))
                    .with_hint("use dotted keys (`s3_lifecycle.expiration_days`); set a whole list as `key=[\"a\", \"b\"]`"),
            );
            continue;
        }
        let value = parse_set_value(raw);
        let mut nested = value;
        for seg in key.rsplit('.') {
            let mut d = Dict::new();
            d.insert(seg.to_owned(), nested);
            nested = Value::from(d);
        }
        if let Value::Dict(_, d) = nested {
            for (k, v) in d {
                insert_merged(&mut dict, k, v);
            }
        }
    }
    dict
}

/// A `--set` value: a TOML value when it parses as one (`30`, `true`, `["a", "b"]`), else the
/// raw text as a string. TOML dates stay strings.
fn parse_set_value(raw: &str) -> Value {
    let trimmed = raw.trim();
    match toml::from_str::<toml::Table>(&format!("v = {trimmed}")) {
        Ok(mut table) => match table.remove("v") {
            Some(toml::Value::Datetime(_)) | None => Value::from(trimmed),
            Some(v) => toml_to_value(v),
        },
        Err(_) => Value::from(raw),
    }
}

fn toml_to_value(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::from(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::from(b),
        toml::Value::Datetime(d) => Value::from(d.to_string()),
        toml::Value::Array(a) => Value::from(a.into_iter().map(toml_to_value).collect::<Vec<_>>()),
        toml::Value::Table(t) => {
            let d: Dict = t.into_iter().map(|(k, v)| (k, toml_to_value(v))).collect();
            Value::from(d)
        }
    }
}

// ----- the known key tree ---------------------------------------------------------------------

/// The shape of a config value, as far as key checking and coercion care.
#[derive(Clone, Copy)]
pub(crate) enum Shape {
    /// Any value; serde and validation check it.
    Any,
    /// A string; numbers and booleans are turned into strings.
    Str,
    /// A table with fixed keys.
    Table(&'static [(&'static str, Shape)]),
    /// A map with free-form keys (checked by validation, if at all).
    Map(&'static Shape),
    /// A map whose keys come from a fixed set.
    Keyed(&'static [&'static str], &'static Shape),
    /// A list.
    List(&'static Shape),
}

const STR_LIST: Shape = Shape::List(&Shape::Str);
const SUBSCRIPTIONS: Shape = Shape::Map(&Shape::Table(&[
    ("protocol", Shape::Any),
    ("endpoint", Shape::Str),
]));
pub(crate) const FILTER_KEYS: &[&str] = &[
    "sexual",
    "violence",
    "hate",
    "insults",
    "misconduct",
    "prompt_attack",
];
const CONTENT_FILTER: Shape = Shape::Table(&[
    ("input_strength", Shape::Any),
    ("output_strength", Shape::Any),
]);

const S3_LIFECYCLE: &[(&str, Shape)] = &[
    ("transition_to_ia_days", Shape::Any),
    ("transition_to_glacier_days", Shape::Any),
    ("expiration_days", Shape::Any),
    ("noncurrent_version_expiration_days", Shape::Any),
];

const S3_OBJECT_LOCK: &[(&str, Shape)] = &[
    ("enabled", Shape::Any),
    ("mode", Shape::Any),
    ("days", Shape::Any),
];

const S3_REPLICATION: &[(&str, Shape)] = &[
    ("destination_bucket_arn", Shape::Str),
    ("destination_kms_key_arn", Shape::Str),
];

const GUARDRAIL: &[(&str, Shape)] = &[
    ("pii_entities", STR_LIST),
    ("pii_entity_actions", Shape::Map(&Shape::Any)),
    (
        "regexes",
        Shape::List(&Shape::Table(&[
            ("name", Shape::Str),
            ("pattern", Shape::Str),
            ("action", Shape::Any),
            ("description", Shape::Str),
        ])),
    ),
    (
        "denied_topics",
        Shape::List(&Shape::Table(&[
            ("name", Shape::Str),
            ("definition", Shape::Str),
            ("examples", STR_LIST),
        ])),
    ),
    ("word_filters", STR_LIST),
    ("managed_profanity_list", Shape::Any),
    (
        "contextual_grounding",
        Shape::Table(&[
            ("grounding_threshold", Shape::Any),
            ("relevance_threshold", Shape::Any),
        ]),
    ),
    ("blocked_input_message", Shape::Str),
    ("blocked_outputs_message", Shape::Str),
];

const STATE: &[(&str, Shape)] = &[
    ("backend", Shape::Any),
    ("path", Shape::Str),
    ("bucket", Shape::Str),
    ("key", Shape::Str),
    ("region", Shape::Str),
];

/// Every top-level key. A unit test keeps it in sync with [`Config`]'s fields.
pub(crate) const TOP_KEYS: &[(&str, Shape)] = &[
    ("environment", Shape::Str),
    ("vpc_id", Shape::Str),
    ("subnet_ids", STR_LIST),
    ("tags", Shape::Map(&Shape::Str)),
    ("log_retention_days", Shape::Any),
    ("s3_log_prefix", Shape::Str),
    ("permissions_boundary_arn", Shape::Str),
    ("management_allowed_cidrs", Shape::Any),
    ("runtime_allowed_cidrs", Shape::Any),
    ("vpc_cidr", Shape::Any),
    ("bedrock_role_name", Shape::Str),
    ("admin_principal_arns", STR_LIST),
    ("admin_principal_arns", STR_LIST),
    ("allowed_model_regions", STR_LIST),
    ("foundation_models", STR_LIST),
    ("enable_guardrails", Shape::Any),
    ("guardrail_name", Shape::Str),
    ("pii_entities_action", Shape::Any),
    (
        "content_filters",
        Shape::Keyed(FILTER_KEYS, &CONTENT_FILTER),
    ),
    ("enable_bedrock_management_endpoint", Shape::Any),
    ("enable_bedrock_runtime_endpoint", Shape::Any),
    ("enable_bedrock_agent_endpoint", Shape::Any),
    ("enable_bedrock_agent_runtime_endpoint", Shape::Any),
    ("enable_bedrock_mantle_endpoint", Shape::Any),
    ("enable_model_invocation_logging", Shape::Any),
    ("enable_cloudwatch_logging", Shape::Any),
    ("enable_s3_logging", Shape::Any),
    ("text_data_delivery_enabled", Shape::Any),
    ("image_data_delivery_enabled", Shape::Any),
    ("embedding_data_delivery_enabled", Shape::Any),
    ("enable_private_dns", Shape::Any),
    ("route_table_ids", STR_LIST),
    ("custom_endpoint_policies", Shape::Map(&Shape::Str)),
    ("enable_alerting", Shape::Any),
    ("enable_anomaly_detection", Shape::Any),
    ("enable_cost_alerting", Shape::Any),
    ("enable_token_monitoring", Shape::Any),
    ("enable_composite_alarms", Shape::Any),
    ("enable_sns_encryption", Shape::Any),
    ("enable_ok_actions", Shape::Any),
    ("critical_alert_subscriptions", SUBSCRIPTIONS),
    ("performance_alert_subscriptions", SUBSCRIPTIONS),
    ("cost_alert_subscriptions", SUBSCRIPTIONS),
    ("sns_topic_principals", STR_LIST),
    ("alarm_evaluation_periods", Shape::Any),
    ("alarm_datapoints_to_alarm", Shape::Any),
    ("alarm_period", Shape::Any),
    ("invocation_error_threshold", Shape::Any),
    ("server_error_threshold", Shape::Any),
    ("throttle_threshold", Shape::Any),
    ("latency_threshold_ms", Shape::Any),
    ("logging_failure_threshold", Shape::Any),
    ("anomaly_evaluation_periods", Shape::Any),
    ("anomaly_period", Shape::Any),
    ("anomaly_threshold", Shape::Any),
    ("token_anomaly_threshold", Shape::Any),
    ("maintenance_window_alarm_arn", Shape::Str),
    ("maintenance_suppression_extension_period", Shape::Any),
    ("maintenance_suppression_wait_period", Shape::Any),
    ("guardrails_blocked_threshold", Shape::Any),
    ("training_job_failure_threshold", Shape::Any),
    ("enable_kms_usage_monitoring", Shape::Any),
    ("kms_request_quota_alarm_percent", Shape::Any),
    ("enable_s3_request_metrics", Shape::Any),
    ("enable_log_analysis", Shape::Any),
    ("enable_vpc_flow_logs", Shape::Any),
    ("vpc_flow_logs_traffic_type", Shape::Str),
    ("vpc_flow_logs_retention_days", Shape::Any),
    ("enable_agents_monitoring", Shape::Any),
    ("enable_knowledge_base_monitoring", Shape::Any),
    ("enable_guardrails_monitoring", Shape::Any),
    ("enable_training_monitoring", Shape::Any),
    ("enable_api_call_monitoring", Shape::Any),
    ("enable_comprehensive_health_monitoring", Shape::Any),
    ("agents_latency_threshold_ms", Shape::Any),
    ("kb_latency_threshold_ms", Shape::Any),
    ("agents_throttle_threshold", Shape::Any),
    ("kb_throttle_threshold", Shape::Any),
    ("agents_error_threshold", Shape::Any),
    ("kb_error_threshold", Shape::Any),
    ("training_alarm_evaluation_periods", Shape::Any),
    ("training_alarm_period", Shape::Any),
    ("enable_budget_monitoring", Shape::Any),
    ("enable_token_budget_monitoring", Shape::Any),
    ("bedrock_monthly_budget_limit", Shape::Str),
    ("token_monthly_budget_limit", Shape::Str),
    ("budget_notification_email", Shape::Str),
    ("budget_notification_emails", STR_LIST),
    ("budget_warning_threshold", Shape::Any),
    ("budget_critical_threshold", Shape::Any),
    ("budget_forecast_threshold", Shape::Any),
    ("budget_warning_emails", STR_LIST),
    ("budget_critical_emails", STR_LIST),
    ("budget_forecast_emails", STR_LIST),
    ("token_budget_threshold", Shape::Any),
    ("token_budget_emails", STR_LIST),
    ("include_related_ai_services", Shape::Any),
    ("budget_cost_filter_tags", Shape::Map(&STR_LIST)),
    ("enable_budget_anomaly_detection", Shape::Any),
    ("budget_anomaly_threshold", Shape::Any),
    ("budget_anomaly_frequency", Shape::Any),
    ("budget_anomaly_emails", STR_LIST),
    ("budget_auto_adjust_type", Shape::Any),
    ("budget_historical_adjustment_period", Shape::Any),
    ("enable_token_anomaly_detection", Shape::Any),
    ("token_anomaly_threshold_value", Shape::Any),
    ("project", Shape::Str),
    ("region", Shape::Str),
    ("kms_deletion_window_days", Shape::Any),
    ("s3_lifecycle", Shape::Table(S3_LIFECYCLE)),
    ("s3_object_lock", Shape::Table(S3_OBJECT_LOCK)),
    ("s3_access_logging", Shape::Any),
    ("s3_replication", Shape::Table(S3_REPLICATION)),
    ("s3_event_notifications", Shape::Any),
    ("extra_endpoint_services", Shape::Any),
    ("private_only", Shape::Any),
    ("endpoint_wait_timeout_seconds", Shape::Any),
    ("guardrail", Shape::Table(GUARDRAIL)),
    ("state", Shape::Table(STATE)),
];

const TOP: Shape = Shape::Table(TOP_KEYS);

// ----- walking --------------------------------------------------------------------------------

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `a.b[0].c`
fn display_path(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Where the value at `segs` came from, e.g. "file `baseline.toml`".
fn source_of(figment: &Figment, segs: &[Seg]) -> Option<String> {
    let keys: Vec<&str> = segs
        .iter()
        .map_while(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    if keys.is_empty() || keys.iter().any(|k| k.contains('.')) {
        return None;
    }
    let md = figment.find_metadata(&keys.join("."))?;
    if md.name == "environment variable" {
        let name: Vec<String> = keys.iter().map(|k| k.to_ascii_uppercase()).collect();
        return Some(format!(
            "environment variable `{ENV_PREFIX}{}`",
            name.join("__")
        ));
    }
    Some(md.name.to_string())
}

fn with_source(message: String, figment: &Figment, segs: &[Seg]) -> String {
    match source_of(figment, segs) {
        Some(source) => format!("{message} (from {source})"),
        None => message,
    }
}

fn walk_table(
    dict: &mut Dict,
    shape: Shape,
    path: &mut Vec<Seg>,
    figment: &Figment,
    issues: &mut Vec<ConfigIssue>,
) {
    let unknown: Vec<String> = match shape {
        Shape::Table(fields) => dict
            .keys()
            .filter(|k| !fields.iter().any(|(f, _)| f == k))
            .cloned()
            .collect(),
        Shape::Keyed(keys, _) => dict
            .keys()
            .filter(|k| !keys.contains(&k.as_str()))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    for key in unknown {
        path.push(Seg::Key(key.clone()));
        let candidates: Vec<&'static str> = match shape {
            Shape::Table(fields) => fields.iter().map(|(f, _)| *f).collect(),
            Shape::Keyed(keys, _) => keys.to_vec(),
            _ => Vec::new(),
        };
        let what = if matches!(shape, Shape::Keyed(..)) {
            "unknown name"
        } else {
            "unknown key"
        };
        let mut issue = ConfigIssue::new(
            display_path(path),
            with_source(what.to_owned(), figment, path),
        );
        issue.hint = Some(match did_you_mean(&key, candidates.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None if candidates.len() <= 12 => format!("expected one of: {}", candidates.join(", ")),
            None => "see docs/config-reference.md for the known keys".to_owned(),
        });
        issues.push(issue);
        dict.remove(&key);
        path.pop();
    }
    for (key, value) in dict.iter_mut() {
        let inner = match shape {
            Shape::Table(fields) => fields.iter().find(|(f, _)| f == key).map(|(_, s)| *s),
            Shape::Keyed(_, inner) | Shape::Map(inner) => Some(*inner),
            _ => None,
        };
        if let Some(inner) = inner {
            path.push(Seg::Key(key.clone()));
            walk_value(value, inner, path, figment, issues);
            path.pop();
        }
    }
}

fn walk_value(
    value: &mut Value,
    shape: Shape,
    path: &mut Vec<Seg>,
    figment: &Figment,
    issues: &mut Vec<ConfigIssue>,
) {
    match (shape, value) {
        (Shape::Str, value) => coerce_to_string(value),
        (Shape::Table(_) | Shape::Keyed(..) | Shape::Map(_), Value::Dict(_, dict)) => {
            walk_table(dict, shape, path, figment, issues);
        }
        (Shape::List(inner), Value::Array(_, items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Seg::Index(i));
                walk_value(item, *inner, path, figment, issues);
                path.pop();
            }
        }
        _ => {}
    }
}

fn coerce_to_string(value: &mut Value) {
    let text = match value {
        Value::Num(_, n) => num_to_string(*n),
        Value::Bool(_, b) => b.to_string(),
        Value::Char(_, c) => c.to_string(),
        _ => return,
    };
    *value = Value::String(value.tag(), text);
}

fn num_to_string(n: Num) -> String {
    match n {
        Num::F32(f) => f.to_string(),
        Num::F64(f) => f.to_string(),
        other => other
            .to_i128()
            .map(|i| i.to_string())
            .or_else(|| other.to_u128().map(|u| u.to_string()))
            .unwrap_or_default(),
    }
}

/// Turn figment's error path (dictionary keys and list indices as strings) into [`Seg`]s.
fn to_segs(dict: &Dict, path: &[String]) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut node: Option<&Value> = None;
    for key in path {
        let next = match node {
            None => dict.get(key),
            Some(Value::Dict(_, d)) => d.get(key),
            Some(Value::Array(_, items)) => match key.parse::<usize>() {
                Ok(i) => {
                    segs.push(Seg::Index(i));
                    node = items.get(i);
                    continue;
                }
                Err(_) => None,
            },
            Some(_) => None,
        };
        segs.push(Seg::Key(key.clone()));
        node = next;
    }
    segs
}

/// The value at `segs`, if any.
fn lookup<'a>(dict: &'a Dict, segs: &[Seg]) -> Option<&'a Value> {
    let (Seg::Key(first), rest) = segs.split_first()? else {
        return None;
    };
    let mut node = dict.get(first)?;
    for seg in rest {
        node = match (node, seg) {
            (Value::Dict(_, d), Seg::Key(k)) => d.get(k)?,
            (Value::Array(_, items), Seg::Index(i)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Replace the value at `segs`; `false` if there is none.
fn replace_at(dict: &mut Dict, segs: &[Seg], value: Value) -> bool {
    let Some((Seg::Key(first), rest)) = segs.split_first() else {
        return false;
    };
    let Some(mut node) = dict.get_mut(first) else {
        return false;
    };
    for seg in rest {
        let next = match (node, seg) {
            (Value::Dict(_, d), Seg::Key(k)) => d.get_mut(k),
            (Value::Array(_, items), Seg::Index(i)) => items.get_mut(*i),
            _ => None,
        };
        let Some(next) = next else { return false };
        node = next;
    }
    *node = value;
    true
}

/// Remove the value at `segs`; `false` if there is none.
fn remove_at(dict: &mut Dict, segs: &[Seg]) -> bool {
    let Some((first, rest)) = segs.split_first() else {
        return false;
    };
    let Seg::Key(key) = first else { return false };
    if rest.is_empty() {
        return dict.remove(key).is_some();
    }
    match dict.get_mut(key) {
        Some(value) => remove_in_value(value, rest),
        None => false,
    }
}

fn remove_in_value(value: &mut Value, segs: &[Seg]) -> bool {
    match (value, segs.first()) {
        (Value::Dict(_, d), Some(Seg::Key(_))) => remove_at(d, segs),
        (Value::Array(_, items), Some(Seg::Index(i))) => {
            if segs.len() == 1 {
                if *i < items.len() {
                    items.remove(*i);
                    return true;
                }
                false
            } else {
                items
                    .get_mut(*i)
                    .is_some_and(|v| remove_in_value(v, &segs[1..]))
            }
        }
        _ => false,
    }
}

/// Keys whose values are CIDRs (for a better hint on parse errors).
const CIDR_KEYS: &[&str] = &[
    "management_allowed_cidrs",
    "runtime_allowed_cidrs",
    "vpc_cidr",
];

/// The issue for one extraction error.
fn type_issue(kind: &Kind, segs: &[Seg], figment: &Figment) -> ConfigIssue {
    let mut segs = segs.to_vec();
    let (message, hint) = match kind {
        Kind::MissingField(field) => {
            segs.push(Seg::Key(field.to_string()));
            ("is required".to_owned(), None)
        }
        Kind::UnknownVariant(actual, expected) => (
            format!("unknown value `{actual}`"),
            Some(match did_you_mean(actual, expected.iter().copied()) {
                Some(m) => format!("did you mean `{m}`?"),
                None => format!("expected one of: {}", expected.join(", ")),
            }),
        ),
        Kind::UnknownField(field, expected) => {
            segs.push(Seg::Key(field.clone()));
            (
                "unknown key".to_owned(),
                Some(match did_you_mean(field, expected.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("expected one of: {}", expected.join(", ")),
                }),
            )
        }
        other => {
            let first = segs.first().and_then(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            });
            let hint = first.filter(|k| CIDR_KEYS.contains(k)).map(|_| {
                "write a network in CIDR notation, e.g. `10.0.0.0/16` (a single host is `/32`)"
                    .to_owned()
            });
            (other.to_string(), hint)
        }
    };
    let message = with_source(message, figment, &segs);
    ConfigIssue {
        path: display_path(&segs),
        message,
        hint,
    }
}

/// The distinct top-level keys of the tree (for tests).
#[cfg(test)]
pub(crate) fn top_level_keys() -> std::collections::BTreeSet<&'static str> {
    TOP_KEYS.iter().map(|(k, _)| *k).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::config::{ContentFilterType, GuardrailSettings, S3Lifecycle, StateSettings};

    fn keys_of<T: serde::Serialize>(value: T) -> BTreeSet<String> {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => BTreeSet::new(),
        }
    }

    fn table_keys(fields: &[(&str, Shape)]) -> BTreeSet<String> {
        fields.iter().map(|(k, _)| (*k).to_owned()).collect()
    }

    #[test]
    fn key_tree_matches_the_model() {
        let top: BTreeSet<String> = top_level_keys().into_iter().map(String::from).collect();
        assert_eq!(top, keys_of(Config::default()));
        assert_eq!(table_keys(S3_LIFECYCLE), keys_of(S3Lifecycle::default()));
        assert_eq!(
            table_keys(S3_OBJECT_LOCK),
            keys_of(crate::config::S3ObjectLock::default())
        );
        assert_eq!(table_keys(GUARDRAIL), keys_of(GuardrailSettings::default()));
        assert_eq!(table_keys(STATE), keys_of(StateSettings::default()));
        let filters: Vec<&str> = ContentFilterType::ALL.iter().map(|f| f.key()).collect();
        assert_eq!(filters, FILTER_KEYS);
    }

    #[test]
    fn set_values_parse_as_toml_or_string() {
        let mut issues = Vec::new();
        let d = parse_sets(
            &[
                "log_retention_days=30".into(),
                "enable_alerting=false".into(),
                "subnet_ids=[\"subnet-1\", \"subnet-2\"]".into(),
                "environment=prod".into(),
                "s3_lifecycle.expiration_days=400".into(),
                "tags.Team=ml=ops".into(),
                "tags.Day=2024-01-01".into(),
                "bad".into(),
                "a..b=1".into(),
            ],
            &mut issues,
        );
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(d["log_retention_days"].to_i128(), Some(30));
        assert_eq!(d["enable_alerting"].to_bool_lossy(), Some(false));
        assert!(matches!(&d["subnet_ids"], Value::Array(_, a) if a.len() == 2));
        assert_eq!(d["environment"].as_str(), Some("prod"));
        let tags = d["tags"].as_dict().cloned().unwrap_or_default();
        assert_eq!(tags["Team"].as_str(), Some("ml=ops"));
        assert_eq!(tags["Day"].as_str(), Some("2024-01-01"));
        let lc = d["s3_lifecycle"].as_dict().cloned().unwrap_or_default();
        assert_eq!(lc["expiration_days"].to_i128(), Some(400));
    }

    #[test]
    fn env_case_is_kept_only_in_free_maps() {
        let mut tags = Dict::new();
        tags.insert("Team".into(), Value::from("x"));
        let mut pii = Dict::new();
        pii.insert("EMAIL".into(), Value::from("BLOCK"));
        let mut guardrail = Dict::new();
        guardrail.insert("PII_ENTITY_ACTIONS".into(), Value::from(pii));
        let mut dict = Dict::new();
        dict.insert("TAGS".into(), Value::from(tags));
        dict.insert("GUARDRAIL".into(), Value::from(guardrail));
        dict.insert("LOG_RETENTION_DAYS".into(), Value::from(30u8));
        normalize_case(&mut dict, TOP);
        assert!(dict.contains_key("log_retention_days"));
        assert!(dict["tags"]
            .as_dict()
            .is_some_and(|d| d.contains_key("Team")));
        let g = dict["guardrail"].as_dict().cloned().unwrap_or_default();
        assert!(g["pii_entity_actions"]
            .as_dict()
            .is_some_and(|d| d.contains_key("EMAIL")));
    }

    #[test]
    fn missing_file_is_an_error_with_its_path() {
        let sources = ConfigSources {
            file: Some(PathBuf::from("/nonexistent/baseline.toml")),
            ..ConfigSources::default()
        };
        let err = load(&sources)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("/nonexistent/baseline.toml"), "{err}");
    }
}

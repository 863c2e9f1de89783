//! The module's desired state: the alarm catalog, the dashboard body, the rules and the log
//! analysis of one config, and the config keys accepted but not acted on.

use crate::alarms::{
    catalog, universe_names, AlarmSpec, CatalogContext, CompositeSpec, DetectorSpec,
};
use crate::alarms::{TRAINING_RULE_KEY as RULE_KEY, UNKNOWN};
use crate::dashboard;
use crate::event_rule::RuleDef;
use crate::log_analysis::LogAnalysisSpec;
use crate::tamper::{self, TamperContext};
use crate::training;
use crate::MonitoringInputs;
use baseline_core::{AwsContext, Config};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Desired monitoring resources.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringSpec {
    /// Stack name.
    pub stack: String,
    /// `<prefix>-`: the DescribeAlarms name prefix.
    pub alarm_prefix: String,
    /// Metric alarms, in catalog order.
    pub alarms: Vec<AlarmSpec>,
    /// Anomaly detectors of the anomaly-band alarms.
    pub detectors: Vec<DetectorSpec>,
    /// Composite alarms.
    pub composites: Vec<CompositeSpec>,
    /// Every alarm name the module may own for this stack (all switches on).
    pub owned_names: BTreeSet<String>,
    /// Every detector the module may create (all switches on).
    pub owned_detectors: Vec<DetectorSpec>,
    /// `<prefix>-bedrock`.
    pub dashboard_name: String,
    /// The dashboard body.
    pub dashboard_body: Value,
    /// Desired EventBridge rules (training-job failures, tamper and access alerts), by key.
    pub rules: Vec<(String, RuleDef)>,
    /// Every rule the module may own: key and name (all switches on).
    pub owned_rules: Vec<(String, String)>,
    /// Tags of alarms and the rule, stack tags included.
    pub tags: BTreeMap<String, String>,
    /// Config keys accepted but not acted on, with why (shown by `plan`).
    pub warnings: Vec<(String, String)>,
    /// Whether alarms have actions (`enable_alerting`).
    pub alerting: bool,
    /// Metric filters and saved queries on the invocation log group.
    pub log_analysis: LogAnalysisSpec,
}

/// The desired monitoring resources of `config`, with upstream values from `inputs`. Pure.
pub(crate) fn build(
    ctx: &AwsContext,
    config: &Config,
    inputs: &MonitoringInputs,
) -> MonitoringSpec {
    let naming = ctx.naming();
    let guardrail_arn = inputs.guardrail_id.as_ref().map(|id| {
        if id.as_str().starts_with("arn:") {
            id.as_str().to_owned()
        } else {
            ctx.arn("bedrock", &format!("guardrail/{id}"))
        }
    });
    let guardrail_arn_for_rules = guardrail_arn.clone();
    let cx = CatalogContext {
        naming,
        inputs,
        guardrail_arn: guardrail_arn.clone(),
        all: false,
        region: ctx.region(),
    };
    let cat = catalog(config, &cx);
    let universe = catalog(
        config,
        &CatalogContext {
            naming,
            inputs,
            guardrail_arn,
            all: true,
            region: ctx.region(),
        },
    );
    let alarm_arns: Vec<String> = cat
        .alarms
        .iter()
        .map(|a| alarm_arn(ctx, &a.def.name))
        .collect();
    let flow_log_group = config.enable_vpc_flow_logs.then(|| {
        inputs
            .flow_log_group_name
            .clone()
            .unwrap_or_else(|| naming.log_group("vpc-flow-logs"))
    });
    let dashboard_body = dashboard::body(
        &cat.alarms,
        &alarm_arns,
        ctx.region(),
        config.alarm_period,
        flow_log_group.as_deref(),
    );
    let rule_name = naming.name(RULE_KEY, 64);
    // A topic's ARN when alerting is on (a placeholder until alerting has applied).
    let topic = |name: &str| {
        config.enable_alerting.then(|| {
            inputs
                .topic_arns
                .get(name)
                .map_or_else(|| UNKNOWN.to_owned(), |a| a.as_str().to_owned())
        })
    };
    let (critical, performance) = (topic("critical"), topic("performance"));
    let mut rules: Vec<(String, RuleDef)> = Vec::new();
    if config.enable_training_monitoring {
        rules.push((
            RULE_KEY.to_owned(),
            training::rule(rule_name.clone(), naming.stack(), critical.clone()),
        ));
    }
    let tamper_cx = TamperContext::new(config, inputs, guardrail_arn_for_rules.as_deref());
    for r in tamper::rules(
        &tamper_cx,
        naming.stack(),
        |k| naming.name(k, 64),
        critical.as_deref(),
        performance.as_deref(),
    ) {
        rules.push((r.key.to_owned(), r.def));
    }
    let owned_rules = std::iter::once(RULE_KEY)
        .chain(tamper::KEYS.iter().copied())
        .map(|k| (k.to_owned(), naming.name(k, 64)))
        .collect();
    MonitoringSpec {
        stack: naming.stack().to_owned(),
        alarm_prefix: format!("{}-", naming.stack()),
        owned_names: universe_names(&universe, naming),
        warnings: config_warnings(config),
        owned_detectors: universe.detectors,
        alarms: cat.alarms,
        detectors: cat.detectors,
        composites: cat.composites,
        dashboard_name: naming.name("bedrock", 255),
        dashboard_body,
        rules,
        owned_rules,
        tags: naming.tags("monitoring"),
        alerting: config.enable_alerting,
        log_analysis: LogAnalysisSpec::new(
            naming.stack(),
            &inputs
                .log_group_name
                .clone()
                .unwrap_or_else(|| naming.log_group("invocations")),
            config.enable_log_analysis
                && config.enable_model_invocation_logging
                && config.enable_cloudwatch_logging,
        )
        .with_flow_logs(flow_log_group.as_deref()),
    }
}

/// The ARN CloudWatch gives the alarm `name`.
pub(crate) fn alarm_arn(ctx: &AwsContext, name: &str) -> String {
    ctx.arn("cloudwatch", &format!("alarm:{name}"))
}

/// Keys that are accepted but cannot do what their name says, with the plain reason.
fn config_warnings(c: &Config) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if c.enable_api_call_monitoring {
        // Docs: no Bedrock page lists AWS/Usage CallCount (checked: runtime, agents, guardrails,
        // knowledge-base and quota pages), so an alarm on it may never see a datapoint.
        out.push((
            "enable_api_call_monitoring".to_owned(),
            "no API-call alarm is created: no AWS page documents AWS/Usage CallCount for Bedrock, \
             and Resource=InvokeModel would miss Converse, streaming and agent calls; \
             runtime-invocations-anomaly (AWS/Bedrock Invocations, all four runtime operations) \
             watches API traffic instead"
                .to_owned(),
        ));
    }
    let default = Config::default();
    if c.enable_knowledge_base_monitoring
        && c.kb_latency_threshold_ms != default.kb_latency_threshold_ms
    {
        out.push((
            "kb_latency_threshold_ms".to_owned(),
            "ignored: AWS publishes no latency metric for knowledge bases (only Invocations, \
             ClientErrors, ServerErrors, Throttles for managed knowledge bases)"
                .to_owned(),
        ));
    }
    if c.enable_token_monitoring
        && c.enable_token_anomaly_detection
        && c.token_anomaly_threshold_value.is_none()
    {
        out.push((
            "token_anomaly_threshold_value".to_owned(),
            "not set: no static token alarm (the token anomaly bands still run); set it to the \
             tokens per alarm_period that should page"
                .to_owned(),
        ));
    }
    if c.enable_knowledge_base_monitoring {
        out.push((
            "enable_knowledge_base_monitoring".to_owned(),
            "the kb-* alarms watch AWS/Bedrock/KnowledgeBases Operation=Retrieve, which AWS \
             documents for managed knowledge bases only; other knowledge bases publish nothing there"
                .to_owned(),
        ));
    }
    out
}

//! End-to-end tests of `baseline-monitoring` against the emulator: the seed's examples create
//! every alarm with its definition, a second apply writes nothing, one threshold rewrites one
//! alarm, drift is repaired, a disabled group disappears from alarms and composite rules, and
//! destroy leaves nothing of the stack.
//!
//! Inputs are built directly: three real SNS topics per test (created with the SDK) and a
//! guardrail id that only has to be a dimension value. Anomaly detectors are account-level and
//! shared by metric, so the tests of this binary run one at a time (one lock) to keep each
//! test's detector assertions its own.

use aws_sdk_cloudwatch::types::AlarmType;
use baseline_core::ids::TopicArn;
use baseline_core::{Action, Config};
use baseline_monitoring::{
    DetectorSpec, MonitoringInputs, MonitoringModule, MonitoringOutputs, MonitoringSpec,
};
use baseline_tests::{
    changed, context, destroy_module, emulator_admin, example_config, plan_module, sdk_config,
    unique_env, Planned,
};
use std::collections::{BTreeMap, BTreeSet};
use tokio::sync::{Mutex, MutexGuard};

static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// One test's stack: its turn to run (the tests of this binary run one at a time), an emulator
/// of its own, its config, module and inputs.
struct Stack {
    _turn: MutexGuard<'static, ()>,
    config: Config,
    m: MonitoringModule,
    inputs: MonitoringInputs,
    prefix: String,
}

/// Waits for the test's turn, then sets up its stack (`guardrail`: with a guardrail input).
async fn stack(example: &str, label: &str, sets: &[&str], guardrail: bool) -> Stack {
    // Anomaly detectors are account-wide: counting them needs an account of our own.
    baseline_tests::isolate();
    let turn = ONE_AT_A_TIME.lock().await;
    let config = example_config(example, &unique_env(label), sets);
    let ctx = context(&config).await;
    let inputs = inputs(&config, guardrail).await;
    Stack {
        _turn: turn,
        m: MonitoringModule::new(&ctx),
        inputs,
        prefix: config.prefix(),
        config,
    }
}

async fn topics(prefix: &str) -> BTreeMap<String, TopicArn> {
    let sns = aws_sdk_sns::Client::new(&sdk_config().await);
    let mut out = BTreeMap::new();
    for t in ["critical", "performance", "cost"] {
        let arn = sns
            .create_topic()
            .name(format!("{prefix}-{t}"))
            .send()
            .await
            .expect("create topic")
            .topic_arn()
            .unwrap()
            .to_owned();
        out.insert(t.to_owned(), TopicArn(arn));
    }
    out
}

async fn inputs(config: &Config, guardrail: bool) -> MonitoringInputs {
    MonitoringInputs {
        topic_arns: topics(&config.prefix()).await,
        guardrail_id: guardrail.then(|| "gr0test0001".into()),
        guardrail_version: guardrail.then(|| "1".into()),
        kms_key_arn: Some("arn:aws:kms:us-east-1:123456789012:key/1111-2222".into()),
        kms_key_id: Some("1111-2222".into()),
        log_bucket_name: Some(format!("{}-logs", config.prefix())),
        log_group_name: Some(format!("/aws/bedrock/{}/invocations", config.prefix())),
        flow_log_group_name: None,
        endpoint_ids: [
            "bedrock",
            "bedrock-runtime",
            "bedrock-agent",
            "bedrock-agent-runtime",
        ]
        .into_iter()
        .map(|s| (s.to_owned(), format!("vpce-0{}", s.len())))
        .collect(),
    }
}

async fn cw() -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&sdk_config().await)
}

/// spec + observe + apply; returns the spec and outputs.
async fn apply(
    m: &MonitoringModule,
    config: &Config,
    inputs: &MonitoringInputs,
) -> (MonitoringSpec, MonitoringOutputs) {
    let planned = plan_module(m, config, inputs).await;
    let out = planned.apply(m).await;
    (planned.spec, out)
}

/// The changes a plan shows now (no-ops left out).
async fn plan(
    m: &MonitoringModule,
    config: &Config,
    inputs: &MonitoringInputs,
) -> Vec<(String, Action)> {
    changed(&plan_module(m, config, inputs).await.changes)
}

/// The plan line `(address, action)` of the metric alarm `key`.
fn alarm(key: &str, action: Action) -> (String, Action) {
    (format!("monitoring.alarm[\"{key}\"]"), action)
}

/// Every write the emulator has served so far (operation names, in order).
///
/// Read from the emulator's own call log (`GET /_baseline/calls`) rather than
/// `ctx.call_log()`: core's `CallRecorder` reads the operation metadata in
/// `read_before_execution`, before the SDK has put it in the config bag, so that log stays empty
/// (reported to the lead). The tests of this binary run one at a time, so the window between two
/// reads holds only the module's calls.
fn writes() -> Vec<String> {
    let log = emulator_admin("GET", "/_baseline/calls", None);
    assert!(log["calls"].is_array(), "call log JSON: {log}");
    log["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["operation"].as_str())
        .filter(|op| !baseline_core::aws::is_read_operation(op))
        .map(str::to_owned)
        .collect()
}

struct Alarms {
    metric: BTreeMap<String, aws_sdk_cloudwatch::types::MetricAlarm>,
    composite: BTreeMap<String, aws_sdk_cloudwatch::types::CompositeAlarm>,
}

async fn alarms_of(prefix: &str) -> Alarms {
    let out = cw()
        .await
        .describe_alarms()
        .alarm_name_prefix(format!("{prefix}-"))
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    Alarms {
        metric: out
            .metric_alarms()
            .iter()
            .map(|a| (a.alarm_name().unwrap().to_owned(), a.clone()))
            .collect(),
        composite: out
            .composite_alarms()
            .iter()
            .map(|a| (a.alarm_name().unwrap().to_owned(), a.clone()))
            .collect(),
    }
}

/// Names an `ALARM("..") OR ..` rule refers to.
fn rule_names(rule: &str) -> BTreeSet<String> {
    rule.split("ALARM(\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

/// (namespace, metric) of every metric queried by an anomaly-band alarm in the account.
async fn metrics_with_anomaly_alarms() -> std::collections::BTreeSet<(String, String)> {
    let mut found = std::collections::BTreeSet::new();
    let mut pages = cw()
        .await
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for alarm in page.unwrap().metric_alarms() {
            if alarm.threshold_metric_id().is_none() {
                continue;
            }
            for q in alarm.metrics() {
                if let Some(m) = q.metric_stat().and_then(|s| s.metric()) {
                    found.insert((
                        m.namespace().unwrap_or_default().to_owned(),
                        m.metric_name().unwrap_or_default().to_owned(),
                    ));
                }
            }
        }
    }
    found
}

async fn detectors() -> Vec<(String, String, String)> {
    let out = cw()
        .await
        .describe_anomaly_detectors()
        .send()
        .await
        .unwrap();
    out.anomaly_detectors()
        .iter()
        .filter_map(|d| d.single_metric_anomaly_detector())
        .map(|s| {
            (
                s.namespace().unwrap().to_owned(),
                s.metric_name().unwrap().to_owned(),
                s.stat().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The spec's detectors that no anomaly alarm of another stack uses. Detectors are
/// account-wide: other stacks in the shared emulator (the CLI tests) may still use the same
/// ones, and the module rightly keeps those.
async fn own_detectors(spec: &MonitoringSpec) -> Vec<&DetectorSpec> {
    let used_elsewhere = metrics_with_anomaly_alarms().await;
    spec.detectors
        .iter()
        .filter(|d| {
            !used_elsewhere.contains(&(
                d.def.metric.namespace.clone(),
                d.def.metric.metric_name.clone(),
            ))
        })
        .collect()
}

/// The stack's dashboard.
async fn dashboard(
    prefix: &str,
) -> Result<
    aws_sdk_cloudwatch::operation::get_dashboard::GetDashboardOutput,
    aws_sdk_cloudwatch::error::SdkError<
        aws_sdk_cloudwatch::operation::get_dashboard::GetDashboardError,
    >,
> {
    cw().await
        .get_dashboard()
        .dashboard_name(format!("{prefix}-bedrock"))
        .send()
        .await
}

async fn assert_nothing_left(config: &Config, spec: &MonitoringSpec) {
    let prefix = config.prefix();
    let left = alarms_of(&prefix).await;
    assert!(
        left.metric.is_empty() && left.composite.is_empty(),
        "alarms left: {:?} {:?}",
        left.metric.keys(),
        left.composite.keys()
    );
    let dets = detectors().await;
    for d in own_detectors(spec).await {
        let key = (
            d.def.metric.namespace.clone(),
            d.def.metric.metric_name.clone(),
            d.def.stat.clone(),
        );
        assert!(!dets.contains(&key), "detector {key:?} left");
    }
    assert!(dashboard(&prefix).await.is_err(), "dashboard left");
    let events = aws_sdk_eventbridge::Client::new(&sdk_config().await);
    for (_, name) in &spec.owned_rules {
        assert!(
            events.describe_rule().name(name).send().await.is_err(),
            "rule {name} left"
        );
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    let filters = logs
        .describe_metric_filters()
        .log_group_name(&spec.log_analysis.log_group)
        .filter_name_prefix(format!("{prefix}-"))
        .send()
        .await
        .unwrap();
    assert!(filters.metric_filters().is_empty(), "metric filters left");
    let queries = logs
        .describe_query_definitions()
        .query_definition_name_prefix(format!("{prefix}/"))
        .send()
        .await
        .unwrap();
    assert!(queries.query_definitions().is_empty(), "saved queries left");
}

/// The log-analysis filters and saved queries exist as specified (read back).
async fn assert_log_analysis(spec: &MonitoringSpec) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    let la = &spec.log_analysis;
    assert_eq!(la.filters.len(), 4);
    let found = logs
        .describe_metric_filters()
        .log_group_name(&la.log_group)
        .filter_name_prefix(format!("{}-", la.stack))
        .send()
        .await
        .unwrap();
    for (key, want) in &la.filters {
        let f = found
            .metric_filters()
            .iter()
            .find(|f| f.filter_name() == Some(want.name.as_str()))
            .unwrap_or_else(|| panic!("filter {key} missing"));
        assert_eq!(f.filter_pattern(), Some(want.pattern.as_str()), "{key}");
        let t = &f.metric_transformations()[0];
        assert_eq!(
            (t.metric_namespace(), t.metric_name(), t.metric_value()),
            (
                format!("BedrockBaseline/{}", la.stack).as_str(),
                want.metric_name.as_str(),
                "1"
            )
        );
    }
    let queries = logs
        .describe_query_definitions()
        .query_definition_name_prefix(format!("{}/", la.stack))
        .send()
        .await
        .unwrap();
    let names: BTreeSet<&str> = queries
        .query_definitions()
        .iter()
        .filter_map(|q| q.name())
        .collect();
    assert_eq!(
        names,
        la.queries.iter().map(|(_, q)| q.name.as_str()).collect()
    );
    for q in queries.query_definitions() {
        assert_eq!(q.log_group_names(), std::slice::from_ref(&la.log_group));
    }
}

#[tokio::test]
async fn advanced_example_creates_every_alarm_converges_and_is_destroyed() {
    let Stack {
        _turn,
        config,
        m,
        inputs,
        prefix,
    } = stack("advanced", "monadv", &[], true).await;
    let (spec, out) = apply(&m, &config, &inputs).await;

    // Every alarm of the README, with its definition.
    let found = alarms_of(&prefix).await;
    assert_eq!(
        found.metric.keys().cloned().collect::<BTreeSet<_>>(),
        spec.alarms.iter().map(|a| a.def.name.clone()).collect()
    );
    let endpoint_alarms = spec
        .alarms
        .iter()
        .filter(|a| a.key.starts_with("endpoint-"))
        .count();
    assert_eq!(endpoint_alarms, config.bedrock_endpoints().len());
    assert_eq!(spec.alarms.len() - endpoint_alarms, 33);
    let topic = |t: &str| inputs.topic_arns[t].as_str().to_owned();
    // (key, namespace, metric, statistic, threshold, topic)
    let expected = [
        (
            "runtime-client-errors",
            "AWS/Bedrock",
            "InvocationClientErrors",
            "Sum",
            10.0,
            "critical",
        ),
        (
            "runtime-server-errors",
            "AWS/Bedrock",
            "InvocationServerErrors",
            "Sum",
            5.0,
            "critical",
        ),
        (
            "runtime-throttles",
            "AWS/Bedrock",
            "InvocationThrottles",
            "Sum",
            20.0,
            "performance",
        ),
        (
            "runtime-p99-latency",
            "AWS/Bedrock",
            "InvocationLatency",
            "p99",
            10_000.0,
            "performance",
        ),
        (
            "logging-cloudwatch-delivery-failures",
            "AWS/Bedrock",
            "ModelInvocationLogsCloudWatchDeliveryFailure",
            "Sum",
            1.0,
            "critical",
        ),
        (
            "logging-s3-delivery-failures",
            "AWS/Bedrock",
            "ModelInvocationLogsS3DeliveryFailure",
            "Sum",
            1.0,
            "critical",
        ),
        (
            "agents-client-errors",
            "AWS/Bedrock/Agents",
            "InvocationClientErrors",
            "Sum",
            5.0,
            "critical",
        ),
        (
            "agents-server-errors",
            "AWS/Bedrock/Agents",
            "InvocationServerErrors",
            "Sum",
            5.0,
            "critical",
        ),
        (
            "agents-throttles",
            "AWS/Bedrock/Agents",
            "InvocationThrottles",
            "Sum",
            10.0,
            "performance",
        ),
        (
            "agents-p99-latency",
            "AWS/Bedrock/Agents",
            "TotalTime",
            "p99",
            15_000.0,
            "performance",
        ),
        (
            "kb-client-errors",
            "AWS/Bedrock/KnowledgeBases",
            "ClientErrors",
            "Sum",
            5.0,
            "critical",
        ),
        (
            "kb-server-errors",
            "AWS/Bedrock/KnowledgeBases",
            "ServerErrors",
            "Sum",
            5.0,
            "critical",
        ),
        (
            "kb-throttles",
            "AWS/Bedrock/KnowledgeBases",
            "Throttles",
            "Sum",
            10.0,
            "performance",
        ),
        (
            "logging-large-data-delivery-failures",
            "AWS/Bedrock",
            "ModelInvocationLargeDataS3DeliveryFailure",
            "Sum",
            1.0,
            "critical",
        ),
        (
            "agents-inline-client-errors",
            "AWS/Bedrock/Agents",
            "InvocationClientErrors",
            "Sum",
            5.0,
            "critical",
        ),
        (
            "agents-inline-p99-latency",
            "AWS/Bedrock/Agents",
            "TotalTime",
            "p99",
            15_000.0,
            "performance",
        ),
        (
            "guardrails-intervened",
            "AWS/Bedrock/Guardrails",
            "InvocationsIntervened",
            "Sum",
            50.0,
            "performance",
        ),
        (
            "guardrails-sensitive-information-intervened",
            "AWS/Bedrock/Guardrails",
            "InvocationsIntervened",
            "Sum",
            50.0,
            "performance",
        ),
    ];
    for (key, ns, metric, stat, threshold, t) in expected {
        let a = &found.metric[&format!("{prefix}-{key}")];
        assert_eq!(a.namespace(), Some(ns), "{key}");
        assert_eq!(a.metric_name(), Some(metric), "{key}");
        if stat.starts_with('p') {
            assert_eq!(a.extended_statistic(), Some(stat), "{key}");
            assert_eq!(a.statistic(), None, "{key}");
        } else {
            assert_eq!(a.statistic().map(|s| s.as_str()), Some(stat), "{key}");
        }
        assert_eq!(a.threshold(), Some(threshold), "{key}");
        assert_eq!(a.period(), Some(300), "{key}");
        assert_eq!(a.evaluation_periods(), Some(2), "{key}");
        assert_eq!(a.datapoints_to_alarm(), Some(2), "{key}");
        assert_eq!(a.alarm_actions(), [topic(t)], "{key}");
        assert!(a.ok_actions().is_empty(), "{key}: enable_ok_actions is off");
    }
    let g = &found.metric[&format!("{prefix}-guardrails-intervened")];
    let dims: BTreeMap<_, _> = g
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap(), d.value().unwrap()))
        .collect();
    assert_eq!(
        dims,
        BTreeMap::from([
            (
                "GuardrailArn",
                "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr0test0001"
            ),
            ("GuardrailVersion", "1"),
        ])
    );
    // The training alarm: the rule's matches, training_* periods, the performance topic (the
    // rule itself pages critical per failed job).
    let t = &found.metric[&format!("{prefix}-training-job-failures")];
    assert_eq!(t.namespace(), Some("AWS/Events"));
    assert_eq!(t.metric_name(), Some("TriggeredRules"));
    assert_eq!(t.period(), Some(3600));
    assert_eq!(t.threshold(), Some(0.0));
    assert_eq!(t.alarm_actions().len(), 1);
    assert!(t.alarm_actions()[0].ends_with("-performance"));
    // Invoked but nothing delivered: metric math over Invocations and the delivery successes.
    let nd = &found.metric[&format!("{prefix}-logging-no-delivery")];
    let ids: Vec<_> = nd.metrics().iter().map(|q| q.id().unwrap()).collect();
    assert_eq!(ids, ["m1", "m2", "e1"]);
    assert_eq!(
        nd.metrics()[2].expression(),
        Some("IF(m1 > 0 AND FILL(m2, 0) == 0, 1, 0)")
    );
    assert_eq!(nd.alarm_actions(), [topic("critical")]);
    assert_eq!(
        found.metric[&format!("{prefix}-runtime-p99-latency")].treat_missing_data(),
        Some("missing")
    );
    assert_eq!(
        found.metric[&format!("{prefix}-runtime-client-errors")].treat_missing_data(),
        Some("notBreaching")
    );

    // Anomaly-band alarms and their detectors.
    for (key, metric, t) in [
        ("runtime-invocations-anomaly", "Invocations", "performance"),
        ("tokens-input-anomaly", "InputTokenCount", "cost"),
        ("tokens-output-anomaly", "OutputTokenCount", "cost"),
    ] {
        let a = &found.metric[&format!("{prefix}-{key}")];
        assert_eq!(a.threshold_metric_id(), Some("ad1"), "{key}");
        assert_eq!(
            a.comparison_operator().map(|c| c.as_str()),
            Some("GreaterThanUpperThreshold")
        );
        let band = a.metrics().iter().find(|q| q.id() == Some("ad1")).unwrap();
        assert_eq!(
            band.expression(),
            Some("ANOMALY_DETECTION_BAND(m1, 2)"),
            "{key}"
        );
        let m1 = a
            .metrics()
            .iter()
            .find(|q| q.id() == Some("m1"))
            .unwrap()
            .metric_stat()
            .unwrap();
        assert_eq!(m1.metric().unwrap().metric_name(), Some(metric));
        assert_eq!(m1.stat(), Some("Sum"));
        assert_eq!(m1.period(), Some(300));
        assert_eq!(a.alarm_actions(), [topic(t)], "{key}");
    }
    let dets = detectors().await;
    for d in own_detectors(&spec).await {
        assert!(
            dets.contains(&(
                d.def.metric.namespace.clone(),
                d.def.metric.metric_name.clone(),
                "Sum".into()
            )),
            "{}",
            d.key
        );
    }
    assert_eq!(out.anomaly_detectors, 3);

    // Composite rules name exactly the enabled alarms.
    let basic = &found.composite[&format!("{prefix}-basic-health")];
    let want_basic: BTreeSet<String> = [
        "runtime-client-errors",
        "runtime-server-errors",
        "runtime-throttles",
        "runtime-p99-latency",
        "logging-cloudwatch-delivery-failures",
        "logging-s3-delivery-failures",
        "logging-large-data-delivery-failures",
        "logging-no-delivery",
    ]
    .iter()
    .map(|k| format!("{prefix}-{k}"))
    .collect();
    assert_eq!(rule_names(basic.alarm_rule().unwrap()), want_basic);
    assert_eq!(basic.alarm_actions(), [topic("critical")]);
    // Comprehensive health pages the critical topic: errors, failures and delivery problems
    // only, never an anomaly band, a token alarm, latency or throttles.
    let comprehensive = &found.composite[&format!("{prefix}-comprehensive-health")];
    let want_health: BTreeSet<String> = [
        "runtime-client-errors",
        "runtime-server-errors",
        "logging-cloudwatch-delivery-failures",
        "logging-s3-delivery-failures",
        "logging-large-data-delivery-failures",
        "logging-no-delivery",
        "agents-client-errors",
        "agents-server-errors",
        "agents-inline-client-errors",
        "agents-inline-server-errors",
        "kb-client-errors",
        "kb-server-errors",
        "training-job-failures",
        "log-bucket-5xx-errors",
    ]
    .iter()
    .map(|k| format!("{prefix}-{k}"))
    .collect();
    assert_eq!(rule_names(comprehensive.alarm_rule().unwrap()), want_health);
    assert_log_analysis(&spec).await;
    assert_eq!(out.metric_filter_names.len(), 4);
    assert_eq!(out.query_definition_names.len(), 3);
    assert_eq!(comprehensive.alarm_actions(), [topic("critical")]);

    // Dashboard and training rule.
    let dash = dashboard(&prefix).await.unwrap();
    let body: serde_json::Value = serde_json::from_str(dash.dashboard_body().unwrap()).unwrap();
    assert_eq!(body, spec.dashboard_body);
    let events = aws_sdk_eventbridge::Client::new(&sdk_config().await);
    let rule = events
        .describe_rule()
        .name(format!("{prefix}-training-job-failed"))
        .send()
        .await
        .unwrap();
    let pattern: serde_json::Value = serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
    assert_eq!(pattern["detail"]["jobStatus"][0], "Failed");
    let targets = events
        .list_targets_by_rule()
        .rule(format!("{prefix}-training-job-failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(targets.targets()[0].arn(), topic("critical"));
    assert_eq!(
        out.training_rule_name,
        Some(format!("{prefix}-training-job-failed"))
    );

    // Second apply: no changes and no write call.
    assert_eq!(plan(&m, &config, &inputs).await, vec![]);
    let before = writes().len();
    apply(&m, &config, &inputs).await;
    assert_eq!(
        writes()[before..],
        [] as [String; 0],
        "a converged stack is not written to"
    );

    // One threshold changes: exactly one alarm is rewritten.
    let changed = example_config("advanced", &config.environment, &["throttle_threshold=35"]);
    assert_eq!(
        plan(&m, &changed, &inputs).await,
        vec![alarm("runtime-throttles", Action::Update)]
    );
    let before = writes().len();
    apply(&m, &changed, &inputs).await;
    assert_eq!(writes()[before..], ["PutMetricAlarm".to_owned()]);
    assert_eq!(
        alarms_of(&prefix).await.metric[&format!("{prefix}-runtime-throttles")].threshold(),
        Some(35.0)
    );
    assert_eq!(plan(&m, &changed, &inputs).await, vec![]);

    destroy_module(&m, &changed, &inputs).await;
    assert_nothing_left(&changed, &spec).await;
    assert_eq!(
        plan(&m, &changed, &inputs).await.len(),
        spec.alarms.len()
            + spec.composites.len()
            + spec.detectors.len()
            + 1
            + spec.rules.len()
            + spec.log_analysis.filters.len()
            + spec.log_analysis.queries.len()
    );
}

#[tokio::test]
async fn basic_example_without_a_guardrail_creates_only_the_matching_subset() {
    // The basic example leaves every monitoring switch at its default; this stack has no
    // guardrail and no comprehensive health alarm.
    let Stack {
        _turn,
        config,
        m,
        inputs,
        prefix,
    } = stack(
        "basic",
        "monbasic",
        &[
            "enable_guardrails=false",
            "enable_comprehensive_health_monitoring=false",
        ],
        false,
    )
    .await;
    let (spec, out) = apply(&m, &config, &inputs).await;
    let found = alarms_of(&prefix).await;
    let keys: BTreeSet<String> = found
        .metric
        .keys()
        .map(|n| n.trim_start_matches(&format!("{prefix}-")).to_owned())
        .collect();
    assert_eq!(keys.len(), spec.alarms.len());
    assert!(
        !keys.iter().any(|k| k.starts_with("guardrails-")),
        "{keys:?}"
    );
    assert!(keys.contains("agents-p99-latency") && !keys.contains("api-calls-anomaly"));
    assert!(
        !keys.contains("tokens-input-high"),
        "no static token alarm by default"
    );
    assert_eq!(
        found.composite.keys().cloned().collect::<Vec<_>>(),
        vec![format!("{prefix}-basic-health")]
    );
    assert!(!out.alarm_names.contains_key("guardrails"));
    let dash = dashboard(&prefix).await.unwrap();
    assert!(!dash
        .dashboard_body()
        .unwrap()
        .contains("Guardrail interventions"));
    assert_eq!(plan(&m, &config, &inputs).await, vec![]);
    destroy_module(&m, &config, &inputs).await;
    assert_nothing_left(&config, &spec).await;
}

#[tokio::test]
async fn an_alarm_deleted_by_hand_is_shown_and_recreated() {
    let Stack {
        _turn,
        config,
        m,
        inputs,
        prefix,
    } = stack("advanced", "mondrift", &[], true).await;
    let (spec, _) = apply(&m, &config, &inputs).await;

    cw().await
        .delete_alarms()
        .alarm_names(format!("{prefix}-agents-p99-latency"))
        .send()
        .await
        .unwrap();
    cw().await
        .untag_resource()
        .resource_arn(format!(
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:{prefix}-runtime-throttles"
        ))
        .tag_keys("baseline:stack")
        .send()
        .await
        .unwrap();
    let mut drift = plan(&m, &config, &inputs).await;
    drift.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        drift,
        vec![
            alarm("agents-p99-latency", Action::Create),
            alarm("runtime-throttles", Action::Update),
        ]
    );
    let before = writes().len();
    apply(&m, &config, &inputs).await;
    // The alarm writes run concurrently: compare without order.
    let mut repaired = writes()[before..].to_vec();
    repaired.sort();
    assert_eq!(
        repaired,
        ["PutMetricAlarm".to_owned(), "TagResource".to_owned()]
    );
    assert_eq!(plan(&m, &config, &inputs).await, vec![]);
    let a = &alarms_of(&prefix).await.metric[&format!("{prefix}-agents-p99-latency")];
    assert_eq!(a.extended_statistic(), Some("p99"));

    destroy_module(&m, &config, &inputs).await;
    assert_nothing_left(&config, &spec).await;
}

#[tokio::test]
async fn disabling_a_group_removes_exactly_its_alarms_and_their_composite_references() {
    let Stack {
        _turn,
        config,
        m,
        inputs,
        prefix,
    } = stack("advanced", "mongroup", &[], true).await;
    let (spec, _) = apply(&m, &config, &inputs).await;
    let before_alarms = alarms_of(&prefix).await;

    let off = example_config(
        "advanced",
        &config.environment,
        &["enable_agents_monitoring=false"],
    );
    let mut changes = plan(&m, &off, &inputs).await;
    changes.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        changes,
        vec![
            alarm("agents-client-errors", Action::Delete),
            alarm("agents-inline-client-errors", Action::Delete),
            alarm("agents-inline-p99-latency", Action::Delete),
            alarm("agents-inline-server-errors", Action::Delete),
            alarm("agents-inline-throttles", Action::Delete),
            alarm("agents-p99-latency", Action::Delete),
            alarm("agents-server-errors", Action::Delete),
            alarm("agents-throttles", Action::Delete),
            (
                "monitoring.composite_alarm[\"comprehensive-health\"]".to_owned(),
                Action::Update
            ),
            ("monitoring.dashboard".to_owned(), Action::Update),
        ]
    );
    apply(&m, &off, &inputs).await;
    let after = alarms_of(&prefix).await;
    let gone: BTreeSet<String> = before_alarms
        .metric
        .keys()
        .filter(|n| !after.metric.contains_key(*n))
        .cloned()
        .collect();
    let want_gone: BTreeSet<String> = [
        "agents-client-errors",
        "agents-server-errors",
        "agents-throttles",
        "agents-p99-latency",
        "agents-inline-client-errors",
        "agents-inline-server-errors",
        "agents-inline-throttles",
        "agents-inline-p99-latency",
    ]
    .iter()
    .map(|k| format!("{prefix}-{k}"))
    .collect();
    assert_eq!(gone, want_gone);
    let comprehensive = rule_names(
        after.composite[&format!("{prefix}-comprehensive-health")]
            .alarm_rule()
            .unwrap(),
    );
    assert!(comprehensive.is_disjoint(&want_gone));
    assert!(comprehensive.contains(&format!("{prefix}-runtime-client-errors")));
    assert_eq!(
        after.composite[&format!("{prefix}-basic-health")].alarm_rule(),
        before_alarms.composite[&format!("{prefix}-basic-health")].alarm_rule(),
        "the basic rule never named agents"
    );
    assert_eq!(plan(&m, &off, &inputs).await, vec![]);

    destroy_module(&m, &off, &inputs).await;
    assert_nothing_left(&off, &spec).await;
}

/// The acceptance test of the metric catalog against the emulator: for every single-metric
/// alarm of the advanced example, a datapoint with exactly the documented dimensions is
/// accepted (PutMetricData) and DescribeAlarmsForMetric with that metric, statistic and period
/// finds the alarm. The plugin matches the whole dimension set as AWS does, so an alarm on an
/// unpublished set (the old {GuardrailArn, GuardrailVersion, GuardrailContentSource}) fails here.
#[tokio::test]
async fn every_alarm_is_found_from_a_datapoint_of_its_documented_metric() {
    let Stack {
        _turn,
        config,
        m,
        inputs,
        prefix,
    } = stack(
        "advanced",
        "monmetric",
        &["token_anomaly_threshold_value=500000"],
        true,
    )
    .await;

    // The plan names each alarm's topic; the critical composite holds no band or token alarm.
    let Planned {
        spec,
        changes: planned,
        ..
    } = plan_module(&m, &config, &inputs).await;
    for a in &spec.alarms {
        let address = format!("monitoring.alarm[\"{}\"]", a.key);
        let c = planned.iter().find(|c| c.address == address).unwrap();
        let note = c.note.as_deref().unwrap_or_default();
        assert!(
            note.starts_with(&format!("notifies the {} topic", a.topic.as_str())),
            "{address}: {note}"
        );
    }
    let comprehensive = spec
        .composites
        .iter()
        .find(|c| c.key == "comprehensive-health")
        .unwrap();
    for a in &spec.alarms {
        if a.detector_key.is_some() || a.key.starts_with("tokens-") {
            assert!(
                !comprehensive.def.alarm_rule.contains(&a.def.name),
                "{} in the critical composite",
                a.key
            );
        }
    }
    assert!(spec.alarms.iter().any(|a| a.key == "tokens-input-high"));
    for key in [
        "log-bucket-4xx-errors",
        "log-bucket-5xx-errors",
        "kms-request-quota",
        "log-guardrail-interventions",
        "log-sensitive-information",
        "log-invocation-errors",
        "log-access-denials",
    ] {
        assert!(spec.alarms.iter().any(|a| a.key == key), "{key}");
    }
    assert!(
        comprehensive
            .def
            .alarm_rule
            .contains(&format!("{prefix}-log-bucket-5xx-errors")),
        "S3 5xx errors are an error of the audit trail"
    );

    let (spec, _) = apply(&m, &config, &inputs).await;
    let cw = cw().await;
    let dims = |m: &baseline_monitoring::MetricRef| -> Vec<aws_sdk_cloudwatch::types::Dimension> {
        m.dimensions
            .iter()
            .map(|(k, v)| {
                aws_sdk_cloudwatch::types::Dimension::builder()
                    .name(k)
                    .value(v)
                    .build()
            })
            .collect()
    };
    let mut checked = 0;
    for a in &spec.alarms {
        let queried: Vec<&baseline_monitoring::MetricRef> = a
            .def
            .metric
            .iter()
            .chain(a.def.metrics.iter().filter_map(|q| q.metric.as_ref()))
            .collect();
        for metric in &queried {
            assert_eq!(
                baseline_monitoring::metrics::undocumented(metric),
                None,
                "{}",
                a.key
            );
            cw.put_metric_data()
                .namespace(&metric.namespace)
                .metric_data(
                    aws_sdk_cloudwatch::types::MetricDatum::builder()
                        .metric_name(&metric.metric_name)
                        .set_dimensions(Some(dims(metric)))
                        .value(1.0)
                        .unit(aws_sdk_cloudwatch::types::StandardUnit::Count)
                        .build(),
                )
                .send()
                .await
                .unwrap_or_else(|e| panic!("{}: PutMetricData {e:?}", a.key));
        }
        let Some(metric) = &a.def.metric else {
            continue;
        };
        let mut q = cw
            .describe_alarms_for_metric()
            .namespace(&metric.namespace)
            .metric_name(&metric.metric_name)
            .set_dimensions(Some(dims(metric)))
            .period(a.def.period.unwrap());
        q = match (&a.def.statistic, &a.def.extended_statistic) {
            (Some(s), _) => q.statistic(aws_sdk_cloudwatch::types::Statistic::from(s.as_str())),
            (_, Some(e)) => q.extended_statistic(e),
            _ => q,
        };
        let found = q.send().await.unwrap();
        assert!(
            found
                .metric_alarms()
                .iter()
                .any(|f| f.alarm_name() == Some(a.def.name.as_str())),
            "{}: DescribeAlarmsForMetric does not find it",
            a.key
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");

    // An alarm of an earlier release on an unpublished dimension set is deleted by the next apply.
    let retired = format!("{prefix}-guardrails-input-intervened");
    cw.put_metric_alarm()
        .alarm_name(&retired)
        .namespace("AWS/Bedrock/Guardrails")
        .metric_name("InvocationsIntervened")
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("GuardrailContentSource")
                .value("Input")
                .build(),
        )
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    assert_eq!(
        plan(&m, &config, &inputs).await,
        vec![alarm("guardrails-input-intervened", Action::Delete)]
    );
    apply(&m, &config, &inputs).await;
    assert!(!alarms_of(&prefix).await.metric.contains_key(&retired));
    assert_eq!(plan(&m, &config, &inputs).await, vec![]);

    destroy_module(&m, &config, &inputs).await;
    assert_nothing_left(&config, &spec).await;
}

/// `*` wildcards as IAM's ArnLike applies them.
fn arn_like(pattern: &str, arn: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = arn;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    rest.is_empty()
}

/// A CloudTrail management event as EventBridge delivers it, built from a rule's pattern: the
/// first value of every matched field, or `other` in `requestParameters` (another resource).
fn cloudtrail_event(pattern: &serde_json::Value, other: bool) -> serde_json::Value {
    let first = |v: &serde_json::Value| v[0].clone();
    let d = &pattern["detail"];
    let mut detail = serde_json::json!({
        "eventVersion": "1.08",
        "eventSource": first(&d["eventSource"]),
        "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00Z",
        "userIdentity": {"type": "IAMUser", "accountId": "123456789012"},
    });
    detail["eventName"] = if d["eventName"].is_null() {
        serde_json::json!("InvokeModel")
    } else {
        first(&d["eventName"])
    };
    if !d["errorCode"].is_null() {
        detail["errorCode"] = first(&d["errorCode"]);
    }
    if let Some(params) = d["requestParameters"].as_object() {
        let mut rp = serde_json::Map::new();
        for (k, v) in params {
            let value = if other {
                serde_json::json!("someone-elses-resource")
            } else {
                first(v)
            };
            rp.insert(k.clone(), value);
        }
        detail["requestParameters"] = serde_json::Value::Object(rp);
    }
    serde_json::json!({
        "version": "0",
        "id": "7e4a1b2c-0000-0000-0000-000000000000",
        "detail-type": first(&pattern["detail-type"]),
        "source": first(&pattern["source"]),
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    })
}

/// Tamper and access rules: each exists with its pattern and one target (critical, or
/// performance for access denials); a CloudTrail event of the stack's resource matches
/// (TestEventPattern), the same call on another resource does not; the alert topics' policy
/// admits EventBridge for exactly these rules; a second apply writes nothing and destroy
/// removes every rule.
#[tokio::test]
async fn tamper_rules_match_cloudtrail_events_of_the_stack_and_reach_their_topic() {
    let Stack {
        _turn,
        config,
        m,
        inputs,
        prefix,
    } = stack("advanced", "montamper", &[], true).await;
    let (spec, out) = apply(&m, &config, &inputs).await;
    let events = aws_sdk_eventbridge::Client::new(&sdk_config().await);
    let sns = aws_sdk_sns::Client::new(&sdk_config().await);
    let tamper: Vec<&(String, baseline_monitoring::RuleDef)> = spec
        .rules
        .iter()
        .filter(|(k, _)| k != "training-job-failed")
        .collect();
    assert_eq!(tamper.len(), 7, "{:?}", spec.rules);
    assert_eq!(out.event_rule_names.len(), 8);
    for (key, want) in &tamper {
        let rule = events
            .describe_rule()
            .name(&want.name)
            .send()
            .await
            .unwrap();
        let pattern: serde_json::Value =
            serde_json::from_str(rule.event_pattern().unwrap()).unwrap();
        assert_eq!(pattern, want.event_pattern, "{key}");
        assert_eq!(pattern["detail-type"][0], "AWS API Call via CloudTrail");
        let targets = events
            .list_targets_by_rule()
            .rule(&want.name)
            .send()
            .await
            .unwrap();
        let topic = if key.as_str() == "bedrock-access-denied" {
            "performance"
        } else {
            "critical"
        };
        assert_eq!(
            targets
                .targets()
                .iter()
                .map(|t| t.arn())
                .collect::<Vec<_>>(),
            [inputs.topic_arns[topic].as_str()],
            "{key}"
        );
        let matches = |event: serde_json::Value| {
            let events = events.clone();
            let pattern = rule.event_pattern().unwrap().to_owned();
            async move {
                events
                    .test_event_pattern()
                    .event_pattern(pattern)
                    .event(event.to_string())
                    .send()
                    .await
                    .unwrap()
                    .result()
            }
        };
        assert!(matches(cloudtrail_event(&pattern, false)).await, "{key}");
        if pattern["detail"]["requestParameters"].is_object() {
            assert!(
                !matches(cloudtrail_event(&pattern, true)).await,
                "{key}: other resource"
            );
        }
        // The topic policy alerting writes admits EventBridge for this rule, and only with the
        // account and the rule's ARN as conditions.
        let topic_arn = inputs.topic_arns[topic].as_str();
        let policy = baseline_alerting::topic_policy(&baseline_alerting::TopicPolicyContext {
            partition: "aws".into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            prefix: prefix.clone(),
            topic_arn: topic_arn.to_owned(),
            publishers: vec![],
            event_rule_arns: baseline_core::event_rules::publishing_rule_arns(
                &config,
                &baseline_core::Naming::new(prefix.clone(), Default::default()),
                ("aws", "us-east-1", "123456789012"),
                Some(topic),
            ),
        });
        sns.set_topic_attributes()
            .topic_arn(topic_arn)
            .attribute_name("Policy")
            .attribute_value(serde_json::to_string(&policy).unwrap())
            .send()
            .await
            .unwrap();
        let stored = sns
            .get_topic_attributes()
            .topic_arn(topic_arn)
            .send()
            .await
            .unwrap();
        let doc: serde_json::Value =
            serde_json::from_str(&stored.attributes().unwrap()["Policy"]).unwrap();
        let rule_arn = rule.arn().unwrap();
        let grant = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["Principal"]["Service"] == "events.amazonaws.com")
            .expect("an EventBridge statement");
        assert_eq!(grant["Effect"], "Allow");
        assert!(grant["Action"] == "sns:Publish" || grant["Action"][0] == "sns:Publish");
        assert_eq!(
            grant["Condition"]["StringEquals"]["aws:SourceAccount"]
                .as_str()
                .or(grant["Condition"]["StringEquals"]["aws:SourceAccount"][0].as_str()),
            Some("123456789012")
        );
        let source = &grant["Condition"]["ArnLike"]["aws:SourceArn"];
        let sources: Vec<&str> = match source.as_str() {
            Some(one) => vec![one],
            None => source
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|v| v.as_str())
                .collect(),
        };
        assert!(
            sources.iter().any(|s| arn_like(s, rule_arn)),
            "{sources:?} do not admit {rule_arn}"
        );
        // Exact ARNs: no pattern, so another rule under the stack's prefix gets nothing.
        assert!(sources.iter().all(|s| !s.contains('*')), "{sources:?}");
        for other in [
            "arn:aws:events:us-east-1:123456789012:rule/other-stack-rule".to_owned(),
            format!("arn:aws:events:us-east-1:123456789012:rule/{prefix}-not-a-stack-rule"),
        ] {
            assert!(!sources.iter().any(|s| arn_like(s, &other)), "{other}");
        }
    }

    // Re-apply writes nothing; destroy removes every rule.
    assert_eq!(plan(&m, &config, &inputs).await, vec![]);
    let before = writes().len();
    apply(&m, &config, &inputs).await;
    assert_eq!(writes()[before..], [] as [String; 0]);
    destroy_module(&m, &config, &inputs).await;
    assert_nothing_left(&config, &spec).await;
}

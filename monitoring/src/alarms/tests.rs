//! The catalog: which alarms each switch yields, their metrics, thresholds and routing.

use super::stack::MANTLE;
use super::*;
use baseline_core::ids::TopicArn;

fn topics() -> BTreeMap<String, TopicArn> {
    ["critical", "performance", "cost"]
        .into_iter()
        .map(|t| {
            (
                t.to_owned(),
                TopicArn(format!("arn:aws:sns:us-east-1:123456789012:demo-prod-{t}")),
            )
        })
        .collect()
}

fn build(config: &Config, inputs: &MonitoringInputs) -> Catalog {
    let naming = Naming::new("demo-prod", BTreeMap::new());
    let cx = CatalogContext {
        naming: &naming,
        inputs,
        guardrail_arn: inputs
            .guardrail_id
            .as_ref()
            .map(|id| format!("arn:aws:bedrock:us-east-1:123456789012:guardrail/{id}")),
        all: false,
        region: "us-east-1",
    };
    catalog(config, &cx)
}

/// The built-in defaults, changed field by field in each test.
fn defaults() -> Config {
    Config::default()
}

fn inputs() -> MonitoringInputs {
    MonitoringInputs {
        topic_arns: topics(),
        guardrail_id: Some("gr1".into()),
        guardrail_version: Some("1".into()),
        ..MonitoringInputs::default()
    }
}

fn keys(c: &Catalog) -> Vec<&str> {
    c.alarms.iter().map(|a| a.key.as_str()).collect()
}

/// Checks which alarm keys a config change yields.
#[track_caller]
fn check(change: impl FnOnce(&mut Config), present: &[&str], absent: &[&str]) {
    let mut config = defaults();
    change(&mut config);
    let cat = build(&config, &inputs());
    let got = keys(&cat);
    for k in present {
        assert!(got.contains(k), "{k} missing from {got:?}");
    }
    for k in absent {
        assert!(!got.contains(k), "{k} present in {got:?}");
    }
}

#[test]
fn every_switch_adds_or_removes_exactly_its_group() {
    let all = [
        "runtime-client-errors",
        "runtime-server-errors",
        "runtime-throttles",
        "runtime-p99-latency",
        "runtime-invocations-anomaly",
        "tokens-input-anomaly",
        "tokens-output-anomaly",
        "logging-cloudwatch-delivery-failures",
        "logging-s3-delivery-failures",
        "logging-large-data-delivery-failures",
        "logging-no-delivery",
        "agents-client-errors",
        "agents-server-errors",
        "agents-throttles",
        "agents-p99-latency",
        "agents-inline-client-errors",
        "agents-inline-server-errors",
        "agents-inline-throttles",
        "agents-inline-p99-latency",
        "kb-client-errors",
        "kb-server-errors",
        "kb-throttles",
        "guardrails-intervened",
        "guardrails-content-policy-intervened",
        "guardrails-sensitive-information-intervened",
        "training-job-failures",
    ];
    check(
        |_| {},
        &all,
        &[
            "tokens-input-high",
            "tokens-output-high",
            "api-calls-anomaly",
            "guardrails-input-intervened",
        ],
    );
    check(
        |c| c.enable_anomaly_detection = false,
        &["runtime-client-errors"],
        &[
            "runtime-invocations-anomaly",
            "tokens-input-anomaly",
            "tokens-output-anomaly",
        ],
    );
    check(
        |c| c.enable_token_monitoring = false,
        &["runtime-client-errors"],
        &["tokens-input-anomaly", "tokens-output-anomaly"],
    );
    check(
        |c| c.token_anomaly_threshold_value = Some(250_000.0),
        &["tokens-input-high", "tokens-output-high"],
        &[],
    );
    check(
        |c| {
            c.token_anomaly_threshold_value = Some(250_000.0);
            c.enable_token_anomaly_detection = false;
        },
        &["tokens-input-anomaly"],
        &["tokens-input-high", "tokens-output-high"],
    );
    check(
        |c| c.enable_s3_logging = false,
        &[
            "logging-cloudwatch-delivery-failures",
            "logging-no-delivery",
        ],
        &[
            "logging-s3-delivery-failures",
            "logging-large-data-delivery-failures",
        ],
    );
    check(
        |c| c.enable_model_invocation_logging = false,
        &["runtime-client-errors"],
        &[
            "logging-cloudwatch-delivery-failures",
            "logging-s3-delivery-failures",
            "logging-large-data-delivery-failures",
            "logging-no-delivery",
        ],
    );
    check(
        |c| c.enable_agents_monitoring = false,
        &["kb-throttles"],
        &[
            "agents-client-errors",
            "agents-server-errors",
            "agents-throttles",
            "agents-p99-latency",
            "agents-inline-client-errors",
            "agents-inline-p99-latency",
        ],
    );
    check(
        |c| c.enable_knowledge_base_monitoring = false,
        &["agents-throttles"],
        &["kb-client-errors", "kb-server-errors", "kb-throttles"],
    );
    check(
        |c| c.enable_guardrails_monitoring = false,
        &["training-job-failures"],
        &[
            "guardrails-intervened",
            "guardrails-content-policy-intervened",
            "guardrails-sensitive-information-intervened",
        ],
    );
    check(
        |c| c.enable_training_monitoring = false,
        &["runtime-throttles"],
        &["training-job-failures"],
    );
}

/// The catalog test: every alarm the module can produce (all switches on), every metric of
/// its metric math, and every detector is a (namespace, metric, dimension set) AWS documents.
#[test]
fn every_alarm_watches_a_documented_metric_and_dimension_set() {
    let naming = Naming::new("demo-prod", BTreeMap::new());
    let inputs = inputs();
    let universe = catalog(
        &defaults(),
        &CatalogContext {
            naming: &naming,
            inputs: &inputs,
            guardrail_arn: Some("arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1".into()),
            all: true,
            region: "us-east-1",
        },
    );
    let mut checked = 0;
    for a in &universe.alarms {
        let metrics = a
            .def
            .metric
            .iter()
            .chain(a.def.metrics.iter().filter_map(|q| q.metric.as_ref()));
        for m in metrics {
            assert_eq!(
                crate::metrics::undocumented(m),
                None,
                "alarm {} watches an undocumented metric",
                a.key
            );
            checked += 1;
        }
        if let Some(stat) = &a.def.statistic {
            let doc = crate::metrics::lookup(
                &a.def.metric.as_ref().unwrap().namespace,
                &a.def.metric.as_ref().unwrap().metric_name,
            )
            .unwrap();
            assert_eq!(stat, doc.statistic, "{}", a.key);
        }
    }
    for d in &universe.detectors {
        assert_eq!(crate::metrics::undocumented(&d.def.metric), None);
    }
    assert!(checked >= universe.alarms.len());
}

#[test]
fn each_bedrock_endpoint_has_a_dropped_packets_alarm_on_the_documented_set() {
    let mut config = defaults();
    config.vpc_id = "vpc-1".into();
    config.enable_bedrock_agent_endpoint = false;
    let mut inputs = inputs();
    inputs
        .endpoint_ids
        .insert("bedrock-runtime".into(), "vpce-rt".into());
    let cat = build(&config, &inputs);
    let endpoint: Vec<&AlarmSpec> = cat
        .alarms
        .iter()
        .filter(|a| a.group == Group::VpcEndpoints)
        .collect();
    assert_eq!(endpoint.len(), config.bedrock_endpoints().len());
    assert!(!endpoint
        .iter()
        .any(|a| a.key == "endpoint-bedrock-agent-packets-dropped"));
    let rt = endpoint
        .iter()
        .find(|a| a.key == "endpoint-bedrock-runtime-packets-dropped")
        .unwrap();
    let m = rt.def.metric.as_ref().unwrap();
    assert_eq!(m.namespace, "AWS/PrivateLinkEndpoints");
    assert_eq!(m.dimensions["VPC Endpoint Id"], "vpce-rt");
    assert_eq!(
        m.dimensions["Service Name"],
        "com.amazonaws.us-east-1.bedrock-runtime"
    );
    assert_eq!(m.dimensions["VPC Id"], "vpc-1");
    assert_eq!(rt.topic, Topic::Performance);
    assert!(!rt.in_health);
}

#[test]
fn mantle_gets_a_dropped_packets_alarm_where_network_made_it() {
    let mut config = defaults();
    config.vpc_id = "vpc-1".into();
    config.enable_bedrock_mantle_endpoint = true;
    let key = "endpoint-bedrock-mantle-packets-dropped";
    // Network reports endpoints but none for mantle: the region does not offer it.
    let mut inputs = inputs();
    inputs
        .endpoint_ids
        .insert("bedrock-runtime".into(), "vpce-rt".into());
    assert!(!build(&config, &inputs).alarms.iter().any(|a| a.key == key));
    inputs
        .endpoint_ids
        .insert(MANTLE.into(), "vpce-mantle".into());
    let cat = build(&config, &inputs);
    let a = cat.alarms.iter().find(|a| a.key == key).unwrap();
    let m = a.def.metric.as_ref().unwrap();
    assert_eq!(m.dimensions["VPC Endpoint Id"], "vpce-mantle");
    assert_eq!(
        m.dimensions["Service Name"],
        "com.amazonaws.us-east-1.bedrock-mantle"
    );
    config.enable_bedrock_mantle_endpoint = false;
    assert!(!build(&config, &inputs).alarms.iter().any(|a| a.key == key));
}

#[test]
fn guardrail_alarms_need_a_guardrail() {
    let mut config = defaults();
    config.enable_guardrails = false;
    let no_guardrail = MonitoringInputs {
        guardrail_id: None,
        guardrail_version: None,
        ..inputs()
    };
    assert!(!keys(&build(&config, &no_guardrail))
        .iter()
        .any(|k| k.starts_with("guardrails-")));
    // Enabled but not created yet: planned with placeholders.
    config.enable_guardrails = true;
    let cat = build(&config, &no_guardrail);
    let g = cat
        .alarms
        .iter()
        .find(|a| a.key == "guardrails-intervened")
        .unwrap();
    assert_eq!(
        g.def.metric.as_ref().unwrap().dimensions["GuardrailArn"],
        UNKNOWN
    );
}

#[test]
fn guardrail_alarms_watch_the_pinned_version_and_the_policy_types() {
    let cat = build(&defaults(), &inputs());
    let dims = |k: &str| {
        cat.alarms
            .iter()
            .find(|a| a.key == k)
            .unwrap()
            .def
            .metric
            .clone()
            .unwrap()
            .dimensions
    };
    let own = dims("guardrails-intervened");
    assert_eq!(
        own.keys().collect::<Vec<_>>(),
        vec!["GuardrailArn", "GuardrailVersion"]
    );
    assert_eq!(own["GuardrailVersion"], "1");
    assert_eq!(
        dims("guardrails-sensitive-information-intervened")["GuardrailPolicyType"],
        "SensitiveInformationPolicy"
    );
    assert_eq!(
        dims("guardrails-content-policy-intervened")["GuardrailPolicyType"],
        "ContentPolicy"
    );
}

#[test]
fn no_delivery_alarm_compares_invocations_with_successful_deliveries() {
    let cat = build(&defaults(), &inputs());
    let a = cat
        .alarms
        .iter()
        .find(|a| a.key == "logging-no-delivery")
        .unwrap();
    assert_eq!(a.topic, Topic::Critical);
    assert!(a.in_health);
    let q = &a.def.metrics;
    assert_eq!(q[0].metric.as_ref().unwrap().metric_name, "Invocations");
    assert_eq!(
        q[1].metric.as_ref().unwrap().metric_name,
        "ModelInvocationLogsCloudWatchDeliverySuccess"
    );
    assert!(q[2].return_data && !q[0].return_data && !q[1].return_data);
    assert_eq!(
        q[2].expression.as_deref(),
        Some("IF(m1 > 0 AND FILL(m2, 0) == 0, 1, 0)")
    );
    assert_eq!(a.def.threshold, Some(1.0));
    // Only S3 logging: the S3 success metric is the one that must appear.
    let mut config = defaults();
    config.enable_cloudwatch_logging = false;
    let cat = build(&config, &inputs());
    let a = cat
        .alarms
        .iter()
        .find(|a| a.key == "logging-no-delivery")
        .unwrap();
    assert_eq!(
        a.def.metrics[1].metric.as_ref().unwrap().metric_name,
        "ModelInvocationLogsS3DeliverySuccess"
    );
}

#[test]
fn training_alarm_honours_its_threshold_and_periods_and_notifies_performance() {
    let mut config = defaults();
    config.training_job_failure_threshold = 2.0;
    config.training_alarm_period = 900;
    config.training_alarm_evaluation_periods = 4;
    let cat = build(&config, &inputs());
    let a = cat
        .alarms
        .iter()
        .find(|a| a.key == "training-job-failures")
        .unwrap();
    let m = a.def.metric.as_ref().unwrap();
    assert_eq!(
        (m.namespace.as_str(), m.metric_name.as_str()),
        ("AWS/Events", "TriggeredRules")
    );
    assert_eq!(m.dimensions["RuleName"], "demo-prod-training-job-failed");
    assert_eq!(a.def.threshold, Some(2.0));
    assert_eq!(a.def.period, Some(900));
    assert_eq!(a.def.evaluation_periods, 4);
    assert_eq!(
        a.def.alarm_actions,
        ["arn:aws:sns:us-east-1:123456789012:demo-prod-performance"]
    );
    assert!(cat.composites[1]
        .def
        .alarm_rule
        .contains("training-job-failures"));
}

#[test]
fn alarms_carry_the_seed_thresholds_and_route_to_their_topic() {
    let cat = build(&Config::default(), &inputs());
    let by = |k: &str| cat.alarms.iter().find(|a| a.key == k).unwrap();
    let ce = by("runtime-client-errors");
    assert_eq!(ce.def.threshold, Some(10.0));
    assert_eq!(ce.def.statistic.as_deref(), Some("Sum"));
    assert_eq!(ce.def.period, Some(300));
    assert_eq!(ce.def.treat_missing_data, "notBreaching");
    assert_eq!(
        ce.def.alarm_actions,
        vec!["arn:aws:sns:us-east-1:123456789012:demo-prod-critical"]
    );
    assert!(
        ce.def.ok_actions.is_empty(),
        "enable_ok_actions defaults to false"
    );
    let lat = by("runtime-p99-latency");
    assert_eq!(lat.def.extended_statistic.as_deref(), Some("p99"));
    assert_eq!(lat.def.statistic, None);
    assert_eq!(lat.def.threshold, Some(10_000.0));
    assert_eq!(lat.def.treat_missing_data, "missing");
    assert!(lat.def.alarm_actions[0].ends_with("-performance"));
    let agents = by("agents-p99-latency");
    assert_eq!(
        agents.def.metric.as_ref().unwrap().dimensions["Operation"],
        "InvokeAgent"
    );
    assert_eq!(agents.def.threshold, Some(15_000.0));
    assert!(by("tokens-input-anomaly").def.alarm_actions[0].ends_with("-cost"));
    assert_eq!(
        by("logging-s3-delivery-failures").def.comparison_operator,
        "GreaterThanOrEqualToThreshold"
    );
    assert_eq!(by("guardrails-intervened").def.threshold, Some(50.0));
}

#[test]
fn token_alarms_go_to_performance_without_cost_alerting() {
    let mut config = defaults();
    config.enable_cost_alerting = false;
    let cat = build(&config, &inputs());
    let t = cat
        .alarms
        .iter()
        .find(|a| a.key == "tokens-output-anomaly")
        .unwrap();
    assert_eq!(t.topic, Topic::Performance);
}

#[test]
fn alerting_off_means_no_actions_and_unknown_topics_are_placeholders() {
    let mut config = defaults();
    config.enable_alerting = false;
    let cat = build(&config, &MonitoringInputs::default());
    assert!(cat.alarms.iter().all(|a| a.def.alarm_actions.is_empty()));
    let cat = build(&Config::default(), &MonitoringInputs::default());
    assert_eq!(cat.alarms[0].def.alarm_actions, vec![UNKNOWN]);
}

#[test]
fn ok_actions_follow_the_switch() {
    let mut config = defaults();
    config.enable_ok_actions = true;
    let cat = build(&config, &inputs());
    assert_eq!(
        cat.alarms[0].def.ok_actions,
        cat.alarms[0].def.alarm_actions
    );
}

#[test]
fn anomaly_alarms_use_a_band_with_threshold_metric_id_and_one_detector_each() {
    let mut config = defaults();
    config.anomaly_threshold = 2.5;
    let cat = build(&config, &inputs());
    let a = cat
        .alarms
        .iter()
        .find(|a| a.key == "runtime-invocations-anomaly")
        .unwrap();
    assert_eq!(a.def.threshold_metric_id.as_deref(), Some("ad1"));
    assert_eq!(a.def.threshold, None);
    assert_eq!(
        a.def.metrics[1].expression.as_deref(),
        Some("ANOMALY_DETECTION_BAND(m1, 2.5)")
    );
    assert_eq!(a.def.comparison_operator, "GreaterThanUpperThreshold");
    assert_eq!(
        a.def.anomaly_detector().unwrap(),
        cat.detectors
            .iter()
            .find(|d| d.key == "runtime-invocations")
            .unwrap()
            .def
    );
    let keys: Vec<_> = cat.detectors.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(
        keys,
        vec!["runtime-invocations", "tokens-input", "tokens-output"]
    );
}

#[test]
fn composite_rules_name_exactly_the_enabled_alarms() {
    let mut config = defaults();
    config.enable_agents_monitoring = false;
    config.enable_s3_logging = false;
    let cat = build(&config, &inputs());
    let basic = &cat.composites[0].def;
    assert_eq!(
        basic.alarm_rule,
        "ALARM(\"demo-prod-runtime-client-errors\") OR ALARM(\"demo-prod-runtime-server-errors\") OR \
         ALARM(\"demo-prod-runtime-throttles\") OR ALARM(\"demo-prod-runtime-p99-latency\") OR \
         ALARM(\"demo-prod-logging-cloudwatch-delivery-failures\") OR \
         ALARM(\"demo-prod-logging-no-delivery\")"
    );
    let comprehensive = &cat.composites[1].def;
    let members: Vec<&str> = cat
        .alarms
        .iter()
        .filter(|a| {
            comprehensive
                .alarm_rule
                .contains(&format!("ALARM(\"{}\")", a.def.name))
        })
        .map(|a| a.key.as_str())
        .collect();
    assert_eq!(
        members,
        vec![
            "runtime-client-errors",
            "runtime-server-errors",
            "logging-cloudwatch-delivery-failures",
            "logging-no-delivery",
            "kb-client-errors",
            "kb-server-errors",
            "training-job-failures"
        ]
    );
    assert_eq!(
        comprehensive.alarm_rule.matches("ALARM(").count(),
        members.len()
    );
    // The critical composite never pages for anomaly bands or token usage.
    for a in &cat.alarms {
        if a.detector_key.is_some() || a.group == Group::Tokens {
            assert!(!members.contains(&a.key.as_str()), "{}", a.key);
        }
    }
    assert!(basic.alarm_actions[0].ends_with("-critical"));
    assert_eq!(basic.actions_suppressor, None);
}

#[test]
fn composites_follow_their_switches_and_the_maintenance_suppressor() {
    let mut config = defaults();
    config.enable_comprehensive_health_monitoring = false;
    config.maintenance_window_alarm_arn =
        Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:maint".into());
    config.maintenance_suppression_wait_period = 120;
    let cat = build(&config, &inputs());
    assert_eq!(cat.composites.len(), 1);
    let d = &cat.composites[0].def;
    assert_eq!(
        d.actions_suppressor.as_deref(),
        Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:maint")
    );
    assert_eq!(d.actions_suppressor_wait_period, Some(120));
    assert_eq!(d.actions_suppressor_extension_period, Some(300));
    config.enable_composite_alarms = false;
    assert!(build(&config, &inputs()).composites.is_empty());
}

#[test]
fn band_widths_print_like_cloudwatch() {
    assert_eq!(number(2.0), "2");
    assert_eq!(number(2.5), "2.5");
    assert_eq!(number(10_000.0), "10000");
}

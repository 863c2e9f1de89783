//! The module's plan and apply against the mock API.

use super::*;
use crate::api::{DescribedAlarms, MockMonitoringApi};
use crate::event_rule::RuleTarget;
use crate::tamper;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::event_rules;
use baseline_core::ids::TopicArn;
use baseline_core::progress::NoProgress;
use baseline_core::Action;
use baseline_core::Naming;
use mockall::Sequence;
use serde_json::json;

fn ctx() -> AwsContext {
    AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
}

fn inputs() -> MonitoringInputs {
    MonitoringInputs {
        log_group_name: None,
        flow_log_group_name: None,
        topic_arns: ["critical", "performance", "cost"]
            .into_iter()
            .map(|t| {
                (
                    t.to_owned(),
                    TopicArn(format!("arn:aws:sns:us-east-1:123456789012:demo-prod-{t}")),
                )
            })
            .collect(),
        guardrail_id: Some("gr1".into()),
        guardrail_version: Some("1".into()),
        kms_key_arn: Some("arn:aws:kms:us-east-1:123456789012:key/k1".into()),
        kms_key_id: Some("k1".into()),
        log_bucket_name: Some("demo-prod-logs".into()),
        endpoint_ids: [
            "bedrock",
            "bedrock-runtime",
            "bedrock-agent",
            "bedrock-agent-runtime",
        ]
        .into_iter()
        .map(|s| (s.to_owned(), format!("vpce-{s}")))
        .collect(),
    }
}

fn spec_with(
    m: &MonitoringModule<MockMonitoringApi>,
    change: impl FnOnce(&mut Config),
) -> MonitoringSpec {
    let mut config = Config::default();
    change(&mut config);
    m.spec(&config, &inputs()).unwrap()
}

/// What exists after a successful apply of `spec`.
fn converged(m: &MonitoringModule<MockMonitoringApi>, spec: &MonitoringSpec) -> MonitoringObserved {
    MonitoringObserved {
        log_analysis: LogAnalysisObserved {
            filters: spec.log_analysis.filters.iter().cloned().collect(),
            queries: spec
                .log_analysis
                .queries
                .iter()
                .map(|(k, q)| {
                    (
                        k.clone(),
                        crate::log_analysis::ObservedQuery {
                            id: format!("q-{k}"),
                            def: q.clone(),
                        },
                    )
                })
                .collect(),
        },
        metric_alarms: spec
            .alarms
            .iter()
            .map(|a| {
                (
                    a.def.name.clone(),
                    ObservedAlarm {
                        arn: m.alarm_arn(&a.def.name),
                        def: a.def.clone(),
                        tags: spec.tags.clone(),
                    },
                )
            })
            .collect(),
        composite_alarms: spec
            .composites
            .iter()
            .map(|c| {
                (
                    c.def.name.clone(),
                    ObservedAlarm {
                        arn: m.alarm_arn(&c.def.name),
                        def: c.def.clone(),
                        tags: spec.tags.clone(),
                    },
                )
            })
            .collect(),
        detectors: spec.detectors.iter().map(|d| d.def.clone()).collect(),
        dashboard: Some(spec.dashboard_body.clone()),
        rules: spec
            .rules
            .iter()
            .map(|(k, def)| {
                (
                    k.clone(),
                    ObservedRule {
                        arn: format!("arn:aws:events:us-east-1:123456789012:rule/{}", def.name),
                        def: def.clone(),
                        tags: spec.tags.clone(),
                    },
                )
            })
            .collect(),
    }
}

fn changed(changes: &[Change]) -> Vec<(&str, Action)> {
    changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| (c.address.as_str(), c.action))
        .collect()
}

fn denied(op: &'static str) -> ApiError {
    ApiError::synthetic(
        "cloudwatch",
        op,
        "x",
        ServiceErrorKind::AccessDenied,
        "AccessDenied: not allowed",
    )
}

#[test]
fn converged_stack_plans_no_changes() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let spec = spec_with(&m, |_| {});
    let observed = converged(&m, &spec);
    assert_eq!(changed(&m.diff(&spec, &observed)), vec![]);
    let out = m
        .planned_outputs(&spec, &observed)
        .expect("everything exists");
    assert_eq!(out.alarm_names["runtime"].len(), 5);
    assert_eq!(
        out.composite_alarm_names,
        vec!["demo-prod-basic-health", "demo-prod-comprehensive-health"]
    );
    assert_eq!(out.anomaly_detectors, 3);
    assert_eq!(
        out.training_rule_name.as_deref(),
        Some("demo-prod-training-job-failed")
    );
}

#[test]
fn empty_account_plans_every_resource_and_no_outputs() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let spec = spec_with(&m, |_| {});
    let (warnings, changes): (Vec<Change>, Vec<Change>) = m
        .diff(&spec, &MonitoringObserved::default())
        .into_iter()
        .partition(|c| c.resource_type == CONFIG_WARNING);
    assert!(changes.iter().all(|c| c.action == Action::Create));
    assert!(warnings.iter().all(|c| c.action == Action::NoOp));
    assert_eq!(
        changes.len(),
        spec.alarms.len()
            + spec.composites.len()
            + spec.detectors.len()
            + 1
            + spec.rules.len()
            + spec.log_analysis.filters.len()
            + spec.log_analysis.queries.len()
    );
    assert!(changes
        .iter()
        .any(|c| c.address == "monitoring.alarm[\"runtime-client-errors\"]"));
    assert!(changes
        .iter()
        .any(|c| c.address == "monitoring.anomaly_detector[\"runtime-invocations\"]"));
    assert!(changes
        .iter()
        .any(|c| c.address == "monitoring.composite_alarm[\"basic-health\"]"));
    assert!(changes
        .iter()
        .any(|c| c.address == "monitoring.event_rule[\"training-job-failed\"]"));
    assert!(m
        .planned_outputs(&spec, &MonitoringObserved::default())
        .is_none());
}

#[test]
fn one_threshold_change_updates_exactly_one_alarm() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let before = spec_with(&m, |_| {});
    let after = spec_with(&m, |c| c.throttle_threshold = 40.0);
    let changes = m.diff(&after, &converged(&m, &before));
    assert_eq!(
        changed(&changes),
        vec![("monitoring.alarm[\"runtime-throttles\"]", Action::Update)]
    );
    let c = changes.iter().find(|c| c.is_change()).unwrap();
    let t = c.attributes.iter().find(|a| a.name == "threshold").unwrap();
    assert_eq!(
        (t.before.clone(), t.after.clone()),
        (Some(json!(20.0)), Some(json!(40.0)))
    );
}

#[test]
fn drifted_tags_show_on_the_alarm() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let spec = spec_with(&m, |_| {});
    let mut observed = converged(&m, &spec);
    observed
        .metric_alarms
        .get_mut("demo-prod-runtime-throttles")
        .unwrap()
        .tags
        .remove("baseline:stack");
    let changes = m.diff(&spec, &observed);
    assert_eq!(
        changed(&changes),
        vec![("monitoring.alarm[\"runtime-throttles\"]", Action::Update)]
    );
}

#[test]
fn disabling_a_group_deletes_its_alarms_and_rewrites_the_comprehensive_rule() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let before = spec_with(&m, |_| {});
    let after = spec_with(&m, |c| c.enable_agents_monitoring = false);
    let changes = m.diff(&after, &converged(&m, &before));
    let mut got = changed(&changes);
    got.sort_by_key(|(a, _)| *a);
    assert_eq!(
        got,
        vec![
            ("monitoring.alarm[\"agents-client-errors\"]", Action::Delete),
            (
                "monitoring.alarm[\"agents-inline-client-errors\"]",
                Action::Delete,
            ),
            (
                "monitoring.alarm[\"agents-inline-p99-latency\"]",
                Action::Delete,
            ),
            (
                "monitoring.alarm[\"agents-inline-server-errors\"]",
                Action::Delete,
            ),
            (
                "monitoring.alarm[\"agents-inline-throttles\"]",
                Action::Delete
            ),
            ("monitoring.alarm[\"agents-p99-latency\"]", Action::Delete),
            ("monitoring.alarm[\"agents-server-errors\"]", Action::Delete),
            ("monitoring.alarm[\"agents-throttles\"]", Action::Delete),
            (
                "monitoring.composite_alarm[\"comprehensive-health\"]",
                Action::Update
            ),
            ("monitoring.dashboard", Action::Update),
        ]
    );
}

#[tokio::test]
async fn apply_on_a_converged_stack_makes_no_call() {
    // A mock without expectations panics on any call.
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let spec = spec_with(&m, |_| {});
    let out = m
        .apply(&spec, &converged(&m, &spec), &NoProgress)
        .await
        .unwrap();
    assert_eq!(out.dashboard_name.as_deref(), Some("demo-prod-bedrock"));
}

#[tokio::test]
async fn a_threshold_change_rewrites_one_alarm_without_tags() {
    let mut api = MockMonitoringApi::new();
    api.expect_put_metric_alarm()
        .times(1)
        .withf(|def, tags| {
            def.name == "demo-prod-runtime-p99-latency"
                && def.threshold == Some(2_000.0)
                && tags.is_empty()
        })
        .returning(|_, _| Ok(()));
    let m = MonitoringModule::with_api(api, &ctx());
    let before = spec_with(&m, |_| {});
    let after = spec_with(&m, |c| c.latency_threshold_ms = 2_000.0);
    m.apply(&after, &converged(&m, &before), &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn composites_are_rewritten_before_the_alarms_they_stop_naming_are_deleted() {
    let mut api = MockMonitoringApi::new();
    let mut seq = Sequence::new();
    api.expect_put_composite_alarm()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|def, _| {
            def.name == "demo-prod-comprehensive-health" && !def.alarm_rule.contains("agents")
        })
        .returning(|_, _| Ok(()));
    api.expect_delete_alarms()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|names| names.len() == 8 && names.iter().all(|n| n.starts_with("demo-prod-agents-")))
        .returning(|_| Ok(()));
    api.expect_put_dashboard().times(1).returning(|_, _| Ok(()));
    let m = MonitoringModule::with_api(api, &ctx());
    let before = spec_with(&m, |_| {});
    let after = spec_with(&m, |c| c.enable_agents_monitoring = false);
    m.apply(&after, &converged(&m, &before), &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_detector_is_deleted_only_when_no_other_stack_uses_it() {
    let m0 = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let before = spec_with(&m0, |_| {});
    let after = spec_with(&m0, |c| c.enable_token_monitoring = false);
    let observed = converged(&m0, &before);
    let detector = |key: &str| {
        before
            .detectors
            .iter()
            .find(|d| d.key == key)
            .unwrap()
            .def
            .clone()
    };
    let (input, output) = (detector("tokens-input"), detector("tokens-output"));

    let mut api = MockMonitoringApi::new();
    api.expect_put_composite_alarm().returning(|_, _| Ok(()));
    api.expect_delete_alarms().returning(|_| Ok(()));
    api.expect_put_dashboard().returning(|_, _| Ok(()));
    api.expect_describe_alarms()
        .returning(|_| Ok(DescribedAlarms::default()));
    let expected = [input.clone(), output.clone()];
    api.expect_delete_anomaly_detector()
        .times(2)
        .withf(move |d| expected.contains(d))
        .returning(|_| Ok(()));
    MonitoringModule::with_api(api, &ctx())
        .apply(&after, &observed, &NoProgress)
        .await
        .unwrap();

    // Another stack's alarm on the same band: the detector stays.
    let mut api = MockMonitoringApi::new();
    api.expect_put_composite_alarm().returning(|_, _| Ok(()));
    api.expect_delete_alarms().returning(|_| Ok(()));
    api.expect_put_dashboard().returning(|_, _| Ok(()));
    let mut foreign = before
        .alarms
        .iter()
        .find(|a| a.key == "tokens-input-anomaly")
        .unwrap()
        .def
        .clone();
    foreign.name = "other-stack-tokens-input-anomaly".into();
    api.expect_describe_alarms().returning(move |_| {
        Ok(DescribedAlarms {
            metric: vec![crate::api::ObservedMetricAlarm {
                arn: "a".into(),
                def: foreign.clone(),
            }],
            composite: vec![],
        })
    });
    api.expect_delete_anomaly_detector()
        .times(1)
        .withf(move |d| *d == output)
        .returning(|_| Ok(()));
    MonitoringModule::with_api(api, &ctx())
        .apply(&after, &observed, &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn access_denied_on_put_metric_alarm_is_reported_with_its_operation() {
    let mut api = MockMonitoringApi::new();
    api.expect_put_anomaly_detector().returning(|_| Ok(()));
    api.expect_put_metric_alarm()
        .returning(|_, _| Err(denied("PutMetricAlarm")));
    let m = MonitoringModule::with_api(api, &ctx());
    let spec = spec_with(&m, |_| {});
    let err = m
        .apply(&spec, &MonitoringObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(&err, MonitoringError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
    assert!(
        err.to_string().contains("cloudwatch:PutMetricAlarm"),
        "{err}"
    );
}

#[tokio::test]
async fn throttling_on_a_detector_stops_before_any_alarm_is_written() {
    let mut api = MockMonitoringApi::new();
    api.expect_put_anomaly_detector().times(1).returning(|_| {
        Err(ApiError::synthetic(
            "cloudwatch",
            "PutAnomalyDetector",
            "x",
            ServiceErrorKind::Throttled,
            "Throttling: rate exceeded",
        ))
    });
    api.expect_put_metric_alarm().times(0);
    let m = MonitoringModule::with_api(api, &ctx());
    let spec = spec_with(&m, |_| {});
    let err = m
        .apply(&spec, &MonitoringObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(&err, MonitoringError::Api(e) if e.kind == ServiceErrorKind::Throttled));
}

#[tokio::test]
async fn alarms_deleted_between_observe_and_apply_are_not_an_error() {
    let mut api = MockMonitoringApi::new();
    api.expect_put_composite_alarm().returning(|_, _| Ok(()));
    api.expect_put_dashboard().returning(|_, _| Ok(()));
    api.expect_delete_alarms().returning(|_| {
        Err(ApiError::synthetic(
            "cloudwatch",
            "DeleteAlarms",
            "x",
            ServiceErrorKind::NotFound,
            "ResourceNotFound: gone",
        ))
    });
    let m = MonitoringModule::with_api(api, &ctx());
    let before = spec_with(&m, |_| {});
    let after = spec_with(&m, |c| c.enable_knowledge_base_monitoring = false);
    m.apply(&after, &converged(&m, &before), &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_alarm_deleted_before_its_tags_are_fixed_fails_with_not_found() {
    let mut api = MockMonitoringApi::new();
    api.expect_tag_alarm().returning(|arn, _| {
        Err(ApiError::synthetic(
            "cloudwatch",
            "TagResource",
            arn,
            ServiceErrorKind::NotFound,
            "ResourceNotFound: gone",
        ))
    });
    let m = MonitoringModule::with_api(api, &ctx());
    let spec = spec_with(&m, |_| {});
    let mut observed = converged(&m, &spec);
    observed
        .metric_alarms
        .get_mut("demo-prod-runtime-throttles")
        .unwrap()
        .tags
        .remove("baseline:stack");
    let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(matches!(&err, MonitoringError::Api(e) if e.is_not_found()));
}

#[tokio::test]
async fn apply_refuses_values_known_only_after_apply() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let spec = m
        .spec(&Config::default(), &MonitoringInputs::default())
        .unwrap();
    let err = m
        .apply(&spec, &MonitoringObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(err, MonitoringError::UnknownInput { .. }));
}

#[tokio::test]
async fn destroy_removes_composites_before_alarms_and_targets_before_the_rule() {
    let mut api = MockMonitoringApi::new();
    let mut seq = Sequence::new();
    // One composite per DeleteAlarms: "no more than one composite alarm" (CloudWatch API).
    api.expect_delete_alarms()
        .times(2)
        .in_sequence(&mut seq)
        .withf(|n| n.len() == 1 && n[0].ends_with("-health"))
        .returning(|_| Ok(()));
    api.expect_delete_alarms()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|n| n.len() == 37)
        .returning(|_| Ok(()));
    api.expect_describe_alarms()
        .returning(|_| Ok(DescribedAlarms::default()));
    api.expect_delete_anomaly_detector()
        .times(3)
        .returning(|_| Ok(()));
    api.expect_delete_dashboard().times(1).returning(|_| Ok(()));
    let mut rule_seq = Sequence::new();
    api.expect_remove_targets()
        .times(1)
        .in_sequence(&mut rule_seq)
        .withf(|_, ids| ids == [crate::training::TARGET_ID.to_owned()])
        .returning(|_, _| Ok(()));
    api.expect_delete_rule()
        .times(1)
        .in_sequence(&mut rule_seq)
        .withf(|n| n.ends_with("training-job-failed"))
        .returning(|_| Ok(()));
    api.expect_remove_targets()
        .times(7)
        .withf(|_, ids| ids == [crate::tamper::TOPIC_TARGET_ID.to_owned()])
        .returning(|_, _| Ok(()));
    api.expect_delete_rule()
        .times(7)
        .withf(|n| !n.ends_with("training-job-failed"))
        .returning(|_| Ok(()));
    // Every filter and saved query of the stack goes too (the log group stays: logging's).
    api.expect_delete_metric_filter()
        .times(4)
        .withf(|group, name| {
            group == "/aws/bedrock/demo-prod/invocations" && name.starts_with("demo-prod-")
        })
        .returning(|_, _| Ok(()));
    api.expect_delete_query_definition()
        .times(3)
        .withf(|id| id.starts_with("q-"))
        .returning(|_| Ok(()));
    let m = MonitoringModule::with_api(api, &ctx());
    let spec = spec_with(&m, |_| {});
    let observed = converged(&m, &spec);
    let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
    assert!(plan.iter().all(|c| c.action == Action::Delete));
    assert_eq!(plan.len(), 2 + 37 + 3 + 1 + 8 + 4 + 3);
    m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .unwrap();
}

#[test]
fn plan_shows_each_alarms_topic_and_the_ignored_keys() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let spec = spec_with(&m, |c| c.kb_latency_threshold_ms = 2_000.0);
    let changes = m.diff(&spec, &MonitoringObserved::default());
    let note = |address: &str| {
        changes
            .iter()
            .find(|c| c.address == address)
            .and_then(|c| c.note.clone())
            .unwrap_or_else(|| panic!("{address} has no note"))
    };
    assert_eq!(
        note("monitoring.alarm[\"runtime-client-errors\"]"),
        "notifies the critical topic, in comprehensive-health"
    );
    assert_eq!(
        note("monitoring.alarm[\"tokens-input-anomaly\"]"),
        "notifies the cost topic"
    );
    assert_eq!(
        note("monitoring.alarm[\"runtime-invocations-anomaly\"]"),
        "notifies the performance topic"
    );
    assert_eq!(
        note("monitoring.alarm[\"training-job-failures\"]"),
        "notifies the performance topic, in comprehensive-health"
    );
    assert!(
        note("monitoring.config_warning[\"kb_latency_threshold_ms\"]")
            .contains("no latency metric")
    );
    assert!(
        note("monitoring.config_warning[\"enable_api_call_monitoring\"]").contains("AWS/Usage")
    );
    // Converged: no note on the unchanged alarms, so `plan` does not list them as kept.
    let observed = converged(&m, &spec);
    assert!(m
        .diff(&spec, &observed)
        .iter()
        .filter(|c| c.resource_type == <MetricAlarmDef as AlarmDef>::KIND)
        .all(|c| c.note.is_none()));
}

#[test]
fn rule_targets_follow_the_critical_topic() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let spec = spec_with(&m, |_| {});
    let rule = &spec.rules.iter().find(|(k, _)| k == RULE_KEY).unwrap().1;
    assert_eq!(
        rule.targets,
        vec![RuleTarget {
            id: "critical-topic".into(),
            arn: "arn:aws:sns:us-east-1:123456789012:demo-prod-critical".into()
        }]
    );
    let off = spec_with(&m, |c| c.enable_training_monitoring = false);
    assert!(!off.rules.iter().any(|(k, _)| k == RULE_KEY));
    // Tamper rules: one per watched resource kind, each to its topic; none without alerting.
    let keys: Vec<&str> = spec.rules.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys[1..], *tamper::KEYS);
    let no_alerting = spec_with(&m, |c| c.enable_alerting = false);
    assert_eq!(
        no_alerting
            .rules
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        vec![RULE_KEY]
    );
}

/// The topic and key policies admit exactly the rules `event_rules` lists; the spec must
/// create exactly those (with a topic target) for every switch that changes the list.
#[test]
fn the_publishing_rules_are_the_ones_the_policies_admit() {
    let m = MonitoringModule::with_api(MockMonitoringApi::new(), &ctx());
    let switches: [fn(&mut Config); 6] = [
        |_| {},
        |c| c.enable_alerting = false,
        |c| c.enable_model_invocation_logging = false,
        |c| c.enable_s3_logging = false,
        |c| c.enable_guardrails = false,
        |c| c.enable_training_monitoring = false,
    ];
    for (i, set) in switches.into_iter().enumerate() {
        let mut config = Config::default();
        set(&mut config);
        let spec = spec_with(&m, set);
        let naming = Naming::new("demo-prod", BTreeMap::default());
        let created: Vec<(String, String)> = spec
            .rules
            .iter()
            .flat_map(|(_, r)| r.targets.iter().map(|t| (r.name.clone(), t.arn.clone())))
            .collect();
        let admitted: Vec<(String, String)> = event_rules::publishing_rules(&config)
            .iter()
            .map(|r| {
                (
                    event_rules::rule_name(&naming, r.key),
                    format!("arn:aws:sns:us-east-1:123456789012:demo-prod-{}", r.topic),
                )
            })
            .collect();
        assert_eq!(created, admitted, "switch set {i}");
    }
}

//! Unit tests of the alerting module over a mocked SNS.

use super::*;
use crate::api::PENDING_CONFIRMATION;
use baseline_core::{Action, ProgressEvent};
use serde_json::json;

const TOPIC: &str = "sns_topic";
const SUBSCRIPTION: &str = "sns_subscription";
use crate::api::{MockSnsApi, SubscriptionInfo};
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::config::{Subscription, SubscriptionProtocol};
use baseline_core::progress::{NoProgress, RecordedProgress};
use baseline_core::Naming;

const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";

fn ctx() -> AwsContext {
    AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
}

fn config() -> Config {
    let mut c = Config {
        environment: "prod".into(),
        project: "demo".into(),
        ..Config::default()
    };
    c.critical_alert_subscriptions.insert(
        "ops-team-email".into(),
        Subscription {
            protocol: SubscriptionProtocol::Email,
            endpoint: "ops-team@company.com".into(),
        },
    );
    c
}

fn inputs() -> AlertingInputs {
    AlertingInputs {
        kms_key_arn: Some(KmsKeyArn(KEY_ARN.into())),
    }
}

fn spec_of<A: SnsApi>(
    m: &AlertingModule<A>,
    config: &Config,
    inputs: &AlertingInputs,
) -> AlertingSpec {
    m.spec(config, inputs).unwrap()
}

/// What apply would leave behind for `spec`, every e-mail confirmed.
fn converged(spec: &AlertingSpec) -> AlertingObserved {
    let topics = spec
        .topics
        .iter()
        .map(|t| {
            let subscriptions = t
                .subscriptions
                .iter()
                .map(|(n, s)| SubscriptionInfo {
                    arn: format!("{}:{n}", t.arn),
                    protocol: s.protocol.as_str().into(),
                    endpoint: s.endpoint.clone(),
                })
                .collect();
            let o = ObservedTopic {
                arn: t.arn.clone(),
                kms_master_key_id: t.wanted_key().map(str::to_owned),
                policy: Some(t.policy.clone()),
                tags: t.tags.clone(),
                subscriptions,
            };
            (t.key.clone(), o)
        })
        .collect();
    AlertingObserved { topics }
}

fn actions(changes: &[Change]) -> Vec<(String, Action)> {
    changes
        .iter()
        .map(|c| (c.address.clone(), c.action))
        .collect()
}

#[test]
fn spec_names_three_topics_from_the_prefix() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let names: Vec<_> = spec.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "demo-prod-critical",
            "demo-prod-performance",
            "demo-prod-cost"
        ]
    );
    assert_eq!(
        spec.topics[0].arn,
        "arn:aws:sns:us-east-1:123456789012:demo-prod-critical"
    );
    assert_eq!(
        spec.topics[0].encryption,
        TopicEncryption::Key(Some(KmsKeyArn(KEY_ARN.into())))
    );
    assert_eq!(spec.topics[0].tags["baseline:module"], "alerting");
    assert_eq!(spec.topics[0].subscriptions.len(), 1);
    assert!(spec.topics[1].subscriptions.is_empty());
}

#[test]
fn inputs_come_from_the_encryption_outputs_by_field_name() {
    let upstream = Upstream(BTreeMap::from([(
        "encryption".to_owned(),
        json!({"kms_key_arn": KEY_ARN, "kms_key_id": "k-1", "kms_alias": "alias/x"}),
    )]));
    assert_eq!(AlertingInputs::from_upstream(&upstream).unwrap(), inputs());
    assert_eq!(
        AlertingInputs::from_upstream(&Upstream::default()).unwrap(),
        AlertingInputs::default()
    );
}

#[test]
fn empty_account_plans_topics_policies_and_subscriptions() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let changes = m.diff(&spec, &AlertingObserved::default());
    assert_eq!(
        actions(&changes),
        vec![
            (r#"alerting.topic["critical"]"#.into(), Action::Create),
            (
                r#"alerting.topic_policy["critical"]"#.into(),
                Action::Create
            ),
            (
                r#"alerting.subscription["critical/ops-team-email"]"#.into(),
                Action::Create
            ),
            (r#"alerting.topic["performance"]"#.into(), Action::Create),
            (
                r#"alerting.topic_policy["performance"]"#.into(),
                Action::Create
            ),
            (r#"alerting.topic["cost"]"#.into(), Action::Create),
            (r#"alerting.topic_policy["cost"]"#.into(), Action::Create),
        ]
    );
    assert!(m
        .planned_outputs(&spec, &AlertingObserved::default())
        .is_none());
}

#[test]
fn unknown_key_is_shown_as_known_after_apply() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &AlertingInputs::default());
    let changes = m.diff(&spec, &AlertingObserved::default());
    let key = changes[0]
        .attributes
        .iter()
        .find(|a| a.name == "kms_master_key_id")
        .unwrap();
    assert_eq!(key.after, Some(json!("(known after apply)")));
}

#[test]
fn converged_stack_is_all_no_ops_even_with_a_reordered_policy() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let mut observed = converged(&spec);
    for o in observed.topics.values_mut() {
        let text = o.policy.as_ref().unwrap().to_json();
        let mut reparsed = PolicyDocument::parse(&text).unwrap();
        reparsed.statement.reverse();
        reparsed
            .statement
            .iter_mut()
            .for_each(|s| s.action.iter_mut().for_each(|a| a.0.reverse()));
        o.policy = Some(reparsed);
    }
    assert!(m.diff(&spec, &observed).iter().all(|c| !c.is_change()));
    assert_eq!(
        m.planned_outputs(&spec, &observed)
            .unwrap()
            .topic_arns
            .len(),
        3
    );
}

#[tokio::test]
async fn cost_alerting_off_deletes_the_cost_topic_and_keeps_the_others() {
    let mut c = config();
    c.enable_cost_alerting = false;
    let existing = converged(&spec_of(
        &AlertingModule::with_api(MockSnsApi::new(), &ctx()),
        &config(),
        &inputs(),
    ));
    let mut api = MockSnsApi::new();
    api.expect_delete_topic()
        .times(1)
        .withf(|arn| arn.ends_with("-cost"))
        .returning(|_| Ok(()));
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &c, &inputs());
    let changes: Vec<_> = m
        .diff(&spec, &existing)
        .into_iter()
        .filter(|c| c.is_change())
        .collect();
    assert!(!changes.is_empty());
    assert!(changes
        .iter()
        .all(|c| c.action == Action::Delete && c.address.contains("cost")));
    let out = m.apply(&spec, &existing, &NoProgress).await.unwrap();
    assert_eq!(
        out.topic_arns.keys().collect::<Vec<_>>(),
        vec!["critical", "performance"]
    );
}

#[test]
fn a_changed_policy_statement_is_drift() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let mut observed = converged(&spec);
    let policy = observed
        .topics
        .get_mut("critical")
        .unwrap()
        .policy
        .as_mut()
        .unwrap();
    policy
        .statement
        .retain(|s| s.sid.as_deref() != Some("DenyInsecureTransport"));
    let changed: Vec<_> = m
        .diff(&spec, &observed)
        .into_iter()
        .filter(Change::is_change)
        .collect();
    assert_eq!(
        actions(&changed),
        vec![(
            r#"alerting.topic_policy["critical"]"#.into(),
            Action::Update
        )]
    );
}

#[test]
fn encryption_removed_by_hand_is_drift_on_that_attribute() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let mut observed = converged(&spec);
    observed.topics.get_mut("cost").unwrap().kms_master_key_id = None;
    let changed: Vec<_> = m
        .diff(&spec, &observed)
        .into_iter()
        .filter(Change::is_change)
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].address, r#"alerting.topic["cost"]"#);
    assert_eq!(changed[0].attributes[0].name, "kms_master_key_id");
}

#[test]
fn encryption_off_is_noted_on_every_topic() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let config = Config {
        enable_sns_encryption: false,
        ..config()
    };
    let spec = spec_of(&m, &config, &inputs());
    let changes = m.diff(&spec, &converged(&spec));
    let topics: Vec<_> = changes
        .iter()
        .filter(|c| c.resource_type == TOPIC)
        .collect();
    assert_eq!(topics.len(), 3);
    assert!(topics
        .iter()
        .all(|c| !c.is_change() && c.note.as_deref().is_some_and(|n| n.contains("default"))));
}

#[test]
fn subscription_added_removed_and_pending_in_one_plan() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let mut config = config();
    config.critical_alert_subscriptions.insert(
        "pager".into(),
        Subscription {
            protocol: SubscriptionProtocol::Https,
            endpoint: "https://pager.example.com/hook".into(),
        },
    );
    let spec = spec_of(&m, &config, &inputs());
    let mut observed = converged(&spec);
    let critical = observed.topics.get_mut("critical").unwrap();
    critical.subscriptions = vec![
        SubscriptionInfo {
            arn: PENDING_CONFIRMATION.into(),
            protocol: "email".into(),
            endpoint: "ops-team@company.com".into(),
        },
        SubscriptionInfo {
            arn: "arn:s:hand".into(),
            protocol: "sms".into(),
            endpoint: "+15550001111".into(),
        },
    ];
    let subs: Vec<_> = m
        .diff(&spec, &observed)
        .into_iter()
        .filter(|c| c.resource_type == SUBSCRIPTION)
        .collect();
    assert_eq!(
        actions(&subs),
        vec![
            (
                r#"alerting.subscription["critical/ops-team-email"]"#.into(),
                Action::NoOp
            ),
            (
                r#"alerting.subscription["critical/pager"]"#.into(),
                Action::Create
            ),
            (
                r#"alerting.subscription["critical/sms:+15550001111"]"#.into(),
                Action::Delete
            ),
        ]
    );
    assert!(subs[0]
        .note
        .as_deref()
        .unwrap()
        .contains("pending confirmation"));
}

#[test]
fn disabled_alerting_plans_deletion_of_what_exists() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let enabled = spec_of(&m, &config(), &inputs());
    let observed = converged(&enabled);
    let disabled = spec_of(
        &m,
        &Config {
            enable_alerting: false,
            ..config()
        },
        &inputs(),
    );
    let changes = m.diff(&disabled, &observed);
    assert!(
        changes.iter().all(|c| c.action == Action::Delete),
        "{changes:#?}"
    );
    assert_eq!(
        changes.iter().filter(|c| c.resource_type == TOPIC).count(),
        3
    );
    assert_eq!(
        changes
            .iter()
            .filter(|c| c.resource_type == SUBSCRIPTION)
            .count(),
        1
    );
    assert_eq!(
        m.planned_outputs(&disabled, &observed),
        Some(AlertingOutputs::default())
    );
    assert!(m.diff(&disabled, &AlertingObserved::default()).is_empty());
}

#[tokio::test]
async fn create_path_makes_topic_policy_and_subscription_with_the_key() {
    let mut api = MockSnsApi::new();
    api.expect_create_topic()
        .times(3)
        .withf(|_, attrs, tags| {
            attrs.get("KmsMasterKeyId").map(String::as_str) == Some(KEY_ARN)
                && tags.contains_key(STACK_TAG)
        })
        .returning(|name, _, _| Ok(format!("arn:aws:sns:us-east-1:123456789012:{name}")));
    api.expect_set_topic_attribute()
        .times(3)
        .withf(|_, name, value| name == "Policy" && PolicyDocument::parse(value).is_ok())
        .returning(|_, _, _| Ok(()));
    api.expect_subscribe()
        .times(1)
        .withf(|arn, p, e| {
            arn.ends_with("demo-prod-critical") && p == "email" && e == "ops-team@company.com"
        })
        .returning(
            |_, _, _| Ok("arn:aws:sns:us-east-1:123456789012:demo-prod-critical:s-1".into()),
        );
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let out = m
        .apply(&spec, &AlertingObserved::default(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        out.topic_arns.keys().collect::<Vec<_>>(),
        vec!["cost", "critical", "performance"]
    );
}

#[tokio::test]
async fn converged_stack_applies_without_any_call() {
    // A mock with no expectations fails on any call.
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let out = m
        .apply(&spec, &converged(&spec), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        out.topic_arns["critical"].as_str(),
        "arn:aws:sns:us-east-1:123456789012:demo-prod-critical"
    );
}

#[tokio::test]
async fn pending_subscription_is_not_subscribed_again() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let mut observed = converged(&spec);
    observed.topics.get_mut("critical").unwrap().subscriptions[0].arn = PENDING_CONFIRMATION.into();
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

#[tokio::test]
async fn missing_key_fails_before_any_write() {
    let m = AlertingModule::with_api(MockSnsApi::new(), &ctx());
    let spec = spec_of(&m, &config(), &AlertingInputs::default());
    let err = m
        .apply(&spec, &AlertingObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(err, AlertingError::MissingKmsKey { .. }), "{err}");
}

#[tokio::test]
async fn access_denied_on_create_is_reported_with_its_operation() {
    let mut api = MockSnsApi::new();
    api.expect_create_topic().returning(|name, _, _| {
        Err(ApiError::synthetic(
            "sns",
            "CreateTopic",
            name,
            ServiceErrorKind::AccessDenied,
            "AuthorizationError: not allowed",
        ))
    });
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let err = m
        .apply(&spec, &AlertingObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(&err, AlertingError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
    assert!(err.to_string().contains("sns:CreateTopic"), "{err}");
}

#[tokio::test]
async fn throttled_policy_write_keeps_the_new_topic_recorded() {
    let mut api = MockSnsApi::new();
    api.expect_create_topic()
        .returning(|name, _, _| Ok(format!("arn:aws:sns:us-east-1:123456789012:{name}")));
    api.expect_set_topic_attribute().returning(|arn, _, _| {
        Err(ApiError::synthetic(
            "sns",
            "SetTopicAttributes",
            arn,
            ServiceErrorKind::Throttled,
            "Throttling: rate exceeded",
        ))
    });
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let progress = RecordedProgress::default();
    let err = m
        .apply(&spec, &AlertingObserved::default(), &progress)
        .await
        .unwrap_err();
    assert!(matches!(&err, AlertingError::Api(e) if e.kind == ServiceErrorKind::Throttled));
    let events = progress.0.lock().unwrap();
    assert!(
        events.iter().any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == r#"alerting.topic["critical"]"#)),
        "the new topic is reported before the failure"
    );
}

#[tokio::test]
async fn topic_deleted_between_observe_and_apply_fails_with_not_found() {
    let mut api = MockSnsApi::new();
    api.expect_set_topic_attribute().returning(|arn, _, _| {
        Err(ApiError::synthetic(
            "sns",
            "SetTopicAttributes",
            arn,
            ServiceErrorKind::NotFound,
            "NotFound: Topic does not exist",
        ))
    });
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let mut observed = converged(&spec);
    observed
        .topics
        .get_mut("performance")
        .unwrap()
        .kms_master_key_id = None;
    let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(matches!(&err, AlertingError::Api(e) if e.is_not_found()));
}

#[tokio::test]
async fn subscription_already_gone_is_not_an_error() {
    let mut api = MockSnsApi::new();
    api.expect_unsubscribe().times(1).returning(|arn| {
        Err(ApiError::synthetic(
            "sns",
            "Unsubscribe",
            arn,
            ServiceErrorKind::NotFound,
            "NotFound: gone",
        ))
    });
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let mut observed = converged(&spec);
    observed
        .topics
        .get_mut("cost")
        .unwrap()
        .subscriptions
        .push(SubscriptionInfo {
            arn: "arn:s:hand".into(),
            protocol: "sms".into(),
            endpoint: "+15550001111".into(),
        });
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

#[tokio::test]
async fn foreign_topic_of_the_same_name_is_refused() {
    let mut api = MockSnsApi::new();
    api.expect_topic_attributes()
        .returning(|_| Ok(Some(BTreeMap::new())));
    api.expect_topic_tags().returning(|_| {
        Ok(BTreeMap::from([(
            STACK_TAG.to_owned(),
            "someone-else".to_owned(),
        )]))
    });
    // Read in the same round as the tags; the answer does not matter, the owner tag refuses.
    api.expect_subscriptions().returning(|_| Ok(Vec::new()));
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    assert!(matches!(
        m.observe(&spec).await,
        Err(AlertingError::ForeignTopic { .. })
    ));
}

#[tokio::test]
async fn destroy_unsubscribes_confirmed_then_deletes_topics() {
    let mut api = MockSnsApi::new();
    api.expect_unsubscribe().times(1).returning(|_| Ok(()));
    api.expect_delete_topic().times(3).returning(|_| Ok(()));
    let m = AlertingModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config(), &inputs());
    let mut observed = converged(&spec);
    observed
        .topics
        .get_mut("performance")
        .unwrap()
        .subscriptions
        .push(SubscriptionInfo {
            arn: PENDING_CONFIRMATION.into(),
            protocol: "email".into(),
            endpoint: "p@company.com".into(),
        });
    let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
    assert_eq!(
        plan.iter().filter(|c| c.action == Action::Delete).count(),
        3 * 2 + 2
    );
    m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .unwrap();
}

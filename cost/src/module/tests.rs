//! The module's spec, plan and apply over a mocked API: what each config plans, and which
//! calls apply and destroy make.

use super::*;
use crate::anomaly::{MONITOR, SUBSCRIPTION};
use crate::api::{MockCostApi, Notification, Subscriber};
use crate::budget::BUDGET;
use crate::test_config as config;
use baseline_core::config::AnomalyFrequency;
use baseline_core::{Action, Naming};
use std::collections::BTreeSet;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:demo-prod-cost";

fn ctx() -> AwsContext {
    AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
}

fn inputs() -> CostInputs {
    CostInputs {
        topic_arns: Some(BTreeMap::from([("cost".into(), TopicArn::from(TOPIC))])),
    }
}

fn module() -> CostModule<MockCostApi> {
    CostModule::with_api(MockCostApi::new(), &ctx())
}

/// What exists after a converged apply of `spec`.
fn converged(spec: &CostSpec) -> CostObserved {
    CostObserved {
        budget: spec.budget.clone(),
        notifications: spec
            .notifications
            .iter()
            .map(|w| w.notification.clone())
            .collect(),
        monitor: spec.anomaly.as_ref().map(|a| AnomalyMonitor {
            arn: "arn:aws:ce::123456789012:anomalymonitor/m".into(),
            ..a.monitor.clone()
        }),
        subscription: spec
            .anomaly
            .as_ref()
            .and_then(|a| a.subscription.clone())
            .map(|s| AnomalySubscription {
                arn: "arn:aws:ce::123456789012:anomalysubscription/s".into(),
                monitor_arns: vec!["arn:aws:ce::123456789012:anomalymonitor/m".into()],
                ..s
            }),
    }
}

#[test]
fn names_carry_the_stack_and_the_plan_says_account_wide() {
    let m = module();
    let spec = m.spec(&config(), &inputs()).unwrap();
    assert_eq!(spec.budget_name, "demo-prod-bedrock-monthly-cost");
    let changes = m.diff(&spec, &CostObserved::default());
    let budget = changes.iter().find(|c| c.address == BUDGET).unwrap();
    assert_eq!(budget.action, Action::Create);
    assert!(budget.note.as_deref().unwrap().contains("account-wide"));
    let monitor = changes.iter().find(|c| c.address == MONITOR).unwrap();
    assert!(monitor.note.as_deref().unwrap().contains("account-wide"));
}

#[test]
fn converged_stack_plans_no_change() {
    let m = module();
    let spec = m.spec(&config(), &inputs()).unwrap();
    let changes = m.diff(&spec, &converged(&spec));
    assert!(changes.iter().all(|c| !c.is_change()), "{changes:#?}");
}

#[test]
fn enable_budget_monitoring_false_deletes_the_budget() {
    let m = module();
    let on = m.spec(&config(), &inputs()).unwrap();
    let off = m
        .spec(
            &Config {
                enable_budget_monitoring: false,
                ..config()
            },
            &inputs(),
        )
        .unwrap();
    let changes = m.diff(&off, &converged(&on));
    let deletes: Vec<&str> = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.as_str())
        .collect();
    assert_eq!(deletes, vec![BUDGET]);
}

#[test]
fn enable_budget_anomaly_detection_false_deletes_monitor_and_subscription() {
    let m = module();
    let on = m.spec(&config(), &inputs()).unwrap();
    let off = m
        .spec(
            &Config {
                enable_budget_anomaly_detection: false,
                ..config()
            },
            &inputs(),
        )
        .unwrap();
    assert!(off.anomaly.is_none());
    let deletes: Vec<String> = m
        .diff(&off, &converged(&on))
        .into_iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address)
        .collect();
    assert_eq!(deletes, vec![SUBSCRIPTION, MONITOR]);
}

#[test]
fn budget_anomaly_threshold_frequency_and_emails_drive_the_subscription() {
    let m = module();
    let spec = m
        .spec(
            &Config {
                budget_anomaly_threshold: 250.0,
                budget_anomaly_frequency: AnomalyFrequency::Weekly,
                budget_anomaly_emails: vec!["anomaly@example.com".into()],
                ..config()
            },
            &inputs(),
        )
        .unwrap();
    let s = spec.anomaly.unwrap().subscription.unwrap();
    assert_eq!(s.threshold, Some(250.0));
    assert_eq!(s.frequency, "WEEKLY");
    assert_eq!(
        s.subscribers,
        BTreeSet::from([
            Subscriber::email("anomaly@example.com"),
            Subscriber::email("finops@example.com")
        ])
    );
}

#[test]
fn immediate_anomaly_alerts_go_to_the_cost_topic() {
    let m = module();
    let spec = m
        .spec(
            &Config {
                budget_anomaly_frequency: AnomalyFrequency::Immediate,
                ..config()
            },
            &inputs(),
        )
        .unwrap();
    let s = spec.anomaly.unwrap().subscription.unwrap();
    assert_eq!(s.frequency, "IMMEDIATE");
    assert_eq!(s.subscribers, BTreeSet::from([Subscriber::sns(TOPIC)]));
}

#[test]
fn without_cost_topic_e_mails_only_and_a_plan_note() {
    let m = module();
    let inputs = CostInputs {
        topic_arns: Some(BTreeMap::new()),
    };
    let spec = m.spec(&config(), &inputs).unwrap();
    assert_eq!(spec.topic, CostTopic::Absent);
    assert!(spec
        .notifications
        .iter()
        .flat_map(|w| &w.notification.subscribers)
        .all(|s| s.kind == "EMAIL"));
    let changes = m.diff(&spec, &CostObserved::default());
    assert!(changes.iter().any(|c| c
        .note
        .as_deref()
        .is_some_and(|n| n.contains("no cost topic"))));
}

#[test]
fn daily_without_addresses_makes_no_subscription_and_says_so() {
    let m = module();
    let spec = m.spec(&Config::default(), &inputs()).unwrap();
    assert!(spec.anomaly.as_ref().unwrap().subscription.is_none());
    let changes = m.diff(&spec, &CostObserved::default());
    let sub = changes.iter().find(|c| c.address == SUBSCRIPTION).unwrap();
    assert_eq!(sub.action, Action::NoOp);
    assert!(sub.note.as_deref().unwrap().contains("e-mail only"));
}

#[test]
fn pending_topic_shows_known_after_apply_and_apply_refuses() {
    let m = module();
    let spec = m.spec(&config(), &CostInputs::default()).unwrap();
    assert_eq!(spec.topic, CostTopic::Pending);
    assert!(spec.notifications[0]
        .notification
        .subscribers
        .contains(&Subscriber::sns(KNOWN_AFTER_APPLY)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = rt
        .block_on(m.apply(
            &spec,
            &CostObserved::default(),
            &baseline_core::progress::NoProgress,
        ))
        .unwrap_err();
    assert!(matches!(err, CostError::TopicUnknown));
}

#[tokio::test]
async fn a_threshold_change_updates_exactly_that_notification() {
    let old = module().spec(&config(), &inputs()).unwrap();
    let observed = converged(&old);
    let mut api = MockCostApi::new();
    api.expect_update_notification()
        .times(1)
        .withf(|_, budget, o: &Notification, n: &Notification| {
            budget == "demo-prod-bedrock-monthly-cost"
                && o.threshold == 80.0
                && n.threshold == 90.0
                && n.notification_type == "ACTUAL"
        })
        .returning(|_, _, _, _| Ok(()));
    let m = CostModule::with_api(api, &ctx());
    let spec = m
        .spec(
            &Config {
                budget_critical_threshold: 90.0,
                ..config()
            },
            &inputs(),
        )
        .unwrap();
    let changed: Vec<String> = m
        .diff(&spec, &observed)
        .into_iter()
        .filter(|c| c.is_change())
        .map(|c| c.address)
        .collect();
    assert_eq!(changed, vec!["cost.budget_notification[\"critical\"]"]);
    let critical = m
        .diff(&spec, &observed)
        .into_iter()
        .find(|c| c.is_change())
        .unwrap();
    // The plan names the one write, from the old identity to the new.
    assert_eq!(critical.operations.len(), 1);
    assert_eq!(critical.operations[0]["op"], "update");
    assert_eq!(critical.operations[0]["from"]["threshold"], 80.0);
    assert_eq!(critical.operations[0]["to"]["threshold"], 90.0);
    m.apply(&spec, &observed, &baseline_core::progress::NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_replaced_monitor_is_deleted_only_after_the_subscription_moved_to_its_successor() {
    let spec = module().spec(&config(), &inputs()).unwrap();
    let mut observed = converged(&spec);
    if let Some(m) = observed.monitor.as_mut() {
        m.dimension = Some("LINKED_ACCOUNT".into());
    }
    let changes = module().diff(&spec, &observed);
    let find = |address: &str| changes.iter().find(|c| c.address == address).unwrap();
    assert_eq!(find(MONITOR).action, Action::Replace);
    assert_eq!(
        find(MONITOR).operations,
        vec![
            serde_json::json!({"op": "replace", "old_arn": "arn:aws:ce::123456789012:anomalymonitor/m"})
        ]
    );
    assert_eq!(
        find(SUBSCRIPTION).operations,
        vec![
            serde_json::json!({"op": "update", "arn": "arn:aws:ce::123456789012:anomalysubscription/s"})
        ]
    );
    let mut api = MockCostApi::new();
    let mut seq = mockall::Sequence::new();
    api.expect_create_anomaly_monitor()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok("arn:aws:ce::123456789012:anomalymonitor/new".into()));
    api.expect_update_anomaly_subscription()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|s: &AnomalySubscription| {
            s.monitor_arns == vec!["arn:aws:ce::123456789012:anomalymonitor/new".to_owned()]
        })
        .returning(|_| Ok(()));
    api.expect_delete_anomaly_monitor()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|arn: &str| arn.ends_with("/m"))
        .returning(|_| Ok(()));
    let out = CostModule::with_api(api, &ctx())
        .apply(&spec, &observed, &baseline_core::progress::NoProgress)
        .await
        .unwrap();
    assert_eq!(
        out.anomaly_monitor_arn.as_deref(),
        Some("arn:aws:ce::123456789012:anomalymonitor/new")
    );
}

#[tokio::test]
async fn first_apply_creates_budget_with_notifications_monitor_and_subscription() {
    let mut api = MockCostApi::new();
    api.expect_create_budget()
        .times(1)
        .withf(
            |acct, b: &Budget, n: &[NotificationWithSubscribers], tags| {
                acct == "123456789012"
                    && b.cost_filters["Service"] == vec!["Amazon Bedrock"]
                    && n.len() == 3
                    && n.iter()
                        .all(|x| x.subscribers.contains(&Subscriber::sns(TOPIC)))
                    && tags.contains_key("baseline:stack")
            },
        )
        .returning(|_, _, _, _| Ok(()));
    api.expect_create_anomaly_monitor()
        .times(1)
        .returning(|_, _| Ok("arn:aws:ce::123456789012:anomalymonitor/m".into()));
    api.expect_create_anomaly_subscription()
        .times(1)
        .withf(|s: &AnomalySubscription, _| {
            s.monitor_arns == vec!["arn:aws:ce::123456789012:anomalymonitor/m".to_owned()]
        })
        .returning(|_, _| Ok("arn:aws:ce::123456789012:anomalysubscription/s".into()));
    let m = CostModule::with_api(api, &ctx());
    let spec = m.spec(&config(), &inputs()).unwrap();
    let out = m
        .apply(
            &spec,
            &CostObserved::default(),
            &baseline_core::progress::NoProgress,
        )
        .await
        .unwrap();
    assert_eq!(out.budget_names, vec!["demo-prod-bedrock-monthly-cost"]);
    assert_eq!(
        out.anomaly_monitor_arn.as_deref(),
        Some("arn:aws:ce::123456789012:anomalymonitor/m")
    );
    let summary = out.budget_summary.unwrap();
    assert_eq!(summary.limit, "1000");
    assert_eq!(
        summary.notifications["forecast"].notification_type,
        "FORECASTED"
    );
}

#[tokio::test]
async fn converged_apply_writes_nothing() {
    // The mock has no expectations: any call fails the test.
    let m = module();
    let spec = m.spec(&config(), &inputs()).unwrap();
    m.apply(
        &spec,
        &converged(&spec),
        &baseline_core::progress::NoProgress,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn destroy_deletes_subscription_monitor_and_budget() {
    let mut api = MockCostApi::new();
    let mut seq = mockall::Sequence::new();
    api.expect_delete_anomaly_subscription()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    api.expect_delete_anomaly_monitor()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    api.expect_delete_budget()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    let m = CostModule::with_api(api, &ctx());
    let spec = m.spec(&config(), &inputs()).unwrap();
    let observed = converged(&spec);
    assert_eq!(
        m.destroy_plan(&spec, &observed, DestroyOptions::default())
            .len(),
        3
    );
    m.destroy(
        &spec,
        &observed,
        DestroyOptions::default(),
        &baseline_core::progress::NoProgress,
    )
    .await
    .unwrap();
}

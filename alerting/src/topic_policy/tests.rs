use super::*;
use baseline_core::policy::{Effect, Principal};

fn ctx(publishers: &[&str]) -> TopicPolicyContext {
    TopicPolicyContext {
        partition: "aws".into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        prefix: "demo-prod".into(),
        topic_arn: "arn:aws:sns:us-east-1:123456789012:demo-prod-critical".into(),
        publishers: publishers.iter().map(|s| s.to_string()).collect(),
        event_rule_arns: vec![
            "arn:aws:events:us-east-1:123456789012:rule/demo-prod-tamper-kms-key".into(),
            "arn:aws:events:us-east-1:123456789012:rule/demo-prod-training-job-failed".into(),
        ],
    }
}

#[test]
fn every_service_grant_carries_both_confused_deputy_conditions() {
    let doc = topic_policy(&ctx(&[]));
    let service_grants: Vec<_> = doc
        .statement
        .iter()
        .filter(|s| matches!(&s.principal, Some(Principal::Map(m)) if m.contains_key("Service")))
        .collect();
    assert_eq!(service_grants.len(), 2);
    for st in service_grants {
        let sid = st.sid.as_deref().unwrap();
        assert_eq!(st.effect, Effect::Allow);
        assert_eq!(
            st.condition_values("StringEquals", "aws:SourceAccount")
                .unwrap()
                .0,
            vec!["123456789012"],
            "{sid}"
        );
        let source = &st.condition_values("ArnLike", "aws:SourceArn").unwrap().0;
        assert!(
            source
                .iter()
                .all(|s| s.contains(":123456789012:") && s.contains("demo-prod-")),
            "{sid}: {source:?}"
        );
        assert_eq!(st.action.as_ref().unwrap().0, vec!["sns:Publish"], "{sid}");
    }
    let cw = doc.statement("CloudWatchAlarmsPublish").unwrap();
    assert_eq!(
        cw.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
        vec!["arn:aws:cloudwatch:us-east-1:123456789012:alarm:demo-prod-*"]
    );
    let ev = doc.statement("EventBridgeRulesPublish").unwrap();
    assert_eq!(
        ev.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
        vec![
            "arn:aws:events:us-east-1:123456789012:rule/demo-prod-tamper-kms-key",
            "arn:aws:events:us-east-1:123456789012:rule/demo-prod-training-job-failed"
        ],
        "exact rule ARNs, no pattern"
    );
}

#[test]
fn a_topic_no_rule_publishes_to_admits_no_eventbridge_rule() {
    let c = TopicPolicyContext {
        event_rule_arns: Vec::new(),
        ..ctx(&[])
    };
    assert!(topic_policy(&c)
        .statement("EventBridgeRulesPublish")
        .is_none());
}

#[test]
fn the_cost_topic_admits_budgets_and_anomaly_detection_with_both_conditions() {
    let doc = with_cost_publishers(topic_policy(&ctx(&[])), &ctx(&[]));
    for (sid, service, source) in [
        (
            "BudgetsPublish",
            "budgets.amazonaws.com",
            "arn:aws:budgets::123456789012:*",
        ),
        (
            "CostAnomalyDetectionPublish",
            "costalerts.amazonaws.com",
            "arn:aws:ce::123456789012:anomalysubscription/*",
        ),
    ] {
        let st = doc.statement(sid).unwrap();
        assert!(matches!(&st.principal, Some(Principal::Map(m)) if m["Service"].contains(service)));
        assert_eq!(st.action.as_ref().unwrap().0, vec!["sns:Publish"]);
        assert_eq!(st.deputy_conditions(), (vec!["123456789012"], vec![source]));
    }
    assert_eq!(
        doc.statement.last().unwrap().sid.as_deref(),
        Some("DenyInsecureTransport")
    );
    assert!(!doc.has_wildcard_allow());
}

#[test]
fn no_allow_names_anyone_or_every_action() {
    let doc = topic_policy(&ctx(&[
        "210987654321",
        "arn:aws:iam::210987654321:role/publisher",
    ]));
    assert!(!doc.has_wildcard_allow());
    for st in doc.statement.iter().filter(|s| s.effect == Effect::Allow) {
        match &st.principal {
            Some(Principal::Map(m)) => {
                assert!(m.values().all(|v| !v.contains("*")), "{:?}", st.sid)
            }
            other => panic!("allow {:?} has principal {other:?}", st.sid),
        }
    }
}

#[test]
fn plain_http_is_denied_to_everyone() {
    let doc = topic_policy(&ctx(&[]));
    let deny = doc.statement("DenyInsecureTransport").unwrap();
    assert_eq!(deny.effect, Effect::Deny);
    assert!(matches!(deny.principal, Some(Principal::Any(_))));
    assert_eq!(
        deny.condition_values("Bool", "aws:SecureTransport")
            .unwrap()
            .0,
        vec!["false"]
    );
    let actions = deny.action.as_ref().unwrap();
    assert!(actions.contains("sns:Publish") && actions.contains("sns:Subscribe"));
    assert!(
        !actions.0.iter().any(|a| a.contains('*')),
        "explicit list, no wildcard"
    );
}

#[test]
fn listed_principals_may_only_publish_and_account_ids_become_root_arns() {
    let doc = topic_policy(&ctx(&[
        "210987654321",
        "arn:aws:iam::210987654321:role/publisher",
    ]));
    let st = doc.statement("ListedPrincipalsPublish").unwrap();
    assert_eq!(st.action.as_ref().unwrap().0, vec!["sns:Publish"]);
    let Some(Principal::Map(m)) = &st.principal else {
        panic!("principal map")
    };
    assert_eq!(
        m["AWS"].0,
        vec![
            "arn:aws:iam::210987654321:root",
            "arn:aws:iam::210987654321:role/publisher"
        ]
    );
    assert!(topic_policy(&ctx(&[]))
        .statement("ListedPrincipalsPublish")
        .is_none());
}

#[test]
fn owner_statement_is_the_account_root_with_explicit_actions() {
    let doc = topic_policy(&ctx(&[]));
    let st = doc.statement("AccountOwnerAccess").unwrap();
    let Some(Principal::Map(m)) = &st.principal else {
        panic!("principal map")
    };
    assert_eq!(m["AWS"].0, vec!["arn:aws:iam::123456789012:root"]);
    assert!(st.condition.is_none());
    assert_eq!(st.action.as_ref().unwrap().0.len(), OWNER_ACTIONS.len());
}

#[test]
fn every_statement_is_about_this_topic_only() {
    let c = ctx(&["210987654321"]);
    for st in &topic_policy(&c).statement {
        assert_eq!(
            st.resource.as_ref().unwrap().0,
            vec![c.topic_arn.clone()],
            "{:?}",
            st.sid
        );
    }
}

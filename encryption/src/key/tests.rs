use super::*;
use baseline_core::policy::Effect;

fn ctx() -> KeyPolicyContext {
    KeyPolicyContext {
        partition: "aws".into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        prefix: "demo-prod".into(),
        log_group_prefix: "/aws/bedrock/demo-prod/".into(),
        event_rule_arns: vec![
            "arn:aws:events:us-east-1:123456789012:rule/demo-prod-tamper-kms-key".into(),
        ],
    }
}

#[test]
fn eventbridge_may_use_the_key_for_the_enabled_rules_only() {
    let doc = key_policy(&ctx());
    let st = doc.statement("EventBridgeRulesUse").unwrap();
    assert_eq!(
        st.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
        vec!["arn:aws:events:us-east-1:123456789012:rule/demo-prod-tamper-kms-key"]
    );
    let none = key_policy(&KeyPolicyContext {
        event_rule_arns: Vec::new(),
        ..ctx()
    });
    assert!(none.statement("EventBridgeRulesUse").is_none());
}

#[test]
fn every_service_grant_is_confined_to_the_stack() {
    let doc = key_policy(&ctx());
    for st in doc
        .statement
        .iter()
        .filter(|s| s.sid.as_deref() != Some("AccountAdministration"))
    {
        assert_eq!(st.effect, Effect::Allow);
        let sid = st.sid.as_deref().unwrap();
        let by_context = st.condition_values("ArnLike", "kms:EncryptionContext:aws:logs:arn");
        let by_source = st.condition_values("StringEquals", "aws:SourceAccount");
        assert!(
            by_context.is_some() || by_source.is_some(),
            "{sid} has no confused-deputy condition"
        );
        if let Some(acct) = by_source {
            assert_eq!(acct.0, vec!["123456789012"]);
            assert!(
                st.condition_values("ArnLike", "aws:SourceArn").is_some(),
                "{sid} lacks aws:SourceArn"
            );
        }
        assert!(
            !st.action
                .as_ref()
                .unwrap()
                .0
                .iter()
                .any(|a| a == "*" || a.ends_with(":*")),
            "{sid}"
        );
    }
}

#[test]
fn logs_are_limited_to_the_stack_log_groups() {
    let doc = key_policy(&ctx());
    let st = doc.statement("CloudWatchLogsUse").unwrap();
    assert_eq!(
        st.condition_values("ArnLike", "kms:EncryptionContext:aws:logs:arn")
            .unwrap()
            .0,
        vec!["arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock/demo-prod/*"]
    );
}

#[test]
fn budgets_and_anomaly_detection_may_use_the_key_for_this_account_only() {
    let doc = key_policy(&ctx());
    for (sid, source) in [
        ("BudgetsUse", "arn:aws:budgets::123456789012:*"),
        (
            "CostAnomalyDetectionUse",
            "arn:aws:ce::123456789012:anomalysubscription/*",
        ),
    ] {
        let st = doc.statement(sid).unwrap();
        assert_eq!(
            st.action.as_ref().unwrap().0,
            vec!["kms:GenerateDataKey", "kms:Decrypt"]
        );
        assert_eq!(
            st.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
            vec![source]
        );
    }
}

#[test]
fn only_the_root_statement_administers() {
    let doc = key_policy(&ctx());
    let admins: Vec<_> = doc
        .statement
        .iter()
        .filter(|s| s.action.as_ref().is_some_and(|a| a.contains("kms:*")))
        .map(|s| s.sid.clone().unwrap())
        .collect();
    assert_eq!(admins, vec!["AccountAdministration"]);
}

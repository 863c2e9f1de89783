use super::*;

fn rule(targets: &[(&str, &str)]) -> RuleDef {
    RuleDef {
        name: "r".into(),
        description: "d".into(),
        event_pattern: json!({"source": ["aws.bedrock"]}),
        state: "ENABLED".into(),
        targets: targets
            .iter()
            .map(|(id, arn)| RuleTarget {
                id: (*id).into(),
                arn: (*arn).into(),
            })
            .collect(),
    }
}

fn observed(def: RuleDef) -> ObservedRule {
    ObservedRule {
        arn: "arn:r".into(),
        def,
        tags: BTreeMap::new(),
    }
}

#[test]
fn a_moved_target_is_removed_and_the_wanted_ones_put() {
    let have = observed(rule(&[("old", "arn:a")]));
    let want = rule(&[("new", "arn:b")]);
    let p = plan("k", Some(&want), Some(&have), &BTreeMap::new()).unwrap();
    assert_eq!(
        p.ops,
        vec![
            RuleOp::RemoveTargets {
                ids: vec!["old".into()]
            },
            RuleOp::PutTargets
        ]
    );
    let unchanged = plan(
        "k",
        Some(&want),
        Some(&observed(want.clone())),
        &BTreeMap::new(),
    );
    assert!(!unchanged.unwrap().is_change());
    assert!(plan("k", None, None, &BTreeMap::new()).is_none());
}

#[test]
fn one_listing_covers_every_owned_rule_by_their_common_prefix() {
    let names = [
        "bb-prod-tamper-kms-key",
        "bb-prod-tamper-guardrail",
        "bb-prod-training-job-failed",
    ];
    assert_eq!(common_prefix(names.into_iter()), "bb-prod-t");
    assert_eq!(common_prefix(["only"].into_iter()), "only");
    // No shared prefix: the listing takes every rule of the bus (no NamePrefix).
    assert_eq!(common_prefix(["a-1", "b-1"].into_iter()), "");
    // "é" and "è" share their first byte: the prefix stops before the character.
    assert_eq!(common_prefix(["xé", "xè"].into_iter()), "x");
}

#[tokio::test]
async fn rules_not_listed_are_absent_and_read_nothing_more() {
    let mut api = crate::api::MockMonitoringApi::new();
    api.expect_list_rules()
        .withf(|prefix| prefix == "bb-prod-t")
        .times(1)
        .returning(|_| {
            Ok(vec![RuleDescription {
                name: "bb-prod-tamper-kms-key".into(),
                arn: "arn:aws:events:us-east-1:123456789012:rule/bb-prod-tamper-kms-key".into(),
                description: "d".into(),
                event_pattern: r#"{"source":["aws.kms"]}"#.into(),
                state: "ENABLED".into(),
            }])
        });
    api.expect_rule_targets()
        .withf(|name| name == "bb-prod-tamper-kms-key")
        .times(1)
        .returning(|_| Ok(vec![]));
    api.expect_rule_tags()
        .times(1)
        .returning(|_| Ok(Tags::new()));
    let owned = [
        (
            "tamper-kms-key".to_owned(),
            "bb-prod-tamper-kms-key".to_owned(),
        ),
        (
            "training".to_owned(),
            "bb-prod-training-job-failed".to_owned(),
        ),
    ];
    let rules = observe(&api, &owned).await.unwrap();
    assert_eq!(rules.keys().collect::<Vec<_>>(), ["tamper-kms-key"]);
    assert_eq!(
        rules["tamper-kms-key"].def.event_pattern,
        json!({"source": ["aws.kms"]})
    );
}

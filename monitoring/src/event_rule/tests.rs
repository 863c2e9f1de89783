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

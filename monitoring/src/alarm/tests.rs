use super::*;

fn composite(rule: &str) -> CompositeAlarmDef {
    CompositeAlarmDef {
        name: "s-basic-health".into(),
        description: "d".into(),
        alarm_rule: rule.into(),
        actions_enabled: true,
        alarm_actions: vec![],
        ok_actions: vec![],
        actions_suppressor: None,
        actions_suppressor_wait_period: None,
        actions_suppressor_extension_period: None,
    }
}

#[test]
fn the_writes_follow_the_attributes_the_plan_shows() {
    let tags = Tags::from([("baseline:stack".to_owned(), "s".to_owned())]);
    let found = |rule: &str, tags: &Tags| ObservedAlarm {
        arn: "arn:a".into(),
        def: composite(rule),
        tags: tags.clone(),
    };
    let want = composite("ALARM(\"a\")");
    let ops = |o: Option<&ObservedAlarm<CompositeAlarmDef>>| plan("k", &want, &tags, o).ops;
    assert_eq!(ops(None), vec![AlarmOp::Create]);
    assert!(ops(Some(&found("ALARM(\"a\")", &tags))).is_empty());
    assert_eq!(ops(Some(&found("ALARM(\"b\")", &tags))), vec![AlarmOp::Put]);
    let stale = Tags::from([("old".to_owned(), "x".to_owned())]);
    assert_eq!(
        ops(Some(&found("ALARM(\"b\")", &stale))),
        vec![
            AlarmOp::Put,
            AlarmOp::Tag(TagDelta {
                set: tags.clone(),
                remove: vec!["old".into()],
            })
        ]
    );
    let p = plan("k", &want, &tags, Some(&found("ALARM(\"a\")", &stale)));
    assert_eq!(p.change.address, "monitoring.composite_alarm[\"k\"]");
    assert!(matches!(p.ops[..], [AlarmOp::Tag(_)]));
}

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

#[tokio::test]
async fn composites_are_deleted_one_per_call_and_metric_alarms_together() {
    let mut api = crate::api::MockMonitoringApi::new();
    let mut calls = mockall::Sequence::new();
    for names in [vec!["c1"], vec!["c2"], vec!["m1", "m2", "m3"]] {
        api.expect_delete_alarms()
            .withf(move |got| got == names.as_slice())
            .times(1)
            .in_sequence(&mut calls)
            .returning(|_| Ok(()));
    }
    let listed = |names: &[&str]| -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), format!("monitoring.alarm[\"{n}\"]")))
            .collect()
    };
    let progress = baseline_core::progress::NoProgress;
    delete::<CompositeAlarmDef, _>(&api, &listed(&["c1", "c2"]), &progress)
        .await
        .unwrap();
    delete::<MetricAlarmDef, _>(&api, &listed(&["m1", "m2", "m3"]), &progress)
        .await
        .unwrap();
}

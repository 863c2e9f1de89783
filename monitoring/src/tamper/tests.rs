use super::*;

fn cx() -> TamperContext {
    TamperContext {
        kms_key_arn: Some("arn:aws:kms:us-east-1:1:key/k1".into()),
        kms_key_id: Some("k1".into()),
        bucket_name: Some("logs".into()),
        endpoint_ids: vec!["vpce-1".into()],
        topic_arns: vec!["arn:aws:sns:us-east-1:1:s-critical".into()],
        guardrail_id: Some("g1".into()),
        guardrail_arn: Some("arn:aws:bedrock:us-east-1:1:guardrail/g1".into()),
        logging: true,
        guardrail: true,
    }
}

fn build(cx: &TamperContext) -> Vec<TamperRule> {
    rules(cx, "s", |k| format!("s-{k}"), Some("crit"), Some("perf"))
}

#[test]
fn every_rule_matches_cloudtrail_calls_of_the_stack_resources() {
    let r = build(&cx());
    assert_eq!(r.iter().map(|r| r.key).collect::<Vec<_>>(), KEYS);
    for rule in &r {
        let p = &rule.def.event_pattern;
        assert_eq!(p["detail-type"][0], VIA_CLOUDTRAIL, "{}", rule.key);
        let source = p["source"][0].as_str().unwrap();
        let service = source.trim_start_matches("aws.");
        assert_eq!(
            p["detail"]["eventSource"][0],
            format!("{service}.amazonaws.com")
        );
        assert_eq!(rule.def.targets.len(), 1);
    }
    let key = &r[2].def.event_pattern;
    assert_eq!(
        key["detail"]["requestParameters"]["keyId"][1],
        "arn:aws:kms:us-east-1:1:key/k1"
    );
    assert_eq!(key["detail"]["eventName"][2], "ScheduleKeyDeletion");
    assert_eq!(
        r[3].def.event_pattern["detail"]["requestParameters"]["bucketName"][0],
        "logs"
    );
    assert_eq!(r[6].def.targets[0].arn, "perf");
    assert!(r[..6].iter().all(|r| r.def.targets[0].arn == "crit"));
}

#[test]
fn unmanaged_resources_and_alerting_off_leave_rules_out() {
    let none = TamperContext::default();
    assert_eq!(
        build(&none).iter().map(|r| r.key).collect::<Vec<_>>(),
        vec!["bedrock-access-denied"]
    );
    assert!(rules(&cx(), "s", |k| k.to_owned(), None, None).is_empty());
}

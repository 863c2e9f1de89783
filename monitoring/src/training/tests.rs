use super::*;

#[test]
fn pattern_matches_the_documented_sample_event() {
    let p = failed_job_pattern();
    assert_eq!(p["source"][0], "aws.bedrock");
    assert_eq!(p["detail-type"][0], "Model Customization Job State Change");
    assert_eq!(p["detail"]["jobStatus"][0], "Failed");
}

#[test]
fn no_topic_means_no_target() {
    assert!(rule("r".into(), "s", None).targets.is_empty());
    let r = rule("r".into(), "s", Some("arn:aws:sns:us-east-1:1:t".into()));
    assert_eq!(
        r.targets,
        vec![RuleTarget {
            id: TARGET_ID.into(),
            arn: "arn:aws:sns:us-east-1:1:t".into()
        }]
    );
}

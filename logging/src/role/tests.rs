use super::*;

#[test]
fn trust_is_bedrock_only_with_both_confused_deputy_conditions() {
    let doc = trust_policy("aws", "123456789012", "eu-west-1");
    let st = &doc.statement[0];
    assert_eq!(doc.statement.len(), 1);
    assert_eq!(st.action.as_ref().unwrap().0, vec!["sts:AssumeRole"]);
    assert_eq!(
        st.deputy_conditions(),
        (
            vec!["123456789012"],
            vec!["arn:aws:bedrock:eu-west-1:123456789012:*"]
        )
    );
}

#[test]
fn large_data_key_grant_is_limited_to_s3() {
    let doc = with_large_data_key(
        role_policy("arn:lg", Some("arn:aws:s3:::b/p/*")),
        "arn:aws:kms:us-east-1:1:key/k",
        "us-east-1",
    );
    let st = doc.statement(LARGE_DATA_KMS_SID).unwrap();
    assert_eq!(
        st.action.as_ref().unwrap().0,
        vec!["kms:GenerateDataKey", "kms:Decrypt"]
    );
    assert_eq!(
        st.condition_values("StringEquals", "kms:ViaService")
            .unwrap()
            .0,
        vec!["s3.us-east-1.amazonaws.com"]
    );
}

#[test]
fn inline_policy_is_limited_to_the_log_group_streams_and_bucket_prefix() {
    let lg = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock/demo-prod/invocations";
    let doc = role_policy(lg, Some("arn:aws:s3:::b/invocations/*"));
    assert_eq!(
        doc.statement("WriteInvocationLogStreams")
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0,
        vec![format!("{lg}:log-stream:*")]
    );
    assert_eq!(
        doc.statement("WriteLargeDataToLogBucket")
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0,
        vec!["arn:aws:s3:::b/invocations/*"]
    );
    assert!(!doc.has_wildcard_allow());
    assert!(
        role_policy(lg, None)
            .statement("WriteLargeDataToLogBucket")
            .is_none(),
        "no S3 grant without S3 delivery"
    );
}

#[test]
fn url_encoded_trust_policy_from_iam_shows_no_change() {
    let doc = trust_policy("aws", "123456789012", "us-east-1");
    let encoded: String = doc
        .to_json()
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    assert_eq!(parsed_view(Some(&encoded)), policy_view(&doc));
}

use super::*;
use baseline_core::policy::Effect;

fn policy() -> PolicyDocument {
    bucket_policy(
        "aws",
        "123456789012",
        "us-east-1",
        "demo-prod-bedrock-logs-123456789012-us-east-1",
        "invocations/",
    )
}

#[test]
fn policy_denies_plain_http_and_old_tls_on_bucket_and_objects() {
    let doc = policy();
    let tls = doc.statement("DenyInsecureTransport").unwrap();
    assert_eq!(tls.effect, Effect::Deny);
    assert_eq!(
        tls.condition_values("Bool", "aws:SecureTransport")
            .unwrap()
            .0,
        vec!["false"]
    );
    assert_eq!(tls.resource.as_ref().unwrap().0.len(), 2);
    let old = doc.statement("DenyOutdatedTls").unwrap();
    assert_eq!(old.effect, Effect::Deny);
    assert_eq!(
        old.condition_values("NumericLessThan", "s3:TlsVersion")
            .unwrap()
            .0,
        vec!["1.2"]
    );
}

#[test]
fn bedrock_may_only_put_under_the_prefix_for_this_account() {
    let doc = policy();
    let st = doc.statement("AllowBedrockInvocationLogs").unwrap();
    assert_eq!(st.action.as_ref().unwrap().0, vec!["s3:PutObject"]);
    assert_eq!(
        st.resource.as_ref().unwrap().0,
        vec!["arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/invocations/*"]
    );
    assert_eq!(
        st.deputy_conditions(),
        (
            vec!["123456789012"],
            vec!["arn:aws:bedrock:us-east-1:123456789012:*"]
        )
    );
    assert!(!doc.has_wildcard_allow());
}

#[test]
fn policy_read_back_from_s3_is_equivalent() {
    // S3 returns the policy re-serialised: one-element lists as strings, keys reordered.
    let text = r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"AllowBedrockInvocationLogs","Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},
           "Action":"s3:PutObject","Resource":"arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/invocations/*",
           "Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock:us-east-1:123456789012:*"},"StringEquals":{"aws:SourceAccount":"123456789012"}}},
          {"Sid":"DenyOutdatedTls","Effect":"Deny","Principal":"*","Action":"s3:*",
           "Resource":["arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/*","arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1"],
           "Condition":{"NumericLessThan":{"s3:TlsVersion":1.2}}},
          {"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*",
           "Resource":["arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1","arn:aws:s3:::demo-prod-bedrock-logs-123456789012-us-east-1/*"],
           "Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
    let mut ours = policy();
    ours.statement.sort_by(|a, b| a.sid.cmp(&b.sid));
    let mut theirs = PolicyDocument::parse(text).unwrap();
    theirs.statement.sort_by(|a, b| a.sid.cmp(&b.sid));
    assert!(ours.equivalent(&theirs));
}

use super::*;

const GR: &str = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123";

fn config(models: &[&str]) -> Config {
    Config {
        environment: "prod".into(),
        foundation_models: models.iter().map(|s| (*s).to_owned()).collect(),
        allowed_model_regions: vec!["us-east-1".into(), "us-west-2".into()],
        ..Config::default()
    }
}

#[test]
fn no_wildcard_action_and_only_the_allowed_models() {
    let models =
        ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0"];
    let doc = model_access_policy(
        &ModelAccess::from_config(&config(&models), "aws", None),
        GR,
        "3",
    );
    assert!(!doc.has_wildcard_allow());
    for st in &doc.statement {
        assert!(
            st.action
                .as_ref()
                .unwrap()
                .0
                .iter()
                .all(|a| !a.contains('*')),
            "{st:?}"
        );
    }
    let invoke = doc.statement(INVOKE_SID).unwrap();
    assert_eq!(invoke.resource.as_ref().unwrap().0, models);
    assert_eq!(
        doc.statement(APPLY_SID)
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0,
        vec![GR]
    );
}

#[test]
fn without_foundation_models_every_allowed_region_is_named() {
    let doc = model_access_policy(
        &ModelAccess::from_config(&config(&[]), "aws", None),
        GR,
        "1",
    );
    assert_eq!(
        doc.statement(INVOKE_SID)
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0,
        vec![
            "arn:aws:bedrock:us-east-1::foundation-model/*",
            "arn:aws:bedrock:us-west-2::foundation-model/*"
        ]
    );
}

#[test]
fn invoke_requires_this_guardrail_at_the_version_in_force() {
    let doc = model_access_policy(
        &ModelAccess::from_config(&config(&[]), "aws", None),
        GR,
        "2",
    );
    let invoke = doc.statement(INVOKE_SID).unwrap();
    assert_eq!(
        invoke
            .condition_values("StringEquals", "bedrock:GuardrailIdentifier")
            .unwrap()
            .0,
        vec![format!("{GR}:2")]
    );
    assert!(invoke
        .condition_values("StringEquals", "aws:SourceVpce")
        .is_none());
}

#[test]
fn runtime_endpoint_adds_the_source_vpce_condition() {
    let access =
        ModelAccess::from_config(&config(&[]), "aws", Some("vpce-0123456789abcdef0".into()));
    let doc = model_access_policy(&access, GR, "1");
    let invoke = doc.statement(INVOKE_SID).unwrap();
    assert_eq!(
        invoke
            .condition_values("StringEquals", "aws:SourceVpce")
            .unwrap()
            .0,
        vec!["vpce-0123456789abcdef0"]
    );
}

#[test]
fn guardrail_key_is_decryptable_only_through_bedrock() {
    let key = "arn:aws:kms:us-east-1:123456789012:key/k";
    let access = ModelAccess::from_config(&config(&[]), "aws", None)
        .with_guardrail_key(Some(key.into()), "us-east-1");
    let doc = model_access_policy(&access, GR, "1");
    let st = doc.statement(DECRYPT_SID).unwrap();
    assert_eq!(st.action.as_ref().unwrap().0, vec!["kms:Decrypt"]);
    assert_eq!(st.resource.as_ref().unwrap().0, vec![key]);
    assert_eq!(
        st.condition_values("StringEquals", "kms:ViaService")
            .unwrap()
            .0,
        vec!["bedrock.us-east-1.amazonaws.com"]
    );
    let without = model_access_policy(
        &ModelAccess::from_config(&config(&[]), "aws", None),
        GR,
        "1",
    );
    assert!(without.statement(DECRYPT_SID).is_none());
}

#[test]
fn round_trips_through_iam_url_encoding() {
    let doc = model_access_policy(
        &ModelAccess::from_config(&config(&[]), "aws", None),
        GR,
        "1",
    );
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
    assert!(PolicyDocument::parse(&encoded).unwrap().equivalent(&doc));
}

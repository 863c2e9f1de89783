use super::*;
use baseline_core::policy::{Effect, Principal};

fn ctx(models: &[&str]) -> PolicyContext {
    PolicyContext {
        partition: "aws".into(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        role_name: "JQ-12345678-Bedrock".into(),
        allowed_model_regions: vec!["us-east-1".into(), "us-west-2".into()],
        foundation_models: models.iter().map(|s| s.to_string()).collect(),
        role_arn: None,
        admin_principal_arns: Vec::new(),
        profile_model_arns: Vec::new(),
    }
}

#[test]
fn role_with_a_path_is_admitted_by_its_read_arn() {
    let mut c = ctx(&[]);
    c.role_arn = Some("arn:aws:iam::123456789012:role/service-role/JQ-12345678-Bedrock".into());
    let doc = endpoint_policy("bedrock-runtime", &c);
    assert_eq!(
        doc.statement[0]
            .condition_values("ArnEquals", "aws:PrincipalArn")
            .unwrap()
            .0,
        vec!["arn:aws:iam::123456789012:role/service-role/JQ-12345678-Bedrock"]
    );
}

#[test]
fn disabling_actions_only_for_admins() {
    let doc = endpoint_policy("bedrock", &ctx(&[]));
    assert_eq!(doc.statement.len(), 1, "no admins: no admin statement");
    let app = &doc.statement[0].action.as_ref().unwrap().0;
    for a in ADMIN_ACTIONS {
        assert!(
            !app.iter().any(|x| x == a),
            "{a} granted to the application"
        );
    }
    let mut c = ctx(&[]);
    c.admin_principal_arns = vec!["arn:aws:iam::123456789012:role/ops/Admin".into()];
    let doc = endpoint_policy("bedrock", &c);
    let admin = doc.statement(ADMIN_SID).unwrap();
    assert_eq!(
        admin
            .condition_values("ArnEquals", "aws:PrincipalArn")
            .unwrap()
            .0,
        vec!["arn:aws:iam::123456789012:role/ops/Admin"]
    );
    assert_eq!(admin.action.as_ref().unwrap().0.len(), ADMIN_ACTIONS.len());
}

#[test]
fn inference_profile_destinations_join_the_runtime_models() {
    let profile =
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0";
    let mut c = ctx(&[profile]);
    c.profile_model_arns = vec![
        "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0".into(),
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0".into(),
    ];
    let doc = endpoint_policy("bedrock-runtime", &c);
    assert_eq!(
        doc.statement("InvokeAllowedModels")
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0,
        vec![
            profile,
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0",
            "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0",
        ]
    );
}

const ALL: &[&str] = &[
    "bedrock",
    "bedrock-runtime",
    "bedrock-agent",
    "bedrock-agent-runtime",
    "kms",
    "logs",
    "monitoring",
    "sns",
    "sts",
    "s3",
];

#[test]
fn every_star_principal_is_pinned_by_conditions_and_no_wildcard_is_granted() {
    for service in ALL {
        let doc = endpoint_policy(service, &ctx(&[]));
        assert!(!doc.has_wildcard_allow(), "{service}");
        for st in &doc.statement {
            assert_eq!(st.effect, Effect::Allow);
            assert!(matches!(st.principal, Some(Principal::Any(_))));
            assert_eq!(
                st.condition_values("StringEquals", "aws:PrincipalAccount")
                    .unwrap()
                    .0,
                vec!["123456789012"],
                "{service}"
            );
            assert!(
                !st.action.as_ref().unwrap().0.is_empty(),
                "{service} grants nothing"
            );
        }
    }
}

#[test]
fn bedrock_endpoints_admit_only_the_application_role() {
    for service in &ALL[..4] {
        for st in &endpoint_policy(service, &ctx(&[])).statement {
            assert_eq!(
                st.condition_values("ArnEquals", "aws:PrincipalArn")
                    .unwrap()
                    .0,
                vec!["arn:aws:iam::123456789012:role/JQ-12345678-Bedrock"],
                "{service}"
            );
            assert!(
                st.condition_values("StringEquals", "aws:RequestedRegion")
                    .is_some(),
                "{service}"
            );
        }
    }
}

#[test]
fn runtime_allows_only_invoke_on_the_models_of_the_allowed_regions() {
    let doc = endpoint_policy("bedrock-runtime", &ctx(&[]));
    let invoke = doc.statement("InvokeAllowedModels").unwrap();
    assert_eq!(
        invoke.action.as_ref().unwrap().0,
        vec![
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream"
        ]
    );
    assert_eq!(
        invoke.resource.as_ref().unwrap().0,
        vec![
            "arn:aws:bedrock:us-east-1::foundation-model/*",
            "arn:aws:bedrock:us-west-2::foundation-model/*"
        ]
    );
    assert_eq!(
        invoke
            .condition_values("StringEquals", "aws:RequestedRegion")
            .unwrap()
            .0,
        vec!["us-east-1", "us-west-2"]
    );
    let guard = doc.statement("ApplyAccountGuardrails").unwrap();
    assert_eq!(
        guard.action.as_ref().unwrap().0,
        vec!["bedrock:ApplyGuardrail"]
    );
    assert_eq!(
        guard.resource.as_ref().unwrap().0,
        vec!["arn:aws:bedrock:us-east-1:123456789012:guardrail/*"]
    );
}

#[test]
fn listed_foundation_models_replace_the_region_wildcards() {
    let arn = "arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-text-express-v1:0";
    let doc = endpoint_policy("bedrock-runtime", &ctx(&[arn]));
    assert_eq!(
        doc.statement("InvokeAllowedModels")
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0,
        vec![arn]
    );
}

#[test]
fn management_is_limited_to_the_stack_region_and_lists_its_actions() {
    let doc = endpoint_policy("bedrock", &ctx(&[]));
    let st = &doc.statement[0];
    assert_eq!(
        st.condition_values("StringEquals", "aws:RequestedRegion")
            .unwrap()
            .0,
        vec!["us-east-1"]
    );
    let actions = &st.action.as_ref().unwrap().0;
    assert!(actions
        .iter()
        .all(|a| a.starts_with("bedrock:") && !a.contains('*')));
    assert!(actions.contains(&"bedrock:GetGuardrail".to_owned()));
    assert!(
        !actions.contains(&"bedrock:InvokeModel".to_owned()),
        "invocation goes through bedrock-runtime"
    );
}

#[test]
fn generated_policies_survive_the_aws_round_trip() {
    for service in ALL {
        let doc = endpoint_policy(service, &ctx(&[]));
        let back = PolicyDocument::parse(&doc.to_json()).unwrap();
        assert!(doc.equivalent(&back), "{service}");
    }
}

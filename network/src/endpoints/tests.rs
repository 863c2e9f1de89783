use super::*;
use baseline_core::policy::Statement;
use baseline_core::Change;

fn spec() -> EndpointSpec {
    EndpointSpec {
        service: "bedrock-runtime".into(),
        service_name: "com.amazonaws.us-east-1.bedrock-runtime".into(),
        gateway: false,
        group: GroupRole::Runtime,
        policy: PolicyDocument::new(vec![Statement::allow("A")
            .any_principal()
            .actions(["bedrock:InvokeModel", "bedrock:ApplyGuardrail"])
            .resources(["*"])]),
        custom_policy: false,
        tags: BTreeMap::from([("baseline:stack".into(), "demo".into())]),
        only_if_offered: false,
    }
}

fn placement() -> Placement {
    Placement {
        vpc_id: "vpc-1".into(),
        subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
        route_table_ids: vec![],
        private_dns: true,
        route_tables_from_subnets: false,
    }
}

fn existing(spec: &EndpointSpec) -> EndpointInfo {
    let mut policy = spec.policy.clone();
    policy.statement[0].action.as_mut().unwrap().0.reverse();
    EndpointInfo {
        endpoint_id: "vpce-1".into(),
        vpc_id: "vpc-1".into(),
        service_name: spec.service_name.clone(),
        endpoint_type: "Interface".into(),
        state: "available".into(),
        state_message: None,
        subnet_ids: vec!["subnet-b".into(), "subnet-a".into()],
        security_group_ids: vec!["sg-r".into()],
        route_table_ids: vec![],
        private_dns_enabled: true,
        policy: policy.to_json(),
        dns_names: vec![],
        tags: spec.tags.clone(),
        created: 0,
    }
}

/// The plan of `info` against the spec, with the runtime group.
fn compare(s: &EndpointSpec, p: &Placement, info: &EndpointInfo) -> Change {
    Change::compare(
        "a",
        "vpc_endpoint",
        &observed_view(info),
        &desired_view(s, p, Some("sg-r")),
        REPLACE_ON,
    )
}

#[test]
fn a_converged_endpoint_is_a_no_op_whatever_the_order_aws_returns() {
    let (s, p) = (spec(), placement());
    let info = existing(&s);
    let c = compare(&s, &p, &info);
    assert!(!c.is_change(), "{c:?}");
    assert!(modify_request(&s, &p, "sg-r", &info).is_empty());
}

#[test]
fn changed_subnets_modify_in_place() {
    let s = spec();
    let mut p = placement();
    p.subnet_ids = vec!["subnet-a".into(), "subnet-c".into()];
    let info = existing(&s);
    let m = modify_request(&s, &p, "sg-r", &info);
    assert_eq!(
        (m.add_subnet_ids.clone(), m.remove_subnet_ids.clone()),
        (vec!["subnet-c".to_owned()], vec!["subnet-b".to_owned()])
    );
    assert!(m.policy.is_none());
    let c = compare(&s, &p, &info);
    assert_eq!(c.action, baseline_core::Action::Update);
    assert!(!needs_replacement(&s, &p, &info));
}

#[test]
fn an_edited_policy_is_rewritten_and_a_new_service_replaces() {
    let s = spec();
    let p = placement();
    let mut info = existing(&s);
    info.policy =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#.into();
    assert_eq!(
        modify_request(&s, &p, "sg-r", &info).policy,
        Some(s.policy.to_json())
    );
    info.service_name = "com.amazonaws.us-east-1.bedrock".into();
    assert!(needs_replacement(&s, &p, &info));
    let c = compare(&s, &p, &info);
    assert_eq!(c.action, baseline_core::Action::Replace);
}

#[test]
fn tokens_are_stable_and_change_with_every_parameter_sent() {
    let (s, p) = (spec(), placement());
    let token = |s: &EndpointSpec, p: &Placement, group: &str, attempt: u32| {
        requests::create_request(s, p, group, attempt, "demo").client_token
    };
    let first = token(&s, &p, "sg-1", 0);
    assert_eq!(
        first,
        token(&s, &p, "sg-1", 0),
        "a retry sends the same token"
    );
    assert_ne!(first, token(&s, &p, "sg-1", 1), "a salted attempt");
    assert_ne!(first, token(&s, &p, "sg-2", 0), "another group");
    let fewer_subnets = Placement {
        subnet_ids: vec!["subnet-a".into()],
        ..placement()
    };
    assert_ne!(first, token(&s, &fewer_subnets, "sg-1", 0));
    let mut retagged = spec();
    retagged.tags.insert("team".into(), "ml".into());
    assert_ne!(first, token(&retagged, &p, "sg-1", 0));
    let mut repolicied = spec();
    repolicied.policy = PolicyDocument::new(vec![Statement::allow("B")
        .any_principal()
        .actions(["bedrock:InvokeModel"])
        .resources(["*"])]);
    assert_ne!(first, token(&repolicied, &p, "sg-1", 0));
    let other_stack = requests::create_request(&s, &p, "sg-1", 0, "other").client_token;
    assert_ne!(first, other_stack);
    // EC2 takes up to 64 ASCII characters.
    assert!(token(&s, &p, "sg-1", 9).len() <= 64);
    assert!(first.is_ascii());
}

use super::*;
use crate::api::{MockEc2Api, SecurityGroupRule, SubnetInfo, VpcDns, VpcInfo};
use crate::endpoints::{endpoint_address, ENDPOINT_TAG};
use crate::private_path::MANTLE;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::progress::{NoProgress, RecordedProgress};
use baseline_core::Action;
use baseline_core::Naming;
use std::sync::{Arc, Mutex};

fn ctx() -> AwsContext {
    AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
}

fn config() -> Config {
    Config {
        environment: "prod".into(),
        vpc_id: "vpc-1".into(),
        subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
        management_allowed_cidrs: vec!["10.20.0.0/16".parse().unwrap()],
        ..Config::default()
    }
}

fn spec_of<A: Ec2Api>(m: &NetworkModule<A>, c: &Config) -> NetworkSpec {
    m.spec(c, &()).unwrap()
}

fn group_info(g: &GroupSpec) -> SecurityGroupInfo {
    SecurityGroupInfo {
        group_id: format!("sg-{}", g.role.as_str()),
        name: g.name.clone(),
        vpc_id: "vpc-1".into(),
        description: g.description.clone(),
        tags: g.tags.clone(),
    }
}

fn converged_rules(g: &GroupSpec) -> Vec<SecurityGroupRule> {
    let mut out = Vec::new();
    for (egress, rules) in [(false, &g.ingress), (true, &g.egress)] {
        for (i, r) in rules.iter().enumerate() {
            out.push(SecurityGroupRule {
                rule_id: format!("sgr-{}-{egress}-{i}", g.role.as_str()),
                group_id: format!("sg-{}", g.role.as_str()),
                egress,
                protocol: "tcp".into(),
                from_port: 443,
                to_port: 443,
                peer: r.cidr.to_string(),
                description: Some(r.description.clone()),
            });
        }
    }
    out
}

fn endpoint_info(spec: &NetworkSpec, e: &EndpointSpec) -> EndpointInfo {
    EndpointInfo {
        endpoint_id: format!("vpce-{}", e.service),
        vpc_id: "vpc-1".into(),
        service_name: e.service_name.clone(),
        endpoint_type: "Interface".into(),
        state: "available".into(),
        state_message: None,
        subnet_ids: spec.placement.subnet_ids.clone(),
        security_group_ids: vec![format!("sg-{}", e.group.as_str())],
        route_table_ids: vec![],
        private_dns_enabled: true,
        policy: e.policy.to_json(),
        dns_names: vec![format!("{}.example", e.service)],
        tags: e.tags.clone(),
        created: 1,
    }
}

fn deployed(spec: &NetworkSpec) -> NetworkObserved {
    NetworkObserved {
        checks: CheckReport {
            availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
            ..CheckReport::default()
        },
        groups: spec
            .groups
            .iter()
            .map(|g| {
                (
                    g.role,
                    ObservedGroup {
                        info: group_info(g),
                        rules: converged_rules(g),
                    },
                )
            })
            .collect(),
        endpoints: spec
            .endpoints
            .iter()
            .map(|e| (e.service.clone(), endpoint_info(spec, e)))
            .collect(),
        ..NetworkObserved::default()
    }
}

#[test]
fn spec_has_three_groups_and_the_four_bedrock_endpoints_on_the_right_groups() {
    let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m, &config());
    assert_eq!(
        spec.groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>(),
        vec![
            "demo-prod-bedrock-management",
            "demo-prod-bedrock-runtime",
            "demo-prod-bedrock-general"
        ]
    );
    let placed: Vec<_> = spec
        .endpoints
        .iter()
        .map(|e| (e.service.as_str(), e.group))
        .collect();
    assert_eq!(
        placed,
        vec![
            ("bedrock", GroupRole::Management),
            ("bedrock-runtime", GroupRole::Runtime),
            ("bedrock-agent", GroupRole::Management),
            ("bedrock-agent-runtime", GroupRole::Runtime),
            ("bedrock-mantle", GroupRole::Runtime),
        ]
    );
    assert!(spec
        .endpoints
        .iter()
        .all(|e| e.only_if_offered == (e.service == MANTLE)));
    let rt = &spec.endpoints[1];
    assert_eq!(rt.service_name, "com.amazonaws.us-east-1.bedrock-runtime");
    assert_eq!(rt.tags[ENDPOINT_TAG], "bedrock-runtime");
    assert_eq!(rt.tags[STACK_TAG], "demo-prod");
}

#[test]
fn switches_and_extras_shape_the_endpoint_list() {
    let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let mut c = config();
    c.enable_bedrock_agent_endpoint = false;
    c.extra_endpoint_services = vec![
        baseline_core::config::EndpointService::Kms,
        baseline_core::config::EndpointService::S3,
    ];
    c.route_table_ids = vec!["rtb-01234567".into()];
    let spec = spec_of(&m, &c);
    let list: Vec<_> = spec
        .endpoints
        .iter()
        .map(|e| (e.service.as_str(), e.gateway, e.group))
        .collect();
    assert_eq!(
        list,
        vec![
            ("bedrock", false, GroupRole::Management),
            ("bedrock-runtime", false, GroupRole::Runtime),
            ("bedrock-agent-runtime", false, GroupRole::Runtime),
            ("bedrock-mantle", false, GroupRole::Runtime),
            ("kms", false, GroupRole::General),
            ("s3", true, GroupRole::General),
        ]
    );
}

#[test]
fn a_custom_policy_replaces_the_generated_one_and_a_wildcard_one_is_refused() {
    let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let mut c = config();
    let custom = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"*"}]}"#;
    c.custom_endpoint_policies
        .insert("bedrock-runtime".into(), custom.into());
    let spec = spec_of(&m, &c);
    let rt = spec
        .endpoints
        .iter()
        .find(|e| e.service == "bedrock-runtime")
        .unwrap();
    assert!(rt.custom_policy);
    assert!(rt
        .policy
        .equivalent(&PolicyDocument::parse(custom).unwrap()));
    c.custom_endpoint_policies.insert(
        "bedrock".into(),
        custom.replace("bedrock:InvokeModel", "bedrock:*"),
    );
    let Err(NetworkError::Precondition(p)) = m.spec(&c, &()) else {
        panic!("wildcard accepted")
    };
    assert_eq!(p.issues[0].path, "custom_endpoint_policies.bedrock");
}

#[test]
fn from_empty_the_plan_creates_groups_rules_and_endpoints() {
    let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m, &config());
    let changes = m.diff(&spec, &NetworkObserved::default());
    let count = |t: &str| {
        changes
            .iter()
            .filter(|c| c.resource_type == t && c.action == Action::Create)
            .count()
    };
    assert_eq!((count("security_group"), count("vpc_endpoint")), (3, 5));
    // management 1 + runtime 2 + general 1 ingress, 3 egress
    assert_eq!(count("security_group_rule"), 7);
    let rt = changes
        .iter()
        .find(|c| c.address == r#"network.endpoint["bedrock-runtime"]"#)
        .unwrap();
    let sg = rt
        .attributes
        .iter()
        .find(|a| a.name == "security_group_ids")
        .unwrap();
    assert_eq!(sg.after, Some(serde_json::json!(["(known after apply)"])));
    assert!(m
        .planned_outputs(&spec, &NetworkObserved::default())
        .is_none());
}

#[test]
fn a_deployed_stack_plans_no_change_and_knows_its_outputs() {
    let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m, &config());
    let observed = deployed(&spec);
    let changed: Vec<_> = m
        .diff(&spec, &observed)
        .into_iter()
        .filter(Change::is_change)
        .collect();
    assert!(changed.is_empty(), "{changed:#?}");
    let out = m.planned_outputs(&spec, &observed).unwrap();
    assert_eq!(
        out.endpoint_ids["bedrock-runtime"].as_str(),
        "vpce-bedrock-runtime"
    );
    assert_eq!(out.security_group_ids.general.as_str(), "sg-general");
}

#[tokio::test]
async fn a_converged_stack_applies_without_a_single_call() {
    // The mock has no expectations: any call would panic.
    let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m, &config());
    let out = m.apply(&spec, &deployed(&spec), &NoProgress).await.unwrap();
    assert_eq!(out.endpoint_ids.len(), 5);
    assert_eq!(out.dns_entries["bedrock"], vec!["bedrock.example"]);
}

/// A rule added by hand: SSH from anywhere into the runtime group.
fn add_ssh_rule(observed: &mut NetworkObserved) {
    observed
        .groups
        .get_mut(&GroupRole::Runtime)
        .unwrap()
        .rules
        .push(SecurityGroupRule {
            rule_id: "sgr-ssh".into(),
            group_id: "sg-runtime".into(),
            egress: false,
            protocol: "tcp".into(),
            from_port: 22,
            to_port: 22,
            peer: "0.0.0.0/0".into(),
            description: None,
        });
}

#[test]
fn drift_in_rules_and_policy_is_planned_precisely() {
    let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m, &config());
    let mut observed = deployed(&spec);
    add_ssh_rule(&mut observed);
    observed
        .endpoints
        .get_mut("bedrock-runtime")
        .unwrap()
        .policy =
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#.into();
    let changed: Vec<_> = m
        .diff(&spec, &observed)
        .into_iter()
        .filter(Change::is_change)
        .collect();
    let summary: Vec<_> = changed
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                r#"network.security_group_rule["runtime:ingress:tcp:22:0.0.0.0/0"]"#,
                Action::Delete
            ),
            (r#"network.endpoint["bedrock-runtime"]"#, Action::Update),
        ]
    );
    assert!(
        changed[1]
            .attributes
            .iter()
            .all(|a| a.name.starts_with("policy")),
        "{:?}",
        changed[1].attributes
    );
}

#[tokio::test]
async fn drift_is_repaired_with_one_revoke_and_one_modify() {
    let mut api = MockEc2Api::new();
    api.expect_revoke_ingress()
        .withf(|g, ids| g == "sg-runtime" && ids == ["sgr-ssh".to_owned()])
        .times(1)
        .returning(|_, _| Ok(()));
    api.expect_modify_endpoint()
        .withf(|m| {
            m.endpoint_id == "vpce-bedrock-runtime"
                && m.policy.is_some()
                && m.add_subnet_ids.is_empty()
        })
        .times(1)
        .returning(|_| Ok(()));
    let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m0, &config());
    let after = endpoint_info(
        &spec,
        spec.endpoints
            .iter()
            .find(|e| e.service == "bedrock-runtime")
            .unwrap(),
    );
    api.expect_describe_endpoint()
        .returning(move |_| Ok(Some(after.clone())));
    let m = NetworkModule::with_api(api, &ctx());
    let mut observed = deployed(&spec);
    add_ssh_rule(&mut observed);
    observed
        .endpoints
        .get_mut("bedrock-runtime")
        .unwrap()
        .policy = "{}".into();
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

/// No group of the stack, by name or by tag.
fn no_groups(api: &mut MockEc2Api) {
    api.expect_find_security_groups()
        .returning(|_, _| Ok(vec![]));
    api.expect_security_groups_tagged()
        .returning(|_, _| Ok(vec![]));
}

/// No group and no endpoint of the stack.
fn nothing_deployed(api: &mut MockEc2Api) {
    no_groups(api);
    api.expect_endpoints_tagged().returning(|_, _| Ok(vec![]));
}

fn good_reads(api: &mut MockEc2Api) {
    api.expect_offered_services()
        .returning(|names| Ok(names.to_vec()));
    good_reads_without_offer(api);
}

#[tokio::test]
async fn a_vpc_without_dns_hostnames_fails_observe_before_any_other_call() {
    let mut api = MockEc2Api::new();
    network_reads(
        &mut api,
        VpcDns {
            support: true,
            hostnames: false,
        },
        vec![subnet("subnet-a", "vpc-9", "us-east-1a")],
    );
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let err = m.observe(&spec).await.unwrap_err();
    let NetworkError::Precondition(p) = &err else {
        panic!("{err}")
    };
    let paths: Vec<_> = p.issues.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["enable_private_dns", "subnet_ids[0]", "subnet_ids[1]"]
    );
    let chain = std::error::Error::source(&err).unwrap();
    assert!(
        chain.downcast_ref::<PreconditionFailed>().is_some(),
        "the CLI finds it in the source chain"
    );
}

#[tokio::test]
async fn subnet_paths_use_the_config_order_not_the_sorted_one() {
    // Regression: the spec sorted subnet_ids, so `subnet_ids[1]` named the wrong entry.
    let mut api = MockEc2Api::new();
    network_reads(
        &mut api,
        DNS_ON,
        vec![
            subnet("subnet-a", "vpc-9", "us-east-1a"),
            subnet("subnet-b", "vpc-1", "us-east-1b"),
        ],
    );
    let m = NetworkModule::with_api(api, &ctx());
    let mut c = config();
    c.subnet_ids = vec!["subnet-b".into(), "subnet-a".into()];
    let Err(NetworkError::Precondition(p)) = m.observe(&spec_of(&m, &c)).await else {
        panic!("checks passed")
    };
    assert_eq!(
        p.issues.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(),
        vec!["subnet_ids[1]"]
    );
}

#[tokio::test]
async fn access_denied_on_create_group_is_reported_with_its_operation() {
    let mut api = MockEc2Api::new();
    api.expect_create_security_group().returning(|n, _, _, _| {
        Err(ApiError::synthetic(
            "ec2",
            "CreateSecurityGroup",
            n,
            ServiceErrorKind::AccessDenied,
            "UnauthorizedOperation: no",
        ))
    });
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let err = m
        .apply(&spec, &NetworkObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(&err, NetworkError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
    assert!(err.to_string().contains("ec2:CreateSecurityGroup"), "{err}");
}

fn groups_exist(spec: &NetworkSpec) -> NetworkObserved {
    let mut observed = deployed(spec);
    observed.endpoints.clear();
    observed
}

/// What CreateVpcEndpoint answers for `r`: interface endpoint `id`, in `state`.
fn created(r: &crate::api::CreateEndpoint, id: &str, state: &str) -> EndpointInfo {
    EndpointInfo {
        endpoint_id: id.into(),
        vpc_id: r.vpc_id.clone(),
        service_name: r.service_name.clone(),
        endpoint_type: "Interface".into(),
        state: state.into(),
        state_message: None,
        subnet_ids: r.subnet_ids.clone(),
        security_group_ids: r.security_group_ids.clone(),
        route_table_ids: vec![],
        private_dns_enabled: true,
        policy: r.policy.clone(),
        dns_names: vec![],
        tags: r.tags.clone(),
        created: 1,
    }
}

#[tokio::test]
async fn throttled_endpoint_create_fails_after_the_others_are_recorded() {
    let mut api = MockEc2Api::new();
    api.expect_create_endpoint().returning(|r| {
        if r.service_name.ends_with(".bedrock-agent") {
            return Err(ApiError::synthetic(
                "ec2",
                "CreateVpcEndpoint",
                &r.service_name,
                ServiceErrorKind::Throttled,
                "RequestLimitExceeded: slow down",
            ));
        }
        let id = format!("vpce-{}", r.service_name.rsplit('.').next().unwrap());
        Ok(created(r, &id, "available"))
    });
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let progress = RecordedProgress::default();
    let err = m
        .apply(&spec, &groups_exist(&spec), &progress)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NetworkError::Api(e) if e.kind == ServiceErrorKind::Throttled),
        "{err}"
    );
    let events = progress.0.lock().unwrap();
    assert!(events.iter().any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == r#"network.endpoint["bedrock"]"#)));
}

#[tokio::test]
async fn a_failed_endpoint_is_reported_with_its_state_message() {
    let mut api = MockEc2Api::new();
    api.expect_create_endpoint()
        .returning(|r| Ok(created(r, "vpce-x", "pending")));
    api.expect_describe_endpoint().returning(|id| {
        Ok(Some(EndpointInfo {
            endpoint_id: id.into(),
            vpc_id: "vpc-1".into(),
            service_name: String::new(),
            endpoint_type: "Interface".into(),
            state: "failed".into(),
            state_message: Some("private DNS conflicts with an existing hosted zone".into()),
            subnet_ids: vec![],
            security_group_ids: vec![],
            route_table_ids: vec![],
            private_dns_enabled: true,
            policy: String::new(),
            dns_names: vec![],
            tags: BTreeMap::new(),
            created: 1,
        }))
    });
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let err = m
        .apply(&spec, &groups_exist(&spec), &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NetworkError::EndpointFailed { state, .. } if state == "failed"),
        "{err}"
    );
    assert!(err.to_string().contains("hosted zone"), "{err}");
}

#[tokio::test]
async fn an_endpoint_still_pending_after_the_timeout_is_an_error() {
    let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let mut spec = spec_of(&m0, &config());
    spec.wait_timeout = Duration::ZERO;
    let mut observed = deployed(&spec);
    observed.endpoints.get_mut("bedrock").unwrap().state = "pending".into();
    let pending = observed.endpoints["bedrock"].clone();
    let mut api = MockEc2Api::new();
    api.expect_describe_endpoint()
        .returning(move |_| Ok(Some(pending.clone())));
    let m = NetworkModule::with_api(api, &ctx());
    let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(
        matches!(&err, NetworkError::WaitTimeout { service, state, .. } if service == "bedrock" && state == "pending"),
        "{err}"
    );
}

#[tokio::test]
async fn an_endpoint_deleted_between_observe_and_apply_fails_with_not_found() {
    let mut api = MockEc2Api::new();
    api.expect_modify_endpoint().returning(|r| {
        Err(ApiError::synthetic(
            "ec2",
            "ModifyVpcEndpoint",
            &r.endpoint_id,
            ServiceErrorKind::NotFound,
            "InvalidVpcEndpointId.NotFound: gone",
        ))
    });
    let m = NetworkModule::with_api(api, &ctx());
    let observed = deployed(&spec_of(&m, &config()));
    let mut c = config();
    c.subnet_ids.push("subnet-c".into());
    let spec = spec_of(&m, &c);
    let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(
        matches!(&err, NetworkError::Api(e) if e.is_not_found()),
        "{err}"
    );
}

#[tokio::test]
async fn an_endpoint_deleted_and_wanted_in_another_subnet_is_created_without_a_token_mismatch() {
    // As EC2 does: a token is remembered with its request, and the token sent again with other
    // parameters is refused (IdempotentParameterMismatch).
    let memory = Arc::new(Mutex::new(
        BTreeMap::<String, crate::api::CreateEndpoint>::new(),
    ));
    let mut api = MockEc2Api::new();
    let seen = Arc::clone(&memory);
    api.expect_create_endpoint().returning(move |r| {
        let mut seen = seen.lock().unwrap();
        if seen.get(&r.client_token).is_some_and(|first| first != r) {
            return Err(ApiError::synthetic(
                "ec2",
                "CreateVpcEndpoint",
                &r.service_name,
                ServiceErrorKind::Validation,
                "IdempotentParameterMismatch: the token was used with other parameters",
            ));
        }
        seen.insert(r.client_token.clone(), r.clone());
        Ok(created(r, &format!("vpce-{}", seen.len()), "available"))
    });
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    m.apply(&spec, &groups_exist(&spec), &NoProgress)
        .await
        .unwrap();
    let first_round = memory.lock().unwrap().len();
    // The endpoints were deleted by hand since, and the config now names a third subnet.
    let mut c = config();
    c.subnet_ids.push("subnet-c".into());
    let spec = spec_of(&m, &c);
    m.apply(&spec, &groups_exist(&spec), &NoProgress)
        .await
        .unwrap();
    assert!(memory.lock().unwrap().len() > first_round);
}

#[tokio::test]
async fn a_replayed_token_of_a_deleted_endpoint_is_salted() {
    let mut api = MockEc2Api::new();
    api.expect_create_endpoint().returning(|r| {
        let replayed = !r.client_token.ends_with("-1");
        Ok(if replayed {
            created(r, "vpce-old", "deleted")
        } else {
            created(r, "vpce-new", "available")
        })
    });
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let out = m
        .apply(&spec, &groups_exist(&spec), &NoProgress)
        .await
        .unwrap();
    assert!(out
        .endpoint_ids
        .values()
        .all(|id| id.as_str() == "vpce-new"));
}

#[tokio::test]
async fn destroy_observes_without_the_live_checks() {
    // No expectation on find_vpc/find_subnets: calling them would fail the test. A stack
    // whose VPC is gone can still be destroyed.
    let mut api = MockEc2Api::new();
    nothing_deployed(&mut api);
    let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m0, &config());
    let m = NetworkModule::with_api(api, &ctx());
    let observed = m.observe_for_destroy(&spec).await.unwrap();
    assert!(m
        .destroy_plan(&spec, &observed, DestroyOptions::default())
        .is_empty());
}

#[tokio::test]
async fn observe_keeps_the_available_duplicate_and_plans_the_other_for_deletion() {
    let mut api = MockEc2Api::new();
    good_reads(&mut api);
    let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
    let spec = spec_of(&m0, &config());
    let rt = spec
        .endpoints
        .iter()
        .find(|e| e.service == "bedrock-runtime")
        .unwrap();
    let mut good = endpoint_info(&spec, rt);
    good.created = 1;
    let mut dup = good.clone();
    dup.endpoint_id = "vpce-dup".into();
    dup.state = "pending".into();
    dup.created = 2;
    let mut deleted = good.clone();
    deleted.endpoint_id = "vpce-deleted".into();
    deleted.state = "deleted".into();
    no_groups(&mut api);
    api.expect_endpoints_tagged()
        .returning(move |_, _| Ok(vec![dup.clone(), good.clone(), deleted.clone()]));
    let m = NetworkModule::with_api(api, &ctx());
    let observed = m.observe(&spec).await.unwrap();
    assert_eq!(
        observed.endpoints["bedrock-runtime"].endpoint_id,
        "vpce-bedrock-runtime"
    );
    assert_eq!(
        observed
            .stray_endpoints
            .iter()
            .map(|e| e.endpoint_id.as_str())
            .collect::<Vec<_>>(),
        vec!["vpce-dup"]
    );
    let deletes: Vec<_> = m
        .diff(&spec, &observed)
        .into_iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address)
        .collect();
    assert_eq!(
        deletes,
        vec![r#"network.endpoint["bedrock-runtime/vpce-dup"]"#]
    );
}

#[tokio::test]
async fn destroy_deletes_endpoints_before_groups() {
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut api = MockEc2Api::new();
    let o = order.clone();
    api.expect_delete_endpoints()
        .times(1)
        .returning(move |ids| {
            o.lock().unwrap().push(format!("endpoints:{}", ids.len()));
            Ok(())
        });
    api.expect_describe_endpoint().returning(|_| Ok(None));
    let o = order.clone();
    api.expect_delete_security_group()
        .times(3)
        .returning(move |id| {
            o.lock().unwrap().push(id.to_owned());
            Ok(())
        });
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let observed = deployed(&spec);
    let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
    assert_eq!(
        plan.iter().filter(|c| c.action == Action::Delete).count(),
        8
    );
    m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        order.lock().unwrap().first().map(String::as_str),
        Some("endpoints:5")
    );
}

#[tokio::test]
async fn mantle_is_skipped_with_a_note_where_the_region_does_not_offer_it() {
    let mut api = MockEc2Api::new();
    good_reads_without_offer(&mut api);
    api.expect_offered_services()
        .withf(|names| names == ["com.amazonaws.us-east-1.bedrock-mantle".to_owned()])
        .times(1)
        .returning(|_| Ok(vec![]));
    nothing_deployed(&mut api);
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let observed = m.observe(&spec).await.unwrap();
    let changes = m.diff(&spec, &observed);
    let mantle: Vec<_> = changes
        .iter()
        .filter(|c| c.address == endpoint_address(MANTLE))
        .collect();
    assert_eq!(mantle.len(), 1, "{changes:#?}");
    assert_eq!(mantle[0].action, Action::NoOp);
    assert!(mantle[0]
        .note
        .as_deref()
        .unwrap()
        .contains("does not offer"));
    assert_eq!(
        changes
            .iter()
            .filter(|c| c.resource_type == "vpc_endpoint" && c.action == Action::Create)
            .count(),
        4
    );
    // Converged without it: outputs know the four others.
    let mut deployed = deployed(&resolved(&spec, &observed));
    deployed.offered_services = Some(vec![]);
    let out = m.planned_outputs(&spec, &deployed).unwrap();
    assert!(!out.endpoint_ids.contains_key(MANTLE));
    assert_eq!(out.endpoint_ids.len(), 4);
}

fn good_reads_without_offer(api: &mut MockEc2Api) {
    network_reads(
        api,
        DNS_ON,
        vec![
            subnet("subnet-a", "vpc-1", "us-east-1a"),
            subnet("subnet-b", "vpc-1", "us-east-1b"),
        ],
    );
}

const DNS_ON: VpcDns = VpcDns {
    support: true,
    hostnames: true,
};

fn subnet(id: &str, vpc: &str, az: &str) -> SubnetInfo {
    SubnetInfo {
        subnet_id: id.into(),
        vpc_id: vpc.into(),
        availability_zone: az.into(),
    }
}

/// The live checks' reads: the VPC with 10.0.0.0/16, its DNS attributes, the subnets.
fn network_reads(api: &mut MockEc2Api, dns: VpcDns, subnets: Vec<SubnetInfo>) {
    api.expect_find_vpc().returning(|id| {
        Ok(Some(VpcInfo {
            vpc_id: id.into(),
            cidr_blocks: vec!["10.0.0.0/16".into()],
        }))
    });
    api.expect_find_subnets()
        .returning(move |_| Ok(subnets.clone()));
    api.expect_vpc_dns().returning(move |_| Ok(dns));
}

#[tokio::test]
async fn private_only_adds_logs_and_an_s3_gateway_on_the_subnets_route_tables() {
    let mut api = MockEc2Api::new();
    good_reads(&mut api);
    api.expect_route_tables()
        .withf(|vpc| vpc == "vpc-1")
        .times(1)
        .returning(|_| {
            Ok(vec![
                crate::api::RouteTableInfo {
                    route_table_id: "rtb-main".into(),
                    main: true,
                    subnet_ids: vec![],
                },
                crate::api::RouteTableInfo {
                    route_table_id: "rtb-a".into(),
                    main: false,
                    subnet_ids: vec!["subnet-a".into()],
                },
            ])
        });
    nothing_deployed(&mut api);
    let m = NetworkModule::with_api(api, &ctx());
    let mut c = config();
    c.private_only = true;
    c.enable_bedrock_mantle_endpoint = false;
    c.extra_endpoint_services = vec![baseline_core::config::EndpointService::Logs];
    let spec = spec_of(&m, &c);
    let extra: Vec<_> = spec
        .endpoints
        .iter()
        .filter(|e| !e.service.starts_with("bedrock"))
        .map(|e| (e.service.as_str(), e.gateway, e.group))
        .collect();
    assert_eq!(
        extra,
        vec![
            ("logs", false, GroupRole::General),
            ("s3", true, GroupRole::General)
        ],
        "logs listed once"
    );
    let s3 = spec.endpoints.iter().find(|e| e.service == "s3").unwrap();
    let st = &s3.policy.statement[0];
    assert_eq!(
        st.condition_values("StringEquals", "aws:PrincipalAccount")
            .unwrap()
            .0,
        vec![spec.policy_ctx.account_id.clone()],
        "Principal * only with this account"
    );
    let observed = m.observe(&spec).await.unwrap();
    assert_eq!(observed.subnet_route_table_ids, vec!["rtb-a", "rtb-main"]);
    let changes = m.diff(&spec, &observed);
    let gateway = changes
        .iter()
        .find(|c| c.address == endpoint_address("s3"))
        .unwrap();
    let after = gateway
        .attributes
        .iter()
        .find(|a| a.name == "route_table_ids")
        .and_then(|a| a.after.clone())
        .unwrap();
    assert_eq!(after, serde_json::json!(["rtb-a", "rtb-main"]));
}

#[tokio::test]
async fn apply_announces_once_exactly_the_outputs_it_returns() {
    let mut api = MockEc2Api::new();
    api.expect_create_endpoint().returning(|r| {
        let id = format!("vpce-{}", r.service_name.rsplit('.').next().unwrap());
        Ok(created(r, &id, "available"))
    });
    let m = NetworkModule::with_api(api, &ctx());
    let spec = spec_of(&m, &config());
    let progress = RecordedProgress::default();
    let out = m
        .apply(&spec, &groups_exist(&spec), &progress)
        .await
        .unwrap();
    assert_eq!(
        *progress.1.lock().unwrap(),
        vec![serde_json::to_value(&out).unwrap()],
        "downstream starts with the outputs apply ends with"
    );
}

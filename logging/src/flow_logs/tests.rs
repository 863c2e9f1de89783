use super::*;

fn spec(enabled: bool) -> FlowLogsSpec {
    let lg = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock/demo-prod/vpc-flow-logs";
    FlowLogsSpec {
        enabled,
        log_group: LogGroupSpec {
            name: "/aws/bedrock/demo-prod/vpc-flow-logs".into(),
            arn: lg.into(),
            enabled,
            retention_in_days: 30,
            tags: BTreeMap::new(),
        },
        role: RoleSpec {
            name: "demo-prod-vpc-flow-logs".into(),
            arn: "arn:aws:iam::123456789012:role/demo-prod-vpc-flow-logs".into(),
            enabled,
            description: String::new(),
            trust_policy: flow_logs_trust_policy("aws", "123456789012", "us-east-1"),
            policy: flow_logs_role_policy(lg),
            permissions_boundary_arn: None,
            tags: BTreeMap::new(),
        },
        traffic_type: "ALL".into(),
        endpoint_ids: None,
        tags: BTreeMap::new(),
        stack: "demo-prod".into(),
    }
}

fn flow_log(id: &str, eni: &str, traffic: &str) -> FlowLogInfo {
    let s = spec(true);
    FlowLogInfo {
        flow_log_id: id.into(),
        resource_id: eni.into(),
        traffic_type: traffic.into(),
        log_destination_type: "cloud-watch-logs".into(),
        log_group_name: Some(s.log_group.name.clone()),
        deliver_logs_permission_arn: Some(s.role.arn.clone()),
        tags: BTreeMap::new(),
    }
}

#[test]
fn trust_is_the_flow_logs_service_with_both_confused_deputy_conditions() {
    let doc = flow_logs_trust_policy("aws", "123456789012", "eu-west-1");
    let st = &doc.statement[0];
    assert_eq!(
        st.deputy_conditions(),
        (
            vec!["123456789012"],
            vec!["arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*"]
        )
    );
    let p = flow_logs_role_policy("arn:aws:logs:eu-west-1:1:log-group:g");
    assert!(!p.has_wildcard_allow());
    assert_eq!(
        p.statement[0].resource.as_ref().unwrap().0,
        vec![
            "arn:aws:logs:eu-west-1:1:log-group:g",
            "arn:aws:logs:eu-west-1:1:log-group:g:log-stream:*"
        ]
    );
}

#[test]
fn interfaces_are_those_of_live_interface_endpoints_network_reports() {
    let e = |id: &str, t: &str, state: &str, enis: &[&str]| EndpointInterfaces {
        endpoint_id: id.into(),
        endpoint_type: t.into(),
        state: state.into(),
        network_interface_ids: enis.iter().map(|s| (*s).to_owned()).collect(),
    };
    let endpoints = [
        e("vpce-1", "Interface", "available", &["eni-a", "eni-b"]),
        e("vpce-2", "Gateway", "available", &[]),
        e("vpce-3", "Interface", "deleting", &["eni-c"]),
        e("vpce-4", "Interface", "available", &["eni-d"]),
    ];
    let all = interfaces(&endpoints, None);
    assert_eq!(all.keys().collect::<Vec<_>>(), ["eni-a", "eni-b", "eni-d"]);
    let only = BTreeSet::from(["vpce-1".to_owned()]);
    assert_eq!(interfaces(&endpoints, Some(&only)).len(), 2);
}

#[test]
fn converged_flow_logs_plan_nothing_and_an_added_endpoint_gets_one() {
    let s = spec(true);
    let mut observed = ObservedFlowLogs {
        interfaces: BTreeMap::from([("eni-a".into(), "vpce-1".into())]),
        flow_logs: vec![flow_log("fl-1", "eni-a", "ALL")],
        ..ObservedFlowLogs::default()
    };
    assert_eq!(work(&s, &observed), FlowLogWork::default());
    observed.interfaces.insert("eni-b".into(), "vpce-2".into());
    assert_eq!(
        work(&s, &observed),
        FlowLogWork {
            delete: vec![],
            create: vec!["eni-b".into()]
        }
    );
}

#[test]
fn a_removed_interface_a_changed_setting_and_a_duplicate_are_deleted() {
    let s = spec(true);
    let observed = ObservedFlowLogs {
        interfaces: BTreeMap::from([
            ("eni-a".into(), "vpce-1".into()),
            ("eni-b".into(), "vpce-1".into()),
        ]),
        flow_logs: vec![
            flow_log("fl-1", "eni-a", "ALL"),
            flow_log("fl-2", "eni-a", "ALL"),
            flow_log("fl-3", "eni-b", "REJECT"),
            flow_log("fl-4", "eni-gone", "ALL"),
        ],
        ..ObservedFlowLogs::default()
    };
    let w = work(&s, &observed);
    let deleted: Vec<&str> = w.delete.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(deleted, ["fl-2", "fl-3", "fl-4"]);
    assert_eq!(w.create, ["eni-b"]);
    let changes = diff(&s, &observed, Some("arn:key"));
    assert!(changes
        .iter()
        .any(|c| c.address == flow_log_address("eni-gone") && c.action == Action::Delete));
}

#[test]
fn switched_off_deletes_every_flow_log_and_keeps_the_group() {
    let s = spec(false);
    let observed = ObservedFlowLogs {
        interfaces: BTreeMap::from([("eni-a".into(), "vpce-1".into())]),
        flow_logs: vec![flow_log("fl-1", "eni-a", "ALL")],
        log_group: Some(ObservedLogGroup {
            info: crate::api::LogGroupInfo {
                name: s.log_group.name.clone(),
                arn: s.log_group.arn.clone(),
                kms_key_id: None,
                retention_in_days: Some(30),
            },
            tags: BTreeMap::new(),
        }),
        ..ObservedFlowLogs::default()
    };
    assert_eq!(work(&s, &observed).delete.len(), 1);
    let changes = diff(&s, &observed, None);
    let g = changes
        .iter()
        .find(|c| c.address == FLOW_LOG_GROUP)
        .unwrap();
    assert_eq!(g.action, Action::NoOp);
    assert!(g.note.as_deref().unwrap().contains("kept"));
}

#[test]
fn client_tokens_differ_per_interface_and_parameter_sent() {
    let token = |s: &FlowLogsSpec, eni: &str| new_flow_log(s, eni).client_token;
    let s = spec(true);
    let mut other = s.clone();
    other.traffic_type = "REJECT".into();
    let mut retagged = s.clone();
    retagged.tags.insert("team".into(), "ml".into());
    assert_eq!(token(&s, "eni-a"), token(&s, "eni-a"));
    assert_ne!(token(&s, "eni-a"), token(&s, "eni-b"));
    assert_ne!(token(&s, "eni-a"), token(&other, "eni-a"));
    assert_ne!(token(&s, "eni-a"), token(&retagged, "eni-a"));
    assert!(token(&s, "eni-a").len() <= 64);
}

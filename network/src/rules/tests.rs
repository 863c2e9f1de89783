use super::*;
use crate::groups::tests::runtime;
use baseline_core::Action;

fn rule(
    id: &str,
    egress: bool,
    proto: &str,
    from: i32,
    to: i32,
    peer: &str,
    description: Option<&str>,
) -> SecurityGroupRule {
    SecurityGroupRule {
        rule_id: id.into(),
        group_id: "sg-1".into(),
        egress,
        protocol: proto.into(),
        from_port: from,
        to_port: to,
        peer: peer.into(),
        description: description.map(str::to_owned),
    }
}

fn converged(spec: &GroupSpec) -> Vec<SecurityGroupRule> {
    let mut out = Vec::new();
    for (i, r) in spec.ingress.iter().enumerate() {
        out.push(rule(
            &format!("sgr-i{i}"),
            false,
            "tcp",
            443,
            443,
            &r.cidr.to_string(),
            Some(&r.description),
        ));
    }
    out.push(rule(
        "sgr-e",
        true,
        "tcp",
        443,
        443,
        "10.0.0.0/16",
        Some("HTTPS inside the VPC only"),
    ));
    out
}

#[test]
fn a_new_group_revokes_the_default_egress_and_authorizes_everything() {
    let spec = runtime();
    let plan = plan_rules(
        &spec,
        &[rule("sgr-default", true, "-1", -1, -1, "0.0.0.0/0", None)],
    );
    assert_eq!(plan.authorize_ingress.len(), 2);
    assert_eq!(plan.authorize_egress.len(), 1);
    assert_eq!(plan.revoke_egress, vec!["sgr-default"]);
    let deleted: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.clone())
        .collect();
    assert_eq!(
        deleted,
        vec![r#"network.security_group_rule["runtime:egress:all:all:0.0.0.0/0"]"#]
    );
}

#[test]
fn converged_rules_are_no_ops() {
    let spec = runtime();
    let plan = plan_rules(&spec, &converged(&spec));
    assert!(plan.is_empty(), "{plan:?}");
    assert!(plan.changes.iter().all(|c| !c.is_change()));
}

#[test]
fn a_hand_added_ssh_rule_is_planned_as_a_revoke_by_id() {
    let spec = runtime();
    let mut observed = converged(&spec);
    observed.push(rule("sgr-ssh", false, "tcp", 22, 22, "0.0.0.0/0", None));
    let plan = plan_rules(&spec, &observed);
    assert_eq!(plan.revoke_ingress, vec!["sgr-ssh"]);
    let c = plan
        .changes
        .iter()
        .find(|c| c.action == Action::Delete)
        .unwrap();
    assert_eq!(
        c.address,
        r#"network.security_group_rule["runtime:ingress:tcp:22:0.0.0.0/0"]"#
    );
    assert!(c.note.as_deref().unwrap().contains("sgr-ssh"));
}

#[test]
fn changed_cidrs_authorize_new_and_revoke_old_rules() {
    let spec = runtime();
    let mut observed = converged(&spec);
    observed[1] = rule(
        "sgr-old",
        false,
        "tcp",
        443,
        443,
        "10.50.0.0/16",
        Some("old"),
    );
    let plan = plan_rules(&spec, &observed);
    assert_eq!(
        plan.authorize_ingress
            .iter()
            .map(|r| r.cidr.to_string())
            .collect::<Vec<_>>(),
        vec!["10.40.0.0/16"]
    );
    assert_eq!(plan.revoke_ingress, vec!["sgr-old"]);
}

#[test]
fn a_changed_description_is_an_update_of_that_rule() {
    let spec = runtime();
    let mut observed = converged(&spec);
    observed[0].description = Some("edited".into());
    let plan = plan_rules(&spec, &observed);
    assert_eq!(plan.describe.len(), 1);
    assert_eq!(plan.describe[0].0, "sgr-i0");
    let c = plan
        .changes
        .iter()
        .find(|c| c.action == Action::Update)
        .unwrap();
    assert_eq!(c.attributes[0].name, "description");
}

#[test]
fn protocol_numbers_and_port_ranges_have_readable_keys() {
    assert_eq!(
        rule_key("general", false, "6", 0, 65535, "sg-1"),
        "general:ingress:tcp:0-65535:sg-1"
    );
    assert_eq!(
        rule_key("general", true, "-1", -1, -1, "::/0"),
        "general:egress:all:all:::/0"
    );
}

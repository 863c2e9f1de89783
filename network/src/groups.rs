//! The three security groups of the endpoints and their rules: pure spec and diff.
//!
//! - `management` (`bedrock`, `bedrock-agent`): ingress TCP 443 from `management_allowed_cidrs`;
//! - `runtime` (`bedrock-runtime`, `bedrock-agent-runtime`): from `runtime_allowed_cidrs`;
//! - `general` (extra services): from `vpc_cidr`.
//!
//! Every group's egress is only TCP 443 to `vpc_cidr`: AWS's default allow-all egress rule is not
//! in the spec, so it is revoked like any rule added by hand. Each rule has its own address,
//! `network.security_group_rule["<group>:<direction>:<protocol>:<ports>:<peer>"]`, so a plan names
//! exactly which rule is added or revoked.

use crate::api::{RuleSpec, SecurityGroupInfo, SecurityGroupRule};
use baseline_core::Change;
use ipnet::IpNet;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The role of a security group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupRole {
    /// Management endpoints.
    Management,
    /// Runtime endpoints.
    Runtime,
    /// Extra services.
    General,
}

impl GroupRole {
    /// Every role, in plan order.
    pub const ALL: [GroupRole; 3] = [
        GroupRole::Management,
        GroupRole::Runtime,
        GroupRole::General,
    ];

    /// `management`, `runtime`, `general`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Management => "management",
            Self::Runtime => "runtime",
            Self::General => "general",
        }
    }

    /// The suffix of the group name: `bedrock-<role>`.
    pub fn name_suffix(self) -> &'static str {
        match self {
            Self::Management => "bedrock-management",
            Self::Runtime => "bedrock-runtime",
            Self::General => "bedrock-general",
        }
    }

    /// The group of a service's endpoint.
    pub fn for_service(service: &str) -> GroupRole {
        match service {
            "bedrock" | "bedrock-agent" => Self::Management,
            "bedrock-runtime" | "bedrock-agent-runtime" | "bedrock-mantle" => Self::Runtime,
            _ => Self::General,
        }
    }
}

/// The port every rule opens.
pub(crate) const HTTPS: i32 = 443;

/// A desired security group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSpec {
    /// Its role.
    pub role: GroupRole,
    /// `<prefix>-bedrock-<role>`.
    pub name: String,
    /// Group description.
    pub description: String,
    /// Tags (stack tags and `Name`).
    pub tags: BTreeMap<String, String>,
    /// Ingress rules.
    pub ingress: Vec<RuleSpec>,
    /// Egress rules.
    pub egress: Vec<RuleSpec>,
}

impl GroupSpec {
    /// The address of the group.
    pub fn address(&self) -> String {
        group_address(self.role.as_str())
    }
}

/// `network.security_group["<key>"]`.
pub(crate) fn group_address(key: &str) -> String {
    format!("network.security_group[\"{key}\"]")
}

/// An HTTPS rule with its description.
pub(crate) fn https_rule(cidr: IpNet, description: String) -> RuleSpec {
    RuleSpec {
        protocol: "tcp".into(),
        from_port: HTTPS,
        to_port: HTTPS,
        cidr,
        description,
    }
}

/// The desired group of a role.
pub(crate) fn group_spec(
    role: GroupRole,
    name: String,
    stack: &str,
    allowed: &[IpNet],
    vpc_cidr: IpNet,
    tags: BTreeMap<String, String>,
) -> GroupSpec {
    let what = match role {
        GroupRole::Management => "Bedrock management endpoints (bedrock, bedrock-agent)",
        GroupRole::Runtime => "Bedrock runtime endpoints (bedrock-runtime, bedrock-agent-runtime)",
        GroupRole::General => "extra service endpoints",
    };
    let mut ingress: Vec<RuleSpec> = allowed
        .iter()
        .map(|c| {
            https_rule(
                c.trunc(),
                format!("HTTPS from {c} to the {} endpoints", role.as_str()),
            )
        })
        .collect();
    ingress.sort();
    ingress.dedup_by(|a, b| a.cidr == b.cidr);
    GroupSpec {
        role,
        description: format!("bedrock-baseline {stack}: {what}, HTTPS only"),
        name,
        tags,
        ingress,
        egress: vec![https_rule(
            vpc_cidr.trunc(),
            "HTTPS inside the VPC only".into(),
        )],
    }
}

/// The identity of a rule: direction, protocol, ports and peer (not the description).
pub(crate) fn rule_key(
    role: &str,
    egress: bool,
    protocol: &str,
    from: i32,
    to: i32,
    peer: &str,
) -> String {
    let direction = if egress { "egress" } else { "ingress" };
    let protocol = match protocol {
        "-1" | "all" => "all",
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        other => other,
    };
    let ports = if protocol == "all" || (from == -1 && to == -1) {
        "all".to_owned()
    } else if from == to {
        from.to_string()
    } else {
        format!("{from}-{to}")
    };
    format!("{role}:{direction}:{protocol}:{ports}:{peer}")
}

/// `network.security_group_rule["<key>"]`.
pub(crate) fn rule_address(key: &str) -> String {
    format!("network.security_group_rule[\"{key}\"]")
}

fn spec_key(role: GroupRole, egress: bool, r: &RuleSpec) -> String {
    rule_key(
        role.as_str(),
        egress,
        &r.protocol,
        r.from_port,
        r.to_port,
        &r.cidr.to_string(),
    )
}

fn observed_key(role: &str, r: &SecurityGroupRule) -> String {
    // Normalise CIDRs so `10.0.0.0/16` and what AWS returns compare equal.
    let peer = r
        .peer
        .parse::<IpNet>()
        .map(|n| n.trunc().to_string())
        .unwrap_or_else(|_| r.peer.clone());
    rule_key(role, r.egress, &r.protocol, r.from_port, r.to_port, &peer)
}

fn spec_view(role: GroupRole, egress: bool, r: &RuleSpec) -> Value {
    json!({
        "group": role.as_str(),
        "direction": if egress { "egress" } else { "ingress" },
        "protocol": r.protocol,
        "from_port": r.from_port,
        "to_port": r.to_port,
        "cidr": r.cidr.to_string(),
        "description": r.description,
    })
}

fn observed_view(role: &str, r: &SecurityGroupRule) -> Value {
    json!({
        "group": role,
        "direction": if r.egress { "egress" } else { "ingress" },
        "protocol": r.protocol,
        "from_port": r.from_port,
        "to_port": r.to_port,
        "cidr": r.peer,
        "description": r.description,
    })
}

/// What must happen to one group's rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct RulePlan {
    /// Ingress rules to authorize.
    pub authorize_ingress: Vec<RuleSpec>,
    /// Egress rules to authorize.
    pub authorize_egress: Vec<RuleSpec>,
    /// Ingress rule ids to revoke.
    pub revoke_ingress: Vec<String>,
    /// Egress rule ids to revoke.
    pub revoke_egress: Vec<String>,
    /// Rules whose description differs: (rule id, desired rule).
    pub describe: Vec<(String, RuleSpec)>,
    /// One change per rule, for the plan.
    pub changes: Vec<Change>,
}

impl RulePlan {
    /// True when no call is needed.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.authorize_ingress.is_empty()
            && self.authorize_egress.is_empty()
            && self.revoke_ingress.is_empty()
            && self.revoke_egress.is_empty()
            && self.describe.is_empty()
    }
}

/// Desired vs observed rules of one group, both ways: missing rules are authorized, rules not in
/// the spec (the default egress, rules added by hand) are revoked by id.
pub(crate) fn plan_rules(spec: &GroupSpec, observed: &[SecurityGroupRule]) -> RulePlan {
    let role = spec.role.as_str();
    let mut plan = RulePlan::default();
    let mut seen = std::collections::BTreeSet::new();
    for (egress, rules) in [(false, &spec.ingress), (true, &spec.egress)] {
        for rule in rules {
            let key = spec_key(spec.role, egress, rule);
            seen.insert(key.clone());
            let after = spec_view(spec.role, egress, rule);
            match observed.iter().find(|o| observed_key(role, o) == key) {
                None => {
                    plan.changes.push(Change::create(
                        rule_address(&key),
                        "security_group_rule",
                        &after,
                    ));
                    if egress {
                        plan.authorize_egress.push(rule.clone());
                    } else {
                        plan.authorize_ingress.push(rule.clone());
                    }
                }
                Some(found) => {
                    let mut before = observed_view(role, found);
                    // The CIDR compares by identity (the key), not by spelling.
                    before["cidr"] = after["cidr"].clone();
                    let change = Change::compare(
                        rule_address(&key),
                        "security_group_rule",
                        &before,
                        &after,
                        &[],
                    );
                    if change.is_change() {
                        plan.describe.push((found.rule_id.clone(), rule.clone()));
                    }
                    plan.changes.push(change);
                }
            }
        }
    }
    for rule in observed {
        let key = observed_key(role, rule);
        if seen.contains(&key) {
            continue;
        }
        let mut before = observed_view(role, rule);
        before["rule_id"] = json!(rule.rule_id);
        plan.changes.push(
            Change::delete(rule_address(&key), "security_group_rule", &before).with_note(format!(
                "not in the configuration: revoked by id {}",
                rule.rule_id
            )),
        );
        if rule.egress {
            plan.revoke_egress.push(rule.rule_id.clone());
        } else {
            plan.revoke_ingress.push(rule.rule_id.clone());
        }
    }
    plan
}

/// The group's own attributes as the plan shows them (rules have their own addresses).
pub(crate) fn group_view(spec: &GroupSpec, vpc_id: &str) -> Value {
    json!({"name": spec.name, "vpc_id": vpc_id, "tags": spec.tags})
}

/// The observed group's attributes.
pub(crate) fn observed_group_view(info: &SecurityGroupInfo) -> Value {
    json!({"name": info.name, "vpc_id": info.vpc_id, "tags": visible_tags(&info.tags)})
}

/// Tags without AWS-reserved `aws:` keys.
pub(crate) fn visible_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !k.starts_with("aws:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use baseline_core::Action;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn runtime() -> GroupSpec {
        group_spec(
            GroupRole::Runtime,
            "demo-prod-bedrock-runtime".into(),
            "demo-prod",
            &[net("10.30.0.0/16"), net("10.40.0.0/16")],
            net("10.0.0.0/16"),
            BTreeMap::new(),
        )
    }

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
    fn spec_opens_only_https_from_the_allowed_networks_and_to_the_vpc() {
        let spec = runtime();
        assert_eq!(
            spec.ingress
                .iter()
                .map(|r| r.cidr.to_string())
                .collect::<Vec<_>>(),
            vec!["10.30.0.0/16", "10.40.0.0/16"]
        );
        for r in spec.ingress.iter().chain(&spec.egress) {
            assert_eq!(
                (r.protocol.as_str(), r.from_port, r.to_port),
                ("tcp", 443, 443)
            );
            assert!(!r.description.is_empty());
        }
        assert_eq!(spec.egress.len(), 1);
        assert_eq!(spec.egress[0].cidr, net("10.0.0.0/16"));
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
}

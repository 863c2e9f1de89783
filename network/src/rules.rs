//! The rules of the three security groups, each its own resource: pure spec, plan and the
//! calls that converge them.
//!
//! Every group's egress is only TCP 443 to `vpc_cidr`: AWS's default allow-all egress rule is not
//! in the spec, so it is revoked like any rule added by hand. Each rule has its own address,
//! `network.security_group_rule["<group>:<direction>:<protocol>:<ports>:<peer>"]`, so a plan names
//! exactly which rule is added or revoked.

use crate::api::{Ec2Api, RuleSpec, SecurityGroupRule};
use crate::groups::{GroupRole, GroupSpec};
use crate::NetworkError;
use baseline_core::resource::{Planned, Step};
use baseline_core::{Change, Progress};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The port every rule opens.
pub(crate) const HTTPS: i32 = 443;

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

/// One write on a rule, as its change carries it. Apply batches them per group
/// ([`RulePlan`]): authorizations before revokes, so a changed CIDR list never leaves a
/// moment with neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum RuleOp {
    /// AuthorizeSecurityGroupIngress / AuthorizeSecurityGroupEgress.
    Authorize {
        /// An egress rule.
        egress: bool,
    },
    /// ModifySecurityGroupRules: its description.
    Describe {
        /// The rule.
        rule_id: String,
    },
    /// RevokeSecurityGroupIngress / RevokeSecurityGroupEgress by rule id.
    Revoke {
        /// An egress rule.
        egress: bool,
        /// The rule.
        rule_id: String,
    },
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
                    let change = Change::create(rule_address(&key), "security_group_rule", &after);
                    let op = RuleOp::Authorize { egress };
                    plan.changes.push(Planned::new(change, vec![op]).shown());
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
                    let ops = if change.is_change() {
                        plan.describe.push((found.rule_id.clone(), rule.clone()));
                        vec![RuleOp::Describe {
                            rule_id: found.rule_id.clone(),
                        }]
                    } else {
                        Vec::new()
                    };
                    plan.changes.push(Planned::new(change, ops).shown());
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
        let change = Change::delete(rule_address(&key), "security_group_rule", &before).with_note(
            format!("not in the configuration: revoked by id {}", rule.rule_id),
        );
        let op = RuleOp::Revoke {
            egress: rule.egress,
            rule_id: rule.rule_id.clone(),
        };
        plan.changes.push(Planned::new(change, vec![op]).shown());
        if rule.egress {
            plan.revoke_egress.push(rule.rule_id.clone());
        } else {
            plan.revoke_ingress.push(rule.rule_id.clone());
        }
    }
    plan
}

/// Runs `plan` on the group: one progress step per changed rule, the authorizations before the
/// revokes, so a changed CIDR list never leaves a moment with neither.
pub(crate) async fn converge(
    api: &dyn Ec2Api,
    group_id: &str,
    plan: &RulePlan,
    progress: &dyn Progress,
) -> Result<(), NetworkError> {
    let steps: Vec<Step<'_>> = plan
        .changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| Step::start(progress, c.address.clone(), c.action))
        .collect();
    // What is allowed is added before what goes is revoked, so a group never lacks a rule it
    // keeps; ingress and egress are independent of each other.
    let ingress = async {
        if plan.authorize_ingress.is_empty() {
            return Ok(());
        }
        api.authorize_ingress(group_id, &plan.authorize_ingress)
            .await
    };
    let egress = async {
        if plan.authorize_egress.is_empty() {
            return Ok(());
        }
        api.authorize_egress(group_id, &plan.authorize_egress).await
    };
    futures::try_join!(ingress, egress)?;
    let ingress = async {
        if plan.revoke_ingress.is_empty() {
            return Ok(());
        }
        api.revoke_ingress(group_id, &plan.revoke_ingress).await
    };
    let egress = async {
        if plan.revoke_egress.is_empty() {
            return Ok(());
        }
        api.revoke_egress(group_id, &plan.revoke_egress).await
    };
    futures::try_join!(ingress, egress)?;
    for (rule_id, rule) in &plan.describe {
        api.modify_rule(group_id, rule_id, rule).await?;
    }
    for step in steps {
        step.done();
    }
    Ok(())
}

#[cfg(test)]
mod tests;

//! The three security groups of the endpoints: spec, observe, plan, apply and destroy (their
//! rules are their own resources, in [`crate::rules`]).
//!
//! - `management` (`bedrock`, `bedrock-agent`): ingress TCP 443 from `management_allowed_cidrs`;
//! - `runtime` (`bedrock-runtime`, `bedrock-agent-runtime`): from `runtime_allowed_cidrs`;
//! - `general` (extra services): from `vpc_cidr`.
//!
//! Groups are found by name in `vpc_id`; groups tagged with the stack that are not one of the
//! three (e.g. left in a previous VPC) are planned for deletion.

use crate::api::{Ec2Api, RuleSpec, SecurityGroupInfo, SecurityGroupRule};
use crate::rules::{self, https_rule, plan_rules};
use crate::tags::{named_tags, ours, write_tags};
use crate::NetworkError;
use baseline_core::naming::STACK_TAG;
use baseline_core::poll::Poll;
use baseline_core::resource::{without_reserved_tags, Planned, ResourceKind, Step, TagDelta};
use baseline_core::{Action, Change, Config, Naming, Progress};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

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

/// The three groups the config wants, in [`GroupRole::ALL`] order.
pub(crate) fn specs(config: &Config, naming: &Naming) -> Vec<GroupSpec> {
    GroupRole::ALL
        .into_iter()
        .map(|role| {
            let allowed = match role {
                GroupRole::Management => config.management_allowed_cidrs.clone(),
                GroupRole::Runtime => config.runtime_allowed_cidrs.clone(),
                GroupRole::General => vec![config.vpc_cidr],
            };
            let name = naming.name(role.name_suffix(), 255);
            group_spec(
                role,
                name.clone(),
                naming.stack(),
                &allowed,
                config.vpc_cidr,
                named_tags(naming, &name),
            )
        })
        .collect()
}

/// A security group that exists, with its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedGroup {
    /// DescribeSecurityGroups.
    pub info: SecurityGroupInfo,
    /// DescribeSecurityGroupRules (both directions).
    pub rules: Vec<SecurityGroupRule>,
}

/// What observe found of the groups.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// The stack's groups in `vpc_id`, by role.
    pub(crate) groups: BTreeMap<GroupRole, ObservedGroup>,
    /// Groups tagged with the stack that are not one of them.
    pub(crate) stray: Vec<SecurityGroupInfo>,
}

/// Reads the groups by name in the VPC and by stack tag, then the rules of each one found.
pub(crate) async fn observe(
    api: &dyn Ec2Api,
    stack: &str,
    vpc_id: &str,
    specs: &[GroupSpec],
) -> Result<Observed, NetworkError> {
    let names: Vec<String> = specs.iter().map(|g| g.name.clone()).collect();
    let (by_name, tagged) = futures::try_join!(
        api.find_security_groups(vpc_id, &names),
        api.security_groups_tagged(STACK_TAG, stack),
    )?;
    let found: Vec<(GroupRole, &SecurityGroupInfo)> = specs
        .iter()
        .filter_map(|g| {
            by_name
                .iter()
                .find(|i| i.name == g.name && i.vpc_id == vpc_id)
                .map(|info| (g.role, info))
        })
        .collect();
    // Each group's rules need only its id: read at once, the first error in group order wins.
    let rules = futures::future::join_all(
        found
            .iter()
            .map(|(_, info)| api.security_group_rules(&info.group_id)),
    )
    .await;
    let mut groups = BTreeMap::new();
    for ((role, info), rules) in found.into_iter().zip(rules) {
        groups.insert(
            role,
            ObservedGroup {
                info: info.clone(),
                rules: rules?,
            },
        );
    }
    let stray = tagged
        .into_iter()
        .filter(|t| ours(&t.tags, stack) && !groups.values().any(|o| o.info.group_id == t.group_id))
        .collect();
    Ok(Observed { groups, stray })
}

/// One write on a security group itself (its rules are `rules.rs`'s), decided by
/// [`SecurityGroup::plan`] and run by [`ensure`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum GroupOp {
    /// CreateSecurityGroup with the stack tags (a retry after a lost answer finds the group its
    /// first attempt made); AWS's default egress rule is revoked with the rules.
    Create,
    /// CreateTags, then DeleteTags.
    Tag(TagDelta),
}

/// A group as the config wants it, in the VPC it belongs to.
pub(crate) struct GroupDesired<'a> {
    /// The group.
    pub spec: &'a GroupSpec,
    /// Its VPC.
    pub vpc_id: &'a str,
}

/// The resource kind of the three groups (found by name in the VPC, so only their tags can
/// differ).
pub(crate) struct SecurityGroup;

impl ResourceKind for SecurityGroup {
    const KIND: &'static str = "security_group";
    type Desired<'a> = GroupDesired<'a>;
    type Current = ObservedGroup;
    type Op = GroupOp;

    fn plan(address: &str, d: &GroupDesired<'_>, o: Option<&ObservedGroup>) -> Planned<GroupOp> {
        let after = group_view(d.spec, d.vpc_id);
        match o {
            None => Planned::new(
                Change::create(address, Self::KIND, &after).with_note(
                    "AWS's default allow-all egress rule is revoked right after creation",
                ),
                vec![GroupOp::Create],
            ),
            Some(o) => {
                let before = observed_group_view(&o.info);
                let change = Change::compare(address, Self::KIND, &before, &after, &[]);
                let tags = TagDelta::between(&o.info.tags, &d.spec.tags);
                let ops = if tags.is_empty() {
                    Vec::new()
                } else {
                    vec![GroupOp::Tag(tags)]
                };
                Planned::new(change, ops)
            }
        }
    }
}

/// The group's plan.
pub(crate) fn plan(
    g: &GroupSpec,
    vpc_id: &str,
    observed: Option<&ObservedGroup>,
) -> Planned<GroupOp> {
    let desired = GroupDesired { spec: g, vpc_id };
    SecurityGroup::plan(&g.address(), &desired, observed)
}

/// The group's change followed by its rules' changes.
pub(crate) fn changes(
    g: &GroupSpec,
    vpc_id: &str,
    observed: Option<&ObservedGroup>,
) -> Vec<Change> {
    let rules = observed.map_or(&[][..], |o| o.rules.as_slice());
    std::iter::once(plan(g, vpc_id, observed).shown())
        .chain(plan_rules(g, rules).changes)
        .collect()
}

/// `network.security_group["<name>/<id>"]` of a group that is not one of the three.
pub(crate) fn stray_address(g: &SecurityGroupInfo) -> String {
    group_address(&format!("{}/{}", g.name, g.group_id))
}

/// The deletion of a group that is not one of the three.
pub(crate) fn stray_delete(g: &SecurityGroupInfo) -> Change {
    Change::delete(
        stray_address(g),
        SecurityGroup::KIND,
        &observed_group_view(g),
    )
}

/// The deletions of destroy: the stack's groups, then the stray ones.
pub(crate) fn destroy_changes(
    groups: &BTreeMap<GroupRole, ObservedGroup>,
    stray: &[SecurityGroupInfo],
) -> Vec<Change> {
    let mut changes: Vec<Change> = groups
        .iter()
        .map(|(role, g)| {
            Change::delete(
                group_address(role.as_str()),
                SecurityGroup::KIND,
                &observed_group_view(&g.info),
            )
            .with_note("deleted after the endpoints, with its rules")
        })
        .collect();
    changes.extend(stray.iter().map(stray_delete));
    changes
}

/// What destroy deletes, as (address, group id): the stack's groups, then the stray ones.
pub(crate) fn doomed(
    groups: &BTreeMap<GroupRole, ObservedGroup>,
    stray: &[SecurityGroupInfo],
) -> Vec<(String, String)> {
    let mut doomed: Vec<(String, String)> = groups
        .iter()
        .map(|(role, g)| (group_address(role.as_str()), g.info.group_id.clone()))
        .collect();
    doomed.extend(stray_doomed(stray));
    doomed
}

/// The stray groups as (address, group id).
pub(crate) fn stray_doomed(stray: &[SecurityGroupInfo]) -> Vec<(String, String)> {
    stray
        .iter()
        .map(|g| (stray_address(g), g.group_id.clone()))
        .collect()
}

/// A group that exists (found, or made by [`ensure`]) and whose rules are still to converge.
pub(crate) struct EnsuredGroup<'a> {
    /// Its role.
    pub role: GroupRole,
    /// Its id.
    pub group_id: String,
    /// Its rules as observed (`None`: just created, to be read).
    rules: Option<Vec<SecurityGroupRule>>,
    /// The create's progress, ended once the rules are in place.
    creating: Option<Step<'a>>,
}

/// Creates the group (or fixes its tags); its rules follow in [`converge_rules`], so what only
/// needs the group's id (the endpoints) need not wait for them.
pub(crate) async fn ensure<'a>(
    api: &dyn Ec2Api,
    vpc_id: &str,
    g: &GroupSpec,
    observed: Option<&ObservedGroup>,
    progress: &'a dyn Progress,
) -> Result<EnsuredGroup<'a>, NetworkError> {
    let address = g.address();
    let planned = plan(g, vpc_id, observed);
    match observed {
        Some(o) => {
            if let [GroupOp::Tag(tags)] = planned.ops.as_slice() {
                let step = Step::start(progress, address, planned.change.action);
                write_tags(api, &o.info.group_id, tags).await?;
                step.done();
            }
            Ok(EnsuredGroup {
                role: g.role,
                group_id: o.info.group_id.clone(),
                rules: Some(o.rules.clone()),
                creating: None,
            })
        }
        None => {
            let step = Step::start(progress, address, Action::Create);
            let id = match api
                .create_security_group(&g.name, &g.description, vpc_id, &g.tags)
                .await
            {
                // a retry after a lost answer: the first attempt made the group
                Err(e) if e.is_already_exists() => api
                    .find_security_groups(vpc_id, std::slice::from_ref(&g.name))
                    .await?
                    .into_iter()
                    .find(|found| found.tags.get(STACK_TAG) == g.tags.get(STACK_TAG))
                    .map(|found| found.group_id)
                    .ok_or(e)?,
                other => other?,
            };
            step.exists(id.clone());
            Ok(EnsuredGroup {
                role: g.role,
                group_id: id,
                rules: None,
                creating: Some(step),
            })
        }
    }
}

/// Converges the rules of a group [`ensure`] made or found; a new group's create ends here.
pub(crate) async fn converge_rules(
    api: &dyn Ec2Api,
    g: &GroupSpec,
    ensured: EnsuredGroup<'_>,
    progress: &dyn Progress,
) -> Result<(), NetworkError> {
    let rules = match ensured.rules {
        Some(rules) => rules,
        // AWS adds an allow-all egress rule to every new group: read it to revoke it.
        None => api.security_group_rules(&ensured.group_id).await?,
    };
    rules::converge(api, &ensured.group_id, &plan_rules(g, &rules), progress).await?;
    if let Some(step) = ensured.creating {
        step.done();
    }
    Ok(())
}

/// Deletes groups one after another; retries while the ENIs of just-deleted endpoints still
/// hold them.
pub(crate) async fn delete(
    api: &dyn Ec2Api,
    timeout: Duration,
    doomed: &[(String, String)],
    progress: &dyn Progress,
) -> Result<(), NetworkError> {
    for (address, group_id) in doomed {
        let step = Step::start(progress, address.clone(), Action::Delete);
        let mut poll = Poll::whole_pauses(timeout);
        loop {
            match api.delete_security_group(group_id).await {
                Ok(()) => break,
                Err(e) if e.is_not_found() => break,
                Err(e) if e.detail.starts_with("DependencyViolation") => {
                    if let Err(waited) = poll.wait(progress, address, "in use").await {
                        return Err(NetworkError::GroupInUse {
                            group_id: group_id.clone(),
                            waited_seconds: waited.as_secs(),
                            source: e,
                        });
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        step.done();
    }
    Ok(())
}

/// The group's own attributes as the plan shows them (rules have their own addresses).
fn group_view(spec: &GroupSpec, vpc_id: &str) -> Value {
    json!({"name": spec.name, "vpc_id": vpc_id, "tags": spec.tags})
}

/// The observed group's attributes.
fn observed_group_view(info: &SecurityGroupInfo) -> Value {
    json!({"name": info.name, "vpc_id": info.vpc_id, "tags": without_reserved_tags(info.tags.clone())})
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    pub(crate) fn runtime() -> GroupSpec {
        group_spec(
            GroupRole::Runtime,
            "demo-prod-bedrock-runtime".into(),
            "demo-prod",
            &[net("10.30.0.0/16"), net("10.40.0.0/16")],
            net("10.0.0.0/16"),
            BTreeMap::new(),
        )
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
}

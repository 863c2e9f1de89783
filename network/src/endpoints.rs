//! The VPC endpoints: spec, observe, plan views, apply (create, converge in place with
//! ModifyVpcEndpoint, replace, wait until `available`) and delete (wait until gone), and the
//! deterministic client token.
//!
//! An endpoint is found again by its tags (`baseline:stack` and `baseline:endpoint = <service>`),
//! never by an id kept in state. Subnets, security groups, route tables, policy and private DNS
//! change in place; a different service, type or VPC needs a new endpoint (replace).

use crate::api::{CreateEndpoint, Ec2Api, EndpointInfo};
use crate::groups::GroupRole;
use crate::module::{NetworkSpec, Placement};
use crate::policies::{custom_policy, endpoint_policy, PolicyContext};
use crate::private_path::enabled_services;
use crate::tags::{named_tags, ours, write_tags};
use crate::NetworkError;
use baseline_core::config::ConfigIssue;
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::poll::Poll;
use baseline_core::resource::{without_reserved_tags, Planned, ResourceKind, Step, TagDelta};
use baseline_core::{Action, Change, Config, Naming, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// CreateVpcEndpoint attempts with a fresh token when AWS returns an endpoint deleted since.
const TOKEN_ATTEMPTS: u32 = 3;

/// Tag naming the service of an endpoint.
pub const ENDPOINT_TAG: &str = "baseline:endpoint";

/// Shown for values that exist only after apply.
pub(crate) const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// A desired endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSpec {
    /// `bedrock-runtime`, `kms`, ...
    pub service: String,
    /// `com.amazonaws.<region>.<service>`.
    pub service_name: String,
    /// Gateway (S3) rather than interface.
    pub gateway: bool,
    /// The group of an interface endpoint.
    pub group: GroupRole,
    /// The endpoint policy.
    pub policy: PolicyDocument,
    /// True when the policy comes from `custom_endpoint_policies`.
    pub custom_policy: bool,
    /// Tags (stack tags, `Name`, `baseline:endpoint`).
    pub tags: BTreeMap<String, String>,
    /// Created only where the region offers the service (`bedrock-mantle`): observe asks
    /// DescribeVpcEndpointServices, the plan skips it with a note otherwise.
    pub only_if_offered: bool,
}

impl EndpointSpec {
    /// `network.endpoint["<service>"]`.
    pub fn address(&self) -> String {
        endpoint_address(&self.service)
    }
}

/// `network.endpoint["<key>"]`.
pub(crate) fn endpoint_address(key: &str) -> String {
    format!("network.endpoint[\"{key}\"]")
}

/// The client token of a CreateVpcEndpoint request: a hash of the stack and of every parameter
/// the request sends, so a create retried after a lost answer or a crash returns the endpoint
/// made the first time. The parameters are in the hash because EC2 answers
/// IdempotentParameterMismatch to a token reused with other parameters ("Ensuring idempotency in
/// Amazon EC2 API requests": <https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html>):
/// a token of stack, service and VPC alone failed every apply that re-created an endpoint
/// deleted since, once its subnets, group, policy or tags had changed. `attempt` > 0 salts it
/// when AWS hands back an endpoint deleted since (a token is remembered after its endpoint is
/// gone). The token of `request` itself is not hashed.
pub(crate) fn client_token(stack: &str, request: &CreateEndpoint, attempt: u32) -> String {
    let CreateEndpoint {
        vpc_id,
        service_name,
        gateway,
        subnet_ids,
        security_group_ids,
        route_table_ids,
        private_dns_enabled,
        policy,
        tags,
        client_token: _,
    } = request;
    let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base = [
        stack,
        vpc_id,
        service_name,
        &gateway.to_string(),
        &subnet_ids.join(","),
        &security_group_ids.join(","),
        &route_table_ids.join(","),
        &format!("{private_dns_enabled:?}"),
        policy,
        &tags.join(","),
    ]
    .join("\n");
    let hash = base.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    if attempt == 0 {
        format!("bb-{hash:016x}")
    } else {
        format!("bb-{hash:016x}-{attempt}")
    }
}

pub(crate) fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// The policy as plans compare it: parsed and normalised, or the raw text when unparseable.
pub(crate) fn policy_view(text: &str) -> Value {
    match PolicyDocument::parse(text) {
        Ok(doc) => doc.normalized().to_value(),
        Err(_) => Value::String(text.to_owned()),
    }
}

/// The desired endpoint as the plan shows it. `group_id` is `None` while the group is still to
/// be created.
pub(crate) fn desired_view(
    spec: &EndpointSpec,
    placement: &Placement,
    group_id: Option<&str>,
) -> Value {
    let mut view = json!({
        "service_name": spec.service_name,
        "vpc_endpoint_type": if spec.gateway { "Gateway" } else { "Interface" },
        "vpc_id": placement.vpc_id,
        "policy": spec.policy.normalized().to_value(),
        "tags": spec.tags,
    });
    if spec.gateway {
        view["route_table_ids"] = json!(sorted(&placement.route_table_ids));
    } else {
        view["subnet_ids"] = json!(sorted(&placement.subnet_ids));
        view["security_group_ids"] = json!([group_id.unwrap_or(KNOWN_AFTER_APPLY)]);
        view["private_dns_enabled"] = json!(placement.private_dns);
    }
    view
}

/// An existing endpoint as the plan shows it.
pub(crate) fn observed_view(info: &EndpointInfo) -> Value {
    let gateway = info.endpoint_type.eq_ignore_ascii_case("gateway");
    let mut view = json!({
        "service_name": info.service_name,
        "vpc_endpoint_type": if gateway { "Gateway" } else { "Interface" },
        "vpc_id": info.vpc_id,
        "policy": policy_view(&info.policy),
        "tags": without_reserved_tags(info.tags.clone()),
    });
    if gateway {
        view["route_table_ids"] = json!(sorted(&info.route_table_ids));
    } else {
        view["subnet_ids"] = json!(sorted(&info.subnet_ids));
        view["security_group_ids"] = json!(sorted(&info.security_group_ids));
        view["private_dns_enabled"] = json!(info.private_dns_enabled);
    }
    view
}

/// Attributes whose change needs a new endpoint.
pub(crate) const REPLACE_ON: &[&str] = &["service_name", "vpc_endpoint_type", "vpc_id"];

/// True when the endpoint cannot be converged in place.
pub(crate) fn needs_replacement(
    spec: &EndpointSpec,
    placement: &Placement,
    info: &EndpointInfo,
) -> bool {
    info.service_name != spec.service_name
        || info.endpoint_type.eq_ignore_ascii_case("gateway") != spec.gateway
        || info.vpc_id != placement.vpc_id
        || matches!(info.state.as_str(), "failed" | "rejected" | "expired")
}

/// The endpoints the config enables, in [`enabled_services`] order. Every bad custom policy
/// is an issue.
pub(crate) fn specs(
    config: &Config,
    naming: &Naming,
    region: &str,
    policy_ctx: &PolicyContext,
) -> Result<Vec<EndpointSpec>, Vec<ConfigIssue>> {
    let mut issues = Vec::new();
    let mut endpoints = Vec::new();
    for (service, gateway, only_if_offered) in enabled_services(config) {
        let (policy, custom_policy) = match config.custom_endpoint_policies.get(service) {
            Some(text) => match custom_policy(service, text) {
                Ok(doc) => (doc, true),
                Err(issue) => {
                    issues.push(issue);
                    continue;
                }
            },
            None => (endpoint_policy(service, policy_ctx), false),
        };
        let mut tags = named_tags(naming, &naming.name(service, 255));
        tags.insert(ENDPOINT_TAG.into(), service.to_owned());
        endpoints.push(EndpointSpec {
            service: service.to_owned(),
            service_name: format!("com.amazonaws.{region}.{service}"),
            gateway,
            group: GroupRole::for_service(service),
            policy,
            custom_policy,
            tags,
            only_if_offered,
        });
    }
    if issues.is_empty() {
        Ok(endpoints)
    } else {
        Err(issues)
    }
}

/// Not deleted and not on its way out.
pub(crate) fn is_live(e: &EndpointInfo) -> bool {
    !matches!(e.state.as_str(), "deleted" | "deleting")
}

/// What observe found of the endpoints.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// The stack's live endpoints, by service.
    pub(crate) endpoints: BTreeMap<String, EndpointInfo>,
    /// Endpoints tagged with the stack that no spec wants (disabled services, duplicates).
    pub(crate) stray: Vec<EndpointInfo>,
}

/// Reads the endpoints tagged with the stack and sorts them into wanted and stray.
pub(crate) async fn observe(
    api: &dyn Ec2Api,
    stack: &str,
    specs: &[EndpointSpec],
) -> Result<Observed, NetworkError> {
    let tagged = api.endpoints_tagged(STACK_TAG, stack).await?;
    let mut observed = Observed::default();
    let mut candidates: BTreeMap<String, Vec<EndpointInfo>> = BTreeMap::new();
    for e in tagged
        .into_iter()
        .filter(|e| is_live(e) && ours(&e.tags, stack))
    {
        let service = e.tags.get(ENDPOINT_TAG).cloned().unwrap_or_default();
        if specs.iter().any(|s| s.service == service) {
            candidates.entry(service).or_default().push(e);
        } else {
            observed.stray.push(e);
        }
    }
    for (service, mut list) in candidates {
        // Keep the usable one (then the newest); a crash can at worst leave a duplicate.
        list.sort_by_key(|e| (e.state == "available", e.state == "pending", e.created));
        if let Some(keep) = list.pop() {
            observed.endpoints.insert(service, keep);
        }
        observed.stray.extend(list);
    }
    Ok(observed)
}

/// The address of an endpoint no spec keeps: `<service>/<id>` for a duplicate of a wanted
/// service, else its service (or its id, untagged).
pub(crate) fn stray_address(specs: &[EndpointSpec], e: &EndpointInfo) -> String {
    let service = e
        .tags
        .get(ENDPOINT_TAG)
        .cloned()
        .unwrap_or_else(|| e.endpoint_id.clone());
    if specs.iter().any(|s| s.service == service) {
        endpoint_address(&format!("{service}/{}", e.endpoint_id))
    } else {
        endpoint_address(&service)
    }
}

/// The deletions of `doomed` endpoints, as (address, endpoint).
pub(crate) fn deletions(doomed: &[(String, EndpointInfo)]) -> Vec<Change> {
    doomed
        .iter()
        .map(|(address, e)| Change::delete(address.clone(), VpcEndpoint::KIND, &observed_view(e)))
        .collect()
}

/// What destroy deletes, as (address, endpoint): the stack's endpoints, then the stray ones.
pub(crate) fn doomed(
    specs: &[EndpointSpec],
    endpoints: &BTreeMap<String, EndpointInfo>,
    stray: &[EndpointInfo],
) -> Vec<(String, EndpointInfo)> {
    let mut doomed: Vec<(String, EndpointInfo)> = endpoints
        .iter()
        .map(|(service, e)| (endpoint_address(service), e.clone()))
        .collect();
    doomed.extend(stray_doomed(specs, stray));
    doomed
}

/// The stray endpoints as (address, endpoint).
pub(crate) fn stray_doomed(
    specs: &[EndpointSpec],
    stray: &[EndpointInfo],
) -> Vec<(String, EndpointInfo)> {
    stray
        .iter()
        .map(|e| (stray_address(specs, e), e.clone()))
        .collect()
}

/// One write on an endpoint, decided by [`VpcEndpoint::plan`] and run by [`converge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum EndpointOp {
    /// CreateVpcEndpoint with the deterministic client token, then the wait until available.
    Create,
    /// DeleteVpcEndpoints of the old endpoint first (two endpoints of one service with private
    /// DNS cannot share a VPC), then Create.
    Replace {
        /// The endpoint replaced.
        old_endpoint_id: String,
    },
    /// ModifyVpcEndpoint of what differs (subnets, group, route tables, private DNS, policy),
    /// then the wait until available.
    Modify,
    /// CreateTags, then DeleteTags.
    Tag(TagDelta),
}

/// An endpoint as the config wants it, where it is placed, and its group's id (`None` while
/// the group is still to be created). `zone_note` is the live checks' warning, shown on
/// interface endpoints without another note.
pub(crate) struct EndpointDesired<'a> {
    /// The endpoint.
    pub spec: &'a EndpointSpec,
    /// The VPC, subnets and route tables of the stack's endpoints.
    pub placement: &'a Placement,
    /// Its security group's id.
    pub group_id: Option<&'a str>,
    /// The live checks' warning.
    pub zone_note: Option<&'a String>,
}

/// The resource kind of the VPC endpoints. An endpoint that exists but is not available yet
/// is waited for by apply (a read), with or without writes.
pub(crate) struct VpcEndpoint;

impl ResourceKind for VpcEndpoint {
    const KIND: &'static str = "vpc_endpoint";
    type Desired<'a> = EndpointDesired<'a>;
    type Current = EndpointInfo;
    type Op = EndpointOp;

    fn plan(
        address: &str,
        d: &EndpointDesired<'_>,
        observed: Option<&EndpointInfo>,
    ) -> Planned<EndpointOp> {
        let (e, placement) = (d.spec, d.placement);
        let ops = match observed {
            None => vec![EndpointOp::Create],
            Some(old) if needs_replacement(e, placement, old) => vec![EndpointOp::Replace {
                old_endpoint_id: old.endpoint_id.clone(),
            }],
            Some(old) => {
                let group = d.group_id.unwrap_or(KNOWN_AFTER_APPLY);
                let modify = (!modify_request(e, placement, group, old).is_empty())
                    .then_some(EndpointOp::Modify);
                let tags = TagDelta::between(&old.tags, &e.tags);
                let tag = (!tags.is_empty()).then_some(EndpointOp::Tag(tags));
                tag.into_iter().chain(modify).collect()
            }
        };
        Planned::new(change(address, d, observed), ops)
    }
}

/// The endpoint's change.
fn change(address: &str, d: &EndpointDesired<'_>, observed: Option<&EndpointInfo>) -> Change {
    let e = d.spec;
    let after = desired_view(e, d.placement, d.group_id);
    let mut change = match observed {
        None => Change::create(address, VpcEndpoint::KIND, &after),
        Some(info) => {
            let before = observed_view(info);
            let mut change =
                Change::compare(address, VpcEndpoint::KIND, &before, &after, REPLACE_ON);
            if matches!(info.state.as_str(), "failed" | "rejected" | "expired") {
                change.action = Action::Replace;
                change = change.with_note(format!(
                    "the endpoint is {}: {}; it is deleted and created again",
                    info.state,
                    info.state_message
                        .as_deref()
                        .unwrap_or("AWS gave no reason")
                ));
            } else if info.state != "available" {
                change = change.with_note(format!(
                    "the endpoint is {}: apply waits until it is available",
                    info.state
                ));
            }
            change
        }
    };
    if let (Some(note), false, true) = (d.zone_note, e.gateway, change.note.is_none()) {
        change = change.with_note(note.clone());
    }
    if e.custom_policy && change.is_change() && change.note.is_none() {
        change = change.with_note("the policy comes from custom_endpoint_policies");
    }
    change
}

/// Runs the endpoint's plan, made with its group's real id, and waits until it is available.
pub(crate) async fn converge(
    api: &dyn Ec2Api,
    spec: &NetworkSpec,
    e: &EndpointSpec,
    observed: Option<&EndpointInfo>,
    group_ids: &BTreeMap<GroupRole, String>,
    progress: &dyn Progress,
) -> Result<(String, EndpointInfo), NetworkError> {
    let address = e.address();
    let group_id = group_ids
        .get(&e.group)
        .map(String::as_str)
        .unwrap_or_default();
    let desired = EndpointDesired {
        spec: e,
        placement: &spec.placement,
        group_id: Some(group_id),
        zone_note: None,
    };
    let planned = VpcEndpoint::plan(&address, &desired, observed);
    let step = planned
        .is_change()
        .then(|| Step::start(progress, address.clone(), planned.change.action));
    let mut info = match observed {
        // Writes on an endpoint wait until it is available, as does a plan without any.
        Some(old) if !matches!(planned.ops.first(), Some(EndpointOp::Replace { .. })) => {
            if old.state == "available" {
                Some(old.clone())
            } else {
                Some(wait_available(api, spec, e, &old.endpoint_id, progress).await?)
            }
        }
        _ => None,
    };
    for op in &planned.ops {
        match (op, &info, &step) {
            (EndpointOp::Create, _, Some(step)) => {
                info = Some(create(api, spec, e, group_id, step, progress).await?);
            }
            (EndpointOp::Replace { .. }, _, Some(step)) => {
                if let Some(old) = observed {
                    delete(api, spec, &[(address.clone(), old.clone())], progress).await?;
                }
                info = Some(create(api, spec, e, group_id, step, progress).await?);
            }
            (EndpointOp::Tag(tags), Some(old), _) => {
                write_tags(api, &old.endpoint_id, tags).await?;
            }
            (EndpointOp::Modify, Some(old), _) => {
                // Computed from the endpoint as the wait left it.
                let modify = modify_request(e, &spec.placement, group_id, old);
                if !modify.is_empty() {
                    api.modify_endpoint(&modify).await?;
                    let id = old.endpoint_id.clone();
                    info = Some(wait_available(api, spec, e, &id, progress).await?);
                }
            }
            // A create or replace always has its step; the others an endpoint.
            _ => {}
        }
    }
    if let Some(step) = step {
        step.done();
    }
    let info = info.expect("an endpoint exists once its plan ran");
    Ok((e.service.clone(), info))
}

/// CreateVpcEndpoint, salting the token while AWS replays one of an endpoint deleted since;
/// then waits until the new endpoint is available.
async fn create(
    api: &dyn Ec2Api,
    spec: &NetworkSpec,
    e: &EndpointSpec,
    group_id: &str,
    step: &Step<'_>,
    progress: &dyn Progress,
) -> Result<EndpointInfo, NetworkError> {
    for attempt in 0..TOKEN_ATTEMPTS {
        let request = create_request(e, &spec.placement, group_id, attempt, &spec.stack);
        let info = api.create_endpoint(&request).await?;
        if !is_live(&info) {
            // The token belongs to an endpoint deleted since: AWS replays it. Salt and retry.
            continue;
        }
        step.exists(info.endpoint_id.clone());
        return if info.state == "available" {
            Ok(info)
        } else {
            wait_available(api, spec, e, &info.endpoint_id, progress).await
        };
    }
    Err(NetworkError::TokenReplayed {
        service: e.service.clone(),
    })
}

async fn wait_available(
    api: &dyn Ec2Api,
    spec: &NetworkSpec,
    e: &EndpointSpec,
    endpoint_id: &str,
    progress: &dyn Progress,
) -> Result<EndpointInfo, NetworkError> {
    let mut poll = Poll::until(spec.wait_timeout);
    loop {
        let Some(info) = api.describe_endpoint(endpoint_id).await? else {
            return Err(NetworkError::EndpointVanished {
                service: e.service.clone(),
                endpoint_id: endpoint_id.to_owned(),
            });
        };
        match info.state.as_str() {
            "available" => return Ok(info),
            "failed" | "rejected" | "expired" | "deleted" | "deleting" => {
                return Err(NetworkError::EndpointFailed {
                    service: e.service.clone(),
                    endpoint_id: endpoint_id.to_owned(),
                    state: info.state.clone(),
                    message: info
                        .state_message
                        .clone()
                        .unwrap_or_else(|| "AWS gave no reason".into()),
                });
            }
            state => {
                if let Err(waited) = poll.wait(progress, &e.address(), state).await {
                    return Err(NetworkError::WaitTimeout {
                        service: e.service.clone(),
                        endpoint_id: endpoint_id.to_owned(),
                        state: state.to_owned(),
                        waited_seconds: waited.as_secs(),
                    });
                }
            }
        }
    }
}

/// Deletes endpoints (one call) and waits until each is gone (or `deleted`).
pub(crate) async fn delete(
    api: &dyn Ec2Api,
    spec: &NetworkSpec,
    doomed: &[(String, EndpointInfo)],
    progress: &dyn Progress,
) -> Result<(), NetworkError> {
    if doomed.is_empty() {
        return Ok(());
    }
    let steps: Vec<Step<'_>> = doomed
        .iter()
        .map(|(address, _)| Step::start(progress, address.clone(), Action::Delete))
        .collect();
    let ids: Vec<String> = doomed.iter().map(|(_, e)| e.endpoint_id.clone()).collect();
    api.delete_endpoints(&ids).await?;
    futures::future::try_join_all(doomed.iter().zip(steps).map(
        |((address, e), step)| async move {
            let mut poll = Poll::until(spec.wait_timeout);
            loop {
                match api.describe_endpoint(&e.endpoint_id).await? {
                    None => break,
                    Some(info) if info.state == "deleted" => break,
                    Some(info) => {
                        if let Err(waited) = poll.wait(progress, address, &info.state).await {
                            return Err(NetworkError::WaitTimeout {
                                service: info.tags.get(ENDPOINT_TAG).cloned().unwrap_or_default(),
                                endpoint_id: e.endpoint_id.clone(),
                                state: info.state,
                                waited_seconds: waited.as_secs(),
                            });
                        }
                    }
                }
            }
            step.done();
            Ok(())
        },
    ))
    .await?;
    Ok(())
}

mod requests;
pub(crate) use requests::{create_request, modify_request};

#[cfg(test)]
mod tests;

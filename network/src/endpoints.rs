//! The VPC endpoints: pure spec, plan views, the ModifyVpcEndpoint request that converges an
//! existing endpoint in place, and the deterministic client token.
//!
//! An endpoint is found again by its tags (`baseline:stack` and `baseline:endpoint = <service>`),
//! never by an id kept in state. Subnets, security groups, route tables, policy and private DNS
//! change in place; a different service, type or VPC needs a new endpoint (replace).

use crate::api::{CreateEndpoint, EndpointInfo, ModifyEndpoint};
use crate::groups::{visible_tags, GroupRole};
use baseline_core::policy::PolicyDocument;
use serde_json::{json, Value};
use std::collections::BTreeMap;

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
    /// Idempotency token of CreateVpcEndpoint.
    pub client_token: String,
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

/// Where the endpoints go (shared by every endpoint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// `vpc_id`.
    pub vpc_id: String,
    /// `subnet_ids`, in config order.
    pub subnet_ids: Vec<String>,
    /// `route_table_ids`, sorted.
    pub route_table_ids: Vec<String>,
    /// `enable_private_dns`.
    pub private_dns: bool,
    /// `private_only` without `route_table_ids`: the S3 Gateway endpoint goes on the route
    /// tables of `subnet_ids`, read by observe.
    pub route_tables_from_subnets: bool,
}

/// The client token: deterministic from stack, service and VPC, so a create retried after a
/// crash returns the endpoint made the first time. `attempt` > 0 salts it when AWS hands back an
/// endpoint deleted since (a token is remembered after its endpoint is gone).
pub(crate) fn client_token(stack: &str, service: &str, vpc_id: &str, attempt: u32) -> String {
    let base = format!("{stack}/{service}/{vpc_id}");
    let hash = base.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    if attempt == 0 {
        format!("bb-{hash:016x}")
    } else {
        format!("bb-{hash:016x}-{attempt}")
    }
}

fn sorted(v: &[String]) -> Vec<String> {
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
        "tags": visible_tags(&info.tags),
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

/// The CreateVpcEndpoint request.
pub(crate) fn create_request(
    spec: &EndpointSpec,
    placement: &Placement,
    group_id: &str,
    attempt: u32,
    stack: &str,
) -> CreateEndpoint {
    CreateEndpoint {
        vpc_id: placement.vpc_id.clone(),
        service_name: spec.service_name.clone(),
        gateway: spec.gateway,
        subnet_ids: if spec.gateway {
            Vec::new()
        } else {
            placement.subnet_ids.clone()
        },
        security_group_ids: if spec.gateway {
            Vec::new()
        } else {
            vec![group_id.to_owned()]
        },
        route_table_ids: if spec.gateway {
            placement.route_table_ids.clone()
        } else {
            Vec::new()
        },
        private_dns_enabled: (!spec.gateway).then_some(placement.private_dns),
        policy: spec.policy.to_json(),
        tags: spec.tags.clone(),
        client_token: if attempt == 0 {
            spec.client_token.clone()
        } else {
            client_token(stack, &spec.service, &placement.vpc_id, attempt)
        },
    }
}

fn added(want: &[String], have: &[String]) -> Vec<String> {
    sorted(want)
        .into_iter()
        .filter(|w| !have.contains(w))
        .collect()
}

/// The ModifyVpcEndpoint request that converges `info` in place (empty when nothing differs).
pub(crate) fn modify_request(
    spec: &EndpointSpec,
    placement: &Placement,
    group_id: &str,
    info: &EndpointInfo,
) -> ModifyEndpoint {
    let mut m = ModifyEndpoint {
        endpoint_id: info.endpoint_id.clone(),
        ..ModifyEndpoint::default()
    };
    if spec.gateway {
        m.add_route_table_ids = added(&placement.route_table_ids, &info.route_table_ids);
        m.remove_route_table_ids = added(&info.route_table_ids, &placement.route_table_ids);
    } else {
        let groups = [group_id.to_owned()];
        m.add_subnet_ids = added(&placement.subnet_ids, &info.subnet_ids);
        m.remove_subnet_ids = added(&info.subnet_ids, &placement.subnet_ids);
        m.add_security_group_ids = added(&groups, &info.security_group_ids);
        m.remove_security_group_ids = added(&info.security_group_ids, &groups);
        if info.private_dns_enabled != placement.private_dns {
            m.private_dns_enabled = Some(placement.private_dns);
        }
    }
    if policy_view(&info.policy) != spec.policy.normalized().to_value() {
        m.policy = Some(spec.policy.to_json());
    }
    m
}

/// Tag changes: (tags to set, keys to remove).
pub(crate) fn tag_changes(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let have = visible_tags(have);
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
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
            client_token: client_token("demo", "bedrock-runtime", "vpc-1", 0),
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

    #[test]
    fn a_converged_endpoint_is_a_no_op_whatever_the_order_aws_returns() {
        let (s, p) = (spec(), placement());
        let info = existing(&s);
        let c = Change::compare(
            "a",
            "vpc_endpoint",
            &observed_view(&info),
            &desired_view(&s, &p, Some("sg-r")),
            REPLACE_ON,
        );
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
        let c = Change::compare(
            "a",
            "vpc_endpoint",
            &observed_view(&info),
            &desired_view(&s, &p, Some("sg-r")),
            REPLACE_ON,
        );
        assert_eq!(c.action, baseline_core::Action::Update);
        assert!(!needs_replacement(&s, &p, &info));
    }

    #[test]
    fn an_edited_policy_is_rewritten_and_a_new_service_replaces() {
        let s = spec();
        let p = placement();
        let mut info = existing(&s);
        info.policy =
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#
                .into();
        assert_eq!(
            modify_request(&s, &p, "sg-r", &info).policy,
            Some(s.policy.to_json())
        );
        info.service_name = "com.amazonaws.us-east-1.bedrock".into();
        assert!(needs_replacement(&s, &p, &info));
        let c = Change::compare(
            "a",
            "vpc_endpoint",
            &observed_view(&info),
            &desired_view(&s, &p, Some("sg-r")),
            REPLACE_ON,
        );
        assert_eq!(c.action, baseline_core::Action::Replace);
    }

    #[test]
    fn tokens_are_stable_and_distinct() {
        assert_eq!(
            client_token("s", "bedrock", "vpc-1", 0),
            client_token("s", "bedrock", "vpc-1", 0)
        );
        assert_ne!(
            client_token("s", "bedrock", "vpc-1", 0),
            client_token("s", "bedrock-runtime", "vpc-1", 0)
        );
        assert_ne!(
            client_token("s", "bedrock", "vpc-1", 0),
            client_token("s", "bedrock", "vpc-1", 1)
        );
        assert!(
            client_token(
                "a-very-long-stack-name-indeed",
                "bedrock-agent-runtime",
                "vpc-0123456789abcdef0",
                9
            )
            .len()
                <= 64
        );
    }

    #[test]
    fn tag_drift_sets_missing_and_removes_foreign_keys_but_not_aws_ones() {
        let want = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        let have = BTreeMap::from([
            ("b".to_owned(), "2".to_owned()),
            ("aws:x".to_owned(), "y".to_owned()),
        ]);
        let (set, remove) = tag_changes(&want, &have);
        assert_eq!(set, want);
        assert_eq!(remove, vec!["b"]);
    }
}

//! The CreateVpcEndpoint and ModifyVpcEndpoint requests an endpoint's plan sends.

use super::{client_token, policy_view, sorted, EndpointSpec};
use crate::api::{CreateEndpoint, EndpointInfo, ModifyEndpoint};
use crate::module::Placement;

/// The CreateVpcEndpoint request.
pub(crate) fn create_request(
    spec: &EndpointSpec,
    placement: &Placement,
    group_id: &str,
    attempt: u32,
    stack: &str,
) -> CreateEndpoint {
    let mut request = CreateEndpoint {
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
        client_token: String::new(),
    };
    request.client_token = client_token(stack, &request, attempt);
    request
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

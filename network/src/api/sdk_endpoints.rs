//! VPC endpoints: DescribeVpcEndpoints, Create/Modify/DeleteVpcEndpoints,
//! DescribeVpcEndpointServices.

use super::sdk::{ec2_tags, filter, tag_map};
use super::{CreateEndpoint, EndpointInfo, ModifyEndpoint};
use aws_sdk_ec2::types::{ResourceType, TagSpecification, VpcEndpointType};
use aws_sdk_ec2::Client;
use baseline_core::aws::{or_none, sdk_err};
use baseline_core::aws::{ApiError, ServiceErrorKind};

fn endpoint_info(e: &aws_sdk_ec2::types::VpcEndpoint) -> EndpointInfo {
    let last_error = e.last_error().and_then(|l| l.message()).map(str::to_owned);
    EndpointInfo {
        endpoint_id: e.vpc_endpoint_id().unwrap_or_default().to_owned(),
        vpc_id: e.vpc_id().unwrap_or_default().to_owned(),
        service_name: e.service_name().unwrap_or_default().to_owned(),
        endpoint_type: e
            .vpc_endpoint_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        state: e
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .unwrap_or_default(),
        state_message: last_error.or_else(|| e.failure_reason().map(str::to_owned)),
        subnet_ids: e.subnet_ids().to_vec(),
        security_group_ids: e
            .groups()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_owned))
            .collect(),
        route_table_ids: e.route_table_ids().to_vec(),
        private_dns_enabled: e.private_dns_enabled().unwrap_or(false),
        policy: e.policy_document().unwrap_or_default().to_owned(),
        dns_names: e
            .dns_entries()
            .iter()
            .filter_map(|d| d.dns_name().map(str::to_owned))
            .collect(),
        tags: tag_map(e.tags()),
        created: e.creation_timestamp().map(|t| t.secs()).unwrap_or_default(),
    }
}

pub(super) async fn endpoints_tagged(
    client: &Client,
    key: &str,
    value: &str,
) -> Result<Vec<EndpointInfo>, ApiError> {
    let endpoints = client
        .describe_vpc_endpoints()
        .filters(filter(&format!("tag:{key}"), [value]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("ec2", "DescribeVpcEndpoints", value))?;
    Ok(endpoints.iter().map(endpoint_info).collect())
}

pub(super) async fn describe_endpoint(
    client: &Client,
    endpoint_id: &str,
) -> Result<Option<EndpointInfo>, ApiError> {
    let out = client
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(endpoint_id)
        .send()
        .await
        .map_err(sdk_err("ec2", "DescribeVpcEndpoints", endpoint_id));
    Ok(or_none(out)?.and_then(|o| {
        o.vpc_endpoints()
            .iter()
            .find(|e| e.vpc_endpoint_id() == Some(endpoint_id))
            .map(endpoint_info)
    }))
}

pub(super) async fn create_endpoint(
    client: &Client,
    r: &CreateEndpoint,
) -> Result<EndpointInfo, ApiError> {
    let kind = if r.gateway {
        VpcEndpointType::Gateway
    } else {
        VpcEndpointType::Interface
    };
    let mut call = client
        .create_vpc_endpoint()
        .vpc_endpoint_type(kind)
        .vpc_id(&r.vpc_id)
        .service_name(&r.service_name)
        .policy_document(&r.policy)
        .client_token(&r.client_token)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::VpcEndpoint)
                .set_tags(Some(ec2_tags(&r.tags)))
                .build(),
        );
    if r.gateway {
        call = call.set_route_table_ids(Some(r.route_table_ids.clone()));
    } else {
        call = call
            .set_subnet_ids(Some(r.subnet_ids.clone()))
            .set_security_group_ids(Some(r.security_group_ids.clone()));
    }
    if let Some(dns) = r.private_dns_enabled {
        call = call.private_dns_enabled(dns);
    }
    let out = call
        .send()
        .await
        .map_err(sdk_err("ec2", "CreateVpcEndpoint", &r.service_name))?;
    out.vpc_endpoint().map(endpoint_info).ok_or_else(|| {
        ApiError::synthetic(
            "ec2",
            "CreateVpcEndpoint",
            &r.service_name,
            ServiceErrorKind::Other,
            "no endpoint in the response",
        )
    })
}

pub(super) async fn modify_endpoint(client: &Client, r: &ModifyEndpoint) -> Result<(), ApiError> {
    let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let mut call = client
        .modify_vpc_endpoint()
        .vpc_endpoint_id(&r.endpoint_id)
        .set_add_subnet_ids(non_empty(&r.add_subnet_ids))
        .set_remove_subnet_ids(non_empty(&r.remove_subnet_ids))
        .set_add_security_group_ids(non_empty(&r.add_security_group_ids))
        .set_remove_security_group_ids(non_empty(&r.remove_security_group_ids))
        .set_add_route_table_ids(non_empty(&r.add_route_table_ids))
        .set_remove_route_table_ids(non_empty(&r.remove_route_table_ids))
        .set_private_dns_enabled(r.private_dns_enabled);
    if let Some(policy) = &r.policy {
        call = call.policy_document(policy);
    }
    call.send()
        .await
        .map_err(sdk_err("ec2", "ModifyVpcEndpoint", &r.endpoint_id))?;
    Ok(())
}

pub(super) async fn delete_endpoints(
    client: &Client,
    endpoint_ids: &[String],
) -> Result<(), ApiError> {
    if endpoint_ids.is_empty() {
        return Ok(());
    }
    let target = endpoint_ids.join(",");
    let out = client
        .delete_vpc_endpoints()
        .set_vpc_endpoint_ids(Some(endpoint_ids.to_vec()))
        .send()
        .await
        .map_err(sdk_err("ec2", "DeleteVpcEndpoints", &target))?;
    // DeleteVpcEndpoints answers 200 and lists per-endpoint failures; a missing one is done.
    for item in out.unsuccessful() {
        let code = item.error().and_then(|e| e.code()).unwrap_or_default();
        let kind = baseline_core::aws::classify_code(code);
        if kind != ServiceErrorKind::NotFound {
            let message = item
                .error()
                .and_then(|e| e.message())
                .unwrap_or("no message");
            return Err(ApiError::synthetic(
                "ec2",
                "DeleteVpcEndpoints",
                item.resource_id().unwrap_or(&target),
                kind,
                &format!("{code}: {message}"),
            ));
        }
    }
    Ok(())
}

pub(super) async fn offered_services(
    client: &Client,
    service_names: &[String],
) -> Result<Vec<String>, ApiError> {
    if service_names.is_empty() {
        return Ok(Vec::new());
    }
    // A filter, not `ServiceNames`: a name the region does not offer in `ServiceNames` is
    // an `InvalidServiceName` error, through the filter it is just absent. API reference:
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpointServices.html
    let target = service_names.join(",");
    let mut offered = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = client
            .describe_vpc_endpoint_services()
            .filters(filter("service-name", service_names.iter().cloned()))
            .set_next_token(next.take())
            .send()
            .await
            .map_err(sdk_err("ec2", "DescribeVpcEndpointServices", &target))?;
        offered.extend(out.service_names().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_owned()),
            _ => break,
        }
    }
    offered.sort();
    offered.dedup();
    Ok(offered)
}

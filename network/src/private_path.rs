//! The optional endpoints: `bedrock-mantle` where the region offers it, and the private-only
//! pairing of CloudWatch Logs and S3 (`private_only`).
//!
//! - `bedrock-mantle` is the endpoint of Bedrock's OpenAI-compatible (Responses, Chat
//!   Completions) and Anthropic Messages APIs; its interface endpoint suffix is listed with the
//!   others in "Use interface VPC endpoints (AWS PrivateLink)"
//!   (<https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html>) and
//!   the two inference endpoints are compared in "Endpoints supported by Amazon Bedrock"
//!   (<https://docs.aws.amazon.com/bedrock/latest/userguide/endpoints.html>). Not every region
//!   offers it, so observe asks DescribeVpcEndpointServices (one call, filtered by service
//!   name) and the plan skips it with a note where it is missing.
//! - `private_only`: with no internet path, the callers in the VPC reach Bedrock, CloudWatch Logs
//!   and S3 only through endpoints. "Protect your data using Amazon Virtual Private Cloud and
//!   AWS PrivateLink" (<https://docs.aws.amazon.com/bedrock/latest/userguide/usingVPC.html>)
//!   pairs the Bedrock interface endpoints with an S3 endpoint for data in S3 and a CloudWatch
//!   Logs endpoint for the logs; the S3 endpoint is a Gateway endpoint, whose routes go into the
//!   route tables it is associated with ("Gateway endpoints for Amazon S3",
//!   <https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html>), so it goes on
//!   the route tables the stack's subnets use.

use crate::api::{Ec2Api, RouteTableInfo};
use crate::endpoints::{EndpointSpec, VpcEndpoint};
use crate::module::Placement;
use crate::NetworkError;
use baseline_core::resource::ResourceKind;
use baseline_core::{Change, Config};

/// The service key of the Mantle endpoint.
pub const MANTLE: &str = "bedrock-mantle";

/// The extra services `private_only` adds (interface `logs`, gateway `s3`).
const PRIVATE_ONLY_SERVICES: &[(&str, bool)] = &[("logs", false), ("s3", true)];

/// The endpoints the config enables as (service, gateway, only where the region offers it), in
/// plan order: the Bedrock ones, `bedrock-mantle`, the extra services, then what
/// `private_only` adds (unless listed already).
pub(crate) fn enabled_services(config: &Config) -> Vec<(&str, bool, bool)> {
    let mut services: Vec<(&str, bool, bool)> = config
        .bedrock_endpoints()
        .into_iter()
        .map(|s| (s, false, false))
        .collect();
    if config.enable_bedrock_mantle_endpoint {
        services.push((MANTLE, false, true));
    }
    services.extend(
        config
            .extra_endpoint_services
            .iter()
            .map(|e| (e.as_str(), e.is_gateway(), false)),
    );
    if config.private_only {
        for (service, gateway) in PRIVATE_ONLY_SERVICES {
            if !services.iter().any(|(s, _, _)| s == service) {
                services.push((service, *gateway, false));
            }
        }
    }
    services
}

/// The plan note of an endpoint the region does not offer.
fn not_offered_note(service_name: &str, region: &str) -> String {
    format!(
        "skipped: {region} does not offer {service_name} (DescribeVpcEndpointServices); \
         it is created once the region lists it (set enable_bedrock_mantle_endpoint = false to stop checking)"
    )
}

/// The route tables the subnets use: each subnet's explicitly associated table, or the VPC's
/// main table for a subnet without one ("Subnet route tables": a subnet not explicitly
/// associated uses the main route table,
/// <https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html>). Sorted, distinct.
pub(crate) fn subnet_route_tables(tables: &[RouteTableInfo], subnet_ids: &[String]) -> Vec<String> {
    let main = tables.iter().find(|t| t.main).map(|t| &t.route_table_id);
    let mut ids: Vec<String> = subnet_ids
        .iter()
        .filter_map(|s| {
            tables
                .iter()
                .find(|t| t.subnet_ids.contains(s))
                .map(|t| &t.route_table_id)
                .or(main)
                .cloned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// One DescribeVpcEndpointServices for the `only_if_offered` endpoints (none: no call).
pub(crate) async fn offered_services(
    api: &dyn Ec2Api,
    endpoints: &[EndpointSpec],
) -> Result<Option<Vec<String>>, NetworkError> {
    let names: Vec<String> = endpoints
        .iter()
        .filter(|e| e.only_if_offered)
        .map(|e| e.service_name.clone())
        .collect();
    if names.is_empty() {
        return Ok(None);
    }
    Ok(Some(api.offered_services(&names).await?))
}

/// The route tables of `subnet_ids`, for an S3 Gateway endpoint of `private_only` without
/// `route_table_ids` (one DescribeRouteTables of the VPC; otherwise no call).
pub(crate) async fn read_subnet_route_tables(
    api: &dyn Ec2Api,
    p: &Placement,
    endpoints: &[EndpointSpec],
) -> Result<Vec<String>, NetworkError> {
    if !p.route_tables_from_subnets || !endpoints.iter().any(|e| e.gateway) {
        return Ok(Vec::new());
    }
    let tables = api.route_tables(&p.vpc_id).await?;
    Ok(subnet_route_tables(&tables, &p.subnet_ids))
}

/// The endpoints the region does not offer (`offered`: what it does), as plan notes.
pub(crate) fn skipped_endpoints(
    endpoints: &[EndpointSpec],
    offered: Option<&Vec<String>>,
    region: &str,
) -> Vec<Change> {
    let Some(offered) = offered else {
        return Vec::new();
    };
    endpoints
        .iter()
        .filter(|e| e.only_if_offered && !offered.contains(&e.service_name))
        .map(|e| {
            Change::noop(e.address(), VpcEndpoint::KIND)
                .with_note(not_offered_note(&e.service_name, region))
        })
        .collect()
}

#[cfg(test)]
mod tests;

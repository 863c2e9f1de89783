//! The VPC reads of the live checks and the S3 Gateway endpoint: DescribeVpcs,
//! DescribeVpcAttribute, DescribeSubnets, DescribeRouteTables.

use super::sdk::filter;
use super::{RouteTableInfo, SubnetInfo, VpcDns, VpcInfo};
use aws_sdk_ec2::types::{AttributeBooleanValue, VpcAttributeName};
use aws_sdk_ec2::Client;
use baseline_core::aws::sdk_err;
use baseline_core::aws::ApiError;

pub(super) async fn find_vpc(client: &Client, vpc_id: &str) -> Result<Option<VpcInfo>, ApiError> {
    // A filter rather than VpcIds: an unknown id is then an empty answer, not an error.
    let out = client
        .describe_vpcs()
        .filters(filter("vpc-id", [vpc_id]))
        .send()
        .await
        .map_err(sdk_err("ec2", "DescribeVpcs", vpc_id))?;
    Ok(out
        .vpcs()
        .iter()
        .find(|v| v.vpc_id() == Some(vpc_id))
        .map(|v| VpcInfo {
            vpc_id: vpc_id.to_owned(),
            cidr_blocks: cidr_blocks(v),
        }))
}

/// The primary block, then the associated IPv4 and IPv6 blocks.
fn cidr_blocks(v: &aws_sdk_ec2::types::Vpc) -> Vec<String> {
    let mut cidr_blocks: Vec<String> = v.cidr_block().map(str::to_owned).into_iter().collect();
    for assoc in v.cidr_block_association_set() {
        let associated = assoc
            .cidr_block_state()
            .and_then(|s| s.state())
            .is_none_or(|s| s.as_str() == "associated");
        if let Some(block) = assoc.cidr_block().filter(|_| associated) {
            if !cidr_blocks.iter().any(|b| b == block) {
                cidr_blocks.push(block.to_owned());
            }
        }
    }
    for assoc in v.ipv6_cidr_block_association_set() {
        let associated = assoc
            .ipv6_cidr_block_state()
            .and_then(|s| s.state())
            .is_none_or(|s| s.as_str() == "associated");
        if let Some(block) = assoc.ipv6_cidr_block().filter(|_| associated) {
            cidr_blocks.push(block.to_owned());
        }
    }
    cidr_blocks
}

pub(super) async fn vpc_dns(client: &Client, vpc_id: &str) -> Result<VpcDns, ApiError> {
    let attribute = |name| {
        client
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(name)
            .send()
    };
    // One attribute per call; the two are independent. Joined (not try_joined) so a failure
    // of both reports the enableDnsSupport one, as when they ran one after the other.
    let (support, hostnames) = futures::join!(
        attribute(VpcAttributeName::EnableDnsSupport),
        attribute(VpcAttributeName::EnableDnsHostnames),
    );
    let support = support.map_err(sdk_err("ec2", "DescribeVpcAttribute", vpc_id))?;
    let hostnames = hostnames.map_err(sdk_err("ec2", "DescribeVpcAttribute", vpc_id))?;
    Ok(VpcDns {
        support: support
            .enable_dns_support()
            .and_then(AttributeBooleanValue::value)
            .unwrap_or(false),
        hostnames: hostnames
            .enable_dns_hostnames()
            .and_then(AttributeBooleanValue::value)
            .unwrap_or(false),
    })
}

pub(super) async fn find_subnets(
    client: &Client,
    subnet_ids: &[String],
) -> Result<Vec<SubnetInfo>, ApiError> {
    if subnet_ids.is_empty() {
        return Ok(Vec::new());
    }
    let subnets = client
        .describe_subnets()
        .filters(filter("subnet-id", subnet_ids.iter().cloned()))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("ec2", "DescribeSubnets", &subnet_ids.join(",")))?;
    Ok(subnets
        .iter()
        .map(|s| SubnetInfo {
            subnet_id: s.subnet_id().unwrap_or_default().to_owned(),
            vpc_id: s.vpc_id().unwrap_or_default().to_owned(),
            availability_zone: s.availability_zone().unwrap_or_default().to_owned(),
        })
        .collect())
}

pub(super) async fn route_tables(
    client: &Client,
    vpc_id: &str,
) -> Result<Vec<RouteTableInfo>, ApiError> {
    let tables = client
        .describe_route_tables()
        .filters(filter("vpc-id", [vpc_id]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("ec2", "DescribeRouteTables", vpc_id))?;
    Ok(tables
        .iter()
        .map(|t| {
            let associations = t.associations();
            RouteTableInfo {
                route_table_id: t.route_table_id().unwrap_or_default().to_owned(),
                main: associations.iter().any(|a| a.main() == Some(true)),
                subnet_ids: associations
                    .iter()
                    .filter_map(|a| a.subnet_id().map(str::to_owned))
                    .collect(),
            }
        })
        .collect())
}

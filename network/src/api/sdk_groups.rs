//! Security groups and their rules: DescribeSecurityGroups, DescribeSecurityGroupRules,
//! CreateSecurityGroup, Authorize/RevokeSecurityGroupIngress/Egress, ModifySecurityGroupRules,
//! DeleteSecurityGroup.

use super::sdk::{ec2_tags, filter, tag_map};
use super::{RuleSpec, SecurityGroupInfo, SecurityGroupRule};
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, ResourceType, SecurityGroupRuleRequest,
    SecurityGroupRuleUpdate, TagSpecification,
};
use aws_sdk_ec2::Client;
use baseline_core::aws::sdk_err;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::write::{batch_or_each, WriteResult};
use ipnet::IpNet;
use std::collections::BTreeMap;

/// DescribeSecurityGroups with `filters`, every page; `target` names the call in errors.
async fn describe_groups(
    client: &Client,
    filters: Vec<Filter>,
    target: &str,
) -> Result<Vec<SecurityGroupInfo>, ApiError> {
    let groups = client
        .describe_security_groups()
        .set_filters(Some(filters))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("ec2", "DescribeSecurityGroups", target))?;
    Ok(groups.iter().map(group_info).collect())
}

pub(super) async fn find_security_groups(
    client: &Client,
    vpc_id: &str,
    names: &[String],
) -> Result<Vec<SecurityGroupInfo>, ApiError> {
    let filters = vec![
        filter("vpc-id", [vpc_id]),
        filter("group-name", names.iter().cloned()),
    ];
    describe_groups(client, filters, vpc_id).await
}

pub(super) async fn security_groups_tagged(
    client: &Client,
    key: &str,
    value: &str,
) -> Result<Vec<SecurityGroupInfo>, ApiError> {
    describe_groups(client, vec![filter(&format!("tag:{key}"), [value])], value).await
}

pub(super) async fn security_group_rules(
    client: &Client,
    group_id: &str,
) -> Result<Vec<SecurityGroupRule>, ApiError> {
    let rules = client
        .describe_security_group_rules()
        .filters(filter("group-id", [group_id]))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("ec2", "DescribeSecurityGroupRules", group_id))?;
    Ok(rules.iter().map(|r| rule_info(r, group_id)).collect())
}

fn rule_info(r: &aws_sdk_ec2::types::SecurityGroupRule, group_id: &str) -> SecurityGroupRule {
    let peer = r
        .cidr_ipv4()
        .or(r.cidr_ipv6())
        .or(r.prefix_list_id())
        .or(r.referenced_group_info().and_then(|g| g.group_id()))
        .unwrap_or_default();
    SecurityGroupRule {
        rule_id: r.security_group_rule_id().unwrap_or_default().to_owned(),
        group_id: r.group_id().unwrap_or(group_id).to_owned(),
        egress: r.is_egress().unwrap_or(false),
        protocol: r.ip_protocol().unwrap_or("-1").to_owned(),
        from_port: r.from_port().unwrap_or(-1),
        to_port: r.to_port().unwrap_or(-1),
        peer: peer.to_owned(),
        description: r.description().filter(|d| !d.is_empty()).map(str::to_owned),
    }
}

fn group_info(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroupInfo {
    SecurityGroupInfo {
        group_id: g.group_id().unwrap_or_default().to_owned(),
        name: g.group_name().unwrap_or_default().to_owned(),
        vpc_id: g.vpc_id().unwrap_or_default().to_owned(),
        description: g.description().unwrap_or_default().to_owned(),
        tags: tag_map(g.tags()),
    }
}

pub(super) async fn create_security_group(
    client: &Client,
    name: &str,
    description: &str,
    vpc_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, ApiError> {
    let out = client
        .create_security_group()
        .group_name(name)
        .description(description)
        .vpc_id(vpc_id)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .set_tags(Some(ec2_tags(tags)))
                .build(),
        )
        .send()
        .await
        .map_err(sdk_err("ec2", "CreateSecurityGroup", name))?;
    out.group_id().map(str::to_owned).ok_or_else(|| {
        ApiError::synthetic(
            "ec2",
            "CreateSecurityGroup",
            name,
            ServiceErrorKind::Other,
            "no group id in the response",
        )
    })
}

fn permissions(rules: &[RuleSpec]) -> Option<Vec<IpPermission>> {
    Some(rules.iter().map(permission).collect())
}

fn permission(rule: &RuleSpec) -> IpPermission {
    let builder = IpPermission::builder()
        .ip_protocol(&rule.protocol)
        .from_port(rule.from_port)
        .to_port(rule.to_port);
    match rule.cidr {
        IpNet::V4(_) => builder
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(rule.cidr.to_string())
                    .description(&rule.description)
                    .build(),
            )
            .build(),
        IpNet::V6(_) => builder
            .ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6(rule.cidr.to_string())
                    .description(&rule.description)
                    .build(),
            )
            .build(),
    }
}

/// AuthorizeSecurityGroupIngress, or Egress with `egress`; rules already there are done.
pub(super) async fn authorize(
    client: &Client,
    egress: bool,
    group_id: &str,
    rules: &[RuleSpec],
) -> Result<(), ApiError> {
    batch_or_each(rules, ApiError::is_already_exists, |batch| async move {
        if egress {
            client
                .authorize_security_group_egress()
                .group_id(group_id)
                .set_ip_permissions(permissions(batch))
                .send()
                .await
                .map_err(sdk_err("ec2", "AuthorizeSecurityGroupEgress", group_id))
                .map(drop)
        } else {
            client
                .authorize_security_group_ingress()
                .group_id(group_id)
                .set_ip_permissions(permissions(batch))
                .send()
                .await
                .map_err(sdk_err("ec2", "AuthorizeSecurityGroupIngress", group_id))
                .map(drop)
        }
    })
    .await
}

/// RevokeSecurityGroupIngress, or Egress with `egress`, by rule id; rules already gone are done.
pub(super) async fn revoke(
    client: &Client,
    egress: bool,
    group_id: &str,
    rule_ids: &[String],
) -> Result<(), ApiError> {
    batch_or_each(rule_ids, ApiError::is_not_found, |batch| async move {
        let ids = Some(batch.to_vec());
        if egress {
            client
                .revoke_security_group_egress()
                .group_id(group_id)
                .set_security_group_rule_ids(ids)
                .send()
                .await
                .map_err(sdk_err("ec2", "RevokeSecurityGroupEgress", group_id))
                .map(drop)
        } else {
            client
                .revoke_security_group_ingress()
                .group_id(group_id)
                .set_security_group_rule_ids(ids)
                .send()
                .await
                .map_err(sdk_err("ec2", "RevokeSecurityGroupIngress", group_id))
                .map(drop)
        }
    })
    .await
}

pub(super) async fn modify_rule(
    client: &Client,
    group_id: &str,
    rule_id: &str,
    rule: &RuleSpec,
) -> Result<(), ApiError> {
    let request = SecurityGroupRuleRequest::builder()
        .ip_protocol(&rule.protocol)
        .from_port(rule.from_port)
        .to_port(rule.to_port)
        .description(&rule.description);
    let request = match rule.cidr {
        IpNet::V4(_) => request.cidr_ipv4(rule.cidr.to_string()),
        IpNet::V6(_) => request.cidr_ipv6(rule.cidr.to_string()),
    };
    client
        .modify_security_group_rules()
        .group_id(group_id)
        .security_group_rules(
            SecurityGroupRuleUpdate::builder()
                .security_group_rule_id(rule_id)
                .security_group_rule(request.build())
                .build(),
        )
        .send()
        .await
        .map_err(sdk_err("ec2", "ModifySecurityGroupRules", rule_id))?;
    Ok(())
}

pub(super) async fn delete_security_group(client: &Client, group_id: &str) -> Result<(), ApiError> {
    client
        .delete_security_group()
        .group_id(group_id)
        .send()
        .await
        .map_err(sdk_err("ec2", "DeleteSecurityGroup", group_id))
        .map(drop)
        .or_gone()
}

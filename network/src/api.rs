//! The narrow seam to EC2: exactly the operations this module uses, implemented for the SDK client
//! and mocked with mockall in unit tests. Responses are turned into the small plain structs below
//! at once, so the reconcile code never sees an SDK type.

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, IpPermission, IpRange, Ipv6Range, ResourceType,
    SecurityGroupRuleRequest, SecurityGroupRuleUpdate, Tag, TagSpecification, VpcAttributeName,
    VpcEndpointType,
};
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::write::WriteResult;
use baseline_core::AwsContext;
use ipnet::IpNet;
use std::collections::BTreeMap;

/// A VPC and its CIDR blocks (IPv4 and IPv6, associated ones only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcInfo {
    /// `vpc-...`.
    pub vpc_id: String,
    /// Every associated CIDR block, primary first.
    pub cidr_blocks: Vec<String>,
}

/// The two VPC attributes private DNS needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VpcDns {
    /// `enableDnsSupport`.
    pub support: bool,
    /// `enableDnsHostnames`.
    pub hostnames: bool,
}

/// A subnet: where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetInfo {
    /// `subnet-...`.
    pub subnet_id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Its availability zone, e.g. `us-east-1a`.
    pub availability_zone: String,
}

/// A route table of a VPC and the subnets explicitly associated with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTableInfo {
    /// `rtb-...`.
    pub route_table_id: String,
    /// True for the VPC's main route table (used by every subnet without an association).
    pub main: bool,
    /// Subnets associated with it explicitly.
    pub subnet_ids: Vec<String>,
}

/// A security group as DescribeSecurityGroups tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroupInfo {
    /// `sg-...`.
    pub group_id: String,
    /// Group name.
    pub name: String,
    /// Its VPC.
    pub vpc_id: String,
    /// Group description (immutable in EC2).
    pub description: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// One rule as DescribeSecurityGroupRules tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroupRule {
    /// `sgr-...`.
    pub rule_id: String,
    /// The group it belongs to.
    pub group_id: String,
    /// Egress (true) or ingress.
    pub egress: bool,
    /// `tcp`, `udp`, `icmp`, `-1` (all), or a protocol number.
    pub protocol: String,
    /// First port (-1 for all).
    pub from_port: i32,
    /// Last port (-1 for all).
    pub to_port: i32,
    /// The peer: a CIDR, a security group id or a prefix list id.
    pub peer: String,
    /// Rule description.
    pub description: Option<String>,
}

/// A rule to authorize: one protocol/port range and one CIDR.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleSpec {
    /// `tcp`.
    pub protocol: String,
    /// First port.
    pub from_port: i32,
    /// Last port.
    pub to_port: i32,
    /// The peer network.
    pub cidr: IpNet,
    /// Rule description (shown in the console and in audits).
    pub description: String,
}

/// A VPC endpoint as DescribeVpcEndpoints tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointInfo {
    /// `vpce-...`.
    pub endpoint_id: String,
    /// Its VPC.
    pub vpc_id: String,
    /// `com.amazonaws.<region>.<service>`.
    pub service_name: String,
    /// `Interface` or `Gateway`.
    pub endpoint_type: String,
    /// Lower-case state: `pending`, `available`, `deleting`, `deleted`, `failed`, ...
    pub state: String,
    /// Why the endpoint is failed, when AWS says.
    pub state_message: Option<String>,
    /// Subnets (interface endpoints).
    pub subnet_ids: Vec<String>,
    /// Security groups (interface endpoints).
    pub security_group_ids: Vec<String>,
    /// Route tables (gateway endpoints).
    pub route_table_ids: Vec<String>,
    /// Private DNS (interface endpoints).
    pub private_dns_enabled: bool,
    /// The endpoint policy as returned.
    pub policy: String,
    /// DNS names of the endpoint.
    pub dns_names: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time, seconds since the epoch (to keep the newest of duplicates).
    pub created: i64,
}

/// Parameters of CreateVpcEndpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateEndpoint {
    /// The VPC.
    pub vpc_id: String,
    /// `com.amazonaws.<region>.<service>`.
    pub service_name: String,
    /// Gateway endpoint (S3) rather than interface.
    pub gateway: bool,
    /// Subnets (interface).
    pub subnet_ids: Vec<String>,
    /// Security groups (interface).
    pub security_group_ids: Vec<String>,
    /// Route tables (gateway).
    pub route_table_ids: Vec<String>,
    /// Private DNS (interface only; `None` for gateways, which reject the parameter).
    pub private_dns_enabled: Option<bool>,
    /// Endpoint policy JSON.
    pub policy: String,
    /// Tags set at creation, so the endpoint is findable by tag from the start.
    pub tags: BTreeMap<String, String>,
    /// Idempotency token.
    pub client_token: String,
}

/// Parameters of ModifyVpcEndpoint (only what differs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModifyEndpoint {
    /// The endpoint.
    pub endpoint_id: String,
    /// Subnets to add.
    pub add_subnet_ids: Vec<String>,
    /// Subnets to remove.
    pub remove_subnet_ids: Vec<String>,
    /// Security groups to add.
    pub add_security_group_ids: Vec<String>,
    /// Security groups to remove.
    pub remove_security_group_ids: Vec<String>,
    /// Route tables to add.
    pub add_route_table_ids: Vec<String>,
    /// Route tables to remove.
    pub remove_route_table_ids: Vec<String>,
    /// New policy JSON.
    pub policy: Option<String>,
    /// New private DNS setting.
    pub private_dns_enabled: Option<bool>,
}

impl ModifyEndpoint {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.add_subnet_ids.is_empty()
            && self.remove_subnet_ids.is_empty()
            && self.add_security_group_ids.is_empty()
            && self.remove_security_group_ids.is_empty()
            && self.add_route_table_ids.is_empty()
            && self.remove_route_table_ids.is_empty()
            && self.policy.is_none()
            && self.private_dns_enabled.is_none()
    }
}

/// EC2 operations used by the module.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Ec2Api: Send + Sync {
    /// DescribeVpcs for one id; `None` when it does not exist.
    async fn find_vpc(&self, vpc_id: &str) -> Result<Option<VpcInfo>, ApiError>;
    /// DescribeVpcAttribute for enableDnsSupport and enableDnsHostnames.
    async fn vpc_dns(&self, vpc_id: &str) -> Result<VpcDns, ApiError>;
    /// DescribeSubnets; subnets that do not exist are left out.
    async fn find_subnets(&self, subnet_ids: &[String]) -> Result<Vec<SubnetInfo>, ApiError>;
    /// DescribeSecurityGroups by name inside a VPC.
    async fn find_security_groups(
        &self,
        vpc_id: &str,
        names: &[String],
    ) -> Result<Vec<SecurityGroupInfo>, ApiError>;
    /// DescribeSecurityGroups carrying `key = value`, in any VPC.
    async fn security_groups_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<SecurityGroupInfo>, ApiError>;
    /// DescribeSecurityGroupRules of one group (both directions).
    async fn security_group_rules(
        &self,
        group_id: &str,
    ) -> Result<Vec<SecurityGroupRule>, ApiError>;
    /// CreateSecurityGroup with tags; returns the group id.
    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError>;
    /// AuthorizeSecurityGroupIngress.
    async fn authorize_ingress(&self, group_id: &str, rules: &[RuleSpec]) -> Result<(), ApiError>;
    /// AuthorizeSecurityGroupEgress.
    async fn authorize_egress(&self, group_id: &str, rules: &[RuleSpec]) -> Result<(), ApiError>;
    /// RevokeSecurityGroupIngress by rule id.
    async fn revoke_ingress(&self, group_id: &str, rule_ids: &[String]) -> Result<(), ApiError>;
    /// RevokeSecurityGroupEgress by rule id.
    async fn revoke_egress(&self, group_id: &str, rule_ids: &[String]) -> Result<(), ApiError>;
    /// ModifySecurityGroupRules: rewrites one rule (used to fix its description).
    async fn modify_rule(
        &self,
        group_id: &str,
        rule_id: &str,
        rule: &RuleSpec,
    ) -> Result<(), ApiError>;
    /// DeleteSecurityGroup.
    async fn delete_security_group(&self, group_id: &str) -> Result<(), ApiError>;
    /// CreateTags.
    async fn create_tags(
        &self,
        resource_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError>;
    /// DeleteTags.
    async fn delete_tags(&self, resource_id: &str, keys: &[String]) -> Result<(), ApiError>;
    /// DescribeVpcEndpoints carrying `key = value` (every state, deleted ones included).
    async fn endpoints_tagged(&self, key: &str, value: &str)
        -> Result<Vec<EndpointInfo>, ApiError>;
    /// DescribeVpcEndpoints for one id; `None` when it does not exist.
    async fn describe_endpoint(&self, endpoint_id: &str) -> Result<Option<EndpointInfo>, ApiError>;
    /// CreateVpcEndpoint; returns the endpoint (possibly an existing one, for a repeated token).
    async fn create_endpoint(&self, request: &CreateEndpoint) -> Result<EndpointInfo, ApiError>;
    /// ModifyVpcEndpoint.
    async fn modify_endpoint(&self, request: &ModifyEndpoint) -> Result<(), ApiError>;
    /// DeleteVpcEndpoints; an id that does not exist is not an error.
    async fn delete_endpoints(&self, endpoint_ids: &[String]) -> Result<(), ApiError>;
    /// DescribeVpcEndpointServices filtered by `service-name`: the names of `service_names`
    /// the region offers (one call; a name the region lacks is simply not returned).
    async fn offered_services(&self, service_names: &[String]) -> Result<Vec<String>, ApiError>;
    /// DescribeRouteTables of one VPC (filter `vpc-id`).
    async fn route_tables(&self, vpc_id: &str) -> Result<Vec<RouteTableInfo>, ApiError>;
}

/// [`Ec2Api`] over the SDK client.
#[derive(Debug, Clone)]
pub struct SdkEc2Api {
    client: aws_sdk_ec2::Client,
}

impl SdkEc2Api {
    /// A client from the context (records its calls in the context's call log).
    pub fn new(ctx: &AwsContext) -> Self {
        let conf = aws_sdk_ec2::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        Self {
            client: aws_sdk_ec2::Client::from_conf(conf),
        }
    }

    /// Wraps an existing client (tests inject interceptors this way).
    pub fn from_client(client: aws_sdk_ec2::Client) -> Self {
        Self { client }
    }
}

fn err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_ec2::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("ec2", op, target, e)
}

fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
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

fn group_info(g: &aws_sdk_ec2::types::SecurityGroup) -> SecurityGroupInfo {
    SecurityGroupInfo {
        group_id: g.group_id().unwrap_or_default().to_owned(),
        name: g.group_name().unwrap_or_default().to_owned(),
        vpc_id: g.vpc_id().unwrap_or_default().to_owned(),
        description: g.description().unwrap_or_default().to_owned(),
        tags: tag_map(g.tags()),
    }
}

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

fn not_found_is_none<T>(result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Ec2Api for SdkEc2Api {
    async fn find_vpc(&self, vpc_id: &str) -> Result<Option<VpcInfo>, ApiError> {
        // A filter rather than VpcIds: an unknown id is then an empty answer, not an error.
        let out = self
            .client
            .describe_vpcs()
            .filters(filter("vpc-id", [vpc_id]))
            .send()
            .await
            .map_err(err("DescribeVpcs", vpc_id))?;
        Ok(out
            .vpcs()
            .iter()
            .find(|v| v.vpc_id() == Some(vpc_id))
            .map(|v| {
                let mut cidr_blocks: Vec<String> =
                    v.cidr_block().map(str::to_owned).into_iter().collect();
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
                VpcInfo {
                    vpc_id: vpc_id.to_owned(),
                    cidr_blocks,
                }
            }))
    }

    async fn vpc_dns(&self, vpc_id: &str) -> Result<VpcDns, ApiError> {
        let support = self
            .client
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(VpcAttributeName::EnableDnsSupport)
            .send()
            .await
            .map_err(err("DescribeVpcAttribute", vpc_id))?;
        let hostnames = self
            .client
            .describe_vpc_attribute()
            .vpc_id(vpc_id)
            .attribute(VpcAttributeName::EnableDnsHostnames)
            .send()
            .await
            .map_err(err("DescribeVpcAttribute", vpc_id))?;
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

    async fn find_subnets(&self, subnet_ids: &[String]) -> Result<Vec<SubnetInfo>, ApiError> {
        if subnet_ids.is_empty() {
            return Ok(Vec::new());
        }
        let target = subnet_ids.join(",");
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_subnets()
            .filters(filter("subnet-id", subnet_ids.iter().cloned()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("DescribeSubnets", &target))?;
            for s in page.subnets() {
                found.push(SubnetInfo {
                    subnet_id: s.subnet_id().unwrap_or_default().to_owned(),
                    vpc_id: s.vpc_id().unwrap_or_default().to_owned(),
                    availability_zone: s.availability_zone().unwrap_or_default().to_owned(),
                });
            }
        }
        Ok(found)
    }

    async fn find_security_groups(
        &self,
        vpc_id: &str,
        names: &[String],
    ) -> Result<Vec<SecurityGroupInfo>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_security_groups()
            .filters(filter("vpc-id", [vpc_id]))
            .filters(filter("group-name", names.iter().cloned()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("DescribeSecurityGroups", vpc_id))?;
            found.extend(page.security_groups().iter().map(group_info));
        }
        Ok(found)
    }

    async fn security_groups_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<SecurityGroupInfo>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_security_groups()
            .filters(filter(&format!("tag:{key}"), [value]))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("DescribeSecurityGroups", value))?;
            found.extend(page.security_groups().iter().map(group_info));
        }
        Ok(found)
    }

    async fn security_group_rules(
        &self,
        group_id: &str,
    ) -> Result<Vec<SecurityGroupRule>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_security_group_rules()
            .filters(filter("group-id", [group_id]))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("DescribeSecurityGroupRules", group_id))?;
            for r in page.security_group_rules() {
                let peer = r
                    .cidr_ipv4()
                    .or(r.cidr_ipv6())
                    .or(r.prefix_list_id())
                    .or(r.referenced_group_info().and_then(|g| g.group_id()))
                    .unwrap_or_default();
                found.push(SecurityGroupRule {
                    rule_id: r.security_group_rule_id().unwrap_or_default().to_owned(),
                    group_id: r.group_id().unwrap_or(group_id).to_owned(),
                    egress: r.is_egress().unwrap_or(false),
                    protocol: r.ip_protocol().unwrap_or("-1").to_owned(),
                    from_port: r.from_port().unwrap_or(-1),
                    to_port: r.to_port().unwrap_or(-1),
                    peer: peer.to_owned(),
                    description: r.description().filter(|d| !d.is_empty()).map(str::to_owned),
                });
            }
        }
        Ok(found)
    }

    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        let out = self
            .client
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
            .map_err(err("CreateSecurityGroup", name))?;
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

    async fn authorize_ingress(&self, group_id: &str, rules: &[RuleSpec]) -> Result<(), ApiError> {
        self.client
            .authorize_security_group_ingress()
            .group_id(group_id)
            .set_ip_permissions(Some(rules.iter().map(permission).collect()))
            .send()
            .await
            .map_err(err("AuthorizeSecurityGroupIngress", group_id))
            .map(drop)
            // a retry after a lost answer meets the rules its first attempt added
            .or_exists()
    }

    async fn authorize_egress(&self, group_id: &str, rules: &[RuleSpec]) -> Result<(), ApiError> {
        self.client
            .authorize_security_group_egress()
            .group_id(group_id)
            .set_ip_permissions(Some(rules.iter().map(permission).collect()))
            .send()
            .await
            .map_err(err("AuthorizeSecurityGroupEgress", group_id))
            .map(drop)
            // a retry after a lost answer meets the rules its first attempt added
            .or_exists()
    }

    async fn revoke_ingress(&self, group_id: &str, rule_ids: &[String]) -> Result<(), ApiError> {
        self.client
            .revoke_security_group_ingress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(rule_ids.to_vec()))
            .send()
            .await
            .map_err(err("RevokeSecurityGroupIngress", group_id))
            .map(drop)
            .or_gone()
    }

    async fn revoke_egress(&self, group_id: &str, rule_ids: &[String]) -> Result<(), ApiError> {
        self.client
            .revoke_security_group_egress()
            .group_id(group_id)
            .set_security_group_rule_ids(Some(rule_ids.to_vec()))
            .send()
            .await
            .map_err(err("RevokeSecurityGroupEgress", group_id))
            .map(drop)
            .or_gone()
    }

    async fn modify_rule(
        &self,
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
        self.client
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
            .map_err(err("ModifySecurityGroupRules", rule_id))?;
        Ok(())
    }

    async fn delete_security_group(&self, group_id: &str) -> Result<(), ApiError> {
        self.client
            .delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .map_err(err("DeleteSecurityGroup", group_id))
            .map(drop)
            .or_gone()
    }

    async fn create_tags(
        &self,
        resource_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        self.client
            .create_tags()
            .resources(resource_id)
            .set_tags(Some(ec2_tags(tags)))
            .send()
            .await
            .map_err(err("CreateTags", resource_id))?;
        Ok(())
    }

    async fn delete_tags(&self, resource_id: &str, keys: &[String]) -> Result<(), ApiError> {
        self.client
            .delete_tags()
            .resources(resource_id)
            .set_tags(Some(
                keys.iter().map(|k| Tag::builder().key(k).build()).collect(),
            ))
            .send()
            .await
            .map_err(err("DeleteTags", resource_id))?;
        Ok(())
    }

    async fn endpoints_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<EndpointInfo>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_vpc_endpoints()
            .filters(filter(&format!("tag:{key}"), [value]))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("DescribeVpcEndpoints", value))?;
            found.extend(page.vpc_endpoints().iter().map(endpoint_info));
        }
        Ok(found)
    }

    async fn describe_endpoint(&self, endpoint_id: &str) -> Result<Option<EndpointInfo>, ApiError> {
        let out = self
            .client
            .describe_vpc_endpoints()
            .vpc_endpoint_ids(endpoint_id)
            .send()
            .await
            .map_err(err("DescribeVpcEndpoints", endpoint_id));
        Ok(not_found_is_none(out)?.and_then(|o| {
            o.vpc_endpoints()
                .iter()
                .find(|e| e.vpc_endpoint_id() == Some(endpoint_id))
                .map(endpoint_info)
        }))
    }

    async fn create_endpoint(&self, r: &CreateEndpoint) -> Result<EndpointInfo, ApiError> {
        let kind = if r.gateway {
            VpcEndpointType::Gateway
        } else {
            VpcEndpointType::Interface
        };
        let mut call = self
            .client
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
            .map_err(err("CreateVpcEndpoint", &r.service_name))?;
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

    async fn modify_endpoint(&self, r: &ModifyEndpoint) -> Result<(), ApiError> {
        let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        let mut call = self
            .client
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
            .map_err(err("ModifyVpcEndpoint", &r.endpoint_id))?;
        Ok(())
    }

    async fn delete_endpoints(&self, endpoint_ids: &[String]) -> Result<(), ApiError> {
        if endpoint_ids.is_empty() {
            return Ok(());
        }
        let target = endpoint_ids.join(",");
        let out = self
            .client
            .delete_vpc_endpoints()
            .set_vpc_endpoint_ids(Some(endpoint_ids.to_vec()))
            .send()
            .await
            .map_err(err("DeleteVpcEndpoints", &target))?;
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

    async fn offered_services(&self, service_names: &[String]) -> Result<Vec<String>, ApiError> {
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
            let out = self
                .client
                .describe_vpc_endpoint_services()
                .filters(filter("service-name", service_names.iter().cloned()))
                .set_next_token(next.take())
                .send()
                .await
                .map_err(err("DescribeVpcEndpointServices", &target))?;
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

    async fn route_tables(&self, vpc_id: &str) -> Result<Vec<RouteTableInfo>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self
            .client
            .describe_route_tables()
            .filters(filter("vpc-id", [vpc_id]))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(err("DescribeRouteTables", vpc_id))?;
            for t in page.route_tables() {
                let associations = t.associations();
                found.push(RouteTableInfo {
                    route_table_id: t.route_table_id().unwrap_or_default().to_owned(),
                    main: associations.iter().any(|a| a.main() == Some(true)),
                    subnet_ids: associations
                        .iter()
                        .filter_map(|a| a.subnet_id().map(str::to_owned))
                        .collect(),
                });
            }
        }
        Ok(found)
    }
}

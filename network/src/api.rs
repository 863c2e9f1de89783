//! The narrow seam to EC2: exactly the operations this module uses, implemented for the SDK client
//! and mocked with mockall in unit tests. Responses are turned into the small plain structs below
//! at once, so the reconcile code never sees an SDK type. The SDK implementation sits in
//! `api/sdk_<kind>.rs` (VPC reads, security groups, endpoints), the trait impl here delegates.

use async_trait::async_trait;
use baseline_core::aws::ApiError;
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

// The SDK side, by resource kind; the trait impl below only delegates.
mod sdk;
mod sdk_endpoints;
mod sdk_groups;
mod sdk_vpc;

#[async_trait]
impl Ec2Api for SdkEc2Api {
    async fn find_vpc(&self, vpc_id: &str) -> Result<Option<VpcInfo>, ApiError> {
        sdk_vpc::find_vpc(&self.client, vpc_id).await
    }

    async fn vpc_dns(&self, vpc_id: &str) -> Result<VpcDns, ApiError> {
        sdk_vpc::vpc_dns(&self.client, vpc_id).await
    }

    async fn find_subnets(&self, subnet_ids: &[String]) -> Result<Vec<SubnetInfo>, ApiError> {
        sdk_vpc::find_subnets(&self.client, subnet_ids).await
    }

    async fn find_security_groups(
        &self,
        vpc_id: &str,
        names: &[String],
    ) -> Result<Vec<SecurityGroupInfo>, ApiError> {
        sdk_groups::find_security_groups(&self.client, vpc_id, names).await
    }

    async fn security_groups_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<SecurityGroupInfo>, ApiError> {
        sdk_groups::security_groups_tagged(&self.client, key, value).await
    }

    async fn security_group_rules(
        &self,
        group_id: &str,
    ) -> Result<Vec<SecurityGroupRule>, ApiError> {
        sdk_groups::security_group_rules(&self.client, group_id).await
    }

    async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String, ApiError> {
        sdk_groups::create_security_group(&self.client, name, description, vpc_id, tags).await
    }

    async fn authorize_ingress(&self, group_id: &str, rules: &[RuleSpec]) -> Result<(), ApiError> {
        sdk_groups::authorize(&self.client, false, group_id, rules).await
    }

    async fn authorize_egress(&self, group_id: &str, rules: &[RuleSpec]) -> Result<(), ApiError> {
        sdk_groups::authorize(&self.client, true, group_id, rules).await
    }

    async fn revoke_ingress(&self, group_id: &str, rule_ids: &[String]) -> Result<(), ApiError> {
        sdk_groups::revoke(&self.client, false, group_id, rule_ids).await
    }

    async fn revoke_egress(&self, group_id: &str, rule_ids: &[String]) -> Result<(), ApiError> {
        sdk_groups::revoke(&self.client, true, group_id, rule_ids).await
    }

    async fn modify_rule(
        &self,
        group_id: &str,
        rule_id: &str,
        rule: &RuleSpec,
    ) -> Result<(), ApiError> {
        sdk_groups::modify_rule(&self.client, group_id, rule_id, rule).await
    }

    async fn delete_security_group(&self, group_id: &str) -> Result<(), ApiError> {
        sdk_groups::delete_security_group(&self.client, group_id).await
    }

    async fn create_tags(
        &self,
        resource_id: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        sdk::create_tags(&self.client, resource_id, tags).await
    }

    async fn delete_tags(&self, resource_id: &str, keys: &[String]) -> Result<(), ApiError> {
        sdk::delete_tags(&self.client, resource_id, keys).await
    }

    async fn endpoints_tagged(
        &self,
        key: &str,
        value: &str,
    ) -> Result<Vec<EndpointInfo>, ApiError> {
        sdk_endpoints::endpoints_tagged(&self.client, key, value).await
    }

    async fn describe_endpoint(&self, endpoint_id: &str) -> Result<Option<EndpointInfo>, ApiError> {
        sdk_endpoints::describe_endpoint(&self.client, endpoint_id).await
    }

    async fn create_endpoint(&self, r: &CreateEndpoint) -> Result<EndpointInfo, ApiError> {
        sdk_endpoints::create_endpoint(&self.client, r).await
    }

    async fn modify_endpoint(&self, r: &ModifyEndpoint) -> Result<(), ApiError> {
        sdk_endpoints::modify_endpoint(&self.client, r).await
    }

    async fn delete_endpoints(&self, endpoint_ids: &[String]) -> Result<(), ApiError> {
        sdk_endpoints::delete_endpoints(&self.client, endpoint_ids).await
    }

    async fn offered_services(&self, service_names: &[String]) -> Result<Vec<String>, ApiError> {
        sdk_endpoints::offered_services(&self.client, service_names).await
    }

    async fn route_tables(&self, vpc_id: &str) -> Result<Vec<RouteTableInfo>, ApiError> {
        sdk_vpc::route_tables(&self.client, vpc_id).await
    }
}

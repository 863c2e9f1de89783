//! EC2 reads of the network rules: the VPC endpoints with their policies.

use super::{list_missing, Reader};
use crate::inventory::{Read, VpcEndpoint};
use baseline_core::policy::PolicyDocument;

impl Reader {
    /// `ec2:DescribeVpcEndpoints`.
    pub(super) async fn endpoints(&self) -> Read<Vec<VpcEndpoint>> {
        self.paged(
            "ec2:DescribeVpcEndpoints",
            list_missing,
            |t| self.ec2.describe_vpc_endpoints().set_next_token(t).send(),
            |p| p.vpc_endpoints().iter().map(endpoint).collect(),
        )
        .await
    }
}

fn endpoint(e: &aws_sdk_ec2::types::VpcEndpoint) -> VpcEndpoint {
    VpcEndpoint {
        id: e.vpc_endpoint_id().unwrap_or_default().to_owned(),
        service_name: e.service_name().unwrap_or_default().to_owned(),
        vpc_id: e.vpc_id().unwrap_or_default().to_owned(),
        kind: e
            .vpc_endpoint_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        state: e
            .state()
            .map(|t| t.as_str().to_ascii_lowercase())
            .unwrap_or_default(),
        subnet_ids: e.subnet_ids().to_vec(),
        tags: e
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        policy: match e.policy_document().filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(text) => PolicyDocument::parse(text)
                .map(Some)
                .map_err(|e| e.to_string()),
        },
    }
}

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

use crate::api::RouteTableInfo;

/// The service key of the Mantle endpoint.
pub const MANTLE: &str = "bedrock-mantle";

/// The extra services `private_only` adds (interface `logs`, gateway `s3`).
pub(crate) const PRIVATE_ONLY_SERVICES: &[(&str, bool)] = &[("logs", false), ("s3", true)];

/// The plan note of an endpoint the region does not offer.
pub(crate) fn not_offered_note(service_name: &str, region: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn table(id: &str, main: bool, subnets: &[&str]) -> RouteTableInfo {
        RouteTableInfo {
            route_table_id: id.into(),
            main,
            subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn subnets_without_an_association_use_the_main_table() {
        let tables = [
            table("rtb-main", true, &[]),
            table("rtb-a", false, &["subnet-a"]),
            table("rtb-other", false, &["subnet-z"]),
        ];
        let subnets = ["subnet-a".to_owned(), "subnet-b".to_owned()];
        assert_eq!(
            subnet_route_tables(&tables, &subnets),
            vec!["rtb-a", "rtb-main"]
        );
        assert_eq!(
            subnet_route_tables(&tables, &["subnet-a".to_owned()]),
            vec!["rtb-a"]
        );
    }
}

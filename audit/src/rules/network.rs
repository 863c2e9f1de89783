//! VPC endpoints (BB-58..62).

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-61",
        title: "Bedrock VPC endpoint policy does not allow any principal without a condition",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:vpc_endpoint_connections_trust_boundaries"],
        frameworks: NETWORK,
        remediation: "Keep the stack's endpoint policies (or fix `custom_endpoint_policies.<service>`) and \
            apply; outside a stack ec2:ModifyVpcEndpoint with a policy naming principals or an \
            aws:PrincipalAccount/aws:PrincipalOrgID condition.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html",
            "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
        ],
        check: check_endpoint_policy,
    },
    Rule {
        id: "BB-58",
        title: "Each Bedrock VPC has available endpoints for bedrock, bedrock-runtime, bedrock-agent and bedrock-agent-runtime",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_vpc_endpoints_configured", "sra:bedrock_org/bedrock-vpc-endpoints", "aiml-assessment:BR-02"],
        frameworks: NETWORK,
        remediation: "Set `enable_bedrock_management_endpoint`, `enable_bedrock_runtime_endpoint`, \
            `enable_bedrock_agent_endpoint` and `enable_bedrock_agent_runtime_endpoint` to true and \
            apply; outside a stack ec2:CreateVpcEndpoint (Interface) for each.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html"],
        check: check_bedrock_endpoints,
    },
    Rule {
        id: "BB-59",
        title: "Each Bedrock VPC has a CloudWatch Logs interface endpoint",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-cloudwatch-endpoints"],
        frameworks: NETWORK,
        remediation: "Add \"logs\" to `extra_endpoint_services` and apply; outside a stack \
            ec2:CreateVpcEndpoint com.amazonaws.<region>.logs.",
        docs: &["https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch-logs-and-interface-VPC.html"],
        check: check_logs_endpoint,
    },
    Rule {
        id: "BB-60",
        title: "Each Bedrock VPC has an S3 gateway endpoint",
        severity: Severity::Low,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/bedrock-s3-endpoints"],
        frameworks: NETWORK,
        remediation: "Add \"s3\" to `extra_endpoint_services` (with `route_table_ids`) and apply; \
            outside a stack ec2:CreateVpcEndpoint Gateway com.amazonaws.<region>.s3.",
        docs: &["https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html"],
        check: check_s3_endpoint,
    },
    Rule {
        id: "BB-62",
        title: "Bedrock interface endpoints span at least two subnets (Availability Zones)",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:vpc_endpoint_multi_az_enabled"],
        frameworks: NETWORK,
        remediation: "Give `subnet_ids` one subnet per Availability Zone (two or more) and apply; \
            outside a stack ec2:ModifyVpcEndpoint AddSubnetIds.",
        docs: &["https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html"],
        check: check_endpoint_azs,
    },
];

// An endpoint without a policy gets the default full-access policy
// (https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html).
fn check_endpoint_policy(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = format!(
        "arn:{}:ec2:{}:{}:vpc-endpoint/*",
        inv.partition, inv.region, inv.account_id
    );
    let all = match listed(rule, &inv.endpoints, &region, "ec2:DescribeVpcEndpoints") {
        Ok(e) => e,
        Err(f) => return f,
    };
    let endpoints: Vec<_> = match scope_name(inv) {
        Some(stack) => all
            .iter()
            .filter(|e| {
                e.tags
                    .get(baseline_core::naming::STACK_TAG)
                    .is_some_and(|s| s == &stack.stack)
            })
            .collect(),
        None => all.iter().filter(|e| e.is_bedrock()).collect(),
    };
    if endpoints.is_empty() {
        return vec![rule.finding(region, Status::NotApplicable, "no Bedrock VPC endpoint")];
    }
    endpoints
        .into_iter()
        .map(|e| {
            let res = format!("arn:{}:ec2:{}:{}:vpc-endpoint/{}", inv.partition, inv.region, inv.account_id, e.id);
            match &e.policy {
                Err(err) => rule.finding(res, Status::Unknown, format!("policy did not parse: {err}")),
                Ok(None) => rule.finding(res, Status::Fail, format!("{}: no policy (full access for any principal)", e.service_name)),
                Ok(Some(doc)) => {
                    let public = public_statements(doc);
                    if public.is_empty() {
                        rule.finding(res, Status::Pass, format!("{}: every Allow names principals or is conditioned", e.service_name))
                    } else {
                        rule.finding(
                            res,
                            Status::Fail,
                            format!("{}: statements {} allow Principal * without an account/org condition", e.service_name, public.join(", ")),
                        )
                    }
                }
            }
        })
        .collect()
}

/// The VPCs the endpoint rules judge: the stack's, else every VPC with a Bedrock endpoint
/// (Prowler scopes to VPCs that use Bedrock, after prowler#5674's false positives).
fn bedrock_vpcs<'a>(
    rule: &Rule,
    inv: &'a Inventory,
) -> Result<(Vec<String>, &'a [VpcEndpoint]), Vec<Finding>> {
    let region = regional_arn(inv, "ec2", "vpc/*");
    let all = listed(rule, &inv.endpoints, &region, "ec2:DescribeVpcEndpoints")?;
    let vpcs: Vec<String> = match scope_name(inv).and_then(|s| s.vpc_id.clone()) {
        Some(v) => vec![v],
        None => {
            let mut v: Vec<String> = all
                .iter()
                .filter(|e| e.is_bedrock())
                .map(|e| e.vpc_id.clone())
                .collect();
            v.sort();
            v.dedup();
            v
        }
    };
    if vpcs.is_empty() {
        return Err(vec![rule.finding(
            region,
            Status::NotApplicable,
            "no VPC has a Bedrock endpoint",
        )]);
    }
    Ok((vpcs, all))
}

fn per_vpc(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&[&VpcEndpoint]) -> (Status, String),
) -> Vec<Finding> {
    let (vpcs, all) = match bedrock_vpcs(rule, inv) {
        Ok(x) => x,
        Err(f) => return f,
    };
    vpcs.iter()
        .map(|vpc| {
            let mine: Vec<&VpcEndpoint> = all.iter().filter(|e| &e.vpc_id == vpc).collect();
            let (status, reason) = judge(&mine);
            rule.finding(
                regional_arn(inv, "ec2", &format!("vpc/{vpc}")),
                status,
                format!("{vpc}: {reason}"),
            )
        })
        .collect()
}

// The four SRA / BR-02 services; Prowler also asks for bedrock-mantle, which this tool does not
// deploy, so it is reported but not required.
const BEDROCK_SERVICES: &[&str] = &[
    "bedrock",
    "bedrock-runtime",
    "bedrock-agent",
    "bedrock-agent-runtime",
];

fn check_bedrock_endpoints(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_vpc(rule, inv, |eps| {
        let missing: Vec<&str> = BEDROCK_SERVICES
            .iter()
            .filter(|s| {
                !eps.iter()
                    .any(|e| e.service() == **s && e.state == "available")
            })
            .copied()
            .collect();
        let mantle = if eps.iter().any(|e| e.service() == "bedrock-mantle") {
            ""
        } else {
            " (no bedrock-mantle endpoint, not required)"
        };
        if missing.is_empty() {
            (
                Status::Pass,
                format!("all four Bedrock endpoints available{mantle}"),
            )
        } else {
            (
                Status::Fail,
                format!("no available endpoint for {}", missing.join(", ")),
            )
        }
    })
}

fn check_logs_endpoint(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    endpoint_present(rule, inv, "logs", "interface")
}

fn check_s3_endpoint(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    endpoint_present(rule, inv, "s3", "gateway")
}

/// Per VPC: PASS when it has a `kind` (interface, gateway) endpoint of `service`.
fn endpoint_present(rule: &Rule, inv: &Inventory, service: &str, kind: &str) -> Vec<Finding> {
    per_vpc(rule, inv, |eps| {
        if eps
            .iter()
            .any(|e| e.service() == service && e.kind.eq_ignore_ascii_case(kind))
        {
            (Status::Pass, format!("{service} {kind} endpoint present"))
        } else {
            (Status::Fail, format!("no {service} {kind} endpoint"))
        }
    })
}

fn check_endpoint_azs(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let (vpcs, all) = match bedrock_vpcs(rule, inv) {
        Ok(x) => x,
        Err(f) => return f,
    };
    let eps: Vec<&VpcEndpoint> = all
        .iter()
        .filter(|e| {
            e.is_bedrock() && vpcs.contains(&e.vpc_id) && e.kind.eq_ignore_ascii_case("interface")
        })
        .collect();
    if eps.is_empty() {
        return vec![rule.finding(
            regional_arn(inv, "ec2", "vpc-endpoint/*"),
            Status::NotApplicable,
            "no Bedrock interface endpoint",
        )];
    }
    eps.into_iter()
        .map(|e| {
            let res = regional_arn(inv, "ec2", &format!("vpc-endpoint/{}", e.id));
            if e.subnet_ids.len() >= 2 {
                rule.finding(
                    res,
                    Status::Pass,
                    format!("{}: {} subnets", e.service_name, e.subnet_ids.len()),
                )
            } else {
                rule.finding(
                    res,
                    Status::Fail,
                    format!("{}: {} subnet", e.service_name, e.subnet_ids.len()),
                )
            }
        })
        .collect()
}

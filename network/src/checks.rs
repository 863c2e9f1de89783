//! The live checks that run at the start of observe, before anything is planned or written:
//! the VPC exists, every subnet exists and belongs to it, `vpc_cidr` is one of its CIDR blocks,
//! and private DNS finds the VPC's DNS support and DNS hostnames on. The reads are
//! [`live_checks`]; the verdict, [`check`], is pure, so every case is unit-tested without mocks.
//!
//! Failures are [`ConfigIssue`]s with the config key and the fix; subnets in a single
//! availability zone are a warning, not an error.

use crate::api::{Ec2Api, SubnetInfo, VpcDns, VpcInfo};
use crate::module::Placement;
use crate::NetworkError;
use baseline_core::config::ConfigIssue;
use baseline_core::reconcile::PreconditionFailed;
use ipnet::IpNet;
use std::collections::BTreeSet;

/// What the checks were given (the config's side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckInput<'a> {
    /// `vpc_id`.
    pub vpc_id: &'a str,
    /// `subnet_ids`.
    pub subnet_ids: &'a [String],
    /// `vpc_cidr`.
    pub vpc_cidr: &'a IpNet,
    /// `enable_private_dns`.
    pub private_dns: bool,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckReport {
    /// Errors: nothing may be created.
    pub issues: Vec<ConfigIssue>,
    /// Notes that do not block (e.g. a single availability zone).
    pub warnings: Vec<String>,
    /// The availability zones of the subnets, sorted.
    pub availability_zones: Vec<String>,
}

fn issue(
    path: impl Into<String>,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> ConfigIssue {
    ConfigIssue {
        path: path.into(),
        message: message.into(),
        hint: Some(hint.into()),
    }
}

/// Checks the live VPC, subnets and DNS attributes against the config. `dns` is `None` when it
/// was not read (private DNS off, or no VPC).
pub(crate) fn check(
    input: &CheckInput<'_>,
    vpc: Option<&VpcInfo>,
    subnets: &[SubnetInfo],
    dns: Option<VpcDns>,
) -> CheckReport {
    let mut report = CheckReport::default();
    let vpc_id = input.vpc_id;
    match vpc {
        None => report.issues.push(issue(
            "vpc_id",
            format!("VPC {vpc_id} does not exist in this account and region"),
            "check vpc_id and the region; list VPCs with `aws ec2 describe-vpcs --query 'Vpcs[].[VpcId,CidrBlock]'`",
        )),
        Some(vpc) => {
            let wanted = input.vpc_cidr.trunc();
            let known = vpc.cidr_blocks.iter().filter_map(|b| b.parse::<IpNet>().ok()).any(|b| b.trunc() == wanted);
            if !known {
                report.issues.push(issue(
                    "vpc_cidr",
                    format!("{} is not a CIDR block of {vpc_id} (its blocks: {})", input.vpc_cidr, vpc.cidr_blocks.join(", ")),
                    format!("set vpc_cidr to one of: {}", vpc.cidr_blocks.join(", ")),
                ));
            }
            if let Some(dns) = dns.filter(|_| input.private_dns) {
                let mut fix_attr = |on: bool, attribute: &str, flag: &str| {
                    if !on {
                        report.issues.push(issue(
                            "enable_private_dns",
                            format!("private DNS needs the VPC attribute {attribute}, which is off on {vpc_id}"),
                            format!(
                                "turn it on with `aws ec2 modify-vpc-attribute --vpc-id {vpc_id} {flag}`, or set enable_private_dns = false"
                            ),
                        ));
                    }
                };
                fix_attr(dns.support, "enableDnsSupport", "--enable-dns-support");
                fix_attr(dns.hostnames, "enableDnsHostnames", "--enable-dns-hostnames");
            }
        }
    }
    let mut zones = BTreeSet::new();
    for (i, id) in input.subnet_ids.iter().enumerate() {
        match subnets.iter().find(|s| &s.subnet_id == id) {
            None => report.issues.push(issue(
                format!("subnet_ids[{i}]"),
                format!("subnet {id} does not exist in this account and region"),
                format!("list the subnets of the VPC with `aws ec2 describe-subnets --filters Name=vpc-id,Values={vpc_id}`"),
            )),
            Some(s) if s.vpc_id != vpc_id => report.issues.push(issue(
                format!("subnet_ids[{i}]"),
                format!("subnet {id} belongs to {}, not to vpc_id {vpc_id}", s.vpc_id),
                format!("use subnets of {vpc_id}: `aws ec2 describe-subnets --filters Name=vpc-id,Values={vpc_id}`"),
            )),
            Some(s) => {
                zones.insert(s.availability_zone.clone());
            }
        }
    }
    report.availability_zones = zones.into_iter().collect();
    if report.issues.is_empty() && report.availability_zones.len() == 1 {
        report.warnings.push(format!(
            "the endpoint subnets are all in {}: the endpoints are not highly available; add a subnet of another availability zone to subnet_ids",
            report.availability_zones[0]
        ));
    }
    report
}

/// Reads the VPC, the subnets and, for private DNS, the VPC's DNS attributes, all at once;
/// fails with the issues when the network does not fit.
pub(crate) async fn live_checks(
    api: &dyn Ec2Api,
    p: &Placement,
    vpc_cidr: &IpNet,
) -> Result<CheckReport, NetworkError> {
    // The attributes are read beside the VPC rather than after it (one round trip less on
    // every plan); for a VPC that does not exist their answer (an error) is not looked at.
    let dns = async {
        if p.private_dns {
            Some(api.vpc_dns(&p.vpc_id).await)
        } else {
            None
        }
    };
    let (vpc, subnets, dns) = futures::join!(
        api.find_vpc(&p.vpc_id),
        api.find_subnets(&p.subnet_ids),
        dns
    );
    let (vpc, subnets) = (vpc?, subnets?);
    let dns = match (&vpc, dns) {
        (Some(_), Some(dns)) => Some(dns?),
        _ => None,
    };
    let input = CheckInput {
        vpc_id: &p.vpc_id,
        subnet_ids: &p.subnet_ids,
        vpc_cidr,
        private_dns: p.private_dns,
    };
    let report = check(&input, vpc.as_ref(), &subnets, dns);
    if report.issues.is_empty() {
        Ok(report)
    } else {
        Err(NetworkError::Precondition(PreconditionFailed {
            issues: report.issues,
        }))
    }
}

#[cfg(test)]
mod tests;

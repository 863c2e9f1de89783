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

/// Reads the VPC and the subnets (at once), then, for private DNS, the VPC's DNS attributes;
/// fails with the issues when the network does not fit.
pub(crate) async fn live_checks(
    api: &dyn Ec2Api,
    p: &Placement,
    vpc_cidr: &IpNet,
) -> Result<CheckReport, NetworkError> {
    let (vpc, subnets) =
        futures::try_join!(api.find_vpc(&p.vpc_id), api.find_subnets(&p.subnet_ids))?;
    // The attributes of a VPC that does not exist cannot be read.
    let dns = match &vpc {
        Some(_) if p.private_dns => Some(api.vpc_dns(&p.vpc_id).await?),
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
mod tests {
    use super::*;

    fn vpc() -> VpcInfo {
        VpcInfo {
            vpc_id: "vpc-1".into(),
            cidr_blocks: vec!["10.0.0.0/16".into(), "10.1.0.0/16".into()],
        }
    }

    fn subnet(id: &str, vpc: &str, az: &str) -> SubnetInfo {
        SubnetInfo {
            subnet_id: id.into(),
            vpc_id: vpc.into(),
            availability_zone: az.into(),
        }
    }

    const ON: VpcDns = VpcDns {
        support: true,
        hostnames: true,
    };

    #[track_caller]
    fn check_paths(
        vpc: Option<&VpcInfo>,
        subnets: &[SubnetInfo],
        dns: Option<VpcDns>,
        cidr: &str,
        expected: &[(&str, &str)],
    ) -> CheckReport {
        let ids = vec!["subnet-a".to_owned(), "subnet-b".to_owned()];
        let cidr: IpNet = cidr.parse().unwrap();
        let input = CheckInput {
            vpc_id: "vpc-1",
            subnet_ids: &ids,
            vpc_cidr: &cidr,
            private_dns: true,
        };
        let report = check(&input, vpc, subnets, dns);
        let got: Vec<(&str, &str)> = report
            .issues
            .iter()
            .map(|i| (i.path.as_str(), i.message.as_str()))
            .collect();
        assert_eq!(got.len(), expected.len(), "{got:?}");
        for ((path, msg), (want_path, want_msg)) in got.iter().zip(expected) {
            assert_eq!(path, want_path);
            assert!(msg.contains(want_msg), "{msg} lacks {want_msg}");
        }
        report
    }

    #[test]
    fn a_good_network_passes_with_both_zones() {
        let subnets = [
            subnet("subnet-a", "vpc-1", "us-east-1a"),
            subnet("subnet-b", "vpc-1", "us-east-1b"),
        ];
        let r = check_paths(Some(&vpc()), &subnets, Some(ON), "10.1.0.0/16", &[]);
        assert_eq!(r.availability_zones, vec!["us-east-1a", "us-east-1b"]);
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn one_zone_is_a_warning_not_an_error() {
        let subnets = [
            subnet("subnet-a", "vpc-1", "us-east-1a"),
            subnet("subnet-b", "vpc-1", "us-east-1a"),
        ];
        let r = check_paths(Some(&vpc()), &subnets, Some(ON), "10.0.0.0/16", &[]);
        assert!(r.warnings[0].contains("us-east-1a"));
    }

    #[test]
    fn unknown_vpc_and_subnets_are_reported_with_their_paths() {
        check_paths(
            None,
            &[],
            None,
            "10.0.0.0/16",
            &[
                ("vpc_id", "does not exist"),
                ("subnet_ids[0]", "does not exist"),
                ("subnet_ids[1]", "does not exist"),
            ],
        );
    }

    #[test]
    fn a_subnet_of_another_vpc_is_named() {
        let subnets = [
            subnet("subnet-a", "vpc-1", "us-east-1a"),
            subnet("subnet-b", "vpc-9", "us-east-1b"),
        ];
        check_paths(
            Some(&vpc()),
            &subnets,
            Some(ON),
            "10.0.0.0/16",
            &[("subnet_ids[1]", "belongs to vpc-9")],
        );
    }

    #[test]
    fn a_foreign_cidr_and_dns_off_are_reported_with_the_fix() {
        let subnets = [
            subnet("subnet-a", "vpc-1", "us-east-1a"),
            subnet("subnet-b", "vpc-1", "us-east-1b"),
        ];
        let r = check_paths(
            Some(&vpc()),
            &subnets,
            Some(VpcDns {
                support: true,
                hostnames: false,
            }),
            "10.9.0.0/16",
            &[
                ("vpc_cidr", "not a CIDR block"),
                ("enable_private_dns", "enableDnsHostnames"),
            ],
        );
        assert!(r.issues[0].hint.as_deref().unwrap().contains("10.0.0.0/16"));
        assert!(r.issues[1]
            .hint
            .as_deref()
            .unwrap()
            .contains("modify-vpc-attribute --vpc-id vpc-1 --enable-dns-hostnames"));
    }

    #[test]
    fn dns_is_not_required_without_private_dns() {
        let ids = vec!["subnet-a".to_owned()];
        let cidr: IpNet = "10.0.0.0/16".parse().unwrap();
        let input = CheckInput {
            vpc_id: "vpc-1",
            subnet_ids: &ids,
            vpc_cidr: &cidr,
            private_dns: false,
        };
        let r = check(
            &input,
            Some(&vpc()),
            &[subnet("subnet-a", "vpc-1", "us-east-1a")],
            Some(VpcDns {
                support: false,
                hostnames: false,
            }),
        );
        assert!(r.issues.is_empty());
    }
}

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

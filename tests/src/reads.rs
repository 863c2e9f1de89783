//! Seeding and reading back the emulator's resources through the SDK, as several tests do.

use crate::ACCOUNT_ID;
use aws_config::SdkConfig;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, VpcAttributeName};
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::{PolicyDocument, Statement};
use std::collections::BTreeMap;

/// A VPC made by a test.
#[derive(Debug, Clone)]
pub struct TestVpc {
    /// Its id.
    pub vpc_id: String,
    /// Its subnets, one per availability zone.
    pub subnets: Vec<String>,
}

/// VPC `cidr` with DNS support (and hostnames when asked) and `subnets` /24 subnets, each in
/// its own availability zone.
pub async fn make_vpc(
    ec2: &aws_sdk_ec2::Client,
    cidr: &str,
    dns_hostnames: bool,
    subnets: usize,
) -> TestVpc {
    let vpc = ec2
        .create_vpc()
        .cidr_block(cidr)
        .send()
        .await
        .expect("CreateVpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned();
    for attr in [
        VpcAttributeName::EnableDnsSupport,
        VpcAttributeName::EnableDnsHostnames,
    ] {
        let on = AttributeBooleanValue::builder()
            .value(attr == VpcAttributeName::EnableDnsSupport || dns_hostnames)
            .build();
        let call = ec2.modify_vpc_attribute().vpc_id(&vpc_id);
        let call = if attr == VpcAttributeName::EnableDnsSupport {
            call.enable_dns_support(on)
        } else {
            call.enable_dns_hostnames(on)
        };
        call.send().await.expect("ModifyVpcAttribute");
    }
    let zones = ec2
        .describe_availability_zones()
        .send()
        .await
        .expect("DescribeAvailabilityZones");
    let zones: Vec<String> = zones
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name().map(str::to_owned))
        .collect();
    let base = cidr.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut made = Vec::new();
    for (i, zone) in zones.iter().take(subnets).enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("{base}.{}.0/24", i + 1))
            .availability_zone(zone)
            .send()
            .await
            .expect("CreateSubnet");
        made.push(
            s.subnet()
                .and_then(|s| s.subnet_id())
                .expect("subnet id")
                .to_owned(),
        );
    }
    TestVpc {
        vpc_id,
        subnets: made,
    }
}

/// `--set` values placing a stack in `vpc_id` on `subnets`.
pub fn vpc_sets(vpc_id: &str, subnets: &[impl AsRef<str>]) -> Vec<String> {
    let list = subnets
        .iter()
        .map(|s| format!("{:?}", s.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    vec![format!("vpc_id={vpc_id:?}"), format!("subnet_ids=[{list}]")]
}

/// The EC2 filter for resources tagged with `stack`.
pub fn stack_tag_filter(stack: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{STACK_TAG}"))
        .values(stack)
        .build()
}

/// Live (not deleted or deleting) VPC endpoints of `stack`, by their `baseline:endpoint` tag.
pub async fn live_endpoints(
    ec2: &aws_sdk_ec2::Client,
    stack: &str,
) -> BTreeMap<String, aws_sdk_ec2::types::VpcEndpoint> {
    let out = ec2
        .describe_vpc_endpoints()
        .filters(stack_tag_filter(stack))
        .send()
        .await
        .expect("DescribeVpcEndpoints");
    out.vpc_endpoints()
        .iter()
        .filter(|e| {
            !matches!(
                e.state()
                    .map(|s| s.as_str().to_ascii_lowercase())
                    .as_deref(),
                Some("deleted" | "deleting")
            )
        })
        .map(|e| {
            let service = e
                .tags()
                .iter()
                .find(|t| t.key() == Some("baseline:endpoint"))
                .and_then(|t| t.value())
                .unwrap_or_default();
            (service.to_owned(), e.clone())
        })
        .collect()
}

/// Whether `(key, value)` tags hold the stack tag with value `stack`.
pub fn has_stack_tag<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>, stack: &str) -> bool {
    tags.into_iter().any(|(k, v)| k == STACK_TAG && v == stack)
}

/// The log groups whose names start with `prefix`.
pub async fn log_groups(
    logs: &aws_sdk_cloudwatchlogs::Client,
    prefix: &str,
) -> Vec<aws_sdk_cloudwatchlogs::types::LogGroup> {
    logs.describe_log_groups()
        .log_group_name_prefix(prefix)
        .send()
        .await
        .expect("DescribeLogGroups")
        .log_groups()
        .to_vec()
}

/// The log groups of `stack` (`/aws/bedrock/<stack>/...`).
pub async fn stack_log_groups(
    conf: &SdkConfig,
    stack: &str,
) -> Vec<aws_sdk_cloudwatchlogs::types::LogGroup> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
    log_groups(&logs, &format!("/aws/bedrock/{stack}/")).await
}

/// A KMS key's state, e.g. `Enabled` or `PendingDeletion`.
pub async fn key_state(kms: &aws_sdk_kms::Client, key_id: &str) -> String {
    kms.describe_key()
        .key_id(key_id)
        .send()
        .await
        .expect("DescribeKey")
        .key_metadata()
        .expect("key metadata")
        .key_state()
        .expect("key state")
        .as_str()
        .to_owned()
}

/// Ids of the KMS keys that carry `stack`'s tag, in any state.
pub async fn stack_keys(kms: &aws_sdk_kms::Client, stack: &str) -> Vec<String> {
    let mut ours = Vec::new();
    for k in kms.list_keys().limit(1000).send().await.unwrap().keys() {
        let id = k.key_id().unwrap();
        let tags = kms.list_resource_tags().key_id(id).send().await.unwrap();
        if has_stack_tag(
            tags.tags().iter().map(|t| (t.tag_key(), t.tag_value())),
            stack,
        ) {
            ours.push(id.to_owned());
        }
    }
    ours
}

/// The first server-side encryption rule of a bucket.
pub async fn bucket_encryption_rule(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> aws_sdk_s3::types::ServerSideEncryptionRule {
    let enc = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .expect("GetBucketEncryption");
    enc.server_side_encryption_configuration()
        .expect("encryption configuration")
        .rules()[0]
        .clone()
}

/// The default version of a managed IAM policy, parsed.
pub async fn default_policy_document(iam: &aws_sdk_iam::Client, arn: &str) -> PolicyDocument {
    let policy = iam
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .expect("GetPolicy");
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .expect("default version")
        .to_owned();
    let out = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .expect("GetPolicyVersion");
    PolicyDocument::parse(
        out.policy_version()
            .and_then(|v| v.document())
            .expect("document"),
    )
    .expect("policy parses")
}

/// Asserts the confused-deputy guard of a grant to a service: `aws:SourceAccount` is exactly
/// the emulator's account and `aws:SourceArn` exactly `source_arn`.
#[track_caller]
pub fn assert_source_guard(st: &Statement, source_arn: &str) {
    assert_eq!(st.deputy_conditions(), (vec![ACCOUNT_ID], vec![source_arn]));
}

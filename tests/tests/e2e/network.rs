//! End-to-end tests of `baseline-network` against the emulator. Each test makes its own VPC (DNS
//! support and hostnames on, two subnets in two availability zones) through the SDK, and its own
//! stack, so tests run in parallel.

use aws_sdk_ec2::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_ec2::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ec2::error::BoxError;
use aws_sdk_ec2::operation::create_vpc_endpoint::{
    CreateVpcEndpointInput, CreateVpcEndpointOutput,
};
use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use baseline_core::policy::PolicyDocument;
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::{Action, AwsContext, Change, Config, Module};
use baseline_network::{
    endpoint_policy, Ec2Api, NetworkError, NetworkModule, PolicyContext, RuleSpec, SdkEc2Api,
};
use baseline_tests::{
    actions, apply_module, attribute_names, context, destroy_module, example_config_with,
    live_endpoints, make_vpc, plan_module, sdk_config, stack_tag_filter, unique_env, vpc_sets,
    Intercepted, TestVpc, ACCOUNT_ID, REGION,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The default endpoints (us-east-1 in the emulator offers `bedrock-mantle`).
const SERVICES: [&str; 5] = [
    "bedrock",
    "bedrock-agent",
    "bedrock-agent-runtime",
    "bedrock-mantle",
    "bedrock-runtime",
];

async fn ec2() -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&sdk_config().await)
}

fn config_for(label: &str, vpc: &TestVpc, subnets: &[&str], sets: &[&str]) -> Config {
    let mut all = vpc_sets(&vpc.vpc_id, subnets);
    all.extend(sets.iter().map(|s| s.to_string()));
    example_config_with("basic", &unique_env(label), all)
}

/// Start and end of each CreateVpcEndpoint, by service name, seen by the client itself.
#[derive(Debug, Default, Clone)]
struct CreateTimes(Arc<Mutex<BTreeMap<String, Span>>>);

/// When a call started and when it ended.
type Span = (Option<Instant>, Option<Instant>);

impl Intercept for CreateTimes {
    fn name(&self) -> &'static str {
        "test.CreateTimes"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input().downcast_ref::<CreateVpcEndpointInput>() {
            let service = input.service_name().unwrap_or_default().to_owned();
            self.0.lock().unwrap().entry(service).or_default().0 = Some(Instant::now());
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(Ok(output)) = context.output_or_error() {
            if let Some(out) = output.downcast_ref::<CreateVpcEndpointOutput>() {
                let service = out
                    .vpc_endpoint()
                    .and_then(|e| e.service_name())
                    .unwrap_or_default()
                    .to_owned();
                self.0.lock().unwrap().entry(service).or_default().1 = Some(Instant::now());
            }
        }
        Ok(())
    }
}

/// The module over an EC2 client that records into the context's call log and into `times`.
fn module(ctx: &AwsContext, times: &CreateTimes) -> NetworkModule<SdkEc2Api> {
    let ec2 = Intercepted::new(ctx.sdk())
        .with(ctx.call_recorder())
        .with(times.clone())
        .ec2();
    NetworkModule::with_api(SdkEc2Api::from_client(ec2), ctx)
}

/// The changes a plan shows now (no-ops left out).
async fn plan(m: &NetworkModule<SdkEc2Api>, config: &Config) -> Vec<Change> {
    plan_module(m, config, &())
        .await
        .changes
        .into_iter()
        .filter(Change::is_change)
        .collect()
}

async fn groups_of(ec2: &aws_sdk_ec2::Client, config: &Config) -> BTreeMap<String, String> {
    let out = ec2
        .describe_security_groups()
        .filters(stack_tag_filter(&config.prefix()))
        .send()
        .await
        .expect("DescribeSecurityGroups");
    out.security_groups()
        .iter()
        .map(|g| {
            (
                g.group_name().unwrap_or_default().to_owned(),
                g.group_id().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// (direction, protocol, from, to, cidr, has description) of every rule of a group.
async fn rules_of(
    ec2: &aws_sdk_ec2::Client,
    group_id: &str,
) -> BTreeSet<(bool, String, i32, i32, String, bool)> {
    let out = ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group_id).build())
        .send()
        .await
        .expect("DescribeSecurityGroupRules");
    out.security_group_rules()
        .iter()
        .map(|r| {
            (
                r.is_egress().unwrap_or_default(),
                r.ip_protocol().unwrap_or_default().to_owned(),
                r.from_port().unwrap_or_default(),
                r.to_port().unwrap_or_default(),
                r.cidr_ipv4().unwrap_or_default().to_owned(),
                r.description().is_some_and(|d| !d.is_empty()),
            )
        })
        .collect()
}

fn https(egress: bool, cidr: &str) -> (bool, String, i32, i32, String, bool) {
    (egress, "tcp".into(), 443, 443, cidr.into(), true)
}

fn policy_context(config: &Config) -> PolicyContext {
    PolicyContext {
        partition: "aws".into(),
        account_id: ACCOUNT_ID.into(),
        region: REGION.into(),
        role_name: config.bedrock_role_name.clone(),
        allowed_model_regions: config.allowed_model_regions.clone(),
        foundation_models: config.foundation_models.clone(),
        role_arn: None,
        admin_principal_arns: config.admin_principal_arns.clone(),
        profile_model_arns: Vec::new(),
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[tokio::test]
async fn apply_from_empty_creates_groups_and_endpoints_concurrently_then_converges_and_destroys() {
    let ec2 = ec2().await;
    let vpc = make_vpc(&ec2, "10.0.0.0/16", true, 3).await;
    let config = config_for("netapply", &vpc, &[&vpc.subnets[0], &vpc.subnets[1]], &[]);
    let ctx = context(&config).await;
    let times = CreateTimes::default();
    let m = module(&ctx, &times);

    let first = plan(&m, &config).await;
    let creates = |t: &str| {
        first
            .iter()
            .filter(|c| c.resource_type == t && c.action == Action::Create)
            .count()
    };
    assert_eq!((creates("security_group"), creates("vpc_endpoint")), (3, 5));
    let out = apply_module(&m, &config, &()).await;

    // Three groups, with exactly the configured rules (the default egress revoked).
    let prefix = config.prefix();
    let groups = groups_of(&ec2, &config).await;
    assert_eq!(
        groups.keys().cloned().collect::<Vec<_>>(),
        vec![
            format!("{prefix}-bedrock-general"),
            format!("{prefix}-bedrock-management"),
            format!("{prefix}-bedrock-runtime"),
        ]
    );
    assert_eq!(
        groups[&format!("{prefix}-bedrock-runtime")],
        out.security_group_ids.runtime.as_str()
    );
    let egress = https(true, "10.0.0.0/16");
    assert_eq!(
        rules_of(&ec2, out.security_group_ids.management.as_str()).await,
        BTreeSet::from([https(false, "10.20.0.0/16"), egress.clone()])
    );
    assert_eq!(
        rules_of(&ec2, out.security_group_ids.runtime.as_str()).await,
        BTreeSet::from([
            https(false, "10.30.0.0/16"),
            https(false, "10.40.0.0/16"),
            egress.clone()
        ])
    );
    assert_eq!(
        rules_of(&ec2, out.security_group_ids.general.as_str()).await,
        BTreeSet::from([https(false, "10.0.0.0/16"), egress])
    );

    // Five endpoints: private DNS, the subnets, the right group, each policy as generated.
    let endpoints = live_endpoints(&ec2, &config.prefix()).await;
    assert_eq!(
        endpoints.keys().map(String::as_str).collect::<Vec<_>>(),
        SERVICES
    );
    let policies = policy_context(&config);
    for (service, e) in &endpoints {
        assert_eq!(
            e.service_name(),
            Some(format!("com.amazonaws.{REGION}.{service}").as_str())
        );
        assert_eq!(e.private_dns_enabled(), Some(true), "{service}");
        assert_eq!(
            sorted(e.subnet_ids()),
            sorted(&vpc.subnets[..2]),
            "{service}"
        );
        let group = if service.ends_with("runtime") || *service == "bedrock-mantle" {
            &out.security_group_ids.runtime
        } else {
            &out.security_group_ids.management
        };
        assert_eq!(
            e.groups()
                .iter()
                .filter_map(|g| g.group_id())
                .collect::<Vec<_>>(),
            vec![group.as_str()],
            "{service}"
        );
        let text = e.policy_document().expect("policy");
        let got: serde_json::Value = serde_json::from_str(text).expect("policy is JSON");
        let want = endpoint_policy(service, &policies);
        assert!(
            PolicyDocument::parse(text).unwrap().equivalent(&want),
            "{service}: {got:#}"
        );
        assert_eq!(
            got["Statement"][0]["Condition"]["ArnEquals"]["aws:PrincipalArn"],
            format!("arn:aws:iam::{ACCOUNT_ID}:role/JQ-12345678-Bedrock")
        );
        assert_eq!(
            out.endpoint_ids[service].as_str(),
            e.vpc_endpoint_id().unwrap()
        );
    }
    let runtime: serde_json::Value =
        serde_json::from_str(endpoints["bedrock-runtime"].policy_document().unwrap()).unwrap();
    assert_eq!(
        runtime["Statement"][0]["Action"],
        serde_json::json!([
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream"
        ])
    );
    assert_eq!(
        runtime["Statement"][0]["Condition"]["StringEquals"]["aws:RequestedRegion"],
        serde_json::json!(config.allowed_model_regions)
    );
    assert_eq!(out.summary.vpc_id, vpc.vpc_id);
    assert_eq!(out.summary.availability_zones.len(), 2);
    assert!(out.summary.private_dns);
    assert!(
        SERVICES.iter().all(|s| !out.dns_entries[*s].is_empty()),
        "{:?}",
        out.dns_entries
    );

    // The five creates were in flight together: every one started before any one finished.
    let times = times.0.lock().unwrap().clone();
    assert_eq!(times.len(), 5, "{times:?}");
    let last_start = times.values().filter_map(|t| t.0).max().unwrap();
    let first_end = times.values().filter_map(|t| t.1).min().unwrap();
    assert!(
        last_start < first_end,
        "CreateVpcEndpoint calls ran one after another: {times:?}"
    );

    // A second apply changes nothing and writes nothing.
    assert!(plan(&m, &config).await.is_empty());
    let writes = ctx.call_log().writes().len();
    let again = apply_module(&m, &config, &()).await;
    assert_eq!(
        ctx.call_log().writes().len(),
        writes,
        "second apply wrote: {:?}",
        &ctx.call_log().writes()[writes..]
    );
    assert_eq!(again, out);

    // Destroy leaves nothing tagged with the stack.
    destroy_module(&m, &config, &()).await;
    assert!(live_endpoints(&ec2, &config.prefix()).await.is_empty());
    assert!(groups_of(&ec2, &config).await.is_empty());
    assert!(plan(&m, &config)
        .await
        .iter()
        .all(|c| c.action == Action::Create));
}

#[tokio::test]
async fn hand_made_drift_is_planned_and_repaired() {
    let ec2 = ec2().await;
    let vpc = make_vpc(&ec2, "10.0.0.0/16", true, 3).await;
    let config = config_for("netdrift", &vpc, &[&vpc.subnets[0], &vpc.subnets[1]], &[]);
    let ctx = context(&config).await;
    let m = module(&ctx, &CreateTimes::default());
    let out = apply_module(&m, &config, &()).await;

    // By hand: SSH from anywhere on the runtime group, and an allow-all runtime endpoint policy.
    ec2.authorize_security_group_ingress()
        .group_id(out.security_group_ids.runtime.as_str())
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .expect("hand-made rule");
    let open = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    ec2.modify_vpc_endpoint()
        .vpc_endpoint_id(out.endpoint_ids["bedrock-runtime"].as_str())
        .policy_document(open)
        .send()
        .await
        .expect("hand-made policy");

    let changes = plan(&m, &config).await;
    assert_eq!(
        actions(&changes),
        vec![
            (
                r#"network.security_group_rule["runtime:ingress:tcp:22:0.0.0.0/0"]"#,
                Action::Delete
            ),
            (r#"network.endpoint["bedrock-runtime"]"#, Action::Update),
        ]
    );
    assert!(
        changes[1]
            .attributes
            .iter()
            .all(|a| a.name.starts_with("policy")),
        "{:?}",
        changes[1].attributes
    );

    let repaired = apply_module(&m, &config, &()).await;
    assert_eq!(repaired.endpoint_ids, out.endpoint_ids, "repaired in place");
    assert!(plan(&m, &config).await.is_empty());
    let rules = rules_of(&ec2, out.security_group_ids.runtime.as_str()).await;
    assert!(rules.iter().all(|r| r.2 == 443), "{rules:?}");
    let endpoints = live_endpoints(&ec2, &config.prefix()).await;
    let policy =
        PolicyDocument::parse(endpoints["bedrock-runtime"].policy_document().unwrap()).unwrap();
    assert!(policy.equivalent(&endpoint_policy(
        "bedrock-runtime",
        &policy_context(&config)
    )));
    destroy_module(&m, &config, &()).await;
}

#[tokio::test]
async fn changed_cidrs_and_subnets_converge_in_place() {
    let ec2 = ec2().await;
    let vpc = make_vpc(&ec2, "10.0.0.0/16", true, 3).await;
    let env = unique_env("netmove");
    let at = |subnets: &[&str], runtime: &str| {
        let mut sets = vpc_sets(&vpc.vpc_id, subnets);
        sets.push(format!("runtime_allowed_cidrs={runtime}"));
        example_config_with("basic", &env, sets)
    };
    let (a, b, c) = (
        vpc.subnets[0].as_str(),
        vpc.subnets[1].as_str(),
        vpc.subnets[2].as_str(),
    );
    let config = at(&[a, b], r#"["10.30.0.0/16","10.40.0.0/16"]"#);
    let ctx = context(&config).await;
    let m = module(&ctx, &CreateTimes::default());
    let out = apply_module(&m, &config, &()).await;

    // New runtime CIDRs: one rule authorized, one revoked, the group untouched.
    let config = at(&[a, b], r#"["10.30.0.0/16","10.50.0.0/16"]"#);
    let changes = plan(&m, &config).await;
    assert_eq!(
        actions(&changes),
        vec![
            (
                r#"network.security_group_rule["runtime:ingress:tcp:443:10.50.0.0/16"]"#,
                Action::Create
            ),
            (
                r#"network.security_group_rule["runtime:ingress:tcp:443:10.40.0.0/16"]"#,
                Action::Delete
            ),
        ]
    );
    let moved = apply_module(&m, &config, &()).await;
    assert_eq!(moved.security_group_ids, out.security_group_ids);
    assert_eq!(
        rules_of(&ec2, out.security_group_ids.runtime.as_str()).await,
        BTreeSet::from([
            https(false, "10.30.0.0/16"),
            https(false, "10.50.0.0/16"),
            https(true, "10.0.0.0/16")
        ])
    );

    // New subnets: every endpoint is modified, none replaced, the ids stay.
    let config = at(&[a, c], r#"["10.30.0.0/16","10.50.0.0/16"]"#);
    let changes = plan(&m, &config).await;
    assert_eq!(changes.len(), 5, "{changes:#?}");
    for change in &changes {
        assert_eq!(change.action, Action::Update, "{}", change.address);
        assert_eq!(attribute_names(change), vec!["subnet_ids"]);
    }
    let shifted = apply_module(&m, &config, &()).await;
    assert_eq!(shifted.endpoint_ids, out.endpoint_ids);
    for (service, e) in live_endpoints(&ec2, &config.prefix()).await {
        assert_eq!(
            sorted(e.subnet_ids()),
            sorted(&[a.to_owned(), c.to_owned()]),
            "{service}"
        );
    }
    assert!(plan(&m, &config).await.is_empty());
    destroy_module(&m, &config, &()).await;
}

#[track_caller]
fn precondition_paths(err: &NetworkError) -> Vec<(String, String)> {
    let source = std::error::Error::source(err).expect("a source");
    let failed = source
        .downcast_ref::<PreconditionFailed>()
        .unwrap_or_else(|| panic!("not a precondition failure: {err}"));
    failed
        .issues
        .iter()
        .map(|i| {
            (
                i.path.clone(),
                format!("{} {}", i.message, i.hint.clone().unwrap_or_default()),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_bad_network_fails_before_any_write() {
    let ec2 = ec2().await;
    let good = make_vpc(&ec2, "10.0.0.0/16", true, 3).await;
    let other = make_vpc(&ec2, "10.9.0.0/16", true, 3).await;
    let no_hostnames = make_vpc(&ec2, "10.0.0.0/16", false, 3).await;
    let unknown = TestVpc {
        vpc_id: "vpc-0123456789abcdef0".into(),
        subnets: good.subnets.clone(),
    };
    let cases: [(&TestVpc, [&str; 2], &str, &str); 3] = [
        (
            &unknown,
            [&good.subnets[0], &good.subnets[1]],
            "vpc_id",
            "does not exist",
        ),
        (
            &good,
            [&good.subnets[0], &other.subnets[0]],
            "subnet_ids[1]",
            "belongs to",
        ),
        (
            &no_hostnames,
            [&no_hostnames.subnets[0], &no_hostnames.subnets[1]],
            "enable_private_dns",
            "--enable-dns-hostnames",
        ),
    ];
    for (vpc, subnets, path, text) in cases {
        let config = config_for("netbad", vpc, &subnets, &[]);
        let ctx = context(&config).await;
        let m = module(&ctx, &CreateTimes::default());
        let spec = m.spec(&config, &()).expect("spec");
        let err = m.observe(&spec).await.expect_err("the checks must fail");
        let issues = precondition_paths(&err);
        assert!(
            issues.iter().any(|(p, m)| p == path && m.contains(text)),
            "{path}: {issues:#?}"
        );
        assert!(
            ctx.call_log().writes().is_empty(),
            "{:?}",
            ctx.call_log().writes()
        );
        assert!(groups_of(&ec2, &config).await.is_empty());
        assert!(live_endpoints(&ec2, &config.prefix()).await.is_empty());
    }
}

#[tokio::test]
async fn extra_services_get_the_general_group_and_s3_a_gateway_endpoint() {
    let ec2 = ec2().await;
    let vpc = make_vpc(&ec2, "10.0.0.0/16", true, 3).await;
    let tables = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&vpc.vpc_id).build())
        .send()
        .await
        .expect("DescribeRouteTables");
    let table = tables.route_tables()[0]
        .route_table_id()
        .expect("route table")
        .to_owned();
    let config = config_for(
        "netextra",
        &vpc,
        &[&vpc.subnets[0], &vpc.subnets[1]],
        &[
            r#"extra_endpoint_services=["kms","s3"]"#,
            &format!("route_table_ids=[{table:?}]"),
            "enable_bedrock_agent_endpoint=false",
        ],
    );
    let ctx = context(&config).await;
    let m = module(&ctx, &CreateTimes::default());
    let out = apply_module(&m, &config, &()).await;
    let endpoints = live_endpoints(&ec2, &config.prefix()).await;
    assert_eq!(
        endpoints.keys().map(String::as_str).collect::<Vec<_>>(),
        vec![
            "bedrock",
            "bedrock-agent-runtime",
            "bedrock-mantle",
            "bedrock-runtime",
            "kms",
            "s3"
        ]
    );
    let kms = &endpoints["kms"];
    assert_eq!(
        kms.groups()
            .iter()
            .filter_map(|g| g.group_id())
            .collect::<Vec<_>>(),
        vec![out.security_group_ids.general.as_str()]
    );
    let s3 = &endpoints["s3"];
    assert_eq!(s3.vpc_endpoint_type().map(|t| t.as_str()), Some("Gateway"));
    assert_eq!(s3.route_table_ids(), std::slice::from_ref(&table));
    let policy = PolicyDocument::parse(s3.policy_document().unwrap()).unwrap();
    assert!(policy.equivalent(&endpoint_policy("s3", &policy_context(&config))));
    assert!(!policy.has_wildcard_allow());

    let writes = ctx.call_log().writes().len();
    assert!(plan(&m, &config).await.is_empty());
    apply_module(&m, &config, &()).await;
    assert_eq!(ctx.call_log().writes().len(), writes, "second apply wrote");

    // Switching kms off deletes exactly that endpoint.
    let mut fewer = config.clone();
    fewer
        .extra_endpoint_services
        .retain(|s| s.as_str() != "kms");
    let changes = plan(&m, &fewer).await;
    assert_eq!(
        actions(&changes),
        vec![(r#"network.endpoint["kms"]"#, Action::Delete)]
    );
    apply_module(&m, &fewer, &()).await;
    assert!(!live_endpoints(&ec2, &config.prefix())
        .await
        .contains_key("kms"));
    destroy_module(&m, &fewer, &()).await;
    assert!(live_endpoints(&ec2, &config.prefix()).await.is_empty());
    assert!(groups_of(&ec2, &config).await.is_empty());
}

#[tokio::test]
async fn a_rule_batch_meeting_one_settled_rule_still_writes_the_others() {
    let ec2 = ec2().await;
    let vpc = make_vpc(&ec2, "10.0.0.0/16", true, 2).await;
    let group = ec2
        .create_security_group()
        .group_name(unique_env("netbatch"))
        .description("rule batches")
        .vpc_id(&vpc.vpc_id)
        .send()
        .await
        .expect("CreateSecurityGroup")
        .group_id()
        .expect("group id")
        .to_owned();
    let rule = |cidr: &str| RuleSpec {
        protocol: "tcp".into(),
        from_port: 443,
        to_port: 443,
        cidr: cidr.parse().unwrap(),
        description: "HTTPS".into(),
    };
    let api = SdkEc2Api::from_client(ec2.clone());
    // One rule of the batch is there already (a lost answer's first attempt, or a hand change):
    // the other must still be added.
    api.authorize_ingress(&group, &[rule("10.1.0.0/16")])
        .await
        .unwrap();
    api.authorize_ingress(&group, &[rule("10.2.0.0/16"), rule("10.1.0.0/16")])
        .await
        .unwrap();
    let ingress = |rules: &BTreeSet<(bool, String, i32, i32, String, bool)>| {
        rules
            .iter()
            .filter(|r| !r.0)
            .map(|r| r.4.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ingress(&rules_of(&ec2, &group).await),
        ["10.1.0.0/16", "10.2.0.0/16"]
    );

    // One rule id of the batch is gone already: the other must still be revoked.
    let ids: Vec<String> = api
        .security_group_rules(&group)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| !r.egress)
        .map(|r| r.rule_id)
        .collect();
    api.revoke_ingress(&group, &ids[..1]).await.unwrap();
    api.revoke_ingress(&group, &ids).await.unwrap();
    assert!(ingress(&rules_of(&ec2, &group).await).is_empty());
}

//! End-to-end tests of the optional endpoints of `baseline-network` against the emulator:
//! `bedrock-mantle` created where the region offers it and skipped with a plan note where it
//! does not (a region made to withhold it through the plugin's admin API), and `private_only`
//! (CloudWatch Logs interface endpoint plus an S3 Gateway endpoint on the subnets' route tables).

use aws_sdk_ec2::types::Filter;
use baseline_core::policy::PolicyDocument;
use baseline_core::{Action, AwsContext, Change, Config};
use baseline_network::{NetworkModule, SdkEc2Api, MANTLE};
use baseline_tests::{
    actions, apply_module, context_in, emulator_admin, example_config, example_config_with,
    live_endpoints, make_vpc, plan_module, teardown_module, unique_env, vpc_sets, TestVpc,
    ACCOUNT_ID, REGION,
};

/// A region no other test uses: withholding a service is per region and shared by the run.
const WITHHOLDING_REGION: &str = "ap-southeast-2";

/// An EC2 client in `region` and a VPC `cidr` made with it: DNS support and hostnames on, two
/// subnets in two zones.
async fn vpc_in(region: &str, label: &str, cidr: &str) -> (aws_sdk_ec2::Client, TestVpc) {
    let probe = example_config("basic", &unique_env(label), &[]);
    let ctx = context_in(region, &probe).await;
    let ec2 = aws_sdk_ec2::Client::new(ctx.sdk());
    let vpc = make_vpc(&ec2, cidr, true, 2).await;
    (ec2, vpc)
}

fn config_for(
    label: &str,
    region: &str,
    (vpc, cidr): (&str, &str),
    subnets: &[String],
    sets: &[&str],
) -> Config {
    let mut all = vpc_sets(vpc, subnets);
    all.extend([
        format!("region={region:?}"),
        format!("allowed_model_regions=[{region:?}]"),
        format!("vpc_cidr={cidr:?}"),
    ]);
    all.extend(sets.iter().map(|s| s.to_string()));
    example_config_with("basic", &unique_env(label), all)
}

fn count(ctx: &AwsContext, operation: &str) -> usize {
    ctx.call_log()
        .calls()
        .iter()
        .filter(|c| c.operation == operation)
        .count()
}

#[tokio::test]
async fn mantle_is_created_where_offered_and_skipped_with_a_note_where_not() {
    let (
        ec2,
        TestVpc {
            vpc_id: vpc,
            subnets,
        },
    ) = vpc_in(WITHHOLDING_REGION, "mantleprobe", "10.61.0.0/16").await;
    let config = config_for(
        "mantle",
        WITHHOLDING_REGION,
        (&vpc, "10.61.0.0/16"),
        &subnets,
        &[],
    );
    let ctx = context_in(WITHHOLDING_REGION, &config).await;
    let m = NetworkModule::with_api(SdkEc2Api::new(&ctx), &ctx);
    let path = format!("/_baseline/endpoint-services/{WITHHOLDING_REGION}");
    emulator_admin(
        "PUT",
        &path,
        Some(&serde_json::json!({"withheld": [MANTLE]})),
    );

    // Not offered: a no-op line with the reason, the four others are created.
    let before = count(&ctx, "DescribeVpcEndpointServices");
    let plan = plan_module(&m, &config, &()).await.changes;
    assert_eq!(
        count(&ctx, "DescribeVpcEndpointServices") - before,
        1,
        "one read"
    );
    let address = format!("network.endpoint[\"{MANTLE}\"]");
    let mantle = plan
        .iter()
        .find(|c| c.address == address)
        .expect("mantle line");
    assert_eq!(mantle.action, Action::NoOp);
    let note = mantle.note.as_deref().unwrap();
    assert!(
        note.contains("does not offer") && note.contains(WITHHOLDING_REGION),
        "{note}"
    );
    let out = apply_module(&m, &config, &()).await;
    assert!(!out.endpoint_ids.contains_key(MANTLE));
    assert_eq!(out.endpoint_ids.len(), 4);
    let writes = ctx.call_log().writes().len();
    assert!(plan_module(&m, &config, &())
        .await
        .changes
        .iter()
        .all(|c| !c.is_change()));
    apply_module(&m, &config, &()).await;
    assert_eq!(ctx.call_log().writes().len(), writes, "re-apply wrote");

    // Offered again: the next plan creates it on the runtime group, with its own policy.
    emulator_admin("DELETE", &path, None);
    let plan = plan_module(&m, &config, &()).await.changes;
    let created: Vec<_> = plan.iter().filter(|c| c.is_change()).collect();
    assert_eq!(created.len(), 1, "{created:#?}");
    assert_eq!(
        (created[0].address.as_str(), created[0].action),
        (address.as_str(), Action::Create)
    );
    let out = apply_module(&m, &config, &()).await;
    let endpoints = live_endpoints(&ec2, &config.prefix()).await;
    let e = &endpoints[MANTLE];
    assert_eq!(
        e.service_name(),
        Some(format!("com.amazonaws.{WITHHOLDING_REGION}.{MANTLE}").as_str())
    );
    assert_eq!(
        e.groups()
            .iter()
            .filter_map(|g| g.group_id())
            .collect::<Vec<_>>(),
        vec![out.security_group_ids.runtime.as_str()]
    );
    let policy = PolicyDocument::parse(e.policy_document().unwrap()).unwrap();
    assert!(!policy.has_wildcard_allow());
    let st = &policy.statement[0];
    assert_eq!(
        st.condition_values("StringEquals", "aws:PrincipalAccount")
            .unwrap()
            .0,
        vec![ACCOUNT_ID.to_owned()]
    );
    assert!(st
        .action
        .as_ref()
        .unwrap()
        .0
        .iter()
        .all(|a| a.starts_with("bedrock-mantle:")));
    let writes = ctx.call_log().writes().len();
    apply_module(&m, &config, &()).await;
    assert_eq!(ctx.call_log().writes().len(), writes, "re-apply wrote");

    teardown_module(&m, &config, &()).await;
    assert!(live_endpoints(&ec2, &config.prefix()).await.is_empty());
}

#[tokio::test]
async fn private_only_adds_logs_and_an_s3_gateway_on_the_subnets_route_tables() {
    let (
        ec2,
        TestVpc {
            vpc_id: vpc,
            subnets,
        },
    ) = vpc_in(REGION, "privprobe", "10.62.0.0/16").await;
    // subnet 0 gets its own route table; subnet 1 keeps the VPC's main one.
    let own = ec2
        .create_route_table()
        .vpc_id(&vpc)
        .send()
        .await
        .expect("CreateRouteTable");
    let own = own
        .route_table()
        .and_then(|t| t.route_table_id())
        .unwrap()
        .to_owned();
    ec2.associate_route_table()
        .route_table_id(&own)
        .subnet_id(&subnets[0])
        .send()
        .await
        .expect("AssociateRouteTable");
    let tables = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .send()
        .await
        .expect("DescribeRouteTables");
    let main = tables
        .route_tables()
        .iter()
        .find(|t| t.associations().iter().any(|a| a.main() == Some(true)))
        .and_then(|t| t.route_table_id())
        .expect("main route table")
        .to_owned();
    let mut expected_tables = vec![own.clone(), main.clone()];
    expected_tables.sort();

    let config = config_for(
        "private",
        REGION,
        (&vpc, "10.62.0.0/16"),
        &subnets,
        &["private_only=true"],
    );
    let ctx = context_in(REGION, &config).await;
    let m = NetworkModule::with_api(SdkEc2Api::new(&ctx), &ctx);
    apply_module(&m, &config, &()).await;
    let endpoints = live_endpoints(&ec2, &config.prefix()).await;
    assert!(
        endpoints.contains_key("logs") && endpoints.contains_key("s3"),
        "{:?}",
        endpoints.keys()
    );
    let logs = &endpoints["logs"];
    assert_eq!(
        logs.vpc_endpoint_type().map(|t| t.as_str()),
        Some("Interface")
    );
    let s3 = &endpoints["s3"];
    assert_eq!(s3.vpc_endpoint_type().map(|t| t.as_str()), Some("Gateway"));
    let mut on = s3.route_table_ids().to_vec();
    on.sort();
    assert_eq!(on, expected_tables);
    for e in [logs, s3] {
        let policy = PolicyDocument::parse(e.policy_document().unwrap()).unwrap();
        assert!(!policy.has_wildcard_allow());
        for st in &policy.statement {
            assert_eq!(
                st.condition_values("StringEquals", "aws:PrincipalAccount")
                    .map(|v| v.0.clone()),
                Some(vec![ACCOUNT_ID.to_owned()]),
                "Principal * only with this account"
            );
        }
    }
    // Converged: one DescribeRouteTables per plan, no write on re-apply.
    let before = count(&ctx, "DescribeRouteTables");
    assert!(plan_module(&m, &config, &())
        .await
        .changes
        .iter()
        .all(|c| !c.is_change()));
    assert_eq!(count(&ctx, "DescribeRouteTables") - before, 1);
    let writes = ctx.call_log().writes().len();
    apply_module(&m, &config, &()).await;
    assert_eq!(ctx.call_log().writes().len(), writes, "re-apply wrote");

    // Explicit route_table_ids win over the subnets' tables: the gateway moves in place.
    let mut pinned = config.clone();
    pinned.route_table_ids = vec![main.clone()];
    let plan: Vec<Change> = plan_module(&m, &pinned, &())
        .await
        .changes
        .into_iter()
        .filter(Change::is_change)
        .collect();
    assert_eq!(
        actions(&plan),
        vec![("network.endpoint[\"s3\"]", Action::Update)]
    );

    teardown_module(&m, &config, &()).await;
    assert!(live_endpoints(&ec2, &config.prefix()).await.is_empty());
}

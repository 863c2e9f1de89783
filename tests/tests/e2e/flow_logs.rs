//! End-to-end test of the optional VPC flow logs (`enable_vpc_flow_logs`, logging module)
//! against the emulator: network makes the interface endpoints, logging puts one flow log on
//! each of their network interfaces, to the KMS-encrypted flow-log group, with the delivery
//! role; a second apply writes nothing; an endpoint switched off loses its flow logs; destroy
//! removes flow logs and role and keeps the log group.

use baseline_core::ids::KmsKeyArn;
use baseline_core::policy::PolicyDocument;
use baseline_core::{AwsContext, Config};
use baseline_logging::{LoggingInputs, LoggingModule, SdkLoggingApi};
use baseline_network::{NetworkModule, NetworkOutputs};
use baseline_tests::{
    apply_module, assert_source_guard, context, example_config_with, log_groups, plan_module,
    sdk_config, stack_key, stack_sets, stack_tag_filter, teardown_module, unique_env, Intercepted,
    OpRecorder, ACCOUNT_ID, REGION,
};
use std::collections::BTreeSet;

/// The logging API with every client recording its calls.
fn api_with(ctx: &AwsContext, recorder: &OpRecorder) -> SdkLoggingApi {
    let clients = Intercepted::new(ctx.sdk()).with(recorder.clone());
    SdkLoggingApi::from_clients(
        clients.s3(),
        clients.logs(),
        clients.iam(),
        clients.bedrock(),
    )
    .with_ec2(clients.ec2())
}

fn config(env: &str, sets: &[&str]) -> Config {
    let mut all = stack_sets(env);
    all.extend([
        "enable_vpc_flow_logs=true".to_owned(),
        "vpc_flow_logs_traffic_type=\"REJECT\"".to_owned(),
        // Only what the test reads: no invocation logging, no buckets.
        "enable_model_invocation_logging=false".to_owned(),
        "enable_s3_logging=false".to_owned(),
        "enable_bedrock_mantle_endpoint=false".to_owned(),
        "private_only=false".to_owned(),
    ]);
    all.extend(sets.iter().map(|s| (*s).to_owned()));
    example_config_with("basic", env, all)
}

async fn network(config: &Config) -> NetworkOutputs {
    let ctx = context(config).await;
    apply_module(&NetworkModule::new(&ctx), config, &()).await
}

async fn key(config: &Config) -> KmsKeyArn {
    stack_key(&context(config).await, config).await
}

fn inputs(key: &KmsKeyArn, net: &NetworkOutputs) -> LoggingInputs {
    LoggingInputs {
        kms_key_arn: Some(key.clone()),
        endpoint_ids: Some(
            net.endpoint_ids
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().to_owned()))
                .collect(),
        ),
    }
}

/// Applies logging; returns its write calls.
async fn apply(config: &Config, inputs: &LoggingInputs) -> Vec<String> {
    let ctx = context(config).await;
    let recorder = OpRecorder::default();
    let m = LoggingModule::with_api(api_with(&ctx, &recorder), &ctx);
    plan_module(&m, config, inputs).await.apply(&m).await;
    recorder.writes()
}

/// Network interface ids of the stack's interface endpoints.
async fn endpoint_enis(ec2: &aws_sdk_ec2::Client, net: &NetworkOutputs) -> BTreeSet<String> {
    let ids: Vec<String> = net
        .endpoint_ids
        .values()
        .map(|v| v.as_str().to_owned())
        .collect();
    let out = ec2
        .describe_vpc_endpoints()
        .set_vpc_endpoint_ids(Some(ids))
        .send()
        .await
        .expect("DescribeVpcEndpoints");
    out.vpc_endpoints()
        .iter()
        .filter(|e| e.vpc_endpoint_type().map(|t| t.as_str()) == Some("Interface"))
        .flat_map(|e| e.network_interface_ids().to_vec())
        .collect()
}

async fn stack_flow_logs(
    ec2: &aws_sdk_ec2::Client,
    stack: &str,
) -> Vec<aws_sdk_ec2::types::FlowLog> {
    ec2.describe_flow_logs()
        .filter(stack_tag_filter(stack))
        .send()
        .await
        .expect("DescribeFlowLogs")
        .flow_logs()
        .to_vec()
}

#[tokio::test]
async fn flow_logs_cover_every_endpoint_interface_converge_and_destroy_keeps_the_group() {
    let env = unique_env("flowlogs");
    let cfg = config(&env, &[]);
    let stack = cfg.prefix();
    let net = network(&cfg).await;
    let key = key(&cfg).await;
    let sdk = sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);

    let writes = apply(&cfg, &inputs(&key, &net)).await;
    assert!(writes.iter().any(|w| w == "CreateFlowLogs"), "{writes:?}");

    // One flow log per endpoint interface, to the flow-log group, with the delivery role.
    let enis = endpoint_enis(&ec2, &net).await;
    assert!(
        enis.len() >= 2,
        "interface endpoints have interfaces: {enis:?}"
    );
    let group = format!("/aws/bedrock/{stack}/vpc-flow-logs");
    let role_arn = format!("arn:aws:iam::{ACCOUNT_ID}:role/{stack}-vpc-flow-logs");
    let found = stack_flow_logs(&ec2, &stack).await;
    let covered: BTreeSet<String> = found
        .iter()
        .filter_map(|f| f.resource_id().map(str::to_owned))
        .collect();
    assert_eq!(covered, enis);
    assert_eq!(found.len(), enis.len(), "one flow log per interface");
    for f in &found {
        assert_eq!(f.log_group_name(), Some(group.as_str()));
        assert_eq!(f.deliver_logs_permission_arn(), Some(role_arn.as_str()));
        assert_eq!(f.traffic_type().map(|t| t.as_str()), Some("REJECT"));
    }

    // The group is encrypted with the stack key and has the flow-log retention.
    let g = log_groups(&logs, &group).await;
    let g = g
        .iter()
        .find(|g| g.log_group_name() == Some(group.as_str()))
        .expect("the flow-log group exists");
    assert_eq!(g.kms_key_id(), Some(key.as_str()));
    assert_eq!(g.retention_in_days(), Some(30));

    // The role trusts only the flow-logs service for this account's flow logs.
    let role = iam
        .get_role()
        .role_name(format!("{stack}-vpc-flow-logs"))
        .send()
        .await
        .expect("the delivery role exists");
    let text = role.role().unwrap().assume_role_policy_document().unwrap();
    // IAM answers URL-encoded; parse decodes it.
    let trust = PolicyDocument::parse(text).expect("trust policy");
    let st = &trust.statement[0];
    assert_source_guard(
        st,
        &format!("arn:aws:ec2:{REGION}:{ACCOUNT_ID}:vpc-flow-log/*"),
    );

    // Converged: a second apply writes nothing.
    let writes = apply(&cfg, &inputs(&key, &net)).await;
    assert!(
        writes.is_empty(),
        "a converged apply must not write: {writes:?}"
    );

    // One endpoint switched off: network deletes it, logging deletes its flow logs only.
    let fewer = config(&env, &["enable_bedrock_agent_endpoint=false"]);
    let net2 = network(&fewer).await;
    assert!(net2.endpoint_ids.len() < net.endpoint_ids.len());
    let writes = apply(&fewer, &inputs(&key, &net2)).await;
    assert!(writes.iter().any(|w| w == "DeleteFlowLogs"), "{writes:?}");
    assert!(!writes.iter().any(|w| w == "CreateFlowLogs"), "{writes:?}");
    let left: BTreeSet<String> = stack_flow_logs(&ec2, &stack)
        .await
        .iter()
        .filter_map(|f| f.resource_id().map(str::to_owned))
        .collect();
    assert_eq!(left, endpoint_enis(&ec2, &net2).await);

    // Destroy: flow logs and role gone, the group (audit data) kept.
    let ctx = context(&fewer).await;
    teardown_module(&LoggingModule::new(&ctx), &fewer, &inputs(&key, &net2)).await;
    assert!(stack_flow_logs(&ec2, &stack).await.is_empty());
    assert!(iam
        .get_role()
        .role_name(format!("{stack}-vpc-flow-logs"))
        .send()
        .await
        .is_err());
    let kept = log_groups(&logs, &group).await;
    assert_eq!(kept.len(), 1, "the flow-log group is kept");

    let nctx = context(&fewer).await;
    teardown_module(&NetworkModule::new(&nctx), &fewer, &()).await;
}

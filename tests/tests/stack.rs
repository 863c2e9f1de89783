//! The whole stack through the binary: the advanced example applied from empty, every module's
//! outputs reaching its consumers, a second apply writing nothing, destroy keeping only audit data.

use baseline_tests::{cli, emulator, sdk_config, stack_args, unique_env, workspace_root};
use serde_json::Value;
use std::process::Output;

fn run(dir: &std::path::Path, env: &str, args: &[&str]) -> Output {
    cli(dir)
        .args(args)
        .args(["--endpoint-url", emulator().url(), "--config"])
        .arg(workspace_root().join("examples/advanced.toml"))
        .args(stack_args(env))
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[tokio::test(flavor = "multi_thread")]
async fn advanced_stack_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("stack");
    let stack = format!("bedrock-baseline-{env}");
    let d = dir.path();

    let plan = tokio::task::block_in_place(|| json(&run(d, &env, &["plan", "--json"])));
    let modules: Vec<&str> = plan["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["module"].as_str().unwrap())
        .collect();
    assert_eq!(
        modules,
        [
            "encryption",
            "network",
            "logging",
            "alerting",
            "guardrails",
            "monitoring",
            "cost"
        ]
    );
    assert_eq!(plan["summary"]["destroy"], 0);
    // Only the account-wide invocation-logging configuration may exist already (other stacks
    // of the shared emulator set it): it is then updated to point at this stack.
    for change in plan["modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["changes"].as_array().unwrap())
    {
        if change["action"] == "update" {
            assert_eq!(change["address"], "logging.invocation_logging", "{change}");
        }
    }

    let applied =
        tokio::task::block_in_place(|| json(&run(d, &env, &["apply", "--auto-approve", "--json"])));
    let out = &applied["outputs"];
    let key_arn = out["encryption"]["kms_key_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let runtime_vpce = out["network"]["endpoint_ids"]["bedrock-runtime"]
        .as_str()
        .unwrap()
        .to_owned();
    let guardrail_arn = out["guardrails"]["guardrail_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let version = out["guardrails"]["guardrail_version"]
        .as_str()
        .unwrap()
        .to_owned();
    let topics = out["alerting"]["topic_arns"].as_object().unwrap().clone();
    assert_eq!(topics.len(), 3);

    let conf = sdk_config().await;
    // logging <- encryption: the bucket and log group are encrypted with the stack's key.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    let bucket = out["logging"]["bucket_name"].as_str().unwrap();
    let enc = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .kms_master_key_id(),
        Some(key_arn.as_str())
    );
    // alerting <- encryption: topics are encrypted with it.
    let sns = aws_sdk_sns::Client::new(&conf);
    for arn in topics.values() {
        let attrs = sns
            .get_topic_attributes()
            .topic_arn(arn.as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(
            attrs
                .attributes()
                .unwrap()
                .get("KmsMasterKeyId")
                .map(String::as_str),
            Some(key_arn.as_str())
        );
    }
    // monitoring <- alerting: every alarm action is one of the stack's topics.
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let alarms = cw
        .describe_alarms()
        .alarm_name_prefix(format!("{stack}-"))
        .max_records(100)
        .send()
        .await
        .unwrap();
    assert!(!alarms.metric_alarms().is_empty());
    for alarm in alarms.metric_alarms() {
        for action in alarm.alarm_actions() {
            assert!(
                topics.values().any(|t| t == action),
                "{} routes to {action}",
                alarm.alarm_name().unwrap()
            );
        }
    }
    // guardrails <- network + guardrail: the model-access policy names the runtime endpoint and
    // the guardrail version in force.
    let iam = aws_sdk_iam::Client::new(&conf);
    let policy_arn = out["guardrails"]["model_access_policy_arn"]
        .as_str()
        .unwrap();
    let policy = iam
        .get_policy()
        .policy_arn(policy_arn)
        .send()
        .await
        .unwrap();
    let version_id = policy
        .policy()
        .unwrap()
        .default_version_id()
        .unwrap()
        .to_owned();
    let doc = iam
        .get_policy_version()
        .policy_arn(policy_arn)
        .version_id(version_id)
        .send()
        .await
        .unwrap();
    let doc = baseline_core::policy::PolicyDocument::parse(
        doc.policy_version().unwrap().document().unwrap(),
    )
    .unwrap();
    let text = doc.to_json();
    assert!(text.contains(&runtime_vpce), "{text}");
    assert!(
        text.contains(&format!("{guardrail_arn}:{version}")),
        "{text}"
    );
    assert!(!doc.has_wildcard_allow());

    // Second apply: nothing to do, no write call.
    let again =
        tokio::task::block_in_place(|| json(&run(d, &env, &["apply", "--auto-approve", "--json"])));
    assert_eq!(again["api_calls"]["writes"], 0, "{again}");
    assert!(again["api_calls"]["total"].as_u64().unwrap() > 0);

    // --target: one module planned alone, its upstream inputs read from state.
    let targeted = tokio::task::block_in_place(|| {
        json(&run(
            d,
            &env,
            &[
                "plan",
                "--json",
                "--target",
                "logging",
                "--set",
                "log_retention_days=30",
            ],
        ))
    });
    let modules: Vec<&str> = targeted["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["module"].as_str().unwrap())
        .collect();
    assert_eq!(modules, ["logging"]);
    assert_eq!(
        targeted["summary"],
        serde_json::json!({"add": 0, "change": 1, "destroy": 0}),
        "{targeted}"
    );

    // `output --json` from state equals what apply returned.
    let outputs = tokio::task::block_in_place(|| json(&run(d, &env, &["output", "--json"])));
    assert_eq!(&outputs, out);

    // Destroy keeps the audit data only.
    let destroyed = tokio::task::block_in_place(|| run(d, &env, &["destroy", "--auto-approve"]));
    assert!(
        destroyed.status.success(),
        "{}",
        String::from_utf8_lossy(&destroyed.stderr)
    );
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let f = aws_sdk_ec2::types::Filter::builder()
        .name("tag:baseline:stack")
        .values(&stack)
        .build();
    assert!(ec2
        .describe_security_groups()
        .filters(f.clone())
        .send()
        .await
        .unwrap()
        .security_groups()
        .is_empty());
    let live: Vec<_> = ec2
        .describe_vpc_endpoints()
        .filters(f)
        .send()
        .await
        .unwrap()
        .vpc_endpoints()
        .iter()
        .filter(|e| e.state().map(|s| s.as_str()) != Some("deleted"))
        .cloned()
        .collect();
    assert!(live.is_empty());
    assert!(cw
        .describe_alarms()
        .alarm_name_prefix(format!("{stack}-"))
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .is_empty());
    assert!(sns
        .list_topics()
        .send()
        .await
        .unwrap()
        .topics()
        .iter()
        .all(|t| !t.topic_arn().unwrap().contains(&format!(":{stack}-"))));
    assert!(
        s3.head_bucket().bucket(bucket).send().await.is_ok(),
        "the log bucket is audit data: kept"
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/bedrock/{stack}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        groups.log_groups().len(),
        1,
        "the log group is audit data: kept"
    );
}

//! The whole stack through the binary: the advanced example applied from empty, every module's
//! outputs reaching its consumers, a second apply writing nothing, destroy keeping only audit data.

use baseline_tests::{
    bucket_encryption_rule, default_policy_document, json_of as json, planned_changes, run_stack,
    s3_client, sdk_config, stack_log_groups, stack_tag_filter, unique_env,
};
use serde_json::Value;
use std::process::Output;

/// `bedrock-baseline <args>` on `env`'s stack of the advanced example.
fn run(dir: &std::path::Path, env: &str, args: &[&str]) -> Output {
    run_stack(dir, "advanced", env, &[], args)
}

/// The modules a `plan --json` document plans, in order.
fn modules_of(plan: &Value) -> Vec<&str> {
    plan["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["module"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn advanced_stack_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("stack");
    let stack = format!("bedrock-baseline-{env}");
    let d = dir.path();

    let plan = tokio::task::block_in_place(|| json(&run(d, &env, &["plan", "--json"])));
    assert_eq!(
        modules_of(&plan),
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
    for change in planned_changes(&plan) {
        if change["action"] == "update" {
            assert_eq!(change["address"], "logging.invocation_logging", "{change}");
        }
        // Every resource kind plans its writes with its change: a saved plan names them all.
        let writes = change["operations"].as_array().map_or(0, Vec::len);
        assert_eq!(
            writes > 0,
            change["action"] != "no-op",
            "a change carries operations exactly when it is one: {change}"
        );
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
    let s3 = s3_client(&conf);
    let bucket = out["logging"]["bucket_name"].as_str().unwrap();
    let rule = bucket_encryption_rule(&s3, bucket).await;
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
    let doc = default_policy_document(&iam, policy_arn).await;
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
    assert_eq!(modules_of(&targeted), ["logging"]);
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
    let f = stack_tag_filter(&stack);
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
    assert_eq!(
        stack_log_groups(&conf, &stack).await.len(),
        1,
        "the log group is audit data: kept"
    );
}

//! Access paths proven by the policy evaluator over policies read back from the emulator after
//! an apply (`check-access --json`), plus mutation tests over those read-back documents:
//! removing one grant turns exactly the paths that name it red.

use baseline_core::access::{check, needed_grants, without_grant, PathResult, StackPolicies};
use baseline_tests::{
    cli, issue_paths, run_stack, sdk_config, state_file, text, unique_env, workspace_root,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

/// `bedrock-baseline <args>` on `env`'s stack of the advanced example, with `extra` `--set`s.
fn run(dir: &Path, env: &str, extra: &[&str], args: &[&str]) -> Output {
    run_stack(dir, "advanced", env, extra, args)
}

/// Attaches the stack's model-access policy to the application role, as its owner would.
async fn attach_model_access(role: &str, policy_arn: &str) {
    let iam = aws_sdk_iam::Client::new(&sdk_config().await);
    iam.attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .unwrap();
}

fn failures(results: &[PathResult]) -> String {
    results
        .iter()
        .filter(|r| !r.ok)
        .map(|r| {
            format!(
                "{}: expected {:?}, decided {:?} ({}; statements: {})",
                r.name,
                r.expected,
                r.decision.outcome,
                r.decision.reason,
                r.decision
                    .statements
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Applies, attaches the model-access policy, runs `check-access --json` and returns its
/// document and the read-back policies.
fn deploy_and_check(env: &str, role: &str, extra: &[&str]) -> (Value, StackPolicies) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let applied = run(d, env, extra, &["apply", "--auto-approve", "--json"]);
    assert!(applied.status.success(), "{}", text(&applied));
    let applied: Value = serde_json::from_slice(&applied.stdout).unwrap();
    let policy_arn = applied["outputs"]["guardrails"]["model_access_policy_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(attach_model_access(role, &policy_arn));
    let out = run(d, env, extra, &["check-access", "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("JSON on stdout: {}", text(&out)));
    let results: Vec<PathResult> = serde_json::from_value(doc["paths"].clone())
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(
        out.status.code(),
        Some(0),
        "paths differ:\n{}",
        failures(&results)
    );
    assert_eq!(doc["simulate_principal_policy"], false);
    assert!(doc["evaluator"].as_str().unwrap().contains("evaluator"));
    let text_out = run(d, env, extra, &["check-access"]);
    assert!(text_out.status.success(), "{}", text(&text_out));
    assert!(String::from_utf8_lossy(&text_out.stdout).contains("policy evaluator"));
    let policies: StackPolicies = serde_json::from_value(doc["policies"].clone()).unwrap();
    (doc, policies)
}

fn names(results: &[PathResult]) -> BTreeSet<String> {
    results.iter().map(|r| r.name.clone()).collect()
}

/// Removing any one grant a path names turns exactly the paths that name it red; the
/// denied paths stay denied.
fn mutation_check(policies: &StackPolicies) {
    let baseline = check(policies);
    assert!(baseline.iter().all(|r| r.ok), "{}", failures(&baseline));
    let grants = needed_grants(policies);
    assert!(grants.len() >= 10, "{grants:?}");
    for ((policy, sid), dependents) in &grants {
        assert!(
            policies.documents.contains_key(policy),
            "{policy} was not read back"
        );
        let mutated = check(&without_grant(policies, policy, sid));
        let red: BTreeSet<&str> = mutated
            .iter()
            .filter(|r| !r.ok)
            .map(|r| r.name.as_str())
            .collect();
        let want: BTreeSet<&str> = dependents.iter().copied().collect();
        assert_eq!(red, want, "removing {policy}/{sid}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn advanced_example_paths_hold_over_read_back_policies() {
    let env = unique_env("access");
    let (doc, policies) =
        tokio::task::block_in_place(|| deploy_and_check(&env, "BedrockApplication", &[]));
    let results: Vec<PathResult> = serde_json::from_value(doc["paths"].clone()).unwrap();
    let applied = names(&results);
    for must in [
        "bedrock-assumes-logging-role",
        "logging-role-writes-log-group",
        "logs-uses-key-for-log-group",
        "bedrock-writes-log-bucket-prefix",
        "logging-role-encrypts-large-data",
        "app-invokes-allowed-model-with-guardrail",
        "app-decrypts-guardrail-key-through-bedrock",
        "app-invokes-without-guardrail",
        "app-invokes-model-of-a-region-not-allowed",
        "app-deletes-logging-configuration",
        "app-deletes-guardrail",
        "other-principal-invokes-through-runtime-endpoint",
        "other-account-publishes-to-critical-topic",
        "confused-deputy-alarm-of-another-account",
        "confused-deputy-bedrock-for-another-account",
        "alarms-publish-to-critical-topic",
        "training-rule-publishes-to-critical-topic",
        "rule-tamper-kms-key-publishes-to-critical-topic",
        "rule-tamper-vpc-endpoints-uses-key",
        "rule-bedrock-access-denied-publishes-to-performance-topic",
        "rule-of-another-name-publishes-to-critical-topic",
        "rule-of-another-account-publishes-to-critical-topic",
        "rule-of-another-name-publishes-to-performance-topic",
        "rule-of-another-account-publishes-to-performance-topic",
        "rule-of-another-name-uses-key",
        "access-denied-rule-publishes-to-critical-topic",
        "plain-http-to-log-bucket",
        "plain-http-to-critical-topic",
        "s3-logging-writes-access-log-bucket",
        "confused-deputy-s3-logging-for-another-accounts-bucket",
        "s3-logging-for-another-bucket-of-the-account",
    ] {
        assert!(applied.contains(must), "{must} not evaluated: {applied:?}");
    }
    // The deciding statement is named: the runtime invoke rests on the endpoint policy, the
    // model-access policy and the boundary.
    let invoke = results
        .iter()
        .find(|r| r.name == "app-invokes-allowed-model-with-guardrail")
        .unwrap();
    let by: Vec<String> = invoke
        .decision
        .statements
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        by.contains(&"endpoint:bedrock-runtime / InvokeAllowedModels".to_owned()),
        "{by:?}"
    );
    assert!(
        by.contains(&"model-access / InvokeAllowedModelsWithGuardrail".to_owned()),
        "{by:?}"
    );
    let http = results
        .iter()
        .find(|r| r.name == "plain-http-to-log-bucket")
        .unwrap();
    assert_eq!(
        http.decision.statements[0].to_string(),
        "bucket / DenyInsecureTransport"
    );
    mutation_check(&policies);
}

#[tokio::test(flavor = "multi_thread")]
async fn role_with_a_path_and_admin_principals() {
    let env = unique_env("rolepath");
    let admin = "arn:aws:iam::123456789012:role/ops/BedrockAdmin";
    let sets = [
        "bedrock_role_name=\"BedrockPathApplication\"".to_owned(),
        format!("admin_principal_arns=[\"{admin}\"]"),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (doc, policies) =
        tokio::task::block_in_place(|| deploy_and_check(&env, "BedrockPathApplication", &sets));
    assert_eq!(
        policies.facts["app_role_arn"],
        "arn:aws:iam::123456789012:role/service-role/BedrockPathApplication"
    );
    let runtime = &policies.documents["endpoint:bedrock-runtime"];
    assert_eq!(
        runtime.statement[0]
            .condition_values("ArnEquals", "aws:PrincipalArn")
            .unwrap()
            .0,
        vec!["arn:aws:iam::123456789012:role/service-role/BedrockPathApplication"]
    );
    let results: Vec<PathResult> = serde_json::from_value(doc["paths"].clone()).unwrap();
    assert!(names(&results).contains("admin-deletes-logging-configuration"));
    mutation_check(&policies);
}

#[tokio::test(flavor = "multi_thread")]
async fn replication_role_reads_the_sources_and_writes_only_the_replica() {
    let env = unique_env("replpaths");
    // check-access reads only the stack's side: the destination's bucket and key are named,
    // not read (they belong to the user, in another region).
    let sets = [
        format!("s3_replication.destination_bucket_arn=\"arn:aws:s3:::{env}-replica\""),
        "s3_replication.destination_kms_key_arn=\"arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\"".to_owned(),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (doc, policies) =
        tokio::task::block_in_place(|| deploy_and_check(&env, "BedrockApplication", &sets));
    let results: Vec<PathResult> = serde_json::from_value(doc["paths"].clone()).unwrap();
    let applied = names(&results);
    for must in [
        "s3-assumes-replication-role",
        "confused-deputy-replication-for-another-account",
        "replication-role-reads-log-object-versions",
        "replication-role-replicates-to-destination",
        "replication-role-replicates-to-another-bucket",
        "replication-role-decrypts-log-objects-through-s3",
        "replication-role-decrypts-outside-s3",
        "replication-role-encrypts-replicas-with-replica-key",
    ] {
        assert!(applied.contains(must), "{must} not evaluated: {applied:?}");
    }
    mutation_check(&policies);
}

#[tokio::test(flavor = "multi_thread")]
async fn inference_profile_reaches_every_destination_region() {
    let env = unique_env("profile");
    let profile =
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0";
    let models = format!(
        "foundation_models=[\"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0\", \"{profile}\"]"
    );
    let (doc, policies) = tokio::task::block_in_place(|| {
        deploy_and_check(&env, "BedrockApplication", &[models.as_str()])
    });
    let results: Vec<PathResult> = serde_json::from_value(doc["paths"].clone()).unwrap();
    let applied = names(&results);
    assert!(
        applied.contains("app-invokes-inference-profile"),
        "{applied:?}"
    );
    assert!(
        applied.contains("inference-profile-reaches-destination-region-model"),
        "{applied:?}"
    );
    // Both policies name the profile and its destination-region models.
    for key in ["model-access", "endpoint:bedrock-runtime"] {
        let text = policies.documents[key].to_json();
        for region in ["us-east-1", "us-east-2", "us-west-2"] {
            let model = format!("arn:aws:bedrock:{region}::foundation-model/amazon.nova-lite-v1:0");
            assert!(text.contains(&model), "{key} lacks {model}: {text}");
        }
        assert!(text.contains(profile), "{key}");
    }
    mutation_check(&policies);
}

/// A role that does not exist: plan exits 2 naming `bedrock_role_name`, nothing is written.
#[test]
fn plan_with_a_missing_application_role_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("norole");
    let out = run(
        dir.path(),
        &env,
        &["bedrock_role_name=\"NoSuchApplicationRole\""],
        &["plan", "--json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(issue_paths(&doc), ["bedrock_role_name"], "{doc}");
    assert!(!state_file(dir.path(), &env).exists());
}

/// `validate` refuses a stack region outside allowed_model_regions, before any AWS call.
#[test]
fn validate_refuses_a_region_outside_allowed_model_regions() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path())
        .args(["validate", "--json", "--config"])
        .arg(workspace_root().join("examples/advanced.toml"))
        .args(["--set", "region=\"eu-west-1\""])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("allowed_model_regions"), "{all}");
}

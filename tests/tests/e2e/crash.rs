//! Crash safety: an apply SIGKILLed at several points and run again converges with no duplicate
//! and no orphan. The emulator holds the N+1-th call of the doomed apply (fault injection keyed
//! by its access key) while the test kills the process, so each kill lands at an exact point.
//! After the re-run, a census of every kind of resource of the stack must equal the census of a
//! stack applied in one go.

use baseline_tests::{
    emulator_admin, key_state, s3_client, sdk_config, stack_cli, stack_keys, stack_log_groups,
    stack_tag_filter, unique_env,
};
use serde_json::json;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `bedrock-baseline <args> --endpoint-url … --config examples/advanced.toml <stack args>`.
fn stack_command(dir: &std::path::Path, env: &str, args: &[&str]) -> Command {
    stack_cli(dir, "advanced", env, args)
}

fn apply(dir: &std::path::Path, env: &str) -> Command {
    let mut cmd = stack_command(dir, env, &["apply", "--auto-approve"]);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

/// `plan --detailed-exitcode` of the stack: exit 0 when it is converged.
fn plan(dir: &std::path::Path, env: &str) -> std::process::Output {
    stack_command(dir, env, &["plan", "--detailed-exitcode"])
        .output()
        .unwrap()
}

/// Runs an apply whose call number `after + 1` is held while the process is SIGKILLed.
/// Returns the number of calls the apply made, and whether it was killed (false: it finished
/// in `after` calls or fewer).
fn killed_apply(dir: &std::path::Path, env: &str, after: Option<usize>) -> (usize, bool) {
    let key = format!("AKIDCRASH{}X{}", std::process::id(), after.unwrap_or(0));
    emulator_admin(
        "PUT",
        &format!("/_baseline/faults/{key}"),
        Some(&json!({"hang_after": after})),
    );
    let mut child = apply(dir, env)
        .env("AWS_ACCESS_KEY_ID", &key)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed = loop {
        if let Some(status) = child.try_wait().unwrap() {
            if after.is_none() {
                assert!(status.success(), "the counting apply must succeed");
            }
            break false;
        }
        if emulator_admin("GET", &format!("/_baseline/faults/{key}"), None)["tripped"] == true {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break true;
        }
        assert!(
            Instant::now() < deadline,
            "apply neither finished nor reached call {after:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let fault = emulator_admin("DELETE", &format!("/_baseline/faults/{key}"), None);
    (fault["count"].as_u64().unwrap_or(0) as usize, killed)
}

/// How many resources of each kind the stack has.
async fn census(stack: &str) -> BTreeMap<&'static str, usize> {
    let conf = sdk_config().await;
    let mut c = BTreeMap::new();

    let kms = aws_sdk_kms::Client::new(&conf);
    let mut keys = 0;
    for id in stack_keys(&kms, stack).await {
        if key_state(&kms, &id).await == "Enabled" {
            keys += 1;
        }
    }
    c.insert("kms_keys", keys);
    let aliases = kms.list_aliases().send().await.unwrap();
    c.insert(
        "kms_aliases",
        aliases
            .aliases()
            .iter()
            .filter(|a| a.alias_name() == Some(&format!("alias/{stack}-bedrock")))
            .count(),
    );

    let sns = aws_sdk_sns::Client::new(&conf);
    let topics = sns.list_topics().send().await.unwrap();
    let ours: Vec<String> = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .filter(|a| {
            a.rsplit(':')
                .next()
                .unwrap_or("")
                .starts_with(&format!("{stack}-"))
        })
        .map(str::to_owned)
        .collect();
    c.insert("sns_topics", ours.len());
    let mut subs = 0;
    for t in &ours {
        subs += sns
            .list_subscriptions_by_topic()
            .topic_arn(t)
            .send()
            .await
            .unwrap()
            .subscriptions()
            .len();
    }
    c.insert("sns_subscriptions", subs);

    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let filter = stack_tag_filter(stack);
    let groups = ec2
        .describe_security_groups()
        .filters(filter.clone())
        .send()
        .await
        .unwrap();
    c.insert("security_groups", groups.security_groups().len());
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(filter)
        .send()
        .await
        .unwrap();
    c.insert(
        "vpc_endpoints",
        endpoints
            .vpc_endpoints()
            .iter()
            .filter(|e| e.state().map(|s| s.as_str()) != Some("deleted"))
            .count(),
    );

    let bedrock = aws_sdk_bedrock::Client::new(&conf);
    let guardrails = bedrock.list_guardrails().send().await.unwrap();
    c.insert(
        "guardrails",
        guardrails
            .guardrails()
            .iter()
            .filter(|g| g.name().starts_with(stack))
            .count(),
    );

    let iam = aws_sdk_iam::Client::new(&conf);
    let roles = iam.list_roles().send().await.unwrap();
    c.insert(
        "iam_roles",
        roles
            .roles()
            .iter()
            .filter(|r| r.role_name().starts_with(stack))
            .count(),
    );
    let policies = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    c.insert(
        "iam_policies",
        policies
            .policies()
            .iter()
            .filter(|p| p.policy_name().unwrap_or("").starts_with(stack))
            .count(),
    );

    c.insert("log_groups", stack_log_groups(&conf, stack).await.len());

    let s3 = s3_client(&conf);
    let buckets = s3.list_buckets().send().await.unwrap();
    c.insert(
        "s3_buckets",
        buckets
            .buckets()
            .iter()
            .filter(|b| b.name().unwrap_or("").starts_with(&format!("{stack}-")))
            .count(),
    );

    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let alarms = cw
        .describe_alarms()
        .alarm_name_prefix(format!("{stack}-"))
        .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
        .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
        .max_records(100)
        .send()
        .await
        .unwrap();
    c.insert("metric_alarms", alarms.metric_alarms().len());
    c.insert("composite_alarms", alarms.composite_alarms().len());
    let dashboards = cw
        .list_dashboards()
        .dashboard_name_prefix(stack)
        .send()
        .await
        .unwrap();
    c.insert("dashboards", dashboards.dashboard_entries().len());

    let events = aws_sdk_eventbridge::Client::new(&conf);
    let rules = events
        .list_rules()
        .name_prefix(format!("{stack}-"))
        .send()
        .await
        .unwrap();
    c.insert("event_rules", rules.rules().len());
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_killed_at_several_points_converges_without_duplicates() {
    // A clean apply in one go: how many calls it takes, and what it leaves.
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("crashref");
    let (total, killed) = tokio::task::block_in_place(|| killed_apply(dir.path(), &env, None));
    assert!(
        !killed && total > 20,
        "the reference apply made {total} calls"
    );
    let reference = census(&format!("bedrock-baseline-{env}")).await;
    assert!(
        reference.values().all(|n| *n > 0),
        "the reference stack has every kind: {reference:?}"
    );

    let mut kills = 0;
    for sixth in 1..=5 {
        let after = total * sixth / 6;
        let dir = tempfile::tempdir().unwrap();
        let env = unique_env(&format!("crash{sixth}"));
        let (_, killed) =
            tokio::task::block_in_place(|| killed_apply(dir.path(), &env, Some(after)));
        kills += usize::from(killed);
        let status = tokio::task::block_in_place(|| apply(dir.path(), &env).status().unwrap());
        assert!(
            status.success(),
            "re-run after a kill at call {after} failed"
        );
        let plan = tokio::task::block_in_place(|| plan(dir.path(), &env));
        assert_eq!(
            plan.status.code(),
            Some(0),
            "converged after a kill at call {after}: {}",
            String::from_utf8_lossy(&plan.stdout)
        );
        let got = census(&format!("bedrock-baseline-{env}")).await;
        assert_eq!(got, reference, "after a kill at call {after} of {total}, the stack has exactly the resources of a clean apply");
    }
    assert!(
        kills >= 4,
        "the kill points must land inside the apply ({kills} did)"
    );
}

/// Runs `bedrock-baseline <verb> --auto-approve [extra]` with every write's answer lost once
/// (the write is done, then the emulator answers 503, so the SDK retries it). Returns the
/// command's output and the operations whose answer was lost.
fn run_losing_answers(
    dir: &std::path::Path,
    env: &str,
    verb: &str,
    extra: &[&str],
) -> (std::process::Output, Vec<String>) {
    let key = format!("AKIDLOST{}{verb}", std::process::id()).to_uppercase();
    emulator_admin(
        "PUT",
        &format!("/_baseline/faults/{key}"),
        Some(&json!({"lose_answer": true})),
    );
    let out = stack_command(dir, env, &[verb, "--auto-approve"])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", &key)
        .output()
        .unwrap();
    let fault = emulator_admin("DELETE", &format!("/_baseline/faults/{key}"), None);
    let lost = fault["lost"]
        .as_array()
        .map(|ops| {
            ops.iter()
                .filter_map(|o| o.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (out, lost)
}

/// `what` succeeded in one run although every write kind lost its answer once, and each of
/// `kinds` was among the writes whose answer was lost.
#[track_caller]
fn assert_succeeded_losing(
    what: &str,
    out: &std::process::Output,
    lost: &[String],
    kinds: &[&str],
) {
    assert!(
        out.status.success(),
        "{what}, every write kind losing its answer once ({lost:?}), must succeed in one run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for kind in kinds {
        assert!(
            lost.iter().any(|o| o == kind),
            "{kind} lost its answer: {lost:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_answers_to_writes_do_not_fail_apply_or_destroy() {
    let reference_dir = tempfile::tempdir().unwrap();
    let reference_env = unique_env("lostref");
    let (_, killed) =
        tokio::task::block_in_place(|| killed_apply(reference_dir.path(), &reference_env, None));
    assert!(!killed);
    let reference = census(&format!("bedrock-baseline-{reference_env}")).await;

    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("lost");
    let (out, lost) =
        tokio::task::block_in_place(|| run_losing_answers(dir.path(), &env, "apply", &[]));
    assert_succeeded_losing(
        "apply from empty",
        &out,
        &lost,
        &[
            "CreateSecurityGroup",
            "AuthorizeSecurityGroupIngress",
            "CreateAlias",
            "CreateKey",
        ],
    );
    let stack = format!("bedrock-baseline-{env}");
    assert_eq!(
        census(&stack).await,
        reference,
        "no duplicate after lost answers"
    );
    let plan = tokio::task::block_in_place(|| plan(dir.path(), &env));
    assert_eq!(
        plan.status.code(),
        Some(0),
        "converged: {}",
        String::from_utf8_lossy(&plan.stdout)
    );

    let (out, lost) = tokio::task::block_in_place(|| {
        run_losing_answers(dir.path(), &env, "destroy", &["--delete-audit-data"])
    });
    assert_succeeded_losing(
        "destroy",
        &out,
        &lost,
        &[
            "DeleteSecurityGroup",
            "DeleteVpcEndpoints",
            "DeleteAlias",
            "ScheduleKeyDeletion",
            "DeleteBucket",
        ],
    );
    let left: BTreeMap<_, _> = census(&stack)
        .await
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

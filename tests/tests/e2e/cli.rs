//! End-to-end tests of the `bedrock-baseline` binary: config validation and layering, exit
//! codes, the state lock across processes, plan/apply/destroy of the whole stack against the
//! emulator.

use baseline_core::state::{LocalStateStore, LockHolder};
use baseline_tests::{
    cli, emulator, issue_paths, s3_client, sdk_config, stack_cli, state_file, text, unique_env,
    workspace_root,
};
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn example(name: &str) -> PathBuf {
    workspace_root().join("examples").join(name)
}

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("core/tests/fixtures").join(name)
}

/// A TCP listener that counts connections: pointed at as the AWS endpoint, it proves that a
/// command made no network call.
fn counting_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut s) = stream {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
            }
        }
    });
    (url, count)
}

#[test]
fn both_examples_validate() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["basic.toml", "advanced.toml"] {
        let out = cli(dir.path())
            .args(["validate", "--config"])
            .arg(example(name))
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", text(&out));
    }
}

/// A reader that goes away (`bedrock-baseline output | head -1`) ends the binary as SIGPIPE
/// ends `cat`, without a panic and its backtrace. The pipe's read end is closed before the
/// process starts, so its first line meets it.
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_the_binary_quietly() {
    use std::os::unix::process::ExitStatusExt;
    const SIGPIPE: i32 = 13;
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = cli(dir.path())
        .args(["validate", "--config"])
        .arg(example("basic.toml"))
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        out.status.signal(),
        Some(SIGPIPE),
        "{:?}: {stderr}",
        out.status
    );
}

/// `<args> --endpoint-url <counting endpoint> --config <fixture>` exits 2 naming every one of
/// `needles`, and makes no network call.
fn assert_refused_before_any_call(args: &[&str], fixture_name: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (url, calls) = counting_endpoint();
    let out = cli(dir.path())
        .args(args)
        .args(["--endpoint-url", &url, "--config"])
        .arg(fixture(fixture_name))
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    for needle in needles {
        assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "an invalid config must not reach the network"
    );
}

#[test]
fn literal_seed_basic_names_every_problem_and_calls_nothing() {
    assert_refused_before_any_call(
        &["plan"],
        "seed_basic_literal.toml",
        &[
            "subnet_ids[0]",
            "subnet_ids[1]",
            "vpc_id",
            "management_allowed_cidrs[0]",
            "10.0.0.0/8",
            "subnet-",
        ],
    );
}

#[test]
fn literal_seed_advanced_names_prompt_attack_and_calls_nothing() {
    assert_refused_before_any_call(
        &["apply", "--auto-approve"],
        "seed_advanced_literal.toml",
        &[
            "subnet_ids[0]",
            "vpc_id",
            "content_filters.prompt_attack.output_strength",
            "NONE",
        ],
    );
}

#[test]
fn validate_json_lists_issues_with_paths_and_hints() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path())
        .args(["validate", "--json", "--config"])
        .arg(fixture("seed_basic_literal.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let issues = doc["issues"].as_array().unwrap();
    assert!(issues
        .iter()
        .any(|i| i["path"] == "management_allowed_cidrs[0]"
            && i["hint"].as_str().unwrap_or("").contains("10.0.0.0/8")));
}

#[test]
fn misspelt_key_gets_did_you_mean() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path())
        .args(["validate", "--config"])
        .arg(example("basic.toml"))
        .args(["--set", "log_retention_day=30"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("log_retention_day") && all.contains("did you mean `log_retention_days`"),
        "{all}"
    );
}

#[test]
fn environment_overrides_file_and_set_overrides_environment() {
    let dir = tempfile::tempdir().unwrap();
    let run = |env: Option<&str>, set: Option<&str>| {
        let mut cmd = cli(dir.path());
        cmd.args(["validate", "--config"])
            .arg(example("basic.toml"));
        if let Some(e) = env {
            cmd.env("BASELINE_ENVIRONMENT", e);
        }
        if let Some(s) = set {
            cmd.args(["--set", s]);
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(run(None, None).contains("stack bedrock-baseline-production"));
    assert!(run(Some("staging"), None).contains("stack bedrock-baseline-staging"));
    assert!(run(Some("staging"), Some("environment=\"qa\"")).contains("stack bedrock-baseline-qa"));
}

#[test]
fn a_held_state_lock_stops_apply_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("lock");
    let store = LocalStateStore::new(
        dir.path().join(".baseline/state"),
        format!("bedrock-baseline-{env}"),
    );
    let _held = store.lock(&LockHolder::current("apply")).unwrap();
    let out = stack_cli(dir.path(), "basic", &env, &["apply", "--auto-approve"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("is locked by apply (pid"), "{all}");
}

#[test]
fn plan_apply_plan_destroy_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("cli");
    let run = |args: &[&str]| stack_cli(dir.path(), "basic", &env, args).output().unwrap();
    let out = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "changes pending: {}",
        text(&out)
    );
    assert!(text(&out).contains("+ encryption.kms_key"));

    let out = run(&["apply", "--auto-approve", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["outputs"]["encryption"]["kms_key_arn"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:kms:"));

    let out = run(&["apply", "--auto-approve", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["api_calls"]["writes"], 0,
        "a second apply writes nothing: {doc}"
    );
    assert_eq!(
        doc["summary"],
        serde_json::json!({"add": 0, "change": 0, "destroy": 0})
    );

    let out = run(&["plan", "--detailed-exitcode", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let back: baseline_core::StackPlan =
        serde_json::from_value(doc).expect("plan JSON round-trips");
    assert!(!back.has_changes());

    let out = run(&["output", "kms_alias"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("alias/bedrock-baseline-{env}-bedrock")
    );

    let out = run(&["destroy", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    // The key encrypts the audit data destroy keeps: it stays too.
    assert!(
        !text(&out).contains("- encryption.kms_key"),
        "{}",
        text(&out)
    );
    // Its last line says what was kept: the list is above the progress lines.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("Destroy complete!")
            && last.contains("left in place, listed under \"Left in place\" above"),
        "{last}"
    );
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("confirm");
    let out = stack_cli(dir.path(), "basic", &env, &["apply"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("--auto-approve"), "{}", text(&out));
}

#[test]
fn a_saved_plan_is_refused_when_the_stack_moved() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("saved");
    let run = |args: &[&str]| stack_cli(dir.path(), "basic", &env, args).output().unwrap();
    let out = run(&["plan", "--out", "tfplan.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["apply", "tfplan.json"]);
    assert!(
        out.status.success(),
        "a fresh saved plan applies: {}",
        text(&out)
    );

    // A plan file of another format is bad input: exit 2, nothing applied.
    let saved = std::fs::read_to_string(dir.path().join("tfplan.json")).unwrap();
    let mut other: serde_json::Value = serde_json::from_str(&saved).unwrap();
    other["format_version"] = serde_json::json!(99);
    std::fs::write(dir.path().join("future.json"), other.to_string()).unwrap();
    let out = run(&["apply", "future.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("format 99"), "{}", text(&out));

    let out = run(&["plan", "--out", "second.json"]);
    assert!(out.status.success());
    // Behind the tool's back: the stack's key loses its rotation.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let kms = aws_sdk_kms::Client::new(&sdk_config().await);
        let alias = format!("alias/bedrock-baseline-{env}-bedrock");
        let aliases = kms.list_aliases().send().await.unwrap();
        let key = aliases
            .aliases()
            .iter()
            .find(|a| a.alias_name() == Some(alias.as_str()))
            .unwrap()
            .target_key_id()
            .unwrap()
            .to_owned();
        kms.disable_key_rotation().key_id(key).send().await.unwrap();
    });
    let out = run(&["apply", "second.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("changed since this plan was made"),
        "{}",
        text(&out)
    );

    // The plan of the repair names its write, and a file whose writes were altered (the
    // attributes untouched) is refused like a moved stack: apply runs the listed writes or none.
    let out = run(&["plan", "--out", "repair.json"]);
    assert!(out.status.success(), "{}", text(&out));
    let repair: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("repair.json")).unwrap())
            .unwrap();
    let key_change = |plan: &serde_json::Value| {
        plan["plan"]["modules"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["changes"].as_array().unwrap())
            .find(|c| c["address"] == "encryption.kms_key")
            .unwrap()
            .clone()
    };
    assert_eq!(
        key_change(&repair)["operations"],
        serde_json::json!([{"op": "enable_rotation"}]),
        "{repair:#}"
    );
    let mut altered = repair.clone();
    for module in altered["plan"]["modules"].as_array_mut().unwrap() {
        for change in module["changes"].as_array_mut().unwrap() {
            if change["address"] == "encryption.kms_key" {
                change["operations"] = serde_json::json!([{"op": "enable"}]);
            }
        }
    }
    std::fs::write(dir.path().join("altered.json"), altered.to_string()).unwrap();
    let out = run(&["apply", "altered.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("changed since this plan was made"),
        "{}",
        text(&out)
    );
    let out = run(&["apply", "repair.json"]);
    assert!(
        out.status.success(),
        "the saved repair applies: {}",
        text(&out)
    );
    let out = run(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.status.code(), Some(0), "repaired: {}", text(&out));
}

/// The S3 backend: state stored in the bucket, a second writer refused naming the holder, and
/// `force-unlock` clearing a lock left by a killed process.
#[test]
fn s3_state_backend_locks_with_conditional_writes() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("s3state");
    let bucket = format!("state-{env}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s3 = s3_client(&sdk_config().await);
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
    });
    let run = |args: &[&str]| {
        stack_cli(dir.path(), "basic", &env, args)
            .args([
                "--set",
                "state.backend=\"s3\"",
                "--set",
                &format!("state.bucket={bucket:?}"),
                "--set",
                "state.key=\"team/baseline.json\"",
            ])
            .output()
            .unwrap()
    };
    let out = run(&["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["output", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let outputs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        outputs["encryption"]["kms_key_arn"].is_string(),
        "{outputs}"
    );

    // A lock left behind (as by a killed apply) stops the next apply, naming its holder.
    rt.block_on(async {
        let s3 = s3_client(&sdk_config().await);
        let holder =
            serde_json::json!({"pid": 4242, "host": "ci-runner", "operation": "apply", "since": 1});
        s3.put_object()
            .bucket(&bucket)
            .key("team/baseline.json.lock")
            .body(holder.to_string().into_bytes().into())
            .send()
            .await
            .unwrap();
    });
    let out = run(&["apply", "--auto-approve"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("locked by apply (pid 4242 on ci-runner"),
        "{}",
        text(&out)
    );
    let out = run(&["force-unlock"]);
    assert!(
        out.status.success() && text(&out).contains("pid 4242"),
        "{}",
        text(&out)
    );
    let out = run(&["apply", "--auto-approve"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(run(&["destroy", "--auto-approve"]).status.success());
}

#[test]
fn refresh_rebuilds_a_lost_state() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("refresh");
    let run = |args: &[&str]| stack_cli(dir.path(), "basic", &env, args).output().unwrap();
    assert!(run(&["apply", "--auto-approve"]).status.success());
    let before = String::from_utf8(run(&["output", "--json"]).stdout).unwrap();
    std::fs::remove_dir_all(dir.path().join(".baseline")).unwrap();
    assert_eq!(
        run(&["output"]).status.code(),
        Some(1),
        "no state, no outputs"
    );
    let out = run(&["refresh"]);
    assert!(out.status.success(), "{}", text(&out));
    let after = String::from_utf8(run(&["output", "--json"]).stdout).unwrap();
    let (b, a): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&before).unwrap(),
        serde_json::from_str(&after).unwrap(),
    );
    assert_eq!(a, b, "the rebuilt outputs equal the lost ones");
    let out = run(&["apply", "--auto-approve", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["api_calls"]["writes"], 0,
        "nothing is re-created after a lost state: {doc}"
    );
}

/// Live pre-checks (here: a VPC and subnets that do not exist) fail like a bad config: exit 2,
/// every problem with its key path, nothing created.
#[test]
fn a_missing_vpc_fails_apply_with_exit_2_and_creates_nothing() {
    // The example's application role exists (the stand-in account makes it), so only the VPC
    // problems are reported.
    baseline_tests::stand_in_vpc();
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("novpc");
    let out = cli(dir.path())
        .args([
            "apply",
            "--auto-approve",
            "--json",
            "--endpoint-url",
            emulator().url(),
            "--config",
        ])
        .arg(example("basic.toml"))
        .args(["--set", &format!("environment={env:?}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        issue_paths(&doc),
        ["vpc_id", "subnet_ids[0]", "subnet_ids[1]"],
        "{doc}"
    );
    assert!(
        !state_file(dir.path(), &env).exists(),
        "no state: nothing was created"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let kms = aws_sdk_kms::Client::new(&sdk_config().await);
        let aliases = kms.list_aliases().send().await.unwrap();
        let alias = format!("alias/bedrock-baseline-{env}-bedrock");
        assert!(
            aliases
                .aliases()
                .iter()
                .all(|a| a.alias_name() != Some(alias.as_str())),
            "no key was created"
        );
    });
}

/// A region that validation cannot see (here `--region`) is still checked against
/// allowed_model_regions, before any write: exit 2 with the key path.
#[test]
fn a_region_outside_allowed_model_regions_from_the_flag_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("region");
    let out = stack_cli(
        dir.path(),
        "basic",
        &env,
        &["plan", "--json", "--region", "ap-southeast-2"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["issues"][0]["path"], "region", "{doc}");
    assert!(text(&out).contains("ap-southeast-2"), "{}", text(&out));
}

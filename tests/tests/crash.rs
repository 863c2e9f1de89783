//! Crash safety: an apply SIGKILLed at several points and run again converges with no duplicate
//! and no orphan. The emulator holds the N+1-th call of the doomed apply (fault injection keyed
//! by its access key) while the test kills the process, so each kill lands at an exact point.

use baseline_tests::{cli, emulator, emulator_admin, sdk_config, unique_env, workspace_root};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn apply(dir: &std::path::Path, env: &str) -> Command {
    let mut cmd = cli(dir);
    cmd.args([
        "apply",
        "--auto-approve",
        "--endpoint-url",
        emulator().url(),
        "--config",
    ])
    .arg(workspace_root().join("examples/basic.toml"))
    .args(baseline_tests::stack_args(&env))
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    cmd
}

/// Runs an apply that is killed while its call number `after + 1` is in flight. Returns false
/// when the apply needed fewer calls than that (it finished).
fn killed_apply(dir: &std::path::Path, env: &str, after: usize) -> bool {
    let key = format!("AKIDCRASH{}X{after}", std::process::id());
    emulator_admin(
        "PUT",
        &format!("/_baseline/faults/{key}"),
        Some(&json!({"hang_after": after})),
    );
    let mut child = apply(dir, env)
        .env("AWS_ACCESS_KEY_ID", &key)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let killed = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if emulator_admin("GET", &format!("/_baseline/faults/{key}"), None)["tripped"] == true {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            break true;
        }
        assert!(
            Instant::now() < deadline,
            "apply neither finished nor reached call {after}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    emulator_admin("DELETE", &format!("/_baseline/faults/{key}"), None);
    killed
}

async fn stack_keys(stack: &str) -> Vec<(String, String)> {
    let kms = aws_sdk_kms::Client::new(&sdk_config().await);
    let mut found = Vec::new();
    for key in kms.list_keys().limit(1000).send().await.unwrap().keys() {
        let id = key.key_id().unwrap();
        let tags = kms.list_resource_tags().key_id(id).send().await.unwrap();
        if tags
            .tags()
            .iter()
            .any(|t| t.tag_key() == "baseline:stack" && t.tag_value() == stack)
        {
            let meta = kms.describe_key().key_id(id).send().await.unwrap();
            found.push((
                id.to_owned(),
                meta.key_metadata()
                    .unwrap()
                    .key_state()
                    .unwrap()
                    .as_str()
                    .to_owned(),
            ));
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_killed_at_several_points_converges_without_duplicates() {
    let mut kills = 0;
    for after in [1usize, 2, 3, 5, 8] {
        let dir = tempfile::tempdir().unwrap();
        let env = unique_env(&format!("crash{after}"));
        let stack = format!("bedrock-baseline-{env}");
        if killed_apply(dir.path(), &env, after) {
            kills += 1;
        }
        let status = apply(dir.path(), &env).status().unwrap();
        assert!(
            status.success(),
            "re-run after a kill at call {after} failed"
        );
        let plan = cli(dir.path())
            .args([
                "plan",
                "--detailed-exitcode",
                "--endpoint-url",
                emulator().url(),
                "--config",
            ])
            .arg(workspace_root().join("examples/basic.toml"))
            .args(baseline_tests::stack_args(&env))
            .output()
            .unwrap();
        assert_eq!(
            plan.status.code(),
            Some(0),
            "converged after kill at {after}: {}",
            String::from_utf8_lossy(&plan.stdout)
        );
        let keys = stack_keys(&stack).await;
        assert_eq!(
            keys.len(),
            1,
            "exactly one key for {stack} after a kill at call {after}: {keys:?}"
        );
        let kms = aws_sdk_kms::Client::new(&sdk_config().await);
        let aliases = kms.list_aliases().key_id(&keys[0].0).send().await.unwrap();
        assert_eq!(aliases.aliases().len(), 1, "one alias on the key");
    }
    assert!(
        kills >= 3,
        "most kill points must land inside the apply ({kills} did)"
    );
}

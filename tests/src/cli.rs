//! The workspace's binaries run against the emulator, and reading what they print.

use crate::{emulator, stack_args, workspace_root, REGION};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The `bedrock-baseline` binary of this workspace (brought up to date on first use), run from a
/// fresh temporary directory with fake credentials and no `BASELINE_*` variables of the caller.
pub fn cli(workdir: &Path) -> Command {
    cli_named("bedrock-baseline", workdir)
}

/// A binary of `baseline-cli` by name, e.g. `baseline-encryption`.
pub fn cli_named(name: &str, workdir: &Path) -> Command {
    static BUILT: OnceLock<()> = OnceLock::new();
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug").join(name);
    // Always built, not only when missing: `cargo test` builds the test harnesses, not the
    // binaries, so an existing binary can predate the code under test. Up to date, it takes
    // about a second.
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "baseline-cli", "--bins"])
            .current_dir(&root)
            .status()
            .expect("cargo build");
        assert!(status.success(), "building baseline-cli failed");
    });
    let mut cmd = Command::new(bin);
    cmd.current_dir(workdir)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("NO_COLOR", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("BASELINE_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `bedrock-baseline <args> --endpoint-url <emulator> --config examples/<example>.toml
/// <stack args>`: a command on `env`'s stack in the stand-in VPC.
pub fn stack_cli(dir: &Path, example: &str, env: &str, args: &[&str]) -> Command {
    stack_cli_named("bedrock-baseline", dir, example, env, args)
}

/// [`stack_cli`] with another binary of `baseline-cli`, e.g. `baseline-encryption`.
pub fn stack_cli_named(name: &str, dir: &Path, example: &str, env: &str, args: &[&str]) -> Command {
    let mut cmd = cli_named(name, dir);
    cmd.args(args)
        .args(["--endpoint-url", emulator().url(), "--config"])
        .arg(workspace_root().join(format!("examples/{example}.toml")))
        .args(stack_args(env));
    cmd
}

/// Runs [`stack_cli`] with a `--set` for each of `sets` to completion.
pub fn run_stack(dir: &Path, example: &str, env: &str, sets: &[&str], args: &[&str]) -> Output {
    let mut cmd = stack_cli(dir, example, env, args);
    for set in sets {
        cmd.args(["--set", set]);
    }
    cmd.output().unwrap()
}

/// What a finished command printed, stdout then stderr: for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The JSON a successful command printed on stdout.
pub fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "{}", text(out));
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// The key paths of the `issues` a refused command printed as JSON.
pub fn issue_paths(doc: &Value) -> Vec<&str> {
    doc["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect()
}

/// Where the CLI run in `dir` keeps the local state of `env`'s stack.
pub fn state_file(dir: &Path, env: &str) -> PathBuf {
    dir.join(format!(".baseline/state/bedrock-baseline-{env}.json"))
}

/// Every change of a `plan --json` document, module after module.
pub fn planned_changes(plan: &Value) -> Vec<&Value> {
    plan["modules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["changes"].as_array().unwrap())
        .collect()
}

//! Test support for end-to-end tests against the local emulator (moto plus the plugin in
//! `tests/emulator/`).
//!
//! One emulator per test run: `cargo xtask test` starts it and exports `BB_EMULATOR_URL`;
//! when that is unset (a plain `cargo test`), the first test of a test binary starts one from
//! `target/emulator-venv` (made by `cargo xtask emulator start`) and it lives as long as the
//! binary (it exits when its stdin closes). Every test gets its own stack name, so tests run in
//! parallel against the same emulator without seeing each other's resources.
//!
//! Besides the harness, what several test binaries need once: running the CLI on a stack and
//! reading its output (`cli.rs`), driving one module through plan, apply and destroy
//! (`modules.rs`), seeding and reading back resources through the SDK (`reads.rs`), and
//! clients with recording or failing interceptors (`record.rs`).

mod cli;
mod modules;
mod reads;
mod record;

pub use cli::{
    cli, cli_named, issue_paths, json_of, planned_changes, run_stack, stack_cli, stack_cli_named,
    state_file, text,
};
pub use modules::{
    actions, apply_module, attribute_names, change, changed, destroy_module, plan_module,
    stack_key, teardown_module, Planned,
};
pub use reads::{
    assert_source_guard, bucket_encryption_rule, default_policy_document, has_stack_tag, key_state,
    live_endpoints, log_groups, make_vpc, stack_keys, stack_log_groups, stack_tag_filter, vpc_sets,
    TestVpc,
};
pub use record::{s3_client, Intercepted, OpRecorder};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use baseline_core::config::{load, ConfigSources};
use baseline_core::{AwsContext, AwsOptions, Config, Naming};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The region every test uses.
pub const REGION: &str = "us-east-1";
/// The emulator's account id.
pub const ACCOUNT_ID: &str = "123456789012";

/// A running emulator.
#[derive(Debug)]
pub struct Emulator {
    url: String,
    _child: Option<Mutex<Child>>,
}

impl Emulator {
    /// Its endpoint URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

static PRIVATE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes this test process use an emulator of its own instead of the run's shared one: for
/// tests that count account-wide resources (anomaly detectors) other tests also create. Call it
/// first thing in the test (nextest runs each test in its own process).
pub fn isolate() {
    PRIVATE.store(true, Ordering::SeqCst);
}

/// The emulator of this test run (started on first use).
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        set_fake_credentials();
        if let Some(url) = std::env::var("BB_EMULATOR_URL")
            .ok()
            .filter(|_| !PRIVATE.load(Ordering::SeqCst))
        {
            return Emulator { url, _child: None };
        }
        start_emulator()
    })
}

fn set_fake_credentials() {
    // The emulator accepts any credentials; never let a developer's real ones be used.
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", REGION),
    ] {
        std::env::set_var(k, v);
    }
    std::env::remove_var("AWS_PROFILE");
    std::env::remove_var("AWS_SESSION_TOKEN");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_emulator() -> Emulator {
    let root = workspace_root();
    let python = root.join("target/emulator-venv/bin/python");
    assert!(
        python.exists(),
        "no emulator venv at {}: run `cargo xtask emulator start` once (or `cargo xtask test`)",
        python.display()
    );
    let port = free_port();
    let mut child = Command::new(python)
        .arg(root.join("tests/emulator/server.py"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--exit-on-stdin-eof",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) if line.contains("emulator listening on ") => {
                break line.rsplit(' ').next().expect("url").to_owned();
            }
            Some(Ok(_)) => continue,
            _ => panic!("the emulator exited before it listened"),
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Emulator {
        url,
        _child: Some(Mutex::new(child)),
    }
}

/// A stack environment name unique to this test and run: `t<counter><time>`, short enough for
/// every service's name limits.
pub fn unique_env(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
        % 10_000_000;
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect::<String>()
        .to_lowercase();
    format!("{label}-{}{n}-{t}", std::process::id() % 1000)
}

/// SDK config pointed at the emulator.
pub async fn sdk_config() -> SdkConfig {
    let emu = emulator();
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(emu.url())
        .test_credentials()
        .load()
        .await
}

/// Loads an example (`basic` or `advanced`) with the given environment and overrides, as the CLI
/// would (`--set key=value`).
pub fn example_config(example: &str, environment: &str, sets: &[&str]) -> Config {
    example_config_with(example, environment, sets.iter().map(|s| (*s).to_owned()))
}

/// [`example_config`] with owned overrides (built with `format!`, [`stack_sets`], [`vpc_sets`]).
pub fn example_config_with(
    example: &str,
    environment: &str,
    sets: impl IntoIterator<Item = String>,
) -> Config {
    let mut all = vec![format!("environment={environment:?}")];
    all.extend(sets);
    load(&ConfigSources {
        file: Some(workspace_root().join(format!("examples/{example}.toml"))),
        use_env: false,
        sets: all,
    })
    .unwrap_or_else(|e| panic!("example {example} must be valid: {e}"))
}

/// An [`AwsContext`] for `config`'s stack against the emulator (calls STS once).
pub async fn context(config: &Config) -> AwsContext {
    context_in(REGION, config).await
}

/// [`context`] in another region.
pub async fn context_in(region: &str, config: &Config) -> AwsContext {
    let options = AwsOptions {
        region: Some(region.to_owned()),
        endpoint_url: Some(emulator().url().to_owned()),
        profile: None,
        max_attempts: Some(2),
    };
    AwsContext::connect(&options, Naming::new(config.prefix(), config.tags.clone()))
        .await
        .expect("connect to the emulator")
}

/// Waits a little; eventual-consistency helpers use it.
pub async fn pause(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Calls the emulator's admin API (`/_baseline/...`), e.g.
/// `emulator_admin("PUT", "/_baseline/faults/AKID1", Some(json))`.
pub fn emulator_admin(
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> serde_json::Value {
    use std::io::{Read, Write};
    let addr = emulator().url().trim_start_matches("http://").to_owned();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect to the emulator");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let payload = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(payload).unwrap_or(serde_json::Value::Null)
}

/// The emulator's stand-in VPC (10.0.0.0/16, DNS support and hostnames on, two subnets in two
/// AZs), made once per test binary by `tests/emulator/make_stand_in_vpc.py` (idempotent).
pub fn stand_in_vpc() -> &'static serde_json::Value {
    static VPC: OnceLock<serde_json::Value> = OnceLock::new();
    VPC.get_or_init(|| {
        // The run's shared VPC lives in the run's shared emulator; an isolated test makes its own.
        if let Some(json) = std::env::var("BB_STAND_IN_VPC")
            .ok()
            .filter(|_| !PRIVATE.load(Ordering::SeqCst))
        {
            return serde_json::from_str(&json).expect("BB_STAND_IN_VPC is the script's JSON");
        }
        let root = workspace_root();
        let out = Command::new(root.join("target/emulator-venv/bin/python"))
            .arg(root.join("tests/emulator/make_stand_in_vpc.py"))
            .args(["--endpoint-url", emulator().url(), "--region", REGION])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .expect("run make_stand_in_vpc.py");
        assert!(
            out.status.success(),
            "make_stand_in_vpc.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("stand-in VPC JSON")
    })
}

/// `--set` values pointing a config at the stand-in VPC, plus the environment name.
pub fn stack_sets(environment: &str) -> Vec<String> {
    let vpc = stand_in_vpc();
    vec![
        format!("environment={environment:?}"),
        format!("vpc_id={}", vpc["vpc_id"]),
        format!("vpc_cidr={}", vpc["vpc_cidr"]),
        format!("subnet_ids={}", vpc["subnet_ids"]),
        format!("route_table_ids={}", vpc["route_table_ids"]),
    ]
}

/// [`stack_sets`] as command-line arguments (`--set k=v ...`).
pub fn stack_args(environment: &str) -> Vec<String> {
    stack_sets(environment)
        .into_iter()
        .flat_map(|s| ["--set".to_owned(), s])
        .collect()
}

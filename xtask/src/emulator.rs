//! The emulator and the tasks that need it.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_owned()
}

fn venv() -> PathBuf {
    root().join("target/emulator-venv")
}

pub(crate) fn python() -> PathBuf {
    venv().join("bin/python")
}

fn state_dir() -> PathBuf {
    root().join("target/emulator")
}

fn run_checked(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("running {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Creates the venv and installs the pinned requirements, unless already done for the same
/// requirements file.
pub(crate) fn install() -> anyhow::Result<()> {
    let requirements = root().join("tests/emulator/requirements.txt");
    let wanted =
        fs::read_to_string(&requirements).context("reading tests/emulator/requirements.txt")?;
    let stamp = venv().join(".requirements-stamp");
    if python().exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    eprintln!("installing the emulator into {} ...", venv().display());
    if !python().exists() {
        run_checked(Command::new("python3").args(["-m", "venv"]).arg(venv()))?;
    }
    run_checked(
        Command::new(python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    fs::write(&stamp, wanted)?;
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn server_command(port: u16) -> Command {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("tests/emulator/server.py")).args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
    ]);
    cmd
}

/// Waits for the "emulator listening on URL" line; returns the URL.
fn wait_for_url(
    lines: &mut dyn Iterator<Item = std::io::Result<String>>,
) -> anyhow::Result<String> {
    for line in lines {
        let line = line?;
        if let Some(url) = line.strip_prefix("emulator listening on ") {
            return Ok(url.trim().to_owned());
        }
    }
    bail!("the emulator exited before it listened (see target/emulator/server.log)")
}

/// An emulator owned by this process: stops when dropped (and by itself if we die, since it
/// watches its stdin).
pub(crate) struct OwnedEmulator {
    child: Child,
    pub(crate) url: String,
}

impl OwnedEmulator {
    pub(crate) fn start() -> anyhow::Result<Self> {
        install()?;
        fs::create_dir_all(state_dir())?;
        let log = fs::File::create(state_dir().join("server-test.log"))?;
        let mut child = server_command(free_port()?)
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .context("starting the emulator")?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let url = wait_for_url(&mut lines)?;
        std::thread::spawn(move || for _ in lines {});
        Ok(Self { child, url })
    }
}

impl Drop for OwnedEmulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pid_file() -> PathBuf {
    state_dir().join("pid")
}

fn url_file() -> PathBuf {
    state_dir().join("url")
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.contains("server.py"))
}

/// A fingerprint of the emulator's code and pins: a running emulator started from other code is
/// restarted, so `deploy --local` never talks to a stale plugin.
fn code_fingerprint() -> String {
    use std::hash::{Hash, Hasher};
    let mut files = Vec::new();
    let dir = root().join("tests/emulator");
    for sub in [dir.clone(), dir.join("baseline_plugin")] {
        if let Ok(entries) = fs::read_dir(&sub) {
            files.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "py" || x == "txt")),
            );
        }
    }
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in files {
        f.hash(&mut h);
        fs::read(&f).unwrap_or_default().hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

fn fingerprint_file() -> PathBuf {
    state_dir().join("fingerprint")
}

/// The detached emulator's URL if it runs.
fn running() -> Option<String> {
    let pid: u32 = fs::read_to_string(pid_file()).ok()?.trim().parse().ok()?;
    alive(pid)
        .then(|| fs::read_to_string(url_file()).ok())
        .flatten()
        .map(|u| u.trim().to_owned())
}

/// Starts a detached emulator (or reuses the running one); returns its URL.
pub(crate) fn start_detached() -> anyhow::Result<String> {
    if let Some(url) = running() {
        if fs::read_to_string(fingerprint_file()).ok().as_deref()
            == Some(code_fingerprint().as_str())
        {
            return Ok(url);
        }
        eprintln!("the emulator's code changed since it started: restarting it");
        stop_detached()?;
    }
    install()?;
    fs::create_dir_all(state_dir())?;
    let log_path = state_dir().join("server.log");
    let log = fs::File::create(&log_path)?;
    let mut child = server_command(free_port()?)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()
        .context("starting the emulator")?;
    fs::write(pid_file(), child.id().to_string())?;
    fs::write(fingerprint_file(), code_fingerprint())?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let text = fs::read_to_string(&log_path).unwrap_or_default();
        if let Some(url) = text
            .lines()
            .find_map(|l| l.strip_prefix("emulator listening on "))
        {
            fs::write(url_file(), url.trim())?;
            return Ok(url.trim().to_owned());
        }
        // try_wait, not /proc: right after spawn the child's cmdline may still be ours.
        if child.try_wait()?.is_some() {
            bail!("the emulator exited at start:\n{text}");
        }
        if Instant::now() > deadline {
            bail!(
                "the emulator did not start within 120 s (see {})",
                log_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Makes (or finds) the emulator's stand-in VPC: `{vpc_id, vpc_cidr, subnet_ids, route_table_ids}`.
pub(crate) fn stand_in_vpc(url: &str) -> anyhow::Result<serde_json::Value> {
    let out = Command::new(python())
        .arg(root().join("tests/emulator/make_stand_in_vpc.py"))
        .args(["--endpoint-url", url, "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .context("making the stand-in VPC")?;
    if !out.status.success() {
        bail!(
            "make_stand_in_vpc.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    serde_json::from_slice(&out.stdout).context("stand-in VPC output")
}

/// Stops the detached emulator, if any.
fn stop_detached() -> anyhow::Result<()> {
    if let Some(pid) = fs::read_to_string(pid_file())
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
    {
        if alive(pid) {
            run_checked(Command::new("kill").arg(pid.to_string()))?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    let _ = fs::remove_file(pid_file());
    let _ = fs::remove_file(url_file());
    let _ = fs::remove_file(fingerprint_file());
    Ok(())
}

#[derive(Args)]
pub(crate) struct EmulatorArgs {
    #[command(subcommand)]
    action: EmulatorAction,
}

#[derive(Subcommand)]
enum EmulatorAction {
    /// Install if needed and start in the background; prints the endpoint URL last.
    Start,
    /// Stop the background emulator.
    Stop,
    /// Tell whether it runs; prints the endpoint URL last.
    Status,
}

impl EmulatorArgs {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        match self.action {
            EmulatorAction::Start => {
                let url = start_detached()?;
                println!("emulator running (pid file {})", pid_file().display());
                println!("{url}");
            }
            EmulatorAction::Stop => {
                stop_detached()?;
                println!("emulator stopped");
            }
            EmulatorAction::Status => match running() {
                Some(url) => {
                    println!("emulator running");
                    println!("{url}");
                }
                None => {
                    println!("emulator not running");
                    std::process::exit(3);
                }
            },
        }
        Ok(())
    }
}

#[derive(Args)]
pub(crate) struct TestArgs {
    /// Extra arguments for the test runner (after `--`).
    #[arg(last = true)]
    rest: Vec<String>,
}

fn has_nextest() -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl TestArgs {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let emulator = OwnedEmulator::start()?;
        eprintln!("emulator for this run: {}", emulator.url);
        run_checked(
            Command::new(python())
                .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
                .arg(root().join("tests/emulator"))
                .current_dir(root()),
        )
        .context("emulator plugin tests")?;
        // One stand-in VPC for the whole run, so parallel test processes don't race to make it.
        let vpc = stand_in_vpc(&emulator.url)?;
        // The end-to-end tests run the CLI's binaries. Built here, in the open, cargo's progress
        // shows and a build failure (a full disk, say) reads as one, instead of as the first
        // test process that happens to build them timing out.
        run_checked(
            Command::new("cargo")
                .args(["build", "-p", "baseline-cli", "--bins"])
                .current_dir(root()),
        )
        .context("building the CLI's binaries for the end-to-end tests")?;
        let mut cmd = Command::new("cargo");
        if has_nextest() {
            cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        } else {
            cmd.args(["test", "--workspace", "--no-fail-fast"]);
        }
        cmd.args(&self.rest)
            .env("BB_EMULATOR_URL", &emulator.url)
            .env("BB_STAND_IN_VPC", vpc.to_string())
            .current_dir(root());
        run_checked(&mut cmd)
    }
}

#[derive(Args)]
pub(crate) struct DeployArgs {
    /// Deploy to a local emulator (started if needed) with a stand-in VPC made there.
    #[arg(long)]
    local: bool,
    /// Config file (default: examples/advanced.toml with --local, else baseline.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Extra arguments for `bedrock-baseline apply`.
    #[arg(last = true)]
    rest: Vec<String>,
}

impl DeployArgs {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        // Cargo's own progress stays visible: the first build of the AWS SDK crates takes minutes,
        // and a silent terminal for that long looks like a hang.
        eprintln!(
            "building bedrock-baseline (the first build compiles the AWS SDK: a few minutes) ..."
        );
        run_checked(
            Command::new("cargo")
                .args(["build", "-p", "baseline-cli", "--bin", "bedrock-baseline"])
                .current_dir(root()),
        )?;
        let bin = root().join("target/debug/bedrock-baseline");
        let mut apply = Command::new(&bin);
        if self.local {
            let url = start_detached()?;
            eprintln!("emulator: {url}");
            let vpc = stand_in_vpc(&url)?;
            eprintln!(
                "stand-in VPC: {} subnets {}",
                vpc["vpc_id"], vpc["subnet_ids"]
            );
            let config = self
                .config
                .clone()
                .unwrap_or_else(|| root().join("examples/advanced.toml"));
            apply
                .arg("--config")
                .arg(config)
                .args(["--endpoint-url", &url, "--region", "us-east-1"])
                .args(["--set", &format!("vpc_id={}", vpc["vpc_id"])])
                .args(["--set", &format!("vpc_cidr={}", vpc["vpc_cidr"])])
                .args(["--set", &format!("subnet_ids={}", vpc["subnet_ids"])])
                .args([
                    "--set",
                    &format!("route_table_ids={}", vpc["route_table_ids"]),
                ])
                // The stand-in account's replica bucket and key in us-west-2 (s3_replication).
                .args([
                    "--set",
                    &format!(
                        "s3_replication.destination_bucket_arn={}",
                        vpc["replica_bucket_arn"]
                    ),
                ])
                .args([
                    "--set",
                    &format!(
                        "s3_replication.destination_kms_key_arn={}",
                        vpc["replica_kms_key_arn"]
                    ),
                ])
                .args(["--set", "state.path=\"target/local-deploy/state\""])
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing");
        } else if let Some(config) = &self.config {
            apply.arg("--config").arg(config);
        }
        let mut output = Command::new(&bin);
        output.args(
            apply
                .get_args()
                .filter(|a| !a.is_empty())
                .collect::<Vec<_>>(),
        );
        for (k, v) in apply.get_envs() {
            if let Some(v) = v {
                output.env(k, v);
            }
        }
        run_checked(
            apply
                .arg("apply")
                .arg("--auto-approve")
                .args(&self.rest)
                .current_dir(root()),
        )?;
        run_checked(output.arg("output").current_dir(root()))?;
        Ok(())
    }
}

//! `cargo xtask bench`: times and API-call counts of the stack's main operations against a
//! private emulator, then again with a fixed delay added to every call (the emulator's fault
//! injection), where the wall time is compared with the longest chain of calls that had to run
//! one after another.

use crate::emulator::{root, stand_in_vpc, OwnedEmulator};
use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// Runs per scenario (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Delay added to every call in the second pass, in milliseconds.
    #[arg(long, default_value_t = 50)]
    delay_ms: u64,
    /// Measure the debug build instead of the release build. The targets are release numbers,
    /// as `cargo bench` measures; the first release build compiles every SDK crate again (about
    /// 20 minutes on two cores), the debug build is the one the tests already made.
    #[arg(long)]
    debug: bool,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench/bench.json")]
    out: PathBuf,
}

/// One measured command.
struct Sample {
    seconds: f64,
    calls: usize,
    writes: usize,
    chain: usize,
    peak_kib: u64,
}

/// Agents (and knowledge bases) the audit benchmark seeds.
const AUDIT_SEED: usize = 200;

fn admin(url: &str, method: &str, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
    let addr = url.trim_start_matches("http://");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut s = std::net::TcpStream::connect(addr)?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    s.read_to_string(&mut response)?;
    let payload = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    Ok(serde_json::from_str(payload).unwrap_or(Value::Null))
}

fn is_read(op: &str) -> bool {
    ["Get", "Describe", "List", "Head"]
        .iter()
        .any(|p| op.starts_with(p))
}

/// Longest sequence of calls each of which started after the previous one ended: the calls
/// that ran one after another.
fn longest_chain(calls: &[Value]) -> usize {
    let mut spans: Vec<(f64, f64)> = calls
        .iter()
        .map(|c| {
            (
                c["start"].as_f64().unwrap_or(0.0),
                c["end"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    spans.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut best = vec![1usize; spans.len()];
    for j in 0..spans.len() {
        for i in 0..j {
            if spans[i].1 <= spans[j].0 {
                best[j] = best[j].max(best[i] + 1);
            }
        }
    }
    best.into_iter().max().unwrap_or(0)
}

fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn measure(url: &str, cmd: Command) -> anyhow::Result<Sample> {
    measure_exit(url, cmd, &[0])
}

/// [`measure`], accepting these exit codes (`audit` exits 3 when something FAILs).
fn measure_exit(url: &str, mut cmd: Command, accept: &[i32]) -> anyhow::Result<Sample> {
    admin(url, "DELETE", "/_baseline/calls", None)?;
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_kib(pid));
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = start.elapsed().as_secs_f64();
    if !status.code().is_some_and(|c| accept.contains(&c)) {
        let mut err = String::new();
        child.stderr.take().map(|mut e| e.read_to_string(&mut err));
        bail!("{cmd:?} failed: {err}");
    }
    let calls = admin(url, "GET", "/_baseline/calls", None)?["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let writes = calls
        .iter()
        .filter(|c| !is_read(c["operation"].as_str().unwrap_or("")))
        .count();
    Ok(Sample {
        seconds,
        calls: calls.len(),
        writes,
        chain: longest_chain(&calls),
        peak_kib: peak,
    })
}

/// The modules of the stack, as its plan JSON names them (the `--target` names).
fn stack_modules(mut plan: Command) -> anyhow::Result<Vec<String>> {
    let out = plan.stdout(Stdio::piped()).output()?;
    anyhow::ensure!(out.status.success(), "plan --json failed");
    let plan: Value = serde_json::from_slice(&out.stdout).context("plan --json output")?;
    Ok(plan["modules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["module"].as_str().map(str::to_owned))
        .collect())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

impl BenchArgs {
    pub(crate) fn run(self) -> anyhow::Result<()> {
        let mut build = Command::new("cargo");
        build.args([
            "build",
            "--quiet",
            "-p",
            "baseline-cli",
            "--bin",
            "bedrock-baseline",
        ]);
        if !self.debug {
            build.arg("--release");
        }
        build
            .current_dir(root())
            .status()?
            .success()
            .then_some(())
            .context("building bedrock-baseline")?;
        let bin = root()
            .join(if self.debug {
                "target/debug"
            } else {
                "target/release"
            })
            .join("bedrock-baseline");
        let emulator = OwnedEmulator::start()?;
        let url = emulator.url.clone();
        let vpc = stand_in_vpc(&url)?;
        let work = root().join("target/bench/work");
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work)?;
        let command = |env: &str, args: &[&str]| {
            let mut cmd = Command::new(&bin);
            cmd.args(args)
                .args(["--endpoint-url", &url, "--region", "us-east-1", "--config"])
                .arg(root().join("examples/advanced.toml"))
                .args(["--set", &format!("environment={env:?}")])
                .args(["--set", &format!("vpc_id={}", vpc["vpc_id"])])
                .args(["--set", &format!("subnet_ids={}", vpc["subnet_ids"])])
                .args([
                    "--set",
                    &format!("route_table_ids={}", vpc["route_table_ids"]),
                ])
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .current_dir(&work);
            cmd
        };

        let mut table = Vec::new();
        let mut report = serde_json::Map::new();
        let mut graph_bound: Vec<(String, usize)> = Vec::new();
        for (pass, delay) in [("no delay", 0), ("with delay", self.delay_ms)] {
            admin(
                &url,
                "PUT",
                "/_baseline/faults/*",
                Some(json!({"delay_ms": delay})),
            )?;
            let mut samples: Vec<(&str, Vec<Sample>)> =
                ["apply from empty", "no-op plan", "no-op apply", "destroy"]
                    .into_iter()
                    .map(|s| (s, Vec::new()))
                    .collect();
            for run in 0..self.runs {
                let env = format!("bench{}-{run}-{}", delay, std::process::id() % 10_000);
                samples[0]
                    .1
                    .push(measure(&url, command(&env, &["apply", "--auto-approve"]))?);
                if delay > 0 && run == 0 {
                    // Each module planned alone (its upstream from state, so it waits for none):
                    // its chain is its own resources' read depth. A no-op plan cannot be
                    // shorter than the longest of them (the orchestrator observes every module
                    // at once once state knows their upstream).
                    for module in stack_modules(command(&env, &["plan", "--json"]))? {
                        let s = measure(&url, command(&env, &["plan", "--target", &module]))?;
                        graph_bound.push((module, s.chain));
                    }
                }
                samples[1].1.push(measure(&url, command(&env, &["plan"]))?);
                samples[2]
                    .1
                    .push(measure(&url, command(&env, &["apply", "--auto-approve"]))?);
                samples[3].1.push(measure(
                    &url,
                    command(&env, &["destroy", "--auto-approve", "--delete-audit-data"]),
                )?);
                eprintln!("{pass}: run {} of {} done", run + 1, self.runs);
            }
            let mut pass_json = serde_json::Map::new();
            for (name, s) in &samples {
                let seconds = median(s.iter().map(|x| x.seconds).collect());
                let calls = median(s.iter().map(|x| x.calls as f64).collect()) as usize;
                let writes = median(s.iter().map(|x| x.writes as f64).collect()) as usize;
                let chain = median(s.iter().map(|x| x.chain as f64).collect()) as usize;
                let peak_mib = s.iter().map(|x| x.peak_kib).max().unwrap_or(0) as f64 / 1024.0;
                let bound = chain as f64 * delay as f64 / 1000.0;
                let ratio = if delay > 0 && bound > 0.0 {
                    Some(seconds / bound)
                } else {
                    None
                };
                table.push(format!(
                    "{pass:<10} {name:<17} {seconds:>8.3}s {calls:>6} {writes:>6} {chain:>6} {:>10} {:>6} {peak_mib:>8.1}",
                    if delay > 0 { format!("{bound:.3}s") } else { "-".into() },
                    ratio.map(|r| format!("{r:.2}x")).unwrap_or_else(|| "-".into()),
                ));
                pass_json.insert(
                    (*name).to_owned(),
                    json!({"median_seconds": seconds, "calls": calls, "writes": writes, "serial_chain": chain,
                           "chain_bound_seconds": bound, "ratio_to_bound": ratio, "peak_rss_mib": peak_mib, "runs": s.len()}),
                );
            }
            report.insert(
                format!("{pass} ({delay} ms per call)"),
                Value::Object(pass_json),
            );
        }
        admin(&url, "DELETE", "/_baseline/faults/*", None)?;

        // Audit of a large account (issue #12 item 6): 200 agents and 200 knowledge bases with a
        // data source each, no stack config (every workload rule judges all of them).
        let seeded = Command::new(crate::emulator::python())
            .arg(root().join("tests/emulator/seed_bench.py"))
            .arg(&url)
            .arg(AUDIT_SEED.to_string())
            .output()?;
        anyhow::ensure!(
            seeded.status.success(),
            "seed_bench.py failed: {}",
            String::from_utf8_lossy(&seeded.stderr)
        );
        for (pass, delay) in [("no delay", 0), ("with delay", self.delay_ms)] {
            admin(
                &url,
                "PUT",
                "/_baseline/faults/*",
                Some(json!({"delay_ms": delay})),
            )?;
            let mut audit = Command::new(&bin);
            audit
                .args([
                    "audit",
                    "--json",
                    "--endpoint-url",
                    &url,
                    "--region",
                    "us-east-1",
                ])
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .current_dir(&work);
            let s = measure_exit(&url, audit, &[0, 3])?;
            let bound = s.chain as f64 * delay as f64 / 1000.0;
            table.push(format!(
                "{pass:<10} {:<17} {:>8.3}s {:>6} {:>6} {:>6} {:>10} {:>6} {:>8.1}",
                format!("audit {AUDIT_SEED}+{AUDIT_SEED}"),
                s.seconds,
                s.calls,
                s.writes,
                s.chain,
                if delay > 0 {
                    format!("{bound:.3}s")
                } else {
                    "-".into()
                },
                if delay > 0 && bound > 0.0 {
                    format!("{:.2}x", s.seconds / bound)
                } else {
                    "-".into()
                },
                s.peak_kib as f64 / 1024.0,
            ));
            report.insert(
                format!("audit of {AUDIT_SEED} agents and {AUDIT_SEED} knowledge bases ({delay} ms per call)"),
                json!({"seconds": s.seconds, "calls": s.calls, "writes": s.writes, "serial_chain": s.chain,
                       "chain_bound_seconds": bound, "peak_rss_mib": s.peak_kib as f64 / 1024.0}),
            );
        }
        admin(&url, "DELETE", "/_baseline/faults/*", None)?;

        let mut validate = Vec::new();
        for _ in 0..self.runs.max(5) {
            let t = Instant::now();
            let ok = command("benchvalidate", &["validate"])
                .stdout(Stdio::null())
                .status()?
                .success();
            anyhow::ensure!(ok, "validate failed");
            validate.push(t.elapsed().as_secs_f64());
        }
        let validate = median(validate);
        report.insert("validate_median_seconds".into(), json!(validate));

        println!(
            "{:<10} {:<17} {:>9} {:>6} {:>6} {:>6} {:>10} {:>6} {:>8}",
            "pass", "scenario", "median", "calls", "writes", "chain", "bound", "ratio", "peak MiB"
        );
        for line in table {
            println!("{line}");
        }
        println!(
            "validate (median of {}): {:.1} ms",
            self.runs.max(5),
            validate * 1000.0
        );
        println!("chain = the longest run of calls that started only after the previous one ended; bound = chain x delay");
        if let Some((module, chain)) = graph_bound.iter().max_by_key(|(_, c)| *c) {
            let each: Vec<String> = graph_bound
                .iter()
                .map(|(m, c)| format!("{m} {c}"))
                .collect();
            println!(
                "no-op plan, chain from the graph: {chain} calls ({module}; each module alone: {}) = {:.3}s with the delay",
                each.join(", "),
                *chain as f64 * self.delay_ms as f64 / 1000.0
            );
            report.insert(
                "no-op plan chain from the graph".into(),
                json!({"calls": chain, "longest_module": module,
                       "each_module": graph_bound.iter().map(|(m, c)| (m.clone(), json!(c))).collect::<serde_json::Map<_, _>>()}),
            );
        }
        let out = root().join(&self.out);
        std::fs::create_dir_all(out.parent().expect("a file path"))?;
        std::fs::write(&out, serde_json::to_vec_pretty(&Value::Object(report))?)?;
        println!("wrote {}", out.display());
        Ok(())
    }
}

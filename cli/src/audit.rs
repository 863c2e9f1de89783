//! `bedrock-baseline audit`: reads the account (progress on a terminal), evaluates the rules of
//! `baseline-audit`, prints the table or a machine format, and exits 3 when a FAIL reaches
//! `--fail-on`. Read-only. A config is optional: without one, stack rules judge whatever exists.

use crate::args::{AuditArgs, AuditFormat, GlobalArgs};
use anyhow::Context;
use baseline_audit::{evaluate, Framework, Reader, Report, Severity, StackScope, Status};
use baseline_core::config::load;
use baseline_core::{AwsContext, AwsOptions, Config, Naming};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;

/// Exit code when a rule at or above `--fail-on` FAILs.
pub const EXIT_FINDINGS: u8 = 3;

/// SNS accepts topic names up to 256 characters (the alerting module's limit too).
const TOPIC_NAME_MAX: usize = 256;

fn stack_scope(config: &Config, naming: &Naming, account: &str, region: &str) -> StackScope {
    let mut topics = Vec::new();
    if config.enable_alerting {
        for key in baseline_alerting::TOPIC_KEYS {
            topics.push(naming.name(key, TOPIC_NAME_MAX));
        }
    }
    let logging = config.enable_model_invocation_logging;
    let mut tag_keys: Vec<String> = naming.tags("audit").into_keys().collect();
    // The module tag differs per module; the stack tag and the user's tags are common to all.
    tag_keys.retain(|k| k != baseline_core::naming::MODULE_TAG);
    StackScope {
        stack: config.prefix(),
        log_bucket: (logging && config.enable_s3_logging)
            .then(|| naming.log_bucket(account, region)),
        // Named like the logging module names it.
        log_group: (logging && config.enable_cloudwatch_logging)
            .then(|| naming.log_group("invocations")),
        vpc_id: Some(config.vpc_id.clone()).filter(|v| !v.is_empty()),
        tag_keys,
        guardrail_name: config.enable_guardrails.then(|| config.guardrail_name()),
        key_alias: naming.key_alias(),
        topic_names: topics,
        // Named like the guardrails module names it (`naming.name("bedrock-model-access", 128)`).
        model_access_policy: config
            .enable_guardrails
            .then(|| naming.name("bedrock-model-access", 128)),
    }
}

/// Runs the audit command.
pub async fn run(global: &GlobalArgs, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let file = global.config.clone().or_else(|| {
        let default = std::path::PathBuf::from("baseline.toml");
        default.exists().then_some(default)
    });
    // With a config, it is validated (exit 2 on problems) before any call, like every command.
    let config = match file {
        Some(file) => Some(load(&baseline_core::config::ConfigSources {
            file: Some(file),
            use_env: true,
            sets: global.sets.clone(),
        })?),
        None => None,
    };
    let naming = match &config {
        Some(c) => Naming::new(c.prefix(), c.tags.clone()),
        None => Naming::new("audit", BTreeMap::new()),
    };
    let options = AwsOptions {
        region: global
            .region
            .clone()
            .or_else(|| config.as_ref().and_then(|c| c.region.clone())),
        endpoint_url: global.endpoint_url.clone(),
        profile: global.profile.clone(),
        max_attempts: None,
    };
    let ctx = AwsContext::connect(&options, naming)
        .await
        .context("connecting to AWS")?;
    let scope = config
        .as_ref()
        .map(|c| stack_scope(c, ctx.naming(), ctx.account_id(), ctx.region()));
    let framework: Option<Framework> = args
        .framework
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let fail_on: Severity = args.fail_on.parse().map_err(anyhow::Error::msg)?;
    let format = if global.json {
        AuditFormat::Json
    } else {
        args.format
    };

    let terminal = std::io::stderr().is_terminal();
    let progress = move |what: &str| {
        if terminal {
            eprintln!("  read {what}");
        }
    };
    if terminal {
        eprintln!(
            "Auditing account {} in {}...",
            ctx.account_id(),
            ctx.region()
        );
    }
    let inventory = Reader::new(&ctx, usize::from(args.concurrency))
        .read(scope, &progress)
        .await;
    let report = evaluate(&inventory, framework);

    match format {
        AuditFormat::Json => println!("{}", serde_json::to_string_pretty(&report.to_json())?),
        AuditFormat::Sarif => println!("{}", serde_json::to_string_pretty(&report.to_sarif())?),
        AuditFormat::Junit => print!("{}", report.to_junit()),
        AuditFormat::Markdown => print!("{}", report.to_markdown(ctx.account_id(), ctx.region())),
        AuditFormat::Table => print!(
            "{}",
            table(&report, !global.no_color && std::io::stdout().is_terminal())
        ),
    }
    let failing = report.failures_at_or_above(fail_on);
    Ok(if failing.is_empty() {
        ExitCode::SUCCESS
    } else {
        if format != AuditFormat::Table {
            eprintln!("{} FAIL at or above {fail_on}", failing.len());
        }
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// The terminal view: findings grouped by severity, FAILs first in each group.
fn table(report: &Report, color: bool) -> String {
    use std::fmt::Write as _;
    let paint = |s: Status| -> String {
        let text = format!("{:<14}", s.as_str());
        if !color {
            return text;
        }
        let code = match s {
            Status::Pass => "32",
            Status::Fail => "31;1",
            Status::NotApplicable => "2",
            Status::Unknown => "33",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    };
    let mut out = String::new();
    for sev in Severity::DESCENDING {
        let rules: Vec<_> = report.rules.iter().filter(|r| r.severity == sev).collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{} ({} rules)",
            sev.as_str().to_uppercase(),
            rules.len()
        );
        for r in rules {
            let mut mine: Vec<_> = report.findings.iter().filter(|f| f.rule == r.id).collect();
            mine.sort_by_key(|f| match f.status {
                Status::Fail => 0,
                Status::Unknown => 1,
                Status::Pass => 2,
                Status::NotApplicable => 3,
            });
            let _ = writeln!(out, "  {} {}", r.id, r.title);
            for f in mine {
                let _ = writeln!(out, "    {} {}  {}", paint(f.status), f.resource, f.reason);
                if f.status == Status::Fail {
                    let _ = writeln!(out, "      fix: {}", r.remediation);
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} findings: {} PASS, {} FAIL, {} NOT_APPLICABLE, {} UNKNOWN",
        report.findings.len(),
        report.count(Status::Pass),
        report.count(Status::Fail),
        report.count(Status::NotApplicable),
        report.count(Status::Unknown)
    );
    out
}

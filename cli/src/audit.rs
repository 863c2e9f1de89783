//! `bedrock-baseline audit`: reads the account (progress on a terminal), evaluates the rules of
//! `baseline-audit`, prints the table or a machine format, and exits 3 when a FAIL reaches
//! `--fail-on`. Read-only. A config is optional: without one, stack rules judge whatever exists.
//! With one, the stack's access paths are evaluated on its live policies (BB-77, the same read as
//! `check-access`). `--fix` computes the stack's normal plan (the orchestrator `plan` uses): the
//! changes that converge the resources the stack owns, and so fix their FAILs; it writes only with
//! `--apply`. Workload resources are never changed: their FAILs are listed with their remediation.

use crate::args::{AuditArgs, AuditFormat, GlobalArgs};
use anyhow::Context;
use baseline_audit::{
    evaluate, Framework, Missing, Reader, Report, Scope, Severity, StackScope, Status,
};
use baseline_core::config::{load, ConfigError, ConfigIssue};
use baseline_core::reconcile::Operation;
use baseline_core::{AwsContext, AwsOptions, Config, DestroyOptions, Naming};
use serde_json::{json, Value};
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
    if args.fix && config.is_none() {
        // Before any call, like every invalid input: the fix is the stack's plan.
        return Err(ConfigError::Invalid(vec![ConfigIssue {
            path: "--fix".into(),
            message: "audit --fix computes the stack's plan and needs the stack's config".into(),
            hint: Some(
                "pass --config FILE (or BASELINE_CONFIG, or a baseline.toml here); without a \
                 stack, every finding carries the change to make by hand"
                    .into(),
            ),
        }])
        .into());
    }
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
    let mut inventory = Reader::new(&ctx, usize::from(args.concurrency))
        .read(scope, &progress)
        .await;
    if let Some(config) = &config {
        progress("the stack's policies (access paths)");
        inventory.more.access_paths = Some(access_paths(&ctx, config).await);
    }
    let report = evaluate(&inventory, framework);
    if args.fix {
        let config = config
            .as_ref()
            .expect("--fix without a config returned above");
        return fix(global, args, config, &report).await;
    }

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

/// The stack's access paths evaluated on its live policies (the read of `check-access`). No state
/// yet: no path applies. A policy that cannot be read makes the whole read UNKNOWN.
async fn access_paths(
    ctx: &AwsContext,
    config: &Config,
) -> baseline_audit::Read<Vec<baseline_core::access::PathResult>> {
    let failed = |e: anyhow::Error| Missing::Failed(format!("{e:#}"));
    let store = crate::state_backend(config, Some(ctx)).map_err(failed)?;
    let Some(state) = store.load().await.map_err(|e| failed(e.into()))? else {
        return Ok(Vec::new());
    };
    let outputs: BTreeMap<String, Value> = state
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    crate::access::check_access(ctx, config, &outputs)
        .await
        .map(|(results, _)| results)
        .map_err(failed)
}

/// `audit --fix`: the stack's plan, annotated with the FAILs it fixes; `--out` saves it,
/// `--apply` applies it (confirmation as `apply`).
async fn fix(
    global: &GlobalArgs,
    args: &AuditArgs,
    config: &Config,
    report: &Report,
) -> anyhow::Result<ExitCode> {
    let scope_of = |id: &str| {
        report
            .rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| (r.scope, r.remediation))
    };
    let mut stack_fails = Vec::new();
    let mut workload_fails = Vec::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        match scope_of(&f.rule) {
            Some((Scope::Stack, _)) => stack_fails.push(json!({
                "rule": f.rule, "resource": f.resource, "reason": f.reason,
            })),
            Some((Scope::Workload, remediation)) => workload_fails.push(json!({
                "rule": f.rule, "resource": f.resource, "reason": f.reason,
                "remediation": remediation,
            })),
            None => {}
        }
    }
    let session = crate::Session::connect(config, global, None, &[]).await?;
    let prepared = session
        .orchestrator()?
        .prepare(&session.stack, Operation::Apply, DestroyOptions::default())
        .await?;
    let plan = prepared.plan;
    if global.json {
        if !args.apply {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "plan": plan,
                    "fixes": stack_fails,
                    "not_changed": workload_fails,
                }))?
            );
        }
    } else {
        println!(
            "audit --fix: {} FAIL on the stack's resources, fixed by converging the stack:",
            stack_fails.len()
        );
        for f in &stack_fails {
            println!(
                "  {} {}  {}",
                f["rule"].as_str().unwrap_or_default(),
                f["resource"].as_str().unwrap_or_default(),
                f["reason"].as_str().unwrap_or_default()
            );
        }
        if !workload_fails.is_empty() {
            println!(
                "{} FAIL on workload resources (never changed by this tool; the change to make):",
                workload_fails.len()
            );
            for f in &workload_fails {
                println!(
                    "  {} {}  fix: {}",
                    f["rule"].as_str().unwrap_or_default(),
                    f["resource"].as_str().unwrap_or_default(),
                    f["remediation"].as_str().unwrap_or_default()
                );
            }
        }
        if !plan.has_changes() && !stack_fails.is_empty() {
            println!(
                "The stack is converged: its remaining FAILs follow from the config (the \
                 remediation names the key to change) or lie outside what it manages."
            );
        }
        println!();
        session.print_plan(&plan);
    }
    if let Some(out) = &args.out {
        crate::SavedPlan::save(config, plan, out, global.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.apply {
        if !plan.has_changes() {
            if !global.json {
                println!("Nothing to apply.");
            }
            return Ok(ExitCode::SUCCESS);
        }
        crate::confirm(args.auto_approve, "apply")?;
        // Applied only if the live stack still matches the plan shown.
        return session.apply(true, Some(plan)).await;
    }
    Ok(ExitCode::SUCCESS)
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

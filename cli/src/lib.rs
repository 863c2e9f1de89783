//! `baseline-cli`: the `bedrock-baseline` binary and the per-module binaries
//! (`baseline-encryption`, ...), a thin orchestrator over the module crates.
//!
//! Owns: argument parsing, config loading and error reporting (exit codes), the module graph
//! ([`registry`]), running it ([`orchestrator`]), the terminal display and confirmation prompts.
//! Only this crate knows about terminals; modules report through `baseline_core::Progress`.

pub mod access;
pub mod args;
pub mod audit;
pub mod display;
pub mod orchestrator;
pub mod registry;
pub mod render;
mod saved_plan;
mod session;

use anyhow::{bail, Context};
use args::{Cli, Command, GlobalArgs};
use baseline_core::config::{load, ConfigError, ConfigSources, StateBackend as StateBackendKind};
use baseline_core::reconcile::{Operation, PreconditionFailed};
use baseline_core::state::{StateBackend, StateDocument};
use baseline_core::{Config, DestroyOptions};
use orchestrator::ModuleFailures;
pub use saved_plan::{SavedPlan, SavedPlanFormat};
use serde_json::{json, Value};
use session::{confirm, connect_aws, state_backend, Session};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit code for an invalid configuration or a failed pre-check (and pending changes with
/// `plan --detailed-exitcode`).
pub const EXIT_INVALID: u8 = 2;

/// True when the error (or one of its causes) is a failed pre-check against the account.
pub fn is_precondition(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|c| c.downcast_ref::<PreconditionFailed>().is_some())
}

/// Sets up logging on stderr: `RUST_LOG` (or `BASELINE_LOG`) wins, else `-v` levels.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug,aws_smithy_runtime=info,aws_config=info,hyper=info",
        _ => "trace",
    };
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("BASELINE_LOG"))
        .unwrap_or_else(|_| default.to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Runs the CLI; `only` restricts it to one module (the per-module binaries).
pub async fn run(cli: Cli, only: Option<&'static str>) -> ExitCode {
    end_quietly_when_stdout_closes();
    let json_mode = cli.global.json;
    match dispatch(cli, only).await {
        Ok(code) => code,
        Err(err) => {
            let invalid = err.downcast_ref::<ConfigError>().is_some()
                || err.downcast_ref::<SavedPlanFormat>().is_some()
                || is_precondition(&err)
                || err
                    .downcast_ref::<ModuleFailures>()
                    .is_some_and(ModuleFailures::all_preconditions);
            if json_mode {
                let issues = issues_of(&err);
                println!("{}", json!({"error": format!("{err:#}"), "issues": issues}));
            }
            eprintln!("Error: {err:#}");
            ExitCode::from(if invalid { EXIT_INVALID } else { 1 })
        }
    }
}

/// A reader that goes away (`bedrock-baseline output | head -1`) ends the process quietly, as
/// it ends `cat` or `terraform`: Rust ignores SIGPIPE, so the next `println!` would panic with
/// a backtrace instead. An apply cut short this way is a killed apply, which the next apply
/// converges (resources are recorded in state as they appear).
fn end_quietly_when_stdout_closes() {
    #[cfg(unix)]
    // SAFETY: `signal` with SIG_DFL installs no handler code; it only resets SIGPIPE's action,
    // which nothing else in this process sets.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Every config or pre-check issue inside an error, for `--json` output.
fn issues_of(err: &anyhow::Error) -> Vec<baseline_core::config::ConfigIssue> {
    if let Some(e) = err.downcast_ref::<ConfigError>() {
        return e.issues().to_vec();
    }
    let prechecks = |e: &anyhow::Error| -> Vec<baseline_core::config::ConfigIssue> {
        e.chain()
            .filter_map(|c| c.downcast_ref::<PreconditionFailed>())
            .flat_map(|p| p.issues.clone())
            .collect()
    };
    match err.downcast_ref::<ModuleFailures>() {
        Some(failures) => failures
            .0
            .iter()
            .flat_map(|f| prechecks(&f.error))
            .collect(),
        None => prechecks(err),
    }
}

fn config_sources(global: &GlobalArgs) -> ConfigSources {
    let file = global.config.clone().or_else(|| {
        let default = PathBuf::from("baseline.toml");
        default.exists().then_some(default)
    });
    ConfigSources {
        file,
        use_env: true,
        sets: global.sets.clone(),
    }
}

async fn dispatch(cli: Cli, only: Option<&'static str>) -> anyhow::Result<ExitCode> {
    // Audit works on any account: a config is optional, so it is loaded by the command itself.
    if let Command::Audit(args) = &cli.command {
        return audit::run(&cli.global, args).await;
    }
    let global = cli.global;
    let saved = match &cli.command {
        Command::Apply(args) => args
            .plan_file
            .as_deref()
            .map(saved_plan::read)
            .transpose()?,
        _ => None,
    };
    // Validation first, before any network call: a bad config never reaches AWS.
    let config = match &saved {
        Some(saved) => saved.config.clone(),
        None => load(&config_sources(&global))?,
    };
    match cli.command {
        Command::Validate => {
            if global.json {
                println!(
                    "{}",
                    json!({"valid": true, "stack": config.prefix(), "issues": []})
                );
            } else {
                println!("The configuration is valid (stack {}).", config.prefix());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Output(args) => output(&config, &global, args.name.as_deref()).await,
        Command::CheckAccess => check_access(&config, &global).await,
        Command::Refresh => {
            Session::connect(&config, &global, only, &[])
                .await?
                .refresh()
                .await
        }
        Command::ForceUnlock => {
            let ctx = match config.state.backend {
                StateBackendKind::Local => None,
                StateBackendKind::S3 => Some(connect_aws(&config, &global).await?),
            };
            let store = state_backend(&config, ctx.as_ref())?;
            match store.force_unlock().await? {
                Some(holder) => {
                    println!("Removed the lock of {} held by {holder}.", store.location())
                }
                None => println!(
                    "{} is not locked (a local lock ends with its process).",
                    store.location()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(_) => unreachable!("audit is dispatched before the config is loaded"),
        Command::Plan(args) => {
            let session = Session::connect(&config, &global, only, &args.targets).await?;
            let operation = if args.destroy {
                Operation::Destroy
            } else {
                Operation::Apply
            };
            let options = DestroyOptions {
                delete_audit_data: args.delete_audit_data,
            };
            let prepared = session
                .orchestrator()?
                .prepare(&session.stack, operation, options)
                .await?;
            session.print_plan(&prepared.plan);
            if let Some(out) = &args.out {
                if operation == Operation::Destroy {
                    bail!("--out saves apply plans only");
                }
                SavedPlan::save(&config, prepared.plan.clone(), out, global.json)?;
            }
            Ok(if args.detailed_exitcode && prepared.plan.has_changes() {
                ExitCode::from(EXIT_INVALID)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Apply(args) => {
            let session = Session::connect(&config, &global, only, &args.targets).await?;
            session
                .apply(args.auto_approve, saved.map(|s| s.plan))
                .await
        }
        Command::Destroy(args) => {
            let session = Session::connect(&config, &global, only, &args.targets).await?;
            session
                .destroy(
                    args.auto_approve,
                    DestroyOptions {
                        delete_audit_data: args.delete_audit_data,
                    },
                )
                .await
        }
    }
}

/// The stack's state, which `check-access` and `output` need: none means nothing is deployed.
async fn deployed_state(
    config: &Config,
    store: &dyn StateBackend,
) -> anyhow::Result<StateDocument> {
    store.load().await?.with_context(|| {
        format!(
            "no state for stack {} at {}: run apply first",
            config.prefix(),
            store.location()
        )
    })
}

/// `check-access`: the access-path matrix of the deployed stack (read calls only).
async fn check_access(config: &Config, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let ctx = connect_aws(config, global).await?;
    let store = state_backend(config, Some(&ctx))?;
    let state = deployed_state(config, store.as_ref()).await?;
    let outputs: std::collections::BTreeMap<String, Value> = state
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (results, policies) = access::check_access(&ctx, config, &outputs).await?;
    let failed = results.iter().filter(|r| !r.ok).count();
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "evaluator": access::EVALUATOR,
                "simulate_principal_policy": false,
                "paths": results,
                "failed": failed,
                "policies": policies,
            }))?
        );
    } else {
        print!("{}", access::render_text(&results));
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `output [NAME]`: from the state file, no AWS call.
async fn output(
    config: &Config,
    global: &GlobalArgs,
    name: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let ctx = match config.state.backend {
        StateBackendKind::Local => None,
        StateBackendKind::S3 => Some(connect_aws(config, global).await?),
    };
    let store = state_backend(config, ctx.as_ref())?;
    let state = deployed_state(config, store.as_ref()).await?;
    let mut flat: Vec<(String, String, Value)> = Vec::new();
    for (module, outputs) in &state.outputs {
        if let Some(map) = outputs.as_object() {
            for (k, v) in map {
                flat.push((module.clone(), k.clone(), v.clone()));
            }
        }
    }
    match name {
        None if global.json => println!("{}", serde_json::to_string_pretty(&state.outputs)?),
        None => {
            for (module, k, v) in &flat {
                println!("{module}.{k} = {v}");
            }
        }
        Some(name) => {
            let found: Vec<&Value> = flat
                .iter()
                .filter(|(m, k, _)| k == name || format!("{m}.{k}") == name)
                .map(|(_, _, v)| v)
                .collect();
            match found.as_slice() {
                [] => bail!("no output named {name}"),
                [v] if global.json => println!("{v}"),
                [Value::String(s)] => println!("{s}"),
                [v] => println!("{}", serde_json::to_string_pretty(v)?),
                _ => bail!("several modules have an output named {name}: use MODULE.{name}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

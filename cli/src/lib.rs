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

use anyhow::{bail, Context};
use args::{Cli, Command, GlobalArgs};
use baseline_core::config::{load, ConfigError, ConfigSources, StateBackend as StateBackendKind};
use baseline_core::reconcile::{Operation, PreconditionFailed, Upstream};
use baseline_core::state::{
    LeftBehind, LocalBackend, LocalStateStore, LockHolder, StateBackend, StateDocument,
};
use baseline_core::state_s3::S3Backend;
use baseline_core::{AwsContext, AwsOptions, Config, DestroyOptions, Naming, StackPlan};
use orchestrator::{save_loop, ModuleFailures, Orchestrator, StateRecorder};
use render::{plan_json, plan_text, TextOptions};
use serde_json::{json, Value};
use std::io::{BufRead, IsTerminal, Write};
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

/// A plan saved by `plan --out`: the plan and the exact config it was computed from.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SavedPlan {
    /// Format of this file.
    pub format_version: u32,
    /// The config the plan was made from (applied as is, whatever the files say now).
    pub config: Config,
    /// The plan.
    pub plan: StackPlan,
}

impl SavedPlan {
    /// The format this build writes and reads. 2: each change carries its operations
    /// (`Change::operations`), which the drift check of `apply FILE` compares too.
    pub const FORMAT_VERSION: u32 = 2;
}

/// A plan file this build cannot apply: bad input, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{path} is a saved plan of format {found}, this build reads format {expected}: make the plan again with `plan --out`")]
pub struct SavedPlanFormat {
    path: String,
    found: String,
    expected: u32,
}

fn read_saved_plan(path: &std::path::Path) -> anyhow::Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading plan {}", path.display()))?;
    let raw: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a saved plan", path.display()))?;
    // The version first: a plan of another format must not be half-read into this one's types.
    let found = &raw["format_version"];
    if found.as_u64() != Some(u64::from(SavedPlan::FORMAT_VERSION)) {
        return Err(SavedPlanFormat {
            path: path.display().to_string(),
            found: if found.is_null() {
                "none".into()
            } else {
                found.to_string()
            },
            expected: SavedPlan::FORMAT_VERSION,
        }
        .into());
    }
    let saved: SavedPlan = serde_json::from_value(raw)
        .with_context(|| format!("{} is not a saved plan", path.display()))?;
    let issues = baseline_core::config::validate(&saved.config);
    if !issues.is_empty() {
        return Err(ConfigError::Invalid(issues).into());
    }
    Ok(saved)
}

async fn dispatch(cli: Cli, only: Option<&'static str>) -> anyhow::Result<ExitCode> {
    // Audit works on any account: a config is optional, so it is loaded by the command itself.
    if let Command::Audit(args) = &cli.command {
        return audit::run(&cli.global, args).await;
    }
    let global = cli.global;
    let saved = match &cli.command {
        Command::Apply(args) => args.plan_file.as_deref().map(read_saved_plan).transpose()?,
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
                let saved = SavedPlan {
                    format_version: SavedPlan::FORMAT_VERSION,
                    config: config.clone(),
                    plan: prepared.plan.clone(),
                };
                std::fs::write(out, serde_json::to_vec_pretty(&saved)?)
                    .with_context(|| format!("writing {}", out.display()))?;
                if !global.json {
                    println!(
                        "\nSaved the plan to {0}: `bedrock-baseline apply {0}` applies exactly it.",
                        out.display()
                    );
                }
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

/// The configured state backend. The S3 backend needs an AWS context; the local one does not.
fn state_backend(
    config: &Config,
    ctx: Option<&AwsContext>,
) -> anyhow::Result<Box<dyn StateBackend>> {
    match config.state.backend {
        StateBackendKind::Local => Ok(Box::new(LocalBackend::new(LocalStateStore::new(
            &config.state.path,
            config.prefix(),
        )))),
        StateBackendKind::S3 => {
            let ctx = ctx.context("the S3 state backend needs AWS access")?;
            let bucket = config
                .state
                .bucket
                .as_deref()
                .context("state.bucket is required for the S3 backend")?;
            let key = config
                .state
                .key
                .as_deref()
                .context("state.key is required for the S3 backend")?;
            Ok(Box::new(S3Backend::new(
                ctx,
                bucket,
                key,
                config.state.region.as_deref(),
            )))
        }
    }
}

/// `--input module.field=value` pairs on top of the state's outputs.
fn fixed_upstream(state: Option<&StateDocument>, inputs: &[String]) -> anyhow::Result<Upstream> {
    let mut up = Upstream(state.map(|s| s.outputs.clone()).unwrap_or_default());
    for raw in inputs {
        let (key, value) = raw
            .split_once('=')
            .with_context(|| format!("--input {raw}: expected MODULE.FIELD=VALUE"))?;
        let (module, field) = key
            .split_once('.')
            .with_context(|| format!("--input {raw}: expected MODULE.FIELD=VALUE"))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        let entry = up.0.entry(module.to_owned()).or_insert_with(|| json!({}));
        if let Some(map) = entry.as_object_mut() {
            map.insert(field.to_owned(), value);
        }
    }
    Ok(up)
}

async fn connect_aws(config: &Config, global: &GlobalArgs) -> anyhow::Result<AwsContext> {
    let options = AwsOptions {
        region: global.region.clone().or_else(|| config.region.clone()),
        endpoint_url: global.endpoint_url.clone(),
        profile: global.profile.clone(),
        max_attempts: None,
    };
    let ctx =
        AwsContext::connect(&options, Naming::new(config.prefix(), config.tags.clone())).await?;
    // Validation checks a `region` written in the config; one that comes from `--region`, the
    // environment or the profile is known only now. The runtime endpoint policy admits only
    // `aws:RequestedRegion` in allowed_model_regions, so a stack elsewhere could invoke nothing.
    if !config.allowed_model_regions.is_empty()
        && !config
            .allowed_model_regions
            .iter()
            .any(|r| r == ctx.region())
    {
        let issue = baseline_core::config::ConfigIssue::new(
            "region",
            format!(
                "the stack's region `{}` (from --region, the environment or the profile) is not in allowed_model_regions",
                ctx.region()
            ),
        )
        .with_hint(format!(
            "allowed_model_regions is [{}]; add `{}` there or deploy to one of those regions",
            config.allowed_model_regions.join(", "),
            ctx.region()
        ));
        return Err(ConfigError::Invalid(vec![issue]).into());
    }
    Ok(ctx)
}

struct Session<'a> {
    config: &'a Config,
    global: &'a GlobalArgs,
    ctx: AwsContext,
    stack: String,
    store: Box<dyn StateBackend>,
    selected: Vec<&'static str>,
    state: Option<StateDocument>,
}

impl<'a> Session<'a> {
    async fn connect(
        config: &'a Config,
        global: &'a GlobalArgs,
        only: Option<&'static str>,
        targets: &[String],
    ) -> anyhow::Result<Self> {
        for t in targets {
            if !registry::MODULE_NAMES.contains(&t.as_str()) {
                bail!(
                    "--target {t}: no such module (modules: {})",
                    registry::MODULE_NAMES.join(", ")
                );
            }
        }
        let ctx = connect_aws(config, global).await?;
        let store = state_backend(config, Some(&ctx))?;
        let state = store.load().await?;
        let selected: Vec<&'static str> = registry::MODULE_NAMES
            .iter()
            .copied()
            .filter(|m| only.is_none_or(|o| o == *m))
            .filter(|m| targets.is_empty() || targets.iter().any(|t| t == m))
            .collect();
        Ok(Self {
            config,
            global,
            ctx,
            stack: config.prefix(),
            store,
            selected,
            state,
        })
    }

    fn orchestrator(&self) -> anyhow::Result<Orchestrator<'a>> {
        let entries = registry::registry(&self.ctx)
            .into_iter()
            .filter(|e| self.selected.contains(&e.name))
            .collect();
        let fixed = fixed_upstream(self.state.as_ref(), &self.global.inputs)?;
        Ok(Orchestrator::new(self.config, entries, fixed))
    }

    fn color(&self) -> bool {
        !self.global.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && std::io::stdout().is_terminal()
    }

    fn print_plan(&self, plan: &StackPlan) {
        if self.global.json {
            println!("{}", plan_json(plan));
        } else {
            print!(
                "{}",
                plan_text(
                    plan,
                    TextOptions {
                        color: self.color()
                    }
                )
            );
        }
    }

    async fn lock(&self, operation: &str) -> anyhow::Result<()> {
        Ok(self.store.lock(&LockHolder::current(operation)).await?)
    }

    /// Runs `work` under the state lock and releases the lock whatever happens.
    async fn locked<T>(
        &self,
        operation: &str,
        work: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        self.lock(operation).await?;
        let result = work.await;
        let unlocked = self.store.unlock().await;
        let value = result?;
        unlocked?;
        Ok(value)
    }

    async fn apply(
        &self,
        auto_approve: bool,
        expected: Option<StackPlan>,
    ) -> anyhow::Result<ExitCode> {
        self.locked("apply", self.apply_locked(auto_approve, expected))
            .await
    }

    async fn destroy(
        &self,
        auto_approve: bool,
        options: DestroyOptions,
    ) -> anyhow::Result<ExitCode> {
        self.locked("destroy", self.destroy_locked(auto_approve, options))
            .await
    }

    /// Rebuilds the state from what exists: every module observed, its outputs recorded.
    async fn refresh(&self) -> anyhow::Result<ExitCode> {
        self.locked("refresh", async {
            let mut state = self
                .store
                .load()
                .await?
                .unwrap_or_else(|| StateDocument::new(&self.stack));
            let prepared = self
                .orchestrator()?
                .prepare(&self.stack, Operation::Apply, DestroyOptions::default())
                .await?;
            let mut found = 0;
            for (module, outputs) in prepared.outputs() {
                match outputs {
                    Some(v) => {
                        state.outputs.insert(module.to_owned(), v.clone());
                        found += 1;
                    }
                    None => {
                        state.outputs.remove(module);
                    }
                }
            }
            self.store.save(&mut state).await?;
            if self.global.json {
                println!("{}", serde_json::to_string_pretty(&state.outputs)?);
            } else {
                println!(
                    "Refreshed {} from the live stack: {found} module(s) found.",
                    self.store.location()
                );
                if prepared.plan.has_changes() {
                    println!("The stack differs from the configuration; `plan` shows how.");
                }
            }
            Ok(ExitCode::SUCCESS)
        })
        .await
    }

    async fn apply_locked(
        &self,
        auto_approve: bool,
        expected: Option<StackPlan>,
    ) -> anyhow::Result<ExitCode> {
        let state = self
            .store
            .load()
            .await?
            .unwrap_or_else(|| StateDocument::new(&self.stack));
        let orchestrator = self.orchestrator()?;
        let prepared = orchestrator
            .prepare(&self.stack, Operation::Apply, DestroyOptions::default())
            .await?;
        let summary = prepared.plan.summary;
        if let Some(expected) = &expected {
            if expected.stack != prepared.plan.stack || expected.modules != prepared.plan.modules {
                bail!(
                    "the stack changed since this plan was made (now: {} to add, {} to change, {} to destroy): run plan again",
                    summary.add,
                    summary.change,
                    summary.destroy
                );
            }
        } else if prepared.plan.has_changes() {
            if !self.global.json {
                self.print_plan(&prepared.plan);
            }
            confirm(auto_approve, "apply")?;
        }
        let outputs = self
            .recorded(state, &[], async |recorder| {
                orchestrator.apply(prepared, recorder).await
            })
            .await?;
        let calls = self.ctx.call_log().calls();
        let writes = calls.iter().filter(|c| !c.is_read()).count();
        if self.global.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "summary": summary, "outputs": outputs, "api_calls": {"total": calls.len(), "writes": writes}
                }))?
            );
        } else if summary.is_empty() {
            println!("No changes. The stack matches the configuration.");
        } else {
            println!(
                "\nApply complete! Resources: {} added, {} changed, {} destroyed.",
                summary.add, summary.change, summary.destroy
            );
        }
        tracing::info!(calls = calls.len(), writes, "AWS API calls");
        Ok(ExitCode::SUCCESS)
    }

    /// Runs `work` (an apply or a destroy) with the progress display and a recorder that saves
    /// state as resources appear and go. The state is saved even when `work` fails, so a rerun
    /// finds what was made, and the failure names what it left in place ([`LeftBehind`]:
    /// what it made, and which of `doomed` it did not delete); if the state could not be
    /// saved, that is the error reported.
    async fn recorded<T>(
        &self,
        state: StateDocument,
        doomed: &[String],
        work: impl AsyncFnOnce(&StateRecorder<'_>) -> Result<T, ModuleFailures>,
    ) -> anyhow::Result<T> {
        let display = display::Display::new(self.global.json);
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let work = async {
            let recorder = StateRecorder::new(tx, &display);
            work(&recorder).await
        };
        let before = state.clone();
        let (result, saved) = tokio::join!(work, save_loop(self.store.as_ref(), state, rx));
        drop(display);
        let after = saved?;
        Ok(result.map_err(|mut failures| {
            let left = LeftBehind::between(&before, &after, doomed);
            failures.1 = (!left.is_empty()).then_some(left);
            failures
        })?)
    }

    async fn destroy_locked(
        &self,
        auto_approve: bool,
        options: DestroyOptions,
    ) -> anyhow::Result<ExitCode> {
        let state = self
            .store
            .load()
            .await?
            .unwrap_or_else(|| StateDocument::new(&self.stack));
        let orchestrator = self.orchestrator()?;
        let prepared = orchestrator
            .prepare(&self.stack, Operation::Destroy, options)
            .await?;
        let summary = prepared.plan.summary;
        if !self.global.json {
            self.print_plan(&prepared.plan);
        }
        if prepared.plan.has_changes() {
            confirm(auto_approve, "destroy")?;
        }
        let doomed: Vec<String> = prepared
            .plan
            .modules
            .iter()
            .flat_map(|m| &m.changes)
            .filter(|c| c.action == baseline_core::Action::Delete)
            .map(|c| c.address.clone())
            .collect();
        self.recorded(state, &doomed, async |recorder| {
            orchestrator.destroy(prepared, recorder).await
        })
        .await?;
        if self.global.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"summary": summary}))?
            );
        } else if summary.destroy > 0 {
            println!(
                "\nDestroy complete! Resources: {} destroyed.",
                summary.destroy
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Asks on a terminal; refuses without one unless auto-approved.
fn confirm(auto_approve: bool, what: &str) -> anyhow::Result<()> {
    if auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("{what} needs confirmation: run it on a terminal or pass --auto-approve");
    }
    eprint!("\nDo you want to {what}? Only 'yes' will be accepted: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("{what} cancelled");
    }
    Ok(())
}

/// `check-access`: the access-path matrix of the deployed stack (read calls only).
async fn check_access(config: &Config, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let ctx = connect_aws(config, global).await?;
    let store = state_backend(config, Some(&ctx))?;
    let state = store.load().await?.with_context(|| {
        format!(
            "no state for stack {} at {}: run apply first",
            config.prefix(),
            store.location()
        )
    })?;
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
    let state = store.load().await?.with_context(|| {
        format!(
            "no state for stack {} at {}: run apply first",
            config.prefix(),
            store.location()
        )
    })?;
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

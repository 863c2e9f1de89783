//! A command's session: the AWS connection, the state backend and its lock, the modules
//! selected, and the plan/apply/destroy/refresh runs over them with display and confirmation.

use crate::args::GlobalArgs;
use crate::orchestrator::{save_loop, ModuleFailures, Orchestrator, PreparedStack, StateRecorder};
use crate::render::{plan_json, plan_text, TextOptions};
use crate::{display, registry};
use anyhow::{bail, Context};
use baseline_core::config::{ConfigError, StateBackend as StateBackendKind};
use baseline_core::reconcile::{Operation, Upstream};
use baseline_core::state::{
    LeftBehind, LocalBackend, LocalStateStore, LockHolder, StateBackend, StateDocument,
};
use baseline_core::state_s3::S3Backend;
use baseline_core::{AwsContext, AwsOptions, Config, DestroyOptions, Naming, StackPlan};
use serde_json::{json, Value};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

/// The configured state backend. The S3 backend needs an AWS context; the local one does not.
pub(crate) fn state_backend(
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

pub(crate) async fn connect_aws(
    config: &Config,
    global: &GlobalArgs,
) -> anyhow::Result<AwsContext> {
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

pub(crate) struct Session<'a> {
    config: &'a Config,
    global: &'a GlobalArgs,
    ctx: AwsContext,
    pub(crate) stack: String,
    store: Box<dyn StateBackend>,
    selected: Vec<&'static str>,
    state: Option<StateDocument>,
}

impl<'a> Session<'a> {
    pub(crate) async fn connect(
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

    pub(crate) fn orchestrator(&self) -> anyhow::Result<Orchestrator<'a>> {
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

    pub(crate) fn print_plan(&self, plan: &StackPlan) {
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

    pub(crate) async fn apply(
        &self,
        auto_approve: bool,
        expected: Option<StackPlan>,
    ) -> anyhow::Result<ExitCode> {
        self.locked("apply", self.apply_locked(auto_approve, expected))
            .await
    }

    pub(crate) async fn destroy(
        &self,
        auto_approve: bool,
        options: DestroyOptions,
    ) -> anyhow::Result<ExitCode> {
        self.locked("destroy", self.destroy_locked(auto_approve, options))
            .await
    }

    /// Rebuilds the state from what exists: every module observed, its outputs recorded.
    pub(crate) async fn refresh(&self) -> anyhow::Result<ExitCode> {
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
        let (state, orchestrator, prepared) = self
            .prepared(Operation::Apply, DestroyOptions::default())
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

    /// What apply and destroy start from under the lock: the state as stored now (a new
    /// document for a stack never applied), the orchestrator, and its plan for `operation`.
    async fn prepared(
        &self,
        operation: Operation,
        options: DestroyOptions,
    ) -> anyhow::Result<(StateDocument, Orchestrator<'a>, PreparedStack)> {
        let state = self
            .store
            .load()
            .await?
            .unwrap_or_else(|| StateDocument::new(&self.stack));
        let orchestrator = self.orchestrator()?;
        let prepared = orchestrator
            .prepare(&self.stack, operation, options)
            .await?;
        Ok((state, orchestrator, prepared))
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
        let (state, orchestrator, prepared) = self.prepared(Operation::Destroy, options).await?;
        let summary = prepared.plan.summary;
        let kept: Vec<String> = crate::render::left_in_place(&prepared.plan)
            .iter()
            .map(|c| c.address.clone())
            .collect();
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
        // The kept list sits above the destroy's progress; the last line says it is there.
        let kept_line = match kept.len() {
            0 => String::new(),
            n => format!(" {n} left in place, listed under \"Left in place\" above."),
        };
        if self.global.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"summary": summary, "left_in_place": kept}))?
            );
        } else if summary.destroy > 0 {
            println!(
                "\nDestroy complete! Resources: {} destroyed.{kept_line}",
                summary.destroy
            );
        } else if !kept.is_empty() {
            println!("\nNothing to destroy.{kept_line}");
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Asks on a terminal; refuses without one unless auto-approved.
pub(crate) fn confirm(auto_approve: bool, what: &str) -> anyhow::Result<()> {
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

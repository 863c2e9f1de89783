//! The thin orchestrator: runs the modules' reconcile steps level by level (modules on one level
//! concurrently), passes each module's outputs downstream as typed inputs, and records every
//! resource in state as soon as it exists.

use crate::registry::{levels, ModuleEntry};
use baseline_core::reconcile::{Operation, Prepared, Upstream};
use baseline_core::state::{ResourceRecord, StateBackend, StateDocument};
use baseline_core::{Config, DestroyOptions, ModulePlan, Progress, ProgressEvent, StackPlan};
use futures::future::join_all;
use serde_json::Value;
use std::collections::BTreeMap;

/// A module that failed, and why.
#[derive(Debug)]
pub struct ModuleFailure {
    /// Module name.
    pub module: &'static str,
    /// The error.
    pub error: anyhow::Error,
}

/// One or more modules failed.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(|f| format!("module {}: {:#}", f.module, f.error)).collect::<Vec<_>>().join("\n"))]
pub struct ModuleFailures(pub Vec<ModuleFailure>);

impl ModuleFailures {
    /// True when every failure is a failed pre-check (exit code 2).
    pub fn all_preconditions(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|f| crate::is_precondition(&f.error))
    }
}

/// The plan of every selected module, with what is needed to execute it.
pub struct PreparedStack {
    /// The plan as shown.
    pub plan: StackPlan,
    prepared: BTreeMap<&'static str, Prepared>,
}

impl PreparedStack {
    /// Each module's outputs as observed (`None`: not created yet).
    pub fn outputs(&self) -> impl Iterator<Item = (&'static str, Option<&Value>)> + '_ {
        self.prepared
            .iter()
            .map(|(name, p)| (*name, p.outputs.as_ref()))
    }
}

/// A change to the state, sent by the recorder to the saver.
#[derive(Debug)]
pub enum StateUpdate {
    /// A resource exists with this id (`None`: it is gone).
    Resource(String, Option<String>),
    /// A module's outputs (`None`: removed).
    Outputs(String, Option<Value>),
}

/// Records resources in state the moment they exist or disappear, and forwards every event to
/// the display. Saving happens in [`save_loop`], so no module task ever waits on state I/O.
pub struct StateRecorder<'a> {
    tx: tokio::sync::mpsc::UnboundedSender<StateUpdate>,
    display: &'a dyn Progress,
}

impl<'a> StateRecorder<'a> {
    /// A recorder sending to a [`save_loop`].
    pub fn new(
        tx: tokio::sync::mpsc::UnboundedSender<StateUpdate>,
        display: &'a dyn Progress,
    ) -> Self {
        Self { tx, display }
    }

    /// Stores a module's outputs (or removes them with `None`).
    pub fn set_outputs(&self, module: &str, outputs: Option<Value>) {
        let _ = self
            .tx
            .send(StateUpdate::Outputs(module.to_owned(), outputs));
    }
}

impl Progress for StateRecorder<'_> {
    fn event(&self, event: ProgressEvent) {
        match &event {
            ProgressEvent::Exists { address, id } => {
                let _ = self
                    .tx
                    .send(StateUpdate::Resource(address.clone(), Some(id.clone())));
            }
            ProgressEvent::Gone { address } => {
                let _ = self.tx.send(StateUpdate::Resource(address.clone(), None));
            }
            _ => {}
        }
        self.display.event(event);
    }
}

/// Applies updates to `doc` and saves after each batch, until every sender is gone. A failed
/// save is retried with the next batch; the last error, if any, is returned.
pub async fn save_loop(
    store: &dyn StateBackend,
    mut doc: StateDocument,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<StateUpdate>,
) -> Result<StateDocument, baseline_core::state::StateError> {
    let mut last_error = None;
    while let Some(first) = rx.recv().await {
        let mut changed = apply_update(&mut doc, first);
        while let Ok(more) = rx.try_recv() {
            changed |= apply_update(&mut doc, more);
        }
        if changed {
            match store.save(&mut doc).await {
                Ok(()) => last_error = None,
                Err(e) => {
                    tracing::warn!(error = %e, "could not save state; resources will be found again by name or tag");
                    last_error = Some(e);
                }
            }
        }
    }
    match last_error {
        Some(e) => Err(e),
        None => Ok(doc),
    }
}

fn apply_update(doc: &mut StateDocument, update: StateUpdate) -> bool {
    match update {
        StateUpdate::Resource(address, Some(id)) => {
            let record = ResourceRecord { id };
            doc.resources.insert(address, record.clone()) != Some(record)
        }
        StateUpdate::Resource(address, None) => doc.resources.remove(&address).is_some(),
        StateUpdate::Outputs(module, Some(v)) => doc.outputs.insert(module, v.clone()) != Some(v),
        StateUpdate::Outputs(module, None) => doc.outputs.remove(&module).is_some(),
    }
}

/// Runs modules for one stack.
pub struct Orchestrator<'a> {
    config: &'a Config,
    entries: Vec<ModuleEntry>,
    /// Outputs of modules that are not run this time (from state and `--input`).
    fixed: Upstream,
}

impl<'a> Orchestrator<'a> {
    /// `entries` are the modules to run; `fixed` the outputs of the others.
    pub fn new(config: &'a Config, entries: Vec<ModuleEntry>, mut fixed: Upstream) -> Self {
        // Modules that run now report their own outputs; state's copy of them may be stale.
        for e in &entries {
            fixed.0.remove(e.name);
        }
        Self {
            config,
            entries,
            fixed,
        }
    }

    fn upstream_with(&self, computed: &BTreeMap<&'static str, Value>) -> Upstream {
        let mut up = self.fixed.clone();
        for (k, v) in computed {
            up.0.insert((*k).to_owned(), v.clone());
        }
        up
    }

    /// Plans every selected module (read calls only). Outputs of modules that exist already flow
    /// downstream, so a deployed stack plans exactly.
    pub async fn prepare(
        &self,
        stack: &str,
        operation: Operation,
        options: DestroyOptions,
    ) -> Result<PreparedStack, ModuleFailures> {
        let destroy = (operation == Operation::Destroy).then_some(options);
        let mut computed: BTreeMap<&'static str, Value> = BTreeMap::new();
        let mut prepared = BTreeMap::new();
        let mut failures = Vec::new();
        let order = levels(&self.entries);
        for level in &order {
            let upstream = self.upstream_with(&computed);
            let results = join_all(level.iter().map(|&i| {
                let e = &self.entries[i];
                let upstream = &upstream;
                async move {
                    (
                        e.name,
                        e.module.prepare(self.config, upstream, destroy).await,
                    )
                }
            }))
            .await;
            for (name, result) in results {
                match result {
                    Ok(p) => {
                        if let Some(out) = &p.outputs {
                            computed.insert(name, out.clone());
                        }
                        prepared.insert(name, p);
                    }
                    Err(e) => failures.push(ModuleFailure {
                        module: name,
                        error: anyhow::Error::from_boxed(e),
                    }),
                }
            }
            if !failures.is_empty() {
                return Err(ModuleFailures(failures));
            }
        }
        let mut modules: Vec<ModulePlan> = order
            .iter()
            .flatten()
            .map(|&i| prepared[self.entries[i].name].plan.clone())
            .collect();
        if operation == Operation::Destroy {
            modules.reverse();
        }
        Ok(PreparedStack {
            plan: StackPlan::new(stack, operation, modules),
            prepared,
        })
    }

    /// Executes a prepared apply level by level. A module whose upstream outputs turned out
    /// different from those it was planned with (upstream created in this run) is planned again
    /// first; a module without changes makes no call at all.
    pub async fn apply(
        &self,
        mut stack: PreparedStack,
        recorder: &StateRecorder<'_>,
    ) -> Result<BTreeMap<&'static str, Value>, ModuleFailures> {
        let mut outputs: BTreeMap<&'static str, Value> = BTreeMap::new();
        for level in levels(&self.entries) {
            let upstream = self.upstream_with(&outputs);
            let mut jobs = Vec::new();
            for &i in &level {
                let e = &self.entries[i];
                let Some(p) = stack.prepared.remove(e.name) else {
                    continue;
                };
                let upstream = upstream.clone();
                jobs.push(
                    async move {
                        let p = if p.upstream == upstream {
                            p
                        } else {
                            e.module
                                .prepare(self.config, &upstream, None)
                                .await
                                .map_err(anyhow::Error::from_boxed)?
                        };
                        let out = match (&p.outputs, p.plan.has_changes()) {
                            (Some(out), false) => out.clone(),
                            _ => e
                                .module
                                .execute(&p, recorder)
                                .await
                                .map_err(anyhow::Error::from_boxed)?,
                        };
                        Ok::<_, anyhow::Error>(out)
                    }
                    .map_named(e.name),
                );
            }
            let mut failures = Vec::new();
            for (name, result) in join_all(jobs).await {
                match result {
                    Ok(out) => {
                        recorder.set_outputs(name, Some(out.clone()));
                        outputs.insert(name, out);
                    }
                    Err(error) => failures.push(ModuleFailure {
                        module: name,
                        error,
                    }),
                }
            }
            if !failures.is_empty() {
                return Err(ModuleFailures(failures));
            }
        }
        Ok(outputs)
    }

    /// Executes a prepared destroy in reverse level order.
    pub async fn destroy(
        &self,
        mut stack: PreparedStack,
        recorder: &StateRecorder<'_>,
    ) -> Result<(), ModuleFailures> {
        let mut order = levels(&self.entries);
        order.reverse();
        for level in order {
            let mut jobs = Vec::new();
            for &i in &level {
                let e = &self.entries[i];
                let Some(p) = stack.prepared.remove(e.name) else {
                    continue;
                };
                jobs.push(
                    async move {
                        if p.plan.has_changes() {
                            e.module
                                .execute(&p, recorder)
                                .await
                                .map_err(anyhow::Error::from_boxed)?;
                        }
                        Ok::<_, anyhow::Error>(())
                    }
                    .map_named(e.name),
                );
            }
            let mut failures = Vec::new();
            for (name, result) in join_all(jobs).await {
                match result {
                    Ok(()) => {
                        recorder.set_outputs(name, None);
                    }
                    Err(error) => failures.push(ModuleFailure {
                        module: name,
                        error,
                    }),
                }
            }
            if !failures.is_empty() {
                return Err(ModuleFailures(failures));
            }
        }
        Ok(())
    }
}

/// Pairs a future's output with a module name.
trait MapNamed: std::future::Future + Sized {
    fn map_named(
        self,
        name: &'static str,
    ) -> impl std::future::Future<Output = (&'static str, Self::Output)> {
        async move { (name, self.await) }
    }
}

impl<F: std::future::Future> MapNamed for F {}

//! The thin orchestrator: runs the modules' reconcile steps along the dependency graph (a module
//! as soon as its upstream is done, independent ones concurrently), passes each module's outputs downstream as typed inputs, and records every
//! resource in state as soon as it exists.

use crate::registry::{levels, ModuleEntry};
use baseline_core::reconcile::{DynError, Operation, Prepared, Upstream};
use baseline_core::state::{LeftBehind, ResourceRecord, StateBackend, StateDocument};
use baseline_core::{Config, DestroyOptions, ModulePlan, Progress, ProgressEvent, StackPlan};
use futures::future::{abortable, AbortHandle};
use futures::stream::{FuturesUnordered, StreamExt};
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

/// One or more modules failed, and, for an apply or destroy, what the run left in place.
#[derive(Debug, thiserror::Error)]
#[error("{}{}", .0.iter().map(|f| format!("module {}: {:#}", f.module, f.error)).collect::<Vec<_>>().join("\n"), .1.as_ref().map(|left| format!("\n{left}")).unwrap_or_default())]
pub struct ModuleFailures(pub Vec<ModuleFailure>, pub Option<LeftBehind>);

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

/// The recorder as one module's apply sees it: events go to the recorder, outputs announced
/// early go to [`Orchestrator::apply`], which starts the module's dependants.
struct ModuleProgress<'a> {
    recorder: &'a StateRecorder<'a>,
    index: usize,
    announced: tokio::sync::mpsc::UnboundedSender<(usize, Value)>,
}

impl Progress for ModuleProgress<'_> {
    fn event(&self, event: ProgressEvent) {
        self.recorder.event(event);
    }

    fn outputs_ready(&self, outputs: &Value) {
        let _ = self.announced.send((self.index, outputs.clone()));
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
    /// State's outputs of the modules that do run (none for a module not deployed yet): a
    /// guess of what they will plan, so their dependents can observe at once instead of waiting
    /// (kept only if the guess was right).
    guesses: BTreeMap<&'static str, Value>,
}

/// Where one module's prepare stands while [`Orchestrator::prepare`] runs.
enum Slot {
    /// Not started: waiting for its upstream.
    Waiting,
    /// Observing with this upstream (a guess while its upstream is still observing).
    Running(Upstream, AbortHandle),
    /// Observed with this upstream; kept once the upstream is known to be the real one.
    Finished(Upstream, Result<Prepared, DynError>),
    /// Decided (its plan is in `prepared`, or it failed).
    Settled,
}

impl<'a> Orchestrator<'a> {
    /// `entries` are the modules to run; `fixed` the outputs of the others.
    pub fn new(config: &'a Config, entries: Vec<ModuleEntry>, mut fixed: Upstream) -> Self {
        // Modules that run now report their own outputs; state's copy of them may be stale, so
        // it serves only as a guess that is checked before it is used.
        let mut guesses = BTreeMap::new();
        for e in &entries {
            if let Some(v) = fixed.0.remove(e.name).filter(|v| !v.is_null()) {
                guesses.insert(e.name, v);
            }
        }
        Self {
            config,
            entries,
            fixed,
            guesses,
        }
    }

    /// Indices of the entries that entry `i` reads outputs from (dependencies on modules that
    /// do not run come from `fixed`).
    fn dependencies(&self, i: usize) -> Vec<usize> {
        self.entries[i]
            .depends_on
            .iter()
            .filter_map(|d| self.entries.iter().position(|e| e.name == *d))
            .collect()
    }

    /// The upstream entry `i` is planned with: the fixed outputs plus its dependencies' outputs
    /// (only those: a module reads no other, and an unrelated module's outputs must not make
    /// its plan look stale).
    fn upstream_for(&self, i: usize, outputs: &BTreeMap<&'static str, Value>) -> Upstream {
        let mut up = self.fixed.clone();
        for d in self.entries[i].depends_on {
            if let Some(v) = outputs.get(d) {
                up.0.insert((*d).to_owned(), v.clone());
            }
        }
        up
    }

    /// Plans every selected module (read calls only). Every module observes at once, with its
    /// upstream's outputs from state as a guess (no outputs for an upstream state does not
    /// know); the plan is kept only if the upstream plans exactly those outputs, else the module
    /// observes again with the real ones, so the plan is the same as if it had waited. Outputs
    /// of modules that exist already flow downstream, so a deployed stack plans exactly.
    pub async fn prepare(
        &self,
        stack: &str,
        operation: Operation,
        options: DestroyOptions,
    ) -> Result<PreparedStack, ModuleFailures> {
        let destroy = (operation == Operation::Destroy).then_some(options);
        let n = self.entries.len();
        let deps: Vec<Vec<usize>> = (0..n).map(|i| self.dependencies(i)).collect();
        let mut computed: BTreeMap<&'static str, Value> = BTreeMap::new();
        let mut prepared = BTreeMap::new();
        let mut failures = Vec::new();
        let mut slots: Vec<Slot> = (0..n).map(|_| Slot::Waiting).collect();
        let mut settled = vec![false; n];
        let mut jobs = FuturesUnordered::new();
        let start = |i: usize, upstream: Upstream, slots: &mut Vec<Slot>| {
            let (job, handle) = abortable({
                let e = &self.entries[i];
                let upstream = upstream.clone();
                async move { e.module.prepare(self.config, &upstream, destroy).await }
            });
            slots[i] = Slot::Running(upstream.clone(), handle);
            async move { (i, upstream, job.await) }
        };
        // Every module observes at once with a guess of its upstream: state's outputs, or
        // nothing for a module state does not know (what an apply from empty plans).
        for (i, d) in deps.iter().enumerate() {
            if !d.is_empty() {
                let guess = self.upstream_for(i, &self.guesses);
                jobs.push(start(i, guess, &mut slots));
            }
        }
        loop {
            // Decide what can be decided: a module whose upstream is settled keeps a plan made
            // with exactly that upstream, or observes (again) with it. After a failure nothing
            // new starts, but what already observes with its real upstream is awaited, so every
            // failure is reported (and the exit code does not depend on who answered first).
            let mut progressed = true;
            while progressed {
                progressed = false;
                for i in 0..n {
                    if settled[i] || !deps[i].iter().all(|d| settled[*d]) {
                        continue;
                    }
                    let real = self.upstream_for(i, &computed);
                    match std::mem::replace(&mut slots[i], Slot::Waiting) {
                        Slot::Running(up, handle) if up == real => {
                            slots[i] = Slot::Running(up, handle);
                        }
                        Slot::Finished(up, result) if up == real => {
                            slots[i] = Slot::Settled;
                            settled[i] = true;
                            progressed = true;
                            let name = self.entries[i].name;
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
                        stale => {
                            if let Slot::Running(_, handle) = stale {
                                handle.abort();
                            }
                            if failures.is_empty() {
                                jobs.push(start(i, real, &mut slots));
                            }
                        }
                    }
                }
            }
            if settled.iter().all(|s| *s) {
                break;
            }
            // Only reads run, so a guess that is no longer needed is simply dropped.
            let awaited = (0..n).any(|i| {
                !settled[i]
                    && deps[i].iter().all(|d| settled[*d])
                    && matches!(&slots[i], Slot::Running(..))
            });
            if !failures.is_empty() && !awaited {
                return Err(ModuleFailures(failures, None));
            }
            let Some((i, upstream, result)) = jobs.next().await else {
                unreachable!("an unsettled module is always running or startable");
            };
            if let Ok(result) = result {
                if matches!(&slots[i], Slot::Running(up, _) if *up == upstream) {
                    slots[i] = Slot::Finished(upstream, result);
                }
            }
        }
        if !failures.is_empty() {
            return Err(ModuleFailures(failures, None));
        }
        let mut modules: Vec<ModulePlan> = levels(&self.entries)
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

    /// Runs `job` for every entry once the entries it waits for are ready (`reverse`: once
    /// the entries that depend on it are done), concurrently otherwise. An entry is ready when
    /// its job is done, or earlier when it sends its result on `early` (the job must then end
    /// with that same result). After a failure nothing new starts; what runs finishes, and
    /// every failure is returned.
    async fn run_graph<T, F, Fut>(
        &self,
        reverse: bool,
        mut early: Option<tokio::sync::mpsc::UnboundedReceiver<(usize, T)>>,
        mut job: F,
    ) -> Result<BTreeMap<&'static str, T>, ModuleFailures>
    where
        T: PartialEq,
        F: FnMut(usize, &BTreeMap<&'static str, T>) -> Option<Fut>,
        Fut: std::future::Future<Output = anyhow::Result<T>>,
    {
        enum Event<T> {
            Early(usize, T),
            Done(usize, anyhow::Result<T>),
        }
        let n = self.entries.len();
        let waits_for: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                if reverse {
                    (0..n)
                        .filter(|&j| self.dependencies(j).contains(&i))
                        .collect()
                } else {
                    self.dependencies(i)
                }
            })
            .collect();
        let mut ready = vec![false; n];
        let mut started = vec![false; n];
        let mut results = BTreeMap::new();
        let mut failures = Vec::new();
        let mut running = FuturesUnordered::new();
        loop {
            // Start what can start; a module with nothing to do (`None`) is done at once and
            // may let others start.
            let mut more = failures.is_empty();
            while more {
                more = false;
                for i in 0..n {
                    if !started[i] && waits_for[i].iter().all(|w| ready[*w]) {
                        started[i] = true;
                        match job(i, &results) {
                            Some(f) => running.push(async move { (i, f.await) }),
                            None => {
                                ready[i] = true;
                                more = true;
                            }
                        }
                    }
                }
            }
            if running.is_empty() {
                break;
            }
            // Early results first: one sent just before its job ended is seen before the end.
            let event = match early.as_mut() {
                Some(rx) => tokio::select! {
                    biased;
                    Some((i, value)) = rx.recv() => Event::Early(i, value),
                    Some((i, result)) = running.next() => Event::Done(i, result),
                },
                None => match running.next().await {
                    Some((i, result)) => Event::Done(i, result),
                    None => break,
                },
            };
            match event {
                Event::Early(i, value) => {
                    if !ready[i] {
                        ready[i] = true;
                        results.insert(self.entries[i].name, value);
                    }
                }
                Event::Done(i, Ok(value)) => {
                    let name = self.entries[i].name;
                    if ready[i] && results.get(name) != Some(&value) {
                        failures.push(ModuleFailure {
                            module: name,
                            error: anyhow::anyhow!(
                                "its outputs changed after it announced them, and the modules that read them ran with the announced ones: apply again"
                            ),
                        });
                    }
                    ready[i] = true;
                    results.insert(name, value);
                }
                // Announced outputs stay for the dependants already running; the failure is
                // reported and nothing new starts.
                Event::Done(i, Err(error)) => failures.push(ModuleFailure {
                    module: self.entries[i].name,
                    error,
                }),
            }
        }
        if failures.is_empty() {
            Ok(results)
        } else {
            Err(ModuleFailures(failures, None))
        }
    }

    /// Executes a prepared apply, each module as soon as its upstream is ready: done, or its
    /// outputs announced early ([`Progress::outputs_ready`]). A module whose upstream outputs
    /// turned out different from those it was planned with (upstream created in this run) is
    /// planned again first (observing again only if its reads depend on them); a module
    /// without changes makes no call at all.
    pub async fn apply(
        &self,
        mut stack: PreparedStack,
        recorder: &StateRecorder<'_>,
    ) -> Result<BTreeMap<&'static str, Value>, ModuleFailures> {
        let (announced, early) = tokio::sync::mpsc::unbounded_channel();
        self.run_graph(false, Some(early), |i, outputs| {
            let e = &self.entries[i];
            let p = stack.prepared.remove(e.name)?;
            let upstream = self.upstream_for(i, outputs);
            let progress = ModuleProgress {
                recorder,
                index: i,
                announced: announced.clone(),
            };
            Some(async move {
                let p = if p.upstream == upstream {
                    p
                } else {
                    e.module
                        .prepare_again(self.config, &upstream, p)
                        .await
                        .map_err(anyhow::Error::from_boxed)?
                };
                let out = match (&p.outputs, p.plan.has_changes()) {
                    (Some(out), false) => out.clone(),
                    _ => e
                        .module
                        .execute(&p, &progress)
                        .await
                        .map_err(anyhow::Error::from_boxed)?,
                };
                recorder.set_outputs(e.name, Some(out.clone()));
                Ok(out)
            })
        })
        .await
    }

    /// Executes a prepared destroy, each module once every module that reads its outputs is
    /// gone.
    pub async fn destroy(
        &self,
        mut stack: PreparedStack,
        recorder: &StateRecorder<'_>,
    ) -> Result<(), ModuleFailures> {
        self.run_graph(true, None, |i, _: &BTreeMap<&'static str, ()>| {
            let e = &self.entries[i];
            let p = stack.prepared.remove(e.name)?;
            Some(async move {
                if p.plan.has_changes() {
                    e.module
                        .execute(&p, recorder)
                        .await
                        .map_err(anyhow::Error::from_boxed)?;
                }
                recorder.set_outputs(e.name, None);
                Ok(())
            })
        })
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests;

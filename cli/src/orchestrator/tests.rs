//! The scheduling of [`Orchestrator::prepare`] (observing with state's outputs as a guess, and
//! observing again when the guess was wrong) and of [`Orchestrator::apply`] (dependants started
//! by announced outputs, planned again with or without observing again).

use super::*;
use async_trait::async_trait;
use baseline_core::reconcile::{Change, FromUpstream, Module};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake modules did, in order: `("a", "start")`, `("a", "end")`, ...
type Log = Arc<Mutex<Vec<(&'static str, &'static str, Upstream)>>>;

/// A module whose observe takes 20 ms and whose outputs are `{"id": "<name>-1"}` when it
/// `exists`, none (to be created) otherwise. A module that does not exist plans one create; its
/// apply announces `announce` (if any) at once, takes 100 ms, then returns `result`, and logs
/// its start and end with the upstream it was planned with.
struct Fake {
    name: &'static str,
    exists: bool,
    fail: bool,
    announce: Option<Value>,
    result: Value,
    /// What [`Module::observes_alike`] answers.
    alike: bool,
    log: Log,
}

/// The whole upstream, so the log shows what a module was planned with.
struct Whole(Upstream);

impl FromUpstream for Whole {
    // Unused: the tests' entries name their dependencies themselves.
    const UPSTREAM: &'static [&'static str] = &[];
    fn from_upstream(upstream: &Upstream) -> Result<Self, serde_json::Error> {
        Ok(Self(upstream.clone()))
    }
}

#[async_trait]
impl Module for Fake {
    type Inputs = Whole;
    type Spec = Upstream;
    type Observed = ();
    type Outputs = Value;
    type Error = std::io::Error;

    fn name(&self) -> &'static str {
        self.name
    }
    fn spec(&self, _: &Config, inputs: &Whole) -> Result<Upstream, Self::Error> {
        Ok(inputs.0.clone())
    }
    async fn observe(&self, spec: &Upstream) -> Result<(), Self::Error> {
        self.log
            .lock()
            .unwrap()
            .push((self.name, "start", spec.clone()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.log
            .lock()
            .unwrap()
            .push((self.name, "end", spec.clone()));
        if self.fail {
            return Err(std::io::Error::other("observe failed"));
        }
        Ok(())
    }
    fn observes_alike(&self, _: &Upstream, _: &Upstream, (): &()) -> bool {
        self.alike
    }
    fn diff(&self, _: &Upstream, (): &()) -> Vec<Change> {
        if self.exists {
            return Vec::new();
        }
        vec![Change::create(
            format!("{}.thing", self.name),
            "thing",
            &json!({}),
        )]
    }
    fn planned_outputs(&self, _: &Upstream, (): &()) -> Option<Value> {
        self.exists
            .then(|| json!({"id": format!("{}-1", self.name)}))
    }
    async fn apply(
        &self,
        spec: &Upstream,
        (): &(),
        progress: &dyn Progress,
    ) -> Result<Value, Self::Error> {
        self.log
            .lock()
            .unwrap()
            .push((self.name, "apply start", spec.clone()));
        if let Some(announce) = &self.announce {
            baseline_core::progress::publish_outputs(progress, announce);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.log
            .lock()
            .unwrap()
            .push((self.name, "apply end", spec.clone()));
        Ok(self.result.clone())
    }
    fn destroy_plan(&self, _: &Upstream, (): &(), _: DestroyOptions) -> Vec<Change> {
        Vec::new()
    }
    async fn destroy(
        &self,
        _: &Upstream,
        (): &(),
        _: DestroyOptions,
        _: &dyn Progress,
    ) -> Result<(), Self::Error> {
        unreachable!("not destroyed in these tests")
    }
}

/// `a` (no upstream) and `b` (reads `a`), `a` failing when asked; both exist.
fn stack(log: &Log, fail_a: bool) -> Vec<ModuleEntry> {
    stack_of(log, fail_a, true)
}

fn stack_of(log: &Log, fail_a: bool, exists: bool) -> Vec<ModuleEntry> {
    let fake = |name, fail| {
        Arc::new(Fake {
            name,
            exists,
            fail,
            announce: None,
            result: Value::Null,
            alike: false,
            log: log.clone(),
        })
    };
    vec![
        ModuleEntry {
            name: "a",
            depends_on: &[],
            module: fake("a", fail_a),
        },
        ModuleEntry {
            name: "b",
            depends_on: &["a"],
            module: fake("b", false),
        },
    ]
}

fn state_with_a(id: &str) -> Upstream {
    Upstream(
        [("a".to_owned(), json!({ "id": id }))]
            .into_iter()
            .collect(),
    )
}

async fn prepare(
    entries: Vec<ModuleEntry>,
    state: Upstream,
) -> Result<PreparedStack, ModuleFailures> {
    let config = Config::default();
    Orchestrator::new(&config, entries, state)
        .prepare("stack", Operation::Apply, DestroyOptions::default())
        .await
}

fn events(log: &Log) -> Vec<(&'static str, &'static str)> {
    log.lock()
        .unwrap()
        .iter()
        .map(|(m, e, _)| (*m, *e))
        .collect()
}

/// The upstream of each observation `b` started.
fn b_observed_with(log: &Log) -> Vec<Upstream> {
    log.lock()
        .unwrap()
        .iter()
        .filter(|(m, e, _)| *m == "b" && *e == "start")
        .map(|(_, _, up)| up.clone())
        .collect()
}

#[tokio::test]
async fn a_right_guess_from_state_lets_downstream_observe_at_once_and_only_once() {
    let log = Log::default();
    let stack_plan = prepare(stack(&log, false), state_with_a("a-1"))
        .await
        .unwrap();
    // b started before a ended, and nobody observed twice.
    let e = events(&log);
    assert_eq!(e.len(), 4, "{e:?}");
    let b_start = e.iter().position(|x| *x == ("b", "start")).unwrap();
    let a_end = e.iter().position(|x| *x == ("a", "end")).unwrap();
    assert!(b_start < a_end, "{e:?}");
    assert_eq!(stack_plan.prepared["b"].upstream, state_with_a("a-1"));
}

#[tokio::test]
async fn a_wrong_guess_is_observed_again_with_the_real_upstream() {
    let log = Log::default();
    let stack_plan = prepare(stack(&log, false), state_with_a("stale"))
        .await
        .unwrap();
    assert_eq!(
        b_observed_with(&log),
        vec![state_with_a("stale"), state_with_a("a-1")]
    );
    // The plan kept is the one made with what a really plans.
    assert_eq!(stack_plan.prepared["b"].upstream, state_with_a("a-1"));
}

#[tokio::test]
async fn without_state_an_empty_account_is_observed_at_once_and_only_once() {
    let log = Log::default();
    let stack_plan = prepare(stack_of(&log, false, false), Upstream::default())
        .await
        .unwrap();
    let e = events(&log);
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(
        e.iter().position(|x| *x == ("b", "start")) < e.iter().position(|x| *x == ("a", "end")),
        "{e:?}"
    );
    assert_eq!(stack_plan.prepared["b"].upstream, Upstream::default());
}

#[tokio::test]
async fn without_state_a_deployed_upstream_makes_downstream_observe_again() {
    let log = Log::default();
    let stack_plan = prepare(stack(&log, false), Upstream::default())
        .await
        .unwrap();
    assert_eq!(
        b_observed_with(&log),
        vec![Upstream::default(), state_with_a("a-1")],
        "the guessed observation of b is dropped when a turns out to exist"
    );
    assert_eq!(stack_plan.prepared["b"].upstream, state_with_a("a-1"));
}

#[tokio::test]
async fn an_upstream_failure_is_reported_and_a_guessed_downstream_plan_is_dropped() {
    let log = Log::default();
    let Err(failures) = prepare(stack(&log, true), state_with_a("a-1")).await else {
        panic!("a failed, so the stack must not plan");
    };
    let failed: Vec<&str> = failures.0.iter().map(|f| f.module).collect();
    assert_eq!(failed, vec!["a"]);
}

#[tokio::test]
async fn every_failure_of_modules_observing_at_once_is_reported() {
    let log = Log::default();
    let failing = |name| {
        Arc::new(Fake {
            name,
            exists: true,
            fail: true,
            announce: None,
            result: Value::Null,
            alike: false,
            log: log.clone(),
        })
    };
    let entries = vec![
        ModuleEntry {
            name: "a",
            depends_on: &[],
            module: failing("a"),
        },
        ModuleEntry {
            name: "c",
            depends_on: &[],
            module: failing("c"),
        },
    ];
    let Err(failures) = prepare(entries, Upstream::default()).await else {
        panic!("both failed, so the stack must not plan");
    };
    let mut failed: Vec<&str> = failures.0.iter().map(|f| f.module).collect();
    failed.sort_unstable();
    assert_eq!(failed, vec!["a", "c"]);
}

/// `a` announcing `announce` and returning `result`, `b` reading `a`; planned from empty and
/// applied.
async fn apply_a_then_b(
    log: &Log,
    announce: Option<Value>,
    result: Value,
) -> Result<BTreeMap<&'static str, Value>, ModuleFailures> {
    apply_a_then_b_alike(log, announce, result, false).await
}

/// [`apply_a_then_b`], `b` answering `alike` when asked whether it observes alike.
async fn apply_a_then_b_alike(
    log: &Log,
    announce: Option<Value>,
    result: Value,
    alike: bool,
) -> Result<BTreeMap<&'static str, Value>, ModuleFailures> {
    let module = |name, announce: Option<Value>, result: Value| {
        Arc::new(Fake {
            name,
            exists: false,
            fail: false,
            announce,
            result,
            alike,
            log: log.clone(),
        })
    };
    let entries = vec![
        ModuleEntry {
            name: "a",
            depends_on: &[],
            module: module("a", announce, result),
        },
        ModuleEntry {
            name: "b",
            depends_on: &["a"],
            module: module("b", None, json!({"id": "b-1"})),
        },
    ];
    let config = Config::default();
    let orchestrator = Orchestrator::new(&config, entries, Upstream::default());
    let prepared = orchestrator
        .prepare("stack", Operation::Apply, DestroyOptions::default())
        .await
        .unwrap();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let recorder = StateRecorder::new(tx, &baseline_core::progress::NoProgress);
    orchestrator.apply(prepared, &recorder).await
}

fn position(log: &Log, module: &str, event: &str) -> usize {
    events(log)
        .iter()
        .position(|x| *x == (module, event))
        .unwrap_or_else(|| panic!("no {module} {event} in {:?}", events(log)))
}

#[tokio::test]
async fn announced_outputs_start_the_dependants_before_the_apply_ends() {
    let log = Log::default();
    let outputs = apply_a_then_b(&log, Some(json!({"id": "a-1"})), json!({"id": "a-1"}))
        .await
        .unwrap();
    assert!(
        position(&log, "b", "apply start") < position(&log, "a", "apply end"),
        "{:?}",
        events(&log)
    );
    let b_start = position(&log, "b", "apply start");
    let b_upstream = log.lock().unwrap()[b_start].2.clone();
    assert_eq!(b_upstream, state_with_a("a-1"), "b ran with a's outputs");
    assert_eq!(outputs["a"], json!({"id": "a-1"}));
}

#[tokio::test]
async fn without_an_announcement_the_dependants_wait_for_the_apply() {
    let log = Log::default();
    apply_a_then_b(&log, None, json!({"id": "a-1"}))
        .await
        .unwrap();
    assert!(position(&log, "a", "apply end") < position(&log, "b", "apply start"));
}

#[tokio::test]
async fn outputs_that_change_after_the_announcement_fail_the_module() {
    let log = Log::default();
    let Err(failures) =
        apply_a_then_b(&log, Some(json!({"id": "a-1"})), json!({"id": "a-2"})).await
    else {
        panic!("a returned other outputs than it announced");
    };
    let failed: Vec<&str> = failures.0.iter().map(|f| f.module).collect();
    assert_eq!(failed, vec!["a"]);
    assert!(failures.0[0].error.to_string().contains("apply again"));
}

/// How often `module` observed.
fn observations(log: &Log, module: &str) -> usize {
    events(log)
        .iter()
        .filter(|x| **x == (module, "start"))
        .count()
}

#[tokio::test]
async fn a_dependant_that_observes_alike_is_planned_again_without_reading_again() {
    let log = Log::default();
    apply_a_then_b_alike(&log, None, json!({"id": "a-1"}), true)
        .await
        .unwrap();
    assert_eq!(observations(&log, "b"), 1, "{:?}", events(&log));
    let b_start = position(&log, "b", "apply start");
    let b_upstream = log.lock().unwrap()[b_start].2.clone();
    assert_eq!(
        b_upstream,
        state_with_a("a-1"),
        "planned again with a's outputs"
    );
}

#[tokio::test]
async fn a_dependant_whose_reads_depend_on_the_upstream_observes_again() {
    let log = Log::default();
    apply_a_then_b_alike(&log, None, json!({"id": "a-1"}), false)
        .await
        .unwrap();
    assert_eq!(observations(&log, "b"), 2, "{:?}", events(&log));
}

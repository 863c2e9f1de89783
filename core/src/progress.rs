//! Progress events a module emits while it applies. The CLI turns them into a live display or
//! plain lines; the orchestrator records `Exists` events in state at once, so a crash right after
//! a create leaves a record of what exists.

use crate::reconcile::Action;
use std::time::Duration;

/// Something that happened during apply or destroy.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressEvent {
    /// Work on a resource began.
    Started {
        /// Resource address, e.g. `encryption.kms_key`.
        address: String,
        /// What is being done.
        action: Action,
    },
    /// A resource is being waited for (eventual consistency, `pending` states).
    Waiting {
        /// Resource address.
        address: String,
        /// The state AWS reports, e.g. `pending`.
        status: String,
        /// Time waited so far.
        elapsed: Duration,
    },
    /// A resource now exists with this physical id (recorded in state right away).
    Exists {
        /// Resource address.
        address: String,
        /// Physical id or ARN.
        id: String,
    },
    /// A resource no longer exists (recorded in state right away).
    Gone {
        /// Resource address.
        address: String,
    },
    /// Work on a resource finished.
    Finished {
        /// Resource address.
        address: String,
        /// What was done.
        action: Action,
    },
    /// Something the user should know that is not an error.
    Warning {
        /// The message.
        message: String,
    },
}

/// A sink for [`ProgressEvent`]s.
pub trait Progress: Send + Sync {
    /// Receives one event. Must not block for long: modules call it from their tasks.
    fn event(&self, event: ProgressEvent);

    /// The applying module's outputs, before its apply is done: they are final (the apply
    /// returns exactly these) and every resource they name exists, so modules that read them
    /// can start while this one still converges settings nobody downstream needs. Ignored by
    /// default; the orchestrator starts the dependants. Call it through [`publish_outputs`].
    fn outputs_ready(&self, _outputs: &serde_json::Value) {}
}

/// Announces a module's outputs early (see [`Progress::outputs_ready`]). A module that never
/// calls it is waited for until its apply returns.
pub fn publish_outputs<O: serde::Serialize>(progress: &dyn Progress, outputs: &O) {
    // Outputs are plain data; one that does not serialise is simply not announced early (the
    // orchestrator then waits for the apply, whose result reports the problem).
    if let Ok(value) = serde_json::to_value(outputs) {
        progress.outputs_ready(&value);
    }
}

/// A module's progress for one apply that announces the module's outputs (known from the
/// start) as soon as the resources they name exist: each `Exists` of a waited-for address
/// ticks it off, and when none is left (at once, when none was to be made) the outputs go out
/// through [`Progress::outputs_ready`]. An address never reported leaves them unannounced, so
/// the dependants wait for the apply: slower, never wrong.
pub struct AnnounceWhenExist<'a> {
    inner: &'a dyn Progress,
    pending: std::sync::Mutex<Option<(std::collections::BTreeSet<String>, serde_json::Value)>>,
}

impl<'a> AnnounceWhenExist<'a> {
    /// Wraps `inner`; `outputs` are the apply's final outputs, `waiting_for` the addresses of
    /// the resources they name that this apply creates.
    pub fn new<O: serde::Serialize>(
        inner: &'a dyn Progress,
        outputs: &O,
        waiting_for: impl IntoIterator<Item = String>,
    ) -> Self {
        let waiting: std::collections::BTreeSet<String> = waiting_for.into_iter().collect();
        let value = serde_json::to_value(outputs).ok();
        let pending = match value {
            Some(value) if waiting.is_empty() => {
                inner.outputs_ready(&value);
                None
            }
            Some(value) => Some((waiting, value)),
            None => None,
        };
        Self {
            inner,
            pending: std::sync::Mutex::new(pending),
        }
    }
}

impl Progress for AnnounceWhenExist<'_> {
    fn event(&self, event: ProgressEvent) {
        let address = match &event {
            ProgressEvent::Exists { address, .. } => Some(address.clone()),
            _ => None,
        };
        // The event first, so the resource is in state before anyone builds on it.
        self.inner.event(event);
        let Some(address) = address else { return };
        let ready = {
            let mut pending = self.pending.lock().expect("announce lock");
            let done = pending.as_mut().is_some_and(|(waiting, _)| {
                waiting.remove(&address);
                waiting.is_empty()
            });
            if done {
                pending.take().map(|(_, value)| value)
            } else {
                None
            }
        };
        if let Some(value) = ready {
            self.inner.outputs_ready(&value);
        }
    }

    fn outputs_ready(&self, outputs: &serde_json::Value) {
        self.inner.outputs_ready(outputs);
    }
}

/// Discards every event (tests, library use).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _event: ProgressEvent) {}
}

/// Collects events, and the outputs announced early, in memory (tests).
#[derive(Debug, Default)]
pub struct RecordedProgress(
    pub std::sync::Mutex<Vec<ProgressEvent>>,
    pub std::sync::Mutex<Vec<serde_json::Value>>,
);

impl Progress for RecordedProgress {
    fn event(&self, event: ProgressEvent) {
        self.0.lock().expect("progress lock").push(event);
    }

    fn outputs_ready(&self, outputs: &serde_json::Value) {
        self.1.lock().expect("progress lock").push(outputs.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::sync::Mutex;

    /// Events and announcements, in order.
    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl Progress for Seen {
        fn event(&self, event: ProgressEvent) {
            if let ProgressEvent::Exists { address, .. } = event {
                self.0.lock().unwrap().push(format!("exists {address}"));
            }
        }
        fn outputs_ready(&self, outputs: &Value) {
            self.0.lock().unwrap().push(format!("ready {outputs}"));
        }
    }

    fn exists(address: &str) -> ProgressEvent {
        ProgressEvent::Exists {
            address: address.into(),
            id: "id".into(),
        }
    }

    #[test]
    fn outputs_are_announced_once_after_the_last_awaited_resource_exists() {
        let seen = Seen::default();
        let p = AnnounceWhenExist::new(&seen, &json!({"a": 1}), ["m.x".into(), "m.y".into()]);
        p.event(exists("m.x"));
        p.event(exists("m.other"));
        p.event(exists("m.y"));
        p.event(exists("m.y"));
        assert_eq!(
            *seen.0.lock().unwrap(),
            vec![
                "exists m.x",
                "exists m.other",
                "exists m.y",
                r#"ready {"a":1}"#,
                "exists m.y"
            ]
        );
    }

    #[test]
    fn with_nothing_to_create_the_outputs_are_announced_at_once() {
        let seen = Seen::default();
        let _p = AnnounceWhenExist::new(&seen, &json!({"a": 1}), []);
        assert_eq!(*seen.0.lock().unwrap(), vec![r#"ready {"a":1}"#]);
    }
}

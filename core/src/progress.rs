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

/// Discards every event (tests, library use).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn event(&self, _event: ProgressEvent) {}
}

/// Collects events in memory (tests).
#[derive(Debug, Default)]
pub struct RecordedProgress(pub std::sync::Mutex<Vec<ProgressEvent>>);

impl Progress for RecordedProgress {
    fn event(&self, event: ProgressEvent) {
        self.0.lock().expect("progress lock").push(event);
    }
}

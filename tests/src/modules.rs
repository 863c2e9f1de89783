//! One module driven the way the orchestrator drives it (spec, observe, diff, then apply or
//! destroy), for the module tests that call a crate directly instead of the binary.

use baseline_core::ids::KmsKeyArn;
use baseline_core::progress::NoProgress;
use baseline_core::{Action, AwsContext, Change, Config, DestroyOptions, Module};
use baseline_encryption::EncryptionModule;

/// A module's spec for one config, what it observed, and the changes between them: what an
/// apply or destroy of that plan works from.
pub struct Planned<M: Module> {
    /// The desired resources.
    pub spec: M::Spec,
    /// What exists now.
    pub observed: M::Observed,
    /// The diff, no-ops included.
    pub changes: Vec<Change>,
}

impl<M: Module> Planned<M> {
    /// Applies this plan.
    pub async fn apply(&self, m: &M) -> M::Outputs {
        m.apply(&self.spec, &self.observed, &NoProgress)
            .await
            .expect("apply")
    }

    /// The changes a destroy of what this plan observed would make.
    pub fn destroy_plan(&self, m: &M, options: DestroyOptions) -> Vec<Change> {
        m.destroy_plan(&self.spec, &self.observed, options)
    }

    /// Destroys what this plan observed.
    pub async fn destroy(&self, m: &M, options: DestroyOptions) {
        m.destroy(&self.spec, &self.observed, options, &NoProgress)
            .await
            .expect("destroy");
    }
}

/// spec + observe + diff.
pub async fn plan_module<M: Module>(m: &M, config: &Config, inputs: &M::Inputs) -> Planned<M> {
    let spec = m.spec(config, inputs).expect("spec");
    let observed = m.observe(&spec).await.expect("observe");
    let changes = m.diff(&spec, &observed);
    Planned {
        spec,
        observed,
        changes,
    }
}

/// spec + observe + apply; returns the outputs.
pub async fn apply_module<M: Module>(m: &M, config: &Config, inputs: &M::Inputs) -> M::Outputs {
    plan_module(m, config, inputs).await.apply(m).await
}

/// spec + observe + destroy (default options, so audit data is kept).
pub async fn destroy_module<M: Module>(m: &M, config: &Config, inputs: &M::Inputs) {
    plan_module(m, config, inputs)
        .await
        .destroy(m, DestroyOptions::default())
        .await;
}

/// Like [`destroy_module`], but observes with `observe_for_destroy` as the CLI's destroy does
/// (no apply preconditions checked).
pub async fn teardown_module<M: Module>(m: &M, config: &Config, inputs: &M::Inputs) {
    let spec = m.spec(config, inputs).expect("spec");
    let observed = m.observe_for_destroy(&spec).await.expect("observe");
    m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .expect("destroy");
}

/// `(address, action)` of every change that is not a no-op.
pub fn changed(changes: &[Change]) -> Vec<(String, Action)> {
    changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| (c.address.clone(), c.action))
        .collect()
}

/// `(address, action)` of every change, no-ops included.
pub fn actions(changes: &[Change]) -> Vec<(&str, Action)> {
    changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect()
}

/// Applies the encryption module for `config`'s stack and returns the key ARN (the input most
/// modules need first).
pub async fn stack_key(ctx: &AwsContext, config: &Config) -> KmsKeyArn {
    apply_module(&EncryptionModule::new(ctx), config, &())
        .await
        .kms_key_arn
}

/// The change of the resource at `address`.
#[track_caller]
pub fn change<'a>(changes: &'a [Change], address: &str) -> &'a Change {
    changes
        .iter()
        .find(|c| c.address == address)
        .unwrap_or_else(|| panic!("no change for {address}: {changes:#?}"))
}

/// The names of the attributes a change sets, in order.
pub fn attribute_names(change: &Change) -> Vec<&str> {
    change.attributes.iter().map(|a| a.name.as_str()).collect()
}

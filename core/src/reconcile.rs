//! The reconcile contract every module keeps: **spec** (pure: config + upstream inputs -> desired
//! resources), **observe** (read calls only), **diff** (pure: spec vs observed -> [`Change`]s) and
//! **apply** (converge, wait, read back, return typed outputs). Destroy is the diff against an
//! empty spec, run in reverse dependency order.
//!
//! [`Module`] is the typed trait a module crate implements; [`DynModule`] is its object-safe face
//! (blanket-implemented) so one loop in the CLI can drive every module while each keeps its own
//! `Spec`, `Observed`, `Outputs` and `Error` types.

use crate::config::Config;
use crate::progress::Progress;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::any::Any;
use std::collections::BTreeMap;

/// What a change does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The resource does not exist and will be created.
    Create,
    /// The resource exists and will be changed in place.
    Update,
    /// The resource must be deleted and created again.
    Replace,
    /// The resource exists and will be deleted.
    Delete,
    /// The resource is as specified.
    NoOp,
}

impl Action {
    /// Terraform's symbol for the action.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
        }
    }
}

/// One attribute's value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeChange {
    /// Attribute path, e.g. `retention_in_days` or `policy`.
    pub name: String,
    /// Value now (absent for creates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// Value wanted (absent for deletes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// Changing this attribute needs the resource replaced.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forces_replacement: bool,
}

/// The planned change of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Stable address, e.g. `network.endpoint["bedrock-runtime"]`.
    pub address: String,
    /// Resource kind, e.g. `kms_key`, `s3_bucket`.
    pub resource_type: String,
    /// What happens.
    pub action: Action,
    /// The attributes that differ (all of them for create and delete).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeChange>,
    /// Why, when it is not obvious (e.g. "kept: audit data").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The typed writes `apply` runs for this change, in order, as their JSON form (e.g.
    /// `["put"]`, `[{"tag": {"set": {...}}}]`): set by [`crate::resource::Planned::shown`] for
    /// the resource kinds planned through [`crate::resource::ResourceKind`], empty for the
    /// others. A saved plan carries them, so `apply FILE` refuses when the writes it would
    /// run now are not the ones the file lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<Value>,
}

impl Change {
    /// A create, listing every attribute of `after` (a JSON object).
    pub fn create(address: impl Into<String>, resource_type: &str, after: &Value) -> Self {
        Self::new(
            address,
            resource_type,
            Action::Create,
            diff_attributes(&Value::Null, after),
        )
    }

    /// A delete, listing every attribute of `before`.
    pub fn delete(address: impl Into<String>, resource_type: &str, before: &Value) -> Self {
        Self::new(
            address,
            resource_type,
            Action::Delete,
            diff_attributes(before, &Value::Null),
        )
    }

    /// Update, or no-op when the two values are equal. `replace_on` names attributes whose change
    /// needs a replacement; if any of them differs the action is `Replace`.
    pub fn compare(
        address: impl Into<String>,
        resource_type: &str,
        before: &Value,
        after: &Value,
        replace_on: &[&str],
    ) -> Self {
        let mut attributes = diff_attributes(before, after);
        let mut action = if attributes.is_empty() {
            Action::NoOp
        } else {
            Action::Update
        };
        for attr in &mut attributes {
            let top = attr.name.split('.').next().unwrap_or_default();
            if replace_on.contains(&top) {
                attr.forces_replacement = true;
                action = Action::Replace;
            }
        }
        Self::new(address, resource_type, action, attributes)
    }

    /// The change that converges one resource: a create when nothing exists (`before` is
    /// `None`), else [`Change::compare`] of what exists with what is wanted.
    pub fn converge(
        address: impl Into<String>,
        resource_type: &str,
        before: Option<&Value>,
        after: &Value,
        replace_on: &[&str],
    ) -> Self {
        match before {
            None => Self::create(address, resource_type, after),
            Some(before) => Self::compare(address, resource_type, before, after, replace_on),
        }
    }

    /// A no-op (resource as specified).
    pub fn noop(address: impl Into<String>, resource_type: &str) -> Self {
        Self::new(address, resource_type, Action::NoOp, Vec::new())
    }

    /// A change with explicit attributes.
    pub fn new(
        address: impl Into<String>,
        resource_type: &str,
        action: Action,
        attributes: Vec<AttributeChange>,
    ) -> Self {
        Self {
            address: address.into(),
            resource_type: resource_type.to_owned(),
            action,
            attributes,
            note: None,
            operations: Vec::new(),
        }
    }

    /// Adds a note shown beside the change.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// True unless the action is `NoOp`.
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp
    }
}

/// Attribute-level differences between two JSON values. Objects are compared key by key, one
/// level of nested objects gets dotted names (`versioning.status`); everything else (lists,
/// policies) is compared whole, so a policy shows as one attribute with before and after.
pub fn diff_attributes(before: &Value, after: &Value) -> Vec<AttributeChange> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        let (bv, av) = (b.get(key), a.get(key));
        if bv == av {
            continue;
        }
        match (bv, av) {
            (Some(Value::Object(bo)), Some(Value::Object(ao))) => {
                for inner in diff_attributes(&Value::Object(bo.clone()), &Value::Object(ao.clone()))
                {
                    out.push(AttributeChange {
                        name: format!("{key}.{}", inner.name),
                        ..inner
                    });
                }
            }
            _ => out.push(AttributeChange {
                name: key.clone(),
                before: bv.filter(|v| !v.is_null()).cloned(),
                after: av.filter(|v| !v.is_null()).cloned(),
                forces_replacement: false,
            }),
        }
    }
    out
}

/// The changes of one module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModulePlan {
    /// Module name, e.g. `encryption`.
    pub module: String,
    /// Every resource of the module, no-ops included (renderers hide them).
    pub changes: Vec<Change>,
}

impl ModulePlan {
    /// True when any resource changes.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(Change::is_change)
    }
}

/// Counts in Terraform's terms: a replace counts as one add and one destroy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    /// Resources created (replacements included).
    pub add: usize,
    /// Resources changed in place.
    pub change: usize,
    /// Resources deleted (replacements included).
    pub destroy: usize,
}

impl PlanSummary {
    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.add + self.change + self.destroy == 0
    }
}

/// The combined plan of a stack, grouped by module in dependency order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackPlan {
    /// Version of this document's format.
    pub format_version: u32,
    /// Stack name.
    pub stack: String,
    /// `apply` or `destroy`.
    pub operation: Operation,
    /// Per module, in the order they run.
    pub modules: Vec<ModulePlan>,
    /// Totals.
    pub summary: PlanSummary,
}

/// Which way a plan goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Converge to the config.
    Apply,
    /// Remove the stack.
    Destroy,
}

impl StackPlan {
    /// Current JSON format version.
    pub const FORMAT_VERSION: u32 = 1;

    /// Builds the plan and its summary.
    pub fn new(stack: impl Into<String>, operation: Operation, modules: Vec<ModulePlan>) -> Self {
        let mut summary = PlanSummary::default();
        for change in modules.iter().flat_map(|m| &m.changes) {
            match change.action {
                Action::Create => summary.add += 1,
                Action::Update => summary.change += 1,
                Action::Replace => {
                    summary.add += 1;
                    summary.destroy += 1;
                }
                Action::Delete => summary.destroy += 1,
                Action::NoOp => {}
            }
        }
        Self {
            format_version: Self::FORMAT_VERSION,
            stack: stack.into(),
            operation,
            modules,
            summary,
        }
    }

    /// True when any resource changes.
    pub fn has_changes(&self) -> bool {
        !self.summary.is_empty()
    }
}

/// Options for destroy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DestroyOptions {
    /// Also delete log buckets and log groups (audit data). Off by default: audit data is kept.
    pub delete_audit_data: bool,
}

/// The typed contract of one module. Implementations hold their AWS clients (behind a narrow
/// trait, so tests can mock them) and are cheap to construct from an [`crate::AwsContext`].
#[async_trait]
pub trait Module: Send + Sync {
    /// Values from upstream modules' outputs (e.g. the KMS key ARN).
    type Inputs: Send + Sync + 'static;
    /// Desired resources.
    type Spec: Send + Sync + 'static;
    /// What exists now.
    type Observed: Send + Sync + 'static;
    /// What downstream modules and users get.
    type Outputs: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The crate's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Module name, used as the first part of every address.
    fn name(&self) -> &'static str;

    /// Config + inputs -> desired resources. Pure.
    fn spec(&self, config: &Config, inputs: &Self::Inputs) -> Result<Self::Spec, Self::Error>;

    /// Reads what exists, by deterministic name or stack tag. Read calls only.
    async fn observe(&self, spec: &Self::Spec) -> Result<Self::Observed, Self::Error>;

    /// Reads what exists before a destroy. Defaults to [`Module::observe`]; a module whose
    /// observe also checks that the account is ready for an apply (the VPC exists, ...) skips
    /// those checks here, so a stack can still be destroyed once its surroundings are gone.
    async fn observe_for_destroy(&self, spec: &Self::Spec) -> Result<Self::Observed, Self::Error> {
        self.observe(spec).await
    }

    /// True when observing for `now` would find exactly `observed`, which observing for
    /// `before` found: the two specs differ only in what is written (an upstream key ARN, a
    /// topic ARN), not in what is looked up or how the answers are filtered. The orchestrator
    /// then plans `now` against `observed` instead of reading again (an upstream created in
    /// this apply changes a downstream spec this way). `false`, the default, reads again.
    fn observes_alike(
        &self,
        _before: &Self::Spec,
        _now: &Self::Spec,
        _observed: &Self::Observed,
    ) -> bool {
        false
    }

    /// Spec vs observed -> one change per resource. Pure.
    fn diff(&self, spec: &Self::Spec, observed: &Self::Observed) -> Vec<Change>;

    /// The outputs as they would be if nothing changed: `Some` when every resource that an
    /// output names exists already (even if drifted), `None` when some are still to be created.
    /// The orchestrator passes them downstream at plan time, so a deployed stack plans without
    /// placeholders and without reading state.
    fn planned_outputs(
        &self,
        spec: &Self::Spec,
        observed: &Self::Observed,
    ) -> Option<Self::Outputs>;

    /// Converges, waits where AWS is eventually consistent, and returns the outputs. Must be
    /// idempotent: it may run again after any failure.
    async fn apply(
        &self,
        spec: &Self::Spec,
        observed: &Self::Observed,
        progress: &dyn Progress,
    ) -> Result<Self::Outputs, Self::Error>;

    /// The changes destroy would make (deletes, and no-ops for retained resources).
    fn destroy_plan(
        &self,
        spec: &Self::Spec,
        observed: &Self::Observed,
        options: DestroyOptions,
    ) -> Vec<Change>;

    /// Deletes what [`Module::destroy_plan`] lists.
    async fn destroy(
        &self,
        spec: &Self::Spec,
        observed: &Self::Observed,
        options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), Self::Error>;
}

/// Outputs of the modules that already ran, by module name, as stored in state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Upstream(pub BTreeMap<String, Value>);

impl Upstream {
    /// The typed outputs of `module`, if it ran.
    pub fn get<T: DeserializeOwned>(&self, module: &str) -> Result<Option<T>, serde_json::Error> {
        self.0
            .get(module)
            .filter(|v| !v.is_null())
            .map(|v| serde_json::from_value(v.clone()))
            .transpose()
    }
}

impl Upstream {
    /// One field of a module's outputs, e.g. `field::<KmsKeyArn>("encryption", "kms_key_arn")`.
    /// Module crates never depend on each other, so downstream modules read upstream outputs by
    /// field name into their own typed inputs.
    pub fn field<T: DeserializeOwned>(
        &self,
        module: &str,
        field: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        self.0
            .get(module)
            .and_then(|outputs| outputs.get(field))
            .filter(|v| !v.is_null())
            .map(|v| serde_json::from_value(v.clone()))
            .transpose()
    }
}

/// A check against the live account failed before any write (e.g. the VPC does not exist, a
/// subnet belongs to another VPC). The CLI reports it like a config error: exit code 2.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .issues.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct PreconditionFailed {
    /// Every problem found, with the config key it concerns and a hint.
    pub issues: Vec<crate::config::ConfigIssue>,
}

/// Builds a module's typed inputs from upstream outputs.
pub trait FromUpstream: Sized {
    /// The modules these inputs come from: the module runs after them (plan, apply) and before
    /// them (destroy). The orchestrator passes only their outputs.
    const UPSTREAM: &'static [&'static str];
    /// Missing upstream modules give `None` fields; a malformed one is an error.
    fn from_upstream(upstream: &Upstream) -> Result<Self, serde_json::Error>;
}

impl FromUpstream for () {
    const UPSTREAM: &'static [&'static str] = &[];
    fn from_upstream(_: &Upstream) -> Result<Self, serde_json::Error> {
        Ok(())
    }
}

/// Boxed error used across the object-safe boundary.
pub type DynError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A module's plan together with what it was computed from, ready to execute.
pub struct Prepared {
    /// The plan shown to the user.
    pub plan: ModulePlan,
    /// [`Module::planned_outputs`] as JSON (`None`: known after apply).
    pub outputs: Option<Value>,
    /// The upstream outputs the plan was computed from (to tell when it must be recomputed).
    pub upstream: Upstream,
    destroy: Option<DestroyOptions>,
    spec: Box<dyn Any + Send + Sync>,
    observed: Box<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("plan", &self.plan)
            .field("destroy", &self.destroy)
            .finish()
    }
}

/// The object-safe face of [`Module`], implemented for every module whose inputs come from
/// upstream outputs.
#[async_trait]
pub trait DynModule: Send + Sync {
    /// Module name.
    fn name(&self) -> &'static str;
    /// The modules whose outputs it reads ([`FromUpstream::UPSTREAM`]).
    fn depends_on(&self) -> &'static [&'static str];
    /// spec + observe + diff (or destroy plan when `destroy` is set).
    async fn prepare(
        &self,
        config: &Config,
        upstream: &Upstream,
        destroy: Option<DestroyOptions>,
    ) -> Result<Prepared, DynError>;
    /// [`DynModule::prepare`] for an apply with the upstream outputs `previous` was not made
    /// with: the plan is made again, against `previous`'s observation when the module
    /// [observes alike](Module::observes_alike) for both upstreams, else after observing again.
    async fn prepare_again(
        &self,
        config: &Config,
        upstream: &Upstream,
        previous: Prepared,
    ) -> Result<Prepared, DynError>;
    /// Executes a prepared plan; returns the outputs as JSON (`null` after destroy).
    async fn execute(
        &self,
        prepared: &Prepared,
        progress: &dyn Progress,
    ) -> Result<Value, DynError>;
}

#[async_trait]
impl<M> DynModule for M
where
    M: Module,
    M::Inputs: FromUpstream,
{
    fn name(&self) -> &'static str {
        Module::name(self)
    }

    fn depends_on(&self) -> &'static [&'static str] {
        M::Inputs::UPSTREAM
    }

    async fn prepare(
        &self,
        config: &Config,
        upstream: &Upstream,
        destroy: Option<DestroyOptions>,
    ) -> Result<Prepared, DynError> {
        let inputs = M::Inputs::from_upstream(upstream)?;
        let spec = self.spec(config, &inputs)?;
        let observed = match destroy {
            Some(_) => self.observe_for_destroy(&spec).await?,
            None => self.observe(&spec).await?,
        };
        planned(self, upstream, destroy, spec, observed)
    }

    async fn prepare_again(
        &self,
        config: &Config,
        upstream: &Upstream,
        previous: Prepared,
    ) -> Result<Prepared, DynError> {
        let inputs = M::Inputs::from_upstream(upstream)?;
        let spec = self.spec(config, &inputs)?;
        let before = previous.spec.downcast_ref::<M::Spec>();
        let observed = match previous.observed.downcast::<M::Observed>() {
            Ok(observed)
                if previous.destroy.is_none()
                    && before.is_some_and(|b| self.observes_alike(b, &spec, &observed)) =>
            {
                *observed
            }
            _ => self.observe(&spec).await?,
        };
        planned(self, upstream, None, spec, observed)
    }

    async fn execute(
        &self,
        prepared: &Prepared,
        progress: &dyn Progress,
    ) -> Result<Value, DynError> {
        let spec = prepared
            .spec
            .downcast_ref::<M::Spec>()
            .ok_or("prepared by another module")?;
        let observed = prepared
            .observed
            .downcast_ref::<M::Observed>()
            .ok_or("prepared by another module")?;
        match prepared.destroy {
            Some(options) => {
                self.destroy(spec, observed, options, progress).await?;
                Ok(Value::Null)
            }
            None => {
                let outputs = self.apply(spec, observed, progress).await?;
                Ok(serde_json::to_value(outputs)?)
            }
        }
    }
}

/// The plan of `spec` against `observed` (destroy's when `destroy` is set), ready to execute.
fn planned<M: Module>(
    module: &M,
    upstream: &Upstream,
    destroy: Option<DestroyOptions>,
    spec: M::Spec,
    observed: M::Observed,
) -> Result<Prepared, DynError> {
    let changes = match destroy {
        Some(options) => module.destroy_plan(&spec, &observed, options),
        None => module.diff(&spec, &observed),
    };
    let outputs = module
        .planned_outputs(&spec, &observed)
        .map(serde_json::to_value)
        .transpose()?;
    Ok(Prepared {
        plan: ModulePlan {
            module: Module::name(module).to_owned(),
            changes,
        },
        outputs,
        upstream: upstream.clone(),
        destroy,
        spec: Box::new(spec),
        observed: Box::new(observed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compare_reports_only_differing_attributes() {
        let c = Change::compare(
            "logging.log_group",
            "log_group",
            &json!({"name": "g", "retention_in_days": 30, "kms_key_id": "k"}),
            &json!({"name": "g", "retention_in_days": 90, "kms_key_id": "k"}),
            &[],
        );
        assert_eq!(c.action, Action::Update);
        assert_eq!(c.attributes.len(), 1);
        assert_eq!(c.attributes[0].name, "retention_in_days");
        assert_eq!(c.attributes[0].before, Some(json!(30)));
    }

    #[test]
    fn converge_creates_what_is_missing_and_compares_what_exists() {
        let after = json!({"retention_in_days": 90});
        assert_eq!(
            Change::converge("m.a", "t", None, &after, &[]),
            Change::create("m.a", "t", &after)
        );
        let before = json!({"retention_in_days": 30});
        assert_eq!(
            Change::converge("m.a", "t", Some(&before), &after, &[]),
            Change::compare("m.a", "t", &before, &after, &[])
        );
        assert_eq!(
            Change::converge("m.a", "t", Some(&after), &after, &[]).action,
            Action::NoOp
        );
    }

    #[test]
    fn replace_on_marks_forcing_attribute() {
        let c = Change::compare(
            "network.endpoint[\"x\"]",
            "vpc_endpoint",
            &json!({"vpc_id": "a"}),
            &json!({"vpc_id": "b"}),
            &["vpc_id"],
        );
        assert_eq!(c.action, Action::Replace);
        assert!(c.attributes[0].forces_replacement);
    }

    #[test]
    fn nested_objects_get_dotted_names() {
        let attrs = diff_attributes(
            &json!({"pab": {"a": true, "b": true}}),
            &json!({"pab": {"a": true, "b": false}}),
        );
        assert_eq!(attrs[0].name, "pab.b");
    }

    #[test]
    fn summary_counts_replace_as_add_and_destroy() {
        let changes = vec![
            Change::new("m.a", "t", Action::Create, vec![]),
            Change::new("m.b", "t", Action::Update, vec![]),
            Change::new("m.c", "t", Action::Replace, vec![]),
            Change::new("m.d", "t", Action::Delete, vec![]),
            Change::noop("m.e", "t"),
        ];
        let plan = StackPlan::new(
            "s",
            Operation::Apply,
            vec![ModulePlan {
                module: "m".into(),
                changes,
            }],
        );
        assert_eq!(
            plan.summary,
            PlanSummary {
                add: 2,
                change: 1,
                destroy: 2
            }
        );
    }
}

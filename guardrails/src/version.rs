//! The guardrail's numbered versions: the newest one is the version in force, and a new one is
//! published whenever it does not hold what the config asks for (and never otherwise).
//!
//! The plan compares the newest numbered version with the spec, apart from the draft (see
//! `guardrail.rs`): a config change publishes exactly one version, a crash between update and
//! publish is finished by the next run, drift on the draft alone is repaired without moving the
//! version in force, and a config that changes nothing publishes nothing.

use crate::api::{GuardrailState, GuardrailsApi};
use crate::guardrail::{self, Created, ObservedGuardrail, KNOWN_AFTER_APPLY};
use crate::module::GuardrailsSpec;
use crate::GuardrailsError;
use baseline_core::aws::ApiError;
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::{Action, AttributeChange, Change, Progress};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Address of the guardrail's numbered versions.
pub(crate) const VERSION: &str = "guardrails.guardrail_version";

/// The numbered versions of guardrail `id`, ascending, and the newest one.
pub(crate) async fn observe(
    api: &dyn GuardrailsApi,
    id: &str,
) -> Result<(Vec<u32>, Option<GuardrailState>), ApiError> {
    let versions = api.guardrail_versions(id).await?;
    let newest = match versions.last() {
        Some(n) => api.get_guardrail(id, Some(*n)).await?,
        None => None,
    };
    Ok((versions, newest))
}

/// True when the newest numbered version does not hold what the spec asks for.
pub(crate) fn publish_needed(spec: &GuardrailsSpec, g: &ObservedGuardrail) -> bool {
    g.newest
        .as_ref()
        .is_none_or(|n| n.definition.content_view() != spec.guardrail.planned_content_view())
}

/// One write on the numbered versions, decided by [`plan`] and run by [`execute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum VersionOp {
    /// CreateGuardrailVersion from the DRAFT (the client token is keyed on the content and on
    /// `supersedes`), then the wait for READY.
    Publish {
        /// The version in force it supersedes (`None`: the first).
        supersedes: Option<u32>,
    },
    /// Nothing to call: DeleteGuardrail removes every numbered version with the guardrail.
    RemovedWithGuardrail,
}

/// The resource kind of the guardrail's numbered versions: what exists is the guardrail they
/// belong to (its versions and the newest one's content).
pub(crate) struct GuardrailVersion;

impl ResourceKind for GuardrailVersion {
    const KIND: &'static str = "bedrock_guardrail_version";
    type Desired<'a> = GuardrailsSpec;
    type Current = ObservedGuardrail;
    type Op = VersionOp;

    /// The first version with a new guardrail, else a publish when needed.
    fn plan(
        address: &str,
        spec: &GuardrailsSpec,
        observed: Option<&ObservedGuardrail>,
    ) -> Planned<VersionOp> {
        let Some(g) = observed else {
            return Planned::new(
                Change::create(address, Self::KIND, &json!({"version": KNOWN_AFTER_APPLY})),
                vec![VersionOp::Publish { supersedes: None }],
            );
        };
        if !publish_needed(spec, g) {
            return Planned::noop(Change::noop(address, Self::KIND));
        }
        let newest = g.newest_number();
        let action = if newest.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        let change = Change::new(
            address,
            Self::KIND,
            action,
            vec![AttributeChange {
                name: "version".into(),
                before: newest.map(|n| json!(n.to_string())),
                after: Some(json!(KNOWN_AFTER_APPLY)),
                forces_replacement: false,
            }],
        )
        .with_note(
            "publishes a new numbered version from the draft; the model-access policy moves to it",
        );
        Planned::new(change, vec![VersionOp::Publish { supersedes: newest }])
    }
}

impl GuardrailVersion {
    /// The versions' delete, when there are any (DeleteGuardrail takes them along).
    pub(crate) fn plan_delete(g: &ObservedGuardrail) -> Option<Planned<VersionOp>> {
        (!g.versions.is_empty()).then(|| {
            Planned::new(
                Change::delete(VERSION, Self::KIND, &json!({"versions": g.versions}))
                    .with_note("DeleteGuardrail removes every numbered version with the guardrail"),
                vec![VersionOp::RemovedWithGuardrail],
            )
        })
    }
}

/// Publishes the planned version; returns the version in force.
pub(crate) async fn execute(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
    observed: Option<&ObservedGuardrail>,
    planned: &Planned<VersionOp>,
    (id, arn): (&str, &str),
    progress: &dyn Progress,
) -> Result<Option<u32>, GuardrailsError> {
    let mut in_force = observed.and_then(ObservedGuardrail::newest_number);
    for op in &planned.ops {
        let VersionOp::Publish { supersedes } = op else {
            continue;
        };
        let step = Step::start(progress, VERSION, planned.change.action);
        // Keyed on the content and the version it supersedes: a retry of this very publish is
        // deduplicated, while returning to an earlier content later still publishes anew.
        let content = spec.guardrail.content_view().to_string();
        let after = supersedes.unwrap_or(0).to_string();
        let description = format!("published by bedrock-baseline for stack {}", spec.stack);
        let description = description.as_str();
        let send = |token: String| async move {
            let version = api
                .create_guardrail_version(id, description, &token)
                .await?;
            Ok(Created {
                id: id.to_owned(),
                version: Some(version),
                recorded: format!("{arn}:{version}"),
            })
        };
        let parts = [id, content.as_str(), after.as_str()];
        let created = guardrail::create_found(
            api,
            spec,
            ("version", &parts),
            (&step, VERSION),
            progress,
            send,
        )
        .await?;
        step.done();
        in_force = created.version;
    }
    Ok(in_force)
}

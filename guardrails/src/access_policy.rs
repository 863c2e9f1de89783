//! The model-access managed policy: its document (pure, built from the allowed models, the
//! guardrail's ARN and version in force and, when the network module ran, the runtime VPC
//! endpoint), and its observe, plan, apply and destroy.
//!
//! Application roles that get this policy may invoke only the allowed models, only when the
//! request names this guardrail at the version in force, and (with an endpoint) only through the
//! runtime endpoint. The user attaches it to their roles; the tool never does, and refuses to
//! delete it while it is attached. Updates add a policy version, pruning the oldest beyond
//! IAM's five.

use crate::api::{GuardrailsApi, PolicyInfo, PolicyVersionInfo};
use crate::guardrail::KNOWN_AFTER_APPLY;
use crate::module::{GuardrailsObserved, GuardrailsSpec};
use crate::{version, GuardrailsError};
use baseline_core::aws::ApiError;
use baseline_core::config::ConfigIssue;
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::resource::{without_reserved_tags, Planned, ResourceKind, Step, TagDelta};
use baseline_core::write::{create_unless_found, WriteResult};
use baseline_core::{Action, AttributeChange, Change, Config, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Address of the model-access policy.
pub(crate) const POLICY: &str = "guardrails.model_access_policy";
/// IAM keeps at most five versions of a managed policy.
const IAM_POLICY_VERSION_LIMIT: usize = 5;

/// Sid of the invoke statement.
pub const INVOKE_SID: &str = "InvokeAllowedModelsWithGuardrail";
/// Sid of the ApplyGuardrail statement.
pub const APPLY_SID: &str = "ApplyStackGuardrail";
/// Sid of the guardrail-key statement.
pub const DECRYPT_SID: &str = "DecryptGuardrailKey";

/// What the policy allows, apart from the guardrail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelAccess {
    /// Model (or inference-profile) ARNs the roles may invoke.
    pub model_arns: Vec<String>,
    /// The `bedrock-runtime` interface endpoint, when the network module ran.
    pub source_vpce: Option<String>,
    /// The key that encrypts the guardrail and the stack's region (for `kms:ViaService`).
    pub guardrail_key: Option<(String, String)>,
}

impl ModelAccess {
    /// `foundation_models`, or every foundation model in each of `allowed_model_regions` when
    /// that list is empty.
    pub fn from_config(config: &Config, partition: &str, source_vpce: Option<String>) -> Self {
        let model_arns = if config.foundation_models.is_empty() {
            config
                .allowed_model_regions
                .iter()
                .map(|r| format!("arn:{partition}:bedrock:{r}::foundation-model/*"))
                .collect()
        } else {
            config.foundation_models.clone()
        };
        Self {
            model_arns,
            source_vpce,
            guardrail_key: None,
        }
    }

    /// Adds the destination-region model ARNs of the inference profiles (read with
    /// `GetInferenceProfile`).
    pub fn with_profile_models(&self, models: &[String]) -> Self {
        let mut out = self.clone();
        for m in models {
            if !out.model_arns.contains(m) {
                out.model_arns.push(m.clone());
            }
        }
        out
    }

    /// Adds the guardrail's key (`encryption.kms_key_arn`) for the decrypt grant.
    pub fn with_guardrail_key(mut self, key_arn: Option<String>, region: &str) -> Self {
        self.guardrail_key = key_arn.map(|k| (k, region.to_owned()));
        self
    }
}

/// The value of `bedrock:GuardrailIdentifier` that pins a version: `<guardrail arn>:<version>`.
pub fn guardrail_identifier(guardrail_arn: &str, version: &str) -> String {
    format!("{guardrail_arn}:{version}")
}

/// The policy document.
pub fn model_access_policy(
    access: &ModelAccess,
    guardrail_arn: &str,
    guardrail_version: &str,
) -> PolicyDocument {
    // bedrock:InvokeModel also authorizes Converse, and bedrock:InvokeModelWithResponseStream
    // authorizes ConverseStream: IAM has no separate Converse actions.
    let mut invoke = Statement::allow(INVOKE_SID)
        .actions([
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream",
        ])
        .resources(access.model_arns.iter().cloned())
        .condition(
            "StringEquals",
            "bedrock:GuardrailIdentifier",
            [guardrail_identifier(guardrail_arn, guardrail_version)],
        );
    if let Some(vpce) = &access.source_vpce {
        invoke = invoke.condition("StringEquals", "aws:SourceVpce", [vpce.as_str()]);
    }
    // Bedrock checks ApplyGuardrail on the guardrail for every invocation that names it, and the
    // standalone ApplyGuardrail call only evaluates text against it, so it is granted on this
    // guardrail alone without the endpoint condition.
    let apply = Statement::allow(APPLY_SID)
        .actions(["bedrock:ApplyGuardrail"])
        .resources([guardrail_arn]);
    let mut statements = vec![invoke, apply];
    // A role that invokes with a guardrail encrypted by a customer managed key needs
    // kms:Decrypt on that key ("guardrails-permissions-kms":
    // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html);
    // kms:ViaService keeps the grant to Bedrock's use of the key on the role's behalf
    // (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
    if let Some((key, region)) = &access.guardrail_key {
        statements.push(
            Statement::allow(DECRYPT_SID)
                .actions(["kms:Decrypt"])
                .resources([key.as_str()])
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    [format!("bedrock.{region}.amazonaws.com")],
                ),
        );
    }
    PolicyDocument::new(statements)
}

/// The model-access policy as it exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedPolicy {
    /// GetPolicy.
    pub info: PolicyInfo,
    /// The default version's document (`None` if unreadable).
    pub document: Option<PolicyDocument>,
    /// Every version.
    pub versions: Vec<PolicyVersionInfo>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Roles, users and groups it is attached to (`role/<name>`, ...).
    pub attachments: Vec<String>,
}

/// The policy, found by its name-derived ARN; `None` when it does not exist.
pub(crate) async fn observe(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
) -> Result<Option<ObservedPolicy>, GuardrailsError> {
    let Some(info) = api.get_policy(&spec.policy_arn).await? else {
        return Ok(None);
    };
    let arn = info.arn.as_str();
    // Everything else needs only the ARN: read it together, and judge the answers in the order
    // a sequential read would have met them (a foreign policy is refused before any other
    // error is reported).
    let (tags, document, versions, attachments) = futures::join!(
        api.policy_tags(arn),
        api.policy_document(arn, &info.default_version_id),
        api.policy_versions(arn),
        api.policy_attachments(arn),
    );
    let tags = without_reserved_tags(tags?);
    if tags.get(STACK_TAG) != Some(&spec.stack) {
        return Err(GuardrailsError::ForeignPolicy {
            arn: info.arn.clone(),
            stack: spec.stack.clone(),
        });
    }
    let document = PolicyDocument::parse(&document?).ok();
    let versions = versions?;
    let attachments = attachments?;
    Ok(Some(ObservedPolicy {
        info,
        document,
        versions,
        tags,
        attachments,
    }))
}

fn view(
    spec: &GuardrailsSpec,
    path: &str,
    document: Option<&PolicyDocument>,
    tags: &BTreeMap<String, String>,
) -> Value {
    json!({
        "name": spec.policy_name,
        "path": path,
        "document": document.map(|d| d.normalized().to_value()),
        "tags": tags,
    })
}

/// The policy document as the plan sees it: placeholders where the guardrail ARN or the version
/// in force will only be known after apply.
fn planned_document(spec: &GuardrailsSpec, observed: &GuardrailsObserved) -> PolicyDocument {
    let (arn, version) = match &observed.guardrail {
        Some(g) => {
            let version = match g.newest_number() {
                Some(n) if !version::publish_needed(spec, g) => n.to_string(),
                _ => KNOWN_AFTER_APPLY.to_owned(),
            };
            (g.draft.arn.clone(), version)
        }
        None => (KNOWN_AFTER_APPLY.to_owned(), KNOWN_AFTER_APPLY.to_owned()),
    };
    model_access_policy(
        &spec
            .access
            .with_profile_models(&observed.profile_model_arns),
        &arn,
        &version,
    )
}

/// One write on the model-access policy, decided by [`plan`] and run by [`execute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum PolicyOp {
    /// CreatePolicy with the stack tags and the document for the version in force.
    Create,
    /// CreatePolicyVersion (as default) of the document for the version in force; IAM keeps
    /// five versions, so when they are full the oldest non-default one is deleted first.
    NewVersion {
        /// The version deleted first.
        delete_oldest: Option<String>,
    },
    /// UntagPolicy then TagPolicy.
    Tag(TagDelta),
    /// DeletePolicyVersion of every non-default version (IAM refuses otherwise), then
    /// DeletePolicy.
    Delete {
        /// The non-default versions.
        versions: Vec<String>,
    },
}

/// The resource kind of the model-access policy. What exists is the module's whole observation:
/// the document names the guardrail and its version in force, so the policy's desired document
/// depends on the guardrail as found.
pub(crate) struct ModelAccessPolicy;

impl ResourceKind for ModelAccessPolicy {
    const KIND: &'static str = "iam_policy";
    type Desired<'a> = GuardrailsSpec;
    type Current = GuardrailsObserved;
    type Op = PolicyOp;

    /// Create, or its document, path and tags compared with the spec.
    fn plan(
        address: &str,
        spec: &GuardrailsSpec,
        observed: Option<&GuardrailsObserved>,
    ) -> Planned<PolicyOp> {
        let nothing = GuardrailsObserved::default();
        plan_policy(address, spec, observed.unwrap_or(&nothing))
    }
}

fn plan_policy(
    address: &str,
    spec: &GuardrailsSpec,
    observed: &GuardrailsObserved,
) -> Planned<PolicyOp> {
    let kind = ModelAccessPolicy::KIND;
    let document = planned_document(spec, observed);
    let desired = view(spec, &spec.policy_path, Some(&document), &spec.tags);
    let Some(p) = &observed.policy else {
        return Planned::new(
            Change::create(address, kind, &desired),
            vec![PolicyOp::Create],
        );
    };
    let before = view(spec, &p.info.path, p.document.as_ref(), &p.tags);
    let mut change = Change::compare(address, kind, &before, &desired, &["path"]);
    let mut ops = Vec::new();
    if p.document.as_ref().is_none_or(|d| !d.equivalent(&document)) {
        let full = p.versions.len() >= IAM_POLICY_VERSION_LIMIT;
        let delete_oldest = oldest_non_default(&p.versions)
            .filter(|_| full)
            .map(|v| v.version_id.clone());
        if let Some(oldest) = &delete_oldest {
            change = change.with_note(format!(
                "IAM keeps five versions: {oldest} is deleted first"
            ));
        }
        ops.push(PolicyOp::NewVersion { delete_oldest });
    }
    let tags = TagDelta::between(&p.tags, &spec.tags);
    if !tags.is_empty() {
        ops.push(PolicyOp::Tag(tags));
    }
    Planned::new(change, ops)
}

impl ModelAccessPolicy {
    /// The policy's delete, refused in the note while it is attached.
    pub(crate) fn plan_delete(p: &ObservedPolicy) -> Planned<PolicyOp> {
        let change = Change::new(
            POLICY,
            Self::KIND,
            Action::Delete,
            vec![AttributeChange {
                name: "arn".into(),
                before: Some(json!(p.info.arn)),
                after: None,
                forces_replacement: false,
            }],
        );
        let change = if p.attachments.is_empty() {
            change.with_note("every non-default version is deleted first")
        } else {
            change.with_note(format!(
                "refused while attached to {}: detach it first",
                p.attachments.join(", ")
            ))
        };
        let versions = p
            .versions
            .iter()
            .filter(|v| !v.is_default)
            .map(|v| v.version_id.clone())
            .collect();
        Planned::new(change, vec![PolicyOp::Delete { versions }])
    }
}

/// Why the policy cannot go while roles, users or groups use it, with the commands that detach
/// it.
pub(crate) fn attached_error(policy: &ObservedPolicy) -> GuardrailsError {
    let entities = policy.attachments.clone();
    let hint = entities
        .iter()
        .map(|e| {
            let (kind, name) = e.split_once('/').unwrap_or(("role", e));
            format!(
                "aws iam detach-{kind}-policy --{kind}-name {name} --policy-arn {}",
                policy.info.arn
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    GuardrailsError::PolicyAttached {
        policy_arn: policy.info.arn.clone(),
        source: PreconditionFailed {
            issues: vec![ConfigIssue {
                path: "enable_guardrails".into(),
                message: format!(
                    "the model-access policy {} is attached to {}; bedrock-baseline never attaches it and will not detach it for you",
                    policy.info.arn,
                    entities.join(", ")
                ),
                hint: Some(hint),
            }],
        },
    }
}

/// Runs the policy's planned ops with `document`, the policy for the version in force;
/// returns its ARN (`None` once deleted).
pub(crate) async fn execute(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
    observed: Option<&ObservedPolicy>,
    planned: &Planned<PolicyOp>,
    document: Option<&PolicyDocument>,
    progress: &dyn Progress,
) -> Result<Option<String>, GuardrailsError> {
    let mut arn = observed.map(|p| p.info.arn.clone());
    if !planned.is_change() {
        return Ok(arn);
    }
    let step = Step::start(progress, POLICY, planned.change.action);
    for op in &planned.ops {
        match (op, &arn, document) {
            (PolicyOp::Create, _, Some(document)) => {
                let created = match api
                    .create_policy(
                        &spec.policy_name,
                        &spec.policy_path,
                        &spec.policy_description,
                        &document.to_json(),
                        &spec.tags,
                    )
                    .await
                {
                    // observe found no policy of that name: one now is this create's (its
                    // answer was lost and the SDK's retry met it)
                    Err(e) if e.is_already_exists() => {
                        api.get_policy(&spec.policy_arn).await?.ok_or(e)?
                    }
                    other => other?,
                };
                step.exists(created.arn.clone());
                arn = Some(created.arn);
            }
            (PolicyOp::NewVersion { delete_oldest }, Some(arn), Some(document)) => {
                if let Some(oldest) = delete_oldest {
                    api.delete_policy_version(arn, oldest).await.or_gone()?;
                }
                let json = document.to_json();
                create_unless_found(
                    || api.create_policy_version(arn, &json),
                    || default_version_holding(api, arn, document),
                )
                .await?;
            }
            (PolicyOp::Tag(tags), Some(arn), _) => {
                if !tags.remove.is_empty() {
                    api.untag_policy(arn, &tags.remove).await?;
                }
                if !tags.set.is_empty() {
                    api.tag_policy(arn, &tags.set).await?;
                }
            }
            (PolicyOp::Delete { versions }, Some(found), _) => {
                for v in versions {
                    api.delete_policy_version(found, v).await.or_gone()?;
                }
                api.delete_policy(found).await.or_gone()?;
                arn = None;
            }
            // Planned only with a document to write, or for a policy that exists.
            _ => {}
        }
    }
    step.done();
    Ok(arn)
}

/// The default version of the policy when it holds `document`: CreatePolicyVersion has no
/// client token, so after an error that may have taken effect this says whether it did (a blind
/// retry would add a sixth version, which IAM refuses with LimitExceeded, or a duplicate one).
async fn default_version_holding(
    api: &dyn GuardrailsApi,
    arn: &str,
    document: &PolicyDocument,
) -> Result<Option<String>, ApiError> {
    let Some(info) = api.get_policy(arn).await? else {
        return Ok(None);
    };
    let found = api.policy_document(arn, &info.default_version_id).await?;
    Ok(PolicyDocument::parse(&found)
        .is_ok_and(|d| d.equivalent(document))
        .then_some(info.default_version_id))
}

/// The oldest version that is not the default (IAM refuses to delete the default).
fn oldest_non_default(versions: &[PolicyVersionInfo]) -> Option<&PolicyVersionInfo> {
    let number = |v: &PolicyVersionInfo| {
        v.version_id
            .trim_start_matches('v')
            .parse::<u64>()
            .unwrap_or(u64::MAX)
    };
    versions
        .iter()
        .filter(|v| !v.is_default)
        .min_by_key(|v| (v.created, number(v)))
}

#[cfg(test)]
mod tests;

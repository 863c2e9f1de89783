//! The reconcile steps for the guardrail, its numbered versions and the model-access policy.
//!
//! Versions: the diff compares the guardrail's DRAFT with the spec (repaired with
//! UpdateGuardrail) and the newest numbered version with the spec (a new version is published
//! when they differ or none exists). So a config change publishes exactly one version, a crash
//! between update and publish is finished by the next run, drift on the draft alone is repaired
//! without moving the version in force, and a config that changes nothing publishes nothing.

use crate::access_policy::{model_access_policy, ModelAccess};
use crate::api::{GuardrailState, GuardrailsApi, PolicyInfo, PolicyVersionInfo, SdkGuardrailsApi};
use crate::guardrail::{client_token, GuardrailDefinition, KNOWN_AFTER_APPLY};
use crate::GuardrailsError;
use async_trait::async_trait;
use baseline_core::aws::ServiceErrorKind;
use baseline_core::config::ConfigIssue;
use baseline_core::ids::{GuardrailArn, GuardrailId, KmsKeyArn, VpcEndpointId};
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::reconcile::{FromUpstream, PreconditionFailed, Upstream};
use baseline_core::{
    Action, AttributeChange, AwsContext, Change, Config, DestroyOptions, Module, Progress,
    ProgressEvent,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const GUARDRAIL: &str = "guardrails.guardrail";
const VERSION: &str = "guardrails.guardrail_version";
const POLICY: &str = "guardrails.model_access_policy";

/// IAM keeps at most five versions of a managed policy.
const IAM_POLICY_VERSION_LIMIT: usize = 5;
const POLL: Duration = Duration::from_secs(2);

/// Values from upstream modules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardrailsInputs {
    /// `encryption.kms_key_arn`: the CMK that encrypts the guardrail.
    pub kms_key_arn: Option<KmsKeyArn>,
    /// `network.endpoint_ids["bedrock-runtime"]`: when known, the model-access policy admits
    /// invocations only through it.
    pub runtime_endpoint_id: Option<VpcEndpointId>,
}

impl FromUpstream for GuardrailsInputs {
    fn from_upstream(upstream: &Upstream) -> Result<Self, serde_json::Error> {
        let endpoints: Option<BTreeMap<String, VpcEndpointId>> =
            upstream.field("network", "endpoint_ids")?;
        Ok(Self {
            kms_key_arn: upstream.field("encryption", "kms_key_arn")?,
            runtime_endpoint_id: endpoints.and_then(|mut e| e.remove("bedrock-runtime")),
        })
    }
}

/// Desired guardrail and policy.
#[derive(Debug, Clone, PartialEq)]
pub struct GuardrailsSpec {
    /// `enable_guardrails`; when false everything below is to be removed.
    pub enabled: bool,
    /// Stack name, the value of the stack tag.
    pub stack: String,
    /// The guardrail.
    pub guardrail: GuardrailDefinition,
    /// Tags of the guardrail and the policy (module tag `guardrails`).
    pub tags: BTreeMap<String, String>,
    /// `<prefix>-bedrock-model-access`.
    pub policy_name: String,
    /// Its ARN (path `/`).
    pub policy_arn: String,
    /// Policy path.
    pub policy_path: String,
    /// Policy description (set on create; IAM cannot change it).
    pub policy_description: String,
    /// What the policy allows.
    pub access: ModelAccess,
    /// How long to wait for the guardrail to become READY.
    pub wait_timeout: Duration,
}

/// The stack's guardrail as it exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedGuardrail {
    /// Its DRAFT.
    pub draft: GuardrailState,
    /// Tags, without AWS-reserved `aws:` tags.
    pub tags: BTreeMap<String, String>,
    /// Numbered versions, ascending.
    pub versions: Vec<u32>,
    /// The newest numbered version (the version in force).
    pub newest: Option<GuardrailState>,
}

impl ObservedGuardrail {
    fn newest_number(&self) -> Option<u32> {
        self.newest.as_ref().and_then(|n| n.version.parse().ok())
    }
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

/// What exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuardrailsObserved {
    /// The stack's guardrail, found by name or by stack tag.
    pub guardrail: Option<ObservedGuardrail>,
    /// The model-access policy, found by its name-derived ARN.
    pub policy: Option<ObservedPolicy>,
    /// Destination-region model ARNs of the inference profiles in `foundation_models`.
    pub profile_model_arns: Vec<String>,
}

/// What downstream modules and users get; all `None` when `enable_guardrails = false`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardrailsOutputs {
    /// Guardrail id (input of monitoring).
    pub guardrail_id: Option<GuardrailId>,
    /// Guardrail ARN.
    pub guardrail_arn: Option<GuardrailArn>,
    /// The version in force (newest numbered version), e.g. `"2"`.
    pub guardrail_version: Option<String>,
    /// ARN of the model-access managed policy to attach to application roles.
    pub model_access_policy_arn: Option<String>,
}

/// The guardrails module.
pub struct GuardrailsModule<A = SdkGuardrailsApi> {
    api: A,
    ctx: AwsContext,
}

impl GuardrailsModule<SdkGuardrailsApi> {
    /// The module over the SDK clients built from `ctx`.
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            api: SdkGuardrailsApi::new(ctx),
            ctx: ctx.clone(),
        }
    }
}

fn without_aws_tags(mut tags: BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.retain(|k, _| !k.starts_with("aws:"));
    tags
}

/// Keys to remove and tags to set so that `have` becomes `want`.
fn tag_delta(
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let stale = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    let missing = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (stale, missing)
}

fn with_tags(mut view: Value, tags: &BTreeMap<String, String>) -> Value {
    if let Some(obj) = view.as_object_mut() {
        obj.insert("tags".into(), json!(tags));
    }
    view
}

fn desired_guardrail_view(spec: &GuardrailsSpec) -> Value {
    with_tags(spec.guardrail.planned_view(), &spec.tags)
}

fn observed_guardrail_view(g: &ObservedGuardrail) -> Value {
    with_tags(g.draft.definition.view(), &g.tags)
}

/// True when the newest numbered version does not hold what the spec asks for.
fn publish_needed(spec: &GuardrailsSpec, g: &ObservedGuardrail) -> bool {
    g.newest
        .as_ref()
        .is_none_or(|n| n.definition.content_view() != spec.guardrail.planned_content_view())
}

fn policy_view(
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
                Some(n) if !publish_needed(spec, g) => n.to_string(),
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

fn attached_error(policy: &ObservedPolicy) -> GuardrailsError {
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

/// The changes that remove what exists (disabled guardrails, destroy).
fn removal_changes(observed: &GuardrailsObserved) -> Vec<Change> {
    let mut changes = Vec::new();
    if let Some(g) = &observed.guardrail {
        changes.push(Change::delete(
            GUARDRAIL,
            "bedrock_guardrail",
            &observed_guardrail_view(g),
        ));
        if !g.versions.is_empty() {
            changes.push(
                Change::delete(
                    VERSION,
                    "bedrock_guardrail_version",
                    &json!({"versions": g.versions}),
                )
                .with_note("DeleteGuardrail removes every numbered version with the guardrail"),
            );
        }
    }
    if let Some(p) = &observed.policy {
        let change = Change::new(
            POLICY,
            "iam_policy",
            Action::Delete,
            vec![AttributeChange {
                name: "arn".into(),
                before: Some(json!(p.info.arn)),
                after: None,
                forces_replacement: false,
            }],
        );
        changes.push(if p.attachments.is_empty() {
            change.with_note("every non-default version is deleted first")
        } else {
            change.with_note(format!(
                "refused while attached to {}: detach it first",
                p.attachments.join(", ")
            ))
        });
    }
    changes
}

impl<A: GuardrailsApi> GuardrailsModule<A> {
    /// The module over any [`GuardrailsApi`] (mocks, clients with test interceptors).
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        Self {
            api,
            ctx: ctx.clone(),
        }
    }

    async fn observe_guardrail(
        &self,
        spec: &GuardrailsSpec,
    ) -> Result<Option<ObservedGuardrail>, GuardrailsError> {
        let all = self.api.list_guardrails().await?;
        let mut found = None;
        if let Some(g) = all.iter().find(|g| g.name == spec.guardrail.name) {
            let tags = without_aws_tags(self.api.guardrail_tags(&g.arn).await?);
            if tags.get(STACK_TAG) != Some(&spec.stack) {
                return Err(GuardrailsError::ForeignGuardrail {
                    name: g.name.clone(),
                    id: g.id.clone(),
                    stack: spec.stack.clone(),
                });
            }
            found = Some((g.id.clone(), tags));
        } else {
            // Not under its name: `guardrail_name` may have changed. The stack tag finds it, and
            // the diff then shows the rename.
            for g in &all {
                let tags = match self.api.guardrail_tags(&g.arn).await {
                    Ok(tags) => without_aws_tags(tags),
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(e.into()),
                };
                if tags.get(STACK_TAG) == Some(&spec.stack) {
                    found = Some((g.id.clone(), tags));
                    break;
                }
            }
        }
        let Some((id, tags)) = found else {
            return Ok(None);
        };
        // Deleted between list and get: it does not exist.
        let Some(draft) = self.api.get_guardrail(&id, None).await? else {
            return Ok(None);
        };
        let versions = self.api.guardrail_versions(&id).await?;
        let newest = match versions.last() {
            Some(n) => self.api.get_guardrail(&id, Some(*n)).await?,
            None => None,
        };
        Ok(Some(ObservedGuardrail {
            draft,
            tags,
            versions,
            newest,
        }))
    }

    async fn observe_policy(
        &self,
        spec: &GuardrailsSpec,
    ) -> Result<Option<ObservedPolicy>, GuardrailsError> {
        let Some(info) = self.api.get_policy(&spec.policy_arn).await? else {
            return Ok(None);
        };
        let tags = without_aws_tags(self.api.policy_tags(&info.arn).await?);
        if tags.get(STACK_TAG) != Some(&spec.stack) {
            return Err(GuardrailsError::ForeignPolicy {
                arn: info.arn.clone(),
                stack: spec.stack.clone(),
            });
        }
        let document = PolicyDocument::parse(
            &self
                .api
                .policy_document(&info.arn, &info.default_version_id)
                .await?,
        )
        .ok();
        let versions = self.api.policy_versions(&info.arn).await?;
        let attachments = self.api.policy_attachments(&info.arn).await?;
        Ok(Some(ObservedPolicy {
            info,
            document,
            versions,
            tags,
            attachments,
        }))
    }

    /// Polls GetGuardrail until the draft or a version is READY.
    async fn wait_ready(
        &self,
        spec: &GuardrailsSpec,
        id: &str,
        version: Option<u32>,
        address: &str,
        progress: &dyn Progress,
    ) -> Result<(), GuardrailsError> {
        let start = Instant::now();
        loop {
            let status = match self.api.get_guardrail(id, version).await? {
                Some(s) if s.status == "READY" => return Ok(()),
                Some(s) if s.status == "FAILED" => {
                    return Err(GuardrailsError::GuardrailFailed {
                        id: id.to_owned(),
                        version: version.map_or_else(|| "DRAFT".to_owned(), |v| v.to_string()),
                        reasons: s.status_reasons.join("; "),
                    })
                }
                Some(s) => s.status,
                // Just created: reads may lag behind the write.
                None => "NOT_VISIBLE_YET".to_owned(),
            };
            let elapsed = start.elapsed();
            if elapsed >= spec.wait_timeout {
                return Err(GuardrailsError::NotReady {
                    id: id.to_owned(),
                    version: version.map_or_else(|| "DRAFT".to_owned(), |v| v.to_string()),
                    status,
                    waited_secs: elapsed.as_secs(),
                });
            }
            progress.event(ProgressEvent::Waiting {
                address: address.to_owned(),
                status,
                elapsed,
            });
            tokio::time::sleep(POLL.min(spec.wait_timeout.saturating_sub(elapsed))).await;
        }
    }

    /// Creates or repairs the guardrail's draft and tags; returns its id and ARN.
    async fn converge_guardrail(
        &self,
        spec: &GuardrailsSpec,
        observed: Option<&ObservedGuardrail>,
        progress: &dyn Progress,
    ) -> Result<(String, String), GuardrailsError> {
        let def = &spec.guardrail;
        let Some(g) = observed else {
            progress.event(ProgressEvent::Started {
                address: GUARDRAIL.into(),
                action: Action::Create,
            });
            let content = def.view().to_string();
            let token = client_token("guardrail", &[&spec.stack, &def.name, &content]);
            let created = self.api.create_guardrail(def, &spec.tags, &token).await?;
            progress.event(ProgressEvent::Exists {
                address: GUARDRAIL.into(),
                id: created.arn.clone(),
            });
            self.wait_ready(spec, &created.id, None, GUARDRAIL, progress)
                .await?;
            progress.event(ProgressEvent::Finished {
                address: GUARDRAIL.into(),
                action: Action::Create,
            });
            return Ok((created.id, created.arn));
        };
        let (id, arn) = (g.draft.id.clone(), g.draft.arn.clone());
        let draft_differs = g.draft.definition.view() != def.view();
        let (stale, missing) = tag_delta(&g.tags, &spec.tags);
        if draft_differs || !stale.is_empty() || !missing.is_empty() {
            progress.event(ProgressEvent::Started {
                address: GUARDRAIL.into(),
                action: Action::Update,
            });
            if draft_differs {
                self.api.update_guardrail(&id, def).await?;
                self.wait_ready(spec, &id, None, GUARDRAIL, progress)
                    .await?;
            }
            if !stale.is_empty() {
                self.api.untag_guardrail(&arn, &stale).await?;
            }
            if !missing.is_empty() {
                self.api.tag_guardrail(&arn, &missing).await?;
            }
            progress.event(ProgressEvent::Finished {
                address: GUARDRAIL.into(),
                action: Action::Update,
            });
        }
        Ok((id, arn))
    }

    /// Publishes a version when the newest does not hold the spec; returns the version in force.
    async fn converge_version(
        &self,
        spec: &GuardrailsSpec,
        observed: Option<&ObservedGuardrail>,
        id: &str,
        arn: &str,
        progress: &dyn Progress,
    ) -> Result<u32, GuardrailsError> {
        let newest = observed.and_then(ObservedGuardrail::newest_number);
        if let (Some(n), Some(g)) = (newest, observed) {
            if !publish_needed(spec, g) {
                return Ok(n);
            }
        }
        let action = if newest.is_some() {
            Action::Update
        } else {
            Action::Create
        };
        progress.event(ProgressEvent::Started {
            address: VERSION.into(),
            action,
        });
        // Keyed on the content and the version it supersedes: a retry of this very publish is
        // deduplicated, while returning to an earlier content later still publishes anew.
        let content = spec.guardrail.content_view().to_string();
        let after = newest.unwrap_or(0).to_string();
        let token = client_token("version", &[id, &content, &after]);
        let description = format!("published by bedrock-baseline for stack {}", spec.stack);
        let version = self
            .api
            .create_guardrail_version(id, &description, &token)
            .await?;
        progress.event(ProgressEvent::Exists {
            address: VERSION.into(),
            id: format!("{arn}:{version}"),
        });
        self.wait_ready(spec, id, Some(version), VERSION, progress)
            .await?;
        progress.event(ProgressEvent::Finished {
            address: VERSION.into(),
            action,
        });
        Ok(version)
    }

    /// Creates the policy or makes its default version and tags match; returns its ARN.
    async fn converge_policy(
        &self,
        spec: &GuardrailsSpec,
        observed: Option<&ObservedPolicy>,
        document: &PolicyDocument,
        progress: &dyn Progress,
    ) -> Result<String, GuardrailsError> {
        let Some(p) = observed else {
            progress.event(ProgressEvent::Started {
                address: POLICY.into(),
                action: Action::Create,
            });
            let created = match self
                .api
                .create_policy(
                    &spec.policy_name,
                    &spec.policy_path,
                    &spec.policy_description,
                    &document.to_json(),
                    &spec.tags,
                )
                .await
            {
                // observe found no policy of that name: one now is this create's (its answer
                // was lost and the SDK's retry met it)
                Err(e) if e.kind == ServiceErrorKind::AlreadyExists => {
                    self.api.get_policy(&spec.policy_arn).await?.ok_or(e)?
                }
                other => other?,
            };
            progress.event(ProgressEvent::Exists {
                address: POLICY.into(),
                id: created.arn.clone(),
            });
            progress.event(ProgressEvent::Finished {
                address: POLICY.into(),
                action: Action::Create,
            });
            return Ok(created.arn);
        };
        let arn = p.info.arn.clone();
        let document_differs = p.document.as_ref().is_none_or(|d| !d.equivalent(document));
        let (stale, missing) = tag_delta(&p.tags, &spec.tags);
        if !document_differs && stale.is_empty() && missing.is_empty() {
            return Ok(arn);
        }
        progress.event(ProgressEvent::Started {
            address: POLICY.into(),
            action: Action::Update,
        });
        if document_differs {
            if p.versions.len() >= IAM_POLICY_VERSION_LIMIT {
                if let Some(oldest) = oldest_non_default(&p.versions) {
                    match self
                        .api
                        .delete_policy_version(&arn, &oldest.version_id)
                        .await
                    {
                        Err(e) if !e.is_not_found() => return Err(e.into()),
                        _ => {}
                    }
                }
            }
            self.api
                .create_policy_version(&arn, &document.to_json())
                .await?;
        }
        if !stale.is_empty() {
            self.api.untag_policy(&arn, &stale).await?;
        }
        if !missing.is_empty() {
            self.api.tag_policy(&arn, &missing).await?;
        }
        progress.event(ProgressEvent::Finished {
            address: POLICY.into(),
            action: Action::Update,
        });
        Ok(arn)
    }

    /// Deletes the policy (non-default versions first) and the guardrail with its versions.
    async fn remove(
        &self,
        observed: &GuardrailsObserved,
        progress: &dyn Progress,
    ) -> Result<(), GuardrailsError> {
        // Before any write: a policy that roles still use is never pulled from under them.
        if let Some(p) = observed
            .policy
            .as_ref()
            .filter(|p| !p.attachments.is_empty())
        {
            return Err(attached_error(p));
        }
        if let Some(p) = &observed.policy {
            progress.event(ProgressEvent::Started {
                address: POLICY.into(),
                action: Action::Delete,
            });
            for v in p.versions.iter().filter(|v| !v.is_default) {
                match self
                    .api
                    .delete_policy_version(&p.info.arn, &v.version_id)
                    .await
                {
                    Err(e) if !e.is_not_found() => return Err(e.into()),
                    _ => {}
                }
            }
            match self.api.delete_policy(&p.info.arn).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
            progress.event(ProgressEvent::Gone {
                address: POLICY.into(),
            });
        }
        if let Some(g) = &observed.guardrail {
            progress.event(ProgressEvent::Started {
                address: GUARDRAIL.into(),
                action: Action::Delete,
            });
            match self.api.delete_guardrail(&g.draft.id).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            }
            if !g.versions.is_empty() {
                progress.event(ProgressEvent::Gone {
                    address: VERSION.into(),
                });
            }
            progress.event(ProgressEvent::Gone {
                address: GUARDRAIL.into(),
            });
        }
        Ok(())
    }
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

#[async_trait]
impl<A: GuardrailsApi> Module for GuardrailsModule<A> {
    type Inputs = GuardrailsInputs;
    type Spec = GuardrailsSpec;
    type Observed = GuardrailsObserved;
    type Outputs = GuardrailsOutputs;
    type Error = GuardrailsError;

    fn name(&self) -> &'static str {
        "guardrails"
    }

    fn spec(
        &self,
        config: &Config,
        inputs: &GuardrailsInputs,
    ) -> Result<GuardrailsSpec, GuardrailsError> {
        let naming = self.ctx.naming();
        let stack = naming.stack().to_owned();
        let policy_name = naming.name("bedrock-model-access", 128);
        let guardrail = GuardrailDefinition::from_config(
            config,
            &stack,
            inputs.kms_key_arn.as_ref().map(|k| k.as_str().to_owned()),
        );
        Ok(GuardrailsSpec {
            enabled: config.enable_guardrails,
            policy_arn: self.ctx.iam_arn(&format!("policy/{policy_name}")),
            policy_description: format!(
                "bedrock-baseline {stack}: invoke the allowed Bedrock models only through guardrail {}",
                guardrail.name
            ),
            policy_name,
            policy_path: "/".to_owned(),
            access: ModelAccess::from_config(
                config,
                self.ctx.partition(),
                inputs.runtime_endpoint_id.as_ref().map(|v| v.as_str().to_owned()),
            )
            .with_guardrail_key(
                inputs.kms_key_arn.as_ref().map(|k| k.as_str().to_owned()),
                self.ctx.region(),
            ),
            guardrail,
            tags: naming.tags("guardrails"),
            wait_timeout: Duration::from_secs(300),
            stack,
        })
    }

    async fn observe(&self, spec: &GuardrailsSpec) -> Result<GuardrailsObserved, GuardrailsError> {
        let guardrail = self.observe_guardrail(spec).await?;
        let policy = self.observe_policy(spec).await?;
        if let Some(p) = policy
            .as_ref()
            .filter(|p| !spec.enabled && !p.attachments.is_empty())
        {
            // Refuse at plan time already: removing the guardrails would break those roles.
            return Err(attached_error(p));
        }
        // Invoking through a (cross-region) inference profile also needs the foundation-model
        // ARN of every destination region ("Prerequisites for inference profiles":
        // https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html).
        let mut profile_model_arns = Vec::new();
        for profile in spec
            .access
            .model_arns
            .iter()
            .filter(|m| m.contains("inference-profile/"))
        {
            profile_model_arns.extend(self.api.inference_profile_models(profile).await?);
        }
        Ok(GuardrailsObserved {
            guardrail,
            policy,
            profile_model_arns,
        })
    }

    fn diff(&self, spec: &GuardrailsSpec, observed: &GuardrailsObserved) -> Vec<Change> {
        if !spec.enabled {
            return removal_changes(observed)
                .into_iter()
                .map(|c| {
                    if c.note.is_none() {
                        c.with_note("enable_guardrails = false")
                    } else {
                        c
                    }
                })
                .collect();
        }
        let mut changes = Vec::new();
        match &observed.guardrail {
            None => {
                let create = Change::create(
                    GUARDRAIL,
                    "bedrock_guardrail",
                    &desired_guardrail_view(spec),
                );
                changes.push(match grounding_note(spec) {
                    Some(note) => create.with_note(note),
                    None => create,
                });
                changes.push(Change::create(
                    VERSION,
                    "bedrock_guardrail_version",
                    &json!({"version": KNOWN_AFTER_APPLY}),
                ));
            }
            Some(g) => {
                let change = Change::compare(
                    GUARDRAIL,
                    "bedrock_guardrail",
                    &observed_guardrail_view(g),
                    &desired_guardrail_view(spec),
                    &[],
                );
                changes.push(if g.draft.status != "READY" {
                    change.with_note(format!(
                        "the guardrail is {}; apply waits for READY",
                        g.draft.status
                    ))
                } else {
                    change
                });
                let newest = g.newest_number();
                changes.push(if !publish_needed(spec, g) {
                    Change::noop(VERSION, "bedrock_guardrail_version")
                } else {
                    let action = if newest.is_some() { Action::Update } else { Action::Create };
                    Change::new(
                        VERSION,
                        "bedrock_guardrail_version",
                        action,
                        vec![AttributeChange {
                            name: "version".into(),
                            before: newest.map(|n| json!(n.to_string())),
                            after: Some(json!(KNOWN_AFTER_APPLY)),
                            forces_replacement: false,
                        }],
                    )
                    .with_note("publishes a new numbered version from the draft; the model-access policy moves to it")
                });
            }
        }
        let document = planned_document(spec, observed);
        let desired = policy_view(spec, &spec.policy_path, Some(&document), &spec.tags);
        changes.push(match &observed.policy {
            None => Change::create(POLICY, "iam_policy", &desired),
            Some(p) => {
                let before = policy_view(spec, &p.info.path, p.document.as_ref(), &p.tags);
                let change = Change::compare(POLICY, "iam_policy", &before, &desired, &["path"]);
                if change.is_change() && p.versions.len() >= IAM_POLICY_VERSION_LIMIT {
                    let oldest = oldest_non_default(&p.versions)
                        .map(|v| v.version_id.as_str())
                        .unwrap_or("?");
                    change.with_note(format!(
                        "IAM keeps five versions: {oldest} is deleted first"
                    ))
                } else {
                    change
                }
            }
        });
        changes
    }

    fn planned_outputs(
        &self,
        spec: &GuardrailsSpec,
        observed: &GuardrailsObserved,
    ) -> Option<GuardrailsOutputs> {
        if !spec.enabled {
            return Some(GuardrailsOutputs::default());
        }
        let g = observed.guardrail.as_ref()?;
        let version = g.newest_number()?;
        let policy = observed.policy.as_ref()?;
        Some(GuardrailsOutputs {
            guardrail_id: Some(GuardrailId(g.draft.id.clone())),
            guardrail_arn: Some(GuardrailArn(g.draft.arn.clone())),
            guardrail_version: Some(version.to_string()),
            model_access_policy_arn: Some(policy.info.arn.clone()),
        })
    }

    async fn apply(
        &self,
        spec: &GuardrailsSpec,
        observed: &GuardrailsObserved,
        progress: &dyn Progress,
    ) -> Result<GuardrailsOutputs, GuardrailsError> {
        if !spec.enabled {
            self.remove(observed, progress).await?;
            return Ok(GuardrailsOutputs::default());
        }
        if spec.guardrail.kms_key_arn.is_none() {
            return Err(GuardrailsError::MissingKmsKey);
        }
        let (id, arn) = self
            .converge_guardrail(spec, observed.guardrail.as_ref(), progress)
            .await?;
        let version = self
            .converge_version(spec, observed.guardrail.as_ref(), &id, &arn, progress)
            .await?;
        let document = model_access_policy(
            &spec
                .access
                .with_profile_models(&observed.profile_model_arns),
            &arn,
            &version.to_string(),
        );
        let policy_arn = self
            .converge_policy(spec, observed.policy.as_ref(), &document, progress)
            .await?;
        Ok(GuardrailsOutputs {
            guardrail_id: Some(GuardrailId(id)),
            guardrail_arn: Some(GuardrailArn(arn)),
            guardrail_version: Some(version.to_string()),
            model_access_policy_arn: Some(policy_arn),
        })
    }

    fn destroy_plan(
        &self,
        _spec: &GuardrailsSpec,
        observed: &GuardrailsObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        removal_changes(observed)
    }

    async fn destroy(
        &self,
        _spec: &GuardrailsSpec,
        observed: &GuardrailsObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), GuardrailsError> {
        self.remove(observed, progress).await
    }
}

/// What the plan says about the contextual grounding check when it is off (the default; see
/// docs/config-reference.md, "Guardrails"): grounding acts only on requests that carry a
/// grounding source and a query, and AWS does not support it for conversational use
/// (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-contextual-grounding-check.html).
fn grounding_note(spec: &GuardrailsSpec) -> Option<&'static str> {
    spec.guardrail.contextual_grounding.is_empty().then_some(
        "contextual grounding is off (guardrail.contextual_grounding unset): it acts only on requests that carry a grounding source and a query, so scanners' grounding check (Prowler bedrock_guardrail_contextual_grounding_filter_enabled) reports FAIL by this choice; set grounding_threshold and relevance_threshold to turn it on",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{GuardrailSummary, MockGuardrailsApi};
    use baseline_core::aws::{ApiError, ServiceErrorKind};
    use baseline_core::config::{ContentFilter, ContentFilterType, FilterStrength};
    use baseline_core::progress::{NoProgress, RecordedProgress};
    use baseline_core::Naming;

    const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";
    const GR_ARN: &str = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1";

    fn ctx() -> AwsContext {
        AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
    }

    fn config() -> Config {
        Config {
            project: "demo".into(),
            environment: "prod".into(),
            ..Config::default()
        }
    }

    fn inputs() -> GuardrailsInputs {
        GuardrailsInputs {
            kms_key_arn: Some(KmsKeyArn(KEY.into())),
            runtime_endpoint_id: None,
        }
    }

    fn spec_with(config: &Config, inputs: &GuardrailsInputs) -> GuardrailsSpec {
        let m = GuardrailsModule::with_api(MockGuardrailsApi::new(), &ctx());
        let mut spec = m.spec(config, inputs).unwrap();
        spec.wait_timeout = Duration::from_millis(10);
        spec
    }

    fn spec() -> GuardrailsSpec {
        spec_with(&config(), &inputs())
    }

    fn state(def: &GuardrailDefinition, version: &str) -> GuardrailState {
        GuardrailState {
            id: "gr1".into(),
            arn: GR_ARN.into(),
            version: version.into(),
            status: "READY".into(),
            status_reasons: Vec::new(),
            definition: def.clone(),
        }
    }

    fn policy_at(spec: &GuardrailsSpec, version: &str, versions: usize) -> ObservedPolicy {
        ObservedPolicy {
            info: PolicyInfo {
                arn: spec.policy_arn.clone(),
                default_version_id: format!("v{versions}"),
                path: "/".into(),
            },
            document: Some(model_access_policy(&spec.access, GR_ARN, version)),
            versions: (1..=versions)
                .map(|n| PolicyVersionInfo {
                    version_id: format!("v{n}"),
                    is_default: n == versions,
                    created: n as i64,
                })
                .collect(),
            tags: spec.tags.clone(),
            attachments: Vec::new(),
        }
    }

    /// A deployed, converged stack: draft and version 1 hold the spec, the policy names version 1.
    fn converged(spec: &GuardrailsSpec) -> GuardrailsObserved {
        GuardrailsObserved {
            guardrail: Some(ObservedGuardrail {
                draft: state(&spec.guardrail, "DRAFT"),
                tags: spec.tags.clone(),
                versions: vec![1],
                newest: Some(state(&spec.guardrail, "1")),
            }),
            policy: Some(policy_at(spec, "1", 1)),
            profile_model_arns: Vec::new(),
        }
    }

    fn module(api: MockGuardrailsApi) -> GuardrailsModule<MockGuardrailsApi> {
        GuardrailsModule::with_api(api, &ctx())
    }

    fn actions(changes: &[Change]) -> Vec<(&str, Action)> {
        changes
            .iter()
            .map(|c| (c.address.as_str(), c.action))
            .collect()
    }

    fn names(change: &Change) -> Vec<&str> {
        change.attributes.iter().map(|a| a.name.as_str()).collect()
    }

    fn err(op: &'static str, kind: ServiceErrorKind) -> ApiError {
        ApiError::synthetic("bedrock", op, "gr1", kind, "synthetic")
    }

    #[test]
    fn spec_names_guardrail_policy_and_tags_from_the_stack() {
        let spec = spec();
        assert_eq!(spec.guardrail.name, "demo-prod-guardrail");
        assert_eq!(spec.policy_name, "demo-prod-bedrock-model-access");
        assert_eq!(
            spec.policy_arn,
            "arn:aws:iam::123456789012:policy/demo-prod-bedrock-model-access"
        );
        assert_eq!(spec.policy_path, "/");
        assert_eq!(spec.tags["baseline:module"], "guardrails");
        assert_eq!(spec.tags[STACK_TAG], "demo-prod");
        assert_eq!(spec.guardrail.kms_key_arn.as_deref(), Some(KEY));
    }

    #[test]
    fn inputs_come_from_upstream_fields() {
        let upstream = Upstream(BTreeMap::from([
            (
                "encryption".to_owned(),
                json!({"kms_key_arn": KEY, "kms_key_id": "k-1", "kms_alias": "alias/x"}),
            ),
            (
                "network".to_owned(),
                json!({"endpoint_ids": {"bedrock": "vpce-1", "bedrock-runtime": "vpce-2"}}),
            ),
        ]));
        let inputs = GuardrailsInputs::from_upstream(&upstream).unwrap();
        assert_eq!(inputs.kms_key_arn, Some(KmsKeyArn(KEY.into())));
        assert_eq!(
            inputs.runtime_endpoint_id,
            Some(VpcEndpointId("vpce-2".into()))
        );
        assert_eq!(
            GuardrailsInputs::from_upstream(&Upstream::default()).unwrap(),
            GuardrailsInputs::default()
        );
    }

    #[test]
    fn empty_account_plans_guardrail_version_and_policy() {
        let m = module(MockGuardrailsApi::new());
        let spec = spec_with(&config(), &GuardrailsInputs::default());
        let changes = m.diff(&spec, &GuardrailsObserved::default());
        assert_eq!(
            actions(&changes),
            vec![
                (GUARDRAIL, Action::Create),
                (VERSION, Action::Create),
                (POLICY, Action::Create)
            ]
        );
        let kms = changes[0]
            .attributes
            .iter()
            .find(|a| a.name == "kms_key_arn")
            .unwrap();
        assert_eq!(kms.after, Some(json!(KNOWN_AFTER_APPLY)));
        assert!(m
            .planned_outputs(&spec, &GuardrailsObserved::default())
            .is_none());
    }

    #[test]
    fn plan_says_what_the_stack_does_about_the_grounding_check() {
        let m = module(MockGuardrailsApi::new());
        let off = m.diff(&spec(), &GuardrailsObserved::default());
        let note = off[0].note.as_deref().unwrap();
        assert!(note.contains("contextual grounding is off"), "{note}");
        let mut c = config();
        c.guardrail.contextual_grounding = Some(baseline_core::config::ContextualGrounding {
            grounding_threshold: 0.75,
            relevance_threshold: 0.5,
        });
        let on = m.diff(&spec_with(&c, &inputs()), &GuardrailsObserved::default());
        assert!(on[0].note.is_none());
    }

    #[test]
    fn converged_stack_is_all_no_ops_with_outputs_at_the_version_in_force() {
        let m = module(MockGuardrailsApi::new());
        let spec = spec();
        let observed = converged(&spec);
        let changes = m.diff(&spec, &observed);
        assert!(changes.iter().all(|c| !c.is_change()), "{changes:#?}");
        let out = m.planned_outputs(&spec, &observed).unwrap();
        assert_eq!(out.guardrail_version.as_deref(), Some("1"));
        assert_eq!(
            out.model_access_policy_arn.as_deref(),
            Some(spec.policy_arn.as_str())
        );
    }

    #[test]
    fn one_strength_changed_is_exactly_that_attribute_and_a_new_version() {
        let m = module(MockGuardrailsApi::new());
        let before = spec();
        let observed = converged(&before);
        let mut c = config();
        c.content_filters.insert(
            ContentFilterType::Hate,
            ContentFilter {
                input_strength: FilterStrength::Medium,
                output_strength: FilterStrength::High,
            },
        );
        let spec = spec_with(&c, &inputs());
        let changes = m.diff(&spec, &observed);
        assert_eq!(
            actions(&changes),
            vec![
                (GUARDRAIL, Action::Update),
                (VERSION, Action::Update),
                (POLICY, Action::Update)
            ]
        );
        assert_eq!(
            names(&changes[0]),
            vec!["content_filters.HATE.input_strength"]
        );
        assert_eq!(changes[0].attributes[0].before, Some(json!("HIGH")));
        assert_eq!(changes[0].attributes[0].after, Some(json!("MEDIUM")));
        assert_eq!(changes[1].attributes[0].before, Some(json!("1")));
        assert_eq!(
            names(&changes[2]),
            vec!["document.Statement"],
            "the policy follows the new version"
        );
    }

    #[test]
    fn drift_on_the_draft_alone_repairs_the_draft_without_moving_the_version() {
        let m = module(MockGuardrailsApi::new());
        let spec = spec();
        let mut observed = converged(&spec);
        let g = observed.guardrail.as_mut().unwrap();
        g.draft
            .definition
            .content_filters
            .get_mut("VIOLENCE")
            .unwrap()
            .input_strength = "LOW".into();
        let changes = m.diff(&spec, &observed);
        assert_eq!(
            actions(&changes),
            vec![
                (GUARDRAIL, Action::Update),
                (VERSION, Action::NoOp),
                (POLICY, Action::NoOp)
            ]
        );
        assert_eq!(
            names(&changes[0]),
            vec!["content_filters.VIOLENCE.input_strength"]
        );
    }

    #[test]
    fn crash_between_update_and_publish_is_finished_by_publishing() {
        let m = module(MockGuardrailsApi::new());
        let old = spec();
        let mut c = config();
        c.guardrail.word_filters = vec!["project-x".into()];
        let spec = spec_with(&c, &inputs());
        let mut observed = converged(&old);
        observed.guardrail.as_mut().unwrap().draft.definition = spec.guardrail.clone();
        let changes = m.diff(&spec, &observed);
        assert_eq!(
            actions(&changes),
            vec![
                (GUARDRAIL, Action::NoOp),
                (VERSION, Action::Update),
                (POLICY, Action::Update)
            ]
        );
    }

    #[test]
    fn draft_without_any_version_publishes_version_one() {
        let m = module(MockGuardrailsApi::new());
        let spec = spec();
        let mut observed = converged(&spec);
        let g = observed.guardrail.as_mut().unwrap();
        g.versions.clear();
        g.newest = None;
        observed.policy = None;
        let changes = m.diff(&spec, &observed);
        assert_eq!(
            actions(&changes),
            vec![
                (GUARDRAIL, Action::NoOp),
                (VERSION, Action::Create),
                (POLICY, Action::Create)
            ]
        );
    }

    #[test]
    fn tag_drift_is_a_guardrail_update_only() {
        let m = module(MockGuardrailsApi::new());
        let spec = spec();
        let mut observed = converged(&spec);
        observed
            .guardrail
            .as_mut()
            .unwrap()
            .tags
            .insert("extra".into(), "x".into());
        let changes = m.diff(&spec, &observed);
        assert_eq!(names(&changes[0]), vec!["tags.extra"]);
        assert!(!changes[1].is_change());
    }

    #[test]
    fn runtime_endpoint_appearing_updates_the_policy() {
        let m = module(MockGuardrailsApi::new());
        let before = spec();
        let observed = converged(&before);
        let spec = spec_with(
            &config(),
            &GuardrailsInputs {
                runtime_endpoint_id: Some(VpcEndpointId("vpce-0abc".into())),
                ..inputs()
            },
        );
        let changes = m.diff(&spec, &observed);
        assert_eq!(
            actions(&changes),
            vec![
                (GUARDRAIL, Action::NoOp),
                (VERSION, Action::NoOp),
                (POLICY, Action::Update)
            ]
        );
    }

    #[test]
    fn disabled_plans_removal_of_everything_that_exists() {
        let m = module(MockGuardrailsApi::new());
        let mut c = config();
        c.enable_guardrails = false;
        let spec = spec_with(&c, &inputs());
        let changes = m.diff(&spec, &converged(&spec));
        assert_eq!(
            actions(&changes),
            vec![
                (GUARDRAIL, Action::Delete),
                (VERSION, Action::Delete),
                (POLICY, Action::Delete)
            ]
        );
        assert!(m.diff(&spec, &GuardrailsObserved::default()).is_empty());
        assert_eq!(
            m.planned_outputs(&spec, &GuardrailsObserved::default()),
            Some(GuardrailsOutputs::default())
        );
    }

    #[tokio::test]
    async fn converged_apply_makes_no_call_at_all() {
        // A mock without expectations fails on any call.
        let m = module(MockGuardrailsApi::new());
        let spec = spec();
        let out = m
            .apply(&spec, &converged(&spec), &NoProgress)
            .await
            .unwrap();
        assert_eq!(out.guardrail_version.as_deref(), Some("1"));
        assert_eq!(out.guardrail_id, Some(GuardrailId("gr1".into())));
    }

    #[tokio::test]
    async fn create_from_empty_passes_tokens_and_pins_the_policy_to_version_one() {
        let mut api = MockGuardrailsApi::new();
        let spec = spec();
        let def = spec.guardrail.clone();
        api.expect_create_guardrail()
            .times(1)
            .withf(|_, tags, token| {
                tags.contains_key(STACK_TAG) && token.starts_with("baseline-guardrail-")
            })
            .returning(|d, _, _| {
                Ok(GuardrailSummary {
                    id: "gr1".into(),
                    arn: GR_ARN.into(),
                    name: d.name.clone(),
                })
            });
        api.expect_get_guardrail().returning(move |_, v| {
            Ok(Some(state(
                &def,
                &v.map_or("DRAFT".into(), |v| v.to_string()),
            )))
        });
        api.expect_create_guardrail_version()
            .times(1)
            .withf(|id, _, token| id == "gr1" && token.starts_with("baseline-version-"))
            .returning(|_, _, _| Ok(1));
        let expected = format!("{GR_ARN}:1");
        let create_policy =
            api.expect_create_policy()
                .times(1)
                .withf(move |name, path, _, doc, _| {
                    let doc = PolicyDocument::parse(doc).unwrap();
                    name == "demo-prod-bedrock-model-access"
                        && path == "/"
                        && doc
                            .statement(crate::INVOKE_SID)
                            .unwrap()
                            .condition_values("StringEquals", "bedrock:GuardrailIdentifier")
                            .unwrap()
                            .0
                            == vec![expected.clone()]
                });
        let policy_arn = spec.policy_arn.clone();
        create_policy.returning(move |_, _, _, _, _| {
            Ok(PolicyInfo {
                arn: policy_arn.clone(),
                default_version_id: "v1".into(),
                path: "/".into(),
            })
        });
        let m = module(api);
        let out = m
            .apply(&spec, &GuardrailsObserved::default(), &NoProgress)
            .await
            .unwrap();
        assert_eq!(out.guardrail_version.as_deref(), Some("1"));
        assert_eq!(
            out.model_access_policy_arn.as_deref(),
            Some(spec.policy_arn.as_str())
        );
    }

    #[tokio::test]
    async fn access_denied_on_create_is_reported_with_its_operation() {
        let mut api = MockGuardrailsApi::new();
        api.expect_create_guardrail()
            .returning(|_, _, _| Err(err("CreateGuardrail", ServiceErrorKind::AccessDenied)));
        let m = module(api);
        let e = m
            .apply(&spec(), &GuardrailsObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(&e, GuardrailsError::Api(a) if a.kind == ServiceErrorKind::AccessDenied));
        assert!(e.to_string().contains("bedrock:CreateGuardrail"), "{e}");
    }

    #[tokio::test]
    async fn throttling_on_publish_keeps_the_new_guardrail_recorded() {
        let mut api = MockGuardrailsApi::new();
        let spec = spec();
        let def = spec.guardrail.clone();
        api.expect_create_guardrail().returning(|d, _, _| {
            Ok(GuardrailSummary {
                id: "gr1".into(),
                arn: GR_ARN.into(),
                name: d.name.clone(),
            })
        });
        api.expect_get_guardrail()
            .returning(move |_, _| Ok(Some(state(&def, "DRAFT"))));
        api.expect_create_guardrail_version()
            .returning(|_, _, _| Err(err("CreateGuardrailVersion", ServiceErrorKind::Throttled)));
        let m = module(api);
        let progress = RecordedProgress::default();
        let e = m
            .apply(&spec, &GuardrailsObserved::default(), &progress)
            .await
            .unwrap_err();
        assert!(matches!(&e, GuardrailsError::Api(a) if a.kind == ServiceErrorKind::Throttled));
        let events = progress.0.lock().unwrap();
        assert!(events
            .iter()
            .any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == GUARDRAIL)));
    }

    #[tokio::test]
    async fn guardrail_deleted_between_observe_and_apply_fails_with_not_found() {
        let mut api = MockGuardrailsApi::new();
        api.expect_update_guardrail()
            .returning(|_, _| Err(err("UpdateGuardrail", ServiceErrorKind::NotFound)));
        let m = module(api);
        let spec = spec();
        let mut observed = converged(&spec);
        observed
            .guardrail
            .as_mut()
            .unwrap()
            .draft
            .definition
            .blocked_input_messaging = "changed".into();
        let e = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        assert!(matches!(&e, GuardrailsError::Api(a) if a.is_not_found()));
    }

    #[tokio::test]
    async fn guardrail_that_never_becomes_ready_times_out() {
        let mut api = MockGuardrailsApi::new();
        let spec = spec();
        let def = spec.guardrail.clone();
        api.expect_update_guardrail().returning(|_, _| Ok(()));
        api.expect_get_guardrail().returning(move |_, _| {
            Ok(Some(GuardrailState {
                status: "UPDATING".into(),
                ..state(&def, "DRAFT")
            }))
        });
        let m = module(api);
        let mut observed = converged(&spec);
        observed
            .guardrail
            .as_mut()
            .unwrap()
            .draft
            .definition
            .blocked_input_messaging = "changed".into();
        let e = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        assert!(
            matches!(&e, GuardrailsError::NotReady { status, .. } if status == "UPDATING"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn policy_at_five_versions_drops_the_oldest_non_default_first() {
        let mut api = MockGuardrailsApi::new();
        let mut seq = mockall::Sequence::new();
        api.expect_delete_policy_version()
            .times(1)
            .in_sequence(&mut seq)
            .withf(|_, v| v == "v1")
            .returning(|_, _| Ok(()));
        api.expect_create_policy_version()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Ok("v6".into()));
        let m = module(api);
        let spec = spec();
        let mut observed = converged(&spec);
        observed.policy = Some(policy_at(&spec, "0", 5));
        let changes = m.diff(&spec, &observed);
        assert!(changes[2].note.as_deref().unwrap().contains("v1"));
        m.apply(&spec, &observed, &NoProgress).await.unwrap();
    }

    #[tokio::test]
    async fn disabled_with_an_attached_policy_is_refused_before_any_write() {
        let m = module(MockGuardrailsApi::new());
        let mut c = config();
        c.enable_guardrails = false;
        let spec = spec_with(&c, &inputs());
        let mut observed = converged(&spec);
        observed.policy.as_mut().unwrap().attachments = vec!["role/app".into()];
        let e = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        let GuardrailsError::PolicyAttached { source, .. } = &e else {
            panic!("{e}")
        };
        assert!(source.issues[0].message.contains("role/app"));
        assert!(source.issues[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("detach-role-policy --role-name app"));
        let e = m
            .destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(e, GuardrailsError::PolicyAttached { .. }));
    }

    #[tokio::test]
    async fn destroy_deletes_non_default_policy_versions_then_the_policy_then_the_guardrail() {
        let mut api = MockGuardrailsApi::new();
        let mut seq = mockall::Sequence::new();
        for v in ["v1", "v2"] {
            api.expect_delete_policy_version()
                .times(1)
                .in_sequence(&mut seq)
                .withf(move |_, id| id == v)
                .returning(|_, _| Ok(()));
        }
        api.expect_delete_policy()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Ok(()));
        api.expect_delete_guardrail()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_| Err(err("DeleteGuardrail", ServiceErrorKind::NotFound)));
        let m = module(api);
        let spec = spec();
        let mut observed = converged(&spec);
        observed.policy = Some(policy_at(&spec, "1", 3));
        let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
        assert_eq!(
            actions(&plan),
            vec![
                (GUARDRAIL, Action::Delete),
                (VERSION, Action::Delete),
                (POLICY, Action::Delete)
            ]
        );
        m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn guardrail_of_another_stack_under_our_name_is_refused() {
        let mut api = MockGuardrailsApi::new();
        api.expect_list_guardrails().returning(|| {
            Ok(vec![GuardrailSummary {
                id: "gr9".into(),
                arn: GR_ARN.into(),
                name: "demo-prod-guardrail".into(),
            }])
        });
        api.expect_guardrail_tags()
            .returning(|_| Ok(BTreeMap::from([(STACK_TAG.to_owned(), "other".to_owned())])));
        let m = module(api);
        let e = m.observe(&spec()).await.unwrap_err();
        assert!(matches!(e, GuardrailsError::ForeignGuardrail { .. }), "{e}");
    }

    #[tokio::test]
    async fn apply_without_the_kms_key_is_refused() {
        let m = module(MockGuardrailsApi::new());
        let spec = spec_with(&config(), &GuardrailsInputs::default());
        let e = m
            .apply(&spec, &GuardrailsObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(e, GuardrailsError::MissingKmsKey));
    }
}

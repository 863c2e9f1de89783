//! The guardrails module: wires the guardrail (`guardrail.rs`), its numbered versions
//! (`version.rs`) and the model-access policy (`access_policy.rs`) into one [`Module`].
//!
//! Order: apply converges the guardrail's draft, then publishes a version when needed, then
//! points the policy at the version in force; removal deletes the policy first (refused while
//! it is attached), then the guardrail with its versions.

use crate::access_policy::{
    self, model_access_policy, ModelAccess, ModelAccessPolicy, ObservedPolicy, PolicyOp, POLICY,
};
use crate::api::{GuardrailsApi, SdkGuardrailsApi};
use crate::guardrail::{
    self, BedrockGuardrail, GuardrailDefinition, GuardrailOp, ObservedGuardrail, GUARDRAIL,
};
use crate::version::{self, GuardrailVersion, VersionOp, VERSION};
use crate::GuardrailsError;
use async_trait::async_trait;
use baseline_core::ids::{GuardrailArn, GuardrailId, KmsKeyArn, VpcEndpointId};
use baseline_core::reconcile::{FromUpstream, Upstream};
use baseline_core::resource::{Planned, ResourceKind};
use baseline_core::{AwsContext, Change, Config, DestroyOptions, Module, Progress};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

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
    const UPSTREAM: &'static [&'static str] = &["encryption", "network"];
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

/// The changes that remove what exists (disabled guardrails, destroy).
/// The module's plan, decided once by [`plan`]: what `diff` shows is what `apply` runs.
struct GuardrailsPlan {
    /// The guardrail's draft and tags (or its delete).
    guardrail: Option<Planned<GuardrailOp>>,
    /// The numbered versions' publish (or their removal with the guardrail).
    version: Option<Planned<VersionOp>>,
    /// The model-access policy's (or its delete; a removal deletes it before the guardrail,
    /// whose version it names).
    policy: Option<Planned<PolicyOp>>,
}

/// `remove`: the plan that deletes what exists (guardrails off, destroy).
fn plan(spec: &GuardrailsSpec, observed: &GuardrailsObserved, remove: bool) -> GuardrailsPlan {
    let g = observed.guardrail.as_ref();
    if remove {
        return GuardrailsPlan {
            guardrail: g.map(BedrockGuardrail::plan_delete),
            version: g.and_then(GuardrailVersion::plan_delete),
            policy: observed.policy.as_ref().map(ModelAccessPolicy::plan_delete),
        };
    }
    GuardrailsPlan {
        guardrail: Some(BedrockGuardrail::plan(GUARDRAIL, spec, g)),
        version: Some(GuardrailVersion::plan(VERSION, spec, g)),
        policy: Some(ModelAccessPolicy::plan(POLICY, spec, Some(observed))),
    }
}

impl GuardrailsPlan {
    /// Guardrail, versions, policy: the order a plan lists them.
    fn changes(self) -> Vec<Change> {
        let guardrail = self.guardrail.map(Planned::shown);
        let version = self.version.map(Planned::shown);
        let policy = self.policy.map(Planned::shown);
        guardrail.into_iter().chain(version).chain(policy).collect()
    }
}

impl<A: GuardrailsApi> GuardrailsModule<A> {
    /// The module over any [`GuardrailsApi`] (mocks, clients with test interceptors).
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        Self {
            api,
            ctx: ctx.clone(),
        }
    }

    /// Deletes the policy (non-default versions first) and the guardrail with its versions.
    async fn remove(
        &self,
        spec: &GuardrailsSpec,
        observed: &GuardrailsObserved,
        progress: &dyn Progress,
    ) -> Result<(), GuardrailsError> {
        // Before any write: a policy that roles still use is never pulled from under them.
        if let Some(p) = observed
            .policy
            .as_ref()
            .filter(|p| !p.attachments.is_empty())
        {
            return Err(access_policy::attached_error(p));
        }
        let plan = plan(spec, observed, true);
        if let Some(p) = &plan.policy {
            access_policy::execute(&self.api, spec, observed.policy.as_ref(), p, None, progress)
                .await?;
        }
        if let Some(g) = &plan.guardrail {
            let found = observed.guardrail.as_ref();
            guardrail::execute(&self.api, spec, found, g, progress).await?;
        }
        Ok(())
    }
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
        // The guardrail, the policy (found by its deterministic name) and the inference
        // profiles are independent: read them together.
        let policy = async {
            let policy = access_policy::observe(&self.api, spec).await?;
            if let Some(p) = policy
                .as_ref()
                .filter(|p| !spec.enabled && !p.attachments.is_empty())
            {
                // Refuse at plan time already: removing the guardrails would break those roles.
                return Err(access_policy::attached_error(p));
            }
            Ok(policy)
        };
        // Invoking through a (cross-region) inference profile also needs the foundation-model
        // ARN of every destination region ("Prerequisites for inference profiles":
        // https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html).
        let profiles = async {
            let models = futures::future::try_join_all(
                spec.access
                    .model_arns
                    .iter()
                    .filter(|m| m.contains("inference-profile/"))
                    .map(|profile| self.api.inference_profile_models(profile)),
            )
            .await?;
            Ok::<_, GuardrailsError>(models.into_iter().flatten().collect())
        };
        let (guardrail, policy, profile_model_arns) =
            futures::try_join!(guardrail::observe(&self.api, spec), policy, profiles)?;
        Ok(GuardrailsObserved {
            guardrail,
            policy,
            profile_model_arns,
        })
    }

    /// Observe looks up the guardrail and the policy by the stack's names and reads the
    /// config's inference profiles; the upstream key and endpoint only shape what is written.
    fn observes_alike(
        &self,
        before: &GuardrailsSpec,
        now: &GuardrailsSpec,
        _: &GuardrailsObserved,
    ) -> bool {
        before.enabled == now.enabled
            && before.stack == now.stack
            && before.guardrail.name == now.guardrail.name
            && before.policy_arn == now.policy_arn
            && before.access.model_arns == now.access.model_arns
    }

    fn diff(&self, spec: &GuardrailsSpec, observed: &GuardrailsObserved) -> Vec<Change> {
        if !spec.enabled {
            return plan(spec, observed, true)
                .changes()
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
        plan(spec, observed, false).changes()
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
            self.remove(spec, observed, progress).await?;
            return Ok(GuardrailsOutputs::default());
        }
        if spec.guardrail.kms_key_arn.is_none() {
            return Err(GuardrailsError::MissingKmsKey);
        }
        let plan = plan(spec, observed, false);
        let (Some(g), Some(v), Some(p)) = (&plan.guardrail, &plan.version, &plan.policy) else {
            unreachable!("an apply plan plans every resource");
        };
        let found = observed.guardrail.as_ref();
        let (id, arn) = guardrail::execute(&self.api, spec, found, g, progress)
            .await?
            .expect("the guardrail exists once its plan ran");
        let version = version::execute(&self.api, spec, found, v, (&id, &arn), progress)
            .await?
            .expect("a version is in force once its plan ran");
        let document = model_access_policy(
            &spec
                .access
                .with_profile_models(&observed.profile_model_arns),
            &arn,
            &version.to_string(),
        );
        let found = observed.policy.as_ref();
        let policy_arn =
            access_policy::execute(&self.api, spec, found, p, Some(&document), progress)
                .await?
                .expect("the policy exists once its plan ran");
        Ok(GuardrailsOutputs {
            guardrail_id: Some(GuardrailId(id)),
            guardrail_arn: Some(GuardrailArn(arn)),
            guardrail_version: Some(version.to_string()),
            model_access_policy_arn: Some(policy_arn),
        })
    }

    fn destroy_plan(
        &self,
        spec: &GuardrailsSpec,
        observed: &GuardrailsObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        plan(spec, observed, true).changes()
    }

    async fn destroy(
        &self,
        spec: &GuardrailsSpec,
        observed: &GuardrailsObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), GuardrailsError> {
        self.remove(spec, observed, progress).await
    }
}

#[cfg(test)]
mod tests;

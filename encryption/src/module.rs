//! The encryption module: wires the key (`kms_key.rs`) and its alias (`kms_alias.rs`).

use crate::api::{KeyDescription, KmsApi, SdkKmsApi};
use crate::key::{key_policy, KeyPolicyContext};
use crate::kms_alias::{self, AliasDesired, AliasOp, KmsAlias, ALIAS};
use crate::kms_key::{self, KeyOp, KmsKey, KEY};
use crate::EncryptionError;
use async_trait::async_trait;
use baseline_core::event_rules;
use baseline_core::ids::KmsKeyArn;
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::resource::{without_reserved_tags, Planned, ResourceKind};
use baseline_core::{AwsContext, Change, Config, DestroyOptions, Module, Progress};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Desired key and alias.
#[derive(Debug, Clone, PartialEq)]
pub struct EncryptionSpec {
    /// `alias/<prefix>-bedrock`.
    pub alias: String,
    /// Key description.
    pub description: String,
    /// The key policy.
    pub policy: PolicyDocument,
    /// Tags, stack tags included.
    pub tags: BTreeMap<String, String>,
    /// Days between ScheduleKeyDeletion and deletion (7..=30).
    pub deletion_window_days: i32,
    /// Stack name, the value of the stack tag.
    pub stack: String,
}

/// What exists of the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedKey {
    /// DescribeKey.
    pub description: KeyDescription,
    /// Rotation status (false while pending deletion, when KMS cannot tell).
    pub rotation: bool,
    /// The key policy (`None` if unreadable).
    pub policy: Option<PolicyDocument>,
    /// Tags, without AWS-reserved `aws:` tags.
    pub tags: BTreeMap<String, String>,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EncryptionObserved {
    /// The stack's key, found by alias or by stack tag.
    pub key: Option<ObservedKey>,
    /// The key id the alias points at, if the alias exists.
    pub alias_target: Option<String>,
}

/// What downstream modules and users get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionOutputs {
    /// Key ARN (input of logging, alerting, guardrails).
    pub kms_key_arn: KmsKeyArn,
    /// Key id.
    pub kms_key_id: String,
    /// Alias name.
    pub kms_alias: String,
}

/// The encryption module.
pub struct EncryptionModule<A = SdkKmsApi> {
    api: A,
    ctx: AwsContext,
}

impl EncryptionModule<SdkKmsApi> {
    /// The module over the SDK client built from `ctx`.
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            api: SdkKmsApi::new(ctx),
            ctx: ctx.clone(),
        }
    }
}

impl<A: KmsApi> EncryptionModule<A> {
    /// The module over any [`KmsApi`] (mocks, clients with test interceptors).
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        Self {
            api,
            ctx: ctx.clone(),
        }
    }

    async fn observe_key(&self, key_id: &str) -> Result<Option<ObservedKey>, EncryptionError> {
        // Rotation, policy and tags need only the key's id, so they are read beside DescribeKey
        // (one round trip less on every plan). What they answer for a key that does not exist,
        // and rotation's answer for a key pending deletion, is not looked at: those were the
        // cases the reads used to be skipped for.
        let (description, rotation, policy, tags) = tokio::join!(
            self.api.describe_key(key_id),
            self.api.rotation_enabled(key_id),
            self.api.key_policy(key_id),
            self.api.tags(key_id),
        );
        let Some(description) = description? else {
            return Ok(None);
        };
        let rotation = if description.state == "PendingDeletion" {
            false
        } else {
            rotation?
        };
        let (policy, tags) = (policy?, without_reserved_tags(tags?));
        let policy = PolicyDocument::parse(&policy).ok();
        Ok(Some(ObservedKey {
            description,
            rotation,
            policy,
            tags,
        }))
    }
}

#[async_trait]
impl<A: KmsApi> Module for EncryptionModule<A> {
    type Inputs = ();
    type Spec = EncryptionSpec;
    type Observed = EncryptionObserved;
    type Outputs = EncryptionOutputs;
    type Error = EncryptionError;

    fn name(&self) -> &'static str {
        "encryption"
    }

    fn spec(&self, config: &Config, _inputs: &()) -> Result<EncryptionSpec, EncryptionError> {
        let naming = self.ctx.naming();
        let policy = key_policy(&KeyPolicyContext {
            partition: self.ctx.partition().to_owned(),
            account_id: self.ctx.account_id().to_owned(),
            region: self.ctx.region().to_owned(),
            prefix: naming.stack().to_owned(),
            log_group_prefix: naming.log_group_prefix(),
            event_rule_arns: event_rules::publishing_rule_arns(
                config,
                naming,
                (
                    self.ctx.partition(),
                    self.ctx.region(),
                    self.ctx.account_id(),
                ),
                None,
            ),
        });
        Ok(EncryptionSpec {
            alias: naming.key_alias(),
            description: format!(
                "bedrock-baseline {}: Bedrock invocation logs, guardrails and alert topics",
                naming.stack()
            ),
            policy,
            tags: naming.tags("encryption"),
            deletion_window_days: i32::try_from(config.kms_deletion_window_days).unwrap_or(30),
            stack: naming.stack().to_owned(),
        })
    }

    async fn observe(&self, spec: &EncryptionSpec) -> Result<EncryptionObserved, EncryptionError> {
        let alias_target = self.api.alias_target(&spec.alias).await?;
        if let Some(target) = &alias_target {
            if let Some(key) = self.observe_key(target).await? {
                if key.tags.get(STACK_TAG) != Some(&spec.stack) {
                    return Err(EncryptionError::ForeignAlias {
                        alias: spec.alias.clone(),
                        key_id: target.clone(),
                        stack: spec.stack.clone(),
                    });
                }
                return Ok(EncryptionObserved {
                    key: Some(key),
                    alias_target,
                });
            }
        }
        // No usable alias: a crash may have left the key without it. Find it by the stack tag,
        // preferring a usable key, then the newest.
        let mut candidates = Vec::new();
        for id in self.api.keys_with_tag(STACK_TAG, &spec.stack).await? {
            if let Some(key) = self.observe_key(&id).await? {
                candidates.push(key);
            }
        }
        candidates.sort_by_key(|k| (k.description.state == "Enabled", k.description.created));
        Ok(EncryptionObserved {
            key: candidates.pop(),
            alias_target,
        })
    }

    fn diff(&self, spec: &EncryptionSpec, observed: &EncryptionObserved) -> Vec<Change> {
        let (key, alias) = plan(spec, observed);
        vec![key.shown(), alias.shown()]
    }

    fn planned_outputs(
        &self,
        spec: &EncryptionSpec,
        observed: &EncryptionObserved,
    ) -> Option<EncryptionOutputs> {
        observed.key.as_ref().map(|k| outputs(spec, &k.description))
    }

    async fn apply(
        &self,
        spec: &EncryptionSpec,
        observed: &EncryptionObserved,
        progress: &dyn Progress,
    ) -> Result<EncryptionOutputs, EncryptionError> {
        let (key_plan, alias_plan) = plan(spec, observed);
        let current = observed.key.as_ref().map(|k| &k.description);
        let key = kms_key::execute(&self.api, &spec.stack, current, &key_plan, progress)
            .await?
            .expect("a key exists once its plan ran");
        kms_alias::execute(&self.api, &spec.alias, &key.key_id, &alias_plan, progress).await?;
        Ok(outputs(spec, &key))
    }

    fn destroy_plan(
        &self,
        spec: &EncryptionSpec,
        observed: &EncryptionObserved,
        options: DestroyOptions,
    ) -> Vec<Change> {
        let (key, alias) = plan_destroy(spec, observed, options);
        key.into_iter()
            .map(Planned::shown)
            .chain(alias.map(Planned::shown))
            .collect()
    }

    async fn destroy(
        &self,
        spec: &EncryptionSpec,
        observed: &EncryptionObserved,
        options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), EncryptionError> {
        // Destroy runs the dependency graph in reverse, so logging has deleted the audit data (or failed,
        // and this never runs) before the key it needs is scheduled for deletion. The alias goes
        // first: an alias naming a key pending deletion would look usable.
        let (key, alias) = plan_destroy(spec, observed, options);
        let current = observed.key.as_ref().map(|k| &k.description);
        if let Some(alias) = alias {
            let key_id = current.map(|k| k.key_id.as_str()).unwrap_or_default();
            kms_alias::execute(&self.api, &spec.alias, key_id, &alias, progress).await?;
        }
        if let Some(key) = key {
            kms_key::execute(&self.api, &spec.stack, current, &key, progress).await?;
        }
        Ok(())
    }
}

/// The key's and the alias's plans: what `diff` shows is what `apply` executes.
fn plan(
    spec: &EncryptionSpec,
    observed: &EncryptionObserved,
) -> (Planned<KeyOp>, Planned<AliasOp>) {
    let key = KmsKey::plan(KEY, spec, observed.key.as_ref());
    let alias = KmsAlias::plan(
        ALIAS,
        &AliasDesired {
            name: spec.alias.clone(),
            key_id: observed.key.as_ref().map(|k| k.description.key_id.clone()),
        },
        observed.alias_target.as_ref(),
    );
    (key, alias)
}

fn plan_destroy(
    spec: &EncryptionSpec,
    observed: &EncryptionObserved,
    options: DestroyOptions,
) -> (Option<Planned<KeyOp>>, Option<Planned<AliasOp>>) {
    (
        KmsKey::plan_destroy(KEY, spec, observed.key.as_ref(), options),
        KmsAlias::plan_destroy(ALIAS, &spec.alias, observed.alias_target.as_ref(), options),
    )
}

fn outputs(spec: &EncryptionSpec, key: &KeyDescription) -> EncryptionOutputs {
    EncryptionOutputs {
        kms_key_arn: KmsKeyArn(key.arn.clone()),
        kms_key_id: key.key_id.clone(),
        kms_alias: spec.alias.clone(),
    }
}

#[cfg(test)]
mod tests;

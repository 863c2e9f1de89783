//! The `kms_key` resource: one symmetric customer-managed key with rotation on. Its plan and its
//! apply are one decision: [`KmsKey::plan`] returns the displayed change and the [`KeyOp`]s, and
//! [`execute`] runs exactly those.

use crate::api::{KeyDescription, KmsApi};
use crate::module::{EncryptionSpec, ObservedKey};
use crate::EncryptionError;
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::resource::{Planned, ResourceKind, Step, TagDelta};
use baseline_core::write::create_unless_found;
use baseline_core::{Change, DestroyOptions, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Address of the stack's key.
pub(crate) const KEY: &str = "encryption.kms_key";

const KEPT_WITH_AUDIT_DATA: &str =
    "kept, enabled, with its alias and policy: it encrypts the audit data destroy keeps (pass --delete-audit-data to delete both)";

/// The resource kind.
pub struct KmsKey;

/// One write on the key, in the order apply sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum KeyOp {
    /// `CreateKey` (found by stack tag first if its answer was lost), then `EnableKeyRotation`.
    Create {
        /// Key description.
        description: String,
        /// Key policy.
        policy: PolicyDocument,
        /// Tags, stack tags included.
        tags: BTreeMap<String, String>,
    },
    /// `CancelKeyDeletion` (leaves the key Disabled), then `EnableKey`.
    CancelDeletion,
    /// `EnableKey`.
    Enable,
    /// The key is in a state no write repairs (pending import, unavailable): apply stops.
    Refuse {
        /// The KMS key state.
        state: String,
    },
    /// `UpdateKeyDescription`.
    UpdateDescription {
        /// The description wanted.
        description: String,
    },
    /// `PutKeyPolicy`.
    PutPolicy {
        /// The policy wanted.
        policy: PolicyDocument,
    },
    /// `EnableKeyRotation`.
    EnableRotation,
    /// `UntagResource` then `TagResource`.
    Tag(TagDelta),
    /// `ScheduleKeyDeletion`, never an immediate delete.
    ScheduleDeletion {
        /// Days until KMS deletes it.
        window_days: i32,
    },
}

fn desired_view(spec: &EncryptionSpec) -> Value {
    json!({
        "description": spec.description,
        "key_spec": "SYMMETRIC_DEFAULT",
        "key_usage": "ENCRYPT_DECRYPT",
        "key_state": "Enabled",
        "enable_key_rotation": true,
        "policy": spec.policy.normalized().to_value(),
        "tags": spec.tags,
    })
}

fn current_view(key: &ObservedKey) -> Value {
    json!({
        "description": key.description.description,
        "key_spec": "SYMMETRIC_DEFAULT",
        "key_usage": "ENCRYPT_DECRYPT",
        "key_state": key.description.state,
        "enable_key_rotation": key.rotation,
        "policy": key.policy.as_ref().map(|p| p.normalized().to_value()),
        "tags": key.tags,
    })
}

impl ResourceKind for KmsKey {
    const KIND: &'static str = "kms_key";
    type Desired<'a> = EncryptionSpec;
    type Current = ObservedKey;
    type Op = KeyOp;

    fn plan(address: &str, spec: &EncryptionSpec, key: Option<&ObservedKey>) -> Planned<KeyOp> {
        let Some(key) = key else {
            return Planned::new(
                Change::create(address, Self::KIND, &desired_view(spec)),
                vec![KeyOp::Create {
                    description: spec.description.clone(),
                    policy: spec.policy.clone(),
                    tags: spec.tags.clone(),
                }],
            );
        };
        let mut change = Change::compare(
            address,
            Self::KIND,
            &current_view(key),
            &desired_view(spec),
            &[],
        );
        if !change.is_change() {
            return Planned::noop(change);
        }
        let pending = key.description.state == "PendingDeletion";
        let mut ops = match key.description.state.as_str() {
            "Enabled" => vec![],
            "PendingDeletion" => vec![KeyOp::CancelDeletion],
            "Disabled" => vec![KeyOp::Enable],
            other => vec![KeyOp::Refuse {
                state: other.to_owned(),
            }],
        };
        if key.description.description != spec.description {
            ops.push(KeyOp::UpdateDescription {
                description: spec.description.clone(),
            });
        }
        if key.policy.as_ref().map(PolicyDocument::normalized) != Some(spec.policy.normalized()) {
            ops.push(KeyOp::PutPolicy {
                policy: spec.policy.clone(),
            });
        }
        // KMS cannot tell rotation while a key is pending deletion: turn it on again after the
        // cancel whatever it was.
        if !key.rotation || pending {
            ops.push(KeyOp::EnableRotation);
        }
        let tags = TagDelta::between(&key.tags, &spec.tags);
        if !tags.is_empty() {
            ops.push(KeyOp::Tag(tags));
        }
        if pending {
            change = change.with_note(
                "the key is pending deletion: apply cancels the deletion and re-enables it",
            );
        }
        Planned::new(change, ops)
    }
}

impl KmsKey {
    /// What destroy does with the key: keep it while the audit data it encrypts is kept, else
    /// schedule its deletion (after that data is gone: destroy runs the levels in reverse).
    pub(crate) fn plan_destroy(
        address: &str,
        spec: &EncryptionSpec,
        key: Option<&ObservedKey>,
        options: DestroyOptions,
    ) -> Option<Planned<KeyOp>> {
        let key = key?;
        let pending = key.description.state == "PendingDeletion";
        if !options.delete_audit_data {
            return Some(Planned::noop(Change::noop(address, Self::KIND).with_note(
                if pending {
                    "already pending deletion: the kept audit data becomes unreadable when it is deleted; `apply` cancels the deletion".to_owned()
                } else {
                    format!("{KEPT_WITH_AUDIT_DATA}; a later apply of this stack adopts it")
                },
            )));
        }
        if pending {
            return Some(Planned::noop(
                Change::noop(address, Self::KIND).with_note("already pending deletion"),
            ));
        }
        Some(Planned::new(
            Change::delete(address, Self::KIND, &current_view(key)).with_note(format!(
                "scheduled for deletion in {} days, only after the audit data it encrypts is deleted, never at once (cancel with kms:CancelKeyDeletion)",
                spec.deletion_window_days
            )),
            vec![KeyOp::ScheduleDeletion {
                window_days: spec.deletion_window_days,
            }],
        ))
    }
}

/// Runs the planned operations on `key` (`None`: not created yet) and returns the key they
/// leave. `stack` finds a created key again when the answer to `CreateKey` was lost.
pub(crate) async fn execute(
    api: &impl KmsApi,
    stack: &str,
    key: Option<&KeyDescription>,
    planned: &Planned<KeyOp>,
    progress: &dyn Progress,
) -> Result<Option<KeyDescription>, EncryptionError> {
    let mut key = key.cloned();
    if !planned.is_change() {
        return Ok(key);
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    for op in &planned.ops {
        if let KeyOp::Create {
            description,
            policy,
            tags,
        } = op
        {
            let policy = policy.to_json();
            let created = create_unless_found(
                || api.create_key(description, &policy, tags),
                || async {
                    // observe found no key of the stack: one tagged now is this create's
                    let ids = api.keys_with_tag(STACK_TAG, stack).await?;
                    match ids.first() {
                        Some(id) => api.describe_key(id).await,
                        None => Ok(None),
                    }
                },
            )
            .await?;
            step.exists(created.arn.clone());
            api.enable_rotation(&created.key_id).await?;
            key = Some(created);
            continue;
        }
        let id = key
            .as_ref()
            .map(|k| k.key_id.clone())
            .expect("the plan creates the key before any other operation on it");
        match op {
            KeyOp::Create { .. } => unreachable!("handled above"),
            KeyOp::CancelDeletion => {
                api.cancel_deletion(&id).await?;
                api.enable_key(&id).await?;
            }
            KeyOp::Enable => api.enable_key(&id).await?,
            KeyOp::Refuse { state } => {
                return Err(EncryptionError::UnusableKey {
                    key_id: id,
                    state: state.clone(),
                })
            }
            KeyOp::UpdateDescription { description } => {
                api.update_description(&id, description).await?;
            }
            KeyOp::PutPolicy { policy } => api.put_key_policy(&id, &policy.to_json()).await?,
            KeyOp::EnableRotation => api.enable_rotation(&id).await?,
            KeyOp::Tag(delta) => {
                if !delta.remove.is_empty() {
                    api.untag(&id, &delta.remove).await?;
                }
                if !delta.set.is_empty() {
                    api.tag(&id, &delta.set).await?;
                }
            }
            KeyOp::ScheduleDeletion { window_days } => {
                match api.schedule_deletion(&id, *window_days).await {
                    Err(e) if !e.is_not_found() => return Err(e.into()),
                    _ => {}
                }
            }
        }
    }
    step.done();
    Ok(key)
}

#[cfg(test)]
mod tests;

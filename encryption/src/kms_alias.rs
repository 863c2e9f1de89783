//! The `kms_alias` resource: `alias/<prefix>-bedrock`, naming the stack's key.

use crate::api::KmsApi;
use crate::EncryptionError;
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::{Change, DestroyOptions, Progress};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Address of the stack's alias.
pub(crate) const ALIAS: &str = "encryption.kms_alias";

/// The resource kind.
pub struct KmsAlias;

/// The alias wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasDesired {
    /// `alias/<prefix>-bedrock`.
    pub name: String,
    /// The key it should name; `None` while the key is still to be created.
    pub key_id: Option<String>,
}

/// One write on the alias. The target is the key as `apply` leaves it, known only then when
/// the key is created in the same run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AliasOp {
    /// `CreateAlias` naming the stack's key.
    Create,
    /// `UpdateAlias` to the stack's key.
    Retarget,
    /// `DeleteAlias`.
    Delete,
}

impl ResourceKind for KmsAlias {
    const KIND: &'static str = "kms_alias";
    type Desired<'a> = AliasDesired;
    /// The key id the alias names now.
    type Current = String;
    type Op = AliasOp;

    fn plan(address: &str, desired: &AliasDesired, target: Option<&String>) -> Planned<AliasOp> {
        let after = json!({
            "name": desired.name,
            "target_key_id": desired.key_id.clone().unwrap_or_else(|| "(known after apply)".into()),
        });
        match (target, &desired.key_id) {
            (None, _) => Planned::new(
                Change::create(address, Self::KIND, &after),
                vec![AliasOp::Create],
            ),
            (Some(target), Some(key)) if target == key => {
                Planned::noop(Change::noop(address, Self::KIND))
            }
            (Some(target), _) => Planned::new(
                Change::compare(
                    address,
                    Self::KIND,
                    &json!({"name": desired.name, "target_key_id": target}),
                    &after,
                    &[],
                ),
                vec![AliasOp::Retarget],
            ),
        }
    }
}

impl KmsAlias {
    /// The alias goes with the key: kept while the key is kept.
    pub(crate) fn plan_destroy(
        address: &str,
        name: &str,
        target: Option<&String>,
        options: DestroyOptions,
    ) -> Option<Planned<AliasOp>> {
        let target = target?;
        Some(if options.delete_audit_data {
            Planned::new(
                Change::delete(
                    address,
                    Self::KIND,
                    &json!({"name": name, "target_key_id": target}),
                ),
                vec![AliasOp::Delete],
            )
        } else {
            Planned::noop(Change::noop(address, Self::KIND).with_note("kept with the key it names"))
        })
    }
}

/// Runs the planned operations; `key_id` is the stack's key as apply left it.
pub(crate) async fn execute(
    api: &impl KmsApi,
    name: &str,
    key_id: &str,
    planned: &Planned<AliasOp>,
    progress: &dyn Progress,
) -> Result<(), EncryptionError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    for op in &planned.ops {
        match op {
            AliasOp::Create => {
                match api.create_alias(name, key_id).await {
                    // the retry of a create whose answer was lost: done if it names this key
                    Err(e) if e.is_already_exists() => {
                        if api.alias_target(name).await?.as_deref() != Some(key_id) {
                            return Err(e.into());
                        }
                    }
                    other => other?,
                }
                step.exists(name);
            }
            AliasOp::Retarget => api.update_alias(name, key_id).await?,
            AliasOp::Delete => match api.delete_alias(name).await {
                Err(e) if !e.is_not_found() => return Err(e.into()),
                _ => {}
            },
        }
    }
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

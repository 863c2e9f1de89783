//! KMS reads: every key a resource references (DescribeKey, rotation) and the key policies the
//! key rules judge. Which keys: the stack's alias and every key the other reads name.

use super::Reader;
use crate::inventory::*;
use baseline_core::policy::PolicyDocument;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};

/// The keys phase 1's lists name: the stack's alias and the keys of agents, data sources,
/// custom models, prompts, flows, imported models and batch-inference jobs.
#[allow(clippy::too_many_arguments)]
pub(super) fn listed_refs(
    stack: Option<&StackScope>,
    agents: &Read<Vec<Agent>>,
    knowledge_bases: &Read<Vec<KnowledgeBase>>,
    custom_models: &Read<Vec<CustomModel>>,
    prompts: &Read<Vec<Prompt>>,
    flows: &Read<Vec<Flow>>,
    imported_models: &Read<Vec<ImportedModel>>,
    invocation_jobs: &Read<Vec<InvocationJob>>,
) -> BTreeSet<String> {
    let mut refs: BTreeSet<String> = stack.map(|s| s.key_alias.clone()).into_iter().collect();
    let set = |k: &Read<Option<String>>| k.as_ref().ok().and_then(Option::clone);
    refs.extend(
        agents
            .iter()
            .flatten()
            .filter_map(|a| a.detail.as_ref().ok()?.customer_key_arn.clone()),
    );
    refs.extend(
        knowledge_bases
            .iter()
            .flatten()
            .flat_map(|kb| kb.data_sources.iter().flatten())
            .filter_map(|ds| set(&ds.kms_key_arn)),
    );
    refs.extend(
        custom_models
            .iter()
            .flatten()
            .filter_map(|m| set(&m.kms_key_arn)),
    );
    refs.extend(prompts.iter().flatten().filter_map(|p| set(&p.key)));
    refs.extend(
        flows
            .iter()
            .flatten()
            .filter_map(|f| f.detail.as_ref().ok()?.key.clone()),
    );
    refs.extend(imported_models.iter().flatten().filter_map(|m| set(&m.key)));
    refs.extend(
        invocation_jobs
            .iter()
            .flatten()
            .filter_map(|j| set(&j.output_key)),
    );
    refs
}

/// The keys phase 2 names: guardrail versions', the invocation log group's and KMS-encrypted
/// buckets'.
pub(super) fn found_refs(
    guardrails: &Read<Vec<Guardrail>>,
    log_groups: &BTreeMap<String, Read<Option<LogGroup>>>,
    buckets: &BTreeMap<String, Read<Bucket>>,
) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    refs.extend(
        guardrails
            .iter()
            .flatten()
            .flat_map(|g| &g.versions)
            .filter_map(|v| v.detail.as_ref().ok()?.kms_key_arn.clone()),
    );
    refs.extend(
        log_groups
            .values()
            .filter_map(|g| g.as_ref().ok()?.as_ref()?.kms_key_id.clone()),
    );
    for b in buckets.values().flatten() {
        if let Ok(Some((algo, Some(k)))) = &b.encryption {
            if algo == "aws:kms" || algo == "aws:kms:dsse" {
                refs.insert(k.clone());
            }
        }
    }
    refs
}

/// Described keys and the key policies read, both by the reference a resource used.
type Keys = (
    BTreeMap<String, Read<Key>>,
    BTreeMap<String, Read<PolicyDocument>>,
);

impl Reader {
    /// Describes every reference; then, side by side once its key is described, its rotation
    /// (customer keys) and the policy of each key the key rules judge (the stack's, else every
    /// customer key), by key ARN: GetKeyPolicy takes no alias
    /// (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
    pub(super) async fn keys(&self, refs: BTreeSet<String>, stack: Option<&StackScope>) -> Keys {
        let read = join_all(refs.into_iter().map(|r| async move {
            let judged = stack.is_none_or(|s| r == s.key_alias);
            let (key, policy) = self.key(&r, judged).await;
            (r, key, policy)
        }))
        .await;
        let mut keys = BTreeMap::new();
        let mut policies = BTreeMap::new();
        for (r, key, policy) in read {
            if let Some(p) = policy {
                policies.insert(r.clone(), p);
            }
            keys.insert(r, key);
        }
        (keys, policies)
    }

    /// `kms:DescribeKey`, then for a customer key `GetKeyRotationStatus` and, when `judged`,
    /// `GetKeyPolicy`.
    async fn key(
        &self,
        reference: &str,
        judged: bool,
    ) -> (Read<Key>, Option<Read<PolicyDocument>>) {
        let meta = match self
            .call(
                "kms:DescribeKey",
                self.kms.describe_key().key_id(reference).send(),
            )
            .await
            .and_then(|o| {
                o.key_metadata
                    .ok_or_else(|| Missing::Failed("DescribeKey returned no KeyMetadata".into()))
            }) {
            Ok(m) => m,
            Err(m) => return (Err(m), None),
        };
        let manager = meta.key_manager().map(|k| k.as_str().to_owned());
        let arn = meta
            .arn()
            .map_or_else(|| reference.to_owned(), str::to_owned);
        let customer = manager.as_deref() == Some("CUSTOMER");
        let rotation = async {
            if !customer {
                return Ok(None);
            }
            self.call(
                "kms:GetKeyRotationStatus",
                self.kms
                    .get_key_rotation_status()
                    .key_id(meta.key_id())
                    .send(),
            )
            .await
            .map(|r| Some(r.key_rotation_enabled()))
        };
        let policy = async {
            if customer && judged {
                Some(self.key_policy(&arn).await)
            } else {
                None
            }
        };
        let (rotation, policy) = tokio::join!(rotation, policy);
        let key = Key {
            arn,
            manager,
            state: meta.key_state().map(|s| s.as_str().to_owned()),
            spec: meta.key_spec().map(|s| s.as_str().to_owned()),
            multi_region: meta.multi_region(),
            rotation,
        };
        (Ok(key), policy)
    }

    /// `kms:GetKeyPolicy` (the only policy name is `default`,
    /// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
    async fn key_policy(&self, key: &str) -> Read<PolicyDocument> {
        let out = self
            .call(
                "kms:GetKeyPolicy",
                self.kms
                    .get_key_policy()
                    .key_id(key)
                    .policy_name("default")
                    .send(),
            )
            .await?;
        PolicyDocument::parse(out.policy().unwrap_or_default())
            .map_err(|e| Missing::Failed(format!("key policy did not parse: {e}")))
    }
}

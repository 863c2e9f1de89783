//! Bedrock reads of the stack rules: invocation logging, guardrails (DRAFT and every version in
//! use) and custom models.

use super::{failed, list_missing, non_empty, Reader};
use crate::inventory::*;
use baseline_core::policy::PolicyDocument;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};

/// Guardrail id → the published versions something uses.
pub(super) type UsedVersions = BTreeMap<String, BTreeSet<String>>;

/// The guardrail versions agents route to (DRAFT and alias-routed versions) and the ones the
/// stack's model-access policy pins, so a fix made only to the DRAFT does not hide a weak
/// published version.
pub(super) fn versions_in_use(
    agents: &Read<Vec<Agent>>,
    model_access: Option<&Read<PolicyDocument>>,
) -> UsedVersions {
    let mut used = UsedVersions::new();
    for a in agents.iter().flatten() {
        let draft = a.detail.as_ref().ok().and_then(|d| d.guardrail.clone());
        let routed = a
            .extras
            .versions
            .iter()
            .flatten()
            .map(|v| v.guardrail.clone());
        for (id, v) in std::iter::once(draft).chain(routed).flatten() {
            if let Some(v) = v {
                let id = id.rsplit('/').next().unwrap_or(&id).to_owned();
                used.entry(id).or_default().insert(v);
            }
        }
    }
    if let Some(Ok(doc)) = model_access {
        for pin in doc
            .statement
            .iter()
            .filter_map(|s| s.condition_values("StringEquals", "bedrock:GuardrailIdentifier"))
            .flat_map(|v| v.0.iter())
        {
            // `<guardrail arn>:<version>`; the guardrail id is the last path segment.
            if let Some((gr, version)) = pin.rsplit_once(':') {
                if let Some(id) = gr.rsplit('/').next() {
                    used.entry(id.to_owned())
                        .or_default()
                        .insert(version.to_owned());
                }
            }
        }
    }
    used
}

impl Reader {
    /// The stack's model-access policy (`None` without one): the guardrail version it makes
    /// applications use is judged too.
    pub(super) async fn model_access_policy(
        &self,
        stack: Option<&StackScope>,
    ) -> Option<Read<PolicyDocument>> {
        let name = stack.and_then(|s| s.model_access_policy.as_ref())?;
        let arn = format!(
            "arn:{}:iam::{}:policy/{name}",
            self.partition, self.account_id
        );
        let policy = self.managed_policy(&arn).await;
        if let Err(m) = &policy {
            tracing::warn!(policy = %arn, reason = m.reason(), "model-access policy not read: only DRAFT and agents' guardrail versions are judged");
        }
        Some(policy)
    }

    /// `bedrock:GetModelInvocationLoggingConfiguration`.
    pub(super) async fn logging(&self) -> Read<Option<LoggingConfig>> {
        let out = self
            .call_as(
                "bedrock:GetModelInvocationLoggingConfiguration",
                list_missing,
                self.bedrock
                    .get_model_invocation_logging_configuration()
                    .send(),
            )
            .await?;
        let config = out.logging_config().map(|c| LoggingConfig {
            log_group: c
                .cloud_watch_config()
                .and_then(|w| non_empty(w.log_group_name())),
            bucket: c.s3_config().and_then(|s| non_empty(s.bucket_name())),
            text_data_delivery: c.text_data_delivery_enabled(),
            large_data_bucket: c
                .cloud_watch_config()
                .and_then(|w| w.large_data_delivery_s3_config())
                .and_then(|s| non_empty(s.bucket_name())),
        });
        // A configuration with no destination delivers nothing: logging is off (Prowler's
        // reading too: "FAIL if loggingConfig empty").
        Ok(config.filter(|c| c.log_group.is_some() || c.bucket.is_some()))
    }

    /// `bedrock:ListGuardrails`: (id, arn, name) of every guardrail.
    pub(super) async fn guardrail_list(&self) -> Read<Vec<(String, String, String)>> {
        self.paged(
            "bedrock:ListGuardrails",
            list_missing,
            |t| self.bedrock.list_guardrails().set_next_token(t).send(),
            |p| {
                p.guardrails()
                    .iter()
                    .map(|g| (g.id().to_owned(), g.arn().to_owned(), g.name().to_owned()))
                    .collect()
            },
        )
        .await
    }

    /// Every listed guardrail with DRAFT and the versions in use, side by side.
    pub(super) async fn guardrails(
        &self,
        list: Read<Vec<(String, String, String)>>,
        used: &UsedVersions,
    ) -> Read<Vec<Guardrail>> {
        Ok(join_all(list?.into_iter().map(|(id, arn, name)| {
            let versions = used.get(&id).cloned().unwrap_or_default();
            self.guardrail(id, arn, name, versions)
        }))
        .await)
    }

    async fn guardrail(
        &self,
        id: String,
        arn: String,
        name: String,
        mut versions: BTreeSet<String>,
    ) -> Guardrail {
        versions.insert("DRAFT".into());
        let tags = async {
            self.call(
                "bedrock:ListTagsForResource",
                self.bedrock
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send(),
            )
            .await
            .map(|o| {
                o.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect()
            })
        };
        let latest = async {
            let numbers = self
                .paged(
                    "bedrock:ListGuardrails(guardrailIdentifier)",
                    failed,
                    |t| {
                        self.bedrock
                            .list_guardrails()
                            .guardrail_identifier(&id)
                            .set_next_token(t)
                            .send()
                    },
                    |p| {
                        p.guardrails()
                            .iter()
                            .filter_map(|g| g.version().parse::<u64>().ok())
                            .collect()
                    },
                )
                .await?;
            Ok(numbers.into_iter().max().map(|n| n.to_string()))
        };
        let details = join_all(versions.into_iter().map(|v| {
            let mut req = self.bedrock.get_guardrail().guardrail_identifier(&id);
            if v != "DRAFT" {
                req = req.guardrail_version(&v);
            }
            async move {
                let detail = self
                    .call("bedrock:GetGuardrail", req.send())
                    .await
                    .map(|g| guardrail_detail(&g));
                GuardrailVersion { version: v, detail }
            }
        }));
        let (tags, latest_version, versions) = tokio::join!(tags, latest, details);
        Guardrail {
            id,
            arn,
            name,
            tags,
            latest_version,
            versions,
        }
    }

    /// `bedrock:ListCustomModels(isOwned)` + `GetCustomModel`.
    pub(super) async fn custom_models(&self) -> Read<Vec<CustomModel>> {
        let summaries = self
            .paged(
                "bedrock:ListCustomModels",
                list_missing,
                |t| {
                    self.bedrock
                        .list_custom_models()
                        .is_owned(true)
                        .set_next_token(t)
                        .send()
                },
                |p| {
                    p.model_summaries()
                        .iter()
                        .map(|m| (m.model_arn().to_owned(), m.model_name().to_owned()))
                        .collect()
                },
            )
            .await;
        self.detailed(
            summaries,
            "bedrock:GetCustomModel",
            |(arn, _)| self.bedrock.get_custom_model().model_identifier(arn).send(),
            |(arn, name), got| CustomModel {
                arn,
                name,
                kms_key_arn: got.map(|m| m.model_kms_key_arn().map(str::to_owned)),
            },
        )
        .await
    }
}

fn guardrail_detail(
    g: &aws_sdk_bedrock::operation::get_guardrail::GetGuardrailOutput,
) -> GuardrailDetail {
    GuardrailDetail {
        status: Some(g.status().as_str().to_owned()),
        kms_key_arn: g.kms_key_arn().map(str::to_owned),
        content_filters: g.content_policy().map(|c| {
            c.filters()
                .iter()
                .map(|f| ContentFilter {
                    kind: f.r#type().as_str().to_owned(),
                    input_strength: non_empty(f.input_strength().as_str()),
                    output_strength: non_empty(f.output_strength().as_str()),
                })
                .collect()
        }),
        sensitive_info: g.sensitive_information_policy().map(|s| SensitiveInfo {
            entries: s
                .pii_entities()
                .iter()
                .map(|p| SensitiveEntry {
                    name: p.r#type().as_str().to_owned(),
                    action: non_empty(p.action().as_str()),
                    output_action: p.output_action().map(|a| a.as_str().to_owned()),
                    output_enabled: p.output_enabled(),
                })
                .chain(s.regexes().iter().map(|r| SensitiveEntry {
                    name: r.name().to_owned(),
                    action: non_empty(r.action().as_str()),
                    output_action: r.output_action().map(|a| a.as_str().to_owned()),
                    output_enabled: r.output_enabled(),
                }))
                .collect(),
        }),
        grounding_filters: g.contextual_grounding_policy().map(|c| {
            c.filters()
                .iter()
                .map(|f| GroundingFilter {
                    kind: f.r#type().as_str().to_owned(),
                    threshold: Some(f.threshold()),
                    action: f.action().map(|a| a.as_str().to_owned()),
                    enabled: f.enabled(),
                })
                .collect()
        }),
        denied_topics: g.topic_policy().map(|t| t.topics().len()),
        word_filters: g
            .word_policy()
            .map(|w| w.words().len() + w.managed_word_lists().len()),
        content_tier: g
            .content_policy()
            .and_then(|c| c.tier())
            .map(|t| t.tier_name().as_str().to_owned()),
        automated_reasoning: g.automated_reasoning_policy().map(|a| a.policies().len()),
    }
}

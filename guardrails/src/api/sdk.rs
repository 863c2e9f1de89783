//! `SdkGuardrailsApi`: the trait over the AWS SDK clients (request building, pagination, error
//! mapping). Kept apart from the trait so the contract reads on one page.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::guardrail::{DeniedTopic, FilterStrengths, GuardrailDefinition, RegexFilter};
use async_trait::async_trait;
use aws_sdk_bedrock::types as bt;
use aws_smithy_types::error::operation::BuildError;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::AwsContext;
use std::collections::BTreeMap;

/// [`GuardrailsApi`] over the SDK clients.
#[derive(Debug, Clone)]
pub struct SdkGuardrailsApi {
    bedrock: aws_sdk_bedrock::Client,
    iam: aws_sdk_iam::Client,
}

impl SdkGuardrailsApi {
    /// Clients from the context (they record their calls in the context's call log).
    pub fn new(ctx: &AwsContext) -> Self {
        let bedrock = aws_sdk_bedrock::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        let iam = aws_sdk_iam::config::Builder::from(ctx.sdk())
            .interceptor(ctx.call_recorder())
            .build();
        Self {
            bedrock: aws_sdk_bedrock::Client::from_conf(bedrock),
            iam: aws_sdk_iam::Client::from_conf(iam),
        }
    }

    /// Wraps existing clients (tests inject interceptors this way).
    pub fn from_clients(bedrock: aws_sdk_bedrock::Client, iam: aws_sdk_iam::Client) -> Self {
        Self { bedrock, iam }
    }
}

fn bedrock_err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_bedrock::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_bedrock::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("bedrock", op, target, e)
}

fn iam_err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_iam::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("iam", op, target, e)
}

fn build_err<'a>(
    service: &'static str,
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(BuildError) -> ApiError + 'a {
    move |e| {
        ApiError::synthetic(
            service,
            op,
            target,
            ServiceErrorKind::Validation,
            &format!("request not built: {e}"),
        )
    }
}

/// Not found maps to `None`, everything else stays an error.
fn absent<T>(r: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The policy configs of a create or update request.
struct PolicyConfigs {
    content: Option<bt::GuardrailContentPolicyConfig>,
    sensitive: Option<bt::GuardrailSensitiveInformationPolicyConfig>,
    topics: Option<bt::GuardrailTopicPolicyConfig>,
    words: Option<bt::GuardrailWordPolicyConfig>,
    grounding: Option<bt::GuardrailContextualGroundingPolicyConfig>,
}

/// Each policy is sent only when it has entries: the API rejects empty lists, and an omitted
/// policy in UpdateGuardrail removes it, which is what an emptied config means.
fn policy_configs(d: &GuardrailDefinition) -> Result<PolicyConfigs, BuildError> {
    let content = if d.content_filters.is_empty() {
        None
    } else {
        let filters = d
            .content_filters
            .iter()
            .map(|(kind, f)| {
                bt::GuardrailContentFilterConfig::builder()
                    .r#type(bt::GuardrailContentFilterType::from(kind.as_str()))
                    .input_strength(bt::GuardrailFilterStrength::from(f.input_strength.as_str()))
                    .output_strength(bt::GuardrailFilterStrength::from(
                        f.output_strength.as_str(),
                    ))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(
            bt::GuardrailContentPolicyConfig::builder()
                .set_filters_config(Some(filters))
                .build()?,
        )
    };
    let sensitive = if d.pii_entities.is_empty() && d.regexes.is_empty() {
        None
    } else {
        let pii = d
            .pii_entities
            .iter()
            .map(|(kind, action)| {
                bt::GuardrailPiiEntityConfig::builder()
                    .r#type(bt::GuardrailPiiEntityType::from(kind.as_str()))
                    .action(bt::GuardrailSensitiveInformationAction::from(
                        action.as_str(),
                    ))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let regexes = d
            .regexes
            .iter()
            .map(|(name, r)| {
                bt::GuardrailRegexConfig::builder()
                    .name(name)
                    .pattern(&r.pattern)
                    .action(bt::GuardrailSensitiveInformationAction::from(
                        r.action.as_str(),
                    ))
                    .set_description(r.description.clone())
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(
            bt::GuardrailSensitiveInformationPolicyConfig::builder()
                .set_pii_entities_config((!pii.is_empty()).then_some(pii))
                .set_regexes_config((!regexes.is_empty()).then_some(regexes))
                .build(),
        )
    };
    let topics = if d.denied_topics.is_empty() {
        None
    } else {
        let topics = d
            .denied_topics
            .iter()
            .map(|(name, t)| {
                bt::GuardrailTopicConfig::builder()
                    .name(name)
                    .definition(&t.definition)
                    .set_examples((!t.examples.is_empty()).then(|| t.examples.clone()))
                    .r#type(bt::GuardrailTopicType::Deny)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(
            bt::GuardrailTopicPolicyConfig::builder()
                .set_topics_config(Some(topics))
                .build()?,
        )
    };
    let words = if d.words.is_empty() && d.managed_word_lists.is_empty() {
        None
    } else {
        let words = d
            .words
            .iter()
            .map(|w| bt::GuardrailWordConfig::builder().text(w).build())
            .collect::<Result<Vec<_>, _>>()?;
        let lists = d
            .managed_word_lists
            .iter()
            .map(|l| {
                bt::GuardrailManagedWordsConfig::builder()
                    .r#type(bt::GuardrailManagedWordsType::from(l.as_str()))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(
            bt::GuardrailWordPolicyConfig::builder()
                .set_words_config((!words.is_empty()).then_some(words))
                .set_managed_word_lists_config((!lists.is_empty()).then_some(lists))
                .build(),
        )
    };
    let grounding = if d.contextual_grounding.is_empty() {
        None
    } else {
        let filters = d
            .contextual_grounding
            .iter()
            .map(|(kind, threshold)| {
                bt::GuardrailContextualGroundingFilterConfig::builder()
                    .r#type(bt::GuardrailContextualGroundingFilterType::from(
                        kind.as_str(),
                    ))
                    .threshold(*threshold)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Some(
            bt::GuardrailContextualGroundingPolicyConfig::builder()
                .set_filters_config(Some(filters))
                .build()?,
        )
    };
    Ok(PolicyConfigs {
        content,
        sensitive,
        topics,
        words,
        grounding,
    })
}

fn definition_of(
    out: &aws_sdk_bedrock::operation::get_guardrail::GetGuardrailOutput,
) -> GuardrailDefinition {
    let content_filters = out
        .content_policy()
        .map(|p| {
            p.filters()
                .iter()
                .map(|f| {
                    (
                        f.r#type().as_str().to_owned(),
                        FilterStrengths {
                            input_strength: f.input_strength().as_str().to_owned(),
                            output_strength: f.output_strength().as_str().to_owned(),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let sensitive = out.sensitive_information_policy();
    let pii_entities = sensitive
        .map(|s| {
            s.pii_entities()
                .iter()
                .map(|e| {
                    (
                        e.r#type().as_str().to_owned(),
                        e.action().as_str().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let regexes = sensitive
        .map(|s| {
            s.regexes()
                .iter()
                .map(|r| {
                    (
                        r.name().to_owned(),
                        RegexFilter {
                            pattern: r.pattern().to_owned(),
                            action: r.action().as_str().to_owned(),
                            description: r.description().map(str::to_owned),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let denied_topics = out
        .topic_policy()
        .map(|p| {
            p.topics()
                .iter()
                .map(|t| {
                    (
                        t.name().to_owned(),
                        DeniedTopic {
                            definition: t.definition().to_owned(),
                            examples: t.examples().to_vec(),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let words = out
        .word_policy()
        .map(|p| p.words().iter().map(|w| w.text().to_owned()).collect())
        .unwrap_or_default();
    let managed_word_lists = out
        .word_policy()
        .map(|p| {
            p.managed_word_lists()
                .iter()
                .map(|l| l.r#type().as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let contextual_grounding = out
        .contextual_grounding_policy()
        .map(|p| {
            p.filters()
                .iter()
                .map(|f| (f.r#type().as_str().to_owned(), f.threshold()))
                .collect()
        })
        .unwrap_or_default();
    GuardrailDefinition {
        name: out.name().to_owned(),
        description: out.description().map(str::to_owned),
        kms_key_arn: out.kms_key_arn().map(str::to_owned),
        content_filters,
        pii_entities,
        regexes,
        denied_topics,
        words,
        managed_word_lists,
        contextual_grounding,
        blocked_input_messaging: out.blocked_input_messaging().to_owned(),
        blocked_outputs_messaging: out.blocked_outputs_messaging().to_owned(),
    }
}

fn bedrock_tags(tags: &BTreeMap<String, String>) -> Result<Vec<bt::Tag>, BuildError> {
    tags.iter()
        .map(|(k, v)| bt::Tag::builder().key(k).value(v).build())
        .collect()
}

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<aws_sdk_iam::types::Tag>, BuildError> {
    tags.iter()
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
        .collect()
}

fn policy_info(p: &aws_sdk_iam::types::Policy) -> PolicyInfo {
    PolicyInfo {
        arn: p.arn().unwrap_or_default().to_owned(),
        default_version_id: p.default_version_id().unwrap_or_default().to_owned(),
        path: p.path().unwrap_or("/").to_owned(),
    }
}

#[async_trait]
impl GuardrailsApi for SdkGuardrailsApi {
    async fn inference_profile_models(&self, profile_arn: &str) -> Result<Vec<String>, ApiError> {
        let out = self
            .bedrock
            .get_inference_profile()
            .inference_profile_identifier(profile_arn)
            .send()
            .await
            .map_err(bedrock_err("GetInferenceProfile", profile_arn))?;
        Ok(out
            .models()
            .iter()
            .filter_map(|m| m.model_arn().map(str::to_owned))
            .collect())
    }

    async fn list_guardrails(&self) -> Result<Vec<GuardrailSummary>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self.bedrock.list_guardrails().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(bedrock_err("ListGuardrails", "region"))?;
            for g in page.guardrails() {
                found.push(GuardrailSummary {
                    id: g.id().to_owned(),
                    arn: g.arn().to_owned(),
                    name: g.name().to_owned(),
                });
            }
        }
        Ok(found)
    }

    async fn get_guardrail(
        &self,
        id: &str,
        version: Option<u32>,
    ) -> Result<Option<GuardrailState>, ApiError> {
        let out = self
            .bedrock
            .get_guardrail()
            .guardrail_identifier(id)
            .set_guardrail_version(version.map(|v| v.to_string()))
            .send()
            .await
            .map_err(bedrock_err("GetGuardrail", id));
        Ok(absent(out)?.map(|out| GuardrailState {
            id: out.guardrail_id().to_owned(),
            arn: out.guardrail_arn().to_owned(),
            version: out.version().to_owned(),
            status: out.status().as_str().to_owned(),
            status_reasons: out.status_reasons().to_vec(),
            definition: definition_of(&out),
        }))
    }

    async fn guardrail_versions(&self, id: &str) -> Result<Vec<u32>, ApiError> {
        let mut versions = Vec::new();
        let mut pages = self
            .bedrock
            .list_guardrails()
            .guardrail_identifier(id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(bedrock_err("ListGuardrails", id))?;
            // The DRAFT is listed too; only numbered versions parse.
            versions.extend(
                page.guardrails()
                    .iter()
                    .filter_map(|g| g.version().parse::<u32>().ok()),
            );
        }
        versions.sort_unstable();
        versions.dedup();
        Ok(versions)
    }

    async fn guardrail_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let out = self
            .bedrock
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(bedrock_err("ListTagsForResource", arn))?;
        Ok(out
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect())
    }

    async fn create_guardrail(
        &self,
        d: &GuardrailDefinition,
        tags: &BTreeMap<String, String>,
        token: &str,
    ) -> Result<GuardrailSummary, ApiError> {
        let p = policy_configs(d).map_err(build_err("bedrock", "CreateGuardrail", &d.name))?;
        let tags = bedrock_tags(tags).map_err(build_err("bedrock", "CreateGuardrail", &d.name))?;
        let out = self
            .bedrock
            .create_guardrail()
            .name(&d.name)
            .set_description(d.description.clone())
            .set_content_policy_config(p.content)
            .set_sensitive_information_policy_config(p.sensitive)
            .set_topic_policy_config(p.topics)
            .set_word_policy_config(p.words)
            .set_contextual_grounding_policy_config(p.grounding)
            .blocked_input_messaging(&d.blocked_input_messaging)
            .blocked_outputs_messaging(&d.blocked_outputs_messaging)
            .set_kms_key_id(d.kms_key_arn.clone())
            .set_tags(Some(tags))
            .client_request_token(token)
            .send()
            .await
            .map_err(bedrock_err("CreateGuardrail", &d.name))?;
        Ok(GuardrailSummary {
            id: out.guardrail_id().to_owned(),
            arn: out.guardrail_arn().to_owned(),
            name: d.name.clone(),
        })
    }

    async fn update_guardrail(&self, id: &str, d: &GuardrailDefinition) -> Result<(), ApiError> {
        let p = policy_configs(d).map_err(build_err("bedrock", "UpdateGuardrail", id))?;
        self.bedrock
            .update_guardrail()
            .guardrail_identifier(id)
            .name(&d.name)
            .set_description(d.description.clone())
            .set_content_policy_config(p.content)
            .set_sensitive_information_policy_config(p.sensitive)
            .set_topic_policy_config(p.topics)
            .set_word_policy_config(p.words)
            .set_contextual_grounding_policy_config(p.grounding)
            .blocked_input_messaging(&d.blocked_input_messaging)
            .blocked_outputs_messaging(&d.blocked_outputs_messaging)
            .set_kms_key_id(d.kms_key_arn.clone())
            .send()
            .await
            .map_err(bedrock_err("UpdateGuardrail", id))?;
        Ok(())
    }

    async fn create_guardrail_version(
        &self,
        id: &str,
        description: &str,
        token: &str,
    ) -> Result<u32, ApiError> {
        let out = self
            .bedrock
            .create_guardrail_version()
            .guardrail_identifier(id)
            .description(description)
            .client_request_token(token)
            .send()
            .await
            .map_err(bedrock_err("CreateGuardrailVersion", id))?;
        out.version().parse().map_err(|_| {
            ApiError::synthetic(
                "bedrock",
                "CreateGuardrailVersion",
                id,
                ServiceErrorKind::Other,
                &format!(
                    "version `{}` in the response is not a number",
                    out.version()
                ),
            )
        })
    }

    async fn delete_guardrail(&self, id: &str) -> Result<(), ApiError> {
        self.bedrock
            .delete_guardrail()
            .guardrail_identifier(id)
            .send()
            .await
            .map_err(bedrock_err("DeleteGuardrail", id))?;
        Ok(())
    }

    async fn tag_guardrail(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), ApiError> {
        let tags = bedrock_tags(tags).map_err(build_err("bedrock", "TagResource", arn))?;
        self.bedrock
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(bedrock_err("TagResource", arn))?;
        Ok(())
    }

    async fn untag_guardrail(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        self.bedrock
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(bedrock_err("UntagResource", arn))?;
        Ok(())
    }

    async fn get_policy(&self, arn: &str) -> Result<Option<PolicyInfo>, ApiError> {
        let out = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(iam_err("GetPolicy", arn));
        Ok(absent(out)?.and_then(|o| o.policy().map(policy_info)))
    }

    async fn policy_document(&self, arn: &str, version_id: &str) -> Result<String, ApiError> {
        let out = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version_id)
            .send()
            .await
            .map_err(iam_err("GetPolicyVersion", arn))?;
        Ok(out
            .policy_version()
            .and_then(|v| v.document())
            .unwrap_or_default()
            .to_owned())
    }

    async fn policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersionInfo>, ApiError> {
        let mut versions = Vec::new();
        let mut pages = self
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(iam_err("ListPolicyVersions", arn))?;
            versions.extend(page.versions().iter().map(|v| PolicyVersionInfo {
                version_id: v.version_id().unwrap_or_default().to_owned(),
                is_default: v.is_default_version(),
                created: v.create_date().map(|d| d.secs()).unwrap_or_default(),
            }));
        }
        Ok(versions)
    }

    async fn policy_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        let mut tags = BTreeMap::new();
        let mut pages = self
            .iam
            .list_policy_tags()
            .policy_arn(arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(iam_err("ListPolicyTags", arn))?;
            tags.extend(
                page.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
        }
        Ok(tags)
    }

    async fn policy_attachments(&self, arn: &str) -> Result<Vec<String>, ApiError> {
        let mut found = Vec::new();
        let mut pages = self
            .iam
            .list_entities_for_policy()
            .policy_arn(arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(iam_err("ListEntitiesForPolicy", arn))?;
            found.extend(
                page.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name())
                    .map(|n| format!("role/{n}")),
            );
            found.extend(
                page.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name())
                    .map(|n| format!("user/{n}")),
            );
            found.extend(
                page.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name())
                    .map(|n| format!("group/{n}")),
            );
        }
        Ok(found)
    }

    async fn create_policy(
        &self,
        name: &str,
        path: &str,
        description: &str,
        document: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<PolicyInfo, ApiError> {
        let tags = iam_tags(tags).map_err(build_err("iam", "CreatePolicy", name))?;
        let out = self
            .iam
            .create_policy()
            .policy_name(name)
            .path(path)
            .description(description)
            .policy_document(document)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(iam_err("CreatePolicy", name))?;
        out.policy().map(policy_info).ok_or_else(|| {
            ApiError::synthetic(
                "iam",
                "CreatePolicy",
                name,
                ServiceErrorKind::Other,
                "no policy in the response",
            )
        })
    }

    async fn create_policy_version(&self, arn: &str, document: &str) -> Result<String, ApiError> {
        let out = self
            .iam
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(document)
            .set_as_default(true)
            .send()
            .await
            .map_err(iam_err("CreatePolicyVersion", arn))?;
        Ok(out
            .policy_version()
            .and_then(|v| v.version_id())
            .unwrap_or_default()
            .to_owned())
    }

    async fn delete_policy_version(&self, arn: &str, version_id: &str) -> Result<(), ApiError> {
        self.iam
            .delete_policy_version()
            .policy_arn(arn)
            .version_id(version_id)
            .send()
            .await
            .map_err(iam_err("DeletePolicyVersion", arn))?;
        Ok(())
    }

    async fn tag_policy(&self, arn: &str, tags: &BTreeMap<String, String>) -> Result<(), ApiError> {
        let tags = iam_tags(tags).map_err(build_err("iam", "TagPolicy", arn))?;
        self.iam
            .tag_policy()
            .policy_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(iam_err("TagPolicy", arn))?;
        Ok(())
    }

    async fn untag_policy(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        self.iam
            .untag_policy()
            .policy_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(iam_err("UntagPolicy", arn))?;
        Ok(())
    }

    async fn delete_policy(&self, arn: &str) -> Result<(), ApiError> {
        self.iam
            .delete_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(iam_err("DeletePolicy", arn))?;
        Ok(())
    }
}

//! The guardrail definition in the SDK's request and response shapes: the policy configs of
//! CreateGuardrail/UpdateGuardrail and the definition read back from GetGuardrail.

use crate::guardrail::{DeniedTopic, FilterStrengths, GuardrailDefinition, RegexFilter};
use aws_sdk_bedrock::operation::get_guardrail::GetGuardrailOutput;
use aws_sdk_bedrock::types as bt;
use aws_smithy_types::error::operation::BuildError;

/// The policy configs of a create or update request.
pub(super) struct PolicyConfigs {
    pub(super) content: Option<bt::GuardrailContentPolicyConfig>,
    pub(super) sensitive: Option<bt::GuardrailSensitiveInformationPolicyConfig>,
    pub(super) topics: Option<bt::GuardrailTopicPolicyConfig>,
    pub(super) words: Option<bt::GuardrailWordPolicyConfig>,
    pub(super) grounding: Option<bt::GuardrailContextualGroundingPolicyConfig>,
}

/// Each policy is sent only when it has entries: the API rejects empty lists, and an omitted
/// policy in UpdateGuardrail removes it, which is what an emptied config means.
pub(super) fn policy_configs(d: &GuardrailDefinition) -> Result<PolicyConfigs, BuildError> {
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

pub(super) fn definition_of(out: &GetGuardrailOutput) -> GuardrailDefinition {
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

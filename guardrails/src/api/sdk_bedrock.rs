//! The Bedrock half of [`super::SdkGuardrailsApi`]: guardrails, their versions and tags, and
//! inference profiles.

use super::sdk::build_err;
use super::sdk_definition::{definition_of, policy_configs};
use super::{GuardrailState, GuardrailSummary};
use crate::guardrail::GuardrailDefinition;
use aws_sdk_bedrock::types as bt;
use aws_sdk_bedrock::Client;
use aws_smithy_types::error::operation::BuildError;
use baseline_core::aws::{or_none, sdk_err};
use baseline_core::aws::{ApiError, ServiceErrorKind};
use std::collections::BTreeMap;

/// The definition's fields on a CreateGuardrail or UpdateGuardrail request: the two builders
/// take the same setters but share no trait.
macro_rules! with_definition {
    ($request:expr, $d:expr, $p:expr) => {
        $request
            .name(&$d.name)
            .set_description($d.description.clone())
            .set_content_policy_config($p.content)
            .set_sensitive_information_policy_config($p.sensitive)
            .set_topic_policy_config($p.topics)
            .set_word_policy_config($p.words)
            .set_contextual_grounding_policy_config($p.grounding)
            .blocked_input_messaging(&$d.blocked_input_messaging)
            .blocked_outputs_messaging(&$d.blocked_outputs_messaging)
            .set_kms_key_id($d.kms_key_arn.clone())
    };
}

fn tags_of(tags: &BTreeMap<String, String>) -> Result<Vec<bt::Tag>, BuildError> {
    tags.iter()
        .map(|(k, v)| bt::Tag::builder().key(k).value(v).build())
        .collect()
}

pub(super) async fn inference_profile_models(
    c: &Client,
    profile_arn: &str,
) -> Result<Vec<String>, ApiError> {
    let out = c
        .get_inference_profile()
        .inference_profile_identifier(profile_arn)
        .send()
        .await
        .map_err(sdk_err("bedrock", "GetInferenceProfile", profile_arn))?;
    Ok(out
        .models()
        .iter()
        .filter_map(|m| m.model_arn().map(str::to_owned))
        .collect())
}

pub(super) async fn list_guardrails(c: &Client) -> Result<Vec<GuardrailSummary>, ApiError> {
    let pages = c
        .list_guardrails()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("bedrock", "ListGuardrails", "region"))?;
    Ok(pages
        .iter()
        .flat_map(|page| page.guardrails())
        .map(|g| GuardrailSummary {
            id: g.id().to_owned(),
            arn: g.arn().to_owned(),
            name: g.name().to_owned(),
        })
        .collect())
}

pub(super) async fn get_guardrail(
    c: &Client,
    id: &str,
    version: Option<u32>,
) -> Result<Option<GuardrailState>, ApiError> {
    let out = c
        .get_guardrail()
        .guardrail_identifier(id)
        .set_guardrail_version(version.map(|v| v.to_string()))
        .send()
        .await
        .map_err(sdk_err("bedrock", "GetGuardrail", id));
    Ok(or_none(out)?.map(|out| GuardrailState {
        id: out.guardrail_id().to_owned(),
        arn: out.guardrail_arn().to_owned(),
        version: out.version().to_owned(),
        status: out.status().as_str().to_owned(),
        status_reasons: out.status_reasons().to_vec(),
        definition: definition_of(&out),
    }))
}

pub(super) async fn guardrail_versions(c: &Client, id: &str) -> Result<Vec<u32>, ApiError> {
    let pages = c
        .list_guardrails()
        .guardrail_identifier(id)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(sdk_err("bedrock", "ListGuardrails", id))?;
    // The DRAFT is listed too; only numbered versions parse.
    let mut versions: Vec<u32> = pages
        .iter()
        .flat_map(|page| page.guardrails())
        .filter_map(|g| g.version().parse().ok())
        .collect();
    versions.sort_unstable();
    versions.dedup();
    Ok(versions)
}

pub(super) async fn guardrail_tags(
    c: &Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let out = c
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_err("bedrock", "ListTagsForResource", arn))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

pub(super) async fn create_guardrail(
    c: &Client,
    d: &GuardrailDefinition,
    tags: &BTreeMap<String, String>,
    token: &str,
) -> Result<GuardrailSummary, ApiError> {
    let p = policy_configs(d).map_err(build_err("bedrock", "CreateGuardrail", &d.name))?;
    let tags = tags_of(tags).map_err(build_err("bedrock", "CreateGuardrail", &d.name))?;
    let out = with_definition!(c.create_guardrail(), d, p)
        .set_tags(Some(tags))
        .client_request_token(token)
        .send()
        .await
        .map_err(sdk_err("bedrock", "CreateGuardrail", &d.name))?;
    Ok(GuardrailSummary {
        id: out.guardrail_id().to_owned(),
        arn: out.guardrail_arn().to_owned(),
        name: d.name.clone(),
    })
}

pub(super) async fn update_guardrail(
    c: &Client,
    id: &str,
    d: &GuardrailDefinition,
) -> Result<(), ApiError> {
    let p = policy_configs(d).map_err(build_err("bedrock", "UpdateGuardrail", id))?;
    with_definition!(c.update_guardrail().guardrail_identifier(id), d, p)
        .send()
        .await
        .map_err(sdk_err("bedrock", "UpdateGuardrail", id))
        .map(drop)
}

pub(super) async fn create_guardrail_version(
    c: &Client,
    id: &str,
    description: &str,
    token: &str,
) -> Result<u32, ApiError> {
    let out = c
        .create_guardrail_version()
        .guardrail_identifier(id)
        .description(description)
        .client_request_token(token)
        .send()
        .await
        .map_err(sdk_err("bedrock", "CreateGuardrailVersion", id))?;
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

pub(super) async fn delete_guardrail(c: &Client, id: &str) -> Result<(), ApiError> {
    c.delete_guardrail()
        .guardrail_identifier(id)
        .send()
        .await
        .map_err(sdk_err("bedrock", "DeleteGuardrail", id))
        .map(drop)
}

pub(super) async fn tag_guardrail(
    c: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let tags = tags_of(tags).map_err(build_err("bedrock", "TagResource", arn))?;
    c.tag_resource()
        .resource_arn(arn)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(sdk_err("bedrock", "TagResource", arn))
        .map(drop)
}

pub(super) async fn untag_guardrail(
    c: &Client,
    arn: &str,
    keys: &[String],
) -> Result<(), ApiError> {
    c.untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await
        .map_err(sdk_err("bedrock", "UntagResource", arn))
        .map(drop)
}

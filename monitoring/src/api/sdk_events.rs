//! EventBridge: the stack's rules on the default bus, their targets and tags.

use super::{by_next_token, RuleDescription};
use crate::event_rule::RuleTarget;
use aws_sdk_eventbridge::types as eb;
use baseline_core::aws::sdk_err;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use std::collections::BTreeMap;

const SERVICE: &str = "events";

fn eb_tags(tags: &BTreeMap<String, String>) -> Result<Vec<eb::Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| {
            eb::Tag::builder().key(k).value(v).build().map_err(|e| {
                ApiError::synthetic(
                    "events",
                    "TagResource",
                    k,
                    ServiceErrorKind::Validation,
                    &e.to_string(),
                )
            })
        })
        .collect()
}

/// ListRules on the default bus, every page: one call for the stack's rules where a
/// DescribeRule each took one per rule. A rule in the answer carries the fields DescribeRule
/// gave (name, ARN, description, event pattern, state): "ListRules", Amazon EventBridge API
/// Reference (`NamePrefix` 1 to 64 characters; at most 100 rules a page).
pub(super) async fn list_rules(
    client: &aws_sdk_eventbridge::Client,
    name_prefix: &str,
) -> Result<Vec<RuleDescription>, ApiError> {
    let prefix = Some(name_prefix.to_owned()).filter(|p| !p.is_empty());
    by_next_token(|token| {
        let prefix = prefix.clone();
        async move {
            let out = client
                .list_rules()
                .set_name_prefix(prefix)
                .set_next_token(token)
                .send()
                .await
                .map_err(sdk_err(SERVICE, "ListRules", name_prefix))?;
            let page = out.rules().iter().map(|r| RuleDescription {
                name: r.name().unwrap_or_default().to_owned(),
                arn: r.arn().unwrap_or_default().to_owned(),
                description: r.description().unwrap_or_default().to_owned(),
                event_pattern: r.event_pattern().unwrap_or_default().to_owned(),
                state: r.state().map(|s| s.as_str().to_owned()).unwrap_or_default(),
            });
            Ok((page.collect(), out.next_token().map(str::to_owned)))
        }
    })
    .await
}

pub(super) async fn rule_targets(
    client: &aws_sdk_eventbridge::Client,
    name: &str,
) -> Result<Vec<RuleTarget>, ApiError> {
    let mut targets = by_next_token(|token| async move {
        let out = client
            .list_targets_by_rule()
            .rule(name)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_err(SERVICE, "ListTargetsByRule", name))?;
        let page = out.targets().iter().map(|t| RuleTarget {
            id: t.id().to_owned(),
            arn: t.arn().to_owned(),
        });
        Ok((page.collect(), out.next_token().map(str::to_owned)))
    })
    .await?;
    targets.sort();
    Ok(targets)
}

pub(super) async fn rule_tags(
    client: &aws_sdk_eventbridge::Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "ListTagsForResource", arn))?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

pub(super) async fn put_rule(
    client: &aws_sdk_eventbridge::Client,
    name: &str,
    description: &str,
    event_pattern: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, ApiError> {
    let out = client
        .put_rule()
        .name(name)
        .description(description)
        .event_pattern(event_pattern)
        .state(eb::RuleState::Enabled)
        .set_tags((!tags.is_empty()).then(|| eb_tags(tags)).transpose()?)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "PutRule", name))?;
    Ok(out.rule_arn().unwrap_or_default().to_owned())
}

pub(super) async fn put_targets(
    client: &aws_sdk_eventbridge::Client,
    rule: &str,
    targets: &[RuleTarget],
) -> Result<(), ApiError> {
    let targets = targets
        .iter()
        .map(|t| {
            eb::Target::builder()
                .id(&t.id)
                .arn(&t.arn)
                .build()
                .map_err(|e| {
                    ApiError::synthetic(
                        "events",
                        "PutTargets",
                        rule,
                        ServiceErrorKind::Validation,
                        &e.to_string(),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let out = client
        .put_targets()
        .rule(rule)
        .set_targets(Some(targets))
        .send()
        .await
        .map_err(sdk_err(SERVICE, "PutTargets", rule))?;
    // PutTargets reports per-target failures in a 200 response.
    if let Some(failed) = out.failed_entries().first() {
        return Err(ApiError::synthetic(
            "events",
            "PutTargets",
            rule,
            ServiceErrorKind::Other,
            &format!(
                "{}: {}",
                failed.error_code().unwrap_or("Failed"),
                failed.error_message().unwrap_or("target not added")
            ),
        ));
    }
    Ok(())
}

pub(super) async fn remove_targets(
    client: &aws_sdk_eventbridge::Client,
    rule: &str,
    ids: &[String],
) -> Result<(), ApiError> {
    client
        .remove_targets()
        .rule(rule)
        .set_ids(Some(ids.to_vec()))
        .send()
        .await
        .map_err(sdk_err(SERVICE, "RemoveTargets", rule))?;
    Ok(())
}

pub(super) async fn tag_rule(
    client: &aws_sdk_eventbridge::Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    client
        .tag_resource()
        .resource_arn(arn)
        .set_tags(Some(eb_tags(tags)?))
        .send()
        .await
        .map_err(sdk_err(SERVICE, "TagResource", arn))?;
    Ok(())
}

pub(super) async fn untag_rule(
    client: &aws_sdk_eventbridge::Client,
    arn: &str,
    keys: &[String],
) -> Result<(), ApiError> {
    client
        .untag_resource()
        .resource_arn(arn)
        .set_tag_keys(Some(keys.to_vec()))
        .send()
        .await
        .map_err(sdk_err(SERVICE, "UntagResource", arn))?;
    Ok(())
}

pub(super) async fn delete_rule(
    client: &aws_sdk_eventbridge::Client,
    name: &str,
) -> Result<(), ApiError> {
    client
        .delete_rule()
        .name(name)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "DeleteRule", name))?;
    Ok(())
}

//! The `eventbridge_rule` resource: a rule on the default bus with its targets and tags (the
//! failed-training-job rule of `training` and the alert rules of `tamper`). Observe reads the
//! owned rules (one ListRules for all, then each rule's targets and tags side by side); the
//! plan decides the writes (PutRule, RemoveTargets, PutTargets, tags) and apply sends exactly
//! those.

use crate::api::{MonitoringApi, RuleDescription};
use crate::{touches, MonitoringError};
use baseline_core::resource::{Planned, Step, TagDelta};
use baseline_core::write::WriteResult;
use baseline_core::{Change, Progress};
use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Resource type in plans.
pub(crate) const KIND: &str = "eventbridge_rule";

/// Rule reads in flight at once (one per owned rule: a stack owns 8).
const RULE_READS: usize = 16;

type Tags = BTreeMap<String, String>;

/// One target of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleTarget {
    /// Target id.
    pub id: String,
    /// Target ARN.
    pub arn: String,
}

/// An EventBridge rule on the default bus, desired or observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDef {
    /// Rule name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Event pattern (compared as parsed JSON).
    pub event_pattern: Value,
    /// `ENABLED` or `DISABLED`.
    pub state: String,
    /// Targets, sorted by id.
    pub targets: Vec<RuleTarget>,
}

/// An existing rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRule {
    /// Rule ARN.
    pub arn: String,
    /// Definition (event pattern parsed, targets sorted).
    pub def: RuleDef,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

fn address(key: &str) -> String {
    format!("monitoring.event_rule[\"{key}\"]")
}

/// The JSON compared by the plan (tags included).
pub(crate) fn view(def: &RuleDef, tags: &Tags) -> Value {
    json!({
        "name": def.name,
        "description": def.description,
        "event_pattern": def.event_pattern,
        "state": def.state,
        "targets": def.targets,
        "tags": tags,
    })
}

/// The rules that exist of `owned` (key, name), by key: one ListRules for all of them (by the
/// names' common prefix), then each found rule's targets and tags, concurrently.
pub(crate) async fn observe<A: MonitoringApi>(
    api: &A,
    owned: &[(String, String)],
) -> Result<BTreeMap<String, ObservedRule>, MonitoringError> {
    if owned.is_empty() {
        return Ok(BTreeMap::new());
    }
    let prefix = common_prefix(owned.iter().map(|(_, name)| name.as_str()));
    let mut listed: BTreeMap<String, RuleDescription> = api
        .list_rules(prefix)
        .await?
        .into_iter()
        .map(|r| (r.name.clone(), r))
        .collect();
    let reads: Vec<_> = owned
        .iter()
        .filter_map(|(key, name)| Some((key, listed.remove(name)?)))
        .map(|(key, rule)| observe_one(api, key, rule))
        .collect();
    let found: Vec<Result<(String, ObservedRule), MonitoringError>> = stream::iter(reads)
        .buffer_unordered(RULE_READS)
        .collect()
        .await;
    found.into_iter().collect()
}

/// The longest prefix all `names` share (a `NamePrefix` matches at most 64 characters, and a
/// rule name is at most 64 long).
fn common_prefix<'a>(mut names: impl Iterator<Item = &'a str>) -> &'a str {
    let first = names.next().unwrap_or_default();
    let mut len = names.fold(first.len(), |len, name| {
        first
            .bytes()
            .zip(name.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count()
    });
    // Compared by bytes: never cut inside a character (rule names are ASCII, but a name that
    // is not must not panic here).
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    &first[..len]
}

async fn observe_one<A: MonitoringApi>(
    api: &A,
    key: &str,
    rule: RuleDescription,
) -> Result<(String, ObservedRule), MonitoringError> {
    // Both need only the rule's name and ARN from ListRules.
    let (targets, tags) =
        futures::try_join!(api.rule_targets(&rule.name), api.rule_tags(&rule.arn))?;
    Ok((
        key.to_owned(),
        ObservedRule {
            def: RuleDef {
                name: rule.name,
                description: rule.description,
                event_pattern: serde_json::from_str(&rule.event_pattern)
                    .unwrap_or(Value::String(rule.event_pattern)),
                state: rule.state,
                targets,
            },
            arn: rule.arn,
            tags,
        },
    ))
}

/// One write on a rule, in the order apply sends them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum RuleOp {
    /// PutRule with the stack tags (its answer is the ARN), then PutTargets when it has any.
    Create,
    /// PutRule without tags: description, pattern or state changed.
    PutRule,
    /// RemoveTargets of the targets no longer wanted.
    RemoveTargets {
        /// Target ids.
        ids: Vec<String>,
    },
    /// PutTargets of every wanted target.
    PutTargets,
    /// UntagResource then TagResource.
    Tag(TagDelta),
    /// RemoveTargets of every target (EventBridge refuses to delete a rule that has any),
    /// then DeleteRule.
    Delete,
}

/// The change of one owned rule and its writes; `None` when it is neither wanted nor there.
pub(crate) fn plan(
    key: &str,
    want: Option<&RuleDef>,
    have: Option<&ObservedRule>,
    tags: &Tags,
) -> Option<Planned<RuleOp>> {
    let address = address(key);
    match (want, have) {
        (Some(want), None) => Some(Planned::new(
            Change::create(address, KIND, &view(want, tags)),
            vec![RuleOp::Create],
        )),
        (Some(want), Some(have)) => {
            let change = Change::compare(
                address,
                KIND,
                &view(&have.def, &have.tags),
                &view(want, tags),
                &[],
            );
            let changed = |names: &[&str]| change.attributes.iter().any(|a| touches(a, names));
            let mut ops = Vec::new();
            if changed(&["description", "event_pattern", "state"]) {
                ops.push(RuleOp::PutRule);
            }
            if changed(&["targets"]) {
                let stale: Vec<String> = have
                    .def
                    .targets
                    .iter()
                    .filter(|t| !want.targets.iter().any(|w| w.id == t.id))
                    .map(|t| t.id.clone())
                    .collect();
                let kept_differ = have
                    .def
                    .targets
                    .iter()
                    .filter(|t| !stale.contains(&t.id))
                    .ne(want.targets.iter());
                if !stale.is_empty() {
                    ops.push(RuleOp::RemoveTargets { ids: stale });
                }
                if kept_differ && !want.targets.is_empty() {
                    ops.push(RuleOp::PutTargets);
                }
            }
            if changed(&["tags"]) {
                ops.push(RuleOp::Tag(TagDelta::between(&have.tags, tags)));
            }
            Some(Planned::new(change, ops))
        }
        (None, Some(have)) => Some(plan_delete(key, have)),
        (None, None) => None,
    }
}

/// Deleting an existing rule.
pub(crate) fn plan_delete(key: &str, have: &ObservedRule) -> Planned<RuleOp> {
    Planned::new(
        Change::delete(address(key), KIND, &view(&have.def, &have.tags)),
        vec![RuleOp::Delete],
    )
}

/// Runs the planned writes of one rule. `want` is the desired rule (`None` for a delete).
pub(crate) async fn execute<A: MonitoringApi>(
    api: &A,
    name: &str,
    want: Option<&RuleDef>,
    have: Option<&ObservedRule>,
    tags: &Tags,
    planned: &Planned<RuleOp>,
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    let arn = have.map(|h| h.arn.as_str()).unwrap_or_default();
    for op in &planned.ops {
        match (op, want) {
            (RuleOp::Create, Some(want)) => {
                step.exists(put_rule(api, want, tags).await?);
                if !want.targets.is_empty() {
                    api.put_targets(&want.name, &want.targets).await?;
                }
            }
            (RuleOp::PutRule, Some(want)) => {
                put_rule(api, want, &Tags::new()).await?;
            }
            (RuleOp::PutTargets, Some(want)) => {
                api.put_targets(&want.name, &want.targets).await?;
            }
            (RuleOp::RemoveTargets { ids }, _) => api.remove_targets(name, ids).await?,
            (RuleOp::Tag(delta), _) => {
                if !delta.remove.is_empty() {
                    api.untag_rule(arn, &delta.remove).await?;
                }
                if !delta.set.is_empty() {
                    api.tag_rule(arn, &delta.set).await?;
                }
            }
            (RuleOp::Delete, _) => {
                let ids: Vec<String> = have
                    .map(|h| h.def.targets.iter().map(|t| t.id.clone()).collect())
                    .unwrap_or_default();
                if !ids.is_empty() {
                    api.remove_targets(name, &ids).await.or_gone()?;
                }
                api.delete_rule(name).await.or_gone()?;
            }
            // Create, PutRule and PutTargets are planned only for a desired rule.
            (RuleOp::Create | RuleOp::PutRule | RuleOp::PutTargets, None) => {}
        }
    }
    step.done();
    Ok(())
}

async fn put_rule<A: MonitoringApi>(
    api: &A,
    want: &RuleDef,
    tags: &Tags,
) -> Result<String, MonitoringError> {
    Ok(api
        .put_rule(
            &want.name,
            &want.description,
            &want.event_pattern.to_string(),
            tags,
        )
        .await?)
}

/// Deletes an existing rule (destroy).
pub(crate) async fn delete<A: MonitoringApi>(
    api: &A,
    key: &str,
    have: &ObservedRule,
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    let planned = plan_delete(key, have);
    execute(
        api,
        &have.def.name,
        None,
        Some(have),
        &BTreeMap::new(),
        &planned,
        progress,
    )
    .await
}

#[cfg(test)]
mod tests;

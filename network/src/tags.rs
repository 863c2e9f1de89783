//! Tags of the groups and endpoints: what the plan shows, what converges them, and how the
//! stack recognises its own resources.

use crate::api::Ec2Api;
use crate::MODULE;
use baseline_core::aws::ApiError;
use baseline_core::naming::{MODULE_TAG, STACK_TAG};
use baseline_core::Naming;
use std::collections::BTreeMap;

/// The stack's tags of this module plus `Name`.
pub(crate) fn named_tags(naming: &Naming, name: &str) -> BTreeMap<String, String> {
    let mut tags = naming.tags(MODULE);
    tags.insert("Name".into(), name.to_owned());
    tags
}

/// True when the tags say the resource is this module's in `stack`.
pub(crate) fn ours(tags: &BTreeMap<String, String>, stack: &str) -> bool {
    tags.get(STACK_TAG).map(String::as_str) == Some(stack)
        && tags.get(MODULE_TAG).map(String::as_str) == Some(MODULE)
}

/// Tags without AWS-reserved `aws:` keys.
pub(crate) fn visible_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| !k.starts_with("aws:"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Tag changes: (tags to set, keys to remove).
pub(crate) fn tag_changes(
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let have = visible_tags(have);
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

/// CreateTags for `set`, then DeleteTags for `remove`; no call for an empty side.
pub(crate) async fn write_tags(
    api: &dyn Ec2Api,
    resource_id: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), ApiError> {
    if !set.is_empty() {
        api.create_tags(resource_id, set).await?;
    }
    if !remove.is_empty() {
        api.delete_tags(resource_id, remove).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

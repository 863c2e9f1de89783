//! Tags of the groups and endpoints: what the plan shows, what converges them, and how the
//! stack recognises its own resources.

use crate::api::Ec2Api;
use crate::MODULE;
use baseline_core::aws::ApiError;
use baseline_core::naming::{MODULE_TAG, STACK_TAG};
use baseline_core::resource::TagDelta;
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

/// CreateTags for what the delta sets, then DeleteTags for what it removes; no call for an
/// empty side.
pub(crate) async fn write_tags(
    api: &dyn Ec2Api,
    resource_id: &str,
    tags: &TagDelta,
) -> Result<(), ApiError> {
    if !tags.set.is_empty() {
        api.create_tags(resource_id, &tags.set).await?;
    }
    if !tags.remove.is_empty() {
        api.delete_tags(resource_id, &tags.remove).await?;
    }
    Ok(())
}

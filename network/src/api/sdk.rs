//! What every EC2 call of [`super::SdkEc2Api`] shares: the error mapping, filters, tags.

use aws_sdk_ec2::types::{Filter, Tag};
use aws_sdk_ec2::Client;
use baseline_core::aws::{sdk_err, ApiError};
use std::collections::BTreeMap;

pub(super) fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

pub(super) fn ec2_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(super) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect()
}

pub(super) async fn create_tags(
    client: &Client,
    resource_id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    client
        .create_tags()
        .resources(resource_id)
        .set_tags(Some(ec2_tags(tags)))
        .send()
        .await
        .map_err(sdk_err("ec2", "CreateTags", resource_id))?;
    Ok(())
}

pub(super) async fn delete_tags(
    client: &Client,
    resource_id: &str,
    keys: &[String],
) -> Result<(), ApiError> {
    client
        .delete_tags()
        .resources(resource_id)
        .set_tags(Some(
            keys.iter().map(|k| Tag::builder().key(k).build()).collect(),
        ))
        .send()
        .await
        .map_err(sdk_err("ec2", "DeleteTags", resource_id))?;
    Ok(())
}

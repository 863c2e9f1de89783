//! What every EC2 call of [`super::SdkEc2Api`] shares: the error mapping, filters, tags.

use aws_sdk_ec2::types::{Filter, Tag};
use aws_sdk_ec2::Client;
use baseline_core::aws::ApiError;
use std::collections::BTreeMap;

pub(super) fn err<'a, E, R>(
    op: &'static str,
    target: &'a str,
) -> impl FnOnce(aws_sdk_ec2::error::SdkError<E, R>) -> ApiError + 'a
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk("ec2", op, target, e)
}

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

pub(super) fn not_found_is_none<T>(result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
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
        .map_err(err("CreateTags", resource_id))?;
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
        .map_err(err("DeleteTags", resource_id))?;
    Ok(())
}

//! The Bedrock operations of [`super::LoggingApi`] over the SDK client: the account-and-region
//! model invocation logging configuration.

use super::call::BEDROCK;
use super::{CloudWatchDestination, InvocationLoggingConfig, S3Destination};
use aws_sdk_bedrock::types::{CloudWatchConfig, LoggingConfig, S3Config};
use aws_sdk_bedrock::Client;
use aws_smithy_types::error::operation::BuildError;
use baseline_core::aws::ApiError;

/// What the configuration's errors name as their target: it is one per account and region.
const TARGET: &str = "account";

pub(super) async fn invocation_logging(
    bedrock: &Client,
) -> Result<Option<InvocationLoggingConfig>, ApiError> {
    let req = bedrock.get_model_invocation_logging_configuration().send();
    let out = BEDROCK
        .call("GetModelInvocationLoggingConfiguration", TARGET, req)
        .await?;
    let Some(c) = out.logging_config() else {
        return Ok(None);
    };
    let cloudwatch = c.cloud_watch_config().map(|cw| CloudWatchDestination {
        log_group_name: cw.log_group_name().to_owned(),
        role_arn: cw.role_arn().to_owned(),
        large_data_delivery_s3: cw.large_data_delivery_s3_config().map(our_s3_destination),
    });
    let s3 = c.s3_config().map(our_s3_destination);
    if cloudwatch.is_none() && s3.is_none() {
        return Ok(None);
    }
    Ok(Some(InvocationLoggingConfig {
        cloudwatch,
        s3,
        text_data_delivery: c.text_data_delivery_enabled().unwrap_or(false),
        image_data_delivery: c.image_data_delivery_enabled().unwrap_or(false),
        embedding_data_delivery: c.embedding_data_delivery_enabled().unwrap_or(false),
        video_data_delivery: c.video_data_delivery_enabled().unwrap_or(false),
        audio_data_delivery: c.audio_data_delivery_enabled().unwrap_or(false),
    }))
}

pub(super) async fn put_invocation_logging(
    bedrock: &Client,
    config: &InvocationLoggingConfig,
) -> Result<(), ApiError> {
    let op = "PutModelInvocationLoggingConfiguration";
    let cloudwatch = config
        .cloudwatch
        .as_ref()
        .map(|cw| {
            let large = cw
                .large_data_delivery_s3
                .as_ref()
                .map(sdk_s3_destination)
                .transpose()?;
            CloudWatchConfig::builder()
                .log_group_name(&cw.log_group_name)
                .role_arn(&cw.role_arn)
                .set_large_data_delivery_s3_config(large)
                .build()
        })
        .transpose()
        .map_err(BEDROCK.unbuilt(op, TARGET))?;
    let s3 = config
        .s3
        .as_ref()
        .map(sdk_s3_destination)
        .transpose()
        .map_err(BEDROCK.unbuilt(op, TARGET))?;
    let logging = LoggingConfig::builder()
        .set_cloud_watch_config(cloudwatch)
        .set_s3_config(s3)
        .text_data_delivery_enabled(config.text_data_delivery)
        .image_data_delivery_enabled(config.image_data_delivery)
        .embedding_data_delivery_enabled(config.embedding_data_delivery)
        .video_data_delivery_enabled(config.video_data_delivery)
        .audio_data_delivery_enabled(config.audio_data_delivery)
        .build();
    let req = bedrock
        .put_model_invocation_logging_configuration()
        .logging_config(logging)
        .send();
    BEDROCK.write(op, TARGET, req).await
}

pub(super) async fn delete_invocation_logging(bedrock: &Client) -> Result<(), ApiError> {
    let req = bedrock
        .delete_model_invocation_logging_configuration()
        .send();
    BEDROCK
        .write("DeleteModelInvocationLoggingConfiguration", TARGET, req)
        .await
}

fn sdk_s3_destination(d: &S3Destination) -> Result<S3Config, BuildError> {
    S3Config::builder()
        .bucket_name(&d.bucket_name)
        .set_key_prefix(d.key_prefix.clone())
        .build()
}

fn our_s3_destination(c: &S3Config) -> S3Destination {
    S3Destination {
        bucket_name: c.bucket_name().to_owned(),
        key_prefix: c.key_prefix().filter(|p| !p.is_empty()).map(str::to_owned),
    }
}

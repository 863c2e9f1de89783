//! The request-metrics configuration of the invocation-log bucket: one whole-bucket
//! configuration, id `Naming::request_metrics_id` (`<prefix>-requests`), so S3 publishes the
//! bucket's request metrics (`AWS/S3` AllRequests, 4xxErrors, 5xxErrors, ... with dimensions
//! BucketName and FilterId = the id) that the monitoring module alarms on.
//!
//! "Creating a CloudWatch metrics configuration for all the objects in your bucket" (S3 user
//! guide, <https://docs.aws.amazon.com/AmazonS3/latest/userguide/configure-request-metrics-bucket.html>):
//! a configuration without a filter covers the whole bucket; request metrics are billed as
//! CloudWatch custom metrics, hence the `enable_s3_request_metrics` switch.

use crate::api::LoggingApi;
use crate::LoggingError;
use baseline_core::resource::{Planned, Step};
use baseline_core::write::WriteResult;
use baseline_core::{Action, Change, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Plan address.
pub(crate) const ADDRESS: &str = "logging.bucket_request_metrics";
/// Resource type in plans.
pub(crate) const RESOURCE: &str = "s3_bucket_metrics_configuration";

/// The desired configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestMetricsSpec {
    /// The log bucket.
    pub(crate) bucket: String,
    /// The configuration id (FilterId of the metrics).
    pub(crate) id: String,
    /// Whether the stack wants it (switch on and the log bucket managed).
    pub(crate) enabled: bool,
}

/// What exists: `Some(filtered)` when a configuration with the id exists.
pub(crate) type ObservedRequestMetrics = Option<bool>;

fn view(s: &RequestMetricsSpec, filtered: bool) -> Value {
    json!({"bucket": s.bucket, "id": s.id, "filter": if filtered { "custom" } else { "whole bucket" }})
}

/// Reads the configuration; nothing when the bucket does not exist yet.
pub(crate) async fn observe(
    api: &dyn LoggingApi,
    s: &RequestMetricsSpec,
    bucket_exists: bool,
) -> Result<ObservedRequestMetrics, LoggingError> {
    if !bucket_exists {
        return Ok(None);
    }
    Ok(api.bucket_metrics_configuration(&s.bucket, &s.id).await?)
}

/// One write on the request-metrics configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum MetricsOp {
    /// PutBucketMetricsConfiguration, whole bucket.
    Put,
    /// DeleteBucketMetricsConfiguration.
    Delete,
}

/// The plan (none when neither wanted nor existing).
pub(crate) fn plan(
    s: &RequestMetricsSpec,
    observed: ObservedRequestMetrics,
) -> Option<Planned<MetricsOp>> {
    match (s.enabled, observed) {
        (true, have) => {
            let change = Change::converge(
                ADDRESS,
                RESOURCE,
                have.map(|f| view(s, f)).as_ref(),
                &view(s, false),
                &[],
            );
            let ops = if change.is_change() {
                vec![MetricsOp::Put]
            } else {
                Vec::new()
            };
            Some(Planned::new(change, ops))
        }
        (false, Some(f)) => Some(Planned::new(
            Change::delete(ADDRESS, RESOURCE, &view(s, f)),
            vec![MetricsOp::Delete],
        )),
        (false, None) => None,
    }
}

/// The plan's change.
pub(crate) fn diff(s: &RequestMetricsSpec, observed: ObservedRequestMetrics) -> Option<Change> {
    plan(s, observed).map(Planned::shown)
}

/// The destroy-plan change of an existing configuration.
pub(crate) fn destroy_change(s: &RequestMetricsSpec, filtered: bool) -> Change {
    Change::delete(ADDRESS, RESOURCE, &view(s, filtered))
}

/// Runs the planned put (missing or filtered) or delete (no longer wanted).
pub(crate) async fn apply(
    api: &dyn LoggingApi,
    s: &RequestMetricsSpec,
    observed: ObservedRequestMetrics,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let Some(planned) = plan(s, observed) else {
        return Ok(());
    };
    match planned.ops.as_slice() {
        [MetricsOp::Put] => {
            let step = Step::start(progress, ADDRESS, planned.change.action);
            api.put_bucket_metrics_configuration(&s.bucket, &s.id)
                .await?;
            step.exists(format!("{}:{}", s.bucket, s.id));
            step.done();
            Ok(())
        }
        [MetricsOp::Delete] => delete(api, s, progress).await,
        _ => Ok(()),
    }
}

/// Deletes the configuration (destroy, or switched off); gone already is fine.
pub(crate) async fn delete(
    api: &dyn LoggingApi,
    s: &RequestMetricsSpec,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let step = Step::start(progress, ADDRESS, Action::Delete);
    api.delete_bucket_metrics_configuration(&s.bucket, &s.id)
        .await
        .or_gone()?;
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

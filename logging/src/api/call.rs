//! The one way the SDK implementation sends a request: every SDK error becomes an [`ApiError`]
//! of `service:op` on `target`, so the per-service files say only what they ask and read.

use aws_sdk_s3::error::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::error::operation::BuildError;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use std::future::Future;

/// An AWS service as its errors name it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Service(&'static str);

/// S3.
pub(super) const S3: Service = Service("s3");
/// CloudWatch Logs.
pub(super) const LOGS: Service = Service("logs");
/// IAM.
pub(super) const IAM: Service = Service("iam");
/// Bedrock (control plane).
pub(super) const BEDROCK: Service = Service("bedrock");
/// EC2.
pub(super) const EC2: Service = Service("ec2");

impl Service {
    /// The [`ApiError`] of a failed `op` on `target`. Every service crate re-exports the same
    /// `SdkError` type, so one function serves all five clients.
    pub(super) fn error<E, R>(self, op: &'static str, target: &str, e: SdkError<E, R>) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        ApiError::from_sdk(self.0, op, target, e)
    }

    /// Awaits `request` (a `send()` or a paginator's `try_collect()`) and returns its answer.
    pub(super) async fn call<T, E, R>(
        self,
        op: &'static str,
        target: &str,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        request.await.map_err(|e| self.error(op, target, e))
    }

    /// [`Self::call`] of a read whose not-found answer means "there is none": `Ok(None)`.
    pub(super) async fn find<T, E, R>(
        self,
        op: &'static str,
        target: &str,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<Option<T>, ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        match self.call(op, target, request).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// [`Self::call`] of a write whose answer carries nothing the caller needs.
    pub(super) async fn write<T, E, R>(
        self,
        op: &'static str,
        target: &str,
        request: impl Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<(), ApiError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        self.call(op, target, request).await.map(|_| ())
    }

    /// Maps a request the SDK refused to build (a required field missing) to a validation
    /// error of `op` on `target`; nothing was sent.
    pub(super) fn unbuilt<'a>(
        self,
        op: &'static str,
        target: &'a str,
    ) -> impl FnOnce(BuildError) -> ApiError + 'a {
        move |e| {
            ApiError::synthetic(
                self.0,
                op,
                target,
                ServiceErrorKind::Validation,
                &format!("request could not be built: {e}"),
            )
        }
    }
}

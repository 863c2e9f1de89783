//! [`AwsContext`]: built once per run and passed to every module. It carries one `SdkConfig`
//! (standard credential chain, region, optional endpoint override such as the local emulator,
//! retry settings), the account id from STS, the stack's [`Naming`], and a [`CallLog`] that
//! every client records its calls into (for `-v` summaries, tests and the benchmark).
//!
//! Also: [`ServiceErrorKind`], the few error classes reconcilers branch on, mapped from SDK errors.

use crate::naming::Naming;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How to reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Region; else the standard chain (`AWS_REGION`, profile).
    pub region: Option<String>,
    /// Endpoint override (`--endpoint-url`); else `AWS_ENDPOINT_URL` as the SDK reads it.
    pub endpoint_url: Option<String>,
    /// Named profile.
    pub profile: Option<String>,
    /// Attempts per call, including the first (standard retry mode). Default 5.
    pub max_attempts: Option<u32>,
}

/// Errors while building the context.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AwsContextError {
    /// No region anywhere.
    #[error("no AWS region: set `region` in the config, --region, or AWS_REGION")]
    NoRegion,
    /// STS GetCallerIdentity failed (no credentials, wrong endpoint, ...).
    #[error("could not identify the AWS account (sts:GetCallerIdentity)")]
    Identity(#[source] BoxError),
}

/// One API call as a client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedCall {
    /// Service name as the SDK names it, e.g. `kms`.
    pub service: String,
    /// Operation name, e.g. `CreateKey`.
    pub operation: String,
    /// Microseconds since the log was created.
    pub at_micros: u128,
}

impl RecordedCall {
    /// True for calls that only read (Get*, Describe*, List*, Head*).
    pub fn is_read(&self) -> bool {
        is_read_operation(&self.operation)
    }
}

/// True for operation names that only read.
pub fn is_read_operation(operation: &str) -> bool {
    ["Get", "Describe", "List", "Head"]
        .iter()
        .any(|p| operation.starts_with(p))
}

/// Every SDK call made through the context's clients.
#[derive(Debug)]
pub struct CallLog {
    start: Instant,
    calls: Mutex<Vec<RecordedCall>>,
}

impl Default for CallLog {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            calls: Mutex::new(Vec::new()),
        }
    }
}

impl CallLog {
    /// A copy of the calls so far.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.calls.lock().expect("call log lock").clone()
    }

    /// Calls that write.
    pub fn writes(&self) -> Vec<RecordedCall> {
        self.calls().into_iter().filter(|c| !c.is_read()).collect()
    }
}

/// Interceptor that records each operation into a [`CallLog`]. Add it to every client with
/// [`AwsContext::call_recorder`].
#[derive(Debug, Clone)]
pub struct CallRecorder(Arc<CallLog>);

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "baseline.CallRecorder"
    }

    // Not `read_before_execution`: for interceptors set on a client that hook runs before the
    // operation has stored its `Metadata` in the config bag, so nothing would be recorded.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            let call = RecordedCall {
                service: meta.service().to_owned(),
                operation: meta.name().to_owned(),
                at_micros: self.0.start.elapsed().as_micros(),
            };
            tracing::debug!(service = %call.service, operation = %call.operation, "aws call");
            self.0.calls.lock().expect("call log lock").push(call);
        }
        Ok(())
    }
}

/// Everything a module needs to talk to AWS for one stack.
#[derive(Debug, Clone)]
pub struct AwsContext {
    sdk_config: SdkConfig,
    account_id: String,
    region: String,
    partition: String,
    endpoint_overridden: bool,
    naming: Naming,
    call_log: Arc<CallLog>,
}

impl AwsContext {
    /// Loads the SDK config (no network call).
    pub async fn sdk_config(options: &AwsOptions) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
            RetryConfig::standard().with_max_attempts(options.max_attempts.unwrap_or(5)),
        );
        if let Some(region) = &options.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &options.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        loader.load().await
    }

    /// Builds the context: SDK config, then the account id from STS (the only network call).
    pub async fn connect(options: &AwsOptions, naming: Naming) -> Result<Self, AwsContextError> {
        let sdk_config = Self::sdk_config(options).await;
        let region = sdk_config
            .region()
            .map(|r| r.to_string())
            .ok_or(AwsContextError::NoRegion)?;
        let call_log = Arc::new(CallLog::default());
        let sts_conf = aws_sdk_sts::config::Builder::from(&sdk_config)
            .interceptor(CallRecorder(call_log.clone()))
            .build();
        let identity = aws_sdk_sts::Client::from_conf(sts_conf)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsContextError::Identity(Box::new(e)))?;
        let account_id = identity.account().unwrap_or_default().to_owned();
        let partition = identity
            .arn()
            .and_then(|arn| arn.split(':').nth(1))
            .filter(|p| !p.is_empty())
            .unwrap_or("aws")
            .to_owned();
        let endpoint_overridden = sdk_config.endpoint_url().is_some();
        Ok(Self {
            sdk_config,
            account_id,
            region,
            partition,
            endpoint_overridden,
            naming,
            call_log,
        })
    }

    /// A context from known parts, for tests and offline planning.
    pub fn from_parts(
        sdk_config: SdkConfig,
        account_id: &str,
        region: &str,
        naming: Naming,
    ) -> Self {
        let endpoint_overridden = sdk_config.endpoint_url().is_some();
        Self {
            sdk_config,
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            partition: "aws".to_owned(),
            endpoint_overridden,
            naming,
            call_log: Arc::new(CallLog::default()),
        }
    }

    /// A context that never reaches AWS: account `123456789012`, region `us-east-1`. For unit
    /// tests of spec and diff, and for mocked apply paths.
    pub fn offline(naming: Naming) -> Self {
        Self::from_parts(
            SdkConfig::builder().build(),
            "123456789012",
            "us-east-1",
            naming,
        )
    }

    /// The SDK config every client is built from.
    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk_config
    }

    /// An interceptor to add to every client: `Builder::from(ctx.sdk()).interceptor(ctx.call_recorder())`.
    pub fn call_recorder(&self) -> CallRecorder {
        CallRecorder(self.call_log.clone())
    }

    /// The calls made so far through clients built with [`Self::call_recorder`].
    pub fn call_log(&self) -> &CallLog {
        &self.call_log
    }

    /// 12-digit account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Region name.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// True when an endpoint override is set (local emulator): S3 then needs path-style URLs.
    pub fn endpoint_overridden(&self) -> bool {
        self.endpoint_overridden
    }

    /// Names and tags of the stack.
    pub fn naming(&self) -> &Naming {
        &self.naming
    }

    /// `arn:<partition>:<service>:<region>:<account>:<resource>`.
    pub fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account_id
        )
    }

    /// ARN of a global (IAM) resource: `arn:<partition>:iam::<account>:<resource>`.
    pub fn iam_arn(&self, resource: &str) -> String {
        format!("arn:{}:iam::{}:{resource}", self.partition, self.account_id)
    }
}

/// The error classes reconcilers branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceErrorKind {
    /// The resource does not exist (deleted behind our back, or never created).
    NotFound,
    /// The resource exists already (a crash between create and record, or a race).
    AlreadyExists,
    /// Rate limited even after retries.
    Throttled,
    /// The answer did not arrive or was a server-side failure (5xx without an error code, a
    /// dropped connection, a timeout): the request may or may not have taken effect.
    Transient,
    /// The caller lacks a permission.
    AccessDenied,
    /// The request was rejected as invalid.
    Validation,
    /// Anything else.
    Other,
}

/// Classifies an SDK error by its service error code.
pub fn classify<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> ServiceErrorKind {
    match err {
        SdkError::ServiceError(se) => classify_code(se.err().code().unwrap_or_default()),
        // No answer at all, or one that could not be read: the write may have happened.
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            ServiceErrorKind::Transient
        }
        _ => ServiceErrorKind::Other,
    }
}

/// Classifies a service error code.
pub fn classify_code(code: &str) -> ServiceErrorKind {
    match code {
        c if c.contains("NotFound") || c.starts_with("NoSuch") || c.ends_with(".NotFound") => {
            ServiceErrorKind::NotFound
        }
        "EntityAlreadyExists"
        | "ResourceAlreadyExistsException"
        | "AlreadyExistsException"
        | "AlreadyExists"
        | "BucketAlreadyOwnedByYou"
        | "ConflictException"
        | "InvalidGroup.Duplicate"
        | "InvalidPermission.Duplicate"
        | "DuplicateRecordException" => ServiceErrorKind::AlreadyExists,
        // Cost Explorer's names for a monitor or subscription that does not exist
        "UnknownMonitorException" | "UnknownSubscriptionException" => ServiceErrorKind::NotFound,
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "SlowDown" => ServiceErrorKind::Throttled,
        // An error without a code is an answer whose body could not be read, in practice a 5xx
        // from a proxy or load balancer; the named ones are the services' own 5xx codes.
        ""
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "InternalError"
        | "InternalFailure"
        | "InternalServerError"
        | "InternalServerException"
        | "KMSInternalException"
        | "DependencyTimeoutException" => ServiceErrorKind::Transient,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "AuthorizationError" => ServiceErrorKind::AccessDenied,
        "ValidationException"
        | "ValidationError"
        | "InvalidParameterValue"
        | "InvalidParameterException"
        | "MalformedPolicyDocument"
        | "MalformedPolicyDocumentException"
        | "InvalidParameter" => ServiceErrorKind::Validation,
        _ => ServiceErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_to_kinds() {
        for (code, kind) in [
            ("NotFoundException", ServiceErrorKind::NotFound),
            ("NoSuchBucket", ServiceErrorKind::NotFound),
            ("ResourceNotFoundException", ServiceErrorKind::NotFound),
            ("InvalidVpcID.NotFound", ServiceErrorKind::NotFound),
            ("EntityAlreadyExists", ServiceErrorKind::AlreadyExists),
            ("ThrottlingException", ServiceErrorKind::Throttled),
            ("AccessDeniedException", ServiceErrorKind::AccessDenied),
            ("ValidationException", ServiceErrorKind::Validation),
            ("", ServiceErrorKind::Transient),
            ("KMSInternalException", ServiceErrorKind::Transient),
            ("Weird", ServiceErrorKind::Other),
        ] {
            assert_eq!(classify_code(code), kind, "{code}");
        }
    }

    #[test]
    fn reads_are_told_from_writes() {
        assert!(is_read_operation("DescribeKey"));
        assert!(is_read_operation("ListAliases"));
        assert!(!is_read_operation("CreateKey"));
        assert!(!is_read_operation("PutKeyPolicy"));
    }
}

/// A failed AWS call, with what the user needs to act on it. Module crates wrap it in their own
/// error enums; the raw `SdkError` stays out of the public API.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{service}:{operation} on {target} failed: {detail}")]
pub struct ApiError {
    /// Service, e.g. `kms`.
    pub service: &'static str,
    /// Operation, e.g. `CreateKey`.
    pub operation: &'static str,
    /// What it was called on (name, id or ARN).
    pub target: String,
    /// The class of the error.
    pub kind: ServiceErrorKind,
    /// Service error code and message, or the transport error.
    pub detail: String,
}

impl ApiError {
    /// From an SDK error.
    pub fn from_sdk<E, R>(
        service: &'static str,
        operation: &'static str,
        target: impl Into<String>,
        err: SdkError<E, R>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let kind = classify(&err);
        let detail = match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                format!(
                    "{}: {}",
                    e.code().unwrap_or("UnknownError"),
                    e.message().unwrap_or("no message")
                )
            }
            other => aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
        };
        Self {
            service,
            operation,
            target: target.into(),
            kind,
            detail,
        }
    }

    /// An error of a given kind, for tests and mocks.
    pub fn synthetic(
        service: &'static str,
        operation: &'static str,
        target: &str,
        kind: ServiceErrorKind,
        detail: &str,
    ) -> Self {
        Self {
            service,
            operation,
            target: target.to_owned(),
            kind,
            detail: detail.to_owned(),
        }
    }

    /// True for [`ServiceErrorKind::NotFound`].
    pub fn is_not_found(&self) -> bool {
        self.kind == ServiceErrorKind::NotFound
    }

    /// True for [`ServiceErrorKind::AlreadyExists`].
    pub fn is_already_exists(&self) -> bool {
        self.kind == ServiceErrorKind::AlreadyExists
    }
}

/// The `map_err` of one SDK call, for every client: `send().await.map_err(sdk_err("kms",
/// "CreateKey", alias))`. Every SDK crate's `SdkError` is smithy's one type, so this is the one
/// mapper the module crates share.
pub fn sdk_err<'a, E, R>(
    service: &'static str,
    operation: &'static str,
    target: &'a str,
) -> impl FnOnce(SdkError<E, R>) -> ApiError + 'a
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |e| ApiError::from_sdk(service, operation, target, e)
}

/// A read's answer with not-found as `None` (the resource does not exist); any other error
/// stays one.
pub fn or_none<T>(result: Result<T, ApiError>) -> Result<Option<T>, ApiError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// An SDK client built from an [`AwsContext`]'s `SdkConfig` whose calls are recorded in the
/// context's call log: `recorded_client!(ctx, aws_sdk_kms)`. A macro because every SDK crate has
/// its own `Client` and `config::Builder` types, and core depends on only a few of them.
#[macro_export]
macro_rules! recorded_client {
    ($ctx:expr, $sdk:ident) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($ctx.sdk())
                .interceptor($ctx.call_recorder())
                .build(),
        )
    };
}

//! SDK clients for the emulator, optionally with interceptors that record or break calls.

use aws_config::SdkConfig;
use aws_sdk_iam::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept, SharedInterceptor};
use baseline_core::aws::is_read_operation;
use std::sync::{Arc, Mutex};

/// An S3 client for `conf` with path-style addressing (the emulator serves no bucket subdomains).
pub fn s3_client(conf: &SdkConfig) -> aws_sdk_s3::Client {
    Intercepted::new(conf).s3()
}

/// Builds clients of several services that all carry the same interceptors, in the order they
/// were added: `Intercepted::new(ctx.sdk()).with(ctx.call_recorder()).with(recorder).iam()`.
#[derive(Debug, Clone)]
pub struct Intercepted<'a> {
    sdk: &'a SdkConfig,
    interceptors: Vec<SharedInterceptor>,
}

/// One service's client from `$self`'s config and interceptors; `$extra` configures its builder.
macro_rules! intercepted_client {
    ($self:ident, $service:ident $(, $extra:ident($arg:expr))?) => {{
        let mut builder = $service::config::Builder::from($self.sdk);
        for interceptor in &$self.interceptors {
            builder.push_interceptor(interceptor.clone());
        }
        $service::Client::from_conf(builder$(.$extra($arg))?.build())
    }};
}

impl<'a> Intercepted<'a> {
    /// No interceptors yet.
    pub fn new(sdk: &'a SdkConfig) -> Self {
        Self {
            sdk,
            interceptors: Vec::new(),
        }
    }

    /// Adds an interceptor to every client built after.
    #[must_use]
    pub fn with(mut self, interceptor: impl Intercept + 'static) -> Self {
        self.interceptors.push(SharedInterceptor::new(interceptor));
        self
    }

    /// S3, path-style.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        intercepted_client!(self, aws_sdk_s3, force_path_style(true))
    }

    /// CloudWatch Logs.
    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        intercepted_client!(self, aws_sdk_cloudwatchlogs)
    }

    /// IAM.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        intercepted_client!(self, aws_sdk_iam)
    }

    /// Bedrock (control plane).
    pub fn bedrock(&self) -> aws_sdk_bedrock::Client {
        intercepted_client!(self, aws_sdk_bedrock)
    }

    /// EC2.
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        intercepted_client!(self, aws_sdk_ec2)
    }

    /// KMS.
    pub fn kms(&self) -> aws_sdk_kms::Client {
        intercepted_client!(self, aws_sdk_kms)
    }
}

/// Records the operation name of every call, from the input's type name (the SDK does not
/// export the operation metadata type to crates without `aws-smithy-runtime-api`).
///
/// Used instead of `AwsContext::call_log()` where a test builds its own clients: core's
/// `CallRecorder` reads the operation name in `read_before_execution`, which the SDK runs for
/// client-level interceptors *before* the operation's metadata is in the config bag, so it
/// records nothing there.
#[derive(Debug, Clone, Default)]
pub struct OpRecorder(Arc<Mutex<Vec<String>>>);

impl Intercept for OpRecorder {
    fn name(&self) -> &'static str {
        "test.OpRecorder"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_iam::error::BoxError> {
        // `TypeErasedBox[Clone]:PutRolePolicyInput { .. }`
        let debug = format!("{:?}", context.input());
        let ty = debug
            .split_once("]:")
            .map_or(debug.as_str(), |(_, rest)| rest);
        let name: String = ty.chars().take_while(char::is_ascii_alphanumeric).collect();
        self.0
            .lock()
            .expect("recorder lock")
            .push(name.trim_end_matches("Input").to_owned());
        Ok(())
    }
}

impl OpRecorder {
    /// Operations that write, in call order.
    pub fn writes(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("recorder lock")
            .iter()
            .filter(|op| !is_read_operation(op))
            .cloned()
            .collect()
    }
}

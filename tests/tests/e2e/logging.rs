//! End-to-end tests of `baseline-logging` against the emulator: create from empty and read every
//! setting back through the SDK, a second apply with zero writes, drift detected and repaired,
//! config changes planned in place, an interrupted apply converging, and destroy keeping (or,
//! when asked, emptying and deleting) the audit data.
//!
//! Bedrock's invocation logging configuration is one per account and region, so the tests of
//! this binary take turns (`SERIAL`): each would otherwise overwrite the others' configuration.
//!
//! Calls are counted with [`OpRecorder`], not `AwsContext::call_log()` (see its doc).

use aws_sdk_bedrock::operation::get_model_invocation_logging_configuration::GetModelInvocationLoggingConfigurationOutput;
use aws_sdk_iam::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_iam::config::{ConfigBag, Intercept};
use baseline_core::ids::KmsKeyArn;
use baseline_core::policy::PolicyDocument;
use baseline_core::progress::NoProgress;
use baseline_core::{Action, AwsContext, Config, DestroyOptions, Module};
use baseline_logging::{LoggingInputs, LoggingModule, LoggingOutputs, SdkLoggingApi};
use baseline_tests::{
    assert_source_guard, attribute_names, change, changed, context, example_config_with,
    has_stack_tag, log_groups, plan_module, s3_client, sdk_config, stack_key, unique_env,
    Intercepted, OpRecorder, ACCOUNT_ID, REGION,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard};

static SERIAL: Mutex<()> = Mutex::const_new(());

async fn s3() -> aws_sdk_s3::Client {
    s3_client(&sdk_config().await)
}

async fn logs() -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await)
}

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config().await)
}

async fn bedrock() -> aws_sdk_bedrock::Client {
    aws_sdk_bedrock::Client::new(&sdk_config().await)
}

/// The account's model invocation logging configuration.
async fn invocation_logging() -> GetModelInvocationLoggingConfigurationOutput {
    bedrock()
        .await
        .get_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap()
}

/// A managed policy to use as the role's permissions boundary.
async fn boundary_policy(label: &str) -> String {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents","s3:PutObject"],"Resource":"*"}]}"#;
    let out = iam()
        .await
        .create_policy()
        .policy_name(format!("boundary-{label}"))
        .policy_document(doc)
        .send()
        .await
        .expect("create the boundary policy");
    out.policy()
        .and_then(|p| p.arn())
        .expect("policy arn")
        .to_owned()
}

/// Waits for the test's turn (`SERIAL`), then makes a stack config (advanced example) with a
/// real boundary policy, and applies encryption for it: the config and its key ARN.
async fn stack(label: &str) -> (MutexGuard<'static, ()>, Config, KmsKeyArn) {
    let turn = SERIAL.lock().await;
    let env = unique_env(label);
    let boundary = boundary_policy(&env).await;
    let config = example_config_with(
        "advanced",
        &env,
        [format!("permissions_boundary_arn={boundary:?}")],
    );
    let key = stack_key(&context(&config).await, &config).await;
    (turn, config, key)
}

/// The SDK clients of the module, with `iam_extra` on the IAM client.
fn api_with(
    ctx: &AwsContext,
    recorder: &OpRecorder,
    iam_extra: Option<FailFirstPutRolePolicy>,
) -> SdkLoggingApi {
    let clients = Intercepted::new(ctx.sdk())
        .with(ctx.call_recorder())
        .with(recorder.clone());
    let iam = match iam_extra {
        Some(fail) => clients.clone().with(fail).iam(),
        None => clients.iam(),
    };
    SdkLoggingApi::from_clients(clients.s3(), clients.logs(), iam, clients.bedrock())
}

/// A plan of the logging module on a fresh context (its call log starts empty).
struct Planned {
    ctx: AwsContext,
    recorder: OpRecorder,
    module: LoggingModule,
    plan: baseline_tests::Planned<LoggingModule>,
}

/// spec + observe + diff on a fresh context (its call log starts empty).
async fn plan(config: &Config, key: &KmsKeyArn) -> Planned {
    let ctx = context(config).await;
    let recorder = OpRecorder::default();
    let module = LoggingModule::with_api(api_with(&ctx, &recorder, None), &ctx);
    let plan = plan_module(&module, config, &inputs(key)).await;
    Planned {
        ctx,
        recorder,
        module,
        plan,
    }
}

fn inputs(key: &KmsKeyArn) -> LoggingInputs {
    LoggingInputs {
        kms_key_arn: Some(key.clone()),
        endpoint_ids: None,
    }
}

async fn apply(config: &Config, key: &KmsKeyArn) -> LoggingOutputs {
    let p = plan(config, key).await;
    p.plan.apply(&p.module).await
}

/// Asserts a fresh plan has no changes, applies it, and asserts the apply wrote nothing.
async fn assert_converged(config: &Config, key: &KmsKeyArn) {
    let p = plan(config, key).await;
    assert!(
        changed(&p.plan.changes).is_empty(),
        "expected no changes, got {:#?}",
        changed(&p.plan.changes)
    );
    p.plan.apply(&p.module).await;
    let writes = p.recorder.writes();
    assert!(
        writes.is_empty(),
        "a converged apply must not write: {writes:?}"
    );
    assert!(p.ctx.call_log().writes().is_empty());
}

#[tokio::test]
async fn apply_from_empty_creates_everything_as_specified_and_a_second_apply_writes_nothing() {
    let (_turn, config, key) = stack("logcreate").await;
    // A region without invocation logging (another test may have left its configuration).
    bedrock()
        .await
        .delete_model_invocation_logging_configuration()
        .send()
        .await
        .unwrap();

    let p = plan(&config, &key).await;
    let actions: Vec<_> = p
        .plan
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("logging.access_log_bucket", Action::Create),
            ("logging.access_log_bucket_policy", Action::Create),
            ("logging.bucket", Action::Create),
            ("logging.bucket_policy", Action::Create),
            ("logging.bucket_request_metrics", Action::Create),
            ("logging.log_group", Action::Create),
            ("logging.role", Action::Create),
            ("logging.role_policy", Action::Create),
            ("logging.invocation_logging", Action::Create),
        ]
    );
    let out = p.plan.apply(&p.module).await;
    assert!(out.logging_enabled);
    let bucket = out.bucket_name.clone().expect("bucket output");
    assert_eq!(bucket, p.plan.spec.bucket_name());
    assert!(
        bucket.starts_with(&config.prefix()) && bucket.len() <= 63,
        "{bucket}"
    );
    assert_eq!(
        out.bucket_arn.as_deref(),
        Some(format!("arn:aws:s3:::{bucket}").as_str())
    );
    let group = out.log_group_name.clone().expect("log group output");
    assert_eq!(
        group,
        format!("/aws/bedrock/{}/invocations", config.prefix())
    );
    let role = out.role_name.clone().expect("role output");
    assert_eq!(role, format!("{}-bedrock-logging", config.prefix()));

    // --- the bucket, read back ---
    let s3 = s3().await;
    let enc = s3
        .get_bucket_encryption()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm().as_str(), "aws:kms");
    assert_eq!(
        default.kms_master_key_id(),
        Some(key.as_str()),
        "bucket encryption names the stack's key"
    );
    assert_eq!(rule.bucket_key_enabled(), Some(true));
    let pab = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        [
            pab.block_public_acls(),
            pab.ignore_public_acls(),
            pab.block_public_policy(),
            pab.restrict_public_buckets()
        ],
        [Some(true); 4]
    );
    let versioning = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ownership.ownership_controls().unwrap().rules()[0]
            .object_ownership()
            .as_str(),
        "BucketOwnerEnforced"
    );
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let lc = &lifecycle.rules()[0];
    let transitions: Vec<_> = lc
        .transitions()
        .iter()
        .map(|t| (t.days(), t.storage_class().map(|c| c.as_str().to_owned())))
        .collect();
    assert_eq!(
        transitions,
        vec![
            (Some(30), Some("STANDARD_IA".into())),
            (Some(90), Some("GLACIER".into()))
        ]
    );
    assert_eq!(lc.expiration().and_then(|e| e.days()), Some(365));
    assert_eq!(
        lc.noncurrent_version_expiration()
            .and_then(|e| e.noncurrent_days()),
        Some(90)
    );
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    let policy = PolicyDocument::parse(policy.policy().unwrap()).unwrap();
    let tls = policy
        .statement("DenyInsecureTransport")
        .expect("TLS statement");
    assert_eq!(
        tls.condition_values("Bool", "aws:SecureTransport")
            .unwrap()
            .0,
        vec!["false"]
    );
    let old_tls = policy
        .statement("DenyOutdatedTls")
        .expect("TLS version statement");
    assert_eq!(
        old_tls
            .condition_values("NumericLessThan", "s3:TlsVersion")
            .unwrap()
            .0,
        vec!["1.2"]
    );
    let bedrock_put = policy
        .statement("AllowBedrockInvocationLogs")
        .expect("Bedrock statement");
    assert_eq!(
        bedrock_put.resource.as_ref().unwrap().0,
        vec![format!("arn:aws:s3:::{bucket}/bedrock-invocations/*")]
    );
    assert_source_guard(
        bedrock_put,
        &format!("arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:*"),
    );
    let tags = s3
        .get_bucket_tagging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(has_stack_tag(
        tags.tag_set().iter().map(|t| (t.key(), t.value())),
        &config.prefix()
    ));

    // --- the log group ---
    let groups = log_groups(&logs().await, &group).await;
    let g = groups
        .iter()
        .find(|g| g.log_group_name() == Some(group.as_str()))
        .expect("log group");
    assert_eq!(g.kms_key_id(), Some(key.as_str()));
    assert_eq!(g.retention_in_days(), Some(90));

    // --- the role ---
    let iam = iam().await;
    let r = iam.get_role().role_name(&role).send().await.unwrap();
    let r = r.role().unwrap();
    assert_eq!(Some(r.arn()), out.role_arn.as_deref());
    let trust = PolicyDocument::parse(r.assume_role_policy_document().unwrap()).unwrap();
    let st = &trust.statement[0];
    assert_eq!(st.action.as_ref().unwrap().0, vec!["sts:AssumeRole"]);
    assert_source_guard(st, &format!("arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:*"));
    assert_eq!(
        r.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn()),
        config.permissions_boundary_arn.as_deref(),
        "the boundary is attached"
    );
    let inline = iam
        .get_role_policy()
        .role_name(&role)
        .policy_name("logging")
        .send()
        .await
        .unwrap();
    let inline = PolicyDocument::parse(inline.policy_document()).unwrap();
    assert!(!inline.has_wildcard_allow());
    let streams = inline.statement("WriteInvocationLogStreams").unwrap();
    assert_eq!(
        streams.resource.as_ref().unwrap().0,
        vec![format!(
            "arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:log-stream:*"
        )]
    );
    let large = inline.statement("WriteLargeDataToLogBucket").unwrap();
    assert_eq!(
        large.resource.as_ref().unwrap().0,
        vec![format!("arn:aws:s3:::{bucket}/bedrock-invocations/*")]
    );

    // --- the invocation logging configuration ---
    let cfg = invocation_logging().await;
    let cfg = cfg.logging_config().expect("logging configured");
    let cw = cfg.cloud_watch_config().expect("CloudWatch destination");
    assert_eq!(cw.log_group_name(), group);
    assert_eq!(Some(cw.role_arn()), out.role_arn.as_deref());
    let large = cw
        .large_data_delivery_s3_config()
        .expect("large data to S3");
    assert_eq!(
        (large.bucket_name(), large.key_prefix()),
        (bucket.as_str(), Some("bedrock-invocations/large-data"))
    );
    let s3_dest = cfg.s3_config().expect("S3 destination");
    assert_eq!(
        (s3_dest.bucket_name(), s3_dest.key_prefix()),
        (bucket.as_str(), Some("bedrock-invocations"))
    );
    assert_eq!(cfg.text_data_delivery_enabled(), Some(true));
    assert_eq!(cfg.image_data_delivery_enabled(), Some(true));
    assert_eq!(cfg.embedding_data_delivery_enabled(), Some(true));
    assert_eq!(cfg.video_data_delivery_enabled(), Some(false));

    // --- second apply: nothing to do, nothing written ---
    assert_converged(&config, &key).await;
}

#[tokio::test]
async fn drift_behind_the_tools_back_is_planned_as_updates_and_repaired() {
    let (_turn, config, key) = stack("logdrift").await;
    let out = apply(&config, &key).await;
    let bucket = out.bucket_name.unwrap();
    let group = out.log_group_name.unwrap();
    let role = out.role_name.unwrap();

    s3().await
        .delete_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    logs()
        .await
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    iam()
        .await
        .delete_role_permissions_boundary()
        .role_name(&role)
        .send()
        .await
        .unwrap();

    let p = plan(&config, &key).await;
    assert_eq!(
        changed(&p.plan.changes),
        vec![
            ("logging.bucket".to_owned(), Action::Update),
            ("logging.log_group".to_owned(), Action::Update),
            ("logging.role".to_owned(), Action::Update),
        ]
    );
    assert_eq!(
        attribute_names(change(&p.plan.changes, "logging.bucket")),
        vec!["public_access_block"]
    );
    assert_eq!(
        attribute_names(change(&p.plan.changes, "logging.log_group")),
        vec!["retention_in_days"]
    );
    assert_eq!(
        attribute_names(change(&p.plan.changes, "logging.role")),
        vec!["permissions_boundary"]
    );
    p.plan.apply(&p.module).await;
    // The bucket, log group and role are converged concurrently: compare as a set.
    let mut writes = p.recorder.writes();
    writes.sort();
    assert_eq!(
        writes,
        vec![
            "PutPublicAccessBlock",
            "PutRetentionPolicy",
            "PutRolePermissionsBoundary"
        ],
        "only the drifted settings are written"
    );

    let pab = s3()
        .await
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        pab.public_access_block_configuration()
            .unwrap()
            .restrict_public_buckets(),
        Some(true)
    );
    assert_converged(&config, &key).await;
}

#[tokio::test]
async fn config_changes_to_retention_prefix_and_lifecycle_are_in_place_updates() {
    let (_turn, config, key) = stack("logcfg").await;
    apply(&config, &key).await;

    let changed_config = Config {
        log_retention_days: 365,
        s3_log_prefix: "audit/".into(),
        s3_lifecycle: baseline_core::config::S3Lifecycle {
            expiration_days: 730,
            ..config.s3_lifecycle
        },
        ..config.clone()
    };
    let p = plan(&changed_config, &key).await;
    let updates = changed(&p.plan.changes);
    assert!(
        updates.iter().all(|(_, a)| *a == Action::Update),
        "only in-place updates: {updates:#?}"
    );
    let addresses: Vec<_> = updates.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        addresses,
        vec![
            // The access-log bucket shares the lifecycle.
            "logging.access_log_bucket",
            "logging.bucket",
            "logging.bucket_policy",
            "logging.log_group",
            "logging.role_policy",
            "logging.invocation_logging"
        ]
    );
    assert_eq!(
        attribute_names(change(&p.plan.changes, "logging.bucket")),
        vec!["lifecycle_rules"]
    );
    assert_eq!(
        attribute_names(change(&p.plan.changes, "logging.log_group")),
        vec!["retention_in_days"]
    );
    let out = p.plan.apply(&p.module).await;

    let group = out.log_group_name.unwrap();
    let groups = log_groups(&logs().await, &group).await;
    assert_eq!(groups[0].retention_in_days(), Some(365));
    let lc = s3()
        .await
        .get_bucket_lifecycle_configuration()
        .bucket(out.bucket_name.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(lc.rules()[0].expiration().and_then(|e| e.days()), Some(730));
    let cfg = invocation_logging().await;
    assert_eq!(
        cfg.logging_config()
            .unwrap()
            .s3_config()
            .unwrap()
            .key_prefix(),
        Some("audit")
    );
    assert_converged(&changed_config, &key).await;
}

/// Fails the first PutRolePolicy, as a crash right after CreateRole would leave things.
#[derive(Debug, Default, Clone)]
struct FailFirstPutRolePolicy(Arc<AtomicBool>);

impl Intercept for FailFirstPutRolePolicy {
    fn name(&self) -> &'static str {
        "test.FailFirstPutRolePolicy"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_iam::error::BoxError> {
        let is_put = context
            .input()
            .downcast_ref::<aws_sdk_iam::operation::put_role_policy::PutRolePolicyInput>()
            .is_some();
        if is_put && !self.0.swap(true, Ordering::SeqCst) {
            return Err("simulated crash before PutRolePolicy".into());
        }
        Ok(())
    }
}

#[tokio::test]
async fn an_interrupted_apply_converges_on_the_next_run_without_duplicates() {
    let (_turn, config, key) = stack("logcrash").await;
    let ctx = context(&config).await;
    let api = api_with(
        &ctx,
        &OpRecorder::default(),
        Some(FailFirstPutRolePolicy::default()),
    );
    let failing = LoggingModule::with_api(api, &ctx);
    let spec = failing.spec(&config, &inputs(&key)).unwrap();
    let observed = failing.observe(&spec).await.unwrap();
    failing
        .apply(&spec, &observed, &NoProgress)
        .await
        .expect_err("the simulated crash fails the apply");

    // The re-run finds the role by name: no second CreateRole, only what is missing.
    let p = plan(&config, &key).await;
    let role = p
        .plan
        .changes
        .iter()
        .find(|c| c.address == "logging.role")
        .unwrap();
    assert_ne!(
        role.action,
        Action::Create,
        "the role from the interrupted run is found again"
    );
    let policy = p
        .plan
        .changes
        .iter()
        .find(|c| c.address == "logging.role_policy")
        .unwrap();
    assert_eq!(policy.action, Action::Create);
    p.plan.apply(&p.module).await;
    let writes = p.recorder.writes();
    assert!(!writes.iter().any(|op| op == "CreateRole"), "{writes:?}");
    let roles = iam().await.list_roles().send().await.unwrap();
    let ours = roles
        .roles()
        .iter()
        .filter(|r| r.role_name().starts_with(&config.prefix()))
        .count();
    assert_eq!(ours, 1, "exactly one role for the stack");
    assert_converged(&config, &key).await;
}

#[tokio::test]
async fn destroy_keeps_audit_data_by_default_and_empties_and_deletes_it_when_asked() {
    let (_turn, config, key) = stack("logdestroy").await;
    let out = apply(&config, &key).await;
    let bucket = out.bucket_name.unwrap();
    let group = out.log_group_name.unwrap();
    let role = out.role_name.unwrap();

    // The whole-bucket request-metrics configuration the log-bucket alarms read.
    let s3 = s3().await;
    let metrics_id = format!("{}-requests", config.prefix());
    let metrics = s3
        .get_bucket_metrics_configuration()
        .bucket(&bucket)
        .id(&metrics_id)
        .send()
        .await
        .expect("request metrics configured");
    let mc = metrics.metrics_configuration().unwrap();
    assert_eq!(mc.id(), metrics_id);
    assert!(mc.filter().is_none(), "whole bucket");

    // A few versions of one object and a delete marker: a non-empty, versioned bucket.
    for body in ["v1", "v2", "v3"] {
        s3.put_object()
            .bucket(&bucket)
            .key("bedrock-invocations/AWSLogs/x.json")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    s3.delete_object()
        .bucket(&bucket)
        .key("bedrock-invocations/AWSLogs/x.json")
        .send()
        .await
        .unwrap();
    s3.put_object()
        .bucket(&bucket)
        .key("bedrock-invocations/AWSLogs/y.json")
        .body(b"y".to_vec().into())
        .send()
        .await
        .unwrap();
    let versions = s3
        .list_object_versions()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.versions().len() + versions.delete_markers().len(),
        5
    );

    // Default destroy: role and configuration go, bucket and log group stay.
    let p = plan(&config, &key).await;
    let plan_kept = p.plan.destroy_plan(&p.module, DestroyOptions::default());
    let kept: Vec<_> = plan_kept
        .iter()
        .map(|c| (c.address.as_str(), c.action, c.note.clone()))
        .collect();
    assert!(
        kept.contains(&(
            "logging.bucket",
            Action::NoOp,
            Some("kept: audit data (pass --delete-audit-data to delete)".into())
        )),
        "{kept:#?}"
    );
    assert!(kept.contains(&(
        "logging.log_group",
        Action::NoOp,
        Some("kept: audit data (pass --delete-audit-data to delete)".into())
    )));
    assert!(kept
        .iter()
        .any(|(a, act, _)| *a == "logging.role" && *act == Action::Delete));
    p.plan.destroy(&p.module, DestroyOptions::default()).await;

    let gone = iam().await.get_role().role_name(&role).send().await;
    assert!(gone.is_err(), "the role is deleted");
    let cfg = invocation_logging().await;
    assert!(
        cfg.logging_config()
            .is_none_or(|c| c.cloud_watch_config().is_none() && c.s3_config().is_none()),
        "logging is off"
    );
    s3.head_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("the bucket is kept");
    assert!(
        s3.get_bucket_metrics_configuration()
            .bucket(&bucket)
            .id(&metrics_id)
            .send()
            .await
            .is_err(),
        "the request-metrics configuration is removed even though the bucket stays"
    );
    let groups = log_groups(&logs().await, &group).await;
    assert_eq!(groups.len(), 1, "the log group is kept");

    // With delete_audit_data: the versioned bucket is emptied and deleted, the log group deleted.
    let p = plan(&config, &key).await;
    let all = DestroyOptions {
        delete_audit_data: true,
    };
    let plan_all = p.plan.destroy_plan(&p.module, all);
    let deleted: Vec<_> = plan_all
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.as_str())
        .collect();
    assert_eq!(
        deleted,
        vec![
            "logging.log_group",
            "logging.bucket",
            "logging.bucket_policy",
            "logging.access_log_bucket",
            "logging.access_log_bucket_policy"
        ]
    );
    p.plan.destroy(&p.module, all).await;
    assert!(
        s3.head_bucket().bucket(&bucket).send().await.is_err(),
        "the bucket is deleted"
    );
    let groups = log_groups(&logs().await, &group).await;
    assert!(groups.is_empty(), "the log group is deleted");

    // Nothing of the stack is left to plan.
    let p = plan(&config, &key).await;
    assert!(p.plan.destroy_plan(&p.module, all).is_empty());
}

//! The encryption module against the emulator: the key as specified, read back through the SDK;
//! a second apply that writes nothing; drift repaired; an apply interrupted right after the key
//! was created converging without a second key; destroy scheduling deletion; and the module's
//! own binary.

use aws_sdk_kms::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use baseline_core::policy::PolicyDocument;
use baseline_core::progress::NoProgress;
use baseline_core::{Action, DestroyOptions, Module};
use baseline_encryption::{EncryptionModule, SdkKmsApi};
use baseline_tests::{
    attribute_names, context, example_config, key_state, sdk_config, stack_cli_named, stack_keys,
    unique_env, Intercepted,
};

async fn kms() -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::new(&sdk_config().await)
}

/// Fails every call of one operation: an apply "interrupted" at that point.
#[derive(Debug)]
struct FailOperation(&'static str);

impl Intercept for FailOperation {
    fn name(&self) -> &'static str {
        "FailOperation"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_kms::error::BoxError> {
        let op = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_owned());
        if op.as_deref() == Some(self.0) {
            return Err(format!("injected failure of {}", self.0).into());
        }
        Ok(())
    }
}

/// Whether the key rotates automatically.
async fn rotation_enabled(kms: &aws_sdk_kms::Client, key_id: &str) -> bool {
    kms.get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_rotation_enabled()
}

#[tokio::test]
async fn key_as_specified_converges_repairs_drift_and_is_scheduled_for_deletion() {
    let config = example_config("advanced", &unique_env("enc"), &[]);
    let ctx = context(&config).await;
    let m = EncryptionModule::new(&ctx);
    let spec = m.spec(&config, &()).unwrap();
    let observed = m.observe(&spec).await.unwrap();
    let out = m.apply(&spec, &observed, &NoProgress).await.unwrap();

    let kms = kms().await;
    let key = kms
        .describe_key()
        .key_id(&out.kms_key_id)
        .send()
        .await
        .unwrap();
    let meta = key.key_metadata().unwrap();
    assert_eq!(meta.arn(), Some(out.kms_key_arn.as_str()));
    assert_eq!(
        meta.key_spec().map(|s| s.as_str()),
        Some("SYMMETRIC_DEFAULT")
    );
    assert!(rotation_enabled(&kms, &out.kms_key_id).await);
    let policy = kms
        .get_key_policy()
        .key_id(&out.kms_key_id)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let policy = PolicyDocument::parse(policy.policy().unwrap()).unwrap();
    assert!(policy.equivalent(&spec.policy));
    for sid in [
        "SnsTopicsUse",
        "CloudWatchAlarmsUse",
        "EventBridgeRulesUse",
        "BedrockUse",
    ] {
        let st = policy.statement(sid).unwrap();
        assert_eq!(
            st.condition_values("StringEquals", "aws:SourceAccount")
                .unwrap()
                .0,
            vec![ctx.account_id()]
        );
        assert!(
            st.condition_values("ArnLike", "aws:SourceArn").is_some(),
            "{sid}"
        );
    }
    assert!(policy
        .statement("CloudWatchLogsUse")
        .unwrap()
        .condition_values("ArnLike", "kms:EncryptionContext:aws:logs:arn")
        .is_some());
    let aliases = kms
        .list_aliases()
        .key_id(&out.kms_key_id)
        .send()
        .await
        .unwrap();
    assert_eq!(aliases.aliases()[0].alias_name(), Some(spec.alias.as_str()));

    // Second apply: no change, no write.
    let before = ctx.call_log().writes().len();
    let observed = m.observe(&spec).await.unwrap();
    assert!(m.diff(&spec, &observed).iter().all(|c| !c.is_change()));
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
    assert_eq!(
        ctx.call_log().writes().len(),
        before,
        "a converged key makes no write call"
    );
    assert!(before > 0, "the call log records the first apply's writes");

    // Drift: rotation turned off behind the tool's back.
    kms.disable_key_rotation()
        .key_id(&out.kms_key_id)
        .send()
        .await
        .unwrap();
    let observed = m.observe(&spec).await.unwrap();
    let changes = m.diff(&spec, &observed);
    assert_eq!(changes[0].action, Action::Update);
    assert_eq!(attribute_names(&changes[0]), ["enable_key_rotation"]);
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
    assert!(rotation_enabled(&kms, &out.kms_key_id).await);

    // Destroy without --delete-audit-data: the key encrypts kept logs, so nothing changes.
    let observed = m.observe(&spec).await.unwrap();
    m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(key_state(&kms, &out.kms_key_id).await, "Enabled");

    // With the audit data: alias gone, key pending deletion with the configured window, never
    // deleted.
    let observed = m.observe(&spec).await.unwrap();
    let all = DestroyOptions {
        delete_audit_data: true,
    };
    m.destroy(&spec, &observed, all, &NoProgress).await.unwrap();
    assert_eq!(key_state(&kms, &out.kms_key_id).await, "PendingDeletion");
    assert!(kms
        .list_aliases()
        .key_id(&out.kms_key_id)
        .send()
        .await
        .unwrap()
        .aliases()
        .is_empty());

    // Applying again restores the same key (cancels the deletion) instead of making a new one.
    let observed = m.observe(&spec).await.unwrap();
    assert_eq!(
        observed.key.as_ref().map(|k| k.description.key_id.as_str()),
        Some(out.kms_key_id.as_str())
    );
    let again = m.apply(&spec, &observed, &NoProgress).await.unwrap();
    assert_eq!(again.kms_key_id, out.kms_key_id);
    assert_eq!(key_state(&kms, &out.kms_key_id).await, "Enabled");
}

#[tokio::test]
async fn apply_interrupted_after_the_key_was_created_makes_no_second_key() {
    let config = example_config("basic", &unique_env("encint"), &[]);
    let ctx = context(&config).await;
    let failing = Intercepted::new(&sdk_config().await)
        .with(FailOperation("EnableKeyRotation"))
        .kms();
    let broken = EncryptionModule::with_api(SdkKmsApi::from_client(failing), &ctx);
    let spec = broken.spec(&config, &()).unwrap();
    let observed = broken.observe(&spec).await.unwrap();
    assert!(
        broken.apply(&spec, &observed, &NoProgress).await.is_err(),
        "the injected failure stops the apply"
    );

    let m = EncryptionModule::new(&ctx);
    let observed = m.observe(&spec).await.unwrap();
    let found = observed
        .key
        .clone()
        .expect("the key created before the failure is found by its stack tag");
    let changes = m.diff(&spec, &observed);
    assert_eq!(
        changes[0].action,
        Action::Update,
        "the orphaned key is adopted, not re-created"
    );
    assert_eq!(
        changes[1].action,
        Action::Create,
        "only the alias is missing"
    );
    let out = m.apply(&spec, &observed, &NoProgress).await.unwrap();
    assert_eq!(out.kms_key_id, found.description.key_id);

    let tagged = stack_keys(&kms().await, &spec.stack).await;
    assert_eq!(tagged.len(), 1, "exactly one key carries the stack tag");
}

#[test]
fn the_module_runs_alone_through_its_binary() {
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("encbin");
    let run = |args: &[&str]| {
        stack_cli_named("baseline-encryption", dir.path(), "basic", &env, args)
            .output()
            .unwrap()
    };
    let out = run(&["plan"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("module encryption") && !text.contains("module network"),
        "{text}"
    );
    let out = run(&["apply", "--auto-approve", "--json"]);
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["outputs"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["encryption"]
    );
    assert!(run(&["destroy", "--auto-approve"]).status.success());
}

use super::*;
use crate::api::MockKmsApi;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::progress::NoProgress;
use baseline_core::{Action, Naming, ProgressEvent};

fn ctx() -> AwsContext {
    AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
}

fn spec_of(m: &EncryptionModule<MockKmsApi>) -> EncryptionSpec {
    let config = Config {
        environment: "prod".into(),
        kms_deletion_window_days: 14,
        ..Config::default()
    };
    m.spec(&config, &()).unwrap()
}

fn existing(spec: &EncryptionSpec) -> ObservedKey {
    ObservedKey {
        description: KeyDescription {
            key_id: "k-1".into(),
            arn: "arn:aws:kms:us-east-1:123456789012:key/k-1".into(),
            description: spec.description.clone(),
            state: "Enabled".into(),
            manager: "CUSTOMER".into(),
            created: 1,
        },
        rotation: true,
        policy: Some(spec.policy.clone()),
        tags: spec.tags.clone(),
    }
}

#[test]
fn spec_names_alias_and_window_from_config() {
    let m = EncryptionModule::with_api(MockKmsApi::new(), &ctx());
    let spec = spec_of(&m);
    assert_eq!(spec.alias, "alias/demo-prod-bedrock");
    assert_eq!(spec.deletion_window_days, 14);
    assert_eq!(spec.tags["baseline:module"], "encryption");
}

#[test]
fn empty_account_plans_key_and_alias_creation() {
    let m = EncryptionModule::with_api(MockKmsApi::new(), &ctx());
    let spec = spec_of(&m);
    let changes = m.diff(&spec, &EncryptionObserved::default());
    let actions: Vec<_> = changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    assert_eq!(
        actions,
        vec![(KEY, Action::Create), (ALIAS, Action::Create)]
    );
}

#[test]
fn converged_key_is_a_no_op_even_when_aws_reorders_the_policy() {
    let m = EncryptionModule::with_api(MockKmsApi::new(), &ctx());
    let spec = spec_of(&m);
    let mut key = existing(&spec);
    let mut reordered = spec.policy.clone();
    reordered.statement.iter_mut().for_each(|s| {
        if let Some(a) = s.action.as_mut() {
            a.0.reverse()
        }
    });
    key.policy = Some(reordered);
    let observed = EncryptionObserved {
        key: Some(key),
        alias_target: Some("k-1".into()),
    };
    assert!(m.diff(&spec, &observed).iter().all(|c| !c.is_change()));
}

#[test]
fn rotation_off_is_drift_on_exactly_that_attribute() {
    let m = EncryptionModule::with_api(MockKmsApi::new(), &ctx());
    let spec = spec_of(&m);
    let mut key = existing(&spec);
    key.rotation = false;
    let observed = EncryptionObserved {
        key: Some(key),
        alias_target: Some("k-1".into()),
    };
    let changes = m.diff(&spec, &observed);
    assert_eq!(changes[0].action, Action::Update);
    let names: Vec<_> = changes[0]
        .attributes
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, vec!["enable_key_rotation"]);
}

#[tokio::test]
async fn drifted_rotation_is_repaired_with_one_write() {
    let mut api = MockKmsApi::new();
    api.expect_enable_rotation().times(1).returning(|_| Ok(()));
    let m = EncryptionModule::with_api(api, &ctx());
    let spec = spec_of(&m);
    let mut key = existing(&spec);
    key.rotation = false;
    let observed = EncryptionObserved {
        key: Some(key),
        alias_target: Some("k-1".into()),
    };
    let out = m.apply(&spec, &observed, &NoProgress).await.unwrap();
    assert_eq!(out.kms_key_id, "k-1");
}

#[tokio::test]
async fn access_denied_on_create_is_reported_with_its_operation() {
    let mut api = MockKmsApi::new();
    api.expect_create_key().returning(|_, _, _| {
        Err(ApiError::synthetic(
            "kms",
            "CreateKey",
            "demo",
            ServiceErrorKind::AccessDenied,
            "AccessDeniedException: not allowed",
        ))
    });
    let m = EncryptionModule::with_api(api, &ctx());
    let spec = spec_of(&m);
    let err = m
        .apply(&spec, &EncryptionObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(&err, EncryptionError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
    assert!(err.to_string().contains("kms:CreateKey"), "{err}");
}

#[tokio::test]
async fn throttling_after_create_keeps_the_key_recorded() {
    let mut api = MockKmsApi::new();
    let spec_desc = "k-9".to_string();
    api.expect_create_key().times(1).returning(move |d, _, _| {
        Ok(KeyDescription {
            key_id: spec_desc.clone(),
            arn: format!("arn:aws:kms:us-east-1:123456789012:key/{spec_desc}"),
            description: d.into(),
            state: "Enabled".into(),
            manager: "CUSTOMER".into(),
            created: 1,
        })
    });
    api.expect_enable_rotation().returning(|k| {
        Err(ApiError::synthetic(
            "kms",
            "EnableKeyRotation",
            k,
            ServiceErrorKind::Throttled,
            "ThrottlingException: slow down",
        ))
    });
    let m = EncryptionModule::with_api(api, &ctx());
    let spec = spec_of(&m);
    let progress = baseline_core::progress::RecordedProgress::default();
    let err = m
        .apply(&spec, &EncryptionObserved::default(), &progress)
        .await
        .unwrap_err();
    assert!(matches!(&err, EncryptionError::Api(e) if e.kind == ServiceErrorKind::Throttled));
    let events = progress.0.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == KEY)),
        "the new key is reported before the failure"
    );
}

#[tokio::test]
async fn key_deleted_between_observe_and_apply_fails_with_not_found() {
    let mut api = MockKmsApi::new();
    api.expect_enable_rotation().returning(|k| {
        Err(ApiError::synthetic(
            "kms",
            "EnableKeyRotation",
            k,
            ServiceErrorKind::NotFound,
            "NotFoundException: gone",
        ))
    });
    let m = EncryptionModule::with_api(api, &ctx());
    let spec = spec_of(&m);
    let mut key = existing(&spec);
    key.rotation = false;
    let observed = EncryptionObserved {
        key: Some(key),
        alias_target: Some("k-1".into()),
    };
    let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(matches!(&err, EncryptionError::Api(e) if e.is_not_found()));
}

#[tokio::test]
async fn alias_on_a_foreign_key_is_refused() {
    let mut api = MockKmsApi::new();
    api.expect_alias_target()
        .returning(|_| Ok(Some("other".into())));
    api.expect_describe_key().returning(|id| {
        Ok(Some(KeyDescription {
            key_id: id.into(),
            arn: format!("arn:aws:kms:us-east-1:123456789012:key/{id}"),
            description: String::new(),
            state: "Enabled".into(),
            manager: "CUSTOMER".into(),
            created: 1,
        }))
    });
    api.expect_rotation_enabled().returning(|_| Ok(true));
    api.expect_key_policy().returning(|_| Ok("{}".into()));
    api.expect_tags().returning(|_| Ok(BTreeMap::new()));
    let m = EncryptionModule::with_api(api, &ctx());
    let spec = spec_of(&m);
    assert!(matches!(
        m.observe(&spec).await,
        Err(EncryptionError::ForeignAlias { .. })
    ));
}

#[test]
fn destroy_schedules_deletion_and_removes_alias_only_with_the_audit_data() {
    let m = EncryptionModule::with_api(MockKmsApi::new(), &ctx());
    let spec = spec_of(&m);
    let observed = EncryptionObserved {
        key: Some(existing(&spec)),
        alias_target: Some("k-1".into()),
    };
    let plan = m.destroy_plan(
        &spec,
        &observed,
        DestroyOptions {
            delete_audit_data: true,
        },
    );
    assert_eq!(
        plan.iter().map(|c| c.action).collect::<Vec<_>>(),
        vec![Action::Delete, Action::Delete]
    );
    assert!(plan[0].note.as_deref().unwrap().contains("14 days"));
}

#[test]
fn destroy_keeps_the_key_and_alias_while_audit_data_is_kept() {
    let m = EncryptionModule::with_api(MockKmsApi::new(), &ctx());
    let spec = spec_of(&m);
    let observed = EncryptionObserved {
        key: Some(existing(&spec)),
        alias_target: Some("k-1".into()),
    };
    let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
    assert_eq!(
        plan.iter().map(|c| c.action).collect::<Vec<_>>(),
        vec![Action::NoOp, Action::NoOp]
    );
    assert!(plan[0].note.as_deref().unwrap().contains("kept, enabled"));
}

#[tokio::test]
async fn destroy_without_audit_data_makes_no_call() {
    // A mock without expectations panics on any call: keeping the key writes nothing.
    let m = EncryptionModule::with_api(MockKmsApi::new(), &ctx());
    let spec = spec_of(&m);
    let observed = EncryptionObserved {
        key: Some(existing(&spec)),
        alias_target: Some("k-1".into()),
    };
    m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .unwrap();
}

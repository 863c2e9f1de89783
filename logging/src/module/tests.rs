use super::*;
use crate::api::{
    BucketEncryption, LogGroupInfo, MockLoggingApi, ObjectLockConfig, ObjectVersionRef,
    PublicAccessBlock, RoleInfo,
};
use crate::role::INLINE_POLICY;
use crate::{KEPT_AUDIT_DATA, KNOWN_AFTER_APPLY};
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::naming::STACK_TAG;
use baseline_core::progress::{NoProgress, RecordedProgress};
use baseline_core::Naming;
use baseline_core::ProgressEvent;
use serde_json::json;

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";

fn ctx() -> AwsContext {
    AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
}

fn config() -> Config {
    Config {
        environment: "prod".into(),
        permissions_boundary_arn: None,
        ..Config::default()
    }
}

fn module(api: MockLoggingApi) -> LoggingModule<MockLoggingApi> {
    LoggingModule::with_api(api, &ctx()).with_propagation_retry(Vec::new())
}

fn spec_with(m: &LoggingModule<MockLoggingApi>, config: &Config) -> LoggingSpec {
    m.spec(
        config,
        &LoggingInputs {
            kms_key_arn: Some(KmsKeyArn(KEY.into())),
            endpoint_ids: None,
        },
    )
    .unwrap()
}

/// Percent-encodes like IAM does.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Everything as specified, as AWS would return it (policies re-ordered and URL-encoded).
fn observed_bucket(b: &BucketSpec) -> ObservedBucket {
    let mut policy = b.policy.clone();
    policy.statement.reverse();
    ObservedBucket {
        encryption: Some(if b.sse_kms {
            BucketEncryption {
                sse_algorithm: "aws:kms".into(),
                kms_master_key_id: Some(KEY.into()),
                bucket_key_enabled: true,
            }
        } else {
            BucketEncryption {
                sse_algorithm: "AES256".into(),
                kms_master_key_id: None,
                bucket_key_enabled: false,
            }
        }),
        versioning: Some("Enabled".into()),
        public_access_block: Some(PublicAccessBlock::ALL),
        object_ownership: Some("BucketOwnerEnforced".into()),
        lifecycle_rules: b.lifecycle_rules.clone(),
        policy: Some(policy.to_json()),
        tags: b.tags.clone(),
        object_lock: b.object_lock.as_ref().map(|l| ObjectLockConfig {
            enabled: true,
            mode: Some(l.mode.clone()),
            days: Some(l.days),
            years: None,
        }),
        access_log: b.access_log.clone(),
        eventbridge: b.eventbridge,
    }
}

fn converged(spec: &LoggingSpec) -> LoggingObserved {
    LoggingObserved {
        flow_logs: ObservedFlowLogs::default(),
        replication: ObservedReplication::default(),
        bucket: spec.bucket.enabled.then(|| observed_bucket(&spec.bucket)),
        access_log_bucket: spec
            .access_log_bucket
            .enabled
            .then(|| observed_bucket(&spec.access_log_bucket)),
        log_group: Some(ObservedLogGroup {
            info: LogGroupInfo {
                name: spec.log_group.name.clone(),
                arn: spec.log_group.arn.clone(),
                kms_key_id: Some(KEY.into()),
                retention_in_days: Some(spec.log_group.retention_in_days),
            },
            tags: spec.log_group.tags.clone(),
        }),
        role: Some(ObservedRole {
            info: RoleInfo {
                name: spec.role.name.clone(),
                arn: spec.role.arn.clone(),
                trust_policy: url_encode(&spec.role.trust_policy.to_json()),
                permissions_boundary_arn: spec.role.permissions_boundary_arn.clone(),
            },
            tags: spec.role.tags.clone(),
            inline_policy_names: vec![INLINE_POLICY.into()],
            inline_policy: Some(url_encode(&spec.role.policy.to_json())),
            attached_policies: Vec::new(),
        }),
        request_metrics: spec.request_metrics.enabled.then_some(false),
        invocation_logging: spec.invocation_logging.clone(),
    }
}

fn actions(changes: &[Change]) -> Vec<(&str, Action)> {
    changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect()
}

fn attrs<'a>(changes: &'a [Change], address: &str) -> Vec<&'a str> {
    changes
        .iter()
        .find(|c| c.address == address)
        .map(|c| c.attributes.iter().map(|a| a.name.as_str()).collect())
        .unwrap_or_default()
}

fn api_err(op: &'static str, kind: ServiceErrorKind) -> ApiError {
    ApiError::synthetic("test", op, "target", kind, "synthetic")
}

#[test]
fn spec_names_every_resource_from_the_stack() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    assert_eq!(
        spec.bucket_name(),
        "demo-prod-bedrock-logs-123456789012-us-east-1"
    );
    assert_eq!(spec.log_group_name(), "/aws/bedrock/demo-prod/invocations");
    assert_eq!(spec.role_name(), "demo-prod-bedrock-logging");
    assert_eq!(
        spec.role.arn,
        "arn:aws:iam::123456789012:role/demo-prod-bedrock-logging"
    );
    assert_eq!(
        spec.log_group.arn,
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock/demo-prod/invocations"
    );
    assert_eq!(spec.bucket.tags["baseline:module"], "logging");
    let inv = spec.invocation_logging().unwrap();
    assert_eq!(inv.cloudwatch.as_ref().unwrap().role_arn, spec.role.arn);
    assert_eq!(inv.s3.as_ref().unwrap().bucket_name, spec.bucket.name);
}

#[tokio::test]
async fn event_delivery_to_eventbridge_switched_off_by_hand_is_turned_on_again() {
    let mut api = MockLoggingApi::new();
    api.expect_enable_bucket_eventbridge()
        .withf(|b| b.contains("-access-logs-"))
        .times(1)
        .returning(|_| Ok(()));
    let m = module(api);
    let spec = spec_with(&m, &config());
    assert!(spec.bucket.eventbridge && spec.access_log_bucket.eventbridge);
    let mut observed = converged(&spec);
    observed.access_log_bucket.as_mut().unwrap().eventbridge = false;
    let changes = m.diff(&spec, &observed);
    let changed: Vec<_> = changes.iter().filter(|c| c.is_change()).collect();
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert_eq!(changed[0].address, ACCESS_LOG_BUCKET);
    assert!(changed[0].attributes[0]
        .name
        .starts_with("event_notifications"));
    m.apply(&spec, &observed, &NoProgress).await.unwrap();

    // Off in the config: the attribute is not managed, nothing is planned.
    let mut off = config();
    off.s3_event_notifications = false;
    let spec = spec_with(&m, &off);
    let mut observed = converged(&spec);
    observed.bucket.as_mut().unwrap().eventbridge = false;
    assert!(m.diff(&spec, &observed).iter().all(|c| !c.is_change()));
}

#[test]
fn s3_off_drops_the_bucket_and_its_grants_everywhere() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(
        &m,
        &Config {
            enable_s3_logging: false,
            ..config()
        },
    );
    assert!(!spec.bucket.enabled);
    assert!(spec
        .role
        .policy
        .statement("WriteLargeDataToLogBucket")
        .is_none());
    let inv = spec.invocation_logging().unwrap();
    assert!(
        inv.s3.is_none()
            && inv
                .cloudwatch
                .as_ref()
                .unwrap()
                .large_data_delivery_s3
                .is_none()
    );
    let changes = m.diff(&spec, &LoggingObserved::default());
    assert!(!changes
        .iter()
        .any(|c| c.address.starts_with("logging.bucket")));
    let out = m.planned_outputs(&spec, &converged(&spec)).unwrap();
    assert_eq!(out.bucket_name, None);
    assert!(out.log_group_name.is_some());
}

#[test]
fn cloudwatch_off_needs_no_role() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(
        &m,
        &Config {
            enable_cloudwatch_logging: false,
            ..config()
        },
    );
    assert!(!spec.role.enabled);
    assert!(spec.invocation_logging().unwrap().cloudwatch.is_none());
}

#[test]
fn empty_account_plans_every_create_and_unknown_key_shows_known_after_apply() {
    let m = module(MockLoggingApi::new());
    let spec = m.spec(&config(), &LoggingInputs::default()).unwrap();
    let changes = m.diff(&spec, &LoggingObserved::default());
    assert_eq!(
        actions(&changes),
        vec![
            (ACCESS_LOG_BUCKET, Action::Create),
            (ACCESS_LOG_BUCKET_POLICY, Action::Create),
            (BUCKET, Action::Create),
            (BUCKET_POLICY, Action::Create),
            (request_metrics::ADDRESS, Action::Create),
            (LOG_GROUP, Action::Create),
            (ROLE, Action::Create),
            (ROLE_POLICY, Action::Create),
            (INVOCATION_LOGGING, Action::Create),
        ]
    );
    let lg = changes.iter().find(|c| c.address == LOG_GROUP).unwrap();
    let key = lg
        .attributes
        .iter()
        .find(|a| a.name == "kms_key_id")
        .unwrap();
    assert_eq!(key.after, Some(json!(KNOWN_AFTER_APPLY)));
    assert!(m
        .planned_outputs(&spec, &LoggingObserved::default())
        .is_none());
}

#[test]
fn converged_stack_is_all_no_ops_though_aws_reorders_and_encodes_policies() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let changes = m.diff(&spec, &converged(&spec));
    assert!(changes.iter().all(|c| !c.is_change()), "{changes:#?}");
    let out = m.planned_outputs(&spec, &converged(&spec)).unwrap();
    assert!(out.logging_enabled);
    assert_eq!(out.role_arn.as_deref(), Some(spec.role.arn.as_str()));
}

#[test]
fn deleted_public_access_block_and_changed_retention_are_updates_of_those_attributes() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    observed.bucket.as_mut().unwrap().public_access_block = None;
    observed.log_group.as_mut().unwrap().info.retention_in_days = Some(7);
    let changes = m.diff(&spec, &observed);
    let changed: Vec<_> = changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    assert_eq!(
        changed,
        vec![(BUCKET, Action::Update), (LOG_GROUP, Action::Update)]
    );
    assert_eq!(attrs(&changes, BUCKET), vec!["public_access_block"]);
    assert_eq!(attrs(&changes, LOG_GROUP), vec!["retention_in_days"]);
}

#[test]
fn config_changes_are_in_place_updates() {
    let m = module(MockLoggingApi::new());
    let deployed = spec_with(&m, &config());
    let observed = converged(&deployed);
    let mut lifecycle = config().s3_lifecycle;
    lifecycle.expiration_days = 730;
    let changed = Config {
        log_retention_days: 365,
        s3_log_prefix: "audit/".into(),
        s3_lifecycle: lifecycle,
        ..config()
    };
    let spec = spec_with(&m, &changed);
    let changes = m.diff(&spec, &observed);
    let updated: Vec<_> = changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    assert_eq!(
        updated,
        vec![
            // Both buckets share the lifecycle.
            (ACCESS_LOG_BUCKET, Action::Update),
            (BUCKET, Action::Update),
            (BUCKET_POLICY, Action::Update),
            (LOG_GROUP, Action::Update),
            (ROLE_POLICY, Action::Update),
            (INVOCATION_LOGGING, Action::Update),
        ]
    );
    assert_eq!(attrs(&changes, BUCKET), vec!["lifecycle_rules"]);
    assert_eq!(attrs(&changes, LOG_GROUP), vec!["retention_in_days"]);
}

#[test]
fn boundary_and_hand_added_grants_on_the_role_are_drift() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(
        &m,
        &Config {
            permissions_boundary_arn: Some("arn:aws:iam::123456789012:policy/B".into()),
            ..config()
        },
    );
    let mut observed = converged(&spec);
    let role = observed.role.as_mut().unwrap();
    role.info.permissions_boundary_arn = None;
    role.attached_policies = vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()];
    role.inline_policy_names.push("extra".into());
    let changes = m.diff(&spec, &observed);
    assert_eq!(
        attrs(&changes, ROLE),
        vec![
            "attached_managed_policies",
            "other_inline_policies",
            "permissions_boundary"
        ]
    );
}

#[test]
fn a_trust_policy_without_conditions_is_drift() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    let mut loose = spec.role.trust_policy.clone();
    loose.statement[0].condition = None;
    observed.role.as_mut().unwrap().info.trust_policy = url_encode(&loose.to_json());
    let changes = m.diff(&spec, &observed);
    assert!(
        attrs(&changes, ROLE)
            .iter()
            .all(|a| a.starts_with("trust_policy")),
        "{:?}",
        attrs(&changes, ROLE)
    );
}

#[test]
fn someone_elses_invocation_logging_is_replaced_with_a_note_and_never_deleted() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    let mut foreign = spec.invocation_logging.clone().unwrap();
    foreign.cloudwatch.as_mut().unwrap().log_group_name = "/other/group".into();
    foreign.s3.as_mut().unwrap().bucket_name = "other-bucket".into();
    observed.invocation_logging = Some(foreign);
    let changes = m.diff(&spec, &observed);
    let inv = changes
        .iter()
        .find(|c| c.address == INVOCATION_LOGGING)
        .unwrap();
    assert_eq!(inv.action, Action::Update);
    assert!(
        inv.note.as_deref().unwrap().contains("/other/group"),
        "{:?}",
        inv.note
    );
    let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
    let inv = plan
        .iter()
        .find(|c| c.address == INVOCATION_LOGGING)
        .unwrap();
    assert_eq!(inv.action, Action::NoOp);
}

#[test]
fn destroy_keeps_audit_data_unless_asked() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let observed = converged(&spec);
    let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
    assert_eq!(
        actions(&plan),
        vec![
            (INVOCATION_LOGGING, Action::Delete),
            (request_metrics::ADDRESS, Action::Delete),
            (ROLE, Action::Delete),
            (ROLE_POLICY, Action::Delete),
            (LOG_GROUP, Action::NoOp),
            (BUCKET, Action::NoOp),
            (BUCKET_POLICY, Action::NoOp),
            (ACCESS_LOG_BUCKET, Action::NoOp),
            (ACCESS_LOG_BUCKET_POLICY, Action::NoOp),
        ]
    );
    let kept = plan.iter().find(|c| c.address == BUCKET).unwrap();
    assert_eq!(kept.note.as_deref(), Some(KEPT_AUDIT_DATA));
    let all = m.destroy_plan(
        &spec,
        &observed,
        DestroyOptions {
            delete_audit_data: true,
        },
    );
    assert!(all.iter().all(|c| c.action == Action::Delete), "{all:#?}");
}

#[tokio::test]
async fn drift_is_repaired_with_exactly_the_writes_it_needs() {
    let mut api = MockLoggingApi::new();
    api.expect_block_public_access()
        .times(1)
        .returning(|_| Ok(()));
    api.expect_put_retention()
        .times(1)
        .withf(|_, days| *days == 90)
        .returning(|_, _| Ok(()));
    let m = module(api);
    let spec = spec_with(
        &m,
        &Config {
            log_retention_days: 90,
            ..config()
        },
    );
    let mut observed = converged(&spec);
    observed.bucket.as_mut().unwrap().public_access_block = None;
    observed.log_group.as_mut().unwrap().info.retention_in_days = Some(7);
    let out = m.apply(&spec, &observed, &NoProgress).await.unwrap();
    assert!(out.logging_enabled);
}

#[tokio::test]
async fn a_log_group_on_another_key_is_put_back_with_associate_kms_key() {
    let mut api = MockLoggingApi::new();
    api.expect_associate_kms_key()
        .times(1)
        .withf(|_, key| key == KEY)
        .returning(|_, _| Ok(()));
    let m = module(api);
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    observed.log_group.as_mut().unwrap().info.kms_key_id =
        Some("arn:aws:kms:us-east-1:123456789012:key/other".into());
    assert_eq!(
        attrs(&m.diff(&spec, &observed), LOG_GROUP),
        vec!["kms_key_id"]
    );
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

#[tokio::test]
async fn converged_stack_applies_with_no_call_at_all() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    m.apply(&spec, &converged(&spec), &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn apply_without_the_key_refuses_before_any_write() {
    let m = module(MockLoggingApi::new());
    let spec = m.spec(&config(), &LoggingInputs::default()).unwrap();
    let err = m
        .apply(&spec, &LoggingObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(err, LoggingError::MissingKmsKey));
}

#[tokio::test]
async fn access_denied_on_bucket_creation_is_reported_with_its_operation() {
    let mut api = MockLoggingApi::new();
    api.expect_create_bucket().returning(|b, _, _| {
        Err(ApiError::synthetic(
            "s3",
            "CreateBucket",
            b,
            ServiceErrorKind::AccessDenied,
            "AccessDenied: no",
        ))
    });
    // The other resources go ahead concurrently; let them succeed.
    api.expect_create_log_group().returning(|_, _, _| Ok(()));
    api.expect_put_retention().returning(|_, _| Ok(()));
    api.expect_create_role()
        .returning(|r| Ok(format!("arn:aws:iam::123456789012:role/{}", r.name)));
    api.expect_put_role_policy().returning(|_, _, _| Ok(()));
    let m = module(api);
    let spec = spec_with(&m, &config());
    let err = m
        .apply(&spec, &LoggingObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(&err, LoggingError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
    assert!(err.to_string().contains("s3:CreateBucket"), "{err}");
}

#[tokio::test]
async fn throttling_after_the_role_exists_keeps_it_recorded() {
    let mut api = MockLoggingApi::new();
    api.expect_create_role()
        .times(1)
        .returning(|r| Ok(format!("arn:aws:iam::123456789012:role/{}", r.name)));
    api.expect_put_role_policy()
        .returning(|_, _, _| Err(api_err("PutRolePolicy", ServiceErrorKind::Throttled)));
    let m = module(api);
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    observed.role = None;
    let progress = RecordedProgress::default();
    let err = m.apply(&spec, &observed, &progress).await.unwrap_err();
    assert!(matches!(&err, LoggingError::Api(e) if e.kind == ServiceErrorKind::Throttled));
    let events = progress.0.lock().unwrap();
    assert!(events
        .iter()
        .any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == ROLE)));
}

#[tokio::test]
async fn log_group_deleted_between_observe_and_apply_fails_with_not_found() {
    let mut api = MockLoggingApi::new();
    api.expect_put_retention()
        .returning(|_, _| Err(api_err("PutRetentionPolicy", ServiceErrorKind::NotFound)));
    let m = module(api);
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    observed.log_group.as_mut().unwrap().info.retention_in_days = Some(1);
    let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(matches!(&err, LoggingError::Api(e) if e.is_not_found()));
}

#[tokio::test]
async fn role_created_meanwhile_by_an_interrupted_run_is_converged_not_duplicated() {
    let mut api = MockLoggingApi::new();
    api.expect_create_role().times(1).returning(|r| {
        Err(ApiError::synthetic(
            "iam",
            "CreateRole",
            &r.name,
            ServiceErrorKind::AlreadyExists,
            "EntityAlreadyExists",
        ))
    });
    api.expect_update_trust_policy()
        .times(1)
        .returning(|_, _| Ok(()));
    api.expect_delete_role_boundary().times(1).returning(|_| {
        Err(api_err(
            "DeleteRolePermissionsBoundary",
            ServiceErrorKind::NotFound,
        ))
    });
    api.expect_tag_role().times(1).returning(|_, _| Ok(()));
    api.expect_put_role_policy()
        .times(1)
        .returning(|_, _, _| Ok(()));
    let m = module(api);
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    observed.role = None;
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

#[tokio::test]
async fn invocation_logging_waits_for_a_new_role_to_propagate() {
    let mut api = MockLoggingApi::new();
    api.expect_create_role()
        .returning(|r| Ok(format!("arn:aws:iam::123456789012:role/{}", r.name)));
    api.expect_put_role_policy().returning(|_, _, _| Ok(()));
    let mut calls = 0;
    api.expect_put_invocation_logging()
        .times(2)
        .returning(move |_| {
            calls += 1;
            if calls == 1 {
                Err(api_err(
                    "PutModelInvocationLoggingConfiguration",
                    ServiceErrorKind::Validation,
                ))
            } else {
                Ok(())
            }
        });
    let m = module(api).with_propagation_retry(vec![Duration::from_millis(1)]);
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    observed.role = None;
    observed.invocation_logging = None;
    assert!(
        m.apply(&spec, &observed, &NoProgress)
            .await
            .unwrap()
            .logging_enabled
    );
}

#[tokio::test]
async fn destroy_with_audit_data_empties_the_bucket_in_rounds() {
    let mut api = MockLoggingApi::new();
    // The request-metrics configuration goes on every destroy (it is not audit data).
    api.expect_delete_bucket_metrics_configuration()
        .times(1)
        .returning(|_, _| Ok(()));
    api.expect_delete_invocation_logging()
        .times(1)
        .returning(|| Ok(()));
    api.expect_delete_role_policy()
        .times(1)
        .returning(|_, _| Ok(()));
    api.expect_delete_role().times(1).returning(|_| Ok(()));
    api.expect_delete_log_group().times(1).returning(|_| Ok(()));
    let mut rounds = 0;
    api.expect_list_object_versions()
        .times(3)
        .returning(move |_| {
            rounds += 1;
            Ok(if rounds < 3 {
                vec![
                    ObjectVersionRef {
                        key: format!("k{rounds}"),
                        version_id: Some("v1".into()),
                    },
                    ObjectVersionRef {
                        key: format!("k{rounds}"),
                        version_id: Some("v2".into()),
                    },
                ]
            } else {
                Vec::new()
            })
        });
    api.expect_delete_object_versions()
        .times(2)
        .returning(|_, _| Ok(Vec::new()));
    api.expect_delete_bucket().times(1).returning(|_| Ok(()));
    let m = module(api);
    // One unlocked bucket: the rounds are counted on it alone.
    let mut c = config();
    c.s3_access_logging = false;
    c.s3_object_lock.enabled = false;
    let spec = spec_with(&m, &c);
    m.destroy(
        &spec,
        &converged(&spec),
        DestroyOptions {
            delete_audit_data: true,
        },
        &NoProgress,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn destroy_by_default_touches_neither_bucket_nor_log_group() {
    let mut api = MockLoggingApi::new();
    // The request-metrics configuration goes on every destroy (it is not audit data).
    api.expect_delete_bucket_metrics_configuration()
        .times(1)
        .returning(|_, _| Ok(()));
    api.expect_delete_invocation_logging()
        .times(1)
        .returning(|| Ok(()));
    api.expect_delete_role_policy()
        .times(1)
        .returning(|_, _| Ok(()));
    // Already gone (a re-run after a partial destroy) counts as done.
    api.expect_delete_role()
        .times(1)
        .returning(|_| Err(api_err("DeleteRole", ServiceErrorKind::NotFound)));
    let m = module(api);
    let spec = spec_with(&m, &config());
    m.destroy(
        &spec,
        &converged(&spec),
        DestroyOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn missing_boundary_policy_is_a_precondition_failure() {
    let mut api = MockLoggingApi::new();
    api.expect_bucket_exists().returning(|_| Ok(false));
    api.expect_describe_log_group().returning(|_| Ok(None));
    api.expect_get_role().returning(|_| Ok(None));
    api.expect_invocation_logging().returning(|| Ok(None));
    api.expect_policy_exists().returning(|_| Ok(false));
    let m = module(api);
    let spec = spec_with(
        &m,
        &Config {
            permissions_boundary_arn: Some("arn:aws:iam::123456789012:policy/Nope".into()),
            ..config()
        },
    );
    let err = m.observe(&spec).await.unwrap_err();
    let LoggingError::Precondition(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p.issues[0].path, "permissions_boundary_arn");
}

#[tokio::test]
async fn a_role_of_another_stack_is_refused() {
    let mut api = MockLoggingApi::new();
    api.expect_bucket_exists().returning(|_| Ok(false));
    api.expect_describe_log_group().returning(|_| Ok(None));
    api.expect_invocation_logging().returning(|| Ok(None));
    api.expect_get_role().returning(|n| {
        Ok(Some(RoleInfo {
            name: n.into(),
            arn: format!("arn:aws:iam::123456789012:role/{n}"),
            trust_policy: "{}".into(),
            permissions_boundary_arn: None,
        }))
    });
    api.expect_role_tags().returning(|_| {
        Ok(BTreeMap::from([(
            STACK_TAG.to_owned(),
            "someone-else".to_owned(),
        )]))
    });
    api.expect_role_policy_names().returning(|_| Ok(Vec::new()));
    api.expect_role_policy().returning(|_, _| Ok(None));
    api.expect_attached_role_policies()
        .returning(|_| Ok(Vec::new()));
    let m = module(api);
    let spec = spec_with(&m, &config());
    assert!(matches!(
        m.observe(&spec).await,
        Err(LoggingError::ForeignResource {
            kind: "iam role",
            ..
        })
    ));
}

#[test]
fn inputs_come_from_the_encryption_outputs_by_field_name() {
    let upstream = Upstream(BTreeMap::from([(
        "encryption".to_owned(),
        json!({"kms_key_arn": KEY, "kms_key_id": "k-1"}),
    )]));
    assert_eq!(
        LoggingInputs::from_upstream(&upstream).unwrap().kms_key_arn,
        Some(KmsKeyArn(KEY.into()))
    );
    assert_eq!(
        LoggingInputs::from_upstream(&Upstream::default()).unwrap(),
        LoggingInputs::default()
    );
}

#[tokio::test]
async fn destroy_refuses_compliance_locked_audit_data_before_deleting_anything() {
    let mut api = MockLoggingApi::new();
    // The request-metrics configuration goes on every destroy (it is not audit data).
    api.expect_delete_bucket_metrics_configuration()
        .times(1)
        .returning(|_, _| Ok(()));
    api.expect_delete_invocation_logging().returning(|| Ok(()));
    api.expect_delete_role_policy().returning(|_, _| Ok(()));
    api.expect_delete_role().returning(|_| Ok(()));
    api.expect_list_object_versions().returning(|_| {
        Ok(vec![ObjectVersionRef {
            key: "invocations/a.json.gz".into(),
            version_id: Some("v1".into()),
        }])
    });
    api.expect_object_retention().returning(|_, _| {
        Ok(Some(crate::api::ObjectRetention {
            mode: "COMPLIANCE".into(),
            retain_until: "2999-01-01T00:00:00Z".into(),
        }))
    });
    // No delete_log_group, delete_object_versions or delete_bucket expectation: any
    // deletion of audit data would panic the mock.
    let m = module(api);
    let mut c = config();
    c.s3_object_lock.mode = baseline_core::config::ObjectLockMode::Compliance;
    let spec = spec_with(&m, &c);
    let all = DestroyOptions {
        delete_audit_data: true,
    };
    let plan = m.destroy_plan(&spec, &converged(&spec), all);
    let b = plan.iter().find(|c| c.address == BUCKET).unwrap();
    assert!(b.note.as_deref().unwrap().contains("COMPLIANCE"), "{b:?}");
    let err = m
        .destroy(&spec, &converged(&spec), all, &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LoggingError::ComplianceRetention { until, .. } if until == "2999-01-01T00:00:00Z"),
        "{err}"
    );
}

#[test]
fn new_bucket_plan_explains_object_lock_and_existing_bucket_without_it_is_left_alone() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let create = m.diff(&spec, &LoggingObserved::default());
    let b = create.iter().find(|c| c.address == BUCKET).unwrap();
    let note = b.note.as_deref().unwrap();
    assert!(
        note.contains("turned on at creation") && note.contains("GOVERNANCE"),
        "{note}"
    );
    assert!(create
        .iter()
        .find(|c| c.address == ACCESS_LOG_BUCKET)
        .unwrap()
        .note
        .is_none());

    // An adopted bucket without Object Lock: no change planned (it is irreversible), a note.
    let mut observed = converged(&spec);
    observed.bucket.as_mut().unwrap().object_lock = None;
    let changes = m.diff(&spec, &observed);
    let b = changes.iter().find(|c| c.address == BUCKET).unwrap();
    assert_eq!(b.action, Action::NoOp);
    assert!(
        b.note.as_deref().unwrap().contains("only at creation"),
        "{b:?}"
    );

    // A different default retention on a locked bucket is an update of that attribute.
    let mut observed = converged(&spec);
    observed
        .bucket
        .as_mut()
        .unwrap()
        .object_lock
        .as_mut()
        .unwrap()
        .days = Some(30);
    assert_eq!(
        attrs(&m.diff(&spec, &observed), BUCKET),
        ["object_lock.days"]
    );
}

#[test]
fn access_log_bucket_admits_only_s3_logging_for_the_log_bucket() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let a = &spec.access_log_bucket;
    assert!(!a.sse_kms && a.object_lock.is_none() && a.access_log.is_none());
    let st = a.policy.statement("AllowS3ServerAccessLogs").unwrap();
    assert_eq!(
        st.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
        vec![spec.bucket.arn.clone()]
    );
    assert!(st
        .condition_values("StringEquals", "aws:SourceAccount")
        .is_some());
    assert!(!a.policy.has_wildcard_allow());
    assert_eq!(
        spec.bucket.access_log.as_ref().map(|t| t.bucket.as_str()),
        Some(a.name.as_str())
    );
}

/// What happened, in order: `exists <address>`, `ready`, and the calls a test logs.
#[derive(Clone, Default)]
struct Timeline(
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
);

impl Progress for Timeline {
    fn event(&self, event: ProgressEvent) {
        if let ProgressEvent::Exists { address, .. } = event {
            self.0.lock().unwrap().push(format!("exists {address}"));
        }
    }
    fn outputs_ready(&self, outputs: &serde_json::Value) {
        self.0.lock().unwrap().push("ready".into());
        self.1.lock().unwrap().push(outputs.clone());
    }
}

#[tokio::test]
async fn outputs_are_announced_once_a_new_role_exists_before_logging_is_configured() {
    let timeline = Timeline::default();
    let mut api = MockLoggingApi::new();
    api.expect_create_role()
        .returning(|r| Ok(format!("arn:aws:iam::123456789012:role/{}", r.name)));
    api.expect_put_role_policy().returning(|_, _, _| Ok(()));
    let calls = timeline.0.clone();
    api.expect_put_invocation_logging()
        .times(1)
        .returning(move |_| {
            calls.lock().unwrap().push("put invocation logging".into());
            Ok(())
        });
    let m = module(api);
    let spec = spec_with(&m, &config());
    let mut observed = converged(&spec);
    observed.role = None;
    observed.invocation_logging = None;
    let out = m.apply(&spec, &observed, &timeline).await.unwrap();
    let order = timeline.0.lock().unwrap().clone();
    let at = |what: &str| {
        order
            .iter()
            .position(|x| x == what)
            .unwrap_or_else(|| panic!("{order:?}"))
    };
    assert!(at("exists logging.role") < at("ready"), "{order:?}");
    assert!(at("ready") < at("put invocation logging"), "{order:?}");
    assert_eq!(
        *timeline.1.lock().unwrap(),
        vec![serde_json::to_value(&out).unwrap()],
        "announced once, exactly what apply returns"
    );
}

#[tokio::test]
async fn a_bucket_aws_tagged_itself_is_not_drift_and_a_tag_write_keeps_those_tags() {
    let m = module(MockLoggingApi::new());
    let spec = spec_with(&m, &config());
    let mut api = MockLoggingApi::new();
    let found = observed_bucket(&spec.bucket);
    let mut tags_in_aws = found.tags.clone();
    tags_in_aws.insert(
        "aws:cloudformation:stack-name".into(),
        "landing-zone".into(),
    );
    let tags = tags_in_aws.clone();
    api.expect_bucket_encryption()
        .returning(move |_| Ok(found.encryption.clone()));
    api.expect_bucket_versioning()
        .returning(|_| Ok(Some("Enabled".into())));
    api.expect_public_access_block()
        .returning(|_| Ok(Some(PublicAccessBlock::ALL)));
    api.expect_object_ownership()
        .returning(|_| Ok(Some("BucketOwnerEnforced".into())));
    let rules = spec.bucket.lifecycle_rules.clone();
    api.expect_lifecycle_rules()
        .returning(move |_| Ok(rules.clone()));
    let policy = spec.bucket.policy.to_json();
    api.expect_bucket_policy()
        .returning(move |_| Ok(Some(policy.clone())));
    api.expect_bucket_tags()
        .returning(move |_| Ok(tags.clone()));
    api.expect_object_lock().returning(|_| Ok(None));
    let target = spec.bucket.access_log.clone();
    api.expect_bucket_logging()
        .returning(move |_| Ok(target.clone()));
    let eventbridge = spec.bucket.eventbridge;
    api.expect_bucket_eventbridge()
        .returning(move |_| Ok(eventbridge));
    let read = crate::bucket::read(&api, &spec.bucket, &spec.stack)
        .await
        .unwrap();
    assert_eq!(read.tags, spec.bucket.tags, "AWS's own tags are left out");

    // A tag added by hand: the write sends the spec's tags and the bucket's aws: tags.
    let mut api = MockLoggingApi::new();
    let mut drifted = tags_in_aws.clone();
    drifted.insert("CostCenter".into(), "by-hand".into());
    api.expect_bucket_tags()
        .times(1)
        .returning(move |_| Ok(drifted.clone()));
    let mut expected = spec.bucket.tags.clone();
    expected.insert(
        "aws:cloudformation:stack-name".into(),
        "landing-zone".into(),
    );
    api.expect_put_bucket_tags()
        .times(1)
        .withf(move |_, tags| *tags == expected)
        .returning(|_, _| Ok(()));
    let m = module(api);
    let mut observed = converged(&spec);
    observed
        .bucket
        .as_mut()
        .unwrap()
        .tags
        .insert("CostCenter".into(), "by-hand".into());
    assert_eq!(
        attrs(&m.diff(&spec, &observed), BUCKET),
        vec!["tags.CostCenter"]
    );
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

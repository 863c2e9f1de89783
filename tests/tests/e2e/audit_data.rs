//! Audit data that nobody can lose, through the binary against the emulator: the log bucket
//! with Object Lock and server access logging to its own hardened access-log bucket; destroy
//! keeping the key (enabled, alias, policy) with the data; a re-apply adopting key, buckets and
//! log group with an empty plan after it; `--delete-audit-data` bypassing GOVERNANCE retention
//! and only then scheduling the key's deletion; COMPLIANCE retention refusing the destroy.

use baseline_core::policy::PolicyDocument;
use baseline_tests::{
    bucket_encryption_rule, json_of as json, key_state, planned_changes, run_stack,
    s3_client as s3, sdk_config, stack_keys, stack_log_groups, text, unique_env,
};
use serde_json::Value;
use std::process::Output;

/// `bedrock-baseline <args>` on `env`'s stack of the basic example, with `sets` as `--set`s.
fn run(dir: &std::path::Path, env: &str, sets: &[&str], args: &[&str]) -> Output {
    run_stack(dir, "basic", env, sets, args)
}

const OBJECT: &str = "invocations/kept.json";
const EVENT: &str = "a kept invocation log event";

/// Writes one log object and one log event, as Bedrock would.
async fn write_audit_data(conf: &aws_types::SdkConfig, bucket: &str, group: &str) {
    s3(conf)
        .put_object()
        .bucket(bucket)
        .key(OBJECT)
        .body(aws_sdk_s3::primitives::ByteStream::from_static(
            b"{\"kept\":true}",
        ))
        .send()
        .await
        .unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name("kept")
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name("kept")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now)
                .message(EVENT)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Reads the object and event back.
async fn read_audit_data(conf: &aws_types::SdkConfig, bucket: &str, group: &str) {
    let body = s3(conf)
        .get_object()
        .bucket(bucket)
        .key(OBJECT)
        .send()
        .await
        .expect("the kept log object is readable")
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&body[..], b"{\"kept\":true}");
    let events = aws_sdk_cloudwatchlogs::Client::new(conf)
        .get_log_events()
        .log_group_name(group)
        .log_stream_name("kept")
        .start_from_head(true)
        .send()
        .await
        .expect("the kept log event is readable");
    assert!(events.events().iter().any(|e| e.message() == Some(EVENT)));
}

#[tokio::test(flavor = "multi_thread")]
async fn kept_audit_data_stays_readable_and_is_adopted_by_the_next_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = unique_env("keep");
    let stack = format!("bedrock-baseline-{env}");
    let conf = sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&conf);

    let applied = tokio::task::block_in_place(|| {
        json(&run(d, &env, &[], &["apply", "--auto-approve", "--json"]))
    });
    let out = &applied["outputs"];
    let key_id = out["encryption"]["kms_key_id"].as_str().unwrap().to_owned();
    let alias = out["encryption"]["kms_alias"].as_str().unwrap().to_owned();
    let bucket = out["logging"]["bucket_name"].as_str().unwrap().to_owned();
    let group = out["logging"]["log_group_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let s3c = s3(&conf);

    // Object Lock, on at creation, GOVERNANCE 90 days by default.
    let lock = s3c
        .get_object_lock_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let lock = lock.object_lock_configuration().unwrap();
    assert_eq!(
        lock.object_lock_enabled().map(|e| e.as_str()),
        Some("Enabled")
    );
    let retention = lock.rule().unwrap().default_retention().unwrap();
    assert_eq!(retention.mode().map(|m| m.as_str()), Some("GOVERNANCE"));
    assert_eq!(retention.days(), Some(90));

    // Server access logging to the access-log bucket, which has its own policy admitting only
    // the S3 logging service for this bucket and account.
    let logging = s3c
        .get_bucket_logging()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let target = logging.logging_enabled().expect("access logging is on");
    let access = target.target_bucket().to_owned();
    assert_ne!(access, bucket);
    assert_eq!(target.target_prefix(), format!("{bucket}/"));
    let policy = s3c
        .get_bucket_policy()
        .bucket(&access)
        .send()
        .await
        .unwrap();
    let policy = PolicyDocument::parse(policy.policy().unwrap()).unwrap();
    let grant = policy.statement("AllowS3ServerAccessLogs").unwrap();
    assert_eq!(
        grant
            .condition_values("ArnLike", "aws:SourceArn")
            .unwrap()
            .0,
        vec![format!("arn:aws:s3:::{bucket}")]
    );
    assert!(grant
        .condition_values("StringEquals", "aws:SourceAccount")
        .is_some());
    assert!(policy.statement("DenyInsecureTransport").is_some());
    // Both buckets deliver their events to EventBridge (s3_event_notifications).
    for b in [&bucket, &access] {
        let n = s3c
            .get_bucket_notification_configuration()
            .bucket(b)
            .send()
            .await
            .unwrap();
        assert!(n.event_bridge_configuration().is_some(), "{b}");
    }
    let pab = s3c
        .get_public_access_block()
        .bucket(&access)
        .send()
        .await
        .unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(pab.restrict_public_buckets(), Some(true));
    let versioning = s3c
        .get_bucket_versioning()
        .bucket(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    // Server access logs go only to SSE-S3 buckets.
    let rule = bucket_encryption_rule(&s3c, &access).await;
    assert_eq!(
        rule.apply_server_side_encryption_by_default()
            .unwrap()
            .sse_algorithm()
            .as_str(),
        "AES256"
    );

    write_audit_data(&conf, &bucket, &group).await;

    // Destroy without --delete-audit-data: key kept (said in the plan), data readable.
    let destroyed =
        tokio::task::block_in_place(|| run(d, &env, &[], &["destroy", "--auto-approve"]));
    assert!(destroyed.status.success(), "{}", text(&destroyed));
    assert!(
        text(&destroyed).contains("encrypts the audit data destroy keeps"),
        "{}",
        text(&destroyed)
    );
    assert_eq!(key_state(&kms, &key_id).await, "Enabled");
    let aliases = kms.list_aliases().key_id(&key_id).send().await.unwrap();
    assert!(aliases
        .aliases()
        .iter()
        .any(|a| a.alias_name() == Some(alias.as_str())));
    read_audit_data(&conf, &bucket, &group).await;

    // Re-apply: the same key, bucket and log group; nothing duplicated; plan empty after it.
    let again = tokio::task::block_in_place(|| {
        json(&run(d, &env, &[], &["apply", "--auto-approve", "--json"]))
    });
    assert_eq!(
        again["outputs"]["encryption"]["kms_key_id"],
        key_id.as_str()
    );
    assert_eq!(again["outputs"]["logging"]["bucket_name"], bucket.as_str());
    assert_eq!(stack_keys(&kms, &stack).await, vec![key_id.clone()]);
    let buckets = s3c.list_buckets().send().await.unwrap();
    let ours: Vec<_> = buckets
        .buckets()
        .iter()
        .filter_map(|b| b.name())
        .filter(|n| n.starts_with(&format!("{stack}-")))
        .collect();
    assert_eq!(
        ours.len(),
        2,
        "log and access-log bucket, once each: {ours:?}"
    );
    assert_eq!(stack_log_groups(&conf, &stack).await.len(), 1);
    let plan = tokio::task::block_in_place(|| json(&run(d, &env, &[], &["plan", "--json"])));
    assert_eq!(
        plan["summary"],
        serde_json::json!({"add": 0, "change": 0, "destroy": 0}),
        "{plan}"
    );
    read_audit_data(&conf, &bucket, &group).await;

    // With --delete-audit-data: the GOVERNANCE-locked versions are deleted (bypassing
    // governance explicitly), both buckets go, and only then is the key scheduled for deletion.
    let all = tokio::task::block_in_place(|| {
        run(
            d,
            &env,
            &[],
            &["destroy", "--auto-approve", "--delete-audit-data"],
        )
    });
    assert!(all.status.success(), "{}", text(&all));
    assert!(s3c.head_bucket().bucket(&bucket).send().await.is_err());
    assert!(s3c.head_bucket().bucket(&access).send().await.is_err());
    assert_eq!(key_state(&kms, &key_id).await, "PendingDeletion");
}

#[tokio::test(flavor = "multi_thread")]
async fn compliance_retention_refuses_the_destroy_and_keeps_data_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = unique_env("comply");
    let sets = ["s3_object_lock.mode=COMPLIANCE", "s3_object_lock.days=1"];
    let conf = sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&conf);
    let applied = tokio::task::block_in_place(|| {
        json(&run(d, &env, &sets, &["apply", "--auto-approve", "--json"]))
    });
    let out = &applied["outputs"];
    let key_id = out["encryption"]["kms_key_id"].as_str().unwrap().to_owned();
    let bucket = out["logging"]["bucket_name"].as_str().unwrap().to_owned();
    let group = out["logging"]["log_group_name"]
        .as_str()
        .unwrap()
        .to_owned();
    write_audit_data(&conf, &bucket, &group).await;

    let refused = tokio::task::block_in_place(|| {
        run(
            d,
            &env,
            &sets,
            &["destroy", "--auto-approve", "--delete-audit-data"],
        )
    });
    assert!(!refused.status.success(), "{}", text(&refused));
    let t = text(&refused);
    assert!(
        t.contains("COMPLIANCE-mode") && t.contains("until 20"),
        "{t}"
    );
    // Nothing of the audit data, nor its key, was deleted.
    read_audit_data(&conf, &bucket, &group).await;
    assert_eq!(key_state(&kms, &key_id).await, "Enabled");
}

/// A versioned, Object Lock destination bucket and a replica key in another region, made the
/// way a user would before turning replication on.
async fn replica_destination(conf: &aws_types::SdkConfig, name: &str) -> (String, String) {
    let west = conf
        .to_builder()
        .region(aws_types::region::Region::new("us-west-2"))
        .build();
    let s3w = s3(&west);
    s3w.create_bucket()
        .bucket(name)
        .object_lock_enabled_for_bucket(true)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let key = aws_sdk_kms::Client::new(&west)
        .create_key()
        .description("replica key")
        .send()
        .await
        .unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_owned();
    (format!("arn:aws:s3:::{name}"), key_arn)
}

#[tokio::test(flavor = "multi_thread")]
async fn both_audit_buckets_replicate_to_another_region_and_stop_when_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let env = unique_env("repl");
    let stack = format!("bedrock-baseline-{env}");
    let conf = sdk_config().await;
    let (dest, dest_key) = replica_destination(&conf, &format!("{stack}-replica")).await;
    let sets = [
        format!("s3_replication.destination_bucket_arn={dest}"),
        format!("s3_replication.destination_kms_key_arn={dest_key}"),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();

    let plan = tokio::task::block_in_place(|| json(&run(d, &env, &sets, &["plan", "--json"])));
    let planned: Vec<&str> = planned_changes(&plan)
        .into_iter()
        .filter_map(|c| c["address"].as_str())
        .collect();
    for address in [
        "logging.replication_role",
        "logging.replication_role_policy",
        "logging.bucket_replication",
        "logging.access_log_bucket_replication",
    ] {
        assert!(planned.contains(&address), "{address} not in {planned:?}");
    }

    let applied = tokio::task::block_in_place(|| {
        json(&run(d, &env, &sets, &["apply", "--auto-approve", "--json"]))
    });
    let out = &applied["outputs"]["logging"];
    let bucket = out["bucket_name"].as_str().unwrap().to_owned();
    let access = out["access_log_bucket_name"].as_str().unwrap().to_owned();
    let role_arn = out["replication_role_arn"].as_str().unwrap().to_owned();
    let s3c = s3(&conf);
    for (b, kms) in [(&bucket, true), (&access, false)] {
        let got = s3c.get_bucket_replication().bucket(b).send().await.unwrap();
        let c = got.replication_configuration().unwrap();
        assert_eq!(c.role(), role_arn);
        let rule = &c.rules()[0];
        assert_eq!(rule.id(), Some("baseline-cross-region"));
        let destination = rule.destination().unwrap();
        assert_eq!(destination.bucket(), dest);
        assert_eq!(
            destination
                .encryption_configuration()
                .and_then(|e| e.replica_kms_key_id()),
            kms.then_some(dest_key.as_str()),
            "{b}"
        );
    }
    let iam = aws_sdk_iam::Client::new(&conf);
    let role_name = role_arn.rsplit('/').next().unwrap();
    let policy = iam
        .get_role_policy()
        .role_name(role_name)
        .policy_name("logging")
        .send()
        .await
        .unwrap();
    // IAM returns the document URL-encoded; parse decodes it.
    let doc = PolicyDocument::parse(policy.policy_document()).unwrap();
    assert!(!doc.has_wildcard_allow());
    assert_eq!(
        doc.statement("ReplicateToDestination")
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0,
        vec![format!("{dest}/*")]
    );

    // Converged: the plan is empty and the second apply writes nothing.
    let plan = tokio::task::block_in_place(|| json(&run(d, &env, &sets, &["plan", "--json"])));
    let changed: Vec<&Value> = planned_changes(&plan)
        .into_iter()
        .filter(|c| c["action"] != "no-op")
        .collect();
    assert!(changed.is_empty(), "{changed:#?}");
    let again = tokio::task::block_in_place(|| {
        json(&run(d, &env, &sets, &["apply", "--auto-approve", "--json"]))
    });
    assert_eq!(again["api_calls"]["writes"], 0, "{again}");

    // Switched off: both configurations and the role go, the buckets stay.
    let off = tokio::task::block_in_place(|| {
        json(&run(d, &env, &[], &["apply", "--auto-approve", "--json"]))
    });
    assert!(off["outputs"]["logging"]["replication_role_arn"].is_null());
    replication_gone_buckets_kept(&s3c, &iam, [&bucket, &access], role_name).await;

    // On again, then destroy: configurations and role removed, buckets (audit data) kept.
    tokio::task::block_in_place(|| {
        json(&run(d, &env, &sets, &["apply", "--auto-approve", "--json"]))
    });
    let destroyed =
        tokio::task::block_in_place(|| run(d, &env, &sets, &["destroy", "--auto-approve"]));
    assert!(destroyed.status.success(), "{}", text(&destroyed));
    replication_gone_buckets_kept(&s3c, &iam, [&bucket, &access], role_name).await;
}

/// No replication configuration and no replication role are left; both buckets still exist.
async fn replication_gone_buckets_kept(
    s3c: &aws_sdk_s3::Client,
    iam: &aws_sdk_iam::Client,
    buckets: [&String; 2],
    role_name: &str,
) {
    for b in buckets {
        assert!(
            s3c.get_bucket_replication().bucket(b).send().await.is_err(),
            "{b}"
        );
        assert!(s3c.head_bucket().bucket(b).send().await.is_ok());
    }
    assert!(iam.get_role().role_name(role_name).send().await.is_err());
}

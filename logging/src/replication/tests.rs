use super::*;
use baseline_core::Action;
use std::collections::BTreeMap;

const DEST: &str = "arn:aws:s3:::audit-replica";
const DEST_KEY: &str = "arn:aws:kms:us-west-2:123456789012:key/r-1";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/demo-prod-s3-replication";

fn grant() -> PolicyDocument {
    replication_role_policy(&ReplicationGrant {
        partition: "aws",
        region: "us-east-1",
        sources: &[("logs", true), ("access-logs", false)],
        destination_bucket_arn: DEST,
        source_key_arn: Some(KEY),
        destination_key_arn: Some(DEST_KEY),
    })
}

fn spec(enabled: bool) -> ReplicationSpec {
    let wanted = |key: Option<&str>| enabled.then(|| desired_configuration(ROLE_ARN, DEST, key));
    ReplicationSpec {
        enabled,
        role: RoleSpec {
            name: "demo-prod-s3-replication".into(),
            arn: ROLE_ARN.into(),
            enabled,
            description: String::new(),
            trust_policy: replication_trust_policy("123456789012"),
            policy: grant(),
            permissions_boundary_arn: None,
            tags: BTreeMap::new(),
        },
        sources: vec![
            ReplicationSource {
                address: "logging.bucket_replication",
                bucket: "logs".into(),
                wanted: wanted(Some(DEST_KEY)),
            },
            ReplicationSource {
                address: "logging.access_log_bucket_replication",
                bucket: "access-logs".into(),
                wanted: wanted(None),
            },
        ],
    }
}

#[test]
fn the_role_reads_only_the_sources_and_writes_only_the_destination() {
    let doc = grant();
    assert!(!doc.has_wildcard_allow());
    let res = |sid: &str| {
        doc.statement(sid)
            .unwrap()
            .resource
            .as_ref()
            .unwrap()
            .0
            .clone()
    };
    assert_eq!(
        res("ReadSourceReplicationConfiguration"),
        ["arn:aws:s3:::logs", "arn:aws:s3:::access-logs"]
    );
    assert_eq!(res("ReadSourceObjectLock"), ["arn:aws:s3:::logs/*"]);
    assert_eq!(res("ReplicateToDestination"), [format!("{DEST}/*")]);
    let enc = doc.statement("EncryptReplicas").unwrap();
    assert_eq!(
        enc.condition_values("StringEquals", "kms:ViaService")
            .unwrap()
            .0,
        ["s3.us-west-2.amazonaws.com"]
    );
    let dec = doc.statement("DecryptSourceObjects").unwrap();
    assert_eq!(
        dec.condition_values("StringLike", "kms:EncryptionContext:aws:s3:arn")
            .unwrap()
            .0,
        ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]
    );
    let trust = replication_trust_policy("123456789012");
    assert_eq!(
        trust.statement[0]
            .condition_values("StringEquals", "aws:SourceAccount")
            .unwrap()
            .0,
        ["123456789012"]
    );
}

#[test]
fn sse_kms_objects_replicate_with_the_replica_key_and_delete_markers_do_not() {
    let c = desired_configuration(ROLE_ARN, DEST, Some(DEST_KEY));
    let r = &c.rules[0];
    assert!(r.sse_kms_encrypted_objects && !r.delete_marker_replication);
    assert_eq!(r.replica_kms_key_id.as_deref(), Some(DEST_KEY));
    let plain = desired_configuration(ROLE_ARN, DEST, None);
    assert!(!plain.rules[0].sse_kms_encrypted_objects);
}

#[test]
fn converged_plans_nothing_and_switched_off_deletes_only_the_stacks_rule() {
    let on = spec(true);
    let converged = ObservedReplication {
        role: None,
        configs: on.sources.iter().map(|s| s.wanted.clone()).collect(),
    };
    assert!(plans(&on, &converged).iter().all(|p| !p.is_change()));
    let empty = ObservedReplication {
        role: None,
        configs: vec![None, None],
    };
    assert!(plans(&on, &empty)
        .iter()
        .all(|p| p.ops == [ReplicationOp::Put] && p.change.action == Action::Create));

    let off = spec(false);
    let mut foreign = desired_configuration(ROLE_ARN, DEST, None);
    foreign.rules[0].id = "someone-elses".into();
    let observed = ObservedReplication {
        role: None,
        configs: vec![converged.configs[0].clone(), Some(foreign)],
    };
    let p = plans(&off, &observed);
    assert_eq!(p[0].ops, [ReplicationOp::Delete]);
    assert!(p[1].ops.is_empty());
    assert!(p[1]
        .change
        .note
        .as_deref()
        .unwrap()
        .contains("not this stack's"));
    let d = destroy_plan(&off, &observed);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].address, "logging.bucket_replication");
}

#[test]
fn a_changed_destination_is_an_update() {
    let on = spec(true);
    let mut old = on.sources[0].wanted.clone().unwrap();
    old.rules[0].destination_bucket = "arn:aws:s3:::old-replica".into();
    let p = S3BucketReplication::plan(on.sources[0].address, &on.sources[0], Some(&old));
    assert_eq!(p.change.action, Action::Update);
    assert_eq!(p.ops, [ReplicationOp::Put]);
}

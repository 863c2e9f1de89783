use super::*;
use baseline_core::Action;

fn spec() -> EncryptionSpec {
    EncryptionSpec {
        alias: "alias/demo-bedrock".into(),
        description: "d".into(),
        policy: PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":[]}"#).unwrap(),
        tags: BTreeMap::from([("baseline:stack".into(), "demo".into())]),
        deletion_window_days: 7,
        stack: "demo".into(),
    }
}

fn current(spec: &EncryptionSpec, state: &str) -> ObservedKey {
    ObservedKey {
        description: KeyDescription {
            key_id: "k".into(),
            arn: "arn:aws:kms:us-east-1:123456789012:key/k".into(),
            description: spec.description.clone(),
            state: state.into(),
            manager: "CUSTOMER".into(),
            created: 1,
        },
        rotation: true,
        policy: Some(spec.policy.clone()),
        tags: spec.tags.clone(),
    }
}

#[test]
fn every_displayed_difference_comes_with_the_write_that_removes_it() {
    let spec = spec();
    let mut key = current(&spec, "Enabled");
    key.description.description = "old".into();
    key.rotation = false;
    key.tags.insert("extra".into(), "x".into());
    let planned = KmsKey::plan(KEY, &spec, Some(&key));
    assert_eq!(planned.change.action, Action::Update);
    assert_eq!(
        planned.ops,
        vec![
            KeyOp::UpdateDescription {
                description: "d".into()
            },
            KeyOp::EnableRotation,
            KeyOp::Tag(TagDelta {
                set: BTreeMap::new(),
                remove: vec!["extra".into()]
            }),
        ]
    );
    assert!(!KmsKey::plan(KEY, &spec, Some(&current(&spec, "Enabled"))).is_change());
}

#[test]
fn a_key_pending_deletion_is_cancelled_enabled_and_rotated_again() {
    let spec = spec();
    let planned = KmsKey::plan(KEY, &spec, Some(&current(&spec, "PendingDeletion")));
    assert_eq!(
        planned.ops,
        vec![KeyOp::CancelDeletion, KeyOp::EnableRotation]
    );
    assert!(planned
        .change
        .note
        .unwrap()
        .contains("cancels the deletion"));
}

#[test]
fn an_unrepairable_state_is_planned_as_a_refusal() {
    let spec = spec();
    let planned = KmsKey::plan(KEY, &spec, Some(&current(&spec, "PendingImport")));
    assert_eq!(
        planned.ops,
        vec![KeyOp::Refuse {
            state: "PendingImport".into()
        }]
    );
}

#[test]
fn operations_survive_a_saved_plan() {
    let spec = spec();
    let planned = KmsKey::plan(KEY, &spec, None);
    let text = serde_json::to_string(&planned).unwrap();
    let back: Planned<KeyOp> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, planned);
}

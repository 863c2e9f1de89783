use super::*;

#[test]
fn lifecycle_follows_config_and_zero_turns_a_step_off() {
    let lc = S3Lifecycle {
        transition_to_ia_days: 30,
        transition_to_glacier_days: 0,
        expiration_days: 400,
        noncurrent_version_expiration_days: 0,
    };
    let rules = lifecycle_rules(&lc);
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].transitions,
        vec![LifecycleTransition {
            days: 30,
            storage_class: "STANDARD_IA".into()
        }]
    );
    assert_eq!(rules[0].expiration_days, Some(400));
    assert_eq!(rules[0].noncurrent_version_expiration_days, None);
    let off = S3Lifecycle {
        transition_to_ia_days: 0,
        transition_to_glacier_days: 0,
        expiration_days: 0,
        noncurrent_version_expiration_days: 0,
    };
    assert!(lifecycle_rules(&off).is_empty());
}

#[test]
fn default_lifecycle_has_both_transitions_and_both_expiries() {
    let rules = lifecycle_rules(&S3Lifecycle::default());
    let classes: Vec<_> = rules[0]
        .transitions
        .iter()
        .map(|t| t.storage_class.as_str())
        .collect();
    assert_eq!(classes, vec!["STANDARD_IA", "GLACIER"]);
    assert!(
        rules[0].expiration_days.is_some() && rules[0].noncurrent_version_expiration_days.is_some()
    );
}

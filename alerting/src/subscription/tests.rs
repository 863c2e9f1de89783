use super::*;
use baseline_core::Action;

fn sub(protocol: SubscriptionProtocol, endpoint: &str) -> Subscription {
    Subscription {
        protocol,
        endpoint: endpoint.into(),
    }
}

fn listed(arn: &str, protocol: &str, endpoint: &str) -> SubscriptionInfo {
    SubscriptionInfo {
        arn: arn.into(),
        protocol: protocol.into(),
        endpoint: endpoint.into(),
    }
}

fn wanted() -> BTreeMap<String, Subscription> {
    BTreeMap::from([
        (
            "ops-team-email".to_owned(),
            sub(SubscriptionProtocol::Email, "ops-team@company.com"),
        ),
        (
            "ops-team-sms".to_owned(),
            sub(SubscriptionProtocol::Sms, "+1234567890"),
        ),
    ])
}

#[track_caller]
fn check(listed: &[SubscriptionInfo], expected: &[(&str, Action, Option<&str>)]) {
    let w = wanted();
    let changes: Vec<Change> = plan(&w, listed)
        .iter()
        .map(|s| change("critical", "p-critical", &w, s))
        .collect();
    let got: Vec<(String, Action, Option<String>)> = changes
        .iter()
        .map(|c| (c.address.clone(), c.action, c.note.clone()))
        .collect();
    let expected: Vec<(String, Action, Option<String>)> = expected
        .iter()
        .map(|(a, x, n)| (a.to_string(), *x, n.map(str::to_owned)))
        .collect();
    let strip = |v: Vec<(String, Action, Option<String>)>| -> Vec<(String, Action, bool)> {
        v.into_iter().map(|(a, x, n)| (a, x, n.is_some())).collect()
    };
    assert_eq!(strip(got.clone()), strip(expected.clone()), "{got:#?}");
    for ((_, _, g), (_, _, e)) in got.iter().zip(&expected) {
        if let (Some(g), Some(e)) = (g, e) {
            assert!(g.contains(e.as_str()), "note {g:?} should mention {e:?}");
        }
    }
}

#[test]
fn missing_subscriptions_are_added() {
    check(
        &[],
        &[
            (
                r#"alerting.subscription["critical/ops-team-email"]"#,
                Action::Create,
                Some("confirm"),
            ),
            (
                r#"alerting.subscription["critical/ops-team-sms"]"#,
                Action::Create,
                None,
            ),
        ],
    );
}

#[test]
fn confirmed_subscriptions_are_kept() {
    check(
        &[
            listed("arn:s:1", "email", "ops-team@company.com"),
            listed("arn:s:2", "sms", "+1234567890"),
        ],
        &[
            (
                r#"alerting.subscription["critical/ops-team-email"]"#,
                Action::NoOp,
                None,
            ),
            (
                r#"alerting.subscription["critical/ops-team-sms"]"#,
                Action::NoOp,
                None,
            ),
        ],
    );
}

#[test]
fn pending_email_is_shown_as_pending_and_not_subscribed_again() {
    check(
        &[
            listed(PENDING_CONFIRMATION, "email", "Ops-Team@company.com"),
            listed("arn:s:2", "sms", "+1234567890"),
        ],
        &[
            (
                r#"alerting.subscription["critical/ops-team-email"]"#,
                Action::NoOp,
                Some("pending confirmation"),
            ),
            (
                r#"alerting.subscription["critical/ops-team-sms"]"#,
                Action::NoOp,
                None,
            ),
        ],
    );
}

#[test]
fn subscriptions_not_in_config_are_removed() {
    check(
        &[
            listed("arn:s:1", "email", "ops-team@company.com"),
            listed("arn:s:2", "sms", "+1234567890"),
            listed("arn:s:3", "https", "https://hooks.example.com/x"),
        ],
        &[
            (
                r#"alerting.subscription["critical/ops-team-email"]"#,
                Action::NoOp,
                None,
            ),
            (
                r#"alerting.subscription["critical/ops-team-sms"]"#,
                Action::NoOp,
                None,
            ),
            (
                r#"alerting.subscription["critical/https:https://hooks.example.com/x"]"#,
                Action::Delete,
                Some("not in the config"),
            ),
        ],
    );
}

#[test]
fn pending_subscription_not_in_config_is_skipped_with_a_note() {
    check(
        &[
            listed("arn:s:1", "email", "ops-team@company.com"),
            listed("arn:s:2", "sms", "+1234567890"),
            listed(PENDING_CONFIRMATION, "email", "someone@else.com"),
            listed("Deleted", "email", "gone@else.com"),
        ],
        &[
            (
                r#"alerting.subscription["critical/ops-team-email"]"#,
                Action::NoOp,
                None,
            ),
            (
                r#"alerting.subscription["critical/ops-team-sms"]"#,
                Action::NoOp,
                None,
            ),
            (
                r#"alerting.subscription["critical/email:someone@else.com"]"#,
                Action::NoOp,
                Some("cannot unsubscribe"),
            ),
        ],
    );
}

#[test]
fn protocol_must_match_too() {
    let w = BTreeMap::from([(
        "j".to_owned(),
        sub(SubscriptionProtocol::EmailJson, "a@b.co"),
    )]);
    let steps = plan(&w, &[listed("arn:s:1", "email", "a@b.co")]);
    assert!(matches!(steps[0], SubscriptionStep::Subscribe { .. }));
    assert!(matches!(steps[1], SubscriptionStep::Unsubscribe { .. }));
}

#[test]
fn sms_endpoints_compare_exactly() {
    let w = BTreeMap::from([(
        "s".to_owned(),
        sub(SubscriptionProtocol::Sms, "+1234567890"),
    )]);
    assert!(matches!(
        plan(&w, &[listed("arn:s:1", "sms", "+1234567890")])[0],
        SubscriptionStep::Keep { .. }
    ));
}

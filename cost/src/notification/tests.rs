use super::*;
use crate::test_config as config;

fn existing(kind: &str, threshold: f64) -> NotificationWithSubscribers {
    NotificationWithSubscribers {
        notification: Notification {
            notification_type: kind.into(),
            comparison_operator: "GREATER_THAN".into(),
            threshold,
            threshold_type: "PERCENTAGE".into(),
        },
        subscribers: BTreeSet::new(),
    }
}

#[test]
fn thresholds_and_types_of_the_three_notifications() {
    let c = Config {
        budget_warning_threshold: 40.0,
        budget_critical_threshold: 90.0,
        budget_forecast_threshold: 110.0,
        ..config()
    };
    let n = notifications(&c, Some("arn:aws:sns:us-east-1:1:t"));
    let got: Vec<(&str, &str, f64)> = n
        .iter()
        .map(|w| {
            (
                w.role,
                w.notification.notification.notification_type.as_str(),
                w.notification.notification.threshold,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("warning", "ACTUAL", 40.0),
            ("critical", "ACTUAL", 90.0),
            ("forecast", "FORECASTED", 110.0)
        ]
    );
}

#[test]
fn e_mail_lists_go_to_their_notification_and_main_addresses_to_all() {
    let c = Config {
        budget_notification_emails: vec!["team@example.com".into()],
        budget_warning_emails: vec!["w@example.com".into()],
        budget_critical_emails: vec!["c@example.com".into()],
        budget_forecast_emails: vec!["f@example.com".into()],
        ..config()
    };
    let n = notifications(&c, Some("arn:aws:sns:us-east-1:1:t"));
    for (w, own) in n
        .iter()
        .zip(["w@example.com", "c@example.com", "f@example.com"])
    {
        let subs = &w.notification.subscribers;
        assert!(subs.contains(&Subscriber::sns("arn:aws:sns:us-east-1:1:t")));
        assert!(subs.contains(&Subscriber::email(own)));
        assert!(subs.contains(&Subscriber::email("finops@example.com")));
        assert!(subs.contains(&Subscriber::email("team@example.com")));
        assert_eq!(subs.len(), 4);
    }
}

#[test]
fn without_topic_and_addresses_no_notification_is_made() {
    assert!(notifications(&Config::default(), None).is_empty());
    let n = notifications(&config(), None);
    assert_eq!(n.len(), 3);
    assert!(n[0]
        .notification
        .subscribers
        .iter()
        .all(|s| s.kind == "EMAIL"));
}

#[test]
fn a_changed_threshold_pairs_with_the_old_notification() {
    let wanted = notifications(
        &Config {
            budget_warning_threshold: 60.0,
            ..config()
        },
        None,
    );
    let have = vec![
        existing("ACTUAL", 50.0),
        existing("ACTUAL", 80.0),
        existing("FORECASTED", 100.0),
    ];
    let p = pair(&wanted, &have);
    assert_eq!(p.pairs, vec![Some(0), Some(1), Some(2)]);
    assert!(p.extra.is_empty());
}

#[test]
fn unclaimed_notifications_are_extra() {
    let wanted = notifications(&config(), None);
    let have = vec![
        existing("ACTUAL", 80.0),
        existing("ACTUAL", 95.0),
        existing("ACTUAL", 50.0),
        existing("ACTUAL", 20.0),
    ];
    let p = pair(&wanted, &have);
    assert_eq!(p.pairs, vec![Some(2), Some(0), None]);
    assert_eq!(p.extra, vec![1, 3]);
}

//! The Bedrock cost budget: its desired shape from the config and the pairing of desired and
//! existing notifications. Pure: no I/O.

use crate::api::{AutoAdjust, Budget, Notification, NotificationWithSubscribers, Subscriber};
use baseline_core::config::BudgetAutoAdjustType;
use baseline_core::Config;
use std::collections::{BTreeMap, BTreeSet};

/// The SERVICE value of Amazon Bedrock in Budgets and Cost Explorer filters (the service name
/// as Cost Explorer's SERVICE dimension lists it).
pub const BEDROCK_SERVICE: &str = "Amazon Bedrock";

/// Services added by `include_related_ai_services`: those the original module names as related
/// AI services. The values are the SERVICE dimension names Cost Explorer uses.
pub(crate) const RELATED_AI_SERVICES: [&str; 4] = [
    "Amazon SageMaker",
    "Amazon Comprehend",
    "Amazon Textract",
    "Amazon Rekognition",
];

/// Longest budget name (Budgets API reference, Budget.BudgetName: 1 to 100 characters).
pub(crate) const BUDGET_NAME_MAX: usize = 100;

/// One desired notification of the budget, with the config role it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct WantedNotification {
    /// `warning`, `critical` or `forecast` (the address key).
    pub role: &'static str,
    /// The notification and its subscribers.
    pub notification: NotificationWithSubscribers,
}

/// The e-mail addresses every budget notification goes to.
fn main_addresses(c: &Config) -> Vec<String> {
    c.budget_notification_email
        .iter()
        .chain(&c.budget_notification_emails)
        .cloned()
        .collect()
}

fn subscribers(
    topic: Option<&str>,
    emails: impl IntoIterator<Item = String>,
) -> BTreeSet<Subscriber> {
    topic
        .map(Subscriber::sns)
        .into_iter()
        .chain(emails.into_iter().map(Subscriber::email))
        .collect()
}

/// Cost filters: the Bedrock service (and related services on request), plus the tag filters
/// as `user:<key>$<value>` under `TagKeyValue` (the format of the Budgets API's CostFilters,
/// "AWS::Budgets::Budget BudgetData" CostFilters, and of Cost Explorer's tag values).
pub fn cost_filters(c: &Config) -> BTreeMap<String, Vec<String>> {
    let mut services = vec![BEDROCK_SERVICE.to_owned()];
    if c.include_related_ai_services {
        services.extend(RELATED_AI_SERVICES.iter().map(|s| (*s).to_owned()));
    }
    services.sort();
    let mut filters = BTreeMap::from([("Service".to_owned(), services)]);
    let mut tags: Vec<String> = c
        .budget_cost_filter_tags
        .iter()
        .flat_map(|(k, values)| values.iter().map(move |v| format!("user:{k}${v}")))
        .collect();
    tags.sort();
    tags.dedup();
    if !tags.is_empty() {
        filters.insert("TagKeyValue".to_owned(), tags);
    }
    filters
}

/// The budget itself.
pub(crate) fn budget(c: &Config, name: String) -> Budget {
    let limit: f64 = c.bedrock_monthly_budget_limit.trim().parse().unwrap_or(0.0);
    Budget {
        name,
        budget_type: "COST".into(),
        time_unit: "MONTHLY".into(),
        limit_amount: crate::api::format_amount(limit),
        limit_unit: "USD".into(),
        cost_filters: cost_filters(c),
        // Budgets API reference, AutoAdjustData: HISTORICAL takes HistoricalOptions
        // (BudgetAdjustmentPeriod, 1..=60 months); FORECAST takes none.
        auto_adjust: c.budget_auto_adjust_type.map(|t| match t {
            BudgetAutoAdjustType::Historical => AutoAdjust {
                kind: "HISTORICAL".into(),
                historical_months: i32::try_from(c.budget_historical_adjustment_period).ok(),
            },
            BudgetAutoAdjustType::Forecast => AutoAdjust {
                kind: "FORECAST".into(),
                historical_months: None,
            },
        }),
    }
}

/// The warning and critical (ACTUAL) and forecast (FORECASTED) notifications, each to the cost
/// topic (when there is one) and to its e-mail list plus the main addresses. A notification
/// with no subscriber at all is left out (Budgets requires at least one).
pub(crate) fn notifications(c: &Config, topic: Option<&str>) -> Vec<WantedNotification> {
    let main = main_addresses(c);
    [
        (
            "warning",
            "ACTUAL",
            c.budget_warning_threshold,
            &c.budget_warning_emails,
        ),
        (
            "critical",
            "ACTUAL",
            c.budget_critical_threshold,
            &c.budget_critical_emails,
        ),
        (
            "forecast",
            "FORECASTED",
            c.budget_forecast_threshold,
            &c.budget_forecast_emails,
        ),
    ]
    .into_iter()
    .filter_map(|(role, kind, threshold, emails)| {
        let subscribers = subscribers(topic, main.iter().chain(emails).cloned());
        (!subscribers.is_empty()).then(|| WantedNotification {
            role,
            notification: NotificationWithSubscribers {
                notification: Notification {
                    notification_type: kind.into(),
                    comparison_operator: "GREATER_THAN".into(),
                    threshold,
                    threshold_type: "PERCENTAGE".into(),
                },
                subscribers,
            },
        })
    })
    .collect()
}

/// How desired notifications map onto existing ones: `pairs[i]` is the index of the existing
/// notification that desired notification `i` converges (`None`: create it); `extra` are
/// existing notifications no desired one claims (delete them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    /// Per desired notification, the existing one it takes over.
    pub pairs: Vec<Option<usize>>,
    /// Existing notifications to delete.
    pub extra: Vec<usize>,
}

/// Exact matches first; then a desired notification takes over an unclaimed existing one of
/// the same type, so a changed threshold is one UpdateNotification, not a delete and a create
/// (which would also drop the subscribers' confirmation state).
pub fn pair(wanted: &[WantedNotification], existing: &[NotificationWithSubscribers]) -> Pairing {
    let mut claimed = vec![false; existing.len()];
    let mut pairs = vec![None; wanted.len()];
    for (i, w) in wanted.iter().enumerate() {
        if let Some(j) = (0..existing.len())
            .find(|j| !claimed[*j] && existing[*j].notification == w.notification.notification)
        {
            claimed[j] = true;
            pairs[i] = Some(j);
        }
    }
    for (i, w) in wanted.iter().enumerate() {
        if pairs[i].is_some() {
            continue;
        }
        if let Some(j) = (0..existing.len()).find(|j| {
            !claimed[*j]
                && existing[*j].notification.notification_type
                    == w.notification.notification.notification_type
        }) {
            claimed[j] = true;
            pairs[i] = Some(j);
        }
    }
    let extra = (0..existing.len()).filter(|j| !claimed[*j]).collect();
    Pairing { pairs, extra }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            budget_notification_email: Some("finops@example.com".into()),
            ..Config::default()
        }
    }

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
    fn bedrock_monthly_budget_limit_sets_the_limit() {
        let c = Config {
            bedrock_monthly_budget_limit: "250.50".into(),
            ..config()
        };
        let b = budget(&c, "n".into());
        assert_eq!(b.limit_amount, "250.5");
        assert_eq!(
            (b.budget_type.as_str(), b.time_unit.as_str()),
            ("COST", "MONTHLY")
        );
    }

    #[test]
    fn the_budget_filters_on_bedrock_and_on_request_related_services() {
        let b = budget(&config(), "n".into());
        assert_eq!(b.cost_filters["Service"], vec!["Amazon Bedrock"]);
        let c = Config {
            include_related_ai_services: true,
            ..config()
        };
        let services = &cost_filters(&c)["Service"];
        assert_eq!(services.len(), 5);
        assert!(services.contains(&"Amazon SageMaker".to_owned()));
    }

    #[test]
    fn budget_cost_filter_tags_become_tag_key_value_filters() {
        let c = Config {
            budget_cost_filter_tags: BTreeMap::from([(
                "CostCenter".into(),
                vec!["ai".into(), "ml".into()],
            )]),
            ..config()
        };
        assert_eq!(
            cost_filters(&c)["TagKeyValue"],
            vec!["user:CostCenter$ai", "user:CostCenter$ml"]
        );
        assert!(!cost_filters(&config()).contains_key("TagKeyValue"));
    }

    #[test]
    fn budget_auto_adjust_type_and_historical_period() {
        assert_eq!(budget(&config(), "n".into()).auto_adjust, None);
        let c = Config {
            budget_auto_adjust_type: Some(BudgetAutoAdjustType::Historical),
            budget_historical_adjustment_period: 12,
            ..config()
        };
        assert_eq!(
            budget(&c, "n".into()).auto_adjust,
            Some(AutoAdjust {
                kind: "HISTORICAL".into(),
                historical_months: Some(12)
            })
        );
        let c = Config {
            budget_auto_adjust_type: Some(BudgetAutoAdjustType::Forecast),
            ..config()
        };
        assert_eq!(budget(&c, "n".into()).auto_adjust.unwrap().kind, "FORECAST");
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
}

//! Budgets: amounts, thresholds, notifications and what the cost module needs.

use super::{is_email, Issues};
use crate::config::{AnomalyFrequency, Config};

impl Issues {
    pub(super) fn budgets(&mut self, c: &Config) {
        for (key, value) in [
            (
                "bedrock_monthly_budget_limit",
                &c.bedrock_monthly_budget_limit,
            ),
            ("token_monthly_budget_limit", &c.token_monthly_budget_limit),
        ] {
            match value.trim().parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 => {}
                _ => self.hint(
                    key,
                    format!("`{value}` is not a positive number"),
                    "write the amount as a number, e.g. \"1000\"",
                ),
            }
        }
        for (key, value) in [
            ("budget_warning_threshold", c.budget_warning_threshold),
            ("budget_critical_threshold", c.budget_critical_threshold),
            ("budget_forecast_threshold", c.budget_forecast_threshold),
            ("token_budget_threshold", c.token_budget_threshold),
            ("budget_anomaly_threshold", c.budget_anomaly_threshold),
        ] {
            self.positive(key, value);
        }
        if let Some(email) = &c.budget_notification_email {
            if !is_email(email) {
                self.hint(
                    "budget_notification_email",
                    format!("`{email}` is not an e-mail address"),
                    "e.g. `finops@example.com`",
                );
            }
        }
        for (key, list) in [
            ("budget_notification_emails", &c.budget_notification_emails),
            ("budget_warning_emails", &c.budget_warning_emails),
            ("budget_critical_emails", &c.budget_critical_emails),
            ("budget_forecast_emails", &c.budget_forecast_emails),
            ("token_budget_emails", &c.token_budget_emails),
            ("budget_anomaly_emails", &c.budget_anomaly_emails),
        ] {
            for (i, email) in list.iter().enumerate() {
                if !is_email(email) {
                    self.hint(
                        format!("{key}[{i}]"),
                        format!("`{email}` is not an e-mail address"),
                        "e.g. `finops@example.com`",
                    );
                }
            }
        }
        for key in c.budget_cost_filter_tags.keys() {
            if key.is_empty() || key.chars().count() > 128 {
                self.err(
                    format!("budget_cost_filter_tags.{key}"),
                    "tag key length must be 1 to 128 characters",
                );
            }
        }
        if !(1..=60).contains(&c.budget_historical_adjustment_period) {
            self.hint(
                "budget_historical_adjustment_period",
                format!("{} is out of range", c.budget_historical_adjustment_period),
                "use 1 to 60 months",
            );
        }
        self.cost_module(c);
    }

    /// What the cost module needs beyond single values.
    pub(super) fn cost_module(&mut self, c: &Config) {
        // AWS publishes no list of Bedrock usage types (Budgets' "UsageType" filter values): the
        // Bedrock pricing page and the Budgets/Cost Explorer guides name none, and the ones seen
        // on bills are per model and region. A USAGE budget on guessed names would never fire.
        if c.enable_token_budget_monitoring {
            self.hint(
                "enable_token_budget_monitoring",
                "AWS documents no Amazon Bedrock usage type a token USAGE budget could filter on",
                "set it to false; the cost budget (`bedrock_monthly_budget_limit`) and the token anomaly alarm (`enable_token_anomaly_detection`) cover Bedrock spend and token use",
            );
        }
        if c.enable_budget_monitoring && c.budget_warning_threshold >= c.budget_critical_threshold {
            self.hint(
                "budget_warning_threshold",
                format!(
                    "{} is not below budget_critical_threshold ({})",
                    c.budget_warning_threshold, c.budget_critical_threshold
                ),
                "both are ACTUAL notifications of one budget and must differ; use e.g. 50 and 80",
            );
        }
        // AWS Cost Management User Guide, "Quotas and restrictions" (Budgets): a notification
        // has at most 10 e-mail subscribers (and one SNS topic).
        let main: Vec<&String> = c
            .budget_notification_email
            .iter()
            .chain(&c.budget_notification_emails)
            .collect();
        if c.enable_budget_monitoring {
            for (key, list) in [
                ("budget_warning_emails", &c.budget_warning_emails),
                ("budget_critical_emails", &c.budget_critical_emails),
                ("budget_forecast_emails", &c.budget_forecast_emails),
            ] {
                let mut all: Vec<&String> = main.iter().copied().chain(list).collect();
                all.sort();
                all.dedup();
                if all.len() > 10 {
                    self.hint(
                        key,
                        format!("{} addresses with budget_notification_email(s); a budget notification takes at most 10", all.len()),
                        "subscribe further addresses to the cost topic (`cost_alert_subscriptions`) instead",
                    );
                }
            }
        }
        // Cost Explorer API reference, AnomalySubscription.Frequency: notifications go over
        // e-mail for DAILY and WEEKLY, over SNS for IMMEDIATE.
        if c.enable_budget_anomaly_detection
            && c.budget_anomaly_frequency == AnomalyFrequency::Immediate
        {
            if !c.budget_anomaly_emails.is_empty() {
                self.hint(
                    "budget_anomaly_emails",
                    "IMMEDIATE anomaly alerts go to SNS only, not to e-mail addresses",
                    "subscribe the addresses to the cost topic (`cost_alert_subscriptions`), or use DAILY or WEEKLY",
                );
            }
            if !c.enable_alerting {
                self.hint(
                    "budget_anomaly_frequency",
                    "IMMEDIATE needs the cost topic, and enable_alerting = false removes it",
                    "use DAILY or WEEKLY (e-mail), or enable alerting",
                );
            }
        }
    }
}

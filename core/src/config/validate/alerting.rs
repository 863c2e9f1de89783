//! Alerting: topics, subscriptions and who may publish.

use super::{arn_parts, is_account_principal, is_e164, is_email, is_url, Issues};
use crate::config::{Config, Subscription, SubscriptionProtocol};

impl Issues {
    pub(super) fn alerting(&mut self, c: &Config) {
        for (topic, subs) in [
            (
                "critical_alert_subscriptions",
                &c.critical_alert_subscriptions,
            ),
            (
                "performance_alert_subscriptions",
                &c.performance_alert_subscriptions,
            ),
            ("cost_alert_subscriptions", &c.cost_alert_subscriptions),
        ] {
            for (name, sub) in subs {
                let base = format!("{topic}.{name}");
                if name.trim().is_empty() {
                    self.err(base.clone(), "subscription name must not be empty");
                }
                self.subscription(&base, sub);
            }
        }

        for (i, arn) in c.admin_principal_arns.iter().enumerate() {
            let iam_principal = arn.starts_with("arn:")
                && arn.split(':').nth(2) == Some("iam")
                && !arn.contains('*')
                && is_account_principal(arn);
            if !iam_principal {
                self.hint(
                    format!("admin_principal_arns[{i}]"),
                    format!("`{arn}` is not an IAM role or user ARN"),
                    "use `arn:aws:iam::<account>:role/<path/name>` (no wildcards): only these may disable invocation logging or the guardrail through the management endpoint",
                );
            }
        }

        for (i, principal) in c.sns_topic_principals.iter().enumerate() {
            let path = format!("sns_topic_principals[{i}]");
            if principal.contains('*') {
                self.hint(
                    path,
                    "`*` lets anyone publish to the alert topics",
                    "the tool already lets CloudWatch, EventBridge and Budgets publish, with aws:SourceAccount/aws:SourceArn conditions against the confused deputy; list only 12-digit account ids or IAM role/user ARNs that must publish",
                );
            } else if !is_account_principal(principal) {
                self.hint(
                    path,
                    format!("`{principal}` is not an account principal"),
                    "use a 12-digit account id or `arn:aws:iam::<account>:root|role/<name>|user/<name>`",
                );
            }
        }
    }

    pub(super) fn subscription(&mut self, base: &str, sub: &Subscription) {
        let path = format!("{base}.endpoint");
        let e = sub.endpoint.as_str();
        let (ok, hint) = match sub.protocol {
            SubscriptionProtocol::Email | SubscriptionProtocol::EmailJson => (
                is_email(e),
                "an e-mail address, e.g. `ops-team@example.com`",
            ),
            SubscriptionProtocol::Sms => (
                is_e164(e),
                "an E.164 phone number: `+` then 8 to 15 digits, no spaces, e.g. `+14155550100`",
            ),
            SubscriptionProtocol::Https => (
                is_url(e, "https://"),
                "an `https://` URL (use protocol `http` for a plain-http endpoint)",
            ),
            SubscriptionProtocol::Http => (is_url(e, "http://"), "an `http://` URL"),
            SubscriptionProtocol::Sqs => (
                arn_parts(e, "sqs").is_some_and(|a| a.account_ok() && !a.resource.is_empty()),
                "an SQS queue ARN `arn:aws:sqs:<region>:<account>:<queue>`",
            ),
            SubscriptionProtocol::Lambda => (
                arn_parts(e, "lambda").is_some_and(|a| {
                    a.account_ok()
                        && a.resource
                            .strip_prefix("function:")
                            .is_some_and(|f| !f.is_empty())
                }),
                "a Lambda function ARN `arn:aws:lambda:<region>:<account>:function:<name>`",
            ),
        };
        if !ok {
            self.hint(
                path,
                format!("`{e}` is not a valid {} endpoint", sub.protocol.as_str()),
                hint,
            );
        }
    }
}

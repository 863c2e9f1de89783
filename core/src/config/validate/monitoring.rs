//! Monitoring: thresholds, periods, evaluation settings.

use super::{arn_parts, Issues};
use crate::config::Config;

impl Issues {
    pub(super) fn monitoring(&mut self, c: &Config) {
        for (key, value) in [
            ("invocation_error_threshold", c.invocation_error_threshold),
            ("server_error_threshold", c.server_error_threshold),
            ("throttle_threshold", c.throttle_threshold),
            ("latency_threshold_ms", c.latency_threshold_ms),
            ("logging_failure_threshold", c.logging_failure_threshold),
            ("anomaly_threshold", c.anomaly_threshold),
            ("token_anomaly_threshold", c.token_anomaly_threshold),
            (
                "guardrails_blocked_threshold",
                c.guardrails_blocked_threshold,
            ),
            ("agents_latency_threshold_ms", c.agents_latency_threshold_ms),
            ("kb_latency_threshold_ms", c.kb_latency_threshold_ms),
            ("agents_throttle_threshold", c.agents_throttle_threshold),
            ("kb_throttle_threshold", c.kb_throttle_threshold),
            ("agents_error_threshold", c.agents_error_threshold),
            ("kb_error_threshold", c.kb_error_threshold),
        ] {
            self.positive(key, value);
        }
        if let Some(v) = c.token_anomaly_threshold_value {
            self.positive("token_anomaly_threshold_value", v);
        }
        let p = c.kms_request_quota_alarm_percent;
        if !p.is_finite() || p <= 0.0 || p > 100.0 {
            self.hint(
                "kms_request_quota_alarm_percent",
                format!("{p} is not a percentage of the quota"),
                "use a number above 0 and at most 100 (enable_kms_usage_monitoring = false: no alarm)",
            );
        }
        let t = c.training_job_failure_threshold;
        if !t.is_finite() || t < 0.0 {
            self.err(
                "training_job_failure_threshold",
                format!("{t} must be 0 or more"),
            );
        }

        for (key, value) in [
            ("alarm_evaluation_periods", c.alarm_evaluation_periods),
            ("alarm_datapoints_to_alarm", c.alarm_datapoints_to_alarm),
            ("anomaly_evaluation_periods", c.anomaly_evaluation_periods),
            (
                "training_alarm_evaluation_periods",
                c.training_alarm_evaluation_periods,
            ),
            (
                "maintenance_suppression_extension_period",
                c.maintenance_suppression_extension_period,
            ),
            (
                "maintenance_suppression_wait_period",
                c.maintenance_suppression_wait_period,
            ),
        ] {
            if value == 0 {
                self.err(key, "must be greater than 0");
            }
        }
        for (key, value) in [
            ("alarm_period", c.alarm_period),
            ("anomaly_period", c.anomaly_period),
            ("training_alarm_period", c.training_alarm_period),
        ] {
            if !(value == 10 || value == 30 || (value > 0 && value % 60 == 0)) {
                let suggestion = (value.div_ceil(60).max(1)) * 60;
                self.hint(
                    key,
                    format!("{value} is not a CloudWatch alarm period"),
                    format!("use 10, 30 or a multiple of 60 seconds, e.g. {suggestion}"),
                );
            }
        }
        if c.alarm_datapoints_to_alarm > c.alarm_evaluation_periods {
            self.hint(
                "alarm_datapoints_to_alarm",
                format!(
                    "{} is more than alarm_evaluation_periods ({})",
                    c.alarm_datapoints_to_alarm, c.alarm_evaluation_periods
                ),
                "datapoints to alarm must not exceed the evaluation periods",
            );
        }
        if let Some(arn) = &c.maintenance_window_alarm_arn {
            let ok = arn_parts(arn, "cloudwatch").is_some_and(|a| {
                a.account_ok()
                    && a.resource
                        .strip_prefix("alarm:")
                        .is_some_and(|n| !n.is_empty())
            });
            if !ok {
                self.hint(
                    "maintenance_window_alarm_arn",
                    format!("`{arn}` is not a CloudWatch alarm ARN"),
                    "expected `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`",
                );
            }
        }
    }

    pub(super) fn positive(&mut self, key: &str, value: f64) {
        if !value.is_finite() || value <= 0.0 {
            self.err(key, format!("{value} must be greater than 0"));
        }
    }
}

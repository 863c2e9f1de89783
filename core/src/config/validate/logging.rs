//! Logging: log-group retention, the log prefix, the roles' permissions boundary.

use super::{is_iam_policy_arn, Issues};
use crate::config::{Config, LOG_RETENTION_DAYS};

impl Issues {
    pub(super) fn logging(&mut self, c: &Config) {
        if c.enable_vpc_flow_logs && !LOG_RETENTION_DAYS.contains(&c.vpc_flow_logs_retention_days) {
            let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
            self.hint(
                "vpc_flow_logs_retention_days",
                format!(
                    "{} is not a CloudWatch Logs retention period",
                    c.vpc_flow_logs_retention_days
                ),
                format!("use one of {}", allowed.join(", ")),
            );
        }
        if !LOG_RETENTION_DAYS.contains(&c.log_retention_days) {
            let allowed: Vec<String> = LOG_RETENTION_DAYS.iter().map(u32::to_string).collect();
            self.hint(
                "log_retention_days",
                format!(
                    "{} is not a CloudWatch Logs retention period",
                    c.log_retention_days
                ),
                format!("use one of {}", allowed.join(", ")),
            );
        }
        let prefix = &c.s3_log_prefix;
        if prefix.is_empty() {
            self.hint("s3_log_prefix", "must not be empty", "e.g. `invocations/`");
        } else if prefix.starts_with('/') {
            self.hint(
                "s3_log_prefix",
                format!("`{prefix}` starts with `/`"),
                format!(
                    "S3 keys have no leading slash: `{}`",
                    prefix.trim_start_matches('/')
                ),
            );
        } else if !prefix.ends_with('/') {
            self.hint(
                "s3_log_prefix",
                format!("`{prefix}` does not end with `/`"),
                format!("did you mean `{prefix}/`?"),
            );
        }
        if let Some(arn) = &c.permissions_boundary_arn {
            if !is_iam_policy_arn(arn) {
                self.hint(
                    "permissions_boundary_arn",
                    format!("`{arn}` is not an IAM policy ARN"),
                    "expected `arn:aws:iam::<12-digit account>:policy/<name>`",
                );
            }
        }
    }
}

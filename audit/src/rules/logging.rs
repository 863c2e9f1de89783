//! Invocation logging, log groups, CloudTrail, alarms, metric filters and logs resource policies (BB-01..04, BB-13..16, BB-18, BB-76).

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-01",
        title: "Model invocation logging is enabled",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &[
            "prowler:bedrock_model_invocation_logging_enabled",
            "conformity:Bedrock-005",
            "aiml-assessment:BR-04",
            "cloudsploit:bedrock/modelInvocationLoggingEnabled",
        ],
        frameworks: LOGGING,
        remediation: "Set `enable_model_invocation_logging = true` (and a destination: \
            `enable_cloudwatch_logging` or `enable_s3_logging`) and apply; outside a stack call \
            bedrock:PutModelInvocationLoggingConfiguration.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html"],
        check: check_logging_enabled,
    },
    Rule {
        id: "BB-02",
        title: "Invocation logging delivers text data",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:bedrock_model_invocation_logging_text_data_enabled"],
        frameworks: LOGGING,
        remediation: "Set `text_data_delivery_enabled = true` and apply (loggingConfig.textDataDeliveryEnabled).",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_LoggingConfig.html",
        ],
        check: check_logging_text,
    },
    Rule {
        id: "BB-03",
        title: "Invocation-log CloudWatch log group is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &[
            "prowler:bedrock_model_invocation_logs_encryption_enabled",
            "sra:bedrock_org/bedrock-cloudwatch-logging",
            "checkov:CKV_AWS_158",
        ],
        frameworks: LOG_ENCRYPTION,
        remediation: "Apply the stack with `enable_cloudwatch_logging = true` (its log group uses the \
            stack's CMK); outside a stack call logs:AssociateKmsKey with a customer-managed key.",
        docs: &["https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"],
        check: check_log_group_cmk,
    },
    Rule {
        id: "BB-04",
        title: "Invocation-log CloudWatch log group keeps logs at least 365 days",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &[
            "sra:bedrock_org/bedrock-cloudwatch-logging",
            "prowler:cloudwatch_log_group_retention_policy_specific_days_enabled",
            "checkov:CKV_AWS_66",
            "checkov:CKV_AWS_338",
        ],
        frameworks: LOGGING,
        remediation: "Set `log_retention_days = 365` (or more) and apply; outside a stack call \
            logs:PutRetentionPolicy with retentionInDays >= 365.",
        docs: &["https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Working-with-log-groups-and-streams.html"],
        check: check_log_retention,
    },
    Rule {
        id: "BB-13",
        title: "Large-payload delivery bucket of CloudWatch invocation logging is hardened",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["datadog:bedrock-logs-not-public"],
        frameworks: LOG_ENCRYPTION,
        remediation: "Point cloudWatchConfig.largeDataDeliveryS3Config at the stack's log bucket \
            (`enable_s3_logging = true`) or harden that bucket as BB-05..BB-12 say.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html",
        ],
        check: check_large_data_bucket,
    },
    Rule {
        id: "BB-14",
        title: "A CloudTrail trail logs Bedrock management events",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["prowler:cloudtrail_bedrock_logging_enabled", "aiml-assessment:BR-06"],
        frameworks: LOGGING,
        remediation: "Create a multi-Region trail that logs management events (cloudtrail:CreateTrail, \
            StartLogging); this tool does not deploy trails.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/logging-using-cloudtrail.html"],
        check: check_cloudtrail,
    },
    Rule {
        id: "BB-15",
        title: "CloudWatch alarms watch AWS/Bedrock metrics that exist",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["aiml-assessment:BR-32", "prowler:cloudwatch_bedrock_runtime_alarms_configured"],
        frameworks: &[SOC2_CC7_2, HIPAA_AUDIT, ISO_LOGGING],
        remediation: "Set `enable_alerting = true` (the stack's alarms watch documented AWS/Bedrock \
            metrics) and apply; fix or delete alarms whose metric name is not documented.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring.html",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html",
        ],
        check: check_alarms,
    },
    Rule {
        id: "BB-16",
        title: "Bedrock configuration changes raise an alert (metric filter + alarm, or an EventBridge rule)",
        severity: Severity::Medium,
        scope: Scope::Stack,
        sources: &["sra:bedrock_org/sra-bedrock-filter-service-changes", "sra:bedrock_org/sra-bedrock-filter-bucket-changes"],
        frameworks: &[SOC2_CC7_2, HIPAA_AUDIT, ISO_LOGGING],
        remediation: "Set `enable_alerting = true` (the stack's tamper rules alert on Bedrock, key, \
            bucket and topic changes) and apply; outside a stack add a metric filter on the \
            CloudTrail log group with an alarm, or an EventBridge rule on source aws.bedrock.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-eventbridge.html",
            "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/monitor-cloudtrail-log-files-with-cloudwatch-logs.html",
        ],
        check: check_change_alerts,
    },
    Rule {
        id: "BB-18",
        title: "No LLM-jacking pattern in the last day of CloudTrail events",
        severity: Severity::Critical,
        scope: Scope::Stack,
        sources: &["prowler:cloudtrail_threat_detection_llm_jacking"],
        frameworks: &[SOC2_CC7_2, ISO_LOGGING],
        remediation: "Investigate the identities calling InvokeModel, PutUseCaseForModelAccess and \
            GetFoundationModelAvailability; behavioural, not configuration.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/logging-using-cloudtrail.html"],
        check: check_llm_jacking,
    },
    Rule {
        id: "BB-76",
        title: "No CloudWatch Logs resource policy makes log groups public",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:cloudwatch_log_group_not_publicly_accessible"],
        frameworks: LEAST_PRIVILEGE,
        remediation: "logs:PutResourcePolicy without `Principal: *` grants (or with an \
            aws:SourceAccount / aws:SourceArn condition); the stack writes no logs resource policy.",
        docs: &["https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutResourcePolicy.html"],
        check: check_logs_resource_policies,
    },
];

pub(super) fn logging_resource(inv: &Inventory) -> String {
    inv.bedrock_arn("model-invocation-logging")
}

// GetModelInvocationLoggingConfiguration returns an empty loggingConfig when logging is off
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetModelInvocationLoggingConfiguration.html).
fn check_logging_enabled(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    vec![match &inv.logging {
        Err(m) => rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m),
        Ok(None) => rule.finding(
            res,
            Status::Fail,
            "model invocation logging is not configured",
        ),
        Ok(Some(c)) if c.log_group.is_none() && c.bucket.is_none() => rule.finding(
            res,
            Status::Fail,
            "logging configuration names neither a log group nor a bucket",
        ),
        Ok(Some(c)) => rule.finding(
            res,
            Status::Pass,
            format!(
                "logging to {}",
                [
                    c.log_group.as_ref().map(|g| format!("log group {g}")),
                    c.bucket.as_ref().map(|b| format!("bucket {b}"))
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" and ")
            ),
        ),
    }]
}

fn check_logging_text(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    vec![match &inv.logging {
        Err(m) => rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m),
        Ok(None) => rule.finding(
            res,
            Status::NotApplicable,
            "model invocation logging is off (see BB-01)",
        ),
        Ok(Some(c)) => match c.text_data_delivery {
            Some(true) => rule.finding(res, Status::Pass, "textDataDeliveryEnabled is true"),
            Some(false) => rule.finding(res, Status::Fail, "textDataDeliveryEnabled is false"),
            None => rule.finding(
                res,
                Status::Unknown,
                "the configuration omits textDataDeliveryEnabled",
            ),
        },
    }]
}

fn check_log_group_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    let config = match &inv.logging {
        Err(m) => {
            return vec![rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m)]
        }
        Ok(None) => {
            return vec![rule.finding(
                res,
                Status::NotApplicable,
                "model invocation logging is off (see BB-01)",
            )]
        }
        Ok(Some(c)) => c,
    };
    let Some(name) = &config.log_group else {
        return vec![rule.finding(
            res,
            Status::NotApplicable,
            "invocation logging does not deliver to CloudWatch Logs",
        )];
    };
    let group_res = format!(
        "arn:{}:logs:{}:{}:log-group:{name}",
        inv.partition, inv.region, inv.account_id
    );
    vec![match inv.log_groups.get(name) {
        None => rule.finding(group_res, Status::Unknown, "the log group was not read"),
        Some(Err(m)) => rule.missing(group_res, "logs:DescribeLogGroups", m),
        Some(Ok(None)) => rule.finding(
            group_res,
            Status::Fail,
            "the log group logging points at does not exist",
        ),
        Some(Ok(Some(g))) => match &g.kms_key_id {
            None => rule.finding(group_res, Status::Fail, "the log group has no kmsKeyId"),
            Some(key) => {
                let (status, reason) = cmk(inv, key);
                rule.finding(group_res, status, reason)
            }
        },
    }]
}

/// The invocation log group the logging rules judge: the configuration's, else the stack's.
fn invocation_log_group(inv: &Inventory) -> Option<String> {
    inv.logging
        .as_ref()
        .ok()
        .and_then(|l| l.as_ref())
        .and_then(|l| l.log_group.clone())
}

// retentionInDays is absent when events never expire
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogGroup.html);
// Prowler's minimum is 365 days, Checkov CKV_AWS_338 one year.
fn check_log_retention(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    if let Err(m) = &inv.logging {
        return vec![rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m)];
    }
    let Some(name) = invocation_log_group(inv) else {
        return vec![rule.finding(
            res,
            Status::NotApplicable,
            "invocation logging does not deliver to CloudWatch Logs",
        )];
    };
    let group_res = regional_arn(inv, "logs", &format!("log-group:{name}"));
    vec![match inv.log_groups.get(&name) {
        None => rule.finding(group_res, Status::Unknown, "the log group was not read"),
        Some(Err(m)) => rule.missing(group_res, "logs:DescribeLogGroups", m),
        Some(Ok(None)) => rule.finding(group_res, Status::Fail, "the log group does not exist"),
        Some(Ok(Some(g))) => match g.retention_days {
            None => rule.finding(group_res, Status::Pass, "events never expire"),
            Some(d) if d >= 365 => {
                rule.finding(group_res, Status::Pass, format!("retention {d} days"))
            }
            Some(d) => rule.finding(group_res, Status::Fail, format!("retention {d} days < 365")),
        },
    }]
}

// largeDataDeliveryS3Config: payloads over 100 KB go to this bucket
// (https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html).
fn check_large_data_bucket(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let res = logging_resource(inv);
    let config = match &inv.logging {
        Err(m) => {
            return vec![rule.missing(res, "bedrock:GetModelInvocationLoggingConfiguration", m)]
        }
        Ok(None) => {
            return vec![rule.finding(res, Status::NotApplicable, "invocation logging is off")]
        }
        Ok(Some(c)) => c,
    };
    let Some(bucket) = &config.large_data_bucket else {
        return vec![rule.finding(res, Status::NotApplicable, "no largeDataDeliveryS3Config")];
    };
    let bucket_res = format!("arn:{}:s3:::{bucket}", inv.partition);
    vec![match inv.more.buckets.get(bucket) {
        None => rule.finding(bucket_res, Status::Unknown, "the bucket was not read"),
        Some(Err(m)) => rule.missing(bucket_res, "S3 bucket reads", m),
        Some(Ok(b)) => {
            let (status, reason) = super::s3::hardening(inv, b);
            rule.finding(bucket_res, status, reason)
        }
    }]
}

fn check_cloudtrail(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    not_read(
        rule,
        regional_arn(inv, "cloudtrail", "trail/*"),
        "cloudtrail:DescribeTrails, GetTrailStatus, GetEventSelectors",
    )
}

fn check_llm_jacking(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    not_read(
        rule,
        regional_arn(inv, "cloudtrail", "trail/*"),
        "cloudtrail:LookupEvents over the last 24 hours",
    )
}

/// The alarms in scope: the stack's (`<prefix>-*`), else every alarm watching AWS/Bedrock.
fn bedrock_alarms(inv: &Inventory) -> Result<Vec<&Alarm>, Missing> {
    let all = inv.more.alarms.as_ref().map_err(Clone::clone)?;
    Ok(all
        .iter()
        .filter(|a| match scope_name(inv) {
            Some(s) => a.name.starts_with(&format!("{}-", s.stack)),
            None => true,
        })
        .filter(|a| a.metrics.iter().any(|(ns, _)| ns == "AWS/Bedrock"))
        .collect())
}

// ListMetrics lists metrics with data in the past two weeks; a metric the service documents may
// have none yet (no traffic), so an absent metric FAILs only when no AWS page documents it
// either (the catalog of baseline-monitoring, each entry naming its page).
fn check_alarms(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    if let Some(f) = no_footprint(rule, inv, regional_arn(inv, "cloudwatch", "alarm:*")) {
        return f;
    }
    let region = regional_arn(inv, "cloudwatch", "alarm:*");
    let alarms = match bedrock_alarms(inv) {
        Err(m) => return vec![rule.missing(region, "cloudwatch:DescribeAlarms", &m)],
        Ok(a) => a,
    };
    if alarms.is_empty() {
        let why = match scope_name(inv) {
            Some(s) => format!(
                "stack {} has no alarm on AWS/Bedrock metrics (`enable_alerting = false`?)",
                s.stack
            ),
            None => "no CloudWatch alarm watches an AWS/Bedrock metric".into(),
        };
        return vec![rule.finding(region, Status::Fail, why)];
    }
    alarms
        .into_iter()
        .map(|a| {
            let mut problems = Vec::new();
            let mut unknown = Vec::new();
            for (ns, metric) in &a.metrics {
                let listed = match inv.more.listed_metrics.get(ns) {
                    None => {
                        unknown.push(format!("{ns} metrics not listed"));
                        continue;
                    }
                    Some(Err(m)) => {
                        unknown.push(format!("cloudwatch:ListMetrics {ns}: {}", m.reason()));
                        continue;
                    }
                    Some(Ok(l)) => l.contains(metric),
                };
                let documented = baseline_monitoring::metrics::lookup(ns, metric).is_some();
                if !listed && !documented && ns.starts_with("AWS/") {
                    problems.push(format!(
                        "{ns}/{metric} is not in ListMetrics and no AWS page documents it"
                    ));
                }
            }
            if !problems.is_empty() {
                rule.finding(&a.arn, Status::Fail, problems.join("; "))
            } else if !unknown.is_empty() {
                rule.finding(&a.arn, Status::Unknown, unknown.join("; "))
            } else {
                rule.finding(
                    &a.arn,
                    Status::Pass,
                    format!("alarm {} watches existing or documented metrics", a.name),
                )
            }
        })
        .collect()
}

/// An event pattern that matches Bedrock API calls recorded by CloudTrail
/// (`source: aws.bedrock`, https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-bedrock.html).
fn matches_bedrock_events(pattern: &str) -> bool {
    pattern.contains("aws.bedrock") || pattern.contains("bedrock.amazonaws.com")
}

fn check_change_alerts(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    if let Some(f) = no_footprint(rule, inv, regional_arn(inv, "events", "rule/*")) {
        return f;
    }
    let region = regional_arn(inv, "events", "rule/*");
    let (filters, alarms, rules) = match (
        &inv.more.metric_filters,
        &inv.more.alarms,
        &inv.more.event_rules,
    ) {
        (Err(m), _, _) => return vec![rule.missing(region, "logs:DescribeMetricFilters", m)],
        (_, Err(m), _) => return vec![rule.missing(region, "cloudwatch:DescribeAlarms", m)],
        (_, _, Err(m)) => return vec![rule.missing(region, "events:ListRules", m)],
        (Ok(f), Ok(a), Ok(r)) => (f, a, r),
    };
    let in_stack = |name: &str| match scope_name(inv) {
        Some(s) => name.starts_with(&format!("{}-", s.stack)),
        None => true,
    };
    let mut out = Vec::new();
    for r in rules.iter().filter(|r| in_stack(&r.name)) {
        if r.pattern.as_deref().is_some_and(matches_bedrock_events) {
            out.push(if r.state == "ENABLED" {
                rule.finding(
                    &r.arn,
                    Status::Pass,
                    format!("rule {} matches Bedrock API calls", r.name),
                )
            } else {
                rule.finding(
                    &r.arn,
                    Status::Fail,
                    format!("rule {} is {}", r.name, r.state),
                )
            });
        }
    }
    for f in filters
        .iter()
        .filter(|f| f.pattern.contains("bedrock.amazonaws.com") && in_stack(&f.name))
    {
        let res = regional_arn(
            inv,
            "logs",
            &format!("log-group:{}:metric-filter:{}", f.log_group, f.name),
        );
        let alarmed = f
            .metrics
            .iter()
            .any(|m| alarms.iter().any(|a| a.metrics.contains(m)));
        out.push(if alarmed {
            rule.finding(
                res,
                Status::Pass,
                format!("metric filter {} has an alarm", f.name),
            )
        } else {
            rule.finding(
                res,
                Status::Fail,
                format!("metric filter {} has no alarm on its metric", f.name),
            )
        });
    }
    rule.or_else(
        out,
        region,
        Status::Fail,
        "no metric filter with an alarm and no EventBridge rule watches Bedrock API calls",
    )
}

fn check_logs_resource_policies(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let region = regional_arn(inv, "logs", "resource-policy/*");
    let policies = match listed(
        rule,
        &inv.more.log_resource_policies,
        &region,
        "logs:DescribeResourcePolicies",
    ) {
        Ok(p) => p,
        Err(f) => return f,
    };
    if policies.is_empty() {
        return vec![rule.finding(
            region,
            Status::Pass,
            "no logs resource policy in the region",
        )];
    }
    policies
        .iter()
        .map(|p| {
            let res = regional_arn(inv, "logs", &format!("resource-policy/{}", p.name));
            match &p.policy {
                Err(e) => rule.finding(res, Status::Unknown, format!("policy did not parse: {e}")),
                Ok(doc) => rule.public_grants(res, doc),
            }
        })
        .collect()
}

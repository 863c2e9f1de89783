use std::path::PathBuf;

use ipnet::IpNet;

use super::*;
use crate::config::{
    load, AnomalyFrequency, ConfigError, ConfigSources, ContentFilter, ContentFilterType,
    ContextualGrounding, DeniedTopic, EndpointService, FilterStrength, GuardrailRegex, PiiAction,
    StateBackend, Subscription, SubscriptionProtocol,
};

fn valid() -> Config {
    Config {
        environment: "production".into(),
        vpc_id: "vpc-0123456789abcdef0".into(),
        subnet_ids: vec!["subnet-0123456789abcdef0".into(), "subnet-01234567".into()],
        bedrock_role_name: "AppRole".into(),
        ..Config::default()
    }
}

/// Apply `edit` to a valid config; the issues must be exactly at `expected` paths, each
/// message or hint containing the given text.
#[track_caller]
fn check(edit: impl FnOnce(&mut Config), expected: &[(&str, &str)]) {
    let mut c = valid();
    edit(&mut c);
    let issues = validate(&c);
    let got: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|(p, _)| *p).collect();
    assert_eq!(got, want, "issues: {issues:#?}");
    for (issue, (_, text)) in issues.iter().zip(expected) {
        let hay = format!(
            "{} {}",
            issue.message,
            issue.hint.clone().unwrap_or_default()
        );
        assert!(hay.contains(text), "`{text}` not in `{hay}`");
    }
}

fn net(s: &str) -> IpNet {
    s.parse().expect("test CIDR")
}

#[test]
fn valid_config_has_no_issues() {
    check(|_| {}, &[]);
}

#[test]
fn default_config_reports_the_required_keys() {
    let got: Vec<String> = validate(&Config::default())
        .into_iter()
        .map(|i| i.path)
        .collect();
    assert_eq!(
        got,
        ["environment", "vpc_id", "subnet_ids", "bedrock_role_name"]
    );
}

#[test]
fn names() {
    check(
        |c| c.environment = "Prod_1".into(),
        &[("environment", "`prod-1`")],
    );
    check(
        |c| c.environment = "a".repeat(33),
        &[("environment", "1 to 32")],
    );
    check(
        |c| c.environment = "-prod".into(),
        &[("environment", "not a valid name")],
    );
    check(
        |c| c.project = "My Project".into(),
        &[("project", "`my-project`")],
    );
    check(
        |c| c.bedrock_role_name = "arn:aws:iam::1:role/x".into(),
        &[("bedrock_role_name", "not an ARN")],
    );
    check(
        |c| c.bedrock_role_name = "r".repeat(65),
        &[("bedrock_role_name", "1 to 64")],
    );
    check(|c| c.bedrock_role_name = "App+Role=,.@_-1".into(), &[]);
}

#[test]
fn vpc_and_subnets() {
    check(
        |c| c.vpc_id = "vpc-0123456789abcdef".into(),
        &[("vpc_id", "vpc-0123456789abcdef0")],
    );
    check(|c| c.vpc_id = "vpc-01234567".into(), &[]);
    check(
        |c| c.vpc_id = "VPC-01234567".into(),
        &[("vpc_id", "8 or 17")],
    );
    check(|c| c.vpc_id.clear(), &[("vpc_id", "required")]);
    check(
        |c| c.subnet_ids.clear(),
        &[("subnet_ids", "at least one subnet")],
    );
    check(
        |c| c.subnet_ids = vec!["snet-0123456789a".into(), "subnet-xyz".into()],
        &[
            ("subnet_ids[0]", "AWS subnet ids start with `subnet-`"),
            ("subnet_ids[1]", "8 or 17"),
        ],
    );
    check(
        |c| c.subnet_ids.push("subnet-01234567".into()),
        &[("subnet_ids[2]", "duplicate of subnet_ids[1]")],
    );
    check(
        |c| c.route_table_ids = vec!["rtb-01234567".into(), "rt-1".into()],
        &[("route_table_ids[1]", "rtb-")],
    );
}

#[test]
fn cidrs() {
    check(
        |c| c.management_allowed_cidrs = vec![net("10.20.0.0/8")],
        &[("management_allowed_cidrs[0]", "did you mean `10.0.0.0/8`?")],
    );
    check(
        |c| c.runtime_allowed_cidrs = vec![net("10.30.0.0/16"), net("0.0.0.0/0")],
        &[("runtime_allowed_cidrs[1]", "whole internet")],
    );
    check(
        |c| c.management_allowed_cidrs = vec![net("::/0")],
        &[("management_allowed_cidrs[0]", "whole internet")],
    );
    check(
        |c| c.management_allowed_cidrs = vec![net("fd00::1/64")],
        &[("management_allowed_cidrs[0]", "`fd00::/64`")],
    );
    check(
        |c| c.vpc_cidr = net("10.0.1.0/16"),
        &[("vpc_cidr", "`10.0.0.0/16`")],
    );
    check(
        |c| c.management_allowed_cidrs = vec![net("10.20.0.0/16"), net("192.168.1.7/32")],
        &[],
    );
}

#[test]
fn logging() {
    check(
        |c| c.log_retention_days = 91,
        &[("log_retention_days", "90, 120")],
    );
    check(|c| c.log_retention_days = 3653, &[]);
    check(
        |c| {
            c.enable_vpc_flow_logs = true;
            c.vpc_flow_logs_retention_days = 45;
        },
        &[("vpc_flow_logs_retention_days", "30, 60")],
    );
    // Off: the retention is not used, so not checked.
    check(|c| c.vpc_flow_logs_retention_days = 45, &[]);
    check(
        |c| c.s3_log_prefix = String::new(),
        &[("s3_log_prefix", "empty")],
    );
    check(
        |c| c.s3_log_prefix = "/logs/".into(),
        &[("s3_log_prefix", "`logs/`")],
    );
    check(
        |c| c.s3_log_prefix = "logs".into(),
        &[("s3_log_prefix", "`logs/`")],
    );
    check(
        |c| c.permissions_boundary_arn = Some("arn:aws:iam::123456789012:role/X".into()),
        &[("permissions_boundary_arn", "policy/")],
    );
    check(
        |c| {
            c.permissions_boundary_arn =
                Some("arn:aws:iam::123456789012:policy/DeveloperBoundary".into())
        },
        &[],
    );
    check(
        |c| c.permissions_boundary_arn = Some("arn:aws:iam::aws:policy/PowerUserAccess".into()),
        &[],
    );
}

#[test]
fn models_and_regions() {
    check(
        |c| c.allowed_model_regions.clear(),
        &[("allowed_model_regions", "at least one")],
    );
    check(
        |c| c.allowed_model_regions.push("US-East-1".into()),
        &[("allowed_model_regions[3]", "us-east-1")],
    );
    check(
        |c| c.allowed_model_regions.push("us-gov-west-1".into()),
        &[],
    );
    check(
        |c| {
            c.foundation_models = vec![
                "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0".into(),
                "arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-text-express-v1".into(),
                "anthropic.claude-v2".into(),
                "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0".into(),
            ]
        },
        &[
            (
                "foundation_models[1]",
                "allowed_model_regions is [us-east-1, us-east-2, us-west-2]",
            ),
            ("foundation_models[2]", "foundation-model/"),
        ],
    );
    check(
        |c| c.region = Some("useast1".into()),
        &[("region", "not a region")],
    );
    check(
        |c| c.region = Some("eu-west-1".into()),
        &[(
            "region",
            "stack region `eu-west-1` is not in allowed_model_regions",
        )],
    );
    check(|c| c.region = Some("us-west-2".into()), &[]);
}

#[test]
fn application_role_is_required_and_admins_are_iam_principals() {
    check(
        |c| c.bedrock_role_name.clear(),
        &[("bedrock_role_name", "there is no default")],
    );
    check(
        |c| {
            c.admin_principal_arns = vec![
                "arn:aws:iam::123456789012:role/ops/BedrockAdmin".into(),
                "arn:aws:iam::123456789012:role/*".into(),
                "123456789012".into(),
            ]
        },
        &[
            ("admin_principal_arns[1]", "not an IAM role or user ARN"),
            ("admin_principal_arns[2]", "not an IAM role or user ARN"),
        ],
    );
}

#[test]
fn content_filters() {
    check(
        |c| {
            c.content_filters.insert(
                ContentFilterType::PromptAttack,
                ContentFilter {
                    input_strength: FilterStrength::High,
                    output_strength: FilterStrength::High,
                },
            );
        },
        &[(
            "content_filters.prompt_attack.output_strength",
            "AWS rejects any other value for PROMPT_ATTACK output; set it to NONE",
        )],
    );
    check(
        |c| {
            c.content_filters.remove(&ContentFilterType::Hate);
        },
        &[],
    );
}

#[test]
fn guardrail_settings() {
    check(
        |c| c.guardrail_name = Some("my guardrail".into()),
        &[("guardrail_name", "1 to 50")],
    );
    // Regression: a long environment made a default name Bedrock rejects at apply time.
    check(
        |c| c.environment = "a-very-long-environment-name-x".into(),
        &[("guardrail_name", "longer than Bedrock's 50")],
    );
    check(
        |c| {
            c.guardrail.pii_entities = vec![
                "EMAIL".into(),
                "EMAILS".into(),
                "EMAIL".into(),
                "ALL".into(),
            ]
        },
        &[
            ("guardrail.pii_entities[1]", "did you mean `EMAIL`?"),
            ("guardrail.pii_entities[2]", "twice"),
            ("guardrail.pii_entities[3]", "`ALL` is not a PII type"),
        ],
    );
    check(
        |c| {
            c.guardrail
                .pii_entity_actions
                .insert("PHONE_NUMBER".into(), PiiAction::Block);
            c.guardrail
                .pii_entity_actions
                .insert("AGE".into(), PiiAction::Block);
            c.guardrail
                .pii_entity_actions
                .insert("EMAIL".into(), PiiAction::Block);
        },
        &[
            (
                "guardrail.pii_entity_actions.AGE",
                "not in guardrail.pii_entities",
            ),
            (
                "guardrail.pii_entity_actions.PHONE_NUMBER",
                "did you mean `PHONE`?",
            ),
        ],
    );
    check(
        |c| {
            c.guardrail.regexes = vec![
                GuardrailRegex {
                    name: "emp".into(),
                    pattern: "EMP-\\d{6}".into(),
                    action: PiiAction::Block,
                    description: None,
                },
                GuardrailRegex {
                    name: "emp".into(),
                    pattern: String::new(),
                    action: PiiAction::Anonymize,
                    description: Some(String::new()),
                },
            ]
        },
        &[
            ("guardrail.regexes[1].name", "used twice"),
            ("guardrail.regexes[1].pattern", "empty"),
            ("guardrail.regexes[1].description", "empty"),
        ],
    );
    check(
        |c| {
            c.guardrail.denied_topics = vec![DeniedTopic {
                name: "Investment/advice".into(),
                definition: "x".repeat(201),
                examples: vec!["a".into(); 6],
            }]
        },
        &[
            ("guardrail.denied_topics[0].name", "characters"),
            ("guardrail.denied_topics[0].definition", "at most 200"),
            ("guardrail.denied_topics[0].examples", "at most 5"),
        ],
    );
    check(
        |c| c.guardrail.word_filters = vec!["ok".into(), String::new()],
        &[("guardrail.word_filters[1]", "empty")],
    );
    check(
        |c| {
            c.guardrail.contextual_grounding = Some(ContextualGrounding {
                grounding_threshold: 0.99,
                relevance_threshold: 1.0,
            })
        },
        &[(
            "guardrail.contextual_grounding.relevance_threshold",
            "0 to 0.99",
        )],
    );
    check(
        |c| {
            c.guardrail.blocked_input_message.clear();
            c.guardrail.blocked_outputs_message = "x".repeat(501);
        },
        &[
            ("guardrail.blocked_input_message", "empty"),
            ("guardrail.blocked_outputs_message", "at most 500"),
        ],
    );
}

fn sub(protocol: SubscriptionProtocol, endpoint: &str) -> Subscription {
    Subscription {
        protocol,
        endpoint: endpoint.into(),
    }
}

#[test]
fn subscriptions() {
    use SubscriptionProtocol::*;
    let ok = [
        (Email, "ops-team@company.com"),
        (EmailJson, "a.b+c@sub.example.org"),
        (Sms, "+1234567890"),
        (Https, "https://hooks.example.com/alerts"),
        (Http, "http://internal.example.com/hook"),
        (Sqs, "arn:aws:sqs:us-east-1:123456789012:alerts"),
        (
            Lambda,
            "arn:aws:lambda:us-east-1:123456789012:function:notify",
        ),
    ];
    for (p, e) in ok {
        check(
            |c| {
                c.critical_alert_subscriptions.insert("s".into(), sub(p, e));
            },
            &[],
        );
    }
    let bad = [
        (Email, "ops-team.company.com", "e-mail"),
        (Sms, "+1 234 567 890", "E.164"),
        (Sms, "1234567890", "E.164"),
        (Sms, "+1234567", "8 to 15"),
        (Https, "http://hooks.example.com", "https://"),
        (Http, "https://", "http://"),
        (Sqs, "arn:aws:sns:us-east-1:123456789012:x", "SQS queue ARN"),
        (
            Lambda,
            "arn:aws:lambda:us-east-1:123456789012:notify",
            "function:",
        ),
    ];
    for (p, e, text) in bad {
        check(
            |c| {
                c.performance_alert_subscriptions
                    .insert("ops-team-sms".into(), sub(p, e));
            },
            &[(
                "performance_alert_subscriptions.ops-team-sms.endpoint",
                text,
            )],
        );
    }
    check(
        |c| {
            c.cost_alert_subscriptions
                .insert(" ".into(), sub(Email, "a@b.co"));
        },
        &[("cost_alert_subscriptions. ", "name must not be empty")],
    );
}

#[test]
fn sns_topic_principals() {
    check(
        |c| c.sns_topic_principals = vec!["*".into()],
        &[("sns_topic_principals[0]", "confused deputy")],
    );
    check(
        |c| {
            c.sns_topic_principals = vec![
                "123456789012".into(),
                "arn:aws:iam::123456789012:root".into(),
                "arn:aws:iam::123456789012:role/Pub".into(),
                "arn:aws:iam::123456789012:user/u".into(),
            ]
        },
        &[],
    );
    check(
        |c| c.sns_topic_principals = vec!["12345".into(), "events.amazonaws.com".into()],
        &[
            ("sns_topic_principals[0]", "12-digit"),
            ("sns_topic_principals[1]", "12-digit"),
        ],
    );
}

#[test]
fn tags() {
    check(
        |c| {
            c.tags.insert("Owner".into(), "x".repeat(257));
        },
        &[("tags.Owner", "256")],
    );
    check(
        |c| {
            c.tags.insert("k".repeat(129), "v".into());
        },
        &[(&*format!("tags.{}", "k".repeat(129)), "1 to 128")],
    );
    check(
        |c| {
            c.tags.insert("aws:owner".into(), "v".into());
        },
        &[("tags.aws:owner", "reserved")],
    );
    check(
        |c| {
            c.tags.insert("baseline:stack".into(), "v".into());
        },
        &[("tags.baseline:stack", "reserved")],
    );
    check(
        |c| {
            c.tags.insert("Team".into(), "a|b".into());
        },
        &[("tags.Team", "characters")],
    );
    check(
        |c| {
            for i in 0..48 {
                c.tags.insert(format!("k{i}"), "v".into());
            }
        },
        &[],
    );
    check(
        |c| {
            for i in 0..49 {
                c.tags.insert(format!("k{i}"), "v".into());
            }
        },
        &[("tags", "at most 48")],
    );
}

#[test]
fn thresholds_and_periods() {
    check(
        |c| c.throttle_threshold = 0.0,
        &[("throttle_threshold", "greater than 0")],
    );
    check(
        |c| c.latency_threshold_ms = -1.0,
        &[("latency_threshold_ms", "greater than 0")],
    );
    check(
        |c| c.anomaly_threshold = 0.0,
        &[("anomaly_threshold", "greater than 0")],
    );
    check(
        |c| c.token_anomaly_threshold = f64::NAN,
        &[("token_anomaly_threshold", "greater than 0")],
    );
    check(|c| c.training_job_failure_threshold = 0.0, &[]);
    check(
        |c| c.kms_request_quota_alarm_percent = 120.0,
        &[("kms_request_quota_alarm_percent", "at most 100")],
    );
    check(|c| c.kms_request_quota_alarm_percent = 100.0, &[]);

    check(
        |c| c.training_job_failure_threshold = -1.0,
        &[("training_job_failure_threshold", "0 or more")],
    );
    check(|c| c.alarm_period = 90, &[("alarm_period", "e.g. 120")]);
    check(
        |c| c.anomaly_period = 0,
        &[("anomaly_period", "multiple of 60")],
    );
    check(
        |c| {
            c.alarm_period = 10;
            c.anomaly_period = 30;
            c.training_alarm_period = 86_400
        },
        &[],
    );
    check(
        |c| c.training_alarm_period = 45,
        &[("training_alarm_period", "multiple of 60")],
    );
    check(
        |c| c.alarm_datapoints_to_alarm = 3,
        &[("alarm_datapoints_to_alarm", "evaluation periods")],
    );
    check(
        |c| {
            c.alarm_evaluation_periods = 0;
            c.alarm_datapoints_to_alarm = 0
        },
        &[
            ("alarm_evaluation_periods", "greater than 0"),
            ("alarm_datapoints_to_alarm", "greater than 0"),
        ],
    );
    check(
        |c| c.maintenance_suppression_wait_period = 0,
        &[("maintenance_suppression_wait_period", "greater than 0")],
    );
    check(
        |c| {
            c.maintenance_window_alarm_arn =
                Some("arn:aws:cloudwatch:us-east-1:123456789012:alarm:maint".into())
        },
        &[],
    );
    check(
        |c| {
            c.maintenance_window_alarm_arn = Some("arn:aws:sns:us-east-1:123456789012:maint".into())
        },
        &[("maintenance_window_alarm_arn", "alarm:")],
    );
}

#[test]
fn budgets() {
    check(
        |c| c.bedrock_monthly_budget_limit = "1,000".into(),
        &[("bedrock_monthly_budget_limit", "positive number")],
    );
    check(
        |c| c.token_monthly_budget_limit = "0".into(),
        &[("token_monthly_budget_limit", "positive number")],
    );
    check(
        |c| c.budget_warning_threshold = 0.0,
        &[("budget_warning_threshold", "greater than 0")],
    );
    check(
        |c| c.budget_notification_email = Some("finops".into()),
        &[("budget_notification_email", "e-mail")],
    );
    check(
        |c| c.budget_anomaly_emails = vec!["a@b.co".into(), "nope".into()],
        &[("budget_anomaly_emails[1]", "e-mail")],
    );
    check(
        |c| c.budget_historical_adjustment_period = 0,
        &[("budget_historical_adjustment_period", "1 to 60")],
    );
}

#[test]
fn token_budget_is_refused_with_a_hint() {
    assert!(!Config::default().enable_token_budget_monitoring);
    check(
        |c| c.enable_token_budget_monitoring = true,
        &[("enable_token_budget_monitoring", "set it to false")],
    );
}

#[test]
fn warning_threshold_must_be_below_critical() {
    check(
        |c| c.budget_warning_threshold = 80.0,
        &[("budget_warning_threshold", "not below")],
    );
    check(
        |c| {
            c.enable_budget_monitoring = false;
            c.budget_warning_threshold = 90.0
        },
        &[],
    );
}

#[test]
fn at_most_ten_addresses_per_budget_notification() {
    check(
        |c| {
            c.budget_notification_emails = (0..6).map(|i| format!("m{i}@example.com")).collect();
            c.budget_critical_emails = (0..5).map(|i| format!("c{i}@example.com")).collect();
            c.budget_warning_emails = vec!["m0@example.com".into()];
        },
        &[("budget_critical_emails", "at most 10")],
    );
}

#[test]
fn immediate_anomaly_alerts_need_sns() {
    check(
        |c| c.budget_anomaly_frequency = AnomalyFrequency::Immediate,
        &[],
    );
    check(
        |c| {
            c.budget_anomaly_frequency = AnomalyFrequency::Immediate;
            c.budget_anomaly_emails = vec!["finops@example.com".into()];
        },
        &[("budget_anomaly_emails", "SNS only")],
    );
    check(
        |c| {
            c.budget_anomaly_frequency = AnomalyFrequency::Immediate;
            c.enable_alerting = false;
        },
        &[("budget_anomaly_frequency", "DAILY or WEEKLY")],
    );
}

#[test]
fn replication() {
    let bucket = "arn:aws:s3:::audit-replica-us-west-2";
    let key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    check(
        |c| c.s3_replication.destination_bucket_arn = Some(bucket.into()),
        &[("s3_replication.destination_kms_key_arn", "is required")],
    );
    check(
        |c| c.s3_replication.destination_kms_key_arn = Some(key.into()),
        &[(
            "s3_replication.destination_kms_key_arn",
            "without a destination bucket",
        )],
    );
    check(
        |c| {
            c.region = Some("us-east-1".into());
            c.s3_replication.destination_bucket_arn = Some("arn:aws:s3:us-west-2::b".into());
            c.s3_replication.destination_kms_key_arn =
                Some("arn:aws:kms:us-east-1:123456789012:key/k".into());
        },
        &[
            (
                "s3_replication.destination_bucket_arn",
                "not an S3 bucket ARN",
            ),
            (
                "s3_replication.destination_kms_key_arn",
                "the stack's own region",
            ),
        ],
    );
    check(
        |c| {
            c.s3_replication.destination_bucket_arn = Some(bucket.into());
            c.s3_replication.destination_kms_key_arn = Some("k-1".into());
        },
        &[("s3_replication.destination_kms_key_arn", "not a KMS key")],
    );
    check(
        |c| {
            c.s3_replication.destination_bucket_arn = Some(bucket.into());
            c.s3_replication.destination_kms_key_arn = Some(key.into());
        },
        &[],
    );
}

#[test]
fn extensions() {
    check(
        |c| c.s3_object_lock.days = 0,
        &[("s3_object_lock.days", "at least 1 day")],
    );
    check(
        |c| c.kms_deletion_window_days = 6,
        &[("kms_deletion_window_days", "7 to 30")],
    );
    check(
        |c| c.kms_deletion_window_days = 31,
        &[("kms_deletion_window_days", "7 to 30")],
    );
    check(
        |c| c.s3_lifecycle.transition_to_ia_days = 10,
        &[("s3_lifecycle.transition_to_ia_days", "30 days")],
    );
    check(
        |c| c.s3_lifecycle.transition_to_glacier_days = 45,
        &[("s3_lifecycle.transition_to_glacier_days", "use 60")],
    );
    check(
        |c| c.s3_lifecycle.expiration_days = 90,
        &[("s3_lifecycle.expiration_days", "after the last transition")],
    );
    check(
        |c| {
            c.s3_lifecycle.transition_to_ia_days = 0;
            c.s3_lifecycle.transition_to_glacier_days = 1;
            c.s3_lifecycle.expiration_days = 0
        },
        &[],
    );
    check(
        |c| c.extra_endpoint_services = vec![EndpointService::Kms, EndpointService::Kms],
        &[("extra_endpoint_services[1]", "twice")],
    );
    check(
        |c| c.extra_endpoint_services = vec![EndpointService::S3],
        &[("route_table_ids", "Gateway")],
    );
    check(
        |c| c.endpoint_wait_timeout_seconds = 0,
        &[("endpoint_wait_timeout_seconds", "greater than 0")],
    );
    check(
        |c| c.state.backend = StateBackend::S3,
        &[("state.bucket", "required"), ("state.key", "required")],
    );
    check(
        |c| {
            c.state.backend = StateBackend::S3;
            c.state.bucket = Some("My_Bucket".into());
            c.state.key = Some("state.json".into());
            c.state.region = Some("eu-west-1".into());
        },
        &[("state.bucket", "3 to 63")],
    );
}

#[test]
fn custom_endpoint_policies() {
    check(
        |c| {
            c.custom_endpoint_policies.insert(
                "bedrock-runtime".into(),
                r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
            );
            c.custom_endpoint_policies.insert(
                "bedrock_agent".into(),
                r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
            );
            c.custom_endpoint_policies.insert(
                "bedrock-agent".into(),
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:*","Resource":"*"}]}"#.into(),
            );
            c.custom_endpoint_policies
                .insert("bedrock".into(), "[1]".into());
            c.custom_endpoint_policies
                .insert("bedrock-agent-runtime".into(), "{".into());
        },
        &[
            ("custom_endpoint_policies.bedrock", "not a JSON object"),
            (
                "custom_endpoint_policies.bedrock-agent",
                "allows `*` or `service:*` actions",
            ),
            (
                "custom_endpoint_policies.bedrock-agent-runtime",
                "not valid JSON",
            ),
            (
                "custom_endpoint_policies.bedrock_agent",
                "did you mean `bedrock-agent`?",
            ),
        ],
    );
}

// ----- through the loader ------------------------------------------------------------------

fn repo_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load_file(rel: &str) -> Result<Config, ConfigError> {
    load(&ConfigSources {
        file: Some(repo_file(rel)),
        use_env: false,
        sets: Vec::new(),
    })
}

fn issue_paths(result: &Result<Config, ConfigError>) -> Vec<&str> {
    match result {
        Ok(_) => Vec::new(),
        Err(e) => e.issues().iter().map(|i| i.path.as_str()).collect(),
    }
}

#[test]
fn literal_seed_basic_reports_its_bad_defaults() {
    let result = load_file("tests/fixtures/seed_basic_literal.toml");
    assert_eq!(
        issue_paths(&result),
        [
            "vpc_id",
            "subnet_ids[0]",
            "subnet_ids[1]",
            "management_allowed_cidrs[0]"
        ],
        "{result:#?}"
    );
    let issues = result
        .err()
        .map(|e| e.issues().to_vec())
        .unwrap_or_default();
    assert!(issues[3]
        .hint
        .as_deref()
        .is_some_and(|h| h.contains("10.0.0.0/8")));
    assert!(issues[1]
        .hint
        .as_deref()
        .is_some_and(|h| h.contains("subnet-")));
}

#[test]
fn literal_seed_advanced_also_reports_prompt_attack_output() {
    let result = load_file("tests/fixtures/seed_advanced_literal.toml");
    // The advanced example leaves management_allowed_cidrs unset: its default is now `[]`.
    assert_eq!(
        issue_paths(&result),
        [
            "vpc_id",
            "subnet_ids[0]",
            "subnet_ids[1]",
            "bedrock_role_name",
            "content_filters.prompt_attack.output_strength"
        ],
        "{result:#?}"
    );
}

#[test]
fn examples_are_valid() {
    for file in ["../examples/basic.toml", "../examples/advanced.toml"] {
        let result = load_file(file);
        assert!(
            result.is_ok(),
            "{file}: {}",
            result.err().map(|e| e.to_string()).unwrap_or_default()
        );
    }
    let advanced = load_file("../examples/advanced.toml")
        .ok()
        .unwrap_or_default();
    // Filters left out of the file keep their defaults.
    assert_eq!(advanced.content_filters.len(), 6);
    assert_eq!(advanced.critical_alert_subscriptions.len(), 2);
    assert_eq!(advanced.foundation_models.len(), 2);
}

#[test]
fn misspelt_key_gets_did_you_mean_with_other_issues() {
    let result = load(&ConfigSources {
        file: Some(repo_file("../examples/basic.toml")),
        use_env: false,
        sets: vec![
            "log_retention_day=30".into(),
            "vpc_id=vpc-1".into(),
            "content_filters.sexx.input_strength=HIGH".into(),
            "content_filters.hate.input_strength=HIHG".into(),
            "alarm_period=-5".into(),
            "management_allowed_cidrs=[\"10.0.0\"]".into(),
            "guardrail.regexes=[{name=\"x\"}]".into(),
            "s3_lifecycle.expiration_day=1".into(),
        ],
    });
    let issues = result
        .err()
        .map(|e| e.issues().to_vec())
        .unwrap_or_default();
    let find = |p: &str| issues.iter().find(|i| i.path == p).cloned();
    let typo = find("log_retention_day").expect("unknown key reported");
    assert_eq!(
        typo.hint.as_deref(),
        Some("did you mean `log_retention_days`?")
    );
    assert!(typo.message.contains("--set"), "{}", typo.message);
    assert!(find("s3_lifecycle.expiration_day")
        .is_some_and(|i| i.hint.as_deref() == Some("did you mean `expiration_days`?")));
    assert!(find("content_filters.sexx")
        .is_some_and(|i| i.hint.as_deref() == Some("did you mean `sexual`?")));
    assert!(find("content_filters.hate.input_strength")
        .is_some_and(|i| i.hint.as_deref() == Some("did you mean `HIGH`?")));
    assert!(find("alarm_period").is_some());
    assert!(find("management_allowed_cidrs[0]")
        .is_some_and(|i| i.hint.is_some_and(|h| h.contains("CIDR"))));
    assert!(
        find("guardrail.regexes[0].pattern").is_some(),
        "{issues:#?}"
    );
    assert!(find("vpc_id").is_some());
    assert_eq!(issues.len(), 8, "{issues:#?}");
}

#[test]
fn numbers_are_accepted_for_string_keys() {
    let result = load(&ConfigSources {
        file: Some(repo_file("../examples/basic.toml")),
        use_env: false,
        sets: vec![
            "tags.CostCenter=1234".into(),
            "bedrock_monthly_budget_limit=2500".into(),
            "sns_topic_principals=[123456789012]".into(),
        ],
    });
    let c = result.map_err(|e| e.to_string());
    let c = c.as_ref().map_err(String::as_str);
    assert_eq!(c.map(|c| c.tags["CostCenter"].as_str()), Ok("1234"));
    assert_eq!(
        c.map(|c| c.bedrock_monthly_budget_limit.as_str()),
        Ok("2500")
    );
    assert_eq!(
        c.map(|c| c.sns_topic_principals.clone()),
        Ok(vec!["123456789012".to_owned()])
    );
}

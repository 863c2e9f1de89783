//! Validation of a [`Config`]: every rule that can be checked without calling AWS.
//!
//! [`validate`] never stops at the first problem: it returns every [`ConfigIssue`] found, each
//! with the key path of the offending value (`subnet_ids[0]`,
//! `content_filters.prompt_attack.output_strength`, `tags.Owner`) and, where useful, a hint.
//!
//! Input: a [`Config`] (loaded or built in code). Output: the list of issues (empty = valid).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use super::{
    did_you_mean, AnomalyFrequency, Config, ConfigIssue, ContentFilterType, EndpointService,
    FilterStrength, StateBackend, Subscription, SubscriptionProtocol, ENDPOINT_POLICY_NAMES,
    LOG_RETENTION_DAYS, PII_ENTITY_TYPES,
};

/// User tags allowed: AWS allows 50 per resource, the tool adds its own `baseline:*` tags.
pub(crate) const MAX_USER_TAGS: usize = 48;

/// Check `config` against every rule; an empty list means it is valid.
pub fn validate(config: &Config) -> Vec<ConfigIssue> {
    let mut v = Issues::default();
    v.names(config);
    v.network(config);
    v.logging(config);
    v.models(config);
    v.guardrails(config);
    v.alerting(config);
    v.tags(config);
    v.monitoring(config);
    v.budgets(config);
    v.extensions(config);
    v.0
}

#[derive(Default)]
struct Issues(Vec<ConfigIssue>);

impl Issues {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigIssue::new(path, message));
    }

    fn hint(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.0.push(ConfigIssue::new(path, message).with_hint(hint));
    }

    // ----- names and ids -------------------------------------------------------------------

    fn names(&mut self, c: &Config) {
        if c.environment.is_empty() {
            self.hint(
                "environment",
                "is required",
                "set the environment name, e.g. `environment = \"production\"`",
            );
        } else {
            self.slug("environment", &c.environment);
        }
        self.slug("project", &c.project);

        if c.vpc_id.is_empty() {
            self.hint(
                "vpc_id",
                "is required",
                "set the id of the VPC for the endpoints, e.g. `vpc-0123456789abcdef0`",
            );
        } else if !is_aws_id(&c.vpc_id, "vpc-") {
            self.hint(
                "vpc_id",
                format!("`{}` is not a VPC id", c.vpc_id),
                "VPC ids are `vpc-` followed by 8 or 17 lowercase hex digits, e.g. `vpc-0123456789abcdef0`",
            );
        }

        if c.subnet_ids.is_empty() {
            self.hint(
                "subnet_ids",
                "is required: at least one subnet",
                "list the subnets for the endpoints, one per Availability Zone, e.g. `[\"subnet-0123456789abcdef0\"]`",
            );
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, id) in c.subnet_ids.iter().enumerate() {
            let path = format!("subnet_ids[{i}]");
            if let Some(first) = seen.get(id.as_str()) {
                self.hint(
                    path,
                    format!("duplicate of subnet_ids[{first}]"),
                    "list each subnet once",
                );
                continue;
            }
            seen.insert(id, i);
            if !is_aws_id(id, "subnet-") {
                let hint = if id.starts_with("snet-") {
                    "AWS subnet ids start with `subnet-`".to_owned()
                } else {
                    "subnet ids are `subnet-` followed by 8 or 17 lowercase hex digits, e.g. `subnet-0123456789abcdef0`"
                        .to_owned()
                };
                self.hint(path, format!("`{id}` is not a subnet id"), hint);
            }
        }

        for (i, id) in c.route_table_ids.iter().enumerate() {
            if !is_aws_id(id, "rtb-") {
                self.hint(
                    format!("route_table_ids[{i}]"),
                    format!("`{id}` is not a route table id"),
                    "route table ids are `rtb-` followed by 8 or 17 lowercase hex digits",
                );
            }
        }

        let role = &c.bedrock_role_name;
        if role.is_empty() {
            self.hint(
                "bedrock_role_name",
                "is required",
                "name the existing IAM role your application runs as (e.g. `MyAppBedrockRole`); the endpoint policies admit only it, and there is no default",
            );
        }
        let role_ok = (1..=64).contains(&role.chars().count())
            && role
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch));
        if !role_ok && !role.is_empty() {
            self.hint(
                "bedrock_role_name",
                format!("`{role}` is not a valid IAM role name"),
                "1 to 64 characters: letters, digits and `+=,.@_-` (a name, not an ARN)",
            );
        }
    }

    /// Lowercase letters, digits and hyphens, 1..=32, starting and ending alphanumeric.
    fn slug(&mut self, path: &str, value: &str) {
        let ok = (1..=32).contains(&value.len())
            && value
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if !ok {
            let suggestion: String = value
                .to_ascii_lowercase()
                .chars()
                .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
                .collect::<String>()
                .trim_matches('-')
                .chars()
                .take(32)
                .collect();
            let hint = if suggestion.is_empty() {
                "use 1 to 32 lowercase letters, digits and hyphens".to_owned()
            } else {
                format!("use 1 to 32 lowercase letters, digits and hyphens, e.g. `{suggestion}`")
            };
            self.hint(path, format!("`{value}` is not a valid name"), hint);
        }
    }

    // ----- network -------------------------------------------------------------------------

    fn network(&mut self, c: &Config) {
        for (key, list) in [
            ("management_allowed_cidrs", &c.management_allowed_cidrs),
            ("runtime_allowed_cidrs", &c.runtime_allowed_cidrs),
        ] {
            for (i, net) in list.iter().enumerate() {
                let path = format!("{key}[{i}]");
                if net.prefix_len() == 0 {
                    self.hint(
                        path,
                        format!("`{net}` allows ingress from the whole internet"),
                        "list only the networks that need to reach the endpoints, e.g. `10.20.0.0/16`",
                    );
                } else {
                    self.host_bits(path, net);
                }
            }
        }
        self.host_bits("vpc_cidr".to_owned(), &c.vpc_cidr);

        for (name, policy) in &c.custom_endpoint_policies {
            let path = format!("custom_endpoint_policies.{name}");
            if !ENDPOINT_POLICY_NAMES.contains(&name.as_str()) {
                let hint = match did_you_mean(name, ENDPOINT_POLICY_NAMES.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("expected one of: {}", ENDPOINT_POLICY_NAMES.join(", ")),
                };
                self.hint(
                    path.clone(),
                    format!("`{name}` is not a Bedrock endpoint"),
                    hint,
                );
            }
            match serde_json::from_str::<serde_json::Value>(policy) {
                Ok(serde_json::Value::Object(_)) => match crate::policy::PolicyDocument::parse(policy) {
                    Ok(doc) if doc.has_wildcard_allow() => self.hint(
                        path,
                        "allows `*` or `service:*` actions",
                        "list the actions the endpoint must admit explicitly",
                    ),
                    Ok(_) => {}
                    Err(e) => self.hint(
                        path,
                        format!(
                            "is not a policy document: {}",
                            std::error::Error::source(&e)
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| e.to_string())
                        ),
                        "give a JSON policy with Version and Statement",
                    ),
                },
                Ok(_) => self.hint(
                    path,
                    "is not a JSON object",
                    "an endpoint policy is a JSON document `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`",
                ),
                Err(e) => self.hint(
                    path,
                    format!("is not valid JSON: {e}"),
                    "an endpoint policy is a JSON document `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`",
                ),
            }
        }

        let mut seen = BTreeSet::new();
        for (i, service) in c.extra_endpoint_services.iter().enumerate() {
            if !seen.insert(*service) {
                self.hint(
                    format!("extra_endpoint_services[{i}]"),
                    format!("`{}` is listed twice", service.as_str()),
                    "list each service once",
                );
            }
        }
        if c.extra_endpoint_services.contains(&EndpointService::S3) && c.route_table_ids.is_empty()
        {
            self.hint(
                "route_table_ids",
                "an S3 Gateway endpoint (extra_endpoint_services contains `s3`) needs route tables",
                "list the route tables of the endpoint subnets (`rtb-...`), or remove `s3`",
            );
        }
        if c.endpoint_wait_timeout_seconds == 0 {
            self.err("endpoint_wait_timeout_seconds", "must be greater than 0");
        }
    }

    fn host_bits(&mut self, path: String, net: &IpNet) {
        let canonical = net.trunc();
        if canonical != *net {
            self.hint(
                path,
                format!("`{net}` has host bits set"),
                format!("did you mean `{canonical}`?"),
            );
        }
    }

    // ----- logging -------------------------------------------------------------------------

    fn logging(&mut self, c: &Config) {
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

    // ----- models and regions --------------------------------------------------------------

    fn models(&mut self, c: &Config) {
        if c.allowed_model_regions.is_empty() {
            self.hint(
                "allowed_model_regions",
                "must list at least one region",
                "e.g. `[\"us-east-1\", \"us-west-2\"]`",
            );
        }
        for (i, region) in c.allowed_model_regions.iter().enumerate() {
            if !is_region(region) {
                self.hint(
                    format!("allowed_model_regions[{i}]"),
                    format!("`{region}` is not a region name"),
                    "region names look like `us-east-1`",
                );
            }
        }
        for (i, arn) in c.foundation_models.iter().enumerate() {
            let path = format!("foundation_models[{i}]");
            match model_arn_region(arn) {
                None => self.hint(
                    path,
                    format!("`{arn}` is not a foundation-model or inference-profile ARN"),
                    "expected `arn:aws:bedrock:<region>::foundation-model/<model id>` or `arn:aws:bedrock:<region>:<account>:inference-profile/<id>`",
                ),
                Some(region) if !c.allowed_model_regions.iter().any(|r| r == region) => self.hint(
                    path,
                    format!("model region `{region}` is not in allowed_model_regions"),
                    format!(
                        "allowed_model_regions is [{}]; add `{region}` there or pick a model in one of those regions",
                        c.allowed_model_regions.join(", ")
                    ),
                ),
                Some(_) => {}
            }
        }
        if let Some(region) = &c.region {
            // The runtime endpoint policy admits only `aws:RequestedRegion` in
            // allowed_model_regions; a stack outside them could not invoke through its own
            // endpoint.
            if is_region(region) && !c.allowed_model_regions.iter().any(|r| r == region) {
                self.hint(
                    "region",
                    format!("the stack region `{region}` is not in allowed_model_regions"),
                    format!(
                        "allowed_model_regions is [{}]; add `{region}` there (the runtime endpoint policy requires aws:RequestedRegion to be one of them)",
                        c.allowed_model_regions.join(", ")
                    ),
                );
            }
            if !is_region(region) {
                self.hint(
                    "region",
                    format!("`{region}` is not a region name"),
                    "e.g. `us-east-1`",
                );
            }
        }
    }

    // ----- guardrails ----------------------------------------------------------------------

    fn guardrails(&mut self, c: &Config) {
        if let Some(name) = &c.guardrail_name {
            let ok = (1..=50).contains(&name.len())
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
            if !ok {
                self.hint(
                    "guardrail_name",
                    format!("`{name}` is not a valid guardrail name"),
                    "1 to 50 letters, digits, `-` and `_`",
                );
            }
        } else if c.enable_guardrails
            && c.guardrail_name().len() > 50
            // An invalid environment or project is reported once, on its own key.
            && !self.0.iter().any(|i| i.path == "environment" || i.path == "project")
        {
            // The default name is derived from the prefix; Bedrock caps guardrail names at 50.
            self.hint(
                "guardrail_name",
                format!(
                    "the default guardrail name `{}` is longer than Bedrock's 50 characters",
                    c.guardrail_name()
                ),
                "set a shorter `guardrail_name`, or shorten `project` or `environment`",
            );
        }

        for (kind, filter) in &c.content_filters {
            let base = format!("content_filters.{}", kind.key());
            if *kind == ContentFilterType::PromptAttack
                && filter.output_strength != FilterStrength::None
            {
                self.hint(
                    format!("{base}.output_strength"),
                    format!(
                        "PROMPT_ATTACK output strength must be NONE, not {}",
                        filter.output_strength.as_str()
                    ),
                    "AWS rejects any other value for PROMPT_ATTACK output; set it to NONE",
                );
            }
        }

        let g = &c.guardrail;
        let mut seen = BTreeSet::new();
        for (i, entity) in g.pii_entities.iter().enumerate() {
            let path = format!("guardrail.pii_entities[{i}]");
            if !seen.insert(entity.as_str()) {
                self.hint(
                    path,
                    format!("`{entity}` is listed twice"),
                    "list each type once",
                );
            } else if !PII_ENTITY_TYPES.contains(&entity.as_str()) {
                self.unknown_pii(path, entity);
            }
        }
        for entity in g.pii_entity_actions.keys() {
            let path = format!("guardrail.pii_entity_actions.{entity}");
            if !PII_ENTITY_TYPES.contains(&entity.as_str()) {
                self.unknown_pii(path, entity);
            } else if !g.pii_entities.contains(entity) {
                self.hint(
                    path,
                    format!("`{entity}` is not in guardrail.pii_entities"),
                    "add it to guardrail.pii_entities, or remove the override",
                );
            }
        }

        let mut names = BTreeSet::new();
        for (i, regex) in g.regexes.iter().enumerate() {
            let base = format!("guardrail.regexes[{i}]");
            self.length(&format!("{base}.name"), &regex.name, 1, 100);
            if !regex.name.is_empty() && !names.insert(regex.name.as_str()) {
                self.hint(
                    format!("{base}.name"),
                    format!("`{}` is used twice", regex.name),
                    "give each regex its own name",
                );
            }
            self.length(&format!("{base}.pattern"), &regex.pattern, 1, 500);
            if let Some(d) = &regex.description {
                self.length(&format!("{base}.description"), d, 1, 1000);
            }
        }

        if g.denied_topics.len() > 30 {
            self.hint(
                "guardrail.denied_topics",
                "more than 30 topics",
                "AWS allows at most 30 denied topics",
            );
        }
        for (i, topic) in g.denied_topics.iter().enumerate() {
            let base = format!("guardrail.denied_topics[{i}]");
            self.length(&format!("{base}.name"), &topic.name, 1, 100);
            if !topic
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || " -_!?.".contains(ch))
            {
                self.hint(
                    format!("{base}.name"),
                    format!("`{}` has characters AWS does not accept", topic.name),
                    "use letters, digits, spaces and `-_!?.`",
                );
            }
            self.length(&format!("{base}.definition"), &topic.definition, 1, 200);
            if topic.examples.len() > 5 {
                self.hint(
                    format!("{base}.examples"),
                    "more than 5 examples",
                    "AWS allows at most 5 examples per topic",
                );
            }
            for (j, ex) in topic.examples.iter().enumerate() {
                self.length(&format!("{base}.examples[{j}]"), ex, 1, 100);
            }
        }
        if g.word_filters.len() > 10_000 {
            self.err("guardrail.word_filters", "more than 10000 words");
        }
        for (i, word) in g.word_filters.iter().enumerate() {
            self.length(&format!("guardrail.word_filters[{i}]"), word, 1, 100);
        }
        if let Some(cg) = &g.contextual_grounding {
            for (key, value) in [
                ("grounding_threshold", cg.grounding_threshold),
                ("relevance_threshold", cg.relevance_threshold),
            ] {
                if !(0.0..=0.99).contains(&value) {
                    self.hint(
                        format!("guardrail.contextual_grounding.{key}"),
                        format!("{value} is out of range"),
                        "use a value from 0 to 0.99",
                    );
                }
            }
        }
        self.length(
            "guardrail.blocked_input_message",
            &g.blocked_input_message,
            1,
            500,
        );
        self.length(
            "guardrail.blocked_outputs_message",
            &g.blocked_outputs_message,
            1,
            500,
        );
    }

    fn unknown_pii(&mut self, path: String, entity: &str) {
        let hint = match did_you_mean(entity, PII_ENTITY_TYPES.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None if entity == "ALL" => {
                "`ALL` is not a PII type; list the types (see PII_ENTITY_TYPES in the reference)"
                    .to_owned()
            }
            None => format!("expected one of: {}", PII_ENTITY_TYPES.join(", ")),
        };
        self.hint(path, format!("`{entity}` is not a PII entity type"), hint);
    }

    /// Length in characters within `min..=max`.
    fn length(&mut self, path: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.err(path, "must not be empty");
        } else if n > max {
            self.hint(
                path,
                format!("is {n} characters long"),
                format!("at most {max} characters"),
            );
        }
    }

    // ----- alerting ------------------------------------------------------------------------

    fn alerting(&mut self, c: &Config) {
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

    fn subscription(&mut self, base: &str, sub: &Subscription) {
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

    // ----- tags ----------------------------------------------------------------------------

    fn tags(&mut self, c: &Config) {
        if c.tags.len() > MAX_USER_TAGS {
            self.hint(
                "tags",
                format!("{} tags; at most {MAX_USER_TAGS} are allowed", c.tags.len()),
                "AWS allows 50 tags per resource and the tool adds its own `baseline:*` tags",
            );
        }
        for (key, value) in &c.tags {
            let path = format!("tags.{key}");
            let n = key.chars().count();
            if n == 0 || n > 128 {
                self.hint(
                    path.clone(),
                    "tag key length must be 1 to 128 characters",
                    "shorten the key",
                );
            }
            let lower = key.to_ascii_lowercase();
            if lower.starts_with("aws:") || lower.starts_with("baseline:") {
                self.hint(
                    path.clone(),
                    format!("tag key `{key}` uses a reserved prefix"),
                    "`aws:` belongs to AWS and `baseline:` to this tool; choose another key",
                );
            }
            if !key.chars().all(tag_char) {
                self.hint(
                    path.clone(),
                    format!("tag key `{key}` has characters AWS does not accept"),
                    "use letters, digits, spaces and `_.:/=+-@`",
                );
            }
            if value.chars().count() > 256 {
                self.hint(
                    path.clone(),
                    "tag value is longer than 256 characters",
                    "shorten the value",
                );
            }
            if !value.chars().all(tag_char) {
                self.hint(
                    path,
                    "tag value has characters AWS does not accept",
                    "use letters, digits, spaces and `_.:/=+-@`",
                );
            }
        }
    }

    // ----- monitoring ----------------------------------------------------------------------

    fn monitoring(&mut self, c: &Config) {
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

    fn positive(&mut self, key: &str, value: f64) {
        if !value.is_finite() || value <= 0.0 {
            self.err(key, format!("{value} must be greater than 0"));
        }
    }

    // ----- budgets (cost, later) -----------------------------------------------------------

    fn budgets(&mut self, c: &Config) {
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
    fn cost_module(&mut self, c: &Config) {
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

    // ----- extensions ----------------------------------------------------------------------

    fn extensions(&mut self, c: &Config) {
        if !(7..=30).contains(&c.kms_deletion_window_days) {
            self.hint(
                "kms_deletion_window_days",
                format!("{} is out of range", c.kms_deletion_window_days),
                "KMS accepts 7 to 30 days",
            );
        }

        let lc = &c.s3_lifecycle;
        let ia = lc.transition_to_ia_days;
        let glacier = lc.transition_to_glacier_days;
        if ia != 0 && ia < 30 {
            self.hint(
                "s3_lifecycle.transition_to_ia_days",
                format!("{ia} days is too early"),
                "S3 requires at least 30 days before a STANDARD_IA transition (0 disables it)",
            );
        }
        if ia != 0 && glacier != 0 && glacier < ia + 30 {
            self.hint(
                "s3_lifecycle.transition_to_glacier_days",
                format!("{glacier} days is not at least 30 days after the STANDARD_IA transition ({ia})"),
                format!("S3 keeps objects 30 days in STANDARD_IA; use {} or more", ia + 30),
            );
        }
        let last_transition = ia.max(glacier);
        if lc.expiration_days != 0 && lc.expiration_days <= last_transition {
            self.hint(
                "s3_lifecycle.expiration_days",
                format!(
                    "{} days is not after the last transition ({last_transition})",
                    lc.expiration_days
                ),
                "expire after the transitions, or set 0 to never expire",
            );
        }

        // A default retention needs a mode and a period
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html); that page
        // names no upper bound, so only a zero period is rejected here.
        let lock = &c.s3_object_lock;
        if lock.enabled && lock.days == 0 {
            self.hint(
                "s3_object_lock.days",
                "0 days is no retention",
                "give at least 1 day, or set `s3_object_lock.enabled = false`",
            );
        }

        self.replication(c);

        let st = &c.state;
        match st.backend {
            StateBackend::Local => {
                if st.path.as_os_str().is_empty() {
                    self.hint("state.path", "must not be empty", "e.g. `.baseline/state`");
                }
            }
            StateBackend::S3 => {
                match &st.bucket {
                    None => self.hint("state.bucket", "is required for the s3 backend", "name an existing bucket"),
                    Some(b) if !is_bucket_name(b) => self.hint(
                        "state.bucket",
                        format!("`{b}` is not a valid bucket name"),
                        "3 to 63 lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit",
                    ),
                    Some(_) => {}
                }
                match &st.key {
                    None => self.hint(
                        "state.key",
                        "is required for the s3 backend",
                        "e.g. `bedrock-baseline/production.json`",
                    ),
                    Some(k) if k.is_empty() || k.starts_with('/') => self.hint(
                        "state.key",
                        format!("`{k}` is not a valid object key"),
                        "a non-empty key without a leading `/`",
                    ),
                    Some(_) => {}
                }
            }
        }
        if let Some(region) = &st.region {
            if !is_region(region) {
                self.hint(
                    "state.region",
                    format!("`{region}` is not a region name"),
                    "e.g. `us-east-1`",
                );
            }
        }
    }

    /// Cross-region replication: a destination bucket ARN and, as the log bucket is SSE-KMS,
    /// a key of another region to encrypt the replicas with ("Replicating encrypted objects",
    /// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html>:
    /// the replica key must be in the destination bucket's region).
    fn replication(&mut self, c: &Config) {
        let r = &c.s3_replication;
        match (&r.destination_bucket_arn, &r.destination_kms_key_arn) {
            (None, None) => {}
            (None, Some(_)) => self.hint(
                "s3_replication.destination_kms_key_arn",
                "is set without a destination bucket",
                "set `s3_replication.destination_bucket_arn` too, or remove the key",
            ),
            (Some(bucket), key) => {
                let name = arn_parts(bucket, "s3")
                    .filter(|a| a.region.is_empty() && a.account.is_empty())
                    .map(|a| a.resource);
                match name {
                    Some(n) if is_bucket_name(n) => {
                        if !c.enable_s3_logging {
                            self.hint(
                                "s3_replication.destination_bucket_arn",
                                "replicates the log bucket, but enable_s3_logging is off",
                                "turn enable_s3_logging on, or unset s3_replication",
                            );
                        }
                    }
                    _ => self.hint(
                        "s3_replication.destination_bucket_arn",
                        format!("`{bucket}` is not an S3 bucket ARN"),
                        "arn:aws:s3:::<bucket-name> (a bucket ARN has no region and no account)",
                    ),
                }
                let key_path = "s3_replication.destination_kms_key_arn";
                match key.as_deref().map(|k| (k, arn_parts(k, "kms"))) {
                    None => self.hint(
                        key_path,
                        "is required with a destination bucket",
                        "the log bucket is SSE-KMS: name a customer-managed key of the destination region that encrypts the replicas",
                    ),
                    Some((k, Some(a)))
                        if a.account_ok()
                            && is_region(a.region)
                            && (a.resource.starts_with("key/") || a.resource.starts_with("alias/")) =>
                    {
                        if c.region.as_deref() == Some(a.region) {
                            self.hint(
                                key_path,
                                format!("`{k}` is in {}, the stack's own region", a.region),
                                "cross-region replication: the key and the destination bucket are in another region",
                            );
                        }
                    }
                    Some((k, _)) => self.hint(
                        key_path,
                        format!("`{k}` is not a KMS key or alias ARN"),
                        "arn:aws:kms:<region>:<account>:key/<key-id> (or alias/<name>)",
                    ),
                }
            }
        }
    }
}

// ----- format predicates ----------------------------------------------------------------------

/// `<prefix>` followed by 8 or 17 lowercase hex digits.
fn is_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|ch| ch.is_ascii_digit() || ('a'..='f').contains(&ch))
    })
}

/// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `eu-central-2`.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    if !(3..=4).contains(&parts.len()) {
        return false;
    }
    let lower = |s: &str| !s.is_empty() && s.chars().all(|ch| ch.is_ascii_lowercase());
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    first.len() == 2
        && lower(first)
        && parts[1..parts.len() - 1].iter().all(|p| lower(p))
        && !last.is_empty()
        && last.chars().all(|ch| ch.is_ascii_digit())
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|ch| ch.is_ascii_digit())
}

/// The parts of an ARN `arn:<partition>:<service>:<region>:<account>:<resource>`.
struct Arn<'a> {
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl Arn<'_> {
    fn account_ok(&self) -> bool {
        is_account_id(self.account)
    }
}

fn arn_parts<'a>(arn: &'a str, service: &str) -> Option<Arn<'a>> {
    let mut it = arn.splitn(6, ':');
    let (scheme, partition, svc) = (it.next()?, it.next()?, it.next()?);
    let (region, account, resource) = (it.next()?, it.next()?, it.next()?);
    let partition_ok = matches!(
        partition,
        "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b"
    );
    (scheme == "arn" && partition_ok && svc == service).then_some(Arn {
        region,
        account,
        resource,
    })
}

/// `arn:aws:iam::<account>:policy/<path/name>` (an AWS managed policy, account `aws`, too).
fn is_iam_policy_arn(arn: &str) -> bool {
    arn_parts(arn, "iam").is_some_and(|a| {
        a.region.is_empty()
            && (a.account_ok() || a.account == "aws")
            && a.resource
                .strip_prefix("policy/")
                .is_some_and(|n| !n.is_empty() && !n.ends_with('/'))
    })
}

/// The region of a foundation-model or inference-profile ARN.
fn model_arn_region(arn: &str) -> Option<&str> {
    let a = arn_parts(arn, "bedrock")?;
    if !is_region(a.region) {
        return None;
    }
    let ok = if let Some(id) = a.resource.strip_prefix("foundation-model/") {
        a.account.is_empty() && !id.is_empty()
    } else if let Some(id) = a
        .resource
        .strip_prefix("inference-profile/")
        .or_else(|| a.resource.strip_prefix("application-inference-profile/"))
    {
        a.account_ok() && !id.is_empty()
    } else {
        false
    };
    ok.then_some(a.region)
}

/// A 12-digit account id or `arn:aws:iam::<account>:root|role/...|user/...`.
fn is_account_principal(p: &str) -> bool {
    if is_account_id(p) {
        return true;
    }
    arn_parts(p, "iam").is_some_and(|a| {
        a.region.is_empty()
            && a.account_ok()
            && (a.resource == "root"
                || a.resource
                    .strip_prefix("role/")
                    .is_some_and(|r| !r.is_empty())
                || a.resource
                    .strip_prefix("user/")
                    .is_some_and(|u| !u.is_empty()))
    })
}

/// A plausible e-mail address: `local@domain.tld`, no spaces.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(|ch| ch.is_whitespace() || ch.is_control())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|ch| ch.is_alphanumeric() || ch == '-')
        })
}

/// E.164: `+` then 8 to 15 digits.
fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.chars().all(|ch| ch.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// `<scheme>host...` with a non-empty host and no whitespace.
fn is_url(s: &str, scheme: &str) -> bool {
    s.strip_prefix(scheme).is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !s.chars().any(char::is_whitespace)
    })
}

fn tag_char(ch: char) -> bool {
    ch.is_alphanumeric() || ch.is_whitespace() || "_.:/=+-@".contains(ch)
}

fn is_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '.' || ch == '-')
        && b.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && b.ends_with(|ch: char| ch.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{
        load, ConfigError, ConfigSources, ContentFilter, ContextualGrounding, DeniedTopic,
        GuardrailRegex, PiiAction,
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
                c.maintenance_window_alarm_arn =
                    Some("arn:aws:sns:us-east-1:123456789012:maint".into())
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
                c.budget_notification_emails =
                    (0..6).map(|i| format!("m{i}@example.com")).collect();
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
}

//! The stack's EventBridge rules that publish to its alert topics, decided by the config alone.
//!
//! Monitoring creates the rules; alerting (topic policies) and encryption (key policy) admit
//! `events.amazonaws.com` for exactly these rules' ARNs. Rule names are deterministic
//! (`<prefix>-<key>`, at most 64 characters), so each module computes the same list from the
//! config without reading another module's outputs.

use crate::config::Config;
use crate::naming::Naming;

/// Longest EventBridge rule name (PutRule `Name`: 1-64 characters, EventBridge API reference).
pub const RULE_NAME_MAX: usize = 64;

/// Key of the failed-training-job rule.
pub const TRAINING_RULE_KEY: &str = "training-job-failed";

/// Keys of the tamper and access rules, in a fixed order (the ownership universe).
pub const TAMPER_RULE_KEYS: &[&str] = &[
    "tamper-invocation-logging",
    "tamper-guardrail",
    "tamper-kms-key",
    "tamper-log-bucket",
    "tamper-vpc-endpoints",
    "tamper-topics",
    "bedrock-access-denied",
];

/// One rule that publishes to a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRule {
    /// Address key, also the rule-name suffix.
    pub key: &'static str,
    /// The topic key it publishes to (`critical`, `performance`).
    pub topic: &'static str,
}

/// The rule name of a key.
pub fn rule_name(naming: &Naming, key: &str) -> String {
    naming.name(key, RULE_NAME_MAX)
}

/// The ARN of a rule on the default bus: `arn:<partition>:events:<region>:<account>:rule/<name>`
/// ("Resource types defined by Amazon EventBridge", Service Authorization Reference).
pub fn rule_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:events:{region}:{account}:rule/{name}")
}

/// The rules the config enables that publish to a topic, in [`TAMPER_RULE_KEYS`] order after
/// the training rule. Without alerting there is no topic and no rule publishes.
pub fn publishing_rules(c: &Config) -> Vec<EventRule> {
    if !c.enable_alerting {
        return Vec::new();
    }
    let logging = c.enable_model_invocation_logging;
    let has_endpoints = !c.bedrock_endpoints().is_empty() || !c.extra_endpoint_services.is_empty();
    let on = |key: &'static str| match key {
        "tamper-invocation-logging" => logging,
        "tamper-guardrail" => c.enable_guardrails,
        "tamper-log-bucket" => logging && c.enable_s3_logging,
        "tamper-vpc-endpoints" => has_endpoints,
        _ => true,
    };
    let training = c.enable_training_monitoring.then_some(EventRule {
        key: TRAINING_RULE_KEY,
        topic: "critical",
    });
    training
        .into_iter()
        .chain(
            TAMPER_RULE_KEYS
                .iter()
                .copied()
                .filter(|k| on(k))
                .map(|key| EventRule {
                    key,
                    topic: if key == "bedrock-access-denied" {
                        "performance"
                    } else {
                        "critical"
                    },
                }),
        )
        .collect()
}

/// Whether the config enables a rule (by key).
pub fn is_enabled(c: &Config, key: &str) -> bool {
    publishing_rules(c).iter().any(|r| r.key == key)
}

/// The ARNs of the enabled rules that publish to `topic` (`None`: to any topic), sorted.
pub fn publishing_rule_arns(
    c: &Config,
    naming: &Naming,
    (partition, region, account): (&str, &str, &str),
    topic: Option<&str>,
) -> Vec<String> {
    let mut arns: Vec<String> = publishing_rules(c)
        .into_iter()
        .filter(|r| topic.is_none_or(|t| t == r.topic))
        .map(|r| rule_arn(partition, region, account, &rule_name(naming, r.key)))
        .collect();
    arns.sort();
    arns
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn keys(c: &Config) -> Vec<&'static str> {
        publishing_rules(c).iter().map(|r| r.key).collect()
    }

    #[test]
    fn defaults_enable_every_tamper_rule_and_access_denied_goes_to_performance() {
        let c = Config::default();
        let rules = publishing_rules(&c);
        assert_eq!(
            rules.iter().map(|r| r.key).collect::<Vec<_>>(),
            [&[TRAINING_RULE_KEY][..], TAMPER_RULE_KEYS].concat()
        );
        for r in &rules {
            let want = if r.key == "bedrock-access-denied" {
                "performance"
            } else {
                "critical"
            };
            assert_eq!(r.topic, want, "{}", r.key);
        }
    }

    #[test]
    fn switches_remove_their_rules() {
        let c = Config {
            enable_alerting: false,
            ..Config::default()
        };
        assert!(keys(&c).is_empty());
        let c = Config {
            enable_model_invocation_logging: false,
            enable_guardrails: false,
            enable_training_monitoring: false,
            ..Config::default()
        };
        assert_eq!(
            keys(&c),
            [
                "tamper-kms-key",
                "tamper-vpc-endpoints",
                "tamper-topics",
                "bedrock-access-denied"
            ]
        );
    }

    #[test]
    fn arns_are_exact_and_per_topic() {
        let c = Config::default();
        let naming = Naming::new("demo-prod", BTreeMap::default());
        let perf = publishing_rule_arns(
            &c,
            &naming,
            ("aws", "us-east-1", "123456789012"),
            Some("performance"),
        );
        assert_eq!(
            perf,
            ["arn:aws:events:us-east-1:123456789012:rule/demo-prod-bedrock-access-denied"]
        );
        let all = publishing_rule_arns(&c, &naming, ("aws", "us-east-1", "123456789012"), None);
        assert_eq!(all.len(), 8);
        assert!(all.iter().all(|a| !a.contains('*')));
    }
}

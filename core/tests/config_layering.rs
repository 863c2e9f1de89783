//! Layering of the config sources: built-in defaults < file < `BASELINE_*` environment <
//! `--set`, and the same config from TOML, YAML and JSON files.
//!
//! Uses `figment::Jail` (temporary working directory and environment, serialized across
//! tests), so it lives in its own test binary.

// `Jail::expect_with` closures must return figment's (large) `Result`.
#![allow(clippy::result_large_err)]

use baseline_core::config::{load, Config, ConfigError, ConfigSources, FilterStrength};
use figment::Jail;

const TOML: &str = r#"
environment = "staging"
vpc_id = "vpc-0123456789abcdef0"
subnet_ids = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
bedrock_role_name = "AppRole"
log_retention_days = 14
management_allowed_cidrs = ["10.20.0.0/16"]

[s3_lifecycle]
expiration_days = 200

[content_filters.hate]
input_strength = "MEDIUM"
output_strength = "LOW"

[critical_alert_subscriptions.ops-team]
protocol = "email"
endpoint = "ops-team@company.com"

[tags]
Owner = "Platform-Team"
"#;

const YAML: &str = r#"
environment: staging
vpc_id: vpc-0123456789abcdef0
subnet_ids: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
bedrock_role_name: AppRole
log_retention_days: 14
management_allowed_cidrs: ["10.20.0.0/16"]
s3_lifecycle:
  expiration_days: 200
content_filters:
  hate: { input_strength: MEDIUM, output_strength: LOW }
critical_alert_subscriptions:
  ops-team: { protocol: email, endpoint: ops-team@company.com }
tags:
  Owner: Platform-Team
"#;

const JSON: &str = r#"{
  "environment": "staging",
  "vpc_id": "vpc-0123456789abcdef0",
  "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
  "bedrock_role_name": "AppRole",
  "log_retention_days": 14,
  "management_allowed_cidrs": ["10.20.0.0/16"],
  "s3_lifecycle": { "expiration_days": 200 },
  "content_filters": { "hate": { "input_strength": "MEDIUM", "output_strength": "LOW" } },
  "critical_alert_subscriptions": {
    "ops-team": { "protocol": "email", "endpoint": "ops-team@company.com" }
  },
  "permissions_boundary_arn": null,
  "tags": { "Owner": "Platform-Team" }
}"#;

fn sources(file: &str, use_env: bool, sets: &[&str]) -> ConfigSources {
    ConfigSources {
        file: Some(file.into()),
        use_env,
        sets: sets.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn load_ok(sources: &ConfigSources) -> figment::error::Result<Config> {
    load(sources).map_err(|e| figment::Error::from(e.to_string()))
}

#[test]
fn defaults_file_env_set_in_that_order() {
    Jail::expect_with(|jail| {
        jail.create_file("baseline.toml", TOML)?;

        // File over defaults.
        let c = load_ok(&sources("baseline.toml", false, &[]))?;
        assert_eq!(c.log_retention_days, 14);
        assert_eq!(c.s3_lifecycle.expiration_days, 200);
        assert_eq!(
            c.s3_lifecycle.transition_to_glacier_days, 90,
            "default kept"
        );
        assert_eq!(c.alarm_period, 300, "default kept");
        assert_eq!(c.tags["Owner"], "Platform-Team");

        // Environment over file.
        jail.set_env("BASELINE_LOG_RETENTION_DAYS", "30");
        jail.set_env("BASELINE_S3_LIFECYCLE__EXPIRATION_DAYS", "400");
        jail.set_env("BASELINE_TAGS__Team", "ml");
        jail.set_env("BASELINE_LOG", "debug"); // reserved for the tool, not a config key
        jail.set_env("BASELINE_SUBNET_IDS", "[subnet-01234567, subnet-89abcdef]");
        let c = load_ok(&sources("baseline.toml", true, &[]))?;
        assert_eq!(c.log_retention_days, 30);
        assert_eq!(c.s3_lifecycle.expiration_days, 400);
        assert_eq!(
            c.tags.get("Team").map(String::as_str),
            Some("ml"),
            "{:?}",
            c.tags
        );
        assert_eq!(c.tags["Owner"], "Platform-Team");
        assert_eq!(c.subnet_ids, ["subnet-01234567", "subnet-89abcdef"]);

        // Environment ignored unless asked for.
        let c = load_ok(&sources("baseline.toml", false, &[]))?;
        assert_eq!(c.log_retention_days, 14);

        // --set over environment.
        let c = load_ok(&sources(
            "baseline.toml",
            true,
            &[
                "log_retention_days=60",
                "s3_lifecycle.expiration_days=500",
                "tags.Team=x",
                r#"cost_alert_subscriptions.finops={ protocol = "email", endpoint = "f@example.com" }"#,
            ],
        ))?;
        assert_eq!(
            c.cost_alert_subscriptions["finops"].endpoint,
            "f@example.com"
        );
        assert_eq!(c.log_retention_days, 60);
        assert_eq!(c.s3_lifecycle.expiration_days, 500);
        assert_eq!(c.tags["Team"], "x");
        Ok(())
    });
}

#[test]
fn content_filters_merge_with_defaults() {
    Jail::expect_with(|jail| {
        jail.create_file("baseline.toml", TOML)?;
        let c = load_ok(&sources("baseline.toml", false, &[]))?;
        assert_eq!(c.content_filters.len(), 6);
        let hate = c.content_filter(baseline_core::config::ContentFilterType::Hate);
        assert_eq!(hate.input_strength, FilterStrength::Medium);
        assert_eq!(hate.output_strength, FilterStrength::Low);
        Ok(())
    });
}

#[test]
fn yaml_and_json_load_the_same_config_as_toml() {
    Jail::expect_with(|jail| {
        jail.create_file("baseline.toml", TOML)?;
        jail.create_file("baseline.yaml", YAML)?;
        jail.create_file("baseline.yml", YAML)?;
        jail.create_file("baseline.json", JSON)?;
        let toml = load_ok(&sources("baseline.toml", false, &[]))?;
        for file in ["baseline.yaml", "baseline.yml", "baseline.json"] {
            let other = load_ok(&sources(file, false, &[]))?;
            assert_eq!(other, toml, "{file}");
        }
        Ok(())
    });
}

#[test]
fn env_typo_is_reported_with_its_variable() {
    Jail::expect_with(|jail| {
        jail.create_file("baseline.toml", TOML)?;
        jail.set_env("BASELINE_LOG_RETENTION_DAY", "30");
        let err = load(&sources("baseline.toml", true, &[])).err();
        let issues = err.as_ref().map(ConfigError::issues).unwrap_or_default();
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].path, "log_retention_day");
        assert!(
            issues[0].message.contains("BASELINE_LOG_RETENTION_DAY"),
            "{}",
            issues[0].message
        );
        assert_eq!(
            issues[0].hint.as_deref(),
            Some("did you mean `log_retention_days`?")
        );
        Ok(())
    });
}

#[test]
fn required_keys_are_not_filled_by_defaults() {
    Jail::expect_with(|jail| {
        jail.create_file("empty.toml", "")?;
        let err = load(&sources("empty.toml", false, &[])).err();
        let paths: Vec<&str> = err
            .as_ref()
            .map(ConfigError::issues)
            .unwrap_or_default()
            .iter()
            .map(|i| i.path.as_str())
            .collect();
        // bedrock_role_name has a built-in empty value (no placeholder role) that validation
        // reports as required.
        assert_eq!(
            paths,
            ["environment", "vpc_id", "subnet_ids", "bedrock_role_name"]
        );
        Ok(())
    });
}

#[test]
fn file_errors() {
    Jail::expect_with(|jail| {
        let missing = load(&sources("nope.toml", false, &[]))
            .err()
            .map(|e| e.to_string());
        assert!(missing.is_some_and(|m| m.contains("nope.toml")));
        jail.create_file("bad.toml", "environment = ")?;
        let bad = load(&sources("bad.toml", false, &[])).err();
        assert!(matches!(bad, Some(ConfigError::Parse { .. })), "{bad:?}");
        jail.create_file("baseline.ini", "")?;
        let ini = load(&sources("baseline.ini", false, &[])).err();
        assert!(matches!(ini, Some(ConfigError::UnsupportedFormat { .. })));
        Ok(())
    });
}

use super::*;

fn to() -> Destinations<'static> {
    Destinations {
        log_group: Some("/aws/bedrock/demo-prod/invocations"),
        role_arn: "arn:aws:iam::123456789012:role/demo-prod-bedrock-logging",
        bucket: Some("demo-prod-bedrock-logs-123456789012-us-east-1"),
    }
}

#[test]
fn both_destinations_with_large_data_under_the_prefix() {
    let config = Config {
        environment: "prod".into(),
        s3_log_prefix: "invocations/".into(),
        ..Config::default()
    };
    let c = desired(&config, &to()).unwrap();
    let s3 = c.s3.as_ref().unwrap();
    assert_eq!(
        s3.key_prefix.as_deref(),
        Some("invocations"),
        "no trailing slash: Bedrock adds /AWSLogs/..."
    );
    let cw = c.cloudwatch.as_ref().unwrap();
    assert_eq!(cw.log_group_name, "/aws/bedrock/demo-prod/invocations");
    assert_eq!(
        cw.large_data_delivery_s3
            .as_ref()
            .unwrap()
            .key_prefix
            .as_deref(),
        Some("invocations/large-data")
    );
    assert!(!c.video_data_delivery);
}

#[test]
fn delivery_flags_come_from_config() {
    let config = Config {
        environment: "prod".into(),
        text_data_delivery_enabled: true,
        image_data_delivery_enabled: false,
        embedding_data_delivery_enabled: false,
        ..Config::default()
    };
    let c = desired(&config, &to()).unwrap();
    assert!(c.text_data_delivery && !c.image_data_delivery && !c.embedding_data_delivery);
}

#[test]
fn off_or_without_destination_means_no_configuration() {
    let off = Config {
        environment: "prod".into(),
        enable_model_invocation_logging: false,
        ..Config::default()
    };
    assert!(desired(&off, &to()).is_none());
    let on = Config {
        environment: "prod".into(),
        ..Config::default()
    };
    assert!(desired(
        &on,
        &Destinations {
            log_group: None,
            role_arn: "r",
            bucket: None
        }
    )
    .is_none());
}

#[test]
fn s3_only_has_no_cloudwatch_part() {
    let config = Config {
        environment: "prod".into(),
        ..Config::default()
    };
    let c = desired(
        &config,
        &Destinations {
            log_group: None,
            ..to()
        },
    )
    .unwrap();
    assert!(c.cloudwatch.is_none() && c.s3.is_some());
}

#[test]
fn ownership_is_by_destination() {
    let config = Config {
        environment: "prod".into(),
        ..Config::default()
    };
    let c = desired(&config, &to()).unwrap();
    assert!(is_ours(&c, "/aws/bedrock/demo-prod/invocations", "other"));
    assert!(!is_ours(&c, "/aws/bedrock/other/invocations", "other"));
}

//! The emulator through the Rust SDK: the plugin's APIs work for the real clients (CloudWatch
//! over rpc-v2-cbor, Bedrock over rest-json) and reject what AWS rejects.

use aws_sdk_bedrock::types::{
    GuardrailContentFilterConfig, GuardrailContentFilterType, GuardrailContentPolicyConfig,
    GuardrailFilterStrength,
};
use baseline_tests::{sdk_config, unique_env};

fn filter(
    kind: GuardrailContentFilterType,
    input: GuardrailFilterStrength,
    output: GuardrailFilterStrength,
) -> GuardrailContentFilterConfig {
    GuardrailContentFilterConfig::builder()
        .r#type(kind)
        .input_strength(input)
        .output_strength(output)
        .build()
        .unwrap()
}

#[tokio::test]
async fn composite_alarm_round_trip() {
    let cw = aws_sdk_cloudwatch::Client::new(&sdk_config().await);
    let name = unique_env("composite");
    cw.put_metric_alarm()
        .alarm_name(format!("{name}-child"))
        .namespace("AWS/Bedrock")
        .metric_name("InvocationServerErrors")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    cw.put_composite_alarm()
        .alarm_name(format!("{name}-health"))
        .alarm_rule(format!("ALARM(\"{name}-child\")"))
        .send()
        .await
        .unwrap();
    let out = cw
        .describe_alarms()
        .alarm_names(format!("{name}-health"))
        .alarm_types(aws_sdk_cloudwatch::types::AlarmType::CompositeAlarm)
        .send()
        .await
        .unwrap();
    let composite = &out.composite_alarms()[0];
    assert_eq!(
        composite.alarm_rule(),
        Some(format!("ALARM(\"{name}-child\")").as_str())
    );
}

#[tokio::test]
async fn guardrail_round_trip_and_validation() {
    let bedrock = aws_sdk_bedrock::Client::new(&sdk_config().await);
    let name = unique_env("guard");
    use GuardrailContentFilterType as T;
    use GuardrailFilterStrength as S;
    let created = bedrock
        .create_guardrail()
        .name(&name)
        .blocked_input_messaging("blocked")
        .blocked_outputs_messaging("blocked")
        .content_policy_config(
            GuardrailContentPolicyConfig::builder()
                .filters_config(filter(T::Hate, S::High, S::High))
                .filters_config(filter(T::PromptAttack, S::High, S::None))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = bedrock
        .get_guardrail()
        .guardrail_identifier(created.guardrail_id())
        .send()
        .await
        .unwrap();
    let filters = got.content_policy().unwrap().filters();
    assert!(filters
        .iter()
        .any(|f| f.r#type() == &T::Hate && f.input_strength() == &S::High));

    let bad = bedrock
        .create_guardrail()
        .name(format!("{name}-bad"))
        .blocked_input_messaging("blocked")
        .blocked_outputs_messaging("blocked")
        .content_policy_config(
            GuardrailContentPolicyConfig::builder()
                .filters_config(filter(T::PromptAttack, S::High, S::High))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    let service = bad.into_service_error();
    assert!(
        service.is_validation_exception(),
        "PROMPT_ATTACK output HIGH must be rejected: {service:?}"
    );

    let unknown = bedrock
        .create_guardrail()
        .name(format!("{name}-unknown"))
        .blocked_input_messaging("blocked")
        .blocked_outputs_messaging("blocked")
        .content_policy_config(
            GuardrailContentPolicyConfig::builder()
                .filters_config(filter(T::from("GOSSIP"), S::High, S::High))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        unknown.into_service_error().is_validation_exception(),
        "an unknown filter type must be rejected"
    );
}

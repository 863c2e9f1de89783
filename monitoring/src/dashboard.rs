//! The CloudWatch dashboard `<prefix>-bedrock`: runtime traffic and errors, p99 latency, tokens,
//! guardrail interventions (when the guardrail group is on) and the status of every alarm of the
//! stack. Pure: the body is a JSON value, compared parsed (CloudWatch keeps it as text).

use crate::alarms::{AlarmSpec, Group, MetricRef};
use serde_json::{json, Value};

/// Widget width and height on CloudWatch's 24-column grid.
const HALF: u32 = 12;
const HEIGHT: u32 = 6;

fn metric_line(m: &MetricRef) -> Value {
    let mut line = vec![json!(m.namespace), json!(m.metric_name)];
    for (k, v) in &m.dimensions {
        line.push(json!(k));
        line.push(json!(v));
    }
    Value::Array(line)
}

fn bedrock(name: &str) -> Value {
    json!(["AWS/Bedrock", name])
}

fn widget(
    x: u32,
    y: u32,
    title: &str,
    metrics: Vec<Value>,
    stat: &str,
    period: u32,
    region: &str,
) -> Value {
    json!({
        "type": "metric",
        "x": x, "y": y, "width": HALF, "height": HEIGHT,
        "properties": {
            "title": title,
            "view": "timeSeries",
            "stacked": false,
            "region": region,
            "stat": stat,
            "period": period,
            "metrics": metrics,
        }
    })
}

/// The dashboard body. `alarm_arns` are the ARNs of the stack's metric alarms.
pub(crate) fn body(
    alarms: &[AlarmSpec],
    alarm_arns: &[String],
    region: &str,
    period: u32,
) -> Value {
    let mut widgets = vec![
        widget(
            0,
            0,
            "Bedrock invocations, errors and throttles",
            [
                "Invocations",
                "InvocationClientErrors",
                "InvocationServerErrors",
                "InvocationThrottles",
            ]
            .into_iter()
            .map(bedrock)
            .collect(),
            "Sum",
            period,
            region,
        ),
        widget(
            HALF,
            0,
            "Bedrock invocation latency p99 (ms)",
            vec![bedrock("InvocationLatency")],
            "p99",
            period,
            region,
        ),
        widget(
            0,
            HEIGHT,
            "Bedrock tokens",
            vec![bedrock("InputTokenCount"), bedrock("OutputTokenCount")],
            "Sum",
            period,
            region,
        ),
    ];
    let guardrail_lines: Vec<Value> = alarms
        .iter()
        .filter(|a| a.group == Group::Guardrails)
        .filter_map(|a| a.def.metric.as_ref())
        .map(metric_line)
        .collect();
    if !guardrail_lines.is_empty() {
        widgets.push(widget(
            HALF,
            HEIGHT,
            "Guardrail interventions",
            guardrail_lines,
            "Sum",
            period,
            region,
        ));
    }
    widgets.push(json!({
        "type": "alarm",
        "x": 0, "y": 2 * HEIGHT, "width": 2 * HALF, "height": HEIGHT,
        "properties": {"title": "Alarm status", "alarms": alarm_arns}
    }));
    json!({"widgets": widgets})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_runtime_token_and_alarm_widgets() {
        let b = body(
            &[],
            &["arn:aws:cloudwatch:us-east-1:1:alarm:a".into()],
            "us-east-1",
            300,
        );
        let titles: Vec<&str> = b["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["properties"]["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            vec![
                "Bedrock invocations, errors and throttles",
                "Bedrock invocation latency p99 (ms)",
                "Bedrock tokens",
                "Alarm status"
            ]
        );
        assert_eq!(
            b["widgets"][3]["properties"]["alarms"][0],
            "arn:aws:cloudwatch:us-east-1:1:alarm:a"
        );
    }
}

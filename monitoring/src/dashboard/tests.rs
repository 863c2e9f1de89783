use super::*;
use crate::alarms::{catalog, CatalogContext};
use crate::MonitoringInputs;
use baseline_core::{Config, Naming};
use std::collections::BTreeMap;

/// Every metric line of every widget is a documented metric and dimension set.
#[test]
fn every_widget_line_is_a_documented_metric() {
    let naming = Naming::new("demo-prod", BTreeMap::new());
    let inputs = MonitoringInputs {
        guardrail_version: Some("1".into()),
        ..MonitoringInputs::default()
    };
    let cat = catalog(
        &Config::default(),
        &CatalogContext {
            naming: &naming,
            inputs: &inputs,
            guardrail_arn: Some("arn:aws:bedrock:us-east-1:1:guardrail/g".into()),
            all: true,
            region: "us-east-1",
        },
    );
    let b = body(&cat.alarms, &[], "us-east-1", 300, None);
    let mut lines = 0;
    for w in b["widgets"].as_array().unwrap() {
        for line in w["properties"]["metrics"].as_array().into_iter().flatten() {
            let parts: Vec<&str> = line
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let m = MetricRef {
                namespace: parts[0].into(),
                metric_name: parts[1].into(),
                dimensions: parts[2..]
                    .chunks(2)
                    .map(|kv| (kv[0].to_owned(), kv[1].to_owned()))
                    .collect(),
            };
            assert_eq!(crate::metrics::undocumented(&m), None);
            lines += 1;
        }
    }
    assert!(lines > 10, "{lines}");
}

#[test]
fn flow_logs_get_a_rejected_traffic_query_widget_on_their_group() {
    let without = body(&[], &[], "us-east-1", 300, None);
    assert!(without["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| w["type"] != "log"));
    let with = body(
        &[],
        &[],
        "us-east-1",
        300,
        Some("/aws/bedrock/s/vpc-flow-logs"),
    );
    let log: Vec<&Value> = with["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["type"] == "log")
        .collect();
    assert_eq!(log.len(), 1);
    let query = log[0]["properties"]["query"].as_str().unwrap();
    assert!(
        query.starts_with("SOURCE '/aws/bedrock/s/vpc-flow-logs' | filter action = \"REJECT\""),
        "{query}"
    );
    assert_eq!(log[0]["properties"]["region"], "us-east-1");
}

#[test]
fn body_has_runtime_token_and_alarm_widgets() {
    let b = body(
        &[],
        &["arn:aws:cloudwatch:us-east-1:1:alarm:a".into()],
        "us-east-1",
        300,
        None,
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

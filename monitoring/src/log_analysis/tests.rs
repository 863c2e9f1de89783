use super::*;
use crate::metrics::{lookup, STACK_METRICS, STACK_NAMESPACE};

#[test]
fn every_filter_publishes_a_catalogued_stack_metric() {
    let f = filters("demo-prod", "/aws/bedrock/demo-prod/invocations");
    assert_eq!(f.len(), STACK_METRICS.len());
    for (key, def) in &f {
        assert_eq!(def.namespace, "BedrockBaseline/demo-prod");
        assert!(lookup(STACK_NAMESPACE, &def.metric_name).is_some(), "{key}");
        assert!(def.pattern.len() <= 1024, "PutMetricFilter limit");
        assert_eq!(def.name, format!("demo-prod-{key}"));
    }
}

#[test]
fn rejected_traffic_query_goes_on_the_flow_log_group_only_with_flow_logs() {
    let off = LogAnalysisSpec::new("s", "/g", true).with_flow_logs(None);
    assert!(off.want_query(REJECTED_TRAFFIC_QUERY).is_none());
    let on =
        LogAnalysisSpec::new("s", "/g", false).with_flow_logs(Some("/aws/bedrock/s/vpc-flow-logs"));
    let q = on.want_query(REJECTED_TRAFFIC_QUERY).unwrap();
    assert_eq!(q.log_groups, ["/aws/bedrock/s/vpc-flow-logs"]);
    assert!(q.query.starts_with("filter action = \"REJECT\""));
    assert!(query_keys().any(|k| k == REJECTED_TRAFFIC_QUERY));
}

#[test]
fn queries_group_by_the_documented_record_fields() {
    let q = queries("demo-prod", "/g");
    let text = |k: &str| q.iter().find(|(key, _)| key == k).unwrap().1.query.clone();
    assert!(text("invocations-by-model").contains("by modelId"));
    assert!(text("invocations-by-caller").contains("by identity.arn"));
    assert!(text("token-use").contains("sum(input.inputTokenCount)"));
    assert!(q.iter().all(|(_, d)| d.log_groups == ["/g"]));
}

#[tokio::test]
async fn apply_writes_what_the_plan_shows_and_nothing_else() {
    use crate::api::MockMonitoringApi;
    use baseline_core::progress::{ProgressEvent, RecordedProgress};
    use baseline_core::Action;
    let spec = LogAnalysisSpec::new("s", "/g", true);
    let mut observed = LogAnalysisObserved::default();
    // One filter as wanted, one query drifted, one query of a key no longer wanted.
    let (key, filter) = spec.filters[0].clone();
    observed.filters.insert(key, filter);
    let (key, mut drifted) = spec.queries[0].clone();
    drifted.query = "fields @message".into();
    observed.queries.insert(
        key,
        ObservedQuery {
            id: "q-0".into(),
            def: drifted,
        },
    );
    observed.queries.insert(
        REJECTED_TRAFFIC_QUERY.into(),
        ObservedQuery {
            id: "q-flow".into(),
            def: QueryDef {
                name: "s/vpc-rejected-traffic".into(),
                log_groups: vec!["/f".into()],
                query: REJECTED_TRAFFIC.into(),
            },
        },
    );
    let mut api = MockMonitoringApi::new();
    api.expect_put_metric_filter()
        .times(spec.filters.len() - 1)
        .returning(|_| Ok(()));
    api.expect_put_query_definition()
        .times(1)
        .withf(|id, _| id.as_deref() == Some("q-0"))
        .returning(|id, _| Ok(id.unwrap()));
    api.expect_put_query_definition()
        .times(spec.queries.len() - 1)
        .withf(|id, _| id.is_none())
        .returning(|_, q| Ok(format!("new-{}", q.name)));
    api.expect_delete_query_definition()
        .times(1)
        .withf(|id| id == "q-flow")
        .returning(|_| Ok(()));
    let progress = RecordedProgress::default();
    apply(&api, &spec, &observed, &progress).await.unwrap();
    let changes = diff(&spec, &observed);
    let events = progress.0.lock().unwrap().clone();
    let started: Vec<(String, Action)> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Started { address, action } => Some((address.clone(), *action)),
            _ => None,
        })
        .collect();
    let planned: Vec<(String, Action)> = changes
        .iter()
        .filter(|c| c.is_change())
        .map(|c| (c.address.clone(), c.action))
        .collect();
    assert_eq!(started, planned);
    assert!(events.contains(&ProgressEvent::Exists {
        address: query_address("invocations-by-model"),
        id: "q-0".into()
    }));
}

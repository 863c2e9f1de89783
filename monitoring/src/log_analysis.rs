//! Log analysis on the invocation log group: metric filters that turn invocation-log records
//! into the stack's own metrics (alarmed in `alarms`, namespace
//! [`metrics::stack_namespace`](crate::metrics::stack_namespace)) and saved CloudWatch Logs
//! Insights queries for invocation patterns by model, by caller and token use.
//!
//! The record fields used are the ones "Monitor model invocation using CloudWatch Logs"
//! (<https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html>)
//! documents: `modelId`, `operation`, `identity.arn`, `input.inputTokenCount`,
//! `output.outputTokenCount`, and `output.outputBodyJson`, the API's response body. Matching:
//! - guardrail interventions: Converse/ConverseStream responses end with
//!   `stopReason = "guardrail_intervened"` (Converse API reference, `StopReason`). InvokeModel
//!   reports it in the body field `amazon-bedrock-guardrailAction`, whose hyphens a JSON
//!   selector of a filter pattern does not accept, so InvokeModel interventions are not counted
//!   (the AWS/Bedrock/Guardrails alarms count them).
//! - sensitive information: the guardrail trace carries a `sensitiveInformationPolicy`
//!   assessment when the request enables the guardrail trace ("Use a guardrail with the
//!   Converse API"); a term match on it counts records where the policy assessed PII. Without
//!   the trace nothing is logged about PII, and nothing is counted.
//! - errors and access denials: the page documents no record for a failed invocation. Records
//!   of failed calls carry `errorCode` (not documented); the filters match on it, so these two
//!   metrics stay at zero if AWS logs failures differently.
//!
//! Filter pattern syntax: "Filter pattern syntax for metric filters, subscription filters and
//! filter log events" (CloudWatch Logs user guide,
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html>).
//! Query syntax: "CloudWatch Logs Insights language query syntax"
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax.html>).

use crate::api::MonitoringApi;
use baseline_core::aws::ApiError;
use baseline_core::resource::{Planned, Step};
use baseline_core::write::WriteResult;
use baseline_core::{Change, Progress};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One metric filter: each matching record adds 1 to `metric_name` in `namespace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricFilterDef {
    /// Filter name (`<prefix>-<key>`).
    pub name: String,
    /// The invocation log group.
    pub log_group: String,
    /// Filter pattern.
    pub pattern: String,
    /// Metric name (a [`crate::metrics::STACK_METRICS`] entry).
    pub metric_name: String,
    /// The stack's namespace.
    pub namespace: String,
    /// Value per matching record (`1`).
    pub value: String,
}

/// A saved Logs Insights query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryDef {
    /// Name (`<prefix>/<key>`: the console shows the prefix as a folder).
    pub name: String,
    /// Log groups it runs on.
    pub log_groups: Vec<String>,
    /// Query text.
    pub query: String,
}

/// An existing saved query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedQuery {
    /// `queryDefinitionId`.
    pub id: String,
    /// Its definition.
    pub def: QueryDef,
}

/// Filter keys with their metric and pattern.
const FILTERS: &[(&str, &str, &str)] = &[
    (
        "guardrail-interventions",
        "GuardrailInterventions",
        r#"{ $.output.outputBodyJson.stopReason = "guardrail_intervened" }"#,
    ),
    (
        "sensitive-information",
        "SensitiveInformationDetections",
        r#""sensitiveInformationPolicy""#,
    ),
    (
        "invocation-errors",
        "InvocationErrors",
        r#"{ $.errorCode = "*" }"#,
    ),
    (
        "access-denials",
        "AccessDenials",
        r#"{ $.errorCode = "AccessDenied*" }"#,
    ),
];

/// Query keys with their text.
const QUERIES: &[(&str, &str)] = &[
    (
        "invocations-by-model",
        "stats count(*) as invocations, sum(input.inputTokenCount) as input_tokens, \
         sum(output.outputTokenCount) as output_tokens by modelId, operation \
         | sort invocations desc",
    ),
    (
        "invocations-by-caller",
        "stats count(*) as invocations, sum(input.inputTokenCount) as input_tokens, \
         sum(output.outputTokenCount) as output_tokens by identity.arn, modelId \
         | sort invocations desc",
    ),
    (
        "token-use",
        "stats sum(input.inputTokenCount) as input_tokens, sum(output.outputTokenCount) as \
         output_tokens, count(*) as invocations by bin(1h) | sort @timestamp desc",
    ),
];

/// Key of the saved query on the VPC flow-log group (logging's `enable_vpc_flow_logs`).
pub(crate) const REJECTED_TRAFFIC_QUERY: &str = "vpc-rejected-traffic";

/// Rejected traffic of the endpoint interfaces: the default flow-log format's fields
/// (`action`, `interfaceId`, `srcAddr`, `dstPort`), which Logs Insights discovers in flow logs,
/// as in "Sample queries" (VPC flow logs: "top 20 source IP addresses with highest number of
/// rejected requests", CloudWatch Logs user guide,
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-examples.html>).
pub(crate) const REJECTED_TRAFFIC: &str = "filter action = \"REJECT\" \
     | stats count(*) as rejected by interfaceId, srcAddr, dstPort \
     | sort rejected desc | limit 50";

/// Every filter key (the ownership universe).
pub(crate) fn filter_keys() -> impl Iterator<Item = &'static str> {
    FILTERS.iter().map(|(k, _, _)| *k)
}

/// Every query key (the ownership universe).
pub(crate) fn query_keys() -> impl Iterator<Item = &'static str> {
    QUERIES
        .iter()
        .map(|(k, _)| *k)
        .chain([REJECTED_TRAFFIC_QUERY])
}

/// The filter name of a key.
pub(crate) fn filter_name(stack: &str, key: &str) -> String {
    format!("{stack}-{key}")
}

/// The query name of a key.
pub(crate) fn query_name(stack: &str, key: &str) -> String {
    format!("{stack}/{key}")
}

/// The desired filters on `log_group`.
pub(crate) fn filters(stack: &str, log_group: &str) -> Vec<(String, MetricFilterDef)> {
    FILTERS
        .iter()
        .map(|(key, metric, pattern)| {
            (
                (*key).to_owned(),
                MetricFilterDef {
                    name: filter_name(stack, key),
                    log_group: log_group.to_owned(),
                    pattern: (*pattern).to_owned(),
                    metric_name: (*metric).to_owned(),
                    namespace: crate::metrics::stack_namespace(stack),
                    value: "1".to_owned(),
                },
            )
        })
        .collect()
}

/// The desired saved queries on `log_group`.
pub(crate) fn queries(stack: &str, log_group: &str) -> Vec<(String, QueryDef)> {
    QUERIES
        .iter()
        .map(|(key, query)| {
            (
                (*key).to_owned(),
                QueryDef {
                    name: query_name(stack, key),
                    log_groups: vec![log_group.to_owned()],
                    query: (*query).to_owned(),
                },
            )
        })
        .collect()
}

/// The plan view of a filter.
pub(crate) fn filter_view(f: &MetricFilterDef) -> Value {
    json!(f)
}

/// The plan view of a query.
pub(crate) fn query_view(q: &QueryDef) -> Value {
    json!(q)
}

/// Resource type names in plans.
pub(crate) const FILTER: &str = "cloudwatch_log_metric_filter";
/// Resource type names in plans.
pub(crate) const QUERY: &str = "cloudwatch_query_definition";

fn filter_address(key: &str) -> String {
    format!("monitoring.metric_filter[\"{key}\"]")
}

fn query_address(key: &str) -> String {
    format!("monitoring.query_definition[\"{key}\"]")
}

/// The desired log-analysis resources (empty when the switch, invocation logging or its
/// CloudWatch destination is off).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogAnalysisSpec {
    /// The stack name (filter and query names derive from it).
    pub stack: String,
    /// The invocation log group.
    pub log_group: String,
    /// Desired metric filters, by key.
    pub filters: Vec<(String, MetricFilterDef)>,
    /// Desired saved queries, by key.
    pub queries: Vec<(String, QueryDef)>,
}

/// What exists of them, by key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogAnalysisObserved {
    /// Existing filters of the stack on the log group.
    pub filters: BTreeMap<String, MetricFilterDef>,
    /// Existing saved queries of the stack.
    pub queries: BTreeMap<String, ObservedQuery>,
}

impl LogAnalysisSpec {
    /// The desired resources.
    pub(crate) fn new(stack: &str, log_group: &str, enabled: bool) -> Self {
        Self {
            stack: stack.to_owned(),
            log_group: log_group.to_owned(),
            filters: if enabled {
                filters(stack, log_group)
            } else {
                Vec::new()
            },
            queries: if enabled {
                queries(stack, log_group)
            } else {
                Vec::new()
            },
        }
    }

    /// Adds the rejected-traffic query on the VPC flow-log group, when there is one.
    #[must_use]
    pub(crate) fn with_flow_logs(mut self, flow_log_group: Option<&str>) -> Self {
        if let Some(group) = flow_log_group {
            self.queries.push((
                REJECTED_TRAFFIC_QUERY.to_owned(),
                QueryDef {
                    name: query_name(&self.stack, REJECTED_TRAFFIC_QUERY),
                    log_groups: vec![group.to_owned()],
                    query: REJECTED_TRAFFIC.to_owned(),
                },
            ));
        }
        self
    }

    fn want_filter(&self, key: &str) -> Option<&MetricFilterDef> {
        self.filters.iter().find(|(k, _)| k == key).map(|(_, d)| d)
    }

    fn want_query(&self, key: &str) -> Option<&QueryDef> {
        self.queries.iter().find(|(k, _)| k == key).map(|(_, d)| d)
    }

    /// Names for the outputs.
    pub(crate) fn filter_names(&self) -> Vec<String> {
        self.filters.iter().map(|(_, f)| f.name.clone()).collect()
    }

    /// Names for the outputs.
    pub(crate) fn query_names(&self) -> Vec<String> {
        self.queries.iter().map(|(_, q)| q.name.clone()).collect()
    }

    /// True when everything desired exists.
    pub(crate) fn complete(&self, observed: &LogAnalysisObserved) -> bool {
        self.filters
            .iter()
            .all(|(k, _)| observed.filters.contains_key(k))
            && self
                .queries
                .iter()
                .all(|(k, _)| observed.queries.contains_key(k))
    }
}

/// Reads the stack's filters (by name prefix on the log group) and saved queries (by name
/// prefix), keeping only names the module produces.
pub(crate) async fn observe<A: MonitoringApi>(
    api: &A,
    spec: &LogAnalysisSpec,
) -> Result<LogAnalysisObserved, ApiError> {
    let stack = &spec.stack;
    let (filter_prefix, query_prefix) = (format!("{stack}-"), format!("{stack}/"));
    let (filters, queries) = futures::try_join!(
        api.describe_metric_filters(&spec.log_group, &filter_prefix),
        api.describe_query_definitions(&query_prefix),
    )?;
    let mut out = LogAnalysisObserved::default();
    for key in filter_keys() {
        let name = filter_name(stack, key);
        if let Some(f) = filters.iter().find(|f| f.name == name) {
            out.filters.insert(key.to_owned(), f.clone());
        }
    }
    for key in query_keys() {
        let name = query_name(stack, key);
        if let Some(q) = queries.iter().find(|q| q.def.name == name) {
            out.queries.insert(key.to_owned(), q.clone());
        }
    }
    Ok(out)
}

/// One write on a metric filter or a saved query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum LogOp {
    /// PutMetricFilter / PutQueryDefinition (creates or replaces).
    Put,
    /// DeleteMetricFilter / DeleteQueryDefinition.
    Delete,
}

/// The plan of one filter or query from its views: converge what is wanted, delete what exists
/// and is not; `None` when it is neither.
fn plan_one(
    address: String,
    kind: &str,
    want: Option<Value>,
    have: Option<Value>,
) -> Option<Planned<LogOp>> {
    match (want, have) {
        (Some(want), have) => {
            let change = Change::converge(address, kind, have.as_ref(), &want, &[]);
            Some(if change.is_change() {
                Planned::new(change, vec![LogOp::Put])
            } else {
                Planned::noop(change)
            })
        }
        (None, Some(have)) => Some(Planned::new(
            Change::delete(address, kind, &have),
            vec![LogOp::Delete],
        )),
        (None, None) => None,
    }
}

fn plan_filter(
    key: &str,
    want: Option<&MetricFilterDef>,
    have: Option<&MetricFilterDef>,
) -> Option<Planned<LogOp>> {
    plan_one(
        filter_address(key),
        FILTER,
        want.map(filter_view),
        have.map(filter_view),
    )
}

fn plan_query(
    key: &str,
    want: Option<&QueryDef>,
    have: Option<&ObservedQuery>,
) -> Option<Planned<LogOp>> {
    plan_one(
        query_address(key),
        QUERY,
        want.map(query_view),
        have.map(|q| query_view(&q.def)),
    )
}

/// Plan changes: one per key that is wanted or exists.
pub(crate) fn diff(spec: &LogAnalysisSpec, observed: &LogAnalysisObserved) -> Vec<Change> {
    let filters =
        filter_keys().filter_map(|k| plan_filter(k, spec.want_filter(k), observed.filters.get(k)));
    let queries =
        query_keys().filter_map(|k| plan_query(k, spec.want_query(k), observed.queries.get(k)));
    filters.chain(queries).map(Planned::shown).collect()
}

/// Runs one filter's or query's planned ops: `put` (answering the id to record) for a wanted
/// one, `delete` for an existing one (already gone is fine). The futures are lazy: only the ops
/// the plan lists are sent.
async fn execute(
    planned: &Planned<LogOp>,
    progress: &dyn Progress,
    mut put: Option<impl std::future::Future<Output = Result<String, ApiError>>>,
    mut delete: Option<impl std::future::Future<Output = Result<(), ApiError>>>,
) -> Result<(), ApiError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    for op in &planned.ops {
        // A put is planned only for a wanted one, a delete only for an existing one.
        match op {
            LogOp::Put => {
                if let Some(put) = put.take() {
                    step.exists(put.await?);
                }
            }
            LogOp::Delete => {
                if let Some(delete) = delete.take() {
                    delete.await.or_gone()?;
                }
            }
        }
    }
    step.done();
    Ok(())
}

async fn execute_filter<A: MonitoringApi>(
    api: &A,
    want: Option<&MetricFilterDef>,
    have: Option<&MetricFilterDef>,
    planned: &Planned<LogOp>,
    progress: &dyn Progress,
) -> Result<(), ApiError> {
    let put = want.map(|w| async move { api.put_metric_filter(w).await.map(|()| w.name.clone()) });
    let delete = have.map(|h| api.delete_metric_filter(&h.log_group, &h.name));
    execute(planned, progress, put, delete).await
}

async fn execute_query<A: MonitoringApi>(
    api: &A,
    want: Option<&QueryDef>,
    have: Option<&ObservedQuery>,
    planned: &Planned<LogOp>,
    progress: &dyn Progress,
) -> Result<(), ApiError> {
    let put = want.map(|w| api.put_query_definition(have.map(|h| h.id.clone()), w));
    let delete = have.map(|h| api.delete_query_definition(&h.id));
    execute(planned, progress, put, delete).await
}

/// Writes only what the plan shows: PutMetricFilter / PutQueryDefinition for new or changed
/// ones, deletes for ones no longer wanted.
pub(crate) async fn apply<A: MonitoringApi>(
    api: &A,
    spec: &LogAnalysisSpec,
    observed: &LogAnalysisObserved,
    progress: &dyn Progress,
) -> Result<(), ApiError> {
    // The metric filters one after another: they are all changes to one log group, and
    // CloudWatch Logs refuses concurrent ones with OperationAbortedException, "multiple
    // concurrent requests to update the same resource were in conflict" (not retried; CloudWatch
    // Logs API reference, PutMetricFilter and DeleteMetricFilter, Errors).
    // The saved queries are account-level resources: one round, beside the filters.
    let filters = async {
        for key in filter_keys() {
            let (want, have) = (spec.want_filter(key), observed.filters.get(key));
            if let Some(planned) = plan_filter(key, want, have) {
                execute_filter(api, want, have, &planned, progress).await?;
            }
        }
        Ok::<_, ApiError>(())
    };
    let queries = futures::future::try_join_all(query_keys().filter_map(|key| {
        let (want, have) = (spec.want_query(key), observed.queries.get(key));
        let planned = plan_query(key, want, have)?;
        Some(async move { execute_query(api, want, have, &planned, progress).await })
    }));
    futures::try_join!(filters, queries)?;
    Ok(())
}

/// Destroy plan: every existing filter and query of the stack (the log group is logging's and
/// kept as audit data).
pub(crate) fn destroy_plan(observed: &LogAnalysisObserved) -> Vec<Change> {
    let filters = observed
        .filters
        .iter()
        .filter_map(|(k, f)| plan_filter(k, None, Some(f)));
    let queries = observed
        .queries
        .iter()
        .filter_map(|(k, q)| plan_query(k, None, Some(q)));
    filters.chain(queries).map(Planned::shown).collect()
}

/// Deletes every existing filter and query of the stack.
pub(crate) async fn destroy<A: MonitoringApi>(
    api: &A,
    observed: &LogAnalysisObserved,
    progress: &dyn Progress,
) -> Result<(), ApiError> {
    for (key, f) in &observed.filters {
        if let Some(planned) = plan_filter(key, None, Some(f)) {
            execute_filter(api, None, Some(f), &planned, progress).await?;
        }
    }
    for (key, q) in &observed.queries {
        if let Some(planned) = plan_query(key, None, Some(q)) {
            execute_query(api, None, Some(q), &planned, progress).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

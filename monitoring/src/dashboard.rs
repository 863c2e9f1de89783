//! The `cloudwatch_dashboard` resource `<prefix>-bedrock`: runtime traffic and errors, p99
//! latency, tokens, guardrail interventions (when the guardrail group is on) and the status of
//! every alarm of the stack. The body is built purely as a JSON value and compared parsed
//! (CloudWatch keeps it as text); observe is one GetDashboard, apply one PutDashboard.

use crate::alarms::{AlarmSpec, Group, MetricRef};
use crate::api::MonitoringApi;
use crate::MonitoringError;
use baseline_core::resource::{Planned, ResourceKind, Step};
use baseline_core::write::WriteResult;
use baseline_core::{Action, Change, Progress};
use serde_json::{json, Value};

/// Resource type in plans.
pub(crate) const KIND: &str = "cloudwatch_dashboard";
/// The dashboard's plan address.
pub(crate) const ADDRESS: &str = "monitoring.dashboard";

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

/// The metric lines of a group's alarms, each once.
fn group_lines(alarms: &[AlarmSpec], group: Group) -> Vec<Value> {
    alarms
        .iter()
        .filter(|a| a.group == group)
        .flat_map(|a| {
            a.def
                .metric
                .iter()
                .chain(a.def.metrics.iter().filter_map(|q| q.metric.as_ref()))
        })
        .fold(Vec::new(), |mut acc: Vec<Value>, m| {
            let line = metric_line(m);
            if !acc.contains(&line) {
                acc.push(line);
            }
            acc
        })
}

/// The dashboard body. `alarm_arns` are the ARNs of the stack's metric alarms;
/// `flow_log_group`, the VPC flow-log group when flow logs are on.
pub(crate) fn body(
    alarms: &[AlarmSpec],
    alarm_arns: &[String],
    region: &str,
    period: u32,
    flow_log_group: Option<&str>,
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
    // Log delivery: successes next to failures, so "logging switched off" (both flat) is
    // visible beside "logging broken" (failures up).
    let delivery = group_lines(alarms, Group::LogDelivery);
    if !delivery.is_empty() {
        widgets.push(widget(
            HALF,
            2 * HEIGHT,
            "Invocation log delivery",
            delivery,
            "Sum",
            period,
            region,
        ));
    }
    // VPC endpoint health: the documented traffic metrics of each stack endpoint, on the
    // dimension set its alarm uses.
    let endpoint_lines: Vec<Value> = alarms
        .iter()
        .filter(|a| a.group == Group::VpcEndpoints)
        .filter_map(|a| a.def.metric.as_ref())
        .flat_map(|m| {
            ["PacketsDropped", "RstPacketsReceived", "ActiveConnections"].map(|name| {
                metric_line(&MetricRef {
                    metric_name: name.to_owned(),
                    ..m.clone()
                })
            })
        })
        .collect();
    if !endpoint_lines.is_empty() {
        widgets.push(widget(
            0,
            4 * HEIGHT,
            "VPC endpoints: dropped packets, resets, active connections",
            endpoint_lines,
            "Sum",
            period,
            region,
        ));
    }
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
    // One widget per group of the access-pattern, key-usage and log-analysis alarms: the
    // metrics their alarms watch (metric-math alarms: each metric they read).
    for (i, (group, title)) in [
        (
            Group::LogBucket,
            "Invocation log bucket: requests refused (4xx) and failed (5xx)",
        ),
        (
            Group::Kms,
            "KMS calls of the account (GenerateDataKey, Decrypt)",
        ),
        (
            Group::LogAnalysis,
            "Invocation log analysis: interventions, sensitive information, errors, denials",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let lines = group_lines(alarms, group);
        if !lines.is_empty() {
            let x = if i % 2 == 0 { 0 } else { HALF };
            let y = (5 + u32::try_from(i / 2).unwrap_or(0)) * HEIGHT;
            widgets.push(widget(x, y, title, lines, "Sum", period, region));
        }
    }
    // Security-group traffic: flow logs publish no metric, so the widget is a Logs Insights
    // query (a "log" widget: `query` starts with `SOURCE '<group>'`, plus `region`, `title`,
    // `view`; "Properties of a Log Widget Object",
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
    if let Some(group) = flow_log_group {
        widgets.push(json!({
            "type": "log",
            "x": HALF, "y": 4 * HEIGHT, "width": HALF, "height": HEIGHT,
            "properties": {
                "title": "VPC endpoint interfaces: rejected traffic (flow logs)",
                "query": format!("SOURCE '{group}' | {}", crate::log_analysis::REJECTED_TRAFFIC),
                "region": region,
                "view": "table",
            }
        }));
    }
    widgets.push(json!({
        "type": "alarm",
        "x": 0, "y": 3 * HEIGHT, "width": 2 * HALF, "height": HEIGHT,
        "properties": {"title": "Alarm status", "alarms": alarm_arns}
    }));
    json!({"widgets": widgets})
}

fn view(name: &str, body: &Value) -> Value {
    json!({"name": name, "body": body})
}

/// The dashboard's body, parsed (a string when it is not JSON); `None` when it does not exist.
pub(crate) async fn observe<A: MonitoringApi>(
    api: &A,
    name: &str,
) -> Result<Option<Value>, MonitoringError> {
    Ok(api
        .get_dashboard(name)
        .await?
        .map(|body| serde_json::from_str(&body).unwrap_or(Value::String(body))))
}

/// The one write a dashboard needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum DashboardOp {
    /// PutDashboard (creates or replaces the body).
    Put,
}

/// The dashboard as the spec wants it.
pub(crate) struct DashboardDesired<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its body.
    pub body: &'a Value,
}

/// The resource kind of the stack's dashboard: created, or put again when the body differs.
pub(crate) struct Dashboard;

impl ResourceKind for Dashboard {
    const KIND: &'static str = KIND;
    type Desired<'a> = DashboardDesired<'a>;
    /// The body as read.
    type Current = Value;
    type Op = DashboardOp;

    fn plan(
        address: &str,
        d: &DashboardDesired<'_>,
        current: Option<&Value>,
    ) -> Planned<DashboardOp> {
        let before = current.map(|b| view(d.name, b));
        let after = view(d.name, d.body);
        let change = Change::converge(address, KIND, before.as_ref(), &after, &[]);
        if change.is_change() {
            Planned::new(change, vec![DashboardOp::Put])
        } else {
            Planned::noop(change)
        }
    }
}

/// The dashboard's plan (see [`Dashboard`]).
pub(crate) fn plan(name: &str, body: &Value, current: Option<&Value>) -> Planned<DashboardOp> {
    Dashboard::plan(ADDRESS, &DashboardDesired { name, body }, current)
}

/// Deleting the existing dashboard.
pub(crate) fn plan_delete(name: &str, current: &Value) -> Change {
    Change::delete(ADDRESS, KIND, &view(name, current))
}

/// Runs the planned write.
pub(crate) async fn execute<A: MonitoringApi>(
    api: &A,
    name: &str,
    body: &Value,
    planned: &Planned<DashboardOp>,
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    if !planned.is_change() {
        return Ok(());
    }
    let step = Step::start(progress, ADDRESS, planned.change.action);
    api.put_dashboard(name, &body.to_string()).await?;
    step.exists(name);
    step.done();
    Ok(())
}

/// Deletes the dashboard (gone already counts as deleted).
pub(crate) async fn delete<A: MonitoringApi>(
    api: &A,
    name: &str,
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    let step = Step::start(progress, ADDRESS, Action::Delete);
    api.delete_dashboard(name).await.or_gone()?;
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests;

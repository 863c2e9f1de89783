//! One catalog entry (a metric, how it is evaluated, its routing) and how it becomes a
//! metric alarm definition.

use super::{
    number, secs, AlarmSpec, CatalogContext, DetectorDef, DetectorSpec, Group, MetricAlarmDef,
    MetricQuery, MetricRef, Topic, ALARM_NAME_MAX,
};
use baseline_core::Config;

/// How an alarm reads its metric.
pub(super) enum Eval {
    /// Static threshold on a standard statistic.
    Stat {
        stat: &'static str,
        comparison: &'static str,
        threshold: f64,
    },
    /// Static threshold on a percentile.
    Percentile { pct: &'static str, threshold: f64 },
    /// Anomaly band of `width` standard deviations, alarm above the upper edge.
    Band {
        stat: &'static str,
        width: f64,
        detector_key: &'static str,
    },
    /// Metric math: `m1` is the entry's metric, `m2` the second one, `e1` the expression the
    /// alarm compares with `>= threshold`.
    Math {
        second: MetricRef,
        expression: &'static str,
        threshold: f64,
        /// Label of the expression (what it measures).
        label: &'static str,
    },
}

/// One alarm of the catalog before it is a definition.
pub(super) struct Entry {
    pub(super) key: String,
    pub(super) group: Group,
    pub(super) topic: Topic,
    /// Whether the comprehensive-health composite watches it: errors, failures and delivery
    /// problems only, never latency, throttles, anomaly bands, interventions or tokens.
    pub(super) health: bool,
    pub(super) metric: MetricRef,
    pub(super) eval: Eval,
    pub(super) treat_missing: &'static str,
    pub(super) what: String,
}

pub(super) fn metric(namespace: &str, name: &str, dims: &[(&str, &str)]) -> MetricRef {
    MetricRef {
        namespace: namespace.to_owned(),
        metric_name: name.to_owned(),
        dimensions: dims
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// A static threshold on the `Sum` of a count.
pub(super) fn sum(comparison: &'static str, threshold: f64) -> Eval {
    Eval::Stat {
        stat: "Sum",
        comparison,
        threshold,
    }
}

/// `Sum > threshold`.
pub(super) fn gt(threshold: f64) -> Eval {
    sum("GreaterThanThreshold", threshold)
}

/// The alarm of one entry with its actions; an anomaly band adds its detector to `detectors`
/// (once per detector key).
pub(super) fn alarm(
    c: &Config,
    cx: &CatalogContext<'_>,
    e: Entry,
    alarm_actions: Vec<String>,
    ok_actions: Vec<String>,
    detectors: &mut Vec<DetectorSpec>,
) -> AlarmSpec {
    let name = cx.naming.name(&e.key, ALARM_NAME_MAX);
    let (period, evaluation_periods, datapoints) = if e.group == Group::Training {
        (
            c.training_alarm_period,
            c.training_alarm_evaluation_periods,
            c.training_alarm_evaluation_periods,
        )
    } else {
        (
            c.alarm_period,
            c.alarm_evaluation_periods,
            c.alarm_datapoints_to_alarm,
        )
    };
    let mut def = MetricAlarmDef {
        name,
        description: String::new(),
        metric: None,
        statistic: None,
        extended_statistic: None,
        period: None,
        metrics: Vec::new(),
        threshold_metric_id: None,
        threshold: None,
        comparison_operator: String::new(),
        evaluation_periods: secs(evaluation_periods),
        datapoints_to_alarm: Some(secs(datapoints)),
        treat_missing_data: e.treat_missing.to_owned(),
        actions_enabled: true,
        alarm_actions,
        ok_actions,
    };
    let mut detector_key = None;
    let rule = match e.eval {
        Eval::Stat {
            stat,
            comparison,
            threshold,
        } => {
            def.metric = Some(e.metric.clone());
            def.statistic = Some(stat.to_owned());
            def.period = Some(secs(period));
            def.threshold = Some(threshold);
            def.comparison_operator = comparison.to_owned();
            let op = if comparison == "GreaterThanOrEqualToThreshold" {
                ">="
            } else {
                ">"
            };
            format!("{stat} over {period} s {op} {}", number(threshold))
        }
        Eval::Percentile { pct, threshold } => {
            def.metric = Some(e.metric.clone());
            def.extended_statistic = Some(pct.to_owned());
            def.period = Some(secs(period));
            def.threshold = Some(threshold);
            def.comparison_operator = "GreaterThanThreshold".to_owned();
            format!("{pct} over {period} s > {}", number(threshold))
        }
        Eval::Math {
            second,
            expression,
            threshold,
            label,
        } => {
            let query = |id: &str, m: &MetricRef| MetricQuery {
                id: id.into(),
                metric: Some(m.clone()),
                period: Some(secs(period)),
                stat: Some("Sum".into()),
                expression: None,
                label: None,
                return_data: false,
            };
            def.metrics = vec![
                query("m1", &e.metric),
                query("m2", &second),
                MetricQuery {
                    id: "e1".into(),
                    metric: None,
                    period: None,
                    stat: None,
                    expression: Some(expression.to_owned()),
                    label: Some(label.into()),
                    return_data: true,
                },
            ];
            def.threshold = Some(threshold);
            def.comparison_operator = "GreaterThanOrEqualToThreshold".to_owned();
            format!(
                "{expression} with m2 = {}/{} over {period} s >= {}",
                second.namespace,
                second.metric_name,
                number(threshold)
            )
        }
        Eval::Band {
            stat,
            width,
            detector_key: dk,
        } => {
            def.metrics = vec![
                MetricQuery {
                    id: "m1".into(),
                    metric: Some(e.metric.clone()),
                    period: Some(secs(c.anomaly_period)),
                    stat: Some(stat.to_owned()),
                    expression: None,
                    label: None,
                    return_data: true,
                },
                MetricQuery {
                    id: "ad1".into(),
                    metric: None,
                    period: None,
                    stat: None,
                    expression: Some(format!("ANOMALY_DETECTION_BAND(m1, {})", number(width))),
                    label: Some(format!("{} (expected)", e.metric.metric_name)),
                    return_data: true,
                },
            ];
            def.threshold_metric_id = Some("ad1".into());
            def.comparison_operator = "GreaterThanUpperThreshold".to_owned();
            def.evaluation_periods = secs(c.anomaly_evaluation_periods);
            def.datapoints_to_alarm = Some(secs(c.anomaly_evaluation_periods));
            detector_key = Some(dk.to_owned());
            if !detectors.iter().any(|d| d.key == dk) {
                detectors.push(DetectorSpec {
                    key: dk.to_owned(),
                    def: DetectorDef {
                        metric: e.metric.clone(),
                        stat: stat.to_owned(),
                    },
                });
            }
            format!(
                "{stat} over {} s above a band of {} standard deviations",
                c.anomaly_period,
                number(width)
            )
        }
    };
    def.description = format!(
        "{}: {}/{} {rule} ({}). Managed by bedrock-baseline, stack {}.",
        e.what,
        e.metric.namespace,
        e.metric.metric_name,
        e.topic.as_str(),
        cx.naming.stack()
    );
    AlarmSpec {
        key: e.key.clone(),
        group: e.group,
        topic: e.topic,
        in_health: e.health,
        def,
        detector_key,
    }
}

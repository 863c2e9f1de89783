//! CloudWatch Logs: the metric filters on the invocation log group and the saved Logs
//! Insights queries.

use super::by_next_token;
use crate::log_analysis::{MetricFilterDef, ObservedQuery, QueryDef};
use baseline_core::aws::sdk_err;
use baseline_core::aws::{ApiError, ServiceErrorKind};

const SERVICE: &str = "logs";

pub(super) async fn describe_metric_filters(
    client: &aws_sdk_cloudwatchlogs::Client,
    log_group: &str,
    prefix: &str,
) -> Result<Vec<MetricFilterDef>, ApiError> {
    let mut out = Vec::new();
    let mut pages = client
        .describe_metric_filters()
        .log_group_name(log_group)
        .filter_name_prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = match page.map_err(sdk_err(SERVICE, "DescribeMetricFilters", log_group)) {
            Ok(p) => p,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        for f in page.metric_filters() {
            let Some(t) = f.metric_transformations().first() else {
                continue;
            };
            out.push(MetricFilterDef {
                name: f.filter_name().unwrap_or_default().to_owned(),
                log_group: f.log_group_name().unwrap_or(log_group).to_owned(),
                pattern: f.filter_pattern().unwrap_or_default().to_owned(),
                metric_name: t.metric_name().to_owned(),
                namespace: t.metric_namespace().to_owned(),
                value: t.metric_value().to_owned(),
            });
        }
    }
    Ok(out)
}

pub(super) async fn put_metric_filter(
    client: &aws_sdk_cloudwatchlogs::Client,
    def: &MetricFilterDef,
) -> Result<(), ApiError> {
    let t = aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
        .metric_name(&def.metric_name)
        .metric_namespace(&def.namespace)
        .metric_value(&def.value)
        .build()
        .map_err(|e| {
            ApiError::synthetic(
                "logs",
                "PutMetricFilter",
                &def.name,
                ServiceErrorKind::Validation,
                &format!("request could not be built: {e}"),
            )
        })?;
    client
        .put_metric_filter()
        .log_group_name(&def.log_group)
        .filter_name(&def.name)
        .filter_pattern(&def.pattern)
        .metric_transformations(t)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "PutMetricFilter", &def.name))?;
    Ok(())
}

pub(super) async fn delete_metric_filter(
    client: &aws_sdk_cloudwatchlogs::Client,
    log_group: &str,
    name: &str,
) -> Result<(), ApiError> {
    client
        .delete_metric_filter()
        .log_group_name(log_group)
        .filter_name(name)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "DeleteMetricFilter", name))?;
    Ok(())
}

pub(super) async fn describe_query_definitions(
    client: &aws_sdk_cloudwatchlogs::Client,
    prefix: &str,
) -> Result<Vec<ObservedQuery>, ApiError> {
    // DescribeQueryDefinitions pages by nextToken (no SDK paginator for it).
    by_next_token(|token| async move {
        let page = client
            .describe_query_definitions()
            .query_definition_name_prefix(prefix)
            .set_next_token(token)
            .send()
            .await
            .map_err(sdk_err(SERVICE, "DescribeQueryDefinitions", prefix))?;
        let queries = page.query_definitions().iter().map(|q| ObservedQuery {
            id: q.query_definition_id().unwrap_or_default().to_owned(),
            def: QueryDef {
                name: q.name().unwrap_or_default().to_owned(),
                log_groups: q.log_group_names().to_vec(),
                query: q.query_string().unwrap_or_default().to_owned(),
            },
        });
        Ok((queries.collect(), page.next_token().map(str::to_owned)))
    })
    .await
}

pub(super) async fn put_query_definition(
    client: &aws_sdk_cloudwatchlogs::Client,
    id: Option<String>,
    def: &QueryDef,
) -> Result<String, ApiError> {
    let out = client
        .put_query_definition()
        .name(&def.name)
        .query_string(&def.query)
        .set_log_group_names(Some(def.log_groups.clone()))
        .set_query_definition_id(id)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "PutQueryDefinition", &def.name))?;
    Ok(out.query_definition_id().unwrap_or_default().to_owned())
}

pub(super) async fn delete_query_definition(
    client: &aws_sdk_cloudwatchlogs::Client,
    id: &str,
) -> Result<(), ApiError> {
    client
        .delete_query_definition()
        .query_definition_id(id)
        .send()
        .await
        .map_err(sdk_err(SERVICE, "DeleteQueryDefinition", id))?;
    Ok(())
}

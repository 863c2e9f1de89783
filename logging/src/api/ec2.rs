//! The EC2 operations of [`super::LoggingApi`] over the SDK client: the stack's interface
//! endpoints and the VPC flow logs on their network interfaces.

use super::call::EC2;
use super::{EndpointInterfaces, FlowLogInfo, NewFlowLog};
use aws_sdk_ec2::Client;
use baseline_core::aws::{ApiError, ServiceErrorKind};

/// The filter on the `baseline:stack` tag that finds the stack's EC2 resources.
fn stack_filter(stack: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name(format!("tag:{}", baseline_core::naming::STACK_TAG))
        .values(stack)
        .build()
}

/// The EC2 client, or the error of `op` without one (an API built by
/// `SdkLoggingApi::from_clients` without `with_ec2`).
fn client<'a>(ec2: Option<&'a Client>, op: &'static str) -> Result<&'a Client, ApiError> {
    ec2.ok_or_else(|| {
        ApiError::synthetic(
            "ec2",
            op,
            "",
            ServiceErrorKind::Other,
            "no EC2 client: build the API with SdkLoggingApi::new or with_ec2",
        )
    })
}

pub(super) async fn stack_endpoint_interfaces(
    ec2: Option<&Client>,
    stack: &str,
) -> Result<Vec<EndpointInterfaces>, ApiError> {
    let pages = client(ec2, "DescribeVpcEndpoints")?
        .describe_vpc_endpoints()
        .filters(stack_filter(stack))
        .into_paginator()
        .send();
    let pages = EC2
        .call("DescribeVpcEndpoints", stack, pages.try_collect())
        .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.vpc_endpoints())
        .map(|e| EndpointInterfaces {
            endpoint_id: e.vpc_endpoint_id().unwrap_or_default().to_owned(),
            endpoint_type: e
                .vpc_endpoint_type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            state: e
                .state()
                .map(|s| s.as_str().to_ascii_lowercase())
                .unwrap_or_default(),
            network_interface_ids: e.network_interface_ids().to_vec(),
        })
        .collect())
}

pub(super) async fn stack_flow_logs(
    ec2: Option<&Client>,
    stack: &str,
) -> Result<Vec<FlowLogInfo>, ApiError> {
    let pages = client(ec2, "DescribeFlowLogs")?
        .describe_flow_logs()
        .filter(stack_filter(stack))
        .into_paginator()
        .send();
    let pages = EC2
        .call("DescribeFlowLogs", stack, pages.try_collect())
        .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.flow_logs())
        .map(|f| FlowLogInfo {
            flow_log_id: f.flow_log_id().unwrap_or_default().to_owned(),
            resource_id: f.resource_id().unwrap_or_default().to_owned(),
            traffic_type: f
                .traffic_type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            log_destination_type: f
                .log_destination_type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            log_group_name: f.log_group_name().map(str::to_owned),
            deliver_logs_permission_arn: f.deliver_logs_permission_arn().map(str::to_owned),
            tags: f
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect(),
        })
        .collect())
}

/// The error of one item of a CreateFlowLogs or DeleteFlowLogs answer's `Unsuccessful` list
/// (those calls answer 200 and list per-resource failures).
fn unsuccessful(
    op: &'static str,
    target: &str,
    item: &aws_sdk_ec2::types::UnsuccessfulItem,
) -> ApiError {
    let code = item.error().and_then(|e| e.code()).unwrap_or_default();
    let message = item
        .error()
        .and_then(|e| e.message())
        .unwrap_or("no message");
    ApiError::synthetic(
        "ec2",
        op,
        target,
        flow_log_error_kind(code),
        &format!("{code}: {message}"),
    )
}

pub(super) async fn create_flow_log(
    ec2: Option<&Client>,
    r: &NewFlowLog,
) -> Result<Option<String>, ApiError> {
    use aws_sdk_ec2::types::{
        FlowLogsResourceType, LogDestinationType, ResourceType, Tag, TagSpecification, TrafficType,
    };
    let op = "CreateFlowLogs";
    let ec2 = client(ec2, op)?;
    let tags = TagSpecification::builder()
        .resource_type(ResourceType::VpcFlowLog)
        .set_tags(Some(
            r.tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build();
    let req = ec2
        .create_flow_logs()
        .resource_type(FlowLogsResourceType::NetworkInterface)
        .resource_ids(&r.resource_id)
        .traffic_type(TrafficType::from(r.traffic_type.as_str()))
        .log_destination_type(LogDestinationType::CloudWatchLogs)
        .log_group_name(&r.log_group_name)
        .deliver_logs_permission_arn(&r.deliver_logs_permission_arn)
        .tag_specifications(tags)
        .client_token(&r.client_token)
        .send();
    let out = EC2.call(op, &r.resource_id, req).await?;
    if let Some(item) = out.unsuccessful().first() {
        if item.error().and_then(|e| e.code()) == Some("FlowLogAlreadyExists") {
            return Ok(None);
        }
        return Err(unsuccessful(op, &r.resource_id, item));
    }
    Ok(out.flow_log_ids().first().cloned())
}

pub(super) async fn delete_flow_logs(ec2: Option<&Client>, ids: &[String]) -> Result<(), ApiError> {
    let op = "DeleteFlowLogs";
    if ids.is_empty() {
        return Ok(());
    }
    let ec2 = client(ec2, op)?;
    let target = ids.join(",");
    let req = ec2
        .delete_flow_logs()
        .set_flow_log_ids(Some(ids.to_vec()))
        .send();
    let out = EC2.call(op, &target, req).await?;
    // A flow log that is gone is done.
    let failed = out
        .unsuccessful()
        .iter()
        .map(|item| unsuccessful(op, item.resource_id().unwrap_or(&target), item))
        .find(|e| !e.is_not_found());
    failed.map_or(Ok(()), Err)
}

/// The class of a flow-log error code. `FlowLogAlreadyExists` (an identical flow log on the
/// resource, what a retried create meets) is AlreadyExists.
pub(crate) fn flow_log_error_kind(code: &str) -> ServiceErrorKind {
    if code == "FlowLogAlreadyExists" {
        ServiceErrorKind::AlreadyExists
    } else {
        baseline_core::aws::classify_code(code)
    }
}

//! Optional VPC flow logs of the stack's interface-endpoint network interfaces
//! (`enable_vpc_flow_logs`): the encrypted log group `/aws/bedrock/<prefix>/vpc-flow-logs`, the
//! delivery role `<prefix>-vpc-flow-logs` and one flow log per network interface.
//!
//! - The role: "IAM role for publishing flow logs to CloudWatch Logs" (Amazon VPC user guide,
//!   <https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html>) trusts
//!   `vpc-flow-logs.amazonaws.com` and, against the confused deputy, conditions the trust on
//!   `aws:SourceAccount` and `aws:SourceArn` (`arn:<p>:ec2:<region>:<account>:vpc-flow-log/*`).
//!   The page's permission policy lists `logs:CreateLogGroup`, `CreateLogStream`,
//!   `PutLogEvents`, `DescribeLogGroups`, `DescribeLogStreams` on `*`; the stack creates the log
//!   group itself, so `CreateLogGroup` is left out, and the rest is limited to that one group.
//! - The flow logs: CreateFlowLogs with `ResourceType = NetworkInterface` on the
//!   `NetworkInterfaceIds` of the stack's interface endpoints (DescribeVpcEndpoints by stack
//!   tag), to CloudWatch Logs with that role, tagged with the stack tags
//!   (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html>), with a
//!   client token. A flow log cannot be changed after creation, so a changed traffic type, log
//!   group or role is a delete and a create. Found again by the stack tag (DescribeFlowLogs).
//! - Destroy deletes the flow logs and the role; the log group is audit data and is kept unless
//!   `--delete-audit-data` (the module's destroy handles it with the invocation log group).

use crate::api::{EndpointInterfaces, FlowLogInfo, LoggingApi, NewFlowLog};
use crate::log_group::{self, LogGroupOp, LogGroupSpec, ObservedLogGroup};
use crate::role::{self, ObservedRole, RoleSpec};
use crate::LoggingError;
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::resource::{Planned, Step};
use baseline_core::{Action, AwsContext, Change, Config, Progress};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Address of the flow-log group.
pub(crate) const FLOW_LOG_GROUP: &str = "logging.flow_log_group";
/// Address of the delivery role.
pub(crate) const FLOW_LOGS_ROLE: &str = "logging.flow_logs_role";
/// Address of its inline policy.
pub(crate) const FLOW_LOGS_ROLE_POLICY: &str = "logging.flow_logs_role_policy";

/// Address of the flow log of one network interface.
pub(crate) fn flow_log_address(eni: &str) -> String {
    format!("logging.flow_log[\"{eni}\"]")
}

/// Desired flow logs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlowLogsSpec {
    /// `enable_vpc_flow_logs`.
    pub(crate) enabled: bool,
    /// `/aws/bedrock/<prefix>/vpc-flow-logs` (always set, so destroy finds it).
    pub(crate) log_group: LogGroupSpec,
    /// `<prefix>-vpc-flow-logs`.
    pub(crate) role: RoleSpec,
    /// `vpc_flow_logs_traffic_type`.
    pub(crate) traffic_type: String,
    /// The endpoint ids network reports (`network.endpoint_ids`); `None` when network's outputs
    /// are not known, then every interface endpoint with the stack tag counts.
    pub(crate) endpoint_ids: Option<BTreeSet<String>>,
    /// Stack tags.
    pub(crate) tags: BTreeMap<String, String>,
    /// The stack (its tag finds endpoints and flow logs).
    pub(crate) stack: String,
}

/// What exists of the flow logs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObservedFlowLogs {
    /// The flow-log group.
    pub log_group: Option<ObservedLogGroup>,
    /// The delivery role.
    pub role: Option<ObservedRole>,
    /// Network interfaces of the stack's interface endpoints: interface id to endpoint id.
    pub interfaces: BTreeMap<String, String>,
    /// Flow logs with the stack tag.
    pub flow_logs: Vec<FlowLogInfo>,
}

/// Trust: only the flow-logs service, only for flow logs of this account and region.
pub fn flow_logs_trust_policy(partition: &str, account_id: &str, region: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow("VpcFlowLogsAssume")
        .service_principal("vpc-flow-logs.amazonaws.com")
        .actions(["sts:AssumeRole"])
        .condition("StringEquals", "aws:SourceAccount", [account_id])
        .condition(
            "ArnLike",
            "aws:SourceArn",
            [format!(
                "arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"
            )],
        )])
}

/// The delivery permissions, on the flow-log group and its streams only.
pub fn flow_logs_role_policy(log_group_arn: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow("DeliverFlowLogs")
        .actions([
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
        ])
        .resources([
            log_group_arn.to_owned(),
            format!("{log_group_arn}:log-stream:*"),
        ])])
}

/// The network interfaces to log: those of the stack's interface endpoints that network still
/// reports (and that are not being deleted).
pub(crate) fn interfaces(
    endpoints: &[EndpointInterfaces],
    wanted: Option<&BTreeSet<String>>,
) -> BTreeMap<String, String> {
    endpoints
        .iter()
        .filter(|e| e.endpoint_type.eq_ignore_ascii_case("interface"))
        .filter(|e| !matches!(e.state.as_str(), "deleting" | "deleted" | "failed"))
        .filter(|e| wanted.is_none_or(|w| w.contains(&e.endpoint_id)))
        .flat_map(|e| {
            e.network_interface_ids
                .iter()
                .map(|eni| (eni.clone(), e.endpoint_id.clone()))
        })
        .collect()
}

/// The CreateFlowLogs request of the flow log on `eni`, with its client token: a hash of the
/// stack and of every parameter the request sends, so a create retried after a lost answer
/// returns the first flow log, and a different request on the same interface (new traffic
/// type, role, tags) gets a new token. EC2 answers IdempotentParameterMismatch to a token
/// reused with other parameters ("Ensuring idempotency in Amazon EC2 API requests":
/// <https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html>); a token without
/// the tags failed the re-creation of a flow log deleted since, once the stack's tags changed.
pub(crate) fn new_flow_log(spec: &FlowLogsSpec, eni: &str) -> NewFlowLog {
    let tags: Vec<String> = spec.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base = [
        spec.stack.as_str(),
        eni,
        &spec.traffic_type,
        &spec.log_group.name,
        &spec.role.arn,
        &tags.join(","),
    ]
    .join("\n");
    let hash = base.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    NewFlowLog {
        resource_id: eni.to_owned(),
        traffic_type: spec.traffic_type.clone(),
        log_group_name: spec.log_group.name.clone(),
        deliver_logs_permission_arn: spec.role.arn.clone(),
        tags: spec.tags.clone(),
        client_token: format!("bb-fl-{hash:016x}"),
    }
}

fn desired_flow_log_view(spec: &FlowLogsSpec, eni: &str, endpoint: &str) -> Value {
    json!({
        "resource_id": eni,
        "endpoint": endpoint,
        "resource_type": "NetworkInterface",
        "traffic_type": spec.traffic_type,
        "log_group_name": spec.log_group.name,
        "deliver_logs_permission_arn": spec.role.arn,
        "tags": spec.tags,
    })
}

fn observed_flow_log_view(f: &FlowLogInfo, endpoint: &str) -> Value {
    json!({
        "resource_id": f.resource_id,
        "endpoint": endpoint,
        "resource_type": "NetworkInterface",
        "traffic_type": f.traffic_type,
        "log_group_name": f.log_group_name,
        "deliver_logs_permission_arn": f.deliver_logs_permission_arn,
        "tags": f.tags,
    })
}

/// True when an existing flow log is the one the spec wants (tags aside: they cannot make a
/// flow log wrong, and the stack tag found it).
fn matches(spec: &FlowLogsSpec, f: &FlowLogInfo) -> bool {
    f.traffic_type == spec.traffic_type
        && f.log_destination_type == "cloud-watch-logs"
        && f.log_group_name.as_deref() == Some(spec.log_group.name.as_str())
        && f.deliver_logs_permission_arn.as_deref() == Some(spec.role.arn.as_str())
}

/// One write on a flow log, as its change carries it; apply runs them from [`FlowLogWork`]
/// (one DeleteFlowLogs for all the deletes, then the creates).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum FlowLogOp {
    /// CreateFlowLogs on the interface, with a client token from stack and interface.
    Create {
        /// The network interface.
        eni: String,
    },
    /// DeleteFlowLogs (a flow log cannot be changed, only replaced).
    Delete {
        /// The flow log.
        flow_log_id: String,
    },
}

/// What apply does to flow logs: ids to delete, interfaces to create a flow log on.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct FlowLogWork {
    pub(crate) delete: Vec<(String, String)>,
    pub(crate) create: Vec<String>,
}

/// Flow logs to delete (not wanted, wrong settings, duplicates) and interfaces without one.
pub(crate) fn work(spec: &FlowLogsSpec, observed: &ObservedFlowLogs) -> FlowLogWork {
    let mut w = FlowLogWork::default();
    let wanted: &BTreeMap<String, String> = if spec.enabled {
        &observed.interfaces
    } else {
        &BTreeMap::new()
    };
    let mut covered = BTreeSet::new();
    for f in &observed.flow_logs {
        let keep = wanted.contains_key(&f.resource_id)
            && matches(spec, f)
            && covered.insert(f.resource_id.clone());
        if !keep {
            w.delete
                .push((f.flow_log_id.clone(), f.resource_id.clone()));
        }
    }
    w.create = wanted
        .keys()
        .filter(|eni| !covered.contains(*eni))
        .cloned()
        .collect();
    w
}

/// The flow logs of the stack, their log group and role, from the config.
pub(crate) fn spec(
    ctx: &AwsContext,
    config: &Config,
    endpoint_ids: Option<&BTreeMap<String, String>>,
    tags: &BTreeMap<String, String>,
) -> FlowLogsSpec {
    let naming = ctx.naming();
    let (p, acct, region) = (ctx.partition(), ctx.account_id(), ctx.region());
    let group = naming.log_group("vpc-flow-logs");
    let group_arn = ctx.arn("logs", &format!("log-group:{group}"));
    let role_name = naming.name("vpc-flow-logs", 64);
    let enabled = config.enable_vpc_flow_logs;
    FlowLogsSpec {
        enabled,
        log_group: LogGroupSpec {
            name: group,
            arn: group_arn.clone(),
            enabled,
            retention_in_days: i32::try_from(config.vpc_flow_logs_retention_days)
                .unwrap_or(i32::MAX),
            tags: tags.clone(),
        },
        role: RoleSpec {
            arn: ctx.iam_arn(&format!("role/{role_name}")),
            name: role_name,
            enabled,
            description: format!(
                "bedrock-baseline {}: lets VPC Flow Logs deliver to the stack's flow-log group",
                naming.stack()
            ),
            trust_policy: flow_logs_trust_policy(p, acct, region),
            policy: flow_logs_role_policy(&group_arn),
            permissions_boundary_arn: role::boundary(config),
            tags: tags.clone(),
        },
        traffic_type: config.vpc_flow_logs_traffic_type.as_str().to_owned(),
        endpoint_ids: endpoint_ids.map(|m| m.values().cloned().collect()),
        tags: tags.clone(),
        stack: naming.stack().to_owned(),
    }
}

/// The flow logs, their log group and role. EC2 is asked only when flow logs are on or
/// their role still exists (left from when they were on), so stacks without them make no
/// EC2 call.
pub(crate) async fn observe(
    api: &dyn LoggingApi,
    spec: &FlowLogsSpec,
) -> Result<ObservedFlowLogs, LoggingError> {
    let (log_group, role) = futures::try_join!(
        log_group::observe(api, &spec.log_group, &spec.stack),
        role::observe(api, &spec.role, &spec.stack),
    )?;
    if !spec.enabled && role.is_none() {
        return Ok(ObservedFlowLogs {
            log_group,
            ..ObservedFlowLogs::default()
        });
    }
    let (endpoints, found) = futures::try_join!(
        api.stack_endpoint_interfaces(&spec.stack),
        api.stack_flow_logs(&spec.stack),
    )?;
    Ok(ObservedFlowLogs {
        log_group,
        role,
        interfaces: interfaces(&endpoints, spec.endpoint_ids.as_ref()),
        flow_logs: found,
    })
}

/// The plan of the flow logs, their group and role.
/// The flow-log group's plan (diff shows it, apply runs it and announces its creation).
pub(crate) fn log_group_plan(
    spec: &FlowLogsSpec,
    observed: &ObservedFlowLogs,
    kms_key_arn: Option<&str>,
) -> Option<Planned<LogGroupOp>> {
    log_group::plan(
        FLOW_LOG_GROUP,
        &spec.log_group,
        observed.log_group.as_ref(),
        kms_key_arn,
        "enable_vpc_flow_logs is off: the flow-log group is no longer managed and is kept (audit data)",
    )
}

pub(crate) fn diff(
    spec: &FlowLogsSpec,
    observed: &ObservedFlowLogs,
    kms_key_arn: Option<&str>,
) -> Vec<Change> {
    let mut changes: Vec<Change> = log_group_plan(spec, observed, kms_key_arn)
        .map(Planned::shown)
        .into_iter()
        .collect();
    changes.extend(role::changes(
        &spec.role,
        observed.role.as_ref(),
        (FLOW_LOGS_ROLE, FLOW_LOGS_ROLE_POLICY),
    ));
    let w = work(spec, observed);
    let endpoint_of = |eni: &str| observed.interfaces.get(eni).cloned().unwrap_or_default();
    for (id, eni) in &w.delete {
        if let Some(f) = observed.flow_logs.iter().find(|f| &f.flow_log_id == id) {
            let change = Change::delete(
                flow_log_address(eni),
                "vpc_flow_log",
                &observed_flow_log_view(f, &endpoint_of(eni)),
            )
            .with_note(format!("{id}: a flow log cannot be changed, only replaced"));
            let op = FlowLogOp::Delete {
                flow_log_id: id.clone(),
            };
            changes.push(Planned::new(change, vec![op]).shown());
        }
    }
    for eni in &w.create {
        let change = Change::create(
            flow_log_address(eni),
            "vpc_flow_log",
            &desired_flow_log_view(spec, eni, &endpoint_of(eni)),
        );
        let op = FlowLogOp::Create { eni: eni.clone() };
        changes.push(Planned::new(change, vec![op]).shown());
    }
    for f in observed
        .flow_logs
        .iter()
        .filter(|f| !w.delete.iter().any(|(id, _)| id == &f.flow_log_id))
    {
        let endpoint = endpoint_of(&f.resource_id);
        changes.push(Change::compare(
            flow_log_address(&f.resource_id),
            "vpc_flow_log",
            &observed_flow_log_view(f, &endpoint),
            &observed_flow_log_view(f, &endpoint),
            &[],
        ));
    }
    if spec.enabled && observed.interfaces.is_empty() {
        changes.push(Change::noop("logging.flow_log", "vpc_flow_log").with_note(
            "no interface endpoint of the stack exists yet: flow logs are created for their network interfaces once network has made them",
        ));
    }
    changes
}

/// Converges group, role and flow logs (the flow logs after the two they name).
pub(crate) async fn apply(
    api: &dyn LoggingApi,
    spec: &FlowLogsSpec,
    observed: &ObservedFlowLogs,
    kms_key_arn: Option<&str>,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    if spec.enabled {
        let planned = log_group_plan(spec, observed, kms_key_arn);
        let key = match kms_key_arn {
            Some(key) => key,
            None if !planned.as_ref().is_some_and(Planned::is_change) => "",
            None => return Err(LoggingError::MissingKmsKey),
        };
        log_group::converge(
            api,
            &spec.log_group,
            observed.log_group.as_ref(),
            (key, FLOW_LOG_GROUP, planned.as_ref()),
            progress,
        )
        .await?;
        role::converge(
            api,
            &spec.role,
            observed.role.as_ref(),
            (FLOW_LOGS_ROLE, FLOW_LOGS_ROLE_POLICY),
            progress,
        )
        .await?;
    }
    let w = work(spec, observed);
    delete_flow_logs(api, &w.delete, progress).await?;
    for eni in &w.create {
        let step = Step::start(progress, flow_log_address(eni), Action::Create);
        let request = new_flow_log(spec, eni);
        // An identical flow log that exists already (a create whose answer was lost, without
        // the client token's protection) is the one wanted: done.
        let id = match api.create_flow_log(&request).await {
            Ok(id) => id,
            Err(e) if e.is_already_exists() => None,
            Err(e) => return Err(e.into()),
        };
        step.exists(id.unwrap_or_else(|| eni.clone()));
        step.done();
    }
    // The role goes after the flow logs that used it.
    if let (false, Some(found)) = (spec.enabled, &observed.role) {
        destroy_role(api, spec, found, progress).await?;
    }
    Ok(())
}

async fn delete_flow_logs(
    api: &dyn LoggingApi,
    delete: &[(String, String)],
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    if delete.is_empty() {
        return Ok(());
    }
    // One DeleteFlowLogs call removes them all.
    let steps: Vec<Step<'_>> = delete
        .iter()
        .map(|(_, eni)| Step::start(progress, flow_log_address(eni), Action::Delete))
        .collect();
    let ids: Vec<String> = delete.iter().map(|(id, _)| id.clone()).collect();
    match api.delete_flow_logs(&ids).await {
        Err(e) if !e.is_not_found() => return Err(e.into()),
        _ => {}
    }
    for step in steps {
        step.done();
    }
    Ok(())
}

async fn destroy_role(
    api: &dyn LoggingApi,
    spec: &FlowLogsSpec,
    found: &ObservedRole,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    role::remove(
        api,
        &spec.role.name,
        found,
        (FLOW_LOGS_ROLE, FLOW_LOGS_ROLE_POLICY),
        progress,
    )
    .await
}

/// The destroy plan of the flow logs and the role (the log group is planned with the other
/// audit data by the module).
pub(crate) fn destroy_plan(spec: &FlowLogsSpec, observed: &ObservedFlowLogs) -> Vec<Change> {
    let mut changes: Vec<Change> = observed
        .flow_logs
        .iter()
        .map(|f| {
            Change::delete(
                flow_log_address(&f.resource_id),
                "vpc_flow_log",
                &observed_flow_log_view(
                    f,
                    &observed
                        .interfaces
                        .get(&f.resource_id)
                        .cloned()
                        .unwrap_or_default(),
                ),
            )
        })
        .collect();
    if let Some(found) = &observed.role {
        changes.extend(role::deletes(
            &spec.role,
            found,
            (FLOW_LOGS_ROLE, FLOW_LOGS_ROLE_POLICY),
        ));
    }
    changes
}

/// Deletes every flow log of the stack, then the role.
pub(crate) async fn destroy(
    api: &dyn LoggingApi,
    spec: &FlowLogsSpec,
    observed: &ObservedFlowLogs,
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let all: Vec<(String, String)> = observed
        .flow_logs
        .iter()
        .map(|f| (f.flow_log_id.clone(), f.resource_id.clone()))
        .collect();
    delete_flow_logs(api, &all, progress).await?;
    if let Some(found) = &observed.role {
        destroy_role(api, spec, found, progress).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

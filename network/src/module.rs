//! The reconcile steps of the network module: spec (pure), observe (live checks, then the groups,
//! rules and endpoints of the stack), diff (pure), apply (groups, then endpoints concurrently,
//! waiting until `available`), destroy (endpoints first, then the groups).

use crate::api::{Ec2Api, EndpointInfo, SdkEc2Api, SecurityGroupInfo, SecurityGroupRule};
use crate::checks::{check, CheckInput, CheckReport};
use crate::endpoints::{
    client_token, create_request, desired_view, endpoint_address, modify_request,
    needs_replacement, observed_view, tag_changes, EndpointSpec, Placement, ENDPOINT_TAG,
    REPLACE_ON,
};
use crate::groups::{
    group_address, group_spec, group_view, observed_group_view, plan_rules, GroupRole, GroupSpec,
};
use crate::lookup::{AccountLookup, SdkAccountLookup};
use crate::policies::{endpoint_policy, PolicyContext};
use crate::private_path::{not_offered_note, subnet_route_tables, MANTLE, PRIVATE_ONLY_SERVICES};
use crate::NetworkError;
use async_trait::async_trait;
use baseline_core::aws::ServiceErrorKind;
use baseline_core::config::ConfigIssue;
use baseline_core::ids::{SecurityGroupId, VpcEndpointId};
use baseline_core::naming::{MODULE_TAG, STACK_TAG};
use baseline_core::policy::PolicyDocument;
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::{
    Action, AwsContext, Change, Config, DestroyOptions, Module, Progress, ProgressEvent,
};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const MODULE: &str = "network";
/// Endpoints created or modified at the same time (EC2's mutating-call budget is shared by the
/// account; five keeps the Bedrock endpoints, `bedrock-mantle` included, fully parallel without
/// bursting).
const MAX_CONCURRENT_ENDPOINTS: usize = 5;
/// CreateVpcEndpoint attempts with a fresh token when AWS returns an endpoint deleted since.
const TOKEN_ATTEMPTS: u32 = 3;
const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(15);

/// Desired network resources.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// Stack name (value of the stack tag).
    pub stack: String,
    /// VPC, subnets, route tables, private DNS.
    pub placement: Placement,
    /// `vpc_cidr`.
    pub vpc_cidr: IpNet,
    /// The three groups, in [`GroupRole::ALL`] order.
    pub groups: Vec<GroupSpec>,
    /// The enabled endpoints.
    pub endpoints: Vec<EndpointSpec>,
    /// `endpoint_wait_timeout_seconds`.
    pub wait_timeout: Duration,
    /// What the generated endpoint policies are built from; observe fills in the role's ARN
    /// and the inference profiles' models, diff and apply rebuild the policies with them.
    pub policy_ctx: PolicyContext,
}

/// A security group that exists, with its rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedGroup {
    /// DescribeSecurityGroups.
    pub info: SecurityGroupInfo,
    /// DescribeSecurityGroupRules (both directions).
    pub rules: Vec<SecurityGroupRule>,
}

/// What exists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkObserved {
    /// The live checks' verdict (warnings, availability zones).
    pub checks: CheckReport,
    /// The stack's groups in the configured VPC, by role.
    pub groups: BTreeMap<GroupRole, ObservedGroup>,
    /// Groups tagged with the stack that are not one of the three (e.g. left in a previous VPC).
    pub stray_groups: Vec<SecurityGroupInfo>,
    /// The stack's live endpoints, by service.
    pub endpoints: BTreeMap<String, EndpointInfo>,
    /// Endpoints tagged with the stack that no spec wants (disabled services, duplicates).
    pub stray_endpoints: Vec<EndpointInfo>,
    /// `bedrock_role_name`'s ARN from `GetRole` (with its path).
    pub role_arn: Option<String>,
    /// The destination-region model ARNs of the inference profiles in `foundation_models`.
    pub profile_model_arns: Vec<String>,
    /// The service names of the `only_if_offered` endpoints that the region offers
    /// (DescribeVpcEndpointServices); `None` when not read (destroy).
    pub offered_services: Option<Vec<String>>,
    /// The route tables of `subnet_ids` (read only for `route_tables_from_subnets`).
    pub subnet_route_table_ids: Vec<String>,
}

/// Security group ids by role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroupIds {
    /// Management endpoints' group.
    pub management: SecurityGroupId,
    /// Runtime endpoints' group.
    pub runtime: SecurityGroupId,
    /// Extra services' group.
    pub general: SecurityGroupId,
}

/// Where the endpoints are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSummary {
    /// The VPC.
    pub vpc_id: String,
    /// The endpoint subnets.
    pub subnet_ids: Vec<String>,
    /// Their availability zones.
    pub availability_zones: Vec<String>,
    /// Whether private DNS is on.
    pub private_dns: bool,
}

/// What downstream modules and users get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkOutputs {
    /// Group ids (`management`, `runtime`, `general`).
    pub security_group_ids: SecurityGroupIds,
    /// Endpoint ids by service (`bedrock-runtime` is read by guardrails for `aws:SourceVpce`).
    pub endpoint_ids: BTreeMap<String, VpcEndpointId>,
    /// DNS names by service.
    pub dns_entries: BTreeMap<String, Vec<String>>,
    /// VPC, subnets, zones, private DNS.
    pub summary: NetworkSummary,
}

/// The network module.
pub struct NetworkModule<A = SdkEc2Api> {
    api: A,
    ctx: AwsContext,
    lookup: Option<Box<dyn AccountLookup>>,
}

impl NetworkModule<SdkEc2Api> {
    /// The module over the SDK clients built from `ctx`.
    pub fn new(ctx: &AwsContext) -> Self {
        Self {
            api: SdkEc2Api::new(ctx),
            ctx: ctx.clone(),
            lookup: Some(Box::new(SdkAccountLookup::new(ctx))),
        }
    }
}

/// The spec with its generated endpoint policies rebuilt from what observe read (the role's
/// ARN with its path, the inference profiles' destination models). Custom policies stay.
fn resolved(spec: &NetworkSpec, observed: &NetworkObserved) -> NetworkSpec {
    let mut spec = spec.clone();
    if observed.role_arn.is_some() {
        spec.policy_ctx.role_arn = observed.role_arn.clone();
    }
    spec.policy_ctx.profile_model_arns = observed.profile_model_arns.clone();
    for e in spec.endpoints.iter_mut().filter(|e| !e.custom_policy) {
        e.policy = endpoint_policy(&e.service, &spec.policy_ctx);
    }
    if let Some(offered) = &observed.offered_services {
        spec.endpoints
            .retain(|e| !e.only_if_offered || offered.contains(&e.service_name));
    }
    if spec.placement.route_tables_from_subnets {
        spec.placement.route_table_ids = observed.subnet_route_table_ids.clone();
    }
    spec
}

/// The endpoints of `spec` the region does not offer, as plan notes.
fn skipped_endpoints(spec: &NetworkSpec, observed: &NetworkObserved) -> Vec<Change> {
    let Some(offered) = &observed.offered_services else {
        return Vec::new();
    };
    spec.endpoints
        .iter()
        .filter(|e| e.only_if_offered && !offered.contains(&e.service_name))
        .map(|e| {
            Change::noop(e.address(), "vpc_endpoint")
                .with_note(not_offered_note(&e.service_name, &spec.policy_ctx.region))
        })
        .collect()
}

fn is_live(e: &EndpointInfo) -> bool {
    !matches!(e.state.as_str(), "deleted" | "deleting")
}

fn ours(tags: &BTreeMap<String, String>, stack: &str) -> bool {
    tags.get(STACK_TAG).map(String::as_str) == Some(stack)
        && tags.get(MODULE_TAG).map(String::as_str) == Some(MODULE)
}

fn stray_endpoint_address(spec: &NetworkSpec, e: &EndpointInfo) -> String {
    let service = e
        .tags
        .get(ENDPOINT_TAG)
        .cloned()
        .unwrap_or_else(|| e.endpoint_id.clone());
    if spec.endpoints.iter().any(|s| s.service == service) {
        endpoint_address(&format!("{service}/{}", e.endpoint_id))
    } else {
        endpoint_address(&service)
    }
}

fn stray_group_address(g: &SecurityGroupInfo) -> String {
    group_address(&format!("{}/{}", g.name, g.group_id))
}

impl<A: Ec2Api> NetworkModule<A> {
    /// Reads the groups (by name in the VPC, and by stack tag) and the endpoints (by stack tag).
    async fn observe_resources(
        &self,
        spec: &NetworkSpec,
        checks: CheckReport,
    ) -> Result<NetworkObserved, NetworkError> {
        let names: Vec<String> = spec.groups.iter().map(|g| g.name.clone()).collect();
        let (by_name, tagged, endpoints) = futures::try_join!(
            self.api
                .find_security_groups(&spec.placement.vpc_id, &names),
            self.api.security_groups_tagged(STACK_TAG, &spec.stack),
            self.api.endpoints_tagged(STACK_TAG, &spec.stack),
        )?;
        let mut observed = NetworkObserved {
            checks,
            ..NetworkObserved::default()
        };
        for g in &spec.groups {
            if let Some(info) = by_name
                .iter()
                .find(|i| i.name == g.name && i.vpc_id == spec.placement.vpc_id)
            {
                let rules = self.api.security_group_rules(&info.group_id).await?;
                observed.groups.insert(
                    g.role,
                    ObservedGroup {
                        info: info.clone(),
                        rules,
                    },
                );
            }
        }
        observed.stray_groups = tagged
            .into_iter()
            .filter(|t| {
                ours(&t.tags, &spec.stack)
                    && !observed
                        .groups
                        .values()
                        .any(|o| o.info.group_id == t.group_id)
            })
            .collect();
        let mut candidates: BTreeMap<String, Vec<EndpointInfo>> = BTreeMap::new();
        for e in endpoints
            .into_iter()
            .filter(|e| is_live(e) && ours(&e.tags, &spec.stack))
        {
            let service = e.tags.get(ENDPOINT_TAG).cloned().unwrap_or_default();
            if spec.endpoints.iter().any(|s| s.service == service) {
                candidates.entry(service).or_default().push(e);
            } else {
                observed.stray_endpoints.push(e);
            }
        }
        for (service, mut list) in candidates {
            // Keep the usable one (then the newest); a crash can at worst leave a duplicate.
            list.sort_by_key(|e| (e.state == "available", e.state == "pending", e.created));
            if let Some(keep) = list.pop() {
                observed.endpoints.insert(service, keep);
            }
            observed.stray_endpoints.extend(list);
        }
        Ok(observed)
    }

    /// The module over any [`Ec2Api`] (mocks, clients with test interceptors). Without
    /// [`Self::with_lookup`] it reads neither the role nor inference profiles.
    pub fn with_api(api: A, ctx: &AwsContext) -> Self {
        Self {
            api,
            ctx: ctx.clone(),
            lookup: None,
        }
    }

    /// Uses `lookup` for the role and inference-profile reads.
    pub fn with_lookup(mut self, lookup: impl AccountLookup + 'static) -> Self {
        self.lookup = Some(Box::new(lookup));
        self
    }

    /// Reads the application role's ARN and the inference profiles' models. A missing role is
    /// a failed pre-check: the Bedrock endpoint policies would admit nobody.
    async fn account_reads(
        &self,
        spec: &NetworkSpec,
    ) -> Result<(Option<String>, Vec<String>, Option<ConfigIssue>), NetworkError> {
        let Some(lookup) = &self.lookup else {
            return Ok((None, Vec::new(), None));
        };
        let uses_role = spec
            .endpoints
            .iter()
            .any(|e| !e.custom_policy && e.service.starts_with("bedrock"));
        if !uses_role {
            return Ok((None, Vec::new(), None));
        }
        let name = &spec.policy_ctx.role_name;
        let role_arn = lookup.role_arn(name).await?;
        let issue = role_arn.is_none().then(|| ConfigIssue {
            path: "bedrock_role_name".into(),
            message: format!(
                "no IAM role `{name}` in account {}",
                spec.policy_ctx.account_id
            ),
            hint: Some(
                "create the application role first (or fix the name): the Bedrock endpoint policies admit only this role".into(),
            ),
        });
        let mut models = Vec::new();
        for profile in spec.policy_ctx.foundation_models.iter().filter(|m| {
            m.contains(":inference-profile/") || m.contains(":application-inference-profile/")
        }) {
            models.extend(lookup.inference_profile_models(profile).await?);
        }
        models.sort();
        models.dedup();
        Ok((role_arn, models, issue))
    }

    /// One DescribeVpcEndpointServices for the `only_if_offered` endpoints (none: no call).
    async fn offered_services(
        &self,
        spec: &NetworkSpec,
    ) -> Result<Option<Vec<String>>, NetworkError> {
        let names: Vec<String> = spec
            .endpoints
            .iter()
            .filter(|e| e.only_if_offered)
            .map(|e| e.service_name.clone())
            .collect();
        if names.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.api.offered_services(&names).await?))
    }

    /// The route tables of `subnet_ids`, for an S3 Gateway endpoint of `private_only` without
    /// `route_table_ids` (one DescribeRouteTables of the VPC; otherwise no call).
    async fn subnet_route_tables(&self, spec: &NetworkSpec) -> Result<Vec<String>, NetworkError> {
        let p = &spec.placement;
        if !p.route_tables_from_subnets || !spec.endpoints.iter().any(|e| e.gateway) {
            return Ok(Vec::new());
        }
        let tables = self.api.route_tables(&p.vpc_id).await?;
        Ok(subnet_route_tables(&tables, &p.subnet_ids))
    }

    async fn live_checks(&self, spec: &NetworkSpec) -> Result<CheckReport, NetworkError> {
        let p = &spec.placement;
        let (vpc, subnets) = futures::try_join!(
            self.api.find_vpc(&p.vpc_id),
            self.api.find_subnets(&p.subnet_ids)
        )?;
        let dns = match &vpc {
            Some(_) if p.private_dns => Some(self.api.vpc_dns(&p.vpc_id).await?),
            _ => None,
        };
        let input = CheckInput {
            vpc_id: &p.vpc_id,
            subnet_ids: &p.subnet_ids,
            vpc_cidr: &spec.vpc_cidr,
            private_dns: p.private_dns,
        };
        let report = check(&input, vpc.as_ref(), &subnets, dns);
        if report.issues.is_empty() {
            Ok(report)
        } else {
            Err(NetworkError::Precondition(PreconditionFailed {
                issues: report.issues,
            }))
        }
    }

    async fn wait_available(
        &self,
        spec: &NetworkSpec,
        e: &EndpointSpec,
        endpoint_id: &str,
        progress: &dyn Progress,
    ) -> Result<EndpointInfo, NetworkError> {
        let start = Instant::now();
        let mut delay = FIRST_POLL;
        loop {
            let Some(info) = self.api.describe_endpoint(endpoint_id).await? else {
                return Err(NetworkError::EndpointVanished {
                    service: e.service.clone(),
                    endpoint_id: endpoint_id.to_owned(),
                });
            };
            match info.state.as_str() {
                "available" => return Ok(info),
                "failed" | "rejected" | "expired" | "deleted" | "deleting" => {
                    return Err(NetworkError::EndpointFailed {
                        service: e.service.clone(),
                        endpoint_id: endpoint_id.to_owned(),
                        state: info.state.clone(),
                        message: info
                            .state_message
                            .clone()
                            .unwrap_or_else(|| "AWS gave no reason".into()),
                    })
                }
                state => {
                    let elapsed = start.elapsed();
                    if elapsed >= spec.wait_timeout {
                        return Err(NetworkError::WaitTimeout {
                            service: e.service.clone(),
                            endpoint_id: endpoint_id.to_owned(),
                            state: state.to_owned(),
                            waited_seconds: elapsed.as_secs(),
                        });
                    }
                    progress.event(ProgressEvent::Waiting {
                        address: e.address(),
                        status: state.to_owned(),
                        elapsed,
                    });
                    tokio::time::sleep(delay.min(spec.wait_timeout.saturating_sub(elapsed))).await;
                    delay = (delay * 2).min(MAX_POLL);
                }
            }
        }
    }

    /// Deletes endpoints and waits until each is gone (or `deleted`).
    async fn delete_endpoints(
        &self,
        spec: &NetworkSpec,
        doomed: &[(String, EndpointInfo)],
        progress: &dyn Progress,
    ) -> Result<(), NetworkError> {
        if doomed.is_empty() {
            return Ok(());
        }
        for (address, _) in doomed {
            progress.event(ProgressEvent::Started {
                address: address.clone(),
                action: Action::Delete,
            });
        }
        let ids: Vec<String> = doomed.iter().map(|(_, e)| e.endpoint_id.clone()).collect();
        self.api.delete_endpoints(&ids).await?;
        futures::future::try_join_all(doomed.iter().map(|(address, e)| async move {
            let start = Instant::now();
            let mut delay = FIRST_POLL;
            loop {
                match self.api.describe_endpoint(&e.endpoint_id).await? {
                    None => break,
                    Some(info) if info.state == "deleted" => break,
                    Some(info) => {
                        let elapsed = start.elapsed();
                        if elapsed >= spec.wait_timeout {
                            return Err(NetworkError::WaitTimeout {
                                service: info.tags.get(ENDPOINT_TAG).cloned().unwrap_or_default(),
                                endpoint_id: e.endpoint_id.clone(),
                                state: info.state,
                                waited_seconds: elapsed.as_secs(),
                            });
                        }
                        progress.event(ProgressEvent::Waiting {
                            address: address.clone(),
                            status: info.state,
                            elapsed,
                        });
                        tokio::time::sleep(delay.min(spec.wait_timeout.saturating_sub(elapsed)))
                            .await;
                        delay = (delay * 2).min(MAX_POLL);
                    }
                }
            }
            progress.event(ProgressEvent::Gone {
                address: address.clone(),
            });
            Ok(())
        }))
        .await?;
        Ok(())
    }

    /// Deletes groups; retries while the ENIs of just-deleted endpoints still hold them.
    async fn delete_groups(
        &self,
        spec: &NetworkSpec,
        doomed: &[(String, String)],
        progress: &dyn Progress,
    ) -> Result<(), NetworkError> {
        for (address, group_id) in doomed {
            progress.event(ProgressEvent::Started {
                address: address.clone(),
                action: Action::Delete,
            });
            let start = Instant::now();
            let mut delay = FIRST_POLL;
            loop {
                match self.api.delete_security_group(group_id).await {
                    Ok(()) => break,
                    Err(e) if e.is_not_found() => break,
                    Err(e) if e.detail.starts_with("DependencyViolation") => {
                        let elapsed = start.elapsed();
                        if elapsed >= spec.wait_timeout {
                            return Err(NetworkError::GroupInUse {
                                group_id: group_id.clone(),
                                waited_seconds: elapsed.as_secs(),
                                source: e,
                            });
                        }
                        progress.event(ProgressEvent::Waiting {
                            address: address.clone(),
                            status: "in use".into(),
                            elapsed,
                        });
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(MAX_POLL);
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            progress.event(ProgressEvent::Gone {
                address: address.clone(),
            });
        }
        Ok(())
    }

    async fn converge_group(
        &self,
        spec: &NetworkSpec,
        g: &GroupSpec,
        observed: Option<&ObservedGroup>,
        progress: &dyn Progress,
    ) -> Result<(GroupRole, String), NetworkError> {
        let address = g.address();
        let (group_id, rules, created) = match observed {
            Some(o) => {
                let (set, remove) = tag_changes(&g.tags, &o.info.tags);
                if !set.is_empty() || !remove.is_empty() {
                    progress.event(ProgressEvent::Started {
                        address: address.clone(),
                        action: Action::Update,
                    });
                    if !set.is_empty() {
                        self.api.create_tags(&o.info.group_id, &set).await?;
                    }
                    if !remove.is_empty() {
                        self.api.delete_tags(&o.info.group_id, &remove).await?;
                    }
                    progress.event(ProgressEvent::Finished {
                        address: address.clone(),
                        action: Action::Update,
                    });
                }
                (o.info.group_id.clone(), o.rules.clone(), false)
            }
            None => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Create,
                });
                let vpc = &spec.placement.vpc_id;
                let id = match self
                    .api
                    .create_security_group(&g.name, &g.description, vpc, &g.tags)
                    .await
                {
                    // a retry after a lost answer: the first attempt made the group
                    Err(e) if e.kind == ServiceErrorKind::AlreadyExists => self
                        .api
                        .find_security_groups(vpc, std::slice::from_ref(&g.name))
                        .await?
                        .into_iter()
                        .find(|found| found.tags.get(STACK_TAG) == g.tags.get(STACK_TAG))
                        .map(|found| found.group_id)
                        .ok_or(e)?,
                    other => other?,
                };
                progress.event(ProgressEvent::Exists {
                    address: address.clone(),
                    id: id.clone(),
                });
                // AWS adds an allow-all egress rule to every new group: read it to revoke it.
                let rules = self.api.security_group_rules(&id).await?;
                (id, rules, true)
            }
        };
        let plan = plan_rules(g, &rules);
        let touched: Vec<&Change> = plan.changes.iter().filter(|c| c.is_change()).collect();
        for c in &touched {
            progress.event(ProgressEvent::Started {
                address: c.address.clone(),
                action: c.action,
            });
        }
        // Authorize before revoking, so a changed CIDR list never leaves a moment with neither.
        if !plan.authorize_ingress.is_empty() {
            self.api
                .authorize_ingress(&group_id, &plan.authorize_ingress)
                .await?;
        }
        if !plan.authorize_egress.is_empty() {
            self.api
                .authorize_egress(&group_id, &plan.authorize_egress)
                .await?;
        }
        if !plan.revoke_ingress.is_empty() {
            self.api
                .revoke_ingress(&group_id, &plan.revoke_ingress)
                .await?;
        }
        if !plan.revoke_egress.is_empty() {
            self.api
                .revoke_egress(&group_id, &plan.revoke_egress)
                .await?;
        }
        for (rule_id, rule) in &plan.describe {
            self.api.modify_rule(&group_id, rule_id, rule).await?;
        }
        for c in &touched {
            if c.action == Action::Delete {
                progress.event(ProgressEvent::Gone {
                    address: c.address.clone(),
                });
            } else {
                progress.event(ProgressEvent::Finished {
                    address: c.address.clone(),
                    action: c.action,
                });
            }
        }
        if created {
            progress.event(ProgressEvent::Finished {
                address,
                action: Action::Create,
            });
        }
        Ok((g.role, group_id))
    }

    async fn create_endpoint(
        &self,
        spec: &NetworkSpec,
        e: &EndpointSpec,
        group_id: &str,
        progress: &dyn Progress,
    ) -> Result<EndpointInfo, NetworkError> {
        let address = e.address();
        for attempt in 0..TOKEN_ATTEMPTS {
            let request = create_request(e, &spec.placement, group_id, attempt, &spec.stack);
            let info = self.api.create_endpoint(&request).await?;
            if !is_live(&info) {
                // The token belongs to an endpoint deleted since: AWS replays it. Salt and retry.
                continue;
            }
            progress.event(ProgressEvent::Exists {
                address: address.clone(),
                id: info.endpoint_id.clone(),
            });
            return if info.state == "available" {
                Ok(info)
            } else {
                self.wait_available(spec, e, &info.endpoint_id, progress)
                    .await
            };
        }
        Err(NetworkError::TokenReplayed {
            service: e.service.clone(),
        })
    }

    async fn converge_endpoint(
        &self,
        spec: &NetworkSpec,
        e: &EndpointSpec,
        observed: Option<&EndpointInfo>,
        group_ids: &BTreeMap<GroupRole, String>,
        progress: &dyn Progress,
    ) -> Result<(String, EndpointInfo), NetworkError> {
        let address = e.address();
        let group_id = group_ids
            .get(&e.group)
            .map(String::as_str)
            .unwrap_or_default();
        let info = match observed {
            None => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Create,
                });
                let info = self.create_endpoint(spec, e, group_id, progress).await?;
                progress.event(ProgressEvent::Finished {
                    address: address.clone(),
                    action: Action::Create,
                });
                info
            }
            Some(old) if needs_replacement(e, &spec.placement, old) => {
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Replace,
                });
                // Delete first: two endpoints of one service with private DNS cannot share a VPC.
                self.delete_endpoints(spec, &[(address.clone(), old.clone())], progress)
                    .await?;
                let info = self.create_endpoint(spec, e, group_id, progress).await?;
                progress.event(ProgressEvent::Finished {
                    address: address.clone(),
                    action: Action::Replace,
                });
                info
            }
            Some(old) => {
                let old = if old.state == "available" {
                    old.clone()
                } else {
                    self.wait_available(spec, e, &old.endpoint_id, progress)
                        .await?
                };
                let modify = modify_request(e, &spec.placement, group_id, &old);
                let (set, remove) = tag_changes(&e.tags, &old.tags);
                if modify.is_empty() && set.is_empty() && remove.is_empty() {
                    return Ok((e.service.clone(), old));
                }
                progress.event(ProgressEvent::Started {
                    address: address.clone(),
                    action: Action::Update,
                });
                if !set.is_empty() {
                    self.api.create_tags(&old.endpoint_id, &set).await?;
                }
                if !remove.is_empty() {
                    self.api.delete_tags(&old.endpoint_id, &remove).await?;
                }
                let info = if modify.is_empty() {
                    old
                } else {
                    self.api.modify_endpoint(&modify).await?;
                    self.wait_available(spec, e, &old.endpoint_id, progress)
                        .await?
                };
                progress.event(ProgressEvent::Finished {
                    address: address.clone(),
                    action: Action::Update,
                });
                info
            }
        };
        Ok((e.service.clone(), info))
    }
}

fn outputs(
    spec: &NetworkSpec,
    checks: &CheckReport,
    groups: &BTreeMap<GroupRole, String>,
    endpoints: &BTreeMap<String, EndpointInfo>,
) -> Option<NetworkOutputs> {
    let id = |role| groups.get(&role).map(|g| SecurityGroupId(g.clone()));
    Some(NetworkOutputs {
        security_group_ids: SecurityGroupIds {
            management: id(GroupRole::Management)?,
            runtime: id(GroupRole::Runtime)?,
            general: id(GroupRole::General)?,
        },
        endpoint_ids: endpoints
            .iter()
            .map(|(s, e)| (s.clone(), VpcEndpointId(e.endpoint_id.clone())))
            .collect(),
        dns_entries: endpoints
            .iter()
            .map(|(s, e)| (s.clone(), e.dns_names.clone()))
            .collect(),
        summary: NetworkSummary {
            vpc_id: spec.placement.vpc_id.clone(),
            subnet_ids: spec.placement.subnet_ids.clone(),
            availability_zones: checks.availability_zones.clone(),
            private_dns: spec.placement.private_dns,
        },
    })
}

#[async_trait]
impl<A: Ec2Api> Module for NetworkModule<A> {
    type Inputs = ();
    type Spec = NetworkSpec;
    type Observed = NetworkObserved;
    type Outputs = NetworkOutputs;
    type Error = NetworkError;

    fn name(&self) -> &'static str {
        MODULE
    }

    fn spec(&self, config: &Config, _inputs: &()) -> Result<NetworkSpec, NetworkError> {
        let naming = self.ctx.naming();
        let stack = naming.stack().to_owned();
        let base_tags = naming.tags(MODULE);
        let named = |name: &str| {
            let mut tags = base_tags.clone();
            tags.insert("Name".into(), name.to_owned());
            tags
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        let placement = Placement {
            vpc_id: config.vpc_id.clone(),
            // Config order: the live checks name `subnet_ids[i]` as the user wrote it.
            subnet_ids: config.subnet_ids.clone(),
            route_table_ids: sorted(config.route_table_ids.clone()),
            private_dns: config.enable_private_dns,
            route_tables_from_subnets: config.private_only && config.route_table_ids.is_empty(),
        };
        let groups = GroupRole::ALL
            .into_iter()
            .map(|role| {
                let allowed = match role {
                    GroupRole::Management => config.management_allowed_cidrs.clone(),
                    GroupRole::Runtime => config.runtime_allowed_cidrs.clone(),
                    GroupRole::General => vec![config.vpc_cidr],
                };
                let name = naming.name(role.name_suffix(), 255);
                group_spec(
                    role,
                    name.clone(),
                    &stack,
                    &allowed,
                    config.vpc_cidr,
                    named(&name),
                )
            })
            .collect();
        let policy_ctx = PolicyContext {
            partition: self.ctx.partition().to_owned(),
            account_id: self.ctx.account_id().to_owned(),
            region: self.ctx.region().to_owned(),
            role_name: config.bedrock_role_name.clone(),
            allowed_model_regions: config.allowed_model_regions.clone(),
            foundation_models: config.foundation_models.clone(),
            role_arn: None,
            admin_principal_arns: config.admin_principal_arns.clone(),
            profile_model_arns: Vec::new(),
        };
        // (service, gateway, only where the region offers it)
        let mut services: Vec<(&str, bool, bool)> = config
            .bedrock_endpoints()
            .into_iter()
            .map(|s| (s, false, false))
            .collect();
        if config.enable_bedrock_mantle_endpoint {
            services.push((MANTLE, false, true));
        }
        services.extend(
            config
                .extra_endpoint_services
                .iter()
                .map(|e| (e.as_str(), e.is_gateway(), false)),
        );
        if config.private_only {
            for (service, gateway) in PRIVATE_ONLY_SERVICES {
                if !services.iter().any(|(s, _, _)| s == service) {
                    services.push((service, *gateway, false));
                }
            }
        }
        let mut issues = Vec::new();
        let mut endpoints = Vec::new();
        for (service, gateway, only_if_offered) in services {
            let (policy, custom_policy) = match config.custom_endpoint_policies.get(service) {
                Some(text) => {
                    let path = format!("custom_endpoint_policies.{service}");
                    match PolicyDocument::parse(text) {
                        Ok(doc) if doc.has_wildcard_allow() => {
                            issues.push(ConfigIssue {
                                path,
                                message: "allows `*` or `service:*` actions".into(),
                                hint: Some(
                                    "list the actions the endpoint must admit explicitly".into(),
                                ),
                            });
                            continue;
                        }
                        Ok(doc) => (doc, true),
                        Err(e) => {
                            issues.push(ConfigIssue {
                                path,
                                message: format!(
                                    "is not a policy document: {}",
                                    std::error::Error::source(&e)
                                        .map(|s| s.to_string())
                                        .unwrap_or_default()
                                ),
                                hint: Some("give a JSON policy with Version and Statement".into()),
                            });
                            continue;
                        }
                    }
                }
                None => (endpoint_policy(service, &policy_ctx), false),
            };
            let mut tags = named(&naming.name(service, 255));
            tags.insert(ENDPOINT_TAG.into(), service.to_owned());
            endpoints.push(EndpointSpec {
                service: service.to_owned(),
                service_name: format!("com.amazonaws.{}.{service}", self.ctx.region()),
                gateway,
                group: GroupRole::for_service(service),
                policy,
                custom_policy,
                tags,
                client_token: client_token(&stack, service, &config.vpc_id, 0),
                only_if_offered,
            });
        }
        if !issues.is_empty() {
            return Err(NetworkError::Precondition(PreconditionFailed { issues }));
        }
        Ok(NetworkSpec {
            stack,
            placement,
            vpc_cidr: config.vpc_cidr,
            groups,
            endpoints,
            wait_timeout: Duration::from_secs(config.endpoint_wait_timeout_seconds),
            policy_ctx,
        })
    }

    async fn observe(&self, spec: &NetworkSpec) -> Result<NetworkObserved, NetworkError> {
        let (role_arn, profile_model_arns, role_issue) = self.account_reads(spec).await?;
        let checks = match self.live_checks(spec).await {
            Err(NetworkError::Precondition(mut failed)) => {
                failed.issues.extend(role_issue);
                return Err(NetworkError::Precondition(failed));
            }
            other => other?,
        };
        if let Some(issue) = role_issue {
            return Err(NetworkError::Precondition(PreconditionFailed {
                issues: vec![issue],
            }));
        }
        let (mut observed, offered, subnet_route_table_ids) = futures::try_join!(
            self.observe_resources(spec, checks),
            self.offered_services(spec),
            self.subnet_route_tables(spec),
        )?;
        observed.role_arn = role_arn;
        observed.profile_model_arns = profile_model_arns;
        observed.subnet_route_table_ids = subnet_route_table_ids;
        if let Some(offered) = &offered {
            // An endpoint of a service the region no longer lists cannot be converged: it goes.
            let gone: Vec<String> = spec
                .endpoints
                .iter()
                .filter(|e| e.only_if_offered && !offered.contains(&e.service_name))
                .map(|e| e.service.clone())
                .collect();
            for service in gone {
                observed
                    .stray_endpoints
                    .extend(observed.endpoints.remove(&service));
            }
        }
        observed.offered_services = offered;
        Ok(observed)
    }

    /// Destroy needs no live checks: the groups and endpoints are found by name and stack tag
    /// even when the VPC or subnets are already gone.
    async fn observe_for_destroy(
        &self,
        spec: &NetworkSpec,
    ) -> Result<NetworkObserved, NetworkError> {
        self.observe_resources(spec, CheckReport::default()).await
    }

    fn diff(&self, spec: &NetworkSpec, observed: &NetworkObserved) -> Vec<Change> {
        let original = spec;
        let spec = &resolved(spec, observed);
        let mut changes = Vec::new();
        for g in &spec.groups {
            let after = group_view(g, &spec.placement.vpc_id);
            match observed.groups.get(&g.role) {
                None => {
                    changes.push(
                        Change::create(g.address(), "security_group", &after).with_note(
                            "AWS's default allow-all egress rule is revoked right after creation",
                        ),
                    );
                    changes.extend(plan_rules(g, &[]).changes);
                }
                Some(o) => {
                    changes.push(Change::compare(
                        g.address(),
                        "security_group",
                        &observed_group_view(&o.info),
                        &after,
                        &[],
                    ));
                    changes.extend(plan_rules(g, &o.rules).changes);
                }
            }
        }
        let zone_note = observed.checks.warnings.first();
        for e in &spec.endpoints {
            let group_id = observed
                .groups
                .get(&e.group)
                .map(|o| o.info.group_id.as_str());
            let after = desired_view(e, &spec.placement, group_id);
            let mut change = match observed.endpoints.get(&e.service) {
                None => Change::create(e.address(), "vpc_endpoint", &after),
                Some(info) => {
                    let mut change = Change::compare(
                        e.address(),
                        "vpc_endpoint",
                        &observed_view(info),
                        &after,
                        REPLACE_ON,
                    );
                    if matches!(info.state.as_str(), "failed" | "rejected" | "expired") {
                        change.action = Action::Replace;
                        change = change.with_note(format!(
                            "the endpoint is {}: {}; it is deleted and created again",
                            info.state,
                            info.state_message
                                .as_deref()
                                .unwrap_or("AWS gave no reason")
                        ));
                    } else if info.state != "available" {
                        change = change.with_note(format!(
                            "the endpoint is {}: apply waits until it is available",
                            info.state
                        ));
                    }
                    change
                }
            };
            if let (Some(note), false, true) = (zone_note, e.gateway, change.note.is_none()) {
                change = change.with_note(note.clone());
            }
            if e.custom_policy && change.is_change() && change.note.is_none() {
                change = change.with_note("the policy comes from custom_endpoint_policies");
            }
            changes.push(change);
        }
        changes.extend(skipped_endpoints(original, observed));
        for e in &observed.stray_endpoints {
            changes.push(
                Change::delete(
                    stray_endpoint_address(spec, e),
                    "vpc_endpoint",
                    &observed_view(e),
                )
                .with_note("tagged with the stack but not in the configuration"),
            );
        }
        for g in &observed.stray_groups {
            changes.push(
                Change::delete(
                    stray_group_address(g),
                    "security_group",
                    &observed_group_view(g),
                )
                .with_note("tagged with the stack but not one of its groups in vpc_id"),
            );
        }
        changes
    }

    fn planned_outputs(
        &self,
        spec: &NetworkSpec,
        observed: &NetworkObserved,
    ) -> Option<NetworkOutputs> {
        let spec = &resolved(spec, observed);
        let groups = observed
            .groups
            .iter()
            .map(|(r, o)| (*r, o.info.group_id.clone()))
            .collect();
        let mut endpoints = BTreeMap::new();
        for e in &spec.endpoints {
            let info = observed
                .endpoints
                .get(&e.service)
                .filter(|i| !needs_replacement(e, &spec.placement, i))?;
            endpoints.insert(e.service.clone(), info.clone());
        }
        outputs(spec, &observed.checks, &groups, &endpoints)
    }

    async fn apply(
        &self,
        spec: &NetworkSpec,
        observed: &NetworkObserved,
        progress: &dyn Progress,
    ) -> Result<NetworkOutputs, NetworkError> {
        let spec = &resolved(spec, observed);
        for message in &observed.checks.warnings {
            progress.event(ProgressEvent::Warning {
                message: message.clone(),
            });
        }
        let group_ids: BTreeMap<GroupRole, String> = futures::future::try_join_all(
            spec.groups
                .iter()
                .map(|g| self.converge_group(spec, g, observed.groups.get(&g.role), progress)),
        )
        .await?
        .into_iter()
        .collect();
        let group_ids = &group_ids;
        // Boxed: a lazily mapped iterator of borrowing futures trips the higher-ranked lifetime
        // check of the `Send` future async_trait needs.
        let work: Vec<BoxFuture<'_, Result<(String, EndpointInfo), NetworkError>>> = spec
            .endpoints
            .iter()
            .map(|e| {
                self.converge_endpoint(
                    spec,
                    e,
                    observed.endpoints.get(&e.service),
                    group_ids,
                    progress,
                )
                .boxed()
            })
            .collect();
        let endpoints: BTreeMap<String, EndpointInfo> = futures::stream::iter(work)
            .buffer_unordered(MAX_CONCURRENT_ENDPOINTS)
            .try_collect()
            .await?;
        let stray: Vec<(String, EndpointInfo)> = observed
            .stray_endpoints
            .iter()
            .map(|e| (stray_endpoint_address(spec, e), e.clone()))
            .collect();
        self.delete_endpoints(spec, &stray, progress).await?;
        let stray: Vec<(String, String)> = observed
            .stray_groups
            .iter()
            .map(|g| (stray_group_address(g), g.group_id.clone()))
            .collect();
        self.delete_groups(spec, &stray, progress).await?;
        outputs(spec, &observed.checks, group_ids, &endpoints).ok_or(NetworkError::Incomplete)
    }

    fn destroy_plan(
        &self,
        spec: &NetworkSpec,
        observed: &NetworkObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        let mut changes: Vec<Change> = observed
            .endpoints
            .iter()
            .map(|(service, e)| {
                Change::delete(endpoint_address(service), "vpc_endpoint", &observed_view(e))
            })
            .collect();
        changes.extend(observed.stray_endpoints.iter().map(|e| {
            Change::delete(
                stray_endpoint_address(spec, e),
                "vpc_endpoint",
                &observed_view(e),
            )
        }));
        changes.extend(observed.groups.iter().map(|(role, g)| {
            Change::delete(
                group_address(role.as_str()),
                "security_group",
                &observed_group_view(&g.info),
            )
            .with_note("deleted after the endpoints, with its rules")
        }));
        changes.extend(observed.stray_groups.iter().map(|g| {
            Change::delete(
                stray_group_address(g),
                "security_group",
                &observed_group_view(g),
            )
        }));
        changes
    }

    async fn destroy(
        &self,
        spec: &NetworkSpec,
        observed: &NetworkObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), NetworkError> {
        let mut endpoints: Vec<(String, EndpointInfo)> = observed
            .endpoints
            .iter()
            .map(|(service, e)| (endpoint_address(service), e.clone()))
            .collect();
        endpoints.extend(
            observed
                .stray_endpoints
                .iter()
                .map(|e| (stray_endpoint_address(spec, e), e.clone())),
        );
        self.delete_endpoints(spec, &endpoints, progress).await?;
        let mut groups: Vec<(String, String)> = observed
            .groups
            .iter()
            .map(|(role, g)| (group_address(role.as_str()), g.info.group_id.clone()))
            .collect();
        groups.extend(
            observed
                .stray_groups
                .iter()
                .map(|g| (stray_group_address(g), g.group_id.clone())),
        );
        self.delete_groups(spec, &groups, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{MockEc2Api, SubnetInfo, VpcDns, VpcInfo};
    use baseline_core::aws::{ApiError, ServiceErrorKind};
    use baseline_core::progress::{NoProgress, RecordedProgress};
    use baseline_core::Naming;

    fn ctx() -> AwsContext {
        AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
    }

    fn config() -> Config {
        Config {
            environment: "prod".into(),
            vpc_id: "vpc-1".into(),
            subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
            management_allowed_cidrs: vec!["10.20.0.0/16".parse().unwrap()],
            ..Config::default()
        }
    }

    fn spec_of<A: Ec2Api>(m: &NetworkModule<A>, c: &Config) -> NetworkSpec {
        m.spec(c, &()).unwrap()
    }

    fn group_info(g: &GroupSpec) -> SecurityGroupInfo {
        SecurityGroupInfo {
            group_id: format!("sg-{}", g.role.as_str()),
            name: g.name.clone(),
            vpc_id: "vpc-1".into(),
            description: g.description.clone(),
            tags: g.tags.clone(),
        }
    }

    fn converged_rules(g: &GroupSpec) -> Vec<SecurityGroupRule> {
        let mut out = Vec::new();
        for (egress, rules) in [(false, &g.ingress), (true, &g.egress)] {
            for (i, r) in rules.iter().enumerate() {
                out.push(SecurityGroupRule {
                    rule_id: format!("sgr-{}-{egress}-{i}", g.role.as_str()),
                    group_id: format!("sg-{}", g.role.as_str()),
                    egress,
                    protocol: "tcp".into(),
                    from_port: 443,
                    to_port: 443,
                    peer: r.cidr.to_string(),
                    description: Some(r.description.clone()),
                });
            }
        }
        out
    }

    fn endpoint_info(spec: &NetworkSpec, e: &EndpointSpec) -> EndpointInfo {
        EndpointInfo {
            endpoint_id: format!("vpce-{}", e.service),
            vpc_id: "vpc-1".into(),
            service_name: e.service_name.clone(),
            endpoint_type: "Interface".into(),
            state: "available".into(),
            state_message: None,
            subnet_ids: spec.placement.subnet_ids.clone(),
            security_group_ids: vec![format!("sg-{}", e.group.as_str())],
            route_table_ids: vec![],
            private_dns_enabled: true,
            policy: e.policy.to_json(),
            dns_names: vec![format!("{}.example", e.service)],
            tags: e.tags.clone(),
            created: 1,
        }
    }

    fn deployed(spec: &NetworkSpec) -> NetworkObserved {
        NetworkObserved {
            checks: CheckReport {
                availability_zones: vec!["us-east-1a".into(), "us-east-1b".into()],
                ..CheckReport::default()
            },
            groups: spec
                .groups
                .iter()
                .map(|g| {
                    (
                        g.role,
                        ObservedGroup {
                            info: group_info(g),
                            rules: converged_rules(g),
                        },
                    )
                })
                .collect(),
            endpoints: spec
                .endpoints
                .iter()
                .map(|e| (e.service.clone(), endpoint_info(spec, e)))
                .collect(),
            ..NetworkObserved::default()
        }
    }

    #[test]
    fn spec_has_three_groups_and_the_four_bedrock_endpoints_on_the_right_groups() {
        let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m, &config());
        assert_eq!(
            spec.groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>(),
            vec![
                "demo-prod-bedrock-management",
                "demo-prod-bedrock-runtime",
                "demo-prod-bedrock-general"
            ]
        );
        let placed: Vec<_> = spec
            .endpoints
            .iter()
            .map(|e| (e.service.as_str(), e.group))
            .collect();
        assert_eq!(
            placed,
            vec![
                ("bedrock", GroupRole::Management),
                ("bedrock-runtime", GroupRole::Runtime),
                ("bedrock-agent", GroupRole::Management),
                ("bedrock-agent-runtime", GroupRole::Runtime),
                ("bedrock-mantle", GroupRole::Runtime),
            ]
        );
        assert!(spec
            .endpoints
            .iter()
            .all(|e| e.only_if_offered == (e.service == MANTLE)));
        let rt = &spec.endpoints[1];
        assert_eq!(rt.service_name, "com.amazonaws.us-east-1.bedrock-runtime");
        assert_eq!(rt.tags[ENDPOINT_TAG], "bedrock-runtime");
        assert_eq!(rt.tags[STACK_TAG], "demo-prod");
    }

    #[test]
    fn switches_and_extras_shape_the_endpoint_list() {
        let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let mut c = config();
        c.enable_bedrock_agent_endpoint = false;
        c.extra_endpoint_services = vec![
            baseline_core::config::EndpointService::Kms,
            baseline_core::config::EndpointService::S3,
        ];
        c.route_table_ids = vec!["rtb-01234567".into()];
        let spec = spec_of(&m, &c);
        let list: Vec<_> = spec
            .endpoints
            .iter()
            .map(|e| (e.service.as_str(), e.gateway, e.group))
            .collect();
        assert_eq!(
            list,
            vec![
                ("bedrock", false, GroupRole::Management),
                ("bedrock-runtime", false, GroupRole::Runtime),
                ("bedrock-agent-runtime", false, GroupRole::Runtime),
                ("bedrock-mantle", false, GroupRole::Runtime),
                ("kms", false, GroupRole::General),
                ("s3", true, GroupRole::General),
            ]
        );
    }

    #[test]
    fn a_custom_policy_replaces_the_generated_one_and_a_wildcard_one_is_refused() {
        let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let mut c = config();
        let custom = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"*"}]}"#;
        c.custom_endpoint_policies
            .insert("bedrock-runtime".into(), custom.into());
        let spec = spec_of(&m, &c);
        let rt = spec
            .endpoints
            .iter()
            .find(|e| e.service == "bedrock-runtime")
            .unwrap();
        assert!(rt.custom_policy);
        assert!(rt
            .policy
            .equivalent(&PolicyDocument::parse(custom).unwrap()));
        c.custom_endpoint_policies.insert(
            "bedrock".into(),
            custom.replace("bedrock:InvokeModel", "bedrock:*"),
        );
        let Err(NetworkError::Precondition(p)) = m.spec(&c, &()) else {
            panic!("wildcard accepted")
        };
        assert_eq!(p.issues[0].path, "custom_endpoint_policies.bedrock");
    }

    #[test]
    fn from_empty_the_plan_creates_groups_rules_and_endpoints() {
        let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m, &config());
        let changes = m.diff(&spec, &NetworkObserved::default());
        let count = |t: &str| {
            changes
                .iter()
                .filter(|c| c.resource_type == t && c.action == Action::Create)
                .count()
        };
        assert_eq!((count("security_group"), count("vpc_endpoint")), (3, 5));
        // management 1 + runtime 2 + general 1 ingress, 3 egress
        assert_eq!(count("security_group_rule"), 7);
        let rt = changes
            .iter()
            .find(|c| c.address == r#"network.endpoint["bedrock-runtime"]"#)
            .unwrap();
        let sg = rt
            .attributes
            .iter()
            .find(|a| a.name == "security_group_ids")
            .unwrap();
        assert_eq!(sg.after, Some(serde_json::json!(["(known after apply)"])));
        assert!(m
            .planned_outputs(&spec, &NetworkObserved::default())
            .is_none());
    }

    #[test]
    fn a_deployed_stack_plans_no_change_and_knows_its_outputs() {
        let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m, &config());
        let observed = deployed(&spec);
        let changed: Vec<_> = m
            .diff(&spec, &observed)
            .into_iter()
            .filter(Change::is_change)
            .collect();
        assert!(changed.is_empty(), "{changed:#?}");
        let out = m.planned_outputs(&spec, &observed).unwrap();
        assert_eq!(
            out.endpoint_ids["bedrock-runtime"].as_str(),
            "vpce-bedrock-runtime"
        );
        assert_eq!(out.security_group_ids.general.as_str(), "sg-general");
    }

    #[tokio::test]
    async fn a_converged_stack_applies_without_a_single_call() {
        // The mock has no expectations: any call would panic.
        let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m, &config());
        let out = m.apply(&spec, &deployed(&spec), &NoProgress).await.unwrap();
        assert_eq!(out.endpoint_ids.len(), 5);
        assert_eq!(out.dns_entries["bedrock"], vec!["bedrock.example"]);
    }

    #[test]
    fn drift_in_rules_and_policy_is_planned_precisely() {
        let m = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m, &config());
        let mut observed = deployed(&spec);
        observed
            .groups
            .get_mut(&GroupRole::Runtime)
            .unwrap()
            .rules
            .push(SecurityGroupRule {
                rule_id: "sgr-ssh".into(),
                group_id: "sg-runtime".into(),
                egress: false,
                protocol: "tcp".into(),
                from_port: 22,
                to_port: 22,
                peer: "0.0.0.0/0".into(),
                description: None,
            });
        observed
            .endpoints
            .get_mut("bedrock-runtime")
            .unwrap()
            .policy =
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#
                .into();
        let changed: Vec<_> = m
            .diff(&spec, &observed)
            .into_iter()
            .filter(Change::is_change)
            .collect();
        let summary: Vec<_> = changed
            .iter()
            .map(|c| (c.address.as_str(), c.action))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    r#"network.security_group_rule["runtime:ingress:tcp:22:0.0.0.0/0"]"#,
                    Action::Delete
                ),
                (r#"network.endpoint["bedrock-runtime"]"#, Action::Update),
            ]
        );
        assert!(
            changed[1]
                .attributes
                .iter()
                .all(|a| a.name.starts_with("policy")),
            "{:?}",
            changed[1].attributes
        );
    }

    #[tokio::test]
    async fn drift_is_repaired_with_one_revoke_and_one_modify() {
        let mut api = MockEc2Api::new();
        api.expect_revoke_ingress()
            .withf(|g, ids| g == "sg-runtime" && ids == ["sgr-ssh".to_owned()])
            .times(1)
            .returning(|_, _| Ok(()));
        api.expect_modify_endpoint()
            .withf(|m| {
                m.endpoint_id == "vpce-bedrock-runtime"
                    && m.policy.is_some()
                    && m.add_subnet_ids.is_empty()
            })
            .times(1)
            .returning(|_| Ok(()));
        let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m0, &config());
        let after = endpoint_info(
            &spec,
            spec.endpoints
                .iter()
                .find(|e| e.service == "bedrock-runtime")
                .unwrap(),
        );
        api.expect_describe_endpoint()
            .returning(move |_| Ok(Some(after.clone())));
        let m = NetworkModule::with_api(api, &ctx());
        let mut observed = deployed(&spec);
        observed
            .groups
            .get_mut(&GroupRole::Runtime)
            .unwrap()
            .rules
            .push(SecurityGroupRule {
                rule_id: "sgr-ssh".into(),
                group_id: "sg-runtime".into(),
                egress: false,
                protocol: "tcp".into(),
                from_port: 22,
                to_port: 22,
                peer: "0.0.0.0/0".into(),
                description: None,
            });
        observed
            .endpoints
            .get_mut("bedrock-runtime")
            .unwrap()
            .policy = "{}".into();
        m.apply(&spec, &observed, &NoProgress).await.unwrap();
    }

    fn good_reads(api: &mut MockEc2Api) {
        api.expect_offered_services()
            .returning(|names| Ok(names.to_vec()));
        good_reads_without_offer(api);
    }

    #[tokio::test]
    async fn a_vpc_without_dns_hostnames_fails_observe_before_any_other_call() {
        let mut api = MockEc2Api::new();
        api.expect_find_vpc().returning(|id| {
            Ok(Some(VpcInfo {
                vpc_id: id.into(),
                cidr_blocks: vec!["10.0.0.0/16".into()],
            }))
        });
        api.expect_find_subnets().returning(|_| {
            Ok(vec![SubnetInfo {
                subnet_id: "subnet-a".into(),
                vpc_id: "vpc-9".into(),
                availability_zone: "us-east-1a".into(),
            }])
        });
        api.expect_vpc_dns().returning(|_| {
            Ok(VpcDns {
                support: true,
                hostnames: false,
            })
        });
        let m = NetworkModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config());
        let err = m.observe(&spec).await.unwrap_err();
        let NetworkError::Precondition(p) = &err else {
            panic!("{err}")
        };
        let paths: Vec<_> = p.issues.iter().map(|i| i.path.as_str()).collect();
        assert_eq!(
            paths,
            vec!["enable_private_dns", "subnet_ids[0]", "subnet_ids[1]"]
        );
        let chain = std::error::Error::source(&err).unwrap();
        assert!(
            chain.downcast_ref::<PreconditionFailed>().is_some(),
            "the CLI finds it in the source chain"
        );
    }

    #[tokio::test]
    async fn subnet_paths_use_the_config_order_not_the_sorted_one() {
        // Regression: the spec sorted subnet_ids, so `subnet_ids[1]` named the wrong entry.
        let mut api = MockEc2Api::new();
        api.expect_find_vpc().returning(|id| {
            Ok(Some(VpcInfo {
                vpc_id: id.into(),
                cidr_blocks: vec!["10.0.0.0/16".into()],
            }))
        });
        api.expect_vpc_dns().returning(|_| {
            Ok(VpcDns {
                support: true,
                hostnames: true,
            })
        });
        api.expect_find_subnets().returning(|_| {
            Ok(vec![
                SubnetInfo {
                    subnet_id: "subnet-a".into(),
                    vpc_id: "vpc-9".into(),
                    availability_zone: "us-east-1a".into(),
                },
                SubnetInfo {
                    subnet_id: "subnet-b".into(),
                    vpc_id: "vpc-1".into(),
                    availability_zone: "us-east-1b".into(),
                },
            ])
        });
        let m = NetworkModule::with_api(api, &ctx());
        let mut c = config();
        c.subnet_ids = vec!["subnet-b".into(), "subnet-a".into()];
        let Err(NetworkError::Precondition(p)) = m.observe(&spec_of(&m, &c)).await else {
            panic!("checks passed")
        };
        assert_eq!(
            p.issues.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(),
            vec!["subnet_ids[1]"]
        );
    }

    #[tokio::test]
    async fn access_denied_on_create_group_is_reported_with_its_operation() {
        let mut api = MockEc2Api::new();
        api.expect_create_security_group().returning(|n, _, _, _| {
            Err(ApiError::synthetic(
                "ec2",
                "CreateSecurityGroup",
                n,
                ServiceErrorKind::AccessDenied,
                "UnauthorizedOperation: no",
            ))
        });
        let m = NetworkModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config());
        let err = m
            .apply(&spec, &NetworkObserved::default(), &NoProgress)
            .await
            .unwrap_err();
        assert!(matches!(&err, NetworkError::Api(e) if e.kind == ServiceErrorKind::AccessDenied));
        assert!(err.to_string().contains("ec2:CreateSecurityGroup"), "{err}");
    }

    fn groups_exist(spec: &NetworkSpec) -> NetworkObserved {
        let mut observed = deployed(spec);
        observed.endpoints.clear();
        observed
    }

    #[tokio::test]
    async fn throttled_endpoint_create_fails_after_the_others_are_recorded() {
        let mut api = MockEc2Api::new();
        api.expect_create_endpoint().returning(|r| {
            if r.service_name.ends_with(".bedrock-agent") {
                return Err(ApiError::synthetic(
                    "ec2",
                    "CreateVpcEndpoint",
                    &r.service_name,
                    ServiceErrorKind::Throttled,
                    "RequestLimitExceeded: slow down",
                ));
            }
            Ok(EndpointInfo {
                endpoint_id: format!("vpce-{}", r.service_name.rsplit('.').next().unwrap()),
                vpc_id: r.vpc_id.clone(),
                service_name: r.service_name.clone(),
                endpoint_type: "Interface".into(),
                state: "available".into(),
                state_message: None,
                subnet_ids: r.subnet_ids.clone(),
                security_group_ids: r.security_group_ids.clone(),
                route_table_ids: vec![],
                private_dns_enabled: true,
                policy: r.policy.clone(),
                dns_names: vec![],
                tags: r.tags.clone(),
                created: 1,
            })
        });
        let m = NetworkModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config());
        let progress = RecordedProgress::default();
        let err = m
            .apply(&spec, &groups_exist(&spec), &progress)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, NetworkError::Api(e) if e.kind == ServiceErrorKind::Throttled),
            "{err}"
        );
        let events = progress.0.lock().unwrap();
        assert!(events.iter().any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == r#"network.endpoint["bedrock"]"#)));
    }

    #[tokio::test]
    async fn a_failed_endpoint_is_reported_with_its_state_message() {
        let mut api = MockEc2Api::new();
        api.expect_create_endpoint().returning(|r| {
            Ok(EndpointInfo {
                endpoint_id: "vpce-x".into(),
                vpc_id: r.vpc_id.clone(),
                service_name: r.service_name.clone(),
                endpoint_type: "Interface".into(),
                state: "pending".into(),
                state_message: None,
                subnet_ids: vec![],
                security_group_ids: vec![],
                route_table_ids: vec![],
                private_dns_enabled: true,
                policy: String::new(),
                dns_names: vec![],
                tags: BTreeMap::new(),
                created: 1,
            })
        });
        api.expect_describe_endpoint().returning(|id| {
            Ok(Some(EndpointInfo {
                endpoint_id: id.into(),
                vpc_id: "vpc-1".into(),
                service_name: String::new(),
                endpoint_type: "Interface".into(),
                state: "failed".into(),
                state_message: Some("private DNS conflicts with an existing hosted zone".into()),
                subnet_ids: vec![],
                security_group_ids: vec![],
                route_table_ids: vec![],
                private_dns_enabled: true,
                policy: String::new(),
                dns_names: vec![],
                tags: BTreeMap::new(),
                created: 1,
            }))
        });
        let m = NetworkModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config());
        let err = m
            .apply(&spec, &groups_exist(&spec), &NoProgress)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, NetworkError::EndpointFailed { state, .. } if state == "failed"),
            "{err}"
        );
        assert!(err.to_string().contains("hosted zone"), "{err}");
    }

    #[tokio::test]
    async fn an_endpoint_still_pending_after_the_timeout_is_an_error() {
        let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let mut spec = spec_of(&m0, &config());
        spec.wait_timeout = Duration::ZERO;
        let mut observed = deployed(&spec);
        observed.endpoints.get_mut("bedrock").unwrap().state = "pending".into();
        let pending = observed.endpoints["bedrock"].clone();
        let mut api = MockEc2Api::new();
        api.expect_describe_endpoint()
            .returning(move |_| Ok(Some(pending.clone())));
        let m = NetworkModule::with_api(api, &ctx());
        let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        assert!(
            matches!(&err, NetworkError::WaitTimeout { service, state, .. } if service == "bedrock" && state == "pending"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_endpoint_deleted_between_observe_and_apply_fails_with_not_found() {
        let mut api = MockEc2Api::new();
        api.expect_modify_endpoint().returning(|r| {
            Err(ApiError::synthetic(
                "ec2",
                "ModifyVpcEndpoint",
                &r.endpoint_id,
                ServiceErrorKind::NotFound,
                "InvalidVpcEndpointId.NotFound: gone",
            ))
        });
        let m = NetworkModule::with_api(api, &ctx());
        let observed = deployed(&spec_of(&m, &config()));
        let mut c = config();
        c.subnet_ids.push("subnet-c".into());
        let spec = spec_of(&m, &c);
        let err = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
        assert!(
            matches!(&err, NetworkError::Api(e) if e.is_not_found()),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_replayed_token_of_a_deleted_endpoint_is_salted() {
        let mut api = MockEc2Api::new();
        api.expect_create_endpoint().returning(|r| {
            let replayed = !r.client_token.ends_with("-1");
            Ok(EndpointInfo {
                endpoint_id: if replayed {
                    "vpce-old".into()
                } else {
                    "vpce-new".into()
                },
                vpc_id: r.vpc_id.clone(),
                service_name: r.service_name.clone(),
                endpoint_type: "Interface".into(),
                state: if replayed {
                    "deleted".into()
                } else {
                    "available".into()
                },
                state_message: None,
                subnet_ids: r.subnet_ids.clone(),
                security_group_ids: r.security_group_ids.clone(),
                route_table_ids: vec![],
                private_dns_enabled: true,
                policy: r.policy.clone(),
                dns_names: vec![],
                tags: r.tags.clone(),
                created: 1,
            })
        });
        let m = NetworkModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config());
        let out = m
            .apply(&spec, &groups_exist(&spec), &NoProgress)
            .await
            .unwrap();
        assert!(out
            .endpoint_ids
            .values()
            .all(|id| id.as_str() == "vpce-new"));
    }

    #[tokio::test]
    async fn destroy_observes_without_the_live_checks() {
        // No expectation on find_vpc/find_subnets: calling them would fail the test. A stack
        // whose VPC is gone can still be destroyed.
        let mut api = MockEc2Api::new();
        api.expect_find_security_groups()
            .returning(|_, _| Ok(vec![]));
        api.expect_security_groups_tagged()
            .returning(|_, _| Ok(vec![]));
        api.expect_endpoints_tagged().returning(|_, _| Ok(vec![]));
        let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m0, &config());
        let m = NetworkModule::with_api(api, &ctx());
        let observed = m.observe_for_destroy(&spec).await.unwrap();
        assert!(m
            .destroy_plan(&spec, &observed, DestroyOptions::default())
            .is_empty());
    }

    #[tokio::test]
    async fn observe_keeps_the_available_duplicate_and_plans_the_other_for_deletion() {
        let mut api = MockEc2Api::new();
        good_reads(&mut api);
        let m0 = NetworkModule::with_api(MockEc2Api::new(), &ctx());
        let spec = spec_of(&m0, &config());
        let rt = spec
            .endpoints
            .iter()
            .find(|e| e.service == "bedrock-runtime")
            .unwrap();
        let mut good = endpoint_info(&spec, rt);
        good.created = 1;
        let mut dup = good.clone();
        dup.endpoint_id = "vpce-dup".into();
        dup.state = "pending".into();
        dup.created = 2;
        let mut deleted = good.clone();
        deleted.endpoint_id = "vpce-deleted".into();
        deleted.state = "deleted".into();
        api.expect_find_security_groups()
            .returning(|_, _| Ok(vec![]));
        api.expect_security_groups_tagged()
            .returning(|_, _| Ok(vec![]));
        api.expect_endpoints_tagged()
            .returning(move |_, _| Ok(vec![dup.clone(), good.clone(), deleted.clone()]));
        let m = NetworkModule::with_api(api, &ctx());
        let observed = m.observe(&spec).await.unwrap();
        assert_eq!(
            observed.endpoints["bedrock-runtime"].endpoint_id,
            "vpce-bedrock-runtime"
        );
        assert_eq!(
            observed
                .stray_endpoints
                .iter()
                .map(|e| e.endpoint_id.as_str())
                .collect::<Vec<_>>(),
            vec!["vpce-dup"]
        );
        let deletes: Vec<_> = m
            .diff(&spec, &observed)
            .into_iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| c.address)
            .collect();
        assert_eq!(
            deletes,
            vec![r#"network.endpoint["bedrock-runtime/vpce-dup"]"#]
        );
    }

    #[tokio::test]
    async fn destroy_deletes_endpoints_before_groups() {
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let mut api = MockEc2Api::new();
        let o = order.clone();
        api.expect_delete_endpoints()
            .times(1)
            .returning(move |ids| {
                o.lock().unwrap().push(format!("endpoints:{}", ids.len()));
                Ok(())
            });
        api.expect_describe_endpoint().returning(|_| Ok(None));
        let o = order.clone();
        api.expect_delete_security_group()
            .times(3)
            .returning(move |id| {
                o.lock().unwrap().push(id.to_owned());
                Ok(())
            });
        let m = NetworkModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config());
        let observed = deployed(&spec);
        let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
        assert_eq!(
            plan.iter().filter(|c| c.action == Action::Delete).count(),
            8
        );
        m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
            .await
            .unwrap();
        assert_eq!(
            order.lock().unwrap().first().map(String::as_str),
            Some("endpoints:5")
        );
    }

    #[tokio::test]
    async fn mantle_is_skipped_with_a_note_where_the_region_does_not_offer_it() {
        let mut api = MockEc2Api::new();
        good_reads_without_offer(&mut api);
        api.expect_offered_services()
            .withf(|names| names == ["com.amazonaws.us-east-1.bedrock-mantle".to_owned()])
            .times(1)
            .returning(|_| Ok(vec![]));
        api.expect_find_security_groups()
            .returning(|_, _| Ok(vec![]));
        api.expect_security_groups_tagged()
            .returning(|_, _| Ok(vec![]));
        api.expect_endpoints_tagged().returning(|_, _| Ok(vec![]));
        let m = NetworkModule::with_api(api, &ctx());
        let spec = spec_of(&m, &config());
        let observed = m.observe(&spec).await.unwrap();
        let changes = m.diff(&spec, &observed);
        let mantle: Vec<_> = changes
            .iter()
            .filter(|c| c.address == endpoint_address(MANTLE))
            .collect();
        assert_eq!(mantle.len(), 1, "{changes:#?}");
        assert_eq!(mantle[0].action, Action::NoOp);
        assert!(mantle[0]
            .note
            .as_deref()
            .unwrap()
            .contains("does not offer"));
        assert_eq!(
            changes
                .iter()
                .filter(|c| c.resource_type == "vpc_endpoint" && c.action == Action::Create)
                .count(),
            4
        );
        // Converged without it: outputs know the four others.
        let mut deployed = deployed(&resolved(&spec, &observed));
        deployed.offered_services = Some(vec![]);
        let out = m.planned_outputs(&spec, &deployed).unwrap();
        assert!(!out.endpoint_ids.contains_key(MANTLE));
        assert_eq!(out.endpoint_ids.len(), 4);
    }

    fn good_reads_without_offer(api: &mut MockEc2Api) {
        api.expect_find_vpc().returning(|id| {
            Ok(Some(VpcInfo {
                vpc_id: id.into(),
                cidr_blocks: vec!["10.0.0.0/16".into()],
            }))
        });
        api.expect_find_subnets().returning(|_| {
            Ok(vec![
                SubnetInfo {
                    subnet_id: "subnet-a".into(),
                    vpc_id: "vpc-1".into(),
                    availability_zone: "us-east-1a".into(),
                },
                SubnetInfo {
                    subnet_id: "subnet-b".into(),
                    vpc_id: "vpc-1".into(),
                    availability_zone: "us-east-1b".into(),
                },
            ])
        });
        api.expect_vpc_dns().returning(|_| {
            Ok(VpcDns {
                support: true,
                hostnames: true,
            })
        });
    }

    #[tokio::test]
    async fn private_only_adds_logs_and_an_s3_gateway_on_the_subnets_route_tables() {
        let mut api = MockEc2Api::new();
        good_reads(&mut api);
        api.expect_route_tables()
            .withf(|vpc| vpc == "vpc-1")
            .times(1)
            .returning(|_| {
                Ok(vec![
                    crate::api::RouteTableInfo {
                        route_table_id: "rtb-main".into(),
                        main: true,
                        subnet_ids: vec![],
                    },
                    crate::api::RouteTableInfo {
                        route_table_id: "rtb-a".into(),
                        main: false,
                        subnet_ids: vec!["subnet-a".into()],
                    },
                ])
            });
        api.expect_find_security_groups()
            .returning(|_, _| Ok(vec![]));
        api.expect_security_groups_tagged()
            .returning(|_, _| Ok(vec![]));
        api.expect_endpoints_tagged().returning(|_, _| Ok(vec![]));
        let m = NetworkModule::with_api(api, &ctx());
        let mut c = config();
        c.private_only = true;
        c.enable_bedrock_mantle_endpoint = false;
        c.extra_endpoint_services = vec![baseline_core::config::EndpointService::Logs];
        let spec = spec_of(&m, &c);
        let extra: Vec<_> = spec
            .endpoints
            .iter()
            .filter(|e| !e.service.starts_with("bedrock"))
            .map(|e| (e.service.as_str(), e.gateway, e.group))
            .collect();
        assert_eq!(
            extra,
            vec![
                ("logs", false, GroupRole::General),
                ("s3", true, GroupRole::General)
            ],
            "logs listed once"
        );
        let s3 = spec.endpoints.iter().find(|e| e.service == "s3").unwrap();
        let st = &s3.policy.statement[0];
        assert_eq!(
            st.condition_values("StringEquals", "aws:PrincipalAccount")
                .unwrap()
                .0,
            vec![spec.policy_ctx.account_id.clone()],
            "Principal * only with this account"
        );
        let observed = m.observe(&spec).await.unwrap();
        assert_eq!(observed.subnet_route_table_ids, vec!["rtb-a", "rtb-main"]);
        let changes = m.diff(&spec, &observed);
        let gateway = changes
            .iter()
            .find(|c| c.address == endpoint_address("s3"))
            .unwrap();
        let after = gateway
            .attributes
            .iter()
            .find(|a| a.name == "route_table_ids")
            .and_then(|a| a.after.clone())
            .unwrap();
        assert_eq!(after, serde_json::json!(["rtb-a", "rtb-main"]));
    }
}

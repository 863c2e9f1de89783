//! The network module's wiring: spec (pure), observe (live checks and the account reads, then
//! the groups, rules and endpoints of the stack), diff (pure), apply (groups, then endpoints
//! concurrently, waiting until `available`), destroy (endpoints first, then the groups). What
//! each resource kind reads, plans and writes is in its own file.

use crate::api::{Ec2Api, EndpointInfo, SdkEc2Api, SecurityGroupInfo};
use crate::checks::{live_checks, CheckReport};
use crate::endpoints::{self, needs_replacement, EndpointDesired, EndpointSpec, VpcEndpoint};
use crate::groups::{self, GroupRole, GroupSpec, ObservedGroup};
use crate::lookup::{policy_inputs, AccountLookup, PolicyInputs, SdkAccountLookup};
use crate::policies::{endpoint_policy, PolicyContext};
use crate::private_path::{offered_services, read_subnet_route_tables, skipped_endpoints};
use crate::{NetworkError, MODULE};
use async_trait::async_trait;
use baseline_core::ids::{SecurityGroupId, VpcEndpointId};
use baseline_core::progress::publish_outputs;
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::resource::ResourceKind;
use baseline_core::{AwsContext, Change, Config, DestroyOptions, Module, Progress, ProgressEvent};
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt, TryStreamExt};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Endpoints created or modified at the same time (EC2's mutating-call budget is shared by the
/// account; five keeps the Bedrock endpoints, `bedrock-mantle` included, fully parallel without
/// bursting).
const MAX_CONCURRENT_ENDPOINTS: usize = 5;

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

/// Where the endpoints go (shared by every endpoint; the live checks read these VPC and
/// subnets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// `vpc_id`.
    pub vpc_id: String,
    /// `subnet_ids`, in config order.
    pub subnet_ids: Vec<String>,
    /// `route_table_ids`, sorted.
    pub route_table_ids: Vec<String>,
    /// `enable_private_dns`.
    pub private_dns: bool,
    /// `private_only` without `route_table_ids`: the S3 Gateway endpoint goes on the route
    /// tables of `subnet_ids`, read by observe.
    pub route_tables_from_subnets: bool,
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

impl<A: Ec2Api> NetworkModule<A> {
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

    /// Reads the groups (by name in the VPC, and by stack tag) and the endpoints (by stack tag).
    async fn observe_resources(
        &self,
        spec: &NetworkSpec,
        checks: CheckReport,
    ) -> Result<NetworkObserved, NetworkError> {
        let (groups, endpoints) = futures::try_join!(
            groups::observe(&self.api, &spec.stack, &spec.placement.vpc_id, &spec.groups),
            endpoints::observe(&self.api, &spec.stack, &spec.endpoints),
        )?;
        Ok(NetworkObserved {
            checks,
            groups: groups.groups,
            stray_groups: groups.stray,
            endpoints: endpoints.endpoints,
            stray_endpoints: endpoints.stray,
            ..NetworkObserved::default()
        })
    }

    /// The role and inference-profile reads (none without a lookup).
    async fn policy_inputs(&self, spec: &NetworkSpec) -> Result<PolicyInputs, NetworkError> {
        match &self.lookup {
            Some(lookup) => {
                Ok(policy_inputs(lookup.as_ref(), &spec.policy_ctx, &spec.endpoints).await?)
            }
            None => Ok(PolicyInputs::default()),
        }
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
        let endpoints = endpoints::specs(config, naming, self.ctx.region(), &policy_ctx)
            .map_err(|issues| NetworkError::Precondition(PreconditionFailed { issues }))?;
        Ok(NetworkSpec {
            stack: naming.stack().to_owned(),
            placement,
            vpc_cidr: config.vpc_cidr,
            groups: groups::specs(config, naming),
            endpoints,
            wait_timeout: Duration::from_secs(config.endpoint_wait_timeout_seconds),
            policy_ctx,
        })
    }

    async fn observe(&self, spec: &NetworkSpec) -> Result<NetworkObserved, NetworkError> {
        // Independent reads: the account's (IAM, Bedrock) and the live checks' (EC2). Joined,
        // not try_joined, so an account read's error wins as when it ran first.
        let (inputs, checks) = futures::join!(
            self.policy_inputs(spec),
            live_checks(&self.api, &spec.placement, &spec.vpc_cidr),
        );
        let PolicyInputs {
            role_arn,
            profile_model_arns,
            role_issue,
        } = inputs?;
        let checks = match checks {
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
            offered_services(&self.api, &spec.endpoints),
            read_subnet_route_tables(&self.api, &spec.placement, &spec.endpoints),
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
        let vpc_id = &spec.placement.vpc_id;
        let mut changes: Vec<Change> = spec
            .groups
            .iter()
            .flat_map(|g| groups::changes(g, vpc_id, observed.groups.get(&g.role)))
            .collect();
        let zone_note = observed.checks.warnings.first();
        changes.extend(spec.endpoints.iter().map(|e| {
            let group_id = observed
                .groups
                .get(&e.group)
                .map(|o| o.info.group_id.as_str());
            let found = observed.endpoints.get(&e.service);
            let desired = EndpointDesired {
                spec: e,
                placement: &spec.placement,
                group_id,
                zone_note,
            };
            VpcEndpoint::plan(&e.address(), &desired, found).shown()
        }));
        changes.extend(skipped_endpoints(
            &original.endpoints,
            observed.offered_services.as_ref(),
            &original.policy_ctx.region,
        ));
        let stray = endpoints::stray_doomed(&spec.endpoints, &observed.stray_endpoints);
        changes.extend(
            endpoints::deletions(&stray)
                .into_iter()
                .map(|c| c.with_note("tagged with the stack but not in the configuration")),
        );
        changes.extend(observed.stray_groups.iter().map(|g| {
            groups::stray_delete(g)
                .with_note("tagged with the stack but not one of its groups in vpc_id")
        }));
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
        let vpc_id = &spec.placement.vpc_id;
        let ensured =
            futures::future::try_join_all(spec.groups.iter().map(|g| {
                groups::ensure(&self.api, vpc_id, g, observed.groups.get(&g.role), progress)
            }))
            .await?;
        let group_ids: BTreeMap<GroupRole, String> = ensured
            .iter()
            .map(|g| (g.role, g.group_id.clone()))
            .collect();
        let group_ids = &group_ids;
        // The rules and the endpoints side by side: an endpoint needs only its group's id, and
        // a new group admits nothing until its rules are in (it fails closed meanwhile).
        let rules = futures::future::try_join_all(
            spec.groups
                .iter()
                .zip(ensured)
                .map(|(g, ensured)| groups::converge_rules(&self.api, g, ensured, progress)),
        );
        // Boxed: a lazily mapped iterator of borrowing futures trips the higher-ranked lifetime
        // check of the `Send` future async_trait needs.
        let work: Vec<BoxFuture<'_, Result<(String, EndpointInfo), NetworkError>>> = spec
            .endpoints
            .iter()
            .map(|e| {
                let found = observed.endpoints.get(&e.service);
                endpoints::converge(&self.api, spec, e, found, group_ids, progress).boxed()
            })
            .collect();
        let endpoints = async {
            let endpoints: BTreeMap<String, EndpointInfo> = futures::stream::iter(work)
                .buffer_unordered(MAX_CONCURRENT_ENDPOINTS)
                .try_collect()
                .await?;
            // The groups and endpoints exist: what reads their ids (guardrails' policy, the
            // flow logs) may start while the rules and the strays are still being dealt with.
            let outputs = outputs(spec, &observed.checks, group_ids, &endpoints)
                .ok_or(NetworkError::Incomplete)?;
            publish_outputs(progress, &outputs);
            Ok::<_, NetworkError>(outputs)
        };
        let (_, outputs) = futures::try_join!(rules, endpoints)?;
        let stray = endpoints::stray_doomed(&spec.endpoints, &observed.stray_endpoints);
        endpoints::delete(&self.api, spec, &stray, progress).await?;
        let stray = groups::stray_doomed(&observed.stray_groups);
        groups::delete(&self.api, spec.wait_timeout, &stray, progress).await?;
        Ok(outputs)
    }

    fn destroy_plan(
        &self,
        spec: &NetworkSpec,
        observed: &NetworkObserved,
        _options: DestroyOptions,
    ) -> Vec<Change> {
        let doomed = endpoints::doomed(
            &spec.endpoints,
            &observed.endpoints,
            &observed.stray_endpoints,
        );
        let mut changes = endpoints::deletions(&doomed);
        changes.extend(groups::destroy_changes(
            &observed.groups,
            &observed.stray_groups,
        ));
        changes
    }

    async fn destroy(
        &self,
        spec: &NetworkSpec,
        observed: &NetworkObserved,
        _options: DestroyOptions,
        progress: &dyn Progress,
    ) -> Result<(), NetworkError> {
        let doomed = endpoints::doomed(
            &spec.endpoints,
            &observed.endpoints,
            &observed.stray_endpoints,
        );
        endpoints::delete(&self.api, spec, &doomed, progress).await?;
        let doomed = groups::doomed(&observed.groups, &observed.stray_groups);
        groups::delete(&self.api, spec.wait_timeout, &doomed, progress).await
    }
}

#[cfg(test)]
mod tests;

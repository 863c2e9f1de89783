//! `baseline-network`: the private network path to Bedrock.
//!
//! Owns three security groups (`<prefix>-bedrock-management`, `-runtime`, `-general`) in
//! `vpc_id`, their rules (ingress only TCP 443 from `management_allowed_cidrs`,
//! `runtime_allowed_cidrs` and `vpc_cidr`; egress only TCP 443 to `vpc_cidr`), and the VPC
//! endpoints: `bedrock` and `bedrock-agent` on the management group, `bedrock-runtime` and
//! `bedrock-agent-runtime` on the runtime group (each behind its `enable_bedrock_*_endpoint`
//! switch), `bedrock-mantle` on the runtime group where the region offers it
//! (`enable_bedrock_mantle_endpoint`), plus `extra_endpoint_services` and, with `private_only`,
//! `logs` and `s3` on the general group (`s3` as a Gateway endpoint on
//! `route_table_ids`). Endpoint policies are typed documents that admit only the application role
//! `bedrock_role_name` of this account (see [`endpoint_policy`]); `custom_endpoint_policies`
//! replaces one.
//!
//! Before planning anything, observe checks the live network (VPC, subnets, `vpc_cidr`, DNS
//! attributes) and fails with [`PreconditionFailed`](baseline_core::reconcile::PreconditionFailed)
//! (exit code 2) when it does not fit. Groups are found by name in the VPC, endpoints by the
//! `baseline:stack` and `baseline:endpoint` tags (with a deterministic client token on create),
//! so a re-run after a crash finds what exists. Destroy removes the endpoints, waits until they
//! are gone, then the groups.
//!
//! Inputs: none. Outputs: [`NetworkOutputs`] (security group ids, endpoint ids and DNS names by
//! service, a summary of the network).

mod api;
mod checks;
mod endpoints;
mod groups;
mod lookup;
mod module;
mod policies;
mod private_path;
mod rules;
mod tags;

#[cfg(any(test, feature = "mocks"))]
pub use api::MockEc2Api;
pub use api::{
    CreateEndpoint, Ec2Api, EndpointInfo, ModifyEndpoint, RouteTableInfo, RuleSpec, SdkEc2Api,
    SecurityGroupInfo, SecurityGroupRule, SubnetInfo, VpcDns, VpcInfo,
};
pub use checks::CheckReport;
pub use endpoints::{EndpointSpec, ENDPOINT_TAG};
pub use groups::{GroupRole, GroupSpec, ObservedGroup};
#[cfg(any(test, feature = "mocks"))]
pub use lookup::MockAccountLookup;
pub use lookup::{AccountLookup, SdkAccountLookup};
pub use module::{
    NetworkModule, NetworkObserved, NetworkOutputs, NetworkSpec, NetworkSummary, Placement,
    SecurityGroupIds,
};
pub use policies::{
    endpoint_policy, PolicyContext, ADMIN_ACTIONS, ADMIN_SID, AGENT_ACTIONS, AGENT_RUNTIME_ACTIONS,
    MANAGEMENT_ACTIONS, MANTLE_ACTIONS,
};
pub use private_path::MANTLE;

use baseline_core::aws::ApiError;
use baseline_core::reconcile::PreconditionFailed;

/// The module's name: its plan addresses' prefix and the value of its `baseline:module` tag.
const MODULE: &str = "network";

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// An EC2 call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The live network or the endpoint policies do not fit the configuration; nothing was
    /// changed. The issues carry the config keys and the fixes.
    #[error("the network checks failed; nothing was changed")]
    Precondition(#[source] PreconditionFailed),
    /// An endpoint went to `failed` (or `rejected`, `expired`, `deleted`) while apply waited.
    #[error("endpoint {endpoint_id} ({service}) is {state}: {message}")]
    EndpointFailed {
        /// Service, e.g. `bedrock-runtime`.
        service: String,
        /// `vpce-...`.
        endpoint_id: String,
        /// Its state.
        state: String,
        /// AWS's reason.
        message: String,
    },
    /// An endpoint did not become available (or gone) within `endpoint_wait_timeout_seconds`.
    #[error("endpoint {endpoint_id} ({service}) was still {state} after {waited_seconds} s; raise endpoint_wait_timeout_seconds or check the endpoint in the console")]
    WaitTimeout {
        /// Service.
        service: String,
        /// `vpce-...`.
        endpoint_id: String,
        /// Its last state.
        state: String,
        /// Seconds waited.
        waited_seconds: u64,
    },
    /// An endpoint disappeared while apply waited for it (deleted by someone else).
    #[error(
        "endpoint {endpoint_id} ({service}) disappeared while apply waited for it; run apply again"
    )]
    EndpointVanished {
        /// Service.
        service: String,
        /// `vpce-...`.
        endpoint_id: String,
    },
    /// A security group stayed in use (network interfaces of endpoints still detaching, or a
    /// resource outside this stack uses it).
    #[error("security group {group_id} is still in use after {waited_seconds} s; detach what uses it and run destroy again")]
    GroupInUse {
        /// `sg-...`.
        group_id: String,
        /// Seconds waited.
        waited_seconds: u64,
        /// The last DeleteSecurityGroup error.
        #[source]
        source: ApiError,
    },
    /// CreateVpcEndpoint kept answering with endpoints deleted since (client token replay).
    #[error("CreateVpcEndpoint for {service} kept returning deleted endpoints for its client token; run apply again later")]
    TokenReplayed {
        /// Service.
        service: String,
    },
    /// Apply finished without a group id (a bug: every group is created first).
    #[error("apply finished without the ids of all three security groups")]
    Incomplete,
}

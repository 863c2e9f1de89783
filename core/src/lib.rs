//! `baseline-core`: what every module of bedrock-baseline shares.
//!
//! - [`config`]: the config model (every variable of the original Terraform module, plus this
//!   tool's additions), layered loading with figment and validation that reports every problem at
//!   once, before any network call.
//! - [`aws`]: [`AwsContext`], the one `SdkConfig` (credential chain, region, endpoint override,
//!   retries) plus account id, stack and tags that every module receives.
//! - [`naming`]: deterministic names and the stack tags.
//! - [`event_rules`]: the EventBridge rules the config enables, by name, for the topic and key
//!   policies that admit exactly them.
//! - [`policy`]: typed IAM/KMS/S3/SNS policy documents, compared as parsed values, and
//!   [`policy::eval`], the evaluator that decides a request over them.
//! - [`access`]: the stack's access paths as data, checked with the evaluator.
//! - [`reconcile`]: the spec -> observe -> diff -> apply contract ([`Module`]), [`Change`],
//!   [`ModulePlan`], [`StackPlan`].
//! - [`write`]: writes that survive a lost answer.
//! - [`state`]: the state document and the local, locked, atomically written store.
//! - [`ids`]: newtypes for values that cross module boundaries.

pub mod access;
pub mod aws;
pub mod config;
pub mod event_rules;
pub mod ids;
pub mod naming;
pub mod policy;
pub mod poll;
pub mod progress;
pub mod reconcile;
pub mod resource;
pub mod state;
pub mod state_s3;
pub mod write;

pub use aws::{AwsContext, AwsOptions};
pub use config::Config;
pub use naming::Naming;
pub use progress::{Progress, ProgressEvent};
pub use reconcile::{
    Action, AttributeChange, Change, DestroyOptions, Module, ModulePlan, PlanSummary, StackPlan,
};

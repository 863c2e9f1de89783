//! `baseline-audit`: the read-only `bedrock-baseline audit` over one account and region.
//!
//! - [`read`]: gathers every service's data once, concurrently with a bound, into an
//!   [`Inventory`] of typed snapshots (a failed call is recorded as a reason, never a value);
//! - [`rules`]: the catalog, each rule data plus one pure check over the inventory (ids `BB-NN`
//!   after the rows of AUDIT-RULES.md §8);
//! - [`report`]: evaluation and the JSON / SARIF / JUnit / Markdown renderings.
//!
//! Inputs: an `AwsContext` and, optionally, the [`StackScope`] of a configured stack. Output: a
//! [`Report`]. The terminal table and exit codes belong to `baseline-cli`.

pub mod inventory;
pub mod inventory_more;
pub mod model;
pub mod read;
pub mod report;
pub mod rules;

pub use inventory::{Inventory, Missing, Read, StackScope};
pub use model::{Control, Finding, Framework, Scope, Severity, Status};
pub use read::{ReadProgress, Reader, DEFAULT_CONCURRENCY};
pub use report::{evaluate, Report};
pub use rules::{catalog, Rule};

//! The end-to-end tests against the local emulator, one module per area, in one test binary.
//!
//! One binary, not one per file: each links the whole AWS SDK, so seventeen of them cost about
//! 1.2 GB of disk and minutes of linking on two cores (a CI machine ran out of disk). nextest
//! still runs every test in its own process, so statics such as the call recorders stay per test.
//! Run one area with `cargo nextest run -p baseline-tests -E 'test(/^cli::/)'`.

mod access;
mod alerting;
mod audit;
mod audit_data;
mod cli;
mod cost;
mod crash;
mod emulator;
mod encryption;
mod flow_logs;
mod guardrails;
mod logging;
mod monitoring;
mod network;
mod private_endpoints;
mod stack;
mod stale_plan;

//! `cargo xtask`: the project's own commands, so a fresh machine needs nothing but cargo and
//! python3.
//!
//! - `emulator start|stop|status`: the pinned local AWS emulator (moto + plugin) in a venv under
//!   `target/`, detached, with a pid file.
//! - `test`: installs the emulator if missing, starts one for the run, runs every test.
//! - `deploy [--local] [--config F]`: builds and runs `bedrock-baseline apply`; `--local` starts the
//!   emulator, makes a stand-in VPC there and applies `examples/advanced.toml` to it.
//! - `bench`: timings and call counts of the main operations against a private emulator.

mod bench;
mod emulator;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "bedrock-baseline's project tasks")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Manage the local AWS emulator.
    Emulator(emulator::EmulatorArgs),
    /// Run every test (starts an emulator for the run).
    Test(emulator::TestArgs),
    /// Build and apply the stack (`--local`: against a local emulator with a stand-in VPC).
    Deploy(emulator::DeployArgs),
    /// Time and count API calls of apply, plan, no-op apply and destroy (plus a delayed pass).
    Bench(bench::BenchArgs),
}

fn main() -> anyhow::Result<()> {
    match Xtask::parse().task {
        Task::Emulator(args) => args.run(),
        Task::Test(args) => args.run(),
        Task::Deploy(args) => args.run(),
        Task::Bench(args) => args.run(),
    }
}

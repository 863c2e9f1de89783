//! `bedrock-baseline`: plan, apply, destroy and inspect the whole stack.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = baseline_cli::args::Cli::parse();
    baseline_cli::init_logging(cli.global.verbose);
    baseline_cli::run(cli, None).await
}

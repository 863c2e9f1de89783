//! `baseline-cost`: the cost module alone (`plan|apply|destroy --config F`); its upstream
//! outputs come from the state file or `--input MODULE.FIELD=VALUE`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = baseline_cli::args::Cli::parse_from(std::env::args_os());
    baseline_cli::init_logging(cli.global.verbose);
    baseline_cli::run(cli, Some("cost")).await
}

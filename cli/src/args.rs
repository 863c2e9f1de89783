//! Command-line arguments (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Deploys, keeps in shape and audits a hardened Amazon Bedrock environment.
///
/// Write one config file, run `plan`, run `apply`. Re-apply any time: a converged stack makes no
/// changes. Exit codes: 0 success, 1 error, 2 invalid configuration or failed pre-check
/// (and, with `plan --detailed-exitcode`, "changes pending").
#[derive(Debug, Parser)]
#[command(version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file (TOML, YAML or JSON). Default: `baseline.toml` when it exists.
    #[arg(
        short,
        long,
        global = true,
        value_name = "FILE",
        env = "BASELINE_CONFIG"
    )]
    pub config: Option<PathBuf>,
    /// Override one config key, e.g. `--set log_retention_days=30` (repeatable; values are TOML).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// AWS endpoint override (e.g. a local emulator); also read from AWS_ENDPOINT_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region (overrides the config's `region` and AWS_REGION).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS named profile.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG wins when set.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Never colour the output.
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Set an upstream output by hand, e.g. `--input encryption.kms_key_arn=arn:...` (for running one
    /// module alone; otherwise inputs come from the state file).
    #[arg(long = "input", global = true, value_name = "MODULE.FIELD=VALUE")]
    pub inputs: Vec<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration without calling AWS.
    Validate,
    /// Show what apply would change (read calls only).
    Plan(PlanArgs),
    /// Create or update the stack to match the configuration.
    Apply(ApplyArgs),
    /// Remove the stack (keeps audit data unless --delete-audit-data).
    Destroy(DestroyArgs),
    /// Print outputs from the state file.
    Output(OutputArgs),
    /// Rebuild the state from the live stack (found by name and tag), e.g. after losing it.
    Refresh,
    /// Remove a state lock left behind by a killed process (S3 backend).
    ForceUnlock,
    /// Audit the account's Bedrock security posture, rule by rule (read-only; exit 3 on FAILs
    /// at or above --fail-on). Works without a config; with one, stack rules look at its resources.
    Audit(AuditArgs),
    /// Read the deployed stack's policies back and evaluate every access path (who may and who
    /// may not reach what); exit 1 when a path is not as expected.
    CheckAccess,
}

/// `audit` options.
#[derive(Debug, Args, Clone)]
pub struct AuditArgs {
    /// Output format (`--json` is `--format json`).
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Only the rules supporting this framework, grouped by its controls.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["soc2", "hipaa", "iso27001", "gdpr"]))]
    pub framework: Option<String>,
    /// Exit 3 when a rule of this severity or higher FAILs.
    #[arg(long, default_value = "high", value_parser = clap::builder::PossibleValuesParser::new(["low", "medium", "high", "critical"]))]
    pub fail_on: String,
    /// Read calls in flight at most.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Show the stack's plan that fixes the FAILs on resources it owns (needs the stack's
    /// config), like `plan`; workload findings are listed with the change to make by hand.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: apply that plan (asks for confirmation unless --auto-approve).
    #[arg(long, requires = "fix")]
    pub apply: bool,
    /// With --fix --apply: do not ask for confirmation.
    #[arg(long, requires = "apply")]
    pub auto_approve: bool,
    /// With --fix: save the plan for `apply FILE` (the format of `plan --out`).
    #[arg(long, value_name = "FILE", requires = "fix", conflicts_with = "apply")]
    pub out: Option<PathBuf>,
}

/// `audit --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// Findings grouped by severity (the default on a terminal).
    Table,
    /// `{"rules": [...], "findings": [...]}`.
    Json,
    /// SARIF 2.1.0, for code-scanning UIs.
    Sarif,
    /// JUnit XML, one testcase per rule and resource.
    Junit,
    /// A Markdown report for a reviewer.
    Markdown,
}

/// `plan` options.
#[derive(Debug, Args, Default)]
pub struct PlanArgs {
    /// Exit 0 when nothing changes, 2 when something would change, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan only these modules (repeatable); their upstream outputs come from state.
    #[arg(long = "target", value_name = "MODULE")]
    pub targets: Vec<String>,
    /// Plan a destroy instead.
    #[arg(long)]
    pub destroy: bool,
    /// With --destroy: plan deleting audit data too.
    #[arg(long)]
    pub delete_audit_data: bool,
    /// Save the plan (with the config it was made from) for `apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `apply` options.
#[derive(Debug, Args, Default)]
pub struct ApplyArgs {
    /// A plan saved with `plan --out`: applied only if the live stack still matches it.
    pub plan_file: Option<PathBuf>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Apply only these modules (repeatable); their upstream outputs come from state.
    #[arg(long = "target", value_name = "MODULE")]
    pub targets: Vec<String>,
}

/// `destroy` options.
#[derive(Debug, Args, Default)]
pub struct DestroyArgs {
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Also delete the log bucket (emptied first) and the log groups. Audit data is kept otherwise.
    #[arg(long)]
    pub delete_audit_data: bool,
    /// Destroy only these modules (repeatable).
    #[arg(long = "target", value_name = "MODULE")]
    pub targets: Vec<String>,
}

/// `output` options.
#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// One output, by name (`kms_key_arn`) or `module.name`.
    pub name: Option<String>,
}

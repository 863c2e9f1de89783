//! Saved plans (`plan --out`, `audit --fix --out`): the plan with the exact config it was made
//! from, in a versioned format that `apply FILE` checks before reading anything else.

use std::path::Path;

use anyhow::Context;
use baseline_core::config::ConfigError;
use baseline_core::{Config, StackPlan};
use serde_json::Value;

/// A plan saved by `plan --out`: the plan and the exact config it was computed from.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SavedPlan {
    /// Format of this file.
    pub format_version: u32,
    /// The config the plan was made from (applied as is, whatever the files say now).
    pub config: Config,
    /// The plan.
    pub plan: StackPlan,
}

impl SavedPlan {
    /// The format this build writes and reads. 2: each change carries its operations
    /// (`Change::operations`), which the drift check of `apply FILE` compares too.
    pub const FORMAT_VERSION: u32 = 2;

    /// Writes `plan`, made from `config`, to `out` and says how to apply it (unless `quiet`).
    pub(crate) fn save(
        config: &Config,
        plan: StackPlan,
        out: &Path,
        quiet: bool,
    ) -> anyhow::Result<()> {
        let saved = Self {
            format_version: Self::FORMAT_VERSION,
            config: config.clone(),
            plan,
        };
        std::fs::write(out, serde_json::to_vec_pretty(&saved)?)
            .with_context(|| format!("writing {}", out.display()))?;
        if !quiet {
            println!(
                "\nSaved the plan to {0}: `bedrock-baseline apply {0}` applies exactly it.",
                out.display()
            );
        }
        Ok(())
    }
}

/// A plan file this build cannot apply: bad input, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{path} is a saved plan of format {found}, this build reads format {expected}: make the plan again with `plan --out`")]
pub struct SavedPlanFormat {
    path: String,
    found: String,
    expected: u32,
}

/// Reads a saved plan: its format first, then its config validated as any config is.
pub(crate) fn read(path: &Path) -> anyhow::Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading plan {}", path.display()))?;
    let raw: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a saved plan", path.display()))?;
    // The version first: a plan of another format must not be half-read into this one's types.
    let found = &raw["format_version"];
    if found.as_u64() != Some(u64::from(SavedPlan::FORMAT_VERSION)) {
        return Err(SavedPlanFormat {
            path: path.display().to_string(),
            found: if found.is_null() {
                "none".into()
            } else {
                found.to_string()
            },
            expected: SavedPlan::FORMAT_VERSION,
        }
        .into());
    }
    let saved: SavedPlan = serde_json::from_value(raw)
        .with_context(|| format!("{} is not a saved plan", path.display()))?;
    let issues = baseline_core::config::validate(&saved.config);
    if !issues.is_empty() {
        return Err(ConfigError::Invalid(issues).into());
    }
    Ok(saved)
}

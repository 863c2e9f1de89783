//! The module list and its dependency graph. Modules on one level run concurrently; outputs flow
//! from a level to the next.

use baseline_core::reconcile::DynModule;
use baseline_core::AwsContext;
use std::sync::Arc;

/// One module and the modules whose outputs it reads.
pub struct ModuleEntry {
    /// Module name.
    pub name: &'static str,
    /// Upstream modules.
    pub depends_on: &'static [&'static str],
    /// The module.
    pub module: Arc<dyn DynModule>,
}

/// Every module, in a valid order.
pub fn registry(ctx: &AwsContext) -> Vec<ModuleEntry> {
    vec![
        ModuleEntry {
            name: "encryption",
            depends_on: &[],
            module: Arc::new(baseline_encryption::EncryptionModule::new(ctx)),
        },
        ModuleEntry {
            name: "network",
            depends_on: &[],
            module: Arc::new(baseline_network::NetworkModule::new(ctx)),
        },
        ModuleEntry {
            name: "logging",
            // network too: the flow logs go on its endpoints' interfaces (level 1 either way).
            depends_on: &["encryption", "network"],
            module: Arc::new(baseline_logging::LoggingModule::new(ctx)),
        },
        ModuleEntry {
            name: "alerting",
            depends_on: &["encryption"],
            module: Arc::new(baseline_alerting::AlertingModule::new(ctx)),
        },
        ModuleEntry {
            name: "guardrails",
            depends_on: &["encryption", "network"],
            module: Arc::new(baseline_guardrails::GuardrailsModule::new(ctx)),
        },
        ModuleEntry {
            name: "monitoring",
            // encryption, logging, network: the tamper rules watch the key, bucket, endpoints.
            depends_on: &["alerting", "guardrails", "encryption", "logging", "network"],
            module: Arc::new(baseline_monitoring::MonitoringModule::new(ctx)),
        },
        // After encryption too: the key policy must admit Budgets and Cost Anomaly Detection
        // before they publish to the (encrypted) cost topic.
        ModuleEntry {
            name: "cost",
            depends_on: &["alerting", "encryption"],
            module: Arc::new(baseline_cost::CostModule::new(ctx)),
        },
    ]
}

/// Names of every module, without building clients (for `--target` checks and help).
pub const MODULE_NAMES: &[&str] = &[
    "encryption",
    "network",
    "logging",
    "alerting",
    "guardrails",
    "monitoring",
    "cost",
];

/// Groups entries into levels: level n depends only on levels < n. Dependencies on modules
/// not in `entries` (filtered out with `--target`) are ignored.
pub fn levels(entries: &[ModuleEntry]) -> Vec<Vec<usize>> {
    let mut level_of: Vec<Option<usize>> = vec![None; entries.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (i, e) in entries.iter().enumerate() {
            if level_of[i].is_some() {
                continue;
            }
            let mut lvl = Some(0);
            for dep in e.depends_on {
                if let Some(j) = entries.iter().position(|x| x.name == *dep) {
                    lvl = match (lvl, level_of[j]) {
                        (Some(l), Some(d)) => Some(l.max(d + 1)),
                        _ => None,
                    };
                }
            }
            if let Some(l) = lvl {
                level_of[i] = Some(l);
                changed = true;
            }
        }
    }
    let max = level_of.iter().flatten().max().copied().unwrap_or(0);
    (0..=max)
        .map(|l| {
            (0..entries.len())
                .filter(|i| level_of[*i] == Some(l))
                .collect()
        })
        .filter(|v: &Vec<usize>| !v.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dummy;
    #[async_trait::async_trait]
    impl DynModule for Dummy {
        fn name(&self) -> &'static str {
            "dummy"
        }
        async fn prepare(
            &self,
            _: &baseline_core::Config,
            _: &baseline_core::reconcile::Upstream,
            _: Option<baseline_core::DestroyOptions>,
        ) -> Result<baseline_core::reconcile::Prepared, baseline_core::reconcile::DynError>
        {
            Err("unused".into())
        }
        async fn execute(
            &self,
            _: &baseline_core::reconcile::Prepared,
            _: &dyn baseline_core::Progress,
        ) -> Result<serde_json::Value, baseline_core::reconcile::DynError> {
            Err("unused".into())
        }
    }

    fn entry(name: &'static str, depends_on: &'static [&'static str]) -> ModuleEntry {
        ModuleEntry {
            name,
            depends_on,
            module: Arc::new(Dummy),
        }
    }

    #[test]
    fn the_design_graph_has_three_levels() {
        let entries = vec![
            entry("encryption", &[]),
            entry("network", &[]),
            entry("logging", &["encryption"]),
            entry("alerting", &["encryption"]),
            entry("guardrails", &["encryption", "network"]),
            entry("monitoring", &["alerting", "guardrails"]),
        ];
        let names: Vec<Vec<&str>> = levels(&entries)
            .iter()
            .map(|l| l.iter().map(|i| entries[*i].name).collect())
            .collect();
        assert_eq!(
            names,
            vec![
                vec!["encryption", "network"],
                vec!["logging", "alerting", "guardrails"],
                vec!["monitoring"]
            ]
        );
    }

    #[test]
    fn missing_dependencies_are_ignored() {
        let entries = vec![entry("monitoring", &["alerting", "guardrails"])];
        assert_eq!(levels(&entries), vec![vec![0]]);
    }
}

//! The module list. Each module declares its name and the modules whose outputs it reads
//! ([`baseline_core::reconcile::FromUpstream::UPSTREAM`]); that is the dependency graph the
//! orchestrator runs along.

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

impl ModuleEntry {
    /// The entry of `module`, with the name and upstream it declares.
    pub fn of(module: Arc<dyn DynModule>) -> Self {
        Self {
            name: module.name(),
            depends_on: module.depends_on(),
            module,
        }
    }
}

/// Every module, in a valid order.
pub fn registry(ctx: &AwsContext) -> Vec<ModuleEntry> {
    let modules: [Arc<dyn DynModule>; 7] = [
        Arc::new(baseline_encryption::EncryptionModule::new(ctx)),
        Arc::new(baseline_network::NetworkModule::new(ctx)),
        Arc::new(baseline_logging::LoggingModule::new(ctx)),
        Arc::new(baseline_alerting::AlertingModule::new(ctx)),
        Arc::new(baseline_guardrails::GuardrailsModule::new(ctx)),
        Arc::new(baseline_monitoring::MonitoringModule::new(ctx)),
        Arc::new(baseline_cost::CostModule::new(ctx)),
    ];
    modules.into_iter().map(ModuleEntry::of).collect()
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
        fn depends_on(&self) -> &'static [&'static str] {
            &[]
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
        async fn prepare_again(
            &self,
            _: &baseline_core::Config,
            _: &baseline_core::reconcile::Upstream,
            _: baseline_core::reconcile::Prepared,
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

    #[tokio::test]
    async fn the_real_registry_has_three_levels_and_the_listed_names() {
        let ctx = AwsContext::offline(baseline_core::Naming::new(
            "demo-prod",
            std::collections::BTreeMap::new(),
        ));
        let entries = registry(&ctx);
        let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
        assert_eq!(names, MODULE_NAMES);
        let levels: Vec<Vec<&str>> = levels(&entries)
            .iter()
            .map(|l| l.iter().map(|i| entries[*i].name).collect())
            .collect();
        assert_eq!(
            levels,
            vec![
                vec!["encryption", "network"],
                vec!["logging", "alerting", "guardrails"],
                vec!["monitoring", "cost"]
            ]
        );
        // Every dependency names a module of the registry.
        for e in &entries {
            for d in e.depends_on {
                assert!(
                    MODULE_NAMES.contains(d),
                    "{} depends on unknown {d}",
                    e.name
                );
            }
        }
    }

    #[test]
    fn missing_dependencies_are_ignored() {
        let entries = vec![entry("monitoring", &["alerting", "guardrails"])];
        assert_eq!(levels(&entries), vec![vec![0]]);
    }
}

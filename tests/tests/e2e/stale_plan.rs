//! `apply` executes the plan it was given, not a new one: a plan made before the account drifted
//! again writes exactly what it listed. Drift that happened after the plan, on a resource the plan
//! changes and on one it leaves alone, stays until the next plan shows it.

use aws_sdk_cloudwatchlogs::Client as LogsClient;
use aws_sdk_kms::Client as KmsClient;
use baseline_cli::orchestrator::{Orchestrator, StateRecorder};
use baseline_cli::registry::registry;
use baseline_core::progress::NoProgress;
use baseline_core::reconcile::{Operation, Upstream};
use baseline_core::{Action, AwsContext, Config, DestroyOptions};
use baseline_tests::{context, example_config_with, isolate, sdk_config, stack_sets, unique_env};

/// Plans the whole stack (read calls only).
async fn plan(
    config: &Config,
    ctx: &AwsContext,
) -> (
    Orchestrator<'static>,
    baseline_cli::orchestrator::PreparedStack,
) {
    let config: &'static Config = Box::leak(Box::new(config.clone()));
    let orchestrator = Orchestrator::new(config, registry(ctx), Upstream::default());
    let prepared = orchestrator
        .prepare(
            &config.prefix(),
            Operation::Apply,
            DestroyOptions::default(),
        )
        .await
        .expect("plan");
    (orchestrator, prepared)
}

async fn apply(
    orchestrator: &Orchestrator<'_>,
    prepared: baseline_cli::orchestrator::PreparedStack,
) -> serde_json::Value {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let recorder = StateRecorder::new(tx, &NoProgress);
    let outputs = orchestrator
        .apply(prepared, &recorder)
        .await
        .expect("apply");
    serde_json::to_value(outputs).unwrap()
}

/// The changed resources of a plan as `(address, action)`.
fn changed(prepared: &baseline_cli::orchestrator::PreparedStack) -> Vec<(String, Action)> {
    prepared
        .plan
        .modules
        .iter()
        .flat_map(|m| &m.changes)
        .filter(|c| c.is_change())
        .map(|c| (c.address.clone(), c.action))
        .collect()
}

#[tokio::test]
async fn a_stale_plan_writes_only_what_it_listed() {
    // Bedrock's invocation-logging configuration is one per account and region: another test's
    // stack changing it would show in this stack's plans.
    isolate();
    let env = unique_env("stale");
    let config = example_config_with("advanced", &env, stack_sets(&env));
    let ctx = context(&config).await;
    let (orchestrator, prepared) = plan(&config, &ctx).await;
    let outputs = apply(&orchestrator, prepared).await;
    let key_id = outputs["encryption"]["kms_key_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let log_group = outputs["logging"]["log_group_name"]
        .as_str()
        .unwrap()
        .to_owned();

    let conf = sdk_config().await;
    let kms = KmsClient::new(&conf);
    let logs = LogsClient::new(&conf);

    // Drift the plan will see: rotation off.
    kms.disable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let (orchestrator, stale) = plan(&config, &ctx).await;
    assert_eq!(
        changed(&stale),
        vec![("encryption.kms_key".to_owned(), Action::Update)]
    );
    let planned_attributes: Vec<String> = stale.plan.modules[0]
        .changes
        .iter()
        .flat_map(|c| c.attributes.iter().map(|a| a.name.clone()))
        .collect();
    assert_eq!(planned_attributes, vec!["enable_key_rotation".to_owned()]);

    // Drift after the plan: the same key's description, and another module's log group retention.
    kms.update_key_description()
        .key_id(&key_id)
        .description("changed after the plan")
        .send()
        .await
        .unwrap();
    logs.put_retention_policy()
        .log_group_name(&log_group)
        .retention_in_days(1)
        .send()
        .await
        .unwrap();

    let before = ctx.call_log().writes().len();
    apply(&orchestrator, stale).await;
    let writes: Vec<String> = ctx.call_log().writes()[before..]
        .iter()
        .map(|c| format!("{}:{}", c.service, c.operation))
        .collect();
    assert_eq!(
        writes,
        vec!["KMS:EnableKeyRotation".to_owned()],
        "the stale plan listed one attribute of one resource"
    );

    // The later drift is still there, and the next plan shows exactly it.
    let (_, fresh) = plan(&config, &ctx).await;
    let mut now = changed(&fresh);
    now.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        now,
        vec![
            ("encryption.kms_key".to_owned(), Action::Update),
            ("logging.log_group".to_owned(), Action::Update),
        ],
        "{:#?}",
        fresh.plan
    );
}

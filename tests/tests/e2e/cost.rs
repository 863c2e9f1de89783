//! The cost module end to end against the emulator: the advanced example with budgets on,
//! applied after encryption and alerting (so the budget and the anomaly subscription publish to
//! the stack's real, encrypted cost topic), read back through the SDK, applied again with zero
//! writes, a threshold change updating exactly that notification, drift repaired, destroy.
//!
//! Emulator difference: Budgets and Cost Explorer never send anything here; that publishing is
//! allowed is shown by the topic and key policies read back (the access paths).

use baseline_alerting::{AlertingInputs, AlertingModule};
use baseline_core::ids::TopicArn;
use baseline_core::policy::{PolicyDocument, Principal};
use baseline_core::{Action, AwsContext, Change, Config, DestroyOptions};
use baseline_cost::{
    AnomalySubscription, CostApi, CostInputs, CostModule, CostOutputs, SdkCostApi, Subscriber,
};
use baseline_tests::{
    apply_module, changed, cli, context, emulator, example_config, plan_module, sdk_config,
    stack_key, text, unique_env, workspace_root, ACCOUNT_ID as ACCOUNT,
};
use std::collections::BTreeMap;

/// Applies encryption and alerting; returns the topic ARNs (and the key ARN).
async fn upstream(ctx: &AwsContext, config: &Config) -> (BTreeMap<String, TopicArn>, String) {
    let key = stack_key(ctx, config).await;
    let inputs = AlertingInputs {
        kms_key_arn: Some(key.clone()),
    };
    let out = apply_module(&AlertingModule::new(ctx), config, &inputs).await;
    (out.topic_arns, key.0)
}

async fn plan(m: &CostModule, config: &Config, inputs: &CostInputs) -> Vec<Change> {
    plan_module(m, config, inputs).await.changes
}

async fn apply(m: &CostModule, config: &Config, inputs: &CostInputs) -> CostOutputs {
    apply_module(m, config, inputs).await
}

/// The anomaly subscription the apply that returned `out` made, read back.
async fn subscription_of(api: &SdkCostApi, out: &CostOutputs) -> AnomalySubscription {
    api.anomaly_subscriptions()
        .await
        .unwrap()
        .into_iter()
        .find(|s| Some(&s.arn) == out.anomaly_subscription_arn.as_ref())
        .unwrap()
}

/// Write operations the context's clients made since `before`.
fn writes_since(ctx: &AwsContext, before: usize) -> Vec<String> {
    ctx.call_log()
        .writes()
        .into_iter()
        .skip(before)
        .map(|c| format!("{c:?}"))
        .collect()
}

fn budget_sets() -> Vec<&'static str> {
    vec![
        "enable_budget_monitoring=true",
        "bedrock_monthly_budget_limit=\"750\"",
        "budget_notification_email=\"finops@example.com\"",
        "budget_critical_emails=[\"cto@example.com\"]",
        "budget_anomaly_emails=[\"anomalies@example.com\"]",
        "budget_anomaly_threshold=150",
        "budget_cost_filter_tags={Project=[\"bedrock\"]}",
    ]
}

#[tokio::test]
async fn budgets_and_anomaly_detection_end_to_end() {
    let mut config = example_config("advanced", &unique_env("cost"), &budget_sets());
    let ctx = context(&config).await;
    let (topics, key_arn) = upstream(&ctx, &config).await;
    let topic = topics["cost"].clone();
    let inputs = CostInputs {
        topic_arns: Some(topics.clone()),
    };
    let m = CostModule::new(&ctx);
    let api = SdkCostApi::new(&ctx);
    let budget_name = format!("{}-bedrock-monthly-cost", config.prefix());

    // The cost topic's policy and the key policy admit Budgets and Cost Anomaly Detection.
    let sns = aws_sdk_sns::Client::new(&sdk_config().await);
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(topic.as_str())
        .send()
        .await
        .unwrap();
    let policy = PolicyDocument::parse(&attrs.attributes().unwrap()["Policy"]).unwrap();
    for (sid, service) in [
        ("BudgetsPublish", "budgets.amazonaws.com"),
        ("CostAnomalyDetectionPublish", "costalerts.amazonaws.com"),
    ] {
        let st = policy.statement(sid).unwrap_or_else(|| panic!("{sid}"));
        assert!(matches!(&st.principal, Some(Principal::Map(p)) if p["Service"].contains(service)));
        assert!(st
            .condition_values("StringEquals", "aws:SourceAccount")
            .is_some());
        assert!(st.condition_values("ArnLike", "aws:SourceArn").is_some());
    }
    let kms = aws_sdk_kms::Client::new(&sdk_config().await);
    let key_policy = kms
        .get_key_policy()
        .key_id(&key_arn)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    let key_policy = PolicyDocument::parse(key_policy.policy().unwrap()).unwrap();
    assert!(key_policy.statement("BudgetsUse").is_some());
    assert!(key_policy.statement("CostAnomalyDetectionUse").is_some());

    // From empty: the budget, three notifications, the monitor and the subscription.
    let first = plan(&m, &config, &inputs).await;
    assert_eq!(
        changed(&first),
        vec![
            ("cost.budget".to_owned(), Action::Create),
            (
                r#"cost.budget_notification["warning"]"#.to_owned(),
                Action::Create
            ),
            (
                r#"cost.budget_notification["critical"]"#.to_owned(),
                Action::Create
            ),
            (
                r#"cost.budget_notification["forecast"]"#.to_owned(),
                Action::Create
            ),
            ("cost.anomaly_monitor".to_owned(), Action::Create),
            ("cost.anomaly_subscription".to_owned(), Action::Create),
        ]
    );
    assert!(first[0].note.as_deref().unwrap().contains("account-wide"));
    let out = apply(&m, &config, &inputs).await;
    assert_eq!(out.budget_names, vec![budget_name.clone()]);
    let monitor_arn = out.anomaly_monitor_arn.clone().unwrap();
    assert!(monitor_arn.starts_with(&format!("arn:aws:ce::{ACCOUNT}:anomalymonitor/")));
    let summary = out.budget_summary.clone().unwrap();
    assert_eq!(summary.limit, "750");
    assert_eq!(summary.services, vec!["Amazon Bedrock"]);

    // Read back.
    let budget = api
        .describe_budget(ACCOUNT, &budget_name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(budget.limit_amount, "750");
    assert_eq!(budget.cost_filters["Service"], vec!["Amazon Bedrock"]);
    assert_eq!(
        budget.cost_filters["TagKeyValue"],
        vec!["user:Project$bedrock"]
    );
    let mut notifications = api.notifications(ACCOUNT, &budget_name).await.unwrap();
    notifications.sort_by(|a, b| {
        a.notification
            .threshold
            .total_cmp(&b.notification.threshold)
    });
    let kinds: Vec<(&str, f64)> = notifications
        .iter()
        .map(|n| {
            (
                n.notification.notification_type.as_str(),
                n.notification.threshold,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![("ACTUAL", 50.0), ("ACTUAL", 80.0), ("FORECASTED", 100.0)]
    );
    for n in &notifications {
        assert!(n.subscribers.contains(&Subscriber::sns(topic.as_str())));
        assert!(n
            .subscribers
            .contains(&Subscriber::email("finops@example.com")));
    }
    assert!(notifications[1]
        .subscribers
        .contains(&Subscriber::email("cto@example.com")));
    let monitor = api
        .anomaly_monitors()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.arn == monitor_arn)
        .unwrap();
    assert_eq!(
        (monitor.monitor_type.as_str(), monitor.dimension.as_deref()),
        ("DIMENSIONAL", Some("SERVICE"))
    );
    let sub = subscription_of(&api, &out).await;
    assert_eq!(sub.monitor_arns, vec![monitor_arn.clone()]);
    assert_eq!(sub.frequency, "DAILY");
    assert_eq!(sub.threshold, Some(150.0));
    assert!(sub
        .subscribers
        .contains(&Subscriber::email("anomalies@example.com")));

    // Second apply: no change, no write call.
    assert!(changed(&plan(&m, &config, &inputs).await).is_empty());
    let before = ctx.call_log().writes().len();
    assert_eq!(apply(&m, &config, &inputs).await, out);
    assert_eq!(writes_since(&ctx, before), Vec::<String>::new());

    // A threshold change updates exactly that notification, with one write.
    config.budget_critical_threshold = 90.0;
    assert_eq!(
        changed(&plan(&m, &config, &inputs).await),
        vec![(
            r#"cost.budget_notification["critical"]"#.to_owned(),
            Action::Update
        )]
    );
    let before = ctx.call_log().writes().len();
    apply(&m, &config, &inputs).await;
    let writes = writes_since(&ctx, before);
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(writes[0].contains("UpdateNotification"), "{writes:?}");
    let thresholds: Vec<f64> = api
        .notifications(ACCOUNT, &budget_name)
        .await
        .unwrap()
        .iter()
        .map(|n| n.notification.threshold)
        .collect();
    assert!(
        thresholds.contains(&90.0) && !thresholds.contains(&80.0),
        "{thresholds:?}"
    );
    let critical = api
        .notifications(ACCOUNT, &budget_name)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.notification.threshold == 90.0)
        .unwrap();
    assert!(critical
        .subscribers
        .contains(&Subscriber::email("cto@example.com")));

    // Drift: a subscriber removed behind the tool's back, a limit changed: both repaired.
    api.delete_subscriber(
        ACCOUNT,
        &budget_name,
        &critical.notification,
        &Subscriber::email("cto@example.com"),
    )
    .await
    .unwrap();
    let mut drifted = budget.clone();
    drifted.limit_amount = "5".into();
    api.update_budget(ACCOUNT, &drifted).await.unwrap();
    assert_eq!(
        changed(&plan(&m, &config, &inputs).await),
        vec![
            ("cost.budget".to_owned(), Action::Update),
            (
                r#"cost.budget_notification["critical"]"#.to_owned(),
                Action::Update
            ),
        ]
    );
    apply(&m, &config, &inputs).await;
    assert!(changed(&plan(&m, &config, &inputs).await).is_empty());

    // Anomaly threshold and frequency changes update the subscription in place.
    config.budget_anomaly_threshold = 300.0;
    config.budget_anomaly_frequency = baseline_core::config::AnomalyFrequency::Weekly;
    assert_eq!(
        changed(&plan(&m, &config, &inputs).await),
        vec![("cost.anomaly_subscription".to_owned(), Action::Update)]
    );
    apply(&m, &config, &inputs).await;
    assert!(changed(&plan(&m, &config, &inputs).await).is_empty());

    // Destroy removes subscription, monitor and budget.
    let planned = plan_module(&m, &config, &inputs).await;
    let deletes: Vec<String> = planned
        .destroy_plan(&m, DestroyOptions::default())
        .into_iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address)
        .collect();
    assert_eq!(
        deletes,
        vec![
            "cost.anomaly_subscription",
            "cost.anomaly_monitor",
            "cost.budget"
        ]
    );
    planned.destroy(&m, DestroyOptions::default()).await;
    assert!(api
        .describe_budget(ACCOUNT, &budget_name)
        .await
        .unwrap()
        .is_none());
    assert!(api
        .anomaly_monitors()
        .await
        .unwrap()
        .iter()
        .all(|x| x.arn != monitor_arn));
    assert!(plan_module(&m, &config, &inputs)
        .await
        .destroy_plan(&m, DestroyOptions::default())
        .is_empty());
}

#[tokio::test]
async fn immediate_alerts_go_to_the_cost_topic_and_no_topic_means_e_mail_only() {
    let config = example_config(
        "advanced",
        &unique_env("cost-imm"),
        &[
            "budget_anomaly_frequency=\"IMMEDIATE\"",
            "budget_notification_email=\"finops@example.com\"",
        ],
    );
    let ctx = context(&config).await;
    let (topics, _) = upstream(&ctx, &config).await;
    let m = CostModule::new(&ctx);
    let inputs = CostInputs {
        topic_arns: Some(topics.clone()),
    };
    let out = apply(&m, &config, &inputs).await;
    let api = SdkCostApi::new(&ctx);
    let sub = subscription_of(&api, &out).await;
    assert_eq!(sub.frequency, "IMMEDIATE");
    assert_eq!(
        sub.subscribers.into_iter().collect::<Vec<_>>(),
        vec![Subscriber::sns(topics["cost"].as_str())]
    );

    // The same stack without a cost topic (alerting ran and made none): the budget keeps its
    // e-mail subscribers and drops the topic; IMMEDIATE has nowhere to go, so the plan says why
    // the subscription goes.
    let no_topic = CostInputs {
        topic_arns: Some(BTreeMap::new()),
    };
    let changes = plan(&m, &config, &no_topic).await;
    assert!(changes.iter().any(|c| c
        .note
        .as_deref()
        .is_some_and(|n| n.contains("no cost topic"))));
    apply(&m, &config, &no_topic).await;
    let budget_name = format!("{}-bedrock-monthly-cost", config.prefix());
    for n in api.notifications(ACCOUNT, &budget_name).await.unwrap() {
        assert!(n.subscribers.iter().all(|s| s.kind == "EMAIL"), "{n:?}");
    }
    let planned = plan_module(&m, &config, &no_topic).await;
    assert!(planned.observed.subscription.is_none());
    planned.destroy(&m, DestroyOptions::default()).await;
}

/// Refused keys exit 2 before any API call, naming the key and a hint.
#[test]
fn refused_budget_settings_exit_2_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    for (set, key, hint) in [
        (
            "enable_token_budget_monitoring=true",
            "enable_token_budget_monitoring",
            "set it to false",
        ),
        (
            "budget_anomaly_frequency=\"MONTHLY\"",
            "budget_anomaly_frequency",
            "IMMEDIATE",
        ),
        (
            "budget_warning_threshold=95",
            "budget_warning_threshold",
            "must differ",
        ),
    ] {
        let out = cli(dir.path())
            .args(["plan", "--endpoint-url", emulator().url(), "--config"])
            .arg(workspace_root().join("examples/advanced.toml"))
            .args(["--set", "environment=\"refused\"", "--set", set])
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(2), "{set}: {all}");
        assert!(all.contains(key) && all.contains(hint), "{set}: {all}");
    }
}

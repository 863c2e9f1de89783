//! The alerting module end to end against the emulator: topics encrypted with the stack's real
//! KMS key (encryption is applied first), the typed topic policy, the advanced example's
//! subscriptions, idempotence, drift in both directions, `enable_alerting = false` and destroy.
//!
//! Emulator difference: moto confirms every subscription at once (e-mail included: it lists a
//! real subscription ARN, `PendingConfirmation` false), whereas AWS lists an e-mail subscription
//! as `PendingConfirmation` until the recipient clicks the link. So here the advanced example's
//! e-mail subscriptions converge to confirmed no-ops; on AWS they plan as no-ops noted "pending
//! confirmation" until confirmed. That pending path (never re-subscribed, never unsubscribed by
//! ARN) is covered by the crate's unit tests, which feed `PendingConfirmation` listings to diff
//! and apply.

use baseline_alerting::{AlertingInputs, AlertingModule, AlertingOutputs};
use baseline_core::config::{Subscription, SubscriptionProtocol};
use baseline_core::policy::PolicyDocument;
use baseline_core::{Action, AwsContext, Change, Config, DestroyOptions, Module};
use baseline_encryption::EncryptionModule;
use baseline_tests::{
    apply_module, changed, context, destroy_module, example_config, has_stack_tag, plan_module,
    sdk_config, stack_key, unique_env,
};
use std::collections::BTreeMap;

async fn plan(m: &AlertingModule, config: &Config, inputs: &AlertingInputs) -> Vec<Change> {
    plan_module(m, config, inputs).await.changes
}

async fn apply(m: &AlertingModule, config: &Config, inputs: &AlertingInputs) -> AlertingOutputs {
    apply_module(m, config, inputs).await
}

async fn sns() -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&sdk_config().await)
}

/// (protocol, endpoint) of every subscription of a topic, sorted.
async fn subscriptions(client: &aws_sdk_sns::Client, topic_arn: &str) -> Vec<(String, String)> {
    let out = client
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .send()
        .await
        .unwrap();
    let mut subs: Vec<_> = out
        .subscriptions()
        .iter()
        .map(|s| {
            (
                s.protocol().unwrap_or_default().to_owned(),
                s.endpoint().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    subs.sort();
    subs
}

fn pair(protocol: &str, endpoint: &str) -> (String, String) {
    (protocol.to_owned(), endpoint.to_owned())
}

#[tokio::test]
async fn creates_encrypted_topics_then_converges_subscriptions_both_ways() {
    let mut config = example_config("advanced", &unique_env("alerting"), &[]);
    let ctx = context(&config).await;
    let key = stack_key(&ctx, &config).await;
    let inputs = AlertingInputs {
        kms_key_arn: Some(key.clone()),
    };
    let m = AlertingModule::new(&ctx);
    let prefix = config.prefix();

    // From empty: three topics, three policies, the example's four subscriptions.
    let first = plan(&m, &config, &inputs).await;
    assert!(
        first.iter().all(|c| c.action == Action::Create),
        "{first:#?}"
    );
    assert_eq!(
        first
            .iter()
            .filter(|c| c.resource_type == "sns_topic")
            .count(),
        3
    );
    assert!(first
        .iter()
        .any(|c| c.address == r#"alerting.subscription["critical/ops-team-email"]"#));
    let out = apply(&m, &config, &inputs).await;
    assert_eq!(
        out.topic_arns
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec!["cost", "critical", "performance"]
    );

    let client = sns().await;
    let spec = m.spec(&config, &inputs).unwrap();
    for t in &spec.topics {
        let arn = out.topic_arns[&t.key].as_str();
        assert_eq!(
            arn,
            format!("arn:aws:sns:us-east-1:123456789012:{prefix}-{}", t.key)
        );
        let attrs = client
            .get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await
            .unwrap();
        let attrs = attrs.attributes().unwrap();
        assert_eq!(
            attrs.get("KmsMasterKeyId").map(String::as_str),
            Some(key.as_str()),
            "{} encrypted with the stack key",
            t.key
        );
        let policy = PolicyDocument::parse(&attrs["Policy"]).unwrap();
        assert!(
            policy.equivalent(&t.policy),
            "{} policy as specified",
            t.key
        );
        assert!(!policy.has_wildcard_allow());
        for sid in ["CloudWatchAlarmsPublish", "EventBridgeRulesPublish"] {
            // The cost topic has no EventBridge rule publishing to it, so no grant.
            let Some(st) = policy.statement(sid) else {
                assert_eq!((t.key.as_str(), sid), ("cost", "EventBridgeRulesPublish"));
                continue;
            };
            assert_eq!(
                st.condition_values("StringEquals", "aws:SourceAccount")
                    .unwrap()
                    .0,
                vec!["123456789012"]
            );
            let sources = &st.condition_values("ArnLike", "aws:SourceArn").unwrap().0;
            if sid == "CloudWatchAlarmsPublish" {
                assert!(sources[0].ends_with(&format!("{prefix}-*")));
            } else {
                // Exactly the enabled rules that route to this topic.
                assert!(
                    sources
                        .iter()
                        .all(|s| s.contains(&format!(":rule/{prefix}-")) && !s.contains('*')),
                    "{sources:?}"
                );
            }
        }
        assert!(policy.statement("DenyInsecureTransport").is_some());
        let tags = client
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap();
        assert!(has_stack_tag(
            tags.tags().iter().map(|t| (t.key(), t.value())),
            &prefix
        ));
    }
    let critical = out.topic_arns["critical"].as_str().to_owned();
    assert_eq!(
        subscriptions(&client, &critical).await,
        vec![
            pair("email", "ops-team@company.com"),
            pair("sms", "+1234567890")
        ]
    );
    assert_eq!(
        subscriptions(&client, out.topic_arns["performance"].as_str()).await,
        vec![pair("email", "performance-team@company.com")]
    );
    assert_eq!(
        subscriptions(&client, out.topic_arns["cost"].as_str()).await,
        vec![pair("email", "finops-team@company.com")]
    );

    // Second apply: no changes and no write call.
    assert!(changed(&plan(&m, &config, &inputs).await).is_empty());
    let writes_before = ctx.call_log().writes().len();
    let again = apply(&m, &config, &inputs).await;
    assert_eq!(again, out);
    let new_writes: Vec<_> = ctx
        .call_log()
        .writes()
        .into_iter()
        .skip(writes_before)
        .collect();
    assert!(new_writes.is_empty(), "second apply wrote: {new_writes:?}");

    // A subscription added by hand is shown and removed.
    client
        .subscribe()
        .topic_arn(&critical)
        .protocol("https")
        .endpoint("https://hooks.example.com/by-hand")
        .return_subscription_arn(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed(&plan(&m, &config, &inputs).await),
        vec![(
            r#"alerting.subscription["critical/https:https://hooks.example.com/by-hand"]"#
                .to_owned(),
            Action::Delete
        )]
    );
    apply(&m, &config, &inputs).await;
    assert_eq!(
        subscriptions(&client, &critical).await,
        vec![
            pair("email", "ops-team@company.com"),
            pair("sms", "+1234567890")
        ]
    );

    // A subscription removed from the config is unsubscribed; one added is subscribed.
    config.critical_alert_subscriptions.remove("ops-team-sms");
    config.cost_alert_subscriptions.insert(
        "billing-hook".into(),
        Subscription {
            protocol: SubscriptionProtocol::Https,
            endpoint: "https://billing.example.com/alerts".into(),
        },
    );
    assert_eq!(
        changed(&plan(&m, &config, &inputs).await),
        vec![
            (
                r#"alerting.subscription["critical/sms:+1234567890"]"#.to_owned(),
                Action::Delete
            ),
            (
                r#"alerting.subscription["cost/billing-hook"]"#.to_owned(),
                Action::Create
            ),
        ]
    );
    apply(&m, &config, &inputs).await;
    assert_eq!(
        subscriptions(&client, &critical).await,
        vec![pair("email", "ops-team@company.com")]
    );
    assert_eq!(
        subscriptions(&client, out.topic_arns["cost"].as_str()).await,
        vec![
            pair("email", "finops-team@company.com"),
            pair("https", "https://billing.example.com/alerts")
        ]
    );
    assert!(changed(&plan(&m, &config, &inputs).await).is_empty());

    // Drift on the topic itself: encryption and policy changed by hand are repaired.
    client
        .set_topic_attributes()
        .topic_arn(&critical)
        .attribute_name("KmsMasterKeyId")
        .attribute_value("")
        .send()
        .await
        .unwrap();
    client
        .set_topic_attributes()
        .topic_arn(&critical)
        .attribute_name("Policy")
        .attribute_value(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed(&plan(&m, &config, &inputs).await),
        vec![
            (r#"alerting.topic["critical"]"#.to_owned(), Action::Update),
            (
                r#"alerting.topic_policy["critical"]"#.to_owned(),
                Action::Update
            ),
        ]
    );
    apply(&m, &config, &inputs).await;
    assert!(changed(&plan(&m, &config, &inputs).await).is_empty());

    destroy(&ctx, &m, &config, &inputs).await;
}

/// Destroys the stack's alerting, then checks that no topic or subscription of it is left.
async fn destroy(ctx: &AwsContext, m: &AlertingModule, config: &Config, inputs: &AlertingInputs) {
    destroy_module(m, config, inputs).await;
    assert_no_topics_of(&config.prefix()).await;
    assert!(plan_module(m, config, inputs)
        .await
        .destroy_plan(m, DestroyOptions::default())
        .is_empty());
    destroy_module(&EncryptionModule::new(ctx), config, &()).await;
}

async fn assert_no_topics_of(prefix: &str) {
    let client = sns().await;
    let ours = |arn: &str| {
        arn.rsplit(':')
            .next()
            .is_some_and(|name| name.starts_with(&format!("{prefix}-")))
    };
    let mut topics = client.list_topics().into_paginator().send();
    while let Some(page) = topics.next().await {
        for t in page.unwrap().topics() {
            assert!(
                !ours(t.topic_arn().unwrap_or_default()),
                "topic left: {:?}",
                t.topic_arn()
            );
        }
    }
    let mut subs = client.list_subscriptions().into_paginator().send();
    while let Some(page) = subs.next().await {
        for s in page.unwrap().subscriptions() {
            assert!(
                !ours(s.topic_arn().unwrap_or_default()),
                "subscription left: {:?}",
                s.subscription_arn()
            );
        }
    }
}

#[tokio::test]
async fn disabling_alerting_plans_topic_deletion_and_destroy_leaves_nothing() {
    let config = example_config("advanced", &unique_env("alertoff"), &[]);
    let ctx = context(&config).await;
    let key = stack_key(&ctx, &config).await;
    let inputs = AlertingInputs {
        kms_key_arn: Some(key),
    };
    let m = AlertingModule::new(&ctx);
    apply(&m, &config, &inputs).await;

    let disabled = Config {
        enable_alerting: false,
        ..config.clone()
    };
    let changes = plan(&m, &disabled, &inputs).await;
    let topic_deletes: Vec<_> = changes
        .iter()
        .filter(|c| c.resource_type == "sns_topic")
        .map(|c| (c.address.as_str(), c.action))
        .collect();
    assert_eq!(
        topic_deletes,
        vec![
            (r#"alerting.topic["critical"]"#, Action::Delete),
            (r#"alerting.topic["performance"]"#, Action::Delete),
            (r#"alerting.topic["cost"]"#, Action::Delete),
        ]
    );
    assert!(
        changes.iter().all(|c| c.action == Action::Delete),
        "{changes:#?}"
    );
    assert_eq!(
        changes
            .iter()
            .filter(|c| c.resource_type == "sns_subscription")
            .count(),
        4
    );
    let planned = plan_module(&m, &disabled, &inputs).await;
    assert_eq!(
        m.planned_outputs(&planned.spec, &planned.observed),
        Some(AlertingOutputs {
            topic_arns: BTreeMap::new()
        })
    );

    // Applying the disabled config removes the topics; outputs are empty; nothing is left to plan.
    let out = planned.apply(&m).await;
    assert!(out.topic_arns.is_empty());
    assert_no_topics_of(&config.prefix()).await;
    assert!(changed(&plan(&m, &disabled, &inputs).await).is_empty());

    // Re-enabled, then destroyed: no topic or subscription of the stack is left.
    apply(&m, &config, &inputs).await;
    destroy(&ctx, &m, &config, &inputs).await;
}

#[tokio::test]
async fn unencrypted_topics_when_sns_encryption_is_off() {
    let config = example_config(
        "basic",
        &unique_env("alertplain"),
        &["enable_sns_encryption=false"],
    );
    let ctx = context(&config).await;
    let m = AlertingModule::new(&ctx);
    // No key needed: encryption is off.
    let inputs = AlertingInputs::default();
    let changes = plan(&m, &config, &inputs).await;
    let topic = changes
        .iter()
        .find(|c| c.address == r#"alerting.topic["critical"]"#)
        .unwrap();
    assert!(topic
        .note
        .as_deref()
        .unwrap()
        .contains("enable_sns_encryption = false"));
    let out = apply(&m, &config, &inputs).await;
    let client = sns().await;
    let attrs = client
        .get_topic_attributes()
        .topic_arn(out.topic_arns["critical"].as_str())
        .send()
        .await
        .unwrap();
    assert!(!attrs.attributes().unwrap().contains_key("KmsMasterKeyId"));
    assert!(changed(&plan(&m, &config, &inputs).await).is_empty());
    destroy_module(&m, &config, &inputs).await;
    assert_no_topics_of(&config.prefix()).await;
}

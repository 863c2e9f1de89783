//! End-to-end tests of `baseline-guardrails` against the emulator: create from empty (guardrail,
//! version 1, model-access policy) read back through the SDK; a second apply with zero writes; a
//! config change planned as exactly one attribute and published as version 2 with the policy
//! following; drift on the draft shown and repaired; a crash between update and publish finished
//! by the next run; IAM's five-version limit; `enable_guardrails = false` and destroy removing
//! everything, and refusing while the policy is attached.

use baseline_core::ids::{KmsKeyArn, VpcEndpointId};
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::progress::NoProgress;
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::{Action, AwsContext, Config, DestroyOptions, Module};
use baseline_guardrails::{
    GuardrailsApi, GuardrailsError, GuardrailsInputs, GuardrailsModule, GuardrailsOutputs,
    SdkGuardrailsApi, INVOKE_SID,
};
use baseline_tests::{
    actions, attribute_names, change, context, default_policy_document, example_config,
    has_stack_tag, plan_module, sdk_config, stack_key, unique_env,
};
use std::collections::BTreeMap;
use std::error::Error as _;

const VPCE: &str = "vpce-0123456789abcdef0";

async fn bedrock() -> aws_sdk_bedrock::Client {
    aws_sdk_bedrock::Client::new(&sdk_config().await)
}

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config().await)
}

/// The crate's API over plain clients that record nothing: changes "behind the tool's back".
async fn raw_api() -> SdkGuardrailsApi {
    SdkGuardrailsApi::from_clients(bedrock().await, iam().await)
}

/// The advanced example (it lists `foundation_models`) with every optional guardrail policy on.
fn stack_config(label: &str, sets: &[&str]) -> Config {
    let mut config = example_config("advanced", &unique_env(label), sets);
    let g = &mut config.guardrail;
    g.pii_entity_actions.insert(
        "US_SOCIAL_SECURITY_NUMBER".into(),
        baseline_core::config::PiiAction::Block,
    );
    g.regexes.push(baseline_core::config::GuardrailRegex {
        name: "employee-id".into(),
        pattern: "EMP-[0-9]{6}".into(),
        action: baseline_core::config::PiiAction::Anonymize,
        description: Some("internal employee ids".into()),
    });
    g.denied_topics.push(baseline_core::config::DeniedTopic {
        name: "Investment advice".into(),
        definition: "Recommendations about buying or selling securities or other investments."
            .into(),
        examples: vec!["Which stock should I buy today?".into()],
    });
    g.word_filters = vec!["project-bluebird".into()];
    g.contextual_grounding = Some(baseline_core::config::ContextualGrounding {
        grounding_threshold: 0.75,
        relevance_threshold: 0.5,
    });
    config
}

/// Applies the encryption module for `config`'s stack and returns the key ARN.
async fn kms_key(config: &Config) -> KmsKeyArn {
    stack_key(&context(config).await, config).await
}

struct Stack {
    ctx: AwsContext,
    module: GuardrailsModule,
    inputs: GuardrailsInputs,
}

type Planned = baseline_tests::Planned<GuardrailsModule>;

impl Stack {
    async fn new(config: &Config) -> Self {
        let kms = kms_key(config).await;
        let ctx = context(config).await;
        let module = GuardrailsModule::new(&ctx);
        let inputs = GuardrailsInputs {
            kms_key_arn: Some(kms),
            runtime_endpoint_id: Some(VpcEndpointId(VPCE.into())),
        };
        Self {
            ctx,
            module,
            inputs,
        }
    }

    async fn plan(&self, config: &Config) -> Planned {
        plan_module(&self.module, config, &self.inputs).await
    }

    async fn apply(&self, config: &Config) -> GuardrailsOutputs {
        self.plan(config).await.apply(&self.module).await
    }

    /// Asserts a fresh plan of `config` changes nothing; returns that plan.
    async fn assert_converged(&self, config: &Config) -> Planned {
        let planned = self.plan(config).await;
        assert!(
            planned.changes.iter().all(|c| !c.is_change()),
            "{:#?}",
            planned.changes
        );
        planned
    }

    fn writes(&self) -> usize {
        self.ctx.call_log().writes().len()
    }
}

async fn guardrail(
    id: &str,
    version: Option<&str>,
) -> aws_sdk_bedrock::operation::get_guardrail::GetGuardrailOutput {
    bedrock()
        .await
        .get_guardrail()
        .guardrail_identifier(id)
        .set_guardrail_version(version.map(str::to_owned))
        .send()
        .await
        .expect("GetGuardrail")
}

fn filter_strengths(
    g: &aws_sdk_bedrock::operation::get_guardrail::GetGuardrailOutput,
) -> BTreeMap<String, (String, String)> {
    g.content_policy()
        .expect("content policy")
        .filters()
        .iter()
        .map(|f| {
            (
                f.r#type().as_str().to_owned(),
                (
                    f.input_strength().as_str().to_owned(),
                    f.output_strength().as_str().to_owned(),
                ),
            )
        })
        .collect()
}

/// The default version of the model-access policy, parsed.
async fn policy_document(arn: &str) -> PolicyDocument {
    default_policy_document(&iam().await, arn).await
}

/// `(address, action)` of the guardrail, its version and the model-access policy, in plan order.
fn every_resource(action: Action) -> Vec<(&'static str, Action)> {
    [
        "guardrails.guardrail",
        "guardrails.guardrail_version",
        "guardrails.model_access_policy",
    ]
    .map(|address| (address, action))
    .to_vec()
}

fn guardrail_condition(doc: &PolicyDocument) -> Vec<String> {
    doc.statement(INVOKE_SID)
        .unwrap()
        .condition_values("StringEquals", "bedrock:GuardrailIdentifier")
        .unwrap()
        .0
        .clone()
}

async fn numbered_versions(id: &str) -> Vec<String> {
    let out = bedrock()
        .await
        .list_guardrails()
        .guardrail_identifier(id)
        .send()
        .await
        .expect("ListGuardrails");
    out.guardrails()
        .iter()
        .map(|g| g.version().to_owned())
        .filter(|v| v != "DRAFT")
        .collect()
}

#[tokio::test]
async fn create_from_empty_reads_back_every_setting_and_second_apply_writes_nothing() {
    let config = stack_config("grcreate", &[]);
    let stack = Stack::new(&config).await;

    let planned = stack.plan(&config).await;
    assert_eq!(actions(&planned.changes), every_resource(Action::Create));
    let out = stack.apply(&config).await;
    let id = out.guardrail_id.clone().expect("guardrail id").0;
    let arn = out.guardrail_arn.clone().expect("guardrail arn").0;
    assert_eq!(out.guardrail_version.as_deref(), Some("1"));
    assert_eq!(numbered_versions(&id).await, vec!["1"]);

    // Draft and version 1 both hold the config.
    for version in [None, Some("1")] {
        let g = guardrail(&id, version).await;
        assert_eq!(g.name(), config.guardrail_name());
        assert_eq!(
            g.kms_key_arn(),
            stack.inputs.kms_key_arn.as_ref().map(|k| k.as_str())
        );
        let filters = filter_strengths(&g);
        assert_eq!(filters.len(), 6);
        for kind in ["SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT"] {
            assert_eq!(filters[kind], ("HIGH".into(), "HIGH".into()), "{kind}");
        }
        assert_eq!(filters["PROMPT_ATTACK"], ("HIGH".into(), "NONE".into()));
        let pii: BTreeMap<_, _> = g
            .sensitive_information_policy()
            .expect("sensitive information policy")
            .pii_entities()
            .iter()
            .map(|e| {
                (
                    e.r#type().as_str().to_owned(),
                    e.action().as_str().to_owned(),
                )
            })
            .collect();
        assert_eq!(pii.len(), config.guardrail.pii_entities.len());
        for entity in &config.guardrail.pii_entities {
            let want = if entity == "US_SOCIAL_SECURITY_NUMBER" {
                "BLOCK"
            } else {
                "ANONYMIZE"
            };
            assert_eq!(pii[entity], want, "{entity}");
        }
        let regexes = g.sensitive_information_policy().unwrap().regexes();
        assert_eq!(
            (regexes[0].name(), regexes[0].pattern()),
            ("employee-id", "EMP-[0-9]{6}")
        );
        let topics = g.topic_policy().expect("topic policy").topics();
        assert_eq!(topics[0].name(), "Investment advice");
        assert_eq!(topics[0].r#type().map(|t| t.as_str()), Some("DENY"));
        let words = g.word_policy().expect("word policy");
        assert_eq!(words.words()[0].text(), "project-bluebird");
        assert_eq!(words.managed_word_lists()[0].r#type().as_str(), "PROFANITY");
        let grounding: BTreeMap<_, _> = g
            .contextual_grounding_policy()
            .expect("grounding")
            .filters()
            .iter()
            .map(|f| (f.r#type().as_str().to_owned(), f.threshold()))
            .collect();
        assert_eq!(
            grounding,
            BTreeMap::from([("GROUNDING".into(), 0.75), ("RELEVANCE".into(), 0.5)])
        );
        assert_eq!(
            g.blocked_input_messaging(),
            config.guardrail.blocked_input_message
        );
        assert_eq!(
            g.blocked_outputs_messaging(),
            config.guardrail.blocked_outputs_message
        );
    }
    let tags = bedrock()
        .await
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    let tags: BTreeMap<_, _> = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    assert_eq!(tags[STACK_TAG], config.prefix());
    assert_eq!(tags["baseline:module"], "guardrails");
    assert_eq!(tags["Compliance"], "SOC2-Type2");

    // The policy: no wildcard action, only the configured models, pinned to this guardrail at
    // version 1, only through the runtime endpoint.
    let policy_arn = out.model_access_policy_arn.clone().expect("policy arn");
    let doc = policy_document(&policy_arn).await;
    assert!(!doc.has_wildcard_allow());
    assert!(doc
        .statement
        .iter()
        .flat_map(|s| &s.action.as_ref().unwrap().0)
        .all(|a| !a.contains('*')));
    let invoke = doc.statement(INVOKE_SID).unwrap();
    assert_eq!(
        invoke.resource.as_ref().unwrap().0,
        config.foundation_models
    );
    assert_eq!(guardrail_condition(&doc), vec![format!("{arn}:1")]);
    assert_eq!(
        invoke
            .condition_values("StringEquals", "aws:SourceVpce")
            .unwrap()
            .0,
        vec![VPCE]
    );
    let policy_tags = iam()
        .await
        .list_policy_tags()
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    assert!(has_stack_tag(
        policy_tags.tags().iter().map(|t| (t.key(), t.value())),
        &config.prefix()
    ));

    // Second run: nothing to do, nothing written, no new version.
    let planned = stack.assert_converged(&config).await;
    assert_eq!(
        stack
            .module
            .planned_outputs(&planned.spec, &planned.observed),
        Some(out.clone())
    );
    let before = stack.writes();
    let again = planned.apply(&stack.module).await;
    assert_eq!(
        stack.writes(),
        before,
        "{:?}",
        stack.ctx.call_log().writes()
    );
    assert_eq!(again, out);
    assert_eq!(numbered_versions(&id).await, vec!["1"]);
}

#[tokio::test]
async fn changing_one_filter_plans_that_attribute_and_publishes_version_two() {
    let config = stack_config("grchange", &[]);
    let stack = Stack::new(&config).await;
    let first = stack.apply(&config).await;
    let arn = first.guardrail_arn.clone().unwrap().0;
    let id = first.guardrail_id.clone().unwrap().0;

    let changed = {
        let mut c = config.clone();
        c.content_filters
            .get_mut(&baseline_core::config::ContentFilterType::Hate)
            .unwrap()
            .input_strength = baseline_core::config::FilterStrength::Medium;
        c
    };
    let planned = stack.plan(&changed).await;
    let g = change(&planned.changes, "guardrails.guardrail");
    assert_eq!(g.action, Action::Update);
    assert_eq!(
        attribute_names(g),
        vec!["content_filters.HATE.input_strength"]
    );
    assert_eq!(g.attributes[0].before, Some(serde_json::json!("HIGH")));
    assert_eq!(g.attributes[0].after, Some(serde_json::json!("MEDIUM")));
    assert_eq!(
        change(&planned.changes, "guardrails.guardrail_version").action,
        Action::Update
    );
    assert_eq!(
        change(&planned.changes, "guardrails.model_access_policy").action,
        Action::Update
    );

    let out = planned.apply(&stack.module).await;
    assert_eq!(out.guardrail_version.as_deref(), Some("2"));
    assert_eq!(out.guardrail_id, first.guardrail_id);
    assert_eq!(numbered_versions(&id).await, vec!["1", "2"]);
    assert_eq!(
        filter_strengths(&guardrail(&id, Some("2")).await)["HATE"].0,
        "MEDIUM"
    );
    assert_eq!(
        filter_strengths(&guardrail(&id, Some("1")).await)["HATE"].0,
        "HIGH",
        "versions are immutable"
    );
    let doc = policy_document(out.model_access_policy_arn.as_deref().unwrap()).await;
    assert_eq!(guardrail_condition(&doc), vec![format!("{arn}:2")]);

    stack.assert_converged(&changed).await;
}

#[tokio::test]
async fn filter_lowered_behind_the_tools_back_is_shown_and_repaired() {
    let config = stack_config("grdrift", &[]);
    let stack = Stack::new(&config).await;
    let first = stack.apply(&config).await;
    let id = first.guardrail_id.clone().unwrap().0;

    let raw = raw_api().await;
    let mut draft = raw
        .get_guardrail(&id, None)
        .await
        .unwrap()
        .unwrap()
        .definition;
    draft
        .content_filters
        .get_mut("VIOLENCE")
        .unwrap()
        .input_strength = "LOW".into();
    raw.update_guardrail(&id, &draft).await.unwrap();

    let planned = stack.plan(&config).await;
    let g = change(&planned.changes, "guardrails.guardrail");
    assert_eq!(g.action, Action::Update);
    assert_eq!(
        attribute_names(g),
        vec!["content_filters.VIOLENCE.input_strength"]
    );
    assert_eq!(g.attributes[0].before, Some(serde_json::json!("LOW")));
    // Only the draft drifted: version 1 still holds the config, so the version in force (and
    // the policy pinned to it) stays; publishing an identical version would only break callers.
    assert_eq!(
        change(&planned.changes, "guardrails.guardrail_version").action,
        Action::NoOp
    );

    let out = planned.apply(&stack.module).await;
    assert_eq!(
        filter_strengths(&guardrail(&id, None).await)["VIOLENCE"].0,
        "HIGH"
    );
    assert_eq!(out.guardrail_version.as_deref(), Some("1"));
    stack.assert_converged(&config).await;
}

#[tokio::test]
async fn crash_between_update_and_publish_is_finished_by_the_next_run() {
    let config = stack_config("grcrash", &[]);
    let stack = Stack::new(&config).await;
    let first = stack.apply(&config).await;
    let id = first.guardrail_id.clone().unwrap().0;

    // The run that changed the config died right after UpdateGuardrail.
    let mut changed = config.clone();
    changed
        .guardrail
        .word_filters
        .push("project-kestrel".into());
    let spec = stack.module.spec(&changed, &stack.inputs).unwrap();
    raw_api()
        .await
        .update_guardrail(&id, &spec.guardrail)
        .await
        .unwrap();

    let planned = stack.plan(&changed).await;
    assert_eq!(
        change(&planned.changes, "guardrails.guardrail").action,
        Action::NoOp
    );
    assert_eq!(
        change(&planned.changes, "guardrails.guardrail_version").action,
        Action::Update
    );
    let out = planned.apply(&stack.module).await;
    assert_eq!(out.guardrail_version.as_deref(), Some("2"));
    assert_eq!(
        numbered_versions(&id).await,
        vec!["1", "2"],
        "exactly one version published"
    );
    stack.assert_converged(&changed).await;
}

#[tokio::test]
async fn policy_keeps_within_iams_five_versions() {
    let config = stack_config("grprune", &[]);
    let stack = Stack::new(&config).await;
    let mut config = config;
    let mut out = stack.apply(&config).await;
    for n in 0..6 {
        config.guardrail.word_filters.push(format!("codename-{n}"));
        out = stack.apply(&config).await;
    }
    assert_eq!(out.guardrail_version.as_deref(), Some("7"));
    let arn = out.model_access_policy_arn.unwrap();
    let versions = iam()
        .await
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 5);
    let doc = policy_document(&arn).await;
    assert_eq!(
        guardrail_condition(&doc),
        vec![format!("{}:7", out.guardrail_arn.unwrap().0)]
    );
}

/// No guardrail and no IAM policy carries the stack tag any more. Other tests run in parallel
/// and delete their own resources meanwhile, so a resource gone between list and read is skipped.
async fn assert_nothing_tagged_with(stack: &str) {
    let bedrock = bedrock().await;
    let mut pages = bedrock.list_guardrails().into_paginator().send();
    while let Some(page) = pages.next().await {
        for g in page.unwrap().guardrails() {
            let Ok(tags) = bedrock
                .list_tags_for_resource()
                .resource_arn(g.arn())
                .send()
                .await
            else {
                continue;
            };
            assert!(
                !has_stack_tag(tags.tags().iter().map(|t| (t.key(), t.value())), stack),
                "guardrail {} left",
                g.name()
            );
        }
    }
    let iam = iam().await;
    let mut pages = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for p in page.unwrap().policies() {
            let Ok(tags) = iam
                .list_policy_tags()
                .policy_arn(p.arn().unwrap_or_default())
                .send()
                .await
            else {
                continue;
            };
            assert!(
                !has_stack_tag(tags.tags().iter().map(|t| (t.key(), t.value())), stack),
                "policy {:?} left",
                p.arn()
            );
        }
    }
}

#[tokio::test]
async fn destroy_deletes_guardrail_and_policy() {
    let config = stack_config("grdestroy", &[]);
    let stack = Stack::new(&config).await;
    let mut changed = config.clone();
    stack.apply(&config).await;
    changed
        .guardrail
        .word_filters
        .push("project-kestrel".into());
    let out = stack.apply(&changed).await;
    assert_eq!(out.guardrail_version.as_deref(), Some("2"));

    let planned = stack.plan(&changed).await;
    let plan = planned.destroy_plan(&stack.module, DestroyOptions::default());
    assert_eq!(actions(&plan), every_resource(Action::Delete));
    planned
        .destroy(&stack.module, DestroyOptions::default())
        .await;

    let gone = bedrock()
        .await
        .get_guardrail()
        .guardrail_identifier(out.guardrail_id.unwrap().0)
        .send()
        .await;
    assert!(gone.is_err(), "the guardrail is deleted");
    let gone = iam()
        .await
        .get_policy()
        .policy_arn(out.model_access_policy_arn.unwrap())
        .send()
        .await;
    assert!(gone.is_err(), "the policy is deleted");
    assert_nothing_tagged_with(&config.prefix()).await;
    let planned = stack.plan(&changed).await;
    assert!(planned
        .destroy_plan(&stack.module, DestroyOptions::default())
        .is_empty());
}

#[tokio::test]
async fn disabling_guardrails_plans_and_applies_their_removal() {
    let config = stack_config("groff", &[]);
    let stack = Stack::new(&config).await;
    stack.apply(&config).await;

    let mut off = config.clone();
    off.enable_guardrails = false;
    let planned = stack.plan(&off).await;
    assert_eq!(actions(&planned.changes), every_resource(Action::Delete));
    let out = planned.apply(&stack.module).await;
    assert_eq!(out, GuardrailsOutputs::default());
    assert_nothing_tagged_with(&config.prefix()).await;
    assert!(stack.plan(&off).await.changes.is_empty());
}

#[tokio::test]
async fn removal_is_refused_while_a_role_uses_the_policy() {
    let config = stack_config("grattach", &[]);
    let stack = Stack::new(&config).await;
    let out = stack.apply(&config).await;
    let policy_arn = out.model_access_policy_arn.unwrap();
    let role = format!("{}-app", config.prefix());
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let iam = iam().await;
    iam.create_role()
        .role_name(&role)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name(&role)
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();

    let mut off = config.clone();
    off.enable_guardrails = false;
    let spec = stack.module.spec(&off, &stack.inputs).unwrap();
    let before = stack.writes();
    let err = stack.module.observe(&spec).await.expect_err("plan refuses");
    assert!(
        matches!(err, GuardrailsError::PolicyAttached { .. }),
        "{err}"
    );
    let precondition = err
        .source()
        .and_then(|s| s.downcast_ref::<PreconditionFailed>())
        .expect("a PreconditionFailed source");
    assert!(
        precondition.to_string().contains(&format!("role/{role}")),
        "{precondition}"
    );

    // Destroy with the config on: planned, but refused before any write.
    let planned = stack.plan(&config).await;
    let plan = planned.destroy_plan(&stack.module, DestroyOptions::default());
    assert!(change(&plan, "guardrails.model_access_policy")
        .note
        .as_deref()
        .unwrap()
        .contains(&role));
    let err = stack
        .module
        .destroy(
            &planned.spec,
            &planned.observed,
            DestroyOptions::default(),
            &NoProgress,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, GuardrailsError::PolicyAttached { .. }));
    assert_eq!(stack.writes(), before, "nothing was written");

    iam.detach_role_policy()
        .role_name(&role)
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    let planned = stack.plan(&off).await;
    planned.apply(&stack.module).await;
    assert_nothing_tagged_with(&config.prefix()).await;
}

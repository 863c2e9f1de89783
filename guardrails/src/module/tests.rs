//! The module's plan, apply and destroy over a mocked API: what each config and drift plans,
//! and which calls apply and destroy make.

use super::*;
use crate::access_policy::POLICY;
use crate::api::{
    GuardrailState, GuardrailSummary, MockGuardrailsApi, PolicyInfo, PolicyVersionInfo,
};
use crate::guardrail::{GUARDRAIL, KNOWN_AFTER_APPLY};
use crate::version::VERSION;
use baseline_core::aws::{ApiError, ServiceErrorKind};
use baseline_core::config::{ContentFilter, ContentFilterType, FilterStrength};
use baseline_core::naming::STACK_TAG;
use baseline_core::policy::PolicyDocument;
use baseline_core::progress::{NoProgress, RecordedProgress};
use baseline_core::Naming;
use baseline_core::{Action, ProgressEvent};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/k-1";
const GR_ARN: &str = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1";

fn ctx() -> AwsContext {
    AwsContext::offline(Naming::new("demo-prod", BTreeMap::new()))
}

fn config() -> Config {
    Config {
        project: "demo".into(),
        environment: "prod".into(),
        ..Config::default()
    }
}

fn inputs() -> GuardrailsInputs {
    GuardrailsInputs {
        kms_key_arn: Some(KmsKeyArn(KEY.into())),
        runtime_endpoint_id: None,
    }
}

fn spec_with(config: &Config, inputs: &GuardrailsInputs) -> GuardrailsSpec {
    let m = GuardrailsModule::with_api(MockGuardrailsApi::new(), &ctx());
    let mut spec = m.spec(config, inputs).unwrap();
    spec.wait_timeout = Duration::from_millis(10);
    spec
}

fn spec() -> GuardrailsSpec {
    spec_with(&config(), &inputs())
}

fn state(def: &GuardrailDefinition, version: &str) -> GuardrailState {
    GuardrailState {
        id: "gr1".into(),
        arn: GR_ARN.into(),
        version: version.into(),
        status: "READY".into(),
        status_reasons: Vec::new(),
        definition: def.clone(),
    }
}

fn policy_at(spec: &GuardrailsSpec, version: &str, versions: usize) -> ObservedPolicy {
    ObservedPolicy {
        info: PolicyInfo {
            arn: spec.policy_arn.clone(),
            default_version_id: format!("v{versions}"),
            path: "/".into(),
        },
        document: Some(model_access_policy(&spec.access, GR_ARN, version)),
        versions: (1..=versions)
            .map(|n| PolicyVersionInfo {
                version_id: format!("v{n}"),
                is_default: n == versions,
                created: n as i64,
            })
            .collect(),
        tags: spec.tags.clone(),
        attachments: Vec::new(),
    }
}

/// A deployed, converged stack: draft and version 1 hold the spec, the policy names version 1.
fn converged(spec: &GuardrailsSpec) -> GuardrailsObserved {
    GuardrailsObserved {
        guardrail: Some(ObservedGuardrail {
            draft: state(&spec.guardrail, "DRAFT"),
            tags: spec.tags.clone(),
            versions: vec![1],
            newest: Some(state(&spec.guardrail, "1")),
        }),
        policy: Some(policy_at(spec, "1", 1)),
        profile_model_arns: Vec::new(),
    }
}

fn module(api: MockGuardrailsApi) -> GuardrailsModule<MockGuardrailsApi> {
    GuardrailsModule::with_api(api, &ctx())
}

fn actions(changes: &[Change]) -> Vec<(&str, Action)> {
    changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect()
}

/// The plan is exactly the guardrail, its versions and the policy, with these actions.
#[track_caller]
fn assert_plan(changes: &[Change], [guardrail, version, policy]: [Action; 3]) {
    assert_eq!(
        actions(changes),
        vec![(GUARDRAIL, guardrail), (VERSION, version), (POLICY, policy)]
    );
}

fn names(change: &Change) -> Vec<&str> {
    change.attributes.iter().map(|a| a.name.as_str()).collect()
}

fn err(op: &'static str, kind: ServiceErrorKind) -> ApiError {
    ApiError::synthetic("bedrock", op, "gr1", kind, "synthetic")
}

#[test]
fn spec_names_guardrail_policy_and_tags_from_the_stack() {
    let spec = spec();
    assert_eq!(spec.guardrail.name, "demo-prod-guardrail");
    assert_eq!(spec.policy_name, "demo-prod-bedrock-model-access");
    assert_eq!(
        spec.policy_arn,
        "arn:aws:iam::123456789012:policy/demo-prod-bedrock-model-access"
    );
    assert_eq!(spec.policy_path, "/");
    assert_eq!(spec.tags["baseline:module"], "guardrails");
    assert_eq!(spec.tags[STACK_TAG], "demo-prod");
    assert_eq!(spec.guardrail.kms_key_arn.as_deref(), Some(KEY));
}

#[test]
fn inputs_come_from_upstream_fields() {
    let upstream = Upstream(BTreeMap::from([
        (
            "encryption".to_owned(),
            json!({"kms_key_arn": KEY, "kms_key_id": "k-1", "kms_alias": "alias/x"}),
        ),
        (
            "network".to_owned(),
            json!({"endpoint_ids": {"bedrock": "vpce-1", "bedrock-runtime": "vpce-2"}}),
        ),
    ]));
    let inputs = GuardrailsInputs::from_upstream(&upstream).unwrap();
    assert_eq!(inputs.kms_key_arn, Some(KmsKeyArn(KEY.into())));
    assert_eq!(
        inputs.runtime_endpoint_id,
        Some(VpcEndpointId("vpce-2".into()))
    );
    assert_eq!(
        GuardrailsInputs::from_upstream(&Upstream::default()).unwrap(),
        GuardrailsInputs::default()
    );
}

#[test]
fn empty_account_plans_guardrail_version_and_policy() {
    let m = module(MockGuardrailsApi::new());
    let spec = spec_with(&config(), &GuardrailsInputs::default());
    let changes = m.diff(&spec, &GuardrailsObserved::default());
    assert_plan(&changes, [Action::Create, Action::Create, Action::Create]);
    let kms = changes[0]
        .attributes
        .iter()
        .find(|a| a.name == "kms_key_arn")
        .unwrap();
    assert_eq!(kms.after, Some(json!(KNOWN_AFTER_APPLY)));
    assert!(m
        .planned_outputs(&spec, &GuardrailsObserved::default())
        .is_none());
}

#[test]
fn plan_says_what_the_stack_does_about_the_grounding_check() {
    let m = module(MockGuardrailsApi::new());
    let off = m.diff(&spec(), &GuardrailsObserved::default());
    let note = off[0].note.as_deref().unwrap();
    assert!(note.contains("contextual grounding is off"), "{note}");
    let mut c = config();
    c.guardrail.contextual_grounding = Some(baseline_core::config::ContextualGrounding {
        grounding_threshold: 0.75,
        relevance_threshold: 0.5,
    });
    let on = m.diff(&spec_with(&c, &inputs()), &GuardrailsObserved::default());
    assert!(on[0].note.is_none());
}

#[test]
fn converged_stack_is_all_no_ops_with_outputs_at_the_version_in_force() {
    let m = module(MockGuardrailsApi::new());
    let spec = spec();
    let observed = converged(&spec);
    let changes = m.diff(&spec, &observed);
    assert!(changes.iter().all(|c| !c.is_change()), "{changes:#?}");
    let out = m.planned_outputs(&spec, &observed).unwrap();
    assert_eq!(out.guardrail_version.as_deref(), Some("1"));
    assert_eq!(
        out.model_access_policy_arn.as_deref(),
        Some(spec.policy_arn.as_str())
    );
}

#[test]
fn one_strength_changed_is_exactly_that_attribute_and_a_new_version() {
    let m = module(MockGuardrailsApi::new());
    let before = spec();
    let observed = converged(&before);
    let mut c = config();
    c.content_filters.insert(
        ContentFilterType::Hate,
        ContentFilter {
            input_strength: FilterStrength::Medium,
            output_strength: FilterStrength::High,
        },
    );
    let spec = spec_with(&c, &inputs());
    let changes = m.diff(&spec, &observed);
    assert_plan(&changes, [Action::Update, Action::Update, Action::Update]);
    assert_eq!(
        names(&changes[0]),
        vec!["content_filters.HATE.input_strength"]
    );
    assert_eq!(changes[0].attributes[0].before, Some(json!("HIGH")));
    assert_eq!(changes[0].attributes[0].after, Some(json!("MEDIUM")));
    assert_eq!(changes[1].attributes[0].before, Some(json!("1")));
    assert_eq!(
        names(&changes[2]),
        vec!["document.Statement"],
        "the policy follows the new version"
    );
}

#[test]
fn drift_on_the_draft_alone_repairs_the_draft_without_moving_the_version() {
    let m = module(MockGuardrailsApi::new());
    let spec = spec();
    let mut observed = converged(&spec);
    let g = observed.guardrail.as_mut().unwrap();
    g.draft
        .definition
        .content_filters
        .get_mut("VIOLENCE")
        .unwrap()
        .input_strength = "LOW".into();
    let changes = m.diff(&spec, &observed);
    assert_plan(&changes, [Action::Update, Action::NoOp, Action::NoOp]);
    assert_eq!(
        names(&changes[0]),
        vec!["content_filters.VIOLENCE.input_strength"]
    );
}

#[test]
fn crash_between_update_and_publish_is_finished_by_publishing() {
    let m = module(MockGuardrailsApi::new());
    let old = spec();
    let mut c = config();
    c.guardrail.word_filters = vec!["project-x".into()];
    let spec = spec_with(&c, &inputs());
    let mut observed = converged(&old);
    observed.guardrail.as_mut().unwrap().draft.definition = spec.guardrail.clone();
    let changes = m.diff(&spec, &observed);
    assert_plan(&changes, [Action::NoOp, Action::Update, Action::Update]);
}

#[test]
fn draft_without_any_version_publishes_version_one() {
    let m = module(MockGuardrailsApi::new());
    let spec = spec();
    let mut observed = converged(&spec);
    let g = observed.guardrail.as_mut().unwrap();
    g.versions.clear();
    g.newest = None;
    observed.policy = None;
    let changes = m.diff(&spec, &observed);
    assert_plan(&changes, [Action::NoOp, Action::Create, Action::Create]);
}

#[test]
fn tag_drift_is_a_guardrail_update_only() {
    let m = module(MockGuardrailsApi::new());
    let spec = spec();
    let mut observed = converged(&spec);
    observed
        .guardrail
        .as_mut()
        .unwrap()
        .tags
        .insert("extra".into(), "x".into());
    let changes = m.diff(&spec, &observed);
    assert_eq!(names(&changes[0]), vec!["tags.extra"]);
    assert!(!changes[1].is_change());
}

#[test]
fn runtime_endpoint_appearing_updates_the_policy() {
    let m = module(MockGuardrailsApi::new());
    let before = spec();
    let observed = converged(&before);
    let spec = spec_with(
        &config(),
        &GuardrailsInputs {
            runtime_endpoint_id: Some(VpcEndpointId("vpce-0abc".into())),
            ..inputs()
        },
    );
    let changes = m.diff(&spec, &observed);
    assert_plan(&changes, [Action::NoOp, Action::NoOp, Action::Update]);
}

#[test]
fn disabled_plans_removal_of_everything_that_exists() {
    let m = module(MockGuardrailsApi::new());
    let mut c = config();
    c.enable_guardrails = false;
    let spec = spec_with(&c, &inputs());
    let changes = m.diff(&spec, &converged(&spec));
    assert_plan(&changes, [Action::Delete, Action::Delete, Action::Delete]);
    assert!(m.diff(&spec, &GuardrailsObserved::default()).is_empty());
    assert_eq!(
        m.planned_outputs(&spec, &GuardrailsObserved::default()),
        Some(GuardrailsOutputs::default())
    );
}

#[tokio::test]
async fn converged_apply_makes_no_call_at_all() {
    // A mock without expectations fails on any call.
    let m = module(MockGuardrailsApi::new());
    let spec = spec();
    let out = m
        .apply(&spec, &converged(&spec), &NoProgress)
        .await
        .unwrap();
    assert_eq!(out.guardrail_version.as_deref(), Some("1"));
    assert_eq!(out.guardrail_id, Some(GuardrailId("gr1".into())));
}

#[tokio::test]
async fn create_from_empty_passes_tokens_and_pins_the_policy_to_version_one() {
    let mut api = MockGuardrailsApi::new();
    let spec = spec();
    let def = spec.guardrail.clone();
    api.expect_create_guardrail()
        .times(1)
        .withf(|_, tags, token| {
            tags.contains_key(STACK_TAG) && token.starts_with("baseline-guardrail-")
        })
        .returning(|d, _, _| {
            Ok(GuardrailSummary {
                id: "gr1".into(),
                arn: GR_ARN.into(),
                name: d.name.clone(),
            })
        });
    api.expect_get_guardrail().returning(move |_, v| {
        Ok(Some(state(
            &def,
            &v.map_or("DRAFT".into(), |v| v.to_string()),
        )))
    });
    api.expect_create_guardrail_version()
        .times(1)
        .withf(|id, _, token| id == "gr1" && token.starts_with("baseline-version-"))
        .returning(|_, _, _| Ok(1));
    let expected = format!("{GR_ARN}:1");
    let create_policy = api
        .expect_create_policy()
        .times(1)
        .withf(move |name, path, _, doc, _| {
            let doc = PolicyDocument::parse(doc).unwrap();
            name == "demo-prod-bedrock-model-access"
                && path == "/"
                && doc
                    .statement(crate::INVOKE_SID)
                    .unwrap()
                    .condition_values("StringEquals", "bedrock:GuardrailIdentifier")
                    .unwrap()
                    .0
                    == vec![expected.clone()]
        });
    let policy_arn = spec.policy_arn.clone();
    create_policy.returning(move |_, _, _, _, _| {
        Ok(PolicyInfo {
            arn: policy_arn.clone(),
            default_version_id: "v1".into(),
            path: "/".into(),
        })
    });
    let m = module(api);
    let out = m
        .apply(&spec, &GuardrailsObserved::default(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(out.guardrail_version.as_deref(), Some("1"));
    assert_eq!(
        out.model_access_policy_arn.as_deref(),
        Some(spec.policy_arn.as_str())
    );
}

#[tokio::test]
async fn access_denied_on_create_is_reported_with_its_operation() {
    let mut api = MockGuardrailsApi::new();
    api.expect_create_guardrail()
        .returning(|_, _, _| Err(err("CreateGuardrail", ServiceErrorKind::AccessDenied)));
    let m = module(api);
    let e = m
        .apply(&spec(), &GuardrailsObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(&e, GuardrailsError::Api(a) if a.kind == ServiceErrorKind::AccessDenied));
    assert!(e.to_string().contains("bedrock:CreateGuardrail"), "{e}");
}

/// A guardrail API whose CreateGuardrail answers `gr-deleted` (an id GetGuardrail never knows,
/// as a replayed token of a guardrail deleted since would) for the first `replays` creates,
/// then `gr1`; it records the tokens sent.
fn api_replaying(replays: usize, tokens: Arc<Mutex<Vec<String>>>) -> MockGuardrailsApi {
    let mut api = MockGuardrailsApi::new();
    let def = spec().guardrail;
    api.expect_create_guardrail().returning(move |d, _, token| {
        let mut tokens = tokens.lock().unwrap();
        tokens.push(token.to_owned());
        let id = if tokens.len() <= replays {
            "gr-deleted"
        } else {
            "gr1"
        };
        Ok(GuardrailSummary {
            id: id.into(),
            arn: format!("arn:aws:bedrock:us-east-1:123456789012:guardrail/{id}"),
            name: d.name.clone(),
        })
    });
    api.expect_get_guardrail().returning(move |id, v| {
        Ok((id == "gr1").then(|| state(&def, &v.map_or("DRAFT".into(), |v| v.to_string()))))
    });
    api
}

#[tokio::test]
async fn a_create_answered_with_an_id_never_found_is_sent_again_with_a_fresh_token() {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let mut api = api_replaying(1, Arc::clone(&tokens));
    api.expect_create_guardrail_version()
        .times(1)
        .withf(|id, _, _| id == "gr1")
        .returning(|_, _, _| Ok(1));
    let policy_arn = spec().policy_arn.clone();
    api.expect_create_policy().returning(move |_, _, _, _, _| {
        Ok(PolicyInfo {
            arn: policy_arn.clone(),
            default_version_id: "v1".into(),
            path: "/".into(),
        })
    });
    let m = module(api);
    let progress = RecordedProgress::default();
    let out = m
        .apply(&spec(), &GuardrailsObserved::default(), &progress)
        .await
        .unwrap();
    assert_eq!(out.guardrail_id, Some(GuardrailId("gr1".into())));
    let tokens = tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "the second create has its own token");
    let recorded: Vec<String> = progress
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Exists { address, id } if address == GUARDRAIL => Some(id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        recorded,
        vec!["arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1".to_owned()],
        "the id never found is not recorded"
    );
}

#[tokio::test]
async fn creates_answered_only_with_ids_never_found_fail_after_three_tokens() {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let m = module(api_replaying(usize::MAX, Arc::clone(&tokens)));
    let e = m
        .apply(&spec(), &GuardrailsObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, GuardrailsError::CreateReplayed { attempts: 3, .. }),
        "{e}"
    );
    let tokens = tokens.lock().unwrap();
    let distinct: BTreeSet<&String> = tokens.iter().collect();
    assert_eq!((tokens.len(), distinct.len()), (3, 3));
}

#[tokio::test]
async fn a_publish_answered_with_a_version_never_found_is_sent_again_with_a_fresh_token() {
    let mut api = MockGuardrailsApi::new();
    let def = spec().guardrail;
    api.expect_create_guardrail().returning(|d, _, _| {
        Ok(GuardrailSummary {
            id: "gr1".into(),
            arn: GR_ARN.into(),
            name: d.name.clone(),
        })
    });
    // Version 7 is what a replayed token of a version deleted since would answer.
    api.expect_get_guardrail().returning(move |_, v| {
        Ok((v != Some(7)).then(|| state(&def, &v.map_or("DRAFT".into(), |v| v.to_string()))))
    });
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::clone(&tokens);
    api.expect_create_guardrail_version()
        .returning(move |_, _, token| {
            let mut sent = sent.lock().unwrap();
            sent.push(token.to_owned());
            Ok(if sent.len() == 1 { 7 } else { 1 })
        });
    let policy_arn = spec().policy_arn.clone();
    api.expect_create_policy().returning(move |_, _, _, _, _| {
        Ok(PolicyInfo {
            arn: policy_arn.clone(),
            default_version_id: "v1".into(),
            path: "/".into(),
        })
    });
    let out = module(api)
        .apply(&spec(), &GuardrailsObserved::default(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(out.guardrail_version.as_deref(), Some("1"));
    let tokens = tokens.lock().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1]);
}

#[tokio::test]
async fn throttling_on_publish_keeps_the_new_guardrail_recorded() {
    let mut api = MockGuardrailsApi::new();
    let spec = spec();
    let def = spec.guardrail.clone();
    api.expect_create_guardrail().returning(|d, _, _| {
        Ok(GuardrailSummary {
            id: "gr1".into(),
            arn: GR_ARN.into(),
            name: d.name.clone(),
        })
    });
    api.expect_get_guardrail()
        .returning(move |_, _| Ok(Some(state(&def, "DRAFT"))));
    api.expect_create_guardrail_version()
        .returning(|_, _, _| Err(err("CreateGuardrailVersion", ServiceErrorKind::Throttled)));
    let m = module(api);
    let progress = RecordedProgress::default();
    let e = m
        .apply(&spec, &GuardrailsObserved::default(), &progress)
        .await
        .unwrap_err();
    assert!(matches!(&e, GuardrailsError::Api(a) if a.kind == ServiceErrorKind::Throttled));
    let events = progress.0.lock().unwrap();
    assert!(events
        .iter()
        .any(|e| matches!(e, ProgressEvent::Exists { address, .. } if address == GUARDRAIL)));
}

#[tokio::test]
async fn guardrail_deleted_between_observe_and_apply_fails_with_not_found() {
    let mut api = MockGuardrailsApi::new();
    api.expect_update_guardrail()
        .returning(|_, _| Err(err("UpdateGuardrail", ServiceErrorKind::NotFound)));
    let m = module(api);
    let spec = spec();
    let mut observed = converged(&spec);
    observed
        .guardrail
        .as_mut()
        .unwrap()
        .draft
        .definition
        .blocked_input_messaging = "changed".into();
    let e = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(matches!(&e, GuardrailsError::Api(a) if a.is_not_found()));
}

#[tokio::test]
async fn guardrail_that_never_becomes_ready_times_out() {
    let mut api = MockGuardrailsApi::new();
    let spec = spec();
    let def = spec.guardrail.clone();
    api.expect_update_guardrail().returning(|_, _| Ok(()));
    api.expect_get_guardrail().returning(move |_, _| {
        Ok(Some(GuardrailState {
            status: "UPDATING".into(),
            ..state(&def, "DRAFT")
        }))
    });
    let m = module(api);
    let mut observed = converged(&spec);
    observed
        .guardrail
        .as_mut()
        .unwrap()
        .draft
        .definition
        .blocked_input_messaging = "changed".into();
    let e = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(
        matches!(&e, GuardrailsError::NotReady { status, .. } if status == "UPDATING"),
        "{e}"
    );
}

#[tokio::test]
async fn policy_at_five_versions_drops_the_oldest_non_default_first() {
    let mut api = MockGuardrailsApi::new();
    let mut seq = mockall::Sequence::new();
    api.expect_delete_policy_version()
        .times(1)
        .in_sequence(&mut seq)
        .withf(|_, v| v == "v1")
        .returning(|_, _| Ok(()));
    api.expect_create_policy_version()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok("v6".into()));
    let m = module(api);
    let spec = spec();
    let mut observed = converged(&spec);
    observed.policy = Some(policy_at(&spec, "0", 5));
    let changes = m.diff(&spec, &observed);
    assert!(changes[2].note.as_deref().unwrap().contains("v1"));
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

#[tokio::test]
async fn policy_version_whose_answer_was_lost_is_found_and_not_created_again() {
    // The create took effect (IAM now holds five versions) but its answer was lost: a second
    // CreatePolicyVersion would meet LimitExceeded. The default version is read instead.
    let sent = Arc::new(Mutex::new(String::new()));
    let mut api = MockGuardrailsApi::new();
    api.expect_delete_policy_version()
        .times(1)
        .returning(|_, _| Ok(()));
    let record = Arc::clone(&sent);
    api.expect_create_policy_version()
        .times(1)
        .returning(move |_, doc| {
            *record.lock().unwrap() = doc.to_owned();
            Err(err("CreatePolicyVersion", ServiceErrorKind::Transient))
        });
    api.expect_get_policy().times(1).returning(|arn| {
        Ok(Some(PolicyInfo {
            arn: arn.to_owned(),
            default_version_id: "v6".into(),
            path: "/".into(),
        }))
    });
    let stored = Arc::clone(&sent);
    api.expect_policy_document()
        .times(1)
        .withf(|_, v| v == "v6")
        .returning(move |_, _| Ok(stored.lock().unwrap().clone()));
    let m = module(api);
    let spec = spec();
    let mut observed = converged(&spec);
    observed.policy = Some(policy_at(&spec, "0", 5));
    m.apply(&spec, &observed, &NoProgress).await.unwrap();
}

#[tokio::test]
async fn policy_version_that_failed_without_effect_is_reported() {
    let mut api = MockGuardrailsApi::new();
    api.expect_create_policy_version()
        .times(3)
        .returning(|_, _| Err(err("CreatePolicyVersion", ServiceErrorKind::Transient)));
    // The default version is still the old document each time.
    api.expect_get_policy().times(3).returning(|arn| {
        Ok(Some(PolicyInfo {
            arn: arn.to_owned(),
            default_version_id: "v1".into(),
            path: "/".into(),
        }))
    });
    api.expect_policy_document()
        .times(3)
        .returning(|_, _| Ok(model_access_policy(&spec().access, GR_ARN, "0").to_json()));
    let m = module(api);
    let spec = spec();
    let mut observed = converged(&spec);
    observed.policy = Some(policy_at(&spec, "0", 1));
    let e = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    assert!(e.to_string().contains("CreatePolicyVersion"), "{e}");
}

#[tokio::test]
async fn disabled_with_an_attached_policy_is_refused_before_any_write() {
    let m = module(MockGuardrailsApi::new());
    let mut c = config();
    c.enable_guardrails = false;
    let spec = spec_with(&c, &inputs());
    let mut observed = converged(&spec);
    observed.policy.as_mut().unwrap().attachments = vec!["role/app".into()];
    let e = m.apply(&spec, &observed, &NoProgress).await.unwrap_err();
    let GuardrailsError::PolicyAttached { source, .. } = &e else {
        panic!("{e}")
    };
    assert!(source.issues[0].message.contains("role/app"));
    assert!(source.issues[0]
        .hint
        .as_deref()
        .unwrap()
        .contains("detach-role-policy --role-name app"));
    let e = m
        .destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(e, GuardrailsError::PolicyAttached { .. }));
}

#[tokio::test]
async fn destroy_deletes_non_default_policy_versions_then_the_policy_then_the_guardrail() {
    let mut api = MockGuardrailsApi::new();
    let mut seq = mockall::Sequence::new();
    for v in ["v1", "v2"] {
        api.expect_delete_policy_version()
            .times(1)
            .in_sequence(&mut seq)
            .withf(move |_, id| id == v)
            .returning(|_, _| Ok(()));
    }
    api.expect_delete_policy()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Ok(()));
    api.expect_delete_guardrail()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_| Err(err("DeleteGuardrail", ServiceErrorKind::NotFound)));
    let m = module(api);
    let spec = spec();
    let mut observed = converged(&spec);
    observed.policy = Some(policy_at(&spec, "1", 3));
    let plan = m.destroy_plan(&spec, &observed, DestroyOptions::default());
    assert_plan(&plan, [Action::Delete, Action::Delete, Action::Delete]);
    m.destroy(&spec, &observed, DestroyOptions::default(), &NoProgress)
        .await
        .unwrap();
}

#[tokio::test]
async fn observe_of_a_converged_stack_reads_each_thing_once() {
    let spec = spec();
    let want = converged(&spec);
    let mut api = MockGuardrailsApi::new();
    let name = spec.guardrail.name.clone();
    api.expect_list_guardrails().times(1).returning(move || {
        Ok(vec![GuardrailSummary {
            id: "gr1".into(),
            arn: GR_ARN.into(),
            name: name.clone(),
        }])
    });
    let tags = spec.tags.clone();
    api.expect_guardrail_tags()
        .times(1)
        .returning(move |_| Ok(tags.clone()));
    let def = spec.guardrail.clone();
    api.expect_get_guardrail().times(2).returning(move |_, v| {
        Ok(Some(state(
            &def,
            &v.map_or("DRAFT".into(), |v| v.to_string()),
        )))
    });
    api.expect_guardrail_versions()
        .times(1)
        .returning(|_| Ok(vec![1]));
    let policy = want.policy.clone().unwrap();
    let info = policy.info.clone();
    api.expect_get_policy()
        .times(1)
        .returning(move |_| Ok(Some(info.clone())));
    let tags = policy.tags.clone();
    api.expect_policy_tags()
        .times(1)
        .returning(move |_| Ok(tags.clone()));
    let document = policy.document.clone().unwrap().to_json();
    api.expect_policy_document()
        .times(1)
        .returning(move |_, _| Ok(document.clone()));
    let versions = policy.versions.clone();
    api.expect_policy_versions()
        .times(1)
        .returning(move |_| Ok(versions.clone()));
    api.expect_policy_attachments()
        .times(1)
        .returning(|_| Ok(Vec::new()));
    let got = module(api).observe(&spec).await.unwrap();
    assert_eq!(got, want);
}

#[tokio::test]
async fn guardrail_of_another_stack_under_our_name_is_refused() {
    let mut api = MockGuardrailsApi::new();
    api.expect_list_guardrails().returning(|| {
        Ok(vec![GuardrailSummary {
            id: "gr9".into(),
            arn: GR_ARN.into(),
            name: "demo-prod-guardrail".into(),
        }])
    });
    api.expect_guardrail_tags()
        .returning(|_| Ok(BTreeMap::from([(STACK_TAG.to_owned(), "other".to_owned())])));
    // Read beside the tags; what they say does not matter once the tags name another stack.
    api.expect_get_guardrail().returning(|_, _| Ok(None));
    api.expect_guardrail_versions()
        .returning(|_| Ok(Vec::new()));
    let m = module(api);
    let e = m.observe(&spec()).await.unwrap_err();
    assert!(matches!(e, GuardrailsError::ForeignGuardrail { .. }), "{e}");
}

#[tokio::test]
async fn apply_without_the_kms_key_is_refused() {
    let m = module(MockGuardrailsApi::new());
    let spec = spec_with(&config(), &GuardrailsInputs::default());
    let e = m
        .apply(&spec, &GuardrailsObserved::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(e, GuardrailsError::MissingKmsKey));
}

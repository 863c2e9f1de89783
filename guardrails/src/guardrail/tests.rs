use super::*;
use baseline_core::config::{
    ContentFilter, ContextualGrounding, DeniedTopic as CfgTopic, FilterStrength, GuardrailRegex,
    PiiAction,
};

fn config() -> Config {
    Config {
        environment: "prod".into(),
        ..Config::default()
    }
}

#[test]
fn all_six_filters_default_high_with_prompt_attack_output_none() {
    let def = GuardrailDefinition::from_config(&config(), "s", None);
    assert_eq!(def.content_filters.len(), 6);
    for (kind, f) in &def.content_filters {
        assert_eq!(f.input_strength, "HIGH", "{kind}");
        let out = if kind == "PROMPT_ATTACK" {
            "NONE"
        } else {
            "HIGH"
        };
        assert_eq!(f.output_strength, out, "{kind}");
    }
}

#[test]
fn filter_strengths_follow_config() {
    let mut c = config();
    c.content_filters.insert(
        ContentFilterType::Hate,
        ContentFilter {
            input_strength: FilterStrength::Low,
            output_strength: FilterStrength::Medium,
        },
    );
    c.content_filters.remove(&ContentFilterType::Insults);
    let def = GuardrailDefinition::from_config(&c, "s", None);
    assert_eq!(
        def.content_filters["HATE"],
        FilterStrengths {
            input_strength: "LOW".into(),
            output_strength: "MEDIUM".into()
        }
    );
    assert_eq!(
        def.content_filters["INSULTS"],
        FilterStrengths {
            input_strength: "NONE".into(),
            output_strength: "NONE".into()
        }
    );
}

#[test]
fn prompt_attack_output_is_forced_to_none() {
    let mut c = config();
    c.content_filters.insert(
        ContentFilterType::PromptAttack,
        ContentFilter {
            input_strength: FilterStrength::High,
            output_strength: FilterStrength::High,
        },
    );
    let def = GuardrailDefinition::from_config(&c, "s", None);
    assert_eq!(def.content_filters["PROMPT_ATTACK"].output_strength, "NONE");
}

#[test]
fn pii_entities_take_the_default_action_or_their_override() {
    let mut c = config();
    c.pii_entities_action = PiiAction::Anonymize;
    c.guardrail
        .pii_entity_actions
        .insert("US_SOCIAL_SECURITY_NUMBER".into(), PiiAction::Block);
    let def = GuardrailDefinition::from_config(&c, "s", None);
    assert_eq!(def.pii_entities.len(), c.guardrail.pii_entities.len());
    assert_eq!(def.pii_entities["US_SOCIAL_SECURITY_NUMBER"], "BLOCK");
    assert_eq!(def.pii_entities["EMAIL"], "ANONYMIZE");
    assert!(def.pii_entities.contains_key("AWS_SECRET_KEY"));
}

#[test]
fn optional_policies_follow_config() {
    let mut c = config();
    c.guardrail.regexes.push(GuardrailRegex {
        name: "employee-id".into(),
        pattern: "EMP-[0-9]{6}".into(),
        action: PiiAction::Block,
        description: None,
    });
    c.guardrail.denied_topics.push(CfgTopic {
        name: "Investment advice".into(),
        definition: "Recommendations on buying or selling securities.".into(),
        examples: vec!["Which stock should I buy?".into()],
    });
    c.guardrail.word_filters = vec!["project-x".into()];
    c.guardrail.contextual_grounding = Some(ContextualGrounding {
        grounding_threshold: 0.75,
        relevance_threshold: 0.5,
    });
    let def = GuardrailDefinition::from_config(&c, "s", Some("arn:k".into()));
    assert_eq!(def.regexes["employee-id"].action, "BLOCK");
    assert_eq!(def.denied_topics["Investment advice"].examples.len(), 1);
    assert!(def.words.contains("project-x"));
    assert!(def.managed_word_lists.contains("PROFANITY"));
    assert_eq!(def.contextual_grounding["GROUNDING"], 0.75);
    assert_eq!(def.contextual_grounding["RELEVANCE"], 0.5);
    assert_eq!(
        def.blocked_input_messaging,
        c.guardrail.blocked_input_message
    );

    c.guardrail.managed_profanity_list = false;
    c.guardrail.contextual_grounding = None;
    let def = GuardrailDefinition::from_config(&c, "s", None);
    assert!(def.managed_word_lists.is_empty());
    assert!(def.contextual_grounding.is_empty());
}

#[test]
fn unknown_key_shows_as_known_after_apply() {
    let def = GuardrailDefinition::from_config(&config(), "s", None);
    assert_eq!(def.planned_view()["kms_key_arn"], KNOWN_AFTER_APPLY);
    assert!(
        def.view()["kms_key_arn"].is_null(),
        "an observed guardrail without a key is unencrypted"
    );
    assert!(def.planned_content_view().get("name").is_none());
}

#[test]
fn tokens_are_deterministic_and_valid() {
    let a = client_token("create", &["name", "x"]);
    assert_eq!(a, client_token("create", &["name", "x"]));
    assert_ne!(a, client_token("create", &["namex", ""]));
    assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    assert!(a.len() <= 256);
}

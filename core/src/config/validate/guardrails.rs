//! Guardrails: filters and their strengths, PII types, topics, words, regexes, messages.

use std::collections::BTreeSet;

use super::Issues;
use crate::config::{did_you_mean, Config, ContentFilterType, FilterStrength, PII_ENTITY_TYPES};

impl Issues {
    pub(super) fn guardrails(&mut self, c: &Config) {
        if let Some(name) = &c.guardrail_name {
            let ok = (1..=50).contains(&name.len())
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
            if !ok {
                self.hint(
                    "guardrail_name",
                    format!("`{name}` is not a valid guardrail name"),
                    "1 to 50 letters, digits, `-` and `_`",
                );
            }
        } else if c.enable_guardrails
            && c.guardrail_name().len() > 50
            // An invalid environment or project is reported once, on its own key.
            && !self.0.iter().any(|i| i.path == "environment" || i.path == "project")
        {
            // The default name is derived from the prefix; Bedrock caps guardrail names at 50.
            self.hint(
                "guardrail_name",
                format!(
                    "the default guardrail name `{}` is longer than Bedrock's 50 characters",
                    c.guardrail_name()
                ),
                "set a shorter `guardrail_name`, or shorten `project` or `environment`",
            );
        }

        for (kind, filter) in &c.content_filters {
            let base = format!("content_filters.{}", kind.key());
            if *kind == ContentFilterType::PromptAttack
                && filter.output_strength != FilterStrength::None
            {
                self.hint(
                    format!("{base}.output_strength"),
                    format!(
                        "PROMPT_ATTACK output strength must be NONE, not {}",
                        filter.output_strength.as_str()
                    ),
                    "AWS rejects any other value for PROMPT_ATTACK output; set it to NONE",
                );
            }
        }

        let g = &c.guardrail;
        let mut seen = BTreeSet::new();
        for (i, entity) in g.pii_entities.iter().enumerate() {
            let path = format!("guardrail.pii_entities[{i}]");
            if !seen.insert(entity.as_str()) {
                self.hint(
                    path,
                    format!("`{entity}` is listed twice"),
                    "list each type once",
                );
            } else if !PII_ENTITY_TYPES.contains(&entity.as_str()) {
                self.unknown_pii(path, entity);
            }
        }
        for entity in g.pii_entity_actions.keys() {
            let path = format!("guardrail.pii_entity_actions.{entity}");
            if !PII_ENTITY_TYPES.contains(&entity.as_str()) {
                self.unknown_pii(path, entity);
            } else if !g.pii_entities.contains(entity) {
                self.hint(
                    path,
                    format!("`{entity}` is not in guardrail.pii_entities"),
                    "add it to guardrail.pii_entities, or remove the override",
                );
            }
        }

        let mut names = BTreeSet::new();
        for (i, regex) in g.regexes.iter().enumerate() {
            let base = format!("guardrail.regexes[{i}]");
            self.length(&format!("{base}.name"), &regex.name, 1, 100);
            if !regex.name.is_empty() && !names.insert(regex.name.as_str()) {
                self.hint(
                    format!("{base}.name"),
                    format!("`{}` is used twice", regex.name),
                    "give each regex its own name",
                );
            }
            self.length(&format!("{base}.pattern"), &regex.pattern, 1, 500);
            if let Some(d) = &regex.description {
                self.length(&format!("{base}.description"), d, 1, 1000);
            }
        }

        if g.denied_topics.len() > 30 {
            self.hint(
                "guardrail.denied_topics",
                "more than 30 topics",
                "AWS allows at most 30 denied topics",
            );
        }
        for (i, topic) in g.denied_topics.iter().enumerate() {
            let base = format!("guardrail.denied_topics[{i}]");
            self.length(&format!("{base}.name"), &topic.name, 1, 100);
            if !topic
                .name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || " -_!?.".contains(ch))
            {
                self.hint(
                    format!("{base}.name"),
                    format!("`{}` has characters AWS does not accept", topic.name),
                    "use letters, digits, spaces and `-_!?.`",
                );
            }
            self.length(&format!("{base}.definition"), &topic.definition, 1, 200);
            if topic.examples.len() > 5 {
                self.hint(
                    format!("{base}.examples"),
                    "more than 5 examples",
                    "AWS allows at most 5 examples per topic",
                );
            }
            for (j, ex) in topic.examples.iter().enumerate() {
                self.length(&format!("{base}.examples[{j}]"), ex, 1, 100);
            }
        }
        if g.word_filters.len() > 10_000 {
            self.err("guardrail.word_filters", "more than 10000 words");
        }
        for (i, word) in g.word_filters.iter().enumerate() {
            self.length(&format!("guardrail.word_filters[{i}]"), word, 1, 100);
        }
        if let Some(cg) = &g.contextual_grounding {
            for (key, value) in [
                ("grounding_threshold", cg.grounding_threshold),
                ("relevance_threshold", cg.relevance_threshold),
            ] {
                if !(0.0..=0.99).contains(&value) {
                    self.hint(
                        format!("guardrail.contextual_grounding.{key}"),
                        format!("{value} is out of range"),
                        "use a value from 0 to 0.99",
                    );
                }
            }
        }
        self.length(
            "guardrail.blocked_input_message",
            &g.blocked_input_message,
            1,
            500,
        );
        self.length(
            "guardrail.blocked_outputs_message",
            &g.blocked_outputs_message,
            1,
            500,
        );
    }

    pub(super) fn unknown_pii(&mut self, path: String, entity: &str) {
        let hint = match did_you_mean(entity, PII_ENTITY_TYPES.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None if entity == "ALL" => {
                "`ALL` is not a PII type; list the types (see PII_ENTITY_TYPES in the reference)"
                    .to_owned()
            }
            None => format!("expected one of: {}", PII_ENTITY_TYPES.join(", ")),
        };
        self.hint(path, format!("`{entity}` is not a PII entity type"), hint);
    }

    /// Length in characters within `min..=max`.
    pub(super) fn length(&mut self, path: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.err(path, "must not be empty");
        } else if n > max {
            self.hint(
                path,
                format!("is {n} characters long"),
                format!("at most {max} characters"),
            );
        }
    }
}

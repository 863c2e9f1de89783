//! Plans rendered for people (Terraform-like `+ ~ - -/+` text with attribute diffs, coloured when
//! the caller says the output is a terminal) and for machines (JSON that round-trips through
//! [`StackPlan`]). Presentation is the CLI's: core holds the plan, the binary decides how it looks
//! and whether colour is on.

use baseline_core::reconcile::{Action, AttributeChange, Change, Operation, StackPlan};
use serde_json::Value;
use std::fmt::Write;

/// How to render text.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    /// Emit ANSI colours.
    pub color: bool,
}

const RESET: &str = "\x1b[0m";

fn paint(action: Action, text: &str, opts: TextOptions) -> String {
    if !opts.color {
        return text.to_owned();
    }
    let code = match action {
        Action::Create => "\x1b[32m",
        Action::Update => "\x1b[33m",
        Action::Replace => "\x1b[35m",
        Action::Delete => "\x1b[31m",
        Action::NoOp => return text.to_owned(),
    };
    format!("{code}{text}{RESET}")
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Create => "will be created",
        Action::Update => "will be updated in place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::NoOp => "is up to date",
    }
}

/// The plan as text.
pub fn plan_text(plan: &StackPlan, opts: TextOptions) -> String {
    let mut out = String::new();
    if !plan.has_changes() {
        let _ = writeln!(
            out,
            "No changes. {}",
            match plan.operation {
                Operation::Apply => "The stack matches the configuration.",
                Operation::Destroy => "Nothing of the stack is left to destroy.",
            }
        );
        append_kept(&mut out, plan, opts);
        return out;
    }
    let _ = writeln!(out, "Stack {} will be changed as follows:", plan.stack);
    for module in plan.modules.iter().filter(|m| m.has_changes()) {
        let _ = writeln!(out, "\nmodule {}", module.module);
        for change in module.changes.iter().filter(|c| c.is_change()) {
            render_change(&mut out, change, opts);
        }
    }
    append_kept(&mut out, plan, opts);
    let s = plan.summary;
    let _ = writeln!(
        out,
        "\nPlan: {} to add, {} to change, {} to destroy.",
        s.add, s.change, s.destroy
    );
    out
}

/// What the plan leaves in place on purpose: the no-ops that say why (on destroy, the audit
/// data and the key that reads it).
pub fn left_in_place(plan: &StackPlan) -> Vec<&Change> {
    plan.modules
        .iter()
        .flat_map(|m| &m.changes)
        .filter(|c| c.action == Action::NoOp && c.note.is_some())
        .collect()
}

fn append_kept(out: &mut String, plan: &StackPlan, _opts: TextOptions) {
    let kept = left_in_place(plan);
    if kept.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nLeft in place:");
    for c in kept {
        let _ = writeln!(
            out,
            "  {} ({}): {}",
            c.address,
            c.resource_type,
            c.note.as_deref().unwrap_or_default()
        );
    }
}

fn render_change(out: &mut String, change: &Change, opts: TextOptions) {
    let head = format!(
        "{} {} ({}) {}",
        change.action.symbol(),
        change.address,
        change.resource_type,
        verb(change.action)
    );
    let _ = writeln!(out, "  {}", paint(change.action, &head, opts));
    if let Some(note) = &change.note {
        let _ = writeln!(out, "      # {note}");
    }
    let width = change
        .attributes
        .iter()
        .map(|a| a.name.len())
        .max()
        .unwrap_or(0);
    for attr in &change.attributes {
        render_attribute(out, change.action, attr, width, opts);
    }
}

fn render_attribute(
    out: &mut String,
    action: Action,
    attr: &AttributeChange,
    width: usize,
    opts: TextOptions,
) {
    let (sym, body) = match (&attr.before, &attr.after) {
        (None, Some(after)) => ("+", format_value(after, width + 11)),
        (Some(before), None) => ("-", format_value(before, width + 11)),
        (Some(before), Some(after)) => (
            "~",
            format!(
                "{} -> {}",
                format_value(before, width + 11),
                format_value(after, width + 11)
            ),
        ),
        (None, None) => ("~", "(unknown)".to_owned()),
    };
    let sym_action = match sym {
        "+" => Action::Create,
        "-" => Action::Delete,
        _ => Action::Update,
    };
    let shown_sym = if action == Action::Create || action == Action::Delete {
        action.symbol()
    } else {
        sym
    };
    let forces = if attr.forces_replacement {
        " # forces replacement"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "      {} {:width$} = {body}{forces}",
        paint(sym_action, shown_sym, opts),
        attr.name,
        width = width
    );
}

/// Short values inline; long objects and lists pretty-printed and indented under the attribute.
fn format_value(value: &Value, indent: usize) -> String {
    let compact = value.to_string();
    if compact.len() <= 72 || !(value.is_object() || value.is_array()) {
        return compact;
    }
    let pretty = serde_json::to_string_pretty(value).unwrap_or(compact);
    let pad = " ".repeat(indent);
    pretty
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l.to_owned()
            } else {
                format!("\n{pad}{l}")
            }
        })
        .collect()
}

/// The plan as pretty JSON (the [`StackPlan`] document itself).
pub fn plan_json(plan: &StackPlan) -> String {
    serde_json::to_string_pretty(plan).expect("a plan always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use baseline_core::reconcile::ModulePlan;
    use serde_json::json;

    fn sample() -> StackPlan {
        let policy_before = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]});
        let mut policy_after = policy_before.clone();
        policy_after["Statement"][0]["Sid"] = json!("AccountAdministration");
        StackPlan::new(
            "demo-prod",
            Operation::Apply,
            vec![
                ModulePlan {
                    module: "encryption".into(),
                    changes: vec![
                        Change::create(
                            "encryption.kms_key",
                            "kms_key",
                            &json!({"description": "demo", "enable_key_rotation": true}),
                        ),
                        Change::compare(
                            "encryption.key_policy",
                            "kms_key_policy",
                            &json!({"policy": policy_before}),
                            &json!({"policy": policy_after}),
                            &[],
                        ),
                        Change::noop("encryption.alias", "kms_alias"),
                    ],
                },
                ModulePlan {
                    module: "network".into(),
                    changes: vec![
                        Change::compare(
                            "network.endpoint[\"bedrock\"]",
                            "vpc_endpoint",
                            &json!({"vpc_id": "vpc-a", "private_dns": true}),
                            &json!({"vpc_id": "vpc-b", "private_dns": true}),
                            &["vpc_id"],
                        ),
                        Change::delete(
                            "network.security_group_rule[\"sgr-1\"]",
                            "security_group_rule",
                            &json!({"cidr": "0.0.0.0/0", "port": 22}),
                        ),
                    ],
                },
                ModulePlan {
                    module: "logging".into(),
                    changes: vec![Change::noop("logging.bucket", "s3_bucket")
                        .with_note("kept: audit data (use --delete-audit-data)")],
                },
            ],
        )
    }

    #[test]
    fn plan_text_snapshot() {
        insta::assert_snapshot!(plan_text(&sample(), TextOptions::default()));
    }

    #[test]
    fn plan_json_snapshot_and_round_trip() {
        let plan = sample();
        let text = plan_json(&plan);
        insta::assert_snapshot!(text);
        let back: StackPlan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, plan);
    }

    #[test]
    fn no_changes_text() {
        let plan = StackPlan::new(
            "s",
            Operation::Apply,
            vec![ModulePlan {
                module: "m".into(),
                changes: vec![Change::noop("m.a", "t")],
            }],
        );
        assert_eq!(
            plan_text(&plan, TextOptions::default()),
            "No changes. The stack matches the configuration.\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let text = plan_text(&sample(), TextOptions { color: true });
        assert!(text.contains("\x1b[32m+ encryption.kms_key"));
        assert!(!plan_text(&sample(), TextOptions::default()).contains('\x1b'));
    }
}

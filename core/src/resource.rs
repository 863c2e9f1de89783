//! The resource-level contract below [`crate::Module`]: one resource kind declares its `KIND`,
//! its desired and current types and a typed operation enum, and **one pure function plans**,
//! returning the displayed [`Change`] and the operations together ([`Planned`]). `apply`
//! executes the operations of that plan and nothing else, so plan and apply cannot disagree
//! about what to do (the shape tf-provider gives its `Resource` trait).
//!
//! Also here, the pieces every resource kind needs: [`Step`] (started/exists/finished/gone
//! progress from one place), [`TagDelta`] (the tag writes that turn one tag set into another) and
//! [`without_reserved_tags`] (the tags a stack compares, AWS's own left out).

use crate::progress::{Progress, ProgressEvent};
use crate::reconcile::{Action, Change};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// One kind of AWS resource a module manages.
pub trait ResourceKind {
    /// Resource type shown in plans, e.g. `kms_key`.
    const KIND: &'static str;
    /// What the config wants: the kind's spec, or a view that borrows the spec and what it is
    /// placed in (a VPC, a group's id), so a kind need not copy what several resources share.
    type Desired<'a>;
    /// What exists (read by `observe`).
    type Current;
    /// One write that converges the resource. Serialisable so a saved plan can carry it.
    type Op: Debug + Clone + PartialEq + Serialize + for<'de> Deserialize<'de>;

    /// The change to show and the operations that make it, decided once. Pure.
    fn plan(
        address: &str,
        desired: &Self::Desired<'_>,
        current: Option<&Self::Current>,
    ) -> Planned<Self::Op>;
}

/// A resource's plan: the change the user sees and the typed operations `apply` runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Planned<Op> {
    /// What `plan` displays.
    pub change: Change,
    /// What `apply` executes, in order; empty exactly when `change` is a no-op.
    pub ops: Vec<Op>,
}

impl<Op> Planned<Op> {
    /// A plan with operations (the change's action says what kind).
    pub fn new(change: Change, ops: Vec<Op>) -> Self {
        debug_assert_eq!(
            change.is_change(),
            !ops.is_empty(),
            "{}: a change must come with operations and a no-op without",
            change.address
        );
        Self { change, ops }
    }

    /// Nothing to do.
    pub fn noop(change: Change) -> Self {
        Self {
            change,
            ops: Vec::new(),
        }
    }

    /// True when there is something to execute.
    pub fn is_change(&self) -> bool {
        !self.ops.is_empty()
    }
}

impl<Op: Serialize> Planned<Op> {
    /// The change as a plan shows and saves it: with its operations attached
    /// ([`Change::operations`]), so a saved plan names the writes, not only the attributes.
    pub fn shown(self) -> Change {
        let mut change = self.change;
        change.operations = self
            .ops
            .iter()
            .map(|op| serde_json::to_value(op).expect("an operation serialises to JSON"))
            .collect();
        change
    }
}

/// Progress of one resource's apply or destroy, from one place: `Started` when it begins,
/// `Exists` once the resource has an id, `Finished` (or `Gone` for a delete) when done. A step
/// dropped without [`Step::done`] (an error) emits nothing more: the display shows it failed.
#[must_use = "call done() when the resource is converged"]
pub struct Step<'a> {
    progress: &'a dyn Progress,
    address: String,
    action: Action,
}

impl<'a> Step<'a> {
    /// Emits `Started`.
    pub fn start(progress: &'a dyn Progress, address: impl Into<String>, action: Action) -> Self {
        let address = address.into();
        progress.event(ProgressEvent::Started {
            address: address.clone(),
            action,
        });
        Self {
            progress,
            address,
            action,
        }
    }

    /// The resource now exists with this physical id (the orchestrator records it in state).
    pub fn exists(&self, id: impl Into<String>) {
        self.progress.event(ProgressEvent::Exists {
            address: self.address.clone(),
            id: id.into(),
        });
    }

    /// Emits `Gone` for a delete, else `Finished`.
    pub fn done(self) {
        let event = if self.action == Action::Delete {
            ProgressEvent::Gone {
                address: self.address,
            }
        } else {
            ProgressEvent::Finished {
                address: self.address,
                action: self.action,
            }
        };
        self.progress.event(event);
    }
}

/// True for a tag key AWS reserves: `aws:` in any case. AWS applies such tags itself, and no
/// caller can edit or delete them (EC2 User Guide, Tag your Amazon EC2 resources, "Tag
/// restrictions": <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions>;
/// the same rule stands on every service's tag page), so they are never part of a stack's tags.
pub fn is_reserved_tag(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

/// `tags` without the AWS-reserved ones ([`is_reserved_tag`]): the tags a stack compares with
/// its own.
pub fn without_reserved_tags(mut tags: BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.retain(|k, _| !is_reserved_tag(k));
    tags
}

/// The tag writes that turn `current` into `desired`. AWS-reserved tags ([`is_reserved_tag`])
/// are never removed (AWS refuses that, and they are not ours).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagDelta {
    /// Tags to add or overwrite.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, String>,
    /// Keys to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

impl TagDelta {
    /// The delta from `current` to `desired`.
    pub fn between(current: &BTreeMap<String, String>, desired: &BTreeMap<String, String>) -> Self {
        Self {
            set: desired
                .iter()
                .filter(|(k, v)| current.get(*k) != Some(v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            remove: current
                .keys()
                .filter(|k| !desired.contains_key(*k) && !is_reserved_tag(k))
                .cloned()
                .collect(),
        }
    }

    /// True when the tags are as desired.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::RecordedProgress;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tag_delta_sets_changed_and_new_removes_stale_but_never_aws_tags() {
        let delta = TagDelta::between(
            &tags(&[("a", "1"), ("b", "old"), ("stale", "x"), ("aws:cfn", "y")]),
            &tags(&[("a", "1"), ("b", "new"), ("c", "3")]),
        );
        assert_eq!(delta.set, tags(&[("b", "new"), ("c", "3")]));
        assert_eq!(delta.remove, vec!["stale".to_owned()]);
        assert!(TagDelta::between(&tags(&[("a", "1")]), &tags(&[("a", "1")])).is_empty());
    }

    #[test]
    fn reserved_tags_are_aws_in_any_case_and_nothing_else() {
        let kept = without_reserved_tags(tags(&[
            ("aws:cloudformation:stack-name", "s"),
            ("AWS:x", "y"),
            ("Aws:", "z"),
            ("aws", "plain"),
            ("awsome", "1"),
            ("owner", "team"),
        ]));
        assert_eq!(
            kept,
            tags(&[("aws", "plain"), ("awsome", "1"), ("owner", "team")])
        );
        assert!(!is_reserved_tag("aw"));
        assert!(!is_reserved_tag("é"));
    }

    #[test]
    fn a_step_reports_start_id_and_end_and_a_delete_ends_gone() {
        let progress = RecordedProgress::default();
        let step = Step::start(&progress, "m.r", Action::Create);
        step.exists("id-1");
        step.done();
        Step::start(&progress, "m.r", Action::Delete).done();
        let events = progress.0.lock().unwrap().clone();
        assert_eq!(
            events,
            vec![
                ProgressEvent::Started {
                    address: "m.r".into(),
                    action: Action::Create
                },
                ProgressEvent::Exists {
                    address: "m.r".into(),
                    id: "id-1".into()
                },
                ProgressEvent::Finished {
                    address: "m.r".into(),
                    action: Action::Create
                },
                ProgressEvent::Started {
                    address: "m.r".into(),
                    action: Action::Delete
                },
                ProgressEvent::Gone {
                    address: "m.r".into()
                },
            ]
        );
    }

    #[test]
    fn a_shown_change_carries_its_operations_and_a_noop_none() {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        enum Op {
            Put,
            Tag(TagDelta),
        }
        let delta = TagDelta::between(&tags(&[]), &tags(&[("a", "1")]));
        let change = Change::create("m.r", "k", &serde_json::json!({"x": 1}));
        let shown = Planned::new(change, vec![Op::Put, Op::Tag(delta)]).shown();
        assert_eq!(
            shown.operations,
            vec![
                serde_json::json!({"op": "put"}),
                serde_json::json!({"op": "tag", "set": {"a": "1"}})
            ]
        );
        assert!(Planned::<Op>::noop(Change::noop("m.r", "k"))
            .shown()
            .operations
            .is_empty());
    }

    #[test]
    fn a_failed_step_says_nothing_after_started() {
        let progress = RecordedProgress::default();
        drop(Step::start(&progress, "m.r", Action::Update));
        assert_eq!(progress.0.lock().unwrap().len(), 1);
    }
}

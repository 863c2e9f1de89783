//! The guardrail: its definition (one typed value for what the config asks for and for what
//! GetGuardrail returns, draft or numbered version, so spec, observed state and diff all speak
//! the same shape), and the observe, plan, apply and destroy of its DRAFT and tags. Values are
//! kept in the API's spelling (`HIGH`, `ANONYMIZE`, `PROFANITY`) so a value AWS returns that the
//! config model does not know still shows in a plan.
//!
//! Also: the deterministic client request tokens (a retry after a crash never creates a second
//! guardrail or version) and the READY wait shared with the versions.

use crate::api::{GuardrailState, GuardrailsApi};
use crate::module::GuardrailsSpec;
use crate::{version, GuardrailsError};
use baseline_core::aws::ApiError;
use baseline_core::config::ContentFilterType;
use baseline_core::naming::STACK_TAG;
use baseline_core::poll::Poll;
use baseline_core::resource::{without_reserved_tags, Planned, ResourceKind, Step, TagDelta};
use baseline_core::write::WriteResult;
use baseline_core::{Change, Config, Progress, ProgressEvent};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Address of the guardrail (its DRAFT and tags).
pub(crate) const GUARDRAIL: &str = "guardrails.guardrail";
const POLL: Duration = Duration::from_secs(2);

/// Shown in plans where a value is only known once apply ran.
pub(crate) const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// Input and output strength of one content filter (`NONE|LOW|MEDIUM|HIGH`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterStrengths {
    /// Strength on prompts.
    pub input_strength: String,
    /// Strength on model responses.
    pub output_strength: String,
}

/// A custom regex sensitive-information filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegexFilter {
    /// The regular expression.
    pub pattern: String,
    /// `BLOCK` or `ANONYMIZE`.
    pub action: String,
    /// Optional description.
    pub description: Option<String>,
}

/// A denied topic (type `DENY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeniedTopic {
    /// What the topic is.
    pub definition: String,
    /// Example phrases.
    pub examples: Vec<String>,
}

/// Everything a guardrail version captures, plus its name and description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardrailDefinition {
    /// Guardrail name.
    pub name: String,
    /// Guardrail description.
    pub description: Option<String>,
    /// The CMK encrypting the guardrail; `None` in a spec while the key is still to be created.
    pub kms_key_arn: Option<String>,
    /// Content filters by API type (`SEXUAL`, ..., `PROMPT_ATTACK`).
    pub content_filters: BTreeMap<String, FilterStrengths>,
    /// PII entity type -> action.
    pub pii_entities: BTreeMap<String, String>,
    /// Regex filters by name.
    pub regexes: BTreeMap<String, RegexFilter>,
    /// Denied topics by name.
    pub denied_topics: BTreeMap<String, DeniedTopic>,
    /// Blocked words or phrases.
    pub words: BTreeSet<String>,
    /// Managed word lists (`PROFANITY`).
    pub managed_word_lists: BTreeSet<String>,
    /// Contextual grounding filter type (`GROUNDING`, `RELEVANCE`) -> threshold.
    pub contextual_grounding: BTreeMap<String, f64>,
    /// Message returned when a prompt is blocked.
    pub blocked_input_messaging: String,
    /// Message returned when a response is blocked.
    pub blocked_outputs_messaging: String,
}

impl GuardrailDefinition {
    /// The definition the config asks for. `kms_key_arn` comes from the encryption module.
    pub fn from_config(config: &Config, stack: &str, kms_key_arn: Option<String>) -> Self {
        let g = &config.guardrail;
        let content_filters = ContentFilterType::ALL
            .iter()
            .map(|kind| {
                let f = config.content_filter(*kind);
                (
                    kind.api_name().to_owned(),
                    FilterStrengths {
                        input_strength: f.input_strength.as_str().to_owned(),
                        // Validation rejects anything but NONE for PROMPT_ATTACK output; enforce
                        // it here too so a config built in code cannot send what AWS refuses.
                        output_strength: if *kind == ContentFilterType::PromptAttack {
                            "NONE".to_owned()
                        } else {
                            f.output_strength.as_str().to_owned()
                        },
                    },
                )
            })
            .collect();
        let pii_entities = g
            .pii_entities
            .iter()
            .map(|t| (t.clone(), config.pii_action_for(t).as_str().to_owned()))
            .collect();
        let regexes = g
            .regexes
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    RegexFilter {
                        pattern: r.pattern.clone(),
                        action: r.action.as_str().to_owned(),
                        description: r.description.clone(),
                    },
                )
            })
            .collect();
        let denied_topics = g
            .denied_topics
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    DeniedTopic {
                        definition: t.definition.clone(),
                        examples: t.examples.clone(),
                    },
                )
            })
            .collect();
        let managed_word_lists = if g.managed_profanity_list {
            BTreeSet::from(["PROFANITY".to_owned()])
        } else {
            BTreeSet::new()
        };
        let contextual_grounding = g
            .contextual_grounding
            .map(|c| {
                BTreeMap::from([
                    ("GROUNDING".to_owned(), c.grounding_threshold),
                    ("RELEVANCE".to_owned(), c.relevance_threshold),
                ])
            })
            .unwrap_or_default();
        Self {
            name: config.guardrail_name(),
            description: Some(format!(
                "bedrock-baseline {stack}: content safety for Bedrock model invocations"
            )),
            kms_key_arn,
            content_filters,
            pii_entities,
            regexes,
            denied_topics,
            words: g.word_filters.iter().cloned().collect(),
            managed_word_lists,
            contextual_grounding,
            blocked_input_messaging: g.blocked_input_message.clone(),
            blocked_outputs_messaging: g.blocked_outputs_message.clone(),
        }
    }

    /// The definition as a JSON object for plans (`content_filters.HATE.input_strength`, ...),
    /// as it is: a missing key shows as `null` (an unencrypted guardrail).
    pub fn view(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// [`Self::view`] of a desired definition: a key not known yet shows as
    /// "(known after apply)".
    pub fn planned_view(&self) -> Value {
        let mut v = self.view();
        if self.kms_key_arn.is_none() {
            if let Some(obj) = v.as_object_mut() {
                obj.insert(
                    "kms_key_arn".into(),
                    Value::String(KNOWN_AFTER_APPLY.into()),
                );
            }
        }
        v
    }

    /// What a numbered version captures: [`Self::view`] without name and description (a
    /// version's description is its own, and a version keeps the name it was published under).
    pub fn content_view(&self) -> Value {
        content_of(self.view())
    }

    /// [`Self::content_view`] of a desired definition.
    pub fn planned_content_view(&self) -> Value {
        content_of(self.planned_view())
    }
}

fn content_of(mut v: Value) -> Value {
    if let Some(obj) = v.as_object_mut() {
        obj.remove("name");
        obj.remove("description");
    }
    v
}

/// A client request token derived from `parts`: the same request gets the same token, so an SDK
/// retry or a re-run after a crash is deduplicated by AWS rather than creating a second resource.
/// Bedrock tokens match `[a-zA-Z0-9](-*[a-zA-Z0-9])*`, 1..=256 characters.
pub(crate) fn client_token(kind: &str, parts: &[&str]) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    for part in parts {
        for b in part.as_bytes().iter().chain([0u8].iter()) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("baseline-{kind}-{h:016x}")
}

/// The stack's guardrail as it exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedGuardrail {
    /// Its DRAFT.
    pub draft: GuardrailState,
    /// Tags, without AWS-reserved `aws:` tags.
    pub tags: BTreeMap<String, String>,
    /// Numbered versions, ascending.
    pub versions: Vec<u32>,
    /// The newest numbered version (the version in force).
    pub newest: Option<GuardrailState>,
}

impl ObservedGuardrail {
    pub(crate) fn newest_number(&self) -> Option<u32> {
        self.newest.as_ref().and_then(|n| n.version.parse().ok())
    }
}

/// Guardrail tag reads in flight while the stack's guardrail is searched by its tag.
const TAG_READS: usize = 8;

/// The stack's guardrail, found by name or by stack tag; `None` when it does not exist.
pub(crate) async fn observe(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
) -> Result<Option<ObservedGuardrail>, GuardrailsError> {
    let all = api.list_guardrails().await?;
    if let Some(g) = all.iter().find(|g| g.name == spec.guardrail.name) {
        // Tags, draft and numbered versions need only the listed id and ARN: read together
        // (one round trip less on every plan). The answers are judged in the order a
        // sequential read would have met them: a foreign guardrail is refused first, whatever
        // its draft said.
        let (tags, draft, versions) = futures::join!(
            api.guardrail_tags(&g.arn),
            api.get_guardrail(&g.id, None),
            version::observe(api, &g.id),
        );
        let tags = without_reserved_tags(tags?);
        if tags.get(STACK_TAG) != Some(&spec.stack) {
            return Err(GuardrailsError::ForeignGuardrail {
                name: g.name.clone(),
                id: g.id.clone(),
                stack: spec.stack.clone(),
            });
        }
        return observed(draft, versions, tags);
    }
    // Not under its name: `guardrail_name` may have changed. The stack tag finds it, and the
    // diff then shows the rename.
    // Up to TAG_READS at once, judged in list order (at most TAG_READS - 1 reads past the one
    // that matches are wasted; none when nothing matches, the apply-from-empty case).
    // (Futures built up front: a closure in the stream trips async_trait's Send check.)
    let reads: Vec<_> = all.iter().map(|g| api.guardrail_tags(&g.arn)).collect();
    let mut reads = futures::stream::iter(reads).buffered(TAG_READS);
    let mut listed = all.iter();
    let mut found = None;
    while let (Some(tags), Some(g)) = (reads.next().await, listed.next()) {
        let tags = match tags {
            Ok(tags) => without_reserved_tags(tags),
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e.into()),
        };
        if tags.get(STACK_TAG) == Some(&spec.stack) {
            found = Some((g.id.clone(), tags));
            break;
        }
    }
    let Some((id, tags)) = found else {
        return Ok(None);
    };
    // The draft and the numbered versions need only the id: read them together.
    let (draft, versions) =
        futures::future::join(api.get_guardrail(&id, None), version::observe(api, &id)).await;
    observed(draft, versions, tags)
}

/// The guardrail from its draft and versions reads (`None`: deleted between list and get),
/// judged in the order a sequential read would have met them.
fn observed(
    draft: Result<Option<GuardrailState>, ApiError>,
    versions: Result<(Vec<u32>, Option<GuardrailState>), ApiError>,
    tags: BTreeMap<String, String>,
) -> Result<Option<ObservedGuardrail>, GuardrailsError> {
    let Some(draft) = draft? else {
        return Ok(None);
    };
    let (versions, newest) = versions?;
    Ok(Some(ObservedGuardrail {
        draft,
        tags,
        versions,
        newest,
    }))
}

fn with_tags(mut view: Value, tags: &BTreeMap<String, String>) -> Value {
    if let Some(obj) = view.as_object_mut() {
        obj.insert("tags".into(), json!(tags));
    }
    view
}

fn desired_view(spec: &GuardrailsSpec) -> Value {
    with_tags(spec.guardrail.planned_view(), &spec.tags)
}

fn observed_view(g: &ObservedGuardrail) -> Value {
    with_tags(g.draft.definition.view(), &g.tags)
}

/// One write on the guardrail, decided by [`plan`] and run by [`execute`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum GuardrailOp {
    /// CreateGuardrail with the stack tags and a content-derived client token, then the wait
    /// for READY.
    Create,
    /// UpdateGuardrail of the DRAFT, then the wait for READY.
    UpdateDraft,
    /// UntagResource then TagResource.
    Tag(TagDelta),
    /// DeleteGuardrail (its numbered versions go with it).
    Delete,
}

/// The resource kind of the stack's guardrail (its DRAFT and tags; the numbered versions are
/// [`GuardrailVersion`](crate::version::GuardrailVersion)).
pub(crate) struct BedrockGuardrail;

impl ResourceKind for BedrockGuardrail {
    const KIND: &'static str = "bedrock_guardrail";
    type Desired<'a> = GuardrailsSpec;
    type Current = ObservedGuardrail;
    type Op = GuardrailOp;

    /// Create, or the draft and tags compared with the spec.
    fn plan(
        address: &str,
        spec: &GuardrailsSpec,
        observed: Option<&ObservedGuardrail>,
    ) -> Planned<GuardrailOp> {
        let Some(g) = observed else {
            let create = Change::create(address, Self::KIND, &desired_view(spec));
            let create = match grounding_note(spec) {
                Some(note) => create.with_note(note),
                None => create,
            };
            return Planned::new(create, vec![GuardrailOp::Create]);
        };
        let change = Change::compare(
            address,
            Self::KIND,
            &observed_view(g),
            &desired_view(spec),
            &[],
        );
        let mut ops = Vec::new();
        if g.draft.definition.view() != spec.guardrail.planned_view() {
            ops.push(GuardrailOp::UpdateDraft);
        }
        let tags = TagDelta::between(&g.tags, &spec.tags);
        if !tags.is_empty() {
            ops.push(GuardrailOp::Tag(tags));
        }
        let change = if g.draft.status == "READY" {
            change
        } else {
            change.with_note(format!(
                "the guardrail is {}; apply waits for READY",
                g.draft.status
            ))
        };
        Planned::new(change, ops)
    }
}

impl BedrockGuardrail {
    /// The guardrail's delete.
    pub(crate) fn plan_delete(g: &ObservedGuardrail) -> Planned<GuardrailOp> {
        Planned::new(
            Change::delete(GUARDRAIL, Self::KIND, &observed_view(g)),
            vec![GuardrailOp::Delete],
        )
    }
}

/// What the plan says about the contextual grounding check when it is off (the default; see
/// docs/config-reference.md, "Guardrails"): grounding acts only on requests that carry a
/// grounding source and a query, and AWS does not support it for conversational use
/// (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-contextual-grounding-check.html).
fn grounding_note(spec: &GuardrailsSpec) -> Option<&'static str> {
    spec.guardrail.contextual_grounding.is_empty().then_some(
        "contextual grounding is off (guardrail.contextual_grounding unset): it acts only on requests that carry a grounding source and a query, so scanners' grounding check (Prowler bedrock_guardrail_contextual_grounding_filter_enabled) reports FAIL by this choice; set grounding_threshold and relevance_threshold to turn it on",
    )
}

/// Polls GetGuardrail until the draft or a version is READY.
pub(crate) async fn wait_ready(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
    id: &str,
    version: Option<u32>,
    address: &str,
    progress: &dyn Progress,
) -> Result<(), GuardrailsError> {
    wait(api, spec, id, version, address, progress, None)
        .await
        .map(|_| ())
}

/// How a wait for READY ended, if not in an error.
#[derive(Debug, PartialEq, Eq)]
enum Waited {
    Ready,
    /// GetGuardrail did not know the id for the whole grace given ([`create_found`]).
    NeverSeen,
}

/// The wait of [`wait_ready`]; with `unseen_grace`, an id GetGuardrail has not known once
/// within that time ends it early with [`Waited::NeverSeen`].
async fn wait(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
    id: &str,
    version: Option<u32>,
    address: &str,
    progress: &dyn Progress,
    unseen_grace: Option<Duration>,
) -> Result<Waited, GuardrailsError> {
    let started = std::time::Instant::now();
    let mut poll = Poll::every(POLL, spec.wait_timeout);
    let mut seen = false;
    loop {
        let status = match api.get_guardrail(id, version).await? {
            Some(s) if s.status == "READY" => return Ok(Waited::Ready),
            Some(s) if s.status == "FAILED" => {
                return Err(GuardrailsError::GuardrailFailed {
                    id: id.to_owned(),
                    version: version.map_or_else(|| "DRAFT".to_owned(), |v| v.to_string()),
                    reasons: s.status_reasons.join("; "),
                })
            }
            Some(s) => {
                seen = true;
                s.status
            }
            None if !seen && unseen_grace.is_some_and(|g| started.elapsed() >= g) => {
                return Ok(Waited::NeverSeen)
            }
            // Just created: reads may lag behind the write.
            None => "NOT_VISIBLE_YET".to_owned(),
        };
        if let Err(waited) = poll.wait(progress, address, &status).await {
            return Err(GuardrailsError::NotReady {
                id: id.to_owned(),
                version: version.map_or_else(|| "DRAFT".to_owned(), |v| v.to_string()),
                status,
                waited_secs: waited.as_secs(),
            });
        }
    }
}

/// How long what a create answered may stay unknown to GetGuardrail before the create is taken
/// for a replay ([`create_found`]); at most half the wait timeout.
const REPLAY_GRACE: Duration = Duration::from_secs(30);
/// Creates sent, each with a fresh token, while Bedrock answers with an id it does not know.
const TOKEN_ATTEMPTS: u32 = 3;

/// What a CreateGuardrail or CreateGuardrailVersion answered.
pub(crate) struct Created {
    /// The guardrail's id.
    pub id: String,
    /// The version made (`None`: the guardrail itself, its DRAFT).
    pub version: Option<u32>,
    /// What progress records as existing (the guardrail's ARN, or `ARN:version`).
    pub recorded: String,
}

/// Sends a create with the client token of `token_parts` and waits until what it answered is
/// READY.
///
/// The token is the same for the same request, so a create retried after a lost answer or a
/// crash gets what the first one made. Bedrock "ignores the request, but does not return an
/// error" when a token matches an earlier request (Bedrock API reference, CreateGuardrail and
/// CreateGuardrailVersion, `clientRequestToken`:
/// <https://docs.aws.amazon.com/bedrock/latest/APIReference/API_CreateGuardrail.html>); it does
/// not say what it answers when that earlier request's guardrail or version was deleted since:
/// `destroy` and then `apply` of the same config, or a version deleted by hand and the same
/// content published again. Should it hand back the deleted id, GetGuardrail never finds it
/// and the wait would run to its timeout on every apply: an answer not found once within
/// [`REPLAY_GRACE`] is taken for such a replay, and the create is sent again with a salted
/// token (as the endpoints do with EC2's replayed tokens).
pub(crate) async fn create_found<F, Fut>(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
    (kind, token_parts): (&str, &[&str]),
    (step, address): (&Step<'_>, &str),
    progress: &dyn Progress,
    send: F,
) -> Result<Created, GuardrailsError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Created, ApiError>>,
{
    let grace = REPLAY_GRACE.min(spec.wait_timeout / 2);
    for attempt in 0..TOKEN_ATTEMPTS {
        let salt = format!("replayed-{attempt}");
        let mut parts = token_parts.to_vec();
        if attempt > 0 {
            parts.push(&salt);
        }
        let created = send(client_token(kind, &parts)).await?;
        let waited = wait(
            api,
            spec,
            &created.id,
            created.version,
            address,
            progress,
            Some(grace),
        )
        .await;
        if waited.as_ref().is_ok_and(|w| *w == Waited::NeverSeen) {
            continue;
        }
        // Found (READY, or failed on its way there): it exists.
        step.exists(created.recorded.clone());
        waited?;
        return Ok(created);
    }
    Err(GuardrailsError::CreateReplayed {
        address: address.to_owned(),
        attempts: TOKEN_ATTEMPTS,
    })
}

/// Runs the guardrail's planned ops; returns its id and ARN (`None` once deleted).
pub(crate) async fn execute(
    api: &dyn GuardrailsApi,
    spec: &GuardrailsSpec,
    observed: Option<&ObservedGuardrail>,
    planned: &Planned<GuardrailOp>,
    progress: &dyn Progress,
) -> Result<Option<(String, String)>, GuardrailsError> {
    let def = &spec.guardrail;
    let mut found = observed.map(|g| (g.draft.id.clone(), g.draft.arn.clone()));
    if !planned.is_change() {
        return Ok(found);
    }
    let step = Step::start(progress, GUARDRAIL, planned.change.action);
    for op in &planned.ops {
        match (op, &found) {
            (GuardrailOp::Create, _) => {
                let content = def.view().to_string();
                let tags = serde_json::to_string(&spec.tags).unwrap_or_default();
                let parts = [spec.stack.as_str(), def.name.as_str(), &content, &tags];
                let send = |token: String| async move {
                    let made = api.create_guardrail(def, &spec.tags, &token).await?;
                    Ok(Created {
                        id: made.id,
                        version: None,
                        recorded: made.arn,
                    })
                };
                let created = create_found(
                    api,
                    spec,
                    ("guardrail", &parts),
                    (&step, GUARDRAIL),
                    progress,
                    send,
                )
                .await?;
                found = Some((created.id, created.recorded));
            }
            (GuardrailOp::UpdateDraft, Some((id, _))) => {
                api.update_guardrail(id, def).await?;
                wait_ready(api, spec, id, None, GUARDRAIL, progress).await?;
            }
            (GuardrailOp::Tag(tags), Some((_, arn))) => {
                if !tags.remove.is_empty() {
                    api.untag_guardrail(arn, &tags.remove).await?;
                }
                if !tags.set.is_empty() {
                    api.tag_guardrail(arn, &tags.set).await?;
                }
            }
            (GuardrailOp::Delete, Some((id, _))) => {
                api.delete_guardrail(id).await.or_gone()?;
                if observed.is_some_and(|g| !g.versions.is_empty()) {
                    progress.event(ProgressEvent::Gone {
                        address: version::VERSION.into(),
                    });
                }
                found = None;
            }
            // Planned only for a guardrail that exists.
            (GuardrailOp::UpdateDraft | GuardrailOp::Tag(_) | GuardrailOp::Delete, None) => {}
        }
    }
    step.done();
    Ok(found)
}

#[cfg(test)]
mod tests;

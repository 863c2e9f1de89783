//! The logging service role `<prefix>-bedrock-logging`, which Bedrock assumes to write
//! invocation logs to CloudWatch Logs: its trust policy and inline policy (pure), the views the
//! plan compares (policies parsed and normalised: IAM returns them URL-encoded and re-ordered),
//! and apply.
//!
//! The role is this stack's alone, so apply also removes inline policies other than `logging`
//! and detaches managed policies that someone added by hand. Observe, plan, converge and
//! remove here serve all three service roles of the crate (logging, flow logs, replication).

use crate::api::{LoggingApi, NewRole, RoleInfo};
use crate::{check_owner, policy_view, LoggingError};
use baseline_core::config::ConfigIssue;
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::resource::{without_reserved_tags, Planned, Step, TagDelta};
use baseline_core::write::WriteResult;
use baseline_core::{Progress, ProgressEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Name of the role's one inline policy.
pub(crate) const INLINE_POLICY: &str = "logging";

/// Desired role.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RoleSpec {
    /// `<prefix>-bedrock-logging` (always set, so destroy finds it).
    pub(crate) name: String,
    /// `arn:<p>:iam::<account>:role/<name>`.
    pub(crate) arn: String,
    /// Needed: invocation logging to CloudWatch Logs is on.
    pub(crate) enabled: bool,
    /// Set at creation.
    pub(crate) description: String,
    /// Who may assume it.
    pub(crate) trust_policy: PolicyDocument,
    /// The inline policy `logging`.
    pub(crate) policy: PolicyDocument,
    /// `permissions_boundary_arn`.
    pub(crate) permissions_boundary_arn: Option<String>,
    /// Tags, stack tags included.
    pub(crate) tags: BTreeMap<String, String>,
}

/// What exists of a role.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedRole {
    /// GetRole.
    pub info: RoleInfo,
    /// Tags, without AWS-reserved `aws:` tags.
    pub tags: BTreeMap<String, String>,
    /// Names of every inline policy.
    pub inline_policy_names: Vec<String>,
    /// The `logging` inline policy's document, if it exists.
    pub inline_policy: Option<String>,
    /// ARNs of attached managed policies.
    pub attached_policies: Vec<String>,
}

impl ObservedRole {
    /// Inline policies other than `logging` (someone else's additions).
    pub fn other_inline_policies(&self) -> Vec<String> {
        self.inline_policy_names
            .iter()
            .filter(|p| *p != INLINE_POLICY)
            .cloned()
            .collect()
    }
}

/// The role, its tags and policies, read at once; `None` when it does not exist.
pub(crate) async fn observe(
    api: &dyn LoggingApi,
    role: &RoleSpec,
    stack: &str,
) -> Result<Option<ObservedRole>, LoggingError> {
    let name = role.name.as_str();
    let Some(info) = api.get_role(name).await? else {
        return Ok(None);
    };
    let (tags, inline_policy_names, inline_policy, attached_policies) = futures::try_join!(
        api.role_tags(name),
        api.role_policy_names(name),
        api.role_policy(name, INLINE_POLICY),
        api.attached_role_policies(name),
    )?;
    let tags = without_reserved_tags(tags);
    check_owner("iam role", name, &tags, stack)?;
    Ok(Some(ObservedRole {
        info,
        tags,
        inline_policy_names,
        inline_policy,
        attached_policies,
    }))
}

/// `permissions_boundary_arn` as every stack role carries it (empty: none).
pub(crate) fn boundary(config: &baseline_core::Config) -> Option<String> {
    config
        .permissions_boundary_arn
        .clone()
        .filter(|b| !b.is_empty())
}

/// The boundary policy must exist before a role can carry it; checked only when apply would
/// set it.
pub(crate) async fn check_boundary(
    api: &dyn LoggingApi,
    spec: &RoleSpec,
    role: Option<&ObservedRole>,
) -> Result<(), LoggingError> {
    let Some(boundary) = spec
        .permissions_boundary_arn
        .as_deref()
        .filter(|_| spec.enabled)
    else {
        return Ok(());
    };
    if role.is_some_and(|r| r.info.permissions_boundary_arn.as_deref() == Some(boundary)) {
        return Ok(());
    }
    if api.policy_exists(boundary).await? {
        return Ok(());
    }
    Err(LoggingError::Precondition(PreconditionFailed {
        issues: vec![ConfigIssue {
            path: "permissions_boundary_arn".into(),
            message: format!(
                "the permissions boundary policy {boundary} does not exist in this account"
            ),
            hint: Some("create the managed policy first, or unset permissions_boundary_arn".into()),
        }],
    }))
}

/// Trust: only Bedrock, and only on behalf of this account and region (confused-deputy
/// conditions `aws:SourceAccount` and `aws:SourceArn`).
pub fn trust_policy(partition: &str, account_id: &str, region: &str) -> PolicyDocument {
    PolicyDocument::new(vec![Statement::allow("BedrockAssumeForInvocationLogging")
        .service_principal("bedrock.amazonaws.com")
        .actions(["sts:AssumeRole"])
        .condition("StringEquals", "aws:SourceAccount", [account_id])
        .condition(
            "ArnLike",
            "aws:SourceArn",
            [format!("arn:{partition}:bedrock:{region}:{account_id}:*")],
        )])
}

/// The inline policy: write streams of the invocation log group and, when S3 delivery is on,
/// put large data under the bucket's log prefix. Nothing else.
pub fn role_policy(log_group_arn: &str, bucket_prefix_arn: Option<&str>) -> PolicyDocument {
    let mut statements = vec![Statement::allow("WriteInvocationLogStreams")
        .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
        .resources([format!("{log_group_arn}:log-stream:*")])];
    if let Some(prefix_arn) = bucket_prefix_arn {
        statements.push(
            Statement::allow("WriteLargeDataToLogBucket")
                .actions(["s3:PutObject"])
                .resources([prefix_arn]),
        );
    }
    PolicyDocument::new(statements)
}

/// Sid of the large-data KMS statement.
pub(crate) const LARGE_DATA_KMS_SID: &str = "EncryptLargeDataWithStackKey";

/// Adds the grant to use the stack key for large payloads the role writes to the SSE-KMS
/// bucket: S3 calls `GenerateDataKey` (and `Decrypt` for multipart uploads) as the role
/// ("Using SSE-KMS", <https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms>),
/// limited to requests S3 makes (`kms:ViaService`,
/// <https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service>).
/// The key policy delegates to the account, so this IAM grant is what counts.
pub(crate) fn with_large_data_key(
    mut doc: PolicyDocument,
    key_arn: &str,
    region: &str,
) -> PolicyDocument {
    doc.statement.push(
        Statement::allow(LARGE_DATA_KMS_SID)
            .actions(["kms:GenerateDataKey", "kms:Decrypt"])
            .resources([key_arn])
            .condition(
                "StringEquals",
                "kms:ViaService",
                [format!("s3.{region}.amazonaws.com")],
            ),
    );
    doc
}

fn parsed_view(text: Option<&str>) -> Value {
    match text.map(|t| PolicyDocument::parse(t).map_err(|_| t)) {
        None => Value::Null,
        Some(Ok(doc)) => policy_view(&doc),
        Some(Err(raw)) => Value::String(raw.to_owned()),
    }
}

/// What the plan shows for the role as specified.
pub(crate) fn desired_view(spec: &RoleSpec) -> Value {
    json!({
        "name": spec.name,
        "trust_policy": policy_view(&spec.trust_policy),
        "permissions_boundary": spec.permissions_boundary_arn,
        "attached_managed_policies": Vec::<String>::new(),
        "other_inline_policies": Vec::<String>::new(),
        "tags": spec.tags,
    })
}

/// The same view of the role as it is.
pub(crate) fn observed_view(r: &ObservedRole) -> Value {
    json!({
        "name": r.info.name,
        "trust_policy": parsed_view(Some(&r.info.trust_policy)),
        "permissions_boundary": r.info.permissions_boundary_arn,
        "attached_managed_policies": r.attached_policies,
        "other_inline_policies": r.other_inline_policies(),
        "tags": r.tags,
    })
}

/// The inline policy as specified.
pub(crate) fn desired_policy_view(spec: &RoleSpec) -> Value {
    json!({"role": spec.name, "name": INLINE_POLICY, "policy": policy_view(&spec.policy)})
}

/// The inline policy as it is (`policy: null` when missing).
pub(crate) fn observed_policy_view(spec: &RoleSpec, r: &ObservedRole) -> Value {
    json!({"role": spec.name, "name": INLINE_POLICY, "policy": parsed_view(r.inline_policy.as_deref())})
}

/// One write on a service role, decided by [`plan`] and run by [`converge`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum RoleOp {
    /// CreateRole with trust policy, boundary and tags (AlreadyExists: made after observe, so
    /// trust, boundary and tags are written too).
    Create,
    /// UpdateAssumeRolePolicy.
    UpdateTrust,
    /// PutRolePermissionsBoundary.
    PutBoundary,
    /// DeleteRolePermissionsBoundary.
    DeleteBoundary,
    /// DetachRolePolicy of a managed policy someone attached (the role is the stack's alone).
    Detach {
        /// The managed policy.
        policy_arn: String,
    },
    /// DeleteRolePolicy of an inline policy other than the stack's.
    DeleteInline {
        /// Its name.
        name: String,
    },
    /// UntagRole then TagRole.
    Tag(TagDelta),
    /// Inline policies deleted and managed ones detached, as IAM requires, then DeleteRole.
    Delete,
}

/// One write on the role's inline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum RolePolicyOp {
    /// PutRolePolicy of the stack's inline policy.
    Put,
    /// Nothing to call: the role's delete takes it along.
    RemovedWithRole,
}

/// The plans of a role and its inline policy.
pub(crate) struct RolePlan {
    /// The role's.
    pub(crate) role: Planned<RoleOp>,
    /// The inline policy's (`None`: a role being deleted that has none).
    pub(crate) policy: Option<Planned<RolePolicyOp>>,
}

impl RolePlan {
    /// Role, then policy.
    pub(crate) fn changes(self) -> Vec<baseline_core::Change> {
        std::iter::once(self.role.shown())
            .chain(self.policy.map(Planned::shown))
            .collect()
    }
}

/// The plan of a role and its inline policy at `addresses` (role, policy): created, compared
/// or deleted as the spec's `enabled` and what exists say (`None`: neither wanted nor there).
pub(crate) fn plan(
    spec: &RoleSpec,
    observed: Option<&ObservedRole>,
    (role_address, policy_address): (&str, &str),
) -> Option<RolePlan> {
    use baseline_core::Change;
    match (observed, spec.enabled) {
        (None, true) => Some(RolePlan {
            role: Planned::new(
                Change::create(role_address, "iam_role", &desired_view(spec)),
                vec![RoleOp::Create],
            ),
            policy: Some(Planned::new(
                Change::create(
                    policy_address,
                    "iam_role_policy",
                    &desired_policy_view(spec),
                ),
                vec![RolePolicyOp::Put],
            )),
        }),
        (Some(found), true) => {
            let (current, desired) = (observed_view(found), desired_view(spec));
            let changed = |attr: &str| current.get(attr) != desired.get(attr);
            let boundary = match &spec.permissions_boundary_arn {
                Some(_) => RoleOp::PutBoundary,
                None => RoleOp::DeleteBoundary,
            };
            // Observe dropped the `aws:` tags, so the delta removes exactly the stale ones.
            let tags = TagDelta::between(&found.tags, &spec.tags);
            let ops = changed("trust_policy")
                .then_some(RoleOp::UpdateTrust)
                .into_iter()
                .chain(changed("permissions_boundary").then_some(boundary))
                .chain(found.attached_policies.iter().map(|arn| RoleOp::Detach {
                    policy_arn: arn.clone(),
                }))
                .chain(
                    found
                        .other_inline_policies()
                        .into_iter()
                        .map(|name| RoleOp::DeleteInline { name }),
                )
                .chain((!tags.is_empty()).then_some(RoleOp::Tag(tags)))
                .collect();
            let role = Planned::new(
                Change::compare(role_address, "iam_role", &current, &desired, &[]),
                ops,
            );
            let before = found
                .inline_policy
                .as_ref()
                .map(|_| observed_policy_view(spec, found));
            let policy = Change::converge(
                policy_address,
                "iam_role_policy",
                before.as_ref(),
                &desired_policy_view(spec),
                &[],
            );
            let policy_ops = if policy.is_change() {
                vec![RolePolicyOp::Put]
            } else {
                Vec::new()
            };
            Some(RolePlan {
                role,
                policy: Some(Planned::new(policy, policy_ops)),
            })
        }
        (Some(found), false) => Some(RolePlan {
            role: Planned::new(
                Change::delete(role_address, "iam_role", &observed_view(found)),
                vec![RoleOp::Delete],
            ),
            policy: found.inline_policy.as_ref().map(|_| {
                Planned::new(
                    Change::delete(
                        policy_address,
                        "iam_role_policy",
                        &observed_policy_view(spec, found),
                    ),
                    vec![RolePolicyOp::RemovedWithRole],
                )
            }),
        }),
        (None, false) => None,
    }
}

/// The plan's changes of a role and its inline policy (see [`plan`]).
pub(crate) fn changes(
    spec: &RoleSpec,
    observed: Option<&ObservedRole>,
    addresses: (&str, &str),
) -> Vec<baseline_core::Change> {
    plan(spec, observed, addresses).map_or_else(Vec::new, RolePlan::changes)
}

/// The delete changes of an existing role (and its inline policy when it has one).
pub(crate) fn deletes(
    spec: &RoleSpec,
    found: &ObservedRole,
    addresses: (&str, &str),
) -> Vec<baseline_core::Change> {
    let gone = RoleSpec {
        enabled: false,
        ..spec.clone()
    };
    changes(&gone, Some(found), addresses)
}

/// Runs what [`plan`] decides for an enabled role and its policy, with their progress events;
/// nothing when both are no-ops. Returns true when the role was created or its trust changed
/// (Bedrock may not be able to assume it for a few seconds).
pub(crate) async fn converge(
    api: &dyn LoggingApi,
    spec: &RoleSpec,
    observed: Option<&ObservedRole>,
    (role_address, policy_address): (&str, &str),
    progress: &dyn Progress,
) -> Result<bool, LoggingError> {
    // A disabled role is `remove`'s: its delete plan is not run here.
    if !spec.enabled {
        return Ok(false);
    }
    let Some(planned) = plan(spec, observed, (role_address, policy_address)) else {
        return Ok(false);
    };
    let name = spec.name.as_str();
    let trust_json = spec.trust_policy.to_json();
    // The inline policy reports its own events; the role's only when it changes.
    let step = planned
        .role
        .is_change()
        .then(|| Step::start(progress, role_address, planned.role.change.action));
    let mut fresh = false;
    for op in &planned.role.ops {
        match op {
            RoleOp::Create => {
                let new = NewRole {
                    name: spec.name.clone(),
                    description: spec.description.clone(),
                    trust_policy: trust_json.clone(),
                    permissions_boundary_arn: spec.permissions_boundary_arn.clone(),
                    tags: spec.tags.clone(),
                };
                match api.create_role(&new).await {
                    Ok(arn) => progress.event(ProgressEvent::Exists {
                        address: role_address.into(),
                        id: if arn.is_empty() {
                            spec.arn.clone()
                        } else {
                            arn
                        },
                    }),
                    // Created after observe: its state is unknown, so write every setting.
                    Err(e) if e.is_already_exists() => {
                        progress.event(ProgressEvent::Exists {
                            address: role_address.into(),
                            id: spec.arn.clone(),
                        });
                        api.update_trust_policy(name, &trust_json).await?;
                        match &spec.permissions_boundary_arn {
                            Some(b) => api.put_role_boundary(name, b).await?,
                            None => api.delete_role_boundary(name).await.or_gone()?,
                        }
                        api.tag_role(name, &spec.tags).await?;
                    }
                    Err(e) => return Err(e.into()),
                }
                fresh = true;
            }
            RoleOp::UpdateTrust => {
                api.update_trust_policy(name, &trust_json).await?;
                fresh = true;
            }
            RoleOp::PutBoundary => {
                if let Some(b) = &spec.permissions_boundary_arn {
                    api.put_role_boundary(name, b).await?;
                }
            }
            // Removals whose retry (after a lost answer) or a hand-made change meets NotFound
            // are done, as in destroy.
            RoleOp::DeleteBoundary => api.delete_role_boundary(name).await.or_gone()?,
            RoleOp::Detach { policy_arn } => {
                api.detach_role_policy(name, policy_arn).await.or_gone()?;
            }
            RoleOp::DeleteInline { name: other } => {
                api.delete_role_policy(name, other).await.or_gone()?;
            }
            RoleOp::Tag(delta) => {
                if !delta.remove.is_empty() {
                    api.untag_role(name, &delta.remove).await?;
                }
                if !delta.set.is_empty() {
                    api.tag_role(name, &delta.set).await?;
                }
            }
            // A disabled role is removed by `remove`, never here.
            RoleOp::Delete => {}
        }
    }
    if let Some(policy) = planned.policy.as_ref().filter(|p| p.is_change()) {
        let step = Step::start(progress, policy_address, policy.change.action);
        api.put_role_policy(name, INLINE_POLICY, &spec.policy.to_json())
            .await?;
        if policy.change.action == baseline_core::Action::Create {
            step.exists(format!("{name}:{INLINE_POLICY}"));
        }
        step.done();
    }
    if let Some(step) = step {
        step.done();
    }
    Ok(fresh)
}

/// [`destroy`] with the progress events of role and policy.
pub(crate) async fn remove(
    api: &dyn LoggingApi,
    name: &str,
    found: &ObservedRole,
    (role_address, policy_address): (&str, &str),
    progress: &dyn Progress,
) -> Result<(), LoggingError> {
    let step = Step::start(progress, role_address, baseline_core::Action::Delete);
    destroy(api, name, found).await?;
    // The inline policy goes with the role.
    progress.event(ProgressEvent::Gone {
        address: policy_address.into(),
    });
    step.done();
    Ok(())
}

/// Deletes the role: inline policies and managed attachments first, as IAM requires. Gone
/// already counts as done.
pub(crate) async fn destroy(
    api: &dyn LoggingApi,
    name: &str,
    observed: &ObservedRole,
) -> Result<(), LoggingError> {
    let ignore_missing = |r: Result<(), baseline_core::aws::ApiError>| match r {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    };
    let mut inline = observed.inline_policy_names.clone();
    if observed.inline_policy.is_some() && !inline.iter().any(|p| p == INLINE_POLICY) {
        inline.push(INLINE_POLICY.to_owned());
    }
    for policy in &inline {
        ignore_missing(api.delete_role_policy(name, policy).await)?;
    }
    for arn in &observed.attached_policies {
        ignore_missing(api.detach_role_policy(name, arn).await)?;
    }
    ignore_missing(api.delete_role(name).await)?;
    Ok(())
}

#[cfg(test)]
mod tests;

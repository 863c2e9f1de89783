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
use baseline_core::aws::ServiceErrorKind;
use baseline_core::config::ConfigIssue;
use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::reconcile::PreconditionFailed;
use baseline_core::resource::{Step, TagDelta};
use baseline_core::{Progress, ProgressEvent};
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
    let (mut tags, inline_policy_names, inline_policy, attached_policies) = futures::try_join!(
        api.role_tags(name),
        api.role_policy_names(name),
        api.role_policy(name, INLINE_POLICY),
        api.attached_role_policies(name),
    )?;
    tags.retain(|k, _| !k.starts_with("aws:"));
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

/// Creates or converges the role and its inline policy. Returns true when the role was created
/// or its trust changed (Bedrock may not be able to assume it for a few seconds).
pub(crate) async fn apply(
    api: &dyn LoggingApi,
    spec: &RoleSpec,
    observed: Option<&ObservedRole>,
    (role_address, policy_address): (&str, &str),
    progress: &dyn Progress,
) -> Result<bool, LoggingError> {
    let name = spec.name.as_str();
    let policy_json = spec.policy.to_json();
    let trust_json = spec.trust_policy.to_json();
    let Some(found) = observed else {
        let new = NewRole {
            name: spec.name.clone(),
            description: spec.description.clone(),
            trust_policy: trust_json.clone(),
            permissions_boundary_arn: spec.permissions_boundary_arn.clone(),
            tags: spec.tags.clone(),
        };
        match api.create_role(&new).await {
            Ok(arn) => {
                let arn = if arn.is_empty() {
                    spec.arn.clone()
                } else {
                    arn
                };
                progress.event(ProgressEvent::Exists {
                    address: role_address.into(),
                    id: arn,
                });
            }
            // Created after observe: its state is unknown, so write every setting.
            Err(e) if e.kind == ServiceErrorKind::AlreadyExists => {
                progress.event(ProgressEvent::Exists {
                    address: role_address.into(),
                    id: spec.arn.clone(),
                });
                api.update_trust_policy(name, &trust_json).await?;
                match &spec.permissions_boundary_arn {
                    Some(b) => api.put_role_boundary(name, b).await?,
                    None => match api.delete_role_boundary(name).await {
                        Err(e) if !e.is_not_found() => return Err(e.into()),
                        _ => {}
                    },
                }
                api.tag_role(name, &spec.tags).await?;
            }
            Err(e) => return Err(e.into()),
        }
        let step = Step::start(progress, policy_address, baseline_core::Action::Create);
        api.put_role_policy(name, INLINE_POLICY, &policy_json)
            .await?;
        step.exists(format!("{name}:{INLINE_POLICY}"));
        step.done();
        return Ok(true);
    };
    let current = observed_view(found);
    let desired = desired_view(spec);
    let changed = |attr: &str| current.get(attr) != desired.get(attr);
    let mut trust_changed = false;
    if changed("trust_policy") {
        api.update_trust_policy(name, &trust_json).await?;
        trust_changed = true;
    }
    if changed("permissions_boundary") {
        match &spec.permissions_boundary_arn {
            Some(b) => api.put_role_boundary(name, b).await?,
            None => api.delete_role_boundary(name).await?,
        }
    }
    for arn in &found.attached_policies {
        api.detach_role_policy(name, arn).await?;
    }
    for other in found.other_inline_policies() {
        api.delete_role_policy(name, &other).await?;
    }
    if changed("tags") {
        // Observe dropped the `aws:` tags, so the delta removes exactly the stale ones.
        let delta = TagDelta::between(&found.tags, &spec.tags);
        if !delta.remove.is_empty() {
            api.untag_role(name, &delta.remove).await?;
        }
        if !delta.set.is_empty() {
            api.tag_role(name, &delta.set).await?;
        }
    }
    if observed_policy_view(spec, found) != desired_policy_view(spec) {
        let action = if found.inline_policy.is_some() {
            baseline_core::Action::Update
        } else {
            baseline_core::Action::Create
        };
        let step = Step::start(progress, policy_address, action);
        api.put_role_policy(name, INLINE_POLICY, &policy_json)
            .await?;
        step.done();
    }
    Ok(trust_changed)
}

/// The plan of a role and its inline policy at `addresses` (role, policy): created, compared
/// or deleted as the spec's `enabled` and what exists say.
pub(crate) fn changes(
    spec: &RoleSpec,
    observed: Option<&ObservedRole>,
    addresses: (&str, &str),
) -> Vec<baseline_core::Change> {
    use baseline_core::Change;
    let (role_address, policy_address) = addresses;
    match (observed, spec.enabled) {
        (None, true) => vec![
            Change::create(role_address, "iam_role", &desired_view(spec)),
            Change::create(
                policy_address,
                "iam_role_policy",
                &desired_policy_view(spec),
            ),
        ],
        (Some(found), true) => {
            let before = found
                .inline_policy
                .as_ref()
                .map(|_| observed_policy_view(spec, found));
            vec![
                Change::compare(
                    role_address,
                    "iam_role",
                    &observed_view(found),
                    &desired_view(spec),
                    &[],
                ),
                Change::converge(
                    policy_address,
                    "iam_role_policy",
                    before.as_ref(),
                    &desired_policy_view(spec),
                    &[],
                ),
            ]
        }
        (Some(found), false) => deletes(spec, found, addresses),
        (None, false) => Vec::new(),
    }
}

/// The delete changes of an existing role (and its inline policy when it has one).
pub(crate) fn deletes(
    spec: &RoleSpec,
    found: &ObservedRole,
    (role_address, policy_address): (&str, &str),
) -> Vec<baseline_core::Change> {
    use baseline_core::Change;
    let mut changes = vec![Change::delete(
        role_address,
        "iam_role",
        &observed_view(found),
    )];
    if found.inline_policy.is_some() {
        changes.push(Change::delete(
            policy_address,
            "iam_role_policy",
            &observed_policy_view(spec, found),
        ));
    }
    changes
}

/// Applies what [`changes`] plans for role and policy, with their progress events; nothing
/// when both are no-ops. Returns true when the role was created or its trust changed.
pub(crate) async fn converge(
    api: &dyn LoggingApi,
    spec: &RoleSpec,
    observed: Option<&ObservedRole>,
    addresses: (&str, &str),
    progress: &dyn Progress,
) -> Result<bool, LoggingError> {
    use baseline_core::Action;
    let planned = changes(spec, observed, addresses);
    let action_of = |address: &str| {
        planned
            .iter()
            .find(|c| c.address == address)
            .map_or(Action::NoOp, |c| c.action)
    };
    let (action, policy_action) = (action_of(addresses.0), action_of(addresses.1));
    if !spec.enabled || (action == Action::NoOp && policy_action == Action::NoOp) {
        return Ok(false);
    }
    // The inline policy reports its own events; the role's only when it changes.
    let step = (action != Action::NoOp).then(|| Step::start(progress, addresses.0, action));
    let fresh = apply(api, spec, observed, addresses, progress).await?;
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
mod tests {
    use super::*;

    #[test]
    fn trust_is_bedrock_only_with_both_confused_deputy_conditions() {
        let doc = trust_policy("aws", "123456789012", "eu-west-1");
        let st = &doc.statement[0];
        assert_eq!(doc.statement.len(), 1);
        assert_eq!(st.action.as_ref().unwrap().0, vec!["sts:AssumeRole"]);
        assert_eq!(
            st.condition_values("StringEquals", "aws:SourceAccount")
                .unwrap()
                .0,
            vec!["123456789012"]
        );
        assert_eq!(
            st.condition_values("ArnLike", "aws:SourceArn").unwrap().0,
            vec!["arn:aws:bedrock:eu-west-1:123456789012:*"]
        );
    }

    #[test]
    fn large_data_key_grant_is_limited_to_s3() {
        let doc = with_large_data_key(
            role_policy("arn:lg", Some("arn:aws:s3:::b/p/*")),
            "arn:aws:kms:us-east-1:1:key/k",
            "us-east-1",
        );
        let st = doc.statement(LARGE_DATA_KMS_SID).unwrap();
        assert_eq!(
            st.action.as_ref().unwrap().0,
            vec!["kms:GenerateDataKey", "kms:Decrypt"]
        );
        assert_eq!(
            st.condition_values("StringEquals", "kms:ViaService")
                .unwrap()
                .0,
            vec!["s3.us-east-1.amazonaws.com"]
        );
    }

    #[test]
    fn inline_policy_is_limited_to_the_log_group_streams_and_bucket_prefix() {
        let lg = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/bedrock/demo-prod/invocations";
        let doc = role_policy(lg, Some("arn:aws:s3:::b/invocations/*"));
        assert_eq!(
            doc.statement("WriteInvocationLogStreams")
                .unwrap()
                .resource
                .as_ref()
                .unwrap()
                .0,
            vec![format!("{lg}:log-stream:*")]
        );
        assert_eq!(
            doc.statement("WriteLargeDataToLogBucket")
                .unwrap()
                .resource
                .as_ref()
                .unwrap()
                .0,
            vec!["arn:aws:s3:::b/invocations/*"]
        );
        assert!(!doc.has_wildcard_allow());
        assert!(
            role_policy(lg, None)
                .statement("WriteLargeDataToLogBucket")
                .is_none(),
            "no S3 grant without S3 delivery"
        );
    }

    #[test]
    fn url_encoded_trust_policy_from_iam_shows_no_change() {
        let doc = trust_policy("aws", "123456789012", "us-east-1");
        let encoded: String = doc
            .to_json()
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert_eq!(parsed_view(Some(&encoded)), policy_view(&doc));
    }
}

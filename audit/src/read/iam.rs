//! IAM reads: roles (trust, attached and inline policies), users (their policies), permission
//! boundaries of the roles Bedrock resources run as, customer-managed policies and Bedrock API
//! keys.

use super::{failed, list_missing, Reader};
use crate::inventory::{ApiKey, LocalPolicy, Missing, Read, Role, RoleDetail, User};
use baseline_core::policy::PolicyDocument;
use futures::future::join_all;

/// The service name of Bedrock API keys (service-specific credentials,
/// https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html).
const BEDROCK_SERVICE: &str = "bedrock.amazonaws.com";

/// An inline policy document, or why it is unusable.
fn inline_document(name: &str, text: &str) -> Read<PolicyDocument> {
    PolicyDocument::parse(text)
        .map_err(|e| Missing::Failed(format!("inline policy {name} did not parse: {e}")))
}

impl Reader {
    /// `iam:ListRoles` + each role's attached and inline policies.
    pub(super) async fn roles(&self) -> Read<Vec<(Role, (String, RoleDetail))>> {
        let roles = self
            .paged(
                "iam:ListRoles",
                list_missing,
                |m| self.iam.list_roles().set_marker(m).send(),
                |p| {
                    p.roles()
                        .iter()
                        .map(|r| {
                            let trust = match r.assume_role_policy_document() {
                                None | Some("") => Ok(None),
                                Some(text) => PolicyDocument::parse(text)
                                    .map(Some)
                                    .map_err(|e| e.to_string()),
                            };
                            (
                                r.role_name().to_owned(),
                                r.arn().to_owned(),
                                r.path().to_owned(),
                                trust,
                            )
                        })
                        .collect()
                },
            )
            .await?;
        Ok(join_all(
            roles
                .into_iter()
                .map(|(name, arn, path, trust)| async move {
                    let (attached, inline) =
                        tokio::join!(self.attached_to_role(&name), self.role_inline(&name));
                    let detail = RoleDetail {
                        trust,
                        inline,
                        boundary: None,
                    };
                    (
                        Role {
                            name: name.clone(),
                            arn,
                            path,
                            attached,
                        },
                        (name, detail),
                    )
                }),
        )
        .await)
    }

    /// `iam:ListAttachedRolePolicies`: the policy ARNs.
    async fn attached_to_role(&self, role: &str) -> Read<Vec<String>> {
        self.paged(
            "iam:ListAttachedRolePolicies",
            failed,
            |m| {
                self.iam
                    .list_attached_role_policies()
                    .role_name(role)
                    .set_marker(m)
                    .send()
            },
            |p| {
                p.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned))
                    .collect()
            },
        )
        .await
    }

    /// `iam:ListAttachedUserPolicies`: the policy ARNs.
    async fn attached_to_user(&self, user: &str) -> Read<Vec<String>> {
        self.paged(
            "iam:ListAttachedUserPolicies",
            failed,
            |m| {
                self.iam
                    .list_attached_user_policies()
                    .user_name(user)
                    .set_marker(m)
                    .send()
            },
            |p| {
                p.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned))
                    .collect()
            },
        )
        .await
    }

    /// `iam:ListUsers` + each user's policies.
    pub(super) async fn users(&self) -> Read<Vec<User>> {
        let users = self
            .paged(
                "iam:ListUsers",
                list_missing,
                |m| self.iam.list_users().set_marker(m).send(),
                |p| {
                    p.users()
                        .iter()
                        .map(|u| (u.user_name().to_owned(), u.arn().to_owned()))
                        .collect()
                },
            )
            .await?;
        Ok(join_all(users.into_iter().map(|(name, arn)| async move {
            let policies = self.user_policies(&name).await;
            User {
                name,
                arn,
                policies,
            }
        }))
        .await)
    }

    /// The documents of a user's inline policies and the default versions of its attached ones.
    async fn user_policies(&self, user: &str) -> Read<Vec<(String, PolicyDocument)>> {
        let names = self
            .call(
                "iam:ListUserPolicies",
                self.iam.list_user_policies().user_name(user).send(),
            )
            .await?
            .policy_names()
            .to_vec();
        let mut docs = Vec::new();
        for name in names {
            let out = self
                .call(
                    "iam:GetUserPolicy",
                    self.iam
                        .get_user_policy()
                        .user_name(user)
                        .policy_name(&name)
                        .send(),
                )
                .await?;
            let doc = inline_document(&name, out.policy_document())?;
            docs.push((name, doc));
        }
        for arn in self.attached_to_user(user).await? {
            docs.push((arn.clone(), self.managed_policy(&arn).await?));
        }
        Ok(docs)
    }

    /// `iam:GetPolicy` + `GetPolicyVersion` of the default version.
    pub(super) async fn managed_policy(&self, arn: &str) -> Read<PolicyDocument> {
        let policy = self
            .call(
                "iam:GetPolicy",
                self.iam.get_policy().policy_arn(arn).send(),
            )
            .await?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .ok_or_else(|| Missing::Failed(format!("{arn}: no default version")))?;
        let v = self
            .call(
                "iam:GetPolicyVersion",
                self.iam
                    .get_policy_version()
                    .policy_arn(arn)
                    .version_id(version)
                    .send(),
            )
            .await?;
        let text = v
            .policy_version()
            .and_then(|p| p.document())
            .ok_or_else(|| Missing::Failed(format!("{arn}: no document")))?;
        PolicyDocument::parse(text)
            .map_err(|e| Missing::Failed(format!("{arn} did not parse: {e}")))
    }

    /// `iam:ListRolePolicies` + `GetRolePolicy` of one role.
    async fn role_inline(&self, role: &str) -> Read<Vec<(String, PolicyDocument)>> {
        let names = self
            .paged(
                "iam:ListRolePolicies",
                failed,
                |m| {
                    self.iam
                        .list_role_policies()
                        .role_name(role)
                        .set_marker(m)
                        .send()
                },
                |p| p.policy_names().to_vec(),
            )
            .await?;
        join_all(names.into_iter().map(|name| async move {
            let out = self
                .call(
                    "iam:GetRolePolicy",
                    self.iam
                        .get_role_policy()
                        .role_name(role)
                        .policy_name(&name)
                        .send(),
                )
                .await?;
            let doc = inline_document(&name, out.policy_document())?;
            Ok((name, doc))
        }))
        .await
        .into_iter()
        .collect()
    }

    /// `iam:GetRole` → `PermissionsBoundary.PermissionsBoundaryArn` (ListRoles omits it,
    /// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html).
    pub(super) async fn role_boundary(&self, role: &str) -> Read<Option<String>> {
        let out = self
            .call("iam:GetRole", self.iam.get_role().role_name(role).send())
            .await?;
        Ok(out
            .role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned))
    }

    /// `iam:ListPolicies(Scope=Local)` + the default versions. Unattached policies too: the
    /// stack's model-access policy is attached by the application's owner, maybe not yet.
    pub(super) async fn local_policies(&self) -> Read<Vec<LocalPolicy>> {
        let found = self
            .paged(
                "iam:ListPolicies",
                list_missing,
                |m| {
                    self.iam
                        .list_policies()
                        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                        .set_marker(m)
                        .send()
                },
                |p| {
                    p.policies()
                        .iter()
                        .filter_map(|p| Some((p.arn()?.to_owned(), p.policy_name()?.to_owned())))
                        .collect()
                },
            )
            .await?;
        Ok(join_all(found.into_iter().map(|(arn, name)| async move {
            let document = self.managed_policy(&arn).await;
            LocalPolicy {
                arn,
                name,
                document,
            }
        }))
        .await)
    }

    /// `iam:ListServiceSpecificCredentials(UserName, ServiceName=bedrock.amazonaws.com)`.
    pub(super) async fn api_keys(&self, user: &str) -> Read<Vec<ApiKey>> {
        let out = self
            .call_as(
                "iam:ListServiceSpecificCredentials",
                list_missing,
                self.iam
                    .list_service_specific_credentials()
                    .user_name(user)
                    .service_name(BEDROCK_SERVICE)
                    .send(),
            )
            .await?;
        Ok(out
            .service_specific_credentials()
            .iter()
            .filter(|c| c.service_name() == BEDROCK_SERVICE)
            .map(|c| ApiKey {
                id: c.service_specific_credential_id().to_owned(),
                status: c.status().as_str().to_owned(),
                expires: c.expiration_date().map(|d| d.secs()),
            })
            .collect())
    }
}

//! IAM reads beyond roles' attachments: inline role policies, permission boundaries of the roles
//! Bedrock resources run as, customer-managed policies and Bedrock API keys.

use super::{failed, list_missing, Reader};
use crate::inventory::{ApiKey, LocalPolicy, Missing, Read};
use baseline_core::policy::PolicyDocument;
use futures::future::join_all;

/// The service name of Bedrock API keys (service-specific credentials,
/// https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html).
const BEDROCK_SERVICE: &str = "bedrock.amazonaws.com";

impl Reader {
    /// `iam:ListRolePolicies` + `GetRolePolicy` of one role.
    pub(super) async fn role_inline(&self, role: &str) -> Read<Vec<(String, PolicyDocument)>> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.iam
                    .list_role_policies()
                    .role_name(role)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| failed("iam:ListRolePolicies", e))?
            };
            names.extend(page.policy_names().iter().cloned());
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        join_all(names.into_iter().map(|name| async move {
            let _p = self.permit().await;
            let out = self
                .iam
                .get_role_policy()
                .role_name(role)
                .policy_name(&name)
                .send()
                .await
                .map_err(|e| failed("iam:GetRolePolicy", e))?;
            let doc = PolicyDocument::parse(out.policy_document())
                .map_err(|e| Missing::Failed(format!("inline policy {name} did not parse: {e}")))?;
            Ok((name, doc))
        }))
        .await
        .into_iter()
        .collect()
    }

    /// `iam:GetRole` → `PermissionsBoundary.PermissionsBoundaryArn` (ListRoles omits it,
    /// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html).
    pub(super) async fn role_boundary(&self, role: &str) -> Read<Option<String>> {
        let _p = self.permit().await;
        let out = self
            .iam
            .get_role()
            .role_name(role)
            .send()
            .await
            .map_err(|e| failed("iam:GetRole", e))?;
        Ok(out
            .role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned))
    }

    /// `iam:ListPolicies(Scope=Local)` + the default versions. Unattached policies too: the
    /// stack's model-access policy is attached by the application's owner, maybe not yet.
    pub(super) async fn local_policies(&self) -> Read<Vec<LocalPolicy>> {
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.iam
                    .list_policies()
                    .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("iam:ListPolicies", e))?
            };
            for p in page.policies() {
                if let (Some(arn), Some(name)) = (p.arn(), p.policy_name()) {
                    found.push((arn.to_owned(), name.to_owned()));
                }
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) => marker = Some(m.to_owned()),
                _ => break,
            }
        }
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
        let _p = self.permit().await;
        let out = self
            .iam
            .list_service_specific_credentials()
            .user_name(user)
            .service_name(BEDROCK_SERVICE)
            .send()
            .await
            .map_err(|e| list_missing("iam:ListServiceSpecificCredentials", e))?;
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

//! The IAM operations of [`super::LoggingApi`] over the SDK client: the service roles, their
//! tags, inline and attached policies, and the boundary policy check.

use super::call::IAM;
use super::{NewRole, RoleInfo};
use aws_sdk_iam::Client;
use baseline_core::aws::ApiError;
use std::collections::BTreeMap;

pub(super) async fn get_role(iam: &Client, name: &str) -> Result<Option<RoleInfo>, ApiError> {
    let req = iam.get_role().role_name(name).send();
    let out = IAM.find("GetRole", name, req).await?;
    Ok(out.and_then(|o| {
        let role = o.role()?;
        Some(RoleInfo {
            name: role.role_name().to_owned(),
            arn: role.arn().to_owned(),
            trust_policy: role
                .assume_role_policy_document()
                .unwrap_or_default()
                .to_owned(),
            permissions_boundary_arn: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
        })
    }))
}

pub(super) async fn role_tags(
    iam: &Client,
    name: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let pages = iam.list_role_tags().role_name(name).into_paginator().send();
    let pages = IAM.call("ListRoleTags", name, pages.try_collect()).await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.tags())
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect())
}

pub(super) async fn role_policy_names(iam: &Client, role: &str) -> Result<Vec<String>, ApiError> {
    let pages = iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    let pages = IAM
        .call("ListRolePolicies", role, pages.try_collect())
        .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.policy_names())
        .cloned()
        .collect())
}

pub(super) async fn role_policy(
    iam: &Client,
    role: &str,
    policy_name: &str,
) -> Result<Option<String>, ApiError> {
    let req = iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .send();
    let out = IAM.find("GetRolePolicy", role, req).await?;
    Ok(out.map(|o| o.policy_document().to_owned()))
}

pub(super) async fn attached_role_policies(
    iam: &Client,
    role: &str,
) -> Result<Vec<String>, ApiError> {
    let pages = iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .send();
    let pages = IAM
        .call("ListAttachedRolePolicies", role, pages.try_collect())
        .await?;
    Ok(pages
        .iter()
        .flat_map(|p| p.attached_policies())
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect())
}

pub(super) async fn policy_exists(iam: &Client, arn: &str) -> Result<bool, ApiError> {
    let req = iam.get_policy().policy_arn(arn).send();
    Ok(IAM.find("GetPolicy", arn, req).await?.is_some())
}

/// IAM's tag list; `op` and `target` name the request that could not be built.
fn tag_list(
    tags: &BTreeMap<String, String>,
    op: &'static str,
    target: &str,
) -> Result<Vec<aws_sdk_iam::types::Tag>, ApiError> {
    tags.iter()
        .map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(IAM.unbuilt(op, target))
}

pub(super) async fn create_role(iam: &Client, role: &NewRole) -> Result<String, ApiError> {
    let op = "CreateRole";
    let req = iam
        .create_role()
        .role_name(&role.name)
        .description(&role.description)
        .assume_role_policy_document(&role.trust_policy)
        .set_permissions_boundary(role.permissions_boundary_arn.clone())
        .set_tags(Some(tag_list(&role.tags, op, &role.name)?))
        .send();
    let out = IAM.call(op, &role.name, req).await?;
    Ok(out.role().map(|r| r.arn().to_owned()).unwrap_or_default())
}

pub(super) async fn update_trust_policy(
    iam: &Client,
    role: &str,
    policy: &str,
) -> Result<(), ApiError> {
    let req = iam
        .update_assume_role_policy()
        .role_name(role)
        .policy_document(policy)
        .send();
    IAM.write("UpdateAssumeRolePolicy", role, req).await
}

pub(super) async fn put_role_boundary(
    iam: &Client,
    role: &str,
    boundary_arn: &str,
) -> Result<(), ApiError> {
    let req = iam
        .put_role_permissions_boundary()
        .role_name(role)
        .permissions_boundary(boundary_arn)
        .send();
    IAM.write("PutRolePermissionsBoundary", role, req).await
}

pub(super) async fn delete_role_boundary(iam: &Client, role: &str) -> Result<(), ApiError> {
    let req = iam
        .delete_role_permissions_boundary()
        .role_name(role)
        .send();
    IAM.write("DeleteRolePermissionsBoundary", role, req).await
}

pub(super) async fn put_role_policy(
    iam: &Client,
    role: &str,
    policy_name: &str,
    policy: &str,
) -> Result<(), ApiError> {
    let req = iam
        .put_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .policy_document(policy)
        .send();
    IAM.write("PutRolePolicy", role, req).await
}

pub(super) async fn delete_role_policy(
    iam: &Client,
    role: &str,
    policy_name: &str,
) -> Result<(), ApiError> {
    let req = iam
        .delete_role_policy()
        .role_name(role)
        .policy_name(policy_name)
        .send();
    IAM.write("DeleteRolePolicy", role, req).await
}

pub(super) async fn detach_role_policy(
    iam: &Client,
    role: &str,
    policy_arn: &str,
) -> Result<(), ApiError> {
    let req = iam
        .detach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send();
    IAM.write("DetachRolePolicy", role, req).await
}

pub(super) async fn tag_role(
    iam: &Client,
    role: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let op = "TagRole";
    let req = iam
        .tag_role()
        .role_name(role)
        .set_tags(Some(tag_list(tags, op, role)?))
        .send();
    IAM.write(op, role, req).await
}

pub(super) async fn untag_role(iam: &Client, role: &str, keys: &[String]) -> Result<(), ApiError> {
    let req = iam
        .untag_role()
        .role_name(role)
        .set_tag_keys(Some(keys.to_vec()))
        .send();
    IAM.write("UntagRole", role, req).await
}

pub(super) async fn delete_role(iam: &Client, role: &str) -> Result<(), ApiError> {
    let req = iam.delete_role().role_name(role).send();
    IAM.write("DeleteRole", role, req).await
}

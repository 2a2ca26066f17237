//! IAM: the gateway's role, its trust policy and its inline policy.

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use super::{AwsError, ErrorKind, call};

/// What the deployment needs to know about an existing role.
#[derive(Debug, Clone)]
pub struct RoleInfo {
    pub arn: String,
    /// The trust policy document, decoded.
    pub trust_policy: String,
}

pub async fn create_role(
    c: &aws_sdk_iam::Client,
    name: &str,
    trust_policy: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    let tags: Vec<Tag> = tags
        .iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    let out = call(
        "iam:CreateRole",
        c.create_role()
            .role_name(name)
            .assume_role_policy_document(trust_policy)
            .description("Role of the SRE agent's AgentCore gateway (sre-agent-deploy)")
            .set_tags(Some(tags))
            .send(),
    )
    .await?;
    out.role()
        .map(|r| r.arn().to_string())
        .ok_or_else(|| AwsError::other("iam:CreateRole", "the response has no role"))
}

pub async fn get_role(c: &aws_sdk_iam::Client, name: &str) -> Result<Option<RoleInfo>, AwsError> {
    match call("iam:GetRole", c.get_role().role_name(name).send()).await {
        Ok(out) => Ok(out.role().map(|r| RoleInfo {
            arn: r.arn().to_string(),
            trust_policy: r
                .assume_role_policy_document()
                .map(|d| {
                    percent_encoding::percent_decode_str(d)
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .unwrap_or_default(),
        })),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn role_tags(c: &aws_sdk_iam::Client, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = call("iam:ListRoleTags", c.list_role_tags().role_name(name).send()).await?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

pub async fn put_role_policy(
    c: &aws_sdk_iam::Client,
    role: &str,
    policy_name: &str,
    document: &str,
) -> Result<(), AwsError> {
    call(
        "iam:PutRolePolicy",
        c.put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document)
            .send(),
    )
    .await
    .map(|_| ())
}

/// The role's inline policy document of that name (decoded), or `None` when it has none.
pub async fn role_policy(
    c: &aws_sdk_iam::Client,
    role: &str,
    policy_name: &str,
) -> Result<Option<String>, AwsError> {
    match call(
        "iam:GetRolePolicy",
        c.get_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send(),
    )
    .await
    {
        Ok(out) => Ok(Some(
            percent_encoding::percent_decode_str(out.policy_document())
                .decode_utf8_lossy()
                .into_owned(),
        )),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn delete_role_policy(
    c: &aws_sdk_iam::Client,
    role: &str,
    policy_name: &str,
) -> Result<(), AwsError> {
    call(
        "iam:DeleteRolePolicy",
        c.delete_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send(),
    )
    .await
    .map(|_| ())
}

pub async fn delete_role(c: &aws_sdk_iam::Client, name: &str) -> Result<(), AwsError> {
    call("iam:DeleteRole", c.delete_role().role_name(name).send())
        .await
        .map(|_| ())
}

/// Names of all roles (for finding a deployment's roles by tag).
pub async fn list_role_names(c: &aws_sdk_iam::Client) -> Result<Vec<String>, AwsError> {
    let pages: Vec<_> = c
        .list_roles()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("iam:ListRoles", &e))?;
    Ok(pages
        .iter()
        .flat_map(aws_sdk_iam::operation::list_roles::ListRolesOutput::roles)
        .map(|r| r.role_name().to_string())
        .collect())
}

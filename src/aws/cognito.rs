//! Cognito: the user pool, its domain, the resource server with the scopes, and the app client.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cognitoidentityprovider::types::{OAuthFlowType, ResourceServerScopeType};

use super::{AwsError, ErrorKind, call};

type Client = aws_sdk_cognitoidentityprovider::Client;

pub async fn create_user_pool(
    c: &Client,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    let tags: HashMap<String, String> = tags.clone().into_iter().collect();
    let out = call(
        "cognito-idp:CreateUserPool",
        c.create_user_pool()
            .pool_name(name)
            .set_user_pool_tags(Some(tags))
            .send(),
    )
    .await?;
    out.user_pool()
        .and_then(|p| p.id())
        .map(str::to_string)
        .ok_or_else(|| AwsError::other("cognito-idp:CreateUserPool", "the response has no pool id"))
}

/// What `DescribeUserPool` says about a pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolInfo {
    pub tags: BTreeMap<String, String>,
    /// The pool's hosted-UI domain prefix, if it has one.
    pub domain: Option<String>,
}

/// The pool's tags and domain, or `None` when the pool does not exist.
pub async fn describe_pool(c: &Client, id: &str) -> Result<Option<PoolInfo>, AwsError> {
    match call(
        "cognito-idp:DescribeUserPool",
        c.describe_user_pool().user_pool_id(id).send(),
    )
    .await
    {
        Ok(out) => Ok(out.user_pool().map(|p| PoolInfo {
            tags: p
                .user_pool_tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            domain: p.domain().filter(|d| !d.is_empty()).map(str::to_string),
        })),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The pool's tags, or `None` when the pool does not exist.
pub async fn describe_user_pool(c: &Client, id: &str) -> Result<Option<BTreeMap<String, String>>, AwsError> {
    Ok(describe_pool(c, id).await?.map(|p| p.tags))
}

pub async fn list_user_pools(c: &Client) -> Result<Vec<(String, String)>, AwsError> {
    let pages: Vec<_> = c
        .list_user_pools()
        .max_results(60)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("cognito-idp:ListUserPools", &e))?;
    Ok(pages
        .iter()
        .flat_map(
            aws_sdk_cognitoidentityprovider::operation::list_user_pools::ListUserPoolsOutput::user_pools,
        )
        .filter_map(|p| Some((p.id()?.to_string(), p.name()?.to_string())))
        .collect())
}

pub async fn delete_user_pool(c: &Client, id: &str) -> Result<(), AwsError> {
    call(
        "cognito-idp:DeleteUserPool",
        c.delete_user_pool().user_pool_id(id).send(),
    )
    .await
    .map(|_| ())
}

pub async fn create_domain(c: &Client, domain: &str, pool: &str) -> Result<(), AwsError> {
    call(
        "cognito-idp:CreateUserPoolDomain",
        c.create_user_pool_domain()
            .domain(domain)
            .user_pool_id(pool)
            .send(),
    )
    .await
    .map(|_| ())
}

/// The pool a domain belongs to, or `None` when the domain is free.
pub async fn domain_owner(c: &Client, domain: &str) -> Result<Option<String>, AwsError> {
    match call(
        "cognito-idp:DescribeUserPoolDomain",
        c.describe_user_pool_domain().domain(domain).send(),
    )
    .await
    {
        Ok(out) => Ok(out
            .domain_description()
            .and_then(|d| d.user_pool_id())
            .filter(|id| !id.is_empty())
            .map(str::to_string)),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn delete_domain(c: &Client, domain: &str, pool: &str) -> Result<(), AwsError> {
    call(
        "cognito-idp:DeleteUserPoolDomain",
        c.delete_user_pool_domain()
            .domain(domain)
            .user_pool_id(pool)
            .send(),
    )
    .await
    .map(|_| ())
}

/// Scope names (`identifier/name` or `name`) as Cognito scope types.
fn scope_types(scopes: &[String]) -> Vec<ResourceServerScopeType> {
    scopes
        .iter()
        .filter_map(|s| {
            let name = s.rsplit_once('/').map_or(s.as_str(), |(_, n)| n);
            ResourceServerScopeType::builder()
                .scope_name(name)
                .scope_description(format!("{name} through the SRE agent gateway"))
                .build()
                .ok()
        })
        .collect()
}

pub async fn create_resource_server(
    c: &Client,
    pool: &str,
    identifier: &str,
    scopes: &[String],
) -> Result<(), AwsError> {
    let scopes = scope_types(scopes);
    call(
        "cognito-idp:CreateResourceServer",
        c.create_resource_server()
            .user_pool_id(pool)
            .identifier(identifier)
            .name(identifier)
            .set_scopes(Some(scopes))
            .send(),
    )
    .await
    .map(|_| ())
}

/// The resource server's scopes as `identifier/scope`, or `None` when it does not exist.
pub async fn resource_server_scopes(
    c: &Client,
    pool: &str,
    identifier: &str,
) -> Result<Option<Vec<String>>, AwsError> {
    match call(
        "cognito-idp:DescribeResourceServer",
        c.describe_resource_server()
            .user_pool_id(pool)
            .identifier(identifier)
            .send(),
    )
    .await
    {
        Ok(out) => Ok(Some(
            out.resource_server()
                .map(|r| {
                    r.scopes()
                        .iter()
                        .map(|s| format!("{identifier}/{}", s.scope_name()))
                        .collect()
                })
                .unwrap_or_default(),
        )),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Replaces the resource server's scopes.
pub async fn update_resource_server(
    c: &Client,
    pool: &str,
    identifier: &str,
    scopes: &[String],
) -> Result<(), AwsError> {
    call(
        "cognito-idp:UpdateResourceServer",
        c.update_resource_server()
            .user_pool_id(pool)
            .identifier(identifier)
            .name(identifier)
            .set_scopes(Some(scope_types(scopes)))
            .send(),
    )
    .await
    .map(|_| ())
}

pub async fn delete_resource_server(c: &Client, pool: &str, identifier: &str) -> Result<(), AwsError> {
    call(
        "cognito-idp:DeleteResourceServer",
        c.delete_resource_server()
            .user_pool_id(pool)
            .identifier(identifier)
            .send(),
    )
    .await
    .map(|_| ())
}

/// Creates an app client with a secret, the `client_credentials` flow and `scopes`; returns its id.
/// The secret in the response is dropped here: it is read again only when a token is needed.
pub async fn create_client(
    c: &Client,
    pool: &str,
    name: &str,
    scopes: &[String],
) -> Result<String, AwsError> {
    let out = call(
        "cognito-idp:CreateUserPoolClient",
        c.create_user_pool_client()
            .user_pool_id(pool)
            .client_name(name)
            .generate_secret(true)
            .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
            .allowed_o_auth_flows_user_pool_client(true)
            .set_allowed_o_auth_scopes(Some(scopes.to_vec()))
            .send(),
    )
    .await?;
    out.user_pool_client()
        .and_then(|c| c.client_id())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::other(
                "cognito-idp:CreateUserPoolClient",
                "the response has no client id",
            )
        })
}

/// The app client's OAuth scopes, or `None` when the client does not exist.
pub async fn client_scopes(c: &Client, pool: &str, id: &str) -> Result<Option<Vec<String>>, AwsError> {
    match call(
        "cognito-idp:DescribeUserPoolClient",
        c.describe_user_pool_client()
            .user_pool_id(pool)
            .client_id(id)
            .send(),
    )
    .await
    {
        Ok(out) => Ok(Some(
            out.user_pool_client()
                .map(|c| c.allowed_o_auth_scopes().to_vec())
                .unwrap_or_default(),
        )),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The app client's secret (for the verification token), or `None` when the client has none.
/// The value goes straight into a redacting type.
pub async fn client_secret(
    c: &Client,
    pool: &str,
    id: &str,
) -> Result<Option<secrecy::SecretString>, AwsError> {
    let out = call(
        "cognito-idp:DescribeUserPoolClient",
        c.describe_user_pool_client()
            .user_pool_id(pool)
            .client_id(id)
            .send(),
    )
    .await?;
    Ok(out
        .user_pool_client()
        .and_then(|c| c.client_secret())
        .map(|s| secrecy::SecretString::from(s.to_string())))
}

/// Sets the client's scopes, restating the rest of its OAuth settings (an update replaces them all).
pub async fn update_client_scopes(
    c: &Client,
    pool: &str,
    id: &str,
    name: &str,
    scopes: &[String],
) -> Result<(), AwsError> {
    call(
        "cognito-idp:UpdateUserPoolClient",
        c.update_user_pool_client()
            .user_pool_id(pool)
            .client_id(id)
            .client_name(name)
            .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
            .allowed_o_auth_flows_user_pool_client(true)
            .set_allowed_o_auth_scopes(Some(scopes.to_vec()))
            .send(),
    )
    .await
    .map(|_| ())
}

/// `(id, name)` of the pool's app clients.
pub async fn list_clients(c: &Client, pool: &str) -> Result<Vec<(String, String)>, AwsError> {
    let pages: Vec<_> = c
        .list_user_pool_clients()
        .user_pool_id(pool)
        .max_results(60)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("cognito-idp:ListUserPoolClients", &e))?;
    Ok(pages
        .iter()
        .flat_map(aws_sdk_cognitoidentityprovider::operation::list_user_pool_clients::ListUserPoolClientsOutput::user_pool_clients)
        .filter_map(|c| Some((c.client_id()?.to_string(), c.client_name()?.to_string())))
        .collect())
}

pub async fn delete_client(c: &Client, pool: &str, id: &str) -> Result<(), AwsError> {
    call(
        "cognito-idp:DeleteUserPoolClient",
        c.delete_user_pool_client()
            .user_pool_id(pool)
            .client_id(id)
            .send(),
    )
    .await
    .map(|_| ())
}

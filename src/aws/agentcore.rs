//! Bedrock AgentCore control plane: the API key credential provider and the gateway's targets
//! (the gateway itself is in [`super::gateways`], re-exported here).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_bedrockagentcorecontrol::types::{
    ApiKeyCredentialLocation, ApiSchemaConfiguration, CredentialProvider, CredentialProviderConfiguration,
    CredentialProviderType, GatewayApiKeyCredentialProvider, McpTargetConfiguration, S3Configuration,
    TargetConfiguration,
};
use secrecy::ExposeSecret;

use super::{AwsError, ErrorKind, call};
use crate::config::Secret;

type Client = aws_sdk_bedrockagentcorecontrol::Client;

pub use super::gateways::{
    GatewayOptions, GatewaySettings, GatewaySpec, create_gateway, delete_gateway, get_gateway, list_gateways,
    update_gateway,
};

/// A [`Resource`] from any gateway target output.
macro_rules! target_resource {
    ($out:expr) => {
        Resource {
            id: $out.target_id().to_string(),
            arn: $out.gateway_arn().to_string(),
            name: $out.name().to_string(),
            status: $out.status().as_str().to_string(),
            status_reasons: $out.status_reasons().to_vec(),
            url: None,
            settings: None,
        }
    };
}
pub(super) use target_resource;

/// A gateway or target as the deployment tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    pub arn: String,
    pub name: String,
    /// The service's status string (`CREATING`, `READY`, `FAILED`...).
    pub status: String,
    pub status_reasons: Vec<String>,
    /// The gateway's MCP URL (gateways only).
    pub url: Option<String>,
    /// The gateway's role and JWT authorizer settings (gateways only, from GetGateway).
    pub settings: Option<GatewaySettings>,
}

/// Creates the provider holding the backend API key; returns its ARN.
pub async fn create_provider(
    c: &Client,
    name: &str,
    api_key: &Secret,
    tags: &BTreeMap<String, String>,
) -> Result<String, AwsError> {
    let out = call(
        "bedrock-agentcore:CreateApiKeyCredentialProvider",
        c.create_api_key_credential_provider()
            .name(name)
            .api_key(api_key.expose_secret())
            .set_tags(Some(to_hash_map(tags)))
            .send(),
    )
    .await?;
    Ok(out.credential_provider_arn().to_string())
}

/// The provider's ARN, or `None` when there is no provider of that name.
pub async fn provider_arn(c: &Client, name: &str) -> Result<Option<String>, AwsError> {
    match call(
        "bedrock-agentcore:GetApiKeyCredentialProvider",
        c.get_api_key_credential_provider().name(name).send(),
    )
    .await
    {
        Ok(out) => Ok(Some(out.credential_provider_arn().to_string())),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn delete_provider(c: &Client, name: &str) -> Result<(), AwsError> {
    call(
        "bedrock-agentcore:DeleteApiKeyCredentialProvider",
        c.delete_api_key_credential_provider().name(name).send(),
    )
    .await
    .map(|_| ())
}

/// `(name, arn)` of every API key credential provider.
pub async fn list_providers(c: &Client) -> Result<Vec<(String, String)>, AwsError> {
    let pages: Vec<_> = c
        .list_api_key_credential_providers()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("bedrock-agentcore:ListApiKeyCredentialProviders", &e))?;
    Ok(pages
        .iter()
        .flat_map(aws_sdk_bedrockagentcorecontrol::operation::list_api_key_credential_providers::ListApiKeyCredentialProvidersOutput::credential_providers)
        .map(|p| (p.name().to_string(), p.credential_provider_arn().to_string()))
        .collect())
}

pub async fn tags(c: &Client, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = call(
        "bedrock-agentcore:ListTagsForResource",
        c.list_tags_for_resource().resource_arn(arn).send(),
    )
    .await?;
    Ok(out
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default())
}

/// What a new target needs.
#[derive(Debug, Clone)]
pub struct TargetSpec<'a> {
    pub gateway_id: &'a str,
    pub name: &'a str,
    pub s3_uri: &'a str,
    pub bucket_owner: &'a str,
    pub provider_arn: &'a str,
    pub client_token: &'a str,
}

/// Header the backends read the API key from.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// The target's configuration (its OpenAPI schema in S3) and its credentials (the API key
/// header from the provider): the same for a create and an update.
pub(super) fn target_parts(
    spec: &TargetSpec<'_>,
    operation: &'static str,
) -> Result<(TargetConfiguration, CredentialProviderConfiguration), AwsError> {
    let schema = ApiSchemaConfiguration::S3(
        S3Configuration::builder()
            .uri(spec.s3_uri)
            .bucket_owner_account_id(spec.bucket_owner)
            .build(),
    );
    let api_key = GatewayApiKeyCredentialProvider::builder()
        .provider_arn(spec.provider_arn)
        .credential_parameter_name(API_KEY_HEADER)
        .credential_location(ApiKeyCredentialLocation::Header)
        .build()
        .map_err(|e| AwsError::other(operation, e.to_string()))?;
    let credentials = CredentialProviderConfiguration::builder()
        .credential_provider_type(CredentialProviderType::ApiKey)
        .credential_provider(CredentialProvider::ApiKeyCredentialProvider(api_key))
        .build()
        .map_err(|e| AwsError::other(operation, e.to_string()))?;
    let target = TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(schema));
    Ok((target, credentials))
}

/// The description every target of the deployment carries.
pub fn target_description(name: &str) -> String {
    format!("SRE agent backend API {name} (sre-agent-deploy)")
}

/// Creates an OpenAPI target whose schema is in S3 and whose calls carry the API key header.
pub async fn create_target(c: &Client, spec: &TargetSpec<'_>) -> Result<Resource, AwsError> {
    let operation = "bedrock-agentcore:CreateGatewayTarget";
    let (target, credentials) = target_parts(spec, operation)?;
    let out = call(
        operation,
        c.create_gateway_target()
            .gateway_identifier(spec.gateway_id)
            .name(spec.name)
            .description(target_description(spec.name))
            .target_configuration(target)
            .credential_provider_configurations(credentials)
            .client_token(spec.client_token)
            .send(),
    )
    .await?;
    Ok(target_resource!(out))
}

/// A target as `ListGatewayTargets` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSummary {
    pub id: String,
    pub name: String,
    /// The service's status (`CREATING`, `READY`...): a listing carries no status reasons.
    pub status: String,
}

/// The gateway's targets, with their statuses.
pub async fn list_targets(c: &Client, gateway_id: &str) -> Result<Vec<TargetSummary>, AwsError> {
    let pages: Vec<_> = c
        .list_gateway_targets()
        .gateway_identifier(gateway_id)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("bedrock-agentcore:ListGatewayTargets", &e))?;
    Ok(pages
        .iter()
        .flat_map(
            aws_sdk_bedrockagentcorecontrol::operation::list_gateway_targets::ListGatewayTargetsOutput::items,
        )
        .map(|t| TargetSummary {
            id: t.target_id().to_string(),
            name: t.name().to_string(),
            status: t.status().as_str().to_string(),
        })
        .collect())
}

pub async fn delete_target(c: &Client, gateway_id: &str, target_id: &str) -> Result<(), AwsError> {
    call(
        "bedrock-agentcore:DeleteGatewayTarget",
        c.delete_gateway_target()
            .gateway_identifier(gateway_id)
            .target_id(target_id)
            .send(),
    )
    .await
    .map(|_| ())
}

pub(super) fn to_hash_map(tags: &BTreeMap<String, String>) -> HashMap<String, String> {
    tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

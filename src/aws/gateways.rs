//! The AgentCore gateway: created and updated with a `CUSTOM_JWT` authorizer and the
//! deployment's optional settings (semantic search, debug error messages, a KMS key, a
//! description, the scopes the authorizer requires), read back for comparison, listed, deleted.

use aws_sdk_bedrockagentcorecontrol::types::{
    AuthorizerConfiguration, AuthorizerType, CustomJwtAuthorizerConfiguration, ExceptionLevel,
    GatewayProtocolConfiguration, GatewayProtocolType, McpGatewayConfiguration, SearchType,
};

use std::collections::BTreeMap;

use super::agentcore::{Resource, to_hash_map};
use super::{AwsError, ErrorKind, call};

type Client = aws_sdk_bedrockagentcorecontrol::Client;

/// A [`Resource`] from any gateway output (create, get, update share these accessors).
macro_rules! gateway_resource {
    ($out:expr) => {
        Resource {
            id: $out.gateway_id().to_string(),
            arn: $out.gateway_arn().to_string(),
            name: $out.name().to_string(),
            status: $out.status().as_str().to_string(),
            status_reasons: $out.status_reasons().to_vec(),
            url: $out.gateway_url().map(str::to_string),
            settings: None,
        }
    };
}

/// The gateway's optional settings as the deployment sets them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayOptions {
    pub description: String,
    pub semantic_search: bool,
    /// `exceptionLevel: DEBUG`.
    pub debug_errors: bool,
    pub kms_key_arn: Option<String>,
    /// The authorizer's `allowedScopes` (empty: any scope).
    pub allowed_scopes: Vec<String>,
}

/// The description of a gateway whose config gives none.
pub const DEFAULT_DESCRIPTION: &str = "SRE agent gateway (sre-agent-deploy)";

/// The parts of a gateway the deployment keeps in line with the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    pub role_arn: String,
    pub discovery_url: String,
    pub allowed_clients: Vec<String>,
    pub options: GatewayOptions,
}

/// What a new gateway needs.
#[derive(Debug, Clone)]
pub struct GatewaySpec<'a> {
    pub name: &'a str,
    pub role_arn: &'a str,
    pub discovery_url: &'a str,
    pub allowed_client: &'a str,
    pub client_token: &'a str,
    pub tags: &'a BTreeMap<String, String>,
    pub options: &'a GatewayOptions,
}

/// The `CUSTOM_JWT` authorizer of a gateway spec.
fn authorizer(operation: &'static str, spec: &GatewaySpec<'_>) -> Result<AuthorizerConfiguration, AwsError> {
    CustomJwtAuthorizerConfiguration::builder()
        .discovery_url(spec.discovery_url)
        .allowed_clients(spec.allowed_client)
        .set_allowed_scopes(
            (!spec.options.allowed_scopes.is_empty()).then(|| spec.options.allowed_scopes.clone()),
        )
        .build()
        .map(AuthorizerConfiguration::CustomJwtAuthorizer)
        .map_err(|e| AwsError::other(operation, e.to_string()))
}

/// The MCP protocol configuration: semantic search when asked for.
fn protocol(options: &GatewayOptions) -> Option<GatewayProtocolConfiguration> {
    options.semantic_search.then(|| {
        GatewayProtocolConfiguration::Mcp(
            McpGatewayConfiguration::builder()
                .search_type(SearchType::Semantic)
                .build(),
        )
    })
}

/// Brings an existing gateway in line with `spec`. An update replaces the gateway's settings:
/// what it leaves out (a KMS key, `DEBUG`, semantic search) is turned off.
pub async fn update_gateway(c: &Client, id: &str, spec: &GatewaySpec<'_>) -> Result<Resource, AwsError> {
    let operation = "bedrock-agentcore:UpdateGateway";
    let options = spec.options;
    let out = call(
        operation,
        c.update_gateway()
            .gateway_identifier(id)
            .name(spec.name)
            .description(&options.description)
            .role_arn(spec.role_arn)
            .protocol_type(GatewayProtocolType::Mcp)
            .set_protocol_configuration(protocol(options))
            .authorizer_type(AuthorizerType::CustomJwt)
            .authorizer_configuration(authorizer(operation, spec)?)
            .set_kms_key_arn(options.kms_key_arn.clone())
            .set_exception_level(options.debug_errors.then_some(ExceptionLevel::Debug))
            .send(),
    )
    .await?;
    Ok(gateway_resource!(out))
}

/// Creates an MCP gateway with a `CUSTOM_JWT` authorizer. Cognito access tokens carry `client_id`
/// and no `aud`, so the authorizer allows the app client rather than an audience.
pub async fn create_gateway(c: &Client, spec: &GatewaySpec<'_>) -> Result<Resource, AwsError> {
    let operation = "bedrock-agentcore:CreateGateway";
    let options = spec.options;
    let out = call(
        operation,
        c.create_gateway()
            .name(spec.name)
            .description(&options.description)
            .role_arn(spec.role_arn)
            .protocol_type(GatewayProtocolType::Mcp)
            .set_protocol_configuration(protocol(options))
            .authorizer_type(AuthorizerType::CustomJwt)
            .authorizer_configuration(authorizer(operation, spec)?)
            .set_kms_key_arn(options.kms_key_arn.clone())
            .set_exception_level(options.debug_errors.then_some(ExceptionLevel::Debug))
            .client_token(spec.client_token)
            .set_tags(Some(to_hash_map(spec.tags)))
            .send(),
    )
    .await?;
    Ok(gateway_resource!(out))
}

pub async fn get_gateway(c: &Client, id: &str) -> Result<Option<Resource>, AwsError> {
    match call(
        "bedrock-agentcore:GetGateway",
        c.get_gateway().gateway_identifier(id).send(),
    )
    .await
    {
        Ok(out) => {
            let jwt = match out.authorizer_configuration() {
                Some(AuthorizerConfiguration::CustomJwtAuthorizer(jwt)) => Some(jwt),
                _ => None,
            };
            let semantic_search = match out.protocol_configuration() {
                Some(GatewayProtocolConfiguration::Mcp(mcp)) => {
                    mcp.search_type() == Some(&SearchType::Semantic)
                }
                _ => false,
            };
            let settings = GatewaySettings {
                role_arn: out.role_arn().unwrap_or_default().to_string(),
                discovery_url: jwt.map(|j| j.discovery_url().to_string()).unwrap_or_default(),
                allowed_clients: jwt.map(|j| j.allowed_clients().to_vec()).unwrap_or_default(),
                options: GatewayOptions {
                    description: out.description().unwrap_or_default().to_string(),
                    semantic_search,
                    debug_errors: out.exception_level() == Some(&ExceptionLevel::Debug),
                    kms_key_arn: out.kms_key_arn().filter(|k| !k.is_empty()).map(str::to_string),
                    allowed_scopes: jwt.map(|j| j.allowed_scopes().to_vec()).unwrap_or_default(),
                },
            };
            Ok(Some(Resource {
                settings: Some(settings),
                ..gateway_resource!(out)
            }))
        }
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `(id, name)` of every gateway.
pub async fn list_gateways(c: &Client) -> Result<Vec<(String, String)>, AwsError> {
    let pages: Vec<_> = c
        .list_gateways()
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("bedrock-agentcore:ListGateways", &e))?;
    Ok(pages
        .iter()
        .flat_map(aws_sdk_bedrockagentcorecontrol::operation::list_gateways::ListGatewaysOutput::items)
        .map(|g| (g.gateway_id().to_string(), g.name().to_string()))
        .collect())
}

pub async fn delete_gateway(c: &Client, id: &str) -> Result<(), AwsError> {
    call(
        "bedrock-agentcore:DeleteGateway",
        c.delete_gateway().gateway_identifier(id).send(),
    )
    .await
    .map(|_| ())
}

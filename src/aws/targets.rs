//! Gateway targets after their create: what a target points at (its spec's S3 URI and its API key
//! provider), an update in place, and a synchronization after its spec changed in S3.

use aws_sdk_bedrockagentcorecontrol::types::{
    ApiSchemaConfiguration, CredentialProvider, McpTargetConfiguration, TargetConfiguration,
};

use super::agentcore::{Resource, TargetSpec, target_description, target_parts, target_resource};
use super::{AwsError, ErrorKind, call};

type Client = aws_sdk_bedrockagentcorecontrol::Client;

/// What a target points at, as `GetGatewayTarget` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetSettings {
    /// The OpenAPI spec's S3 URI.
    pub s3_uri: Option<String>,
    /// The API key credential provider's ARN.
    pub provider_arn: Option<String>,
    pub description: Option<String>,
}

/// The target and what it points at; `None` when it is gone.
pub async fn target_settings(
    c: &Client,
    gateway_id: &str,
    target_id: &str,
) -> Result<Option<(Resource, TargetSettings)>, AwsError> {
    let out = match call(
        "bedrock-agentcore:GetGatewayTarget",
        c.get_gateway_target()
            .gateway_identifier(gateway_id)
            .target_id(target_id)
            .send(),
    )
    .await
    {
        Ok(out) => out,
        Err(e) if e.is(ErrorKind::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let s3_uri = match out.target_configuration() {
        Some(TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(
            ApiSchemaConfiguration::S3(s3),
        ))) => s3.uri().map(str::to_string),
        _ => None,
    };
    let provider_arn =
        out.credential_provider_configurations()
            .iter()
            .find_map(|c| match c.credential_provider() {
                Some(CredentialProvider::ApiKeyCredentialProvider(key)) => {
                    Some(key.provider_arn().to_string())
                }
                _ => None,
            });
    let settings = TargetSettings {
        s3_uri,
        provider_arn,
        description: out.description().map(str::to_string),
    };
    Ok(Some((target_resource!(out), settings)))
}

/// Points an existing target at `spec` (its S3 URI, provider and description), in place.
pub async fn update_target(c: &Client, target_id: &str, spec: &TargetSpec<'_>) -> Result<Resource, AwsError> {
    let operation = "bedrock-agentcore:UpdateGatewayTarget";
    let (target, credentials) = target_parts(spec, operation)?;
    let out = call(
        operation,
        c.update_gateway_target()
            .gateway_identifier(spec.gateway_id)
            .target_id(target_id)
            .name(spec.name)
            .description(target_description(spec.name))
            .target_configuration(target)
            .credential_provider_configurations(credentials)
            .send(),
    )
    .await?;
    Ok(target_resource!(out))
}

/// Asks the gateway to read the targets' specs again (after their content changed in S3).
pub async fn synchronize_targets(
    c: &Client,
    gateway_id: &str,
    target_ids: &[String],
) -> Result<Vec<Resource>, AwsError> {
    let out = call(
        "bedrock-agentcore:SynchronizeGatewayTargets",
        c.synchronize_gateway_targets()
            .gateway_identifier(gateway_id)
            .set_target_id_list(Some(target_ids.to_vec()))
            .send(),
    )
    .await?;
    Ok(out.targets().iter().map(|t| target_resource!(t)).collect())
}

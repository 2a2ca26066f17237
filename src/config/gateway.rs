//! The `gateway` section: the AgentCore gateway, the S3 location of the OpenAPI specs, the API key
//! credential provider, and one target per backend API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use super::gateway_options::ExceptionLevel;
use super::{SecretRef, ValidationContext, require};
use crate::templates;
use crate::validate::{Finding, ValidationResult, rules};

/// The AgentCore gateway (MCP) and its targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Gateway name: letters and digits with single hyphens, such as `sre-agent-gateway`.
    pub gateway_name: String,
    /// S3 bucket that holds the rendered OpenAPI specs (created if missing).
    pub s3_bucket: String,
    /// Key prefix for the specs inside the bucket (no leading slash).
    pub s3_path_prefix: String,
    /// An existing API key credential provider ARN; left out, one is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_arn: Option<String>,
    /// Name of the API key credential provider to create or reuse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_provider_name: Option<String>,
    /// The backend API key, as a reference: `env:BACKEND_API_KEY` or `file:PATH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<SecretRef>,
    /// One target per backend API.
    pub targets: Vec<TargetConfig>,
    /// Semantic search over the gateway's tools (its `x_amz_bedrock_agentcore_search` tool).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub semantic_search: bool,
    /// `DEBUG`: the gateway's error messages name the target configuration's problem. Left out:
    /// generic messages (for production).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception_level: Option<ExceptionLevel>,
    /// A customer managed KMS key (its ARN, in aws.region) for the gateway's data; left out, an
    /// AWS owned key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<String>,
    /// The gateway's description (200 characters at most).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Scopes the authorizer requires: a token without one of them is refused. Each must be one
    /// of cognito.scopes. Left out: any token of the app client is accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_scopes: Option<Vec<String>>,
}

/// One backend API exposed through the gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct TargetConfig {
    /// Target name; tools appear as `<name>___<operationId>`.
    pub name: String,
    /// A built-in spec template (`kubernetes`, `logs`, `metrics`, `runbooks`) or a path to a spec file.
    pub spec: String,
    /// The backend's https URL, such as `https://backend.corp.internal:8011`.
    pub backend_url: String,
}

impl GatewayConfig {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> ValidationResult {
        let mut result = ValidationResult::new();
        if require(&mut result, "gateway.gateway_name", &self.gateway_name)
            && let Err(p) = rules::gateway_name(&self.gateway_name)
        {
            result.push(p.error_at("gateway.gateway_name"));
        }
        if require(&mut result, "gateway.s3_bucket", &self.s3_bucket) {
            match rules::s3_bucket(&self.s3_bucket) {
                Err(p) => result.push(p.error_at("gateway.s3_bucket")),
                Ok(()) if self.s3_bucket.contains('.') => result.push(
                    Finding::warning(
                        "gateway.s3_bucket",
                        "bucket names with dots break TLS for virtual-hosted-style S3 URLs",
                    )
                    .suggest(format!("use \"{}\"", self.s3_bucket.replace('.', "-"))),
                ),
                Ok(()) => {}
            }
        }
        if let Err(p) = rules::s3_path_prefix(&self.s3_path_prefix) {
            result.push(p.error_at("gateway.s3_path_prefix"));
        }
        self.validate_provider(&mut result);
        self.validate_targets(ctx, &mut result);
        result
    }

    fn validate_provider(&self, result: &mut ValidationResult) {
        if let Some(arn) = &self.provider_arn {
            match rules::parse_provider_arn(arn) {
                Err(p) => result.push(p.error_at("gateway.provider_arn")),
                Ok(parsed) => {
                    if let Some(name) = self
                        .credential_provider_name
                        .as_deref()
                        .filter(|n| *n != parsed.name)
                    {
                        result.push(
                            Finding::warning(
                                "gateway.credential_provider_name",
                                format!("credential_provider_name \"{name}\" differs from the provider named in provider_arn (\"{}\"); the ARN wins", parsed.name),
                            )
                            .suggest(format!("use \"{}\" or remove credential_provider_name", parsed.name)),
                        );
                    }
                }
            }
        }
        if let Some(name) = &self.credential_provider_name {
            let ok = (1..=128).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                result.push(Finding::error(
                    "gateway.credential_provider_name",
                    format!(
                        "\"{name}\" is not a valid credential provider name (1-128 letters, digits, - or _)"
                    ),
                ));
            }
        }
        match (&self.api_key, &self.provider_arn) {
            (Some(key), _) => {
                if let Err(p) = key.check_form("BACKEND_API_KEY") {
                    result.push(p.error_at("gateway.api_key"));
                }
            }
            (None, None) => result.push(
                Finding::warning(
                    "gateway.api_key",
                    "no backend API key reference; the credential provider cannot be created without it (the interactive wizard will ask)",
                )
                .suggest("export BACKEND_API_KEY=... or write api_key: env:BACKEND_API_KEY"),
            ),
            (None, Some(_)) => {}
        }
    }

    fn validate_targets(&self, ctx: &ValidationContext<'_>, result: &mut ValidationResult) {
        if self.targets.is_empty() {
            result.push(
                Finding::error("gateway.targets", "at least one target is needed")
                    .suggest("add targets for the built-in specs: kubernetes, logs, metrics, runbooks"),
            );
        }
        for (i, target) in self.targets.iter().enumerate() {
            let at = |field: &str| format!("gateway.targets[{i}].{field}");
            if require(result, &at("name"), &target.name) {
                if let Err(p) = rules::gateway_name(&target.name) {
                    result.push(p.error_at(at("name")));
                } else if self.targets[..i].iter().any(|t| t.name == target.name) {
                    result.push(Finding::error(
                        at("name"),
                        format!("the target name \"{}\" is used twice", target.name),
                    ));
                }
            }
            let spec_ok = require(result, &at("spec"), &target.spec)
                && match templates::check_spec(&target.spec, ctx.base_dir) {
                    Ok(()) => true,
                    Err(p) => {
                        result.push(p.error_at(at("spec")));
                        false
                    }
                };
            let url_ok = require(result, &at("backend_url"), &target.backend_url)
                && match rules::https_url(&target.backend_url, false) {
                    Ok(_) => true,
                    Err(p) => {
                        result.push(p.error_at(at("backend_url")));
                        false
                    }
                };
            // A placeholder URL gets only its placeholder finding, not a spec finding too.
            if spec_ok && url_ok && super::placeholders::find(&target.backend_url).is_none() {
                check_rendered(target, ctx, &at("spec"), result);
            }
        }
    }
}

/// Renders the target's spec and checks it as the gateway will read it.
fn check_rendered(
    target: &TargetConfig,
    ctx: &ValidationContext<'_>,
    field: &str,
    result: &mut ValidationResult,
) {
    match templates::render_spec(&target.spec, &target.backend_url, ctx.base_dir) {
        Ok(text) => {
            for problem in crate::openapi::check(&text, &target.spec, &target.backend_url) {
                result.push(problem.error_at(field));
            }
        }
        Err(message) => result.push(
            Finding::error(
                field,
                format!("{}: the template does not render: {message}", target.spec),
            )
            .suggest("templates may use {{ backend_url }}, {{ backend_domain }} and {{BACKEND_DOMAIN}}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::{ctx, fields};

    fn target(name: &str, spec: &str, port: u16) -> TargetConfig {
        TargetConfig {
            name: name.into(),
            spec: spec.into(),
            backend_url: format!("https://backend.corp.internal:{port}"),
        }
    }

    fn valid() -> GatewayConfig {
        GatewayConfig {
            gateway_name: "sre-agent-gateway".into(),
            s3_bucket: "sre-agent-specs-123".into(),
            s3_path_prefix: "sre-agent/specs".into(),
            provider_arn: None,
            credential_provider_name: Some("sre-agent-api-key".into()),
            api_key: Some(SecretRef::Env("BACKEND_API_KEY".into())),
            targets: vec![
                target("k8s-api", "kubernetes", 8011),
                target("logs-api", "logs", 8012),
            ],
            ..GatewayConfig::default()
        }
    }

    #[test]
    fn valid_section_is_clean() {
        assert_eq!(valid().validate(&ctx()).findings, vec![]);
    }

    #[test]
    fn target_name_with_underscore_gets_the_fixed_name() {
        let mut g = valid();
        g.targets[0].name = "k8s_api".into();
        let result = g.validate(&ctx());
        assert_eq!(fields(&result), ["gateway.targets[0].name"]);
        assert_eq!(result.findings[0].suggestion.as_deref(), Some("use \"k8s-api\""));
    }

    #[test]
    fn duplicate_targets_and_unknown_specs_are_errors() {
        let mut g = valid();
        g.targets.push(target("k8s-api", "databases", 8013));
        let result = g.validate(&ctx());
        assert_eq!(
            fields(&result),
            ["gateway.targets[2].name", "gateway.targets[2].spec"]
        );
    }

    #[test]
    fn backend_urls_must_be_https() {
        let mut g = valid();
        g.targets[1].backend_url = "http://backend.corp.internal:8012".into();
        assert_eq!(fields(&g.validate(&ctx())), ["gateway.targets[1].backend_url"]);
    }

    #[test]
    fn provider_arn_is_parsed_and_names_compared() {
        let mut g = valid();
        g.provider_arn = Some("arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/other".into());
        let result = g.validate(&ctx());
        assert_eq!(fields(&result), ["gateway.credential_provider_name"]);
        assert!(!result.has_errors());
        g.provider_arn = Some("arn:aws:iam::123456789012:role/x".into());
        assert!(fields(&g.validate(&ctx())).contains(&"gateway.provider_arn".to_string()));
    }

    #[test]
    fn missing_api_key_warns_unless_provider_exists() {
        let mut g = valid();
        g.api_key = None;
        assert_eq!(fields(&g.validate(&ctx())), ["gateway.api_key"]);
        g.provider_arn = Some("arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/sre-agent-api-key".into());
        assert_eq!(g.validate(&ctx()).findings, vec![]);
    }

    #[test]
    fn empty_targets_and_dotted_buckets() {
        let mut g = valid();
        g.targets.clear();
        g.s3_bucket = "sre.specs".into();
        let result = g.validate(&ctx());
        assert_eq!(fields(&result), ["gateway.s3_bucket", "gateway.targets"]);
        assert!(result.findings[0].severity == crate::validate::Severity::Warning);
    }
}

//! The `aws` section: account, region, gateway role name, AgentCore endpoint override, profile.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ValidationContext, require};
use crate::validate::{Finding, ValidationResult, rules};

/// Where the stack is deployed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct AwsConfig {
    /// The 12-digit AWS account id (quote it: YAML drops leading zeros of numbers).
    #[schemars(extend("examples" = ["123456789012"]))]
    pub account_id: String,
    /// The AWS region, such as `us-east-1`.
    pub region: String,
    /// Name of the IAM role the gateway runs with (created unless it already exists).
    pub role_name: String,
    /// Override for the AgentCore control-plane endpoint (https; `http://` only on loopback).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// Named AWS profile for credentials (from ~/.aws/config).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl AwsConfig {
    pub fn validate(&self, _ctx: &ValidationContext<'_>) -> ValidationResult {
        let mut result = ValidationResult::new();
        if require(&mut result, "aws.account_id", &self.account_id)
            && let Err(p) = rules::account_id(&self.account_id)
        {
            result.push(p.error_at("aws.account_id"));
        }
        let region_ok = require(&mut result, "aws.region", &self.region)
            && match rules::region(&self.region) {
                Ok(()) => true,
                Err(p) => {
                    result.push(p.error_at("aws.region"));
                    false
                }
            };
        if require(&mut result, "aws.role_name", &self.role_name)
            && let Err(p) = rules::iam_role_name(&self.role_name)
        {
            result.push(p.error_at("aws.role_name"));
        }
        if let Some(endpoint) = &self.endpoint_url {
            match rules::https_url(endpoint, true) {
                Err(p) => result.push(p.error_at("aws.endpoint_url")),
                Ok(url) => {
                    let embedded = url.host_str().and_then(rules::embedded_region);
                    if let Some(embedded) = embedded.filter(|r| region_ok && *r != self.region) {
                        result.push(
                            Finding::error(
                                "aws.endpoint_url",
                                format!(
                                    "the endpoint is in region {embedded} but aws.region is {}",
                                    self.region
                                ),
                            )
                            .suggest(format!(
                                "use \"{}\", or change aws.region to {embedded}",
                                endpoint.replacen(embedded, &self.region, 1)
                            )),
                        );
                    }
                }
            }
        }
        if self.profile.as_deref().is_some_and(|p| p.trim().is_empty()) {
            result.push(
                Finding::error("aws.profile", "the profile name is empty")
                    .suggest("remove the key to use the default credential chain"),
            );
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::{ctx, fields};

    fn valid() -> AwsConfig {
        AwsConfig {
            account_id: "123456789012".into(),
            region: "us-west-2".into(),
            role_name: "SreAgentGatewayRole".into(),
            endpoint_url: Some("https://bedrock-agentcore-control.us-west-2.amazonaws.com".into()),
            profile: None,
        }
    }

    #[test]
    fn valid_section_is_clean() {
        assert_eq!(valid().validate(&ctx()).findings, vec![]);
    }

    #[test]
    fn missing_fields_are_required() {
        let result = AwsConfig::default().validate(&ctx());
        assert_eq!(fields(&result), ["aws.account_id", "aws.region", "aws.role_name"]);
    }

    #[test]
    fn endpoint_region_must_match() {
        let mut aws = valid();
        aws.endpoint_url = Some("https://bedrock-agentcore-control.eu-west-1.amazonaws.com".into());
        let result = aws.validate(&ctx());
        assert_eq!(fields(&result), ["aws.endpoint_url"]);
        let suggestion = result.findings[0].suggestion.as_deref().unwrap_or_default();
        assert!(suggestion.contains("bedrock-agentcore-control.us-west-2.amazonaws.com"));
    }

    #[test]
    fn endpoint_must_be_https_except_loopback() {
        let mut aws = valid();
        aws.endpoint_url = Some("http://bedrock.corp".into());
        assert_eq!(fields(&aws.validate(&ctx())), ["aws.endpoint_url"]);
        aws.endpoint_url = Some("http://127.0.0.1:5000".into());
        assert_eq!(aws.validate(&ctx()).findings, vec![]);
    }

    #[test]
    fn bad_region_does_not_also_fail_the_endpoint() {
        let mut aws = valid();
        aws.region = "us-west2".into();
        assert_eq!(fields(&aws.validate(&ctx())), ["aws.region"]);
    }
}

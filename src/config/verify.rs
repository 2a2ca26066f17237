//! The `verify` section: how the checks after a deploy (and `sre-agent-deploy verify`) reach the
//! backends, the token endpoint and the gateway. Every field has a default; none of them changes
//! what is deployed.

use std::net::IpAddr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ValidationContext;
use crate::validate::{Finding, Problem, ValidationResult, rules};

/// Verification settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Path the backends answer health checks on (HTTP GET), such as `/health`.
    pub health_path: String,
    /// Seconds each network step (connect, TLS handshake, HTTP request) may take.
    pub timeout_seconds: u64,
    /// How many endpoints are checked at once.
    pub concurrency: usize,
    /// Reach these hosts at these addresses instead of DNS (`host:address`, like curl's
    /// `--resolve`); TLS still checks the certificate against the host name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resolve: Vec<String>,
    /// The Cognito token URL; default `https://<cognito_domain>.auth.<region>.amazoncognito.com/oauth2/token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// The gateway's MCP URL; default the deployed gateway's URL (ending in `/mcp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcp_url: Option<String>,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        Self {
            health_path: "/health".into(),
            timeout_seconds: 5,
            concurrency: 32,
            resolve: Vec::new(),
            token_url: None,
            mcp_url: None,
        }
    }
}

impl VerifyConfig {
    pub fn validate(&self, _ctx: &ValidationContext<'_>) -> ValidationResult {
        let mut result = ValidationResult::new();
        if !self.health_path.starts_with('/') {
            result.push(
                Finding::error(
                    "verify.health_path",
                    format!("\"{}\" is not a path", self.health_path),
                )
                .suggest(format!("use \"/{}\"", self.health_path.trim_start_matches('/'))),
            );
        }
        if !(1..=300).contains(&self.timeout_seconds) {
            result.push(
                Finding::error(
                    "verify.timeout_seconds",
                    format!("{} is outside 1-300 seconds", self.timeout_seconds),
                )
                .suggest("use 5 (the default)"),
            );
        }
        if !(1..=1024).contains(&self.concurrency) {
            result.push(
                Finding::error(
                    "verify.concurrency",
                    format!("{} is outside 1-1024", self.concurrency),
                )
                .suggest("use 32 (the default)"),
            );
        }
        for (i, entry) in self.resolve.iter().enumerate() {
            if let Err(p) = parse_resolve(entry) {
                result.push(p.error_at(format!("verify.resolve[{i}]")));
            }
        }
        for (field, url) in [
            ("verify.token_url", &self.token_url),
            ("verify.mcp_url", &self.mcp_url),
        ] {
            if let Some(url) = url
                && let Err(p) = rules::https_url(url, true)
            {
                result.push(p.error_at(field));
            }
        }
        result
    }

    /// The `resolve` entries as (host, address) pairs; invalid entries are left out (validation
    /// reports them).
    pub fn resolved(&self) -> Vec<(String, IpAddr)> {
        self.resolve
            .iter()
            .filter_map(|e| parse_resolve(e).ok())
            .collect()
    }
}

/// `host:address`, where the address may be IPv6 (`host:::1` or `host:[::1]`).
fn parse_resolve(entry: &str) -> Result<(String, IpAddr), Problem> {
    let (host, address) = entry.split_once(':').ok_or_else(|| {
        Problem::new(format!("\"{entry}\" is not host:address"))
            .suggest("write it like backend.corp.internal:10.0.0.12")
    })?;
    rules::dns_name(host)?;
    let address = address.trim_start_matches('[').trim_end_matches(']');
    let ip = address.parse::<IpAddr>().map_err(|_| {
        Problem::new(format!("\"{address}\" is not an IP address"))
            .suggest("write it like backend.corp.internal:10.0.0.12")
    })?;
    Ok((host.to_ascii_lowercase(), ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::{ctx_in, fields};

    #[test]
    fn defaults_are_valid() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            VerifyConfig::default().validate(&ctx_in(dir.path())).findings,
            vec![]
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let verify = VerifyConfig {
            health_path: "health".into(),
            timeout_seconds: 0,
            concurrency: 0,
            resolve: vec!["backend.corp:10.0.0.1".into(), "nope".into(), "a.b:not-ip".into()],
            token_url: Some("http://auth.example.com/oauth2/token".into()),
            mcp_url: Some("http://127.0.0.1:9/mcp".into()),
        };
        assert_eq!(
            fields(&verify.validate(&ctx_in(dir.path()))),
            [
                "verify.health_path",
                "verify.timeout_seconds",
                "verify.concurrency",
                "verify.resolve[1]",
                "verify.resolve[2]",
                "verify.token_url"
            ]
        );
        assert_eq!(verify.resolved().len(), 1);
    }

    #[test]
    fn resolve_takes_ipv6() {
        let verify = VerifyConfig {
            resolve: vec!["a.corp:::1".into(), "b.corp:[::1]".into()],
            ..VerifyConfig::default()
        };
        assert_eq!(verify.resolved().len(), 2);
    }
}

//! The `cognito` section: the user pool, its hosted domain, the app client and the OAuth scopes
//! the gateway's JWT authorizer accepts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{SecretRef, ValidationContext, require};
use crate::validate::{Finding, Problem, ValidationResult, rules};

/// Cognito JWT auth in front of the gateway. Leave the ids out to have them created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct CognitoConfig {
    /// An existing user pool id (`<region>_<id>`); left out, a pool is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// The hosted-UI domain: a prefix (lowercase letters, digits, hyphens) or an `https://` URL.
    pub cognito_domain: String,
    /// An existing app client id; left out, a client with a secret is created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The app client secret, as a reference: `env:COGNITO_CLIENT_SECRET` or `file:PATH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretRef>,
    /// The resource server identifier the scopes belong to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_server_id: Option<String>,
    /// OAuth scopes in `resource-server/scope` form.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

impl CognitoConfig {
    pub fn validate(&self, _ctx: &ValidationContext<'_>) -> ValidationResult {
        let mut result = ValidationResult::new();
        if let Some(pool) = &self.user_pool_id
            && let Err(p) = rules::user_pool_id(pool)
        {
            result.push(p.error_at("cognito.user_pool_id"));
        }
        if require(&mut result, "cognito.cognito_domain", &self.cognito_domain)
            && let Err(p) = domain(&self.cognito_domain)
        {
            result.push(p.error_at("cognito.cognito_domain"));
        }
        if let Some(client) = &self.client_id
            && let Err(p) = rules::cognito_client_id(client)
        {
            result.push(p.error_at("cognito.client_id"));
        }
        self.validate_secret(&mut result);
        if let Some(server) = &self.resource_server_id
            && (server.is_empty() || server.len() > 256 || server.contains([' ', '"', '\\']))
        {
            result.push(Finding::error(
                "cognito.resource_server_id",
                "a resource server id is 1-256 printable characters without spaces, quotes or backslashes",
            ));
        }
        self.validate_scopes(&mut result);
        result
    }

    fn validate_secret(&self, result: &mut ValidationResult) {
        match (&self.client_id, &self.client_secret) {
            (_, Some(secret)) => {
                if let Err(p) = secret.check_form("COGNITO_CLIENT_SECRET") {
                    result.push(p.error_at("cognito.client_secret"));
                } else if self.client_id.is_none() {
                    result.push(
                        Finding::warning(
                            "cognito.client_secret",
                            "client_secret is given without client_id; a new app client is created with its own secret, so this one is not used",
                        )
                        .suggest("set cognito.client_id to the client this secret belongs to, or remove client_secret"),
                    );
                }
            }
            (Some(_), None) => result.push(
                Finding::warning(
                    "cognito.client_secret",
                    "client_id is given without client_secret; the interactive wizard will ask for it, and verification cannot fetch a token without it",
                )
                .suggest("export COGNITO_CLIENT_SECRET=... or write client_secret: env:NAME"),
            ),
            (None, None) => {}
        }
    }

    fn validate_scopes(&self, result: &mut ValidationResult) {
        for (i, scope) in self.scopes.iter().enumerate() {
            let field = format!("cognito.scopes[{i}]");
            match rules::scope(scope) {
                Err(p) => result.push(p.error_at(field)),
                Ok((server, name)) => match self.resource_server_id.as_deref() {
                    Some(expected) if expected != server => result.push(
                        Finding::error(
                            field,
                            format!("the scope belongs to resource server \"{server}\", but resource_server_id is \"{expected}\""),
                        )
                        .suggest(format!("use \"{expected}/{name}\"")),
                    ),
                    _ => {}
                },
            }
            if self.scopes[..i].contains(scope) {
                result.push(Finding::warning(
                    format!("cognito.scopes[{i}]"),
                    format!("the scope \"{scope}\" is listed twice"),
                ));
            }
        }
    }
}

/// A domain prefix, or an `https://` URL of a custom or full Cognito domain.
fn domain(value: &str) -> Result<(), Problem> {
    if value.contains("://") {
        let url = rules::https_url(value, false)?;
        if url.path() != "/" || url.query().is_some() {
            return Err(
                Problem::new("the Cognito domain URL must not have a path or query")
                    .suggest(format!("use \"https://{}\"", url.host_str().unwrap_or_default())),
            );
        }
        return Ok(());
    }
    rules::cognito_domain_prefix(value)
}

/// The region of a `https://<prefix>.auth.<region>.amazoncognito.com` domain, if it is one.
pub fn domain_region(value: &str) -> Option<&str> {
    let host = value.strip_prefix("https://")?.trim_end_matches('/');
    let rest = host.strip_suffix(".amazoncognito.com")?;
    let (_, region) = rest.split_once(".auth.")?;
    Some(region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::{ctx, fields};

    fn valid() -> CognitoConfig {
        CognitoConfig {
            user_pool_id: Some("us-east-1_AbC123xyZ".into()),
            cognito_domain: "sre-agent-prod".into(),
            client_id: Some("4l3n0vq2k5abc7abc8d9".into()),
            client_secret: Some(SecretRef::Env("COGNITO_CLIENT_SECRET".into())),
            resource_server_id: Some("sre-agent".into()),
            scopes: vec!["sre-agent/invoke".into(), "sre-agent/read".into()],
        }
    }

    #[test]
    fn valid_section_is_clean() {
        assert_eq!(valid().validate(&ctx()).findings, vec![]);
    }

    #[test]
    fn domain_forms() {
        assert!(domain("sre-agent-prod").is_ok());
        assert!(domain("https://auth.corp.net").is_ok());
        assert!(domain("https://sre.auth.us-east-1.amazoncognito.com").is_ok());
        assert!(domain("http://auth.corp.net").is_err());
        assert!(domain("https://auth.corp.net/login").is_err());
        assert!(domain("my-cognito-domain").is_err());
    }

    #[test]
    fn domain_region_reads_hosted_domains() {
        assert_eq!(
            domain_region("https://sre.auth.eu-west-1.amazoncognito.com"),
            Some("eu-west-1")
        );
        assert_eq!(domain_region("https://auth.corp.net"), None);
        assert_eq!(domain_region("sre-agent"), None);
    }

    #[test]
    fn scopes_must_belong_to_the_resource_server() {
        let mut c = valid();
        c.scopes = vec!["other/invoke".into(), "invoke".into()];
        let result = c.validate(&ctx());
        assert_eq!(fields(&result), ["cognito.scopes[0]", "cognito.scopes[1]"]);
        assert_eq!(
            result.findings[0].suggestion.as_deref(),
            Some("use \"sre-agent/invoke\"")
        );
    }

    #[test]
    fn literal_secret_is_an_error() {
        let mut c = valid();
        c.client_secret = Some(SecretRef::Literal);
        assert_eq!(fields(&c.validate(&ctx())), ["cognito.client_secret"]);
    }

    #[test]
    fn client_id_without_secret_warns() {
        let mut c = valid();
        c.client_secret = None;
        let result = c.validate(&ctx());
        assert!(!result.has_errors());
        assert_eq!(fields(&result), ["cognito.client_secret"]);
    }

    #[test]
    fn bad_ids_are_errors() {
        let mut c = valid();
        c.user_pool_id = Some("us-east-1".into());
        c.client_id = Some("not a client".into());
        assert_eq!(
            fields(&c.validate(&ctx())),
            ["cognito.user_pool_id", "cognito.client_id"]
        );
    }
}

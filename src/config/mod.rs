//! The configuration: one model per section of the config file, their validation, and loading
//! (file, then environment, then flags).
//!
//! Models are plain data with `validate()`; they never prompt, print or touch AWS. Field names are
//! the config file's contract (see `schemas/config.schema.json`).

pub mod acme;
mod aws;
pub mod backend_url;
mod cognito;
mod cross;
mod deployment;
pub mod diff;
pub mod environment;
mod gateway;
pub mod gateway_options;
pub mod load;
pub mod migrate;
pub mod overrides;
mod placeholders;
pub mod schema;
mod secret;
mod tls;
mod verify;
pub mod yaml;

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use aws::AwsConfig;
pub use backend_url::BackendUrl;
pub use cognito::CognitoConfig;
pub use deployment::DeploymentConfig;
pub use environment::{Environment, ProcessEnv};
pub use gateway::{GatewayConfig, TargetConfig};
pub use secret::{Secret, SecretRef};
pub use tls::TlsConfig;
pub use verify::VerifyConfig;

use crate::validate::{Finding, ValidationResult};

/// Whether `text` is, or still holds, a template placeholder (`YOUR_...`, `REGION`, `<...>`).
pub fn is_placeholder(text: &str) -> bool {
    placeholders::find(text).is_some()
}

/// The config file format version this build writes and reads.
pub const CONFIG_VERSION: u32 = 1;

/// The whole configuration of one deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
#[schemars(title = "sre-agent-deploy configuration")]
pub struct Config {
    /// Version of the config file format.
    pub version: u32,
    /// AWS account, region and gateway role.
    pub aws: AwsConfig,
    /// Cognito JWT auth for the gateway.
    pub cognito: CognitoConfig,
    /// The AgentCore gateway, its spec bucket and its targets.
    pub gateway: GatewayConfig,
    /// TLS of the backend servers.
    pub tls: TlsConfig,
    /// How the deployment is verified (health path, timeouts, URL overrides).
    pub verify: VerifyConfig,
    /// Deployment id and state file.
    pub deployment: DeploymentConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: CONFIG_VERSION,
            aws: AwsConfig::default(),
            cognito: CognitoConfig::default(),
            gateway: GatewayConfig::default(),
            tls: TlsConfig::default(),
            verify: VerifyConfig::default(),
            deployment: DeploymentConfig::default(),
        }
    }
}

/// What validation may look at besides the config itself.
#[derive(Clone, Copy)]
pub struct ValidationContext<'a> {
    /// Relative paths in the config are relative to this folder (the config file's).
    pub base_dir: &'a Path,
    /// Where `env:` secret references are looked up.
    pub env: &'a dyn Environment,
}

impl Config {
    /// Validates every section, the secrets' availability, the cross-section rules and leftover
    /// template placeholders. A field that still holds a placeholder gets only that finding.
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> ValidationResult {
        let mut result = ValidationResult::new();
        if self.version != CONFIG_VERSION {
            result.push(
                Finding::error(
                    "version",
                    format!(
                        "config version {} is not supported by this build (it reads version {CONFIG_VERSION})",
                        self.version
                    ),
                )
                .suggest(if self.version > CONFIG_VERSION {
                    "this file was written by a newer sre-agent-deploy: upgrade the tool"
                } else {
                    "set version: 1"
                }),
            );
        }
        result.extend(self.aws.validate(ctx));
        result.extend(self.cognito.validate(ctx));
        result.extend(self.gateway.validate(ctx));
        result.extend(self.tls.validate(ctx));
        result.extend(self.verify.validate(ctx));
        result.extend(self.deployment.validate(ctx));
        result.extend(self.check_secrets_available(ctx));
        result.extend(cross::validate(self));
        let placeholders = placeholders::scan(self);
        result.retain(|f| !placeholders.mentions(&f.field));
        result.extend(placeholders);
        result
    }

    /// An `env:` reference names a variable that is set; a `file:` reference a readable file.
    fn check_secrets_available(&self, ctx: &ValidationContext<'_>) -> ValidationResult {
        let secrets = [
            ("cognito.client_secret", &self.cognito.client_secret),
            ("gateway.api_key", &self.gateway.api_key),
        ];
        secrets
            .into_iter()
            .filter_map(|(field, secret)| Some((field, secret.as_ref()?)))
            .filter(|(_, secret)| secret.check_form("X").is_ok())
            .filter_map(|(field, secret)| {
                secret
                    .resolve(ctx.env, ctx.base_dir)
                    .err()
                    .map(|p| p.error_at(field))
            })
            .collect()
    }
}

/// Every place a required field can come from: the file, the variables, a flag.
fn required_fix(field: &str) -> String {
    let mut vars = vec![overrides::env_name(field)];
    vars.extend(
        overrides::LEGACY_ENV
            .iter()
            .filter(|(_, f)| *f == field)
            .map(|(name, _)| (*name).to_string()),
    );
    let flag = match field {
        "aws.region" => "--region VALUE".to_string(),
        _ => format!("--set {field}=VALUE"),
    };
    format!(
        "set {field} in the config file (see `sre-agent-deploy init`), or the environment variable {}, or pass {flag}",
        vars.join(" or ")
    )
}

/// Pushes a "required" error when `value` is empty; returns whether it is present.
fn require(result: &mut ValidationResult, field: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        result.push(Finding::error(field, format!("{field} is required")).suggest(required_fix(field)));
        false
    } else {
        true
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::LazyLock;

    use super::ValidationContext;
    use crate::validate::ValidationResult;

    static EMPTY_ENV: LazyLock<HashMap<String, String>> = LazyLock::new(HashMap::new);

    /// A context rooted in the current folder with an empty environment.
    pub fn ctx() -> ValidationContext<'static> {
        ctx_in(Path::new("."))
    }

    pub fn ctx_in(base_dir: &Path) -> ValidationContext<'_> {
        ValidationContext {
            base_dir,
            env: &*EMPTY_ENV,
        }
    }

    /// The fields of the findings, in order.
    pub fn fields(result: &ValidationResult) -> Vec<String> {
        result.findings.iter().map(|f| f.field.clone()).collect()
    }
}

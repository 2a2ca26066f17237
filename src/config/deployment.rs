//! The `deployment` section: the deployment id and where its state file lives.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ValidationContext;
use crate::validate::{Finding, ValidationResult, rules};

/// Identity and state of one deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct DeploymentConfig {
    /// Fixes the deployment id (3-32 lowercase letters, digits, hyphens); generated when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// Where the state file is kept; default `.sre-agent-deploy/<deployment-id>.json`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_file: Option<PathBuf>,
    /// Keeps the state in S3 for a team: `s3://BUCKET/PREFIX`. The state is
    /// `PREFIX/<deployment-id>.json`, locked by `PREFIX/<deployment-id>.lock`; needs
    /// `deployment_id`. Replaces `state_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("examples" = ["s3://acme-deploy-state/sre-agent"]))]
    pub state_backend: Option<String>,
}

impl DeploymentConfig {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> ValidationResult {
        let mut result = ValidationResult::new();
        if let Some(id) = &self.deployment_id
            && let Err(p) = rules::deployment_id(id)
        {
            result.push(p.error_at("deployment.deployment_id"));
        }
        if let Some(path) = &self.state_file {
            if path.as_os_str().is_empty() {
                result.push(
                    Finding::error("deployment.state_file", "the state file path is empty")
                        .suggest("remove the key to use the default location"),
                );
            } else if ctx.base_dir.join(path).is_dir() {
                result.push(
                    Finding::error(
                        "deployment.state_file",
                        format!(
                            "{} is a directory; the state file must be a file path",
                            path.display()
                        ),
                    )
                    .suggest(format!("use \"{}\"", path.join("state.json").display())),
                );
            }
        }
        if let Some(url) = &self.state_backend {
            let field = "deployment.state_backend";
            if let Err(message) = super::BackendUrl::parse(url) {
                result.push(
                    Finding::error(field, format!("{url:?} is not usable: {message}"))
                        .suggest(super::backend_url::URL_FIX),
                );
            } else if self.deployment_id.is_none() {
                result.push(
                    Finding::error(
                        field,
                        "a state in S3 is found by its deployment id, and none is set",
                    )
                    .suggest("set deployment.deployment_id (or pass --deployment-id ID)"),
                );
            }
            if self.state_file.is_some() {
                result.push(
                    Finding::error(field, "both state_backend and state_file are set").suggest(
                        "keep one: state_backend for a shared state in S3, state_file for a local one",
                    ),
                );
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::{ctx, fields};

    #[test]
    fn defaults_are_clean() {
        assert_eq!(DeploymentConfig::default().validate(&ctx()).findings, vec![]);
    }

    #[test]
    fn bad_id_and_directory_state_file() {
        let d = DeploymentConfig {
            deployment_id: Some("Prod_1".into()),
            state_file: Some(".".into()),
            state_backend: None,
        };
        assert_eq!(
            fields(&d.validate(&ctx())),
            ["deployment.deployment_id", "deployment.state_file"]
        );
    }
}

#[cfg(test)]
mod backend_tests {
    use super::*;
    use crate::config::test_support::{ctx, fields};

    #[test]
    fn a_backend_url_is_checked_and_needs_an_id() {
        let mut d = DeploymentConfig {
            deployment_id: Some("sre-team".into()),
            state_file: None,
            state_backend: Some("s3://team-state/sre".into()),
        };
        assert_eq!(fields(&d.validate(&ctx())), Vec::<String>::new());
        d.state_backend = Some("team-state/sre".into());
        assert_eq!(fields(&d.validate(&ctx())), ["deployment.state_backend"]);
        d.state_backend = Some("s3://team-state/sre".into());
        d.deployment_id = None;
        let result = d.validate(&ctx());
        assert_eq!(fields(&result), ["deployment.state_backend"]);
        assert!(format!("{:?}", result.findings).contains("deployment_id"));
        d.deployment_id = Some("sre-team".into());
        d.state_file = Some("s.json".into());
        assert_eq!(fields(&d.validate(&ctx())), ["deployment.state_backend"]);
    }
}

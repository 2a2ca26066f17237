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
        };
        assert_eq!(
            fields(&d.validate(&ctx())),
            ["deployment.deployment_id", "deployment.state_file"]
        );
    }
}

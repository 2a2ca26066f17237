//! The wizard's prompts: discovery, the welcome, the questions section by section, and saving the
//! answers to the config file (with a backup of the previous file).
//!
//! - `ask`: the `Ask` trait and its inquire implementation;
//! - `discover`: read-only listings of the account (pools, buckets, roles, gateways);
//! - `sections`: the questions, section by section;
//! - `fields`: one question about one field, checked by the config models;
//! - `secrets`: secret references (`env:`, `file:`, or typed and saved 0600).

pub mod ask;
pub mod discover;
mod fields;
mod secrets;
pub mod sections;
mod tls;

use std::path::{Path, PathBuf};

pub use super::section::Section;
pub use ask::{Ask, Question, Stopped};
pub use discover::Discovered;
pub use secrets::SECRETS_DIR;
pub use sections::Context;

use crate::config::{Config, ValidationContext};
use crate::files::FileError;
use crate::validate::{Finding, Severity};

/// The welcome: what will be created, where, and that nothing is created before the review.
pub fn welcome(account: Option<&str>, region: &str, config_path: &Path, exists: bool) -> String {
    let account = account.map_or_else(
        || "(unknown: the credentials could not be checked)".to_string(),
        str::to_string,
    );
    let saved = if exists {
        "its values are the defaults; a backup is kept"
    } else {
        "a new file"
    };
    format!(
        "sre-agent-deploy: deploy the SRE agent's gateway\n\n\
         In account {account}, region {region}, this wizard sets up:\n\
         \x20 - an IAM role for the gateway (least privilege),\n\
         \x20 - Cognito JWT auth: user pool, domain, resource server, app client,\n\
         \x20 - an S3 bucket with the backends' OpenAPI specs,\n\
         \x20 - an API key credential provider for the backends,\n\
         \x20 - an AgentCore gateway (MCP) with one target per backend,\n\
         then checks TLS, tokens and tools, and that bad tokens are refused.\n\n\
         Nothing is created before you confirm the plan on the review screen.\n\
         Ctrl-C or Esc at a prompt stops here, with nothing changed.\n\
         Answers are saved to {} ({saved}).\n",
        config_path.display(),
    )
}

/// The config's findings (errors first), as `--validate-only` reports them.
pub fn findings(config: &Config, cx: &Context<'_>) -> Vec<Finding> {
    let ctx = ValidationContext {
        base_dir: cx.base_dir,
        env: cx.env,
    };
    let mut findings = config.validate(&ctx).findings;
    findings.sort_by_key(|f| f.severity != Severity::Error);
    findings
}

/// The section to ask again for the first error, if any.
pub fn first_error_section(findings: &[Finding]) -> Option<Section> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .find_map(|f| Section::of(&f.field))
}

/// Writes the config to `path`, keeping a backup of a different previous file. Returns the
/// backup's path, if one was made.
pub fn save(path: &Path, config: &Config) -> Result<Option<PathBuf>, FileError> {
    let header = "# Written by the sre-agent-deploy wizard. Check it with:\n\
                  #   sre-agent-deploy --validate-only --config <this file>\n\
                  # Secrets are references (env:NAME or file:PATH), never values.\n";
    let text =
        crate::config::yaml::to_yaml(config, header).map_err(|message| FileError::other(path, message))?;
    let backup = match std::fs::read_to_string(path) {
        Ok(previous) if previous == text => return Ok(None),
        Ok(_) => Some(crate::files::back_up(path)?),
        Err(_) => None,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_dir_all(dir)?;
    }
    crate::files::write_atomic(path, text.as_bytes())?;
    Ok(backup)
}

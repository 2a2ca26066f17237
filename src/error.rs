//! The library's error type and the one place that renders errors for people, with a suggestion
//! for what to do next.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::load::LoadError;
use crate::exit::ExitStatus;
use crate::files::FileError;
use crate::output::printer::OutputError;

/// Everything that can stop a command before it produces its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    File(#[from] FileError),
    /// The result could not be written (a closed pipe).
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The terminal failed under the prompts or the screens.
    #[error("the terminal failed: {0}")]
    Terminal(String),
    #[error(transparent)]
    State(#[from] crate::deploy::store::StateError),
    #[error("{error}")]
    Deploy {
        error: Box<crate::deploy::error::DeployError>,
        /// The command that continues the deployment.
        resume: String,
    },
    #[error("{context}: {error}")]
    Aws {
        context: String,
        error: crate::aws::AwsError,
    },
    #[error("{what} needs confirmation, and this run is not interactive")]
    NeedsConfirmation { what: String },
    #[error("{what} was not confirmed; nothing was changed")]
    Declined { what: String },
    /// The operator stopped an interactive step (Ctrl-C or Esc at a prompt).
    #[error("{what}")]
    Stopped { what: String, next: String },
    #[error(transparent)]
    Import(#[from] crate::import::ImportError),
    #[error(transparent)]
    Acme(#[from] crate::acme::AcmeError),
    #[error("{config} has no tls.acme section: the certificate is brought as files")]
    NoAcme { config: PathBuf },
    #[error("the deploy hook `{command}` failed ({status}); the new certificate is installed")]
    Hook { command: String, status: String },
    #[error(
        "{path} is config version {version}, newer than this build reads ({})",
        crate::config::CONFIG_VERSION
    )]
    NewerConfig { path: PathBuf, version: u32 },
    #[error(transparent)]
    Plan(#[from] crate::deploy::plan::PlanError),
    #[error("no deployment of {config} is on record here: there is nothing to compare")]
    NoDeployment { config: PathBuf },
    #[error(
        "{config} names no deployment.deployment_id and no deployment of it is on record here: the timer and its metrics need the id"
    )]
    NoDeploymentId { config: PathBuf },
}

impl Error {
    /// What the user can do about it.
    pub fn suggestion(&self) -> Option<String> {
        match self {
            Self::Load(LoadError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Some(
                "create one with `sre-agent-deploy init --output config.yaml`, or pass --config PATH".into(),
            ),
            Self::Load(LoadError::Read { .. }) => Some("check the path and the file's permissions".into()),
            Self::Load(LoadError::TooLarge { .. }) => Some("point --config at the deployment's config file".into()),
            Self::Load(LoadError::Syntax { .. }) => Some(
                "fix the YAML at that line; check indentation (spaces, not tabs) and quote values containing ': ' or '#'".into(),
            ),
            Self::Load(LoadError::NotAMapping { .. }) => {
                Some("start from `sre-agent-deploy init --output config.yaml`".into())
            }
            Self::Load(LoadError::Override(o)) => o.suggestion.clone(),
            Self::File(e) => Some(e.suggestion()),
            Self::Output(_) => Some("check that whatever reads standard output (a pipe, a file) is still there".into()),
            Self::Runtime(_) => Some("the system is out of threads or memory: free some, then run again".into()),
            Self::Terminal(_) => Some("run again in a working terminal, or pass --non-interactive".into()),
            Self::State(e) => e.suggestion(),
            Self::Deploy { error, resume } => {
                let fix = error.suggestion().map(|s| format!("{s}\n  ")).unwrap_or_default();
                Some(format!("{fix}resume: {resume}"))
            }
            Self::Aws { error, .. } => Some(error.suggestion()),
            Self::NeedsConfirmation { .. } => Some("pass --yes to confirm".into()),
            Self::Declined { .. } => None,
            Self::Stopped { next, .. } => Some(next.clone()),
            Self::Import(e) => e.suggestion(),
            Self::Acme(e) => Some(e.suggestion()),
            Self::NoAcme { .. } => Some(
                "add a tls.acme section (`sre-agent-deploy init` writes a commented one), or renew the files yourself".into(),
            ),
            Self::Hook { .. } => Some("fix the hook, then run it yourself (the backends still serve the old certificate)".into()),
            Self::NewerConfig { .. } => {
                Some("this file was written by a newer sre-agent-deploy: upgrade the tool".into())
            }
            Self::Plan(_) => Some("fix the spec template, or the target's spec field, then run again".into()),
            Self::NoDeploymentId { .. } => Some(
                "pass --deployment-id ID (the id the deployment was made with), or set deployment.deployment_id".into(),
            ),
            Self::NoDeployment { .. } => Some(
                "deploy first, or point --state-file (or --deployment-id) at the deployment's state; `plan` shows what a first deploy makes".into(),
            ),
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Self::Deploy { error, .. }
                if matches!(**error, crate::deploy::error::DeployError::Interrupted) =>
            {
                ExitStatus::Interrupted
            }
            Self::Stopped { .. } => ExitStatus::Interrupted,
            Self::Deploy { .. } | Self::Aws { .. } | Self::Acme(_) | Self::Hook { .. } => ExitStatus::Failed,
            _ => ExitStatus::Usage,
        }
    }

    /// The error as people read it: the message, then the suggestion.
    pub fn render(&self) -> String {
        let mut text = format!("error: {self}");
        if let Some(suggestion) = self.suggestion() {
            text.push_str("\n  fix: ");
            text.push_str(&suggestion);
        }
        text
    }

    /// The error as `--output json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct Rendered {
            message: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            suggestion: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            line: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            column: Option<u64>,
        }
        let (line, column) = match self {
            Self::Load(LoadError::Syntax { line, column, .. }) => (Some(*line), Some(*column)),
            _ => (None, None),
        };
        serde_json::json!({
            "valid": false,
            "findings": [],
            "error": Rendered { message: self.to_string(), suggestion: self.suggestion(), line, column },
        })
    }
}

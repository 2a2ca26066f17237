//! The library's error type and the one place that renders errors for people, with a suggestion
//! for what to do next.

use std::path::PathBuf;

use serde::Serialize;

use crate::config::load::LoadError;
use crate::exit::ExitStatus;

/// Everything that can stop a command before it produces its result.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{path} already exists")]
    AlreadyExists { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{mode} is not available yet in this version of sre-agent-deploy")]
    NotAvailable { mode: &'static str },
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
            Self::AlreadyExists { .. } => Some("pass --force to overwrite it, or choose another --output".into()),
            Self::Write { .. } => Some("check that the folder exists and is writable".into()),
            Self::NotAvailable { .. } => Some(
                "for now, check a config with `sre-agent-deploy --validate-only --config config.yaml`".into(),
            ),
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        ExitStatus::Usage
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

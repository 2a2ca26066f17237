//! Why a deployment step failed, with the step, the resource and what to do next.

use crate::aws::AwsError;
use crate::deploy::store::StateError;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("step {step}: {resource}: {error}")]
    Aws {
        step: String,
        resource: String,
        /// Boxed: the error carries the service's code, message and request id.
        error: Box<AwsError>,
    },
    #[error("step {step}: {resource} is {status}: {reasons}")]
    Failed {
        step: String,
        resource: String,
        status: String,
        reasons: String,
    },
    #[error("step {step}: {resource} was not ready after {waited_secs} s (last status {status})")]
    Timeout {
        step: String,
        resource: String,
        status: String,
        waited_secs: u64,
    },
    #[error("step {step}: {resource}: {message}")]
    Conflict {
        step: String,
        resource: String,
        message: String,
        suggestion: String,
    },
    #[error("{field}: {message}")]
    Secret {
        field: &'static str,
        message: String,
        suggestion: Option<String>,
    },
    #[error(transparent)]
    State(#[from] StateError),
    #[error("interrupted")]
    Interrupted,
}

impl DeployError {
    /// Where the error happened, outermost first (`step cognito-pool`, `resource user pool x`).
    pub fn context(&self) -> Vec<String> {
        match self {
            Self::Aws { step, resource, .. }
            | Self::Failed { step, resource, .. }
            | Self::Timeout { step, resource, .. }
            | Self::Conflict { step, resource, .. } => {
                vec![format!("running step {step}"), format!("working on {resource}")]
            }
            Self::Secret { field, .. } => vec![format!("resolving the secret of {field}")],
            Self::State(_) => vec!["writing the state file".into()],
            Self::Interrupted => vec!["stopping on request (the steps in flight were recorded)".into()],
        }
    }

    pub fn suggestion(&self) -> Option<String> {
        match self {
            Self::Aws { error, .. } => Some(error.suggestion()),
            Self::Failed { .. } => Some(
                "fix the cause in the status reasons (often the role's permissions or the spec), then resume"
                    .into(),
            ),
            Self::Timeout { .. } => Some("the service is slow; resume to keep waiting".into()),
            Self::Conflict { suggestion, .. } => Some(suggestion.clone()),
            Self::Secret { suggestion, .. } => suggestion.clone(),
            Self::State(e) => e.suggestion(),
            Self::Interrupted => None,
        }
    }
}

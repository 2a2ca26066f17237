//! Why a state cannot be used, and what to do about it.

use std::path::PathBuf;

use crate::aws::AwsError;
use crate::deploy::state::STATE_SCHEMA_VERSION;
use crate::files::FileError;

/// Why a state cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("another sre-agent-deploy run holds the lock on {path} ({holder})")]
    Locked {
        path: PathBuf,
        holder: String,
        /// The command that removes the lock, when a killed run can leave it behind (S3).
        unlock: Option<String>,
    },
    #[error("the state {path} is corrupt: {message}; it was left untouched")]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "the state {path} has format version {version}, newer than this build reads ({STATE_SCHEMA_VERSION}); it was left untouched"
    )]
    TooNew { path: PathBuf, version: u64 },
    #[error("the state {path} belongs to deployment {found}, not {expected}; it was left untouched")]
    OtherDeployment {
        path: PathBuf,
        found: String,
        expected: String,
    },
    #[error("no state file at {path}")]
    NotFound { path: PathBuf },
    #[error("cannot use the state file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] FileError),
    #[error("the config changed since deployment {deployment_id} last ran:\n{diff}")]
    ConfigChanged { deployment_id: String, diff: String },
    #[error(
        "the state {path} was written by someone else while this run held its lock; this run stopped and did not overwrite it"
    )]
    LostUpdate { path: PathBuf },
    #[error("cannot use the state backend {path}: {error}")]
    Backend { path: PathBuf, error: Box<AwsError> },
    #[error("the state backend {url:?} is not usable: {message}")]
    BadUrl { url: String, message: String },
    #[error("the lock {path} is not one sre-agent-deploy wrote: {message}; it was left untouched")]
    ForeignLock { path: PathBuf, message: String },
    #[error("{command} works on a state in S3, and no state backend is set")]
    NeedsBackend { command: &'static str },
    #[error("there is already a state at {path}; nothing was pushed")]
    Exists { path: PathBuf },
    #[error("the lock on {path} is held by lock id {held}, not {asked}; nothing was removed")]
    LockIdMismatch {
        path: PathBuf,
        held: String,
        asked: String,
    },
}

impl StateError {
    pub fn suggestion(&self) -> Option<String> {
        Some(match self {
            Self::Locked {
                unlock: Some(unlock), ..
            } => format!(
                "wait for the other run to finish; if it was killed and will not come back, remove its lock: {unlock}"
            ),
            Self::Locked { unlock: None, .. } => {
                "wait for the other run to finish, or stop it; a lock left by a killed process is released by the OS".into()
            }
            Self::Corrupt { path, .. } => format!(
                "restore {} from a backup (or an earlier S3 object version), or move it away and run `sre-agent-deploy --cleanup --deployment-id ID` to find the deployment's resources by tag",
                path.display()
            ),
            Self::TooNew { .. } => "upgrade sre-agent-deploy to the version that wrote this state".into(),
            Self::OtherDeployment { found, expected, .. } => format!(
                "use the state of deployment {expected} (or none, to start it), or pass \
                 --deployment-id {found} to work on the deployment this state records"
            ),
            Self::NotFound { .. } => "pass --state-file PATH or --state-backend s3://BUCKET/PREFIX with \
                 --deployment-id ID, or run from the folder that holds .sre-agent-deploy/"
                .into(),
            Self::Io { .. } => "check the folder's permissions and free space".into(),
            Self::Write(e) => e.suggestion(),
            Self::ConfigChanged { .. } => "review the change, then run again with --yes to apply it".into(),
            Self::LostUpdate { .. } => "find who wrote it (`sre-agent-deploy list`, the S3 object's versions); \
                 once no other run is active, resume: the resources are found again by name and tag"
                .into(),
            Self::Backend { error, .. } => backend_fix(error),
            Self::BadUrl { .. } => crate::config::backend_url::URL_FIX.into(),
            Self::ForeignLock { path, .. } => format!(
                "look at {} and remove it by hand if nothing of yours uses that key",
                path.display()
            ),
            Self::NeedsBackend { .. } => "pass --state-backend s3://BUCKET/PREFIX and --deployment-id ID (or set \
                 SRE_AGENT_DEPLOY_DEPLOYMENT_STATE_BACKEND); a local state's lock is released by the OS \
                 when its process ends"
                .into(),
            Self::Exists { .. } => "compare it with `sre-agent-deploy state pull`; push only a deployment the backend does not have".into(),
            Self::LockIdMismatch { held, .. } => format!(
                "check who holds lock {held} (the error of the run it blocks names them), and pass that id if it is stale"
            ),
        })
    }
}

/// What to do about a failed call to the state bucket.
fn backend_fix(error: &AwsError) -> String {
    match error.code.as_deref() {
        Some("NoSuchBucket") => "create the bucket first (with versioning on), or fix the bucket in \
             deployment.state_backend / --state-backend"
            .into(),
        _ if error.is(crate::aws::ErrorKind::AccessDenied) => format!(
            "the credentials need s3:GetObject, s3:PutObject and s3:DeleteObject on the prefix and \
             s3:ListBucket on the bucket (the call refused was {})",
            error.iam_action()
        ),
        _ => error.suggestion(),
    }
}

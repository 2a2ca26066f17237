//! `force-unlock`, `state push` and `state pull`: the commands that work on a state in S3
//! rather than on a deployment.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Cx, confirm, flag_settings};
use crate::cli::{ForceUnlockArgs, PullArgs, PushArgs};
use crate::config::BackendUrl;
use crate::deploy::session::locate;
use crate::deploy::store::{self, Location, S3Location, StateError, catalog};
use crate::error::Error;
use crate::exit::ExitStatus;

/// What a state command did, for people and for `--output json`.
#[derive(Debug, Serialize)]
pub struct Moved {
    pub deployment_id: String,
    pub action: &'static str,
    pub from: String,
    pub to: String,
    /// The lock that was removed (`force-unlock`), or the backup left behind (`state push`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl std::fmt::Display for Moved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} {}: {} -> {}",
            self.action, self.deployment_id, self.from, self.to
        )?;
        if let Some(detail) = &self.detail {
            writeln!(f, "  {detail}")?;
        }
        Ok(())
    }
}

/// The S3 state the flags name; an error when they name none.
fn s3_location(
    common: &crate::cli::CommonArgs,
    cx: &Cx<'_>,
    command: &'static str,
) -> Result<S3Location, Error> {
    let (flags, aws) = flag_settings(common, cx.env);
    match locate(&flags, &aws, Path::new("."), None)?.map(|l| l.location) {
        Some(Location::S3(at)) => Ok(at),
        _ => Err(StateError::NeedsBackend { command }.into()),
    }
}

/// `force-unlock --deployment-id ID LOCK_ID`: removes the named lock, and only that one.
pub fn force_unlock(args: &ForceUnlockArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let at = s3_location(&args.common, cx, "force-unlock")?;
    if !args.yes {
        confirm(&format!(
            "remove lock {} of deployment {} (only if the run that took it is gone)",
            args.lock_id, at.deployment_id
        ))?;
    }
    let removed = store::s3::force_unlock(&at, &args.lock_id)?;
    let detail = match removed {
        Some(lock) => format!("removed the lock held by {}", lock.holder()),
        None => "there was no lock: nothing to remove".into(),
    };
    cx.printer.result(
        out,
        &Moved {
            deployment_id: at.deployment_id.clone(),
            action: "force-unlock",
            from: format!("s3://{}/{}", at.url.bucket, at.lock_key()),
            to: "(removed)".into(),
            detail: Some(detail),
        },
    )?;
    Ok(ExitStatus::Success)
}

/// `state push --deployment-id ID --to s3://…`: moves a local state into the backend.
pub fn push(args: &PushArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let url = BackendUrl::parse(&args.to).map_err(|message| StateError::BadUrl {
        url: args.to.clone(),
        message,
    })?;
    let (mut flags, aws) = flag_settings(&args.common, cx.env);
    flags.state_backend = None;
    let Some(Location::File(from)) =
        locate(&flags, &aws, Path::new("."), Some(&args.common.config))?.map(|l| l.location)
    else {
        return Err(StateError::NotFound {
            path: PathBuf::from(store::STATE_DIR),
        }
        .into());
    };
    let (state, backup) = catalog::push(&from, &url, &aws)?;
    let to = S3Location {
        url,
        deployment_id: state.deployment_id.clone(),
        aws,
    };
    cx.printer.result(
        out,
        &Moved {
            deployment_id: state.deployment_id.clone(),
            action: "state push",
            from: from.display().to_string(),
            to: to.state_url(),
            detail: Some(format!(
                "the local file is kept as {}; from now on pass --state-backend {} (or set deployment.state_backend)",
                backup.display(),
                to.url
            )),
        },
    )?;
    Ok(ExitStatus::Success)
}

/// `state pull --deployment-id ID`: copies the backend's state into a local file.
pub fn pull(args: &PullArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let at = s3_location(&args.common, cx, "state pull")?;
    let file = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.pulled.json", at.deployment_id)));
    let state = catalog::pull(&at, &file)?;
    cx.printer.result(
        out,
        &Moved {
            deployment_id: state.deployment_id,
            action: "state pull",
            from: at.state_url(),
            to: file.display().to_string(),
            detail: Some("a copy to read: runs keep using the backend's state".into()),
        },
    )?;
    Ok(ExitStatus::Success)
}

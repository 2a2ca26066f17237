//! Whole states rather than one run's: listing a backend's deployments, moving a local state into
//! S3 (`state push`), and copying an S3 state out for inspection (`state pull`).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::lock::LockBody;
use super::s3::S3Location;
use super::{Location, StateError, StateStore, local, parse};
use crate::aws::s3_conditional::{self, Versioned};
use crate::config::{AwsConfig, BackendUrl};
use crate::deploy::state::{DeploymentStatus, State};

/// One deployment as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub deployment_id: String,
    /// Where its state is (a path or `s3://…`); empty for a deployment found only by tag.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<DeploymentStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// When the state was last written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_url: Option<String>,
    /// Who holds the lock, when someone does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_by: Option<String>,
    /// Why the state could not be read (corrupt, newer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Listed {
    fn of(deployment_id: String, state_at: String, read: Result<State, StateError>) -> Self {
        let mut listed = Self {
            deployment_id,
            state: state_at,
            status: None,
            last_operation: None,
            who: None,
            when: None,
            gateway_url: None,
            locked_by: None,
            problem: None,
        };
        match read {
            Ok(state) => {
                listed.status = Some(state.status);
                listed.when = Some(state.updated_at);
                listed.gateway_url = state.outputs.get("gateway_url").cloned();
                if let Some(run) = state.last_run {
                    listed.last_operation = Some(run.operation);
                    listed.who = Some(run.who);
                }
            }
            Err(e) => listed.problem = Some(e.to_string()),
        }
        listed
    }
}

/// The state files in `dir` (the local "backend").
pub fn list_local(dir: &Path) -> Vec<Listed> {
    local::state_files(dir)
        .into_iter()
        .map(|path| {
            let read = local::read(&path);
            let id = match &read {
                Ok(state) => state.deployment_id.clone(),
                Err(_) => path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            Listed::of(id, path.display().to_string(), read)
        })
        .collect()
}

/// The deployments under a backend's prefix: `<id>.json` states and `<id>.lock` locks. One
/// listing, then every object read at once.
pub fn list_s3(url: &BackendUrl, aws: &AwsConfig) -> Result<Vec<Listed>, StateError> {
    let at = |id: &str| S3Location {
        url: url.clone(),
        deployment_id: id.to_string(),
        aws: aws.clone(),
    };
    let bridge = at("").connect()?;
    let listing = PathBuf::from(url.to_string());
    let (bucket, prefix) = (url.bucket.clone(), url.key(""));
    let keys = bridge.send(&listing, |c| async move {
        crate::aws::s3::list_keys(&c, &bucket, &prefix).await
    })?;
    let direct: Vec<String> = keys
        .into_iter()
        .filter(|k| !k[url.key("").len()..].contains('/'))
        // Keys are case-sensitive: only what the backend writes counts.
        .filter(|k| {
            #[allow(clippy::case_sensitive_file_extension_comparisons)]
            let ours = k.ends_with(".json") || k.ends_with(".lock");
            ours
        })
        .collect();
    let bucket = url.bucket.clone();
    let objects = bridge.send(&listing, |c| async move {
        let reads = direct.into_iter().map(|key| {
            let (c, bucket) = (c.clone(), bucket.clone());
            async move {
                s3_conditional::read(&c, &bucket, &key)
                    .await
                    .map(|read| (key, read))
            }
        });
        futures_util::future::try_join_all(reads).await
    })?;
    let mut listed: Vec<Listed> = Vec::new();
    let mut locks: Vec<(String, String)> = Vec::new();
    for (key, read) in objects {
        let Some(body) = read.map(|Versioned { body, .. }| body) else {
            continue;
        };
        let name = key.rsplit('/').next().unwrap_or(&key);
        if let Some(id) = name.strip_suffix(".lock") {
            let holder = LockBody::parse(&body).map_or_else(
                |e| format!("a lock not written by sre-agent-deploy ({e})"),
                |b| b.holder(),
            );
            locks.push((id.to_string(), holder));
        } else if let Some(id) = name.strip_suffix(".json") {
            let state_at = at(id).state_url();
            let read = parse(&body, Path::new(&state_at));
            listed.push(Listed::of(id.to_string(), state_at, read));
        }
    }
    for (id, holder) in locks {
        match listed.iter_mut().find(|l| l.deployment_id == id) {
            Some(l) => l.locked_by = Some(holder),
            // A lock without a state: the first run of a deployment, still creating it.
            None => {
                let state_at = at(&id).state_url();
                let missing = StateError::NotFound {
                    path: PathBuf::from(&state_at),
                };
                listed.push(Listed {
                    locked_by: Some(holder),
                    ..Listed::of(id, state_at, Err(missing))
                });
            }
        }
    }
    listed.sort_by(|a, b| a.deployment_id.cmp(&b.deployment_id));
    Ok(listed)
}

/// Moves the local state at `from` into the backend (under the backend's lock, and the local
/// file's): refused when the backend already has a state for the deployment. The local file is
/// then renamed to `<file>.pushed`, the backup left behind; its path is returned.
pub fn push(from: &Path, url: &BackendUrl, aws: &AwsConfig) -> Result<(State, PathBuf), StateError> {
    let local = StateStore::open_existing(from, "state push")?;
    let to = S3Location {
        url: url.clone(),
        deployment_id: local.state.deployment_id.clone(),
        aws: aws.clone(),
    };
    let pushed = local.state.clone();
    let mut remote = StateStore::open_or_create(Location::S3(to.clone()), "state push", || pushed)?;
    if !remote.created() {
        return Err(StateError::Exists {
            path: PathBuf::from(to.state_url()),
        });
    }
    remote.save()?;
    let backup = PathBuf::from(format!("{}.pushed", from.display()));
    std::fs::rename(from, &backup).map_err(|source| StateError::Io {
        path: from.to_path_buf(),
        source,
    })?;
    Ok((remote.state.clone(), backup))
}

/// Writes the backend's state to `out` (no lock taken: a copy to read).
pub fn pull(from: &S3Location, out: &Path) -> Result<State, StateError> {
    let state = super::s3::read(from)?;
    let mut text = serde_json::to_vec_pretty(&state).map_err(|e| StateError::Io {
        path: out.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    text.push(b'\n');
    crate::files::write_atomic(out, &text)?;
    Ok(state)
}

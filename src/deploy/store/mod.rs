//! Persisting the state: one [`Backend`] trait, two implementations. [`local`] keeps the state in
//! a file (an OS lock per file, atomic writes); [`s3`] keeps it in S3 for a team (a lock object
//! written with `If-None-Match: *`, saves under `If-Match`). [`Location`] says which one a
//! deployment uses; [`StateStore`] is the state in memory plus the backend that holds its lock.
//! Both refuse corrupt or newer states without ever overwriting them.

pub mod catalog;
mod error;
pub mod local;
pub mod lock;
pub mod s3;
mod s3_bridge;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::state::{DeploymentStatus, LastRun, STATE_SCHEMA_VERSION, State, now_rfc3339};
use crate::config::Config;

pub use error::StateError;
pub use local::{default_path, find_for_config, read};
pub use s3::S3Location;

/// The folder state files live in by default, relative to the current folder.
pub const STATE_DIR: &str = ".sre-agent-deploy";

/// Where one deployment's state is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    S3(S3Location),
}

impl Location {
    /// How messages and the report name it: the file's path, or `s3://bucket/key`.
    pub fn path(&self) -> PathBuf {
        match self {
            Self::File(path) => path.clone(),
            Self::S3(s3) => PathBuf::from(s3.state_url()),
        }
    }

    /// Reads the state without taking the lock (for read-only uses).
    pub fn read(&self) -> Result<State, StateError> {
        match self {
            Self::File(path) => local::read(path),
            Self::S3(s3) => s3::read(s3),
        }
    }

    /// The state, `None` when there is none yet; other problems are errors.
    pub fn read_if_any(&self) -> Result<Option<State>, StateError> {
        match self.read() {
            Ok(state) => Ok(Some(state)),
            Err(StateError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl From<&Path> for Location {
    fn from(path: &Path) -> Self {
        Self::File(path.to_path_buf())
    }
}

impl From<&PathBuf> for Location {
    fn from(path: &PathBuf) -> Self {
        Self::File(path.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Self {
        Self::File(path)
    }
}

/// Where a state lives and how it is written: the one interface the engine saves through.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// How messages name the state (a path, or `s3://bucket/key`).
    fn path(&self) -> PathBuf;
    /// Writes a rendered state: atomically, under the backend's lock, never over a write that
    /// is not this run's.
    fn write(&self, text: &[u8]) -> Result<(), StateError>;
    /// A write is a network round trip: the engine then folds records that may wait (a resource
    /// that exists) into the next save instead of writing them on their own.
    fn remote(&self) -> bool;
    /// The flags that point another run at this state (`--state-file PATH`, or the deployment
    /// id and the backend).
    fn flags(&self) -> String;
}

/// A state opened for writing: the state in memory plus the backend that holds its lock.
#[derive(Debug)]
pub struct StateStore {
    backend: Arc<dyn Backend>,
    pub state: State,
    /// What opening it found worth telling (a bucket without versioning).
    pub notes: Vec<String>,
    /// Opening it created it.
    created: bool,
}

/// The operation a lock is taken for, as its holder is shown to others.
pub type Operation<'a> = &'a str;

impl StateStore {
    /// Opens the state at `location` for writing, creating `fresh()` if there is none.
    pub fn open_or_create(
        location: impl Into<Location>,
        operation: Operation<'_>,
        fresh: impl FnOnce() -> State,
    ) -> Result<Self, StateError> {
        Self::open(&location.into(), operation, Some(Box::new(fresh)))
    }

    /// Opens an existing state for writing.
    pub fn open_existing(
        location: impl Into<Location>,
        operation: Operation<'_>,
    ) -> Result<Self, StateError> {
        Self::open(&location.into(), operation, None)
    }

    fn open(
        location: &Location,
        operation: Operation<'_>,
        fresh: Option<Box<dyn FnOnce() -> State + '_>>,
    ) -> Result<Self, StateError> {
        let (backend, found, notes): (Arc<dyn Backend>, _, _) = match location {
            Location::File(path) => {
                let (backend, found) = local::LocalFile::open(path, fresh.is_some())?;
                (Arc::new(backend), found, Vec::new())
            }
            Location::S3(s3) => {
                let (backend, found, notes) = s3::S3State::open(s3, operation, fresh.is_some())?;
                (Arc::new(backend), found, notes)
            }
        };
        let (state, created) = match (found, fresh) {
            (Some(state), _) => (state, false),
            (None, Some(fresh)) => (fresh(), true),
            (None, None) => {
                return Err(StateError::NotFound {
                    path: location.path(),
                });
            }
        };
        let mut store = Self {
            backend,
            state,
            notes,
            created,
        };
        store.state.last_run = Some(LastRun {
            operation: operation.to_string(),
            who: lock::who(),
            at: now_rfc3339(),
        });
        // An existing state is written only when the run changes something, never just for
        // opening it (the caller may still refuse it, as another deployment's). A new local
        // file is written at once; a new S3 state with the first save (a round trip saved: the
        // lock already keeps everyone else out, and a run saves before it creates anything).
        if created && !store.backend.remote() {
            store.save()?;
        }
        Ok(store)
    }

    /// Whether opening it created it (there was no state).
    pub fn created(&self) -> bool {
        self.created
    }

    /// How messages name the state.
    pub fn path(&self) -> PathBuf {
        self.backend.path()
    }

    /// The flags that point another run at this state.
    pub fn flags(&self) -> String {
        self.backend.flags()
    }

    /// The backend, for writing a rendered state outside a lock on the store.
    pub fn backend(&self) -> Arc<dyn Backend> {
        Arc::clone(&self.backend)
    }

    /// Writes the state.
    pub fn save(&mut self) -> Result<(), StateError> {
        let text = self.render()?;
        self.backend.write(&text)
    }

    /// The state as it is written, stamped with the time.
    pub fn render(&mut self) -> Result<Vec<u8>, StateError> {
        self.state.updated_at = now_rfc3339();
        let mut text = serde_json::to_vec_pretty(&self.state).map_err(|e| StateError::Io {
            path: self.path(),
            source: std::io::Error::other(e),
        })?;
        text.push(b'\n');
        Ok(text)
    }
}

/// A fresh state for a new deployment.
pub fn new_state(deployment_id: &str, config_path: Option<String>, config: &Config) -> State {
    let now = now_rfc3339();
    State {
        schema_version: STATE_SCHEMA_VERSION,
        deployment_id: deployment_id.to_string(),
        config_path,
        config_digest: config_digest(config),
        config: config.clone(),
        status: DeploymentStatus::InProgress,
        created_at: now.clone(),
        updated_at: now,
        steps: std::collections::BTreeMap::new(),
        ledger: Vec::new(),
        outputs: std::collections::BTreeMap::new(),
        last_run: None,
    }
}

/// Checks a state's text: JSON, a schema version this build reads, the state's shape. `path`
/// names it in the errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<State, StateError> {
    let corrupt = |message: String| StateError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| corrupt("it is not text (not valid UTF-8)".into()))?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let version = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| corrupt("it has no schema_version".into()))?;
    if version > u64::from(STATE_SCHEMA_VERSION) {
        return Err(StateError::TooNew {
            path: path.to_path_buf(),
            version,
        });
    }
    serde_json::from_value(value).map_err(|e| corrupt(e.to_string()))
}

/// SHA-256 of the config's JSON form (which holds secret references, never values), without the
/// `deployment` and `verify` sections: where the state lives and how it is checked do not change
/// what is deployed.
pub fn config_digest(config: &Config) -> String {
    let json = serde_json::to_vec(&crate::config::diff::without_locators(config)).unwrap_or_default();
    hex(&Sha256::digest(&json))
}

/// SHA-256 hex of a string (stable names and tokens derived from the deployment id).
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_save_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s/sre-a.json");
        {
            let mut store =
                StateStore::open_or_create(&path, "deploy", || new_state("sre-a", None, &Config::default()))
                    .expect("opens");
            store.state.outputs.insert("k".into(), "v".into());
            store.save().expect("saves");
        }
        let store = StateStore::open_existing(&path, "deploy").expect("reopens");
        assert_eq!(store.state.outputs["k"], "v");
    }

    #[test]
    fn second_writer_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sre-a.json");
        let _first =
            StateStore::open_or_create(&path, "deploy", || new_state("sre-a", None, &Config::default()))
                .expect("opens");
        let err = StateStore::open_existing(&path, "deploy").expect_err("locked");
        assert!(matches!(err, StateError::Locked { .. }), "{err}");
        assert!(err.to_string().contains(&std::process::id().to_string()));
    }

    #[test]
    fn corrupt_and_newer_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sre-a.json");
        for (text, want_too_new) in [
            ("{not json", false),
            ("{\"schema_version\": 99}", true),
            ("{\"schema_version\": 1}", false),
            ("", false),
        ] {
            std::fs::write(&path, text).expect("write");
            let err =
                StateStore::open_or_create(&path, "deploy", || new_state("sre-a", None, &Config::default()))
                    .expect_err(text);
            assert_eq!(matches!(err, StateError::TooNew { .. }), want_too_new, "{err}");
            assert_eq!(
                std::fs::read_to_string(&path).expect("read"),
                text,
                "never overwritten"
            );
        }
    }

    #[test]
    fn digest_changes_with_the_config() {
        let a = Config::default();
        let mut b = Config::default();
        b.aws.region = "us-east-1".into();
        assert_ne!(config_digest(&a), config_digest(&b));
        let mut c = a.clone();
        c.deployment.state_file = Some("elsewhere.json".into());
        assert_eq!(
            config_digest(&a),
            config_digest(&c),
            "the state's location is not a change"
        );
        assert_eq!(config_digest(&a), config_digest(&a.clone()));
    }
}

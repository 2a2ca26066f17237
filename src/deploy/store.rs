//! Persisting the state file: an exclusive lock per state file, atomic writes (temp file, fsync,
//! rename), and refusing corrupt or newer files without ever overwriting them.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::state::{DeploymentStatus, STATE_SCHEMA_VERSION, State, now_rfc3339};
use crate::config::Config;
use crate::files::{FileError, write_atomic};

/// The folder state files live in by default, relative to the current folder.
pub const STATE_DIR: &str = ".sre-agent-deploy";

/// Why a state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("another sre-agent-deploy run holds the lock on {path} ({holder})")]
    Locked { path: PathBuf, holder: String },
    #[error("the state file {path} is corrupt: {message}; it was left untouched")]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "the state file {path} has format version {version}, newer than this build reads ({STATE_SCHEMA_VERSION}); it was left untouched"
    )]
    TooNew { path: PathBuf, version: u64 },
    #[error("the state file {path} belongs to deployment {found}, not {expected}; it was left untouched")]
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
}

impl StateError {
    pub fn suggestion(&self) -> Option<String> {
        Some(match self {
            Self::Locked { .. } => {
                "wait for the other run to finish, or stop it; a lock left by a killed process is released by the OS".into()
            }
            Self::Corrupt { path, .. } => format!(
                "restore {} from a backup, or move it away and run `sre-agent-deploy --cleanup --deployment-id ID` to find the deployment's resources by tag",
                path.display()
            ),
            Self::TooNew { .. } => "upgrade sre-agent-deploy to the version that wrote this file".into(),
            Self::OtherDeployment { found, expected, .. } => format!(
                "use the state file of deployment {expected} (or none, to start it), or pass \
                 --deployment-id {found} to work on the deployment this file records"
            ),
            Self::NotFound { .. } => {
                "pass --state-file PATH, or run from the folder that holds .sre-agent-deploy/".into()
            }
            Self::Io { .. } => "check the folder's permissions and free space".into(),
            Self::Write(e) => e.suggestion(),
            Self::ConfigChanged { .. } => "review the change, then run again with --yes to apply it".into(),
        })
    }
}

/// A state file opened for writing: the state in memory plus the lock that keeps other runs out.
#[derive(Debug)]
pub struct StateStore {
    path: PathBuf,
    pub state: State,
    _lock: File,
}

/// The default state file path of a deployment.
pub fn default_path(deployment_id: &str) -> PathBuf {
    Path::new(STATE_DIR).join(format!("{deployment_id}.json"))
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
    }
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

impl StateStore {
    /// Opens the state file at `path` for writing, creating `fresh()` if it does not exist.
    pub fn open_or_create(path: &Path, fresh: impl FnOnce() -> State) -> Result<Self, StateError> {
        let lock = lock(path)?;
        let (state, created) = match read(path) {
            Ok(state) => (state, false),
            Err(StateError::NotFound { .. }) => (fresh(), true),
            Err(e) => return Err(e),
        };
        let mut store = Self {
            path: path.to_path_buf(),
            state,
            _lock: lock,
        };
        // An existing file is written only when the run changes something, never just for opening
        // it (the caller may still refuse it, as another deployment's file).
        if created {
            store.save()?;
        }
        Ok(store)
    }

    /// Opens an existing state file for writing.
    pub fn open_existing(path: &Path) -> Result<Self, StateError> {
        if !path.exists() {
            return Err(StateError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let lock = lock(path)?;
        let state = read(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            state,
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the state atomically.
    pub fn save(&mut self) -> Result<(), StateError> {
        let text = self.render()?;
        Self::write(&self.path, &text)
    }

    /// The state as it is written, stamped with the time.
    pub fn render(&mut self) -> Result<Vec<u8>, StateError> {
        self.state.updated_at = now_rfc3339();
        let mut text = serde_json::to_vec_pretty(&self.state).map_err(|e| StateError::Io {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        text.push(b'\n');
        Ok(text)
    }

    /// Writes a rendered state to `path` atomically (temp file, fsync, rename).
    pub fn write(path: &Path, text: &[u8]) -> Result<(), StateError> {
        Ok(write_atomic(path, text)?)
    }
}

/// Reads and checks a state file without locking it (for read-only uses).
pub fn read(path: &Path) -> Result<State, StateError> {
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut text = String::new();
    match File::open(path) {
        Ok(mut f) => match f.read_to_string(&mut text) {
            Ok(_) => 0,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(StateError::Corrupt {
                    path: path.to_path_buf(),
                    message: "it is not text (not valid UTF-8)".into(),
                });
            }
            Err(e) => return Err(io(e)),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StateError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(io(e)),
    };
    let corrupt = |message: String| StateError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
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

/// Takes the exclusive lock on `<path>.lock`, writing our pid into it for the next one to see.
fn lock(path: &Path) -> Result<File, StateError> {
    let io = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let lock_path = path.with_extension("lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "another process".to_string(),
                pid => format!("pid {pid}"),
            };
            return Err(StateError::Locked {
                path: path.to_path_buf(),
                holder,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    write!(file, "{}", std::process::id()).map_err(io)?;
    Ok(file)
}

/// The state file in `dir` that was made from the config at `config_path` and not cleaned up.
pub fn find_for_config(dir: &Path, config_path: &str) -> Option<PathBuf> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| {
            let state = read(&p).ok()?;
            (state.config_path.as_deref() == Some(config_path) && state.status != DeploymentStatus::CleanedUp)
                .then_some((state.updated_at, p))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
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
                StateStore::open_or_create(&path, || new_state("sre-a", None, &Config::default()))
                    .expect("opens");
            store.state.outputs.insert("k".into(), "v".into());
            store.save().expect("saves");
        }
        let store = StateStore::open_existing(&path).expect("reopens");
        assert_eq!(store.state.outputs["k"], "v");
    }

    #[test]
    fn second_writer_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sre-a.json");
        let _first = StateStore::open_or_create(&path, || new_state("sre-a", None, &Config::default()))
            .expect("opens");
        let err = StateStore::open_existing(&path).expect_err("locked");
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
            let err = StateStore::open_or_create(&path, || new_state("sre-a", None, &Config::default()))
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

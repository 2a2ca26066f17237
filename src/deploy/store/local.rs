//! The state in a local file: an exclusive OS lock on `<file>.lock` (released by the OS when the
//! process ends, however it ends) and atomic writes (temp file, fsync, rename).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{Backend, STATE_DIR, StateError, parse};
use crate::deploy::state::{DeploymentStatus, State};
use crate::files::write_atomic;

/// The default state file path of a deployment.
pub fn default_path(deployment_id: &str) -> PathBuf {
    Path::new(STATE_DIR).join(format!("{deployment_id}.json"))
}

/// A state file opened for writing, with the lock that keeps other runs out.
#[derive(Debug)]
pub struct LocalFile {
    path: PathBuf,
    _lock: File,
}

impl LocalFile {
    /// Takes the lock on `path` and reads the state there, if any. Without `create`, a missing
    /// file is [`StateError::NotFound`] (checked before the lock, so nothing is left behind).
    pub fn open(path: &Path, create: bool) -> Result<(Self, Option<State>), StateError> {
        if !create && !path.exists() {
            return Err(StateError::NotFound {
                path: path.to_path_buf(),
            });
        }
        let lock = lock(path)?;
        let found = match read(path) {
            Ok(state) => Some(state),
            Err(StateError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok((
            Self {
                path: path.to_path_buf(),
                _lock: lock,
            },
            found,
        ))
    }
}

impl Backend for LocalFile {
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    fn write(&self, text: &[u8]) -> Result<(), StateError> {
        Ok(write_atomic(&self.path, text)?)
    }

    fn remote(&self) -> bool {
        false
    }

    fn flags(&self) -> String {
        format!("--state-file {}", self.path.display())
    }
}

/// Reads and checks a state file without locking it (for read-only uses).
pub fn read(path: &Path) -> Result<State, StateError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => f.read_to_end(&mut bytes).map_err(|source| StateError::Io {
            path: path.to_path_buf(),
            source,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StateError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(StateError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse(&bytes, path)
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
                unlock: None,
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
    let mut found: Vec<(String, PathBuf)> = state_files(dir)
        .into_iter()
        .filter_map(|p| {
            let state = read(&p).ok()?;
            (state.config_path.as_deref() == Some(config_path) && state.status != DeploymentStatus::CleanedUp)
                .then_some((state.updated_at, p))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

/// The state files (`*.json`) in `dir`, sorted; none when it cannot be read.
pub fn state_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

//! File writes: atomic replace (temp file in the same folder, fsync, rename) and create-only.
//! Every file the tool writes goes through here, so a crash never leaves half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A file the tool could not write.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path} already exists")]
    AlreadyExists { path: PathBuf },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FileError {
    /// A write that failed for `reason` (not an I/O error of its own: a render that failed).
    pub fn other(path: &Path, reason: impl Into<String>) -> Self {
        write_error(path, std::io::Error::other(reason.into()))
    }

    /// What to do about it, by what went wrong.
    pub fn suggestion(&self) -> String {
        let path = match self {
            Self::AlreadyExists { .. } => {
                return "pass --force to overwrite it, or choose another --output".into();
            }
            Self::Write { path, .. } => path,
        };
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| ".".to_string(), |p| p.display().to_string());
        match self.io_kind() {
            Some(std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded) => {
                format!("free space on the disk that holds {folder}, then run the command again")
            }
            Some(std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) => {
                format!("make {folder} writable for this user, then run the command again")
            }
            Some(std::io::ErrorKind::NotFound) => {
                format!("create {folder} first (`mkdir -p {folder}`), or name a file in a folder that exists")
            }
            Some(std::io::ErrorKind::IsADirectory) => {
                format!("{} is a folder: name a file in it", path.display())
            }
            _ => format!("check that {folder} exists, is writable and has free space"),
        }
    }

    /// The kind of the I/O error, for a write that failed.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Self::AlreadyExists { .. } => None,
            Self::Write { source, .. } => Some(source.kind()),
        }
    }
}

/// Creates `dir` and its parents.
pub fn create_dir_all(dir: &Path) -> Result<(), FileError> {
    std::fs::create_dir_all(dir).map_err(|source| write_error(dir, source))
}

/// Replaces `path` with `contents` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    let mut temp = temp_beside(path)?;
    write_synced(&mut temp, path, contents)?;
    temp.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(())
}

/// Fails as a write of `path` would, without writing it: `path` must not be a folder, and its
/// folder must exist and take a new file. For long work that writes its result at the end.
pub fn check_writable(path: &Path) -> Result<(), FileError> {
    if path.is_dir() {
        return Err(write_error(path, std::io::ErrorKind::IsADirectory.into()));
    }
    temp_beside(path).map(drop)
}

/// Writes `contents` to `path`, failing with [`FileError::AlreadyExists`] if it exists (no race).
pub fn write_new(path: &Path, contents: &[u8]) -> Result<(), FileError> {
    if path.exists() {
        return Err(FileError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let mut temp = temp_beside(path)?;
    write_synced(&mut temp, path, contents)?;
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            FileError::AlreadyExists {
                path: path.to_path_buf(),
            }
        } else {
            write_error(path, e.error)
        }
    })?;
    Ok(())
}

/// Copies `path` to `<path>.bak-<UTC timestamp>` (with `.1`, `.2`, ... when that exists).
pub fn back_up(path: &Path) -> Result<PathBuf, FileError> {
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let base = format!("{}.bak-{stamp}", path.display());
    let backup = std::iter::once(PathBuf::from(&base))
        .chain((1..1000).map(|n| PathBuf::from(format!("{base}.{n}"))))
        .find(|p| !p.exists())
        .unwrap_or_else(|| PathBuf::from(&base));
    std::fs::copy(path, &backup).map_err(|source| FileError::Write {
        path: backup.clone(),
        source,
    })?;
    Ok(backup)
}

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, FileError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".sre-agent-deploy-")
        .tempfile_in(folder)
        .map_err(|e| write_error(path, e))
}

fn write_synced(temp: &mut tempfile::NamedTempFile, path: &Path, contents: &[u8]) -> Result<(), FileError> {
    temp.write_all(contents)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, source: std::io::Error) -> FileError {
    FileError::Write {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backups_carry_a_utc_stamp_and_never_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("config.yaml");
        std::fs::write(&file, "a").expect("write");
        let first = back_up(&file).expect("backup");
        let second = back_up(&file).expect("backup");
        assert_ne!(first, second);
        let name = first
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        assert!(
            name.starts_with("config.yaml.bak-") && name.ends_with('Z'),
            "{name}"
        );
        assert_eq!(std::fs::read_to_string(&second).expect("read"), "a");
    }

    use super::*;

    #[test]
    fn atomic_write_replaces_and_new_refuses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f.txt");
        write_new(&path, b"one").expect("creates");
        assert!(matches!(
            write_new(&path, b"two"),
            Err(FileError::AlreadyExists { .. })
        ));
        write_atomic(&path, b"three").expect("replaces");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "three");
        let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temp files left behind");
    }

    #[test]
    fn missing_folder_is_a_write_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = write_atomic(&dir.path().join("no/such/f.txt"), b"x").expect_err("no folder");
        assert!(matches!(err, FileError::Write { .. }));
    }

    #[test]
    fn check_writable_writes_nothing_and_names_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        check_writable(&dir.path().join("m.prom")).expect("writable");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
        let missing = check_writable(&dir.path().join("no/m.prom")).expect_err("no folder");
        assert!(
            missing.suggestion().contains("mkdir -p"),
            "{}",
            missing.suggestion()
        );
        let folder = check_writable(dir.path()).expect_err("a folder");
        assert!(
            folder.suggestion().contains("is a folder"),
            "{}",
            folder.suggestion()
        );
    }
}

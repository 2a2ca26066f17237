//! File writes: atomic replace (temp file in the same folder, fsync, rename) and create-only.
//! Every file the tool writes goes through here, so a crash never leaves half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Replaces `path` with `contents` atomically.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), Error> {
    let mut temp = temp_beside(path)?;
    write_synced(&mut temp, path, contents)?;
    temp.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(())
}

/// Writes `contents` to `path`, failing with [`Error::AlreadyExists`] if it exists (no race).
pub fn write_new(path: &Path, contents: &[u8]) -> Result<(), Error> {
    if path.exists() {
        return Err(Error::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let mut temp = temp_beside(path)?;
    write_synced(&mut temp, path, contents)?;
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::AlreadyExists {
                path: path.to_path_buf(),
            }
        } else {
            write_error(path, e.error)
        }
    })?;
    Ok(())
}

/// Copies `path` to `<path>.bak-<UTC timestamp>` (with `.1`, `.2`, ... when that exists).
pub fn back_up(path: &Path) -> Result<PathBuf, Error> {
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
    std::fs::copy(path, &backup).map_err(|source| Error::Write {
        path: backup.clone(),
        source,
    })?;
    Ok(backup)
}

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, Error> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".sre-agent-deploy-")
        .tempfile_in(folder)
        .map_err(|e| write_error(path, e))
}

fn write_synced(temp: &mut tempfile::NamedTempFile, path: &Path, contents: &[u8]) -> Result<(), Error> {
    temp.write_all(contents)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| write_error(path, e))
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
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
            Err(Error::AlreadyExists { .. })
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
        assert!(matches!(err, Error::Write { .. }));
    }
}

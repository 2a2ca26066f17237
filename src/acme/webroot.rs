//! HTTP-01 through a running web server (as `certbot --webroot`): the token files go under
//! `<webroot>/.well-known/acme-challenge/`, readable by the server, and are removed afterwards,
//! whatever the outcome.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::files::{self, FileError};

/// The token files written so far; dropping this removes them.
pub struct Tokens {
    folder: PathBuf,
    written: Vec<PathBuf>,
}

impl Tokens {
    pub fn new(webroot: &Path) -> Self {
        Self {
            folder: webroot.join(".well-known/acme-challenge"),
            written: Vec::new(),
        }
    }

    /// Writes the file the CA fetches for `token`, readable by the web server (mode 0644).
    pub fn add(&mut self, token: &str, key_authorization: &str) -> Result<(), FileError> {
        files::create_dir_all(&self.folder)?;
        let path = self.folder.join(token);
        files::write_atomic(&path, key_authorization.as_bytes())?;
        self.written.push(path.clone());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .map_err(|source| FileError::Write { path, source })
    }
}

impl Drop for Tokens {
    fn drop(&mut self) {
        for path in &self.written {
            let _ = std::fs::remove_file(path);
        }
    }
}

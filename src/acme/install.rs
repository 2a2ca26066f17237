//! Putting an issued pair in place, and what is in place now: the leaf's serial, issuer and
//! expiry; one account file per directory; how the challenge is answered; the deploy hook. Used by
//! `certificate issue|renew` and by the deploy's `tls-certificate` step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;
use secrecy::ExposeSecret as _;
use sha2::Digest as _;
use std::fmt::Write as _;
use x509_parser::prelude::{FromDer as _, X509Certificate};

use super::{Answer, Issued};
use crate::config::acme::AcmeConfig;
use crate::files::{self, FileError};

/// The facts about a certificate in place that the commands print and the state records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub serial: String,
    pub issuer: String,
    pub not_after: time::OffsetDateTime,
}

impl Leaf {
    /// Whole days until it expires (negative once it has).
    pub fn days_left(&self, now: time::OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }

    /// `2027-03-01 12:00:00 UTC`.
    pub fn expires(&self) -> String {
        let t = self.not_after;
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

/// The leaf of the certificate file at `path`, when there is one that parses.
pub fn leaf(path: &Path) -> Option<Leaf> {
    let pem = std::fs::read(path).ok()?;
    let der = CertificateDer::pem_slice_iter(&pem).next()?.ok()?;
    let (_, cert) = X509Certificate::from_der(&der).ok()?;
    Some(Leaf {
        serial: cert.raw_serial_as_string(),
        issuer: cert.issuer().to_string(),
        not_after: cert.validity().not_after.to_datetime(),
    })
}

/// How the challenge is answered: token files in the webroot, else the tool listens on
/// `http_port` on every interface (the CA connects from outside).
pub fn answer(acme: &AcmeConfig, base: &Path) -> Answer {
    match &acme.webroot {
        Some(webroot) => Answer::Webroot(base.join(webroot)),
        None => Answer::Listen(SocketAddr::from(([0, 0, 0, 0], acme.http_port))),
    }
}

/// One account per directory: `<account_dir>/<first 16 hex of sha256(directory URL)>.json`.
pub fn account_file(acme: &AcmeConfig, base: &Path, default_dir: &Path) -> PathBuf {
    let folder = acme
        .account_dir
        .as_ref()
        .map_or_else(|| default_dir.to_path_buf(), |d| base.join(d));
    let digest = sha2::Sha256::digest(acme.directory().as_bytes());
    let name = digest.iter().take(8).fold(String::new(), |mut name, b| {
        let _ = write!(name, "{b:02x}");
        name
    });
    folder.join(format!("{name}.json"))
}

/// Writes the new pair (key first, each atomically, the key mode 0600), after backing up a
/// different previous pair. Returns the backups (certificate, key).
pub fn install(
    cert_path: &Path,
    key_path: &Path,
    issued: &Issued,
) -> Result<Option<(PathBuf, PathBuf)>, FileError> {
    let previous = std::fs::read(cert_path).ok();
    let backup = match previous {
        Some(old) if old != issued.chain_pem.as_bytes() && key_path.exists() => {
            Some((files::back_up(cert_path)?, files::back_up(key_path)?))
        }
        _ => None,
    };
    for path in [cert_path, key_path] {
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            files::create_dir_all(folder)?;
        }
    }
    files::write_atomic(key_path, issued.key_pem.expose_secret().as_bytes())?;
    files::write_atomic(cert_path, issued.chain_pem.as_bytes())?;
    Ok(backup)
}

/// Runs the deploy hook with `sh -c`, in the config's folder, told where the new files are.
/// `Err` says how it failed.
pub fn run_hook(hook: &str, cert_path: &Path, key_path: &Path, base: &Path) -> Result<(), String> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(hook)
        .current_dir(if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base
        })
        .env("SRE_AGENT_DEPLOY_CERT", cert_path)
        .env("SRE_AGENT_DEPLOY_KEY", key_path)
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(status.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_account_file_per_directory() {
        let le = AcmeConfig::default();
        let staging = AcmeConfig {
            directory_url: "staging".into(),
            ..AcmeConfig::default()
        };
        let default = Path::new(".sre-agent-deploy/acme");
        let (a, b) = (
            account_file(&le, Path::new("."), default),
            account_file(&staging, Path::new("."), default),
        );
        assert_ne!(a, b);
        assert!(a.starts_with(default), "{}", a.display());
        let own = AcmeConfig {
            account_dir: Some("keys".into()),
            ..AcmeConfig::default()
        };
        assert!(account_file(&own, Path::new("/etc/sre"), default).starts_with("/etc/sre/keys"));
    }
}

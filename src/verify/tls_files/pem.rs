//! Reading the PEM files the TLS checks look at: a bounded read (a PEM file over 1 MiB is not a
//! certificate or a key), the certificates of a chain or bundle, and one private key. Errors are
//! sentences naming the file; turning them into checks is the caller's job. No verdicts here.

use std::io::Read;
use std::path::Path;

use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A PEM file bigger than this is not a certificate chain, bundle or key.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Reads `path`, refusing directories and files over [`MAX_PEM_BYTES`].
pub(crate) fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let metadata = file.metadata().map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !metadata.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    if metadata.len() > MAX_PEM_BYTES {
        return Err(format!(
            "{shown} is {} bytes, too large for a PEM certificate or key",
            metadata.len()
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    Ok(bytes)
}

/// Every `CERTIFICATE` block of a PEM file, in file order. Other blocks (keys) are ignored; a
/// file with no certificate, or with a broken block, is an error.
pub(crate) fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read_bounded(path)?;
    parse_certs(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The certificates of PEM text, in order (see [`read_certs`]).
pub(crate) fn parse_certs(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .enumerate()
        .map(|(i, c)| c.map_err(|e| format!("PEM block {} is broken: {}", i + 1, pem_error(&e))))
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(if has_private_key(bytes) {
            "holds a private key but no certificate (are the certificate and key paths swapped?)".into()
        } else {
            "holds no PEM certificate (no BEGIN CERTIFICATE block)".into()
        });
    }
    Ok(certs)
}

/// Why a key file gave no usable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    Read(String),
    Encrypted,
    Missing { holds_certificate: bool },
    Broken(String),
}

/// The first private key (PKCS#8, PKCS#1 RSA or SEC1 EC) of a PEM file.
pub(crate) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, KeyError> {
    let bytes = read_bounded(path).map_err(KeyError::Read)?;
    parse_key(&bytes)
}

/// The first private key of PEM text (see [`read_key`]).
pub(crate) fn parse_key(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, KeyError> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(KeyError::Encrypted);
    }
    match PrivateKeyDer::from_pem_slice(bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(KeyError::Missing {
            holds_certificate: text.contains("-----BEGIN CERTIFICATE-----"),
        }),
        Err(e) => Err(KeyError::Broken(pem_error(&e))),
    }
}

fn has_private_key(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes)
        .lines()
        .any(|l| l.starts_with("-----BEGIN") && l.contains("PRIVATE KEY-----"))
}

fn pem_error(e: &pem::Error) -> String {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a BEGIN line has no matching END line".into(),
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed".into(),
        pem::Error::Base64Decode(_) => "the base64 between BEGIN and END does not decode".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_certificate_and_swapped_files_are_told_apart() {
        let key = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        assert!(parse_certs(key).expect_err("no cert").contains("swapped"));
        assert!(
            parse_certs(b"hello")
                .expect_err("no cert")
                .contains("no PEM certificate")
        );
        let broken = b"-----BEGIN CERTIFICATE-----\nMIIB\n";
        assert!(parse_certs(broken).expect_err("broken").contains("block 1"));
    }

    #[test]
    fn encrypted_and_missing_keys() {
        let enc = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(parse_key(enc), Err(KeyError::Encrypted));
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(
            parse_key(cert),
            Err(KeyError::Missing {
                holds_certificate: true
            })
        );
    }

    #[test]
    fn directories_and_missing_files_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(read_bounded(dir.path()).expect_err("dir").contains("not a file"));
        assert!(
            read_bounded(&dir.path().join("nope.pem"))
                .expect_err("missing")
                .contains("nope.pem")
        );
    }
}

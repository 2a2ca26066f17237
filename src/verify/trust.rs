//! Trust anchors for verification: every certificate of `tls.ca_bundle_path` when it is set, or
//! else the system roots (rustls-native-certs, loaded once per process). One [`TrustRoots`]
//! serves both webpki (the file checks' chain validation) and rustls (the remote TLS checks).
//! This module only loads roots; it does not validate chains or decide what a failure means.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls_pki_types::{CertificateDer, TrustAnchor};

use super::check::{Check, Component, Status};
use super::tls_files::pem;
use crate::config::TlsConfig;

/// The field a trust-store failure is about.
const FIELD: &str = "tls.ca_bundle_path";

/// The roots a chain must lead to, and where they came from.
#[derive(Debug, Clone)]
pub struct TrustRoots {
    /// `ca_bundle_path /x/ca.pem (N)` or `system roots (N)`: for messages and details.
    pub source: String,
    /// Whether the roots are the config's own bundle (a private CA) rather than the system's.
    pub from_bundle: bool,
    store: Arc<RootCertStore>,
}

impl TrustRoots {
    fn new(source: String, from_bundle: bool, anchors: Vec<TrustAnchor<'static>>) -> Self {
        Self {
            source,
            from_bundle,
            store: Arc::new(RootCertStore { roots: anchors }),
        }
    }

    /// The roots as a rustls store (for a `ClientConfig`).
    pub fn rustls_store(&self) -> Arc<RootCertStore> {
        Arc::clone(&self.store)
    }

    /// The roots as webpki trust anchors.
    pub fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.store.roots
    }
}

/// The trust anchors for `tls`: the certificates of `tls.ca_bundle_path` (relative to
/// `base_dir`) when set, else the system roots. The error is a `chain` check of the TLS files
/// that fails on `tls.ca_bundle_path` with a fix; callers in another component may rename it.
#[allow(clippy::result_large_err)] // the error is the finding itself, made at most once per run
pub fn roots(tls: &TlsConfig, base_dir: &Path) -> Result<TrustRoots, Check> {
    match &tls.ca_bundle_path {
        Some(bundle) if !bundle.as_os_str().is_empty() => from_bundle(&base_dir.join(bundle)),
        _ => system().clone().map_err(|message| {
            fail("system roots", message).suggest(
                "install the CA certificates package (`apt-get install ca-certificates` or \
                 `apk add ca-certificates`), point SSL_CERT_FILE at a PEM bundle, or set tls.ca_bundle_path",
            )
        }),
    }
}

/// Every certificate of the PEM bundle at `path`, as trust anchors.
#[allow(clippy::result_large_err)] // as for `roots`
fn from_bundle(path: &Path) -> Result<TrustRoots, Check> {
    let shown = path.display().to_string();
    let certs = pem::read_certs(path).map_err(|message| {
        fail(&shown, message).suggest(
            "point tls.ca_bundle_path at a PEM file of CA certificates (relative paths are relative \
             to the config file's folder), or remove it to use the system roots",
        )
    })?;
    let anchors = to_anchors(&certs).map_err(|(i, e)| {
        fail(
            &shown,
            format!("certificate {} of {shown} cannot be a trust anchor: {e}", i + 1),
        )
        .suggest("keep only CA certificates in PEM form in the bundle")
    })?;
    let source = format!("ca_bundle_path {shown} ({})", anchors.len());
    Ok(TrustRoots::new(source, true, anchors))
}

/// The system roots, loaded once (reading the platform store takes tens of milliseconds).
fn system() -> &'static Result<TrustRoots, String> {
    static SYSTEM: OnceLock<Result<TrustRoots, String>> = OnceLock::new();
    SYSTEM.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        // A root that webpki cannot read is skipped, as rustls itself does.
        let anchors: Vec<_> = loaded
            .certs
            .iter()
            .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok().map(|a| a.to_owned()))
            .collect();
        if anchors.is_empty() {
            let why = loaded
                .errors
                .first()
                .map_or_else(|| "the system store is empty".to_string(), ToString::to_string);
            return Err(format!(
                "no trusted root certificates found on this machine ({why})"
            ));
        }
        Ok(TrustRoots::new(
            format!("system roots ({})", anchors.len()),
            false,
            anchors,
        ))
    })
}

/// The certificates as owned trust anchors, or the position and reason of the first that fails.
fn to_anchors(certs: &[CertificateDer<'_>]) -> Result<Vec<TrustAnchor<'static>>, (usize, String)> {
    certs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            webpki::anchor_from_trusted_cert(c)
                .map(|a| a.to_owned())
                .map_err(|e| (i, format!("{e:?}")))
        })
        .collect()
}

fn fail(subject: &str, message: impl Into<String>) -> Check {
    Check::new(Component::TlsFiles, "chain", subject, Status::Fail, message).field(FIELD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_with_bundle(bundle: &str) -> TlsConfig {
        TlsConfig {
            ca_bundle_path: Some(bundle.into()),
            ..TlsConfig::default()
        }
    }

    #[test]
    fn a_missing_bundle_fails_on_its_field() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = roots(&tls_with_bundle("nope.pem"), dir.path()).expect_err("missing");
        assert_eq!(err.field.as_deref(), Some(FIELD));
        assert_eq!(err.status, Status::Fail);
        assert!(err.message.contains("nope.pem"), "{}", err.message);
        assert!(err.suggestion.is_some());
    }

    #[test]
    fn a_bundle_without_certificates_fails() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ca.pem"), "not pem").expect("write");
        let err = roots(&tls_with_bundle("ca.pem"), dir.path()).expect_err("empty");
        assert!(err.message.contains("no PEM certificate"), "{}", err.message);
    }

    #[test]
    fn a_bundle_gives_one_anchor_per_certificate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut text = String::new();
        for name in ["one", "two"] {
            let key = rcgen::KeyPair::generate().expect("key");
            let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
            params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            params.distinguished_name.push(rcgen::DnType::CommonName, name);
            text.push_str(&params.self_signed(&key).expect("cert").pem());
        }
        std::fs::write(dir.path().join("ca.pem"), text).expect("write");
        let roots = roots(&tls_with_bundle("ca.pem"), dir.path()).expect("roots");
        assert_eq!(roots.anchors().len(), 2);
        assert_eq!(roots.rustls_store().roots.len(), 2);
        assert!(roots.from_bundle);
        assert!(roots.source.starts_with("ca_bundle_path "), "{}", roots.source);
        assert!(roots.source.ends_with("ca.pem (2)"), "{}", roots.source);
    }

    #[test]
    fn system_roots_load_once() {
        // Whatever the machine has, two calls give the same answer from the cache.
        let tls = TlsConfig::default();
        let first = roots(&tls, Path::new(".")).map(|r| r.source);
        let second = roots(&tls, Path::new(".")).map(|r| r.source);
        assert_eq!(first, second);
        if let Ok(source) = first {
            assert!(source.starts_with("system roots ("), "{source}");
        }
    }
}

//! The `tls` section: the backends' domain, certificate and key files, expiry thresholds and the
//! endpoints to probe. Here the files are checked for presence and PEM shape only; the deep
//! certificate checks belong to verification.

use std::io::Read;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::acme::AcmeConfig;
use super::{ValidationContext, require};
use crate::validate::{Finding, Problem, ValidationResult, rules};

/// A PEM file bigger than this is not a certificate chain or a key.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// TLS for the backend servers the gateway calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct TlsConfig {
    /// The DNS name the backends are served on; the certificate must cover it.
    pub domain_name: String,
    /// PEM certificate chain (leaf first). Relative paths are relative to the config file.
    pub ssl_cert_path: PathBuf,
    /// PEM private key of the leaf certificate.
    pub ssl_key_path: PathBuf,
    /// PEM bundle of CAs to trust instead of the system roots.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_bundle_path: Option<PathBuf>,
    /// Warn when the certificate expires within this many days.
    pub warn_days: i64,
    /// Fail when the certificate expires within this many days.
    pub fail_days: i64,
    /// Extra `host:port` endpoints to check over TLS.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// Get the certificate from an ACME CA (Let's Encrypt by default) instead of bringing it:
    /// `sre-agent-deploy certificate issue` and `certificate renew`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acme: Option<AcmeConfig>,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            domain_name: String::new(),
            ssl_cert_path: PathBuf::new(),
            ssl_key_path: PathBuf::new(),
            ca_bundle_path: None,
            warn_days: 30,
            fail_days: 7,
            endpoints: Vec::new(),
            acme: None,
        }
    }
}

/// What a PEM file is expected to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PemKind {
    Certificate,
    PrivateKey,
}

impl TlsConfig {
    pub fn validate(&self, ctx: &ValidationContext<'_>) -> ValidationResult {
        let mut result = ValidationResult::new();
        if require(&mut result, "tls.domain_name", &self.domain_name)
            && let Err(p) = rules::dns_name(&self.domain_name)
        {
            result.push(p.error_at("tls.domain_name"));
        }
        let files = [
            (
                "tls.ssl_cert_path",
                Some(&self.ssl_cert_path),
                PemKind::Certificate,
            ),
            ("tls.ssl_key_path", Some(&self.ssl_key_path), PemKind::PrivateKey),
            (
                "tls.ca_bundle_path",
                self.ca_bundle_path.as_ref(),
                PemKind::Certificate,
            ),
        ];
        for (field, path, kind) in files {
            let Some(path) = path else { continue };
            if !require(&mut result, field, &path.to_string_lossy()) {
                continue;
            }
            let full = ctx.base_dir.join(path);
            // With tls.acme, the certificate and key are the tool's to get: not there yet is fine.
            if self.acme.is_some() && field != "tls.ca_bundle_path" && !full.exists() {
                result.push(
                    Finding::warning(field, format!("{} is not there yet", path.display()))
                        .suggest("`sre-agent-deploy certificate issue` gets it from the ACME CA (tls.acme)"),
                );
                continue;
            }
            if let Err(p) = check_pem(&full, kind) {
                result.push(p.error_at(field));
            }
        }
        if self.fail_days < 0 {
            result.push(
                Finding::error(
                    "tls.fail_days",
                    format!("fail_days is {}; it cannot be negative", self.fail_days),
                )
                .suggest("use 7 (the default)"),
            );
        } else if self.warn_days <= self.fail_days {
            result.push(
                Finding::error(
                    "tls.warn_days",
                    format!(
                        "warn_days ({}) must be greater than fail_days ({}), or the warning never shows",
                        self.warn_days, self.fail_days
                    ),
                )
                .suggest(format!("use warn_days: {}", (self.fail_days + 23).max(30))),
            );
        }
        if let Some(acme) = &self.acme {
            result.extend(acme.validate(ctx, self.warn_days));
        }
        for (i, endpoint) in self.endpoints.iter().enumerate() {
            if let Err(p) = rules::host_port(endpoint) {
                result.push(p.error_at(format!("tls.endpoints[{i}]")));
            } else if self.endpoints[..i].contains(endpoint) {
                result.push(Finding::warning(
                    format!("tls.endpoints[{i}]"),
                    format!("\"{endpoint}\" is listed twice"),
                ));
            }
        }
        result
    }
}

/// Checks that `path` is a readable file holding a PEM block of the expected kind, and says when
/// the file holds the other kind (certificate and key paths swapped).
fn check_pem(path: &Path, kind: PemKind) -> Result<(), Problem> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| {
        Problem::new(format!("cannot read {shown}: {e}"))
            .suggest("check the path; relative paths are relative to the config file's folder")
    })?;
    if !metadata.is_file() {
        return Err(Problem::new(format!("{shown} is not a file")));
    }
    if metadata.len() > MAX_PEM_BYTES {
        return Err(Problem::new(format!(
            "{shown} is {} bytes, too large for a PEM certificate or key",
            metadata.len()
        )));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| {
            Problem::new(format!("cannot read {shown}: {e}")).suggest("check the file's permissions")
        })?;
    let has_cert = text.contains("-----BEGIN CERTIFICATE-----");
    let has_key = text
        .lines()
        .any(|l| l.starts_with("-----BEGIN") && l.contains("PRIVATE KEY-----"));
    match kind {
        PemKind::Certificate if has_cert => Ok(()),
        PemKind::PrivateKey if has_key => Ok(()),
        PemKind::Certificate if has_key => Err(Problem::new(format!(
            "{shown} holds a private key, not a certificate"
        ))
        .suggest("the certificate and key paths look swapped")),
        PemKind::PrivateKey if has_cert => Err(Problem::new(format!(
            "{shown} holds a certificate, not a private key"
        ))
        .suggest("the certificate and key paths look swapped")),
        PemKind::Certificate => Err(Problem::new(format!(
            "{shown} does not look like a PEM certificate (no BEGIN CERTIFICATE block)"
        ))
        .suggest("convert DER with `openssl x509 -inform der -in cert.der -out cert.pem`")),
        PemKind::PrivateKey => Err(Problem::new(format!(
            "{shown} does not look like a PEM private key (no BEGIN ... PRIVATE KEY block)"
        ))
        .suggest("convert DER with `openssl pkey -inform der -in key.der -out key.pem`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_support::{ctx_in, fields};

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

    fn setup() -> (tempfile::TempDir, TlsConfig) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("cert.pem"), CERT).expect("write");
        std::fs::write(dir.path().join("key.pem"), KEY).expect("write");
        let tls = TlsConfig {
            domain_name: "backend.corp.internal".into(),
            ssl_cert_path: "cert.pem".into(),
            ssl_key_path: "key.pem".into(),
            ..TlsConfig::default()
        };
        (dir, tls)
    }

    #[test]
    fn valid_section_is_clean() {
        let (dir, tls) = setup();
        assert_eq!(tls.validate(&ctx_in(dir.path())).findings, vec![]);
    }

    #[test]
    fn missing_files_are_errors_naming_the_path() {
        let (dir, mut tls) = setup();
        tls.ssl_cert_path = "nope.pem".into();
        let result = tls.validate(&ctx_in(dir.path()));
        assert_eq!(fields(&result), ["tls.ssl_cert_path"]);
        assert!(result.findings[0].message.contains("nope.pem"));
    }

    #[test]
    fn swapped_paths_are_detected() {
        let (dir, mut tls) = setup();
        std::mem::swap(&mut tls.ssl_cert_path, &mut tls.ssl_key_path);
        let result = tls.validate(&ctx_in(dir.path()));
        assert_eq!(fields(&result), ["tls.ssl_cert_path", "tls.ssl_key_path"]);
        assert!(
            result
                .findings
                .iter()
                .all(|f| f.suggestion.as_deref().is_some_and(|s| s.contains("swapped")))
        );
    }

    #[test]
    fn non_pem_files_are_errors() {
        let (dir, tls) = setup();
        std::fs::write(dir.path().join("cert.pem"), [0x30u8, 0x82, 0x01]).expect("write");
        assert_eq!(fields(&tls.validate(&ctx_in(dir.path()))), ["tls.ssl_cert_path"]);
    }

    #[test]
    fn day_thresholds() {
        let (dir, mut tls) = setup();
        tls.warn_days = 7;
        assert_eq!(fields(&tls.validate(&ctx_in(dir.path()))), ["tls.warn_days"]);
        tls.fail_days = -1;
        assert_eq!(fields(&tls.validate(&ctx_in(dir.path()))), ["tls.fail_days"]);
        tls.warn_days = 1;
        tls.fail_days = 0;
        assert_eq!(tls.validate(&ctx_in(dir.path())).findings, vec![]);
    }

    #[test]
    fn domain_and_endpoints() {
        let (dir, mut tls) = setup();
        tls.domain_name = "bad_domain.corp".into();
        tls.endpoints = vec![
            "backend.corp.internal:8011".into(),
            "nope".into(),
            "backend.corp.internal:8011".into(),
        ];
        let result = tls.validate(&ctx_in(dir.path()));
        assert_eq!(
            fields(&result),
            ["tls.domain_name", "tls.endpoints[1]", "tls.endpoints[2]"]
        );
    }

    #[test]
    fn directories_are_not_files() {
        let (dir, mut tls) = setup();
        tls.ssl_key_path = ".".into();
        assert_eq!(fields(&tls.validate(&ctx_in(dir.path()))), ["tls.ssl_key_path"]);
    }
}

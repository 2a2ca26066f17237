//! The TLS certificate file checks: `parse`, `key`, `expiry`, `name`, `chain`, `strength` and
//! `permissions`, each a [`Check`] of [`Component::TlsFiles`] on the config field it is about.
//! Passing checks are returned too. Each defect is reported once, by the check it belongs to: an
//! expired certificate fails `expiry` only (the chain is validated at a moment inside the leaf's
//! validity), a wrong name fails `name` only, a SHA-1 signature fails `strength` and the chain
//! check skips rather than fails. This module reads files; it does not write or print.
//!
//! Weak material (`strength`), decided here: an RSA key under 2048 bits and a SHA-1 signature on
//! the leaf or an intermediate are errors, because rustls and webpki (the gateway's and this
//! tool's TLS stack) refuse both, as browsers do; a key type other than RSA, ECDSA and Ed25519
//! is a warning. A self-signed root's own signature is never checked by clients, so SHA-1 there
//! is fine.

mod chain;
pub mod inventory;
mod key;
pub(crate) mod pem;
mod strength;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;

use super::certinfo::{self, CertSummary, NameMatch};
use super::check::{Check, Component, Status};
use crate::config::TlsConfig;

const CERT_FIELD: &str = "tls.ssl_cert_path";
const KEY_FIELD: &str = "tls.ssl_key_path";
const DOMAIN_FIELD: &str = "tls.domain_name";

/// The certificates of the chain file, parsed, with the one that is the server's.
pub(crate) struct Chain {
    pub ders: Vec<CertificateDer<'static>>,
    pub summaries: Vec<CertSummary>,
    /// The server certificate: the first one, unless the file starts with CA certificates and
    /// holds a non-CA one later (an ordering mistake that `chain` reports on its own).
    pub leaf: usize,
}

impl Chain {
    fn parse(ders: Vec<CertificateDer<'static>>) -> Result<Self, String> {
        if ders.is_empty() {
            return Err("holds no certificate".into());
        }
        let summaries = ders
            .iter()
            .enumerate()
            .map(|(i, d)| CertSummary::from_der(d).map_err(|e| format!("certificate {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let leaf = match summaries.first() {
            Some(first) if first.is_ca => summaries.iter().position(|s| !s.is_ca).unwrap_or(0),
            _ => 0,
        };
        Ok(Self {
            ders,
            summaries,
            leaf,
        })
    }

    pub fn leaf(&self) -> &CertSummary {
        &self.summaries[self.leaf]
    }
}

/// Runs every TLS file check for `tls` (paths relative to `base_dir`) at `now`.
pub fn check_files(tls: &TlsConfig, base_dir: &Path, now: OffsetDateTime) -> Vec<Check> {
    let cert_path = resolve(base_dir, &tls.ssl_cert_path);
    let key_path = resolve(base_dir, &tls.ssl_key_path);
    let cert_shown = cert_path.display().to_string();
    let key_shown = key_path.display().to_string();
    let mut checks = Vec::with_capacity(7);

    let started = Instant::now();
    let parsed = if tls.ssl_cert_path.as_os_str().is_empty() {
        Err("tls.ssl_cert_path is not set".to_string())
    } else {
        pem::read_certs(&cert_path).and_then(Chain::parse)
    };
    checks.push(parse_check(&parsed, &cert_shown).timed(started.elapsed()));

    let started = Instant::now();
    let key = key::load(tls, &key_path, &key_shown);
    let key_loading = started.elapsed();
    let Ok(chain) = parsed else {
        let why = "not checked: the certificate file did not parse (see `parse`)";
        checks.push(key.err().map_or_else(
            || skip("key", &key_shown, KEY_FIELD, why),
            |c| c.timed(key_loading),
        ));
        for (name, field) in [
            ("expiry", CERT_FIELD),
            ("name", DOMAIN_FIELD),
            ("chain", CERT_FIELD),
            ("strength", CERT_FIELD),
        ] {
            checks.push(skip(name, &cert_shown, field, why));
        }
        checks.push(timed(|| key::permissions(&key_path, &key_shown)));
        return checks;
    };

    let started = Instant::now();
    let key_check = match key {
        Ok(key) => key::matches(&key, &chain, &key_shown),
        Err(check) => check,
    };
    checks.push(key_check.timed(key_loading + started.elapsed()));
    checks.push(timed(|| expiry_check(&chain, tls, &cert_shown, now)));
    checks.push(timed(|| name_check(chain.leaf(), &tls.domain_name)));
    let strength = timed(|| strength::check(&chain, &cert_shown));
    let weak = strength.status != Status::Pass;
    checks.push(timed(|| {
        chain::check(&chain, tls, base_dir, &cert_shown, now, weak)
    }));
    checks.push(strength);
    checks.push(timed(|| key::permissions(&key_path, &key_shown)));
    checks
}

/// Runs one check and records how long it took.
fn timed(run: impl FnOnce() -> Check) -> Check {
    let started = Instant::now();
    let check = run();
    check.timed(started.elapsed())
}

fn resolve(base_dir: &Path, path: &Path) -> PathBuf {
    if path.as_os_str().is_empty() {
        PathBuf::new()
    } else {
        base_dir.join(path)
    }
}

fn skip(name: &str, subject: &str, field: &str, why: &str) -> Check {
    Check::new(Component::TlsFiles, name, subject, Status::Skip, why).field(field)
}

fn parse_check(parsed: &Result<Chain, String>, shown: &str) -> Check {
    match parsed {
        Ok(chain) => {
            let subjects: Vec<_> = chain.summaries.iter().map(|s| s.subject.clone()).collect();
            Check::new(
                Component::TlsFiles,
                "parse",
                shown,
                Status::Pass,
                format!(
                    "{} certificate(s); server certificate {}",
                    subjects.len(),
                    chain.leaf().subject
                ),
            )
            .detail("certificates", subjects.len())
            .detail("subjects", subjects)
        }
        Err(message) => Check::new(Component::TlsFiles, "parse", shown, Status::Fail, message.clone())
            .suggest(
                "point tls.ssl_cert_path at the PEM certificate chain (server certificate first, then \
                 its intermediates; certbot: fullchain.pem); convert DER with \
                 `openssl x509 -inform der -in cert.der -out cert.pem`",
            ),
    }
    .field(CERT_FIELD)
}

fn expiry_check(chain: &Chain, tls: &TlsConfig, shown: &str, now: OffsetDateTime) -> Check {
    let leaf = chain.leaf();
    let (status, message, suggestion) =
        certinfo::validity(leaf, &tls.domain_name, tls.warn_days, tls.fail_days, now);
    let check = Check::new(Component::TlsFiles, "expiry", shown, status, message)
        .field(CERT_FIELD)
        .detail("days_left", leaf.days_left(now))
        .detail("not_before", certinfo::utc(leaf.not_before))
        .detail("not_after", certinfo::utc(leaf.not_after));
    match suggestion {
        Some(s) => check.suggest(s),
        None => check,
    }
}

fn name_check(leaf: &CertSummary, domain: &str) -> Check {
    let make = |status, message: String| {
        Check::new(Component::TlsFiles, "name", domain, status, message).field(DOMAIN_FIELD)
    };
    if domain.is_empty() {
        return make(Status::Skip, "not checked: tls.domain_name is not set".into());
    }
    match leaf.name_match(domain) {
        NameMatch::Covered => make(
            Status::Pass,
            format!("the certificate covers {domain} ({})", leaf.dns_names.join(", ")),
        )
        .detail("names", leaf.dns_names.clone()),
        NameMatch::NotCovered(names) => make(
            Status::Fail,
            format!(
                "the certificate is for {} and does not cover {domain}",
                names.join(", ")
            ),
        )
        .suggest(format!(
            "re-issue the certificate with {domain} in its subject alternative names (a wildcard \
             covers one label only: *.example.com covers a.example.com, not example.com or a.b.example.com), \
             or correct tls.domain_name"
        ))
        .detail("names", names),
        NameMatch::CommonNameOnly(cns) => make(
            Status::Fail,
            format!(
                "the certificate has no subject alternative names, only the common name {}; TLS \
                 clients (rustls, browsers, and the gateway) ignore the common name since RFC 6125 \
                 and the CA/Browser Forum rules, so it covers no host at all",
                if cns.is_empty() {
                    "(none)".to_string()
                } else {
                    cns.join(", ")
                }
            ),
        )
        .suggest(format!(
            "re-issue the certificate with a subject alternative name: `certbot certonly -d {domain}` \
             or `openssl req ... -addext \"subjectAltName=DNS:{domain}\"`"
        ))
        .detail("common_names", cns),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    /// A CA certificate named `name`, signed by `issuer` (self-signed without one), and its issuer handle.
    pub(crate) fn ca(
        name: &str,
        issuer: Option<&Issuer<'static, KeyPair>>,
    ) -> (CertificateDer<'static>, Issuer<'static, KeyPair>) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = match issuer {
            Some(issuer) => params.signed_by(&key, issuer),
            None => params.self_signed(&key),
        }
        .expect("cert");
        (cert.der().clone(), Issuer::new(params, key))
    }

    /// A server certificate for `name` signed by `issuer`.
    pub(crate) fn leaf(name: &str, issuer: &Issuer<'static, KeyPair>) -> CertificateDer<'static> {
        let key = KeyPair::generate().expect("key");
        let params = CertificateParams::new(vec![name.to_string()]).expect("params");
        params.signed_by(&key, issuer).expect("cert").der().clone()
    }

    #[test]
    fn the_leaf_is_the_first_non_ca_certificate() {
        let (root, root_issuer) = ca("root", None);
        let server = leaf("a.example.com", &root_issuer);
        assert_eq!(
            Chain::parse(vec![server.clone(), root.clone()])
                .expect("parses")
                .leaf,
            0
        );
        assert_eq!(Chain::parse(vec![root.clone(), server]).expect("parses").leaf, 1);
        assert_eq!(
            Chain::parse(vec![root]).expect("parses").leaf,
            0,
            "a lone CA stays the leaf"
        );
        assert!(Chain::parse(Vec::new()).is_err());
    }

    #[test]
    fn without_a_domain_the_name_check_skips() {
        let (_, root_issuer) = ca("root", None);
        let chain = Chain::parse(vec![leaf("a.example.com", &root_issuer)]).expect("parses");
        let check = name_check(chain.leaf(), "");
        assert_eq!(check.status, Status::Skip);
        assert_eq!(name_check(chain.leaf(), "A.example.com").status, Status::Pass);
        assert_eq!(name_check(chain.leaf(), "example.com").status, Status::Fail);
    }

    #[test]
    fn unset_paths_fail_parse_and_key_and_skip_the_rest() {
        let checks = check_files(&TlsConfig::default(), Path::new("."), OffsetDateTime::now_utc());
        let statuses: Vec<_> = checks.iter().map(|c| (c.name.as_str(), c.status)).collect();
        assert_eq!(
            statuses,
            [
                ("parse", Status::Fail),
                ("key", Status::Fail),
                ("expiry", Status::Skip),
                ("name", Status::Skip),
                ("chain", Status::Skip),
                ("strength", Status::Skip),
                ("permissions", Status::Skip),
            ]
        );
        assert!(checks[0].message.contains("not set"), "{}", checks[0].message);
    }
}

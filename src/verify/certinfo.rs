//! What a certificate says, read with x509-parser into a plain summary (names, validity, key,
//! signature), and the validity verdict shared by the file checks and the remote checks. No I/O.

use std::net::IpAddr;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::check::Status;
use super::names;

/// The facts about one certificate that the checks look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    pub common_names: Vec<String>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Subject and issuer are the same name.
    pub self_issued: bool,
    pub is_ca: bool,
    /// The signature algorithm, such as `sha256WithRSAEncryption` or `ecdsa-with-SHA256`.
    pub signature_algorithm: String,
    /// The certificate is signed with SHA-1.
    pub sha1_signature: bool,
    /// `RSA`, `EC` or `Ed25519` (or the OID for others).
    pub key_algorithm: String,
    pub key_bits: usize,
    pub subject_raw: Vec<u8>,
    pub issuer_raw: Vec<u8>,
    /// The serial number in decimal (as the x509-certificate-exporter labels it).
    pub serial: String,
}

/// How a certificate's names relate to a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    Covered,
    /// The SANs don't cover the host; these are the names it does have.
    NotCovered(Vec<String>),
    /// No SAN at all; the host only appears (or not) in the subject CN, which clients ignore.
    CommonNameOnly(Vec<String>),
}

impl CertSummary {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(n) => dns_names.push((*n).to_string()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            ip_addresses.push(ip);
                        }
                    }
                    _ => {}
                }
            }
        }
        let common_names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok().map(str::to_string))
            .collect();
        let signature_oid = &cert.signature_algorithm.algorithm;
        let signature_algorithm =
            x509_parser::objects::oid2sn(signature_oid, x509_parser::objects::oid_registry())
                .map_or_else(|_| signature_oid.to_id_string(), str::to_string);
        let sha1_signature = signature_algorithm.to_ascii_lowercase().contains("sha1");
        let (key_algorithm, key_bits) = match cert.public_key().parsed() {
            Ok(PublicKey::RSA(rsa)) => ("RSA".to_string(), rsa.key_size()),
            Ok(PublicKey::EC(ec)) => ("EC".to_string(), ec.key_size()),
            Ok(_) if cert.public_key().algorithm.algorithm.to_id_string() == "1.3.101.112" => {
                ("Ed25519".to_string(), 256)
            }
            _ => (cert.public_key().algorithm.algorithm.to_id_string(), 0),
        };
        Ok(Self {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            common_names,
            dns_names,
            ip_addresses,
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            is_ca: cert.is_ca(),
            signature_algorithm,
            sha1_signature,
            key_algorithm,
            key_bits,
            subject_raw: cert.subject().as_raw().to_vec(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
            serial: cert.serial.to_string(),
        })
    }

    /// Whole days until `not_after` (negative once expired).
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }

    /// Whether the certificate's SANs cover `host` (RFC 6125).
    pub fn name_match(&self, host: &str) -> NameMatch {
        if self.dns_names.is_empty() && self.ip_addresses.is_empty() {
            return NameMatch::CommonNameOnly(self.common_names.clone());
        }
        if names::any_covers(&self.dns_names, &self.ip_addresses, host) {
            NameMatch::Covered
        } else {
            let mut all = self.dns_names.clone();
            all.extend(self.ip_addresses.iter().map(ToString::to_string));
            NameMatch::NotCovered(all)
        }
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// A timestamp in UTC, as the report prints it (`2026-12-01T09:30:00Z`).
pub fn utc(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// The verdict on a certificate's validity window at `now`: expired or not yet valid fail; fewer
/// than `fail_days` left fails; fewer than `warn_days` left warns. The message names the exact
/// expiry in UTC; the suggestion gives the renewal commands for the common cases.
pub fn validity(
    cert: &CertSummary,
    domain: &str,
    warn_days: i64,
    fail_days: i64,
    now: OffsetDateTime,
) -> (Status, String, Option<String>) {
    let expires = utc(cert.not_after);
    let days = cert.days_left(now);
    if now < cert.not_before {
        return (
            Status::Fail,
            format!(
                "not valid until {} (check this machine's clock, or wait)",
                utc(cert.not_before)
            ),
            Some(
                "if the clock is right, the certificate was issued with a future start date; re-issue it"
                    .into(),
            ),
        );
    }
    if now >= cert.not_after {
        return (
            Status::Fail,
            format!(
                "expired at {expires} ({} days ago)",
                (now - cert.not_after).whole_days()
            ),
            Some(renewal(domain)),
        );
    }
    if days < fail_days {
        return (
            Status::Fail,
            format!("expires at {expires}, in {days} days (under tls.fail_days = {fail_days})"),
            Some(renewal(domain)),
        );
    }
    if days < warn_days {
        return (
            Status::Warn,
            format!("expires at {expires}, in {days} days (under tls.warn_days = {warn_days})"),
            Some(renewal(domain)),
        );
    }
    (
        Status::Pass,
        format!("valid until {expires} ({days} days left)"),
        None,
    )
}

/// The renewal commands for the common cases.
pub fn renewal(domain: &str) -> String {
    format!(
        "renew it: `certbot renew --cert-name {domain}` (Let's Encrypt), or for ACM re-import: \
         `aws acm import-certificate --certificate-arn <arn> --certificate fileb://cert.pem \
         --private-key fileb://key.pem --certificate-chain fileb://chain.pem`"
    )
}

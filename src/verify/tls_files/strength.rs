//! `strength`: weak material in the chain file. Errors: an RSA key under 2048 bits on any
//! certificate the client checks, and a SHA-1 signature on the leaf or an intermediate (rustls,
//! webpki and browsers refuse both). A warning: a key type other than RSA, ECDSA and Ed25519.
//! A self-signed root's own signature is never verified by clients, so it is not judged.

use super::{CERT_FIELD, Chain};
use crate::verify::certinfo::CertSummary;
use crate::verify::check::{Check, Component, Status};

/// The smallest RSA modulus rustls and webpki accept.
const MIN_RSA_BITS: usize = 2048;

/// One problem found on one certificate.
struct Weakness {
    status: Status,
    text: String,
}

/// `strength` over every certificate of the chain file.
pub(super) fn check(chain: &Chain, shown: &str) -> Check {
    let leaf = chain.leaf();
    let mut found = Vec::new();
    for (i, cert) in chain.summaries.iter().enumerate() {
        let role = if i == chain.leaf {
            "the server certificate".to_string()
        } else {
            format!("certificate {}", i + 1)
        };
        weaknesses(cert, &role, &mut found);
    }
    let worst = found.iter().map(|w| w.status).max().unwrap_or(Status::Pass);
    let check = if found.is_empty() {
        Check::new(
            Component::TlsFiles,
            "strength",
            shown,
            Status::Pass,
            format!(
                "{} {}-bit key, signed with {}",
                leaf.key_algorithm, leaf.key_bits, leaf.signature_algorithm
            ),
        )
    } else {
        let texts: Vec<_> = found.iter().map(|w| w.text.as_str()).collect();
        Check::new(Component::TlsFiles, "strength", shown, worst, texts.join("; ")).suggest(
            "re-issue the certificate with an ECDSA P-256 key or an RSA key of 2048 bits or more, \
             signed with SHA-256 (every public CA does this today): `certbot certonly --key-type ecdsa -d <domain>`",
        )
    };
    check
        .field(CERT_FIELD)
        .detail("key_algorithm", leaf.key_algorithm.clone())
        .detail("key_bits", leaf.key_bits)
        .detail("signature_algorithm", leaf.signature_algorithm.clone())
}

fn weaknesses(cert: &CertSummary, role: &str, found: &mut Vec<Weakness>) {
    match cert.key_algorithm.as_str() {
        "RSA" if cert.key_bits < MIN_RSA_BITS => found.push(Weakness {
            status: Status::Fail,
            text: format!(
                "{role} ({}) has a {}-bit RSA key; TLS clients require at least {MIN_RSA_BITS} bits",
                cert.subject, cert.key_bits
            ),
        }),
        "RSA" | "EC" | "Ed25519" => {}
        other => found.push(Weakness {
            status: Status::Warn,
            text: format!(
                "{role} ({}) has an unusual key type ({other}); clients may not support it",
                cert.subject
            ),
        }),
    }
    if cert.sha1_signature && !cert.self_issued {
        found.push(Weakness {
            status: Status::Fail,
            text: format!(
                "{role} ({}) is signed with SHA-1 ({}), which TLS clients reject",
                cert.subject, cert.signature_algorithm
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::tls_files::tests::{ca, leaf};

    fn summary() -> CertSummary {
        let (_, root) = ca("root", None);
        CertSummary::from_der(&leaf("a.example.com", &root)).expect("parses")
    }

    fn statuses(cert: &CertSummary) -> Vec<Status> {
        let mut found = Vec::new();
        weaknesses(cert, "the server certificate", &mut found);
        found.into_iter().map(|w| w.status).collect()
    }

    #[test]
    fn weak_rsa_and_sha1_fail_and_odd_keys_warn() {
        let mut cert = summary();
        assert_eq!(statuses(&cert), []);
        cert.key_algorithm = "RSA".into();
        cert.key_bits = 2048;
        assert_eq!(statuses(&cert), []);
        cert.key_bits = 1024;
        assert_eq!(statuses(&cert), [Status::Fail]);
        cert.key_algorithm = "1.2.840.10040.4.1".into(); // DSA
        assert_eq!(statuses(&cert), [Status::Warn]);
        cert.key_algorithm = "EC".into();
        cert.sha1_signature = true;
        assert_eq!(statuses(&cert), [Status::Fail]);
        cert.self_issued = true;
        assert_eq!(statuses(&cert), [], "a root's own signature is not judged");
    }
}

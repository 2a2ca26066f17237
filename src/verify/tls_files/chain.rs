//! `chain`: the chain file's order and issuer links, and validation to the trust roots with
//! webpki (server-auth usage). The chain is validated at a moment inside the server
//! certificate's own validity, so an expired or not-yet-valid leaf is `expiry`'s finding only; an
//! algorithm webpki refuses is `strength`'s finding when `strength` found weak material.
//! A self-signed leaf fails with guidance: the gateway only calls publicly trusted backends.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use time::OffsetDateTime;
use webpki::{EndEntityCert, KeyUsage};

use super::{CERT_FIELD, Chain};
use crate::config::TlsConfig;
use crate::verify::certinfo::utc;
use crate::verify::check::{Check, Component, Status};
use crate::verify::trust::{self, TrustRoots};

/// How to build a chain file, for every ordering finding.
const ORDER_FIX: &str = "put the server certificate first, then each certificate's issuer in turn \
     (the root may be left out): `cat leaf.pem intermediate.pem > fullchain.pem` (certbot's fullchain.pem \
     is already in this order)";

/// `chain` for the parsed chain file. `weak` says that `strength` already failed, so that an
/// algorithm webpki refuses is not reported twice.
pub(super) fn check(
    chain: &Chain,
    tls: &TlsConfig,
    base_dir: &Path,
    shown: &str,
    now: OffsetDateTime,
    weak: bool,
) -> Check {
    let make = |status, message: String| {
        Check::new(Component::TlsFiles, "chain", shown, status, message).field(CERT_FIELD)
    };
    let leaf = chain.leaf();
    if leaf.self_issued {
        return make(
            Status::Fail,
            format!(
                "the server certificate is self-signed ({}); the AgentCore gateway only calls HTTPS \
                 backends whose certificate chains to a publicly trusted CA, so it would refuse this backend",
                leaf.subject
            ),
        )
        .suggest(format!(
            "use a certificate from a public CA: Let's Encrypt (`certbot certonly -d {domain}`) or an \
             ACM-issued certificate exported to the backend. A private CA (its certificate in \
             tls.ca_bundle_path, serving a certificate it issued) passes these local checks but not the gateway",
            domain = if tls.domain_name.is_empty() { "<domain>" } else { &tls.domain_name }
        ));
    }
    if let Some(problem) = order_problem(chain) {
        return make(Status::Fail, problem).suggest(ORDER_FIX);
    }
    let roots = match trust::roots(tls, base_dir) {
        Ok(roots) => roots,
        Err(check) => return check,
    };
    // Inside the leaf's own window, so that its expiry is not reported here as well.
    let at = if leaf.not_before <= leaf.not_after {
        now.clamp(leaf.not_before, leaf.not_after)
    } else {
        now
    };
    let outcome = validate(chain, &roots, at);
    let check = match outcome {
        Ok(intermediates) => {
            let mut message = format!(
                "chains to {} through {intermediates} intermediate(s), trusted by {}",
                anchor_name(chain),
                roots.source
            );
            if roots.from_bundle {
                message.push_str(" (a private CA; the gateway itself trusts only public CAs)");
            }
            if at != now {
                let _ = write!(
                    message,
                    "; validated at {} (the expiry is a finding of its own)",
                    utc(at)
                );
            }
            make(Status::Pass, message).detail("intermediates", intermediates)
        }
        Err(e) => explain(&e, chain, &roots, at, weak, make),
    };
    check.detail("trust", roots.source.clone())
}

/// Validates the leaf with the file's other certificates as intermediates; the number of
/// intermediates on the path found.
fn validate(chain: &Chain, roots: &TrustRoots, at: OffsetDateTime) -> Result<usize, webpki::Error> {
    let leaf = EndEntityCert::try_from(&chain.ders[chain.leaf])?;
    let intermediates: Vec<CertificateDer<'_>> = chain
        .ders
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != chain.leaf)
        .map(|(_, d)| CertificateDer::from(d.as_ref()))
        .collect();
    let seconds = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    let path = leaf.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        roots.anchors(),
        &intermediates,
        UnixTime::since_unix_epoch(Duration::from_secs(seconds)),
        KeyUsage::server_auth(),
        None,
        None,
    )?;
    Ok(path.intermediate_certificates().count())
}

/// A webpki failure as a finding.
fn explain(
    e: &webpki::Error,
    chain: &Chain,
    roots: &TrustRoots,
    at: OffsetDateTime,
    weak: bool,
    make: impl Fn(Status, String) -> Check,
) -> Check {
    use webpki::Error as E;
    match e {
        E::UnknownIssuer => unknown_issuer(chain, roots, make),
        E::CertExpired { .. } | E::CertNotValidYet { .. } => {
            let outside = chain
                .summaries
                .iter()
                .enumerate()
                .find(|(i, s)| *i != chain.leaf && (at < s.not_before || at > s.not_after));
            let message = match outside {
                Some((i, s)) if at > s.not_after => {
                    format!(
                        "certificate {} ({}) in the chain expired at {}",
                        i + 1,
                        s.subject,
                        utc(s.not_after)
                    )
                }
                Some((i, s)) => format!(
                    "certificate {} ({}) in the chain is not valid until {}",
                    i + 1,
                    s.subject,
                    utc(s.not_before)
                ),
                None => format!(
                    "a trusted root in {} is outside its validity at {}",
                    roots.source,
                    utc(at)
                ),
            };
            make(Status::Fail, message)
                .suggest("download your CA's current intermediate certificate and rebuild the chain file")
        }
        #[allow(deprecated)]
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            if weak =>
        {
            make(
                Status::Skip,
                "not validated: TLS clients refuse the chain's weak signature or key, reported by `strength`"
                    .into(),
            )
        }
        E::InvalidSignatureForPublicKey => make(
            Status::Fail,
            "a signature in the chain does not verify: the certificates do not belong together".into(),
        )
        .suggest(ORDER_FIX),
        #[allow(deprecated)]
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => make(
            Status::Fail,
            "the certificate's extended key usage does not include TLS server authentication (serverAuth)"
                .into(),
        )
        .suggest("re-issue the certificate for TLS servers (extendedKeyUsage = serverAuth)"),
        E::CaUsedAsEndEntity => make(
            Status::Fail,
            "the server certificate is a CA certificate (basicConstraints CA:TRUE), not a server certificate"
                .into(),
        )
        .suggest(
            "point tls.ssl_cert_path at the certificate issued for the domain, followed by its intermediates",
        ),
        other => make(Status::Fail, format!("the chain does not validate: {other:?}"))
            .suggest("rebuild the chain file from your CA's files"),
    }
}

/// The issuer webpki could not find: the issuer of the last certificate reached by following
/// issuer links from the leaf through the file.
fn unknown_issuer(chain: &Chain, roots: &TrustRoots, make: impl Fn(Status, String) -> Check) -> Check {
    let walk = issuer_walk(chain);
    let top = &chain.summaries[walk.last().copied().unwrap_or(chain.leaf)];
    let message = format!(
        "the chain does not lead to a trusted root: {} (issuer of {}) is neither in the chain file nor \
         among the trusted roots ({})",
        top.issuer, top.subject, roots.source
    );
    let fix = if walk.len() <= 1 && chain.summaries.len() == 1 {
        "the file holds only the server certificate: append its intermediate certificate \
         (`cat leaf.pem intermediate.pem > fullchain.pem`; certbot: use fullchain.pem, not cert.pem)"
    } else if roots.from_bundle {
        "add the CA that issued the chain to tls.ca_bundle_path, or remove it to use the system roots"
    } else {
        "the certificate is from a private or unknown CA, and the gateway only calls backends with \
         publicly trusted certificates: use a public CA (Let's Encrypt, ACM). To check a private CA \
         locally, set tls.ca_bundle_path to its certificate"
    };
    make(Status::Fail, message).suggest(fix)
}

/// The name of the root the chain leads to (as the file's certificates say).
fn anchor_name(chain: &Chain) -> String {
    let walk = issuer_walk(chain);
    let top = &chain.summaries[walk.last().copied().unwrap_or(chain.leaf)];
    if top.self_issued {
        top.subject.clone()
    } else {
        top.issuer.clone()
    }
}

/// Indices from the leaf following issuer links through the file, stopping at a self-issued
/// certificate, a missing issuer or a loop.
fn issuer_walk(chain: &Chain) -> Vec<usize> {
    let mut walk = vec![chain.leaf];
    let mut current = chain.leaf;
    while !chain.summaries[current].self_issued {
        let next = chain
            .summaries
            .iter()
            .position(|s| s.subject_raw == chain.summaries[current].issuer_raw);
        match next {
            Some(n) if !walk.contains(&n) => {
                walk.push(n);
                current = n;
            }
            _ => break,
        }
    }
    walk
}

/// The first place where the file breaks "leaf first, then each issuer in turn".
fn order_problem(chain: &Chain) -> Option<String> {
    let s = &chain.summaries;
    if chain.leaf != 0 {
        return Some(format!(
            "certificate 1 ({}) is a CA certificate; the server certificate ({}) is certificate {} \
             and must come first",
            s[0].subject,
            s[chain.leaf].subject,
            chain.leaf + 1
        ));
    }
    for i in 1..s.len() {
        let (previous, current) = (&s[i - 1], &s[i]);
        if previous.self_issued {
            return Some(format!(
                "certificate {} ({}) follows the self-signed root (certificate {i}); nothing may follow the root",
                i + 1,
                current.subject
            ));
        }
        if current.subject_raw == previous.issuer_raw {
            continue;
        }
        let at = s.iter().position(|c| c.subject_raw == previous.issuer_raw);
        return Some(match at {
            Some(j) => format!(
                "certificate {} ({}) does not issue certificate {i} ({}); its issuer {} is certificate {}",
                i + 1,
                current.subject,
                previous.subject,
                previous.issuer,
                j + 1
            ),
            None => format!(
                "certificate {} ({}) does not issue certificate {i} ({}), whose issuer is {}; it does \
                 not belong in this chain",
                i + 1,
                current.subject,
                previous.subject,
                previous.issuer
            ),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::tls_files::tests::{ca, leaf};

    #[test]
    fn an_unrelated_certificate_does_not_belong() {
        let (_, root) = ca("root", None);
        let (other, _) = ca("other", None);
        let chain = Chain::parse(vec![leaf("a.example.com", &root), other]).expect("parses");
        let problem = order_problem(&chain).expect("a problem");
        assert!(problem.contains("does not belong"), "{problem}");
    }

    #[test]
    fn a_full_chain_in_order_has_no_problem_and_walks_to_the_root() {
        let (root_der, root) = ca("root", None);
        let (inter_der, inter) = ca("intermediate", Some(&root));
        let chain = Chain::parse(vec![leaf("a.example.com", &inter), inter_der, root_der]).expect("parses");
        assert_eq!(order_problem(&chain), None);
        assert_eq!(issuer_walk(&chain), [0, 1, 2]);
        assert_eq!(anchor_name(&chain), "CN=root");
    }

    #[test]
    fn nothing_may_follow_the_root() {
        let (root_der, root) = ca("root", None);
        let (inter_der, _) = ca("intermediate", Some(&root));
        let chain = Chain::parse(vec![leaf("a.example.com", &root), root_der, inter_der]).expect("parses");
        let problem = order_problem(&chain).expect("a problem");
        assert!(problem.contains("follows the self-signed root"), "{problem}");
    }
}

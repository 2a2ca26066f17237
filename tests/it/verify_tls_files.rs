//! The TLS file checks on generated certificates: every [`Case`] gives exactly its own finding
//! (no cascade), plus the key file's permissions, the trust store and broken files.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::certs::{self, Case};
use sre_agent_deploy::config::TlsConfig;
use sre_agent_deploy::verify::tls_files::check_files;
use sre_agent_deploy::verify::{Check, Status};
use time::OffsetDateTime;

const DOMAIN: &str = "backend.sre-agent.internal";
const NAMES: [&str; 7] = [
    "parse",
    "key",
    "expiry",
    "name",
    "chain",
    "strength",
    "permissions",
];

fn config(bundle: bool) -> TlsConfig {
    TlsConfig {
        domain_name: DOMAIN.into(),
        ssl_cert_path: "fullchain.pem".into(),
        ssl_key_path: "privkey.pem".into(),
        ca_bundle_path: bundle.then(|| "ca.pem".into()),
        ..TlsConfig::default()
    }
}

fn run(dir: &Path, tls: &TlsConfig) -> Vec<Check> {
    check_files(tls, dir, OffsetDateTime::now_utc())
}

/// The checks that are findings (warnings and failures), as (name, status).
fn findings(checks: &[Check]) -> BTreeSet<(String, Status)> {
    checks
        .iter()
        .filter(|c| matches!(c.status, Status::Warn | Status::Fail))
        .map(|c| (c.name.clone(), c.status))
        .collect()
}

fn skipped(checks: &[Check]) -> BTreeSet<String> {
    checks
        .iter()
        .filter(|c| c.status == Status::Skip)
        .map(|c| c.name.clone())
        .collect()
}

fn set(items: &[(&str, Status)]) -> BTreeSet<(String, Status)> {
    items.iter().map(|(n, s)| ((*n).to_string(), *s)).collect()
}

fn get<'a>(checks: &'a [Check], name: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} check"))
}

/// The one finding each case must produce, and the checks it skips.
fn expected(case: Case) -> (BTreeSet<(String, Status)>, BTreeSet<String>) {
    let none = BTreeSet::new();
    let only = |name, status| (set(&[(name, status)]), BTreeSet::new());
    match case {
        Case::Valid | Case::P384Key | Case::Ed25519Key | Case::Rsa2048Key | Case::Wildcard => {
            (set(&[]), none)
        }
        Case::ExpiresIn20Days => only("expiry", Status::Warn),
        Case::ExpiresIn5Days | Case::Expired | Case::NotYetValid => only("expiry", Status::Fail),
        Case::WrongName | Case::CnOnly => only("name", Status::Fail),
        Case::SelfSigned | Case::OutOfOrderChain | Case::MissingIntermediate => only("chain", Status::Fail),
        Case::Rsa1024 => only("strength", Status::Fail),
        Case::Sha1Signature => (
            set(&[("strength", Status::Fail)]),
            BTreeSet::from(["chain".to_string()]),
        ),
        Case::MismatchedKey => only("key", Status::Fail),
    }
}

#[test]
fn each_case_gives_exactly_its_finding() {
    let mut wrong = Vec::new();
    for case in Case::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        certs::write(&certs::make(case, DOMAIN), dir.path());
        let checks = run(dir.path(), &config(true));
        let names: Vec<_> = checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, NAMES, "{case:?}");
        assert!(
            checks.iter().all(|c| c.field.is_some()),
            "{case:?}: every check names its field"
        );
        let (want, want_skips) = expected(case);
        if findings(&checks) != want || skipped(&checks) != want_skips {
            let shown: Vec<_> = checks
                .iter()
                .filter(|c| c.status != Status::Pass)
                .map(ToString::to_string)
                .collect();
            wrong.push(format!(
                "{case:?}: want {want:?} (skips {want_skips:?}), got:\n  {}",
                shown.join("\n  ")
            ));
        }
        for check in checks
            .iter()
            .filter(|c| matches!(c.status, Status::Warn | Status::Fail))
        {
            assert!(check.suggestion.is_some(), "{case:?}: {check} has no fix");
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn expiry_names_the_utc_timestamp_and_the_renewal() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs::write(&certs::make(Case::ExpiresIn5Days, DOMAIN), dir.path());
    let checks = run(dir.path(), &config(true));
    let expiry = get(&checks, "expiry");
    let not_after = expiry.details["not_after"].as_str().expect("not_after");
    assert!(not_after.ends_with('Z'), "{not_after}");
    assert!(expiry.message.contains(not_after), "{}", expiry.message);
    assert_eq!(expiry.details["days_left"], 4);
    let fix = expiry.suggestion.as_deref().expect("fix");
    assert!(
        fix.contains(&format!("certbot renew --cert-name {DOMAIN}")),
        "{fix}"
    );
    assert!(fix.contains("aws acm import-certificate"), "{fix}");
    assert_eq!(expiry.field.as_deref(), Some("tls.ssl_cert_path"));
}

#[test]
fn findings_say_what_is_wrong_and_how_to_fix_it() {
    let check_of = |case, name| {
        let dir = tempfile::tempdir().expect("tempdir");
        certs::write(&certs::make(case, DOMAIN), dir.path());
        get(&run(dir.path(), &config(true)), name).clone()
    };
    let order = check_of(Case::OutOfOrderChain, "chain");
    assert!(order.message.contains("certificate 1"), "{}", order.message);
    assert!(order.message.contains("certificate 2"), "{}", order.message);
    assert!(
        order
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("cat leaf.pem intermediate.pem > fullchain.pem"))
    );
    let selfsigned = check_of(Case::SelfSigned, "chain");
    assert!(
        selfsigned.message.contains("self-signed"),
        "{}",
        selfsigned.message
    );
    assert!(
        selfsigned
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("public CA"))
    );
    let cn = check_of(Case::CnOnly, "name");
    assert!(
        cn.message.contains("no subject alternative names"),
        "{}",
        cn.message
    );
    assert_eq!(cn.field.as_deref(), Some("tls.domain_name"));
    assert_eq!(cn.subject, DOMAIN);
    let wrong = check_of(Case::WrongName, "name");
    assert!(
        wrong.message.contains(&format!("wrong-{DOMAIN}")),
        "{}",
        wrong.message
    );
    let weak = check_of(Case::Rsa1024, "strength");
    assert!(weak.message.contains("1024-bit RSA"), "{}", weak.message);
    assert_eq!(weak.details["key_bits"], 1024);
    let sha1 = check_of(Case::Sha1Signature, "strength");
    assert!(sha1.message.contains("SHA-1"), "{}", sha1.message);
    let key = check_of(Case::MismatchedKey, "key");
    assert!(key.message.contains("does not belong"), "{}", key.message);
    assert_eq!(key.field.as_deref(), Some("tls.ssl_key_path"));
    let missing = check_of(Case::MissingIntermediate, "chain");
    assert!(
        missing
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("fullchain.pem"))
    );
}

#[cfg(unix)]
#[test]
fn a_world_readable_key_is_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let files = certs::write(&certs::make(Case::Valid, DOMAIN), dir.path());
    assert!(
        findings(&run(dir.path(), &config(true))).is_empty(),
        "0600 is clean"
    );
    std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let checks = run(dir.path(), &config(true));
    assert_eq!(findings(&checks), set(&[("permissions", Status::Warn)]));
    assert!(
        get(&checks, "permissions")
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("chmod 600"))
    );
}

#[test]
fn a_private_ca_without_a_bundle_fails_the_chain_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs::write(&certs::make(Case::Valid, DOMAIN), dir.path());
    let checks = run(dir.path(), &config(false));
    assert_eq!(findings(&checks), set(&[("chain", Status::Fail)]));
}

#[test]
fn a_broken_bundle_fails_on_its_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs::write(&certs::make(Case::Valid, DOMAIN), dir.path());
    std::fs::write(dir.path().join("ca.pem"), "not a bundle").expect("write");
    let checks = run(dir.path(), &config(true));
    assert_eq!(findings(&checks), set(&[("chain", Status::Fail)]));
    assert_eq!(get(&checks, "chain").field.as_deref(), Some("tls.ca_bundle_path"));
}

#[test]
fn an_unreadable_certificate_fails_parse_and_skips_what_needs_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs::write(&certs::make(Case::Valid, DOMAIN), dir.path());
    std::fs::write(dir.path().join("fullchain.pem"), "garbage").expect("write");
    let checks = run(dir.path(), &config(true));
    assert_eq!(findings(&checks), set(&[("parse", Status::Fail)]));
    let skips: BTreeSet<String> = ["key", "expiry", "name", "chain", "strength"]
        .map(String::from)
        .into();
    assert_eq!(skipped(&checks), skips);
}

#[test]
fn a_root_in_the_middle_of_the_chain_is_an_order_error() {
    let made = certs::make(Case::Valid, DOMAIN);
    let (leaf, intermediate) = split_two(&made.chain_pem);
    let dir = tempfile::tempdir().expect("tempdir");
    // leaf, intermediate, root is fine: the root may be sent.
    let full = certs::Made {
        chain_pem: format!("{leaf}{intermediate}{}", made.ca_pem),
        ..made.clone()
    };
    certs::write(&full, dir.path());
    assert!(findings(&run(dir.path(), &config(true))).is_empty());
    // leaf, root, intermediate is not.
    let swapped = certs::Made {
        chain_pem: format!("{leaf}{}{intermediate}", made.ca_pem),
        ..made
    };
    certs::write(&swapped, dir.path());
    let checks = run(dir.path(), &config(true));
    assert_eq!(findings(&checks), set(&[("chain", Status::Fail)]));
    let message = &get(&checks, "chain").message;
    assert!(
        message.contains("certificate 2") && message.contains("is certificate 3"),
        "{message}"
    );
}

#[test]
fn an_encrypted_key_fails_key_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    certs::write(&certs::make(Case::Valid, DOMAIN), dir.path());
    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    std::fs::write(dir.path().join("privkey.pem"), encrypted).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("privkey.pem"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
    }
    let checks = run(dir.path(), &config(true));
    assert_eq!(findings(&checks), set(&[("key", Status::Fail)]));
    assert!(get(&checks, "key").message.contains("passphrase"));
}

/// The two PEM blocks of a leaf-then-intermediate chain.
fn split_two(pem: &str) -> (String, String) {
    let end = "-----END CERTIFICATE-----\n";
    let cut = pem.find(end).expect("one block") + end.len();
    (pem[..cut].to_string(), pem[cut..].to_string())
}

#[test]
#[ignore = "prints every case's checks, for reading"]
fn show_every_case() {
    for case in Case::ALL {
        let dir = tempfile::tempdir().expect("tempdir");
        certs::write(&certs::make(case, DOMAIN), dir.path());
        println!("== {case:?}");
        for check in run(dir.path(), &config(true)) {
            println!("{check}");
        }
    }
}

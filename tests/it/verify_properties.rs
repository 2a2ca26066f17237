//! Property tests of the certificate checks: the expiry verdict against a simple model (pure, and
//! end to end on generated certificates, where expiry is the only possible finding), and RFC 6125
//! name matching against a model and against webpki on generated certificates.
#![allow(clippy::disallowed_methods)]

use std::sync::LazyLock;

use crate::support::certs::{self, Case};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rustls_pki_types::{CertificateDer, ServerName};
use sre_agent_deploy::config::TlsConfig;
use sre_agent_deploy::verify::Status;
use sre_agent_deploy::verify::certinfo::{self, CertSummary, NameMatch};
use sre_agent_deploy::verify::names;
use sre_agent_deploy::verify::tls_files::check_files;
use time::{Duration, OffsetDateTime};

const DOMAIN: &str = "backend.sre-agent.internal";

/// A real certificate summary whose validity the pure property overrides.
static SUMMARY: LazyLock<CertSummary> = LazyLock::new(|| {
    let made = certs::make(Case::Valid, DOMAIN);
    let (chain, _) = certs::server_chain_der(&made);
    CertSummary::from_der(&chain[0]).expect("parses")
});

/// A fixed instant for the pure property (whole seconds, as certificates store them).
fn fixed_now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("valid timestamp")
}

/// The expiry verdict, stated simply: outside the validity window fails; otherwise the whole
/// days left decide: under fail_days fails, under warn_days warns, else passes.
fn expiry_model(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    now: OffsetDateTime,
    warn_days: i64,
    fail_days: i64,
) -> Status {
    if now < not_before || now >= not_after {
        return Status::Fail;
    }
    let days_left = (not_after - now).whole_seconds() / 86_400;
    if days_left < fail_days {
        Status::Fail
    } else if days_left < warn_days {
        Status::Warn
    } else {
        Status::Pass
    }
}

/// RFC 6125 matching, stated label by label: equal label counts; a left-most `*` label stands
/// for any one non-empty label when at least two labels follow it; otherwise labels are equal,
/// ignoring case; any other `*` matches nothing.
fn covers_model(pattern: &str, host: &str) -> bool {
    // A name with one trailing dot is the same name in absolute form.
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern).to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    if host.parse::<std::net::IpAddr>().is_ok() || p.len() != h.len() {
        return false;
    }
    if p.iter().chain(&h).any(|l| l.is_empty()) {
        return false;
    }
    let (first, rest) = (p[0], &p[1..]);
    if rest.iter().any(|l| l.contains('*')) {
        return false;
    }
    if first == "*" {
        p.len() >= 3 && rest == &h[1..]
    } else {
        !first.contains('*') && p == h
    }
}

/// A DNS label, from a small set so that names collide often.
fn label() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "ab", "x-1", "Ab", "web"]).prop_map(str::to_string)
}

fn host() -> impl Strategy<Value = String> {
    prop::collection::vec(label(), 1..=4).prop_map(|l| l.join("."))
}

/// A certificate name: a host, a wildcard over random labels, or a host with its first label
/// made a wildcard (often a match).
fn pattern(host: &str) -> impl Strategy<Value = String> + use<> {
    let wildcard_of_host = match host.split_once('.') {
        Some((_, rest)) => format!("*.{rest}"),
        None => "*".to_string(),
    };
    prop_oneof![
        self::host(),
        prop::collection::vec(label(), 1..=3).prop_map(|l| format!("*.{}", l.join("."))),
        Just(wildcard_of_host),
        Just(host.to_ascii_uppercase()),
    ]
}

/// A pattern that is also allowed to be malformed (partial or inner wildcards, empty labels).
fn any_pattern(host: &str) -> impl Strategy<Value = String> + use<> {
    prop_oneof![
        4 => pattern(host),
        1 => prop::collection::vec(
            prop::sample::select(vec!["a", "b", "*", "a*", "", "ab"]).prop_map(str::to_string),
            1..=4
        )
        .prop_map(|l| l.join(".")),
    ]
}

fn host_and_pattern() -> impl Strategy<Value = (String, String)> {
    host()
        .prop_flat_map(|h| (any_pattern(&h), Just(h)))
        .prop_map(|(p, h)| (h, p))
}

fn host_and_names() -> impl Strategy<Value = (String, Vec<String>)> {
    host()
        .prop_flat_map(|h| (prop::collection::vec(pattern(&h), 1..=2), Just(h)))
        .prop_map(|(n, h)| (h, n))
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/verify_properties.txt"))),
        ..ProptestConfig::default()
    })]

    /// `certinfo::validity` gives the model's verdict for any window and thresholds, names the
    /// exact expiry in UTC when the certificate has started, and has a fix whenever it is not a pass.
    #[test]
    fn the_expiry_verdict_matches_the_model(
        start in -400i64 * 86_400..400 * 86_400,
        length in 0i64..800 * 86_400,
        fail_days in 0i64..30,
        extra in 1i64..60,
    ) {
        let now = fixed_now();
        let mut cert = SUMMARY.clone();
        cert.not_before = now + Duration::seconds(start);
        cert.not_after = cert.not_before + Duration::seconds(length);
        let warn_days = fail_days + extra;
        let (status, message, fix) = certinfo::validity(&cert, DOMAIN, warn_days, fail_days, now);
        prop_assert_eq!(status, expiry_model(cert.not_before, cert.not_after, now, warn_days, fail_days));
        prop_assert_eq!(fix.is_some(), status != Status::Pass, "{}", message);
        if now >= cert.not_before {
            prop_assert!(message.contains(&certinfo::utc(cert.not_after)), "{}", message);
        }
    }

    /// `names::covers` agrees with the label-by-label model for any host and pattern.
    #[test]
    fn name_matching_matches_the_model((host, pattern) in host_and_pattern()) {
        prop_assert_eq!(names::covers(&pattern, &host), covers_model(&pattern, &host), "{} vs {}", pattern, host);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 32,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/verify_properties.txt"))),
        ..ProptestConfig::default()
    })]

    /// On a generated certificate with any validity window, `check_files` gives the model's
    /// expiry verdict, and no other check warns or fails (no cascade from the window).
    #[test]
    fn expiry_is_the_only_finding_of_a_validity_window(
        start_minutes in -300i64 * 1440..300 * 1440,
        length_minutes in 1i64..700 * 1440,
        fail_days in 0i64..30,
        extra in 1i64..60,
    ) {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("whole seconds");
        let not_before = now + Duration::minutes(start_minutes);
        let not_after = not_before + Duration::minutes(length_minutes);
        let dir = tempfile::tempdir().expect("tempdir");
        certs::write(&certs::leaf(&[DOMAIN.to_string()], not_before, not_after), dir.path());
        let tls = TlsConfig {
            domain_name: DOMAIN.into(),
            ssl_cert_path: "fullchain.pem".into(),
            ssl_key_path: "privkey.pem".into(),
            ca_bundle_path: Some("ca.pem".into()),
            warn_days: fail_days + extra,
            fail_days,
            ..TlsConfig::default()
        };
        let checks = check_files(&tls, dir.path(), now);
        for check in &checks {
            let want = if check.name == "expiry" {
                expiry_model(not_before, not_after, now, tls.warn_days, fail_days)
            } else {
                Status::Pass
            };
            prop_assert_eq!(check.status, want, "{}", check);
        }
    }

    /// For a generated certificate, the name check's verdict is webpki's
    /// (`verify_is_valid_for_subject_name`), and both agree with the model.
    #[test]
    fn name_matching_agrees_with_webpki((host, names) in host_and_names()) {
        let now = OffsetDateTime::now_utc();
        let made = certs::leaf(&names, now - Duration::days(1), now + Duration::days(30));
        let (chain, _) = certs::server_chain_der(&made);
        let ours = CertSummary::from_der(&chain[0]).expect("parses").name_match(&host) == NameMatch::Covered;
        let leaf_der: &CertificateDer<'_> = &chain[0];
        let end_entity = webpki::EndEntityCert::try_from(leaf_der).expect("webpki parses");
        let server_name = ServerName::try_from(host.as_str()).expect("valid host");
        let theirs = end_entity.verify_is_valid_for_subject_name(&server_name).is_ok();
        prop_assert_eq!(ours, theirs, "{:?} vs {}", names, host);
        prop_assert_eq!(ours, names.iter().any(|n| covers_model(n, &host)), "{:?} vs {}", names, host);
    }
}

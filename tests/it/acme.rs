//! Certificates from an ACME CA, against Pebble on loopback: HTTP-01 answered by the tool's own
//! responder gives a chain and key that the file checks pass with Pebble's root; a taken port
//! and a domain the CA cannot validate fail with the CA's problem and a next step.
#![allow(clippy::disallowed_methods)] // fixtures are plain writes
#![allow(clippy::print_stderr)] // the issuance time is reported

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::time::Instant;

use sre_agent_deploy::acme::{AcmeError, IssueRequest, issue};
use sre_agent_deploy::config::TlsConfig;
use sre_agent_deploy::verify::Status;
use sre_agent_deploy::verify::tls_files::check_files;

use crate::support::pebble::Pebble;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn request<'a>(pebble: &'a Pebble, domain: &'a str, port: u16) -> IssueRequest<'a> {
    IssueRequest {
        directory_url: &pebble.directory_url,
        ca_bundle: Some(&pebble.tls_ca),
        email: Some("sre@example.com"),
        domain,
        http01: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

#[test]
fn http_01_issues_a_chain_the_file_checks_pass() {
    let pebble = Pebble::start().expect("pebble");
    let begun = Instant::now();
    let issued = runtime()
        .block_on(issue(&request(&pebble, "backend.sre.test", pebble.http_port)))
        .expect("issued");
    eprintln!("issued from Pebble over HTTP-01 in {:?}", begun.elapsed());
    assert!(
        issued.chain_pem.matches("BEGIN CERTIFICATE").count() >= 2,
        "leaf then chain"
    );
    assert!(
        !format!("{issued:?}").contains("PRIVATE KEY"),
        "the key is redacted"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, &issued.chain_pem).expect("cert");
    std::fs::write(&key, secrecy::ExposeSecret::expose_secret(&issued.key_pem)).expect("key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("mode");
    let tls = TlsConfig {
        domain_name: "backend.sre.test".into(),
        ssl_cert_path: cert,
        ssl_key_path: key,
        ca_bundle_path: Some(pebble.issuing_root.clone()),
        ..TlsConfig::default()
    };
    let checks = check_files(&tls, dir.path(), time::OffsetDateTime::now_utc());
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .map(|c| format!("{} {}: {}", c.component, c.name, c.message))
        .collect();
    assert!(failed.is_empty(), "the file checks pass: {failed:?}");
    assert!(
        checks.iter().any(|c| c.name == "key" && c.status == Status::Pass),
        "{checks:?}"
    );
}

#[test]
fn a_taken_port_and_an_unreachable_responder_fail_with_a_next_step() {
    let pebble = Pebble::start().expect("pebble");
    // The port is taken: nothing is ordered.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let err = runtime()
        .block_on(issue(&request(&pebble, "backend.sre.test", port)))
        .expect_err("the port is taken");
    assert!(matches!(err, AcmeError::Listen { .. }), "{err}");
    assert!(err.suggestion().contains("webroot"), "{}", err.suggestion());

    // The responder listens where Pebble does not look: the CA cannot validate.
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let elsewhere = free.local_addr().expect("addr").port();
    drop(free);
    let err = runtime()
        .block_on(issue(&request(&pebble, "backend.sre.test", elsewhere)))
        .expect_err("the CA cannot reach the responder");
    match &err {
        AcmeError::Problem { kind, detail } => {
            assert!(kind.starts_with("urn:ietf:params:acme:error:"), "{kind}");
            assert!(!detail.is_empty());
        }
        other => panic!("not the CA's problem: {other}"),
    }
    assert!(err.suggestion().contains("port"), "{}", err.suggestion());
}

//! Certificates from an ACME CA, against Pebble on loopback: HTTP-01 answered by the tool's own
//! responder (or a web server's folder) gives a chain and key that the file checks and `verify
//! --offline` pass with Pebble's root; `renew` leaves a fresh certificate alone and `--force`
//! replaces it (new serial, backup, deploy hook once); a taken port and a responder the CA cannot
//! reach fail with the CA's problem and a next step, and leave the old files as they were.
//! A rate limit (a stand-in server: Pebble has none) shows its Retry-After. DNS-01 is in
//! `acme_dns.rs`.
#![allow(clippy::disallowed_methods)] // fixtures are plain writes
#![allow(clippy::print_stderr)] // the issuance time is reported

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::Instant;

use sre_agent_deploy::acme::{AcmeError, Answer, IssueRequest, issue};
use sre_agent_deploy::config::TlsConfig;
use sre_agent_deploy::config::acme::KeyType;
use sre_agent_deploy::verify::Status;
use sre_agent_deploy::verify::tls_files::check_files;

use crate::support::acme_fixtures::{
    acme_fixture, certificate_step, copy_pair, deploy_fixture, free_port, hook_runs, refused_renewal, report,
};
use crate::support::acme_refusal::RateLimited;
use crate::support::pebble::Pebble;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn request<'a>(pebble: &'a Pebble, domain: &'a str, port: u16, account: &'a Path) -> IssueRequest<'a> {
    IssueRequest {
        directory_url: &pebble.directory_url,
        ca_bundle: Some(&pebble.tls_ca),
        email: Some("sre@example.com"),
        domain,
        answer: Answer::Listen(SocketAddr::from(([127, 0, 0, 1], port))),
        account_file: account,
        key_type: KeyType::EcdsaP256,
    }
}

#[test]
fn http_01_issues_a_chain_the_file_checks_pass() {
    let pebble = Pebble::start().expect("pebble");
    let dir = tempfile::tempdir().expect("tempdir");
    let account = dir.path().join("acme/account.json");
    let begun = Instant::now();
    let issued = runtime()
        .block_on(issue(&request(
            &pebble,
            "backend.sre.test",
            pebble.http_port,
            &account,
        )))
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
    let dir = tempfile::tempdir().expect("tempdir");
    let account = dir.path().join("account.json");
    // The port is taken: nothing is ordered, no account is registered.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let err = runtime()
        .block_on(issue(&request(&pebble, "backend.sre.test", port, &account)))
        .expect_err("the port is taken");
    assert!(matches!(err, AcmeError::Listen { .. }), "{err}");
    assert!(!account.exists());
    assert!(err.suggestion().contains("webroot"), "{}", err.suggestion());

    // The responder listens where Pebble does not look: the CA cannot validate.
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let elsewhere = free.local_addr().expect("addr").port();
    drop(free);
    let err = runtime()
        .block_on(issue(&request(&pebble, "backend.sre.test", elsewhere, &account)))
        .expect_err("the CA cannot reach the responder");
    match &err {
        AcmeError::Problem { kind, detail, .. } => {
            assert!(kind.starts_with("urn:ietf:params:acme:error:"), "{kind}");
            assert!(!detail.is_empty());
        }
        other => panic!("not the CA's problem: {other}"),
    }
    assert!(err.suggestion().contains("port"), "{}", err.suggestion());
}

#[test]
fn issue_then_renew_from_the_cli() {
    let pebble = Pebble::start().expect("pebble");
    let f = acme_fixture(&pebble, pebble.http_port, "");
    // Not there yet: a warning, not an error.
    f.cmd()
        .args(["--validate-only", "-c", "config.yaml"])
        .assert()
        .code(0);
    let begun = Instant::now();
    let output = f
        .cmd()
        .args(["certificate", "issue", "-c", "config.yaml", "--output", "json"])
        .output()
        .expect("run");
    eprintln!(
        "`certificate issue` from Pebble over HTTP-01 in {:?}",
        begun.elapsed()
    );
    let issued = report(&output);
    assert_eq!(issued["action"], "issued", "{issued}");
    let first_serial = issued["serial"].as_str().expect("serial").to_string();
    assert!(
        issued["not_after"].is_string() && issued["issuer"].is_string(),
        "{issued}"
    );
    assert_eq!(hook_runs(&f), 1, "the hook ran once");
    let key_mode = std::fs::metadata(f.path("issued/key.pem"))
        .expect("key")
        .permissions()
        .mode();
    assert_eq!(key_mode & 0o777, 0o600);
    let accounts: Vec<_> = std::fs::read_dir(f.path(".sre-agent-deploy/acme"))
        .expect("account folder")
        .collect();
    assert_eq!(accounts.len(), 1, "one account file");
    // No key material in anything printed: the certificate's key nor the account's.
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let key = std::fs::read_to_string(f.path("issued/key.pem")).expect("key");
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    let account: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(accounts[0].as_ref().expect("entry").path()).expect("account"),
    )
    .expect("account JSON");
    let account_key = account["key_pkcs8"].as_str().expect("the account's key");
    assert!(
        !printed.contains("PRIVATE KEY") && !printed.contains(&key_body[..40]),
        "{printed}"
    );
    assert!(!printed.contains(&account_key[..40]), "{printed}");
    f.cmd()
        .args(["verify", "--offline", "-c", "config.yaml"])
        .assert()
        .code(0);

    // Fresh: not due, nothing changes, no hook.
    let not_due = report(
        &f.cmd()
            .args(["certificate", "renew", "-c", "config.yaml", "--output", "json"])
            .output()
            .expect("run"),
    );
    assert_eq!(not_due["action"], "not-due", "{not_due}");
    assert_eq!(hook_runs(&f), 1);

    // Forced: a new serial, the old pair kept, the hook once more, the same account.
    let renewed = report(
        &f.cmd()
            .args([
                "certificate",
                "renew",
                "--force",
                "-c",
                "config.yaml",
                "--output",
                "json",
            ])
            .output()
            .expect("run"),
    );
    assert_eq!(renewed["action"], "renewed", "{renewed}");
    assert_ne!(renewed["serial"].as_str(), Some(first_serial.as_str()));
    assert!(renewed["backup"].is_array(), "{renewed}");
    assert_eq!(hook_runs(&f), 2);
    assert_eq!(
        std::fs::read_dir(f.path(".sre-agent-deploy/acme"))
            .expect("folder")
            .count(),
        1
    );
    f.cmd()
        .args(["verify", "--offline", "-c", "config.yaml"])
        .assert()
        .code(0);

    // The CA cannot reach the responder: exit 3, the CA's problem, the files untouched.
    let unreachable = acme_fixture(&pebble, free_port(), "");
    let before = copy_pair(&f, &unreachable);
    refused_renewal(unreachable.cmd(), &unreachable, &before);
    assert_eq!(hook_runs(&unreachable), 0);

    // The domain stops resolving: the CA's dns problem, exit 3, the files untouched.
    pebble.refuse_to_resolve("backend.sre.test.").expect("servfail");
    let stderr = refused_renewal(f.cmd(), &f, &before);
    // Pebble names it a connection problem: it could not resolve the name.
    assert!(stderr.contains("resolve"), "{stderr}");
    assert!(stderr.contains("check the domain's DNS"), "{stderr}");
    assert_eq!(hook_runs(&f), 2);
}

#[test]
fn webroot_answers_through_a_running_web_server() {
    let pebble = Pebble::start().expect("pebble");
    let f = acme_fixture(&pebble, pebble.http_port, "    webroot: www\n");
    std::fs::create_dir_all(f.path("www")).expect("webroot");
    // A web server that is not the tool serves the folder on the port the CA connects to.
    let mut server = std::process::Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory", "www"])
        .arg(pebble.http_port.to_string())
        .current_dir(f.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 -m http.server");
    let begun = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", pebble.http_port)).is_err()
        && begun.elapsed().as_secs() < 10
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = f
        .cmd()
        .args(["certificate", "issue", "-c", "config.yaml", "--output", "json"])
        .output()
        .expect("run");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(report(&output)["action"], "issued");
    let left: Vec<_> = std::fs::read_dir(f.path("www/.well-known/acme-challenge"))
        .expect("the token folder")
        .collect();
    assert!(left.is_empty(), "the token files are removed afterwards");
    f.cmd()
        .args(["verify", "--offline", "-c", "config.yaml"])
        .assert()
        .code(0);
}

#[test]
fn a_deploy_gets_the_certificate_beside_the_aws_steps() {
    let emu = crate::support::emulator::Emulator::start().expect("emulator");
    let pebble = Pebble::start().expect("pebble");
    let f = deploy_fixture(&pebble, "cert", None);
    let deploy = || crate::support::deployment::deploy_json(&f, &emu);
    let first = deploy();
    let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
    let run = report(&first);
    let steps: Vec<&str> = run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(steps.contains(&"tls-certificate"), "{steps:?}");
    let cert_step = certificate_step(&run);
    assert_eq!(cert_step["calls"], 0, "and makes no AWS call");
    assert!(
        stderr.contains("installed the certificate for backend.sre.test"),
        "{stderr}"
    );
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.path(".sre-agent-deploy/sre-e2e-cert.json")).expect("state"),
    )
    .expect("state JSON");
    assert!(
        state["outputs"]["tls_certificate_serial"].is_string(),
        "{}",
        state["outputs"]
    );
    let key = std::fs::read_to_string(f.path("issued/key.pem")).expect("key");
    let key_body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    let state_text = state.to_string();
    assert!(!state_text.contains(&key_body[..40]) && !state_text.contains("PRIVATE KEY"));
    f.cmd()
        .args(["verify", "--offline", "-c", "config.yaml"])
        .assert()
        .code(0);

    // Again: the certificate is not due, so nothing is asked of the CA.
    let again = deploy();
    let stderr = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("is not due"), "{stderr}");
}

#[test]
fn an_unreachable_directory_is_named_with_a_next_step() {
    let pebble = Pebble::start().expect("pebble");
    let dir = tempfile::tempdir().expect("tempdir");
    let account = dir.path().join("account.json");
    let nowhere = format!("https://localhost:{}/dir", free_port());
    let request = IssueRequest {
        directory_url: &nowhere,
        ..request(&pebble, "backend.sre.test", free_port(), &account)
    };
    let err = runtime().block_on(issue(&request)).expect_err("nothing answers");
    assert!(matches!(err, AcmeError::Client(_)), "{err}");
    assert!(err.suggestion().contains("directory URL"), "{}", err.suggestion());
    assert!(!account.exists(), "no account file without an account");
}

#[test]
fn a_rate_limit_names_its_retry_after() {
    let rt = runtime();
    let server = rt.block_on(RateLimited::start(3600));
    let dir = tempfile::tempdir().expect("tempdir");
    let account = dir.path().join("account.json");
    let request = IssueRequest {
        directory_url: &server.directory_url,
        ca_bundle: Some(&server.tls_ca),
        email: Some("sre@example.com"),
        domain: "backend.sre.test",
        answer: Answer::Webroot(dir.path().join("www")),
        account_file: &account,
        key_type: KeyType::EcdsaP256,
    };
    let err = rt.block_on(issue(&request)).expect_err("rate-limited");
    match &err {
        AcmeError::Problem {
            kind, retry_after, ..
        } => {
            assert_eq!(kind, "urn:ietf:params:acme:error:rateLimited");
            assert_eq!(retry_after.clone(), Some(server.retry_after.to_string()), "{err}");
        }
        other => panic!("not the CA's problem: {other}"),
    }
    assert!(err.to_string().contains("Retry-After: 3600"), "{err}");
    let next = err.suggestion();
    assert!(
        next.contains("run again after") && next.contains("3600 s from now"),
        "{next}"
    );
    assert!(!account.exists(), "no account file without an account");
}

#[test]
fn an_invalid_contact_and_an_unresolvable_domain_are_the_cas_problems() {
    let pebble = Pebble::start().expect("pebble");
    let dir = tempfile::tempdir().expect("tempdir");
    let account = dir.path().join("account.json");
    let bad_contact = IssueRequest {
        email: Some("sre-team at corp"),
        ..request(&pebble, "backend.sre.test", pebble.http_port, &account)
    };
    let err = runtime()
        .block_on(issue(&bad_contact))
        .expect_err("refused contact");
    match &err {
        AcmeError::Problem { kind, .. } => assert!(kind.ends_with(":invalidContact"), "{err}"),
        other => panic!("not the CA's problem: {other}"),
    }
    assert!(
        err.suggestion().contains("tls.acme.email"),
        "{}",
        err.suggestion()
    );
    assert!(!account.exists());

    pebble.refuse_to_resolve("nowhere.sre.test.").expect("servfail");
    let err = runtime()
        .block_on(issue(&request(
            &pebble,
            "nowhere.sre.test",
            pebble.http_port,
            &account,
        )))
        .expect_err("the domain does not resolve");
    match &err {
        AcmeError::Problem { kind, detail, .. } => {
            assert!(kind.ends_with(":dns") || kind.ends_with(":connection"), "{err}");
            assert!(
                detail.contains("nowhere.sre.test") && detail.contains("resolve"),
                "{detail}"
            );
        }
        other => panic!("not the CA's problem: {other}"),
    }
    assert!(err.suggestion().contains("DNS"), "{}", err.suggestion());
}

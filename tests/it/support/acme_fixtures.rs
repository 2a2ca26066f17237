//! The ACME tests' fixtures: configs whose certificate comes from Pebble (over HTTP-01, a web
//! server's folder, or DNS-01 through the emulator's Route 53 mirrored into Pebble's DNS), and
//! the checks the tests share.
#![allow(clippy::disallowed_methods)] // fixtures are plain writes

use super::Fixture;
use super::emulator::Emulator;
use super::look::Look;
use super::pebble::Pebble;

/// A fixture whose config gets its certificate from `pebble` (the files are not there yet).
pub fn acme_fixture(pebble: &Pebble, http_port: u16, extra: &str) -> Fixture {
    with_acme(
        crate::support::VALID_CONFIG,
        pebble,
        &format!(
            "    email: sre-team@corp.test\n    http_port: {http_port}\n    deploy_hook: echo \"$SRE_AGENT_DEPLOY_CERT\" >> hook.log\n{extra}"
        ),
    )
}

/// `config` with its certificate files to come from `pebble` (`issued/cert.pem` and
/// `issued/key.pem` for `backend.sre.test`, verified with Pebble's root) and these `tls.acme`
/// lines besides the directory and its CA.
pub fn with_acme(config: &str, pebble: &Pebble, acme_lines: &str) -> Fixture {
    let config = config
        .replace("ssl_cert_path: fullchain.pem", "ssl_cert_path: issued/cert.pem")
        .replace("ssl_key_path: privkey.pem", "ssl_key_path: issued/key.pem")
        .replace("ca_bundle_path: ca.pem", "ca_bundle_path: pebble-root.pem")
        .replace("backend.sre-agent.internal", "backend.sre.test")
        .replace(
            "deployment:",
            &format!(
                "  acme:\n    directory_url: {}\n    ca_bundle_path: {}\n{acme_lines}deployment:",
                pebble.directory_url,
                pebble.tls_ca.display()
            ),
        );
    let f = Fixture::with_config(&config);
    std::fs::copy(&pebble.issuing_root, f.path("pebble-root.pem")).expect("root");
    f
}

pub fn report(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    crate::support::json_output(output)
}

pub fn hook_runs(f: &Fixture) -> usize {
    std::fs::read_to_string(f.path("hook.log")).map_or(0, |t| t.lines().count())
}

/// Copies `from`'s issued pair into `to`; the certificate's bytes.
pub fn copy_pair(from: &Fixture, to: &Fixture) -> Vec<u8> {
    std::fs::create_dir_all(to.path("issued")).expect("folder");
    for name in ["issued/cert.pem", "issued/key.pem"] {
        std::fs::copy(from.path(name), to.path(name)).expect("copy");
    }
    std::fs::read(to.path("issued/cert.pem")).expect("cert")
}

/// `certificate renew --force` that the CA refuses: exit 3, the CA's problem with a next step,
/// the certificate file still `before`. Its standard error.
pub fn refused_renewal(mut cmd: assert_cmd::Command, f: &Fixture, before: &[u8]) -> String {
    let failed = cmd
        .args(["certificate", "renew", "--force", "-c", "config.yaml"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&failed.stderr).into_owned();
    assert_eq!(failed.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("urn:ietf:params:acme:error:"), "{stderr}");
    assert!(stderr.contains("fix: "), "{stderr}");
    assert_eq!(std::fs::read(f.path("issued/cert.pem")).expect("cert"), before);
    stderr
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Pebble's DNS (challtestsrv) sees what the emulator's Route 53 has once a change is INSYNC.
pub fn route53_for(pebble: &Pebble) -> (Emulator, Look, String) {
    let emu = Emulator::start().expect("emulator");
    emu.set_dns_sink(Some(pebble.dns_sink()));
    let look = Look::new(&emu);
    // Two zones hold the domain: the longer one is the domain's.
    look.hosted_zone("test");
    let zone = look.hosted_zone("sre.test");
    (emu, look, zone)
}

/// The report's `tls-certificate` step, which waits for no AWS step.
pub fn certificate_step(run: &serde_json::Value) -> &serde_json::Value {
    let step = run["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "tls-certificate"))
        .expect("the step");
    assert_eq!(step["after"], serde_json::json!([]), "it waits for no AWS step");
    step
}

/// A deployment (`sre-e2e-<id>`) whose backends' certificate comes from `pebble`: over DNS-01 in
/// the given hosted zone, else over HTTP-01 on Pebble's port.
pub fn deploy_fixture(pebble: &Pebble, id: &str, zone: Option<&str>) -> Fixture {
    let challenge = match zone {
        Some(zone) => format!(
            "    challenge: dns-01\n    route53_hosted_zone_id: {}\n",
            zone.trim_start_matches("/hostedzone/")
        ),
        None => format!("    http_port: {}\n", pebble.http_port),
    };
    with_acme(&crate::support::deployment::config(id), pebble, &challenge)
}

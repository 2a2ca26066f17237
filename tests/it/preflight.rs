//! `preflight` end to end on this machine: the JSON contract of a real run, the run-as user's
//! access to the key, and the host checks `--validate-only` adds when the backends run here.
#![allow(clippy::disallowed_methods)]

use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt;

use crate::support::{Fixture, VALID_CONFIG, json_output};
use predicates::prelude::*;

/// A fixture in /tmp (whose folders every user may enter), so only the files' own modes decide.
fn fixture_in_tmp(config: &str) -> Fixture {
    let dir = tempfile::tempdir_in("/tmp").expect("tempdir in /tmp");
    crate::support::certs::write_chain(dir.path(), "backend.sre-agent.internal", 90).expect("certificates");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let fixture = Fixture { dir };
    fixture.write("config.yaml", config);
    fixture
}

fn findings(json: &serde_json::Value) -> &Vec<serde_json::Value> {
    json["findings"].as_array().expect("findings array")
}

fn finding<'a>(json: &'a serde_json::Value, field: &str) -> &'a serde_json::Value {
    findings(json)
        .iter()
        .find(|f| f["field"] == field)
        .unwrap_or_else(|| panic!("no finding on {field}: {json:#}"))
}

#[test]
fn a_real_run_reports_every_check_with_a_fix() {
    let output = Fixture::new()
        .cmd()
        .args(["preflight", "--output", "json"])
        .output()
        .expect("runs");
    let json = json_output(&output);
    // Whether this machine meets the design depends on the machine; the shape does not.
    let errors = json["errors"].as_u64().expect("errors");
    assert_eq!(output.status.code(), Some(i32::from(errors != 0)), "{json:#}");
    assert_eq!(json["ok"], errors == 0);
    for f in findings(&json) {
        assert!(f["field"].as_str().is_some_and(|s| !s.is_empty()), "{f}");
        assert!(f["suggestion"].as_str().is_some_and(|s| !s.is_empty()), "{f}");
        assert!(["error", "warning"].contains(&f["severity"].as_str().unwrap_or_default()));
    }
    let facts = &json["facts"];
    let cpus = std::thread::available_parallelism().expect("cpus").get();
    assert_eq!(facts["cpus"].as_u64(), Some(cpus as u64));
    let tools: Vec<&str> = facts["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tools, ["python", "uv", "docker", "aws"]);
    let ports: Vec<u64> = facts["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(|p| p["port"].as_u64())
        .collect();
    assert_eq!(ports, [8011, 8012, 8013, 8014, 443]);
    // Every check is either passed or a finding.
    let checks = findings(&json).len() + json["passed"].as_array().expect("passed").len();
    assert_eq!(checks, 3 + 4 + 5, "{json:#}");
}

#[test]
fn a_real_run_in_text_has_one_line_per_check_and_a_summary() {
    Fixture::new()
        .cmd()
        .arg("preflight")
        .assert()
        .stdout(predicate::str::is_match(r"(?m)^(ok|warning)\[host\.cpu\]: \d+ vCPUs").expect("regex"))
        .stdout(predicate::str::is_match(r"(?m)^(ok|warning)\[host\.ports\.8011\]").expect("regex"))
        .stdout(predicate::str::is_match(r"(?m)^(ok|failed): this host ").expect("regex"));
}

#[test]
fn a_key_the_run_as_user_cannot_read_is_an_error_with_the_chmod_fix() {
    let fixture = fixture_in_tmp(VALID_CONFIG);
    let output = fixture
        .cmd()
        .args([
            "preflight",
            "--config",
            "config.yaml",
            "--run-as",
            "nobody",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    let json = json_output(&output);
    assert_eq!(output.status.code(), Some(1), "{json:#}");
    let key = finding(&json, "tls.ssl_key_path");
    assert_eq!(key["severity"], "error");
    assert!(
        key["message"]
            .as_str()
            .is_some_and(|m| m.contains("nobody cannot read")),
        "{key}"
    );
    let suggestion = key["suggestion"].as_str().expect("suggestion");
    assert!(
        suggestion.contains("chmod 640") && suggestion.contains("chgrp"),
        "{suggestion}"
    );
    // The certificate is 0644: nobody reads it.
    assert!(
        findings(&json).iter().all(|f| f["field"] != "tls.ssl_cert_path"),
        "{json:#}"
    );
    // Made readable for the group, it passes.
    let key_path = fixture.path("privkey.pem");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let output = fixture
        .cmd()
        .args([
            "preflight",
            "-c",
            "config.yaml",
            "--run-as",
            "nobody",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert!(
        findings(&json_output(&output))
            .iter()
            .all(|f| f["field"] != "tls.ssl_key_path")
    );
}

#[test]
fn a_folder_the_user_cannot_enter_is_named_in_the_fix() {
    let fixture = fixture_in_tmp(VALID_CONFIG);
    std::fs::set_permissions(fixture.dir.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let output = fixture
        .cmd()
        .args([
            "preflight",
            "-c",
            "config.yaml",
            "--run-as",
            "nobody",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    let json = json_output(&output);
    let cert = finding(&json, "tls.ssl_cert_path");
    assert_eq!(cert["severity"], "error");
    let dir = fixture.dir.path().display().to_string();
    assert!(
        cert["suggestion"]
            .as_str()
            .is_some_and(|s| s.contains(&format!("chmod g+x {dir}"))),
        "{cert}"
    );
}

#[test]
fn an_unknown_run_as_user_is_an_error() {
    let output = Fixture::new()
        .cmd()
        .args([
            "preflight",
            "-c",
            "config.yaml",
            "--run-as",
            "no-such-user-x",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    let json = json_output(&output);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding(&json, "host.run_as")["severity"], "error");
}

#[test]
fn a_config_that_does_not_load_is_a_warning_and_the_host_is_still_checked() {
    let output = Fixture::new()
        .cmd()
        .args(["preflight", "-c", "missing.yaml", "--output", "json"])
        .output()
        .expect("runs");
    let json = json_output(&output);
    let note = finding(&json, "config");
    assert_eq!(note["severity"], "warning");
    assert!(
        note["message"]
            .as_str()
            .is_some_and(|m| m.contains("missing.yaml")),
        "{note}"
    );
    assert!(json["facts"]["files"].as_array().is_some_and(Vec::is_empty));
}

#[test]
fn validate_only_adds_host_warnings_when_the_backends_run_here() {
    // A backend port already served here (as the demo's own backends are): a warning, not an error.
    let held = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).expect("bind");
    let port = held.local_addr().expect("addr").port();
    let config = VALID_CONFIG.replace(
        "backend.sre-agent.internal:8011",
        &format!("backend.sre-agent.internal:{port}"),
    ) + "verify:\n  resolve: [\"backend.sre-agent.internal:127.0.0.1\"]\n";
    let fixture = Fixture::with_config(&config);
    let output = fixture.validate(&["--output", "json"]).output().expect("runs");
    let json = json_output(&output);
    assert_eq!(output.status.code(), Some(0), "{json:#}");
    let served = finding(&json, &format!("host.ports.{port}"));
    assert_eq!(served["severity"], "warning");
    assert!(
        served["message"]
            .as_str()
            .is_some_and(|m| m.contains("already served"))
    );
    let host: Vec<_> = findings(&json)
        .iter()
        .filter(|f| f["field"].as_str().is_some_and(|s| s.starts_with("host.")))
        .collect();
    assert!(host.iter().all(|f| f["severity"] == "warning"), "{host:#?}");
    drop(held);

    // The same backends on a name that does not resolve: another host, no host checks.
    let output = Fixture::new()
        .validate(&["--output", "json"])
        .output()
        .expect("runs");
    let json = json_output(&output);
    assert!(
        findings(&json)
            .iter()
            .all(|f| !f["field"].as_str().unwrap_or_default().starts_with("host.")),
        "{json:#}"
    );
}

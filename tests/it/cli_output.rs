//! What the printer promises: `--quiet` leaves errors and the result only, `-v` shows each AWS
//! call with its duration, retries and request id, an AWS error names its request id, and the
//! completions and the man page come from the one CLI definition.

use predicates::prelude::*;

use crate::support::Fixture;
use crate::support::deployment::{fixture, tool};
use crate::support::emulator::{Emulator, FaultKind, FaultRule};

/// `VALID_CONFIG` without its `version:` line: loading it prints a migration notice.
fn unversioned() -> Fixture {
    Fixture::with_config(&crate::support::VALID_CONFIG.replacen("version: 1\n", "", 1))
}

#[test]
fn quiet_prints_the_result_and_no_progress() {
    let f = unversioned();
    // Without --quiet the notice is a progress line on stderr...
    f.cmd()
        .args(["--validate-only", "-c", "config.yaml"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("version"));
    // ...with it, stderr stays empty and the result is unchanged.
    f.cmd()
        .args([
            "--validate-only",
            "-c",
            "config.yaml",
            "--quiet",
            "--output",
            "json",
        ])
        .assert()
        .code(0)
        .stderr("")
        .stdout(predicate::str::contains("\"valid\": true"));
    // Errors still show.
    f.cmd()
        .args(["--validate-only", "-q", "-c", "missing.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "));
}

#[test]
fn verbose_shows_each_aws_call_and_aws_errors_carry_the_request_id() {
    let emu = Emulator::start().expect("emulator");
    // The bucket cannot be made: every attempt answers 500 (the SDK tries 6 times).
    emu.faults()
        .add_rule(FaultRule::times("CreateBucket", FaultKind::ServerError(500), 100));
    let f = fixture("v");
    let output = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml", "-v"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let calls: Vec<&str> = stderr.lines().filter(|l| l.contains("] aws ")).collect();
    assert!(
        calls
            .iter()
            .any(|l| l.contains("IAM CreateRole: ok (HTTP 200) in ") && l.contains("0 retries, request id ")),
        "a line per call:\n{stderr}"
    );
    assert!(
        calls
            .iter()
            .any(|l| l.contains("S3 CreateBucket: failed (HTTP 500)") && l.contains("5 retries")),
        "the failed call with its retries:\n{stderr}"
    );
    assert!(
        calls.iter().all(|l| !l.contains("request id none")),
        "every answer had a request id:\n{stderr}"
    );
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert!(
        error.contains("CreateBucket failed") && error.contains("(request id "),
        "the error names the request id: {error}\n{stderr}"
    );
    // Without -v there are no call lines.
    let quiet = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("run");
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("] aws "));
}

#[test]
fn completions_and_the_man_page_come_from_the_cli() {
    let f = Fixture::new();
    f.cmd()
        .args(["completions", "bash"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("complete -F").and(predicate::str::contains("--validate-only")));
    f.cmd()
        .args(["completions", "zsh"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("#compdef sre-agent-deploy"));
    for shell in ["fish", "powershell"] {
        f.cmd()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("--cleanup"));
    }
    f.cmd()
        .arg("man")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(".TH sre-agent-deploy").and(predicate::str::contains("Exit codes")));
    f.cmd().args(["completions", "tcsh"]).assert().code(2);
}

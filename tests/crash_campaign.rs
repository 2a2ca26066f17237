//! Crash campaign: a fresh deployment makes N AWS calls; for every k in 1..=N the deploy is
//! killed (SIGKILL) while its k-th call is held by the emulator's proxy, so exactly the calls
//! before it were answered. The held call (and any concurrent one behind it) is then either run
//! (it reached AWS, the answer was lost) or dropped (the process died before sending). Every step
//! boundary is the point before some step's first call, and every point inside a multi-call step
//! is the point before one of its later calls, so together the 2N runs cover both.
//!
//! After each kill, `--resume` must finish; exactly one of each resource must exist, the ledger
//! must list all of them, and `--cleanup` must leave nothing.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::print_stderr)] // the campaign's coverage line is its report

mod support;

use std::time::{Duration, Instant};

use support::deployment::{assert_none_left, assert_one_of_each, fixture, ledger, spawn_deploy, tool};
use support::emulator::{Emulator, Thaw};
use support::look::Look;

/// The resources a deployment's ledger must list, by kind.
const LEDGER_KINDS: [(&str, usize); 11] = [
    ("iam-role", 1),
    ("iam-role-policy", 1),
    ("cognito-user-pool", 1),
    ("cognito-domain", 1),
    ("cognito-resource-server", 1),
    ("cognito-client", 1),
    ("s3-bucket", 1),
    ("s3-object", 4),
    ("credential-provider", 1),
    ("gateway", 1),
    ("gateway-target", 4),
];

fn deploy_and_clean(emu: &Emulator, n: &str) {
    let f = fixture(n);
    tool(&f, emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    tool(&f, emu)
        .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
        .assert()
        .code(0);
}

/// Kills a fresh deploy at its `k`-th call, releases the held calls as `how` says, resumes, checks,
/// cleans up. Returns the operation the kill happened at.
fn kill_at(emu: &Emulator, look: &Look, k: u64, how: Thaw) -> String {
    let n = format!("k{k}{}", if how == Thaw::Run { "r" } else { "d" });
    let context = format!("killed at call {k} ({how:?})");
    let f = fixture(&n);
    let before = emu.calls().len();
    emu.faults().freeze_at(k);
    let mut child = spawn_deploy(&f, emu);
    let begun = Instant::now();
    while emu.faults().held() == 0 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{context}: the deploy ended ({status}) before its call {k}");
        }
        assert!(
            begun.elapsed() < Duration::from_mins(1),
            "{context}: call {k} never came"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    let at = emu.calls()[before + usize::try_from(k).expect("k") - 1]
        .operation
        .clone();
    emu.faults().thaw(how);
    // The released calls finish (or are dropped) before the resume starts, as they would at AWS.
    let begun = Instant::now();
    while emu.calls()[before..]
        .iter()
        .any(|c| c.status == 0 && c.fault.is_none())
    {
        assert!(
            begun.elapsed() < Duration::from_secs(30),
            "{context}: calls still in flight"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    tool(&f, emu)
        .args([
            "--resume",
            "--no-verify",
            "--state-file",
            &format!(".sre-agent-deploy/sre-e2e-{n}.json"),
        ])
        .assert()
        .code(0);
    let context = format!("{context}, at {at}");
    assert_one_of_each(emu, look, &n, &context);
    let recorded = ledger(&f, &n);
    for (kind, count) in LEDGER_KINDS {
        assert_eq!(
            recorded.iter().filter(|(k, _)| k == kind).count(),
            count,
            "{context}: the ledger lists {count} {kind}: {recorded:?}"
        );
    }
    tool(&f, emu)
        .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
        .assert()
        .code(0);
    assert_none_left(emu, look, &n, &context);
    at
}

#[test]
fn a_deploy_killed_at_every_call_resumes_to_one_of_each_and_cleans_up_to_zero() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    // Warm moto up (it imports each service on first use), then count a fresh deployment's calls.
    deploy_and_clean(&emu, "warm");
    let before = emu.calls().len();
    let f = fixture("ref");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    let reference: Vec<String> = emu.calls()[before..]
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-ref", "--yes"])
        .assert()
        .code(0);
    let calls = u64::try_from(reference.len()).expect("count");
    assert!(
        calls >= 27,
        "a fresh deployment makes at least 27 calls: {reference:?}"
    );
    let begun = Instant::now();
    let mut points = Vec::new();
    for k in 1..=calls {
        for how in [Thaw::Drop, Thaw::Run] {
            points.push((k, how, kill_at(&emu, &look, k, how)));
        }
    }
    let distinct: std::collections::BTreeSet<&str> = points.iter().map(|(_, _, op)| op.as_str()).collect();
    eprintln!(
        "crash campaign: {} kill points ({calls} calls of a fresh deployment x 2 outcomes), {} distinct \
         operations, all resumed to one of each and cleaned up to zero, in {:.0} s",
        points.len(),
        distinct.len(),
        begun.elapsed().as_secs_f64()
    );
    assert_eq!(points.len(), reference.len() * 2);
}

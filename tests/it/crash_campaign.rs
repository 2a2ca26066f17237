//! Crash campaign: a fresh deployment makes N AWS calls; for every k in 1..=N the deploy is
//! killed (SIGKILL) while its k-th call is held by the emulator's proxy, so exactly the calls
//! before it were answered. The held call (and any concurrent one behind it) is then either run
//! (it reached AWS, the answer was lost) or dropped (the process died before sending). Every step
//! boundary is the point before some step's first call, and every point inside a multi-call step
//! is the point before one of its later calls, so together the 2N runs cover both.
//!
//! The emulator behaves like the service: gateways and targets become READY after a delay, a
//! new role is not assumable at once, updates take time. The number of readiness polls and of
//! refused CreateGateway calls therefore varies a little from run to run; every call before the
//! first CreateGateway is reached in every run, and a later point a run finishes before is
//! reported.
//!
//! After each kill, `--resume` must finish; exactly one of each resource must exist, the ledger
//! must list all of them, and `--cleanup` must leave nothing. The kill points run in lanes, each
//! with its own emulator (`CAMPAIGN_LANES`, default 3).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::print_stderr)] // the campaign's coverage line is its report

use std::time::Instant;

use crate::support::deployment::{assert_none_left, assert_one_of_each, fixture, ledger, spawn_deploy, tool};
use crate::support::emulator::{Emulator, Thaw};
use crate::support::kill::{Killed, kill_at_call};
use crate::support::lanes;
use crate::support::look::Look;

/// The resources a deployment's ledger must list, by kind.
pub const LEDGER_KINDS: [(&str, usize); 11] = [
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

/// Where a kill landed: the operation held, or `None` when the deploy finished before call k.
struct Point {
    k: u64,
    how: Thaw,
    at: Option<String>,
}

/// Kills a fresh deploy at its `k`-th call, releases the held calls as `how` says, resumes, checks,
/// cleans up.
fn kill_at(emu: &Emulator, look: &Look, k: u64, how: Thaw) -> Point {
    let n = format!("k{k}{}", if how == Thaw::Run { "r" } else { "d" });
    let context = format!("killed at call {k} ({how:?})");
    let f = fixture(&n);
    let at = match kill_at_call(emu, k, how, || spawn_deploy(&f, emu), &context) {
        // Fewer readiness polls than the reference run: it finished before call k.
        Killed::Finished(status) => {
            assert!(
                status.success(),
                "{context}: the deploy ended ({status}) before its call {k}"
            );
            None
        }
        Killed::At(at) => {
            tool(&f, emu)
                .args([
                    "--resume",
                    "--no-verify",
                    "--state-file",
                    &format!(".sre-agent-deploy/sre-e2e-{n}.json"),
                ])
                .assert()
                .code(0);
            Some(at)
        }
    };
    let context = format!("{context}, at {}", at.as_deref().unwrap_or("(finished first)"));
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
    Point { k, how, at }
}

/// The calls of two fresh deployments: the fewer of the two counts, and how many calls come
/// before the first CreateGateway (that many are made in every run).
fn reference() -> (u64, u64) {
    let (emu, _look) = lanes::emulator(99);
    let mut counts = Vec::new();
    let mut fixed = u64::MAX;
    for n in ["ref1", "ref2"] {
        let before = emu.calls().len();
        let f = fixture(n);
        tool(&f, &emu)
            .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
            .assert()
            .code(0);
        let ops: Vec<String> = emu.calls()[before..]
            .iter()
            .map(|c| c.operation.clone())
            .collect();
        let first_gateway = ops
            .iter()
            .position(|op| op == "CreateGateway")
            .expect("CreateGateway");
        fixed = fixed.min(u64::try_from(first_gateway).expect("count"));
        counts.push(u64::try_from(ops.len()).expect("count"));
        tool(&f, &emu)
            .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
            .assert()
            .code(0);
    }
    (counts.into_iter().min().unwrap_or(0), fixed)
}

#[test]
fn a_deploy_killed_at_every_call_resumes_to_one_of_each_and_cleans_up_to_zero() {
    let _alone = crate::support::heavy();
    let (calls, fixed) = reference();
    // Before its gateway a deployment makes at least the calls the gateway waits for: the
    // account check, the role and its policy, the pool, the resource server and the client. How
    // many of the other steps' calls come first depends on the machine's load (15-18 seen).
    assert!(
        calls >= 25 && fixed >= 6,
        "a fresh deployment makes {calls} calls, {fixed} before its gateway"
    );
    let begun = Instant::now();
    let mut work = Vec::new();
    for k in 1..=calls {
        for how in [Thaw::Drop, Thaw::Run] {
            work.push((k, how));
        }
    }
    let points = lanes::run(work, |emu, look, (k, how)| kill_at(emu, look, k, how));
    let early: Vec<String> = points
        .iter()
        .filter(|p| p.at.is_none())
        .map(|p| format!("{}{:?}", p.k, p.how))
        .collect();
    for p in &points {
        assert!(
            p.at.is_some() || p.k > fixed,
            "call {} comes before the gateway in every run, yet the deploy finished first",
            p.k
        );
    }
    let distinct: std::collections::BTreeSet<&str> = points.iter().filter_map(|p| p.at.as_deref()).collect();
    eprintln!(
        "crash campaign: {} kill points ({calls} calls of a fresh deployment x 2 outcomes, the service's \
         READY delays and role propagation), {} distinct operations, {} finished before their point \
         ({early:?}), all resumed to one of each and cleaned up to zero, in {:.0} s over {} lanes",
        points.len(),
        distinct.len(),
        early.len(),
        begun.elapsed().as_secs_f64(),
        lanes::count()
    );
    assert_eq!(points.len(), usize::try_from(calls * 2).expect("count"));
}

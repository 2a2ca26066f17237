//! Fault campaign: seeded deploys through the emulator's proxy with about 20% of calls faulted:
//! throttling, 500 and 503 errors, connections reset before the call, answers lost after the
//! call ran (on every operation, the SDK's own retries included), slow answers. The emulator
//! behaves like the service (READY after a delay, a new role not assumable at once), and every
//! fifth seed also loses the first answer of `CreateUserPool`, every fifth the first of
//! `CreateUserPoolClient`: the two creates a resend would twin.
//!
//! Each deploy must finish, or stop with a resumable error and finish on `--resume`; then exactly
//! one of each resource exists, and `--cleanup` (under the same faults) leaves nothing. The
//! retries of each run are reported. `FAULT_CAMPAIGN_RUNS` sets the number of runs (default 50);
//! they run in lanes, each with its own emulator (`CAMPAIGN_LANES`, default 3).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::print_stderr)] // the campaign's table is its report

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support::deployment::{assert_none_left, assert_one_of_each, deploy_json, fixture, tool};
use crate::support::emulator::{Emulator, FaultKind, FaultRule};
use crate::support::json_output;
use crate::support::lanes;
use crate::support::look::Look;

/// The faults of run `seed`: about one call in five, each kind with its own seeded generator.
fn inject(emu: &Emulator, seed: u64) {
    let faults = emu.faults();
    faults.clear();
    let rules = [
        (FaultKind::Throttle, 0.04),
        (FaultKind::ServerError(500), 0.02),
        (FaultKind::ServerError(503), 0.03),
        (FaultKind::Reset, 0.04),
        (FaultKind::LoseResponse, 0.05),
        (FaultKind::Delay(Duration::from_millis(150)), 0.02),
    ];
    for (i, (kind, p)) in rules.into_iter().enumerate() {
        faults.add_rule(FaultRule::rate("*", kind, p, seed * 16 + i as u64));
    }
    match seed % 5 {
        0 => {
            faults.add_rule(FaultRule::times("CreateUserPool", FaultKind::LoseResponse, 1));
        }
        1 => {
            faults.add_rule(FaultRule::times(
                "CreateUserPoolClient",
                FaultKind::LoseResponse,
                1,
            ));
        }
        _ => {}
    }
}

struct Run {
    seed: u64,
    resumes: u32,
    attempts: u64,
    faults: u64,
    /// Operations whose answer was lost after they ran, with how often.
    lost: BTreeMap<String, u32>,
    wall: Duration,
}

fn one_seed(emu: &Emulator, look: &Look, seed: u64) -> Run {
    let n = format!("f{seed}");
    let f = fixture(&n);
    let calls_before = emu.calls().len();
    inject(emu, seed);
    let injected_before = emu.faults().counts().total();
    let begun = Instant::now();
    let mut output = deploy_json(&f, emu);
    let mut attempts = 0;
    let mut resumes = 0;
    loop {
        let report = json_output(&output);
        attempts += report["calls"].as_u64().unwrap_or(0);
        match output.status.code() {
            Some(0) => break,
            // A resumable stop: the retries ran out on one call.
            Some(3) if resumes < 3 => {
                assert!(
                    report["error"]["resume"]
                        .as_str()
                        .is_some_and(|r| r.contains("--resume")),
                    "seed {seed}: a stop names its resume command: {report}"
                );
                resumes += 1;
                output = tool(&f, emu)
                    .args(["--resume", "--no-verify", "--output", "json", "--state-file"])
                    .arg(format!(".sre-agent-deploy/sre-e2e-{n}.json"))
                    .output()
                    .expect("resume");
            }
            other => panic!(
                "seed {seed}: exit {other:?}\n{}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        }
    }
    let wall = begun.elapsed();
    let faults = emu.faults().counts().total() - injected_before;
    let mut lost = BTreeMap::new();
    for call in &emu.calls()[calls_before..] {
        if call.fault == Some(FaultKind::LoseResponse) {
            *lost.entry(call.operation.clone()).or_insert(0) += 1;
        }
    }
    emu.faults().clear();
    assert_one_of_each(emu, look, &n, &format!("seed {seed}"));
    inject(emu, seed + 10_000);
    let mut cleaned = false;
    for _ in 0..3 {
        let cleanup = tool(&f, emu)
            .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
            .output()
            .expect("cleanup");
        if cleanup.status.success() {
            cleaned = true;
            break;
        }
    }
    emu.faults().clear();
    assert!(
        cleaned,
        "seed {seed}: cleanup finished within three tries under faults"
    );
    assert_none_left(emu, look, &n, &format!("seed {seed}"));
    Run {
        seed,
        resumes,
        attempts,
        faults,
        lost,
        wall,
    }
}

#[test]
fn seeded_deploys_under_faults_finish_without_twins_or_leaks() {
    let _alone = crate::support::heavy();
    let runs: u64 = std::env::var("FAULT_CAMPAIGN_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    // Without faults: how many attempts a fresh deployment makes (its calls, no retries).
    let baseline = {
        let (emu, _look) = lanes::emulator(99);
        let reference = fixture("fref");
        let output = deploy_json(&reference, &emu);
        assert_eq!(output.status.code(), Some(0));
        json_output(&output)["calls"].as_u64().expect("calls")
    };
    let begun = Instant::now();
    let table = lanes::run((1..=runs).collect(), one_seed);
    eprintln!(
        "fault campaign: {runs} seeded deploys, about 20% of calls faulted, the service's READY delays \
         and role propagation; a fault-free deployment makes {baseline} calls; {:.0} s over {} lanes",
        begun.elapsed().as_secs_f64(),
        lanes::count()
    );
    eprintln!("seed resumes attempts retries faults-injected wall-ms answers-lost-after-the-call");
    for r in &table {
        eprintln!(
            "{:>4} {:>7} {:>8} {:>7} {:>15} {:>7} {:?}",
            r.seed,
            r.resumes,
            r.attempts,
            r.attempts.saturating_sub(baseline),
            r.faults,
            r.wall.as_millis(),
            r.lost
        );
    }
    let faults: u64 = table.iter().map(|r| r.faults).sum();
    let retries: u64 = table.iter().map(|r| r.attempts.saturating_sub(baseline)).sum();
    let resumed = table.iter().filter(|r| r.resumes > 0).count();
    let mut lost: BTreeMap<&str, u32> = BTreeMap::new();
    for r in &table {
        for (op, count) in &r.lost {
            *lost.entry(op.as_str()).or_insert(0) += count;
        }
    }
    eprintln!(
        "total: {faults} faults injected, {retries} retries, {resumed} of {runs} runs needed --resume; \
         answers lost after the call, by operation: {lost:?}; no twins, nothing left after cleanup"
    );
    assert!(faults > runs, "faults were injected ({faults})");
    if runs >= 5 {
        for op in ["CreateUserPool", "CreateUserPoolClient"] {
            assert!(
                lost.get(op).copied().unwrap_or(0) > 0,
                "{op} lost an answer: {lost:?}"
            );
        }
    }
}

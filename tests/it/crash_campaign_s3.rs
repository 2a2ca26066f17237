//! The crash campaign with the state in S3, at a smaller set of kill points: the lock's and the
//! state's own calls (the first ones) and points spread over the rest of a fresh deployment. A
//! deploy killed (SIGKILL) at its k-th call leaves its lock behind; another folder removes it with
//! `force-unlock` (the lock id read from the lock object, as an operator reads it from the error),
//! resumes (or deploys again, when the kill came before the first save), must end with one of
//! each resource and a ledger that lists them all; a third folder cleans up to nothing.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::print_stderr)] // the campaign's coverage line is its report

use std::time::Instant;

use crate::crash_campaign::LEDGER_KINDS;
use crate::support::deployment::{assert_none_left, assert_one_of_each, tool};
use crate::support::emulator::{Emulator, Thaw};
use crate::support::kill::{Killed, kill_at_call};
use crate::support::lanes;
use crate::support::look::Look;
use crate::support::team;

/// The team bucket in a lane's emulator, made once.
fn ensure_bucket(look: &Look) {
    if !look.bucket_exists(team::BUCKET) {
        team::bucket(look, true);
    }
}

/// Kills a fresh S3-backed deploy at its `k`-th call; the operation held, if reached.
fn kill_at(emu: &Emulator, look: &Look, k: u64, how: Thaw) -> Option<String> {
    ensure_bucket(look);
    let n = format!("s{k}{}", if how == Thaw::Run { "r" } else { "d" });
    let context = format!("S3 state, killed at call {k} ({how:?})");
    let a = team::fixture(&n);
    let at = match kill_at_call(emu, k, how, || team::spawn_deploy(&a, emu), &context) {
        Killed::Finished(status) => {
            assert!(
                status.success(),
                "{context}: the deploy ended ({status}) before its call {k}"
            );
            return None;
        }
        Killed::At(at) => at,
    };
    let context = format!("{context}, at {at}");
    // Another folder takes over: the lock first, then the state.
    let b = team::fixture(&n);
    if let Some(held) = team::lock(look, &n) {
        let lock_id = held["lock_id"].as_str().expect("lock id").to_string();
        tool(&b, emu)
            .args(["force-unlock", "--yes"])
            .args(team::flags(&n))
            .arg(&lock_id)
            .assert()
            .code(0);
    }
    let again = if team::state(look, &n).is_some() {
        tool(&b, emu)
            .args(["--resume", "--no-verify"])
            .args(team::flags(&n))
            .output()
    } else {
        tool(&b, emu)
            .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
            .output()
    }
    .expect("take over");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{context}: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_one_of_each(emu, look, &n, &context);
    let recorded = team::ledger(look, &n);
    for (kind, count) in LEDGER_KINDS {
        assert_eq!(
            recorded.iter().filter(|(k, _)| k == kind).count(),
            count,
            "{context}: the ledger lists {count} {kind}: {recorded:?}"
        );
    }
    team::cleanup_from_elsewhere(emu, &n);
    assert_none_left(emu, look, &n, &context);
    assert_eq!(team::lock(look, &n), None, "{context}: no lock left");
    Some(at)
}

/// The calls of a fresh S3-backed deployment.
fn reference() -> u64 {
    let (emu, look) = lanes::emulator(98);
    ensure_bucket(&look);
    let before = emu.calls().len();
    let f = team::fixture("sref");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    let calls = u64::try_from(emu.calls().len() - before).expect("count");
    team::cleanup_from_elsewhere(&emu, "sref");
    calls
}

#[test]
fn an_s3_backed_deploy_killed_at_chosen_calls_is_finished_from_another_folder() {
    let _alone = crate::support::heavy();
    let calls = reference();
    assert!(calls >= 30, "a fresh S3-backed deployment makes {calls} calls");
    // The first six: the lock, the state's read, the bucket checks, the first save, the first
    // engine call. Then eight points spread over the rest.
    let mut points: Vec<u64> = (1..=6).collect();
    points.extend((1..=8).map(|i| 6 + i * (calls - 8) / 8));
    points.dedup();
    let work: Vec<(u64, Thaw)> = points
        .iter()
        .flat_map(|k| [(*k, Thaw::Drop), (*k, Thaw::Run)])
        .collect();
    let begun = Instant::now();
    let reached = lanes::run(work.clone(), |emu, look, (k, how)| kill_at(emu, look, k, how));
    let distinct: std::collections::BTreeSet<&str> = reached.iter().flatten().map(String::as_str).collect();
    for needed in ["PutObject", "GetObject"] {
        assert!(
            distinct.contains(needed),
            "a kill while the state's {needed} was held: {distinct:?}"
        );
    }
    eprintln!(
        "S3 crash campaign: {} kill points of {calls} calls ({:?}) x 2 outcomes, operations held: {distinct:?}, \
         {} finished first; all taken over from another folder to one of each and cleaned up to zero, \
         in {:.0} s over {} lanes",
        points.len(),
        points,
        reached.iter().filter(|r| r.is_none()).count(),
        begun.elapsed().as_secs_f64(),
        lanes::count()
    );
    assert_eq!(reached.len(), work.len());
}

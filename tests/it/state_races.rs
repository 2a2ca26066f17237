//! The S3 state under races and failures (issue 14): four deploys of one deployment at once, a
//! deploy killed halfway and taken over from another folder, a state written by someone else
//! under our lock, and every state call's answer lost once.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use crate::support::deployment::{assert_none_left, assert_one_of_each, tool};
use crate::support::emulator::{Emulator, FaultKind, FaultRule};
use crate::support::look::Look;
use crate::support::team;

/// An emulator behaving like the service (READY after `ready`) with the team's bucket.
fn service(ready: Duration) -> (Emulator, Look) {
    let (emu, look) = team::emulator(true);
    emu.behave_like_the_service(ready).expect("service behaviour");
    (emu, look)
}

/// Waits until `operation` has been called (a deploy is that far).
fn wait_for(emu: &Emulator, operation: &str, child: &mut std::process::Child) {
    let begun = Instant::now();
    while emu.call_count(operation) == 0 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the deploy ended ({status}) before {operation}");
        }
        assert!(begun.elapsed() < Duration::from_mins(1), "{operation} never came");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn four_deploys_of_one_deployment_at_once_make_one_stack() {
    let _alone = crate::support::heavy();
    let (emu, look) = service(Duration::from_millis(500));
    let n = "race4";
    let folders: Vec<_> = (0..4).map(|_| team::fixture(n)).collect();
    let children: Vec<_> = folders.iter().map(|f| team::spawn_deploy(f, &emu)).collect();
    let mut ran = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) => ran += 1,
            Some(2) => {
                assert!(stderr.contains("holds the lock"), "{stderr}");
                assert!(
                    stderr.contains("tester@") && stderr.contains("force-unlock"),
                    "{stderr}"
                );
            }
            other => panic!("exit {other:?}: {stderr}"),
        }
        assert!(
            folders.iter().all(|f| !f.path(".sre-agent-deploy").exists()),
            "no local state anywhere"
        );
    }
    assert!(ran >= 1, "one of them ran");
    // Whoever came after the first found everything made: one create of each.
    // (A CreateGateway refused while the new role was not assumable yet made nothing.)
    let calls = emu.calls();
    for create in [
        "CreateRole",
        "CreateUserPool",
        "CreateUserPoolClient",
        "CreateGateway",
    ] {
        let made = calls
            .iter()
            .filter(|c| c.operation == create && (200..300).contains(&c.status))
            .count();
        assert_eq!(made, 1, "{create}");
    }
    assert_one_of_each(&emu, &look, n, "after four concurrent deploys");
    assert_eq!(team::lock(&look, n), None, "every lock released");
    assert_eq!(team::state(&look, n).expect("state")["status"], "complete");
}

#[test]
fn a_killed_deploy_keeps_its_lock_until_force_unlock_then_another_folder_finishes_it() {
    let _alone = crate::support::heavy();
    let (emu, look) = service(Duration::from_secs(2));
    let n = "fail1";
    let a = team::fixture(n);
    let mut child = team::spawn_deploy(&a, &emu);
    wait_for(&emu, "CreateGateway", &mut child);
    let _ = child.kill(); // SIGKILL, halfway: the gateway is not READY yet
    let _ = child.wait();
    let held = team::lock(&look, n).expect("the lock stays");
    let lock_id = held["lock_id"].as_str().expect("lock id").to_string();

    let b = team::fixture(n);
    let resume = |f: &crate::support::Fixture| {
        tool(f, &emu)
            .args(["--resume", "--no-verify", "-c", "config.yaml"])
            .args(team::flags(n))
            .output()
            .expect("resume")
    };
    let refused = resume(&b);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&lock_id) && stderr.contains("tester@"),
        "{stderr}"
    );
    tool(&b, &emu)
        .args(["force-unlock", "--yes"])
        .args(team::flags(n))
        .arg(&lock_id)
        .assert()
        .code(0);
    let finished = resume(&b);
    assert_eq!(
        finished.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert_one_of_each(&emu, &look, n, "resumed from another folder");
    assert_eq!(team::ledger(&look, n).len(), 17, "{:?}", team::ledger(&look, n));

    team::cleanup_from_elsewhere(&emu, n);
    assert_none_left(&emu, &look, n, "cleaned up from a third folder");
    assert_eq!(team::lock(&look, n), None);
}

#[test]
fn a_state_written_under_our_lock_stops_the_run_and_is_kept() {
    let _alone = crate::support::heavy();
    let (emu, look) = service(Duration::from_secs(2));
    let n = "lost1";
    let a = team::fixture(n);
    let mut child = team::spawn_deploy(&a, &emu);
    wait_for(&emu, "CreateGateway", &mut child);
    let mut theirs = team::state(&look, n).expect("a state by now");
    theirs["outputs"]["written_by"] = "someone else".into();
    let theirs = serde_json::to_vec_pretty(&theirs).expect("JSON");
    team::put(&look, &team::state_key(n), &theirs);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("written by someone else"), "{stderr}");
    assert_eq!(
        team::object(&look, &team::state_key(n)).as_deref(),
        Some(theirs.as_slice()),
        "not overwritten, not even by the run's last save"
    );
    assert_eq!(team::lock(&look, n), None, "the lock is released");
}

#[test]
fn every_state_call_whose_answer_is_lost_is_recognised_as_ours() {
    let _alone = crate::support::heavy();
    let (emu, look) = team::emulator(false);
    let n = "lostans";
    let f = team::fixture(n);
    // The lock's create, the first saves, the state's first read and the lock's delete: each
    // runs, then its answer is lost, and the SDK's resend meets the call's own effect.
    for (operation, times) in [("PutObject", 4), ("GetObject", 1), ("DeleteObject", 1)] {
        emu.faults()
            .add_rule(FaultRule::times(operation, FaultKind::LoseResponse, times));
    }
    let out = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("deploy");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: bucket team-state has versioning off"),
        "a new deployment's bucket is checked: {stderr}"
    );
    assert!(emu.faults().counts().lose_response >= 6);
    assert_one_of_each(&emu, &look, n, "lost answers");
    assert_eq!(team::lock(&look, n), None, "the lock is released");
    assert_eq!(team::state(&look, n).expect("state")["status"], "complete");
    // Two racing conditional writes (S3's 409): the loser reads the lock and finds its holder.
    emu.faults()
        .add_rule(FaultRule::times("PutObject", FaultKind::ConditionalConflict, 1));
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    assert_eq!(team::lock(&look, n), None);
}

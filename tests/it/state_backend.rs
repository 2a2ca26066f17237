//! The state in S3 for a team (issue 14), through the binary against the emulator: a deploy from
//! one folder, a resume, a plan, a list and a cleanup from others with no local state; the lock
//! and `force-unlock`; bad backends refused with nothing half-done.
#![allow(clippy::disallowed_methods)]

use crate::support::deployment::{assert_none_left, assert_one_of_each, deploy_json, tool};
use crate::support::emulator::{Emulator, FaultKind, FaultRule};
use crate::support::look::Look;
use crate::support::team::{self, BACKEND};
use crate::support::{Fixture, json_output};

#[test]
fn a_team_deploys_here_and_resumes_plans_lists_and_cleans_up_elsewhere() {
    let _alone = crate::support::heavy();
    let (emu, look) = team::emulator(true);
    let n = "team1";
    let a = team::fixture(n);
    let before = emu.calls().len();
    let output = tool(&a, &emu)
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .env("USER", "alice")
        .output()
        .expect("deploy");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report = json_output(&output);
    assert_eq!(
        report["state_file"],
        format!("s3://team-state/sre/sre-e2e-{n}.json")
    );
    assert!(stderr.contains("versioning is on"), "{stderr}");
    assert!(
        stderr.contains("default encryption") || stderr.contains("no default encryption"),
        "{stderr}"
    );
    assert!(!a.path(".sre-agent-deploy").exists(), "no local state");
    assert_one_of_each(&emu, &look, n, "deployed with the state in S3");
    // Locking costs two calls; every save is one PutObject.
    assert_eq!(team::calls_on(&emu, before, "PutObject", &team::lock_key(n)), 1);
    assert_eq!(
        team::calls_on(&emu, before, "DeleteObject", &team::lock_key(n)),
        1
    );
    assert_eq!(team::calls_on(&emu, before, "GetObject", &team::lock_key(n)), 0);
    // One save per wave of creates (and the first and last): 14 steps in 9 to 12 saves.
    let saves = team::calls_on(&emu, before, "PutObject", &team::state_key(n));
    assert!((6..=12).contains(&saves), "{saves} saves");
    assert_eq!(team::lock(&look, n), None, "the lock is released");
    let state = team::state(&look, n).expect("the state is in S3");
    assert_eq!(state["status"], "complete");
    assert_eq!(state["last_run"]["operation"], "deploy");
    assert!(
        state["last_run"]["who"]
            .as_str()
            .is_some_and(|w| w.starts_with("alice@")),
        "{state}"
    );

    // Another checkout of the same config: the plan reads the shared state.
    let b = team::fixture(n);
    for command in ["plan", "drift"] {
        tool(&b, &emu)
            .args([command, "-c", "config.yaml", "--detailed-exitcode"])
            .assert()
            .code(0);
    }
    // `--resume` finds the shared state through the config file alone.
    tool(&b, &emu)
        .args(["--resume", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    assert!(!b.path(".sre-agent-deploy").exists(), "no local state");

    // A folder with nothing in it resumes (nothing to do) and lists.
    let (_c, mut resume) = team::bare(&emu);
    let before = emu.calls().len();
    resume
        .args(["--resume", "--no-verify"])
        .args(team::flags(n))
        .env("BACKEND_API_KEY", "test-backend-key")
        .assert()
        .code(0);
    assert_eq!(emu.call_count("CreateGateway"), 1, "resuming created nothing");
    assert_eq!(team::calls_on(&emu, before, "PutObject", &team::lock_key(n)), 1);
    // Nothing to do: the run's first save (in progress) and its last (complete).
    assert_eq!(team::calls_on(&emu, before, "PutObject", &team::state_key(n)), 2);
    let (_d, mut list) = team::bare(&emu);
    let listed = list
        .args(["list", "--output", "json"])
        .env("SRE_AGENT_DEPLOY_DEPLOYMENT_STATE_BACKEND", BACKEND)
        .output()
        .expect("list");
    assert_eq!(
        listed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let listed = json_output(&listed);
    let row = &listed["deployments"][0];
    assert_eq!(row["deployment_id"], format!("sre-e2e-{n}"), "{listed}");
    assert_eq!(row["status"], "complete");
    assert_eq!(row["last_operation"], "resume");
    assert!(
        row["gateway_url"].as_str().is_some_and(|u| u.starts_with("http")),
        "{row}"
    );
    assert!(row.get("locked_by").is_none(), "{row}");

    // A third folder cleans up.
    team::cleanup_from_elsewhere(&emu, n);
    assert_none_left(&emu, &look, n, "cleaned up from a third folder");
    assert_eq!(team::state(&look, n).expect("kept")["status"], "cleaned_up");
    assert_eq!(team::lock(&look, n), None);
}

/// A lock left by a run on another machine, `age_seconds` old.
fn stale_lock(look: &Look, n: &str, lock_id: &str) {
    let body = serde_json::json!({
        "lock_id": lock_id,
        "operation": "deploy",
        "who": "alice@ci-7",
        "pid": 4242,
        "created": "2026-01-01T00:00:00Z",
        "version": "0.1.0",
    });
    team::put(look, &team::lock_key(n), body.to_string().as_bytes());
}

#[test]
fn a_held_lock_names_its_holder_and_only_force_unlock_with_its_id_removes_it() {
    let _alone = crate::support::heavy();
    let (emu, look) = team::emulator(true);
    let n = "lock1";
    let id = "6f1c2a7e-0b3d-4e5f-8a9b-0c1d2e3f4a5b";
    stale_lock(&look, n, id);
    let f = team::fixture(n);
    let before = emu.calls().len();
    let refused = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("deploy");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    for needle in [
        "alice@ci-7",
        "pid 4242",
        "ago",
        &format!("sre-agent-deploy force-unlock --deployment-id sre-e2e-{n} --state-backend {BACKEND} {id}"),
    ] {
        assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    }
    let sent: Vec<String> = emu.calls()[before..]
        .iter()
        .map(|c| c.operation.clone())
        .collect();
    assert_eq!(sent, ["PutObject", "GetObject"], "nothing else happens");
    let untouched = team::lock(&look, n).expect("the lock stays");
    assert_eq!(untouched["lock_id"], id);

    let (_dir, mut no_yes) = team::bare(&emu);
    no_yes
        .args(["force-unlock"])
        .args(team::flags(n))
        .arg(id)
        .assert()
        .code(2);
    assert!(team::lock(&look, n).is_some(), "no terminal, no --yes: kept");
    let (_dir, mut wrong) = team::bare(&emu);
    let out = wrong
        .args(["force-unlock", "--yes"])
        .args(team::flags(n))
        .arg("00000000-0000-4000-8000-000000000000")
        .output()
        .expect("force-unlock");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(id),
        "names the lock held"
    );
    assert!(team::lock(&look, n).is_some(), "another id: kept");
    let (_dir, mut right) = team::bare(&emu);
    right
        .args(["force-unlock", "--yes"])
        .args(team::flags(n))
        .arg(id)
        .assert()
        .code(0);
    assert_eq!(team::lock(&look, n), None, "removed");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    assert_one_of_each(&emu, &look, n, "deployed once the lock was removed");

    // A lock object that is not ours is never taken over nor removed.
    team::put(&look, &team::lock_key(n), b"locked by the release pipeline");
    let foreign = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("deploy");
    assert_eq!(foreign.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&foreign.stderr).contains("not one sre-agent-deploy wrote"));
    assert_eq!(
        team::object(&look, &team::lock_key(n)).as_deref(),
        Some(&b"locked by the release pipeline"[..])
    );
}

#[test]
fn bad_backends_are_refused_clearly_and_nothing_is_half_done() {
    let _alone = crate::support::heavy();
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let n = "bad1";
    let f = team::fixture(n);
    let deploy = |f: &Fixture| {
        let out = tool(f, &emu)
            .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
            .output()
            .expect("deploy");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // No bucket yet.
    let (code, stderr) = deploy(&f);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("NoSuchBucket") && stderr.contains("create the bucket"),
        "{stderr}"
    );
    assert_eq!(emu.call_count("CreateRole"), 0, "nothing created");

    team::bucket(&look, false);
    // No permission to write.
    emu.faults()
        .add_rule(FaultRule::times("PutObject", FaultKind::AccessDenied, 1));
    let (code, stderr) = deploy(&f);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("s3:PutObject") && stderr.contains("s3:ListBucket"),
        "{stderr}"
    );
    assert_eq!(emu.call_count("CreateRole"), 0, "nothing created");

    // A URL that is not s3://bucket/prefix, from the config and from a flag.
    let bad = Fixture::with_config(&team::config_in_backend(n).replace(BACKEND, "team-state/sre"));
    let out = deploy_json(&bad, &emu);
    assert_eq!(out.status.code(), Some(1));
    assert!(json_output(&out).to_string().contains("deployment.state_backend"));
    let (_dir, mut resume) = team::bare(&emu);
    let out = resume
        .args([
            "--resume",
            "--deployment-id",
            "sre-e2e-bad1",
            "--state-backend",
            "https://team-state/sre",
        ])
        .output()
        .expect("resume");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("s3://BUCKET/PREFIX"));

    // Corrupt and newer states are refused, never overwritten, and the lock is let go.
    for (body, says) in [
        (&b"{not json"[..], "corrupt"),
        (br#"{"schema_version": 99}"#, "newer than this build reads"),
    ] {
        team::put(&look, &team::state_key(n), body);
        let (code, stderr) = deploy(&f);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stderr.contains(says), "{says}: {stderr}");
        assert_eq!(
            team::object(&look, &team::state_key(n)).as_deref(),
            Some(body),
            "untouched"
        );
        assert_eq!(team::lock(&look, n), None, "the lock is released");
    }
    assert_eq!(emu.call_count("CreateRole"), 0, "nothing created");

    // A backend needs the deployment id to find the state by.
    let no_id = Fixture::with_config(
        &team::config_in_backend(n).replace(&format!("  deployment_id: sre-e2e-{n}\n"), ""),
    );
    let out = tool(&no_id, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("deploy");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("deployment_id"));
}

//! The engine against the service's real behaviour, which moto is kinder about (READY seen within
//! a poll and a role not assumable at once are in `timing`): answers lost after the call ran on
//! the creates that could make twins,
//! twins and stray tagged resources (deleted on a re-run and by cleanup's sweep), and a state
//! file that cannot be written (the run stops, clearly, and resumes once it can).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::print_stderr)] // a note when the full-disk part cannot run

use std::time::Duration;

use crate::support::deployment::{
    assert_none_left, assert_one_of_each, deploy_ok, fixture, ledger, spawn_deploy, tool,
};
use crate::support::emulator::{Emulator, FaultKind, FaultRule, Thaw};
use crate::support::json_output;
use crate::support::look::Look;
use aws_sdk_iam::types::Tag as IamTag;

const TAG: &str = "sre-agent-deploy:deployment-id";

#[test]
fn a_fresh_deploy_makes_no_more_than_27_calls() {
    let emu = Emulator::start().expect("emulator");
    let f = fixture("n");
    let (report, _) = deploy_ok(&f, &emu);
    let calls = report["calls"].as_u64().expect("calls");
    assert_eq!(
        calls,
        emu.calls().len() as u64,
        "the report counts every call, the account check included"
    );
    assert!(calls <= 27, "a fresh deployment makes {calls} calls");
    assert_eq!(
        emu.call_count("GetGatewayTarget"),
        0,
        "targets are read from listings"
    );
}

#[test]
fn creates_that_could_make_twins_are_never_resent_blindly() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    // Answers lost after the call ran, a throttle, and a 500 that did not run.
    emu.faults()
        .add_rule(FaultRule::times("CreateUserPool", FaultKind::LoseResponse, 1));
    emu.faults().add_rule(FaultRule::times(
        "CreateUserPoolClient",
        FaultKind::LoseResponse,
        1,
    ));
    emu.faults().add_rule(FaultRule::times(
        "CreateResourceServer",
        FaultKind::LoseResponse,
        1,
    ));
    let f = fixture("w");
    let (_, stderr) = deploy_ok(&f, &emu);
    assert_one_of_each(&emu, &look, "w", "lost answers");
    // The SDK did not resend them: each was sent once, then looked up and adopted.
    assert_eq!(emu.call_count("CreateUserPool"), 1, "{stderr}");
    assert_eq!(emu.call_count("CreateUserPoolClient"), 1, "{stderr}");
    assert!(stderr.contains("adopted Cognito user pool"), "{stderr}");
    assert!(stderr.contains("adopted Cognito app client"), "{stderr}");

    let g = fixture("w2");
    emu.faults()
        .add_rule(FaultRule::times("CreateUserPool", FaultKind::Throttle, 1));
    emu.faults().add_rule(FaultRule::times(
        "CreateUserPoolClient",
        FaultKind::ServerError(500),
        1,
    ));
    emu.clear_calls();
    let (_, stderr) = deploy_ok(&g, &emu);
    assert_one_of_each(&emu, &look, "w2", "a throttle and a 500");
    assert!(stderr.contains("sending it again"), "{stderr}");
    assert!(
        stderr.contains("looking for what it may have made before sending it again"),
        "{stderr}"
    );
    assert_eq!(
        emu.call_count("CreateUserPool"),
        2,
        "a throttled create is sent again"
    );
    assert_eq!(
        emu.call_count("CreateUserPoolClient"),
        2,
        "a failed create is looked for, then sent again"
    );
    for (n, fixture) in [("w", &f), ("w2", &g)] {
        tool(fixture, &emu)
            .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
            .assert()
            .code(0);
        assert_none_left(&emu, &look, n, "cleanup");
    }
}

/// Resources of deployment `n` made behind its back: a twin pool and a twin client (same names,
/// its tag), a stray tagged role, and same-named pools that are untagged or another's.
fn strays(look: &Look, n: &str, pool: &str) -> (String, String) {
    let pool_name = format!("sre-agent-sre-e2e-{n}");
    let ours = format!("sre-e2e-{n}");
    look.rt.block_on(async {
        let twin = look
            .cognito()
            .create_user_pool()
            .pool_name(&pool_name)
            .user_pool_tags(TAG, &ours)
            .send()
            .await
            .expect("twin pool");
        let twin_pool = twin.user_pool().and_then(|p| p.id()).expect("id").to_string();
        look.cognito()
            .create_user_pool()
            .pool_name(&pool_name)
            .user_pool_tags(TAG, format!("{ours}-other"))
            .send()
            .await
            .expect("another's pool");
        look.cognito()
            .create_user_pool()
            .pool_name(&pool_name)
            .send()
            .await
            .expect("untagged pool");
        let client = look
            .cognito()
            .create_user_pool_client()
            .user_pool_id(pool)
            .client_name(format!("sre-agent-sre-e2e-{n}-client"))
            .send()
            .await
            .expect("twin client");
        look.iam()
            .create_role()
            .role_name(format!("SreStray{n}"))
            .assume_role_policy_document("{}")
            .tags(IamTag::builder().key(TAG).value(&ours).build().expect("tag"))
            .send()
            .await
            .expect("stray role");
        let twin_client = client
            .user_pool_client()
            .and_then(|c| c.client_id())
            .expect("id")
            .to_string();
        (twin_pool, twin_client)
    })
}

#[test]
fn twins_are_deleted_on_a_rerun_and_cleanup_sweeps_by_tag() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let n = "s";
    let f = fixture(n);
    deploy_ok(&f, &emu);
    let pool = look.pools_named(&format!("sre-agent-sre-e2e-{n}"))[0].clone();
    let (twin_pool, twin_client) = strays(&look, n, &pool);
    assert_eq!(look.pools_named(&format!("sre-agent-sre-e2e-{n}")).len(), 4);

    let (_, stderr) = deploy_ok(&f, &emu);
    assert!(
        stderr.contains(&format!("deleted Cognito user pool {twin_pool}")),
        "says so: {stderr}"
    );
    assert!(
        stderr.contains(&format!("deleted Cognito app client {twin_client}")),
        "says so: {stderr}"
    );
    let pools = look.pools_named(&format!("sre-agent-sre-e2e-{n}"));
    assert!(
        pools.contains(&pool) && !pools.contains(&twin_pool),
        "kept the ledger's pool"
    );
    assert_eq!(
        pools.len(),
        3,
        "the untagged and another's pools of that name are untouched"
    );
    assert_eq!(look.clients(&pool).len(), 1, "one client");

    // Cleanup deletes the stray tagged role too: the tag, not the ledger, says what is ours.
    let cleanup = tool(&f, &emu)
        .args([
            "--cleanup",
            "--deployment-id",
            &format!("sre-e2e-{n}"),
            "--yes",
            "--output",
            "json",
        ])
        .output()
        .expect("cleanup");
    assert_eq!(
        cleanup.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cleanup.stderr)
    );
    let report = json_output(&cleanup);
    let stray = report["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == format!("SreStray{n}"))
        .expect("the stray role is in the report");
    assert_eq!(stray["found_by_tag"], true);
    assert_eq!(stray["outcome"]["result"], "deleted");
    assert!(!look.role_exists(&format!("SreStray{n}")));
    assert_eq!(
        look.pools_named(&format!("sre-agent-sre-e2e-{n}")).len(),
        2,
        "the untagged and another's pools survive cleanup"
    );
}

/// The disk that holds a fixture's state folder, made to fail writes on demand: a small tmpfs
/// filled for real (root can mount one), or, where mounting is not allowed, the folder swapped
/// for a file while a run has the state open.
enum Disk {
    Tmpfs {
        dir: std::path::PathBuf,
        filler: std::path::PathBuf,
    },
    Swapped {
        dir: std::path::PathBuf,
        stash: tempfile::TempDir,
    },
}

impl Disk {
    fn new(dir: &std::path::Path) -> Self {
        std::fs::create_dir_all(dir).expect("state folder");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if mounted {
            Self::Tmpfs {
                dir: dir.to_path_buf(),
                filler: dir.join("filler"),
            }
        } else {
            Self::Swapped {
                dir: dir.to_path_buf(),
                stash: tempfile::tempdir().expect("stash"),
            }
        }
    }

    fn is_full_for_real(&self) -> bool {
        matches!(self, Self::Tmpfs { .. })
    }

    /// Makes writes fail; returns the error the tool must report.
    fn fill(&self) -> &'static str {
        match self {
            Self::Tmpfs { filler, .. } => {
                use std::io::Write as _;
                let mut file = std::fs::File::create(filler).expect("filler");
                let block = vec![0u8; 4096];
                while file.write_all(&block).is_ok() {}
                "No space left on device"
            }
            Self::Swapped { dir, stash } => {
                for entry in std::fs::read_dir(dir).expect("state folder").flatten() {
                    std::fs::copy(entry.path(), stash.path().join(entry.file_name())).expect("stash");
                }
                std::fs::remove_dir_all(dir).expect("remove the folder");
                std::fs::write(dir, "").expect("a file where the folder was");
                "Not a directory"
            }
        }
    }

    fn free(&self) {
        match self {
            Self::Tmpfs { filler, .. } => std::fs::remove_file(filler).expect("free the disk"),
            Self::Swapped { dir, stash } => {
                std::fs::remove_file(dir).expect("the file");
                std::fs::create_dir(dir).expect("the folder");
                for entry in std::fs::read_dir(stash.path()).expect("stash").flatten() {
                    std::fs::rename(entry.path(), dir.join(entry.file_name())).expect("restore");
                }
            }
        }
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        if let Self::Tmpfs { dir, .. } = self {
            let _ = std::process::Command::new("umount").arg(dir).status();
        }
    }
}

#[test]
fn a_full_disk_stops_the_run_with_the_resume_command_and_resume_finishes() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let n = "d";
    let f = fixture(n);
    let disk = Disk::new(&f.path(".sre-agent-deploy"));
    // Hold the deploy at its 6th call, fill the disk, let the call answer: the next ledger save
    // fails, and the run must stop there.
    emu.faults().freeze_at(6);
    let child = spawn_deploy(&f, &emu);
    let begun = std::time::Instant::now();
    while emu.faults().held() == 0 {
        assert!(begun.elapsed() < Duration::from_mins(1), "call 6 never came");
        std::thread::sleep(Duration::from_millis(2));
    }
    let cause = disk.fill();
    emu.faults().thaw(Thaw::Pass);
    let output = child.wait_with_output().expect("deploy");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(cause), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "sre-agent-deploy --resume --state-file .sre-agent-deploy/sre-e2e-{n}.json"
        )),
        "the resume command: {stderr}"
    );
    let held_and_after = emu.calls().len();
    disk.free();
    tool(&f, &emu)
        .args([
            "--resume",
            "--no-verify",
            "--state-file",
            &format!(".sre-agent-deploy/sre-e2e-{n}.json"),
        ])
        .assert()
        .code(0);
    assert!(emu.calls().len() > held_and_after);
    assert_one_of_each(&emu, &look, n, "resumed after the disk was freed");
    assert!(ledger(&f, n).len() >= 17, "the ledger lists everything");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.path(&format!(".sre-agent-deploy/sre-e2e-{n}.json"))).expect("state"),
    )
    .expect("json");
    assert_eq!(state["status"], "complete");
    assert!(
        state["steps"]
            .as_object()
            .expect("steps")
            .values()
            .all(|s| s["status"] == "done"),
        "no step says running after a finished deploy: {}",
        state["steps"]
    );

    // A re-run on a full disk fails before it calls AWS; it never reports success over a state
    // file it could not write. (Only a real disk can be full when the run opens its state.)
    if !disk.is_full_for_real() {
        eprintln!("no tmpfs could be mounted (not root?): the full-disk re-run and cleanup were not tried");
        tool(&f, &emu)
            .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
            .assert()
            .code(0);
        assert_none_left(&emu, &look, n, "cleanup");
        return;
    }
    let state_path = f.path(&format!(".sre-agent-deploy/sre-e2e-{n}.json"));
    let before = std::fs::read(&state_path).expect("state");
    disk.fill();
    emu.clear_calls();
    let rerun = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("rerun");
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert_eq!(rerun.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("No space left on device") && stderr.contains("free space"),
        "{stderr}"
    );
    assert!(stderr.contains("--resume"), "{stderr}");
    assert_eq!(emu.calls().len(), 0, "nothing was sent");
    assert_eq!(
        std::fs::read(&state_path).expect("state"),
        before,
        "the state file is untouched"
    );

    // Cleanup on a full disk stops at the first deletion it cannot record, and says so.
    let cleanup = tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
        .output()
        .expect("cleanup");
    let stderr = String::from_utf8_lossy(&cleanup.stderr);
    assert_eq!(cleanup.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("No space left on device") && stderr.contains("free space"),
        "{stderr}"
    );
    assert_eq!(
        emu.call_count("DeleteGatewayTarget"),
        1,
        "it stopped after one deletion"
    );
    disk.free();
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
        .assert()
        .code(0);
    assert_none_left(&emu, &look, n, "cleanup");
}

#[test]
fn a_gateway_update_waits_for_a_new_role_and_through_updating() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let n = "u";
    let f = fixture(n);
    deploy_ok(&f, &emu);
    let gateway = look.gateways_named(&format!("sre-gw-{n}"))[0].clone();

    // A new role for the gateway: the update waits for IAM, then for the gateway to finish it.
    // Long enough that the first CreateGateway comes within it even when the machine is busy.
    emu.set_role_propagation(Duration::from_millis(2500));
    emu.set_update_time(Duration::from_millis(1200));
    f.write(
        "config.yaml",
        &crate::support::deployment::config(n)
            .replace(&format!("SreGatewayRole{n}"), &format!("SreGatewayRole{n}New")),
    );
    let output = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml", "--yes"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("not assumable yet"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "waiting for gateway sre-gw-{n} to be READY: it is UPDATING"
        )),
        "{stderr}"
    );
    assert_eq!(
        look.gateways_named(&format!("sre-gw-{n}")),
        std::slice::from_ref(&gateway),
        "updated in place"
    );
    let role_arn = look
        .rt
        .block_on(look.agentcore().get_gateway().gateway_identifier(&gateway).send())
        .expect("gateway")
        .role_arn()
        .unwrap_or_default()
        .to_string();
    assert!(
        role_arn.ends_with(&format!("/SreGatewayRole{n}New")),
        "{role_arn}"
    );

    // Cleanup deletes both roles; the first one's inline policy is found by its tag.
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
        .assert()
        .code(0);
    assert!(!look.role_exists(&format!("SreGatewayRole{n}New")));
    assert_none_left(&emu, &look, n, "cleanup");
}

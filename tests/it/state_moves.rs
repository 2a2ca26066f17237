//! Moving states and seeing them all (issue 14): `state push` of a local state into S3 (the
//! local file kept as a backup, a second push refused), `state pull` for inspection, and `list`
//! with `--discover` finding a deployment whose state is gone.
#![allow(clippy::disallowed_methods)]

use crate::support::deployment::{assert_none_left, fixture, tool};
use crate::support::json_output;
use crate::support::team::{self, BACKEND};

#[test]
fn a_local_state_is_pushed_once_pulled_back_and_cleaned_up_from_the_backend() {
    let _alone = crate::support::heavy();
    let (emu, look) = team::emulator(true);
    let n = "push1";
    let f = fixture(n);
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    let local = format!(".sre-agent-deploy/sre-e2e-{n}.json");
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path(&local)).expect("local state")).expect("JSON");

    let push = || {
        tool(&f, &emu)
            .args([
                "state",
                "push",
                "--deployment-id",
                &format!("sre-e2e-{n}"),
                "--to",
                BACKEND,
            ])
            .output()
            .expect("push")
    };
    let pushed = push();
    let stdout = String::from_utf8_lossy(&pushed.stdout);
    assert_eq!(
        pushed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    assert!(stdout.contains(".pushed") && stdout.contains(BACKEND), "{stdout}");
    assert!(!f.path(&local).exists(), "moved away");
    assert!(f.path(&format!("{local}.pushed")).exists(), "the backup is left");
    let remote = team::state(&look, n).expect("in the backend");
    assert_eq!(remote["ledger"], ours["ledger"]);
    assert_eq!(remote["created_at"], ours["created_at"]);
    assert_eq!(team::lock(&look, n), None);

    // Pushing again (the backup put back) is refused: the backend keeps its state.
    std::fs::copy(f.path(&format!("{local}.pushed")), f.path(&local)).expect("restore");
    let before = team::object(&look, &team::state_key(n));
    let again = push();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a state"));
    assert_eq!(team::object(&look, &team::state_key(n)), before, "untouched");
    assert!(f.path(&local).exists(), "the local file stays where it was");

    let (dir, mut pull) = team::bare(&emu);
    pull.args(["state", "pull", "--out", "copy.json"])
        .args(team::flags(n))
        .assert()
        .code(0);
    let copy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("copy.json")).expect("copy"))
            .expect("JSON");
    assert_eq!(copy["deployment_id"], format!("sre-e2e-{n}"));
    assert_eq!(copy["ledger"], remote["ledger"]);

    team::cleanup_from_elsewhere(&emu, n);
    assert_none_left(&emu, &look, n, "cleaned up through the backend");
}

#[test]
fn list_shows_the_backends_deployments_and_discover_finds_the_stateless_ones() {
    let _alone = crate::support::heavy();
    let (emu, look) = team::emulator(true);
    // One deployment in the backend, one whose local state was lost.
    let shared = team::fixture("list1");
    tool(&shared, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    let orphan = fixture("list2");
    tool(&orphan, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    std::fs::remove_dir_all(orphan.path(".sre-agent-deploy")).expect("lose the state");

    let (_dir, mut list) = team::bare(&emu);
    let out = list
        .args([
            "list",
            "--discover",
            "--state-backend",
            BACKEND,
            "--output",
            "json",
        ])
        .output()
        .expect("list");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = json_output(&out);
    let ids: Vec<&str> = listing["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .filter_map(|d| d["deployment_id"].as_str())
        .collect();
    assert_eq!(ids, ["sre-e2e-list1"]);
    let stateless = listing["without_state"].as_array().expect("discovered");
    assert_eq!(stateless.len(), 1, "{listing}");
    assert_eq!(stateless[0]["deployment_id"], "sre-e2e-list2");
    assert_eq!(stateless[0]["resources"]["AgentCore gateway"], 1, "{listing}");
    assert_eq!(stateless[0]["resources"]["gateway target"], 4, "{listing}");
    let cleanup = stateless[0]["cleanup"].as_str().expect("the command");
    assert!(cleanup.starts_with("sre-agent-deploy --cleanup --deployment-id sre-e2e-list2"));

    // Its text form, and the local listing.
    let (_dir, mut text) = team::bare(&emu);
    let out = text
        .args(["list", "--state-backend", BACKEND])
        .output()
        .expect("list");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sre-e2e-list1") && text.contains("complete") && text.contains("deploy"),
        "{text}"
    );
    // Without a flag, the config file's backend; without one there, the local state files.
    let listed = |f: &crate::support::Fixture| {
        let out = tool(f, &emu)
            .args(["list", "--output", "json"])
            .output()
            .expect("list");
        json_output(&out)["deployments"].as_array().map(Vec::len)
    };
    assert_eq!(listed(&shared), Some(1), "the backend of the config file");
    assert_eq!(listed(&orphan), Some(0), "no local state left there");

    tool(&orphan, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-list2", "--yes"])
        .assert()
        .code(0);
    assert_none_left(&emu, &look, "list2", "the stateless one, cleaned up by tag");
}

//! A team's state backend in the emulator: the bucket, fixtures whose config keeps the state
//! there, and looks at the state and lock objects behind the tool's back.

use std::process::{Command, Stdio};

use super::Fixture;
use super::deployment::config;
use super::emulator::Emulator;
use super::look::Look;

pub const BUCKET: &str = "team-state";
pub const BACKEND: &str = "s3://team-state/sre";

/// The team's state bucket, versioned unless `versioned` is false.
pub fn bucket(look: &Look, versioned: bool) {
    let s3 = look.s3();
    look.rt.block_on(async {
        s3.create_bucket()
            .bucket(BUCKET)
            .send()
            .await
            .expect("state bucket");
        if versioned {
            s3.put_bucket_versioning()
                .bucket(BUCKET)
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .expect("versioning");
        }
    });
}

/// The config of deployment `n` with its state in the team's backend.
pub fn config_in_backend(n: &str) -> String {
    format!("{}  state_backend: {BACKEND}\n", config(n))
}

pub fn fixture(n: &str) -> Fixture {
    Fixture::with_config(&config_in_backend(n))
}

pub fn state_key(n: &str) -> String {
    format!("sre/sre-e2e-{n}.json")
}

pub fn lock_key(n: &str) -> String {
    format!("sre/sre-e2e-{n}.lock")
}

/// An object's body, if it exists.
pub fn object(look: &Look, key: &str) -> Option<Vec<u8>> {
    let s3 = look.s3();
    look.rt.block_on(async {
        let got = s3.get_object().bucket(BUCKET).key(key).send().await.ok()?;
        Some(got.body.collect().await.expect("body").into_bytes().to_vec())
    })
}

/// Writes an object unconditionally (someone else's write).
pub fn put(look: &Look, key: &str, body: &[u8]) {
    let s3 = look.s3();
    look.rt.block_on(async {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body.to_vec().into())
            .send()
            .await
            .expect("put");
    });
}

/// The state object of deployment `n`, parsed.
pub fn state(look: &Look, n: &str) -> Option<serde_json::Value> {
    object(look, &state_key(n)).map(|b| serde_json::from_slice(&b).expect("state JSON"))
}

/// The lock object of deployment `n`, parsed.
pub fn lock(look: &Look, n: &str) -> Option<serde_json::Value> {
    object(look, &lock_key(n)).map(|b| serde_json::from_slice(&b).expect("lock JSON"))
}

/// The present ledger entries (kind, name) of the state in the backend.
pub fn ledger(look: &Look, n: &str) -> Vec<(String, String)> {
    super::deployment::present_entries(&state(look, n).expect("a state in the backend"))
}

/// An emulator with the team's bucket (versioned or not).
pub fn emulator(versioned: bool) -> (Emulator, Look) {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    bucket(&look, versioned);
    (emu, look)
}

/// Calls of `operation` on `key` of the state bucket since call `from`.
pub fn calls_on(emu: &Emulator, from: usize, operation: &str, key: &str) -> usize {
    let path = format!("/{BUCKET}/{key}");
    emu.calls()[from..]
        .iter()
        .filter(|c| c.operation == operation && c.path == path)
        .count()
}

/// The binary in an empty folder (no config, no local state), pointed at the emulator.
pub fn bare(emu: &Emulator) -> (tempfile::TempDir, assert_cmd::Command) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = assert_cmd::Command::cargo_bin("sre-agent-deploy").expect("binary");
    cmd.current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(emu.env())
        .timeout(std::time::Duration::from_mins(2));
    (dir, cmd)
}

/// `--cleanup --yes` of deployment `n` from an empty folder, through the backend alone; must pass.
pub fn cleanup_from_elsewhere(emu: &Emulator, n: &str) {
    let (_dir, mut cleanup) = bare(emu);
    cleanup
        .args(["--cleanup", "--yes"])
        .args(flags(n))
        .assert()
        .code(0);
}

/// `--resume`, `--cleanup` and the state commands' flags for deployment `n` in the backend.
pub fn flags(n: &str) -> Vec<String> {
    vec![
        "--deployment-id".into(),
        format!("sre-e2e-{n}"),
        "--state-backend".into(),
        BACKEND.into(),
    ]
}

/// A deploy of `fixture` in the background, with its JSON report on stdout and progress on stderr.
pub fn spawn_deploy(f: &Fixture, emu: &Emulator) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin("sre-agent-deploy"))
        .current_dir(f.dir.path())
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BACKEND_API_KEY", "test-backend-key")
        .env("USER", "tester")
        .envs(emu.env())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

//! Hostile state files: truncated, corrupted, hand-edited (an unknown value, another deployment's
//! file) and from a future version. Deploy, `--resume` and `--cleanup` each refuse them with a
//! message naming the file and what to do, leave the file byte for byte as it was, and send no
//! AWS call at all, so nothing is applied in part.
#![allow(clippy::disallowed_methods)]

use crate::support::deployment::{fixture, tool};
use crate::support::emulator::Emulator;

#[test]
fn damaged_state_files_are_refused_untouched_and_nothing_is_applied() {
    let emu = Emulator::start().expect("emulator");
    let f = fixture("h");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    let path = ".sre-agent-deploy/sre-e2e-h.json";
    let good = std::fs::read_to_string(f.path(path)).expect("state");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            good.as_bytes()[..good.len() / 2].to_vec(),
            "is corrupt",
        ),
        (
            "corrupted",
            b"\x00\xff\xfe garbage \x1b[2J".to_vec(),
            "is corrupt",
        ),
        (
            "hand-edited status",
            good.replacen("\"status\": \"complete\"", "\"status\": \"exploded\"", 1)
                .into_bytes(),
            "is corrupt",
        ),
        (
            "hand-edited ledger kind",
            good.replacen("\"kind\": \"iam-role\"", "\"kind\": \"lambda-function\"", 1)
                .into_bytes(),
            "is corrupt",
        ),
        (
            "another deployment's file",
            good.replace(
                "\"deployment_id\": \"sre-e2e-h\"",
                "\"deployment_id\": \"sre-e2e-zz\"",
            )
            .into_bytes(),
            "sre-e2e-zz",
        ),
        (
            "future version",
            good.replacen("\"schema_version\": 1", "\"schema_version\": 99", 1)
                .into_bytes(),
            "newer",
        ),
    ];
    for (case, bytes, says) in cases {
        assert!(bytes != good.as_bytes(), "{case}: the edit applied");
        std::fs::write(f.path(path), &bytes).expect("write");
        for args in [
            vec!["--non-interactive", "--no-verify", "-c", "config.yaml"],
            vec!["--resume", "--no-verify", "--state-file", path],
            vec![
                "--cleanup",
                "--deployment-id",
                "sre-e2e-h",
                "--state-file",
                path,
                "--yes",
            ],
        ] {
            emu.clear_calls();
            let output = tool(&f, &emu).args(&args).output().expect("run");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let mode = args[0];
            assert_eq!(output.status.code(), Some(2), "{case}, {mode}: exit 2\n{stderr}");
            assert!(stderr.contains(says), "{case}, {mode}: says {says:?}:\n{stderr}");
            assert!(
                stderr.contains("sre-e2e-h.json"),
                "{case}, {mode}: names the file:\n{stderr}"
            );
            assert!(
                stderr.contains("fix:"),
                "{case}, {mode}: says what to do:\n{stderr}"
            );
            assert!(
                std::fs::read(f.path(path)).expect("read") == bytes,
                "{case}, {mode}: the file is left as it was"
            );
            let writes: Vec<String> = emu
                .calls()
                .into_iter()
                .map(|c| c.operation)
                .filter(|op| {
                    ["Create", "Put", "Update", "Delete", "Tag"]
                        .iter()
                        .any(|w| op.starts_with(w))
                })
                .collect();
            assert!(
                writes.is_empty(),
                "{case}, {mode}: nothing applied, yet {writes:?}"
            );
        }
    }
}

//! Secret-leak scan: a full deploy (with its verification), a second deploy and `verify` with
//! JSON output, `--validate-only --online` and a cleanup run with known secret values: the
//! backend API key, the Cognito client secret the deployment's app client got, and every access
//! token the token endpoint issued. Every file under the working folder (state, lock, reports, the
//! `--prometheus` metrics file) and everything each command printed must hold none of them, nor a
//! token's signature.
#![allow(clippy::disallowed_methods)]

use crate::support::emulator::Emulator;
use crate::support::look::Look;
use crate::support::tls_servers::Backends;
use crate::support::{Fixture, loopback_config};

const API_KEY: &str = "scan-api-key-4f9c2b7e1d";

/// Every file below `dir`, with its path.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).expect("read file")));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn no_secret_value_is_written_or_printed() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::new();
    let backends = Backends::serve(f.dir.path(), 2, 200);
    f.write("config.yaml", &loopback_config("scan", &emu, &backends));
    let run = |args: &[&str]| {
        let output = f
            .cmd()
            .envs(emu.env())
            .env("BACKEND_API_KEY", API_KEY)
            .args(args)
            .timeout(std::time::Duration::from_mins(2))
            .output()
            .expect("run");
        let mut printed = output.stdout.clone();
        printed.extend_from_slice(&output.stderr);
        (args.join(" "), output.status.code(), printed)
    };
    let printed = vec![
        run(&[
            "--non-interactive",
            "-c",
            "config.yaml",
            "--call-tool",
            "k8s-api___getPodStatus",
        ]),
        run(&["--non-interactive", "-c", "config.yaml", "--output", "json"]),
        run(&["verify", "-c", "config.yaml", "--output", "json"]),
        run(&["verify", "-c", "config.yaml", "--prometheus", "metrics.prom"]),
        run(&[
            "--validate-only",
            "--online",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ]),
    ];
    for (command, code, _) in &printed {
        assert_eq!(*code, Some(0), "{command}");
    }
    // The secrets the runs handled: the client secret Cognito gave the deployment's app client,
    // and the tokens issued to it (and their signatures, which a tampered token reuses).
    let look = Look::new(&emu);
    let client_secret = look.rt.block_on(async {
        let pools = look
            .cognito()
            .list_user_pools()
            .max_results(60)
            .send()
            .await
            .expect("pools");
        let pool = pools.user_pools()[0].id().expect("pool id").to_string();
        let clients = look
            .cognito()
            .list_user_pool_clients()
            .user_pool_id(&pool)
            .send()
            .await
            .expect("clients");
        let client = clients.user_pool_clients()[0]
            .client_id()
            .expect("client id")
            .to_string();
        look.cognito()
            .describe_user_pool_client()
            .user_pool_id(&pool)
            .client_id(&client)
            .send()
            .await
            .expect("client")
            .user_pool_client()
            .and_then(|c| c.client_secret())
            .expect("a client secret")
            .to_string()
    });
    let tokens = emu.issued_tokens();
    assert!(
        tokens.len() >= 3,
        "the verifications fetched tokens: {}",
        tokens.len()
    );
    let mut secrets = vec![("the backend API key".to_string(), API_KEY.to_string())];
    secrets.push(("the Cognito client secret".into(), client_secret));
    for (i, token) in tokens.iter().enumerate() {
        secrets.push((format!("token {i}"), token.clone()));
        let signature = token.rsplit('.').next().unwrap_or_default().to_string();
        secrets.push((format!("token {i}'s signature"), signature));
    }
    let cleanup = run(&["--cleanup", "--deployment-id", "sre-scan", "--yes"]);
    assert_eq!(cleanup.1, Some(0), "cleanup");

    let written = files(f.dir.path());
    let reports = written
        .iter()
        .filter(|(p, _)| p.to_string_lossy().contains("reports"))
        .count();
    assert!(reports >= 4, "the reports were written and are scanned too");
    assert!(
        written.iter().any(|(p, _)| p.ends_with("metrics.prom")),
        "the metrics file was written and is scanned too"
    );
    let mut leaks = Vec::new();
    for (what, value) in &secrets {
        for (path, bytes) in &written {
            if contains(bytes, value) {
                leaks.push(format!("{what} in {}", path.display()));
            }
        }
        for (command, _, output) in printed.iter().chain(std::iter::once(&cleanup)) {
            if contains(output, value) {
                leaks.push(format!("{what} in the output of `{command}`"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "secret values leaked ({} files and {} outputs scanned):\n{}",
        written.len(),
        printed.len() + 1,
        leaks.join("\n")
    );
}

/// The keys of `tls.acme`: the certificate's private key (the one in place and the one backed
/// up) and the ACME account's key. A deploy that obtains the certificate over DNS-01, `certificate
/// renew --force` (verbose: the AWS call trace too), `verify --offline` and a cleanup: each key
/// lives only in its own file (mode 0600), never in the state, a report or anything printed.
#[test]
fn no_acme_key_is_written_or_printed() {
    use std::os::unix::fs::PermissionsExt as _;
    let pebble = crate::support::pebble::Pebble::start().expect("pebble");
    let (emu, _look, zone) = crate::support::acme_fixtures::route53_for(&pebble);
    let f = crate::support::acme_fixtures::deploy_fixture(&pebble, "scanacme", Some(&zone));
    let run = |args: &[&str]| {
        let output = crate::support::deployment::tool(&f, &emu)
            .args(args)
            .output()
            .expect("run");
        let mut printed = output.stdout.clone();
        printed.extend_from_slice(&output.stderr);
        (args.join(" "), output.status.code(), printed)
    };
    let mut printed = vec![
        run(&["--non-interactive", "--no-verify", "-c", "config.yaml"]),
        run(&["certificate", "renew", "--force", "-v", "-c", "config.yaml"]),
        run(&["verify", "--offline", "-c", "config.yaml", "--output", "json"]),
    ];
    printed.push(run(&[
        "--cleanup",
        "--deployment-id",
        "sre-e2e-scanacme",
        "--yes",
    ]));
    for (command, code, output) in &printed {
        assert_eq!(*code, Some(0), "{command}: {}", String::from_utf8_lossy(output));
    }
    let body = |pem: &str| -> String { pem.lines().filter(|l| !l.starts_with("-----")).collect() };
    let written = files(f.dir.path());
    let mut keys: Vec<(String, std::path::PathBuf, String)> = Vec::new();
    for (path, bytes) in &written {
        let text = String::from_utf8_lossy(bytes);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if text.contains("PRIVATE KEY") && name.starts_with("key.pem") {
            keys.push((format!("the certificate key {name}"), path.clone(), body(&text)));
        } else if path.parent().is_some_and(|p| p.ends_with("acme"))
            && path.extension().is_some_and(|e| e == "json")
        {
            let account: serde_json::Value = serde_json::from_slice(bytes).expect("account JSON");
            let key = account["key_pkcs8"]
                .as_str()
                .expect("the account key")
                .to_string();
            keys.push(("the ACME account key".into(), path.clone(), key));
        }
    }
    assert!(
        keys.len() >= 3,
        "the key in place, its backup and the account key: {keys:?}"
    );
    let mut leaks = Vec::new();
    for (what, home, value) in &keys {
        let mode = std::fs::metadata(home).expect("key file").permissions().mode();
        if mode & 0o077 != 0 {
            leaks.push(format!("{what} is readable by others ({:o})", mode & 0o777));
        }
        // A piece from the middle: the start of every P-256 PKCS#8 key is the same header.
        let mid = value.len() / 2;
        let piece = &value[mid.saturating_sub(24)..(mid + 24).min(value.len())];
        for (path, bytes) in &written {
            if path != home && contains(bytes, piece) {
                leaks.push(format!("{what} in {}", path.display()));
            }
        }
        for (command, _, output) in &printed {
            if contains(output, piece) || contains(output, "PRIVATE KEY") {
                leaks.push(format!("{what} in the output of `{command}`"));
            }
        }
    }
    assert!(leaks.is_empty(), "ACME keys leaked:\n{}", leaks.join("\n"));
}

//! One deployment of the end-to-end tests and campaigns: a config with names unique to `n`
//! (four targets), the binary pointed at the emulator, and the checks that exactly one of each
//! resource exists, or none after cleanup.

use std::process::{Command, Stdio};

use super::Fixture;
use super::emulator::Emulator;
use super::look::Look;

/// A config with names unique to `n`, four targets, in the emulator's account.
pub fn config(n: &str) -> String {
    format!(
        r#"version: 1
aws:
  account_id: "123456789012"
  region: us-east-1
  role_name: SreGatewayRole{n}
cognito:
  cognito_domain: sre-e2e-{n}
  resource_server_id: sre-agent
  scopes: [sre-agent/invoke]
gateway:
  gateway_name: sre-gw-{n}
  s3_bucket: sre-specs-{n}
  s3_path_prefix: sre-agent/specs
  credential_provider_name: sre-key-{n}
  api_key: env:BACKEND_API_KEY
  targets:
    - {{name: k8s-api, spec: kubernetes, backend_url: "https://backend.sre-agent.internal:8011"}}
    - {{name: logs-api, spec: logs, backend_url: "https://backend.sre-agent.internal:8012"}}
    - {{name: metrics-api, spec: metrics, backend_url: "https://backend.sre-agent.internal:8013"}}
    - {{name: runbooks-api, spec: runbooks, backend_url: "https://backend.sre-agent.internal:8014"}}
tls:
  domain_name: backend.sre-agent.internal
  ssl_cert_path: fullchain.pem
  ssl_key_path: privkey.pem
  ca_bundle_path: ca.pem
deployment:
  deployment_id: sre-e2e-{n}
"#
    )
}

/// The binary, in the fixture folder, pointed at the emulator.
pub fn tool(fixture: &Fixture, emu: &Emulator) -> assert_cmd::Command {
    let mut cmd = fixture.cmd();
    cmd.envs(emu.env()).timeout(std::time::Duration::from_mins(2));
    cmd
}

/// A deploy of `fixture`'s config (`--non-interactive --no-verify`), with the JSON report on stdout.
pub fn deploy_json(fixture: &Fixture, emu: &Emulator) -> std::process::Output {
    tool(fixture, emu)
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .output()
        .expect("run the deploy")
}

/// A deploy that must succeed: its JSON report and its progress lines.
pub fn deploy_ok(fixture: &Fixture, emu: &Emulator) -> (serde_json::Value, String) {
    let output = deploy_json(fixture, emu);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    (super::json_output(&output), stderr)
}

/// A deploy running in the background, its progress lines readable from stderr.
pub fn spawn_deploy(f: &Fixture, emu: &Emulator) -> std::process::Child {
    Command::new(assert_cmd::cargo::cargo_bin("sre-agent-deploy"))
        .current_dir(f.dir.path())
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BACKEND_API_KEY", "test-backend-key")
        .envs(emu.env())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

pub fn fixture(n: &str) -> Fixture {
    Fixture::with_config(&config(n))
}

/// Exactly one of each resource of deployment `n` exists (`context` names the case in messages).
pub fn assert_one_of_each(emu: &Emulator, look: &Look, n: &str, context: &str) {
    let gateways = look.gateways_named(&format!("sre-gw-{n}"));
    assert_eq!(gateways.len(), 1, "{context}: one gateway");
    let mut targets = look.targets(&gateways[0]);
    targets.sort();
    assert_eq!(
        targets,
        ["k8s-api", "logs-api", "metrics-api", "runbooks-api"],
        "{context}: one of each target"
    );
    let pools = look.pools_named(&format!("sre-agent-sre-e2e-{n}"));
    assert_eq!(pools.len(), 1, "{context}: one pool");
    assert_eq!(look.clients(&pools[0]).len(), 1, "{context}: one client");
    assert_eq!(
        emu.credential_providers()
            .iter()
            .filter(|p| p.name == format!("sre-key-{n}"))
            .count(),
        1,
        "{context}: one credential provider"
    );
    assert!(
        look.role_exists(&format!("SreGatewayRole{n}")),
        "{context}: the role"
    );
    assert!(
        look.bucket_exists(&format!("sre-specs-{n}")),
        "{context}: the bucket"
    );
}

/// Nothing of deployment `n` is left.
pub fn assert_none_left(emu: &Emulator, look: &Look, n: &str, context: &str) {
    assert_none_left_but_pools(emu, look, n, context, 0);
}

/// Nothing of deployment `n` is left, except `pools` user pools with its pool's name that are not
/// its own (look-alikes: user pool names are not unique).
pub fn assert_none_left_but_pools(emu: &Emulator, look: &Look, n: &str, context: &str, pools: usize) {
    assert!(
        look.gateways_named(&format!("sre-gw-{n}")).is_empty(),
        "{context}: gateway left"
    );
    assert_eq!(
        look.pools_named(&format!("sre-agent-sre-e2e-{n}")).len(),
        pools,
        "{context}: pools with the deployment's pool name"
    );
    assert!(
        emu.credential_providers()
            .iter()
            .all(|p| p.name != format!("sre-key-{n}")),
        "{context}: credential provider left"
    );
    assert!(
        !look.role_exists(&format!("SreGatewayRole{n}")),
        "{context}: role left"
    );
    assert!(
        !look.bucket_exists(&format!("sre-specs-{n}")),
        "{context}: bucket left"
    );
}

/// The ledger of deployment `n`'s state file: `(kind, name)` of each resource it records as present.
pub fn ledger(f: &Fixture, n: &str) -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(f.path(&format!(".sre-agent-deploy/sre-e2e-{n}.json"))).expect("state file");
    present_entries(&serde_json::from_str(&text).expect("state JSON"))
}

/// The present ledger entries (kind, name) of a state.
pub fn present_entries(state: &serde_json::Value) -> Vec<(String, String)> {
    state["ledger"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["status"] == "present")
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_string(),
                e["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

//! Shared test support: a temporary folder with a valid config, real PEM files, and a command
//! that runs the built binary with a clean environment. The emulator, the loopback TLS servers
//! and the certificate factory are the `emulator` crate's, re-exported here.
#![allow(clippy::disallowed_methods)] // fixtures are written with plain writes

pub mod acme_fixtures;
pub mod acme_refusal;
pub mod apt;
pub mod chromium;
pub mod deployment;
pub mod kill;
pub mod lanes;
pub mod look;
pub mod original_layout;
pub mod pebble;
pub mod prom;
pub mod team;
pub mod tmux;

pub use emulator;
pub use emulator::certs;
pub use emulator::tls as tls_servers;

use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use assert_cmd::Command;

/// The campaigns keep both cores busy for a minute or more; tests that assert on timing must not
/// run beside them (everything shares one test binary). Campaigns may run beside each other:
/// they spend most of their time waiting for READY.
static LOAD: RwLock<()> = RwLock::new(());

/// Held by a campaign: no timing-sensitive test runs meanwhile.
pub fn heavy() -> RwLockReadGuard<'static, ()> {
    LOAD.read().unwrap_or_else(PoisonError::into_inner)
}

/// Held by a test that asserts on timing: no campaign runs meanwhile.
pub fn timing_sensitive() -> RwLockWriteGuard<'static, ()> {
    LOAD.write().unwrap_or_else(PoisonError::into_inner)
}

/// A valid config, with the TLS files in the same folder.
pub const VALID_CONFIG: &str = r#"version: 1
aws:
  account_id: "123456789012"
  region: us-west-2
  role_name: SreAgentGatewayRole
cognito:
  cognito_domain: sre-agent-test
  resource_server_id: sre-agent
  scopes: [sre-agent/invoke]
gateway:
  gateway_name: sre-agent-gateway
  s3_bucket: sre-agent-specs-test
  s3_path_prefix: sre-agent/specs
  credential_provider_name: sre-agent-api-key
  api_key: env:BACKEND_API_KEY
  targets:
    - name: k8s-api
      spec: kubernetes
      backend_url: https://backend.sre-agent.internal:8011
    - name: logs-api
      spec: logs
      backend_url: https://backend.sre-agent.internal:8012
tls:
  domain_name: backend.sre-agent.internal
  ssl_cert_path: fullchain.pem
  ssl_key_path: privkey.pem
  ca_bundle_path: ca.pem
deployment:
  deployment_id: sre-test
"#;

/// A temporary folder holding `config.yaml` and the certificate files it names.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// A folder with real PEM files and `VALID_CONFIG` as `config.yaml`.
    pub fn new() -> Self {
        Self::with_config(VALID_CONFIG)
    }

    /// A folder with real PEM files and `config` as `config.yaml`.
    pub fn with_config(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        certs::write_chain(dir.path(), "backend.sre-agent.internal", 90).expect("certificates");
        let fixture = Self { dir };
        fixture.write("config.yaml", config);
        fixture
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.path(name), contents).expect("write fixture file");
    }

    /// `VALID_CONFIG` with one substring replaced, written as `config.yaml`.
    pub fn with_replaced(from: &str, to: &str) -> Self {
        assert!(VALID_CONFIG.contains(from), "fixture does not contain {from:?}");
        Self::with_config(&VALID_CONFIG.replacen(from, to, 1))
    }

    /// The binary, run in the fixture folder with only the variables a test sets.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("sre-agent-deploy").expect("binary built");
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("BACKEND_API_KEY", "test-backend-key")
            // Nothing a test runs may leave loopback: without an emulator, AWS calls go to a
            // closed local port and fail at once.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    /// `--validate-only --config config.yaml` plus `args`.
    pub fn validate(&self, args: &[&str]) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["--validate-only", "--config", "config.yaml"])
            .args(args);
        cmd
    }
}

/// The JSON a `--output json` run printed.
pub fn json_output(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

/// The `field`s of the findings in a JSON result.
pub fn finding_fields(json: &serde_json::Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["field"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A complete config for the deployment `sre-<name>` whose two backends are the loopback servers
/// `backends` (reached through `verify.resolve`) and whose token and MCP URLs are the emulator's.
pub fn loopback_config(name: &str, emu: &emulator::Emulator, backends: &tls_servers::Backends) -> String {
    let port = |i: usize| backends.servers[i].port();
    format!(
        r#"version: 1
aws:
  account_id: "123456789012"
  region: us-east-1
  role_name: sre-{name}-role
cognito:
  cognito_domain: sre-{name}
  resource_server_id: sre-agent
  scopes: [sre-agent/invoke]
gateway:
  gateway_name: sre-{name}-gw
  s3_bucket: sre-{name}-specs
  s3_path_prefix: sre-agent/specs
  credential_provider_name: sre-{name}-key
  api_key: env:BACKEND_API_KEY
  targets:
    - {{name: k8s-api, spec: kubernetes, backend_url: "https://backend.sre-agent.internal:{p0}"}}
    - {{name: logs-api, spec: logs, backend_url: "https://backend.sre-agent.internal:{p1}"}}
tls:
  domain_name: backend.sre-agent.internal
  ssl_cert_path: fullchain.pem
  ssl_key_path: privkey.pem
  ca_bundle_path: ca.pem
verify:
  timeout_seconds: 5
  resolve: ["backend.sre-agent.internal:127.0.0.1"]
  token_url: {token}
  mcp_url: {mcp}
deployment:
  deployment_id: sre-{name}
"#,
        p0 = port(0),
        p1 = port(1),
        token = emu.token_url(),
        mcp = emu.mcp_url(),
    )
}

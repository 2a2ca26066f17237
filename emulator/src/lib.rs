//! A local AWS for tests and the demo: moto 5.2.5 behind a loopback proxy that counts calls, injects
//! latency and faults, and serves what moto lacks (AgentCore Identity API-key credential providers,
//! Cognito's token endpoint, the gateway's MCP endpoint).
//!
//! ```ignore
//! let emu = emulator::Emulator::start().expect("emulator");
//! // point the SDK or the binary at emu.endpoint(), or apply emu.env()
//! emu.faults().add_rule(FaultRule::times("CreateRole", FaultKind::Throttle, 1));
//! ```
//!
//! A crate of the workspace, used by the integration tests and the examples (the demo's
//! `local-aws`, the benchmarks) as a dev-dependency. Test support only: failures it cannot
//! recover from panic with a message. Also here: loopback TLS servers ([`tls`]) and the
//! certificate factory ([`certs`]).

pub mod certs;
mod cognito;
mod dataplane;
mod faults;
mod identity;
mod moto;
mod proxy;
mod route53;
mod service;
mod targets;
pub mod tls;
mod wire;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use dataplane::Refusal;
pub use faults::{Decision, FaultCounts, FaultKind, FaultRule, Faults, RuleId, Thaw, Trigger};
pub use identity::{ACCOUNT_ID, StoredProvider};
pub use moto::{MOTO_VERSION, Moto, VENV_ENV, default_venv, ensure_venv};
pub use proxy::Call;
pub use route53::{DnsChange, DnsSink};
pub use wire::{Protocol, agentcore_operation, s3_operation};

/// The region `env()` sets.
pub const REGION: &str = "us-east-1";

/// Why the emulator could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorError {
    message: String,
}

impl EmulatorError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EmulatorError {}

/// moto plus the proxy. Dropping it stops the proxy and kills moto.
#[derive(Debug)]
pub struct Emulator {
    // Field order is drop order: the proxy stops before moto dies.
    proxy: proxy::Proxy,
    moto: Moto,
    shared: Arc<proxy::Shared>,
}

impl Emulator {
    /// Installs moto when needed (into [`default_venv`]), starts it and the proxy. Blocking; works from
    /// sync tests and from inside a tokio runtime.
    pub fn start() -> Result<Self, EmulatorError> {
        Self::start_with_venv(&default_venv())
    }

    /// Like [`Emulator::start`], with moto from (or installed into) `venv`.
    pub fn start_with_venv(venv: &Path) -> Result<Self, EmulatorError> {
        let moto = Moto::start(venv)?;
        let shared = Arc::new(proxy::Shared::new(moto.addr()));
        let proxy = proxy::Proxy::start(Arc::clone(&shared))?;
        Ok(Self { proxy, moto, shared })
    }

    /// `http://127.0.0.1:PORT` of the proxy: the endpoint to give the SDK (`AWS_ENDPOINT_URL`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.proxy.addr())
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.proxy.addr().port()
    }

    /// moto itself, bypassing the proxy (no counting, no faults, no identity API).
    pub fn moto_endpoint(&self) -> String {
        self.moto.endpoint()
    }

    /// The environment for the SDK or the binary under test.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Makes new gateways and targets report READY that long after their create, as the real
    /// service does (moto's state manager, `progression: time`). Zero restores moto's default:
    /// READY at the first look after the create.
    pub fn set_ready_after(&self, gateway: Duration, target: Duration) -> Result<(), EmulatorError> {
        for (model, delay) in [
            ("bedrock-agentcore-control::gateway", gateway),
            ("bedrock-agentcore-control::gateway_target", target),
        ] {
            if delay.is_zero() {
                self.moto.api(
                    "/moto-api/state-manager/unset-transition",
                    &serde_json::json!({ "model_name": model }),
                )?;
            } else {
                self.moto.api(
                    "/moto-api/state-manager/set-transition",
                    &serde_json::json!({
                        "model_name": model,
                        "transition": { "progression": "time", "seconds": delay.as_secs_f64() },
                    }),
                )?;
            }
        }
        Ok(())
    }

    /// A new IAM role cannot be assumed by the gateway service for `d` after its create:
    /// CreateGateway and UpdateGateway naming it answer the service's validation error.
    pub fn set_role_propagation(&self, d: Duration) {
        self.shared.service.set_role_propagation(d);
    }

    /// An updated gateway or target reports UPDATING for `d`, then READY.
    pub fn set_update_time(&self, d: Duration) {
        self.shared.service.set_update_time(d);
    }

    /// The service as it behaves for real, for the campaigns: gateways READY `ready` after their
    /// create and targets half that, a new role assumable after `ready` too, updates taking it.
    pub fn behave_like_the_service(&self, ready: Duration) -> Result<(), EmulatorError> {
        self.set_ready_after(ready, ready / 2)?;
        self.set_role_propagation(ready);
        self.set_update_time(ready);
        self.set_sync_time(ready / 2);
        Ok(())
    }

    /// How long a Route 53 change stays PENDING before it reaches the name servers (default
    /// 1 s; the service promises 60 s).
    pub fn set_dns_propagation(&self, d: Duration) {
        self.shared.service.route53.set_propagation(d);
    }

    /// Hands each Route 53 record change to `sink` when it reaches the name servers (just before
    /// `GetChange` says INSYNC): a test's authoritative DNS. `None` stops it.
    pub fn set_dns_sink(&self, sink: Option<DnsSink>) {
        self.shared.service.route53.set_sink(sink);
    }

    /// A `SynchronizeGatewayTargets` keeps its targets `SYNCHRONIZING` for `d`, then `READY`.
    pub fn set_sync_time(&self, d: Duration) {
        self.shared.service.targets.set_sync_time(d);
    }

    /// Synchronizations of the target named `name` end `SYNCHRONIZE_UNSUCCESSFUL` with `reason`
    /// as the status reason; `None` lets them succeed again.
    pub fn fail_sync(&self, name: &str, reason: Option<&str>) {
        self.shared.service.targets.fail_sync(name, reason);
    }

    /// Latency and fault rules, applied by the proxy at run time.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request the proxy saw, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls().clone()
    }

    /// How many calls match `operation` (same syntax as [`FaultRule::operation`]: `"CreateRole"`,
    /// `"iam:CreateRole"`, `"s3:*"`, `"*"`).
    pub fn call_count(&self, operation: &str) -> usize {
        self.shared
            .calls()
            .iter()
            .filter(|c| faults::operation_matches(operation, &c.service, &c.operation))
            .count()
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        self.shared.calls().clear();
    }

    /// The proxy's identity store: every API-key credential provider, with its key and tags.
    pub fn credential_providers(&self) -> Vec<StoredProvider> {
        self.shared.identity.providers()
    }

    /// Requests the MCP endpoint refused, in order.
    pub fn mcp_refusals(&self) -> Vec<Refusal> {
        self.shared.dataplane.refusals()
    }

    /// Makes the MCP endpoint accept every request (a gateway without auth), or restores it.
    pub fn set_mcp_open(&self, open: bool) {
        self.shared.dataplane.set_open(open);
    }

    /// How many tokens the token endpoint issued.
    pub fn tokens_issued(&self) -> usize {
        self.shared.dataplane.tokens_issued()
    }

    /// The access tokens the token endpoint issued.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.dataplane.issued_tokens()
    }

    /// The token endpoint (`/oauth2/token`) and MCP endpoint (`/mcp`) URLs.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.endpoint())
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.endpoint())
    }

    /// The last `lines` lines of moto's log.
    pub fn moto_log_tail(&self, lines: usize) -> String {
        self.moto.log_tail(lines)
    }

    /// moto's log file (inside a temp dir removed on drop).
    pub fn moto_log_path(&self) -> &Path {
        self.moto.log_path()
    }

    /// moto's process id.
    pub fn moto_pid(&self) -> u32 {
        self.moto.pid()
    }
}

//! Negative checks: requests the gateway must refuse. One without a token and one with a tampered
//! token (changed claims, original signature) are sent to the MCP endpoint; a 401 or 403 passes,
//! acceptance fails. Each refusal is a security event (time, endpoint, reason) for the run's log.
//! No token text is ever recorded.

use std::time::{Duration, Instant};

use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::certinfo::utc;
use super::check::{Check, Component, Status};
use super::jwt;

/// A rejected attempt, as the run's log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityEvent {
    /// When the answer came (UTC).
    pub timestamp: String,
    pub endpoint: String,
    /// What was sent and how it was refused, such as "no token: HTTP 401".
    pub reason: String,
}

impl std::fmt::Display for SecurityEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} POST {} rejected: {}",
            self.timestamp, self.endpoint, self.reason
        )
    }
}

/// The body of the probe: an MCP initialize request, as a client would send first.
const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sre-agent-deploy-security-check","version":"1"}}}"#;

/// With `gateway.allowed_scopes`: a real token of the deployment's app client that carries none
/// of the allowed scopes, which the gateway must refuse.
#[derive(Debug)]
pub enum ScopeProbe {
    /// The gateway names no allowed scopes: any scope of the pool is accepted.
    NotConfigured,
    /// Not sent, and why.
    Skip(String),
    /// The token (never printed).
    Token(SecretString),
}

/// Sends the unauthenticated and the tampered request, and the out-of-scope one when there is
/// one. `token` is the valid token the tampered copy is made from; without it only the
/// unauthenticated request is sent.
pub async fn check(
    http: &reqwest::Client,
    mcp_url: &str,
    token: Option<&SecretString>,
    scoped: ScopeProbe,
    timeout: Duration,
) -> (Vec<Check>, Vec<SecurityEvent>) {
    let mut checks = Vec::new();
    let mut events = Vec::new();
    let mut attempts: Vec<(&str, &str, Option<SecretString>)> = vec![("unauthenticated", "no token", None)];
    match scoped {
        ScopeProbe::NotConfigured => {}
        ScopeProbe::Skip(why) => checks.push(Check::new(
            Component::Security,
            "missing-scope",
            mcp_url,
            Status::Skip,
            format!("not sent: {why}"),
        )),
        ScopeProbe::Token(t) => {
            attempts.push(("missing-scope", "a token without the allowed scopes", Some(t)));
        }
    }
    match token.map(|t| jwt::tampered(t.expose_secret())) {
        Some(Ok(bad)) => attempts.push(("tampered-token", "tampered token", Some(SecretString::from(bad)))),
        Some(Err(e)) => checks.push(Check::new(
            Component::Security,
            "tampered-token",
            mcp_url,
            Status::Skip,
            format!("not sent: {e}"),
        )),
        None => checks.push(Check::new(
            Component::Security,
            "tampered-token",
            mcp_url,
            Status::Skip,
            "not sent: no valid token to tamper with (see the auth checks)",
        )),
    }
    for (name, what, bearer) in attempts {
        let started = Instant::now();
        let mut request = http
            .post(mcp_url)
            .timeout(timeout)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(INITIALIZE);
        if let Some(bearer) = &bearer {
            request = request.bearer_auth(bearer.expose_secret());
        }
        let check = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                if status == 401 || status == 403 {
                    events.push(SecurityEvent {
                        timestamp: utc(OffsetDateTime::now_utc()),
                        endpoint: mcp_url.to_string(),
                        reason: format!("{what}: HTTP {status}"),
                    });
                    Check::new(
                        Component::Security,
                        name,
                        mcp_url,
                        Status::Pass,
                        format!("a request with {what} was rejected (HTTP {status})"),
                    )
                } else if response.status().is_success() {
                    Check::new(
                        Component::Security,
                        name,
                        mcp_url,
                        Status::Fail,
                        format!(
                            "a request with {what} was ACCEPTED (HTTP {status}): the gateway is not protected"
                        ),
                    )
                    .suggest(
                        "the gateway must use a CUSTOM_JWT authorizer with the Cognito discovery URL and \
                         allowed clients: re-run the deploy, and check the gateway in the console",
                    )
                } else {
                    Check::new(
                        Component::Security,
                        name,
                        mcp_url,
                        Status::Warn,
                        format!("a request with {what} got HTTP {status}, not 401/403: inconclusive"),
                    )
                    .suggest("check the MCP URL (verify.mcp_url); the gateway answers 401 to unauthenticated calls")
                }
            }
            Err(e) => Check::new(
                Component::Security,
                name,
                mcp_url,
                Status::Warn,
                format!(
                    "could not send the request with {what}: {}",
                    super::http_error(&e)
                ),
            )
            .suggest("check the MCP URL (verify.mcp_url) and this machine's network"),
        };
        checks.push(check.timed(started.elapsed()));
    }
    checks.sort_by_key(|c| c.name != "unauthenticated");
    (checks, events)
}

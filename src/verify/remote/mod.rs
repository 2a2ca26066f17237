//! Remote TLS checks: for each endpoint (`tls.domain_name:443`, every backend URL, extra
//! endpoints) resolve, connect over TCP, do a TLS handshake that verifies the chain and the host
//! name, read the presented certificate's names and expiry and the protocol version, then GET the
//! health path. Each failure names the layer that failed (DNS, TCP, TLS trust, TLS name, TLS
//! handshake, TLS expiry, HTTP status, HTTP, timeout) and a fix. The sweep runs the endpoints
//! concurrently with a bound and a timeout per step, and returns one [`Probe`] per endpoint, in
//! input order; [`Probe::checks`] turns a probe into report checks. This module reads nothing from
//! disk and decides nothing about the config: the caller supplies the endpoints and trust roots.

mod checks;
mod failure;
mod http;
mod probe;
mod verifier;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rustls::RootCertStore;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::check::Status;

/// One endpoint to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// A DNS name or an IP address (without brackets).
    pub host: String,
    pub port: u16,
    /// The config field the endpoint comes from, such as `gateway.targets[0].backend_url`.
    pub field: Option<String>,
    /// GET the health path once TLS has passed.
    pub health: bool,
}

impl Endpoint {
    /// `host:port`, with brackets around an IPv6 address.
    pub fn display(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// How a sweep runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The roots a presented chain must reach (system roots plus `tls.ca_bundle_path`).
    pub roots: Arc<RootCertStore>,
    /// `verify.resolve`: these hosts are reached at these addresses instead of DNS.
    pub resolve: Vec<(String, IpAddr)>,
    /// The limit for each step (DNS, each TCP connect, TLS handshake, HTTP request).
    pub timeout: Duration,
    /// How many endpoints are checked at once.
    pub concurrency: usize,
    pub health_path: String,
    pub warn_days: i64,
    pub fail_days: i64,
    /// The moment certificates are judged at (also used for chain verification).
    pub now: OffsetDateTime,
}

/// The layer a probe failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// The host name does not resolve.
    Dns,
    /// The TCP connection was refused or could not be routed.
    Tcp,
    /// The presented chain does not reach a trusted root (unknown issuer, self-signed, bad signature).
    TlsTrust,
    /// The certificate does not cover the host name.
    TlsName,
    /// The handshake failed for another reason (alert, no common protocol, not TLS at all).
    TlsHandshake,
    /// A presented certificate is expired, not yet valid, or closer to expiry than `tls.fail_days`.
    TlsExpiry,
    /// The health GET answered with a status other than 2xx.
    HttpStatus,
    /// The HTTP exchange itself failed (connection closed, malformed response).
    Http,
    /// A step took longer than the timeout; the message names the step.
    Timeout,
}

impl Layer {
    /// The name used in messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dns => "DNS",
            Self::Tcp => "TCP",
            Self::TlsTrust => "TLS trust",
            Self::TlsName => "TLS name",
            Self::TlsHandshake => "TLS handshake",
            Self::TlsExpiry => "TLS expiry",
            Self::HttpStatus => "HTTP status",
            Self::Http => "HTTP",
            Self::Timeout => "timeout",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The verdict on the presented leaf's validity window (`certinfo::validity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CertVerdict {
    pub status: Status,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// The result for one endpoint: a row of the report's connectivity table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Probe {
    /// `host:port`.
    pub endpoint: String,
    /// The address connected to (or, after a failed connect, the last one tried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_layer: Option<Layer>,
    /// The failure (prefixed with its layer), the warning, or a summary when all passed.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// TCP connect time, once connected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    /// TLS handshake time, once the handshake finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<u64>,
    /// The negotiated protocol, such as `TLSv1.3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    /// Whole days until the presented leaf expires (negative once expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// The presented leaf's expiry, in UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    /// The earliest expiry among all the certificates presented (leaf and intermediates), in
    /// UTC: what the Blackbox exporter's `probe_ssl_earliest_cert_expiry` reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_not_after: Option<String>,
    /// A presented certificate is outside its validity window (expired or not yet valid): the
    /// handshake a strict client makes fails, whatever the policy's `fail_days` says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub out_of_date: bool,
    /// The presented leaf's subjectAltNames (DNS names, then IP addresses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// The validity verdict on the presented leaf, when one was presented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertVerdict>,
    /// The path the health GET is (or would have been) sent to; absent when the endpoint has no
    /// health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Time from sending the GET to the response head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_ms: Option<u64>,
    pub total_ms: u64,
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<4} {}: {}", self.status, self.endpoint, self.message)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, "\n     fix: {suggestion}")?;
        }
        Ok(())
    }
}

/// Checks every endpoint, at most `settings.concurrency` at once, and returns one probe per
/// endpoint in input order. Never fails: every problem is a failed probe.
pub async fn sweep(endpoints: Vec<Endpoint>, settings: &Settings) -> Vec<Probe> {
    let shared = match probe::Shared::new(settings) {
        Ok(shared) => Arc::new(shared),
        Err(message) => {
            return endpoints
                .iter()
                .map(|e| {
                    probe::failed_early(
                        e,
                        settings,
                        Some(Layer::TlsTrust),
                        &message,
                        "set tls.ca_bundle_path to the CA that signed the backends' certificates, or \
                         install the system CA certificates",
                    )
                })
                .collect();
        }
    };
    futures_util::stream::iter(endpoints)
        .map(|endpoint| {
            let shared = Arc::clone(&shared);
            let fallback = endpoint.clone();
            // One task per endpoint, so that handshakes use every worker thread; dropping the
            // sweep (Ctrl-C) aborts the probes in flight.
            let mut task = AbortOnDrop(tokio::spawn(probe::probe(endpoint, shared)));
            async move {
                (&mut task.0).await.unwrap_or_else(|e| {
                    probe::failed_early(
                        &fallback,
                        settings,
                        None,
                        &format!("the check itself failed: {e}"),
                        "report this as a bug in sre-agent-deploy",
                    )
                })
            }
        })
        .buffered(settings.concurrency.max(1))
        .collect()
        .await
}

/// A spawned probe that is aborted when its handle is dropped unfinished.
struct AbortOnDrop(tokio::task::JoinHandle<Probe>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

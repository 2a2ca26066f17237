//! Verification: the checks that prove a deployment works (TLS files, remote TLS, Cognito token,
//! the gateway's MCP endpoint, requests that must be rejected) and the report that renders them.
//! Every check returns the same [`Check`] shape; the report only renders those.

pub mod certinfo;
pub mod check;
pub mod names;
pub mod remote;
pub mod tls_files;
pub mod trust;

pub use check::{Check, Component, Status};
pub mod auth;
pub mod job;
pub mod jwt;
pub mod mcp;
pub mod metrics;
pub mod report;
pub mod run;
pub mod security;

/// An HTTP client error in words, with the layer that failed (never the request's headers).
pub(crate) fn http_error(e: &reqwest::Error) -> String {
    let layer = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_request() {
        "request failed"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        layer.to_string()
    } else {
        format!("{layer}: {cause}")
    }
}

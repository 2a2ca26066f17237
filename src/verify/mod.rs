//! Verification: the checks that prove a deployment works (TLS files, remote TLS, Cognito token,
//! the gateway's MCP endpoint, requests that must be rejected) and the report that renders them.
//! Every check returns the same [`Check`] shape; the report only renders those.

pub mod certinfo;
pub mod check;
pub mod names;

pub use check::{Check, Component, Status};

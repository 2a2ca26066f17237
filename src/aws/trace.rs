//! `-v`: a line per AWS call (operation, outcome, duration, retries, the service's request id),
//! emitted as a `tracing` event by an interceptor on every client, and shown by a subscriber that
//! writes to the printer's error writer. Without `-v` no subscriber is installed and the events
//! cost next to nothing.

use std::io::Write;
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::Headers;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use crate::output::printer::{SharedWriter, write_line};
use crate::output::progress::clock;

/// The `tracing` target of the call lines.
pub const TARGET: &str = "sre_agent_deploy::aws";

/// The headers AWS services put their request id in (JSON and query protocols, then S3).
const REQUEST_ID_HEADERS: [&str; 3] = ["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"];

/// The service's request id of a response, which AWS support asks for first.
pub fn request_id(headers: &Headers) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

/// When the call started and how many attempts it made, kept in the call's config bag.
#[derive(Debug, Clone, Copy)]
struct Started {
    at: Instant,
    attempts: u32,
}

impl Storable for Started {
    type Storer = StoreReplace<Self>;
}

/// The interceptor that emits a line per call.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallTrace;

impl Intercept for CallTrace {
    fn name(&self) -> &'static str {
        "sre-agent-deploy call trace"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Started {
            at: Instant::now(),
            attempts: 0,
        });
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(started) = cfg.load::<Started>().copied() {
            cfg.interceptor_state().store_put(Started {
                attempts: started.attempts + 1,
                ..started
            });
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !tracing::enabled!(target: TARGET, tracing::Level::DEBUG) {
            return Ok(());
        }
        let (service, operation) = cfg
            .load::<Metadata>()
            .map_or(("?", "?"), |m| (m.service(), m.name()));
        let started = cfg.load::<Started>().copied();
        let duration_ms = started.map_or(0, |s| s.at.elapsed().as_millis());
        let retries = started.map_or(0, |s| s.attempts.saturating_sub(1));
        let response = context.response();
        let status = response.map_or_else(
            || "no answer".to_string(),
            |r| format!("HTTP {}", r.status().as_u16()),
        );
        let outcome = match context.output_or_error() {
            Some(Ok(_)) => "ok",
            _ => "failed",
        };
        let request_id = response
            .and_then(|r| request_id(r.headers()))
            .unwrap_or_else(|| "none".into());
        tracing::debug!(
            target: TARGET,
            "{service} {operation}: {outcome} ({status}) in {duration_ms} ms, {retries} {}, request id {request_id}",
            if retries == 1 { "retry" } else { "retries" }
        );
        Ok(())
    }
}

/// Shows the call lines on `writer`, as `[HH:MM:SS] aws  <line>`. Only the first call counts
/// (a process has one global subscriber).
pub fn install(writer: SharedWriter) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let filter = tracing_subscriber::filter::Targets::new().with_target(TARGET, tracing::Level::DEBUG);
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || Lines(writer.clone()))
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_level(false)
        .with_target(false)
        .with_timer(Clock)
        .finish()
        .with(filter);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The progress lines' clock: `[HH:MM:SS] aws      ` (UTC).
struct Clock;

impl tracing_subscriber::fmt::time::FormatTime for Clock {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        write!(w, "[{}] {:<24}", clock(), "aws")
    }
}

/// Whole lines to the shared writer (the subscriber formats an event, then writes it once).
struct Lines(SharedWriter);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        write_line(&self.0, &String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_id_is_read_from_any_of_the_services_headers() {
        let mut headers = Headers::new();
        assert_eq!(request_id(&headers), None);
        headers.insert("x-amz-request-id", "s3-id");
        assert_eq!(request_id(&headers).as_deref(), Some("s3-id"));
        headers.insert("X-Amzn-RequestId", "json-id");
        assert_eq!(request_id(&headers).as_deref(), Some("json-id"));
    }
}

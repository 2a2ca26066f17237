//! A verification as Prometheus metrics, for node_exporter's textfile collector: the Blackbox
//! exporter's probe metrics for each endpoint checked over the network, the
//! x509-certificate-exporter's metrics for each certificate in the configured files, and this
//! tool's own (each check's status, the verdict, when it ran, the gateway's tools, the token).
//! Names and labels are fixed: dashboards and the alert rules of `monitoring install` rely on
//! them. Pure: the caller reads the certificate files and writes the text.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::check::{Check, Component, Status, group_status};
use super::remote::{Layer, Probe};
use super::report::VerificationReport;
use super::tls_files::inventory::FileCert;
use crate::output::prometheus::Exposition;

pub const PROBE_SUCCESS: &str = "probe_success";
pub const PROBE_DURATION: &str = "probe_duration_seconds";
pub const PROBE_HTTP_STATUS: &str = "probe_http_status_code";
pub const PROBE_EARLIEST_EXPIRY: &str = "probe_ssl_earliest_cert_expiry";
pub const PROBE_TLS_VERSION: &str = "probe_tls_version_info";
pub const X509_NOT_AFTER: &str = "x509_cert_not_after";
pub const X509_NOT_BEFORE: &str = "x509_cert_not_before";
pub const X509_EXPIRED: &str = "x509_cert_expired";
pub const CHECK: &str = "sre_agent_deploy_check";
pub const VERIFY_SUCCESS: &str = "sre_agent_deploy_verify_success";
pub const LAST_RUN: &str = "sre_agent_deploy_verify_last_run_timestamp_seconds";
pub const GATEWAY_TOOLS: &str = "sre_agent_deploy_gateway_tools";
pub const TOKEN_SUCCESS: &str = "sre_agent_deploy_token_success";

/// Every metric `verify --prometheus` can write (the alert rules may name only these).
pub const NAMES: [&str; 13] = [
    PROBE_SUCCESS,
    PROBE_DURATION,
    PROBE_HTTP_STATUS,
    PROBE_EARLIEST_EXPIRY,
    PROBE_TLS_VERSION,
    X509_NOT_AFTER,
    X509_NOT_BEFORE,
    X509_EXPIRED,
    CHECK,
    VERIFY_SUCCESS,
    LAST_RUN,
    GATEWAY_TOOLS,
    TOKEN_SUCCESS,
];

const SUCCESS_HELP: &str = "Whether the probe succeeded: check=\"tls\" the handshake (a trusted \
     chain naming the host, within its validity), check=\"http\" the health GET (2xx).";

/// What the metrics are made of.
pub struct Input<'a> {
    pub report: &'a VerificationReport,
    /// The certificates of the configured files.
    pub certificates: &'a [FileCert],
    /// `gateway.gateway_name`, the `gateway` label.
    pub gateway: &'a str,
    /// The verification passed (as the exit code says: warnings fail it under `--strict`).
    pub success: bool,
    pub now: OffsetDateTime,
}

/// The metrics of one verification.
pub fn exposition(input: &Input<'_>) -> Exposition {
    let mut out = Exposition::default();
    probes(&mut out, &input.report.connectivity);
    certificates(&mut out, input.certificates, input.now);
    checks(&mut out, input.report);
    verdict(&mut out, input.success, input.now);
    network(&mut out, input);
    out
}

/// The metrics of a run that could not verify anything (the config did not validate): failed,
/// and when, so that the failing alert fires at once rather than the stale one three intervals on.
pub fn unverified(now: OffsetDateTime) -> Exposition {
    let mut out = Exposition::default();
    verdict(&mut out, false, now);
    out
}

fn verdict(out: &mut Exposition, success: bool, now: OffsetDateTime) {
    out.gauge(VERIFY_SUCCESS, "1 when the last verification passed, else 0.")
        .sample(&[], flag(success));
    // Whole seconds: the report's own timestamp has no finer precision.
    out.gauge(LAST_RUN, "When the last verification ran, in Unix seconds.")
        .sample(&[], seconds(now));
}

/// The Blackbox exporter's metrics, for each endpoint probed (a skipped one has none).
fn probes(out: &mut Exposition, probes: &[Probe]) {
    for p in probes.iter().filter(|p| p.status != Status::Skip) {
        let instance = p.endpoint.as_str();
        let tls = tls_ok(p);
        out.gauge(PROBE_SUCCESS, SUCCESS_HELP)
            .sample(&[("instance", instance), ("check", "tls")], flag(tls));
        if p.health_path.is_some() {
            let http = tls
                && p.http_status.is_some()
                && !matches!(
                    p.failed_layer,
                    Some(Layer::HttpStatus | Layer::Http | Layer::Timeout)
                );
            out.gauge(PROBE_SUCCESS, SUCCESS_HELP)
                .sample(&[("instance", instance), ("check", "http")], flag(http));
        }
        out.gauge(PROBE_DURATION, "How long the probe took, in seconds.")
            .sample(&[("instance", instance)], millis(p.total_ms));
        if p.health_path.is_some() {
            out.gauge(
                PROBE_HTTP_STATUS,
                "The health GET's response status code (0 when none came back).",
            )
            .sample(&[("instance", instance)], f64::from(p.http_status.unwrap_or(0)));
        }
        if let Some(expiry) = p.earliest_not_after.as_deref().and_then(unix) {
            out.gauge(
                PROBE_EARLIEST_EXPIRY,
                "The earliest expiry among the certificates the endpoint presented, in Unix seconds.",
            )
            .sample(&[("instance", instance)], expiry);
        }
        if let Some(version) = &p.tls_version {
            out.gauge(
                PROBE_TLS_VERSION,
                "The TLS version the handshake negotiated (the version label), always 1.",
            )
            .sample(&[("instance", instance), ("version", version)], 1.0);
        }
    }
}

/// The handshake completed and the presented chain passed: trusted, naming the host, every
/// certificate within its validity window (the Blackbox exporter's TLS success). Our own
/// `fail_days` policy on a certificate still valid is the `certificate` check's business.
fn tls_ok(p: &Probe) -> bool {
    p.tls_ms.is_some()
        && !p.out_of_date
        && !matches!(
            p.failed_layer,
            Some(Layer::Dns | Layer::Tcp | Layer::TlsTrust | Layer::TlsName | Layer::TlsHandshake)
        )
}

/// The x509-certificate-exporter's metrics, for each certificate in the configured files.
fn certificates(out: &mut Exposition, certs: &[FileCert], now: OffsetDateTime) {
    for cert in certs {
        let s = &cert.summary;
        let cn = s.common_names.first().map_or("", String::as_str);
        let labels = [
            ("filepath", cert.path.as_str()),
            ("subject_CN", cn),
            ("serial_number", s.serial.as_str()),
        ];
        out.gauge(X509_NOT_AFTER, "The certificate's notAfter, in Unix seconds.")
            .sample(&labels, seconds(s.not_after));
        out.gauge(X509_NOT_BEFORE, "The certificate's notBefore, in Unix seconds.")
            .sample(&labels, seconds(s.not_before));
        out.gauge(X509_EXPIRED, "1 when the certificate has expired, else 0.")
            .sample(&labels, flag(now > s.not_after));
    }
}

/// `sre_agent_deploy_check`: for each check (by component and name), 1 on its status and 0 on
/// the three others. A check run on several subjects (one per endpoint) takes the worst status.
fn checks(out: &mut Exposition, report: &VerificationReport) {
    let mut grouped: Vec<(Component, &str, Vec<&Check>)> = Vec::new();
    for check in report.checks() {
        match grouped
            .iter_mut()
            .find(|(c, n, _)| *c == check.component && *n == check.name)
        {
            Some((_, _, same)) => same.push(check),
            None => grouped.push((check.component, &check.name, vec![check])),
        }
    }
    let family = out.gauge(
        CHECK,
        "1 for the status each verification check ended with (pass, warn, fail or skip), 0 for \
         the others; a check run on several subjects shows the worst.",
    );
    for (component, name, same) in grouped {
        let shown = group_status(same.iter().copied());
        for status in [Status::Pass, Status::Warn, Status::Fail, Status::Skip] {
            family.sample(
                &[
                    ("component", component.as_str()),
                    ("check", name),
                    ("status", &status.to_string()),
                ],
                flag(status == shown),
            );
        }
    }
}

/// The gateway's tool count and the token, when the network checks ran.
fn network(out: &mut Exposition, input: &Input<'_>) {
    let report = input.report;
    if !report.online {
        return;
    }
    let find = |component: Component, name: &str| {
        report
            .checks()
            .find(|c| c.component == component && c.name == name)
    };
    if report.mcp_url.is_some() {
        let tools = find(Component::Gateway, "tools/list")
            .and_then(|c| c.details.get("tools"))
            .and_then(serde_json::Value::as_f64)
            .unwrap_or(0.0);
        out.gauge(
            GATEWAY_TOOLS,
            "How many tools the gateway listed (0 when it could not be asked).",
        )
        .sample(&[("gateway", input.gateway)], tools);
    }
    // A token check skipped for want of a deployment says nothing; skipped for a deployment
    // (no client secret) means no token could be had.
    if let Some(token) =
        find(Component::Auth, "token").filter(|c| c.status != Status::Skip || report.deployment_id.is_some())
    {
        out.gauge(
            TOKEN_SUCCESS,
            "1 when Cognito issued an access token for the app client, else 0.",
        )
        .sample(&[], flag(matches!(token.status, Status::Pass | Status::Warn)));
    }
}

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

fn millis(ms: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // a probe's milliseconds are far below 2^53
    let ms = ms as f64;
    ms / 1000.0
}

/// A time as Unix seconds.
#[allow(clippy::cast_precision_loss)] // Unix seconds fit an f64's 53 bits exactly
fn seconds(t: OffsetDateTime) -> f64 {
    t.unix_timestamp() as f64
}

/// An RFC 3339 time as Unix seconds.
fn unix(text: &str) -> Option<f64> {
    OffsetDateTime::parse(text, &Rfc3339).ok().map(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::report::Context;

    fn report(online: bool, deployed: bool, checks: &[Check]) -> VerificationReport {
        let context = Context {
            deployment_id: deployed.then(|| "sre-prod".to_string()),
            online,
            mcp_url: deployed.then(|| "https://gw.example/mcp".to_string()),
            ..Context::default()
        };
        VerificationReport::new(context, checks, Vec::new(), Vec::new())
    }

    fn text(report: &VerificationReport) -> String {
        exposition(&Input {
            report,
            certificates: &[],
            gateway: "sre-prod-gw",
            success: true,
            now: OffsetDateTime::UNIX_EPOCH,
        })
        .render()
    }

    fn check(component: Component, name: &str, subject: &str, status: Status) -> Check {
        Check::new(component, name, subject, status, "m")
    }

    #[test]
    fn a_check_on_several_subjects_shows_its_worst_status_once() {
        let checks = [
            check(Component::RemoteTls, "tls", "a:1", Status::Pass),
            check(Component::RemoteTls, "tls", "b:1", Status::Warn),
            check(Component::RemoteTls, "tls", "c:1", Status::Skip),
            check(Component::RemoteTls, "health", "c:1", Status::Skip),
        ];
        let text = text(&report(false, false, &checks));
        for (line, value) in [
            ("check=\"tls\",status=\"warn\"}", 1),
            ("check=\"tls\",status=\"pass\"}", 0),
            ("check=\"tls\",status=\"skip\"}", 0),
            ("check=\"health\",status=\"skip\"}", 1),
        ] {
            assert!(
                text.contains(&format!("{line} {value}\n")),
                "{line} {value} in\n{text}"
            );
        }
        assert_eq!(text.matches("check=\"tls\",status=\"warn\"").count(), 1);
    }

    #[test]
    fn the_token_and_tools_metrics_only_when_they_mean_something() {
        let skipped_token = check(Component::Auth, "token", "cognito", Status::Skip);
        // Offline: neither.
        let offline = text(&report(false, true, std::slice::from_ref(&skipped_token)));
        assert!(
            !offline.contains(TOKEN_SUCCESS) && !offline.contains(GATEWAY_TOOLS),
            "{offline}"
        );
        // Online, nothing deployed: a skipped token says nothing, and there is no gateway.
        let nothing = text(&report(true, false, std::slice::from_ref(&skipped_token)));
        assert!(
            !nothing.contains(TOKEN_SUCCESS) && !nothing.contains(GATEWAY_TOOLS),
            "{nothing}"
        );
        // Online, deployed, no token could be had and no tools listed: both 0.
        let broken = text(&report(true, true, &[skipped_token]));
        assert!(broken.contains("sre_agent_deploy_token_success 0\n"), "{broken}");
        assert!(
            broken.contains("sre_agent_deploy_gateway_tools{gateway=\"sre-prod-gw\"} 0\n"),
            "{broken}"
        );
        // Online and working.
        let tools = check(Component::Gateway, "tools/list", "u", Status::Pass).detail("tools", 12);
        let token = check(Component::Auth, "token", "u", Status::Warn);
        let fine = text(&report(true, true, &[token, tools]));
        assert!(fine.contains("sre_agent_deploy_token_success 1\n"), "{fine}");
        assert!(
            fine.contains("sre_agent_deploy_gateway_tools{gateway=\"sre-prod-gw\"} 12\n"),
            "{fine}"
        );
    }
}

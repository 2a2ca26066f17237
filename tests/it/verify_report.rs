//! The verification report's renderings: Markdown (insta snapshot), JUnit, the JSON round trip,
//! and the HTML page opened in headless Chromium, which must render the status table.
#![allow(clippy::disallowed_methods)]

use sre_agent_deploy::verify::check::{Check, Component, Status};
use sre_agent_deploy::verify::remote::{Layer, Probe};
use sre_agent_deploy::verify::report::{self, Context, Overall, VerificationReport};
use sre_agent_deploy::verify::security::SecurityEvent;

/// A report with one of each kind of result, fixed values only.
fn sample() -> VerificationReport {
    let checks = vec![
        Check::new(
            Component::TlsFiles,
            "expiry",
            "fullchain.pem",
            Status::Warn,
            "expires at 2026-12-10T00:00:00Z, in 17 days (under tls.warn_days = 30)",
        )
        .field("tls.ssl_cert_path")
        .suggest("renew it: `certbot renew --cert-name backend.sre-agent.internal`"),
        Check::new(
            Component::TlsFiles,
            "chain",
            "fullchain.pem",
            Status::Pass,
            "leaf → intermediate → root, trusted by ca.pem",
        ),
        Check::new(
            Component::RemoteTls,
            "health",
            "backend.sre-agent.internal:8011",
            Status::Pass,
            "GET /health: 200 in 3 ms",
        ),
        Check::new(
            Component::RemoteTls,
            "tls",
            "backend.sre-agent.internal:8012",
            Status::Fail,
            "TLS name: the certificate covers other.internal | not backend.sre-agent.internal",
        )
        .suggest("serve a certificate for backend.sre-agent.internal"),
        Check::new(
            Component::Auth,
            "token",
            "https://sre.auth.us-east-1.amazoncognito.com/oauth2/token",
            Status::Pass,
            "client_credentials token issued",
        ),
        Check::new(
            Component::Gateway,
            "tools/list",
            "https://gw.example/mcp",
            Status::Skip,
            "not run: no token",
        ),
        Check::new(
            Component::Security,
            "unauthenticated",
            "https://gw.example/mcp",
            Status::Pass,
            "a request with no token was rejected (HTTP 401)",
        ),
    ];
    let probe = |endpoint: &str, status: Status, layer: Option<Layer>| Probe {
        endpoint: endpoint.into(),
        address: None,
        field: None,
        status,
        failed_layer: layer,
        message: String::new(),
        suggestion: None,
        connect_ms: Some(1),
        tls_ms: Some(2),
        tls_version: Some("TLSv1.3".into()),
        days_left: Some(17),
        not_after: Some("2026-12-10T00:00:00Z".into()),
        earliest_not_after: Some("2026-12-10T00:00:00Z".into()),
        out_of_date: false,
        names: vec!["backend.sre-agent.internal".into()],
        certificate: None,
        health_path: Some("/health".into()),
        http_status: Some(200),
        http_ms: Some(3),
        total_ms: 6,
    };
    let context = Context {
        deployment_id: Some("sre-demo".into()),
        generated_at: "2026-11-23T09:00:00Z".into(),
        duration_ms: 420,
        online: true,
        mcp_url: Some("https://gw.example/mcp".into()),
        token_expires_at: Some("2026-11-23T10:00:00Z".into()),
        rerun: "sre-agent-deploy verify --config config.yaml".into(),
    };
    VerificationReport::new(
        context,
        &checks,
        vec![
            probe("backend.sre-agent.internal:8011", Status::Pass, None),
            probe(
                "backend.sre-agent.internal:8012",
                Status::Fail,
                Some(Layer::TlsName),
            ),
        ],
        vec![SecurityEvent {
            timestamp: "2026-11-23T09:00:00Z".into(),
            endpoint: "https://gw.example/mcp".into(),
            reason: "no token: HTTP 401".into(),
        }],
    )
}

#[test]
fn overall_status_follows_the_worst_check() {
    let report = sample();
    assert_eq!(report.status, Overall::Fail);
    assert_eq!(report.counts(), (4, 1, 1, 1));
    assert_eq!(report.recommendations.len(), 2);
    assert!(
        report.recommendations[0].contains("serve a certificate"),
        "failures come first"
    );
}

#[test]
fn markdown_report_snapshot() {
    insta::assert_snapshot!(report::markdown(&sample()));
}

#[test]
fn json_report_round_trips() {
    let report = sample();
    let text = serde_json::to_string(&report).expect("json");
    let back: VerificationReport = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, report);
}

#[test]
fn junit_has_a_suite_per_component_and_marks_failures() {
    let xml = report::junit(&sample());
    for suite in ["tls_files", "remote_tls", "auth", "gateway", "security"] {
        assert!(
            xml.contains(&format!("<testsuite name=\"{suite}\"")),
            "{suite}: {xml}"
        );
    }
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert_eq!(xml.matches("<skipped").count(), 1, "{xml}");
}

#[test]
fn html_report_escapes_and_is_self_contained() {
    let html = report::html(&sample());
    assert!(html.contains("other.internal | not"), "pipes stay in HTML");
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("http://") && !html.contains("src=\"https"),
        "no external resources"
    );
    let mut evil = sample();
    evil.components[0].checks[0].message = "<img src=x onerror=alert(1)>".into();
    assert!(report::html(&evil).contains("&lt;img src=x"));
}

#[test]
fn html_report_renders_the_status_table_in_chromium() {
    let chromium = crate::support::chromium::ensure().expect("Chromium (installed by the test support)");
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("verification.html");
    std::fs::write(&page, report::html(&sample())).expect("write");
    let dom = crate::support::chromium::dump_dom(&chromium, &page, dir.path()).expect("chromium ran");
    let table = dom
        .split("<table id=\"status\">")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("the rendered DOM has the status table");
    assert_eq!(
        table.matches("<tr>").count(),
        6,
        "a header and five component rows: {table}"
    );
    assert!(
        table.contains("Backend connectivity") && table.contains("fail"),
        "{table}"
    );
    assert!(dom.contains("FAIL"), "overall badge");
}

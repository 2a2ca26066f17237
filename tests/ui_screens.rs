//! Snapshot tests of the wizard's full-screen screens on ratatui's `TestBackend`: review, the
//! dashboard mid-run (with and without the help overlay), the failure panel and the report, each at
//! 80x24 and 160x48. The buffers are rendered as plain text (no styles); colour is checked
//! separately with NO_COLOR.

use std::path::PathBuf;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use sre_agent_deploy::ui::screens::{
    Action, App, Event, FailureView, KeyInput, ReportView, ReviewItem, ReviewView, StepOutcome, StepView,
    Theme, draw,
};
use sre_agent_deploy::validate::Finding;
use sre_agent_deploy::verify::remote::{Layer, Probe};
use sre_agent_deploy::verify::report::{Context, VerificationReport};
use sre_agent_deploy::verify::{Check, Component, Status};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn render(app: &App, theme: Theme, width: u16, height: u16) -> Buffer {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(terminal) => terminal,
        Err(e) => match e {},
    };
    if let Err(e) = terminal.draw(|frame| draw(frame, app, &theme)) {
        match e {}
    }
    terminal.backend().buffer().clone()
}

/// The buffer as text, one line per row, trailing spaces trimmed.
fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, app: &App) {
    for (width, height) in SIZES {
        let screen = text(&render(app, Theme::from_env(None), width, height));
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
    }
}

fn review_view() -> ReviewView {
    let item = |step: &str, kind: &str, name: &str, action| ReviewItem {
        step: step.into(),
        kind: kind.into(),
        name: name.into(),
        action,
    };
    ReviewView {
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        deployment_id: "sre-demo".into(),
        items: vec![
            item("tls", "acm certificate", "sre-demo-backend", Action::Reuse),
            item("secrets", "secret", "sre-demo/backend-api-key", Action::Create),
            item("cognito", "user pool", "sre-demo-pool", Action::Create),
            item("cognito", "app client", "sre-demo-client", Action::Create),
            item("cognito", "domain", "sre-demo-auth", Action::Create),
            item("iam", "role", "sre-demo-gateway-role", Action::Create),
            item("gateway", "agentcore gateway", "sre-demo-gateway", Action::Create),
            item("gateway", "target", "k8s-api", Action::Create),
            item("gateway", "target", "prometheus", Action::Create),
            item("provider", "api key provider", "legacy-provider", Action::Leave),
        ],
        warnings: vec![
            Finding::warning("tls.cert_path", "the certificate expires in 20 days (2026-12-13)")
                .suggest("renew it before deploying to production"),
        ],
    }
}

fn steps() -> Vec<StepView> {
    vec![
        StepView::pending("tls", &[]),
        StepView::pending("secrets", &[]),
        StepView::pending("cognito", &[]),
        StepView::pending("iam", &["secrets"]),
        StepView::pending("gateway", &["iam", "cognito", "tls"]),
        StepView::pending("targets", &["gateway"]),
        StepView::pending("verify", &["targets"]),
    ]
}

fn tick(app: &mut App, secs: u64) {
    app.handle(Event::Tick(Duration::from_secs(secs)));
}

/// Mid-run: three steps done, one running with an operation, three pending, a few log lines.
fn mid_run() -> App {
    let mut app = App::new(review_view(), steps());
    app.handle(Event::Key(KeyInput::Enter));
    let start = |app: &mut App, id: &str, op: &str| {
        app.handle(Event::StepStarted {
            id: id.into(),
            operation: Some(op.into()),
        });
        app.handle(Event::Log(format!("[{id}] {op}")));
    };
    let finish = |app: &mut App, id: &str| {
        app.handle(Event::StepFinished {
            id: id.into(),
            outcome: StepOutcome::Done,
        });
        app.handle(Event::Log(format!("[{id}] done")));
    };
    start(&mut app, "tls", "acm:DescribeCertificate");
    start(&mut app, "secrets", "secretsmanager:CreateSecret");
    start(&mut app, "cognito", "cognito-idp:CreateUserPool");
    tick(&mut app, 2);
    finish(&mut app, "tls");
    tick(&mut app, 1);
    finish(&mut app, "secrets");
    start(&mut app, "iam", "iam:CreateRole");
    tick(&mut app, 4);
    finish(&mut app, "iam");
    app.handle(Event::StepOperation {
        id: "cognito".into(),
        operation: "cognito-idp:CreateUserPoolDomain".into(),
    });
    app.handle(Event::Log(
        "[cognito] cognito-idp:CreateUserPoolDomain (attempt 2)".into(),
    ));
    tick(&mut app, 5);
    app
}

fn failure() -> FailureView {
    FailureView {
        message: "AWS refused CreateGateway: AccessDeniedException: User is not authorized to perform \
                  bedrock-agentcore:CreateGateway"
            .into(),
        context: vec![
            "creating the AgentCore gateway sre-demo-gateway".into(),
            "step gateway".into(),
        ],
        suggestion: Some(
            "grant bedrock-agentcore:CreateGateway to the deploying role, then resume; nothing created so \
             far is lost"
                .into(),
        ),
        resume: "sre-agent-deploy deploy --config sre.yaml --resume sre-demo".into(),
    }
}

fn failed() -> App {
    let mut app = mid_run();
    app.handle(Event::StepFinished {
        id: "cognito".into(),
        outcome: StepOutcome::Done,
    });
    app.handle(Event::StepStarted {
        id: "gateway".into(),
        operation: Some("bedrock-agentcore:CreateGateway".into()),
    });
    tick(&mut app, 1);
    app.handle(Event::StepFinished {
        id: "gateway".into(),
        outcome: StepOutcome::Failed,
    });
    for id in ["targets", "verify"] {
        app.handle(Event::StepFinished {
            id: id.into(),
            outcome: StepOutcome::Skipped,
        });
    }
    app.handle(Event::Log("[gateway] AccessDeniedException".into()));
    app.handle(Event::RunFailed(failure()));
    app
}

fn probe(endpoint: &str, status: Status) -> Probe {
    Probe {
        endpoint: endpoint.into(),
        address: None,
        field: None,
        status,
        failed_layer: None,
        message: "all layers passed".into(),
        suggestion: None,
        connect_ms: Some(12),
        tls_ms: Some(30),
        tls_version: Some("TLSv1.3".into()),
        days_left: Some(200),
        not_after: None,
        names: Vec::new(),
        certificate: None,
        health_path: Some("/healthz".into()),
        http_status: Some(200),
        http_ms: Some(40),
        total_ms: 82,
    }
}

fn report() -> ReportView {
    let checks = vec![
        Check::new(
            Component::TlsFiles,
            "expiry",
            "certs/backend.pem",
            Status::Warn,
            "expires in 20 days",
        )
        .suggest("renew the certificate")
        .timed(Duration::from_millis(3)),
        Check::new(
            Component::TlsFiles,
            "key-match",
            "certs/backend.key",
            Status::Pass,
            "key matches",
        ),
        Check::new(
            Component::RemoteTls,
            "probe",
            "k8s.example.com:443",
            Status::Pass,
            "all layers passed",
        ),
        Check::new(
            Component::RemoteTls,
            "probe",
            "prom.example.com:9090",
            Status::Fail,
            "TLS name: not covered",
        )
        .suggest("issue a certificate that covers prom.example.com")
        .timed(Duration::from_millis(140)),
        Check::new(Component::Auth, "token", "cognito", Status::Pass, "token issued")
            .timed(Duration::from_millis(420)),
        Check::new(Component::Gateway, "tools/list", "mcp", Status::Pass, "12 tools")
            .timed(Duration::from_millis(900)),
        Check::new(
            Component::Security,
            "no-token",
            "mcp",
            Status::Pass,
            "rejected with 401",
        ),
    ];
    let mut warn = probe("old.example.com:443", Status::Warn);
    warn.days_left = Some(9);
    warn.message = "TLS expiry: the certificate expires in 9 days".into();
    let mut fail = probe("prom.example.com:9090", Status::Fail);
    fail.failed_layer = Some(Layer::TlsName);
    fail.tls_version = Some("TLSv1.2".into());
    fail.http_status = None;
    fail.total_ms = 140;
    fail.message = "TLS name: the certificate does not cover prom.example.com".into();
    let connectivity = vec![probe("k8s.example.com:443", Status::Pass), warn, fail];
    let context = Context {
        deployment_id: Some("sre-demo".into()),
        generated_at: "2026-11-23T10:00:00Z".into(),
        duration_ms: 2_400,
        online: true,
        mcp_url: Some("https://gw.example.com/mcp".into()),
        token_expires_at: None,
        rerun: "sre-agent-deploy verify --config sre.yaml".into(),
    };
    ReportView {
        report: VerificationReport::new(context, &checks, connectivity, Vec::new()),
        paths: vec![
            PathBuf::from("reports/sre-demo/report.html"),
            PathBuf::from("reports/sre-demo/report.json"),
        ],
    }
}

fn finished() -> App {
    let mut app = mid_run();
    for id in ["cognito", "gateway", "targets", "verify"] {
        app.handle(Event::StepFinished {
            id: id.into(),
            outcome: StepOutcome::Done,
        });
    }
    app.handle(Event::RunFinished(report()));
    app
}

#[test]
fn review_with_a_warning() {
    let mut app = App::new(review_view(), steps());
    // Up from Deploy: provider, gateway, iam, cognito. The cognito rows are highlighted.
    for _ in 0..4 {
        app.handle(Event::Key(KeyInput::Up));
    }
    snapshot("review", &app);
}

#[test]
fn dashboard_mid_run() {
    snapshot("dashboard_mid_run", &mid_run());
}

#[test]
fn dashboard_stopping_without_log() {
    let mut app = mid_run();
    app.handle(Event::Key(KeyInput::Char('l')));
    app.handle(Event::Key(KeyInput::Char('q')));
    snapshot("dashboard_stopping", &app);
}

#[test]
fn dashboard_with_help() {
    let mut app = mid_run();
    app.handle(Event::Key(KeyInput::Char('?')));
    snapshot("dashboard_help", &app);
}

#[test]
fn failure_panel() {
    snapshot("failure", &failed());
}

#[test]
fn report_screen() {
    snapshot("report", &finished());
}

#[test]
fn tiny_sizes_do_not_panic() {
    let mut help = mid_run();
    help.handle(Event::Key(KeyInput::Char('?')));
    let apps = [
        App::new(review_view(), steps()),
        mid_run(),
        help,
        failed(),
        finished(),
    ];
    for app in &apps {
        for (width, height) in [(20, 5), (1, 1), (0, 0), (80, 3), (5, 40)] {
            render(app, Theme::from_env(None), width, height);
        }
    }
}

#[test]
fn no_color_sets_no_colour_and_colour_does() {
    let apps = [App::new(review_view(), steps()), mid_run(), failed(), finished()];
    let coloured = |buffer: &Buffer| {
        buffer
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    for app in &apps {
        for (width, height) in SIZES {
            let plain = render(app, Theme::from_env(Some("1")), width, height);
            assert_eq!(coloured(&plain), 0, "NO_COLOR set a colour at {width}x{height}");
            let colour = render(app, Theme::from_env(None), width, height);
            assert!(coloured(&colour) > 0, "no colour at all at {width}x{height}");
            assert_eq!(text(&plain), text(&colour), "the text differs with NO_COLOR");
        }
    }
}

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
use sre_agent_deploy::ui::section::Section;
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
pub(crate) fn text(buffer: &Buffer) -> String {
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

pub(crate) fn review_view() -> ReviewView {
    let item = |step: &str, kind: &str, name: &str, action| ReviewItem {
        section: Section::of(step).expect("a section"),
        kind: kind.into(),
        name: name.into(),
        action,
        fields: Vec::new(),
    };
    ReviewView {
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        deployment_id: "sre-demo".into(),
        items: vec![
            item("aws", "IAM role", "SreAgentGatewayRole", Action::Reuse),
            item(
                "aws",
                "IAM role policy",
                "sre-agent-deploy-sre-demo",
                Action::Leave,
            ),
            item(
                "cognito",
                "Cognito user pool",
                "sre-agent-sre-demo",
                Action::Create,
            ),
            item("cognito", "Cognito domain", "sre-demo-auth", Action::Create),
            item("cognito", "Cognito resource server", "sre-agent", Action::Create),
            item(
                "cognito",
                "Cognito app client",
                "sre-agent-sre-demo-client",
                Action::Create,
            ),
            item(
                "gateway",
                "S3 bucket",
                "sre-demo-specs-123456789012",
                Action::Reuse,
            ),
            item(
                "gateway",
                "S3 object",
                "sre-agent/specs/k8s-api.yaml",
                Action::Create,
            ),
            item(
                "gateway",
                "API key credential provider",
                "sre-demo-api-key",
                Action::Create,
            ),
            item("gateway", "AgentCore gateway", "sre-demo-gateway", Action::Create),
            item("gateway", "gateway target", "k8s-api", Action::Create),
            item("gateway", "gateway target", "prometheus", Action::Leave),
            item(
                "tls",
                "TLS certificate",
                "backend.sre-demo.internal",
                Action::Leave,
            ),
        ],
        warnings: vec![
            Finding::warning(
                "tls.ssl_cert_path",
                "the certificate expires in 20 days (2026-12-13)",
            )
            .suggest("renew it before deploying to production"),
        ],
    }
}

pub(crate) fn steps() -> Vec<StepView> {
    // The real step graph for one target (`Step::all` and `Step::deps`).
    vec![
        StepView::pending("iam-role", &[]),
        StepView::pending("cognito-pool", &[]),
        StepView::pending("cognito-domain", &["cognito-pool"]),
        StepView::pending("cognito-resource-server", &["cognito-pool"]),
        StepView::pending("cognito-client", &["cognito-resource-server"]),
        StepView::pending("s3-bucket", &[]),
        StepView::pending("s3-specs", &["s3-bucket"]),
        StepView::pending("credential-provider", &[]),
        StepView::pending("gateway", &["iam-role", "cognito-pool", "cognito-client"]),
        StepView::pending("target:k8s-api", &["gateway", "s3-specs", "credential-provider"]),
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
        app.handle(Event::Log(format!("12:00:00 {id}: started ({op})")));
    };
    let finish = |app: &mut App, id: &str| {
        app.handle(Event::StepFinished {
            id: id.into(),
            outcome: StepOutcome::Done,
        });
        app.handle(Event::Log(format!("12:00:03 {id}: done in 1.00 s, 2 AWS calls")));
    };
    start(&mut app, "iam-role", "CreateRole");
    start(&mut app, "cognito-pool", "CreateUserPool");
    start(&mut app, "s3-bucket", "CreateBucket");
    start(&mut app, "credential-provider", "CreateApiKeyCredentialProvider");
    tick(&mut app, 1);
    finish(&mut app, "s3-bucket");
    start(&mut app, "s3-specs", "PutObject");
    finish(&mut app, "credential-provider");
    tick(&mut app, 2);
    finish(&mut app, "iam-role");
    finish(&mut app, "s3-specs");
    finish(&mut app, "cognito-pool");
    start(&mut app, "cognito-domain", "CreateUserPoolDomain");
    start(&mut app, "cognito-resource-server", "CreateResourceServer");
    tick(&mut app, 1);
    finish(&mut app, "cognito-resource-server");
    app.handle(Event::StepOperation {
        id: "cognito-domain".into(),
        operation: "DescribeUserPoolDomain".into(),
    });
    app.handle(Event::Log(
        "12:00:04 cognito-domain: waiting for the domain to be ACTIVE".into(),
    ));
    tick(&mut app, 5);
    app
}

fn failure() -> FailureView {
    FailureView {
        message: "step gateway: AgentCore gateway sre-demo-gateway: AccessDeniedException: User is not \
                  authorized to perform bedrock-agentcore:CreateGateway"
            .into(),
        context: vec![
            "running step gateway".into(),
            "working on AgentCore gateway sre-demo-gateway".into(),
        ],
        suggestion: Some(
            "grant bedrock-agentcore:CreateGateway to the deploying identity, then resume; nothing \
             created so far is lost"
                .into(),
        ),
        resume: "sre-agent-deploy --resume --state-file .sre-agent-deploy/sre-demo.json".into(),
    }
}

fn failed() -> App {
    let mut app = mid_run();
    for id in ["cognito-domain", "cognito-client"] {
        app.handle(Event::StepFinished {
            id: id.into(),
            outcome: StepOutcome::Done,
        });
    }
    app.handle(Event::StepStarted {
        id: "gateway".into(),
        operation: Some("CreateGateway".into()),
    });
    tick(&mut app, 1);
    app.handle(Event::StepFinished {
        id: "gateway".into(),
        outcome: StepOutcome::Failed,
    });
    app.handle(Event::Log(
        "12:00:09 gateway: failed after 1.00 s: AccessDeniedException".into(),
    ));
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
        earliest_not_after: None,
        out_of_date: false,
        names: Vec::new(),
        certificate: None,
        health_path: Some("/healthz".into()),
        http_status: Some(200),
        http_ms: Some(40),
        total_ms: 82,
    }
}

pub(crate) fn report() -> ReportView {
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
            PathBuf::from(".sre-agent-deploy/reports/sre-demo/verification.json"),
            PathBuf::from(".sre-agent-deploy/reports/sre-demo/verification.md"),
            PathBuf::from(".sre-agent-deploy/reports/sre-demo/verification.html"),
            PathBuf::from(".sre-agent-deploy/reports/sre-demo/verification.junit.xml"),
        ],
    }
}

fn finished() -> App {
    let mut app = mid_run();
    for id in ["cognito-domain", "cognito-client", "gateway", "target:k8s-api"] {
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
    // Up from Deploy: tls, gateway, cognito. The cognito rows are highlighted.
    for _ in 0..3 {
        app.handle(Event::Key(KeyInput::Up));
    }
    snapshot("review", &app);
}

/// A re-run's review shows `plan`'s actions, with each changing field under its resource.
#[test]
fn review_of_a_rerun_shows_the_field_changes() {
    let mut view = review_view();
    view.items.push(ReviewItem {
        section: Section::Gateway,
        kind: "AgentCore gateway".into(),
        name: "sre-agent-gateway".into(),
        action: Action::Update,
        fields: vec![("description".into(), "old -> new".into())],
    });
    view.items.push(ReviewItem {
        section: Section::Gateway,
        kind: "gateway target".into(),
        name: "runbooks-api".into(),
        action: Action::Delete,
        fields: vec![(String::new(), "(no longer named)".into())],
    });
    let app = App::new(view, steps());
    let screen = text(&render(&app, Theme::from_env(None), 120, 50));
    assert!(screen.contains("1 to update, 1 to delete"), "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("sre-agent-gateway") && l.contains("update"))
        .expect("the gateway's row");
    assert!(
        lines[at + 1].contains("description") && lines[at + 1].contains("old -> new"),
        "{screen}"
    );
    assert!(screen.contains("(no longer named)"), "{screen}");
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

#[test]
fn many_steps_at_80x24_keep_the_running_one_in_view() {
    let mut steps = steps();
    // 20 steps: more than the 15 rows the steps get at 80x24, so the pane scrolls.
    for name in [
        "logs-api",
        "metrics-api",
        "runbooks-api",
        "traces-api",
        "alerts-api",
        "events-api",
        "deploys-api",
        "costs-api",
        "slo-api",
        "oncall-api",
    ] {
        steps.push(StepView::pending(
            format!("target:{name}"),
            &["gateway", "s3-specs", "credential-provider"],
        ));
    }
    let ids: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
    let mut app = App::dashboard("sre-demo", steps);
    for id in &ids[..16] {
        app.handle(Event::StepFinished {
            id: id.clone(),
            outcome: StepOutcome::Done,
        });
    }
    app.handle(Event::StepStarted {
        id: "target:costs-api".into(),
        operation: Some("CreateGatewayTarget".into()),
    });
    let screen = text(&render(&app, Theme::from_env(None), 80, 24));
    assert!(
        screen
            .lines()
            .any(|l| l.contains("running") && l.contains("target:costs-api")),
        "{screen}"
    );
    assert!(
        screen.contains("target:oncall-api"),
        "the pending steps after it too:\n{screen}"
    );
    assert!(
        !screen.contains("iam-role"),
        "finished steps scrolled away first:\n{screen}"
    );
    assert!(screen.contains("┌ Log"), "the log keeps its rows:\n{screen}");
}

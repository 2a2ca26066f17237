//! The interactive wizard in a real pseudo-terminal (tmux): the prompts are answered by typing,
//! a wrong answer is refused inline, the review is confirmed, the deploy runs against the
//! loopback emulator, and the run ends on the verification report screen. Then the saved config,
//! its backup and the state file are checked, and the terminal is back to normal.
#![allow(clippy::disallowed_methods)]

use std::time::Duration;

use crate::support::emulator::Emulator;
use crate::support::look::Look;
use crate::support::tls_servers::Backends;
use crate::support::tmux::{Terminal, has_colour};
use crate::support::{Fixture, loopback_config};

const PROMPT: Duration = Duration::from_mins(1);

/// The terminal's environment: the emulator's, a backend key, a home without AWS files, `extra`.
fn terminal_env(emu: &Emulator, f: &Fixture, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut env = emu.env();
    env.push(("BACKEND_API_KEY", "pty-backend-key-value".into()));
    env.push(("HOME", f.dir.path().display().to_string()));
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_string())));
    env
}

/// What the operator starts from: only how to reach the loopback backends and the emulator's
/// token and MCP endpoints (a real deployment needs none of this).
fn starting_config(emu: &Emulator) -> String {
    format!(
        "version: 1\nverify:\n  resolve: [\"backend.sre-agent.internal:127.0.0.1\"]\n  token_url: {}\n  mcp_url: {}\n",
        emu.token_url(),
        emu.mcp_url()
    )
}

#[test]
fn the_wizard_answers_prompts_deploys_and_shows_the_report() {
    let emu = Emulator::start().expect("emulator");
    // What the account already has: the wizard offers these.
    let look = Look::new(&emu);
    look.rt.block_on(async {
        look.iam()
            .create_role()
            .role_name("ExistingTeamRole")
            .assume_role_policy_document("{}")
            .send()
            .await
            .expect("role");
        look.cognito()
            .create_user_pool()
            .pool_name("team-pool")
            .send()
            .await
            .expect("pool");
        look.s3()
            .create_bucket()
            .bucket("team-bucket")
            .send()
            .await
            .expect("bucket");
    });
    let f = Fixture::new();
    let backends = Backends::serve(f.dir.path(), 4, 200);
    let start = starting_config(&emu);
    f.write("config.yaml", &start);
    let env = terminal_env(&emu, &f, &[("NO_COLOR", "1")]);
    let tool = assert_cmd::cargo::cargo_bin("sre-agent-deploy");
    let term = Terminal::start(f.dir.path(), &tool, &["--config", "config.yaml"], &env, (100, 32));

    let welcome = term.wait_for("AWS region", PROMPT);
    assert!(
        welcome.contains("account 123456789012, region us-east-1"),
        "{welcome}"
    );
    assert!(
        welcome.contains("Nothing is created before you confirm"),
        "{welcome}"
    );
    term.press(&["Enter"]); // region: from AWS_REGION
    term.wait_for("AWS account id (123456789012)", PROMPT);
    term.press(&["Enter"]); // account: discovered from the credentials
    // Existing roles are offered; a new one is named next.
    let roles = term.wait_for("a new least-privilege role (name it next)", PROMPT);
    assert!(roles.contains("ExistingTeamRole"), "{roles}");
    term.press(&["Enter"]);
    term.wait_for("IAM role the gateway runs with (SreAgentGatewayRole)", PROMPT);
    term.type_line("SreWizardRole");
    let pools = term.wait_for("create a new user pool", PROMPT);
    assert!(pools.contains("team-pool (us-east-1_"), "{pools}");
    term.press(&["Enter"]);
    term.wait_for("Cognito domain prefix", PROMPT);
    term.type_line("sre-wizard");
    term.wait_for("Resource server id", PROMPT);
    term.press(&["Enter"]);
    term.wait_for("Scopes", PROMPT);
    term.press(&["Enter"]);
    term.wait_for("Gateway name", PROMPT);
    term.type_line("sre-wizard-gw");
    // The existing bucket is chosen from the list.
    term.wait_for("a new bucket (name it next)", PROMPT);
    term.press(&["Down", "Enter"]);
    term.wait_for("Key prefix", PROMPT);
    term.press(&["Enter"]);
    let secret = term.wait_for("where does it come from?", PROMPT);
    assert!(secret.contains("keep env:BACKEND_API_KEY"), "{secret}");
    term.press(&["Enter"]);
    term.wait_for("DNS name the backends are served on", PROMPT);
    term.type_line("backend.sre-agent.internal");
    for (i, server) in backends.servers.iter().enumerate() {
        term.wait_for(
            &format!(
                "Backend URL of {}",
                ["k8s-api", "logs-api", "metrics-api", "runbooks-api"][i]
            ),
            PROMPT,
        );
        term.type_line(&format!("https://backend.sre-agent.internal:{}", server.port()));
    }
    term.wait_for("Domain name the certificate names", PROMPT);
    term.press(&["Enter"]);
    // No certificate files are configured yet: the wizard offers ACME; the default is to bring
    // the files (they are there).
    let offer = term.wait_for("Get the certificate from an ACME CA", PROMPT);
    assert!(offer.contains("No certificate files are configured"), "{offer}");
    term.press(&["Enter"]);
    term.wait_for("Certificate chain", PROMPT);
    // A wrong path is refused where it was typed, with the validator's message and fix.
    term.type_line("missing.pem");
    let refused = term.wait_for("cannot read", PROMPT);
    assert!(refused.contains("fix: check the path"), "{refused}");
    term.press(&["BSpace"; 11]);
    term.type_line("fullchain.pem");
    term.wait_for("Private key", PROMPT);
    term.type_line("privkey.pem");
    term.wait_for("CA bundle", PROMPT);
    term.type_line("ca.pem");

    let review = term.wait_for("Review the plan", PROMPT);
    assert!(review.contains("SreWizardRole"), "{review}");
    assert!(
        review
            .lines()
            .any(|l| l.contains("team-bucket") && l.contains("reuse")),
        "the existing bucket is reused:\n{review}"
    );
    assert!(review.contains("create"), "{review}");
    // Back to the TLS section (the row above Deploy): only its questions come again, with the
    // answers as defaults; then the review is shown again.
    term.press(&["Up", "Enter"]);
    term.wait_for(
        "Domain name the certificate names (backend.sre-agent.internal)",
        PROMPT,
    );
    term.press(&["Enter"]);
    term.wait_for("Certificate chain (PEM, leaf first) (fullchain.pem)", PROMPT);
    term.press(&["Enter"]);
    term.wait_for("Private key (PEM) (privkey.pem)", PROMPT);
    term.press(&["Enter"]);
    term.wait_for("(ca.pem)", PROMPT);
    term.press(&["Enter"]);
    let again = term.wait_for("Review the plan", PROMPT);
    assert!(again.contains("SreWizardRole"), "{again}");
    term.press(&["Enter"]); // Deploy is the selected row

    let report = term.wait_for("Report files", Duration::from_mins(3));
    assert!(report.contains("Verification"), "{report}");
    assert!(!report.contains("fail"), "the verification failed:\n{report}");
    for component in [
        "TLS certificate files",
        "Backend connectivity",
        "Cognito authentication",
        "Gateway (MCP)",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.contains(component) && l.contains("pass")),
            "{component} did not pass:\n{report}"
        );
    }
    // NO_COLOR: the screens use bold and symbols, never colour.
    assert!(
        !has_colour(&term.styled_screen()),
        "colour despite NO_COLOR:\n{:?}",
        term.styled_screen()
    );
    term.press(&["q"]);
    assert_eq!(term.wait_exit(PROMPT), 0, "{}", term.screen());
    // The terminal is back from the full-screen view: the plain report follows the prompts.
    let after = term.screen();
    assert!(after.contains("Reports:"), "{after}");

    let saved = std::fs::read_to_string(f.path("config.yaml")).expect("saved config");
    let config: serde_json::Value = serde_saphyr::from_str(&saved).expect("saved config is YAML");
    assert_eq!(config["aws"]["role_name"], "SreWizardRole", "{saved}");
    assert_eq!(config["cognito"]["cognito_domain"], "sre-wizard");
    assert_eq!(config["gateway"]["s3_bucket"], "team-bucket");
    assert!(
        config["cognito"]["user_pool_id"].is_null(),
        "a new pool was chosen: {saved}"
    );
    assert_eq!(config["gateway"]["api_key"], "env:BACKEND_API_KEY");
    assert_eq!(
        config["gateway"]["targets"].as_array().map(Vec::len),
        Some(4),
        "{saved}"
    );
    assert_eq!(config["tls"]["ssl_cert_path"], "fullchain.pem");
    assert!(
        !saved.contains("pty-backend-key-value"),
        "a secret value was saved:\n{saved}"
    );
    let backups: Vec<_> = std::fs::read_dir(f.dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("config.yaml.bak-"))
        .collect();
    assert_eq!(backups.len(), 1, "one backup of the starting file");
    assert_eq!(std::fs::read_to_string(backups[0].path()).expect("backup"), start);

    let states: Vec<_> = std::fs::read_dir(f.path(".sre-agent-deploy"))
        .expect("state folder")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    assert_eq!(states.len(), 1);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(states[0].path()).expect("state")).expect("state JSON");
    assert_eq!(state["status"], "complete");
    assert!(
        !std::fs::read_to_string(states[0].path())
            .expect("state")
            .contains("pty-backend-key-value")
    );
}

#[test]
fn a_failure_shows_the_panel_and_resume_on_a_terminal_finishes_the_run() {
    use crate::support::emulator::{FaultKind, FaultRule};
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::new();
    let backends = Backends::serve(f.dir.path(), 2, 200);
    f.write("config.yaml", &loopback_config("pty", &emu, &backends));
    let env = terminal_env(&emu, &f, &[]);
    let tool = assert_cmd::cargo::cargo_bin("sre-agent-deploy");
    let size = (80, 24);

    // 1. The role cannot be created (throttled until the retries run out): the failure panel.
    emu.faults()
        .add_rule(FaultRule::times("CreateRole", FaultKind::Throttle, 1000));
    let term = Terminal::start(f.dir.path(), &tool, &["-c", "config.yaml"], &env, size);
    term.wait_for("Use it as it is?", PROMPT);
    term.press(&["Enter"]);
    term.wait_for("Review the plan", PROMPT);
    term.press(&["Enter"]);
    // The command itself, not the box's title: a capture can land between the two being drawn.
    let panel = term.wait_for("sre-agent-deploy --resume --state-file", Duration::from_mins(2));
    assert!(panel.contains("Deployment sre-pty failed"), "{panel}");
    assert!(panel.contains("while running step iam-role"), "{panel}");
    assert!(
        panel.contains("sre-agent-deploy --resume --state-file"),
        "{panel}"
    );
    term.press(&["q"]);
    assert_eq!(
        term.wait_exit(PROMPT),
        3,
        "a failed run exits 3:\n{}",
        term.screen()
    );
    let state_file = ".sre-agent-deploy/sre-pty.json";
    assert!(f.path(state_file).is_file(), "the state was saved");
    drop(term);

    // 2. --resume on a terminal opens the dashboard; q stops safely with the resume command.
    emu.faults().clear();
    emu.faults().set_latency(Duration::from_millis(400));
    let term = Terminal::start(
        f.dir.path(),
        &tool,
        &["--resume", "--state-file", state_file],
        &env,
        size,
    );
    let dashboard = term.wait_for("running", PROMPT);
    assert!(dashboard.contains("Deploying sre-pty"), "{dashboard}");
    assert!(dashboard.contains("steps"), "the gauge:\n{dashboard}");
    assert!(dashboard.contains("q stop safely"), "the footer:\n{dashboard}");
    term.press(&["q"]);
    assert_eq!(term.wait_exit(Duration::from_mins(2)), 130, "{}", term.screen());
    let after = term.screen();
    assert!(
        after.contains("--resume --state-file"),
        "the resume command is printed:\n{after}"
    );
    drop(term);

    // 3. Resumed again, it finishes and ends on the verification report.
    emu.faults().set_latency(Duration::ZERO);
    let term = Terminal::start(
        f.dir.path(),
        &tool,
        &["--resume", "--state-file", state_file],
        &env,
        size,
    );
    let report = term.wait_for("Report files", Duration::from_mins(3));
    assert!(report.contains("Verification"), "{report}");
    assert!(
        has_colour(&term.styled_screen()),
        "without NO_COLOR the statuses are coloured"
    );
    assert!(
        report.lines().all(|l| l.chars().count() <= 80),
        "drawn for 80 columns:\n{report}"
    );
    // A resize redraws the screen at the new size.
    term.resize(120, 40);
    let begun = std::time::Instant::now();
    while !term.screen().lines().any(|l| l.chars().count() > 80) {
        assert!(
            begun.elapsed() < PROMPT,
            "not redrawn at 120 columns:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(term.screen().contains("Report files"));
    term.press(&["q"]);
    assert_eq!(term.wait_exit(PROMPT), 0, "{}", term.screen());
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path(state_file)).expect("state")).expect("JSON");
    assert_eq!(state["status"], "complete");
}

#[test]
fn ctrl_c_at_a_prompt_stops_with_nothing_created_or_written() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::new();
    let start = starting_config(&emu);
    f.write("config.yaml", &start);
    let env = terminal_env(&emu, &f, &[]);
    let tool = assert_cmd::cargo::cargo_bin("sre-agent-deploy");
    let term = Terminal::start(f.dir.path(), &tool, &["-c", "config.yaml"], &env, (80, 24));
    term.wait_for("AWS region", PROMPT);
    term.press(&["Enter"]);
    term.wait_for("AWS account id", PROMPT);
    term.press(&["C-c"]);
    assert_eq!(term.wait_exit(PROMPT), 130, "{}", term.screen());
    let screen = term.screen();
    assert!(screen.contains("nothing was created"), "{screen}");
    assert!(
        screen.contains("sre-agent-deploy --config config.yaml"),
        "how to start again:\n{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(f.path("config.yaml")).expect("config"),
        start,
        "the file is untouched"
    );
    assert!(!f.path(".sre-agent-deploy").exists(), "no state");
    let calls = emu.calls();
    assert!(
        calls.iter().any(|c| c.operation == "GetCallerIdentity"),
        "the account was looked at (read-only)"
    );
    let writes: Vec<_> = calls
        .iter()
        .filter(|c| {
            ["Create", "Put", "Update", "Delete"]
                .iter()
                .any(|w| c.operation.starts_with(w))
        })
        .map(|c| c.operation.clone())
        .collect();
    assert!(
        writes.is_empty(),
        "nothing may be changed before the review: {writes:?}"
    );
}

//! `init`, `schema`, `--help`, usage errors, and the runs that stop before creating anything.
#![allow(clippy::disallowed_methods)]

use crate::support::{Fixture, finding_fields, json_output};
use predicates::prelude::*;

#[test]
fn init_writes_a_commented_config_and_its_schema() {
    let fixture = Fixture::new();
    fixture
        .cmd()
        .args(["init", "--output", "new.yaml"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("wrote new.yaml"));
    let text = std::fs::read_to_string(fixture.path("new.yaml")).expect("config written");
    assert!(text.starts_with("# yaml-language-server: $schema=./sre-agent-deploy.schema.json\n"));
    assert!(
        text.lines().filter(|l| l.trim_start().starts_with('#')).count() > 30,
        "fully commented"
    );
    let schema = std::fs::read_to_string(fixture.path("sre-agent-deploy.schema.json")).expect("schema");
    assert_eq!(
        schema,
        std::fs::read_to_string(crate::support::repo_path("schemas/config.schema.json")).expect("committed")
    );
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let fixture = Fixture::new();
    let before = std::fs::read_to_string(fixture.path("config.yaml")).expect("read");
    fixture
        .cmd()
        .args(["init", "--output", "config.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(
        std::fs::read_to_string(fixture.path("config.yaml")).expect("read"),
        before
    );
    fixture
        .cmd()
        .args(["init", "--output", "config.yaml", "--force"])
        .assert()
        .code(0);
    assert_ne!(
        std::fs::read_to_string(fixture.path("config.yaml")).expect("read"),
        before
    );
}

#[test]
fn the_untouched_template_fails_on_its_placeholders() {
    let fixture = Fixture::new();
    fixture
        .cmd()
        .args(["init", "--output", "fresh.yaml"])
        .assert()
        .code(0);
    let output = fixture
        .cmd()
        .args(["--validate-only", "--config", "fresh.yaml", "--output", "json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json = json_output(&output);
    let fields = finding_fields(&json);
    for field in [
        "aws.account_id",
        "aws.region",
        "cognito.cognito_domain",
        "gateway.s3_bucket",
        "tls.domain_name",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    let messages = json["findings"].to_string();
    for placeholder in ["YOUR_ACCOUNT_ID", "REGION", "<your-spec-bucket>", "example.com"] {
        assert!(messages.contains(placeholder), "{placeholder}");
    }
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let output = Fixture::new().cmd().arg("schema").output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let committed =
        std::fs::read(crate::support::repo_path("schemas/config.schema.json")).expect("committed");
    assert_eq!(output.stdout, committed);
}

#[test]
fn resume_without_a_state_file_says_where_it_looked() {
    Fixture::new()
        .cmd()
        .args(["--resume", "--deployment-id", "sre-none"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no state file"))
        .stderr(predicate::str::contains("--state-file"));
}

#[test]
fn deploy_with_an_invalid_config_creates_nothing() {
    let fixture = Fixture::with_replaced("region: us-west-2", "region: us-west2");
    fixture
        .cmd()
        .args(["--non-interactive", "--config", "config.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("did you mean \"us-west-2\"?"));
    assert!(
        !fixture.path(".sre-agent-deploy").exists(),
        "no state file for an invalid config"
    );
}

#[test]
fn usage_errors_exit_2() {
    let fixture = Fixture::new();
    fixture.cmd().args(["--cleanup"]).assert().code(2);
    fixture
        .cmd()
        .args(["--validate-only", "--output", "xml"])
        .assert()
        .code(2);
    fixture.cmd().args(["--strict"]).assert().code(2);
    fixture
        .validate(&["--set", "aws.regoin=x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean aws.region?"));
}

#[test]
fn help_explains_modes_precedence_and_exit_codes() {
    Fixture::new()
        .cmd()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("SRE_AGENT_DEPLOY_<SECTION>_<FIELD>"))
        .stdout(predicate::str::contains("COGNITO_CLIENT_SECRET"))
        .stdout(predicate::str::contains("--validate-only"));
}

#[test]
fn demo_config_is_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::support::certs::write_chain(dir.path(), "backend.sre-agent.internal", 90).expect("certs");
    let config =
        std::fs::read_to_string(crate::support::repo_path("examples/demo/config.yaml")).expect("demo config");
    let config = config.replace("../../target/demo/", "");
    std::fs::write(dir.path().join("config.yaml"), config).expect("write");
    let output = Fixture::new()
        .cmd()
        .current_dir(dir.path())
        .args(["--validate-only", "--config", "config.yaml", "--output", "json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    // The demo's backends run on this machine (verify.resolve maps them to 127.0.0.1), so the host
    // preflight may add warnings about this machine (host.*); nothing else may be reported.
    let fields: Vec<String> = finding_fields(&json_output(&output))
        .into_iter()
        .filter(|f| !f.starts_with("host."))
        .collect();
    assert_eq!(fields, Vec::<String>::new());
}

#[test]
fn without_a_terminal_a_missing_value_names_its_field_variable_and_flag() {
    // Standard input is not a terminal here (as in CI): no prompt, the same checks as
    // --validate-only, and each missing value says every place it can come from.
    let fixture = Fixture::with_config("version: 1\n");
    let output = fixture.cmd().args(["-c", "config.yaml"]).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("error[aws.region]: aws.region is required")
            && stdout.contains("SRE_AGENT_DEPLOY_AWS_REGION or AWS_REGION, or pass --region VALUE"),
        "{stdout}"
    );
    assert!(
        stdout.contains("SRE_AGENT_DEPLOY_GATEWAY_S3_BUCKET, or pass --set gateway.s3_bucket=VALUE"),
        "{stdout}"
    );
    assert!(!fixture.path(".sre-agent-deploy").exists(), "nothing was started");
}

#[test]
fn quiet_and_verbose_work_before_a_subcommand_as_after_it() {
    let fixture = Fixture::new();
    for args in [
        &["-q", "verify", "-c", "config.yaml", "--offline"][..],
        &["verify", "-q", "-c", "config.yaml", "--offline"],
    ] {
        let output = fixture.cmd().args(args).output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.stderr.is_empty(),
            "{args:?}: quiet, yet {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let output = fixture
        .cmd()
        .args(["-v", "verify", "-c", "config.yaml", "--offline"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert!(!output.stderr.is_empty(), "progress lines without -q");
    // The deploy mode's own flags still cannot go with a subcommand.
    fixture
        .cmd()
        .args(["--resume", "verify"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
}

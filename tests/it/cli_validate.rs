//! `--validate-only` end to end: exit codes, text and JSON output, JUnit, layering.
#![allow(clippy::disallowed_methods)]

use crate::support::{Fixture, finding_fields, json_output};
use predicates::prelude::*;

#[test]
fn valid_config_exits_zero() {
    Fixture::new()
        .validate(&[])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "ok: config.yaml is valid (0 errors, 0 warnings)",
        ));
}

#[test]
fn json_output_has_the_contract_shape() {
    let fixture = Fixture::with_replaced("region: us-west-2", "region: us-west2");
    let output = fixture.validate(&["--output", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json = json_output(&output);
    assert_eq!(json["valid"], false);
    assert_eq!(finding_fields(&json), ["aws.region"]);
    let finding = &json["findings"][0];
    assert_eq!(finding["severity"], "error");
    assert!(finding["message"].as_str().expect("message").contains("us-west2"));
    assert_eq!(finding["suggestion"], "did you mean \"us-west-2\"?");
}

#[test]
fn warnings_pass_unless_strict() {
    let fixture = Fixture::with_replaced("  api_key: env:BACKEND_API_KEY\n", "");
    let output = fixture
        .validate(&["--output", "json"])
        .env_remove("BACKEND_API_KEY")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    let json = json_output(&output);
    assert_eq!(json["valid"], true);
    assert_eq!(finding_fields(&json), ["gateway.api_key"]);
    assert_eq!(json["findings"][0]["severity"], "warning");
    fixture
        .validate(&["--strict"])
        .env_remove("BACKEND_API_KEY")
        .assert()
        .code(1);
}

#[test]
fn yaml_syntax_error_gives_line_and_column_and_exit_2() {
    let fixture = Fixture::with_config("aws:\n  region: us-east-1\n  role_name: [unclosed\n");
    fixture
        .validate(&[])
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"config\.yaml:\d+:\d+: invalid YAML").expect("regex"))
        .stderr(predicate::str::contains("fix:"))
        .stderr(predicate::str::contains("panicked").not());
    let output = fixture.validate(&["--output", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let json = json_output(&output);
    assert_eq!(json["valid"], false);
    assert!(json["error"]["line"].as_u64().is_some_and(|l| l >= 3), "{json}");
    assert!(json["error"]["column"].as_u64().is_some());
}

#[test]
fn missing_config_is_exit_2_with_a_next_step() {
    Fixture::new()
        .cmd()
        .args(["--validate-only", "--config", "nope.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.yaml"))
        .stderr(predicate::str::contains("sre-agent-deploy init"));
}

#[test]
fn top_level_list_is_exit_2() {
    Fixture::with_config("- aws\n- tls\n")
        .validate(&[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("top level must be a mapping"));
}

#[test]
fn unknown_keys_are_errors_with_the_closest_key() {
    let fixture = Fixture::with_replaced(
        "  role_name: SreAgentGatewayRole\n",
        "  role_name: SreAgentGatewayRole\n  regoin: x\n",
    );
    let output = fixture.validate(&["--output", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json = json_output(&output);
    assert_eq!(finding_fields(&json), ["aws.regoin"]);
    assert_eq!(json["findings"][0]["suggestion"], "did you mean \"region\"?");
}

#[test]
fn wrong_types_name_the_field() {
    let fixture = Fixture::with_replaced(
        "  ca_bundle_path: ca.pem\n",
        "  ca_bundle_path: ca.pem\n  warn_days: soon\n",
    );
    let output = fixture.validate(&["--output", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding_fields(&json_output(&output)), ["tls.warn_days"]);
}

#[test]
fn junit_has_one_case_per_section_and_marks_failures() {
    let fixture = Fixture::with_replaced("s3_bucket: sre-agent-specs-test", "s3_bucket: Sre_Specs");
    fixture.validate(&["--junit", "report.xml"]).assert().code(1);
    let xml = std::fs::read_to_string(fixture.path("report.xml")).expect("junit written");
    assert_eq!(xml.matches("<testcase ").count(), 7, "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains("gateway.s3_bucket"));
}

#[test]
fn environment_overrides_the_file_and_is_named() {
    let fixture = Fixture::new();
    let output = fixture
        .validate(&["--output", "json"])
        .env("AWS_REGION", "eu-wst-1")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json = json_output(&output);
    assert_eq!(finding_fields(&json), ["aws.region"]);
    let message = json["findings"][0]["message"].as_str().expect("message");
    assert!(message.contains("environment variable AWS_REGION"), "{message}");
}

#[test]
fn flags_override_the_environment() {
    Fixture::new()
        .validate(&["--region", "eu-west-1"])
        .env("AWS_REGION", "not-a-region")
        .assert()
        .code(0);
    Fixture::new()
        .validate(&["--set", "gateway.s3_bucket=My_Bucket"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("flag --set gateway.s3_bucket"));
}

#[test]
fn a_missing_secret_variable_is_named() {
    Fixture::new()
        .validate(&[])
        .env_remove("BACKEND_API_KEY")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("BACKEND_API_KEY is not set"));
}

#[test]
fn legacy_secret_variable_becomes_a_reference() {
    let fixture = Fixture::with_replaced(
        "  api_key: env:BACKEND_API_KEY\n",
        "  api_key: env:SOME_OTHER_KEY\n",
    );
    // BACKEND_API_KEY (set by the fixture) wins over the file's reference, so the missing
    // SOME_OTHER_KEY no longer matters.
    fixture.validate(&[]).assert().code(0);
}

#[test]
fn literal_secrets_are_errors_that_never_echo_the_value() {
    let fixture = Fixture::with_replaced(
        "  api_key: env:BACKEND_API_KEY\n",
        "  api_key: hunter2-very-secret\n",
    );
    let output = fixture
        .validate(&["--output", "json"])
        .env_remove("BACKEND_API_KEY")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json = json_output(&output);
    assert_eq!(finding_fields(&json), ["gateway.api_key"]);
    assert!(
        json["findings"][0]["suggestion"]
            .as_str()
            .expect("fix")
            .contains("env:BACKEND_API_KEY")
    );
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!everything.contains("hunter2"));
}

#[test]
fn secret_values_are_refused_on_the_command_line() {
    Fixture::new()
        .validate(&["--set", "gateway.api_key=hunter2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never a secret value"))
        .stderr(predicate::str::contains("hunter2").not());
}

#[test]
fn unquoted_account_id_with_lost_leading_zero_is_explained() {
    let fixture = Fixture::with_replaced("account_id: \"123456789012\"", "account_id: 012345678901");
    let output = fixture.validate(&["--output", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json = json_output(&output);
    assert_eq!(finding_fields(&json), ["aws.account_id"]);
    assert!(
        json["findings"][0]["suggestion"]
            .as_str()
            .expect("fix")
            .contains("quote")
    );
}

#[test]
fn empty_file_lists_every_required_field() {
    let output = Fixture::with_config("# nothing yet\n")
        .validate(&["--output", "json"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let fields = finding_fields(&json_output(&output));
    for required in [
        "aws.account_id",
        "aws.region",
        "aws.role_name",
        "cognito.cognito_domain",
        "gateway.gateway_name",
        "gateway.s3_bucket",
        "gateway.targets",
        "tls.domain_name",
        "tls.ssl_cert_path",
        "tls.ssl_key_path",
    ] {
        assert!(fields.iter().any(|f| f == required), "{required} in {fields:?}");
    }
}

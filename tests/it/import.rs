//! `sre-agent-deploy import`: a checkout in the original scripts' layout (written by
//! `crate::support::original_layout` from the facts) becomes a config that validates and deploys
//! against the loopback emulator; each malformed variant gives its finding; secret values never
//! leave the `.env` files; an existing config is backed up and diffed; `--dry-run` writes nothing;
//! the source folder is never changed.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use crate::support::emulator::Emulator;
use crate::support::original_layout::{
    API_KEY_VALUE, BACKEND_DOMAIN, CLIENT_SECRET_VALUE, Original, existing_cognito, snapshot,
};
use crate::support::{Fixture, json_output};
use serde_json::Value;

/// An empty fixture folder (no config) holding `original/` in the original layout.
fn with_original(original: &Original) -> Fixture {
    let f = Fixture {
        dir: tempfile::tempdir().expect("tempdir"),
    };
    original.write(&f.path("original"));
    f
}

/// Runs `import --from original` with `args`, checking that the source folder is unchanged.
fn import(f: &Fixture, args: &[&str]) -> std::process::Output {
    let before = snapshot(&f.path("original"));
    let output = f
        .cmd()
        .args(["import", "--from", "original"])
        .args(args)
        .output()
        .expect("runs");
    assert_eq!(
        snapshot(&f.path("original")),
        before,
        "import changed the source folder"
    );
    output
}

/// `import --dry-run --format json` of `original`: the exit code and the report.
fn dry_run(original: &Original) -> (Option<i32>, Value) {
    let f = with_original(original);
    let output = import(&f, &["--dry-run", "--format", "json"]);
    assert!(!f.path("config.yaml").exists(), "a dry run wrote the config");
    (output.status.code(), json_output(&output))
}

/// The import finding on `field` whose message contains `text`.
fn finding<'a>(report: &'a Value, field: &str, text: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["field"] == field && f["message"].as_str().is_some_and(|m| m.contains(text)))
        .unwrap_or_else(|| panic!("no finding on {field} containing {text:?} in {report:#}"))
}

fn yaml(report: &Value) -> &str {
    report["yaml"].as_str().expect("dry run prints the config")
}

#[test]
fn clean_original_checkout_imports_validates_and_deploys() {
    let emu = Emulator::start().expect("emulator");
    let (pool, client, secret) = existing_cognito(&emu.endpoint());
    let f = with_original(&Original::clean().with_cognito(&pool, &client));
    crate::support::certs::write_chain(f.dir.path(), BACKEND_DOMAIN, 90).expect("certificates");

    let output = import(&f, &["--format", "json"]);
    let report = json_output(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["written"], true);
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(
        report["env_vars"],
        serde_json::json!(["COGNITO_CLIENT_SECRET", "BACKEND_API_KEY"])
    );
    let config = std::fs::read_to_string(f.path("config.yaml")).expect("config written");
    assert!(config.starts_with("# yaml-language-server: $schema=./sre-agent-deploy.schema.json\n"));
    assert!(config.contains("# imported from "), "{config}");
    for expected in [
        "client_secret: env:COGNITO_CLIENT_SECRET",
        "api_key: env:BACKEND_API_KEY",
        "cognito_domain: sre-import",
        "spec: original/backend/openapi_specs/k8s_api.yaml.template",
        "backend_url: https://backend.sre-agent.internal:8014",
        "name: runbooks-api",
    ] {
        assert!(config.contains(expected), "{expected:?} missing from\n{config}");
    }
    assert!(f.path("sre-agent-deploy.schema.json").exists());

    let tls = [
        "--set",
        "tls.ssl_cert_path=fullchain.pem",
        "--set",
        "tls.ssl_key_path=privkey.pem",
        "--set",
        "tls.ca_bundle_path=ca.pem",
    ];
    let validated = f
        .validate(&tls)
        .env("COGNITO_CLIENT_SECRET", &secret)
        .env("BACKEND_API_KEY", "test-backend-key")
        .output()
        .expect("runs");
    assert_eq!(
        validated.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&validated.stdout)
    );

    let deployed = f
        .cmd()
        .envs(emu.env())
        .env("COGNITO_CLIENT_SECRET", &secret)
        .timeout(std::time::Duration::from_mins(2))
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .args(["--endpoint-url", &emu.endpoint()])
        .args(tls)
        .output()
        .expect("runs");
    assert_eq!(
        deployed.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&deployed.stdout),
        String::from_utf8_lossy(&deployed.stderr)
    );
    let deploy = json_output(&deployed);
    assert_eq!(deploy["status"], "complete");
    let mut targets: Vec<&str> = deploy["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["kind"] == "gateway-target")
        .filter_map(|r| r["name"].as_str())
        .collect();
    targets.sort_unstable();
    assert_eq!(
        targets,
        ["k8s-api", "logs-api", "metrics-api", "runbooks-api"],
        "{deploy:#}"
    );
    assert_eq!(emu.credential_providers().len(), 1);
}

#[test]
fn quotes_and_trailing_comments_are_repaired() {
    let (code, report) = dry_run(&Original::clean().set("region", "\"us-east-1\" # primary"));
    assert_eq!(code, Some(0), "{report:#}");
    let f = finding(&report, "aws.region", "quotes and a trailing comment");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("gateway/config.yaml")
    );
    assert!(
        yaml(&report).contains("  region: us-east-1\n"),
        "{}",
        yaml(&report)
    );
}

#[test]
fn whitespace_inside_the_account_id_is_removed() {
    let (code, report) = dry_run(&Original::clean().set("account_id", "1234 5678 9012"));
    assert_eq!(code, Some(0), "{report:#}");
    finding(&report, "aws.account_id", "whitespace");
    assert!(
        yaml(&report).contains("account_id: '123456789012'")
            || yaml(&report).contains("account_id: \"123456789012\"")
    );
}

#[test]
fn a_missing_gateway_env_is_a_warning_naming_what_is_missing() {
    let (code, report) = dry_run(&Original::clean().without_gateway_env());
    assert_eq!(code, Some(0), "{report:#}");
    let f = finding(&report, "cognito", "gateway/.env is missing");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cognito.cognito_domain")
    );
    assert_eq!(report["env_vars"], serde_json::json!([]));
    assert!(!yaml(&report).contains("client_secret"));
}

#[test]
fn placeholders_are_errors_and_the_file_is_still_written() {
    let original = Original::clean()
        .set("account_id", "\"YOUR_ACCOUNT_ID\"")
        .set("region", "REGION")
        .set("s3_bucket", "\"\"");
    let (code, report) = dry_run(&original);
    assert_eq!(code, Some(1), "{report:#}");
    for (field, text) in [
        ("aws.account_id", "template placeholder \"YOUR_ACCOUNT_ID\""),
        ("aws.region", "template placeholder \"REGION\""),
        ("gateway.s3_bucket", "empty"),
    ] {
        assert_eq!(finding(&report, field, text)["severity"], "error");
    }
    assert!(
        finding(&report, "aws.account_id", "template placeholder")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("gateway/config.yaml, key account_id")
    );

    let f = with_original(&original);
    let output = import(&f, &[]);
    assert_eq!(output.status.code(), Some(1));
    let config = std::fs::read_to_string(f.path("config.yaml")).expect("written for editing");
    assert!(config.contains("YOUR_ACCOUNT_ID"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("error[aws.account_id]"), "{stdout}");
}

#[test]
fn an_endpoint_in_another_region_is_moved_to_the_region() {
    let original = Original::clean().set(
        "endpoint_url",
        "https://bedrock-agentcore-control.us-west-2.amazonaws.com",
    );
    let (code, report) = dry_run(&original);
    assert_eq!(code, Some(0), "{report:#}");
    let f = finding(
        &report,
        "aws.endpoint_url",
        "in region us-west-2, but region is us-east-1",
    );
    assert!(f["suggestion"].as_str().unwrap_or_default().contains("us-west-2"));
    assert!(
        yaml(&report).contains("endpoint_url: https://bedrock-agentcore-control.us-east-1.amazonaws.com")
    );
}

#[test]
fn template_names_with_underscores_become_dashed_targets() {
    let (code, report) = dry_run(&Original::clean());
    assert_eq!(code, Some(0), "{report:#}");
    let f = finding(&report, "gateway.targets[0].name", "\"k8s-api\"");
    assert!(f["message"].as_str().unwrap_or_default().contains("k8s_api"));
    assert!(yaml(&report).contains("name: k8s-api"));
    assert!(!yaml(&report).contains("name: k8s_api"));
}

#[test]
fn clean_import_reports_only_what_has_no_field() {
    let (_, report) = dry_run(&Original::clean());
    let mut fields: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    fields.dedup();
    assert_eq!(
        fields,
        [
            "aws.endpoint_url",
            "cognito.cognito_domain",
            "gateway",
            "gateway.targets[0].name",
            "gateway.targets[1].name",
            "gateway.targets[2].name",
            "gateway.targets[3].name",
            "tls.ssl_cert_path",
            "tls.ssl_key_path",
        ],
        "{report:#}"
    );
}

#[test]
fn secret_values_never_leave_the_env_files() {
    let f = with_original(&Original::clean());
    f.write("config.yaml", crate::support::VALID_CONFIG);
    let mut outputs = Vec::new();
    for args in [
        &[][..],
        &["--format", "json"],
        &["--dry-run"],
        &["--dry-run", "--format", "json"],
    ] {
        let output = import(&f, args);
        outputs.push(String::from_utf8_lossy(&output.stdout).into_owned());
        outputs.push(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let written: Vec<String> = snapshot(f.dir.path())
        .into_iter()
        .filter(|(path, _)| !path.starts_with("original"))
        .map(|(path, bytes)| format!("{}: {}", path.display(), String::from_utf8_lossy(&bytes)))
        .collect();
    assert!(written.iter().any(|w| w.contains(".bak-")), "a backup was made");
    for text in outputs.iter().chain(&written) {
        for secret in [CLIENT_SECRET_VALUE, API_KEY_VALUE] {
            assert!(!text.contains(secret), "a secret value leaked into:\n{text}");
        }
    }
}

#[test]
fn an_existing_config_is_backed_up_and_diffed() {
    let f = with_original(&Original::clean());
    f.write("config.yaml", crate::support::VALID_CONFIG);
    let output = import(&f, &[]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("--- config.yaml (before)\n+++ config.yaml (imported)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("\n-   region: us-west-2\n"), "{stdout}");
    assert!(stdout.contains("\n+   region: us-east-1\n"), "{stdout}");
    let backups = backups(f.dir.path());
    assert_eq!(backups.len(), 1, "{backups:?}");
    let name = backups[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stamp = name.strip_prefix("config.yaml.bak-").expect("backup name");
    assert!(
        stamp.len() == 16 && stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T',
        "{name}"
    );
    assert_eq!(
        std::fs::read_to_string(&backups[0]).expect("backup"),
        crate::support::VALID_CONFIG
    );
    assert!(stdout.contains(name), "the backup is named: {stdout}");

    // The same import again changes nothing and makes no second backup.
    let again = import(&f, &[]);
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
    assert_eq!(self::backups(f.dir.path()).len(), 1);
}

#[test]
fn dry_run_writes_nothing() {
    let f = with_original(&Original::clean());
    f.write("config.yaml", crate::support::VALID_CONFIG);
    let before = snapshot(f.dir.path());
    let output = import(&f, &["--dry-run"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(snapshot(f.dir.path()), before);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    assert!(stdout.contains("gateway_name: SreImportGateway"), "{stdout}");
    assert!(stdout.contains("+++ config.yaml (imported)"), "{stdout}");
}

#[test]
fn unreadable_sources_and_outputs_inside_them_are_refused() {
    let f = with_original(&Original::clean());
    let missing = f
        .cmd()
        .args(["import", "--from", "nowhere"])
        .output()
        .expect("runs");
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_file(f.path("original/gateway/config.yaml")).expect("remove");
    let no_config = import(&f, &[]);
    assert_eq!(no_config.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_config.stderr).contains("gateway/config.yaml"));
    Original::clean().write(&f.path("original"));
    let inside = import(&f, &["--output", "original/config.yaml"]);
    assert_eq!(inside.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&inside.stderr).contains("import never writes there"));
    assert!(!f.path("config.yaml").exists());
}

fn backups(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains("config.yaml.bak-"))
        .collect()
}

//! Compatibility: config format versions (an older file is read with a notice and rewritten by
//! `config migrate`; a newer one is refused), and custom spec templates written for the original
//! scripts (`{{BACKEND_DOMAIN}}`), checked before upload with findings naming the file and the
//! JSON path.
#![allow(clippy::disallowed_methods)]

use crate::support::{Fixture, VALID_CONFIG, finding_fields, json_output};

/// `VALID_CONFIG` without its `version:` line, with a comment on top: a version 0 file.
fn unversioned() -> String {
    format!("# our backends\n{}", VALID_CONFIG.replacen("version: 1\n", "", 1))
}

#[test]
fn an_older_file_is_read_with_a_notice_and_migrate_rewrites_it_after_a_backup() {
    let f = Fixture::with_config(&unversioned());
    f.validate(&[])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("read as version 1"))
        .stderr(predicates::str::contains("config migrate"));
    f.cmd()
        .args(["config", "migrate", "--config", "config.yaml", "--dry-run"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("+ version: 1"));
    assert_eq!(
        std::fs::read_to_string(f.path("config.yaml")).expect("read"),
        unversioned()
    );
    f.cmd()
        .args(["config", "migrate", "--config", "config.yaml"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains(
            "migrated config.yaml from version 0 to 1",
        ));
    let migrated = std::fs::read_to_string(f.path("config.yaml")).expect("read");
    assert!(
        migrated.starts_with("# our backends\nversion: 1\naws:"),
        "{migrated}"
    );
    let backups: Vec<String> = std::fs::read_dir(f.dir.path())
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("config.yaml.bak-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert_eq!(
        std::fs::read_to_string(f.path(&backups[0])).expect("backup"),
        unversioned()
    );
    // The migrated file validates without a notice, and migrating again changes nothing.
    let output = f.validate(&[]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("read as version"));
    f.cmd()
        .args(["config", "migrate", "--config", "config.yaml"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("already version 1"));
}

#[test]
fn a_newer_file_is_refused_by_validation_and_by_migrate() {
    let f = Fixture::with_replaced("version: 1", "version: 2");
    let output = f.validate(&["--output", "json"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let json = json_output(&output);
    assert_eq!(finding_fields(&json), ["version"]);
    assert!(
        json["findings"][0]["suggestion"]
            .as_str()
            .is_some_and(|s| s.contains("upgrade the tool"))
    );
    f.cmd()
        .args(["config", "migrate", "--config", "config.yaml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("newer than this build reads"))
        .stderr(predicates::str::contains("upgrade the tool"));
}

/// An original-scripts style template, with the `{{BACKEND_DOMAIN}}` placeholder.
const ORIGINAL_TEMPLATE: &str = r#"openapi: 3.0.3
info:
  title: Custom backend API
  version: "1.0"
servers:
  - url: https://{{BACKEND_DOMAIN}}:8011
paths:
  /status:
    get:
      operationId: getStatus
      responses:
        "200":
          description: ok
"#;

fn with_custom_spec(template: &str) -> Fixture {
    let f = Fixture::with_replaced("spec: kubernetes", "spec: specs/custom.yaml.template");
    std::fs::create_dir_all(f.path("specs")).expect("mkdir");
    f.write("specs/custom.yaml.template", template);
    f
}

#[test]
fn an_original_template_renders_and_validates_clean() {
    with_custom_spec(ORIGINAL_TEMPLATE).validate(&[]).assert().code(0);
}

#[test]
fn each_spec_rule_fails_with_the_file_and_json_path() {
    let cases = [
        (ORIGINAL_TEMPLATE.replace("3.0.3", "2.0"), "$.openapi"),
        (
            ORIGINAL_TEMPLATE.replace("      operationId: getStatus\n", ""),
            "$.paths./status.get",
        ),
        (
            format!("{ORIGINAL_TEMPLATE}components:\n  schemas:\n    S:\n      anyOf: [{{type: string}}]\n"),
            "$.components.schemas.S.anyOf",
        ),
        (ORIGINAL_TEMPLATE.replace("https://", "http://"), "$.servers"),
        (
            ORIGINAL_TEMPLATE.replace("Custom backend API", "YOUR_API_NAME"),
            "line 3",
        ),
        (
            ORIGINAL_TEMPLATE.replace("{{BACKEND_DOMAIN}}", "{{ BACKEND_HOST }}"),
            "does not render",
        ),
    ];
    for (template, path) in cases {
        let output = with_custom_spec(&template)
            .validate(&["--output", "json"])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(1), "{path}");
        let json = json_output(&output);
        let spec_findings: Vec<&str> = json["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["field"] == "gateway.targets[0].spec")
            .filter_map(|f| f["message"].as_str())
            .collect();
        assert!(
            spec_findings
                .iter()
                .any(|m| m.contains("specs/custom.yaml.template") && m.contains(path)),
            "{path}: {spec_findings:?}"
        );
    }
}

//! The committed `schemas/*.schema.json` (config, state, report, plan, drift) must equal what the
//! models generate.
//! Regenerate with `UPDATE_SCHEMAS=1 cargo test --test it schema_drift`.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use sre_agent_deploy::config::schema::config_schema_text;

/// Fails when `schemas/<file>` differs from `generated`; `UPDATE_SCHEMAS=1` rewrites it first.
fn assert_committed(file: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(file);
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, generated).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/{file} is out of date with the code; \
         run `UPDATE_SCHEMAS=1 cargo test --test it schema_drift` and commit the result"
    );
}

#[test]
fn committed_config_schema_matches_the_models() {
    assert_committed("config.schema.json", &config_schema_text());
}

#[test]
fn example_config_points_editors_at_the_schema() {
    let example = include_str!("../../templates/config.example.yaml");
    let first = example.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "# yaml-language-server: $schema=../schemas/config.schema.json"
    );
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/../schemas/config.schema.json");
    assert!(schema_path.is_file());
}

#[test]
fn committed_state_schema_matches_the_model() {
    let generated = sre_agent_deploy::deploy::state::state_schema_text();
    assert_committed("state.schema.json", &generated);
    assert!(generated.contains("\"schema_version\""));
}

#[test]
fn committed_report_schema_matches_the_model() {
    let generated = sre_agent_deploy::verify::report::report_schema_text();
    assert_committed("report.schema.json", &generated);
    assert!(generated.contains("\"schema_version\""));
    assert!(generated.contains("pass_with_warnings"));
}

#[test]
fn committed_plan_and_drift_schemas_match_the_models() {
    let plan = sre_agent_deploy::commands::plan::plan_schema_text();
    assert_committed("plan.schema.json", &plan);
    for field in [
        "\"deployment_id\"",
        "\"changes\"",
        "\"summary\"",
        "\"no-op\"",
        "\"replace\"",
    ] {
        assert!(plan.contains(field), "{field}");
    }
    let drift = sre_agent_deploy::commands::plan::drift_schema_text();
    assert_committed("drift.schema.json", &drift);
    assert!(drift.contains("\"in_sync\"") && drift.contains("\"deleted\""));
}

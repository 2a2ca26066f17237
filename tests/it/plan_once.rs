//! The plan reviewed is the plan run: a run is given the plan made before it (at the review, on
//! a terminal) and checks that its spec files still say the same before it sends anything.

// Fixtures are plain writes; the atomic-write rule is for the product.
#![allow(clippy::disallowed_methods)]
use std::collections::HashMap;

use sre_agent_deploy::config::{Config, TargetConfig};
use sre_agent_deploy::deploy::error::DeployError;
use sre_agent_deploy::deploy::plan::Plan;
use sre_agent_deploy::deploy::run::{Request, execute};
use sre_agent_deploy::deploy::state::DeploymentStatus;
use sre_agent_deploy::deploy::store::{self, StateStore};
use sre_agent_deploy::output::progress::Progress;

const SPEC: &str = "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\nservers:\n  - url: https://backend.corp.internal:8011\npaths:\n  /pods:\n    get:\n      operationId: listPods\n      responses: {\"200\": {description: ok}}\n";

#[test]
fn a_spec_edited_after_the_review_stops_the_run_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("api.yaml"), SPEC).expect("spec");
    let mut config = Config::default();
    config.aws.account_id = "123456789012".into();
    config.aws.region = "us-east-1".into();
    config.gateway.s3_bucket = "specs".into();
    config.gateway.targets = vec![TargetConfig {
        name: "k8s-api".into(),
        spec: "api.yaml".into(),
        backend_url: "https://backend.corp.internal:8011".into(),
    }];
    let reviewed = Plan::new(&config, "sre-plan1", dir.path()).expect("the plan");
    // Edited between the review and the confirmation.
    std::fs::write(dir.path().join("api.yaml"), SPEC.replace("/pods", "/nodes")).expect("edit");

    let state_path = dir.path().join("state.json");
    let state = StateStore::open_or_create(&state_path, "deploy", || {
        store::new_state("sre-plan1", None, &config)
    })
    .expect("state");
    let (_stop, cancel) = tokio::sync::watch::channel(false);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let env: HashMap<String, String> = HashMap::new();
    let failure = runtime
        .block_on(execute(Request {
            config: &config,
            plan: Ok(reviewed),
            base_dir: dir.path(),
            store: state,
            env: &env,
            progress: Progress::silent(),
            cancel,
        }))
        .expect_err("a changed spec stops the run");
    match &failure.error {
        DeployError::Conflict {
            step,
            resource,
            message,
            ..
        } => {
            assert_eq!((step.as_str(), resource.as_str()), ("plan", "k8s-api"));
            assert!(message.contains("changed on disk"), "{message}");
        }
        other => panic!("not the plan's conflict: {other}"),
    }
    assert_eq!(
        failure.report.calls, 0,
        "nothing was sent, not even the account check"
    );
    assert!(failure.report.resources.is_empty());
    let saved = store::read(&state_path).expect("state");
    assert_eq!(saved.status, DeploymentStatus::Failed);
    assert!(saved.ledger.is_empty(), "nothing was intended");
}

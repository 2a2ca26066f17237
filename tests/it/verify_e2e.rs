//! End to end: a deploy ends with the whole verification against loopback peers: TLS backends
//! with generated certificates (reached through `verify.resolve`), the emulator's Cognito token
//! endpoint and the gateway's MCP endpoint (an rmcp server that checks the JWT against the JWKS).
//! Also: `verify` on its own finds a missing target's tools, an open gateway is a failure, and a
//! backend's expired certificate is caught by both the file and the remote checks.
#![allow(clippy::disallowed_methods)]

use crate::support::emulator::Emulator;
use crate::support::tls_servers::Backends;
use crate::support::{Fixture, json_output, loopback_config, prom};

fn tool(fixture: &Fixture, emu: &Emulator) -> assert_cmd::Command {
    let mut cmd = fixture.cmd();
    cmd.envs(emu.env())
        .env("BACKEND_API_KEY", "test-backend-key")
        .timeout(std::time::Duration::from_mins(2));
    cmd
}

fn statuses(report: &serde_json::Value) -> Vec<(String, String, String)> {
    report["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["checks"].as_array().cloned().unwrap_or_default())
        .map(|k| {
            (
                k["component"].as_str().unwrap_or_default().to_string(),
                k["name"].as_str().unwrap_or_default().to_string(),
                k["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn failing(report: &serde_json::Value) -> Vec<(String, String)> {
    statuses(report)
        .into_iter()
        .filter(|(_, _, s)| s == "fail")
        .map(|(c, n, _)| (c, n))
        .collect()
}

#[test]
fn a_deploy_ends_with_a_passing_verification_and_four_reports() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::new();
    let servers = Backends::serve(f.dir.path(), 2, 200);
    f.write("config.yaml", &loopback_config("verify-a", &emu, &servers));
    let output = tool(&f, &emu)
        .args(["--non-interactive", "-c", "config.yaml", "--output", "json"])
        .args(["--call-tool", "k8s-api___getPodStatus"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{stderr}");
    let deploy = json_output(&output);
    let report = &deploy["verification"];
    assert_eq!(report["status"], "pass", "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["deployment_id"], "sre-verify-a");
    let checks = statuses(report);
    for expected in [
        ("tls_files", "chain"),
        ("tls_files", "expiry"),
        ("remote_tls", "health"),
        ("auth", "token"),
        ("auth", "scopes"),
        ("gateway", "initialize"),
        ("gateway", "tools/list"),
        ("gateway", "tools/call"),
        ("security", "unauthenticated"),
        ("security", "tampered-token"),
    ] {
        assert!(
            checks
                .iter()
                .any(|(c, n, s)| (c.as_str(), n.as_str()) == expected && s == "pass"),
            "{expected:?} did not pass: {checks:?}"
        );
    }
    // Both backends were reached over TLS and answered their health check.
    let rows = report["connectivity"].as_array().expect("rows");
    let backend_rows: Vec<_> = rows
        .iter()
        .filter(|r| {
            r["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("gateway.targets"))
        })
        .collect();
    assert_eq!(backend_rows.len(), 2, "{rows:#?}");
    assert!(
        backend_rows
            .iter()
            .all(|r| r["http_status"] == 200 && r["status"] == "pass")
    );
    assert_eq!(servers.servers[0].requests(), 1);
    // The token's expiry is stated; the gateway refused both bad requests, and the run logged them.
    assert!(
        report["token_expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(report["security_events"].as_array().map(Vec::len), Some(2));
    assert_eq!(emu.mcp_refusals().len(), 2, "{:?}", emu.mcp_refusals());
    assert!(stderr.contains("rejected: no token: HTTP 401"), "{stderr}");
    // Reports: JSON (same model), Markdown, HTML, JUnit; no secret in any of them.
    let paths: Vec<String> = serde_json::from_value(deploy["reports"].clone()).expect("paths");
    assert_eq!(paths.len(), 4);
    for path in &paths {
        let text = std::fs::read_to_string(f.path(path)).expect("report file");
        assert!(!text.contains("test-backend-key"), "{path} leaks the API key");
        assert!(!text.contains("eyJ"), "{path} holds a token");
    }
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path(&paths[0])).expect("json")).expect("json");
    assert_eq!(on_disk["status"], "pass");
    assert!(!stderr.contains("eyJ"), "a token reached the log");
}

#[test]
fn verify_lists_the_tools_of_a_missing_target_and_an_open_gateway_fails() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::new();
    let servers = Backends::serve(f.dir.path(), 2, 200);
    f.write("config.yaml", &loopback_config("verify-b", &emu, &servers));
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    // Delete one target behind the tool's back.
    let look = crate::support::look::Look::new(&emu);
    look.rt.block_on(async {
        let c = look.agentcore();
        let gateways = c.list_gateways().send().await.expect("gateways");
        let id = gateways.items()[0].gateway_id().to_string();
        let targets = c
            .list_gateway_targets()
            .gateway_identifier(&id)
            .send()
            .await
            .expect("targets");
        let logs = targets
            .items()
            .iter()
            .find(|t| t.name() == "logs-api")
            .expect("logs target");
        c.delete_gateway_target()
            .gateway_identifier(&id)
            .target_id(logs.target_id())
            .send()
            .await
            .expect("delete");
    });
    let output = tool(&f, &emu)
        .args(["verify", "-c", "config.yaml", "--output", "json"])
        .args(["--prometheus", "verify.prom"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(4));
    let report = json_output(&output);
    assert_eq!(report["status"], "fail");
    assert_eq!(
        failing(&report),
        [("gateway".to_string(), "tools/list".to_string())]
    );
    let tools_check = report["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["checks"].as_array().cloned().unwrap_or_default())
        .find(|k| k["name"] == "tools/list")
        .expect("tools/list");
    let message = tools_check["message"].as_str().unwrap_or_default();
    assert!(message.contains("logs-api___"), "{message}");
    assert!(!message.contains("k8s-api___"), "{message}");
    assert!(
        report["recommendations"][0]
            .as_str()
            .is_some_and(|r| r.contains("logs-api"))
    );
    // The same run's metrics: the gateway's tool count as listed, the token issued, the
    // tools/list failure, both backends up.
    let samples = prom::read(&f.path("verify.prom"));
    let listed = tools_check["details"]["tools"].as_f64().expect("tools listed");
    assert!(listed > 0.0);
    assert_eq!(
        prom::value(
            &samples,
            "sre_agent_deploy_gateway_tools",
            &[("gateway", "sre-verify-b-gw")]
        ),
        Some(listed)
    );
    assert_eq!(
        prom::value(&samples, "sre_agent_deploy_token_success", &[]),
        Some(1.0)
    );
    assert_eq!(
        prom::value(&samples, "sre_agent_deploy_verify_success", &[]),
        Some(0.0)
    );
    assert_eq!(
        prom::check_status(&samples, "gateway", "tools/list").as_deref(),
        Some("fail")
    );
    for server in &servers.servers {
        let instance = format!("backend.sre-agent.internal:{}", server.port());
        for check in ["tls", "http"] {
            assert_eq!(
                prom::value(
                    &samples,
                    "probe_success",
                    &[("instance", &instance), ("check", check)]
                ),
                Some(1.0),
                "{instance} {check}"
            );
        }
    }

    // A gateway that lets everyone in: acceptance of the unauthenticated and tampered requests fails.
    emu.set_mcp_open(true);
    let output = tool(&f, &emu)
        .args(["verify", "-c", "config.yaml", "--output", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(4));
    let report = json_output(&output);
    let failed = failing(&report);
    assert!(
        failed.contains(&("security".into(), "unauthenticated".into())),
        "{failed:?}"
    );
    assert!(
        failed.contains(&("security".into(), "tampered-token".into())),
        "{failed:?}"
    );
}

#[test]
fn verify_offline_needs_no_network_and_an_unhealthy_backend_names_its_layer() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::new();
    let servers = Backends::serve(f.dir.path(), 2, 503);
    f.write("config.yaml", &loopback_config("verify-c", &emu, &servers));
    // Offline: only the files, which are fine; no deployment is needed.
    let output = tool(&f, &emu)
        .args(["verify", "-c", "config.yaml", "--offline", "--output", "json"])
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_output(&output);
    assert_eq!(report["online"], false);
    assert!(statuses(&report).iter().all(|(c, _, _)| c == "tls_files"));
    // Online without a deployment: the backends answer 503, and the token and gateway checks say why
    // they were skipped.
    let output = tool(&f, &emu)
        .args(["verify", "-c", "config.yaml", "--output", "json"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(4));
    let report = json_output(&output);
    let rows = report["connectivity"].as_array().expect("rows");
    assert!(
        rows.iter()
            .filter(|r| r["field"]
                .as_str()
                .is_some_and(|f| f.starts_with("gateway.targets")))
            .all(|r| r["failed_layer"] == "http_status" && r["http_status"] == 503),
        "{rows:#?}"
    );
    let skipped: Vec<_> = statuses(&report)
        .into_iter()
        .filter(|(_, _, s)| s == "skip")
        .map(|(c, _, _)| c)
        .collect();
    assert!(skipped.contains(&"auth".to_string()), "{skipped:?}");
    // --validate-only --online turns the same failures into findings under their fields.
    let output = tool(&f, &emu)
        .args([
            "--validate-only",
            "--online",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let findings = json_output(&output);
    let fields: Vec<&str> = findings["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(fields.contains(&"gateway.targets[0].backend_url"), "{fields:?}");
}

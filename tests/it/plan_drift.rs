//! `plan` and `drift` against the emulator. Before the first deploy `plan` shows every resource
//! to create (exit 2 with `--detailed-exitcode`). After it both exit 0. Then five changes are made
//! behind the tool's back with direct SDK calls (a target deleted, the gateway's allowed clients
//! changed, the role's inline policy replaced, a spec object overwritten, the resource server's
//! scope dropped): `drift` lists exactly those five, `plan` shows their repair, neither makes a
//! write call, and a re-run repairs all of them, which SDK reads confirm; then both exit 0.
#![allow(clippy::disallowed_methods)] // fixtures are plain writes

use std::collections::BTreeSet;

use aws_sdk_bedrockagentcorecontrol::types::{AuthorizerConfiguration, CustomJwtAuthorizerConfiguration};

use crate::support::Fixture;
use crate::support::deployment::{config, deploy_ok, tool};
use crate::support::emulator::Emulator;
use crate::support::look::Look;

/// Runs `plan` or `drift` with JSON and `--detailed-exitcode`: its exit code and its report.
pub fn run(f: &Fixture, emu: &Emulator, command: &str) -> (i32, serde_json::Value) {
    let output = tool(f, emu)
        .args([
            command,
            "-c",
            "config.yaml",
            "--output",
            "json",
            "--detailed-exitcode",
        ])
        .output()
        .expect("run");
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 2,
        "{command}: {code}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (code, crate::support::json_output(&output))
}

/// The calls since the log was cleared that are not reads.
fn writes(emu: &Emulator) -> Vec<String> {
    emu.calls()
        .into_iter()
        .map(|c| c.operation)
        .filter(|op| {
            !["Get", "List", "Describe", "Head"]
                .iter()
                .any(|v| op.starts_with(v))
        })
        .collect()
}

/// `(kind, name, action or status)` of every entry that is not a no-op / in sync.
pub fn changed(
    report: &serde_json::Value,
    list: &str,
    key: &str,
    quiet: &str,
) -> BTreeSet<(String, String, String)> {
    report[list]
        .as_array()
        .expect("list")
        .iter()
        .filter(|c| c[key] != quiet)
        .map(|c| {
            (
                c["kind"].as_str().unwrap_or_default().to_string(),
                c["name"].as_str().unwrap_or_default().to_string(),
                c[key].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `plan` exits 2 and shows exactly these `(kind, name, action)` besides its no-ops.
pub fn assert_plan(f: &Fixture, emu: &Emulator, expected: &[(&str, &str, &str)]) {
    let (code, plan) = run(f, emu, "plan");
    assert_eq!(code, 2, "{plan:#}");
    assert_eq!(
        changed(&plan, "changes", "action", "no-op"),
        set(expected),
        "{plan:#}"
    );
}

pub fn set(items: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| ((*a).to_string(), (*b).to_string(), (*c).to_string()))
        .collect()
}

#[test]
fn drift_lists_what_changed_behind_the_tools_back_and_a_rerun_repairs_it() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::with_config(&config("pd"));

    // Nothing deployed yet: everything is to create, and nothing is written.
    let (code, before) = run(&f, &emu, "plan");
    assert_eq!(code, 2, "{before}");
    assert_eq!(before["deployment_id"], serde_json::Value::Null);
    assert!(before["summary"]["create"].as_u64() >= Some(13), "{before}");
    assert_eq!(writes(&emu), Vec::<String>::new());

    deploy_ok(&f, &emu);
    emu.clear_calls();
    let (code, plan) = run(&f, &emu, "plan");
    assert_eq!(code, 0, "{plan}");
    assert_eq!(
        plan["summary"]["no_op"].as_u64(),
        plan["changes"].as_array().map(|c| c.len() as u64)
    );
    let (code, drift) = run(&f, &emu, "drift");
    assert_eq!(code, 0, "{drift}");
    assert_eq!(writes(&emu), Vec::<String>::new(), "plan and drift only read");

    // Five changes behind the tool's back.
    let look = Look::new(&emu);
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.path(".sre-agent-deploy/sre-e2e-pd.json")).expect("state"),
    )
    .expect("state JSON");
    let out = |k: &str| state["outputs"][k].as_str().expect(k).to_string();
    let (gateway_id, pool_id) = (out("gateway_id"), out("user_pool_id"));
    let logs_target = out("target_id:logs-api");
    look.rt.block_on(async {
        let c = look.agentcore();
        c.delete_gateway_target()
            .gateway_identifier(&gateway_id)
            .target_id(&logs_target)
            .send()
            .await
            .expect("delete target");
        let gw = c
            .get_gateway()
            .gateway_identifier(&gateway_id)
            .send()
            .await
            .expect("get gateway");
        let discovery = match gw.authorizer_configuration() {
            Some(AuthorizerConfiguration::CustomJwtAuthorizer(j)) => j.discovery_url().to_string(),
            _ => panic!("a JWT authorizer"),
        };
        c.update_gateway()
            .gateway_identifier(&gateway_id)
            .name(gw.name())
            .role_arn(gw.role_arn().unwrap_or_default())
            .protocol_type(gw.protocol_type().clone())
            .authorizer_type(gw.authorizer_type().clone())
            .authorizer_configuration(AuthorizerConfiguration::CustomJwtAuthorizer(
                CustomJwtAuthorizerConfiguration::builder()
                    .discovery_url(discovery)
                    .allowed_clients("someone-elses-client")
                    .build()
                    .expect("jwt"),
            ))
            .send()
            .await
            .expect("update gateway");
        look.iam()
            .put_role_policy()
            .role_name("SreGatewayRolepd")
            .policy_name("sre-agent-deploy-sre-e2e-pd")
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            )
            .send()
            .await
            .expect("replace the policy");
        look.s3()
            .put_object()
            .bucket("sre-specs-pd")
            .key("sre-agent/specs/metrics-api.yaml")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(
                b"openapi: 3.0.0\n",
            ))
            .send()
            .await
            .expect("overwrite the spec");
        look.cognito()
            .update_resource_server()
            .user_pool_id(&pool_id)
            .identifier("sre-agent")
            .name("sre-agent")
            .send()
            .await
            .expect("drop the scope");
    });

    emu.clear_calls();
    let (code, drift) = run(&f, &emu, "drift");
    assert_eq!(code, 2, "{drift}");
    assert_eq!(
        changed(&drift, "resources", "status", "in_sync"),
        set(&[
            ("gateway target", "logs-api", "deleted"),
            ("AgentCore gateway", "sre-gw-pd", "modified"),
            ("IAM role policy", "sre-agent-deploy-sre-e2e-pd", "modified"),
            ("S3 object", "sre-agent/specs/metrics-api.yaml", "modified"),
            ("Cognito resource server", "sre-agent", "modified"),
        ]),
        "{drift:#}"
    );
    let gateway = drift["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["kind"] == "AgentCore gateway"))
        .expect("the gateway");
    assert_eq!(gateway["fields"][0]["path"], "authorizer.allowed_clients");
    assert_eq!(gateway["fields"][0]["before"], "someone-elses-client");
    assert!(
        gateway["fix"]
            .as_str()
            .is_some_and(|f| f.contains("a deploy puts it back"))
    );
    assert_plan(
        &f,
        &emu,
        &[
            ("gateway target", "logs-api", "create"),
            ("AgentCore gateway", "sre-gw-pd", "update"),
            ("IAM role policy", "sre-agent-deploy-sre-e2e-pd", "update"),
            ("S3 object", "sre-agent/specs/metrics-api.yaml", "update"),
            ("Cognito resource server", "sre-agent", "update"),
        ],
    );
    assert_eq!(writes(&emu), Vec::<String>::new(), "plan and drift only read");

    // A re-run repairs all five; SDK reads confirm it.
    deploy_ok(&f, &emu);
    look.rt.block_on(async {
        let c = look.agentcore();
        let targets = c
            .list_gateway_targets()
            .gateway_identifier(&gateway_id)
            .send()
            .await
            .expect("list");
        assert!(targets.items().iter().any(|t| t.name() == "logs-api"));
        let gw = c
            .get_gateway()
            .gateway_identifier(&gateway_id)
            .send()
            .await
            .expect("get");
        let clients = match gw.authorizer_configuration() {
            Some(AuthorizerConfiguration::CustomJwtAuthorizer(j)) => j.allowed_clients().to_vec(),
            _ => Vec::new(),
        };
        assert_eq!(clients, vec![out("client_id")]);
        let policy = look
            .iam()
            .get_role_policy()
            .role_name("SreGatewayRolepd")
            .policy_name("sre-agent-deploy-sre-e2e-pd")
            .send()
            .await
            .expect("policy");
        assert!(
            !policy.policy_document().contains("s3%3A%2A") && !policy.policy_document().contains("\"s3:*\"")
        );
        let head = look
            .s3()
            .head_object()
            .bucket("sre-specs-pd")
            .key("sre-agent/specs/metrics-api.yaml")
            .send()
            .await
            .expect("head");
        assert!(
            head.metadata()
                .is_some_and(|m| m.contains_key("sre-agent-deploy-sha256"))
        );
        let server = look
            .cognito()
            .describe_resource_server()
            .user_pool_id(&pool_id)
            .identifier("sre-agent")
            .send()
            .await
            .expect("server");
        assert_eq!(server.resource_server().map(|r| r.scopes().len()), Some(1));
    });
    let (code, drift) = run(&f, &emu, "drift");
    assert_eq!(code, 0, "{drift:#}");
    let (code, plan) = run(&f, &emu, "plan");
    assert_eq!(code, 0, "{plan:#}");
}

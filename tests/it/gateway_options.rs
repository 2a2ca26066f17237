//! The gateway's optional settings, against the emulator: semantic search, `DEBUG` errors, a KMS
//! key, a description and allowed scopes are added to a deployed gateway in place (plan shows
//! each field, the re-run updates the gateway, the URL stays), read back with the SDK, then
//! removed again the same way (an update turns off what it leaves out). With allowed scopes,
//! the verification's negative check sends a real token of the app client that lacks them: the
//! gateway refuses it; after the scopes are removed behind the tool's back it is accepted, and
//! the check fails.
#![allow(clippy::disallowed_methods)] // fixtures are plain writes

use aws_sdk_bedrockagentcorecontrol::types::{
    AuthorizerConfiguration, ExceptionLevel, GatewayProtocolConfiguration, SearchType,
};

use crate::plan_drift::run;
use crate::support::emulator::Emulator;
use crate::support::look::Look;
use crate::support::tls_servers::Backends;
use crate::support::{Fixture, loopback_config};

const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// What GetGateway shows: (search semantic, DEBUG, KMS key, description, allowed scopes).
fn settings(look: &Look, id: &str) -> (bool, bool, Option<String>, String, Vec<String>) {
    let gw = look
        .rt
        .block_on(look.agentcore().get_gateway().gateway_identifier(id).send())
        .expect("get gateway");
    let semantic = matches!(gw.protocol_configuration(),
        Some(GatewayProtocolConfiguration::Mcp(m)) if m.search_type() == Some(&SearchType::Semantic));
    let scopes = match gw.authorizer_configuration() {
        Some(AuthorizerConfiguration::CustomJwtAuthorizer(j)) => j.allowed_scopes().to_vec(),
        _ => Vec::new(),
    };
    (
        semantic,
        gw.exception_level() == Some(&ExceptionLevel::Debug),
        gw.kms_key_arn().map(str::to_string),
        gw.description().unwrap_or_default().to_string(),
        scopes,
    )
}

/// A gateway with none of the options: the tool's own description, nothing else.
fn none_set() -> (bool, bool, Option<String>, String, Vec<String>) {
    (
        false,
        false,
        None,
        "SRE agent gateway (sre-agent-deploy)".into(),
        Vec::new(),
    )
}

fn deploy(f: &Fixture, emu: &Emulator) -> serde_json::Value {
    let output = f
        .cmd()
        .envs(emu.env())
        .env("BACKEND_API_KEY", "k")
        .args([
            "--non-interactive",
            "--yes",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .timeout(std::time::Duration::from_mins(2))
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    crate::support::json_output(&output)
}

fn verify(f: &Fixture, emu: &Emulator) -> (i32, serde_json::Value) {
    let output = f
        .cmd()
        .envs(emu.env())
        .env("BACKEND_API_KEY", "k")
        .args(["verify", "-c", "config.yaml", "--output", "json"])
        .timeout(std::time::Duration::from_mins(2))
        .output()
        .expect("run");
    (
        output.status.code().unwrap_or(-1),
        crate::support::json_output(&output),
    )
}

/// Every check of the report (they are grouped by component).
fn checks(report: &serde_json::Value) -> Vec<&serde_json::Value> {
    report["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["checks"].as_array().into_iter().flatten())
        .collect()
}

fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    checks(report)
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"))
}

#[test]
fn gateway_options_are_applied_in_place_and_allowed_scopes_are_enforced() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::new();
    let backends = Backends::serve(f.dir.path(), 2, 200);
    let plain = loopback_config("opt", &emu, &backends).replace(
        "scopes: [sre-agent/invoke]",
        "scopes: [sre-agent/invoke, sre-agent/read]",
    );
    f.write("config.yaml", &plain);
    let first = deploy(&f, &emu);
    let url = first["gateway_url"].as_str().expect("url").to_string();
    let look = Look::new(&emu);
    let id = look.gateways_named("sre-opt-gw").pop().expect("gateway");
    assert_eq!(settings(&look, &id), none_set());
    let (code, report) = verify(&f, &emu);
    assert_eq!(code, 0, "{report:#}");
    let all = checks(&report);
    assert!(all.len() > 10, "{report:#}");
    assert!(
        all.iter().all(|c| c["name"] != "missing-scope"),
        "no allowed scopes, no such check"
    );

    let with_options = plain.replace(
        "  targets:\n",
        &format!(
            "  semantic_search: true\n  exception_level: DEBUG\n  kms_key_arn: {KMS}\n  description: SRE agent tools for the on-call\n  allowed_scopes: [sre-agent/invoke]\n  targets:\n"
        ),
    );
    f.write("config.yaml", &with_options);
    let (code, planned) = run(&f, &emu, "plan");
    assert_eq!(code, 2);
    let gateway = planned["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"] == "AgentCore gateway"))
        .expect("the gateway");
    assert_eq!(gateway["action"], "update", "{gateway:#}");
    let paths: Vec<&str> = gateway["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "authorizer.allowed_scopes",
            "description",
            "protocol.search_type",
            "exception_level",
            "kms_key_arn"
        ]
    );
    let second = deploy(&f, &emu);
    assert_eq!(second["gateway_url"].as_str(), Some(url.as_str()), "in place");
    assert_eq!(
        settings(&look, &id),
        (
            true,
            true,
            Some(KMS.to_string()),
            "SRE agent tools for the on-call".into(),
            vec!["sre-agent/invoke".to_string()]
        )
    );
    assert_eq!(run(&f, &emu, "plan").0, 0);

    // A token of the app client with only sre-agent/read is refused by the gateway.
    let (code, report) = verify(&f, &emu);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(check(&report, "missing-scope")["status"], "pass", "{report:#}");
    // Behind the tool's back the gateway stops requiring the scope: the check fails.
    look.rt.block_on(async {
        let c = look.agentcore();
        let gw = c.get_gateway().gateway_identifier(&id).send().await.expect("get");
        let Some(AuthorizerConfiguration::CustomJwtAuthorizer(jwt)) = gw.authorizer_configuration() else {
            panic!("a JWT authorizer");
        };
        let open = aws_sdk_bedrockagentcorecontrol::types::CustomJwtAuthorizerConfiguration::builder()
            .discovery_url(jwt.discovery_url())
            .set_allowed_clients(Some(jwt.allowed_clients().to_vec()))
            .build()
            .expect("jwt");
        c.update_gateway()
            .gateway_identifier(&id)
            .name(gw.name())
            .role_arn(gw.role_arn().unwrap_or_default())
            .protocol_type(gw.protocol_type().clone())
            .authorizer_type(gw.authorizer_type().clone())
            .authorizer_configuration(AuthorizerConfiguration::CustomJwtAuthorizer(open))
            .send()
            .await
            .expect("update behind the tool's back");
    });
    let (code, report) = verify(&f, &emu);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(check(&report, "missing-scope")["status"], "fail", "{report:#}");

    // Back to no options: each is turned off in place.
    f.write("config.yaml", &plain);
    let (code, _) = run(&f, &emu, "plan");
    assert_eq!(code, 2);
    let third = deploy(&f, &emu);
    assert_eq!(third["gateway_url"].as_str(), Some(url.as_str()));
    assert_eq!(settings(&look, &id), none_set());
    assert_eq!(run(&f, &emu, "plan").0, 0);
}

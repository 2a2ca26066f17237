//! Changes applied in place on a deployed stack, against the emulator behaving like the service
//! (updates pass through UPDATING, synchronizations through SYNCHRONIZING):
//! - config edits (a backend moved, so its spec's content changed; a target removed; a fifth
//!   added) are carried out by a re-run with `--yes`: the moved target synchronized, the removed
//!   one deleted with its spec object, the new one created; no twins, the same gateway URL;
//! - a target pointed elsewhere out of band is put back with `UpdateGatewayTarget`;
//! - a synchronization the service refuses fails the run with the service's reason.
#![allow(clippy::disallowed_methods)] // fixtures are plain writes

use std::time::Duration;

use crate::plan_drift::{assert_plan, run};
use crate::support::Fixture;
use crate::support::deployment::{config, deploy_ok, tool};
use crate::support::emulator::Emulator;
use crate::support::look::Look;

/// The gateway's targets: (name, id, spec S3 URI).
fn targets(look: &Look, gateway_id: &str) -> Vec<(String, String, Option<String>)> {
    use aws_sdk_bedrockagentcorecontrol::types::{
        ApiSchemaConfiguration, McpTargetConfiguration, TargetConfiguration,
    };
    look.rt.block_on(async {
        let c = look.agentcore();
        let listed = c
            .list_gateway_targets()
            .gateway_identifier(gateway_id)
            .send()
            .await
            .expect("list targets");
        let mut out = Vec::new();
        for item in listed.items() {
            let got = c
                .get_gateway_target()
                .gateway_identifier(gateway_id)
                .target_id(item.target_id())
                .send()
                .await
                .expect("get target");
            let uri = match got.target_configuration() {
                Some(TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(
                    ApiSchemaConfiguration::S3(s3),
                ))) => s3.uri().map(str::to_string),
                _ => None,
            };
            out.push((item.name().to_string(), item.target_id().to_string(), uri));
        }
        out.sort();
        out
    })
}

fn deploy_yes(f: &Fixture, emu: &Emulator) -> (serde_json::Value, String) {
    let output = tool(f, emu)
        .args([
            "--non-interactive",
            "--no-verify",
            "--yes",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    (crate::support::json_output(&output), stderr)
}

#[test]
fn config_changes_and_out_of_band_target_changes_are_applied_in_place() {
    let emu = Emulator::start().expect("emulator");
    emu.set_update_time(Duration::from_millis(400));
    emu.set_sync_time(Duration::from_millis(400));
    let f = Fixture::with_config(&config("chg"));
    let (first, _) = deploy_ok(&f, &emu);
    let url = first["gateway_url"].as_str().expect("url").to_string();
    let look = Look::new(&emu);
    let gateway_id = look.gateways_named("sre-gw-chg").pop().expect("the gateway");
    let before = targets(&look, &gateway_id);
    assert_eq!(before.len(), 4);

    // A backend moves (its spec's server URL, so its content, changes), one target leaves the
    // config, a fifth arrives.
    let edited = config("chg")
        .replace(
            "https://backend.sre-agent.internal:8012",
            "https://logs.sre-agent.internal:9012",
        )
        .replace(
            "    - {name: runbooks-api, spec: runbooks, backend_url: \"https://backend.sre-agent.internal:8014\"}\n",
            "    - {name: alerts-api, spec: metrics, backend_url: \"https://backend.sre-agent.internal:8015\"}\n",
        );
    f.write("config.yaml", &edited);
    // Without --yes a changed config is refused, with the change shown.
    let refused = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("run");
    assert_ne!(refused.status.code(), Some(0));
    // `plan` shows exactly what the re-run does.
    assert_plan(
        &f,
        &emu,
        &[
            ("S3 object", "sre-agent/specs/logs-api.yaml", "update"),
            ("S3 object", "sre-agent/specs/alerts-api.yaml", "create"),
            ("S3 object", "sre-agent/specs/runbooks-api.yaml", "delete"),
            ("gateway target", "logs-api", "update"),
            ("gateway target", "alerts-api", "create"),
            ("gateway target", "runbooks-api", "delete"),
        ],
    );
    emu.clear_calls();
    let (second, stderr) = deploy_yes(&f, &emu);
    assert_eq!(
        second["gateway_url"].as_str(),
        Some(url.as_str()),
        "the same gateway"
    );
    assert!(
        stderr.contains("the spec of logs-api changed in S3: synchronizing"),
        "{stderr}"
    );
    assert!(stderr.contains("deleted target runbooks-api"), "{stderr}");
    assert!(
        stderr.contains("deleted spec object sre-agent/specs/runbooks-api"),
        "{stderr}"
    );
    assert_eq!(
        emu.call_count("SynchronizeGatewayTargets"),
        1,
        "only the moved backend's"
    );
    assert_eq!(emu.call_count("UpdateGatewayTarget"), 0, "nothing moved in S3");
    assert_eq!(emu.call_count("DeleteGatewayTarget"), 1);
    assert_eq!(emu.call_count("CreateGatewayTarget"), 1, "alerts-api");
    let after = targets(&look, &gateway_id);
    let names: Vec<&str> = after.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["alerts-api", "k8s-api", "logs-api", "metrics-api"],
        "no twins"
    );
    let kept = |name: &str| {
        before
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, id, _)| id.clone())
    };
    let now = |name: &str| {
        after
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, id, _)| id.clone())
    };
    assert_eq!(
        now("logs-api"),
        kept("logs-api"),
        "synchronized in place, not replaced"
    );
    let objects = look.rt.block_on(async {
        look.s3()
            .list_objects_v2()
            .bucket("sre-specs-chg")
            .send()
            .await
            .expect("list objects")
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect::<Vec<_>>()
    });
    assert!(!objects.iter().any(|k| k.contains("runbooks-api")), "{objects:?}");
    assert!(objects.iter().any(|k| k.contains("alerts-api")), "{objects:?}");
    assert_eq!(run(&f, &emu, "plan").0, 0, "nothing left to do");

    // Someone points a target at another spec: a re-run puts it back in place.
    let k8s = now("k8s-api").expect("k8s-api");
    let wanted = after
        .iter()
        .find(|(n, _, _)| n == "k8s-api")
        .and_then(|(_, _, uri)| uri.clone())
        .expect("its spec URI");
    repoint(&look, &gateway_id, &k8s, "s3://elsewhere/other.yaml");
    let (code, plan) = run(&f, &emu, "plan");
    assert_eq!(code, 2);
    let k8s_change = plan["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "k8s-api"))
        .expect("k8s-api");
    assert_eq!(k8s_change["action"], "update");
    assert_eq!(k8s_change["fields"][0]["path"], "spec_location");
    assert_eq!(k8s_change["fields"][0]["before"], "s3://elsewhere/other.yaml");
    emu.clear_calls();
    let (_, stderr) = deploy_ok(&f, &emu);
    assert!(
        stderr.contains("updated target k8s-api in place: spec location: s3://elsewhere/other.yaml -> "),
        "{stderr}"
    );
    assert_eq!(emu.call_count("UpdateGatewayTarget"), 1);
    let restored = targets(&look, &gateway_id);
    assert!(
        restored
            .iter()
            .any(|(n, id, uri)| n == "k8s-api" && *id == k8s && uri.as_deref() == Some(&wanted))
    );

    // Nothing left to do: no write at all.
    emu.clear_calls();
    deploy_ok(&f, &emu);
    let writes: Vec<String> = emu
        .calls()
        .into_iter()
        .map(|c| c.operation)
        .filter(|op| {
            !["Get", "List", "Describe", "Head"]
                .iter()
                .any(|v| op.starts_with(v))
        })
        .collect();
    assert!(writes.is_empty(), "an up-to-date stack gets no write: {writes:?}");
    assert_eq!(run(&f, &emu, "plan").0, 0);

    // The service cannot read a spec after it changed: the run fails with its reason.
    emu.fail_sync("metrics-api", Some("The OpenAPI schema could not be parsed"));
    f.write(
        "config.yaml",
        &edited.replace(
            "https://backend.sre-agent.internal:8013",
            "https://metrics.sre-agent.internal:9013",
        ),
    );
    let failed = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "--yes", "-c", "config.yaml"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_ne!(failed.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("SYNCHRONIZE_UNSUCCESSFUL"), "{stderr}");
    assert!(
        stderr.contains("The OpenAPI schema could not be parsed"),
        "{stderr}"
    );
}

/// Points a target at another spec, behind the tool's back (keeping its credentials).
fn repoint(look: &Look, gateway_id: &str, target_id: &str, uri: &str) {
    use aws_sdk_bedrockagentcorecontrol::types::{
        ApiSchemaConfiguration, McpTargetConfiguration, S3Configuration, TargetConfiguration,
    };
    look.rt.block_on(async {
        let c = look.agentcore();
        let got = c
            .get_gateway_target()
            .gateway_identifier(gateway_id)
            .target_id(target_id)
            .send()
            .await
            .expect("get");
        c.update_gateway_target()
            .gateway_identifier(gateway_id)
            .target_id(target_id)
            .name(got.name())
            .set_description(got.description().map(str::to_string))
            .target_configuration(TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(
                ApiSchemaConfiguration::S3(S3Configuration::builder().uri(uri).build()),
            )))
            .set_credential_provider_configurations(Some(got.credential_provider_configurations().to_vec()))
            .send()
            .await
            .expect("update behind the tool's back");
    });
}

/// A new `gateway_name` cannot be applied in place: `plan` shows a replace and says what it does
/// to the URL; the deploy needs `--yes`; then the new gateway has every target, with a new URL,
/// and the old gateway and its targets are gone.
#[test]
fn a_gateway_name_change_replaces_the_gateway() {
    let emu = Emulator::start().expect("emulator");
    let f = Fixture::with_config(&config("ren"));
    let (first, _) = deploy_ok(&f, &emu);
    let old_url = first["gateway_url"].as_str().expect("url").to_string();
    let look = Look::new(&emu);
    let old_id = look.gateways_named("sre-gw-ren").pop().expect("the gateway");

    f.write(
        "config.yaml",
        &config("ren").replace("gateway_name: sre-gw-ren", "gateway_name: sre-gw-ren-v2"),
    );
    let (code, plan) = run(&f, &emu, "plan");
    assert_eq!(code, 2);
    let gateway = plan["changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"] == "AgentCore gateway"))
        .expect("the gateway");
    assert_eq!(gateway["action"], "replace", "{gateway:#}");
    assert_eq!(gateway["fields"][0]["before"], "sre-gw-ren");
    assert!(
        gateway["reason"].as_str().is_some_and(|r| r.contains("new URL")),
        "{gateway:#}"
    );
    assert_eq!(plan["summary"]["replace"], 5, "the gateway and its four targets");
    let refused = tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2), "a changed config needs --yes");
    assert_eq!(look.gateways_named("sre-gw-ren-v2").len(), 0, "nothing was made");

    let (second, stderr) = deploy_yes(&f, &emu);
    assert!(
        stderr.contains("replacing the gateway sre-gw-ren with sre-gw-ren-v2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("deleted the replaced gateway sre-gw-ren"),
        "{stderr}"
    );
    let new_url = second["gateway_url"].as_str().expect("url");
    assert_ne!(new_url, old_url, "a new gateway, a new URL");
    assert!(
        look.gateways_named("sre-gw-ren").is_empty(),
        "the old gateway is gone"
    );
    let new_id = look
        .gateways_named("sre-gw-ren-v2")
        .pop()
        .expect("the new gateway");
    assert_ne!(new_id, old_id);
    assert_eq!(targets(&look, &new_id).len(), 4);
    assert_eq!(run(&f, &emu, "plan").0, 0);
    assert_eq!(run(&f, &emu, "drift").0, 0);
}

/// Every operation a change in place sends has its answer lost once, after it ran (the service
/// did the work; the SDK resends it): the re-run still ends with exactly the config's targets,
/// the moved backend's target synchronized, and nothing left to plan.
#[test]
fn changes_in_place_survive_lost_answers() {
    use crate::support::emulator::{FaultKind, FaultRule};
    let emu = Emulator::start().expect("emulator");
    emu.set_update_time(Duration::from_millis(300));
    emu.set_sync_time(Duration::from_millis(300));
    let f = Fixture::with_config(&config("lost"));
    deploy_ok(&f, &emu);
    let look = Look::new(&emu);
    let gateway_id = look.gateways_named("sre-gw-lost").pop().expect("the gateway");
    let k8s = targets(&look, &gateway_id)
        .into_iter()
        .find(|(n, _, _)| n == "k8s-api")
        .map(|(_, id, _)| id)
        .expect("k8s-api");
    repoint(&look, &gateway_id, &k8s, "s3://elsewhere/other.yaml");
    f.write(
        "config.yaml",
        &config("lost")
            .replace(
                "https://backend.sre-agent.internal:8012",
                "https://logs.sre-agent.internal:9012",
            )
            .replace(
                "    - {name: runbooks-api, spec: runbooks, backend_url: \"https://backend.sre-agent.internal:8014\"}\n",
                "",
            ),
    );
    for op in [
        "UpdateGatewayTarget",
        "SynchronizeGatewayTargets",
        "DeleteGatewayTarget",
        "DeleteObject",
        "PutObject",
    ] {
        emu.faults()
            .add_rule(FaultRule::times(op, FaultKind::LoseResponse, 1));
    }
    emu.clear_calls();
    deploy_yes(&f, &emu);
    let lost: Vec<String> = emu
        .calls()
        .into_iter()
        .filter(|c| c.fault == Some(FaultKind::LoseResponse))
        .map(|c| c.operation)
        .collect();
    assert_eq!(lost.len(), 5, "every lost answer was injected: {lost:?}");
    let names: Vec<String> = targets(&look, &gateway_id)
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert_eq!(
        names,
        ["k8s-api", "logs-api", "metrics-api"],
        "no twins, none left behind"
    );
    assert_eq!(run(&f, &emu, "plan").0, 0);
}

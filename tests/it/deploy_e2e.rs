//! End to end: the built binary deploys the whole stack into the loopback emulator (moto plus the
//! project's proxy), and independent SDK calls check what exists. Also: re-run is a no-op,
//! cleanup leaves nothing of the deployment and everything else (the crash campaign, in
//! `crash_campaign`, kills runs), and a second run on the same state waits its turn or fails clearly.
#![allow(clippy::disallowed_methods)]

use std::io::{BufRead, BufReader};
use std::process::Command;

use crate::support::deployment::{config, fixture, spawn_deploy, tool};
use crate::support::emulator::{Emulator, FaultKind, FaultRule};
use crate::support::look::Look;
use crate::support::{Fixture, json_output};
use aws_sdk_bedrockagentcorecontrol::types::{
    ApiSchemaConfiguration, AuthorizerConfiguration, CredentialProvider, McpTargetConfiguration,
    TargetConfiguration,
};
use predicates::prelude::*;

#[test]
fn full_deploy_builds_the_stack_and_a_rerun_changes_nothing() {
    let emu = Emulator::start().expect("emulator");
    let f = fixture("a");
    let output = tool(&f, &emu)
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_output(&output);
    assert_eq!(report["status"], "complete");
    let url = report["gateway_url"].as_str().expect("gateway url").to_string();
    // 13 resource steps and prune-targets.
    assert_eq!(report["steps"].as_array().map(Vec::len), Some(14));

    let look = Look::new(&emu);
    // IAM: trust policy for the AgentCore service, and the scoped inline policy.
    let role = look
        .rt
        .block_on(look.iam().get_role().role_name("SreGatewayRolea").send())
        .expect("role");
    let trust = percent_encoding::percent_decode_str(
        role.role()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or_default(),
    )
    .decode_utf8_lossy()
    .into_owned();
    assert!(trust.contains("bedrock-agentcore.amazonaws.com"), "{trust}");
    let policy = look
        .rt
        .block_on(
            look.iam()
                .get_role_policy()
                .role_name("SreGatewayRolea")
                .policy_name("sre-agent-deploy-sre-e2e-a")
                .send(),
        )
        .expect("policy");
    let policy = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    assert!(
        policy.contains("arn:aws:s3:::sre-specs-a/sre-agent/specs/*"),
        "{policy}"
    );
    assert!(policy.contains("bedrock-agentcore:GetResourceApiKey"));

    // Cognito: one pool, its domain, resource server and a client_credentials client with a secret.
    let pools = look.pools_named("sre-agent-sre-e2e-a");
    assert_eq!(pools.len(), 1);
    let pool = &pools[0];
    let domain = look
        .rt
        .block_on(
            look.cognito()
                .describe_user_pool_domain()
                .domain("sre-e2e-a")
                .send(),
        )
        .expect("domain");
    assert_eq!(
        domain.domain_description().and_then(|d| d.user_pool_id()),
        Some(pool.as_str())
    );
    let rs = look
        .rt
        .block_on(
            look.cognito()
                .describe_resource_server()
                .user_pool_id(pool)
                .identifier("sre-agent")
                .send(),
        )
        .expect("rs");
    let scopes: Vec<&str> = rs
        .resource_server()
        .map(|r| {
            r.scopes()
                .iter()
                .map(aws_sdk_cognitoidentityprovider::types::ResourceServerScopeType::scope_name)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(scopes, ["invoke"]);
    let clients = look
        .rt
        .block_on(
            look.cognito()
                .list_user_pool_clients()
                .user_pool_id(pool)
                .max_results(10)
                .send(),
        )
        .expect("clients");
    let client_id = clients.user_pool_clients()[0]
        .client_id()
        .expect("id")
        .to_string();
    let client = look
        .rt
        .block_on(
            look.cognito()
                .describe_user_pool_client()
                .user_pool_id(pool)
                .client_id(&client_id)
                .send(),
        )
        .expect("client");
    let client = client.user_pool_client().expect("client");
    assert!(client.client_secret().is_some());
    assert_eq!(
        client
            .allowed_o_auth_flows()
            .iter()
            .map(aws_sdk_cognitoidentityprovider::types::OAuthFlowType::as_str)
            .collect::<Vec<_>>(),
        ["client_credentials"]
    );
    assert_eq!(client.allowed_o_auth_scopes(), ["sre-agent/invoke"]);

    // S3: the four rendered specs, private bucket, tagged.
    for target in ["k8s-api", "logs-api", "metrics-api", "runbooks-api"] {
        let object = look
            .rt
            .block_on(
                look.s3()
                    .get_object()
                    .bucket("sre-specs-a")
                    .key(format!("sre-agent/specs/{target}.yaml"))
                    .send(),
            )
            .expect("object");
        assert_eq!(object.content_type(), Some("application/yaml"));
        let body = look
            .rt
            .block_on(object.body.collect())
            .expect("body")
            .into_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("https://backend.sre-agent.internal:80"), "{target}");
        assert!(!text.contains("{{"), "{target} fully rendered");
    }
    let tags = look
        .rt
        .block_on(look.s3().get_bucket_tagging().bucket("sre-specs-a").send())
        .expect("tags");
    assert!(
        tags.tag_set()
            .iter()
            .any(|t| t.key() == "sre-agent-deploy:deployment-id" && t.value() == "sre-e2e-a")
    );

    // AgentCore: the provider holds the key; the gateway allows the client; targets use S3 and the key.
    let providers = emu.credential_providers();
    let provider = providers
        .iter()
        .find(|p| p.name == "sre-key-a")
        .expect("provider");
    assert_eq!(provider.api_key, "test-backend-key");
    let gateways = look.gateways_named("sre-gw-a");
    assert_eq!(gateways.len(), 1);
    let gw = look
        .rt
        .block_on(
            look.agentcore()
                .get_gateway()
                .gateway_identifier(&gateways[0])
                .send(),
        )
        .expect("gateway");
    assert_eq!(gw.gateway_url(), Some(url.as_str()));
    assert_eq!(gw.protocol_type().as_str(), "MCP");
    let Some(AuthorizerConfiguration::CustomJwtAuthorizer(jwt)) = gw.authorizer_configuration() else {
        panic!("no JWT authorizer")
    };
    assert_eq!(jwt.allowed_clients(), std::slice::from_ref(&client_id));
    assert!(
        jwt.discovery_url()
            .contains(&format!("/{pool}/.well-known/openid-configuration"))
    );
    let gw_tags = look
        .rt
        .block_on(
            look.agentcore()
                .list_tags_for_resource()
                .resource_arn(gw.gateway_arn())
                .send(),
        )
        .expect("tags");
    assert_eq!(
        gw_tags
            .tags()
            .and_then(|t| t.get("sre-agent-deploy:deployment-id"))
            .map(String::as_str),
        Some("sre-e2e-a")
    );
    let mut targets = look.targets(&gateways[0]);
    targets.sort();
    assert_eq!(targets, ["k8s-api", "logs-api", "metrics-api", "runbooks-api"]);
    let listed = look
        .rt
        .block_on(
            look.agentcore()
                .list_gateway_targets()
                .gateway_identifier(&gateways[0])
                .send(),
        )
        .expect("targets");
    for summary in listed.items() {
        let t = look
            .rt
            .block_on(
                look.agentcore()
                    .get_gateway_target()
                    .gateway_identifier(&gateways[0])
                    .target_id(summary.target_id())
                    .send(),
            )
            .expect("target");
        let Some(TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(
            ApiSchemaConfiguration::S3(s3),
        ))) = t.target_configuration()
        else {
            panic!("not an S3 OpenAPI target")
        };
        assert_eq!(
            s3.uri(),
            Some(format!("s3://sre-specs-a/sre-agent/specs/{}.yaml", t.name()).as_str())
        );
        let Some(CredentialProvider::ApiKeyCredentialProvider(key)) =
            t.credential_provider_configurations()[0].credential_provider()
        else {
            panic!("no API key provider")
        };
        assert_eq!(key.provider_arn(), provider.arn);
        assert_eq!(key.credential_parameter_name(), Some("X-API-Key"));
    }

    // No secret in the state file or the output.
    let state = std::fs::read_to_string(f.path(".sre-agent-deploy/sre-e2e-a.json")).expect("state");
    assert!(!state.contains("test-backend-key"));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("test-backend-key"));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("test-backend-key"));

    // Re-run: nothing is created, the gateway URL stays.
    emu.clear_calls();
    let again = tool(&f, &emu)
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(json_output(&again)["gateway_url"].as_str(), Some(url.as_str()));
    let creates: Vec<String> = emu
        .calls()
        .into_iter()
        .map(|c| c.operation)
        .filter(|o| o.starts_with("Create") || o.starts_with("Put") || o.starts_with("Update"))
        .collect();
    assert_eq!(creates, Vec::<String>::new(), "a re-run creates nothing");
}

#[test]
fn cleanup_deletes_the_deployment_and_nothing_else() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    // Resources that exist before the deployment, some with look-alike names.
    look.rt
        .block_on(
            look.iam()
                .create_role()
                .role_name("SreGatewayRoleb-keep")
                .assume_role_policy_document("{}")
                .send(),
        )
        .expect("role");
    look.rt
        .block_on(look.s3().create_bucket().bucket("sre-specs-b-keep").send())
        .expect("bucket");
    look.rt
        .block_on(
            look.cognito()
                .create_user_pool()
                .pool_name("sre-agent-sre-e2e-b")
                .send(),
        )
        .expect("twin-named pool");
    let f = fixture("b");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    assert_eq!(look.pools_named("sre-agent-sre-e2e-b").len(), 2);

    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-b", "--dry-run"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("would delete"));
    assert!(look.role_exists("SreGatewayRoleb"), "dry run deletes nothing");
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-b"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-b", "--yes"])
        .assert()
        .code(0);

    assert!(!look.role_exists("SreGatewayRoleb"));
    assert!(!look.bucket_exists("sre-specs-b"));
    assert!(look.gateways_named("sre-gw-b").is_empty());
    assert!(emu.credential_providers().iter().all(|p| p.name != "sre-key-b"));
    assert_eq!(
        look.pools_named("sre-agent-sre-e2e-b").len(),
        1,
        "the look-alike pool survives"
    );
    assert!(look.role_exists("SreGatewayRoleb-keep"));
    assert!(look.bucket_exists("sre-specs-b-keep"));
    let state = std::fs::read_to_string(f.path(".sre-agent-deploy/sre-e2e-b.json")).expect("state");
    assert!(state.contains("\"cleaned_up\""));
    // A second cleanup finds everything already gone.
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-b", "--yes"])
        .assert()
        .code(0);
}

#[test]
fn cleanup_without_a_state_file_finds_resources_by_tag() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let f = fixture("c");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    std::fs::remove_dir_all(f.path(".sre-agent-deploy")).expect("lose the state");
    tool(&f, &emu)
        .args([
            "--cleanup",
            "--deployment-id",
            "sre-e2e-c",
            "--yes",
            "--region",
            "us-east-1",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "finding deployment sre-e2e-c's resources by tag",
        ))
        .stderr(predicate::str::contains("cannot be found by tag"));
    assert!(look.gateways_named("sre-gw-c").is_empty());
    assert!(!look.role_exists("SreGatewayRolec"));
    assert!(!look.bucket_exists("sre-specs-c"));
    assert!(look.pools_named("sre-agent-sre-e2e-c").is_empty());
    assert!(emu.credential_providers().iter().all(|p| p.name != "sre-key-c"));
}

#[test]
fn lost_create_answers_are_adopted_not_twinned() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    for op in [
        "CreateRole",
        "CreateBucket",
        "CreateApiKeyCredentialProvider",
        "CreateUserPoolDomain",
        "PutRolePolicy",
        "CreateGateway",
        "CreateGatewayTarget",
        "PutObject",
    ] {
        emu.faults()
            .add_rule(FaultRule::times(op, FaultKind::LoseResponse, 1));
    }
    let f = fixture("l");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    assert!(look.role_exists("SreGatewayRolel"));
    assert_eq!(
        emu.credential_providers()
            .iter()
            .filter(|p| p.name == "sre-key-l")
            .count(),
        1
    );
    let gateways = look.gateways_named("sre-gw-l");
    assert_eq!(gateways.len(), 1, "the client token stops a twin gateway");
    assert_eq!(look.targets(&gateways[0]).len(), 4, "and twin targets");
    let lost: Vec<String> = emu
        .calls()
        .into_iter()
        .filter(|c| c.fault == Some(FaultKind::LoseResponse))
        .map(|c| c.operation)
        .collect();
    assert_eq!(lost.len(), 8, "every lost answer was injected: {lost:?}");
    // Everything adopted is this deployment's, so cleanup removes it.
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-l", "--yes"])
        .assert()
        .code(0);
    assert!(!look.role_exists("SreGatewayRolel"));
    assert!(!look.bucket_exists("sre-specs-l"));
}

#[test]
fn throttling_and_server_errors_are_retried() {
    let emu = Emulator::start().expect("emulator");
    // About one call in seven is refused; a call fails for good only if all six of the SDK's
    // attempts are (0.145^6, about 1e-5 per call): at 30%, which calls drew the faults depended
    // on the order concurrent calls arrived in, and about one run in thirty lost all six.
    emu.faults()
        .add_rule(FaultRule::rate("*", FaultKind::Throttle, 0.1, 7));
    emu.faults()
        .add_rule(FaultRule::rate("*", FaultKind::ServerError(503), 0.05, 11));
    let f = fixture("t");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    assert!(emu.faults().counts().total() > 0, "faults were injected");
    let look = Look::new(&emu);
    assert_eq!(look.gateways_named("sre-gw-t").len(), 1);
}

#[test]
fn a_second_run_on_the_same_state_fails_clearly() {
    let emu = Emulator::start().expect("emulator");
    emu.faults().set_latency(std::time::Duration::from_millis(150));
    let f = fixture("w");
    let mut first = spawn_deploy(&f, &emu);
    let stderr = first.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        if line.unwrap_or_default().contains("started") {
            break;
        }
    }
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "another sre-agent-deploy run holds the lock",
        ));
    // A cleanup or a resume of the same deployment is refused the same way.
    for args in [
        vec!["--cleanup", "--deployment-id", "sre-e2e-w", "--yes"],
        vec!["--resume", "--no-verify", "--deployment-id", "sre-e2e-w"],
    ] {
        tool(&f, &emu)
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("holds the lock"));
    }
    for _ in lines {}
    assert_eq!(first.wait().expect("first run").code(), Some(0));
    // Nothing was corrupted: the state is whole and complete, and a re-run changes nothing.
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.path(".sre-agent-deploy/sre-e2e-w.json")).expect("state"),
    )
    .expect("the state file is valid JSON");
    assert_eq!(state["status"], "complete");
    emu.faults().set_latency(std::time::Duration::ZERO);
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
}

#[test]
fn existing_resources_named_in_the_config_are_used_and_kept() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    look.rt
        .block_on(
            look.iam()
                .create_role()
                .role_name("SreGatewayRolee")
                .assume_role_policy_document(trust)
                .send(),
        )
        .expect("role");
    let pool = look
        .rt
        .block_on(look.cognito().create_user_pool().pool_name("their-pool").send())
        .expect("pool")
        .user_pool()
        .and_then(|p| p.id().map(str::to_string))
        .expect("pool id");
    // Someone else's domain takes the configured prefix: a suffixed name is picked and recorded.
    look.rt
        .block_on(
            look.cognito()
                .create_user_pool_domain()
                .domain("sre-e2e-e")
                .user_pool_id(&pool)
                .send(),
        )
        .expect("domain");
    let other = look
        .rt
        .block_on(look.cognito().create_user_pool().pool_name("other").send())
        .expect("pool")
        .user_pool()
        .and_then(|p| p.id().map(str::to_string))
        .expect("pool id");
    let f = Fixture::with_config(&config("e").replace(
        "  cognito_domain: sre-e2e-e\n",
        &format!("  cognito_domain: sre-e2e-e\n  user_pool_id: {other}\n"),
    ));
    let output = tool(&f, &emu)
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(f.path(".sre-agent-deploy/sre-e2e-e.json")).expect("state"),
    )
    .expect("json");
    let domain = state["outputs"]["cognito_domain"]
        .as_str()
        .expect("domain")
        .to_string();
    assert!(
        domain.starts_with("sre-e2e-e-") && domain.len() == "sre-e2e-e-".len() + 4,
        "{domain}"
    );
    assert_eq!(state["outputs"]["user_pool_id"], other);
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", "sre-e2e-e", "--yes"])
        .env_remove("BACKEND_API_KEY")
        .assert()
        .code(0);
    assert!(
        look.role_exists("SreGatewayRolee"),
        "an existing role is never deleted"
    );
    let policies = look
        .rt
        .block_on(
            look.iam()
                .list_role_policies()
                .role_name("SreGatewayRolee")
                .send(),
        )
        .expect("policies");
    assert!(
        policies.policy_names().is_empty(),
        "but this deployment's inline policy is removed"
    );
    assert!(
        look.rt
            .block_on(look.cognito().describe_user_pool().user_pool_id(&other).send())
            .is_ok(),
        "the named pool is kept"
    );
}

#[test]
fn an_existing_role_that_does_not_trust_agentcore_stops_the_run() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    look.rt
        .block_on(
            look.iam()
                .create_role()
                .role_name("SreGatewayRolex")
                .assume_role_policy_document("{}")
                .send(),
        )
        .expect("role");
    let f = fixture("x");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "does not trust bedrock-agentcore.amazonaws.com",
        ))
        .stderr(predicate::str::contains(
            "resume: sre-agent-deploy --resume --state-file",
        ));
}

#[test]
fn resume_recreates_a_deleted_resource_and_asks_before_applying_a_changed_config() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let f = fixture("r");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    let gateway = look.gateways_named("sre-gw-r")[0].clone();
    let targets = look
        .rt
        .block_on(
            look.agentcore()
                .list_gateway_targets()
                .gateway_identifier(&gateway)
                .send(),
        )
        .expect("targets");
    let victim = targets.items()[0].target_id().to_string();
    look.rt
        .block_on(
            look.agentcore()
                .delete_gateway_target()
                .gateway_identifier(&gateway)
                .target_id(&victim)
                .send(),
        )
        .expect("delete a target behind the tool's back");
    let state = ".sre-agent-deploy/sre-e2e-r.json";
    tool(&f, &emu)
        .args(["--resume", "--no-verify", "--state-file", state])
        .assert()
        .code(0);
    assert_eq!(look.targets(&gateway).len(), 4, "the deleted target is back");

    f.write(
        "config.yaml",
        &config("r").replace(
            "scopes: [sre-agent/invoke]",
            "scopes: [sre-agent/invoke, sre-agent/read]",
        ),
    );
    tool(&f, &emu)
        .args(["--resume", "--no-verify", "--state-file", state])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cognito.scopes[1]: (unset) -> \"sre-agent/read\"",
        ))
        .stderr(predicate::str::contains("--yes"));
    tool(&f, &emu)
        .args(["--resume", "--no-verify", "--state-file", state, "--yes"])
        .assert()
        .code(0);
    // The new scope reached the resource server and the app client, and the gateway still allows it.
    let pool = look.pools_named("sre-agent-sre-e2e-r")[0].clone();
    let rs = look
        .rt
        .block_on(
            look.cognito()
                .describe_resource_server()
                .user_pool_id(&pool)
                .identifier("sre-agent")
                .send(),
        )
        .expect("rs");
    let mut scopes: Vec<String> = rs
        .resource_server()
        .map(|r| r.scopes().iter().map(|s| s.scope_name().to_string()).collect())
        .unwrap_or_default();
    scopes.sort();
    assert_eq!(scopes, ["invoke", "read"]);
    let clients = look
        .rt
        .block_on(
            look.cognito()
                .list_user_pool_clients()
                .user_pool_id(&pool)
                .max_results(10)
                .send(),
        )
        .expect("clients");
    let client_id = clients.user_pool_clients()[0]
        .client_id()
        .expect("id")
        .to_string();
    let client = look
        .rt
        .block_on(
            look.cognito()
                .describe_user_pool_client()
                .user_pool_id(&pool)
                .client_id(&client_id)
                .send(),
        )
        .expect("client");
    let mut client_scopes = client
        .user_pool_client()
        .map(|c| c.allowed_o_auth_scopes().to_vec())
        .unwrap_or_default();
    client_scopes.sort();
    assert_eq!(client_scopes, ["sre-agent/invoke", "sre-agent/read"]);

    // Switching to another app client updates the gateway's authorizer in place: same gateway.
    let other = look
        .rt
        .block_on(
            look.cognito()
                .create_user_pool_client()
                .user_pool_id(&pool)
                .client_name("ops")
                .send(),
        )
        .expect("client")
        .user_pool_client()
        .and_then(|c| c.client_id().map(str::to_string))
        .expect("id");
    f.write(
        "config.yaml",
        &config("r")
            .replace(
                "scopes: [sre-agent/invoke]",
                "scopes: [sre-agent/invoke, sre-agent/read]",
            )
            .replace(
                "  cognito_domain: sre-e2e-r\n",
                &format!("  cognito_domain: sre-e2e-r\n  client_id: {other}\n"),
            ),
    );
    tool(&f, &emu)
        .args(["--resume", "--no-verify", "--state-file", state, "--yes"])
        .assert()
        .code(0);
    assert_eq!(look.gateways_named("sre-gw-r"), std::slice::from_ref(&gateway));
    let gw = look
        .rt
        .block_on(look.agentcore().get_gateway().gateway_identifier(&gateway).send())
        .expect("gateway");
    let Some(AuthorizerConfiguration::CustomJwtAuthorizer(jwt)) = gw.authorizer_configuration() else {
        panic!("no JWT authorizer")
    };
    assert_eq!(jwt.allowed_clients(), std::slice::from_ref(&other));
}

#[test]
fn a_deployment_outside_us_east_1_gets_its_bucket_there() {
    let emu = Emulator::start().expect("emulator");
    let look = Look::new(&emu);
    let f = Fixture::with_config(&config("eu").replace("region: us-east-1", "region: eu-west-1"));
    // AWS_REGION would override the file (environment beats file), and the run says so.
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "aws.region is set by environment variable AWS_REGION",
        ));
    let f = Fixture::with_config(&config("eu2").replace("region: us-east-1", "region: eu-west-1"));
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .env_remove("AWS_REGION")
        .assert()
        .code(0);
    let location = look
        .rt
        .block_on(look.s3().get_bucket_location().bucket("sre-specs-eu2").send())
        .expect("location");
    assert_eq!(
        location
            .location_constraint()
            .map(aws_sdk_s3::types::BucketLocationConstraint::as_str),
        Some("eu-west-1")
    );
}

#[test]
fn ctrl_c_saves_the_state_and_prints_the_resume_command() {
    let emu = Emulator::start().expect("emulator");
    emu.faults().set_latency(std::time::Duration::from_millis(300));
    let f = fixture("i");
    let mut child = spawn_deploy(&f, &emu);
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    for line in lines.by_ref() {
        if line.unwrap_or_default().contains(" done in ") {
            break;
        }
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    let rest: Vec<String> = lines.map(Result::unwrap_or_default).collect();
    assert_eq!(child.wait().expect("exits").code(), Some(130), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("resume: sre-agent-deploy --resume --state-file")),
        "{rest:?}"
    );
    let state = std::fs::read_to_string(f.path(".sre-agent-deploy/sre-e2e-i.json")).expect("state");
    assert!(state.contains("\"interrupted\""));
    emu.faults().set_latency(std::time::Duration::ZERO);
    tool(&f, &emu)
        .args([
            "--resume",
            "--no-verify",
            "--state-file",
            ".sre-agent-deploy/sre-e2e-i.json",
        ])
        .assert()
        .code(0);
}

#[test]
fn when_retries_run_out_the_last_error_and_the_resume_command_are_shown() {
    let emu = Emulator::start().expect("emulator");
    emu.faults()
        .add_rule(FaultRule::times("CreateRole", FaultKind::Throttle, 50));
    let f = fixture("q");
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("iam:CreateRole failed: Throttling"))
        .stderr(predicate::str::contains("wait a moment, then resume"))
        .stderr(predicate::str::contains(
            "resume: sre-agent-deploy --resume --state-file .sre-agent-deploy/sre-e2e-q.json",
        ));
    assert_eq!(
        emu.call_count("CreateRole"),
        6,
        "the SDK's standard retries: 6 attempts"
    );
    emu.faults().clear();
    tool(&f, &emu)
        .args([
            "--resume",
            "--no-verify",
            "--state-file",
            ".sre-agent-deploy/sre-e2e-q.json",
        ])
        .assert()
        .code(0);
}

#[test]
fn a_failed_deploy_prints_one_json_report_with_the_error_and_resume_command() {
    let emu = Emulator::start().expect("emulator");
    emu.faults()
        .add_rule(FaultRule::times("CreateBucket", FaultKind::ServerError(500), 50));
    let f = fixture("j");
    let output = tool(&f, &emu)
        .args([
            "--non-interactive",
            "--no-verify",
            "-c",
            "config.yaml",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let report = json_output(&output);
    assert_eq!(report["status"], "failed");
    assert!(
        report["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("s3:CreateBucket"))
    );
    assert_eq!(
        report["error"]["resume"],
        "sre-agent-deploy --resume --state-file .sre-agent-deploy/sre-e2e-j.json"
    );
}

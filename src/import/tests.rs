//! Unit tests of the mapping on sources built in memory, and of the rendered YAML.

use std::path::{Path, PathBuf};

use super::dotenv::DotEnv;
use super::flat::Flat;
use super::map::{Mapped, Sources, map};
use super::specs::Template;
use super::*;
use crate::validate::Severity;

const CONFIG: &str = "account_id: 123456789012\nregion: us-east-1\nrole_name: SreRole\n\
                      gateway_name: sre-gw\ns3_bucket: sre-specs\ns3_path_prefix: specs\n";

fn sources(config: &str, gateway_env: &str, backend_env: &str) -> Sources {
    Sources {
        flat: Flat::parse(config),
        gateway_env: Some(DotEnv::parse(gateway_env)),
        backend_env: Some(DotEnv::parse(backend_env)),
        templates: vec![
            template("a_api", None),
            template("b_api", Some(9443)),
            template("c_api", None),
        ],
    }
}

fn template(stem: &str, port: Option<u16>) -> Template {
    Template {
        path: PathBuf::from(format!("/src/orig/backend/openapi_specs/{stem}.yaml.template")),
        stem: stem.into(),
        port,
    }
}

fn mapped(config: &str, gateway_env: &str, backend_env: &str) -> Mapped {
    map(
        &sources(config, gateway_env, backend_env),
        Path::new("/src/deploy"),
    )
}

/// The messages of the findings on `field`.
fn on<'a>(m: &'a Mapped, field: &str) -> Vec<&'a str> {
    m.findings
        .iter()
        .filter(|f| f.field == field)
        .map(|f| f.message.as_str())
        .collect()
}

#[test]
fn targets_use_the_templates_port_or_the_next_original_port() {
    let m = mapped(CONFIG, "", "BACKEND_DOMAIN=backend.corp.net\n");
    let urls: Vec<&str> = m
        .config
        .gateway
        .targets
        .iter()
        .map(|t| t.backend_url.as_str())
        .collect();
    assert_eq!(
        urls,
        [
            "https://backend.corp.net:8011",
            "https://backend.corp.net:9443",
            "https://backend.corp.net:8013"
        ]
    );
    assert_eq!(
        m.config.gateway.targets[0].spec,
        "../orig/backend/openapi_specs/a_api.yaml.template"
    );
    assert_eq!(m.config.gateway.targets[2].name, "c-api");
    assert_eq!(m.config.tls.domain_name, "backend.corp.net");
}

#[test]
fn backend_domain_is_reduced_to_a_host_and_its_absence_reported() {
    let m = mapped(CONFIG, "", "BACKEND_DOMAIN=https://backend.corp.net:8011/\n");
    assert_eq!(m.config.tls.domain_name, "backend.corp.net");
    assert_eq!(on(&m, "tls.domain_name").len(), 1);
    let m = mapped(CONFIG, "", "OTHER=1\n");
    assert!(m.config.gateway.targets.iter().all(|t| t.backend_url.is_empty()));
    assert!(on(&m, "tls.domain_name")[0].contains("BACKEND_DOMAIN is not set"));
}

#[test]
fn hosted_cognito_domains_become_prefixes() {
    let m = mapped(
        CONFIG,
        "COGNITO_DOMAIN=https://sre-prod.auth.us-west-2.amazoncognito.com/\n",
        "",
    );
    assert_eq!(m.config.cognito.cognito_domain, "sre-prod");
    let notes = on(&m, "cognito.cognito_domain");
    assert_eq!(notes.len(), 1);
    assert!(notes[0].contains("us-west-2"), "{notes:?}");
    let m = mapped(CONFIG, "COGNITO_DOMAIN=https://auth.corp.net\n", "");
    assert_eq!(m.config.cognito.cognito_domain, "https://auth.corp.net");
    assert!(on(&m, "cognito.cognito_domain").is_empty());
}

#[test]
fn pool_and_client_come_from_the_env_file_when_config_yaml_lacks_them() {
    let m = mapped(
        CONFIG,
        "USER_POOL_ID=us-east-1_Ab C1\nCOGNITO_CLIENT_ID=abc\n",
        "",
    );
    assert_eq!(m.config.cognito.user_pool_id.as_deref(), Some("us-east-1_AbC1"));
    assert_eq!(m.config.cognito.client_id.as_deref(), Some("abc"));
    assert!(on(&m, "cognito.user_pool_id")[0].contains("whitespace"));
    assert_eq!(
        m.origins.get("cognito.user_pool_id").map(String::as_str),
        Some("gateway/.env, variable USER_POOL_ID")
    );
    let config = format!("{CONFIG}client_id: xyz\n");
    let m = mapped(&config, "COGNITO_CLIENT_ID=abc\n", "");
    assert_eq!(m.config.cognito.client_id.as_deref(), Some("xyz"));
    assert!(on(&m, "cognito.client_id")[0].contains("differ"));
}

#[test]
fn a_credential_endpoint_equal_to_the_endpoint_is_not_reported() {
    let endpoint = "https://bedrock-agentcore-control.us-east-1.amazonaws.com";
    let config = format!("{CONFIG}endpoint_url: {endpoint}\ncredential_provider_endpoint_url: {endpoint}\n");
    assert!(on(&mapped(&config, "", ""), "aws.endpoint_url").is_empty());
    let config =
        format!("{CONFIG}endpoint_url: {endpoint}\ncredential_provider_endpoint_url: https://other\n");
    assert_eq!(on(&mapped(&config, "", ""), "aws.endpoint_url").len(), 1);
}

#[test]
fn secrets_are_references_and_their_values_go_nowhere() {
    let m = mapped(
        CONFIG,
        "COGNITO_CLIENT_SECRET=\"hunter2-client\"\nBACKEND_API_KEY=hunter2-key\n",
        "",
    );
    assert_eq!(m.env_vars, ["COGNITO_CLIENT_SECRET", "BACKEND_API_KEY"]);
    assert_eq!(
        m.config.cognito.client_secret,
        Some(crate::config::SecretRef::Env("COGNITO_CLIENT_SECRET".into()))
    );
    let everything = format!(
        "{m:?}{}",
        render(&m.config, Path::new("/src/orig"), "./s.json").expect("renders")
    );
    assert!(!everything.contains("hunter2"), "{everything}");
}

#[test]
fn placeholders_name_the_original_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("orig/gateway")).expect("mkdir");
    std::fs::write(
        root.join("orig/gateway/config.yaml"),
        format!("{CONFIG}provider_arn: arn:aws:bedrock-agentcore:us-east-1:YOUR_ACCOUNT_ID:token-vault/default/apikeycredentialprovider/k\n"),
    )
    .expect("write");
    let imported = import(&root.join("orig"), root).expect("imports");
    let finding = imported
        .findings
        .iter()
        .find(|f| f.field == "gateway.provider_arn")
        .expect("placeholder finding");
    assert_eq!(finding.severity, Severity::Error);
    assert!(
        finding.message.contains("gateway/config.yaml, key provider_arn"),
        "{}",
        finding.message
    );
    assert!(imported.has_errors());
    // No .env files and no templates: each is a finding, not a failure.
    assert!(
        imported
            .findings
            .iter()
            .any(|f| f.field == "cognito" && f.message.contains("gateway/.env is missing"))
    );
    assert!(imported.findings.iter().any(|f| f.field == "gateway.targets"));
}

#[test]
fn rendered_yaml_reads_back_as_the_same_config() {
    let m = mapped(CONFIG, "BACKEND_API_KEY=k\n", "BACKEND_DOMAIN=backend.corp.net\n");
    let text = render(&m.config, Path::new("/src/orig"), "./schema.json").expect("renders");
    assert!(text.starts_with("# yaml-language-server: $schema=./schema.json\n"));
    assert!(text.contains("# imported from /src/orig by sre-agent-deploy import\n"));
    assert!(text.contains("\n\naws:\n"), "{text}");
    let back: Config = serde_saphyr::from_str(&text).expect("reads back");
    assert_eq!(back, m.config);
}

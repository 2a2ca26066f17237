//! Property tests over generated configs: valid ones validate clean, each class of mutation is an
//! error on exactly the mutated field, and the YAML form round-trips through the real loader.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use sre_agent_deploy::config::load::load;
use sre_agent_deploy::config::{
    AwsConfig, CognitoConfig, Config, DeploymentConfig, GatewayConfig, SecretRef, TargetConfig, TlsConfig,
    ValidationContext, VerifyConfig,
};
use sre_agent_deploy::validate::Severity;
use sre_agent_deploy::validate::rules::KNOWN_REGIONS;

/// A folder with real PEM files, shared by every case.
static CERTS: LazyLock<(tempfile::TempDir, crate::support::certs::CertFiles)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("tempdir");
    let files =
        crate::support::certs::write_chain(dir.path(), "backend.sre-agent.internal", 90).expect("certs");
    (dir, files)
});

static ENV: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    HashMap::from([
        ("BACKEND_API_KEY".to_string(), "k".to_string()),
        ("COGNITO_CLIENT_SECRET".to_string(), "s".to_string()),
    ])
});

fn ctx() -> ValidationContext<'static> {
    ValidationContext {
        base_dir: CERTS.0.path(),
        env: &*ENV,
    }
}

/// Error fields of a config's validation.
fn error_fields(config: &Config) -> BTreeSet<String> {
    config
        .validate(&ctx())
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.field)
        .collect()
}

fn dns_label() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6})?"
}

fn domain() -> impl Strategy<Value = String> {
    (
        dns_label(),
        prop::collection::vec(dns_label(), 1..3),
        prop::sample::select(vec!["internal", "corp", "net", "io"]),
    )
        .prop_map(|(first, rest, tld)| format!("{first}.{}.{tld}", rest.join(".")))
        .prop_filter("not a documentation domain", |d| !d.contains("example"))
}

fn cognito_prefix() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,12}(-[a-z0-9]{1,8}){0,2}".prop_filter("no reserved word", |p| {
        !["aws", "amazon", "cognito"].iter().any(|w| p.contains(w))
    })
}

fn alnum_name(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z0-9]{1,8}", 1..=max).prop_map(|parts| parts.join("-"))
}

fn target() -> impl Strategy<Value = (String, &'static str, u16)> {
    (
        alnum_name(3),
        prop::sample::select(vec!["kubernetes", "logs", "metrics", "runbooks", "k8s"]),
        1u16..=65535,
    )
}

prop_compose! {
    fn valid_config()(
        account in "[0-9]{12}",
        region in prop::sample::select(KNOWN_REGIONS.to_vec()),
        role in "[A-Za-z][a-z0-9+=,.@_-]{0,40}",
        cognito_domain in cognito_prefix(),
        with_client in any::<bool>(),
        client in "[A-Za-z0-9]{20,26}",
        scope_names in prop::collection::btree_set("[a-z]{1,10}", 0..3),
        gateway_name in alnum_name(4),
        bucket in "[a-z0-9][a-z0-9-]{1,40}[a-z0-9]",
        prefix in "([a-z0-9-]{1,10}/){0,2}[a-z0-9-]{0,10}",
        targets in prop::collection::vec(target(), 1..5),
        domain in domain(),
        warn in 1i64..400,
        fail_below in 1i64..=30,
        deployment_id in proptest::option::of("[a-z][a-z0-9-]{1,20}[a-z0-9]"),
    ) -> Config {
        let mut seen = BTreeSet::new();
        let targets = targets
            .into_iter()
            .filter(|(name, _, _)| seen.insert(name.clone()))
            .map(|(name, spec, port)| TargetConfig {
                name,
                spec: spec.to_string(),
                backend_url: format!("https://{domain}:{port}"),
            })
            .collect();
        let pool_region = region;
        Config {
            version: 1,
            aws: AwsConfig { account_id: account, region: region.to_string(), role_name: role, endpoint_url: None, profile: None },
            cognito: CognitoConfig {
                user_pool_id: with_client.then(|| format!("{pool_region}_AbC123")),
                cognito_domain,
                client_id: with_client.then_some(client),
                client_secret: with_client.then(|| SecretRef::Env("COGNITO_CLIENT_SECRET".into())),
                resource_server_id: Some("sre-agent".into()),
                scopes: scope_names.into_iter().map(|s| format!("sre-agent/{s}")).collect(),
            },
            gateway: GatewayConfig {
                gateway_name,
                s3_bucket: bucket,
                s3_path_prefix: prefix,
                provider_arn: None,
                credential_provider_name: Some("sre-agent-api-key".into()),
                api_key: Some(SecretRef::Env("BACKEND_API_KEY".into())),
                targets,
                ..GatewayConfig::default()
            },
            tls: TlsConfig {
                domain_name: domain,
                ssl_cert_path: PathBuf::from("fullchain.pem"),
                ssl_key_path: PathBuf::from("privkey.pem"),
                ca_bundle_path: Some(PathBuf::from("ca.pem")),
                warn_days: warn + fail_below,
                fail_days: fail_below.min(warn + fail_below - 1).max(0),
                endpoints: Vec::new(),
                acme: None,
            },
            verify: VerifyConfig::default(),
            deployment: DeploymentConfig { deployment_id, state_file: None, state_backend: None },
        }
    }
}

/// Generated names that S3 itself rejects for other reasons are not valid configs.
fn is_clean_bucket(config: &Config) -> bool {
    sre_agent_deploy::validate::rules::s3_bucket(&config.gateway.s3_bucket).is_ok()
        && !config.gateway.s3_bucket.contains('.')
}

/// One way to break one field.
#[derive(Debug, Clone)]
enum Mutation {
    Region(String),
    Bucket(String),
    AccountId(String),
    Placeholder(usize, String),
    LiteralApiKey,
    GatewayName(String),
    CognitoDomain(String),
    TargetUrl(String),
}

/// Fields a placeholder can be left in, and how to set it.
const PLACEHOLDER_FIELDS: &[&str] = &[
    "aws.account_id",
    "aws.region",
    "aws.role_name",
    "cognito.cognito_domain",
    "gateway.gateway_name",
    "gateway.s3_bucket",
    "gateway.targets[0].name",
    "gateway.targets[0].backend_url",
    "tls.domain_name",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        "[a-z]{2}-[a-z]{3,9}[0-9]".prop_map(Mutation::Region),
        prop_oneof![
            "[a-z]{2,8}[A-Z_][a-z]{1,8}",
            "[a-z]{2,8}\\.\\.[a-z]{1,8}",
            "xn--[a-z]{3,8}",
            "[a-z]{3,8}-s3alias",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            "[a-z]{64,70}",
        ]
        .prop_map(Mutation::Bucket),
        prop_oneof!["[0-9]{1,11}", "[0-9]{13,15}", "[0-9]{6}[a-z][0-9]{5}"].prop_map(Mutation::AccountId),
        (0..PLACEHOLDER_FIELDS.len(), "YOUR_[A-Z]{2,10}").prop_map(|(i, p)| Mutation::Placeholder(i, p)),
        Just(Mutation::LiteralApiKey),
        "[a-z]{1,8}_[a-z]{1,8}".prop_map(Mutation::GatewayName),
        prop::sample::select(vec!["aws", "amazon", "cognito"])
            .prop_flat_map(|w| "[a-z]{1,6}".prop_map(move |p| format!("{p}-{w}")))
            .prop_map(Mutation::CognitoDomain),
        "[a-z]{3,8}\\.[a-z]{2,5}:[0-9]{2,4}".prop_map(|h| Mutation::TargetUrl(format!("http://{h}"))),
    ]
}

/// Applies the mutation and returns the one field it broke.
fn apply(config: &mut Config, mutation: &Mutation) -> String {
    match mutation {
        Mutation::Region(r) => {
            config.aws.region.clone_from(r);
            "aws.region".into()
        }
        Mutation::Bucket(b) => {
            config.gateway.s3_bucket.clone_from(b);
            "gateway.s3_bucket".into()
        }
        Mutation::AccountId(a) => {
            config.aws.account_id.clone_from(a);
            "aws.account_id".into()
        }
        Mutation::Placeholder(i, p) => {
            let field = PLACEHOLDER_FIELDS[*i];
            let value = p.clone();
            match field {
                "aws.account_id" => config.aws.account_id = value,
                "aws.region" => config.aws.region = value,
                "aws.role_name" => config.aws.role_name = value,
                "cognito.cognito_domain" => config.cognito.cognito_domain = value,
                "gateway.gateway_name" => config.gateway.gateway_name = value,
                "gateway.s3_bucket" => config.gateway.s3_bucket = value,
                "gateway.targets[0].name" => config.gateway.targets[0].name = value,
                "gateway.targets[0].backend_url" => {
                    config.gateway.targets[0].backend_url = format!("https://{value}:8011");
                }
                _ => config.tls.domain_name = value,
            }
            field.into()
        }
        Mutation::LiteralApiKey => {
            // The loader drops the value; the model only keeps that a literal was there.
            config.gateway.api_key = Some(SecretRef::Literal);
            "gateway.api_key".into()
        }
        Mutation::GatewayName(n) => {
            config.gateway.gateway_name.clone_from(n);
            "gateway.gateway_name".into()
        }
        Mutation::CognitoDomain(d) => {
            config.cognito.cognito_domain.clone_from(d);
            "cognito.cognito_domain".into()
        }
        Mutation::TargetUrl(u) => {
            config.gateway.targets[0].backend_url.clone_from(u);
            "gateway.targets[0].backend_url".into()
        }
    }
}

fn write_yaml(dir: &Path, config: &Config) -> PathBuf {
    let path = dir.join("config.yaml");
    std::fs::write(&path, serde_saphyr::to_string(config).expect("serializes")).expect("write");
    path
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/properties.txt"))),
        ..ProptestConfig::default()
    })]

    /// A generated valid config validates with no errors and no warnings.
    #[test]
    fn valid_configs_validate_clean(config in valid_config().prop_filter("S3-valid bucket", is_clean_bucket)) {
        let findings = config.validate(&ctx()).findings;
        prop_assert!(findings.is_empty(), "{findings:#?}");
    }

    /// Each class of mutation yields errors on the mutated field and on no other field.
    #[test]
    fn a_mutation_is_an_error_on_exactly_its_field(
        config in valid_config().prop_filter("S3-valid bucket", is_clean_bucket),
        mutation in mutation(),
    ) {
        let mut config = config;
        let field = apply(&mut config, &mutation);
        let errors = error_fields(&config);
        prop_assert_eq!(errors, BTreeSet::from([field]));
    }

    /// Writing a config as YAML and loading it with the real loader gives the same config back.
    #[test]
    fn yaml_round_trip_is_identity(config in valid_config()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_yaml(dir.path(), &config);
        let loaded = load(&path, &HashMap::<String, String>::new(), &[]).expect("loads");
        prop_assert!(loaded.findings.findings.is_empty(), "{:#?}", loaded.findings);
        prop_assert_eq!(loaded.config, Some(config));
    }

    /// A literal secret in the file never survives loading: not in the model, not in any finding.
    #[test]
    fn literal_secrets_are_dropped_on_load(config in valid_config(), secret in "[a-zA-Z0-9]{12,30}") {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_yaml(dir.path(), &config);
        let text = std::fs::read_to_string(&path).expect("read")
            .replace("env:BACKEND_API_KEY", &secret);
        std::fs::write(&path, text).expect("write");
        let loaded = load(&path, &HashMap::<String, String>::new(), &[]).expect("loads");
        let result = loaded.validate(&*ENV);
        prop_assert!(result.findings.iter().any(|f| f.field == "gateway.api_key" && f.severity == Severity::Error));
        let everything = format!("{loaded:?}{result:?}");
        prop_assert!(!everything.contains(&secret));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/loader.txt"))),
        ..ProptestConfig::default()
    })]

    /// Any bytes in the config file give a result or a typed error, never a panic.
    #[test]
    fn the_loader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, &bytes).expect("write");
        if let Ok(loaded) = load(&path, &*ENV, &[]) {
            let _ = loaded.validate(&*ENV);
        }
    }

    /// YAML-shaped input (mappings, lists, odd scalars) gives a result or a typed error, never a panic.
    #[test]
    fn yaml_shaped_input_never_panics(text in "((aws|tls|gateway|targets|[a-z_]{1,8}): ?(\\[|\\{|-|&a|\\*a|!!str|[0-9.]{1,14}|'|\"|[a-zA-Z:/<>_]{0,12})\n {0,4}){0,12}") {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, &text).expect("write");
        if let Ok(loaded) = load(&path, &*ENV, &[]) {
            let _ = loaded.validate(&*ENV);
        }
    }
}

/// Any text (control characters, non-ASCII, very long) in the fields of each section.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "\\PC{0,300}",
        Just(String::new()),
        "[\\x00-\\x1f]{1,5}"
    ]
}

prop_compose! {
    fn hostile_config()(
        aws in (any_text(), any_text(), any_text(), prop::option::of(any_text()), prop::option::of(any_text())),
        cognito in (prop::option::of(any_text()), any_text(), prop::option::of(any_text()), prop::option::of(any_text()), prop::collection::vec(any_text(), 0..3)),
        gateway in (any_text(), any_text(), any_text(), prop::option::of(any_text()), prop::option::of(any_text())),
        targets in prop::collection::vec((any_text(), any_text(), any_text()), 0..4),
        tls in (any_text(), any_text(), any_text(), any::<i64>(), any::<i64>(), prop::collection::vec(any_text(), 0..3)),
        verify in (any_text(), any::<u64>(), any::<usize>(), prop::collection::vec(any_text(), 0..3), prop::option::of(any_text())),
        version in any::<u32>(),
    ) -> Config {
        Config {
            version,
            aws: AwsConfig { account_id: aws.0, region: aws.1, role_name: aws.2, endpoint_url: aws.3, profile: aws.4 },
            cognito: CognitoConfig {
                user_pool_id: cognito.0,
                cognito_domain: cognito.1,
                client_id: cognito.2,
                client_secret: cognito.3.as_deref().map(SecretRef::parse),
                resource_server_id: None,
                scopes: cognito.4,
            },
            gateway: GatewayConfig {
                gateway_name: gateway.0,
                s3_bucket: gateway.1,
                s3_path_prefix: gateway.2,
                provider_arn: gateway.3,
                credential_provider_name: gateway.4,
                api_key: Some(SecretRef::Env("BACKEND_API_KEY".into())),
                targets: targets
                    .into_iter()
                    .map(|(name, spec, backend_url)| TargetConfig { name, spec, backend_url })
                    .collect(),
                ..GatewayConfig::default()
            },
            tls: TlsConfig {
                domain_name: tls.0,
                ssl_cert_path: PathBuf::from(tls.1),
                ssl_key_path: PathBuf::from(tls.2),
                ca_bundle_path: None,
                warn_days: tls.3,
                fail_days: tls.4,
                endpoints: tls.5,
                acme: None,
            },
            verify: VerifyConfig {
                health_path: verify.0,
                timeout_seconds: verify.1,
                concurrency: verify.2,
                resolve: verify.3,
                token_url: verify.4,
                ..VerifyConfig::default()
            },
            deployment: DeploymentConfig::default(),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/validators.txt"))),
        ..ProptestConfig::default()
    })]

    /// Hostile values in every field: validation returns findings (each naming a field, with a
    /// message) and never panics; the config's YAML form loads back without a panic either.
    #[test]
    fn validators_never_panic_on_hostile_values(config in hostile_config()) {
        let result = config.validate(&ctx());
        for finding in &result.findings {
            prop_assert!(!finding.field.is_empty() && !finding.message.is_empty(), "{finding:?}");
        }
        prop_assert!(result.findings.iter().any(|f| f.severity == Severity::Error) || config.version == 1);
        if let Ok(text) = sre_agent_deploy::config::yaml::to_yaml(&config, "") {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("config.yaml");
            std::fs::write(&path, text).expect("write");
            if let Ok(loaded) = load(&path, &*ENV, &[]) {
                let _ = loaded.validate(&*ENV);
            }
        }
    }
}

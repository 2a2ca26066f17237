//! Tests of the local AWS emulator (moto behind the fault-injecting proxy), with the real AWS SDK clients.
#![allow(clippy::print_stderr)] // start-up times are reported

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_bedrockagentcorecontrol as agentcore;
use aws_sdk_iam::config::Credentials;
use aws_sdk_iam::error::{ProvideErrorMetadata as _, SdkError};
use emulator::{Emulator, FaultKind, FaultRule, Faults, Trigger};

const ASSUME_ROLE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn start() -> Emulator {
    let started = Instant::now();
    let emu = Emulator::start().expect("emulator starts");
    eprintln!("emulator started in {:?}", started.elapsed());
    emu
}

async fn config(emu: &Emulator, region: &'static str, retries: bool) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(Region::from_static(region))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"));
    if !retries {
        loader = loader.retry_config(RetryConfig::disabled());
    }
    loader.load().await
}

async fn iam(emu: &Emulator, retries: bool) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&config(emu, "us-east-1", retries).await)
}

async fn s3(emu: &Emulator, region: &'static str, retries: bool) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&config(emu, region, retries).await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn control(emu: &Emulator, retries: bool) -> agentcore::Client {
    agentcore::Client::new(&config(emu, "us-east-1", retries).await)
}

fn operations(emu: &Emulator) -> Vec<String> {
    emu.calls().into_iter().map(|c| c.operation).collect()
}

#[tokio::test]
async fn iam_create_and_get_role() {
    let emu = start();
    let iam = iam(&emu, true).await;
    let created = iam
        .create_role()
        .role_name("SreAgentGatewayRole")
        .assume_role_policy_document(ASSUME_ROLE)
        .send()
        .await
        .expect("CreateRole");
    let role = created.role().expect("role");
    assert_eq!(role.arn(), "arn:aws:iam::123456789012:role/SreAgentGatewayRole");
    let got = iam
        .get_role()
        .role_name("SreAgentGatewayRole")
        .send()
        .await
        .expect("GetRole");
    assert_eq!(got.role().expect("role").arn(), role.arn());
    let dup = iam
        .create_role()
        .role_name("SreAgentGatewayRole")
        .assume_role_policy_document(ASSUME_ROLE)
        .send()
        .await
        .expect_err("duplicate role");
    assert_eq!(dup.code(), Some("EntityAlreadyExists"));

    let calls = emu.calls();
    assert_eq!(operations(&emu), ["CreateRole", "GetRole", "CreateRole"]);
    assert!(
        calls
            .iter()
            .all(|c| c.service == "iam" && c.region == "us-east-1")
    );
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [200, 200, 409]
    );

    let sts = aws_sdk_sts::Client::new(&config(&emu, "us-east-1", true).await);
    let me = sts.get_caller_identity().send().await.expect("GetCallerIdentity");
    assert_eq!(me.account(), Some(emulator::ACCOUNT_ID));
    let last = emu.calls().pop().expect("recorded");
    assert_eq!(
        (last.service.as_str(), last.operation.as_str()),
        ("sts", "GetCallerIdentity")
    );
}

#[tokio::test]
async fn s3_bucket_outside_us_east_1_and_objects() {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

    let emu = start();
    let s3 = s3(&emu, "eu-west-1", true).await;
    s3.create_bucket()
        .bucket("sre-agent-specs-test")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("CreateBucket");
    let location = s3
        .get_bucket_location()
        .bucket("sre-agent-specs-test")
        .send()
        .await
        .expect("GetBucketLocation");
    assert_eq!(
        location.location_constraint(),
        Some(&BucketLocationConstraint::EuWest1),
        "constraint arrived"
    );

    let spec = "openapi: 3.0.0\ninfo: {title: k8s, version: '1'}\n".repeat(50);
    s3.put_object()
        .bucket("sre-agent-specs-test")
        .key("sre-agent/specs/k8s-api.yaml")
        .content_type("application/yaml")
        .body(ByteStream::from(spec.clone().into_bytes()))
        .send()
        .await
        .expect("PutObject");
    let object = s3
        .get_object()
        .bucket("sre-agent-specs-test")
        .key("sre-agent/specs/k8s-api.yaml")
        .send()
        .await
        .expect("GetObject");
    assert_eq!(object.content_type(), Some("application/yaml"));
    let body = object.body.collect().await.expect("body").into_bytes();
    assert_eq!(body.as_ref(), spec.as_bytes());
    let head = s3
        .head_object()
        .bucket("sre-agent-specs-test")
        .key("sre-agent/specs/k8s-api.yaml")
        .send()
        .await
        .expect("HeadObject");
    assert_eq!(
        head.content_length(),
        i64::try_from(spec.len()).ok(),
        "HEAD keeps Content-Length"
    );
    let listed = s3
        .list_objects_v2()
        .bucket("sre-agent-specs-test")
        .prefix("sre-agent/")
        .send()
        .await
        .expect("ListObjectsV2");
    assert_eq!(listed.key_count(), Some(1));

    assert_eq!(
        operations(&emu),
        [
            "CreateBucket",
            "GetBucketLocation",
            "PutObject",
            "GetObject",
            "HeadObject",
            "ListObjectsV2"
        ]
    );
    assert!(
        emu.calls()
            .iter()
            .all(|c| c.service == "s3" && c.region == "eu-west-1" && c.status == 200)
    );

    // A body big enough for `Expect: 100-continue`, forwarded byte for byte.
    let big: Vec<u8> = (0..3_000_000u32)
        .map(|i| u8::try_from(i % 251).unwrap_or(0))
        .collect();
    s3.put_object()
        .bucket("sre-agent-specs-test")
        .key("big.bin")
        .body(ByteStream::from(big.clone()))
        .send()
        .await
        .expect("big PutObject");
    let back = s3
        .get_object()
        .bucket("sre-agent-specs-test")
        .key("big.bin")
        .send()
        .await
        .expect("big GetObject");
    assert_eq!(
        back.body.collect().await.expect("body").into_bytes().as_ref(),
        big.as_slice()
    );
}

#[tokio::test]
async fn cognito_create_user_pool() {
    let emu = start();
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&config(&emu, "us-east-1", true).await);
    let pool = cognito
        .create_user_pool()
        .pool_name("sre-agent-pool")
        .send()
        .await
        .expect("CreateUserPool");
    let id = pool.user_pool().and_then(|p| p.id()).expect("pool id");
    assert!(id.starts_with("us-east-1_"), "{id}");
    cognito
        .create_user_pool_domain()
        .user_pool_id(id)
        .domain("sre-agent-test")
        .send()
        .await
        .expect("CreateUserPoolDomain");
    assert_eq!(operations(&emu), ["CreateUserPool", "CreateUserPoolDomain"]);
    assert!(emu.calls().iter().all(|c| c.service == "cognito-idp"));
}

/// An OpenAPI target whose spec is at `uri`.
fn openapi_in_s3(uri: &str) -> agentcore::types::TargetConfiguration {
    use agentcore::types::{
        ApiSchemaConfiguration, McpTargetConfiguration, S3Configuration, TargetConfiguration,
    };
    TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(ApiSchemaConfiguration::S3(
        S3Configuration::builder().uri(uri).build(),
    )))
}

/// The API key header from the provider `arn`.
fn api_key(arn: &str) -> agentcore::types::CredentialProviderConfiguration {
    use agentcore::types::{
        ApiKeyCredentialLocation, CredentialProvider, CredentialProviderConfiguration,
        CredentialProviderType, GatewayApiKeyCredentialProvider,
    };
    CredentialProviderConfiguration::builder()
        .credential_provider_type(CredentialProviderType::ApiKey)
        .credential_provider(CredentialProvider::ApiKeyCredentialProvider(
            GatewayApiKeyCredentialProvider::builder()
                .provider_arn(arn)
                .credential_parameter_name("X-API-Key")
                .credential_location(ApiKeyCredentialLocation::Header)
                .build()
                .expect("api key provider"),
        ))
        .build()
        .expect("credential provider configuration")
}

#[tokio::test]
async fn agentcore_gateway_and_target() {
    use agentcore::types::{
        ApiSchemaConfiguration, AuthorizerConfiguration, CustomJwtAuthorizerConfiguration,
        GatewayProtocolType, GatewayStatus, McpTargetConfiguration, TargetConfiguration, TargetStatus,
    };

    let emu = start();
    let control = control(&emu, true).await;
    let provider = control
        .create_api_key_credential_provider()
        .name("sre-agent-api-key")
        .api_key("secret-backend-key")
        .send()
        .await
        .expect("CreateApiKeyCredentialProvider");
    let gateway = control
        .create_gateway()
        .name("sre-agent-gateway")
        .role_arn("arn:aws:iam::123456789012:role/SreAgentGatewayRole")
        .protocol_type(GatewayProtocolType::Mcp)
        .authorizer_type(agentcore::types::AuthorizerType::CustomJwt)
        .authorizer_configuration(AuthorizerConfiguration::CustomJwtAuthorizer(
            CustomJwtAuthorizerConfiguration::builder()
                .discovery_url("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x/.well-known/openid-configuration")
                .allowed_clients("client-id")
                .build()
                .expect("jwt config"),
        ))
        .client_token("token-0123456789-0123456789-0123456789")
        .send()
        .await
        .expect("CreateGateway");
    assert_eq!(gateway.status(), &GatewayStatus::Creating);
    let id = gateway.gateway_id().to_string();
    assert!(
        gateway
            .gateway_url()
            .is_some_and(|u| u.starts_with(&format!("https://{id}.gateway.bedrock-agentcore.")))
    );
    let got = control
        .get_gateway()
        .gateway_identifier(&id)
        .send()
        .await
        .expect("GetGateway");
    assert_eq!(got.status(), &GatewayStatus::Ready);

    let target = control
        .create_gateway_target()
        .gateway_identifier(&id)
        .name("k8s-api")
        .target_configuration(openapi_in_s3(
            "s3://sre-agent-specs-test/sre-agent/specs/k8s-api.yaml",
        ))
        .credential_provider_configurations(api_key(provider.credential_provider_arn()))
        .send()
        .await
        .expect("CreateGatewayTarget");
    assert_eq!(target.status(), &TargetStatus::Creating);
    let target_id = target.target_id().to_string();
    let got = control
        .get_gateway_target()
        .gateway_identifier(&id)
        .target_id(&target_id)
        .send()
        .await
        .expect("GetGatewayTarget");
    assert_eq!(got.status(), &TargetStatus::Ready);
    let targets = control
        .list_gateway_targets()
        .gateway_identifier(&id)
        .send()
        .await
        .expect("ListGatewayTargets");
    assert_eq!(targets.items().len(), 1);
    let gateways = control.list_gateways().send().await.expect("ListGateways");
    assert_eq!(gateways.items().len(), 1);
    // Tags on a gateway ARN go to moto.
    let gateway_arn = gateway.gateway_arn().to_string();
    control
        .tag_resource()
        .resource_arn(&gateway_arn)
        .tags("env", "test")
        .send()
        .await
        .expect("TagResource");
    let tags = control
        .list_tags_for_resource()
        .resource_arn(&gateway_arn)
        .send()
        .await
        .expect("tags");
    assert_eq!(
        tags.tags().and_then(|t| t.get("env")).map(String::as_str),
        Some("test")
    );
    // An update in place keeps what it was not told to change, passes through UPDATING and
    // ends READY (moto alone stays UPDATING).
    emu.set_update_time(Duration::from_millis(300));
    let moved = "s3://sre-agent-specs-test/sre-agent/specs/k8s-api-v2.yaml";
    let updated = control
        .update_gateway_target()
        .gateway_identifier(&id)
        .target_id(&target_id)
        .name("k8s-api")
        .description("moved")
        .target_configuration(openapi_in_s3(moved))
        .credential_provider_configurations(api_key(provider.credential_provider_arn()))
        .send()
        .await
        .expect("UpdateGatewayTarget");
    assert_eq!(updated.target_id(), target_id);
    let get = || {
        control
            .get_gateway_target()
            .gateway_identifier(&id)
            .target_id(&target_id)
            .send()
    };
    let got = get().await.expect("GetGatewayTarget");
    assert_eq!(got.status(), &TargetStatus::Updating);
    let uri = |t: &agentcore::operation::get_gateway_target::GetGatewayTargetOutput| match t
        .target_configuration()
    {
        Some(TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(
            ApiSchemaConfiguration::S3(s3),
        ))) => s3.uri().map(str::to_string),
        _ => None,
    };
    assert_eq!(uri(&got).as_deref(), Some(moved));
    assert_eq!(got.description(), Some("moved"));
    assert_eq!(got.credential_provider_configurations().len(), 1, "kept");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(get().await.expect("get").status(), &TargetStatus::Ready);

    // SynchronizeGatewayTargets, which moto lacks: 202, the targets SYNCHRONIZING, then READY;
    // or SYNCHRONIZE_UNSUCCESSFUL with the reason when the spec cannot be read.
    emu.set_sync_time(Duration::from_millis(300));
    let synced = control
        .synchronize_gateway_targets()
        .gateway_identifier(&id)
        .target_id_list(&target_id)
        .send()
        .await
        .expect("SynchronizeGatewayTargets");
    assert_eq!(synced.targets().len(), 1);
    assert_eq!(synced.targets()[0].status(), &TargetStatus::Synchronizing);
    assert_eq!(get().await.expect("get").status(), &TargetStatus::Synchronizing);
    let listed = control
        .list_gateway_targets()
        .gateway_identifier(&id)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.items()[0].status(), &TargetStatus::Synchronizing);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(get().await.expect("get").status(), &TargetStatus::Ready);
    emu.fail_sync("k8s-api", Some("the OpenAPI schema could not be parsed"));
    control
        .synchronize_gateway_targets()
        .gateway_identifier(&id)
        .target_id_list(&target_id)
        .send()
        .await
        .expect("SynchronizeGatewayTargets");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let failed = get().await.expect("get");
    assert_eq!(failed.status(), &TargetStatus::SynchronizeUnsuccessful);
    assert_eq!(
        failed.status_reasons(),
        ["the OpenAPI schema could not be parsed"]
    );
    let missing = control
        .synchronize_gateway_targets()
        .gateway_identifier(&id)
        .target_id_list("no-such-target")
        .send()
        .await
        .expect_err("an unknown target");
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));

    control
        .delete_gateway_target()
        .gateway_identifier(&id)
        .target_id(&target_id)
        .send()
        .await
        .expect("DeleteGatewayTarget");
    control
        .delete_gateway()
        .gateway_identifier(&id)
        .send()
        .await
        .expect("DeleteGateway");

    assert_eq!(
        operations(&emu),
        [
            "CreateApiKeyCredentialProvider",
            "CreateGateway",
            "GetGateway",
            "CreateGatewayTarget",
            "GetGatewayTarget",
            "ListGatewayTargets",
            "ListGateways",
            "TagResource",
            "ListTagsForResource",
            "UpdateGatewayTarget",
            "GetGatewayTarget",
            "GetGatewayTarget",
            "SynchronizeGatewayTargets",
            "GetGatewayTarget",
            "ListGatewayTargets",
            "GetGatewayTarget",
            "SynchronizeGatewayTargets",
            "GetGatewayTarget",
            "SynchronizeGatewayTargets",
            "DeleteGatewayTarget",
            "DeleteGateway",
        ]
    );
    assert!(
        emu.calls()
            .iter()
            .filter(|c| c.operation != "SynchronizeGatewayTargets" || c.status != 404)
            .all(|c| c.service == "bedrock-agentcore" && (200..300).contains(&c.status))
    );
}

#[tokio::test]
async fn identity_api_key_credential_providers() {
    use agentcore::operation::create_api_key_credential_provider::CreateApiKeyCredentialProviderError;
    use agentcore::operation::get_api_key_credential_provider::GetApiKeyCredentialProviderError;

    let emu = start();
    let control = control(&emu, true).await;
    for (name, key) in [("prov-b", "key-b"), ("prov-a", "key-a"), ("prov-c", "key-c")] {
        let out = control
            .create_api_key_credential_provider()
            .name(name)
            .api_key(key)
            .tags("owner", "sre")
            .send()
            .await
            .expect("create");
        assert_eq!(out.name(), name);
        assert_eq!(
            out.credential_provider_arn(),
            format!(
                "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/{name}"
            )
        );
        assert!(!out.api_key_secret_arn().expect("secret").secret_arn().is_empty());
    }

    let dup = control
        .create_api_key_credential_provider()
        .name("prov-a")
        .api_key("other")
        .send()
        .await
        .expect_err("duplicate");
    assert!(
        matches!(
            dup.as_service_error(),
            Some(CreateApiKeyCredentialProviderError::ConflictException(_))
        ),
        "{dup:?}"
    );
    assert_eq!(dup.raw_response().map(|r| r.status().as_u16()), Some(409));

    let got = control
        .get_api_key_credential_provider()
        .name("prov-a")
        .send()
        .await
        .expect("get");
    assert_eq!(got.name(), "prov-a");
    assert!(got.created_time().secs() > 1_700_000_000);
    assert_eq!(got.created_time(), got.last_updated_time());

    let missing = control
        .get_api_key_credential_provider()
        .name("nope")
        .send()
        .await
        .expect_err("missing");
    assert!(
        matches!(
            missing.as_service_error(),
            Some(GetApiKeyCredentialProviderError::ResourceNotFoundException(_))
        ),
        "{missing:?}"
    );

    // Pagination, one per page, by hand and with the SDK's paginator.
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = control
            .list_api_key_credential_providers()
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .expect("list");
        pages += 1;
        assert_eq!(page.credential_providers().len(), 1);
        names.extend(page.credential_providers().iter().map(|p| p.name().to_string()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, ["prov-a", "prov-b", "prov-c"]);
    let all: Vec<_> = control
        .list_api_key_credential_providers()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    assert_eq!(all.len(), 3);
    let bad = control
        .list_api_key_credential_providers()
        .next_token("garbage")
        .send()
        .await
        .expect_err("bad token");
    assert_eq!(bad.code(), Some("ValidationException"));

    // Tags on a provider ARN are served by the emulator, not moto.
    let arn = got.credential_provider_arn().to_string();
    control
        .tag_resource()
        .resource_arn(&arn)
        .tags("env", "test")
        .send()
        .await
        .expect("TagResource");
    let tags = control
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect("ListTagsForResource");
    let tags = tags.tags().expect("tags");
    assert_eq!(tags.get("env").map(String::as_str), Some("test"));
    assert_eq!(tags.get("owner").map(String::as_str), Some("sre"));
    control
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("owner")
        .send()
        .await
        .expect("UntagResource");

    let stored = emu.credential_providers();
    assert_eq!(stored.len(), 3);
    let a = stored.iter().find(|p| p.name == "prov-a").expect("prov-a stored");
    assert_eq!(a.api_key, "key-a", "the key arrived");
    assert_eq!(a.arn, arn);
    assert_eq!(
        a.tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [("env", "test")]
    );

    control
        .delete_api_key_credential_provider()
        .name("prov-a")
        .send()
        .await
        .expect("delete");
    let again = control
        .delete_api_key_credential_provider()
        .name("prov-a")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(again.code(), Some("ResourceNotFoundException"));
    assert_eq!(emu.credential_providers().len(), 2);

    let ops = operations(&emu);
    for op in [
        "CreateApiKeyCredentialProvider",
        "GetApiKeyCredentialProvider",
        "ListApiKeyCredentialProviders",
        "DeleteApiKeyCredentialProvider",
        "TagResource",
        "ListTagsForResource",
        "UntagResource",
    ] {
        assert!(ops.iter().any(|o| o == op), "{op} in {ops:?}");
    }
}

#[tokio::test]
async fn throttle_once_is_retried_by_the_sdk() {
    let emu = start();
    emu.faults()
        .add_rule(FaultRule::times("CreateRole", FaultKind::Throttle, 1));
    let iam = iam(&emu, true).await;
    iam.create_role()
        .role_name("r1")
        .assume_role_policy_document(ASSUME_ROLE)
        .send()
        .await
        .expect("succeeds after one retry");
    assert_eq!(emu.call_count("CreateRole"), 2);
    let statuses: Vec<u16> = emu.calls().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [400, 200]);
    assert_eq!(emu.calls()[0].fault, Some(FaultKind::Throttle));
    assert_eq!(emu.faults().counts().throttle, 1);
}

#[tokio::test]
async fn throttle_without_retries_is_the_protocols_throttling_error() {
    use aws_sdk_s3::primitives::ByteStream;

    let emu = start();
    let faults = emu.faults();
    faults.add_rule(FaultRule::times("iam:CreateRole", FaultKind::Throttle, 1));
    faults.add_rule(FaultRule::times("PutObject", FaultKind::Throttle, 1));
    faults.add_rule(FaultRule::times("CreateUserPool", FaultKind::Throttle, 1));
    faults.add_rule(FaultRule::times("ListGateways", FaultKind::Throttle, 1));
    faults.add_rule(FaultRule::times(
        "ListApiKeyCredentialProviders",
        FaultKind::Throttle,
        1,
    ));

    let err = iam(&emu, false)
        .await
        .create_role()
        .role_name("r1")
        .assume_role_policy_document(ASSUME_ROLE)
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(err.code(), Some("Throttling"), "{err:?}");
    assert_eq!(err.message(), Some("Rate exceeded"));

    let s3 = s3(&emu, "us-east-1", false).await;
    s3.create_bucket()
        .bucket("throttled-bucket")
        .send()
        .await
        .expect("CreateBucket");
    let err = s3
        .put_object()
        .bucket("throttled-bucket")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("slow down");
    assert_eq!(err.code(), Some("SlowDown"), "{err:?}");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));

    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&config(&emu, "us-east-1", false).await);
    let err = cognito
        .create_user_pool()
        .pool_name("p")
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(err.code(), Some("TooManyRequestsException"), "{err:?}");

    let control = control(&emu, false).await;
    let err = control.list_gateways().send().await.expect_err("throttled");
    assert!(
        matches!(
            err.as_service_error(),
            Some(agentcore::operation::list_gateways::ListGatewaysError::ThrottlingException(_))
        ),
        "{err:?}"
    );
    let err = control
        .list_api_key_credential_providers()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(err.code(), Some("ThrottlingException"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(429));

    assert_eq!(emu.faults().counts().throttle, 5);
    // Exhausted rules no longer fire.
    control.list_gateways().send().await.expect("second ListGateways");
}

#[tokio::test]
async fn server_errors_have_the_protocols_shape_and_are_retried() {
    let emu = start();
    emu.faults()
        .add_rule(FaultRule::times("ListRoles", FaultKind::ServerError(500), 1));
    emu.faults()
        .add_rule(FaultRule::times("ListUserPools", FaultKind::ServerError(503), 1));
    let err = iam(&emu, false).await.list_roles().send().await.expect_err("500");
    assert_eq!(err.code(), Some("ServiceFailure"));
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));

    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&config(&emu, "us-east-1", true).await);
    cognito
        .list_user_pools()
        .max_results(10)
        .send()
        .await
        .expect("503 then retried");
    assert_eq!(emu.call_count("cognito-idp:ListUserPools"), 2);
    assert_eq!(emu.faults().counts().server_error, 2);
}

#[tokio::test]
async fn reset_is_a_dispatch_failure() {
    let emu = start();
    emu.faults()
        .add_rule(FaultRule::times("ListRoles", FaultKind::Reset, 1));
    let iam = iam(&emu, false).await;
    let err = iam.list_roles().send().await.expect_err("reset");
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    iam.list_roles().send().await.expect("the next call is answered");
    let calls = emu.calls();
    assert_eq!(calls.iter().map(|c| c.status).collect::<Vec<_>>(), [0, 200]);
    assert_eq!(calls[0].fault, Some(FaultKind::Reset));
    assert_eq!(emu.faults().counts().reset, 1);

    // With the default retries the SDK retries the reset and succeeds.
    emu.faults()
        .add_rule(FaultRule::times("ListRoles", FaultKind::Reset, 1));
    let retrying = self::iam(&emu, true).await;
    retrying
        .list_roles()
        .send()
        .await
        .expect("retried after the reset");
}

#[test]
fn reset_sends_no_answer_at_all() {
    let emu = start();
    emu.faults().add_rule(FaultRule::times("*", FaultKind::Reset, 1));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", emu.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
        .write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        .expect("send");
    let mut buf = Vec::new();
    let result = stream.read_to_end(&mut buf);
    assert!(
        buf.is_empty(),
        "no bytes answered: {:?}",
        String::from_utf8_lossy(&buf)
    );
    assert!(
        result.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "TCP reset expected"
    );
}

#[tokio::test]
async fn lose_response_runs_the_create_but_loses_its_answer() {
    let emu = start();
    emu.faults()
        .add_rule(FaultRule::times("CreateBucket", FaultKind::LoseResponse, 1));
    let s3 = s3(&emu, "us-east-1", false).await;
    let err = s3
        .create_bucket()
        .bucket("lost-answer")
        .send()
        .await
        .expect_err("answer lost");
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    s3.head_bucket()
        .bucket("lost-answer")
        .send()
        .await
        .expect("the bucket exists");
    assert_eq!(emu.faults().counts().lose_response, 1);

    // The same with a role: a resume meets EntityAlreadyExists.
    emu.faults()
        .add_rule(FaultRule::times("CreateRole", FaultKind::LoseResponse, 1));
    let iam = iam(&emu, true).await;
    let err = iam
        .create_role()
        .role_name("lost")
        .assume_role_policy_document(ASSUME_ROLE)
        .send()
        .await
        .expect_err("the SDK's retry meets the role the first attempt made");
    assert_eq!(err.code(), Some("EntityAlreadyExists"), "{err:?}");
    iam.get_role()
        .role_name("lost")
        .send()
        .await
        .expect("role exists");
}

#[tokio::test]
async fn latency_and_delay() {
    let emu = start();
    let iam = iam(&emu, true).await;
    iam.list_roles().send().await.expect("warm up");
    emu.faults().set_latency(Duration::from_millis(50));
    let started = Instant::now();
    iam.list_roles().send().await.expect("ListRoles");
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "{:?}",
        started.elapsed()
    );

    emu.faults().set_latency(Duration::ZERO);
    emu.faults().add_rule(FaultRule::times(
        "ListRoles",
        FaultKind::Delay(Duration::from_millis(150)),
        1,
    ));
    let started = Instant::now();
    iam.list_roles().send().await.expect("delayed ListRoles");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emu.faults().counts().delay, 1);
    assert_eq!(
        emu.calls().last().and_then(|c| c.fault),
        None,
        "a delay is not a failure"
    );
}

#[test]
fn rate_is_repeatable_for_a_seed() {
    let pattern = |seed: u64| {
        let faults = Faults::new();
        faults.add_rule(FaultRule::rate("*", FaultKind::Throttle, 0.5, seed));
        (0..200)
            .map(|_| faults.decide("iam", "CreateRole").fault.is_some())
            .collect::<Vec<_>>()
    };
    assert_eq!(pattern(42), pattern(42));
    assert_ne!(pattern(42), pattern(43));
    let hits = pattern(42).iter().filter(|&&hit| hit).count();
    assert!((60..=140).contains(&hits), "about half: {hits}");
    assert!(pattern(0).contains(&true), "seed 0 works");

    // p = 0 never fires, p = 1 always does.
    let faults = Faults::new();
    let never = faults.add_rule(FaultRule::new("*", FaultKind::Reset, Trigger::rate(0.0, 1)));
    assert!((0..50).all(|_| faults.decide("s3", "PutObject").fault.is_none()));
    faults.remove_rule(never);
    faults.add_rule(FaultRule::new("s3:*", FaultKind::Reset, Trigger::rate(1.0, 1)));
    assert!((0..50).all(|_| faults.decide("s3", "PutObject").fault == Some(FaultKind::Reset)));
    assert!(
        (0..50).all(|_| faults.decide("iam", "PutObject").fault.is_none()),
        "service-qualified"
    );
    assert_eq!(faults.counts().reset, 50);
}

#[tokio::test]
async fn rate_through_the_proxy_is_repeatable() {
    let emu = start();
    let iam = iam(&emu, false).await;
    let mut runs = Vec::new();
    for _ in 0..2 {
        emu.faults().clear();
        emu.faults()
            .add_rule(FaultRule::rate("ListRoles", FaultKind::ServerError(500), 0.5, 7));
        let mut outcomes = Vec::new();
        for _ in 0..16 {
            outcomes.push(iam.list_roles().send().await.is_ok());
        }
        runs.push(outcomes);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&true) && runs[0].contains(&false),
        "{:?}",
        runs[0]
    );
}

#[test]
fn times_rules_fire_exactly_n_times_and_first_rule_wins() {
    let faults = Faults::new();
    let first = faults.add_rule(FaultRule::times("CreateRole", FaultKind::Throttle, 2));
    let second = faults.add_rule(FaultRule::times("*", FaultKind::ServerError(503), 1));
    let delay = faults.add_rule(FaultRule::times(
        "*",
        FaultKind::Delay(Duration::from_millis(5)),
        1,
    ));
    faults.set_latency(Duration::from_millis(10));
    let d = faults.decide("iam", "CreateRole");
    assert_eq!(d.fault, Some(FaultKind::Throttle));
    assert_eq!(d.delay, Duration::from_millis(15));
    assert_eq!(
        faults.decide("iam", "CreateRole").fault,
        Some(FaultKind::Throttle)
    );
    assert_eq!(
        faults.decide("iam", "CreateRole").fault,
        Some(FaultKind::ServerError(503))
    );
    assert_eq!(faults.decide("iam", "CreateRole").fault, None);
    assert_eq!(
        (faults.fired(first), faults.fired(second), faults.fired(delay)),
        (2, 1, 1)
    );
    let counts = faults.counts();
    assert_eq!(
        (counts.throttle, counts.server_error, counts.delay, counts.total()),
        (2, 1, 1, 4)
    );
    faults.clear();
    assert_eq!(faults.latency(), Duration::ZERO);
    assert_eq!(faults.decide("iam", "CreateRole"), emulator::Decision::default());
}

#[test]
fn operation_names_for_rest_paths() {
    use emulator::{agentcore_operation as ac, s3_operation};
    assert_eq!(ac("POST", "/gateways/").as_deref(), Some("CreateGateway"));
    assert_eq!(ac("POST", "/gateways").as_deref(), Some("CreateGateway"));
    assert_eq!(ac("GET", "/gateways/").as_deref(), Some("ListGateways"));
    assert_eq!(ac("GET", "/gateways/gw-1/").as_deref(), Some("GetGateway"));
    assert_eq!(ac("DELETE", "/gateways/gw-1").as_deref(), Some("DeleteGateway"));
    assert_eq!(
        ac("POST", "/gateways/gw-1/targets/").as_deref(),
        Some("CreateGatewayTarget")
    );
    assert_eq!(
        ac("GET", "/gateways/gw-1/targets").as_deref(),
        Some("ListGatewayTargets")
    );
    assert_eq!(
        ac("GET", "/gateways/gw-1/targets/T1/").as_deref(),
        Some("GetGatewayTarget")
    );
    assert_eq!(
        ac("DELETE", "/gateways/gw-1/targets/T1").as_deref(),
        Some("DeleteGatewayTarget")
    );
    assert_eq!(
        ac("POST", "/identities/GetApiKeyCredentialProvider").as_deref(),
        Some("GetApiKeyCredentialProvider")
    );
    assert_eq!(
        ac("POST", "/identities/get-token-vault").as_deref(),
        Some("GetTokenVault")
    );
    assert_eq!(ac("POST", "/tags/arn%3Aaws%3Ax").as_deref(), Some("TagResource"));
    assert_eq!(
        ac("GET", "/tags/arn%3Aaws%3Ax").as_deref(),
        Some("ListTagsForResource")
    );
    assert_eq!(
        ac("DELETE", "/tags/arn%3Aaws%3Ax").as_deref(),
        Some("UntagResource")
    );
    assert_eq!(ac("GET", "/runtimes/"), None);

    let none = |_: &str| None;
    let copy = |h: &str| (h == "x-amz-copy-source").then(|| "/b/k".to_string());
    let s3 = |m: &str, p: &str, q: Option<&str>| s3_operation(m, p, q, &none);
    assert_eq!(s3("PUT", "/b", None).as_deref(), Some("CreateBucket"));
    assert_eq!(s3("PUT", "/b/", None).as_deref(), Some("CreateBucket"));
    assert_eq!(s3("PUT", "/b/k/x.yaml", None).as_deref(), Some("PutObject"));
    assert_eq!(
        s3_operation("PUT", "/b/k", None, &copy).as_deref(),
        Some("CopyObject")
    );
    assert_eq!(
        s3("GET", "/b", Some("list-type=2&prefix=a")).as_deref(),
        Some("ListObjectsV2")
    );
    assert_eq!(s3("GET", "/b", None).as_deref(), Some("ListObjects"));
    assert_eq!(
        s3("GET", "/b", Some("location")).as_deref(),
        Some("GetBucketLocation")
    );
    assert_eq!(
        s3("PUT", "/b", Some("tagging")).as_deref(),
        Some("PutBucketTagging")
    );
    assert_eq!(s3("GET", "/b/k", None).as_deref(), Some("GetObject"));
    assert_eq!(s3("HEAD", "/b", None).as_deref(), Some("HeadBucket"));
    assert_eq!(s3("DELETE", "/b/k", None).as_deref(), Some("DeleteObject"));
    assert_eq!(s3("DELETE", "/b", None).as_deref(), Some("DeleteBucket"));
    assert_eq!(s3("POST", "/b", Some("delete")).as_deref(), Some("DeleteObjects"));
    assert_eq!(s3("GET", "/", None).as_deref(), Some("ListBuckets"));
}

#[tokio::test]
async fn unknown_requests_are_forwarded_and_named_by_method_and_path() {
    let emu = start();
    // moto's own API, unsigned: forwarded unchanged.
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let uri: hyper::Uri = format!("{}/moto-api/data.json", emu.endpoint())
        .parse()
        .expect("uri");
    let response = client.get(uri).await.expect("GET");
    assert_eq!(response.status(), 200);
    let call = emu.calls().pop().expect("recorded");
    assert_eq!(
        (call.service.as_str(), call.operation.as_str(), call.status),
        ("", "GET /moto-api/data.json", 200)
    );
}

#[test]
fn env_and_drop() {
    let emu = start();
    let env = emu.env();
    let keys: Vec<&str> = env.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION",
            "AWS_EC2_METADATA_DISABLED"
        ]
    );
    assert_eq!(env[0].1, emu.endpoint());
    assert!(emu.endpoint().starts_with("http://127.0.0.1:"));
    let pid = emu.moto_pid();
    let port = emu.port();
    let moto_port: u16 = emu
        .moto_endpoint()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("moto port");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(emu);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "moto killed and reaped"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "proxy stopped"
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", moto_port)).is_err(),
        "moto stopped"
    );
}

/// Installs moto into a fresh venv (needs PyPI; takes a while): `cargo test -p emulator -- --ignored`.
#[test]
#[ignore = "installs moto from PyPI into a temp venv"]
fn installs_moto_into_an_empty_venv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let venv = dir.path().join("venv");
    let started = Instant::now();
    let emu = Emulator::start_with_venv(&venv).expect("install and start");
    eprintln!("installed and started in {:?}", started.elapsed());
    assert!(venv.join("bin/moto_server").is_file());
    assert!(
        venv.join(format!(".moto-{}-installed", emulator::MOTO_VERSION))
            .is_file()
    );
    drop(emu);
    emulator::ensure_venv(&venv).expect("a second call is a no-op");
}

/// CI installs moto while the code compiles with `scripts/moto-venv`, which must install what
/// `ensure_venv` would: the same version, behind the same lock, with the same marker.
#[test]
fn the_ci_installer_installs_the_same_moto_the_same_way() {
    let script = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/moto-venv"))
        .expect("scripts/moto-venv");
    assert!(
        script.contains(&format!("\nversion={}\n", emulator::MOTO_VERSION)),
        "scripts/moto-venv installs moto {}",
        emulator::MOTO_VERSION
    );
    for piece in [
        "SRE_AGENT_DEPLOY_MOTO_VENV",
        "/.venv-moto}",
        "$venv.lock",
        "/.moto-$version-installed",
        "moto[server]==$version",
    ] {
        assert!(script.contains(piece), "scripts/moto-venv has {piece}");
    }
    assert_eq!(emulator::VENV_ENV, "SRE_AGENT_DEPLOY_MOTO_VENV");
}

/// moto answers a record change INSYNC at once under one fixed id; the proxy answers PENDING
/// under a fresh id, hands the change to the DNS sink once it has propagated, and only then says
/// INSYNC.
#[tokio::test]
async fn route53_changes_are_pending_until_they_reach_the_name_servers() {
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord, ResourceRecordSet, RrType,
    };
    let emu = start();
    emu.set_dns_propagation(std::time::Duration::from_millis(600));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&seen);
    emu.set_dns_sink(Some(std::sync::Arc::new(move |c: &emulator::DnsChange| {
        sink.lock().expect("sink").push(c.clone());
    })));
    let r53 = aws_sdk_route53::Client::new(&config(&emu, "us-east-1", false).await);
    let zone = r53
        .create_hosted_zone()
        .name("acme.test")
        .caller_reference("emulator-test")
        .send()
        .await
        .expect("zone");
    let zone_id = zone.hosted_zone().map(|z| z.id().to_string()).expect("zone id");
    let batch = |action: ChangeAction, value: &str| {
        ChangeBatch::builder()
            .changes(
                Change::builder()
                    .action(action)
                    .resource_record_set(
                        ResourceRecordSet::builder()
                            .name("_acme-challenge.acme.test.")
                            .r#type(RrType::Txt)
                            .ttl(60)
                            .resource_records(ResourceRecord::builder().value(value).build().expect("rr"))
                            .build()
                            .expect("rrset"),
                    )
                    .build()
                    .expect("change"),
            )
            .build()
            .expect("batch")
    };
    let mut ids = Vec::new();
    for value in ["\"one\"", "\"two\""] {
        let answer = r53
            .change_resource_record_sets()
            .hosted_zone_id(&zone_id)
            .change_batch(batch(ChangeAction::Upsert, value))
            .send()
            .await
            .expect("change");
        let info = answer.change_info().expect("change info");
        assert_eq!(*info.status(), ChangeStatus::Pending);
        ids.push(info.id().to_string());
    }
    assert_ne!(ids[0], ids[1], "each change has its own id");
    let status = |id: String| {
        let r53 = r53.clone();
        async move {
            r53.get_change()
                .id(id)
                .send()
                .await
                .expect("get change")
                .change_info()
                .map(|i| i.status().clone())
                .expect("info")
        }
    };
    assert_eq!(status(ids[0].clone()).await, ChangeStatus::Pending);
    assert!(
        seen.lock().expect("seen").is_empty(),
        "not served before it propagated"
    );
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    assert_eq!(status(ids[0].clone()).await, ChangeStatus::Insync);
    assert_eq!(status(ids[1].clone()).await, ChangeStatus::Insync);
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].name, "_acme-challenge.acme.test.");
    assert_eq!(seen[0].record_type, "TXT");
    let values: Vec<_> = seen.iter().flat_map(|c| c.values.clone()).collect();
    assert!(
        values.contains(&"\"one\"".to_string()) && values.contains(&"\"two\"".to_string()),
        "{values:?}"
    );
    assert!(
        operations(&emu).contains(&"ChangeResourceRecordSets".to_string()),
        "named in the call log"
    );

    // Deleting what the zone does not hold is the service's InvalidChangeBatch (moto lets it pass).
    let refused = r53
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(batch(ChangeAction::Delete, "\"never-written\""))
        .send()
        .await
        .expect_err("not there");
    assert_eq!(refused.code(), Some("InvalidChangeBatch"));
    assert!(
        refused.message().is_some_and(|m| m.contains("not found")),
        "{refused:?}"
    );
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(batch(ChangeAction::Delete, "\"two\""))
        .send()
        .await
        .expect("the record the zone holds is deleted");
}

//! The data plane moto lacks: Cognito's `POST /oauth2/token` (client_credentials, form body or
//! HTTP Basic), the pools' JWKS (`/<pool>/.well-known/jwks.json`, our signing key), and the
//! gateway's MCP endpoint (`/mcp`, streamable HTTP served by the official rmcp server).
//!
//! Tokens are ES256 JWTs shaped like Cognito access tokens (`client_id`, `scope`, `token_use`, no
//! `aud`). The MCP endpoint validates the Bearer token against the JWKS, finds the gateways whose
//! CUSTOM_JWT authorizer allows the token's client, and lists one tool per operation of each of
//! their targets' OpenAPI specs (read from moto's S3): `<target>___<operationId>`. A missing or bad
//! token gets 401, a client no gateway allows 403; each refusal is recorded.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_bedrockagentcorecontrol::types::{
    ApiSchemaConfiguration, AuthorizerConfiguration, McpTargetConfiguration, TargetConfiguration,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};

/// Regions the token endpoint and the gateway look in, in order.
const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"];
/// Lifetime of an issued token.
const TOKEN_SECONDS: u64 = 3600;

type Resp = Response<Full<Bytes>>;

/// A refused request, as the gateway would log it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub path: String,
    pub status: u16,
    pub reason: String,
}

/// Signing key, JWKS and the record of refusals.
pub struct DataPlane {
    moto: SocketAddr,
    kid: String,
    encoding: EncodingKey,
    jwks: serde_json::Value,
    refusals: Mutex<Vec<Refusal>>,
    /// Every access token issued, for the secret-leak scan.
    issued: Mutex<Vec<String>>,
    /// A misconfigured gateway that lets every request in (for the negative checks' tests).
    open: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for DataPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataPlane")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl DataPlane {
    pub fn new(moto: SocketAddr) -> Self {
        let key = rcgen::KeyPair::generate().expect("an ES256 key");
        let raw = key.public_key_raw();
        let (x, y) = raw[1..].split_at(32);
        let kid = format!("emulator-{}", &URL_SAFE_NO_PAD.encode(&raw[1..9]));
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]});
        let encoding = EncodingKey::from_ec_der(&key.serialize_der());
        Self {
            moto,
            kid,
            encoding,
            jwks,
            refusals: Mutex::new(Vec::new()),
            issued: Mutex::new(Vec::new()),
            open: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Whether the request is for the data plane (unsigned requests only).
    pub fn serves(method: &str, path: &str) -> bool {
        (method == "POST" && path == "/oauth2/token")
            || (method == "GET" && path.ends_with("/.well-known/jwks.json"))
            || path == "/mcp"
    }

    pub fn refusals(&self) -> Vec<Refusal> {
        self.refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Makes the MCP endpoint accept every request, with or without a valid token.
    pub fn set_open(&self, open: bool) {
        self.open.store(open, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn tokens_issued(&self) -> usize {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn issued_tokens(&self) -> Vec<String> {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub async fn handle(&self, parts: hyper::http::request::Parts, body: Bytes) -> Resp {
        let path = parts.uri.path().to_string();
        if path == "/oauth2/token" {
            self.token(&parts, &body).await
        } else if path.ends_with("/.well-known/jwks.json") {
            json(200, &self.jwks)
        } else {
            self.mcp(parts, body).await
        }
    }

    async fn token(&self, parts: &hyper::http::request::Parts, body: &[u8]) -> Resp {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let basic = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.split_once(':').map(|(a, b)| (a.to_string(), b.to_string())));
        let ((Some((client_id, secret)), _, _) | (None, Some(client_id), Some(secret))) =
            (basic, field("client_id"), field("client_secret"))
        else {
            return oauth_error("invalid_client");
        };
        if field("grant_type").as_deref() != Some("client_credentials") {
            return oauth_error("unsupported_grant_type");
        }
        let Some((region, client)) = find_client(self.moto, &client_id).await else {
            return oauth_error("invalid_client");
        };
        if client.client_secret() != Some(secret.as_str()) {
            return oauth_error("invalid_client");
        }
        if !client
            .allowed_o_auth_flows()
            .iter()
            .any(|f| f.as_str() == "client_credentials")
        {
            return oauth_error("unauthorized_client");
        }
        let allowed: Vec<String> = client.allowed_o_auth_scopes().to_vec();
        let scopes: Vec<String> = match field("scope") {
            Some(asked) => asked.split_whitespace().map(str::to_string).collect(),
            None => allowed.clone(),
        };
        if scopes.iter().any(|s| !allowed.contains(s)) {
            return oauth_error("invalid_scope");
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let pool = client.user_pool_id().unwrap_or_default();
        let claims = serde_json::json!({
            "sub": client_id, "client_id": client_id, "token_use": "access",
            "scope": scopes.join(" "), "auth_time": now, "iat": now, "exp": now + TOKEN_SECONDS,
            "iss": format!("https://cognito-idp.{region}.amazonaws.com/{pool}"),
            "version": 2, "jti": format!("{:x}", now ^ 0x5eed),
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        let Ok(token) = jsonwebtoken::encode(&header, &claims, &self.encoding) else {
            return json(500, &serde_json::json!({"error": "server_error"}));
        };
        self.issued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(token.clone());
        json(
            200,
            &serde_json::json!({"access_token": token, "expires_in": TOKEN_SECONDS, "token_type": "Bearer"}),
        )
    }

    async fn mcp(&self, parts: hyper::http::request::Parts, body: Bytes) -> Resp {
        if self.open.load(std::sync::atomic::Ordering::SeqCst) {
            let tools = gateway_tools(self.moto, "us-east-1", None)
                .await
                .unwrap_or_default();
            return serve_mcp(tools, Request::from_parts(parts, Full::new(body))).await;
        }
        let bearer = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let Some(token) = bearer else {
            return self.refuse(401, "no token");
        };
        let claims = match self.validate(&token) {
            Ok(c) => c,
            Err(e) => return self.refuse(401, &format!("invalid token: {e}")),
        };
        let client_id = claims["client_id"].as_str().unwrap_or_default().to_string();
        let region = claims["iss"]
            .as_str()
            .and_then(|iss| iss.split('.').nth(1))
            .unwrap_or("us-east-1")
            .to_string();
        let scopes: Vec<String> = claims["scope"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let Some(tools) = gateway_tools(self.moto, &region, Some((&client_id, &scopes))).await else {
            return self.refuse(403, "no gateway allows this client with these scopes");
        };
        serve_mcp(tools, Request::from_parts(parts, Full::new(body))).await
    }

    /// Checks the signature against the JWKS, the expiry, and that it is an access token.
    fn validate(&self, token: &str) -> Result<serde_json::Value, String> {
        let set: jsonwebtoken::jwk::JwkSet =
            serde_json::from_value(self.jwks.clone()).map_err(|e| e.to_string())?;
        let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
        let jwk = set
            .keys
            .iter()
            .find(|k| k.common.key_id == header.kid)
            .ok_or("unknown key id")?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_aud = false;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).map_err(|e| e.to_string())?;
        if data.claims["token_use"] != "access" {
            return Err("not an access token".into());
        }
        Ok(data.claims)
    }

    fn refuse(&self, status: u16, reason: &str) -> Resp {
        self.refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Refusal {
                path: "/mcp".into(),
                status,
                reason: reason.to_string(),
            });
        let mut response = json(status, &serde_json::json!({"message": reason}));
        if status == 401 {
            response.headers_mut().insert(
                "www-authenticate",
                hyper::header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

fn json(status: u16, body: &serde_json::Value) -> Resp {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn oauth_error(error: &str) -> Resp {
    json(400, &serde_json::json!({"error": error}))
}

async fn sdk(moto: SocketAddr, region: &str) -> aws_types::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region.to_string()))
        .endpoint_url(format!("http://{moto}"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "emulator",
        ))
        .load()
        .await
}

/// The app client with this id, and its region, from moto.
async fn find_client(
    moto: SocketAddr,
    client_id: &str,
) -> Option<(String, aws_sdk_cognitoidentityprovider::types::UserPoolClientType)> {
    for region in REGIONS {
        let c = aws_sdk_cognitoidentityprovider::Client::new(&sdk(moto, region).await);
        let Ok(pools) = c.list_user_pools().max_results(60).send().await else {
            continue;
        };
        for pool in pools.user_pools() {
            let Some(pool_id) = pool.id() else { continue };
            if let Ok(out) = c
                .describe_user_pool_client()
                .user_pool_id(pool_id)
                .client_id(client_id)
                .send()
                .await
                && let Some(client) = out.user_pool_client()
            {
                return Some((region.to_string(), client.clone()));
            }
        }
    }
    None
}

/// The tools of every gateway in `region` whose authorizer allows the token's client and, when
/// it names `allowedScopes`, one of the token's scopes (any gateway for `None`); `None` when no
/// gateway does.
async fn gateway_tools(
    moto: SocketAddr,
    region: &str,
    token: Option<(&str, &[String])>,
) -> Option<Vec<Tool>> {
    let client_id = token.map(|(client, _)| client);
    let scopes = token.map(|(_, scopes)| scopes).unwrap_or_default();
    let config = sdk(moto, region).await;
    let agentcore = aws_sdk_bedrockagentcorecontrol::Client::new(&config);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let gateways = agentcore.list_gateways().send().await.ok()?;
    let mut allowed = false;
    let mut tools = Vec::new();
    let mut seen = BTreeSet::new();
    for gateway in gateways.items() {
        let id = gateway.gateway_id();
        let Ok(detail) = agentcore.get_gateway().gateway_identifier(id).send().await else {
            continue;
        };
        let allows = matches!(
            detail.authorizer_configuration(),
            Some(AuthorizerConfiguration::CustomJwtAuthorizer(jwt))
                if jwt.allowed_clients().iter().any(|c| Some(c.as_str()) == client_id)
                    && (jwt.allowed_scopes().is_empty() || jwt.allowed_scopes().iter().any(|s| scopes.contains(s)))
        ) || client_id.is_none();
        if !allows {
            continue;
        }
        allowed = true;
        let Ok(targets) = agentcore
            .list_gateway_targets()
            .gateway_identifier(id)
            .send()
            .await
        else {
            continue;
        };
        for target in targets.items() {
            let Ok(t) = agentcore
                .get_gateway_target()
                .gateway_identifier(id)
                .target_id(target.target_id())
                .send()
                .await
            else {
                continue;
            };
            let uri = match t.target_configuration() {
                Some(TargetConfiguration::Mcp(McpTargetConfiguration::OpenApiSchema(
                    ApiSchemaConfiguration::S3(s3c),
                ))) => s3c.uri().unwrap_or_default().to_string(),
                _ => continue,
            };
            let Some((bucket, key)) = uri.strip_prefix("s3://").and_then(|r| r.split_once('/')) else {
                continue;
            };
            let Ok(object) = s3.get_object().bucket(bucket).key(key).send().await else {
                continue;
            };
            let Ok(bytes) = object.body.collect().await else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes.into_bytes()).into_owned();
            for op in operation_ids(&text) {
                let name = format!("{}___{op}", t.name());
                if seen.insert(name.clone()) {
                    let schema = serde_json::json!({"type": "object", "properties": {}});
                    let schema = schema.as_object().cloned().unwrap_or_default();
                    tools.push(Tool::new(
                        name,
                        format!("{op} of target {}", t.name()),
                        Arc::new(schema),
                    ));
                }
            }
        }
    }
    allowed.then_some(tools)
}

/// The MCP server behind one gateway: its tools, and a canned answer to calls (the emulator does
/// not call backends).
#[derive(Clone)]
struct GatewayServer {
    tools: Vec<Tool>,
}

impl ServerHandler for GatewayServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if self.tools.iter().any(|t| t.name == request.name) {
            Ok(CallToolResult::success(vec![ContentBlock::text(format!(
                "{} answered (emulated)",
                request.name
            ))])
            .into())
        } else {
            Err(ErrorData::invalid_params(
                format!("no tool {}", request.name),
                None,
            ))
        }
    }
}

/// Serves one MCP request with a stateless rmcp streamable HTTP service.
async fn serve_mcp(tools: Vec<Tool>, request: Request<Full<Bytes>>) -> Resp {
    let mut config = StreamableHttpServerConfig::default();
    config.legacy_session_mode = false;
    config.json_response = true;
    let service: StreamableHttpService<GatewayServer, LocalSessionManager> = StreamableHttpService::new(
        move || Ok(GatewayServer { tools: tools.clone() }),
        Arc::default(),
        config,
    );
    let response = service.handle(request).await;
    let (head, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    Response::from_parts(head, Full::new(bytes))
}

/// The `operationId`s of an OpenAPI spec (YAML or JSON), as the gateway reads them to name its
/// tools. The emulator's own reading, like the service's: the product's is not used to check it.
fn operation_ids(spec: &str) -> Vec<String> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let Ok(value) = serde_saphyr::from_str::<serde_json::Value>(spec) else {
        return Vec::new();
    };
    value
        .get("paths")
        .and_then(serde_json::Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(serde_json::Value::as_object)
        .flat_map(|item| item.iter())
        .filter(|(method, _)| METHODS.contains(&method.as_str()))
        .filter_map(|(_, op)| op.get("operationId")?.as_str().map(str::to_string))
        .collect()
}

//! The gateway check: with the Bearer token, MCP `initialize` then `tools/list` over streamable
//! HTTP with the official Rust MCP SDK (rmcp) client. Every target must show its tools
//! (`<target>___<operationId>`); missing ones are listed. An optional tool call is a smoke test.

use std::time::{Duration, Instant};

use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use secrecy::{ExposeSecret, SecretString};

use super::check::{Check, Component, Status};

/// What the gateway check needs.
pub struct GatewayRequest<'a> {
    pub mcp_url: &'a str,
    pub token: &'a SecretString,
    /// Tool names expected from the targets, `<target>___<operationId>`.
    pub expected: &'a [String],
    /// A tool to call as a smoke test (`--call-tool`).
    pub call_tool: Option<&'a str>,
    pub timeout: Duration,
}

/// Runs initialize, tools/list and the optional call. Returns the checks.
pub async fn check(req: &GatewayRequest<'_>) -> Vec<Check> {
    let started = Instant::now();
    let config = StreamableHttpClientTransportConfig::with_uri(req.mcp_url.to_string())
        .auth_header(req.token.expose_secret().to_string());
    let transport = StreamableHttpClientTransport::from_config(config);
    let client = match tokio::time::timeout(req.timeout, ().serve(transport)).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            return vec![
                fail(req, "initialize", format!("MCP initialize failed: {e}"))
                    .suggest(
                        "check the gateway is READY and that its authorizer allows this app client \
                         (re-run the deploy); a 401 means the token was refused",
                    )
                    .timed(started.elapsed()),
            ];
        }
        Err(_) => {
            return vec![
                fail(
                    req,
                    "initialize",
                    format!("MCP initialize timed out after {:?}", req.timeout),
                )
                .suggest("check the gateway URL (verify.mcp_url) and this machine's network")
                .timed(started.elapsed()),
            ];
        }
    };
    let protocol = client
        .peer_info()
        .map(|info| info.protocol_version.to_string())
        .unwrap_or_default();
    let mut checks = vec![
        Check::new(
            Component::Gateway,
            "initialize",
            req.mcp_url,
            Status::Pass,
            format!("MCP session open (protocol {protocol})"),
        )
        .detail("protocol_version", protocol)
        .timed(started.elapsed()),
    ];
    let listed = Instant::now();
    match tokio::time::timeout(req.timeout, client.list_all_tools()).await {
        Ok(Ok(tools)) => {
            let names: Vec<String> = tools.iter().map(|t| t.name.to_string()).collect();
            checks.push(tools_check(req, &names).timed(listed.elapsed()));
            if let Some(tool) = req.call_tool {
                checks.push(call(&client, req, tool, &names).await);
            }
        }
        Ok(Err(e)) => {
            checks.push(fail(req, "tools/list", format!("tools/list failed: {e}")).timed(listed.elapsed()));
        }
        Err(_) => checks.push(
            fail(
                req,
                "tools/list",
                format!("tools/list timed out after {:?}", req.timeout),
            )
            .timed(listed.elapsed()),
        ),
    }
    let _ = client.cancel().await;
    checks
}

fn fail(req: &GatewayRequest<'_>, name: &str, message: String) -> Check {
    Check::new(Component::Gateway, name, req.mcp_url, Status::Fail, message)
}

/// Every expected tool must be listed.
fn tools_check(req: &GatewayRequest<'_>, listed: &[String]) -> Check {
    let missing: Vec<&String> = req.expected.iter().filter(|t| !listed.contains(t)).collect();
    let check = if missing.is_empty() {
        Check::new(
            Component::Gateway,
            "tools/list",
            req.mcp_url,
            Status::Pass,
            format!(
                "{} tools, all {} expected present",
                listed.len(),
                req.expected.len()
            ),
        )
    } else {
        let targets: std::collections::BTreeSet<&str> = missing
            .iter()
            .filter_map(|t| t.split_once("___").map(|(target, _)| target))
            .collect();
        Check::new(
            Component::Gateway,
            "tools/list",
            req.mcp_url,
            Status::Fail,
            format!(
                "{} of {} expected tools missing: {}",
                missing.len(),
                req.expected.len(),
                missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )
        .suggest(format!(
            "check the targets {} are READY (a target syncs its tools from the spec in S3); \
             re-run the deploy to re-create a missing target",
            targets.into_iter().collect::<Vec<_>>().join(", ")
        ))
    };
    check
        .detail("tools", listed.len())
        .detail("missing", missing.len())
}

async fn call(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    req: &GatewayRequest<'_>,
    tool: &str,
    listed: &[String],
) -> Check {
    let started = Instant::now();
    if !listed.iter().any(|t| t == tool) {
        return fail(req, "tools/call", format!("{tool} is not among the listed tools"))
            .suggest("pick a name from tools/list (`<target>___<operationId>`)");
    }
    let params = CallToolRequestParams::new(tool.to_string());
    match tokio::time::timeout(req.timeout, client.call_tool(params)).await {
        Ok(Ok(result)) if result.is_error != Some(true) => Check::new(
            Component::Gateway,
            "tools/call",
            req.mcp_url,
            Status::Pass,
            format!("{tool} answered"),
        )
        .timed(started.elapsed()),
        Ok(Ok(_)) => fail(req, "tools/call", format!("{tool} answered with an error result"))
            .suggest("the gateway reached the backend but the call failed: check the backend's logs and the API key")
            .timed(started.elapsed()),
        Ok(Err(e)) => fail(req, "tools/call", format!("{tool} failed: {e}")).timed(started.elapsed()),
        Err(_) => fail(req, "tools/call", format!("{tool} timed out after {:?}", req.timeout))
            .timed(started.elapsed()),
    }
}

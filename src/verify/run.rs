//! One verification run: the offline checks (TLS files), then, when online, the remote TLS sweep,
//! the Cognito token, the gateway's MCP endpoint and the negative security checks, and the report
//! built from them. What a check needs but cannot have (no deployment yet, no client secret) makes
//! it a `skip` that says why; it never stops the other checks.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use time::OffsetDateTime;

use super::certinfo::utc;
use super::check::{Check, Component, Status};
use super::remote::{self, Endpoint, Layer, Probe};
use super::report::{Context, VerificationReport};
use super::{auth, mcp, security, tls_files, trust};
use crate::config::Config;
use crate::deploy::plan::render_spec;
use crate::output::progress::Progress;
use crate::templates;

/// What a deployment recorded that the online checks need (from the state file's outputs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployed {
    pub deployment_id: String,
    pub token_endpoint: Option<String>,
    pub client_id: Option<String>,
    pub user_pool_id: Option<String>,
    pub gateway_url: Option<String>,
}

impl Deployed {
    pub fn from_outputs(deployment_id: &str, outputs: &BTreeMap<String, String>) -> Self {
        Self {
            deployment_id: deployment_id.to_string(),
            token_endpoint: outputs.get("token_endpoint").cloned(),
            client_id: outputs.get("client_id").cloned(),
            user_pool_id: outputs.get("user_pool_id").cloned(),
            gateway_url: outputs.get("gateway_url").cloned(),
        }
    }
}

/// One verification run's inputs.
pub struct Request<'a> {
    pub config: &'a Config,
    pub base_dir: &'a Path,
    pub deployed: Option<Deployed>,
    /// The app client's secret (from the config's reference, or read from Cognito).
    pub client_secret: Option<SecretString>,
    /// Run the network checks.
    pub online: bool,
    /// A tool to call through the gateway as a smoke test.
    pub call_tool: Option<String>,
    /// The command that re-runs this verification (for the report's next steps).
    pub rerun: String,
    pub progress: &'a Progress,
}

/// Runs the checks and builds the report.
pub async fn run(req: Request<'_>) -> VerificationReport {
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    let config = req.config;
    let timeout = Duration::from_secs(config.verify.timeout_seconds.max(1));
    let mut checks = tls_files::check_files(&config.tls, req.base_dir, now);
    req.progress.line("verify", &summary("TLS files", &checks));
    let mut connectivity = Vec::new();
    let mut events = Vec::new();
    let mut token_expires_at = None;
    let mcp_url = mcp_url(config, req.deployed.as_ref());
    if req.online {
        let (remote_checks, probes) = sweep(config, req.base_dir, now, timeout).await;
        req.progress.line("verify", &summary("backends", &remote_checks));
        checks.extend(remote_checks);
        connectivity = probes;
        let http = http_client(timeout);
        let (auth_checks, token) = token(&req, &http, now).await;
        req.progress
            .line("verify", &summary("Cognito token", &auth_checks));
        checks.extend(auth_checks);
        token_expires_at = token.as_ref().and_then(|t| t.expires_at).map(utc);
        let access_token = token.map(|t| t.access_token);
        match (&mcp_url, &access_token) {
            (Some(url), Some(token)) => {
                let expected = expected_tools(config, req.base_dir);
                let gateway = mcp::check(&mcp::GatewayRequest {
                    mcp_url: url,
                    token,
                    expected: &expected,
                    call_tool: req.call_tool.as_deref(),
                    timeout,
                })
                .await;
                req.progress.line("verify", &summary("gateway (MCP)", &gateway));
                checks.extend(gateway);
            }
            (Some(url), None) => checks.push(Check::new(
                Component::Gateway,
                "initialize",
                url,
                Status::Skip,
                "not run: no token (see the Cognito checks)",
            )),
            (None, _) => checks.push(no_gateway(Component::Gateway)),
        }
        if let Some(url) = &mcp_url {
            let probe = scope_probe(&req, &http).await;
            let (security_checks, rejected) =
                security::check(&http, url, access_token.as_ref(), probe, timeout).await;
            for event in &rejected {
                req.progress.line("security", &event.to_string());
            }
            checks.extend(security_checks);
            events = rejected;
        } else {
            checks.push(no_gateway(Component::Security));
        }
    }
    let context = Context {
        deployment_id: req.deployed.as_ref().map(|d| d.deployment_id.clone()),
        generated_at: utc(now),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        online: req.online,
        mcp_url,
        token_expires_at,
        rerun: req.rerun,
    };
    VerificationReport::new(context, &checks, connectivity, events)
}

fn summary(what: &str, checks: &[Check]) -> String {
    let count = |s| checks.iter().filter(|c| c.status == s).count();
    format!(
        "{what}: {} passed, {} warnings, {} failed, {} skipped",
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Skip)
    )
}

fn no_gateway(component: Component) -> Check {
    Check::new(
        component,
        "gateway",
        "gateway",
        Status::Skip,
        "not run: no gateway URL yet (deploy first, or set verify.mcp_url)",
    )
}

fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("sre-agent-deploy/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// The MCP URL: `verify.mcp_url`, else the deployed gateway's URL ending in `/mcp`.
fn mcp_url(config: &Config, deployed: Option<&Deployed>) -> Option<String> {
    if let Some(url) = &config.verify.mcp_url {
        return Some(url.clone());
    }
    let url = deployed?.gateway_url.as_deref()?.trim_end_matches('/');
    Some(if url.ends_with("/mcp") {
        url.to_string()
    } else {
        format!("{url}/mcp")
    })
}

/// The token URL: `verify.token_url`, else the deployment's, else derived from the domain.
fn token_url(config: &Config, deployed: Option<&Deployed>) -> Option<String> {
    if let Some(url) = &config.verify.token_url {
        return Some(url.clone());
    }
    if let Some(url) = deployed.and_then(|d| d.token_endpoint.clone()) {
        return Some(url);
    }
    let domain = config.cognito.cognito_domain.trim();
    if domain.starts_with("https://") {
        return Some(format!("{}/oauth2/token", domain.trim_end_matches('/')));
    }
    (!domain.is_empty()).then(|| {
        format!(
            "https://{domain}.auth.{}.amazoncognito.com/oauth2/token",
            config.aws.region
        )
    })
}

/// The token endpoint and the app client: the config's, else the deployment's.
fn app_client(req: &Request<'_>) -> (Option<String>, Option<String>) {
    let url = token_url(req.config, req.deployed.as_ref());
    let client_id = req
        .config
        .cognito
        .client_id
        .clone()
        .or_else(|| req.deployed.as_ref().and_then(|d| d.client_id.clone()));
    (url, client_id)
}

/// With `gateway.allowed_scopes`: a token of the app client carrying only its other scopes.
async fn scope_probe(req: &Request<'_>, http: &reqwest::Client) -> security::ScopeProbe {
    let config = req.config;
    let Some(allowed) = &config.gateway.allowed_scopes else {
        return security::ScopeProbe::NotConfigured;
    };
    let outside: Vec<String> = config
        .cognito
        .scopes
        .iter()
        .filter(|s| !allowed.contains(s))
        .cloned()
        .collect();
    if outside.is_empty() {
        return security::ScopeProbe::Skip(
            "every scope of the app client is allowed, so no token of the deployment lacks them".into(),
        );
    }
    let (url, client_id) = app_client(req);
    let (Some(url), Some(client_id), Some(secret)) = (url, client_id, &req.client_secret) else {
        return security::ScopeProbe::Skip("no app client or client secret (see the auth checks)".into());
    };
    let request = auth::TokenRequest {
        url: &url,
        client_id: &client_id,
        client_secret: secret,
        scopes: &outside,
    };
    match auth::plain_token(http, &request).await {
        Ok(token) => security::ScopeProbe::Token(token),
        Err(why) => security::ScopeProbe::Skip(format!("no token for {}: {why}", outside.join(" "))),
    }
}

async fn token(
    req: &Request<'_>,
    http: &reqwest::Client,
    now: OffsetDateTime,
) -> (Vec<Check>, Option<auth::Token>) {
    let config = req.config;
    let (url, client_id) = app_client(req);
    let skip = |why: &str| {
        (
            vec![Check::new(
                Component::Auth,
                "token",
                url.clone().unwrap_or_else(|| "cognito".into()),
                Status::Skip,
                format!("not run: {why}"),
            )],
            None,
        )
    };
    let (Some(url), Some(client_id)) = (url.clone(), client_id) else {
        return skip("no app client yet (deploy first, or set cognito.client_id)");
    };
    let Some(secret) = &req.client_secret else {
        return skip("no client secret (set cognito.client_secret: env:COGNITO_CLIENT_SECRET)");
    };
    auth::check(
        http,
        &auth::TokenRequest {
            url: &url,
            client_id: &client_id,
            client_secret: secret,
            scopes: &config.cognito.scopes,
        },
        now,
    )
    .await
}

/// The tools the gateway should list: `<target>___<operationId>` for every target's spec.
pub fn expected_tools(config: &Config, base_dir: &Path) -> Vec<String> {
    config
        .gateway
        .targets
        .iter()
        .filter_map(|t| {
            let spec = render_spec(&t.spec, &t.backend_url, base_dir).ok()?;
            let ids = templates::operation_ids(&spec).ok()?;
            Some(
                ids.into_iter()
                    .map(|id| format!("{}___{id}", t.name))
                    .collect::<Vec<_>>(),
            )
        })
        .flatten()
        .collect()
}

/// The endpoints to probe: `tls.domain_name:443`, each target's backend, and `tls.endpoints`,
/// each once (the first field that names it is kept).
pub fn endpoints(config: &Config) -> Vec<Endpoint> {
    let mut out: Vec<Endpoint> = Vec::new();
    let mut add = |host: String, port: u16, field: String| {
        if host.is_empty()
            || out
                .iter()
                .any(|e| e.host.eq_ignore_ascii_case(&host) && e.port == port)
        {
            return;
        }
        out.push(Endpoint {
            host,
            port,
            field: Some(field),
            health: true,
        });
    };
    let domain = config.tls.domain_name.trim_end_matches('.').to_string();
    for (i, target) in config.gateway.targets.iter().enumerate() {
        if let Ok(url) = url::Url::parse(&target.backend_url)
            && let Some(host) = url.host_str()
        {
            let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
            add(
                host,
                url.port_or_known_default().unwrap_or(443),
                format!("gateway.targets[{i}].backend_url"),
            );
        }
    }
    for (i, endpoint) in config.tls.endpoints.iter().enumerate() {
        if let Some((host, port)) = endpoint.rsplit_once(':')
            && let Ok(port) = port.parse()
        {
            add(
                host.trim_start_matches('[').trim_end_matches(']').to_string(),
                port,
                format!("tls.endpoints[{i}]"),
            );
        }
    }
    add(domain, 443, "tls.domain_name".into());
    out
}

async fn sweep(
    config: &Config,
    base_dir: &Path,
    now: OffsetDateTime,
    timeout: Duration,
) -> (Vec<Check>, Vec<Probe>) {
    let roots = match trust::roots(&config.tls, base_dir) {
        Ok(roots) => roots,
        Err(check) => return (vec![check], Vec::new()),
    };
    let endpoints = endpoints(config);
    let settings = remote::Settings {
        roots: roots.rustls_store(),
        resolve: config.verify.resolved(),
        timeout,
        concurrency: config.verify.concurrency.max(1),
        health_path: config.verify.health_path.clone(),
        warn_days: config.tls.warn_days,
        fail_days: config.tls.fail_days,
        now,
    };
    let mut probes = remote::sweep(endpoints, &settings).await;
    let backend_hosts: Vec<String> = config
        .gateway
        .targets
        .iter()
        .filter_map(|t| {
            url::Url::parse(&t.backend_url)
                .ok()?
                .host_str()
                .map(str::to_ascii_lowercase)
        })
        .collect();
    for probe in &mut probes {
        domain_port_not_served(probe, &backend_hosts);
    }
    let checks = probes.iter().flat_map(Probe::checks).collect();
    (checks, probes)
}

/// `tls.domain_name:443` refusing connections is not a failure when the backends on that host
/// use their own ports (as in the sample: 8011-8014): the probe becomes a skip that says so.
fn domain_port_not_served(probe: &mut Probe, backend_hosts: &[String]) {
    let host = probe
        .endpoint
        .rsplit_once(':')
        .map_or("", |(h, _)| h)
        .to_ascii_lowercase();
    if probe.field.as_deref() == Some("tls.domain_name")
        && probe.failed_layer == Some(Layer::Tcp)
        && backend_hosts.contains(&host)
    {
        probe.status = Status::Skip;
        probe.failed_layer = None;
        probe.message = format!(
            "nothing listens on {}; the backends on {host} use their own ports and are checked there",
            probe.endpoint
        );
        probe.suggestion = None;
    }
}

/// Shared by callers that keep one report path per deployment.
pub fn report_dir(state_dir: &Path, deployment_id: &str) -> std::path::PathBuf {
    state_dir.join("reports").join(deployment_id)
}

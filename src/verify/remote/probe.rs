//! One endpoint, step by step: addresses (an IP literal, a `verify.resolve` entry or DNS), TCP
//! connect, TLS handshake, the verdicts on the presented certificate, then the health GET. Each
//! step has its own timeout, and the first failing step ends the probe with its layer, message and
//! fix. The health GET is only sent when the certificate passed every check.

use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::{ClientConfig, ProtocolVersion};
use rustls_pki_types::ServerName;
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

use super::failure::{Failure, chain_date_failure, connect_failure, handshake_failure, status_failure};
use super::verifier::{SEEN, Seen, Verifier};
use super::{CertVerdict, Endpoint, Layer, Probe, Settings, http};
use crate::verify::certinfo::{self, CertSummary, NameMatch};
use crate::verify::check::Status;

/// What every probe of one sweep shares: one TLS client config, the overrides and the limits.
pub(super) struct Shared {
    connector: TlsConnector,
    resolve: Vec<(String, IpAddr)>,
    timeout: Duration,
    health_path: String,
    warn_days: i64,
    fail_days: i64,
    now: OffsetDateTime,
}

impl Shared {
    pub(super) fn new(settings: &Settings) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = Verifier::new(Arc::clone(&settings.roots), Arc::clone(&provider), settings.now)?;
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        // Every probe must see and verify the full certificate, so no session is resumed.
        config.resumption = Resumption::disabled();
        Ok(Self {
            connector: TlsConnector::from(Arc::new(config)),
            resolve: settings.resolve.clone(),
            timeout: settings.timeout,
            health_path: settings.health_path.clone(),
            warn_days: settings.warn_days,
            fail_days: settings.fail_days,
            now: settings.now,
        })
    }
}

/// A probe that has not run yet.
fn blank(endpoint: &Endpoint, health_path: Option<String>) -> Probe {
    Probe {
        endpoint: endpoint.display(),
        address: None,
        field: endpoint.field.clone(),
        status: Status::Pass,
        failed_layer: None,
        message: String::new(),
        suggestion: None,
        connect_ms: None,
        tls_ms: None,
        tls_version: None,
        days_left: None,
        not_after: None,
        earliest_not_after: None,
        out_of_date: false,
        names: Vec::new(),
        certificate: None,
        health_path,
        http_status: None,
        http_ms: None,
        total_ms: 0,
    }
}

/// A probe that failed before any network step (no usable TLS setup, or the check crashed).
pub(super) fn failed_early(
    endpoint: &Endpoint,
    settings: &Settings,
    layer: Option<Layer>,
    message: &str,
    suggestion: &str,
) -> Probe {
    let mut probe = blank(endpoint, endpoint.health.then(|| settings.health_path.clone()));
    probe.status = Status::Fail;
    probe.failed_layer = layer;
    probe.message = match layer {
        Some(layer) => format!("{}: {message}", layer.label()),
        None => message.to_string(),
    };
    probe.suggestion = Some(suggestion.to_string());
    probe
}

/// Checks one endpoint.
pub(super) async fn probe(endpoint: Endpoint, shared: Arc<Shared>) -> Probe {
    let started = Instant::now();
    let mut probe = blank(&endpoint, endpoint.health.then(|| shared.health_path.clone()));
    match run(&endpoint, &shared, &mut probe).await {
        Ok(()) => match probe.certificate.clone() {
            Some(verdict) if verdict.status == Status::Warn => {
                probe.status = Status::Warn;
                probe.message = format!("the certificate {}", verdict.message);
                probe.suggestion = verdict.suggestion;
            }
            verdict => {
                let mut parts = vec![probe.tls_version.clone().unwrap_or_else(|| "TLS".into())];
                if let Some(verdict) = verdict {
                    parts.push(format!("certificate {}", verdict.message));
                }
                if let (Some(status), Some(path)) = (probe.http_status, &probe.health_path) {
                    let ms = probe.http_ms.unwrap_or(0);
                    parts.push(format!("GET {path} returned {status} in {ms} ms"));
                }
                probe.message = parts.join(", ");
            }
        },
        Err(failure) => {
            probe.status = Status::Fail;
            probe.failed_layer = Some(failure.layer);
            probe.message = format!("{}: {}", failure.layer.label(), failure.message);
            probe.suggestion = failure.suggestion;
        }
    }
    probe.total_ms = millis(started.elapsed());
    probe
}

async fn run(endpoint: &Endpoint, shared: &Shared, probe: &mut Probe) -> Result<(), Failure> {
    let addresses = addresses(endpoint, shared).await?;
    let started = Instant::now();
    let tcp = connect(&addresses, endpoint, shared, probe).await?;
    probe.connect_ms = Some(millis(started.elapsed()));

    let server_name = server_name(&endpoint.host)?;
    let started = Instant::now();
    let mut handshake = std::pin::pin!(SEEN.scope(
        RefCell::new(Seen::default()),
        shared.connector.connect(server_name, tcp)
    ));
    let outcome = timeout(shared.timeout, &mut handshake).await;
    let seen = handshake
        .as_mut()
        .take_value()
        .map(RefCell::into_inner)
        .unwrap_or_default();
    let leaf = describe_leaf(&seen, endpoint, shared, probe);
    let tls = match outcome {
        Err(_) => {
            return Err(Failure::timeout(
                "the TLS handshake",
                shared.timeout,
                format!(
                    "the server accepted TCP but did not complete a TLS handshake: check that port {} \
                     serves TLS (not plain TCP or a proxy waiting for something else) and that it is \
                     not overloaded",
                    endpoint.port
                ),
            ));
        }
        Ok(Err(e)) => return Err(handshake_failure(&e, &seen, leaf.as_ref(), endpoint)),
        Ok(Ok(tls)) => tls,
    };
    probe.tls_ms = Some(millis(started.elapsed()));
    // rustls implements only TLS 1.2 and 1.3, so a server that offers nothing newer than TLS 1.1
    // fails the handshake above; an older protocol can never be recorded here.
    probe.tls_version = tls.get_ref().1.protocol_version().map(version_name);

    let Some(leaf) = leaf else {
        return Err(Failure::new(
            Layer::TlsTrust,
            "the server presented no readable certificate",
            "serve a PEM certificate chain (leaf first)",
        ));
    };
    certificate_verdicts(&seen, &leaf, endpoint, shared, probe)?;

    let Some(path) = &probe.health_path else {
        return Ok(());
    };
    let started = Instant::now();
    let host_header = http::host_header(&endpoint.host, endpoint.port);
    let exchange = http::get_status(tls, &host_header, path);
    match timeout(shared.timeout, exchange).await {
        Err(_) => Err(Failure::timeout(
            &format!("GET {path}"),
            shared.timeout,
            "the backend accepted the request but did not answer in time: check its logs, or raise \
             verify.timeout_seconds if it is only slow",
        )),
        Ok(Err(message)) => Err(Failure::new(
            Layer::Http,
            format!("GET {path}: {message}"),
            format!(
                "port {} completed TLS but does not answer HTTP/1.1 requests: check the backend \
                 behind it",
                endpoint.port
            ),
        )),
        Ok(Ok(status)) => {
            probe.http_status = Some(status);
            probe.http_ms = Some(millis(started.elapsed()));
            if (200..300).contains(&status) {
                Ok(())
            } else {
                Err(status_failure(status, path))
            }
        }
    }
}

/// The addresses to try: the host itself when it is an IP, a `resolve` entry, or DNS.
async fn addresses(endpoint: &Endpoint, shared: &Shared) -> Result<Vec<SocketAddr>, Failure> {
    let host = endpoint.host.as_str();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, endpoint.port)]);
    }
    let wanted = host.trim_end_matches('.');
    if let Some((_, ip)) = shared
        .resolve
        .iter()
        .find(|(name, _)| name.trim_end_matches('.').eq_ignore_ascii_case(wanted))
    {
        return Ok(vec![SocketAddr::new(*ip, endpoint.port)]);
    }
    let where_ = endpoint.field.as_deref().unwrap_or("the config");
    let fix = format!(
        "check the host name in {where_}; if it only resolves inside a private network, run the check \
         from there, or map it with verify.resolve (\"{host}:10.0.0.12\")"
    );
    match timeout(shared.timeout, tokio::net::lookup_host((host, endpoint.port))).await {
        Err(_) => Err(Failure::timeout(
            &format!("resolving {host}"),
            shared.timeout,
            format!("the DNS server does not answer; {fix}"),
        )),
        Ok(Err(e)) => Err(Failure::new(
            Layer::Dns,
            format!("{host} does not resolve ({e})"),
            fix,
        )),
        Ok(Ok(found)) => {
            let found: Vec<SocketAddr> = found.collect();
            if found.is_empty() {
                Err(Failure::new(
                    Layer::Dns,
                    format!("{host} resolves to no address"),
                    fix,
                ))
            } else {
                Ok(found)
            }
        }
    }
}

/// Connects to the first address that answers.
async fn connect(
    addresses: &[SocketAddr],
    endpoint: &Endpoint,
    shared: &Shared,
    probe: &mut Probe,
) -> Result<TcpStream, Failure> {
    let port = endpoint.port;
    let mut last = None;
    for address in addresses {
        probe.address = Some(address.ip());
        let failure = match timeout(shared.timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(_) => Failure::timeout(
                &format!("the TCP connect to {address}"),
                shared.timeout,
                format!(
                    "packets to port {port} are dropped: allow inbound TCP {port} from this machine \
                     (security group, network ACL, firewall) and check the address"
                ),
            ),
            Ok(Err(e)) => connect_failure(&e, *address, endpoint),
        };
        last = Some(failure);
    }
    Err(last.unwrap_or_else(|| {
        Failure::new(
            Layer::Dns,
            format!("{} has no address to connect to", endpoint.host),
            "check the host name",
        )
    }))
}

fn server_name(host: &str) -> Result<ServerName<'static>, Failure> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(host.trim_end_matches('.').to_string()).map_err(|_| {
        Failure::new(
            Layer::TlsName,
            format!("\"{host}\" is not a host name TLS can check a certificate against"),
            "use the DNS name the certificate is issued for",
        )
    })
}

/// Records the presented leaf's names and expiry on the probe, and returns its summary.
fn describe_leaf(
    seen: &Seen,
    endpoint: &Endpoint,
    shared: &Shared,
    probe: &mut Probe,
) -> Option<CertSummary> {
    let leaf = CertSummary::from_der(seen.chain.first()?).ok()?;
    probe.names.clone_from(&leaf.dns_names);
    probe
        .names
        .extend(leaf.ip_addresses.iter().map(ToString::to_string));
    probe.days_left = Some(leaf.days_left(shared.now));
    probe.not_after = Some(certinfo::utc(leaf.not_after));
    probe.out_of_date = seen.out_of_date;
    probe.earliest_not_after = seen
        .chain
        .iter()
        .filter_map(|der| CertSummary::from_der(der).ok())
        .map(|c| c.not_after)
        .min()
        .map(certinfo::utc);
    let (status, message, suggestion) = certinfo::validity(
        &leaf,
        &endpoint.host,
        shared.warn_days,
        shared.fail_days,
        shared.now,
    );
    probe.certificate = Some(CertVerdict {
        status,
        message,
        suggestion,
    });
    Some(leaf)
}

/// After a completed handshake: the name, the leaf's dates, then the rest of the chain's dates.
fn certificate_verdicts(
    seen: &Seen,
    leaf: &CertSummary,
    endpoint: &Endpoint,
    shared: &Shared,
    probe: &Probe,
) -> Result<(), Failure> {
    let host = endpoint.host.as_str();
    let name = leaf.name_match(host);
    if seen.name_mismatch || name != NameMatch::Covered {
        let fix = format!(
            "re-issue the certificate with {host} as a subjectAltName (certbot: `-d {host}`), or point {} \
             at a name it covers",
            endpoint.field.as_deref().unwrap_or("the endpoint")
        );
        let message = match name {
            NameMatch::NotCovered(names) => {
                format!("the certificate covers {}, not {host}", names.join(", "))
            }
            NameMatch::CommonNameOnly(cns) => format!(
                "the certificate has no subjectAltName (its CN is {}), and clients ignore the CN; it \
                 does not cover {host}",
                if cns.is_empty() {
                    "empty".to_string()
                } else {
                    cns.join(", ")
                }
            ),
            NameMatch::Covered => format!(
                "the certificate's names ({}) are rejected for {host} by the TLS library",
                probe.names.join(", ")
            ),
        };
        return Err(Failure::new(Layer::TlsName, message, fix));
    }
    if let Some(verdict) = &probe.certificate
        && verdict.status == Status::Fail
    {
        return Err(Failure {
            layer: Layer::TlsExpiry,
            message: format!("the certificate {}", verdict.message),
            suggestion: verdict.suggestion.clone(),
        });
    }
    if seen.out_of_date {
        return Err(chain_date_failure(seen, shared.now));
    }
    Ok(())
}

fn version_name(version: ProtocolVersion) -> String {
    match version {
        ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
        ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
        other => format!("{other:?}"),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

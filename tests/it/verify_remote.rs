//! The remote TLS sweep against loopback servers: every layer a probe can fail at (DNS, TCP, TLS
//! trust, TLS name, TLS handshake, TLS expiry, HTTP status, timeout) is produced by a real server
//! and classified as that layer, no request is sent over a connection whose certificate failed,
//! and `verify.resolve` maps realistic names to 127.0.0.1. For every certificate `Case` a server can
//! present, the remote verdict agrees with the file checks on the same files. Everything stays on
//! loopback.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::tls_servers::{self, Identity, Options};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::RootCertStore;
use sre_agent_deploy::verify::Status;
use sre_agent_deploy::verify::remote::{Endpoint, Layer, Probe, Settings, sweep};
use time::OffsetDateTime;

const HOST: &str = "backend.sre-agent.internal";
const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A certificate authority made with rcgen.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: Vec<u8>,
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

fn ca(name: &str) -> Ca {
    ca_signed_by(name, None)
}

fn ca_signed_by(name: &str, parent: Option<&Ca>) -> Ca {
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = now - days(400);
    params.not_after = now + days(3650);
    let key = KeyPair::generate().expect("key");
    let cert = match parent {
        Some(parent) => params.signed_by(&key, &parent.issuer).expect("signed CA"),
        None => params.self_signed(&key).expect("self-signed CA"),
    };
    Ca {
        der: cert.der().to_vec(),
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `names`, valid from `from` to `to` days from now, signed by `ca` (self-signed
/// without one). Returns the leaf's DER and its PKCS#8 key.
fn leaf(ca: Option<&Ca>, names: &[&str], from: i64, to: i64) -> (Vec<u8>, Vec<u8>) {
    let now = OffsetDateTime::now_utc();
    let names: Vec<String> = names.iter().map(ToString::to_string).collect();
    let mut params = CertificateParams::new(names.clone()).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, names.first().cloned().unwrap_or_default());
    params.use_authority_key_identifier_extension = ca.is_some();
    params.not_before = now + days(from);
    params.not_after = now + days(to);
    let key = KeyPair::generate().expect("key");
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.issuer).expect("signed leaf"),
        None => params.self_signed(&key).expect("self-signed leaf"),
    };
    (cert.der().to_vec(), key.serialize_der())
}

/// The identity a server presents: the leaf, then `intermediates`.
fn identity(leaf: (Vec<u8>, Vec<u8>), intermediates: &[&Ca]) -> Identity {
    let mut chain = vec![leaf.0];
    chain.extend(intermediates.iter().map(|c| c.der.clone()));
    Identity::from_der(chain, leaf.1)
}

fn roots(cas: &[&Ca]) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for ca in cas {
        roots.add(ca.der.clone().into()).expect("root");
    }
    Arc::new(roots)
}

fn settings(roots: Arc<RootCertStore>) -> Settings {
    Settings {
        roots,
        resolve: vec![(HOST.to_string(), LOOPBACK)],
        timeout: Duration::from_secs(5),
        concurrency: 8,
        health_path: "/health".into(),
        warn_days: 30,
        fail_days: 7,
        now: OffsetDateTime::now_utc(),
    }
}

fn endpoint(host: &str, port: u16) -> Endpoint {
    Endpoint {
        host: host.into(),
        port,
        field: Some("gateway.targets[0].backend_url".into()),
        health: true,
    }
}

async fn probe_one(endpoint: Endpoint, settings: &Settings) -> Probe {
    let mut probes = sweep(vec![endpoint], settings).await;
    assert_eq!(probes.len(), 1);
    probes.remove(0)
}

/// Serves `identity` with `options` and probes it as `HOST` (resolved to 127.0.0.1).
async fn serve_and_probe(
    identity: &Identity,
    options: &Options,
    roots: Arc<RootCertStore>,
) -> (Probe, usize) {
    let server = tls_servers::start(identity, options).await.expect("server");
    let probe = probe_one(endpoint(HOST, server.port()), &settings(roots)).await;
    (probe, server.requests())
}

fn check_status(probe: &Probe, name: &str) -> Status {
    probe
        .checks()
        .into_iter()
        .find(|c| c.name == name)
        .map_or_else(|| panic!("no {name} check in {probe:#?}"), |c| c.status)
}

fn assert_failed(probe: &Probe, layer: Layer) {
    assert_eq!(probe.status, Status::Fail, "{probe:#?}");
    assert_eq!(probe.failed_layer, Some(layer), "{probe:#?}");
    assert!(
        probe.message.starts_with(layer.label()),
        "message names the layer: {}",
        probe.message
    );
    assert!(probe.suggestion.is_some(), "a fix: {probe:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_backend_passes_every_step() {
    let ca = ca("test CA");
    let (probe, requests) = serve_and_probe(
        &identity(leaf(Some(&ca), &[HOST], -1, 90), &[]),
        &Options::default(),
        roots(&[&ca]),
    )
    .await;
    assert_eq!(probe.status, Status::Pass, "{probe:#?}");
    assert_eq!(probe.failed_layer, None);
    assert_eq!(
        probe.address,
        Some(LOOPBACK),
        "verify.resolve maps the name to loopback"
    );
    assert_eq!(probe.tls_version.as_deref(), Some("TLSv1.3"));
    assert_eq!(probe.http_status, Some(200));
    assert!(probe.http_ms.is_some() && probe.connect_ms.is_some() && probe.tls_ms.is_some());
    assert_eq!(probe.names, [HOST]);
    assert!(matches!(probe.days_left, Some(89 | 90)), "{:?}", probe.days_left);
    assert!(probe.not_after.as_deref().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(requests, 1);
    let checks = probe.checks();
    assert_eq!(
        checks
            .iter()
            .map(|c| (c.name.as_str(), c.status))
            .collect::<Vec<_>>(),
        [
            ("tcp", Status::Pass),
            ("tls", Status::Pass),
            ("certificate", Status::Pass),
            ("health", Status::Pass)
        ]
    );
    assert!(
        checks
            .iter()
            .all(|c| c.field.as_deref() == Some("gateway.targets[0].backend_url"))
    );
    assert!(checks.iter().all(|c| c.subject == probe.endpoint));
    // The row round-trips through JSON, with snake_case layers.
    let json = serde_json::to_value(&probe).expect("json");
    assert_eq!(serde_json::from_value::<Probe>(json).expect("back"), probe);
    assert_eq!(serde_json::to_value(Layer::TlsTrust).expect("json"), "tls_trust");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_negotiated_protocol_is_recorded() {
    let ca = ca("test CA");
    let options = Options {
        tls12_only: true,
        ..Options::default()
    };
    let (probe, _) = serve_and_probe(
        &identity(leaf(Some(&ca), &[HOST], -1, 90), &[]),
        &options,
        roots(&[&ca]),
    )
    .await;
    assert_eq!(probe.status, Status::Pass, "{probe:#?}");
    assert_eq!(probe.tls_version.as_deref(), Some("TLSv1.2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unhealthy_backend_fails_at_http_status() {
    let ca = ca("test CA");
    let options = Options {
        status: 503,
        ..Options::default()
    };
    let (probe, _) = serve_and_probe(
        &identity(leaf(Some(&ca), &[HOST], -1, 90), &[]),
        &options,
        roots(&[&ca]),
    )
    .await;
    assert_failed(&probe, Layer::HttpStatus);
    assert_eq!(probe.http_status, Some(503));
    assert!(
        probe.message.contains("GET /health returned 503"),
        "{}",
        probe.message
    );
    assert_eq!(check_status(&probe, "tls"), Status::Pass);
    assert_eq!(check_status(&probe, "health"), Status::Fail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_name_fails_at_tls_name_and_gets_no_request() {
    let ca = ca("test CA");
    let (probe, requests) = serve_and_probe(
        &identity(leaf(Some(&ca), &["other.sre-agent.internal"], -1, 90), &[]),
        &Options::default(),
        roots(&[&ca]),
    )
    .await;
    assert_failed(&probe, Layer::TlsName);
    assert!(
        probe
            .message
            .contains("covers other.sre-agent.internal, not backend"),
        "{}",
        probe.message
    );
    assert_eq!(probe.names, ["other.sre-agent.internal"]);
    assert_eq!(
        requests, 0,
        "no request over a connection whose certificate failed"
    );
    assert_eq!(probe.http_status, None);
    assert_eq!(check_status(&probe, "tls"), Status::Fail);
    assert_eq!(check_status(&probe, "health"), Status::Skip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_host_is_checked_against_ip_names() {
    let ca = ca("test CA");
    let covered = tls_servers::start(
        &identity(leaf(Some(&ca), &["127.0.0.1"], -1, 90), &[]),
        &Options::default(),
    )
    .await
    .expect("server");
    let not_covered = tls_servers::start(
        &identity(leaf(Some(&ca), &[HOST], -1, 90), &[]),
        &Options::default(),
    )
    .await
    .expect("server");
    let probes = sweep(
        vec![
            endpoint("127.0.0.1", covered.port()),
            endpoint("127.0.0.1", not_covered.port()),
        ],
        &settings(roots(&[&ca])),
    )
    .await;
    assert_eq!(probes[0].status, Status::Pass, "{:#?}", probes[0]);
    assert_eq!(probes[0].names, ["127.0.0.1"]);
    assert_failed(&probes[1], Layer::TlsName);
    assert_eq!(not_covered.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_ca_or_a_self_signed_certificate_fails_at_tls_trust() {
    let trusted = ca("trusted CA");
    let other = ca("someone else's CA");
    let (probe, requests) = serve_and_probe(
        &identity(leaf(Some(&other), &[HOST], -1, 90), &[]),
        &Options::default(),
        roots(&[&trusted]),
    )
    .await;
    assert_failed(&probe, Layer::TlsTrust);
    assert!(
        probe.message.contains("someone else's CA"),
        "names the issuer: {}",
        probe.message
    );
    assert!(
        probe
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("tls.ca_bundle_path"))
    );
    assert_eq!(probe.names, [HOST], "the presented names are still reported");
    assert_eq!(requests, 0);

    let (probe, requests) = serve_and_probe(
        &identity(leaf(None, &[HOST], -1, 90), &[]),
        &Options::default(),
        roots(&[&trusted]),
    )
    .await;
    assert_failed(&probe, Layer::TlsTrust);
    assert!(probe.message.contains("self-signed"), "{}", probe.message);
    assert_eq!(requests, 0);
    assert_eq!(check_status(&probe, "health"), Status::Skip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_intermediate_fails_at_tls_trust_and_the_full_chain_passes() {
    let root = ca("root CA");
    let intermediate = ca_signed_by("intermediate CA", Some(&root));
    let server_leaf = leaf(Some(&intermediate), &[HOST], -1, 90);
    let (probe, _) = serve_and_probe(
        &identity(server_leaf.clone(), &[&intermediate]),
        &Options::default(),
        roots(&[&root]),
    )
    .await;
    assert_eq!(probe.status, Status::Pass, "{probe:#?}");
    let (probe, _) = serve_and_probe(&identity(server_leaf, &[]), &Options::default(), roots(&[&root])).await;
    assert_failed(&probe, Layer::TlsTrust);
    assert!(
        probe
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("full chain"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_not_yet_valid_certificates_fail_at_tls_expiry() {
    let ca = ca("test CA");
    let (probe, requests) = serve_and_probe(
        &identity(leaf(Some(&ca), &[HOST], -100, -10), &[]),
        &Options::default(),
        roots(&[&ca]),
    )
    .await;
    assert_failed(&probe, Layer::TlsExpiry);
    assert!(probe.message.contains("expired at"), "{}", probe.message);
    assert!(
        probe
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("certbot renew"))
    );
    assert!(matches!(probe.days_left, Some(-11..=-9)), "{:?}", probe.days_left);
    assert_eq!(requests, 0);
    assert_eq!(
        check_status(&probe, "tls"),
        Status::Pass,
        "trust and name were fine"
    );
    assert_eq!(check_status(&probe, "certificate"), Status::Fail);

    let (probe, requests) = serve_and_probe(
        &identity(leaf(Some(&ca), &[HOST], 10, 100), &[]),
        &Options::default(),
        roots(&[&ca]),
    )
    .await;
    assert_failed(&probe, Layer::TlsExpiry);
    assert!(probe.message.contains("not valid until"), "{}", probe.message);
    assert_eq!(requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_untrusted_certificate_is_a_trust_failure() {
    // WebPKI checks dates before the issuer; the verifier must still find the trust problem.
    let trusted = ca("trusted CA");
    let (probe, _) = serve_and_probe(
        &identity(leaf(None, &[HOST], -100, -10), &[]),
        &Options::default(),
        roots(&[&trusted]),
    )
    .await;
    assert_failed(&probe, Layer::TlsTrust);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_thresholds_warn_then_fail() {
    let ca = ca("test CA");
    let (probe, requests) = serve_and_probe(
        &identity(leaf(Some(&ca), &[HOST], -1, 20), &[]),
        &Options::default(),
        roots(&[&ca]),
    )
    .await;
    assert_eq!(probe.status, Status::Warn, "{probe:#?}");
    assert_eq!(probe.failed_layer, None);
    assert!(probe.message.contains("tls.warn_days"), "{}", probe.message);
    assert_eq!(
        requests, 1,
        "a valid certificate close to expiry still gets the health check"
    );
    assert_eq!(check_status(&probe, "certificate"), Status::Warn);

    let (probe, requests) = serve_and_probe(
        &identity(leaf(Some(&ca), &[HOST], -1, 3), &[]),
        &Options::default(),
        roots(&[&ca]),
    )
    .await;
    assert_failed(&probe, Layer::TlsExpiry);
    assert!(probe.message.contains("tls.fail_days"), "{}", probe.message);
    assert_eq!(requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_fails_at_tcp() {
    let port = tls_servers::closed_port().expect("port");
    let probe = probe_one(endpoint(HOST, port), &settings(roots(&[&ca("test CA")]))).await;
    assert_failed(&probe, Layer::Tcp);
    assert!(probe.message.contains("refused"), "{}", probe.message);
    assert!(
        probe
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains(&format!("port {port}")))
    );
    assert_eq!(probe.address, Some(LOOPBACK));
    assert_eq!(check_status(&probe, "tcp"), Status::Fail);
    assert_eq!(check_status(&probe, "tls"), Status::Skip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_speaks_times_out_in_the_handshake() {
    let server = tls_servers::silent().await.expect("server");
    let mut settings = settings(roots(&[&ca("test CA")]));
    settings.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let probe = probe_one(endpoint(HOST, server.port()), &settings).await;
    assert_failed(&probe, Layer::Timeout);
    assert!(
        probe.message.contains("TLS handshake took longer than 300 ms"),
        "{}",
        probe.message
    );
    assert!(probe.connect_ms.is_some());
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(check_status(&probe, "tcp"), Status::Pass);
    assert_eq!(check_status(&probe, "tls"), Status::Fail);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_on_a_tls_port_fails_at_tls_handshake() {
    let server = tls_servers::plain_http().await.expect("server");
    let probe = probe_one(endpoint(HOST, server.port()), &settings(roots(&[&ca("test CA")]))).await;
    assert_failed(&probe, Layer::TlsHandshake);
    assert!(
        probe.message.contains("did not answer with TLS"),
        "{}",
        probe.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_fails_at_dns() {
    let mut settings = settings(roots(&[&ca("test CA")]));
    settings.resolve.clear();
    let probe = probe_one(endpoint("nonexistent.invalid", 8011), &settings).await;
    assert_failed(&probe, Layer::Dns);
    assert!(probe.message.contains("nonexistent.invalid"), "{}", probe.message);
    assert!(
        probe
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("verify.resolve"))
    );
    assert_eq!(probe.address, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_matches_names_case_insensitively_and_keeps_the_name_for_tls() {
    let ca = ca("test CA");
    let server = tls_servers::start(
        &identity(leaf(Some(&ca), &[HOST], -1, 90), &[]),
        &Options::default(),
    )
    .await
    .expect("server");
    let probe = probe_one(
        endpoint("Backend.SRE-Agent.Internal", server.port()),
        &settings(roots(&[&ca])),
    )
    .await;
    assert_eq!(probe.status, Status::Pass, "{probe:#?}");
    assert_eq!(probe.address, Some(LOOPBACK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_come_back_in_input_order_under_a_small_concurrency() {
    let ca = ca("test CA");
    let good = tls_servers::start_many(
        6,
        &identity(leaf(Some(&ca), &[HOST], -1, 90), &[]),
        &Options::default(),
    )
    .await
    .expect("servers");
    let closed = tls_servers::closed_port().expect("port");
    let mut endpoints = Vec::new();
    for (i, server) in good.iter().enumerate() {
        endpoints.push(endpoint(HOST, server.port()));
        if i % 2 == 0 {
            endpoints.push(endpoint(HOST, closed));
        }
    }
    let mut settings = settings(roots(&[&ca]));
    settings.concurrency = 2;
    let probes = sweep(endpoints.clone(), &settings).await;
    assert_eq!(probes.len(), endpoints.len());
    for (probe, endpoint) in probes.iter().zip(&endpoints) {
        assert_eq!(probe.endpoint, format!("{HOST}:{}", endpoint.port));
        let expected = if endpoint.port == closed {
            Status::Fail
        } else {
            Status::Pass
        };
        assert_eq!(probe.status, expected, "{probe:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_health_check_no_request_is_sent() {
    let ca = ca("test CA");
    let server = tls_servers::start(
        &identity(leaf(Some(&ca), &[HOST], -1, 90), &[]),
        &Options::default(),
    )
    .await
    .expect("server");
    let mut endpoint = endpoint(HOST, server.port());
    endpoint.health = false;
    endpoint.field = Some("tls.domain_name".into());
    let probe = probe_one(endpoint, &settings(roots(&[&ca]))).await;
    assert_eq!(probe.status, Status::Pass, "{probe:#?}");
    assert_eq!(probe.health_path, None);
    assert_eq!(server.requests(), 0);
    assert_eq!(probe.checks().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_trusted_roots_fails_every_endpoint_without_connecting() {
    let probes = sweep(
        vec![endpoint(HOST, 1), endpoint(HOST, 2)],
        &settings(Arc::new(RootCertStore::empty())),
    )
    .await;
    assert_eq!(probes.len(), 2);
    for probe in &probes {
        assert_failed(probe, Layer::TlsTrust);
        assert_eq!(probe.connect_ms, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wildcard_covers_exactly_one_label() {
    let ca = ca("test CA");
    let server = tls_servers::start(
        &identity(leaf(Some(&ca), &["*.sre-agent.internal"], -1, 90), &[]),
        &Options::default(),
    )
    .await
    .expect("server");
    let mut settings = settings(roots(&[&ca]));
    settings
        .resolve
        .push(("deep.backend.sre-agent.internal".into(), LOOPBACK));
    let probes = sweep(
        vec![
            endpoint(HOST, server.port()),
            endpoint("deep.backend.sre-agent.internal", server.port()),
        ],
        &settings,
    )
    .await;
    assert_eq!(probes[0].status, Status::Pass, "{:#?}", probes[0]);
    assert_failed(&probes[1], Layer::TlsName);
    assert_eq!(server.requests(), 1, "only the covered name got the health check");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_with_only_a_common_name_fails_at_tls_name() {
    let ca = ca("test CA");
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, HOST);
    params.not_before = now - days(1);
    params.not_after = now + days(90);
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &ca.issuer).expect("leaf");
    let (probe, requests) = serve_and_probe(
        &Identity::from_der(vec![cert.der().to_vec()], key.serialize_der()),
        &Options::default(),
        roots(&[&ca]),
    )
    .await;
    assert_failed(&probe, Layer::TlsName);
    assert!(probe.message.contains("no subjectAltName"), "{}", probe.message);
    assert_eq!(requests, 0);
}

/// The verdict the remote check should reach on a server presenting the files, from the file
/// checks: a failing `chain` or `strength` is a trust failure (rustls refuses SHA-1 and short RSA
/// keys as it refuses unknown issuers), `name` a name failure, `expiry` an expiry failure; with
/// several, the remote check reports trust first, then name, then expiry. An expiry warning is a
/// warning. The key and its permissions are not visible from the network.
fn expected_remote(files: &[sre_agent_deploy::verify::Check]) -> (Status, Option<Layer>) {
    let failing = |names: &[&str]| {
        files
            .iter()
            .any(|c| c.status == Status::Fail && names.contains(&c.name.as_str()))
    };
    if failing(&["chain", "strength"]) {
        (Status::Fail, Some(Layer::TlsTrust))
    } else if failing(&["name"]) {
        (Status::Fail, Some(Layer::TlsName))
    } else if failing(&["expiry"]) {
        (Status::Fail, Some(Layer::TlsExpiry))
    } else if files
        .iter()
        .any(|c| c.name == "expiry" && c.status == Status::Warn)
    {
        (Status::Warn, None)
    } else {
        (Status::Pass, None)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_verdict_agrees_with_the_file_checks_for_every_case() {
    use crate::support::certs::{self, Case};
    use sre_agent_deploy::config::TlsConfig;
    use sre_agent_deploy::verify::{tls_files, trust};

    let now = OffsetDateTime::now_utc();
    let mut compared = Vec::new();
    let mut unservable = Vec::new();
    for case in Case::ALL {
        let made = certs::make(case, HOST);
        let dir = tempfile::tempdir().expect("tempdir");
        certs::write(&made, dir.path());
        let tls = TlsConfig {
            domain_name: HOST.into(),
            ssl_cert_path: "fullchain.pem".into(),
            ssl_key_path: "privkey.pem".into(),
            ca_bundle_path: Some("ca.pem".into()),
            ..TlsConfig::default()
        };
        let files = tls_files::check_files(&tls, dir.path(), now);
        let expected = expected_remote(&files);
        let identity = Identity::from_pem(&made.chain_pem, &made.key_pem).expect("identity");
        let server = match tls_servers::start(&identity, &Options::default()).await {
            Ok(server) => server,
            Err(e) => {
                unservable.push((case, e.to_string()));
                continue;
            }
        };
        let mut settings = settings(trust::roots(&tls, dir.path()).expect("roots").rustls_store());
        settings.now = now;
        let probe = probe_one(endpoint(HOST, server.port()), &settings).await;
        assert_eq!(
            (probe.status, probe.failed_layer),
            expected,
            "{case:?}: the remote check disagrees with the file checks\nfiles: {files:#?}\nremote: {probe:#?}"
        );
        if probe.failed_layer.is_some() {
            assert_eq!(
                server.requests(),
                0,
                "{case:?}: no request over a failed certificate"
            );
        }
        compared.push(case);
    }
    eprintln!("compared {compared:?}; rustls cannot serve {unservable:?}");
    // A server cannot present a key that does not match its certificate: that defect only
    // exists in files.
    assert!(
        unservable
            .iter()
            .all(|(case, _)| matches!(case, Case::MismatchedKey | Case::OutOfOrderChain | Case::Rsa1024)),
        "{unservable:?}"
    );
    assert!(compared.len() >= Case::ALL.len() - 3, "{compared:?}");
}

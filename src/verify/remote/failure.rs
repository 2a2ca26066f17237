//! Why a probe stopped, in words: each low-level error (refused connect, rustls error, TLS alert,
//! HTTP status) becomes a [`Failure`] with its [`Layer`], a message that says what happened and a
//! fix. Pure functions; the probe decides when to call them.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use rustls::{AlertDescription, CertificateError};
use time::OffsetDateTime;

use super::verifier::{Seen, is_date_error};
use super::{Endpoint, Layer};
use crate::verify::certinfo::{self, CertSummary};

/// Why a probe stopped.
pub(super) struct Failure {
    pub layer: Layer,
    pub message: String,
    pub suggestion: Option<String>,
}

impl Failure {
    pub(super) fn new(layer: Layer, message: impl Into<String>, suggestion: impl Into<String>) -> Self {
        Self {
            layer,
            message: message.into(),
            suggestion: Some(suggestion.into()),
        }
    }

    pub(super) fn timeout(what: &str, limit: Duration, suggestion: impl Into<String>) -> Self {
        Self::new(
            Layer::Timeout,
            format!("{what} took longer than {}", human(limit)),
            suggestion,
        )
    }
}

pub(super) fn connect_failure(e: &io::Error, address: SocketAddr, endpoint: &Endpoint) -> Failure {
    let port = endpoint.port;
    let where_ = endpoint.field.as_deref().unwrap_or("the config");
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Failure::new(
            Layer::Tcp,
            format!("{address} refused the connection"),
            format!(
                "nothing is listening on port {port} there: start the backend, or check the port in \
                 {where_} (and the load balancer's listener, if there is one)"
            ),
        ),
        io::ErrorKind::TimedOut => Failure::new(
            Layer::Timeout,
            format!("the TCP connect to {address} timed out"),
            format!("allow inbound TCP {port} from this machine (security group, firewall)"),
        ),
        io::ErrorKind::NetworkUnreachable | io::ErrorKind::HostUnreachable => Failure::new(
            Layer::Tcp,
            format!("no route to {address} ({e})"),
            "check the address, and the VPN or VPC routing from this machine",
        ),
        _ => Failure::new(
            Layer::Tcp,
            format!("connecting to {address} failed: {e}"),
            format!("check that the backend is reachable on port {port}"),
        ),
    }
}

/// A certificate after the leaf is outside its validity window.
pub(super) fn chain_date_failure(seen: &Seen, now: OffsetDateTime) -> Failure {
    let stale = seen
        .chain
        .iter()
        .skip(1)
        .filter_map(|der| CertSummary::from_der(der).ok())
        .find(|c| now < c.not_before || now >= c.not_after);
    let message = match stale {
        Some(c) if now < c.not_before => format!(
            "the chain's certificate \"{}\" is not valid until {}",
            c.subject,
            certinfo::utc(c.not_before)
        ),
        Some(c) => format!(
            "the chain's certificate \"{}\" expired at {}",
            c.subject,
            certinfo::utc(c.not_after)
        ),
        None => "a certificate in the presented chain is outside its validity window".to_string(),
    };
    Failure::new(
        Layer::TlsExpiry,
        message,
        "serve the CA's current intermediate: rebuild the chain file (fullchain.pem) from the latest issuance",
    )
}

pub(super) fn handshake_failure(
    e: &io::Error,
    seen: &Seen,
    leaf: Option<&CertSummary>,
    endpoint: &Endpoint,
) -> Failure {
    let port = endpoint.port;
    let not_tls = || {
        Failure::new(
            Layer::TlsHandshake,
            "the server did not answer with TLS (plain HTTP on this port?)",
            format!("check that port {port} serves HTTPS, and that the URL names the TLS port"),
        )
    };
    let Some(error) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return match e.kind() {
            io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => {
                Failure::new(
                    Layer::TlsHandshake,
                    "the server closed the connection during the TLS handshake",
                    format!(
                        "check that port {port} serves TLS, and that the server has a certificate for \
                         {} (SNI)",
                        endpoint.host
                    ),
                )
            }
            _ => Failure::new(
                Layer::TlsHandshake,
                format!("the TLS handshake failed: {e}"),
                format!("check that port {port} serves TLS"),
            ),
        };
    };
    match error {
        rustls::Error::InvalidCertificate(cert_error) => certificate_failure(cert_error, seen, leaf),
        rustls::Error::NoCertificatesPresented => Failure::new(
            Layer::TlsTrust,
            "the server presented no certificate",
            "configure the server with its certificate chain",
        ),
        rustls::Error::AlertReceived(alert) => alert_failure(*alert, endpoint),
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => not_tls(),
        rustls::Error::PeerIncompatible(why) => Failure::new(
            Layer::TlsHandshake,
            format!("the server's TLS is incompatible with TLS 1.2/1.3 clients ({why:?})"),
            "enable TLS 1.2 or 1.3 on the server; older protocols are insecure and refused",
        ),
        other => Failure::new(
            Layer::TlsHandshake,
            format!("the TLS handshake failed: {other}"),
            format!("check the TLS settings of the server on port {port}"),
        ),
    }
}

/// The handshake stopped on the certificate: the chain does not reach a trusted root (or a date
/// problem that could not be separated from it).
fn certificate_failure(error: &CertificateError, seen: &Seen, leaf: Option<&CertSummary>) -> Failure {
    let trust_fix = "serve the full chain (leaf then intermediates, such as fullchain.pem); if a private \
                     CA signed it, set tls.ca_bundle_path to that CA's certificate";
    let presented = seen.chain.len();
    match error {
        CertificateError::UnknownIssuer => match leaf {
            Some(leaf) if leaf.self_issued => Failure::new(
                Layer::TlsTrust,
                format!(
                    "the server presented a self-signed certificate ({}) that is not a trusted root",
                    leaf.subject
                ),
                "use a certificate issued by a trusted CA, or set tls.ca_bundle_path to this certificate \
                 if it is meant to be trusted directly",
            ),
            Some(leaf) => Failure::new(
                Layer::TlsTrust,
                format!(
                    "the chain does not reach a trusted root (the certificate is issued by {}; {presented} \
                     certificate(s) presented)",
                    leaf.issuer
                ),
                trust_fix,
            ),
            None => Failure::new(
                Layer::TlsTrust,
                "the chain does not reach a trusted root",
                trust_fix,
            ),
        },
        e if is_date_error(&rustls::Error::InvalidCertificate(e.clone())) => Failure::new(
            Layer::TlsExpiry,
            format!("a certificate in the presented chain is outside its validity window ({e})"),
            "serve a current chain: renew the certificate and rebuild fullchain.pem",
        ),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => Failure::new(
            Layer::TlsTrust,
            "the certificate is not valid for TLS server authentication (extended key usage)",
            "re-issue it with the serverAuth extended key usage",
        ),
        CertificateError::BadSignature | CertificateError::BadEncoding => Failure::new(
            Layer::TlsTrust,
            format!("the presented chain is broken ({error})"),
            trust_fix,
        ),
        other => Failure::new(
            Layer::TlsTrust,
            format!("the certificate was rejected ({other})"),
            trust_fix,
        ),
    }
}

fn alert_failure(alert: AlertDescription, endpoint: &Endpoint) -> Failure {
    let (message, fix) = match alert {
        AlertDescription::HandshakeFailure
        | AlertDescription::ProtocolVersion
        | AlertDescription::InsufficientSecurity => (
            "the server shares no protocol version or cipher suite with this client".to_string(),
            "enable TLS 1.2 or 1.3 with modern cipher suites (ECDHE with AES-GCM or ChaCha20) on the server"
                .to_string(),
        ),
        AlertDescription::UnrecognisedName => (
            format!("the server has no certificate for {} (SNI)", endpoint.host),
            format!("configure the server (virtual host) for {}", endpoint.host),
        ),
        AlertDescription::CertificateRequired => (
            "the server requires a client certificate (mutual TLS)".to_string(),
            "this check presents no client certificate; check the server's client-auth setting".to_string(),
        ),
        other => (
            format!("the server ended the handshake with the alert {other:?}"),
            format!("check the server's TLS logs for port {}", endpoint.port),
        ),
    };
    Failure::new(Layer::TlsHandshake, message, fix)
}

pub(super) fn status_failure(status: u16, path: &str) -> Failure {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    let fix = match status {
        404 => format!(
            "the backend has no {path}: set verify.health_path to the path its health check answers on"
        ),
        401 | 403 => {
            "the health path requires authentication: point verify.health_path at an open health endpoint"
                .to_string()
        }
        300..=399 => format!("the backend redirects {path}: set verify.health_path to the final path"),
        500..=599 => {
            "the backend is up but reports an error: check its logs and its dependencies".to_string()
        }
        _ => format!("check what the backend answers on {path}"),
    };
    Failure::new(
        Layer::HttpStatus,
        format!("GET {path} returned {status}{reason}"),
        fix,
    )
}

/// `300 ms`, or `5 s` for whole seconds.
fn human(d: Duration) -> String {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_millis(300)), "300 ms");
        assert_eq!(human(Duration::from_secs(5)), "5 s");
        assert_eq!(human(Duration::from_millis(1500)), "1500 ms");
    }

    #[test]
    fn status_failures_name_the_status_and_a_fix() {
        let f = status_failure(503, "/health");
        assert_eq!(f.layer, Layer::HttpStatus);
        assert_eq!(f.message, "GET /health returned 503 Service Unavailable");
        assert!(
            status_failure(404, "/healthz")
                .suggestion
                .unwrap_or_default()
                .contains("verify.health_path")
        );
    }

    #[test]
    fn handshake_errors_are_classified_by_layer() {
        let endpoint = Endpoint {
            host: "b.corp".into(),
            port: 8011,
            field: None,
            health: true,
        };
        let wrap = |e: rustls::Error| io::Error::new(io::ErrorKind::InvalidData, e);
        let layer = |e: rustls::Error| handshake_failure(&wrap(e), &Seen::default(), None, &endpoint).layer;
        assert_eq!(
            layer(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            Layer::TlsTrust
        );
        assert_eq!(
            layer(rustls::Error::InvalidCertificate(CertificateError::Expired)),
            Layer::TlsExpiry
        );
        assert_eq!(
            layer(rustls::Error::InvalidCertificate(CertificateError::BadSignature)),
            Layer::TlsTrust
        );
        assert_eq!(
            layer(rustls::Error::AlertReceived(AlertDescription::HandshakeFailure)),
            Layer::TlsHandshake
        );
        assert_eq!(layer(rustls::Error::NoCertificatesPresented), Layer::TlsTrust);
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert_eq!(
            handshake_failure(&eof, &Seen::default(), None, &endpoint).layer,
            Layer::TlsHandshake
        );
    }

    #[test]
    fn refused_connections_are_tcp_failures() {
        let endpoint = Endpoint {
            host: "b.corp".into(),
            port: 8011,
            field: Some("gateway.targets[0].backend_url".into()),
            health: true,
        };
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let f = connect_failure(&refused, "10.0.0.1:8011".parse().expect("addr"), &endpoint);
        assert_eq!(f.layer, Layer::Tcp);
        assert!(
            f.suggestion
                .unwrap_or_default()
                .contains("gateway.targets[0].backend_url")
        );
    }
}

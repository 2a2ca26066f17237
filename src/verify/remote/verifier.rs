//! The certificate verifier the sweep's handshakes use. It wraps rustls's WebPKI verifier so that
//! a problem is classified precisely instead of ending the handshake with one opaque error: a chain
//! that does not reach a trusted root still fails the handshake (TLS trust), while a name mismatch
//! or a certificate outside its validity window is let through and recorded in the task-local
//! [`Seen`], for the probe to report as TLS name or TLS expiry. The probe then never sends a
//! request over such a connection. Outside a recording scope the verifier is as strict as the one
//! it wraps.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use time::OffsetDateTime;

use crate::verify::certinfo::CertSummary;

tokio::task_local! {
    /// What the verifier saw during the handshake running in this scope.
    pub(super) static SEEN: RefCell<Seen>;
}

/// What the verifier saw and forgave during one handshake.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// The presented chain: leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The chain reaches a trusted root, but does not cover the host name.
    pub name_mismatch: bool,
    /// The chain reaches a trusted root, but a certificate in it is outside its validity window.
    pub out_of_date: bool,
}

/// A WebPKI verifier that judges at a fixed moment and forgives (and records) name and date
/// problems of chains that reach a trusted root.
pub(super) struct Verifier {
    inner: Arc<WebPkiServerVerifier>,
    now: UnixTime,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    pub(super) fn new(
        roots: Arc<RootCertStore>,
        provider: Arc<CryptoProvider>,
        now: OffsetDateTime,
    ) -> Result<Self, String> {
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .map_err(|e| match e {
                rustls::client::VerifierBuilderError::NoRootAnchors => {
                    "there are no trusted root certificates to verify against".to_string()
                }
                other => format!("cannot build the certificate verifier: {other}"),
            })?;
        Ok(Self {
            inner,
            now: unix_time(now),
        })
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let recording = SEEN
            .try_with(|seen| {
                let mut seen = seen.borrow_mut();
                seen.chain = std::iter::once(end_entity)
                    .chain(intermediates)
                    .map(|c| c.clone().into_owned())
                    .collect();
            })
            .is_ok();
        let verify = |at| {
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, at)
        };
        let result = verify(self.now);
        if !recording {
            return result;
        }
        match result {
            Err(e) if is_name_error(&e) => {
                record(|seen| seen.name_mismatch = true);
                Ok(ServerCertVerified::assertion())
            }
            // WebPKI checks dates before looking for the issuer, so an out-of-date chain has not
            // been checked for trust yet: check it again at a moment inside the leaf's window.
            Err(e) if is_date_error(&e) => {
                let Some(inside) = leaf_midpoint(end_entity) else {
                    return Err(e);
                };
                match verify(inside) {
                    Ok(verified) => {
                        record(|seen| seen.out_of_date = true);
                        Ok(verified)
                    }
                    Err(again) if is_name_error(&again) => {
                        record(|seen| {
                            seen.out_of_date = true;
                            seen.name_mismatch = true;
                        });
                        Ok(ServerCertVerified::assertion())
                    }
                    // Still out of date (an intermediate's window): report the date problem.
                    Err(again) if is_date_error(&again) => Err(e),
                    Err(again) => Err(again),
                }
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        self.inner.root_hint_subjects()
    }
}

fn record(f: impl FnOnce(&mut Seen)) {
    let _ = SEEN.try_with(|seen| f(&mut seen.borrow_mut()));
}

pub(super) fn is_name_error(e: &Error) -> bool {
    matches!(
        e,
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}

pub(super) fn is_date_error(e: &Error) -> bool {
    matches!(
        e,
        Error::InvalidCertificate(
            CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
        )
    )
}

/// The middle of the leaf's validity window.
fn leaf_midpoint(leaf: &CertificateDer<'_>) -> Option<UnixTime> {
    let summary = CertSummary::from_der(leaf).ok()?;
    let middle = summary.not_before + (summary.not_after - summary.not_before) / 2;
    Some(unix_time(middle))
}

fn unix_time(t: OffsetDateTime) -> UnixTime {
    let secs = u64::try_from(t.unix_timestamp()).unwrap_or(0);
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs))
}

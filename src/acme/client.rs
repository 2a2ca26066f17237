//! The HTTPS client the ACME flow talks through: instant-acme's own hyper client over rustls,
//! trusting `ca_bundle_path` (a private ACME server) or the system roots, plus what the crate's
//! errors drop: the `Retry-After` of the CA's last refusal, which a rate-limited operator needs.

use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use super::AcmeError;

type Inner = Client<hyper_rustls::HttpsConnector<HttpConnector>, BodyWrapper<Bytes>>;

/// The client, and the last `Retry-After` the CA sent with a refusal.
#[derive(Clone)]
pub struct Http {
    inner: Inner,
    retry_after: Arc<Mutex<Option<String>>>,
}

impl Http {
    /// HTTPS only, trusting every certificate of `ca_bundle` when given, else the system roots.
    pub fn new(ca_bundle: Option<&Path>) -> Result<Self, AcmeError> {
        let roots = roots(ca_bundle)?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| AcmeError::Client(format!("TLS setup: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_only()
            .enable_http1()
            .build();
        Ok(Self {
            inner: Client::builder(TokioExecutor::new()).build(connector),
            retry_after: Arc::default(),
        })
    }

    /// The `Retry-After` of the last refusal (429 or 503), as the CA wrote it.
    pub fn retry_after(&self) -> Option<String> {
        self.retry_after
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl HttpClient for Http {
    fn request(
        &self,
        req: hyper::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let sent = HttpClient::request(&self.inner, req);
        let slot = Arc::clone(&self.retry_after);
        Box::pin(async move {
            let response = sent.await?;
            let status = response.parts.status.as_u16();
            if matches!(status, 429 | 503)
                && let Some(value) = response.parts.headers.get(hyper::header::RETRY_AFTER)
            {
                let value = value.to_str().unwrap_or_default().trim().to_string();
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
            }
            Ok(response)
        })
    }
}

fn roots(ca_bundle: Option<&Path>) -> Result<RootCertStore, AcmeError> {
    let mut store = RootCertStore::empty();
    match ca_bundle {
        Some(path) => {
            let bad = |message: String| {
                AcmeError::Client(format!("tls.acme.ca_bundle_path {}: {message}", path.display()))
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(e.to_string()))?;
            if certs.is_empty() {
                return Err(bad("no PEM certificate in it".into()));
            }
            for cert in certs {
                store.add(cert).map_err(|e| bad(e.to_string()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(AcmeError::Client(
                    "no system CA certificates: install ca-certificates, or set tls.acme.ca_bundle_path"
                        .into(),
                ));
            }
        }
    }
    Ok(store)
}

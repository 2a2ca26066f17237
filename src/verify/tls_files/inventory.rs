//! Every certificate in the configured files (`tls.ssl_cert_path`, then `tls.ca_bundle_path`),
//! for the x509 metrics of `verify --prometheus`. A file that does not read or parse is left out:
//! the file checks report it.

use std::path::Path;

use super::{pem, resolve};
use crate::config::TlsConfig;
use crate::verify::certinfo::CertSummary;

/// One certificate and the file it is in.
#[derive(Debug, Clone)]
pub struct FileCert {
    /// The file, absolute when it can be made so (as the x509-certificate-exporter labels it).
    pub path: String,
    pub summary: CertSummary,
}

/// The certificates of the chain file and the CA bundle, in file order.
pub fn certificates(tls: &TlsConfig, base_dir: &Path) -> Vec<FileCert> {
    let files = std::iter::once(&tls.ssl_cert_path)
        .chain(tls.ca_bundle_path.as_ref())
        .filter(|p| !p.as_os_str().is_empty());
    let mut found = Vec::new();
    for file in files {
        let path = resolve(base_dir, file);
        let Ok(ders) = pem::read_certs(&path) else {
            continue;
        };
        let shown = std::fs::canonicalize(&path).unwrap_or(path).display().to_string();
        found.extend(
            ders.iter()
                .filter_map(|der| CertSummary::from_der(der).ok())
                .map(|summary| FileCert {
                    path: shown.clone(),
                    summary,
                }),
        );
    }
    found
}

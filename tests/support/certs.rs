//! Certificate factory for tests and the demo: a CA and a server certificate it signs, written
//! as PEM files. Shared by `tests/` and `examples/demo-cert.rs`.

use std::error::Error;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};

/// The PEM files of one generated server certificate.
#[allow(dead_code)] // each test crate uses a different subset
pub struct CertFiles {
    /// Leaf then CA certificate.
    pub chain: PathBuf,
    /// The leaf's private key.
    pub key: PathBuf,
    /// The CA certificate alone, to trust as a bundle.
    pub ca: PathBuf,
}

/// Writes `fullchain.pem`, `privkey.pem` and `ca.pem` into `dir` for a server certificate naming
/// `domain`, valid from yesterday for `days` days.
pub fn write_chain(dir: &Path, domain: &str, days: i64) -> Result<CertFiles, Box<dyn Error>> {
    let now = OffsetDateTime::now_utc();
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "sre-agent-deploy test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = now - Duration::days(1);
    ca_params.not_after = now + Duration::days(days.max(1) + 365);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut leaf_params = CertificateParams::new(vec![domain.to_string()])?;
    leaf_params.distinguished_name.push(DnType::CommonName, domain);
    leaf_params.use_authority_key_identifier_extension = true;
    leaf_params.not_before = now - Duration::days(1);
    leaf_params.not_after = now + Duration::days(days);
    let leaf_key = KeyPair::generate()?;
    let leaf = leaf_params.signed_by(&leaf_key, &issuer)?;

    std::fs::create_dir_all(dir)?;
    let files = CertFiles {
        chain: dir.join("fullchain.pem"),
        key: dir.join("privkey.pem"),
        ca: dir.join("ca.pem"),
    };
    std::fs::write(&files.chain, format!("{}{}", leaf.pem(), ca_cert.pem()))?;
    std::fs::write(&files.key, leaf_key.serialize_pem())?;
    std::fs::write(&files.ca, ca_cert.pem())?;
    Ok(files)
}

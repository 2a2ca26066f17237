//! Certificate factory for tests, examples and the demo: a root CA, an intermediate it signs, and
//! server certificates the intermediate signs, good or broken in one named way each ([`Case`]),
//! as PEM text ([`Made`]) or files ([`CertFiles`]). Used by the tests and the examples; test
//! support only, so failures panic with a message.
//!
//! SHA-1: rcgen cannot sign with SHA-1, so [`Case::Sha1Signature`] takes a leaf signed with
//! sha256WithRSAEncryption and rewrites both algorithm fields to sha1WithRSAEncryption. The
//! signature bytes then do not verify, which changes nothing for TLS clients: they refuse the
//! SHA-1 algorithm before looking at the signature.

use std::error::Error;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SignatureAlgorithm,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer};
use time::{Duration, OffsetDateTime};

/// One way a server certificate can be, good or broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// ECDSA P-256 leaf for the domain, valid for 90 days, full chain.
    Valid,
    /// An ECDSA P-384 key.
    P384Key,
    /// An Ed25519 key.
    Ed25519Key,
    /// An RSA 2048 key.
    Rsa2048Key,
    /// `*.<parent of the domain>`, which covers the domain.
    Wildcard,
    /// 20 days left: under the default warn_days (30).
    ExpiresIn20Days,
    /// 5 days left: under the default fail_days (7).
    ExpiresIn5Days,
    /// Expired 10 days ago.
    Expired,
    /// Valid from 10 days from now.
    NotYetValid,
    /// Issued for another name.
    WrongName,
    /// No subject alternative names, only the domain as the common name.
    CnOnly,
    /// Self-signed leaf, no chain.
    SelfSigned,
    /// A 1024-bit RSA key.
    Rsa1024,
    /// A leaf whose signature algorithm is SHA-1 (see the module header).
    Sha1Signature,
    /// The key file holds another key.
    MismatchedKey,
    /// The chain file has the intermediate before the leaf.
    OutOfOrderChain,
    /// The chain file has the leaf only.
    MissingIntermediate,
}

impl Case {
    pub const ALL: [Self; 17] = [
        Self::Valid,
        Self::P384Key,
        Self::Ed25519Key,
        Self::Rsa2048Key,
        Self::Wildcard,
        Self::ExpiresIn20Days,
        Self::ExpiresIn5Days,
        Self::Expired,
        Self::NotYetValid,
        Self::WrongName,
        Self::CnOnly,
        Self::SelfSigned,
        Self::Rsa1024,
        Self::Sha1Signature,
        Self::MismatchedKey,
        Self::OutOfOrderChain,
        Self::MissingIntermediate,
    ];
}

/// A generated server certificate as PEM text.
#[derive(Debug, Clone)]
#[allow(clippy::struct_field_names)] // they are all PEM text, and the names say which file
pub struct Made {
    /// The chain file: leaf first, then the intermediate (unless the case says otherwise).
    pub chain_pem: String,
    /// The leaf's private key (PKCS#8).
    pub key_pem: String,
    /// The root CA alone, to trust as a bundle.
    pub ca_pem: String,
}

/// The PEM files of one generated server certificate.
pub struct CertFiles {
    /// `fullchain.pem`: leaf then intermediate.
    pub chain: PathBuf,
    /// `privkey.pem`: the leaf's private key (mode 0600 on Unix).
    pub key: PathBuf,
    /// `ca.pem`: the root CA, to trust as a bundle.
    pub ca: PathBuf,
}

/// A server certificate for `domain` in the shape `case` names.
pub fn make(case: Case, domain: &str) -> Made {
    try_make(case, domain).unwrap_or_else(|e| panic!("generating {case:?} for {domain}: {e}"))
}

/// An ECDSA P-256 leaf for `names` (the first is also the common name) with the given validity,
/// under a fresh root and intermediate.
pub fn leaf(names: &[String], not_before: OffsetDateTime, not_after: OffsetDateTime) -> Made {
    let build = || -> Result<Made, Box<dyn Error>> {
        let ca = Authority::new(KeyPair::generate()?)?;
        let key = KeyPair::generate()?;
        let cert = leaf_params(
            names,
            names.first().map_or("leaf", String::as_str),
            not_before,
            not_after,
        )?
        .signed_by(&key, &ca.inter)?;
        Ok(ca.made(&cert.pem(), &key))
    };
    build().unwrap_or_else(|e| panic!("generating a leaf for {names:?}: {e}"))
}

/// Writes `fullchain.pem`, `privkey.pem` (mode 0600) and `ca.pem` into `dir`.
pub fn write(made: &Made, dir: &Path) -> CertFiles {
    try_write(made, dir).unwrap_or_else(|e| panic!("writing certificates into {}: {e}", dir.display()))
}

/// Writes the files of a valid server certificate naming `domain`, valid from yesterday for
/// `days` days.
pub fn write_chain(dir: &Path, domain: &str, days: i64) -> Result<CertFiles, Box<dyn Error>> {
    let now = OffsetDateTime::now_utc();
    let ca = Authority::new(KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let cert = leaf_params(
        &[domain.to_string()],
        domain,
        now - Duration::days(1),
        now + Duration::days(days),
    )?
    .signed_by(&key, &ca.inter)?;
    Ok(try_write(&ca.made(&cert.pem(), &key), dir)?)
}

/// The chain and key as rustls wants them for a server.
pub fn server_chain_der(made: &Made) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let chain = CertificateDer::pem_slice_iter(made.chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("generated chain parses");
    let key = PrivateKeyDer::from_pem_slice(made.key_pem.as_bytes()).expect("generated key parses");
    (chain, key)
}

fn try_write(made: &Made, dir: &Path) -> std::io::Result<CertFiles> {
    std::fs::create_dir_all(dir)?;
    let files = CertFiles {
        chain: dir.join("fullchain.pem"),
        key: dir.join("privkey.pem"),
        ca: dir.join("ca.pem"),
    };
    std::fs::write(&files.chain, &made.chain_pem)?;
    std::fs::write(&files.key, &made.key_pem)?;
    std::fs::write(&files.ca, &made.ca_pem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(files)
}

/// A root CA and an intermediate CA it signed.
struct Authority {
    root_pem: String,
    inter_pem: String,
    inter: Issuer<'static, KeyPair>,
}

impl Authority {
    /// A fresh ECDSA root, and an intermediate with `inter_key`, both valid for years around now.
    fn new(inter_key: KeyPair) -> Result<Self, rcgen::Error> {
        let root_key = KeyPair::generate()?;
        let root_params = ca_params("sre-agent-deploy test root CA")?;
        let root_pem = root_params.self_signed(&root_key)?.pem();
        let root = Issuer::new(root_params, root_key);
        let inter_params = ca_params("sre-agent-deploy test intermediate CA")?;
        let inter_pem = inter_params.signed_by(&inter_key, &root)?.pem();
        Ok(Self {
            root_pem,
            inter_pem,
            inter: Issuer::new(inter_params, inter_key),
        })
    }

    /// The usual files: `leaf_pem` then the intermediate, the key, the root.
    fn made(&self, leaf_pem: &str, key: &KeyPair) -> Made {
        Made {
            chain_pem: format!("{leaf_pem}{}", self.inter_pem),
            key_pem: key.serialize_pem(),
            ca_pem: self.root_pem.clone(),
        }
    }
}

fn ca_params(name: &str) -> Result<CertificateParams, rcgen::Error> {
    let now = OffsetDateTime::now_utc();
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.use_authority_key_identifier_extension = true;
    params.not_before = now - Duration::days(400);
    params.not_after = now + Duration::days(3650);
    Ok(params)
}

fn leaf_params(
    names: &[String],
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(names.to_vec())?;
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    Ok(params)
}

fn try_make(case: Case, domain: &str) -> Result<Made, Box<dyn Error>> {
    let now = OffsetDateTime::now_utc();
    let days = Duration::days;
    let names = vec![domain.to_string()];
    let (mut from, mut until) = (now - days(1), now + days(90));
    let mut cert_names = names.clone();
    let mut key_alg: &'static SignatureAlgorithm = &rcgen::PKCS_ECDSA_P256_SHA256;
    match case {
        Case::Valid
        | Case::SelfSigned
        | Case::MismatchedKey
        | Case::OutOfOrderChain
        | Case::MissingIntermediate => {}
        Case::P384Key => key_alg = &rcgen::PKCS_ECDSA_P384_SHA384,
        Case::Ed25519Key => key_alg = &rcgen::PKCS_ED25519,
        Case::Rsa2048Key => key_alg = &rcgen::PKCS_RSA_SHA256,
        Case::Wildcard => {
            let parent = domain.split_once('.').map_or(domain, |(_, p)| p);
            cert_names = vec![format!("*.{parent}")];
        }
        Case::ExpiresIn20Days => (from, until) = (now - days(70), now + days(20)),
        Case::ExpiresIn5Days => (from, until) = (now - days(85), now + days(5)),
        Case::Expired => (from, until) = (now - days(100), now - days(10)),
        Case::NotYetValid => (from, until) = (now + days(10), now + days(100)),
        Case::WrongName => cert_names = vec![format!("wrong-{domain}")],
        Case::CnOnly => cert_names = Vec::new(),
        Case::Rsa1024 => return rsa_1024(domain, from, until),
        Case::Sha1Signature => return sha1(domain, from, until),
    }
    let ca = Authority::new(KeyPair::generate()?)?;
    let key = KeyPair::generate_for(key_alg)?;
    let params = leaf_params(&cert_names, domain, from, until)?;
    let mut made = if case == Case::SelfSigned {
        Made {
            chain_pem: params.self_signed(&key)?.pem(),
            key_pem: key.serialize_pem(),
            ca_pem: ca.root_pem.clone(),
        }
    } else {
        ca.made(&params.signed_by(&key, &ca.inter)?.pem(), &key)
    };
    match case {
        Case::MismatchedKey => made.key_pem = KeyPair::generate()?.serialize_pem(),
        Case::OutOfOrderChain => {
            made.chain_pem = format!("{}{}", ca.inter_pem, made.chain_pem.replace(&ca.inter_pem, ""));
        }
        Case::MissingIntermediate => made.chain_pem = made.chain_pem.replace(&ca.inter_pem, ""),
        _ => {}
    }
    Ok(made)
}

/// A fixed 1024-bit RSA key, test-only: aws-lc-rs does not generate keys under 2048 bits.
/// Made once with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`.
const RSA_1024_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBALTaeK7zmZC3W8dw
5qkgRLv7vh0K7a3iagAv+pHjOxajYOd5K8X4LRHGdiD7E8309HNqTDw6oHXBSONC
tjuDvtk/vSNY6CQn7A09lKbSH1Pg+Upn8EJR1x+4H3XoVkzLHvtEmHsl/RHzDMKa
Ks/y6w6baZUpIbS8D9T8gA5CV89XAgMBAAECgYBdKmKbNdB5NYvpLScWHxJpiKEC
UxvnxMh4ej7popZQ7i9AbzJ2lIebLZKzIMSuB69aOXs2V7lLkBudP0OjWxYX88yq
8OKybMNP3XK3LgCiQ/WEMM23Pk+WvV/1kuDDF4Vyj4L7Oew4j+GIRUdrFR48GI6W
Bq33VOPh+sGMkcCSIQJBAOxNV3Oimltp9P1BJVMz6OJXu0zlJTH6jN79luebQspw
mrLU7XUbtnON/2l08PXAQnDyK4pTNLgiNnvHAB6TQYcCQQDD7dxt5lPOc4vb8RuY
BRF3+KkW1ACTSXYE20TTJAty5T7ANDJZrPrc93CxGIEWjy0Fftypy0b+krvV4027
0LexAkAGi1HLswohU/rj9KTq+/oMIq/ePk5cZvr1xgIi4erknl+6aik1YBIaeylC
q2ls9OkiJaLNDubb3p6xqN44+o0LAkAjWhrI1aNPf/e/UqzI7DkvrXVNAimsabfa
vnmXo0xRid2dro1bMuP81MTHn4VDPchA0pgcJuqDapRrzlyrQ8ixAkByaU4MPjkw
8J9HCtja35VlIDxuJlSNkcmnmyVxjaanQU1AQH2c/gD6yJlrIOXkweqcsJ4g/7eP
4FXR4F1zx0J0
-----END PRIVATE KEY-----
";

/// The public half of [`RSA_1024_KEY`] (`openssl pkey -pubout`).
const RSA_1024_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC02niu85mQt1vHcOapIES7+74d
Cu2t4moAL/qR4zsWo2DneSvF+C0RxnYg+xPN9PRzakw8OqB1wUjjQrY7g77ZP70j
WOgkJ+wNPZSm0h9T4PlKZ/BCUdcfuB916FZMyx77RJh7Jf0R8wzCmirP8usOm2mV
KSG0vA/U/IAOQlfPVwIDAQAB
-----END PUBLIC KEY-----
";

/// A public key rcgen can put in a certificate without holding the private key.
struct RsaPublic(Vec<u8>);

impl PublicKeyData for RsaPublic {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn rsa_1024(domain: &str, from: OffsetDateTime, until: OffsetDateTime) -> Result<Made, Box<dyn Error>> {
    // SubjectPublicKeyInfo: SEQUENCE (3 bytes), AlgorithmIdentifier (15), BIT STRING header and
    // unused-bits byte (4), then the RSAPublicKey that rcgen wants.
    let spki = SubjectPublicKeyInfoDer::from_pem_slice(RSA_1024_PUBLIC.as_bytes())?;
    let rsa_public = spki.as_ref().get(22..).ok_or("short RSA public key")?.to_vec();
    let ca = Authority::new(KeyPair::generate()?)?;
    let cert = leaf_params(&[domain.to_string()], domain, from, until)?
        .signed_by(&RsaPublic(rsa_public), &ca.inter)?;
    Ok(Made {
        chain_pem: format!("{}{}", cert.pem(), ca.inter_pem),
        key_pem: RSA_1024_KEY.to_string(),
        ca_pem: ca.root_pem,
    })
}

fn sha1(domain: &str, from: OffsetDateTime, until: OffsetDateTime) -> Result<Made, Box<dyn Error>> {
    const SHA256_RSA: [u8; 11] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    let ca = Authority::new(KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?)?;
    let key = KeyPair::generate()?;
    let cert = leaf_params(&[domain.to_string()], domain, from, until)?.signed_by(&key, &ca.inter)?;
    let mut der = cert.der().to_vec();
    let found: Vec<usize> = der
        .windows(SHA256_RSA.len())
        .enumerate()
        .filter(|(_, w)| *w == SHA256_RSA)
        .map(|(i, _)| i)
        .collect();
    if found.len() != 2 {
        return Err(format!("expected 2 signature algorithm fields, found {}", found.len()).into());
    }
    for start in found {
        der[start + SHA256_RSA.len() - 1] = 0x05; // sha1WithRSAEncryption
    }
    Ok(ca.made(&pem_of("CERTIFICATE", &der), &key))
}

fn pem_of(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

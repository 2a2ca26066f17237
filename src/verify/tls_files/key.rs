//! The private key file: loading it (`key` fails when it is missing, encrypted or unreadable),
//! whether it belongs to the server certificate (`key`), and whether others can read it
//! (`permissions`). The key's size is not judged here: `strength` does that from the certificate.
//! Never prints or logs key material.

use std::path::Path;

use rustls_pki_types::PrivateKeyDer;
use x509_parser::der_parser::parse_der;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

use super::pem::{self, KeyError};
use super::{Chain, KEY_FIELD};
use crate::config::TlsConfig;
use crate::verify::check::{Check, Component, Status};

/// The OID of rsaEncryption in a PKCS#8 AlgorithmIdentifier.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// The key file's private key, or the failed `key` check saying why there is none.
#[allow(clippy::result_large_err)] // the error is the finding itself, made once per run
pub(super) fn load(tls: &TlsConfig, path: &Path, shown: &str) -> Result<PrivateKeyDer<'static>, Check> {
    let fail = |message: String, fix: &str| {
        Check::new(Component::TlsFiles, "key", shown, Status::Fail, message)
            .field(KEY_FIELD)
            .suggest(fix)
    };
    if tls.ssl_key_path.as_os_str().is_empty() {
        return Err(fail(
            "tls.ssl_key_path is not set".into(),
            "point tls.ssl_key_path at the certificate's PEM private key (certbot: privkey.pem)",
        ));
    }
    pem::read_key(path).map_err(|e| match e {
        KeyError::Read(message) => fail(
            message,
            "check the path (relative paths are relative to the config file's folder) and that this \
             user can read the file",
        ),
        KeyError::Encrypted => fail(
            format!("{shown} is encrypted with a passphrase; the backend server must load it unattended"),
            "write an unencrypted copy readable only by the server: \
             `openssl pkey -in key.pem -out key.plain.pem && chmod 600 key.plain.pem`",
        ),
        KeyError::Missing { holds_certificate } => fail(
            format!(
                "{shown} holds no PEM private key{}",
                if holds_certificate {
                    " but a certificate"
                } else {
                    ""
                }
            ),
            if holds_certificate {
                "the certificate and key paths look swapped"
            } else {
                "point tls.ssl_key_path at a PEM file with a BEGIN PRIVATE KEY block; convert DER with \
                 `openssl pkey -inform der -in key.der -out key.pem`"
            },
        ),
        KeyError::Broken(why) => fail(
            format!("{shown} is not a valid PEM private key: {why}"),
            "re-export the key in PEM form: `openssl pkey -in key -out key.pem`",
        ),
    })
}

/// `key`: whether `key` is the private half of the server certificate's public key.
pub(super) fn matches(key: &PrivateKeyDer<'_>, chain: &Chain, shown: &str) -> Check {
    let leaf = chain.leaf();
    let described = format!("{} {}", leaf.key_algorithm, leaf.key_bits);
    let make = |status, message: String| {
        Check::new(Component::TlsFiles, "key", shown, status, message)
            .field(KEY_FIELD)
            .detail("key_algorithm", leaf.key_algorithm.clone())
            .detail("key_bits", leaf.key_bits)
    };
    match key_matches(key, &chain.ders[chain.leaf]) {
        Some(true) => make(
            Status::Pass,
            format!("the private key ({described}) matches the server certificate"),
        ),
        Some(false) => make(
            Status::Fail,
            format!(
                "the private key does not belong to the server certificate {} ({described}); the \
                 server could not complete a TLS handshake with it",
                leaf.subject
            ),
        )
        .suggest(
            "use the key generated with this certificate (certbot keeps it as privkey.pem next to \
             fullchain.pem); compare `openssl x509 -noout -pubkey -in cert.pem | openssl sha256` with \
             `openssl pkey -pubout -in key.pem | openssl sha256`",
        ),
        None => make(
            Status::Fail,
            "the private key's type is not supported (supported: RSA, ECDSA P-256/P-384, Ed25519)".into(),
        )
        .suggest("issue the certificate for an ECDSA P-256 or RSA 2048+ key"),
    }
}

/// Whether the key's public half is the certificate's; `None` when the key cannot be read.
fn key_matches(key: &PrivateKeyDer<'_>, cert_der: &[u8]) -> Option<bool> {
    let (_, cert) = X509Certificate::from_der(cert_der).ok()?;
    let spki = cert.public_key();
    if let Ok(signing) = rustls::crypto::aws_lc_rs::sign::any_supported_type(key) {
        return Some(signing.public_key()?.as_ref() == spki.raw);
    }
    // aws-lc-rs refuses RSA keys under 2048 bits; compare the modulus so that such a key is
    // reported once, as weak (by `strength`), and not also as unreadable here.
    let modulus = rsa_modulus(key)?;
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => Some(trim_zeros(rsa.modulus) == trim_zeros(&modulus)),
        _ => Some(false),
    }
}

/// The modulus of an RSA private key (PKCS#8 or PKCS#1).
fn rsa_modulus(key: &PrivateKeyDer<'_>) -> Option<Vec<u8>> {
    let pkcs1 = match key {
        PrivateKeyDer::Pkcs1(k) => k.secret_pkcs1_der().to_vec(),
        PrivateKeyDer::Pkcs8(k) => {
            // PrivateKeyInfo ::= SEQUENCE { version, AlgorithmIdentifier, OCTET STRING privateKey }
            let (_, info) = parse_der(k.secret_pkcs8_der()).ok()?;
            let fields = info.as_sequence().ok()?;
            let algorithm = fields
                .get(1)?
                .as_sequence()
                .ok()?
                .first()?
                .as_oid()
                .ok()?
                .to_id_string();
            if algorithm != RSA_ENCRYPTION {
                return None;
            }
            fields.get(2)?.as_slice().ok()?.to_vec()
        }
        _ => return None,
    };
    // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... }
    let (_, rsa) = parse_der(&pkcs1).ok()?;
    Some(rsa.as_sequence().ok()?.get(1)?.as_slice().ok()?.to_vec())
}

fn trim_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// `permissions`: a private key that every local user can read is a warning.
pub(super) fn permissions(path: &Path, shown: &str) -> Check {
    let make = |status, message: String| {
        Check::new(Component::TlsFiles, "permissions", shown, status, message).field(KEY_FIELD)
    };
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => return make(Status::Skip, format!("not checked: cannot read {shown}: {e}")),
    };
    mode_verdict(&metadata, shown, make)
}

#[cfg(unix)]
fn mode_verdict(metadata: &std::fs::Metadata, shown: &str, make: impl Fn(Status, String) -> Check) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    let octal = format!("{mode:04o}");
    if mode & 0o004 != 0 {
        make(
            Status::Warn,
            format!("the private key is readable by every user on this machine (mode {octal})"),
        )
        .suggest(format!(
            "`chmod 600 {shown}` (or 640 with a group the server runs as)"
        ))
        .detail("mode", octal)
    } else {
        make(
            Status::Pass,
            format!("the private key is not world-readable (mode {octal})"),
        )
        .detail("mode", octal)
    }
}

#[cfg(not(unix))]
fn mode_verdict(
    _metadata: &std::fs::Metadata,
    _shown: &str,
    make: impl Fn(Status, String) -> Check,
) -> Check {
    make(Status::Skip, "not checked: file modes are a Unix notion".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_zeros_drops_the_sign_byte() {
        assert_eq!(trim_zeros(&[0, 0, 0x80, 1]), &[0x80, 1]);
        assert_eq!(trim_zeros(&[0, 0]), &[] as &[u8]);
    }

    #[test]
    fn rsa_modulus_is_none_for_other_keys() {
        let key = rcgen::KeyPair::generate().expect("key");
        let der = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        assert_eq!(rsa_modulus(&der), None);
    }

    #[cfg(unix)]
    #[test]
    fn world_readable_keys_warn() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key.pem");
        std::fs::write(&path, "k").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let check = permissions(&path, "key.pem");
        assert_eq!(check.status, Status::Warn);
        assert!(check.message.contains("0644"), "{}", check.message);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert_eq!(permissions(&path, "key.pem").status, Status::Pass);
        assert_eq!(permissions(&dir.path().join("nope"), "nope").status, Status::Skip);
    }
}

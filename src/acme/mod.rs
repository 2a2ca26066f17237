//! Certificates from an ACME CA (RFC 8555: Let's Encrypt, a commercial CA, an internal step-ca),
//! through `instant-acme`. This module runs one issuance: account, order, challenge, finalize,
//! chain. It writes no certificate files and prints nothing; the key comes back in a redacting
//! type.
//!
//! HTTP-01 is answered by the tool's own responder ([`http01`]) or by token files in a web
//! server's folder ([`webroot`]); DNS-01 by TXT records in Route 53 ([`dns01`]), removed after
//! the order whatever its outcome. The account's credentials (its key) are kept in one file,
//! mode 0600, and reused.

pub mod client;
pub mod dns01;
pub mod http01;
pub mod install;
pub mod provision;
pub mod webroot;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder,
    OrderStatus, RetryPolicy,
};
use secrecy::SecretString;

use crate::aws::AwsError;
use crate::config::acme::KeyType;
use crate::files::{self, FileError};

/// How the HTTP-01 challenge is answered.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The tool listens here (the CA connects to port 80 of the domain).
    Listen(SocketAddr),
    /// Token files under `<folder>/.well-known/acme-challenge/`, for a running web server.
    Webroot(PathBuf),
    /// DNS-01: TXT records in Route 53.
    Dns(dns01::Dns01),
}

/// One issuance.
#[derive(Debug, Clone)]
pub struct IssueRequest<'a> {
    pub directory_url: &'a str,
    /// A CA bundle to trust the directory with (a private ACME server); else the system's roots.
    pub ca_bundle: Option<&'a Path>,
    pub email: Option<&'a str>,
    pub domain: &'a str,
    pub answer: Answer,
    /// The account's credentials file (created mode 0600 on first use, then reused).
    pub account_file: &'a Path,
    /// The new certificate's key.
    pub key_type: KeyType,
}

/// What the CA issued: the leaf then its chain, and the new private key.
pub struct Issued {
    pub chain_pem: String,
    pub key_pem: SecretString,
    /// A DNS-01 record that could not be removed afterwards (a warning: the certificate is good).
    pub leftover: Option<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"[REDACTED]")
            .field("leftover", &self.leftover)
            .finish()
    }
}

/// Why an issuance failed, with the CA's problem document where there is one.
#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    #[error("the ACME server refused: {kind}: {detail}{}", retry_after.as_deref().map(|r| format!(" (Retry-After: {r})")).unwrap_or_default())]
    Problem {
        kind: String,
        detail: String,
        /// The `Retry-After` the CA sent with the refusal, as it wrote it.
        retry_after: Option<String>,
    },
    #[error("cannot listen for the HTTP-01 challenge on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the order for {domain} ended {status}")]
    Order { domain: String, status: String },
    #[error("the ACME server offered no {0} challenge")]
    NoChallenge(&'static str),
    #[error("ACME: {0}")]
    Client(String),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("the ACME account file {path} cannot be read: {message}")]
    Account { path: PathBuf, message: String },
    #[error("DNS-01: {0}")]
    Dns(#[from] AwsError),
    #[error("DNS-01: no public Route 53 hosted zone of this account holds {0}")]
    NoZone(String),
    #[error("{error}; and the TXT record {record} is still in hosted zone {zone}: {why}")]
    Leftover {
        error: Box<AcmeError>,
        record: String,
        zone: String,
        why: String,
    },
}

impl AcmeError {
    pub fn suggestion(&self) -> String {
        match self {
            Self::Problem { kind, retry_after, .. } if kind.ends_with(":rateLimited") => match retry_after {
                Some(when) => format!(
                    "the CA's rate limit was reached: run again after {} (its Retry-After), or use its staging directory meanwhile",
                    retry_when(when)
                ),
                None => "the CA's rate limit was reached: wait as it says, or use its staging directory meanwhile".into(),
            },
            Self::Problem { kind, .. } if kind.ends_with(":connection") || kind.ends_with(":dns") => {
                "the CA could not reach this host for the domain: check the domain's DNS points here and the port is open".into()
            }
            Self::Problem { kind, .. } if kind.ends_with(":invalidContact") => {
                "fix the email address in tls.acme.email".into()
            }
            Self::Problem { .. } | Self::Order { .. } => "fix the cause the CA names, then run again".into(),
            Self::Listen { .. } => {
                "free the port, or serve the challenge from a running web server with tls.acme.webroot".into()
            }
            Self::NoChallenge(_) => "choose the other challenge type in tls.acme.challenge".into(),
            Self::Client(_) => "check the directory URL and that this host reaches it (and ca_bundle_path for a private CA)".into(),
            Self::File(e) => e.suggestion(),
            Self::Account { path, .. } => format!(
                "move {} away to register a new account, or restore it from a backup",
                path.display()
            ),
            Self::Dns(e) => format!(
                "{} (DNS-01 needs route53:ListHostedZones, route53:ChangeResourceRecordSets and route53:GetChange)",
                e.suggestion()
            ),
            Self::NoZone(_) => {
                "set tls.acme.route53_hosted_zone_id to the zone that serves the domain, or use challenge: http-01".into()
            }
            Self::Leftover { error, record, zone, .. } => format!(
                "{}; then delete the TXT record {record} in hosted zone {zone}",
                error.suggestion()
            ),
        }
    }
}

/// `Retry-After` for people: seconds become a UTC time; an HTTP date stays as written.
fn retry_when(value: &str) -> String {
    match value.parse::<i64>() {
        Ok(seconds) => {
            let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
            let at = at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| "?".into());
            format!("{at} ({seconds} s from now)")
        }
        Err(_) => value.to_string(),
    }
}

impl From<instant_acme::Error> for AcmeError {
    fn from(error: instant_acme::Error) -> Self {
        match error {
            instant_acme::Error::Api(problem) => Self::Problem {
                kind: problem.r#type.unwrap_or_else(|| "(no type)".into()),
                detail: problem.detail.unwrap_or_else(|| "(no detail)".into()),
                retry_after: None,
            },
            other => Self::Client(other.to_string()),
        }
    }
}

/// Gets a certificate for `request.domain`. DNS-01 records written are removed afterwards,
/// whatever the outcome.
pub async fn issue(request: &IssueRequest<'_>) -> Result<Issued, AcmeError> {
    let http = client::Http::new(request.ca_bundle)?;
    let mut published = dns01::Published::default();
    let mut outcome = order(request, &http, &mut published).await;
    // The slot holds the last 429/503's header: it belongs to a rate-limit refusal only.
    if let Err(AcmeError::Problem {
        kind, retry_after, ..
    }) = &mut outcome
        && kind.ends_with(":rateLimited")
    {
        *retry_after = http.retry_after();
    }
    let removed = match &request.answer {
        Answer::Dns(dns) => published.remove(dns).await,
        Answer::Listen(_) | Answer::Webroot(_) => Ok(()),
    };
    match (outcome, removed) {
        (outcome, Ok(())) => outcome,
        (Ok(mut issued), Err(left)) => {
            issued.leftover = Some(format!(
                "the TXT record {} is still in hosted zone {} ({}): delete it",
                left.record, left.zone, left.error
            ));
            Ok(issued)
        }
        (Err(error), Err(left)) => Err(AcmeError::Leftover {
            error: Box::new(error),
            record: left.record,
            zone: left.zone,
            why: left.error.to_string(),
        }),
    }
}

/// The order itself: account, authorizations answered, finalize, chain.
async fn order(
    request: &IssueRequest<'_>,
    http: &client::Http,
    published: &mut dns01::Published,
) -> Result<Issued, AcmeError> {
    // Listen first: a taken port fails before an account or an order is made.
    let responder = match &request.answer {
        Answer::Listen(addr) => Some(
            http01::Responder::bind(*addr)
                .await
                .map_err(|source| AcmeError::Listen { addr: *addr, source })?,
        ),
        Answer::Webroot(_) | Answer::Dns(_) => None,
    };
    let mut tokens = match &request.answer {
        Answer::Webroot(folder) => Some(webroot::Tokens::new(folder)),
        Answer::Listen(_) | Answer::Dns(_) => None,
    };
    let account = account(request, http).await?;
    let identifiers = [Identifier::Dns(request.domain.to_string())];
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let mut authorizations = order.authorizations();
    while let Some(authorization) = authorizations.next().await {
        let mut authorization = authorization?;
        match authorization.status {
            AuthorizationStatus::Pending => {}
            AuthorizationStatus::Valid => continue,
            other => {
                return Err(AcmeError::Order {
                    domain: request.domain.to_string(),
                    status: format!("{other:?}").to_lowercase(),
                });
            }
        }
        let (kind, name) = match request.answer {
            Answer::Dns(_) => (ChallengeType::Dns01, "dns-01"),
            Answer::Listen(_) | Answer::Webroot(_) => (ChallengeType::Http01, "http-01"),
        };
        let mut challenge = authorization
            .challenge(kind)
            .ok_or(AcmeError::NoChallenge(name))?;
        let key_authorization = challenge.key_authorization();
        match &request.answer {
            Answer::Listen(_) => {
                if let Some(responder) = &responder {
                    responder.add(&challenge.token, key_authorization.as_str());
                }
            }
            Answer::Webroot(_) => {
                if let Some(tokens) = &mut tokens {
                    tokens.add(&challenge.token, key_authorization.as_str())?;
                }
            }
            Answer::Dns(dns) => {
                let domain = match challenge.identifier().identifier {
                    Identifier::Dns(domain) => domain.clone(),
                    _ => request.domain.to_string(),
                };
                published
                    .publish(dns, &domain, &key_authorization.dns_value())
                    .await?;
            }
        }
        challenge.set_ready().await?;
    }
    let retries = RetryPolicy::default().timeout(Duration::from_mins(2));
    let status = order.poll_ready(&retries).await?;
    if status != OrderStatus::Ready {
        // The authorization's problem says why (a domain that does not resolve here, a port
        // the CA cannot reach, a TXT record it did not see).
        let why = order
            .authorizations()
            .next()
            .await
            .and_then(Result::ok)
            .and_then(|a| a.challenges.iter().find_map(|c| c.error.clone()));
        return Err(match why {
            Some(problem) => AcmeError::from(instant_acme::Error::Api(problem)),
            None => AcmeError::Order {
                domain: request.domain.to_string(),
                status: format!("{status:?}").to_lowercase(),
            },
        });
    }
    // The key is made here (not by the CA), in the configured type, and leaves only as PEM.
    let (key, csr) = key_and_csr(request.domain, request.key_type)?;
    order.finalize_csr(&csr).await?;
    let key_pem = key.serialize_pem();
    let chain_pem = order.poll_certificate(&retries).await?;
    drop((responder, tokens));
    Ok(Issued {
        chain_pem,
        key_pem: SecretString::from(key_pem),
        leftover: None,
    })
}

/// A new key of `key_type` and a CSR for `domain` signed with it.
fn key_and_csr(domain: &str, key_type: KeyType) -> Result<(rcgen::KeyPair, Vec<u8>), AcmeError> {
    let crypto = |e: rcgen::Error| AcmeError::Client(format!("making the key and CSR: {e}"));
    let algorithm = match key_type {
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
    };
    let key = match key_type {
        KeyType::EcdsaP256 => rcgen::KeyPair::generate_for(algorithm),
        KeyType::Rsa2048 => rcgen::KeyPair::generate_rsa_for(algorithm, rcgen::RsaKeySize::_2048),
    }
    .map_err(crypto)?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_string()]).map_err(crypto)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key).map_err(crypto)?;
    Ok((key, csr.der().to_vec()))
}

/// The account: from its credentials file, else registered now and its credentials saved (mode
/// 0600, by the atomic write's temporary file).
async fn account(request: &IssueRequest<'_>, http: &client::Http) -> Result<Account, AcmeError> {
    let builder = || Account::builder_with_http(Box::new(http.clone()));
    let path = request.account_file;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let credentials: AccountCredentials =
                serde_json::from_str(&text).map_err(|e| AcmeError::Account {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
            Ok(builder().from_credentials(credentials).await?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let contact = request.email.map(|e| format!("mailto:{e}"));
            let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
            let (account, credentials) = builder()
                .create(
                    &NewAccount {
                        contact: &contacts,
                        terms_of_service_agreed: true,
                        only_return_existing: false,
                    },
                    request.directory_url.to_string(),
                    None,
                )
                .await?;
            let text = serde_json::to_vec(&credentials).map_err(|e| AcmeError::Client(e.to_string()))?;
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                files::create_dir_all(folder)?;
            }
            files::write_atomic(path, &text)?;
            Ok(account)
        }
        Err(e) => Err(AcmeError::Account {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

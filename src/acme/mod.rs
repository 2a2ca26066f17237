//! Certificates from an ACME CA (RFC 8555: Let's Encrypt, a commercial CA, an internal step-ca),
//! through `instant-acme`. This module runs one issuance: account, order, challenge, finalize,
//! chain. It writes no files and prints nothing; the key comes back in a redacting type.
//!
//! So far: HTTP-01 answered by the tool's own responder ([`http01`]). The config section, the
//! `certificate` commands, DNS-01 and the deploy step are the rest of the certificates issue.

pub mod http01;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use secrecy::SecretString;

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// One issuance.
#[derive(Debug, Clone)]
pub struct IssueRequest<'a> {
    pub directory_url: &'a str,
    /// A CA bundle to trust the directory with (a private ACME server); else the system's roots.
    pub ca_bundle: Option<&'a Path>,
    pub email: Option<&'a str>,
    pub domain: &'a str,
    /// Where the HTTP-01 responder listens (the CA connects to port 80 of the domain).
    pub http01: SocketAddr,
}

/// What the CA issued: the leaf then its chain, and the new private key.
pub struct Issued {
    pub chain_pem: String,
    pub key_pem: SecretString,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("chain_pem", &self.chain_pem)
            .field("key_pem", &"[REDACTED]")
            .finish()
    }
}

/// Why an issuance failed, with the CA's problem document where there is one.
#[derive(Debug, thiserror::Error)]
pub enum AcmeError {
    #[error("the ACME server refused: {kind}: {detail}")]
    Problem { kind: String, detail: String },
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
}

impl AcmeError {
    pub fn suggestion(&self) -> String {
        match self {
            Self::Problem { kind, .. } if kind.ends_with(":rateLimited") => {
                "the CA's rate limit was reached: wait as it says, or use its staging directory meanwhile".into()
            }
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
        }
    }
}

impl From<instant_acme::Error> for AcmeError {
    fn from(error: instant_acme::Error) -> Self {
        match error {
            instant_acme::Error::Api(problem) => Self::Problem {
                kind: problem.r#type.unwrap_or_else(|| "(no type)".into()),
                detail: problem.detail.unwrap_or_else(|| "(no detail)".into()),
            },
            other => Self::Client(other.to_string()),
        }
    }
}

/// Gets a certificate for `request.domain` with HTTP-01, answered by the tool itself.
pub async fn issue(request: &IssueRequest<'_>) -> Result<Issued, AcmeError> {
    // Listen first: a taken port fails before an account or an order is made.
    let responder = http01::Responder::bind(request.http01)
        .await
        .map_err(|source| AcmeError::Listen {
            addr: request.http01,
            source,
        })?;
    let builder = match request.ca_bundle {
        Some(bundle) => Account::builder_with_root(bundle)?,
        None => Account::builder()?,
    };
    let contact = request.email.map(|e| format!("mailto:{e}"));
    let contacts: Vec<&str> = contact.iter().map(String::as_str).collect();
    let (account, _credentials) = builder
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
        let mut challenge = authorization
            .challenge(ChallengeType::Http01)
            .ok_or(AcmeError::NoChallenge("http-01"))?;
        responder.add(&challenge.token, challenge.key_authorization().as_str());
        challenge.set_ready().await?;
    }
    let retries = RetryPolicy::default().timeout(Duration::from_mins(2));
    let status = order.poll_ready(&retries).await?;
    if status != OrderStatus::Ready {
        // The authorization's problem says why (a domain that does not resolve here, a port
        // the CA cannot reach).
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
    let key_pem = order.finalize().await?;
    let chain_pem = order.poll_certificate(&retries).await?;
    drop(responder);
    Ok(Issued {
        chain_pem,
        key_pem: SecretString::from(key_pem),
    })
}

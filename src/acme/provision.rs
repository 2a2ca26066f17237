//! One certificate as `tls.acme` asks for it: where the files go, whether they are due, and
//! obtaining a new pair (issue, then install). The one path behind `certificate issue|renew` and
//! the deploy's `tls-certificate` step.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::install::{Leaf, account_file, answer, install, leaf, run_hook};
use super::{AcmeError, Answer, IssueRequest, dns01, issue};
use crate::config::Config;
use crate::config::acme::{AcmeConfig, Challenge};

/// The certificate the config provisions.
#[derive(Debug, Clone)]
pub struct Provision {
    pub acme: AcmeConfig,
    pub domain: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    /// Renew within this many days of expiry.
    pub renew_before_days: i64,
    /// The config's folder (webroot, CA bundle, account folder and hook are relative to it).
    pub base_dir: PathBuf,
    /// Where the account file goes unless `tls.acme.account_dir` says otherwise.
    pub default_account_dir: PathBuf,
}

/// What [`Provision::obtain`] put in place.
#[derive(Debug)]
pub struct Obtained {
    pub leaf: Leaf,
    /// The previous pair, kept (certificate, key).
    pub backup: Option<(PathBuf, PathBuf)>,
    /// A DNS-01 record left behind (a warning for the operator).
    pub leftover: Option<String>,
}

impl Provision {
    /// The provisioning `config` asks for (`tls.acme`), if any; paths relative to `base_dir`.
    pub fn new(config: &Config, base_dir: &Path, default_account_dir: &Path) -> Option<Self> {
        let acme = config.tls.acme.as_ref()?;
        Some(Self {
            acme: acme.clone(),
            domain: config.tls.domain_name.clone(),
            cert_path: base_dir.join(&config.tls.ssl_cert_path),
            key_path: base_dir.join(&config.tls.ssl_key_path),
            renew_before_days: acme.renew_before(config.tls.warn_days),
            base_dir: base_dir.to_path_buf(),
            default_account_dir: default_account_dir.to_path_buf(),
        })
    }

    /// The certificate in place, whether due or not.
    pub fn in_place(&self) -> Option<Leaf> {
        leaf(&self.cert_path)
    }

    /// The certificate in place, unless it is missing or due at `now` (then a run gets one).
    pub fn current(&self, now: time::OffsetDateTime) -> Option<Leaf> {
        self.in_place()
            .filter(|leaf| leaf.days_left(now) > self.renew_before_days)
    }

    /// Whether the challenge needs Route 53 (the caller then passes a client to [`Self::obtain`]).
    pub fn needs_route53(&self) -> bool {
        self.acme.challenge == Challenge::Dns01
    }

    /// Asks the CA for a new pair and installs it (a different previous pair backed up). A
    /// failure leaves the files in place as they were.
    pub async fn obtain(&self, route53: Option<&aws_sdk_route53::Client>) -> Result<Obtained, AcmeError> {
        let answer = match (self.acme.challenge, route53) {
            (Challenge::Dns01, Some(client)) => Answer::Dns(dns01::Dns01 {
                route53: client.clone(),
                zone_id: self.acme.route53_hosted_zone_id.clone(),
                poll: Duration::from_millis(500),
            }),
            (Challenge::Dns01, None) => {
                return Err(AcmeError::Client("DNS-01 needs a Route 53 client".into()));
            }
            (Challenge::Http01, _) => answer(&self.acme, &self.base_dir),
        };
        let account = account_file(&self.acme, &self.base_dir, &self.default_account_dir);
        let ca_bundle = self.acme.ca_bundle_path.as_ref().map(|p| self.base_dir.join(p));
        let issued = issue(&IssueRequest {
            directory_url: self.acme.directory(),
            ca_bundle: ca_bundle.as_deref(),
            email: self.acme.email.as_deref(),
            domain: &self.domain,
            answer,
            account_file: &account,
            key_type: self.acme.key_type,
        })
        .await?;
        let backup = install(&self.cert_path, &self.key_path, &issued)?;
        let leaf = leaf(&self.cert_path).ok_or_else(|| {
            AcmeError::Client(format!(
                "{} does not hold the new certificate after the write",
                self.cert_path.display()
            ))
        })?;
        Ok(Obtained {
            leaf,
            backup,
            leftover: issued.leftover,
        })
    }

    /// Runs `tls.acme.deploy_hook`, if set: `Ok(true)` when it ran and succeeded, `Err` with how
    /// it failed.
    pub fn run_deploy_hook(&self) -> Result<bool, String> {
        match &self.acme.deploy_hook {
            Some(hook) => run_hook(hook, &self.cert_path, &self.key_path, &self.base_dir).map(|()| true),
            None => Ok(false),
        }
    }
}

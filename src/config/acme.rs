//! The optional `tls.acme` section: get the backends' certificate from an ACME CA (Let's
//! Encrypt by default) instead of bringing the files. `sre-agent-deploy certificate issue` and
//! `certificate renew` use it.

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ValidationContext;
use crate::validate::{Finding, ValidationResult, rules};

/// Let's Encrypt's production directory (the default).
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory (`directory_url: staging`).
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// How the CA checks that this host serves the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum Challenge {
    /// The CA fetches `http://<domain>/.well-known/acme-challenge/<token>`: served by the tool on
    /// `http_port`, or written into `webroot` for a running web server.
    #[default]
    #[serde(rename = "http-01")]
    Http01,
    /// The CA reads a TXT record `_acme-challenge.<domain>`, written with Route 53.
    #[serde(rename = "dns-01")]
    Dns01,
}

impl Challenge {
    /// As written in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http01 => "http-01",
            Self::Dns01 => "dns-01",
        }
    }
}

/// The new certificate's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum KeyType {
    #[default]
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    #[serde(rename = "rsa-2048")]
    Rsa2048,
}

/// Get the certificate from an ACME CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(deny_unknown_fields)]
pub struct AcmeConfig {
    /// The CA's ACME directory; `staging` is Let's Encrypt's staging directory.
    pub directory_url: String,
    /// Contact for the account (expiry notices from the CA).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub challenge: Challenge,
    /// HTTP-01: the port the tool answers the CA on (the CA connects to port 80).
    pub http_port: u16,
    /// HTTP-01: write the token under `<webroot>/.well-known/acme-challenge/` for a web server
    /// that already serves the domain on port 80, instead of listening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webroot: Option<PathBuf>,
    /// DNS-01: the hosted zone; found from the domain when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route53_hosted_zone_id: Option<String>,
    pub key_type: KeyType,
    /// Renew when the certificate expires within this many days; default `tls.warn_days`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_before_days: Option<i64>,
    /// PEM bundle to trust the directory with (a private ACME server such as step-ca).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_bundle_path: Option<PathBuf>,
    /// A command run (with `sh -c`) after a new certificate is installed, e.g. to reload the
    /// backends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy_hook: Option<String>,
    /// Where the ACME account key is kept (mode 0600); default `.sre-agent-deploy/acme`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_dir: Option<PathBuf>,
}

impl Default for AcmeConfig {
    fn default() -> Self {
        Self {
            directory_url: LETS_ENCRYPT.into(),
            email: None,
            challenge: Challenge::Http01,
            http_port: 80,
            webroot: None,
            route53_hosted_zone_id: None,
            key_type: KeyType::EcdsaP256,
            renew_before_days: None,
            ca_bundle_path: None,
            deploy_hook: None,
            account_dir: None,
        }
    }
}

impl AcmeConfig {
    /// The directory URL, with `staging` and `production` spelled out.
    pub fn directory(&self) -> &str {
        match self.directory_url.trim() {
            "staging" => LETS_ENCRYPT_STAGING,
            "" | "production" => LETS_ENCRYPT,
            other => other,
        }
    }

    pub fn validate(&self, ctx: &ValidationContext<'_>, warn_days: i64) -> ValidationResult {
        let mut result = ValidationResult::new();
        let at = |field: &str| format!("tls.acme.{field}");
        if let Err(p) = rules::https_url(self.directory(), true) {
            result.push(
                p.suggest("use the CA's ACME directory URL, or `staging` for Let's Encrypt's staging")
                    .error_at(at("directory_url")),
            );
        }
        if let Some(email) = &self.email
            && !plausible_email(email)
        {
            result.push(
                Finding::error(at("email"), format!("\"{email}\" is not an email address"))
                    .suggest("use an address such as sre-team@example.com, or leave email out"),
            );
        }
        if self.http_port == 0 {
            result.push(
                Finding::error(at("http_port"), "http_port cannot be 0")
                    .suggest("use 80 (the port the CA connects to), or a port forwarded from 80"),
            );
        }
        if let Some(webroot) = &self.webroot
            && !ctx.base_dir.join(webroot).is_dir()
        {
            result.push(
                Finding::error(at("webroot"), format!("{} is not a folder", webroot.display()))
                    .suggest("name the folder your web server serves the domain from"),
            );
        }
        if self.challenge == Challenge::Dns01 && self.webroot.is_some() {
            result.push(
                Finding::warning(at("webroot"), "webroot is for http-01; dns-01 ignores it")
                    .suggest("remove webroot, or use challenge: http-01"),
            );
        }
        if let Some(zone) = &self.route53_hosted_zone_id
            && !((1..=32).contains(&zone.len())
                && zone.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()))
        {
            result.push(
                Finding::error(at("route53_hosted_zone_id"), format!("\"{zone}\" is not a Route 53 hosted zone id"))
                    .suggest("use the id Route 53 shows (capital letters and digits, such as Z0123456789ABCDEFGHIJ, without /hostedzone/), or leave it out to find it from the domain"),
            );
        }
        if self.renew_before_days.is_some_and(|d| !(1..=89).contains(&d)) {
            result.push(
                Finding::error(
                    at("renew_before_days"),
                    "renew_before_days must be between 1 and 89",
                )
                .suggest(format!("use {warn_days} (tls.warn_days), or leave it out")),
            );
        }
        if let Some(bundle) = &self.ca_bundle_path
            && !ctx.base_dir.join(bundle).is_file()
        {
            result.push(
                Finding::error(at("ca_bundle_path"), format!("cannot read {}", bundle.display()))
                    .suggest("name the PEM file of the CA that signs the ACME server's HTTPS certificate"),
            );
        }
        if self.deploy_hook.as_deref().is_some_and(|h| h.trim().is_empty()) {
            result.push(
                Finding::error(at("deploy_hook"), "deploy_hook is empty")
                    .suggest("give the command to run after a new certificate, or leave it out"),
            );
        }
        result
    }

    /// When to renew: `renew_before_days`, else `tls.warn_days`.
    pub fn renew_before(&self, warn_days: i64) -> i64 {
        self.renew_before_days.unwrap_or(warn_days)
    }
}

/// Something at something with a dot after the at, and no spaces.
fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(acme: &AcmeConfig) -> Vec<String> {
        let ctx = crate::config::test_support::ctx();
        acme.validate(&ctx, 30)
            .findings
            .iter()
            .map(|f| format!("{} {:?}", f.field, f.severity))
            .collect()
    }

    #[test]
    fn the_default_is_lets_encrypt_over_http_01_on_port_80() {
        let acme = AcmeConfig::default();
        assert_eq!(acme.directory(), LETS_ENCRYPT);
        assert_eq!(
            (acme.challenge, acme.http_port, acme.key_type),
            (Challenge::Http01, 80, KeyType::EcdsaP256)
        );
        assert_eq!(findings(&acme), Vec::<String>::new());
        assert_eq!(acme.renew_before(30), 30);
        let staging = AcmeConfig {
            directory_url: "staging".into(),
            ..AcmeConfig::default()
        };
        assert_eq!(staging.directory(), LETS_ENCRYPT_STAGING);
    }

    #[test]
    fn each_bad_field_is_an_error_on_that_field() {
        let cases = [
            (
                AcmeConfig {
                    directory_url: "ftp://ca".into(),
                    ..AcmeConfig::default()
                },
                "tls.acme.directory_url",
            ),
            (
                AcmeConfig {
                    email: Some("not an email".into()),
                    ..AcmeConfig::default()
                },
                "tls.acme.email",
            ),
            (
                AcmeConfig {
                    http_port: 0,
                    ..AcmeConfig::default()
                },
                "tls.acme.http_port",
            ),
            (
                AcmeConfig {
                    webroot: Some("/no/such/folder".into()),
                    ..AcmeConfig::default()
                },
                "tls.acme.webroot",
            ),
            (
                AcmeConfig {
                    route53_hosted_zone_id: Some("zone-1".into()),
                    ..AcmeConfig::default()
                },
                "tls.acme.route53_hosted_zone_id",
            ),
            (
                AcmeConfig {
                    renew_before_days: Some(0),
                    ..AcmeConfig::default()
                },
                "tls.acme.renew_before_days",
            ),
            (
                AcmeConfig {
                    ca_bundle_path: Some("/no/such.pem".into()),
                    ..AcmeConfig::default()
                },
                "tls.acme.ca_bundle_path",
            ),
            (
                AcmeConfig {
                    deploy_hook: Some("  ".into()),
                    ..AcmeConfig::default()
                },
                "tls.acme.deploy_hook",
            ),
        ];
        for (acme, field) in cases {
            assert_eq!(findings(&acme), vec![format!("{field} Error")], "{acme:?}");
        }
        assert!(plausible_email("sre@example.com"));
        assert!(!plausible_email("sre@localhost"));
    }
}

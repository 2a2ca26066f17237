//! The wizard's TLS questions: the domain, where the certificate comes from (files, or an ACME CA
//! when the files are not there), the files and the CA bundle.

use std::path::{Path, PathBuf};

use super::ask::{Ask, Stopped};
use super::fields::{text, usable};
use super::sections::Context;
use crate::config::Config;
use crate::config::acme::{AcmeConfig, Challenge, LETS_ENCRYPT};

pub fn tls(ask: &mut dyn Ask, config: &mut Config, cx: &Context<'_>) -> Result<(), Stopped> {
    let domain = usable(&config.tls.domain_name).or_else(|| {
        config
            .gateway
            .targets
            .first()
            .and_then(|t| url::Url::parse(&t.backend_url).ok())
            .and_then(|u| u.host_str().map(str::to_string))
    });
    text(
        ask,
        config,
        cx,
        "tls.domain_name",
        "Domain name the certificate names",
        None,
        domain,
        |c, v| {
            c.tls.domain_name = v.into();
        },
    )?;
    acme(ask, config, cx)?;
    let path = |p: &Path| (!p.as_os_str().is_empty()).then(|| p.display().to_string());
    let acme_on = config.tls.acme.is_some();
    let from_acme = |p: &str| acme_on.then(|| p.to_string());
    let cert = path(&config.tls.ssl_cert_path).or_else(|| from_acme("fullchain.pem"));
    text(
        ask,
        config,
        cx,
        "tls.ssl_cert_path",
        "Certificate chain (PEM, leaf first)",
        Some("relative paths are relative to the config file's folder".into()),
        cert,
        |c, v| c.tls.ssl_cert_path = PathBuf::from(v),
    )?;
    let key = path(&config.tls.ssl_key_path).or_else(|| from_acme("privkey.pem"));
    text(
        ask,
        config,
        cx,
        "tls.ssl_key_path",
        "Private key (PEM)",
        None,
        key,
        |c, v| {
            c.tls.ssl_key_path = PathBuf::from(v);
        },
    )?;
    let bundle = config
        .tls
        .ca_bundle_path
        .as_deref()
        .and_then(path)
        .unwrap_or_default();
    text(
        ask,
        config,
        cx,
        "tls.ca_bundle_path",
        "CA bundle to trust instead of the system roots",
        Some("leave empty to use the system roots".into()),
        Some(bundle),
        |c, v| c.tls.ca_bundle_path = (!v.is_empty()).then(|| PathBuf::from(v)),
    )?;
    Ok(())
}

/// When the certificate files are not there (and `tls.acme` is not set yet): offers to get the
/// certificate from an ACME CA during the deploy, and asks which challenge proves the domain.
fn acme(ask: &mut dyn Ask, config: &mut Config, cx: &Context<'_>) -> Result<(), Stopped> {
    if let Some(acme) = &config.tls.acme {
        ask.say(&format!(
            "The certificate comes from {} over {} (tls.acme); the deploy gets it when it is missing or due.",
            acme.directory(),
            acme.challenge.as_str()
        ));
        return Ok(());
    }
    let cert = &config.tls.ssl_cert_path;
    if !cert.as_os_str().is_empty() && cx.base_dir.join(cert).is_file() {
        return Ok(());
    }
    let missing = if cert.as_os_str().is_empty() {
        "No certificate files are configured.".to_string()
    } else {
        format!("There is no certificate at {}.", cert.display())
    };
    ask.say(&missing);
    let wanted = ask.confirm(
        "Get the certificate from an ACME CA (Let's Encrypt) during the deploy?",
        false,
        Some("no: point at PEM files you already have"),
    )?;
    if !wanted {
        return Ok(());
    }
    let mut acme = AcmeConfig::default();
    let options = [
        "http-01: this tool answers the CA on port 80 while it checks".to_string(),
        "http-01 through the folder of a web server that already serves port 80 (webroot)".to_string(),
        "dns-01: a TXT record in the domain's Route 53 hosted zone".to_string(),
    ];
    let how = ask.select(
        &format!(
            "How does the CA check that you control {}?",
            config.tls.domain_name
        ),
        &options,
        0,
        Some("the CA must reach this host on port 80 for http-01; dns-01 needs Route 53 rights instead"),
    )?;
    acme.challenge = if how == 2 {
        Challenge::Dns01
    } else {
        Challenge::Http01
    };
    config.tls.acme = Some(acme);
    if how == 1 {
        text(
            ask,
            config,
            cx,
            "tls.acme.webroot",
            "The web server's document root",
            Some("the token is written under <webroot>/.well-known/acme-challenge/".into()),
            None,
            |c, v| {
                if let Some(a) = &mut c.tls.acme {
                    a.webroot = Some(PathBuf::from(v));
                }
            },
        )?;
    }
    text(
        ask,
        config,
        cx,
        "tls.acme.email",
        "Contact email for the CA's expiry notices",
        Some("leave empty for none".into()),
        Some(String::new()),
        |c, v| {
            if let Some(a) = &mut c.tls.acme {
                a.email = (!v.is_empty()).then(|| v.to_string());
            }
        },
    )?;
    text(
        ask,
        config,
        cx,
        "tls.acme.directory_url",
        "ACME directory",
        Some("`staging` for Let's Encrypt's test CA, or your own ACME server's directory URL".into()),
        Some(LETS_ENCRYPT.into()),
        |c, v| {
            if let Some(a) = &mut c.tls.acme {
                a.directory_url = v.to_string();
            }
        },
    )
}

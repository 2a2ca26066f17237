//! `certificate issue` and `certificate renew`: the backends' certificate from the ACME CA that
//! `tls.acme` names. The new pair replaces `tls.ssl_cert_path` and `tls.ssl_key_path` atomically
//! (a different previous pair is backed up first), then the deploy hook runs. A failed ACME flow
//! leaves the old files as they were.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Cx, invalid};
use crate::acme::install::{account_file, answer, install, leaf, run_hook};
use crate::acme::{IssueRequest, issue as acme_issue};
use crate::cli::{CertificateArgs, CommonArgs, RenewArgs};
use crate::config::acme::Challenge;
use crate::config::load::load;
use crate::deploy::store::STATE_DIR;
use crate::error::Error;
use crate::exit::ExitStatus;

/// What the command did, as printed.
#[derive(Debug, Serialize)]
pub struct CertificateReport {
    pub domain: String,
    /// `issued`, `renewed`, `not-due` or `due` (`--dry-run`).
    pub action: &'static str,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
    /// The previous pair, kept (certificate, key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<(PathBuf, PathBuf)>,
    pub deploy_hook_ran: bool,
}

impl std::fmt::Display for CertificateReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let when = self.not_after.as_deref().unwrap_or("?");
        let days = self
            .days_left
            .map(|d| format!(" ({d} days left)"))
            .unwrap_or_default();
        match self.action {
            "not-due" => writeln!(
                f,
                "certificate for {}: not due, expires {when}{days}",
                self.domain
            )?,
            "due" => writeln!(
                f,
                "certificate for {}: due (dry run: nothing changed)",
                self.domain
            )?,
            action => writeln!(
                f,
                "certificate for {}: {action}, serial {}, issuer {}, expires {when}{days}",
                self.domain,
                self.serial.as_deref().unwrap_or("?"),
                self.issuer.as_deref().unwrap_or("?")
            )?,
        }
        writeln!(f, "  {}\n  {}", self.cert_path.display(), self.key_path.display())?;
        if let Some((cert, key)) = &self.backup {
            writeln!(f, "  previous pair kept: {} {}", cert.display(), key.display())?;
        }
        if self.deploy_hook_ran {
            writeln!(f, "  deploy hook ran")?;
        }
        Ok(())
    }
}

/// `certificate issue`.
pub fn issue(args: &CertificateArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    run(&args.common, cx, out, When::Always, false)
}

/// `certificate renew`.
pub fn renew(args: &RenewArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let when = if args.force { When::Always } else { When::Due };
    run(&args.common, cx, out, when, args.dry_run)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Always,
    Due,
}

fn run(
    common: &CommonArgs,
    cx: &Cx<'_>,
    out: &mut dyn Write,
    when: When,
    dry_run: bool,
) -> Result<ExitStatus, Error> {
    let loaded = load(&common.config, cx.env, &common.overrides()?)?;
    cx.notices(&loaded);
    let result = loaded.validate(cx.env);
    let Some(config) = loaded.config.clone().filter(|_| !result.has_errors()) else {
        return invalid(cx, &loaded, &result, out);
    };
    let Some(acme) = config.tls.acme.clone() else {
        return Err(Error::NoAcme {
            config: common.config.clone(),
        });
    };
    let base = &loaded.base_dir;
    let (cert_path, key_path) = (
        base.join(&config.tls.ssl_cert_path),
        base.join(&config.tls.ssl_key_path),
    );
    let current = leaf(&cert_path);
    let now = time::OffsetDateTime::now_utc();
    let renew_before = acme.renew_before(config.tls.warn_days);
    let mut report = CertificateReport {
        domain: config.tls.domain_name.clone(),
        action: "issued",
        cert_path: cert_path.clone(),
        key_path: key_path.clone(),
        serial: None,
        issuer: None,
        not_after: None,
        days_left: None,
        backup: None,
        deploy_hook_ran: false,
    };
    if let Some(cert) = &current {
        report.not_after = Some(cert.expires());
        report.days_left = Some(cert.days_left(now));
        if when == When::Due && cert.days_left(now) > renew_before {
            report.action = "not-due";
            cx.printer.result(out, &report)?;
            return Ok(ExitStatus::Success);
        }
    }
    if dry_run {
        report.action = "due";
        cx.printer.result(out, &report)?;
        return Ok(ExitStatus::Success);
    }
    if acme.challenge == Challenge::Dns01 {
        return Err(
            crate::acme::AcmeError::Client("dns-01 is not built yet; use challenge: http-01".into()).into(),
        );
    }
    let progress = cx.printer.progress();
    progress.line(
        "certificate",
        &format!("asking {} for {}", acme.directory(), config.tls.domain_name),
    );
    let account_file = account_file(&acme, base, &Path::new(STATE_DIR).join("acme"));
    let ca_bundle = acme.ca_bundle_path.as_ref().map(|p| base.join(p));
    let request = IssueRequest {
        directory_url: acme.directory(),
        ca_bundle: ca_bundle.as_deref(),
        email: acme.email.as_deref(),
        domain: &config.tls.domain_name,
        answer: answer(&acme, base),
        account_file: &account_file,
        key_type: acme.key_type,
    };
    let issued = super::runtime()?.block_on(acme_issue(&request))?;
    report.backup = install(&cert_path, &key_path, &issued)?;
    report.action = if current.is_some() { "renewed" } else { "issued" };
    if let Some(cert) = leaf(&cert_path) {
        report.serial = Some(cert.serial.clone());
        report.issuer = Some(cert.issuer.clone());
        report.not_after = Some(cert.expires());
        report.days_left = Some(cert.days_left(now));
    }
    if let Some(hook) = &acme.deploy_hook {
        progress.line("certificate", &format!("running the deploy hook: {hook}"));
        run_hook(hook, &cert_path, &key_path, base).map_err(|status| Error::Hook {
            command: hook.clone(),
            status,
        })?;
        report.deploy_hook_ran = true;
    }
    cx.printer.result(out, &report)?;
    Ok(ExitStatus::Success)
}

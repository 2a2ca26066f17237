//! `certificate issue` and `certificate renew`: the backends' certificate from the ACME CA that
//! `tls.acme` names. The new pair replaces `tls.ssl_cert_path` and `tls.ssl_key_path` atomically
//! (a different previous pair is backed up first), then the deploy hook runs. A failed ACME flow
//! leaves the old files as they were.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Cx, invalid};
use crate::acme::provision::Provision;
use crate::aws::Clients;
use crate::cli::{CertificateArgs, CommonArgs, RenewArgs};
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
    let Some(provision) = Provision::new(&config, &loaded.base_dir, &Path::new(STATE_DIR).join("acme"))
    else {
        return Err(Error::NoAcme {
            config: common.config.clone(),
        });
    };
    let current = provision.in_place();
    let now = time::OffsetDateTime::now_utc();
    let mut report = CertificateReport {
        domain: provision.domain.clone(),
        action: "issued",
        cert_path: provision.cert_path.clone(),
        key_path: provision.key_path.clone(),
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
        if when == When::Due && cert.days_left(now) > provision.renew_before_days {
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
    let acme = &provision.acme;
    let progress = cx.printer.progress();
    progress.line(
        "certificate",
        &format!(
            "asking {} for {} ({})",
            acme.directory(),
            provision.domain,
            acme.challenge.as_str()
        ),
    );
    let runtime = super::runtime()?;
    let obtained = runtime.block_on(async {
        let clients = if provision.needs_route53() {
            Some(Clients::connect(&config.aws).await)
        } else {
            None
        };
        provision.obtain(clients.as_ref().map(|c| &c.route53)).await
    })?;
    if let Some(leftover) = &obtained.leftover {
        progress.line("certificate", &format!("warning: {leftover}"));
    }
    report.backup = obtained.backup;
    report.action = if current.is_some() { "renewed" } else { "issued" };
    report.serial = Some(obtained.leaf.serial.clone());
    report.issuer = Some(obtained.leaf.issuer.clone());
    report.not_after = Some(obtained.leaf.expires());
    report.days_left = Some(obtained.leaf.days_left(now));
    if let Some(hook) = &acme.deploy_hook {
        progress.line("certificate", &format!("running the deploy hook: {hook}"));
        provision.run_deploy_hook().map_err(|status| Error::Hook {
            command: hook.clone(),
            status,
        })?;
        report.deploy_hook_ran = true;
    }
    cx.printer.result(out, &report)?;
    Ok(ExitStatus::Success)
}

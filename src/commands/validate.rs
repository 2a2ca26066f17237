//! `--validate-only`: load, validate (including the certificate file checks), print the result,
//! optionally write JUnit XML. Creates nothing and talks to no AWS API; `--online` adds the
//! network checks of the backends, the token endpoint and the gateway.

use std::io::Write;
use std::path::Path;

use super::Cx;
use crate::cli::RunArgs;
use crate::config::load::load;
use crate::config::{Config, Environment};
use crate::deploy::session::locate;
use crate::deploy::store::Location;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files::{FileError, write_atomic};
use crate::output::printer::Printer;
use crate::output::{ValidationReport, junit};
use crate::validate::ValidationResult;
use crate::verify::Check;
use crate::verify::run::Deployed;
use crate::verify::tls_files;

pub fn run(args: &RunArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let env = cx.env;
    let loaded = load(&args.common.config, env, &args.common.overrides()?)?;
    cx.notices(&loaded);
    let mut result = loaded.validate(env);
    if let Some(config) = &loaded.config {
        let checks = checks(args, config, &loaded.base_dir, &result, env, &cx.printer)?;
        result.extend(checks.iter().filter_map(Check::to_finding).collect());
        // The host's own checks, when the backends run on this machine. Offline, that is known
        // only from the config (no DNS) and the tools are not started (about a second).
        result.extend(crate::preflight::validate_findings(
            config,
            &loaded.base_dir,
            &result,
            args.online,
        ));
    }
    let report = ValidationReport::new(&args.common.config, &result, args.strict);
    if let Some(path) = &args.junit {
        let xml = junit::render(&result, args.strict).map_err(|e| FileError::other(path, e.to_string()))?;
        write_atomic(path, xml.as_bytes())?;
    }
    cx.printer.result(out, &report)?;
    Ok(if report.valid {
        ExitStatus::Success
    } else {
        ExitStatus::Invalid
    })
}

/// The verification checks `--validate-only` runs: the certificate files (unless the config
/// already has errors about them), and with `--online` the network checks too (with the secret
/// from the config's reference only: no AWS API call).
fn checks(
    args: &RunArgs,
    config: &Config,
    base_dir: &Path,
    result: &ValidationResult,
    env: &dyn Environment,
    printer: &Printer,
) -> Result<Vec<Check>, Error> {
    // Files with errors, or not issued yet (tls.acme): the findings already say so.
    let not_issued = config.tls.acme.is_some() && !base_dir.join(&config.tls.ssl_cert_path).exists();
    let tls_broken = not_issued || result.errors().any(|f| f.section() == "tls");
    if !args.online {
        return Ok(if tls_broken {
            Vec::new()
        } else {
            tls_files::check_files(&config.tls, base_dir, time::OffsetDateTime::now_utc())
        });
    }
    if result.has_errors() {
        return Ok(Vec::new());
    }
    // Only a local state is read: validation makes no AWS call, and a state in S3 is one. A
    // state that cannot be read only skips the checks that need it.
    let state = locate(
        &config.deployment,
        &config.aws,
        base_dir,
        Some(&args.common.config),
    )
    .ok()
    .flatten()
    .filter(|l| matches!(l.location, Location::File(_)))
    .and_then(|l| l.location.read().ok());
    let client_secret = config
        .cognito
        .client_secret
        .as_ref()
        .and_then(|r| r.resolve(env, base_dir).ok());
    let progress = printer.progress();
    let report = crate::runner::runtime()?.block_on(crate::verify::run::run(crate::verify::run::Request {
        config,
        base_dir,
        deployed: state
            .as_ref()
            .map(|s| Deployed::from_outputs(&s.deployment_id, &s.outputs)),
        client_secret,
        online: true,
        call_tool: None,
        rerun: format!(
            "sre-agent-deploy --validate-only --online --config {}",
            args.common.config.display()
        ),
        progress: &progress,
    }));
    Ok(report.checks().cloned().collect())
}

//! `--validate-only`: load, validate (including the certificate file checks), print the result,
//! optionally write JUnit XML. Creates nothing and talks to no AWS API; `--online` adds the
//! network checks of the backends, the token endpoint and the gateway.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::write_out;
use crate::cli::{CommonArgs, OutputFormat, RunArgs};
use crate::config::load::{LoadError, load};
use crate::config::overrides::{Override, Source, parse_set};
use crate::config::{Config, Environment};
use crate::deploy::progress::Progress;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files::write_atomic;
use crate::output::{ValidationReport, junit};
use crate::validate::ValidationResult;
use crate::verify::Check;
use crate::verify::run::Deployed;
use crate::verify::tls_files;

pub fn run(args: &RunArgs, env: &dyn Environment, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let flags = flag_overrides(&args.common)?;
    let loaded = load(&args.common.config, env, &flags)?;
    super::print_notices(&loaded);
    let mut result = loaded.validate(env);
    if let Some(config) = &loaded.config {
        let checks = checks(args, config, &loaded.base_dir, &result, env)?;
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
        let xml = junit::render(&result, args.strict).map_err(|e| Error::Write {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        write_atomic(path, xml.as_bytes())?;
    }
    let text = match args.common.output {
        OutputFormat::Text => report.to_string(),
        OutputFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default()),
    };
    write_out(out, &text)?;
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
) -> Result<Vec<Check>, Error> {
    let tls_broken = result.errors().any(|f| f.section() == "tls");
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
    let state = super::verify::find_state(config, base_dir, &args.common.config);
    let client_secret = config
        .cognito
        .client_secret
        .as_ref()
        .and_then(|r| r.resolve(env, base_dir).ok());
    let progress = Progress::stderr();
    let report = super::runtime()?.block_on(crate::verify::run::run(crate::verify::run::Request {
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

/// The named flags and `--set`s, as overrides in the order they apply.
pub fn flag_overrides(args: &CommonArgs) -> Result<Vec<Override>, Error> {
    let named = |flag: &str, path: &str, value: Option<String>| {
        value.map(|value| Override {
            path: path.to_string(),
            value,
            source: Source::Flag(flag.to_string()),
        })
    };
    let path_text = |p: &Option<PathBuf>| p.as_deref().map(|p: &Path| p.to_string_lossy().into_owned());
    let mut overrides: Vec<Override> = [
        named("--region", "aws.region", args.region.clone()),
        named("--profile", "aws.profile", args.profile.clone()),
        named("--endpoint-url", "aws.endpoint_url", args.endpoint_url.clone()),
        named(
            "--deployment-id",
            "deployment.deployment_id",
            args.deployment_id.clone(),
        ),
        named(
            "--state-file",
            "deployment.state_file",
            path_text(&args.state_file),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    for raw in &args.set {
        overrides.push(parse_set(raw).map_err(|e| Error::Load(LoadError::Override(e)))?);
    }
    Ok(overrides)
}

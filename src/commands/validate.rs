//! `--validate-only`: load, validate, print the result, optionally write JUnit XML. Creates nothing
//! and talks to no AWS API.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::write_out;
use crate::cli::{OutputFormat, RunArgs};
use crate::config::Environment;
use crate::config::load::{LoadError, load};
use crate::config::overrides::{Override, Source, parse_set};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files::write_atomic;
use crate::output::{ValidationReport, junit};

pub fn run(args: &RunArgs, env: &dyn Environment, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let flags = flag_overrides(args)?;
    let loaded = load(&args.config, env, &flags)?;
    let result = loaded.validate(env);
    let report = ValidationReport::new(&args.config, &result, args.strict);
    if let Some(path) = &args.junit {
        let xml = junit::render(&result, args.strict).map_err(|e| Error::Write {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        write_atomic(path, xml.as_bytes())?;
    }
    let text = match args.output {
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

/// The named flags and `--set`s, as overrides in the order they apply.
pub fn flag_overrides(args: &RunArgs) -> Result<Vec<Override>, Error> {
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

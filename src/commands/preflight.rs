//! `preflight`: checks the host the backend servers will run on (CPU, memory, disk, tools, ports,
//! and, with `--config`, whether `--run-as` can read the certificate and key), prints one line per
//! check with its fix, and exits 1 on errors (or on warnings, with `--strict`).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Cx;
use crate::cli::PreflightArgs;
use crate::config::Environment;
use crate::config::load::load;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::preflight::{PreflightReport, Request, Verdict, evaluate, gather};
use crate::validate::Finding;

pub fn run(args: &PreflightArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let (request, note) = request(args, cx.env);
    let facts = gather::gather(&request);
    let mut evaluation = evaluate(&facts);
    if let Some(note) = note {
        evaluation.verdicts.insert(0, Verdict::Problem(note));
    }
    let report = PreflightReport::new(&evaluation, facts, args.strict);
    cx.printer.result(out, &report)?;
    Ok(if report.ok {
        ExitStatus::Success
    } else {
        ExitStatus::Invalid
    })
}

/// What to check: the config's ports and TLS files when `--config` loads, else the default ports
/// and no files, with a warning saying why.
fn request(args: &PreflightArgs, env: &dyn Environment) -> (Request, Option<Finding>) {
    let Some(path) = &args.config else {
        return (Request::new(None, Path::new("."), args.run_as.clone()), None);
    };
    let not_loaded = |why: String| {
        Finding::warning(
            "config",
            format!("{why}; checked the host without the certificate and key (ports 8011-8014 and 443)"),
        )
        .suggest(format!(
            "`sre-agent-deploy --validate-only --config {}` says what to fix",
            path.display()
        ))
    };
    match load(path, env, &[]) {
        Ok(loaded) => match &loaded.config {
            Some(config) => (
                Request::new(Some(config), &loaded.base_dir, args.run_as.clone()),
                None,
            ),
            None => (
                Request::new(None, &PathBuf::from("."), args.run_as.clone()),
                Some(not_loaded(format!(
                    "{} has values of the wrong type",
                    path.display()
                ))),
            ),
        },
        Err(e) => (
            Request::new(None, Path::new("."), args.run_as.clone()),
            Some(not_loaded(e.to_string())),
        ),
    }
}

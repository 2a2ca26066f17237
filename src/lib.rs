//! sre-agent-deploy: takes an operator from an empty AWS account to a verified deployment of the
//! SRE agent stack. This crate root builds the printer from the flags, wires the CLI to the
//! commands and renders errors.
//!
//! Layers, with arrows pointing down only (ARCHITECTURE.md has the picture):
//! `cli` → `commands` → `runner` → {`config`, `deploy`, `verify`, `ui`, `import`, `preflight`}
//! → {`aws`, `output`, `files`}.

// Tests set up fixtures with plain writes; the atomic-write rule is for the product.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod acme;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod deploy;
pub mod error;
pub mod exit;
pub mod files;
pub mod import;
pub mod monitoring;
pub mod openapi;
pub mod output;
pub mod preflight;
pub mod runner;
pub mod templates;
pub mod ui;
pub mod validate;
pub mod verify;

use std::io::Write;

use cli::{Cli, OutputFormat};
use config::Environment;
use exit::ExitStatus;

/// Runs the parsed command line. Progress, notes and errors go to `err` (the one writer the
/// printer hands to progress too); results go to `out`. Errors are rendered here: to `err` for
/// people and, with `--output json`, also as a JSON object on `out`.
pub fn run(cli: &Cli, env: &dyn Environment, out: &mut dyn Write, err: Box<dyn Write + Send>) -> ExitStatus {
    let cx = commands::Cx::from_flags(cli, env, err);
    match commands::dispatch(cli, &cx, out) {
        Ok(status) => status,
        Err(error) => {
            // A failed deployment already printed its report, which carries the error. The JSON
            // error object belongs to the run modes' output (`--validate-only` and the deploy
            // modes), as it always has; the subcommands print errors on stderr only.
            let run_mode = cli.command.is_none();
            if run_mode
                && cx.printer.format() == OutputFormat::Json
                && !matches!(error, error::Error::Deploy { .. })
            {
                let _ = writeln!(out, "{}", error.to_json());
            }
            cx.printer.error(&error.render());
            // `plan -detailed-exitcode` ends 1 on any error, as Terraform's does.
            let detailed = matches!(
                &cli.command,
                Some(cli::Command::Plan(a) | cli::Command::Drift(a)) if a.detailed_exitcode
            );
            if detailed {
                exit::ExitStatus::Invalid
            } else {
                error.exit_status()
            }
        }
    }
}

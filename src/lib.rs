//! sre-agent-deploy: takes an operator from an empty AWS account to a verified deployment of the
//! SRE agent stack. This crate root wires the CLI to the commands and renders errors.

// Tests set up fixtures with plain writes; the atomic-write rule is for the product.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod deploy;
pub mod error;
pub mod exit;
pub mod files;
pub mod import;
pub mod openapi;
pub mod output;
pub mod preflight;
pub mod templates;
pub mod ui;
pub mod validate;
pub mod verify;

use std::io::Write;

use cli::{Cli, OutputFormat};
use config::Environment;
use exit::ExitStatus;

/// Runs the parsed command line. Errors are rendered here: to `err` for people and, with
/// `--output json`, also as a JSON object on `out`.
pub fn run(cli: &Cli, env: &dyn Environment, out: &mut dyn Write, err: &mut dyn Write) -> ExitStatus {
    match commands::dispatch(cli, env, out) {
        Ok(status) => status,
        Err(error) => {
            // A failed deployment already printed its report, which carries the error.
            if cli.run.common.output == OutputFormat::Json && !matches!(error, error::Error::Deploy { .. }) {
                let _ = writeln!(out, "{}", error.to_json());
            }
            let _ = writeln!(err, "{}", error.render());
            error.exit_status()
        }
    }
}

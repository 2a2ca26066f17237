//! Thin entry point: parse flags, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use sre_agent_deploy::cli::{Cli, globals_after_subcommand};
use sre_agent_deploy::config::ProcessEnv;

fn main() -> ExitCode {
    // `sre-agent-deploy -q verify ...` as well as `sre-agent-deploy verify -q ...`.
    let cli = Cli::parse_from(globals_after_subcommand(std::env::args_os().collect()));
    let status = sre_agent_deploy::run(
        &cli,
        &ProcessEnv,
        &mut std::io::stdout(),
        Box::new(std::io::stderr()),
    );
    status.into()
}

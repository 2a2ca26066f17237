//! Thin entry point: parse flags, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use sre_agent_deploy::cli::Cli;
use sre_agent_deploy::config::ProcessEnv;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = sre_agent_deploy::run(
        &cli,
        &ProcessEnv,
        &mut std::io::stdout(),
        Box::new(std::io::stderr()),
    );
    status.into()
}

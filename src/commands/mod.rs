//! One file per command. Each takes parsed arguments and writers, and returns an exit status or
//! an [`Error`](crate::error::Error); `lib.rs` renders errors.

pub mod cleanup;
pub mod deploy;
pub mod import;
pub mod init;
pub mod migrate;
pub mod preflight;
pub mod validate;
pub mod verify;
pub mod wizard;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::config::Environment;
use crate::error::Error;
use crate::exit::ExitStatus;

/// Runs the command the flags ask for.
pub fn dispatch(cli: &Cli, env: &dyn Environment, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    match &cli.command {
        Some(Command::Init(args)) => init::run(args, out),
        Some(Command::Schema) => {
            let schema = crate::config::schema::config_schema_text();
            write_out(out, &schema)?;
            Ok(ExitStatus::Success)
        }
        Some(Command::Verify(args)) => verify::run(args, env, out),
        Some(Command::Import(args)) => import::run(args, env, out),
        Some(Command::Preflight(args)) => preflight::run(args, env, out),
        Some(Command::Config(crate::cli::ConfigCommand::Migrate(args))) => migrate::run(args, out),
        None if cli.run.validate_only => validate::run(&cli.run, env, out),
        None if cli.run.resume => deploy::resume(&cli.run, env, out),
        None if cli.run.cleanup => cleanup::run(&cli.run, env, out),
        None if cli.run.wants_screens() => wizard::run(&cli.run, env, out),
        None => deploy::deploy(&cli.run, env, out),
    }
}

/// Tells (on stderr) which migrations were applied in memory to an older config file.
pub fn print_notices(loaded: &crate::config::load::Loaded) {
    if loaded.notices.is_empty() {
        return;
    }
    let progress = crate::deploy::progress::Progress::stderr();
    for notice in &loaded.notices {
        progress.line("config", notice);
    }
}

/// The async runtime the AWS commands run on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Write {
            path: "the async runtime".into(),
            source,
        })
}

/// Writes to standard output, turning a failed write (a closed pipe) into an error.
pub fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write {
            path: "standard output".into(),
            source,
        })
}

//! One file per command. Each takes its parsed arguments, the run's [`Cx`] and standard output,
//! and returns an exit status or an [`Error`]; `lib.rs` renders errors.
//!
//! Commands never call each other: what several need (running a deployment, its verification
//! and report) is in [`crate::runner`], the state-file policy in [`crate::deploy::session`].
//! `dispatch` is the one place that picks a command, and decides the mode and output for all.

pub mod certificate;
pub mod cleanup;
pub mod completions;
pub mod deploy;
pub mod import;
pub mod init;
pub mod list;
pub mod migrate;
pub mod monitoring;
pub mod plan;
pub mod preflight;
pub mod state;
pub mod validate;
pub mod verify;
pub mod wizard;

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::{
    CertificateCommand, Cli, Command, CommonArgs, ConfigCommand, MonitoringCommand, StateCommand,
};
use crate::config::load::Loaded;
use crate::config::{AwsConfig, DeploymentConfig, Environment};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::ValidationReport;
use crate::output::printer::{Printer, Verbosity};
use crate::validate::ValidationResult;

/// What every command gets besides its arguments, decided once from the flags.
pub struct Cx<'a> {
    pub env: &'a dyn Environment,
    /// The output format, verbosity and colour, and where progress and errors go.
    pub printer: Printer,
    /// Prompts and full-screen views (a terminal on all three standard streams, text output,
    /// no `--non-interactive`), or plain lines.
    pub screens: bool,
}

impl<'a> Cx<'a> {
    /// The one place the mode and the output are decided: the format and verbosity from the
    /// flags, colour from `NO_COLOR`, screens from the terminal; progress and errors go to `err`.
    pub fn from_flags(cli: &Cli, env: &'a dyn Environment, err: Box<dyn Write + Send>) -> Self {
        let colour = env.var("NO_COLOR").is_none_or(|v| v.is_empty());
        let printer = Printer::new(cli.output_format(), cli.verbosity(), colour, err);
        let screens = cli.command.is_none() && cli.run.wants_screens();
        // The call lines are for plain output: on the screens they would draw over the views.
        if printer.verbosity() == Verbosity::Verbose && !screens {
            crate::aws::trace::install(printer.err_writer());
        }
        Self {
            env,
            printer,
            screens,
        }
    }

    /// Tells (as progress) which migrations were applied in memory to an older config file.
    pub fn notices(&self, loaded: &Loaded) {
        if loaded.notices.is_empty() {
            return;
        }
        let progress = self.printer.progress();
        for notice in &loaded.notices {
            progress.line("config", notice);
        }
    }
}

/// Runs the command the flags ask for.
pub fn dispatch(cli: &Cli, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    match &cli.command {
        Some(Command::Init(args)) => init::run(args, cx, out),
        Some(Command::Schema) => {
            cx.printer
                .text(out, &crate::config::schema::config_schema_text())?;
            Ok(ExitStatus::Success)
        }
        Some(Command::ForceUnlock(args)) => state::force_unlock(args, cx, out),
        Some(Command::State(StateCommand::Push(args))) => state::push(args, cx, out),
        Some(Command::State(StateCommand::Pull(args))) => state::pull(args, cx, out),
        Some(Command::List(args)) => list::run(args, cx, out),
        Some(Command::Completions(args)) => completions::completions(args, cx, out),
        Some(Command::Man) => completions::man(cx, out),
        Some(Command::Monitoring(MonitoringCommand::Install(args))) => monitoring::install(args, cx, out),
        Some(Command::Verify(args)) => verify::run(args, cx, out),
        Some(Command::Plan(args)) => plan::plan(args, cx, out),
        Some(Command::Drift(args)) => plan::drift_of(args, cx, out),
        Some(Command::Import(args)) => import::run(args, cx, out),
        Some(Command::Preflight(args)) => preflight::run(args, cx, out),
        Some(Command::Config(ConfigCommand::Migrate(args))) => migrate::run(args, cx, out),
        Some(Command::Certificate(CertificateCommand::Issue(args))) => certificate::issue(args, cx, out),
        Some(Command::Certificate(CertificateCommand::Renew(args))) => certificate::renew(args, cx, out),
        None if cli.run.validate_only => validate::run(&cli.run, cx, out),
        None if cli.run.resume => deploy::resume(&cli.run, cx, out),
        None if cli.run.cleanup => cleanup::run(&cli.run, cx, out),
        None if cx.screens => match wizard::run(&cli.run, cx, out)? {
            wizard::Ended::Status(status) => Ok(status),
            // An error only the file can fix: say it as `--validate-only` does.
            wizard::Ended::Invalid => validate::run(&cli.run, cx, out),
        },
        None => deploy::deploy(&cli.run, cx, out),
    }
}

/// Prints the validation report of a config that cannot be used, and says so (exit 1).
pub fn invalid(
    cx: &Cx<'_>,
    loaded: &Loaded,
    result: &ValidationResult,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    cx.printer
        .result(out, &ValidationReport::new(&loaded.path, result, false))?;
    Ok(ExitStatus::Invalid)
}

/// Where the flags say a deployment's state is, for the commands that find a state without
/// validating a config (`--resume`, `--cleanup`, `force-unlock`, `state`, `list`):
/// `--deployment-id`, `--state-file`, and `--state-backend` (or
/// `SRE_AGENT_DEPLOY_DEPLOYMENT_STATE_BACKEND`); the AWS settings from
/// `--region`/`--profile`/`--endpoint-url`, then the standard environment. When neither a flag nor
/// the variable says where the state is and the config file (`--config`) keeps it in S3, its
/// backend is used, with its deployment id and AWS settings where no flag gives them.
pub fn flag_settings(common: &CommonArgs, env: &dyn Environment) -> (DeploymentConfig, AwsConfig) {
    let state_backend = common.state_backend.clone().or_else(|| {
        env.var(&crate::config::overrides::env_name("deployment.state_backend"))
            .filter(|v| !v.is_empty())
    });
    let mut deployment = DeploymentConfig {
        deployment_id: common.deployment_id.clone(),
        state_file: common.state_file.clone(),
        state_backend,
    };
    let region = common
        .region
        .clone()
        .or_else(|| env.var("AWS_REGION"))
        .or_else(|| env.var("AWS_DEFAULT_REGION"));
    let mut aws = AwsConfig {
        profile: common.profile.clone(),
        endpoint_url: common.endpoint_url.clone(),
        ..AwsConfig::default()
    };
    let file = (deployment.state_file.is_none() && deployment.state_backend.is_none())
        .then(|| file_backend(&common.config, env))
        .flatten();
    if let Some(file) = &file {
        deployment
            .state_backend
            .clone_from(&file.deployment.state_backend);
        deployment.deployment_id = deployment
            .deployment_id
            .or_else(|| file.deployment.deployment_id.clone());
        aws.profile = aws.profile.or_else(|| file.aws.profile.clone());
        aws.endpoint_url = aws.endpoint_url.or_else(|| file.aws.endpoint_url.clone());
    }
    aws.region = region
        .or_else(|| file.map(|f| f.aws.region).filter(|r| !r.is_empty()))
        .unwrap_or_else(|| "us-east-1".into());
    (deployment, aws)
}

/// The config file's settings when it keeps the state in S3 (read, not validated: only where
/// the state is matters here).
fn file_backend(path: &std::path::Path, env: &dyn Environment) -> Option<crate::config::Config> {
    if !path.is_file() {
        return None;
    }
    crate::config::load::load(path, env, &[])
        .ok()?
        .config
        .filter(|c| c.deployment.state_backend.is_some())
}

/// Asks on the terminal; refuses when there is no terminal to ask on.
pub fn confirm(what: &str) -> Result<(), Error> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Error::NeedsConfirmation {
            what: what.to_string(),
        });
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{what}? [y/N] ");
    let _ = stderr.flush();
    let mut answer = String::new();
    let _ = stdin.lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Error::Declined {
            what: what.to_string(),
        })
    }
}

/// The async runtime the AWS commands run on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

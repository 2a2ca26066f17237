//! The glue every deploying command shares: run the deployment (plan made once, Ctrl-C stops it
//! safely), verify it, print the report. Deploy, `--resume` and the wizard all come through here,
//! in plain lines ([`plain`]) or on the screens ([`screens`]).

pub mod screens;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::config::{Config, Environment};
use crate::deploy::error::DeployError;
use crate::deploy::plan::{Plan, PlanError};
use crate::deploy::run::{self, Report, Request, RunError};
use crate::deploy::store::StateStore;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::printer::Printer;
use crate::output::progress::Progress;
use crate::verify::job::{Job, Verified, verify};

/// What a deploying run takes from the flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// Skip the verification that normally ends the run.
    pub no_verify: bool,
    /// A gateway tool to call as a smoke test after the deploy.
    pub call_tool: Option<String>,
    /// The config file as given (for the commands the run suggests).
    pub config_path: PathBuf,
}

/// One deploying run: the config, where its relative paths start, and how it prints.
pub struct Run<'a> {
    pub config: &'a Config,
    pub base_dir: &'a Path,
    pub env: &'a dyn Environment,
    pub printer: &'a Printer,
    pub options: &'a Options,
}

impl Run<'_> {
    /// The plan of the deployment whose state is `store`: made once per run.
    pub fn plan(&self, store: &StateStore) -> Result<Plan, PlanError> {
        Plan::new(self.config, &store.state.deployment_id, self.base_dir)
    }

    /// The command that verifies this config again.
    fn rerun_verify(&self) -> String {
        format!(
            "sre-agent-deploy verify --config {}",
            self.options.config_path.display()
        )
    }
}

/// How a run went: its report, and why it stopped early, with the command that resumes it.
pub struct Ran {
    pub report: Report,
    pub error: Option<DeployError>,
    pub resume: String,
}

/// The async runtime the AWS commands run on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// Runs the deployment with progress lines, verifies it, and prints the report.
pub fn plain(run: &Run<'_>, store: StateStore, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let runtime = runtime()?;
    let plan = run.plan(&store);
    let (stop, cancel) = tokio::sync::watch::channel(false);
    let progress = run.printer.progress();
    let ran = deploy(&runtime, run, store, plan, progress, Arc::new(stop), cancel);
    let verified = verify_after(&runtime, run, &ran, &run.printer.progress()).transpose()?;
    finish(ran, verified.as_ref(), run.printer, out)
}

/// Runs the step graph; Ctrl-C (SIGINT) or `stop` stops it safely.
pub fn deploy(
    runtime: &tokio::runtime::Runtime,
    run: &Run<'_>,
    store: StateStore,
    plan: Result<Plan, PlanError>,
    progress: Progress,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> Ran {
    let resume = format!("sre-agent-deploy --resume {}", store.flags());
    for note in &store.notes {
        progress.line("state", note);
    }
    let outcome = runtime.block_on(async {
        let watcher = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = stop.send(true);
            }
        });
        let outcome = run::execute(Request {
            config: run.config,
            plan,
            base_dir: run.base_dir,
            store,
            env: run.env,
            progress,
            cancel,
        })
        .await;
        watcher.abort();
        outcome
    });
    match outcome {
        Ok(report) => Ran {
            report,
            error: None,
            resume,
        },
        Err(failure) => {
            let mut report = failure.report;
            report.error = Some(RunError {
                message: failure.error.to_string(),
                suggestion: failure.error.suggestion(),
                resume: resume.clone(),
            });
            Ran {
                report,
                error: Some(failure.error),
                resume,
            }
        }
    }
}

/// The verification that ends a deploy or resume that succeeded; `None` after a failed run or
/// with `--no-verify`.
pub fn verify_after(
    runtime: &tokio::runtime::Runtime,
    run: &Run<'_>,
    ran: &Ran,
    progress: &Progress,
) -> Option<Result<Verified, Error>> {
    if ran.error.is_some() || run.options.no_verify {
        return None;
    }
    let state = ran.report.state.as_deref();
    progress.line("verify", "verifying the deployment (--no-verify skips this)");
    let verified = runtime.block_on(verify(
        Job {
            config: run.config,
            base_dir: run.base_dir,
            state,
            env: run.env,
            online: true,
            call_tool: run.options.call_tool.clone(),
            report_dir: None,
            rerun: run.rerun_verify(),
        },
        progress,
    ));
    Some(verified.map_err(Error::from))
}

/// Prints the run's report (and the verification's) and returns the exit status or the error.
pub fn finish(
    ran: Ran,
    verified: Option<&Verified>,
    printer: &Printer,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let Ran {
        report,
        error,
        resume,
    } = ran;
    printer.result(
        out,
        &Finished {
            report: &report,
            verified,
        },
    )?;
    match error {
        None => Ok(verified.map_or(ExitStatus::Success, |v| v.exit_status(false))),
        Some(error) => Err(Error::Deploy {
            error: Box::new(error),
            resume,
        }),
    }
}

/// The report of a run and of the verification that ended it, as printed: the run's report
/// then the verification's; as JSON, the run's report with `verification` and `reports`.
struct Finished<'a> {
    report: &'a Report,
    verified: Option<&'a Verified>,
}

impl std::fmt::Display for Finished<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.report)?;
        if let Some(v) = self.verified {
            write!(f, "\n{v}")?;
        }
        Ok(())
    }
}

impl Serialize for Finished<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(self.report).map_err(serde::ser::Error::custom)?;
        if let (Some(v), Some(map)) = (self.verified, value.as_object_mut()) {
            let report = serde_json::to_value(&v.report).map_err(serde::ser::Error::custom)?;
            let paths = serde_json::to_value(&v.paths).map_err(serde::ser::Error::custom)?;
            map.insert("verification".into(), report);
            map.insert("reports".into(), paths);
        }
        value.serialize(serializer)
    }
}

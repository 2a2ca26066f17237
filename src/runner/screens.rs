//! The run on the screens: the review (wizard) or the dashboard (`--resume` on a terminal) on
//! their own thread, while this one runs the deployment and its verification, so the dashboard
//! stays live. Nothing else writes to the terminal while they are up.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc;

use super::{Ran, Run, deploy, finish, verify_after};
use crate::deploy::error::DeployError;
use crate::deploy::plan::{Plan, PlanError};
use crate::deploy::session;
use crate::deploy::store::StateStore;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::progress::Progress;
use crate::ui::plan_view;
use crate::ui::screens::{App, Effect, Event, FailureView, ReportView, Theme};
use crate::ui::section::Section;
use crate::ui::terminal::{self, Feeds};
use crate::verify::job::Verified;

/// How the screens ended.
pub enum Shown {
    /// Back to a wizard section (from the review); the state stays open.
    Back(Section, Box<StateStore>),
    /// Left at the review: nothing was created.
    Quit,
    /// The run happened (whatever its outcome), with its verification.
    Ran(Box<(Ran, Option<Verified>)>),
}

/// `--resume` (or a deploy) on a terminal: the dashboard, from the first unfinished step, then
/// the report.
pub fn dashboard(run: &Run<'_>, store: StateStore, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let plan = run.plan(&store);
    // A plan that cannot be made fails the run itself, on the failure panel.
    let steps = plan
        .as_ref()
        .map(|plan| plan_view::steps(plan, Some(&store.state)))
        .unwrap_or_default();
    let app = App::dashboard(store.state.deployment_id.clone(), steps);
    match show(run, store, plan, app, false)? {
        Shown::Ran(ran) => {
            let (ran, verified) = *ran;
            finish(ran, verified.as_ref(), run.printer, out)
        }
        Shown::Back(..) | Shown::Quit => Ok(ExitStatus::Interrupted),
    }
}

/// Shows `app` and, once confirmed (or at once without `confirm`), runs `plan` and its
/// verification while the dashboard watches. With `confirm`, the config is recorded in the state
/// only when the operator confirms.
pub fn show(
    run: &Run<'_>,
    mut store: StateStore,
    plan: Result<Plan, PlanError>,
    app: App,
    confirm: bool,
) -> Result<Shown, Error> {
    let runtime = super::runtime()?;
    let theme = Theme {
        color: run.printer.colour(),
    };
    let (progress_tx, progress_rx) = mpsc::channel();
    let (screen_tx, screen_rx) = mpsc::channel();
    let (control_tx, control_rx) = mpsc::channel();
    let (stop, cancel) = tokio::sync::watch::channel(false);
    let stop = Arc::new(stop);
    std::thread::scope(|scope| {
        let tui_stop = Arc::clone(&stop);
        let tui = scope.spawn(move || {
            let mut app = app;
            let feeds = Feeds {
                progress: &progress_rx,
                screen: &screen_rx,
            };
            terminal::run(&mut app, theme, &feeds, |effect| match effect {
                Effect::StopSafely => {
                    let _ = tui_stop.send(true);
                    false
                }
                Effect::Confirm => {
                    let _ = control_tx.send(effect.clone());
                    false
                }
                Effect::BackToSection(_) | Effect::Quit => {
                    let _ = control_tx.send(effect.clone());
                    true
                }
            })
        });
        let closed = |tui: std::thread::ScopedJoinHandle<'_, Result<(), String>>| match tui.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(Error::Terminal(message)),
            Err(_) => Err(Error::Terminal("the screens stopped unexpectedly".into())),
        };
        if confirm {
            match control_rx.recv() {
                Ok(Effect::Confirm) => {}
                Ok(Effect::BackToSection(section)) => {
                    closed(tui)?;
                    return Ok(Shown::Back(section, Box::new(store)));
                }
                _ => {
                    closed(tui)?;
                    return Ok(Shown::Quit);
                }
            }
            if let Err(e) = session::accept(&mut store, run.config) {
                let _ = screen_tx.send(Event::RunFailed(FailureView {
                    message: e.to_string(),
                    context: vec!["recording the confirmed config in the state file".into()],
                    suggestion: e.suggestion(),
                    resume: format!("sre-agent-deploy --config {}", run.options.config_path.display()),
                }));
                closed(tui)?;
                return Err(e.into());
            }
        }
        let ran = deploy(
            &runtime,
            run,
            store,
            plan,
            Progress::events(progress_tx.clone()),
            Arc::clone(&stop),
            cancel,
        );
        let verified = verify_after(&runtime, run, &ran, &Progress::events(progress_tx.clone()));
        match (&ran.error, &verified) {
            (Some(error), _) => {
                let _ = screen_tx.send(Event::RunFailed(failure(error, &ran.resume)));
                if matches!(error, DeployError::Interrupted) {
                    // Stopped on request: leave at once; the resume command is printed.
                    drop(screen_tx);
                }
            }
            (None, Some(Ok(v))) => {
                let _ = screen_tx.send(Event::RunFinished(ReportView {
                    report: v.report.clone(),
                    paths: v.paths.clone(),
                }));
            }
            (None, Some(Err(e))) => {
                let _ = screen_tx.send(Event::RunFailed(FailureView {
                    message: e.to_string(),
                    context: vec!["verifying the deployment (it was deployed)".into()],
                    suggestion: e.suggestion(),
                    resume: run.rerun_verify(),
                }));
            }
            // --no-verify: nothing more to show; the report is printed.
            (None, None) => drop(screen_tx),
        }
        closed(tui)?;
        let verified = verified.transpose()?;
        Ok(Shown::Ran(Box::new((ran, verified))))
    })
}

/// The failure panel of a run that stopped.
fn failure(error: &DeployError, resume: &str) -> FailureView {
    FailureView {
        message: error.to_string(),
        context: error.context(),
        suggestion: error.suggestion(),
        resume: resume.to_string(),
    }
}

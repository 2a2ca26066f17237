//! The interactive wizard (no mode flag, on a terminal): discover, welcome, prompts section by
//! section, save the config (backup kept), review the plan, run it on the dashboard, show the
//! verification report. `--resume` on a terminal opens the dashboard directly.
//!
//! Nothing is created before the review's confirmation. The screens run on their own thread
//! while this one runs the deployment, so the dashboard stays live; nothing else writes to the
//! terminal while they are up.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;

use super::deploy::{self, Ran};
use super::validate::flag_overrides;
use crate::cli::RunArgs;
use crate::config::load::load_or_new;
use crate::config::{Config, Environment};
use crate::deploy::error::DeployError;
use crate::deploy::plan::Plan;
use crate::deploy::progress::Progress;
use crate::deploy::store::StateStore;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::ui::plan_view::{self, Existing};
use crate::ui::screens::{App, Effect, Event, FailureView, ReportView, Theme};
use crate::ui::terminal::{self, Feeds};
use crate::ui::wizard::{self, Ask, Context, Discovered, Section, Stopped, discover};
use crate::validate::Severity;

/// `sre-agent-deploy` on a terminal.
pub fn run(args: &RunArgs, env: &dyn Environment, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let path = args.common.config.clone();
    let existed = path.is_file();
    let loaded = load_or_new(&path, env, &flag_overrides(&args.common)?)?;
    super::print_notices(&loaded);
    let Some(mut config) = loaded.config.clone() else {
        // A value of the wrong type: the prompts cannot start from it.
        return super::validate::run(args, env, out);
    };
    let base_dir = loaded.base_dir.clone();
    let runtime = super::runtime()?;
    let mut ask = wizard::ask::Terminal::new(env.var("NO_COLOR").as_deref());
    ask.say("Looking at the AWS account (read-only)...");
    let chain_region = runtime.block_on(discover::chain_region(config.aws.profile.as_deref()));
    let mut aws = config.aws.clone();
    if aws.region.trim().is_empty() || crate::config::is_placeholder(&aws.region) {
        aws.region = chain_region.clone().unwrap_or_else(|| "us-east-1".into());
    }
    let mut found = runtime.block_on(discover::discover(&aws));
    ask.say(&wizard::welcome(
        found.account.as_deref(),
        &aws.region,
        &path,
        existed,
    ));
    for note in &found.notes {
        ask.say(&format!("  note: {note} (that list is not offered)"));
    }
    let keep = existed
        && !wizard::findings(&config, &context(&base_dir, env, &found, chain_region.as_deref()))
            .iter()
            .any(|f| f.severity == Severity::Error)
        && answer(
            ask.confirm(
                &format!("{} is complete. Use it as it is?", path.display()),
                true,
                Some("No goes through every section with its values as defaults"),
            ),
            &path,
        )?;
    let mut sections: Vec<Section> = if keep { Vec::new() } else { Section::ALL.to_vec() };
    let mut store: Option<StateStore> = None;
    let mut discovered_in = aws.region;
    loop {
        for section in &sections {
            let cx = context(&base_dir, env, &found, chain_region.as_deref());
            answer(wizard::sections::ask(&mut ask, *section, &mut config, &cx), &path)?;
            // Another region has other pools, buckets and gateways to offer.
            if config.aws.region != discovered_in {
                ask.say(&format!("Looking at {} (read-only)...", config.aws.region));
                found = runtime.block_on(discover::discover(&config.aws));
                discovered_in.clone_from(&config.aws.region);
            }
        }
        let findings = wizard::findings(&config, &context(&base_dir, env, &found, chain_region.as_deref()));
        if let Some(section) = wizard::first_error_section(&findings) {
            for f in findings.iter().filter(|f| f.severity == Severity::Error) {
                ask.say(&format!("  ✗ {f}"));
            }
            ask.say(&format!("Back to the {} section to fix that.", section.title()));
            sections = vec![section];
            continue;
        }
        if findings.iter().any(|f| f.severity == Severity::Error) {
            // An error outside the four sections (verify, deployment): only the file can fix it.
            if !sections.is_empty() {
                wizard::save(&path, &to_save(&config, &path))?;
            }
            return super::validate::run(args, env, out);
        }
        // A file used as it is is not rewritten (its comments stay).
        if !sections.is_empty() {
            match wizard::save(&path, &to_save(&config, &path))? {
                Some(backup) => ask.say(&format!(
                    "Saved {} (the previous file is {}).",
                    path.display(),
                    backup.display()
                )),
                None => ask.say(&format!("Saved {}.", path.display())),
            }
        }
        let opened = match store.take() {
            Some(store) => store,
            None => deploy::open_store(&config, &base_dir, &path)?,
        };
        let plan = match Plan::new(&config, &opened.state.deployment_id, &base_dir) {
            Ok(plan) => plan,
            Err(e) => {
                ask.say(&format!("  ✗ {e}"));
                store = Some(opened);
                sections = vec![Section::Gateway];
                continue;
            }
        };
        let mut warnings: Vec<_> = findings
            .into_iter()
            .filter(|f| f.severity != Severity::Error)
            .collect();
        if let Some(diff) = deploy::config_change(&opened, &config) {
            warnings.push(crate::validate::Finding::warning(
                "config",
                format!("the config changed since this deployment last ran; confirming applies:\n{diff}"),
            ));
        }
        let view = plan_view::review(
            &plan,
            Some(&opened.state),
            Existing {
                roles: &found.roles,
                buckets: &found.buckets,
            },
            warnings,
        );
        let app = App::new(view, plan_view::steps(&plan, Some(&opened.state)));
        let session = Session {
            runtime: &runtime,
            config: &config,
            base_dir: &base_dir,
            env,
            args,
        };
        match session.screens(opened, app, true)? {
            Shown::Back(section, kept) => {
                store = Some(*kept);
                sections = vec![Section::of(&section).unwrap_or(Section::Gateway)];
            }
            Shown::Quit => {
                return Err(Error::Stopped {
                    what: "stopped at the review: nothing was created".into(),
                    next: format!(
                        "your answers are saved in {}; run `sre-agent-deploy --config {}` to continue",
                        path.display(),
                        path.display()
                    ),
                });
            }
            Shown::Ran(ran) => {
                let (ran, verified) = *ran;
                return deploy::finish(ran, verified.as_ref(), args, out);
            }
        }
    }
}

/// `--resume` (or a deploy) on a terminal: the dashboard, from the first unfinished step.
pub fn run_on_screen(
    store: StateStore,
    config: &Config,
    base_dir: &Path,
    env: &dyn Environment,
    args: &RunArgs,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let runtime = super::runtime()?;
    // A plan that cannot be made fails the run itself, on the failure panel.
    let steps = Plan::new(config, &store.state.deployment_id, base_dir)
        .map(|plan| plan_view::steps(&plan, Some(&store.state)))
        .unwrap_or_default();
    let app = App::dashboard(store.state.deployment_id.clone(), steps);
    let session = Session {
        runtime: &runtime,
        config,
        base_dir,
        env,
        args,
    };
    match session.screens(store, app, false)? {
        Shown::Ran(ran) => {
            let (ran, verified) = *ran;
            deploy::finish(ran, verified.as_ref(), args, out)
        }
        Shown::Back(..) | Shown::Quit => Ok(ExitStatus::Interrupted),
    }
}

/// What the file gets: the answers, and the file's own values for what the wizard does not ask
/// (`verify`, `deployment`, the profile and endpoint), so that values from the environment or
/// flags of this one run are not written down.
fn to_save(config: &Config, path: &Path) -> Config {
    let no_env = std::collections::HashMap::<String, String>::new();
    let file = load_or_new(path, &no_env, &[])
        .ok()
        .and_then(|loaded| loaded.config)
        .unwrap_or_default();
    let mut saved = config.clone();
    saved.verify = file.verify;
    saved.deployment = file.deployment;
    saved.aws.profile = file.aws.profile;
    saved.aws.endpoint_url = file.aws.endpoint_url;
    saved
}

fn context<'a>(
    base_dir: &'a Path,
    env: &'a dyn Environment,
    found: &'a Discovered,
    chain_region: Option<&'a str>,
) -> Context<'a> {
    Context {
        base_dir,
        env,
        found,
        chain_region,
    }
}

/// A prompt's answer, or the wizard's end: nothing was created yet.
fn answer<T>(result: Result<T, Stopped>, config: &Path) -> Result<T, Error> {
    result.map_err(|stopped| match stopped {
        Stopped::ByOperator => Error::Stopped {
            what: "the wizard was stopped at a prompt; nothing was created".into(),
            next: format!(
                "run `sre-agent-deploy --config {}` again; answers are saved only after the last section",
                config.display()
            ),
        },
        Stopped::Terminal(message) => Error::Write {
            path: "the terminal".into(),
            source: std::io::Error::other(message),
        },
    })
}

/// How the screens ended.
enum Shown {
    /// Back to a wizard section (from the review); the state stays open.
    Back(String, Box<StateStore>),
    /// Left at the review.
    Quit,
    Ran(Box<(Ran, Option<super::verify::Verified>)>),
}

struct Session<'a> {
    runtime: &'a tokio::runtime::Runtime,
    config: &'a Config,
    base_dir: &'a Path,
    env: &'a dyn Environment,
    args: &'a RunArgs,
}

impl Session<'_> {
    /// Shows `app` and, once confirmed (or at once without `confirm`), runs the deployment and its
    /// verification while the dashboard watches.
    fn screens(&self, mut store: StateStore, app: App, confirm: bool) -> Result<Shown, Error> {
        let theme = Theme::from_env(self.env.var("NO_COLOR").as_deref());
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
                Ok(Err(message)) => Err(Error::Write {
                    path: "the terminal".into(),
                    source: std::io::Error::other(message),
                }),
                Err(_) => Err(Error::Write {
                    path: "the terminal".into(),
                    source: std::io::Error::other("the screens stopped unexpectedly"),
                }),
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
                if let Err(e) = deploy::accept_config(&mut store, self.config) {
                    let _ = screen_tx.send(Event::RunFailed(FailureView {
                        message: e.to_string(),
                        context: vec!["recording the confirmed config in the state file".into()],
                        suggestion: e.suggestion(),
                        resume: format!("sre-agent-deploy --config {}", self.args.common.config.display()),
                    }));
                    closed(tui)?;
                    return Err(e);
                }
            }
            let ran = deploy::run_deployment(
                self.runtime,
                store,
                self.config,
                self.base_dir,
                self.env,
                Progress::events(progress_tx.clone()),
                Arc::clone(&stop),
                cancel,
            );
            let verified = match (&ran.error, self.args.no_verify) {
                (None, false) => Some(deploy::verify_after(
                    self.runtime,
                    &ran.report,
                    self.config,
                    self.base_dir,
                    self.env,
                    self.args,
                    &Progress::events(progress_tx.clone()),
                )),
                _ => None,
            };
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
                        resume: format!(
                            "sre-agent-deploy verify --config {}",
                            self.args.common.config.display()
                        ),
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

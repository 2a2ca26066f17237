//! The interactive wizard (no mode flag, on a terminal): discover, welcome, prompts section by
//! section, save the config (backup kept), review the plan, run it on the dashboard, show the
//! verification report. `--resume` on a terminal opens the dashboard directly.
//!
//! Nothing is created before the review's confirmation. The screens run on their own thread
//! while this one runs the deployment, so the dashboard stays live; nothing else writes to the
//! terminal while they are up.

use std::io::Write;
use std::path::Path;

use super::Cx;
use crate::aws::Clients;
use crate::cli::RunArgs;
use crate::config::load::load_or_new;
use crate::config::{Config, Environment};
use crate::deploy::changes::changes;
use crate::deploy::observe::observe;
use crate::deploy::plan::Plan;
use crate::deploy::session;
use crate::deploy::store::StateStore;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::runner::screens::{Shown, show};
use crate::runner::{Run, finish, runtime};
use crate::ui::plan_view::{self, Existing};
use crate::ui::review_changes;
use crate::ui::screens::App;
use crate::ui::wizard::{self, Ask, Context, Discovered, Section, Stopped, discover};
use crate::validate::Severity;

/// How the wizard ended, when it did not fail.
pub enum Ended {
    /// With this exit status (the deployment's, or the wizard's own).
    Status(ExitStatus),
    /// The config has an error only the file can fix (outside the four sections): the caller
    /// reports it as `--validate-only` does.
    Invalid,
}

/// `sre-agent-deploy` on a terminal.
pub fn run(args: &RunArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<Ended, Error> {
    let env = cx.env;
    let path = args.common.config.clone();
    let existed = path.is_file();
    let loaded = load_or_new(&path, env, &args.common.overrides()?)?;
    cx.notices(&loaded);
    let Some(mut config) = loaded.config.clone() else {
        // A value of the wrong type: the prompts cannot start from it.
        return Ok(Ended::Invalid);
    };
    let base_dir = loaded.base_dir.clone();
    let runtime = runtime()?;
    let mut ask = wizard::ask::Terminal::new(cx.printer.colour());
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
            return Ok(Ended::Invalid);
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
            None => session::open(&config, &base_dir, &path, "deploy")?,
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
        if let Some(diff) = session::config_change(&opened, &config) {
            warnings.push(crate::validate::Finding::warning(
                "config",
                format!("the config changed since this deployment last ran; confirming applies:\n{diff}"),
            ));
        }
        let existing = Existing {
            roles: &found.roles,
            buckets: &found.buckets,
            certificate_due: certificate_due(&plan),
        };
        // A deployment that has run is reviewed as `plan` shows it: what AWS has now, each
        // field that changes. A fresh one from the state and what discovery found.
        let live = if opened.state.steps.is_empty() {
            None
        } else {
            let looked = runtime.block_on(async {
                let clients = Clients::connect(&config.aws).await;
                observe(&clients, &plan, Some(&opened.state)).await
            });
            match looked {
                Ok(live) => Some(live),
                Err(e) => {
                    warnings.push(crate::validate::Finding::warning(
                        "config",
                        format!("cannot read the deployment from AWS ({e}): the review shows the state file's view"),
                    ));
                    None
                }
            }
        };
        let view = match &live {
            Some(live) => review_changes::review(
                &plan,
                &changes(&plan, Some(&opened.state), live),
                existing,
                warnings,
            ),
            None => plan_view::review(&plan, Some(&opened.state), existing, warnings),
        };
        let app = App::new(view, plan_view::steps(&plan, Some(&opened.state)));
        let options = args.run_options();
        let run = Run {
            config: &config,
            base_dir: &base_dir,
            env,
            printer: &cx.printer,
            options: &options,
        };
        // The plan reviewed is the plan run.
        match show(&run, opened, Ok(plan), app, true)? {
            Shown::Back(section, kept) => {
                store = Some(*kept);
                sections = vec![section];
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
                return finish(ran, verified.as_ref(), &cx.printer, out).map(Ended::Status);
            }
        }
    }
}

/// With `tls.acme`: whether the run will get a certificate (the files are missing or due).
fn certificate_due(plan: &Plan) -> bool {
    let now = time::OffsetDateTime::now_utc();
    plan.certificate
        .as_ref()
        .is_some_and(|c| c.current(now).is_none())
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
        Stopped::Terminal(message) => Error::Terminal(message),
    })
}

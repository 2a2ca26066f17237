//! Deploy (`--non-interactive`) and `--resume`: find or create the state file, check for config
//! changes, then hand the run to [`crate::runner`] (plain lines, or the dashboard on a terminal).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Cx, flag_settings, invalid};
use crate::cli::RunArgs;
use crate::config::Config;
use crate::config::load::{Loaded, load};
use crate::deploy::session::{self, locate};
use crate::deploy::store::{STATE_DIR, StateError, StateStore};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::runner::{self, Run};
use crate::validate::ValidationResult;

/// `--non-interactive`: deploy the config, or bring an earlier deployment of it up to date.
pub fn deploy(args: &RunArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let loaded = load(&args.common.config, cx.env, &args.common.overrides()?)?;
    let result = loaded.validate(cx.env);
    let Some(config) = checked(&loaded, &result, cx) else {
        return invalid(cx, &loaded, &result, out);
    };
    let mut store = session::open(&config, &loaded.base_dir, &args.common.config, "deploy")?;
    session::apply_change(&mut store, &config, args.yes, &cx.printer.progress())?;
    execute(store, &config, &loaded.base_dir, args, cx, out)
}

/// `--resume`: continue the deployment a state file records.
pub fn resume(args: &RunArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    // The flags say where the state is (the config may not even load any more).
    let (flags, aws) = flag_settings(&args.common, cx.env);
    let located = locate(&flags, &aws, Path::new("."), Some(&args.common.config))?.ok_or_else(|| {
        StateError::NotFound {
            path: PathBuf::from(STATE_DIR),
        }
    })?;
    let mut store = StateStore::open_existing(located.location, "resume")?;
    let config_file = store
        .state
        .config_path
        .clone()
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    let (config, base_dir) = match config_file {
        Some(path) => {
            let loaded = load(&path, cx.env, &args.common.overrides()?)?;
            let result = loaded.validate(cx.env);
            let Some(config) = checked(&loaded, &result, cx) else {
                return invalid(cx, &loaded, &result, out);
            };
            (config, loaded.base_dir)
        }
        None => (store.state.config.clone(), PathBuf::from(".")),
    };
    if let Some(id) = config
        .deployment
        .deployment_id
        .as_ref()
        .filter(|id| **id != store.state.deployment_id)
    {
        return Err(StateError::OtherDeployment {
            path: store.path(),
            found: store.state.deployment_id.clone(),
            expected: id.clone(),
        }
        .into());
    }
    session::apply_change(&mut store, &config, args.yes, &cx.printer.progress())?;
    execute(store, &config, &base_dir, args, cx, out)
}

/// The config, if it validates (with its notes, sources and warnings shown as progress).
fn checked(loaded: &Loaded, result: &ValidationResult, cx: &Cx<'_>) -> Option<Config> {
    if !result.passes(false) {
        return None;
    }
    let config = loaded.config.clone()?;
    cx.notices(loaded);
    let progress = cx.printer.progress();
    for (field, source) in &loaded.sources {
        progress.line("config", &format!("{field} is set by {source}"));
    }
    for warning in result.warnings() {
        progress.line("validate", &warning.to_string().replace('\n', " "));
    }
    Some(config)
}

/// Runs the deployment (on the dashboard when the run has screens) and prints its report.
fn execute(
    store: StateStore,
    config: &Config,
    base_dir: &Path,
    args: &RunArgs,
    cx: &Cx<'_>,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let options = args.run_options();
    let run = Run {
        config,
        base_dir,
        env: cx.env,
        printer: &cx.printer,
        options: &options,
    };
    if cx.screens {
        runner::screens::dashboard(&run, store, out)
    } else {
        runner::plain(&run, store, out)
    }
}

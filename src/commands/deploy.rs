//! Deploy (`--non-interactive`) and `--resume`: find or create the state file, check for config
//! changes, run the step graph on a tokio runtime with Ctrl-C handling, print the report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::validate::flag_overrides;
use super::write_out;
use crate::cli::{OutputFormat, RunArgs};
use crate::config::load::{Loaded, load};
use crate::config::{Config, Environment};
use crate::deploy::progress::Progress;
use crate::deploy::run::{self, Request};
use crate::deploy::store::{self, STATE_DIR, StateError, StateStore};
use crate::deploy::{ids, state::State};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::ValidationReport;

/// `--non-interactive`: deploy the config, or bring an earlier deployment of it up to date.
pub fn deploy(args: &RunArgs, env: &dyn Environment, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let loaded = load(&args.common.config, env, &flag_overrides(&args.common)?)?;
    let Some(config) = checked(&loaded, args, env, out)? else {
        return Ok(ExitStatus::Invalid);
    };
    let mut store = open_store(&config, &loaded.base_dir, &args.common.config)?;
    apply_config_change(&mut store, &config, args.yes)?;
    execute(store, &config, &loaded.base_dir, env, args, out)
}

/// Opens (locked) or creates the state of the config's deployment: the configured id, else the
/// id of an earlier run of the same file, else a new one.
pub(super) fn open_store(config: &Config, base_dir: &Path, config_file: &Path) -> Result<StateStore, Error> {
    let config_path = absolute(config_file);
    let deployment_id = config
        .deployment
        .deployment_id
        .clone()
        .or_else(|| earlier_deployment(&config_path))
        .unwrap_or_else(ids::generate);
    let state_path = config
        .deployment
        .state_file
        .as_ref()
        .map_or_else(|| store::default_path(&deployment_id), |p| base_dir.join(p));
    let store = StateStore::open_or_create(&state_path, || {
        store::new_state(&deployment_id, Some(config_path.clone()), config)
    })?;
    if store.state.deployment_id != deployment_id {
        return Err(Error::State(StateError::OtherDeployment {
            path: state_path,
            found: store.state.deployment_id.clone(),
            expected: deployment_id,
        }));
    }
    Ok(store)
}

/// `--resume`: continue the deployment a state file records.
pub fn resume(args: &RunArgs, env: &dyn Environment, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let state_path = match (&args.common.state_file, &args.common.deployment_id) {
        (Some(path), _) => path.clone(),
        (None, Some(id)) => store::default_path(id),
        (None, None) => store::find_for_config(Path::new(STATE_DIR), &absolute(&args.common.config))
            .ok_or_else(|| StateError::NotFound {
                path: PathBuf::from(STATE_DIR),
            })?,
    };
    let mut store = StateStore::open_existing(&state_path)?;
    let config_file = store
        .state
        .config_path
        .clone()
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    let (config, base_dir) = match config_file {
        Some(path) => {
            let loaded = load(&path, env, &flag_overrides(&args.common)?)?;
            let Some(config) = checked(&loaded, args, env, out)? else {
                return Ok(ExitStatus::Invalid);
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
        return Err(Error::State(StateError::OtherDeployment {
            path: state_path,
            found: store.state.deployment_id.clone(),
            expected: id.clone(),
        }));
    }
    apply_config_change(&mut store, &config, args.yes)?;
    execute(store, &config, &base_dir, env, args, out)
}

/// The config, if it validates; otherwise the findings are printed and `None` returned.
fn checked(
    loaded: &Loaded,
    args: &RunArgs,
    env: &dyn Environment,
    out: &mut dyn Write,
) -> Result<Option<Config>, Error> {
    let result = loaded.validate(env);
    let report = ValidationReport::new(&loaded.path, &result, false);
    if !report.valid || loaded.config.is_none() {
        let text = match args.common.output {
            OutputFormat::Text => report.to_string(),
            OutputFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default()),
        };
        write_out(out, &text)?;
        return Ok(None);
    }
    super::print_notices(loaded);
    let progress = Progress::stderr();
    for (field, source) in &loaded.sources {
        progress.line("config", &format!("{field} is set by {source}"));
    }
    for warning in result.warnings() {
        progress.line("validate", &warning.to_string().replace('\n', " "));
    }
    Ok(loaded.config.clone())
}

/// The deployment id of an earlier run of the same config file, if one is on record.
fn earlier_deployment(config_path: &str) -> Option<String> {
    let path = store::find_for_config(Path::new(STATE_DIR), config_path)?;
    store::read(&path).ok().map(|s: State| s.deployment_id)
}

/// The field-by-field change since the deployment last ran, when it ran and the config changed.
pub(super) fn config_change(store: &StateStore, config: &Config) -> Option<String> {
    (store.state.config_digest != store::config_digest(config) && !store.state.steps.is_empty())
        .then(|| config_diff(&store.state.config, config))
}

/// Records `config` as the deployment's config (the run applies it).
pub(super) fn accept_config(store: &mut StateStore, config: &Config) -> Result<(), Error> {
    let digest = store::config_digest(config);
    if store.state.config_digest != digest {
        store.state.config = config.clone();
        store.state.config_digest = digest;
        store.save()?;
    }
    Ok(())
}

/// Stops when the config changed since the state was written, unless `--yes` accepts it.
fn apply_config_change(store: &mut StateStore, config: &Config, yes: bool) -> Result<(), Error> {
    let Some(diff) = config_change(store, config) else {
        let digest = store::config_digest(config);
        if store.state.config_digest != digest {
            store.state.config = config.clone();
            store.state.config_digest = digest;
        }
        return Ok(());
    };
    if !yes {
        return Err(Error::ConfigChanged {
            deployment_id: store.state.deployment_id.clone(),
            diff,
        });
    }
    let progress = Progress::stderr();
    progress.line("config", &format!("applying the changed config:\n{diff}"));
    progress.line(
        "config",
        "note: new resources, the role's policy, the resource server's and app client's scopes and the \
         gateway's role and authorizer follow the new config; an existing target keeps its first \
         settings (cleanup and deploy again to change a target)",
    );
    accept_config(store, config)
}

/// Field-by-field differences between two configs (`  aws.region: us-east-1 -> us-west-2`).
pub fn config_diff(before: &Config, after: &Config) -> String {
    let flatten = |c: &Config| {
        let mut fields = std::collections::BTreeMap::new();
        flatten_into(
            &serde_json::to_value(c).unwrap_or_default(),
            String::new(),
            &mut fields,
        );
        fields
    };
    let (old, new) = (
        flatten(&store::without_locators(before)),
        flatten(&store::without_locators(after)),
    );
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|k| match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) if a != b => Some(format!("  {k}: {a} -> {b}")),
            (Some(a), None) => Some(format!("  {k}: {a} -> (removed)")),
            (None, Some(b)) => Some(format!("  {k}: (unset) -> {b}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn flatten_into(
    value: &serde_json::Value,
    path: String,
    out: &mut std::collections::BTreeMap<String, String>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten_into(v, child, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten_into(v, format!("{path}[{i}]"), out);
            }
        }
        other => {
            out.insert(path, other.to_string());
        }
    }
}

/// Runs the deployment and prints its report.
fn execute(
    store: StateStore,
    config: &Config,
    base_dir: &Path,
    env: &dyn Environment,
    args: &RunArgs,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    if args.wants_screens() {
        return super::wizard::run_on_screen(store, config, base_dir, env, args, out);
    }
    let runtime = super::runtime()?;
    let (stop, cancel) = tokio::sync::watch::channel(false);
    let ran = run_deployment(
        &runtime,
        store,
        config,
        base_dir,
        env,
        Progress::stderr(),
        Arc::new(stop),
        cancel,
    );
    let verified = match (&ran.error, args.no_verify) {
        (None, false) => Some(verify_after(
            &runtime,
            &ran.report,
            config,
            base_dir,
            env,
            args,
            &Progress::stderr(),
        )?),
        _ => None,
    };
    finish(ran, verified.as_ref(), args, out)
}

/// How a run went: its report, and why it stopped early, with the command that resumes it.
pub(super) struct Ran {
    pub report: run::Report,
    pub error: Option<crate::deploy::error::DeployError>,
    pub resume: String,
}

/// Runs the step graph; Ctrl-C (SIGINT) or `stop` stops it safely.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_deployment(
    runtime: &tokio::runtime::Runtime,
    store: StateStore,
    config: &Config,
    base_dir: &Path,
    env: &dyn Environment,
    progress: Progress,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> Ran {
    let resume = format!(
        "sre-agent-deploy --resume --state-file {}",
        store.path().display()
    );
    let outcome = runtime.block_on(async {
        let watcher = tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = stop.send(true);
            }
        });
        let outcome = run::execute(Request {
            config,
            base_dir,
            store,
            env,
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
            report.error = Some(crate::deploy::run::RunError {
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

/// Prints the run's report (and the verification's) and returns the exit status or the error.
pub(super) fn finish(
    ran: Ran,
    verified: Option<&super::verify::Verified>,
    args: &RunArgs,
    out: &mut dyn Write,
) -> Result<ExitStatus, Error> {
    let Ran {
        report,
        error,
        resume,
    } = ran;
    let text = match args.common.output {
        OutputFormat::Text => {
            let mut text = report.to_string();
            if let Some(v) = verified {
                text.push('\n');
                text.push_str(&v.text());
            }
            text
        }
        OutputFormat::Json => {
            let mut value = serde_json::to_value(&report).unwrap_or_default();
            if let (Some(v), Some(map)) = (verified, value.as_object_mut()) {
                map.insert(
                    "verification".into(),
                    serde_json::to_value(&v.report).unwrap_or_default(),
                );
                map.insert(
                    "reports".into(),
                    serde_json::to_value(&v.paths).unwrap_or_default(),
                );
            }
            format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
        }
    };
    write_out(out, &text)?;
    match error {
        None => Ok(verified.map_or(ExitStatus::Success, |v| v.exit_status(false))),
        Some(error) => Err(Error::Deploy {
            error: Box::new(error),
            resume,
        }),
    }
}

/// The verification that ends a successful deploy or resume.
pub(super) fn verify_after(
    runtime: &tokio::runtime::Runtime,
    report: &run::Report,
    config: &Config,
    base_dir: &Path,
    env: &dyn Environment,
    args: &RunArgs,
    progress: &Progress,
) -> Result<super::verify::Verified, Error> {
    let state = store::read(&report.state_file).ok();
    progress.line("verify", "verifying the deployment (--no-verify skips this)");
    runtime.block_on(super::verify::verify(
        super::verify::Job {
            config,
            base_dir,
            state: state.as_ref(),
            env,
            online: true,
            call_tool: args.call_tool.clone(),
            report_dir: None,
            rerun: format!(
                "sre-agent-deploy verify --config {}",
                args.common.config.display()
            ),
        },
        progress,
    ))
}

fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_fields() {
        let mut a = Config::default();
        a.aws.region = "us-east-1".into();
        let mut b = a.clone();
        b.aws.region = "us-west-2".into();
        b.cognito.scopes = vec!["x/y".into()];
        let diff = config_diff(&a, &b);
        assert!(
            diff.contains("aws.region: \"us-east-1\" -> \"us-west-2\""),
            "{diff}"
        );
        assert!(diff.contains("cognito.scopes[0]: (unset) -> \"x/y\""), "{diff}");
        assert_eq!(config_diff(&a, &a), "");
    }
}

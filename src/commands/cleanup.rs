//! `--cleanup --deployment-id ID`: delete what the deployment created, after a confirmation.
//! Needs no secret values. Every resource tagged with the deployment is deleted too, whether the
//! state file names it or not; without a state file, the tag is all there is to go by.

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;

use super::Cx;
use crate::aws::Clients;
use crate::cli::RunArgs;
use crate::config::{AwsConfig, DeploymentConfig, Environment};
use crate::deploy::cleanup::{self, Deletion, Outcome};
use crate::deploy::discover::UNDISCOVERABLE;
use crate::deploy::session::locate;
use crate::deploy::state::DeploymentStatus;
use crate::deploy::store::{self, StateError, StateStore};
use crate::error::Error;
use crate::exit::ExitStatus;

/// What cleanup did.
#[derive(Debug, Serialize)]
pub struct CleanupReport {
    pub deployment_id: String,
    pub dry_run: bool,
    /// There was no state file: the resources were found by their tag.
    pub found_by_tag: bool,
    /// Why the sweep by tag could not run (the ledger's resources were still handled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_failed: Option<String>,
    pub resources: Vec<Deletion>,
}

impl std::fmt::Display for CleanupReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.dry_run { "would delete" } else { "deleted" };
        let count = |o: fn(&Outcome) -> bool| self.resources.iter().filter(|d| o(&d.outcome)).count();
        writeln!(
            f,
            "cleanup of {}: {verb} {}, already gone {}, kept {}, failed {}",
            self.deployment_id,
            count(|o| matches!(o, Outcome::Deleted | Outcome::WouldDelete | Outcome::WithParent)),
            count(|o| *o == Outcome::AlreadyGone),
            count(|o| *o == Outcome::Kept),
            count(|o| matches!(o, Outcome::Failed(_))),
        )?;
        for d in &self.resources {
            writeln!(
                f,
                "  {:<28} {:<40} {}{}",
                d.kind.label(),
                d.name,
                d.outcome,
                if d.found_by_tag { " (found by tag)" } else { "" }
            )?;
        }
        if let Some(why) = &self.sweep_failed {
            writeln!(
                f,
                "  the sweep by tag could not run, so resources outside the state file may remain: {why}"
            )?;
        }
        Ok(())
    }
}

pub fn run(args: &RunArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let env = cx.env;
    let deployment_id = args.common.deployment_id.clone().unwrap_or_default();
    let flags = DeploymentConfig {
        deployment_id: Some(deployment_id.clone()),
        state_file: args.common.state_file.clone(),
    };
    let state_path = locate(&flags, std::path::Path::new("."), None)
        .map_or_else(|| store::default_path(&deployment_id), |l| l.path);
    let runtime = crate::runner::runtime()?;
    let progress = cx.printer.progress();
    let (mut store, found_by_tag) = match StateStore::open_existing(&state_path) {
        // A state file of another deployment would delete that deployment's resources.
        Ok(store) if store.state.deployment_id != deployment_id => {
            return Err(Error::State(StateError::OtherDeployment {
                path: state_path,
                found: store.state.deployment_id.clone(),
                expected: deployment_id,
            }));
        }
        Ok(store) => (store, false),
        Err(StateError::NotFound { .. }) => {
            let aws = aws_from_flags(args, env);
            progress.line(
                "cleanup",
                &format!(
                    "no state file at {}; finding deployment {deployment_id}'s resources by tag in {}",
                    state_path.display(),
                    aws.region
                ),
            );
            progress.line("cleanup", &format!("cannot be found by tag: {UNDISCOVERABLE}"));
            let config = crate::config::Config {
                aws,
                ..crate::config::Config::default()
            };
            let store =
                StateStore::open_or_create(&state_path, || store::new_state(&deployment_id, None, &config))?;
            (store, true)
        }
        Err(e) => return Err(e.into()),
    };
    let clients = runtime.block_on(Clients::connect(&store.state.config.aws));
    // Every resource tagged with the deployment goes too, whether the ledger names it or not.
    let sweep = runtime.block_on(cleanup::sweep(&clients, &mut store, args.dry_run, &progress))?;
    let to_delete = sweep.to_delete();
    if !args.dry_run && to_delete > 0 && !args.yes {
        confirm(&format!(
            "delete {to_delete} resources of deployment {deployment_id}"
        ))?;
    }
    let cleaned = runtime.block_on(cleanup::run(&clients, &mut store, sweep, args.dry_run, &progress))?;
    let failed = cleaned.sweep_failed.is_some()
        || cleaned
            .resources
            .iter()
            .any(|d| matches!(d.outcome, Outcome::Failed(_)));
    if !args.dry_run && !failed {
        store.state.status = DeploymentStatus::CleanedUp;
        store.save()?;
    }
    let report = CleanupReport {
        deployment_id: deployment_id.clone(),
        dry_run: args.dry_run,
        found_by_tag,
        sweep_failed: cleaned.sweep_failed,
        resources: cleaned.resources,
    };
    cx.printer.result(out, &report)?;
    Ok(if failed {
        ExitStatus::Failed
    } else {
        ExitStatus::Success
    })
}

/// The AWS settings for a cleanup without a state file: flags, then the standard environment.
fn aws_from_flags(args: &RunArgs, env: &dyn Environment) -> AwsConfig {
    AwsConfig {
        region: args
            .common
            .region
            .clone()
            .or_else(|| env.var("AWS_REGION"))
            .or_else(|| env.var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into()),
        profile: args.common.profile.clone(),
        endpoint_url: args.common.endpoint_url.clone(),
        ..AwsConfig::default()
    }
}

/// Asks on the terminal; refuses when there is no terminal to ask on.
fn confirm(what: &str) -> Result<(), Error> {
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

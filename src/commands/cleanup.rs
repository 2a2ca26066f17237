//! `--cleanup --deployment-id ID`: delete what the deployment created, after a confirmation.
//! Needs no secret values. Every resource tagged with the deployment is deleted too, whether the
//! state file names it or not; without a state file, the tag is all there is to go by.

use std::io::Write;

use serde::Serialize;

use super::{Cx, confirm, flag_settings};
use crate::aws::Clients;
use crate::cli::RunArgs;

use crate::deploy::cleanup::{self, Deletion, Outcome};
use crate::deploy::discover::UNDISCOVERABLE;
use crate::deploy::session::locate;
use crate::deploy::state::DeploymentStatus;
use crate::deploy::store::{self, Location, StateError, StateStore};
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
    let (mut flags, aws) = flag_settings(&args.common, env);
    let deployment_id = flags.deployment_id.clone().unwrap_or_default();
    flags.deployment_id = Some(deployment_id.clone());
    let location = locate(&flags, &aws, std::path::Path::new("."), None)?.map_or_else(
        || Location::File(store::default_path(&deployment_id)),
        |l| l.location,
    );
    let runtime = crate::runner::runtime()?;
    let progress = cx.printer.progress();
    let (mut store, found_by_tag) = match StateStore::open_existing(location.clone(), "cleanup") {
        // A state file of another deployment would delete that deployment's resources.
        Ok(store) if store.state.deployment_id != deployment_id => {
            return Err(Error::State(StateError::OtherDeployment {
                path: store.path(),
                found: store.state.deployment_id.clone(),
                expected: deployment_id,
            }));
        }
        Ok(store) => (store, false),
        Err(StateError::NotFound { .. }) => {
            progress.line(
                "cleanup",
                &format!(
                    "no state at {}; finding deployment {deployment_id}'s resources by tag in {}",
                    location.path().display(),
                    aws.region
                ),
            );
            progress.line("cleanup", &format!("cannot be found by tag: {UNDISCOVERABLE}"));
            let config = crate::config::Config {
                aws,
                ..crate::config::Config::default()
            };
            let store = StateStore::open_or_create(location, "cleanup", || {
                store::new_state(&deployment_id, None, &config)
            })?;
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

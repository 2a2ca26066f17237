//! `plan` and `drift`: what a deploy would do, and what changed behind the deployment's back.
//! Both only read (Get, List, Describe, S3 HEAD), all reads at once, and never write the state.

use std::fmt;
use std::io::Write;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Cx, invalid};
use crate::aws::Clients;
use crate::cli::PlanArgs;
use crate::config::load::load;
use crate::deploy::changes::{Action, Change, Summary, changes};
use crate::deploy::drift::{DriftStatus, DriftSummary, Drifted, drift};
use crate::deploy::observe::observe;
use crate::deploy::plan::Plan;
use crate::deploy::session;
use crate::deploy::state::State;
use crate::error::Error;
use crate::exit::ExitStatus;

/// What `plan` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanReport {
    /// `null` for a deployment that has not run yet (its id is chosen by the first deploy).
    pub deployment_id: Option<String>,
    pub changes: Vec<Change>,
    pub summary: Summary,
}

/// What `drift` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DriftReport {
    pub deployment_id: String,
    pub resources: Vec<Drifted>,
    pub summary: DriftSummary,
}

/// The config, its state (if the deployment ran) and, for `plan`, the plan of that config.
struct Loaded {
    plan: Option<Plan>,
    base_dir: std::path::PathBuf,
    state: Option<State>,
    config: crate::config::Config,
    rerun: String,
}

/// `sre-agent-deploy plan`.
pub fn plan(args: &PlanArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let Some(loaded) = prepare(args, cx, out, true)? else {
        return Ok(ExitStatus::Invalid);
    };
    let Some(plan) = &loaded.plan else {
        return Ok(ExitStatus::Invalid);
    };
    let live = look(cx, &loaded.config, plan, loaded.state.as_ref())?;
    let changes = changes(plan, loaded.state.as_ref(), &live);
    let report = PlanReport {
        deployment_id: loaded.state.as_ref().map(|s| s.deployment_id.clone()),
        summary: Summary::of(&changes),
        changes,
    };
    cx.printer.result(out, &report)?;
    Ok(detailed(args, report.summary.changes() > 0))
}

/// `sre-agent-deploy drift`.
pub fn drift_of(args: &PlanArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    // The config's own plan is not needed: drift compares with the recorded config's.
    let Some(loaded) = prepare(args, cx, out, false)? else {
        return Ok(ExitStatus::Invalid);
    };
    let Some(state) = loaded.state.as_ref() else {
        return Err(Error::NoDeployment {
            config: args.common.config.clone(),
        });
    };
    // What the deployment set is its own recorded config, not the file as it is now.
    let recorded = Plan::new(&state.config, &state.deployment_id, &loaded.base_dir)?;
    let live = look(cx, &state.config, &recorded, Some(state))?;
    let resources = drift(&changes(&recorded, Some(state), &live), state, &loaded.rerun);
    let report = DriftReport {
        deployment_id: state.deployment_id.clone(),
        summary: DriftSummary::of(&resources),
        resources,
    };
    let drifted = report.summary.modified + report.summary.deleted > 0;
    cx.printer.result(out, &report)?;
    Ok(detailed(args, drifted))
}

fn detailed(args: &PlanArgs, changed: bool) -> ExitStatus {
    if args.detailed_exitcode && changed {
        ExitStatus::ChangesPresent
    } else {
        ExitStatus::Success
    }
}

/// Loads and validates the config, finds its state, makes its plan (when `with_plan`). `None`
/// when the config is invalid (the report is printed).
fn prepare(
    args: &PlanArgs,
    cx: &Cx<'_>,
    out: &mut dyn Write,
    with_plan: bool,
) -> Result<Option<Loaded>, Error> {
    let loaded = load(&args.common.config, cx.env, &args.common.overrides()?)?;
    cx.notices(&loaded);
    let result = loaded.validate(cx.env);
    let Some(config) = loaded.config.clone().filter(|_| !result.has_errors()) else {
        invalid(cx, &loaded, &result, out)?;
        return Ok(None);
    };
    let state = session::recorded(&config, &loaded.base_dir, &args.common.config)?;
    let id = state
        .as_ref()
        .map(|s| s.deployment_id.clone())
        .or_else(|| config.deployment.deployment_id.clone())
        .unwrap_or_else(|| "sre-new".into());
    let plan = if with_plan {
        Some(Plan::new(&config, &id, &loaded.base_dir)?)
    } else {
        None
    };
    let rerun = format!(
        "sre-agent-deploy --non-interactive --config {}",
        args.common.config.display()
    );
    Ok(Some(Loaded {
        plan,
        base_dir: loaded.base_dir.clone(),
        state,
        config,
        rerun,
    }))
}

/// Reads what AWS shows, with a progress line.
fn look(
    cx: &Cx<'_>,
    config: &crate::config::Config,
    plan: &Plan,
    state: Option<&State>,
) -> Result<crate::deploy::observe::Live, Error> {
    cx.printer
        .progress()
        .line("plan", "reading the deployment's resources from AWS (read-only)");
    super::runtime()?.block_on(async {
        let clients = Clients::connect(&config.aws).await;
        observe(&clients, plan, state).await.map_err(|error| Error::Aws {
            context: "reading the deployment's resources".into(),
            error,
        })
    })
}

impl fmt::Display for PlanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.deployment_id.as_deref().unwrap_or("(not deployed yet)");
        writeln!(f, "plan for deployment {id}:")?;
        for change in &self.changes {
            let sign = match change.action {
                Action::Create => "+",
                Action::Update => "~",
                Action::Replace => "-/+",
                Action::Delete => "-",
                Action::Adopt => "=",
                Action::NoOp => " ",
            };
            let id = change
                .id
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default();
            writeln!(
                f,
                "  {sign:>3} {:<8} {} {}{id}",
                change.action.label(),
                change.kind,
                change.name
            )?;
            for field in &change.fields {
                writeln!(
                    f,
                    "          {}: {} -> {}",
                    field.path,
                    field.before.as_deref().unwrap_or("(none)"),
                    field.after.as_deref().unwrap_or("(none)")
                )?;
            }
            if let Some(reason) = &change.reason {
                writeln!(f, "          ({reason})")?;
            }
        }
        let s = &self.summary;
        writeln!(
            f,
            "Plan: {} to create, {} to update, {} to replace, {} to delete, {} to adopt ({} unchanged).",
            s.create, s.update, s.replace, s.delete, s.adopt, s.no_op
        )?;
        if s.changes() == 0 {
            writeln!(f, "No changes: the deployment matches the config.")?;
        }
        Ok(())
    }
}

impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "drift of deployment {}:", self.deployment_id)?;
        for item in &self.resources {
            let status = match item.status {
                DriftStatus::InSync => "in sync",
                DriftStatus::Modified => "MODIFIED",
                DriftStatus::Deleted => "DELETED",
            };
            writeln!(f, "  {status:<9} {} {}", item.kind, item.name)?;
            for field in &item.fields {
                writeln!(
                    f,
                    "            {}: is {}, the deployment set {}",
                    field.path,
                    field.before.as_deref().unwrap_or("(none)"),
                    field.after.as_deref().unwrap_or("(none)")
                )?;
            }
            if let Some(fix) = &item.fix {
                writeln!(f, "            fix: {fix}")?;
            }
        }
        let s = &self.summary;
        writeln!(
            f,
            "Drift: {} in sync, {} modified, {} deleted.",
            s.in_sync, s.modified, s.deleted
        )
    }
}

/// The JSON Schema of `plan --output json` (committed as `schemas/plan.schema.json`).
pub fn plan_schema_text() -> String {
    crate::config::schema::committed_text(&schemars::schema_for!(PlanReport))
}

/// The JSON Schema of `drift --output json` (committed as `schemas/drift.schema.json`).
pub fn drift_schema_text() -> String {
    crate::config::schema::committed_text(&schemars::schema_for!(DriftReport))
}

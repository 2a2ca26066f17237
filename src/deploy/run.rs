//! One deployment run, start to finish: open the state (locked), check the credentials' account,
//! resolve the secrets the run needs, execute the step graph, and record the outcome. Deploy and
//! resume both come through here; they differ only in how the state file is found.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::context::Shared;
use super::error::DeployError;
use super::executor::{self, StepOutcome};
use super::plan::{Plan, PlanError};
use super::state::{DeploymentStatus, LedgerStatus, ResourceKind, State};
use super::steps::Step;
use super::store::StateStore;
use crate::aws::calls::{STEP_CALLS, StepCalls};
use crate::aws::{AwsError, Clients, call};
use crate::config::{Config, Environment, Secret};
use crate::output::progress::Progress;

/// What a run needs.
pub struct Request<'a> {
    pub config: &'a Config,
    /// The plan made once for this run (the one reviewed, on a terminal), or why it could not
    /// be made. Its spec files are checked again before anything is created.
    pub plan: Result<Plan, PlanError>,
    pub base_dir: &'a Path,
    pub store: StateStore,
    pub env: &'a dyn Environment,
    pub progress: Progress,
    /// Turns true when the run must stop (Ctrl-C).
    pub cancel: tokio::sync::watch::Receiver<bool>,
}

/// How a run went.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub deployment_id: String,
    pub status: DeploymentStatus,
    pub state_file: PathBuf,
    pub gateway_url: Option<String>,
    pub duration_ms: u64,
    pub calls: u32,
    pub steps: Vec<StepReport>,
    pub resources: Vec<ResourceReport>,
    /// Why the run stopped, what to do, and the command that continues it (failed runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// The state as the run left it (for the verification that follows; not printed).
    #[serde(skip)]
    pub state: Option<Box<State>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunError {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    pub resume: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub id: String,
    /// The steps this one waited for.
    pub after: Vec<String>,
    pub duration_ms: u64,
    pub calls: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ResourceReport {
    pub kind: ResourceKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub created_by_us: bool,
}

/// A run that did not complete: the report so far and why.
pub struct Failure {
    pub report: Report,
    pub error: DeployError,
}

/// Runs the deployment to completion or to its first failure.
pub async fn execute(request: Request<'_>) -> Result<Report, Box<Failure>> {
    let begun = Instant::now();
    let mut store = request.store;
    store.state.status = DeploymentStatus::InProgress;
    // The plan made before the run (and reviewed): its spec files must still say what they said,
    // or nothing is sent at all, not even the account check.
    let plan = match request.plan.and_then(|plan| {
        plan.still_current(request.config, request.base_dir)
            .map(|()| plan)
    }) {
        Ok(plan) => plan,
        Err(e) => {
            return Err(fail_early(
                store,
                DeployError::Conflict {
                    step: "plan".into(),
                    resource: e.target.clone(),
                    message: e.to_string(),
                    suggestion: "fix the target's spec file (or review the plan again), then run again"
                        .into(),
                },
            ));
        }
    };
    // The account check (a read) runs while the API key is resolved: it starts the chain.
    let aws = request.config.aws.clone();
    let account = aws.account_id.clone();
    let checking = tokio::spawn(async move {
        let clients = Clients::connect(&aws).await;
        let calls = Arc::new(StepCalls::default());
        let checked = STEP_CALLS
            .scope(Arc::clone(&calls), check_account(&clients, &account))
            .await;
        (clients, calls, checked)
    });
    // The state must be writable before anything is created: a run that cannot record what it
    // creates must not create anything. The account check, a read, goes meanwhile (with the
    // state in S3 the save is a round trip).
    if let Err(e) = store.save() {
        checking.abort();
        return Err(Box::new(Failure {
            report: empty_report(&store),
            error: e.into(),
        }));
    }
    let prepared = needed_api_key(&plan, &store.state, request.env, request.base_dir).map(|key| (key, plan));
    let checked = checking.await.map_err(|e| DeployError::Conflict {
        step: "preflight".into(),
        resource: "AWS clients".into(),
        message: format!("the account check stopped unexpectedly: {e}"),
        suggestion: "resume the deployment; report this as a bug".into(),
    });
    let (api_key, plan, clients, preflight) = match (prepared, checked) {
        (Ok((api_key, plan)), Ok((clients, calls, Ok(())))) => (api_key, plan, clients, calls),
        (Err(error), _) | (_, Err(error) | Ok((_, _, Err(error)))) => return Err(fail_early(store, error)),
    };
    let steps = Step::all(&plan);
    let shared = Arc::new(Shared::new(clients, plan, api_key, store, request.progress));
    let (outcomes, error) = executor::run(Arc::clone(&shared), steps, request.cancel).await;
    let status = match &error {
        None => DeploymentStatus::Complete,
        Some(DeployError::Interrupted) => DeploymentStatus::Interrupted,
        Some(_) => DeploymentStatus::Failed,
    };
    let (report, saved) = finish(&shared, status, &outcomes, preflight.count(), begun).await;
    // A state file that cannot be written stops the run: it must never say "running" after a
    // finished deployment, nor miss what the run recorded.
    match error.or(saved.err().map(DeployError::State)) {
        None => Ok(report),
        Some(error) => Err(Box::new(Failure { report, error })),
    }
}

/// Records the final status (with the steps' bookkeeping and the outputs, in one save) and
/// builds the report from the state.
async fn finish(
    shared: &Shared,
    status: DeploymentStatus,
    outcomes: &[StepOutcome],
    preflight_calls: u32,
    begun: Instant,
) -> (Report, Result<(), super::store::StateError>) {
    let mut store = shared.store.lock().await;
    store.state.status = status;
    let saved = store.save();
    let state = &store.state;
    let report = Report {
        deployment_id: state.deployment_id.clone(),
        status,
        state_file: store.path(),
        gateway_url: state.outputs.get("gateway_url").cloned(),
        duration_ms: u64::try_from(begun.elapsed().as_millis()).unwrap_or(u64::MAX),
        calls: preflight_calls + outcomes.iter().map(|o| o.calls).sum::<u32>(),
        steps: outcomes
            .iter()
            .map(|o| StepReport {
                id: o.id.clone(),
                after: o.after.clone(),
                duration_ms: u64::try_from(o.duration.as_millis()).unwrap_or(u64::MAX),
                calls: o.calls,
                error: o.error.clone(),
            })
            .collect(),
        resources: state
            .ledger
            .iter()
            .filter(|e| e.status == LedgerStatus::Present)
            .map(|e| ResourceReport {
                kind: e.kind,
                name: e.name.clone(),
                id: e.id.clone(),
                created_by_us: e.created_by_us,
            })
            .collect(),
        error: None,
        state: Some(Box::new(state.clone())),
    };
    (report, saved)
}

/// A run that stopped before its step graph: the state records it as failed (unless it cannot
/// be written either, which is then the error to fix first).
fn fail_early(mut store: StateStore, error: DeployError) -> Box<Failure> {
    store.state.status = DeploymentStatus::Failed;
    let error = match store.save() {
        Ok(()) => error,
        Err(e) => DeployError::State(e),
    };
    Box::new(Failure {
        report: empty_report(&store),
        error,
    })
}

fn empty_report(store: &StateStore) -> Report {
    Report {
        deployment_id: store.state.deployment_id.clone(),
        status: DeploymentStatus::Failed,
        state_file: store.path(),
        gateway_url: None,
        duration_ms: 0,
        calls: 0,
        steps: Vec::new(),
        resources: Vec::new(),
        error: None,
        state: None,
    }
}

/// The backend API key, resolved before anything is created, when a provider has to be created.
fn needed_api_key(
    plan: &Plan,
    state: &State,
    env: &dyn Environment,
    base_dir: &Path,
) -> Result<Option<Secret>, DeployError> {
    let provider_exists = plan.existing_provider_arn.is_some()
        || state
            .entry(ResourceKind::CredentialProvider, &plan.provider_name)
            .is_some_and(|e| e.status == LedgerStatus::Present);
    match &plan.api_key {
        Some(reference) => match reference.resolve(env, base_dir) {
            Ok(secret) => Ok(Some(secret)),
            Err(_) if provider_exists => Ok(None),
            Err(problem) => Err(DeployError::Secret {
                field: "gateway.api_key",
                message: problem.message,
                suggestion: problem.suggestion,
            }),
        },
        None if provider_exists => Ok(None),
        None => Err(DeployError::Secret {
            field: "gateway.api_key",
            message: "the backend API key is needed to create the credential provider, and none is set"
                .into(),
            suggestion: Some("export BACKEND_API_KEY=... or set gateway.api_key: env:NAME".into()),
        }),
    }
}

/// The credentials must belong to the configured account, or every ARN would be wrong.
async fn check_account(clients: &Clients, account_id: &str) -> Result<(), DeployError> {
    let identity = call("sts:GetCallerIdentity", clients.sts.get_caller_identity().send())
        .await
        .map_err(|error| DeployError::Aws {
            step: "preflight".into(),
            resource: "credentials".into(),
            error: Box::new(error),
        })?;
    match identity.account() {
        Some(account) if account == account_id => Ok(()),
        other => Err(DeployError::Aws {
            step: "preflight".into(),
            resource: "credentials".into(),
            error: Box::new(AwsError::other(
                "sts:GetCallerIdentity",
                format!(
                    "the credentials belong to account {} but aws.account_id is {}",
                    other.unwrap_or("(unknown)"),
                    account_id
                ),
            )),
        }),
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "deployment {}: {}", self.deployment_id, self.status)?;
        if let Some(url) = &self.gateway_url {
            writeln!(f, "  gateway URL: {url}")?;
        }
        writeln!(f, "  state file:  {}", self.state_file.display())?;
        writeln!(
            f,
            "  {} steps in {:.2} s, {} AWS calls",
            self.steps.len(),
            Duration::from_millis(self.duration_ms).as_secs_f64(),
            self.calls
        )?;
        for step in &self.steps {
            writeln!(
                f,
                "    {:<26} {:>7.2} s {:>3} calls{}",
                step.id,
                Duration::from_millis(step.duration_ms).as_secs_f64(),
                step.calls,
                step.error
                    .as_deref()
                    .map(|e| format!("  FAILED: {e}"))
                    .unwrap_or_default()
            )?;
        }
        writeln!(f, "  resources:")?;
        for r in &self.resources {
            writeln!(
                f,
                "    {:<28} {}{}{}",
                r.kind.label(),
                r.name,
                r.id.as_deref()
                    .filter(|id| id != &r.name)
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default(),
                if r.created_by_us {
                    ""
                } else {
                    "  [existing, kept on cleanup]"
                }
            )?;
        }
        Ok(())
    }
}

use std::time::Duration;

//! Runs the step graph: each step starts as soon as its dependencies are done, independent steps
//! run concurrently, and every step's status, duration and AWS calls go into the state file.
//! After a failure no new step starts; the running ones finish so the ledger stays exact.
//!
//! Step statuses are bookkeeping, not the ledger: they are recorded in memory and written with
//! the next save (the next ledger change, or the run's final save), so no dependent step waits
//! for a disk write between its dependencies and its first call.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::context::{Shared, StepCx};
use super::error::DeployError;
use super::state::StepStatus;
use super::steps::Step;
use crate::aws::calls::{STEP_CALLS, StepCalls};

/// How one step went.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub id: String,
    /// The ids of the steps this one depends on.
    pub after: Vec<String>,
    pub duration: Duration,
    pub calls: u32,
    pub error: Option<String>,
}

/// Runs `steps` (ordered so that dependencies come first). Returns every finished step's outcome,
/// and the first error, if any. When `cancel` turns true, running steps are stopped (their
/// ledger entries stay as recorded) and the error is [`DeployError::Interrupted`].
pub async fn run(
    shared: Arc<Shared>,
    steps: Vec<Step>,
    mut cancel: tokio::sync::watch::Receiver<bool>,
) -> (Vec<StepOutcome>, Option<DeployError>) {
    let mut done: HashSet<Step> = HashSet::new();
    let mut started: HashSet<Step> = HashSet::new();
    let mut running: JoinSet<(Step, StepOutcome, Result<(), DeployError>)> = JoinSet::new();
    let mut outcomes = Vec::new();
    let mut first_error = None;
    let by_id: HashMap<String, Step> = steps.iter().map(|s| (s.id(), s.clone())).collect();
    loop {
        if first_error.is_none() {
            for step in &steps {
                if !started.contains(step)
                    && step
                        .deps()
                        .iter()
                        .all(|d| done.contains(d) || !by_id.contains_key(&d.id()))
                {
                    started.insert(step.clone());
                    mark(&shared, &step.id()).await;
                    running.spawn(run_one(Arc::clone(&shared), step.clone()));
                }
            }
        }
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            _ = cancel.wait_for(|stop| *stop), if first_error.is_none() => {
                running.abort_all();
                first_error = Some(DeployError::Interrupted);
                continue;
            }
        };
        let Some(joined) = joined else { break };
        let (step, outcome, result) = match joined {
            Ok(finished) => finished,
            Err(join) if join.is_cancelled() => continue,
            Err(panic) => {
                first_error.get_or_insert(DeployError::Conflict {
                    step: "executor".into(),
                    resource: "step task".into(),
                    message: format!("a step stopped unexpectedly: {panic}"),
                    suggestion: "resume the deployment; report this as a bug".into(),
                });
                continue;
            }
        };
        match result {
            Ok(()) => {
                done.insert(step);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
        outcomes.push(outcome);
    }
    (outcomes, first_error)
}

async fn run_one(shared: Arc<Shared>, step: Step) -> (Step, StepOutcome, Result<(), DeployError>) {
    let id = step.id();
    let cx = StepCx {
        shared: Arc::clone(&shared),
        step: id.clone(),
    };
    let watcher = Arc::clone(&shared);
    let step_id = id.clone();
    let calls = Arc::new(StepCalls::watched(Box::new(move |operation| {
        watcher.progress.operation(&step_id, operation);
    })));
    let begun = Instant::now();
    let result = STEP_CALLS.scope(Arc::clone(&calls), step.run(&cx)).await;
    let outcome = StepOutcome {
        id: id.clone(),
        after: step.deps().iter().map(Step::id).collect(),
        duration: begun.elapsed(),
        calls: calls.count(),
        error: result.as_ref().err().map(ToString::to_string),
    };
    let status = if result.is_ok() {
        StepStatus::Done
    } else {
        StepStatus::Failed
    };
    {
        let mut store = shared.store.lock().await;
        let record = store.state.step(&id);
        record.status = status;
        record.duration_ms = u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX);
        record.calls = outcome.calls;
        record.error.clone_from(&outcome.error);
    }
    shared
        .progress
        .step_finished(&id, outcome.duration, outcome.calls, outcome.error.as_deref());
    (step, outcome, result)
}

/// Records a step as running (in memory: the next save writes it).
async fn mark(shared: &Shared, id: &str) {
    let mut store = shared.store.lock().await;
    let record = store.state.step(id);
    record.status = StepStatus::Running;
    record.error = None;
    drop(store);
    shared.progress.step_started(id);
}

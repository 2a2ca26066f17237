//! What a running step can reach: the SDK clients, the plan, resolved secrets, the state store
//! (behind one lock, written after every ledger change that must be durable, concurrent changes
//! sharing a write), and the progress printer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::error::DeployError;
use super::plan::Plan;
use super::reconcile::Owner;
use super::state::{LedgerEntry, LedgerStatus, ResourceKind};
use super::store::{StateError, StateStore};
use crate::aws::{AwsError, Clients};
use crate::config::Secret;
use crate::output::progress::Progress;

/// How often a remote save yields before it renders, so that steps ready at the same moment
/// add their changes to it.
const GATHER_YIELDS: usize = 4;

/// Shared by all steps of one run.
pub struct Shared {
    pub clients: Clients,
    pub plan: Plan,
    /// The backend API key, resolved from its reference only when a provider must be created.
    pub api_key: Option<Secret>,
    pub store: Mutex<StateStore>,
    /// Ledger changes recorded so far (counted under the store's lock).
    pub changes: AtomicU64,
    /// The last ledger change written to disk. Holding it is the right to write the state file:
    /// ledger changes made while a write is under way share the next one (a group commit).
    pub written: Mutex<u64>,
    /// Saves are round trips (S3): a resource that exists is recorded with the next save.
    remote: bool,
    pub progress: Progress,
    /// The gateway's target statuses, listed once per tick for all waiting target steps.
    pub board: super::board::Board,
}

impl Shared {
    pub fn new(
        clients: Clients,
        plan: Plan,
        api_key: Option<Secret>,
        store: StateStore,
        progress: Progress,
    ) -> Self {
        Self {
            clients,
            plan,
            api_key,
            remote: store.backend().remote(),
            store: Mutex::new(store),
            changes: AtomicU64::new(0),
            written: Mutex::new(0),
            progress,
            board: super::board::Board::default(),
        }
    }

    /// Returns once ledger change `change` is durable (written and synced, or stored in S3),
    /// writing it unless a write since it already did. The state is written outside the store's
    /// lock. A remote backend first lets the steps that are ready record their changes too, so
    /// a wave of concurrent creates shares one write.
    async fn durable(&self, change: u64) -> Result<(), StateError> {
        let mut written = self.written.lock().await;
        if *written >= change {
            return Ok(());
        }
        if self.remote {
            for _ in 0..GATHER_YIELDS {
                tokio::task::yield_now().await;
            }
        }
        let (upto, text, backend) = {
            let mut store = self.store.lock().await;
            (
                self.changes.load(Ordering::SeqCst),
                store.render()?,
                store.backend(),
            )
        };
        // The write blocks this worker: the local file's fsync, or the S3 round trip on the
        // store's own runtime.
        backend.write(&text)?;
        *written = upto;
        Ok(())
    }
}

/// One step's handle on the shared run.
#[derive(Clone)]
pub struct StepCx {
    pub shared: Arc<Shared>,
    pub step: String,
}

/// What a step knows about one resource.
pub struct Found {
    pub id: Option<String>,
    pub arn: Option<String>,
    pub ours: bool,
}

impl Found {
    /// A resource this deployment created (`true`) or found and uses (`false`).
    pub fn new(ours: bool) -> Self {
        Self {
            id: None,
            arn: None,
            ours,
        }
    }

    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    #[must_use]
    pub fn arn(mut self, arn: impl Into<String>) -> Self {
        self.arn = Some(arn.into());
        self
    }
}

impl StepCx {
    pub fn plan(&self) -> &Plan {
        &self.shared.plan
    }

    pub fn clients(&self) -> &Clients {
        &self.shared.clients
    }

    /// Prints a progress line for this step.
    pub fn say(&self, message: impl AsRef<str>) {
        self.shared.progress.line(&self.step, message.as_ref());
    }

    /// Wraps an AWS error with this step and the resource.
    pub fn aws(&self, resource: impl Into<String>) -> impl FnOnce(AwsError) -> DeployError + '_ {
        let resource = resource.into();
        move |error| DeployError::Aws {
            step: self.step.clone(),
            resource,
            error: Box::new(error),
        }
    }

    pub fn conflict(&self, resource: &str, message: String, suggestion: String) -> DeployError {
        DeployError::Conflict {
            step: self.step.clone(),
            resource: resource.to_string(),
            message,
            suggestion,
        }
    }

    /// The ledger entry of a kind and name, if any.
    pub async fn entry(&self, kind: ResourceKind, name: &str) -> Option<LedgerEntry> {
        self.shared.store.lock().await.state.entry(kind, name).cloned()
    }

    /// Every ledger entry of a kind that is not deleted.
    pub async fn entries(&self, kind: ResourceKind) -> Vec<LedgerEntry> {
        let store = self.shared.store.lock().await;
        store
            .state
            .ledger
            .iter()
            .filter(|e| e.kind == kind && e.status != LedgerStatus::Deleted)
            .cloned()
            .collect()
    }

    /// Records that a resource was deleted (a target that left the config), durably.
    pub async fn deleted(&self, entry: &LedgerEntry) -> Result<(), DeployError> {
        self.upsert(LedgerEntry {
            status: LedgerStatus::Deleted,
            ..entry.clone()
        })
        .await
    }

    /// Forgets an output (of a resource that is gone).
    pub async fn forget_output(&self, key: &str) {
        self.shared.store.lock().await.state.outputs.remove(key);
    }

    /// Records that a create is about to be sent, before it is sent.
    pub async fn intend(
        &self,
        kind: ResourceKind,
        name: &str,
        parent: Option<&str>,
    ) -> Result<(), DeployError> {
        self.upsert(LedgerEntry {
            kind,
            name: name.to_string(),
            id: None,
            arn: None,
            parent: parent.map(str::to_string),
            region: self.plan().region.clone(),
            created_by_us: true,
            status: LedgerStatus::Intended,
        })
        .await
    }

    /// Records a resource that exists, right after the call that created or found it.
    pub async fn present(
        &self,
        kind: ResourceKind,
        name: &str,
        found: Found,
        parent: Option<&str>,
    ) -> Result<(), DeployError> {
        self.upsert(LedgerEntry {
            kind,
            name: name.to_string(),
            id: found.id,
            arn: found.arn,
            parent: parent.map(str::to_string),
            region: self.plan().region.clone(),
            created_by_us: found.ours,
            status: LedgerStatus::Present,
        })
        .await
    }

    /// A ledger change is durable before the step's next AWS call: written and synced here.
    /// With a remote backend, a resource that exists is the exception: its record goes with the
    /// next save (the next intent, or the run's last save). Until then the state says
    /// "intended", which a resume or cleanup resolves by name and tag, as after a lost answer.
    async fn upsert(&self, entry: LedgerEntry) -> Result<(), DeployError> {
        let may_wait = self.shared.remote && entry.status == LedgerStatus::Present;
        let change = {
            let mut store = self.shared.store.lock().await;
            if !store.state.upsert(entry) {
                return Ok(());
            }
            self.shared.changes.fetch_add(1, Ordering::SeqCst) + 1
        };
        if !may_wait {
            self.shared.durable(change).await?;
        }
        Ok(())
    }

    /// Records an output (an id, ARN or URL later steps and the report need). Outputs are
    /// derived again by every run, so they are written with the next save, not on their own.
    pub async fn output(&self, key: &str, value: &str) {
        let mut store = self.shared.store.lock().await;
        if store.state.outputs.get(key).map(String::as_str) != Some(value) {
            store.state.outputs.insert(key.to_string(), value.to_string());
        }
    }

    /// An output recorded earlier (by this run or a previous one).
    pub async fn get_output(&self, key: &str) -> Option<String> {
        self.shared.store.lock().await.state.outputs.get(key).cloned()
    }

    /// An output a dependency must have recorded.
    pub async fn require_output(&self, key: &str) -> Result<String, DeployError> {
        self.get_output(key).await.ok_or_else(|| DeployError::Conflict {
            step: self.step.clone(),
            resource: key.to_string(),
            message: format!("the state has no {key}, which an earlier step records"),
            suggestion: "resume the deployment so the earlier step runs again".into(),
        })
    }

    /// Whose a resource carrying these tags is.
    pub fn owner(&self, tags: &std::collections::BTreeMap<String, String>) -> Owner {
        match tags.get(super::plan::DEPLOYMENT_TAG) {
            Some(id) if *id == self.plan().deployment_id => Owner::Us,
            Some(_) => Owner::Other,
            None => Owner::Untagged,
        }
    }
}

//! Brings one resource into existence the same way for every kind: observe, reconcile, act,
//! record. The decision is [`reconcile`]'s; this module only carries it out: it looks resources
//! up, sends creates (recording each as intended first), deletes twins, waits for deletions, and
//! records the result in the ledger.
//!
//! A create whose SDK retries are off (see [`crate::aws::resend`]) is sent again here: at once
//! after a throttle (the service did not run it), after a look-up otherwise (it may have run).

use std::time::Duration;

use super::context::{Found, StepCx};
use super::error::DeployError;
use super::reconcile::{Action, Ledger, Look, Observed, Rules, Seen, Stop, reconcile};
use super::state::{LedgerStatus, ResourceKind};
use crate::aws::resend::{Resend, resend};
use crate::aws::{AwsError, ErrorKind};

/// How many creates one resource may be sent in one run before the step gives up.
const MAX_SENDS: u32 = 6;

/// One kind of resource, as a step sees it: how to look it up, create it and delete a twin.
pub trait Managed: Sync {
    /// What the service says about one resource (a role's ARN, a gateway's status and URL...).
    type Item: Send;

    const KIND: ResourceKind;
    const RULES: Rules;

    /// The ledger key: the resource's name.
    fn name(&self) -> &str;

    /// The resource this one lives in (the pool of a client, the gateway of a target).
    fn parent(&self) -> Option<&str> {
        None
    }

    /// The id the ledger records for `item` (the name, for resources named by their name).
    fn id(&self, item: &Self::Item) -> String;

    fn arn(&self, _item: &Self::Item) -> Option<String> {
        None
    }

    /// Whether the service is deleting it.
    fn deleting(&self, _item: &Self::Item) -> bool {
        false
    }

    /// The resource with this id, if it exists.
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Self::Item>, DeployError>> + Send;

    /// Every resource of this name, with whose it is. `known` is the id the ledger records: its
    /// owner need not be read again.
    fn find(
        &self,
        known: Option<&str>,
    ) -> impl Future<Output = Result<Vec<(Seen, Self::Item)>, DeployError>> + Send;

    /// Sends the create. `replaced` is the id of the deployment's earlier resource that is gone.
    fn create(&self, replaced: Option<&str>) -> impl Future<Output = Result<Self::Item, AwsError>> + Send;

    /// Deletes a twin (kinds whose names are not unique).
    fn delete(&self, id: &str) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// Whether the resource with this id still exists (while it is being deleted).
    fn exists(&self, id: &str) -> impl Future<Output = Result<bool, DeployError>> + Send {
        async move { Ok(self.get(id).await?.is_some()) }
    }

    /// Finishes a resource created here or adopted after a lost answer, before it is recorded
    /// present (S3: the public access block and the tag, which follow the create).
    fn finish(&self, _item: &Self::Item) -> impl Future<Output = Result<(), DeployError>> + Send {
        async { Ok(()) }
    }

    /// Moves to the next candidate name ([`super::reconcile::Foreign::Rename`] kinds); false
    /// when there is none left.
    fn next_name(&mut self) -> bool {
        false
    }

    /// Why a resource of the deployment's name that is someone else's stops the run: the
    /// message and the fix.
    fn foreign(&self, id: &str) -> (String, String);
}

/// How the resource came to be the deployment's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Created,
    /// The one the ledger records.
    Kept,
    /// Ours, found by name and tag (a create whose answer was lost).
    Adopted,
    /// Someone else's, used as it is.
    Used,
}

/// The resource a step goes on with.
pub struct Resolved<T> {
    pub item: T,
    /// Created by this deployment (cleanup deletes it).
    pub ours: bool,
    pub how: How,
}

/// Observes, reconciles and acts until the resource exists, then records it in the ledger.
pub async fn ensure<M: Managed>(cx: &StepCx, m: &mut M) -> Result<Resolved<M::Item>, DeployError> {
    loop {
        if let Some(resolved) = resolve(cx, m).await? {
            cx.present(
                M::KIND,
                m.name(),
                Found {
                    id: Some(m.id(&resolved.item)),
                    arn: m.arn(&resolved.item),
                    ours: resolved.ours,
                },
                m.parent(),
            )
            .await?;
            return Ok(resolved);
        }
        // The name is someone else's: the next candidate, or stop.
        if !m.next_name() {
            let (message, fix) = m.foreign(m.name());
            return Err(cx.conflict(
                m.name(),
                format!("{message}, and every alternative name is taken too"),
                fix,
            ));
        }
    }
}

/// One name's reconcile loop; `None` when the name is someone else's and the kind renames.
async fn resolve<M: Managed>(cx: &StepCx, m: &M) -> Result<Option<Resolved<M::Item>>, DeployError> {
    let entry = cx.entry(M::KIND, m.name()).await;
    // Resources named by their name (roles, buckets, providers) may be recorded without an id.
    let recorded = entry
        .as_ref()
        .map(|e| e.id.clone().unwrap_or_else(|| e.name.clone()));
    let mut ledger = match (&entry, &recorded) {
        (Some(e), Some(id)) if e.status == LedgerStatus::Present => Ledger::Present {
            id: id.as_str(),
            ours: e.created_by_us,
        },
        (Some(e), _) if e.status == LedgerStatus::Deleted => Ledger::Deleted,
        (Some(_), _) => Ledger::Intended,
        (None, _) => Ledger::None,
    };
    let recorded_ours = entry.as_ref().is_some_and(|e| e.created_by_us);
    // The earlier resource a new create replaces, gone or deleted (a target that left the config
    // and came back, a stack deployed again after a cleanup): its client token must differ, or
    // the service would answer the new create with the old resource.
    let replaced = match ledger {
        Ledger::Present { .. } => recorded.clone(),
        Ledger::Deleted => entry.as_ref().and_then(|e| e.id.clone()),
        Ledger::None | Ledger::Intended => None,
    };
    let mut observed = Observed::NotLooked;
    let mut items: Vec<(String, M::Item)> = Vec::new();
    let mut sends = 0;
    loop {
        let action = reconcile(M::RULES, ledger, &observed);
        let (id, ours, how, twins) = match action {
            Action::Look(Look::ById(id)) => {
                observed = match m.get(&id).await? {
                    Some(item) => {
                        let deleting = m.deleting(&item);
                        items = vec![(id.clone(), item)];
                        Observed::Exists { id, deleting }
                    }
                    None => Observed::Missing,
                };
                continue;
            }
            Action::Look(Look::ByName) => {
                let known = matches!(ledger, Ledger::Present { .. })
                    .then_some(recorded.as_deref())
                    .flatten();
                let found = m.find(known).await?;
                observed = if found.is_empty() {
                    Observed::Missing
                } else {
                    Observed::Named(found.iter().map(|(seen, _)| seen.clone()).collect())
                };
                items = found.into_iter().map(|(seen, item)| (seen.id, item)).collect();
                continue;
            }
            Action::Create => {
                if sends == MAX_SENDS {
                    return Err(cx.conflict(
                        m.name(),
                        format!(
                            "{} creates of {} {} were sent and none could be confirmed",
                            MAX_SENDS,
                            M::KIND.label(),
                            m.name()
                        ),
                        "the service may be unavailable or the name held elsewhere: wait a moment, then resume"
                            .into(),
                    ));
                }
                cx.intend(M::KIND, m.name(), m.parent()).await?;
                ledger = Ledger::Intended;
                sends += 1;
                match m.create(replaced.as_deref()).await {
                    Ok(item) => {
                        m.finish(&item).await?;
                        return Ok(Some(Resolved {
                            item,
                            ours: true,
                            how: How::Created,
                        }));
                    }
                    Err(e) if e.is(ErrorKind::AlreadyExists) => observed = Observed::Taken,
                    Err(e) if e.is(ErrorKind::Transient) && resend(e.operation) == Resend::Reconcile => {
                        cx.say(format!(
                            "{}; {}",
                            e,
                            if e.throttled() {
                                "sending it again"
                            } else {
                                "looking for what it may have made before sending it again"
                            }
                        ));
                        tokio::time::sleep(backoff(sends)).await;
                        observed = if e.throttled() {
                            Observed::Missing
                        } else {
                            Observed::Unsure
                        };
                    }
                    Err(e) => return Err(cx.aws(m.name())(e)),
                }
                continue;
            }
            Action::AwaitGone { id } => {
                cx.say(format!(
                    "{} {id} is being deleted; waiting until it is gone",
                    M::KIND.label()
                ));
                if !super::wait::until_gone(|| m.exists(&id)).await? {
                    return Err(DeployError::Timeout {
                        step: cx.step.clone(),
                        resource: format!("{} {id}", M::KIND.label()),
                        status: "DELETING".into(),
                        waited_secs: super::wait::WAIT_LIMIT.as_secs(),
                    });
                }
                observed = Observed::Missing;
                continue;
            }
            Action::Keep { id, twins } => (id, recorded_ours, How::Kept, twins),
            Action::Adopt { id, twins } => (id, true, How::Adopted, twins),
            Action::Use { id } => (id, false, How::Used, Vec::new()),
            Action::Rename => return Ok(None),
            Action::Stop(Stop::Foreign { id }) => {
                let (message, fix) = m.foreign(&id);
                return Err(cx.conflict(m.name(), message, fix));
            }
            Action::Stop(Stop::UsedIsGone) => {
                return Err(cx.conflict(
                    m.name(),
                    format!(
                        "the existing {} {} this deployment used is gone",
                        M::KIND.label(),
                        m.name()
                    ),
                    "create it again, or change the config to have the deployment create its own".into(),
                ));
            }
        };
        for twin in &twins {
            m.delete(twin).await.map_err(cx.aws(twin.as_str()))?;
            cx.say(format!(
                "deleted {} {twin}: a second one named {} and tagged with this deployment (kept {id})",
                M::KIND.label(),
                m.name()
            ));
        }
        let Some(item) = items
            .into_iter()
            .find(|(seen, _)| *seen == id)
            .map(|(_, item)| item)
        else {
            return Err(cx.conflict(
                m.name(),
                format!("{} {id} was found but could not be read", M::KIND.label()),
                "resume the deployment".into(),
            ));
        };
        match how {
            How::Adopted => {
                cx.say(format!(
                    "adopted {} {id} (created by this deployment; its create's answer was lost)",
                    M::KIND.label()
                ));
                m.finish(&item).await?;
            }
            How::Used => cx.say(format!(
                "using existing {} {id} (not created by this deployment; cleanup keeps it)",
                M::KIND.label()
            )),
            How::Created | How::Kept => {}
        }
        return Ok(Some(Resolved { item, ours, how }));
    }
}

/// The pause before the `sends`-th create is sent again: 0.2 s doubling, at most 5 s, jittered.
fn backoff(sends: u32) -> Duration {
    let base = Duration::from_millis(200).saturating_mul(1 << sends.min(5).saturating_sub(1));
    super::wait::jittered(base.min(Duration::from_secs(5)))
}

//! Cleanup: deletes what a deployment created, in reverse dependency order, skipping what is
//! already gone, and never touching a resource the deployment did not create. Each deletion is
//! recorded in the state file before the next one starts; a save that fails stops the cleanup.
//!
//! The deployment-id tag is the source of truth for "ours": besides the ledger's resources,
//! every resource tagged with the deployment is deleted (found by [`super::discover`]), whether
//! the ledger names it or not. Untagged and foreign-tagged resources are never touched.

use std::collections::BTreeMap;

use serde::Serialize;

use super::plan::DEPLOYMENT_TAG;
use super::state::{LedgerEntry, LedgerStatus, ResourceKind, State};
use super::store::{StateError, StateStore};
use crate::aws::{AwsError, Clients, ErrorKind, agentcore, cognito, iam, s3};
use crate::output::progress::Progress;

/// Deletion order: dependents first.
pub const ORDER: &[ResourceKind] = &[
    ResourceKind::GatewayTarget,
    ResourceKind::Gateway,
    ResourceKind::CredentialProvider,
    ResourceKind::S3Object,
    ResourceKind::S3Bucket,
    ResourceKind::CognitoClient,
    ResourceKind::CognitoResourceServer,
    ResourceKind::CognitoDomain,
    ResourceKind::CognitoUserPool,
    ResourceKind::IamRolePolicy,
    ResourceKind::IamRole,
];

/// What happened to one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Deletion {
    pub kind: ResourceKind,
    pub name: String,
    /// Found by its deployment-id tag, not in the ledger.
    pub found_by_tag: bool,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "detail")]
pub enum Outcome {
    Deleted,
    AlreadyGone,
    /// Not created by this deployment: left alone.
    Kept,
    /// `--dry-run`: would be deleted.
    WouldDelete,
    /// Deleted together with the resource it lives in (a pool's clients and resource servers).
    WithParent,
    Failed(String),
}

/// The ledger entries cleanup acts on, in deletion order.
pub fn targets(state: &State) -> Vec<LedgerEntry> {
    let mut entries: Vec<LedgerEntry> = state
        .ledger
        .iter()
        .filter(|e| e.status != LedgerStatus::Deleted)
        .cloned()
        .collect();
    entries.sort_by_key(|e| ORDER.iter().position(|k| *k == e.kind));
    entries
}

/// What a cleanup will act on: the ledger's resources and those found only by their tag.
#[derive(Debug, Clone)]
pub struct Sweep {
    work: Vec<(LedgerEntry, Origin)>,
    /// Why the sweep by tag could not run; the ledger's resources are still handled.
    pub failed: Option<String>,
}

impl Sweep {
    /// How many resources the cleanup would delete (the rest are kept or already gone).
    pub fn to_delete(&self) -> usize {
        self.work.iter().filter(|(e, _)| e.created_by_us).count()
    }
}

/// What a cleanup did.
#[derive(Debug, Clone)]
pub struct Cleaned {
    pub resources: Vec<Deletion>,
    /// Why the sweep by tag could not run; the ledger's resources were still handled.
    pub sweep_failed: Option<String>,
}

/// Finds every resource tagged with the deployment and merges it with the ledger. Unless
/// `dry_run`, resources found only by tag are recorded in the ledger (saved) before anything is
/// deleted; a twin, which shares its name with a recorded one, cannot be and stays unrecorded.
pub async fn sweep(
    clients: &Clients,
    store: &mut StateStore,
    dry_run: bool,
    progress: &Progress,
) -> Result<Sweep, StateError> {
    let deployment_id = store.state.deployment_id.clone();
    let region = store.state.config.aws.region.clone();
    let (swept, failed) = match super::discover::discover(clients, &deployment_id, &region).await {
        Ok(found) => (found, None),
        Err(e) => {
            let why = format!("{e} (fix: {})", e.suggestion());
            progress.line("cleanup", &format!("cannot sweep by tag: {why}"));
            (Vec::new(), Some(why))
        }
    };
    let mut ledger = targets(&store.state);
    let mut extras: Vec<(LedgerEntry, bool)> = Vec::new();
    for found in swept {
        if let Some(recorded) = ledger.iter_mut().find(|e| same(e, &found)) {
            // A create whose answer was never recorded: the tag tells its id.
            if recorded.id.is_none() {
                recorded.id.clone_from(&found.id);
            }
            continue;
        }
        if extras.iter().any(|(e, _)| same(e, &found)) {
            continue;
        }
        let recordable = !dry_run
            && store
                .state
                .entry(found.kind, &found.name)
                .is_none_or(|e| e.status == LedgerStatus::Deleted);
        if recordable {
            store.state.upsert(found.clone());
        }
        extras.push((found, recordable));
    }
    if extras.iter().any(|(_, recorded)| *recorded) {
        store.save()?;
    }
    let mut work: Vec<(LedgerEntry, Origin)> = ledger.into_iter().map(|e| (e, Origin::Ledger)).collect();
    work.extend(extras.into_iter().map(|(e, recorded)| {
        (
            e,
            if recorded {
                Origin::TagRecorded
            } else {
                Origin::Tag
            },
        )
    }));
    work.sort_by_key(|(e, _)| ORDER.iter().position(|k| *k == e.kind));
    Ok(Sweep { work, failed })
}

/// Deletes what `sweep` found that the deployment created, dependents first. Each deletion of a
/// recorded resource is saved before the next one; a save that fails stops the cleanup.
pub async fn run(
    clients: &Clients,
    store: &mut StateStore,
    sweep: Sweep,
    dry_run: bool,
    progress: &Progress,
) -> Result<Cleaned, StateError> {
    let deployment_id = store.state.deployment_id.clone();
    let our_pools: Vec<String> = sweep
        .work
        .iter()
        .filter(|(e, _)| e.kind == ResourceKind::CognitoUserPool && e.created_by_us)
        .filter_map(|(e, _)| e.id.clone())
        .collect();
    let mut report = Vec::new();
    for (entry, origin) in sweep.work {
        let label = format!("{} {}", entry.kind.label(), entry.name);
        // Cognito deletes a pool's clients and resource servers with the pool.
        let goes_with_pool = matches!(
            entry.kind,
            ResourceKind::CognitoClient | ResourceKind::CognitoResourceServer
        ) && entry.parent.as_ref().is_some_and(|p| our_pools.contains(p));
        let outcome = if !entry.created_by_us {
            Outcome::Kept
        } else if dry_run {
            Outcome::WouldDelete
        } else if goes_with_pool {
            Outcome::WithParent
        } else {
            match delete(clients, &entry, &deployment_id).await {
                Ok(true) => Outcome::Deleted,
                Ok(false) => Outcome::AlreadyGone,
                Err(e) => Outcome::Failed(format!("{e} (fix: {})", e.suggestion())),
            }
        };
        let found_by_tag = origin != Origin::Ledger;
        progress.line(
            "cleanup",
            &format!(
                "{label}: {outcome}{}",
                if found_by_tag {
                    " (found by its tag; not in the ledger)"
                } else {
                    ""
                }
            ),
        );
        let done = matches!(
            outcome,
            Outcome::Deleted | Outcome::AlreadyGone | Outcome::WithParent
        );
        if done && origin != Origin::Tag {
            if let Some(e) = store
                .state
                .ledger
                .iter_mut()
                .find(|e| e.kind == entry.kind && e.name == entry.name)
            {
                e.status = LedgerStatus::Deleted;
            }
            store.save()?;
        }
        report.push(Deletion {
            kind: entry.kind,
            name: entry.name.clone(),
            found_by_tag,
            outcome,
        });
    }
    Ok(Cleaned {
        resources: report,
        sweep_failed: sweep.failed,
    })
}

/// Where cleanup learned of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Ledger,
    /// Found by its tag and recorded in the ledger before deletion.
    TagRecorded,
    /// Found by its tag; not recordable (a twin of a recorded name, or a dry run).
    Tag,
}

/// The same resource: same kind and parent, and the same id (or name, where one has no id).
fn same(a: &LedgerEntry, b: &LedgerEntry) -> bool {
    a.kind == b.kind
        && a.parent == b.parent
        && match (&a.id, &b.id) {
            (Some(x), Some(y)) => x == y,
            _ => a.name == b.name,
        }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Deleted => f.write_str("deleted"),
            Self::AlreadyGone => f.write_str("already gone"),
            Self::Kept => f.write_str("kept: not created by this deployment"),
            Self::WouldDelete => f.write_str("would delete"),
            Self::WithParent => f.write_str("deleted with its user pool"),
            Self::Failed(e) => write!(f, "FAILED: {e}"),
        }
    }
}

/// Deletes one resource; `Ok(false)` when it was already gone. An entry whose create answer was
/// never recorded is deleted only if the resource found by name carries this deployment's tag.
async fn delete(clients: &Clients, entry: &LedgerEntry, deployment_id: &str) -> Result<bool, AwsError> {
    let ours =
        |tags: &BTreeMap<String, String>| tags.get(DEPLOYMENT_TAG).map(String::as_str) == Some(deployment_id);
    let confirmed = entry.status == LedgerStatus::Present;
    let parent = entry.parent.clone().unwrap_or_default();
    let gone = |r: Result<(), AwsError>| match r {
        Ok(()) => Ok(true),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(false),
        Err(e) => Err(e),
    };
    match entry.kind {
        ResourceKind::GatewayTarget => {
            let id = match &entry.id {
                Some(id) => Some(id.clone()),
                None => find(
                    agentcore::list_targets(&clients.agentcore, &parent)
                        .await
                        .map(|listed| listed.into_iter().map(|t| (t.id, t.name)).collect()),
                    &entry.name,
                ),
            };
            let Some(id) = id else { return Ok(false) };
            let deleted = gone(agentcore::delete_target(&clients.agentcore, &parent, &id).await)?;
            await_gone(|| async {
                crate::aws::targets::target_settings(&clients.agentcore, &parent, &id)
                    .await
                    .map(|t| t.is_some())
            })
            .await?;
            Ok(deleted)
        }
        ResourceKind::Gateway => {
            let id = match &entry.id {
                Some(id) => Some(id.clone()),
                None => find(agentcore::list_gateways(&clients.agentcore).await, &entry.name),
            };
            let Some(id) = id else { return Ok(false) };
            if !confirmed {
                let Some(g) = agentcore::get_gateway(&clients.agentcore, &id).await? else {
                    return Ok(false);
                };
                if !ours(&agentcore::tags(&clients.agentcore, &g.arn).await?) {
                    return Ok(false);
                }
            }
            let deleted = gone(agentcore::delete_gateway(&clients.agentcore, &id).await)?;
            await_gone(|| async {
                agentcore::get_gateway(&clients.agentcore, &id)
                    .await
                    .map(|g| g.is_some())
            })
            .await?;
            Ok(deleted)
        }
        ResourceKind::CredentialProvider => {
            if !confirmed {
                let Some(arn) = agentcore::provider_arn(&clients.agentcore, &entry.name).await? else {
                    return Ok(false);
                };
                if !ours(&agentcore::tags(&clients.agentcore, &arn).await?) {
                    return Ok(false);
                }
            }
            gone(agentcore::delete_provider(&clients.agentcore, &entry.name).await)
        }
        ResourceKind::S3Object => gone(s3::delete_object(&clients.s3, &parent, &entry.name).await),
        ResourceKind::S3Bucket => {
            if s3::bucket_access(&clients.s3, &entry.name).await? != s3::BucketAccess::Accessible {
                return Ok(false);
            }
            if !confirmed && !ours(&s3::bucket_tags(&clients.s3, &entry.name).await?) {
                return Ok(false);
            }
            let left = s3::list_keys(&clients.s3, &entry.name, "").await?;
            if !left.is_empty() {
                return Err(AwsError::other(
                    "DeleteBucket",
                    format!(
                        "the bucket still holds {} object(s) this deployment did not create (such as {}); it was kept",
                        left.len(),
                        left[0]
                    ),
                ));
            }
            gone(s3::delete_bucket(&clients.s3, &entry.name).await)
        }
        ResourceKind::CognitoClient => {
            let id = match &entry.id {
                Some(id) => Some(id.clone()),
                None => find(
                    cognito::list_clients(&clients.cognito, &parent).await,
                    &entry.name,
                ),
            };
            let Some(id) = id else { return Ok(false) };
            gone(cognito::delete_client(&clients.cognito, &parent, &id).await)
        }
        ResourceKind::CognitoResourceServer => {
            gone(cognito::delete_resource_server(&clients.cognito, &parent, &entry.name).await)
        }
        ResourceKind::CognitoDomain => match cognito::domain_owner(&clients.cognito, &entry.name).await? {
            Some(owner) if owner == parent => {
                gone(cognito::delete_domain(&clients.cognito, &entry.name, &parent).await)
            }
            _ => Ok(false),
        },
        ResourceKind::CognitoUserPool => {
            let id = match &entry.id {
                Some(id) => Some(id.clone()),
                None => pool_by_tag(clients, &entry.name, deployment_id).await?,
            };
            let Some(id) = id else { return Ok(false) };
            gone(cognito::delete_user_pool(&clients.cognito, &id).await)
        }
        ResourceKind::IamRolePolicy => {
            gone(iam::delete_role_policy(&clients.iam, &parent, &entry.name).await)
        }
        ResourceKind::IamRole => {
            if !confirmed {
                match iam::role_tags(&clients.iam, &entry.name).await {
                    Ok(tags) if ours(&tags) => {}
                    Ok(_) => return Ok(false),
                    Err(e) if e.is(ErrorKind::NotFound) => return Ok(false),
                    Err(e) => return Err(e),
                }
            }
            gone(iam::delete_role(&clients.iam, &entry.name).await)
        }
    }
}

/// Waits until a gateway or target the service deletes asynchronously is gone.
async fn await_gone<F, Fut>(exists: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, AwsError>>,
{
    if super::wait::until_gone(exists).await? {
        Ok(())
    } else {
        Err(AwsError::other(
            "wait for deletion",
            "the resource was still there after waiting",
        ))
    }
}

fn find(listed: Result<Vec<(String, String)>, AwsError>, name: &str) -> Option<String> {
    listed
        .ok()?
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(id, _)| id)
}

async fn pool_by_tag(clients: &Clients, name: &str, deployment_id: &str) -> Result<Option<String>, AwsError> {
    for (id, pool_name) in cognito::list_user_pools(&clients.cognito).await? {
        if pool_name == name {
            let tags = cognito::describe_user_pool(&clients.cognito, &id)
                .await?
                .unwrap_or_default();
            if tags.get(DEPLOYMENT_TAG).map(String::as_str) == Some(deployment_id) {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_puts_dependents_first() {
        let pos = |k| ORDER.iter().position(|x| *x == k).expect("listed");
        assert!(pos(ResourceKind::GatewayTarget) < pos(ResourceKind::Gateway));
        assert!(pos(ResourceKind::Gateway) < pos(ResourceKind::CredentialProvider));
        assert!(pos(ResourceKind::S3Object) < pos(ResourceKind::S3Bucket));
        assert!(pos(ResourceKind::CognitoDomain) < pos(ResourceKind::CognitoUserPool));
        assert!(pos(ResourceKind::IamRolePolicy) < pos(ResourceKind::IamRole));
        assert_eq!(ORDER.len(), 11);
    }
}

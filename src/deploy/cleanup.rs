//! Cleanup: deletes what a deployment created, in reverse dependency order, skipping what is
//! already gone, and never touching a resource the deployment did not create. Each deletion is
//! recorded in the state file before the next one starts.
//!
//! Without a state file, the deployment's resources are found by their deployment-id tag.

use std::collections::BTreeMap;

use serde::Serialize;

use super::plan::DEPLOYMENT_TAG;
use super::progress::Progress;
use super::state::{LedgerEntry, LedgerStatus, ResourceKind, State};
use super::store::StateStore;
use crate::aws::{AwsError, Clients, ErrorKind, agentcore, cognito, iam, s3};

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

/// Deletes every resource of the ledger that the deployment created.
pub async fn run(
    clients: &Clients,
    store: &mut StateStore,
    dry_run: bool,
    progress: &Progress,
) -> Vec<Deletion> {
    let deployment_id = store.state.deployment_id.clone();
    let mut report = Vec::new();
    let our_pools: Vec<String> = store
        .state
        .ledger
        .iter()
        .filter(|e| e.kind == ResourceKind::CognitoUserPool && e.created_by_us)
        .filter_map(|e| e.id.clone())
        .collect();
    for entry in targets(&store.state) {
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
        progress.line("cleanup", &format!("{label}: {outcome}"));
        if matches!(
            outcome,
            Outcome::Deleted | Outcome::AlreadyGone | Outcome::WithParent
        ) {
            if let Some(e) = store
                .state
                .ledger
                .iter_mut()
                .find(|e| e.kind == entry.kind && e.name == entry.name)
            {
                e.status = LedgerStatus::Deleted;
            }
            let _ = store.save();
        }
        report.push(Deletion {
            kind: entry.kind,
            name: entry.name.clone(),
            outcome,
        });
    }
    report
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
                    agentcore::list_targets(&clients.agentcore, &parent).await,
                    &entry.name,
                ),
            };
            let Some(id) = id else { return Ok(false) };
            let deleted = gone(agentcore::delete_target(&clients.agentcore, &parent, &id).await)?;
            super::wait::until_gone(|| async {
                agentcore::get_target(&clients.agentcore, &parent, &id)
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
            super::wait::until_gone(|| async {
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

/// Rebuilds a ledger from tags when the state file is lost: gateways (with their targets),
/// credential providers, buckets (with their objects), user pools (with their clients, resource
/// servers and domains) and roles. Inline policies on roles the deployment did not create carry
/// no tag and cannot be found this way.
pub async fn discover(
    clients: &Clients,
    deployment_id: &str,
    region: &str,
) -> Result<Vec<LedgerEntry>, AwsError> {
    let ours =
        |tags: &BTreeMap<String, String>| tags.get(DEPLOYMENT_TAG).map(String::as_str) == Some(deployment_id);
    let entry = |kind, name: &str, id: Option<String>, parent: Option<String>| LedgerEntry {
        kind,
        name: name.to_string(),
        id,
        arn: None,
        parent,
        region: region.to_string(),
        created_by_us: true,
        status: LedgerStatus::Present,
    };
    let mut found = Vec::new();
    for (id, name) in agentcore::list_gateways(&clients.agentcore).await? {
        let Some(g) = agentcore::get_gateway(&clients.agentcore, &id).await? else {
            continue;
        };
        if ours(&agentcore::tags(&clients.agentcore, &g.arn).await?) {
            for (tid, tname) in agentcore::list_targets(&clients.agentcore, &id).await? {
                found.push(entry(
                    ResourceKind::GatewayTarget,
                    &tname,
                    Some(tid),
                    Some(id.clone()),
                ));
            }
            found.push(entry(ResourceKind::Gateway, &name, Some(id), None));
        }
    }
    for (name, arn) in agentcore::list_providers(&clients.agentcore).await? {
        if ours(&agentcore::tags(&clients.agentcore, &arn).await?) {
            found.push(entry(ResourceKind::CredentialProvider, &name, None, None));
        }
    }
    for bucket in s3::list_buckets(&clients.s3).await? {
        if ours(&s3::bucket_tags(&clients.s3, &bucket).await?) {
            for key in s3::list_keys(&clients.s3, &bucket, "").await? {
                found.push(entry(ResourceKind::S3Object, &key, None, Some(bucket.clone())));
            }
            found.push(entry(ResourceKind::S3Bucket, &bucket, None, None));
        }
    }
    for (id, name) in cognito::list_user_pools(&clients.cognito).await? {
        let tags = cognito::describe_user_pool(&clients.cognito, &id)
            .await?
            .unwrap_or_default();
        if ours(&tags) {
            for (cid, cname) in cognito::list_clients(&clients.cognito, &id).await? {
                found.push(entry(
                    ResourceKind::CognitoClient,
                    &cname,
                    Some(cid),
                    Some(id.clone()),
                ));
            }
            found.push(entry(ResourceKind::CognitoUserPool, &name, Some(id), None));
        }
    }
    for role in iam::list_role_names(&clients.iam).await? {
        if ours(&iam::role_tags(&clients.iam, &role).await?) {
            let policy = format!("sre-agent-deploy-{deployment_id}");
            if iam::role_policy(&clients.iam, &role, &policy).await?.is_some() {
                found.push(entry(
                    ResourceKind::IamRolePolicy,
                    &policy,
                    None,
                    Some(role.clone()),
                ));
            }
            found.push(entry(ResourceKind::IamRole, &role, None, None));
        }
    }
    Ok(found)
}

/// The kinds `discover` cannot find by tag, said to the user when there is no state file.
pub const UNDISCOVERABLE: &str = "Cognito domains and resource servers of pools that were not created by the deployment, \
     and inline policies on roles it did not create (they carry no tag)";

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

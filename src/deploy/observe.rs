//! What AWS shows of a deployment now, for `plan` and `drift`: read only (Get, List, Describe
//! and S3 HEAD), every read at once, so the whole look takes one round trip. Ids come from the
//! state's ledger (or the config, for resources it names); what has no id yet is not looked up
//! (it is to be created).

use std::collections::BTreeMap;

use futures_util::future::join_all;

use super::plan::Plan;
use super::state::{LedgerStatus, ResourceKind, State};
use crate::aws::agentcore::{self, Resource};
use crate::aws::targets::{self, TargetSettings};
use crate::aws::{AwsError, Clients, cognito, iam, s3};

/// One target as the service shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTarget {
    pub id: String,
    /// What it points at; `None` for a target only the listing showed (not in the ledger).
    pub settings: Option<TargetSettings>,
}

/// The deployment's resources as AWS shows them. `None` is "not there" (or not looked up, for a
/// resource with no id yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    pub role_arn: Option<String>,
    pub role_policy: Option<String>,
    pub pool: Option<String>,
    /// The pool the domain prefix belongs to.
    pub domain_owner: Option<String>,
    pub resource_server_scopes: Option<Vec<String>>,
    pub client_scopes: Option<Vec<String>>,
    pub bucket: bool,
    /// Each spec object's SHA-256 (from its metadata), by key; `None`: not there.
    pub objects: BTreeMap<String, Option<String>>,
    pub provider_arn: Option<String>,
    pub gateway: Option<Resource>,
    /// The gateway's targets by name.
    pub targets: BTreeMap<String, LiveTarget>,
}

/// The id the ledger records for a resource that should exist.
pub fn ledger_id(state: Option<&State>, kind: ResourceKind, name: &str) -> Option<String> {
    state
        .and_then(|s| s.entry(kind, name))
        .filter(|e| e.status != LedgerStatus::Deleted)
        .and_then(|e| e.id.clone())
}

/// Reads everything at once.
pub async fn observe(clients: &Clients, plan: &Plan, state: Option<&State>) -> Result<Live, AwsError> {
    let output = |key: &str| state.and_then(|s| s.outputs.get(key).cloned());
    let pool_id = plan
        .existing_pool_id
        .clone()
        .or_else(|| ledger_id(state, ResourceKind::CognitoUserPool, &plan.pool_name))
        .or_else(|| output("user_pool_id"));
    let client_id = plan
        .existing_client_id
        .clone()
        .or_else(|| ledger_id(state, ResourceKind::CognitoClient, &plan.client_name))
        .or_else(|| output("client_id"));
    let domain = plan.domain_prefix.clone().or_else(|| output("cognito_domain"));
    let gateway_id =
        ledger_id(state, ResourceKind::Gateway, &plan.gateway_name).or_else(|| output("gateway_id"));
    // Every spec the config renders, and every object the ledger still records.
    let mut keys: Vec<String> = plan.specs.iter().map(|s| s.key.clone()).collect();
    if let Some(state) = state {
        keys.extend(
            state
                .ledger
                .iter()
                .filter(|e| e.kind == ResourceKind::S3Object && e.status != LedgerStatus::Deleted)
                .map(|e| e.name.clone())
                .filter(|k| !plan.specs.iter().any(|s| &s.key == k)),
        );
    }

    let role = async { iam::get_role(&clients.iam, &plan.role_name).await };
    let policy = async { iam::role_policy(&clients.iam, &plan.role_name, &plan.policy_name).await };
    let pool = async {
        match &pool_id {
            Some(id) => Ok(cognito::describe_pool(&clients.cognito, id)
                .await?
                .map(|_| id.clone())),
            None => Ok(None),
        }
    };
    let domain_owner = async {
        match &domain {
            Some(d) => cognito::domain_owner(&clients.cognito, d).await,
            None => Ok(None),
        }
    };
    let server = async {
        match &pool_id {
            Some(pool) => {
                cognito::resource_server_scopes(&clients.cognito, pool, &plan.resource_server_id).await
            }
            None => Ok(None),
        }
    };
    let client = async {
        match (&pool_id, &client_id) {
            (Some(pool), Some(id)) => cognito::client_scopes(&clients.cognito, pool, id).await,
            _ => Ok(None),
        }
    };
    let bucket = async { s3::bucket_access(&clients.s3, &plan.bucket).await };
    let objects = join_all(keys.iter().map(|key| async move {
        s3::object_digest(&clients.s3, &plan.bucket, key)
            .await
            .map(|digest| (key.clone(), digest))
    }));
    let provider = async {
        match &plan.existing_provider_arn {
            Some(arn) => Ok(Some(arn.clone())),
            None => agentcore::provider_arn(&clients.agentcore, &plan.provider_name).await,
        }
    };
    let gateway = async {
        match &gateway_id {
            Some(id) => agentcore::get_gateway(&clients.agentcore, id).await,
            None => Ok(None),
        }
    };
    let listed = async {
        match &gateway_id {
            Some(id) => targets_of(clients, id, state).await,
            None => Ok(BTreeMap::new()),
        }
    };
    let (role, policy, pool, domain_owner, server, client, bucket, objects, provider, gateway, listed) = tokio::join!(
        role,
        policy,
        pool,
        domain_owner,
        server,
        client,
        bucket,
        objects,
        provider,
        gateway,
        listed
    );
    let bucket = !matches!(bucket?, s3::BucketAccess::Missing);
    Ok(Live {
        role_arn: role?.map(|r| r.arn),
        role_policy: policy?,
        pool: pool?,
        domain_owner: domain_owner?,
        resource_server_scopes: server?,
        client_scopes: client?,
        objects: if bucket {
            objects.into_iter().collect::<Result<_, _>>()?
        } else {
            BTreeMap::new()
        },
        bucket,
        provider_arn: provider?,
        gateway: gateway?,
        targets: listed?,
    })
}

/// The gateway's targets: the listing, and a Get of each target the ledger records (by id, at
/// the same time as the listing) for what it points at.
async fn targets_of(
    clients: &Clients,
    gateway_id: &str,
    state: Option<&State>,
) -> Result<BTreeMap<String, LiveTarget>, AwsError> {
    let known: Vec<(String, String)> = state
        .map(|s| {
            s.ledger
                .iter()
                .filter(|e| e.kind == ResourceKind::GatewayTarget && e.status != LedgerStatus::Deleted)
                .filter_map(|e| e.id.clone().map(|id| (e.name.clone(), id)))
                .collect()
        })
        .unwrap_or_default();
    let c = &clients.agentcore;
    let gets = join_all(
        known
            .iter()
            .map(|(_, id)| targets::target_settings(c, gateway_id, id)),
    );
    let (listed, got) = tokio::join!(agentcore::list_targets(c, gateway_id), gets);
    let mut out = BTreeMap::new();
    for found in got {
        if let Some((target, settings)) = found? {
            out.insert(
                target.name.clone(),
                LiveTarget {
                    id: target.id,
                    settings: Some(settings),
                },
            );
        }
    }
    for summary in listed? {
        out.entry(summary.name).or_insert(LiveTarget {
            id: summary.id,
            settings: None,
        });
    }
    Ok(out)
}

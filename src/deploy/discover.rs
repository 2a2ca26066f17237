//! Finding a deployment's resources by their deployment-id tag, the source of truth for "ours":
//! cleanup sweeps every tagged resource whether the ledger names it or not (the Terraform
//! sweeper idea), and a cleanup without a state file starts from what is found here.
//!
//! Tagged: gateways (their targets go with them), credential providers, buckets (their objects
//! go with them), user pools (their clients and domain go with them) and roles (with this
//! deployment's inline policy). Every kind is listed at once, and each listed resource's tags
//! are read with bounded concurrency. A resource that vanishes between the listing and the tag
//! read is skipped.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use futures_util::stream;

use super::plan::DEPLOYMENT_TAG;
use super::state::{LedgerEntry, LedgerStatus, ResourceKind};
use crate::aws::{AwsError, Clients, ErrorKind, agentcore, cognito, iam, s3};

/// Tag reads in flight at once, per kind.
const CONCURRENCY: usize = 8;

/// The kinds [`discover`] cannot find by tag, said to the user when there is no state file.
pub const UNDISCOVERABLE: &str = "Cognito resource servers and domains of pools that were not created by the \
     deployment, and inline policies on roles it did not create (they carry no tag)";

/// Every resource tagged with `deployment_id`, as present ledger entries created by us.
pub async fn discover(
    clients: &Clients,
    deployment_id: &str,
    region: &str,
) -> Result<Vec<LedgerEntry>, AwsError> {
    let found = tagged(clients, Some(deployment_id), region).await?;
    Ok(found.into_iter().map(|(_, entry)| entry).collect())
}

/// Every resource in the region that carries a deployment tag, grouped by deployment id.
pub async fn discover_all(
    clients: &Clients,
    region: &str,
) -> Result<BTreeMap<String, Vec<LedgerEntry>>, AwsError> {
    let mut by_deployment: BTreeMap<String, Vec<LedgerEntry>> = BTreeMap::new();
    for (id, entry) in tagged(clients, None, region).await? {
        by_deployment.entry(id).or_default().push(entry);
    }
    Ok(by_deployment)
}

/// The tagged resources of one deployment (`Some`) or of all (`None`), each with its deployment.
async fn tagged(
    clients: &Clients,
    deployment_id: Option<&str>,
    region: &str,
) -> Result<Vec<(String, LedgerEntry)>, AwsError> {
    let found = Found {
        clients,
        deployment_id,
        region,
    };
    let (gateways, providers, buckets, pools, roles) = tokio::join!(
        found.gateways(),
        found.providers(),
        found.buckets(),
        found.pools(),
        found.roles()
    );
    Ok([gateways?, providers?, buckets?, pools?, roles?].concat())
}

/// A found resource and the deployment whose tag it carries.
type Owned = (String, LedgerEntry);

struct Found<'a> {
    clients: &'a Clients,
    /// The deployment looked for; any deployment when `None`.
    deployment_id: Option<&'a str>,
    region: &'a str,
}

/// A read that found nothing (the resource went away meanwhile) is `None`.
fn gone_is_none<T>(read: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Runs `read` on every item, `CONCURRENCY` at a time, keeping the order.
async fn each<I, T, F, Fut>(items: Vec<I>, read: F) -> Result<Vec<T>, AwsError>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let results: Vec<Result<Option<T>, AwsError>> = stream::iter(items.into_iter().map(read))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut out = Vec::new();
    for result in results {
        out.extend(result?);
    }
    Ok(out)
}

impl Found<'_> {
    /// The deployment a resource with these tags belongs to, if it is one looked for.
    fn owner(&self, tags: &BTreeMap<String, String>) -> Option<String> {
        let tagged = tags.get(DEPLOYMENT_TAG)?;
        self.deployment_id
            .is_none_or(|wanted| wanted == tagged)
            .then(|| tagged.clone())
    }

    fn entry(
        &self,
        owner: &str,
        kind: ResourceKind,
        name: &str,
        id: Option<String>,
        parent: Option<String>,
    ) -> Owned {
        (
            owner.to_string(),
            LedgerEntry {
                kind,
                name: name.to_string(),
                id,
                arn: None,
                parent,
                region: self.region.to_string(),
                created_by_us: true,
                status: LedgerStatus::Present,
            },
        )
    }

    async fn gateways(&self) -> Result<Vec<Owned>, AwsError> {
        let c = &self.clients.agentcore;
        let listed = agentcore::list_gateways(c).await?;
        let groups = each(listed, |(id, name)| async move {
            let Some(Some(gateway)) = gone_is_none(agentcore::get_gateway(c, &id).await)? else {
                return Ok(None);
            };
            let Some(tags) = gone_is_none(agentcore::tags(c, &gateway.arn).await)? else {
                return Ok(None);
            };
            let Some(owner) = self.owner(&tags) else {
                return Ok(None);
            };
            let targets = gone_is_none(agentcore::list_targets(c, &id).await)?.unwrap_or_default();
            let mut entries: Vec<Owned> = targets
                .into_iter()
                .map(|t| {
                    self.entry(
                        &owner,
                        ResourceKind::GatewayTarget,
                        &t.name,
                        Some(t.id),
                        Some(id.clone()),
                    )
                })
                .collect();
            entries.push(self.entry(&owner, ResourceKind::Gateway, &name, Some(id), None));
            Ok(Some(entries))
        })
        .await?;
        Ok(groups.concat())
    }

    async fn providers(&self) -> Result<Vec<Owned>, AwsError> {
        let c = &self.clients.agentcore;
        let listed = agentcore::list_providers(c).await?;
        each(listed, |(name, arn)| async move {
            let tags = gone_is_none(agentcore::tags(c, &arn).await)?.unwrap_or_default();
            Ok(self.owner(&tags).map(|owner| {
                self.entry(
                    &owner,
                    ResourceKind::CredentialProvider,
                    &name,
                    Some(name.clone()),
                    None,
                )
            }))
        })
        .await
    }

    async fn buckets(&self) -> Result<Vec<Owned>, AwsError> {
        let c = &self.clients.s3;
        // The deployment's bucket is in its region; others could not be read through its client.
        let listed = s3::list_buckets_in(c, self.region).await?;
        let groups = each(listed, |bucket| async move {
            // A bucket whose tags cannot be read (gone meanwhile, or closed to these credentials
            // by its policy) is not provably ours: it is left alone.
            let tags = match s3::bucket_tags(c, &bucket).await {
                Ok(tags) => tags,
                Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::AccessDenied) => {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            let Some(owner) = self.owner(&tags) else {
                return Ok(None);
            };
            let keys = gone_is_none(s3::list_keys(c, &bucket, "").await)?.unwrap_or_default();
            let mut entries: Vec<Owned> = keys
                .iter()
                .map(|key| self.entry(&owner, ResourceKind::S3Object, key, None, Some(bucket.clone())))
                .collect();
            entries.push(self.entry(&owner, ResourceKind::S3Bucket, &bucket, None, None));
            Ok(Some(entries))
        })
        .await?;
        Ok(groups.concat())
    }

    async fn pools(&self) -> Result<Vec<Owned>, AwsError> {
        let c = &self.clients.cognito;
        let listed = cognito::list_user_pools(c).await?;
        let groups = each(listed, |(id, name)| async move {
            let Some(Some(pool)) = gone_is_none(cognito::describe_pool(c, &id).await)? else {
                return Ok(None);
            };
            let Some(owner) = self.owner(&pool.tags) else {
                return Ok(None);
            };
            let clients = gone_is_none(cognito::list_clients(c, &id).await)?.unwrap_or_default();
            let mut entries: Vec<Owned> = clients
                .into_iter()
                .map(|(cid, cname)| {
                    self.entry(
                        &owner,
                        ResourceKind::CognitoClient,
                        &cname,
                        Some(cid),
                        Some(id.clone()),
                    )
                })
                .collect();
            if let Some(domain) = pool.domain {
                entries.push(self.entry(
                    &owner,
                    ResourceKind::CognitoDomain,
                    &domain,
                    None,
                    Some(id.clone()),
                ));
            }
            entries.push(self.entry(&owner, ResourceKind::CognitoUserPool, &name, Some(id), None));
            Ok(Some(entries))
        })
        .await?;
        Ok(groups.concat())
    }

    async fn roles(&self) -> Result<Vec<Owned>, AwsError> {
        let c = &self.clients.iam;
        let listed = iam::list_role_names(c).await?;
        let groups = each(listed, |role| async move {
            let Some(tags) = gone_is_none(iam::role_tags(c, &role).await)? else {
                return Ok(None);
            };
            let Some(owner) = self.owner(&tags) else {
                return Ok(None);
            };
            let policy = format!("sre-agent-deploy-{owner}");
            let mut entries = Vec::new();
            if gone_is_none(iam::role_policy(c, &role, &policy).await)?
                .flatten()
                .is_some()
            {
                entries.push(self.entry(
                    &owner,
                    ResourceKind::IamRolePolicy,
                    &policy,
                    None,
                    Some(role.clone()),
                ));
            }
            entries.push(self.entry(&owner, ResourceKind::IamRole, &role, None, None));
            Ok(Some(entries))
        })
        .await?;
        Ok(groups.concat())
    }
}

//! Cognito: user pool, hosted domain, resource server with the scopes, app client. Each is a
//! [`Managed`] kind; [`ensure`] decides and records, the step then does what is particular to it.

use crate::aws::{AwsError, cognito};
use crate::deploy::context::{Found, StepCx};
use crate::deploy::ensure::{How, Managed, ensure};
use crate::deploy::error::DeployError;
use crate::deploy::reconcile::{Foreign, Owner, Rules, Seen};
use crate::deploy::state::ResourceKind;

/// User pool names are not unique: a create sent twice makes a twin, so pools are found by name
/// and tag, and twins are deleted.
struct Pool<'a> {
    cx: &'a StepCx,
}

impl Managed for Pool<'_> {
    type Item = String;
    const KIND: ResourceKind = ResourceKind::CognitoUserPool;
    const RULES: Rules = Rules::SHARED;

    fn name(&self) -> &str {
        &self.cx.plan().pool_name
    }

    fn id(&self, id: &String) -> String {
        id.clone()
    }

    async fn get(&self, id: &str) -> Result<Option<String>, DeployError> {
        let tags = cognito::describe_user_pool(&self.cx.clients().cognito, id)
            .await
            .map_err(self.cx.aws(id))?;
        Ok(tags.map(|_| id.to_string()))
    }

    async fn find(&self, known: Option<&str>) -> Result<Vec<(Seen, String)>, DeployError> {
        let c = &self.cx.clients().cognito;
        let name = self.name();
        let mut found = Vec::new();
        for (id, pool_name) in cognito::list_user_pools(c).await.map_err(self.cx.aws(name))? {
            if pool_name != name {
                continue;
            }
            let owner = if Some(id.as_str()) == known {
                Owner::Us
            } else {
                match cognito::describe_user_pool(c, &id)
                    .await
                    .map_err(self.cx.aws(name))?
                {
                    Some(tags) => self.cx.owner(&tags),
                    None => continue,
                }
            };
            found.push((Seen::new(id.clone(), owner), id));
        }
        Ok(found)
    }

    async fn create(&self, _replaced: Option<&str>) -> Result<String, AwsError> {
        cognito::create_user_pool(&self.cx.clients().cognito, self.name(), &self.cx.plan().tags).await
    }

    async fn delete(&self, id: &str) -> Result<(), AwsError> {
        cognito::delete_user_pool(&self.cx.clients().cognito, id).await
    }

    fn foreign(&self, id: &str) -> (String, String) {
        (
            format!("the user pool {id} is not this deployment's"),
            "user pool names are not unique: report this as a bug".into(),
        )
    }
}

pub async fn pool(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    if let Some(id) = &plan.existing_pool_id {
        let exists = cognito::describe_user_pool(&cx.clients().cognito, id)
            .await
            .map_err(cx.aws(id.as_str()))?
            .is_some();
        if !exists {
            return Err(cx.conflict(
                id,
                format!(
                    "the user pool {id} named in cognito.user_pool_id does not exist in {}",
                    plan.region
                ),
                "check cognito.user_pool_id and aws.region, or remove user_pool_id to have a pool created"
                    .into(),
            ));
        }
        cx.say(format!("using existing user pool {id}"));
        cx.present(
            ResourceKind::CognitoUserPool,
            id,
            Found::new(false).id(id.clone()),
            None,
        )
        .await?;
        record_pool(cx, id).await;
        return Ok(());
    }
    let resolved = ensure(cx, &mut Pool { cx }).await?;
    if resolved.how == How::Created {
        cx.say(format!("created user pool {}", resolved.item));
    }
    record_pool(cx, &resolved.item).await;
    Ok(())
}

async fn record_pool(cx: &StepCx, id: &str) {
    cx.output("user_pool_id", id).await;
    cx.output("discovery_url", &cx.plan().discovery_url(id)).await;
}

/// Whether the pool this deployment uses was created by it.
async fn pool_is_ours(cx: &StepCx) -> bool {
    let plan = cx.plan();
    let name = plan.existing_pool_id.as_ref().unwrap_or(&plan.pool_name);
    cx.entry(ResourceKind::CognitoUserPool, name)
        .await
        .is_some_and(|e| e.created_by_us)
}

/// Whose a resource inside the deployment's pool is: ours when the pool is.
fn inside(pool_ours: bool) -> Owner {
    if pool_ours { Owner::Us } else { Owner::Untagged }
}

/// Domain prefixes are global: one taken by another pool means the next candidate name. One the
/// used pool already has is used as it is.
struct Domain<'a> {
    cx: &'a StepCx,
    pool: String,
    pool_ours: bool,
    names: Vec<String>,
    at: usize,
}

impl Managed for Domain<'_> {
    type Item = String;
    const KIND: ResourceKind = ResourceKind::CognitoDomain;
    // moto's CreateUserPoolDomain takes an existing prefix over, so the owner is read first.
    const RULES: Rules = Rules {
        look_first: true,
        others: Foreign::Rename,
        ..Rules::unique(Foreign::Use)
    };

    fn name(&self) -> &str {
        &self.names[self.at]
    }

    fn parent(&self) -> Option<&str> {
        Some(&self.pool)
    }

    fn id(&self, domain: &String) -> String {
        domain.clone()
    }

    async fn get(&self, id: &str) -> Result<Option<String>, DeployError> {
        let owner = cognito::domain_owner(&self.cx.clients().cognito, id)
            .await
            .map_err(self.cx.aws(id))?;
        Ok((owner.as_deref() == Some(self.pool.as_str())).then(|| id.to_string()))
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, String)>, DeployError> {
        let name = self.name();
        let owner = cognito::domain_owner(&self.cx.clients().cognito, name)
            .await
            .map_err(self.cx.aws(name))?;
        Ok(owner
            .map(|pool| {
                let owner = if pool == self.pool {
                    inside(self.pool_ours)
                } else {
                    Owner::Other
                };
                (Seen::new(name, owner), name.to_string())
            })
            .into_iter()
            .collect())
    }

    async fn create(&self, _replaced: Option<&str>) -> Result<String, AwsError> {
        let name = self.name();
        cognito::create_domain(&self.cx.clients().cognito, name, &self.pool).await?;
        Ok(name.to_string())
    }

    async fn delete(&self, domain: &str) -> Result<(), AwsError> {
        cognito::delete_domain(&self.cx.clients().cognito, domain, &self.pool).await
    }

    fn next_name(&mut self) -> bool {
        if self.at + 1 == self.names.len() {
            return false;
        }
        self.cx.say(format!(
            "domain {} belongs to another user pool; trying another name",
            self.name()
        ));
        self.at += 1;
        true
    }

    fn foreign(&self, id: &str) -> (String, String) {
        (
            format!("the Cognito domain {id} belongs to another user pool"),
            "choose another cognito.cognito_domain".into(),
        )
    }
}

pub async fn domain(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let Some(prefix) = plan.domain_prefix.clone() else {
        cx.say("using the Cognito domain URL from the config");
        return Ok(());
    };
    let pool = cx.require_output("user_pool_id").await?;
    // The name an earlier run settled on comes first; then the prefix and its stable variants.
    let mut names: Vec<String> = cx.get_output("cognito_domain").await.into_iter().collect();
    for name in
        std::iter::once(prefix.clone()).chain((1..=3).map(|n| suffixed(&prefix, &plan.deployment_id, n)))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let mut domain = Domain {
        cx,
        pool,
        pool_ours: pool_is_ours(cx).await,
        names,
        at: 0,
    };
    let resolved = ensure(cx, &mut domain).await?;
    if resolved.how == How::Created {
        cx.say(format!("created domain {}", resolved.item));
    }
    record_domain(cx, &resolved.item).await;
    Ok(())
}

/// `prefix-xxxx`: a stable suffix from the deployment id, so a resume picks the same name.
fn suffixed(prefix: &str, deployment_id: &str, attempt: u32) -> String {
    let digest = crate::deploy::store::sha256_hex(&format!("{deployment_id}:{attempt}"));
    let base: String = prefix.chars().take(63 - 5).collect();
    format!("{}-{}", base.trim_end_matches('-'), &digest[..4])
}

async fn record_domain(cx: &StepCx, domain: &str) {
    cx.output("cognito_domain", domain).await;
    let endpoint = format!(
        "https://{domain}.auth.{}.amazoncognito.com/oauth2/token",
        cx.plan().region
    );
    cx.output("token_endpoint", &endpoint).await;
}

/// Resource server identifiers are unique in their pool. One in a pool the deployment did not
/// create is used as it is (its scopes are left alone).
struct ResourceServer<'a> {
    cx: &'a StepCx,
    pool: String,
    pool_ours: bool,
}

impl Managed for ResourceServer<'_> {
    /// The scopes, as `identifier/scope`.
    type Item = Vec<String>;
    const KIND: ResourceKind = ResourceKind::CognitoResourceServer;
    const RULES: Rules = Rules::unique(Foreign::Use);

    fn name(&self) -> &str {
        &self.cx.plan().resource_server_id
    }

    fn parent(&self) -> Option<&str> {
        Some(&self.pool)
    }

    fn id(&self, _scopes: &Vec<String>) -> String {
        self.name().to_string()
    }

    async fn get(&self, id: &str) -> Result<Option<Vec<String>>, DeployError> {
        cognito::resource_server_scopes(&self.cx.clients().cognito, &self.pool, id)
            .await
            .map_err(self.cx.aws(id))
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, Vec<String>)>, DeployError> {
        let id = self.name();
        Ok(self
            .get(id)
            .await?
            .map(|scopes| {
                let seen = Seen::new(id.to_string(), inside(self.pool_ours));
                (seen, scopes)
            })
            .into_iter()
            .collect())
    }

    async fn create(&self, _replaced: Option<&str>) -> Result<Vec<String>, AwsError> {
        let plan = self.cx.plan();
        cognito::create_resource_server(&self.cx.clients().cognito, &self.pool, self.name(), &plan.scopes)
            .await?;
        Ok(plan.scopes.clone())
    }

    async fn delete(&self, id: &str) -> Result<(), AwsError> {
        cognito::delete_resource_server(&self.cx.clients().cognito, &self.pool, id).await
    }

    fn foreign(&self, id: &str) -> (String, String) {
        (
            format!("the resource server {id} is not this deployment's"),
            "set cognito.resource_server_id to another identifier".into(),
        )
    }
}

pub async fn resource_server(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let pool = cx.require_output("user_pool_id").await?;
    let id = &plan.resource_server_id;
    let mut server = ResourceServer {
        cx,
        pool: pool.clone(),
        pool_ours: pool_is_ours(cx).await,
    };
    let resolved = ensure(cx, &mut server).await?;
    let scopes = plan.scopes.join(", ");
    match resolved.how {
        How::Created => cx.say(format!("created resource server {id} with scopes {scopes}")),
        How::Kept | How::Adopted if resolved.ours && !same_set(&resolved.item, &plan.scopes) => {
            cognito::update_resource_server(&cx.clients().cognito, &pool, id, &plan.scopes)
                .await
                .map_err(cx.aws(id.as_str()))?;
            cx.say(format!("updated resource server {id}: scopes {scopes}"));
        }
        _ => {}
    }
    Ok(())
}

/// The same scopes, in any order.
fn same_set(a: &[String], b: &[String]) -> bool {
    let set = |v: &[String]| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
    set(a) == set(b)
}

/// App client names are not unique: a create sent twice makes a twin. The name carries the
/// deployment id, so every client of that name in the pool is this deployment's.
struct Client<'a> {
    cx: &'a StepCx,
    pool: String,
}

impl Managed for Client<'_> {
    type Item = String;
    const KIND: ResourceKind = ResourceKind::CognitoClient;
    const RULES: Rules = Rules::SHARED;

    fn name(&self) -> &str {
        &self.cx.plan().client_name
    }

    fn parent(&self) -> Option<&str> {
        Some(&self.pool)
    }

    fn id(&self, id: &String) -> String {
        id.clone()
    }

    async fn get(&self, id: &str) -> Result<Option<String>, DeployError> {
        let scopes = cognito::client_scopes(&self.cx.clients().cognito, &self.pool, id)
            .await
            .map_err(self.cx.aws(id))?;
        Ok(scopes.map(|_| id.to_string()))
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, String)>, DeployError> {
        let name = self.name();
        let listed = cognito::list_clients(&self.cx.clients().cognito, &self.pool)
            .await
            .map_err(self.cx.aws(name))?;
        Ok(listed
            .into_iter()
            .filter(|(_, n)| n == name)
            .map(|(id, _)| {
                let seen = Seen::new(id.clone(), Owner::Us);
                (seen, id)
            })
            .collect())
    }

    async fn create(&self, _replaced: Option<&str>) -> Result<String, AwsError> {
        let plan = self.cx.plan();
        cognito::create_client(&self.cx.clients().cognito, &self.pool, self.name(), &plan.scopes).await
    }

    async fn delete(&self, id: &str) -> Result<(), AwsError> {
        cognito::delete_client(&self.cx.clients().cognito, &self.pool, id).await
    }

    fn foreign(&self, id: &str) -> (String, String) {
        (
            format!("the app client {id} is not this deployment's"),
            "app client names are not unique: report this as a bug".into(),
        )
    }
}

pub async fn client(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().cognito;
    let pool = cx.require_output("user_pool_id").await?;
    if let Some(id) = &plan.existing_client_id {
        if cognito::client_scopes(c, &pool, id)
            .await
            .map_err(cx.aws(id.as_str()))?
            .is_none()
        {
            return Err(cx.conflict(
                id,
                format!("the app client {id} named in cognito.client_id is not in user pool {pool}"),
                "check cognito.client_id, or remove it to have a client created".into(),
            ));
        }
        cx.present(
            ResourceKind::CognitoClient,
            id,
            Found::new(false).id(id.clone()),
            Some(&pool),
        )
        .await?;
        cx.output("client_id", id).await;
        return Ok(());
    }
    let name = &plan.client_name;
    let resolved = ensure(
        cx,
        &mut Client {
            cx,
            pool: pool.clone(),
        },
    )
    .await?;
    let id = &resolved.item;
    if resolved.how == How::Created {
        cx.say(format!(
            "created app client {id} (client_credentials, secret generated)"
        ));
    } else {
        let scopes = cognito::client_scopes(c, &pool, id)
            .await
            .map_err(cx.aws(name.as_str()))?
            .unwrap_or_default();
        if !same_set(&scopes, &plan.scopes) {
            cognito::update_client_scopes(c, &pool, id, name, &plan.scopes)
                .await
                .map_err(cx.aws(name.as_str()))?;
            cx.say(format!(
                "updated app client {id}: scopes {}",
                plan.scopes.join(", ")
            ));
        }
    }
    cx.output("client_id", id).await;
    Ok(())
}

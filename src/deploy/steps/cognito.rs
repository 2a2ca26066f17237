//! Cognito: user pool, hosted domain, resource server with the scopes, app client.

use crate::aws::{ErrorKind, cognito};
use crate::deploy::context::{Found, StepCx};
use crate::deploy::error::DeployError;
use crate::deploy::state::ResourceKind;

pub async fn pool(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().cognito;
    if let Some(id) = &plan.existing_pool_id {
        if cognito::describe_user_pool(c, id)
            .await
            .map_err(cx.aws(id.as_str()))?
            .is_none()
        {
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
        return record_pool(cx, id).await;
    }
    let name = &plan.pool_name;
    let entry = cx.entry(ResourceKind::CognitoUserPool, name).await;
    if let Some(id) = entry.as_ref().and_then(|e| e.id.clone()) {
        if cognito::describe_user_pool(c, &id)
            .await
            .map_err(cx.aws(name.as_str()))?
            .is_some()
        {
            return record_pool(cx, &id).await;
        }
        cx.say(format!("user pool {id} is gone; creating it again"));
    } else if entry.is_some() {
        // A create was sent but its answer never recorded: find the pool by name and tag.
        for (id, pool_name) in cognito::list_user_pools(c).await.map_err(cx.aws(name.as_str()))? {
            if &pool_name != name {
                continue;
            }
            let tags = cognito::describe_user_pool(c, &id)
                .await
                .map_err(cx.aws(name.as_str()))?;
            if tags.is_some_and(|t| cx.is_ours(&t)) {
                cx.say(format!("adopted user pool {id}"));
                cx.present(
                    ResourceKind::CognitoUserPool,
                    name,
                    Found::new(true).id(id.clone()),
                    None,
                )
                .await?;
                return record_pool(cx, &id).await;
            }
        }
    }
    cx.intend(ResourceKind::CognitoUserPool, name, None).await?;
    let id = cognito::create_user_pool(c, name, &plan.tags)
        .await
        .map_err(cx.aws(name.as_str()))?;
    cx.say(format!("created user pool {id}"));
    cx.present(
        ResourceKind::CognitoUserPool,
        name,
        Found::new(true).id(id.clone()),
        None,
    )
    .await?;
    record_pool(cx, &id).await
}

async fn record_pool(cx: &StepCx, id: &str) -> Result<(), DeployError> {
    cx.output("user_pool_id", id).await?;
    cx.output("discovery_url", &cx.plan().discovery_url(id)).await
}

/// Whether the pool this deployment uses was created by it.
async fn pool_is_ours(cx: &StepCx) -> bool {
    let plan = cx.plan();
    let name = plan.existing_pool_id.as_ref().unwrap_or(&plan.pool_name);
    cx.entry(ResourceKind::CognitoUserPool, name)
        .await
        .is_some_and(|e| e.created_by_us)
}

pub async fn domain(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().cognito;
    let Some(prefix) = plan.domain_prefix.clone() else {
        cx.say("using the Cognito domain URL from the config");
        return Ok(());
    };
    let pool = cx.require_output("user_pool_id").await?;
    let chosen = cx.get_output("cognito_domain").await.unwrap_or(prefix.clone());
    let candidates =
        std::iter::once(chosen).chain((1..=3).map(|n| suffixed(&prefix, &plan.deployment_id, n)));
    for domain in candidates {
        match cognito::domain_owner(c, &domain)
            .await
            .map_err(cx.aws(domain.as_str()))?
        {
            Some(owner) if owner == pool => {
                let ours = cx
                    .entry(ResourceKind::CognitoDomain, &domain)
                    .await
                    .is_some_and(|e| e.created_by_us)
                    || pool_is_ours(cx).await;
                cx.present(
                    ResourceKind::CognitoDomain,
                    &domain,
                    Found::new(ours),
                    Some(&pool),
                )
                .await?;
                return record_domain(cx, &domain).await;
            }
            Some(_) => {
                cx.say(format!(
                    "domain {domain} belongs to another user pool; trying another name"
                ));
                continue;
            }
            None => {}
        }
        cx.intend(ResourceKind::CognitoDomain, &domain, Some(&pool))
            .await?;
        match cognito::create_domain(c, &domain, &pool).await {
            Ok(()) => {
                cx.say(format!("created domain {domain}"));
                cx.present(
                    ResourceKind::CognitoDomain,
                    &domain,
                    Found::new(true),
                    Some(&pool),
                )
                .await?;
                return record_domain(cx, &domain).await;
            }
            Err(e) if e.is(ErrorKind::AlreadyExists) => {
                cx.say(format!(
                    "domain {domain} was taken meanwhile; trying another name"
                ));
            }
            Err(e) => return Err(cx.aws(domain.as_str())(e)),
        }
    }
    Err(cx.conflict(
        &prefix,
        format!("the Cognito domain prefix {prefix} and its suffixed variants are all taken"),
        "choose another cognito.cognito_domain".into(),
    ))
}

/// `prefix-xxxx`: a stable suffix from the deployment id, so a resume picks the same name.
fn suffixed(prefix: &str, deployment_id: &str, attempt: u32) -> String {
    let digest = crate::deploy::store::sha256_hex(&format!("{deployment_id}:{attempt}"));
    let base: String = prefix.chars().take(63 - 5).collect();
    format!("{}-{}", base.trim_end_matches('-'), &digest[..4])
}

async fn record_domain(cx: &StepCx, domain: &str) -> Result<(), DeployError> {
    cx.output("cognito_domain", domain).await?;
    let endpoint = format!(
        "https://{domain}.auth.{}.amazoncognito.com/oauth2/token",
        cx.plan().region
    );
    cx.output("token_endpoint", &endpoint).await
}

pub async fn resource_server(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().cognito;
    let pool = cx.require_output("user_pool_id").await?;
    let id = &plan.resource_server_id;
    let entry = cx.entry(ResourceKind::CognitoResourceServer, id).await;
    // Without a ledger entry, go straight to the create (its conflict covers an existing one).
    let existing = match &entry {
        Some(_) => cognito::resource_server_scopes(c, &pool, id)
            .await
            .map_err(cx.aws(id.as_str()))?,
        None => None,
    };
    let ours = if let Some(scopes) = existing {
        let ours = entry.as_ref().is_some_and(|e| e.created_by_us) || pool_is_ours(cx).await;
        if ours && !same_set(&scopes, &plan.scopes) {
            cognito::update_resource_server(c, &pool, id, &plan.scopes)
                .await
                .map_err(cx.aws(id.as_str()))?;
            cx.say(format!(
                "updated resource server {id}: scopes {}",
                plan.scopes.join(", ")
            ));
        }
        ours
    } else {
        cx.intend(ResourceKind::CognitoResourceServer, id, Some(&pool))
            .await?;
        match cognito::create_resource_server(c, &pool, id, &plan.scopes).await {
            Ok(()) => {
                cx.say(format!(
                    "created resource server {id} with scopes {}",
                    plan.scopes.join(", ")
                ));
                true
            }
            // Ours when this deployment sent the create before (a lost answer) or owns the pool.
            Err(e) if e.is(ErrorKind::AlreadyExists) => entry.is_some() || pool_is_ours(cx).await,
            Err(e) => return Err(cx.aws(id.as_str())(e)),
        }
    };
    cx.present(
        ResourceKind::CognitoResourceServer,
        id,
        Found::new(ours),
        Some(&pool),
    )
    .await
}

/// The same scopes, in any order.
fn same_set(a: &[String], b: &[String]) -> bool {
    let set = |v: &[String]| v.iter().cloned().collect::<std::collections::BTreeSet<_>>();
    set(a) == set(b)
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
        return cx.output("client_id", id).await;
    }
    let name = &plan.client_name;
    let entry = cx.entry(ResourceKind::CognitoClient, name).await;
    let known = match entry.as_ref().map(|e| e.id.clone()) {
        Some(Some(id)) => cognito::client_scopes(c, &pool, &id)
            .await
            .map_err(cx.aws(name.as_str()))?
            .map(|scopes| (id, scopes)),
        // A create whose answer was lost: find the client by name.
        Some(None) => {
            let listed = cognito::list_clients(c, &pool)
                .await
                .map_err(cx.aws(name.as_str()))?;
            match listed.into_iter().find(|(_, n)| n == name) {
                Some((id, _)) => cognito::client_scopes(c, &pool, &id)
                    .await
                    .map_err(cx.aws(name.as_str()))?
                    .map(|scopes| (id, scopes)),
                None => None,
            }
        }
        None => None,
    };
    let id = match known {
        Some((id, scopes)) => {
            if !same_set(&scopes, &plan.scopes) {
                cognito::update_client_scopes(c, &pool, &id, name, &plan.scopes)
                    .await
                    .map_err(cx.aws(name.as_str()))?;
                cx.say(format!(
                    "updated app client {id}: scopes {}",
                    plan.scopes.join(", ")
                ));
            }
            id
        }
        None => {
            cx.intend(ResourceKind::CognitoClient, name, Some(&pool)).await?;
            let id = cognito::create_client(c, &pool, name, &plan.scopes)
                .await
                .map_err(cx.aws(name.as_str()))?;
            cx.say(format!(
                "created app client {id} (client_credentials, secret generated)"
            ));
            id
        }
    };
    cx.present(
        ResourceKind::CognitoClient,
        name,
        Found::new(true).id(id.clone()),
        Some(&pool),
    )
    .await?;
    cx.output("client_id", &id).await
}

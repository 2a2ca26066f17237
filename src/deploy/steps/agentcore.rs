//! AgentCore: the API key credential provider, the gateway (CUSTOM_JWT, MCP) and its targets.

use std::time::{Duration, Instant};

use crate::aws::agentcore::{self, GatewaySpec, Resource, TargetSpec};
use crate::aws::{AwsError, ErrorKind};
use crate::deploy::context::{Found, StepCx};
use crate::deploy::error::DeployError;
use crate::deploy::state::{LedgerStatus, ResourceKind};
use crate::deploy::wait;

/// How long CreateGateway is retried while a just-created role is not yet assumable.
const ROLE_PROPAGATION_LIMIT: Duration = Duration::from_mins(2);

pub async fn provider(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().agentcore;
    if let Some(arn) = &plan.existing_provider_arn {
        cx.present(
            ResourceKind::CredentialProvider,
            arn,
            Found::new(false).arn(arn.clone()),
            None,
        )
        .await?;
        cx.say("using the existing credential provider from gateway.provider_arn");
        return cx.output("provider_arn", arn).await;
    }
    let name = &plan.provider_name;
    let entry = cx.entry(ResourceKind::CredentialProvider, name).await;
    // Without a ledger entry no create was ever sent: go straight to the create, whose conflict
    // answer covers a provider of that name made by someone else.
    let existing = match &entry {
        Some(_) => agentcore::provider_arn(c, name)
            .await
            .map_err(cx.aws(name.as_str()))?,
        None => None,
    };
    if let Some(arn) = existing {
        let ours = match &entry {
            Some(e) if e.status == LedgerStatus::Present => e.created_by_us,
            _ => cx.is_ours(&agentcore::tags(c, &arn).await.map_err(cx.aws(name.as_str()))?),
        };
        if !ours {
            return Err(foreign_provider(cx, name));
        }
        cx.present(
            ResourceKind::CredentialProvider,
            name,
            Found::new(ours).arn(arn.clone()),
            None,
        )
        .await?;
        return cx.output("provider_arn", &arn).await;
    }
    let key = cx.shared.api_key.as_ref().ok_or_else(|| DeployError::Secret {
        field: "gateway.api_key",
        message: "the backend API key is needed to create the credential provider, and none is set".into(),
        suggestion: Some("export BACKEND_API_KEY=... (or set gateway.api_key: env:NAME), then resume".into()),
    })?;
    cx.intend(ResourceKind::CredentialProvider, name, None).await?;
    let arn = match agentcore::create_provider(c, name, key, &plan.tags).await {
        Ok(arn) => arn,
        Err(e) if e.is(ErrorKind::AlreadyExists) => {
            // Created by a call whose answer was lost, or by someone else: the tag tells.
            let arn = agentcore::provider_arn(c, name)
                .await
                .map_err(cx.aws(name.as_str()))?
                .ok_or_else(|| cx.aws(name.as_str())(e))?;
            if !cx.is_ours(&agentcore::tags(c, &arn).await.map_err(cx.aws(name.as_str()))?) {
                return Err(foreign_provider(cx, name));
            }
            arn
        }
        Err(e) => return Err(cx.aws(name.as_str())(e)),
    };
    cx.say(format!("created API key credential provider {name}"));
    cx.present(
        ResourceKind::CredentialProvider,
        name,
        Found::new(true).arn(arn.clone()),
        None,
    )
    .await?;
    cx.output("provider_arn", &arn).await
}

fn foreign_provider(cx: &StepCx, name: &str) -> DeployError {
    cx.conflict(
        name,
        format!("a credential provider named {name} exists and was not created by this deployment"),
        "set gateway.credential_provider_name to another name, or gateway.provider_arn to use that provider"
            .into(),
    )
}

pub async fn gateway(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().agentcore;
    let name = &plan.gateway_name;
    let entry = cx.entry(ResourceKind::Gateway, name).await;
    // No ledger entry means no create was ever sent, so there is nothing of ours to look for;
    // an entry without an id is a create whose answer was lost: find it by name and tag.
    let found = match entry.as_ref().map(|e| e.id.clone()) {
        Some(Some(id)) => agentcore::get_gateway(c, &id)
            .await
            .map_err(cx.aws(name.as_str()))?,
        Some(None) => find_by_name(cx, name).await?,
        None => None,
    };
    let found = unless_deleting(cx, name, found, |id| async move {
        agentcore::get_gateway(c, &id).await.map(|g| g.is_some())
    })
    .await?;
    let gateway = match found {
        Some(g) => keep_in_line(cx, g).await?,
        None => create_gateway(cx, entry.as_ref().and_then(|e| e.id.as_deref())).await?,
    };
    cx.present(
        ResourceKind::Gateway,
        name,
        Found::new(true).id(gateway.id.clone()).arn(gateway.arn.clone()),
        None,
    )
    .await?;
    let id = gateway.id.clone();
    let ready = wait::until_ready(
        &cx.step,
        name,
        gateway,
        || agentcore::get_gateway(c, &id),
        |m| cx.say(m),
    )
    .await?;
    cx.output("gateway_id", &ready.id).await?;
    cx.output("gateway_arn", &ready.arn).await?;
    if let Some(url) = &ready.url {
        cx.output("gateway_url", url).await?;
    }
    cx.say(format!(
        "gateway {name} is READY at {}",
        ready.url.as_deref().unwrap_or("(no URL reported)")
    ));
    Ok(())
}

/// A gateway of this name: ours (tagged with this deployment) is adopted; anyone else's stops the run.
async fn find_by_name(cx: &StepCx, name: &str) -> Result<Option<Resource>, DeployError> {
    let c = &cx.clients().agentcore;
    let listed = agentcore::list_gateways(c).await.map_err(cx.aws(name))?;
    let Some((id, _)) = listed.into_iter().find(|(_, n)| n == name) else {
        return Ok(None);
    };
    let Some(gateway) = agentcore::get_gateway(c, &id).await.map_err(cx.aws(name))? else {
        return Ok(None);
    };
    if cx.is_ours(&agentcore::tags(c, &gateway.arn).await.map_err(cx.aws(name))?) {
        cx.say(format!("adopted gateway {id}"));
        Ok(Some(gateway))
    } else {
        Err(cx.conflict(
            name,
            format!("a gateway named {name} exists ({id}) and was not created by this deployment"),
            "choose another gateway.gateway_name".into(),
        ))
    }
}

/// Updates an existing gateway whose role or authorizer no longer matches the deployment (a new
/// app client, pool or role after a config change).
async fn keep_in_line(cx: &StepCx, gateway: Resource) -> Result<Resource, DeployError> {
    let role_arn = cx.require_output("role_arn").await?;
    let discovery_url = cx.require_output("discovery_url").await?;
    let client_id = cx.require_output("client_id").await?;
    let wanted = agentcore::GatewaySettings {
        role_arn: role_arn.clone(),
        discovery_url: discovery_url.clone(),
        allowed_clients: vec![client_id.clone()],
    };
    if gateway.settings.as_ref().is_none_or(|s| *s == wanted) {
        return Ok(gateway);
    }
    let plan = cx.plan();
    let spec = GatewaySpec {
        name: &plan.gateway_name,
        role_arn: &role_arn,
        discovery_url: &discovery_url,
        allowed_client: &client_id,
        client_token: "",
        tags: &plan.tags,
    };
    let updated = agentcore::update_gateway(&cx.clients().agentcore, &gateway.id, &spec)
        .await
        .map_err(cx.aws(plan.gateway_name.as_str()))?;
    cx.say(format!(
        "updated gateway {}: role and authorizer follow the config",
        gateway.id
    ));
    Ok(updated)
}

/// `replaced` is the id of an earlier gateway of ours that has since disappeared: the client token
/// must differ from the one that created it, or the service would answer with the old gateway.
async fn create_gateway(cx: &StepCx, replaced: Option<&str>) -> Result<Resource, DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().agentcore;
    let name = &plan.gateway_name;
    let role_arn = cx.require_output("role_arn").await?;
    let discovery_url = cx.require_output("discovery_url").await?;
    let client_id = cx.require_output("client_id").await?;
    let token = plan.client_token(&format!("gateway:{}", replaced.unwrap_or_default()));
    let spec = GatewaySpec {
        name,
        role_arn: &role_arn,
        discovery_url: &discovery_url,
        allowed_client: &client_id,
        client_token: &token,
        tags: &plan.tags,
    };
    cx.intend(ResourceKind::Gateway, name, None).await?;
    let started = Instant::now();
    let mut delay = Duration::from_secs(2);
    loop {
        match agentcore::create_gateway(c, &spec).await {
            Ok(gateway) => {
                cx.say(format!("created gateway {} ({})", gateway.id, gateway.status));
                return Ok(gateway);
            }
            Err(e) if e.is(ErrorKind::AlreadyExists) => {
                return find_by_name(cx, name)
                    .await?
                    .ok_or_else(|| cx.aws(name.as_str())(e));
            }
            Err(e) if role_not_ready(&e) && started.elapsed() < ROLE_PROPAGATION_LIMIT => {
                cx.say(format!(
                    "the role is not assumable yet; retrying in {} s",
                    delay.as_secs()
                ));
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            Err(e) => return Err(cx.aws(name.as_str())(e)),
        }
    }
}

/// A new IAM role takes a few seconds to become assumable; CreateGateway says so in its error.
fn role_not_ready(e: &AwsError) -> bool {
    let message = e.message.to_ascii_lowercase();
    matches!(e.kind, ErrorKind::Invalid | ErrorKind::AccessDenied)
        && message.contains("role")
        && (message.contains("assume") || message.contains("trust"))
}

pub async fn target(cx: &StepCx, target: &str) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().agentcore;
    let gateway_id = cx.require_output("gateway_id").await?;
    let entry = cx.entry(ResourceKind::GatewayTarget, target).await;
    let found = match entry.as_ref().map(|e| e.id.clone()) {
        Some(Some(id)) => agentcore::get_target(c, &gateway_id, &id)
            .await
            .map_err(cx.aws(target))?,
        Some(None) => find_target(cx, &gateway_id, target).await?,
        None => None,
    };
    let found = unless_deleting(cx, target, found, |id| {
        let gateway_id = gateway_id.clone();
        async move {
            agentcore::get_target(c, &gateway_id, &id)
                .await
                .map(|t| t.is_some())
        }
    })
    .await?;
    let resource = match found {
        Some(t) => t,
        None => {
            let provider_arn = cx.require_output("provider_arn").await?;
            let uri = cx.require_output(&format!("spec_uri:{target}")).await?;
            // A new token when replacing a vanished target, so the create is not answered with it.
            let replaced = entry.as_ref().and_then(|e| e.id.as_deref()).unwrap_or_default();
            let token = plan.client_token(&format!("{}:{replaced}", cx.step));
            let spec = TargetSpec {
                gateway_id: &gateway_id,
                name: target,
                s3_uri: &uri,
                bucket_owner: &plan.account,
                provider_arn: &provider_arn,
                client_token: &token,
            };
            cx.intend(ResourceKind::GatewayTarget, target, Some(&gateway_id))
                .await?;
            match agentcore::create_target(c, &spec).await {
                Ok(t) => {
                    cx.say(format!("created target {} from {uri}", t.id));
                    t
                }
                Err(e) if e.is(ErrorKind::AlreadyExists) => find_target(cx, &gateway_id, target)
                    .await?
                    .ok_or_else(|| cx.aws(target)(e))?,
                Err(e) => return Err(cx.aws(target)(e)),
            }
        }
    };
    cx.present(
        ResourceKind::GatewayTarget,
        target,
        Found::new(true).id(resource.id.clone()),
        Some(&gateway_id),
    )
    .await?;
    let id = resource.id.clone();
    let get = || agentcore::get_target(c, &gateway_id, &id);
    let ready = wait::until_ready(&cx.step, target, resource, get, |m| cx.say(m)).await?;
    cx.output(&format!("target_id:{target}"), &ready.id).await
}

/// A gateway or target that is being deleted cannot be used: wait until it is gone, then treat
/// it as missing so it is created again.
async fn unless_deleting<F, Fut>(
    cx: &StepCx,
    label: &str,
    found: Option<Resource>,
    exists: F,
) -> Result<Option<Resource>, DeployError>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<bool, AwsError>>,
{
    match found {
        Some(r) if r.status == "DELETING" => {
            cx.say(format!(
                "{label} ({}) is being deleted; waiting to create it again",
                r.id
            ));
            wait::until_gone(|| exists(r.id.clone()))
                .await
                .map_err(cx.aws(label))?;
            Ok(None)
        }
        other => Ok(other),
    }
}

async fn find_target(cx: &StepCx, gateway_id: &str, name: &str) -> Result<Option<Resource>, DeployError> {
    let c = &cx.clients().agentcore;
    let listed = agentcore::list_targets(c, gateway_id)
        .await
        .map_err(cx.aws(name))?;
    match listed.into_iter().find(|(_, n)| n == name) {
        Some((id, _)) => agentcore::get_target(c, gateway_id, &id)
            .await
            .map_err(cx.aws(name)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_propagation_errors_are_recognised() {
        let e = |kind, message: &str| AwsError {
            operation: "CreateGateway",
            kind,
            code: None,
            message: message.into(),
        };
        assert!(role_not_ready(&e(
            ErrorKind::Invalid,
            "The role cannot be assumed by bedrock-agentcore"
        )));
        assert!(role_not_ready(&e(
            ErrorKind::AccessDenied,
            "Unable to assume role arn:aws:iam::1:role/x"
        )));
        assert!(!role_not_ready(&e(ErrorKind::Invalid, "name is too long")));
        assert!(!role_not_ready(&e(
            ErrorKind::Transient,
            "role cannot be assumed"
        )));
    }
}

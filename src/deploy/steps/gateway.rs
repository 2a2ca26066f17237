//! The AgentCore gateway (CUSTOM_JWT, MCP): created with a client token, kept in line with the
//! config, and waited for until READY.

use std::time::{Duration, Instant};

use crate::aws::agentcore::{self, GatewaySettings, GatewaySpec, Resource};
use crate::aws::{AwsError, ErrorKind};
use crate::deploy::context::StepCx;
use crate::deploy::ensure::{How, Managed, ensure};
use crate::deploy::error::DeployError;
use crate::deploy::reconcile::{Foreign, Rules, Seen};
use crate::deploy::state::ResourceKind;
use crate::deploy::wait;

/// How long CreateGateway is retried while a just-created role is not yet assumable.
const ROLE_PROPAGATION_LIMIT: Duration = Duration::from_mins(2);

/// The pause between CreateGateway attempts while the role propagates (jittered to 1-2 s).
const ROLE_PROPAGATION_STEP: Duration = Duration::from_millis(1500);

/// Gateway names are unique; one of the name that is not this deployment's stops the run.
struct Gateway<'a> {
    cx: &'a StepCx,
    /// What the gateway must look like: the role and the authorizer.
    wanted: GatewaySettings,
}

impl Managed for Gateway<'_> {
    type Item = Resource;
    const KIND: ResourceKind = ResourceKind::Gateway;
    const RULES: Rules = Rules::unique(Foreign::Stop);

    fn name(&self) -> &str {
        &self.cx.plan().gateway_name
    }

    fn id(&self, gateway: &Resource) -> String {
        gateway.id.clone()
    }

    fn arn(&self, gateway: &Resource) -> Option<String> {
        Some(gateway.arn.clone())
    }

    fn deleting(&self, gateway: &Resource) -> bool {
        gateway.status == "DELETING"
    }

    async fn get(&self, id: &str) -> Result<Option<Resource>, DeployError> {
        agentcore::get_gateway(&self.cx.clients().agentcore, id)
            .await
            .map_err(self.cx.aws(self.name()))
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, Resource)>, DeployError> {
        let (c, name) = (&self.cx.clients().agentcore, self.name());
        let mut found = Vec::new();
        for (id, listed) in agentcore::list_gateways(c).await.map_err(self.cx.aws(name))? {
            if listed != name {
                continue;
            }
            let Some(gateway) = self.get(&id).await? else {
                continue;
            };
            let tags = agentcore::tags(c, &gateway.arn)
                .await
                .map_err(self.cx.aws(name))?;
            let seen = Seen {
                deleting: self.deleting(&gateway),
                ..Seen::new(id, self.cx.owner(&tags))
            };
            found.push((seen, gateway));
        }
        Ok(found)
    }

    /// `replaced` is the id of an earlier gateway of ours that has since disappeared: the client
    /// token must differ from the one that created it, or the service would answer with it.
    async fn create(&self, replaced: Option<&str>) -> Result<Resource, AwsError> {
        let plan = self.cx.plan();
        // The name is part of the token: a gateway made under a new name (a replacement) is a
        // new request, not a repeat of the first gateway's create.
        let token = plan.client_token(&format!(
            "gateway:{}:{}",
            self.name(),
            replaced.unwrap_or_default()
        ));
        let spec = GatewaySpec {
            name: self.name(),
            role_arn: &self.wanted.role_arn,
            discovery_url: &self.wanted.discovery_url,
            allowed_client: self.wanted.allowed_clients.first().map_or("", String::as_str),
            client_token: &token,
            tags: &plan.tags,
            options: &self.wanted.options,
        };
        let gateway = while_role_propagates(self.cx, || {
            agentcore::create_gateway(&self.cx.clients().agentcore, &spec)
        })
        .await?;
        self.cx
            .say(format!("created gateway {} ({})", gateway.id, gateway.status));
        Ok(gateway)
    }

    async fn delete(&self, id: &str) -> Result<(), AwsError> {
        agentcore::delete_gateway(&self.cx.clients().agentcore, id).await
    }

    fn foreign(&self, id: &str) -> (String, String) {
        (
            format!(
                "a gateway named {} exists ({id}) and was not created by this deployment",
                self.name()
            ),
            "choose another gateway.gateway_name".into(),
        )
    }
}

pub async fn gateway(cx: &StepCx) -> Result<(), DeployError> {
    let c = &cx.clients().agentcore;
    let name = cx.plan().gateway_name.clone();
    let wanted = GatewaySettings {
        role_arn: cx.require_output("role_arn").await?,
        discovery_url: cx.require_output("discovery_url").await?,
        allowed_clients: vec![cx.require_output("client_id").await?],
        options: cx.plan().gateway_options.clone(),
    };
    let mut managed = Gateway {
        cx,
        wanted: wanted.clone(),
    };
    let resolved = ensure(cx, &mut managed).await?;
    let gateway = match resolved.how {
        How::Created => resolved.item,
        _ => keep_in_line(cx, resolved.item, &wanted).await?,
    };
    let id = gateway.id.clone();
    let label = format!("gateway {name}");
    let ready = wait::until_ready(
        &cx.step,
        &label,
        gateway,
        || async {
            agentcore::get_gateway(c, &id)
                .await
                .map_err(cx.aws(name.as_str()))
        },
        |m| cx.say(m),
    )
    .await?;
    cx.output("gateway_id", &ready.id).await;
    cx.output("gateway_arn", &ready.arn).await;
    if let Some(url) = &ready.url {
        cx.output("gateway_url", url).await;
    }
    cx.say(format!(
        "gateway {name} is READY at {}",
        ready.url.as_deref().unwrap_or("(no URL reported)")
    ));
    Ok(())
}

/// Updates an existing gateway whose settings no longer match the deployment (a new app client,
/// pool or role after a config change, a changed gateway option, a change made outside the tool).
async fn keep_in_line(
    cx: &StepCx,
    gateway: Resource,
    wanted: &GatewaySettings,
) -> Result<Resource, DeployError> {
    let Some(live) = gateway.settings.as_ref().filter(|s| *s != wanted) else {
        return Ok(gateway);
    };
    let (now, want) = (&live.options, &wanted.options);
    let changed: Vec<&str> = [
        ("role", live.role_arn != wanted.role_arn),
        (
            "authorizer",
            live.discovery_url != wanted.discovery_url || live.allowed_clients != wanted.allowed_clients,
        ),
        ("allowed scopes", now.allowed_scopes != want.allowed_scopes),
        ("description", now.description != want.description),
        ("semantic search", now.semantic_search != want.semantic_search),
        ("exception level", now.debug_errors != want.debug_errors),
        ("KMS key", now.kms_key_arn != want.kms_key_arn),
    ]
    .into_iter()
    .filter_map(|(what, differs)| differs.then_some(what))
    .collect();
    let plan = cx.plan();
    let spec = GatewaySpec {
        name: &plan.gateway_name,
        role_arn: &wanted.role_arn,
        discovery_url: &wanted.discovery_url,
        allowed_client: wanted.allowed_clients.first().map_or("", String::as_str),
        client_token: "",
        tags: &plan.tags,
        options: &wanted.options,
    };
    let updated = while_role_propagates(cx, || {
        agentcore::update_gateway(&cx.clients().agentcore, &gateway.id, &spec)
    })
    .await
    .map_err(cx.aws(plan.gateway_name.as_str()))?;
    cx.say(format!(
        "updated gateway {} in place: {} follow the config",
        gateway.id,
        changed.join(", ")
    ));
    Ok(updated)
}

/// Sends a CreateGateway or UpdateGateway, again every 1-2 s (for up to two minutes) while the
/// service says the role cannot be assumed yet: a new role takes seconds to propagate.
async fn while_role_propagates<F, Fut>(cx: &StepCx, mut send: F) -> Result<Resource, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Resource, AwsError>>,
{
    let started = Instant::now();
    loop {
        match send().await {
            Err(e) if role_not_ready(&e) && started.elapsed() < ROLE_PROPAGATION_LIMIT => {
                let pause = wait::jittered(ROLE_PROPAGATION_STEP);
                cx.say(format!(
                    "the role is not assumable yet (IAM is propagating it); retrying in {:.1} s",
                    pause.as_secs_f64()
                ));
                tokio::time::sleep(pause).await;
            }
            answer => return answer,
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
            request_id: None,
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

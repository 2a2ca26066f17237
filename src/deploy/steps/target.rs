//! One gateway target per backend API: an OpenAPI spec in S3, called with the API key
//! credential provider. Created with a client token; its status is read from the listing all
//! target steps share (one `ListGatewayTargets` per tick).

use std::sync::Mutex;

use tokio::time::Instant;

use crate::aws::AwsError;
use crate::aws::agentcore::{self, Resource, TargetSpec};
use crate::deploy::context::StepCx;
use crate::deploy::ensure::{Managed, ensure};
use crate::deploy::error::DeployError;
use crate::deploy::reconcile::{Foreign, Owner, Rules, Seen};
use crate::deploy::state::ResourceKind;
use crate::deploy::wait::{self, Phase};

/// Target names are unique in their gateway, and every target of the deployment's gateway is
/// the deployment's.
struct Target<'a> {
    cx: &'a StepCx,
    name: &'a str,
    gateway_id: String,
}

impl Managed for Target<'_> {
    type Item = Resource;
    const KIND: ResourceKind = ResourceKind::GatewayTarget;
    const RULES: Rules = Rules::unique(Foreign::Stop);

    fn name(&self) -> &str {
        self.name
    }

    fn parent(&self) -> Option<&str> {
        Some(&self.gateway_id)
    }

    fn id(&self, target: &Resource) -> String {
        target.id.clone()
    }

    fn deleting(&self, target: &Resource) -> bool {
        target.status == "DELETING"
    }

    async fn get(&self, id: &str) -> Result<Option<Resource>, DeployError> {
        agentcore::get_target(&self.cx.clients().agentcore, &self.gateway_id, id)
            .await
            .map_err(self.cx.aws(self.name))
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, Resource)>, DeployError> {
        let listed = agentcore::list_targets(&self.cx.clients().agentcore, &self.gateway_id)
            .await
            .map_err(self.cx.aws(self.name))?;
        Ok(listed
            .into_iter()
            .filter(|t| t.name == self.name)
            .map(|t| {
                let seen = Seen {
                    deleting: t.status == "DELETING",
                    ..Seen::new(t.id.clone(), Owner::Us)
                };
                let target = Resource {
                    id: t.id,
                    arn: String::new(),
                    name: t.name,
                    status: t.status,
                    status_reasons: Vec::new(),
                    url: None,
                    settings: None,
                };
                (seen, target)
            })
            .collect())
    }

    /// A new token when replacing a vanished target, so the create is not answered with it.
    async fn create(&self, replaced: Option<&str>) -> Result<Resource, AwsError> {
        let cx = self.cx;
        let plan = cx.plan();
        let missing = |what: &str| {
            AwsError::other(
                "bedrock-agentcore:CreateGatewayTarget",
                format!("the state has no {what}, which an earlier step records; resume the deployment"),
            )
        };
        let provider_arn = cx
            .get_output("provider_arn")
            .await
            .ok_or_else(|| missing("provider_arn"))?;
        let key = format!("spec_uri:{}", self.name);
        let uri = cx.get_output(&key).await.ok_or_else(|| missing(&key))?;
        let token = plan.client_token(&format!("{}:{}", cx.step, replaced.unwrap_or_default()));
        let spec = TargetSpec {
            gateway_id: &self.gateway_id,
            name: self.name,
            s3_uri: &uri,
            bucket_owner: &plan.account,
            provider_arn: &provider_arn,
            client_token: &token,
        };
        let target = agentcore::create_target(&cx.clients().agentcore, &spec).await?;
        cx.say(format!("created target {} from {uri}", target.id));
        Ok(target)
    }

    async fn delete(&self, id: &str) -> Result<(), AwsError> {
        agentcore::delete_target(&self.cx.clients().agentcore, &self.gateway_id, id).await
    }

    fn foreign(&self, id: &str) -> (String, String) {
        (
            format!("the target {id} is not this deployment's"),
            "report this as a bug: every target of the deployment's gateway is its own".into(),
        )
    }
}

pub async fn target(cx: &StepCx, name: &str) -> Result<(), DeployError> {
    let gateway_id = cx.require_output("gateway_id").await?;
    let mut managed = Target {
        cx,
        name,
        gateway_id: gateway_id.clone(),
    };
    let resolved = ensure(cx, &mut managed).await?;
    let first = resolved.item;
    let id = first.id.clone();
    // A listing taken after this moment shows the target as it is now.
    let since = Mutex::new(Instant::now());
    let label = format!("target {name}");
    let ready = wait::until_ready(
        &cx.step,
        &label,
        first,
        || read_status(cx, &managed, &id, &since),
        |m| cx.say(m),
    )
    .await?;
    cx.output(&format!("target_id:{name}"), &ready.id).await;
    Ok(())
}

/// The target's status from the shared listing; a `Get` only when the listing does not show it
/// yet or when it failed (the listing carries no status reasons).
async fn read_status(
    cx: &StepCx,
    target: &Target<'_>,
    id: &str,
    since: &Mutex<Instant>,
) -> Result<Option<Resource>, DeployError> {
    let after = *since.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // The listing may be shared with the other targets' waits: it owns what it needs.
    let (c, gateway) = (cx.clients().agentcore.clone(), target.gateway_id.clone());
    let listing = cx
        .shared
        .board
        .since(&target.gateway_id, after, move || async move {
            agentcore::list_targets(&c, &gateway).await
        })
        .await
        .map_err(cx.aws(target.name))?;
    *since.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
        listing.taken + std::time::Duration::from_nanos(1);
    match listing.status(id) {
        Some(status) if wait::phase(status) != Phase::Failed => Ok(Some(Resource {
            id: id.to_string(),
            arn: String::new(),
            name: target.name.to_string(),
            status: status.to_string(),
            status_reasons: Vec::new(),
            url: None,
            settings: None,
        })),
        _ => target.get(id).await,
    }
}

//! One gateway target per backend API: an OpenAPI spec in S3, called with the API key
//! credential provider. Created with a client token; its status is read from the listing all
//! target steps share (one `ListGatewayTargets` per tick). A target that exists is kept in line
//! with the config in place: `UpdateGatewayTarget` when its spec location, provider or
//! description differ, `SynchronizeGatewayTargets` when its spec's content changed since the
//! target last read it (the digest it read is kept in the state's outputs).

use std::sync::Mutex;

use tokio::time::Instant;

use crate::aws::AwsError;
use crate::aws::agentcore::{self, Resource, TargetSpec};
use crate::aws::targets;
use crate::deploy::context::StepCx;
use crate::deploy::ensure::{How, Managed, ensure};
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
    /// What the last `get` showed the target points at (so `align` needs no second Get).
    seen: Mutex<Option<targets::TargetSettings>>,
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
        let found = targets::target_settings(&self.cx.clients().agentcore, &self.gateway_id, id)
            .await
            .map_err(self.cx.aws(self.name))?;
        Ok(found.map(|(target, settings)| {
            *self
                .seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(settings);
            target
        }))
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
        let wanted = self.wanted("bedrock-agentcore:CreateGatewayTarget").await?;
        let token = cx
            .plan()
            .client_token(&format!("{}:{}", cx.step, replaced.unwrap_or_default()));
        let target = agentcore::create_target(&cx.clients().agentcore, &wanted.spec(self, &token)).await?;
        cx.say(format!("created target {} from {}", target.id, wanted.uri));
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

/// What the target should point at: its spec's S3 URI and the provider, from earlier steps.
struct Wanted {
    uri: String,
    provider_arn: String,
}

impl Wanted {
    fn spec<'a>(&'a self, target: &'a Target<'_>, token: &'a str) -> TargetSpec<'a> {
        TargetSpec {
            gateway_id: &target.gateway_id,
            name: target.name,
            s3_uri: &self.uri,
            bucket_owner: &target.cx.plan().account,
            provider_arn: &self.provider_arn,
            client_token: token,
        }
    }
}

impl Target<'_> {
    async fn wanted(&self, operation: &'static str) -> Result<Wanted, AwsError> {
        let cx = self.cx;
        let missing = |what: &str| {
            AwsError::other(
                operation,
                format!("the state has no {what}, which an earlier step records; resume the deployment"),
            )
        };
        let provider_arn = cx
            .get_output("provider_arn")
            .await
            .ok_or_else(|| missing("provider_arn"))?;
        let key = format!("spec_uri:{}", self.name);
        let uri = cx.get_output(&key).await.ok_or_else(|| missing(&key))?;
        Ok(Wanted { uri, provider_arn })
    }

    /// The digest of the spec the target should have read.
    fn digest(&self) -> Option<&str> {
        self.cx
            .plan()
            .specs
            .iter()
            .find(|s| s.target == self.name)
            .map(|s| s.digest.as_str())
    }

    /// Brings an existing target in line: an update in place when what it points at differs,
    /// else a synchronization when its spec's content changed since it last read it.
    async fn align(&self, target: Resource) -> Result<Resource, DeployError> {
        let cx = self.cx;
        let c = &cx.clients().agentcore;
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let settings = match seen {
            Some(settings) => settings,
            None => match targets::target_settings(c, &self.gateway_id, &target.id)
                .await
                .map_err(cx.aws(self.name))?
            {
                Some((_, settings)) => settings,
                None => return Ok(target),
            },
        };
        let operation = "bedrock-agentcore:UpdateGatewayTarget";
        let wanted = self.wanted(operation).await.map_err(cx.aws(self.name))?;
        let changes = changed_fields(&settings, &wanted, self.name);
        if !changes.is_empty() {
            let updated = targets::update_target(c, &target.id, &wanted.spec(self, ""))
                .await
                .map_err(cx.aws(self.name))?;
            cx.say(format!(
                "updated target {} in place: {}",
                self.name,
                changes.join("; ")
            ));
            return Ok(updated);
        }
        let read = cx.get_output(&synced_key(self.name)).await;
        match (read.as_deref(), self.digest()) {
            (Some(read), Some(now)) if read != now => {
                let synced =
                    targets::synchronize_targets(c, &self.gateway_id, std::slice::from_ref(&target.id))
                        .await
                        .map_err(cx.aws(self.name))?;
                cx.say(format!(
                    "the spec of {} changed in S3: synchronizing the target",
                    self.name
                ));
                Ok(synced.into_iter().next().unwrap_or(target))
            }
            _ => Ok(target),
        }
    }
}

/// The output that keeps the digest of the spec a target last read.
fn synced_key(name: &str) -> String {
    format!("target_spec_sha256:{name}")
}

/// The fields an update in place changes, as `field: before -> after`.
fn changed_fields(settings: &targets::TargetSettings, wanted: &Wanted, name: &str) -> Vec<String> {
    let mut changes = Vec::new();
    let mut differs = |field: &str, before: Option<&str>, after: &str| {
        if before != Some(after) {
            changes.push(format!("{field}: {} -> {after}", before.unwrap_or("(none)")));
        }
    };
    differs("spec location", settings.s3_uri.as_deref(), &wanted.uri);
    differs(
        "credential provider",
        settings.provider_arn.as_deref(),
        &wanted.provider_arn,
    );
    differs(
        "description",
        settings.description.as_deref(),
        &agentcore::target_description(name),
    );
    changes
}

pub async fn target(cx: &StepCx, name: &str) -> Result<(), DeployError> {
    let gateway_id = cx.require_output("gateway_id").await?;
    let mut managed = Target {
        cx,
        name,
        gateway_id: gateway_id.clone(),
        seen: Mutex::new(None),
    };
    let resolved = ensure(cx, &mut managed).await?;
    let first = match resolved.how {
        How::Created => resolved.item,
        How::Kept | How::Adopted | How::Used => managed.align(resolved.item).await?,
    };
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
    if let Some(digest) = managed.digest() {
        cx.output(&synced_key(name), digest).await;
    }
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

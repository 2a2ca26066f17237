//! `prune-targets`: what left the config goes. A target the ledger records that the config no
//! longer names is deleted from the gateway, and the spec objects this deployment uploaded that
//! the config no longer renders are deleted from the bucket; the ledger marks both deleted. A
//! gateway the deployment made under an earlier `gateway_name` (replaced by the gateway step) is
//! deleted with all its targets. With nothing of the kind in the ledger (a fresh deploy, an
//! unchanged config) it makes no call.

use std::collections::HashSet;

use crate::aws::{ErrorKind, agentcore, s3};
use crate::deploy::context::StepCx;
use crate::deploy::error::DeployError;
use crate::deploy::state::{LedgerEntry, LedgerStatus, ResourceKind};

pub async fn prune(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let names: HashSet<&str> = plan.specs.iter().map(|s| s.target.as_str()).collect();
    let keys: HashSet<&str> = plan.specs.iter().map(|s| s.key.as_str()).collect();
    let targets: Vec<_> = cx
        .entries(ResourceKind::GatewayTarget)
        .await
        .into_iter()
        .filter(|e| !names.contains(e.name.as_str()))
        .collect();
    let objects: Vec<_> = cx
        .entries(ResourceKind::S3Object)
        .await
        .into_iter()
        .filter(|e| e.created_by_us && !keys.contains(e.name.as_str()))
        .collect();
    let replaced = cx
        .entries(ResourceKind::Gateway)
        .await
        .into_iter()
        .filter(|e| e.status == LedgerStatus::Present && e.created_by_us && e.name != plan.gateway_name);
    for old in replaced {
        replaced_gateway(cx, &old).await?;
    }
    if targets.is_empty() && objects.is_empty() {
        return Ok(());
    }
    let gone = |e: &crate::aws::AwsError| e.is(ErrorKind::NotFound);
    if !targets.is_empty() {
        let gateway_id = cx.require_output("gateway_id").await?;
        for entry in targets
            .iter()
            .filter(|e| e.parent.as_deref().is_none_or(|p| p == gateway_id))
        {
            if let Some(id) = &entry.id {
                match agentcore::delete_target(&cx.clients().agentcore, &gateway_id, id).await {
                    Ok(()) => cx.say(format!(
                        "deleted target {} ({id}): it left the config",
                        entry.name
                    )),
                    Err(e) if gone(&e) => {}
                    Err(e) => return Err(cx.aws(entry.name.as_str())(e)),
                }
            }
            cx.deleted(entry).await?;
            for key in ["target_id", "spec_uri", "target_spec_sha256"] {
                cx.forget_output(&format!("{key}:{}", entry.name)).await;
            }
        }
    }
    for entry in &objects {
        match s3::delete_object(&cx.clients().s3, &plan.bucket, &entry.name).await {
            Ok(()) => cx.say(format!("deleted spec object {}: no target uses it", entry.name)),
            Err(e) if gone(&e) => {}
            Err(e) => return Err(cx.aws(entry.name.as_str())(e)),
        }
        cx.deleted(entry).await?;
    }
    Ok(())
}

/// Deletes the gateway the deployment made under its earlier name: its targets first (waiting
/// until they are gone, as the service requires), then the gateway.
async fn replaced_gateway(cx: &StepCx, old: &LedgerEntry) -> Result<(), DeployError> {
    let c = &cx.clients().agentcore;
    let gone = |e: &crate::aws::AwsError| e.is(ErrorKind::NotFound);
    if let Some(id) = &old.id {
        let label = format!("gateway {}", old.name);
        let listed = match agentcore::list_targets(c, id).await {
            Ok(listed) => listed,
            Err(e) if gone(&e) => Vec::new(),
            Err(e) => return Err(cx.aws(label.as_str())(e)),
        };
        for target in &listed {
            match agentcore::delete_target(c, id, &target.id).await {
                Ok(()) => {}
                Err(e) if gone(&e) => {}
                Err(e) => return Err(cx.aws(label.as_str())(e)),
            }
        }
        let started = tokio::time::Instant::now();
        loop {
            match agentcore::list_targets(c, id).await {
                Ok(left) if left.is_empty() => break,
                Err(e) if gone(&e) => break,
                Ok(_) if started.elapsed() < TARGETS_GONE_LIMIT => {
                    tokio::time::sleep(crate::deploy::wait::jittered(std::time::Duration::from_millis(
                        500,
                    )))
                    .await;
                }
                Ok(left) => {
                    return Err(cx.conflict(
                        &label,
                        format!(
                            "{} of its targets are still being deleted after {} s",
                            left.len(),
                            TARGETS_GONE_LIMIT.as_secs()
                        ),
                        "resume in a minute: the old gateway is deleted once its targets are gone".into(),
                    ));
                }
                Err(e) => return Err(cx.aws(label.as_str())(e)),
            }
        }
        match agentcore::delete_gateway(c, id).await {
            Ok(()) => cx.say(format!(
                "deleted the replaced gateway {} ({id}) and its {} targets",
                old.name,
                listed.len()
            )),
            Err(e) if gone(&e) => {}
            Err(e) => return Err(cx.aws(label.as_str())(e)),
        }
    }
    cx.deleted(old).await
}

/// How long the old gateway's targets may take to be deleted.
const TARGETS_GONE_LIMIT: std::time::Duration = std::time::Duration::from_mins(2);

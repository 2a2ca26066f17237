//! `prune-targets`: what left the config goes. A target the ledger records that the config no
//! longer names is deleted from the gateway, and the spec objects this deployment uploaded that
//! the config no longer renders are deleted from the bucket; the ledger marks both deleted. With
//! nothing of the kind in the ledger (a fresh deploy, an unchanged config) it makes no call.

use std::collections::HashSet;

use crate::aws::{ErrorKind, agentcore, s3};
use crate::deploy::context::StepCx;
use crate::deploy::error::DeployError;
use crate::deploy::state::ResourceKind;

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
    if targets.is_empty() && objects.is_empty() {
        return Ok(());
    }
    let gone = |e: &crate::aws::AwsError| e.is(ErrorKind::NotFound);
    if !targets.is_empty() {
        let gateway_id = cx.require_output("gateway_id").await?;
        for entry in &targets {
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

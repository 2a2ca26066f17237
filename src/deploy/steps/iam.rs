//! The gateway's IAM role and its least-privilege inline policy.

use crate::aws::iam;
use crate::deploy::context::{Found, StepCx};
use crate::deploy::error::DeployError;
use crate::deploy::state::{LedgerStatus, ResourceKind};

const AGENTCORE_PRINCIPAL: &str = "bedrock-agentcore.amazonaws.com";

pub async fn role(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().iam;
    let name = &plan.role_name;
    let entry = cx.entry(ResourceKind::IamRole, name).await;
    let existing = match &entry {
        Some(e) if e.status == LedgerStatus::Present => {
            iam::get_role(c, name).await.map_err(cx.aws(name.as_str()))?
        }
        _ => None,
    };
    match (existing, entry) {
        (Some(role), Some(e)) => {
            cx.say(format!("role {name} exists"));
            cx.output("role_arn", &role.arn).await?;
            if !e.created_by_us {
                check_trust(cx, name, &role.trust_policy)?;
            }
        }
        (None, Some(e)) if e.status == LedgerStatus::Present && !e.created_by_us => {
            return Err(cx.conflict(
                name,
                format!("the existing role {name} this deployment used is gone"),
                "create the role again, or remove aws.role_name's role from the config to have one created"
                    .into(),
            ));
        }
        _ => create_or_adopt(cx).await?,
    }
    put_policy(cx).await
}

async fn create_or_adopt(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().iam;
    let name = &plan.role_name;
    cx.intend(ResourceKind::IamRole, name, None).await?;
    match iam::create_role(c, name, &plan.trust_policy, &plan.tags).await {
        Ok(arn) => {
            cx.say(format!("created role {name}"));
            cx.present(
                ResourceKind::IamRole,
                name,
                Found::new(true).arn(arn.clone()),
                None,
            )
            .await?;
            cx.output("role_arn", &arn).await
        }
        Err(e) if e.is(crate::aws::ErrorKind::AlreadyExists) => {
            let role = iam::get_role(c, name)
                .await
                .map_err(cx.aws(name.as_str()))?
                .ok_or_else(|| cx.aws(name.as_str())(e))?;
            let tags = iam::role_tags(c, name).await.map_err(cx.aws(name.as_str()))?;
            let ours = cx.is_ours(&tags);
            if ours {
                cx.say(format!("adopted role {name} (created by this deployment)"));
            } else {
                check_trust(cx, name, &role.trust_policy)?;
                cx.say(format!(
                    "using existing role {name} (not created by this deployment; cleanup keeps it)"
                ));
            }
            cx.present(
                ResourceKind::IamRole,
                name,
                Found::new(ours).arn(role.arn.clone()),
                None,
            )
            .await?;
            cx.output("role_arn", &role.arn).await
        }
        Err(e) => Err(cx.aws(name.as_str())(e)),
    }
}

/// An existing role must let the AgentCore service assume it.
fn check_trust(cx: &StepCx, name: &str, trust_policy: &str) -> Result<(), DeployError> {
    if trust_policy.contains(AGENTCORE_PRINCIPAL) {
        Ok(())
    } else {
        Err(cx.conflict(
            name,
            format!("the existing role {name} does not trust {AGENTCORE_PRINCIPAL}"),
            format!(
                "add {AGENTCORE_PRINCIPAL} as a trusted service principal of {name}, or set aws.role_name to a new name to have a role created"
            ),
        ))
    }
}

/// The inline policy is always this deployment's, even on a role it did not create.
async fn put_policy(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().iam;
    let policy = &plan.policy_name;
    let entry = cx.entry(ResourceKind::IamRolePolicy, policy).await;
    let current = match &entry {
        Some(e) if e.status == LedgerStatus::Present => iam::role_policy(c, &plan.role_name, policy)
            .await
            .map_err(cx.aws(policy.as_str()))?,
        _ => None,
    };
    let as_json = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    if current
        .as_deref()
        .and_then(as_json)
        .is_some_and(|doc| Some(doc) == as_json(&plan.role_policy))
    {
        return Ok(());
    }
    cx.intend(ResourceKind::IamRolePolicy, policy, Some(&plan.role_name))
        .await?;
    iam::put_role_policy(c, &plan.role_name, policy, &plan.role_policy)
        .await
        .map_err(cx.aws(policy.as_str()))?;
    cx.say(if current.is_some() {
        format!("updated inline policy {policy} to match the config")
    } else {
        format!("put inline policy {policy}")
    });
    cx.present(
        ResourceKind::IamRolePolicy,
        policy,
        Found::new(true),
        Some(&plan.role_name),
    )
    .await
}

//! The gateway's IAM role and its least-privilege inline policy.

use crate::aws::{AwsError, iam};
use crate::deploy::context::{Found, StepCx};
use crate::deploy::ensure::{How, Managed, ensure};
use crate::deploy::error::DeployError;
use crate::deploy::reconcile::{Foreign, Rules, Seen};
use crate::deploy::state::{LedgerStatus, ResourceKind};

const AGENTCORE_PRINCIPAL: &str = "bedrock-agentcore.amazonaws.com";

/// Role names are unique in the account. A role of that name that is not this deployment's is
/// the one `aws.role_name` names: it is used as it is (its trust policy checked), never deleted.
struct Role<'a> {
    cx: &'a StepCx,
}

impl Managed for Role<'_> {
    type Item = iam::RoleInfo;
    const KIND: ResourceKind = ResourceKind::IamRole;
    const RULES: Rules = Rules::unique(Foreign::Use);

    fn name(&self) -> &str {
        &self.cx.plan().role_name
    }

    fn id(&self, _role: &iam::RoleInfo) -> String {
        self.name().to_string()
    }

    fn arn(&self, role: &iam::RoleInfo) -> Option<String> {
        Some(role.arn.clone())
    }

    async fn get(&self, name: &str) -> Result<Option<iam::RoleInfo>, DeployError> {
        iam::get_role(&self.cx.clients().iam, name)
            .await
            .map_err(self.cx.aws(name))
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, iam::RoleInfo)>, DeployError> {
        let name = self.name();
        let Some(role) = self.get(name).await? else {
            return Ok(Vec::new());
        };
        let tags = iam::role_tags(&self.cx.clients().iam, name)
            .await
            .map_err(self.cx.aws(name))?;
        let seen = Seen::new(name.to_string(), self.cx.owner(&tags));
        Ok(vec![(seen, role)])
    }

    async fn create(&self, _replaced: Option<&str>) -> Result<iam::RoleInfo, AwsError> {
        let plan = self.cx.plan();
        let arn = iam::create_role(
            &self.cx.clients().iam,
            self.name(),
            &plan.trust_policy,
            &plan.tags,
        )
        .await?;
        Ok(iam::RoleInfo {
            arn,
            trust_policy: plan.trust_policy.clone(),
        })
    }

    async fn delete(&self, name: &str) -> Result<(), AwsError> {
        iam::delete_role(&self.cx.clients().iam, name).await
    }

    fn foreign(&self, name: &str) -> (String, String) {
        (
            format!("the role {name} is not this deployment's"),
            "set aws.role_name to a new name to have a role created".into(),
        )
    }
}

pub async fn role(cx: &StepCx) -> Result<(), DeployError> {
    let name = &cx.plan().role_name;
    let resolved = ensure(cx, &mut Role { cx }).await?;
    match resolved.how {
        How::Created => cx.say(format!("created role {name}")),
        How::Kept => cx.say(format!("role {name} exists")),
        How::Adopted | How::Used => {}
    }
    if !resolved.ours {
        check_trust(cx, name, &resolved.item.trust_policy)?;
    }
    cx.output("role_arn", &resolved.item.arn).await;
    put_policy(cx).await
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

/// The inline policy is always this deployment's, even on a role it did not create. A put is
/// idempotent, so it is compared and put, not reconciled.
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

//! The API key credential provider that holds the backend API key.

use crate::aws::{AwsError, agentcore};
use crate::deploy::context::{Found, StepCx};
use crate::deploy::ensure::{How, Managed, ensure};
use crate::deploy::error::DeployError;
use crate::deploy::reconcile::{Foreign, Rules, Seen};
use crate::deploy::state::ResourceKind;

/// Provider names are unique: one of that name that is not this deployment's stops the run.
struct Provider<'a> {
    cx: &'a StepCx,
}

impl Managed for Provider<'_> {
    /// The provider's ARN.
    type Item = String;
    const KIND: ResourceKind = ResourceKind::CredentialProvider;
    const RULES: Rules = Rules::unique(Foreign::Stop);

    fn name(&self) -> &str {
        &self.cx.plan().provider_name
    }

    fn id(&self, _arn: &String) -> String {
        self.name().to_string()
    }

    fn arn(&self, arn: &String) -> Option<String> {
        Some(arn.clone())
    }

    async fn get(&self, name: &str) -> Result<Option<String>, DeployError> {
        agentcore::provider_arn(&self.cx.clients().agentcore, name)
            .await
            .map_err(self.cx.aws(name))
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, String)>, DeployError> {
        let name = self.name();
        let Some(arn) = self.get(name).await? else {
            return Ok(Vec::new());
        };
        let tags = agentcore::tags(&self.cx.clients().agentcore, &arn)
            .await
            .map_err(self.cx.aws(name))?;
        let seen = Seen::new(name.to_string(), self.cx.owner(&tags));
        Ok(vec![(seen, arn)])
    }

    async fn create(&self, _replaced: Option<&str>) -> Result<String, AwsError> {
        const OPERATION: &str = "bedrock-agentcore:CreateApiKeyCredentialProvider";
        let Some(key) = self.cx.shared.api_key.as_ref() else {
            return Err(AwsError::other(
                OPERATION,
                "the provider must be created again and the backend API key is not set: export \
                 BACKEND_API_KEY=... (or set gateway.api_key: env:NAME)",
            ));
        };
        agentcore::create_provider(
            &self.cx.clients().agentcore,
            self.name(),
            key,
            &self.cx.plan().tags,
        )
        .await
    }

    async fn delete(&self, name: &str) -> Result<(), AwsError> {
        agentcore::delete_provider(&self.cx.clients().agentcore, name).await
    }

    fn foreign(&self, name: &str) -> (String, String) {
        (
            format!("a credential provider named {name} exists and was not created by this deployment"),
            "set gateway.credential_provider_name to another name, or gateway.provider_arn to use that provider"
                .into(),
        )
    }
}

pub async fn provider(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    if let Some(arn) = &plan.existing_provider_arn {
        cx.present(
            ResourceKind::CredentialProvider,
            arn,
            Found::new(false).arn(arn.clone()),
            None,
        )
        .await?;
        cx.say("using the existing credential provider from gateway.provider_arn");
        cx.output("provider_arn", arn).await;
        return Ok(());
    }
    let name = &plan.provider_name;
    let never_made = cx.entry(ResourceKind::CredentialProvider, name).await.is_none();
    if never_made && cx.shared.api_key.is_none() {
        return Err(DeployError::Secret {
            field: "gateway.api_key",
            message: "the backend API key is needed to create the credential provider, and none is set"
                .into(),
            suggestion: Some(
                "export BACKEND_API_KEY=... (or set gateway.api_key: env:NAME), then resume".into(),
            ),
        });
    }
    let resolved = ensure(cx, &mut Provider { cx }).await?;
    if resolved.how == How::Created {
        cx.say(format!("created API key credential provider {name}"));
    }
    cx.output("provider_arn", &resolved.item).await;
    Ok(())
}

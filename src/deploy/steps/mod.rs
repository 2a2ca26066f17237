//! The steps of a deployment and their dependencies. Each step is idempotent: it observes,
//! reconciles ([`super::reconcile`]), acts and records ([`super::ensure`]); a resource goes into
//! the ledger as "intended" before its create call and as "present" right after it returns.

mod certificate;
mod cognito;
mod gateway;
mod iam;
mod provider;
mod prune;
mod s3;
mod target;

use std::fmt;

use super::context::StepCx;
use super::error::DeployError;
use super::plan::Plan;

/// One step of the graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    IamRole,
    CognitoPool,
    CognitoDomain,
    CognitoResourceServer,
    CognitoClient,
    S3Bucket,
    S3Specs,
    CredentialProvider,
    Gateway,
    Target(String),
    /// Targets (and their spec objects) that left the config are deleted.
    PruneTargets,
    /// The backends' certificate from the ACME CA (only with `tls.acme`).
    TlsCertificate,
}

impl Step {
    /// Every step of a plan, dependencies before dependents.
    pub fn all(plan: &Plan) -> Vec<Step> {
        let mut steps = vec![
            Self::IamRole,
            Self::CognitoPool,
            Self::CognitoDomain,
            Self::CognitoResourceServer,
            Self::CognitoClient,
            Self::S3Bucket,
            Self::S3Specs,
            Self::CredentialProvider,
            Self::Gateway,
        ];
        steps.extend(plan.specs.iter().map(|s| Self::Target(s.target.clone())));
        steps.push(Self::PruneTargets);
        if plan.certificate.is_some() {
            steps.push(Self::TlsCertificate);
        }
        steps
    }

    /// The id used in the state file and in progress lines.
    pub fn id(&self) -> String {
        match self {
            Self::IamRole => "iam-role".into(),
            Self::CognitoPool => "cognito-pool".into(),
            Self::CognitoDomain => "cognito-domain".into(),
            Self::CognitoResourceServer => "cognito-resource-server".into(),
            Self::CognitoClient => "cognito-client".into(),
            Self::S3Bucket => "s3-bucket".into(),
            Self::S3Specs => "s3-specs".into(),
            Self::CredentialProvider => "credential-provider".into(),
            Self::Gateway => "gateway".into(),
            Self::Target(name) => format!("target:{name}"),
            Self::PruneTargets => "prune-targets".into(),
            Self::TlsCertificate => "tls-certificate".into(),
        }
    }

    /// The steps that must be done before this one.
    pub fn deps(&self) -> Vec<Step> {
        match self {
            Self::IamRole
            | Self::CognitoPool
            | Self::S3Bucket
            | Self::CredentialProvider
            | Self::TlsCertificate => {
                vec![]
            }
            Self::CognitoDomain | Self::CognitoResourceServer => vec![Self::CognitoPool],
            Self::CognitoClient => vec![Self::CognitoResourceServer],
            Self::S3Specs => vec![Self::S3Bucket],
            Self::Gateway => vec![Self::IamRole, Self::CognitoPool, Self::CognitoClient],
            Self::Target(_) => vec![Self::Gateway, Self::S3Specs, Self::CredentialProvider],
            Self::PruneTargets => vec![Self::Gateway, Self::S3Bucket],
        }
    }

    /// Runs the step.
    pub async fn run(&self, cx: &StepCx) -> Result<(), DeployError> {
        match self {
            Self::IamRole => iam::role(cx).await,
            Self::CognitoPool => cognito::pool(cx).await,
            Self::CognitoDomain => cognito::domain(cx).await,
            Self::CognitoResourceServer => cognito::resource_server(cx).await,
            Self::CognitoClient => cognito::client(cx).await,
            Self::S3Bucket => s3::bucket(cx).await,
            Self::S3Specs => s3::specs(cx).await,
            Self::CredentialProvider => provider::provider(cx).await,
            Self::Gateway => gateway::gateway(cx).await,
            Self::Target(name) => target::target(cx, name).await,
            Self::PruneTargets => prune::prune(cx).await,
            Self::TlsCertificate => certificate::certificate(cx).await,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::config::{Config, TargetConfig};

    #[test]
    fn every_dependency_comes_first_and_targets_follow_the_gateway() {
        let mut config = Config::default();
        config.aws.region = "us-east-1".into();
        config.gateway.targets = ["a", "b"]
            .iter()
            .map(|n| TargetConfig {
                name: (*n).into(),
                spec: "logs".into(),
                backend_url: "https://b.corp:1".into(),
            })
            .collect();
        let plan = Plan::new(&config, "sre-x", std::path::Path::new(".")).expect("plan");
        let steps = Step::all(&plan);
        let mut seen = HashSet::new();
        for step in &steps {
            for dep in step.deps() {
                assert!(seen.contains(&dep), "{step} before {dep}");
            }
            seen.insert(step.clone());
        }
        assert_eq!(steps.last().map(Step::id).as_deref(), Some("prune-targets"));
    }
}

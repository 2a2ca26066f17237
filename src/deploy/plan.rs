//! The plan: every name, policy and rendered spec a deployment needs, derived once from the
//! validated config and the deployment id. Pure: no I/O except reading custom spec files.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::store::hex;
use crate::config::{Config, SecretRef};
use crate::validate::rules;

/// The tag every taggable resource of a deployment carries.
pub const DEPLOYMENT_TAG: &str = "sre-agent-deploy:deployment-id";

/// One rendered OpenAPI spec and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecObject {
    pub target: String,
    pub key: String,
    pub body: String,
    /// SHA-256 of `body`, recorded on the object to skip unchanged uploads.
    pub digest: String,
}

/// Everything the steps create or use, by name.
#[derive(Debug, Clone)]
pub struct Plan {
    pub deployment_id: String,
    pub account: String,
    pub region: String,
    pub partition: String,
    pub role_name: String,
    pub role_arn: String,
    pub policy_name: String,
    pub trust_policy: String,
    pub role_policy: String,
    pub existing_pool_id: Option<String>,
    pub pool_name: String,
    pub domain_prefix: Option<String>,
    pub resource_server_id: String,
    pub scopes: Vec<String>,
    pub existing_client_id: Option<String>,
    pub client_name: String,
    pub bucket: String,
    pub specs: Vec<SpecObject>,
    pub existing_provider_arn: Option<String>,
    pub provider_name: String,
    pub api_key: Option<SecretRef>,
    pub gateway_name: String,
    /// The name the backends' certificate must carry (used as it is, never changed).
    pub tls_domain: String,
    pub tags: BTreeMap<String, String>,
    /// The backends' certificate from an ACME CA (`tls.acme`), when the config asks for it.
    pub certificate: Option<crate::acme::provision::Provision>,
    /// The gateway's optional settings (description, semantic search, exception level, KMS key,
    /// allowed scopes).
    pub gateway_options: crate::aws::gateways::GatewayOptions,
}

/// Why a plan cannot be made from a config that passed validation.
#[derive(Debug, thiserror::Error)]
#[error("cannot render the spec for target {target}: {message}")]
pub struct PlanError {
    pub target: String,
    pub message: String,
}

impl Plan {
    pub fn new(config: &Config, deployment_id: &str, base_dir: &Path) -> Result<Self, PlanError> {
        let aws = &config.aws;
        let partition = rules::partition(&aws.region).to_string();
        let provider_name = config
            .gateway
            .credential_provider_name
            .clone()
            .unwrap_or_else(|| format!("sre-agent-{deployment_id}-api-key"));
        let resource_server_id = config
            .cognito
            .resource_server_id
            .clone()
            .unwrap_or_else(|| "sre-agent".to_string());
        let scopes = if config.cognito.scopes.is_empty() {
            vec![format!("{resource_server_id}/invoke")]
        } else {
            config.cognito.scopes.clone()
        };
        let prefix = config.gateway.s3_path_prefix.trim_end_matches('/');
        let specs = config
            .gateway
            .targets
            .iter()
            .map(|t| {
                let body = render_spec(&t.spec, &t.backend_url, base_dir).map_err(|message| PlanError {
                    target: t.name.clone(),
                    message,
                })?;
                // Checked before upload, even when validation was not run (a resume from state).
                if let Some(problem) = crate::openapi::check(&body, &t.spec, &t.backend_url)
                    .into_iter()
                    .next()
                {
                    return Err(PlanError {
                        target: t.name.clone(),
                        message: problem.to_string(),
                    });
                }
                let key = if prefix.is_empty() {
                    format!("{}.yaml", t.name)
                } else {
                    format!("{prefix}/{}.yaml", t.name)
                };
                Ok(SpecObject {
                    target: t.name.clone(),
                    key,
                    digest: hex(&Sha256::digest(body.as_bytes())),
                    body,
                })
            })
            .collect::<Result<Vec<_>, PlanError>>()?;
        let domain = &config.cognito.cognito_domain;
        Ok(Self {
            deployment_id: deployment_id.to_string(),
            account: aws.account_id.clone(),
            region: aws.region.clone(),
            role_arn: rules::role_arn(&partition, &aws.account_id, &aws.role_name),
            partition: partition.clone(),
            role_name: aws.role_name.clone(),
            policy_name: format!("sre-agent-deploy-{deployment_id}"),
            trust_policy: trust_policy(&partition, &aws.account_id, &aws.region),
            role_policy: role_policy(
                &partition,
                &aws.account_id,
                &aws.region,
                &config.gateway.s3_bucket,
                prefix,
                &provider_name,
            ),
            existing_pool_id: config.cognito.user_pool_id.clone(),
            pool_name: format!("sre-agent-{deployment_id}"),
            domain_prefix: (!domain.contains("://")).then(|| domain.clone()),
            resource_server_id,
            scopes,
            existing_client_id: config.cognito.client_id.clone(),
            client_name: format!("sre-agent-{deployment_id}-client"),
            bucket: config.gateway.s3_bucket.clone(),
            specs,
            existing_provider_arn: config.gateway.provider_arn.clone(),
            provider_name,
            api_key: config.gateway.api_key.clone(),
            gateway_name: config.gateway.gateway_name.clone(),
            tls_domain: config.tls.domain_name.clone(),
            tags: BTreeMap::from([(DEPLOYMENT_TAG.to_string(), deployment_id.to_string())]),
            gateway_options: crate::aws::gateways::GatewayOptions {
                description: config
                    .gateway
                    .description
                    .clone()
                    .unwrap_or_else(|| crate::aws::gateways::DEFAULT_DESCRIPTION.to_string()),
                semantic_search: config.gateway.semantic_search,
                debug_errors: config.gateway.exception_level.is_some(),
                kms_key_arn: config.gateway.kms_key_arn.clone(),
                allowed_scopes: config.gateway.allowed_scopes.clone().unwrap_or_default(),
            },
            certificate: crate::acme::provision::Provision::new(
                config,
                base_dir,
                &Path::new(super::store::STATE_DIR).join("acme"),
            ),
        })
    }

    /// Checks that the spec files still render as they did when the plan was made: a spec edited
    /// after the review would otherwise be deployed unreviewed. Rereads the files; sends nothing.
    pub fn still_current(&self, config: &Config, base_dir: &Path) -> Result<(), PlanError> {
        let now = Self::new(config, &self.deployment_id, base_dir)?;
        let changed = self
            .specs
            .iter()
            .zip(&now.specs)
            .find(|(then, now)| then.digest != now.digest || then.key != now.key);
        match changed {
            Some((then, _)) => Err(PlanError {
                target: then.target.clone(),
                message: "its spec changed on disk after the plan was made (and reviewed); nothing \
                          was created from it"
                    .into(),
            }),
            None if self.specs.len() != now.specs.len() => Err(PlanError {
                target: "(all)".into(),
                message: "the targets changed after the plan was made".into(),
            }),
            None => Ok(()),
        }
    }

    /// The OpenID discovery URL of a user pool in the plan's region.
    pub fn discovery_url(&self, pool_id: &str) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{pool_id}/.well-known/openid-configuration",
            self.region
        )
    }

    /// A client token for an idempotent create: derived from the deployment and the step, so a
    /// retried or resumed create cannot make a twin (33-256 characters, as AgentCore requires).
    pub fn client_token(&self, step: &str) -> String {
        hex(&Sha256::digest(
            format!("{}:{step}", self.deployment_id).as_bytes(),
        ))
    }

    pub fn s3_uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

pub use crate::templates::render_spec;

/// Only the AgentCore service, acting for this account and region, may assume the role.
fn trust_policy(partition: &str, account: &str, region: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AgentCoreGateway",
            "Effect": "Allow",
            "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": format!("arn:{partition}:bedrock-agentcore:{region}:{account}:*")}
            }
        }]
    })
    .to_string()
}

/// Least privilege: read the specs under the prefix, and fetch this deployment's API key.
fn role_policy(
    partition: &str,
    account: &str,
    region: &str,
    bucket: &str,
    prefix: &str,
    provider: &str,
) -> String {
    let objects = if prefix.is_empty() {
        format!("arn:{partition}:s3:::{bucket}/*")
    } else {
        format!("arn:{partition}:s3:::{bucket}/{prefix}/*")
    };
    let vault = format!("arn:{partition}:bedrock-agentcore:{region}:{account}:token-vault/default");
    let directory =
        format!("arn:{partition}:bedrock-agentcore:{region}:{account}:workload-identity-directory/default");
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadOpenApiSpecs", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [objects]},
            {
                "Sid": "GetBackendApiKey",
                "Effect": "Allow",
                "Action": ["bedrock-agentcore:GetResourceApiKey", "bedrock-agentcore:GetWorkloadAccessToken"],
                "Resource": [
                    vault.clone(),
                    format!("{vault}/apikeycredentialprovider/{provider}"),
                    directory.clone(),
                    format!("{directory}/workload-identity/*")
                ]
            },
            {
                "Sid": "ReadApiKeySecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [format!("arn:{partition}:secretsmanager:{region}:{account}:secret:bedrock-agentcore-identity!default/apikey/{provider}-*")]
            }
        ]
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TargetConfig;

    fn config() -> Config {
        let mut c = Config::default();
        c.aws.account_id = "123456789012".into();
        c.aws.region = "eu-west-1".into();
        c.aws.role_name = "Gw".into();
        c.cognito.cognito_domain = "sre-demo".into();
        c.gateway.s3_bucket = "specs-bucket".into();
        c.gateway.s3_path_prefix = "sre/specs/".into();
        c.gateway.targets = vec![TargetConfig {
            name: "k8s-api".into(),
            spec: "kubernetes".into(),
            backend_url: "https://backend.corp.internal:8011/".into(),
        }];
        c
    }

    #[test]
    fn names_and_keys_derive_from_config_and_id() {
        let plan = Plan::new(&config(), "sre-abc", Path::new(".")).expect("plan");
        assert_eq!(plan.role_arn, "arn:aws:iam::123456789012:role/Gw");
        assert_eq!(plan.pool_name, "sre-agent-sre-abc");
        assert_eq!(plan.provider_name, "sre-agent-sre-abc-api-key");
        assert_eq!(plan.scopes, ["sre-agent/invoke"]);
        assert_eq!(plan.specs[0].key, "sre/specs/k8s-api.yaml");
        assert_eq!(
            plan.s3_uri(&plan.specs[0].key),
            "s3://specs-bucket/sre/specs/k8s-api.yaml"
        );
        assert_eq!(plan.tags[DEPLOYMENT_TAG], "sre-abc");
    }

    /// A custom spec whose one path is `path`.
    fn spec_text(path: &str) -> String {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: \"1\"}}\nservers:\n  - url: https://backend.corp.internal:8011\n\
             paths:\n  {path}:\n    get:\n      operationId: listPods\n      responses: {{\"200\": {{description: ok}}}}\n"
        )
    }

    #[test]
    fn a_spec_edited_after_the_plan_is_noticed() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("api.yaml"), spec_text("/a")).expect("write");
        let mut config = config();
        config.gateway.targets[0].spec = "api.yaml".into();
        let plan = Plan::new(&config, "d1", dir.path()).expect("plan");
        plan.still_current(&config, dir.path()).expect("unchanged");
        std::fs::write(dir.path().join("api.yaml"), spec_text("/b")).expect("write");
        let err = plan.still_current(&config, dir.path()).expect_err("changed");
        assert_eq!(err.target, config.gateway.targets[0].name);
        assert!(err.to_string().contains("changed on disk"), "{err}");
    }

    #[test]
    fn specs_render_with_the_backend() {
        let plan = Plan::new(&config(), "sre-abc", Path::new(".")).expect("plan");
        let body = &plan.specs[0].body;
        assert!(
            body.contains("url: \"https://backend.corp.internal:8011\""),
            "{body}"
        );
        assert!(body.contains("backend.corp.internal"));
        assert!(!body.contains("{{"));
    }

    #[test]
    fn original_placeholder_renders_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("old.yaml"),
            "servers:\n  - url: https://{{BACKEND_DOMAIN}}:8011\n",
        )
        .expect("write");
        let body = render_spec("old.yaml", "https://b.corp:8011", dir.path()).expect("renders");
        assert_eq!(body, "servers:\n  - url: https://b.corp:8011\n");
        assert!(render_spec("old.yaml", "https://b.corp", Path::new("/nonexistent")).is_err());
    }

    #[test]
    fn client_tokens_are_stable_and_long_enough() {
        let plan = Plan::new(&config(), "sre-abc", Path::new(".")).expect("plan");
        let token = plan.client_token("gateway");
        assert_eq!(token, plan.client_token("gateway"));
        assert_ne!(token, plan.client_token("target:k8s-api"));
        assert!((33..=256).contains(&token.len()));
    }

    #[test]
    fn policies_are_scoped_to_the_deployment() {
        let plan = Plan::new(&config(), "sre-abc", Path::new(".")).expect("plan");
        assert!(plan.role_policy.contains("arn:aws:s3:::specs-bucket/sre/specs/*"));
        assert!(
            plan.role_policy
                .contains("apikeycredentialprovider/sre-agent-sre-abc-api-key")
        );
        assert!(!plan.role_policy.contains("\"*\""));
        assert!(plan.trust_policy.contains("bedrock-agentcore.amazonaws.com"));
        assert!(plan.trust_policy.contains("123456789012"));
    }
}

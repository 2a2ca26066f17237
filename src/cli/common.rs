//! The flags every command that reads a config shares, and the config overrides they make.

use std::path::PathBuf;

use clap::Args;

use super::OutputFormat;
use crate::config::load::LoadError;
use crate::config::overrides::{Override, Source, parse_set};

/// Flags every command that reads a config shares: the file, the output format, and the
/// values that override the file.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// The config file.
    #[arg(short, long, env = "SRE_AGENT_DEPLOY_CONFIG", default_value = "config.yaml")]
    pub config: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,

    /// Deployment id (sets deployment.deployment_id).
    #[arg(long, value_name = "ID")]
    pub deployment_id: Option<String>,
    /// State file (sets deployment.state_file).
    #[arg(long, value_name = "FILE", conflicts_with = "state_backend")]
    pub state_file: Option<PathBuf>,
    /// Keep the state in S3, shared by a team: s3://BUCKET/PREFIX (sets
    /// deployment.state_backend; needs --deployment-id or deployment.deployment_id).
    #[arg(long, value_name = "URL")]
    pub state_backend: Option<String>,
    /// AWS region (sets aws.region).
    #[arg(long)]
    pub region: Option<String>,
    /// AWS profile (sets aws.profile).
    #[arg(long)]
    pub profile: Option<String>,
    /// AgentCore control-plane endpoint (sets aws.endpoint_url).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Set any config field: --set gateway.s3_bucket=my-bucket (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

impl CommonArgs {
    /// The named flags and `--set`s, as overrides of the config in the order they apply.
    pub fn overrides(&self) -> Result<Vec<Override>, LoadError> {
        let named = |flag: &str, path: &str, value: Option<String>| {
            value.map(|value| Override {
                path: path.to_string(),
                value,
                source: Source::Flag(flag.to_string()),
            })
        };
        let state_file = self
            .state_file
            .as_deref()
            .map(|p| p.to_string_lossy().into_owned());
        let mut overrides: Vec<Override> = [
            named("--region", "aws.region", self.region.clone()),
            named("--profile", "aws.profile", self.profile.clone()),
            named("--endpoint-url", "aws.endpoint_url", self.endpoint_url.clone()),
            named(
                "--deployment-id",
                "deployment.deployment_id",
                self.deployment_id.clone(),
            ),
            named("--state-file", "deployment.state_file", state_file),
            named(
                "--state-backend",
                "deployment.state_backend",
                self.state_backend.clone(),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        for raw in &self.set {
            overrides.push(parse_set(raw).map_err(LoadError::Override)?);
        }
        Ok(overrides)
    }
}

//! The wizard's questions, section by section (AWS, Cognito, Gateway, TLS). Each answer is
//! checked by the same model validators as `--validate-only`: the answer is put into a copy of
//! the config, the config is validated, and an error on that field is shown with its fix.
//!
//! Defaults, in order: the config as loaded (the file with the environment's overrides), the
//! credential chain and discovered resources, then the tool's own defaults. A value that is still
//! a template placeholder is no default.

use std::path::Path;

use super::ask::{Ask, Stopped};
use super::discover::Discovered;
use super::fields::{Choice, choose_or_type, text, text_value, usable};
use super::secrets;
use crate::config::{Config, Environment, TargetConfig};
use crate::ui::section::Section;

/// What the questions may look at.
pub struct Context<'a> {
    pub base_dir: &'a Path,
    pub env: &'a dyn Environment,
    pub found: &'a Discovered,
    /// The region the credential chain names.
    pub chain_region: Option<&'a str>,
}

/// The built-in spec templates, with the target names and ports the original stack used.
const BUILT_IN_TARGETS: [(&str, &str, u16); 4] = [
    ("k8s-api", "kubernetes", 8011),
    ("logs-api", "logs", 8012),
    ("metrics-api", "metrics", 8013),
    ("runbooks-api", "runbooks", 8014),
];

/// Asks the questions of `section`, updating `config` answer by answer.
pub fn ask(
    ask: &mut dyn Ask,
    section: Section,
    config: &mut Config,
    cx: &Context<'_>,
) -> Result<(), Stopped> {
    ask.say(&format!("\n── {} ──", section.title()));
    match section {
        Section::Aws => aws(ask, config, cx),
        Section::Cognito => cognito(ask, config, cx),
        Section::Gateway => gateway(ask, config, cx),
        Section::Tls => super::tls::tls(ask, config, cx),
    }
}

fn aws(ask: &mut dyn Ask, config: &mut Config, cx: &Context<'_>) -> Result<(), Stopped> {
    let region = usable(&config.aws.region)
        .or_else(|| cx.chain_region.map(str::to_string))
        .unwrap_or_else(|| "us-east-1".into());
    text(
        ask,
        config,
        cx,
        "aws.region",
        "AWS region",
        None,
        Some(region),
        |c, v| {
            c.aws.region = v.into();
        },
    )?;
    let account = usable(&config.aws.account_id).or_else(|| cx.found.account.clone());
    let help = cx
        .found
        .account
        .as_ref()
        .map(|a| format!("your credentials belong to account {a}"));
    text(
        ask,
        config,
        cx,
        "aws.account_id",
        "AWS account id",
        help,
        account,
        |c, v| {
            c.aws.account_id = v.into();
        },
    )?;
    let current = usable(&config.aws.role_name).unwrap_or_else(|| "SreAgentGatewayRole".into());
    choose_or_type(
        ask,
        config,
        cx,
        Choice {
            field: "aws.role_name",
            label: "IAM role the gateway runs with",
            existing: &cx.found.roles,
            current,
            new_label: "a new least-privilege role",
            existing_note: "an existing role is used as it is and never deleted",
        },
        |c, v| c.aws.role_name = v.into(),
    )
}

fn cognito(ask: &mut dyn Ask, config: &mut Config, cx: &Context<'_>) -> Result<(), Stopped> {
    if !cx.found.pools.is_empty() {
        let mut options = vec!["create a new user pool".to_string()];
        options.extend(cx.found.pools.iter().map(|(id, name)| format!("{name} ({id})")));
        let current = config
            .cognito
            .user_pool_id
            .as_ref()
            .and_then(|id| cx.found.pools.iter().position(|(p, _)| p == id))
            .map_or(0, |i| i + 1);
        let choice = ask.select(
            "Cognito user pool",
            &options,
            current,
            Some("an existing pool is kept on cleanup"),
        )?;
        config.cognito.user_pool_id = choice
            .checked_sub(1)
            .and_then(|i| cx.found.pools.get(i))
            .map(|(id, _)| id.clone());
    }
    let account = usable(&config.aws.account_id).unwrap_or_default();
    let domain = usable(&config.cognito.cognito_domain).unwrap_or_else(|| format!("sre-agent-{account}"));
    text(
        ask,
        config,
        cx,
        "cognito.cognito_domain",
        "Cognito domain prefix (token endpoint)",
        Some(
            "lowercase letters, digits, hyphens; unique in the region; or an existing domain's https:// URL"
                .into(),
        ),
        Some(domain),
        |c, v| c.cognito.cognito_domain = v.into(),
    )?;
    let server = config
        .cognito
        .resource_server_id
        .clone()
        .unwrap_or_else(|| "sre-agent".into());
    text(
        ask,
        config,
        cx,
        "cognito.resource_server_id",
        "Resource server id",
        None,
        Some(server),
        |c, v| {
            c.cognito.resource_server_id = Some(v.into());
        },
    )?;
    let scopes = if config.cognito.scopes.is_empty() {
        format!(
            "{}/invoke",
            config
                .cognito
                .resource_server_id
                .as_deref()
                .unwrap_or("sre-agent")
        )
    } else {
        config.cognito.scopes.join(", ")
    };
    text(
        ask,
        config,
        cx,
        "cognito.scopes",
        "Scopes the agent's tokens carry",
        Some("comma-separated, each <resource server>/<scope>".into()),
        Some(scopes),
        |c, v| {
            c.cognito.scopes = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        },
    )?;
    if config.cognito.client_id.is_some() {
        config.cognito.client_secret = Some(secrets::reference(
            ask,
            cx,
            "cognito.client_secret",
            "Cognito app client secret",
            config.cognito.client_secret.as_ref(),
            "COGNITO_CLIENT_SECRET",
        )?);
    }
    Ok(())
}

fn gateway(ask: &mut dyn Ask, config: &mut Config, cx: &Context<'_>) -> Result<(), Stopped> {
    let help = (!cx.found.gateways.is_empty())
        .then(|| format!("gateways in this region: {}", cx.found.gateways.join(", ")));
    let name = usable(&config.gateway.gateway_name).unwrap_or_else(|| "sre-agent-gateway".into());
    text(
        ask,
        config,
        cx,
        "gateway.gateway_name",
        "Gateway name",
        help,
        Some(name),
        |c, v| {
            c.gateway.gateway_name = v.into();
        },
    )?;
    let account = usable(&config.aws.account_id).unwrap_or_default();
    let bucket = usable(&config.gateway.s3_bucket).unwrap_or_else(|| format!("sre-agent-specs-{account}"));
    choose_or_type(
        ask,
        config,
        cx,
        Choice {
            field: "gateway.s3_bucket",
            label: "S3 bucket for the OpenAPI specs",
            existing: &cx.found.buckets,
            current: bucket,
            new_label: "a new bucket",
            existing_note: "an existing bucket is kept on cleanup",
        },
        |c, v| c.gateway.s3_bucket = v.into(),
    )?;
    let prefix = usable(&config.gateway.s3_path_prefix).unwrap_or_else(|| "sre-agent/specs".into());
    text(
        ask,
        config,
        cx,
        "gateway.s3_path_prefix",
        "Key prefix for the specs",
        None,
        Some(prefix),
        |c, v| {
            c.gateway.s3_path_prefix = v.into();
        },
    )?;
    if config.gateway.provider_arn.is_none() {
        config.gateway.api_key = Some(secrets::reference(
            ask,
            cx,
            "gateway.api_key",
            "Backend API key",
            config.gateway.api_key.as_ref(),
            "BACKEND_API_KEY",
        )?);
    }
    targets(ask, config, cx)
}

fn targets(ask: &mut dyn Ask, config: &mut Config, cx: &Context<'_>) -> Result<(), Stopped> {
    if config.gateway.targets.is_empty() {
        let host = usable(&config.tls.domain_name).unwrap_or_default();
        let host = text_value(
            ask,
            "gateway.targets",
            "DNS name the backends are served on",
            None,
            host,
        )?;
        config.gateway.targets = BUILT_IN_TARGETS
            .iter()
            .map(|(name, spec, port)| TargetConfig {
                name: (*name).into(),
                spec: (*spec).into(),
                backend_url: format!("https://{host}:{port}"),
            })
            .collect();
    }
    for i in 0..config.gateway.targets.len() {
        let target = &config.gateway.targets[i];
        let field = format!("gateway.targets[{i}].backend_url");
        let label = format!("Backend URL of {} (spec {})", target.name, target.spec);
        let default = target.backend_url.clone();
        text(ask, config, cx, &field, &label, None, Some(default), |c, v| {
            c.gateway.targets[i].backend_url = v.into();
        })?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "sections_tests.rs"]
mod tests;

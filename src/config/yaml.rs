//! Writing a config back out as YAML: sections in the file's usual order, a blank line between
//! them, after a comment header. `import` and the wizard write configs this way.

use serde::Serialize;

use super::{AwsConfig, CognitoConfig, Config, DeploymentConfig, GatewayConfig, TlsConfig, VerifyConfig};

/// The config as YAML after `header` (comment lines, each starting with `#`). The `verify` and
/// `deployment` sections are written only when they differ from their defaults.
pub fn to_yaml(config: &Config, header: &str) -> Result<String, String> {
    #[derive(Serialize)]
    struct Ordered<'a> {
        version: u32,
        aws: &'a AwsConfig,
        cognito: &'a CognitoConfig,
        gateway: &'a GatewayConfig,
        tls: &'a TlsConfig,
        #[serde(skip_serializing_if = "Option::is_none")]
        verify: Option<&'a VerifyConfig>,
        #[serde(skip_serializing_if = "Option::is_none")]
        deployment: Option<&'a DeploymentConfig>,
    }
    let body = serde_saphyr::to_string(&Ordered {
        version: config.version,
        aws: &config.aws,
        cognito: &config.cognito,
        gateway: &config.gateway,
        tls: &config.tls,
        verify: Some(&config.verify).filter(|v| **v != VerifyConfig::default()),
        deployment: Some(&config.deployment).filter(|d| **d != DeploymentConfig::default()),
    })
    .map_err(|e| e.to_string())?;
    let mut text = String::from(header);
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for (i, line) in body.lines().enumerate() {
        // A blank line before each section after the first.
        if i > 0 && !line.starts_with([' ', '-']) {
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_omits_default_sections() {
        let mut config = Config::default();
        config.aws.region = "eu-west-1".into();
        let text = to_yaml(&config, "# header").unwrap();
        assert!(text.starts_with("# header\nversion: 1\n\naws:\n"), "{text}");
        assert!(
            !text.contains("verify:") && !text.contains("deployment:"),
            "{text}"
        );
        config.deployment.deployment_id = Some("sre-prod".into());
        config.verify.timeout_seconds = 9;
        let text = to_yaml(&config, "").unwrap();
        let back: Config = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back, config, "{text}");
    }
}

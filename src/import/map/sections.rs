//! The sections of the mapping: `aws`, `cognito`, `gateway` (with one target per spec template)
//! and `tls`, each from the original keys and variables, with the repairs the original format
//! needed. Like the rest of `map`, it reads no files and never holds a secret value: secrets are
//! referenced by name.

use std::path::Path;

use super::{BACKEND_ENV, CERT_STAND_IN, CONFIG_FILE, FIRST_PORT, KEY_STAND_IN, Mapper};
use crate::config::{AwsConfig, CognitoConfig, GatewayConfig, TargetConfig, TlsConfig};
use crate::import::specs;
use crate::validate::{Finding, rules};

impl Mapper<'_> {
    pub(super) fn aws(&mut self) -> AwsConfig {
        let account_id = self.id("account_id", "aws.account_id").unwrap_or_default();
        let region = self.id("region", "aws.region").unwrap_or_default();
        let role_name = self.id("role_name", "aws.role_name").unwrap_or_default();
        let endpoint_url = self
            .value("endpoint_url", "aws.endpoint_url")
            .map(|e| self.endpoint(e, &region));
        let original = self.src.flat.get("endpoint_url").map(|e| e.value.as_str());
        if let Some(other) = self.src.flat.get("credential_provider_endpoint_url")
            && !other.value.is_empty()
            && Some(other.value.as_str()) != original
        {
            let other = other.value.clone();
            self.warn(
                "aws.endpoint_url",
                format!(
                    "credential_provider_endpoint_url in {CONFIG_FILE} ({other:?}) is not carried over: \
                     only the original scripts used it; this tool reaches the credential provider API \
                     through the AgentCore endpoint, aws.endpoint_url (or the default for aws.region)"
                ),
            );
        }
        AwsConfig {
            account_id,
            region,
            role_name,
            endpoint_url,
            profile: None,
        }
    }

    /// An endpoint whose host names another region than `region` is moved to `region`.
    fn endpoint(&mut self, endpoint: String, region: &str) -> String {
        let embedded = url::Url::parse(&endpoint)
            .ok()
            .and_then(|u| u.host_str().and_then(rules::embedded_region));
        match embedded {
            Some(embedded) if embedded != region && rules::region(region).is_ok() => {
                let fixed = endpoint.replacen(embedded, region, 1);
                let message = format!(
                    "endpoint_url in {CONFIG_FILE} is in region {embedded}, but region is {region}; \
                     imported as {fixed:?}"
                );
                let fix = format!(
                    "if the gateway belongs in {embedded}, set aws.region to {embedded} and \
                     aws.endpoint_url to {endpoint:?}"
                );
                self.findings
                    .push(Finding::warning("aws.endpoint_url", message).suggest(fix));
                fixed
            }
            _ => endpoint,
        }
    }

    pub(super) fn cognito(&mut self, region: &str) -> CognitoConfig {
        let pool = self.id("user_pool_id", "cognito.user_pool_id");
        let pool = self.either(
            pool,
            "user_pool_id",
            "cognito.user_pool_id",
            &["COGNITO_USER_POOL_ID", "USER_POOL_ID"],
        );
        let client = self.id("client_id", "cognito.client_id");
        let client_id = self.either(client, "client_id", "cognito.client_id", &["COGNITO_CLIENT_ID"]);
        let cognito_domain = match self.env("COGNITO_DOMAIN") {
            Some((raw, file)) => {
                let raw = raw.trim().to_string();
                self.origins.insert(
                    "cognito.cognito_domain".into(),
                    format!("{file}, variable COGNITO_DOMAIN"),
                );
                self.domain_prefix(raw, region)
            }
            None => String::new(),
        };
        CognitoConfig {
            user_pool_id: pool,
            cognito_domain,
            client_id,
            client_secret: self.secret("COGNITO_CLIENT_SECRET", "cognito.client_secret"),
            resource_server_id: None,
            scopes: Vec::new(),
        }
    }

    /// The config.yaml value, or else the first of `names` in the .env files; a disagreement is
    /// reported and config.yaml wins.
    fn either(
        &mut self,
        from_config: Option<String>,
        key: &str,
        field: &str,
        names: &[&str],
    ) -> Option<String> {
        let found = names
            .iter()
            .find_map(|n| self.env(n).map(|(v, file)| (n.to_string(), v.to_string(), file)));
        let Some((name, value, file)) = found else {
            return from_config;
        };
        let value = self.squeeze(value, field, &format!("{name} in {file}"));
        match from_config {
            Some(config) if config != value => {
                let message = format!(
                    "{key} in {CONFIG_FILE} ({config:?}) and {name} in {file} ({value:?}) differ; \
                     the {CONFIG_FILE} value is imported"
                );
                self.warn(field, message);
                Some(config)
            }
            Some(config) => Some(config),
            None => {
                self.origins
                    .insert(field.into(), format!("{file}, variable {name}"));
                Some(value)
            }
        }
    }

    /// A hosted domain `https://<prefix>.auth.<region>.amazoncognito.com` becomes its prefix.
    fn domain_prefix(&mut self, raw: String, region: &str) -> String {
        let host = raw
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let Some((prefix, in_region)) = host
            .strip_suffix(".amazoncognito.com")
            .and_then(|rest| rest.split_once(".auth."))
        else {
            return raw;
        };
        let (prefix, in_region) = (prefix.to_string(), in_region.to_string());
        let mut message =
            format!("COGNITO_DOMAIN is the hosted domain {raw:?}; imported as its prefix {prefix:?}");
        if in_region != region {
            message = format!(
                "{message} (the hosted domain is in {in_region}; the domain is used in aws.region, {region})"
            );
        }
        self.warn("cognito.cognito_domain", message);
        prefix
    }

    pub(super) fn backend_domain(&mut self) -> String {
        let Some(env) = &self.src.backend_env else {
            return String::new();
        };
        let Some(raw) = env.get("BACKEND_DOMAIN").map(str::trim) else {
            let message = format!(
                "BACKEND_DOMAIN is not set in {BACKEND_ENV}: tls.domain_name and the targets' \
                 backend_url are left empty"
            );
            self.warn("tls.domain_name", message);
            return String::new();
        };
        self.origins.insert(
            "tls.domain_name".into(),
            format!("{BACKEND_ENV}, variable BACKEND_DOMAIN"),
        );
        let host = raw.trim_start_matches("https://").trim_start_matches("http://");
        let host = host.split(['/', ':']).next().unwrap_or_default().to_string();
        if host != raw {
            self.warn(
                "tls.domain_name",
                format!("BACKEND_DOMAIN in {BACKEND_ENV} is {raw:?}; imported as the host name {host:?}"),
            );
        }
        host
    }

    pub(super) fn gateway(&mut self, domain: &str, config_dir: &Path) -> GatewayConfig {
        let gateway_name = self
            .value("gateway_name", "gateway.gateway_name")
            .map(|n| {
                self.dashes(
                    n,
                    "gateway.gateway_name",
                    &format!("gateway_name in {CONFIG_FILE} is"),
                )
            })
            .unwrap_or_default();
        let s3_bucket = self.id("s3_bucket", "gateway.s3_bucket").unwrap_or_default();
        if s3_bucket.is_empty() {
            let message = format!(
                "s3_bucket is empty or missing in {CONFIG_FILE}; the original example leaves it for you \
                 to fill in"
            );
            let fix =
                "set gateway.s3_bucket to a bucket name of your own, such as sre-agent-specs-<account id>";
            self.findings
                .push(Finding::error("gateway.s3_bucket", message).suggest(fix));
        }
        let prefix = self
            .value("s3_path_prefix", "gateway.s3_path_prefix")
            .unwrap_or_default();
        let s3_path_prefix = prefix.trim_matches('/').to_string();
        if s3_path_prefix != prefix {
            let message = format!(
                "s3_path_prefix in {CONFIG_FILE} is {prefix:?}; imported without slashes at the ends, \
                 {s3_path_prefix:?}"
            );
            self.warn("gateway.s3_path_prefix", message);
        }
        GatewayConfig {
            gateway_name,
            s3_bucket,
            s3_path_prefix,
            provider_arn: self.id("provider_arn", "gateway.provider_arn"),
            credential_provider_name: self.id("credential_provider_name", "gateway.credential_provider_name"),
            api_key: self.secret("BACKEND_API_KEY", "gateway.api_key"),
            targets: self.targets(domain, config_dir),
            ..GatewayConfig::default()
        }
    }

    fn targets(&mut self, domain: &str, config_dir: &Path) -> Vec<TargetConfig> {
        if self.src.templates.is_empty() {
            let message = format!("no spec templates (*{}) in {}", specs::SUFFIX, specs::SPEC_DIR);
            let fix = "add the targets by hand: name, spec (kubernetes, logs, metrics, runbooks or a file) \
                       and backend_url";
            self.findings
                .push(Finding::error("gateway.targets", message).suggest(fix));
        }
        let mut targets = Vec::new();
        for (i, template) in self.src.templates.iter().enumerate() {
            let field = format!("gateway.targets[{i}]");
            let file = format!("{}/{}{}", specs::SPEC_DIR, template.stem, specs::SUFFIX);
            let origin = format!("the template {file} gives the target name");
            let name = self.dashes(template.stem.clone(), &format!("{field}.name"), &origin);
            self.origins.insert(format!("{field}.spec"), file);
            let offset = u16::try_from(i).unwrap_or(0);
            let port = template.port.unwrap_or_else(|| FIRST_PORT.saturating_add(offset));
            targets.push(TargetConfig {
                name,
                spec: specs::relative_path(config_dir, &template.path)
                    .to_string_lossy()
                    .into_owned(),
                backend_url: if domain.is_empty() {
                    String::new()
                } else {
                    format!("https://{domain}:{port}")
                },
            });
        }
        targets
    }

    pub(super) fn tls(&mut self, domain_name: String) -> TlsConfig {
        for (field, stand_in, what) in [
            (
                "tls.ssl_cert_path",
                CERT_STAND_IN,
                "certificate chain (a fullchain.pem, such as /opt/ssl/fullchain.pem)",
            ),
            (
                "tls.ssl_key_path",
                KEY_STAND_IN,
                "private key (a privkey.pem, such as /opt/ssl/privkey.pem)",
            ),
        ] {
            let message = format!(
                "the original layout does not say where the backends' TLS files are; {stand_in:?} is \
                 written as a stand-in"
            );
            let fix = format!("set {field} to the backends' PEM {what}");
            self.findings.push(Finding::warning(field, message).suggest(fix));
        }
        TlsConfig {
            domain_name,
            ssl_cert_path: CERT_STAND_IN.into(),
            ssl_key_path: KEY_STAND_IN.into(),
            ..TlsConfig::default()
        }
    }
}

//! Rules that span sections: regions agree, the provider lives in the deployment's account and
//! region, the role ARN is well formed, and the backends are on the certificate's domain.
//!
//! Each rule compares values only when both are individually valid, so a bad value is reported
//! once, on its own field.

use super::{Config, cognito};
use crate::validate::{Finding, ValidationResult, rules};

pub fn validate(config: &Config) -> ValidationResult {
    let mut result = ValidationResult::new();
    let aws = &config.aws;
    let region = rules::region(&aws.region).is_ok().then_some(aws.region.as_str());
    let account = rules::account_id(&aws.account_id)
        .is_ok()
        .then_some(aws.account_id.as_str());

    if let (Some(region), Some(pool)) = (region, &config.cognito.user_pool_id)
        && let Ok(pool_region) = rules::user_pool_id(pool)
        && pool_region != region
    {
        result.push(
                    Finding::warning(
                        "cognito.user_pool_id",
                        format!("the user pool is in {pool_region} but aws.region is {region}; tokens will come from another region"),
                    )
                    .suggest(format!("use a pool in {region}, or leave user_pool_id out to create one")),
                );
    }
    if let (Some(region), Some(domain_region)) =
        (region, cognito::domain_region(&config.cognito.cognito_domain))
        && domain_region != region
    {
        result.push(Finding::warning(
            "cognito.cognito_domain",
            format!("the Cognito domain is in {domain_region} but aws.region is {region}"),
        ));
    }
    let gateway = &config.gateway;
    super::gateway_options::validate(
        gateway.kms_key_arn.as_deref(),
        gateway.description.as_deref(),
        gateway.allowed_scopes.as_deref(),
        &config.cognito.scopes,
        &mut result,
    );
    if let (Some(arn), Some(region)) = (&gateway.kms_key_arn, region) {
        super::gateway_options::validate_kms_region(arn, region, account, &mut result);
    }
    if let Some(arn) = &config.gateway.provider_arn
        && let Ok(provider) = rules::parse_provider_arn(arn)
    {
        if let Some(region) = region.filter(|r| *r != provider.region) {
            result.push(
                Finding::error(
                    "gateway.provider_arn",
                    format!(
                        "the credential provider is in {} but the gateway is deployed to {region}",
                        provider.region
                    ),
                )
                .suggest(format!(
                    "use a provider in {region}, or leave provider_arn out to create one"
                )),
            );
        }
        if let Some(account) = account.filter(|a| *a != provider.account) {
            result.push(Finding::error(
                "gateway.provider_arn",
                format!(
                    "the credential provider belongs to account {} but aws.account_id is {account}",
                    provider.account
                ),
            ));
        }
    }
    if let (Some(region), Some(account), Ok(())) = (region, account, rules::iam_role_name(&aws.role_name)) {
        let arn = rules::role_arn(rules::partition(region), account, &aws.role_name);
        if let Err(p) = check_role_arn(&arn) {
            result.push(p.error_at("aws.role_name"));
        }
    }
    backends_on_certificate_domain(config, &mut result);
    result
}

/// A role ARN is `arn:<partition>:iam::<12 digits>:role/<name>` and at most 2048 characters.
fn check_role_arn(arn: &str) -> Result<(), crate::validate::Problem> {
    let fail = || crate::validate::Problem::new(format!("the gateway role ARN \"{arn}\" is malformed"));
    let rest = arn.strip_prefix("arn:").ok_or_else(fail)?;
    let (partition, rest) = rest.split_once(":iam::").ok_or_else(fail)?;
    let (account, name) = rest.split_once(":role/").ok_or_else(fail)?;
    let ok = arn.len() <= 2048
        && partition.starts_with("aws")
        && rules::account_id(account).is_ok()
        && rules::iam_role_name(name).is_ok();
    if ok { Ok(()) } else { Err(fail()) }
}

/// Each backend URL's host should be the TLS domain, or the certificate will not match it.
fn backends_on_certificate_domain(config: &Config, result: &mut ValidationResult) {
    let domain = config.tls.domain_name.trim_end_matches('.');
    if rules::dns_name(domain).is_err() {
        return;
    }
    for (i, target) in config.gateway.targets.iter().enumerate() {
        let Ok(url) = rules::https_url(&target.backend_url, false) else {
            continue;
        };
        let Some(host) = url.host_str() else { continue };
        if !host.eq_ignore_ascii_case(domain) {
            result.push(
                Finding::warning(
                    format!("gateway.targets[{i}].backend_url"),
                    format!("the backend host {host} is not tls.domain_name ({domain}); the certificate may not cover it"),
                )
                .suggest(format!("serve the backend on {domain}, or check that the certificate names {host}")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        assert!(check_role_arn("arn:aws:iam::123456789012:role/Gw").is_ok());
        assert!(check_role_arn("arn:aws-cn:iam::123456789012:role/Gw").is_ok());
        for bad in [
            "arn:aws:iam::12345:role/Gw",
            "arn:aws:iam::123456789012:user/Gw",
            "arn:aws:iam::123456789012:role/bad name",
            "arn:gcp:iam::123456789012:role/Gw",
            "aws:iam::123456789012:role/Gw",
        ] {
            assert!(check_role_arn(bad).is_err(), "{bad}");
        }
    }

    fn config() -> Config {
        let mut c = Config::default();
        c.aws.account_id = "123456789012".into();
        c.aws.region = "us-east-1".into();
        c.aws.role_name = "Gw".into();
        c.tls.domain_name = "backend.corp.internal".into();
        c
    }

    fn findings(c: &Config) -> Vec<(String, crate::validate::Severity)> {
        validate(c)
            .findings
            .into_iter()
            .map(|f| (f.field, f.severity))
            .collect()
    }

    #[test]
    fn pool_in_another_region_is_a_warning() {
        use crate::validate::Severity::Warning;
        let mut c = config();
        c.cognito.user_pool_id = Some("eu-west-1_AbC".into());
        assert_eq!(findings(&c), [("cognito.user_pool_id".to_string(), Warning)]);
        c.cognito.user_pool_id = Some("us-east-1_AbC".into());
        assert_eq!(findings(&c), []);
    }

    #[test]
    fn hosted_domain_in_another_region_is_a_warning() {
        let mut c = config();
        c.cognito.cognito_domain = "https://sre.auth.eu-west-1.amazoncognito.com".into();
        assert_eq!(findings(&c).len(), 1);
        c.cognito.cognito_domain = "https://sre.auth.us-east-1.amazoncognito.com".into();
        assert_eq!(findings(&c), []);
    }

    #[test]
    fn provider_must_be_in_the_same_account_and_region() {
        use crate::validate::Severity::Error;
        let mut c = config();
        c.gateway.provider_arn = Some(
            "arn:aws:bedrock-agentcore:us-west-2:210987654321:token-vault/default/apikeycredentialprovider/k"
                .into(),
        );
        let f = findings(&c);
        assert_eq!(
            f,
            [
                ("gateway.provider_arn".to_string(), Error),
                ("gateway.provider_arn".to_string(), Error)
            ]
        );
        c.gateway.provider_arn = Some(
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/k"
                .into(),
        );
        assert_eq!(findings(&c), []);
    }

    #[test]
    fn invalid_region_is_not_compared() {
        let mut c = config();
        c.aws.region = "mars-1".into();
        c.cognito.user_pool_id = Some("eu-west-1_AbC".into());
        assert_eq!(findings(&c), []);
    }

    #[test]
    fn backends_off_the_certificate_domain_warn() {
        let mut c = config();
        c.gateway.targets = vec![
            crate::config::TargetConfig {
                name: "a".into(),
                spec: "logs".into(),
                backend_url: "https://backend.corp.internal:8011".into(),
            },
            crate::config::TargetConfig {
                name: "b".into(),
                spec: "logs".into(),
                backend_url: "https://other.corp.internal:8012".into(),
            },
        ];
        assert_eq!(
            findings(&c),
            [(
                "gateway.targets[1].backend_url".to_string(),
                crate::validate::Severity::Warning
            )]
        );
    }
}

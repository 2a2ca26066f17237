//! The gateway's own optional settings: semantic search, debug error messages, a customer KMS
//! key, a description, and the scopes its authorizer requires. Each is validated here (the KMS
//! key's region against `aws.region` in [`super::cross`]), planned, and applied in place.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validate::{Finding, ValidationResult};

/// How much the gateway says about its targets' errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExceptionLevel {
    /// Error messages name the target configuration's problem (for debugging; not for
    /// production traffic).
    #[serde(rename = "DEBUG")]
    Debug,
}

/// A KMS key ARN, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsKey<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
}

/// `arn:<partition>:kms:<region>:<account>:key/<key id>` (an alias is not accepted: the gateway
/// needs the key itself).
pub fn parse_kms_key_arn(arn: &str) -> Option<KmsKey<'_>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return None;
    };
    let id = resource.strip_prefix("key/")?;
    let ok = *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "kms"
        && !region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then_some(KmsKey {
        partition,
        region,
        account,
    })
}

/// Checks the gateway's optional settings (the fields under `gateway.`).
pub fn validate(
    kms_key_arn: Option<&str>,
    description: Option<&str>,
    allowed_scopes: Option<&[String]>,
    scopes: &[String],
    result: &mut ValidationResult,
) {
    if let Some(arn) = kms_key_arn
        && parse_kms_key_arn(arn).is_none()
    {
        result.push(
            Finding::error(
                "gateway.kms_key_arn",
                format!("\"{arn}\" is not a KMS key ARN"),
            )
            .suggest("use the key's ARN, arn:aws:kms:<region>:<account>:key/<key id> (not an alias), or leave it out to use an AWS owned key"),
        );
    }
    if let Some(text) = description {
        if text.chars().count() > 200 {
            result.push(
                Finding::error(
                    "gateway.description",
                    "the description is longer than 200 characters",
                )
                .suggest("shorten it to 200 characters or fewer"),
            );
        }
        if text.chars().any(char::is_control) {
            result.push(
                Finding::error("gateway.description", "the description holds a control character")
                    .suggest("keep it to one line of printable text"),
            );
        }
    }
    if let Some(allowed) = allowed_scopes {
        if allowed.is_empty() {
            result.push(
                Finding::error("gateway.allowed_scopes", "the list is empty").suggest(
                    "name at least one scope, or leave allowed_scopes out to accept any scope of the pool",
                ),
            );
        }
        for (i, scope) in allowed.iter().enumerate() {
            if !scopes.contains(scope) {
                result.push(
                    Finding::error(
                        format!("gateway.allowed_scopes[{i}]"),
                        format!("\"{scope}\" is not one of cognito.scopes, so no token of the deployment carries it"),
                    )
                    .suggest(format!("use one of: {}", scopes.join(", "))),
                );
            }
        }
    }
}

/// Checks the key's region and account against the deployment's.
pub fn validate_kms_region(arn: &str, region: &str, account: Option<&str>, result: &mut ValidationResult) {
    let Some(key) = parse_kms_key_arn(arn) else {
        return;
    };
    if key.region != region {
        result.push(
            Finding::error(
                "gateway.kms_key_arn",
                format!(
                    "the KMS key is in {} but the gateway is deployed to {region}",
                    key.region
                ),
            )
            .suggest(format!(
                "use a key in {region}: a gateway can only use a key of its own region"
            )),
        );
    }
    if let Some(account) = account.filter(|a| *a != key.account) {
        result.push(Finding::warning(
            "gateway.kms_key_arn",
            format!(
                "the KMS key belongs to account {} but aws.account_id is {account}: its key policy must let the gateway's role use it",
                key.account
            ),
        ));
    }
    let _ = key.partition;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_key_arns_are_keys_not_aliases() {
        let key =
            parse_kms_key_arn("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
                .expect("a key");
        assert_eq!((key.region, key.account), ("eu-west-1", "123456789012"));
        for bad in [
            "arn:aws:kms:eu-west-1:123456789012:alias/my-key",
            "arn:aws:s3:eu-west-1:123456789012:key/abc",
            "arn:aws:kms:eu-west-1:1234:key/abc",
            "arn:aws:kms::123456789012:key/abc",
            "key/abc",
        ] {
            assert!(parse_kms_key_arn(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn each_setting_is_checked_with_its_field() {
        let mut result = ValidationResult::new();
        let scopes = vec!["sre-agent/invoke".to_string()];
        validate(
            Some("arn:aws:kms:us-east-1:123456789012:alias/x"),
            Some(&"x".repeat(201)),
            Some(&["sre-agent/admin".to_string()]),
            &scopes,
            &mut result,
        );
        let fields: Vec<&str> = result.findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "gateway.kms_key_arn",
                "gateway.description",
                "gateway.allowed_scopes[0]"
            ]
        );
        let mut result = ValidationResult::new();
        validate_kms_region(
            "arn:aws:kms:eu-west-1:123456789012:key/abc",
            "us-east-1",
            Some("123456789012"),
            &mut result,
        );
        assert_eq!(result.findings.len(), 1, "{:?}", result.findings);
        assert!(result.findings[0].message.contains("eu-west-1"));
    }
}

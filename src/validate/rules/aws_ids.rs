//! Identifier formats: account ids, ARNs, Cognito pool and client ids, OAuth scopes.

use super::Problem;

/// AWS account ids are exactly 12 digits (leading zeros included).
pub fn account_id(value: &str) -> Result<(), Problem> {
    if value.len() == 12 && value.chars().all(|c| c.is_ascii_digit()) {
        return Ok(());
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let problem = Problem::new(format!(
        "an AWS account id is exactly 12 digits; got \"{value}\" ({} characters)",
        value.chars().count()
    ));
    Err(if digits.len() == 12 {
        problem.suggest(format!("use \"{digits}\""))
    } else if !value.is_empty() && digits.len() == value.len() && value.len() < 12 {
        problem.suggest(format!(
            "if the id starts with zeros, quote it: YAML reads unquoted numbers and drops leading \
             zeros (account_id: \"{value:0>12}\")"
        ))
    } else {
        problem.suggest("find it with `aws sts get-caller-identity --query Account --output text`")
    })
}

/// The ARN of an IAM role: `arn:<partition>:iam::<account>:role/<name>`.
pub fn role_arn(partition: &str, account: &str, role_name: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{role_name}")
}

/// The parts of an AgentCore token-vault API key credential provider ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderArn<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub vault: &'a str,
    pub name: &'a str,
}

/// Parses `arn:<partition>:bedrock-agentcore:<region>:<account>:token-vault/<vault>/apikeycredentialprovider/<name>`.
pub fn parse_provider_arn(value: &str) -> Result<ProviderArn<'_>, Problem> {
    let expected =
        "arn:aws:bedrock-agentcore:<region>:<account>:token-vault/default/apikeycredentialprovider/<name>";
    let fail = |why: &str| {
        Problem::new(format!("not an AgentCore API key credential provider ARN: {why}")).suggest(format!(
            "use the form {expected}, or leave provider_arn out to have the provider created"
        ))
    };
    let mut parts = value.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(fail("it does not have the six colon-separated ARN parts"));
    };
    if !partition.starts_with("aws") {
        return Err(fail(&format!("unknown partition \"{partition}\"")));
    }
    if service != "bedrock-agentcore" {
        return Err(fail(&format!(
            "the service is \"{service}\", not \"bedrock-agentcore\""
        )));
    }
    if account_id(account).is_err() {
        return Err(fail(&format!("the account \"{account}\" is not 12 digits")));
    }
    let segments: Vec<&str> = resource.split('/').collect();
    let [kind, vault, provider_kind, name] = segments.as_slice() else {
        return Err(fail(
            "the resource is not token-vault/<vault>/apikeycredentialprovider/<name>",
        ));
    };
    if *kind != "token-vault" || *provider_kind != "apikeycredentialprovider" {
        return Err(fail(
            "the resource is not token-vault/<vault>/apikeycredentialprovider/<name>",
        ));
    }
    if vault.is_empty() || name.is_empty() {
        return Err(fail("the vault or provider name is empty"));
    }
    Ok(ProviderArn {
        partition,
        region,
        account,
        vault,
        name,
    })
}

/// Cognito user pool ids are `<region>_<id>`; returns the region part.
pub fn user_pool_id(value: &str) -> Result<&str, Problem> {
    let fail = || {
        Problem::new(format!(
            "\"{value}\" is not a Cognito user pool id (expected <region>_<id>, such as us-east-1_AbC123xyZ)"
        ))
        .suggest("copy it from `aws cognito-idp list-user-pools --max-results 20`, or leave it out to create a pool")
    };
    let (region, id) = value.split_once('_').ok_or_else(fail)?;
    let region_ok = !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let id_ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
    if region_ok && id_ok && value.len() <= 55 {
        Ok(region)
    } else {
        Err(fail())
    }
}

/// Cognito app client ids: 1-128 characters from `[A-Za-z0-9_+]`.
pub fn cognito_client_id(value: &str) -> Result<(), Problem> {
    let ok = (1..=128).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+');
    if ok {
        Ok(())
    } else {
        Err(Problem::new(format!(
            "\"{value}\" is not a Cognito app client id (1-128 letters, digits, _ or +)"
        ))
        .suggest(
            "copy it from the app client's page in the Cognito console, or leave it out to create a client",
        ))
    }
}

/// OAuth scopes for a Cognito resource server: `<resource-server-id>/<scope-name>`. Returns both parts.
pub fn scope(value: &str) -> Result<(&str, &str), Problem> {
    let fail = |why: &str| {
        Problem::new(format!("\"{value}\" is not a resource-server scope: {why}"))
            .suggest("write scopes as <resource-server-id>/<scope-name>, such as sre-agent/invoke")
    };
    let (server, name) = value.rsplit_once('/').ok_or_else(|| fail("it has no \"/\""))?;
    if server.is_empty() || server.len() > 256 || !server.chars().all(is_identifier_char) {
        return Err(fail(
            "the resource server id is empty or has spaces, quotes or backslashes",
        ));
    }
    if name.is_empty() || name.len() > 256 || !name.chars().all(|c| is_identifier_char(c) && c != '/') {
        return Err(fail(
            "the scope name is empty or has spaces, quotes or backslashes",
        ));
    }
    Ok((server, name))
}

/// Printable ASCII except space, `"` and `\`, as Cognito allows in identifiers and scope names.
fn is_identifier_char(c: char) -> bool {
    c.is_ascii_graphic() && c != '"' && c != '\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids() {
        assert!(account_id("012345678901").is_ok());
        for bad in [
            "12345678901",
            "1234567890123",
            "12345678901a",
            "",
            "YOUR_ACCOUNT_ID",
        ] {
            assert!(account_id(bad).is_err(), "{bad}");
        }
        let err = account_id("12345678901").expect_err("lost zero");
        assert!(err.suggestion.expect("hint").contains("\"012345678901\""));
        let err = account_id("1234-5678-9012").expect_err("dashes");
        assert_eq!(err.suggestion.as_deref(), Some("use \"123456789012\""));
    }

    #[test]
    fn provider_arns() {
        let arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/sre-key";
        let parsed = parse_provider_arn(arn).expect("valid");
        assert_eq!(parsed.region, "us-east-1");
        assert_eq!(parsed.account, "123456789012");
        assert_eq!(parsed.name, "sre-key");
        for bad in [
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/abc",
            "arn:aws:bedrock-agentcore:us-east-1:12345:token-vault/default/apikeycredentialprovider/k",
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/k",
            "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/apikeycredentialprovider/",
            "not an arn",
        ] {
            assert!(parse_provider_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_pool_ids() {
        assert_eq!(user_pool_id("us-east-1_AbC123xyZ"), Ok("us-east-1"));
        for bad in ["us-east-1", "_abc", "us-east-1_", "us-east-1_ab-c", "US_abc"] {
            assert!(user_pool_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_ids() {
        assert!(cognito_client_id("4l3n0vq2k5example7abc8d9").is_ok());
        assert!(cognito_client_id("bad id").is_err());
        assert!(cognito_client_id("").is_err());
    }

    #[test]
    fn scopes() {
        assert_eq!(scope("sre-agent/invoke"), Ok(("sre-agent", "invoke")));
        assert_eq!(scope("https://api.corp/read"), Ok(("https://api.corp", "read")));
        for bad in [
            "invoke",
            "/invoke",
            "sre-agent/",
            "sre agent/invoke",
            "sre-agent/in\"voke",
        ] {
            assert!(scope(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arns_carry_the_partition() {
        assert_eq!(
            role_arn("aws-cn", "123456789012", "Gw"),
            "arn:aws-cn:iam::123456789012:role/Gw"
        );
    }
}

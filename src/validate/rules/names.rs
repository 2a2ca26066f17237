//! Name rules for IAM roles, AgentCore gateways and targets, Cognito domain prefixes, S3 key
//! prefixes and deployment ids, with a corrected name suggested where one can be derived.

use super::Problem;

/// IAM role names: 1-64 characters from `[A-Za-z0-9_+=,.@-]`.
pub fn iam_role_name(value: &str) -> Result<(), Problem> {
    let len = value.chars().count();
    if !(1..=64).contains(&len) {
        return Err(Problem::new(format!(
            "IAM role names are 1-64 characters; this one has {len}"
        )));
    }
    if let Some(bad) = value.chars().find(|c| !is_iam_name_char(*c)) {
        let fixed: String = value
            .chars()
            .map(|c| if is_iam_name_char(c) { c } else { '-' })
            .collect();
        return Err(Problem::new(format!(
            "IAM role names may only contain letters, digits and + = , . @ _ -; found {bad:?}"
        ))
        .suggest(format!("use \"{fixed}\"")));
    }
    Ok(())
}

fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// AgentCore gateway and target names: `([0-9a-zA-Z][-]?){1,100}`.
pub fn gateway_name(value: &str) -> Result<(), Problem> {
    if is_gateway_name(value) {
        return Ok(());
    }
    let problem = Problem::new(format!(
        "\"{value}\" is not a valid AgentCore name: use letters and digits, single hyphens between \
         them, no leading hyphen, at most 100 letters and digits"
    ));
    Err(match fix_gateway_name(value) {
        Some(fixed) => problem.suggest(format!("use \"{fixed}\"")),
        None => problem,
    })
}

fn is_gateway_name(value: &str) -> bool {
    let mut alnum = 0usize;
    let mut previous_hyphen = true; // a leading hyphen is as bad as a doubled one
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            alnum += 1;
            previous_hyphen = false;
        } else if c == '-' && !previous_hyphen {
            previous_hyphen = true;
        } else {
            return false;
        }
    }
    (1..=100).contains(&alnum)
}

/// The closest valid name: other characters become hyphens, runs of hyphens collapse, leading
/// hyphens go, and the name is cut at 100 letters and digits.
pub fn fix_gateway_name(value: &str) -> Option<String> {
    let mut fixed = String::new();
    let mut alnum = 0usize;
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            if alnum == 100 {
                break;
            }
            fixed.push(c);
            alnum += 1;
        } else if !fixed.is_empty() && !fixed.ends_with('-') {
            fixed.push('-');
        }
    }
    let fixed = fixed.trim_end_matches('-').to_string();
    (!fixed.is_empty()).then_some(fixed)
}

/// Cognito hosted-UI domain prefixes: lowercase letters, digits and hyphens, 1-63 characters, no
/// hyphen at either end, and none of the reserved words `aws`, `amazon` or `cognito`.
pub fn cognito_domain_prefix(value: &str) -> Result<(), Problem> {
    let len = value.chars().count();
    if !(1..=63).contains(&len) {
        return Err(Problem::new(format!(
            "a Cognito domain prefix is 1-63 characters; this one has {len}"
        )));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(Problem::new(format!(
            "a Cognito domain prefix may only contain lowercase letters, digits and hyphens; found {bad:?}"
        ))
        .suggest(format!("use \"{}\"", fix_domain_prefix(value))));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(
            Problem::new("a Cognito domain prefix cannot start or end with a hyphen")
                .suggest(format!("use \"{}\"", value.trim_matches('-'))),
        );
    }
    for reserved in ["aws", "amazon", "cognito"] {
        if value.contains(reserved) {
            return Err(Problem::new(format!(
                "a Cognito domain prefix cannot contain the reserved word \"{reserved}\""
            ))
            .suggest(format!(
                "remove \"{reserved}\", for example \"{}\"",
                fix_domain_prefix(value)
            )));
        }
    }
    Ok(())
}

/// The closest valid prefix: lowercase, other characters as single hyphens, reserved words
/// removed, at most 63 characters, no hyphen at either end.
fn fix_domain_prefix(value: &str) -> String {
    let mut text = value.to_ascii_lowercase();
    while let Some(word) = ["aws", "amazon", "cognito"].iter().find(|w| text.contains(*w)) {
        text = text.replace(word, "");
    }
    let mut fixed = String::new();
    for c in text.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            fixed.push(c);
        } else if !fixed.ends_with('-') {
            fixed.push('-');
        }
    }
    let trimmed: String = fixed.trim_matches('-').chars().take(63).collect();
    match trimmed.trim_end_matches('-') {
        "" => "sre-agent".to_string(),
        t => t.to_string(),
    }
}

/// S3 key prefixes for the uploaded specs: no leading slash, no quotes, no whitespace.
pub fn s3_path_prefix(value: &str) -> Result<(), Problem> {
    let fixed = || -> String {
        value
            .trim_start_matches('/')
            .chars()
            .filter(|c| !(c.is_whitespace() || *c == '"' || *c == '\''))
            .collect()
    };
    if value.starts_with('/') {
        return Err(Problem::new("the S3 path prefix must not start with \"/\"")
            .suggest(format!("use \"{}\"", fixed())));
    }
    if value.contains(['"', '\'']) {
        return Err(Problem::new("the S3 path prefix contains quote characters")
            .suggest(format!("use \"{}\"", fixed())));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(
            Problem::new("the S3 path prefix contains whitespace").suggest(format!("use \"{}\"", fixed()))
        );
    }
    Ok(())
}

/// Deployment ids: 3-32 lowercase letters, digits and hyphens, starting with a letter. They appear
/// in tags, resource names and the state file name, so they stay short and portable.
pub fn deployment_id(value: &str) -> Result<(), Problem> {
    let valid = (3..=32).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !value.ends_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(Problem::new(format!(
            "\"{value}\" is not a valid deployment id: use 3-32 lowercase letters, digits and \
             hyphens, starting with a letter and not ending with a hyphen"
        ))
        .suggest("leave deployment.deployment_id out to have one generated"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_role_names() {
        assert!(iam_role_name("SREAgentGatewayRole").is_ok());
        assert!(iam_role_name("a+b=c,d.e@f_g-h").is_ok());
        assert!(iam_role_name(&"r".repeat(64)).is_ok());
        assert!(iam_role_name(&"r".repeat(65)).is_err());
        assert!(iam_role_name("").is_err());
        let err = iam_role_name("my role").expect_err("space");
        assert_eq!(err.suggestion.as_deref(), Some("use \"my-role\""));
    }

    #[test]
    fn gateway_names_follow_the_agentcore_pattern() {
        for ok in [
            "k8s-api",
            "a",
            "SreGateway1",
            "a-b-c",
            "trailing-",
            &"a".repeat(100),
        ] {
            assert!(gateway_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-lead",
            "double--hyphen",
            "k8s_api",
            "has space",
            &"a".repeat(101),
        ] {
            assert!(gateway_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gateway_name_fix_replaces_underscores() {
        let err = gateway_name("k8s_api").expect_err("underscore");
        assert_eq!(err.suggestion.as_deref(), Some("use \"k8s-api\""));
        assert_eq!(fix_gateway_name("__a__b__").as_deref(), Some("a-b"));
        assert_eq!(fix_gateway_name("___"), None);
        let long = fix_gateway_name(&"b".repeat(150)).expect("fixable");
        assert!(is_gateway_name(&long));
    }

    #[test]
    fn cognito_prefixes() {
        assert!(cognito_domain_prefix("sre-agent-prod").is_ok());
        assert!(cognito_domain_prefix("a").is_ok());
        for bad in [
            "",
            "-x",
            "x-",
            "Upper",
            "my_domain",
            "my-aws-pool",
            "amazonian",
            "cognito1",
        ] {
            assert!(cognito_domain_prefix(bad).is_err(), "{bad}");
        }
        assert!(cognito_domain_prefix(&"a".repeat(64)).is_err());
        let err = cognito_domain_prefix("sre-cognito-pool").expect_err("reserved");
        assert!(err.message.contains("cognito"));
        assert_eq!(
            err.suggestion.as_deref(),
            Some("remove \"cognito\", for example \"sre-pool\"")
        );
    }

    #[test]
    fn s3_prefixes() {
        assert!(s3_path_prefix("sre-agent/specs").is_ok());
        assert!(s3_path_prefix("").is_ok());
        let err = s3_path_prefix("/specs").expect_err("slash");
        assert_eq!(err.suggestion.as_deref(), Some("use \"specs\""));
        assert!(s3_path_prefix("\"specs\"").is_err());
        assert!(s3_path_prefix("my specs").is_err());
        assert!(s3_path_prefix("specs\t").is_err());
    }

    #[test]
    fn deployment_ids() {
        assert!(deployment_id("sre-prod-1").is_ok());
        for bad in ["ab", "1abc", "Abc", "abc-", "a_b_c", &"a".repeat(33)] {
            assert!(deployment_id(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever the input, a suggested gateway name is itself valid.
        #[test]
        fn suggested_gateway_names_are_valid(input in "\\PC{0,120}") {
            if let Some(fixed) = fix_gateway_name(&input) {
                proptest::prop_assert!(gateway_name(&fixed).is_ok(), "{fixed:?}");
            }
        }

        /// Whatever the input, a suggested Cognito prefix is itself valid.
        #[test]
        fn suggested_domain_prefixes_are_well_formed(input in "\\PC{0,80}") {
            let fixed = fix_domain_prefix(&input);
            proptest::prop_assert!(cognito_domain_prefix(&fixed).is_ok(), "{fixed:?}");
        }
    }
}

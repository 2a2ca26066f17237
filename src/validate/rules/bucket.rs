//! S3 general purpose bucket naming rules.

use super::Problem;

/// Prefixes S3 reserves.
const RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
/// Suffixes S3 reserves for access point aliases, Object Lambda, directory and table buckets.
const RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Checks every S3 bucket naming rule and suggests a corrected name where one can be derived.
pub fn s3_bucket(value: &str) -> Result<(), Problem> {
    check(value).map_err(|message| {
        let problem = Problem::new(message);
        match fix_bucket(value) {
            Some(fixed) if fixed != value && check(&fixed).is_ok() => {
                problem.suggest(format!("use \"{fixed}\""))
            }
            _ => problem,
        }
    })
}

fn check(value: &str) -> Result<(), String> {
    let len = value.len();
    if !(3..=63).contains(&len) {
        return Err(format!(
            "S3 bucket names are 3-63 characters long; this one has {len}"
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        return Err(format!(
            "S3 bucket names may only contain lowercase letters, digits, dots and hyphens; found {bad:?}"
        ));
    }
    let is_alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !is_alnum(value.chars().next()) || !is_alnum(value.chars().last()) {
        return Err("S3 bucket names must begin and end with a letter or digit".to_string());
    }
    if value.contains("..") {
        return Err("S3 bucket names must not contain two adjacent dots".to_string());
    }
    if looks_like_ipv4(value) {
        return Err("S3 bucket names must not be formatted as an IP address".to_string());
    }
    if let Some(prefix) = RESERVED_PREFIXES.iter().find(|p| value.starts_with(*p)) {
        return Err(format!("S3 reserves the bucket name prefix \"{prefix}\""));
    }
    if let Some(suffix) = RESERVED_SUFFIXES.iter().find(|s| value.ends_with(*s)) {
        return Err(format!("S3 reserves the bucket name suffix \"{suffix}\""));
    }
    Ok(())
}

fn looks_like_ipv4(value: &str) -> bool {
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
}

/// Lowercases, maps other characters to hyphens, collapses repeats, strips reserved affixes and
/// trims to 63 characters.
fn fix_bucket(value: &str) -> Option<String> {
    let lower = value.to_ascii_lowercase();
    let mut stripped = lower.as_str();
    for prefix in RESERVED_PREFIXES {
        stripped = stripped.strip_prefix(prefix).unwrap_or(stripped);
    }
    for suffix in RESERVED_SUFFIXES {
        stripped = stripped.strip_suffix(suffix).unwrap_or(stripped);
    }
    let mut fixed = String::new();
    for c in stripped.chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
            c
        } else {
            '-'
        };
        let last = fixed.chars().last();
        if (c == '-' || c == '.') && matches!(last, None | Some('-' | '.')) {
            continue;
        }
        fixed.push(c);
    }
    let fixed: String = fixed.chars().take(63).collect();
    let fixed = fixed.trim_matches(['-', '.']).to_string();
    (fixed.len() >= 3).then_some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_pass() {
        for ok in [
            "sre-agent-specs",
            "abc",
            "my.bucket.name",
            "a1-b2",
            &"a".repeat(63),
        ] {
            assert!(s3_bucket(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn each_rule_rejects() {
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "my_bucket",
            "-bucket",
            "bucket-",
            ".bucket",
            "my..bucket",
            "192.168.5.4",
            "xn--bucket",
            "sthree-bucket",
            "amzn-s3-demo-bucket",
            "bucket-s3alias",
            "bucket--ol-s3",
            "bucket.mrap",
            "bucket--x-s3",
            "bucket--table-s3",
        ] {
            assert!(s3_bucket(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fixes_are_suggested_when_derivable() {
        let err = s3_bucket("My_SRE_Bucket").expect_err("uppercase");
        assert_eq!(err.suggestion.as_deref(), Some("use \"my-sre-bucket\""));
        let err = s3_bucket("xn--specs").expect_err("prefix");
        assert_eq!(err.suggestion.as_deref(), Some("use \"specs\""));
        assert_eq!(s3_bucket("10.0.0.1").expect_err("ip").suggestion, None);
    }

    #[test]
    fn near_ip_forms_are_allowed() {
        assert!(s3_bucket("10.0.0.1a").is_ok());
        assert!(s3_bucket("1.2.3").is_ok());
    }

    proptest::proptest! {
        /// A suggested bucket name always passes every rule.
        #[test]
        fn suggested_bucket_names_are_valid(input in "\\PC{0,90}") {
            if let Err(problem) = s3_bucket(&input)
                && let Some(suggestion) = problem.suggestion {
                    let name = suggestion.trim_start_matches("use \"").trim_end_matches('"');
                    proptest::prop_assert!(s3_bucket(name).is_ok(), "{name:?}");
                }
        }
    }
}

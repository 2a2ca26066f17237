//! Leftovers from templates: `YOUR_ACCOUNT_ID`, `REGION`, `<...>`, `example.com` domains.
//!
//! The scan walks every string in the config, so a placeholder is caught wherever it was left.

use serde_json::Value;

use super::Config;
use super::schema::config_view;
use crate::validate::{Finding, ValidationResult};

/// Upper-case words that only ever appear in templates.
const PLACEHOLDER_WORDS: &[&str] = &["REGION", "CHANGE_ME", "CHANGEME", "REPLACE_ME", "TODO", "FIXME"];
/// Domains reserved for documentation (RFC 2606).
const EXAMPLE_DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "example"];

/// Finds template placeholders left in any string field.
pub fn scan(config: &Config) -> ValidationResult {
    let mut result = ValidationResult::new();
    if let Ok(value) = serde_json::to_value(config) {
        walk(&value, "", &mut result);
    }
    result
}

fn walk(value: &Value, path: &str, result: &mut ValidationResult) {
    match value {
        Value::String(text) => {
            if let Some(placeholder) = find(text) {
                result.push(
                    Finding::error(
                        path,
                        format!("{path} still holds the template placeholder \"{placeholder}\""),
                    )
                    .suggest(match config_view().description(path) {
                        Some(what) => format!(
                            "replace \"{placeholder}\" with your own value: {}",
                            lowercase_first(what)
                        ),
                        None => format!("replace \"{placeholder}\" with your own value"),
                    }),
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), result);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(item, &child, result);
            }
        }
        _ => {}
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// The first placeholder in `text`, if any.
pub fn find(text: &str) -> Option<String> {
    if let Some(start) = text.find("YOUR_") {
        let word: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        return Some(word);
    }
    if let Some(word) = words(text).find(|w| PLACEHOLDER_WORDS.contains(w)) {
        return Some(word.to_string());
    }
    if let Some(start) = text.find('<')
        && let Some(len) = text[start..].find('>')
        && len > 1
    {
        return Some(text[start..=start + len].to_string());
    }
    example_domain(text)
}

/// Words separated by anything but letters and digits (`REGION_abc` holds the word `REGION`).
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .flat_map(|w| std::iter::once(w).chain(w.split('_')))
        .filter(|w| !w.is_empty())
}

/// A host in `text` that is, or is under, a documentation domain.
fn example_domain(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|host| host.trim_end_matches('.'))
        .find(|host| {
            EXAMPLE_DOMAINS
                .iter()
                .any(|d| *host == *d || host.ends_with(&format!(".{d}")))
        })
        .map(|host| {
            EXAMPLE_DOMAINS
                .iter()
                .find(|d| host == **d || host.ends_with(&format!(".{d}")))
                .map_or_else(|| host.to_string(), |d| (*d).to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind_of_placeholder() {
        assert_eq!(find("YOUR_ACCOUNT_ID").as_deref(), Some("YOUR_ACCOUNT_ID"));
        assert_eq!(
            find("arn:aws:iam::YOUR_ACCOUNT_ID:role/x").as_deref(),
            Some("YOUR_ACCOUNT_ID")
        );
        assert_eq!(find("REGION").as_deref(), Some("REGION"));
        assert_eq!(find("REGION_AbCdEf").as_deref(), Some("REGION"));
        assert_eq!(
            find("https://bedrock-agentcore-control.REGION.amazonaws.com").as_deref(),
            Some("REGION")
        );
        assert_eq!(find("<your-bucket>").as_deref(), Some("<your-bucket>"));
        assert_eq!(
            find("https://backend.example.com:8011").as_deref(),
            Some("example.com")
        );
        assert_eq!(find("example.org").as_deref(), Some("example.org"));
        assert_eq!(find("CHANGE_ME").as_deref(), Some("CHANGE_ME"));
    }

    #[test]
    fn leaves_real_values_alone() {
        for ok in [
            "us-east-1",
            "us-east-1_AbCdEf",
            "sre-agent-gateway",
            "https://backend.myexample.com:8011",
            "examples.corp.net",
            "Region",
            "a<b",
            "env:BACKEND_API_KEY",
            "REGIONAL",
        ] {
            assert_eq!(find(ok), None, "{ok}");
        }
    }

    #[test]
    fn scan_names_the_field() {
        let mut config = Config::default();
        config.aws.account_id = "YOUR_ACCOUNT_ID".into();
        config.tls.domain_name = "backend.example.com".into();
        let result = scan(&config);
        let fields: Vec<&str> = result.findings.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["aws.account_id", "tls.domain_name"]);
        assert!(result.findings[0].message.contains("YOUR_ACCOUNT_ID"));
    }
}

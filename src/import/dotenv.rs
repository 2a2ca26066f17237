//! The original `.env` files: `KEY=VALUE` lines, with an optional `export ` prefix, single or
//! double quotes, and `#` comments.
//!
//! This module owns that parser. Values here can be secrets: `Debug` lists only the names, and
//! nothing in this module puts a value into a message. It must not decide what a variable means
//! (`map` does).

use std::fmt;

/// The variables of one `.env` file.
#[derive(Clone, Default)]
pub struct DotEnv {
    vars: Vec<(String, String)>,
    /// Lines that are neither blank, a comment, nor `KEY=VALUE` (1-based).
    pub skipped: Vec<usize>,
}

impl fmt::Debug for DotEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DotEnv")
            .field("names", &self.vars.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("skipped", &self.skipped)
            .finish()
    }
}

impl DotEnv {
    pub fn parse(text: &str) -> Self {
        let mut env = Self::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let body = trimmed.strip_prefix("export ").map_or(trimmed, str::trim_start);
            let parsed = body.split_once('=').and_then(|(key, value)| {
                let key = key.trim();
                is_name(key).then(|| (key.to_string(), parse_value(value)))
            });
            match parsed {
                Some(var) => env.vars.push(var),
                None => env.skipped.push(index + 1),
            }
        }
        env
    }

    /// The value of `name` when it is set and not empty; the last assignment wins.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn is_name(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value after `=`: quoted (single quotes literal; double quotes with `\"`, `\\`, `\n`
/// escapes), or bare up to a ` #` comment.
fn parse_value(value: &str) -> String {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('\'') {
        return rest.find('\'').map_or(rest, |end| &rest[..end]).to_string();
    }
    if let Some(rest) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                other => out.push(other),
            }
        }
        return out;
    }
    let end = value
        .char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || value[..i].ends_with(char::is_whitespace)))
        .map_or(value.len(), |(i, _)| i);
    value[..end].trim().to_string()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_the_usual_forms() {
        let env = DotEnv::parse(
            "# Cognito\nCOGNITO_DOMAIN=https://sre.auth.us-east-1.amazoncognito.com\n\
             export COGNITO_CLIENT_ID=abc123 # the app client\n\
             COGNITO_CLIENT_SECRET=\"s3cr#t \\\"x\\\"\"\n\
             BACKEND_API_KEY='k#1 2'\nEMPTY=\nnot a line\n1BAD=x\n",
        );
        assert_eq!(
            env.get("COGNITO_DOMAIN"),
            Some("https://sre.auth.us-east-1.amazoncognito.com")
        );
        assert_eq!(env.get("COGNITO_CLIENT_ID"), Some("abc123"));
        assert_eq!(env.get("COGNITO_CLIENT_SECRET"), Some("s3cr#t \"x\""));
        assert_eq!(env.get("BACKEND_API_KEY"), Some("k#1 2"));
        assert_eq!(env.get("EMPTY"), None);
        assert_eq!(env.skipped, [7, 8]);
    }

    #[test]
    fn debug_never_shows_values() {
        let env = DotEnv::parse("BACKEND_API_KEY=hunter2-value\n");
        let shown = format!("{env:?}");
        assert!(shown.contains("BACKEND_API_KEY"));
        assert!(!shown.contains("hunter2"));
    }

    proptest! {
        /// A value in single quotes comes back exactly, whatever it holds besides a quote.
        #[test]
        fn single_quoted_values_round_trip(value in "[^'\r\n]{1,40}", export in any::<bool>()) {
            let prefix = if export { "export " } else { "" };
            let env = DotEnv::parse(&format!("{prefix}SOME_KEY='{value}' # note\n"));
            prop_assert_eq!(env.get("SOME_KEY"), Some(value.as_str()));
        }

        /// A bare value without whitespace or `#` comes back exactly, comment or not.
        #[test]
        fn bare_values_round_trip(value in "[^\\s#'\"]{1,40}", comment in any::<bool>()) {
            let line = if comment { format!("K={value} # c") } else { format!("K={value}") };
            let env = DotEnv::parse(&line);
            prop_assert_eq!(env.get("K"), Some(value.as_str()));
        }
    }
}

//! Secret references (`env:NAME`, `file:PATH`) and the redacting type that holds a resolved value.
//!
//! A config file never holds a secret value. A plain value written where a reference belongs is
//! kept only as the fact that it was there ([`SecretRef::Literal`]); the value itself is dropped
//! while loading, so no later code can print, log or save it.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::environment::Environment;
use crate::validate::Problem;

/// A resolved secret value: `Debug` prints `[REDACTED]`, and it cannot be serialized.
pub type Secret = SecretString;

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// `env:NAME`: the value of an environment variable.
    Env(String),
    /// `file:PATH`: the contents of a file (relative paths are relative to the config file).
    File(PathBuf),
    /// Something other than a reference was written (a plain value, or an empty string). The value
    /// was dropped when loading and is written back as an empty string.
    Literal,
}

impl SecretRef {
    /// Classifies a string from the config. Anything that is not a reference is a literal.
    pub fn parse(value: &str) -> Self {
        if let Some(name) = value.strip_prefix("env:") {
            Self::Env(name.to_string())
        } else if let Some(path) = value.strip_prefix("file:") {
            Self::File(PathBuf::from(path))
        } else {
            Self::Literal
        }
    }

    /// Checks the form of the reference without looking at the environment or the disk.
    /// `env_hint` is the variable name suggested when a literal has to be replaced.
    pub fn check_form(&self, env_hint: &str) -> Result<(), Problem> {
        match self {
            Self::Literal => Err(literal_problem(env_hint)),
            Self::Env(name) if !is_env_var_name(name) => Err(Problem::new(format!(
                "\"env:{name}\" does not name a valid environment variable"
            ))
            .suggest(format!(
                "use letters, digits and underscores, such as env:{env_hint}"
            ))),
            Self::File(path) if path.as_os_str().is_empty() => {
                Err(Problem::new("\"file:\" needs a path").suggest("write file:/path/to/secret"))
            }
            _ => Ok(()),
        }
    }

    /// Resolves the reference to its value.
    pub fn resolve(&self, env: &dyn Environment, base_dir: &Path) -> Result<Secret, Problem> {
        match self {
            Self::Env(name) => match env.var(name) {
                Some(value) if !value.is_empty() => Ok(SecretString::from(value)),
                Some(_) => Err(Problem::new(format!("the environment variable {name} is empty"))
                    .suggest(format!("export {name}=<value> before running"))),
                None => Err(
                    Problem::new(format!("the environment variable {name} is not set"))
                        .suggest(format!("export {name}=<value> before running")),
                ),
            },
            Self::File(path) => {
                let full = base_dir.join(path);
                match std::fs::read_to_string(&full) {
                    Ok(text) if !text.trim().is_empty() => Ok(SecretString::from(
                        text.trim_end_matches(['\r', '\n']).to_string(),
                    )),
                    Ok(_) => Err(Problem::new(format!(
                        "the secret file {} is empty",
                        full.display()
                    ))),
                    Err(e) => Err(Problem::new(format!(
                        "cannot read the secret file {}: {e}",
                        full.display()
                    ))
                    .suggest(
                        "check the path (relative paths are relative to the config file) and its permissions",
                    )),
                }
            }
            Self::Literal => Err(literal_problem("SECRET")),
        }
    }
}

fn literal_problem(env_hint: &str) -> Problem {
    Problem::new(
        "is not a secret reference (env:NAME or file:PATH); secret values are never written in the file",
    )
    .suggest(format!(
        "remove the value from the file, `export {env_hint}=...` and write `env:{env_hint}`, \
         or store it in a file readable only by you and write `file:/path/to/secret`"
    ))
}

fn is_env_var_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => write!(f, "env:{name}"),
            Self::File(path) => write!(f, "file:{}", path.display()),
            Self::Literal => f.write_str("<plain value, not shown>"),
        }
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Ok(Self::parse(&value))
    }
}

impl Serialize for SecretRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Literal => serializer.serialize_str(""),
            other => serializer.collect_str(other),
        }
    }
}

impl JsonSchema for SecretRef {
    fn schema_name() -> Cow<'static, str> {
        "SecretRef".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(env|file):.+$",
            "description": "A reference to a secret, never the value: `env:NAME` (an environment variable) or `file:PATH` (a file; relative to the config file)."
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn parse_classifies_references() {
        assert_eq!(SecretRef::parse("env:API_KEY"), SecretRef::Env("API_KEY".into()));
        assert_eq!(
            SecretRef::parse("file:/run/key"),
            SecretRef::File("/run/key".into())
        );
        assert_eq!(SecretRef::parse("s3cr3t"), SecretRef::Literal);
    }

    #[test]
    fn literal_is_an_error_that_never_echoes_the_value() {
        let r: SecretRef = serde_json::from_str("\"hunter2-secret\"").expect("parses");
        let problem = r.check_form("BACKEND_API_KEY").expect_err("literal");
        assert!(
            problem
                .suggestion
                .as_deref()
                .is_some_and(|s| s.contains("env:BACKEND_API_KEY"))
        );
        assert!(!format!("{r:?}{r}{problem:?}").contains("hunter2"));
        assert_eq!(serde_json::to_string(&r).expect("serialize"), "\"\"");
    }

    #[test]
    fn bad_env_names_are_rejected() {
        assert!(SecretRef::Env("1BAD".into()).check_form("X").is_err());
        assert!(SecretRef::Env("has-dash".into()).check_form("X").is_err());
        assert!(SecretRef::Env("GOOD_1".into()).check_form("X").is_ok());
        assert!(SecretRef::File(PathBuf::new()).check_form("X").is_err());
    }

    #[test]
    fn resolve_reads_env_and_files() {
        let env = HashMap::from([("KEY".to_string(), "v4lue".to_string())]);
        let secret = SecretRef::Env("KEY".into())
            .resolve(&env, Path::new("."))
            .expect("set");
        assert_eq!(secret.expose_secret(), "v4lue");
        assert!(!format!("{secret:?}").contains("v4lue"));
        let missing = SecretRef::Env("NOPE".into())
            .resolve(&env, Path::new("."))
            .expect_err("unset");
        assert!(missing.message.contains("NOPE"));

        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("key.txt"), "from-file\n").expect("write");
        let secret = SecretRef::File("key.txt".into())
            .resolve(&env, dir.path())
            .expect("file");
        assert_eq!(secret.expose_secret(), "from-file");
        assert!(
            SecretRef::File("absent".into())
                .resolve(&env, dir.path())
                .is_err()
        );
    }

    #[test]
    fn round_trips_references() {
        for text in ["\"env:A_B\"", "\"file:secrets/key\""] {
            let r: SecretRef = serde_json::from_str(text).expect("parse");
            assert_eq!(serde_json::to_string(&r).expect("serialize"), text);
        }
    }
}

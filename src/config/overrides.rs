//! The environment and flag layers: values that replace the file's, in the order file <
//! environment < flags, with a record of where each replaced value came from.
//!
//! Overrides are applied to the parsed file before it becomes typed models, so one mechanism
//! serves every scalar field. Secrets only ever arrive as references: an environment variable that
//! holds a secret becomes `env:<that variable>`, and a flag may not carry a secret value.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use super::environment::Environment;
use super::schema::{SchemaView, Segment, parse_path};
use crate::validate::rules;

/// Prefix of the namespaced variables: `SRE_AGENT_DEPLOY_<SECTION>_<FIELD>`.
pub const ENV_PREFIX: &str = "SRE_AGENT_DEPLOY_";

/// Variable names the original setup scripts used, and the field each sets.
pub const LEGACY_ENV: &[(&str, &str)] = &[
    ("AWS_REGION", "aws.region"),
    ("AWS_PROFILE", "aws.profile"),
    ("COGNITO_DOMAIN", "cognito.cognito_domain"),
    ("COGNITO_CLIENT_ID", "cognito.client_id"),
    ("COGNITO_CLIENT_SECRET", "cognito.client_secret"),
    ("COGNITO_USER_POOL_ID", "cognito.user_pool_id"),
    ("BACKEND_API_KEY", "gateway.api_key"),
];

/// Fields that hold secret references.
pub const SECRET_FIELDS: &[&str] = &["cognito.client_secret", "gateway.api_key"];

/// Fields that hold paths; relative paths from the environment or flags are relative to the
/// current folder, so they are made absolute before they meet the config file's folder.
const PATH_FIELDS: &[&str] = &[
    "tls.ssl_cert_path",
    "tls.ssl_key_path",
    "tls.ca_bundle_path",
    "deployment.state_file",
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Env(String),
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => write!(f, "environment variable {name}"),
            Self::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// One value that replaces the file's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub path: String,
    pub value: String,
    pub source: Source,
}

/// An override that cannot be applied: an unknown field, a wrong type, a secret value on the
/// command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    pub source: Source,
    pub message: String,
    pub suggestion: Option<String>,
}

/// The environment variable name for a field: `aws.region` → `SRE_AGENT_DEPLOY_AWS_REGION`.
pub fn env_name(field: &str) -> String {
    format!("{ENV_PREFIX}{}", field.replace('.', "_").to_ascii_uppercase())
}

/// Overrides from the environment: legacy names first, then namespaced ones (which win).
/// Empty variables are ignored.
pub fn from_env(env: &dyn Environment, schema: &SchemaView) -> Vec<Override> {
    let legacy = LEGACY_ENV
        .iter()
        .map(|(name, field)| ((*name).to_string(), (*field).to_string()));
    let namespaced = schema
        .scalar_fields()
        .into_iter()
        .map(|field| (env_name(&field), field));
    legacy
        .chain(namespaced)
        .filter_map(|(name, field)| {
            let value = env.var(&name).filter(|v| !v.is_empty())?;
            let value = if SECRET_FIELDS.contains(&field.as_str()) {
                format!("env:{name}")
            } else {
                value
            };
            Some(Override {
                path: field,
                value,
                source: Source::Env(name),
            })
        })
        .collect()
}

/// Parses a `--set PATH=VALUE` flag.
pub fn parse_set(raw: &str) -> Result<Override, OverrideError> {
    let source = Source::Flag(format!("--set {raw}"));
    match raw.split_once('=') {
        Some((path, value)) if !path.trim().is_empty() => Ok(Override {
            path: path.trim().to_string(),
            value: value.to_string(),
            source: Source::Flag(format!("--set {}", path.trim())),
        }),
        _ => Err(OverrideError {
            source,
            message: "expected PATH=VALUE".into(),
            suggestion: Some("write it as --set aws.region=us-west-2".into()),
        }),
    }
}

/// Applies overrides in order to the parsed config file, returning where each field came from.
pub fn apply(
    document: &mut Value,
    overrides: &[Override],
    schema: &SchemaView,
    cwd: &Path,
) -> Result<BTreeMap<String, Source>, OverrideError> {
    let mut sources = BTreeMap::new();
    for o in overrides {
        let value = typed_value(o, schema, cwd)?;
        let segments = parse_path(&o.path).ok_or_else(|| unknown_field(o, schema))?;
        set(document, &segments, value).map_err(|message| OverrideError {
            source: o.source.clone(),
            message,
            suggestion: None,
        })?;
        sources.insert(o.path.clone(), o.source.clone());
    }
    Ok(sources)
}

/// Converts the override's text to the field's JSON type, refusing secrets given as values.
fn typed_value(o: &Override, schema: &SchemaView, cwd: &Path) -> Result<Value, OverrideError> {
    let fail = |message: String, suggestion: Option<String>| OverrideError {
        source: o.source.clone(),
        message,
        suggestion,
    };
    let node = parse_path(&o.path)
        .and_then(|p| schema.node_at(&p))
        .ok_or_else(|| unknown_field(o, schema))?;
    let types = schema.types(node);
    if types.contains(&"integer") {
        return o.value.trim().parse::<i64>().map(Value::from).map_err(|_| {
            fail(
                format!("{} must be a whole number, got \"{}\"", o.path, o.value),
                None,
            )
        });
    }
    if !types.contains(&"string") {
        return Err(fail(
            format!("{} is not a single value; set it in the config file", o.path),
            None,
        ));
    }
    if SECRET_FIELDS.contains(&o.path.as_str())
        && !(o.value.starts_with("env:") || o.value.starts_with("file:"))
    {
        return Err(fail(
            format!(
                "{} takes a reference (env:NAME or file:PATH), never a secret value on the command line",
                o.path
            ),
            Some(format!(
                "export the value in a variable and pass --set {}=env:NAME",
                o.path
            )),
        ));
    }
    let absolute = |p: &str| cwd.join(p).to_string_lossy().into_owned();
    let value = if PATH_FIELDS.contains(&o.path.as_str()) {
        absolute(&o.value)
    } else if let Some(path) = o
        .value
        .strip_prefix("file:")
        .filter(|_| SECRET_FIELDS.contains(&o.path.as_str()))
    {
        format!("file:{}", absolute(path))
    } else {
        o.value.clone()
    };
    Ok(Value::String(value))
}

fn unknown_field(o: &Override, schema: &SchemaView) -> OverrideError {
    let fields = schema.scalar_fields();
    let suggestion = rules::closest(&o.path, fields.iter().map(String::as_str))
        .map(|near| format!("did you mean {near}?"))
        .or_else(|| Some("fields are dotted paths such as aws.region or tls.warn_days".into()));
    OverrideError {
        source: o.source.clone(),
        message: format!("\"{}\" is not a config field", o.path),
        suggestion,
    }
}

/// Sets `value` at `segments`, creating missing objects on the way.
fn set(document: &mut Value, segments: &[Segment], value: Value) -> Result<(), String> {
    if document.is_null() {
        *document = Value::Object(Map::new());
    }
    let Some((last, parents)) = segments.split_last() else {
        return Err("empty field path".into());
    };
    let mut node = document;
    for segment in parents {
        node = match segment {
            Segment::Key(key) => {
                let object = node.as_object_mut().ok_or_else(|| {
                    format!("cannot set {key}: its parent is not a mapping in the config file")
                })?;
                let child = object.entry(key.clone()).or_insert(Value::Null);
                if child.is_null() {
                    *child = Value::Object(Map::new());
                }
                child
            }
            Segment::Index(i) => node
                .as_array_mut()
                .and_then(|items| items.get_mut(*i))
                .ok_or_else(|| format!("there is no item {i} in the config file's list"))?,
        };
    }
    match last {
        Segment::Key(key) => {
            node.as_object_mut()
                .ok_or_else(|| format!("cannot set {key}: its parent is not a mapping in the config file"))?
                .insert(key.clone(), value);
        }
        Segment::Index(i) => {
            *node
                .as_array_mut()
                .and_then(|items| items.get_mut(*i))
                .ok_or_else(|| format!("there is no item {i} in the config file's list"))? = value;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn legacy_and_namespaced_variables_map_to_fields() {
        let schema = SchemaView::default();
        let overrides = from_env(
            &env(&[
                ("AWS_REGION", "eu-west-1"),
                ("SRE_AGENT_DEPLOY_AWS_REGION", "eu-central-1"),
                ("BACKEND_API_KEY", "s3cr3t"),
                ("COGNITO_DOMAIN", ""),
            ]),
            &schema,
        );
        let mut doc = json!({"aws": {"region": "us-east-1"}});
        let sources = apply(&mut doc, &overrides, &schema, Path::new("/")).expect("applies");
        assert_eq!(doc["aws"]["region"], "eu-central-1");
        assert_eq!(doc["gateway"]["api_key"], "env:BACKEND_API_KEY");
        assert!(!doc.to_string().contains("s3cr3t"));
        assert_eq!(
            sources["aws.region"],
            Source::Env("SRE_AGENT_DEPLOY_AWS_REGION".into())
        );
        assert!(doc.get("cognito").is_none());
    }

    #[test]
    fn flags_are_typed_and_paths_made_absolute() {
        let schema = SchemaView::default();
        let flags = [
            parse_set("tls.warn_days=45").expect("set"),
            parse_set("tls.ssl_cert_path=certs/c.pem").expect("set"),
            parse_set("gateway.targets[0].backend_url=https://b.corp:1").expect("set"),
        ];
        let mut doc = json!({"gateway": {"targets": [{"name": "a"}]}});
        apply(&mut doc, &flags, &schema, Path::new("/work")).expect("applies");
        assert_eq!(doc["tls"]["warn_days"], 45);
        assert_eq!(doc["tls"]["ssl_cert_path"], "/work/certs/c.pem");
        assert_eq!(doc["gateway"]["targets"][0]["backend_url"], "https://b.corp:1");
    }

    #[test]
    fn bad_overrides_are_refused_with_a_reason() {
        let schema = SchemaView::default();
        let mut doc = json!({});
        for (raw, expect) in [
            ("aws.regoin=x", "did you mean aws.region?"),
            ("tls.warn_days=soon", "whole number"),
            ("gateway.api_key=plain", "never a secret value"),
            ("gateway.targets[3].name=x", "no item 3"),
            ("gateway.targets=x", "not a single value"),
        ] {
            let o = parse_set(raw).expect("syntax");
            let err = apply(&mut doc, &[o], &schema, Path::new("/")).expect_err(raw);
            let text = format!("{} {}", err.message, err.suggestion.unwrap_or_default());
            assert!(text.contains(expect), "{raw}: {text}");
        }
        assert!(parse_set("novalue").is_err());
    }
}

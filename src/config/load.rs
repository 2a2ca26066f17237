//! Loading: read the YAML file, report unknown keys, apply the environment and flag layers, turn
//! the result into typed models. Validation of the values happens afterwards, on the models.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::overrides::{self, Override, OverrideError, Source};
use super::schema::{SchemaView, config_view};
use super::{Config, Environment, ValidationContext};
use crate::validate::{Finding, ValidationResult, rules};

/// A config file bigger than this is refused before parsing.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Why a config file could not be loaded at all (as opposed to loading with findings).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the config file {path} is {size} bytes; the limit is {MAX_CONFIG_BYTES} bytes")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{path}:{line}:{column}: invalid YAML: {message}")]
    Syntax {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
    #[error(
        "{path}: the top level must be a mapping with the sections aws, cognito, gateway, tls and deployment"
    )]
    NotAMapping { path: PathBuf },
    #[error("{}: {}", .0.source, .0.message)]
    Override(OverrideError),
}

/// A loaded config, or the findings that stopped it from becoming one.
#[derive(Debug)]
pub struct Loaded {
    /// The config file that was read.
    pub path: PathBuf,
    /// The file's folder; relative paths in the config are relative to it.
    pub base_dir: PathBuf,
    /// The typed config; `None` when a value had the wrong type.
    pub config: Option<Config>,
    /// Findings from loading: unknown keys and wrongly typed values.
    pub findings: ValidationResult,
    /// Fields whose value came from the environment or a flag.
    pub sources: BTreeMap<String, Source>,
    /// Migrations applied in memory to an older file (see `config migrate`).
    pub notices: Vec<String>,
}

/// Reads `path`, applies the environment's and then the flags' overrides, and builds the models.
pub fn load(path: &Path, env: &dyn Environment, flags: &[Override]) -> Result<Loaded, LoadError> {
    let text = read(path)?;
    load_text(path, &text, env, flags)
}

/// Like [`load`], but a file that does not exist yet is an empty config of the current version
/// (the wizard starts from it, with the environment's and flags' values already in).
pub fn load_or_new(path: &Path, env: &dyn Environment, flags: &[Override]) -> Result<Loaded, LoadError> {
    if path.exists() {
        load(path, env, flags)
    } else {
        load_text(path, &format!("version: {}\n", super::CONFIG_VERSION), env, flags)
    }
}

fn load_text(
    path: &Path,
    text: &str,
    env: &dyn Environment,
    flags: &[Override],
) -> Result<Loaded, LoadError> {
    let mut document = parse(path, text)?;
    let notices = super::migrate::migrate_document(&mut document)
        .into_iter()
        .map(|n| {
            format!(
                "{}: {n}; run `sre-agent-deploy config migrate --config {}` to update the file",
                path.display(),
                path.display()
            )
        })
        .collect();
    let schema = config_view();
    let mut findings = ValidationResult::new();
    unknown_keys(schema, schema.root(), &document, "", &mut findings);
    scalars_as_text(schema, schema.root(), &mut document);

    let cwd = std::env::current_dir().unwrap_or_default();
    let mut layers = overrides::from_env(env, schema);
    layers.extend_from_slice(flags);
    let sources = overrides::apply(&mut document, &layers, schema, &cwd).map_err(LoadError::Override)?;

    let config = match serde_path_to_error::deserialize::<_, Config>(document) {
        Ok(config) => Some(config),
        Err(e) => {
            let field = e.path().to_string();
            findings.push(
                Finding::error(
                    field.clone(),
                    format!("{field} has the wrong type: {}", e.inner()),
                )
                .suggest("compare with `sre-agent-deploy init` or schemas/config.schema.json"),
            );
            None
        }
    };
    let base_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok(Loaded {
        path: path.to_path_buf(),
        base_dir,
        config,
        findings,
        sources,
        notices,
    })
}

impl Loaded {
    /// All findings: loading's, then the models' validation, each annotated with the environment
    /// variable or flag its value came from.
    pub fn validate(&self, env: &dyn Environment) -> ValidationResult {
        let mut result = self.findings.clone();
        if let Some(config) = &self.config {
            let ctx = ValidationContext {
                base_dir: &self.base_dir,
                env,
            };
            result.extend(config.validate(&ctx));
        }
        for finding in &mut result.findings {
            if let Some(source) = self.sources.get(&finding.field) {
                finding.message = format!("{} (value from {source})", finding.message);
            }
        }
        result.findings.sort_by_key(|f| section_rank(f.section()));
        result
    }
}

/// Findings are listed in the order of the file's sections; file-level ones come first.
fn section_rank(section: &str) -> usize {
    ["aws", "cognito", "gateway", "tls", "verify", "deployment"]
        .iter()
        .position(|s| *s == section)
        .map_or(0, |i| i + 1)
}

fn read(path: &Path) -> Result<String, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_CONFIG_BYTES {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            size,
        });
    }
    std::fs::read_to_string(path).map_err(read_error)
}

fn parse(path: &Path, text: &str) -> Result<Value, LoadError> {
    let document: Value = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        LoadError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: first_line(&e.to_string()),
        }
    })?;
    match document {
        Value::Null => Ok(Value::Object(serde_json::Map::new())),
        Value::Object(_) => Ok(without_nulls(document)),
        _ => Err(LoadError::NotAMapping {
            path: path.to_path_buf(),
        }),
    }
}

/// Drops keys whose value is null: a section whose keys are all commented out, or `key:` with no
/// value, means the same as leaving the key out.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim().to_string()
}

/// YAML reads `account_id: 123456789012` or `s3_path_prefix: 2024` as numbers; where the field is
/// text, the scalar is taken as the text it was written as (a float with no fraction, such as
/// `012345678901`, loses only its leading zero, which validation then explains).
fn scalars_as_text(schema: &SchemaView, node: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            let Some(known) = schema.properties(node) else {
                return;
            };
            for (key, child) in map.iter_mut() {
                if let Some(child_node) = known.get(key) {
                    scalars_as_text(schema, child_node, child);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = schema.items(node) {
                for item in items {
                    scalars_as_text(schema, item_node, item);
                }
            }
        }
        Value::Number(n) if schema.types(node) == ["string"] || schema.types(node) == ["string", "null"] => {
            let text = match n.as_f64() {
                #[allow(clippy::cast_possible_truncation)]
                Some(f) if !n.is_i64() && !n.is_u64() && f.fract() == 0.0 && f.abs() < 1e15 => {
                    format!("{}", f as i64)
                }
                _ => n.to_string(),
            };
            *value = Value::String(text);
        }
        Value::Bool(b) if schema.types(node).first() == Some(&"string") => {
            *value = Value::String(b.to_string());
        }
        _ => {}
    }
}

/// Reports every key the schema does not know, with the closest known key.
fn unknown_keys(schema: &SchemaView, node: &Value, value: &Value, path: &str, out: &mut ValidationResult) {
    match value {
        Value::Object(map) => {
            let Some(known) = schema.properties(node) else {
                return;
            };
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if let Some(child_node) = known.get(key) {
                    unknown_keys(schema, child_node, child, &child_path, out);
                } else {
                    let where_ = if path.is_empty() {
                        "at the top level".to_string()
                    } else {
                        format!("in {path}")
                    };
                    let finding = Finding::error(child_path, format!("unknown key \"{key}\" {where_}"));
                    out.push(match rules::closest(key, known.keys().map(String::as_str)) {
                        Some(near) => finding.suggest(format!("did you mean \"{near}\"?")),
                        None => finding.suggest(format!(
                            "known keys here: {}",
                            known.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
                        )),
                    });
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_node) = schema.items(node) {
                for (i, item) in items.iter().enumerate() {
                    unknown_keys(schema, item_node, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

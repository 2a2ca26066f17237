//! Templates shipped inside the binary: the commented example config and the four OpenAPI spec
//! templates for the SRE agent's backend APIs.
//!
//! This module only hands out template text and resolves a target's `spec` to a template or file;
//! rendering and uploading belong to provisioning.

use std::path::Path;

use crate::validate::{Problem, rules};

/// The fully commented example config written by `sre-agent-deploy init`.
pub const CONFIG_EXAMPLE: &str = include_str!("../templates/config.example.yaml");

/// Built-in OpenAPI spec templates, by the name a target's `spec` uses.
pub const BUILTIN_SPECS: &[(&str, &str)] = &[
    ("kubernetes", include_str!("../templates/openapi/kubernetes.yaml")),
    ("logs", include_str!("../templates/openapi/logs.yaml")),
    ("metrics", include_str!("../templates/openapi/metrics.yaml")),
    ("runbooks", include_str!("../templates/openapi/runbooks.yaml")),
];

/// Other names people use for the built-in specs.
const ALIASES: &[(&str, &str)] = &[("k8s", "kubernetes"), ("runbook", "runbooks"), ("log", "logs")];

/// The built-in template a `spec` value names, if it names one.
pub fn builtin_spec(name: &str) -> Option<&'static str> {
    let name = ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, target)| *target);
    BUILTIN_SPECS
        .iter()
        .find(|(builtin, _)| *builtin == name)
        .map(|(_, text)| *text)
}

/// Checks that a target's `spec` names a built-in template or an existing file (relative paths
/// are relative to `base_dir`, the config file's folder).
pub fn check_spec(spec: &str, base_dir: &Path) -> Result<(), Problem> {
    if builtin_spec(spec).is_some() {
        return Ok(());
    }
    let extension = Path::new(spec)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let looks_like_path = spec.contains('/')
        || ["yaml", "yml", "json"]
            .iter()
            .any(|e| extension.eq_ignore_ascii_case(e));
    if looks_like_path {
        let path = base_dir.join(spec);
        return match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(()),
            Ok(_) => Err(Problem::new(format!("the spec {} is not a file", path.display()))),
            Err(e) => Err(
                Problem::new(format!("cannot read the spec file {}: {e}", path.display()))
                    .suggest("check the path; relative paths are relative to the config file's folder"),
            ),
        };
    }
    let names = BUILTIN_SPECS.iter().map(|(n, _)| *n);
    let problem = Problem::new(format!(
        "\"{spec}\" is neither a built-in spec template nor a spec file path"
    ));
    Err(match rules::closest(spec, names) {
        Some(near) => problem.suggest(format!("did you mean \"{near}\"?")),
        None => problem
            .suggest("use one of kubernetes, logs, metrics, runbooks, or a path such as specs/my-api.yaml"),
    })
}

/// Renders a target's spec: a built-in template or a file, with `backend_url`, `backend_domain`
/// and the original scripts' `BACKEND_DOMAIN`.
pub fn render_spec(spec: &str, backend_url: &str, base_dir: &Path) -> Result<String, String> {
    let source = match builtin_spec(spec) {
        Some(text) => text.to_string(),
        None => {
            std::fs::read_to_string(base_dir.join(spec)).map_err(|e| format!("cannot read {spec}: {e}"))?
        }
    };
    let domain = url::Url::parse(backend_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.render_str(
        &source,
        minijinja::context! {
            backend_url => backend_url.trim_end_matches('/'),
            backend_domain => domain.clone(),
            BACKEND_DOMAIN => domain,
        },
    )
    .map(|mut text| {
        // The engine drops one trailing newline; keep the file's own ending.
        if source.ends_with('\n') && !text.ends_with('\n') {
            text.push('\n');
        }
        text
    })
    .map_err(|e| e.to_string())
}

/// The operationIds of an OpenAPI spec (YAML or JSON), in document order: the gateway names a
/// target's tools `<target>___<operationId>`.
pub fn operation_ids(spec: &str) -> Result<Vec<String>, String> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "patch", "head", "options", "trace",
    ];
    let value: serde_json::Value = serde_saphyr::from_str(spec).map_err(|e| e.to_string())?;
    let Some(paths) = value.get("paths").and_then(serde_json::Value::as_object) else {
        return Err("the spec has no paths".into());
    };
    Ok(paths
        .values()
        .filter_map(serde_json::Value::as_object)
        .flat_map(|item| item.iter())
        .filter(|(method, _)| METHODS.contains(&method.as_str()))
        .filter_map(|(_, op)| op.get("operationId")?.as_str().map(str::to_string))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_and_aliases_resolve() {
        for name in ["kubernetes", "k8s", "logs", "metrics", "runbooks"] {
            assert!(builtin_spec(name).is_some(), "{name}");
            assert!(check_spec(name, Path::new(".")).is_ok(), "{name}");
        }
    }

    #[test]
    fn unknown_names_get_the_closest_builtin() {
        let err = check_spec("metric", Path::new(".")).expect_err("unknown");
        assert_eq!(err.suggestion.as_deref(), Some("did you mean \"metrics\"?"));
    }

    #[test]
    fn spec_files_must_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("api.yaml"), "openapi: 3.0.3").expect("write");
        assert!(check_spec("api.yaml", dir.path()).is_ok());
        assert!(check_spec("specs/missing.yaml", dir.path()).is_err());
    }

    /// Every operation of a spec, as (path, method, operation).
    fn operations(spec: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
        let mut ops = Vec::new();
        for (path, item) in spec["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&method.as_str()) {
                    ops.push((path.clone(), method.clone(), op.clone()));
                }
            }
        }
        ops
    }

    #[test]
    fn builtin_specs_are_openapi_3_with_operation_ids_and_an_api_key_header() {
        let mut ids = std::collections::BTreeSet::new();
        for (name, text) in BUILTIN_SPECS {
            assert!(
                text.contains("{{ backend_url }}") && text.contains("{{ backend_domain }}"),
                "{name}"
            );
            let rendered = text
                .replace("{{ backend_url }}", "https://backend.corp.internal:8011")
                .replace("{{ backend_domain }}", "backend.corp.internal");
            assert!(
                !rendered.contains("{{") && !rendered.contains("{%"),
                "{name}: stray template syntax"
            );
            let spec: serde_json::Value = serde_saphyr::from_str(&rendered).expect(name);
            assert!(
                spec["openapi"].as_str().is_some_and(|v| v.starts_with("3.0")),
                "{name}"
            );
            assert_eq!(
                spec["servers"][0]["url"], "https://backend.corp.internal:8011",
                "{name}"
            );
            let scheme = &spec["components"]["securitySchemes"]["apiKey"];
            assert_eq!(scheme["type"], "apiKey", "{name}");
            assert_eq!(scheme["in"], "header", "{name}");
            assert_eq!(scheme["name"], "X-API-Key", "{name}");
            let ops = operations(&spec);
            assert!(ops.len() >= 4, "{name}");
            for (path, method, op) in ops {
                let id = op["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name} {method} {path}"));
                assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
                assert!(ids.insert(id.to_string()), "{id} is not unique");
            }
            assert_eq!(
                operation_ids(&rendered).map(|v| v.len()),
                Ok(operations(&spec).len()),
                "{name}"
            );
            for word in ["oneOf", "anyOf", "allOf"] {
                assert!(!rendered.contains(word), "{name} uses {word}");
            }
        }
    }

    #[test]
    fn config_example_parses_as_yaml() {
        let value: serde_json::Value = serde_saphyr::from_str(CONFIG_EXAMPLE).expect("example parses");
        for section in ["aws", "cognito", "gateway", "tls"] {
            assert!(value[section].is_object(), "{section}");
        }
    }
}

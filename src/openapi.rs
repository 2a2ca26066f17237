//! The rules a rendered OpenAPI spec must pass before it is uploaded for a gateway target: OpenAPI
//! 3.0 or 3.1, an `operationId` on every operation, no `oneOf`/`anyOf`/`allOf` (the gateway rejects
//! them), at least one `https://` server on the backend's domain, and no placeholder left
//! unrendered. Each problem names the file and the JSON path (`$.paths./pods.get`). Pure: the
//! caller renders and reads.

use serde_json::Value;

use crate::validate::Problem;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];
const COMPOSITIONS: [&str; 3] = ["oneOf", "anyOf", "allOf"];
/// Text that means a template was not fully rendered.
/// (`}}` alone is not one: YAML flow mappings end that way.)
const PLACEHOLDERS: [&str; 4] = ["{{", "{%", "${", "YOUR_"];

/// Every problem of the rendered spec `text` (from `file`) for a target served at `backend_url`.
pub fn check(text: &str, file: &str, backend_url: &str) -> Vec<Problem> {
    let at = |path: &str, message: String| Problem::new(format!("{file}: {path}: {message}"));
    let mut problems: Vec<Problem> = placeholders(text)
        .into_iter()
        .map(|(line, found)| {
            at(&format!("line {line}"), format!("\"{found}\" is left unrendered"))
                .suggest("use {{ backend_url }}, {{ backend_domain }} or {{BACKEND_DOMAIN}}, or remove it")
        })
        .collect();
    let spec: Value = match serde_saphyr::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(at("$", format!("not YAML or JSON: {e}")));
            return problems;
        }
    };
    let version = match spec.get("openapi") {
        Some(Value::String(v)) => Some(v.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    match version.as_deref() {
        Some(v) if v.starts_with("3.0") || v.starts_with("3.1") => {}
        Some(v) => problems.push(
            at("$.openapi", format!("version {v} is not OpenAPI 3.0 or 3.1"))
                .suggest("the gateway reads OpenAPI 3.0/3.1; convert Swagger 2.0 with swagger2openapi"),
        ),
        None => problems.push(
            at("$.openapi", "missing: this is not an OpenAPI 3 document".into())
                .suggest("start the spec with `openapi: 3.0.3`"),
        ),
    }
    problems.extend(operations(&spec).into_iter().map(|path| {
        at(&path, "this operation has no operationId".into())
            .suggest("add a unique operationId: the gateway names the tool <target>___<operationId>")
    }));
    let mut found = Vec::new();
    compositions(&spec, "$", &mut found);
    problems.extend(found.into_iter().map(|path| {
        at(&path, "oneOf/anyOf/allOf is not accepted by the gateway".into())
            .suggest("flatten the schema into one object with optional properties")
    }));
    if let Some(p) = servers(&spec, backend_url) {
        problems.push(at("$.servers", p.0).suggest(p.1));
    }
    problems
}

/// `(line, placeholder)` for each unrendered placeholder, first per line.
fn placeholders(text: &str) -> Vec<(usize, &'static str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with('#'))
        .filter_map(|(i, line)| {
            PLACEHOLDERS
                .iter()
                .find(|p| line.contains(*p))
                .map(|p| (i + 1, *p))
        })
        .collect()
}

/// JSON paths of operations without an operationId.
fn operations(spec: &Value) -> Vec<String> {
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flatten()
                .filter(|(method, _)| METHODS.contains(&method.as_str()))
                .filter(|(_, op)| {
                    op.get("operationId")
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                })
                .map(move |(method, _)| format!("$.paths.{path}.{method}"))
        })
        .collect()
}

fn compositions(value: &Value, path: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = format!("{path}.{key}");
                compositions(child, &child_path, found);
                if COMPOSITIONS.contains(&key.as_str()) {
                    found.push(child_path);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                compositions(child, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// The `servers` problem, if any: at least one `https://` URL on the backend's host.
fn servers(spec: &Value, backend_url: &str) -> Option<(String, String)> {
    let domain = url::Url::parse(backend_url)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    let urls: Vec<&str> = spec
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("url").and_then(Value::as_str))
        .collect();
    let on_domain = |u: &&str| {
        url::Url::parse(u).is_ok_and(|u| {
            u.scheme() == "https" && u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&domain))
        })
    };
    if urls.iter().any(on_domain) {
        return None;
    }
    let fix = format!(
        "add `servers: [{{url: \"{}\"}}]` (or use {{{{ backend_url }}}})",
        backend_url.trim_end_matches('/')
    );
    Some(if urls.is_empty() {
        (
            "no server URL: the gateway would not know where to call".into(),
            fix,
        )
    } else {
        (
            format!("no https:// server on {domain} (found: {})", urls.join(", ")),
            fix,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"openapi: 3.0.3
info: {title: t, version: "1"}
servers:
  - url: https://backend.corp.internal:8011
paths:
  /pods:
    get:
      operationId: listPods
      responses: {"200": {description: ok}}
"#;
    const BACKEND: &str = "https://backend.corp.internal:8011";

    fn messages(text: &str) -> Vec<String> {
        check(text, "specs/api.yaml", BACKEND)
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn a_good_spec_passes_and_so_do_the_builtins() {
        assert_eq!(messages(GOOD), Vec::<String>::new());
        assert_eq!(messages(&GOOD.replace("3.0.3", "3.1.0")), Vec::<String>::new());
        for (name, _) in crate::templates::BUILTIN_SPECS {
            let text =
                crate::templates::render_spec(name, BACKEND, std::path::Path::new(".")).expect("renders");
            assert_eq!(messages(&text), Vec::<String>::new(), "{name}");
        }
    }

    #[test]
    fn each_rule_has_its_failure_with_file_and_json_path() {
        let cases = [
            (
                GOOD.replace("openapi: 3.0.3", "swagger: \"2.0\""),
                "specs/api.yaml: $.openapi: missing",
            ),
            (
                GOOD.replace("3.0.3", "2.0"),
                "$.openapi: version 2.0 is not OpenAPI 3.0 or 3.1",
            ),
            (
                GOOD.replace("      operationId: listPods\n", ""),
                "$.paths./pods.get: this operation has no operationId",
            ),
            (
                format!("{GOOD}components:\n  schemas:\n    Pod:\n      oneOf: [{{type: string}}]\n"),
                "$.components.schemas.Pod.oneOf: oneOf/anyOf/allOf",
            ),
            (
                GOOD.replace("https://backend", "http://backend"),
                "$.servers: no https:// server on backend.corp.internal",
            ),
            (
                GOOD.replace("backend.corp.internal", "other.corp.internal"),
                "$.servers: no https:// server",
            ),
            (
                GOOD.replace("servers:\n  - url: https://backend.corp.internal:8011\n", ""),
                "$.servers: no server URL",
            ),
            (
                GOOD.replace("title: t", "title: \"{{ api_title }}\""),
                "line 2: \"{{\" is left unrendered",
            ),
            (
                GOOD.replace("title: t", "title: YOUR_API"),
                "line 2: \"YOUR_\" is left unrendered",
            ),
        ];
        for (text, expected) in cases {
            let found = messages(&text);
            assert!(
                found.iter().any(|m| m.contains(expected)),
                "expected {expected:?} in {found:?}"
            );
        }
    }

    #[test]
    fn unparsable_text_is_one_problem() {
        assert_eq!(messages("paths: [unclosed").len(), 1);
    }
}

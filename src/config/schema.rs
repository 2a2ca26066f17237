//! The config file's JSON Schema, generated from the models, and a view on it that answers "which
//! keys exist here" and "what type is this field" for unknown-key detection and overrides.

use serde_json::{Map, Value};

use super::Config;

/// Fields each definition requires. The models default every field so that a missing one becomes
/// a validation finding rather than a parse error; editors still learn here what must be filled in.
const REQUIRED: &[(&str, &[&str])] = &[
    ("", &["aws", "cognito", "gateway", "tls"]),
    ("AwsConfig", &["account_id", "region", "role_name"]),
    ("CognitoConfig", &["cognito_domain"]),
    ("GatewayConfig", &["gateway_name", "s3_bucket", "targets"]),
    ("TargetConfig", &["name", "spec", "backend_url"]),
    ("TlsConfig", &["domain_name", "ssl_cert_path", "ssl_key_path"]),
];

/// File name of the schema written next to a config (`init`, `import`), which the config's
/// `yaml-language-server` comment names.
pub const SCHEMA_FILE: &str = "sre-agent-deploy.schema.json";

/// The config schema as JSON, generated from the models.
pub fn config_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Config)).unwrap_or(Value::Null);
    for (definition, fields) in REQUIRED {
        let node = if definition.is_empty() {
            Some(&mut schema)
        } else {
            schema.get_mut("$defs").and_then(|d| d.get_mut(*definition))
        };
        if let Some(Value::Object(node)) = node {
            node.insert("required".into(), Value::from(fields.to_vec()));
        }
    }
    schema
}

/// The schema as committed to `schemas/config.schema.json`: pretty-printed, newline-terminated.
pub fn config_schema_text() -> String {
    committed_text(&config_schema())
}

/// A schema as the files in `schemas/` hold it: pretty-printed, newline-terminated.
pub fn committed_text(schema: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// One step of a field path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Parses `gateway.targets[0].name` into segments. Returns `None` for malformed paths.
pub fn parse_path(path: &str) -> Option<Vec<Segment>> {
    let mut segments = Vec::new();
    for part in path.split('.') {
        let key_end = part.find('[').unwrap_or(part.len());
        let key = &part[..key_end];
        if key.is_empty() {
            return None;
        }
        segments.push(Segment::Key(key.to_string()));
        let mut rest = &part[key_end..];
        while let Some(inner) = rest.strip_prefix('[') {
            let (index, after) = inner.split_once(']')?;
            segments.push(Segment::Index(index.parse().ok()?));
            rest = after;
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(segments)
}

/// Read access to a generated schema, following `$ref`s and optional (`anyOf` with null) wrappers.
pub struct SchemaView {
    root: Value,
}

impl Default for SchemaView {
    fn default() -> Self {
        Self::new(config_schema())
    }
}

/// The config schema's view, generated once per process.
pub fn config_view() -> &'static SchemaView {
    static VIEW: std::sync::LazyLock<SchemaView> = std::sync::LazyLock::new(SchemaView::default);
    &VIEW
}

impl SchemaView {
    pub fn new(root: Value) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Value {
        &self.root
    }

    /// Follows `$ref` and picks the non-null branch of `anyOf`/`oneOf`.
    pub fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        let mut node = node;
        for _ in 0..16 {
            if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
                let name = reference.rsplit('/').next().unwrap_or_default();
                match self.root.get("$defs").and_then(|d| d.get(name)) {
                    Some(target) => node = target,
                    None => return node,
                }
            } else if let Some(branches) = node
                .get("anyOf")
                .or_else(|| node.get("oneOf"))
                .and_then(Value::as_array)
            {
                match branches
                    .iter()
                    .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                {
                    Some(branch) => node = branch,
                    None => return node,
                }
            } else {
                return node;
            }
        }
        node
    }

    /// The properties of an object schema node.
    pub fn properties<'a>(&'a self, node: &'a Value) -> Option<&'a Map<String, Value>> {
        self.resolve(node).get("properties").and_then(Value::as_object)
    }

    /// The schema node of the items of an array schema node.
    pub fn items<'a>(&'a self, node: &'a Value) -> Option<&'a Value> {
        self.resolve(node).get("items")
    }

    /// The schema node at `path`, if the path names a field the schema knows.
    pub fn node_at(&self, path: &[Segment]) -> Option<&Value> {
        let mut node = &self.root;
        for segment in path {
            node = match segment {
                Segment::Key(key) => self.properties(node)?.get(key)?,
                Segment::Index(_) => self.items(node)?,
            };
        }
        Some(self.resolve(node))
    }

    /// The description of the field at a dotted `path`, if the schema has one.
    pub fn description(&self, path: &str) -> Option<&str> {
        let node = self.node_at(&parse_path(path)?)?;
        node.get("description").and_then(Value::as_str)
    }

    /// The JSON types a node accepts (`"string"`, `"integer"`, `"null"`...).
    pub fn types<'a>(&'a self, node: &'a Value) -> Vec<&'a str> {
        match self.resolve(node).get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// Dotted paths of every scalar field under each top-level section (`aws.region`, ...).
    pub fn scalar_fields(&self) -> Vec<String> {
        let mut fields = Vec::new();
        let Some(sections) = self.properties(&self.root) else {
            return fields;
        };
        for (section, node) in sections {
            let Some(props) = self.properties(node) else {
                continue;
            };
            for (key, field) in props {
                let types = self.types(field);
                if types
                    .iter()
                    .any(|t| matches!(*t, "string" | "integer" | "number" | "boolean"))
                {
                    fields.push(format!("{section}.{key}"));
                }
            }
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse() {
        assert_eq!(
            parse_path("gateway.targets[1].name"),
            Some(vec![
                Segment::Key("gateway".into()),
                Segment::Key("targets".into()),
                Segment::Index(1),
                Segment::Key("name".into()),
            ])
        );
        assert_eq!(parse_path("aws.region").map(|p| p.len()), Some(2));
        for bad in ["", "aws.", ".aws", "a[x]", "a[1", "a[1]b"] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn required_fields_are_marked_for_editors() {
        let schema = config_schema();
        assert_eq!(schema["required"][0], "aws");
        for (definition, fields) in REQUIRED.iter().skip(1) {
            let props = schema["$defs"][*definition]["properties"]
                .as_object()
                .expect(definition);
            for field in *fields {
                assert!(props.contains_key(*field), "{definition}.{field}");
            }
            assert_eq!(
                schema["$defs"][*definition]["required"].as_array().map(Vec::len),
                Some(fields.len())
            );
        }
    }

    #[test]
    fn view_finds_fields_and_types() {
        let view = SchemaView::default();
        let region = view
            .node_at(&parse_path("aws.region").expect("path"))
            .expect("known");
        assert_eq!(view.types(region), ["string"]);
        let warn = view
            .node_at(&parse_path("tls.warn_days").expect("path"))
            .expect("known");
        assert_eq!(view.types(warn), ["integer"]);
        let name = view.node_at(&parse_path("gateway.targets[0].name").expect("path"));
        assert!(name.is_some());
        assert!(view.node_at(&parse_path("aws.regoin").expect("path")).is_none());
    }

    #[test]
    fn scalar_fields_cover_the_sections() {
        let fields = SchemaView::default().scalar_fields();
        for expected in [
            "aws.region",
            "cognito.client_secret",
            "gateway.api_key",
            "tls.warn_days",
            "deployment.deployment_id",
        ] {
            assert!(fields.iter().any(|f| f == expected), "{expected} in {fields:?}");
        }
        assert!(!fields.iter().any(|f| f == "gateway.targets"));
    }
}

//! What changed between two configs, field by field, for the state file's config-change check
//! (`--resume`, a deploy of a changed file, the wizard's review).
//!
//! A field list rather than a text diff: the two configs come from different places (the state
//! file's copy and the file on disk, with environment and flags applied), so their text would
//! differ in comments and order where nothing that is deployed did.

use std::collections::{BTreeMap, BTreeSet};

use super::{Config, DeploymentConfig, VerifyConfig};

/// The config minus the sections that only say where the deployment's state is and how it is
/// checked: they do not change what is deployed.
pub fn without_locators(config: &Config) -> Config {
    Config {
        deployment: DeploymentConfig::default(),
        verify: VerifyConfig::default(),
        ..config.clone()
    }
}

/// Field-by-field differences between two configs (`  aws.region: "us-east-1" -> "us-west-2"`),
/// one per line, locators left out. Empty when nothing deployed differs.
pub fn config_diff(before: &Config, after: &Config) -> String {
    let flatten = |c: &Config| {
        let mut fields = BTreeMap::new();
        flatten_into(
            &serde_json::to_value(without_locators(c)).unwrap_or_default(),
            String::new(),
            &mut fields,
        );
        fields
    };
    let (old, new) = (flatten(before), flatten(after));
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter_map(|k| match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) if a != b => Some(format!("  {k}: {a} -> {b}")),
            (Some(a), None) => Some(format!("  {k}: {a} -> (removed)")),
            (None, Some(b)) => Some(format!("  {k}: (unset) -> {b}")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn flatten_into(value: &serde_json::Value, path: String, out: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten_into(v, child, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten_into(v, format!("{path}[{i}]"), out);
            }
        }
        other => {
            out.insert(path, other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lists_changed_fields() {
        let mut a = Config::default();
        a.aws.region = "us-east-1".into();
        let mut b = a.clone();
        b.aws.region = "us-west-2".into();
        b.cognito.scopes = vec!["x/y".into()];
        let diff = config_diff(&a, &b);
        assert!(
            diff.contains("aws.region: \"us-east-1\" -> \"us-west-2\""),
            "{diff}"
        );
        assert!(diff.contains("cognito.scopes[0]: (unset) -> \"x/y\""), "{diff}");
        assert_eq!(config_diff(&a, &a), "");
    }

    #[test]
    fn where_the_state_lives_is_not_a_change() {
        let a = Config::default();
        let mut b = a.clone();
        b.deployment.deployment_id = Some("d1".into());
        b.deployment.state_file = Some("elsewhere.json".into());
        assert_eq!(config_diff(&a, &b), "");
    }
}

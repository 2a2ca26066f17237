//! Config format versions: the chain of migrations that bring an older file up to
//! [`CONFIG_VERSION`], applied to the parsed document before anything else reads it, and the same
//! change as a text edit for `sre-agent-deploy config migrate` (which keeps the file's comments).
//! A file from a newer version is left alone here; validation refuses it with "upgrade the tool".
//!
//! History:
//! - version 0: files written before the format carried `version:` (the key was optional and
//!   defaulted silently). Migration: add `version: 1`; nothing else changed.
//! - version 1: the current format.

use serde_json::Value;

use super::CONFIG_VERSION;

/// One step of the chain: from `from` to `from + 1`.
struct Migration {
    from: u32,
    /// What changed, for the notice.
    summary: &'static str,
    /// The change on the parsed document.
    document: fn(&mut serde_json::Map<String, Value>),
    /// The same change on the file's text.
    text: fn(&str) -> String,
}

const MIGRATIONS: &[Migration] = &[Migration {
    from: 0,
    summary: "the file has no `version:` key (version 0); version 1 adds it and changes nothing else",
    document: |_| {},
    text: |text| insert_version(text, 1),
}];

/// The version a document declares: its `version` key, or 0 when it has none. `None` when the
/// key is not a whole number (validation reports that).
pub fn declared_version(document: &Value) -> Option<u32> {
    match document.get("version") {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_u64().and_then(|v| u32::try_from(v).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    }
}

/// Brings `document` up to the current version. Returns one notice per migration applied
/// (nothing for a current or newer file).
pub fn migrate_document(document: &mut Value) -> Vec<String> {
    let Some(mut version) = declared_version(document) else {
        return Vec::new();
    };
    let mut notices = Vec::new();
    let Some(map) = document.as_object_mut() else {
        return notices;
    };
    while version < CONFIG_VERSION {
        let Some(step) = MIGRATIONS.iter().find(|m| m.from == version) else {
            break;
        };
        (step.document)(map);
        version += 1;
        map.insert("version".into(), Value::from(version));
        notices.push(format!("read as version {version}: {}", step.summary));
    }
    notices
}

/// The file's text brought up to the current version, or `None` when it already is (or is newer).
pub fn migrate_text(text: &str, from: u32) -> Option<String> {
    if from >= CONFIG_VERSION {
        return None;
    }
    let mut text = text.to_string();
    for step in MIGRATIONS.iter().filter(|m| m.from >= from) {
        text = (step.text)(&text);
    }
    Some(text)
}

/// Inserts `version: N` after the leading comment block, or replaces an existing `version:` line.
fn insert_version(text: &str, version: u32) -> String {
    let line = format!("version: {version}");
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(existing) = lines.iter().position(|l| l.starts_with("version:")) {
        lines[existing] = &line;
    } else {
        let at = lines
            .iter()
            .position(|l| !(l.trim().is_empty() || l.starts_with('#')))
            .unwrap_or(lines.len());
        lines.insert(at, &line);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unversioned_document_is_migrated_with_a_notice() {
        let mut doc = serde_json::json!({"aws": {"region": "us-east-1"}});
        let notices = migrate_document(&mut doc);
        assert_eq!(notices.len(), 1);
        assert!(notices[0].contains("version 0"), "{notices:?}");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["aws"]["region"], "us-east-1");
    }

    #[test]
    fn current_and_newer_documents_are_left_alone() {
        for version in [1, 7] {
            let mut doc = serde_json::json!({"version": version});
            assert!(migrate_document(&mut doc).is_empty());
            assert_eq!(doc["version"], version);
        }
    }

    #[test]
    fn the_text_migration_keeps_comments_and_adds_the_version_after_them() {
        let text = "# my config\n# second line\n\naws:\n  region: us-east-1 # primary\n";
        let migrated = migrate_text(text, 0).expect("migrated");
        assert_eq!(
            migrated,
            "# my config\n# second line\n\nversion: 1\naws:\n  region: us-east-1 # primary\n"
        );
        assert_eq!(migrate_text(&migrated, 1), None);
    }

    #[test]
    fn declared_versions() {
        assert_eq!(declared_version(&serde_json::json!({})), Some(0));
        assert_eq!(declared_version(&serde_json::json!({"version": "1"})), Some(1));
        assert_eq!(declared_version(&serde_json::json!({"version": [1]})), None);
    }
}

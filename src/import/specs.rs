//! The original backend OpenAPI spec templates, `backend/openapi_specs/*.yaml.template`: which
//! there are, in sorted order, and the port each one's `servers` URL names.
//!
//! This module owns finding and reading the templates, and the relative path from the new config's
//! folder to each. It must not copy, render or change them: the config points at them where they
//! are, and the deploy renders their `{{BACKEND_DOMAIN}}` placeholder.

use std::path::{Component, Path, PathBuf};

/// Where the templates live, relative to the original checkout.
pub const SPEC_DIR: &str = "backend/openapi_specs";
/// How a template's file name ends.
pub const SUFFIX: &str = ".yaml.template";

/// One spec template of the original layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The template's path in the original checkout.
    pub path: PathBuf,
    /// The file name without `.yaml.template`, such as `k8s_api`.
    pub stem: String,
    /// The port of the template's `servers` URL, when it names one.
    pub port: Option<u16>,
}

/// The templates in `dir/backend/openapi_specs`, sorted by file name; none when the folder is missing.
pub fn discover(dir: &Path) -> std::io::Result<Vec<Template>> {
    let folder = dir.join(SPEC_DIR);
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut templates = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(SUFFIX).filter(|s| !s.is_empty()) else {
            continue;
        };
        if !entry.file_type()?.is_file() {
            continue;
        }
        let port = std::fs::read_to_string(entry.path())
            .ok()
            .and_then(|text| servers_port(&text));
        templates.push(Template {
            path: entry.path(),
            stem: stem.to_string(),
            port,
        });
    }
    templates.sort_by(|a, b| a.stem.cmp(&b.stem));
    Ok(templates)
}

/// The port of the first `servers` URL (`url: https://{{BACKEND_DOMAIN}}:8011`), if it has one.
pub fn servers_port(text: &str) -> Option<u16> {
    let mut lines = text.lines().skip_while(|l| l.trim_end() != "servers:");
    lines.next()?;
    let url = lines
        .take_while(|l| l.starts_with([' ', '-']) || l.trim().is_empty())
        .find_map(|l| l.trim().trim_start_matches('-').trim().strip_prefix("url:"))?;
    let url = url.trim().trim_matches(['"', '\'']);
    // The host is a placeholder: put a name the URL parser accepts in its place.
    let mut concrete = String::new();
    let mut rest = url;
    while let Some(start) = rest.find("{{") {
        concrete.push_str(&rest[..start]);
        concrete.push_str("backend");
        rest = rest[start..]
            .find("}}")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    concrete.push_str(rest);
    let parsed = url::Url::parse(&concrete).ok()?;
    if parsed.port().is_some() {
        parsed.port()
    } else {
        // `Url` hides the scheme's default port; a port written out is still the backend's port.
        let authority = concrete.split("://").nth(1)?.split('/').next()?;
        authority.rsplit_once(':')?.1.parse().ok()
    }
}

/// `target` as a path relative to the folder `base` (both absolute), or `target` itself when they
/// share no root.
pub fn relative_path(base: &Path, target: &Path) -> PathBuf {
    let base: Vec<Component<'_>> = base.components().collect();
    let target_parts: Vec<Component<'_>> = target.components().collect();
    let common = base.iter().zip(&target_parts).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return target.to_path_buf();
    }
    let mut relative = PathBuf::new();
    for _ in common..base.len() {
        relative.push("..");
    }
    for part in &target_parts[common..] {
        relative.push(part.as_os_str());
    }
    relative
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_servers_port() {
        let spec = "openapi: 3.0.3\ninfo:\n  title: x\nservers:\n  - url: \"https://{{BACKEND_DOMAIN}}:8013\"\n    description: d\npaths: {}\n";
        assert_eq!(servers_port(spec), Some(8013));
        let spec = "servers:\n- url: https://{{ BACKEND_DOMAIN }}:443/api\n";
        assert_eq!(servers_port(spec), Some(443));
        assert_eq!(
            servers_port("servers:\n  - url: https://{{BACKEND_DOMAIN}}\n"),
            None
        );
        assert_eq!(servers_port("openapi: 3.0.3\npaths: {}\n"), None);
        assert_eq!(servers_port("servers:\npaths:\n  url: https://h:1\n"), None);
    }

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        assert_eq!(
            relative_path(
                Path::new("/t/deploy"),
                Path::new("/t/orig/backend/a.yaml.template")
            ),
            PathBuf::from("../orig/backend/a.yaml.template")
        );
        assert_eq!(
            relative_path(Path::new("/t"), Path::new("/t/orig/a")),
            PathBuf::from("orig/a")
        );
    }

    #[test]
    fn discovers_templates_in_sorted_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let specs = dir.path().join(SPEC_DIR);
        std::fs::create_dir_all(&specs).expect("mkdir");
        std::fs::write(
            specs.join("b_api.yaml.template"),
            "servers:\n  - url: https://{{BACKEND_DOMAIN}}:9001\n",
        )
        .expect("write");
        std::fs::write(specs.join("a_api.yaml.template"), "paths: {}\n").expect("write");
        std::fs::write(specs.join("notes.txt"), "x").expect("write");
        let found = discover(dir.path()).expect("reads");
        let stems: Vec<&str> = found.iter().map(|t| t.stem.as_str()).collect();
        assert_eq!(stems, ["a_api", "b_api"]);
        assert_eq!(found[1].port, Some(9001));
        assert!(
            discover(&dir.path().join("absent"))
                .expect("missing is empty")
                .is_empty()
        );
    }
}

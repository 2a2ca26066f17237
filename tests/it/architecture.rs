//! The layer rule of ARCHITECTURE.md, checked on the source: arrows only point down
//! (main/lib → {commands, cli} → runner → ui → verify → {deploy, acme, import, preflight, monitoring}
//! → the base),
//! and command files never use each other (what several need lives in `runner` or below).

use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer; a module may use its own layer and the
/// ones below, never one above.
const LAYERS: &[(&str, u8)] = &[
    ("files", 1),
    ("exit", 1),
    ("templates", 1),
    ("openapi", 1),
    ("validate", 1),
    ("config", 1),
    ("output", 1),
    ("aws", 1),
    ("acme", 2),
    ("deploy", 2),
    ("import", 2),
    ("preflight", 2),
    ("monitoring", 2),
    ("verify", 3),
    ("ui", 4),
    ("runner", 5),
    ("error", 5),
    // The commands and the argument types they are given.
    ("commands", 6),
    ("cli", 6),
    ("lib", 7),
    ("main", 7),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The top-level module a source file belongs to (`src/deploy/steps/iam.rs` → `deploy`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap_or(file);
    let first = relative
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    first.trim_end_matches(".rs").to_string()
}

/// The rule's breaches in one file's text: uses of a module in a higher layer, and, for a
/// command file, uses of a sibling command.
fn breaches(module: &str, file_name: &str, text: &str, commands: &[String]) -> Vec<String> {
    let Some(own) = layer(module) else {
        return vec![format!(
            "module {module} has no layer in this test: add it to LAYERS"
        )];
    };
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for (at, _) in line.match_indices("crate::") {
            let used: String = line[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if layer(&used).is_some_and(|l| l > own) {
                found.push(format!(
                    "line {}: {module} (layer {own}) uses {used}: {}",
                    n + 1,
                    line.trim()
                ));
            }
        }
        if module == "commands" && file_name != "mod.rs" {
            for sibling in commands.iter().filter(|c| format!("{c}.rs") != file_name) {
                for pattern in [format!("super::{sibling}"), format!("crate::commands::{sibling}")] {
                    let hit = line.match_indices(&pattern).any(|(at, _)| {
                        !line[at + pattern.len()..]
                            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    });
                    if hit {
                        found.push(format!(
                            "line {}: command {file_name} uses the command {sibling}",
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    found
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

#[test]
fn arrows_only_point_down_and_commands_never_use_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let commands: Vec<String> = std::fs::read_dir(src.join("commands"))
        .expect("commands")
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter_map(|name| name.strip_suffix(".rs").map(str::to_string))
        .filter(|name| name != "mod")
        .collect();
    assert!(commands.len() >= 8, "the command files were found: {commands:?}");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut all = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let module = module_of(&src, file);
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        all.extend(
            breaches(&module, name, &text, &commands)
                .into_iter()
                .map(|b| format!("{}: {b}", file.display())),
        );
    }
    assert!(all.is_empty(), "the layer rule is broken:\n{}", all.join("\n"));
}

#[test]
fn the_rule_catches_an_upward_arrow_and_a_command_calling_a_command() {
    let commands = vec!["deploy".to_string(), "wizard".to_string()];
    let upward = breaches("deploy", "run.rs", "use crate::runner::Ran;\n", &commands);
    assert_eq!(upward.len(), 1, "{upward:?}");
    let sideways = breaches(
        "commands",
        "deploy.rs",
        "    return super::wizard::run_on_screen(store);\n",
        &commands,
    );
    assert_eq!(sideways.len(), 1, "{sideways:?}");
    // Its own module, a lower layer, a comment and a longer name are all fine.
    let fine = breaches(
        "commands",
        "deploy.rs",
        "use super::Cx;\nuse crate::deploy::session;\n// super::wizard was here\nuse super::deployed;\n",
        &commands,
    );
    assert_eq!(fine, Vec::<String>::new());
    assert_eq!(
        breaches("newthing", "x.rs", "", &commands).len(),
        1,
        "every module has a layer"
    );
}

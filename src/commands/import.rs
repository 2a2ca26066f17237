//! `import --from DIR`: writes this tool's config from the original SRE agent scripts' files.
//!
//! This command owns the file side: the output path, the backup of an existing file
//! (`<output>.bak-<UTC timestamp>`), the atomic write, the diff, validating the result, and the
//! report (text or one JSON object). The reading and mapping belong to [`crate::import`]. It must
//! not write anything under the source folder, nor write anything at all with `--dry-run`.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Cx;
use crate::cli::ImportArgs;
use crate::config::load::load;
use crate::config::schema::SCHEMA_FILE;
use crate::config::{Environment, ValidationContext};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files::write_atomic;
use crate::import::{self, ImportError, Imported};
use crate::output::ValidationReport;
use crate::output::diff::line_diff;
use crate::validate::{Finding, Severity};

/// What `--format json` prints.
#[derive(Debug, Serialize)]
struct Report {
    /// The original checkout that was read.
    from: String,
    config_path: String,
    dry_run: bool,
    written: bool,
    backup: Option<String>,
    findings: Vec<Finding>,
    errors: usize,
    warnings: usize,
    env_vars: Vec<String>,
    validation: ValidationReport,
    diff: Option<String>,
    /// The config as it would be written (`--dry-run` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    yaml: Option<String>,
}

pub fn run(args: &ImportArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let env = cx.env;
    let from = import::source_dir(&args.from)?;
    let config_dir = absolute_folder(&args.output);
    if config_dir.starts_with(&from) {
        return Err(ImportError::OutputInSource {
            output: args.output.clone(),
            from,
        }
        .into());
    }
    let imported = import::import(&from, &config_dir)?;
    let yaml = import::render(&imported.config, &from, &format!("./{SCHEMA_FILE}"))?;
    let old = read_existing(&args.output)?;
    let changed = old.as_deref() != Some(yaml.as_str());
    let label = args.output.display().to_string();
    let diff = old
        .as_deref()
        .map(|o| line_diff(&without_secret_values(o), &yaml))
        .filter(|d| !d.is_empty())
        .map(|d| format!("--- {label} (before)\n+++ {label} (imported)\n{d}\n"));

    let mut backup = None;
    if !args.dry_run {
        if changed {
            if old.is_some() {
                backup = Some(crate::files::back_up(&args.output)?);
            }
            write_atomic(&args.output, yaml.as_bytes())?;
        }
        let schema = config_dir.join(SCHEMA_FILE);
        write_atomic(&schema, crate::config::schema::config_schema_text().as_bytes())?;
    }
    let validation = validate(args, &imported, &config_dir, env)?;
    let report = Report {
        from: from.display().to_string(),
        config_path: label,
        dry_run: args.dry_run,
        written: !args.dry_run && changed,
        backup: backup.map(|b| b.display().to_string()),
        errors: count(&imported.findings, Severity::Error),
        warnings: count(&imported.findings, Severity::Warning),
        findings: imported.findings,
        env_vars: imported.env_vars,
        validation,
        diff,
        yaml: args.dry_run.then_some(yaml),
    };
    cx.printer.result(out, &report)?;
    Ok(if report.errors > 0 {
        ExitStatus::Invalid
    } else {
        ExitStatus::Success
    })
}

/// The absolute folder the output goes to (canonical when it exists, as the source folder is).
fn absolute_folder(output: &Path) -> PathBuf {
    let folder = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    folder
        .canonicalize()
        .unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(folder))
}

fn read_existing(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ImportError::Read {
            path: path.to_path_buf(),
            source,
        }
        .into()),
    }
}

/// The normal validation of the result: the written file as a deploy would load it, or with
/// `--dry-run` the imported config itself.
fn validate(
    args: &ImportArgs,
    imported: &Imported,
    config_dir: &Path,
    env: &dyn Environment,
) -> Result<ValidationReport, Error> {
    let result = if args.dry_run {
        imported.config.validate(&ValidationContext {
            base_dir: config_dir,
            env,
        })
    } else {
        load(&args.output, env, &[])?.validate(env)
    };
    Ok(ValidationReport::new(&args.output, &result, false))
}

fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = &self.config_path;
        match &self.yaml {
            Some(yaml) => writeln!(f, "dry run: nothing written; {path} would be:\n\n{yaml}")?,
            None if self.written => writeln!(f, "imported {} into {path}", self.from)?,
            None => writeln!(f, "{path} already holds this import; nothing changed")?,
        }
        if let Some(backup) = &self.backup {
            writeln!(f, "the previous {path} is saved as {backup}")?;
        }
        if let Some(diff) = &self.diff {
            write!(f, "\n{diff}")?;
        }
        let (errors, warnings) = (self.errors, self.warnings);
        writeln!(
            f,
            "\nimport: {errors} {}, {warnings} {}",
            if errors == 1 { "error" } else { "errors" },
            if warnings == 1 { "warning" } else { "warnings" }
        )?;
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        if !self.env_vars.is_empty() {
            writeln!(
                f,
                "\nexport these variables before deploying: {}\n  \
                 (their values are in the original .env files; they were not copied)",
                self.env_vars.join(" ")
            )?;
        }
        write!(f, "\nvalidation of the imported config:\n{}", self.validation)?;
        if errors > 0 {
            writeln!(
                f,
                "\nnext: fix the import errors above in {path}, then run\n  \
                 sre-agent-deploy --validate-only --config {path}"
            )?;
        }
        Ok(())
    }
}

/// Keys whose plain values are never printed.
const SECRET_KEYS: [&str; 4] = ["client_secret", "api_key", "secret", "password"];

/// `text` with the value of each `key: value` line whose key names a secret and whose value is
/// not a reference replaced: a secret once written into the old config is not printed in the diff.
fn without_secret_values(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let redacted = line.split_once(':').and_then(|(key, value)| {
            let name = key.trim().trim_start_matches("- ").trim_matches(['"', '\'']);
            let value = value.trim().trim_matches(['"', '\'']);
            let secret = SECRET_KEYS
                .iter()
                .any(|k| name == *k || name.ends_with(&format!("_{k}")));
            let reference = value.is_empty() || ["env:", "file:", "#"].iter().any(|p| value.starts_with(p));
            (secret && !reference).then(|| format!("{key}: <plain value, not shown>"))
        });
        out.push_str(redacted.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_secret_values_are_hidden_and_references_kept() {
        let text =
            "  api_key: hunter2-key\n  client_secret: env:X\n  db_password: \"p\"\n  region: us-east-1\n";
        assert_eq!(
            without_secret_values(text),
            "  api_key: <plain value, not shown>\n  client_secret: env:X\n  db_password: <plain value, not shown>\n  region: us-east-1\n"
        );
    }
}

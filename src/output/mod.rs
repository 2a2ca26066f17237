//! What the CLI prints and where: the result shapes (each implements `Display` for people and
//! `Serialize` for `--output json`), the [`printer::Printer`] that picks the format once, the
//! progress lines of long work, and the diffs of rewritten files.

pub mod diff;
pub mod junit;
pub mod printer;
pub mod progress;
pub mod prometheus;

use std::fmt;

use serde::Serialize;

use crate::validate::{Finding, ValidationResult};

/// The outcome of `--validate-only`, as printed.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationReport {
    /// True when the config passes (no errors; no warnings either under `--strict`).
    pub valid: bool,
    /// The config file that was checked.
    pub config: String,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

impl ValidationReport {
    pub fn new(config: &std::path::Path, result: &ValidationResult, strict: bool) -> Self {
        Self {
            valid: result.passes(strict),
            config: config.display().to_string(),
            errors: result.errors().count(),
            warnings: result.warnings().count(),
            findings: result.findings.clone(),
        }
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        if !self.findings.is_empty() {
            writeln!(f)?;
        }
        let counts = format!(
            "{} {}, {} {}",
            self.errors,
            plural(self.errors, "error", "errors"),
            self.warnings,
            plural(self.warnings, "warning", "warnings")
        );
        if self.valid {
            writeln!(f, "ok: {} is valid ({counts})", self.config)
        } else {
            writeln!(f, "failed: {} is not valid ({counts})", self.config)
        }
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lists_findings_then_a_summary() {
        let result: ValidationResult = [
            Finding::error("aws.region", "\"us-east1\" is not an AWS region")
                .suggest("did you mean \"us-east-1\"?"),
            Finding::warning("gateway.api_key", "no key"),
        ]
        .into_iter()
        .collect();
        let report = ValidationReport::new(std::path::Path::new("c.yaml"), &result, false);
        assert_eq!(
            report.to_string(),
            "error[aws.region]: \"us-east1\" is not an AWS region\n  fix: did you mean \"us-east-1\"?\n\
             warning[gateway.api_key]: no key\n\n\
             failed: c.yaml is not valid (1 error, 1 warning)\n"
        );
    }

    #[test]
    fn json_has_the_contract_fields() {
        let result: ValidationResult = [Finding::warning("tls.warn_days", "w")].into_iter().collect();
        let json = serde_json::to_value(ValidationReport::new(
            std::path::Path::new("c.yaml"),
            &result,
            false,
        ))
        .expect("serializes");
        assert_eq!(json["valid"], true);
        assert_eq!(json["findings"][0]["field"], "tls.warn_days");
        assert_eq!(json["findings"][0]["severity"], "warning");
        assert!(json["findings"][0].get("suggestion").is_none());
    }
}

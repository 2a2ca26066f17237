//! Validation results: findings tied to a dotted field path, with a severity and an optional fix.
//!
//! This module owns the result shape every checker returns and the small rule helpers the config
//! models share (`rules`). It does no I/O and knows nothing about how results are printed.

pub mod rules;

pub use rules::Problem;

use std::fmt;

use serde::Serialize;

/// How bad a finding is. Errors fail validation; warnings fail it only under `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Dotted path of the field, such as `aws.region` or `gateway.targets[1].name`.
    pub field: String,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl Finding {
    pub fn error(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, field, message)
    }

    pub fn warning(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, field, message)
    }

    fn new(severity: Severity, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            severity,
            message: message.into(),
            suggestion: None,
        }
    }

    #[must_use]
    pub fn suggest(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// The top-level section the field belongs to (`aws`, `gateway`, ...), used to group findings.
    pub fn section(&self) -> &str {
        let end = self.field.find(['.', '[']).unwrap_or(self.field.len());
        &self.field[..end]
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.severity, self.field, self.message)?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, "\n  fix: {suggestion}")?;
        }
        Ok(())
    }
}

/// The findings of one validation run, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidationResult {
    pub findings: Vec<Finding>,
}

impl ValidationResult {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    pub fn extend(&mut self, other: ValidationResult) {
        self.findings.extend(other.findings);
    }

    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.by_severity(Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.by_severity(Severity::Warning)
    }

    fn by_severity(&self, severity: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity == severity)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// True when the configuration passes: no errors, and no warnings either when `strict`.
    pub fn passes(&self, strict: bool) -> bool {
        !(self.has_errors() || strict && self.warnings().next().is_some())
    }

    /// True when some finding is about `field` or one of its children.
    pub fn mentions(&self, field: &str) -> bool {
        self.findings.iter().any(|f| is_within(&f.field, field))
    }

    /// Keeps only the findings that `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Finding) -> bool) {
        self.findings.retain(keep);
    }
}

impl FromIterator<Finding> for ValidationResult {
    fn from_iter<I: IntoIterator<Item = Finding>>(iter: I) -> Self {
        Self {
            findings: iter.into_iter().collect(),
        }
    }
}

/// True when `path` is `parent` itself or a field below it (`gateway.targets[0]` is within `gateway`).
pub fn is_within(path: &str, parent: &str) -> bool {
    path.strip_prefix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_is_the_first_path_segment() {
        assert_eq!(
            Finding::error("gateway.targets[0].name", "x").section(),
            "gateway"
        );
        assert_eq!(Finding::error("aws", "x").section(), "aws");
        assert_eq!(Finding::error("targets[2]", "x").section(), "targets");
    }

    #[test]
    fn strict_turns_warnings_into_failure() {
        let result: ValidationResult = [Finding::warning("aws.region", "w")].into_iter().collect();
        assert!(result.passes(false));
        assert!(!result.passes(true));
        let result: ValidationResult = [Finding::error("aws.region", "e")].into_iter().collect();
        assert!(!result.passes(false));
    }

    #[test]
    fn within_respects_segment_boundaries() {
        assert!(is_within("gateway.targets[0].name", "gateway.targets"));
        assert!(is_within("gateway.targets", "gateway.targets"));
        assert!(!is_within("gateway.targets_extra", "gateway.targets"));
        assert!(!is_within("aws", "aws.region"));
    }

    #[test]
    fn display_shows_field_and_fix() {
        let f = Finding::error("aws.region", "bad").suggest("use us-east-1");
        assert_eq!(f.to_string(), "error[aws.region]: bad\n  fix: use us-east-1");
    }
}

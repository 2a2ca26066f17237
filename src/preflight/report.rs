//! The preflight's result as printed: one line per check (with the fix under each problem) and a
//! summary for people, or one JSON object with the findings, the passed checks and the facts.

use std::fmt;

use serde::Serialize;

use super::{Evaluation, HostFacts, Passed, Verdict};
use crate::validate::{Finding, Severity};

/// The outcome of `sre-agent-deploy preflight`.
#[derive(Debug, Clone, Serialize)]
pub struct PreflightReport {
    /// True when the host passes: no errors, and no warnings either under `--strict`.
    pub ok: bool,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
    pub passed: Vec<Passed>,
    pub facts: HostFacts,
    /// Every check in the order it ran, for the text form.
    #[serde(skip)]
    verdicts: Vec<Verdict>,
}

impl PreflightReport {
    pub fn new(evaluation: &Evaluation, facts: HostFacts, strict: bool) -> Self {
        let findings: Vec<Finding> = evaluation.findings().cloned().collect();
        let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
        let warnings = findings.len() - errors;
        Self {
            ok: errors == 0 && !(strict && warnings > 0),
            errors,
            warnings,
            findings,
            passed: evaluation.passed().cloned().collect(),
            facts,
            verdicts: evaluation.verdicts.clone(),
        }
    }
}

impl fmt::Display for PreflightReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for verdict in &self.verdicts {
            match verdict {
                Verdict::Pass(p) => writeln!(f, "ok[{}]: {}", p.field, p.message)?,
                Verdict::Problem(finding) => writeln!(f, "{finding}")?,
            }
        }
        let counts = format!(
            "{} error{}, {} warning{}",
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" }
        );
        let user = &self.facts.run_as.name;
        if self.ok {
            writeln!(f, "\nok: this host can run the backends as {user} ({counts})")
        } else {
            writeln!(
                f,
                "\nfailed: this host is not ready to run the backends as {user} ({counts})"
            )
        }
    }
}

//! The verification report: one model (`VerificationReport`) built from the checks, and its
//! renderings: text for the terminal, JSON (`schemas/report.schema.json`), Markdown and a
//! self-contained HTML page (minijinja templates in `templates/report/`), and JUnit XML. Building
//! and rendering never run a check; writing the files is the only I/O here.

mod render;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use render::{html, junit, markdown};

use super::check::{Check, Component, Status, group_status, worst};
use super::remote::Probe;
use super::security::SecurityEvent;
use crate::files;
use crate::files::FileError;

/// The report format version; bump it when a field changes meaning or goes away.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The overall verdict. The exit code follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    Pass,
    PassWithWarnings,
    Fail,
}

impl fmt::Display for Overall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pass => "pass",
            Self::PassWithWarnings => "pass_with_warnings",
            Self::Fail => "fail",
        })
    }
}

/// One component's checks and their worst status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ComponentResult {
    pub component: Component,
    pub title: String,
    /// The worst status of its checks (`skip` when all were skipped).
    pub status: Status,
    pub duration_ms: u64,
    pub checks: Vec<Check>,
}

/// Everything a verification run found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "sre-agent-deploy verification report")]
pub struct VerificationReport {
    pub schema_version: u32,
    /// When the report was made (UTC, RFC 3339).
    pub generated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    pub status: Overall,
    pub duration_ms: u64,
    /// Whether the network checks ran (false for `--validate-only` without `--online`).
    pub online: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_url: Option<String>,
    /// When the verification token expires (UTC), if one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_expires_at: Option<String>,
    pub components: Vec<ComponentResult>,
    /// One row per endpoint checked over the network.
    pub connectivity: Vec<Probe>,
    /// Rejected attempts of the security checks (no token values).
    pub security_events: Vec<SecurityEvent>,
    /// What to fix, most important first.
    pub recommendations: Vec<String>,
    pub next_steps: Vec<String>,
}

/// What the report is built from besides the checks.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub deployment_id: Option<String>,
    pub generated_at: String,
    pub duration_ms: u64,
    pub online: bool,
    pub mcp_url: Option<String>,
    pub token_expires_at: Option<String>,
    /// The command that re-runs the verification, for the next steps.
    pub rerun: String,
}

impl VerificationReport {
    pub fn new(
        context: Context,
        checks: &[Check],
        connectivity: Vec<Probe>,
        security_events: Vec<SecurityEvent>,
    ) -> Self {
        let components: Vec<ComponentResult> = Component::ALL
            .iter()
            .filter_map(|&component| {
                let checks: Vec<Check> = checks
                    .iter()
                    .filter(|c| c.component == component)
                    .cloned()
                    .collect();
                if checks.is_empty() {
                    return None;
                }
                let status = group_status(&checks);
                Some(ComponentResult {
                    component,
                    title: component.title().to_string(),
                    status,
                    duration_ms: checks.iter().map(|c| c.duration_ms).max().unwrap_or(0),
                    checks,
                })
            })
            .collect();
        let status = match worst(checks) {
            Status::Fail => Overall::Fail,
            Status::Warn => Overall::PassWithWarnings,
            Status::Pass | Status::Skip => Overall::Pass,
        };
        let recommendations = recommendations(checks);
        let next_steps = next_steps(status, &context, checks);
        Self {
            schema_version: REPORT_SCHEMA_VERSION,
            generated_at: context.generated_at,
            deployment_id: context.deployment_id,
            status,
            duration_ms: context.duration_ms,
            online: context.online,
            mcp_url: context.mcp_url,
            token_expires_at: context.token_expires_at,
            components,
            connectivity,
            security_events,
            recommendations,
            next_steps,
        }
    }

    /// All checks, in component order.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.components.iter().flat_map(|c| c.checks.iter())
    }

    /// Counts of checks by status: (pass, warn, fail, skip).
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let count = |s| self.checks().filter(|c| c.status == s).count();
        (
            count(Status::Pass),
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Skip),
        )
    }

    /// Writes the four renderings into `dir` and returns their paths.
    pub fn write_all(&self, dir: &Path) -> Result<Vec<PathBuf>, FileError> {
        let json = format!("{}\n", serde_json::to_string_pretty(self).unwrap_or_default());
        let outputs = [
            ("verification.json", json),
            ("verification.md", markdown(self)),
            ("verification.html", html(self)),
            ("verification.junit.xml", junit(self)),
        ];
        files::create_dir_all(dir)?;
        let mut paths = Vec::new();
        for (name, text) in outputs {
            let path = dir.join(name);
            files::write_atomic(&path, text.as_bytes())?;
            paths.push(path);
        }
        Ok(paths)
    }
}

/// The suggestions of failures, then of warnings, each once.
fn recommendations(checks: &[Check]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for status in [Status::Fail, Status::Warn] {
        for check in checks.iter().filter(|c| c.status == status) {
            let text = match &check.suggestion {
                Some(s) => format!("{} ({} {}): {s}", check.subject, check.component, check.name),
                None => continue,
            };
            if seen.insert(check.suggestion.clone()) {
                out.push(text);
            }
        }
    }
    out
}

fn next_steps(status: Overall, context: &Context, checks: &[Check]) -> Vec<String> {
    let mut steps = Vec::new();
    match status {
        Overall::Fail => steps.push(format!(
            "fix the failed checks (see the recommendations), then run `{}`",
            context.rerun
        )),
        Overall::PassWithWarnings => steps.push(format!(
            "look at the warnings before they become failures; `{}` re-checks",
            context.rerun
        )),
        Overall::Pass => {}
    }
    if !context.online {
        steps.push("run with --online to check the backends over the network".into());
    } else if checks.iter().any(|c| c.status == Status::Skip) {
        steps.push("some checks were skipped; their messages say what they need".into());
    }
    if let Some(url) = &context.mcp_url
        && status != Overall::Fail
    {
        steps.push(format!(
            "point the SRE agent at {url} with a client_credentials token from the Cognito app client"
        ));
    }
    steps.push(format!(
        "monitor certificate expiry from cron: `{}` (exit code 4 on failure)",
        context.rerun
    ));
    steps
}

impl fmt::Display for VerificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (pass, warn, fail, skip) = self.counts();
        writeln!(
            f,
            "Verification: {} ({pass} passed, {warn} warnings, {fail} failed, {skip} skipped) in {} ms",
            self.status, self.duration_ms
        )?;
        for component in &self.components {
            writeln!(f, "\n{} [{}]", component.title, component.status)?;
            for check in &component.checks {
                writeln!(f, "  {}", check.to_string().replace('\n', "\n  "))?;
            }
        }
        if let Some(at) = &self.token_expires_at {
            writeln!(f, "\nThe verification token expires at {at}.")?;
        }
        if !self.next_steps.is_empty() {
            writeln!(f, "\nNext steps:")?;
            for step in &self.next_steps {
                writeln!(f, "  - {step}")?;
            }
        }
        Ok(())
    }
}

/// The report's JSON Schema, as committed in `schemas/report.schema.json`.
pub fn report_schema_text() -> String {
    crate::config::schema::committed_text(&schemars::schema_for!(VerificationReport))
}

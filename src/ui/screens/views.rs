//! The plain data the screens show. The caller builds these from the plan, the executor's events
//! and the verification report; the screens only read them.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::ui::section::Section;
use crate::validate::Finding;
use crate::verify::report::VerificationReport;

/// What the plan does with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Not there yet; the run creates it.
    Create,
    /// Already there and ours (or named in the config); the run uses it as it is.
    Reuse,
    /// There, but not ours to change; the run leaves it alone.
    Leave,
    /// Ours, but the config no longer names it (a target removed): the run deletes it.
    Delete,
    /// There, with fields that differ from the config: the run changes them in place.
    Update,
    /// There, but a field the API cannot change in place differs: made again.
    Replace,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Reuse => "reuse",
            Self::Leave => "leave",
            Self::Delete => "delete",
            Self::Update => "update",
            Self::Replace => "replace",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One resource of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    /// The wizard section that sets the resource (the review's group, the row to go back to).
    pub section: Section,
    /// The resource type, such as `user pool`.
    pub kind: String,
    pub name: String,
    pub action: Action,
    /// For an update, replace or delete: each field that changes (`path`, `before -> after`),
    /// and why (`""`, `(reason)`).
    pub fields: Vec<(String, String)>,
}

/// Everything the review screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewView {
    pub account: String,
    pub region: String,
    pub deployment_id: String,
    pub items: Vec<ReviewItem>,
    /// The validation warnings (errors stop the wizard before the review).
    pub warnings: Vec<Finding>,
}

impl ReviewView {
    /// The steps in the order their first item appears: the rows a user can go back to.
    pub fn sections(&self) -> Vec<Section> {
        let mut sections: Vec<Section> = Vec::new();
        for item in &self.items {
            if !sections.contains(&item.section) {
                sections.push(item.section);
            }
        }
        sections
    }

    /// How many items have `action`.
    pub fn count(&self, action: Action) -> usize {
        self.items.iter().filter(|i| i.action == action).count()
    }
}

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

impl StepStatus {
    /// A symbol readable without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Pending => "·",
            Self::Running => "…",
            Self::Done => "✓",
            Self::Failed => "✗",
            Self::Skipped => "-",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Done, failed or skipped.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Skipped)
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    Done,
    Failed,
    Skipped,
}

impl From<StepOutcome> for StepStatus {
    fn from(outcome: StepOutcome) -> Self {
        match outcome {
            StepOutcome::Done => Self::Done,
            StepOutcome::Failed => Self::Failed,
            StepOutcome::Skipped => Self::Skipped,
        }
    }
}

/// One node of the step graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepView {
    pub id: String,
    /// The steps this one waits for.
    pub after: Vec<String>,
    pub status: StepStatus,
    pub elapsed: Duration,
    /// The AWS operation in flight, such as `cognito-idp:CreateUserPool`.
    pub operation: Option<String>,
}

impl StepView {
    /// A pending step.
    pub fn pending(id: impl Into<String>, after: &[&str]) -> Self {
        Self {
            id: id.into(),
            after: after.iter().map(|a| (*a).to_string()).collect(),
            status: StepStatus::Pending,
            elapsed: Duration::ZERO,
            operation: None,
        }
    }
}

/// What the failure panel shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureView {
    pub message: String,
    /// The error's chain of context, outermost first.
    pub context: Vec<String>,
    pub suggestion: Option<String>,
    /// The exact command that resumes the run.
    pub resume: String,
}

/// What the report screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportView {
    pub report: VerificationReport,
    /// The report files written.
    pub paths: Vec<PathBuf>,
}

//! `drift`: the deployment against what AWS shows, like `terraform plan -refresh-only`. The
//! changes a deploy of the deployment's own recorded config would make ([`super::changes`]) are
//! exactly what changed behind the tool's back: a create is a resource deleted, an update a
//! resource modified. Only what the ledger records as present is reported.

use schemars::JsonSchema;
use serde::Serialize;

use super::changes::{Action, Change, Field};
use super::state::{LedgerStatus, State};

/// How a resource of the deployment compares with what the deployment set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftStatus {
    InSync,
    /// Fields differ from what the deployment set.
    Modified,
    /// It is gone.
    Deleted,
}

/// One resource of the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Drifted {
    pub kind: String,
    pub name: String,
    pub id: Option<String>,
    pub status: DriftStatus,
    /// For `modified`: each field as the deployment set it (`after`) and as it is (`before`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Who fixes it, and how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// The drift of every resource the ledger records as present.
pub fn drift(changes: &[Change], state: &State, rerun: &str) -> Vec<Drifted> {
    changes
        .iter()
        .filter(|c| {
            state
                .entry(c.resource, &c.name)
                .is_some_and(|e| e.status == LedgerStatus::Present)
        })
        .map(|c| {
            let status = match c.action {
                Action::Create => DriftStatus::Deleted,
                Action::Update | Action::Replace => DriftStatus::Modified,
                Action::NoOp | Action::Adopt | Action::Delete => DriftStatus::InSync,
            };
            let fix = match status {
                DriftStatus::InSync => None,
                DriftStatus::Modified => Some(format!("a deploy puts it back: {rerun}")),
                DriftStatus::Deleted => Some(format!("a deploy creates it again: {rerun}")),
            };
            Drifted {
                kind: c.kind.clone(),
                name: c.name.clone(),
                id: c.id.clone(),
                status,
                fields: if status == DriftStatus::Modified {
                    c.fields.clone()
                } else {
                    Vec::new()
                },
                fix,
            }
        })
        .collect()
}

/// How many of each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DriftSummary {
    pub in_sync: usize,
    pub modified: usize,
    pub deleted: usize,
}

impl DriftSummary {
    pub fn of(items: &[Drifted]) -> Self {
        let mut s = Self::default();
        for item in items {
            *match item.status {
                DriftStatus::InSync => &mut s.in_sync,
                DriftStatus::Modified => &mut s.modified,
                DriftStatus::Deleted => &mut s.deleted,
            } += 1;
        }
        s
    }
}

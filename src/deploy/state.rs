//! The state file: what a deployment has done so far, and the ledger of every resource it created.
//!
//! The model here is plain data (with a JSON Schema in `schemas/state.schema.json`). Persisting it
//! (atomic writes and the exclusive lock) is `store`'s job. No secret value is ever part of it:
//! the config snapshot holds only secret references.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The state file format version this build reads and writes.
pub const STATE_SCHEMA_VERSION: u32 = 1;

/// The whole state of one deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "sre-agent-deploy state file")]
pub struct State {
    /// Format version of this file.
    pub schema_version: u32,
    /// The deployment this file belongs to.
    pub deployment_id: String,
    /// The config file the deployment was made from (absolute path), if any.
    pub config_path: Option<String>,
    /// SHA-256 of the config snapshot; a change means the config was edited since.
    pub config_digest: String,
    /// The config the deployment was made from (secret references only, never values).
    pub config: Config,
    /// Overall status.
    pub status: DeploymentStatus,
    /// When the deployment was first started (RFC 3339, UTC).
    pub created_at: String,
    /// When this file was last written (RFC 3339, UTC).
    pub updated_at: String,
    /// Each step's progress, by step id.
    pub steps: BTreeMap<String, StepRecord>,
    /// Every resource the deployment created, intended to create, or uses.
    pub ledger: Vec<LedgerEntry>,
    /// Values later steps and the report need (ids, ARNs, URLs).
    pub outputs: BTreeMap<String, String>,
    /// The last run that opened this state for writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<LastRun>,
}

/// Who last worked on a deployment, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LastRun {
    /// `deploy`, `resume`, `cleanup`, `state push`.
    pub operation: String,
    /// `user@host`.
    pub who: String,
    /// When it started (RFC 3339, UTC).
    pub at: String,
}

/// Where a deployment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentStatus {
    InProgress,
    Failed,
    Interrupted,
    Complete,
    CleanedUp,
}

impl std::fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::InProgress => "in progress",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
            Self::Complete => "complete",
            Self::CleanedUp => "cleaned up",
        })
    }
}

/// Progress of one step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StepRecord {
    pub status: StepStatus,
    /// Wall time of the last run of the step, in milliseconds.
    pub duration_ms: u64,
    /// AWS calls the last run of the step made.
    pub calls: u32,
    /// The last error, if the step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Status of one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    #[default]
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

/// The kinds of resources a deployment touches, in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    IamRole,
    IamRolePolicy,
    CognitoUserPool,
    CognitoDomain,
    CognitoResourceServer,
    CognitoClient,
    S3Bucket,
    S3Object,
    CredentialProvider,
    Gateway,
    GatewayTarget,
}

impl ResourceKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::IamRole => "IAM role",
            Self::IamRolePolicy => "IAM role policy",
            Self::CognitoUserPool => "Cognito user pool",
            Self::CognitoDomain => "Cognito domain",
            Self::CognitoResourceServer => "Cognito resource server",
            Self::CognitoClient => "Cognito app client",
            Self::S3Bucket => "S3 bucket",
            Self::S3Object => "S3 object",
            Self::CredentialProvider => "API key credential provider",
            Self::Gateway => "AgentCore gateway",
            Self::GatewayTarget => "gateway target",
        }
    }
}

/// Whether a ledger entry's resource exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// A create call is about to be (or was) made; its answer has not been recorded. On resume
    /// the resource is looked up by name and adopted if it exists.
    Intended,
    /// The resource exists.
    Present,
    /// The resource was deleted by cleanup (or found gone).
    Deleted,
}

/// One resource of the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LedgerEntry {
    pub kind: ResourceKind,
    /// The resource's name (role name, pool name, bucket, object key, gateway name...).
    pub name: String,
    /// The service's id, when it differs from the name (pool id, client id, gateway id...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The id of the resource this one lives in (the pool of a client, the bucket of an object...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub region: String,
    /// True when this deployment created the resource; cleanup deletes only those.
    pub created_by_us: bool,
    pub status: LedgerStatus,
}

impl State {
    /// The ledger entry of a kind and name, if any.
    pub fn entry(&self, kind: ResourceKind, name: &str) -> Option<&LedgerEntry> {
        self.ledger.iter().find(|e| e.kind == kind && e.name == name)
    }

    /// Inserts or replaces the entry of the same kind and name; false when it was already so.
    pub fn upsert(&mut self, entry: LedgerEntry) -> bool {
        match self
            .ledger
            .iter_mut()
            .find(|e| e.kind == entry.kind && e.name == entry.name)
        {
            Some(existing) if *existing == entry => false,
            Some(existing) => {
                *existing = entry;
                true
            }
            None => {
                self.ledger.push(entry);
                true
            }
        }
    }

    pub fn step(&mut self, id: &str) -> &mut StepRecord {
        self.steps.entry(id.to_string()).or_default()
    }
}

/// The state file's JSON Schema, as committed to `schemas/state.schema.json`.
pub fn state_schema_text() -> String {
    crate::config::schema::committed_text(&schemars::schema_for!(State))
}

/// The current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: ResourceKind, name: &str) -> LedgerEntry {
        LedgerEntry {
            kind,
            name: name.into(),
            id: None,
            arn: None,
            parent: None,
            region: "us-east-1".into(),
            created_by_us: true,
            status: LedgerStatus::Intended,
        }
    }

    #[test]
    fn upsert_replaces_the_same_kind_and_name() {
        let mut state = crate::deploy::store::new_state("sre-test", None, &Config::default());
        assert!(state.upsert(entry(ResourceKind::IamRole, "r")));
        assert!(state.upsert(entry(ResourceKind::Gateway, "r")));
        let mut present = entry(ResourceKind::IamRole, "r");
        present.status = LedgerStatus::Present;
        assert!(state.upsert(present.clone()));
        assert!(!state.upsert(present), "the same entry again changes nothing");
        assert_eq!(state.ledger.len(), 2);
        assert_eq!(
            state.entry(ResourceKind::IamRole, "r").map(|e| e.status),
            Some(LedgerStatus::Present)
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let now = now_rfc3339();
        assert!(now.ends_with('Z') && now.contains('T'), "{now}");
    }
}

//! What a deploy would do, resource by resource: from the plan (what the config asks for), the
//! state's ledger (what the deployment made) and what AWS shows now ([`super::observe::Live`]).
//! Pure: no AWS, no I/O. `plan` prints it; `drift` reads it against the deployment's own
//! recorded config (so every difference is a change made behind the tool's back).
//!
//! The rules are the steps' own: what is missing is created (again, if the ledger had it);
//! settings the steps keep in line (the role's policy, the scopes, the gateway's role and
//! authorizer, a target's spec location, provider and description, a spec object's content) are
//! updates; a target whose spec changed since it read it is synchronized (an update); a target
//! or spec object the ledger has and the config no longer names is deleted; a role, bucket or
//! provider of the config's name that is not in the ledger is adopted (used as it is).

mod compute;

use schemars::JsonSchema;
use serde::Serialize;

use super::observe::Live;
use super::plan::Plan;
use super::state::{LedgerStatus, ResourceKind, State};

/// What a deploy does with one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    /// The API cannot change a field in place: deleted and created again.
    Replace,
    Delete,
    /// It exists under the config's name but not in the ledger: used as it is.
    Adopt,
    NoOp,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Replace => "replace",
            Self::Delete => "delete",
            Self::Adopt => "adopt",
            Self::NoOp => "no-op",
        }
    }
}

/// One field that changes: its path, and its value before and after (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Field {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One resource and what a deploy does with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Change {
    /// The resource kind, for the ledger.
    #[serde(skip)]
    #[schemars(skip)]
    pub resource: ResourceKind,
    /// The resource kind (`IAM role`, `gateway target`...).
    pub kind: String,
    pub name: String,
    /// The service's id, when it has one.
    pub id: Option<String>,
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Why, for anything but a plain create or no-op.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A value the deploy only learns when it creates what it depends on.
pub const KNOWN_AFTER: &str = "(known after the deploy)";

/// Every resource of the deployment and what a deploy would do with it.
pub fn changes(plan: &Plan, state: Option<&State>, live: &Live) -> Vec<Change> {
    let mut c = compute::Changes::new(state);
    let (pool_id, client_id) = compute::identity_and_storage(&mut c, plan, state, live);
    if compute::gateway(&mut c, plan, state, live, pool_id.as_deref(), client_id) {
        compute::targets(&mut c, plan, state, live);
    }
    c.out
}

/// What replacing the gateway does, for people.
pub const REPLACE_GATEWAY: &str = "a gateway's name cannot change in place: a new gateway is created, with a new URL \
    (every agent must be given it), its targets are made again, and the old gateway and its targets are deleted";

/// The deployment's gateway under another name than the config's (a `gateway_name` change).
pub fn renamed<'a>(plan: &Plan, state: Option<&'a State>) -> Option<&'a super::state::LedgerEntry> {
    state?.ledger.iter().find(|e| {
        e.kind == ResourceKind::Gateway
            && e.status == LedgerStatus::Present
            && e.created_by_us
            && e.name != plan.gateway_name
    })
}

/// How many of each action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub adopt: usize,
    pub no_op: usize,
}

impl Summary {
    pub fn of(changes: &[Change]) -> Self {
        let mut s = Self::default();
        for change in changes {
            *match change.action {
                Action::Create => &mut s.create,
                Action::Update => &mut s.update,
                Action::Replace => &mut s.replace,
                Action::Delete => &mut s.delete,
                Action::Adopt => &mut s.adopt,
                Action::NoOp => &mut s.no_op,
            } += 1;
        }
        s
    }

    /// Anything but no-ops.
    pub fn changes(&self) -> usize {
        self.create + self.update + self.replace + self.delete + self.adopt
    }
}

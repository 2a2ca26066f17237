//! Provisioning: the plan derived from the config, the step graph and its executor, the state
//! file and its ledger, resume and cleanup; what a deploy would change (`observe`, `changes`)
//! and what changed behind its back (`drift`).

pub mod board;
pub mod changes;
pub mod cleanup;
pub mod context;
pub mod discover;
pub mod drift;
pub mod ensure;
pub mod error;
pub mod executor;
pub mod ids;
pub mod observe;
pub mod plan;
pub mod reconcile;
pub mod run;
pub mod session;
pub mod state;
pub mod steps;
pub mod store;
pub mod wait;

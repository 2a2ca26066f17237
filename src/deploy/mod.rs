//! Provisioning: the plan derived from the config, the step graph and its executor, the state
//! file and its ledger, resume and cleanup.

pub mod board;
pub mod cleanup;
pub mod context;
pub mod discover;
pub mod ensure;
pub mod error;
pub mod executor;
pub mod ids;
pub mod plan;
pub mod reconcile;
pub mod run;
pub mod session;
pub mod state;
pub mod steps;
pub mod store;
pub mod wait;

//! Provisioning: the plan derived from the config, the step graph and its executor, the state
//! file and its ledger, resume and cleanup.

pub mod cleanup;
pub mod context;
pub mod error;
pub mod executor;
pub mod ids;
pub mod plan;
pub mod progress;
pub mod run;
pub mod state;
pub mod steps;
pub mod store;
pub mod wait;

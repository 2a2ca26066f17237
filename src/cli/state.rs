//! The arguments of the commands that work on states rather than on a config: `force-unlock`,
//! `state push|pull` and `list`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CommonArgs;

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The lock id the blocked run printed (the lock's `lock_id`).
    pub lock_id: String,
    /// Remove it without asking (required when there is no terminal to ask on).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Move a local state (--state-file, or .sre-agent-deploy/<ID>.json) into the S3 backend.
    /// Refuses when the backend already has a state for the deployment. The local file is
    /// renamed to <file>.pushed as a backup.
    Push(PushArgs),
    /// Write the backend's state to a local file for inspection (no lock is taken).
    Pull(PullArgs),
}

#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The backend to move the state into: s3://BUCKET/PREFIX.
    #[arg(long, value_name = "URL")]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Where to write it; default `<ID>.pulled.json` in the current folder.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also find, by their deployment tag, deployments in the account and region that have no
    /// state anywhere (with their resource counts), so they can be cleaned up.
    #[arg(long)]
    pub discover: bool,
}

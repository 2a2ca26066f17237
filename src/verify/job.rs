//! A verification as a job: the checks of [`super::run`] for a config and, when there is one,
//! its deployment's state, with the app client's secret found, and the four reports written.
//! `verify` runs it; so does the end of every deploy and resume.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::metrics;
use super::report::{Overall, VerificationReport};
use super::run::{self, Deployed};
use super::tls_files::inventory;
use crate::aws::{Clients, cognito};
use crate::config::{Config, Environment};
use crate::deploy::state::State;
use crate::deploy::store::STATE_DIR;
use crate::exit::ExitStatus;
use crate::files::{self, FileError};
use crate::output::progress::Progress;

/// A finished verification and where its reports are. Printed as the report and the paths;
/// as JSON, the report alone.
#[derive(Debug, Clone)]
pub struct Verified {
    pub report: VerificationReport,
    pub paths: Vec<PathBuf>,
}

impl Verified {
    /// Writes the metrics of this verification to `path` (atomically) and lists it with the
    /// reports. `strict` decides `sre_agent_deploy_verify_success` as it decides the exit code.
    pub fn write_metrics(
        &mut self,
        path: &Path,
        config: &Config,
        base_dir: &Path,
        strict: bool,
    ) -> Result<(), FileError> {
        let now = OffsetDateTime::parse(&self.report.generated_at, &Rfc3339)
            .unwrap_or_else(|_| OffsetDateTime::now_utc());
        let certificates = inventory::certificates(&config.tls, base_dir);
        let text = metrics::exposition(&metrics::Input {
            report: &self.report,
            certificates: &certificates,
            gateway: &config.gateway.gateway_name,
            success: self.exit_status(strict) == ExitStatus::Success,
            now,
        })
        .render();
        files::write_atomic(path, text.as_bytes())?;
        self.paths.push(path.to_path_buf());
        Ok(())
    }

    /// Exit 4 on failure, and on warnings when `strict`.
    pub fn exit_status(&self, strict: bool) -> ExitStatus {
        match self.report.status {
            Overall::Fail => ExitStatus::VerificationFailed,
            Overall::PassWithWarnings if strict => ExitStatus::VerificationFailed,
            _ => ExitStatus::Success,
        }
    }

    /// The report for people, then where the files are.
    pub fn text(&self) -> String {
        let mut text = self.report.to_string();
        if !self.paths.is_empty() {
            text.push_str("\nReports:\n");
            for path in &self.paths {
                text.push_str("  ");
                text.push_str(&path.to_string_lossy());
                text.push('\n');
            }
        }
        text
    }
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl serde::Serialize for Verified {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.report.serialize(serializer)
    }
}

/// What a verification needs besides the config.
pub struct Job<'a> {
    pub config: &'a Config,
    pub base_dir: &'a Path,
    pub state: Option<&'a State>,
    pub env: &'a dyn Environment,
    pub online: bool,
    pub call_tool: Option<String>,
    pub report_dir: Option<PathBuf>,
    pub rerun: String,
}

/// Runs the verification and writes the four reports.
pub async fn verify(job: Job<'_>, progress: &Progress) -> Result<Verified, FileError> {
    let deployed = job
        .state
        .map(|s| Deployed::from_outputs(&s.deployment_id, &s.outputs));
    let client_secret = if job.online {
        client_secret(job.config, job.base_dir, deployed.as_ref(), job.env, progress).await
    } else {
        None
    };
    let report_dir = job.report_dir.clone().unwrap_or_else(|| {
        let id = deployed
            .as_ref()
            .map_or("no-deployment", |d| d.deployment_id.as_str());
        run::report_dir(Path::new(STATE_DIR), id)
    });
    let report = run::run(run::Request {
        config: job.config,
        base_dir: job.base_dir,
        deployed,
        client_secret,
        online: job.online,
        call_tool: job.call_tool,
        rerun: job.rerun,
        progress,
    })
    .await;
    let paths = report.write_all(&report_dir)?;
    Ok(Verified { report, paths })
}

/// The app client's secret: the config's reference, else (for a client the deployment made)
/// read from Cognito. A failure is a progress line; the token check then says it was skipped.
async fn client_secret(
    config: &Config,
    base_dir: &Path,
    deployed: Option<&Deployed>,
    env: &dyn Environment,
    progress: &Progress,
) -> Option<SecretString> {
    if let Some(reference) = &config.cognito.client_secret {
        return match reference.resolve(env, base_dir) {
            Ok(secret) => Some(secret),
            Err(p) => {
                progress.line("verify", &format!("cognito.client_secret: {p}"));
                None
            }
        };
    }
    let deployed = deployed?;
    let pool = config
        .cognito
        .user_pool_id
        .clone()
        .or_else(|| deployed.user_pool_id.clone())?;
    let client = config
        .cognito
        .client_id
        .clone()
        .or_else(|| deployed.client_id.clone())?;
    let clients = Clients::connect(&config.aws).await;
    match cognito::client_secret(&clients.cognito, &pool, &client).await {
        Ok(secret) => secret,
        Err(e) => {
            progress.line(
                "verify",
                &format!("cannot read the app client's secret: {e} ({})", e.suggestion()),
            );
            None
        }
    }
}

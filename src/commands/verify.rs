//! `verify`: prove a deployment works, and write its reports. The same verification ends every
//! deploy and resume (`after_deploy`). It reads the state file but never writes it, and makes
//! one AWS call at most (reading the app client's secret from Cognito).

use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use super::validate::flag_overrides;
use super::write_out;
use crate::aws::{Clients, cognito};
use crate::cli::{OutputFormat, VerifyArgs};
use crate::config::load::load;
use crate::config::{Config, Environment};
use crate::deploy::progress::Progress;
use crate::deploy::state::State;
use crate::deploy::store::{self, STATE_DIR};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::output::ValidationReport;
use crate::verify::report::{Overall, VerificationReport};
use crate::verify::run::{self, Deployed};

/// A finished verification and where its reports are.
pub struct Verified {
    pub report: VerificationReport,
    pub paths: Vec<PathBuf>,
}

impl Verified {
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
pub async fn verify(job: Job<'_>, progress: &Progress) -> Result<Verified, Error> {
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

/// `sre-agent-deploy verify`.
pub fn run(args: &VerifyArgs, env: &dyn Environment, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let loaded = load(&args.common.config, env, &flag_overrides(&args.common)?)?;
    super::print_notices(&loaded);
    let result = loaded.validate(env);
    let Some(config) = loaded.config.clone().filter(|_| !result.has_errors()) else {
        let report = ValidationReport::new(&loaded.path, &result, false);
        let text = match args.common.output {
            OutputFormat::Text => report.to_string(),
            OutputFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report).unwrap_or_default()),
        };
        write_out(out, &text)?;
        return Ok(ExitStatus::Invalid);
    };
    let state = find_state(&config, &loaded.base_dir, &args.common.config);
    let progress = Progress::stderr();
    if state.is_none() && !args.offline {
        progress.line(
            "verify",
            "no deployment on record for this config: the token and gateway checks are skipped",
        );
    }
    let rerun = format!(
        "sre-agent-deploy verify --config {}",
        args.common.config.display()
    );
    let verified = super::runtime()?.block_on(verify(
        Job {
            config: &config,
            base_dir: &loaded.base_dir,
            state: state.as_ref(),
            env,
            online: !args.offline,
            call_tool: args.call_tool.clone(),
            report_dir: args.report_dir.clone(),
            rerun,
        },
        &progress,
    ))?;
    let text = match args.common.output {
        OutputFormat::Text => verified.text(),
        OutputFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&verified.report).unwrap_or_default()
        ),
    };
    write_out(out, &text)?;
    Ok(verified.exit_status(args.strict))
}

/// The deployment state for this config: the configured or default state file, else the one on
/// record for this config file.
pub fn find_state(config: &Config, base_dir: &Path, config_path: &Path) -> Option<State> {
    let path = match (&config.deployment.state_file, &config.deployment.deployment_id) {
        (Some(file), _) => base_dir.join(file),
        (None, Some(id)) => store::default_path(id),
        (None, None) => {
            let absolute = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_path_buf());
            store::find_for_config(Path::new(STATE_DIR), &absolute.to_string_lossy())?
        }
    };
    store::read(&path).ok()
}

//! `monitoring install`: writes the systemd service and timer, the crontab line and the alert
//! rules for a deployment into one folder, and prints how to enable them. Nothing is written
//! outside that folder, nothing is enabled, and no root is needed.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Cx, invalid};
use crate::cli::{CommonArgs, MonitoringArgs};
use crate::config::load::load;
use crate::deploy::session;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files::{self, FileError};
use crate::monitoring::Setup;

/// What `monitoring install` wrote, and the commands that enable it.
#[derive(Debug, Serialize)]
pub struct Installed {
    pub deployment_id: String,
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub service: String,
    pub timer: String,
    pub interval_minutes: u32,
    pub offline: bool,
    pub metrics_file: PathBuf,
    /// Each way to enable it (system-wide systemd, a user's systemd, cron) and its commands.
    pub enable: Vec<Way>,
    /// What the host needs besides (node_exporter, Prometheus, credentials).
    pub then: Vec<String>,
}

/// One way to enable the job.
#[derive(Debug, Serialize)]
pub struct Way {
    pub how: &'static str,
    pub commands: Vec<String>,
}

impl std::fmt::Display for Installed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "wrote {} files to {} (verify {} every {} minutes, metrics to {}):",
            self.files.len(),
            self.dir.display(),
            self.deployment_id,
            self.interval_minutes,
            self.metrics_file.display()
        )?;
        for file in &self.files {
            writeln!(f, "  {}", file.display())?;
        }
        writeln!(f, "\nEnable it, one way:")?;
        for way in &self.enable {
            writeln!(f, "  {}:", way.how)?;
            for command in &way.commands {
                writeln!(f, "    {command}")?;
            }
        }
        writeln!(f, "\nThen:")?;
        for step in &self.then {
            writeln!(f, "  - {step}")?;
        }
        Ok(())
    }
}

/// `sre-agent-deploy monitoring install`.
pub fn install(args: &MonitoringArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let loaded = load(&args.common.config, cx.env, &args.common.overrides()?)?;
    cx.notices(&loaded);
    let result = loaded.validate(cx.env);
    let Some(config) = loaded.config.clone().filter(|_| !result.has_errors()) else {
        return invalid(cx, &loaded, &result, out);
    };
    let deployment_id = match &config.deployment.deployment_id {
        Some(id) => id.clone(),
        None => session::recorded(&config, &loaded.base_dir, &args.common.config)?
            .map(|s| s.deployment_id)
            .ok_or_else(|| Error::NoDeploymentId {
                config: args.common.config.clone(),
            })?,
    };
    let here = std::env::current_dir().map_err(|e| FileError::other(Path::new("."), e.to_string()))?;
    files::create_dir_all(&args.dir)?;
    let dir = absolute(&here, &args.dir);
    let config_path = absolute(&here, &args.common.config);
    let metrics_file = absolute(&here, &args.metrics_file);
    let mut verify_args = vec!["--config".to_string(), config_path.display().to_string()];
    verify_args.extend(carried_flags(&args.common, &here));
    verify_args.extend(["--prometheus".to_string(), metrics_file.display().to_string()]);
    if args.offline {
        verify_args.push("--offline".into());
    }
    let setup = Setup {
        deployment_id: deployment_id.clone(),
        dir: dir.clone(),
        exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("sre-agent-deploy")),
        workdir: here,
        verify_args,
        config: config_path,
        metrics_file: metrics_file.clone(),
        schedule: args.interval_minutes,
        warn_days: config.tls.warn_days,
        fail_days: config.tls.fail_days,
        acme: config.tls.acme.is_some(),
        // Every step is bounded by verify.timeout_seconds; even a sweep of many endpoints that
        // all time out stays well inside 20 of those, or 10 minutes.
        timeout_seconds: (config.verify.timeout_seconds.max(1) * 20).max(600),
    };
    let rendered = setup.render().map_err(|e| FileError::other(&dir, e))?;
    let mut written = Vec::new();
    for file in &rendered.files {
        files::write_atomic(&file.path, file.text.as_bytes())?;
        written.push(file.path.clone());
    }
    let installed = Installed {
        enable: ways(&setup, &rendered.service, &rendered.timer),
        then: then(&setup),
        deployment_id,
        dir,
        files: written,
        service: rendered.service,
        timer: rendered.timer,
        interval_minutes: args.interval_minutes.minutes(),
        offline: args.offline,
        metrics_file,
    };
    cx.printer.result(out, &installed)?;
    Ok(ExitStatus::Success)
}

/// `path` made absolute against `here` (and canonical when it exists).
fn absolute(here: &Path, path: &Path) -> PathBuf {
    let joined = here.join(path);
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

/// The flags of this run that the unattended verify must repeat to find the same deployment.
fn carried_flags(common: &CommonArgs, here: &Path) -> Vec<String> {
    let mut flags = Vec::new();
    let mut pair = |flag: &str, value: Option<String>| {
        if let Some(value) = value {
            flags.extend([flag.to_string(), value]);
        }
    };
    pair("--deployment-id", common.deployment_id.clone());
    pair(
        "--state-file",
        common
            .state_file
            .as_deref()
            .map(|p| absolute(here, p).display().to_string()),
    );
    pair("--state-backend", common.state_backend.clone());
    pair("--region", common.region.clone());
    pair("--profile", common.profile.clone());
    pair("--endpoint-url", common.endpoint_url.clone());
    for set in &common.set {
        flags.extend(["--set".to_string(), set.clone()]);
    }
    flags
}

fn ways(setup: &Setup, service: &str, timer: &str) -> Vec<Way> {
    let dir = setup.dir.display();
    let crontab = setup.crontab_path();
    vec![
        Way {
            how: "systemd, system-wide (root; add User= to the service to run it as another user)",
            commands: vec![
                format!("sudo install -m 0644 '{dir}/{service}' '{dir}/{timer}' /etc/systemd/system/"),
                format!("sudo systemctl daemon-reload && sudo systemctl enable --now {timer}"),
            ],
        },
        Way {
            how: "systemd, as this user (no root)",
            commands: vec![
                format!(
                    "mkdir -p ~/.config/systemd/user && cp '{dir}/{service}' '{dir}/{timer}' ~/.config/systemd/user/"
                ),
                format!("systemctl --user daemon-reload && systemctl --user enable --now {timer}"),
                "loginctl enable-linger \"$USER\"   # keep it running while you are logged out".into(),
            ],
        },
        Way {
            how: "cron, as this user",
            commands: vec![format!(
                "(crontab -l 2>/dev/null; cat '{}') | crontab -",
                crontab.display()
            )],
        },
    ]
}

fn then(setup: &Setup) -> Vec<String> {
    let folder = setup
        .metrics_file
        .parent()
        .map_or_else(|| ".".into(), |p| p.display().to_string());
    let rules = setup.rules_path().display().to_string();
    vec![
        format!(
            "node_exporter reads {folder}: start it with --collector.textfile.directory={folder}, \
             and let the job's user write there"
        ),
        format!(
            "promtool check rules '{rules}', then list it under rule_files: in prometheus.yml and reload Prometheus"
        ),
        format!(
            "the job reads AWS credentials and the config's env: values from its environment; put \
             them in {} (VAR=value lines, mode 0600) when the job's user has none",
            setup.env_file().display()
        ),
        format!(
            "run it once now: systemctl start {}.service (or the crontab's command), then read {}",
            setup.unit_name(),
            setup.metrics_file.display()
        ),
    ]
}

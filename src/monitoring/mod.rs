//! `monitoring install`: what a host needs to verify a deployment unattended and export the
//! result to Prometheus. The files come from the templates in `templates/monitoring/`: a systemd
//! service and timer, the equivalent crontab line, and alert rules. This module renders them
//! (pure); the command writes them into one folder and prints how to enable them.

mod quote;
mod schedule;

use std::path::{Path, PathBuf};

use minijinja::{Environment, context};

pub use schedule::{Schedule, parse_minutes};

const SERVICE: &str = include_str!("../../templates/monitoring/verify.service.j2");
const TIMER: &str = include_str!("../../templates/monitoring/verify.timer.j2");
const CRONTAB: &str = include_str!("../../templates/monitoring/crontab.j2");
const RULES: &str = include_str!("../../templates/monitoring/alerts.rules.yml.j2");

/// What the files are made from. Paths are absolute: a unit runs from no particular folder.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Names the units and the files (`sre-agent-deploy-verify-<id>`).
    pub deployment_id: String,
    /// The folder the files go to.
    pub dir: PathBuf,
    /// This binary.
    pub exe: PathBuf,
    /// The folder verify runs in (where `.sre-agent-deploy/` holds the state and the reports).
    pub workdir: PathBuf,
    /// The arguments after `verify` (the config and the flags it was installed with, with
    /// `--prometheus FILE` and `--offline` added).
    pub verify_args: Vec<String>,
    pub config: PathBuf,
    pub metrics_file: PathBuf,
    pub schedule: Schedule,
    pub warn_days: i64,
    pub fail_days: i64,
    /// The certificate comes from an ACME CA (`tls.acme`): the alerts say to renew it.
    pub acme: bool,
    /// How long one verification may take before systemd stops it.
    pub timeout_seconds: u64,
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub text: String,
}

/// The rendered files and the names the enable commands use.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub service: String,
    pub timer: String,
    pub files: Vec<File>,
}

impl Setup {
    /// `sre-agent-deploy-verify-<id>`, the units' name.
    pub fn unit_name(&self) -> String {
        format!("sre-agent-deploy-verify-{}", self.deployment_id)
    }

    /// The file the service reads its environment from (optional; never written by the tool).
    pub fn env_file(&self) -> PathBuf {
        self.dir.join("verify.env")
    }

    /// The crontab line's file.
    pub fn crontab_path(&self) -> PathBuf {
        self.dir.join(format!("{}.crontab", self.unit_name()))
    }

    /// The alert rules' file.
    pub fn rules_path(&self) -> PathBuf {
        self.dir
            .join(format!("sre-agent-deploy-{}.rules.yml", self.deployment_id))
    }

    /// Renders the four files.
    pub fn render(&self) -> Result<Rendered, String> {
        let unit = self.unit_name();
        let service = format!("{unit}.service");
        let timer = format!("{unit}.timer");
        let service_path = self.dir.join(&service);
        let timer_path = self.dir.join(&timer);
        let crontab_path = self.crontab_path();
        let rules_path = self.rules_path();
        let mut argv = vec![self.exe.display().to_string(), "verify".to_string()];
        argv.extend(self.verify_args.iter().cloned());
        let shown = |p: &Path| p.display().to_string();
        let values = context! {
            id => &self.deployment_id,
            workdir => quote::systemd_path(&shown(&self.workdir)),
            env_file => quote::systemd_path(&shown(&self.env_file())),
            exec_start => quote::systemd_command(&argv),
            timeout_seconds => self.timeout_seconds,
            minutes => self.schedule.minutes(),
            interval_seconds => u64::from(self.schedule.minutes()) * 60,
            on_calendar => self.schedule.on_calendar(),
            service => &service,
            timer => &timer,
            metrics_file => shown(&self.metrics_file),
            crontab_file => quote::shell(&shown(&crontab_path)),
            cron_schedule => self.schedule.cron(),
            cron_command => quote::cron(&self.cron_command(&argv)),
            rules_file => quote::shell(&shown(&rules_path)),
            config => quote::shell(&shown(&self.config)),
            warn_days => self.warn_days,
            fail_days => self.fail_days,
            acme => self.acme,
        };
        let mut env = Environment::new();
        env.add_filter("dq", |value: String| {
            value.replace('\\', "\\\\").replace('"', "\\\"")
        });
        let mut files = Vec::new();
        for (path, name, source) in [
            (service_path, "verify.service.j2", SERVICE),
            (timer_path, "verify.timer.j2", TIMER),
            (crontab_path, "crontab.j2", CRONTAB),
            (rules_path, "alerts.rules.yml.j2", RULES),
        ] {
            let text = env
                .template_from_named_str(name, source)
                .and_then(|t| t.render(&values))
                .map_err(|e| format!("template {name}: {e:#}"))?;
            files.push(File {
                path,
                text: ensure_newline(text),
            });
        }
        Ok(Rendered {
            service,
            timer,
            files,
        })
    }

    /// The cron job: into the folder, the optional environment file, then verify (its output
    /// goes nowhere: the metrics and the reports hold the result).
    fn cron_command(&self, argv: &[String]) -> String {
        let env = quote::shell(&self.env_file().display().to_string());
        let command: Vec<String> = argv.iter().map(|a| quote::shell(a)).collect();
        format!(
            "cd {} && {{ [ ! -f {env} ] || {{ set -a; . {env}; set +a; }}; }} && {} >/dev/null 2>&1",
            quote::shell(&self.workdir.display().to_string()),
            command.join(" ")
        )
    }
}

fn ensure_newline(mut text: String) -> String {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn setup() -> Setup {
        Setup {
            deployment_id: "sre-prod".into(),
            dir: "/srv/sre agent/monitoring".into(),
            exe: "/usr/local/bin/sre-agent-deploy".into(),
            workdir: "/srv/sre agent".into(),
            verify_args: vec![
                "--config".into(),
                "/srv/sre agent/config.yaml".into(),
                "--prometheus".into(),
                "/var/lib/node-exporter/sre-agent-deploy.prom".into(),
            ],
            config: "/srv/sre agent/config.yaml".into(),
            metrics_file: "/var/lib/node-exporter/sre-agent-deploy.prom".into(),
            schedule: parse_minutes("15").expect("valid"),
            warn_days: 30,
            fail_days: 7,
            acme: false,
            timeout_seconds: 600,
        }
    }

    fn file<'a>(rendered: &'a Rendered, suffix: &str) -> &'a str {
        rendered
            .files
            .iter()
            .find(|f| f.path.to_string_lossy().ends_with(suffix))
            .map(|f| f.text.as_str())
            .expect("file rendered")
    }

    #[test]
    fn the_four_files_are_named_for_the_deployment_inside_the_folder() {
        let rendered = setup().render().expect("renders");
        let names: Vec<String> = rendered
            .files
            .iter()
            .map(|f| {
                assert!(
                    f.path.starts_with("/srv/sre agent/monitoring"),
                    "{}",
                    f.path.display()
                );
                f.path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            names,
            [
                "sre-agent-deploy-verify-sre-prod.service",
                "sre-agent-deploy-verify-sre-prod.timer",
                "sre-agent-deploy-verify-sre-prod.crontab",
                "sre-agent-deploy-sre-prod.rules.yml"
            ]
        );
        assert_eq!(rendered.timer, "sre-agent-deploy-verify-sre-prod.timer");
    }

    #[test]
    fn the_service_quotes_paths_and_the_timer_and_cron_say_the_same_schedule() {
        let rendered = setup().render().expect("renders");
        let service = file(&rendered, ".service");
        assert!(
            service.contains(
                "ExecStart=/usr/local/bin/sre-agent-deploy verify --config \"/srv/sre agent/config.yaml\" \
                 --prometheus /var/lib/node-exporter/sre-agent-deploy.prom\n"
            ),
            "{service}"
        );
        assert!(service.contains("WorkingDirectory=/srv/sre agent\n"), "{service}");
        assert!(service.contains("SuccessExitStatus=4\n"));
        let timer = file(&rendered, ".timer");
        assert!(timer.contains("OnCalendar=*:0/15\n"), "{timer}");
        assert!(timer.contains("Unit=sre-agent-deploy-verify-sre-prod.service\n"));
        let cron = file(&rendered, ".crontab");
        let line = cron.lines().find(|l| !l.starts_with('#')).expect("a job line");
        assert!(line.starts_with("*/15 * * * * cd '/srv/sre agent' && "), "{line}");
        assert!(
            line.contains(
                "'/usr/local/bin/sre-agent-deploy' 'verify' '--config' '/srv/sre agent/config.yaml'"
            ),
            "{line}"
        );
    }

    #[test]
    fn the_rules_carry_the_config_thresholds_and_prometheus_templates() {
        let mut s = setup();
        s.warn_days = 21;
        s.fail_days = 3;
        s.schedule = parse_minutes("60").expect("valid");
        let rules = file(&s.render().expect("renders"), ".rules.yml").to_string();
        assert!(
            rules.contains("(x509_cert_not_after - time()) < 21 * 86400"),
            "{rules}"
        );
        assert!(
            rules.contains("(probe_ssl_earliest_cert_expiry - time()) < 3 * 86400"),
            "{rules}"
        );
        assert!(rules.contains("> 3 * 3600"), "{rules}");
        assert!(rules.contains("{{ $labels.instance }}"), "{rules}");
        assert!(
            rules.contains("verify -c '/srv/sre agent/config.yaml'"),
            "{rules}"
        );
        assert!(!rules.contains("certificate renew"), "{rules}");
        s.acme = true;
        let rules = file(&s.render().expect("renders"), ".rules.yml").to_string();
        assert!(
            rules.contains("certificate renew -c '/srv/sre agent/config.yaml' --force"),
            "{rules}"
        );
    }
}

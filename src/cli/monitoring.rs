//! The arguments of `monitoring install`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CommonArgs;
use crate::monitoring::{Schedule, parse_minutes};

#[derive(Debug, Subcommand)]
pub enum MonitoringCommand {
    /// Write what a host needs to verify this deployment unattended and export the result to
    /// Prometheus (node_exporter's textfile collector): a systemd service and timer, the
    /// equivalent crontab line, and alert rules (certificates within tls.warn_days and
    /// tls.fail_days, a probe failing for 10 minutes, the token or the gateway failing, no run in
    /// 3 intervals). Writes into --dir only, needs no root, and prints the commands that enable
    /// them. Run it again after a config change to update the files.
    Install(MonitoringArgs),
}

#[derive(Debug, Args)]
pub struct MonitoringArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The folder to write the files into (created when missing).
    #[arg(long, value_name = "DIR", default_value = "monitoring")]
    pub dir: PathBuf,
    /// How often verify runs: a divisor of 60, or whole hours that divide a day (120 ... 1440),
    /// so that the timer and the crontab line say the same.
    #[arg(long, value_name = "MINUTES", default_value = "15", value_parser = parse_minutes)]
    pub interval_minutes: Schedule,
    /// Run only the checks that need no network (the certificate files): `verify --offline`.
    #[arg(long)]
    pub offline: bool,
    /// The metrics file verify writes: a `.prom` file in the folder node_exporter's
    /// --collector.textfile.directory names (Debian's prometheus-node-exporter reads
    /// /var/lib/prometheus/node-exporter).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "/var/lib/prometheus/node-exporter/sre-agent-deploy.prom"
    )]
    pub metrics_file: PathBuf,
}

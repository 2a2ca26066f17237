//! Command-line definitions (clap). Parsing only: no I/O and no decisions beyond what clap checks.

use std::path::PathBuf;

mod argv;
mod common;
mod monitoring;
mod state;

pub use argv::globals_after_subcommand;
use clap::{ArgAction, Args, Parser, Subcommand};
pub use common::CommonArgs;
pub use monitoring::{MonitoringArgs, MonitoringCommand};
pub use state::{ForceUnlockArgs, ListArgs, PullArgs, PushArgs, StateCommand};

use crate::exit::EXIT_CODES_HELP;
pub use crate::output::printer::OutputFormat;
use crate::output::printer::Verbosity;

const AFTER_HELP: &str = "\
Modes:
  sre-agent-deploy --non-interactive -c FILE   deploy (or bring up to date) the stack in FILE, then
                                               verify it (--no-verify skips; exit 4 if it fails)
  sre-agent-deploy --validate-only -c FILE     check a config without creating anything (for CI)
  sre-agent-deploy --resume [--state-file F | --deployment-id ID]
                                               finish an interrupted or failed deployment
  sre-agent-deploy --cleanup --deployment-id ID [--dry-run] [--yes]
                                               delete what a deployment created, nothing else
  sre-agent-deploy verify -c FILE [--offline]  prove a deployment works; reports in
                                               .sre-agent-deploy/reports/<id>/ (exit 4 on failure)
  sre-agent-deploy import --from DIR           write a config from the original scripts' files
  sre-agent-deploy preflight [-c FILE]         check the host the backends will run on
  sre-agent-deploy config migrate -c FILE      rewrite an older config in the current version
  sre-agent-deploy certificate issue -c FILE   get the backends' certificate from an ACME CA
  sre-agent-deploy certificate renew -c FILE   renew it when due (--force, --dry-run); for cron
  sre-agent-deploy init [--output FILE]        write a commented example config
  sre-agent-deploy completions SHELL           print shell completions (bash, zsh, fish, powershell)
  sre-agent-deploy man                         print the man page (roff)
  sre-agent-deploy [-c FILE]                   the interactive wizard (on a terminal): prompts
                                               with defaults from FILE, the environment and the
                                               account; saves FILE (backup kept); review screen;
                                               live dashboard; verification report. Without a
                                               terminal it behaves like --non-interactive.
  sre-agent-deploy --resume (on a terminal)    the dashboard, from the first unfinished step

AWS access uses the standard credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, instance
roles...) and the standard endpoint override AWS_ENDPOINT_URL (for a local emulator).
State: .sre-agent-deploy/<deployment-id>.json in the current folder, unless --state-file or
deployment.state_file says otherwise. It holds no secret values.

Where values come from (later wins): the config file, then environment variables, then flags.
  Environment: SRE_AGENT_DEPLOY_<SECTION>_<FIELD> for any field (SRE_AGENT_DEPLOY_AWS_REGION),
  and the original scripts' names: AWS_REGION, AWS_PROFILE, COGNITO_DOMAIN, COGNITO_CLIENT_ID,
  COGNITO_CLIENT_SECRET, COGNITO_USER_POOL_ID, BACKEND_API_KEY. A variable holding a secret is
  used as a reference to itself (env:NAME); secret values are never written to any file.
  Flags: --region, --profile, --endpoint-url, --deployment-id, --state-file, --set PATH=VALUE.
";

/// Deploy the SRE agent stack (AgentCore Gateway + Cognito + IAM + S3 + TLS backends) to AWS.
#[derive(Debug, Parser)]
#[command(name = "sre-agent-deploy", version, about, long_about = None)]
#[command(after_long_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"))]
#[command(after_help = "Run with --help for the modes, where values come from, and the exit codes.")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
    /// Print errors and the final result only: no progress lines or notes.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print each AWS call: operation, duration, retries and the service's request id
    /// (plain output only: not while the wizard's screens are up).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

impl Cli {
    /// The output format the command in use was given.
    pub fn output_format(&self) -> OutputFormat {
        match &self.command {
            None => self.run.common.output,
            Some(Command::Verify(args)) => args.common.output,
            Some(Command::Plan(args) | Command::Drift(args)) => args.common.output,
            Some(Command::Certificate(CertificateCommand::Issue(args))) => args.common.output,
            Some(Command::Certificate(CertificateCommand::Renew(args))) => args.common.output,
            Some(Command::ForceUnlock(args)) => args.common.output,
            Some(Command::State(StateCommand::Push(args))) => args.common.output,
            Some(Command::State(StateCommand::Pull(args))) => args.common.output,
            Some(Command::List(args)) => args.common.output,
            Some(Command::Monitoring(MonitoringCommand::Install(args))) => args.common.output,
            Some(Command::Import(args)) => args.format,
            Some(Command::Preflight(args)) => args.output,
            Some(
                Command::Init(_)
                | Command::Schema
                | Command::Config(_)
                | Command::Completions(_)
                | Command::Man,
            ) => OutputFormat::Text,
        }
    }

    pub fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, _) => Verbosity::Verbose,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a fully commented example config to fill in.
    Init(InitArgs),
    /// Print the config file's JSON Schema (for editors and CI linters).
    Schema,
    /// Prove a deployment works: TLS files, backends over TLS, the Cognito token, the gateway's
    /// MCP tools, and that bad tokens are refused. Writes JSON, Markdown, HTML and JUnit reports.
    /// Exit 0 pass, 4 fail. Suitable for cron (certificate monitoring).
    Verify(VerifyArgs),
    /// Show what a deploy would do, resource by resource: create, update (each field, before ->
    /// after), replace, delete, adopt or no-op, and a summary. Read-only: only Get, List,
    /// Describe and S3 HEAD calls. With --detailed-exitcode: 0 no changes, 1 error, 2 changes.
    Plan(PlanArgs),
    /// Compare the deployment with what AWS shows (like `terraform plan -refresh-only`): each
    /// resource in_sync, modified (the fields that differ from what the deployment set) or
    /// deleted; a deploy puts it back. Read-only. Exit codes as for plan.
    Drift(PlanArgs),
    /// Write this tool's config from the original SRE agent scripts' files (gateway/config.yaml,
    /// gateway/.env, backend/.env, backend/openapi_specs/*.yaml.template). Read-only on DIR.
    Import(ImportArgs),
    /// Check the host the backend servers will run on: CPU, memory, disk, tools, ports, and
    /// whether the certificate and key are readable.
    Preflight(PreflightArgs),
    /// Config file maintenance.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The backends' certificate from an ACME CA (tls.acme): issue it, or renew it when due.
    #[command(subcommand)]
    Certificate(CertificateCommand),
    /// Remove a stale lock on a deployment's state in S3, left by a run that was killed. Names
    /// the lock id the blocked run printed; refuses any other. Needs --yes without a terminal.
    ForceUnlock(ForceUnlockArgs),
    /// Move a deployment's state: `push` a local state into the S3 backend (the local file is
    /// kept as a backup), `pull` the backend's state into a local file to inspect it.
    #[command(subcommand)]
    State(StateCommand),
    /// List the deployments in the state backend (or the local state files): id, status, last
    /// operation, who, when, gateway URL. --discover also finds, by tag, deployments in the
    /// account and region that have no state anywhere.
    List(ListArgs),
    /// Watch the deployment afterwards: `monitoring install` writes a systemd timer (and the
    /// equivalent crontab line) that runs `verify --prometheus` every 15 minutes, and Prometheus
    /// alert rules for its metrics.
    #[command(subcommand)]
    Monitoring(MonitoringCommand),
    /// Print shell completions: `sre-agent-deploy completions bash > /etc/bash_completion.d/sre-agent-deploy`.
    Completions(CompletionsArgs),
    /// Print the man page (roff): `sre-agent-deploy man | man -l -`.
    Man,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Exit 0 when there is nothing to change, 2 when there is, 1 on any error (as
    /// `terraform plan -detailed-exitcode` does).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The original checkout (the folder holding gateway/ and backend/).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// Where to write the config; an existing file is backed up first.
    #[arg(short, long, default_value = "config.yaml")]
    pub output: PathBuf,
    /// Print the config and the findings; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// The config whose certificate, key and ports are checked (optional).
    #[arg(short, long, env = "SRE_AGENT_DEPLOY_CONFIG")]
    pub config: Option<PathBuf>,
    /// The user that will run the backend servers (default: the current user).
    #[arg(long, value_name = "USER")]
    pub run_as: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Warnings fail the preflight too (exit 1).
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum CertificateCommand {
    /// Get a certificate for tls.domain_name and write tls.ssl_cert_path and tls.ssl_key_path
    /// (a different previous pair is kept as a backup).
    Issue(CertificateArgs),
    /// Renew the certificate when it expires within tls.acme.renew_before_days (default
    /// tls.warn_days). Exit 0 when renewed or not due; 3 when the ACME flow failed (the old files
    /// are untouched). For cron or a systemd timer.
    Renew(RenewArgs),
}

#[derive(Debug, Args)]
pub struct CertificateArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Renew even when the certificate is not due.
    #[arg(long)]
    pub force: bool,
    /// Say whether the certificate is due; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Rewrite a config file in the current format version, after taking a backup.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The config file.
    #[arg(short, long, env = "SRE_AGENT_DEPLOY_CONFIG", default_value = "config.yaml")]
    pub config: PathBuf,
    /// Print the migrated file; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Only the checks that need no network (the certificate and key files).
    #[arg(long)]
    pub offline: bool,
    /// Also call this gateway tool (`<target>___<operationId>`) as a smoke test.
    #[arg(long, value_name = "NAME")]
    pub call_tool: Option<String>,
    /// Where to write the reports; default `.sre-agent-deploy/reports/<deployment-id>/`.
    #[arg(long, value_name = "DIR")]
    pub report_dir: Option<PathBuf>,
    /// Warnings fail verification too (exit 4).
    #[arg(long)]
    pub strict: bool,
    /// Also write the result as Prometheus metrics to FILE (atomically: a temp file in the same
    /// folder, then a rename), for node_exporter's textfile collector. Works with --offline.
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the config.
    #[arg(short, long, default_value = "config.yaml")]
    pub output: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,

    /// Check the config without creating anything; exit 0 valid, 1 errors, 2 usage/I-O problem.
    #[arg(long)]
    pub validate_only: bool,
    /// With --validate-only: warnings fail validation too.
    #[arg(long, requires = "validate_only")]
    pub strict: bool,
    /// With --validate-only: also check the backends over TLS and, for a deployed config, the
    /// Cognito token and the gateway (network, no AWS API calls).
    #[arg(long, requires = "validate_only")]
    pub online: bool,
    /// Deploy or resume without the verification that normally ends the run.
    #[arg(long, conflicts_with_all = ["validate_only", "cleanup"])]
    pub no_verify: bool,
    /// After the deploy, also call this gateway tool as a smoke test.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["validate_only", "cleanup", "no_verify"])]
    pub call_tool: Option<String>,
    /// With --validate-only: also write a JUnit XML report, one test case per config section.
    #[arg(long, value_name = "FILE", requires = "validate_only")]
    pub junit: Option<PathBuf>,

    /// Never prompt or open full-screen views; plain timestamped progress lines; a missing value
    /// is an error naming its field. Implied when standard input is not a terminal.
    #[arg(long)]
    pub non_interactive: bool,
    /// Finish an interrupted deployment from its state file.
    #[arg(long, conflicts_with_all = ["validate_only", "cleanup"])]
    pub resume: bool,
    /// Delete every resource a deployment created (needs --deployment-id).
    #[arg(long, requires = "deployment_id", conflicts_with = "validate_only")]
    pub cleanup: bool,

    /// Answer yes to confirmations (cleanup, applying a changed config on resume).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// With --cleanup: list what would be deleted, delete nothing.
    #[arg(long, requires = "cleanup")]
    pub dry_run: bool,
}

impl RunArgs {
    /// What a deploying run takes from the flags.
    pub fn run_options(&self) -> crate::runner::Options {
        crate::runner::Options {
            no_verify: self.no_verify,
            call_tool: self.call_tool.clone(),
            config_path: self.common.config.clone(),
        }
    }

    /// Whether the run shows prompts and full-screen views: standard input, output and error are
    /// all a terminal (the screens draw on standard output, the prompts on standard error), the
    /// output is text, and `--non-interactive` is not given.
    pub fn wants_screens(&self) -> bool {
        use std::io::IsTerminal;
        !self.non_interactive
            && self.common.output == OutputFormat::Text
            && std::io::stdin().is_terminal()
            && std::io::stdout().is_terminal()
            && std::io::stderr().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn quiet_and_verbose_apply_to_every_command_and_exclude_each_other() {
        let quiet = Cli::try_parse_from(["sre-agent-deploy", "verify", "-q"]).expect("parses");
        assert_eq!(quiet.verbosity(), Verbosity::Quiet);
        let verbose = Cli::try_parse_from(["sre-agent-deploy", "-vv", "--validate-only"]).expect("parses");
        assert_eq!(verbose.verbosity(), Verbosity::Verbose);
        assert!(Cli::try_parse_from(["sre-agent-deploy", "-q", "-v"]).is_err());
        let json = Cli::try_parse_from(["sre-agent-deploy", "import", "--from", "x", "--format", "json"])
            .expect("parses");
        assert_eq!(json.output_format(), OutputFormat::Json);
    }

    #[test]
    fn cleanup_requires_a_deployment_id() {
        assert!(Cli::try_parse_from(["sre-agent-deploy", "--cleanup"]).is_err());
        assert!(Cli::try_parse_from(["sre-agent-deploy", "--cleanup", "--deployment-id", "d1x"]).is_ok());
    }
}

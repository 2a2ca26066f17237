//! The verdicts on a host's facts: one per check, in a fixed order, each problem with its fix.
//! Pure: no I/O, so every verdict is tested on injected [`HostFacts`].

use serde::Serialize;

use super::{
    Access, FileFact, GIB, HostFacts, MIN_CPUS, MIN_DISK_GIB, MIN_MEMORY_GIB, MIN_MEMORY_REPORTED, PortFact,
    PortState, ToolFact,
};
use crate::validate::Finding;

/// The oldest Python the backends run on.
pub const MIN_PYTHON: (u32, u32) = (3, 12);

const INSTANCE_FIX: &str = "use an instance type with at least 4 vCPUs and 16 GiB, such as m5.xlarge or \
                            t3.xlarge (stop the instance, change its type, start it)";

/// A check that passed, with what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passed {
    pub field: String,
    pub message: String,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass(Passed),
    Problem(Finding),
}

impl Verdict {
    fn pass(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Pass(Passed {
            field: field.into(),
            message: message.into(),
        })
    }
}

/// Every check's verdict, in the order the checks ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub verdicts: Vec<Verdict>,
}

impl Evaluation {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.verdicts.iter().filter_map(|v| match v {
            Verdict::Problem(f) => Some(f),
            Verdict::Pass(_) => None,
        })
    }

    pub fn passed(&self) -> impl Iterator<Item = &Passed> {
        self.verdicts.iter().filter_map(|v| match v {
            Verdict::Pass(p) => Some(p),
            Verdict::Problem(_) => None,
        })
    }
}

/// Judges the facts: warnings below the design's minimum host and for missing or old tools and
/// ports already served; errors for certificate and key files the run-as user cannot read.
pub fn evaluate(facts: &HostFacts) -> Evaluation {
    let mut verdicts = vec![cpu(facts.cpus), memory(facts.memory_bytes), disk(facts)];
    verdicts.extend(facts.tools.iter().map(|t| tool(t, &facts.arch)));
    verdicts.extend(facts.ports.iter().map(port));
    if facts.run_as.found {
        verdicts.extend(facts.files.iter().map(|f| file(f, facts)));
    } else {
        verdicts.push(Verdict::Problem(
            Finding::error(
                "host.run_as",
                format!("there is no user {} on this host", facts.run_as.name),
            )
            .suggest(format!(
                "create it (`sudo useradd --system --create-home {}`) or pass --run-as with the user \
                     that runs the servers",
                facts.run_as.name
            )),
        ));
    }
    Evaluation { verdicts }
}

fn cpu(cpus: usize) -> Verdict {
    if cpus >= MIN_CPUS {
        Verdict::pass("host.cpu", format!("{cpus} vCPUs (minimum {MIN_CPUS})"))
    } else {
        Verdict::Problem(
            Finding::warning(
                "host.cpu",
                format!("{cpus} vCPUs; the design's minimum is {MIN_CPUS}: the backends will be slow"),
            )
            .suggest(INSTANCE_FIX),
        )
    }
}

fn memory(bytes: Option<u64>) -> Verdict {
    match bytes {
        None => Verdict::Problem(
            Finding::warning("host.memory", "could not read the memory size (/proc/meminfo)").suggest(
                format!("check it with `free -g`; the backends need {MIN_MEMORY_GIB} GiB"),
            ),
        ),
        Some(b) if b >= MIN_MEMORY_REPORTED => Verdict::pass(
            "host.memory",
            format!("{} of memory (minimum {MIN_MEMORY_GIB} GiB)", gib(b)),
        ),
        Some(b) => Verdict::Problem(
            Finding::warning(
                "host.memory",
                format!(
                    "{} of memory; the design's minimum is {MIN_MEMORY_GIB} GiB",
                    gib(b)
                ),
            )
            .suggest(INSTANCE_FIX),
        ),
    }
}

fn disk(facts: &HostFacts) -> Verdict {
    let path = facts.disk_path.display();
    match facts.disk_free_bytes {
        None => Verdict::Problem(
            Finding::warning("host.disk", format!("could not read the free space on {path}")).suggest(
                format!("check it with `df -h {path}`; the backends need {MIN_DISK_GIB} GiB free"),
            ),
        ),
        Some(b) if b >= MIN_DISK_GIB * GIB => Verdict::pass(
            "host.disk",
            format!("{} free on {path} (minimum {MIN_DISK_GIB} GiB)", gib(b)),
        ),
        Some(b) => Verdict::Problem(
            Finding::warning(
                "host.disk",
                format!(
                    "{} free on {path}; the backends need {MIN_DISK_GIB} GiB (images, virtual \
                     environments, logs)",
                    gib(b)
                ),
            )
            .suggest(format!(
                "free space (`docker system prune`), or grow the EBS volume (`aws ec2 modify-volume \
                 --volume-id VOL --size SIZE`, then `sudo growpart` and `sudo resize2fs` or \
                 `xfs_growfs`) until {MIN_DISK_GIB} GiB are free"
            )),
        ),
    }
}

fn tool(fact: &ToolFact, arch: &str) -> Verdict {
    let field = format!("host.tools.{}", fact.name);
    let version = fact.version.as_deref().unwrap_or("");
    let problem = |message: String| {
        Verdict::Problem(Finding::warning(&field, message).suggest(install(&fact.name, arch)))
    };
    if !fact.found {
        let wanted = match fact.name.as_str() {
            "python" => "Python 3.12 or newer",
            "aws" => "AWS CLI v2",
            other => other,
        };
        return problem(format!("{wanted} not found (tried `{} --version`)", fact.command));
    }
    let parsed = parse_version(version);
    match (fact.name.as_str(), parsed) {
        ("python", Some((major, minor, _))) if (major, minor) < MIN_PYTHON => problem(format!(
            "{} is {version}; the backends need Python 3.12 or newer",
            fact.command
        )),
        ("aws", Some((major, _, _))) if major < 2 => problem(format!(
            "{} is {} (AWS CLI v1); the setup scripts need AWS CLI v2",
            fact.command,
            version.split_whitespace().next().unwrap_or(version)
        )),
        ("python" | "aws", None) => problem(format!(
            "cannot tell the version of {} from \"{version}\"",
            fact.command
        )),
        _ => Verdict::pass(&field, format!("{} ({version})", fact.command)),
    }
}

/// The install command for a tool.
fn install(name: &str, arch: &str) -> String {
    match name {
        "python" => "`uv python install 3.12` (or `sudo apt-get install python3.12`)".into(),
        "uv" => "`curl -LsSf https://astral.sh/uv/install.sh | sh`".into(),
        "docker" => "`sudo apt-get install docker.io` (or see https://docs.docker.com/engine/install/), \
                     then `sudo usermod -aG docker $USER`"
            .into(),
        "aws" => format!(
            "install AWS CLI v2 (remove v1 first: `pip uninstall awscli`): `curl \
             https://awscli.amazonaws.com/awscli-exe-linux-{arch}.zip -o awscliv2.zip && unzip \
             awscliv2.zip && sudo ./aws/install --update`"
        ),
        other => format!("install {other}"),
    }
}

fn port(fact: &PortFact) -> Verdict {
    let field = format!("host.ports.{}", fact.port);
    let p = fact.port;
    match fact.state {
        PortState::Free => Verdict::pass(&field, format!("port {p} is free")),
        PortState::InUse => Verdict::Problem(
            Finding::warning(
                &field,
                format!(
                    "port {p} is already served — if that is the previous backend, stop it before \
                     starting the new one, or leave it if it is this backend"
                ),
            )
            .suggest(format!("see what serves it: `sudo ss -ltnp 'sport = :{p}'`")),
        ),
        PortState::Unknown => Verdict::Problem(
            Finding::warning(
                &field,
                format!(
                    "could not tell whether port {p} is free: {}",
                    fact.detail.as_deref().unwrap_or("unknown")
                ),
            )
            .suggest(if p < 1024 {
                format!(
                    "run the server on port {p} as root, or let Python bind it: `sudo setcap \
                     cap_net_bind_service=+ep \"$(readlink -f \"$(command -v python3.12)\")\"`"
                )
            } else {
                format!("check it with `sudo ss -ltnp 'sport = :{p}'`")
            }),
        ),
    }
}

fn file(fact: &FileFact, facts: &HostFacts) -> Verdict {
    let user = &facts.run_as.name;
    let group = facts.run_as.group.as_deref().unwrap_or(user);
    let path = fact.path.display();
    let is_key = fact.field.ends_with("key_path");
    match &fact.access {
        Access::Readable => Verdict::pass(&fact.field, format!("{user} can read {path}")),
        Access::Missing => Verdict::Problem(
            Finding::error(&fact.field, format!("{path} does not exist"))
                .suggest(format!("copy the file there, or point {} at it", fact.field)),
        ),
        Access::Denied { blocked_by, reason } => {
            let fix = if blocked_by == &fact.path && is_key {
                format!("`sudo chgrp {group} {path} && sudo chmod 640 {path}`")
            } else if blocked_by == &fact.path {
                format!("`sudo chmod 644 {path}`")
            } else {
                let dir = blocked_by.display();
                format!("let {user} into the folder: `sudo chgrp {group} {dir} && sudo chmod g+x {dir}`")
            };
            Verdict::Problem(
                Finding::error(&fact.field, format!("{user} cannot read {path}: {reason}")).suggest(fix),
            )
        }
        Access::Unknown { reason } => Verdict::Problem(
            Finding::warning(
                &fact.field,
                format!("could not tell whether {user} can read {path}: {reason}"),
            )
            .suggest(format!(
                "run the preflight with sudo, or check by hand: `sudo -u {user} head -c1 {path}`"
            )),
        ),
    }
}

/// The first `major.minor[.patch]` in a `--version` line: `Python 3.11.7` → (3, 11, 7),
/// `aws-cli/2.15.0 Python/3.11.6` → (2, 15, 0).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = token.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next().flatten()?;
    let minor = parts.next().flatten()?;
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The Python to report among the candidates that were tried (command, `--version` output), in
/// order of preference: the first that is 3.12 or newer, else the first found, else missing.
pub fn pick_python(candidates: &[(String, Option<String>)]) -> ToolFact {
    let found = || candidates.iter().filter_map(|(c, v)| v.as_ref().map(|v| (c, v)));
    let recent = found().find(|(_, v)| parse_version(v).is_some_and(|(a, b, _)| (a, b) >= MIN_PYTHON));
    match recent.or_else(|| found().next()) {
        Some((command, version)) => ToolFact::found("python", command, version),
        None => {
            let tried: Vec<&str> = candidates.iter().map(|(c, _)| c.as_str()).collect();
            ToolFact::missing("python", &tried.join(", "))
        }
    }
}

/// Bytes as GiB with one decimal.
fn gib(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let value = bytes as f64 / GIB as f64;
    format!("{value:.1} GiB")
}

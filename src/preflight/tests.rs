//! The verdicts on injected host facts: a host that meets the design passes every check, and
//! each shortfall is exactly one finding on its field, with its fix.

use std::path::PathBuf;

use super::*;
use crate::validate::{Finding, Severity};

/// A host that meets the design: 4 vCPUs, 16 GiB (as an instance reports it), 80 GiB free, every
/// tool, free ports and readable files.
fn good() -> HostFacts {
    HostFacts {
        cpus: 4,
        memory_bytes: Some(16_185_000 * 1024),
        disk_path: PathBuf::from("/opt/sre-agent"),
        disk_free_bytes: Some(80 * GIB),
        arch: "x86_64".into(),
        tools: vec![
            ToolFact::found("python", "python3.12", "Python 3.12.1"),
            ToolFact::found("uv", "uv", "uv 0.5.11"),
            ToolFact::found("docker", "docker", "Docker version 27.3.1, build ce12230"),
            ToolFact::found(
                "aws",
                "aws",
                "aws-cli/2.22.0 Python/3.12.6 Linux/6.8.0 exe/x86_64.ubuntu.24",
            ),
        ],
        ports: [8011, 8012, 8013, 8014, 443]
            .into_iter()
            .map(|port| PortFact {
                port,
                state: PortState::Free,
                detail: None,
            })
            .collect(),
        run_as: RunAs {
            name: "sre".into(),
            found: true,
            group: Some("sre".into()),
        },
        files: vec![
            file(
                "tls.ssl_cert_path",
                "/etc/ssl/sre/fullchain.pem",
                Access::Readable,
            ),
            file("tls.ssl_key_path", "/etc/ssl/sre/privkey.pem", Access::Readable),
        ],
    }
}

fn file(field: &str, path: &str, access: Access) -> FileFact {
    FileFact {
        field: field.into(),
        path: path.into(),
        access,
    }
}

/// The one finding a change to the good host produces.
fn only_finding(change: impl FnOnce(&mut HostFacts)) -> Finding {
    let mut facts = good();
    change(&mut facts);
    let findings: Vec<Finding> = evaluate(&facts).findings().cloned().collect();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = findings.into_iter().next().expect("one");
    assert!(
        finding.suggestion.is_some(),
        "every finding has a fix: {finding:?}"
    );
    finding
}

fn set_tool(facts: &mut HostFacts, tool: ToolFact) {
    let slot = facts
        .tools
        .iter_mut()
        .find(|t| t.name == tool.name)
        .expect("tool");
    *slot = tool;
}

#[test]
fn a_host_that_meets_the_design_passes_every_check() {
    let evaluation = evaluate(&good());
    assert_eq!(evaluation.findings().count(), 0, "{evaluation:#?}");
    // cpu, memory, disk, 4 tools, 5 ports, 2 files
    assert_eq!(evaluation.passed().count(), 14);
}

#[test]
fn two_cores_is_a_warning_with_an_instance_type() {
    let f = only_finding(|h| h.cpus = 2);
    assert_eq!((f.field.as_str(), f.severity), ("host.cpu", Severity::Warning));
    assert!(f.message.contains("2 vCPUs"), "{f}");
    assert!(f.suggestion.as_deref().is_some_and(|s| s.contains("m5.xlarge")));
}

#[test]
fn eight_gib_is_a_warning_and_sixteen_passes() {
    let f = only_finding(|h| h.memory_bytes = Some(8 * GIB));
    assert_eq!((f.field.as_str(), f.severity), ("host.memory", Severity::Warning));
    assert!(f.message.contains("8.0 GiB"), "{f}");
    let mut facts = good();
    facts.memory_bytes = Some(16 * GIB);
    assert_eq!(evaluate(&facts).findings().count(), 0);
    let f = only_finding(|h| h.memory_bytes = None);
    assert_eq!(f.field, "host.memory");
}

#[test]
fn twenty_gib_free_is_a_warning() {
    let f = only_finding(|h| h.disk_free_bytes = Some(20 * GIB));
    assert_eq!((f.field.as_str(), f.severity), ("host.disk", Severity::Warning));
    assert!(f.message.contains("20.0 GiB free on /opt/sre-agent"), "{f}");
    assert!(f.message.contains("50 GiB"), "{f}");
}

#[test]
fn python_311_is_a_warning_naming_the_version_and_3121_passes() {
    let f = only_finding(|h| set_tool(h, ToolFact::found("python", "python3", "Python 3.11.7")));
    assert_eq!(
        (f.field.as_str(), f.severity),
        ("host.tools.python", Severity::Warning)
    );
    assert!(f.message.contains("Python 3.11.7"), "{f}");
    assert!(f.suggestion.as_deref().is_some_and(|s| s.contains("3.12")));
    let f = only_finding(|h| set_tool(h, ToolFact::missing("python", "python3.12, python3")));
    assert!(f.message.contains("not found"), "{f}");
    let mut facts = good();
    set_tool(&mut facts, ToolFact::found("python", "python3", "Python 3.13.0"));
    assert_eq!(evaluate(&facts).findings().count(), 0);
}

#[test]
fn the_first_recent_python_is_picked() {
    let candidates = |list: &[(&str, Option<&str>)]| -> Vec<(String, Option<String>)> {
        list.iter()
            .map(|(c, v)| ((*c).to_string(), v.map(str::to_string)))
            .collect()
    };
    let picked = pick_python(&candidates(&[
        ("python3.12", None),
        ("python3.13", None),
        ("python3", Some("Python 3.11.7")),
    ]));
    assert_eq!((picked.command.as_str(), picked.found), ("python3", true));
    let picked = pick_python(&candidates(&[
        ("python3.12", Some("Python 3.12.1")),
        ("python3", Some("Python 3.11.7")),
    ]));
    assert_eq!(picked.version.as_deref(), Some("Python 3.12.1"));
    let picked = pick_python(&candidates(&[("python3.12", None), ("python3", None)]));
    assert!(!picked.found);
    assert_eq!(picked.command, "python3.12, python3");
}

#[test]
fn aws_cli_v1_is_a_warning_with_the_v2_installer() {
    let v1 = "aws-cli/1.45.11 Python/3.11.7 Linux/6.18.44 botocore/1.43.11";
    let f = only_finding(|h| set_tool(h, ToolFact::found("aws", "aws", v1)));
    assert_eq!(
        (f.field.as_str(), f.severity),
        ("host.tools.aws", Severity::Warning)
    );
    assert!(f.message.contains("v1"), "{f}");
    assert!(
        f.suggestion
            .as_deref()
            .is_some_and(|s| s.contains("awscli-exe-linux-x86_64.zip"))
    );
}

#[test]
fn missing_docker_and_uv_are_warnings_with_their_installers() {
    let f = only_finding(|h| set_tool(h, ToolFact::missing("docker", "docker")));
    assert_eq!(
        (f.field.as_str(), f.severity),
        ("host.tools.docker", Severity::Warning)
    );
    assert!(f.suggestion.as_deref().is_some_and(|s| s.contains("docker.io")));
    let f = only_finding(|h| set_tool(h, ToolFact::missing("uv", "uv")));
    assert!(
        f.suggestion
            .as_deref()
            .is_some_and(|s| s.contains("https://astral.sh/uv/install.sh"))
    );
}

#[test]
fn a_port_in_use_is_a_warning_about_the_previous_backend() {
    let f = only_finding(|h| h.ports[0].state = PortState::InUse);
    assert_eq!(
        (f.field.as_str(), f.severity),
        ("host.ports.8011", Severity::Warning)
    );
    assert!(f.message.contains("already served"), "{f}");
    assert!(f.message.contains("previous backend"), "{f}");
    let f = only_finding(|h| {
        h.ports[4].state = PortState::Unknown;
        h.ports[4].detail = Some("binding it needs root".into());
    });
    assert_eq!(f.field, "host.ports.443");
    assert!(
        f.suggestion
            .as_deref()
            .is_some_and(|s| s.contains("cap_net_bind_service"))
    );
}

#[test]
fn an_unreadable_key_is_an_error_with_the_chmod_fix() {
    let key = PathBuf::from("/etc/ssl/sre/privkey.pem");
    let f = only_finding(|h| {
        h.files[1].access = Access::Denied {
            blocked_by: key.clone(),
            reason: "mode 0600, owner root:root".into(),
        };
    });
    assert_eq!(
        (f.field.as_str(), f.severity),
        ("tls.ssl_key_path", Severity::Error)
    );
    assert!(
        f.message.contains("sre cannot read /etc/ssl/sre/privkey.pem"),
        "{f}"
    );
    assert_eq!(
        f.suggestion.as_deref(),
        Some("`sudo chgrp sre /etc/ssl/sre/privkey.pem && sudo chmod 640 /etc/ssl/sre/privkey.pem`")
    );
    // A folder on the way is the thing to fix when it is the one that blocks.
    let f = only_finding(|h| {
        h.files[1].access = Access::Denied {
            blocked_by: "/etc/ssl/sre".into(),
            reason: "it cannot enter /etc/ssl/sre".into(),
        };
    });
    assert!(
        f.suggestion
            .as_deref()
            .is_some_and(|s| s.contains("chmod g+x /etc/ssl/sre"))
    );
    let f = only_finding(|h| h.files[0].access = Access::Missing);
    assert_eq!(
        (f.field.as_str(), f.severity),
        ("tls.ssl_cert_path", Severity::Error)
    );
}

#[test]
fn an_unknown_run_as_user_is_one_error() {
    let f = only_finding(|h| h.run_as.found = false);
    assert_eq!((f.field.as_str(), f.severity), ("host.run_as", Severity::Error));
    assert!(f.suggestion.as_deref().is_some_and(|s| s.contains("useradd")));
}

#[test]
fn versions_parse_from_version_lines() {
    assert_eq!(parse_version("Python 3.11.7"), Some((3, 11, 7)));
    assert_eq!(parse_version("aws-cli/2.15.0 Python/3.11.6"), Some((2, 15, 0)));
    assert_eq!(parse_version("uv 0.5"), Some((0, 5, 0)));
    assert_eq!(parse_version("Python"), None);
}

#[test]
fn the_report_is_ok_with_warnings_unless_strict() {
    let mut facts = good();
    facts.cpus = 2;
    let evaluation = evaluate(&facts);
    let report = PreflightReport::new(&evaluation, facts.clone(), false);
    assert!(report.ok);
    assert_eq!((report.errors, report.warnings), (0, 1));
    let text = report.to_string();
    assert!(text.starts_with("warning[host.cpu]: 2 vCPUs"), "{text}");
    assert!(text.contains("ok[host.memory]: 15.4 GiB of memory"), "{text}");
    assert!(
        text.ends_with("ok: this host can run the backends as sre (0 errors, 1 warning)\n"),
        "{text}"
    );
    assert!(!PreflightReport::new(&evaluation, facts, true).ok);
}

#[test]
fn requests_take_the_configs_ports_and_files() {
    let mut config = crate::config::Config::default();
    config.gateway.targets = vec![crate::config::TargetConfig {
        name: "a".into(),
        spec: "logs".into(),
        backend_url: "https://backend.corp.internal:9443".into(),
    }];
    config.tls.ssl_key_path = "keys/privkey.pem".into();
    let request = Request::new(Some(&config), std::path::Path::new("/etc/sre"), None);
    assert_eq!(request.ports, [9443, 443]);
    assert_eq!(
        request.files,
        [(
            "tls.ssl_key_path".to_string(),
            PathBuf::from("/etc/sre/keys/privkey.pem")
        )]
    );
    assert_eq!(
        Request::new(None, std::path::Path::new("."), None).ports,
        [8011, 8012, 8013, 8014, 443]
    );
}

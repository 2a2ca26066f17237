//! `monitoring install`: four files in --dir and nothing anywhere else (not even in $HOME); the
//! units pass `systemd-analyze verify` (a parse test where systemd is missing), the timer's
//! calendar and the crontab line say the same interval, and the commands of both actually run
//! verify and write the metrics; the alert rules pass `promtool check rules`, name only metrics
//! verify writes, and fire when they should (`promtool test rules`).
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sre_agent_deploy::verify::metrics::NAMES;

use crate::support::Fixture;
use crate::support::prom;

const ID: &str = "sre-test";

/// Runs `monitoring install` in `f` with `args`, a $HOME of its own, and returns stdout and the
/// folder the files went to.
fn install(f: &Fixture, home: &Path, args: &[&str]) -> (String, PathBuf) {
    let output = f
        .cmd()
        .env("HOME", home)
        .args(["monitoring", "install", "-c", "config.yaml", "--dir", "mon"])
        .args(["--metrics-file", "metrics/sre.prom"])
        .args(args)
        .output()
        .expect("run");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = std::fs::canonicalize(f.path("mon")).expect("mon exists");
    (String::from_utf8_lossy(&output.stdout).into_owned(), dir)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A unit file as sections of key/value pairs (comments and blank lines skipped), failing on
/// anything that is not `[Section]` or `Key=value`.
fn unit(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.to_string());
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not Key=value: {line}"));
        let section = current
            .clone()
            .unwrap_or_else(|| panic!("{line} before any section"));
        let fresh = sections
            .entry(section)
            .or_default()
            .insert(key.to_string(), value.to_string())
            .is_none();
        assert!(fresh, "{key} twice");
    }
    sections
}

/// `ExecStart=`'s words, as systemd splits them (double quotes, backslash escapes, `%%`, `$$`).
fn words(exec: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut started) = (false, false);
    let mut chars = exec.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            '\\' if quoted => word.extend(chars.next()),
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    out.into_iter()
        .map(|w| w.replace("%%", "%").replace("$$", "$"))
        .collect()
}

fn tree(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .flatten()
        .flat_map(|e| {
            let path = e.path();
            let mut found = vec![path.display().to_string()];
            if path.is_dir() {
                found.extend(tree(&path));
            }
            found
        })
        .collect();
    names.sort();
    names
}

#[test]
fn install_writes_four_files_into_its_folder_only_and_both_schedules_run_verify() {
    let f = Fixture::new();
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir(f.path("metrics")).expect("mkdir");
    let before = tree(f.dir.path());
    let (stdout, dir) = install(&f, home.path(), &["--interval-minutes", "30", "--offline"]);
    let unit_name = format!("sre-agent-deploy-verify-{ID}");
    let names = [
        format!("{unit_name}.service"),
        format!("{unit_name}.timer"),
        format!("{unit_name}.crontab"),
        format!("sre-agent-deploy-{ID}.rules.yml"),
    ];
    let mut after = before.clone();
    after.push(dir.display().to_string());
    after.extend(names.iter().map(|n| dir.join(n).display().to_string()));
    after.sort();
    assert_eq!(tree(f.dir.path()), after, "only --dir and its four files");
    assert!(tree(home.path()).is_empty(), "nothing in $HOME");
    for enable in [
        "systemctl --user enable --now",
        "sudo systemctl enable --now",
        "| crontab -",
        "--collector.textfile.directory=",
        "promtool check rules",
    ] {
        assert!(stdout.contains(enable), "{enable} in:\n{stdout}");
    }

    let service = read(&dir, &names[0]);
    let timer = read(&dir, &names[1]);
    let parsed = unit(&service);
    let exec = &parsed["Service"]["ExecStart"];
    let metrics = std::fs::canonicalize(f.path("metrics"))
        .expect("metrics")
        .join("sre.prom");
    let argv = words(exec);
    assert_eq!(argv[1], "verify", "{exec}");
    assert!(
        argv.windows(2)
            .any(|w| w[0] == "--prometheus" && Path::new(&w[1]) == metrics),
        "{exec}"
    );
    assert!(argv.contains(&"--offline".to_string()), "{exec}");
    assert_eq!(parsed["Service"]["Type"], "oneshot");
    let workdir = &parsed["Service"]["WorkingDirectory"];
    assert_eq!(unit(&timer)["Timer"]["OnCalendar"], "*:0/30");
    assert_eq!(unit(&timer)["Timer"]["Unit"], names[0]);
    assert_eq!(unit(&timer)["Install"]["WantedBy"], "timers.target");
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if analyze.is_file() {
        let out = Command::new(analyze)
            .arg("verify")
            .args([dir.join(&names[0]), dir.join(&names[1])])
            .output()
            .expect("systemd-analyze");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "systemd-analyze verify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new(analyze)
            .args(["calendar", "--iterations=3", "*:0/30"])
            .output()
            .expect("calendar");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(":00:00") && text.contains(":30:00"), "{text}");
    }

    // The crontab line: every 30 minutes, and its command runs verify as the unit would.
    let cron = read(&dir, &names[2]);
    let line = cron.lines().find(|l| !l.starts_with('#')).expect("a job");
    let fields: Vec<&str> = line.splitn(6, ' ').collect();
    assert_eq!(fields[..5], ["*/30", "*", "*", "*", "*"], "{line}");
    let run = |program: &str, args: &[String], cwd: &str| {
        let _ = std::fs::remove_file(&metrics);
        let output = Command::new(program)
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home.path())
            .env("BACKEND_API_KEY", "test-backend-key")
            .output()
            .expect("run");
        assert!(
            output.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let samples = prom::read(&metrics);
        assert_eq!(
            prom::value(&samples, "sre_agent_deploy_verify_success", &[]),
            Some(1.0)
        );
    };
    run("/bin/sh", &["-c".to_string(), fields[5].to_string()], "/");
    run(&argv[0], &argv[1..], workdir);
}

/// PromQL words that are not metric names.
const PROMQL: [&str; 9] = [
    "time", "absent", "or", "and", "unless", "by", "on", "without", "ignoring",
];

/// The metric names an expression reads: its identifiers, without label matchers, numbers,
/// keywords and functions.
fn metric_names(expr: &str) -> Vec<String> {
    let mut bare = String::new();
    let mut depth = 0;
    for c in expr.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if depth == 0 => bare.push(c),
            _ => {}
        }
    }
    bare.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
        .filter(|w| !PROMQL.contains(w))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_alert_rules_pass_promtool_name_only_written_metrics_and_fire_when_they_should() {
    let f = Fixture::new();
    let home = tempfile::tempdir().expect("home");
    let (stdout, dir) = install(
        &f,
        home.path(),
        &[
            "--set",
            "tls.warn_days=21",
            "--set",
            "tls.fail_days=3",
            "--output",
            "json",
        ],
    );
    let installed: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(
        installed["files"].as_array().map(Vec::len),
        Some(4),
        "{installed:#}"
    );
    assert_eq!(installed["timer"], format!("sre-agent-deploy-verify-{ID}.timer"));
    assert_eq!(installed["interval_minutes"], 15);
    let rules_path = dir.join(format!("sre-agent-deploy-{ID}.rules.yml"));
    let promtool = prom::promtool();
    let out = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&rules_path)
        .output()
        .expect("promtool");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUCCESS: 7 rules found"));

    let rules: serde_json::Value = serde_saphyr::from_str(&read(
        &dir,
        rules_path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default(),
    ))
    .expect("YAML");
    let list = rules["groups"][0]["rules"].as_array().expect("rules").clone();
    let mut alerts = Vec::new();
    for rule in &list {
        let expr = rule["expr"].as_str().expect("expr");
        for name in metric_names(expr) {
            assert!(
                NAMES.contains(&name.as_str()),
                "{} reads {name}, which verify never writes",
                rule["alert"]
            );
        }
        assert!(["warning", "critical"].contains(&rule["labels"]["severity"].as_str().unwrap_or_default()));
        alerts.push(rule["alert"].as_str().expect("name").to_string());
    }
    assert_eq!(
        alerts,
        [
            "SreAgentCertificateExpiresSoon",
            "SreAgentCertificateExpiresVerySoon",
            "SreAgentProbeFailing",
            "SreAgentTokenFailing",
            "SreAgentGatewayFailing",
            "SreAgentVerifyFailing",
            "SreAgentVerifyStale"
        ]
    );

    // promtool's unit tests on the same expressions (annotations left out: they are text).
    let bare: Vec<serde_json::Value> = list
        .into_iter()
        .map(|mut r| {
            r.as_object_mut().map(|o| o.remove("annotations"));
            r
        })
        .collect();
    let test_dir = tempfile::tempdir().expect("tmp");
    let bare_rules = serde_json::json!({"groups": [{"name": "sre-agent-deploy", "rules": bare}]});
    std::fs::write(test_dir.path().join("rules.json"), bare_rules.to_string()).expect("write");
    std::fs::write(test_dir.path().join("test.yml"), RULE_TESTS).expect("write");
    let out = Command::new(&promtool)
        .args(["test", "rules", "test.yml"])
        .current_dir(test_dir.path())
        .output()
        .expect("promtool test rules");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// warn_days 21, fail_days 3, every 15 minutes. At t=0 a file certificate has 10 days left
/// (warning only) and a served chain 2 days (warning and critical); a probe fails from the
/// start (fires after 10 minutes); the token and gateway fail; the last run was at t=0 (stale
/// after 45 minutes).
const RULE_TESTS: &str = r#"rule_files: [rules.json]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'x509_cert_not_after{filepath="/etc/tls/fullchain.pem",subject_CN="backend",serial_number="7"}'
        values: '864000x60'
      - series: 'probe_ssl_earliest_cert_expiry{instance="backend:8011"}'
        values: '172800x60'
      - series: 'probe_success{instance="backend:8011",check="tls"}'
        values: '0x60'
      - series: 'probe_success{instance="backend:8012",check="tls"}'
        values: '1x60'
      - series: 'sre_agent_deploy_token_success'
        values: '0x60'
      - series: 'sre_agent_deploy_gateway_tools{gateway="gw"}'
        values: '0x60'
      - series: 'sre_agent_deploy_verify_success'
        values: '1x60'
      - series: 'sre_agent_deploy_verify_last_run_timestamp_seconds'
        values: '0x60'
    alert_rule_test:
      - eval_time: 1m
        alertname: SreAgentCertificateExpiresSoon
        exp_alerts:
          - exp_labels: {severity: warning, filepath: /etc/tls/fullchain.pem, subject_CN: backend, serial_number: "7"}
          - exp_labels: {severity: warning, instance: "backend:8011"}
      - eval_time: 1m
        alertname: SreAgentCertificateExpiresVerySoon
        exp_alerts:
          - exp_labels: {severity: critical, instance: "backend:8011"}
      - eval_time: 5m
        alertname: SreAgentProbeFailing
        exp_alerts: []
      - eval_time: 11m
        alertname: SreAgentProbeFailing
        exp_alerts:
          - exp_labels: {severity: critical, instance: "backend:8011", check: tls}
      - eval_time: 1m
        alertname: SreAgentTokenFailing
        exp_alerts:
          - exp_labels: {severity: critical}
      - eval_time: 1m
        alertname: SreAgentGatewayFailing
        exp_alerts:
          - exp_labels: {severity: critical, gateway: gw}
      - eval_time: 1m
        alertname: SreAgentVerifyFailing
        exp_alerts: []
      - eval_time: 40m
        alertname: SreAgentVerifyStale
        exp_alerts: []
      - eval_time: 46m
        alertname: SreAgentVerifyStale
        exp_alerts:
          - exp_labels: {severity: warning}
"#;

//! `verify --prometheus`: the file parses with Prometheus's own parser (promtool) and a strict
//! reader (HELP and TYPE for every metric, no timestamps); the x509 values are the certificates'
//! own dates for the factory's cases, chains included; the probe values agree with the remote
//! checks against loopback TLS servers; a reader never sees a partial file while verify rewrites
//! it; a metrics path that cannot be written is exit 2 before any check runs; and a config that
//! does not validate is a failed run in the metrics too.
#![allow(clippy::disallowed_methods)]
// Metric values here are whole numbers (Unix seconds, 0/1, counts): exact comparison is the point.
#![allow(clippy::float_cmp)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sre_agent_deploy::verify::metrics::NAMES;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::support::certs::{self, Case};
use crate::support::prom::{self, Sample};
use crate::support::tls_servers::{self, Identity, Options};
use crate::support::{Fixture, json_output};

const DOMAIN: &str = "backend.sre-agent.internal";

/// (notAfter, notBefore, serial in decimal, CN) of each certificate in a PEM file, read with
/// x509-parser directly.
fn dates(pem: &str) -> Vec<(i64, i64, String, String)> {
    <rustls_pki_types::CertificateDer<'_> as rustls_pki_types::pem::PemObject>::pem_slice_iter(pem.as_bytes())
        .map(|der| {
            let der = der.expect("pem");
            let (_, cert) = X509Certificate::from_der(&der).expect("x509");
            let cn = cert
                .subject()
                .iter_common_name()
                .next()
                .and_then(|c| c.as_str().ok())
                .unwrap_or_default()
                .to_string();
            (
                cert.validity().not_after.timestamp(),
                cert.validity().not_before.timestamp(),
                cert.tbs_certificate.serial.to_str_radix(10),
                cn,
            )
        })
        .collect()
}

fn verify(f: &Fixture, args: &[&str]) -> std::process::Output {
    f.cmd()
        .args(["verify", "-c", "config.yaml", "--prometheus", "metrics/sre.prom"])
        .args(args)
        .timeout(std::time::Duration::from_mins(1))
        .output()
        .expect("run")
}

fn x509_value(samples: &[Sample], name: &str, file: &Path, serial: &str) -> f64 {
    let path = std::fs::canonicalize(file).expect("canonical");
    prom::value(
        samples,
        name,
        &[("filepath", &path.to_string_lossy()), ("serial_number", serial)],
    )
    .unwrap_or_else(|| panic!("{name} for {} serial {serial}", path.display()))
}

#[test]
fn x509_metrics_are_the_certificates_own_dates_for_each_factory_case() {
    for (case, expired, expiry_status, exit) in [
        (Case::Valid, 0.0, "pass", 0),
        (Case::ExpiresIn20Days, 0.0, "warn", 0),
        (Case::ExpiresIn5Days, 0.0, "fail", 4),
        (Case::Expired, 1.0, "fail", 4),
    ] {
        let f = Fixture::new();
        std::fs::create_dir(f.path("metrics")).expect("mkdir");
        let made = certs::make(case, DOMAIN);
        certs::write(&made, f.dir.path());
        let output = verify(&f, &["--offline"]);
        assert_eq!(
            output.status.code(),
            Some(exit),
            "{case:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let samples = prom::read(&f.path("metrics/sre.prom"));
        // The chain file holds the leaf and its intermediate; the bundle the root.
        let mut expected = 0;
        for (file, pem) in [
            (f.path("fullchain.pem"), &made.chain_pem),
            (f.path("ca.pem"), &made.ca_pem),
        ] {
            for (i, (not_after, not_before, serial, cn)) in dates(pem).into_iter().enumerate() {
                #[allow(clippy::cast_precision_loss)]
                let (not_after, not_before) = (not_after as f64, not_before as f64);
                assert_eq!(
                    x509_value(&samples, "x509_cert_not_after", &file, &serial),
                    not_after,
                    "{case:?} {cn}"
                );
                assert_eq!(
                    x509_value(&samples, "x509_cert_not_before", &file, &serial),
                    not_before,
                    "{case:?} {cn}"
                );
                // Only the leaf (first in the chain file) is the case's; the CAs are valid.
                let leaf = i == 0 && file.ends_with("fullchain.pem");
                let want = if leaf { expired } else { 0.0 };
                assert_eq!(
                    x509_value(&samples, "x509_cert_expired", &file, &serial),
                    want,
                    "{case:?} {cn}"
                );
                let labelled = prom::all(&samples, "x509_cert_not_after")
                    .into_iter()
                    .any(|s| s.labels["subject_CN"] == cn && s.labels["serial_number"] == serial);
                assert!(labelled, "{case:?}: no series with CN {cn}");
                expected += 1;
            }
        }
        assert_eq!(expected, 3, "{case:?}: leaf, intermediate, root");
        assert_eq!(
            prom::all(&samples, "x509_cert_not_after").len(),
            expected,
            "{case:?}"
        );
        assert_eq!(
            prom::check_status(&samples, "tls_files", "expiry").as_deref(),
            Some(expiry_status),
            "{case:?}"
        );
        assert_eq!(
            prom::value(&samples, "sre_agent_deploy_verify_success", &[]),
            Some(if exit == 0 { 1.0 } else { 0.0 })
        );
        // Offline: no probe, token or gateway metrics.
        for absent in [
            "probe_success",
            "sre_agent_deploy_token_success",
            "sre_agent_deploy_gateway_tools",
        ] {
            assert!(prom::all(&samples, absent).is_empty(), "{absent} offline");
        }
        let last = prom::value(
            &samples,
            "sre_agent_deploy_verify_last_run_timestamp_seconds",
            &[],
        )
        .expect("last run");
        #[allow(clippy::cast_precision_loss)]
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as f64;
        assert!((now - last).abs() < 120.0, "last run {last} vs now {now}");
    }
}

/// A server presenting `made`, with `options`.
struct Served {
    name: &'static str,
    made: Option<certs::Made>,
    options: Options,
}

#[test]
fn probe_metrics_agree_with_the_remote_checks_on_loopback_servers() {
    let served = [
        ("valid", Some(Case::Valid), 200, false),
        ("fails-policy", Some(Case::ExpiresIn5Days), 200, false),
        ("expired", Some(Case::Expired), 200, false),
        ("wrong-name", Some(Case::WrongName), 200, false),
        ("untrusted", Some(Case::SelfSigned), 200, false),
        ("unhealthy", Some(Case::Valid), 503, false),
        ("tls12", Some(Case::Valid), 200, true),
        ("closed", None, 200, false),
    ]
    .map(|(name, case, status, tls12_only)| Served {
        name,
        made: case.map(|c| certs::make(c, DOMAIN)),
        options: Options {
            status,
            tls12_only,
            ..Options::default()
        },
    });
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut servers = Vec::new();
    let mut ports = Vec::new();
    for s in &served {
        let port = match &s.made {
            Some(made) => {
                let identity = Identity::from_pem(&made.chain_pem, &made.key_pem).expect("identity");
                let started = rt
                    .block_on(tls_servers::start(&identity, &s.options))
                    .expect("server");
                let port = started.port();
                servers.push(started);
                port
            }
            None => tls_servers::closed_port().expect("port"),
        };
        ports.push(port);
    }
    let f = Fixture::new();
    std::fs::create_dir(f.path("metrics")).expect("mkdir");
    // Trust every root but the self-signed one's.
    let bundle: String = served
        .iter()
        .filter(|s| s.name != "untrusted")
        .filter_map(|s| s.made.as_ref().map(|m| m.ca_pem.clone()))
        .collect();
    f.write("ca.pem", &bundle);
    let endpoints: Vec<String> = ports.iter().map(|p| format!("\"{DOMAIN}:{p}\"")).collect();
    f.write("config.yaml", &config(ports[0], &endpoints.join(", ")));

    let output = verify(&f, &["--output", "json"]);
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_output(&output);
    let samples = prom::read(&f.path("metrics/sre.prom"));
    for sample in &samples {
        assert!(
            NAMES.contains(&sample.name.as_str()),
            "{} is not in metrics::NAMES",
            sample.name
        );
    }
    let check = |endpoint: &str, name: &str| {
        report["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| c["checks"].as_array().cloned().unwrap_or_default())
            .find(|k| k["subject"] == endpoint && k["name"] == name)
            .map(|k| k["status"].as_str().unwrap_or_default().to_string())
    };
    for (s, port) in served.iter().zip(&ports) {
        let instance = format!("{DOMAIN}:{port}");
        let on = |b: bool| if b { 1.0 } else { 0.0 };
        let tls = prom::value(
            &samples,
            "probe_success",
            &[("instance", &instance), ("check", "tls")],
        );
        let http = prom::value(
            &samples,
            "probe_success",
            &[("instance", &instance), ("check", "http")],
        );
        let row = report["connectivity"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["endpoint"] == instance.as_str()))
            .unwrap_or_else(|| panic!("{instance} in the report"));
        let out_of_date = row["out_of_date"].as_bool().unwrap_or(false);
        assert_eq!(
            tls,
            Some(on(
                check(&instance, "tls").as_deref() == Some("pass") && !out_of_date
            )),
            "{}",
            s.name
        );
        assert_eq!(
            http,
            Some(on(check(&instance, "health").as_deref() == Some("pass"))),
            "{}",
            s.name
        );
        let want_tls = matches!(s.name, "valid" | "fails-policy" | "unhealthy" | "tls12");
        assert_eq!(
            tls,
            Some(on(want_tls)),
            "{}: the Blackbox exporter's meaning",
            s.name
        );
        let earliest = prom::value(
            &samples,
            "probe_ssl_earliest_cert_expiry",
            &[("instance", &instance)],
        );
        match &s.made {
            #[allow(clippy::cast_precision_loss)]
            Some(made) => {
                let min = dates(&made.chain_pem).iter().map(|d| d.0).min().expect("certs") as f64;
                assert_eq!(earliest, Some(min), "{}: the earliest notAfter presented", s.name);
            }
            None => assert_eq!(earliest, None, "{}", s.name),
        }
        let status = prom::value(&samples, "probe_http_status_code", &[("instance", &instance)]);
        let want_status = match s.name {
            "valid" | "tls12" => 200.0,
            "unhealthy" => 503.0,
            _ => 0.0,
        };
        assert_eq!(status, Some(want_status), "{}", s.name);
        let version = prom::all(&samples, "probe_tls_version_info")
            .into_iter()
            .find(|v| v.labels["instance"] == instance)
            .map(|v| v.labels["version"].clone());
        // The version the handshake negotiated, whenever one completed (a chain that then fails
        // its dates or name still negotiated one).
        match s.name {
            "tls12" => assert_eq!(version.as_deref(), Some("TLSv1.2")),
            "valid" => assert_eq!(version.as_deref(), Some("TLSv1.3")),
            _ => assert_eq!(version.is_some(), row["tls_ms"].is_u64(), "{}", s.name),
        }
        assert!(
            prom::value(&samples, "probe_duration_seconds", &[("instance", &instance)])
                .is_some_and(|d| d >= 0.0),
            "{}",
            s.name
        );
    }
    // No deployment: the token check was skipped for want of one, so no token metric; no
    // gateway URL, so no tools metric. The verdict is the exit code's.
    assert!(prom::all(&samples, "sre_agent_deploy_token_success").is_empty());
    assert!(prom::all(&samples, "sre_agent_deploy_gateway_tools").is_empty());
    assert_eq!(
        prom::value(&samples, "sre_agent_deploy_verify_success", &[]),
        Some(0.0)
    );
    assert_eq!(
        prom::check_status(&samples, "remote_tls", "tls").as_deref(),
        Some("fail"),
        "the worst of the endpoints' tls checks"
    );
    drop(servers);
}

/// A config whose one target is the server at `port`, with `endpoints` as `tls.endpoints`.
fn config(port: u16, endpoints: &str) -> String {
    format!(
        r#"version: 1
aws: {{account_id: "123456789012", region: us-east-1, role_name: sre-mon-role}}
cognito: {{cognito_domain: sre-mon, resource_server_id: sre-agent, scopes: [sre-agent/invoke]}}
gateway:
  gateway_name: sre-mon-gw
  s3_bucket: sre-mon-specs
  s3_path_prefix: sre-agent/specs
  credential_provider_name: sre-mon-key
  api_key: env:BACKEND_API_KEY
  targets:
    - {{name: k8s-api, spec: kubernetes, backend_url: "https://{DOMAIN}:{port}"}}
tls:
  domain_name: {DOMAIN}
  ssl_cert_path: fullchain.pem
  ssl_key_path: privkey.pem
  ca_bundle_path: ca.pem
  endpoints: [{endpoints}]
verify:
  timeout_seconds: 5
  resolve: ["{DOMAIN}:127.0.0.1"]
deployment:
  deployment_id: sre-mon
"#
    )
}

#[test]
fn a_reader_never_sees_a_partial_file_while_verify_rewrites_it_50_times() {
    let f = Fixture::new();
    std::fs::create_dir(f.path("metrics")).expect("mkdir");
    let file = f.path("metrics/sre.prom");
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (stop, file) = (Arc::clone(&stop), file.clone());
        std::thread::spawn(move || {
            let mut reads = 0_u32;
            while !stop.load(Ordering::SeqCst) {
                match std::fs::read_to_string(&file) {
                    Ok(text) => {
                        let samples =
                            prom::parse(&text).unwrap_or_else(|e| panic!("read {reads}: {e}\n{text}"));
                        assert!(
                            prom::value(
                                &samples,
                                "sre_agent_deploy_verify_last_run_timestamp_seconds",
                                &[]
                            )
                            .is_some(),
                            "read {reads}: a file without its last metric:\n{text}"
                        );
                        reads += 1;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => panic!("{e}"),
                }
            }
            reads
        })
    };
    for run in 0..50 {
        let output = verify(&f, &["--offline"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "run {run}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    stop.store(true, Ordering::SeqCst);
    let reads = reader.join().expect("the reader saw whole files only");
    assert!(reads > 50, "the reader read {reads} times");
    let left: Vec<_> = std::fs::read_dir(f.path("metrics"))
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["sre.prom"], "no temp file left behind");
}

#[test]
fn a_metrics_path_that_cannot_be_written_is_exit_2_before_any_check() {
    let f = Fixture::new();
    f.write("plain-file", "x");
    std::fs::create_dir(f.path("a-folder")).expect("mkdir");
    for (path, says) in [
        ("no/such/folder/sre.prom", "mkdir -p"),
        ("plain-file/sre.prom", "exists, is writable"),
        ("a-folder", "is a folder"),
        // sysfs takes no new files, even from root.
        ("/sys/sre-agent-deploy.prom", "writable"),
    ] {
        let before = listing(f.dir.path());
        let output = f
            .cmd()
            .args(["verify", "-c", "config.yaml", "--prometheus", path])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{path}: {stderr}");
        assert!(
            stderr.contains(path) && stderr.contains("fix:") && stderr.contains(says),
            "{path}: {stderr}"
        );
        // Nothing ran and nothing was left: no reports, no temp file.
        assert_eq!(listing(f.dir.path()), before, "{path}");
    }
}

#[test]
fn a_config_that_does_not_validate_is_a_failed_run_in_the_metrics_too() {
    let f = Fixture::with_replaced("region: us-west-2", "region: us-west2");
    std::fs::create_dir(f.path("metrics")).expect("mkdir");
    let output = verify(&f, &["--offline"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let samples = prom::read(&f.path("metrics/sre.prom"));
    assert_eq!(
        prom::value(&samples, "sre_agent_deploy_verify_success", &[]),
        Some(0.0)
    );
    let names: std::collections::BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "sre_agent_deploy_verify_last_run_timestamp_seconds",
            "sre_agent_deploy_verify_success"
        ],
        "nothing was checked, so nothing else is claimed"
    );
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walk(dir).iter().map(|p| p.display().to_string()).collect();
    names.sort();
    names
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}

//! Benchmark of `verify --prometheus` over the network, through the binary: starts N loopback
//! TLS servers (one certificate for `bench.sre-agent.internal`, reached through `verify.resolve`),
//! writes a config that lists them as `tls.endpoints`, then runs `BIN verify --prometheus` on it
//! ROUNDS times, each a whole process (config, file checks, the sweep with full checks, the four
//! reports, the metrics file). Prints each run's wall time, then the minimum and the median.
//!
//! `cargo run --release --example bench-metrics -- BIN [ENDPOINTS=1000] [ROUNDS=5]`
#![allow(clippy::print_stdout, clippy::print_stderr)]
#![allow(clippy::disallowed_methods)] // the benchmark's throwaway config, in a temp folder

use emulator::{certs, tls as tls_servers};

use std::error::Error;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

const HOST: &str = "bench.sre-agent.internal";

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bin = std::fs::canonicalize(
        args.first()
            .ok_or("usage: bench-metrics BIN [ENDPOINTS] [ROUNDS]")?,
    )?;
    let number = |i: usize, default: usize| -> Result<usize, Box<dyn Error>> {
        args.get(i).map_or(Ok(default), |a| {
            a.parse()
                .map_err(|_| format!("argument {} (\"{a}\") is not a number", i + 1).into())
        })
    };
    let count = number(1, 1000)?.max(1);
    let rounds = number(2, 5)?.max(1);
    let dir = tempfile::tempdir()?;
    certs::write_chain(dir.path(), HOST, 90)?;
    let chain = std::fs::read_to_string(dir.path().join("fullchain.pem"))?;
    let key = std::fs::read_to_string(dir.path().join("privkey.pem"))?;
    let identity = tls_servers::Identity::from_pem(&chain, &key)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let servers = runtime.block_on(tls_servers::start_many(
        count,
        &identity,
        &tls_servers::Options::default(),
    ))?;
    let mut endpoints = String::new();
    for s in &servers {
        let _ = write!(endpoints, "\n    - \"{HOST}:{}\"", s.port());
    }
    std::fs::write(
        dir.path().join("config.yaml"),
        config(servers[0].port(), &endpoints),
    )?;
    println!(
        "{count} loopback TLS servers; {} runs of {} verify --prometheus",
        rounds,
        bin.display()
    );

    let mut times = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let started = Instant::now();
        let output = Command::new(&bin)
            .current_dir(dir.path())
            .env("BACKEND_API_KEY", "bench-key")
            .args([
                "verify",
                "-c",
                "config.yaml",
                "--prometheus",
                "sre.prom",
                "--quiet",
            ])
            .output()?;
        let elapsed = started.elapsed();
        let metrics = std::fs::read_to_string(dir.path().join("sre.prom"))?;
        let up = metrics
            .lines()
            .filter(|l| l.starts_with("probe_success{") && l.ends_with(" 1"))
            .count();
        println!(
            "run {round}: {:.0} ms, exit {:?}, {} lines in the metrics file, {up} probe_success samples at 1",
            elapsed.as_secs_f64() * 1000.0,
            output.status.code(),
            metrics.lines().count()
        );
        if up != 2 * count {
            eprintln!("{}", String::from_utf8_lossy(&output.stderr));
            return Err(format!("{up} of {} probe_success samples are 1", 2 * count).into());
        }
        times.push(elapsed);
    }
    times.sort();
    println!(
        "min {:.0} ms, median {:.0} ms over {rounds} runs of {count} endpoints",
        times[0].as_secs_f64() * 1000.0,
        times[times.len() / 2].as_secs_f64() * 1000.0
    );
    Ok(())
}

fn config(port: u16, endpoints: &str) -> String {
    format!(
        r#"version: 1
aws: {{account_id: "123456789012", region: us-east-1, role_name: bench-role}}
cognito: {{cognito_domain: bench, resource_server_id: sre-agent, scopes: [sre-agent/invoke]}}
gateway:
  gateway_name: bench-gw
  s3_bucket: bench-specs
  s3_path_prefix: sre-agent/specs
  credential_provider_name: bench-key
  api_key: env:BACKEND_API_KEY
  targets:
    - {{name: k8s-api, spec: kubernetes, backend_url: "https://{HOST}:{port}"}}
tls:
  domain_name: {HOST}
  ssl_cert_path: fullchain.pem
  ssl_key_path: privkey.pem
  ca_bundle_path: ca.pem
  endpoints:{endpoints}
verify:
  timeout_seconds: 5
  resolve: ["{HOST}:127.0.0.1"]
deployment:
  deployment_id: bench
"#
    )
}

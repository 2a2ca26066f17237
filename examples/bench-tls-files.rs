//! Times the TLS file checks: `cargo run --release --example bench-tls-files [ITERATIONS]`.
//! Writes a leaf, its intermediate and the root (as the CA bundle) to a temporary folder, warms
//! up, then runs `check_files` ITERATIONS times (default 2000) and prints the median and p95.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use emulator::certs;

use std::time::Instant;

use sre_agent_deploy::config::TlsConfig;
use sre_agent_deploy::verify::Status;
use sre_agent_deploy::verify::tls_files::check_files;
use time::OffsetDateTime;

const DOMAIN: &str = "backend.sre-agent.internal";
const WARMUP: usize = 50;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: usize = std::env::args().nth(1).map_or(Ok(2000), |n| n.parse())?;
    let dir = tempfile::tempdir()?;
    certs::write(&certs::make(certs::Case::Valid, DOMAIN), dir.path());
    let tls = TlsConfig {
        domain_name: DOMAIN.into(),
        ssl_cert_path: "fullchain.pem".into(),
        ssl_key_path: "privkey.pem".into(),
        ca_bundle_path: Some("ca.pem".into()),
        ..TlsConfig::default()
    };
    let now = OffsetDateTime::now_utc();
    for _ in 0..WARMUP {
        let checks = check_files(&tls, dir.path(), now);
        if let Some(bad) = checks.iter().find(|c| c.status != Status::Pass) {
            return Err(format!("the benchmark chain should pass every check: {bad}").into());
        }
    }
    let mut micros: Vec<u128> = (0..iterations.max(1))
        .map(|_| {
            let started = Instant::now();
            let checks = check_files(&tls, dir.path(), now);
            std::hint::black_box(checks);
            started.elapsed().as_micros()
        })
        .collect();
    micros.sort_unstable();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let index = ((micros.len() - 1) as f64 * q).round() as usize;
        micros[index]
    };
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "check_files over a 3-certificate chain ({profile} build, {} runs after {WARMUP} warm-up): \
         median {} µs, p95 {} µs, max {} µs",
        micros.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    );
    Ok(())
}

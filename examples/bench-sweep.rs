//! Benchmark of the remote TLS sweep: starts N loopback TLS servers (one rcgen certificate for
//! `bench.sre-agent.internal`, mapped to 127.0.0.1 the way `verify.resolve` does), sweeps them
//! with full checks (TCP, TLS, certificate, `GET /health`) several times and prints the wall time
//! of each sweep, then the minimum and the median.
//!
//! `cargo run --release --example bench-sweep -- [ENDPOINTS=500] [CONCURRENCY=64] [ROUNDS=5]`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use emulator::tls as tls_servers;

use std::error::Error;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::RootCertStore;
use sre_agent_deploy::verify::Status;
use sre_agent_deploy::verify::remote::{Endpoint, Settings, sweep};
use time::OffsetDateTime;

const HOST: &str = "bench.sre-agent.internal";

fn arg(args: &[String], i: usize, default: usize) -> Result<usize, Box<dyn Error>> {
    match args.get(i) {
        Some(a) => Ok(a
            .parse()
            .map_err(|_| format!("argument {} (\"{a}\") is not a number", i + 1))?),
        None => Ok(default),
    }
}

/// The soft limit on open files, read from /proc (no libc call, no unsafe).
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A CA and a leaf for `HOST` it signs: (the identity to serve, the CA to trust).
fn certificate() -> Result<(tls_servers::Identity, Vec<u8>), Box<dyn Error>> {
    let now = OffsetDateTime::now_utc();
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "bench CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = now - time::Duration::days(1);
    ca_params.not_after = now + time::Duration::days(365);
    let ca_key = KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let mut params = CertificateParams::new(vec![HOST.to_string()])?;
    params.distinguished_name.push(DnType::CommonName, HOST);
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(90);
    let key = KeyPair::generate()?;
    let leaf = params.signed_by(&key, &issuer)?;
    let identity = tls_servers::Identity::from_der(vec![leaf.der().to_vec()], key.serialize_der());
    Ok((identity, ca.der().to_vec()))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count = arg(&args, 0, 500)?;
    let concurrency = arg(&args, 1, 64)?;
    let rounds = arg(&args, 2, 5)?.max(1);

    // Each endpoint holds a listener, and each in-flight probe two sockets (client and server).
    let needed = u64::try_from(count + 2 * concurrency + 64).unwrap_or(u64::MAX);
    match open_files_limit() {
        Some(limit) if limit < needed => {
            return Err(format!(
                "the open-files limit is {limit}, and {count} endpoints at concurrency {concurrency} need about \
                 {needed}: raise it first (`ulimit -n {needed}`) or use fewer endpoints"
            )
            .into());
        }
        Some(limit) => println!("open-files limit {limit} (need about {needed})"),
        None => println!("open-files limit unknown (need about {needed})"),
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let (identity, ca) = certificate()?;
        let started = Instant::now();
        let servers = tls_servers::start_many(count, &identity, &tls_servers::Options::default()).await?;
        println!("started {count} loopback TLS servers in {:?}", started.elapsed());

        let mut roots = RootCertStore::empty();
        roots.add(ca.into())?;
        let settings = Settings {
            roots: Arc::new(roots),
            resolve: vec![(HOST.to_string(), IpAddr::V4(Ipv4Addr::LOCALHOST))],
            timeout: Duration::from_secs(5),
            concurrency,
            health_path: "/health".into(),
            warn_days: 30,
            fail_days: 7,
            now: OffsetDateTime::now_utc(),
        };
        let endpoints: Vec<Endpoint> = servers
            .iter()
            .enumerate()
            .map(|(i, s)| Endpoint {
                host: HOST.into(),
                port: s.port(),
                field: Some(format!("tls.endpoints[{i}]")),
                health: true,
            })
            .collect();

        let mut times = Vec::with_capacity(rounds);
        for round in 1..=rounds {
            let started = Instant::now();
            let probes = sweep(endpoints.clone(), &settings).await;
            let elapsed = started.elapsed();
            let passed = probes.iter().filter(|p| p.status == Status::Pass).count();
            println!(
                "sweep {round}: {count} endpoints, concurrency {concurrency}: {:.0} ms ({passed} passed)",
                elapsed.as_secs_f64() * 1000.0
            );
            if let Some(failed) = probes.iter().find(|p| p.status != Status::Pass) {
                println!("  first problem: {failed}");
            }
            times.push(elapsed);
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "min {:.0} ms, median {:.0} ms over {rounds} sweeps ({} build)",
            times[0].as_secs_f64() * 1000.0,
            median.as_secs_f64() * 1000.0,
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
        );
        let served: usize = servers.iter().map(tls_servers::Server::requests).sum();
        println!("health requests served: {served}");
        Ok::<_, Box<dyn Error>>(())
    })
}

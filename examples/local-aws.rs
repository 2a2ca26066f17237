//! A local AWS for the demo: moto behind the emulator proxy, until SIGTERM, SIGINT, SIGHUP or stdin closes.
//!
//! ```sh
//! cargo run --example local-aws > endpoint.env &   # prints one line: AWS_ENDPOINT_URL=http://127.0.0.1:PORT
//! LOCAL_AWS_LATENCY_MS=50 adds 50 ms to every call.
//! LOCAL_AWS_READY_GATEWAY_SECS=4 LOCAL_AWS_READY_TARGET_SECS=2: READY that long after the create.
//! LOCAL_AWS_ROLE_PROPAGATION_SECS=5: a new role cannot be assumed by the gateway for 5 s.
//! GET $AWS_ENDPOINT_URL/_emulator/calls is the call log (operation, path, status, at_ms, served_ms);
//! DELETE clears it.
//! LOCAL_AWS_TLS_DIR=target/demo LOCAL_AWS_BACKEND_PORTS=8011,8012 also serves the demo backends:
//! TLS on 127.0.0.1 at those ports with DIR/fullchain.pem and DIR/privkey.pem, `GET /health` → 200.
//! ```
//!
//! stdout gets exactly that one line; notes go to stderr. When stdin is `/dev/null` (a background job of a
//! non-interactive shell), it is not watched, so only a signal stops the emulator.
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

use emulator::tls as tls_servers;

use std::io::{Read as _, Write as _};
use std::os::unix::fs::MetadataExt as _;
use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};

/// Is stdin `/dev/null` (already at end, so its closing says nothing)?
fn stdin_is_dev_null() -> bool {
    match (std::fs::metadata("/dev/stdin"), std::fs::metadata("/dev/null")) {
        (Ok(stdin), Ok(null)) => {
            stdin.dev() == null.dev() && stdin.ino() == null.ino() && stdin.rdev() == null.rdev()
        }
        // No stdin at all: nothing to watch.
        (Err(_), _) => true,
        _ => false,
    }
}

fn main() -> ExitCode {
    let emu = match emulator::Emulator::start() {
        Ok(emu) => emu,
        Err(e) => {
            eprintln!("local-aws: cannot start the emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seconds = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .map(std::time::Duration::from_secs_f64)
    };
    // LOCAL_AWS_LATENCY_MS adds that much latency to every call (for the deploy benchmark).
    if let Some(ms) = std::env::var("LOCAL_AWS_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        emu.faults().set_latency(std::time::Duration::from_millis(ms));
    }
    // LOCAL_AWS_READY_GATEWAY_SECS / _TARGET_SECS: READY that long after the create, as the
    // real service does (default: at the first look after it).
    let (gateway, target) = (
        seconds("LOCAL_AWS_READY_GATEWAY_SECS").unwrap_or_default(),
        seconds("LOCAL_AWS_READY_TARGET_SECS").unwrap_or_default(),
    );
    if let Err(e) = emu.set_ready_after(gateway, target) {
        eprintln!("local-aws: cannot set the READY delays: {e}");
        return ExitCode::FAILURE;
    }
    // LOCAL_AWS_ROLE_PROPAGATION_SECS: a new role is not assumable for that long.
    if let Some(d) = seconds("LOCAL_AWS_ROLE_PROPAGATION_SECS") {
        emu.set_role_propagation(d);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("local-aws: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _backends = match runtime.block_on(backends()) {
        Ok(servers) => servers,
        Err(e) => {
            eprintln!("local-aws: cannot serve the demo backends: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "AWS_ENDPOINT_URL={}", emu.endpoint())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    let watch_stdin = !stdin_is_dev_null();
    eprintln!(
        "local-aws: moto {} behind the emulator proxy at {} (moto itself: {}, log: {}).\n\
         local-aws: set AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID=testing, AWS_SECRET_ACCESS_KEY=testing, \
         AWS_REGION=us-east-1; stop with SIGTERM or Ctrl-C{}.",
        emulator::MOTO_VERSION,
        emu.endpoint(),
        emu.moto_endpoint(),
        emu.moto_log_path().display(),
        if watch_stdin { " or by closing stdin" } else { "" },
    );

    let reason = runtime.block_on(async {
        let (stdin_tx, mut stdin_rx) = tokio::sync::mpsc::channel::<()>(1);
        // Without a watcher the sender stays here, so the channel never reports closing.
        let _unwatched = if watch_stdin {
            std::thread::spawn(move || {
                let mut sink = [0u8; 4096];
                let mut stdin = std::io::stdin();
                while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
                let _ = stdin_tx.blocking_send(());
            });
            None
        } else {
            Some(stdin_tx)
        };
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return "signal handlers could not be installed";
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
            _ = hup.recv() => "SIGHUP",
            _ = stdin_rx.recv() => "stdin closed",
        }
    });
    eprintln!(
        "local-aws: {reason}; stopping ({} calls served).",
        emu.calls().len()
    );
    drop(emu);
    ExitCode::SUCCESS
}

/// The demo backends, when LOCAL_AWS_TLS_DIR and LOCAL_AWS_BACKEND_PORTS ask for them.
async fn backends() -> Result<Vec<tls_servers::Server>, Box<dyn std::error::Error>> {
    let (Ok(dir), Ok(ports)) = (
        std::env::var("LOCAL_AWS_TLS_DIR"),
        std::env::var("LOCAL_AWS_BACKEND_PORTS"),
    ) else {
        return Ok(Vec::new());
    };
    let dir = std::path::Path::new(&dir);
    let chain = std::fs::read_to_string(dir.join("fullchain.pem"))?;
    let key = std::fs::read_to_string(dir.join("privkey.pem"))?;
    let identity = tls_servers::Identity::from_pem(&chain, &key)?;
    let mut servers = Vec::new();
    for port in ports.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let port: u16 = port.parse()?;
        let server = tls_servers::start_at(port, &identity, &tls_servers::Options::default()).await?;
        eprintln!("local-aws: demo backend on https://127.0.0.1:{port}");
        servers.push(server);
    }
    Ok(servers)
}

//! Generates the demo's TLS files: `cargo run --example demo-cert -- DIR [DOMAIN]`.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use emulator::certs;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "target/demo".into());
    let domain = args.next().unwrap_or_else(|| "backend.sre-agent.internal".into());
    let files = certs::write_chain(std::path::Path::new(&dir), &domain, 90)?;
    println!(
        "wrote {} (CA: {}) for {domain}",
        files.chain.display(),
        files.ca.display()
    );
    Ok(())
}

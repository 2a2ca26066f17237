//! Is the config's backend host this machine? Then `--validate-only` checks it too. The host is
//! `tls.domain_name`, or, when that is not this machine, every backend URL's host; it is local
//! when it resolves (an IP literal, a `verify.resolve` entry, `localhost`, or, when `dns` allows
//! it, DNS with a short timeout) to a loopback address or to an address a local interface holds (one this process can
//! bind, released at once).

use std::net::{IpAddr, TcpListener, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use crate::config::Config;

/// How long a DNS look-up may take before the host counts as not local.
const DNS_TIMEOUT: Duration = Duration::from_secs(2);

/// True when the backends the config describes run on this machine.
pub fn host_is_local(config: &Config, dns: bool) -> bool {
    let resolve = config.verify.resolved();
    let is_local = |host: &str| {
        let addresses = addresses(host, &resolve, dns);
        !addresses.is_empty() && addresses.iter().all(|a| is_local_address(*a))
    };
    let domain = config.tls.domain_name.to_ascii_lowercase();
    if !domain.is_empty() && is_local(&domain) {
        return true;
    }
    let mut hosts = backend_hosts(config);
    hosts.sort();
    hosts.dedup();
    // Each name is looked up once, and the first one elsewhere decides.
    !hosts.is_empty() && !hosts.contains(&domain) && hosts.iter().all(|h| is_local(h))
}

/// The hosts of the targets' backend URLs (IPv6 literals without brackets).
fn backend_hosts(config: &Config) -> Vec<String> {
    config
        .gateway
        .targets
        .iter()
        .filter_map(|t| url::Url::parse(&t.backend_url).ok())
        .filter_map(|u| {
            u.host_str().map(|h| {
                h.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_ascii_lowercase()
            })
        })
        .collect()
}

/// The addresses `host` is reached at: an IP literal as it is, a `verify.resolve` entry, loopback
/// for `localhost`, else DNS.
fn addresses(host: &str, resolve: &[(String, IpAddr)], dns_allowed: bool) -> Vec<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![ip];
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let fixed: Vec<IpAddr> = resolve
        .iter()
        .filter(|(h, _)| *h == host)
        .map(|(_, ip)| *ip)
        .collect();
    if !fixed.is_empty() {
        return fixed;
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return vec![IpAddr::from([127, 0, 0, 1])];
    }
    if dns_allowed { dns(host) } else { Vec::new() }
}

/// A DNS look-up on its own thread, abandoned after [`DNS_TIMEOUT`].
fn dns(host: String) -> Vec<IpAddr> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let found: Vec<IpAddr> = (host.as_str(), 0)
            .to_socket_addrs()
            .map(|a| a.map(|s| s.ip()).collect())
            .unwrap_or_default();
        let _ = tx.send(found);
    });
    rx.recv_timeout(DNS_TIMEOUT).unwrap_or_default()
}

/// Loopback, or an address of one of this machine's interfaces.
fn is_local_address(ip: IpAddr) -> bool {
    ip.is_loopback() || (!ip.is_unspecified() && !ip.is_multicast() && TcpListener::bind((ip, 0)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(domain: &str, urls: &[&str], resolve: &[&str]) -> Config {
        let mut config = Config::default();
        config.tls.domain_name = domain.into();
        config.gateway.targets = urls
            .iter()
            .map(|u| crate::config::TargetConfig {
                name: "t".into(),
                spec: "logs".into(),
                backend_url: (*u).into(),
            })
            .collect();
        config.verify.resolve = resolve.iter().map(|r| (*r).to_string()).collect();
        config
    }

    #[test]
    fn loopback_through_resolve_or_literal_is_local() {
        assert!(host_is_local(
            &config(
                "backend.sre-agent.internal",
                &[],
                &["backend.sre-agent.internal:127.0.0.1"]
            ),
            false
        ));
        assert!(host_is_local(&config("localhost", &[], &[]), false));
        assert!(host_is_local(
            &config("", &["https://127.0.0.1:8011", "https://[::1]:8012"], &[]),
            false
        ));
    }

    #[test]
    fn other_hosts_are_not_local() {
        // A documentation address (TEST-NET-1) is no interface's.
        assert!(!host_is_local(
            &config(
                "backend.corp.internal",
                &["https://192.0.2.10:8011"],
                &["backend.corp.internal:192.0.2.10"]
            ),
            false
        ));
        // One remote backend is enough to make the backends' host not this one.
        assert!(!host_is_local(
            &config("", &["https://127.0.0.1:8011", "https://192.0.2.10:8012"], &[]),
            false
        ));
        assert!(!host_is_local(&config("", &[], &[]), false));
        // Offline, a name only DNS knows is not looked up.
        assert!(!host_is_local(&config("localhost.invalid", &[], &[]), false));
    }
}

//! Host name matching for certificates, per RFC 6125: a DNS-ID matches case-insensitively, and a
//! wildcard is only the whole left-most label (`*.example.com`), stands for exactly one label, never
//! matches the apex (`example.com`) and needs at least two labels after it (`*.com` matches
//! nothing). Pure functions, no I/O.

use std::net::IpAddr;

/// Whether the certificate name `pattern` (a SAN dNSName) covers `host`.
pub fn covers(pattern: &str, host: &str) -> bool {
    // One trailing dot is the absolute form of the same name; more than one is malformed.
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern).to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if pattern.is_empty() || host.is_empty() || host.parse::<IpAddr>().is_ok() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(rest) => {
            if rest.contains('*') || rest.split('.').count() < 2 || rest.split('.').any(str::is_empty) {
                return false;
            }
            match host.split_once('.') {
                Some((first, host_rest)) => !first.is_empty() && host_rest == rest,
                None => false,
            }
        }
        None => !pattern.contains('*') && !pattern.split('.').any(str::is_empty) && pattern == host,
    }
}

/// Whether any of `names` covers `host`. An IP address host is matched against `ips` only.
pub fn any_covers(names: &[String], ips: &[IpAddr], host: &str) -> bool {
    match host.parse::<IpAddr>() {
        Ok(ip) => ips.contains(&ip),
        Err(_) => names.iter().any(|n| covers(n, host)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_match_case_insensitively() {
        assert!(covers("backend.corp.internal", "Backend.Corp.Internal"));
        assert!(covers("backend.corp.internal.", "backend.corp.internal"));
        assert!(covers("backend.corp.internal", "backend.corp.internal."));
        assert!(!covers("backend.corp.internal..", "backend.corp.internal"));
        assert!(!covers("backend.corp.internal", "api.corp.internal"));
    }

    #[test]
    fn wildcards_cover_one_label_and_not_the_apex() {
        assert!(covers("*.corp.internal", "backend.corp.internal"));
        assert!(!covers("*.corp.internal", "corp.internal"));
        assert!(!covers("*.corp.internal", "a.backend.corp.internal"));
        assert!(!covers("*.internal", "corp.internal"));
        assert!(!covers("b*.corp.internal", "backend.corp.internal"));
        assert!(!covers("*.*.internal", "a.b.internal"));
        assert!(!covers("backend.*.internal", "backend.corp.internal"));
    }

    #[test]
    fn ip_hosts_only_match_ip_sans() {
        let ip: IpAddr = "127.0.0.1".parse().expect("ip");
        assert!(any_covers(&[], &[ip], "127.0.0.1"));
        assert!(!any_covers(&["127.0.0.1".into()], &[], "127.0.0.1"));
        assert!(any_covers(&["*.corp.internal".into()], &[], "x.corp.internal"));
    }
}

//! Network names: DNS names, `https://` URLs, `host:port` endpoints, and the region embedded in an
//! AWS endpoint host.

use url::Url;

use super::{KNOWN_REGIONS, Problem};

/// A DNS host name: 1-253 characters, labels of 1-63 letters, digits and hyphens, no hyphen at a
/// label's ends, and a top-level label that is not all digits.
pub fn dns_name(value: &str) -> Result<(), Problem> {
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.starts_with("*.") {
        return Err(
            Problem::new(format!("\"{value}\" is a wildcard; give the exact host name")).suggest(format!(
                "use a host such as \"{}\"",
                name.replacen('*', "backend", 1)
            )),
        );
    }
    if name.is_empty() || name.len() > 253 {
        return Err(Problem::new(format!(
            "a DNS name is 1-253 characters; \"{value}\" has {}",
            value.len()
        )));
    }
    if name.contains("://") || name.contains('/') {
        let host = Url::parse(value)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string));
        let problem = Problem::new(format!("\"{value}\" is a URL, not a DNS name"));
        return Err(match host {
            Some(host) => problem.suggest(format!("use \"{host}\"")),
            None => problem,
        });
    }
    for label in name.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(Problem::new(format!(
                "\"{value}\" is not a valid DNS name: the label \"{label}\" must be 1-63 letters, \
                 digits or hyphens, without a hyphen at either end"
            )));
        }
    }
    if name
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(Problem::new(format!(
            "\"{value}\" looks like an IP address; the certificate and backends need a DNS name"
        )));
    }
    Ok(())
}

/// Parses an `https://` URL with a host. Loopback `http://` URLs are allowed when `allow_loopback_http`.
pub fn https_url(value: &str, allow_loopback_http: bool) -> Result<Url, Problem> {
    let url = Url::parse(value).map_err(|e| {
        Problem::new(format!("\"{value}\" is not a URL: {e}"))
            .suggest("write a full URL such as https://host.corp.internal:8443")
    })?;
    let host = url.host_str().unwrap_or_default().to_string();
    if host.is_empty() {
        return Err(Problem::new(format!("\"{value}\" has no host")));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_loopback_http && is_loopback_host(&host) => Ok(url),
        scheme => Err(
            Problem::new(format!("\"{value}\" uses {scheme}://; only https:// is accepted")).suggest(
                format!(
                    "use \"{}\"",
                    value.replacen(&format!("{scheme}://"), "https://", 1)
                ),
            ),
        ),
    }
}

/// True for `localhost`, 127.0.0.0/8 and `::1`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The AWS region named by a dot-separated label of an endpoint host, if any
/// (`bedrock-agentcore-control.us-west-2.amazonaws.com` → `us-west-2`).
pub fn embedded_region(host: &str) -> Option<&'static str> {
    host.split('.')
        .find_map(|label| KNOWN_REGIONS.iter().copied().find(|r| *r == label))
}

/// A `host:port` endpoint with a valid DNS name (or IP) and a port in 1-65535.
pub fn host_port(value: &str) -> Result<(), Problem> {
    let fail = |why: String| {
        Problem::new(format!("\"{value}\" is not a host:port endpoint: {why}"))
            .suggest("write endpoints as host:port, such as backend.corp.internal:8011")
    };
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| fail("the port is missing".to_string()))?;
    match port.parse::<u16>() {
        Ok(p) if p > 0 => {}
        _ => return Err(fail(format!("\"{port}\" is not a port (1-65535)"))),
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    dns_name(host).map_err(|p| fail(p.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        for ok in ["backend.corp.internal", "a.b", "localhost", "x-1.example-2.net."] {
            assert!(dns_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a.b",
            "a-.b",
            "a..b",
            "a_b.c",
            "1.2.3.4",
            "*.corp.net",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(dns_name(bad).is_err(), "{bad}");
        }
        let err = dns_name("https://api.corp.net/x").expect_err("url");
        assert_eq!(err.suggestion.as_deref(), Some("use \"api.corp.net\""));
    }

    #[test]
    fn https_urls() {
        assert!(https_url("https://api.corp.net:8011", false).is_ok());
        assert!(https_url("http://127.0.0.1:4566", true).is_ok());
        assert!(https_url("http://localhost:4566", true).is_ok());
        assert!(https_url("http://127.0.0.1:4566", false).is_err());
        let err = https_url("http://api.corp.net", true).expect_err("plain http");
        assert_eq!(err.suggestion.as_deref(), Some("use \"https://api.corp.net\""));
        assert!(https_url("api.corp.net", false).is_err());
    }

    #[test]
    fn embedded_regions() {
        assert_eq!(
            embedded_region("bedrock-agentcore-control.us-west-2.amazonaws.com"),
            Some("us-west-2")
        );
        assert_eq!(embedded_region("gateway.corp.internal"), None);
        assert_eq!(embedded_region("us-east-1x.amazonaws.com"), None);
    }

    #[test]
    fn host_ports() {
        assert!(host_port("backend.corp.internal:8011").is_ok());
        assert!(host_port("127.0.0.1:443").is_ok());
        assert!(host_port("[::1]:443").is_ok());
        for bad in [
            "backend.corp.internal",
            "backend:0",
            "backend:70000",
            "bad_host:443",
        ] {
            assert!(host_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("127.3.2.1"));
        assert!(is_loopback_host("[::1]"));
        assert!(is_loopback_host("LOCALHOST"));
        assert!(!is_loopback_host("10.0.0.1"));
    }
}

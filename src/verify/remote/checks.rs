//! A probe as report checks: `tcp` (resolution and connect), `tls` (handshake, trust, name,
//! protocol), `certificate` (the presented leaf's validity window) and `health` (the GET, when the
//! endpoint has one). The step that failed carries the probe's message and fix; later steps are
//! skipped with the reason. Pure: it only reads the probe.

use super::{Layer, Probe};
use crate::verify::check::{Check, Component, Status};

/// The step a probe stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Connect,
    Tls,
    Certificate,
    Health,
}

impl Probe {
    /// The step that failed, if one did.
    fn failed_step(&self) -> Option<Step> {
        Some(match self.failed_layer? {
            Layer::Dns | Layer::Tcp => Step::Connect,
            Layer::TlsTrust | Layer::TlsName | Layer::TlsHandshake => Step::Tls,
            Layer::TlsExpiry => Step::Certificate,
            Layer::Timeout if self.connect_ms.is_none() => Step::Connect,
            Layer::Timeout if self.tls_ms.is_none() => Step::Tls,
            Layer::HttpStatus | Layer::Http | Layer::Timeout => Step::Health,
        })
    }

    /// The probe as checks, one per step.
    pub fn checks(&self) -> Vec<Check> {
        // A probe the caller turned into a skip (say, a port nothing is meant to serve) is one skip.
        if self.status == Status::Skip {
            let check = self.check("tcp", Status::Skip, &self.message);
            return vec![match &self.suggestion {
                Some(s) => check.suggest(s),
                None => check,
            }];
        }
        let failed = self.failed_step();
        // A failure without a layer (the check itself broke) is reported once, on the first step.
        let failed = if self.status == Status::Fail && failed.is_none() {
            Some(Step::Connect)
        } else {
            failed
        };
        let mut checks = vec![
            self.tcp_check(failed),
            self.tls_check(failed),
            self.certificate_check(failed),
        ];
        if self.health_path.is_some() {
            checks.push(self.health_check(failed));
        }
        checks
    }

    fn check(&self, name: &str, status: Status, message: impl Into<String>) -> Check {
        let check = Check::new(Component::RemoteTls, name, &self.endpoint, status, message);
        match &self.field {
            Some(field) => check.field(field),
            None => check,
        }
    }

    /// The probe's own failure, as the check of the step that failed.
    fn failure(&self, name: &str) -> Check {
        let check = self.check(name, Status::Fail, &self.message);
        let check = match self.failed_layer {
            Some(layer) => check.detail("layer", layer.label()),
            None => check,
        };
        match &self.suggestion {
            Some(s) => check.suggest(s),
            None => check,
        }
    }

    fn tcp_check(&self, failed: Option<Step>) -> Check {
        if failed == Some(Step::Connect) {
            return self.failure("tcp");
        }
        let address = self
            .address
            .map_or_else(|| self.endpoint.clone(), |a| a.to_string());
        let ms = self.connect_ms.unwrap_or(0);
        let check = self
            .check("tcp", Status::Pass, format!("connected to {address} in {ms} ms"))
            .detail("connect_ms", ms);
        with_ms(check, ms)
    }

    fn tls_check(&self, failed: Option<Step>) -> Check {
        match failed {
            Some(Step::Connect) => {
                return self.check("tls", Status::Skip, "not attempted: the connection failed");
            }
            Some(Step::Tls) => return self.failure("tls"),
            _ => {}
        }
        let Some(ms) = self.tls_ms else {
            return self.check(
                "tls",
                Status::Skip,
                "the handshake stopped at a certificate's dates; see the certificate check",
            );
        };
        let version = self.tls_version.as_deref().unwrap_or("TLS");
        let message = if self.names.is_empty() {
            format!("{version} in {ms} ms")
        } else {
            format!(
                "{version} in {ms} ms; the certificate covers {}",
                self.names.join(", ")
            )
        };
        let mut check = self.check("tls", Status::Pass, message).detail("tls_ms", ms);
        if let Some(version) = &self.tls_version {
            check = check.detail("tls_version", version.as_str());
        }
        with_ms(check, ms)
    }

    fn certificate_check(&self, failed: Option<Step>) -> Check {
        let check = if failed == Some(Step::Certificate) {
            self.failure("certificate")
        } else if let Some(verdict) = &self.certificate {
            let check = self.check("certificate", verdict.status, &verdict.message);
            match &verdict.suggestion {
                Some(s) => check.suggest(s),
                None => check,
            }
        } else if failed == Some(Step::Connect) {
            return self.check("certificate", Status::Skip, "not checked: the connection failed");
        } else {
            return self.check("certificate", Status::Skip, "no certificate was presented");
        };
        let check = match self.days_left {
            Some(days) => check.detail("days_left", days),
            None => check,
        };
        match &self.not_after {
            Some(t) => check.detail("not_after", t.as_str()),
            None => check,
        }
    }

    fn health_check(&self, failed: Option<Step>) -> Check {
        let path = self.health_path.as_deref().unwrap_or("/");
        if failed == Some(Step::Health) {
            let check = self.failure("health");
            return match self.http_status {
                Some(status) => check.detail("http_status", status),
                None => check,
            };
        }
        match (self.http_status, failed) {
            (Some(status), _) => {
                let ms = self.http_ms.unwrap_or(0);
                let check = self
                    .check(
                        "health",
                        Status::Pass,
                        format!("GET {path} returned {status} in {ms} ms"),
                    )
                    .detail("http_status", status)
                    .detail("http_ms", ms);
                with_ms(check, ms)
            }
            (None, Some(_)) => {
                let layer = self.failed_layer.map_or("an earlier step", Layer::label);
                self.check(
                    "health",
                    Status::Skip,
                    format!("GET {path} not sent: {layer} failed, and no request goes over an unverified connection"),
                )
            }
            (None, None) => self.check("health", Status::Skip, format!("GET {path} not sent")),
        }
    }
}

fn with_ms(check: Check, ms: u64) -> Check {
    check.timed(std::time::Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::remote::CertVerdict;

    fn passed() -> Probe {
        Probe {
            endpoint: "backend.corp:8011".into(),
            address: Some("10.0.0.12".parse().expect("ip")),
            field: Some("gateway.targets[0].backend_url".into()),
            status: Status::Pass,
            failed_layer: None,
            message: "TLSv1.3".into(),
            suggestion: None,
            connect_ms: Some(1),
            tls_ms: Some(3),
            tls_version: Some("TLSv1.3".into()),
            days_left: Some(80),
            not_after: Some("2030-01-01T00:00:00Z".into()),
            earliest_not_after: Some("2029-06-01T00:00:00Z".into()),
            out_of_date: false,
            names: vec!["backend.corp".into()],
            certificate: Some(CertVerdict {
                status: Status::Pass,
                message: "valid until 2030-01-01T00:00:00Z (80 days left)".into(),
                suggestion: None,
            }),
            health_path: Some("/health".into()),
            http_status: Some(200),
            http_ms: Some(2),
            total_ms: 7,
        }
    }

    fn statuses(probe: &Probe) -> Vec<(String, Status)> {
        probe.checks().into_iter().map(|c| (c.name, c.status)).collect()
    }

    #[test]
    fn a_passing_probe_is_four_passing_checks_with_the_field() {
        let checks = passed().checks();
        assert_eq!(checks.len(), 4);
        assert!(checks.iter().all(|c| c.status == Status::Pass));
        assert!(
            checks
                .iter()
                .all(|c| c.field.as_deref() == Some("gateway.targets[0].backend_url"))
        );
        assert!(checks.iter().all(|c| c.subject == "backend.corp:8011"));
        assert_eq!(checks[1].details["tls_version"], "TLSv1.3");
    }

    #[test]
    fn the_failed_step_carries_the_failure_and_health_is_skipped() {
        let mut probe = passed();
        probe.status = Status::Fail;
        probe.failed_layer = Some(Layer::TlsName);
        probe.message = "TLS name: the certificate covers other.corp, not backend.corp".into();
        probe.suggestion = Some("re-issue it".into());
        probe.http_status = None;
        probe.http_ms = None;
        let checks = probe.checks();
        assert_eq!(
            statuses(&probe),
            [
                ("tcp".to_string(), Status::Pass),
                ("tls".to_string(), Status::Fail),
                ("certificate".to_string(), Status::Pass),
                ("health".to_string(), Status::Skip)
            ]
        );
        assert_eq!(checks[1].suggestion.as_deref(), Some("re-issue it"));
        assert!(
            checks[3].message.contains("TLS name failed"),
            "{}",
            checks[3].message
        );
    }

    #[test]
    fn a_timeout_is_reported_on_the_step_that_timed_out() {
        let mut probe = passed();
        probe.status = Status::Fail;
        probe.failed_layer = Some(Layer::Timeout);
        probe.tls_ms = None;
        probe.certificate = None;
        probe.http_status = None;
        assert_eq!(statuses(&probe)[1], ("tls".to_string(), Status::Fail));
        probe.connect_ms = None;
        assert_eq!(statuses(&probe)[0], ("tcp".to_string(), Status::Fail));
        assert_eq!(statuses(&probe)[1], ("tls".to_string(), Status::Skip));
    }

    #[test]
    fn a_skipped_probe_is_one_skip() {
        let mut probe = passed();
        probe.status = Status::Skip;
        probe.message = "nothing listens on backend.corp:443".into();
        assert_eq!(statuses(&probe), [("tcp".to_string(), Status::Skip)]);
    }

    #[test]
    fn no_health_check_when_the_endpoint_has_none() {
        let mut probe = passed();
        probe.health_path = None;
        probe.http_status = None;
        assert_eq!(probe.checks().len(), 3);
    }
}

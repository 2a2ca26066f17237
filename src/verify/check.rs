//! The one result shape every verification check returns: a component, a status, a message, an
//! optional fix, the config field it is about, its duration and free-form details. The report only
//! renders these; nothing here does I/O.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validate::Finding;

/// How a check ended. The order is "how bad": the worst status of a group is its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ran and found nothing wrong.
    Pass,
    /// Not run, with the reason in the message (a missing prerequisite, or offline mode).
    Skip,
    /// Ran and found something to look at soon.
    Warn,
    /// Ran and found something that breaks the deployment or its security.
    Fail,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pass => "pass",
            Self::Skip => "skip",
            Self::Warn => "warn",
            Self::Fail => "fail",
        })
    }
}

/// What part of the deployment a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// The certificate, key and CA bundle files.
    TlsFiles,
    /// TCP, TLS and HTTP checks of the backends and extra endpoints.
    RemoteTls,
    /// The Cognito token.
    Auth,
    /// The AgentCore gateway's MCP endpoint.
    Gateway,
    /// Requests that must be rejected.
    Security,
}

impl Component {
    pub const ALL: [Self; 5] = [
        Self::TlsFiles,
        Self::RemoteTls,
        Self::Auth,
        Self::Gateway,
        Self::Security,
    ];

    /// The name used in the report and the JUnit suite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TlsFiles => "tls_files",
            Self::RemoteTls => "remote_tls",
            Self::Auth => "auth",
            Self::Gateway => "gateway",
            Self::Security => "security",
        }
    }

    /// A heading for people.
    pub fn title(self) -> &'static str {
        match self {
            Self::TlsFiles => "TLS certificate files",
            Self::RemoteTls => "Backend connectivity",
            Self::Auth => "Cognito authentication",
            Self::Gateway => "Gateway (MCP)",
            Self::Security => "Security (must be rejected)",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One verification result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Check {
    pub component: Component,
    /// A short stable name for the check, such as `expiry` or `tools/list`.
    pub name: String,
    /// What was checked: a file path, an endpoint (`host:port`) or a URL.
    pub subject: String,
    pub status: Status,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The config field the check is about (dotted path), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub duration_ms: u64,
    /// Measured values (days left, protocol version, latency...), for the report's tables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, serde_json::Value>,
}

impl Check {
    pub fn new(
        component: Component,
        name: impl Into<String>,
        subject: impl Into<String>,
        status: Status,
        message: impl Into<String>,
    ) -> Self {
        Self {
            component,
            name: name.into(),
            subject: subject.into(),
            status,
            message: message.into(),
            suggestion: None,
            field: None,
            duration_ms: 0,
            details: BTreeMap::new(),
        }
    }

    #[must_use]
    pub fn suggest(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    #[must_use]
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    #[must_use]
    pub fn timed(mut self, elapsed: Duration) -> Self {
        self.duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        self
    }

    #[must_use]
    pub fn detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// The check as a validation finding (for `--validate-only`): warnings and failures, under
    /// their config field, or the section they are about. Passes and skips are not findings.
    pub fn to_finding(&self) -> Option<Finding> {
        let field = self.field.clone().unwrap_or_else(|| {
            match self.component {
                Component::TlsFiles | Component::RemoteTls => "tls",
                Component::Auth => "cognito",
                Component::Gateway | Component::Security => "gateway",
            }
            .to_string()
        });
        let finding = match self.status {
            Status::Fail => Finding::error(field, &self.message),
            Status::Warn => Finding::warning(field, &self.message),
            Status::Pass | Status::Skip => return None,
        };
        Some(match &self.suggestion {
            Some(s) => finding.suggest(s),
            None => finding,
        })
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<4} {} {}: {}",
            self.status, self.name, self.subject, self.message
        )?;
        if let Some(suggestion) = &self.suggestion {
            write!(f, "\n     fix: {suggestion}")?;
        }
        Ok(())
    }
}

/// The worst status among `checks` (`Pass` when there are none).
pub fn worst<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Status {
    checks
        .into_iter()
        .map(|c| c.status)
        .filter(|s| *s != Status::Skip)
        .max()
        .unwrap_or(Status::Pass)
}

/// The status a group of checks shows: the worst, or `Skip` when every one was skipped.
pub fn group_status<'a>(checks: impl IntoIterator<Item = &'a Check> + Clone) -> Status {
    if checks.clone().into_iter().all(|c| c.status == Status::Skip) {
        Status::Skip
    } else {
        worst(checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Severity;

    #[test]
    fn findings_only_for_problems_under_their_field() {
        let fail = Check::new(Component::TlsFiles, "expiry", "cert.pem", Status::Fail, "expired")
            .field("tls.ssl_cert_path")
            .suggest("renew it");
        let finding = fail.to_finding().expect("a finding");
        assert_eq!(finding.severity, Severity::Error);
        assert_eq!(finding.suggestion.as_deref(), Some("renew it"));
        let mut warn = fail.clone();
        warn.status = Status::Warn;
        assert_eq!(warn.to_finding().map(|f| f.severity), Some(Severity::Warning));
        let mut pass = fail.clone();
        pass.status = Status::Pass;
        assert_eq!(pass.to_finding(), None);
        let mut no_field = fail;
        no_field.field = None;
        no_field.component = Component::Auth;
        assert_eq!(no_field.to_finding().map(|f| f.field), Some("cognito".into()));
    }

    #[test]
    fn worst_ignores_skips() {
        let make = |s| Check::new(Component::Auth, "n", "s", s, "m");
        assert_eq!(worst(&[make(Status::Skip), make(Status::Pass)]), Status::Pass);
        assert_eq!(worst(&[make(Status::Warn), make(Status::Fail)]), Status::Fail);
        assert_eq!(worst(&[]), Status::Pass);
        assert_eq!(
            group_status(&[make(Status::Skip), make(Status::Skip)]),
            Status::Skip
        );
        assert_eq!(
            group_status(&[make(Status::Skip), make(Status::Warn)]),
            Status::Warn
        );
    }
}

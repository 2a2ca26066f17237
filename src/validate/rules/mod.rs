//! Naming and format rules shared by the config models.
//!
//! Each rule is a pure function from a value to `Ok(())` or a [`Problem`] (message plus an optional
//! fix). Rules know AWS's naming rules but not where a value came from: the models attach field paths.

mod aws_ids;
mod bucket;
mod names;
mod net;
mod region;

pub use aws_ids::{
    ProviderArn, account_id, cognito_client_id, parse_provider_arn, role_arn, scope, user_pool_id,
};
pub use bucket::s3_bucket;
pub use names::{cognito_domain_prefix, deployment_id, gateway_name, iam_role_name, s3_path_prefix};
pub use net::{dns_name, embedded_region, host_port, https_url, is_loopback_host};
pub use region::{KNOWN_REGIONS, partition, region};

use std::fmt;

use crate::validate::Finding;

/// What is wrong with a value, and how to fix it when the fix is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub suggestion: Option<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            suggestion: None,
        }
    }

    #[must_use]
    pub fn suggest(mut self, suggestion: impl Into<String>) -> Self {
        self.suggestion = Some(suggestion.into());
        self
    }

    /// Turns the problem into an error finding on `field`.
    pub fn error_at(self, field: impl Into<String>) -> Finding {
        self.attach(Finding::error(field, ""))
    }

    /// Turns the problem into a warning finding on `field`.
    pub fn warning_at(self, field: impl Into<String>) -> Finding {
        self.attach(Finding::warning(field, ""))
    }

    fn attach(self, mut finding: Finding) -> Finding {
        finding.message = self.message;
        finding.suggestion = self.suggestion;
        finding
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The candidate closest to `input` by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let folded = fold(input);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if fold(candidate) == folded {
            return Some(candidate);
        }
        let distance = strsim::levenshtein(&input.to_ascii_lowercase(), candidate);
        let limit = (candidate.len() / 3).clamp(1, 3);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Lowercase alphanumerics only: `US_East1` and `us-east-1` fold to the same string.
fn fold(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_prefers_exact_fold_then_small_edit_distance() {
        let keys = ["region", "role_name", "account_id"];
        assert_eq!(closest("regoin", keys), Some("region"));
        assert_eq!(closest("accountId", keys), Some("account_id"));
        assert_eq!(closest("ROLE-NAME", keys), Some("role_name"));
        assert_eq!(closest("completely_different", keys), None);
    }
}

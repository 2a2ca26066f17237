//! JUnit XML for CI systems: one test case per checked field group (the config's sections).

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::validate::{Finding, Severity, ValidationResult};

/// The field groups, one test case each. Findings outside them (such as `version`) go to `config`.
pub const GROUPS: &[&str] = &[
    "config",
    "aws",
    "cognito",
    "gateway",
    "tls",
    "verify",
    "deployment",
];

/// Renders the findings as a JUnit report. A group fails on an error, or on a warning when `strict`.
pub fn render(result: &ValidationResult, strict: bool) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new("sre-agent-deploy validate");
    for group in GROUPS {
        let findings: Vec<&Finding> = result.findings.iter().filter(|f| group_of(f) == *group).collect();
        let failing = findings.iter().any(|f| f.severity == Severity::Error || strict);
        let mut status = if failing {
            TestCaseStatus::non_success(NonSuccessKind::Failure)
        } else {
            TestCaseStatus::success()
        };
        let details: Vec<String> = findings.iter().map(ToString::to_string).collect();
        if failing {
            let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
            status.set_message(format!(
                "{errors} error(s), {} warning(s) in {group}",
                findings.len() - errors
            ));
            status.set_description(details.join("\n"));
        }
        let mut case = TestCase::new(format!("{group} section"), status);
        case.set_classname(format!("config.{group}"));
        if !failing && !details.is_empty() {
            case.set_system_out(details.join("\n"));
        }
        suite.add_test_case(case);
    }
    let mut report = Report::new("sre-agent-deploy");
    report.add_test_suite(suite);
    report.to_string()
}

fn group_of(finding: &Finding) -> &str {
    let section = finding.section();
    if GROUPS.contains(&section) {
        section
    } else {
        "config"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_case_per_group_and_failures_marked() {
        let result: ValidationResult = [
            Finding::error("aws.region", "bad <region> & more"),
            Finding::warning("tls.warn_days", "soon"),
            Finding::error("version", "too new"),
        ]
        .into_iter()
        .collect();
        let xml = render(&result, false).expect("renders");
        assert_eq!(xml.matches("<testcase ").count(), GROUPS.len());
        assert_eq!(xml.matches("<failure").count(), 2, "{xml}");
        assert!(xml.contains("bad &lt;region&gt; &amp; more"));
        let strict = render(&result, true).expect("renders");
        assert_eq!(strict.matches("<failure").count(), 3);
    }
}

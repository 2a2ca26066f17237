//! Renderings of a [`VerificationReport`]: Markdown and HTML from the minijinja templates in
//! `templates/report/` (embedded at build time), and JUnit XML (one suite per component, one case
//! per check). Pure functions of the report.

use minijinja::{AutoEscape, Environment, context};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::VerificationReport;
use crate::verify::check::Status;

const MARKDOWN: &str = include_str!("../../../templates/report/report.md.j2");
const HTML: &str = include_str!("../../../templates/report/report.html.j2");

/// The report as Markdown.
pub fn markdown(report: &VerificationReport) -> String {
    render("report.md.j2", MARKDOWN, report)
}

/// The report as one self-contained HTML page (inline styles, no scripts, no external requests).
pub fn html(report: &VerificationReport) -> String {
    render("report.html.j2", HTML, report)
}

fn render(name: &str, source: &str, report: &VerificationReport) -> String {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_filter("cell", |value: String| {
        value.replace('|', "\\|").replace('\n', " ")
    });
    env.add_filter("status_label", |value: String| match value.as_str() {
        "pass" => "PASS".to_string(),
        "pass_with_warnings" => "PASS WITH WARNINGS".to_string(),
        "fail" => "FAIL".to_string(),
        other => other.to_uppercase(),
    });
    let (pass, warn, fail, skip) = report.counts();
    let rendered = env.add_template(name, source).and_then(|()| {
        env.get_template(name)?.render(context! {
            report => minijinja::Value::from(minijinja::value::Serde(report)),
            counts => context! { pass, warn, fail, skip },
        })
    });
    // The templates are compiled into the binary and covered by tests; a failure here is a bug,
    // reported in the output rather than hidden.
    rendered.unwrap_or_else(|e| format!("report template error: {e:#}\n"))
}

/// The report as JUnit XML: a suite per component, a case per check. Failures are failures,
/// skips are skipped, warnings pass with the message in system-out.
pub fn junit(report: &VerificationReport) -> String {
    let mut junit = Report::new("sre-agent-deploy verify");
    for component in &report.components {
        let mut suite = TestSuite::new(component.component.as_str());
        for check in &component.checks {
            let mut status = match check.status {
                Status::Pass | Status::Warn => TestCaseStatus::success(),
                Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
                Status::Skip => TestCaseStatus::skipped(),
            };
            if matches!(check.status, Status::Fail | Status::Skip) {
                status.set_message(check.message.clone());
                if let Some(s) = &check.suggestion {
                    status.set_description(format!("fix: {s}"));
                }
            }
            let mut case = TestCase::new(format!("{} {}", check.name, check.subject), status);
            case.set_classname(format!("verify.{}", component.component));
            case.set_time(std::time::Duration::from_millis(check.duration_ms));
            if check.status == Status::Warn {
                case.set_system_out(format!("warning: {}", check.message));
            }
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- JUnit rendering failed: {e} -->\n"))
}

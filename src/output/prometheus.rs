//! The Prometheus text exposition format (0.0.4), as node_exporter's textfile collector reads it:
//! a `# HELP` and a `# TYPE` line for every metric, then its samples, and no sample timestamps
//! (the collector refuses files that carry them). Label values and help texts are escaped as the
//! format says; a sample whose labels repeat an earlier one of its metric is dropped (the
//! collector refuses duplicate series). `verify --prometheus` writes its metrics with it
//! (`crate::verify::metrics`).

use std::collections::HashSet;
use std::fmt::Write as _;

/// What a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Gauge => "gauge",
            Self::Counter => "counter",
        }
    }
}

/// One metric: its name, help, kind and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    name: String,
    help: String,
    kind: Kind,
    samples: Vec<(Vec<(String, String)>, f64)>,
    /// The label sets already sampled (a sweep of thousands of endpoints stays linear).
    seen: HashSet<Vec<(String, String)>>,
}

impl Family {
    /// Adds a sample with these labels (in this order), unless the metric has one with the same
    /// labels already (the first one stays).
    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) -> &mut Self {
        let labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (sanitize(k, false), (*v).to_string()))
            .collect();
        if self.seen.insert(labels.clone()) {
            self.samples.push((labels, value));
        }
        self
    }
}

/// A whole exposition: metrics in the order they were first named.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    families: Vec<Family>,
}

impl Exposition {
    /// The gauge `name`, made with `help` the first time it is named.
    pub fn gauge(&mut self, name: &str, help: &str) -> &mut Family {
        self.family(name, help, Kind::Gauge)
    }

    /// The counter `name`, made with `help` the first time it is named.
    pub fn counter(&mut self, name: &str, help: &str) -> &mut Family {
        self.family(name, help, Kind::Counter)
    }

    fn family(&mut self, name: &str, help: &str, kind: Kind) -> &mut Family {
        let name = sanitize(name, true);
        let at = match self.families.iter().position(|f| f.name == name) {
            Some(at) => at,
            None => {
                self.families.push(Family {
                    name,
                    help: help.to_string(),
                    kind,
                    samples: Vec::new(),
                    seen: HashSet::new(),
                });
                self.families.len() - 1
            }
        };
        &mut self.families[at]
    }

    /// The text, ready for the textfile collector.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for f in &self.families {
            let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(&f.help));
            let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
            for (labels, value) in &f.samples {
                out.push_str(&f.name);
                if !labels.is_empty() {
                    let pairs: Vec<String> = labels
                        .iter()
                        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                        .collect();
                    let _ = write!(out, "{{{}}}", pairs.join(","));
                }
                let _ = writeln!(out, " {}", number(*value));
            }
        }
        out
    }
}

/// A value as the format writes it: `NaN`, `+Inf`, `-Inf`, or the shortest decimal.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

/// A metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`) or label name (the same without `:`), with any
/// other character made `_`.
fn sanitize(name: &str, metric: bool) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            let allowed =
                c.is_ascii_alphabetic() || c == '_' || (metric && c == ':') || (i > 0 && c.is_ascii_digit());
            if allowed { c } else { '_' }
        })
        .collect()
}

/// A label value: backslash, double quote and line feed escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A help text: backslash and line feed escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_help_type_and_samples_without_timestamps() {
        let mut e = Exposition::default();
        e.gauge("probe_success", "Whether the probe succeeded.")
            .sample(&[("instance", "backend:8011"), ("check", "tls")], 1.0)
            .sample(&[("instance", "backend:8012"), ("check", "tls")], 0.0);
        e.gauge("sre_agent_deploy_verify_success", "1 when verification passed.")
            .sample(&[], 1.0);
        e.gauge("probe_success", "ignored: already named")
            .sample(&[("instance", "backend:8013"), ("check", "http")], 1.0);
        assert_eq!(
            e.render(),
            "# HELP probe_success Whether the probe succeeded.\n\
             # TYPE probe_success gauge\n\
             probe_success{instance=\"backend:8011\",check=\"tls\"} 1\n\
             probe_success{instance=\"backend:8012\",check=\"tls\"} 0\n\
             probe_success{instance=\"backend:8013\",check=\"http\"} 1\n\
             # HELP sre_agent_deploy_verify_success 1 when verification passed.\n\
             # TYPE sre_agent_deploy_verify_success gauge\n\
             sre_agent_deploy_verify_success 1\n"
        );
    }

    #[test]
    fn escapes_and_numbers_follow_the_format() {
        let mut e = Exposition::default();
        e.counter("runs_total", "Runs.\nSecond line \\ here.")
            .sample(&[("path", "C:\\certs\\a \"b\"\nc")], 1_700_000_000.0)
            .sample(&[("x", "nan")], f64::NAN)
            .sample(&[("x", "up")], f64::INFINITY)
            .sample(&[("x", "down")], f64::NEG_INFINITY)
            .sample(&[("x", "half")], 0.5);
        let text = e.render();
        assert!(
            text.contains("# HELP runs_total Runs.\\nSecond line \\\\ here.\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE runs_total counter\n"));
        assert!(
            text.contains("runs_total{path=\"C:\\\\certs\\\\a \\\"b\\\"\\nc\"} 1700000000\n"),
            "{text}"
        );
        for line in [
            "runs_total{x=\"nan\"} NaN",
            "runs_total{x=\"up\"} +Inf",
            "runs_total{x=\"down\"} -Inf",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        assert!(text.contains("runs_total{x=\"half\"} 0.5\n"));
        // Every sample line is `name{labels} value`: two fields after the labels, no timestamp.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let after = line.rsplit_once('}').map_or(line, |(_, rest)| rest);
            assert_eq!(
                after.split_whitespace().count(),
                1 + usize::from(!line.contains('}')),
                "{line}"
            );
        }
    }

    #[test]
    fn a_repeated_series_keeps_its_first_value() {
        let mut e = Exposition::default();
        e.gauge("up", "h")
            .sample(&[("instance", "a")], 1.0)
            .sample(&[("instance", "a")], 0.0)
            .sample(&[("instance", "b")], 0.0);
        assert_eq!(
            e.render(),
            "# HELP up h\n# TYPE up gauge\nup{instance=\"a\"} 1\nup{instance=\"b\"} 0\n"
        );
    }

    #[test]
    fn names_are_made_valid() {
        let mut e = Exposition::default();
        e.gauge("9bad-name.x", "h").sample(&[("subject-CN", "a")], 1.0);
        assert!(
            e.render().contains("_bad_name_x{subject_CN=\"a\"} 1\n"),
            "{}",
            e.render()
        );
    }
}

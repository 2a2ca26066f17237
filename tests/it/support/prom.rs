//! Reading a metrics file as Prometheus would: `promtool check metrics` (Prometheus's own parser
//! and linter, from Debian's `prometheus` package, installed when missing and root), then a strict
//! reader of the text format for the values: every metric has `# HELP` and `# TYPE` before its
//! samples, and no sample carries a timestamp.
#![allow(clippy::float_cmp)] // the values compared are 0 and 1 exactly

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::apt;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// promtool, installed when missing (root), or the test fails saying how to install it.
pub fn promtool() -> PathBuf {
    apt::ensure(
        Path::new("/usr/bin/promtool"),
        "prometheus",
        "the monitoring tests",
    )
    .unwrap_or_else(|e| panic!("promtool: {e}"))
}

/// `promtool check metrics` on `text`: the exposition parses, and the linter has nothing to say.
pub fn promtool_check(text: &str) {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool ends");
    assert!(
        output.status.success() && output.stdout.is_empty(),
        "promtool check metrics: {}\n{}{}\n--- the file:\n{text}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Reads `path`, checks it with promtool and parses it strictly.
pub fn read(path: &Path) -> Vec<Sample> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    promtool_check(&text);
    parse(&text).unwrap_or_else(|e| panic!("{e}\n--- the file:\n{text}"))
}

/// The samples of `text`, or what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    if !text.ends_with('\n') {
        return Err("the text does not end with a line feed".into());
    }
    let mut help = std::collections::BTreeSet::new();
    let mut kind = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest.split_once(' ').ok_or(format!("HELP without text: {line}"))?;
            help.insert(name.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, t) = rest
                .split_once(' ')
                .ok_or(format!("TYPE without a type: {line}"))?;
            kind.insert(name.to_string(), t.to_string());
        } else if line.starts_with('#') || line.is_empty() {
            return Err(format!("unexpected line: {line:?}"));
        } else {
            let sample = sample(line)?;
            if !help.contains(&sample.name) || !kind.contains_key(&sample.name) {
                return Err(format!("{} has no HELP or TYPE before its samples", sample.name));
            }
            samples.push(sample);
        }
    }
    Ok(samples)
}

/// `name{k="v",...} value`, and nothing after the value.
fn sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or(format!("no value: {line}"))?;
    let name = &line[..name_end];
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(body) = rest.strip_prefix('{') {
        let mut chars = body.char_indices();
        loop {
            let Some((start, c)) = chars.next() else {
                return Err(format!("unclosed labels: {line}"));
            };
            if c == '}' {
                rest = &body[start + 1..];
                break;
            }
            if c == ',' {
                continue;
            }
            let eq = body[start..].find("=\"").ok_or(format!("bad label: {line}"))? + start;
            let key = body[start..eq].to_string();
            let mut value = String::new();
            // Skip to the opening quote, then read the escaped value.
            for (i, _) in chars.by_ref() {
                if i == eq + 1 {
                    break;
                }
            }
            loop {
                match chars.next() {
                    Some((_, '\\')) => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c @ ('\\' | '"'))) => value.push(c),
                        other => return Err(format!("bad escape {other:?}: {line}")),
                    },
                    Some((_, '"')) => break,
                    Some((_, c)) => value.push(c),
                    None => return Err(format!("unclosed label value: {line}")),
                }
            }
            labels.insert(key, value);
        }
    }
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let [value] = fields[..] else {
        return Err(format!(
            "a sample must be `name{{labels}} value` with no timestamp: {line}"
        ));
    };
    let value = match value {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().map_err(|_| format!("bad value {v}: {line}"))?,
    };
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// The value of the one sample of `name` whose labels include `labels`.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<f64> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .collect();
    assert!(
        found.len() <= 1,
        "{name}{labels:?} matches {} samples",
        found.len()
    );
    found.first().copied()
}

/// The status `sre_agent_deploy_check` sets for `component`/`check`: the one of its four series
/// at 1 (the others must be 0).
pub fn check_status(samples: &[Sample], component: &str, check: &str) -> Option<String> {
    let series: Vec<&Sample> = all(samples, "sre_agent_deploy_check")
        .into_iter()
        .filter(|s| s.labels["component"] == component && s.labels["check"] == check)
        .collect();
    let on: Vec<String> = series
        .iter()
        .filter(|s| s.value == 1.0)
        .map(|s| s.labels["status"].clone())
        .collect();
    if series.is_empty() {
        return None;
    }
    assert_eq!(series.len(), 4, "{component}/{check}: pass, warn, fail and skip");
    assert!(series.iter().all(|s| s.value == 0.0 || s.value == 1.0));
    assert_eq!(on.len(), 1, "{component}/{check}: one status at 1, not {on:?}");
    on.into_iter().next()
}

/// The samples of `name`.
pub fn all<'a>(samples: &'a [Sample], name: &str) -> Vec<&'a Sample> {
    samples.iter().filter(|s| s.name == name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_refuses_what_the_textfile_collector_would() {
        let good = "# HELP a x\n# TYPE a gauge\na{k=\"v \\\"q\\\" \\\\ \\n\"} 1\n";
        let samples = parse(good).expect("parses");
        assert_eq!(samples[0].labels["k"], "v \"q\" \\ \n");
        assert!(
            parse("# HELP a x\n# TYPE a gauge\na 1 1700000000000\n").is_err(),
            "timestamp"
        );
        assert!(parse("a 1\n").is_err(), "no HELP/TYPE");
        assert!(parse("# HELP a x\n# TYPE a gauge\na 1").is_err(), "cut short");
    }
}

//! The original `gateway/config.yaml`: a flat file of `key: value` lines, read line by line and
//! tolerantly, the way the original scripts read it, instead of as YAML.
//!
//! This module owns the line parser and records each repair it makes to a value (surrounding or
//! stray quotes, a trailing `# comment`). It must not know this project's field names or decide
//! what a value means (`map` does), and it never fails: a line it cannot read is listed as skipped.

/// A change the parser made to a value as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// Quotes around or at one end of the value were removed.
    Quotes,
    /// A trailing ` # comment` was removed.
    Comment,
}

/// One `key: value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// The value, with quotes and a trailing comment removed and surrounding whitespace trimmed.
    pub value: String,
    /// The value as written (trimmed).
    pub raw: String,
    /// The 1-based line number.
    pub line: usize,
    pub repairs: Vec<Repair>,
}

/// The lines of a flat file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flat {
    pub entries: Vec<Entry>,
    /// Lines that are neither blank, a comment, nor `key: value` (1-based).
    pub skipped: Vec<usize>,
}

impl Flat {
    pub fn parse(text: &str) -> Self {
        let mut flat = Self::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" || trimmed == "..." {
                continue;
            }
            let parsed = trimmed.split_once(':').and_then(|(key, raw)| {
                let key = key.trim().trim_matches(['"', '\'']);
                let valid = !key.is_empty() && !key.contains(char::is_whitespace);
                valid.then(|| (key.to_string(), raw.trim().to_string()))
            });
            let Some((key, raw)) = parsed else {
                flat.skipped.push(index + 1);
                continue;
            };
            let (value, repairs) = parse_value(&raw);
            flat.entries.push(Entry {
                key,
                value,
                raw,
                line: index + 1,
                repairs,
            });
        }
        flat
    }

    /// The entry for `key`; when the key appears more than once, the last one (as YAML readers do).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// Keys written more than once, each named once, in file order.
    pub fn duplicates(&self) -> Vec<&str> {
        let mut seen = Vec::new();
        let mut twice = Vec::new();
        for entry in &self.entries {
            if seen.contains(&entry.key.as_str()) {
                if !twice.contains(&entry.key.as_str()) {
                    twice.push(entry.key.as_str());
                }
            } else {
                seen.push(entry.key.as_str());
            }
        }
        twice
    }
}

/// The value of a `key: value` line as written after the colon, and the repairs made to it.
pub fn parse_value(raw: &str) -> (String, Vec<Repair>) {
    let text = raw.trim();
    let mut repairs = Vec::new();
    let value = match text.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            repairs.push(Repair::Quotes);
            let rest = &text[1..];
            if let Some(end) = rest.find(quote) {
                let after = rest[end + 1..].trim_start();
                if after.starts_with('#') {
                    repairs.push(Repair::Comment);
                }
                rest[..end].to_string()
            } else {
                // An opening quote that is never closed: the comment, then the quote, go.
                let (body, had_comment) = cut_comment(rest);
                if had_comment {
                    repairs.push(Repair::Comment);
                }
                body.trim().to_string()
            }
        }
        _ => {
            let (body, had_comment) = cut_comment(text);
            if had_comment {
                repairs.push(Repair::Comment);
            }
            let body = body.trim();
            let unquoted = body.trim_matches(['"', '\'']);
            if unquoted.len() != body.len() {
                repairs.push(Repair::Quotes);
            }
            unquoted.trim().to_string()
        }
    };
    (value, repairs)
}

/// Splits off a comment: `#` at the start or after whitespace. Returns the text before it and
/// whether there was one.
fn cut_comment(text: &str) -> (&str, bool) {
    if text.starts_with('#') {
        return ("", true);
    }
    let cut = text
        .char_indices()
        .find(|&(i, c)| c == '#' && text[..i].ends_with(char::is_whitespace))
        .map(|(i, _)| i);
    match cut {
        Some(i) => (&text[..i], true),
        None => (text, false),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn plain_lines_need_no_repair() {
        let flat =
            Flat::parse("# header\n---\naccount_id: 123456789012\nendpoint_url: https://h.example:443/x\n\n");
        assert_eq!(flat.entries.len(), 2);
        assert_eq!(flat.entries[0].value, "123456789012");
        assert_eq!(flat.entries[0].line, 3);
        assert_eq!(flat.entries[1].value, "https://h.example:443/x");
        assert!(flat.entries.iter().all(|e| e.repairs.is_empty()));
        assert!(flat.skipped.is_empty());
    }

    #[test]
    fn quotes_and_comments_are_repaired() {
        let cases = [
            (
                "\"us-east-1\" # primary",
                "us-east-1",
                vec![Repair::Quotes, Repair::Comment],
            ),
            ("'us-east-1'", "us-east-1", vec![Repair::Quotes]),
            ("us-east-1 # primary", "us-east-1", vec![Repair::Comment]),
            ("us-east-1\"", "us-east-1", vec![Repair::Quotes]),
            (
                "\"us-east-1 # primary",
                "us-east-1",
                vec![Repair::Quotes, Repair::Comment],
            ),
            ("# fill me in", "", vec![Repair::Comment]),
            ("\"a # b\"", "a # b", vec![Repair::Quotes]),
            ("a#b", "a#b", vec![]),
            ("\"\"", "", vec![Repair::Quotes]),
            ("", "", vec![]),
        ];
        for (raw, value, repairs) in cases {
            assert_eq!(parse_value(raw), (value.to_string(), repairs), "{raw}");
        }
    }

    #[test]
    fn odd_lines_are_skipped_and_duplicates_found() {
        let flat = Flat::parse("\u{feff}region: us-east-1\nnot a pair\n: empty key\nregion: us-west-2\n");
        assert_eq!(flat.skipped, [2, 3]);
        assert_eq!(flat.get("region").map(|e| e.value.as_str()), Some("us-west-2"));
        assert_eq!(flat.duplicates(), ["region"]);
    }

    proptest! {
        /// Any value wrapped in quotes, with or without a trailing comment, parses back to the value.
        #[test]
        fn quoted_value_with_comment_parses_back(
            value in "[^\"\r\n]{0,40}",
            comment in proptest::option::of("[^\r\n]{0,20}"),
        ) {
            let line = match &comment {
                Some(c) => format!("key: \"{value}\" # {c}"),
                None => format!("key: \"{value}\""),
            };
            let flat = Flat::parse(&line);
            prop_assert_eq!(flat.entries.len(), 1);
            prop_assert_eq!(&flat.entries[0].value, &value);
            prop_assert!(flat.entries[0].repairs.contains(&Repair::Quotes));
            prop_assert_eq!(flat.entries[0].repairs.contains(&Repair::Comment), comment.is_some());
        }

        /// A bare value without quotes, `#` or surrounding whitespace parses back unchanged and
        /// unrepaired, with or without a trailing comment.
        #[test]
        fn bare_value_parses_back(
            value in "[A-Za-z0-9._:/@-][A-Za-z0-9._:/@ -]{0,30}[A-Za-z0-9._:/@-]",
            comment in proptest::option::of("[^\r\n]{0,20}"),
        ) {
            let line = match &comment {
                Some(c) => format!("key: {value}  # {c}"),
                None => format!("key: {value}"),
            };
            let (parsed, repairs) = parse_value(line.trim_start_matches("key:"));
            prop_assert_eq!(parsed, value);
            prop_assert_eq!(repairs.contains(&Repair::Comment), comment.is_some());
            prop_assert!(!repairs.contains(&Repair::Quotes));
        }

        /// The parser never panics, whatever the file holds.
        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            let _ = Flat::parse(&text);
        }
    }
}

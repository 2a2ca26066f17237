//! Line diffs for people: what a rewrite of a file changes (`config migrate`, `import`), as
//! unified hunks with three lines of context, the way git shows them (`@@ -3,7 +3,7 @@`, then
//! `- `, `+ ` and `  ` lines). The diffing is the `similar` crate's (Myers, with a deadline, so a
//! huge file costs bounded time).

use std::fmt::Write as _;
use std::time::Duration;

use similar::{ChangeTag, TextDiff};

/// Lines of unchanged context around each change.
const CONTEXT: usize = 3;

/// The unified diff from `old` to `new`; empty when they are the same.
pub fn line_diff(old: &str, new: &str) -> String {
    let diff = TextDiff::configure()
        .timeout(Duration::from_secs(1))
        .diff_lines(old, new);
    let mut out = String::new();
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        let _ = writeln!(out, "{}", hunk.header());
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                ChangeTag::Delete => "- ",
                ChangeTag::Insert => "+ ",
                ChangeTag::Equal => "  ",
            };
            let line = change.to_string_lossy();
            let _ = writeln!(out, "{sign}{}", line.trim_end_matches(['\n', '\r']));
        }
    }
    out.truncate(out.trim_end_matches('\n').len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_come_in_hunks_with_context() {
        assert_eq!(
            line_diff("a\nb\nc\n", "a\nx\nc\nd\n"),
            "@@ -1,3 +1,4 @@\n  a\n- b\n+ x\n  c\n+ d"
        );
        assert_eq!(line_diff("a\n", "a\n"), "");
        assert_eq!(line_diff("", "a\n"), "@@ -0,0 +1 @@\n+ a");
    }

    #[test]
    fn far_apart_changes_are_separate_hunks_and_big_files_are_cheap() {
        // A large file with two changed lines: two hunks of seven lines each, quickly.
        let big = (0..50_000)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let changed = big
            .replace("line 100\n", "changed\n")
            .replace("line 25000\n", "changed too\n");
        let diff = line_diff(&big, &changed);
        assert_eq!(diff.matches("@@ -").count(), 2, "{diff}");
        assert!(
            diff.contains("  line 99\n- line 100\n+ changed\n  line 101\n"),
            "{diff}"
        );
        assert!(diff.contains("- line 25000\n+ changed too\n"), "{diff}");
        assert_eq!(diff.lines().count(), 2 * (1 + 3 + 2 + 3), "{diff}");
    }
}

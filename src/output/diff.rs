//! Line diffs for people: what a rewrite of a file changes (`config migrate`, `import`).

/// A minimal line diff: the lines only in `old` (`- `) and only in `new` (`+ `), in order.
pub fn line_diff(old: &str, new: &str) -> String {
    /// Above this many table cells (after the common head and tail are set aside) the diff is
    /// summarized instead of computed.
    const MAX_CELLS: usize = 4_000_000;
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        return format!("- ({} lines)\n+ ({} lines)", a.len(), b.len());
    }
    // Longest common subsequence of what is left between the common head and tail.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("- {}", a[i]));
            i += 1;
        } else {
            out.push(format!("+ {}", b[j]));
            j += 1;
        }
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_removed_then_added_lines() {
        assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\nd\n"), "- b\n+ x\n+ d");
        assert_eq!(line_diff("a\n", "a\n"), "");
        assert_eq!(line_diff("", "a\n"), "+ a");
        // A large file with one changed line costs one comparison per line, not a huge table.
        let big = (0..50_000)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            line_diff(&big, &big.replace("line 25000\n", "changed\n")),
            "- line 25000\n+ changed"
        );
    }
}

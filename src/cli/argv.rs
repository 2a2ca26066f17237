//! The command line before clap reads it: `-q`/`-v` written before a subcommand
//! (`sre-agent-deploy -q verify ...`, as a cron line would) are moved after the subcommand's name.
//! `Cli` refuses top-level flags beside a subcommand (the deploy mode's `--resume` means nothing
//! to `verify`), and clap applies that to these global flags too; after the name they are taken.

use std::ffi::OsString;

use clap::CommandFactory;

use super::Cli;

/// `args` (program name first) with the global flags that precede a subcommand moved after it.
/// Anything else before the subcommand leaves `args` as they are, for clap to judge.
pub fn globals_after_subcommand(args: Vec<OsString>) -> Vec<OsString> {
    let command = Cli::command();
    let is_subcommand = |word: &str| {
        command
            .get_subcommands()
            .any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
    };
    let mut globals = 0;
    for word in args.iter().skip(1) {
        match word.to_str() {
            Some(w) if is_global(w) => globals += 1,
            Some(w) if globals > 0 && is_subcommand(w) => {
                let mut out = Vec::with_capacity(args.len());
                out.push(args[0].clone());
                out.push(word.clone());
                out.extend(args[1..=globals].iter().cloned());
                out.extend(args[globals + 2..].iter().cloned());
                return out;
            }
            _ => break,
        }
    }
    args
}

/// `--quiet`, `--verbose`, and short clusters of them (`-q`, `-vv`).
fn is_global(word: &str) -> bool {
    matches!(word, "--quiet" | "--verbose")
        || word
            .strip_prefix('-')
            .is_some_and(|short| !short.is_empty() && short.chars().all(|c| c == 'q' || c == 'v'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(words: &[&str]) -> Vec<String> {
        let args = words.iter().map(OsString::from).collect();
        globals_after_subcommand(args)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn global_flags_before_a_subcommand_move_after_its_name() {
        assert_eq!(
            run(&["t", "-q", "verify", "-c", "x.yaml"]),
            ["t", "verify", "-q", "-c", "x.yaml"]
        );
        assert_eq!(
            run(&["t", "--verbose", "-v", "monitoring", "install"]),
            ["t", "monitoring", "--verbose", "-v", "install"]
        );
    }

    #[test]
    fn anything_else_is_left_for_clap() {
        for words in [
            &["t", "verify", "-q"][..],
            &["t", "-q", "--resume"],
            &["t", "--resume", "-q", "verify"],
            &["t", "-q", "-c", "verify"],
            &["t", "-q"],
        ] {
            assert_eq!(run(words), words, "{words:?}");
        }
    }
}

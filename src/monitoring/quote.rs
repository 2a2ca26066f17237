//! Quoting for the places a path or a command lands: a systemd unit (specifiers `%`, variables
//! `$`, C-style quotes), a POSIX shell, and a crontab line (where `%` ends the command).

/// A path setting of a unit (`WorkingDirectory=`, `EnvironmentFile=`): the rest of the line is
/// the path, spaces and all; only the specifier `%` needs doubling.
pub fn systemd_path(path: &str) -> String {
    path.replace('%', "%%")
}

/// A command line for `ExecStart=`: each word double-quoted when it needs it, `%` and `$`
/// doubled so systemd expands neither.
pub fn systemd_command(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            let word = word.replace('%', "%%").replace('$', "$$");
            let plain = !word.is_empty()
                && !word
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
            if plain {
                word
            } else {
                format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One word for a POSIX shell, in single quotes.
pub fn shell(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// A crontab command: cron turns an unescaped `%` into a newline.
pub fn cron(command: &str) -> String {
    command.replace('%', "\\%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_words_are_quoted_only_when_needed_and_never_expanded() {
        let argv: Vec<String> = [
            "/opt/bin/tool",
            "--config",
            "/a b/c.yaml",
            "50%",
            "$HOME",
            "x\"y",
            "",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            systemd_command(&argv),
            "/opt/bin/tool --config \"/a b/c.yaml\" 50%% $$HOME \"x\\\"y\" \"\""
        );
        assert_eq!(systemd_path("/srv/100% sure"), "/srv/100%% sure");
    }

    #[test]
    fn shell_and_cron_quoting() {
        assert_eq!(shell("it's here"), "'it'\\''s here'");
        assert_eq!(cron("date +%s"), "date +\\%s");
    }
}

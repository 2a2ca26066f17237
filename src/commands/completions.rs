//! `completions SHELL` and `man`: the shell completions (clap_complete) and the man page
//! (clap_mangen), both made from the one CLI definition so they cannot drift from `--help`.

use std::io::Write;

use clap::CommandFactory;

use super::Cx;
use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;
use crate::exit::ExitStatus;

/// `sre-agent-deploy completions SHELL`.
pub fn completions(args: &CompletionsArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "sre-agent-deploy", &mut script);
    cx.printer.text(out, &String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}

/// `sre-agent-deploy man`: the page in roff, with the long help's modes and exit codes.
pub fn man(cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    cx.printer.text(out, &page())?;
    Ok(ExitStatus::Success)
}

/// The man page's roff source.
pub fn page() -> String {
    let mut roff = Vec::new();
    // Rendering into memory cannot fail.
    let _ = clap_mangen::Man::new(Cli::command()).render(&mut roff);
    String::from_utf8_lossy(&roff).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_man_page_names_the_modes_and_the_exit_codes() {
        let page = super::page();
        assert!(
            page.starts_with(".ie") || page.contains(".TH sre-agent-deploy"),
            "{page}"
        );
        assert!(page.contains("\\-\\-validate\\-only"), "{page}");
        assert!(page.contains("Exit codes"), "{page}");
    }
}

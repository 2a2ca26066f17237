//! The printer: how this run prints, decided once from the flags and the terminal, then handed
//! to every command and to progress. Results go to standard output, as text or one JSON object;
//! progress, notes and errors go to the error writer `lib::run` was given.
//!
//! `--quiet` keeps errors and the final result only; `-v` adds a line per AWS call (see
//! [`crate::aws::trace`]).

use std::fmt::Display;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use clap::ValueEnum;
use serde::Serialize;

use crate::output::progress::Progress;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON object on stdout: {"valid", "findings": [{"field", "severity", "message", "suggestion"}]}.
    Json,
}

/// How much goes to the error writer besides errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors only (the result still goes to standard output).
    Quiet,
    /// Progress lines and notes.
    Normal,
    /// Also a line per AWS call: operation, duration, retries, request id.
    Verbose,
}

/// A writer several parts of the run write whole lines to (progress, notes, AWS call traces).
pub type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// Writes one whole line (or block) to a shared writer in one write.
pub fn write_line(writer: &SharedWriter, text: &str) {
    let mut out = writer.lock().unwrap_or_else(PoisonError::into_inner);
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// How this run prints. Cheap to clone: clones share the error writer.
#[derive(Clone)]
pub struct Printer {
    format: OutputFormat,
    verbosity: Verbosity,
    colour: bool,
    err: SharedWriter,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("format", &self.format)
            .field("verbosity", &self.verbosity)
            .field("colour", &self.colour)
            .finish_non_exhaustive()
    }
}

/// A failed write of the result to standard output (a closed pipe, a full disk).
#[derive(Debug, thiserror::Error)]
#[error("cannot write standard output: {0}")]
pub struct OutputError(#[source] pub std::io::Error);

impl Printer {
    pub fn new(format: OutputFormat, verbosity: Verbosity, colour: bool, err: Box<dyn Write + Send>) -> Self {
        Self {
            format,
            verbosity,
            colour,
            err: Arc::new(Mutex::new(err)),
        }
    }

    pub fn format(&self) -> OutputFormat {
        self.format
    }

    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// Whether screens and prompts may use colour (`NO_COLOR` is unset or empty).
    pub fn colour(&self) -> bool {
        self.colour
    }

    /// The error writer, for the AWS call traces of `-v`.
    pub fn err_writer(&self) -> SharedWriter {
        Arc::clone(&self.err)
    }

    /// Where a run's progress lines go: the error writer, or nowhere under `--quiet`.
    pub fn progress(&self) -> Progress {
        if self.verbosity == Verbosity::Quiet {
            Progress::silent()
        } else {
            Progress::shared(self.err_writer())
        }
    }

    /// A result, as text for people or as one pretty JSON object.
    pub fn result<R: Display + Serialize>(&self, out: &mut dyn Write, result: &R) -> Result<(), OutputError> {
        let text = match self.format {
            OutputFormat::Text => result.to_string(),
            OutputFormat::Json => json_text(result),
        };
        write_out(out, &text)
    }

    /// A result that is text in either format (`config migrate`, `init`, `schema`).
    pub fn text(&self, out: &mut dyn Write, text: &str) -> Result<(), OutputError> {
        write_out(out, text)
    }

    /// An error for people (always, even under `--quiet`).
    pub fn error(&self, rendered: &str) {
        write_line(&self.err, &format!("{rendered}\n"));
    }
}

/// A value as the pretty JSON object `--output json` prints, with its newline.
pub fn json_text<T: Serialize>(value: &T) -> String {
    format!("{}\n", serde_json::to_string_pretty(value).unwrap_or_default())
}

/// Writes to standard output, turning a failed write (a closed pipe) into an error.
fn write_out(out: &mut dyn Write, text: &str) -> Result<(), OutputError> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(OutputError)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Buf {
        fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
        }
    }

    #[derive(Serialize)]
    struct Shown {
        ok: bool,
    }
    impl Display for Shown {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            writeln!(f, "ok: {}", self.ok)
        }
    }

    #[test]
    fn results_follow_the_format() {
        let err = Buf::default();
        let mut out = Vec::new();
        let text = Printer::new(
            OutputFormat::Text,
            Verbosity::Normal,
            false,
            Box::new(err.clone()),
        );
        text.result(&mut out, &Shown { ok: true }).expect("written");
        let json = Printer::new(
            OutputFormat::Json,
            Verbosity::Normal,
            false,
            Box::new(err.clone()),
        );
        json.result(&mut out, &Shown { ok: true }).expect("written");
        assert_eq!(String::from_utf8_lossy(&out), "ok: true\n{\n  \"ok\": true\n}\n");
        assert_eq!(err.text(), "", "results never go to the error writer");
    }

    #[test]
    fn progress_goes_to_the_error_writer_unless_quiet() {
        let err = Buf::default();
        let normal = Printer::new(
            OutputFormat::Text,
            Verbosity::Normal,
            false,
            Box::new(err.clone()),
        );
        normal.progress().line("config", "loaded");
        assert!(err.text().contains("config"), "{}", err.text());

        let quiet_err = Buf::default();
        let quiet = Printer::new(
            OutputFormat::Text,
            Verbosity::Quiet,
            false,
            Box::new(quiet_err.clone()),
        );
        quiet.progress().line("config", "loaded");
        quiet.error("error: it broke");
        assert_eq!(quiet_err.text(), "error: it broke\n", "quiet keeps errors only");
    }
}

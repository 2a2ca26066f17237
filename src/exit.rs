//! Exit statuses: the one place that decides what number the process ends with.

use std::process::ExitCode;

/// How a run ended. The numbers are part of the CLI contract (README, `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything asked for succeeded (the config is valid).
    Success,
    /// 1: validation found errors (or warnings, with `--strict`).
    Invalid,
    /// 2: a usage or I/O problem: bad flags, unreadable or malformed files, unavailable mode.
    Usage,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Invalid => 1,
            Self::Usage => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

/// The exit code table printed in `--help`.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success: the configuration is valid
  1  validation found errors (or warnings, with --strict)
  2  usage or I/O problem: bad flags, unreadable or malformed file, mode not available";

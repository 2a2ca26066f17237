//! Exit statuses: the one place that decides what number the process ends with.

use std::process::ExitCode;

/// How a run ended. The numbers are part of the CLI contract (README, `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything asked for succeeded.
    Success,
    /// 1: validation found errors (or warnings, with `--strict`).
    Invalid,
    /// 2: a usage or I/O problem: bad flags, unreadable or malformed files, a locked or corrupt
    /// state file, a declined confirmation.
    Usage,
    /// 3: the deployment or cleanup failed part way; the state is saved and it can be resumed.
    Failed,
    /// 4: verification found failures (or warnings, with `--strict`): the deployment exists but
    /// is not proven to work; the report says what to fix.
    VerificationFailed,
    /// 2 from `plan` and `drift` with `--detailed-exitcode`: there are changes (their errors are
    /// then 1, as Terraform's are).
    ChangesPresent,
    /// 130: interrupted (Ctrl-C, `q` on the dashboard); the state is saved and it can be resumed.
    /// Also the wizard stopped before anything was created.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Invalid => 1,
            Self::Usage | Self::ChangesPresent => 2,
            Self::Failed => 3,
            Self::VerificationFailed => 4,
            Self::Interrupted => 130,
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
  0    success
  1    validation found errors (or warnings, with --strict)
  2    usage or I/O problem: bad flags, unreadable or malformed file, state file locked or corrupt
  3    deployment or cleanup failed part way; state saved, resume with the printed command
  4    verification failed (or warned, with --strict): see the report's recommendations
  plan and drift with --detailed-exitcode: 0 no changes, 1 error, 2 changes present
  130  interrupted (Ctrl-C, or q on the dashboard); state saved, resume with the printed command.
       Also: the wizard stopped at a prompt or the review, before anything was created";

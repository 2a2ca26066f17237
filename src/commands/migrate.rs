//! `config migrate`: rewrite a config file in the current format version. The old file is backed
//! up first (`<file>.bak-<UTC timestamp>`), the change is a text edit that keeps comments, and the
//! diff is printed. A current file is left untouched; a newer one is refused.

use std::io::Write;
use std::path::Path;

use super::Cx;
use crate::cli::MigrateArgs;
use crate::config::CONFIG_VERSION;
use crate::config::load::{LoadError, MAX_CONFIG_BYTES};
use crate::config::migrate::{declared_version, migrate_text};
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::files;
use crate::output::diff::line_diff;

pub fn run(args: &MigrateArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let path = &args.config;
    let text = read(path)?;
    let document: serde_json::Value = serde_saphyr::from_str(&text).map_err(|e| {
        Error::Load(LoadError::Syntax {
            path: path.clone(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })
    })?;
    let Some(version) = declared_version(&document) else {
        return Err(Error::Load(LoadError::Syntax {
            path: path.clone(),
            line: 0,
            column: 0,
            message: "`version:` is not a whole number".into(),
        }));
    };
    if version > CONFIG_VERSION {
        return Err(Error::NewerConfig {
            path: path.clone(),
            version,
        });
    }
    let Some(migrated) = migrate_text(&text, version) else {
        cx.printer.text(
            out,
            &format!(
                "{} is already version {CONFIG_VERSION}; nothing to do\n",
                path.display()
            ),
        )?;
        return Ok(ExitStatus::Success);
    };
    let diff = line_diff(&text, &migrated);
    if args.dry_run {
        cx.printer.text(
            out,
            &format!("{diff}\n(dry run: {} not changed)\n", path.display()),
        )?;
        return Ok(ExitStatus::Success);
    }
    let backup = files::back_up(path)?;
    files::write_atomic(path, migrated.as_bytes())?;
    cx.printer.text(
        out,
        &format!(
            "{diff}\nmigrated {} from version {version} to {CONFIG_VERSION}; the old file is {}\n",
            path.display(),
            backup.display()
        ),
    )?;
    Ok(ExitStatus::Success)
}

fn read(path: &Path) -> Result<String, Error> {
    let error = |source| {
        Error::Load(LoadError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let size = std::fs::metadata(path).map_err(error)?.len();
    if size > MAX_CONFIG_BYTES {
        return Err(Error::Load(LoadError::TooLarge {
            path: path.to_path_buf(),
            size,
        }));
    }
    std::fs::read_to_string(path).map_err(error)
}

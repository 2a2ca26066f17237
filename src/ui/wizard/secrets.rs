//! Secrets in the wizard: the config only ever holds a reference (`env:NAME` or `file:PATH`).
//! A key typed at the prompt (masked) is written to a file only its owner can read, and the
//! config refers to that file.

use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;

use super::ask::{Ask, Question, Stopped};
use super::sections::Context;
use crate::config::SecretRef;

/// Where typed secrets are kept, relative to the config file's folder.
pub const SECRETS_DIR: &str = ".sre-agent-deploy/secrets";

/// Asks how the secret of `field` is provided and returns the reference to store.
pub fn reference(
    ask: &mut dyn Ask,
    cx: &Context<'_>,
    field: &str,
    label: &str,
    current: Option<&SecretRef>,
    env_name: &str,
) -> Result<SecretRef, Stopped> {
    let usable = current.filter(|r| r.resolve(cx.env, cx.base_dir).is_ok());
    let env_ref = SecretRef::Env(env_name.to_string());
    let env_set = env_ref.resolve(cx.env, cx.base_dir).is_ok();
    let mut options = Vec::new();
    if let Some(current) = usable {
        options.push(format!("keep {current} (it resolves)"));
    }
    options.push(format!(
        "environment variable env:{env_name}{}",
        if env_set {
            " (set in this shell)"
        } else {
            " (not set in this shell)"
        }
    ));
    options.push("a file holding it (file:PATH)".to_string());
    options.push("type it now (masked; saved to a file only you can read)".to_string());
    let offset = usize::from(usable.is_none());
    let default = if usable.is_some() || env_set {
        0
    } else {
        3 - offset
    };
    let choice = ask.select(
        &format!("{label}: where does it come from?"),
        &options,
        default,
        Some("the config stores only the reference, never the value"),
    )? + offset;
    match choice {
        0 => Ok(usable.cloned().unwrap_or(env_ref)),
        1 => {
            if !env_set {
                ask.say(&format!(
                    "  note: export {env_name}=... in the shell that deploys (this run cannot read it)"
                ));
            }
            Ok(env_ref)
        }
        2 => {
            let question = Question {
                field,
                label: "Path of the file holding it",
                help: Some("relative paths are relative to the config file's folder".into()),
                default: None,
            };
            let check = |value: &str| {
                SecretRef::File(PathBuf::from(value))
                    .resolve(cx.env, cx.base_dir)
                    .map(|_| ())
                    .map_err(|p| p.to_string())
            };
            let path = ask.text(&question, &check)?;
            Ok(SecretRef::File(PathBuf::from(path)))
        }
        _ => typed(ask, cx.base_dir, field, label),
    }
}

/// Reads the secret with masked echo and saves it to `SECRETS_DIR/<field>` with mode 0600.
fn typed(ask: &mut dyn Ask, base_dir: &Path, field: &str, label: &str) -> Result<SecretRef, Stopped> {
    loop {
        let secret = ask.secret(label, Some("typed characters are masked"))?;
        if secret.expose_secret().trim().is_empty() {
            ask.say("  the value is empty; type it again (Esc stops the wizard)");
            continue;
        }
        let relative = Path::new(SECRETS_DIR).join(field.replace('.', "-"));
        return match save(&base_dir.join(&relative), secret.expose_secret()) {
            Ok(()) => {
                ask.say(&format!("  saved to {} (mode 0600)", relative.display()));
                Ok(SecretRef::File(relative))
            }
            Err(message) => Err(Stopped::Terminal(message)),
        };
    }
}

fn save(path: &Path, value: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // The temp file is created 0600 and renamed into place, so the value is never world-readable.
    crate::files::write_atomic(path, format!("{value}\n").as_bytes()).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict {}: {e}", path.display()))?;
    }
    Ok(())
}

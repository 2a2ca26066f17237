//! `import`: reads the original SRE agent scripts' files (`gateway/config.yaml`, `gateway/.env`,
//! `backend/.env`, `backend/openapi_specs/*.yaml.template`) and turns them into this project's
//! [`Config`], with findings for what was repaired, dropped or left as a placeholder.
//!
//! This module owns reading the original layout and rendering the result as YAML. It is read-only
//! on the source folder: it must not write, copy or change anything there, must not write the new
//! config (the command does), and no secret value read from a `.env` file may leave it: secrets
//! become `env:` references and only their names are returned.

mod dotenv;
mod flat;
mod map;
mod specs;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub use map::{BACKEND_ENV, CERT_STAND_IN, CONFIG_FILE, GATEWAY_ENV, KEY_STAND_IN};

use crate::config::{Config, ValidationContext};
use crate::validate::Finding;

/// Findings are listed in the order of the config file's sections.
const SECTIONS: [&str; 4] = ["aws", "cognito", "gateway", "tls"];

/// Why the original layout could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path} is not a folder")]
    NotAFolder { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the output {output} is inside {from}, the folder being imported; import never writes there")]
    OutputInSource { output: PathBuf, from: PathBuf },
    #[error("cannot write the imported config as YAML: {message}")]
    Render { message: String },
}

impl ImportError {
    /// What the user can do about it.
    pub fn suggestion(&self) -> Option<String> {
        Some(match self {
            Self::NotAFolder { .. } => {
                "pass --from the original checkout: the folder that holds gateway/ and backend/".into()
            }
            Self::Read { path, source } if source.kind() == std::io::ErrorKind::NotFound => format!(
                "pass --from the original checkout: the folder that holds {CONFIG_FILE} ({} is missing)",
                path.display()
            ),
            Self::Read { .. } => "check the file's permissions".into(),
            Self::OutputInSource { .. } => "choose an --output outside the original checkout".into(),
            Self::Render { .. } => return None,
        })
    }
}

/// The result of an import: the config and what the user should know about it.
#[derive(Debug)]
pub struct Imported {
    pub config: Config,
    /// Repairs and notes (warnings) and placeholders or missing values (errors), each on its
    /// config field, naming the original file and key.
    pub findings: Vec<Finding>,
    /// The variables the config references and the user must export before deploying.
    pub env_vars: Vec<String>,
    /// The spec templates the targets point at (in the source folder; not copied).
    pub specs: Vec<PathBuf>,
}

impl Imported {
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == crate::validate::Severity::Error)
    }
}

/// Reads the original layout under `dir`. `config_dir` is the absolute folder the config will be
/// written to: the targets' spec paths are relative to it.
pub fn import(dir: &Path, config_dir: &Path) -> Result<Imported, ImportError> {
    let dir = source_dir(dir)?;
    let read = |relative: &str| {
        let path = dir.join(relative);
        std::fs::read_to_string(&path).map_err(|source| ImportError::Read { path, source })
    };
    let optional = |relative: &str| match read(relative) {
        Ok(text) => Ok(Some(text)),
        Err(ImportError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    };
    let sources = map::Sources {
        flat: flat::Flat::parse(&read(CONFIG_FILE)?),
        gateway_env: optional(GATEWAY_ENV)?.map(|t| dotenv::DotEnv::parse(&t)),
        backend_env: optional(BACKEND_ENV)?.map(|t| dotenv::DotEnv::parse(&t)),
        templates: specs::discover(&dir).map_err(|source| ImportError::Read {
            path: dir.join(specs::SPEC_DIR),
            source,
        })?,
    };
    let mapped = map::map(&sources, config_dir);
    let mut findings = mapped.findings;
    findings.extend(placeholders(&mapped.config, &mapped.origins, config_dir));
    findings.sort_by_key(|f| SECTIONS.iter().position(|s| *s == f.section()));
    Ok(Imported {
        config: mapped.config,
        findings,
        env_vars: mapped.env_vars,
        specs: sources.templates.into_iter().map(|t| t.path).collect(),
    })
}

/// The source folder, absolute (spec paths are computed from it).
pub fn source_dir(dir: &Path) -> Result<PathBuf, ImportError> {
    let canonical = dir.canonicalize().map_err(|source| ImportError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    if canonical.is_dir() {
        Ok(canonical)
    } else {
        Err(ImportError::NotAFolder {
            path: dir.to_path_buf(),
        })
    }
}

/// Template placeholders left in the imported values (`YOUR_ACCOUNT_ID`, `REGION`, ...), found by
/// the config's own placeholder rule, with the original file and key they came from.
fn placeholders(config: &Config, origins: &BTreeMap<String, String>, config_dir: &Path) -> Vec<Finding> {
    let env: HashMap<String, String> = HashMap::new();
    let ctx = ValidationContext {
        base_dir: config_dir,
        env: &env,
    };
    config
        .validate(&ctx)
        .findings
        .into_iter()
        .filter(|f| f.message.contains("template placeholder"))
        .map(|mut f| {
            if let Some(origin) = origins.get(&f.field) {
                f.message = format!("{} (from {origin})", f.message);
            }
            f
        })
        .collect()
}

/// The config as YAML after a header naming the schema (`schema_ref`) and the source folder.
pub fn render(config: &Config, from: &Path, schema_ref: &str) -> Result<String, ImportError> {
    let header = format!(
        "# yaml-language-server: $schema={schema_ref}\n#\n# imported from {} by sre-agent-deploy import\n\
         # Secrets are references (env:NAME): their values were not copied.\n",
        from.display()
    );
    crate::config::yaml::to_yaml(config, &header).map_err(|message| ImportError::Render { message })
}

#[cfg(test)]
mod tests;

//! From the original layout's values to this project's [`Config`], with a finding for every value
//! that was repaired, moved, dropped or is missing.
//!
//! This module owns the mapping rules (which original key becomes which field, and how the values
//! the original format got wrong are repaired). It must not read files (`mod` does), and no
//! secret value may reach the config, a finding or anything else it returns: secrets become
//! `env:` references by name.

mod sections;

use std::collections::BTreeMap;
use std::path::Path;

use super::dotenv::DotEnv;
use super::flat::{Flat, Repair};
use super::specs::Template;
use crate::config::{Config, SecretRef};
use crate::validate::Finding;

pub const CONFIG_FILE: &str = "gateway/config.yaml";
pub const GATEWAY_ENV: &str = "gateway/.env";
pub const BACKEND_ENV: &str = "backend/.env";

/// Written where the original layout says nothing about the certificate files; reported.
pub const CERT_STAND_IN: &str = "/etc/ssl/sre-agent/fullchain.pem";
pub const KEY_STAND_IN: &str = "/etc/ssl/sre-agent/privkey.pem";

/// The original backends listen on 8011-8014, in the templates' sorted order.
const FIRST_PORT: u16 = 8011;

/// The keys of the original `gateway/config.yaml`.
const KNOWN_KEYS: &[&str] = &[
    "account_id",
    "region",
    "role_name",
    "endpoint_url",
    "credential_provider_endpoint_url",
    "user_pool_id",
    "client_id",
    "s3_bucket",
    "s3_path_prefix",
    "credential_provider_name",
    "provider_arn",
    "gateway_name",
    "gateway_description",
    "target_description",
];

/// What was read from the original checkout.
#[derive(Debug)]
pub struct Sources {
    pub flat: Flat,
    /// `gateway/.env`; `None` when the file is missing.
    pub gateway_env: Option<DotEnv>,
    /// `backend/.env`; `None` when the file is missing.
    pub backend_env: Option<DotEnv>,
    pub templates: Vec<Template>,
}

/// The mapped config, the findings, the variables to export, and where each field came from.
#[derive(Debug)]
pub struct Mapped {
    pub config: Config,
    pub findings: Vec<Finding>,
    pub env_vars: Vec<String>,
    /// Field → "gateway/config.yaml, key account_id".
    pub origins: BTreeMap<String, String>,
}

/// Maps the sources; `config_dir` is the absolute folder of the config being written (spec paths
/// are relative to it).
pub fn map(src: &Sources, config_dir: &Path) -> Mapped {
    let mut m = Mapper {
        src,
        findings: Vec::new(),
        env_vars: Vec::new(),
        origins: BTreeMap::new(),
    };
    m.file_notes();
    let aws = m.aws();
    let cognito = m.cognito(&aws.region);
    let domain = m.backend_domain();
    let gateway = m.gateway(&domain, config_dir);
    let tls = m.tls(domain);
    Mapped {
        config: Config {
            aws,
            cognito,
            gateway,
            tls,
            ..Config::default()
        },
        findings: m.findings,
        env_vars: m.env_vars,
        origins: m.origins,
    }
}

struct Mapper<'a> {
    src: &'a Sources,
    findings: Vec<Finding>,
    env_vars: Vec<String>,
    origins: BTreeMap<String, String>,
}

impl Mapper<'_> {
    fn warn(&mut self, field: &str, message: String) {
        self.findings.push(Finding::warning(field, message));
    }

    /// The value of `key` in gateway/config.yaml for `field`, its repairs reported; empty is none.
    fn value(&mut self, key: &str, field: &str) -> Option<String> {
        let entry = self.src.flat.get(key)?;
        self.origins
            .insert(field.into(), format!("{CONFIG_FILE}, key {key}"));
        let quotes = entry.repairs.contains(&Repair::Quotes);
        let what = match (quotes, entry.repairs.contains(&Repair::Comment)) {
            (true, true) => Some("quotes and a trailing comment"),
            (true, false) => Some("quotes"),
            (false, true) => Some("a trailing comment"),
            (false, false) => None,
        };
        if let Some(what) = what.filter(|_| !entry.value.is_empty()) {
            self.findings.push(
                Finding::warning(
                    field,
                    format!(
                        "{key} in {CONFIG_FILE} (line {}) has {what} in its value ({:?}); imported as {:?}",
                        entry.line, entry.raw, entry.value
                    ),
                )
                .suggest(format!("check that {:?} is the value you meant", entry.value)),
            );
        }
        (!entry.value.is_empty()).then(|| entry.value.clone())
    }

    /// Like [`Self::value`], for an id: whitespace inside it is removed and reported.
    fn id(&mut self, key: &str, field: &str) -> Option<String> {
        let value = self.value(key, field)?;
        Some(self.squeeze(value, field, &format!("{key} in {CONFIG_FILE}")))
    }

    fn squeeze(&mut self, value: String, field: &str, origin: &str) -> String {
        if !value.contains(char::is_whitespace) {
            return value;
        }
        let fixed: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        self.warn(
            field,
            format!("{origin} has whitespace inside the id {value:?}; imported as {fixed:?}"),
        );
        fixed
    }

    /// `_` is not allowed in gateway and target names; it becomes `-`.
    fn dashes(&mut self, name: String, field: &str, origin: &str) -> String {
        if !name.contains('_') {
            return name;
        }
        let fixed = name.replace('_', "-");
        self.warn(
            field,
            format!("{origin} {name:?}, but names here cannot contain \"_\"; imported as {fixed:?}"),
        );
        fixed
    }

    /// A non-empty variable of gateway/.env (or, failing that, backend/.env), and its file.
    fn env(&self, name: &str) -> Option<(&str, &'static str)> {
        let gateway = self.src.gateway_env.as_ref().and_then(|e| e.get(name));
        let backend = self.src.backend_env.as_ref().and_then(|e| e.get(name));
        gateway
            .map(|v| (v, GATEWAY_ENV))
            .or_else(|| backend.map(|v| (v, BACKEND_ENV)))
    }

    /// A secret becomes a reference to the variable of the same name; its value is not read here.
    fn secret(&mut self, name: &str, field: &str) -> Option<SecretRef> {
        let (_, file) = self.env(name)?;
        self.origins
            .insert(field.into(), format!("{file}, variable {name}"));
        self.env_vars.push(name.to_string());
        Some(SecretRef::Env(name.to_string()))
    }

    fn file_notes(&mut self) {
        let flat = &self.src.flat;
        let mut notes = Vec::new();
        for line in &flat.skipped {
            notes.push(format!(
                "line {line} of {CONFIG_FILE} is not a `key: value` line; it was ignored"
            ));
        }
        for key in flat.duplicates() {
            notes.push(format!(
                "{key} is set more than once in {CONFIG_FILE}; the last value is imported"
            ));
        }
        for entry in flat
            .entries
            .iter()
            .filter(|e| !KNOWN_KEYS.contains(&e.key.as_str()))
        {
            notes.push(format!(
                "{} in {CONFIG_FILE} (line {}) is not a key of the original layout; it was ignored",
                entry.key, entry.line
            ));
        }
        let dropped: Vec<&str> = ["gateway_description", "target_description"]
            .into_iter()
            .filter(|k| flat.get(k).is_some_and(|e| !e.value.is_empty()))
            .collect();
        if !dropped.is_empty() {
            notes.push(format!(
                "{} in {CONFIG_FILE}: not carried over, this config has no description fields",
                dropped.join(" and ")
            ));
        }
        for note in notes {
            self.warn("gateway", note);
        }
        let missing = [
            (
                &self.src.gateway_env,
                GATEWAY_ENV,
                "cognito",
                "cognito.cognito_domain, the app client secret (cognito.client_secret) and the backend \
                 API key (gateway.api_key) are not imported",
            ),
            (
                &self.src.backend_env,
                BACKEND_ENV,
                "tls",
                "without BACKEND_DOMAIN, tls.domain_name and the targets' backend_url are left empty",
            ),
        ];
        let mut findings = Vec::new();
        for (env, file, field, what) in missing {
            let Some(env) = env else {
                let fix = format!(
                    "copy {file} from where the original scripts ran and import again, or fill these in \
                     by hand"
                );
                findings.push(Finding::warning(field, format!("{file} is missing: {what}")).suggest(fix));
                continue;
            };
            for line in &env.skipped {
                findings.push(Finding::warning(
                    field,
                    format!("line {line} of {file} is not a KEY=VALUE line; it was ignored"),
                ));
            }
        }
        self.findings.extend(findings);
    }
}

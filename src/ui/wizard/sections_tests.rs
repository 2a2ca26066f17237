use std::collections::{HashMap, VecDeque};

use secrecy::SecretString;

use super::*;
use crate::ui::wizard::ask::{Check, Question};

/// Answers from a script, the way an operator would type them; records what was asked and the
/// rejections the checks gave.
#[derive(Default)]
struct Script {
    answers: VecDeque<&'static str>,
    asked: Vec<String>,
    rejected: Vec<String>,
    said: Vec<String>,
}

impl Script {
    fn new(answers: &[&'static str]) -> Self {
        Self {
            answers: answers.iter().copied().collect(),
            ..Self::default()
        }
    }

    fn next(&mut self, what: &str) -> &'static str {
        self.answers
            .pop_front()
            .unwrap_or_else(|| panic!("no scripted answer for {what}; asked so far: {:?}", self.asked))
    }
}

impl Ask for Script {
    fn text(&mut self, question: &Question<'_>, check: Check<'_>) -> Result<String, Stopped> {
        self.asked.push(question.field.to_string());
        loop {
            let typed = self.next(question.field);
            let answer = if typed.is_empty() {
                question.default.clone().unwrap_or_default()
            } else {
                typed.to_string()
            };
            match check(&answer) {
                Ok(()) => return Ok(answer),
                Err(message) => self.rejected.push(format!("{}: {message}", question.field)),
            }
        }
    }

    fn select(
        &mut self,
        label: &str,
        options: &[String],
        default: usize,
        _: Option<&str>,
    ) -> Result<usize, Stopped> {
        self.asked.push(label.to_string());
        let typed = self.next(label);
        if typed.is_empty() {
            return Ok(default);
        }
        Ok(options
            .iter()
            .position(|o| o.contains(typed))
            .unwrap_or_else(|| panic!("no option {typed:?} in {options:?}")))
    }

    fn confirm(&mut self, label: &str, default: bool, _: Option<&str>) -> Result<bool, Stopped> {
        self.asked.push(label.to_string());
        Ok(match self.next(label) {
            "" => default,
            answer => answer == "y",
        })
    }

    fn secret(&mut self, label: &str, _: Option<&str>) -> Result<SecretString, Stopped> {
        self.asked.push(label.to_string());
        Ok(SecretString::from(self.next(label).to_string()))
    }

    fn say(&mut self, text: &str) {
        self.said.push(text.to_string());
    }
}

fn cx<'a>(
    dir: &'a std::path::Path,
    vars: &'a HashMap<String, String>,
    found: &'a Discovered,
    region: Option<&'a str>,
) -> Context<'a> {
    Context {
        base_dir: dir,
        env: vars,
        found,
        chain_region: region,
    }
}

fn env(vars: &[(&str, &str)]) -> HashMap<String, String> {
    vars.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn write_cert(dir: &std::path::Path) {
    std::fs::write(
        dir.join("cert.pem"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("key.pem"),
        "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
}

#[test]
fn a_fresh_config_is_filled_from_discovery_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    write_cert(dir.path());
    let vars = env(&[("BACKEND_API_KEY", "k")]);
    let found = Discovered {
        account: Some("123456789012".into()),
        ..Discovered::default()
    };
    let cx = cx(dir.path(), &vars, &found, Some("eu-west-1"));
    let mut script = Script::new(&[
        "", // region: the chain's
        "", // account: discovered
        "", // role: the default name
        "", // cognito domain: sre-agent-<account>
        "", // resource server
        "", // scopes
        "", // gateway name
        "", // bucket
        "", // prefix
        "", // api key: env:BACKEND_API_KEY, which is set
        "backend.sre.internal",
        "",
        "",
        "",
        "",
        "", // domain: the backends' host
        "", // no certificate files configured: get one from ACME? no (the default)
        "cert.pem",
        "key.pem",
        "", // no CA bundle
    ]);
    let mut config = Config::default();
    for section in Section::ALL {
        super::ask(&mut script, section, &mut config, &cx).unwrap();
    }
    assert!(script.answers.is_empty(), "unused answers: {:?}", script.answers);
    assert_eq!(config.aws.region, "eu-west-1");
    assert_eq!(config.aws.account_id, "123456789012");
    assert_eq!(config.aws.role_name, "SreAgentGatewayRole");
    assert_eq!(config.cognito.cognito_domain, "sre-agent-123456789012");
    assert_eq!(config.cognito.scopes, vec!["sre-agent/invoke".to_string()]);
    assert_eq!(config.gateway.s3_bucket, "sre-agent-specs-123456789012");
    assert_eq!(
        config.gateway.api_key,
        Some(crate::config::SecretRef::Env("BACKEND_API_KEY".into()))
    );
    assert_eq!(config.gateway.targets.len(), 4);
    assert_eq!(
        config.gateway.targets[1].backend_url,
        "https://backend.sre.internal:8012"
    );
    assert_eq!(config.tls.domain_name, "backend.sre.internal");
    assert_eq!(config.tls.ca_bundle_path, None);
    assert!(script.rejected.is_empty(), "{:?}", script.rejected);
}

/// No certificate at the configured path: the wizard offers ACME, asks the challenge, and the
/// paths may then name files that are not there yet. Files that are there: no offer.
#[test]
fn missing_certificate_files_are_offered_from_acme() {
    use crate::config::acme::Challenge;
    let dir = tempfile::tempdir().unwrap();
    let vars = env(&[]);
    let found = Discovered::default();
    let cx = cx(dir.path(), &vars, &found, None);
    let mut config = Config::default();
    config.tls.domain_name = "backend.sre.internal".into();
    config.tls.ssl_cert_path = "certs/fullchain.pem".into();
    let mut script = Script::new(&[
        "",  // domain: as configured
        "y", // get it from ACME
        "dns-01",
        "sre-team@corp.test",
        "staging",
        "", // certificate path: as configured, not there yet (a warning only)
        "", // key path: privkey.pem, likewise
        "", // no CA bundle
    ]);
    super::ask(&mut script, Section::Tls, &mut config, &cx).unwrap();
    assert!(script.answers.is_empty(), "unused answers: {:?}", script.answers);
    assert!(script.rejected.is_empty(), "{:?}", script.rejected);
    assert!(
        script
            .said
            .iter()
            .any(|s| s.contains("no certificate at certs/fullchain.pem")),
        "{:?}",
        script.said
    );
    let acme = config.tls.acme.clone().expect("tls.acme");
    assert_eq!(acme.challenge, Challenge::Dns01);
    assert_eq!(acme.email.as_deref(), Some("sre-team@corp.test"));
    assert_eq!(acme.directory_url, "staging");
    assert_eq!(config.tls.ssl_key_path, std::path::PathBuf::from("privkey.pem"));

    // Webroot: asked for the folder.
    let mut config = Config::default();
    config.tls.domain_name = "backend.sre.internal".into();
    std::fs::create_dir(dir.path().join("www")).unwrap();
    let mut script = Script::new(&["", "y", "webroot", "www", "", "", "", "", ""]);
    super::ask(&mut script, Section::Tls, &mut config, &cx).unwrap();
    let acme = config.tls.acme.clone().expect("tls.acme");
    assert_eq!(acme.challenge, Challenge::Http01);
    assert!(script.rejected.is_empty(), "{:?}", script.rejected);
    assert_eq!(acme.webroot, Some("www".into()));
    assert_eq!(acme.email, None);
    assert!(
        script.asked.contains(&"tls.acme.webroot".to_string()),
        "{:?}",
        script.asked
    );

    // The files are there: no offer, no tls.acme.
    write_cert(dir.path());
    let mut config = Config::default();
    config.tls.domain_name = "backend.sre.internal".into();
    config.tls.ssl_cert_path = "cert.pem".into();
    config.tls.ssl_key_path = "key.pem".into();
    let mut script = Script::new(&["", "", "", ""]);
    super::ask(&mut script, Section::Tls, &mut config, &cx).unwrap();
    assert!(script.answers.is_empty(), "unused answers: {:?}", script.answers);
    assert_eq!(config.tls.acme, None);
}

#[test]
fn invalid_answers_are_refused_with_the_validators_message_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let vars = env(&[]);
    let found = Discovered::default();
    let cx = cx(dir.path(), &vars, &found, None);
    let mut script = Script::new(&[
        "Mars North",
        "us-east-1",
        "12345",
        "",
        "123456789012",
        "bad role name!",
        "",
    ]);
    let mut config = Config::default();
    super::ask(&mut script, Section::Aws, &mut config, &cx).unwrap();
    assert_eq!(config.aws.region, "us-east-1");
    assert_eq!(config.aws.account_id, "123456789012");
    assert_eq!(script.rejected.len(), 4, "{:?}", script.rejected);
    assert!(
        script.rejected[0].starts_with("aws.region: "),
        "{:?}",
        script.rejected
    );
    assert!(
        script.rejected[1].starts_with("aws.account_id: "),
        "{:?}",
        script.rejected
    );
    assert!(
        script.rejected[2].contains("aws.account_id"),
        "an empty answer without a default is refused"
    );
    assert!(
        script.rejected[3].starts_with("aws.role_name: "),
        "{:?}",
        script.rejected
    );
    assert!(
        script.rejected.iter().all(|r| r.contains("fix: ")),
        "each refusal has a fix: {:?}",
        script.rejected
    );
}

#[test]
fn existing_resources_are_offered_and_placeholders_are_no_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let vars = env(&[]);
    let found = Discovered {
        account: Some("123456789012".into()),
        pools: vec![("us-east-1_abc".into(), "team-pool".into())],
        roles: vec!["ExistingRole".into()],
        ..Discovered::default()
    };
    let cx = cx(dir.path(), &vars, &found, Some("us-east-1"));
    let mut config = Config::default();
    config.aws.account_id = "YOUR_ACCOUNT_ID".into();
    let mut script = Script::new(&["", "", "ExistingRole", "team-pool", "", "", ""]);
    super::ask(&mut script, Section::Aws, &mut config, &cx).unwrap();
    super::ask(&mut script, Section::Cognito, &mut config, &cx).unwrap();
    assert_eq!(
        config.aws.account_id, "123456789012",
        "the placeholder was replaced by the discovered account"
    );
    assert_eq!(config.aws.role_name, "ExistingRole");
    assert_eq!(config.cognito.user_pool_id.as_deref(), Some("us-east-1_abc"));
}

#[test]
fn a_typed_secret_is_saved_0600_and_only_its_reference_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let vars = env(&[]);
    let found = Discovered::default();
    let cx = cx(dir.path(), &vars, &found, None);
    // Not set in the environment: typing it is the default choice.
    let mut script = Script::new(&["", "s3cr3t-value"]);
    let reference = secrets::reference(
        &mut script,
        &cx,
        "gateway.api_key",
        "Backend API key",
        None,
        "BACKEND_API_KEY",
    )
    .unwrap();
    let crate::config::SecretRef::File(path) = &reference else {
        panic!("expected a file reference, got {reference}");
    };
    assert!(path.starts_with(SECRETS_DIR_FOR_TESTS), "{}", path.display());
    let full = dir.path().join(path);
    assert_eq!(std::fs::read_to_string(&full).unwrap(), "s3cr3t-value\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&full).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(!reference.to_string().contains("s3cr3t"));
    assert!(
        script.said.iter().all(|s| !s.contains("s3cr3t")),
        "{:?}",
        script.said
    );
}

const SECRETS_DIR_FOR_TESTS: &str = super::super::SECRETS_DIR;

#[test]
fn sections_are_found_from_fields_and_steps() {
    assert_eq!(
        Section::of("gateway.targets[0].backend_url"),
        Some(Section::Gateway)
    );
    assert_eq!(Section::of("cognito-pool"), Some(Section::Cognito));
    assert_eq!(Section::of("target:logs-api"), Some(Section::Gateway));
    assert_eq!(Section::of("s3-bucket"), Some(Section::Gateway));
    assert_eq!(Section::of("iam-role"), Some(Section::Aws));
    assert_eq!(Section::of("tls.ssl_cert_path"), Some(Section::Tls));
    assert_eq!(Section::of("verify.timeout_seconds"), None);
}

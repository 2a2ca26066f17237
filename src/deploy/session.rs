//! The state-file policy of a run, next to the store it works on: which deployment a config
//! belongs to and where its state is ([`locate`]), opening that state ([`open`]), and what to
//! do when the config changed since the deployment last ran ([`config_change`], [`accept`],
//! [`apply_change`]).

use std::path::Path;

use super::ids;
use super::store::{self, Location, S3Location, STATE_DIR, StateError, StateStore};
use crate::config::diff::config_diff;
use crate::config::{AwsConfig, BackendUrl, Config, DeploymentConfig};
use crate::output::progress::Progress;

/// Where a deployment's state is, and which deployment it is when that is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub location: Location,
    /// The configured id, else the id the state file found records.
    pub deployment_id: Option<String>,
}

/// Where the state of `deployment` is: its `state_backend` in S3 (reached with `aws`), else its
/// `state_file` (relative to `base_dir`), else the default file of its `deployment_id`, else
/// the state on record (in `.sre-agent-deploy/`, not cleaned up) for the config file at
/// `config_path`. `None` when nothing says (a backend needs the deployment id).
pub fn locate(
    deployment: &DeploymentConfig,
    aws: &AwsConfig,
    base_dir: &Path,
    config_path: Option<&Path>,
) -> Result<Option<Located>, StateError> {
    let configured = deployment.deployment_id.clone();
    if let Some(url) = &deployment.state_backend {
        let url = BackendUrl::parse(url).map_err(|message| StateError::BadUrl {
            url: url.clone(),
            message,
        })?;
        return Ok(configured.map(|id| Located {
            location: Location::S3(S3Location {
                url,
                deployment_id: id.clone(),
                aws: aws.clone(),
            }),
            deployment_id: Some(id),
        }));
    }
    if let Some(file) = &deployment.state_file {
        let path = base_dir.join(file);
        let deployment_id = configured.or_else(|| store::read(&path).ok().map(|s| s.deployment_id));
        return Ok(Some(Located {
            location: Location::File(path),
            deployment_id,
        }));
    }
    if let Some(id) = configured {
        return Ok(Some(Located {
            location: Location::File(store::default_path(&id)),
            deployment_id: Some(id),
        }));
    }
    let Some(path) = config_path.and_then(|c| store::find_for_config(Path::new(STATE_DIR), &absolute(c)))
    else {
        return Ok(None);
    };
    let deployment_id = store::read(&path).ok().map(|s| s.deployment_id);
    Ok(Some(Located {
        location: Location::File(path),
        deployment_id,
    }))
}

/// The state on record for the config's deployment, read without its lock (for `plan`,
/// `drift` and `verify`); `None` when there is none (yet).
pub fn recorded(
    config: &Config,
    base_dir: &Path,
    config_path: &Path,
) -> Result<Option<crate::deploy::state::State>, StateError> {
    locate(&config.deployment, &config.aws, base_dir, Some(config_path))?
        .map_or(Ok(None), |l| l.location.read_if_any())
}

/// Opens (locked) or creates the state of the config's deployment: the configured id, else the
/// id of the state found for it, else a new one.
pub fn open(
    config: &Config,
    base_dir: &Path,
    config_path: &Path,
    operation: store::Operation<'_>,
) -> Result<StateStore, StateError> {
    let located = locate(&config.deployment, &config.aws, base_dir, Some(config_path))?;
    let deployment_id = located
        .as_ref()
        .and_then(|l| l.deployment_id.clone())
        .unwrap_or_else(ids::generate);
    let location = located.map_or_else(
        || Location::File(store::default_path(&deployment_id)),
        |l| l.location,
    );
    let record = absolute(config_path);
    let store = StateStore::open_or_create(location, operation, || {
        store::new_state(&deployment_id, Some(record), config)
    })?;
    if store.state.deployment_id != deployment_id {
        return Err(StateError::OtherDeployment {
            path: store.path(),
            found: store.state.deployment_id.clone(),
            expected: deployment_id,
        });
    }
    Ok(store)
}

/// The field-by-field change since the deployment last ran, when it ran and the config changed.
pub fn config_change(store: &StateStore, config: &Config) -> Option<String> {
    (store.state.config_digest != store::config_digest(config) && !store.state.steps.is_empty())
        .then(|| config_diff(&store.state.config, config))
}

/// Records `config` as the deployment's config (the run applies it) and saves the state.
pub fn accept(store: &mut StateStore, config: &Config) -> Result<(), StateError> {
    if adopt(store, config) {
        store.save()?;
    }
    Ok(())
}

/// Stops when the config changed since the deployment last ran, unless `yes` accepts it (then
/// the change is shown and recorded). A deployment that never ran takes the config as it is.
pub fn apply_change(
    store: &mut StateStore,
    config: &Config,
    yes: bool,
    progress: &Progress,
) -> Result<(), StateError> {
    let Some(diff) = config_change(store, config) else {
        adopt(store, config);
        return Ok(());
    };
    if !yes {
        return Err(StateError::ConfigChanged {
            deployment_id: store.state.deployment_id.clone(),
            diff,
        });
    }
    progress.line("config", &format!("applying the changed config:\n{diff}"));
    if store.state.config.gateway.gateway_name != config.gateway.gateway_name {
        progress.line(
            "config",
            &format!(
                "replacing the gateway {} with {}: {}",
                store.state.config.gateway.gateway_name,
                config.gateway.gateway_name,
                super::changes::REPLACE_GATEWAY
            ),
        );
    }
    progress.line(
        "config",
        "note: new resources, the role's policy, the resource server's and app client's scopes, the \
         gateway's role and authorizer and the targets follow the new config: a target is updated in \
         place (spec location, provider), synchronized when its spec's content changed, and deleted \
         with its spec object when it left the config",
    );
    accept(store, config)
}

/// Puts `config` in the state in memory; whether it changed.
fn adopt(store: &mut StateStore, config: &Config) -> bool {
    let digest = store::config_digest(config);
    if store.state.config_digest == digest {
        return false;
    }
    store.state.config = config.clone();
    store.state.config_digest = digest;
    true
}

/// The path as recorded in the state file: absolute, so a run from another folder finds it.
pub fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_file_is_found_where_the_config_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::default();
        config.deployment.state_file = Some("state/d.json".into());
        let aws = AwsConfig::default();
        let located = locate(&config.deployment, &aws, dir.path(), None)
            .expect("no error")
            .expect("located");
        assert_eq!(located.location, Location::File(dir.path().join("state/d.json")));
        assert_eq!(located.deployment_id, None, "no file yet, no id configured");

        config.deployment.deployment_id = Some("d1x".into());
        let located = locate(&config.deployment, &aws, dir.path(), None)
            .expect("no error")
            .expect("located");
        assert_eq!(located.deployment_id.as_deref(), Some("d1x"));

        config.deployment.state_file = None;
        let located = locate(&config.deployment, &aws, dir.path(), None)
            .expect("no error")
            .expect("located");
        assert_eq!(located.location, Location::File(store::default_path("d1x")));

        config.deployment.state_backend = Some("s3://team-state/sre".into());
        let located = locate(&config.deployment, &aws, dir.path(), None)
            .expect("no error")
            .expect("located");
        let Location::S3(s3) = located.location else {
            panic!("the backend wins: {located:?}");
        };
        assert_eq!(s3.state_url(), "s3://team-state/sre/d1x.json");
        assert_eq!(s3.lock_key(), "sre/d1x.lock");
        config.deployment.deployment_id = None;
        assert_eq!(
            locate(&config.deployment, &aws, dir.path(), None).expect("no error"),
            None
        );
        config.deployment.state_backend = Some("team-state".into());
        assert!(matches!(
            locate(&config.deployment, &aws, dir.path(), None),
            Err(StateError::BadUrl { .. })
        ));
    }

    #[test]
    fn without_an_id_or_a_file_only_a_config_path_can_say() {
        let dir = tempfile::tempdir().expect("tempdir");
        let none = DeploymentConfig::default();
        let aws = AwsConfig::default();
        assert_eq!(locate(&none, &aws, dir.path(), None).expect("no error"), None);
        // No state on record for a config that never ran.
        let never_ran = dir.path().join("never-ran.yaml");
        assert_eq!(
            locate(&none, &aws, dir.path(), Some(&never_ran)).expect("no error"),
            None
        );
    }

    #[test]
    fn a_state_file_records_its_deployment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.json");
        let config = Config::default();
        drop(
            StateStore::open_or_create(&path, "deploy", || store::new_state("d2y", None, &config))
                .expect("create"),
        );
        let deployment = DeploymentConfig {
            deployment_id: None,
            state_file: Some(path.clone()),
            state_backend: None,
        };
        let located = locate(&deployment, &AwsConfig::default(), dir.path(), None)
            .expect("no error")
            .expect("located");
        assert_eq!(located.deployment_id.as_deref(), Some("d2y"));
    }
}

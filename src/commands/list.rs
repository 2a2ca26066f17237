//! `list`: the deployments in the state backend (or the local state files), and with
//! `--discover` the ones in the account and region that have no state anywhere, found by tag.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{Cx, flag_settings};
use crate::aws::Clients;
use crate::cli::ListArgs;
use crate::config::BackendUrl;
use crate::deploy::discover;
use crate::deploy::store::catalog::{self, Listed};
use crate::deploy::store::{STATE_DIR, StateError};
use crate::error::Error;
use crate::exit::ExitStatus;

/// What `list` found.
#[derive(Debug, Serialize)]
pub struct Listing {
    /// The backend listed (`s3://…`), or the local state folder.
    pub source: String,
    pub deployments: Vec<Listed>,
    /// With `--discover`: deployments found by tag with no state in `source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub without_state: Option<Vec<Untracked>>,
}

/// A deployment whose resources carry its tag but which has no state.
#[derive(Debug, Serialize)]
pub struct Untracked {
    pub deployment_id: String,
    pub region: String,
    /// Resources found, by kind label.
    pub resources: std::collections::BTreeMap<String, usize>,
    /// The command that deletes them.
    pub cleanup: String,
}

impl std::fmt::Display for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "deployments in {}: {}", self.source, self.deployments.len())?;
        for d in &self.deployments {
            let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            writeln!(
                f,
                "  {:<20} {:<12} {:<11} {:<28} {:<21} {}",
                d.deployment_id,
                d.status.map_or_else(|| "-".into(), |s| s.to_string()),
                or_dash(&d.last_operation),
                or_dash(&d.who),
                or_dash(&d.when),
                or_dash(&d.gateway_url),
            )?;
            if let Some(holder) = &d.locked_by {
                writeln!(f, "    locked by {holder}")?;
            }
            if let Some(problem) = &d.problem {
                writeln!(f, "    {problem}")?;
            }
        }
        if let Some(untracked) = &self.without_state {
            writeln!(f, "found by tag, with no state: {}", untracked.len())?;
            for u in untracked {
                let counts: Vec<String> = u.resources.iter().map(|(k, n)| format!("{n} {k}")).collect();
                writeln!(
                    f,
                    "  {:<20} {} in {}",
                    u.deployment_id,
                    counts.join(", "),
                    u.region
                )?;
                writeln!(f, "    clean up: {}", u.cleanup)?;
            }
        }
        Ok(())
    }
}

pub fn run(args: &ListArgs, cx: &Cx<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let (flags, aws) = flag_settings(&args.common, cx.env);
    let (source, deployments) = match &flags.state_backend {
        Some(url) => {
            let url = BackendUrl::parse(url).map_err(|message| StateError::BadUrl {
                url: url.clone(),
                message,
            })?;
            (url.to_string(), catalog::list_s3(&url, &aws)?)
        }
        None => (STATE_DIR.to_string(), catalog::list_local(Path::new(STATE_DIR))),
    };
    let without_state = if args.discover {
        let runtime = super::runtime()?;
        let found = runtime
            .block_on(async {
                let clients = Clients::connect(&aws).await;
                discover::discover_all(&clients, &aws.region).await
            })
            .map_err(|error| Error::Aws {
                context: format!("finding deployments by tag in {}", aws.region),
                error,
            })?;
        let backend = flags
            .state_backend
            .as_ref()
            .map(|u| format!(" --state-backend {u}"))
            .unwrap_or_default();
        Some(
            found
                .into_iter()
                .filter(|(id, _)| !deployments.iter().any(|d| d.deployment_id == *id))
                .map(|(id, entries)| {
                    let mut resources = std::collections::BTreeMap::new();
                    for e in &entries {
                        *resources.entry(e.kind.label().to_string()).or_insert(0) += 1;
                    }
                    Untracked {
                        cleanup: format!(
                            "sre-agent-deploy --cleanup --deployment-id {id} --region {}{backend}",
                            aws.region
                        ),
                        deployment_id: id,
                        region: aws.region.clone(),
                        resources,
                    }
                })
                .collect(),
        )
    } else {
        None
    };
    cx.printer.result(
        out,
        &Listing {
            source,
            deployments,
            without_state,
        },
    )?;
    Ok(ExitStatus::Success)
}

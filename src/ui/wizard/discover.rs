//! What the wizard finds in the account before it asks: the credentials' account, the region of
//! the credential chain, and existing user pools, buckets, roles and gateways to offer as
//! choices. Read-only calls, all at once, each bounded; a call that fails leaves its list empty
//! and a note saying why (the wizard works without any of them).

use std::time::Duration;

use aws_config::BehaviorVersion;

use crate::aws::{Clients, agentcore, call, cognito, iam, s3};
use crate::config::AwsConfig;

/// How long each listing may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(15);

/// What the account already has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovered {
    /// The account the credentials belong to.
    pub account: Option<String>,
    /// `(id, name)` of each user pool in the region.
    pub pools: Vec<(String, String)>,
    pub buckets: Vec<String>,
    pub roles: Vec<String>,
    /// Names of the region's AgentCore gateways.
    pub gateways: Vec<String>,
    /// Why a listing is missing, one line each.
    pub notes: Vec<String>,
}

/// The region the standard credential chain names (environment, then profile), if any.
pub async fn chain_region(profile: Option<&str>) -> Option<String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    loader.load().await.region().map(ToString::to_string)
}

/// Lists what the account has in `aws.region`, concurrently.
pub async fn discover(aws: &AwsConfig) -> Discovered {
    let clients = Clients::connect(aws).await;
    let (account, pools, buckets, roles, gateways) = tokio::join!(
        bounded("sts:GetCallerIdentity", async {
            call("sts:GetCallerIdentity", clients.sts.get_caller_identity().send())
                .await
                .map(|identity| identity.account().map(str::to_string))
        }),
        bounded(
            "cognito-idp:ListUserPools",
            cognito::list_user_pools(&clients.cognito)
        ),
        bounded("s3:ListBuckets", s3::list_buckets(&clients.s3)),
        bounded("iam:ListRoles", iam::list_role_names(&clients.iam)),
        bounded(
            "bedrock-agentcore:ListGateways",
            agentcore::list_gateways(&clients.agentcore)
        ),
    );
    let mut found = Discovered::default();
    found.account = keep(account, &mut found.notes).flatten();
    found.pools = keep(pools, &mut found.notes).unwrap_or_default();
    found.buckets = keep(buckets, &mut found.notes).unwrap_or_default();
    found.roles = keep(roles, &mut found.notes).unwrap_or_default();
    found.gateways = keep(gateways, &mut found.notes)
        .unwrap_or_default()
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    found
}

async fn bounded<T>(
    operation: &str,
    work: impl Future<Output = Result<T, crate::aws::AwsError>>,
) -> Result<T, String> {
    match tokio::time::timeout(LIST_TIMEOUT, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(format!("{operation}: {error}")),
        Err(_) => Err(format!(
            "{operation}: no answer within {} s",
            LIST_TIMEOUT.as_secs()
        )),
    }
}

fn keep<T>(result: Result<T, String>, notes: &mut Vec<String>) -> Option<T> {
    result.map_err(|note| notes.push(note)).ok()
}

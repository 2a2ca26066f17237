//! The rules behind [`super::changes`], resource by resource.

use super::{Action, Change, Field, KNOWN_AFTER, REPLACE_GATEWAY, renamed};
use crate::aws::agentcore::target_description;
use crate::deploy::observe::{Live, ledger_id};
use crate::deploy::plan::Plan;
use crate::deploy::state::{LedgerStatus, ResourceKind, State};

pub(super) struct Changes<'a> {
    state: Option<&'a State>,
    pub(super) out: Vec<Change>,
}

impl Changes<'_> {
    fn push(
        &mut self,
        kind: ResourceKind,
        name: &str,
        id: Option<String>,
        action: Action,
        fields: Vec<Field>,
        reason: Option<String>,
    ) {
        self.out.push(Change {
            resource: kind,
            kind: kind.label().to_string(),
            name: name.to_string(),
            id,
            action,
            fields,
            reason,
        });
    }

    fn in_ledger(&self, kind: ResourceKind, name: &str) -> bool {
        self.state
            .and_then(|s| s.entry(kind, name))
            .is_some_and(|e| e.status == LedgerStatus::Present)
    }

    /// A resource that exists or not, with no settings compared: create, re-create, adopt or
    /// nothing.
    fn exists(&mut self, kind: ResourceKind, name: &str, id: Option<String>, there: bool) {
        let known = self.in_ledger(kind, name);
        let (action, reason) = match (there, known) {
            (true, true) => (Action::NoOp, None),
            (true, false) => (
                Action::Adopt,
                Some("it exists under this name: used as it is".to_string()),
            ),
            (false, true) => (
                Action::Create,
                Some("it was deleted outside this tool".to_string()),
            ),
            (false, false) => (Action::Create, None),
        };
        self.push(kind, name, id, action, Vec::new(), reason);
    }

    /// A resource whose fields the deploy keeps in line: create when missing, else update the
    /// fields that differ.
    fn settings(
        &mut self,
        kind: ResourceKind,
        name: &str,
        id: Option<String>,
        there: bool,
        fields: Vec<Field>,
    ) {
        if !there {
            self.exists(kind, name, id, false);
        } else if fields.is_empty() {
            self.exists(kind, name, id, true);
        } else {
            self.push(kind, name, id, Action::Update, fields, None);
        }
    }
}

/// `path: before -> after` when they differ.
fn field(path: &str, before: Option<&str>, after: Option<&str>) -> Option<Field> {
    (before != after).then(|| Field {
        path: path.to_string(),
        before: before.map(str::to_string),
        after: after.map(str::to_string),
    })
}

fn sorted(list: &[String]) -> String {
    let mut list = list.to_vec();
    list.sort();
    list.join(", ")
}

/// Canonical JSON (keys sorted), so that a policy compares by content, not by spacing.
fn canonical(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json).map_or_else(|_| json.to_string(), |v| v.to_string())
}

impl<'a> Changes<'a> {
    pub(super) fn new(state: Option<&'a State>) -> Self {
        Self {
            state,
            out: Vec::new(),
        }
    }
}

/// The role and its policy, the Cognito pool, domain, resource server and client, the bucket and
/// its spec objects, the provider. Returns the pool's and the client's ids, as far as known.
pub(super) fn identity_and_storage(
    c: &mut Changes<'_>,
    plan: &Plan,
    state: Option<&State>,
    live: &Live,
) -> (Option<String>, Option<String>) {
    let output = |key: &str| state.and_then(|s| s.outputs.get(key).cloned());

    let role_there = live.role_arn.is_some();
    c.exists(
        ResourceKind::IamRole,
        &plan.role_name,
        live.role_arn.clone(),
        role_there,
    );
    let policy = field(
        "policy_document",
        live.role_policy.as_deref().map(canonical).as_deref(),
        Some(&canonical(&plan.role_policy)),
    );
    c.settings(
        ResourceKind::IamRolePolicy,
        &plan.policy_name,
        None,
        live.role_policy.is_some(),
        policy.into_iter().collect(),
    );

    let pool_id = live.pool.clone();
    c.exists(
        ResourceKind::CognitoUserPool,
        &plan.pool_name,
        pool_id.clone(),
        pool_id.is_some(),
    );
    let domain = plan.domain_prefix.clone().or_else(|| output("cognito_domain"));
    match &domain {
        Some(domain) => {
            let ours = live.domain_owner.is_some() && live.domain_owner == pool_id;
            c.exists(ResourceKind::CognitoDomain, domain, None, ours);
        }
        None => c.exists(ResourceKind::CognitoDomain, KNOWN_AFTER, None, false),
    }
    let wanted_scopes = sorted(&plan.scopes);
    let server_fields = live
        .resource_server_scopes
        .as_ref()
        .and_then(|s| field("scopes", Some(&sorted(s)), Some(&wanted_scopes)));
    c.settings(
        ResourceKind::CognitoResourceServer,
        &plan.resource_server_id,
        None,
        live.resource_server_scopes.is_some(),
        server_fields.into_iter().collect(),
    );
    let client_id = plan
        .existing_client_id
        .clone()
        .or_else(|| ledger_id(state, ResourceKind::CognitoClient, &plan.client_name));
    let client_fields = live
        .client_scopes
        .as_ref()
        .and_then(|s| field("allowed_oauth_scopes", Some(&sorted(s)), Some(&wanted_scopes)));
    c.settings(
        ResourceKind::CognitoClient,
        &plan.client_name,
        client_id.clone().filter(|_| live.client_scopes.is_some()),
        live.client_scopes.is_some(),
        client_fields.into_iter().collect(),
    );

    c.exists(ResourceKind::S3Bucket, &plan.bucket, None, live.bucket);
    for spec in &plan.specs {
        let now = live.objects.get(&spec.key).cloned().flatten();
        let recorded = now.as_deref().map(|d| {
            if d.is_empty() {
                "(none: written outside this tool)"
            } else {
                d
            }
        });
        let fields = recorded.and_then(|d| field("content_sha256", Some(d), Some(&spec.digest)));
        c.settings(
            ResourceKind::S3Object,
            &spec.key,
            None,
            now.is_some(),
            fields.into_iter().collect(),
        );
    }
    if let Some(state) = state {
        for entry in state.ledger.iter().filter(|e| {
            e.kind == ResourceKind::S3Object
                && e.status != LedgerStatus::Deleted
                && e.created_by_us
                && !plan.specs.iter().any(|s| s.key == e.name)
        }) {
            c.push(
                ResourceKind::S3Object,
                &entry.name,
                None,
                Action::Delete,
                Vec::new(),
                Some("no target of the config uses it".into()),
            );
        }
    }

    let provider_there = live.provider_arn.is_some();
    c.exists(
        ResourceKind::CredentialProvider,
        &plan.provider_name,
        live.provider_arn.clone(),
        provider_there,
    );
    (pool_id, client_id)
}

/// The gateway; `false` when it is replaced (its targets are then all made again).
pub(super) fn gateway(
    c: &mut Changes<'_>,
    plan: &Plan,
    state: Option<&State>,
    live: &Live,
    pool_id: Option<&str>,
    client_id: Option<String>,
) -> bool {
    // The gateway's role and authorizer follow the role, the pool and the app client.
    let gateway = live.gateway.as_ref();
    let wanted_role = plan.role_arn.clone();
    let wanted_discovery = pool_id.map(|p| plan.discovery_url(p));
    let wanted_client = client_id.filter(|_| live.client_scopes.is_some());
    let want = &plan.gateway_options;
    let search = |on: bool| if on { "SEMANTIC" } else { "(none)" };
    let level = |debug: bool| if debug { "DEBUG" } else { "(none)" };
    let gateway_fields: Vec<Field> = gateway
        .and_then(|g| g.settings.as_ref())
        .map(|s| {
            [
                field("role_arn", Some(&s.role_arn), Some(&wanted_role)),
                field(
                    "authorizer.discovery_url",
                    Some(&s.discovery_url),
                    Some(wanted_discovery.as_deref().unwrap_or(KNOWN_AFTER)),
                ),
                field(
                    "authorizer.allowed_clients",
                    Some(&sorted(&s.allowed_clients)),
                    Some(wanted_client.as_deref().unwrap_or(KNOWN_AFTER)),
                ),
                field(
                    "authorizer.allowed_scopes",
                    Some(&sorted(&s.options.allowed_scopes)),
                    Some(&sorted(&want.allowed_scopes)),
                ),
                field(
                    "description",
                    Some(&s.options.description),
                    Some(&want.description),
                ),
                field(
                    "protocol.search_type",
                    Some(search(s.options.semantic_search)),
                    Some(search(want.semantic_search)),
                ),
                field(
                    "exception_level",
                    Some(level(s.options.debug_errors)),
                    Some(level(want.debug_errors)),
                ),
                field(
                    "kms_key_arn",
                    s.options.kms_key_arn.as_deref(),
                    want.kms_key_arn.as_deref(),
                ),
            ]
            .into_iter()
            .flatten()
            .collect()
        })
        .unwrap_or_default();
    if let Some(old) = renamed(plan, state) {
        // The name cannot change in place: a new gateway (a new URL), its targets made again.
        c.push(
            ResourceKind::Gateway,
            &plan.gateway_name,
            old.id.clone(),
            Action::Replace,
            vec![Field {
                path: "name".into(),
                before: Some(old.name.clone()),
                after: Some(plan.gateway_name.clone()),
            }],
            Some(REPLACE_GATEWAY.into()),
        );
        for spec in &plan.specs {
            let id = live.targets.get(&spec.target).map(|t| t.id.clone());
            c.push(
                ResourceKind::GatewayTarget,
                &spec.target,
                id,
                Action::Replace,
                Vec::new(),
                Some(format!("made again in the new gateway {}", plan.gateway_name)),
            );
        }
        return false;
    }
    c.settings(
        ResourceKind::Gateway,
        &plan.gateway_name,
        gateway.map(|g| g.id.clone()),
        gateway.is_some(),
        gateway_fields,
    );

    true
}

/// The targets: compared, synchronized, created or deleted.
pub(super) fn targets(c: &mut Changes<'_>, plan: &Plan, state: Option<&State>, live: &Live) {
    let output = |key: &str| state.and_then(|s| s.outputs.get(key).cloned());
    let provider_arn = live.provider_arn.clone().or_else(|| output("provider_arn"));
    for spec in &plan.specs {
        let target = live.targets.get(&spec.target);
        let id = target.map(|t| t.id.clone());
        let Some(settings) = target.and_then(|t| t.settings.as_ref()) else {
            c.exists(ResourceKind::GatewayTarget, &spec.target, id, target.is_some());
            continue;
        };
        let uri = plan.s3_uri(&spec.key);
        let fields: Vec<Field> = [
            field("spec_location", settings.s3_uri.as_deref(), Some(&uri)),
            field(
                "credential_provider",
                settings.provider_arn.as_deref(),
                Some(provider_arn.as_deref().unwrap_or(KNOWN_AFTER)),
            ),
            field(
                "description",
                settings.description.as_deref(),
                Some(&target_description(&spec.target)),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        let read = output(&format!("target_spec_sha256:{}", spec.target));
        let synchronize = fields.is_empty() && read.as_deref().is_some_and(|r| r != spec.digest);
        if synchronize {
            c.push(
                ResourceKind::GatewayTarget,
                &spec.target,
                id,
                Action::Update,
                vec![Field {
                    path: "spec_content_sha256".into(),
                    before: read,
                    after: Some(spec.digest.clone()),
                }],
                Some("its spec's content changed: SynchronizeGatewayTargets".into()),
            );
        } else {
            c.settings(ResourceKind::GatewayTarget, &spec.target, id, true, fields);
        }
    }
    if let Some(state) = state {
        for entry in state.ledger.iter().filter(|e| {
            e.kind == ResourceKind::GatewayTarget
                && e.status == LedgerStatus::Present
                && !plan.specs.iter().any(|s| s.target == e.name)
        }) {
            if live.targets.contains_key(&entry.name) {
                c.push(
                    ResourceKind::GatewayTarget,
                    &entry.name,
                    entry.id.clone(),
                    Action::Delete,
                    Vec::new(),
                    Some("the config no longer names it".into()),
                );
            }
        }
    }
}

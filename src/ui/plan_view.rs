//! Builds what the screens show from the deployment's own data: the review (every resource of
//! the plan, per step, with create / reuse / leave / delete) and the dashboard's step graph, both taking
//! the state file into account so a re-run or resume shows what already exists.

use std::collections::BTreeSet;

use super::screens::{Action, ReviewItem, ReviewView, StepStatus, StepView};
use super::section::Section;
use crate::deploy::plan::Plan;
use crate::deploy::state::{self, LedgerStatus, ResourceKind, State};
use crate::deploy::steps::Step;
use crate::validate::Finding;

/// What exists already, besides the state file: names found in the account.
#[derive(Debug, Clone, Copy, Default)]
pub struct Existing<'a> {
    pub roles: &'a [String],
    pub buckets: &'a [String],
    /// With `tls.acme`: the certificate files are missing or due, so the run gets a new one.
    pub certificate_due: bool,
}

/// The backends' certificate: brought as files, used as it is; from ACME, obtained when missing
/// or due.
pub fn certificate_item(plan: &Plan, existing: Existing<'_>) -> ReviewItem {
    ReviewItem {
        section: Section::Tls,
        kind: "TLS certificate".into(),
        name: plan.tls_domain.clone(),
        action: if plan.certificate.is_some() && existing.certificate_due {
            Action::Create
        } else {
            Action::Leave
        },
        fields: Vec::new(),
    }
}

/// The review of `plan`: one item per resource, in step order.
pub fn review(
    plan: &Plan,
    state: Option<&State>,
    existing: Existing<'_>,
    warnings: Vec<Finding>,
) -> ReviewView {
    let present = |kind: ResourceKind, name: &str| {
        state
            .and_then(|s| s.entry(kind, name))
            .is_some_and(|e| e.status == LedgerStatus::Present)
    };
    let pick = |kind: ResourceKind, name: &str, found: bool| {
        if present(kind, name) || found {
            Action::Reuse
        } else {
            Action::Create
        }
    };
    let mut items = Vec::new();
    // Items are grouped by the wizard section that sets them, the rows the review goes back to.
    let mut add = |section: Section, kind: ResourceKind, name: &str, action: Action| {
        items.push(ReviewItem {
            section,
            kind: kind.label().into(),
            name: name.into(),
            action,
            fields: Vec::new(),
        });
    };
    let role_found = existing.roles.contains(&plan.role_name);
    let role_ours = state
        .and_then(|s| s.entry(ResourceKind::IamRole, &plan.role_name))
        .is_some_and(|e| e.created_by_us);
    add(
        Section::Aws,
        ResourceKind::IamRole,
        &plan.role_name,
        pick(ResourceKind::IamRole, &plan.role_name, role_found),
    );
    if role_found && !role_ours {
        // An existing role is used as it is: its policies are not touched.
        add(
            Section::Aws,
            ResourceKind::IamRolePolicy,
            &plan.policy_name,
            Action::Leave,
        );
    } else {
        add(
            Section::Aws,
            ResourceKind::IamRolePolicy,
            &plan.policy_name,
            pick(ResourceKind::IamRolePolicy, &plan.policy_name, false),
        );
    }
    match &plan.existing_pool_id {
        Some(id) => add(Section::Cognito, ResourceKind::CognitoUserPool, id, Action::Reuse),
        None => add(
            Section::Cognito,
            ResourceKind::CognitoUserPool,
            &plan.pool_name,
            pick(ResourceKind::CognitoUserPool, &plan.pool_name, false),
        ),
    }
    match &plan.domain_prefix {
        Some(prefix) => add(
            Section::Cognito,
            ResourceKind::CognitoDomain,
            prefix,
            pick(ResourceKind::CognitoDomain, prefix, false),
        ),
        None => add(
            Section::Cognito,
            ResourceKind::CognitoDomain,
            "(an existing domain URL)",
            Action::Leave,
        ),
    }
    add(
        Section::Cognito,
        ResourceKind::CognitoResourceServer,
        &plan.resource_server_id,
        pick(
            ResourceKind::CognitoResourceServer,
            &plan.resource_server_id,
            false,
        ),
    );
    match &plan.existing_client_id {
        Some(id) => add(Section::Cognito, ResourceKind::CognitoClient, id, Action::Reuse),
        None => add(
            Section::Cognito,
            ResourceKind::CognitoClient,
            &plan.client_name,
            pick(ResourceKind::CognitoClient, &plan.client_name, false),
        ),
    }
    add(
        Section::Gateway,
        ResourceKind::S3Bucket,
        &plan.bucket,
        pick(
            ResourceKind::S3Bucket,
            &plan.bucket,
            existing.buckets.contains(&plan.bucket),
        ),
    );
    for spec in &plan.specs {
        add(
            Section::Gateway,
            ResourceKind::S3Object,
            &spec.key,
            pick(ResourceKind::S3Object, &spec.key, false),
        );
    }
    match &plan.existing_provider_arn {
        Some(arn) => add(
            Section::Gateway,
            ResourceKind::CredentialProvider,
            arn,
            Action::Reuse,
        ),
        None => add(
            Section::Gateway,
            ResourceKind::CredentialProvider,
            &plan.provider_name,
            pick(ResourceKind::CredentialProvider, &plan.provider_name, false),
        ),
    }
    add(
        Section::Gateway,
        ResourceKind::Gateway,
        &plan.gateway_name,
        pick(ResourceKind::Gateway, &plan.gateway_name, false),
    );
    for spec in &plan.specs {
        add(
            Section::Gateway,
            ResourceKind::GatewayTarget,
            &spec.target,
            pick(ResourceKind::GatewayTarget, &spec.target, false),
        );
    }
    items.push(certificate_item(plan, existing));
    // A target an earlier run of this deployment made that the plan no longer names: deleted.
    if let Some(state) = state {
        let planned: BTreeSet<(ResourceKind, String)> = items_keys(&items);
        for entry in state.ledger.iter().filter(|e| e.status == LedgerStatus::Present) {
            let label_key = (entry.kind, entry.name.clone());
            if !planned.contains(&label_key) && entry.kind == ResourceKind::GatewayTarget {
                items.push(ReviewItem {
                    section: Section::Gateway,
                    kind: entry.kind.label().into(),
                    name: entry.name.clone(),
                    action: Action::Delete,
                    fields: Vec::new(),
                });
            }
        }
    }
    view(plan, items, warnings)
}

/// The review screen's data: the plan's account, region and deployment, and these rows.
pub fn view(plan: &Plan, items: Vec<ReviewItem>, warnings: Vec<Finding>) -> ReviewView {
    ReviewView {
        account: plan.account.clone(),
        region: plan.region.clone(),
        deployment_id: plan.deployment_id.clone(),
        items,
        warnings,
    }
}

fn items_keys(items: &[ReviewItem]) -> BTreeSet<(ResourceKind, String)> {
    items
        .iter()
        .filter(|i| i.kind == ResourceKind::GatewayTarget.label())
        .map(|i| (ResourceKind::GatewayTarget, i.name.clone()))
        .collect()
}

/// The dashboard's step graph, with the statuses the state file records (a resumed run starts at
/// its first unfinished step; steps done before show as done).
pub fn steps(plan: &Plan, state: Option<&State>) -> Vec<StepView> {
    Step::all(plan)
        .iter()
        .map(|step| {
            let id = step.id();
            let after: Vec<String> = step.deps().iter().map(Step::id).collect();
            let record = state.and_then(|s| s.steps.get(&id));
            let status = match record.map(|r| r.status) {
                Some(state::StepStatus::Done) => StepStatus::Done,
                Some(state::StepStatus::Skipped) => StepStatus::Skipped,
                // A failed or interrupted step runs again: it is pending until it starts.
                _ => StepStatus::Pending,
            };
            StepView {
                id,
                after,
                status,
                elapsed: std::time::Duration::from_millis(record.map_or(0, |r| r.duration_ms)),
                operation: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn plan() -> Plan {
        let text = include_str!("../../examples/demo/config.yaml");
        let config: Config = serde_saphyr::from_str(text).unwrap();
        Plan::new(&config, "sre-demo", std::path::Path::new("examples/demo")).unwrap()
    }

    #[test]
    fn fresh_plan_creates_everything_and_found_names_are_reused() {
        let plan = plan();
        let view = review(&plan, None, Existing::default(), Vec::new());
        assert_eq!(view.count(Action::Reuse), 0);
        // The certificate is used as it is; everything else is created.
        assert_eq!(view.count(Action::Leave), 1);
        assert_eq!(view.count(Action::Create), view.items.len() - 1);
        assert_eq!(view.items.len(), 10 + plan.specs.len() * 2);
        assert_eq!(view.sections(), Section::ALL);
        let roles = vec![plan.role_name.clone()];
        let buckets = vec![plan.bucket.clone()];
        let view = review(
            &plan,
            None,
            Existing {
                roles: &roles,
                buckets: &buckets,
                certificate_due: true,
            },
            Vec::new(),
        );
        let action = |kind: ResourceKind| view.items.iter().find(|i| i.kind == kind.label()).unwrap().action;
        let certificate = |view: &crate::ui::screens::ReviewView| {
            view.items
                .iter()
                .find(|i| i.kind == "TLS certificate")
                .map(|i| i.action)
        };
        assert_eq!(
            certificate(&view),
            Some(Action::Leave),
            "brought as files: left as it is"
        );
        assert_eq!(action(ResourceKind::IamRole), Action::Reuse);
        assert_eq!(
            action(ResourceKind::IamRolePolicy),
            Action::Leave,
            "an existing role is not changed"
        );
        assert_eq!(action(ResourceKind::S3Bucket), Action::Reuse);
        assert_eq!(action(ResourceKind::Gateway), Action::Create);

        // From ACME, with the files missing or due: the run obtains it.
        let mut acme = plan.clone();
        acme.certificate = Some(crate::acme::provision::Provision {
            acme: crate::config::acme::AcmeConfig::default(),
            domain: acme.tls_domain.clone(),
            cert_path: "cert.pem".into(),
            key_path: "key.pem".into(),
            renew_before_days: 30,
            base_dir: ".".into(),
            default_account_dir: ".sre-agent-deploy/acme".into(),
        });
        let due = Existing {
            certificate_due: true,
            ..Existing::default()
        };
        assert_eq!(
            certificate(&review(&acme, None, due, Vec::new())),
            Some(Action::Create)
        );
        assert_eq!(
            certificate(&review(&acme, None, Existing::default(), Vec::new())),
            Some(Action::Leave)
        );
    }

    #[test]
    fn state_marks_present_resources_and_done_steps() {
        let plan = plan();
        let mut state = crate::deploy::store::new_state("sre-demo", None, &Config::default());
        state.upsert(crate::deploy::state::LedgerEntry {
            kind: ResourceKind::Gateway,
            name: plan.gateway_name.clone(),
            id: Some("gw-1".into()),
            arn: None,
            parent: None,
            region: plan.region.clone(),
            created_by_us: true,
            status: LedgerStatus::Present,
        });
        state.upsert(crate::deploy::state::LedgerEntry {
            kind: ResourceKind::GatewayTarget,
            name: "old-api".into(),
            id: None,
            arn: None,
            parent: None,
            region: plan.region.clone(),
            created_by_us: true,
            status: LedgerStatus::Present,
        });
        state.step("gateway").status = state::StepStatus::Done;
        state.step("iam-role").status = state::StepStatus::Failed;
        let view = review(&plan, Some(&state), Existing::default(), Vec::new());
        let gateway = view.items.iter().find(|i| i.kind == "AgentCore gateway").unwrap();
        assert_eq!(gateway.action, Action::Reuse);
        let old = view.items.iter().find(|i| i.name == "old-api").unwrap();
        assert_eq!(old.action, Action::Delete);
        let steps = steps(&plan, Some(&state));
        let status = |id: &str| steps.iter().find(|s| s.id == id).unwrap().status;
        assert_eq!(status("gateway"), StepStatus::Done);
        assert_eq!(status("iam-role"), StepStatus::Pending);
        assert_eq!(steps.len(), 10 + plan.specs.len(), "with prune-targets");
        let target = steps.iter().find(|s| s.id.starts_with("target:")).unwrap();
        assert!(target.after.contains(&"gateway".to_string()));
    }
}

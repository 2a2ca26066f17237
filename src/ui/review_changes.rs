//! The review built from the same plan `sre-agent-deploy plan` prints ([`crate::deploy::changes`]):
//! for a deployment that has run, the wizard reads what AWS shows and reviews each resource's
//! action, with the fields that change, before → after.

use super::plan_view::{Existing, certificate_item, view};
use super::screens::{Action, ReviewItem, ReviewView};
use super::section::Section;
use crate::deploy::changes::{self, Change};
use crate::deploy::plan::Plan;
use crate::deploy::state::ResourceKind;
use crate::validate::Finding;

/// The wizard section that sets a kind of resource (the row the review goes back to).
fn section(kind: ResourceKind) -> Section {
    match kind {
        ResourceKind::IamRole | ResourceKind::IamRolePolicy => Section::Aws,
        ResourceKind::CognitoUserPool
        | ResourceKind::CognitoDomain
        | ResourceKind::CognitoResourceServer
        | ResourceKind::CognitoClient => Section::Cognito,
        ResourceKind::S3Bucket
        | ResourceKind::S3Object
        | ResourceKind::CredentialProvider
        | ResourceKind::Gateway
        | ResourceKind::GatewayTarget => Section::Gateway,
    }
}

fn item(change: &Change) -> ReviewItem {
    let action = match change.action {
        changes::Action::Create => Action::Create,
        changes::Action::Update => Action::Update,
        changes::Action::Replace => Action::Replace,
        changes::Action::Delete => Action::Delete,
        changes::Action::Adopt | changes::Action::NoOp => Action::Reuse,
    };
    let mut fields: Vec<(String, String)> = change
        .fields
        .iter()
        .map(|f| {
            (
                f.path.clone(),
                format!(
                    "{} -> {}",
                    f.before.as_deref().unwrap_or("(none)"),
                    f.after.as_deref().unwrap_or("(none)")
                ),
            )
        })
        .collect();
    if matches!(action, Action::Update | Action::Replace | Action::Delete)
        && let Some(reason) = &change.reason
    {
        fields.push((String::new(), format!("({reason})")));
    }
    ReviewItem {
        section: section(change.resource),
        kind: change.kind.clone(),
        name: change.name.clone(),
        action,
        fields,
    }
}

/// The review of `changes`, with the certificate's row.
pub fn review(plan: &Plan, changes: &[Change], existing: Existing<'_>, warnings: Vec<Finding>) -> ReviewView {
    let mut items: Vec<ReviewItem> = changes.iter().map(item).collect();
    items.push(certificate_item(plan, existing));
    view(plan, items, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::changes::Field;

    #[test]
    fn each_change_is_a_row_with_its_fields_and_reason() {
        let change = Change {
            resource: ResourceKind::Gateway,
            kind: "AgentCore gateway".into(),
            name: "gw".into(),
            id: Some("gw-1".into()),
            action: changes::Action::Replace,
            fields: vec![Field {
                path: "name".into(),
                before: Some("gw-old".into()),
                after: Some("gw".into()),
            }],
            reason: Some("a new URL".into()),
        };
        let row = item(&change);
        assert_eq!(row.section, Section::Gateway);
        assert_eq!(row.action, Action::Replace);
        assert_eq!(
            row.fields,
            [
                ("name".to_string(), "gw-old -> gw".to_string()),
                (String::new(), "(a new URL)".to_string())
            ]
        );
        let kept = item(&Change {
            action: changes::Action::NoOp,
            fields: Vec::new(),
            reason: None,
            ..change
        });
        assert_eq!(kept.action, Action::Reuse);
        assert!(kept.fields.is_empty());
    }
}

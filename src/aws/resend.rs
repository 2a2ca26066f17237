//! Which AWS operations may be sent again after a failure that may have reached the service, and
//! the interceptor that holds the SDK to it.
//!
//! The SDK's standard retry resends a request whose answer was lost (a dropped connection, a 5xx,
//! a timeout). That is harmless for reads, deletes, puts and updates; for creates that carry a
//! client token (the service answers a repeat with the first answer); and for creates of a unique
//! name (a repeat is refused as "already exists", and the step adopts what it made). It is harmful
//! for a create that can make a second resource of the same name: for those the SDK does not
//! retry at all, and the step reconciles (finds by name and tag) before it sends again.
//!
//! This module only classifies; the reconcile itself is the deploy engine's.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;

/// Whether an operation may be sent again when its answer was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// A read: it changes nothing.
    Read,
    /// A delete, put, update or tag: a repeat leaves the same result (a repeated delete answers
    /// "not found", which counts as deleted).
    Idempotent,
    /// A create with a client token: the service answers a repeat with the first answer.
    ClientToken,
    /// A create of a name the service keeps unique: a repeat answers "already exists", and the
    /// step looks the resource up and adopts it if it carries the deployment's tag.
    UniqueName,
    /// A create that a repeat would turn into a second resource. The SDK never resends it; the
    /// step looks for what the first send made before it sends again.
    Reconcile,
}

/// Every create the engine sends, with its class. A create missing here is treated as
/// [`Resend::Reconcile`], the safe default.
pub const CREATES: &[(&str, Resend)] = &[
    ("CreateRole", Resend::UniqueName),
    ("CreateUserPool", Resend::Reconcile),
    ("CreateUserPoolDomain", Resend::UniqueName),
    ("CreateResourceServer", Resend::UniqueName),
    ("CreateUserPoolClient", Resend::Reconcile),
    ("CreateBucket", Resend::UniqueName),
    ("CreateApiKeyCredentialProvider", Resend::UniqueName),
    ("CreateGateway", Resend::ClientToken),
    ("CreateGatewayTarget", Resend::ClientToken),
];

/// The class of an operation, by its SDK name (`CreateUserPool`) or our `service:Operation` form.
pub fn resend(operation: &str) -> Resend {
    let name = operation.rsplit(':').next().unwrap_or(operation);
    let verb_is = |verbs: &[&str]| verbs.iter().any(|v| name.starts_with(v));
    if verb_is(&["Get", "List", "Describe", "Head"]) {
        Resend::Read
    } else if verb_is(&["Delete", "Put", "Update", "Tag", "Untag", "Synchronize", "Change"]) {
        // `Change` is Route 53's ChangeResourceRecordSets, sent with UPSERT and DELETE only.
        Resend::Idempotent
    } else {
        CREATES
            .iter()
            .find(|(op, _)| *op == name)
            .map_or(Resend::Reconcile, |(_, class)| *class)
    }
}

/// The interceptor on every client: turns the SDK's retries off for [`Resend::Reconcile`]
/// operations, so a lost answer reaches the step instead of being resent blindly.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBlindResend;

impl Intercept for NoBlindResend {
    fn name(&self) -> &'static str {
        "sre-agent-deploy resend policy"
    }

    fn modify_before_retry_loop(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let reconcile = cfg
            .load::<Metadata>()
            .is_some_and(|m| resend(m.name()) == Resend::Reconcile);
        if reconcile {
            // The retry strategy reads its config from the bag on every attempt; this layer wins.
            cfg.interceptor_state().store_put(RetryConfig::disabled());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_deletes_and_updates_are_classed_by_their_verb() {
        assert_eq!(resend("cognito-idp:DescribeUserPool"), Resend::Read);
        assert_eq!(resend("ListGatewayTargets"), Resend::Read);
        assert_eq!(resend("s3:HeadBucket"), Resend::Read);
        assert_eq!(resend("DeleteUserPool"), Resend::Idempotent);
        assert_eq!(resend("PutRolePolicy"), Resend::Idempotent);
        assert_eq!(resend("UpdateGateway"), Resend::Idempotent);
        assert_eq!(resend("SynchronizeGatewayTargets"), Resend::Idempotent);
        assert_eq!(resend("route53:ChangeResourceRecordSets"), Resend::Idempotent);
    }

    #[test]
    fn creates_are_listed_and_an_unknown_one_is_never_resent_blindly() {
        assert_eq!(resend("cognito-idp:CreateUserPool"), Resend::Reconcile);
        assert_eq!(resend("CreateUserPoolClient"), Resend::Reconcile);
        assert_eq!(resend("CreateGateway"), Resend::ClientToken);
        assert_eq!(resend("iam:CreateRole"), Resend::UniqueName);
        assert_eq!(resend("CreateSomethingNew"), Resend::Reconcile);
    }

    /// Every SDK operation the product calls (`c.create_user_pool()`, `clients.sts.get_caller_identity()`)
    /// has a class, and every create among them is listed in `CREATES` by name.
    #[test]
    fn every_operation_the_product_calls_is_classified() {
        let mut operations = std::collections::BTreeSet::new();
        for path in rust_files(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))) {
            let text = std::fs::read_to_string(&path).expect("read source");
            for marker in [
                "c.",
                "clients.sts.",
                "clients.iam.",
                "clients.s3.",
                "clients.cognito.",
            ] {
                for (at, _) in text.match_indices(marker) {
                    let rest = &text[at + marker.len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|ch| ch.is_ascii_lowercase() || *ch == '_')
                        .collect();
                    if !name.is_empty() && rest[name.len()..].starts_with("()") && name.contains('_') {
                        operations.insert(pascal(&name));
                    }
                }
            }
        }
        assert!(operations.contains("CreateUserPool"), "{operations:?}");
        assert!(operations.contains("GetCallerIdentity"), "{operations:?}");
        for op in &operations {
            if op.starts_with("Create") {
                assert!(
                    CREATES.iter().any(|(name, _)| name == op),
                    "{op} is a create the engine sends: list its resend class in CREATES"
                );
            }
        }
    }

    fn pascal(snake: &str) -> String {
        snake
            .split('_')
            .map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }

    fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(rust_files(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
        out
    }
}

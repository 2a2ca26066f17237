//! The engine's one decision: from what the ledger says about a resource and what AWS shows,
//! the next thing to do. Pure: no AWS, no I/O, no clock. A step asks it (through
//! [`super::ensure`]) until the answer is a resource to use or a reason to stop.
//!
//! The rules, whatever the kind:
//! - no ledger entry → create (nothing of ours can exist, so a fresh deploy makes no look-ups);
//! - intended → find by name and tag (the create may have run and its answer been lost);
//! - present → get (by id; by name where names are not unique, to see twins too);
//! - gone → create again; being deleted → wait until gone, then create;
//! - "already exists", or a create that may have run → find by name and tag: adopt it if ours,
//!   otherwise stop, use it, or take another name, as the kind says;
//! - several of ours under one name (twins) → keep the ledger's, delete the others.

/// What the ledger says about a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger<'a> {
    /// No entry: this deployment never sent a create for it.
    None,
    /// A create was sent (or about to be) and its answer was never recorded.
    Intended,
    /// It existed at the last run, under this id; `ours` when this deployment created it.
    Present { id: &'a str, ours: bool },
    /// A cleanup deleted it.
    Deleted,
}

/// Whose a resource found in AWS is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Tagged with this deployment's id, or inside a resource that is.
    Us,
    /// Carries no deployment tag.
    Untagged,
    /// Tagged by another deployment, or someone else's.
    Other,
}

/// One resource a look-up by name found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub id: String,
    pub owner: Owner,
    /// The service is deleting it.
    pub deleting: bool,
}

/// What AWS showed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Nothing looked at yet.
    NotLooked,
    /// The ledger's resource exists (looked up by its id).
    Exists { id: String, deleting: bool },
    /// Nothing of that id or name.
    Missing,
    /// Every resource of the name (more than one only where names are not unique).
    Named(Vec<Seen>),
    /// The create was refused: the name is taken.
    Taken,
    /// The create failed in a way that may have run: its answer was lost.
    Unsure,
}

/// What a resource of the deployment's name that is not the deployment's means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// Someone else has the name: stop and say so.
    Stop,
    /// Use it as it is (a role or bucket the config names); cleanup keeps it.
    Use,
    /// Take the next candidate name (a Cognito domain prefix).
    Rename,
}

/// How a kind of resource behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// The service keeps names unique. Where it does not, twins are possible, and a resource the
    /// ledger records is looked up by name too, so that twins are seen.
    pub unique_names: bool,
    /// Look before the first create: the create would succeed on an existing resource (S3 in
    /// us-east-1 answers 200 for a bucket the account owns).
    pub look_first: bool,
    /// What a resource of the deployment's name that carries no deployment tag means.
    pub untagged: Foreign,
    /// What one that is another deployment's (or someone else's) means.
    pub others: Foreign,
    /// The deployment tag is set in a call after the create (S3), so a resource this deployment
    /// intended may not carry it yet.
    pub tagged_after_create: bool,
}

impl Rules {
    /// Names the service keeps unique; a same-named resource that is not ours means `foreign`.
    pub const fn unique(foreign: Foreign) -> Self {
        Self {
            unique_names: true,
            look_first: false,
            untagged: foreign,
            others: foreign,
            tagged_after_create: false,
        }
    }

    /// Names the service does not keep unique: a create sent twice makes a twin.
    pub const SHARED: Self = Self {
        unique_names: false,
        ..Self::unique(Foreign::Stop)
    };
}

impl Seen {
    pub fn new(id: impl Into<String>, owner: Owner) -> Self {
        Self {
            id: id.into(),
            owner,
            deleting: false,
        }
    }
}

/// Why a step cannot go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// A resource of the deployment's name belongs to someone else.
    Foreign { id: String },
    /// A resource the deployment used but did not create is gone; it is not ours to re-create.
    UsedIsGone,
}

/// How to look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    ById(String),
    ByName,
}

/// The next thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Look(Look),
    /// Send the create.
    Create,
    /// The ledger's resource exists: keep it, and delete these twins.
    Keep {
        id: String,
        twins: Vec<String>,
    },
    /// Ours, but not (or no longer) the one the ledger records: record it, and delete these twins.
    Adopt {
        id: String,
        twins: Vec<String>,
    },
    /// Not ours; used as it is and kept on cleanup.
    Use {
        id: String,
    },
    /// The name is someone else's: try the next candidate name.
    Rename,
    /// Being deleted: wait until it is gone, then look again.
    AwaitGone {
        id: String,
    },
    Stop(Stop),
}

/// The next action for a resource of a kind with `rules`.
pub fn reconcile(rules: Rules, ledger: Ledger<'_>, observed: &Observed) -> Action {
    match observed {
        Observed::NotLooked => match ledger {
            Ledger::None | Ledger::Deleted if rules.look_first => Action::Look(Look::ByName),
            Ledger::None | Ledger::Deleted => Action::Create,
            Ledger::Present { id, .. } if rules.unique_names => Action::Look(Look::ById(id.to_string())),
            Ledger::Intended | Ledger::Present { .. } => Action::Look(Look::ByName),
        },
        Observed::Taken | Observed::Unsure => Action::Look(Look::ByName),
        Observed::Exists { id, deleting: true } => Action::AwaitGone { id: id.clone() },
        Observed::Exists { id, deleting: false } => Action::Keep {
            id: id.clone(),
            twins: Vec::new(),
        },
        Observed::Missing => missing(ledger),
        Observed::Named(seen) => named(rules, ledger, seen),
    }
}

/// Nothing there: create it, unless it was somebody else's to begin with.
fn missing(ledger: Ledger<'_>) -> Action {
    match ledger {
        Ledger::Present { ours: false, .. } => Action::Stop(Stop::UsedIsGone),
        _ => Action::Create,
    }
}

fn named(rules: Rules, ledger: Ledger<'_>, seen: &[Seen]) -> Action {
    let recorded = match ledger {
        Ledger::Present { id, .. } => Some(id),
        _ => None,
    };
    let ours = |s: &Seen| {
        s.owner == Owner::Us
            || (rules.tagged_after_create && ledger == Ledger::Intended && s.owner == Owner::Untagged)
    };
    let keep = seen
        .iter()
        .find(|s| Some(s.id.as_str()) == recorded)
        .or_else(|| seen.iter().find(|s| ours(s)));
    if let Some(keep) = keep {
        if keep.deleting {
            return Action::AwaitGone { id: keep.id.clone() };
        }
        let twins: Vec<String> = seen
            .iter()
            .filter(|s| s.id != keep.id && s.owner == Owner::Us && !s.deleting)
            .map(|s| s.id.clone())
            .collect();
        let id = keep.id.clone();
        return if Some(keep.id.as_str()) == recorded {
            Action::Keep { id, twins }
        } else {
            Action::Adopt { id, twins }
        };
    }
    // Nothing of ours under that name. Where names are not unique, others' are no concern.
    let Some(other) = seen.first().filter(|_| rules.unique_names) else {
        return missing(ledger);
    };
    if other.deleting {
        return Action::AwaitGone { id: other.id.clone() };
    }
    let rule = if other.owner == Owner::Untagged {
        rules.untagged
    } else {
        rules.others
    };
    match rule {
        Foreign::Stop => Action::Stop(Stop::Foreign { id: other.id.clone() }),
        Foreign::Use => Action::Use { id: other.id.clone() },
        Foreign::Rename => Action::Rename,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNIQUE: Rules = Rules::unique(Foreign::Stop);
    const SHARED: Rules = Rules::SHARED;
    const USE: Rules = Rules::unique(Foreign::Use);
    const BUCKET: Rules = Rules {
        look_first: true,
        tagged_after_create: true,
        ..USE
    };
    const DOMAIN: Rules = Rules {
        untagged: Foreign::Use,
        others: Foreign::Rename,
        ..UNIQUE
    };

    fn seen(id: &str, owner: Owner) -> Seen {
        Seen::new(id, owner)
    }

    fn present(id: &str) -> Ledger<'_> {
        Ledger::Present { id, ours: true }
    }

    fn keep(id: &str, twins: &[&str]) -> Action {
        Action::Keep {
            id: id.into(),
            twins: twins.iter().map(ToString::to_string).collect(),
        }
    }

    fn adopt(id: &str, twins: &[&str]) -> Action {
        Action::Adopt {
            id: id.into(),
            twins: twins.iter().map(ToString::to_string).collect(),
        }
    }

    fn named(items: &[Seen]) -> Observed {
        Observed::Named(items.to_vec())
    }

    /// Every branch, as a table: (case, rules, ledger, observed, expected action).
    #[test]
    fn every_branch() {
        use Owner::{Other, Untagged, Us};
        let deleting = Seen {
            deleting: true,
            ..seen("p1", Us)
        };
        let cases: Vec<(&str, Rules, Ledger<'_>, Observed, Action)> = vec![
            // Nothing looked at yet: what to look at first.
            (
                "fresh: create without a look-up",
                UNIQUE,
                Ledger::None,
                Observed::NotLooked,
                Action::Create,
            ),
            (
                "fresh, create would succeed on an existing one: look first",
                BUCKET,
                Ledger::None,
                Observed::NotLooked,
                Action::Look(Look::ByName),
            ),
            (
                "deleted by cleanup: create again",
                UNIQUE,
                Ledger::Deleted,
                Observed::NotLooked,
                Action::Create,
            ),
            (
                "intended: find by name and tag",
                UNIQUE,
                Ledger::Intended,
                Observed::NotLooked,
                Action::Look(Look::ByName),
            ),
            (
                "present, unique names: get by id",
                UNIQUE,
                present("p1"),
                Observed::NotLooked,
                Action::Look(Look::ById("p1".into())),
            ),
            (
                "present, shared names: look by name to see twins",
                SHARED,
                present("p1"),
                Observed::NotLooked,
                Action::Look(Look::ByName),
            ),
            // What a look by id showed.
            (
                "present and there: keep",
                UNIQUE,
                present("p1"),
                Observed::Exists {
                    id: "p1".into(),
                    deleting: false,
                },
                keep("p1", &[]),
            ),
            (
                "present and being deleted: wait",
                UNIQUE,
                present("p1"),
                Observed::Exists {
                    id: "p1".into(),
                    deleting: true,
                },
                Action::AwaitGone { id: "p1".into() },
            ),
            (
                "present, ours, gone: create again",
                UNIQUE,
                present("p1"),
                Observed::Missing,
                Action::Create,
            ),
            (
                "present, not ours, gone: stop",
                USE,
                Ledger::Present { id: "r", ours: false },
                Observed::Missing,
                Action::Stop(Stop::UsedIsGone),
            ),
            (
                "intended, nothing found: create",
                UNIQUE,
                Ledger::Intended,
                Observed::Missing,
                Action::Create,
            ),
            // A create that failed.
            (
                "name taken: look by name",
                UNIQUE,
                Ledger::Intended,
                Observed::Taken,
                Action::Look(Look::ByName),
            ),
            (
                "answer lost: look by name",
                SHARED,
                Ledger::Intended,
                Observed::Unsure,
                Action::Look(Look::ByName),
            ),
            // What a look by name showed.
            (
                "intended, ours found: adopt",
                UNIQUE,
                Ledger::Intended,
                named(&[seen("p1", Us)]),
                adopt("p1", &[]),
            ),
            (
                "intended, ours twice: adopt one, delete the twin",
                SHARED,
                Ledger::Intended,
                named(&[seen("p1", Us), seen("p2", Us)]),
                adopt("p1", &["p2"]),
            ),
            (
                "present, twin beside it: keep the ledger's, delete the twin",
                SHARED,
                present("p2"),
                named(&[seen("p1", Us), seen("p2", Us)]),
                keep("p2", &["p1"]),
            ),
            (
                "present, only a twin left: adopt the twin",
                SHARED,
                present("p9"),
                named(&[seen("p1", Us)]),
                adopt("p1", &[]),
            ),
            (
                "present, ours with the same name tagged elsewhere: keep, never touch it",
                SHARED,
                present("p1"),
                named(&[seen("p1", Us), seen("p2", Other), seen("p3", Untagged)]),
                keep("p1", &[]),
            ),
            (
                "shared names, only others': create",
                SHARED,
                Ledger::Intended,
                named(&[seen("x", Other), seen("y", Untagged)]),
                Action::Create,
            ),
            (
                "unique name, someone else's: stop",
                UNIQUE,
                Ledger::Intended,
                named(&[seen("x", Other)]),
                Action::Stop(Stop::Foreign { id: "x".into() }),
            ),
            (
                "unique name, untagged: stop",
                UNIQUE,
                Ledger::None,
                named(&[seen("x", Untagged)]),
                Action::Stop(Stop::Foreign { id: "x".into() }),
            ),
            (
                "unique name, someone else's, usable: use it",
                USE,
                Ledger::None,
                named(&[seen("x", Untagged)]),
                Action::Use { id: "x".into() },
            ),
            (
                "unique name, another pool's domain: rename",
                DOMAIN,
                Ledger::Intended,
                named(&[seen("d", Other)]),
                Action::Rename,
            ),
            (
                "unique name, the used pool's own domain: use it",
                DOMAIN,
                Ledger::None,
                named(&[seen("d", Untagged)]),
                Action::Use { id: "d".into() },
            ),
            (
                "tagged after create, intended, untagged: ours (the tag was next)",
                BUCKET,
                Ledger::Intended,
                named(&[seen("b", Untagged)]),
                adopt("b", &[]),
            ),
            (
                "tagged after create, never sent, untagged: use it",
                BUCKET,
                Ledger::None,
                named(&[seen("b", Untagged)]),
                Action::Use { id: "b".into() },
            ),
            (
                "found and being deleted: wait",
                SHARED,
                Ledger::Intended,
                named(std::slice::from_ref(&deleting)),
                Action::AwaitGone { id: "p1".into() },
            ),
            (
                "someone else's, being deleted: wait, then the name is free",
                UNIQUE,
                Ledger::None,
                named(&[Seen {
                    owner: Other,
                    ..deleting.clone()
                }]),
                Action::AwaitGone { id: "p1".into() },
            ),
            (
                "a twin being deleted is no twin",
                SHARED,
                present("p2"),
                named(&[deleting, seen("p2", Us)]),
                keep("p2", &[]),
            ),
            (
                "present but used, found by name: keep",
                USE,
                Ledger::Present { id: "r", ours: false },
                named(&[seen("r", Untagged)]),
                keep("r", &[]),
            ),
            (
                "nothing named so: create",
                UNIQUE,
                Ledger::Intended,
                named(&[]),
                Action::Create,
            ),
        ];
        for (case, rules, ledger, observed, expected) in cases {
            assert_eq!(reconcile(rules, ledger, &observed), expected, "{case}");
        }
    }

    /// Whatever the ledger says, a look-up that found only others' resources never adopts one.
    #[test]
    fn never_adopts_what_is_not_ours() {
        for rules in [UNIQUE, SHARED, USE, BUCKET, DOMAIN] {
            for ledger in [Ledger::None, Ledger::Intended, Ledger::Deleted, present("p9")] {
                let observed = named(&[seen("x", Owner::Other)]);
                assert!(
                    !matches!(
                        reconcile(rules, ledger, &observed),
                        Action::Adopt { .. } | Action::Keep { .. }
                    ),
                    "{rules:?} {ledger:?}"
                );
            }
        }
    }
}

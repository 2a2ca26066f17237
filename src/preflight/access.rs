//! Can a user read a file? For the current user the answer is an attempt to open it; for another
//! user (`--run-as`) it is worked out from `/etc/passwd`, `/etc/group` and the mode bits of the file
//! and of every folder on its path, the way the kernel decides (owner bits, else group bits, else
//! the rest; root reads everything). ACLs and capabilities are not considered.
//!
//! Parsing the account files and judging mode bits is pure; only [`check`] touches the disk.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{Access, RunAs};

/// Who a process runs as: user id, primary group, and every group it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

/// A user found in the account files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub identity: Identity,
    pub group_name: Option<String>,
}

/// The text of `/etc/passwd` and `/etc/group` (empty when unreadable).
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    pub passwd: String,
    pub group: String,
}

impl Accounts {
    pub fn read() -> Self {
        Self {
            passwd: std::fs::read_to_string("/etc/passwd").unwrap_or_default(),
            group: std::fs::read_to_string("/etc/group").unwrap_or_default(),
        }
    }

    /// The user called `name`, with the groups that list it as a member.
    pub fn user(&self, name: &str) -> Option<User> {
        let fields = rows(&self.passwd).find(|f| f.first() == Some(&name))?;
        let uid = fields.get(2)?.parse().ok()?;
        let gid = fields.get(3)?.parse().ok()?;
        let mut groups = vec![gid];
        for row in rows(&self.group) {
            let members = row.get(3).copied().unwrap_or_default();
            if members.split(',').any(|m| m == name)
                && let Some(g) = row.get(2).and_then(|g| g.parse().ok())
            {
                groups.push(g);
            }
        }
        Some(User {
            name: name.to_string(),
            identity: Identity { uid, gid, groups },
            group_name: self.group_name(gid),
        })
    }

    /// The current process's user, from `/proc/self/status` (effective ids and groups).
    pub fn current(&self, status: &str) -> Option<User> {
        let ids = |key: &str| -> Vec<u32> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|rest| rest.split_whitespace().filter_map(|v| v.parse().ok()).collect())
                .unwrap_or_default()
        };
        let uid = *ids("Uid:").get(1)?;
        let gid = *ids("Gid:").get(1)?;
        let mut groups = ids("Groups:");
        groups.push(gid);
        Some(User {
            name: self.user_name(uid).unwrap_or_else(|| format!("uid {uid}")),
            identity: Identity { uid, gid, groups },
            group_name: self.group_name(gid),
        })
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        name_by_id(&self.passwd, uid)
    }

    fn group_name(&self, gid: u32) -> Option<String> {
        name_by_id(&self.group, gid)
    }

    /// `user:group` for ids, as names where the account files have them.
    fn owner(&self, uid: u32, gid: u32) -> String {
        let user = self.user_name(uid).unwrap_or_else(|| uid.to_string());
        let group = self.group_name(gid).unwrap_or_else(|| gid.to_string());
        format!("{user}:{group}")
    }
}

fn rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(':').collect())
}

fn name_by_id(text: &str, id: u32) -> Option<String> {
    rows(text)
        .find(|f| f.get(2).and_then(|v| v.parse::<u32>().ok()) == Some(id))
        .and_then(|f| f.first().map(|n| (*n).to_string()))
}

/// The mode bit a user needs: 4 (read) on the file, 1 (enter) on each folder.
const READ: u32 = 0o4;
const ENTER: u32 = 0o1;

/// Whether `who` has `bit` on an object with `mode` owned by `uid:gid`: the owner's bits for the
/// owner, the group's for a member, the rest's otherwise. Root passes.
pub fn allows(mode: u32, uid: u32, gid: u32, who: &Identity, bit: u32) -> bool {
    if who.uid == 0 {
        return true;
    }
    let shift = if who.uid == uid {
        6
    } else if who.groups.contains(&gid) {
        3
    } else {
        0
    };
    (mode >> shift) & bit != 0
}

/// The [`RunAs`] fact for a user (or an unknown `--run-as` name).
pub fn run_as_fact(name: &str, user: Option<&User>) -> RunAs {
    RunAs {
        name: user.map_or_else(|| name.to_string(), |u| u.name.clone()),
        found: user.is_some(),
        group: user.and_then(|u| u.group_name.clone()),
    }
}

/// Can `user` read `path`? `as_current`: the user is the one this process runs as, so an attempt
/// to open the file answers it (ACLs included).
pub fn check(path: &Path, user: Option<&User>, as_current: bool, accounts: &Accounts) -> Access {
    if as_current {
        return match std::fs::File::open(path) {
            Ok(_) => Access::Readable,
            Err(e) if e.kind() == ErrorKind::NotFound => Access::Missing,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => match user {
                Some(u) => match by_modes(path, u, accounts) {
                    denied @ Access::Denied { .. } => denied,
                    _ => denied_by(path, e.to_string()),
                },
                None => denied_by(path, e.to_string()),
            },
            Err(e) => Access::Unknown {
                reason: e.to_string(),
            },
        };
    }
    match user {
        Some(u) => by_modes(path, u, accounts),
        None => Access::Unknown {
            reason: "the user is not in /etc/passwd".into(),
        },
    }
}

fn denied_by(path: &Path, reason: String) -> Access {
    Access::Denied {
        blocked_by: path.to_path_buf(),
        reason,
    }
}

#[cfg(unix)]
fn by_modes(path: &Path, user: &User, accounts: &Accounts) -> Access {
    use std::os::unix::fs::MetadataExt;
    let who = &user.identity;
    for dir in folders(path) {
        let Ok(d) = std::fs::metadata(&dir) else {
            continue;
        };
        if !allows(d.mode(), d.uid(), d.gid(), who, ENTER) {
            let reason = format!(
                "it cannot enter {} (mode {:04o}, owner {})",
                dir.display(),
                d.mode() & 0o7777,
                accounts.owner(d.uid(), d.gid())
            );
            return Access::Denied {
                blocked_by: dir,
                reason,
            };
        }
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Access::Missing,
        Err(e) => {
            return Access::Unknown {
                reason: format!("cannot inspect it as the current user ({e})"),
            };
        }
    };
    if allows(meta.mode(), meta.uid(), meta.gid(), who, READ) {
        Access::Readable
    } else {
        denied_by(
            path,
            format!(
                "mode {:04o}, owner {}",
                meta.mode() & 0o7777,
                accounts.owner(meta.uid(), meta.gid())
            ),
        )
    }
}

#[cfg(not(unix))]
fn by_modes(_path: &Path, _user: &User, _accounts: &Accounts) -> Access {
    Access::Unknown {
        reason: "file modes are a Unix notion".into(),
    }
}

/// Every folder the kernel walks to reach `path`: the ancestors of the path as written (made
/// absolute) and of the real path behind any symbolic links, from the root down.
fn folders(path: &Path) -> Vec<PathBuf> {
    let absolute = std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path));
    let mut out: Vec<PathBuf> = Vec::new();
    for p in [Some(absolute), std::fs::canonicalize(path).ok()]
        .into_iter()
        .flatten()
    {
        let mut chain: Vec<PathBuf> = p.ancestors().skip(1).map(Path::to_path_buf).collect();
        chain.reverse();
        for dir in chain {
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                          www:x:33:33:www-data:/var/www:/usr/sbin/nologin\n\
                          sre:x:1001:1001::/home/sre:/bin/bash\n";
    const GROUP: &str = "root:x:0:\nwww:x:33:\nsre:x:1001:\nssl-cert:x:110:sre,www\n";

    fn accounts() -> Accounts {
        Accounts {
            passwd: PASSWD.into(),
            group: GROUP.into(),
        }
    }

    #[test]
    fn users_come_with_their_groups() {
        let sre = accounts().user("sre").expect("sre");
        assert_eq!(
            sre.identity,
            Identity {
                uid: 1001,
                gid: 1001,
                groups: vec![1001, 110]
            }
        );
        assert_eq!(sre.group_name.as_deref(), Some("sre"));
        assert!(accounts().user("nobody").is_none());
    }

    #[test]
    fn current_user_comes_from_proc_status() {
        let status = "Name:\tx\nUid:\t1001\t1001\t1001\t1001\nGid:\t1001\t1001\t1001\t1001\nGroups:\t110 \n";
        let me = accounts().current(status).expect("parsed");
        assert_eq!(me.name, "sre");
        assert_eq!(me.identity.groups, vec![110, 1001]);
        assert!(accounts().current("Name:\tx\n").is_none());
    }

    #[test]
    fn mode_bits_follow_owner_then_group_then_others() {
        let sre = accounts().user("sre").expect("sre").identity;
        let www = accounts().user("www").expect("www").identity;
        // A key owned by root:ssl-cert, 0640: members of ssl-cert read it, others do not.
        assert!(allows(0o640, 0, 110, &sre, READ));
        assert!(!allows(0o600, 0, 110, &sre, READ));
        assert!(!allows(0o640, 0, 0, &www, READ));
        // The owner gets the owner's bits only, even when the group's would allow it.
        assert!(!allows(0o040, 1001, 1001, &sre, READ));
        // Folders need the enter bit.
        assert!(!allows(0o700, 0, 0, &sre, ENTER));
        assert!(allows(0o711, 0, 0, &sre, ENTER));
        // Root reads everything.
        assert!(allows(
            0o000,
            5,
            5,
            &Identity {
                uid: 0,
                gid: 0,
                groups: vec![]
            },
            READ
        ));
    }

    #[test]
    fn unknown_run_as_user_is_reported_as_not_found() {
        let fact = run_as_fact("ghost", None);
        assert!(!fact.found);
        assert_eq!(fact.name, "ghost");
    }
}

//! The user's refs, kept safe from agents: a snapshot of the repository's refs before each turn,
//! compared after it. A ref of the user's that moved, appeared or vanished is put back, and the
//! caller raises a `ref_moved` alert naming it with its old and new ids.
//!
//! Not checked: agents' own branches (`refs/heads/baton/...` and any branch of an agent's
//! worktree), Baton's hidden refs (`refs/baton/...`), and remote-tracking refs (a fetch moves
//! them, nothing of the user's is lost, and the next fetch sets them anyway). A ref Baton moved
//! itself (a merge) is recognised by its reflog message, `baton: ...`, and kept.

use std::collections::BTreeMap;
use std::path::Path;

use crate::worktree::{WorktreeError, git_ok};

/// The reflog message of Baton's own ref updates (merges, restores).
const BATON_REFLOG: &str = "baton:";

/// Refs and the ids they point to.
pub(crate) type Refs = BTreeMap<String, String>;

/// One ref that changed during a turn, and what was done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RefChange {
    pub name: String,
    /// `None`: it did not exist before the turn (created).
    pub old: Option<String>,
    /// `None`: it was deleted.
    pub new: Option<String>,
    /// Put back as it was; `Err` says why it could not be.
    pub restored: Result<(), String>,
}

/// Whether `name` is a ref the check guards. `agent_branches` are the branches of agents'
/// worktrees (which need not be under `baton/` when a session chose another pattern).
pub(crate) fn guarded(name: &str, agent_branches: &[String]) -> bool {
    let own = name.starts_with("refs/heads/baton/")
        || name.starts_with("refs/baton/")
        || name.starts_with("refs/remotes/")
        || agent_branches.iter().any(|b| name.strip_prefix("refs/heads/") == Some(b.as_str()));
    !own && name.starts_with("refs/")
}

/// The repository's guarded refs now.
pub(crate) fn refs_read(repo: &Path, agent_branches: &[String]) -> Result<Refs, WorktreeError> {
    let out = git_ok(repo, ["for-each-ref", "--format=%(objectname) %(refname)"])?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, name)| guarded(name, agent_branches))
        .map(|(id, name)| (name.to_owned(), id.to_owned()))
        .collect())
}

/// The changes from `before` to `now`, less those Baton made itself.
pub(crate) fn refs_changed(before: &Refs, now: &Refs, baton_moved: impl Fn(&str, &str) -> bool) -> Vec<RefChange> {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> = before.keys().chain(now.keys()).collect();
    for name in names {
        let (old, new) = (before.get(name), now.get(name));
        if old == new || new.is_some_and(|n| baton_moved(name, n)) {
            continue;
        }
        out.push(RefChange { name: name.clone(), old: old.cloned(), new: new.cloned(), restored: Ok(()) });
    }
    out
}

/// Whether the newest entry of `name`'s reflog is Baton's own and set it to `id`.
pub(crate) fn baton_moved(common_dir: &Path, name: &str, id: &str) -> bool {
    let Ok(log) = std::fs::read_to_string(common_dir.join("logs").join(name)) else { return false };
    let Some(last) = log.lines().last() else { return false };
    let Some((head, message)) = last.split_once('\t') else { return false };
    head.split(' ').nth(1) == Some(id) && message.starts_with(BATON_REFLOG)
}

/// Puts `change`'s ref back as it was before the turn, only if it is still where the check saw
/// it (compare-and-swap, as merges do).
pub(crate) fn ref_restore(repo: &Path, change: &RefChange, agent: &str) -> Result<(), String> {
    let message = format!("{BATON_REFLOG} restored after agent {agent} moved it");
    let result = match (&change.old, &change.new) {
        (Some(old), Some(new)) => git_ok(repo, ["update-ref", "-m", &message, &change.name, old, new]),
        (Some(old), None) => git_ok(repo, ["update-ref", "-m", &message, &change.name, old, ""]),
        (None, Some(new)) => git_ok(repo, ["update-ref", "-d", &change.name, new]),
        (None, None) => return Ok(()),
    };
    result.map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(pairs: &[(&str, &str)]) -> Refs {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn agents_branches_hidden_and_remote_refs_are_not_guarded() {
        let agents = vec!["feature/dev".to_owned()];
        assert!(guarded("refs/heads/main", &agents));
        assert!(guarded("refs/tags/v1", &agents));
        assert!(guarded("refs/stash", &agents));
        assert!(!guarded("refs/heads/baton/s/dev", &agents));
        assert!(!guarded("refs/heads/feature/dev", &agents));
        assert!(!guarded("refs/baton/checkpoints/agt_1/3", &agents));
        assert!(!guarded("refs/remotes/origin/main", &agents));
    }

    #[test]
    fn moved_created_and_deleted_refs_are_found_and_batons_own_moves_kept() {
        let before = refs(&[("refs/heads/main", "a"), ("refs/heads/old", "b"), ("refs/heads/merged", "c")]);
        let now = refs(&[("refs/heads/main", "z"), ("refs/heads/new", "n"), ("refs/heads/merged", "d")]);
        let changes = refs_changed(&before, &now, |name, id| name == "refs/heads/merged" && id == "d");
        let seen: Vec<(&str, Option<&str>, Option<&str>)> =
            changes.iter().map(|c| (c.name.as_str(), c.old.as_deref(), c.new.as_deref())).collect();
        assert_eq!(
            seen,
            [
                ("refs/heads/main", Some("a"), Some("z")),
                ("refs/heads/new", None, Some("n")),
                ("refs/heads/old", Some("b"), None)
            ]
        );
    }
}

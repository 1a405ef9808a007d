//! The whole state of a worktree as one git tree, and checkpoints built on it.
//!
//! What an agent produced is its branch's commits plus what it left uncommitted: a snapshot
//! tree holds both (committed, staged, unstaged and untracked files; ignored ones excluded), so
//! diff, merge and checkpoints see the same thing. Snapshots are made with a temporary index, so
//! the index the agent sees and its branch's history are never touched.
//!
//! Checkpoints are commits of a snapshot on hidden refs `refs/baton/checkpoints/<agent>/<n>`,
//! parented on the branch's head at the time; refs outside `refs/heads` are shared by all
//! worktrees of a repository and kept by `git gc`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{WorktreeError, commit_of, git_env_ok, git_line, git_ok, repo_write_lock};
use crate::time;

/// Where checkpoint refs live.
const CHECKPOINT_REFS: &str = "refs/baton/checkpoints";

/// A saved state of an agent's worktree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// 1, 2, 3... per agent.
    pub n: u32,
    pub commit: String,
    /// What made it, e.g. "after turn 3".
    pub message: String,
    /// RFC 3339.
    pub created_at: String,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub restored: Checkpoint,
    /// The state just before the restore, saved as a checkpoint so the restore can be undone;
    /// `None` when it equalled the last checkpoint.
    pub saved: Option<Checkpoint>,
}

/// The file name, in a worktree's own git folder, of the index Baton's snapshots keep.
const SNAPSHOT_INDEX: &str = "baton-snapshot-index";

/// A tree of everything in the worktree at `path` now, uncommitted and untracked files included.
///
/// Built in an index of Baton's own, kept in the worktree's git folder from one snapshot to the
/// next (seeded from a copy of the agent's index): each `git add -A` rewrites it, so its stat
/// cache stays newer than the files and the next snapshot hashes only what changed. (A fresh
/// copy of a just-checked-out index would have git hash every file again, each time.) One
/// snapshot of a worktree at a time: they share that index.
pub fn worktree_tree(path: &Path) -> Result<String, WorktreeError> {
    // Keyed by the worktree, not its repository: callers may hold the repository's lock.
    let _guard = repo_write_lock(path);
    let real = PathBuf::from(git_line(path, ["rev-parse", "--path-format=absolute", "--git-path", "index"])?);
    let index = real.with_file_name(SNAPSHOT_INDEX);
    match snapshot_in(path, &index) {
        Ok(tree) => Ok(tree),
        // A daemon killed mid-snapshot can leave the index or its lock file broken: it is only a
        // cache, so start it afresh once.
        Err(_) => {
            let _ = std::fs::remove_file(&index);
            let _ = std::fs::remove_file(index.with_file_name(format!("{SNAPSHOT_INDEX}.lock")));
            snapshot_in(path, &index)
        }
    }
}

fn snapshot_in(path: &Path, index: &Path) -> Result<String, WorktreeError> {
    if !index.exists() {
        let seed = TempIndex::new(path)?;
        std::fs::rename(&seed.path, index)
            .map_err(|source| WorktreeError::Io { what: format!("create {}", index.display()), source })?;
    }
    let env = [("GIT_INDEX_FILE", index.as_os_str())];
    git_env_ok(path, ["add", "-A", "--", "."], &env)?;
    git_env_ok(path, ["write-tree"], &env).map(|out| String::from_utf8_lossy(&out).trim().to_owned())
}

/// A copy of the worktree's index in its git folder (a copy keeps the index's file stat cache, so
/// `git add -A` reads only changed files), removed when dropped.
struct TempIndex {
    path: PathBuf,
}

impl TempIndex {
    fn new(worktree: &Path) -> Result<Self, WorktreeError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let real = PathBuf::from(git_line(worktree, ["rev-parse", "--path-format=absolute", "--git-path", "index"])?);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = real.with_file_name(format!("baton-index-{}-{n}", std::process::id()));
        let copied = match std::fs::copy(&real, &path) {
            // The copy keeps the index's time: git trusts a file's cached stat data only when the
            // file is older than the index ("racy git"); a copy made now would make an edit of the
            // same size in the same second as the index look unchanged.
            Ok(_) => {
                let mtime = std::fs::metadata(&real).and_then(|m| m.modified());
                let set = mtime.and_then(|t| std::fs::File::options().write(true).open(&path)?.set_modified(t));
                if let Err(source) = set {
                    let _ = std::fs::remove_file(&path);
                    return Err(WorktreeError::Io { what: format!("copy {}", real.display()), source });
                }
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(source) => return Err(WorktreeError::Io { what: format!("copy {}", real.display()), source }),
        };
        let index = Self { path };
        if !copied {
            git_env_ok(worktree, ["read-tree", "HEAD"], &[("GIT_INDEX_FILE", index.path.as_os_str())])?;
        }
        Ok(index)
    }
}

impl Drop for TempIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The checkpoints of `agent_id`, oldest first.
pub fn checkpoint_list(repo: &Path, agent_id: &str) -> Result<Vec<Checkpoint>, WorktreeError> {
    let prefix = format!("{CHECKPOINT_REFS}/{agent_id}/");
    let format = "--format=%(refname)%00%(objectname)%00%(creatordate:unix)%00%(contents:subject)";
    let out = git_ok(repo, ["for-each-ref", format, &prefix])?;
    let mut list: Vec<Checkpoint> = String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|line| {
            let mut f = line.split('\0');
            let n = f.next()?.strip_prefix(&prefix)?.parse().ok()?;
            let commit = f.next()?.to_owned();
            let secs: i64 = f.next()?.parse().unwrap_or(0);
            let message = f.next().unwrap_or_default().to_owned();
            Some(Checkpoint { n, commit, message, created_at: time::ms_to_rfc3339(secs * 1000) })
        })
        .collect();
    list.sort_by_key(|c| c.n);
    Ok(list)
}

/// Saves the worktree's state as the agent's next checkpoint, unless it equals the last one (or,
/// with none yet, the commit the branch started at). Never touches the branch or the index.
pub fn checkpoint_save(
    repo: &Path,
    worktree: &Path,
    agent_id: &str,
    base_commit: &str,
    message: &str,
) -> Result<Option<Checkpoint>, WorktreeError> {
    // One writer at a time: two saves must not pick the same number.
    let _guard = repo_write_lock(repo);
    let tree = worktree_tree(worktree)?;
    let last = checkpoint_list(repo, agent_id)?.pop();
    let previous = last.as_ref().map_or(base_commit, |c| c.commit.as_str());
    if !previous.is_empty() && git_line(repo, ["rev-parse", &format!("{previous}^{{tree}}")])? == tree {
        return Ok(None);
    }
    let head = commit_of(worktree, "HEAD")?.ok_or_else(|| WorktreeError::NotAWorktree(worktree.to_owned()))?;
    let identity: Vec<(&str, &OsStr)> = vec![
        ("GIT_AUTHOR_NAME", "Baton".as_ref()),
        ("GIT_AUTHOR_EMAIL", "baton@localhost".as_ref()),
        ("GIT_COMMITTER_NAME", "Baton".as_ref()),
        ("GIT_COMMITTER_EMAIL", "baton@localhost".as_ref()),
    ];
    let commit = String::from_utf8_lossy(&git_env_ok(
        worktree,
        ["commit-tree", tree.as_str(), "-p", head.as_str(), "-m", message],
        &identity,
    )?)
    .trim()
    .to_owned();
    let n = last.map_or(1, |c| c.n + 1);
    git_ok(repo, ["update-ref", &format!("{CHECKPOINT_REFS}/{agent_id}/{n}"), &commit, ""])?;
    Ok(Some(Checkpoint { n, commit, message: message.to_owned(), created_at: time::ms_to_rfc3339(time::now_ms()) }))
}

/// Makes the worktree's files those of checkpoint `n`: files the checkpoint lacks are removed,
/// its files written. The current state is saved as a checkpoint first, so nothing is lost. The
/// branch is not moved; the index is reset to the branch's head so `git status` shows the
/// restored files as changes. The agent must not be writing meanwhile (the caller pauses it).
pub fn checkpoint_restore(
    repo: &Path,
    worktree: &Path,
    agent_id: &str,
    base_commit: &str,
    n: u32,
) -> Result<RestoreReport, WorktreeError> {
    let target = checkpoint_list(repo, agent_id)?.into_iter().find(|c| c.n == n).ok_or_else(|| {
        WorktreeError::InvalidInput(format!("the agent has no checkpoint {n}; `baton checkpoints AGENT` lists them"))
    })?;
    let saved = checkpoint_save(repo, worktree, agent_id, base_commit, &format!("before restoring checkpoint {n}"))?;
    let _guard = repo_write_lock(repo);
    let current = worktree_tree(worktree)?;
    let target_tree = git_line(repo, ["rev-parse", &format!("{}^{{tree}}", target.commit)])?;

    // Files present now and absent from the checkpoint.
    let gone = git_ok(
        repo,
        ["diff-tree", "-r", "-z", "--no-renames", "--name-only", "--diff-filter=D", &current, &target_tree],
    )?;
    for rel in gone.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = String::from_utf8_lossy(rel).into_owned();
        let file = worktree.join(&rel);
        if let Err(source) = std::fs::remove_file(&file)
            && source.kind() != std::io::ErrorKind::NotFound
        {
            return Err(WorktreeError::Io { what: format!("remove {}", file.display()), source });
        }
        // Folders left empty go too, as a checkout would leave them.
        let mut dir = file.parent();
        while let Some(d) = dir.filter(|d| *d != worktree) {
            if std::fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }
    let index = TempIndex::new(worktree)?;
    let env = [("GIT_INDEX_FILE", index.path.as_os_str())];
    git_env_ok(worktree, ["read-tree", target_tree.as_str()], &env)?;
    git_env_ok(worktree, ["checkout-index", "-a", "-f"], &env)?;
    git_ok(worktree, ["reset", "-q"])?;
    Ok(RestoreReport { restored: target, saved })
}

/// Removes every checkpoint ref of the agent (its worktree and branch are gone for good).
pub fn checkpoints_delete(repo: &Path, agent_id: &str) -> Result<(), WorktreeError> {
    let _guard = repo_write_lock(repo);
    for c in checkpoint_list(repo, agent_id)? {
        git_ok(repo, ["update-ref", "-d", &format!("{CHECKPOINT_REFS}/{agent_id}/{}", c.n)])?;
    }
    Ok(())
}

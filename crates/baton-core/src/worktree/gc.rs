//! What garbage collection needs from git: whether a branch's work is all merged, deleting a
//! merged branch, pruning stale worktree records, and the disk used by worktrees.

use std::path::Path;

use super::{WorktreeError, commit_of, git_line, git_ok, repo_write_lock};

/// How many commits of `branch` are not in `into`. A branch merged by squash keeps commits git
/// does not see in the target: `merged_tip` (its tip when Baton merged it) counts as merged when
/// the branch has not moved since. A missing target counts every commit as unmerged.
pub fn branch_unmerged(repo: &Path, branch: &str, into: &str, merged_tip: Option<&str>) -> Result<u32, WorktreeError> {
    let Some(tip) = commit_of(repo, &format!("refs/heads/{branch}"))? else {
        return Ok(0);
    };
    if merged_tip == Some(tip.as_str()) {
        return Ok(0);
    }
    let Some(into_tip) = commit_of(repo, &format!("refs/heads/{into}"))?.or(commit_of(repo, into)?) else {
        return Ok(git_line(repo, ["rev-list", "--count", &tip])?.parse().unwrap_or(u32::MAX));
    };
    let mut range = vec![tip, format!("^{into_tip}")];
    if let Some(merged) = merged_tip.and_then(|m| commit_of(repo, m).ok().flatten()) {
        range.push(format!("^{merged}"));
    }
    let mut args = vec!["rev-list".to_owned(), "--count".to_owned()];
    args.extend(range);
    Ok(git_line(repo, &args)?.parse().unwrap_or(u32::MAX))
}

/// Whether `branch` still points at `tip` (nothing committed on it since). A branch already
/// gone counts as being there: its work is wherever it was merged.
pub fn branch_is_at(repo: &Path, branch: &str, tip: Option<&str>) -> Result<bool, WorktreeError> {
    let Some(tip) = tip else { return Ok(false) };
    Ok(commit_of(repo, &format!("refs/heads/{branch}"))?.is_none_or(|now| now == tip))
}

/// Deletes a branch whose work is merged (`git branch -D`: a squash merge is merged for Baton,
/// not for `git branch -d`). Callers check [`branch_unmerged`] first.
pub fn branch_delete(repo: &Path, branch: &str) -> Result<(), WorktreeError> {
    let _guard = repo_write_lock(repo);
    git_ok(repo, ["branch", "-D", "--", branch])?;
    Ok(())
}

/// Forgets worktrees whose folders are gone.
pub fn worktrees_prune(repo: &Path) -> Result<(), WorktreeError> {
    let _guard = repo_write_lock(repo);
    git_ok(repo, ["worktree", "prune"])?;
    Ok(())
}

/// Bytes used by the files under `dir` (symlinks not followed).
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

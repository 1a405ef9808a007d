//! Keeping an agent's branch current: its base branch brought into it, by rebase (the agent's
//! commits replayed on the base: a straight history, the default) or by merge (one merge commit:
//! the agent's commits keep their ids, which matters once the branch is pushed). It runs in the
//! agent's worktree, because a conflict has to be left where the user (or the agent) can resolve
//! it; so it refuses a worktree with uncommitted changes, and one already mid-rebase or mid-merge.
//! A conflict is reported with its files and left in progress, to resolve and continue, or to
//! abort ([`update_abort`]), which puts the branch back as it was.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{WorktreeError, commit_of, git, git_line, git_ok, identity_env, repo_write_lock};

/// How the base branch is brought into the agent's branch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMode {
    /// The agent's commits replayed on the base branch's tip (a straight history).
    #[default]
    Rebase,
    /// A merge commit bringing the base in (the agent's commits keep their ids).
    Merge,
}

impl UpdateMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rebase => "rebase",
            Self::Merge => "merge",
        }
    }
}

/// A request to bring the base branch into an agent's branch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateRequest {
    #[serde(default)]
    pub mode: UpdateMode,
}

/// Where an agent's branch stands against its base branch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BranchStatus {
    pub branch: String,
    pub base: String,
    /// Commits on the base branch that the agent's branch does not have.
    pub behind: u32,
    /// Commits on the agent's branch that the base branch does not have.
    pub ahead: u32,
    /// An update stopped on conflicts and not yet continued or aborted.
    pub in_progress: Option<UpdateMode>,
    /// Files with unresolved conflicts.
    pub conflicts: Vec<String>,
}

/// What an update from the base did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateReport {
    pub mode: UpdateMode,
    /// It completed: the branch now has all of the base.
    pub ok: bool,
    /// There was nothing to bring in.
    pub up_to_date: bool,
    /// Files that conflict: the worktree is left mid-update, to resolve or abort.
    pub conflicts: Vec<String>,
    /// The branch's tip afterwards.
    pub head: Option<String>,
    /// Where the branch stands now.
    pub status: BranchStatus,
}

/// `worktree`'s branch `branch` against `base`.
pub fn branch_status(worktree: &Path, branch: &str, base: &str) -> Result<BranchStatus, WorktreeError> {
    let counts = git_line(worktree, ["rev-list", "--left-right", "--count", &format!("{base}...HEAD")])?;
    let mut n = counts.split_whitespace().map(|c| c.parse::<u32>().unwrap_or(0));
    let (behind, ahead) = (n.next().unwrap_or(0), n.next().unwrap_or(0));
    Ok(BranchStatus {
        branch: branch.to_owned(),
        base: base.to_owned(),
        behind,
        ahead,
        in_progress: in_progress(worktree)?,
        conflicts: conflicted(worktree)?,
    })
}

/// Brings `base` into the branch checked out in `worktree` (of repository `repo`).
pub fn update_from_base(
    repo: &Path,
    worktree: &Path,
    branch: &str,
    base: &str,
    mode: UpdateMode,
) -> Result<UpdateReport, WorktreeError> {
    let _guard = repo_write_lock(repo);
    if commit_of(repo, &format!("refs/heads/{base}"))?.is_none() {
        return Err(WorktreeError::Refused(format!(
            "there is no branch {base:?} to update from; `git branch` lists them"
        )));
    }
    if let Some(running) = in_progress(worktree)? {
        return Err(WorktreeError::Refused(format!(
            "a {} is already in progress in {}; resolve its conflicts and continue it, or abort it first",
            running.as_str(),
            worktree.display()
        )));
    }
    let dirty = tracked_changes(worktree)?;
    if !dirty.is_empty() {
        return Err(WorktreeError::UpdateDirty { worktree: worktree.to_owned(), files: dirty });
    }
    let before = branch_status(worktree, branch, base)?;
    if before.behind == 0 {
        return Ok(UpdateReport {
            mode,
            ok: true,
            up_to_date: true,
            head: commit_of(worktree, "HEAD")?,
            status: before,
            ..UpdateReport::default()
        });
    }
    let mut env: Vec<(&str, &OsStr)> = identity_env(repo);
    // Never wait on an editor nobody sees.
    env.push(("GIT_EDITOR", OsStr::new("true")));
    let message = format!("Merge branch '{base}' into {branch}");
    let args: Vec<&str> = match mode {
        UpdateMode::Rebase => vec!["rebase", "--no-autostash", base],
        UpdateMode::Merge => vec!["merge", "--no-edit", "-m", &message, base],
    };
    let out = crate::git::git_command(Some(worktree))
        .args(&args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .map_err(|e| WorktreeError::GitMissing(e.to_string()))?;
    let conflicts = conflicted(worktree)?;
    if !out.status.success() && conflicts.is_empty() {
        // Failed for another reason (an untracked file in the way...): put everything back.
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if let Some(running) = in_progress(worktree)? {
            let _ = git(worktree, [running.as_str(), "--abort"]);
        }
        return Err(WorktreeError::GitFailed { args: args.join(" "), dir: worktree.to_owned(), stderr });
    }
    Ok(UpdateReport {
        mode,
        ok: conflicts.is_empty(),
        up_to_date: false,
        conflicts,
        head: commit_of(worktree, "HEAD")?,
        status: branch_status(worktree, branch, base)?,
    })
}

/// Abandons an update stopped on conflicts: the branch and worktree go back to how they were.
pub fn update_abort(repo: &Path, worktree: &Path, branch: &str, base: &str) -> Result<BranchStatus, WorktreeError> {
    let _guard = repo_write_lock(repo);
    let Some(running) = in_progress(worktree)? else {
        return Err(WorktreeError::Refused(format!(
            "no update is in progress in {}; there is nothing to abort",
            worktree.display()
        )));
    };
    git_ok(worktree, [running.as_str(), "--abort"])?;
    branch_status(worktree, branch, base)
}

/// A rebase or merge stopped half-way in `worktree`, by git's own markers (per worktree).
fn in_progress(worktree: &Path) -> Result<Option<UpdateMode>, WorktreeError> {
    let marker = |name: &str| -> Result<bool, WorktreeError> {
        let path = PathBuf::from(git_line(worktree, ["rev-parse", "--path-format=absolute", "--git-path", name])?);
        Ok(path.exists())
    };
    if marker("rebase-merge")? || marker("rebase-apply")? {
        return Ok(Some(UpdateMode::Rebase));
    }
    if marker("MERGE_HEAD")? {
        return Ok(Some(UpdateMode::Merge));
    }
    Ok(None)
}

/// Files with unresolved conflicts.
fn conflicted(worktree: &Path) -> Result<Vec<String>, WorktreeError> {
    let out = git_ok(worktree, ["diff", "--name-only", "--diff-filter=U", "-z"])?;
    let mut files: Vec<String> =
        out.split(|b| *b == 0).filter(|f| !f.is_empty()).map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    files.dedup();
    Ok(files)
}

/// Tracked files with uncommitted changes (untracked files do not stop an update; one in the
/// way stops it with git's own message, and nothing changes).
fn tracked_changes(worktree: &Path) -> Result<Vec<String>, WorktreeError> {
    let out = git_ok(worktree, ["status", "--porcelain=v1", "-z", "--untracked-files=no"])?;
    Ok(super::status_parse(&out).into_iter().map(|f| f.path).collect())
}

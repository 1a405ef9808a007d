//! Merging an agent's work back into a target branch, by squash, rebase or merge commit.
//!
//! The result is computed entirely in git's object store (`git merge-tree --write-tree`,
//! `git commit-tree`) and touches no working tree: a conflict or a refusal changes nothing. Only
//! a clean result moves the target branch (compare-and-swap on its old tip); when the target is
//! checked out (clean), that checkout is brought along with a two-tree `read-tree -m -u`, which
//! checks every file before writing any, so the user's checkout is never left half-merged.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::diff::{FileStat, tree_diff};
use super::snapshot::worktree_tree;
use super::{WorktreeError, commit_of, git, git_env_ok, git_line, git_ok, identity_env, repo_write_lock};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MergeStrategy {
    /// One new commit on the target with all of the agent's changes.
    #[default]
    Squash,
    /// The agent's commits replayed on the target, one by one.
    Rebase,
    /// A merge commit joining the agent's branch to the target.
    Merge,
}

impl MergeStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Squash => "squash",
            Self::Rebase => "rebase",
            Self::Merge => "merge",
        }
    }
}

/// A request to merge an agent's work.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MergeRequest {
    /// The branch to merge into [default: the session's base branch].
    #[serde(default)]
    pub into: Option<String>,
    #[serde(default)]
    pub strategy: MergeStrategy,
    /// Check only: say what would happen, change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The squash or merge commit's message [default: the engine's, from the agent's task: its
    /// title, then its result and review]. A rebase keeps the agent's own messages.
    #[serde(default)]
    #[ts(optional)]
    pub message: Option<String>,
}

/// What a merge did, or (dry run) would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MergeReport {
    pub into: String,
    pub strategy: MergeStrategy,
    pub dry_run: bool,
    /// It merged (or, dry run, would merge) cleanly.
    pub ok: bool,
    /// Why it cannot merge now, for the user.
    pub refusal: Option<String>,
    /// Files that would conflict.
    pub conflicts: Vec<String>,
    /// What lands in the target.
    pub files: Vec<FileStat>,
    /// Commits added to the target.
    pub commits: u32,
    /// The target's new tip.
    pub commit: Option<String>,
    /// Files the agent left uncommitted, committed onto its branch first.
    pub uncommitted: u32,
    /// The checkout of the target that was updated along with it.
    pub checkout_updated: Option<String>,
    /// Nothing to merge: the target already has all of it.
    pub already_merged: bool,
    /// The agent's branch tip that was merged.
    pub merged_tip: Option<String>,
    /// The squash or merge commit's message: the one asked for, or the engine's default (what a
    /// merge dialog shows to edit).
    pub message: String,
}

/// What to merge where.
#[derive(Debug, Clone)]
pub struct MergeSpec<'a> {
    pub repo: &'a Path,
    /// The agent's worktree, when it still exists: its uncommitted work is part of the merge.
    pub worktree: Option<&'a Path>,
    pub branch: &'a str,
    pub into: &'a str,
    pub strategy: MergeStrategy,
    pub dry_run: bool,
    /// The message of the commit of uncommitted work on the agent's branch.
    pub work_message: &'a str,
    /// The message of a squash or merge commit.
    pub message: &'a str,
}

/// Merges `spec.branch` (plus its worktree's uncommitted work) into `spec.into`. A dry run
/// returns refusals and conflicts in the report; a real merge returns them as errors.
pub fn merge(spec: &MergeSpec<'_>) -> Result<MergeReport, WorktreeError> {
    let repo = spec.repo;
    let _guard = repo_write_lock(repo);
    let mut report = MergeReport {
        into: spec.into.to_owned(),
        strategy: spec.strategy,
        dry_run: spec.dry_run,
        message: spec.message.to_owned(),
        ..MergeReport::default()
    };
    let into_tip = commit_of(repo, &format!("refs/heads/{}", spec.into))?.ok_or_else(|| {
        WorktreeError::Refused(format!("there is no branch {:?} to merge into; `git branch` lists them", spec.into))
    })?;
    let branch_tip = commit_of(repo, &format!("refs/heads/{}", spec.branch))?.ok_or_else(|| {
        WorktreeError::Refused(format!("the agent's branch {:?} no longer exists; nothing to merge", spec.branch))
    })?;
    if spec.branch == spec.into {
        return Err(WorktreeError::Refused(format!("cannot merge {} into itself", spec.branch)));
    }
    // Worktrees share their repository's configuration: one look at it serves every commit.
    let identity = identity_env(repo);

    // The agent's uncommitted work, as a commit that is not on any branch yet.
    let worktree = spec.worktree.filter(|w| w.is_dir());
    let mut source = branch_tip.clone();
    if let Some(wt) = worktree {
        let tree = worktree_tree(wt)?;
        let changed = git_ok(repo, ["diff-tree", "-r", "-z", "--name-only", &branch_tip, &tree])?;
        report.uncommitted = changed.split(|b| *b == 0).filter(|p| !p.is_empty()).count() as u32;
        if report.uncommitted > 0 {
            source = commit_tree(wt, &tree, &[&branch_tip], spec.work_message, &identity)?;
        }
    }

    let checkout = checkout_of(repo, spec.into)?;
    let mut refusal: Option<WorktreeError> = None;
    if let Some(co) = &checkout {
        let dirty = checkout_dirty(co)?;
        if !dirty.is_empty() {
            refusal =
                Some(WorktreeError::TargetDirty { into: spec.into.to_owned(), checkout: co.clone(), files: dirty });
        }
    }
    if is_ancestor(repo, &source, &into_tip)? {
        report.already_merged = true;
        report.ok = refusal.is_none();
        report.refusal = refusal.map(|r| r.to_string());
        report.merged_tip = Some(branch_tip);
        return Ok(report);
    }

    let built = build(spec, &identity, &into_tip, &source)?;
    match built {
        Err(conflicts) => {
            report.conflicts.clone_from(&conflicts);
            refusal.get_or_insert(WorktreeError::Conflicts { into: spec.into.to_owned(), files: conflicts });
        }
        Ok(commit) => {
            // The target already holds all of it (e.g. squashed before): nothing to merge.
            if tree_of(repo, &commit)? == tree_of(repo, &into_tip)? {
                report.already_merged = true;
                report.ok = refusal.is_none();
                report.refusal = refusal.map(|r| r.to_string());
                report.merged_tip = Some(branch_tip);
                return Ok(report);
            }
            report.files = tree_diff(repo, &into_tip, &commit, false)?.files;
            report.commits =
                git_line(repo, ["rev-list", "--count", &format!("{into_tip}..{commit}")])?.parse().unwrap_or(0);
        }
    }
    if spec.dry_run {
        report.ok = refusal.is_none();
        report.refusal = refusal.map(|r| r.to_string());
        return Ok(report);
    }
    if let Some(refusal) = refusal {
        return Err(refusal);
    }

    // Apply: the uncommitted work goes onto the agent's branch for real, then the result is
    // built again from it (same trees, so no new conflict can appear).
    let mut tip = branch_tip;
    if let (Some(wt), true) = (worktree, report.uncommitted > 0) {
        git_env_ok(wt, ["add", "-A", "--", "."], &identity)?;
        git_env_ok(wt, ["commit", "-q", "--no-verify", "-m", spec.work_message], &identity)?;
        tip = commit_of(repo, &format!("refs/heads/{}", spec.branch))?.unwrap_or(tip);
    }
    let commit = build(spec, &identity, &into_tip, &tip)?
        .map_err(|files| WorktreeError::Conflicts { into: spec.into.to_owned(), files })?;
    branch_move(repo, spec.into, &into_tip, &commit, checkout.as_deref())?;
    report.checkout_updated = checkout.map(|c| c.to_string_lossy().into_owned());
    report.commit = Some(commit);
    report.merged_tip = Some(tip);
    report.ok = true;
    Ok(report)
}

/// The target's new tip for `spec.strategy`, made in the object store only; or the conflicting
/// files.
fn build(
    spec: &MergeSpec<'_>,
    identity: &[(&str, &OsStr)],
    into_tip: &str,
    source: &str,
) -> Result<Result<String, Vec<String>>, WorktreeError> {
    let repo = spec.repo;
    match spec.strategy {
        MergeStrategy::Squash | MergeStrategy::Merge => {
            let tree = match merge_tree(repo, None, into_tip, source)? {
                Ok(tree) => tree,
                Err(conflicts) => return Ok(Err(conflicts)),
            };
            let parents: Vec<&str> =
                if spec.strategy == MergeStrategy::Merge { vec![into_tip, source] } else { vec![into_tip] };
            Ok(Ok(commit_tree(repo, &tree, &parents, spec.message, identity)?))
        }
        MergeStrategy::Rebase => {
            let merges = git_line(repo, ["rev-list", "--min-parents=2", &format!("{into_tip}..{source}")])?;
            if !merges.is_empty() {
                return Err(WorktreeError::Refused(
                    "the agent's branch has merge commits, which a rebase would flatten; merge with --strategy squash or merge"
                        .to_owned(),
                ));
            }
            let list = git_line(repo, ["rev-list", "--reverse", &format!("{into_tip}..{source}")])?;
            let mut current = into_tip.to_owned();
            for commit in list.lines().filter(|l| !l.is_empty()) {
                let parent = format!("{commit}^");
                let tree = match merge_tree(repo, Some(&parent), &current, commit)? {
                    Ok(tree) => tree,
                    Err(conflicts) => return Ok(Err(conflicts)),
                };
                // The original author, date and message; the committer is whoever merges.
                let meta = git_ok(repo, ["log", "-1", "--format=%an%x00%ae%x00%ad%x00%B", "--date=raw", commit])?;
                let meta = String::from_utf8_lossy(&meta).into_owned();
                let mut f = meta.splitn(4, '\0');
                let (name, email, date) = (f.next().unwrap_or(""), f.next().unwrap_or(""), f.next().unwrap_or(""));
                let message = f.next().unwrap_or("").trim_end().to_owned();
                let mut env = identity.to_vec();
                env.retain(|(k, _)| k.starts_with("GIT_COMMITTER"));
                env.extend([
                    ("GIT_AUTHOR_NAME", OsStr::new(name)),
                    ("GIT_AUTHOR_EMAIL", OsStr::new(email)),
                    ("GIT_AUTHOR_DATE", OsStr::new(date)),
                ]);
                current = commit_tree(repo, &tree, &[&current], &message, &env)?;
            }
            Ok(Ok(current))
        }
    }
}

/// `git merge-tree --write-tree`: the merged tree, or the conflicting files.
fn merge_tree(
    repo: &Path,
    base: Option<&str>,
    ours: &str,
    theirs: &str,
) -> Result<Result<String, Vec<String>>, WorktreeError> {
    let mut args = vec!["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z"];
    if let Some(base) = base {
        args.extend(["--merge-base", base]);
    }
    args.extend([ours, theirs]);
    let out = git(repo, &args)?;
    let mut fields = out.stdout.split(|b| *b == 0).filter(|f| !f.is_empty());
    let tree = fields.next().map(|t| String::from_utf8_lossy(t).into_owned()).unwrap_or_default();
    match out.status.code() {
        Some(0) => Ok(Ok(tree)),
        Some(1) => {
            let mut files: Vec<String> = fields.map(|f| String::from_utf8_lossy(f).into_owned()).collect();
            files.dedup();
            Ok(Err(files))
        }
        _ => Err(WorktreeError::GitFailed {
            args: args.join(" "),
            dir: repo.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        }),
    }
}

fn commit_tree(
    dir: &Path,
    tree: &str,
    parents: &[&str],
    message: &str,
    env: &[(&str, &OsStr)],
) -> Result<String, WorktreeError> {
    let mut args = vec!["commit-tree", tree];
    for p in parents {
        args.extend(["-p", p]);
    }
    args.extend(["-m", message]);
    Ok(String::from_utf8_lossy(&git_env_ok(dir, &args, env)?).trim().to_owned())
}

fn tree_of(repo: &Path, commit: &str) -> Result<String, WorktreeError> {
    git_line(repo, ["rev-parse", &format!("{commit}^{{tree}}")])
}

fn is_ancestor(repo: &Path, ancestor: &str, of: &str) -> Result<bool, WorktreeError> {
    Ok(git(repo, ["merge-base", "--is-ancestor", ancestor, of])?.status.success())
}

/// The worktree (the user's checkout, or another) where `branch` is checked out.
pub fn checkout_of(repo: &Path, branch: &str) -> Result<Option<PathBuf>, WorktreeError> {
    let out = git_ok(repo, ["worktree", "list", "--porcelain", "-z"])?;
    let wanted = format!("branch refs/heads/{branch}");
    let mut path = None;
    for field in out.split(|b| *b == 0) {
        let field = String::from_utf8_lossy(field);
        if let Some(p) = field.strip_prefix("worktree ") {
            path = Some(PathBuf::from(p));
        } else if field == wanted {
            return Ok(path.filter(|p| p.is_dir()));
        }
    }
    Ok(None)
}

/// Tracked files with uncommitted changes in a checkout (untracked files do not stop a merge;
/// one that would be overwritten stops it later, with git's own message).
fn checkout_dirty(checkout: &Path) -> Result<Vec<String>, WorktreeError> {
    let out = git_ok(checkout, ["status", "--porcelain=v1", "-z", "--untracked-files=no"])?;
    Ok(super::status_parse(&out).into_iter().map(|f| f.path).collect())
}

/// Moves `branch` from `old` to `new`, and its checkout with it when it has one.
fn branch_move(repo: &Path, branch: &str, old: &str, new: &str, checkout: Option<&Path>) -> Result<(), WorktreeError> {
    let reference = format!("refs/heads/{branch}");
    let Some(co) = checkout else {
        git_ok(repo, ["update-ref", "-m", "baton: merge", &reference, new, old])?;
        return Ok(());
    };
    let _ = git(co, ["update-index", "-q", "--refresh"]);
    let out = git(co, ["read-tree", "-m", "-u", old, new])?;
    if !out.status.success() {
        return Err(WorktreeError::Refused(format!(
            "cannot update your checkout {}: {}; nothing was changed",
            co.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    if let Err(e) = git_ok(repo, ["update-ref", "-m", "baton: merge", &reference, new, old]) {
        // Put the checkout back as it was: the branch did not move.
        let _ = git(co, ["read-tree", "-m", "-u", new, old]);
        return Err(e);
    }
    Ok(())
}

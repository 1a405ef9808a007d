//! Git worktrees: one worktree and one branch per agent, so agents never share a checkout with
//! each other or with the user. Owns the per-repository write lock, branch naming, creating and
//! removing worktrees, and listing a worktree's changes.
//!
//! Submodules: [`snapshot`] (the state of a worktree as a tree; checkpoints), [`diff`], [`merge`]
//! and [`gc`].
//!
//! Everything here is synchronous and runs the `git` command line (like `git.rs`): callers run it
//! off the async runtime (`spawn_blocking`). Branches are never deleted here (house style 7: never
//! delete a branch that may hold unmerged work).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorCode;
use crate::git::git_command;

pub mod diff;
pub mod gc;
pub mod merge;
pub mod publish;
pub mod snapshot;
pub mod update;

/// The default for [`branch_name`]'s pattern.
pub const BRANCH_PATTERN_DEFAULT: &str = "baton/{session}/{agent}";

/// How many `-2`, `-3`... suffixes to try before giving up on a free branch or folder name.
const FREE_NAME_TRIES: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0} is not a git repository; choose the folder of a git repository")]
    NotARepo(PathBuf),
    #[error("base ref {base_ref} does not exist in {repo}; run `git branch -a` there to see the branches")]
    BaseRefMissing { base_ref: String, repo: PathBuf },
    #[error("{0} is not a worktree of this repository; run `git worktree list` to see them")]
    NotAWorktree(PathBuf),
    #[error(
        "worktree {path} has uncommitted changes ({count} files); commit or discard them first, or remove it with force"
    )]
    Dirty { path: PathBuf, count: usize },
    #[error("no free name for {0} (tried {FREE_NAME_TRIES}); remove old branches or worktrees")]
    NoFreeName(String),
    #[error("the disk is full: git could not write {path}; free some space and try again ({stderr})")]
    DiskFull { path: PathBuf, stderr: String },
    #[error("cannot {what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("cannot run git ({0}); install git and make sure it is on PATH")]
    GitMissing(String),
    #[error("git {args} failed in {dir}: {stderr}")]
    GitFailed { args: String, dir: PathBuf, stderr: String },
    #[error("merging into {into} would conflict in {files}; ask the agent to rebase on {into}, or resolve by hand", files = .files.join(", "))]
    Conflicts { into: String, files: Vec<String> },
    #[error("{into} is checked out in {checkout} with uncommitted changes ({files}); commit or stash them first", checkout = .checkout.display(), files = .files.join(", "))]
    TargetDirty { into: String, checkout: PathBuf, files: Vec<String> },
    #[error("{0}")]
    Refused(String),
    #[error("worktree {worktree} has uncommitted changes ({files}); commit them (or ask the agent to) before updating from the base branch", worktree = .worktree.display(), files = .files.join(", "))]
    UpdateDirty { worktree: PathBuf, files: Vec<String> },
    #[error("{0}")]
    NoRemote(String),
    #[error("{0}")]
    GhUnavailable(String),
}

impl WorktreeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput(_) | Self::Dirty { .. } | Self::Refused(_) => ErrorCode::InvalidInput,
            Self::Conflicts { .. } => ErrorCode::MergeConflict,
            Self::TargetDirty { .. } | Self::UpdateDirty { .. } => ErrorCode::DirtyCheckout,
            Self::NoRemote(_) => ErrorCode::NoRemote,
            Self::GhUnavailable(_) => ErrorCode::GhUnavailable,
            Self::NotARepo(_) => ErrorCode::NotAGitRepo,
            Self::BaseRefMissing { .. } | Self::NotAWorktree(_) => ErrorCode::NotFound,
            Self::NoFreeName(_) => ErrorCode::DuplicateName,
            Self::DiskFull { .. } | Self::Io { .. } => ErrorCode::Io,
            Self::GitMissing(_) | Self::GitFailed { .. } => ErrorCode::Internal,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The write lock

/// One repository's lock. A `Mutex<bool>` plus a `Condvar` rather than a bare `Mutex<()>`: the
/// guard must own its lock (an `Arc`) to outlive the registry's lock, and std has no owned mutex
/// guard without `unsafe`.
#[derive(Debug, Default)]
struct RepoLock {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// Every repository written to by this process, by canonical root. Entries are never removed: one
/// small entry per repository the process has touched, and removing them would race with waiters.
static REPO_LOCKS: LazyLock<Mutex<HashMap<PathBuf, Arc<RepoLock>>>> = LazyLock::new(Default::default);

/// Holds a repository's write lock until dropped.
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct RepoWriteGuard {
    lock: Arc<RepoLock>,
}

impl Drop for RepoWriteGuard {
    fn drop(&mut self) {
        *lock_recover(&self.lock.busy) = false;
        self.lock.freed.notify_one();
    }
}

/// A mutex whose holder panicked still guards consistent data here (a flag or a map of locks), so
/// recover it rather than spreading the panic.
fn lock_recover<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the write lock of `repo_root`, waiting for it: git's own locks (`index.lock`, ref locks)
/// make concurrent writers fail instead of wait, so this process sends one git write at a time per
/// repository. Blocks the thread; call it off the async runtime.
pub fn repo_write_lock(repo_root: &Path) -> RepoWriteGuard {
    let key = repo_root.canonicalize().unwrap_or_else(|_| repo_root.to_owned());
    let lock = Arc::clone(lock_recover(&REPO_LOCKS).entry(key).or_default());
    let mut busy = lock_recover(&lock.busy);
    while *busy {
        busy = lock.freed.wait(busy).unwrap_or_else(PoisonError::into_inner);
    }
    *busy = true;
    drop(busy);
    RepoWriteGuard { lock }
}

// ---------------------------------------------------------------------------------------------
// Branch names

/// Turns any text (an agent's or a session's name) into one valid git ref component, so users can
/// name agents freely: lowercase, invalid characters to `-`, no `..`, no leading or trailing `-`
/// or `.`, no trailing `.lock`, never empty.
pub(crate) fn ref_component_sanitise(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars().flat_map(char::to_lowercase) {
        let c = if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' };
        // Collapse runs of `-` and of `.` (which also removes `..`).
        if (c == '-' || c == '.') && out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    let mut out = out.trim_matches(|c| c == '-' || c == '.').to_owned();
    while let Some(stripped) = out.strip_suffix(".lock") {
        out = stripped.trim_matches(|c| c == '-' || c == '.').to_owned();
    }
    if out.is_empty() { "unnamed".to_owned() } else { out }
}

/// The branch for an agent: `pattern` with `{session}` and `{agent}` replaced by sanitised values,
/// so an agent's branch tells which session and agent made it. When the pattern itself makes an
/// invalid branch name (`git check-ref-format --branch` says so), the default pattern is used,
/// which with sanitised values always makes a valid one.
pub fn branch_name(pattern: &str, session: &str, agent: &str) -> String {
    let session = ref_component_sanitise(session);
    let agent = ref_component_sanitise(agent);
    let fill = |p: &str| p.replace("{session}", &session).replace("{agent}", &agent);
    let name = fill(pattern);
    if branch_name_valid(&name) != Some(false) {
        return name;
    }
    fill(BRANCH_PATTERN_DEFAULT)
}

/// Checks a session's branch pattern when it is set, so a spawn never falls back to the default
/// in silence: only `{session}` and `{agent}` are known, `{agent}` must be in it (each agent's
/// branch is its own), and the branch it makes must be one git accepts. An empty pattern means
/// the default.
pub fn branch_pattern_check(pattern: &str) -> Result<(), WorktreeError> {
    let pattern = pattern.trim();
    if pattern.is_empty() {
        return Ok(());
    }
    let hint = format!("for example {BRANCH_PATTERN_DEFAULT}");
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            return Err(WorktreeError::InvalidInput(format!(
                "branch pattern {pattern:?} has a '{{' without its '}}'; placeholders are {{session}} and {{agent}}, {hint}"
            )));
        };
        let name = &rest[start..start + len + 1];
        if name != "{session}" && name != "{agent}" {
            return Err(WorktreeError::InvalidInput(format!(
                "branch pattern {pattern:?} has the unknown placeholder {name}; use {{session}} and {{agent}}, {hint}"
            )));
        }
        rest = &rest[start + len + 1..];
    }
    if !pattern.contains("{agent}") {
        return Err(WorktreeError::InvalidInput(format!(
            "branch pattern {pattern:?} has no {{agent}}, so agents would share one branch name; add {{agent}}, {hint}"
        )));
    }
    let sample = pattern.replace("{session}", "session").replace("{agent}", "agent");
    if branch_name_valid(&sample) == Some(false) {
        return Err(WorktreeError::InvalidInput(format!(
            "branch pattern {pattern:?} makes branches like {sample:?}, which git refuses (no spaces, \"..\", \"~^:?*[\\\", a leading '.' or '-', or a trailing \".lock\" or '/'); {hint}"
        )));
    }
    Ok(())
}

/// Whether git accepts `name` as a branch name; `None` when git cannot be run.
fn branch_name_valid(name: &str) -> Option<bool> {
    if name.is_empty() || name.starts_with('-') {
        return Some(false);
    }
    let out = git_command(None).args(["check-ref-format", "--branch"]).arg(name).output().ok()?;
    Some(out.status.success())
}

// ---------------------------------------------------------------------------------------------
// Create

/// What to create: where, for whom, and from which commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeSpec {
    /// The root of the user's checkout.
    pub repo_root: PathBuf,
    /// Where Baton keeps worktrees, e.g. `$BATON_HOME/worktrees`.
    pub worktrees_dir: PathBuf,
    /// The folder under `worktrees_dir` for this repository's worktrees.
    pub repo_name: String,
    /// The agent's name: the worktree's folder name.
    pub name: String,
    /// The wanted branch; a free variant (`-2`, `-3`...) is used if it exists.
    pub branch: String,
    /// What to branch from: a branch, tag or commit.
    pub base_ref: String,
}

/// A worktree that was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Worktree {
    /// The worktree's folder.
    pub path: String,
    /// The branch checked out there (new, made for this worktree).
    pub branch: String,
    pub base_ref: String,
    /// The commit `base_ref` pointed to, which the branch starts at.
    pub base_commit: String,
    /// The wanted branch name when it existed and `branch` is a free variant of it.
    pub branch_renamed_from: Option<String>,
    /// What the user may want to know: renames, copied files, submodules not initialised.
    pub notes: Vec<String>,
}

/// Makes a new branch from `spec.base_ref` and checks it out in a new folder under
/// `spec.worktrees_dir`, so an agent works without touching the user's checkout. Copies the
/// untracked files `.worktreeinclude` lists (e.g. `.env`), which a fresh checkout would lack.
pub fn worktree_create(spec: &WorktreeSpec) -> Result<Worktree, WorktreeError> {
    for (what, value) in [("repository folder name", &spec.repo_name), ("worktree name", &spec.name)] {
        if value.is_empty() || value == "." || value == ".." || value.contains(['/', '\\']) {
            return Err(WorktreeError::InvalidInput(format!(
                "{what} {value:?} must be one folder name (no `/`, not `.` or `..`)"
            )));
        }
    }
    if spec.base_ref.is_empty() || spec.base_ref.starts_with('-') {
        return Err(WorktreeError::InvalidInput(format!("base ref {:?} is not a valid ref", spec.base_ref)));
    }
    if branch_name_valid(&spec.branch) == Some(false) {
        return Err(WorktreeError::InvalidInput(format!(
            "{:?} is not a valid branch name; see `git check-ref-format --help`",
            spec.branch
        )));
    }
    let repo = spec.repo_root.as_path();
    let _guard = repo_write_lock(repo);

    // One git process for both checks (each costs ~2 ms): outside a repository git exits 128,
    // a ref that names no commit exits 1.
    let base = git(repo, ["rev-parse", "--verify", "--quiet", &format!("{}^{{commit}}", spec.base_ref)])?;
    if base.status.code() == Some(128) {
        return Err(WorktreeError::NotARepo(repo.to_owned()));
    }
    let base_commit = String::from_utf8_lossy(&base.stdout).trim().to_owned();
    if !base.status.success() || base_commit.is_empty() {
        if commit_of(repo, "HEAD")?.is_none() {
            return Err(WorktreeError::InvalidInput(format!(
                "{} has no commits yet, so there is nothing to branch from; make a first commit (e.g. `git commit --allow-empty -m init`)",
                repo.display()
            )));
        }
        return Err(WorktreeError::BaseRefMissing { base_ref: spec.base_ref.clone(), repo: repo.to_owned() });
    }

    let mut notes = Vec::new();
    let branch = name_free(&spec.branch, |b| branch_exists(repo, b))?;
    let branch_renamed_from = (branch != spec.branch).then(|| spec.branch.clone());
    if branch_renamed_from.is_some() {
        notes.push(format!("branch {} exists; using {branch}", spec.branch));
    }

    let parent = spec.worktrees_dir.join(&spec.repo_name);
    std::fs::create_dir_all(&parent)
        .map_err(|source| WorktreeError::Io { what: format!("create {}", parent.display()), source })?;
    // Canonical, so it compares equal to the paths git records for its worktrees.
    let parent = parent
        .canonicalize()
        .map_err(|source| WorktreeError::Io { what: format!("resolve {}", parent.display()), source })?;
    let registered = worktrees_registered(repo)?;
    let folder = name_free(&spec.name, |n| {
        let p = parent.join(n);
        Ok(p.exists() || p.symlink_metadata().is_ok() || registered.contains(&p))
    })?;
    let path = parent.join(&folder);
    if folder != spec.name {
        notes.push(format!("folder {} exists; using {}", parent.join(&spec.name).display(), path.display()));
    }

    let args: [&OsStr; 6] =
        ["worktree".as_ref(), "add".as_ref(), "-b".as_ref(), branch.as_ref(), path.as_os_str(), base_commit.as_ref()];
    let out = git(repo, args)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        // Git does not always say why a write failed ("unable to write file"): ask the disk.
        let full = stderr.contains("No space left on device") || disk_nearly_full(&parent);
        create_undo(repo, &path, &branch, &base_commit);
        if full {
            return Err(WorktreeError::DiskFull { path, stderr });
        }
        return Err(WorktreeError::GitFailed {
            args: format!("worktree add -b {branch} {} {base_commit}", path.display()),
            dir: repo.to_owned(),
            stderr,
        });
    }

    include_copy(repo, &path, &mut notes)?;
    submodules_note(&path, &mut notes);

    Ok(Worktree {
        path: path.to_string_lossy().into_owned(),
        branch,
        base_ref: spec.base_ref.clone(),
        base_commit,
        branch_renamed_from,
        notes,
    })
}

/// A new worktree has its submodules' folders but not their contents (initialising them means
/// fetching, which may be slow or need credentials): say which, and how to initialise them.
fn submodules_note(worktree: &Path, notes: &mut Vec<String>) {
    if !worktree.join(".gitmodules").exists() {
        return;
    }
    let paths = git(worktree, ["config", "--file", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$"])
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(_, p)| p.to_owned())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if paths.is_empty() {
        return;
    }
    notes.push(format!(
        "submodules not initialised in the worktree: {}; everything else is checked out. Run `git submodule update --init` there if the agent needs them",
        paths.join(", ")
    ));
}

/// Whether the filesystem holding `dir` has less than 1 MiB left for us.
fn disk_nearly_full(dir: &Path) -> bool {
    rustix::fs::statvfs(dir).is_ok_and(|s| s.f_bavail.saturating_mul(s.f_frsize) < 1 << 20)
}

/// `wanted`, or the first of `wanted-2`, `wanted-3`... that `taken` says is free.
fn name_free(
    wanted: &str,
    mut taken: impl FnMut(&str) -> Result<bool, WorktreeError>,
) -> Result<String, WorktreeError> {
    if !taken(wanted)? {
        return Ok(wanted.to_owned());
    }
    for n in 2..FREE_NAME_TRIES {
        let candidate = format!("{wanted}-{n}");
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    Err(WorktreeError::NoFreeName(wanted.to_owned()))
}

fn branch_exists(repo: &Path, branch: &str) -> Result<bool, WorktreeError> {
    Ok(git(repo, ["show-ref", "--verify", "--quiet", &format!("refs/heads/{branch}")])?.status.success())
}

/// The folders git has registered as worktrees, including ones deleted by hand and not yet
/// pruned (git refuses to add a worktree there).
fn worktrees_registered(repo: &Path) -> Result<Vec<PathBuf>, WorktreeError> {
    let out = git_ok(repo, ["worktree", "list", "--porcelain", "-z"])?;
    Ok(out
        .split(|b| *b == 0)
        .filter_map(|line| line.strip_prefix(b"worktree "))
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
        .collect())
}

/// After a failed `git worktree add`: remove the half-made folder (it did not exist before; we
/// chose a free name), forget it, and delete the new branch if git made it (it points at the base
/// commit, so holds no work). Best effort: the caller reports the original failure.
fn create_undo(repo: &Path, path: &Path, branch: &str, base_commit: &str) {
    if path.exists() {
        let _ = std::fs::remove_dir_all(path);
    }
    let _ = git(repo, ["worktree", "prune"]);
    let head = git(repo, ["rev-parse", "--verify", "--quiet", &format!("refs/heads/{branch}")]);
    if head.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == base_commit) {
        let _ = git(repo, ["branch", "-D", "--", branch]);
    }
}

// ---------------------------------------------------------------------------------------------
// .worktreeinclude

/// Copies the untracked files of the user's checkout that `.worktreeinclude` lists (one glob per
/// line, `#` comments, `!` to exclude again) into the new worktree. Copy failures become notes:
/// the worktree itself is fine.
fn include_copy(repo: &Path, worktree: &Path, notes: &mut Vec<String>) -> Result<(), WorktreeError> {
    let Ok(text) = std::fs::read_to_string(repo.join(".worktreeinclude")) else {
        return Ok(());
    };
    let patterns = include_patterns(&text);
    if patterns.is_empty() {
        return Ok(());
    }
    // Untracked files only, ignored or not (no exclude rules given): tracked files are already in
    // the worktree, and ignored ones are what `.worktreeinclude` is for.
    // The patterns as pathspecs, so git walks only what they can match (listing every untracked
    // file of a big checkout costs more than the rest of making a worktree); the match below
    // still decides, with the exclusions.
    let mut args: Vec<String> = vec!["ls-files".into(), "-z".into(), "--others".into(), "--".into()];
    args.extend(
        patterns
            .iter()
            .filter(|(_, negated)| !negated)
            .map(|(glob, _)| format!(":(glob){}", glob.iter().collect::<String>())),
    );
    let out = git_ok(repo, &args)?;
    let mut copied = 0usize;
    for rel in out.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let Ok(rel) = std::str::from_utf8(rel) else { continue };
        if !include_matches(&patterns, rel) {
            continue;
        }
        let (src, dst) = (repo.join(rel), worktree.join(rel));
        if !src.is_file() {
            continue;
        }
        let copy = dst.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::copy(&src, &dst));
        match copy {
            Ok(_) => copied += 1,
            Err(e) => notes.push(format!("could not copy {rel} from .worktreeinclude: {e}")),
        }
    }
    if copied > 0 {
        notes.push(format!("copied {copied} untracked file(s) listed in .worktreeinclude"));
    }
    Ok(())
}

/// One `.worktreeinclude` line: the glob as chars, and whether it starts with `!`.
type IncludePattern = (Vec<char>, bool);

fn include_patterns(text: &str) -> Vec<IncludePattern> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (l, negated) = l.strip_prefix('!').map_or((l, false), |l| (l, true));
            let mut glob = l.trim_start_matches('/').to_owned();
            // `dir/` means everything below `dir`.
            if glob.ends_with('/') {
                glob.push_str("**");
            }
            (glob.chars().collect::<Vec<_>>(), negated)
        })
        .filter(|(g, _)| !g.is_empty())
        .collect()
}

/// Whether the repo-relative `path` is included: the last pattern matching it or one of its
/// folders decides (as in `.gitignore`).
fn include_matches(patterns: &[IncludePattern], path: &str) -> bool {
    let chars: Vec<char> = path.chars().collect();
    let mut included = false;
    for (glob, negated) in patterns {
        let hit = glob_match(glob, &chars)
            || chars.iter().enumerate().any(|(i, c)| *c == '/' && glob_match(glob, &chars[..i]));
        if hit {
            included = !negated;
        }
    }
    included
}

/// `*` and `?` match within one path component, `**/` matches any number of folders, a final
/// `**` matches everything. Small enough not to need a dependency.
fn glob_match(p: &[char], s: &[char]) -> bool {
    match p {
        [] => s.is_empty(),
        ['*', '*'] => true,
        ['*', '*', '/', rest @ ..] => {
            glob_match(rest, s) || s.iter().enumerate().any(|(i, c)| *c == '/' && glob_match(rest, &s[i + 1..]))
        }
        ['*', rest @ ..] => {
            for i in 0..=s.len() {
                if glob_match(rest, &s[i..]) {
                    return true;
                }
                if s.get(i) == Some(&'/') {
                    break;
                }
            }
            false
        }
        ['?', rest @ ..] => s.first().is_some_and(|c| *c != '/') && glob_match(rest, &s[1..]),
        [c, rest @ ..] => s.first() == Some(c) && glob_match(rest, &s[1..]),
    }
}

// ---------------------------------------------------------------------------------------------
// Remove

/// Removes an agent's worktree folder (the branch stays: it may hold unmerged work). Refuses when
/// the worktree has uncommitted changes unless `force`, so nothing is lost by accident. A folder
/// already deleted by hand is forgotten with `git worktree prune`.
pub fn worktree_remove(repo_root: &Path, path: &Path, force: bool) -> Result<(), WorktreeError> {
    let _guard = repo_write_lock(repo_root);
    if !path.exists() {
        git_ok(repo_root, ["worktree", "prune"])?;
        return Ok(());
    }
    if !force {
        let out = git(path, ["status", "--porcelain=v1", "-z", "--untracked-files=all"])?;
        if !out.status.success() {
            return Err(WorktreeError::NotAWorktree(path.to_owned()));
        }
        let count = out.stdout.split(|b| *b == 0).filter(|e| e.len() > 3).count();
        if count > 0 {
            return Err(WorktreeError::Dirty { path: path.to_owned(), count });
        }
    }
    let mut args: Vec<&OsStr> = vec!["worktree".as_ref(), "remove".as_ref()];
    if force {
        args.push("--force".as_ref());
    }
    args.push(path.as_os_str());
    let out = git(repo_root, args)?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if stderr.contains("is not a working tree") {
            return Err(WorktreeError::NotAWorktree(path.to_owned()));
        }
        return Err(WorktreeError::GitFailed {
            args: format!("worktree remove {}", path.display()),
            dir: repo_root.to_owned(),
            stderr,
        });
    }
    Ok(())
}

/// Makes an agent's worktree again at `path` from its branch, after its folder was deleted by
/// hand (what was uncommitted in it is gone; the branch's commits are not).
pub fn worktree_repair(repo_root: &Path, path: &Path, branch: &str) -> Result<(), WorktreeError> {
    let _guard = repo_write_lock(repo_root);
    if path.exists() {
        return Ok(());
    }
    if !branch_exists(repo_root, branch)? {
        return Err(WorktreeError::Refused(format!(
            "the worktree {} was deleted and its branch {branch} is gone too; spawn a new agent",
            path.display()
        )));
    }
    git_ok(repo_root, ["worktree", "prune"])?;
    let args: [&OsStr; 4] = ["worktree".as_ref(), "add".as_ref(), path.as_os_str(), branch.as_ref()];
    git_ok(repo_root, args)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Changes

/// One changed file of a worktree, for showing what an agent did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangedFile {
    /// Relative to the worktree's root; the new path for a rename.
    pub path: String,
    /// `added`, `modified`, `deleted`, `renamed` or `untracked`.
    pub status: String,
}

/// The uncommitted changes (staged or not) and untracked files of the worktree at `path`, so the
/// UI can show an agent's work before it is committed.
pub fn worktree_changes(path: &Path) -> Result<Vec<ChangedFile>, WorktreeError> {
    let out = git_ok(path, ["status", "--porcelain=v1", "-z", "--untracked-files=all"])?;
    Ok(status_parse(&out))
}

/// Parses `git status --porcelain=v1 -z`: entries `XY path` end with NUL; a rename or copy is
/// followed by one more NUL-terminated field, the original path.
fn status_parse(out: &[u8]) -> Vec<ChangedFile> {
    let mut files = Vec::new();
    let mut fields = out.split(|b| *b == 0);
    while let Some(entry) = fields.next() {
        if entry.len() < 4 {
            continue;
        }
        let (x, y) = (entry[0], entry[1]);
        let path = String::from_utf8_lossy(&entry[3..]).into_owned();
        if x == b'R' || x == b'C' || y == b'R' || y == b'C' {
            fields.next(); // the original path
        }
        let status = match (x, y) {
            (b'?', b'?') => "untracked",
            (b'R', _) | (_, b'R') => "renamed",
            (b'A' | b'C', _) | (_, b'C') => "added",
            (b'D', _) | (_, b'D') => "deleted",
            _ => "modified",
        };
        files.push(ChangedFile { path, status: status.to_owned() });
    }
    files
}

// ---------------------------------------------------------------------------------------------
// Running git

pub(crate) fn git<I, S>(dir: &Path, args: I) -> Result<Output, WorktreeError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    git_command(Some(dir)).args(args).output().map_err(|e| WorktreeError::GitMissing(e.to_string()))
}

/// Runs git and returns its stdout, or its stderr as the error.
pub(crate) fn git_ok<I, S>(dir: &Path, args: I) -> Result<Vec<u8>, WorktreeError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    git_env_ok(dir, args, &[])
}

/// [`git_ok`] with extra environment (a temporary index, a commit's author).
pub(crate) fn git_env_ok<I, S>(dir: &Path, args: I, env: &[(&str, &OsStr)]) -> Result<Vec<u8>, WorktreeError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<S> = args.into_iter().collect();
    let mut cmd = git_command(Some(dir));
    cmd.args(&args).envs(env.iter().map(|(k, v)| (k, v)));
    let out = cmd.output().map_err(|e| WorktreeError::GitMissing(e.to_string()))?;
    if !out.status.success() {
        return Err(WorktreeError::GitFailed {
            args: args.iter().map(|a| a.as_ref().to_string_lossy()).collect::<Vec<_>>().join(" "),
            dir: dir.to_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(out.stdout)
}

/// [`git_ok`]'s output as one trimmed line (an object id, a ref).
pub(crate) fn git_line<I, S>(dir: &Path, args: I) -> Result<String, WorktreeError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Ok(String::from_utf8_lossy(&git_ok(dir, args)?).trim().to_owned())
}

/// The commit `rev` names, or `None` when it names none.
pub(crate) fn commit_of(dir: &Path, rev: &str) -> Result<Option<String>, WorktreeError> {
    let out = git(dir, ["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])?;
    let oid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok((out.status.success() && !oid.is_empty()).then_some(oid))
}

/// Author and committer for the commits Baton makes, when the repository has no identity of its
/// own configured (a commit would fail otherwise). A configured identity is kept.
pub(crate) fn identity_env(dir: &Path) -> Vec<(&'static str, &'static OsStr)> {
    let configured = git(dir, ["config", "user.email"]).is_ok_and(|o| o.status.success());
    if configured {
        return Vec::new();
    }
    let (name, email): (&OsStr, &OsStr) = ("Baton".as_ref(), "baton@localhost".as_ref());
    vec![
        ("GIT_AUTHOR_NAME", name),
        ("GIT_AUTHOR_EMAIL", email),
        ("GIT_COMMITTER_NAME", name),
        ("GIT_COMMITTER_EMAIL", email),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        include_matches(&include_patterns(p), s)
    }

    #[test]
    fn globs() {
        assert!(m(".env", ".env"));
        assert!(!m(".env", "a/.env"));
        assert!(m("**/local.json", "config/local.json"));
        assert!(m("**/local.json", "local.json"));
        assert!(m("*.env", "prod.env"));
        assert!(!m("*.env", "a/prod.env"));
        assert!(m("secrets/", "secrets/a/b.txt"));
        assert!(m("secrets", "secrets/a.txt"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "a/c"));
        assert!(!m("*.env\n!prod.env", "prod.env"));
    }

    #[test]
    fn status_parses_renames() {
        let out = b"R  new.txt\0old.txt\0 M a.txt\0?? b c.txt\0D  gone\0A  added\0";
        let got: Vec<(String, String)> = status_parse(out).into_iter().map(|f| (f.path, f.status)).collect();
        let want = [
            ("new.txt", "renamed"),
            ("a.txt", "modified"),
            ("b c.txt", "untracked"),
            ("gone", "deleted"),
            ("added", "added"),
        ];
        assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
    }
}

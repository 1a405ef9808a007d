//! Git, through the `git` command line (what users have, and what behaves like their own
//! commands). Only reads live here for now; writes will go through one queue per repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0} does not exist; check the path")]
    PathNotFound(PathBuf),
    #[error("{0} is not a folder; choose the folder of a git repository")]
    NotADirectory(PathBuf),
    #[error("{0} is not a git repository; run `git init` there first, or choose another folder")]
    NotARepo(PathBuf),
    #[error("{0} is a bare repository; Baton needs a repository with a working tree (clone it first)")]
    Bare(PathBuf),
    #[error("cannot run git ({0}); install git and make sure it is on PATH")]
    Missing(String),
    #[error("git {args} failed in {dir}: {stderr}")]
    Failed { args: String, dir: PathBuf, stderr: String },
}

impl GitError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::PathNotFound(_) => ErrorCode::PathNotFound,
            Self::NotADirectory(_) => ErrorCode::InvalidInput,
            Self::NotARepo(_) => ErrorCode::NotAGitRepo,
            Self::Bare(_) => ErrorCode::BareRepo,
            Self::Missing(_) | Self::Failed { .. } => ErrorCode::Internal,
        }
    }
}

/// What Baton needs to know of a repository a session is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// The top of the working tree, canonical.
    pub root: PathBuf,
    /// The checked-out branch, or `None` on a detached HEAD.
    pub branch: Option<String>,
}

/// Checks that `path` is (inside) a git working tree and returns its root and branch.
pub fn repo_inspect(path: &Path) -> Result<RepoInfo, GitError> {
    if !path.exists() {
        return Err(GitError::PathNotFound(path.to_owned()));
    }
    if !path.is_dir() {
        return Err(GitError::NotADirectory(path.to_owned()));
    }
    let path = path.canonicalize().map_err(|_| GitError::PathNotFound(path.to_owned()))?;
    let bare = git(&path, &["rev-parse", "--is-bare-repository"])?;
    if !bare.status.success() {
        return Err(GitError::NotARepo(path));
    }
    if String::from_utf8_lossy(&bare.stdout).trim() == "true" {
        return Err(GitError::Bare(path));
    }
    // Inside a `.git` folder `--show-toplevel` fails or prints nothing: that is not a working tree.
    let top = git(&path, &["rev-parse", "--show-toplevel"])?;
    let top = String::from_utf8_lossy(&top.stdout).trim().to_owned();
    if top.is_empty() {
        return Err(GitError::NotARepo(path));
    }
    let root = PathBuf::from(top);
    let branch = git(&root, &["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    let branch = branch
        .status
        .success()
        .then(|| String::from_utf8_lossy(&branch.stdout).trim().to_owned())
        .filter(|b| !b.is_empty());
    Ok(RepoInfo { root, branch })
}

/// `git` as Baton runs it everywhere: in `dir` when given, with output we can parse.
pub(crate) fn git_command(dir: Option<&Path>) -> Command {
    let mut cmd = Command::new("git");
    if let Some(dir) = dir {
        cmd.arg("-C").arg(dir);
    }
    // The user's locale must not change the output we parse. No optional locks: a `git status`
    // of ours must never hold `index.lock` while the agent (or the user) runs `git add`.
    cmd.env("LC_ALL", "C").env("GIT_OPTIONAL_LOCKS", "0").env_remove("GIT_DIR").env_remove("GIT_WORK_TREE");
    cmd
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, GitError> {
    git_command(Some(dir)).args(args).output().map_err(|e| GitError::Missing(e.to_string()))
}

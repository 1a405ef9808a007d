//! Publishing an agent's branch: pushed to the repository's remote, and a pull request opened
//! with the GitHub CLI (`gh`) when it is installed and logged in. What is missing (a remote, gh,
//! a login) is said with what to do about it, before anything is pushed. Git and gh run with
//! their prompts off: nobody would see a password prompt, and the call would hang on it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{WorktreeError, commit_of, git_line, git_ok, repo_write_lock};

/// A request to push an agent's branch, and open a pull request for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushRequest {
    /// The remote to push to [default: `origin`, or the repository's only remote].
    #[serde(default)]
    #[ts(optional)]
    pub remote: Option<String>,
    /// Also open a pull request (with `gh`) from the branch into the session's base branch.
    #[serde(default)]
    pub pull_request: bool,
    /// The pull request's title [default: the agent's task title].
    #[serde(default)]
    #[ts(optional)]
    pub title: Option<String>,
    /// The pull request's description [default: the task's result and review].
    #[serde(default)]
    #[ts(optional)]
    pub body: Option<String>,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    pub remote: String,
    pub branch: String,
    /// The commit pushed (the branch's tip).
    pub commit: String,
    /// Files left uncommitted in the worktree: they are not part of what was pushed.
    pub uncommitted: u32,
    /// The pull request's address, when one was opened.
    pub pull_request_url: Option<String>,
}

/// The remote to push to: the one asked for, else `origin`, else the only one.
pub fn remote_choose(repo: &Path, asked: Option<&str>) -> Result<String, WorktreeError> {
    let list = git_line(repo, ["remote"])?;
    let remotes: Vec<&str> = list.lines().map(str::trim).filter(|r| !r.is_empty()).collect();
    if remotes.is_empty() {
        return Err(WorktreeError::NoRemote(format!(
            "the repository {} has no remote to push to; add one with `git remote add origin URL` and try again",
            repo.display()
        )));
    }
    match asked.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) if remotes.contains(&r) => Ok(r.to_owned()),
        Some(r) => Err(WorktreeError::NoRemote(format!(
            "the repository has no remote named {r:?}; its remotes: {}",
            remotes.join(", ")
        ))),
        None if remotes.contains(&"origin") => Ok("origin".to_owned()),
        None if remotes.len() == 1 => Ok(remotes[0].to_owned()),
        None => Err(WorktreeError::Refused(format!(
            "the repository has several remotes ({}) and none is named origin; say which one to push to",
            remotes.join(", ")
        ))),
    }
}

/// Pushes `branch` to `remote` (same name there) and sets it as the branch's upstream.
pub fn branch_push(repo: &Path, remote: &str, branch: &str) -> Result<String, WorktreeError> {
    let _guard = repo_write_lock(repo);
    let commit = commit_of(repo, &format!("refs/heads/{branch}"))?.ok_or_else(|| {
        WorktreeError::Refused(format!("the branch {branch:?} no longer exists; there is nothing to push"))
    })?;
    let refspec = format!("refs/heads/{branch}:refs/heads/{branch}");
    let out = crate::git::git_command(Some(repo))
        .args(["push", "--set-upstream", "--porcelain", remote, &refspec])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        .output()
        .map_err(|e| WorktreeError::GitMissing(e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(WorktreeError::Refused(format!(
            "pushing {branch} to {remote} failed: {stderr}; check the remote's address (`git remote -v`) and that you may push to it"
        )));
    }
    Ok(commit)
}

/// The GitHub CLI on the search path `path` (a `PATH` value), if there is one.
pub fn gh_find(path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    std::env::split_paths(path?).map(|dir| dir.join("gh")).find(|p| executable(p))
}

/// `gh`, checked to be there and logged in (`gh auth status`), or what to do about it.
pub fn gh_ready(gh: Option<&Path>, dir: &Path) -> Result<PathBuf, WorktreeError> {
    let Some(gh) = gh else {
        return Err(WorktreeError::GhUnavailable(
            "opening a pull request needs the GitHub CLI, and `gh` is not on PATH; install it (https://cli.github.com), \
             run `gh auth login`, and try again, or push only and open the pull request on the remote's site"
                .to_owned(),
        ));
    };
    let out = gh_command(gh, dir)
        .args(["auth", "status"])
        .output()
        .map_err(|e| WorktreeError::GhUnavailable(format!("cannot run {}: {e}", gh.display())))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let said = said.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("not logged in");
        return Err(WorktreeError::GhUnavailable(format!(
            "the GitHub CLI is not logged in ({said}); run `gh auth login` and try again, or push only and open the pull request on the remote's site"
        )));
    }
    Ok(gh.to_owned())
}

/// What a pull request is made of.
#[derive(Debug, Clone)]
pub struct PullRequestSpec<'a> {
    /// Where gh runs: it finds the repository (and its GitHub remote) from there.
    pub dir: &'a Path,
    pub branch: &'a str,
    pub base: &'a str,
    pub title: &'a str,
    pub body: &'a str,
}

/// Opens a pull request with `gh pr create`; its address.
pub fn pull_request_open(gh: &Path, spec: &PullRequestSpec<'_>) -> Result<String, WorktreeError> {
    let out = gh_command(gh, spec.dir)
        .args(["pr", "create", "--head", spec.branch, "--base", spec.base, "--title", spec.title, "--body", spec.body])
        .output()
        .map_err(|e| WorktreeError::GhUnavailable(format!("cannot run {}: {e}", gh.display())))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(WorktreeError::Refused(format!(
            "the branch was pushed, but gh could not open the pull request: {stderr}"
        )));
    }
    // gh prints the new pull request's address last.
    Ok(stdout.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default().to_owned())
}

fn gh_command(gh: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(gh);
    cmd.current_dir(dir).env("GH_PROMPT_DISABLED", "1").env("GH_NO_UPDATE_NOTIFIER", "1").env("NO_COLOR", "1");
    cmd
}

/// Files with uncommitted changes in `worktree` (tracked or not): they are not pushed.
pub fn uncommitted_count(worktree: &Path) -> Result<u32, WorktreeError> {
    let out = git_ok(worktree, ["status", "--porcelain=v1", "-z"])?;
    Ok(super::status_parse(&out).len() as u32)
}

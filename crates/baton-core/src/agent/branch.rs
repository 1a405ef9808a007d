//! An agent's branch against the world around it: how far behind and ahead of its base branch it
//! is, the base brought into it (rebase or merge, in its worktree), and the branch pushed to the
//! repository's remote with a pull request opened for it. Git work blocks: these run on the
//! caller's thread (the daemon calls the engine from blocking threads).

use std::path::{Path, PathBuf};

use super::log::Note;
use super::record::{Agent, AgentError};
use super::workspace::work_described;
use crate::engine::Engine;
use crate::error::Result;
use crate::session::Session;
use crate::worktree::publish::{
    PullRequestSpec, PushReport, PushRequest, branch_push, gh_find, gh_ready, pull_request_open, remote_choose,
    uncommitted_count,
};
use crate::worktree::update::{
    BranchStatus, UpdateReport, UpdateRequest, branch_status, update_abort, update_from_base,
};

impl Engine {
    /// How many commits the agent's branch is behind and ahead of the session's base branch, and
    /// an update stopped on conflicts, if one is.
    pub fn agent_branch_status(&self, id_or_name: &str) -> Result<BranchStatus> {
        let agent = self.agent_get(id_or_name)?;
        let (session, wt) = self.worktree_live(&agent)?;
        let base = base_of(&session, &wt.base_ref);
        Ok(branch_status(Path::new(&wt.path), &wt.branch, &base)?)
    }

    /// Brings the session's base branch into the agent's branch, by rebase or merge, in its
    /// worktree. Refused while the agent works or its worktree has uncommitted changes; a
    /// conflict is left in the worktree to resolve, or to abort with [`Self::agent_update_abort`].
    pub fn agent_update(&self, id_or_name: &str, req: &UpdateRequest) -> Result<UpdateReport> {
        let agent = self.agent_get(id_or_name)?;
        let (session, wt) = self.worktree_live(&agent)?;
        busy_refuse(&agent, "wait for its turn to end (`baton wait AGENT`) or stop it, then update it")?;
        let base = base_of(&session, &wt.base_ref);
        let report = update_from_base(Path::new(&session.repo), Path::new(&wt.path), &wt.branch, &base, req.mode)?;
        let message = if report.up_to_date {
            format!("{} already has everything on {base}", wt.branch)
        } else if report.ok {
            format!("brought {base} into {} ({})", wt.branch, req.mode.as_str())
        } else {
            format!(
                "bringing {base} into {} ({}) stopped on conflicts in {}; resolve them, or abort the update",
                wt.branch,
                req.mode.as_str(),
                report.conflicts.join(", ")
            )
        };
        self.note_blocking(&agent.id, &Note::Notice { message });
        self.changes_refresh(&agent.id);
        Ok(report)
    }

    /// Abandons an update stopped on conflicts: the branch goes back to how it was.
    pub fn agent_update_abort(&self, id_or_name: &str) -> Result<BranchStatus> {
        let agent = self.agent_get(id_or_name)?;
        let (session, wt) = self.worktree_live(&agent)?;
        busy_refuse(&agent, "wait for its turn to end or stop it, then abort the update")?;
        let base = base_of(&session, &wt.base_ref);
        let status = update_abort(Path::new(&session.repo), Path::new(&wt.path), &wt.branch, &base)?;
        self.note_blocking(
            &agent.id,
            &Note::Notice { message: format!("aborted the update of {} from {base}", wt.branch) },
        );
        self.changes_refresh(&agent.id);
        Ok(status)
    }

    /// Pushes the agent's branch to the repository's remote and, when asked, opens a pull request
    /// into the session's base branch with `gh` (checked to be installed and logged in before
    /// anything is pushed).
    pub fn agent_push(&self, id_or_name: &str, req: &PushRequest) -> Result<PushReport> {
        let gh = gh_find(std::env::var_os("PATH").as_deref());
        self.agent_push_with(id_or_name, req, gh.as_deref())
    }

    /// [`Self::agent_push`] with the GitHub CLI found by the caller (`None`: not installed).
    pub fn agent_push_with(&self, id_or_name: &str, req: &PushRequest, gh: Option<&Path>) -> Result<PushReport> {
        let agent = self.agent_get(id_or_name)?;
        let (session, wt) = self.worktree_of(&agent)?;
        if wt.branch_deleted_at.is_some() {
            return Err(AgentError::Invalid(format!(
                "agent {}'s branch {} was merged and deleted; there is nothing to push",
                agent.name, wt.branch
            ))
            .into());
        }
        let repo = PathBuf::from(&session.repo);
        let remote = remote_choose(&repo, req.remote.as_deref())?;
        let gh = if req.pull_request { Some(gh_ready(gh, &repo)?) } else { None };
        let commit = branch_push(&repo, &remote, &wt.branch)?;
        let folder = Path::new(&wt.path);
        let uncommitted = if folder.is_dir() { uncommitted_count(folder)? } else { 0 };
        let mut report = PushReport {
            remote: remote.clone(),
            branch: wt.branch.clone(),
            commit,
            uncommitted,
            pull_request_url: None,
        };
        let mut message = format!("pushed {} to {remote}", wt.branch);
        if let Some(gh) = gh {
            let base = base_of(&session, &wt.base_ref);
            let task = agent.task_id.as_deref().map(|t| self.task_get(t)).transpose()?;
            let (subject, described) = work_described(&agent, task.as_ref());
            let rest = [described, format!("Opened by Baton from branch {} of agent {}.", wt.branch, agent.name)]
                .into_iter()
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join("\n\n");
            let title = req.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(&subject);
            let body = req.body.as_deref().unwrap_or(&rest);
            let spec = PullRequestSpec { dir: &repo, branch: &wt.branch, base: &base, title, body };
            let url = pull_request_open(&gh, &spec)?;
            message.push_str(&format!(" and opened pull request {url}"));
            report.pull_request_url = Some(url);
        }
        self.note_blocking(&agent.id, &Note::Notice { message });
        Ok(report)
    }

    fn changes_refresh(&self, agent_id: &str) {
        if let Some(changes) = &self.inner.changes {
            changes.refresh(agent_id);
        }
        self.inner.agent_publish(agent_id);
    }
}

/// The branch an agent's work is measured against: the session's base branch, else where the
/// agent's branch started.
fn base_of(session: &Session, base_ref: &str) -> String {
    session.base_branch.clone().unwrap_or_else(|| base_ref.to_owned())
}

fn busy_refuse(agent: &Agent, what: &'static str) -> Result<()> {
    if agent.state.is_active() {
        return Err(AgentError::Busy { agent: agent.name.clone(), state: agent.state.as_str(), what }.into());
    }
    Ok(())
}

//! What agents produce, in git: the worktree made for each agent at spawn (and its setup
//! command), checkpoints after each turn, changes, diff, merge, restore, removal and garbage
//! collection. Git work blocks: these run on the caller's thread (the daemon calls the engine
//! from blocking threads) or on `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::log::Note;
use super::record::{self, Agent, AgentError, AgentState};
use super::supervisor::group_signal;
use crate::engine::{Engine, EngineState};
use crate::error::Result;
use crate::session::{Session, SessionState};
use crate::worktree::diff::{WorktreeDiff, worktree_diff};
use crate::worktree::merge::{MergeReport, MergeRequest, MergeSpec, merge};
use crate::worktree::snapshot::{Checkpoint, RestoreReport, checkpoint_list, checkpoint_restore, checkpoint_save};
use crate::worktree::{self, BRANCH_PATTERN_DEFAULT, ChangedFile, Worktree, WorktreeError, WorktreeSpec, gc};
use crate::{time, worktree::ref_component_sanitise};

/// What garbage collection did (or, dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcReport {
    pub dry_run: bool,
    /// Worktrees removed.
    pub removed: Vec<GcEntry>,
    /// Worktrees and branches kept, and why.
    pub kept: Vec<GcEntry>,
    pub branches_deleted: Vec<String>,
    /// Bytes used by Baton's worktrees before and after.
    #[ts(type = "number")]
    pub disk_bytes_before: u64,
    #[ts(type = "number")]
    pub disk_bytes_after: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GcEntry {
    pub agent_id: String,
    pub agent_name: String,
    pub path: String,
    pub branch: String,
    pub reason: String,
}

impl Engine {
    /// Makes the worktree an agent named `name` will work in, on a new branch from the session's
    /// base branch (its HEAD's commit when the session was made on a detached HEAD).
    pub(crate) fn worktree_make(&self, session: &Session, name: &str) -> Result<Worktree> {
        let repo = PathBuf::from(&session.repo);
        let pattern = session.settings.branch_pattern.as_deref().unwrap_or(BRANCH_PATTERN_DEFAULT);
        let spec = WorktreeSpec {
            repo_name: repo.file_name().map_or_else(|| "repo".into(), |n| ref_component_sanitise(&n.to_string_lossy())),
            repo_root: repo,
            worktrees_dir: self.inner.home.worktrees_dir(),
            name: ref_component_sanitise(name),
            branch: worktree::branch_name(pattern, &session.name, name),
            base_ref: session.base_branch.clone().unwrap_or_else(|| "HEAD".into()),
        };
        Ok(worktree::worktree_create(&spec)?)
    }

    /// Tells the lane where the agent works, and anything git had to say about it.
    pub(crate) fn worktree_notes(&self, agent: &Agent, wt: &Worktree) {
        let short = &wt.base_commit[..wt.base_commit.len().min(8)];
        let mut lines =
            vec![format!("working in {} on branch {} (from {} at {short})", wt.path, wt.branch, wt.base_ref)];
        lines.extend(wt.notes.iter().cloned());
        for message in lines {
            self.note_blocking(&agent.id, &Note::Notice { message });
        }
        if let Some(changes) = &self.inner.changes {
            changes.watch(&agent.id, Path::new(&wt.path));
        }
    }

    /// Runs the session's setup command in the agent's new worktree, its output going to the
    /// lane. `Err` carries the message for the lane when it failed.
    pub(crate) fn setup_run(&self, agent: &Agent, command: &str) -> std::result::Result<(), String> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        self.note_blocking(&agent.id, &Note::Notice { message: format!("setup: {command}") });
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1; {command}"))
            .current_dir(&agent.cwd)
            .env("BATON_SESSION", &agent.session_id)
            .env("BATON_AGENT", &agent.id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run the setup command: {e}"))?;
        if let Some(out) = child.stdout.take() {
            for line in std::io::BufReader::new(out).lines().map_while(std::result::Result::ok) {
                self.note_blocking(&agent.id, &Note::Notice { message: line });
            }
        }
        let status = child.wait().map_err(|e| format!("the setup command failed: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "the setup command `{command}` failed ({status}); the agent was not started. Fix the session's setup command, then spawn again"
            ))
        }
    }

    /// Notes something in the agent's log from a blocking thread.
    pub(crate) fn note_blocking(&self, id: &str, note: &Note) {
        let runtime = self.inner.agents().get(id).map(|s| s.runtime.clone());
        if let Some(runtime) = runtime {
            runtime.blocking_lock().note(&self.inner, note);
        }
    }

    /// Starts watching every existing worktree of a live agent's session (after a restart).
    pub(crate) fn worktrees_watch(&self) -> Result<()> {
        let Some(changes) = &self.inner.changes else { return Ok(()) };
        let agents = record::agent_list(&self.inner.store.conn(), None, true)?;
        for agent in agents {
            if let Some(wt) = agent.worktree.filter(|w| w.removed_at.is_none() && Path::new(&w.path).is_dir()) {
                changes.watch(&agent.id, Path::new(&wt.path));
            }
        }
        Ok(())
    }

    /// The agent's changed files now (uncommitted and untracked).
    pub fn agent_changes(&self, id_or_name: &str) -> Result<Vec<ChangedFile>> {
        let agent = self.agent_get(id_or_name)?;
        let (_, wt) = self.worktree_of(&agent)?;
        if !Path::new(&wt.path).is_dir() {
            return Ok(Vec::new());
        }
        Ok(worktree::worktree_changes(Path::new(&wt.path))?)
    }

    /// The agent's work (commits and uncommitted changes) against where its branch left its base.
    pub fn agent_diff(&self, id_or_name: &str, with_patch: bool) -> Result<WorktreeDiff> {
        let agent = self.agent_get(id_or_name)?;
        let (session, wt) = self.worktree_of(&agent)?;
        let repo = Path::new(&session.repo);
        let base = wt.merged_into.clone().or(session.base_branch.clone()).unwrap_or_else(|| wt.base_ref.clone());
        // The worktree gone, its branch holds the work.
        let folder = Path::new(&wt.path);
        let worktree = folder.is_dir().then_some(folder);
        Ok(worktree_diff(repo, worktree, &wt.branch, &base, &wt.base_commit, with_patch)?)
    }

    pub fn agent_checkpoints(&self, id_or_name: &str) -> Result<Vec<Checkpoint>> {
        let agent = self.agent_get(id_or_name)?;
        let (session, _) = self.worktree_of(&agent)?;
        Ok(checkpoint_list(Path::new(&session.repo), &agent.id)?)
    }

    /// Brings back checkpoint `n` in the agent's worktree. A running agent is paused (SIGSTOP to
    /// its process group) meanwhile, so it writes nothing half-way through.
    pub fn agent_restore(&self, id_or_name: &str, n: u32) -> Result<RestoreReport> {
        let agent = self.agent_get(id_or_name)?;
        let (session, wt) = self.worktree_live(&agent)?;
        let pid = agent.pid.filter(|_| agent.state.is_active() || agent.state == AgentState::Waiting);
        group_signal(pid, rustix::process::Signal::STOP);
        let result = checkpoint_restore(Path::new(&session.repo), Path::new(&wt.path), &agent.id, &wt.base_commit, n);
        group_signal(pid, rustix::process::Signal::CONT);
        let report = result?;
        if let Some(saved) = &report.saved {
            self.note_checkpoint(&agent.id, saved);
        }
        self.note_blocking(
            &agent.id,
            &Note::Notice { message: format!("restored checkpoint {n} ({})", report.restored.message) },
        );
        if let Some(changes) = &self.inner.changes {
            changes.refresh(&agent.id);
        }
        Ok(report)
    }

    /// Merges the agent's work into `req.into` (default: the session's base branch). Refused
    /// while the agent is working; a dry run says what would happen.
    pub fn agent_merge(&self, id_or_name: &str, req: &MergeRequest) -> Result<MergeReport> {
        if let Some(into) = &req.into {
            crate::names::name_check("branch", into)?;
        }
        let agent = self.agent_get(id_or_name)?;
        let (session, wt) = self.worktree_of(&agent)?;
        if wt.branch_deleted_at.is_some() {
            return Err(AgentError::Invalid(format!(
                "agent {}'s branch {} was merged and deleted; there is nothing left to merge",
                agent.name, wt.branch
            ))
            .into());
        }
        let into = req
            .into
            .clone()
            .filter(|b| !b.trim().is_empty())
            .or(session.base_branch.clone())
            .ok_or_else(|| {
                AgentError::Invalid(
                    "the session has no base branch (its repository was on a detached HEAD); say which branch to merge into (--into BRANCH)".into(),
                )
            })?;
        let busy = agent.state.is_active();
        if busy && !req.dry_run {
            return Err(AgentError::Busy {
                agent: agent.name.clone(),
                state: agent.state.as_str(),
                what: "wait for its turn to end (`baton wait AGENT`) or stop it, then merge",
            }
            .into());
        }
        let title = agent.prompt.lines().next().unwrap_or_default().chars().take(72).collect::<String>();
        let work_message = format!(
            "{}: work left uncommitted\n\nCommitted by Baton to merge it (agent {}, task: {title}).",
            agent.name, agent.id
        );
        let message = match req.message.as_deref() {
            Some(m) if m.trim().is_empty() => {
                return Err(AgentError::Invalid(
                    "the commit message is empty; write one, or leave it out for the default".into(),
                )
                .into());
            }
            Some(m) => m.trim().to_owned(),
            None => {
                let task = agent.task_id.as_deref().map(|t| self.task_get(t)).transpose()?;
                merge_message_default(&agent, task.as_ref(), &wt.branch, req.strategy)
            }
        };
        let path = PathBuf::from(&wt.path);
        let spec = MergeSpec {
            repo: Path::new(&session.repo),
            worktree: wt.removed_at.is_none().then_some(path.as_path()),
            branch: &wt.branch,
            into: &into,
            strategy: req.strategy,
            dry_run: req.dry_run || busy,
            work_message: &work_message,
            message: &message,
        };
        let mut report = merge(&spec)?;
        if busy {
            report.ok = false;
            report.refusal.get_or_insert_with(|| {
                format!(
                    "agent {} is {}; wait for its turn to end or stop it, then merge",
                    agent.name,
                    agent.state.as_str()
                )
            });
        }
        if !report.dry_run && report.ok {
            if let Some(tip) = &report.merged_tip {
                record::agent_merged_set(&self.inner.store.conn(), &agent.id, &into, tip)?;
            }
            self.inner.agent_publish(&agent.id);
            if let Some(changes) = &self.inner.changes {
                changes.refresh(&agent.id);
            }
        }
        Ok(report)
    }

    /// Removes an agent from use, archiving it: stops it and removes its worktree (refused when
    /// it holds uncommitted work, unless `force`), but keeps its record, its log (its history
    /// stays readable) and its cost (the session's total still counts it). Its branch stays: it
    /// may hold unmerged work.
    pub fn agent_remove(&self, id_or_name: &str, force: bool) -> Result<Agent> {
        let agent = self.agent_get(id_or_name)?;
        if agent.archived_at.is_some() {
            return Ok(agent);
        }
        if let Some(wt) = agent.worktree.as_ref().filter(|w| w.removed_at.is_none()) {
            let session = self.session_get(&agent.session_id)?;
            let path = Path::new(&wt.path);
            // Checked before the agent is stopped, so a refusal leaves it running; the removal
            // checks again for what it wrote while stopping.
            if !force && path.is_dir() {
                let changed = worktree::worktree_changes(path)?;
                if !changed.is_empty() {
                    return Err(WorktreeError::Dirty { path: path.to_owned(), count: changed.len() }.into());
                }
            }
            self.agent_stop(&agent.id)?;
            // Never under a process that still runs in it.
            if let Some(pid) = self.agent_process_running(&agent) {
                return Err(AgentError::Invalid(format!(
                    "agent {} still runs (pid {pid}) in {}; stop it first (`baton agent stop {}`), then remove it",
                    agent.name, wt.path, agent.name
                ))
                .into());
            }
            worktree::worktree_remove(Path::new(&session.repo), path, force)?;
            record::agent_worktree_removed(&self.inner.store.conn(), &agent.id)?;
        } else {
            self.agent_stop(&agent.id)?;
        }
        if let Some(changes) = &self.inner.changes {
            changes.unwatch(&agent.id);
        }
        // Its runtime may not be open in this daemon (an agent of a previous one): the note needs it.
        self.runtime_slot(&agent)?;
        let message = match &agent.worktree {
            Some(_) => "archived: its worktree was removed; its history and cost are kept",
            None => "archived: its history and cost are kept",
        };
        self.note_blocking(&agent.id, &Note::Notice { message: message.into() });
        record::agent_archived_set(&self.inner.store.conn(), &agent.id)?;
        // Its runtime (open log) is no longer needed; a read of its history opens the log itself.
        self.inner.agents().remove(&agent.id);
        self.inner.agent_publish(&agent.id);
        self.agent_get(&agent.id)
    }

    /// Removes finished agents' worktrees older than the retention (sooner for archived
    /// sessions), deletes their branches once merged, and prunes stale worktree records. Never
    /// removes a worktree with uncommitted work nor deletes a branch with unmerged commits: those
    /// are kept, with the reason.
    pub fn worktrees_gc(&self, dry_run: bool) -> Result<GcReport> {
        let retention = self.settings()?.worktrees;
        let dir = self.inner.home.worktrees_dir();
        let mut report = GcReport { dry_run, disk_bytes_before: gc::dir_size(&dir), ..GcReport::default() };
        let mut repos = std::collections::BTreeSet::new();
        let now = time::now_ms();
        let agents = record::agent_list(&self.inner.store.conn(), None, true)?;
        for agent in agents {
            let Some(wt) = agent.worktree.clone() else { continue };
            if wt.branch_deleted_at.is_some() || agent.state.is_active() {
                continue;
            }
            let session = self.session_get(&agent.session_id)?;
            let repo = PathBuf::from(&session.repo);
            // Work merged, with nothing committed since, has nothing left to keep: it goes at once,
            // whatever its age.
            let merged = wt.merged_tip.is_some() && gc::branch_is_at(&repo, &wt.branch, wt.merged_tip.as_deref())?;
            // A live process that is waiting (for a message, for approval) is in use, unless its
            // work is merged and it only idles; one whose end is already recorded is only its
            // supervisor finishing up.
            let ended = matches!(agent.state, AgentState::Exited | AgentState::Failed | AgentState::Stopped);
            let idle_merged = merged && agent.state == AgentState::Waiting;
            if !ended && !idle_merged && self.is_live(&agent.id) {
                continue;
            }
            repos.insert(repo.clone());
            let days = if session.state == SessionState::Archived {
                retention.archived_retention_days
            } else {
                retention.retention_days
            };
            let age_days = (now - time::rfc3339_to_ms(&agent.updated_at).unwrap_or(now)) as f64 / 86_400_000.0;
            if age_days < days && !merged {
                continue;
            }
            if !dry_run && !ended {
                // Its idle process goes first: it works in the folder about to be removed.
                self.process_end(&agent.id);
            }
            let entry = |reason: String| GcEntry {
                agent_id: agent.id.clone(),
                agent_name: agent.name.clone(),
                path: wt.path.clone(),
                branch: wt.branch.clone(),
                reason,
            };
            let path = Path::new(&wt.path);
            let mut worktree_gone = wt.removed_at.is_some();
            if !worktree_gone {
                if !path.is_dir() {
                    report.removed.push(entry("its folder was already deleted; the stale record is pruned".into()));
                    worktree_gone = true;
                } else {
                    // Uncommitted files keep it: counted for a dry run, refused by the removal itself.
                    let dirty = if dry_run {
                        worktree::worktree_changes(path)?.len()
                    } else {
                        match worktree::worktree_remove(&repo, path, false) {
                            Ok(()) => 0,
                            Err(WorktreeError::Dirty { count, .. }) => count,
                            Err(e) => return Err(e.into()),
                        }
                    };
                    if dirty == 0 {
                        let why = if merged {
                            format!("its work was merged into {}", wt.merged_into.as_deref().unwrap_or("its base"))
                        } else {
                            format!("finished {age_days:.0} days ago")
                        };
                        report.removed.push(entry(why));
                        worktree_gone = true;
                    } else {
                        report.kept.push(entry(format!(
                            "{dirty} uncommitted file(s) in the worktree; merge them (`baton merge {}`) or remove the agent with --force",
                            agent.name
                        )));
                    }
                }
                if worktree_gone && !dry_run {
                    record::agent_worktree_removed(&self.inner.store.conn(), &agent.id)?;
                    if let Some(changes) = &self.inner.changes {
                        changes.unwatch(&agent.id);
                    }
                }
            }
            if !worktree_gone {
                continue;
            }
            let into = wt.merged_into.clone().or(session.base_branch.clone()).unwrap_or_else(|| wt.base_ref.clone());
            let unmerged = gc::branch_unmerged(&repo, &wt.branch, &into, wt.merged_tip.as_deref())?;
            if unmerged > 0 {
                report.kept.push(entry(format!(
                    "branch {} has {unmerged} commit(s) not merged into {into}; merge it (`baton merge {}`) or delete it yourself",
                    wt.branch, agent.name
                )));
                continue;
            }
            if !dry_run {
                // Gone already (deleted by hand) is as good as deleted.
                if crate::worktree::commit_of(&repo, &format!("refs/heads/{}", wt.branch))?.is_some() {
                    gc::branch_delete(&repo, &wt.branch)?;
                }
                record::agent_branch_deleted(&self.inner.store.conn(), &agent.id)?;
            }
            report.branches_deleted.push(wt.branch.clone());
        }
        if !dry_run {
            for repo in &repos {
                gc::worktrees_prune(repo)?;
            }
        }
        report.disk_bytes_after = gc::dir_size(&dir);
        Ok(report)
    }

    /// Bytes used by Baton's worktrees.
    pub fn worktrees_disk_usage(&self) -> u64 {
        gc::dir_size(&self.inner.home.worktrees_dir())
    }

    /// Before a process of the agent starts: a worktree folder deleted by hand is made again
    /// from the agent's branch, and the lane says so.
    pub(crate) fn worktree_ensure(&self, agent: &Agent) -> Result<()> {
        let Some(wt) = &agent.worktree else { return Ok(()) };
        if Path::new(&wt.path).is_dir() {
            return Ok(());
        }
        let session = self.session_get(&agent.session_id)?;
        worktree::worktree_repair(Path::new(&session.repo), Path::new(&wt.path), &wt.branch)?;
        record::agent_worktree_restored(&self.inner.store.conn(), &agent.id)?;
        self.runtime_slot(agent)?;
        self.note_blocking(
            &agent.id,
            &Note::Notice {
                message: format!(
                    "the worktree {} was missing; made it again from branch {} (anything uncommitted in it is gone; checkpoints keep earlier states)",
                    wt.path, wt.branch
                ),
            },
        );
        if let Some(changes) = &self.inner.changes {
            changes.watch(&agent.id, Path::new(&wt.path));
        }
        Ok(())
    }

    fn note_checkpoint(&self, id: &str, c: &Checkpoint) {
        self.note_blocking(id, &Note::Checkpoint { n: c.n, commit: c.commit.clone(), message: c.message.clone() });
    }

    fn is_live(&self, id: &str) -> bool {
        self.inner.agents().get(id).is_some_and(|s| s.live.is_some())
    }

    /// The agent's session and worktree, or an error saying it has none.
    pub(super) fn worktree_of(&self, agent: &Agent) -> Result<(Session, crate::agent::AgentWorktree)> {
        let Some(wt) = agent.worktree.clone() else {
            return Err(AgentError::Invalid(format!(
                "agent {} works in {} (a folder it was given), not in a worktree of its own",
                agent.name, agent.cwd
            ))
            .into());
        };
        Ok((self.session_get(&agent.session_id)?, wt))
    }

    /// [`Self::worktree_of`], for operations that need the folder itself.
    pub(super) fn worktree_live(&self, agent: &Agent) -> Result<(Session, crate::agent::AgentWorktree)> {
        let (session, wt) = self.worktree_of(agent)?;
        if wt.removed_at.is_some() || !Path::new(&wt.path).is_dir() {
            return Err(AgentError::Invalid(format!(
                "agent {}'s worktree {} is gone; its branch {} keeps its commits",
                agent.name, wt.path, wt.branch
            ))
            .into());
        }
        Ok((session, wt))
    }
}

/// After a turn (or a process) of an agent ended: save its worktree as a checkpoint if it
/// changed, and refresh its changed files. Runs off the async runtime.
pub(crate) fn checkpoint_schedule(inner: Arc<EngineState>, agent_id: String) {
    if let Some(changes) = &inner.changes {
        changes.refresh(&agent_id);
    }
    let Ok(handle) = tokio::runtime::Handle::try_current() else { return };
    inner.checkpoints.begin(&agent_id);
    handle.spawn_blocking(move || {
        let _ended = CheckpointEnd(&inner.checkpoints, &agent_id);
        let conn = inner.store.conn();
        let Ok(agent) = record::agent_get(&conn, &agent_id) else { return };
        drop(conn);
        // The user's refs and files, checked after every turn (agent/sandbox).
        super::sandbox::turn_check(&inner, &agent);
        let conn = inner.store.conn();
        let Some(wt) = agent.worktree.filter(|w| w.removed_at.is_none() && Path::new(&w.path).is_dir()) else {
            return;
        };
        let Ok(session) = crate::session::session_get(&conn, &agent.session_id) else { return };
        drop(conn);
        let message = format!("after turn {}", agent.turns);
        match checkpoint_save(Path::new(&session.repo), Path::new(&wt.path), &agent.id, &wt.base_commit, &message) {
            Ok(Some(c)) => Engine { inner: inner.clone() }.note_checkpoint(&agent.id, &c),
            Ok(None) => {}
            Err(e) => tracing::warn!(agent = %agent.id, "cannot save a checkpoint: {e}"),
        }
    });
}

/// Agents whose checkpoint is being saved. A message to an agent waits for it: otherwise the
/// next turn could change the worktree before the state after this one is kept, and that
/// state would be lost (a test sending right after a turn saw it happen).
#[derive(Default)]
pub(crate) struct CheckpointsInFlight {
    agents: std::sync::Mutex<std::collections::HashMap<String, u32>>,
    ended: std::sync::Condvar,
}

impl CheckpointsInFlight {
    pub(crate) fn begin(&self, agent_id: &str) {
        *self.agents.lock().unwrap_or_else(|p| p.into_inner()).entry(agent_id.to_owned()).or_insert(0) += 1;
    }

    pub(crate) fn end(&self, agent_id: &str) {
        let mut agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = agents.get_mut(agent_id) {
            *n -= 1;
            if *n == 0 {
                agents.remove(agent_id);
            }
        }
        self.ended.notify_all();
    }

    /// Waits (at most `timeout`: a checkpoint of a huge worktree must not hold a message for
    /// ever) until no checkpoint of the agent is being saved.
    pub(crate) fn wait(&self, agent_id: &str, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        let mut agents = self.agents.lock().unwrap_or_else(|p| p.into_inner());
        while agents.contains_key(agent_id) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                tracing::warn!(agent = %agent_id, "a message goes on before the agent's checkpoint is saved");
                return;
            }
            agents = self.ended.wait_timeout(agents, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

/// Ends a checkpoint's record of being in flight, however its saving ends.
struct CheckpointEnd<'a>(&'a CheckpointsInFlight, &'a str);

impl Drop for CheckpointEnd<'_> {
    fn drop(&mut self) {
        self.0.end(self.1);
    }
}

/// The squash or merge commit's message when the user gives none: the work's subject and body
/// ([`work_described`]), then a trailer saying where the work came from.
pub(crate) fn merge_message_default(
    agent: &Agent,
    task: Option<&crate::task::Task>,
    branch: &str,
    strategy: crate::worktree::merge::MergeStrategy,
) -> String {
    let (subject, body) = work_described(agent, task);
    let origin = format!("Merged by Baton from branch {branch} of agent {} ({}).", agent.name, strategy.as_str());
    [subject, body, origin].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n\n")
}

/// What an agent's work is, in a subject line and a body: the task's title, then what the agent
/// said it did (the task's summary) and how the task ended (its outcome: a review's approval);
/// an agent without a task gets its name and first prompt line, and no body.
pub(crate) fn work_described(agent: &Agent, task: Option<&crate::task::Task>) -> (String, String) {
    let Some(task) = task else {
        let first = agent.prompt.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
        let first: String = first.trim().chars().take(72).collect();
        let subject =
            if first.is_empty() { format!("{}: work", agent.name) } else { format!("{}: {first}", agent.name) };
        return (subject, String::new());
    };
    let mut said: Vec<&str> = Vec::new();
    for s in [task.summary.as_deref(), task.outcome.as_deref()].into_iter().flatten().map(str::trim) {
        // The outcome often repeats the summary (a task done without review).
        if !s.is_empty() && !said.contains(&s) {
            said.push(s);
        }
    }
    (task.title.trim().to_owned(), said.join("\n"))
}

//! One coordinator cycle, carried out: it reads a snapshot of the session, asks the rules in
//! `decide.rs` what to do, and does it: end the tasks whose agent finished, start ready tasks,
//! mark agents, check the completion criteria. Nothing here holds a lock another session needs
//! while it works (git, setup commands and process ends can take seconds): only the session's
//! own turn to cycle (see `CycleGate`) and the store's connection for single statements.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::params;

use super::decide::{self, Action, RunningView, Start, StartOn, TaskMarks, TurnEnd};
use super::{CycleSummary, handoff, locked};
use crate::agent::log::Note;
use crate::agent::record::{self, Agent, AgentSpawn, AgentState};
use crate::artifact::{ArtifactKind, ArtifactNew, artifact_insert, summary_line};
use crate::engine::Engine;
use crate::error::Result;
use crate::session::Session;
use crate::task::{Task, TaskFields, TaskState};
use crate::time;

/// At most this many files named by a result are kept as artifacts.
const FILES_NAMED_MAX: usize = 10;

impl Engine {
    pub(super) fn cycle_run(&self, session: &Session) -> Result<CycleSummary> {
        let mut sum = CycleSummary::default();

        // Running tasks whose agent finished its turn end (or go on); the graph advances.
        let tasks = self.task_list(&session.id)?;
        let agents = self.agent_list(Some(&session.id))?;
        for task in tasks.iter().filter(|t| t.state == TaskState::Running) {
            if let Err(e) = self.running_follow(session, task, &tasks, &agents, &mut sum) {
                self.task_block(task, &format!("the coordinator could not follow it: {e}"), &mut sum)?;
            }
        }
        self.tasks_advance(&session.id)?;

        // Ready select and vote tasks check and count their candidates first; those needing no
        // judge end here.
        self.selections_prepare(session, &mut sum)?;

        // Ready tasks start, oldest first, within the session's limit; never on the
        // coordinator conversation, which hands work out rather than doing it.
        let tasks = self.task_list(&session.id)?;
        let mut agents = self.agent_list(Some(&session.id))?;
        agents.retain(|a| session.coordinator_agent.as_deref() != Some(a.id.as_str()));
        let mut plan =
            decide::starts_plan(&tasks, &agents, session.settings.max_agents(), session.settings.default_cli());
        if self.inner.health.paused_all() && !plan.starts.is_empty() {
            // "Pause all": ready tasks wait until "resume all".
            plan.starts.clear();
            sum.notes.push("everything is paused: ready tasks wait for `baton resume --all`".into());
        }
        if !plan.starts.is_empty()
            && let Some(over) = crate::agent::budget::session_over(&self.inner.store.conn(), &session.id)?
        {
            // The session's budget is used up: nothing new starts until the user raises it.
            plan.starts.clear();
            sum.notes.push(format!(
                "the session is over budget ({over}): ready tasks wait until `baton session set {} --budget-...` raises it",
                session.name
            ));
        }
        let mut started = 0;
        for start in &plan.starts {
            if started >= plan.room {
                break;
            }
            match self.task_start(session, &tasks, start) {
                Ok(()) => {
                    sum.started.push(start.task.name.clone());
                    started += 1;
                }
                Err(e) => self.task_block(
                    &start.task,
                    &format!("it could not start: {e}. Fix that, then `baton task retry {}`", start.task.name),
                    &mut sum,
                )?,
            }
        }

        // Agents are marked (the coordinator conversation is not a worker to mark idle); the
        // criteria are weighed.
        let tasks = self.task_list(&session.id)?;
        let agents = self.agent_list(Some(&session.id))?;
        let workers: Vec<Agent> =
            agents.iter().filter(|a| session.coordinator_agent.as_deref() != Some(a.id.as_str())).cloned().collect();
        self.agents_mark(session, &tasks, &workers, &mut sum);
        // Messages kept for agents whose turn ended a task wait for the task to be read (see
        // `agent/message.rs`): it is, now.
        for agent in agents.iter().filter(|a| a.queued_messages > 0 && a.state == AgentState::Waiting) {
            self.messages_flush(&agent.id);
        }
        let decisions: i64 = self.inner.store.conn().query_row(
            "SELECT count(*) FROM decisions WHERE session_id = ?1 AND state = 'pending'",
            [&session.id],
            |r| r.get(0),
        )?;
        sum.criteria = decide::criteria(&tasks, &agents, decisions, started < plan.room);
        Ok(sum)
    }

    /// Follows one running task: reads what the rules need about it, then does what they say.
    fn running_follow(
        &self,
        session: &Session,
        task: &Task,
        tasks: &[Task],
        agents: &[Agent],
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let agent = task.agent_id.as_deref().and_then(|id| agents.iter().find(|a| a.id == id));
        let marks = match agent {
            Some(_) => self.task_marks(&task.id)?,
            None => TaskMarks::default(),
        };
        let orphaned = agent.is_some_and(|a| locked(&self.inner.coordinators.orphaned).contains(&a.id));
        let turn = match agent {
            Some(a) if decide::turn_wanted(a, marks) => Some(self.last_turn(a)?),
            _ => None,
        };
        // The turn's end moves tasks: they are read as they are now (earlier tasks of this cycle
        // moved some), and so is the agent work may be sent back to.
        let (tasks_now, reviewed_agent) = match &turn {
            Some(_) => {
                let now = self.task_list(&session.id)?;
                let reviewed_agent = task
                    .reviews
                    .as_deref()
                    .and_then(|id| now.iter().find(|t| t.id == id))
                    .and_then(|t| t.agent_id.as_deref())
                    .and_then(|id| self.agent_get(id).ok());
                (Some(now), reviewed_agent)
            }
            None => (None, None),
        };
        let options = match (&turn, &task.pattern) {
            (Some(_), Some(_)) => self.judge_options(task, tasks_now.as_deref().unwrap_or(tasks))?,
            _ => Vec::new(),
        };
        let view = RunningView {
            task,
            tasks: tasks_now.as_deref().unwrap_or(tasks),
            agent,
            marks,
            orphaned,
            turn: turn.as_ref(),
            reviewed_agent: reviewed_agent.as_ref(),
            auto_merge: session.settings.auto_merge,
            options: &options,
        };
        for action in decide::running_follow(&view) {
            self.act(session, action, sum)?;
        }
        Ok(())
    }

    /// Carries out one action of the rules.
    fn act(&self, session: &Session, action: Action, sum: &mut CycleSummary) -> Result<()> {
        match action {
            Action::OrphanForget { agent_id } => {
                locked(&self.inner.coordinators.orphaned).remove(&agent_id);
            }
            Action::Finished { task } => sum.finished.push(task),
            Action::SentBack { task } => sum.sent_back.push(task),
            Action::Note(note) => sum.notes.push(note),
            Action::ResultStore { task, agent, turn, summary } => {
                self.task_artifacts(&task, &agent, &turn, &summary)?
            }
            Action::TaskSet { task, state, summary, outcome } => self.task_set(
                &task,
                state,
                TaskFields { summary: summary.as_deref(), outcome: outcome.as_deref(), reason: None },
            )?,
            Action::Block { task, why } => self.task_block(&task, &why, sum)?,
            Action::Assign { task_id, agent_id, turns } => self.task_assign(&task_id, &agent_id, turns, false, None)?,
            Action::Send { agent_id, message } => {
                self.agent_send(&agent_id, &message)?;
            }
            Action::FilesWrite { dir, files } => {
                if let Err(e) = handoff::files_write(Path::new(&dir), &files) {
                    sum.notes.push(e);
                }
            }
            Action::ReasksSet { task_id } => {
                self.inner.store.conn().execute("UPDATE tasks SET reasks = 1 WHERE id = ?1", [&task_id])?;
            }
            Action::RoundsSet { task_id, round } => {
                self.inner
                    .store
                    .conn()
                    .execute("UPDATE tasks SET rounds = ?2 WHERE id = ?1", params![task_id, round])?;
            }
            Action::VerdictStore { task, agent_id, round, summary, body } => {
                self.artifact_keep(ArtifactNew {
                    session_id: &session.id,
                    task_id: Some(&task.id),
                    agent_id: Some(&agent_id),
                    kind: ArtifactKind::Verdict,
                    title: &format!("{}: verdict, round {round}", task.name),
                    summary: &summary,
                    body: &body,
                    path: None,
                })?;
            }
            Action::AnswerKeepAndBlock { task, agent_id, text, why } => {
                let id = self.artifact_keep(ArtifactNew {
                    session_id: &session.id,
                    task_id: Some(&task.id),
                    agent_id: Some(&agent_id),
                    kind: ArtifactKind::Text,
                    title: &format!("{}: answer without a verdict", task.name),
                    summary: &summary_line(&text, 120),
                    body: &text,
                    path: None,
                })?;
                let who = if task.pattern.is_some() { "judge" } else { "reviewer" };
                self.task_block(&task, &decide::answer_kept_reason(who, &task.name, &why, &id), sum)?;
            }
            Action::Gate { task, agent, command, timeout_secs, passed, summary } => {
                self.gate_run(&task, &agent, &command, timeout_secs, passed, &summary, sum)?
            }
            Action::Choose { task, winner, scores, reasons } => match &task.pattern {
                Some(crate::pattern::TaskPattern::Vote { .. }) => {
                    self.vote_decide(&task, &winner, &format!("tie broken by the judge: {reasons}"), "judge", sum)?
                }
                _ => self.selection_decide(&task, &winner, &scores, &reasons, "judge", sum)?,
            },
            Action::Approve { task, mut outcome, merge } => {
                if let Some(agent_id) = merge {
                    outcome.push_str(&self.auto_merge(&agent_id, sum));
                }
                self.task_set(&task, TaskState::Done, TaskFields { outcome: Some(&outcome), ..Default::default() })?;
            }
        }
        Ok(())
    }

    pub(super) fn auto_merge(&self, agent_id: &str, sum: &mut CycleSummary) -> String {
        match self.agent_merge(agent_id, &Default::default()) {
            Ok(r) if r.ok => format!("; merged into {}", r.into),
            Ok(r) => {
                let why = r.refusal.unwrap_or_else(|| "it cannot merge cleanly".into());
                sum.notes.push(format!("auto-merge refused: {why}"));
                format!("; auto-merge refused: {why}")
            }
            Err(e) => {
                sum.notes.push(format!("auto-merge failed: {e}"));
                format!("; auto-merge failed: {e}")
            }
        }
    }

    fn task_block(&self, task: &Task, why: &str, sum: &mut CycleSummary) -> Result<()> {
        sum.blocked.push(task.name.clone());
        self.task_set(task, TaskState::Blocked, TaskFields { reason: Some(why), ..Default::default() })
    }

    /// Stores what a finished turn left: its answer (with its one-line `summary`), the files it
    /// names, the worktree's diff.
    fn task_artifacts(&self, task: &Task, agent: &Agent, turn: &TurnEnd, summary: &str) -> Result<()> {
        fn base<'a>(
            (task, agent): (&'a Task, &'a Agent),
            kind: ArtifactKind,
            title: &'a str,
            summary: &'a str,
            body: &'a str,
            path: Option<&'a str>,
        ) -> ArtifactNew<'a> {
            ArtifactNew {
                session_id: &task.session_id,
                task_id: Some(&task.id),
                agent_id: Some(&agent.id),
                kind,
                title,
                summary,
                body,
                path,
            }
        }
        let of = (task, agent);
        let title = format!("{}: result", task.name);
        let kind = if turn.is_error { ArtifactKind::Text } else { ArtifactKind::Markdown };
        self.artifact_keep(base(of, kind, &title, summary, &turn.text, None))?;
        for (path, content) in handoff::files_named(Path::new(&agent.cwd), &turn.text, FILES_NAMED_MAX) {
            let title = format!("{}: {path}", task.name);
            let line = format!("{path}, {} lines", content.lines().count());
            self.artifact_keep(base(of, ArtifactKind::File, &title, &line, &content, Some(&path)))?;
        }
        if agent.worktree.is_some() {
            match self.agent_diff(&agent.id, true) {
                Ok(d) if !d.files.is_empty() => {
                    let line = format!(
                        "{} file{} changed, +{} -{}",
                        d.files.len(),
                        if d.files.len() == 1 { "" } else { "s" },
                        d.additions,
                        d.deletions
                    );
                    let title = format!("{}: diff", task.name);
                    self.artifact_keep(base(
                        of,
                        ArtifactKind::Diff,
                        &title,
                        &line,
                        d.patch.as_deref().unwrap_or(""),
                        None,
                    ))?;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(agent = %agent.id, "no diff for the task's artifacts: {e}"),
            }
        }
        Ok(())
    }

    fn artifact_keep(&self, new: ArtifactNew<'_>) -> Result<String> {
        artifact_insert(&self.inner.store.conn(), &new)
    }

    /// Gives a ready task to the agent the plan chose, or to a new one.
    fn task_start(&self, session: &Session, tasks: &[Task], start: &Start) -> Result<()> {
        let task = &start.task;
        let (prompt, files) = {
            let conn = self.inner.store.conn();
            handoff::handoff(&conn, task, tasks)?
        };
        // An idle agent takes the task only if it reads and writes as the task wants.
        let fits = |agent: &Agent| -> Result<bool> {
            let conn = self.inner.store.conn();
            Ok(record::agent_read_only(&conn, &agent.id)? == crate::task::task_read_only(&conn, &task.id)?)
        };
        let name = match &start.on {
            StartOn::Agent(agent) if !fits(agent)? => {
                self.agent_name_for(session, task.role.as_deref().unwrap_or(&task.name))?
            }
            StartOn::Agent(agent) => {
                if let Err(e) = handoff::files_write(Path::new(&agent.cwd), &files) {
                    self.note_blocking(&agent.id, &Note::Notice { message: e });
                }
                record::agent_task_set(&self.inner.store.conn(), &agent.id, &task.id, task.role.as_deref())?;
                self.task_assign(&task.id, &agent.id, agent.turns, true, Some(&prompt))?;
                self.agent_send(&agent.id, &prompt)?;
                return Ok(());
            }
            StartOn::NewAgent { name } => self.agent_name_for(session, name)?,
        };
        let req = AgentSpawn {
            session: session.id.clone(),
            cli: start.cli,
            prompt: prompt.clone(),
            name: Some(name),
            model: task.model.clone(),
            allow_tools: vec![],
            program: vec![],
            cwd: None,
        };
        let agent = self.agent_spawn_for_task(&req, task, &files)?;
        self.task_assign(&task.id, &agent.id, 0, true, Some(&prompt))
    }

    /// `base`, or `base-2`, `base-3`... free among the session's agents.
    fn agent_name_for(&self, session: &Session, base: &str) -> Result<String> {
        let conn = self.inner.store.conn();
        let mut name = base.to_owned();
        let mut n = 2;
        while record::agent_name_taken(&conn, &session.id, &name)? {
            name = format!("{base}-{n}");
            n += 1;
        }
        Ok(name)
    }

    /// The end of the agent's last turn, from its log.
    fn last_turn(&self, agent: &Agent) -> Result<TurnEnd> {
        Ok(decide::turn_last(self.agent_events(&agent.id, 0, usize::MAX)?.into_iter().map(|r| r.event)))
    }

    /// The agent's turn count when it was given the task, and how often a verdict was re-asked.
    fn task_marks(&self, id: &str) -> Result<TaskMarks> {
        Ok(self.inner.store.conn().query_row("SELECT agent_turns, reasks FROM tasks WHERE id = ?1", [id], |r| {
            Ok(TaskMarks { turns_at: r.get::<_, i64>(0)?.max(0) as u32, reasks: r.get::<_, i64>(1)?.max(0) as u32 })
        })?)
    }

    /// Marks agents idle, stalled or waiting; notes a newly stalled agent on its lane.
    fn agents_mark(&self, session: &Session, tasks: &[Task], agents: &[Agent], sum: &mut CycleSummary) {
        // The log takes every line the agent prints (the event index only some): its
        // modification time is the agent's last output.
        let logged: HashMap<String, i64> = agents
            .iter()
            .filter(|a| matches!(a.state, AgentState::Starting | AgentState::Running))
            .filter_map(|a| {
                let at = std::fs::metadata(&a.log_path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())?;
                Some((a.id.clone(), at.as_millis() as i64))
            })
            .collect();
        let stalled_since: HashMap<String, i64> = {
            let stalled = locked(&self.inner.coordinators.stalled);
            agents.iter().filter_map(|a| stalled.get(&a.id).map(|t| (a.id.clone(), *t))).collect()
        };
        let now = time::now_ms();
        let marks = decide::agents_mark(tasks, agents, session.settings.stall(), now, &logged, &stalled_since);
        {
            let mut stalled = locked(&self.inner.coordinators.stalled);
            for id in &marks.stall_cleared {
                stalled.remove(id);
            }
            for (id, _) in &marks.stall_notes {
                stalled.insert(id.clone(), now);
            }
        }
        for (id, message) in marks.stall_notes {
            self.note_blocking(&id, &Note::Notice { message });
        }
        sum.running = marks.running;
        sum.idle = marks.idle;
        sum.stalled = marks.stalled;
        sum.waiting = marks.waiting;
    }
}

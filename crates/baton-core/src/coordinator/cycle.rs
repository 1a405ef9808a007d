//! One coordinator cycle: end the tasks whose agent finished, start ready tasks, mark agents,
//! check the completion criteria.

use std::path::Path;
use std::time::Duration;

use rusqlite::params;

use super::handoff::{self, CONTEXT_DIR};
use super::verdict::{Verdict, VerdictKind, findings_markdown, verdict_parse, verdict_summary};
use super::{Criteria, CycleSummary, locked};
use crate::agent::record::{self, Agent, AgentSpawn, AgentState};
use crate::agent::{AgentEvent, log::Note};
use crate::artifact::{ArtifactKind, ArtifactNew, artifact_insert, summary_line};
use crate::engine::Engine;
use crate::error::Result;
use crate::session::Session;
use crate::task::{Task, TaskFields, TaskState};
use crate::time;

/// How a turn ended: the agent's final answer and whether the CLI called it an error.
struct TurnEnd {
    text: String,
    is_error: bool,
}

/// At most this many files named by a result are kept as artifacts.
const FILES_NAMED_MAX: usize = 10;

impl Engine {
    pub(super) fn cycle_run(&self, session: &Session) -> Result<CycleSummary> {
        let mut sum = CycleSummary::default();
        let tasks = self.task_list(&session.id)?;
        let agents = self.agent_list(Some(&session.id))?;
        for task in tasks.iter().filter(|t| t.state == TaskState::Running) {
            if let Err(e) = self.task_watch(session, task, &agents, &mut sum) {
                self.task_block(task, &format!("the coordinator could not follow it: {e}"), &mut sum)?;
            }
        }
        self.tasks_advance(&session.id)?;

        // Ready tasks start, oldest first, within the session's limit.
        let tasks = self.task_list(&session.id)?;
        let mut running = tasks.iter().filter(|t| t.state == TaskState::Running).count();
        let limit = session.settings.max_agents();
        for task in tasks.iter().filter(|t| t.state == TaskState::Ready) {
            if running >= limit {
                break;
            }
            match self.task_start(session, task) {
                Ok(()) => {
                    sum.started.push(task.name.clone());
                    running += 1;
                }
                Err(e) => self.task_block(
                    task,
                    &format!("it could not start: {e}. Fix that, then `baton task retry {}`", task.name),
                    &mut sum,
                )?,
            }
        }

        let tasks = self.task_list(&session.id)?;
        let agents = self.agent_list(Some(&session.id))?;
        self.agents_mark(session, &tasks, &agents, &mut sum);
        sum.criteria = self.criteria(session, &tasks, &agents, running < limit)?;
        Ok(sum)
    }

    /// Follows one running task through its agent.
    fn task_watch(&self, session: &Session, task: &Task, agents: &[Agent], sum: &mut CycleSummary) -> Result<()> {
        let Some(agent) = task.agent_id.as_deref().and_then(|id| agents.iter().find(|a| a.id == id)) else {
            let why = format!("its agent is gone. `baton task retry {}` starts it on a new agent", task.name);
            return self.task_block(task, &why, sum);
        };
        let (turns_at, _) = self.task_marks(&task.id)?;
        let turn_over = agent.turns > turns_at;
        // Its process ended with the previous daemon (a CLI stopped mid-turn may report the
        // turn as ended in an error): the agent resumes its CLI session, or, stopped before its
        // CLI began one, the task starts again.
        if agent.state == AgentState::Stopped
            && locked(&self.inner.coordinators.orphaned).remove(&agent.id)
            && (!turn_over || self.last_turn(agent)?.is_error)
        {
            if agent.cli_session_id.is_none() {
                sum.notes.push(format!("{} starts again: its agent had not begun when Baton stopped", task.name));
                return self.task_set(task, TaskState::Ready, TaskFields::default());
            }
            let message = format!(
                "Baton restarted while you worked on this task; continue it where you left off.\n\n{}",
                task.prompt
            );
            self.task_assign(&task.id, &agent.id, agent.turns, false)?;
            self.agent_send(&agent.id, &message)?;
            sum.notes.push(format!("{} resumed on {} after a restart", task.name, agent.name));
            return Ok(());
        }
        match agent.state {
            AgentState::Waiting | AgentState::Exited | AgentState::Stopped | AgentState::Failed if turn_over => {
                sum.finished.push(task.name.clone());
                self.turn_ended(session, task, agent, sum)
            }
            AgentState::Exited | AgentState::Failed | AgentState::Stopped => {
                let how = match (agent.state, agent.exit_code) {
                    (AgentState::Stopped, _) => "was stopped".to_owned(),
                    (_, Some(code)) => format!("exited with code {code}"),
                    _ => "failed".to_owned(),
                };
                let why = format!(
                    "its agent {} {how} before finishing its turn; what it did so far is in its worktree. \
                     `baton task retry {}` starts the task again (resuming {} when its CLI can)",
                    agent.name, task.name, agent.name
                );
                self.task_block(task, &why, sum)
            }
            AgentState::NeedsInput | AgentState::Waiting | AgentState::Starting | AgentState::Running => Ok(()),
        }
    }

    /// The agent's turn on `task` is over: store what it left and move the task on.
    fn turn_ended(&self, session: &Session, task: &Task, agent: &Agent, sum: &mut CycleSummary) -> Result<()> {
        let turn = self.last_turn(agent)?;
        if task.reviews.is_some() && !turn.is_error {
            return self.review_ended(session, task, agent, &turn, sum);
        }
        let summary = self.task_artifacts(task, agent, &turn)?;
        if turn.is_error {
            let outcome = format!("the agent's turn ended in an error: {}", summary_line(&turn.text, 200));
            return self.task_set(
                task,
                TaskState::Failed,
                TaskFields { summary: Some(&summary), outcome: Some(&outcome), reason: None },
            );
        }
        let tasks = self.task_list(&session.id)?;
        let reviewed_by = tasks.iter().find(|t| t.reviews.as_deref() == Some(task.id.as_str()) && !t.state.is_final());
        let state = if reviewed_by.is_some() { TaskState::Review } else { TaskState::Done };
        self.task_set(task, state, TaskFields { summary: Some(&summary), outcome: Some(&summary), reason: None })
    }

    /// A reviewer answered: approve, send back, or ask again for a verdict it did not give.
    fn review_ended(
        &self,
        session: &Session,
        task: &Task,
        agent: &Agent,
        turn: &TurnEnd,
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let tasks = self.task_list(&session.id)?;
        let reviewed = tasks.iter().find(|t| Some(t.id.as_str()) == task.reviews.as_deref()).cloned();
        let verdict = match verdict_parse(&turn.text) {
            Ok(v) => v,
            Err(why) => return self.verdict_malformed(session, task, agent, turn, &why, sum),
        };
        let round = task.rounds + 1;
        let summary = format!("round {round}: {}", verdict_summary(&verdict));
        self.artifact_add(ArtifactNew {
            session_id: &session.id,
            task_id: Some(&task.id),
            agent_id: Some(&agent.id),
            kind: ArtifactKind::Verdict,
            title: &format!("{}: verdict, round {round}", task.name),
            summary: &summary,
            body: &serde_json::to_string_pretty(&verdict).unwrap_or_default(),
            path: None,
        })?;
        self.inner.store.conn().execute("UPDATE tasks SET rounds = ?2 WHERE id = ?1", params![task.id, round])?;
        let Some(reviewed) = reviewed else {
            return self.task_set(
                task,
                TaskState::Done,
                TaskFields { summary: Some(&summary), outcome: Some(&summary), reason: None },
            );
        };
        match verdict.verdict {
            VerdictKind::Approve => {
                let mut outcome = format!("approved by {} in round {round}", task.name);
                if session.settings.auto_merge
                    && let Some(agent_id) = &reviewed.agent_id
                {
                    outcome.push_str(&self.auto_merge(agent_id, sum));
                }
                self.task_set(
                    &reviewed,
                    TaskState::Done,
                    TaskFields { outcome: Some(&outcome), ..Default::default() },
                )?;
                self.task_set(
                    task,
                    TaskState::Done,
                    TaskFields { summary: Some(&summary), outcome: Some(&summary), reason: None },
                )
            }
            VerdictKind::RequestChanges if round < task.max_rounds => {
                self.send_back(&reviewed, task, &verdict, round, sum)?;
                // The review waits for the new work, then runs again (on the same agent).
                self.task_set(task, TaskState::Pending, TaskFields { summary: Some(&summary), ..Default::default() })
            }
            VerdictKind::RequestChanges => {
                let why = format!(
                    "{} still requests changes after {round} rounds (findings in its verdict artifact). Accept the work \
                     with `baton complete {} done`, give up with `baton complete {} failed`, or `baton task retry {}` \
                     for another round",
                    task.name, reviewed.name, reviewed.name, task.name
                );
                let outcome = format!("changes still requested after {round} rounds");
                self.task_set(
                    task,
                    TaskState::Failed,
                    TaskFields { summary: Some(&summary), outcome: Some(&outcome), reason: None },
                )?;
                self.task_block(&reviewed, &why, sum)
            }
        }
    }

    /// Sends the reviewed task back to its agent with the findings.
    fn send_back(&self, reviewed: &Task, review: &Task, v: &Verdict, round: u32, sum: &mut CycleSummary) -> Result<()> {
        let Some(agent) = reviewed.agent_id.as_deref().map(|id| self.agent_get(id)).transpose()? else {
            return self.task_block(reviewed, "the review asks for changes but its agent is gone", sum);
        };
        let findings = findings_markdown(&v.findings);
        let file = format!("{CONTEXT_DIR}/{}-findings.md", review.name);
        if let Err(e) = handoff::files_write(
            Path::new(&agent.cwd),
            &[(file.clone(), format!("# Findings of {}, round {round}\n\n{findings}\n", review.name))],
        ) {
            sum.notes.push(e);
        }
        let message = format!(
            "The reviewer requested changes (round {round} of at most {}). Address every finding below in this \
             worktree and commit your work.\n\n{findings}\n\n(Also in {file}.)",
            review.max_rounds
        );
        self.task_assign(&reviewed.id, &agent.id, agent.turns, false)?;
        self.agent_send(&agent.id, &message)?;
        sum.sent_back.push(reviewed.name.clone());
        Ok(())
    }

    /// The reviewer's answer held no verdict: asked again once, then the task is blocked with
    /// the answer kept.
    fn verdict_malformed(
        &self,
        session: &Session,
        task: &Task,
        agent: &Agent,
        turn: &TurnEnd,
        why: &str,
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let (_, reasks) = self.task_marks(&task.id)?;
        if reasks == 0 {
            self.inner.store.conn().execute("UPDATE tasks SET reasks = 1 WHERE id = ?1", [&task.id])?;
            self.task_assign(&task.id, &agent.id, agent.turns, false)?;
            let message = format!(
                "Your answer is not the verdict asked for: {why}. Answer again with JSON only, exactly in this shape: \
                 {{\"verdict\": \"approve\" | \"request_changes\", \"findings\": [{{\"file\": \"...\", \"line\": 1, \
                 \"severity\": \"error\" | \"warning\" | \"note\", \"message\": \"...\"}}]}}"
            );
            self.agent_send(&agent.id, &message)?;
            sum.notes.push(format!("{}: asked {} again for a JSON verdict ({why})", task.name, agent.name));
            return Ok(());
        }
        let id = self.artifact_add(ArtifactNew {
            session_id: &session.id,
            task_id: Some(&task.id),
            agent_id: Some(&agent.id),
            kind: ArtifactKind::Text,
            title: &format!("{}: answer without a verdict", task.name),
            summary: &summary_line(&turn.text, 120),
            body: &turn.text,
            path: None,
        })?;
        let why = format!(
            "the reviewer answered twice without a JSON verdict ({why}); its answer is kept as artifact {id}. Decide \
             with `baton complete {} done` or `failed`, or `baton task retry {}`",
            task.name, task.name
        );
        self.task_block(task, &why, sum)
    }

    fn auto_merge(&self, agent_id: &str, sum: &mut CycleSummary) -> String {
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

    /// Stores what a finished turn left (its answer, the files it names, the worktree's diff);
    /// returns the one-line summary.
    fn task_artifacts(&self, task: &Task, agent: &Agent, turn: &TurnEnd) -> Result<String> {
        let summary = match summary_line(&turn.text, 120) {
            s if s.is_empty() => "(no answer)".to_owned(),
            s => s,
        };
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
        self.artifact_add(base(of, kind, &title, &summary, &turn.text, None))?;
        for (path, content) in handoff::files_named(Path::new(&agent.cwd), &turn.text, FILES_NAMED_MAX) {
            let title = format!("{}: {path}", task.name);
            let line = format!("{path}, {} lines", content.lines().count());
            self.artifact_add(base(of, ArtifactKind::File, &title, &line, &content, Some(&path)))?;
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
                    self.artifact_add(base(
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
        Ok(summary)
    }

    fn artifact_add(&self, new: ArtifactNew<'_>) -> Result<String> {
        artifact_insert(&self.inner.store.conn(), &new)
    }

    /// Gives a ready task to an agent: its previous one, an idle one of its role, or a new one.
    fn task_start(&self, session: &Session, task: &Task) -> Result<()> {
        let tasks = self.task_list(&session.id)?;
        let (prompt, files) = {
            let conn = self.inner.store.conn();
            handoff::handoff(&conn, task, &tasks)?
        };
        let cli = task.cli.unwrap_or(session.settings.default_cli());
        let agents = self.agent_list(Some(&session.id))?;
        let resumable = |a: &Agent| {
            a.cli == cli && a.cli_session_id.is_some() && !a.state.is_active() && a.state != AgentState::NeedsInput
        };
        let task_over =
            |a: &Agent| a.task_id.as_deref().is_none_or(|id| tasks.iter().any(|t| t.id == id && t.state.is_final()));
        let reuse = task
            .agent_id
            .as_deref()
            .and_then(|id| agents.iter().find(|a| a.id == id))
            .filter(|a| resumable(a))
            .or_else(|| {
                let role = task.role.as_deref()?;
                agents.iter().find(|a| a.role.as_deref() == Some(role) && resumable(a) && task_over(a))
            });
        if let Some(agent) = reuse {
            if let Err(e) = handoff::files_write(Path::new(&agent.cwd), &files) {
                self.note_blocking(&agent.id, &Note::Notice { message: e });
            }
            record::agent_task_set(&self.inner.store.conn(), &agent.id, &task.id, task.role.as_deref())?;
            self.task_assign(&task.id, &agent.id, agent.turns, true)?;
            self.agent_send(&agent.id, &prompt)?;
            return Ok(());
        }
        let name = self.agent_name_for(session, task.role.as_deref().unwrap_or(&task.name))?;
        let req = AgentSpawn {
            session: session.id.clone(),
            cli,
            prompt,
            name: Some(name),
            model: task.model.clone(),
            allow_tools: vec![],
            program: vec![],
            cwd: None,
        };
        let agent = self.agent_spawn_for_task(&req, task, &files)?;
        self.task_assign(&task.id, &agent.id, 0, true)
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
        let mut texts: Vec<String> = Vec::new();
        let mut last: Option<TurnEnd> = None;
        for r in self.agent_events(&agent.id, 0, usize::MAX)? {
            match r.event {
                AgentEvent::UserText { .. } => texts.clear(),
                AgentEvent::Text { text, delta: true } => match texts.last_mut() {
                    Some(t) => t.push_str(&text),
                    None => texts.push(text),
                },
                AgentEvent::Text { text, delta: false } => texts.push(text),
                AgentEvent::TurnCompleted { result, is_error, .. } => {
                    let said = texts.join("\n\n");
                    let text = result.filter(|r| !r.trim().is_empty()).unwrap_or(said);
                    last = Some(TurnEnd { text, is_error });
                    texts.clear();
                }
                _ => {}
            }
        }
        Ok(last.unwrap_or(TurnEnd { text: texts.join("\n\n"), is_error: false }))
    }

    /// The agent's turn count when it was given the task, and how often a verdict was re-asked.
    fn task_marks(&self, id: &str) -> Result<(u32, u32)> {
        Ok(self.inner.store.conn().query_row("SELECT agent_turns, reasks FROM tasks WHERE id = ?1", [id], |r| {
            Ok((r.get::<_, i64>(0)?.max(0) as u32, r.get::<_, i64>(1)?.max(0) as u32))
        })?)
    }

    /// Marks agents idle, stalled or waiting; notes a newly stalled agent on its lane.
    fn agents_mark(&self, session: &Session, tasks: &[Task], agents: &[Agent], sum: &mut CycleSummary) {
        let stall = session.settings.stall();
        let now = time::now_ms();
        let mut stalled_before = locked(&self.inner.coordinators.stalled);
        for a in agents {
            let working =
                a.task_id.as_deref().is_some_and(|id| tasks.iter().any(|t| t.id == id && !t.state.is_final()));
            match a.state {
                AgentState::NeedsInput => sum.waiting.push(a.name.clone()),
                AgentState::Starting | AgentState::Running => {
                    // The log takes every line the agent prints (the event index only some):
                    // its modification time is the agent's last output.
                    let logged = std::fs::metadata(&a.log_path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_millis() as i64);
                    // Our own stall notice is written to the log too: it is not the agent's.
                    let noted = stalled_before.get(&a.id).copied();
                    let logged = logged.filter(|t| noted.is_none_or(|n| *t > n + 1_000));
                    let last = [
                        a.last_event_at.as_deref().and_then(time::rfc3339_to_ms),
                        logged,
                        time::rfc3339_to_ms(&a.updated_at),
                    ]
                    .into_iter()
                    .flatten()
                    .max();
                    let silent =
                        last.map_or(Duration::ZERO, |t| Duration::from_millis(now.saturating_sub(t).max(0) as u64));
                    if silent >= stall {
                        sum.stalled.push(a.name.clone());
                        if !stalled_before.contains_key(&a.id) {
                            stalled_before.insert(a.id.clone(), now);
                            let message = format!(
                                "no output for {} s while running: stalled. `baton logs {}` shows its last events; \
                                 `baton abort {}` stops it",
                                silent.as_secs(),
                                a.name,
                                a.name
                            );
                            self.note_blocking(&a.id, &Note::Notice { message });
                        }
                    } else {
                        stalled_before.remove(&a.id);
                        sum.running.push(a.name.clone());
                    }
                }
                AgentState::Waiting if !working => sum.idle.push(a.name.clone()),
                _ => {}
            }
        }
    }

    fn criteria(&self, session: &Session, tasks: &[Task], agents: &[Agent], room: bool) -> Result<Criteria> {
        let mut c = Criteria::default();
        let open: Vec<&Task> =
            tasks.iter().filter(|t| !matches!(t.state, TaskState::Done | TaskState::Cancelled)).collect();
        c.tasks_ended = !tasks.is_empty() && open.is_empty();
        if tasks.is_empty() {
            c.unmet.push("no tasks yet".into());
        } else if !open.is_empty() {
            let list: Vec<String> =
                open.iter().take(5).map(|t| format!("{} is {}", t.name, t.state.as_str())).collect();
            c.unmet.push(format!("{} task(s) not done: {}", open.len(), list.join(", ")));
        }
        let unparsed: Vec<&Task> = tasks.iter().filter(|t| t.state == TaskState::Review).collect();
        c.outputs_parsed = unparsed.is_empty();
        if !c.outputs_parsed {
            c.unmet.push(format!(
                "awaiting review: {}",
                unparsed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        let blocked: Vec<&str> =
            tasks.iter().filter(|t| t.state == TaskState::Blocked).map(|t| t.name.as_str()).collect();
        let waiting: Vec<&str> =
            agents.iter().filter(|a| a.state == AgentState::NeedsInput).map(|a| a.name.as_str()).collect();
        let decisions: i64 = self.inner.store.conn().query_row(
            "SELECT count(*) FROM decisions WHERE session_id = ?1 AND state = 'pending'",
            [&session.id],
            |r| r.get(0),
        )?;
        c.no_blockers = blocked.is_empty() && waiting.is_empty() && decisions == 0;
        if !blocked.is_empty() {
            c.unmet.push(format!("blocked: {}", blocked.join(", ")));
        }
        if !waiting.is_empty() {
            c.unmet.push(format!("waiting for approval: {}", waiting.join(", ")));
        }
        if decisions > 0 {
            c.unmet.push(format!("{decisions} decision(s) pending"));
        }
        let ready = tasks.iter().filter(|t| t.state == TaskState::Ready).count();
        c.no_idle_with_work = ready == 0 || !room;
        if !c.no_idle_with_work {
            c.unmet.push(format!("{ready} ready task(s) not started"));
        }
        c.complete = c.tasks_ended && c.outputs_parsed && c.no_blockers && c.no_idle_with_work;
        Ok(c)
    }
}

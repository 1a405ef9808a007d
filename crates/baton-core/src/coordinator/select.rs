//! Selection and votes: a task that chooses among the tasks it runs after (its candidates).
//!
//! A select task, once ready, runs its check in each candidate's worktree (exit code, duration
//! and output kept as an artifact). None passing blocks it with the outputs kept; one passing
//! wins; several go to its agent, the judge, whose JSON verdict names the winner (`choice.rs`),
//! or, with no judge, the smallest diff wins. A vote task counts its candidates' JSON choices;
//! the majority wins, a tie goes to its judge (or blocks it with no judge). The winner is kept in
//! `task_candidates`; the user may pick another (`task_pick`), and the winner's branch merges
//! when the session merges by itself. The others stay until worktrees are collected.

use std::io::{Read, Seek};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::CycleSummary;
use super::choice::{SelectVerdict, choice_parse, tally, tally_line};
use crate::artifact::{ArtifactKind, ArtifactNew, artifact_insert, artifacts_of_task};
use crate::engine::Engine;
use crate::error::Result;
use crate::pattern::TaskPattern;
use crate::session::Session;
use crate::task::{Task, TaskError, TaskFields, TaskState};

/// A check's output kept beyond this is cut (the end, where test summaries are, is kept).
const CHECK_OUTPUT_MAX: usize = 64 * 1024;

/// `GET /api/tasks/{id}/candidates`: what a select or vote task chose among, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Selection {
    pub task_id: String,
    pub task_name: String,
    /// `select` or `vote`.
    pub form: String,
    pub state: TaskState,
    /// The check run in each candidate's worktree.
    pub command: Option<String>,
    /// The chosen candidate's task name (select) or the winning choice (vote).
    pub winner: Option<String>,
    /// Who chose: `judge`, `check`, `smallest diff`, `majority`, `user`.
    pub decided_by: Option<String>,
    /// The judge's reasons, or how the choice was made.
    pub reasons: Option<String>,
    /// For a vote: each choice and its count.
    pub tally: Vec<VoteCount>,
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoteCount {
    pub choice: String,
    pub votes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub task_id: String,
    pub name: String,
    pub state: TaskState,
    pub agent_id: Option<String>,
    pub cli: Option<crate::agent::protocol::CliKind>,
    /// Its check passed (select), or its vote counted (vote).
    pub passed: bool,
    pub exit_code: Option<i32>,
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    /// The check's output (its end when long).
    pub check_output: Option<String>,
    pub additions: u32,
    pub deletions: u32,
    /// Its diff against the base (a select's candidates).
    pub diff: Option<String>,
    /// What it voted (vote).
    pub choice: Option<String>,
    /// The judge's score.
    pub score: Option<f64>,
    pub chosen: bool,
}

/// `POST /api/tasks/{id}/pick`: the user's choice instead of the engine's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskPick {
    /// A candidate's task name or id (select), or a choice (vote).
    pub candidate: String,
}

/// One candidate row as stored.
#[derive(Debug, Clone)]
struct Row {
    candidate_id: String,
    exit_code: Option<i32>,
    duration_ms: Option<u64>,
    check_artifact: Option<String>,
    passed: bool,
    diff_lines: u32,
    choice: Option<String>,
    score: Option<f64>,
    chosen: bool,
}

fn rows(conn: &Connection, task_id: &str) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.candidate_id, c.exit_code, c.duration_ms, c.check_artifact, c.passed, c.diff_lines, \
         c.choice, c.score, c.chosen FROM task_candidates c JOIN tasks t ON t.id = c.candidate_id \
         WHERE c.task_id = ?1 ORDER BY t.created_at, t.rowid",
    )?;
    let rows = stmt
        .query_map([task_id], |r| {
            Ok(Row {
                candidate_id: r.get(0)?,
                exit_code: r.get(1)?,
                duration_ms: r.get::<_, Option<i64>>(2)?.map(|d| d.max(0) as u64),
                check_artifact: r.get(3)?,
                passed: r.get::<_, i64>(4)? != 0,
                diff_lines: r.get::<_, i64>(5)?.max(0) as u32,
                choice: r.get(6)?,
                score: r.get(7)?,
                chosen: r.get::<_, i64>(8)? != 0,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The task's candidates: the tasks it runs after, in the order they were added.
fn candidates_of<'a>(task: &Task, tasks: &'a [Task]) -> Vec<&'a Task> {
    tasks.iter().filter(|t| task.deps.iter().any(|d| d.task_id == t.id)).collect()
}

/// What a judge is told when it starts: the candidates and how each did, and the JSON to answer.
pub(super) fn judge_brief(conn: &Connection, task: &Task, tasks: &[Task]) -> Result<Option<String>> {
    let stored = rows(conn, &task.id)?;
    let name_of = |id: &str| tasks.iter().find(|t| t.id == id).map_or(id.to_owned(), |t| t.name.clone());
    let brief = match &task.pattern {
        Some(TaskPattern::Select { command, .. }) => {
            let mut lines = Vec::new();
            let mut passing = Vec::new();
            for r in &stored {
                let name = name_of(&r.candidate_id);
                let check = match (command, r.exit_code) {
                    (None, _) => "no check".to_owned(),
                    (Some(_), Some(c)) => {
                        format!("check exit {c} in {:.1} s", r.duration_ms.unwrap_or(0) as f64 / 1000.0)
                    }
                    (Some(_), None) => "check did not run".to_owned(),
                };
                let verdict = if r.passed { "passed" } else { "failed: not eligible" };
                lines.push(format!(
                    "- {name}: {verdict} ({check}; {} lines changed; diff in {}/{name}.diff)",
                    r.diff_lines,
                    super::handoff::CONTEXT_DIR
                ));
                if r.passed {
                    passing.push(name);
                }
            }
            format!(
                "Candidates{}:\n{}\n\nChoose the best among those that passed. Answer with JSON only: \
                 {{\"winner\": \"<one of {}>\", \"scores\": {{\"<candidate>\": <0-10>, ...}}, \"reasons\": \"...\"}}",
                command.as_deref().map_or(String::new(), |c| format!(" (check: `{c}`)")),
                lines.join("\n"),
                passing.join(", ")
            )
        }
        Some(TaskPattern::Vote { choices, .. }) => {
            let votes: Vec<Option<String>> = stored.iter().map(|r| r.choice.clone()).collect();
            let t = tally(choices, &votes);
            let lines: Vec<String> = stored
                .iter()
                .map(|r| {
                    format!("- {}: {}", name_of(&r.candidate_id), r.choice.as_deref().unwrap_or("(no valid choice)"))
                })
                .collect();
            let options = if t.tied.is_empty() { choices.clone() } else { t.tied.clone() };
            format!(
                "The vote is tied ({}). The votes (each voter's reasons in {}/):\n{}\n\nBreak the tie. Answer with \
                 JSON only: {{\"choice\": \"<one of {}>\"}}",
                tally_line(&t),
                super::handoff::CONTEXT_DIR,
                lines.join("\n"),
                options.join(", ")
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(brief))
}

/// What a check did in a worktree.
struct CheckRun {
    exit_code: Option<i32>,
    duration: Duration,
    output: String,
}

/// Runs `command` with `sh -c` in `dir`, output and errors together, killed after `timeout`.
fn check_run(dir: &Path, command: &str, candidate: &str, timeout: Duration) -> CheckRun {
    let started = Instant::now();
    let out = match tempfile::tempfile() {
        Ok(f) => f,
        Err(e) => return CheckRun { exit_code: None, duration: started.elapsed(), output: format!("cannot run: {e}") },
    };
    let spawned = out.try_clone().and_then(|err| {
        Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(dir)
            .env("BATON_CANDIDATE", candidate)
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone()?))
            .stderr(Stdio::from(err))
            .process_group(0)
            .spawn()
    });
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return CheckRun { exit_code: None, duration: started.elapsed(), output: format!("cannot run: {e}") };
        }
    };
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= timeout => {
                // The whole group: a test runner's children go with it.
                crate::agent::supervisor::group_signal(Some(child.id()), rustix::process::Signal::KILL);
                let _ = child.wait();
                timed_out = true;
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(_) => break None,
        }
    };
    let duration = started.elapsed();
    let mut output = String::new();
    let mut file = out;
    let _ = file.seek(std::io::SeekFrom::Start(0));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    if bytes.len() > CHECK_OUTPUT_MAX {
        let cut = bytes.len() - CHECK_OUTPUT_MAX;
        output.push_str(&format!("[... the first {cut} bytes are cut]\n"));
        bytes.drain(..cut);
    }
    output.push_str(&String::from_utf8_lossy(&bytes));
    if timed_out {
        output.push_str(&format!("\n[killed after {} s]", timeout.as_secs()));
    }
    CheckRun { exit_code: status.and_then(|s| s.code()), duration, output }
}

impl Engine {
    /// Ready select and vote tasks that have not chosen yet: checks run and votes are counted;
    /// a task whose choice needs no judge ends here, one that needs its judge is left ready for
    /// the start plan. Returns the names of ready tasks that must not start this cycle.
    pub(super) fn selections_prepare(&self, session: &Session, sum: &mut CycleSummary) -> Result<()> {
        let tasks = self.task_list(&session.id)?;
        for task in tasks.iter().filter(|t| t.state == TaskState::Ready) {
            let outcome = match &task.pattern {
                Some(TaskPattern::Select { command, judge, timeout_secs }) => {
                    let parallel = session.settings.max_agents();
                    self.select_prepare(task, &tasks, command.as_deref(), *judge, *timeout_secs, parallel, sum)
                }
                Some(TaskPattern::Vote { choices, judge }) => self.vote_prepare(task, &tasks, choices, *judge, sum),
                _ => continue,
            };
            if let Err(e) = outcome {
                self.task_block_noted(task, &format!("its candidates could not be weighed: {e}"), sum)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn select_prepare(
        &self,
        task: &Task,
        tasks: &[Task],
        command: Option<&str>,
        judge: bool,
        timeout_secs: u32,
        parallel: usize,
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let candidates = candidates_of(task, tasks);
        if candidates.is_empty() {
            return self.task_block_noted(task, "it has no candidates: no task it runs after", sum);
        }
        let mut stored = rows(&self.inner.store.conn(), &task.id)?;
        if stored.is_empty() {
            // The checks run side by side, as many at once as the session runs agents (each may
            // be a whole test suite).
            let timeout = Duration::from_secs(timeout_secs.into());
            for batch in candidates.chunks(parallel.max(1)) {
                let ran: Vec<Result<()>> = std::thread::scope(|scope| {
                    let runs: Vec<_> = batch
                        .iter()
                        .map(|c| scope.spawn(move || self.candidate_check(task, c, command, timeout)))
                        .collect();
                    runs.into_iter()
                        .map(|r| {
                            r.join()
                                .unwrap_or_else(|_| Err(TaskError::Invalid("a check's thread panicked".into()).into()))
                        })
                        .collect()
                });
                ran.into_iter().collect::<Result<Vec<()>>>()?;
            }
            stored = rows(&self.inner.store.conn(), &task.id)?;
            sum.notes.push(format!(
                "{}: {} of {} candidates passed their check",
                task.name,
                stored.iter().filter(|r| r.passed).count(),
                stored.len()
            ));
        }
        if stored.iter().any(|r| r.chosen) {
            return Ok(()); // chosen already; the judge's or the user's choice ends it
        }
        let name_of = |id: &str| tasks.iter().find(|t| t.id == id).map_or(id.to_owned(), |t| t.name.clone());
        let passing: Vec<&Row> = stored.iter().filter(|r| r.passed).collect();
        if passing.is_empty() {
            let list: Vec<String> = stored
                .iter()
                .map(|r| {
                    let how = r.exit_code.map_or("did not run".to_owned(), |c| format!("exit {c}"));
                    let kept = r.check_artifact.as_deref().map_or(String::new(), |a| format!(", output in {a}"));
                    format!("{} ({how}{kept})", name_of(&r.candidate_id))
                })
                .collect();
            let why = format!(
                "every candidate failed its check `{}`: {}. Fix and `baton task retry {}` to check again, or pick one \
                 with `baton task pick {} CANDIDATE`",
                command.unwrap_or("(none)"),
                list.join("; "),
                task.name,
                task.name
            );
            return self.task_block_noted(task, &why, sum);
        }
        if passing.len() == 1 {
            let winner = name_of(&passing[0].candidate_id);
            return self.selection_decide(
                task,
                &winner,
                &Default::default(),
                "the only candidate that passed its check",
                "check",
                sum,
            );
        }
        if !judge {
            let best =
                passing.iter().min_by_key(|r| r.diff_lines).map(|r| name_of(&r.candidate_id)).unwrap_or_default();
            let reasons = format!(
                "the smallest diff among the {} candidates that passed ({})",
                passing.len(),
                passing
                    .iter()
                    .map(|r| format!("{} {} lines", name_of(&r.candidate_id), r.diff_lines))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return self.selection_decide(task, &best, &Default::default(), &reasons, "smallest diff", sum);
        }
        Ok(()) // the judge starts with the plan
    }

    /// Runs the check in one candidate's worktree and records how it did.
    fn candidate_check(&self, task: &Task, c: &Task, command: Option<&str>, timeout: Duration) -> Result<()> {
        let agent = c.agent_id.as_deref().and_then(|id| self.agent_get(id).ok());
        let diff_lines = agent
            .as_ref()
            .filter(|a| a.worktree.is_some())
            .and_then(|a| self.agent_diff(&a.id, false).ok())
            .map_or(0, |d| d.additions + d.deletions);
        let done = c.state == TaskState::Done;
        let (exit_code, duration_ms, artifact, passed) = match (command, &agent) {
            (_, _) if !done => (None, None, None, false),
            (None, _) => (None, None, None, true),
            (Some(cmd), Some(a)) => {
                let run = check_run(Path::new(&a.cwd), cmd, &c.name, timeout);
                let passed = run.exit_code == Some(0);
                let how = run.exit_code.map_or("no exit code (killed or not run)".to_owned(), |c| format!("exit {c}"));
                let summary = format!("{how} in {:.1} s", run.duration.as_secs_f64());
                let body = format!("$ {cmd}\n{summary}\n\n{}", run.output);
                let id = artifact_insert(
                    &self.inner.store.conn(),
                    &ArtifactNew {
                        session_id: &task.session_id,
                        task_id: Some(&task.id),
                        agent_id: Some(&a.id),
                        kind: ArtifactKind::Text,
                        title: &format!("{}: check of {}", task.name, c.name),
                        summary: &summary,
                        body: &body,
                        path: None,
                    },
                )?;
                (run.exit_code, Some(run.duration.as_millis() as u64), Some(id), passed)
            }
            (Some(_), None) => (None, None, None, false),
        };
        self.inner.store.conn().execute(
            "INSERT OR REPLACE INTO task_candidates (task_id, candidate_id, agent_id, exit_code, duration_ms, \
             check_artifact, passed, diff_lines) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                task.id,
                c.id,
                c.agent_id,
                exit_code,
                duration_ms.map(|d| d as i64),
                artifact,
                passed as i64,
                diff_lines
            ],
        )?;
        Ok(())
    }

    fn vote_prepare(
        &self,
        task: &Task,
        tasks: &[Task],
        choices: &[String],
        judge: bool,
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let candidates = candidates_of(task, tasks);
        if candidates.is_empty() {
            return self.task_block_noted(task, "it has no voters: no task it runs after", sum);
        }
        let mut stored = rows(&self.inner.store.conn(), &task.id)?;
        if stored.is_empty() {
            let conn = self.inner.store.conn();
            for c in &candidates {
                let answer = artifacts_of_task(&conn, &c.id)?
                    .into_iter()
                    .rev()
                    .find(|a| a.kind == ArtifactKind::Markdown)
                    .map(|a| a.body)
                    .or_else(|| c.outcome.clone())
                    .unwrap_or_default();
                let choice = if c.state == TaskState::Done { choice_parse(&answer, choices).ok() } else { None };
                conn.execute(
                    "INSERT OR REPLACE INTO task_candidates (task_id, candidate_id, agent_id, passed, choice) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![task.id, c.id, c.agent_id, choice.is_some() as i64, choice],
                )?;
            }
            drop(conn);
            stored = rows(&self.inner.store.conn(), &task.id)?;
        }
        if stored.iter().any(|r| r.chosen) {
            return Ok(());
        }
        let votes: Vec<Option<String>> = stored.iter().map(|r| r.choice.clone()).collect();
        let t = tally(choices, &votes);
        let line = tally_line(&t);
        if let Some(winner) = &t.winner {
            let reasons = format!("majority: {line}");
            return self.vote_decide(task, winner, &reasons, "majority", sum);
        }
        if !judge {
            let why = format!(
                "the vote is tied ({line}) and the pattern names no judge. Decide with `baton task pick {} CHOICE`",
                task.name
            );
            return self.task_block_noted(task, &why, sum);
        }
        sum.notes.push(format!("{}: tied ({line}); its judge decides", task.name));
        Ok(())
    }

    /// A gated task's agent is done: the gate runs in its worktree (output kept as an artifact);
    /// passing moves the task on, failing fails it with the reason (its dependants are cancelled
    /// saying so).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn gate_run(
        &self,
        task: &Task,
        agent: &crate::agent::record::Agent,
        command: &str,
        timeout_secs: u32,
        passed: TaskState,
        summary: &str,
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let run = check_run(Path::new(&agent.cwd), command, &task.name, Duration::from_secs(timeout_secs.into()));
        let how = run.exit_code.map_or("no exit code (killed or not run)".to_owned(), |c| format!("exit {c}"));
        let line = format!("{how} in {:.1} s", run.duration.as_secs_f64());
        let id = artifact_insert(
            &self.inner.store.conn(),
            &ArtifactNew {
                session_id: &task.session_id,
                task_id: Some(&task.id),
                agent_id: Some(&agent.id),
                kind: ArtifactKind::Text,
                title: &format!("{}: gate", task.name),
                summary: &line,
                body: &format!("$ {command}\n{line}\n\n{}", run.output),
                path: None,
            },
        )?;
        if run.exit_code == Some(0) {
            return self.task_set(
                task,
                passed,
                TaskFields { summary: Some(summary), outcome: Some(summary), reason: None },
            );
        }
        let last = run.output.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_owned();
        let outcome = format!("its gate `{command}` failed ({how}): {last} (output in artifact {id})");
        sum.notes.push(format!("{}: {outcome}", task.name));
        self.task_set(
            task,
            TaskState::Failed,
            TaskFields { summary: Some(summary), outcome: Some(&outcome), reason: None },
        )
    }

    /// What a judge may answer: the passing candidates' names (select) or the tied choices (vote).
    pub(super) fn judge_options(&self, task: &Task, tasks: &[Task]) -> Result<Vec<String>> {
        let stored = rows(&self.inner.store.conn(), &task.id)?;
        let name_of = |id: &str| tasks.iter().find(|t| t.id == id).map_or(id.to_owned(), |t| t.name.clone());
        Ok(match &task.pattern {
            Some(TaskPattern::Select { .. }) => {
                stored.iter().filter(|r| r.passed).map(|r| name_of(&r.candidate_id)).collect()
            }
            Some(TaskPattern::Vote { choices, .. }) => {
                let votes: Vec<Option<String>> = stored.iter().map(|r| r.choice.clone()).collect();
                let t = tally(choices, &votes);
                if t.tied.is_empty() { choices.clone() } else { t.tied }
            }
            _ => Vec::new(),
        })
    }

    /// The chosen candidate wins: recorded, the task done with why, its branch merged when the
    /// session merges by itself.
    pub(super) fn selection_decide(
        &self,
        task: &Task,
        winner: &str,
        scores: &std::collections::BTreeMap<String, f64>,
        reasons: &str,
        by: &str,
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let tasks = self.task_list(&task.session_id)?;
        let chosen = tasks
            .iter()
            .find(|t| t.name == winner && task.deps.iter().any(|d| d.task_id == t.id))
            .ok_or_else(|| TaskError::Invalid(format!("{winner} is not a candidate of {}", task.name)))?;
        {
            let conn = self.inner.store.conn();
            conn.execute(
                "UPDATE task_candidates SET chosen = (candidate_id = ?2) WHERE task_id = ?1",
                params![task.id, chosen.id],
            )?;
            for (name, score) in scores {
                if let Some(t) = tasks.iter().find(|t| &t.name == name) {
                    conn.execute(
                        "UPDATE task_candidates SET score = ?3 WHERE task_id = ?1 AND candidate_id = ?2",
                        params![task.id, t.id, score],
                    )?;
                }
            }
            let verdict =
                SelectVerdict { winner: winner.to_owned(), scores: scores.clone(), reasons: reasons.to_owned() };
            artifact_insert(
                &conn,
                &ArtifactNew {
                    session_id: &task.session_id,
                    task_id: Some(&task.id),
                    agent_id: task.agent_id.as_deref().filter(|_| by == "judge"),
                    kind: ArtifactKind::Verdict,
                    title: &format!("{}: {winner} chosen ({by})", task.name),
                    summary: &crate::artifact::summary_line(reasons, 120),
                    body: &serde_json::to_string_pretty(&verdict).unwrap_or_default(),
                    path: None,
                },
            )?;
        }
        let mut outcome = format!("{winner} chosen ({by}): {}", crate::artifact::summary_line(reasons, 200));
        let session = self.session_get(&task.session_id)?;
        if session.settings.auto_merge
            && let Some(agent) = chosen.agent_id.as_deref()
        {
            outcome.push_str(&self.auto_merge(agent, sum));
        }
        let summary = format!("{winner} chosen ({by})");
        self.task_set(
            task,
            TaskState::Done,
            TaskFields { summary: Some(&summary), outcome: Some(&outcome), reason: None },
        )
    }

    pub(super) fn vote_decide(
        &self,
        task: &Task,
        choice: &str,
        reasons: &str,
        by: &str,
        sum: &mut CycleSummary,
    ) -> Result<()> {
        let _ = sum;
        {
            let conn = self.inner.store.conn();
            conn.execute(
                "UPDATE task_candidates SET chosen = (choice = ?2) WHERE task_id = ?1",
                params![task.id, choice],
            )?;
            artifact_insert(
                &conn,
                &ArtifactNew {
                    session_id: &task.session_id,
                    task_id: Some(&task.id),
                    agent_id: task.agent_id.as_deref().filter(|_| by == "judge"),
                    kind: ArtifactKind::Verdict,
                    title: &format!("{}: {choice} ({by})", task.name),
                    summary: reasons,
                    body: &serde_json::json!({"choice": choice, "decidedBy": by, "reasons": reasons}).to_string(),
                    path: None,
                },
            )?;
        }
        let summary = format!("{choice} ({by})");
        let outcome = format!("{choice}: {reasons}");
        self.task_set(
            task,
            TaskState::Done,
            TaskFields { summary: Some(&summary), outcome: Some(&outcome), reason: None },
        )
    }

    fn task_block_noted(&self, task: &Task, why: &str, sum: &mut CycleSummary) -> Result<()> {
        sum.blocked.push(task.name.clone());
        self.task_set(task, TaskState::Blocked, TaskFields { reason: Some(why), ..Default::default() })
    }

    /// What a select or vote task chose among, and why.
    pub fn task_candidates(&self, id_or_name: &str) -> Result<Selection> {
        let task = self.task_get(id_or_name)?;
        let (form, command) = match &task.pattern {
            Some(TaskPattern::Select { command, .. }) => ("select", command.clone()),
            Some(TaskPattern::Vote { .. }) => ("vote", None),
            _ => {
                return Err(TaskError::Invalid(format!(
                    "task {} neither selects nor votes; it has no candidates",
                    task.name
                ))
                .into());
            }
        };
        let tasks = self.task_list(&task.session_id)?;
        let conn = self.inner.store.conn();
        let stored = rows(&conn, &task.id)?;
        let verdict = artifacts_of_task(&conn, &task.id)?.into_iter().rev().find(|a| a.kind == ArtifactKind::Verdict);
        drop(conn);
        let mut candidates = Vec::new();
        for c in candidates_of(&task, &tasks) {
            let row = stored.iter().find(|r| r.candidate_id == c.id);
            let check_output = match row.and_then(|r| r.check_artifact.as_deref()) {
                Some(id) => Some(self.artifact_get(id)?.body),
                None => None,
            };
            let diff = match (form, c.agent_id.as_deref()) {
                ("select", Some(agent)) => self.agent_diff(agent, true).ok(),
                _ => None,
            };
            candidates.push(Candidate {
                task_id: c.id.clone(),
                name: c.name.clone(),
                state: c.state,
                agent_id: c.agent_id.clone(),
                cli: c.cli,
                passed: row.is_some_and(|r| r.passed),
                exit_code: row.and_then(|r| r.exit_code),
                duration_ms: row.and_then(|r| r.duration_ms),
                check_output,
                additions: diff.as_ref().map_or(0, |d| d.additions),
                deletions: diff.as_ref().map_or(0, |d| d.deletions),
                diff: diff.and_then(|d| d.patch),
                choice: row.and_then(|r| r.choice.clone()),
                score: row.and_then(|r| r.score),
                chosen: row.is_some_and(|r| r.chosen),
            });
        }
        let (winner, decided_by, reasons) = match &verdict {
            Some(a) => {
                let body: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_default();
                let winner = body.get("winner").or(body.get("choice")).and_then(|w| w.as_str()).map(str::to_owned);
                let by = a.title.rsplit_once('(').map(|(_, b)| b.trim_end_matches(')').to_owned());
                (winner, by, body.get("reasons").and_then(|r| r.as_str()).map(str::to_owned))
            }
            None => (None, None, None),
        };
        let tally = match &task.pattern {
            Some(TaskPattern::Vote { choices, .. }) => {
                let votes: Vec<Option<String>> = stored.iter().map(|r| r.choice.clone()).collect();
                tally(choices, &votes).counts.into_iter().map(|(choice, votes)| VoteCount { choice, votes }).collect()
            }
            _ => Vec::new(),
        };
        Ok(Selection {
            task_id: task.id.clone(),
            task_name: task.name.clone(),
            form: form.to_owned(),
            state: task.state,
            command,
            winner,
            decided_by,
            reasons,
            tally,
            candidates,
        })
    }

    /// The user picks a candidate (or a choice) instead of the engine's: the task is done with
    /// it (a blocked selection too), the winner's branch merging when the session merges by itself.
    pub fn task_pick(&self, id_or_name: &str, req: &TaskPick) -> Result<Selection> {
        let task = self.task_get(id_or_name)?;
        if matches!(task.state, TaskState::Running) {
            return Err(TaskError::Invalid(format!(
                "task {} is choosing now (its judge is at work); pick once it is done or blocked",
                task.name
            ))
            .into());
        }
        if matches!(task.state, TaskState::Pending | TaskState::Cancelled) {
            return Err(TaskError::Invalid(format!(
                "task {} is {}: its candidates are not all in; nothing to pick yet",
                task.name,
                task.state.as_str()
            ))
            .into());
        }
        let mut sum = CycleSummary::default();
        let reasons = "picked by the user";
        match &task.pattern {
            Some(TaskPattern::Select { .. }) => {
                let tasks = self.task_list(&task.session_id)?;
                let c = candidates_of(&task, &tasks)
                    .into_iter()
                    .find(|c| c.name == req.candidate || c.id == req.candidate)
                    .ok_or_else(|| {
                        TaskError::Invalid(format!(
                            "{} is not a candidate of {}; its candidates are {}",
                            req.candidate,
                            task.name,
                            candidates_of(&task, &tasks).iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                        ))
                    })?;
                let stored = rows(&self.inner.store.conn(), &task.id)?;
                // The winner's work merged already: another pick would merge on top of it.
                if let Some(winner) = stored.iter().find(|r| r.chosen && r.candidate_id != c.id)
                    && let Some(merged) = tasks.iter().find(|t| t.id == winner.candidate_id).and_then(|w| {
                        let agent = self.agent_get(w.agent_id.as_deref()?).ok()?;
                        let into = agent.worktree?.merged_into?;
                        Some((w.name.clone(), into))
                    })
                {
                    return Err(TaskError::Invalid(format!(
                        "{} won and its work is merged into {} already; picking {} would merge it on top. \
                         Revert that merge in your repository first, then pick again",
                        merged.0, merged.1, c.name
                    ))
                    .into());
                }
                if stored.is_empty() {
                    self.candidate_check(&task, c, None, Duration::from_secs(1))?;
                }
                let name = c.name.clone();
                self.selection_decide(
                    &self.task_get(&task.id)?,
                    &name,
                    &Default::default(),
                    reasons,
                    "user",
                    &mut sum,
                )?;
            }
            Some(TaskPattern::Vote { choices, .. }) => {
                let choice = choices
                    .iter()
                    .find(|c| c.eq_ignore_ascii_case(req.candidate.trim()))
                    .ok_or_else(|| {
                        TaskError::Invalid(format!(
                            "{} is not a choice of {}; its choices are {}",
                            req.candidate,
                            task.name,
                            choices.join(", ")
                        ))
                    })?
                    .clone();
                self.vote_decide(&self.task_get(&task.id)?, &choice, reasons, "user", &mut sum)?;
            }
            _ => {
                return Err(TaskError::Invalid(format!(
                    "task {} neither selects nor votes; nothing to pick",
                    task.name
                ))
                .into());
            }
        }
        self.task_candidates(&task.id)
    }
}

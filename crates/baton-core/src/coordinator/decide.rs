//! The coordinator's rules, apart from the store, the processes and the clock: given what a
//! cycle read (tasks, agents, the marks and last turns it needs, the time), what to do. Like
//! `task/graph.rs`, these are plain functions over a snapshot, tested without a store; the cycle
//! (`cycle.rs`) reads each snapshot and carries the actions out, holding no lock another session
//! needs.
//!
//! A cycle decides in three steps, each from a fresh snapshot, because each step's actions
//! change what the next one sees (a finished task makes its dependants ready in the same cycle):
//! follow the running tasks ([`running_follow`]), start ready ones ([`starts_plan`]), then mark
//! the agents ([`agents_mark`]) and weigh the completion criteria ([`criteria`]).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::choice::{choice_parse, select_verdict_parse};
use super::verdict::{VerdictKind, findings_markdown, verdict_parse, verdict_summary};
use super::{Criteria, handoff::CONTEXT_DIR};
use crate::agent::AgentEvent;
use crate::agent::protocol::CliKind;
use crate::agent::record::{Agent, AgentState};
use crate::artifact::summary_line;
use crate::pattern::TaskPattern;
use crate::task::{Task, TaskState};
use crate::time;

/// How a turn ended: the agent's final answer and whether the CLI called it an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TurnEnd {
    pub text: String,
    pub is_error: bool,
}

/// The end of an agent's last turn, from its events in log order: the CLI's result, else what
/// it said since the last message it was sent.
pub(crate) fn turn_last(events: impl IntoIterator<Item = AgentEvent>) -> TurnEnd {
    let mut texts: Vec<String> = Vec::new();
    let mut last: Option<TurnEnd> = None;
    for event in events {
        match event {
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
    last.unwrap_or(TurnEnd { text: texts.join("\n\n"), is_error: false })
}

/// What the coordinator noted on a task when it gave it to its agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TaskMarks {
    /// The agent's turn count then: a higher count means the turn on the task is over.
    pub turns_at: u32,
    /// How often a reviewer was asked again for its verdict.
    pub reasks: u32,
}

/// What a cycle knows of one running task when it follows it.
pub(crate) struct RunningView<'a> {
    pub task: &'a Task,
    /// The session's tasks as they are when the task is followed.
    pub tasks: &'a [Task],
    pub agent: Option<&'a Agent>,
    pub marks: TaskMarks,
    /// Its agent's process ended with the previous daemon.
    pub orphaned: bool,
    /// The agent's last turn, read when [`turn_wanted`] says so.
    pub turn: Option<&'a TurnEnd>,
    /// The agent of the task this one reviews, now (a verdict may send work back to it).
    pub reviewed_agent: Option<&'a Agent>,
    pub auto_merge: bool,
    /// What a judge may answer (a select or vote task): candidate names or tied choices.
    pub options: &'a [String],
}

/// One thing the cycle does, in order. A failing action ends the task's list; the task is then
/// blocked with the error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// The agent was orphaned by a restart: looked at once, then forgotten.
    OrphanForget {
        agent_id: String,
    },
    /// The task's turn ended this cycle (for the summary).
    Finished {
        task: String,
    },
    /// Sent back to its agent by a review (for the summary).
    SentBack {
        task: String,
    },
    /// Worth knowing (for the summary).
    Note(String),
    /// Store what the turn left: its answer, the files it names, the worktree's diff.
    ResultStore {
        task: Task,
        agent: Box<Agent>,
        turn: TurnEnd,
        summary: String,
    },
    /// Move the task to `state` (its dependants follow).
    TaskSet {
        task: Task,
        state: TaskState,
        summary: Option<String>,
        outcome: Option<String>,
    },
    Block {
        task: Task,
        why: String,
    },
    /// The agent works on the task from now, its turn count being `turns`.
    Assign {
        task_id: String,
        agent_id: String,
        turns: u32,
    },
    Send {
        agent_id: String,
        message: String,
    },
    /// Write files into the agent's folder; a failure is only noted.
    FilesWrite {
        dir: String,
        files: Vec<(String, String)>,
    },
    /// The reviewer was asked again for its verdict.
    ReasksSet {
        task_id: String,
    },
    RoundsSet {
        task_id: String,
        round: u32,
    },
    VerdictStore {
        task: Task,
        agent_id: String,
        round: u32,
        summary: String,
        body: String,
    },
    /// Keep the reviewer's answer as an artifact, then block the review with
    /// [`answer_kept_reason`].
    AnswerKeepAndBlock {
        task: Task,
        agent_id: String,
        text: String,
        why: String,
    },
    /// The reviewed task is done; its branch is merged first when `merge` names its agent (the
    /// merge's result is added to the outcome).
    Approve {
        task: Task,
        outcome: String,
        merge: Option<String>,
    },
    /// Run the task's gate in its agent's worktree: passing moves it to `passed`, failing fails it.
    Gate {
        task: Task,
        agent: Box<Agent>,
        command: String,
        timeout_secs: u32,
        passed: TaskState,
        summary: String,
    },
    /// A judge chose: the winning candidate (select) or choice (vote).
    Choose {
        task: Task,
        winner: String,
        scores: std::collections::BTreeMap<String, f64>,
        reasons: String,
    },
}

/// Whether following the task needs its agent's last turn (read from its log).
pub(crate) fn turn_wanted(agent: &Agent, marks: TaskMarks) -> bool {
    agent.turns > marks.turns_at
        && matches!(agent.state, AgentState::Waiting | AgentState::Exited | AgentState::Stopped | AgentState::Failed)
}

/// What to do about one running task: nothing while its agent works; when its turn is over,
/// store what it left and move it on; a review's verdict approves, sends back or blocks; an agent
/// orphaned by a restart resumes.
pub(crate) fn running_follow(v: &RunningView<'_>) -> Vec<Action> {
    let task = v.task;
    let Some(agent) = v.agent else {
        let why = format!("its agent is gone. `baton task retry {}` starts it on a new agent", task.name);
        return vec![Action::Block { task: task.clone(), why }];
    };
    let turn_over = agent.turns > v.marks.turns_at;
    let mut acts = Vec::new();
    // Its process ended with the previous daemon (a CLI stopped mid-turn may report the turn as
    // ended in an error): the agent resumes its CLI session, or, stopped before its CLI began
    // one, the task starts again.
    if agent.state == AgentState::Stopped && v.orphaned {
        acts.push(Action::OrphanForget { agent_id: agent.id.clone() });
        if !turn_over || v.turn.is_some_and(|t| t.is_error) {
            if agent.cli_session_id.is_none() {
                acts.push(Action::Note(format!(
                    "{} starts again: its agent had not begun when Baton stopped",
                    task.name
                )));
                acts.push(Action::TaskSet {
                    task: task.clone(),
                    state: TaskState::Ready,
                    summary: None,
                    outcome: None,
                });
                return acts;
            }
            let message = format!(
                "Baton restarted while you worked on this task; continue it where you left off.\n\n{}",
                task.prompt
            );
            acts.push(Action::Assign { task_id: task.id.clone(), agent_id: agent.id.clone(), turns: agent.turns });
            acts.push(Action::Send { agent_id: agent.id.clone(), message });
            acts.push(Action::Note(format!("{} resumed on {} after a restart", task.name, agent.name)));
            return acts;
        }
    }
    if !turn_over && agent.state == AgentState::Waiting {
        acts.extend(delegate_follow(task, v.tasks, agent));
        if !acts.is_empty() {
            return acts;
        }
    }
    match (agent.state, v.turn) {
        (AgentState::Waiting | AgentState::Exited | AgentState::Stopped | AgentState::Failed, Some(turn))
            if turn_over =>
        {
            acts.push(Action::Finished { task: task.name.clone() });
            acts.extend(turn_ended(v, agent, turn));
        }
        (AgentState::Exited | AgentState::Failed | AgentState::Stopped, _) if !turn_over => {
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
            acts.push(Action::Block { task: task.clone(), why });
        }
        _ => {}
    }
    acts
}

/// A lead waiting for its sub-tasks: once they have all ended (and it was not told of them
/// yet), it is told what they left; its next answer ends its task.
fn delegate_follow(task: &Task, tasks: &[Task], agent: &Agent) -> Vec<Action> {
    if !matches!(task.pattern, Some(TaskPattern::Delegate { .. })) {
        return Vec::new();
    }
    let subs: Vec<&Task> = tasks.iter().filter(|t| t.parent_id.as_deref() == Some(task.id.as_str())).collect();
    if subs.is_empty() || !subs.iter().all(|t| t.state.is_final()) || subs.len() as u32 <= task.rounds {
        return Vec::new();
    }
    let lines: Vec<String> = subs
        .iter()
        .map(|t| {
            let said =
                t.outcome.as_deref().or(t.summary.as_deref()).or(t.reason.as_deref()).unwrap_or("(nothing said)");
            format!("- {} ({}): {}", t.name, t.state.as_str(), summary_line(said, 300))
        })
        .collect();
    let message = format!(
        "Your sub-tasks have ended:\n{}\n\nTheir full results are artifacts of those tasks (artifact_search, or \
         task_get with their names). Finish your part from them now and answer with the result.",
        lines.join("\n")
    );
    vec![
        Action::RoundsSet { task_id: task.id.clone(), round: subs.len() as u32 },
        Action::Send { agent_id: agent.id.clone(), message },
        Action::Note(format!("{}: told that its {} sub-task(s) ended", task.name, subs.len())),
    ]
}

/// The one-line summary of a turn's answer.
pub(crate) fn result_summary(text: &str) -> String {
    match summary_line(text, 120) {
        s if s.is_empty() => "(no answer)".to_owned(),
        s => s,
    }
}

/// The agent's turn on the task is over: store what it left and move the task on.
fn turn_ended(v: &RunningView<'_>, agent: &Agent, turn: &TurnEnd) -> Vec<Action> {
    let task = v.task;
    if task.reviews.is_some() && !turn.is_error {
        return review_ended(v, agent, turn);
    }
    if matches!(task.pattern, Some(TaskPattern::Select { .. } | TaskPattern::Vote { .. })) && !turn.is_error {
        return judge_ended(v, agent, turn);
    }
    let summary = result_summary(&turn.text);
    let mut acts = vec![Action::ResultStore {
        task: task.clone(),
        agent: Box::new(agent.clone()),
        turn: turn.clone(),
        summary: summary.clone(),
    }];
    if turn.is_error {
        let outcome = format!("the agent's turn ended in an error: {}", summary_line(&turn.text, 200));
        acts.push(Action::TaskSet {
            task: task.clone(),
            state: TaskState::Failed,
            summary: Some(summary),
            outcome: Some(outcome),
        });
        return acts;
    }
    let reviewed_by = v.tasks.iter().any(|t| t.reviews.as_deref() == Some(task.id.as_str()) && !t.state.is_final());
    let state = if reviewed_by { TaskState::Review } else { TaskState::Done };
    if matches!(task.pattern, Some(TaskPattern::Delegate { .. })) {
        let open: Vec<&str> = v
            .tasks
            .iter()
            .filter(|t| t.parent_id.as_deref() == Some(task.id.as_str()) && !t.state.is_final())
            .map(|t| t.name.as_str())
            .collect();
        if !open.is_empty() {
            // The lead's task goes on: it is told when they end (`delegate_follow`).
            acts.push(Action::Assign { task_id: task.id.clone(), agent_id: agent.id.clone(), turns: agent.turns });
            acts.push(Action::Note(format!("{} waits for its sub-tasks: {}", task.name, open.join(", "))));
            return acts;
        }
        // They ended during its turn: it is told now and its task goes on.
        let told = delegate_follow(task, v.tasks, agent);
        if !told.is_empty() {
            acts.push(Action::Assign { task_id: task.id.clone(), agent_id: agent.id.clone(), turns: agent.turns });
            acts.extend(told);
            return acts;
        }
    }
    if let Some(TaskPattern::Gate { command, timeout_secs }) = &task.pattern {
        acts.push(Action::Gate {
            task: task.clone(),
            agent: Box::new(agent.clone()),
            command: command.clone(),
            timeout_secs: *timeout_secs,
            passed: state,
            summary,
        });
        return acts;
    }
    acts.push(Action::TaskSet { task: task.clone(), state, summary: Some(summary.clone()), outcome: Some(summary) });
    acts
}

/// A reviewer answered: approve, send back, or ask again for a verdict it did not give.
fn review_ended(v: &RunningView<'_>, agent: &Agent, turn: &TurnEnd) -> Vec<Action> {
    let task = v.task;
    let reviewed = v.tasks.iter().find(|t| Some(t.id.as_str()) == task.reviews.as_deref());
    let verdict = match verdict_parse(&turn.text) {
        Ok(verdict) => verdict,
        Err(why) if v.marks.reasks == 0 => {
            let message = format!(
                "Your answer is not the verdict asked for: {why}. Answer again with JSON only, exactly in this shape: \
                 {{\"verdict\": \"approve\" | \"request_changes\", \"findings\": [{{\"file\": \"...\", \"line\": 1, \
                 \"severity\": \"error\" | \"warning\" | \"note\", \"message\": \"...\"}}]}}"
            );
            return vec![
                Action::ReasksSet { task_id: task.id.clone() },
                Action::Assign { task_id: task.id.clone(), agent_id: agent.id.clone(), turns: agent.turns },
                Action::Send { agent_id: agent.id.clone(), message },
                Action::Note(format!("{}: asked {} again for a JSON verdict ({why})", task.name, agent.name)),
            ];
        }
        Err(why) => {
            return vec![Action::AnswerKeepAndBlock {
                task: task.clone(),
                agent_id: agent.id.clone(),
                text: turn.text.clone(),
                why,
            }];
        }
    };
    let round = task.rounds + 1;
    let summary = format!("round {round}: {}", verdict_summary(&verdict));
    let mut acts = vec![
        Action::VerdictStore {
            task: task.clone(),
            agent_id: agent.id.clone(),
            round,
            summary: summary.clone(),
            body: serde_json::to_string_pretty(&verdict).unwrap_or_default(),
        },
        Action::RoundsSet { task_id: task.id.clone(), round },
    ];
    let done = |acts: &mut Vec<Action>| {
        acts.push(Action::TaskSet {
            task: task.clone(),
            state: TaskState::Done,
            summary: Some(summary.clone()),
            outcome: Some(summary.clone()),
        });
    };
    let Some(reviewed) = reviewed else {
        done(&mut acts);
        return acts;
    };
    match verdict.verdict {
        VerdictKind::Approve => {
            let outcome = format!("approved by {} in round {round}", task.name);
            let merge = reviewed.agent_id.clone().filter(|_| v.auto_merge);
            acts.push(Action::Approve { task: reviewed.clone(), outcome, merge });
            done(&mut acts);
        }
        VerdictKind::RequestChanges if round < task.max_rounds => {
            match v.reviewed_agent.filter(|_| reviewed.agent_id.is_some()) {
                None => acts.push(Action::Block {
                    task: reviewed.clone(),
                    why: "the review asks for changes but its agent is gone".into(),
                }),
                Some(builder) => {
                    let findings = findings_markdown(&verdict.findings);
                    let file = format!("{CONTEXT_DIR}/{}-findings.md", task.name);
                    let body = format!("# Findings of {}, round {round}\n\n{findings}\n", task.name);
                    let message = format!(
                        "The reviewer requested changes (round {round} of at most {}). Address every finding below in \
                         this worktree and commit your work.\n\n{findings}\n\n(Also in {file}.)",
                        task.max_rounds
                    );
                    acts.push(Action::FilesWrite { dir: builder.cwd.clone(), files: vec![(file, body)] });
                    acts.push(Action::Assign {
                        task_id: reviewed.id.clone(),
                        agent_id: builder.id.clone(),
                        turns: builder.turns,
                    });
                    acts.push(Action::Send { agent_id: builder.id.clone(), message });
                    acts.push(Action::SentBack { task: reviewed.name.clone() });
                }
            }
            // The review waits for the new work, then runs again (on the same agent).
            acts.push(Action::TaskSet {
                task: task.clone(),
                state: TaskState::Pending,
                summary: Some(summary),
                outcome: None,
            });
        }
        VerdictKind::RequestChanges => {
            let why = format!(
                "{} still requests changes after {round} rounds (findings in its verdict artifact). Accept the work \
                 with `baton complete {} done`, give up with `baton complete {} failed`, or `baton task retry {}` \
                 for another round",
                task.name, reviewed.name, reviewed.name, task.name
            );
            acts.push(Action::TaskSet {
                task: task.clone(),
                state: TaskState::Failed,
                summary: Some(summary),
                outcome: Some(format!("changes still requested after {round} rounds")),
            });
            acts.push(Action::Block { task: reviewed.clone(), why });
        }
    }
    acts
}

/// A judge answered: the winner, or ask once again for the JSON asked for, then block with the
/// answer kept.
fn judge_ended(v: &RunningView<'_>, agent: &Agent, turn: &TurnEnd) -> Vec<Action> {
    let task = v.task;
    let select = matches!(task.pattern, Some(TaskPattern::Select { .. }));
    let parsed = if select {
        select_verdict_parse(&turn.text, v.options).map(|s| (s.winner, s.scores, s.reasons))
    } else {
        choice_parse(&turn.text, v.options).map(|c| (c, Default::default(), summary_line(&turn.text, 200)))
    };
    match parsed {
        Ok((winner, scores, reasons)) => {
            vec![Action::Choose { task: task.clone(), winner, scores, reasons }]
        }
        Err(why) if v.marks.reasks == 0 => {
            let shape = if select {
                format!(
                    "{{\"winner\": \"<one of {}>\", \"scores\": {{\"<candidate>\": <0-10>}}, \"reasons\": \"...\"}}",
                    v.options.join(", ")
                )
            } else {
                format!("{{\"choice\": \"<one of {}>\"}}", v.options.join(", "))
            };
            let message = format!(
                "Your answer is not the verdict asked for: {why}. Answer again with JSON only, exactly in this shape: {shape}"
            );
            vec![
                Action::ReasksSet { task_id: task.id.clone() },
                Action::Assign { task_id: task.id.clone(), agent_id: agent.id.clone(), turns: agent.turns },
                Action::Send { agent_id: agent.id.clone(), message },
                Action::Note(format!("{}: asked {} again for a JSON verdict ({why})", task.name, agent.name)),
            ]
        }
        Err(why) => vec![Action::AnswerKeepAndBlock {
            task: task.clone(),
            agent_id: agent.id.clone(),
            text: turn.text.clone(),
            why,
        }],
    }
}

/// Why a review is blocked after its reviewer answered twice without a verdict, its answer kept
/// as the artifact `artifact_id`.
/// (`who`: `reviewer`, or the `judge` of a selection or vote.)
pub(crate) fn answer_kept_reason(who: &str, task_name: &str, why: &str, artifact_id: &str) -> String {
    if who != "reviewer" {
        return format!(
            "its judge answered twice without the JSON verdict asked for ({why}); its answer is kept as artifact \
             {artifact_id}. Pick a candidate with `baton task pick {task_name} CANDIDATE`, or `baton task retry {task_name}`"
        );
    }
    format!(
        "the reviewer answered twice without a JSON verdict ({why}); its answer is kept as artifact {artifact_id}. \
         Decide with `baton complete {task_name} done` or `failed`, or `baton task retry {task_name}`"
    )
}

/// Which agent a ready task starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StartOn {
    /// An agent that resumes its CLI session: the task's previous one, or an idle one of its role.
    Agent(Box<Agent>),
    /// A new agent, named after this (made unique among the session's agents).
    NewAgent { name: String },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Start {
    pub task: Task,
    pub cli: CliKind,
    pub on: StartOn,
}

/// The ready tasks in the order they start, and how many may start now. The cycle starts them
/// in order until `room` have started; one that cannot start is blocked and leaves its room to
/// the next.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StartPlan {
    pub room: usize,
    pub starts: Vec<Start>,
}

/// Ready tasks start, oldest first, within the session's limit of running tasks, each on its
/// previous agent when that one can resume, else on an idle agent of its role, else on a new one.
/// An agent is given one task per cycle.
pub(crate) fn starts_plan(tasks: &[Task], agents: &[Agent], limit: usize, default_cli: CliKind) -> StartPlan {
    let running = tasks.iter().filter(|t| t.state == TaskState::Running).count();
    let mut taken: HashSet<&str> = HashSet::new();
    let mut starts = Vec::new();
    for task in tasks.iter().filter(|t| t.state == TaskState::Ready) {
        let cli = task.cli.unwrap_or(default_cli);
        let resumable = |a: &Agent| {
            a.cli == cli
                && a.archived_at.is_none()
                && a.cli_session_id.is_some()
                && !a.state.is_active()
                && a.state != AgentState::NeedsInput
                && a.paused_reason.is_none()
                && !taken.contains(a.id.as_str())
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
        let on = match reuse {
            Some(agent) => {
                taken.insert(agent.id.as_str());
                StartOn::Agent(Box::new(agent.clone()))
            }
            None => StartOn::NewAgent { name: task.role.clone().unwrap_or_else(|| task.name.clone()) },
        };
        starts.push(Start { task: task.clone(), cli, on });
    }
    StartPlan { room: limit.saturating_sub(running), starts }
}

/// How the cycle sees the session's agents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    pub running: Vec<String>,
    pub idle: Vec<String>,
    pub stalled: Vec<String>,
    pub waiting: Vec<String>,
    /// Agents newly stalled (id, notice for their lane): noted once, remembered from now.
    pub stall_notes: Vec<(String, String)>,
    /// Agents that spoke again: no longer remembered as stalled.
    pub stall_cleared: Vec<String>,
}

/// Marks agents running, idle, stalled or waiting for the user. `logged`: when each agent's log
/// last changed (ms; the log takes every line it prints, the event index only some);
/// `stalled_since`: agents already noted as stalled, and when.
pub(crate) fn agents_mark(
    tasks: &[Task],
    agents: &[Agent],
    stall: Duration,
    now: i64,
    logged: &HashMap<String, i64>,
    stalled_since: &HashMap<String, i64>,
) -> Marks {
    let mut m = Marks::default();
    for a in agents {
        let working = a.task_id.as_deref().is_some_and(|id| tasks.iter().any(|t| t.id == id && !t.state.is_final()));
        match a.state {
            AgentState::NeedsInput => m.waiting.push(a.name.clone()),
            // Paused by the user ("pause all"): silent on purpose, never stalled.
            AgentState::Starting | AgentState::Running if a.paused => m.running.push(a.name.clone()),
            AgentState::Starting | AgentState::Running => {
                // Our own stall notice is written to the log too: it is not the agent's.
                let noted = stalled_since.get(&a.id).copied();
                let logged = logged.get(&a.id).copied().filter(|t| noted.is_none_or(|n| *t > n + 1_000));
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
                    m.stalled.push(a.name.clone());
                    if noted.is_none() {
                        let message = format!(
                            "no output for {} s while running: stalled. `baton logs {}` shows its last events; \
                             `baton abort {}` stops it",
                            silent.as_secs(),
                            a.name,
                            a.name
                        );
                        m.stall_notes.push((a.id.clone(), message));
                    }
                } else {
                    if noted.is_some() {
                        m.stall_cleared.push(a.id.clone());
                    }
                    m.running.push(a.name.clone());
                }
            }
            AgentState::Waiting if !working => m.idle.push(a.name.clone()),
            _ => {}
        }
    }
    m
}

/// The completion criteria. `decisions_pending`: the session's decisions awaiting the user;
/// `room`: whether the coordinator could start another task.
pub(crate) fn criteria(tasks: &[Task], agents: &[Agent], decisions_pending: i64, room: bool) -> Criteria {
    let mut c = Criteria::default();
    let open: Vec<&Task> =
        tasks.iter().filter(|t| !matches!(t.state, TaskState::Done | TaskState::Cancelled)).collect();
    c.tasks_ended = !tasks.is_empty() && open.is_empty();
    if tasks.is_empty() {
        c.unmet.push("no tasks yet".into());
    } else if !open.is_empty() {
        let list: Vec<String> = open.iter().take(5).map(|t| format!("{} is {}", t.name, t.state.as_str())).collect();
        c.unmet.push(format!("{} task(s) not done: {}", open.len(), list.join(", ")));
    }
    let unparsed: Vec<&str> = tasks.iter().filter(|t| t.state == TaskState::Review).map(|t| t.name.as_str()).collect();
    c.outputs_parsed = unparsed.is_empty();
    if !c.outputs_parsed {
        c.unmet.push(format!("awaiting review: {}", unparsed.join(", ")));
    }
    let blocked: Vec<&str> = tasks.iter().filter(|t| t.state == TaskState::Blocked).map(|t| t.name.as_str()).collect();
    let waiting: Vec<&str> =
        agents.iter().filter(|a| a.state == AgentState::NeedsInput).map(|a| a.name.as_str()).collect();
    c.no_blockers = blocked.is_empty() && waiting.is_empty() && decisions_pending == 0;
    if !blocked.is_empty() {
        c.unmet.push(format!("blocked: {}", blocked.join(", ")));
    }
    if !waiting.is_empty() {
        c.unmet.push(format!("waiting for approval: {}", waiting.join(", ")));
    }
    if decisions_pending > 0 {
        c.unmet.push(format!("{decisions_pending} decision(s) pending"));
    }
    let ready = tasks.iter().filter(|t| t.state == TaskState::Ready).count();
    c.no_idle_with_work = ready == 0 || !room;
    if !c.no_idle_with_work {
        c.unmet.push(format!("{ready} ready task(s) not started"));
    }
    c.complete = c.tasks_ended && c.outputs_parsed && c.no_blockers && c.no_idle_with_work;
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(name: &str, state: TaskState) -> Task {
        Task {
            id: format!("tsk_{name}"),
            session_id: "ses".into(),
            name: name.into(),
            title: name.into(),
            prompt: format!("do {name}"),
            sent_prompt: None,
            role: None,
            cli: None,
            model: None,
            state,
            deps: vec![],
            agent_id: None,
            summary: None,
            outcome: None,
            reason: None,
            attempts: 0,
            reviews: None,
            max_rounds: 3,
            rounds: 0,
            pattern: None,
            parent_id: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn agent(name: &str, state: AgentState, turns: u32) -> Agent {
        Agent {
            id: format!("agt_{name}"),
            session_id: "ses".into(),
            name: name.into(),
            cli: CliKind::Claude,
            model: None,
            state,
            cwd: format!("/w/{name}"),
            command: vec![],
            prompt: String::new(),
            cli_session_id: Some(format!("cs-{name}")),
            pid: None,
            exit_code: None,
            allowed_tools: vec![],
            turns,
            usage: Default::default(),
            cost_usd: 0.0,
            cost_is_estimate: false,
            log_path: String::new(),
            last_event_at: None,
            created_at: String::new(),
            updated_at: time::ms_to_rfc3339(0),
            pending: vec![],
            worktree: None,
            task_id: None,
            role: None,
            paused: false,
            released_at: None,
            archived_at: None,
            interrupted_at: None,
            queued_messages: 0,
            paused_reason: None,
            external: false,
        }
    }

    /// A task running on its agent, given at turn `turns_at`.
    fn on(mut t: Task, a: &Agent) -> Task {
        t.agent_id = Some(a.id.clone());
        t
    }

    fn turn(text: &str) -> TurnEnd {
        TurnEnd { text: text.into(), is_error: false }
    }

    fn view<'a>(t: &'a Task, tasks: &'a [Task], a: Option<&'a Agent>, turn: Option<&'a TurnEnd>) -> RunningView<'a> {
        RunningView {
            task: t,
            tasks,
            agent: a,
            marks: TaskMarks::default(),
            orphaned: false,
            turn,
            reviewed_agent: None,
            auto_merge: false,
            options: &[],
        }
    }

    /// The state each `TaskSet` and `Block` gives, by task name, in order.
    fn moves(acts: &[Action]) -> Vec<(String, TaskState)> {
        acts.iter()
            .filter_map(|a| match a {
                Action::TaskSet { task, state, .. } => Some((task.name.clone(), *state)),
                Action::Block { task, .. } => Some((task.name.clone(), TaskState::Blocked)),
                _ => None,
            })
            .collect()
    }

    fn mv(name: &str, state: TaskState) -> (String, TaskState) {
        (name.to_owned(), state)
    }

    #[test]
    fn a_finished_turn_ends_its_task_and_stores_its_result() {
        let a = agent("a", AgentState::Waiting, 1);
        let t = on(task("a", TaskState::Running), &a);
        let tasks = [t.clone()];
        let end = turn("## Finished\nWrote x.txt");
        assert!(turn_wanted(&a, TaskMarks::default()));
        let acts = running_follow(&view(&t, &tasks, Some(&a), Some(&end)));
        assert_eq!(acts[0], Action::Finished { task: "a".into() });
        assert!(
            matches!(&acts[1], Action::ResultStore { task, agent, turn, summary }
                if task.name == "a" && agent.id == a.id && *turn == end && summary == "Finished"),
            "{acts:?}"
        );
        assert!(
            matches!(&acts[2], Action::TaskSet { state: TaskState::Done, outcome: Some(o), .. } if o == "Finished")
        );
        assert_eq!(acts.len(), 3);

        // A reviewer still to come: the work waits for it in review.
        let mut check = task("check", TaskState::Pending);
        check.reviews = Some(t.id.clone());
        let tasks = [t.clone(), check];
        assert_eq!(moves(&running_follow(&view(&t, &tasks, Some(&a), Some(&end)))), [mv("a", TaskState::Review)]);

        // An error ends it failed, saying so.
        let bad = TurnEnd { text: "rate limited".into(), is_error: true };
        let acts = running_follow(&view(&t, &tasks, Some(&a), Some(&bad)));
        assert!(matches!(acts.last(), Some(Action::TaskSet { state: TaskState::Failed, outcome: Some(o), .. })
            if o.contains("ended in an error: rate limited")));
        assert_eq!(result_summary("   \n"), "(no answer)");
    }

    #[test]
    fn a_working_agent_is_left_alone_and_a_dead_one_blocks_its_task() {
        let mut a = agent("a", AgentState::Running, 0);
        let t = on(task("a", TaskState::Running), &a);
        let tasks = [t.clone()];
        assert!(!turn_wanted(&a, TaskMarks::default()));
        assert!(running_follow(&view(&t, &tasks, Some(&a), None)).is_empty());
        a.state = AgentState::Waiting; // between turns, before the first ended
        assert!(running_follow(&view(&t, &tasks, Some(&a), None)).is_empty());

        a.state = AgentState::Exited;
        a.exit_code = Some(3);
        let acts = running_follow(&view(&t, &tasks, Some(&a), None));
        assert!(
            matches!(&acts[..], [Action::Block { why, .. }]
            if why.contains("exited with code 3") && why.contains("baton task retry a")),
            "{acts:?}"
        );
        let acts = running_follow(&view(&t, &tasks, None, None));
        assert!(matches!(&acts[..], [Action::Block { why, .. }] if why.contains("its agent is gone")));
    }

    #[test]
    fn ready_tasks_start_within_the_limit_reusing_an_idle_agent_of_their_role() {
        let mut dev = agent("dev", AgentState::Waiting, 2);
        dev.role = Some("dev".into());
        dev.task_id = Some("tsk_old".into());
        let mut busy = agent("dev-2", AgentState::Running, 1);
        busy.role = Some("dev".into());
        let mut asking = agent("dev-3", AgentState::NeedsInput, 1);
        asking.role = Some("dev".into());
        let mut own = agent("own", AgentState::Stopped, 1);
        own.role = Some("qa".into());
        let agents = [busy, asking, dev.clone(), own.clone()];
        let ready = |name: &str, role: Option<&str>| {
            let mut t = task(name, TaskState::Ready);
            t.role = role.map(str::to_owned);
            t
        };
        let mut retried = ready("retried", None);
        retried.agent_id = Some(own.id.clone());
        let tasks = [
            task("old", TaskState::Done),
            task("r", TaskState::Running),
            ready("x", Some("dev")),
            ready("y", Some("dev")),
            retried,
            ready("z", None),
        ];
        let plan = starts_plan(&tasks, &agents, 3, CliKind::Claude);
        assert_eq!(plan.room, 2, "three at most, one running");
        let on: Vec<(&str, StartOn)> = plan.starts.iter().map(|s| (s.task.name.as_str(), s.on.clone())).collect();
        assert_eq!(
            on,
            [
                ("x", StartOn::Agent(Box::new(dev.clone()))),
                // The idle dev took x: y gets a new agent (busy and asking ones are not idle).
                ("y", StartOn::NewAgent { name: "dev".into() }),
                // Its previous agent resumes it.
                ("retried", StartOn::Agent(Box::new(own))),
                ("z", StartOn::NewAgent { name: "z".into() }),
            ]
        );
        assert!(plan.starts.iter().all(|s| s.cli == CliKind::Claude));

        // The limit reached: no room; an agent of another CLI is not reused.
        let full = starts_plan(&tasks, &agents, 1, CliKind::Claude);
        assert_eq!(full.room, 0);
        let codex = starts_plan(&tasks, &agents, 3, CliKind::Codex);
        assert!(codex.starts.iter().all(|s| matches!(s.on, StartOn::NewAgent { .. })));
        // An agent still on an unfinished task is not idle.
        dev.task_id = Some("tsk_r".into());
        let plan = starts_plan(&tasks, &[dev], 3, CliKind::Claude);
        assert!(matches!(plan.starts[0].on, StartOn::NewAgent { .. }));
    }

    /// A review of `build` by `check` on agent `rev`, in round `rounds` of 3, and its views.
    struct Review {
        build: Task,
        check: Task,
        builder: Agent,
        reviewer: Agent,
    }

    fn review(rounds: u32) -> Review {
        let builder = agent("builder", AgentState::Waiting, 1);
        let reviewer = agent("rev", AgentState::Waiting, 1);
        let build = on(task("build", TaskState::Review), &builder);
        let mut check = on(task("check", TaskState::Running), &reviewer);
        check.reviews = Some(build.id.clone());
        check.rounds = rounds;
        Review { build, check, builder, reviewer }
    }

    impl Review {
        fn follow(&self, answer: &str, reasks: u32, auto_merge: bool) -> Vec<Action> {
            let tasks = [self.build.clone(), self.check.clone()];
            let end = turn(answer);
            running_follow(&RunningView {
                task: &self.check,
                tasks: &tasks,
                agent: Some(&self.reviewer),
                marks: TaskMarks { turns_at: 0, reasks },
                orphaned: false,
                turn: Some(&end),
                reviewed_agent: Some(&self.builder),
                auto_merge,
                options: &[],
            })
        }
    }

    const APPROVE: &str = r#"{"verdict":"approve","findings":[]}"#;
    const CHANGES: &str =
        r#"{"verdict":"request_changes","findings":[{"file":"a.rs","line":1,"severity":"error","message":"off"}]}"#;

    #[test]
    fn an_approval_ends_both_tasks_merging_when_the_session_says_so() {
        let r = review(0);
        let acts = r.follow(APPROVE, 0, false);
        assert!(
            matches!(&acts[1], Action::VerdictStore { round: 1, summary, .. } if summary == "round 1: approved, no findings")
        );
        assert_eq!(acts[2], Action::RoundsSet { task_id: r.check.id.clone(), round: 1 });
        assert!(matches!(&acts[3], Action::Approve { task, outcome, merge: None }
            if task.name == "build" && outcome == "approved by check in round 1"));
        assert_eq!(moves(&acts), [mv("check", TaskState::Done)]);
        let acts = r.follow(APPROVE, 0, true);
        assert!(acts.iter().any(|a| matches!(a, Action::Approve { merge: Some(id), .. } if *id == r.builder.id)));
    }

    #[test]
    fn requested_changes_go_back_to_the_builder_until_the_last_round() {
        let r = review(0);
        let acts = r.follow(CHANGES, 0, false);
        assert!(acts.iter().any(|a| matches!(a, Action::FilesWrite { dir, files }
            if *dir == r.builder.cwd && files[0].0 == ".baton/context/check-findings.md")));
        assert!(acts.contains(&Action::Assign {
            task_id: r.build.id.clone(),
            agent_id: r.builder.id.clone(),
            turns: 1
        }));
        assert!(acts.iter().any(|a| matches!(a, Action::Send { agent_id, message }
            if *agent_id == r.builder.id && message.contains("round 1 of at most 3") && message.contains("[error] a.rs:1: off"))));
        assert!(acts.contains(&Action::SentBack { task: "build".into() }));
        assert_eq!(moves(&acts), [mv("check", TaskState::Pending)], "the review waits for the new work");

        // The last round: the review fails, the work is blocked for the user to decide.
        let acts = review(2).follow(CHANGES, 0, false);
        assert_eq!(moves(&acts), [mv("check", TaskState::Failed), mv("build", TaskState::Blocked)]);
        assert!(matches!(acts.last(), Some(Action::Block { why, .. }) if why.contains("after 3 rounds")));
        assert!(!acts.iter().any(|a| matches!(a, Action::Send { .. })));
    }

    #[test]
    fn a_malformed_verdict_is_asked_for_once_then_blocks_keeping_the_answer() {
        let r = review(0);
        let acts = r.follow("Looks good to me!", 0, false);
        assert_eq!(acts[1], Action::ReasksSet { task_id: r.check.id.clone() });
        assert_eq!(acts[2], Action::Assign { task_id: r.check.id.clone(), agent_id: r.reviewer.id.clone(), turns: 1 });
        assert!(matches!(&acts[3], Action::Send { message, .. } if message.contains("JSON only")));
        assert!(matches!(&acts[4], Action::Note(n) if n.contains("asked rev again")));
        assert!(moves(&acts).is_empty());

        let acts = r.follow("Really, it is good.", 1, false);
        assert!(matches!(&acts[1], Action::AnswerKeepAndBlock { task, text, why, .. }
            if task.name == "check" && text == "Really, it is good." && why == "it contains no JSON object"));
        let reason = answer_kept_reason("reviewer", "check", "it contains no JSON object", "art_1");
        assert!(reason.contains("kept as artifact art_1") && reason.contains("baton task retry check"), "{reason}");
    }

    #[test]
    fn an_agent_orphaned_by_a_restart_resumes_its_task() {
        let mut a = agent("a", AgentState::Stopped, 0);
        let t = on(task("a", TaskState::Running), &a);
        let tasks = [t.clone()];
        let orphan = |a: &Agent, turn: Option<&TurnEnd>| {
            let mut v = view(&t, &tasks, Some(a), turn);
            v.orphaned = true;
            running_follow(&v)
        };
        let acts = orphan(&a, None);
        assert_eq!(acts[0], Action::OrphanForget { agent_id: a.id.clone() });
        assert_eq!(acts[1], Action::Assign { task_id: t.id.clone(), agent_id: a.id.clone(), turns: 0 });
        assert!(
            matches!(&acts[2], Action::Send { message, .. } if message.contains("Baton restarted") && message.ends_with("do a"))
        );
        assert!(moves(&acts).is_empty());

        // Cut mid-turn (the CLI reports an error): resumed too.
        a.turns = 1;
        let cut = TurnEnd { text: "interrupted".into(), is_error: true };
        assert!(matches!(orphan(&a, Some(&cut))[1], Action::Assign { .. }));
        // Its turn had ended: it is finished as usual.
        let acts = orphan(&a, Some(&turn("done")));
        assert_eq!(moves(&acts), [mv("a", TaskState::Done)]);
        // Stopped before its CLI began: the task starts again.
        a.turns = 0;
        a.cli_session_id = None;
        assert_eq!(moves(&orphan(&a, None)), [mv("a", TaskState::Ready)]);
        // Not orphaned, stopped: blocked.
        assert_eq!(moves(&running_follow(&view(&t, &tasks, Some(&a), None))), [mv("a", TaskState::Blocked)]);
    }

    #[test]
    fn agents_are_marked_idle_stalled_or_waiting() {
        let stall = Duration::from_secs(60);
        let now = 1_000_000;
        let mut quiet = agent("quiet", AgentState::Running, 0);
        quiet.updated_at = time::ms_to_rfc3339(now - 120_000);
        let mut chatty = quiet.clone();
        (chatty.id, chatty.name) = ("agt_chatty".into(), "chatty".into());
        let asking = agent("asking", AgentState::NeedsInput, 1);
        let mut idle = agent("idle", AgentState::Waiting, 1);
        idle.task_id = Some("tsk_done".into());
        let mut between = agent("between", AgentState::Waiting, 1);
        between.task_id = Some("tsk_open".into());
        let tasks = [task("done", TaskState::Done), task("open", TaskState::Running)];
        let agents = [quiet.clone(), chatty.clone(), asking, idle, between];
        let logged = HashMap::from([(chatty.id.clone(), now - 1_000)]);

        let m = agents_mark(&tasks, &agents, stall, now, &logged, &HashMap::new());
        assert_eq!((m.stalled, m.running), (vec!["quiet".to_owned()], vec!["chatty".to_owned()]));
        let mut paused = quiet.clone();
        paused.paused = true;
        assert_eq!((m.waiting, m.idle), (vec!["asking".to_owned()], vec!["idle".to_owned()]));
        assert!(
            matches!(&m.stall_notes[..], [(id, message)] if *id == quiet.id && message.contains("no output for 120 s"))
        );

        // Noted already: still stalled, not noted again (its own notice in the log is not output);
        // one that spoke since is forgotten.
        let since = HashMap::from([(quiet.id.clone(), now - 500), (chatty.id.clone(), now - 30_000)]);
        let logged = HashMap::from([(quiet.id.clone(), now - 400), (chatty.id.clone(), now - 1_000)]);
        let m = agents_mark(&tasks, &agents, stall, now, &logged, &since);
        assert_eq!(m.stalled, ["quiet"]);
        assert!(m.stall_notes.is_empty());
        assert_eq!(m.stall_cleared, [chatty.id]);
        // Paused ("pause all"): as silent, never stalled.
        let m = agents_mark(&tasks, &[paused], stall, now, &logged, &HashMap::new());
        assert_eq!((m.stalled.len(), m.running, m.stall_notes.len()), (0, vec!["quiet".to_owned()], 0));
    }

    #[test]
    fn the_work_is_complete_when_every_criterion_holds() {
        let done = [task("a", TaskState::Done), task("b", TaskState::Cancelled)];
        let c = criteria(&done, &[], 0, true);
        assert!(c.complete && c.unmet.is_empty(), "{c:?}");
        assert!(!criteria(&[], &[], 0, true).complete, "no tasks yet");
        let c = criteria(&done, &[], 2, true);
        assert!(!c.no_blockers && c.unmet == ["2 decision(s) pending"]);
        let waiting = [agent("x", AgentState::NeedsInput, 1)];
        assert!(criteria(&done, &waiting, 0, true).unmet.iter().any(|u| u == "waiting for approval: x"));

        let open = [task("a", TaskState::Review), task("b", TaskState::Blocked), task("c", TaskState::Ready)];
        let c = criteria(&open, &[], 0, true);
        assert!(!c.tasks_ended && !c.outputs_parsed && !c.no_blockers && !c.no_idle_with_work);
        assert_eq!(
            c.unmet,
            [
                "3 task(s) not done: a is review, b is blocked, c is ready",
                "awaiting review: a",
                "blocked: b",
                "1 ready task(s) not started"
            ]
        );
        assert!(criteria(&open, &[], 0, false).no_idle_with_work, "no room: ready work is not idle work");
    }

    #[test]
    fn the_last_turn_is_the_result_else_what_was_said_since_the_last_message() {
        let said = |text: &str| AgentEvent::Text { text: text.into(), delta: false };
        let user = AgentEvent::UserText { text: "go".into(), from: None };
        let t = turn_last([said("old"), user.clone(), said("Hello"), said("world")]);
        assert_eq!(t, TurnEnd { text: "Hello\n\nworld".into(), is_error: false });
        let end = |result: &str, is_error| AgentEvent::TurnCompleted {
            result: Some(result.into()),
            is_error,
            subtype: None,
            duration_ms: None,
        };
        let t = turn_last([said("first"), end("Result one", false), user, said("thinking"), end(" ", true)]);
        assert_eq!(t, TurnEnd { text: "thinking".into(), is_error: true }, "a blank result: what it said");
    }
}

//! Tasks: units of work in a session's graph, with dependencies of three kinds (after,
//! if-succeeded, if-failed; several `after` make a converging task). The graph's rules live in
//! [`graph`]; this module keeps tasks in the store and moves them along as their dependencies
//! end. Choosing agents for ready tasks is the coordinator's work, not this module's.

pub mod graph;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::protocol::CliKind;
use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::events::EngineEvent;
use crate::store::Tx;
use crate::{ids, time};
use graph::{GraphError, dep_status, pending_next};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Waiting for its dependencies.
    Pending,
    /// Its dependencies hold: it may start.
    Ready,
    Running,
    /// Its work is done and under review.
    Review,
    Done,
    Failed,
    /// It cannot go on without someone's action (the reason says which).
    Blocked,
    /// It will not run (the reason says why).
    Cancelled,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Review => "review",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Blocked => "blocked",
            Self::Cancelled => "cancelled",
        }
    }

    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "ready" => Self::Ready,
            "running" => Self::Running,
            "review" => Self::Review,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "blocked" => Self::Blocked,
            "cancelled" => Self::Cancelled,
            _ => Self::Pending,
        }
    }

    /// No further change is expected.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepKind {
    /// After it succeeds.
    After,
    /// Only if it succeeds (cancelled otherwise).
    IfSucceeded,
    /// Only if it fails (cancelled otherwise).
    IfFailed,
}

impl DepKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::After => "after",
            Self::IfSucceeded => "if_succeeded",
            Self::IfFailed => "if_failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "if_succeeded" => Self::IfSucceeded,
            "if_failed" => Self::IfFailed,
            _ => Self::After,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskDep {
    /// The task depended on (its id).
    pub task_id: String,
    pub kind: DepKind,
    /// Whether its condition holds now, by the graph's rules (`graph::dep_status`).
    pub holds: DepHolds,
}

/// Where a dependency stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DepHolds {
    /// Its condition holds.
    Met,
    /// Not known yet.
    Waiting,
    /// It can no longer hold (the task is cancelled, with the reason).
    Never,
}

/// Where a dependency of `kind` on a task in `state` stands, for the task whose dependency it is
/// (`reviewer`: it reviews that task, for which work in review counts as done).
fn dep_holds(kind: DepKind, state: TaskState, reviewer: bool) -> DepHolds {
    let state = if reviewer && state == TaskState::Review { TaskState::Done } else { state };
    match dep_status(kind, "", state) {
        graph::DepStatus::Met => DepHolds::Met,
        graph::DepStatus::Waiting => DepHolds::Waiting,
        graph::DepStatus::Never(_) => DepHolds::Never,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: String,
    pub session_id: String,
    /// Unique in the session.
    pub name: String,
    pub title: String,
    /// The template: placeholders such as `{spec}` are filled when the task starts.
    pub prompt: String,
    /// The prompt its agent was given when it last started, placeholders filled, exactly as
    /// sent; `None` before it has started.
    pub sent_prompt: Option<String>,
    pub role: Option<String>,
    pub cli: Option<CliKind>,
    pub model: Option<String>,
    pub state: TaskState,
    pub deps: Vec<TaskDep>,
    /// The agent working on it.
    pub agent_id: Option<String>,
    /// One line, for display.
    pub summary: Option<String>,
    /// How it ended, in the words of whoever ended it.
    pub outcome: Option<String>,
    /// Why it is blocked or cancelled.
    pub reason: Option<String>,
    pub attempts: u32,
    /// The task whose work this one reviews (its id): a verdict requesting changes sends it back.
    pub reviews: Option<String>,
    /// How many rounds of review at most (for a reviewing task).
    pub max_rounds: u32,
    /// Review rounds so far (for a reviewing task).
    pub rounds: u32,
    /// What it does beyond working (select, vote, delegate), from its pattern.
    pub pattern: Option<crate::pattern::TaskPattern>,
    /// The lead task that added it (a delegated sub-task; its id).
    pub parent_id: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

/// A request to add a task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskCreate {
    /// Session id or name.
    pub session: String,
    pub title: String,
    pub prompt: String,
    /// Unique in the session [default: from the title].
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub cli: Option<CliKind>,
    #[serde(default)]
    pub model: Option<String>,
    /// Tasks (id or name) it runs after; several make it converge.
    #[serde(default)]
    pub after: Vec<String>,
    #[serde(default)]
    pub if_succeeded: Vec<String>,
    #[serde(default)]
    pub if_failed: Vec<String>,
    /// A task (id or name) whose work this one reviews; it must also be among `after`.
    #[serde(default)]
    pub reviews: Option<String>,
    /// How many review rounds at most [default: 3].
    #[serde(default)]
    pub max_rounds: Option<u32>,
    /// The lead task (id or name) this is a sub-task of: the lead's pattern must let it
    /// delegate, with this role, within its depth and count. Set by Baton for an agent adding a
    /// sub-task over MCP (its own task is the lead).
    #[serde(default)]
    #[ts(optional)]
    pub parent: Option<String>,
}

/// `POST /api/tasks/{id}/complete`: how a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskComplete {
    /// `done` or `failed`.
    pub state: TaskState,
    /// What came of it.
    #[serde(default)]
    pub outcome: Option<String>,
}

/// What the coordinator records when a task moves (absent: unchanged).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TaskFields<'a> {
    pub summary: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub reason: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("no task has the id or name {0:?} in this session; `baton task list --session S` lists them")]
    NotFound(String),
    #[error("a task named {0:?} already exists in this session; choose another name")]
    DuplicateName(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl TaskError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::DuplicateName(_) => ErrorCode::DuplicateName,
            Self::Invalid(_) | Self::Graph(_) => ErrorCode::InvalidInput,
        }
    }
}

const COLUMNS: &str = "id, session_id, name, title, prompt, role, cli, model, state, agent_id, summary, outcome, \
     reason, attempts, created_at, updated_at, reviews, max_rounds, rounds, sent_prompt, pattern, parent_id";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: row.get(0)?,
        session_id: row.get(1)?,
        name: row.get(2)?,
        title: row.get(3)?,
        prompt: row.get(4)?,
        role: row.get(5)?,
        cli: row.get::<_, Option<String>>(6)?.and_then(|c| CliKind::parse(&c)),
        model: row.get(7)?,
        state: TaskState::parse(&row.get::<_, String>(8)?),
        deps: Vec::new(),
        agent_id: row.get(9)?,
        summary: row.get(10)?,
        outcome: row.get(11)?,
        reason: row.get(12)?,
        attempts: row.get::<_, i64>(13)?.clamp(0, u32::MAX as i64) as u32,
        created_at: time::ms_to_rfc3339(row.get(14)?),
        updated_at: time::ms_to_rfc3339(row.get(15)?),
        reviews: row.get(16)?,
        max_rounds: row.get::<_, i64>(17)?.clamp(1, u32::MAX as i64) as u32,
        rounds: row.get::<_, i64>(18)?.clamp(0, u32::MAX as i64) as u32,
        sent_prompt: row.get(19)?,
        pattern: row.get::<_, Option<String>>(20)?.and_then(|p| serde_json::from_str(&p).ok()),
        parent_id: row.get(21)?,
    })
}

/// A dependency row (`depends_on`, `condition`, the depended-on task's `state`) of `task`.
fn dep_from_row(r: &Row<'_>, first: usize, reviews: Option<&str>) -> rusqlite::Result<TaskDep> {
    let task_id: String = r.get(first)?;
    let kind = DepKind::parse(&r.get::<_, String>(first + 1)?);
    let state = TaskState::parse(&r.get::<_, String>(first + 2)?);
    let holds = dep_holds(kind, state, reviews == Some(task_id.as_str()));
    Ok(TaskDep { task_id, kind, holds })
}

fn deps_load(conn: &Connection, task: &mut Task) -> rusqlite::Result<()> {
    // In the order the depended-on tasks were added, as they were named.
    let mut stmt = conn.prepare_cached(
        "SELECT d.depends_on, d.condition, t.state FROM task_deps d JOIN tasks t ON t.id = d.depends_on \
         WHERE d.task_id = ?1 ORDER BY t.created_at, t.rowid",
    )?;
    let reviews = task.reviews.clone();
    task.deps =
        stmt.query_map([&task.id], |r| dep_from_row(r, 0, reviews.as_deref()))?.collect::<rusqlite::Result<_>>()?;
    Ok(())
}

pub(crate) fn task_list(conn: &Connection, session_id: &str) -> Result<Vec<Task>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tasks WHERE session_id = ?1 ORDER BY created_at, rowid"))?;
    let mut tasks = stmt.query_map([session_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    // Every dependency of the session in one query (the coordinator lists thousands of tasks
    // several times a cycle).
    let mut deps: std::collections::HashMap<String, Vec<TaskDep>> = std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT d.task_id, d.depends_on, d.condition, dep.state, t.reviews FROM task_deps d \
         JOIN tasks t ON t.id = d.task_id JOIN tasks dep ON dep.id = d.depends_on \
         WHERE t.session_id = ?1 ORDER BY d.task_id, dep.created_at, dep.rowid",
    )?;
    let rows = stmt.query_map([session_id], |r| {
        let reviews: Option<String> = r.get(4)?;
        Ok((r.get::<_, String>(0)?, dep_from_row(r, 1, reviews.as_deref())?))
    })?;
    for row in rows {
        let (task, dep) = row?;
        deps.entry(task).or_default().push(dep);
    }
    for t in &mut tasks {
        t.deps = deps.remove(&t.id).unwrap_or_default();
    }
    Ok(tasks)
}

/// By id, or by name within `session_id` (any session when `None`, newest first).
pub(crate) fn task_get(conn: &Connection, session_id: Option<&str>, id_or_name: &str) -> Result<Task> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM tasks WHERE id = ?1 UNION ALL \
         SELECT * FROM (SELECT {COLUMNS} FROM tasks WHERE name = ?1 AND (?2 IS NULL OR session_id = ?2) \
         ORDER BY created_at DESC) LIMIT 1"
    ))?;
    let mut task = stmt
        .query_row(params![id_or_name, session_id], from_row)
        .optional()?
        .ok_or_else(|| TaskError::NotFound(id_or_name.into()))?;
    deps_load(conn, &mut task)?;
    Ok(task)
}

/// A task name from its title: lowercase words joined by `-`, at most 40 characters.
fn name_from_title(title: &str) -> String {
    let words: Vec<String> =
        title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let mut name = words.join("-");
    if let Some((cut, _)) = name.char_indices().nth(40) {
        name.truncate(cut);
    }
    let name = name.trim_end_matches('-').to_owned();
    if name.is_empty() { "task".into() } else { name }
}

fn state_set(conn: &Connection, id: &str, state: TaskState, reason: Option<&str>) -> Result<()> {
    let now = time::now_ms();
    conn.execute(
        "UPDATE tasks SET state = ?2, reason = ?3, updated_at = ?4, \
         ended_at = CASE WHEN ?2 IN ('done', 'failed', 'cancelled') THEN ?4 ELSE ended_at END WHERE id = ?1",
        params![id, state.as_str(), reason, now],
    )?;
    Ok(())
}

/// Adds a task to a session's graph, in a transaction: its name (unique in the session, or
/// made from its title), its dependencies (tasks of the session), pending. Returns its id; the
/// caller moves the graph along with [`tasks_advance_in`].
pub(crate) fn task_insert(tx: &mut Tx<'_>, session_id: &str, req: &TaskCreate) -> Result<String> {
    if req.title.trim().is_empty() {
        return Err(TaskError::Invalid("the task has no title; say what it is".into()).into());
    }
    if req.prompt.trim().is_empty() {
        return Err(TaskError::Invalid("the task's prompt is empty; say what the agent should do".into()).into());
    }
    if let Some(n) = &req.name {
        crate::names::name_check("task name", n)?;
    }
    crate::names::arg_check("task prompt", &req.prompt)?;
    if let Some(r) = &req.role {
        crate::names::name_check("role", r)?;
    }
    let taken = |name: &str| -> rusqlite::Result<bool> {
        tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM tasks WHERE session_id = ?1 AND name = ?2)",
            params![session_id, name],
            |r| r.get(0),
        )
    };
    let name = match req.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if taken(n)? => return Err(TaskError::DuplicateName(n.to_owned()).into()),
        Some(n) => n.to_owned(),
        None => {
            let base = name_from_title(&req.title);
            let mut candidate = base.clone();
            let mut n = 2;
            while taken(&candidate)? {
                candidate = format!("{base}-{n}");
                n += 1;
            }
            candidate
        }
    };
    let mut deps: Vec<(String, DepKind)> = Vec::new();
    for (list, kind) in
        [(&req.after, DepKind::After), (&req.if_succeeded, DepKind::IfSucceeded), (&req.if_failed, DepKind::IfFailed)]
    {
        for d in list {
            let unknown = || TaskError::Graph(GraphError::Unknown { task: name.clone(), dependency: d.clone() });
            let dep = task_get(tx, Some(session_id), d).map_err(|_| unknown())?;
            if dep.session_id != session_id {
                return Err(unknown().into());
            }
            if deps.iter().any(|(id, _)| *id == dep.id) {
                return Err(TaskError::Invalid(format!("{d} is named twice among the dependencies")).into());
            }
            deps.push((dep.id, kind));
        }
    }
    let reviews = match req.reviews.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => {
            let reviewed = task_get(tx, Some(session_id), r)
                .ok()
                .filter(|t| t.session_id == session_id)
                .ok_or_else(|| TaskError::Graph(GraphError::Unknown { task: name.clone(), dependency: r.into() }))?;
            if !deps.iter().any(|(id, kind)| *id == reviewed.id && *kind == DepKind::After) {
                return Err(TaskError::Invalid(format!(
                    "{name} reviews {r} but does not run after it; add {r} to its `after` dependencies"
                ))
                .into());
            }
            Some(reviewed.id)
        }
    };
    if req.max_rounds == Some(0) {
        return Err(TaskError::Invalid("max rounds must be at least 1".into()).into());
    }
    let id = ids::new_id("tsk");
    let now = time::now_ms();
    tx.execute(
        "INSERT INTO tasks (id, session_id, name, title, prompt, role, cli, model, state, created_at, updated_at, \
         reviews, max_rounds) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', ?9, ?9, ?10, ?11)",
        params![
            id,
            session_id,
            name,
            req.title.trim(),
            req.prompt,
            req.role,
            req.cli.map(CliKind::as_str),
            req.model,
            now,
            reviews,
            req.max_rounds.unwrap_or(3)
        ],
    )?;
    for (dep, kind) in &deps {
        tx.execute(
            "INSERT INTO task_deps (task_id, depends_on, condition) VALUES (?1, ?2, ?3)",
            params![id, dep, kind.as_str()],
        )?;
    }
    // A new task depends only on tasks that already exist, so it cannot close a cycle;
    // graphs declared at once (templates) go through `graph_check`.
    task_publish_in(tx, &id)?;
    Ok(id)
}

/// Records what a task does beyond working (set when its pattern adds it).
pub(crate) fn task_pattern_set(tx: &mut Tx<'_>, id: &str, pattern: &crate::pattern::TaskPattern) -> Result<()> {
    let json = serde_json::to_string(pattern).map_err(|e| TaskError::Invalid(e.to_string()))?;
    tx.execute("UPDATE tasks SET pattern = ?2 WHERE id = ?1", params![id, json])?;
    task_publish_in(tx, id)?;
    Ok(())
}

/// Moves pending tasks of the session whose dependencies decided: ready, or cancelled with the
/// reason (which may cancel their own dependants in turn). Returns the tasks changed.
pub(crate) fn tasks_advance_in(tx: &mut Tx<'_>, session_id: &str) -> Result<Vec<Task>> {
    let mut changed: Vec<String> = Vec::new();
    loop {
        let tasks = task_list(tx, session_id)?;
        let by_id: std::collections::HashMap<&str, &Task> = tasks.iter().map(|t| (t.id.as_str(), t)).collect();
        let mut moved = false;
        for t in tasks.iter().filter(|t| t.state == TaskState::Pending) {
            let statuses: Vec<_> = t
                .deps
                .iter()
                .filter_map(|d| {
                    let dep = by_id.get(d.task_id.as_str())?;
                    // Work in review is done for its reviewer; the others wait for approval. A
                    // failed candidate is only one that loses a selection or a vote.
                    let chooses = matches!(
                        t.pattern,
                        Some(crate::pattern::TaskPattern::Select { .. } | crate::pattern::TaskPattern::Vote { .. })
                    );
                    let state = match dep.state {
                        TaskState::Review if t.reviews.as_deref() == Some(dep.id.as_str()) => TaskState::Done,
                        TaskState::Failed if chooses => TaskState::Done,
                        s => s,
                    };
                    // A failure's reason travels to the tasks it stops (a failed gate says why).
                    let label = match (dep.state, dep.outcome.as_deref()) {
                        (TaskState::Failed, Some(o)) if !o.is_empty() => {
                            format!("{} ({})", dep.name, crate::artifact::summary_line(o, 200))
                        }
                        _ => dep.name.clone(),
                    };
                    Some(dep_status(d.kind, &label, state))
                })
                .collect();
            if let Some((state, reason)) = pending_next(&statuses) {
                state_set(tx, &t.id, state, reason.as_deref())?;
                changed.push(t.id.clone());
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    let mut tasks = Vec::with_capacity(changed.len());
    for id in &changed {
        tasks.push(task_publish_in(tx, id)?);
    }
    Ok(tasks)
}

/// Queues the task's current record for clients, and its dependants' (where each of their
/// dependencies stands changes with this task's state).
pub(crate) fn task_publish_in(tx: &mut Tx<'_>, id: &str) -> Result<Task> {
    let task = task_get(tx, None, id)?;
    tx.publish(EngineEvent::TaskUpdated { task: task.clone() });
    let dependants: Vec<String> = tx
        .prepare_cached("SELECT task_id FROM task_deps WHERE depends_on = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for d in dependants {
        let dependant = task_get(tx, None, &d)?;
        tx.publish(EngineEvent::TaskUpdated { task: dependant });
    }
    Ok(task)
}

/// Marks a task as one whose agent only reads (its pattern role's `read_only`).
pub(crate) fn task_read_only_set(conn: &rusqlite::Connection, id: &str) -> Result<()> {
    conn.execute("UPDATE tasks SET read_only = 1 WHERE id = ?1", [id])?;
    Ok(())
}

/// Whether a task's agent only reads: started with its CLI's read-only tools and modes.
pub(crate) fn task_read_only(conn: &rusqlite::Connection, id: &str) -> Result<bool> {
    Ok(conn.query_row("SELECT read_only FROM tasks WHERE id = ?1", [id], |r| r.get(0))?)
}

/// Moves a task to `state` with what came of it, then its dependants along.
pub(crate) fn task_set_in(tx: &mut Tx<'_>, task: &Task, state: TaskState, fields: TaskFields<'_>) -> Result<()> {
    state_set(tx, &task.id, state, fields.reason)?;
    tx.execute(
        "UPDATE tasks SET summary = COALESCE(?2, summary), outcome = COALESCE(?3, outcome) WHERE id = ?1",
        params![task.id, fields.summary, fields.outcome],
    )?;
    task_publish_in(tx, &task.id)?;
    tasks_advance_in(tx, &task.session_id)?;
    Ok(())
}

impl Engine {
    /// Adds a task to a session's graph. Its dependencies must be tasks of the session.
    pub fn task_add(&self, req: &TaskCreate) -> Result<Task> {
        let session = self.session_get(&req.session)?;
        self.write(|tx| {
            let id = match &req.parent {
                Some(lead) => crate::coordinator::subtask_insert(tx, &session.id, lead, req)?,
                None => task_insert(tx, &session.id, req)?,
            };
            tasks_advance_in(tx, &session.id)?;
            task_get(tx, None, &id)
        })
    }

    pub fn task_get(&self, id_or_name: &str) -> Result<Task> {
        task_get(&self.inner.store.conn(), None, id_or_name)
    }

    pub fn task_list(&self, session: &str) -> Result<Vec<Task>> {
        let session = self.session_get(session)?;
        task_list(&self.inner.store.conn(), &session.id)
    }

    /// Ends a task as done or failed, with what came of it; its dependants move on.
    pub fn task_complete(&self, id_or_name: &str, req: &TaskComplete) -> Result<Task> {
        if !matches!(req.state, TaskState::Done | TaskState::Failed) {
            return Err(
                TaskError::Invalid(format!("a task completes as done or failed, not {}", req.state.as_str())).into()
            );
        }
        self.write(|tx| {
            let task = task_get(tx, None, id_or_name)?;
            if task.state.is_final() {
                return Err(TaskError::Invalid(format!(
                    "task {} is already {}; it cannot complete again",
                    task.name,
                    task.state.as_str()
                ))
                .into());
            }
            task_set_in(tx, &task, req.state, TaskFields::default())?;
            // What came of it is what the user says now, nothing said clearing an earlier one.
            tx.execute("UPDATE tasks SET outcome = ?2 WHERE id = ?1", params![task.id, req.outcome])?;
            task_publish_in(tx, &task.id)
        })
    }

    /// Moves pending tasks of the session whose dependencies decided: ready, or cancelled with
    /// the reason (which may cancel their own dependants in turn). Returns the tasks changed.
    pub fn tasks_advance(&self, session_id: &str) -> Result<Vec<Task>> {
        self.write(|tx| tasks_advance_in(tx, session_id))
    }

    /// Starts a blocked or failed task again (the recovery action): it becomes ready and the
    /// coordinator gives it to an agent, its previous one when that agent can resume.
    pub fn task_retry(&self, id_or_name: &str) -> Result<Task> {
        self.write(|tx| {
            let task = task_get(tx, None, id_or_name)?;
            if !matches!(task.state, TaskState::Blocked | TaskState::Failed) {
                return Err(TaskError::Invalid(format!(
                    "task {} is {}; only a blocked or failed task is retried",
                    task.name,
                    task.state.as_str()
                ))
                .into());
            }
            state_set(tx, &task.id, TaskState::Ready, None)?;
            tx.execute("UPDATE tasks SET reasks = 0, ended_at = NULL WHERE id = ?1", [&task.id])?;
            // A selection retried checks its candidates again (their work may have changed).
            tx.execute("DELETE FROM task_candidates WHERE task_id = ?1", [&task.id])?;
            task_publish_in(tx, &task.id)
        })
    }

    /// Moves a task to `state` with what came of it (the coordinator's bookkeeping; users use
    /// `task_complete`), then its dependants along.
    pub(crate) fn task_set(&self, task: &Task, state: TaskState, fields: TaskFields<'_>) -> Result<()> {
        self.write(|tx| task_set_in(tx, task, state, fields))
    }

    /// Records that `agent_id` works on the task from now, its turn count now being `turns`.
    /// `sent_prompt`: the prompt the agent was just given, when the task starts.
    pub(crate) fn task_assign(
        &self,
        id: &str,
        agent_id: &str,
        turns: u32,
        new_attempt: bool,
        sent_prompt: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE tasks SET state = 'running', reason = NULL, agent_id = ?2, agent_turns = ?3, \
                 attempts = attempts + ?4, started_at = COALESCE(started_at, ?5), updated_at = ?5, \
                 sent_prompt = COALESCE(?6, sent_prompt) WHERE id = ?1",
                params![id, agent_id, turns, new_attempt as i64, time::now_ms(), sent_prompt],
            )?;
            task_publish_in(tx, id)?;
            Ok(())
        })
    }
}

//! A session's context that lasts: objectives, pending decisions, key insights, tasks, agents,
//! artifacts and metrics, all in the store (so they survive restarts); a status view of it; and
//! export of it as one JSON document, imported again as a new session.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::protocol::CliKind;
use crate::artifact::{Artifact, ArtifactNew, artifact_insert, artifacts_of_session};
use crate::coordinator::CoordinatorStatus;
use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::events::EngineEvent;
use crate::session::{Session, SessionSettings};
use crate::store::Tx;
use crate::task::{DepKind, Task, TaskCreate, TaskState, task_insert, task_publish_in, tasks_advance_in};
use std::path::Path;

use crate::{git, ids, time};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Objective {
    pub id: String,
    pub text: String,
    pub state: ObjectiveState,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveState {
    Open,
    Done,
    Dropped,
}

impl ObjectiveState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Dropped => "dropped",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "done" => Self::Done,
            "dropped" => Self::Dropped,
            _ => Self::Open,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionState {
    Pending,
    Decided,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Insight {
    pub id: String,
    pub text: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub id: String,
    pub question: String,
    pub answer: Option<String>,
    pub state: DecisionState,
    pub created_at: String,
}

/// One task state and how many tasks are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StateCount {
    pub state: TaskState,
    pub count: u32,
}

/// An agent in a status view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentBrief {
    pub id: String,
    pub name: String,
    pub cli: CliKind,
    pub role: Option<String>,
    pub state: crate::agent::AgentState,
    /// The task's name.
    pub task: Option<String>,
    pub cost_usd: f64,
}

/// `baton status --session`: the session's objectives, tasks by state, agents, cycles, cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    pub session: Session,
    pub coordinator: CoordinatorStatus,
    pub objectives: Vec<Objective>,
    pub decisions: Vec<Decision>,
    pub insights: Vec<Insight>,
    pub tasks: Vec<StateCount>,
    pub agents: Vec<AgentBrief>,
    #[ts(type = "number")]
    pub artifacts: u64,
    pub cost_usd: f64,
    /// True when part of the cost is Baton's estimate.
    pub cost_is_estimate: bool,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
}

/// A session's context as one document (`baton context export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextDoc {
    /// The document format's version.
    pub format: u32,
    pub exported_at: String,
    pub session: ContextSession,
    pub objectives: Vec<Objective>,
    pub decisions: Vec<Decision>,
    pub insights: Vec<Insight>,
    /// In the order they were added (dependencies first).
    pub tasks: Vec<ContextTask>,
    pub artifacts: Vec<Artifact>,
    /// The agents that worked, as a record (not restarted on import).
    pub agents: Vec<AgentBrief>,
    #[ts(type = "number")]
    pub cycles: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextSession {
    pub name: String,
    pub repo: String,
    pub base_branch: Option<String>,
    pub settings: SessionSettings,
}

/// A task in an exported context: dependencies by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextTask {
    pub id: String,
    pub name: String,
    pub title: String,
    pub prompt: String,
    pub role: Option<String>,
    pub cli: Option<CliKind>,
    pub model: Option<String>,
    pub state: TaskState,
    pub after: Vec<String>,
    pub if_succeeded: Vec<String>,
    pub if_failed: Vec<String>,
    pub reviews: Option<String>,
    pub max_rounds: u32,
    pub summary: Option<String>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
}

/// `POST /api/context/import`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextImport {
    pub doc: ContextDoc,
    /// The repository of the new session [default: the document's].
    #[serde(default)]
    pub repo: Option<String>,
    /// Its name [default: the document's, made unique].
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error("the text is empty; say what to record")]
    Empty,
    #[error("no {what} has the id {id:?} in this session")]
    NotFound { what: &'static str, id: String },
    #[error("this context document has format {0}; this Baton reads format 1. Update Baton")]
    Format(u32),
}

impl ContextError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Empty | Self::Format(_) => ErrorCode::InvalidInput,
        }
    }
}

fn text_check(text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ContextError::Empty.into());
    }
    Ok(t.to_owned())
}

/// Records an objective (open, or as given) in a transaction.
pub(crate) fn objective_insert(
    tx: &mut Tx<'_>,
    session_id: &str,
    text: &str,
    state: ObjectiveState,
) -> Result<Objective> {
    let text = text_check(text)?;
    let id = ids::new_id("obj");
    let now = time::now_ms();
    tx.execute(
        "INSERT INTO objectives (id, session_id, text, state, created_at, done_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?4 = 'open' THEN NULL ELSE ?5 END)",
        params![id, session_id, text, state.as_str(), now],
    )?;
    tx.publish(EngineEvent::ContextUpdated { session_id: session_id.to_owned() });
    Ok(Objective { id, text, state, created_at: time::ms_to_rfc3339(now) })
}

fn insight_insert(tx: &mut Tx<'_>, session_id: &str, text: &str) -> Result<Insight> {
    let text = text_check(text)?;
    let id = ids::new_id("ins");
    let now = time::now_ms();
    tx.execute(
        "INSERT INTO insights (id, session_id, text, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![id, session_id, text, now],
    )?;
    tx.publish(EngineEvent::ContextUpdated { session_id: session_id.to_owned() });
    Ok(Insight { id, text, created_at: time::ms_to_rfc3339(now) })
}

/// Records a decision, pending, or decided when it comes with its answer.
pub(crate) fn decision_insert(
    tx: &mut Tx<'_>,
    session_id: &str,
    question: &str,
    answer: Option<&str>,
) -> Result<Decision> {
    let question = text_check(question)?;
    let answer = answer.map(text_check).transpose()?;
    let state = if answer.is_some() { DecisionState::Decided } else { DecisionState::Pending };
    let id = ids::new_id("dec");
    let now = time::now_ms();
    tx.execute(
        "INSERT INTO decisions (id, session_id, question, answer, state, created_at, decided_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?4 IS NULL THEN NULL ELSE ?6 END)",
        params![id, session_id, question, answer, state.as_str(), now],
    )?;
    tx.publish(EngineEvent::ContextUpdated { session_id: session_id.to_owned() });
    Ok(Decision { id, question, answer, state, created_at: time::ms_to_rfc3339(now) })
}

impl DecisionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Decided => "decided",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "decided" { Self::Decided } else { Self::Pending }
    }
}

impl Engine {
    pub fn objective_add(&self, session: &str, text: &str) -> Result<Objective> {
        let session = self.session_get(session)?;
        self.write(|tx| objective_insert(tx, &session.id, text, ObjectiveState::Open))
    }

    /// Marks an objective done, dropped or open again.
    pub fn objective_set(&self, session: &str, id: &str, state: ObjectiveState) -> Result<Objective> {
        let session = self.session_get(session)?;
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE objectives SET state = ?3, done_at = CASE WHEN ?3 = 'open' THEN NULL ELSE ?4 END \
                 WHERE id = ?1 AND session_id = ?2",
                params![id, session.id, state.as_str(), time::now_ms()],
            )?;
            if n == 0 {
                return Err(ContextError::NotFound { what: "objective", id: id.into() }.into());
            }
            tx.publish(EngineEvent::ContextUpdated { session_id: session.id.clone() });
            Ok(objectives_of(tx, &session.id)?.into_iter().find(|o| o.id == id).expect("just changed"))
        })
    }

    pub fn insight_add(&self, session: &str, text: &str) -> Result<Insight> {
        let session = self.session_get(session)?;
        self.write(|tx| insight_insert(tx, &session.id, text))
    }

    /// Records a question the session waits on; the coordinator is not complete while one is
    /// pending.
    pub fn decision_add(&self, session: &str, question: &str) -> Result<Decision> {
        let session = self.session_get(session)?;
        self.write(|tx| decision_insert(tx, &session.id, question, None))
    }

    pub fn decision_decide(&self, session: &str, id: &str, answer: &str) -> Result<Decision> {
        let session = self.session_get(session)?;
        let answer = text_check(answer)?;
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE decisions SET answer = ?3, state = 'decided', decided_at = ?4 WHERE id = ?1 AND session_id = ?2",
                params![id, session.id, answer, time::now_ms()],
            )?;
            if n == 0 {
                return Err(ContextError::NotFound { what: "decision", id: id.into() }.into());
            }
            tx.publish(EngineEvent::ContextUpdated { session_id: session.id.clone() });
            Ok(decisions_of(tx, &session.id)?.into_iter().find(|o| o.id == id).expect("just decided"))
        })
    }

    pub fn objectives(&self, session_id: &str) -> Result<Vec<Objective>> {
        objectives_of(&self.inner.store.conn(), session_id)
    }

    pub fn decisions(&self, session_id: &str) -> Result<Vec<Decision>> {
        decisions_of(&self.inner.store.conn(), session_id)
    }

    pub fn insights(&self, session_id: &str) -> Result<Vec<Insight>> {
        let conn = self.inner.store.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, text, created_at FROM insights WHERE session_id = ?1 ORDER BY created_at, rowid",
        )?;
        let rows = stmt
            .query_map([session_id], |r| {
                Ok(Insight { id: r.get(0)?, text: r.get(1)?, created_at: time::ms_to_rfc3339(r.get(2)?) })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn session_status(&self, session: &str) -> Result<SessionStatus> {
        let session = self.session_get(session)?;
        let tasks = self.task_list(&session.id)?;
        let agents = self.agent_list(Some(&session.id))?;
        let mut counts: Vec<StateCount> = Vec::new();
        for t in &tasks {
            match counts.iter_mut().find(|c| c.state == t.state) {
                Some(c) => c.count += 1,
                None => counts.push(StateCount { state: t.state, count: 1 }),
            }
        }
        let artifacts: i64 = self.inner.store.conn().query_row(
            "SELECT count(*) FROM artifacts WHERE session_id = ?1",
            [&session.id],
            |r| r.get(0),
        )?;
        Ok(SessionStatus {
            coordinator: self.coordinator_status(&session.id)?,
            objectives: self.objectives(&session.id)?,
            decisions: self.decisions(&session.id)?,
            insights: self.insights(&session.id)?,
            tasks: counts,
            // Folded from 0.0: a float `sum()` of nothing is -0.0, which clients show as "-$0.00".
            cost_usd: agents.iter().fold(0.0, |sum, a| sum + a.cost_usd),
            cost_is_estimate: agents.iter().any(|a| a.cost_is_estimate),
            input_tokens: agents.iter().map(|a| a.usage.input).sum(),
            output_tokens: agents.iter().map(|a| a.usage.output).sum(),
            agents: briefs(&agents, &tasks),
            artifacts: artifacts.max(0) as u64,
            session,
        })
    }

    pub fn context_export(&self, session: &str) -> Result<ContextDoc> {
        let session = self.session_get(session)?;
        let tasks = self.task_list(&session.id)?;
        let agents = self.agent_list(Some(&session.id))?;
        let name_of = |id: &str| tasks.iter().find(|t| t.id == id).map(|t| t.name.clone()).unwrap_or_default();
        let deps = |t: &Task, kind: DepKind| -> Vec<String> {
            t.deps.iter().filter(|d| d.kind == kind).map(|d| name_of(&d.task_id)).collect()
        };
        let ctx_tasks = tasks
            .iter()
            .map(|t| ContextTask {
                id: t.id.clone(),
                name: t.name.clone(),
                title: t.title.clone(),
                prompt: t.prompt.clone(),
                role: t.role.clone(),
                cli: t.cli,
                model: t.model.clone(),
                state: t.state,
                after: deps(t, DepKind::After),
                if_succeeded: deps(t, DepKind::IfSucceeded),
                if_failed: deps(t, DepKind::IfFailed),
                reviews: t.reviews.as_deref().map(name_of),
                max_rounds: t.max_rounds,
                summary: t.summary.clone(),
                outcome: t.outcome.clone(),
                reason: t.reason.clone(),
            })
            .collect();
        // Each read on its own: a store guard held in the literal would block the next read.
        let artifacts = artifacts_of_session(&self.inner.store.conn(), &session.id)?;
        let cycles = self.coordinator_status(&session.id)?.cycles;
        Ok(ContextDoc {
            format: 1,
            exported_at: time::ms_to_rfc3339(time::now_ms()),
            objectives: self.objectives(&session.id)?,
            decisions: self.decisions(&session.id)?,
            insights: self.insights(&session.id)?,
            tasks: ctx_tasks,
            artifacts,
            agents: briefs(&agents, &tasks),
            cycles,
            session: ContextSession {
                name: session.name,
                repo: session.repo,
                base_branch: session.base_branch,
                settings: session.settings,
            },
        })
    }

    /// Makes a new session from an exported context: objectives, decisions, insights, tasks
    /// (finished ones keep their state; unfinished ones wait for `baton run`) and artifacts.
    pub fn context_import(&self, req: &ContextImport) -> Result<Session> {
        let doc = &req.doc;
        if doc.format != 1 {
            return Err(ContextError::Format(doc.format).into());
        }
        if let Some(name) = &req.name {
            crate::names::name_check("session name", name)?;
        }
        // The document may come from anywhere: its names meet the same checks as typed ones.
        crate::names::name_check("session name", &doc.session.name)?;
        if let Some(pattern) = &doc.session.settings.branch_pattern {
            crate::names::name_check("branch pattern", pattern)?;
            crate::worktree::branch_pattern_check(pattern)?;
        }
        for tool in &doc.session.settings.allow_tools {
            crate::names::name_check("tool name", tool)?;
        }
        for t in &doc.tasks {
            crate::names::arg_check("task prompt", &t.prompt)?;
        }
        if req.repo.as_deref().unwrap_or(&doc.session.repo).trim().is_empty() {
            return Err(crate::session::SessionError::RepoMissing.into());
        }
        let repo = git::repo_inspect(Path::new(req.repo.as_deref().unwrap_or(&doc.session.repo).trim()))?;
        // One transaction: a document that fails half-way (a task whose dependency is missing)
        // leaves no half-made session behind, and clients hear of the session once it is whole.
        self.write(|tx| {
            let taken = crate::session::session_get(tx, &doc.session.name).is_ok();
            let name = req
                .name
                .clone()
                .or_else(|| (!taken).then(|| doc.session.name.clone()))
                .unwrap_or_else(|| format!("{} (imported)", doc.session.name));
            let session = crate::session::session_insert(tx, &repo, Some(&name), None)?;
            // Announced first, with its final record (a later update folds into this).
            tx.publish(EngineEvent::SessionCreated { session: session.clone() });
            crate::session::settings_write(tx, &session.id, &doc.session.settings)?;
            for o in &doc.objectives {
                objective_insert(tx, &session.id, &o.text, o.state)?;
            }
            for i in &doc.insights {
                insight_insert(tx, &session.id, &i.text)?;
            }
            for d in &doc.decisions {
                decision_insert(tx, &session.id, &d.question, d.answer.as_deref())?;
            }
            let mut new_ids: Vec<(String, String)> = Vec::new();
            for t in &doc.tasks {
                let id = task_insert(
                    tx,
                    &session.id,
                    &TaskCreate {
                        session: session.id.clone(),
                        title: t.title.clone(),
                        prompt: t.prompt.clone(),
                        name: Some(t.name.clone()),
                        role: t.role.clone(),
                        cli: t.cli,
                        model: t.model.clone(),
                        after: t.after.clone(),
                        if_succeeded: t.if_succeeded.clone(),
                        if_failed: t.if_failed.clone(),
                        reviews: t.reviews.clone(),
                        max_rounds: Some(t.max_rounds),
                        parent: None,
                    },
                )?;
                // Work that ended keeps how it ended; work in flight starts again.
                if matches!(t.state, TaskState::Done | TaskState::Failed | TaskState::Cancelled | TaskState::Blocked) {
                    tx.execute(
                        "UPDATE tasks SET state = ?2, summary = ?3, outcome = ?4, reason = ?5 WHERE id = ?1",
                        params![id, t.state.as_str(), t.summary, t.outcome, t.reason],
                    )?;
                    task_publish_in(tx, &id)?;
                }
                new_ids.push((t.id.clone(), id));
            }
            for a in &doc.artifacts {
                let task_id =
                    a.task_id.as_deref().and_then(|old| new_ids.iter().find(|(o, _)| o == old)).map(|(_, n)| n);
                artifact_insert(
                    tx,
                    &ArtifactNew {
                        session_id: &session.id,
                        task_id: task_id.map(String::as_str),
                        agent_id: None,
                        kind: a.kind,
                        title: &a.title,
                        summary: &a.summary,
                        body: &a.body,
                        path: a.path.as_deref(),
                    },
                )?;
            }
            tasks_advance_in(tx, &session.id)?;
            let session = crate::session::session_get(tx, &session.id)?;
            tx.publish(EngineEvent::SessionUpdated { session: session.clone() });
            Ok(session)
        })
    }
}

fn objectives_of(conn: &rusqlite::Connection, session_id: &str) -> Result<Vec<Objective>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, text, state, created_at FROM objectives WHERE session_id = ?1 ORDER BY created_at, rowid",
    )?;
    let rows = stmt
        .query_map([session_id], |r| {
            Ok(Objective {
                id: r.get(0)?,
                text: r.get(1)?,
                state: ObjectiveState::parse(&r.get::<_, String>(2)?),
                created_at: time::ms_to_rfc3339(r.get(3)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn decisions_of(conn: &rusqlite::Connection, session_id: &str) -> Result<Vec<Decision>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, question, answer, state, created_at FROM decisions WHERE session_id = ?1 ORDER BY created_at, rowid",
    )?;
    let rows = stmt
        .query_map([session_id], |r| {
            Ok(Decision {
                id: r.get(0)?,
                question: r.get(1)?,
                answer: r.get(2)?,
                state: DecisionState::parse(&r.get::<_, String>(3)?),
                created_at: time::ms_to_rfc3339(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn briefs(agents: &[crate::agent::Agent], tasks: &[Task]) -> Vec<AgentBrief> {
    agents
        .iter()
        .map(|a| AgentBrief {
            id: a.id.clone(),
            name: a.name.clone(),
            cli: a.cli,
            role: a.role.clone(),
            state: a.state,
            task: a.task_id.as_deref().and_then(|id| tasks.iter().find(|t| t.id == id)).map(|t| t.name.clone()),
            cost_usd: a.cost_usd,
        })
        .collect()
}

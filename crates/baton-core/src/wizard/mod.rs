//! The spawning wizard: a goal, a few questions that draw the plan out of the user, a plan the
//! user edits, then launch. Baton reads the repository first ([`facts`]), asks the questions of a
//! graph kept as data ([`questions`], `templates/wizard/*.toml`), skipping those the facts
//! answer, and builds the plan ([`plan`]) from the answers. A wizard is kept in the store
//! (`wizards`) from its start, so a draft survives a daemon restart.
//!
//! Decisions are pure (the next question, an answer's reading, the plan); this module loads and
//! stores, and launches in one transaction: the plan's tasks, the goal as an objective, every
//! question and answer as a decided decision, the concurrency and merge policy as the session's
//! settings, and the wizard marked launched.

mod assisted;
pub mod facts;
pub mod plan;
pub mod planner;
pub mod questions;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::events::EngineEvent;
use crate::pattern::PatternInfo;
use crate::store::Tx;
use crate::task::Task;
use crate::{ids, time};
use facts::RepoFacts;
use plan::{PlanFault, WizardPlan, plan_check, plan_fault, plan_template};
use planner::{PlannerState, WizardPlanner};
use questions::{QuestionGraph, QuestionKind, Step, answer_parse, graph_parse, plan_build, question_view, step};

/// Question graphs shipped with Baton: (file name, text).
const BUILT_IN: &[(&str, &str)] = &[("guided.toml", include_str!("../../../../templates/wizard/guided.toml"))];

/// Which engine asks the questions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WizardEngine {
    /// The question graph `guided` (`templates/wizard/guided.toml`, or the user's file of that name).
    #[default]
    Guided,
    /// A planner agent (Claude Code, Codex or Gemini CLI, read-only) asks the questions and
    /// proposes the plan (`wizard/planner.rs`); the guided graph takes over if it fails twice.
    Agent,
}

impl WizardEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guided => "guided",
            Self::Agent => "agent",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "agent" => Self::Agent,
            _ => Self::Guided,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WizardState {
    /// Being answered or edited.
    Draft,
    /// Its plan was added to the session.
    Launched,
    Discarded,
}

impl WizardState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Launched => "launched",
            Self::Discarded => "discarded",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "launched" => Self::Launched,
            "discarded" => Self::Discarded,
            _ => Self::Draft,
        }
    }
}

/// A question answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WizardAnswer {
    /// The question's id.
    pub question: String,
    /// The question as it was asked.
    pub text: String,
    /// Options' labels, a text or a number.
    pub values: Vec<String>,
    /// The repository's facts answered it; it was not asked.
    pub auto: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WizardOption {
    pub label: String,
    pub detail: Option<String>,
    pub recommended: bool,
}

/// The question to answer now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WizardQuestion {
    pub id: String,
    pub text: String,
    /// Why the answer matters.
    pub why: String,
    pub kind: QuestionKind,
    /// For `one`, `several` and `folders`; answered by label or by 1-based number.
    pub options: Vec<WizardOption>,
    /// What an empty answer takes, for `text` and `number`.
    pub default: Option<String>,
    /// This question's place among those asked (1 for the first).
    pub position: u32,
    /// The most questions this dialogue may ask in all, from here.
    pub at_most: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Wizard {
    pub id: String,
    pub session_id: String,
    pub goal: String,
    /// The engine asking now: `agent` becomes `guided` when the planner failed (see `note`).
    pub engine: WizardEngine,
    pub state: WizardState,
    pub facts: RepoFacts,
    pub answers: Vec<WizardAnswer>,
    /// The question to answer next; `None` once the plan is made, and while the planner thinks.
    pub question: Option<WizardQuestion>,
    /// The planner agent of an agent-assisted wizard (kept after the guided engine took over).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planner: Option<WizardPlanner>,
    /// Something the user should know, e.g. that the planner failed and the guided questions
    /// go on.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Made when the last question is answered; the user may edit it.
    pub plan: Option<WizardPlan>,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
}

/// `POST /api/wizards`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardStart {
    /// Session id or name.
    pub session: String,
    /// What the user wants done.
    pub goal: String,
    #[serde(default)]
    pub engine: Option<WizardEngine>,
    /// The agent engine's planner CLI: claude, codex or gemini [default: settings'
    /// `wizard.planner`, else claude].
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<crate::agent::protocol::CliKind>,
}

/// `POST /api/wizards/{id}/answer`: an option's label or 1-based number (several for a
/// `several` or `folders` question), a text or a number; nothing takes the recommended answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardReply {
    #[serde(default)]
    pub answers: Vec<String>,
}

/// `PATCH /api/wizards/{id}/plan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardPlanSet {
    pub plan: WizardPlan,
}

/// `POST /api/wizards/{id}/launch`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardLaunch {
    /// Start the session's coordinator once the tasks are in.
    #[serde(default)]
    pub run: bool,
}

/// What a launch did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WizardLaunched {
    pub wizard: Wizard,
    /// The tasks added, as they stand after.
    pub tasks: Vec<Task>,
    /// Whether the coordinator was started.
    pub running: bool,
    /// Why the coordinator did not start when asked to; the launch itself stands (start the
    /// coordinator again with `baton coordinator start`).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_error: Option<String>,
}

/// `POST /api/wizards/{id}/pattern`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardPatternSave {
    /// The pattern's name, also its file name (`$BATON_HOME/templates/NAME.toml`).
    pub name: String,
}

/// `GET /api/wizards?session=S`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WizardListQuery {
    /// Session id or name.
    pub session: String,
}

#[derive(Debug, thiserror::Error)]
pub enum WizardError {
    #[error("no wizard has the id {0:?}; `baton wizard list --session S` lists a session's wizards")]
    NotFound(String),
    #[error("the goal is empty; say what you want done, e.g. --goal \"add a rate limiter to the API\"")]
    EmptyGoal,
    #[error("{answer:?} is not one of the options: {options}; answer with a label or its number")]
    NotAnOption { answer: String, options: String },
    #[error("{0}")]
    Answer(String),
    #[error("{file}, line {line}, column {column}: {message}")]
    GraphInvalid { file: String, line: usize, column: usize, message: String },
    #[error("{file}: {message}")]
    GraphRule { file: String, message: String },
    #[error("no question graph named {0:?}; put one in $BATON_HOME/templates/wizard/{0}.toml")]
    GraphMissing(String),
    #[error("a pattern named {0:?} exists; choose another name (`baton pattern list` shows them)")]
    PatternExists(String),
    #[error("the plan is not valid: {0}")]
    Plan(PlanFault),
    #[error("{0}")]
    State(String),
    #[error("{0}")]
    Planner(String),
    #[error("cannot read or write {path}: {detail}")]
    Io { path: String, detail: String },
}

impl WizardError {
    /// The input the error is about, for an editor to show it there: a plan's field.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Plan(fault) => Some(&fault.field),
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::GraphInvalid { .. } | Self::GraphRule { .. } | Self::GraphMissing(_) => ErrorCode::InvalidSettings,
            Self::Io { .. } => ErrorCode::Io,
            Self::PatternExists(_) => ErrorCode::DuplicateName,
            Self::EmptyGoal
            | Self::NotAnOption { .. }
            | Self::Answer(_)
            | Self::Plan(_)
            | Self::State(_)
            | Self::Planner(_) => ErrorCode::InvalidInput,
        }
    }
}

/// A wizard as stored.
struct Stored {
    id: String,
    session_id: String,
    goal: String,
    engine: WizardEngine,
    state: WizardState,
    facts: RepoFacts,
    answers: Vec<WizardAnswer>,
    plan: Option<WizardPlan>,
    planner: Option<PlannerState>,
    created_at: i64,
    updated_at: i64,
}

impl Stored {
    /// Every answer in the order given: the planner's kept ones, then the engine's own.
    fn answers_all(&self) -> Vec<&WizardAnswer> {
        self.planner.iter().flat_map(|p| &p.kept).chain(&self.answers).collect()
    }
}

const COLUMNS: &str = "id, session_id, goal, engine, state, facts, answers, plan, created_at, updated_at, planner";

fn stored_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    // The store wrote these as JSON; one from an older or damaged write reads as empty.
    let facts: String = r.get(5)?;
    let answers: String = r.get(6)?;
    let plan: Option<String> = r.get(7)?;
    let planner: Option<String> = r.get(10)?;
    Ok(Stored {
        id: r.get(0)?,
        session_id: r.get(1)?,
        goal: r.get(2)?,
        engine: WizardEngine::parse(&r.get::<_, String>(3)?),
        state: WizardState::parse(&r.get::<_, String>(4)?),
        facts: serde_json::from_str(&facts).unwrap_or_default(),
        answers: serde_json::from_str(&answers).unwrap_or_default(),
        plan: plan.and_then(|p| serde_json::from_str(&p).ok()),
        planner: planner.and_then(|p| serde_json::from_str(&p).ok()),
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn wizard_load(conn: &Connection, id: &str) -> Result<Stored> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM wizards WHERE id = ?1"))?;
    Ok(stmt.query_row([id], stored_from_row).optional()?.ok_or_else(|| WizardError::NotFound(id.to_owned()))?)
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Writes the wizard's answers, plan and state.
fn wizard_save(tx: &mut Tx<'_>, w: &mut Stored) -> Result<()> {
    w.updated_at = time::now_ms();
    tx.execute(
        "UPDATE wizards SET state = ?2, answers = ?3, plan = ?4, updated_at = ?5, engine = ?6, planner = ?7 WHERE id = ?1",
        params![
            w.id,
            w.state.as_str(),
            json(&w.answers),
            w.plan.as_ref().map(json),
            w.updated_at,
            w.engine.as_str(),
            w.planner.as_ref().map(json)
        ],
    )?;
    Ok(())
}

/// Words in braces the user's answers hold: text of theirs in the prompts, not placeholders.
fn answer_words(w: &Stored) -> Vec<String> {
    w.answers_all().into_iter().flat_map(|a| &a.values).flat_map(|v| crate::pattern::placeholders(v)).collect()
}

fn draft_check(w: &Stored) -> Result<()> {
    match w.state {
        WizardState::Draft => Ok(()),
        s => Err(WizardError::State(format!(
            "wizard {} is {}; start a new one with `baton wizard start`",
            w.id,
            s.as_str()
        ))
        .into()),
    }
}

/// Moves the dialogue on: answers the facts give are added; at the end the plan is made.
fn advance(g: &QuestionGraph, w: &mut Stored) -> Result<()> {
    if step(g, &w.facts, &mut w.answers) == Step::Done && w.plan.is_none() {
        let plan = plan_build(g, &w.answers);
        plan_check(&plan, &answer_words(w)).map_err(|e| WizardError::GraphRule {
            file: format!("question graph {:?}", g.name),
            message: format!("these answers make an invalid plan ({e}); fix the graph's fragments"),
        })?;
        w.plan = Some(plan);
    }
    Ok(())
}

/// A name that becomes a file name: plain, no separators, no leading dot.
fn file_name_check(name: &str) -> Result<()> {
    crate::names::name_check("pattern name", name)?;
    if name.trim().is_empty() || name.starts_with('.') || name.contains(['/', '\\']) || name != name.trim() {
        return Err(WizardError::State(format!(
            "{name:?} cannot be a pattern's file name; use letters, digits, `-` and `_`"
        ))
        .into());
    }
    Ok(())
}

impl Engine {
    /// The question graph named `name`: the user's (`$BATON_HOME/templates/wizard/*.toml`) wins
    /// over the built-in one. A user file that does not parse is an error naming it.
    pub fn wizard_graph(&self, name: &str) -> Result<QuestionGraph> {
        for path in crate::pattern::toml_files(&self.home().root().join("templates").join("wizard")) {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| WizardError::Io { path: file.clone(), detail: e.to_string() })?;
            let graph = graph_parse(&file, &text)?;
            if graph.name == name {
                return Ok(graph);
            }
        }
        for (file, text) in BUILT_IN {
            let graph = graph_parse(&format!("templates/wizard/{file}"), text)?;
            if graph.name == name {
                return Ok(graph);
            }
        }
        Err(WizardError::GraphMissing(name.to_owned()).into())
    }

    fn wizard_view(&self, w: Stored) -> Result<Wizard> {
        let question = match (w.state, &w.plan) {
            (WizardState::Draft, None) if w.engine == WizardEngine::Agent => {
                w.planner.as_ref().and_then(|p| p.pending.clone())
            }
            (WizardState::Draft, None) => {
                let g = self.wizard_graph(w.engine.as_str())?;
                let mut answers = w.answers.clone();
                match step(&g, &w.facts, &mut answers) {
                    Step::Ask(q) => Some(question_view(&g, q, &w.facts, &answers)),
                    Step::Done => None,
                }
            }
            _ => None,
        };
        let answers = w.answers_all().into_iter().cloned().collect();
        Ok(Wizard {
            id: w.id,
            session_id: w.session_id,
            goal: w.goal,
            engine: w.engine,
            state: w.state,
            facts: w.facts,
            answers,
            question,
            planner: w.planner.as_ref().map(PlannerState::view),
            note: w.planner.and_then(|p| p.note),
            plan: w.plan,
            created_at: time::ms_to_rfc3339(w.created_at),
            updated_at: time::ms_to_rfc3339(w.updated_at),
        })
    }

    /// Runs `body` on the wizard in a transaction, saves it, announces it.
    fn wizard_change(&self, id: &str, body: impl FnOnce(&mut Tx<'_>, &mut Stored) -> Result<()>) -> Result<Wizard> {
        let stored = self.write(|tx| {
            let mut w = wizard_load(tx, id)?;
            body(tx, &mut w)?;
            wizard_save(tx, &mut w)?;
            Ok(w)
        })?;
        let wizard = self.wizard_view(stored)?;
        self.events().publish(EngineEvent::WizardUpdated { wizard: Box::new(wizard.clone()) });
        Ok(wizard)
    }

    /// Starts a wizard for a goal in a session: reads the repository's facts, then answers what
    /// they answer; the wizard comes back with its first question.
    pub fn wizard_start(&self, req: &WizardStart) -> Result<Wizard> {
        let goal = req.goal.trim();
        if goal.is_empty() {
            return Err(WizardError::EmptyGoal.into());
        }
        let session = self.session_get(&req.session)?;
        if session.state == crate::session::SessionState::Archived {
            return Err(WizardError::State(format!(
                "session {} is archived; unarchive it before adding work to it",
                session.name
            ))
            .into());
        }
        let engine = req.engine.unwrap_or_default();
        if engine == WizardEngine::Agent {
            return self.wizard_start_assisted(&session, goal, req.cli);
        }
        if let Some(cli) = req.cli {
            return Err(WizardError::Planner(format!(
                "--cli {} names the planner of the agent engine; add --engine agent, or leave --cli out",
                cli.as_str()
            ))
            .into());
        }
        let g = self.wizard_graph(engine.as_str())?;
        let facts = facts::facts_read(Path::new(&session.repo))?;
        let now = time::now_ms();
        let mut w = Stored {
            id: ids::new_id("wiz"),
            session_id: session.id.clone(),
            goal: goal.to_owned(),
            engine,
            state: WizardState::Draft,
            facts,
            answers: Vec::new(),
            plan: None,
            planner: None,
            created_at: now,
            updated_at: now,
        };
        advance(&g, &mut w)?;
        self.wizard_insert(w)
    }

    /// Records a new wizard and announces it.
    fn wizard_insert(&self, w: Stored) -> Result<Wizard> {
        self.write(|tx| {
            tx.execute(
                &format!("INSERT INTO wizards ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)"),
                params![
                    w.id,
                    w.session_id,
                    w.goal,
                    w.engine.as_str(),
                    w.state.as_str(),
                    json(&w.facts),
                    json(&w.answers),
                    w.plan.as_ref().map(json),
                    w.created_at,
                    w.planner.as_ref().map(json)
                ],
            )?;
            Ok(())
        })?;
        let wizard = self.wizard_view(w)?;
        self.events().publish(EngineEvent::WizardUpdated { wizard: Box::new(wizard.clone()) });
        Ok(wizard)
    }

    pub fn wizard_get(&self, id: &str) -> Result<Wizard> {
        let stored = wizard_load(&self.inner.store.conn(), id)?;
        self.wizard_view(stored)
    }

    /// A session's wizards, newest first.
    pub fn wizard_list(&self, session: &str) -> Result<Vec<Wizard>> {
        let session = self.session_get(session)?;
        let stored = {
            let conn = self.inner.store.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM wizards WHERE session_id = ?1 ORDER BY created_at DESC, rowid DESC"
            ))?;
            stmt.query_map([&session.id], stored_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?
        };
        stored.into_iter().map(|w| self.wizard_view(w)).collect()
    }

    /// Answers the current question; the wizard comes back with the next one, or its plan.
    pub fn wizard_answer(&self, id: &str, reply: &WizardReply) -> Result<Wizard> {
        let engine = self.wizard_engine_of(id)?;
        if engine == WizardEngine::Agent {
            return self.wizard_answer_assisted(id, reply);
        }
        let g = self.wizard_graph(engine.as_str())?;
        self.wizard_change(id, |_, w| {
            draft_check(w)?;
            let q = match step(&g, &w.facts, &mut w.answers) {
                Step::Ask(q) => q,
                Step::Done => {
                    return Err(WizardError::State(
                        "every question is answered; edit the plan, go back, or launch it".into(),
                    )
                    .into());
                }
            };
            let values = answer_parse(q, &w.facts, &reply.answers)?;
            w.answers.push(WizardAnswer { question: q.id.clone(), text: q.text.clone(), values, auto: false });
            w.plan = None;
            advance(&g, w)
        })
    }

    /// Goes back to the question answered last (answers the facts gave are not questions).
    pub fn wizard_back(&self, id: &str) -> Result<Wizard> {
        if self.wizard_engine_of(id)? == WizardEngine::Agent {
            return self.wizard_back_assisted(id);
        }
        self.wizard_change(id, |_, w| {
            draft_check(w)?;
            let Some(last) = w.answers.iter().rposition(|a| !a.auto) else {
                return Err(
                    WizardError::State("this is the first question; there is nothing to go back to".into()).into()
                );
            };
            w.answers.truncate(last);
            w.plan = None;
            Ok(())
        })
    }

    /// Replaces the plan with the user's edit, once every question is answered.
    pub fn wizard_plan_set(&self, id: &str, plan: &WizardPlan) -> Result<Wizard> {
        self.wizard_change(id, |_, w| {
            draft_check(w)?;
            plan_fault(plan, &answer_words(w)).map_err(WizardError::Plan)?;
            if w.plan.is_none() {
                return Err(WizardError::State(
                    "the wizard has questions left; answer them first (`baton wizard show` shows the next)".into(),
                )
                .into());
            }
            w.plan = Some(plan.clone());
            Ok(())
        })
    }

    pub fn wizard_discard(&self, id: &str) -> Result<Wizard> {
        let w = self.wizard_change(id, |_, w| {
            draft_check(w)?;
            w.state = WizardState::Discarded;
            Ok(())
        })?;
        if let Some(p) = &w.planner {
            self.planner_release(&p.agent_id);
        }
        Ok(w)
    }

    /// Launches the plan, all at once or not at all: its tasks, the goal as an objective, each
    /// question and answer as a decided decision, its concurrency and merge policy as the
    /// session's settings; the wizard becomes launched. Then, with `run`, the coordinator starts.
    pub fn wizard_launch(&self, id: &str, req: &WizardLaunch) -> Result<WizardLaunched> {
        let mut session_id = String::new();
        let mut tasks = Vec::new();
        let wizard = self.wizard_change(id, |tx, w| {
            draft_check(w)?;
            let Some(plan) = w.plan.clone() else {
                return Err(
                    WizardError::State("the wizard has questions left; answer them before launching".into()).into()
                );
            };
            plan_fault(&plan, &answer_words(w)).map_err(WizardError::Plan)?;
            let session = crate::session::session_get(tx, &w.session_id)?;
            if session.state == crate::session::SessionState::Archived {
                return Err(WizardError::State(format!(
                    "session {} is archived; unarchive it before launching work in it",
                    session.name
                ))
                .into());
            }
            let template = plan_template(&plan, plan.pattern.as_deref().unwrap_or("wizard"), "");
            tasks = crate::pattern::template_insert(tx, &session.id, &template, &w.goal)?;
            crate::context::objective_insert(tx, &session.id, &w.goal, crate::context::ObjectiveState::Open)?;
            for a in w.answers_all() {
                let mut answer = if a.values.is_empty() { "none".to_owned() } else { a.values.join(", ") };
                if a.auto {
                    answer.push_str(" (from the repository, not asked)");
                }
                crate::context::decision_insert(tx, &session.id, &a.text, Some(&answer))?;
            }
            let mut settings = session.settings.clone();
            settings.max_agents = Some(plan.concurrency);
            settings.auto_merge = plan.auto_merge;
            crate::session::settings_write(tx, &session.id, &settings)?;
            let session = crate::session::session_get(tx, &session.id)?;
            tx.publish(EngineEvent::SessionUpdated { session });
            w.state = WizardState::Launched;
            session_id = w.session_id.clone();
            Ok(())
        })?;
        if let Some(p) = &wizard.planner {
            self.planner_release(&p.agent_id);
        }
        // The launch is committed: a coordinator that fails to start must not read as a failed
        // launch (a retry would then be refused as "launched" with nothing said of the tasks).
        let (running, run_error) = match req.run.then(|| self.coordinator_start(&session_id)) {
            Some(Ok(_)) => (true, None),
            Some(Err(e)) => (false, Some(e.to_string())),
            None => (false, None),
        };
        Ok(WizardLaunched { wizard, tasks, running, run_error })
    }

    /// Saves the wizard's plan as a user pattern (`$BATON_HOME/templates/NAME.toml`); its prompts
    /// hold the `{goal}` placeholder, so `baton pattern run NAME` reuses it for another goal.
    pub fn wizard_save_pattern(&self, id: &str, name: &str) -> Result<PatternInfo> {
        file_name_check(name)?;
        let w = wizard_load(&self.inner.store.conn(), id)?;
        let Some(plan) = &w.plan else {
            return Err(WizardError::State("the wizard has no plan yet; answer its questions first".into()).into());
        };
        if self.pattern_list()?.iter().any(|p| p.name == name) {
            return Err(WizardError::PatternExists(name.to_owned()).into());
        }
        let template = plan_template(plan, name, &format!("Made by the wizard for: {}", w.goal.replace('\n', " ")));
        let text = toml::to_string(&template)
            .map_err(|e| WizardError::Io { path: name.to_owned(), detail: format!("cannot write TOML: {e}") })?;
        let dir = self.home().root().join("templates");
        let path = dir.join(format!("{name}.toml"));
        let file = path.display().to_string();
        // Checked as it will be read, before it is written.
        if let Err(e) = crate::pattern::template_parse(&file, &text) {
            let words = answer_words(&w);
            if words.is_empty() {
                return Err(e.into());
            }
            return Err(WizardError::State(format!(
                "this plan cannot be saved as a pattern: answers put {} in its prompts, which a pattern reads as placeholders; edit the plan to drop the braces (`baton wizard edit`), then save",
                words.iter().map(|w| format!("{{{w}}}")).collect::<Vec<_>>().join(", ")
            ))
            .into());
        }
        let io = |e: std::io::Error| WizardError::Io { path: file.clone(), detail: e.to_string() };
        std::fs::create_dir_all(&dir).map_err(io)?;
        // A file of that name is another pattern's, whatever name it declares inside.
        if path.exists() {
            return Err(WizardError::PatternExists(name.to_owned()).into());
        }
        let tmp = dir.join(format!(".{name}.{}.toml.tmp", w.id));
        std::fs::write(&tmp, text).map_err(io)?;
        // Linked into place, which fails if another save got there first; never overwritten.
        let placed = std::fs::hard_link(&tmp, &path);
        let _ = std::fs::remove_file(&tmp);
        match placed {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(WizardError::PatternExists(name.to_owned()).into());
            }
            other => other.map_err(io)?,
        }
        self.pattern_list()?
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| WizardError::Io { path: file, detail: "written but not listed".into() }.into())
    }

    fn wizard_engine_of(&self, id: &str) -> Result<WizardEngine> {
        Ok(wizard_load(&self.inner.store.conn(), id)?.engine)
    }
}

#[cfg(test)]
mod tests {
    use super::facts::{DeclaredCommand, FolderFacts, Manifest};
    use super::questions::QUESTIONS_MAX;
    use super::*;

    fn shipped() -> QuestionGraph {
        graph_parse("templates/wizard/guided.toml", BUILT_IN[0].1).unwrap()
    }

    fn facts(folders: &[&str], tests: &[&str]) -> RepoFacts {
        RepoFacts {
            folders: folders
                .iter()
                .map(|f| FolderFacts { path: (*f).into(), language: Some("Rust".into()), files: 3 })
                .collect(),
            manifests: vec![Manifest {
                path: "package.json".into(),
                commands: tests.iter().map(|c| DeclaredCommand { kind: "test".into(), command: (*c).into() }).collect(),
            }],
            ..RepoFacts::default()
        }
    }

    /// Walks every path of the shipped graph with every option of every question, checking the
    /// count of questions asked and the plan each makes.
    #[test]
    fn every_path_of_the_shipped_graph_asks_at_most_seven_and_makes_a_valid_plan() {
        let g = shipped();
        let paths = g.paths();
        assert!(paths.len() >= 2, "{paths:?}");
        for p in &paths {
            assert!(p.len() <= QUESTIONS_MAX, "{p:?}");
        }
        for facts in
            [facts(&["api", "ui"], &["npm test", "cargo test"]), facts(&[], &[]), facts(&["src"], &["make test"])]
        {
            // Depth-first over every answer of every question the dialogue asks.
            let mut stack: Vec<Vec<WizardAnswer>> = vec![Vec::new()];
            let mut ends = 0;
            while let Some(mut answers) = stack.pop() {
                match step(&g, &facts, &mut answers) {
                    Step::Ask(q) => {
                        let asked = answers.iter().filter(|a| !a.auto).count();
                        assert!(asked < QUESTIONS_MAX, "an eighth question: {answers:?}");
                        let options = questions::options_of(q, &facts);
                        let mut replies: Vec<Vec<String>> = (1..=options.len()).map(|n| vec![n.to_string()]).collect();
                        if q.kind != QuestionKind::One {
                            replies.push(Vec::new());
                        }
                        if options.len() > 1 && q.kind != QuestionKind::One {
                            replies.push(vec!["1".into(), "2".into()]);
                        }
                        for r in replies {
                            let values = answer_parse(q, &facts, &r).unwrap();
                            let mut next = answers.clone();
                            next.push(WizardAnswer {
                                question: q.id.clone(),
                                text: q.text.clone(),
                                values,
                                auto: false,
                            });
                            stack.push(next);
                        }
                    }
                    Step::Done => {
                        ends += 1;
                        let plan = plan_build(&g, &answers);
                        plan_check(&plan, &[]).unwrap_or_else(|e| panic!("{e}: {answers:?}"));
                    }
                }
            }
            assert!(ends > 10, "{ends}");
        }
    }

    #[test]
    fn facts_skip_what_they_answer_and_shape_the_options() {
        let g = shipped();
        let one = facts(&["src"], &["make test"]);
        let mut answers = Vec::new();
        let Step::Ask(q) = step(&g, &one, &mut answers) else { panic!() };
        assert_eq!(q.id, "done");
        answers.push(WizardAnswer {
            question: "done".into(),
            text: String::new(),
            values: vec!["x".into()],
            auto: false,
        });
        let Step::Ask(q) = step(&g, &one, &mut answers) else { panic!() };
        assert_eq!(q.id, "risks", "one folder: scope is not asked");
        assert!(answers[1].auto && answers[1].values == ["src"]);

        let two = facts(&["api", "ui"], &["npm test", "cargo test"]);
        let mut answers =
            vec![WizardAnswer { question: "done".into(), text: String::new(), values: vec!["x".into()], auto: false }];
        let Step::Ask(q) = step(&g, &two, &mut answers) else { panic!() };
        let options = questions::options_of(q, &two);
        assert_eq!(options.iter().map(|o| o.label.as_str()).collect::<Vec<_>>(), ["api", "ui"]);
        let err = answer_parse(q, &two, &["web".into()]).unwrap_err().to_string();
        assert!(err.contains("\"web\" is not one of the options: 1. api, 2. ui"), "{err}");
        assert_eq!(answer_parse(q, &two, &["2".into(), "api".into()]).unwrap(), ["ui", "api"]);
    }

    #[test]
    fn a_typo_in_a_graph_names_file_line_and_field() {
        let text =
            "name = \"g\"\n\n[[questions]]\nid = \"a\"\ntext = \"t\"\nwhy = \"w\"\nkind = \"text\"\nnxet = \"b\"\n";
        let err = graph_parse("mine.toml", text).unwrap_err().to_string();
        assert!(err.starts_with("mine.toml, line 8"), "{err}");
        assert!(err.contains("nxet"), "{err}");
        let bad_kind = "name = \"g\"\n[[questions]]\nid = \"a\"\ntext = \"t\"\nwhy = \"w\"\nkind = \"many\"\n";
        let err = graph_parse("k.toml", bad_kind).unwrap_err().to_string();
        assert!(err.starts_with("k.toml, line 6") && err.contains("many"), "{err}");
    }

    #[test]
    fn graph_rules_say_what_to_fix() {
        let q = |id: &str, extra: &str| {
            format!("[[questions]]\nid = \"{id}\"\ntext = \"t\"\nwhy = \"w\"\nkind = \"text\"\n{extra}\n")
        };
        let long: String = (0..8)
            .map(|i| {
                q(&format!("q{i}"), &format!("next = \"{}\"", if i < 7 { format!("q{}", i + 1) } else { "end".into() }))
            })
            .collect();
        let cases = [
            (q("a", "next = \"zz\""), "no question has the id \"zz\""),
            (format!("{}{}", q("a", "next = \"b\""), q("b", "next = \"a\"")), "leads back to \"a\""),
            (long, "at most 7"),
            (q("a", "[[questions.options]]\nlabel = \"x\""), "only `one` and `several`"),
            (
                "[[questions]]\nid = \"a\"\ntext = \"t\"\nwhy = \"w\"\nkind = \"one\"\n[[questions.options]]\nlabel = \"x\"\n".into(),
                "exactly one option",
            ),
            (
                "[[questions]]\nid = \"a\"\ntext = \"t\"\nwhy = \"w\"\nkind = \"number\"\nsets = \"concurrency\"\n".into(),
                "needs a default",
            ),
            (
                "[[plan.tasks]]\nname = \"x\"\ntitle = \"t\"\nprompt = \"{nope}\"\n".to_owned() + &q("a", ""),
                "unknown placeholder {nope}",
            ),
        ];
        for (body, want) in cases {
            let err = graph_parse("g.toml", &format!("name = \"g\"\n{body}")).unwrap_err().to_string();
            assert!(err.starts_with("g.toml: "), "{err}");
            assert!(err.contains(want), "{want:?} in {err:?}");
        }
    }

    #[test]
    fn parts_become_one_builder_and_one_reviewer_each() {
        let g = shipped();
        let two = facts(&["api", "ui"], &["npm test", "cargo test"]);
        let mut answers = Vec::new();
        // How many agents is not asked: two parts, one agent each.
        for reply in [vec!["Ship it"], vec!["1", "2"], vec!["Security"], vec![], vec![], vec!["2"]] {
            let Step::Ask(q) = step(&g, &two, &mut answers) else { panic!("done early: {answers:?}") };
            let values = answer_parse(q, &two, &reply.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
            answers.push(WizardAnswer { question: q.id.clone(), text: q.text.clone(), values, auto: false });
        }
        assert_eq!(step(&g, &two, &mut answers), Step::Done);
        let plan = plan_build(&g, &answers);
        plan_check(&plan, &[]).unwrap();
        let names: Vec<&str> = plan.tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["spec", "implement-api", "implement-ui", "security-review", "review-api", "review-ui"]);
        let review_ui = &plan.tasks[5];
        assert_eq!(review_ui.after, ["implement-ui"]);
        assert_eq!(review_ui.reviews.as_deref(), Some("implement-ui"));
        assert_eq!(review_ui.max_rounds, Some(3));
        assert_eq!(plan.tasks[3].after, ["implement-api", "implement-ui"]);
        assert!(plan.tasks[3].prompt.contains("{implement-api}\n\n{implement-ui}"), "{}", plan.tasks[3].prompt);
        assert!(plan.tasks[0].prompt.contains("How the work is checked: npm test"), "{}", plan.tasks[0].prompt);
        assert!(plan.tasks[0].prompt.contains("{goal}"), "the goal is filled at launch: {}", plan.tasks[0].prompt);
        assert_eq!(plan.concurrency, 2);
        assert!(plan.auto_merge);
        assert_eq!(
            plan.agents.iter().find(|a| a.role == "reviewer").unwrap().cli,
            Some(crate::agent::protocol::CliKind::Claude)
        );
    }
}

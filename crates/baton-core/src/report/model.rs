//! What a report says, gathered from the store into plain values: the renderers only lay it
//! out. Times are milliseconds since the epoch; the session's creation is the report's zero.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;

use crate::agent::record::TokenUsage;
use crate::agent::{Agent, AgentState};
use crate::artifact::{ArtifactKind, artifacts_of_session};
use crate::context::{Decision, Insight, Objective};
use crate::coordinator::verdict::{Verdict, VerdictKind, verdict_summary};
use crate::engine::Engine;
use crate::error::Result;
use crate::health::{AlertKind, AlertSeverity};
use crate::session::{CoordinatorState, Session};
use crate::task::{Task, TaskState};
use crate::time;

/// Everything a report shows of one session.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub session: Session,
    /// The goal the session was planned from (its wizard's), when it had one.
    pub goal: Option<String>,
    pub objectives: Vec<Objective>,
    pub coordinator: CoordinatorState,
    pub cycles: u64,
    /// The session's creation: the zero of every relative time.
    pub start: i64,
    /// The last thing recorded: the right end of the timeline.
    pub end: i64,
    pub tasks: Vec<TaskRow>,
    pub agents: Vec<AgentRow>,
    pub reviews: Vec<ReviewRow>,
    pub decisions: Vec<Decision>,
    pub insights: Vec<Insight>,
    pub artifacts: Vec<ArtifactRow>,
    pub merges: Vec<MergeRow>,
    pub alerts: Vec<AlertRow>,
}

/// When something ran; `open` when it had not ended at the last record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
    pub open: bool,
}

/// Tokens and cost added up over some agents.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spend {
    pub usage: TokenUsage,
    pub cost_usd: f64,
    /// Part of the cost is Baton's estimate from tokens (the CLI reported none).
    pub estimate: bool,
    pub agents: u32,
}

impl Spend {
    fn add(&mut self, a: &Agent) {
        self.usage.input += a.usage.input;
        self.usage.output += a.usage.output;
        self.usage.cache_read += a.usage.cache_read;
        self.usage.cache_write += a.usage.cache_write;
        self.cost_usd += a.cost_usd;
        self.estimate |= a.cost_is_estimate;
        self.agents += 1;
    }
}

#[derive(Debug, Clone)]
pub struct TaskRow {
    pub name: String,
    pub title: String,
    pub state: TaskState,
    pub role: Option<String>,
    /// The name of the agent that worked on it last.
    pub agent: Option<String>,
    pub span: Option<Span>,
    pub attempts: u32,
    /// How it ended, or why it is blocked or cancelled.
    pub outcome: Option<String>,
    /// What the agents whose last task it was spent.
    pub spend: Spend,
}

#[derive(Debug, Clone)]
pub struct AgentRow {
    pub name: String,
    pub cli: String,
    pub model: Option<String>,
    pub role: Option<String>,
    pub state: AgentState,
    /// The name of its (last) task.
    pub task: Option<String>,
    pub span: Span,
    pub turns: u32,
    pub spend: Spend,
    pub archived: bool,
}

/// One round of a review: a reviewer's verdict on a task's work.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub at: i64,
    /// The reviewing task's name.
    pub reviewer: String,
    /// The reviewed task's name.
    pub reviewed: Option<String>,
    pub round: u32,
    /// `None` when the stored verdict cannot be read.
    pub verdict: Option<VerdictKind>,
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct ArtifactRow {
    pub at: i64,
    pub kind: ArtifactKind,
    pub title: String,
    pub task: Option<String>,
    pub agent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MergeRow {
    pub at: i64,
    pub agent: String,
    pub branch: String,
    pub into: String,
    /// The merged tip, abbreviated.
    pub tip: String,
}

#[derive(Debug, Clone)]
pub struct AlertRow {
    pub at: i64,
    pub severity: AlertSeverity,
    pub kind: AlertKind,
    pub agent: Option<String>,
    pub message: String,
    pub resolved: bool,
}

impl ReportData {
    /// Tokens and cost of the whole session (archived agents included).
    pub fn total(&self) -> Spend {
        let mut total = Spend::default();
        for a in &self.agents {
            total.usage.input += a.spend.usage.input;
            total.usage.output += a.spend.usage.output;
            total.usage.cache_read += a.spend.usage.cache_read;
            total.usage.cache_write += a.spend.usage.cache_write;
            total.cost_usd += a.spend.cost_usd;
            total.estimate |= a.spend.estimate;
            total.agents += 1;
        }
        total
    }

    /// Tokens and cost per CLI, by the CLI's name.
    pub fn by_cli(&self) -> BTreeMap<String, Spend> {
        let mut out: BTreeMap<String, Spend> = BTreeMap::new();
        for a in &self.agents {
            let s = out.entry(a.cli.clone()).or_default();
            s.usage.input += a.spend.usage.input;
            s.usage.output += a.spend.usage.output;
            s.usage.cache_read += a.spend.usage.cache_read;
            s.usage.cache_write += a.spend.usage.cache_write;
            s.cost_usd += a.spend.cost_usd;
            s.estimate |= a.spend.estimate;
            s.agents += 1;
        }
        out
    }

    /// How many tasks are in each state, in the states' order.
    pub fn task_counts(&self) -> Vec<(TaskState, usize)> {
        use TaskState::*;
        [Done, Review, Running, Ready, Pending, Blocked, Failed, Cancelled]
            .into_iter()
            .map(|s| (s, self.tasks.iter().filter(|t| t.state == s).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

fn ms(rfc3339: &str) -> i64 {
    time::rfc3339_to_ms(rfc3339).unwrap_or(0)
}

/// When agents and tasks ran, which the records do not carry: read beside them.
struct Times {
    /// Task id -> (started_at, ended_at).
    tasks: BTreeMap<String, (Option<i64>, Option<i64>)>,
    /// Agent id -> ended_at.
    agents: BTreeMap<String, Option<i64>>,
}

impl Engine {
    /// Gathers what the report of a session (id or name) shows.
    pub fn report_data(&self, session: &str) -> Result<ReportData> {
        let session = self.session_get(session)?;
        let tasks = self.task_list(&session.id)?;
        let mut agents = self.agent_list(Some(&session.id))?;
        agents.sort_by(|a, b| (ms(&a.created_at), &a.name).cmp(&(ms(&b.created_at), &b.name)));
        let times = self.report_times(&session.id)?;
        let goal = self.report_goal(&session.id)?;
        let artifacts = artifacts_of_session(&self.inner.store.conn(), &session.id)?;
        let mut alerts = self.alert_list(Some(&session.id), true, 10_000)?;
        alerts.reverse();
        let cycles = self.coordinator_status(&session.id)?.cycles;
        let objectives = self.objectives(&session.id)?;
        let decisions = self.decisions(&session.id)?;
        let insights = self.insights(&session.id)?;

        let task_name = |id: &str| tasks.iter().find(|t| t.id == id).map(|t| t.name.clone());
        let agent_name = |id: &str| agents.iter().find(|a| a.id == id).map(|a| a.name.clone());
        let start = ms(&session.created_at);

        let agent_rows: Vec<AgentRow> = agents
            .iter()
            .map(|a| {
                let created = ms(&a.created_at);
                let ended = times.agents.get(&a.id).copied().flatten();
                let last = a.last_event_at.as_deref().map(ms);
                let mut spend = Spend::default();
                spend.add(a);
                AgentRow {
                    name: a.name.clone(),
                    cli: a.cli.as_str().to_owned(),
                    model: a.model.clone(),
                    role: a.role.clone(),
                    state: a.state,
                    task: a.task_id.as_deref().and_then(task_name),
                    span: Span {
                        start: created,
                        end: ended.or(last).unwrap_or(created).max(created),
                        open: ended.is_none() && a.state.is_active(),
                    },
                    turns: a.turns,
                    spend,
                    archived: a.archived_at.is_some(),
                }
            })
            .collect();

        let merges: Vec<MergeRow> = agents
            .iter()
            .filter_map(|a| {
                let wt = a.worktree.as_ref()?;
                Some(MergeRow {
                    at: ms(wt.merged_at.as_deref()?),
                    agent: a.name.clone(),
                    branch: wt.branch.clone(),
                    into: wt.merged_into.clone().unwrap_or_default(),
                    tip: wt.merged_tip.as_deref().unwrap_or("").chars().take(10).collect(),
                })
            })
            .collect();

        let reviews = review_rows(&tasks, &artifacts, &task_name);
        let artifact_rows: Vec<ArtifactRow> = artifacts
            .iter()
            .map(|a| ArtifactRow {
                at: ms(&a.created_at),
                kind: a.kind,
                title: a.title.clone(),
                task: a.task_id.as_deref().and_then(task_name),
                agent: a.agent_id.as_deref().and_then(agent_name),
            })
            .collect();
        let alert_rows: Vec<AlertRow> = alerts
            .iter()
            .map(|a| AlertRow {
                at: ms(&a.created_at),
                severity: a.severity,
                kind: a.kind,
                agent: a.agent_name.clone(),
                message: a.message.clone(),
                resolved: a.resolved_at.is_some(),
            })
            .collect();

        // The last thing recorded closes the timeline: never "now", so a report read twice is
        // the same report.
        let mut end = start;
        for t in times.tasks.values() {
            end = end.max(t.0.unwrap_or(start)).max(t.1.unwrap_or(start));
        }
        for a in &agent_rows {
            end = end.max(a.span.end);
        }
        let stamps = artifact_rows.iter().map(|a| a.at).chain(alert_rows.iter().map(|a| a.at));
        end = stamps.chain(merges.iter().map(|m| m.at)).fold(end, i64::max);

        let task_rows = tasks
            .iter()
            .map(|t| {
                let span = match times.tasks.get(&t.id).copied().unwrap_or_default() {
                    (Some(s), Some(e)) => Some(Span { start: s, end: e.max(s), open: false }),
                    (Some(s), None) => Some(Span { start: s, end, open: !t.state.is_final() }),
                    _ => None,
                };
                let mut spend = Spend::default();
                for a in agents.iter().filter(|a| a.task_id.as_deref() == Some(&t.id)) {
                    spend.add(a);
                }
                TaskRow {
                    name: t.name.clone(),
                    title: t.title.clone(),
                    state: t.state,
                    role: t.role.clone(),
                    agent: t.agent_id.as_deref().and_then(agent_name),
                    span,
                    attempts: t.attempts,
                    outcome: t.outcome.clone().or_else(|| t.reason.clone()).or_else(|| t.summary.clone()),
                    spend,
                }
            })
            .collect();

        Ok(ReportData {
            goal,
            objectives,
            coordinator: session.coordinator,
            cycles,
            start,
            end,
            tasks: task_rows,
            agents: agent_rows,
            reviews,
            decisions,
            insights,
            artifacts: artifact_rows,
            merges,
            alerts: alert_rows,
            session,
        })
    }

    fn report_times(&self, session_id: &str) -> Result<Times> {
        let conn = self.inner.store.conn();
        let mut stmt = conn.prepare_cached("SELECT id, started_at, ended_at FROM tasks WHERE session_id = ?1")?;
        let tasks = stmt
            .query_map([session_id], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?))))?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = conn.prepare_cached("SELECT id, ended_at FROM agents WHERE session_id = ?1")?;
        let agents = stmt
            .query_map([session_id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Times { tasks, agents })
    }

    /// The goal of the session's newest launched wizard.
    fn report_goal(&self, session_id: &str) -> Result<Option<String>> {
        let goal = self
            .inner
            .store
            .conn()
            .query_row(
                "SELECT goal FROM wizards WHERE session_id = ?1 AND state = 'launched' \
                 ORDER BY created_at DESC, rowid DESC LIMIT 1",
                [session_id],
                |r| r.get::<_, String>(0),
            )
            .optional()?;
        Ok(goal)
    }
}

/// The review rounds: each verdict a reviewing task stored, numbered in the order they came.
fn review_rows(
    tasks: &[Task],
    artifacts: &[crate::artifact::Artifact],
    task_name: &dyn Fn(&str) -> Option<String>,
) -> Vec<ReviewRow> {
    let mut rounds: BTreeMap<&str, u32> = BTreeMap::new();
    let mut rows = Vec::new();
    for a in artifacts.iter().filter(|a| a.kind == ArtifactKind::Verdict) {
        let Some(task_id) = a.task_id.as_deref() else { continue };
        let round = rounds.entry(task_id).or_insert(0);
        *round += 1;
        let verdict = serde_json::from_str::<Verdict>(&a.body).ok();
        let reviewed = tasks.iter().find(|t| t.id == task_id).and_then(|t| t.reviews.as_deref()).and_then(task_name);
        rows.push(ReviewRow {
            at: ms(&a.created_at),
            reviewer: task_name(task_id).unwrap_or_default(),
            reviewed,
            round: *round,
            verdict: verdict.as_ref().map(|v| v.verdict),
            summary: match &verdict {
                Some(v) => verdict_summary(v),
                None => a.summary.clone(),
            },
        });
    }
    rows
}

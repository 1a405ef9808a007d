//! Alerts: a condition of an agent that needs the user (needs input, stalled, crashed, looping,
//! high memory). Which hold is decided by pure functions over the sampler's snapshot; an alert is
//! raised once while its condition holds, resolves by itself when the condition ends, and may be
//! acknowledged by the user meanwhile. Every alert names the agent, its task and the way on.
//! Some alerts are events rather than conditions (an escape from the worktree, a user's ref
//! moved, raised by `agent/sandbox`): they stay open until the user acknowledges them.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::score::{self, AgentView, Limits};
use crate::agent::AgentState;
use crate::error::Result;
use crate::{ids, time};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    NeedsInput,
    Stalled,
    Crashed,
    Looping,
    HighMemory,
    /// 80% of a budget (the agent's or its session's) is used.
    BudgetWarning,
    /// A budget is used up: the agent is paused after its turn.
    OverBudget,
    /// The agent wrote outside its worktree (seen where it runs unconfined).
    Escape,
    /// A ref of the user's moved during the agent's turn; Baton put it back.
    RefMoved,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsInput => "needs_input",
            Self::Stalled => "stalled",
            Self::Crashed => "crashed",
            Self::Looping => "looping",
            Self::HighMemory => "high_memory",
            Self::BudgetWarning => "budget_warning",
            Self::OverBudget => "over_budget",
            Self::Escape => "escape",
            Self::RefMoved => "ref_moved",
        }
    }

    /// Raised when something happened, not while a condition holds: the sampler never resolves
    /// it; the user acknowledges it.
    pub fn is_event(self) -> bool {
        matches!(self, Self::Escape | Self::RefMoved)
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::NeedsInput,
            Self::Stalled,
            Self::Crashed,
            Self::Looping,
            Self::HighMemory,
            Self::BudgetWarning,
            Self::OverBudget,
            Self::Escape,
            Self::RefMoved,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn severity(self) -> AlertSeverity {
        match self {
            Self::Crashed | Self::OverBudget | Self::Escape => AlertSeverity::Critical,
            _ => AlertSeverity::Warning,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
}

impl AlertSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "info" => Self::Info,
            "critical" => Self::Critical,
            _ => Self::Warning,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: String,
    pub session_id: String,
    pub agent_id: Option<String>,
    /// The agent's name, when it still exists.
    pub agent_name: Option<String>,
    pub task_id: Option<String>,
    pub kind: AlertKind,
    pub severity: AlertSeverity,
    /// What is wrong, naming the agent and its task.
    pub message: String,
    /// What the user can do about it (a command, usually).
    pub way_on: String,
    /// RFC 3339.
    pub created_at: String,
    /// When the condition ended by itself. RFC 3339.
    pub resolved_at: Option<String>,
    /// When the user acknowledged it. RFC 3339.
    pub acknowledged_at: Option<String>,
}

/// A condition that holds for an agent now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub agent_id: String,
    pub session_id: String,
    pub task_id: Option<String>,
    pub kind: AlertKind,
    pub message: String,
    pub way_on: String,
}

/// The alert conditions that hold for one agent at `now`.
pub fn conditions(view: &AgentView<'_>, limits: &Limits, now: i64) -> Vec<Condition> {
    let a = view.agent;
    let on_task = view.task_name.map(|t| format!(" on task {t}")).unwrap_or_default();
    let mut out = Vec::new();
    let mut hold = |kind: AlertKind, message: String, way_on: String| {
        out.push(Condition {
            agent_id: a.id.clone(),
            session_id: a.session_id.clone(),
            task_id: a.task_id.clone(),
            kind,
            message,
            way_on,
        })
    };
    if a.state == AgentState::NeedsInput {
        let tools: Vec<&str> = a.pending.iter().map(|p| p.tool.as_str()).collect();
        let tool = tools.first().copied().unwrap_or("TOOL");
        hold(
            AlertKind::NeedsInput,
            format!(
                "agent {}{on_task} needs input: it asks to use {}",
                a.name,
                if tools.is_empty() { "a tool".to_owned() } else { tools.join(", ") }
            ),
            format!("`baton approve {} {tool}` lets it go on; `baton deny {} {tool}` refuses", a.name, a.name),
        );
    }
    if let Some(silent) = score::silent_ms(view, now).filter(|s| *s >= limits.stall_ms) {
        hold(
            AlertKind::Stalled,
            format!("agent {}{on_task} is stalled: no output for {} s while running", a.name, silent / 1000),
            format!("`baton logs {}` shows its last events; `baton abort {}` stops it", a.name, a.name),
        );
    }
    if score::crashed(view) {
        let how = match (a.state, a.exit_code) {
            (AgentState::Exited, _) => "exited before its task was done".to_owned(),
            (_, Some(code)) => format!("failed (exit code {code})"),
            _ => "failed".to_owned(),
        };
        let way_on = match view.task_name {
            Some(task) => format!("`baton logs {}` shows why; `baton task retry {task}` starts the task again", a.name),
            None if a.cli == crate::agent::protocol::CliKind::Command => {
                format!("`baton logs {}` shows why; spawn a new agent to run it again", a.name)
            }
            None => format!("`baton logs {}` shows why; `baton send {} MESSAGE` resumes its session", a.name, a.name),
        };
        hold(AlertKind::Crashed, format!("agent {}{on_task} crashed: it {how}", a.name), way_on);
    }
    if let Some((what, n)) = score::looping(view) {
        hold(
            AlertKind::Looping,
            format!("agent {}{on_task} is looping: {n} times in a row: {}", a.name, score::brief(what)),
            format!("`baton send {} \"try another approach\"` redirects it; `baton abort {}` stops it", a.name, a.name),
        );
    }
    if let Some(rss) = view.rss_bytes.filter(|r| *r > limits.memory_max_bytes) {
        hold(
            AlertKind::HighMemory,
            format!(
                "agent {}{on_task} uses {} MB, over health.memoryMaxMb ({} MB)",
                a.name,
                rss >> 20,
                limits.memory_max_bytes >> 20
            ),
            format!("`baton abort {}` frees it; raise health.memoryMaxMb in settings.json if this is expected", a.name),
        );
    }
    out
}

/// An open (unresolved) alert, as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAlert {
    pub id: String,
    pub agent_id: String,
    pub kind: AlertKind,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct AlertPlan {
    pub raise: Vec<Condition>,
    /// Ids of open alerts whose condition ended.
    pub resolve: Vec<String>,
}

/// Raise what holds and is not open yet; resolve what is open and no longer holds. `watched`:
/// the agents the conditions were computed for (an open alert of another agent is left alone).
pub fn alerts_plan(holding: Vec<Condition>, open: &[OpenAlert], watched: &[&str]) -> AlertPlan {
    let mut plan = AlertPlan::default();
    let is_open = |c: &Condition| open.iter().any(|o| o.agent_id == c.agent_id && o.kind == c.kind);
    for o in open {
        let holds = holding.iter().any(|c| c.agent_id == o.agent_id && c.kind == o.kind);
        if !holds && !o.kind.is_event() && watched.contains(&o.agent_id.as_str()) {
            plan.resolve.push(o.id.clone());
        }
    }
    plan.raise = holding.into_iter().filter(|c| !is_open(c)).collect();
    plan
}

const COLUMNS: &str = "al.id, al.session_id, al.agent_id, ag.name, al.task_id, al.kind, al.severity, al.message, \
     al.way_on, al.created_at, al.resolved_at, al.acknowledged_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
    let kind: String = r.get(5)?;
    let severity: String = r.get(6)?;
    let when =
        |i: usize| -> rusqlite::Result<Option<String>> { Ok(r.get::<_, Option<i64>>(i)?.map(time::ms_to_rfc3339)) };
    Ok(Alert {
        id: r.get(0)?,
        session_id: r.get(1)?,
        agent_id: r.get(2)?,
        agent_name: r.get(3)?,
        task_id: r.get(4)?,
        kind: AlertKind::parse(&kind).unwrap_or(AlertKind::Stalled),
        severity: AlertSeverity::parse(&severity),
        message: r.get(7)?,
        way_on: r.get(8)?,
        created_at: time::ms_to_rfc3339(r.get(9)?),
        resolved_at: when(10)?,
        acknowledged_at: when(11)?,
    })
}

pub(crate) fn alert_get(conn: &Connection, id: &str) -> Result<Alert> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM alerts al LEFT JOIN agents ag ON ag.id = al.agent_id WHERE al.id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or_else(|| super::HealthError::AlertNotFound(id.to_owned()).into())
}

/// Alerts newest first: of one session or all; open and unacknowledged ones, or (`all`) every
/// one, at most `limit`.
pub(crate) fn alert_list(conn: &Connection, session_id: Option<&str>, all: bool, limit: usize) -> Result<Vec<Alert>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM alerts al LEFT JOIN agents ag ON ag.id = al.agent_id \
         WHERE (?1 IS NULL OR al.session_id = ?1) AND (?2 OR (al.resolved_at IS NULL AND al.acknowledged_at IS NULL)) \
         ORDER BY al.created_at DESC, al.id DESC LIMIT ?3"
    ))?;
    let rows =
        stmt.query_map(params![session_id, all, limit as i64], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub(crate) fn alerts_open(conn: &Connection) -> Result<Vec<OpenAlert>> {
    let mut stmt = conn
        // Budget alerts are raised at a turn's end and resolved by `baton resume`, not by the sampler.
        .prepare_cached(
            "SELECT id, agent_id, kind FROM alerts WHERE resolved_at IS NULL AND agent_id IS NOT NULL \
             AND kind NOT IN ('budget_warning', 'over_budget')",
        )?;
    let rows = stmt
        .query_map([], |r| {
            let kind: String = r.get(2)?;
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, kind))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, agent_id, kind)| Some(OpenAlert { id, agent_id, kind: AlertKind::parse(&kind)? }))
        .collect())
}

pub(crate) fn alert_insert(conn: &Connection, c: &Condition, now: i64) -> Result<String> {
    let id = ids::new_id("alr");
    conn.execute(
        "INSERT INTO alerts (id, session_id, agent_id, task_id, kind, severity, message, way_on, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            c.session_id,
            c.agent_id,
            c.task_id,
            c.kind.as_str(),
            c.kind.severity().as_str(),
            c.message,
            c.way_on,
            now
        ],
    )?;
    Ok(id)
}

pub(crate) fn alert_resolve(conn: &Connection, id: &str, now: i64) -> Result<()> {
    conn.execute("UPDATE alerts SET resolved_at = ?2 WHERE id = ?1 AND resolved_at IS NULL", params![id, now])?;
    Ok(())
}

/// How long a resolved alert is kept (the health view's history); open ones are never removed.
pub(crate) const RESOLVED_KEPT_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// How many resolved alerts are kept per agent: one whose condition comes and goes (a stall that
/// resolves each time it prints) raises a new alert each time, and the newest say enough.
pub(crate) const RESOLVED_KEPT_PER_AGENT: i64 = 100;

/// Removes alerts resolved more than [`RESOLVED_KEPT_MS`] ago, and each agent's resolved alerts
/// past its newest [`RESOLVED_KEPT_PER_AGENT`]. Open ones stay. Returns the rows removed.
pub(crate) fn alerts_compact(conn: &Connection, now: i64) -> Result<usize> {
    let cut = now - RESOLVED_KEPT_MS;
    // `created_at < cut` lets the `alerts_created` index find them: resolved before means raised before.
    let old = conn.execute("DELETE FROM alerts WHERE created_at < ?1 AND resolved_at < ?1", [cut])?;
    let many = conn.execute(
        "DELETE FROM alerts WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER \
         (PARTITION BY agent_id ORDER BY created_at DESC, id DESC) AS n FROM alerts WHERE resolved_at IS NOT NULL) \
         WHERE n > ?1)",
        [RESOLVED_KEPT_PER_AGENT],
    )?;
    Ok(old + many)
}

pub(crate) fn alert_acknowledge(conn: &Connection, id: &str, now: i64) -> Result<()> {
    conn.execute("UPDATE alerts SET acknowledged_at = COALESCE(acknowledged_at, ?2) WHERE id = ?1", params![id, now])?;
    Ok(())
}

/// Open alerts per agent (for the health view).
pub(crate) fn alerts_open_by_agent(conn: &Connection) -> Result<HashMap<String, Vec<AlertKind>>> {
    let mut out: HashMap<String, Vec<AlertKind>> = HashMap::new();
    for o in alerts_open(conn)? {
        out.entry(o.agent_id).or_default().push(o.kind);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::score::tests::agent;
    use crate::health::tally::Tally;

    const LIMITS: Limits = Limits { stall_ms: 60_000, memory_max_bytes: 100 << 20 };

    fn view<'a>(a: &'a crate::agent::Agent, t: Option<&'a Tally>) -> AgentView<'a> {
        AgentView { agent: a, tally: t, rss_bytes: None, rss_earlier: None, task_open: true, task_name: Some("build") }
    }

    #[test]
    fn each_condition_names_the_agent_the_task_and_the_way_on() {
        let a = agent(AgentState::Running, 0);
        let held = conditions(&view(&a, None), &LIMITS, 90_000);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].kind, AlertKind::Stalled);
        assert!(held[0].message.contains("agent dev on task build"), "{}", held[0].message);
        assert!(held[0].way_on.contains("baton abort dev"));

        let mut failed = agent(AgentState::Failed, 0);
        failed.exit_code = Some(3);
        let held = conditions(&AgentView { rss_bytes: Some(200 << 20), ..view(&failed, None) }, &LIMITS, 0);
        let kinds: Vec<AlertKind> = held.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [AlertKind::Crashed, AlertKind::HighMemory]);
        assert!(held[0].message.contains("exit code 3") && held[0].way_on.contains("baton task retry build"));
        assert!(held[1].message.contains("200 MB"));

        let asking = agent(AgentState::NeedsInput, 0);
        let held = conditions(&view(&asking, None), &LIMITS, 0);
        assert_eq!(held[0].kind, AlertKind::NeedsInput);
        assert!(held[0].way_on.contains("baton approve dev"));
    }

    #[test]
    fn an_alert_is_raised_once_and_resolves_when_its_condition_ends() {
        let a = agent(AgentState::Running, 0);
        let held = conditions(&view(&a, None), &LIMITS, 90_000);
        let plan = alerts_plan(held.clone(), &[], &["agt_1"]);
        assert_eq!((plan.raise.len(), plan.resolve.len()), (1, 0));
        let open = [OpenAlert { id: "alr_1".into(), agent_id: "agt_1".into(), kind: AlertKind::Stalled }];
        // Still holds: nothing new.
        assert_eq!(alerts_plan(held, &open, &["agt_1"]), AlertPlan::default());
        // Ended: resolved.
        assert_eq!(alerts_plan(vec![], &open, &["agt_1"]).resolve, ["alr_1"]);
        // An agent not watched this time is left as it is.
        assert_eq!(alerts_plan(vec![], &open, &[]), AlertPlan::default());
        // An event (an escape) is never resolved by the sampler: the user acknowledges it.
        let escaped = [OpenAlert { id: "alr_2".into(), agent_id: "agt_1".into(), kind: AlertKind::Escape }];
        assert_eq!(alerts_plan(vec![], &escaped, &["agt_1"]), AlertPlan::default());
    }

    #[test]
    fn resolved_alerts_go_after_thirty_days_and_open_ones_stay() {
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&tmp.path().join("baton.db")).unwrap();
        let conn = store.conn();
        conn.execute_batch(
            "INSERT INTO sessions (id, name, repo, created_at, updated_at) VALUES ('ses_1', 's', '/r', 0, 0); \
             INSERT INTO agents (id, session_id, name, cli, cwd, log_path, created_at, updated_at) \
             VALUES ('agt_1', 'ses_1', 'dev', 'claude', '/r', '/l', 0, 0);",
        )
        .unwrap();
        let day = 24 * 60 * 60 * 1000;
        let now = 100 * day;
        let a = agent(AgentState::Running, 0);
        let raise = |at: i64| {
            let mut held = conditions(&view(&a, None), &LIMITS, at + 90_000).remove(0);
            held.task_id = None; // no task row here
            alert_insert(&conn, &held, at).unwrap()
        };
        let old_resolved = raise(now - 40 * day);
        let old_open = raise(now - 40 * day);
        let recent_resolved = raise(now - 10 * day);
        alert_resolve(&conn, &old_resolved, now - 39 * day).unwrap();
        alert_resolve(&conn, &recent_resolved, now - 9 * day).unwrap();
        assert_eq!(alerts_compact(&conn, now).unwrap(), 1);
        let left: Vec<String> = conn
            .prepare("SELECT id FROM alerts ORDER BY created_at, id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.contains(&old_open) && left.contains(&recent_resolved), "{left:?}");
    }

    #[test]
    fn an_alert_that_comes_and_goes_keeps_its_newest_resolved_ones_only() {
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&tmp.path().join("baton.db")).unwrap();
        let conn = store.conn();
        conn.execute_batch(
            "INSERT INTO sessions (id, name, repo, created_at, updated_at) VALUES ('ses_1', 's', '/r', 0, 0); \
             INSERT INTO agents (id, session_id, name, cli, cwd, log_path, created_at, updated_at) \
             VALUES ('agt_1', 'ses_1', 'dev', 'claude', '/r', '/l', 0, 0), ('agt_2', 'ses_1', 'ops', 'claude', '/r', '/l', 0, 0);",
        )
        .unwrap();
        let a = agent(AgentState::Running, 0);
        let mut held = conditions(&view(&a, None), &LIMITS, 90_000).remove(0);
        held.task_id = None; // no task row here
        // A stall that resolves and comes back, 250 times within a day, and one still open.
        let mut newest = String::new();
        for i in 0..250 {
            newest = alert_insert(&conn, &held, 1_000 + i * 60_000).unwrap();
            alert_resolve(&conn, &newest, 1_000 + i * 60_000 + 30_000).unwrap();
        }
        let open = alert_insert(&conn, &held, 1_000 + 250 * 60_000).unwrap();
        let mut other = held.clone();
        other.agent_id = "agt_2".into();
        let other = alert_insert(&conn, &other, 5_000).unwrap();
        alert_resolve(&conn, &other, 6_000).unwrap();

        assert_eq!(alerts_compact(&conn, 1_000 + 251 * 60_000).unwrap(), 150);
        let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM alerts WHERE agent_id = 'agt_1' AND resolved_at IS NOT NULL"), 100);
        // The newest resolved, the open one and the other agent's stay.
        for id in [&newest, &open, &other] {
            assert_eq!(count(&format!("SELECT COUNT(*) FROM alerts WHERE id = '{id}'")), 1, "{id}");
        }
    }
}

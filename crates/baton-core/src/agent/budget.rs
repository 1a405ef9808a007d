//! Budgets of sessions and agents: cost (USD), tokens, wall time and CPU time. Checked once at
//! each turn's end ([`turn_end`], the recorder's only call): at 80% of any limit a warning alert,
//! at 100% the agent is paused there (its turn is over; it takes no message and no task) with
//! an over-budget alert, and its session's coordinator starts nothing new while the session is
//! over. `baton resume AGENT` continues it once the user raised the budget.
//!
//! Use counts: cost and tokens (input and output) of the agent, or of every agent of the
//! session; wall time since the agent (or the session) was made; CPU time of the agent's
//! processes (read from `/proc` at each turn's end, kept across processes in `agent_cpu`).

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::record::{self, Agent};
use crate::engine::{Engine, EngineState};
use crate::error::{ErrorCode, Result};
use crate::events::EngineEvent;
use crate::health::alerts::{self, AlertKind, Condition};
use crate::time;

/// Limits; `None` is no limit for that measure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Budget {
    #[serde(default)]
    pub usd: Option<f64>,
    #[serde(default)]
    #[ts(type = "number | null")]
    pub tokens: Option<u64>,
    /// Wall time, in minutes.
    #[serde(default)]
    pub minutes: Option<f64>,
    #[serde(default)]
    pub cpu_minutes: Option<f64>,
}

/// What was used so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetUse {
    pub usd: f64,
    #[ts(type = "number")]
    pub tokens: u64,
    pub minutes: f64,
    pub cpu_minutes: f64,
}

/// One budget with its use: a session's or an agent's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetStatus {
    /// The session's or the agent's id.
    pub owner_id: String,
    pub name: String,
    pub limits: Budget,
    pub used: BudgetUse,
    /// The first limit reached, said as the lane shows it ("cost $2.00 of $2.00").
    pub over: Option<String>,
    /// The first limit at 80% or more, when none is reached.
    pub near: Option<String>,
}

/// `GET /api/sessions/{id}/budgets`: the session's budget and each agent's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionBudgets {
    pub session: BudgetStatus,
    pub agents: Vec<BudgetStatus>,
}

/// `POST /api/sessions/{id}/budget`: limits of the session's budget, or of one of its agents';
/// a field left out stays, `0` removes that limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BudgetSet {
    /// An agent of the session (id or name) [default: the session itself].
    #[serde(default)]
    #[ts(optional)]
    pub agent: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub usd: Option<f64>,
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub tokens: Option<u64>,
    #[serde(default)]
    #[ts(optional)]
    pub minutes: Option<f64>,
    #[serde(default)]
    #[ts(optional)]
    pub cpu_minutes: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    #[error("{field} must be a number, 0 or more (0 removes the limit); got {value}")]
    Invalid { field: &'static str, value: String },
    #[error(
        "{who} is still over budget: {reason}; raise it first (`baton session set {session} --budget-...` \
         or `baton agent budget {agent} --budget-...`), then `baton resume {agent}`"
    )]
    StillOver { who: String, reason: String, session: String, agent: String },
    #[error("agent {0} is not paused by a budget; `baton resume --all` continues what \"pause all\" paused")]
    NotPaused(String),
}

impl BudgetError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { .. } => ErrorCode::InvalidInput,
            Self::StillOver { .. } => ErrorCode::OverBudget,
            Self::NotPaused(_) => ErrorCode::InvalidInput,
        }
    }
}

/// At this share of a limit, a warning.
const NEAR: f64 = 0.8;

fn money(v: f64) -> String {
    format!("${v:.2}")
}

fn minutes(v: f64) -> String {
    if v >= 10.0 { format!("{v:.0} min") } else { format!("{v:.1} min") }
}

/// One measure: its limit, its use, its name and how a value of it is said.
type Measure = (Option<f64>, f64, &'static str, fn(f64) -> String);

/// The first limit reached and, if none, the first at 80% or more, each said as "cost $1.60 of
/// $2.00". Pure: the rule of budgets.
pub fn budget_check(limits: &Budget, used: &BudgetUse) -> (Option<String>, Option<String>) {
    let measures: [Measure; 4] = [
        (limits.usd, used.usd, "cost", money),
        (limits.tokens.map(|t| t as f64), used.tokens as f64, "tokens", |v| format!("{v:.0}")),
        (limits.minutes, used.minutes, "wall time", minutes),
        (limits.cpu_minutes, used.cpu_minutes, "CPU time", minutes),
    ];
    let said = |what: &str, used: f64, limit: f64, show: fn(f64) -> String| {
        format!("{what} {} of {}", show(used), show(limit))
    };
    let mut near = None;
    for (limit, value, what, show) in measures {
        let Some(limit) = limit.filter(|l| *l > 0.0) else { continue };
        if value >= limit {
            return (Some(said(what, value, limit, show)), None);
        }
        if near.is_none() && value >= NEAR * limit {
            near = Some(said(what, value, limit, show));
        }
    }
    (None, near)
}

fn budget_get(conn: &Connection, owner_id: &str) -> Result<Budget> {
    Ok(conn
        .query_row("SELECT usd, tokens, minutes, cpu_minutes FROM budgets WHERE owner_id = ?1", [owner_id], |r| {
            Ok(Budget {
                usd: r.get(0)?,
                tokens: r.get::<_, Option<i64>>(1)?.map(|t| t.max(0) as u64),
                minutes: r.get(2)?,
                cpu_minutes: r.get(3)?,
            })
        })
        .optional()?
        .unwrap_or_default())
}

fn budget_store(conn: &Connection, owner_id: &str, b: &Budget) -> Result<()> {
    if *b == Budget::default() {
        conn.execute("DELETE FROM budgets WHERE owner_id = ?1", [owner_id])?;
    } else {
        conn.execute(
            "INSERT INTO budgets (owner_id, usd, tokens, minutes, cpu_minutes) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (owner_id) DO UPDATE SET usd = ?2, tokens = ?3, minutes = ?4, cpu_minutes = ?5",
            params![owner_id, b.usd, b.tokens.map(|t| t.min(i64::MAX as u64) as i64), b.minutes, b.cpu_minutes],
        )?;
    }
    Ok(())
}

/// CPU minutes the agent's processes used, as last read.
fn cpu_minutes(conn: &Connection, agent_id: &str) -> Result<f64> {
    let ms: Option<i64> = conn
        .query_row("SELECT base_ms + last_ms FROM agent_cpu WHERE agent_id = ?1", [agent_id], |r| r.get(0))
        .optional()?;
    Ok(ms.unwrap_or(0) as f64 / 60_000.0)
}

/// Reads the CPU time of the agent's process (its own and its waited-for children's, which
/// holds the commands it ran) and keeps it: a new process adds to what the ended ones used.
fn cpu_read(conn: &Connection, agent: &Agent) -> Result<()> {
    let Some(pid) = agent.pid else { return Ok(()) };
    let Ok(stat) = procfs::process::Process::new(pid as i32).and_then(|p| p.stat()) else { return Ok(()) };
    let ticks = procfs::ticks_per_second().max(1);
    let used = stat.utime + stat.stime + stat.cutime.max(0) as u64 + stat.cstime.max(0) as u64;
    let ms = (used.saturating_mul(1000) / ticks).min(i64::MAX as u64) as i64;
    conn.execute(
        "INSERT INTO agent_cpu (agent_id, pid, base_ms, last_ms) VALUES (?1, ?2, 0, ?3) \
         ON CONFLICT (agent_id) DO UPDATE SET \
           base_ms = CASE WHEN pid IS ?2 THEN base_ms ELSE base_ms + last_ms END, pid = ?2, last_ms = ?3",
        params![agent.id, pid, ms],
    )?;
    Ok(())
}

fn tokens_of(a: &Agent) -> u64 {
    a.usage.input.saturating_add(a.usage.output)
}

fn since_minutes(rfc3339: &str, now: i64) -> f64 {
    time::rfc3339_to_ms(rfc3339).map_or(0.0, |t| (now - t).max(0) as f64 / 60_000.0)
}

fn agent_status(conn: &Connection, agent: &Agent, now: i64) -> Result<BudgetStatus> {
    let limits = budget_get(conn, &agent.id)?;
    let used = BudgetUse {
        usd: agent.cost_usd,
        tokens: tokens_of(agent),
        minutes: since_minutes(&agent.created_at, now),
        cpu_minutes: cpu_minutes(conn, &agent.id)?,
    };
    let (over, near) = budget_check(&limits, &used);
    Ok(BudgetStatus { owner_id: agent.id.clone(), name: agent.name.clone(), limits, used, over, near })
}

fn session_status(conn: &Connection, session_id: &str, now: i64) -> Result<BudgetStatus> {
    let session = crate::session::session_get(conn, session_id)?;
    let agents = record::agent_list(conn, Some(&session.id), true)?;
    let mut used = BudgetUse { minutes: since_minutes(&session.created_at, now), ..BudgetUse::default() };
    for a in &agents {
        used.usd += a.cost_usd;
        used.tokens = used.tokens.saturating_add(tokens_of(a));
        used.cpu_minutes += cpu_minutes(conn, &a.id)?;
    }
    let limits = budget_get(conn, &session.id)?;
    let (over, near) = budget_check(&limits, &used);
    Ok(BudgetStatus { owner_id: session.id, name: session.name, limits, used, over, near })
}

/// Why the agent must pause now (its own budget, or its session's), if it must.
fn over_reason(conn: &Connection, agent: &Agent, now: i64) -> Result<Option<String>> {
    if let Some(over) = agent_status(conn, agent, now)?.over {
        return Ok(Some(format!("over budget ({over})")));
    }
    Ok(session_status(conn, &agent.session_id, now)?.over.map(|over| format!("session over budget ({over})")))
}

/// Whether the session's budget is used up: its coordinator starts nothing new.
pub(crate) fn session_over(conn: &Connection, session_id: &str) -> Result<Option<String>> {
    session_status(conn, session_id, time::now_ms()).map(|s| s.over)
}

fn condition(agent: &Agent, kind: AlertKind, message: String, way_on: String) -> Condition {
    Condition {
        agent_id: agent.id.clone(),
        session_id: agent.session_id.clone(),
        task_id: agent.task_id.clone(),
        kind,
        message,
        way_on,
    }
}

/// Raises the alert unless one of its kind is open for the agent.
fn alert_once(tx: &mut crate::store::Tx<'_>, c: &Condition, now: i64) -> Result<()> {
    let open: Option<String> = tx
        .query_row(
            "SELECT id FROM alerts WHERE agent_id = ?1 AND kind = ?2 AND resolved_at IS NULL",
            params![c.agent_id, c.kind.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    if open.is_none() {
        let id = alerts::alert_insert(tx, c, now)?;
        tx.publish(EngineEvent::AlertUpdated { alert: alerts::alert_get(tx, &id)? });
    }
    Ok(())
}

/// The recorder saw a turn of the agent end: its budget (and its session's) is checked there and
/// then, before the turn's end lets kept messages go, so an agent over budget takes none. Cheap:
/// a few reads and one `/proc` stat.
pub(crate) fn turn_end(inner: &std::sync::Arc<EngineState>, agent_id: &str) {
    let engine = Engine { inner: inner.clone() };
    if let Err(e) = engine.budget_turn_end(agent_id) {
        tracing::warn!(agent = %agent_id, "cannot check the budget: {e}");
    }
}

impl Engine {
    fn budget_turn_end(&self, agent_id: &str) -> Result<()> {
        let now = time::now_ms();
        let agent = record::agent_get(&self.inner.store.conn(), agent_id)?;
        cpu_read(&self.inner.store.conn(), &agent)?;
        let paused = self.write(|tx| {
            let agent = record::agent_get(tx, agent_id)?;
            if let Some(reason) = over_reason(tx, &agent, now)? {
                if agent.paused_reason.is_none() && !agent.state.is_ended() {
                    tx.execute(
                        "UPDATE agents SET paused = 1, paused_reason = ?2, updated_at = ?3 WHERE id = ?1",
                        params![agent.id, reason, now],
                    )?;
                    let message = format!("agent {} is paused: {reason}", agent.name);
                    let way_on = format!(
                        "raise the budget (`baton session set` or `baton agent budget`), then `baton resume {}`",
                        agent.name
                    );
                    alert_once(tx, &condition(&agent, AlertKind::OverBudget, message, way_on), now)?;
                    tx.publish(EngineEvent::AgentUpdated { agent: Box::new(record::agent_get(tx, &agent.id)?) });
                    return Ok(Some(reason));
                }
                return Ok(None);
            }
            let near = agent_status(tx, &agent, now)?
                .near
                .map(|n| format!("agent {} has used 80% of its budget: {n}", agent.name))
                .or(session_status(tx, &agent.session_id, now)?
                    .near
                    .map(|n| format!("the session of agent {} has used 80% of its budget: {n}", agent.name)));
            if let Some(message) = near {
                let way_on =
                    "at 100% the agent pauses after its turn; `baton budget --session SESSION` shows the use, \
                              `baton session set SESSION --budget-...` raises it"
                        .to_owned();
                alert_once(tx, &condition(&agent, AlertKind::BudgetWarning, message, way_on), now)?;
            }
            Ok(None)
        })?;
        if let Some(reason) = paused {
            // The lane says why its agent stopped taking work.
            self.inner.runtime.as_ref().map(|h| {
                let engine = self.clone();
                let id = agent_id.to_owned();
                h.spawn_blocking(move || {
                    engine.note_blocking(&id, &super::log::Note::Notice { message: format!("paused: {reason}") })
                })
            });
        }
        Ok(())
    }

    /// A session's budget and each of its agents', with their use so far.
    pub fn budgets_read(&self, session: &str) -> Result<SessionBudgets> {
        let session = self.session_get(session)?;
        let now = time::now_ms();
        let conn = self.inner.store.conn();
        let agents = record::agent_list(&conn, Some(&session.id), false)?;
        Ok(SessionBudgets {
            session: session_status(&conn, &session.id, now)?,
            agents: agents.iter().map(|a| agent_status(&conn, a, now)).collect::<Result<_>>()?,
        })
    }

    /// Sets limits of a session's budget (or, with `agent`, one agent's of it): fields left out
    /// stay, `0` removes that limit. Raising a budget does not resume a paused agent by itself:
    /// `baton resume AGENT` does, once nothing is over.
    pub fn budget_set(&self, session: &str, set: &BudgetSet) -> Result<SessionBudgets> {
        let session = self.session_get(session)?;
        let owner = match set.agent.as_deref() {
            Some(a) => {
                let a = self.agent_get(a)?;
                if a.session_id != session.id {
                    return Err(super::record::AgentError::Invalid(format!(
                        "agent {} is not in session {}",
                        a.name, session.name
                    ))
                    .into());
                }
                a.id
            }
            None => session.id.clone(),
        };
        let check = |field: &'static str, v: Option<f64>| -> Result<Option<Option<f64>>> {
            match v {
                None => Ok(None),
                Some(v) if !v.is_finite() || v < 0.0 => {
                    Err(BudgetError::Invalid { field, value: v.to_string() }.into())
                }
                Some(v) => Ok(Some((v > 0.0).then_some(v))),
            }
        };
        let usd = check("budget usd", set.usd)?;
        let minutes = check("budget minutes", set.minutes)?;
        let cpu = check("budget cpu minutes", set.cpu_minutes)?;
        self.write(|tx| {
            let mut b = budget_get(tx, &owner)?;
            if let Some(v) = usd {
                b.usd = v;
            }
            if let Some(t) = set.tokens {
                b.tokens = (t > 0).then_some(t);
            }
            if let Some(v) = minutes {
                b.minutes = v;
            }
            if let Some(v) = cpu {
                b.cpu_minutes = v;
            }
            budget_store(tx, &owner, &b)
        })?;
        self.budgets_read(&session.id)
    }

    /// Continues an agent a budget paused, once neither its budget nor its session's is used
    /// up: it takes messages and tasks again (those kept meanwhile go to it now).
    pub fn agent_budget_resume(&self, id_or_name: &str) -> Result<Agent> {
        let agent = self.agent_get(id_or_name)?;
        if agent.paused_reason.is_none() {
            return Err(BudgetError::NotPaused(agent.name).into());
        }
        let now = time::now_ms();
        let session = self.session_get(&agent.session_id)?;
        self.write(|tx| {
            if let Some(reason) = over_reason(tx, &agent, now)? {
                return Err(BudgetError::StillOver {
                    who: format!("agent {}", agent.name),
                    reason,
                    session: session.name.clone(),
                    agent: agent.name.clone(),
                }
                .into());
            }
            tx.execute(
                "UPDATE agents SET paused = 0, paused_reason = NULL, updated_at = ?2 WHERE id = ?1",
                params![agent.id, now],
            )?;
            let open: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT id FROM alerts WHERE agent_id = ?1 AND kind IN ('over_budget', 'budget_warning') \
                     AND resolved_at IS NULL",
                )?;
                stmt.query_map([&agent.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
            };
            for id in open {
                alerts::alert_resolve(tx, &id, now)?;
                tx.publish(EngineEvent::AlertUpdated { alert: alerts::alert_get(tx, &id)? });
            }
            tx.publish(EngineEvent::AgentUpdated { agent: Box::new(record::agent_get(tx, &agent.id)?) });
            Ok(())
        })?;
        self.note_blocking(&agent.id, &super::log::Note::Notice { message: "resumed: within budget again".into() });
        self.messages_flush(&agent.id);
        self.agent_get(&agent.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn used(usd: f64, tokens: u64, minutes: f64, cpu: f64) -> BudgetUse {
        BudgetUse { usd, tokens, minutes, cpu_minutes: cpu }
    }

    #[test]
    fn a_limit_reached_is_over_and_eighty_percent_is_near() {
        let b = Budget { usd: Some(2.0), tokens: Some(10_000), ..Budget::default() };
        assert_eq!(budget_check(&b, &used(1.0, 100, 500.0, 9.0)), (None, None), "no limit on time");
        assert_eq!(budget_check(&b, &used(1.6, 100, 0.0, 0.0)), (None, Some("cost $1.60 of $2.00".into())));
        assert_eq!(budget_check(&b, &used(2.0, 100, 0.0, 0.0)), (Some("cost $2.00 of $2.00".into()), None));
        assert_eq!(budget_check(&b, &used(0.1, 12_000, 0.0, 0.0)), (Some("tokens 12000 of 10000".into()), None));
        let t = Budget { minutes: Some(30.0), cpu_minutes: Some(2.0), ..Budget::default() };
        assert_eq!(budget_check(&t, &used(0.0, 0, 31.0, 0.0)).0.as_deref(), Some("wall time 31 min of 30 min"));
        assert_eq!(budget_check(&t, &used(0.0, 0, 1.0, 1.7)).1.as_deref(), Some("CPU time 1.7 min of 2.0 min"));
        assert_eq!(budget_check(&Budget::default(), &used(1e9, u64::MAX, 1e9, 1e9)), (None, None));
    }
}

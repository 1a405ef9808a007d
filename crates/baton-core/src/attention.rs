//! What the tray shows: the worst state across every active session (all well, something needs
//! you, something failed), one line for it ("3 working, 1 needs you, $2.14 today"), and one
//! entry per thing that needs the user, each with the app's address of the place that answers
//! it. Built on the inbox (`inbox.rs`) and the open alerts, so the tray, the inbox and the
//! window title never disagree about what needs the user.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::AgentState;
use crate::engine::Engine;
use crate::error::Result;
use crate::health::{Alert, AlertKind};
use crate::inbox::{InboxItem, InboxKind};
use crate::session::SessionState;

/// The worst state, in the order the tray ranks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttentionLevel {
    Well,
    NeedsYou,
    Failed,
}

/// One thing that needs the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttentionEntry {
    pub level: AttentionLevel,
    /// One line: the session and what waits ("s: asker asks to use Bash").
    pub label: String,
    /// The app's address of what answers it: `#/session/ID/agent/AGENT`, a session's pane, or
    /// `#/inbox`.
    pub route: String,
}

/// `GET /api/attention`: the tray's whole content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttentionSummary {
    pub level: AttentionLevel,
    /// "3 working, 1 needs you, $2.14 today" ("Paused: ..." while everything is paused).
    pub line: String,
    /// Agents starting or working on a turn.
    pub working: u32,
    /// Entries at level `needs_you`.
    pub needs_you: u32,
    /// Entries at level `failed`.
    pub failed: u32,
    /// What every agent cost since the local midnight, in US dollars.
    pub cost_today_usd: f64,
    /// "Pause all" is in effect.
    pub paused_all: bool,
    /// The first [`ENTRIES_MAX`] entries, failures first, then oldest first.
    pub entries: Vec<AttentionEntry>,
    /// Entries left out of `entries` (the inbox lists them all).
    pub more: u32,
}

/// A menu longer than this is no longer read; the rest is one "more in the inbox" entry.
pub const ENTRIES_MAX: usize = 10;

/// The app's address of an agent.
pub fn agent_route(session_id: &str, agent_id: &str) -> String {
    format!("#/session/{session_id}/agent/{agent_id}")
}

/// The app's address of a session's pane (`tasks`, `context`...).
pub fn session_pane_route(session_id: &str, pane: &str) -> String {
    format!("#/session/{session_id}/{pane}")
}

pub const INBOX_ROUTE: &str = "#/inbox";

impl Engine {
    /// What needs the user now, how many agents work, and what they cost today.
    pub fn attention(&self) -> Result<AttentionSummary> {
        let sessions = self.session_list()?;
        let active: Vec<&str> =
            sessions.iter().filter(|s| s.state != SessionState::Archived).map(|s| s.id.as_str()).collect();
        let working = self
            .agent_list(None)?
            .iter()
            .filter(|a| active.contains(&a.session_id.as_str()))
            .filter(|a| matches!(a.state, AgentState::Starting | AgentState::Running))
            .count();
        let alerts: Vec<Alert> = self
            .alert_list(None, false, 500)?
            .into_iter()
            .filter(|a| active.contains(&a.session_id.as_str()))
            .collect();
        let names = |id: &str| sessions.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
        let cost_today_usd = cost_since(&self.inner.store.conn(), local_midnight_ms())?;
        Ok(attention_summary(&Facts {
            inbox: &self.inbox()?,
            alerts: &alerts,
            session_name: &names,
            working: u32::try_from(working).unwrap_or(u32::MAX),
            cost_today_usd,
            paused_all: self.inner.health.paused_all(),
        }))
    }
}

/// What the summary is made of, read from the store.
pub struct Facts<'a> {
    pub inbox: &'a [InboxItem],
    /// Open, unacknowledged alerts of active sessions.
    pub alerts: &'a [Alert],
    pub session_name: &'a dyn Fn(&str) -> String,
    pub working: u32,
    pub cost_today_usd: f64,
    pub paused_all: bool,
}

/// The summary of `facts`: a pure function, so its rules are tested without a store.
pub fn attention_summary(facts: &Facts<'_>) -> AttentionSummary {
    let mut entries: Vec<AttentionEntry> = facts.inbox.iter().map(inbox_entry).collect();
    for alert in facts.alerts {
        let covered = |kinds: &[InboxKind]| {
            facts.inbox.iter().any(|i| kinds.contains(&i.kind) && i.agent_id.is_some() && i.agent_id == alert.agent_id)
        };
        // The same fact seen twice: a tool waiting is the inbox's permission; a crash on a task
        // is the inbox's failed task.
        let shown = match alert.kind {
            AlertKind::NeedsInput => covered(&[InboxKind::Permission]),
            AlertKind::Crashed => covered(&[InboxKind::TaskFailed]),
            _ => false,
        };
        if !shown {
            entries.push(alert_entry(alert, (facts.session_name)(&alert.session_id)));
        }
    }
    // Failures first; the sort is stable, so each level keeps its oldest-first order.
    entries.sort_by_key(|e| std::cmp::Reverse(e.level));
    let count = |level| u32::try_from(entries.iter().filter(|e| e.level == level).count()).unwrap_or(u32::MAX);
    let (needs_you, failed) = (count(AttentionLevel::NeedsYou), count(AttentionLevel::Failed));
    let level = entries.iter().map(|e| e.level).max().unwrap_or(AttentionLevel::Well);
    let more = u32::try_from(entries.len().saturating_sub(ENTRIES_MAX)).unwrap_or(u32::MAX);
    entries.truncate(ENTRIES_MAX);
    let mut parts = vec![format!("{} working", facts.working)];
    if needs_you > 0 {
        parts.push(format!("{needs_you} need{} you", if needs_you == 1 { "s" } else { "" }));
    }
    if failed > 0 {
        parts.push(format!("{failed} failed"));
    }
    parts.push(match facts.cost_today_usd {
        // A few turns of a cheap model: not nothing, as "$0.00" would say.
        c if c > 0.0 && c < 0.005 => "<$0.01 today".to_owned(),
        c => format!("${c:.2} today"),
    });
    let line = parts.join(", ");
    AttentionSummary {
        level,
        line: if facts.paused_all { format!("Paused: {line}") } else { line },
        working: facts.working,
        needs_you,
        failed,
        cost_today_usd: facts.cost_today_usd,
        paused_all: facts.paused_all,
        entries,
        more,
    }
}

fn inbox_entry(item: &InboxItem) -> AttentionEntry {
    let level = if item.kind == InboxKind::TaskFailed { AttentionLevel::Failed } else { AttentionLevel::NeedsYou };
    let route = match (&item.agent_id, item.kind) {
        (_, InboxKind::Decision) => session_pane_route(&item.session_id, "context"),
        (Some(agent), _) => agent_route(&item.session_id, agent),
        (None, _) => session_pane_route(&item.session_id, "tasks"),
    };
    AttentionEntry { level, label: format!("{}: {}", item.session_name, item.title), route }
}

fn alert_entry(alert: &Alert, session_name: String) -> AttentionEntry {
    let level = if alert.kind == AlertKind::Crashed { AttentionLevel::Failed } else { AttentionLevel::NeedsYou };
    let route = match &alert.agent_id {
        Some(agent) => agent_route(&alert.session_id, agent),
        None => INBOX_ROUTE.to_owned(),
    };
    AttentionEntry { level, label: format!("{session_name}: {}", first_line(&alert.message)), route }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

/// A quarter of an hour, in milliseconds: the cost's unit of time.
const QUARTER_MS: i64 = 900_000;

/// Adds `cost` to the quarter of an hour that holds `at_ms`.
pub(crate) fn cost_quarter_add(conn: &Connection, at_ms: i64, cost: f64) -> Result<()> {
    conn.execute(
        "INSERT INTO cost_quarters (quarter, cost_usd) VALUES (?1, ?2) \
         ON CONFLICT (quarter) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd",
        params![at_ms.div_euclid(QUARTER_MS), cost],
    )?;
    Ok(())
}

/// What agents cost from `since_ms` (a quarter's start, as every midnight is) until now.
pub(crate) fn cost_since(conn: &Connection, since_ms: i64) -> Result<f64> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(cost_usd), 0) FROM cost_quarters WHERE quarter >= ?1",
        params![since_ms.div_euclid(QUARTER_MS)],
        |r| r.get(0),
    )?)
}

/// The start of today in the system's time zone (UTC when it cannot be read).
fn local_midnight_ms() -> i64 {
    let now = jiff::Zoned::now();
    now.start_of_day().map(|z| z.timestamp().as_millisecond()).unwrap_or_else(|_| {
        let ms = now.timestamp().as_millisecond();
        ms - ms.rem_euclid(86_400_000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::AlertSeverity;

    fn item(kind: InboxKind, agent: Option<&str>, title: &str) -> InboxItem {
        InboxItem {
            kind,
            session_id: "S1".into(),
            session_name: "s".into(),
            agent_id: agent.map(Into::into),
            agent_name: agent.map(Into::into),
            task_id: None,
            decision_id: None,
            permission_id: None,
            tool: None,
            title: title.into(),
            detail: String::new(),
            since: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn alert(kind: AlertKind, agent: &str) -> Alert {
        Alert {
            id: format!("A-{agent}-{}", kind.as_str()),
            session_id: "S1".into(),
            agent_id: Some(agent.into()),
            agent_name: Some(agent.into()),
            task_id: None,
            kind,
            severity: AlertSeverity::Warning,
            message: format!("{agent} is {}\nmore", kind.as_str()),
            way_on: String::new(),
            created_at: String::new(),
            resolved_at: None,
            acknowledged_at: None,
        }
    }

    fn summary(inbox: &[InboxItem], alerts: &[Alert], working: u32, cost: f64, paused: bool) -> AttentionSummary {
        let name = |_: &str| "s".to_owned();
        attention_summary(&Facts {
            inbox,
            alerts,
            session_name: &name,
            working,
            cost_today_usd: cost,
            paused_all: paused,
        })
    }

    #[test]
    fn nothing_waiting_is_all_well() {
        let s = summary(&[], &[], 3, 2.144, false);
        assert_eq!(s.level, AttentionLevel::Well);
        assert_eq!(s.line, "3 working, $2.14 today");
        assert!(s.entries.is_empty());
        assert_eq!(summary(&[], &[], 0, 0.0, true).line, "Paused: 0 working, $0.00 today");
        assert_eq!(summary(&[], &[], 1, 0.001, false).line, "1 working, <$0.01 today");
    }

    #[test]
    fn the_worst_state_wins_and_failures_come_first() {
        let inbox = [
            item(InboxKind::Permission, Some("ask"), "ask asks to use Bash"),
            item(InboxKind::TaskFailed, Some("w"), "Task t failed"),
            item(InboxKind::Decision, None, "Which database?"),
        ];
        let s = summary(&inbox, &[], 3, 2.14, false);
        assert_eq!(s.level, AttentionLevel::Failed);
        assert_eq!(s.line, "3 working, 2 need you, 1 failed, $2.14 today");
        let routes: Vec<&str> = s.entries.iter().map(|e| e.route.as_str()).collect();
        assert_eq!(routes, ["#/session/S1/agent/w", "#/session/S1/agent/ask", "#/session/S1/context"]);
        assert_eq!(s.entries[1].label, "s: ask asks to use Bash");
    }

    #[test]
    fn an_alert_the_inbox_already_shows_is_not_shown_twice() {
        let inbox = [item(InboxKind::Permission, Some("ask"), "ask asks to use Bash")];
        let alerts = [alert(AlertKind::NeedsInput, "ask"), alert(AlertKind::Stalled, "quiet")];
        let s = summary(&inbox, &alerts, 1, 0.0, false);
        assert_eq!(s.needs_you, 2);
        assert_eq!(s.entries[1].label, "s: quiet is stalled");
        assert_eq!(s.entries[1].route, "#/session/S1/agent/quiet");
        let crashed = summary(&[], &[alert(AlertKind::Crashed, "w")], 0, 0.0, false);
        assert_eq!((crashed.level, crashed.failed), (AttentionLevel::Failed, 1));
    }

    #[test]
    fn a_long_list_is_cut_and_says_how_many_more() {
        let inbox: Vec<InboxItem> =
            (0..13).map(|i| item(InboxKind::TaskBlocked, None, &format!("Task {i} is blocked"))).collect();
        let s = summary(&inbox, &[], 0, 0.0, false);
        assert_eq!((s.entries.len(), s.more, s.needs_you), (ENTRIES_MAX, 3, 13));
        assert_eq!(s.entries[0].route, "#/session/S1/tasks");
    }
}

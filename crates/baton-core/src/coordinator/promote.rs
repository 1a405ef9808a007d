//! A coordinator conversation: any agent of a session can be promoted to coordinate it. It is
//! sent the coordinator's instructions; from then on Baton's loop, which keeps running beside
//! it, sends it what changed after each cycle (`news.rs`), each change once, as one message
//! delivered at its turn's end. At most one per session (`sessions.coordinator_agent`, so a
//! restart keeps it); promoting another replaces it, demoting stops the news.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::news::{self, NewsItem, OpenAlert};
use super::{Criteria, Cycle};
use crate::agent::log::Note;
use crate::agent::message::Sender;
use crate::agent::protocol::CliKind;
use crate::agent::record::{self, Agent, AgentError};
use crate::engine::Engine;
use crate::error::Result;
use crate::events::EngineEvent;
use crate::session::{self, CoordinatorState, Session, SessionState};
use crate::time;

/// What a coordinator conversation is told when it is promoted.
pub const INSTRUCTIONS: &str = include_str!("instructions.md");

/// What a promotion did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Promotion {
    pub session: Session,
    /// The new coordinator conversation.
    pub agent: Agent,
    /// The agent it replaces as the session's coordinator, by name.
    pub replaced: Option<String>,
    /// Whether it already was the coordinator (nothing changed, nothing was sent).
    pub unchanged: bool,
}

impl Engine {
    /// Makes the agent's conversation its session's coordinator: it is sent the coordinator's
    /// instructions, and Baton's loop (started if it was not running) tells it what changes.
    pub fn coordinator_promote(&self, id_or_name: &str) -> Result<Promotion> {
        let agent = self.agent_get(id_or_name)?;
        let session = self.session_get(&agent.session_id)?;
        if agent.archived_at.is_some() {
            return Err(AgentError::Invalid(format!(
                "agent {} was removed (archived) and cannot coordinate; promote an agent in use",
                agent.name
            ))
            .into());
        }
        if session.state == SessionState::Archived {
            return Err(AgentError::Invalid(format!("session {} is archived; unarchive it first", session.name)).into());
        }
        if agent.cli == CliKind::Command {
            return Err(AgentError::Invalid(format!(
                "agent {} runs a program, not a conversation; promote a claude, codex or gemini agent",
                agent.name
            ))
            .into());
        }
        if session.coordinator_agent.as_deref() == Some(agent.id.as_str()) {
            return Ok(Promotion { session, agent, replaced: None, unchanged: true });
        }
        let previous = session.coordinator_agent.as_deref().and_then(|id| self.agent_get(id).ok());
        // What is already so is not news to the new coordinator: it reads the session itself.
        let seen = self.news_now(&session, &agent.id, &Criteria::default())?;
        let session = self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET coordinator_agent = ?2, updated_at = ?3 WHERE id = ?1",
                params![session.id, agent.id, time::now_ms()],
            )?;
            tx.execute("DELETE FROM coordinator_notices WHERE session_id = ?1", [&session.id])?;
            notices_insert(tx, &session.id, seen.iter())?;
            let session = session::session_get(tx, &session.id)?;
            tx.publish(EngineEvent::SessionUpdated { session: session.clone() });
            Ok(session)
        })?;
        if let Some(previous) = &previous {
            self.lane_note(previous, format!("no longer the session's coordinator: {} replaces it", agent.name));
        }
        self.lane_note(&agent, "promoted to the session's coordinator".into());
        let text = format!(
            "Baton: you are now the coordinator of the session {} (id {}){}.\n\n{INSTRUCTIONS}",
            session.name,
            session.id,
            previous.as_ref().map(|p| format!(", in place of {}", p.name)).unwrap_or_default()
        );
        let agent = self.message_post(&agent, &text, Sender::Baton)?;
        if session.coordinator != CoordinatorState::Running {
            self.coordinator_start(&session.id)?;
        }
        Ok(Promotion {
            session: self.session_get(&session.id)?,
            agent,
            replaced: previous.map(|p| p.name),
            unchanged: false,
        })
    }

    /// Ends the agent's role as its session's coordinator: Baton's loop stops telling it what
    /// changes (the loop itself goes on).
    pub fn coordinator_demote(&self, id_or_name: &str) -> Result<Session> {
        let agent = self.agent_get(id_or_name)?;
        let session = self.session_get(&agent.session_id)?;
        if session.coordinator_agent.as_deref() != Some(agent.id.as_str()) {
            let now = match session.coordinator_agent.as_deref().and_then(|id| self.agent_get(id).ok()) {
                Some(c) => format!("its coordinator is {}", c.name),
                None => "it has no coordinator conversation".to_owned(),
            };
            return Err(AgentError::Invalid(format!(
                "agent {} is not the coordinator of session {}: {now}",
                agent.name, session.name
            ))
            .into());
        }
        let session = self.write(|tx| {
            tx.execute(
                "UPDATE sessions SET coordinator_agent = NULL, updated_at = ?2 WHERE id = ?1",
                params![session.id, time::now_ms()],
            )?;
            let session = session::session_get(tx, &session.id)?;
            tx.publish(EngineEvent::SessionUpdated { session: session.clone() });
            Ok(session)
        })?;
        self.lane_note(&agent, "no longer the session's coordinator".into());
        if agent.archived_at.is_none() {
            let text = "Baton: you are no longer this session's coordinator; Baton stops sending you its changes. \
                        Leave the session's tasks and agents to whoever coordinates it now.";
            if let Err(e) = self.message_post(&agent, text, Sender::Baton) {
                tracing::warn!(agent = %agent.id, "cannot tell the demoted coordinator: {e}");
            }
        }
        Ok(session)
    }

    /// After a cycle: sends the session's coordinator conversation what changed since it was
    /// last told (nothing when nothing did).
    pub(super) fn coordinator_news(&self, session: &Session, cycle: &Cycle) -> Result<()> {
        let Some(coordinator) = session.coordinator_agent.as_deref() else { return Ok(()) };
        let agent = self.agent_get(coordinator)?;
        if agent.archived_at.is_some() {
            return Ok(());
        }
        let items = self.news_now(session, &agent.id, &cycle.summary.criteria)?;
        let told: std::collections::HashSet<String> = {
            let conn = self.inner.store.conn();
            let mut stmt = conn.prepare_cached("SELECT key FROM coordinator_notices WHERE session_id = ?1")?;
            stmt.query_map([&session.id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let fresh: Vec<&NewsItem> = items.iter().filter(|i| !told.contains(&i.key)).collect();
        if fresh.is_empty() {
            return Ok(());
        }
        // Recorded before it is posted: a change is told at most once, even if the daemon stops
        // in between (the message itself is kept until delivered).
        self.write(|tx| notices_insert(tx, &session.id, fresh.iter().copied()))?;
        self.message_post(&agent, &news::news_message(&fresh), Sender::Baton)?;
        Ok(())
    }

    /// The changes as the session stands now.
    fn news_now(&self, session: &Session, coordinator: &str, criteria: &Criteria) -> Result<Vec<NewsItem>> {
        let tasks = self.task_list(&session.id)?;
        let agents = record::agent_list(&self.inner.store.conn(), Some(&session.id), false)?;
        let alerts = {
            let conn = self.inner.store.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT id, message FROM alerts WHERE session_id = ?1 AND resolved_at IS NULL \
                 AND acknowledged_at IS NULL ORDER BY created_at, id",
            )?;
            stmt.query_map([&session.id], |r| Ok(OpenAlert { id: r.get(0)?, message: r.get(1)? }))?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        Ok(news::news(&tasks, &agents, &alerts, coordinator, criteria))
    }

    fn lane_note(&self, agent: &Agent, message: String) {
        if self.runtime_slot(agent).is_ok() {
            self.note_blocking(&agent.id, &Note::Notice { message });
        }
    }
}

fn notices_insert<'a>(
    conn: &rusqlite::Connection,
    session_id: &str,
    items: impl Iterator<Item = &'a NewsItem>,
) -> Result<()> {
    let now = time::now_ms();
    let mut stmt = conn
        .prepare_cached("INSERT OR IGNORE INTO coordinator_notices (session_id, key, sent_at) VALUES (?1, ?2, ?3)")?;
    for item in items {
        stmt.execute(params![session_id, item.key, now])?;
    }
    Ok(())
}

//! Messages to agents, delivered at the turn boundary. A message to an agent that waits goes to
//! it at once; one to an agent in the middle of a turn is kept in the store (`agent_messages`)
//! and delivered when the turn ends, several together as one turn, in the order they were sent.
//! Kept messages survive a daemon restart. A message may come from another agent of the same
//! session: the receiver's lane shows it with its sender, the sender's lane shows it as sent.
//!
//! One delivery at a time per agent (`MessageLocks`): a message sent while the agent's turn
//! ends is either kept and delivered by the turn's end, or delivered by its sender, never lost
//! between the two.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

use super::log::Note;
use super::protocol::CliKind;
use super::record::{self, Agent, AgentError, AgentState};
use crate::engine::{Engine, EngineState};
use crate::error::Result;
use crate::events::EngineEvent;
use crate::{ids, time};

/// What one delivery gives the CLI, and what the lane shows of it (one note per message).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delivery {
    pub text: String,
    pub notes: Vec<Note>,
}

/// A message on its way: its text and who sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub text: String,
    pub from: Origin,
}

/// Who a message is from, as the lane and the receiving agent are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    User,
    /// Another agent of the session, by name.
    Agent(String),
    /// Baton itself (a coordinator's instructions, the loop's news).
    Baton,
}

/// How the lane names Baton as a message's sender.
pub(crate) const BATON: &str = "Baton";

impl Origin {
    /// The name the lane shows (`None`: the user).
    fn shown(&self) -> Option<String> {
        match self {
            Self::User => None,
            Self::Agent(name) => Some(name.clone()),
            Self::Baton => Some(BATON.to_owned()),
        }
    }
}

/// Who posts a message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sender<'a> {
    /// The user: refused while a tool waits for the user's approval (decide it first).
    User,
    /// Another agent of the session; kept while a tool waits for approval.
    Agent(&'a Agent),
    /// Baton itself; kept while a tool waits for approval.
    Baton,
}

impl Sender<'_> {
    fn agent(&self) -> Option<&Agent> {
        match self {
            Self::Agent(a) => Some(a),
            _ => None,
        }
    }

    fn from(&self) -> Origin {
        match self {
            Self::User => Origin::User,
            Self::Agent(a) => Origin::Agent(a.name.clone()),
            Self::Baton => Origin::Baton,
        }
    }
}

/// Puts messages into one turn's text: a single message from the user as it is; otherwise each
/// with its sender named, in order, so the agent knows who says what.
pub(crate) fn delivery_compose(messages: &[Outgoing]) -> Delivery {
    let several = messages.len() > 1;
    let part = |m: &Outgoing| match &m.from {
        Origin::Agent(name) => format!("Message from {name}, another agent of your Baton session:\n\n{}", m.text),
        Origin::User if several => format!("Message from the user:\n\n{}", m.text),
        Origin::Baton if several => format!("Message from Baton:\n\n{}", m.text),
        Origin::User | Origin::Baton => m.text.clone(),
    };
    let parts: Vec<String> = messages.iter().map(part).collect();
    let text = if parts.len() > 1 {
        format!(
            "{} messages arrived while you were working, oldest first.\n\n{}",
            parts.len(),
            parts.join("\n\n---\n\n")
        )
    } else {
        parts.into_iter().next().unwrap_or_default()
    };
    let last = messages.len().saturating_sub(1);
    let notes = messages
        .iter()
        .enumerate()
        .map(|(i, m)| Note::UserMessage {
            text: m.text.clone(),
            from: m.from.shown(),
            // The CLI may echo what it was given: the decoder must know it to show it once.
            sent: (i == last && text != m.text).then(|| text.clone()),
        })
        .collect();
    Delivery { text, notes }
}

/// One delivery at a time per agent. Entries go when nobody holds them.
#[derive(Default)]
pub(crate) struct MessageLocks {
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl MessageLocks {
    fn hold<T>(&self, agent_id: &str, body: impl FnOnce() -> T) -> T {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(agent_id.to_owned()).or_default().clone()
        };
        let out = {
            let _held = lock.lock().unwrap_or_else(|p| p.into_inner());
            body()
        };
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        // Ours and the map's: nobody else waits for it.
        if Arc::strong_count(&lock) == 2 {
            locks.remove(agent_id);
        }
        out
    }
}

/// The agent's kept messages, oldest first, with their ids.
fn queued(conn: &Connection, agent_id: &str) -> Result<Vec<(String, Outgoing)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.id, m.text, a.name, m.from_baton FROM agent_messages m LEFT JOIN agents a ON a.id = m.from_agent \
         WHERE m.agent_id = ?1 AND m.delivered_at IS NULL ORDER BY m.rowid",
    )?;
    let rows = stmt
        .query_map([agent_id], |r| {
            let from = match (r.get::<_, Option<String>>(2)?, r.get::<_, bool>(3)?) {
                (_, true) => Origin::Baton,
                (Some(name), false) => Origin::Agent(name),
                (None, false) => Origin::User,
            };
            Ok((r.get(0)?, Outgoing { text: r.get(1)?, from }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Whether the agent has kept messages (cheap: the recorder asks at every turn's end).
pub(crate) fn has_queued(conn: &Connection, agent_id: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM agent_messages WHERE agent_id = ?1 AND delivered_at IS NULL)",
        [agent_id],
        |r| r.get(0),
    )?)
}

/// Whether the agent's last turn ended a running task that a running coordinator loop has not
/// read yet.
fn task_turn_unread(conn: &Connection, agent: &Agent) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM tasks t JOIN sessions s ON s.id = t.session_id \
         WHERE t.agent_id = ?1 AND t.state = 'running' AND t.agent_turns < ?2 AND s.coordinator = 'running')",
        params![agent.id, agent.turns],
        |r| r.get(0),
    )?)
}

/// Marks kept messages delivered.
fn delivered_mark(conn: &Connection, kept: &[(String, Outgoing)], now: i64) -> Result<()> {
    for (id, _) in kept {
        conn.execute("UPDATE agent_messages SET delivered_at = ?2 WHERE id = ?1", params![id, now])?;
    }
    Ok(())
}

fn message_insert(
    conn: &Connection,
    agent_id: &str,
    sender: Sender<'_>,
    text: &str,
    delivered: Option<i64>,
) -> Result<()> {
    let now = time::now_ms();
    conn.execute(
        "INSERT INTO agent_messages (id, agent_id, from_agent, from_baton, text, created_at, delivered_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            ids::new_id("msg"),
            agent_id,
            sender.agent().map(|a| a.id.as_str()),
            matches!(sender, Sender::Baton),
            text,
            now,
            delivered
        ],
    )?;
    Ok(())
}

impl Engine {
    /// Sends `text` to the agent, from the agent `from` (id or name, of the same session) or,
    /// without one, from the user. An agent that waits gets it at once; one that works gets it
    /// when its turn ends (`queuedMessages` counts those kept meanwhile).
    pub fn agent_send_from(&self, id_or_name: &str, text: &str, from: Option<&str>) -> Result<Agent> {
        let agent = self.agent_get(id_or_name)?;
        let sender = match from.map(str::trim).filter(|f| !f.is_empty()) {
            Some(from) => Some(self.sender_resolve(&agent, from)?),
            None => None,
        };
        let sender = match &sender {
            Some(a) => Sender::Agent(a),
            None => Sender::User,
        };
        self.message_post(&agent, text, sender)
    }

    /// The sending agent: by id, or by name within the receiver's session.
    fn sender_resolve(&self, receiver: &Agent, from: &str) -> Result<Agent> {
        crate::names::name_check("agent name", from)?;
        let conn = self.inner.store.conn();
        let in_session: Option<String> = conn
            .query_row(
                "SELECT id FROM agents WHERE session_id = ?1 AND (id = ?2 OR name = ?2) ORDER BY id = ?2 DESC LIMIT 1",
                params![receiver.session_id, from],
                |r| r.get(0),
            )
            .optional()?;
        drop(conn);
        let Some(id) = in_session else {
            let why = match self.agent_get(from) {
                Ok(other) => format!(
                    "agent {} is in another session; agents message only the agents of their own session",
                    other.name
                ),
                Err(_) => format!("no agent {from:?} in the session of {}; `baton list` shows them", receiver.name),
            };
            return Err(AgentError::Invalid(format!("cannot send as {from:?}: {why}")).into());
        };
        if id == receiver.id {
            return Err(AgentError::Invalid(format!("agent {} cannot send a message to itself", receiver.name)).into());
        }
        self.agent_get(&id)
    }

    /// Posts a message: kept while the agent works (or, unless it is the user's, while a tool
    /// waits for approval: the user decides that first), else delivered with whatever was kept.
    pub(crate) fn message_post(&self, agent: &Agent, text: &str, sender: Sender<'_>) -> Result<Agent> {
        super::lifecycle::archived_refuse(agent)?;
        if text.trim().is_empty() {
            return Err(AgentError::Invalid("the message is empty".into()).into());
        }
        crate::names::arg_check("message", text)?;
        let posted = self.inner.messages.hold(&agent.id, || -> Result<Agent> {
            // Read under the agent's delivery lock: a turn that ends from now on finds this
            // message kept, or this sender finds the agent waiting.
            let agent = self.agent_get(&agent.id)?;
            // A conversation Baton does not run takes its messages itself (`agent_inbox_take`).
            let working = (agent.cli != CliKind::Command && agent.state.is_active()) || agent.external;
            let held_by_approval = agent.state == AgentState::NeedsInput && !matches!(sender, Sender::User);
            // Paused by a budget: kept until `baton resume` (`agent/budget.rs`).
            if working || held_by_approval || agent.paused_reason.is_some() {
                self.write(|tx| {
                    message_insert(tx, &agent.id, sender, text, None)?;
                    let agent = record::agent_get(tx, &agent.id)?;
                    tx.publish(EngineEvent::AgentUpdated { agent: Box::new(agent.clone()) });
                    Ok(agent)
                })
            } else {
                // Delivered now, with whatever was kept before it (a restart may have left some).
                let kept = queued(&self.inner.store.conn(), &agent.id)?;
                let mut messages: Vec<Outgoing> = kept.iter().map(|(_, m)| m.clone()).collect();
                messages.push(Outgoing { text: text.to_owned(), from: sender.from() });
                let delivered = self.message_deliver(&agent, &delivery_compose(&messages))?;
                self.write(|tx| {
                    let now = time::now_ms();
                    delivered_mark(tx, &kept, now)?;
                    message_insert(tx, &agent.id, sender, text, Some(now))?;
                    Ok(())
                })?;
                Ok(delivered)
            }
        })?;
        if let Some(sender) = sender.agent()
            && self.runtime_slot(sender).is_ok()
        {
            self.note_blocking(&sender.id, &Note::MessageSent { to: posted.name.clone(), text: text.to_owned() });
        }
        self.agent_get(&posted.id)
    }

    /// Delivers the agent's kept messages if it waits now (its turn just ended, or a daemon
    /// started and found it waiting), all in one turn.
    pub(crate) fn messages_flush(&self, agent_id: &str) {
        let flushed = self.inner.messages.hold(agent_id, || -> Result<()> {
            let agent = self.agent_get(agent_id)?;
            if agent.state != AgentState::Waiting
                || agent.archived_at.is_some()
                || agent.external
                || agent.paused_reason.is_some()
            {
                return Ok(());
            }
            if task_turn_unread(&self.inner.store.conn(), &agent)? {
                // The turn ended a task the coordinator's loop has not read yet: its answer is
                // the task's result, so the loop ends the task first, then delivers these.
                return Ok(());
            }
            let kept = queued(&self.inner.store.conn(), &agent.id)?;
            if kept.is_empty() {
                return Ok(());
            }
            let messages: Vec<Outgoing> = kept.iter().map(|(_, m)| m.clone()).collect();
            self.message_deliver(&agent, &delivery_compose(&messages))?;
            self.kept_delivered(&agent.id, &kept)
        });
        if let Err(e) = flushed {
            tracing::warn!(agent = %agent_id, "cannot deliver the agent's kept messages: {e}");
            self.note_blocking(
                agent_id,
                &Note::Error { message: format!("the messages kept for the end of the turn were not delivered: {e}") },
            );
        }
    }

    /// Marks the agent's kept messages delivered and publishes its record (its count changed).
    fn kept_delivered(&self, agent_id: &str, kept: &[(String, Outgoing)]) -> Result<()> {
        self.write(|tx| {
            delivered_mark(tx, kept, time::now_ms())?;
            let agent = record::agent_get(tx, agent_id)?;
            tx.publish(EngineEvent::AgentUpdated { agent: Box::new(agent) });
            Ok(())
        })
    }

    /// After a start: agents that wait with kept messages (a daemon stopped before it could
    /// deliver them) get them now.
    pub(crate) fn messages_resume(&self) -> Result<()> {
        let Some(handle) = self.inner.runtime.clone() else { return Ok(()) };
        let waiting: Vec<String> = {
            let conn = self.inner.store.conn();
            let mut stmt = conn.prepare(
                "SELECT DISTINCT m.agent_id FROM agent_messages m JOIN agents a ON a.id = m.agent_id \
                 WHERE m.delivered_at IS NULL AND a.state = 'waiting' AND a.archived_at IS NULL AND a.external = 0",
            )?;
            stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?
        };
        for id in waiting {
            let engine = self.clone();
            handle.spawn_blocking(move || engine.messages_flush(&id));
        }
        Ok(())
    }
}

/// A message a conversation Baton does not run took through `agent_inbox_take`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    /// The sender: an agent's name, `Baton`, or `None` for the user.
    pub from: Option<String>,
    pub text: String,
}

/// How often a waiting `agent_inbox_take` looks again (a cheap indexed read).
const INBOX_POLL: std::time::Duration = std::time::Duration::from_millis(100);

impl Engine {
    /// Takes the messages kept for the agent, oldest first, waiting up to `timeout` for one to
    /// come: how a conversation Baton does not run (the user's own coordinator) hears of each
    /// change. Its lane shows them as delivered.
    pub fn agent_inbox_take(&self, id_or_name: &str, timeout: std::time::Duration) -> Result<Vec<InboxMessage>> {
        let agent = self.agent_get(id_or_name)?;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let taken = self.inner.messages.hold(&agent.id, || -> Result<Vec<Outgoing>> {
                let kept = queued(&self.inner.store.conn(), &agent.id)?;
                if kept.is_empty() {
                    return Ok(Vec::new());
                }
                self.kept_delivered(&agent.id, &kept)?;
                Ok(kept.into_iter().map(|(_, m)| m).collect())
            })?;
            if !taken.is_empty() {
                if self.runtime_slot(&agent).is_ok() {
                    for note in delivery_compose(&taken).notes {
                        self.note_blocking(&agent.id, &note);
                    }
                }
                return Ok(taken.into_iter().map(|m| InboxMessage { from: m.from.shown(), text: m.text }).collect());
            }
            if std::time::Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            std::thread::sleep(INBOX_POLL.min(deadline.saturating_duration_since(std::time::Instant::now())));
        }
    }
}

/// The recorder saw the agent's turn end with the agent waiting: its kept messages, if any, go
/// to it now, off the recorder's thread (a delivery may wait for a process to end).
pub(crate) fn turn_ended(inner: &Arc<EngineState>, agent_id: &str) {
    let queued = has_queued(&inner.store.conn(), agent_id).unwrap_or(false);
    if !queued {
        return;
    }
    let Some(handle) = inner.runtime.clone() else { return };
    let engine = Engine { inner: inner.clone() };
    let id = agent_id.to_owned();
    handle.spawn_blocking(move || engine.messages_flush(&id));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str, from: Origin) -> Outgoing {
        Outgoing { text: text.into(), from }
    }

    #[test]
    fn one_message_from_the_user_goes_as_it_is() {
        let d = delivery_compose(&[m("hello", Origin::User)]);
        assert_eq!(d.text, "hello");
        assert_eq!(d.notes, vec![Note::UserMessage { text: "hello".into(), from: None, sent: None }]);
    }

    #[test]
    fn several_messages_go_in_order_each_with_its_sender() {
        let d = delivery_compose(&[
            m("first", Origin::Agent("builder".into())),
            m("second", Origin::User),
            m("third", Origin::Agent("tester".into())),
            m("Baton: task t1 is done", Origin::Baton),
        ]);
        let builder = d.text.find("Message from builder, another agent").unwrap();
        let user = d.text.find("Message from the user:\n\nsecond").unwrap();
        let tester = d.text.find("Message from tester").unwrap();
        let baton = d.text.find("Message from Baton:\n\nBaton: task t1 is done").unwrap();
        assert!(d.text.starts_with("4 messages arrived"));
        assert!(builder < user && user < tester && tester < baton, "{}", d.text);
        assert_eq!(d.notes.len(), 4);
        assert_eq!(d.notes[0], Note::UserMessage { text: "first".into(), from: Some("builder".into()), sent: None });
        // The last note carries what the CLI was given, so an echo of it is shown once.
        assert!(
            matches!(&d.notes[3], Note::UserMessage { from: Some(b), sent: Some(s), .. } if *s == d.text && b == BATON)
        );
        assert!(matches!(&d.notes[1], Note::UserMessage { from: None, sent: None, .. }));
    }
}

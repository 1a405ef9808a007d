//! A daemon's start after another's end (a stop, a crash, an upgrade): every agent whose record
//! says it has a process is looked at. One whose shim still answers is reattached (it kept
//! running; its log is decoded from where the previous daemon's decoding stopped, so nothing
//! is lost or applied twice, and its events' numbering goes on). One whose shim left its exit
//! is recorded as having ended so. One whose process is gone is recorded as such, with a note
//! that says so; one whose process runs on without a shim (started before shims) keeps its
//! pid, so `agent stop` (and `abort`, `agent rm --force`) can still stop it.

use std::path::Path;
use std::sync::Arc;

use super::log::Note;
use super::record::{self, Agent, AgentState};
use super::shim::link;
use super::supervisor::{AgentRuntime, ProcessEnd, process_end};
use crate::engine::{Engine, KnownAgent};
use crate::error::Result;

const GONE_RUNNING: &str = "its process ended while Baton's daemon was not running; its exit is unknown";
const GONE_IDLE: &str = "its process ended while Baton's daemon was not running";

/// What became of one agent at the start.
enum Found {
    Reattached,
    Ended,
    /// Gone: the agents interrupted mid-turn are listed for "resume all".
    Gone {
        interrupted: bool,
    },
    Unsupervised,
}

impl Engine {
    /// See the module's comment. Returns the agents interrupted in a turn (stopped now).
    pub(crate) fn agents_reconcile(&self) -> Result<Vec<String>> {
        let ids: Vec<String> = {
            let conn = self.inner.store.conn();
            let mut stmt = conn.prepare(
                "SELECT id FROM agents WHERE state IN ('starting', 'running', 'waiting', 'needs_input') OR pid IS NOT NULL",
            )?;
            stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?
        };
        let mut orphaned = Vec::new();
        for id in &ids {
            let agent = self.agent_get(id)?;
            match self.agent_reconcile(&agent)? {
                Found::Gone { interrupted: true } => orphaned.push(agent.id.clone()),
                Found::Reattached | Found::Ended | Found::Unsupervised | Found::Gone { .. } => {}
            }
        }
        record::agents_interrupted_mark(&self.inner.store.conn(), &orphaned)?;
        // A group paused by the previous daemon and not reattached went with it; a reattached
        // one stays paused only while everything is. A pause by its budget (with a reason) stays
        // until the user raises the budget.
        if !self.inner.health.paused_all() {
            let paused: Vec<(String, Option<i64>)> = {
                let conn = self.inner.store.conn();
                let mut stmt = conn.prepare("SELECT id, pid FROM agents WHERE paused = 1 AND paused_reason IS NULL")?;
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
            };
            for (_, pid) in &paused {
                let pid = pid.and_then(|p| u32::try_from(p).ok());
                super::supervisor::group_signal(pid, rustix::process::Signal::CONT);
            }
            self.inner
                .store
                .conn()
                .execute("UPDATE agents SET paused = 0 WHERE paused = 1 AND paused_reason IS NULL", [])?;
        }
        Ok(orphaned)
    }

    fn agent_reconcile(&self, agent: &Agent) -> Result<Found> {
        let handle = self.inner.runtime.clone();
        let offset = index_end(&self.inner.store.conn(), &agent.id)?;
        if let (Some(handle), Some(pid)) = (&handle, agent.pid) {
            let runtime = self.runtime_slot_at(agent, offset)?;
            if let Some(live) = link::reattach(&self.inner, handle, runtime, agent, pid) {
                if let Some(slot) = self.inner.agents().get_mut(&agent.id) {
                    slot.live = Some(live);
                }
                tracing::info!(agent = %agent.id, pid, "reattached to the agent's shim");
                return Ok(Found::Reattached);
            }
        }
        if let (Some(handle), Some(exit)) = (&handle, link::exit_left(&self.inner.home, &agent.id)) {
            let runtime = self.runtime_slot_at(agent, offset)?;
            let ending = ProcessEnd {
                code: exit.code,
                signal: exit.signal,
                follow_up: agent.cli.protocol().follow_up(),
                stop_requested: exit.stopped,
                release_requested: exit.released,
            };
            let inner = self.inner.clone();
            let home = self.inner.home.clone();
            let id = agent.id.clone();
            handle.spawn(async move {
                process_end(inner, runtime, ending).await;
                link::exit_forget(&home, &id);
            });
            return Ok(Found::Ended);
        }
        // The rest of the log (what the index did not have yet) is decoded and applied.
        let runtime = self.runtime_slot_at(agent, offset)?;
        // Just made, so free; never blocked on (the engine may be opened from async code).
        if let Ok(mut rt) = runtime.try_lock() {
            rt.catch_up(&self.inner);
        }
        let pid = agent.pid.filter(|p| process_of(*p, Path::new(&agent.cwd)));
        if let Some(pid) = pid {
            let message = format!(
                "its process (pid {pid}) runs on without Baton's supervision; `baton agent stop {}` stops it",
                agent.name
            );
            self.note_with(&runtime, &Note::Error { message });
            return Ok(Found::Unsupervised);
        }
        let state = self.agent_get(&agent.id)?.state;
        let interrupted = state.is_active();
        let note = if interrupted { GONE_RUNNING } else { GONE_IDLE };
        if agent.pid.is_some() || interrupted {
            self.note_with(&runtime, &Note::Error { message: note.into() });
        }
        let (state, code) = if interrupted { (AgentState::Stopped, None) } else { (state, agent.exit_code) };
        record::agent_state_set(&self.inner.store.conn(), &agent.id, state, None, code)?;
        Ok(Found::Gone { interrupted })
    }

    fn note_with(&self, runtime: &Arc<tokio::sync::Mutex<AgentRuntime>>, note: &Note) {
        if let Ok(mut rt) = runtime.try_lock() {
            rt.note(&self.inner, note);
        }
    }

    /// The agent's runtime, decoding its log from `offset` on.
    fn runtime_slot_at(&self, agent: &Agent, offset: u64) -> Result<Arc<tokio::sync::Mutex<AgentRuntime>>> {
        if let Some(slot) = self.inner.agents().get(&agent.id) {
            return Ok(slot.runtime.clone());
        }
        let log = Path::new(&agent.log_path);
        let runtime = AgentRuntime::open_at(&agent.id, agent.cli, agent.model.clone(), log, offset)
            .map_err(|e| record::AgentError::Log { path: agent.log_path.clone(), detail: e.to_string() })?;
        let runtime = Arc::new(tokio::sync::Mutex::new(runtime));
        self.inner.agents().insert(agent.id.clone(), KnownAgent { runtime: runtime.clone(), live: None });
        Ok(runtime)
    }
}

/// Where the index's record of the agent's log ends: decoding goes on from there.
fn index_end(conn: &rusqlite::Connection, agent_id: &str) -> Result<u64> {
    let end: Option<i64> =
        conn.query_row("SELECT MAX(log_offset + log_len) FROM events WHERE agent_id = ?1", [agent_id], |r| r.get(0))?;
    Ok(end.and_then(|e| u64::try_from(e).ok()).unwrap_or(0))
}

/// Whether `pid` is alive and still the agent's (it works in the agent's folder): a pid reused
/// by another program since is not the agent's.
pub(crate) fn process_of(pid: u32, cwd: &Path) -> bool {
    let Ok(at) = std::fs::read_link(format!("/proc/{pid}/cwd")) else { return false };
    let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(false);
    alive && (at == cwd || std::fs::canonicalize(cwd).is_ok_and(|c| c == at))
}

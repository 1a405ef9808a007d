//! The coordinator: a loop per session (`baton run`) that is never passive. Each cycle looks at
//! every agent and task, ends tasks whose agent finished its turn (storing artifacts, handling
//! reviews), starts ready tasks within the session's concurrency limit, marks idle, stalled and
//! waiting agents, and checks the completion criteria. Cycles run every few seconds and at once
//! when an agent or task of the session changes; each is counted and stored with what it did.
//! A running coordinator is recorded in the session, so a daemon restart resumes it.

mod choice;
mod cycle;
pub(crate) mod decide;
mod delegate;
mod external;
pub mod handoff;
mod news;
mod promote;
mod select;
pub mod verdict;

pub(crate) use delegate::subtask_insert;
pub use external::{CoordinatorBecame, CoordinatorBecome};
pub use promote::{INSTRUCTIONS, Promotion};
pub use select::{Candidate, Selection, TaskPick, VoteCount};

use std::collections::{HashMap, HashSet};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use ts_rs::TS;

use crate::engine::Engine;
use crate::error::Result;
use crate::events::EngineEvent;
use crate::session::{self, CoordinatorState};
use crate::task::TaskState;
use crate::time;

/// What one cycle saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CycleSummary {
    /// Tasks given to an agent (names).
    pub started: Vec<String>,
    /// Tasks whose agent finished its turn: done, failed or in review.
    pub finished: Vec<String>,
    /// Tasks sent back to their agent by a review.
    pub sent_back: Vec<String>,
    /// Tasks blocked this cycle.
    pub blocked: Vec<String>,
    /// Agents working on a turn.
    pub running: Vec<String>,
    /// Agents with no work (their task ended).
    pub idle: Vec<String>,
    /// Agents running but silent longer than the session's stall time.
    pub stalled: Vec<String>,
    /// Agents waiting for the user (a tool to approve).
    pub waiting: Vec<String>,
    /// Other things worth knowing (a failed merge, a context file not written...).
    pub notes: Vec<String>,
    pub criteria: Criteria,
}

/// The completion criteria: the session's work is over when all hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct Criteria {
    /// Every task is done or cancelled.
    pub tasks_ended: bool,
    /// Every finished task's output was parsed (no verdict still awaited or malformed).
    pub outputs_parsed: bool,
    /// No task blocked, no agent waiting for the user, no decision pending.
    pub no_blockers: bool,
    /// No ready task while the coordinator could start it.
    pub no_idle_with_work: bool,
    /// All of the above, with at least one task.
    pub complete: bool,
    /// What keeps each unmet criterion from holding, for the user.
    pub unmet: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cycle {
    #[ts(type = "number")]
    pub n: u64,
    /// RFC 3339.
    pub started_at: String,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub summary: CycleSummary,
}

/// A session's coordinator at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoordinatorStatus {
    pub session_id: String,
    pub state: CoordinatorState,
    /// Cycles run so far.
    #[ts(type = "number")]
    pub cycles: u64,
    pub last: Option<Cycle>,
    /// How far the session's tasks have got, counted now.
    pub progress: TaskProgress,
}

/// How far a session's tasks have got, for a progress line ("3 of 5 tasks done"): counted by
/// state. Cancelled tasks will not run, so they are apart from `total`; `failed` and `blocked`
/// are the ones that need someone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskProgress {
    /// Tasks that will or did run (every task but the cancelled ones).
    pub total: u32,
    pub done: u32,
    /// Running, or done and under review.
    pub running: u32,
    pub failed: u32,
    pub blocked: u32,
    pub cancelled: u32,
}

impl TaskProgress {
    /// Counts tasks by state.
    pub fn of(states: impl IntoIterator<Item = TaskState>) -> TaskProgress {
        let mut p = TaskProgress::default();
        for state in states {
            match state {
                TaskState::Cancelled => {
                    p.cancelled += 1;
                    continue;
                }
                TaskState::Done => p.done += 1,
                TaskState::Running | TaskState::Review => p.running += 1,
                TaskState::Failed => p.failed += 1,
                TaskState::Blocked => p.blocked += 1,
                TaskState::Pending | TaskState::Ready => {}
            }
            p.total += 1;
        }
        p
    }
}

/// The daemon's running loops and what they remember between cycles.
#[derive(Default)]
pub(crate) struct Coordinators {
    /// Per session: the loop's stop signal.
    loops: Mutex<HashMap<String, watch::Sender<bool>>>,
    /// Agents whose process ended with the previous daemon: their task resumes.
    pub orphaned: Mutex<HashSet<String>>,
    /// Agents noted as stalled, and when (noted once until they speak again).
    stalled: Mutex<HashMap<String, i64>>,
    /// Which sessions are in a cycle: one at a time per session, sessions apart.
    gate: CycleGate,
}

/// Lets one cycle per session run at a time, sessions independently (one session's slow git
/// never holds up another's cycle), and none once the daemon is stopping.
#[derive(Default)]
pub(crate) struct CycleGate {
    state: Mutex<GateState>,
    /// Notified whenever a cycle ends.
    ended: Condvar,
}

#[derive(Default)]
struct GateState {
    /// The daemon is stopping: no more cycles (agents stopped by it are not failures).
    halted: bool,
    /// Sessions with a cycle in flight.
    cycling: HashSet<String>,
}

/// A session's turn to cycle; the next cycle of the session may start when it is dropped.
pub(crate) struct CycleTurn<'a> {
    gate: &'a CycleGate,
    session_id: String,
}

impl CycleGate {
    /// Waits for the session's cycle in flight, if any, then takes the session's turn. `None`
    /// once halted.
    pub(crate) fn enter(&self, session_id: &str) -> Option<CycleTurn<'_>> {
        let mut state = locked(&self.state);
        while !state.halted && state.cycling.contains(session_id) {
            state = self.ended.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        if state.halted {
            return None;
        }
        state.cycling.insert(session_id.to_owned());
        Some(CycleTurn { gate: self, session_id: session_id.to_owned() })
    }

    /// No cycle starts from now on; returns once the cycles in flight have ended.
    pub(crate) fn halt(&self) {
        let mut state = locked(&self.state);
        state.halted = true;
        self.ended.notify_all();
        while !state.cycling.is_empty() {
            state = self.ended.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl Drop for CycleTurn<'_> {
    fn drop(&mut self) {
        locked(&self.gate.state).cycling.remove(&self.session_id);
        self.gate.ended.notify_all();
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Engine {
    /// Starts (or resumes) the session's coordinator; it runs until its criteria hold or it is
    /// stopped, across daemon restarts.
    pub fn coordinator_start(&self, session: &str) -> Result<CoordinatorStatus> {
        let session = self.session_get(session)?;
        if session.state == session::SessionState::Archived {
            return Err(crate::task::TaskError::Invalid(format!(
                "session {} is archived; unarchive it first",
                session.name
            ))
            .into());
        }
        session::coordinator_set(&self.inner.store.conn(), &session.id, CoordinatorState::Running)?;
        self.session_publish(&session.id);
        self.loop_spawn(&session.id);
        self.coordinator_status(&session.id)
    }

    /// Stops the session's coordinator: running agents go on, ready tasks wait.
    pub fn coordinator_stop(&self, session: &str) -> Result<CoordinatorStatus> {
        let session = self.session_get(session)?;
        session::coordinator_set(&self.inner.store.conn(), &session.id, CoordinatorState::Off)?;
        if let Some(stop) = locked(&self.inner.coordinators.loops).remove(&session.id) {
            let _ = stop.send(true);
        }
        self.session_publish(&session.id);
        self.coordinator_status(&session.id)
    }

    pub fn coordinator_status(&self, session: &str) -> Result<CoordinatorStatus> {
        let session = self.session_get(session)?;
        let cycles = self.coordinator_cycles(&session.id, 1)?;
        let count: i64 = self.inner.store.conn().query_row(
            "SELECT COALESCE(MAX(n), 0) FROM monitor_cycles WHERE session_id = ?1",
            [&session.id],
            |r| r.get(0),
        )?;
        let progress = {
            let conn = self.inner.store.conn();
            let mut stmt = conn.prepare_cached("SELECT state FROM tasks WHERE session_id = ?1")?;
            let states =
                stmt.query_map([&session.id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
            TaskProgress::of(states.iter().map(|s| TaskState::parse(s)))
        };
        Ok(CoordinatorStatus {
            session_id: session.id,
            state: session.coordinator,
            cycles: count.max(0) as u64,
            last: cycles.into_iter().next(),
            progress,
        })
    }

    /// The session's last `limit` cycles, newest first.
    pub fn coordinator_cycles(&self, session: &str, limit: usize) -> Result<Vec<Cycle>> {
        let session = self.session_get(session)?;
        let conn = self.inner.store.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT n, started_at, duration_ms, summary FROM monitor_cycles WHERE session_id = ?1 \
             ORDER BY n DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![session.id, limit as i64], |r| {
                Ok(Cycle {
                    n: r.get::<_, i64>(0)?.max(0) as u64,
                    started_at: time::ms_to_rfc3339(r.get(1)?),
                    duration_ms: r.get::<_, i64>(2)?.max(0) as u64,
                    summary: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Runs one cycle of the session's coordinator now and stores it.
    pub fn coordinator_cycle(&self, session: &str) -> Result<Cycle> {
        let session = self.session_get(session)?;
        let Some(_turn) = self.inner.coordinators.gate.enter(&session.id) else {
            return Err(crate::task::TaskError::Invalid("the daemon is stopping; no more cycles".into()).into());
        };
        let started = time::now_ms();
        let clock = std::time::Instant::now();
        let summary = self.cycle_run(&session)?;
        let duration_ms = clock.elapsed().as_millis() as u64;
        let n: i64 = {
            let conn = self.inner.store.conn();
            let last: Option<i64> = conn
                .query_row("SELECT MAX(n) FROM monitor_cycles WHERE session_id = ?1", [&session.id], |r| r.get(0))
                .optional()?
                .flatten();
            let n = last.unwrap_or(0) + 1;
            conn.execute(
                "INSERT INTO monitor_cycles (session_id, n, started_at, duration_ms, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    session.id,
                    n,
                    started,
                    duration_ms as i64,
                    serde_json::to_string(&summary).unwrap_or_else(|_| "{}".into())
                ],
            )?;
            n
        };
        let cycle = Cycle { n: n as u64, started_at: time::ms_to_rfc3339(started), duration_ms, summary };
        self.inner
            .events
            .publish(EngineEvent::CoordinatorCycle { session_id: session.id.clone(), cycle: cycle.clone() });
        // Read again: a promotion or demotion during the cycle counts.
        let session = self.session_get(&session.id)?;
        if session.coordinator == CoordinatorState::Complete
            && session.coordinator_agent.is_some()
            && !cycle.summary.criteria.complete
        {
            // Work came back to a session its coordinator conversation watches (a task added).
            session::coordinator_set(&self.inner.store.conn(), &session.id, CoordinatorState::Running)?;
            self.session_publish(&session.id);
        }
        if let Err(e) = self.coordinator_news(&session, &cycle) {
            tracing::warn!(session = %session.id, "cannot tell the coordinator conversation what changed: {e}");
        }
        Ok(cycle)
    }

    /// After a daemon restart: resumes the loops that were running, and remembers the agents
    /// whose process ended with the old daemon (their tasks resume on them): those it found
    /// running, and those it stopped while stopping (a running task's agent, stopped before
    /// the end of its turn, which no cycle saw).
    pub(crate) fn coordinators_resume(&self, orphaned: Vec<String>) -> Result<()> {
        locked(&self.inner.coordinators.orphaned).extend(orphaned);
        if self.inner.runtime.is_none() {
            return Ok(());
        }
        // Bound first: a guard in the `for` head would live through the loop.
        let running = session::coordinators_running(&self.inner.store.conn())?;
        for id in running {
            for task in self.task_list(&id)?.iter().filter(|t| t.state == crate::task::TaskState::Running) {
                if let Some(agent) = task.agent_id.as_deref().and_then(|a| self.agent_get(a).ok())
                    && agent.state == crate::agent::AgentState::Stopped
                {
                    locked(&self.inner.coordinators.orphaned).insert(agent.id);
                }
            }
            self.loop_spawn(&id);
        }
        Ok(())
    }

    /// The daemon is stopping: ends every loop after its current cycle, leaving each session's
    /// coordinator recorded as running (the next daemon resumes it).
    pub(crate) fn coordinators_halt(&self) {
        self.inner.coordinators.gate.halt();
        for (_, stop) in locked(&self.inner.coordinators.loops).drain() {
            let _ = stop.send(true);
        }
    }

    fn session_publish(&self, id: &str) {
        if let Ok(session) = self.session_get(id) {
            self.inner.events.publish(EngineEvent::SessionUpdated { session });
        }
    }

    fn loop_spawn(&self, session_id: &str) {
        let Some(handle) = self.inner.runtime.clone() else { return };
        let mut loops = locked(&self.inner.coordinators.loops);
        if loops.get(session_id).is_some_and(|tx| !tx.is_closed()) {
            return; // already running
        }
        let (tx, rx) = watch::channel(false);
        loops.insert(session_id.to_owned(), tx);
        let engine = self.clone();
        let id = session_id.to_owned();
        handle.spawn(async move { engine.loop_run(id, rx).await });
    }

    async fn loop_run(self, session_id: String, mut stop: watch::Receiver<bool>) {
        // Subscribed before the first cycle: nothing that happens during it is missed.
        let mut events = self.events().subscribe();
        loop {
            let engine = self.clone();
            let id = session_id.clone();
            let ran = tokio::task::spawn_blocking(move || {
                let cycle = engine.coordinator_cycle(&id)?;
                let every = engine.session_get(&id)?.settings.cycle();
                Ok::<_, crate::Error>((cycle, every))
            })
            .await;
            let every = match ran {
                Ok(Ok((cycle, every))) if cycle.summary.criteria.complete => {
                    let engine = self.clone();
                    let id = session_id.clone();
                    let watched = tokio::task::spawn_blocking(move || engine.coordinator_complete(&id)).await;
                    // A coordinator conversation still hears what changes (a worker it spawned
                    // finishing, an alert) and may add work: the loop goes on for it.
                    if !matches!(watched, Ok(Ok(true))) {
                        break;
                    }
                    every
                }
                Ok(Ok((_, every))) => every,
                Ok(Err(e)) if e.code() == crate::ErrorCode::NotFound && self.session_get(&session_id).is_err() => {
                    break; // the session is gone
                }
                Ok(Err(e)) => {
                    tracing::warn!(session = %session_id, "coordinator cycle failed: {e}");
                    Duration::from_secs(3)
                }
                Err(e) => {
                    tracing::error!(session = %session_id, "coordinator cycle panicked: {e}");
                    Duration::from_secs(3)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
                _ = wake(&mut events, &session_id) => {
                    // A burst of changes (a turn's end updates the agent several times): one
                    // cycle, which reads the state as it is by then.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            // Whatever arrived meanwhile is seen by the next cycle: one cycle for all of it.
            while !matches!(
                events.try_recv(),
                Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed)
            ) {}
            if *stop.borrow() {
                break;
            }
        }
        let mut loops = locked(&self.inner.coordinators.loops);
        if loops.get(&session_id).is_some_and(|tx| tx.subscribe().same_channel(&stop)) {
            loops.remove(&session_id);
        }
    }

    /// The criteria held: the coordinator is complete; idle agents' processes are ended (a
    /// message resumes them). Returns whether the loop goes on: it does while a coordinator
    /// conversation watches the session (its process is left alone).
    fn coordinator_complete(&self, session_id: &str) -> Result<bool> {
        let session = self.session_get(session_id)?;
        let watched = session.coordinator_agent.is_some();
        if !watched {
            locked(&self.inner.coordinators.loops).remove(session_id);
        }
        if session.coordinator == CoordinatorState::Complete {
            return Ok(watched);
        }
        session::coordinator_set(&self.inner.store.conn(), session_id, CoordinatorState::Complete)?;
        self.session_publish(session_id);
        for agent in self.agent_list(Some(session_id))? {
            if agent.state == crate::agent::AgentState::Waiting
                && session.coordinator_agent.as_deref() != Some(agent.id.as_str())
            {
                self.process_end(&agent.id);
            }
        }
        Ok(watched)
    }
}

/// Resolves when an agent or task of the session changed (or events were missed).
async fn wake(events: &mut broadcast::Receiver<EngineEvent>, session_id: &str) {
    loop {
        match events.recv().await {
            Ok(EngineEvent::AgentUpdated { agent }) if agent.session_id == session_id => return,
            Ok(EngineEvent::TaskUpdated { task }) if task.session_id == session_id => return,
            Ok(_) => {}
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, mpsc};
    use std::time::Duration;

    use super::CycleGate;

    #[test]
    fn sessions_cycle_apart_one_cycle_each_and_none_after_halt() {
        let gate = Arc::new(CycleGate::default());
        let a = gate.enter("a").expect("a cycles");
        // Another session is not held up by a's cycle.
        let b = gate.enter("b").expect("b cycles meanwhile");
        drop(b);
        // A second cycle of a waits for the first.
        let (tx, rx) = mpsc::channel();
        let second = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                let turn = gate.enter("a");
                tx.send(turn.is_some()).unwrap();
            })
        };
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "a's second cycle waits");
        drop(a);
        assert!(rx.recv_timeout(Duration::from_secs(5)).unwrap());
        second.join().unwrap();

        // Halting waits for the cycle in flight; none starts after.
        let c = gate.enter("c").expect("c cycles");
        let halted = Arc::new(AtomicBool::new(false));
        let halting = {
            let (gate, halted) = (gate.clone(), halted.clone());
            std::thread::spawn(move || {
                gate.halt();
                halted.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        assert!(!halted.load(Ordering::SeqCst), "halt waits for c's cycle");
        drop(c);
        halting.join().unwrap();
        assert!(halted.load(Ordering::SeqCst));
        assert!(gate.enter("d").is_none(), "no cycle once halted");
    }
}

//! Agent health: a sampler in the daemon measures each live agent's process group (CPU, memory,
//! threads) every `health.sampleSecs`, scores every agent and session, raises and resolves
//! alerts, ends idle agents' processes, and pauses and resumes every running agent at once. The
//! rules (score, alert conditions) are pure functions over a snapshot (`score.rs`, `alerts.rs`);
//! the sampler (`sampler.rs`) reads the snapshot, asks them, and writes what follows in one
//! transaction per tick. The formula is in `docs/health.md`.

pub mod alerts;
pub mod history;
mod pause;
pub mod sample;
mod sampler;
pub mod score;
pub mod tally;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use alerts::{Alert, AlertKind, AlertSeverity};
pub use history::HealthSample;
pub use score::{Deduction, DeductionKind, Score};

use crate::agent::record::{self, Agent, AgentState};
use crate::engine::Engine;
use crate::error::{ErrorCode, Result};
use crate::events::EngineEvent;
use crate::time;

#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("no alert has the id {0:?}; `baton alerts --all` lists them")]
    AlertNotFound(String),
}

impl HealthError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::AlertNotFound(_) => ErrorCode::NotFound,
        }
    }
}

/// One agent's health now: its latest sample, its score and what it last said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentHealth {
    pub agent_id: String,
    pub session_id: String,
    pub name: String,
    pub task_id: Option<String>,
    pub state: AgentState,
    pub paused: bool,
    /// Its idle process was ended (RFC 3339); a message resumes it.
    pub released_at: Option<String>,
    pub sample: Option<HealthSample>,
    pub score: Score,
    /// Its last line of output or action, in one line.
    pub last_line: Option<String>,
    /// RFC 3339.
    pub last_output_at: Option<String>,
    pub cost_usd: f64,
    /// Kinds of its open alerts.
    pub alerts: Vec<AlertKind>,
}

/// `GET /api/health/agents`: each agent's health, the session's score and the sampler's count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// The session's score (of the agents listed), 0-100.
    pub score: u8,
    pub agents: Vec<AgentHealth>,
    /// Every running agent is paused and coordinators start nothing ("pause all").
    pub paused_all: bool,
    /// Ticks the sampler has run since the daemon started.
    #[ts(type = "number")]
    pub sampler_ticks: u64,
    /// Seconds between samples (`health.sampleSecs`).
    pub sample_secs: f64,
}

/// `GET /api/health/sessions`: one session's health at a glance (Home, the sidebar).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionHealth {
    pub session_id: String,
    /// Its score, 0-100, as in its health report (`GET /api/health/agents?session=`).
    pub score: u8,
    /// Its open alerts the user has not acknowledged.
    pub alerts_open: u32,
}

/// What "pause all" or "resume all" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PauseReport {
    /// Whether everything is paused now.
    pub paused_all: bool,
    /// The agents paused (or resumed) by this call, by name.
    pub agents: Vec<String>,
}

/// Open alerts counted per session (more are shown as this many).
const ALERTS_COUNTED: usize = 999;

/// What the engine keeps for health between ticks and across requests.
#[derive(Default)]
pub(crate) struct HealthState {
    tallies: Mutex<HashMap<String, tally::Tally>>,
    paused_all: AtomicBool,
    /// Agents whose idle process is being ended (a message waits for the end, then resumes).
    /// A release is decided and sent under this lock, and a message checks it after it went
    /// out on stdin: a message that crossed a release is never lost.
    /// Each mark names the process it was sent to, so a mark outlives neither that process nor
    /// a new one started for a message meanwhile.
    pub(super) releasing: Mutex<HashMap<String, Option<u32>>>,
    ticks: AtomicU64,
    /// Held by "pause all", "resume all" and a process's start while each reads and marks: a
    /// process that starts while everything is being paused is either seen by "pause all" or
    /// pauses itself, never neither.
    pause_gate: Mutex<()>,
    /// Set when the engine closes: the sampler thread ends.
    stop: std::sync::Arc<(Mutex<bool>, Condvar)>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl HealthState {
    /// Applies an agent's event as it is recorded (the recorder thread).
    pub(crate) fn event_apply(&self, agent_id: &str, event: &crate::agent::AgentEvent, ts: i64, from_agent: bool) {
        let mut tallies = locked(&self.tallies);
        tallies.entry(agent_id.to_owned()).or_default().apply(event, ts, from_agent);
    }

    pub(crate) fn tally(&self, agent_id: &str) -> Option<tally::Tally> {
        locked(&self.tallies).get(agent_id).cloned()
    }

    pub(crate) fn paused_all(&self) -> bool {
        self.paused_all.load(Ordering::SeqCst)
    }

    /// Reads the stored "pause all" (it outlives a daemon restart) when the engine opens.
    pub(crate) fn paused_all_load(&self, conn: &rusqlite::Connection) -> Result<()> {
        self.paused_all.store(pause::paused_all_stored(conn)?, Ordering::SeqCst);
        Ok(())
    }

    /// Held while a process's start is recorded and, if everything is paused, marked paused
    /// (take it before the store's connection: "pause all" takes them in that order).
    pub(crate) fn pause_gate(&self) -> std::sync::MutexGuard<'_, ()> {
        locked(&self.pause_gate)
    }

    /// Forgets the tallies untouched since `cut` (ms) except those of `keep` (agents not ended,
    /// or with an open alert): an ended agent's tally goes an hour after its last event, and a
    /// removed agent's with it. A tally is rebuilt from the events of a process started later.
    pub(crate) fn tallies_prune(&self, keep: &[&str], cut: i64) {
        locked(&self.tallies).retain(|id, t| t.touched_at >= cut || keep.contains(&id.as_str()));
    }

    #[cfg(test)]
    pub(crate) fn tallies_len(&self) -> usize {
        locked(&self.tallies).len()
    }

    /// Whether the agent's process is being released; clears the mark (the caller waits for
    /// the end itself).
    pub(crate) fn releasing_take(&self, agent_id: &str) -> bool {
        locked(&self.releasing).remove(agent_id).is_some()
    }

    /// Forgets releases whose process has ended or been replaced: `live` is each live agent
    /// with its current process.
    pub(crate) fn releasing_retain(&self, live: &[(&str, Option<u32>)]) {
        locked(&self.releasing).retain(|id, pid| live.iter().any(|(l, p)| *l == id.as_str() && p == pid));
    }

    pub(crate) fn close(&self) {
        *locked(&self.stop.0) = true;
        self.stop.1.notify_all();
    }

    /// Waits up to `d`; false once the engine is closing.
    fn sleep_on(stop: &(Mutex<bool>, Condvar), d: std::time::Duration) -> bool {
        let stopped = locked(&stop.0);
        let (stopped, _) = stop.1.wait_timeout_while(stopped, d, |s| !*s).unwrap_or_else(|p| p.into_inner());
        !*stopped
    }
}

impl Engine {
    /// Each agent's latest sample, score, last line and open alerts: a session's agents (id or
    /// name), or, without one, every agent that is live or has an open alert.
    pub fn health_agents(&self, session: Option<&str>) -> Result<HealthReport> {
        let settings = self.settings()?.health;
        let now = time::now_ms();
        let agents = match session {
            Some(s) => self.agent_list(Some(s))?,
            None => {
                let open = alerts::alerts_open_by_agent(&self.inner.store.conn())?;
                self.agent_list(None)?.into_iter().filter(|a| !a.state.is_ended() || open.contains_key(&a.id)).collect()
            }
        };
        let open = alerts::alerts_open_by_agent(&self.inner.store.conn())?;
        let mut out = Vec::with_capacity(agents.len());
        let mut stall: HashMap<String, i64> = HashMap::new();
        for agent in &agents {
            let stall_ms = match stall.get(&agent.session_id) {
                Some(ms) => *ms,
                None => {
                    let ms = self.session_get(&agent.session_id)?.settings.stall().as_millis() as i64;
                    stall.insert(agent.session_id.clone(), ms);
                    ms
                }
            };
            let limits = score::Limits { stall_ms, memory_max_bytes: settings.memory_max_mb.saturating_mul(1 << 20) };
            let sample = history::sample_latest(&self.inner.store.conn(), &agent.id)?;
            // Growth over the window, as the sampler weighs it: from a sample at least a minute old.
            let rss_earlier = history::rss_since(&self.inner.store.conn(), &agent.id, now - score::WINDOW_MS)?
                .filter(|(ts, _)| now - ts >= 60_000)
                .map(|(_, b)| b);
            let tally = self.inner.health.tally(&agent.id);
            let (task_open, task_name) = self.task_brief(agent)?;
            let view = score::AgentView {
                agent,
                tally: tally.as_ref(),
                rss_bytes: sample.as_ref().filter(|_| agent.pid.is_some()).and_then(|s| s.rss_bytes),
                rss_earlier,
                task_open,
                task_name: task_name.as_deref(),
            };
            let score = score::agent_score(&view, &limits, now);
            out.push(AgentHealth {
                agent_id: agent.id.clone(),
                session_id: agent.session_id.clone(),
                name: agent.name.clone(),
                task_id: agent.task_id.clone(),
                state: agent.state,
                paused: agent.paused,
                released_at: agent.released_at.clone(),
                sample,
                score,
                last_line: tally.as_ref().and_then(|t| t.last_line.clone()),
                last_output_at: score::last_activity(&view).map(time::ms_to_rfc3339),
                cost_usd: agent.cost_usd,
                alerts: open.get(&agent.id).cloned().unwrap_or_default(),
            });
        }
        let scores: Vec<u8> = out.iter().map(|a| a.score.value).collect();
        Ok(HealthReport {
            score: score::session_score(&scores),
            agents: out,
            paused_all: self.inner.health.paused_all(),
            sampler_ticks: self.inner.health.ticks.load(Ordering::Relaxed),
            sample_secs: settings.sample_every().as_secs_f64(),
        })
    }

    /// Every session that has agents, with its score and open alerts (a session without agents
    /// has nothing to score and is left out).
    pub fn health_sessions(&self) -> Result<Vec<SessionHealth>> {
        let mut with_agents: Vec<String> = self.agent_list(None)?.into_iter().map(|a| a.session_id).collect();
        with_agents.sort();
        with_agents.dedup();
        let mut out = Vec::with_capacity(with_agents.len());
        for session_id in with_agents {
            let report = self.health_agents(Some(&session_id))?;
            let open = alerts::alert_list(&self.inner.store.conn(), Some(&session_id), false, ALERTS_COUNTED)?;
            out.push(SessionHealth {
                session_id,
                score: report.score,
                alerts_open: u32::try_from(open.len()).unwrap_or(u32::MAX),
            });
        }
        Ok(out)
    }

    /// An agent's samples since `since` (ms since the epoch), oldest first, at most `limit`.
    pub fn agent_samples(&self, id_or_name: &str, since: i64, limit: usize) -> Result<Vec<HealthSample>> {
        let agent = self.agent_get(id_or_name)?;
        history::samples_since(&self.inner.store.conn(), &agent.id, since, limit)
    }

    /// Alerts newest first, of one session or all: the open, unacknowledged ones, or (`all`)
    /// every one kept, at most `limit`.
    pub fn alert_list(&self, session: Option<&str>, all: bool, limit: usize) -> Result<Vec<Alert>> {
        let session_id = match session {
            Some(s) => Some(self.session_get(s)?.id),
            None => None,
        };
        alerts::alert_list(&self.inner.store.conn(), session_id.as_deref(), all, limit)
    }

    /// The user has seen the alert: it leaves the open list (it still resolves by itself).
    pub fn alert_acknowledge(&self, id: &str) -> Result<Alert> {
        self.write(|tx| {
            alerts::alert_get(tx, id)?;
            alerts::alert_acknowledge(tx, id, time::now_ms())?;
            let alert = alerts::alert_get(tx, id)?;
            tx.publish(EngineEvent::AlertUpdated { alert: alert.clone() });
            Ok(alert)
        })
    }

    /// Pauses every agent with a live process (SIGSTOP to its process group): working,
    /// waiting for a message or for an approval; one starting meanwhile pauses itself as it
    /// starts. Coordinators start no task until [`Engine::agents_resume_all`]. The state is
    /// stored: a daemon restart keeps it. A paused agent is never stalled.
    pub fn agents_pause_all(&self) -> Result<PauseReport> {
        let _gate = locked(&self.inner.health.pause_gate);
        let live: Vec<Agent> = self
            .agent_list(None)?
            .into_iter()
            .filter(|a| !a.state.is_ended() && !a.paused && a.pid.is_some() && self.process_live(&a.id))
            .collect();
        // Marked in one transaction from a fresh read (an agent removed or ended meanwhile is
        // left out); the processes are stopped only once that is committed, so a failure
        // leaves no process stopped that the store does not call paused.
        let marked = self.write(|tx| {
            pause::paused_all_store(tx, true, time::now_ms())?;
            let mut marked = Vec::new();
            for a in &live {
                let Ok(now) = record::agent_get(tx, &a.id) else { continue };
                if now.state.is_ended() || now.paused || now.pid.is_none() {
                    continue;
                }
                record::agent_paused_set(tx, &now.id, true)?;
                tx.publish(EngineEvent::AgentUpdated { agent: Box::new(record::agent_get(tx, &now.id)?) });
                marked.push((now.name, now.pid));
            }
            Ok(marked)
        })?;
        self.inner.health.paused_all.store(true, Ordering::SeqCst);
        for (_, pid) in &marked {
            crate::agent::supervisor::group_signal(*pid, rustix::process::Signal::STOP);
        }
        Ok(PauseReport { paused_all: true, agents: marked.into_iter().map(|(name, _)| name).collect() })
    }

    /// Continues every paused agent (SIGCONT to its group); coordinators start tasks again.
    pub fn agents_resume_all(&self) -> Result<PauseReport> {
        let _gate = locked(&self.inner.health.pause_gate);
        // Agents a budget paused stay paused: `baton resume AGENT` once the budget is raised.
        let paused: Vec<Agent> =
            self.agent_list(None)?.into_iter().filter(|a| a.paused && a.paused_reason.is_none()).collect();
        let resumed = self.write(|tx| {
            pause::paused_all_store(tx, false, time::now_ms())?;
            let mut resumed = Vec::new();
            for a in &paused {
                let Ok(now) = record::agent_get(tx, &a.id) else { continue };
                // Marked first: its silence counts from now, so it is not taken for stalled.
                record::agent_paused_set(tx, &now.id, false)?;
                tx.publish(EngineEvent::AgentUpdated { agent: Box::new(record::agent_get(tx, &now.id)?) });
                resumed.push((now.name, now.pid));
            }
            Ok(resumed)
        })?;
        self.inner.health.paused_all.store(false, Ordering::SeqCst);
        // Continued after the commit: a failure above leaves them paused, as the store says.
        for (_, pid) in &resumed {
            crate::agent::supervisor::group_signal(*pid, rustix::process::Signal::CONT);
        }
        Ok(PauseReport { paused_all: false, agents: resumed.into_iter().map(|(name, _)| name).collect() })
    }

    /// Whether this daemon supervises a process of the agent.
    pub(crate) fn process_live(&self, id: &str) -> bool {
        self.inner.agents().get(id).is_some_and(|s| s.live.is_some())
    }

    /// Whether the agent's task is still open, and its name.
    fn task_brief(&self, agent: &Agent) -> Result<(bool, Option<String>)> {
        let Some(task_id) = &agent.task_id else { return Ok((false, None)) };
        match crate::task::task_get(&self.inner.store.conn(), None, task_id) {
            Ok(task) => Ok((!task.state.is_final(), Some(task.name))),
            Err(e) if e.code() == crate::error::ErrorCode::NotFound => Ok((false, None)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::AgentEvent;

    #[test]
    fn tallies_of_agents_ended_an_hour_ago_are_forgotten_and_live_ones_kept() {
        let health = HealthState::default();
        let text = AgentEvent::Raw { line: "working".into() };
        let hour = history::FULL_RATE_MS;
        // Three agents heard of at 0: one still live, one ended without alerts, one with an
        // open alert; a fourth heard of just now.
        for id in ["agt_live", "agt_ended", "agt_alert"] {
            health.event_apply(id, &text, 0, true);
        }
        health.event_apply("agt_new", &text, 2 * hour, true);
        assert_eq!(health.tallies_len(), 4);
        health.tallies_prune(&["agt_live", "agt_alert"], 2 * hour - hour);
        let mut kept: Vec<String> = locked(&health.tallies).keys().cloned().collect();
        kept.sort();
        assert_eq!(kept, ["agt_alert", "agt_live", "agt_new"]);
        // Once its alert is gone, so is the tally.
        health.tallies_prune(&["agt_live"], hour);
        assert_eq!(health.tallies_len(), 2);
    }
}

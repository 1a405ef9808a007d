//! The sampler: one thread of the engine's (off the async runtime, since `/proc` and SQLite
//! block) that every `health.sampleSecs` reads the agents it watches, measures their process
//! groups, asks the pure rules for scores and alerts, and writes the tick's samples and alert
//! changes in one transaction (events published after the commit). Once a minute it applies the
//! retention. It also releases agents idle past `health.idleReleaseSecs`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use super::alerts::{self, Condition};
use super::history::{self, Measured, Written};
use super::sample::{self, CpuMeter};
use super::score::{self, AgentView, Limits};
use crate::agent::log::Note;
use crate::agent::record::{self, Agent, AgentState};
use crate::agent::supervisor::Control;
use crate::engine::{Engine, EngineState};
use crate::error::Result;
use crate::events::EngineEvent;
use crate::time;

/// How long an ended agent stays watched, and its tally kept, after its end or its last event.
pub(crate) const ENDED_WATCHED_MS: i64 = super::history::FULL_RATE_MS;

/// What the sampler remembers between ticks.
pub(crate) struct Sampler {
    meter: CpuMeter,
    /// What the last stored samples said (threads and state are stored when they change).
    written: Written,
    /// Per agent, its memory over the score's window (for growth).
    memory: HashMap<String, VecDeque<(i64, u64)>>,
    last_compact: i64,
    /// Agents that ended since then are still watched (a crash is seen).
    since: i64,
    ticks_per_second: u64,
    /// When the first silent agent reaches its stall time, if before the next tick: the sampler
    /// wakes then, so a stall is raised when it happens rather than up to a period later.
    next_stall_at: Option<i64>,
}

impl Sampler {
    pub(crate) fn new(since: i64) -> Self {
        Self {
            meter: CpuMeter::default(),
            written: Written::default(),
            memory: HashMap::new(),
            last_compact: since,
            since,
            ticks_per_second: procfs::ticks_per_second(),
            next_stall_at: None,
        }
    }
}

impl Engine {
    /// Starts the sampler thread; it ends when the engine closes or is dropped.
    pub(crate) fn sampler_start(&self) -> std::io::Result<()> {
        let weak: Weak<EngineState> = Arc::downgrade(&self.inner);
        let stop = self.inner.health.stop.clone();
        std::thread::Builder::new().name("baton-health".into()).spawn(move || {
            let mut sampler = Sampler::new(time::now_ms());
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let engine = Engine { inner };
                let every = match engine.settings() {
                    Ok(s) => s.health.sample_every(),
                    Err(_) => Duration::from_secs(2),
                };
                if let Err(e) = engine.health_tick(&mut sampler, time::now_ms()) {
                    tracing::warn!("the health sampler's tick failed: {e}");
                }
                // Not held while sleeping: the engine may go away meanwhile.
                drop(engine);
                let until_stall = sampler
                    .next_stall_at
                    .map(|at| Duration::from_millis(u64::try_from(at - time::now_ms()).unwrap_or(0)));
                if !super::HealthState::sleep_on(&stop, until_stall.map_or(every, |d| d.min(every))) {
                    return;
                }
            }
        })?;
        Ok(())
    }

    /// One tick of the sampler at `now`.
    pub(crate) fn health_tick(&self, s: &mut Sampler, now: i64) -> Result<()> {
        // A broken settings file is reported by every operation that reads it; sampling goes on.
        let settings = self.settings().map(|s| s.health).unwrap_or_default();
        let memory_max_bytes = settings.memory_max_mb.saturating_mul(1 << 20);
        // An agent that ended is watched for a while (its crash is seen), not for the daemon's life.
        let agents = record::agents_watched(&self.inner.store.conn(), s.since.max(now - ENDED_WATCHED_MS))?;
        let live: Vec<&Agent> = agents.iter().filter(|a| a.pid.is_some() && self.process_live(&a.id)).collect();
        let groups = sample::groups_read(
            &live.iter().filter_map(|a| a.pid.and_then(|p| i32::try_from(p).ok())).collect::<Vec<_>>(),
        );

        let mut stall: HashMap<&str, i64> = HashMap::new();
        let mut next_stall_at: Option<i64> = None;
        let mut holding: Vec<Condition> = Vec::new();
        let mut samples: Vec<Measured> = Vec::new();
        for a in &agents {
            let stall_ms = match stall.get(a.session_id.as_str()) {
                Some(ms) => *ms,
                None => {
                    let ms = self.session_get(&a.session_id)?.settings.stall().as_millis() as i64;
                    stall.insert(&a.session_id, ms);
                    ms
                }
            };
            let limits = Limits { stall_ms, memory_max_bytes };
            let tally = self.inner.health.tally(&a.id);
            let (task_open, task_name) = self.task_brief(a)?;
            let group =
                live.iter().any(|l| l.id == a.id).then(|| a.pid.and_then(|p| groups.get(&(p as i32)))).flatten();
            let cpu = group.and_then(|(_, members)| s.meter.update(&a.id, now, members, s.ticks_per_second));
            let rss = group.map(|(g, _)| g.rss_bytes);
            let rss_earlier = match rss {
                Some(bytes) => {
                    let window = s.memory.entry(a.id.clone()).or_default();
                    window.push_back((now, bytes));
                    while window.front().is_some_and(|(t, _)| now - t > score::WINDOW_MS) {
                        window.pop_front();
                    }
                    window.front().filter(|(t, _)| now - t >= 60_000).map(|(_, b)| *b)
                }
                None => None,
            };
            let view = AgentView {
                agent: a,
                tally: tally.as_ref(),
                rss_bytes: rss,
                rss_earlier,
                task_open,
                task_name: task_name.as_deref(),
            };
            let agent_score = score::agent_score(&view, &limits, now);
            holding.extend(alerts::conditions(&view, &limits, now));
            if let Some(silent) = score::silent_ms(&view, now).filter(|s| *s < stall_ms) {
                let at = now + (stall_ms - silent);
                next_stall_at = Some(next_stall_at.map_or(at, |n: i64| n.min(at)));
            }
            if let Some((g, _)) = group {
                samples.push(Measured {
                    agent_id: a.id.clone(),
                    ts: now,
                    cpu_pct: cpu,
                    rss_bytes: g.rss_bytes,
                    threads: g.threads,
                    score: agent_score.value,
                    state: a.state,
                    last_output_at: score::last_activity(&view),
                });
            }
        }

        let open = alerts::alerts_open(&self.inner.store.conn())?;
        let watched: Vec<&str> = agents.iter().map(|a| a.id.as_str()).collect();
        let plan = alerts::alerts_plan(holding, &open, &watched);
        let compact = now - s.last_compact >= 60_000;
        let written = &mut s.written;
        let wrote = self.write(|tx| {
            history::samples_insert(tx, &samples, written)?;
            for c in &plan.raise {
                let id = alerts::alert_insert(tx, c, now)?;
                tx.publish(EngineEvent::AlertUpdated { alert: alerts::alert_get(tx, &id)? });
            }
            for id in &plan.resolve {
                alerts::alert_resolve(tx, id, now)?;
                tx.publish(EngineEvent::AlertUpdated { alert: alerts::alert_get(tx, id)? });
            }
            if compact {
                history::samples_compact(tx, now)?;
                alerts::alerts_compact(tx, now)?;
            }
            Ok(())
        });
        if let Err(e) = wrote {
            // What it remembers of the samples stored was not stored: the next ones store all.
            s.written.clear();
            return Err(e);
        }
        if compact {
            s.last_compact = now;
        }
        s.next_stall_at = next_stall_at;
        let live_ids: Vec<&str> = live.iter().map(|a| a.id.as_str()).collect();
        s.meter.retain(&live_ids);
        s.written.retain(&live_ids);
        s.memory.retain(|id, _| live_ids.contains(&id.as_str()));
        let live_procs: Vec<(&str, Option<u32>)> = live.iter().map(|a| (a.id.as_str(), a.pid)).collect();
        self.inner.health.releasing_retain(&live_procs);
        if compact {
            let open: Vec<&str> = open.iter().map(|o| o.agent_id.as_str()).collect();
            let keep: Vec<&str> = agents
                .iter()
                .filter(|a| !a.state.is_ended() || open.contains(&a.id.as_str()))
                .map(|a| a.id.as_str())
                .collect();
            self.inner.health.tallies_prune(&keep, now - ENDED_WATCHED_MS);
        }
        let ticks = self.inner.health.ticks.fetch_add(1, Ordering::Relaxed) + 1;
        if !agents.is_empty() {
            self.inner.events.publish(EngineEvent::HealthSampled { ticks, at: now });
        }

        if settings.idle_release_secs > 0.0 {
            let idle_ms = (settings.idle_release_secs * 1000.0) as i64;
            for a in live.iter().filter(|a| releasable(a, now, idle_ms)) {
                self.agent_release(a, now, idle_ms);
            }
        }
        Ok(())
    }

    /// Ends an idle agent's process to free its memory; it stays `waiting` and the next
    /// message resumes its session.
    fn agent_release(&self, agent: &Agent, now: i64, idle_ms: i64) {
        let mut releasing = super::locked(&self.inner.health.releasing);
        if releasing.contains_key(&agent.id) {
            return;
        }
        // Still waiting now (a message may have come since the snapshot): a message sets the
        // agent running before it writes to stdin, and looks for a release after. Its idle time
        // is read again too: a turn may have ended since.
        let pid = match record::agent_get(&self.inner.store.conn(), &agent.id) {
            Ok(fresh) if fresh.state == AgentState::Waiting && !fresh.paused && fresh.pid == agent.pid => {
                if idle_since(&fresh).is_some_and(|t| now - t < idle_ms) {
                    return;
                }
                fresh.pid
            }
            _ => return,
        };
        let control = self.inner.agents().get(&agent.id).and_then(|s| s.live.as_ref().map(|l| l.control.clone()));
        let Some(control) = control else { return };
        let idle = idle_since(agent).map_or(0, |t| (now - t).max(0) / 1000);
        let message = format!(
            "waiting for {idle} s: its {} process was ended to free its memory (released). The next message \
             resumes its session.",
            agent.cli.as_str()
        );
        self.note_blocking(&agent.id, &Note::Notice { message });
        if control.send(Control::Release).is_ok() {
            releasing.insert(agent.id.clone(), pid);
        }
    }
}

/// When the agent began to wait: its last event or the last change of its record.
fn idle_since(a: &Agent) -> Option<i64> {
    [a.last_event_at.as_deref().and_then(time::rfc3339_to_ms), time::rfc3339_to_ms(&a.updated_at)]
        .into_iter()
        .flatten()
        .max()
}

/// An agent waiting for a message (not for the user's approval), with a session to resume,
/// idle at least `idle_ms`.
fn releasable(a: &Agent, now: i64, idle_ms: i64) -> bool {
    a.state == AgentState::Waiting
        && !a.paused
        && a.cli_session_id.is_some()
        && idle_since(a).is_some_and(|t| now - t >= idle_ms)
}

//! The samples kept: every sample for an hour (`health_raw`), then one average per agent and
//! minute for seven days (`health_minutes`), then nothing. Stored small (a day of 50 agents is a
//! few MB; docs/health.md, "Retention"):
//!
//! - an agent is a small integer (`health_agents`), and each agent's samples are one range of
//!   its table's primary key `(agent, time)`, so reads and the retention are range scans and no
//!   second index is kept;
//! - values are integers: CPU in tenths of a percent, memory in kB (pages are whole kB), the
//!   last output as its age at the sample;
//! - threads and state, which seldom change, are written when they change and in each agent's
//!   first sample of a minute (NULL: as the sample before), so a read looks back within a
//!   minute at most, and the retention, which moves whole minutes, never cuts a run.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::record::AgentState;
use crate::error::Result;

/// Every sample is kept this long...
pub const FULL_RATE_MS: i64 = 60 * 60 * 1000;
/// ...then one average a minute, this long.
pub const MINUTES_KEPT_MS: i64 = 7 * 24 * 60 * 60 * 1000;
const MINUTE_MS: i64 = 60_000;

/// One sample of an agent (or a one-minute average of older ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthSample {
    pub agent_id: String,
    /// Milliseconds since the epoch.
    #[ts(type = "number")]
    pub ts: i64,
    /// CPU of its whole process group, in % of one core (over 100 with several cores busy), to
    /// a tenth of a percent.
    pub cpu_pct: Option<f64>,
    /// Resident memory summed over its process group.
    #[ts(type = "number | null")]
    pub rss_bytes: Option<u64>,
    #[ts(type = "number | null")]
    pub threads: Option<u64>,
    pub score: u8,
    /// The agent's state then (none for an average).
    pub state: Option<String>,
    /// When it last printed something. Milliseconds since the epoch.
    #[ts(type = "number | null")]
    pub last_output_at: Option<i64>,
    /// A one-minute average of older samples.
    pub averaged: bool,
}

/// What the sampler measured of one agent at one tick: what `samples_insert` stores.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measured {
    pub agent_id: String,
    pub ts: i64,
    pub cpu_pct: Option<f64>,
    pub rss_bytes: u64,
    pub threads: u64,
    pub score: u8,
    pub state: AgentState,
    pub last_output_at: Option<i64>,
}

/// Per agent, the minute, threads and state of its last stored sample: the next sample stores
/// threads and state only if they changed or its minute is another. Forgotten (cleared) when a
/// write fails, so the next sample stores everything.
#[derive(Debug, Default)]
pub(crate) struct Written {
    last: HashMap<String, (i64, u64, AgentState)>,
}

impl Written {
    pub(crate) fn clear(&mut self) {
        self.last.clear();
    }

    /// Forgets agents no longer sampled.
    pub(crate) fn retain(&mut self, live: &[&str]) {
        self.last.retain(|id, _| live.contains(&id.as_str()));
    }
}

fn agent_key(conn: &Connection, agent_id: &str) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached("SELECT key FROM health_agents WHERE agent_id = ?1")?;
    Ok(stmt.query_row([agent_id], |r| r.get(0)).optional()?)
}

fn agent_key_make(conn: &Connection, agent_id: &str) -> Result<i64> {
    if let Some(key) = agent_key(conn, agent_id)? {
        return Ok(key);
    }
    conn.prepare_cached("INSERT INTO health_agents (agent_id) VALUES (?1)")?.execute([agent_id])?;
    Ok(conn.last_insert_rowid())
}

fn permille(pct: f64) -> i64 {
    (pct * 10.0).round() as i64
}

/// Writes a tick's samples (the caller's transaction makes them one write). The caller clears
/// `written` when the transaction does not commit.
pub(crate) fn samples_insert(conn: &Connection, samples: &[Measured], written: &mut Written) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO health_raw (agent, ts, cpu_permille, rss_kb, threads, score, state, output_age_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for s in samples {
        let key = agent_key_make(conn, &s.agent_id)?;
        let minute = s.ts.div_euclid(MINUTE_MS);
        let before = written.last.insert(s.agent_id.clone(), (minute, s.threads, s.state));
        let same_minute = before.is_some_and(|(m, ..)| m == minute);
        let threads = (!same_minute || before.is_some_and(|(_, t, _)| t != s.threads)).then_some(s.threads as i64);
        let state = (!same_minute || before.is_some_and(|(.., st)| st != s.state)).then_some(s.state.as_str());
        stmt.execute(params![
            key,
            s.ts,
            s.cpu_pct.map(permille),
            (s.rss_bytes / 1024) as i64,
            threads,
            s.score,
            state,
            s.last_output_at.map(|at| s.ts - at)
        ])?;
    }
    Ok(())
}

/// One minute of an agent's samples, added up.
#[derive(Default)]
struct MinuteSum {
    cpu: (i64, i64),
    rss: (i64, i64),
    threads: (i64, i64),
    score: (i64, i64),
    last_output_at: Option<i64>,
}

fn add(sum: &mut (i64, i64), value: Option<i64>) {
    if let Some(v) = value {
        *sum = (sum.0 + v, sum.1 + 1);
    }
}

fn mean(sum: (i64, i64)) -> Option<i64> {
    (sum.1 > 0).then(|| (sum.0 as f64 / sum.1 as f64).round() as i64)
}

/// Applies the retention, agent by agent over its key range: samples older than an hour become
/// one average per minute (whole minutes only, each once), averages older than seven days go,
/// and so do agents left with nothing. Returns the rows removed.
pub(crate) fn samples_compact(conn: &Connection, now: i64) -> Result<usize> {
    let cut = (now - FULL_RATE_MS).div_euclid(MINUTE_MS) * MINUTE_MS;
    // The first minute kept: its start is no older than seven days.
    let first_minute = (now - MINUTES_KEPT_MS + MINUTE_MS - 1).div_euclid(MINUTE_MS);
    let keys: Vec<i64> = conn
        .prepare_cached("SELECT key FROM health_agents")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut removed = 0;
    for key in keys {
        let mut minutes: Vec<(i64, MinuteSum)> = Vec::new();
        let mut threads: Option<i64> = None;
        {
            let mut stmt = conn.prepare_cached(
                "SELECT ts, cpu_permille, rss_kb, threads, score, output_age_ms FROM health_raw \
                 WHERE agent = ?1 AND ts < ?2 ORDER BY ts",
            )?;
            let mut rows = stmt.query(params![key, cut])?;
            while let Some(r) = rows.next()? {
                let ts: i64 = r.get(0)?;
                let minute = ts.div_euclid(MINUTE_MS);
                if minutes.last().is_none_or(|(m, _)| *m != minute) {
                    minutes.push((minute, MinuteSum::default()));
                }
                let Some((_, sum)) = minutes.last_mut() else { continue };
                threads = r.get::<_, Option<i64>>(3)?.or(threads);
                add(&mut sum.cpu, r.get(1)?);
                add(&mut sum.rss, r.get(2)?);
                add(&mut sum.threads, threads);
                add(&mut sum.score, r.get(4)?);
                let output = r.get::<_, Option<i64>>(5)?.map(|age| ts - age);
                sum.last_output_at = sum.last_output_at.max(output);
            }
        }
        let mut insert = conn.prepare_cached(
            "INSERT OR REPLACE INTO health_minutes (agent, minute, cpu_permille, rss_kb, threads, score, output_age_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (minute, sum) in &minutes {
            let start = minute * MINUTE_MS;
            let score = mean(sum.score).unwrap_or(100);
            let age = sum.last_output_at.map(|at| start - at);
            insert.execute(params![key, minute, mean(sum.cpu), mean(sum.rss), mean(sum.threads), score, age])?;
        }
        removed +=
            conn.prepare_cached("DELETE FROM health_raw WHERE agent = ?1 AND ts < ?2")?.execute(params![key, cut])?;
        removed += conn
            .prepare_cached("DELETE FROM health_minutes WHERE agent = ?1 AND minute < ?2")?
            .execute(params![key, first_minute])?;
        conn.prepare_cached(
            "DELETE FROM health_agents WHERE key = ?1 AND NOT EXISTS (SELECT 1 FROM health_raw WHERE agent = ?1) \
             AND NOT EXISTS (SELECT 1 FROM health_minutes WHERE agent = ?1)",
        )?
        .execute([key])?;
    }
    Ok(removed)
}

const RAW_COLUMNS: &str = "ts, cpu_permille, rss_kb, threads, score, state, output_age_ms";
const MINUTE_COLUMNS: &str = "minute, cpu_permille, rss_kb, threads, score, output_age_ms";

fn raw_from_row(agent_id: &str, r: &rusqlite::Row<'_>) -> rusqlite::Result<HealthSample> {
    let ts: i64 = r.get(0)?;
    Ok(HealthSample {
        agent_id: agent_id.to_owned(),
        ts,
        cpu_pct: r.get::<_, Option<i64>>(1)?.map(|p| p as f64 / 10.0),
        rss_bytes: r.get::<_, Option<i64>>(2)?.map(|kb| kb.max(0) as u64 * 1024),
        threads: r.get::<_, Option<i64>>(3)?.map(|t| t.max(0) as u64),
        score: r.get::<_, i64>(4)?.clamp(0, 100) as u8,
        state: r.get(5)?,
        last_output_at: r.get::<_, Option<i64>>(6)?.map(|age| ts - age),
        averaged: false,
    })
}

fn minute_from_row(agent_id: &str, r: &rusqlite::Row<'_>) -> rusqlite::Result<HealthSample> {
    let ts = r.get::<_, i64>(0)? * MINUTE_MS;
    Ok(HealthSample {
        agent_id: agent_id.to_owned(),
        ts,
        cpu_pct: r.get::<_, Option<i64>>(1)?.map(|p| p as f64 / 10.0),
        rss_bytes: r.get::<_, Option<i64>>(2)?.map(|kb| kb.max(0) as u64 * 1024),
        threads: r.get::<_, Option<i64>>(3)?.map(|t| t.max(0) as u64),
        score: r.get::<_, i64>(4)?.clamp(0, 100) as u8,
        state: None,
        last_output_at: r.get::<_, Option<i64>>(5)?.map(|age| ts - age),
        averaged: true,
    })
}

/// Fills the threads and state a sample did not repeat from the ones before it (`samples`:
/// consecutive raw samples of one agent, oldest first).
fn carry_forward(conn: &Connection, key: i64, samples: &mut [HealthSample]) -> Result<()> {
    let Some(first) = samples.first() else { return Ok(()) };
    let (mut threads, mut state) = (None, None);
    if first.threads.is_none() || first.state.is_none() {
        // The minute's first sample has both: the look back ends there.
        let mut stmt =
            conn.prepare_cached("SELECT threads, state FROM health_raw WHERE agent = ?1 AND ts < ?2 ORDER BY ts DESC")?;
        let mut rows = stmt.query(params![key, first.ts])?;
        while let Some(r) = rows.next()? {
            threads = threads.or(r.get::<_, Option<i64>>(0)?.map(|t| t.max(0) as u64));
            state = state.or(r.get::<_, Option<String>>(1)?);
            if threads.is_some() && state.is_some() {
                break;
            }
        }
    }
    for s in samples {
        threads = s.threads.or(threads);
        state = s.state.take().or(state);
        s.threads = threads;
        s.state.clone_from(&state);
    }
    Ok(())
}

/// An agent's samples since `since` (ms), oldest first, at most `limit` (the newest ones).
pub(crate) fn samples_since(conn: &Connection, agent_id: &str, since: i64, limit: usize) -> Result<Vec<HealthSample>> {
    let Some(key) = agent_key(conn, agent_id)? else { return Ok(Vec::new()) };
    let mut raw = conn
        .prepare_cached(&format!(
            "SELECT {RAW_COLUMNS} FROM health_raw WHERE agent = ?1 AND ts >= ?2 ORDER BY ts DESC LIMIT ?3"
        ))?
        .query_map(params![key, since, limit as i64], |r| raw_from_row(agent_id, r))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.reverse();
    carry_forward(conn, key, &mut raw)?;
    if raw.len() >= limit {
        return Ok(raw);
    }
    // The averages are older than every raw sample: they fill the rest of the window.
    let before = raw.first().map_or(i64::MAX, |s| s.ts);
    let mut out = conn
        .prepare_cached(&format!(
            "SELECT {MINUTE_COLUMNS} FROM health_minutes WHERE agent = ?1 AND minute >= ?2 AND minute * 60000 < ?3 \
             ORDER BY minute DESC LIMIT ?4"
        ))?
        .query_map(
            params![key, (since + MINUTE_MS - 1).div_euclid(MINUTE_MS), before, (limit - raw.len()) as i64],
            |r| minute_from_row(agent_id, r),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    out.reverse();
    out.extend(raw);
    Ok(out)
}

/// The memory of an agent's oldest sample from `since` on (for growth over a window).
pub(crate) fn rss_since(conn: &Connection, agent_id: &str, since: i64) -> Result<Option<(i64, u64)>> {
    let Some(key) = agent_key(conn, agent_id)? else { return Ok(None) };
    let averaged = conn
        .prepare_cached(
            "SELECT minute * 60000, rss_kb FROM health_minutes WHERE agent = ?1 AND minute >= ?2 AND rss_kb IS NOT NULL \
             ORDER BY minute LIMIT 1",
        )?
        .query_row(params![key, (since + MINUTE_MS - 1).div_euclid(MINUTE_MS)], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let found: Option<(i64, i64)> = match averaged {
        Some(found) => Some(found),
        None => conn
            .prepare_cached(
                "SELECT ts, rss_kb FROM health_raw WHERE agent = ?1 AND ts >= ?2 AND rss_kb IS NOT NULL ORDER BY ts LIMIT 1",
            )?
            .query_row(params![key, since], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
    };
    Ok(found.map(|(ts, kb)| (ts, kb.max(0) as u64 * 1024)))
}

/// The newest sample of an agent.
pub(crate) fn sample_latest(conn: &Connection, agent_id: &str) -> Result<Option<HealthSample>> {
    let Some(key) = agent_key(conn, agent_id)? else { return Ok(None) };
    let raw = conn
        .prepare_cached(&format!("SELECT {RAW_COLUMNS} FROM health_raw WHERE agent = ?1 ORDER BY ts DESC LIMIT 1"))?
        .query_row([key], |r| raw_from_row(agent_id, r))
        .optional()?;
    if let Some(sample) = raw {
        let mut one = [sample];
        carry_forward(conn, key, &mut one)?;
        let [sample] = one;
        return Ok(Some(sample));
    }
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MINUTE_COLUMNS} FROM health_minutes WHERE agent = ?1 ORDER BY minute DESC LIMIT 1"
        ))?
        .query_row([key], |r| minute_from_row(agent_id, r))
        .optional()?)
}

#[cfg(test)]
mod tests;

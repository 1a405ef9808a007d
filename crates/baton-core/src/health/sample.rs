//! Measuring agents' process groups from `/proc` (through the `procfs` crate: one read of
//! `/proc/PID/stat` per process per tick gives its group, CPU ticks, resident pages and threads),
//! and keeping the samples in `health_samples` with bounded retention: every sample for an hour,
//! then one average per minute for seven days, then nothing.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::Result;

/// Every sample is kept this long...
pub const FULL_RATE_MS: i64 = 60 * 60 * 1000;
/// ...then one average a minute, this long.
pub const MINUTES_KEPT_MS: i64 = 7 * 24 * 60 * 60 * 1000;
const MINUTE_MS: i64 = 60_000;

/// What one process group uses, summed over its processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupUse {
    pub processes: usize,
    pub rss_bytes: u64,
    pub threads: u64,
}

/// Reads every process once and sums those of the wanted groups. Per group: its use, and each
/// member's CPU ticks (for deltas across ticks).
pub fn groups_read(groups: &[i32]) -> HashMap<i32, (GroupUse, Vec<(i32, u64)>)> {
    let mut out: HashMap<i32, (GroupUse, Vec<(i32, u64)>)> = HashMap::new();
    if groups.is_empty() {
        return out;
    }
    let page = procfs::page_size();
    let Ok(all) = procfs::process::all_processes() else { return out };
    for process in all.flatten() {
        // A process that ended between the listing and the read is simply not counted.
        let Ok(stat) = process.stat() else { continue };
        if !groups.contains(&stat.pgrp) {
            continue;
        }
        let entry = out.entry(stat.pgrp).or_default();
        entry.0.processes += 1;
        entry.0.rss_bytes += stat.rss.saturating_mul(page);
        entry.0.threads += u64::try_from(stat.num_threads).unwrap_or(0);
        entry.1.push((stat.pid, stat.utime + stat.stime));
    }
    out
}

/// Turns per-process CPU ticks into a group's share of one core between two reads. A process
/// seen for the first time started since the last read (every group is read every tick), so all
/// its ticks are new; one that ended takes its ticks with it (they are not counted).
#[derive(Debug, Default)]
pub struct CpuMeter {
    last: HashMap<String, (i64, HashMap<i32, u64>)>,
}

impl CpuMeter {
    /// The percentage of one core used by `agent`'s group since its previous read (`None` on the
    /// first read). `ticks_per_second`: the kernel's clock ticks (USER_HZ).
    pub fn update(&mut self, agent: &str, now_ms: i64, members: &[(i32, u64)], ticks_per_second: u64) -> Option<f64> {
        let current: HashMap<i32, u64> = members.iter().copied().collect();
        let previous = self.last.insert(agent.to_owned(), (now_ms, current.clone()));
        let (then, before) = previous?;
        let elapsed_ms = now_ms - then;
        if elapsed_ms <= 0 || ticks_per_second == 0 {
            return None;
        }
        let ticks: u64 = current.iter().map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or(0))).sum();
        Some(ticks as f64 * 1000.0 * 100.0 / ticks_per_second as f64 / elapsed_ms as f64)
    }

    /// Forgets agents no longer sampled.
    pub fn retain(&mut self, live: &[&str]) {
        self.last.retain(|id, _| live.contains(&id.as_str()));
    }
}

/// One sample of an agent (or a one-minute average of older ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthSample {
    pub agent_id: String,
    /// Milliseconds since the epoch.
    #[ts(type = "number")]
    pub ts: i64,
    /// CPU of its whole process group, in % of one core (over 100 with several cores busy).
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

/// Writes a tick's samples (the caller's transaction makes them one write).
pub(crate) fn samples_insert(conn: &Connection, samples: &[HealthSample]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR REPLACE INTO health_samples (agent_id, ts, cpu_pct, rss_bytes, threads, score, state, last_output_at, averaged) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)",
    )?;
    for s in samples {
        stmt.execute(params![
            s.agent_id,
            s.ts,
            s.cpu_pct,
            s.rss_bytes.map(|b| b as i64),
            s.threads.map(|t| t as i64),
            s.score,
            s.state,
            s.last_output_at
        ])?;
    }
    Ok(())
}

/// Applies the retention: samples older than an hour become one average per agent and minute
/// (whole minutes only, each once), averages older than seven days go. Returns the rows removed.
pub(crate) fn samples_compact(conn: &Connection, now: i64) -> Result<usize> {
    let cut = (now - FULL_RATE_MS).div_euclid(MINUTE_MS) * MINUTE_MS;
    conn.execute(
        "INSERT OR REPLACE INTO health_samples (agent_id, ts, cpu_pct, rss_bytes, threads, score, state, last_output_at, averaged) \
         SELECT agent_id, (ts / 60000) * 60000, avg(cpu_pct), CAST(avg(rss_bytes) AS INTEGER), CAST(avg(threads) AS INTEGER), \
                CAST(round(avg(score)) AS INTEGER), NULL, max(last_output_at), 1 \
         FROM health_samples WHERE averaged = 0 AND ts < ?1 GROUP BY agent_id, ts / 60000",
        [cut],
    )?;
    let raw = conn.execute("DELETE FROM health_samples WHERE averaged = 0 AND ts < ?1", [cut])?;
    // `averaged IN (0, 1)` lets the (averaged, ts) index find them: no scan of the table.
    let old =
        conn.execute("DELETE FROM health_samples WHERE averaged IN (0, 1) AND ts < ?1", [now - MINUTES_KEPT_MS])?;
    Ok(raw + old)
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<HealthSample> {
    Ok(HealthSample {
        agent_id: r.get(0)?,
        ts: r.get(1)?,
        cpu_pct: r.get(2)?,
        rss_bytes: r.get::<_, Option<i64>>(3)?.map(|b| b.max(0) as u64),
        threads: r.get::<_, Option<i64>>(4)?.map(|t| t.max(0) as u64),
        score: r.get::<_, i64>(5)?.clamp(0, 100) as u8,
        state: r.get(6)?,
        last_output_at: r.get(7)?,
        averaged: r.get(8)?,
    })
}

const COLUMNS: &str = "agent_id, ts, cpu_pct, rss_bytes, threads, score, state, last_output_at, averaged";

/// An agent's samples since `since` (ms), oldest first, at most `limit` (the newest ones).
pub(crate) fn samples_since(conn: &Connection, agent_id: &str, since: i64, limit: usize) -> Result<Vec<HealthSample>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM (SELECT {COLUMNS} FROM health_samples WHERE agent_id = ?1 AND ts >= ?2 ORDER BY ts DESC LIMIT ?3) \
         ORDER BY ts"
    ))?;
    let rows =
        stmt.query_map(params![agent_id, since, limit as i64], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The memory of an agent's oldest sample from `since` on (for growth over a window).
pub(crate) fn rss_since(conn: &Connection, agent_id: &str, since: i64) -> Result<Option<(i64, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT ts, rss_bytes FROM health_samples WHERE agent_id = ?1 AND ts >= ?2 AND rss_bytes IS NOT NULL \
         ORDER BY ts LIMIT 1",
    )?;
    let mut rows = stmt.query_map(params![agent_id, since], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.next().transpose()?.map(|(ts, b)| (ts, b.max(0) as u64)))
}

/// The newest sample of an agent.
pub(crate) fn sample_latest(conn: &Connection, agent_id: &str) -> Result<Option<HealthSample>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM health_samples WHERE agent_id = ?1 ORDER BY ts DESC LIMIT 1"
    ))?;
    let mut rows = stmt.query_map([agent_id], from_row)?;
    Ok(rows.next().transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_the_delta_of_the_groups_ticks_over_the_time_between_reads() {
        let mut m = CpuMeter::default();
        assert_eq!(m.update("a", 0, &[(10, 100)], 100), None);
        // 100 ticks at 100 per second over 2 s: half a core. A new child's ticks all count.
        assert_eq!(m.update("a", 2_000, &[(10, 150), (11, 50)], 100), Some(100.0 * 100.0 / 100.0 / 2.0));
        // A child that ended takes its ticks with it: never negative.
        assert_eq!(m.update("a", 4_000, &[(10, 150)], 100), Some(0.0));
    }

    /// A day of 50 agents sampled every 2 s, with the retention applied every simulated minute
    /// as the sampler does: the table holds the last hour at full rate and minute averages
    /// before it, and no more. The numbers are in docs/perf.md.
    #[test]
    fn a_simulated_day_of_50_agents_stays_bounded() {
        const AGENTS: usize = 50;
        const EVERY_MS: i64 = 2_000;
        const DAY_MS: i64 = 24 * 60 * 60 * 1000;
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&tmp.path().join("baton.db")).unwrap();
        let mut conn = store.conn();
        conn.execute(
            "INSERT INTO sessions (id, name, repo, created_at, updated_at) VALUES ('ses', 's', '/r', 0, 0)",
            [],
        )
        .unwrap();
        let ids: Vec<String> = (0..AGENTS).map(|i| format!("agt_{i:010}")).collect();
        for id in &ids {
            conn.execute(
                "INSERT INTO agents (id, session_id, name, cli, cwd, log_path, created_at, updated_at) \
                 VALUES (?1, 'ses', ?1, 'claude', '/r', '/l', 0, 0)",
                [id],
            )
            .unwrap();
        }
        let start: i64 = 1_700_000_000_000;
        let clock = std::time::Instant::now();
        let mut t = start;
        while t < start + DAY_MS {
            // A simulated minute of ticks, then the retention, as the sampler runs them.
            let tx = conn.transaction().unwrap();
            let minute_end = t + 60_000;
            while t < minute_end {
                // Every agent's sample of this tick in one statement (the rows the sampler's
                // `samples_insert` writes; generated in SQL so a day takes seconds, not minutes).
                tx.execute(
                    "INSERT INTO health_samples (agent_id, ts, cpu_pct, rss_bytes, threads, score, state, last_output_at) \
                     SELECT id, ?1, (CAST(substr(id, -2) AS INTEGER) % 100) + 0.5, 300 * 1048576, 12, 90, 'running', ?1 - 1000 \
                     FROM agents",
                    [t],
                )
                .unwrap();
                t += EVERY_MS;
            }
            samples_compact(&tx, t).unwrap();
            tx.commit().unwrap();
        }
        let elapsed = clock.elapsed();
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        let raw = count("SELECT count(*) FROM health_samples WHERE averaged = 0");
        let averaged = count("SELECT count(*) FROM health_samples WHERE averaged = 1");
        // The last hour at full rate (the cut falls on a minute), 23 hours of minutes before it.
        let per_agent_raw = FULL_RATE_MS / EVERY_MS;
        assert!(raw <= (per_agent_raw + 30) * AGENTS as i64 && raw >= per_agent_raw * AGENTS as i64, "{raw}");
        assert_eq!(averaged, (DAY_MS - FULL_RATE_MS) / MINUTE_MS * AGENTS as i64);
        // An average keeps the samples' values.
        let (cpu, rss): (f64, i64) = conn
            .query_row(
                "SELECT cpu_pct, rss_bytes FROM health_samples WHERE averaged = 1 AND agent_id = ?1 LIMIT 1",
                [&ids[7]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((cpu, rss), (7.5, 300 << 20));
        // The samples the sampler writes are these rows.
        let one = HealthSample {
            agent_id: ids[0].clone(),
            ts: t,
            cpu_pct: Some(0.5),
            rss_bytes: Some(300 << 20),
            threads: Some(12),
            score: 90,
            state: Some("running".into()),
            last_output_at: Some(t - 1_000),
            averaged: false,
        };
        samples_insert(&conn, std::slice::from_ref(&one)).unwrap();
        assert_eq!(samples_since(&conn, &ids[0], t, 10).unwrap(), [one]);
        conn.execute_batch("VACUUM").unwrap();
        let bytes = count("PRAGMA page_count") * count("PRAGMA page_size");
        println!(
            "simulated day of {AGENTS} agents every {} s: {raw} full-rate rows, {averaged} minute averages, \
             database {:.1} MB after VACUUM, simulated in {:.1} s",
            EVERY_MS / 1000,
            bytes as f64 / 1e6,
            elapsed.as_secs_f64()
        );
        // A week of 50 agents at this size is bounded too; a day stays well under 20 MB.
        assert!(bytes < 20_000_000, "{bytes} bytes");
    }

    #[test]
    fn this_process_group_is_read_from_proc() {
        let me = rustix::process::getpgrp().as_raw_nonzero().get();
        let read = groups_read(&[me]);
        let (group, members) = &read[&me];
        assert!(group.processes >= 1 && group.rss_bytes > 0 && group.threads >= 1);
        assert!(members.iter().any(|(pid, _)| *pid == std::process::id() as i32));
    }
}

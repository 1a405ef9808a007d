use super::*;

fn store_with_agents(n: usize) -> (tempfile::TempDir, crate::store::Store, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(&tmp.path().join("baton.db")).unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("agt_{i:010}")).collect();
    {
        let conn = store.conn();
        conn.execute(
            "INSERT INTO sessions (id, name, repo, created_at, updated_at) VALUES ('ses', 's', '/r', 0, 0)",
            [],
        )
        .unwrap();
        for id in &ids {
            conn.execute(
                "INSERT INTO agents (id, session_id, name, cli, cwd, log_path, created_at, updated_at) \
                 VALUES (?1, 'ses', ?1, 'claude', '/r', '/l', 0, 0)",
                [id],
            )
            .unwrap();
        }
    }
    (tmp, store, ids)
}

fn measured(agent: &str, ts: i64, threads: u64, state: AgentState) -> Measured {
    Measured {
        agent_id: agent.to_owned(),
        ts,
        cpu_pct: Some(12.34),
        rss_bytes: 300 << 20,
        threads,
        score: 90,
        state,
        last_output_at: Some(ts - 1_500),
    }
}

/// Threads and state are stored when they change and in each minute's first sample; every
/// read gives them on every sample, wherever its window starts, and the averages keep the
/// values the samples had.
#[test]
fn seldom_changing_values_are_stored_once_and_read_on_every_sample() {
    let (_tmp, store, ids) = store_with_agents(1);
    let conn = store.conn();
    let agent = &ids[0];
    let t0: i64 = 1_700_000_020_000; // 40 s into a minute
    let mut written = Written::default();
    let mut all = Vec::new();
    for i in 0..40 {
        let ts = t0 + i * 2_000;
        // 12 threads, then 14 from the 10th sample on; working, then waiting from the 30th.
        let threads = if i < 10 { 12 } else { 14 };
        let state = if i < 30 { AgentState::Running } else { AgentState::Waiting };
        let m = measured(agent, ts, threads, state);
        samples_insert(&conn, std::slice::from_ref(&m), &mut written).unwrap();
        all.push(m);
    }
    let stored: i64 = conn
        .query_row("SELECT count(*) FROM health_raw WHERE threads IS NOT NULL OR state IS NOT NULL", [], |r| r.get(0))
        .unwrap();
    // The first sample, the first of the next minute (at 60 s, the 10th), the change of threads
    // (also the 10th), the next minute's first (the 40th is past it: the 40th sample is at
    // 118 s, so none), and the change of state (the 30th).
    assert_eq!(stored, 3, "only changes and minutes' first samples store them");

    let expect = |m: &Measured| HealthSample {
        agent_id: m.agent_id.clone(),
        ts: m.ts,
        cpu_pct: Some(12.3),
        rss_bytes: Some(300 << 20),
        threads: Some(m.threads),
        score: 90,
        state: Some(m.state.as_str().to_owned()),
        last_output_at: m.last_output_at,
        averaged: false,
    };
    // A window that starts mid-run: the values come from before it.
    let read = samples_since(&conn, agent, all[25].ts, 100).unwrap();
    assert_eq!(read, all[25..].iter().map(expect).collect::<Vec<_>>());
    let last = samples_since(&conn, agent, 0, 3).unwrap();
    assert_eq!(last, all[37..].iter().map(expect).collect::<Vec<_>>());
    assert_eq!(sample_latest(&conn, agent).unwrap(), Some(expect(&all[39])));
    assert_eq!(rss_since(&conn, agent, t0).unwrap(), Some((t0, 300 << 20)));

    // An hour and more later, the retention averages the whole minutes.
    let now = t0 + FULL_RATE_MS + 3 * MINUTE_MS;
    let removed = samples_compact(&conn, now).unwrap();
    assert_eq!(removed, 40);
    let minutes = samples_since(&conn, agent, 0, 100).unwrap();
    let first_minute = t0.div_euclid(MINUTE_MS) * MINUTE_MS;
    let average = |ts: i64, threads: u64, last: &Measured| HealthSample {
        agent_id: agent.clone(),
        ts,
        cpu_pct: Some(12.3),
        rss_bytes: Some(300 << 20),
        threads: Some(threads),
        score: 90,
        state: None,
        last_output_at: last.last_output_at,
        averaged: true,
    };
    assert_eq!(
        minutes,
        [
            // 40 s to 58 s: 10 samples of 12 threads.
            average(first_minute, 12, &all[9]),
            // The next minute: 30 samples of 14.
            average(first_minute + MINUTE_MS, 14, &all[39]),
        ]
    );
}

/// A write that did not commit is forgotten: the next sample stores everything again.
#[test]
fn a_cleared_memory_stores_everything_again() {
    let (_tmp, store, ids) = store_with_agents(1);
    let mut conn = store.conn();
    let mut written = Written::default();
    let t0: i64 = 1_700_000_000_000;
    samples_insert(&conn, &[measured(&ids[0], t0, 12, AgentState::Running)], &mut written).unwrap();
    {
        let tx = conn.transaction().unwrap();
        samples_insert(&tx, &[measured(&ids[0], t0 + 2_000, 13, AgentState::Running)], &mut written).unwrap();
        tx.rollback().unwrap();
    }
    written.clear();
    samples_insert(&conn, &[measured(&ids[0], t0 + 4_000, 13, AgentState::Running)], &mut written).unwrap();
    let read = samples_since(&conn, &ids[0], 0, 10).unwrap();
    assert_eq!(read.iter().map(|s| s.threads).collect::<Vec<_>>(), [Some(12), Some(13)]);
}

/// A day of 50 agents sampled every 2 s, with the retention applied every simulated minute as
/// the sampler does: the tables hold the last hour at full rate and minute averages before it,
/// and no more. The numbers are in docs/perf.md.
#[test]
fn a_simulated_day_of_50_agents_stays_bounded() {
    const AGENTS: usize = 50;
    const EVERY_MS: i64 = 2_000;
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let (_tmp, store, ids) = store_with_agents(AGENTS);
    let mut conn = store.conn();
    let start: i64 = 1_700_000_000_000;
    // Every agent's first sample, through the sampler's own write.
    let mut written = Written::default();
    let first: Vec<Measured> = ids.iter().map(|id| measured(id, start - EVERY_MS, 12, AgentState::Running)).collect();
    samples_insert(&conn, &first, &mut written).unwrap();
    let clock = std::time::Instant::now();
    let mut compacting = std::time::Duration::ZERO;
    let mut t = start;
    while t < start + DAY_MS {
        // A simulated minute of ticks, then the retention, as the sampler runs them.
        let tx = conn.transaction().unwrap();
        let minute_end = t + 60_000;
        while t < minute_end {
            // Every agent's sample of this tick in one statement: the rows the sampler's
            // `samples_insert` writes (threads and state in a minute's first sample only; CPU
            // from 0.5% to 99.5%, 300 MB, printed a second ago), generated in SQL so a day takes
            // seconds, not minutes.
            tx.execute(
                "INSERT INTO health_raw (agent, ts, cpu_permille, rss_kb, threads, score, state, output_age_ms) \
                 SELECT k.key, ?1, (CAST(substr(a.id, -2) AS INTEGER) % 100) * 10 + 5, 300 * 1024, \
                        CASE WHEN ?1 / 60000 <> (?1 - ?2) / 60000 THEN 12 END, 90, \
                        CASE WHEN ?1 / 60000 <> (?1 - ?2) / 60000 THEN 'running' END, 1000 \
                 FROM agents a JOIN health_agents k ON k.agent_id = a.id",
                [t, EVERY_MS],
            )
            .unwrap();
            t += EVERY_MS;
        }
        let c = std::time::Instant::now();
        samples_compact(&tx, t).unwrap();
        compacting += c.elapsed();
        tx.commit().unwrap();
    }
    let elapsed = clock.elapsed();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let raw = count("SELECT count(*) FROM health_raw");
    let averaged = count("SELECT count(*) FROM health_minutes");
    // The last hour at full rate (the cut falls on a minute), 23 hours of minutes before it.
    let per_agent_raw = FULL_RATE_MS / EVERY_MS;
    assert!(raw <= (per_agent_raw + 30) * AGENTS as i64 && raw >= per_agent_raw * AGENTS as i64, "{raw}");
    assert_eq!(averaged, (DAY_MS - FULL_RATE_MS) / MINUTE_MS * AGENTS as i64);
    // An average keeps the samples' values.
    let day = samples_since(&conn, &ids[7], t - DAY_MS, 100_000).unwrap();
    let one = day.iter().find(|s| s.averaged && s.ts > start).unwrap();
    assert_eq!((one.cpu_pct, one.rss_bytes, one.threads, one.score), (Some(7.5), Some(300 << 20), Some(12), 90));
    assert_eq!(one.last_output_at, Some(one.ts + MINUTE_MS - EVERY_MS - 1_000), "the minute's last output");
    // Every full-rate sample reads with its threads and state.
    let hour = day.iter().filter(|s| !s.averaged).collect::<Vec<_>>();
    assert!(hour.iter().all(|s| s.threads == Some(12) && s.state.as_deref() == Some("running")));
    assert_eq!(hour.len() as i64, raw / AGENTS as i64);
    // What a chart reads: the last 15 minutes of one agent.
    let c = std::time::Instant::now();
    let charted = samples_since(&conn, &ids[3], t - 15 * MINUTE_MS, 1000).unwrap();
    let chart_read = c.elapsed();
    assert_eq!(charted.len(), 450);
    let used = (count("PRAGMA page_count") - count("PRAGMA freelist_count")) * count("PRAGMA page_size");
    conn.execute_batch("VACUUM").unwrap();
    let bytes = count("PRAGMA page_count") * count("PRAGMA page_size");
    println!(
        "simulated day of {AGENTS} agents every {} s: {raw} full-rate rows, {averaged} minute averages, \
         database {:.1} MB in use before VACUUM, {:.1} MB after; retention {:.2} ms a minute on average; \
         a chart's 15 minutes read in {:.2} ms; simulated in {:.1} s",
        EVERY_MS / 1000,
        used as f64 / 1e6,
        bytes as f64 / 1e6,
        compacting.as_secs_f64() * 1000.0 / (DAY_MS / MINUTE_MS) as f64,
        chart_read.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64()
    );
    // A day stays under 5 MB.
    assert!(bytes < 5_000_000, "{bytes} bytes");
}

/// A database written before this layout keeps its samples: raw ones and averages read as
/// they were (CPU to a tenth of a percent).
#[test]
fn the_samples_of_the_former_table_are_carried_across() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("baton.db");
    {
        let conn = Connection::open(&path).unwrap();
        for (_, _, sql) in crate::store::MIGRATIONS.iter().filter(|m| m.0 <= 13) {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 13;
             INSERT INTO sessions (id, name, repo, created_at, updated_at) VALUES ('ses', 's', '/r', 0, 0);
             INSERT INTO agents (id, session_id, name, cli, cwd, log_path, created_at, updated_at)
                 VALUES ('agt_1', 'ses', 'a', 'claude', '/r', '/l', 0, 0);
             INSERT INTO health_samples (agent_id, ts, cpu_pct, rss_bytes, threads, score, state, last_output_at, averaged)
                 VALUES ('agt_1', 1700000040000, 3.25, 104857600, 9, 80, NULL, 1700000030000, 1),
                        ('agt_1', 1700003600000, 51.04, 209715200, 11, 100, 'running', 1700003599000, 0);",
        )
        .unwrap();
    }
    let store = crate::store::Store::open(&path).unwrap();
    let conn = store.conn();
    let read = samples_since(&conn, "agt_1", 0, 10).unwrap();
    assert_eq!(
        read,
        [
            HealthSample {
                agent_id: "agt_1".into(),
                ts: 1_700_000_040_000,
                cpu_pct: Some(3.3),
                rss_bytes: Some(100 << 20),
                threads: Some(9),
                score: 80,
                state: None,
                last_output_at: Some(1_700_000_030_000),
                averaged: true,
            },
            HealthSample {
                agent_id: "agt_1".into(),
                ts: 1_700_003_600_000,
                cpu_pct: Some(51.0),
                rss_bytes: Some(200 << 20),
                threads: Some(11),
                score: 100,
                state: Some("running".into()),
                last_output_at: Some(1_700_003_599_000),
                averaged: false,
            },
        ]
    );
    let gone: i64 =
        conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'health_samples'", [], |r| r.get(0)).unwrap();
    assert_eq!(gone, 0);
}

/// Removing an agent (with its session) removes its samples and averages.
#[test]
fn an_agents_samples_go_with_it() {
    let (_tmp, store, ids) = store_with_agents(2);
    let conn = store.conn();
    let mut written = Written::default();
    let t0: i64 = 1_700_000_000_000;
    for id in &ids {
        samples_insert(&conn, &[measured(id, t0, 12, AgentState::Running)], &mut written).unwrap();
        samples_insert(
            &conn,
            &[measured(id, t0 + FULL_RATE_MS + 2 * MINUTE_MS, 12, AgentState::Running)],
            &mut written,
        )
        .unwrap();
    }
    samples_compact(&conn, t0 + FULL_RATE_MS + 2 * MINUTE_MS).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!((count("SELECT count(*) FROM health_raw"), count("SELECT count(*) FROM health_minutes")), (2, 2));
    conn.execute("DELETE FROM agents WHERE id = ?1", [&ids[0]]).unwrap();
    assert_eq!(samples_since(&conn, &ids[0], 0, 10).unwrap(), []);
    assert_eq!(samples_since(&conn, &ids[1], 0, 10).unwrap().len(), 2);
    conn.execute("DELETE FROM sessions", []).unwrap();
    let left = count(
        "SELECT (SELECT count(*) FROM health_agents) + (SELECT count(*) FROM health_raw) + (SELECT count(*) FROM health_minutes)",
    );
    assert_eq!(left, 0);
}

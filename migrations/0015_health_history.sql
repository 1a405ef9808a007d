-- Health samples, stored small (a day of 50 agents was 13.7 MB, mostly the agent's id repeated
-- in every row and a second index on (averaged, ts) for the retention):
-- - an agent is a small integer key (health_agents), and each agent's samples are one range of
--   the primary key, so reads and the retention are range scans with no second index;
-- - every sample for an hour in health_raw, one average per agent and minute for seven days in
--   health_minutes (the retention moves whole minutes from the first to the second);
-- - integers: CPU in tenths of a percent of one core, memory in kB, the last output as its age
--   in ms at the row's time (the average's time is its minute's start);
-- - threads and state are written when they change and in each agent's first sample of a
--   minute; NULL is "as the sample before".
CREATE TABLE health_agents (
    key      INTEGER PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE REFERENCES agents(id) ON DELETE CASCADE
);

CREATE TABLE health_raw (
    agent         INTEGER NOT NULL REFERENCES health_agents(key) ON DELETE CASCADE,
    ts            INTEGER NOT NULL,
    cpu_permille  INTEGER,
    rss_kb        INTEGER NOT NULL,
    threads       INTEGER,
    score         INTEGER NOT NULL,
    state         TEXT,
    output_age_ms INTEGER,
    PRIMARY KEY (agent, ts)
) WITHOUT ROWID;

CREATE TABLE health_minutes (
    agent         INTEGER NOT NULL REFERENCES health_agents(key) ON DELETE CASCADE,
    minute        INTEGER NOT NULL,
    cpu_permille  INTEGER,
    rss_kb        INTEGER,
    threads       INTEGER,
    score         INTEGER NOT NULL,
    output_age_ms INTEGER,
    PRIMARY KEY (agent, minute)
) WITHOUT ROWID;

-- The samples kept so far, each row whole (every sample states its threads and state).
INSERT INTO health_agents (agent_id) SELECT DISTINCT agent_id FROM health_samples ORDER BY agent_id;
INSERT INTO health_raw (agent, ts, cpu_permille, rss_kb, threads, score, state, output_age_ms)
SELECT k.key, s.ts, CAST(round(s.cpu_pct * 10) AS INTEGER), s.rss_bytes / 1024, s.threads, s.score, s.state,
       s.ts - s.last_output_at
FROM health_samples s JOIN health_agents k ON k.agent_id = s.agent_id
WHERE s.averaged = 0 AND s.rss_bytes IS NOT NULL;
INSERT INTO health_minutes (agent, minute, cpu_permille, rss_kb, threads, score, output_age_ms)
SELECT k.key, s.ts / 60000, CAST(round(s.cpu_pct * 10) AS INTEGER), s.rss_bytes / 1024, s.threads, s.score,
       (s.ts / 60000) * 60000 - s.last_output_at
FROM health_samples s JOIN health_agents k ON k.agent_id = s.agent_id
WHERE s.averaged = 1;

DROP TABLE health_samples;

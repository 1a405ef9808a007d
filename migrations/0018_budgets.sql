-- Budgets of sessions and agents, and the pauses they cause.
-- - budgets: one row per session or agent that has a limit; NULL is "no limit" for that measure.
-- - agent_cpu: CPU time an agent's processes used, kept across its processes (a CLI that
--   relaunches per turn starts a new one each time): `base_ms` is what ended processes used,
--   `last_ms` what the current one (`pid`) had used when last read.
-- - agents.paused_reason: why an agent is paused when a budget paused it (NULL for "pause all").
CREATE TABLE budgets (
    owner_id    TEXT PRIMARY KEY,
    usd         REAL,
    tokens      INTEGER,
    minutes     REAL,
    cpu_minutes REAL
);

CREATE TABLE agent_cpu (
    agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    pid      INTEGER,
    base_ms  INTEGER NOT NULL DEFAULT 0,
    last_ms  INTEGER NOT NULL DEFAULT 0
);

ALTER TABLE agents ADD COLUMN paused_reason TEXT;

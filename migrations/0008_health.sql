-- Agent health: what the sampler records beyond the first schema's columns (threads, state,
-- last output, and whether a row is a one-minute average of older samples), alerts that name
-- their task and the way on and are acknowledged by the user, and on agents the two states
-- health adds without changing the lifecycle: paused (SIGSTOP of the group) and released (an
-- idle agent's process ended to free its memory; a message resumes its session).
ALTER TABLE health_samples ADD COLUMN threads INTEGER;
ALTER TABLE health_samples ADD COLUMN state TEXT;
ALTER TABLE health_samples ADD COLUMN last_output_at INTEGER;
ALTER TABLE health_samples ADD COLUMN averaged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX health_samples_raw ON health_samples(averaged, ts);

ALTER TABLE alerts ADD COLUMN task_id TEXT REFERENCES tasks(id) ON DELETE SET NULL;
ALTER TABLE alerts ADD COLUMN way_on TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN acknowledged_at INTEGER;
CREATE INDEX alerts_agent_open ON alerts(agent_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX alerts_created ON alerts(created_at);

ALTER TABLE agents ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN released_at INTEGER;

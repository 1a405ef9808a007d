-- Messages to agents, kept until delivered: a message to an agent in the middle of a turn waits
-- here for the turn's end (several are then delivered together, in order), and survives a daemon
-- restart. `from_agent` is the sending agent of the same session; NULL for the user or Baton
-- (`from_baton`: Baton's own, a coordinator's instructions or news).
CREATE TABLE agent_messages (
    id           TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    from_agent   TEXT REFERENCES agents(id) ON DELETE SET NULL,
    from_baton   INTEGER NOT NULL DEFAULT 0,
    text         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX agent_messages_queued ON agent_messages(agent_id, created_at) WHERE delivered_at IS NULL;

-- The agent whose conversation coordinates the session (promoted), if any.
ALTER TABLE sessions ADD COLUMN coordinator_agent TEXT REFERENCES agents(id) ON DELETE SET NULL;

-- What Baton's loop already told the session's coordinator conversation (one key per change),
-- so a change is told once, across restarts.
CREATE TABLE coordinator_notices (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    sent_at    INTEGER NOT NULL,
    PRIMARY KEY (session_id, key)
) WITHOUT ROWID;

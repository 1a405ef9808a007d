-- What running agents over the real CLIs needs beyond the first schema: the first prompt, the
-- tools the user allowed, a turn counter, and the permission requests waiting for the user.

ALTER TABLE agents ADD COLUMN prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN allowed_tools TEXT NOT NULL DEFAULT '[]';
ALTER TABLE agents ADD COLUMN turns INTEGER NOT NULL DEFAULT 0;

CREATE TABLE permission_requests (
    id          TEXT PRIMARY KEY,
    agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    tool        TEXT NOT NULL,
    tool_use_id TEXT,
    input       TEXT NOT NULL DEFAULT 'null',
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied')),
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER
);
CREATE INDEX permission_requests_pending ON permission_requests(agent_id) WHERE state = 'pending';

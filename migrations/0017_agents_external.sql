-- A conversation Baton does not run: the user's own CLI (its `/become-orchestrator` registered it
-- through MCP). Baton never starts a process for it; messages to it are kept until it takes
-- them through Baton's tools (`coordinator_wait`).
ALTER TABLE agents ADD COLUMN external INTEGER NOT NULL DEFAULT 0;

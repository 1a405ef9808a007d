-- Each agent's own token for Baton's MCP server (`/mcp`): it names the agent, and through it
-- the session and task its calls are confined to. Made at the agent's first process start.
CREATE TABLE mcp_tokens (
    token TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL UNIQUE REFERENCES agents(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

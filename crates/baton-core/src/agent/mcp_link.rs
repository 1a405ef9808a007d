//! Each agent's link to Baton's MCP server (`/mcp` on the daemon): a token of its own, stored so
//! that a resumed agent keeps it, and what a token names: the agent, and through it the session
//! and the task its calls are confined to (the daemon's `mcp` module decides what each may do).

use rusqlite::{OptionalExtension, params};

use super::record::AgentError;
use crate::engine::Engine;
use crate::error::Result;
use crate::{ids, time};

/// Who calls Baton's MCP server with an agent's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpCaller {
    pub agent_id: String,
    pub agent_name: String,
    pub session_id: String,
    pub task_id: Option<String>,
}

impl Engine {
    /// The agent's token, made at its first use.
    pub fn mcp_token(&self, agent_id: &str) -> Result<String> {
        self.write(|tx| {
            let found: Option<String> = tx
                .query_row("SELECT token FROM mcp_tokens WHERE agent_id = ?1", [agent_id], |r| r.get(0))
                .optional()?;
            if let Some(token) = found {
                return Ok(token);
            }
            let token = ids::new_token().map_err(|e| AgentError::Spawn {
                program: "the agent's MCP token".into(),
                detail: format!("no random source: {e}"),
            })?;
            tx.execute(
                "INSERT INTO mcp_tokens (token, agent_id, created_at) VALUES (?1, ?2, ?3)",
                params![token, agent_id, time::now_ms()],
            )?;
            Ok(token)
        })
    }

    /// The agent a token belongs to, if it is an agent's (archived agents' tokens no longer work).
    pub fn mcp_caller(&self, token: &str) -> Result<Option<McpCaller>> {
        let conn = self.inner.store.conn();
        let caller = conn
            .query_row(
                "SELECT a.id, a.name, a.session_id, a.task_id FROM mcp_tokens t JOIN agents a ON a.id = t.agent_id \
                 WHERE t.token = ?1 AND a.archived_at IS NULL",
                [token],
                |r| {
                    Ok(McpCaller {
                        agent_id: r.get(0)?,
                        agent_name: r.get(1)?,
                        session_id: r.get(2)?,
                        task_id: r.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(caller)
    }

    /// Where agents reach Baton's MCP server, once the daemon listens.
    pub fn mcp_url(&self) -> Option<String> {
        self.inner.api_url.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|u| format!("{u}/mcp"))
    }
}

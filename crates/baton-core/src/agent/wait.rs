//! Waiting for an agent's turn to end, for callers that cannot follow the event stream (an MCP
//! client's `agent_wait`): the agent as it is when it stops working, or when the time is up.

use std::time::{Duration, Instant};

use super::record::Agent;
use crate::engine::Engine;
use crate::error::Result;

/// How often the record is read again while waiting; an agent's state changes at most a few
/// times a second and a cheap indexed read costs microseconds.
const POLL: Duration = Duration::from_millis(100);

impl Engine {
    /// Blocks until the agent is no longer starting or running, or `timeout` passes; answers
    /// with the agent as it is then (its `state` says which happened).
    pub fn agent_wait(&self, id_or_name: &str, timeout: Duration) -> Result<Agent> {
        let deadline = Instant::now() + timeout;
        loop {
            let agent = self.agent_get(id_or_name)?;
            if !agent.state.is_active() || Instant::now() >= deadline {
                return Ok(agent);
            }
            std::thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
        }
    }
}

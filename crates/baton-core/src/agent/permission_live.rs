//! Permission decisions made while the turn waits. A Claude agent started by Baton runs with
//! `--permission-prompt-tool` naming Baton's MCP server: when a tool needs permission, Claude
//! asks through it and holds the turn until the answer. The request is stored and shown like a
//! denied one (the agent needs input, the lane's Approve / Deny answer it), but the answer goes
//! back into the running turn instead of resuming the session afterwards. The session's policy
//! file (`policy/`) and its tools always allowed answer at once. CLIs that cannot ask, and requests left over from a
//! daemon that stopped, keep the deny-then-resume path.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use super::record::{self, AgentState};
use crate::engine::Engine;
use crate::error::Result;

/// A request waiting for an answer: the tool, and where its answer goes.
type Waiting = (String, oneshot::Sender<bool>);

/// Requests waiting for an answer, by agent.
#[derive(Default)]
pub(crate) struct LivePermissions(Mutex<HashMap<String, Vec<Waiting>>>);

impl LivePermissions {
    fn add(&self, agent_id: &str, tool: &str, answer: oneshot::Sender<bool>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(agent_id.to_owned())
            .or_default()
            .push((tool.to_owned(), answer));
    }

    /// Takes the waiting requests of `agent_id` for `tool`.
    fn take(&self, agent_id: &str, tool: &str) -> Vec<oneshot::Sender<bool>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(waiting) = map.get_mut(agent_id) else { return Vec::new() };
        let (taken, kept): (Vec<_>, Vec<_>) = std::mem::take(waiting).into_iter().partition(|(t, _)| t == tool);
        *waiting = kept;
        if waiting.is_empty() {
            map.remove(agent_id);
        }
        taken.into_iter().map(|(_, answer)| answer).collect()
    }

    fn any(&self, agent_id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(agent_id)
            .is_some_and(|w| w.iter().any(|(_, a)| !a.is_closed()))
    }
}

/// How a permission request is answered.
pub enum PermissionAsk {
    /// At once, by the session's allowed tools.
    Answered(bool),
    /// Refused at once by the session's policy file: the rule that refused it.
    Denied(String),
    /// By the user (or whoever approves for them), later.
    Waiting(oneshot::Receiver<bool>),
}

impl Engine {
    /// The agent's CLI asks whether it may use `tool` now, its turn held until the answer.
    pub fn permission_ask(
        &self,
        agent_id: &str,
        tool: &str,
        tool_use_id: Option<&str>,
        input: &serde_json::Value,
    ) -> Result<PermissionAsk> {
        let agent = self.agent_get(agent_id)?;
        crate::names::name_check("tool name", tool)?;
        // A policy file broken by hand: its defaults decide meanwhile (never less safe).
        let policy = self.session_policy(&agent.session_id).unwrap_or_else(|e| {
            tracing::warn!(agent = %agent.id, "{e}; the default policy applies");
            crate::policy::Policy::default()
        });
        match crate::policy::tool_decide(&policy, tool, input) {
            crate::policy::Verdict::Deny(rule) => {
                crate::policy::denial_note(self, &agent.id, tool, tool_use_id, input, &rule);
                return Ok(PermissionAsk::Denied(rule));
            }
            crate::policy::Verdict::Allow(_) => return Ok(PermissionAsk::Answered(true)),
            crate::policy::Verdict::Ask => {}
        }
        let allowed = crate::session::session_allow_tools(&self.inner.store.conn(), &agent.session_id)?;
        if allowed.iter().chain(&agent.allowed_tools).any(|t| t == tool) {
            return Ok(PermissionAsk::Answered(true));
        }
        let (answer, waiting) = oneshot::channel();
        self.inner.live_permissions.add(&agent.id, tool, answer);
        self.write(|tx| {
            record::permission_insert(tx, &agent.id, tool, tool_use_id, input)?;
            record::agent_state_set(tx, &agent.id, AgentState::NeedsInput, agent.pid, agent.exit_code)?;
            Ok(())
        })?;
        self.inner.agent_publish(&agent.id);
        Ok(PermissionAsk::Waiting(waiting))
    }

    /// Answers the agent's requests for `tool` that wait in its turn, if any: the turn goes on.
    /// `always`: the session allows the tool from now on. False when none waits (the caller
    /// then takes the deny-then-resume path).
    pub(crate) fn permission_answer(&self, agent_id: &str, tool: &str, approved: bool, always: bool) -> Result<bool> {
        let waiting = self.inner.live_permissions.take(agent_id, tool);
        let waiting: Vec<_> = waiting.into_iter().filter(|a| !a.is_closed()).collect();
        if waiting.is_empty() {
            return Ok(false);
        }
        let agent = self.agent_get(agent_id)?;
        let still_waiting = self.inner.live_permissions.any(agent_id);
        self.write(|tx| {
            record::permission_decide(tx, &agent.id, tool, approved)?;
            if approved && always {
                crate::session::session_allow_tool_add(tx, &agent.session_id, tool)?;
            }
            if !still_waiting && agent.state == AgentState::NeedsInput {
                record::agent_state_set(tx, &agent.id, AgentState::Running, agent.pid, agent.exit_code)?;
            }
            Ok(())
        })?;
        for answer in waiting {
            let _ = answer.send(approved);
        }
        self.inner.agent_publish(&agent.id);
        Ok(true)
    }
}

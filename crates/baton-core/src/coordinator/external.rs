//! `/become-orchestrator` from the user's own CLI: the conversation it runs in (which Baton does
//! not run) becomes the coordinator of the repository's session. The session is found (the
//! newest active one of the repository) or made; the conversation is recorded as an external
//! agent (no process; its CLI's session id kept, so the app shows and names it), promoted, and
//! answered with the coordinator's instructions. From then on it takes Baton's news with
//! `agent_inbox_take` (the `coordinator_wait` tool), and steers through the other tools.

use std::path::Path;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agent::message::InboxMessage;
use crate::agent::protocol::CliKind;
use crate::agent::record::{self, Agent, AgentError, AgentNew, AgentState};
use crate::engine::Engine;
use crate::error::Result;
use crate::session::{Session, SessionCreate, SessionState};
use crate::time;

/// `POST /api/coordinator/become`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CoordinatorBecome {
    /// A folder in the repository (`baton mcp` gives its own when left out).
    #[serde(default)]
    #[ts(optional)]
    pub repo: Option<String>,
    /// What the work is for: recorded as an objective of the session.
    #[serde(default)]
    #[ts(optional)]
    pub goal: Option<String>,
    /// The CLI the conversation runs in.
    pub cli: CliKind,
    /// The CLI's own id of the conversation (Claude Code's `${CLAUDE_SESSION_ID}`): the same
    /// conversation becoming again is the same agent.
    #[serde(default)]
    #[ts(optional)]
    pub conversation: Option<String>,
}

/// What `coordinator_become` did, and what the conversation is to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CoordinatorBecame {
    pub session: Session,
    /// The conversation, as an agent of the session (`external`).
    pub agent: Agent,
    /// Whether the session was made for it.
    pub created: bool,
    /// The coordinator's instructions and anything else Baton has told it so far.
    pub messages: Vec<InboxMessage>,
}

/// How a conversation that Baton does not run hears of changes, added to its instructions.
const EXTERNAL_NOTE: &str = "You run outside Baton, so Baton cannot write into your conversation: call \
     `coordinator_wait` whenever you have nothing else to do; it answers with each change as it happens \
     (or nothing after its timeout; then call it again).";

impl Engine {
    pub fn coordinator_become(&self, req: &CoordinatorBecome) -> Result<CoordinatorBecame> {
        let Some(repo) = req.repo.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
            return Err(AgentError::Invalid("`repo` is missing: give a folder of the repository".into()).into());
        };
        if req.cli == CliKind::Command {
            return Err(AgentError::Invalid("a coordinator is a conversation: claude, codex or gemini".into()).into());
        }
        let root = crate::git::repo_inspect(Path::new(repo))?.root;
        let found = self
            .session_list()?
            .into_iter()
            .filter(|s| s.state == SessionState::Active && Path::new(&s.repo) == root)
            .max_by(|a, b| a.created_at.cmp(&b.created_at));
        let (session, created) = match found {
            Some(s) => (s, false),
            None => (
                self.session_create(&SessionCreate {
                    repo: root.to_string_lossy().into_owned(),
                    name: None,
                    parent: None,
                })?,
                true,
            ),
        };
        if let Some(goal) = req.goal.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
            self.objective_add(&session.id, goal)?;
        }
        let agent = self.external_agent(&session, req)?;
        self.coordinator_promote(&agent.id)?;
        let mut messages = self.agent_inbox_take(&agent.id, std::time::Duration::ZERO)?;
        messages.push(InboxMessage { from: Some(crate::agent::message::BATON.into()), text: EXTERNAL_NOTE.into() });
        Ok(CoordinatorBecame {
            session: self.session_get(&session.id)?,
            agent: self.agent_get(&agent.id)?,
            created,
            messages,
        })
    }

    /// The conversation's agent: the one recorded for it before, or a new one.
    fn external_agent(&self, session: &Session, req: &CoordinatorBecome) -> Result<Agent> {
        let conversation = req.conversation.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(conversation) = conversation {
            crate::names::arg_check("conversation", conversation)?;
            let known = record::agent_list(&self.inner.store.conn(), Some(&session.id), false)?
                .into_iter()
                .find(|a| a.external && a.cli == req.cli && a.cli_session_id.as_deref() == Some(conversation));
            if let Some(agent) = known {
                return Ok(agent);
            }
        }
        let conn = self.inner.store.conn();
        let base = format!("{}-lead", req.cli.as_str());
        let mut name = base.clone();
        let mut n = 2;
        while record::agent_name_taken(&conn, &session.id, &name)? {
            name = format!("{base}-{n}");
            n += 1;
        }
        drop(conn);
        let agent = self.write(|tx| {
            let agent = record::agent_insert(
                tx,
                &AgentNew {
                    session_id: &session.id,
                    name: &name,
                    cli: req.cli,
                    model: None,
                    cwd: &session.repo,
                    command: &[],
                    prompt: req.goal.as_deref().unwrap_or(""),
                    allowed_tools: &[],
                    log_dir: &self.inner.home.logs_dir(),
                    read_only: false,
                },
            )?;
            tx.execute(
                "UPDATE agents SET external = 1, state = ?2, cli_session_id = ?3, updated_at = ?4 WHERE id = ?1",
                params![agent.id, AgentState::Waiting.as_str(), conversation, time::now_ms()],
            )?;
            let agent = record::agent_get(tx, &agent.id)?;
            tx.publish(crate::events::EngineEvent::AgentUpdated { agent: Box::new(agent.clone()) });
            Ok(agent)
        })?;
        Ok(agent)
    }
}

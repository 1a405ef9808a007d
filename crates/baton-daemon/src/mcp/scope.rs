//! Who calls Baton's MCP server, and what each may reach. The user (the daemon's token) reaches
//! everything; an agent (its own token) reaches only its own session, and unless it is the
//! session's coordinator only the tools a worker needs (see [`super::tools::TOOLS`]).

use baton_core::agent::McpCaller;
use baton_core::{ApiError, ErrorCode};
use serde_json::{Map, Value};

use super::tools::{Target, ToolDef, Worker};
use crate::server::{Failure, ServerState};

/// The caller of a request, set by the server's token check.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    User,
    Agent(McpCaller),
}

fn refused(message: String) -> Failure {
    Failure(ApiError::new(ErrorCode::Unauthorized, message))
}

/// Whether the agent is its session's coordinator conversation.
pub(crate) fn is_coordinator(state: &ServerState, caller: &McpCaller) -> bool {
    state.session_get(&caller.session_id).is_ok_and(|s| s.coordinator_agent.as_deref() == Some(&caller.agent_id))
}

/// Checks an agent's call against its scope, and sets what an agent says of itself (the
/// author of an artifact). Blocking: it reads the store.
pub(crate) fn authorize(
    state: &ServerState,
    caller: &McpCaller,
    def: &ToolDef,
    args: &mut Map<String, Value>,
) -> Result<(), Failure> {
    if def.name == "coordinator_become" {
        return Err(refused(format!(
            "agent {} already works in a Baton session; the user makes it the coordinator (coordinator_promote)",
            caller.agent_name
        )));
    }
    let coordinator = is_coordinator(state, caller);
    if !coordinator && def.worker == Worker::Refused {
        return Err(refused(format!(
            "`{}` is for the session's coordinator; agent {} is a worker (ask the coordinator with agent_send)",
            def.name, caller.agent_name
        )));
    }
    let arg = |key: &str| args.get(key).and_then(Value::as_str).map(str::to_owned);
    let missing = |key: &str| Failure(ApiError::new(ErrorCode::InvalidInput, format!("`{key}` is missing")));
    let session = match def.target {
        Target::None => None,
        Target::Session(k) => Some(state.session_get(&arg(k).ok_or_else(|| missing(k))?)?.id),
        Target::Agent(k) => Some(state.agent_get(&arg(k).ok_or_else(|| missing(k))?)?.session_id),
        Target::Task(k) => {
            let task = state.task_get(&arg(k).ok_or_else(|| missing(k))?)?;
            if def.worker == Worker::OwnTask && !coordinator && caller.task_id.as_deref() != Some(&task.id) {
                return Err(refused(format!(
                    "agent {} may complete only its own task, not {}",
                    caller.agent_name, task.name
                )));
            }
            Some(task.session_id)
        }
        Target::Artifact(k) => Some(state.artifact_get(&arg(k).ok_or_else(|| missing(k))?)?.session_id),
    };
    if let Some(session) = session
        && session != caller.session_id
    {
        return Err(refused(format!(
            "agent {}'s token reaches only its own session; what `{}` names is of another",
            caller.agent_name, def.name
        )));
    }
    // What an agent says of itself is the agent itself: an artifact's author, a message's sender.
    match def.name {
        "artifact_add" => {
            args.insert("agent".into(), Value::String(caller.agent_id.clone()));
        }
        "agent_send" => {
            args.insert("from".into(), Value::String(caller.agent_id.clone()));
        }
        // A worker's task is the lead of what it adds: the engine holds it to the lead's pattern.
        "task_add" if !coordinator => match &caller.task_id {
            Some(task) => {
                args.insert("parent".into(), Value::String(task.clone()));
            }
            None => {
                return Err(refused(format!(
                    "agent {} has no task of its own; only a lead task's agent adds sub-tasks",
                    caller.agent_name
                )));
            }
        },
        _ => {}
    }
    Ok(())
}

//! The tool through which Claude Code asks for a permission in its turn
//! (`--permission-prompt-tool mcp__baton__permission_prompt`): Baton records the request, the
//! agent shows as needing input, and the answer (the lane's Approve or Deny, or the session's
//! policy) goes back as Claude expects it: `{"behavior": "allow", "updatedInput": ...}` or
//! `{"behavior": "deny", "message": ...}`.

use baton_core::agent::protocol::PERMISSION_TOOL;
use baton_core::agent::{McpCaller, PermissionAsk};
use baton_core::{ApiError, ErrorCode};
use rmcp::model::Tool;
use serde_json::{Map, Value, json};

use crate::server::{Failure, Shared};

pub(crate) fn tool() -> Tool {
    let schema = json!({
        "type": "object",
        "properties": {
            "tool_name": {"type": "string", "description": "The tool that needs permission."},
            "input": {"type": "object", "description": "The input it would run with."},
            "tool_use_id": {"type": "string"},
        },
        "required": ["tool_name", "input"],
    });
    let schema = schema.as_object().cloned().unwrap_or_default();
    Tool::new(
        PERMISSION_TOOL,
        "How Claude Code asks Baton whether the agent may use a tool now (its --permission-prompt-tool); \
         the user answers in Baton. Not for models to call.",
        schema,
    )
}

/// Asks, waits for the answer, and answers as Claude's permission prompt tool must.
pub(crate) async fn ask(state: &Shared, agent: &McpCaller, args: Map<String, Value>) -> Result<Value, Failure> {
    let invalid = |m: &str| Failure(ApiError::new(ErrorCode::InvalidInput, m.to_owned()));
    let tool = args.get("tool_name").and_then(Value::as_str).ok_or_else(|| invalid("`tool_name` is missing"))?;
    let input = args.get("input").cloned().unwrap_or_else(|| json!({}));
    let tool_use_id = args.get("tool_use_id").and_then(Value::as_str).map(str::to_owned);
    let (tool, agent_id, asked_input) = (tool.to_owned(), agent.agent_id.clone(), input.clone());
    let ask = crate::server::blocking(state, move |s| {
        s.permission_ask(&agent_id, &tool, tool_use_id.as_deref(), &asked_input)
    })
    .await?;
    let tool = args.get("tool_name").and_then(Value::as_str).unwrap_or("the tool");
    let allowed = match ask {
        PermissionAsk::Answered(allowed) => allowed,
        PermissionAsk::Denied(rule) => {
            let message = format!(
                "The session's policy denies this ({rule}). Do not try it another way; go on without it, \
                 or say why you need it."
            );
            return Ok(json!({"behavior": "deny", "message": message}));
        }
        // The request went away unanswered (the agent was stopped): no.
        PermissionAsk::Waiting(answer) => answer.await.unwrap_or(false),
    };
    Ok(if allowed {
        json!({"behavior": "allow", "updatedInput": input})
    } else {
        json!({"behavior": "deny", "message": format!("The user denied {tool}. Go on without it, or say why you need it.")})
    })
}

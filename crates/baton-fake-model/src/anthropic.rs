//! The Anthropic Messages API as Claude Code reads it: `POST /v1/messages?beta=true` answered
//! with the SSE sequence message_start, ping, content_block_start / content_block_delta /
//! content_block_stop per block, message_delta (stop_reason and output usage), message_stop.
//!
//! What Claude Code 2.1.197 sends (seen by the tests): a `HEAD /` probe without a key first,
//! then per model turn one `POST /v1/messages?beta=true`, the key in `x-api-key`, headers
//! `anthropic-version: 2023-06-01`, a long `anthropic-beta` (claude-code-20250219,
//! context-1m-2025-08-07, interleaved-thinking, context-management, prompt-caching, ...),
//! `x-claude-code-session-id`. The body: `model` (`claude-opus-4-8` for the default
//! `claude-opus-4-8[1m]`, the 1M context being a beta header), `stream:true`, `max_tokens:64000`,
//! `system`, `tools` (about 25: Agent, Bash, Edit, Read, Write, WebFetch, ...; the init line of
//! its output calls Agent "Task"), `messages` (context reminders first), `thinking:{type:"adaptive"}`,
//! `output_config:{effort:"high"}`, `context_management:{edits:[{type:"clear_thinking_20251015"}]}`,
//! `metadata.user_id` (a JSON string with device and session ids). Tool results come back in the
//! next user message as `{"type":"tool_result","tool_use_id","content","is_error"?,"cache_control"}`.
//! The client prices a turn from the usage numbers alone, so they must not be zero.

use serde_json::{Value, json};

use crate::scenario::Step;
use crate::sse::{Reply, Turn, chunks, sse_event};

/// The streamed answer to one step (not an error step).
pub(crate) fn stream(step: &Step, turn: &Turn) -> Reply {
    let message_id = turn.id("msg_fake_");
    let output_tokens = turn.output_tokens(step);
    let mut head = vec![sse_event(
        Some("message_start"),
        &json!({"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": turn.model,
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": turn.input_tokens, "output_tokens": 1,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        }}),
    )];
    head.push(sse_event(Some("ping"), &json!({"type": "ping"})));

    let mut rest = Vec::new();
    let mut index = 0;
    if let Some(text) = &step.text {
        block(
            &mut rest,
            index,
            json!({"type": "text", "text": ""}),
            |piece| json!({"type": "text_delta", "text": piece}),
            text,
        );
        index += 1;
    }
    let stop_reason = if let Some(call) = &step.tool_call {
        let start = json!({"type": "tool_use", "id": turn.id("toolu_fake_"), "name": call.name, "input": {}});
        let input = call.input.to_string();
        block(&mut rest, index, start, |piece| json!({"type": "input_json_delta", "partial_json": piece}), &input);
        "tool_use"
    } else {
        "end_turn"
    };
    rest.push(sse_event(
        Some("message_delta"),
        &json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                "usage": {"output_tokens": output_tokens}}),
    ));
    rest.push(sse_event(Some("message_stop"), &json!({"type": "message_stop"})));
    Reply { head, rest }
}

fn block(out: &mut Vec<String>, index: usize, start: Value, delta: impl Fn(&str) -> Value, content: &str) {
    out.push(sse_event(
        Some("content_block_start"),
        &json!({"type": "content_block_start", "index": index, "content_block": start}),
    ));
    for piece in chunks(content) {
        out.push(sse_event(
            Some("content_block_delta"),
            &json!({"type": "content_block_delta", "index": index, "delta": delta(piece)}),
        ));
    }
    out.push(sse_event(Some("content_block_stop"), &json!({"type": "content_block_stop", "index": index})));
}

/// The same answer as one JSON message, for a request with `"stream": false`.
pub(crate) fn message(step: &Step, turn: &Turn) -> Value {
    let mut content = Vec::new();
    if let Some(text) = &step.text {
        content.push(json!({"type": "text", "text": text}));
    }
    if let Some(call) = &step.tool_call {
        content.push(json!({"type": "tool_use", "id": turn.id("toolu_fake_"), "name": call.name, "input": call.input}));
    }
    let stop_reason = if step.tool_call.is_some() { "tool_use" } else { "end_turn" };
    json!({
        "id": turn.id("msg_fake_"), "type": "message", "role": "assistant", "model": turn.model,
        "content": content, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": turn.input_tokens, "output_tokens": turn.output_tokens(step),
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    })
}

/// `{"type":"error","error":{"type","message"}}`, the type named after the status as the real API does.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

//! The OpenAI Responses API as Codex reads it: `POST /v1/responses` answered with the SSE
//! sequence response.created, response.in_progress, then per output item
//! response.output_item.added, its deltas, response.output_item.done, and response.completed
//! (with usage). Codex acts on `response.output_item.done` items and `response.completed`; the
//! deltas are there because the real API sends them.
//!
//! What Codex 0.169.0 sends (seen by the tests): only `POST /v1/responses`, the key in
//! `Authorization: Bearer`, with `model`, `input`, `tools`, `tool_choice:"auto"`,
//! `parallel_tool_calls:true`, `reasoning:{effort:"medium"}`, `text:{verbosity:"low"}`,
//! `store:false`, `stream:true`, `include:["reasoning.encrypted_content"]`, `prompt_cache_key`,
//! `client_metadata`, and no `instructions`: the system prompt travels as `role:"developer"`
//! messages at the head of `input`, followed by an `<environment_context>` user message (cwd,
//! writable roots: in workspace-write `.git` is read-only) and the prompt. `input` is the whole
//! history every time: our `message` items, `function_call` / `function_call_output {call_id,
//! output}` pairs (the output a text block: "Chunk ID ... Process exited with code N ... Output:"),
//! `custom_tool_call` / `custom_tool_call_output`. Tools offered: `exec_command`, `write_stdin`,
//! `request_user_input`, `apply_patch` (type `custom`, freeform), `view_image`, `get_goal`,
//! `create_goal`, `update_goal`, `tool_search` (`{type:"tool_search", execution:"client"}`),
//! `web_search`. MCP tools are not among them: Codex defers them behind its tool search, and a
//! step calling one is answered with a `tool_search_call` first, then the call by namespace (see
//! [`crate::deferred`]).

use serde_json::{Value, json};

use crate::deferred::{Call, call_resolve};
use crate::scenario::Step;
use crate::sse::{Reply, Turn, chunks, sse_event};

/// Builds events with increasing `sequence_number`s, as the real stream numbers them.
struct Events {
    out: Vec<String>,
    sequence: u64,
}

impl Events {
    fn push(&mut self, kind: &str, mut data: Value) {
        if let Value::Object(map) = &mut data {
            map.insert("type".into(), kind.into());
            map.insert("sequence_number".into(), self.sequence.into());
        }
        self.sequence += 1;
        self.out.push(sse_event(Some(kind), &data));
    }
}

fn response(id: &str, created_at: u64, turn: &Turn, status: &str, output: &[Value], usage: Value) -> Value {
    json!({
        "id": id, "object": "response", "created_at": created_at, "status": status,
        "model": turn.model, "output": output, "usage": usage,
        "error": null, "incomplete_details": null, "parallel_tool_calls": true, "tool_choice": "auto",
    })
}

/// How the step's function call answers this request (see [`crate::deferred`]); `Direct` for a
/// step with no function call.
pub(crate) fn call_plan(step: &Step, request: &Value) -> Call {
    match &step.tool_call {
        Some(call) if call.input.is_object() => call_resolve(&call.name, request),
        _ => Call::Direct,
    }
}

/// Whether answering `request` uses the step up; a tool search made on the step's behalf does
/// not, so the next request gets the same step.
pub(crate) fn step_consumed(step: &Step, request: &Value) -> bool {
    !matches!(call_plan(step, request), Call::Search { .. })
}

/// The streamed answer to one step, and the final response object (the whole answer for a
/// request with `"stream": false`).
pub(crate) fn stream(step: &Step, turn: &Turn, request: &Value) -> (Reply, Value) {
    let plan = call_plan(step, request);
    let id = turn.id("resp_fake_");
    let created_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut events = Events { out: Vec::new(), sequence: 0 };
    events.push(
        "response.created",
        json!({"response": response(&id, created_at, turn, "in_progress", &[], Value::Null)}),
    );
    events.push(
        "response.in_progress",
        json!({"response": response(&id, created_at, turn, "in_progress", &[], Value::Null)}),
    );
    let head = std::mem::take(&mut events.out);

    let mut output = Vec::new();
    if let Call::Search { query, limit } = &plan {
        // The search alone: the step's text goes with the call it announces.
        let item_id = turn.id("tsc_fake_");
        let mut item = json!({"id": item_id, "type": "tool_search_call", "status": "in_progress",
                              "call_id": turn.id("call_fake_"), "execution": "client",
                              "arguments": {"query": query, "limit": limit}});
        events.push("response.output_item.added", json!({"output_index": 0, "item": item}));
        item["status"] = "completed".into();
        events.push("response.output_item.done", json!({"output_index": 0, "item": item}));
        output.push(item);
    } else if let Some(text) = &step.text {
        let output_index = output.len();
        let item_id = turn.id("msg_fake_");
        let mut item =
            json!({"id": item_id, "type": "message", "status": "in_progress", "role": "assistant", "content": []});
        events.push("response.output_item.added", json!({"output_index": output_index, "item": item}));
        let part = json!({"type": "output_text", "text": "", "annotations": []});
        let at = json!({"item_id": item_id, "output_index": output_index, "content_index": 0});
        events.push("response.content_part.added", merged(&at, json!({"part": part})));
        for piece in chunks(text) {
            events.push("response.output_text.delta", merged(&at, json!({"delta": piece, "logprobs": []})));
        }
        events.push("response.output_text.done", merged(&at, json!({"text": text, "logprobs": []})));
        let part = json!({"type": "output_text", "text": text, "annotations": []});
        events.push("response.content_part.done", merged(&at, json!({"part": part})));
        item["status"] = "completed".into();
        item["content"] = json!([part]);
        events.push("response.output_item.done", json!({"output_index": output_index, "item": item}));
        output.push(item);
    }
    if let Some(call) = step.tool_call.as_ref().filter(|_| !matches!(plan, Call::Search { .. })) {
        let output_index = output.len();
        let call_id = turn.id("call_fake_");
        // A string input is a freeform ("custom") tool such as Codex's apply_patch; an object is
        // a function tool whose arguments travel as a JSON string.
        let (item_id, mut item, delta_kind, done_kind, payload, field) = match &call.input {
            Value::String(input) => {
                let item_id = turn.id("ctc_fake_");
                let item = json!({"id": item_id, "type": "custom_tool_call", "status": "in_progress",
                                  "call_id": call_id, "name": call.name, "input": ""});
                (
                    item_id,
                    item,
                    "response.custom_tool_call_input.delta",
                    "response.custom_tool_call_input.done",
                    input.clone(),
                    "input",
                )
            }
            other => {
                let item_id = turn.id("fc_fake_");
                let mut item = json!({"id": item_id, "type": "function_call", "status": "in_progress",
                                      "call_id": call_id, "name": call.name, "arguments": ""});
                if let Call::Namespaced { namespace, name } = &plan {
                    item["namespace"] = namespace.as_str().into();
                    item["name"] = name.as_str().into();
                }
                (
                    item_id,
                    item,
                    "response.function_call_arguments.delta",
                    "response.function_call_arguments.done",
                    other.to_string(),
                    "arguments",
                )
            }
        };
        events.push("response.output_item.added", json!({"output_index": output_index, "item": item}));
        let at = json!({"item_id": item_id, "output_index": output_index});
        for piece in chunks(&payload) {
            events.push(delta_kind, merged(&at, json!({"delta": piece})));
        }
        events.push(done_kind, merged(&at, json!({field: payload})));
        item["status"] = "completed".into();
        item[field] = payload.into();
        events.push("response.output_item.done", json!({"output_index": output_index, "item": item}));
        output.push(item);
    }
    let output_tokens = turn.output_tokens(step);
    let usage = json!({
        "input_tokens": turn.input_tokens, "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": turn.input_tokens + output_tokens,
    });
    let completed = response(&id, created_at, turn, "completed", &output, usage);
    events.push("response.completed", json!({"response": completed}));
    (Reply { head, rest: events.out }, completed)
}

fn merged(base: &Value, extra: Value) -> Value {
    let mut out = base.clone();
    if let (Value::Object(out), Value::Object(extra)) = (&mut out, extra) {
        out.extend(extra);
    }
    out
}

/// `{"error":{"message","type","param","code"}}`, the type named after the status.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        400 | 404 | 413 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        429 => "rate_limit_exceeded",
        _ => "server_error",
    };
    json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
}

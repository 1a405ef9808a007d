//! The Gemini API as Gemini CLI reads it: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`
//! answered with bare `data:` SSE events, each a GenerateContentResponse chunk
//! (`candidates[0].content.parts` with `text` or `functionCall {name, args}`), the last one
//! carrying `finishReason:"STOP"` and the full `usageMetadata`.
//!
//! What Gemini CLI 0.61.0 sends (seen by the tests, with `-m`): only
//! `POST /v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`, the key in
//! `x-goog-api-key`, with `contents` (the whole history; our function calls come back with an
//! `id` the CLI gave them and `thoughtSignature:"skip_thought_signature_validator"`, their
//! results as `functionResponse {id, name, response:{output}}` parts of a user turn),
//! `systemInstruction`, `tools[0].functionDeclarations` and `generationConfig` (temperature,
//! topP, topK, `thinkingConfig {includeThoughts, thinkingBudget}`). In `auto_edit` mode the tools
//! are update_topic, list_directory, read_file, grep_search, glob, replace, write_file, web_fetch,
//! google_web_search, enter_plan_mode, invoke_agent: no run_shell_command.

use serde_json::{Value, json};

use crate::scenario::Step;
use crate::sse::{Reply, Turn, chunks, sse_event};

fn chunk(turn: &Turn, response_id: &str, parts: Value, finish: bool, output_tokens: u64) -> Value {
    let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
    let mut usage = json!({"promptTokenCount": turn.input_tokens, "totalTokenCount": turn.input_tokens});
    if finish {
        candidate["finishReason"] = "STOP".into();
        usage = json!({
            "promptTokenCount": turn.input_tokens, "candidatesTokenCount": output_tokens,
            "totalTokenCount": turn.input_tokens + output_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": turn.input_tokens}],
        });
    }
    json!({"candidates": [candidate], "usageMetadata": usage, "modelVersion": turn.model, "responseId": response_id})
}

/// The parts of the answer, in order: text pieces, then the function call.
fn parts(step: &Step) -> Vec<Value> {
    let mut parts = Vec::new();
    if let Some(text) = &step.text {
        parts.extend(chunks(text).into_iter().map(|piece| json!({"text": piece})));
    }
    if let Some(call) = &step.tool_call {
        parts.push(json!({"functionCall": {"name": call.name, "args": call.input}}));
    }
    parts
}

pub(crate) fn stream(step: &Step, turn: &Turn) -> Reply {
    let response_id = turn.id("");
    let output_tokens = turn.output_tokens(step);
    let mut parts = parts(step);
    let last = parts.pop().unwrap_or_else(|| json!({"text": ""}));
    let mut events: Vec<String> =
        parts.into_iter().map(|part| sse_event(None, &chunk(turn, &response_id, json!([part]), false, 0))).collect();
    events.push(sse_event(None, &chunk(turn, &response_id, json!([last]), true, output_tokens)));
    // Gemini's stream has no opening event (the first chunk is already content), so with a delay
    // only the response headers go out at once.
    Reply { head: Vec::new(), rest: events }
}

/// The same answer as one JSON response, for `:generateContent`.
pub(crate) fn response(step: &Step, turn: &Turn) -> Value {
    let mut parts = Vec::new();
    if let Some(text) = &step.text {
        parts.push(json!({"text": text}));
    }
    if let Some(call) = &step.tool_call {
        parts.push(json!({"functionCall": {"name": call.name, "args": call.input}}));
    }
    chunk(turn, &turn.id(""), Value::Array(parts), true, turn.output_tokens(step))
}

/// `{"error":{"code","message","status"}}`, the status named as Google's APIs name it.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let name = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };
    json!({"error": {"code": status, "message": message, "status": name}})
}

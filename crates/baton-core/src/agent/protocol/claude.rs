//! Claude Code (`claude`) headless: `-p --output-format stream-json --verbose` prints one JSON
//! object per line (`system`, `assistant`, `user`, `result`, and `stream_event` with
//! `--include-partial-messages`). With `--input-format stream-json` it reads user messages from
//! stdin, so one process serves the whole conversation: follow-ups are written to its stdin.
//! Facts and recorded transcripts: `tests/fixtures/transcripts/claude_*.jsonl`.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    CliKind, FollowUp, Launch, LaunchSpec, LineParser, MCP_SERVER, McpConnect, McpLink, PERMISSION_TOOL, Protocol,
};
use crate::agent::event::{AgentEvent, CommandStatus};

pub struct Claude;

/// The built-in tools that only read, for a read-only agent.
pub const READ_ONLY_TOOLS: &str = "Read,Glob,Grep";

impl Protocol for Claude {
    fn cli(&self) -> CliKind {
        CliKind::Claude
    }

    /// The prompt goes on stdin (not in the arguments), so it can be any text and follow-ups
    /// travel the same way. `acceptEdits` lets the agent write in its worktree without asking;
    /// `--dangerously-skip-permissions` is never used (refused as root, and too broad).
    ///
    /// Read-only: `--tools` limits the tools the model is offered to those that read, and the
    /// `default` permission mode refuses anything else.
    fn launch(&self, spec: &LaunchSpec<'_>) -> Launch {
        let mode = if spec.read_only { "default" } else { "acceptEdits" };
        let mut args: Vec<String> = [
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--input-format",
            "stream-json",
            "--permission-mode",
            mode,
        ]
        .map(String::from)
        .into();
        if spec.read_only {
            args.extend(["--tools".into(), READ_ONLY_TOOLS.into()]);
        }
        if let Some(model) = spec.model.filter(|m| !m.is_empty()) {
            args.extend(["--model".into(), model.into()]);
        }
        if !spec.allowed_tools.is_empty() && !spec.read_only {
            // One comma-separated value: `--allowedTools` is variadic, so separate values could
            // swallow whatever argument follows.
            args.extend(["--allowedTools".into(), spec.allowed_tools.join(",")]);
        }
        if let Some(id) = spec.resume {
            args.extend(["--resume".into(), id.into()]);
        }
        let stdin_lines = if spec.prompt.is_empty() { Vec::new() } else { vec![self.stdin_message(spec.prompt)] };
        Launch { args, stdin_lines, stdin_open: true }
    }

    fn follow_up(&self) -> FollowUp {
        FollowUp::Stdin
    }

    /// `--mcp-config` adds Baton's server to the user's own (no `--strict-mcp-config`), over
    /// HTTP with the agent's token; its tools are allowed (the server checks each call).
    fn mcp_connect(&self, link: &McpLink<'_>) -> McpConnect {
        let config = serde_json::json!({ "mcpServers": { MCP_SERVER: {
            "type": "http",
            "url": link.url,
            "headers": { "Authorization": format!("Bearer {}", link.token) },
        }}});
        McpConnect {
            // A tool that needs permission is asked of Baton, and the turn waits for the answer
            // (`agent/permission_live.rs`) instead of ending with the tool denied.
            args: vec![
                "--mcp-config".into(),
                config.to_string(),
                "--permission-prompt-tool".into(),
                format!("mcp__{MCP_SERVER}__{PERMISSION_TOOL}"),
            ],
            allowed_tools: vec![format!("mcp__{MCP_SERVER}")],
            ..McpConnect::default()
        }
    }

    /// One stream-json user message, without the trailing newline (the supervisor appends `\n`
    /// to every stdin line). JSON escapes any newline inside `text`, so it stays one line. Written
    /// by hand to keep the documented key order (serde_json would sort the keys).
    fn stdin_message(&self, text: &str) -> String {
        let content = Value::String(text.to_owned());
        format!(r#"{{"type":"user","message":{{"role":"user","content":{content}}}}}"#)
    }

    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(ClaudeParser::default())
    }
}

/// Remembers each tool call until its result arrives: a file change or a finished command is
/// only reported once the tool actually ran (a denied Write changed nothing). And the cost
/// reported so far: `total_cost_usd` adds up over the turns of one process, while the `usage`
/// tokens are the turn's own (claude_multiturn.jsonl).
///
/// A subagent's lines (Claude's Task tool) carry `parent_tool_use_id`; its lifecycle lines
/// (`system/task_*`) carry the call's id as `tool_use_id`, except `task_updated`, which names
/// only its `task_id`: `tasks` remembers which call each task belongs to.
#[derive(Default, Clone)]
struct ClaudeParser {
    pending: HashMap<String, ToolUse>,
    cost_so_far: f64,
    /// The CLI wrote its interruption marker: the turn's result that follows is the stop's end
    /// (`error_during_execution`), named for what it is.
    interrupted: bool,
    tasks: HashMap<String, String>,
}

#[derive(Clone)]
struct ToolUse {
    name: String,
    input: Value,
}

impl LineParser for ClaudeParser {
    fn snapshot(&self) -> Box<dyn LineParser> {
        Box::new(self.clone())
    }

    fn parse(&mut self, line: &str) -> Vec<AgentEvent> {
        let mut events = match serde_json::from_str::<Value>(line) {
            Ok(v) => self.events(&v, line),
            Err(_) => Vec::new(),
        };
        // A line that maps to nothing is kept whole.
        if events.is_empty() {
            events.push(raw(line));
        }
        events
    }
}

/// What the CLI writes into the conversation, as a user message, when SIGINT ends its turn (its
/// Esc key, interactively; Baton's stop, headless): "[Request interrupted by user]", or "... for
/// tool use]" during a tool call. Nobody typed it.
const INTERRUPTED_MARKER: &str = "[Request interrupted by user";

/// What the lane says for the CLI's interruption marker.
const INTERRUPTED_NOTICE: &str = "Turn interrupted: Baton stopped the CLI";

/// A user message as the CLI echoed it, unless it is the CLI's own interruption marker: that is
/// said for what it is.
fn user_text(text: &str) -> AgentEvent {
    if text.starts_with(INTERRUPTED_MARKER) && text.trim_end().ends_with(']') && !text.contains('\n') {
        return AgentEvent::Notice { message: INTERRUPTED_NOTICE.into() };
    }
    AgentEvent::UserText { text: text.to_owned(), from: None }
}

impl ClaudeParser {
    /// The line's events; a line mapped only in part also gets a Raw copy of itself, so nothing
    /// is lost.
    fn events(&mut self, v: &Value, line: &str) -> Vec<AgentEvent> {
        let mut events = self.own_events(v, line);
        match self.parent_of(v) {
            Some(parent) => {
                // Kept whole, but under its call: a subagent's line never lands in the lane.
                if events.is_empty() {
                    events.push(raw(line));
                }
                events
                    .into_iter()
                    .map(|event| AgentEvent::Nested { parent_tool_use_id: parent.clone(), event: Box::new(event) })
                    .collect()
            }
            None => events,
        }
    }

    /// The Task tool call a line belongs to, when a subagent of the agent wrote it.
    fn parent_of(&mut self, v: &Value) -> Option<String> {
        if let Some(parent) = str_at(v, "parent_tool_use_id") {
            return Some(parent.to_owned());
        }
        let subtype = str_at(v, "subtype").filter(|s| str_at(v, "type") == Some("system") && s.starts_with("task_"))?;
        let task = str_at(v, "task_id");
        match (str_at(v, "tool_use_id"), task) {
            (Some(call), Some(task)) if subtype == "task_started" => {
                self.tasks.insert(task.to_owned(), call.to_owned());
                Some(call.to_owned())
            }
            (Some(call), _) => Some(call.to_owned()),
            (None, Some(task)) => self.tasks.get(task).cloned(),
            (None, None) => None,
        }
    }

    /// The line's events as if no subagent were involved.
    fn own_events(&mut self, v: &Value, line: &str) -> Vec<AgentEvent> {
        match (str_at(v, "type"), str_at(v, "subtype")) {
            (Some("system"), Some("init")) => session_started(v).into_iter().collect(),
            (Some("system"), Some("api_retry")) => retry(v).into_iter().collect(),
            (Some("assistant"), _) => self.assistant(v, line),
            (Some("user"), _) => self.user(v, line),
            (Some("result"), _) => self.result(v),
            (Some("stream_event"), _) => stream_event(v).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    fn assistant(&mut self, v: &Value, line: &str) -> Vec<AgentEvent> {
        let Some(blocks) = v.pointer("/message/content").and_then(Value::as_array) else { return Vec::new() };
        // A failed API call comes back as a message the CLI made up itself, not the model's text.
        let synthetic = v.pointer("/message/model").and_then(Value::as_str) == Some("<synthetic>");
        let mut events = Vec::new();
        let mut lossy = false;
        for block in blocks {
            match str_at(block, "type") {
                Some("text") => {
                    let text = str_at(block, "text").unwrap_or_default().to_owned();
                    events.push(if synthetic {
                        AgentEvent::Error { message: text }
                    } else {
                        AgentEvent::Text { text, delta: false }
                    });
                }
                Some("tool_use") => match self.tool_use(block) {
                    Some(mut call) => events.append(&mut call),
                    None => lossy = true,
                },
                // thinking, redacted_thinking, server tools: nothing in the event model for them.
                _ => lossy = true,
            }
        }
        if lossy {
            events.push(raw(line));
        }
        events
    }

    fn tool_use(&mut self, block: &Value) -> Option<Vec<AgentEvent>> {
        let id = str_at(block, "id")?.to_owned();
        let name = str_at(block, "name")?.to_owned();
        let input = block.get("input").cloned().unwrap_or(Value::Null);
        let mut events = vec![AgentEvent::ToolCall { id: id.clone(), name: name.clone(), input: input.clone() }];
        if let Some(command) = bash_command(&name, &input) {
            events.push(AgentEvent::Command {
                id: id.clone(),
                command,
                output: None,
                exit_code: None,
                status: CommandStatus::Started,
            });
        }
        self.pending.insert(id, ToolUse { name, input });
        Some(events)
    }

    fn user(&mut self, v: &Value, line: &str) -> Vec<AgentEvent> {
        let content = v.pointer("/message/content");
        if let Some(text) = content.and_then(Value::as_str) {
            let event = user_text(text);
            self.interrupted |= matches!(event, AgentEvent::Notice { .. });
            return vec![event];
        }
        let Some(blocks) = content.and_then(Value::as_array) else { return Vec::new() };
        let mut events = Vec::new();
        let mut lossy = false;
        for block in blocks {
            match str_at(block, "type") {
                Some("tool_result") => match self.tool_result(block, v.get("tool_use_result")) {
                    Some(mut result) => events.append(&mut result),
                    None => lossy = true,
                },
                Some("text") => {
                    let event = user_text(str_at(block, "text").unwrap_or_default());
                    self.interrupted |= matches!(event, AgentEvent::Notice { .. });
                    events.push(event);
                }
                _ => lossy = true,
            }
        }
        if lossy {
            events.push(raw(line));
        }
        events
    }

    /// `detail` is the line's `tool_use_result`: for Write it tells `create` from `update`.
    fn tool_result(&mut self, block: &Value, detail: Option<&Value>) -> Option<Vec<AgentEvent>> {
        let id = str_at(block, "tool_use_id")?.to_owned();
        let output = block.get("content").map(content_text).unwrap_or_default();
        let is_error = block.get("is_error").and_then(Value::as_bool).unwrap_or(false);
        let mut events = vec![AgentEvent::ToolResult { id: id.clone(), output: output.clone(), is_error }];
        let Some(call) = self.pending.remove(&id) else { return Some(events) };
        if let Some(command) = bash_command(&call.name, &call.input) {
            let status = if is_error { CommandStatus::Failed } else { CommandStatus::Completed };
            events.push(AgentEvent::Command { id, command, output: Some(output), exit_code: None, status });
        } else if !is_error && let Some(change) = file_change(&call, detail) {
            events.push(change);
        }
        Some(events)
    }

    fn result(&mut self, v: &Value) -> Vec<AgentEvent> {
        // The turn is over: a call without a result by now never gets one.
        self.pending.clear();
        let mut events = Vec::new();
        let total_cost = v.get("total_cost_usd").and_then(Value::as_f64);
        let cost_usd = total_cost.map(|total| (total - self.cost_so_far).max(0.0));
        self.cost_so_far = total_cost.unwrap_or(self.cost_so_far);
        if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
            events.push(AgentEvent::Usage {
                input_tokens: u64_at(usage, "input_tokens"),
                output_tokens: u64_at(usage, "output_tokens"),
                cache_read_tokens: u64_at(usage, "cache_read_input_tokens"),
                cache_write_tokens: u64_at(usage, "cache_creation_input_tokens"),
                cost_usd,
            });
        }
        // Denied calls do not stop the turn (it ends "success"): this list is the only sign.
        for denial in v.get("permission_denials").and_then(Value::as_array).into_iter().flatten() {
            events.push(AgentEvent::PermissionDenied {
                tool: str_at(denial, "tool_name").unwrap_or_default().to_owned(),
                tool_use_id: str_at(denial, "tool_use_id").map(String::from),
                input: denial.get("tool_input").cloned().unwrap_or(Value::Null),
            });
        }
        let mut subtype = str_at(v, "subtype");
        let is_error = v.get("is_error").and_then(Value::as_bool).unwrap_or(subtype != Some("success"));
        if std::mem::take(&mut self.interrupted) && is_error {
            // Baton stopped it: named as such. It stays a turn that did not complete (the
            // coordinator resumes a task whose turn was cut, rather than taking it as done).
            subtype = Some("interrupted");
        }
        events.push(AgentEvent::TurnCompleted {
            result: str_at(v, "result").map(String::from),
            is_error,
            subtype: subtype.map(String::from),
            duration_ms: v.get("duration_ms").and_then(Value::as_u64),
        });
        events
    }
}

fn session_started(v: &Value) -> Option<AgentEvent> {
    Some(AgentEvent::SessionStarted {
        cli_session_id: str_at(v, "session_id")?.to_owned(),
        model: str_at(v, "model").map(String::from),
        cwd: str_at(v, "cwd").map(String::from),
        tools: v
            .get("tools")
            .and_then(Value::as_array)
            .map(|tools| tools.iter().filter_map(Value::as_str).map(String::from).collect())
            .unwrap_or_default(),
    })
}

fn retry(v: &Value) -> Option<AgentEvent> {
    let error = match (v.get("error_status").and_then(Value::as_u64), str_at(v, "error")) {
        (Some(status), Some(error)) => Some(format!("{error} (HTTP {status})")),
        (Some(status), None) => Some(format!("HTTP {status}")),
        (None, error) => error.map(String::from),
    };
    Some(AgentEvent::Retry {
        attempt: v.get("attempt").and_then(Value::as_u64)?,
        max_retries: v.get("max_retries").and_then(Value::as_u64),
        error,
    })
}

/// Only text deltas matter: the whole message (text and tool calls) follows as an `assistant`
/// line anyway, so other partial events map to nothing and stay Raw.
fn stream_event(v: &Value) -> Option<AgentEvent> {
    let event = v.get("event")?;
    let delta = event.get("delta").filter(|_| str_at(event, "type") == Some("content_block_delta"))?;
    if str_at(delta, "type")? != "text_delta" {
        return None;
    }
    Some(AgentEvent::Text { text: str_at(delta, "text")?.to_owned(), delta: true })
}

fn bash_command(name: &str, input: &Value) -> Option<String> {
    (name == "Bash").then(|| str_at(input, "command").unwrap_or_default().to_owned())
}

/// Write creates or overwrites (the result's `tool_use_result.type` says which); the edit tools
/// change an existing file.
fn file_change(call: &ToolUse, detail: Option<&Value>) -> Option<AgentEvent> {
    let default = match call.name.as_str() {
        "Write" => "add",
        "Edit" | "MultiEdit" | "NotebookEdit" => "update",
        _ => return None,
    };
    let path = str_at(&call.input, "file_path").or_else(|| str_at(&call.input, "notebook_path"))?;
    let about_this_file = detail.and_then(|d| str_at(d, "filePath")) == Some(path);
    let change = match detail.filter(|_| about_this_file).and_then(|d| str_at(d, "type")) {
        Some("create") => "add",
        Some("update") => "update",
        _ => default,
    };
    Some(AgentEvent::FileChange { path: path.to_owned(), change: change.to_owned() })
}

/// A tool result's content: a string, or blocks whose texts are joined (an image becomes
/// `[image]`: its bytes are no use in a log).
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| match str_at(b, "text") {
                Some(text) => text.to_owned(),
                None => format!("[{}]", str_at(b, "type").unwrap_or("content")),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn raw(line: &str) -> AgentEvent {
    AgentEvent::Raw { line: line.to_owned() }
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

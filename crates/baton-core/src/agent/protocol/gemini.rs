//! Gemini CLI (`gemini`) headless: `gemini -p PROMPT --output-format stream-json` prints one JSON
//! event per line (`init`, `message`, `tool_use`, `tool_result`, `error`, `result`). One process
//! runs one turn; a follow-up starts a new one with `--resume <session_id>` (it has no stdin
//! conversation mode). It reports no cost, and a tool the approval mode withholds is only seen as
//! a failed tool result. Facts and recorded transcripts: `tests/fixtures/transcripts/gemini_*`.

use std::collections::HashMap;

use serde_json::Value;

use super::{CliKind, Launch, LaunchSpec, LineParser, MCP_SERVER, McpConnect, McpLink, Protocol};
use crate::agent::event::{AgentEvent, CommandStatus};

pub struct Gemini;

impl Protocol for Gemini {
    fn cli(&self) -> CliKind {
        CliKind::Gemini
    }

    /// `auto_edit` offers the file-writing tools (`default` leaves them out of the tool list).
    /// `allowed_tools` is not passed: no flag for it was observed on the recorded CLI.
    fn launch(&self, spec: &LaunchSpec<'_>) -> Launch {
        // A prompt starting with `-` would be read as a flag; the `=` form keeps it a value.
        let mut args: Vec<String> = if spec.prompt.starts_with('-') {
            vec![format!("--prompt={}", spec.prompt)]
        } else {
            vec!["-p".into(), spec.prompt.into()]
        };
        // Read-only: the `default` mode leaves the writing tools and the shell out of the list.
        let mode = if spec.read_only { "default" } else { "auto_edit" };
        args.extend(["--output-format", "stream-json", "--approval-mode", mode].map(String::from));
        if let Some(model) = spec.model.filter(|m| !m.is_empty()) {
            args.extend(["-m".into(), model.into()]);
        }
        if let Some(id) = spec.resume {
            args.extend(["--resume".into(), id.into()]);
        }
        // Deprecated in favour of the policy engine but still honoured by 0.61: a tool the user
        // approved runs without confirmation (auto_edit leaves the shell out otherwise).
        if !spec.allowed_tools.is_empty() && !spec.read_only {
            args.push(format!("--allowed-tools={}", spec.allowed_tools.join(",")));
        }
        Launch { args, stdin_lines: Vec::new(), stdin_open: false }
    }

    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(GeminiParser::default())
    }

    /// Gemini reads MCP servers only from settings files: Baton's goes in a system settings file
    /// of the agent's own (`GEMINI_CLI_SYSTEM_SETTINGS_PATH`), merged with the user's settings.
    /// `trust` lets its tools run without confirmation (the server checks each call).
    fn mcp_connect(&self, link: &McpLink<'_>) -> McpConnect {
        let settings = serde_json::json!({ "mcpServers": { MCP_SERVER: {
            "httpUrl": link.url,
            "headers": { "Authorization": format!("Bearer {}", link.token) },
            "trust": true,
        }}});
        let path = link.dir.join("gemini-settings.json");
        McpConnect {
            env: vec![("GEMINI_CLI_SYSTEM_SETTINGS_PATH".into(), path.to_string_lossy().into_owned())],
            files: vec![(path, settings.to_string())],
            ..McpConnect::default()
        }
    }
}

/// A tool result names only the call's id: the calls are remembered to tell what a result was
/// about (a file written, a command run, a tool refused). The assistant's text since the last
/// tool call is kept as the turn's result, which `result` does not repeat.
#[derive(Default, Clone)]
struct GeminiParser {
    pending: HashMap<String, ToolUse>,
    reply: String,
}

#[derive(Clone)]
struct ToolUse {
    name: String,
    parameters: Value,
}

impl LineParser for GeminiParser {
    fn snapshot(&self) -> Box<dyn LineParser> {
        Box::new(self.clone())
    }

    fn parse(&mut self, line: &str) -> Vec<AgentEvent> {
        let mut events = match serde_json::from_str::<Value>(line) {
            Ok(v) => self.events(&v),
            Err(_) => Vec::new(),
        };
        // A line that maps to nothing is kept whole.
        if events.is_empty() {
            events.push(AgentEvent::Raw { line: line.to_owned() });
        }
        events
    }
}

impl GeminiParser {
    fn events(&mut self, v: &Value) -> Vec<AgentEvent> {
        match str_at(v, "type") {
            Some("init") => str_at(v, "session_id")
                .map(|id| AgentEvent::SessionStarted {
                    cli_session_id: id.to_owned(),
                    model: str_at(v, "model").map(String::from),
                    cwd: None,
                    tools: Vec::new(),
                })
                .into_iter()
                .collect(),
            Some("message") => self.message(v).into_iter().collect(),
            Some("tool_use") => self.tool_use(v),
            Some("tool_result") => self.tool_result(v),
            Some("error") => {
                str_at(v, "message").map(|m| AgentEvent::Error { message: m.to_owned() }).into_iter().collect()
            }
            Some("result") => self.result(v),
            _ => Vec::new(),
        }
    }

    fn message(&mut self, v: &Value) -> Option<AgentEvent> {
        let text = str_at(v, "content")?.to_owned();
        match str_at(v, "role")? {
            "assistant" => {
                let delta = v.get("delta").and_then(Value::as_bool).unwrap_or(false);
                if !delta {
                    self.reply.clear();
                }
                self.reply.push_str(&text);
                Some(AgentEvent::Text { text, delta })
            }
            "user" => Some(AgentEvent::UserText { text, from: None }),
            _ => None,
        }
    }

    fn tool_use(&mut self, v: &Value) -> Vec<AgentEvent> {
        let (Some(id), Some(name)) = (str_at(v, "tool_id"), str_at(v, "tool_name")) else { return Vec::new() };
        let parameters = v.get("parameters").cloned().unwrap_or(Value::Null);
        let mut events = vec![AgentEvent::ToolCall { id: id.into(), name: name.into(), input: parameters.clone() }];
        if let Some(command) = shell_command(name, &parameters) {
            events.push(AgentEvent::Command {
                id: id.into(),
                command,
                output: None,
                exit_code: None,
                status: CommandStatus::Started,
            });
        }
        self.reply.clear();
        self.pending.insert(id.into(), ToolUse { name: name.into(), parameters });
        events
    }

    fn tool_result(&mut self, v: &Value) -> Vec<AgentEvent> {
        let Some(id) = str_at(v, "tool_id") else { return Vec::new() };
        let is_error = str_at(v, "status") != Some("success");
        let error = v.pointer("/error/message").and_then(Value::as_str);
        let output = match v.get("output") {
            Some(Value::String(s)) => s.clone(),
            Some(other) if !other.is_null() => other.to_string(),
            _ => error.unwrap_or_default().to_owned(),
        };
        let mut events = vec![AgentEvent::ToolResult { id: id.into(), output: output.clone(), is_error }];
        // The matching call always comes first in the same process; without it there is nothing
        // to say about the tool beyond the result itself.
        let Some(call) = self.pending.remove(id) else { return events };
        if is_error && refused(v) {
            events.push(AgentEvent::PermissionDenied {
                tool: call.name.clone(),
                tool_use_id: Some(id.into()),
                input: call.parameters.clone(),
            });
        }
        if let Some(command) = shell_command(&call.name, &call.parameters) {
            let status = if is_error { CommandStatus::Failed } else { CommandStatus::Completed };
            events.push(AgentEvent::Command { id: id.into(), command, output: Some(output), exit_code: None, status });
        } else if !is_error && let Some(change) = file_change(&call) {
            events.push(change);
        }
        events
    }

    fn result(&mut self, v: &Value) -> Vec<AgentEvent> {
        self.pending.clear();
        let reply = std::mem::take(&mut self.reply);
        let mut events = Vec::new();
        let stats = v.get("stats");
        if let Some(stats) = stats.filter(|s| s.is_object()) {
            events.push(AgentEvent::Usage {
                input_tokens: u64_at(stats, "input_tokens"),
                output_tokens: u64_at(stats, "output_tokens"),
                cache_read_tokens: u64_at(stats, "cached"),
                cache_write_tokens: 0,
                cost_usd: None,
            });
        }
        let status = str_at(v, "status");
        let error = v.pointer("/error/message").and_then(Value::as_str);
        if let Some(message) = error {
            events.push(AgentEvent::Error { message: message.to_owned() });
        }
        events.push(AgentEvent::TurnCompleted {
            result: error.map(String::from).or((!reply.is_empty()).then_some(reply)),
            is_error: status != Some("success"),
            subtype: status.map(String::from),
            duration_ms: stats.and_then(|s| s.get("duration_ms")).and_then(Value::as_u64),
        });
        events
    }
}

/// Whether a failed tool result means "not allowed" rather than "went wrong": the approval mode
/// leaves the tool out (`tool_not_registered`, gemini_stream_default_mode.jsonl), plan mode
/// refuses a path ("Access denied: ...", gemini_stream_plan_mode.jsonl), or a policy says no.
fn refused(v: &Value) -> bool {
    let kind = v.pointer("/error/type").and_then(Value::as_str);
    let message = v.pointer("/error/message").and_then(Value::as_str).unwrap_or_default();
    matches!(kind, Some("tool_not_registered" | "policy_violation" | "execution_denied"))
        || message.starts_with("Access denied")
}

fn shell_command(name: &str, parameters: &Value) -> Option<String> {
    (name == "run_shell_command").then(|| str_at(parameters, "command").unwrap_or_default().to_owned())
}

/// `write_file` is taken as a new file (its result does not say whether it overwrote one);
/// `replace` edits an existing file.
fn file_change(call: &ToolUse) -> Option<AgentEvent> {
    let change = match call.name.as_str() {
        "write_file" => "add",
        "replace" => "update",
        _ => return None,
    };
    let path = str_at(&call.parameters, "file_path")?;
    Some(AgentEvent::FileChange { path: path.to_owned(), change: change.to_owned() })
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

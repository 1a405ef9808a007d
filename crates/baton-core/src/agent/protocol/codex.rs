//! Codex CLI (`codex`) headless: `codex exec --json PROMPT` prints one JSON event per line
//! (`thread.started`, `turn.*`, `item.started|updated|completed` carrying a typed `item`, and
//! `error`). One process runs one turn and exits; a follow-up starts `codex exec ... resume
//! <thread_id> PROMPT`. It reports no cost and no permission denials.
//! Facts and recorded transcripts: `tests/fixtures/transcripts/codex_*.jsonl`.

use serde_json::Value;

use super::{CliKind, Launch, LaunchSpec, LineParser, MCP_SERVER, MCP_TOKEN_ENV, McpConnect, McpLink, Protocol};
use crate::agent::event::{AgentEvent, CommandStatus};

pub struct Codex;

impl Protocol for Codex {
    fn cli(&self) -> CliKind {
        CliKind::Codex
    }

    /// `workspace-write`: the default `read-only` sandbox makes writes fail silently.
    /// `--skip-git-repo-check`: a session's folder need not be a git repository.
    /// Codex has no flag for single tools; the one "tool" the user can approve is
    /// [`FULL_ACCESS`], the sandbox mode that lets commands write outside the workspace.
    fn launch(&self, spec: &LaunchSpec<'_>) -> Launch {
        // Read-only: commands run, but the sandbox refuses every write.
        let sandbox = if spec.read_only {
            "read-only"
        } else if spec.allowed_tools.iter().any(|t| t == FULL_ACCESS) {
            FULL_ACCESS
        } else {
            "workspace-write"
        };
        let mut args: Vec<String> =
            ["exec", "--json", "--sandbox", sandbox, "--skip-git-repo-check"].map(String::from).into();
        if let Some(model) = spec.model.filter(|m| !m.is_empty()) {
            args.extend(["-m".into(), model.into()]);
        }
        if let Some(id) = spec.resume {
            args.extend(["resume".into(), id.into()]);
        }
        // `--` so that a prompt is never read as a flag ("-v ...") or a subcommand ("review").
        args.extend(["--".into(), spec.prompt.into()]);
        Launch { args, stdin_lines: Vec::new(), stdin_open: false }
    }

    fn parser(&self) -> Box<dyn LineParser> {
        Box::new(CodexParser::default())
    }

    /// Configuration overrides (`-c`, before the subcommand) add Baton's server over streamable
    /// HTTP; the token travels in the environment, out of the arguments. Its tools are approved
    /// (the server checks each call): `exec` runs with approval policy "never", under which Codex
    /// refuses an MCP call that would need approval ("MCP tool call requires approval, but
    /// approval policy is never").
    fn mcp_connect(&self, link: &McpLink<'_>) -> McpConnect {
        let url = serde_json::Value::String(link.url.to_owned());
        McpConnect {
            args: vec![
                "-c".into(),
                format!("mcp_servers.{MCP_SERVER}.url={url}"),
                "-c".into(),
                format!("mcp_servers.{MCP_SERVER}.bearer_token_env_var=\"{MCP_TOKEN_ENV}\""),
                "-c".into(),
                format!("mcp_servers.{MCP_SERVER}.default_tools_approval_mode=\"approve\""),
            ],
            env: vec![(MCP_TOKEN_ENV.into(), link.token.into())],
            ..McpConnect::default()
        }
    }
}

/// Keeps the turn's last agent message: `turn.completed` does not repeat it, and it is the
/// turn's result as Claude reports it.
#[derive(Default, Clone)]
struct CodexParser {
    last_message: Option<String>,
}

impl LineParser for CodexParser {
    fn snapshot(&self) -> Box<dyn LineParser> {
        Box::new(self.clone())
    }

    fn parse(&mut self, line: &str) -> Vec<AgentEvent> {
        let mut events = match serde_json::from_str::<Value>(line) {
            Ok(v) => self.events(&v),
            Err(_) => Vec::new(),
        };
        // A line that maps to nothing (`turn.started`, a reasoning item, ...) is kept whole.
        if events.is_empty() {
            events.push(AgentEvent::Raw { line: line.to_owned() });
        }
        events
    }
}

impl CodexParser {
    fn events(&mut self, v: &Value) -> Vec<AgentEvent> {
        match str_at(v, "type") {
            Some("thread.started") => str_at(v, "thread_id")
                .map(|id| AgentEvent::SessionStarted {
                    cli_session_id: id.to_owned(),
                    model: None,
                    cwd: None,
                    tools: Vec::new(),
                })
                .into_iter()
                .collect(),
            Some("item.started") => v.get("item").map(item_started).unwrap_or_default(),
            Some("item.completed") => v.get("item").map(|item| self.item_completed(item)).unwrap_or_default(),
            Some("turn.completed") => self.turn_completed(v),
            Some("turn.failed") => {
                self.last_message = None;
                vec![AgentEvent::TurnCompleted {
                    result: v.pointer("/error/message").and_then(Value::as_str).map(String::from),
                    is_error: true,
                    subtype: None,
                    duration_ms: None,
                }]
            }
            Some("error") => {
                str_at(v, "message").map(|m| AgentEvent::Error { message: m.to_owned() }).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn item_completed(&mut self, item: &Value) -> Vec<AgentEvent> {
        match str_at(item, "type") {
            Some("agent_message") => {
                let Some(text) = str_at(item, "text") else { return Vec::new() };
                self.last_message = Some(text.to_owned());
                vec![AgentEvent::Text { text: text.to_owned(), delta: false }]
            }
            Some("command_execution") => command(item).into_iter().chain(sandbox_refusal(item)).collect(),
            // A failed patch changed nothing: no FileChange, the line stays Raw.
            Some("file_change") if str_at(item, "status") == Some("completed") => item
                .get("changes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    Some(AgentEvent::FileChange {
                        path: str_at(c, "path")?.to_owned(),
                        change: str_at(c, "kind").unwrap_or("update").to_owned(),
                    })
                })
                .collect(),
            Some("mcp_tool_call") => mcp_result(item).into_iter().collect(),
            Some("error") => {
                str_at(item, "message").map(|m| AgentEvent::Error { message: m.to_owned() }).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn turn_completed(&mut self, v: &Value) -> Vec<AgentEvent> {
        let mut events = Vec::new();
        if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
            events.push(AgentEvent::Usage {
                input_tokens: u64_at(usage, "input_tokens"),
                output_tokens: u64_at(usage, "output_tokens"),
                cache_read_tokens: u64_at(usage, "cached_input_tokens"),
                cache_write_tokens: u64_at(usage, "cache_write_input_tokens"),
                cost_usd: None,
            });
        }
        events.push(AgentEvent::TurnCompleted {
            result: self.last_message.take(),
            is_error: false,
            subtype: None,
            duration_ms: None,
        });
        events
    }
}

/// Only commands and MCP calls say something when they start; the other items are reported
/// whole when completed.
fn item_started(item: &Value) -> Vec<AgentEvent> {
    match str_at(item, "type") {
        Some("command_execution") => command(item).into_iter().collect(),
        Some("mcp_tool_call") => {
            let (Some(id), Some(server), Some(tool)) =
                (str_at(item, "id"), str_at(item, "server"), str_at(item, "tool"))
            else {
                return Vec::new();
            };
            // Named as Claude names MCP tools, so one policy can allow a tool for both.
            vec![AgentEvent::ToolCall {
                id: id.to_owned(),
                name: format!("mcp__{server}__{tool}"),
                input: item.get("arguments").cloned().unwrap_or(Value::Null),
            }]
        }
        _ => Vec::new(),
    }
}

/// What the user approves to let Codex's commands write outside the workspace: the sandbox
/// mode of that name, for the resumed run.
pub const FULL_ACCESS: &str = "danger-full-access";

/// A command the workspace-write sandbox stopped (it failed writing to a read-only file
/// system) is a permission denial, so the user can approve full access. Codex reports no
/// denials itself, and sometimes no item at all for a refused command (a known Codex bug):
/// what it does report is caught here.
fn sandbox_refusal(item: &Value) -> Option<AgentEvent> {
    let failed = item.get("exit_code").and_then(Value::as_i64).is_some_and(|c| c != 0);
    let output = str_at(item, "aggregated_output")?;
    let refused = ["Read-only file system", "Operation not permitted"].iter().any(|m| output.contains(m));
    (failed && refused && str_at(item, "status") != Some("in_progress")).then(|| AgentEvent::PermissionDenied {
        tool: FULL_ACCESS.to_owned(),
        tool_use_id: str_at(item, "id").map(str::to_owned),
        input: serde_json::json!({ "command": str_at(item, "command"), "output": output }),
    })
}

fn command(item: &Value) -> Option<AgentEvent> {
    let exit_code = item.get("exit_code").and_then(Value::as_i64);
    let status = match str_at(item, "status") {
        Some("in_progress") | None => CommandStatus::Started,
        Some("failed" | "declined") => CommandStatus::Failed,
        Some(_) if exit_code.is_some_and(|c| c != 0) => CommandStatus::Failed,
        Some(_) => CommandStatus::Completed,
    };
    let started = status == CommandStatus::Started;
    Some(AgentEvent::Command {
        id: str_at(item, "id")?.to_owned(),
        command: str_at(item, "command")?.to_owned(),
        // While it runs, the output is an empty placeholder, not an empty output.
        output: if started { None } else { str_at(item, "aggregated_output").map(String::from) },
        exit_code,
        status,
    })
}

fn mcp_result(item: &Value) -> Option<AgentEvent> {
    let error = item.pointer("/error/message").and_then(Value::as_str);
    let texts: Vec<&str> = item
        .pointer("/result/content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|block| str_at(block, "text"))
        .collect();
    Some(AgentEvent::ToolResult {
        id: str_at(item, "id")?.to_owned(),
        output: error.map_or_else(|| texts.join("\n"), String::from),
        is_error: error.is_some() || str_at(item, "status") == Some("failed"),
    })
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

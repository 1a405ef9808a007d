//! One normalised model of what an agent does, whatever CLI runs it. Every adapter turns its
//! CLI's lines into these; the UI, the coordinator and the store only ever see these.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Something an agent did or said. A line no adapter understands becomes [`AgentEvent::Raw`]:
/// never dropped, never a panic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgentEvent {
    /// The CLI's own session began (or resumed): its id is what `resume` needs.
    SessionStarted {
        cli_session_id: String,
        model: Option<String>,
        cwd: Option<String>,
        #[serde(default)]
        tools: Vec<String>,
    },
    /// Text from the assistant. `delta`: a piece of a message streamed in parts (join with the
    /// previous delta); otherwise a whole message.
    Text {
        text: String,
        delta: bool,
    },
    /// A message the user (or Baton on the user's behalf) sent, as the CLI echoed it; `from`:
    /// the name of the agent of the session that sent it, when one did.
    UserText {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        from: Option<String>,
    },
    /// A message this agent sent to another agent of its session (`to`: its name). The other
    /// agent receives it when its turn ends.
    MessageSent {
        to: String,
        text: String,
    },
    ToolCall {
        id: String,
        name: String,
        input: serde_json::Value,
    },
    ToolResult {
        id: String,
        output: String,
        is_error: bool,
    },
    /// A file the agent created, changed or deleted (`change`: add, update, delete).
    FileChange {
        path: String,
        change: String,
    },
    /// A shell command the agent ran (or started: `exit_code` is then absent).
    Command {
        id: String,
        command: String,
        output: Option<String>,
        #[ts(type = "number | null")]
        exit_code: Option<i64>,
        status: CommandStatus,
    },
    /// A tool call the CLI refused for lack of permission; the agent needs the user.
    PermissionDenied {
        tool: String,
        tool_use_id: Option<String>,
        input: serde_json::Value,
    },
    /// The session's policy refused a tool use, at once: `rule` is the policy's line that did
    /// (`deny_commands "git push*"`), `command` the shell command refused, when one was.
    PolicyDenied {
        tool: String,
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
        rule: String,
    },
    /// Tokens (and cost, when the CLI reports it) of a turn: a total for the turn, not a delta.
    Usage {
        #[ts(type = "number")]
        input_tokens: u64,
        #[ts(type = "number")]
        output_tokens: u64,
        #[ts(type = "number")]
        cache_read_tokens: u64,
        #[ts(type = "number")]
        cache_write_tokens: u64,
        /// As reported by the CLI; `None` when it reports none (Baton then estimates).
        cost_usd: Option<f64>,
    },
    /// The end of a turn. `subtype` is the CLI's own word for how it ended, e.g. `success`,
    /// `error_max_turns`.
    TurnCompleted {
        result: Option<String>,
        is_error: bool,
        subtype: Option<String>,
        #[ts(type = "number | null")]
        duration_ms: Option<u64>,
    },
    /// The CLI retries a failed model request.
    Retry {
        #[ts(type = "number")]
        attempt: u64,
        #[ts(type = "number | null")]
        max_retries: Option<u64>,
        error: Option<String>,
    },
    Error {
        message: String,
    },
    /// A line the agent wrote to stderr.
    Stderr {
        line: String,
    },
    /// A stdout line no adapter understood, kept as it was.
    Raw {
        line: String,
    },
    /// What Baton did for the agent (its worktree was made, a setup command's output...).
    Notice {
        message: String,
    },
    /// The agent's worktree was saved as checkpoint `n` (restorable).
    Checkpoint {
        n: u32,
        commit: String,
        message: String,
    },
    /// Something one of the agent's own subagents did (Claude's Task tool): `event` as the
    /// subagent did it, under the tool call that started it, so it can be shown folded there
    /// rather than mixed into the agent's own conversation.
    Nested {
        parent_tool_use_id: String,
        event: Box<AgentEvent>,
    },
    /// The process ended: with `code`, or killed by `signal`.
    Exited {
        #[ts(type = "number | null")]
        code: Option<i64>,
        #[ts(type = "number | null")]
        signal: Option<i64>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    Started,
    Completed,
    Failed,
}

impl AgentEvent {
    /// Whether the event goes into the SQLite event index. The index holds what one looks
    /// things up by (tool calls, files, commands, permissions, usage, turns, errors, exits);
    /// lines of text, stderr and raw output, the bulk of what agents print, are only in the
    /// log, which is the record anyway. This keeps the database out of the hot path.
    pub fn is_indexed(&self) -> bool {
        match self {
            Self::Nested { event, .. } => event.is_indexed(),
            _ => !matches!(self, Self::Text { .. } | Self::Stderr { .. } | Self::Raw { .. }),
        }
    }

    /// The event's kind, as in its JSON `kind` field (the event index stores it).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::SessionStarted { .. } => "session_started",
            Self::Text { .. } => "text",
            Self::UserText { .. } => "user_text",
            Self::MessageSent { .. } => "message_sent",
            Self::ToolCall { .. } => "tool_call",
            Self::ToolResult { .. } => "tool_result",
            Self::FileChange { .. } => "file_change",
            Self::Command { .. } => "command",
            Self::PermissionDenied { .. } => "permission_denied",
            Self::PolicyDenied { .. } => "policy_denied",
            Self::Usage { .. } => "usage",
            Self::TurnCompleted { .. } => "turn_completed",
            Self::Retry { .. } => "retry",
            Self::Error { .. } => "error",
            Self::Stderr { .. } => "stderr",
            Self::Raw { .. } => "raw",
            Self::Exited { .. } => "exited",
            Self::Notice { .. } => "notice",
            Self::Checkpoint { .. } => "checkpoint",
            Self::Nested { .. } => "nested",
        }
    }
}

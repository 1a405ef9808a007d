//! One adapter per agent CLI: how to start it (arguments, stdin), how to send it a follow-up,
//! and how to read its output lines into [`AgentEvent`]s. The supervisor knows nothing of any
//! particular CLI; everything CLI-specific lives in these modules.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::event::AgentEvent;

pub mod claude;
pub mod codex;
pub mod command;
pub mod gemini;

/// The agent CLIs Baton speaks to. `Command` is any program, shown as a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CliKind {
    Claude,
    Codex,
    Gemini,
    Command,
}

impl CliKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Codex => "codex",
            Self::Gemini => "gemini",
            Self::Command => "command",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "claude" => Some(Self::Claude),
            "codex" => Some(Self::Codex),
            "gemini" => Some(Self::Gemini),
            "command" => Some(Self::Command),
            _ => None,
        }
    }

    /// The program's default name on PATH and the npm package that provides it.
    pub fn default_binary(self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::Claude => Some(("claude", "@anthropic-ai/claude-code")),
            Self::Codex => Some(("codex", "@openai/codex")),
            Self::Gemini => Some(("gemini", "@google/gemini-cli")),
            Self::Command => None,
        }
    }

    pub fn protocol(self) -> Box<dyn Protocol> {
        match self {
            Self::Claude => Box::new(claude::Claude),
            Self::Codex => Box::new(codex::Codex),
            Self::Gemini => Box::new(gemini::Gemini),
            Self::Command => Box::new(command::Command),
        }
    }
}

/// What one run of an agent's CLI is asked to do.
#[derive(Debug, Clone)]
pub struct LaunchSpec<'a> {
    /// The message for this turn (the first prompt, a follow-up, or "continue" after an approval).
    pub prompt: &'a str,
    pub model: Option<&'a str>,
    /// Tools allowed beyond the defaults (from the session policy and the user's approvals).
    pub allowed_tools: &'a [String],
    /// The CLI's own session id, to continue that session instead of starting a new one.
    pub resume: Option<&'a str>,
    pub cwd: &'a Path,
    /// Only tools that read: the CLI is started so that it cannot change files or run commands
    /// that do (the wizard's planner looks at the repository and answers, nothing more).
    pub read_only: bool,
}

/// How to start one process of an agent's CLI (the program itself comes from the settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    pub args: Vec<String>,
    /// Lines written to stdin right after the start (e.g. Claude's first stream-json message).
    pub stdin_lines: Vec<String>,
    /// Keep stdin open after those lines (the CLI takes follow-ups on stdin).
    pub stdin_open: bool,
}

/// How a follow-up message reaches a CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// Write [`Protocol::stdin_message`] to the running process's stdin.
    Stdin,
    /// Start a new process that resumes the CLI's own session ([`LaunchSpec::resume`]).
    Relaunch,
}

/// Where an agent reaches Baton's MCP server, with its own token.
pub struct McpLink<'a> {
    /// `http://127.0.0.1:PORT/mcp`.
    pub url: &'a str,
    pub token: &'a str,
    /// A folder of the agent's own for a configuration file, if the CLI needs one.
    pub dir: &'a Path,
}

/// What connects one CLI to Baton's MCP server: arguments, environment and files to write
/// before the start. The user's own MCP servers stay configured as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct McpConnect {
    pub args: Vec<String>,
    /// Tools to allow without asking (Claude's `mcp__baton`: every tool of the server).
    pub allowed_tools: Vec<String>,
    pub env: Vec<(String, String)>,
    pub files: Vec<(PathBuf, String)>,
}

/// The server's name in every CLI's configuration: its tools are `mcp__baton__*` in Claude.
pub const MCP_SERVER: &str = "baton";

/// The tool of Baton's MCP server through which a CLI asks for a permission in its turn.
pub const PERMISSION_TOOL: &str = "permission_prompt";

/// The environment variable that carries the agent's MCP token to CLIs that read it from there.
pub const MCP_TOKEN_ENV: &str = "BATON_MCP_TOKEN";

pub trait Protocol: Send + Sync {
    fn cli(&self) -> CliKind;
    /// Arguments and stdin for one run. Never a shell string.
    fn launch(&self, spec: &LaunchSpec<'_>) -> Launch;
    /// How follow-ups reach the CLI; most CLIs take one prompt per run and resume.
    fn follow_up(&self) -> FollowUp {
        FollowUp::Relaunch
    }
    /// The stdin line that carries `text` as a user message (for [`FollowUp::Stdin`]); without
    /// a trailing newline (the supervisor adds it). CLIs that relaunch never use it.
    fn stdin_message(&self, text: &str) -> String {
        text.to_owned()
    }
    /// A new parser for one process's stdout (parsers may keep state between lines).
    fn parser(&self) -> Box<dyn LineParser>;
    /// How this CLI connects to Baton's MCP server (nothing for a plain program).
    fn mcp_connect(&self, _link: &McpLink<'_>) -> McpConnect {
        McpConnect::default()
    }
}

pub trait LineParser: Send {
    /// The events in one stdout line (without its newline). Never panics; a line it does not
    /// understand becomes one [`AgentEvent::Raw`].
    fn parse(&mut self, line: &str) -> Vec<AgentEvent>;

    /// A copy of the parser as it stands: decoding can go on from here later (the history's
    /// seek points, `agent/history.rs`), giving the events a walk from the start would give.
    fn snapshot(&self) -> Box<dyn LineParser>;
}

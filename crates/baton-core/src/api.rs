//! Types the shells exchange about the daemon itself (not about sessions or agents).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What `GET /api/health` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonHealth {
    pub version: String,
    pub pid: u32,
    /// The daemon's `BATON_HOME`.
    pub home: String,
    /// RFC 3339.
    pub started_at: String,
    /// Active sessions.
    pub sessions: u32,
}

/// Where a client reaches the daemon: its base URL and bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonConnection {
    pub url: String,
    pub token: String,
}

/// `POST /api/agents/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentMessage {
    pub text: String,
    /// The agent (id or name, of the same session) the message is from; absent: the user.
    #[serde(default)]
    #[ts(optional)]
    pub from: Option<String>,
}

/// `POST /api/agents/{id}/approve` and `/deny` (`always` is ignored by deny).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentApprove {
    pub tool: String,
    /// Allow the tool for every agent of the session from now on.
    #[serde(default)]
    pub always: bool,
}

/// `POST /api/worktrees/gc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorktreesGc {
    /// Say what would be removed; remove nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// `GET /api/worktrees`: the disk used by Baton's worktrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorktreesUsage {
    pub dir: String,
    #[ts(type = "number")]
    pub disk_bytes: u64,
}

/// `POST /api/sessions/{id}/objectives`, `/insights`, `/decisions`: the text to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextText {
    pub text: String,
}

/// `POST /api/sessions/{id}/objectives/{oid}`: the objective's new state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectiveUpdate {
    pub state: crate::context::ObjectiveState,
}

/// `GET /api/agents`: one session's agents (id or name), or every session's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub session: Option<String>,
    /// Include removed (archived) agents, flagged by their `archivedAt` [default: true, so a
    /// session's total counts their cost].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub archived: Option<bool>,
}

/// `GET /api/agents/{id}/events`: at most `limit` events of the history (default 10,000, at most
/// 100,000), oldest first: those after `after` (a seq, exclusive; default 0), or, with `before`
/// (a seq, exclusive), the newest ones before it. A lane shows a long history from its end:
/// `before` past the last seq (e.g. 2^53 - 1) gives the last `limit` events, then `before` the
/// first seq shown gives the page before.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentEventsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub before: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub limit: Option<u64>,
}

/// `POST /api/daemon/stop`: `force` stops the daemon even while agents work (interrupting them;
/// the next daemon lists them to resume).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DaemonStopQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub force: Option<bool>,
}

/// `DELETE /api/agents/{id}`: `force` removes the worktree even with uncommitted work in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentRemoveQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub force: Option<bool>,
}

/// `GET /api/agents/{id}/diff`: `patch: false` gives the files and line counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentDiffQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub patch: Option<bool>,
}

/// `GET /api/patterns/{name}`: a pattern's graph, with changes as `pattern run --set` makes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PatternShowQuery {
    /// Changes separated by spaces: `count=3 review.count=2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub set: Option<String>,
}

/// `GET /api/tasks`: the task graph of one session (id or name), oldest task first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskListQuery {
    pub session: String,
}

/// `GET /api/sessions/{id}/cycles`: the newest `limit` cycles (default 50, at most 10,000).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CyclesQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub limit: Option<u64>,
}

/// `GET /api/sessions/{id}/report`: the report as Markdown (`md`, the default) or HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub format: Option<crate::report::ReportFormat>,
}

/// `GET /api/artifacts`: a session's artifacts, or one task's (id or name), newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactListQuery {
    pub session: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub task: Option<String>,
}

/// `GET /api/artifacts/search`: full-text search over artifacts (of one session, or all), best
/// first (`limit` default 50, at most 1,000).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactSearchQuery {
    pub q: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub limit: Option<u64>,
}

/// `GET /api/health/agents`: one session's agents (id or name), or every live agent and every
/// one with an open alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthAgentsQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub session: Option<String>,
}

/// `GET /api/agents/{id}/samples`: samples from `since` (milliseconds since the epoch; default
/// the last hour), oldest first, at most `limit` (the newest; default 1,800, at most 20,000).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SamplesQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub limit: Option<u64>,
}

/// `GET /api/alerts`: one session's alerts (id or name) or every session's, newest first: the
/// open, unacknowledged ones, or with `all` every one kept (at most 500).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub all: Option<bool>,
}

/// `GET /api/settings`: the settings in effect, the defaults, and the file they come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SettingsRead {
    /// `$BATON_HOME/settings.json`, the file the CLI and the daemon read.
    pub path: String,
    /// The file exists (without it, every setting is its default).
    pub exists: bool,
    /// The values in effect: the file's, and the defaults for what it leaves out.
    pub settings: crate::settings::Settings,
    pub defaults: crate::settings::Settings,
}

/// `PATCH /api/settings`: a JSON merge patch of the settings (RFC 7396): `{"theme": "dark"}`
/// sets a field, `{"clis": {"claude": {"binary": null}}}` removes one (back to its default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingsUpdate {
    pub patch: serde_json::Value,
}

/// `GET /api/settings/clis`: one CLI, or every one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CliDetectQuery {
    #[ts(optional)]
    pub cli: Option<crate::agent::protocol::CliKind>,
}

/// `POST /api/editor/open`: the folder (or file) to open in the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditorOpen {
    pub path: String,
}

/// `POST /api/terminals`: the user's shell in an agent's worktree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalOpen {
    /// The agent (id or name) whose worktree the shell opens in.
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cols: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rows: Option<u16>,
}

/// `GET /api/terminals`: the terminals of one agent (id or name), or all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent: Option<String>,
}

/// `POST /api/terminals/{id}/resize`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalResize {
    pub cols: u16,
    pub rows: u16,
}

/// `POST /api/terminals/{id}/input`: text typed into the terminal (`\r` is Enter).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TerminalInput {
    pub data: String,
}

/// `POST /api/artifacts`: keeps a piece of work in the session (a finding, a plan, a report),
/// searchable with the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArtifactCreate {
    /// The session (id or name).
    pub session: String,
    /// The task it belongs to (id or name), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub task: Option<String>,
    /// The agent that made it (id or name), if any; an agent calling through MCP is this agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent: Option<String>,
    /// `markdown` (the default), `text`, `json`, `file`, `diff` or `verdict`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kind: Option<crate::artifact::ArtifactKind>,
    pub title: String,
    pub body: String,
    /// For a file: its path in the worktree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub path: Option<String>,
}

/// `GET /api/agents/{id}/wait`: how long to wait for the agent's turn to end, in seconds
/// (default 60, at most 600).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentWaitQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub timeout: Option<u64>,
}

/// `POST /api/agents/{id}/inbox/take`: how long to wait for a message, in seconds (default 60, at
/// most 600).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboxTake {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub timeout: Option<u64>,
}

/// `GET /api/sessions/{id}/policy`: the session's policy in effect, the file's text and path,
/// and the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRead {
    pub session_id: String,
    /// `$BATON_HOME/sessions/ID/policy.toml`.
    pub path: String,
    /// The file as written, comments and all.
    pub text: String,
    /// The values in effect.
    pub policy: crate::policy::Policy,
    pub defaults: crate::policy::Policy,
}

/// `POST /api/sessions/{id}/policy`: the policy file's new text, checked before it is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyWrite {
    pub text: String,
}

/// `PATCH /api/sessions/{id}/policy`: one setting of the policy file changed in place (its
/// comments and other lines kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyUpdate {
    /// Run the session's agents in the sandbox or not.
    #[serde(default)]
    #[ts(optional)]
    pub sandbox: Option<bool>,
}

//! Types the shells exchange about the daemon itself (not about sessions or agents).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What `GET /api/health` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DaemonConnection {
    pub url: String,
    pub token: String,
}

/// `POST /api/agents/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AgentMessage {
    pub text: String,
}

/// `POST /api/agents/{id}/approve` and `/deny` (`always` is ignored by deny).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AgentApprove {
    pub tool: String,
    /// Allow the tool for every agent of the session from now on.
    #[serde(default)]
    pub always: bool,
}

/// `POST /api/worktrees/gc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorktreesGc {
    /// Say what would be removed; remove nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// `GET /api/worktrees`: the disk used by Baton's worktrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WorktreesUsage {
    pub dir: String,
    #[ts(type = "number")]
    pub disk_bytes: u64,
}

/// `POST /api/sessions/{id}/objectives`, `/insights`, `/decisions`: the text to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContextText {
    pub text: String,
}

/// `PATCH /api/sessions/{id}/objectives/{oid}`: `open`, `done` or `dropped`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ObjectiveState {
    pub state: String,
}

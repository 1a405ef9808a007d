//! An agent's record in the store: what it is (CLI, model, directory, first prompt), where it
//! stands (state, pid, the CLI's own session id), what it cost, and the permission requests it
//! is waiting on. Written before the process starts, so a restarted daemon knows every agent.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::protocol::CliKind;
use crate::error::{ErrorCode, Result};
use crate::{ids, time};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: String,
    pub session_id: String,
    pub name: String,
    pub cli: CliKind,
    pub model: Option<String>,
    pub state: AgentState,
    /// The directory the agent works in.
    pub cwd: String,
    /// For `command` agents: the program and its arguments.
    pub command: Vec<String>,
    /// The first prompt.
    pub prompt: String,
    /// The CLI's own session id (what resuming needs).
    pub cli_session_id: Option<String>,
    pub pid: Option<u32>,
    #[ts(type = "number | null")]
    pub exit_code: Option<i64>,
    /// Tools allowed beyond the CLI's defaults when the agent was spawned. A tool approved later
    /// is allowed for the turn it resumes; one approved for always is in the session's settings.
    pub allowed_tools: Vec<String>,
    /// Turns completed.
    pub turns: u32,
    pub usage: TokenUsage,
    pub cost_usd: f64,
    /// True when the cost is Baton's estimate from tokens (the CLI reports none).
    pub cost_is_estimate: bool,
    /// The agent's JSONL log: the record of everything it printed.
    pub log_path: String,
    /// RFC 3339.
    pub last_event_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Permission requests waiting for the user.
    pub pending: Vec<PermissionRequest>,
    /// The agent's own worktree and branch; `None` when it works in a folder it was given.
    pub worktree: Option<AgentWorktree>,
    /// The task it works (or last worked) on, when the coordinator gave it one.
    pub task_id: Option<String>,
    /// The task's role (`architect`, `reviewer`...): idle agents take new work of their role.
    pub role: Option<String>,
    /// Its process group is paused (SIGSTOP) by "pause all"; "resume all" continues it. Or a
    /// budget paused it after its turn (`paused_reason` says which).
    pub paused: bool,
    /// Why a budget paused it ("over budget (cost $2.00 of $2.00)"); `baton resume AGENT` once
    /// the budget is raised. `None` when not paused, or paused by "pause all".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub paused_reason: Option<String>,
    /// When its idle process was ended to free memory (it is `waiting`; a message resumes its
    /// session). RFC 3339; `None` while it has a process or never idled that long.
    pub released_at: Option<String>,
    /// When the user removed it: its worktree is gone, its record, history and cost stay (the
    /// session's total counts them). RFC 3339; `None` for an agent in use.
    pub archived_at: Option<String>,
    /// When a stopping (or dying) daemon interrupted its turn: it is listed among the agents to
    /// resume after the restart until it is resumed or the notice dismissed. RFC 3339.
    pub interrupted_at: Option<String>,
    /// Messages sent to it while it worked, waiting for its turn to end (then delivered
    /// together, in order).
    pub queued_messages: u32,
    /// A conversation Baton does not run (the user's own CLI, registered as the session's
    /// coordinator through MCP): no process is ever started for it; it takes its messages
    /// through Baton's tools.
    pub external: bool,
}

/// Where an agent works in git: its worktree, its branch, what the branch started from, and its
/// last merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentWorktree {
    pub path: String,
    pub branch: String,
    /// The ref the branch was made from (the default merge target).
    pub base_ref: String,
    /// The commit `base_ref` pointed to then.
    pub base_commit: String,
    pub merged_into: Option<String>,
    /// The branch's tip when it was last merged.
    pub merged_tip: Option<String>,
    /// RFC 3339.
    pub merged_at: Option<String>,
    /// When the worktree folder was removed (the branch may remain). RFC 3339.
    pub removed_at: Option<String>,
    /// When the branch was deleted, its work merged. RFC 3339.
    pub branch_deleted_at: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    #[ts(type = "number")]
    pub input: u64,
    #[ts(type = "number")]
    pub output: u64,
    #[ts(type = "number")]
    pub cache_read: u64,
    #[ts(type = "number")]
    pub cache_write: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Recorded; the process is being started.
    Starting,
    /// Working on a turn.
    Running,
    /// The turn is done; ready for a message.
    Waiting,
    /// A tool was denied: the user must approve or deny it.
    NeedsInput,
    /// The process ended by itself, successfully.
    Exited,
    /// The process or its turn failed.
    Failed,
    /// Stopped by the user or by the daemon stopping.
    Stopped,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::NeedsInput => "needs_input",
            Self::Exited => "exited",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "starting" => Self::Starting,
            "running" => Self::Running,
            "waiting" => Self::Waiting,
            "needs_input" => Self::NeedsInput,
            "exited" => Self::Exited,
            "failed" => Self::Failed,
            _ => Self::Stopped,
        }
    }

    /// Whether its process ended for good (a message may still resume its session).
    pub fn is_ended(self) -> bool {
        matches!(self, Self::Exited | Self::Failed | Self::Stopped)
    }

    /// Whether a process may be working for this agent.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Starting | Self::Running)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionRequest {
    pub id: String,
    pub tool: String,
    pub tool_use_id: Option<String>,
    /// The tool's input, as the agent asked for it.
    #[ts(type = "unknown")]
    pub input: serde_json::Value,
    pub created_at: String,
}

/// A request to start an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentSpawn {
    /// Session id or name.
    pub session: String,
    pub cli: CliKind,
    pub prompt: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// Tools to allow from the start.
    #[serde(default)]
    pub allow_tools: Vec<String>,
    /// For `command` agents: the program and its arguments.
    #[serde(default)]
    pub program: Vec<String>,
    /// The directory to work in [default: the session's repository].
    #[serde(default)]
    pub cwd: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("no agent has the id or name {0:?}; `baton list` shows them")]
    NotFound(String),
    #[error("an agent named {0:?} already exists in this session; choose another name")]
    DuplicateName(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    CliMissing(String),
    #[error("cannot start {program}: {detail}")]
    Spawn { program: String, detail: String },
    #[error("agent {agent} has no pending permission request for {tool:?}{pending}")]
    NothingPending { agent: String, tool: String, pending: String },
    #[error("agent {agent} is {state} and cannot take a message: {why}")]
    NotListening { agent: String, state: &'static str, why: &'static str },
    #[error("cannot write the agent's log {path}: {detail}")]
    Log { path: String, detail: String },
    #[error("the daemon has no runtime for agents; this is a bug in the shell that opened the engine")]
    NoRuntime,
    #[error("agent {agent} is {state}; {what}")]
    Busy { agent: String, state: &'static str, what: &'static str },
    #[error(
        "{count} agent(s) are working: {names}. Stopping the daemon interrupts them; stop it anyway with `baton daemon stop --force` (the app then offers to resume them after the next start)"
    )]
    Working { count: usize, names: String },
}

impl AgentError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::DuplicateName(_) => ErrorCode::DuplicateName,
            Self::Invalid(_) | Self::NothingPending { .. } | Self::NotListening { .. } => ErrorCode::InvalidInput,
            Self::CliMissing(_) => ErrorCode::CliMissing,
            Self::Spawn { .. } => ErrorCode::SpawnFailed,
            Self::Log { .. } => ErrorCode::Io,
            Self::NoRuntime => ErrorCode::Internal,
            Self::Busy { .. } => ErrorCode::AgentBusy,
            Self::Working { .. } => ErrorCode::AgentsWorking,
        }
    }
}

const COLUMNS: &str = "id, session_id, name, cli, model, state, cwd, command, prompt, cli_session_id, pid, exit_code, \
     allowed_tools, turns, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, \
     cost_is_estimate, log_path, last_event_at, created_at, updated_at, worktree_path, branch, base_ref, base_commit, \
     merged_into, merged_tip, merged_at, worktree_removed_at, branch_deleted_at, task_id, role, paused, released_at, \
     archived_at, interrupted_at, \
     (SELECT count(*) FROM agent_messages m WHERE m.agent_id = agents.id AND m.delivered_at IS NULL), external, \
     paused_reason";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Agent> {
    let json_list = |i: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = row.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    let cli: String = row.get(3)?;
    let state: String = row.get(5)?;
    let tokens = |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(i)?.max(0) as u64) };
    Ok(Agent {
        id: row.get(0)?,
        session_id: row.get(1)?,
        name: row.get(2)?,
        cli: CliKind::parse(&cli).unwrap_or(CliKind::Command),
        model: row.get(4)?,
        state: AgentState::parse(&state),
        cwd: row.get(6)?,
        command: json_list(7)?,
        prompt: row.get(8)?,
        cli_session_id: row.get(9)?,
        pid: row.get::<_, Option<i64>>(10)?.and_then(|p| u32::try_from(p).ok()),
        exit_code: row.get(11)?,
        allowed_tools: json_list(12)?,
        turns: row.get::<_, i64>(13)?.clamp(0, u32::MAX as i64) as u32,
        usage: TokenUsage {
            input: tokens(14)?,
            output: tokens(15)?,
            cache_read: tokens(16)?,
            cache_write: tokens(17)?,
        },
        cost_usd: row.get(18)?,
        cost_is_estimate: row.get(19)?,
        log_path: row.get(20)?,
        last_event_at: row.get::<_, Option<i64>>(21)?.map(time::ms_to_rfc3339),
        created_at: time::ms_to_rfc3339(row.get(22)?),
        updated_at: time::ms_to_rfc3339(row.get(23)?),
        pending: Vec::new(),
        worktree: match (row.get::<_, Option<String>>(24)?, row.get::<_, Option<String>>(25)?) {
            (Some(path), Some(branch)) => Some(AgentWorktree {
                path,
                branch,
                base_ref: row.get::<_, Option<String>>(26)?.unwrap_or_default(),
                base_commit: row.get::<_, Option<String>>(27)?.unwrap_or_default(),
                merged_into: row.get(28)?,
                merged_tip: row.get(29)?,
                merged_at: row.get::<_, Option<i64>>(30)?.map(time::ms_to_rfc3339),
                removed_at: row.get::<_, Option<i64>>(31)?.map(time::ms_to_rfc3339),
                branch_deleted_at: row.get::<_, Option<i64>>(32)?.map(time::ms_to_rfc3339),
            }),
            _ => None,
        },
        task_id: row.get(33)?,
        role: row.get(34)?,
        paused: row.get(35)?,
        released_at: row.get::<_, Option<i64>>(36)?.map(time::ms_to_rfc3339),
        archived_at: row.get::<_, Option<i64>>(37)?.map(time::ms_to_rfc3339),
        interrupted_at: row.get::<_, Option<i64>>(38)?.map(time::ms_to_rfc3339),
        queued_messages: row.get::<_, i64>(39)?.clamp(0, u32::MAX as i64) as u32,
        external: row.get(40)?,
        paused_reason: row.get(41)?,
    })
}

/// Gives the agent a task (and the task's role).
pub(crate) fn agent_task_set(conn: &Connection, id: &str, task_id: &str, role: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE agents SET task_id = ?2, role = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, task_id, role, time::now_ms()],
    )?;
    Ok(())
}

/// What is known of an agent before its process starts.
pub(crate) struct AgentNew<'a> {
    pub session_id: &'a str,
    pub name: &'a str,
    pub cli: CliKind,
    pub model: Option<&'a str>,
    pub cwd: &'a str,
    pub command: &'a [String],
    pub prompt: &'a str,
    pub allowed_tools: &'a [String],
    pub log_dir: &'a std::path::Path,
    /// Started with only the tools that read (see [`super::protocol::LaunchSpec::read_only`]).
    pub read_only: bool,
}

/// Records the worktree made for an agent (after its record, before its process).
pub(crate) fn agent_worktree_set(conn: &Connection, id: &str, wt: &crate::worktree::Worktree) -> Result<()> {
    conn.execute(
        "UPDATE agents SET worktree_path = ?2, cwd = ?2, branch = ?3, base_ref = ?4, base_commit = ?5, updated_at = ?6 \
         WHERE id = ?1",
        params![id, wt.path, wt.branch, wt.base_ref, wt.base_commit, time::now_ms()],
    )?;
    Ok(())
}

/// Records a merge of the agent's branch (its tip then), so garbage collection knows a squashed
/// branch was merged.
pub(crate) fn agent_merged_set(conn: &Connection, id: &str, into: &str, tip: &str) -> Result<()> {
    conn.execute(
        "UPDATE agents SET merged_into = ?2, merged_tip = ?3, merged_at = ?4, updated_at = ?4 WHERE id = ?1",
        params![id, into, tip, time::now_ms()],
    )?;
    Ok(())
}

/// The agent's worktree folder is gone (removed, or collected); its branch stays.
pub(crate) fn agent_worktree_removed(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("UPDATE agents SET worktree_removed_at = ?2 WHERE id = ?1", params![id, time::now_ms()])?;
    Ok(())
}

/// The agent's worktree is back (made again from its branch).
pub(crate) fn agent_worktree_restored(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("UPDATE agents SET worktree_removed_at = NULL WHERE id = ?1", params![id])?;
    Ok(())
}

/// The agent's branch was deleted (its work was merged).
pub(crate) fn agent_branch_deleted(conn: &Connection, id: &str) -> Result<()> {
    conn.execute("UPDATE agents SET branch_deleted_at = ?2 WHERE id = ?1", params![id, time::now_ms()])?;
    Ok(())
}

/// The agent is archived: removed from use, its record, log and cost kept.
pub(crate) fn agent_archived_set(conn: &Connection, id: &str) -> Result<()> {
    conn.execute(
        "UPDATE agents SET archived_at = ?2, interrupted_at = NULL, updated_at = ?2 WHERE id = ?1",
        params![id, time::now_ms()],
    )?;
    Ok(())
}

/// Marks agents interrupted by the daemon stopping (those not archived).
pub(crate) fn agents_interrupted_mark(conn: &Connection, ids: &[String]) -> Result<()> {
    let now = time::now_ms();
    let mut stmt = conn.prepare_cached(
        "UPDATE agents SET interrupted_at = ?2, updated_at = ?2 WHERE id = ?1 AND archived_at IS NULL",
    )?;
    for id in ids {
        stmt.execute(params![id, now])?;
    }
    Ok(())
}

/// The agent no longer waits to be resumed after an interruption (resumed, or dismissed).
pub(crate) fn agent_interrupted_clear(conn: &Connection, id: &str) -> Result<()> {
    conn.execute(
        "UPDATE agents SET interrupted_at = NULL, updated_at = ?2 WHERE id = ?1 AND interrupted_at IS NOT NULL",
        params![id, time::now_ms()],
    )?;
    Ok(())
}

/// Agents interrupted by a daemon's stop and not yet resumed nor dismissed, oldest first.
pub(crate) fn agents_interrupted(conn: &Connection) -> Result<Vec<Agent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM agents WHERE interrupted_at IS NOT NULL AND archived_at IS NULL ORDER BY created_at, id"
    ))?;
    let agents = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(agents)
}

pub(crate) fn agent_name_taken(conn: &Connection, session_id: &str, name: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM agents WHERE session_id = ?1 AND name = ?2)",
        params![session_id, name],
        |r| r.get(0),
    )?)
}

pub(crate) fn agent_insert(conn: &Connection, new: &AgentNew<'_>) -> Result<Agent> {
    if agent_name_taken(conn, new.session_id, new.name)? {
        return Err(AgentError::DuplicateName(new.name.into()).into());
    }
    let id = ids::new_id("agt");
    let log_path = new.log_dir.join(format!("{id}.jsonl"));
    let now = time::now_ms();
    conn.execute(
        "INSERT INTO agents (id, session_id, name, cli, model, state, cwd, command, prompt, allowed_tools, log_path, \
         created_at, updated_at, read_only) VALUES (?1, ?2, ?3, ?4, ?5, 'starting', ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
        params![
            id,
            new.session_id,
            new.name,
            new.cli.as_str(),
            new.model,
            new.cwd,
            serde_json::to_string(new.command).unwrap_or_else(|_| "[]".into()),
            new.prompt,
            serde_json::to_string(new.allowed_tools).unwrap_or_else(|_| "[]".into()),
            log_path.to_string_lossy(),
            now,
            new.read_only
        ],
    )?;
    agent_get(conn, &id)
}

/// Whether the agent was started read-only: every process of it is (a resumption too).
pub(crate) fn agent_read_only(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.query_row("SELECT read_only FROM agents WHERE id = ?1", [id], |r| r.get(0))?)
}

/// By id, or by name (unique within a session; the newest wins across sessions).
pub(crate) fn agent_get(conn: &Connection, id_or_name: &str) -> Result<Agent> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM agents WHERE id = ?1 UNION ALL \
         SELECT * FROM (SELECT {COLUMNS} FROM agents WHERE name = ?1 ORDER BY created_at DESC) LIMIT 1"
    ))?;
    let mut agent =
        stmt.query_row([id_or_name], from_row).optional()?.ok_or_else(|| AgentError::NotFound(id_or_name.into()))?;
    agent.pending = permission_pending(conn, &agent.id)?;
    Ok(agent)
}

/// Agents of a session (or all), archived ones included unless `archived` is false.
pub(crate) fn agent_list(conn: &Connection, session_id: Option<&str>, archived: bool) -> Result<Vec<Agent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM agents WHERE (?1 IS NULL OR session_id = ?1) AND (?2 OR archived_at IS NULL) \
         ORDER BY created_at, id"
    ))?;
    let mut agents = stmt.query_map(params![session_id, archived], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    for agent in &mut agents {
        agent.pending = permission_pending(conn, &agent.id)?;
    }
    Ok(agents)
}

/// The agents health watches: those not ended, those that ended since `since` (ms), and those
/// with an open alert the user has not acknowledged (an ended agent whose crash was seen is not
/// weighed again every tick for ever; resumed, it is watched again and the alert resolves).
pub(crate) fn agents_watched(conn: &Connection, since: i64) -> Result<Vec<Agent>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM agents WHERE state NOT IN ('exited', 'failed', 'stopped') OR ended_at >= ?1 \
         OR id IN (SELECT agent_id FROM alerts WHERE resolved_at IS NULL AND acknowledged_at IS NULL) \
         ORDER BY created_at, id"
    ))?;
    let mut agents = stmt.query_map([since], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    for agent in agents.iter_mut().filter(|a| a.state == AgentState::NeedsInput) {
        agent.pending = permission_pending(conn, &agent.id)?;
    }
    Ok(agents)
}

pub(crate) fn agent_state_set(
    conn: &Connection,
    id: &str,
    state: AgentState,
    pid: Option<u32>,
    exit_code: Option<i64>,
) -> Result<()> {
    conn.execute(
        "UPDATE agents SET state = ?2, pid = ?3, exit_code = ?4, updated_at = ?5, \
         ended_at = CASE WHEN ?2 IN ('exited', 'failed', 'stopped') THEN ?5 END, \
         paused = CASE WHEN ?3 IS NULL AND paused_reason IS NULL THEN 0 ELSE paused END WHERE id = ?1",
        params![id, state.as_str(), pid, exit_code, time::now_ms()],
    )?;
    Ok(())
}

pub(crate) fn agent_cli_session_set(
    conn: &Connection,
    id: &str,
    cli_session_id: &str,
    model: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE agents SET cli_session_id = ?2, model = COALESCE(model, ?3), updated_at = ?4 WHERE id = ?1",
        params![id, cli_session_id, model, time::now_ms()],
    )?;
    Ok(())
}

/// Adds one turn's tokens and cost.
pub(crate) fn agent_usage_add(
    conn: &Connection,
    id: &str,
    usage: &TokenUsage,
    cost: f64,
    estimate: bool,
) -> Result<()> {
    conn.execute(
        "UPDATE agents SET input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3, \
         cache_read_tokens = cache_read_tokens + ?4, cache_write_tokens = cache_write_tokens + ?5, \
         cost_usd = cost_usd + ?6, cost_is_estimate = cost_is_estimate OR ?7, updated_at = ?8 WHERE id = ?1",
        params![
            id,
            usage.input as i64,
            usage.output as i64,
            usage.cache_read as i64,
            usage.cache_write as i64,
            cost,
            estimate,
            time::now_ms()
        ],
    )?;
    if cost > 0.0 {
        crate::attention::cost_quarter_add(conn, time::now_ms(), cost)?;
    }
    Ok(())
}

pub(crate) fn agent_turn_count(conn: &Connection, id: &str, last_event_ms: i64) -> Result<()> {
    conn.execute(
        "UPDATE agents SET turns = turns + 1, last_event_at = ?2, updated_at = ?2 WHERE id = ?1",
        params![id, last_event_ms],
    )?;
    Ok(())
}

pub(crate) fn permission_insert(
    conn: &Connection,
    agent_id: &str,
    tool: &str,
    tool_use_id: Option<&str>,
    input: &serde_json::Value,
) -> Result<bool> {
    // One pending request per tool call: the same denial reported twice is one request. A
    // call already answered in its turn (`permission_live.rs`) is not asked again.
    let (pending, answered): (bool, bool) = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM permission_requests WHERE agent_id = ?1 AND state = 'pending' \
         AND tool = ?2 AND tool_use_id IS ?3), \
         ?3 IS NOT NULL AND EXISTS(SELECT 1 FROM permission_requests WHERE agent_id = ?1 AND state <> 'pending' \
         AND tool = ?2 AND tool_use_id = ?3)",
        params![agent_id, tool, tool_use_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if answered {
        return Ok(false);
    }
    if !pending {
        conn.execute(
            "INSERT INTO permission_requests (id, agent_id, tool, tool_use_id, input, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![ids::new_id("prm"), agent_id, tool, tool_use_id, input.to_string(), time::now_ms()],
        )?;
    }
    Ok(true)
}

pub(crate) fn permission_pending(conn: &Connection, agent_id: &str) -> Result<Vec<PermissionRequest>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, tool, tool_use_id, input, created_at FROM permission_requests \
         WHERE agent_id = ?1 AND state = 'pending' ORDER BY created_at, id",
    )?;
    let rows = stmt
        .query_map([agent_id], |r| {
            let input: String = r.get(3)?;
            Ok(PermissionRequest {
                id: r.get(0)?,
                tool: r.get(1)?,
                tool_use_id: r.get(2)?,
                input: serde_json::from_str(&input).unwrap_or(serde_json::Value::Null),
                created_at: time::ms_to_rfc3339(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Marks every pending request for `tool` approved or denied; returns how many there were.
pub(crate) fn permission_decide(conn: &Connection, agent_id: &str, tool: &str, approved: bool) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE permission_requests SET state = ?3, decided_at = ?4 WHERE agent_id = ?1 AND tool = ?2 AND state = 'pending'",
        params![agent_id, tool, if approved { "approved" } else { "denied" }, time::now_ms()],
    )?)
}

/// Marks the agent paused or not (the change counts as activity: a resumed agent's silence
/// starts again from now, so it is not taken for stalled).
pub(crate) fn agent_paused_set(conn: &Connection, id: &str, paused: bool) -> Result<()> {
    conn.execute("UPDATE agents SET paused = ?2, updated_at = ?3 WHERE id = ?1", params![id, paused, time::now_ms()])?;
    Ok(())
}

/// Records that the agent's idle process was ended to free its memory (`Some(now)`), or that it
/// has a process again (`None`).
pub(crate) fn agent_released_set(conn: &Connection, id: &str, at: Option<i64>) -> Result<()> {
    conn.execute("UPDATE agents SET released_at = ?2 WHERE id = ?1", params![id, at])?;
    Ok(())
}

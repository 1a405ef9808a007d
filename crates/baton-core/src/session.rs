//! Sessions: one repository plus its orchestration. Create (the path must be a git working
//! tree), list, get by id or name, rename, archive and unarchive.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ErrorCode, Result};
use crate::git::RepoInfo;
use crate::{ids, time};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub name: String,
    /// The root of the repository's working tree.
    pub repo: String,
    /// The branch checked out when the session was made (the default merge target).
    pub base_branch: Option<String>,
    pub state: SessionState,
    pub settings: SessionSettings,
    /// The session whose agent made this one (`BATON_PARENT_SESSION` for its agents).
    pub parent_session_id: Option<String>,
    /// Whether its coordinator runs (`baton run`).
    pub coordinator: CoordinatorState,
    /// The agent whose conversation coordinates the session (promoted), if any: Baton's loop
    /// tells it what changed, cycle after cycle.
    pub coordinator_agent: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Active,
    Archived,
}

impl SessionState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoordinatorState {
    /// Not started, or stopped by the user: ready tasks wait.
    Off,
    /// Cycling: it starts ready tasks and watches agents (again after a daemon restart).
    Running,
    /// Its completion criteria held; `baton run` starts it again for new work.
    Complete,
}

impl CoordinatorState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Running => "running",
            Self::Complete => "complete",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "running" => Self::Running,
            "complete" => Self::Complete,
            _ => Self::Off,
        }
    }
}

/// A session's own settings (the `settings` column, JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionSettings {
    /// Tools every agent of the session may use.
    #[serde(default)]
    pub allow_tools: Vec<String>,
    /// Agents' branch names: `{session}` and `{agent}` are replaced [default:
    /// `baton/{session}/{agent}`].
    #[serde(default)]
    pub branch_pattern: Option<String>,
    /// A shell command run in each new worktree before its agent starts (e.g. `npm ci`).
    #[serde(default)]
    pub setup_command: Option<String>,
    /// How many tasks the coordinator runs at once [default: 3].
    #[serde(default)]
    pub max_agents: Option<u32>,
    /// The CLI of tasks whose role names none [default: claude].
    #[serde(default)]
    pub default_cli: Option<crate::agent::protocol::CliKind>,
    /// Merge a reviewed task's branch once its reviewer approves [default: no, the user merges].
    #[serde(default)]
    pub auto_merge: bool,
    /// Seconds between the coordinator's cycles [default: 3].
    #[serde(default)]
    pub cycle_secs: Option<u32>,
    /// A running agent silent this many seconds is stalled [default: 300].
    #[serde(default)]
    pub stall_secs: Option<u32>,
}

impl SessionSettings {
    pub fn max_agents(&self) -> usize {
        self.max_agents.unwrap_or(3).max(1) as usize
    }

    pub fn default_cli(&self) -> crate::agent::protocol::CliKind {
        self.default_cli.unwrap_or(crate::agent::protocol::CliKind::Claude)
    }

    pub fn cycle(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.cycle_secs.unwrap_or(3).max(1) as u64)
    }

    pub fn stall(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.stall_secs.unwrap_or(300).max(1) as u64)
    }
}

/// A request to make a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionCreate {
    /// A path inside a git working tree.
    pub repo: String,
    /// Defaults to the repository's folder name (made unique).
    #[serde(default)]
    pub name: Option<String>,
    /// The session (id or name) whose agent makes this one.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A change to a session; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
    /// An empty text clears it.
    #[serde(default)]
    pub branch_pattern: Option<String>,
    /// An empty text clears it.
    #[serde(default)]
    pub setup_command: Option<String>,
    #[serde(default)]
    pub max_agents: Option<u32>,
    #[serde(default)]
    pub default_cli: Option<crate::agent::protocol::CliKind>,
    #[serde(default)]
    pub auto_merge: Option<bool>,
    #[serde(default)]
    pub cycle_secs: Option<u32>,
    #[serde(default)]
    pub stall_secs: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("no session has the id or name {0:?}; `baton session list --all` shows them")]
    NotFound(String),
    #[error("a session named {0:?} already exists; choose another name")]
    DuplicateName(String),
    #[error("invalid session name {0:?}: {1}")]
    InvalidName(String, &'static str),
    #[error("invalid session setting: {0}")]
    InvalidSetting(&'static str),
    #[error("no repository given: say which folder holds the git repository the session works on")]
    RepoMissing,
}

impl SessionError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::DuplicateName(_) => ErrorCode::DuplicateName,
            Self::InvalidName(..) | Self::InvalidSetting(_) | Self::RepoMissing => ErrorCode::InvalidInput,
        }
    }
}

const COLUMNS: &str = "id, name, repo, base_branch, state, created_at, updated_at, settings, parent_session_id, coordinator, \
     coordinator_agent";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Session> {
    let state: String = row.get(4)?;
    Ok(Session {
        id: row.get(0)?,
        name: row.get(1)?,
        repo: row.get(2)?,
        base_branch: row.get(3)?,
        state: if state == "archived" { SessionState::Archived } else { SessionState::Active },
        created_at: time::ms_to_rfc3339(row.get(5)?),
        updated_at: time::ms_to_rfc3339(row.get(6)?),
        settings: serde_json::from_str(&row.get::<_, String>(7)?).unwrap_or_default(),
        parent_session_id: row.get(8)?,
        coordinator: CoordinatorState::parse(&row.get::<_, String>(9)?),
        coordinator_agent: row.get(10)?,
    })
}

/// Names are shown in lists and typed in commands: one line, not blank, not too long.
fn name_check(name: &str) -> Result<String, SessionError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(SessionError::InvalidName(name.into(), "it is empty"));
    }
    if trimmed.chars().count() > 100 {
        return Err(SessionError::InvalidName(name.into(), "it is longer than 100 characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(SessionError::InvalidName(name.into(), "it contains control characters"));
    }
    Ok(trimmed.to_owned())
}

fn name_taken(conn: &Connection, name: &str, except_id: Option<&str>) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sessions WHERE name = ?1 AND id IS NOT ?2)",
        params![name, except_id],
        |r| r.get(0),
    )
}

/// The repository's folder name, with `-2`, `-3`... when taken.
fn name_default(conn: &Connection, repo_root: &Path) -> Result<String> {
    let base = repo_root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "session".into());
    let base = name_check(&base).unwrap_or_else(|_| "session".into());
    let mut candidate = base.clone();
    let mut n = 2;
    while name_taken(conn, &candidate, None)? {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

pub(crate) fn session_insert(
    conn: &Connection,
    repo: &RepoInfo,
    name: Option<&str>,
    parent: Option<&str>,
) -> Result<Session> {
    let name = match name {
        Some(n) => {
            let n = name_check(n)?;
            if name_taken(conn, &n, None)? {
                return Err(SessionError::DuplicateName(n).into());
            }
            n
        }
        None => name_default(conn, &repo.root)?,
    };
    let id = ids::new_id("ses");
    let now = time::now_ms();
    conn.execute(
        "INSERT INTO sessions (id, name, repo, base_branch, state, created_at, updated_at, parent_session_id) \
         VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?5, ?6)",
        params![id, name, repo.root.to_string_lossy(), repo.branch, now, parent],
    )?;
    session_get(conn, &id)
}

pub(crate) fn session_list(conn: &Connection) -> Result<Vec<Session>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sessions ORDER BY created_at DESC, id"))?;
    let rows = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// By id first, then by exact name.
pub(crate) fn session_get(conn: &Connection, id_or_name: &str) -> Result<Session> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM sessions WHERE id = ?1 UNION ALL SELECT {COLUMNS} FROM sessions WHERE name = ?1 LIMIT 1"
    ))?;
    stmt.query_row([id_or_name], from_row).optional()?.ok_or_else(|| SessionError::NotFound(id_or_name.into()).into())
}

pub(crate) fn session_update(conn: &Connection, id_or_name: &str, update: &SessionUpdate) -> Result<Session> {
    let session = session_get(conn, id_or_name)?;
    let now = time::now_ms();
    if let Some(name) = &update.name {
        let name = name_check(name)?;
        if name_taken(conn, &name, Some(&session.id))? {
            return Err(SessionError::DuplicateName(name).into());
        }
        conn.execute("UPDATE sessions SET name = ?2, updated_at = ?3 WHERE id = ?1", params![session.id, name, now])?;
    }
    if let Some(archived) = update.archived {
        let state = if archived { SessionState::Archived } else { SessionState::Active };
        conn.execute(
            "UPDATE sessions SET state = ?2, archived_at = CASE WHEN ?2 = 'archived' THEN ?3 END, updated_at = ?3 WHERE id = ?1",
            params![session.id, state.as_str(), now],
        )?;
    }
    if update.max_agents == Some(0) {
        return Err(SessionError::InvalidSetting("max agents must be at least 1").into());
    }
    if update.cycle_secs == Some(0) || update.stall_secs == Some(0) {
        return Err(SessionError::InvalidSetting("the cycle and stall times are at least 1 second").into());
    }
    if update.default_cli == Some(crate::agent::protocol::CliKind::Command) {
        return Err(SessionError::InvalidSetting("the default CLI is claude, codex or gemini").into());
    }
    let changes_settings = update.branch_pattern.is_some()
        || update.setup_command.is_some()
        || update.max_agents.is_some()
        || update.default_cli.is_some()
        || update.auto_merge.is_some()
        || update.cycle_secs.is_some()
        || update.stall_secs.is_some();
    if changes_settings {
        let mut settings = session.settings.clone();
        settings.max_agents = update.max_agents.or(settings.max_agents);
        settings.default_cli = update.default_cli.or(settings.default_cli);
        settings.auto_merge = update.auto_merge.unwrap_or(settings.auto_merge);
        settings.cycle_secs = update.cycle_secs.or(settings.cycle_secs);
        settings.stall_secs = update.stall_secs.or(settings.stall_secs);
        let clean = |v: &String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        if let Some(pattern) = &update.branch_pattern {
            settings.branch_pattern = clean(pattern);
        }
        if let Some(command) = &update.setup_command {
            settings.setup_command = clean(command);
        }
        settings_write(conn, &session.id, &settings)?;
    }
    session_get(conn, &session.id)
}

/// Tools the session's policy allows every agent (`settings.allowTools`).
pub(crate) fn session_allow_tools(conn: &Connection, id: &str) -> Result<Vec<String>> {
    Ok(session_get(conn, id)?.settings.allow_tools)
}

pub(crate) fn session_allow_tool_add(conn: &Connection, id: &str, tool: &str) -> Result<()> {
    let mut settings = session_get(conn, id)?.settings;
    if !settings.allow_tools.iter().any(|t| t == tool) {
        settings.allow_tools.push(tool.to_owned());
    }
    settings_write(conn, id, &settings)
}

pub(crate) fn settings_write(conn: &Connection, id: &str, settings: &SessionSettings) -> Result<()> {
    let json = serde_json::to_string(settings).unwrap_or_else(|_| "{}".into());
    conn.execute(
        "UPDATE sessions SET settings = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, json, time::now_ms()],
    )?;
    Ok(())
}

pub(crate) fn session_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM sessions WHERE state = 'active'", [], |r| r.get(0))?)
}

pub(crate) fn coordinator_set(conn: &Connection, id: &str, state: CoordinatorState) -> Result<()> {
    conn.execute(
        "UPDATE sessions SET coordinator = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, state.as_str(), time::now_ms()],
    )?;
    Ok(())
}

/// Sessions whose coordinator's loop was running (to resume after a restart): running ones,
/// and complete ones a coordinator conversation watches.
pub(crate) fn coordinators_running(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM sessions WHERE state = 'active' \
         AND (coordinator = 'running' OR (coordinator = 'complete' AND coordinator_agent IS NOT NULL))",
    )?;
    let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}
